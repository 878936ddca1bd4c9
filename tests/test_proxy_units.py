"""Unit tests of the proxy's pure parts: config, policy, CONNECT targets, auth, log paths."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxy.accesslog import safe_path
from proxy.config import (
    ConfigError,
    ConnectTo,
    Limits,
    ProxyConfig,
    is_loopback,
    parse_gateway,
    parse_listen,
    resolve_config,
)
from proxy.connect import AuthFileError, ProxyAuth, parse_absolute_target, parse_connect_target
from proxy.errors import ClientError, UpstreamError, error_response
from proxy.http1 import forwardable
from proxy.pipeline import ExchangeRefused
from proxy.policy import Decision, InterceptPolicy
from proxy.upstream import Origin, dial_address


@pytest.mark.parametrize(
    ("host", "decision"),
    [
        ("api.anthropic.com", Decision.INTERCEPT),
        ("API.Anthropic.COM.", Decision.INTERCEPT),
        ("x.corp.example", Decision.INTERCEPT),
        ("a.b.corp.example", Decision.INTERCEPT),
        ("corp.example", Decision.TUNNEL),
        ("badcorp.example", Decision.TUNNEL),
        ("anthropic.com", Decision.TUNNEL),
        ("api.anthropic.com.evil.net", Decision.TUNNEL),
    ],
)
def test_intercept_policy(host: str, decision: Decision) -> None:
    policy = InterceptPolicy(["api.anthropic.com", "*.corp.example"])
    assert policy.decide(host) is decision
    blocking = InterceptPolicy(["api.anthropic.com", "*.corp.example"], block_others=True)
    expected = Decision.BLOCK if decision is Decision.TUNNEL else decision
    assert blocking.decide(host) is expected


@pytest.mark.parametrize("bad", ["*", "*.", "a.*.b", "https://x", "x:443", "Upper.com", "a..b"])
def test_bad_intercept_patterns(bad: str) -> None:
    with pytest.raises(ValueError):
        InterceptPolicy([bad])


def test_connect_to_semantics() -> None:
    rules = (
        ConnectTo.parse("api.anthropic.com:443:127.0.0.1:9443"),
        ConnectTo.parse("::[::1]:"),
    )
    assert dial_address("api.anthropic.com", 443, rules) == ("127.0.0.1", 9443)
    assert dial_address("API.anthropic.com", 443, rules) == ("127.0.0.1", 9443)
    # The second rule matches anything else and keeps the port.
    assert dial_address("example.com", 8443, rules) == ("::1", 8443)
    assert dial_address("example.com", 443, rules[:1]) == ("example.com", 443)
    with pytest.raises(ConfigError):
        ConnectTo.parse("a:1:b")
    with pytest.raises(ConfigError):
        ConnectTo.parse("a:x:b:1")


def test_listen_and_loopback() -> None:
    assert parse_listen("127.0.0.1:8788") == ("127.0.0.1", 8788)
    assert parse_listen("[::1]:9") == ("::1", 9)
    for bad in ("8788", ":1", "h:99999", "[::1]9"):
        with pytest.raises(ConfigError):
            parse_listen(bad)
    assert is_loopback("127.0.0.1") and is_loopback("127.3.2.1") and is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1") and not is_loopback("::")


def test_gateway_url() -> None:
    assert parse_gateway("https://api.anthropic.com") == ("https", "api.anthropic.com", 443, "")
    assert parse_gateway("https://h:8443/base/") == ("https", "h", 8443, "/base")
    for bad in ("http://h", "https://", "https://u:p@h", "https://h/?q=1"):
        with pytest.raises(ConfigError):
            parse_gateway(bad)


def test_resolve_config_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[proxy]\nintercept = ["a.example", "*.b.example"]\nblock_others = true\n'
        "[limits]\nmax_connections = 7\nread_timeout = 1.5\n"
        '[upstream]\nconnect_to = ["a.example:443:127.0.0.1:1"]\n'
        "[masking]\nkey_file = 'k'\n"
    )
    c = resolve_config(cfg, {}, search_default=False)
    assert c.intercept == ("a.example", "*.b.example")
    assert c.block_others is True
    assert c.limits == Limits(max_connections=7, read_timeout=1.5)
    assert c.connect_to == (ConnectTo("a.example", 443, "127.0.0.1", 1),)
    assert c.masking == {"key_file": "k"}
    assert c.config_path == cfg
    c = resolve_config(
        cfg,
        {"intercept": ["c.example"], "block_others": False, "max_connections": 9,
         "connect_to": [], "read_timeout": None},
        search_default=False,
    )  # fmt: skip
    assert c.intercept == ("c.example",)
    assert c.block_others is False
    assert c.limits.max_connections == 9
    assert c.limits.read_timeout == 1.5
    assert len(c.connect_to) == 1  # an empty flag list keeps the file's


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="refusing to start"):
        ProxyConfig(listen="0.0.0.0:1").validate()
    with pytest.raises(ConfigError, match="at least 1"):
        ProxyConfig(limits=Limits(max_connections=0)).validate()
    with pytest.raises(ConfigError, match="more than 0"):
        ProxyConfig(limits=Limits(read_timeout=0)).validate()
    ProxyConfig().validate()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (b"api.anthropic.com:443", ("api.anthropic.com", 443)),
        (b"API.example.COM:8443", ("api.example.com", 8443)),
        (b"[::1]:443", ("::1", 443)),
    ],
)
def test_connect_target(target: bytes, expected: tuple[str, int]) -> None:
    assert parse_connect_target(target) == expected


@pytest.mark.parametrize(
    "target", [b"host", b"host:", b"host:0", b"host:70000", b"::1:443", b"a/b:443", b"\xff:1"]
)
def test_bad_connect_target(target: bytes) -> None:
    with pytest.raises(ClientError):
        parse_connect_target(target)


def test_absolute_target() -> None:
    assert parse_absolute_target(b"http://h.example/p?q=1") == ("http", "h.example", 80, b"/p?q=1")
    assert parse_absolute_target(b"https://h:8443") == ("https", "h", 8443, b"/")
    for bad in (b"/path", b"ftp://h/", b"http://u:p@h/"):
        with pytest.raises(ClientError):
            parse_absolute_target(bad)


def _basic(user: bytes, password: bytes) -> bytes:
    return b"Basic " + base64.b64encode(user + b":" + password)


def test_proxy_auth_file(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text("# comment\n\nalice:pw:with:colons\nbob:x\n")
    path.chmod(0o600)
    auth = ProxyAuth.load(path)
    assert auth.check(_basic(b"alice", b"pw:with:colons"))
    assert auth.check(_basic(b"bob", b"x"))
    assert auth.check(b"basic " + base64.b64encode(b"bob:x"))
    for bad in (None, b"", _basic(b"bob", b"y"), _basic(b"carol", b"x"), b"Basic ***", b"Bearer x"):
        assert not auth.check(bad)
    path.chmod(0o604)
    with pytest.raises(AuthFileError, match="chmod 600"):
        ProxyAuth.load(path)
    path.chmod(0o600)
    path.write_text("nocolon\n")
    with pytest.raises(AuthFileError, match="expected user:password"):
        ProxyAuth.load(path)
    path.write_text("# only comments\n")
    with pytest.raises(AuthFileError, match="no user:password"):
        ProxyAuth.load(path)


def test_forwardable_drops_hop_by_hop() -> None:
    headers = [
        (b"host", b"h"),
        (b"connection", b"keep-alive, x-hop"),
        (b"x-hop", b"1"),
        (b"keep-alive", b"timeout=5"),
        (b"proxy-authorization", b"Basic x"),
        (b"te", b"trailers"),
        (b"transfer-encoding", b"chunked"),
        (b"x-api-key", b"k"),
    ]
    assert forwardable(headers) == [(b"host", b"h"), (b"x-api-key", b"k")]


def test_safe_path() -> None:
    assert safe_path("/v1/messages?beta=true") == "/v1/messages?beta"
    assert safe_path("/x?key=SECRET&a=1&flag") == "/x?key&a&flag"
    assert safe_path("/plain") == "/plain"


def test_error_responses() -> None:
    r = error_response(ClientError("nope", status=407))
    raw = r.encode()
    assert raw.startswith(b"HTTP/1.1 407 Proxy Authentication Required\r\n")
    assert b'proxy-authenticate: Basic realm="maskproxy"' in raw
    assert b"connection: close" in raw
    assert b'"type": "authentication_error"' in raw
    assert error_response(UpstreamError("down")).status == 502
    assert error_response(UpstreamError("slow", status=504)).status == 504
    refused = ExchangeRefused(413, "request_too_large", "too big")
    assert error_response(refused).body == refused.body()
    internal = error_response(RuntimeError("secret value in message"))
    assert internal.status == 500 and b"secret" not in internal.body


def test_origin_authority() -> None:
    assert Origin("https", "h", 443).authority == "h"
    assert Origin("https", "h", 8443).authority == "h:8443"
    assert Origin("http", "::1", 80).authority == "[::1]"


def test_peer_read_deadline_is_one_timer_that_times_out_and_recovers() -> None:
    """A read with nothing to read times out; the connection still reads afterwards, and a
    read that is answered leaves no timeout behind for the next one."""
    from proxy.streams import connect

    async def scenario() -> None:
        got: asyncio.Queue[bytes] = asyncio.Queue()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while data := await got.get():
                writer.write(data)
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        peer = await connect("127.0.0.1", port, write_timeout=5.0)
        with pytest.raises(TimeoutError):
            await peer.read(0.05)
        got.put_nowait(b"one")
        assert await peer.read(5.0) == b"one"
        # Many answered reads with a long deadline, then a short one: the short one times out.
        for i in range(50):
            got.put_nowait(b"%d" % i)
            assert await peer.read(60.0) == b"%d" % i
        with pytest.raises(TimeoutError):
            await peer.read(0.05)
        got.put_nowait(b"")
        assert await peer.read(5.0) == b""
        await peer.close()
        server.close()

    asyncio.run(scenario())


def test_peer_stops_reading_while_unread_bytes_pile_up_and_gives_them_in_order() -> None:
    """A peer that is not read stops taking bytes from its socket once PAUSE_AT are waiting
    (the sender is held back by TCP), resumes when they are read, and hands every byte over
    in order, whatever receipts they came in; the sender's end of stream then reads as b""."""
    from proxy.streams import PAUSE_AT, READ_SIZE, connect

    total = 4 * 1024 * 1024
    sent = bytes(range(256)) * (total // 256)

    async def scenario() -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(sent)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        peer = await connect("127.0.0.1", port, write_timeout=5.0)
        await asyncio.sleep(0.3)
        # Paused: what waits is bounded, and most of the 4 MiB is still in socket buffers.
        assert not peer.transport.is_reading()
        assert PAUSE_AT <= peer.protocol._size < total
        got = bytearray()
        while data := await peer.read(5.0):
            assert len(data) <= READ_SIZE
            got += data
        assert bytes(got) == sent
        await peer.close()
        server.close()

    asyncio.run(scenario())


def test_event_loops_in_two_threads_never_receive_into_one_buffer() -> None:
    """Connections of one event loop share a receive buffer; a loop in another thread (an
    in-process proxy beside a test's own loop) has its own, since a transport may fill it
    with the GIL released."""
    import threading

    from proxy.streams import PeerProtocol

    async def buffer() -> memoryview:
        return PeerProtocol().get_buffer(-1)

    mine = [asyncio.run(buffer()), asyncio.run(buffer())]
    theirs: list[memoryview] = []
    thread = threading.Thread(target=lambda: theirs.append(asyncio.run(buffer())))
    thread.start()
    thread.join()
    assert mine[0].obj is mine[1].obj
    assert theirs[0].obj is not mine[0].obj


def test_the_logged_path_is_masked_unless_it_is_made_of_api_words(tmp_path: Path) -> None:
    import secrets

    from proxy.masking_pipeline import build_masking_pipeline
    from proxy.pipeline import RequestHead

    pipeline = build_masking_pipeline({}, tmp_path)
    iid = "i-0" + secrets.token_hex(8)
    paths = {
        b"/v1/messages?beta=true": "/v1/messages?beta",
        f"/v1/files/{iid}?key=secretvalue".encode(): None,
    }
    for target, expected in paths.items():
        head = RequestHead(b"POST", target, [(b"host", b"api.anthropic.com")], "api.anthropic.com")
        exchange = pipeline.open_exchange(head)
        exchange.request_head(head)
        if expected is not None:
            assert exchange.stats.path == expected
        else:
            assert iid not in exchange.stats.path and "secretvalue" not in exchange.stats.path
            assert exchange.stats.path.startswith("/v1/files/i-")


class _CountingStream(io.StringIO):
    flushes = 0

    def flush(self) -> None:
        self.flushes += 1


@contextlib.contextmanager
def _proxy_logging() -> Iterator[_CountingStream]:
    """The proxy's own log set-up, writing into a stream that counts its flushes."""
    from proxy import accesslog

    root = logging.getLogger("maskproxy")
    saved = (root.handlers[:], root.level, root.propagate, accesslog._exchange_handler)
    try:
        accesslog.setup_logging("info", "text")
        handler = accesslog._exchange_handler
        assert handler is not None
        stream = _CountingStream()
        handler.setStream(stream)  # type: ignore[arg-type]
        stream.flushes = 0
        yield stream
    finally:
        root.handlers[:], root.level, root.propagate = saved[0], saved[1], saved[2]
        accesslog._exchange_handler = saved[3]


def _exchange(n: int = 0) -> None:
    from proxy import accesslog

    rec = accesslog.ExchangeRecord(method="POST", host="h", path="/", mode="m")
    rec.status = 200
    rec.bytes_up = n
    rec.emit()


def test_exchange_lines_of_one_loop_turn_share_one_flush() -> None:
    with _proxy_logging() as stream:

        async def exchanges() -> tuple[int, int, int, int]:
            _exchange(0)
            _exchange(1)
            before = stream.flushes, len(stream.getvalue())
            await asyncio.sleep(0.01)
            after_turn = stream.flushes
            _exchange(2)
            await asyncio.sleep(0.01)
            return (*before, after_turn, stream.flushes)

        flushes_before, written_before, after_turn, flushes_after = asyncio.run(exchanges())
        lines = stream.getvalue().splitlines()
    assert (flushes_before, written_before, after_turn, flushes_after) == (0, 0, 1, 2)
    assert [line.partition(" exchange ")[2].split()[6] for line in lines] == [
        "up=0",
        "up=1",
        "up=2",
    ]


def test_exchange_lines_are_flushed_in_each_event_loop_of_a_thread() -> None:
    with _proxy_logging() as stream:

        async def one_exchange() -> int:
            before = stream.flushes
            _exchange()
            await asyncio.sleep(0.01)
            return stream.flushes - before

        # A loop that ran exchange lines before has stopped: the next one flushes its own.
        assert [asyncio.run(one_exchange()) for _ in range(3)] == [1, 1, 1]
        assert len(stream.getvalue().splitlines()) == 3


def test_another_record_writes_the_exchange_lines_before_it() -> None:
    from proxy import accesslog

    with _proxy_logging() as stream:

        async def exchanges_then_a_warning() -> None:
            _exchange(0)
            _exchange(1)
            accesslog.log.warning("a warning")

        asyncio.run(exchanges_then_a_warning())
        lines = stream.getvalue().splitlines()
    assert [" exchange " in line for line in lines] == [True, True, False]
    assert lines[2].endswith("WARNING a warning")


def test_a_reload_writes_the_lines_the_old_handler_holds() -> None:
    from proxy import accesslog

    with _proxy_logging() as stream:

        async def exchange_then_reload() -> int:
            _exchange()
            written = len(stream.getvalue())
            accesslog.setup_logging("info", "text")  # the handler of a reloaded configuration
            return written

        assert asyncio.run(exchange_then_reload()) == 0
        assert " exchange method=POST " in stream.getvalue()


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize(
    ("path", "note", "masked"),
    [
        ("/v1/messages", "", {"aws_ec2_instance_id": 2, "aws_account_id": 1}),
        ("/v1/files/a b", "upstream closed mid-response", {}),
        ("", "", {"x": 1}),
    ],
)
def test_the_exchange_line_is_the_line_of_its_fields(
    fmt: str, path: str, note: str, masked: dict[str, int]
) -> None:
    from proxy import accesslog

    formatter = (
        accesslog._TextFormatter(False) if fmt == "text" else accesslog._JsonFormatter(False)
    )
    rec = accesslog.ExchangeRecord(method="POST", host="api.example", path=path, mode="intercept")
    rec.status, rec.bytes_up, rec.bytes_down, rec.masked, rec.note = 201, 10, 20, masked, note
    created = 1_800_000_000.25
    line = formatter.exchange_line((created, logging.INFO, "h2", 2500.0, rec))
    expected = formatter._render(created, logging.INFO, "exchange", rec.fields("h2", 2500.0))
    assert line == expected
    assert "ms=2500.0" in line or '"ms":2500.0' in line


def test_exchange_lines_reach_stderr_together_after_the_flush_delay(tmp_path: Path) -> None:
    """The lines of exchanges that end within the flush delay reach stderr together at its
    end, whatever Python's own stderr buffering (unbuffered here); another record goes out at
    once, after the lines before it."""
    import os
    import subprocess
    import sys

    script = """
import asyncio, logging, os
from proxy import accesslog
accesslog.setup_logging("info", "text")
def size():
    return os.fstat(2).st_size
async def turn():
    for n in range(3):
        rec = accesslog.ExchangeRecord(method="POST", host="h", path="/", mode="m")
        rec.status = 200
        rec.emit()
    during = size()
    await asyncio.sleep(0.01)
    after = size()
    accesslog.log.warning("a warning")
    print(during, after, size())
asyncio.run(turn())
"""
    err = tmp_path / "stderr.log"
    with err.open("wb") as out:
        res = subprocess.run(
            [sys.executable, "-c", script],
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=out,
            timeout=60,
            check=True,
        )
    during, after, end = (int(x) for x in res.stdout.split())
    lines = err.read_text().splitlines()
    assert during == 0 and after > 0 and end > after
    assert [" exchange " in line for line in lines] == [True, True, True, False]
    assert lines[3].endswith("WARNING a warning")


def test_http2_is_imported_only_when_negotiated() -> None:
    import subprocess
    import sys

    probe = "import sys, proxy.cli, proxy.server; print('h2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
