"""The maskproxy command line: help, version, env, ca, check and config-file precedence."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from support.launcher import ProxyProcess, clean_env, run_cli

from proxy.cli import main


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # No CA file or no-proxy list of the machine's own: the lines below are exact.
    blank = dict.fromkeys(("NODE_EXTRA_CA_CERTS", "NO_PROXY", "no_proxy"), "")
    return clean_env(tmp_path / "state", blank)


@pytest.mark.parametrize("command", ["run", "ca", "env", "check", "mask", "unmask", "scan"])
def test_help_for_each_subcommand(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    # In-process: --help must not need anything but the parser.
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert f"usage: maskproxy {command}" in capsys.readouterr().out


def test_run_help_lists_the_stable_flags(env: dict[str, str]) -> None:
    out = run_cli("run", "--help", env=env).stdout
    for flag in (
        "--listen", "--intercept", "--block-others", "--gateway", "--auth-file",
        "--upstream-ca", "--connect-to", "--max-header-bytes", "--max-body-bytes",
        "--connect-timeout", "--read-timeout", "--idle-timeout", "--max-connections",
        "--config", "--state-dir", "--log-level", "--log-format",
    ):  # fmt: skip
        assert flag in out


def test_version_and_no_command(env: dict[str, str]) -> None:
    res = run_cli("--version", env=env)
    assert res.returncode == 0
    assert res.stdout.startswith("maskproxy ")
    assert run_cli(env=env).returncode == 2


def test_env_forward_mode(tmp_path: Path, env: dict[str, str]) -> None:
    state = tmp_path / "state"
    res = run_cli("env", "--state-dir", str(state), "--listen", "127.0.0.1:9123", env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "export HTTPS_PROXY=http://127.0.0.1:9123",
        "export https_proxy=http://127.0.0.1:9123",
        "export HTTP_PROXY=http://127.0.0.1:9123",
        "export http_proxy=http://127.0.0.1:9123",
        f"export NODE_EXTRA_CA_CERTS={state / 'ca.pem'}",
        "export CLAUDE_CODE_ATTRIBUTION_HEADER=0",
    ]
    assert (state / "ca.pem").is_file()


def test_env_gateway_mode(tmp_path: Path, env: dict[str, str]) -> None:
    res = run_cli(
        "env", "--state-dir", str(tmp_path / "s"), "--gateway", "https://api.anthropic.com",
        env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == [
        "export ANTHROPIC_BASE_URL=http://127.0.0.1:8788",
        "export CLAUDE_CODE_ATTRIBUTION_HEADER=0",
    ]


def test_config_file_and_flag_precedence(tmp_path: Path, env: dict[str, str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[proxy]\nlisten = "127.0.0.1:9555"\nintercept = ["api.anthropic.com"]\n'
        f'state_dir = "{tmp_path / "fromfile"}"\n'
        "[limits]\nread_timeout = 12.5\n[masking]\nterms = ['Project Falcon']\n"
    )
    res = run_cli("env", "--config", str(cfg), env=env)
    assert res.returncode == 0, res.stderr
    assert "export HTTPS_PROXY=http://127.0.0.1:9555" in res.stdout
    assert str(tmp_path / "fromfile" / "ca.pem") in res.stdout
    res = run_cli("env", "--config", str(cfg), "--listen", "127.0.0.1:9666", env=env)
    assert "export HTTPS_PROXY=http://127.0.0.1:9666" in res.stdout
    # The default location is used when --config is not given.
    xdg = Path(env["XDG_CONFIG_HOME"]) / "maskproxy"
    xdg.mkdir(parents=True)
    (xdg / "config.toml").write_text(cfg.read_text())
    res = run_cli("env", env=env)
    assert "export HTTPS_PROXY=http://127.0.0.1:9555" in res.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[proxy]\nlisten_port = 1\n", "unknown key 'listen_port'"),
        ("[limitz]\n", "unknown section [limitz]"),
        ("[limits]\nread_timeout = true\n", "got a boolean"),
        ("[proxy]\nintercept = ['https://x']\n", "intercept 'https://x'"),
        ("[proxy]\ngateway = 'http://plain'\n", "must be an https:// URL"),
        ("not toml = = \n", "config"),
        ("[masking]\nbogus = 1\n", "masking rules: [masking]: unknown key(s) bogus"),
    ],
)
def test_check_rejects_bad_config(
    tmp_path: Path, env: dict[str, str], text: str, message: str
) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    res = run_cli("check", "--config", str(cfg), "--state-dir", str(tmp_path / "s"), env=env)
    assert res.returncode == 1
    assert message in res.stdout


def test_missing_config_file_is_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    res = run_cli("check", "--config", str(tmp_path / "nope.toml"), env=env)
    assert res.returncode == 1
    assert "nope.toml" in res.stdout


def test_check_on_a_fresh_machine(tmp_path: Path, env: dict[str, str]) -> None:
    res = run_cli("check", "--state-dir", str(tmp_path / "s"), env=env)
    assert res.returncode == 0, res.stdout
    assert "none yet" in res.stdout
    assert not (tmp_path / "s").exists()  # check creates nothing


def test_ca_created_with_private_key(tmp_path: Path, env: dict[str, str]) -> None:
    state = tmp_path / "s"
    res = run_cli("ca", "--state-dir", str(state), env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(state / "ca.pem")
    key = state / "ca-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    pem = run_cli("ca", "--state-dir", str(state), "--pem", env=env).stdout
    assert pem == (state / "ca.pem").read_text()
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    res = run_cli("check", "--state-dir", str(state), env=env)
    assert res.returncode == 0, res.stdout
    assert "permits api.anthropic.com" in res.stdout


def test_constraint_violation_refuses_with_regenerate_hint(
    tmp_path: Path, env: dict[str, str]
) -> None:
    state = tmp_path / "s"
    assert run_cli("ca", "--state-dir", str(state), env=env).returncode == 0
    other = ["--state-dir", str(state), "--intercept", "api.example.org"]
    res = run_cli("check", *other, env=env)
    assert res.returncode == 1
    assert "maskproxy ca --regenerate" in res.stdout
    p = ProxyProcess(other, state_dir=state, log_path=tmp_path / "run.log", env=env)
    with pytest.raises(RuntimeError) as info:
        p.start()
    assert "maskproxy ca --regenerate" in str(info.value)
    res = run_cli("ca", "--regenerate", *other, env=env)
    assert res.returncode == 0, res.stderr
    res = run_cli("check", *other, env=env)
    assert res.returncode == 0, res.stdout
    assert "permits api.example.org" in res.stdout


def test_run_fails_clearly_when_the_port_is_taken(tmp_path: Path, env: dict[str, str]) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        res = run_cli(
            "run", "--listen", f"127.0.0.1:{port}", "--state-dir", str(tmp_path / "s"), env=env
        )
    assert res.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in res.stderr


def test_env_with_auth_and_wildcard_listen(tmp_path: Path, env: dict[str, str]) -> None:
    users = tmp_path / "users"
    users.write_text("u:p\n")
    users.chmod(0o600)
    res = run_cli(
        "env", "--state-dir", str(tmp_path / "s"), "--listen", "0.0.0.0:9100",
        "--auth-file", str(users), env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert "proxy authentication is on: put USER:PASSWORD@" in res.stderr
    assert "export HTTPS_PROXY=http://127.0.0.1:9100" in lines
    assert "u:p" not in res.stdout + res.stderr
