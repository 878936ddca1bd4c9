"""HTTP/2 on both sides of an intercepted connection: the same masking checks for every pair of
client protocol (HTTP/1.1, HTTP/2) and upstream protocol (HTTP/1.1, HTTP/2).

Clients are httpx (``http2=True``, HTTP/2 only) and curl ``--http2``; upstreams are the
HTTP/1.1 :class:`FakeUpstream` and the HTTP/2 :class:`H2Upstream`, each recording every byte
it receives. A JSON POST to ``/v1/messages`` carrying an instance id and an access key must
reach the upstream with neither; the upstream's answer repeats the surrogates it received and
the client must get the originals back, in SSE events and in a JSON body alike.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import API_HOST, routing_args
from fake_anthropic import FakeAnthropic, ids_in
from support.clients import curl, tls_through_proxy
from support.h2client import H2Client
from support.launcher import ProxyProcess
from support.testca import TestCA
from support.upstream import FakeUpstream, ServerExchange
from support.upstream_h2 import H2ReceivedRequest, H2ServerExchange, H2Upstream

INSTANCE = "i-0f3a9c27b81d4e605"
ACCESS_KEY = "AKIAZ7QX4M2PLW9RTYUV"
ORIGINALS = (INSTANCE, ACCESS_KEY)


@pytest.fixture(scope="module")
def proxy_to_h2(
    tmp_path_factory: pytest.TempPathFactory, test_ca: TestCA, h2_upstream: H2Upstream
) -> Iterator[ProxyProcess]:
    base = tmp_path_factory.mktemp("proxy-h2")
    args = [*routing_args(test_ca), "--connect-to", f"{API_HOST}:443:127.0.0.1:{h2_upstream.port}"]
    proc = ProxyProcess(args, state_dir=base / "state", log_path=base / "proxy.log").start()
    yield proc
    proc.stop()


Upstream = FakeUpstream | H2Upstream


@pytest.fixture(params=["h1-upstream", "h2-upstream"])
def route(
    request: pytest.FixtureRequest,
    proxy: ProxyProcess,
    upstream: FakeUpstream,
    proxy_to_h2: ProxyProcess,
    h2_upstream: H2Upstream,
) -> tuple[ProxyProcess, Upstream]:
    """(proxy, upstream) with the upstream speaking HTTP/1.1 or HTTP/2."""
    if request.param == "h1-upstream":
        return proxy, upstream
    h2_upstream.reset()
    return proxy_to_h2, h2_upstream


def echo_script(request: dict) -> list[dict]:
    """The fake model repeats every id it received, in text and in a tool call."""
    seen = ids_in(json.dumps(request["messages"]).encode())
    return [
        {"type": "text", "text": f"Seen: {' '.join(seen)}."},
        {"type": "tool_use", "id": "toolu_01", "name": "run", "input": {"ids": seen}},
    ]


def messages_body(stream: bool) -> dict:
    return {
        "model": "claude-test",
        "max_tokens": 64,
        "stream": stream,
        "messages": [
            {"role": "user", "content": f"Stop {INSTANCE}; rotate {ACCESS_KEY}."},
        ],
    }


def upstream_wire(up: Upstream) -> bytes:
    """Every byte the upstream received (after TLS), on all its connections."""
    if isinstance(up, H2Upstream):
        return b"".join(bytes(c.raw) for c in up.conns)
    return b"".join(bytes(r.raw) for r in up.requests)


def assert_masked_upstream(up: Upstream, fake: FakeAnthropic) -> list[str]:
    """Nothing original reached the upstream; returns the surrogates it saw."""
    wire = upstream_wire(up)
    assert wire
    for value in ORIGINALS:
        assert value.encode() not in wire
    ((raw, _),) = fake.messages
    surrogates = ids_in(raw)
    assert len(surrogates) == 2
    assert sorted(map(len, surrogates)) == sorted(map(len, ORIGINALS))
    return surrogates


def http_client(p: ProxyProcess, client: str) -> httpx.Client:
    return httpx.Client(
        proxy=p.url,
        verify=ssl.create_default_context(cafile=str(p.ca_path)),
        http1=client == "h1",
        http2=client == "h2",
        timeout=30,
    )


def sse_text(lines: list[str]) -> tuple[str, str]:
    """(text, tool input JSON) reassembled from the SSE deltas."""
    text, tool = "", ""
    for line in lines:
        if not line.startswith("data: "):
            continue
        event = json.loads(line[6:])
        delta = event.get("delta", {})
        if delta.get("type") == "text_delta":
            text += delta["text"]
        elif delta.get("type") == "input_json_delta":
            tool += delta["partial_json"]
    return text, tool


@pytest.mark.parametrize("client", ["h1-client", "h2-client"])
def test_sse_masked_upstream_restored_to_client(
    route: tuple[ProxyProcess, Upstream], client: str
) -> None:
    p, up = route
    fake = FakeAnthropic(echo_script)
    up.handler = fake  # type: ignore[assignment]
    with (
        http_client(p, client[:2]) as http,
        http.stream(
            "POST",
            f"https://{API_HOST}/v1/messages",
            json=messages_body(stream=True),
            headers={"x-api-key": "sk-ant-dummy"},
        ) as resp,
    ):
        lines = list(resp.iter_lines())
        version = resp.http_version
        ctype = resp.headers["content-type"]
    assert version == ("HTTP/2" if client == "h2-client" else "HTTP/1.1")
    assert ctype == "text/event-stream"
    surrogates = assert_masked_upstream(up, fake)
    text, tool = sse_text(lines)
    assert INSTANCE in text and ACCESS_KEY in text
    assert json.loads(tool)["ids"] == [INSTANCE, ACCESS_KEY]
    for s in surrogates:
        assert s not in text and s not in tool
    req = up.requests[0]
    assert req.version == ("HTTP/2" if isinstance(up, H2Upstream) else "HTTP/1.1")
    assert req.header("host") == API_HOST
    assert req.header("x-api-key") == "sk-ant-dummy"
    assert req.complete


@pytest.mark.parametrize("client", ["h1-client", "h2-client"])
def test_json_masked_upstream_restored_to_client(
    route: tuple[ProxyProcess, Upstream], client: str
) -> None:
    p, up = route
    fake = FakeAnthropic(echo_script)
    up.handler = fake  # type: ignore[assignment]
    with http_client(p, client[:2]) as http:
        resp = http.post(f"https://{API_HOST}/v1/messages", json=messages_body(stream=False))
    assert resp.status_code == 200
    assert_masked_upstream(up, fake)
    message = resp.json()
    assert INSTANCE in message["content"][0]["text"]
    assert message["content"][1]["input"]["ids"] == [INSTANCE, ACCESS_KEY]


def test_curl_http2_sse_through_the_proxy(
    route: tuple[ProxyProcess, Upstream], tmp_path: Path
) -> None:
    p, up = route
    fake = FakeAnthropic(echo_script)
    up.handler = fake  # type: ignore[assignment]
    body = tmp_path / "body.json"
    body.write_text(json.dumps(messages_body(stream=True)))
    res = curl(
        "--http2",
        "-x", p.url,
        "--cacert", str(p.ca_path),
        "-H", "content-type: application/json",
        "--data-binary", f"@{body}",
        "-w", "\n%{http_version}",
        f"https://{API_HOST}/v1/messages",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    out, _, version = res.stdout.decode().rpartition("\n")
    assert version == "2"
    assert_masked_upstream(up, fake)
    text, tool = sse_text(out.splitlines())
    assert INSTANCE in text and ACCESS_KEY in text
    assert json.loads(tool)["ids"] == [INSTANCE, ACCESS_KEY]


def test_trailers_cross_both_ways_over_http2(route: tuple[ProxyProcess, Upstream]) -> None:
    p, up = route

    def handler(ex: ServerExchange | H2ServerExchange) -> None:
        body = ex.read_body()
        ex.start_chunked(200, [("content-type", "text/plain")])
        ex.send_chunk(body)
        if isinstance(ex, H2ServerExchange):
            ex.end_chunked([("x-checksum", "def")])
        else:
            ex.send_raw(b"0\r\nx-checksum: def\r\n\r\n")

    up.handler = handler  # type: ignore[assignment]
    with H2Client(p.address, API_HOST, p.ca_path) as c:
        sid = c.request("POST", "/upload", [("te", "trailers")], end=False)
        c.send_body(sid, b"hello", end=False)
        c.h2.send_headers(sid, [(b"x-digest", b"abc")], end_stream=True)
        c.flush()
        stream = c.response(sid)
    assert bytes(stream.data) == b"hello"
    assert stream.trailers == [(b"x-checksum", b"def")]
    req = up.requests[0]
    if isinstance(req, H2ReceivedRequest):
        assert req.trailers == [("x-digest", "abc")]
        assert req.header("te") == "trailers"
    else:
        # HTTP/1.1 upstream: a body without Content-Length is chunked, trailers ride on it.
        assert req.header("transfer-encoding") == "chunked"
        assert b"\r\nx-digest: abc\r\n" in req.raw
        assert req.header("te") is None  # hop-by-hop on HTTP/1.1


def test_http1_client_gets_http2_upstream_trailers(
    proxy_to_h2: ProxyProcess, h2_upstream: H2Upstream
) -> None:
    h2_upstream.reset()

    def handler(ex: H2ServerExchange) -> None:
        ex.read_body()
        ex.start_chunked(200, [("content-type", "text/plain")])
        ex.send_chunk(b"body")
        ex.end_chunked([("x-checksum", "def")])

    h2_upstream.handler = handler
    sock = tls_through_proxy(proxy_to_h2.address, API_HOST, proxy_to_h2.ca_path)
    with sock:
        request = f"GET /t HTTP/1.1\r\nHost: {API_HOST}\r\nTE: trailers\r\n"
        sock.sendall(request.encode() + b"Connection: close, TE\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"transfer-encoding: chunked" in head.lower()
    assert body == b"4\r\nbody\r\n0\r\nx-checksum: def\r\n\r\n"
    assert h2_upstream.requests[0].header("te") == "trailers"


def test_expect_100_continue_over_http2(route: tuple[ProxyProcess, Upstream]) -> None:
    p, up = route
    with H2Client(p.address, API_HOST, p.ca_path) as c:
        sid = c.request(
            "POST", "/upload", [("expect", "100-continue"), ("content-length", "5")], end=False
        )
        stream = c.streams[sid]
        c.run_until(lambda: 100 in stream.informational)
        c.send_body(sid, b"hello")
        c.response(sid)
    assert stream.status == 200
    assert up.requests[0].header("expect") is None
    assert bytes(up.requests[0].body) == b"hello"


def test_no_http2_speaks_http1_on_both_sides(
    start_proxy: Callable[..., ProxyProcess],
    test_ca: TestCA,
    upstream: FakeUpstream,
    h2_upstream: H2Upstream,
) -> None:
    p = start_proxy(["--no-http2", *routing_args(test_ca, (API_HOST, upstream))])
    with httpx.Client(
        proxy=p.url, verify=ssl.create_default_context(cafile=str(p.ca_path)), http2=True
    ) as http:
        resp = http.get(f"https://{API_HOST}/v1/models")
    assert resp.status_code == 200 and resp.http_version == "HTTP/1.1"
    # Towards the upstream too: an HTTP/2-only upstream is not offered h2, so it is not used.
    h2_upstream.reset()
    p2 = start_proxy(["--no-http2", *routing_args(test_ca, (API_HOST, h2_upstream))])  # type: ignore[arg-type]
    with httpx.Client(
        proxy=p2.url, verify=ssl.create_default_context(cafile=str(p2.ca_path))
    ) as http:
        resp = http.get(f"https://{API_HOST}/v1/models")
    assert resp.status_code == 502
    assert h2_upstream.connections == 0 and h2_upstream.requests == []
