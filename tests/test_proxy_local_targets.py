"""Off loopback, tunnels and plain-HTTP forwards keep off the host's own services.

A proxy listening on a non-loopback address (so with ``--auth-file``) refuses, with 403 and
before dialling anything, blind tunnels and plain-HTTP forwards whose target is or resolves to a
loopback or link-local address; ``--allow-local-targets`` (``[proxy] allow_local_targets``)
lets them through, and a proxy on loopback never refuses them.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import StartProxy
from support.clients import basic, connect_tunnel, read_response
from support.launcher import ProxyProcess, run_cli
from support.upstream import FakeUpstream

from proxy.config import ConfigError, ProxyConfig, config_from_mapping
from proxy.connect import is_local_address

AUTH = ("Proxy-Authorization", basic("carol", "tunnel-pass-1"))


class EchoServer:
    """A TCP service on 127.0.0.1 that echoes what it reads; counts its connections."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "users"
    path.write_text("carol:tunnel-pass-1\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def off_loopback(start_proxy: StartProxy, auth_file: Path) -> ProxyProcess:
    return start_proxy(["--auth-file", str(auth_file)], host="0.0.0.0")


def _forward(proxy: ProxyProcess, url: str, host: str) -> int:
    """Send an absolute-form GET through the proxy; the response status."""
    with socket.create_connection(proxy.address, timeout=15) as sock:
        request = f"GET {url} HTTP/1.1\r\nHost: {host}\r\n{AUTH[0]}: {AUTH[1]}\r\n\r\n"
        sock.sendall(request.encode())
        status, _, _ = read_response(sock)
    return status


def _tunnel_echoes(proxy: ProxyProcess, target: str, port: int) -> bool:
    sock, status, head = connect_tunnel(proxy.address, target, port, headers=[AUTH])
    with sock:
        assert status == 200, head
        sock.sendall(b"ping through the tunnel")
        return sock.recv(4096) == b"ping through the tunnel"


@pytest.mark.parametrize(
    "target", ["127.0.0.1", "127.8.9.10", "localhost", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"]
)
def test_tunnel_to_a_loopback_target_is_refused(
    off_loopback: ProxyProcess, echo: EchoServer, target: str
) -> None:
    sock, status, head = connect_tunnel(off_loopback.address, target, echo.port, headers=[AUTH])
    sock.close()
    assert status == 403, head
    assert b"allow_local_targets" in head
    assert echo.connections == 0


@pytest.mark.parametrize("target", ["169.254.169.254", "[fe80::1]"])
def test_tunnel_to_a_link_local_target_is_refused(off_loopback: ProxyProcess, target: str) -> None:
    # Refused before any dial: no connect timeout to wait for.
    sock, status, head = connect_tunnel(off_loopback.address, target, 80, headers=[AUTH])
    sock.close()
    assert status == 403, head


def test_without_credentials_the_answer_is_407_not_403(
    off_loopback: ProxyProcess, echo: EchoServer
) -> None:
    sock, status, _ = connect_tunnel(off_loopback.address, "127.0.0.1", echo.port)
    sock.close()
    assert status == 407


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_plain_http_forward_to_a_loopback_target_is_refused(
    off_loopback: ProxyProcess, plain_upstream: FakeUpstream, host: str
) -> None:
    authority = f"{host}:{plain_upstream.port}"
    assert _forward(off_loopback, f"http://{authority}/local", authority) == 403
    assert plain_upstream.requests == []
    assert plain_upstream.connections == 0


def test_allow_local_targets_lets_tunnels_and_forwards_through(
    start_proxy: StartProxy, auth_file: Path, echo: EchoServer, plain_upstream: FakeUpstream
) -> None:
    proxy = start_proxy(["--auth-file", str(auth_file), "--allow-local-targets"], host="0.0.0.0")
    assert _tunnel_echoes(proxy, "127.0.0.1", echo.port)
    assert _tunnel_echoes(proxy, "localhost", echo.port)
    authority = f"127.0.0.1:{plain_upstream.port}"
    assert _forward(proxy, f"http://{authority}/local", authority) == 200
    assert plain_upstream.wait_requests(1)


def test_on_loopback_local_targets_are_reachable(
    proxy: ProxyProcess, echo: EchoServer, plain_upstream: FakeUpstream
) -> None:
    assert _tunnel_echoes(proxy, "127.0.0.1", echo.port)
    authority = f"127.0.0.1:{plain_upstream.port}"
    assert _forward(proxy, f"http://{authority}/local", authority) == 200


def test_the_setting_is_read_from_the_config_file_and_documented(tmp_path: Path) -> None:
    base = ProxyConfig(listen="0.0.0.0:8788", auth_file=tmp_path / "users")
    assert base.refuses_local_targets
    cfg = config_from_mapping({"proxy": {"allow_local_targets": True}}, base, tmp_path / "c")
    assert cfg.allow_local_targets and not cfg.refuses_local_targets
    with pytest.raises(ConfigError):
        config_from_mapping({"proxy": {"allow_local_targets": "yes"}}, base, tmp_path / "c")
    assert not ProxyConfig(listen="127.0.0.1:8788").refuses_local_targets
    assert not ProxyConfig(listen="[::1]:8788").refuses_local_targets
    assert "--allow-local-targets" in run_cli("run", "--help").stdout


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("127.0.0.1", True),
        ("127.255.0.7", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("169.254.169.254", True),
        ("fe80::1", True),
        ("febf::1", True),
        ("::ffff:169.254.1.1", True),
        ("0.0.0.0", True),
        ("::", True),
        ("10.0.0.1", False),
        ("192.168.1.1", False),
        ("8.8.8.8", False),
        ("fec0::1", False),
        ("2001:db8::1", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_which_addresses_are_local(address: str, local: bool) -> None:
    assert is_local_address(ipaddress.ip_address(address)) is local
