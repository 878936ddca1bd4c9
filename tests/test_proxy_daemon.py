"""Daemon behaviour: sd_notify, SIGHUP reload without dropping connections, graceful stop,
journald-style logs, and log hygiene."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import ssl
from pathlib import Path

import pytest
from conftest import API_HOST, TUNNEL_HOST, StartProxy, routing_args
from support.clients import connect_tunnel, curl
from support.testca import TestCA
from support.upstream import FakeUpstream

WAIT = 15.0


def _recv_until(sock: socket.socket, wanted: str) -> list[str]:
    messages = []
    while True:
        data = sock.recv(4096).decode()
        messages.append(data)
        if wanted in data.split("\n"):
            return messages


def test_sd_notify_ready_reloading_stopping(
    start_proxy: StartProxy, tmp_path: Path, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(path)
        notify.settimeout(WAIT)
        p = start_proxy(routing_args(test_ca, (API_HOST, upstream)), env={"NOTIFY_SOCKET": path})
        assert any("READY=1" in m for m in _recv_until(notify, "READY=1"))
        p.signal(signal.SIGHUP)
        got = _recv_until(notify, "READY=1")
        assert "RELOADING=1" in got[0]
        assert "MONOTONIC_USEC=" in got[0]
        p.signal(signal.SIGTERM)
        _recv_until(notify, "STOPPING=1")
        assert p.proc is not None
        assert p.proc.wait(WAIT) == 0


def test_sighup_reload_keeps_open_connections(
    start_proxy: StartProxy,
    tmp_path: Path,
    test_ca: TestCA,
    upstream: FakeUpstream,
    tunnel_upstream: FakeUpstream,
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[proxy]\nblock_others = false\n")
    p = start_proxy(
        [
            "--config", str(cfg),
            *routing_args(test_ca, (API_HOST, upstream), (TUNNEL_HOST, tunnel_upstream)),
        ]
    )  # fmt: skip
    ctx = ssl.create_default_context(cafile=str(p.ca_path))
    conn = http.client.HTTPSConnection(*p.address, context=ctx, timeout=WAIT)
    conn.set_tunnel(API_HOST, 443)
    conn.request("GET", "/before")
    assert conn.getresponse().read()
    sock, status, _ = connect_tunnel(p.address, TUNNEL_HOST, 443)
    sock.close()
    assert status == 200

    cfg.write_text("[proxy]\nblock_others = true\n")
    p.signal(signal.SIGHUP)
    assert p.wait_log("reloaded configuration")

    # The open keep-alive connection still works (on the configuration it started with)...
    first_sock = conn.sock
    conn.request("GET", "/after")
    resp = conn.getresponse()
    assert resp.status == 200
    assert json.loads(resp.read())["target"] == "/after"
    assert conn.sock is first_sock
    conn.close()
    # ...and new connections get the new one.
    sock, status, _ = connect_tunnel(p.address, TUNNEL_HOST, 443)
    sock.close()
    assert status == 403


def test_failed_reload_keeps_running(
    start_proxy: StartProxy, tmp_path: Path, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[proxy]\nintercept = ["api.anthropic.com"]\n')
    p = start_proxy(["--config", str(cfg), *routing_args(test_ca, (API_HOST, upstream))])
    # A name outside the CA's constraints cannot be loaded without regenerating the CA.
    cfg.write_text('[proxy]\nintercept = ["api.example.org"]\n')
    p.signal(signal.SIGHUP)
    assert p.wait_log("reload failed, keeping the running configuration")
    assert "maskproxy ca --regenerate" in p.log()
    res = curl("-x", p.url, "--cacert", str(p.ca_path), f"https://{API_HOST}/still")
    assert res.returncode == 0, res.stderr


def test_journald_format_and_log_hygiene(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    p = start_proxy(routing_args(test_ca, (API_HOST, upstream)), env={"JOURNAL_STREAM": "8:12345"})
    res = curl(
        "-x", p.url, "--cacert", str(p.ca_path),
        "-H", "x-api-key: sk-ant-api03-SECRETKEY", "-H", "Authorization: Bearer TOKENVALUE",
        "--data-binary", "body-secret-value",
        f"https://{API_HOST}/v1/messages?key=QUERYSECRET&beta=true",
    )  # fmt: skip
    assert res.returncode == 0
    assert p.wait_log("method=POST")
    log = p.log()
    lines = [line for line in log.splitlines() if line]
    assert all(line.startswith("<") for line in lines), lines
    exchange = next(line for line in lines if "method=POST" in line)
    assert exchange.startswith("<6>exchange method=POST host=api.anthropic.com")
    assert "path=/v1/messages?key&beta" in exchange
    assert "status=200" in exchange and "up=17" in exchange
    for secret in ("SECRETKEY", "TOKENVALUE", "body-secret-value", "QUERYSECRET"):
        assert secret not in log


def test_json_log_format(start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream) -> None:
    p = start_proxy(["--log-format", "json", *routing_args(test_ca, (API_HOST, upstream))])
    assert curl("-x", p.url, "--cacert", str(p.ca_path), f"https://{API_HOST}/j").returncode == 0
    assert p.wait_log('"method":"GET"')
    line = next(x for x in p.log().splitlines() if '"method":"GET"' in x)
    record = json.loads(line)
    assert record["msg"] == "exchange"
    assert record["status"] == 200
    assert record["masked"] == {}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_graceful_stop_exits_zero(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream, sig: int
) -> None:
    p = start_proxy(routing_args(test_ca, (API_HOST, upstream)))
    # An idle keep-alive connection must not hold the stop up.
    ctx = ssl.create_default_context(cafile=str(p.ca_path))
    conn = http.client.HTTPSConnection(*p.address, context=ctx, timeout=WAIT)
    conn.set_tunnel(API_HOST, 443)
    conn.request("GET", "/")
    conn.getresponse().read()
    p.signal(sig)
    assert p.proc is not None
    assert p.proc.wait(WAIT) == 0
    conn.close()


def test_changing_the_intercept_list_under_the_service(
    start_proxy: StartProxy, tmp_path: Path, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    """The README's steps: edit the list, reload; a list the CA does not cover needs
    `ca --regenerate` (with the service's state dir) and another reload. daemon.json follows."""
    import os
    import subprocess
    import sys
    import time

    runtime = tmp_path / "run"
    runtime.mkdir()
    cfg = tmp_path / "config.toml"
    cfg.write_text('[proxy]\nintercept = ["api.anthropic.com", "other.anthropic.com"]\n')
    p = start_proxy(
        ["--config", str(cfg), *routing_args(test_ca, (API_HOST, upstream))],
        env={"RUNTIME_DIRECTORY": str(runtime)},  # as systemd's RuntimeDirectory= sets it
    )

    def published() -> list[str]:
        return json.loads((runtime / "daemon.json").read_text())["intercept"]

    assert published() == ["api.anthropic.com", "other.anthropic.com"]
    cfg.write_text('[proxy]\nintercept = ["api.anthropic.com"]\n')
    p.signal(signal.SIGHUP)
    assert p.wait_log("reloaded configuration: intercepting api.anthropic.com\n")
    assert published() == ["api.anthropic.com"]
    # Widening past the CA's constraints: refused, then regenerate with the service's state.
    cfg.write_text('[proxy]\nintercept = ["api.anthropic.com", "api.example.org"]\n')
    p.signal(signal.SIGHUP)
    assert p.wait_log("reload failed")
    env = {**os.environ, "MASKPROXY_RUNTIME_DIR": str(runtime)}
    env.pop("XDG_CONFIG_HOME", None)
    res = subprocess.run(
        [sys.executable, "-m", "proxy", "ca", "--regenerate"], env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert str(p.state_dir / "ca.pem") in res.stdout  # the service's state dir, found
    p.signal(signal.SIGHUP)
    deadline = time.monotonic() + WAIT
    while published() != ["api.anthropic.com", "api.example.org"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert published() == ["api.anthropic.com", "api.example.org"]
    assert (runtime / "ca.pem").read_bytes() == (p.state_dir / "ca.pem").read_bytes()
