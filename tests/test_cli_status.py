"""`maskproxy status` from the shell an agent runs in: the verdict, the reason and the fix,
proven by a canary through the proxy the environment names.

A small fake proxy on 127.0.0.1 speaks the status contract (CONNECT, TLS with a leaf of a test
CA, ``GET /.well-known/maskproxy/status`` answered with the JSON document); one test drives the
real proxy and skips, saying why, while its status endpoint is not there.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.launcher import REPO, ProxyProcess, clean_env
from support.ports import free_port
from support.testca import TestCA
from support.upstream import FakeUpstream

STATUS = "/.well-known/maskproxy/status"


class FakeStatusProxy:
    """A proxy that answers CONNECT, terminates TLS and serves one status document.

    ``maskproxy=False`` makes it answer 404 instead (a proxy that is not maskproxy, as the
    real API would answer through a blind tunnel).
    """

    def __init__(self, test_ca: TestCA, *, maskproxy: bool = True, connect_status: int = 200):
        self.pair = test_ca.issue("api.anthropic.com")
        self.ca_der = ssl.PEM_cert_to_DER_cert(test_ca.cert_path.read_text())
        self.maskproxy = maskproxy
        self.connect_status = connect_status
        self.connects: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeStatusProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self.sock.close()

    def _serve(self) -> None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.pair.cert, self.pair.key)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn, ctx), daemon=True).start()

    def _handle(self, conn: socket.socket, ctx: ssl.SSLContext) -> None:
        with conn:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            self.connects.append(head.split(b"\r\n", 1)[0])
            if self.connect_status != 200:
                conn.sendall(
                    f"HTTP/1.1 {self.connect_status} No\r\nContent-Length: 0\r\n\r\n".encode()
                )
                return
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            try:
                tls = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                return
            with tls:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                if self.maskproxy and request.startswith(f"GET {STATUS} ".encode()):
                    body = json.dumps(
                        {
                            "service": "maskproxy",
                            "version": "0.1.0",
                            "uptime_seconds": 3725,
                            "intercept": ["api.anthropic.com"],
                            "exchanges": 7,
                            "masked": {"aws_account_id": 2},
                            "ca_sha256": hashlib.sha256(self.ca_der).hexdigest(),
                        }
                    ).encode()
                    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                else:
                    body = b'{"type":"error"}'
                    answer = b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                answer += f"Content-Length: {len(body)}\r\n\r\n".encode() + body
                tls.sendall(answer)


@pytest.fixture
def fake(test_ca: TestCA) -> Iterator[FakeStatusProxy]:
    with FakeStatusProxy(test_ca) as proxy:
        yield proxy


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    env = clean_env(tmp_path / "state")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                 "no_proxy", "NODE_EXTRA_CA_CERTS", "ANTHROPIC_BASE_URL"):  # fmt: skip
        env.pop(name, None)
    env["XDG_STATE_HOME"] = str(tmp_path / "xdg-state")
    env["PYTHONPATH"] = str(REPO)
    return env


def status(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "proxy", "status", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_masked_when_the_proxy_is_maskproxy_and_its_ca_trusted(
    fake: FakeStatusProxy, shell_env: dict[str, str], test_ca: TestCA
) -> None:
    env = {**shell_env, "HTTPS_PROXY": fake.url, "NODE_EXTRA_CA_CERTS": str(test_ca.cert_path)}
    res = status(env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "api.anthropic.com: masked" in res.stdout
    assert "7 exchanges" in res.stdout and "aws_account_id=2" in res.stdout
    assert fake.connects == [b"CONNECT api.anthropic.com:443 HTTP/1.1"]
    doc = json.loads(status(env, "--json").stdout)
    assert doc["masked"] is True
    assert doc["hosts"][0]["status"]["intercept"] == ["api.anthropic.com"]


def test_a_lower_case_https_proxy_wins_and_the_fix_says_unset(
    fake: FakeStatusProxy, shell_env: dict[str, str], test_ca: TestCA
) -> None:
    elsewhere = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    env = {
        **shell_env,
        "HTTPS_PROXY": fake.url,
        "https_proxy": elsewhere,
        "NODE_EXTRA_CA_CERTS": str(test_ca.cert_path),
    }
    res = status(env)
    assert res.returncode == 1
    assert "NOT masked" in res.stdout
    assert f"https_proxy={elsewhere}: nothing answers" in res.stdout
    assert "fix: unset https_proxy" in res.stdout


def test_no_proxy_exempting_the_host_is_not_masked(
    fake: FakeStatusProxy, shell_env: dict[str, str], test_ca: TestCA
) -> None:
    env = {
        **shell_env,
        "HTTPS_PROXY": fake.url,
        "NO_PROXY": "localhost,.anthropic.com",
        "NODE_EXTRA_CA_CERTS": str(test_ca.cert_path),
    }
    res = status(env)
    assert res.returncode == 1
    assert "'.anthropic.com'" in res.stdout
    assert 'eval "$(maskproxy env)"' in res.stdout
    assert fake.connects == []  # no canary needed to know: the client would not use the proxy


def test_no_proxy_variable_at_all(shell_env: dict[str, str]) -> None:
    res = status(shell_env)
    assert res.returncode == 1
    assert "no proxy variable is set" in res.stdout
    assert 'fix: eval "$(maskproxy env)"' in res.stdout


def test_an_untrusted_ca_is_not_masked(fake: FakeStatusProxy, shell_env: dict[str, str]) -> None:
    res = status({**shell_env, "HTTPS_PROXY": fake.url})
    assert res.returncode == 1
    assert "is not trusted" in res.stdout
    assert "NODE_EXTRA_CA_CERTS" in res.stdout


def test_a_proxy_that_is_not_maskproxy(test_ca: TestCA, shell_env: dict[str, str]) -> None:
    with FakeStatusProxy(test_ca, maskproxy=False) as other:
        env = {**shell_env, "https_proxy": other.url, "NODE_EXTRA_CA_CERTS": str(test_ca.cert_path)}
        res = status(env, "--json")
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert doc["masked"] is False
    assert "not answered by maskproxy (HTTP 404" in doc["hosts"][0]["reason"]


def test_proxy_credentials_are_sent_but_never_shown(
    test_ca: TestCA, shell_env: dict[str, str]
) -> None:
    with FakeStatusProxy(test_ca, connect_status=407) as locked:
        url = f"http://user:s3cret-pw@127.0.0.1:{locked.port}"
        res = status(
            {**shell_env, "HTTPS_PROXY": url, "NODE_EXTRA_CA_CERTS": str(test_ca.cert_path)}
        )
    assert res.returncode == 1
    assert "requires authentication (407)" in res.stdout
    assert "s3cret-pw" not in res.stdout + res.stderr


def test_the_real_proxy_answers_the_canary(
    tmp_path: Path, shell_env: dict[str, str], test_ca: TestCA, upstream: FakeUpstream
) -> None:
    """`eval "$(maskproxy env)"` in a shell with a stray https_proxy, then status: masked."""
    state = tmp_path / "proxy-state"
    args = ["--upstream-ca", str(test_ca.cert_path),
            "--connect-to", f"api.anthropic.com:443:127.0.0.1:{upstream.port}"]  # fmt: skip
    proxy = ProxyProcess(args, state_dir=state, log_path=tmp_path / "proxy.log")
    proxy.start()
    try:
        script = (
            f"export https_proxy=http://127.0.0.1:{free_port('127.0.0.1')}\n"
            f'eval "$({sys.executable} -m proxy env --state-dir {state} '
            f'--listen 127.0.0.1:{proxy.port})"\n'
            f"{sys.executable} -m proxy status --json"
        )
        res = subprocess.run(
            ["bash", "-c", script], env=shell_env, capture_output=True, text=True, timeout=60
        )
    finally:
        proxy.stop()
    doc = json.loads(res.stdout)
    reason = doc["hosts"][0]["reason"]
    if "not answered by maskproxy" in reason:
        pytest.skip(f"the running proxy does not serve {STATUS} yet: {reason}")
    assert res.returncode == 0, reason
    assert doc["masked"] is True
    ca_der = ssl.PEM_cert_to_DER_cert((state / "ca.pem").read_text())
    assert doc["hosts"][0]["status"]["ca_sha256"] == hashlib.sha256(ca_der).hexdigest()


def test_gateway_mode_is_asked_directly(shell_env: dict[str, str]) -> None:
    """ANTHROPIC_BASE_URL=http://… : the client talks to a maskproxy gateway, no proxy."""
    import http.server

    class Gateway(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            if self.path != "/base" + STATUS:
                self.send_error(404)
                return
            doc = {"service": "maskproxy", "version": "0.1.0", "exchanges": 1}
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/base"
        res = status({**shell_env, "ANTHROPIC_BASE_URL": base, "HTTPS_PROXY": "http://x:1"})
    finally:
        server.shutdown()
    assert "(ANTHROPIC_BASE_URL): masked" in res.stdout
    # The client talks to the gateway only: the (broken) proxy variable does not matter.
    assert res.returncode == 0, res.stdout
    res = status({**shell_env, "ANTHROPIC_BASE_URL": base})  # the gateway is gone now
    assert res.returncode == 1
    assert "nothing answers at" in res.stdout
