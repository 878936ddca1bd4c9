"""Messages that point the right way, and no traceback: each test drives the real command."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import API_HOST, StartProxy
from support.clients import curl
from support.launcher import REPO, ProxyProcess, clean_env, run_cli
from support.testca import TestCA
from support.upstream import FakeUpstream


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path / "state", {"XDG_STATE_HOME": str(tmp_path / "xdg-state")})


def test_unknown_type_names_maskproxy_types(tmp_path: Path, env: dict[str, str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[masking]\ndisable = ['no_such_type']\n")
    res = run_cli("scan", "--config", str(cfg), env=env, input=b"x")
    assert res.returncode == 2
    assert "`maskproxy types` lists them" in res.stderr
    assert "--list-types" not in res.stderr


@pytest.mark.parametrize("command", ["mask", "scan"])
def test_missing_config_is_a_message_not_a_traceback(
    command: str, tmp_path: Path, env: dict[str, str]
) -> None:
    res = run_cli(command, "--config", str(tmp_path / "nope.toml"), env=env, input=b"x")
    assert "Traceback" not in res.stderr
    assert f"config {tmp_path / 'nope.toml'}: No such file or directory" in res.stderr
    assert res.returncode == 2  # for scan, 1 would mean "found something"


def test_scan_exit_codes(tmp_path: Path, env: dict[str, str]) -> None:
    assert run_cli("scan", env=env, input=b"nothing here").returncode == 0
    assert run_cli("scan", env=env, input=b"id i-0123456789abcdef0").returncode == 1
    assert run_cli("scan", str(tmp_path / "absent"), env=env).returncode == 2


def test_unwritable_map_out_fails_before_any_output(tmp_path: Path, env: dict[str, str]) -> None:
    res = run_cli(
        "mask", "--state-dir", str(tmp_path / "k"), "--map-out", str(tmp_path / "no" / "map.json"),
        env=env, input=b"instance i-0123456789abcdef0",
    )  # fmt: skip
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "cannot write the map to" in res.stderr
    assert res.stdout == ""


@pytest.mark.parametrize(
    "command", [["types"], ["scan", "BIG"], ["mask", "--state-dir", "KEYS", "BIG"]]
)
def test_a_closed_pipe_is_not_an_error(
    command: list[str], tmp_path: Path, env: dict[str, str]
) -> None:
    big = tmp_path / "big.txt"
    big.write_text("i-0123456789abcdef0 10.1.2.3\n" * 100_000)
    argv = [str(big) if a == "BIG" else str(tmp_path / "k") if a == "KEYS" else a for a in command]
    command_line = f"{sys.executable} -m proxy {' '.join(argv)}"
    script = f"{command_line} | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}"
    res = subprocess.run(
        ["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in res.stderr
    assert "BrokenPipe" not in res.stderr
    assert res.stdout.strip() in ("0", "1")  # scan: 1 = found


def test_regenerate_hint_names_the_flags_and_does_not_loop(
    tmp_path: Path, env: dict[str, str]
) -> None:
    state = tmp_path / "s"
    assert run_cli("ca", "--state-dir", str(state), env=env).returncode == 0
    flags = ["--state-dir", str(state), "--intercept", "api.example.org"]
    res = run_cli("check", *flags, env=env)
    assert res.returncode == 1
    hint = re.search(r"`(maskproxy ca --regenerate[^`]*)`", res.stdout)
    assert hint is not None, res.stdout
    assert "--intercept api.example.org" in hint.group(1)
    # The command the hint gives is the one that fixes it (the default list would loop).
    argv = hint.group(1).split()[1:]
    res = run_cli(*argv, env=env)
    assert res.returncode == 0, res.stderr
    assert "A running proxy keeps the old CA until it is reloaded" in res.stderr
    assert run_cli("check", *flags, env=env).returncode == 0


def test_regenerate_hint_names_the_config_file(tmp_path: Path, env: dict[str, str]) -> None:
    state = tmp_path / "s"
    assert run_cli("ca", "--state-dir", str(state), env=env).returncode == 0
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[proxy]\nintercept = ["api.example.org"]\nstate_dir = "{state}"\n')
    res = run_cli("run", "--config", str(cfg), "--listen", "127.0.0.1:0", env=env)
    assert res.returncode == 1
    assert f"maskproxy ca --regenerate --config {cfg}" in res.stderr
    res = run_cli("ca", "--regenerate", "--config", str(cfg), env=env)
    assert res.returncode == 0
    assert "for api.example.org" in res.stderr


def test_check_fails_on_a_corrupt_masking_key(tmp_path: Path, env: dict[str, str]) -> None:
    state = tmp_path / "s"
    state.mkdir()
    key = state / "masking.key"
    key.write_text("not hex at all\n")
    key.chmod(0o600)
    res = run_cli("check", "--state-dir", str(state), "--listen", "127.0.0.1:0", env=env)
    assert res.returncode == 1
    assert "FAIL  masking key:" in res.stdout
    # run fails on the same file: check caught what run would fail on.
    res = run_cli("run", "--state-dir", str(state), "--listen", "127.0.0.1:0", env=env)
    assert res.returncode == 1


def test_check_fails_when_the_port_is_taken(tmp_path: Path, env: dict[str, str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        res = run_cli(
            "check", "--state-dir", str(tmp_path / "s"), "--listen", f"127.0.0.1:{port}", env=env
        )
    assert res.returncode == 1
    assert f"FAIL  listen 127.0.0.1:{port}: Address already in use" in res.stdout
    assert "maskproxy status" in res.stdout


def test_debug_log_level_describes_the_configuration(tmp_path: Path, env: dict[str, str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[masking]\nterms = ['Project Nightjar']\n")
    p = ProxyProcess(
        ["--config", str(cfg), "--log-level", "debug"],
        state_dir=tmp_path / "s",
        log_path=tmp_path / "run.log",
        env=env,
    )
    p.start()
    try:
        assert p.wait_log("listening on")
    finally:
        p.stop()
    log = p.log()
    assert "DEBUG config: file=" in log
    assert "mode=forward:api.anthropic.com" in log
    assert "masking: 1 user terms" in log
    assert "Nightjar" not in log  # never a value


def test_log_lines_carry_protocol_and_timezone(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    proxy = start_proxy(
        ["--upstream-ca", str(test_ca.cert_path), "--log-level", "debug",
         "--connect-to", f"{API_HOST}:443:127.0.0.1:{upstream.port}"]
    )  # fmt: skip
    for flag in ("--http1.1", "--http2"):
        res = curl("-x", proxy.url, "--cacert", str(proxy.ca_path), flag, "-d", "{}",
                   f"https://{API_HOST}/v1/messages")  # fmt: skip
        assert res.returncode == 0, res.stderr
    assert proxy.wait_log("proto=h2")
    assert "DEBUG client TLS for api.anthropic.com: TLSv1.3, h2, handshake" in proxy.log()
    lines = [line for line in proxy.log().splitlines() if " exchange " in line]
    assert any("proto=http/1.1" in line for line in lines)
    # ISO 8601 with milliseconds and the UTC offset.
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d ", x) for x in lines)


def test_failed_client_handshake_hints_at_the_ca(
    start_proxy: StartProxy, test_ca: TestCA, upstream: FakeUpstream
) -> None:
    proxy = start_proxy(
        ["--upstream-ca", str(test_ca.cert_path),
         "--connect-to", f"{API_HOST}:443:127.0.0.1:{upstream.port}"]
    )  # fmt: skip
    # curl without maskproxy's CA refuses the leaf, as Claude Code would without the env.
    res = curl("-x", proxy.url, "--cacert", str(test_ca.cert_path), f"https://{API_HOST}/")
    assert res.returncode != 0
    assert proxy.wait_log("TLS handshake with client")
    assert "does not trust maskproxy's CA" in proxy.log()
    assert str(proxy.ca_path) in proxy.log()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_check_fails_on_a_state_dir_run_could_not_write(
    tmp_path: Path, env: dict[str, str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    res = run_cli("check", "--state-dir", str(locked / "s"), "--listen", "127.0.0.1:0", env=env)
    assert res.returncode == 1
    assert "is not writable" in res.stdout
