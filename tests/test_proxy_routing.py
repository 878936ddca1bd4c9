"""Policy and upstream behaviour: blind tunnels, --block-others, plain HTTP, upstream failures,
Expect: 100-continue, refused upgrades, name constraints seen through the proxy."""

from __future__ import annotations

import json
import socket
import ssl

import pytest
from conftest import API_HOST, TUNNEL_HOST, StartProxy, routing_args
from support.clients import connect_tunnel, curl, read_response, tls_through_proxy
from support.launcher import ProxyProcess
from support.ports import free_port
from support.testca import TestCA
from support.upstream import FakeUpstream


def test_tunnelled_host_shows_its_own_certificate(
    proxy: ProxyProcess, tunnel_upstream: FakeUpstream, test_ca: TestCA
) -> None:
    # Verified against the test CA only: maskproxy's CA would not do for a blind tunnel.
    sock = tls_through_proxy(proxy.address, TUNNEL_HOST, test_ca.cert_path)
    with sock:
        cert = sock.getpeercert()
        assert cert is not None
        issuer = dict(rdn[0] for rdn in cert["issuer"])  # type: ignore[misc]
        assert issuer["commonName"] == test_ca.name
        sock.sendall(f"GET /t HTTP/1.1\r\nHost: {TUNNEL_HOST}\r\n\r\n".encode())
        status, _, body = read_response(sock)
    assert status == 200
    assert json.loads(body)["target"] == "/t"
    res = curl("-x", proxy.url, "--cacert", str(test_ca.cert_path), f"https://{TUNNEL_HOST}/c")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["target"] == "/c"
    assert proxy.wait_log(f"method=CONNECT host={TUNNEL_HOST}")


def test_block_others(
    start_proxy: StartProxy,
    test_ca: TestCA,
    upstream: FakeUpstream,
    tunnel_upstream: FakeUpstream,
) -> None:
    p = start_proxy(
        [
            "--block-others",
            *routing_args(test_ca, (API_HOST, upstream), (TUNNEL_HOST, tunnel_upstream)),
        ]
    )
    sock, status, head = connect_tunnel(p.address, TUNNEL_HOST, 443)
    sock.close()
    assert status == 403
    assert tunnel_upstream.connections == 0
    res = curl("-x", p.url, "--cacert", str(p.ca_path), f"https://{API_HOST}/ok")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["target"] == "/ok"
    res = curl("-x", p.url, "http://plain.test/")
    assert b"block-others" in res.stdout


def test_plain_http_forwarded(proxy: ProxyProcess, plain_upstream: FakeUpstream) -> None:
    res = curl("-x", proxy.url, "-H", "Authorization: Bearer t", "http://plain.test/p?q=1")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["target"] == "/p?q=1"
    assert data["host"] == "plain.test"
    req = plain_upstream.requests[0]
    assert req.header("authorization") == "Bearer t"
    assert req.header("proxy-connection") is None
    # a path to a host that is not intercepted is not masked, so it is not logged at all
    assert proxy.wait_log("host=plain.test path=- mode=http ")


def test_plain_http_to_intercepted_host_uses_the_pipeline(
    proxy: ProxyProcess, plain_upstream: FakeUpstream
) -> None:
    res = curl("-x", proxy.url, "--data-binary", "x", f"http://{API_HOST}/v1/messages")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["body_len"] == 1
    assert proxy.wait_log(f"host={API_HOST} path=/v1/messages mode=http-intercept")


def test_origin_form_request_to_proxy_is_400(proxy: ProxyProcess) -> None:
    with socket.create_connection(proxy.address, timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, body = read_response(sock)
    assert status == 400
    assert b"this is a proxy" in body


def test_bad_upstream_certificate_is_502_and_nothing_forwarded(
    start_proxy: StartProxy, test_ca: TestCA, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rogue = TestCA(tmp_path_factory.mktemp("rogue"), name="rogue CA")
    with FakeUpstream(rogue.issue(API_HOST)) as bad:
        p = start_proxy(routing_args(test_ca, (API_HOST, bad)))
        res = curl(
            "-x",
            p.url,
            "--cacert",
            str(p.ca_path),
            "--data-binary",
            "secret-body",
            f"https://{API_HOST}/v1/messages",
        )
        assert res.returncode == 0, res.stderr
        body = json.loads(res.stdout)
        assert "certificate verification failed" in body["error"]["message"]
        assert bad.requests == []
        assert bad.app_bytes == 0
    assert p.wait_log("status=502")


def test_upstream_refused_is_502(start_proxy: StartProxy, test_ca: TestCA) -> None:
    port = free_port()
    p = start_proxy(
        [
            "--upstream-ca",
            str(test_ca.cert_path),
            "--connect-to",
            f"{API_HOST}:443:127.0.0.1:{port}",
        ]
    )
    res = curl(
        "-x", p.url, "--cacert", str(p.ca_path), "-w", "%{http_code}", f"https://{API_HOST}/"
    )
    assert res.stdout.endswith(b"502")
    assert b"connection refused" in res.stdout
    # A blind tunnel to a refusing upstream fails the CONNECT itself.
    p2 = start_proxy(["--connect-to", f"{TUNNEL_HOST}:443:127.0.0.1:{port}"])
    sock, status, _ = connect_tunnel(p2.address, TUNNEL_HOST, 443)
    sock.close()
    assert status == 502


def test_expect_100_continue(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path)
    with sock:
        sock.sendall(
            f"POST /v1/messages HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: 5\r\n"
            "Expect: 100-continue\r\n\r\n".encode()
        )
        interim = b""
        while b"\r\n\r\n" not in interim:
            interim += sock.recv(1)
        assert interim.startswith(b"HTTP/1.1 100 ")
        sock.sendall(b"hello")
        status, _, body = read_response(sock)
    assert status == 200
    assert json.loads(body)["body_len"] == 5
    assert upstream.requests[0].header("expect") is None


def test_upgrade_is_refused(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path)
    with sock:
        sock.sendall(
            f"GET /ws HTTP/1.1\r\nHost: {API_HOST}\r\nConnection: Upgrade\r\n"
            "Upgrade: websocket\r\n\r\n".encode()
        )
        status, _, body = read_response(sock)
    assert status == 501
    assert b"upgrades" in body
    assert upstream.requests == []


def test_connect_inside_tunnel_is_refused(proxy: ProxyProcess, upstream: FakeUpstream) -> None:
    sock = tls_through_proxy(proxy.address, API_HOST, proxy.ca_path)
    with sock:
        sock.sendall(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
        status, _, _ = read_response(sock)
    assert status == 405
    assert upstream.requests == []


def test_sni_outside_the_name_constraints_fails_the_handshake(proxy: ProxyProcess) -> None:
    sock, status, _ = connect_tunnel(proxy.address, API_HOST, 443)
    assert status == 200
    ctx = ssl.create_default_context(cafile=str(proxy.ca_path))
    with pytest.raises(ssl.SSLError), ctx.wrap_socket(sock, server_hostname="evil.example.com"):
        pass
    sock.close()


def test_client_that_distrusts_the_ca_fails_cleanly(
    proxy: ProxyProcess, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    res = curl("-x", proxy.url, "--cacert", str(test_ca.cert_path), f"https://{API_HOST}/")
    assert res.returncode != 0
    assert upstream.requests == []
    # The proxy keeps serving.
    res = curl("-x", proxy.url, "--cacert", str(proxy.ca_path), f"https://{API_HOST}/")
    assert res.returncode == 0
