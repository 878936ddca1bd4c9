"""Invariant 9: no original value in a log line.

One proxy, logging at debug level, goes through exchanges that plant fresh original values
everywhere a log line could pick one up: the URL path and query of intercepted and forwarded
requests, URL userinfo in absolute-form targets (good and bad ports), header values, a header
line without a colon, a request line the parser rejects, a chunked body that is not chunk-framed,
request bodies, a compressed body the proxy refuses, and over HTTP/2 a header name the parser
rejects. Then every line of its log is searched for every planted value and for its first eight
characters: none may appear. Intercepted paths are logged masked, other paths as ``-``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import secrets
import socket
import ssl
import string
from collections.abc import Iterator

import pytest
from conftest import API_HOST, StartProxy, routing_args
from support.clients import tls_through_proxy
from support.h2client import ClientStream, H2Client
from support.launcher import ProxyProcess
from support.testca import TestCA
from support.upstream import FakeUpstream

HEX = "0123456789abcdef"
BASE32 = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits


class Planted:
    """Fresh original values, each made for one place; remembered for the final search."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def _keep(self, value: str) -> str:
        self.values.append(value)
        return value

    def instance_id(self) -> str:
        """An EC2 instance id (``i-`` and 17 hex digits): recognized by the engine, so an
        intercepted path masks it."""
        return self._keep("i-0" + "".join(secrets.choice(HEX) for _ in range(16)))

    def access_key(self) -> str:
        return self._keep("AKIA" + "".join(secrets.choice(BASE32) for _ in range(16)))

    def token(self, prefix: str) -> str:
        """An opaque value (a password, a query value): nothing recognizes it, nothing may log
        it."""
        return self._keep(prefix + "".join(secrets.choice(ALNUM) for _ in range(24)))


@pytest.fixture
def planted() -> Planted:
    return Planted()


@pytest.fixture
def logged_proxy(
    start_proxy: StartProxy,
    test_ca: TestCA,
    upstream: FakeUpstream,
    plain_upstream: FakeUpstream,
) -> Iterator[ProxyProcess]:
    args = routing_args(test_ca, (API_HOST, upstream))
    args += ["--connect-to", f"plain.test:80:127.0.0.1:{plain_upstream.port}"]
    args += ["--connect-to", f"{API_HOST}:80:127.0.0.1:{plain_upstream.port}"]
    args += ["--log-level", "debug"]
    yield start_proxy(args)


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the proxy closes (each exchange here ends the connection)."""
    data = b""
    sock.settimeout(15)
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, ssl.SSLError, TimeoutError):
        pass
    return data


def _intercepted(proxy: ProxyProcess, raw: bytes) -> bytes:
    """Raw HTTP/1.1 bytes to api.anthropic.com inside the proxy's TLS; the raw answer."""
    with tls_through_proxy(proxy.address, API_HOST, proxy.ca_path) as sock:
        sock.sendall(raw)
        return _read_all(sock)


def _listener(proxy: ProxyProcess, raw: bytes) -> bytes:
    """Raw bytes to the proxy's own listener (absolute-form requests, CONNECT heads)."""
    with socket.create_connection(proxy.address, timeout=15) as sock:
        sock.sendall(raw)
        return _read_all(sock)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _json_body(planted: Planted) -> bytes:
    return json.dumps(
        {
            "model": "claude-test",
            "max_tokens": 16,
            "messages": [
                {
                    "role": "user",
                    "content": f"key {planted.access_key()} on {planted.instance_id()} "
                    f"with password {planted.token('pw')}",
                }
            ],
        }
    ).encode()


