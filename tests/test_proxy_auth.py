"""Access control: loopback by default; elsewhere only with Basic proxy authentication."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import API_HOST, StartProxy, routing_args
from support.clients import basic, connect_tunnel, curl
from support.launcher import ProxyProcess
from support.testca import TestCA
from support.upstream import FakeUpstream


@pytest.fixture
def auth_file(tmp_path: Path) -> Path:
    path = tmp_path / "users"
    path.write_text("# proxy users\nalice:s3cret-pass\nbob:hunter22\n")
    path.chmod(0o600)
    return path


def test_non_loopback_without_auth_file_refuses_to_start(start_proxy: StartProxy) -> None:
    p = start_proxy(host="0.0.0.0", wait=False)
    with pytest.raises(RuntimeError) as info:
        p.start()
    assert "refusing to start without proxy authentication" in str(info.value)
    assert p.proc is not None and p.proc.returncode == 1


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o620, 0o604])
def test_an_auth_file_others_or_its_group_can_read_is_refused(
    start_proxy: StartProxy, auth_file: Path, mode: int
) -> None:
    auth_file.chmod(mode)
    p = start_proxy(["--auth-file", str(auth_file)], host="0.0.0.0", wait=False)
    with pytest.raises(RuntimeError) as info:
        p.start()
    assert "chmod 600" in str(info.value)


@pytest.fixture
def authed(
    start_proxy: StartProxy, auth_file: Path, test_ca: TestCA, upstream: FakeUpstream
) -> ProxyProcess:
    return start_proxy(
        ["--auth-file", str(auth_file), *routing_args(test_ca, (API_HOST, upstream))],
        host="0.0.0.0",
    )


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("Proxy-Authorization", basic("alice", "wrong"))],
        [("Proxy-Authorization", basic("mallory", "s3cret-pass"))],
        [("Proxy-Authorization", "Bearer s3cret-pass")],
        [("Proxy-Authorization", "Basic !!!notbase64")],
    ],
    ids=["missing", "wrong-password", "unknown-user", "wrong-scheme", "garbage"],
)
def test_connect_without_valid_credentials_is_407(
    authed: ProxyProcess, upstream: FakeUpstream, headers: list[tuple[str, str]]
) -> None:
    sock, status, head = connect_tunnel(authed.address, API_HOST, 443, headers=headers)
    sock.close()
    assert status == 407
    assert b'proxy-authenticate: Basic realm="maskproxy"' in head.lower().replace(
        b"basic", b"Basic"
    )
    assert upstream.connections == 0


def test_credentials_let_requests_through(authed: ProxyProcess, upstream: FakeUpstream) -> None:
    url = f"http://alice:s3cret-pass@127.0.0.1:{authed.port}"
    res = curl("-x", url, "--cacert", str(authed.ca_path), f"https://{API_HOST}/in")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["target"] == "/in"
    # The credentials are for the proxy only: never forwarded, never logged.
    assert upstream.requests[0].header("proxy-authorization") is None
    assert "s3cret" not in authed.log()
    res = curl("-x", f"http://127.0.0.1:{authed.port}", "http://plain.test/")
    assert b"proxy authentication required" in res.stdout
