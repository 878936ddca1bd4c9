"""`--upstream-proxy`: maskproxy's own upstream connections, intercepted and tunnelled, go
through a corporate HTTP CONNECT proxy (here a small real one on 127.0.0.1 that counts its
CONNECTs, checks Basic credentials and routes names to the local upstreams)."""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import API_HOST, TUNNEL_HOST, StartProxy
from support.clients import connect_tunnel, curl, tls_through_proxy
from support.launcher import clean_env, run_cli
from support.testca import TestCA
from support.upstream import FakeUpstream

USER, PASSWORD = "corp-user", "Pw-" + base64.b16encode(b"upstream").decode()


class CorporateProxy:
    """A CONNECT-only HTTP proxy: routes ``host:port`` by its table, relays bytes."""

    def __init__(self, routes: dict[str, int], *, credentials: str | None = None) -> None:
        self.routes = routes
        self.expected = (
            "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None
        )
        self.connects: list[str] = []
        self.refused_auth = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            head, _, rest = head.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:])
            }
            if method != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            if self.expected and headers.get("proxy-authorization") != self.expected:
                self.refused_auth += 1
                conn.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n'
                )
                return
            self.connects.append(target)
            port = self.routes.get(target)
            if port is None:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            _relay(conn, upstream)


def _relay(a: socket.socket, b: socket.socket) -> None:
    def pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=pump, args=(b, a), daemon=True)
    t.start()
    pump(a, b)
    t.join(30)
    b.close()


@pytest.fixture
def corporate(upstream: FakeUpstream, tunnel_upstream: FakeUpstream) -> Iterator[CorporateProxy]:
    proxy = CorporateProxy(
        {f"{API_HOST}:443": upstream.port, f"{TUNNEL_HOST}:443": tunnel_upstream.port},
        credentials=f"{USER}:{PASSWORD}",
    )
    yield proxy
    proxy.close()


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "upstream-proxy-auth"
    path.write_text(f"{USER}:{PASSWORD}\n")
    path.chmod(0o600)
    return path


def test_intercepted_and_tunnelled_connections_go_through_it(
    start_proxy: StartProxy,
    corporate: CorporateProxy,
    auth_file: Path,
    test_ca: TestCA,
    upstream: FakeUpstream,
    tunnel_upstream: FakeUpstream,
) -> None:
    proxy = start_proxy(
        ["--upstream-ca", str(test_ca.cert_path), "--upstream-proxy", corporate.url,
         "--upstream-proxy-auth-file", str(auth_file), "--no-http2"]
    )  # fmt: skip
    res = curl("-x", proxy.url, "--cacert", str(proxy.ca_path), "-d", '{"messages": []}',
               f"https://{API_HOST}/v1/messages")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert upstream.wait_requests(1)
    assert upstream.requests[0].header("host") == API_HOST
    assert corporate.connects == [f"{API_HOST}:443"]
    # A blind tunnel is dialled through it too; TLS inside is the real host's.
    tls = tls_through_proxy(proxy.address, TUNNEL_HOST, test_ca.cert_path)
    with tls:
        tls.sendall(f"GET /x HTTP/1.1\r\nHost: {TUNNEL_HOST}\r\nConnection: close\r\n\r\n".encode())
        assert tls.recv(100).startswith(b"HTTP/1.1 200")
    assert corporate.connects == [f"{API_HOST}:443", f"{TUNNEL_HOST}:443"]
    log = proxy.log()
    assert (
        PASSWORD not in log and base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode() not in log
    )


def test_refused_credentials_give_502_naming_the_proxy_not_the_secret(
    start_proxy: StartProxy, corporate: CorporateProxy, tmp_path: Path, test_ca: TestCA
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text(f"{USER}:not-the-password\n")
    wrong.chmod(0o600)
    proxy = start_proxy(
        ["--upstream-ca", str(test_ca.cert_path), "--upstream-proxy", corporate.url,
         "--upstream-proxy-auth-file", str(wrong)]
    )  # fmt: skip
    res = curl("-x", proxy.url, "--cacert", str(proxy.ca_path), "-d", "{}",
               f"https://{API_HOST}/v1/messages")  # fmt: skip
    assert b"upstream proxy " + corporate.url.encode() in res.stdout
    assert b"refused the credentials" in res.stdout
    assert b"not-the-password" not in res.stdout
    assert corporate.refused_auth == 1
    # A blind tunnel gets 502 from maskproxy as well.
    sock, status, _ = connect_tunnel(proxy.address, TUNNEL_HOST)
    sock.close()
    assert status == 502
    assert "not-the-password" not in proxy.log()


def test_without_credentials_the_message_says_which_flag(
    start_proxy: StartProxy, corporate: CorporateProxy, test_ca: TestCA
) -> None:
    proxy = start_proxy(
        ["--upstream-ca", str(test_ca.cert_path), "--upstream-proxy", corporate.url]
    )
    res = curl("-x", proxy.url, "--cacert", str(proxy.ca_path), "-d", "{}",
               f"https://{API_HOST}/v1/messages")  # fmt: skip
    assert b"requires authentication (407): give --upstream-proxy-auth-file" in res.stdout


def test_an_unreachable_upstream_proxy_is_a_502_naming_it(
    start_proxy: StartProxy, test_ca: TestCA
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    proxy = start_proxy(["--upstream-ca", str(test_ca.cert_path), "--upstream-proxy", dead])
    res = curl("-x", proxy.url, "--cacert", str(proxy.ca_path), "-w", "%{http_code}",
               "-d", "{}", f"https://{API_HOST}/v1/messages")  # fmt: skip
    assert res.stdout.endswith(b"502")
    assert f"upstream proxy {dead}: cannot connect".encode() in res.stdout


def test_config_file_and_check(tmp_path: Path, corporate: CorporateProxy, auth_file: Path) -> None:
    env = clean_env(tmp_path / "state")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[proxy]\nupstream_proxy = "{corporate.url}"\nupstream_proxy_auth_file = "{auth_file}"\n'
    )
    res = run_cli("check", "--config", str(cfg), "--state-dir", str(tmp_path / "s"),
                  "--listen", "127.0.0.1:0", env=env)  # fmt: skip
    assert res.returncode == 0, res.stdout
    assert f"ok    upstream proxy: {corporate.url}" in res.stdout
    auth_file.chmod(0o644)
    res = run_cli("check", "--config", str(cfg), "--state-dir", str(tmp_path / "s"),
                  "--listen", "127.0.0.1:0", env=env)  # fmt: skip
    assert res.returncode == 1
    assert "chmod 600" in res.stdout


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://u:secret@proxy.corp:3128", "credentials do not belong in the URL"),
        ("https://proxy.corp:3128", "must be an http:// URL"),
        ("http://proxy.corp:3128/path", "no path"),
    ],
)
def test_bad_upstream_proxy_urls_are_refused(tmp_path: Path, url: str, message: str) -> None:
    env = clean_env(tmp_path / "state")
    res = run_cli("check", "--upstream-proxy", url, "--state-dir", str(tmp_path / "s"),
                  "--listen", "127.0.0.1:0", env=env)  # fmt: skip
    assert res.returncode == 1
    assert message in res.stdout
    assert "secret" not in res.stdout
    res = run_cli("run", "--upstream-proxy", url, "--state-dir", str(tmp_path / "s"),
                  "--listen", "127.0.0.1:0", env=env)  # fmt: skip
    assert res.returncode == 1
    assert message in res.stderr
    assert "secret" not in res.stderr