def _http1_exchanges(proxy: ProxyProcess, planted: Planted) -> None:
    host = f"Host: {API_HOST}\r\n"
    # Path, query values, header values and a body, on a request that is served.
    body = _json_body(planted)
    answer = _intercepted(
        proxy,
        (
            f"POST /v1/files/{planted.instance_id()}?key={planted.token('qv')}&beta=true "
            f"HTTP/1.1\r\n{host}X-Api-Key: {planted.token('hv')}\r\n"
            f"Authorization: Bearer {planted.token('bt')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        + body,
    )
    assert _status(answer) == 200, answer[:300]
    # A header line without a colon.
    answer = _intercepted(
        proxy,
        f"POST /v1/messages HTTP/1.1\r\n{host}X-Api-Key {planted.access_key()}\r\n\r\n".encode(),
    )
    assert _status(answer) == 400, answer[:300]
    # A request line the parser rejects, with a value in it.
    answer = _intercepted(
        proxy, f"GET /v1/files/{planted.token('rl')} HTTP/1.1 extra\r\n{host}\r\n".encode()
    )
    assert _status(answer) == 400, answer[:300]
    # A chunked body that is not chunk-framed: its first line is JSON with a value in it.
    answer = _intercepted(
        proxy,
        (
            f"POST /v1/messages HTTP/1.1\r\n{host}Transfer-Encoding: chunked\r\n\r\n"
            f'{{"api_key": "{planted.token("ck")}"}}\r\n0\r\n\r\n'
        ).encode(),
    )
    assert _status(answer) in (400, 0), answer[:300]
    # A compressed body: refused (415), not inflated, not logged.
    packed = gzip.compress(_json_body(planted))
    answer = _intercepted(
        proxy,
        (
            f"POST /v1/messages HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
            f"Content-Encoding: gzip\r\nContent-Length: {len(packed)}\r\n\r\n"
        ).encode()
        + packed,
    )
    assert _status(answer) == 415, answer[:300]
    # Absolute-form targets inside the tunnel: with userinfo (and a good or a bad port), and
    # with a bad port and a value in the path.
    for port in ("", ":99999", ":8x"):
        target = f"http://user:{planted.token('ui')}@{API_HOST}{port}/v1/models"
        answer = _intercepted(proxy, f"GET {target} HTTP/1.1\r\n{host}\r\n".encode())
        assert _status(answer) == 400, answer[:300]
        target = f"http://{API_HOST}{port or ':0x'}/v1/files/{planted.token('bp')}"
        answer = _intercepted(proxy, f"GET {target} HTTP/1.1\r\n{host}\r\n".encode())
        assert _status(answer) == 400, answer[:300]


def _forward_exchanges(proxy: ProxyProcess, planted: Planted) -> None:
    # Userinfo on the proxy's own listener, with a good and a bad port; a bad port with a
    # value in the path.
    for port in ("", ":99999", ":8x"):
        target = f"http://admin:{planted.token('up')}@plain.test{port}/x"
        answer = _listener(proxy, f"GET {target} HTTP/1.1\r\nHost: plain.test\r\n\r\n".encode())
        assert _status(answer) == 400, answer[:300]
        target = f"http://plain.test{port or ':0x'}/v1/files/{planted.token('lp')}"
        answer = _listener(proxy, f"GET {target} HTTP/1.1\r\nHost: plain.test\r\n\r\n".encode())
        assert _status(answer) == 400, answer[:300]
    # A plain-HTTP forward to a host that is not intercepted: its path is logged as '-'.
    body = _json_body(planted)
    answer = _listener(
        proxy,
        (
            f"POST http://plain.test/v1/files/{planted.instance_id()}/{planted.token('fp')}"
            f"?token={planted.token('fq')} HTTP/1.1\r\nHost: plain.test\r\n"
            f"X-Api-Key: {planted.token('fh')}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        + body,
    )
    assert _status(answer) == 200, answer[:300]
    # Plain HTTP to an intercepted host: through the engine, path masked.
    body = _json_body(planted)
    answer = _listener(
        proxy,
        (
            f"POST http://{API_HOST}/v1/files/{planted.instance_id()}?k={planted.token('iq')} "
            f"HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        + body,
    )
    assert _status(answer) == 200, answer[:300]
    # A CONNECT head with a header line without a colon, and a CONNECT target the proxy
    # cannot parse.
    answer = _listener(
        proxy,
        f"CONNECT {API_HOST}:443 HTTP/1.1\r\nX-Api-Key {planted.access_key()}\r\n\r\n".encode(),
    )
    assert _status(answer) == 400, answer[:300]
    answer = _listener(proxy, f"CONNECT {planted.token('ct')} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert _status(answer) == 400, answer[:300]


def _http2_exchanges(proxy: ProxyProcess, planted: Planted) -> None:
    with H2Client(proxy.address, API_HOST, proxy.ca_path) as client:
        body = _json_body(planted)
        sid = client.request(
            "POST",
            f"/v1/files/{planted.instance_id()}?key={planted.token('hq')}",
            [("x-api-key", planted.token("hh")), ("content-type", "application/json")],
            body,
        )
        assert client.response(sid).status == 200
        packed = gzip.compress(_json_body(planted))
        sid = client.request(
            "POST",
            "/v1/messages",
            [("content-type", "application/json"), ("content-encoding", "gzip")],
            packed,
        )
        assert client.response(sid).status == 415
        sid = client.request("GET", f"http://user:{planted.token('hu')}@{API_HOST}/v1/models")
        assert client.response(sid).status == 400
    with H2Client(proxy.address, API_HOST, proxy.ca_path) as client:
        # A header name h2 rejects (upper case), quoted by h2's error text.
        client.h2.config.validate_outbound_headers = False
        client.h2.config.normalize_outbound_headers = False
        sid = client.h2.get_next_available_stream_id()
        client.h2.send_headers(
            sid,
            [
                (b":method", b"GET"),
                (b":scheme", b"https"),
                (b":authority", API_HOST.encode()),
                (b":path", b"/v1/models"),
                (f"X-Key-{planted.access_key()}".encode(), b"v"),
                (b"x-api-key", planted.token("hv").encode() + b" "),
            ],
            end_stream=True,
        )
        client.flush()
        stream = client.streams[sid] = ClientStream(sid)
        # The proxy refuses the stream or the connection: either way it has logged by then.
        with contextlib.suppress(ConnectionError, TimeoutError):
            client.run_until(lambda: client.terminated is not None or stream.done)


def test_no_planted_value_reaches_a_log_line(
    logged_proxy: ProxyProcess, planted: Planted, upstream: FakeUpstream
) -> None:
    _http1_exchanges(logged_proxy, planted)
    _forward_exchanges(logged_proxy, planted)
    _http2_exchanges(logged_proxy, planted)
    logged_proxy.stop()
    log = logged_proxy.log()
    lines = log.splitlines()
    assert any("exchange" in line for line in lines), log
    leaks = [
        (value, line)
        for line in lines
        for value in planted.values
        if value in line or value[:8] in line
    ]
    assert not leaks, "\n".join(f"{value!r} in: {line}" for value, line in leaks)
    # Intercepted paths are logged, masked; the forwarded one is not logged at all.
    assert "path=/v1/files/i-" in log, log
