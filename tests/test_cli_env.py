"""`maskproxy env`: the real output, evaluated by bash, leaves an environment that nothing
(a lower-case variable, a NO_PROXY entry, a corporate CA) can route around maskproxy."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from support.launcher import REPO, ProxyProcess, clean_env
from support.testca import TestCA

from proxy.envwire import entry_covers, route_for

PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def eval_env(
    args: list[str], env: dict[str, str], cwd: Path, before: str = ""
) -> tuple[dict[str, str], subprocess.CompletedProcess[str]]:
    """Run ``eval "$(maskproxy env ARGS)"`` in bash and return the environment it leaves."""
    command = " ".join(f"'{a}'" for a in args)
    script = (
        f'{before}\nout="$({sys.executable} -m proxy env {command})" || exit 3\n'
        'eval "$out" || exit 4\nenv -0'
    )
    res = subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    result = dict(item.split("=", 1) for item in res.stdout.split("\0") if "=" in item)
    return result, res


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    env = clean_env(tmp_path / "state")
    for name in (*PROXY_VARS, "NO_PROXY", "no_proxy", "NODE_EXTRA_CA_CERTS"):
        env.pop(name, None)
    env["XDG_STATE_HOME"] = str(tmp_path / "xdg-state")
    env["MASKPROXY_RUNTIME_DIR"] = str(tmp_path / "no-service")
    env["PYTHONPATH"] = str(REPO)
    return env


def test_every_proxy_variable_points_at_maskproxy(tmp_path: Path, base_env: dict[str, str]) -> None:
    base_env["https_proxy"] = "http://corp.example:3128"
    base_env["HTTP_PROXY"] = "http://corp.example:3128"
    result, _ = eval_env(["--state-dir", "s", "--listen", "127.0.0.1:9123"], base_env, tmp_path)
    for name in PROXY_VARS:
        assert result[name] == "http://127.0.0.1:9123", name
    route = route_for("api.anthropic.com", result)
    assert not route.direct
    assert route.proxy_url == "http://127.0.0.1:9123"
    # The relative --state-dir is printed absolute: the line works from any directory.
    ca = Path(result["NODE_EXTRA_CA_CERTS"])
    assert ca.is_absolute()
    assert ca == tmp_path / "s" / "ca.pem"


def test_no_proxy_loses_only_the_entries_that_bypass(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    base_env["NO_PROXY"] = "localhost,.anthropic.com,10.0.0.0/8"
    base_env["no_proxy"] = "anthropic.com *,internal.example,api.anthropic.com:443,localhost"
    before = route_for("api.anthropic.com", {**base_env, "HTTPS_PROXY": "http://x:1"})
    assert before.direct  # what the issue describes: masking bypassed
    result, res = eval_env(["--state-dir", str(tmp_path / "s")], base_env, tmp_path)
    expected = "localhost,10.0.0.0/8,internal.example"
    assert result["NO_PROXY"] == expected
    assert result["no_proxy"] == expected
    assert not route_for("api.anthropic.com", result).direct
    assert "left out: .anthropic.com" in res.stderr


def test_no_proxy_made_only_of_bypassing_entries_is_unset(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    base_env["no_proxy"] = "*"
    result, _ = eval_env(["--state-dir", str(tmp_path / "s")], base_env, tmp_path)
    assert "no_proxy" not in result and "NO_PROXY" not in result


@pytest.mark.parametrize(
    ("entry", "pattern", "covers"),
    [
        ("*", "api.anthropic.com", True),
        ("anthropic.com", "api.anthropic.com", True),
        (".anthropic.com", "api.anthropic.com", True),
        ("*.anthropic.com", "api.anthropic.com", True),
        ("API.Anthropic.com:443", "api.anthropic.com", True),
        ("openai.com", "api.anthropic.com", False),
        ("notanthropic.com", "api.anthropic.com", False),
        ("a.example.com", "*.example.com", True),
        ("example.com", "*.example.com", True),
        ("example.org", "*.example.com", False),
    ],
)
def test_entry_covers(entry: str, pattern: str, covers: bool) -> None:
    assert entry_covers(entry, pattern) is covers


def test_a_corporate_ca_is_kept_in_a_bundle(
    tmp_path: Path, base_env: dict[str, str], test_ca: TestCA
) -> None:
    corporate = tmp_path / "corporate.pem"
    corporate.write_bytes(test_ca.cert_path.read_bytes())
    base_env["NODE_EXTRA_CA_CERTS"] = str(corporate)
    state = tmp_path / "s"
    result, _ = eval_env(["--state-dir", str(state)], base_env, tmp_path)
    bundle = Path(result["NODE_EXTRA_CA_CERTS"])
    assert bundle.parent == state and bundle.name.startswith("ca-bundle-")
    data = bundle.read_bytes()
    assert corporate.read_bytes() in data
    assert (state / "ca.pem").read_bytes() in data
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o644
    # Node (the runtime Claude Code uses) reads both certificates from it.
    node = "node" if subprocess.run(["which", "node"], capture_output=True).returncode == 0 else ""
    if node:
        count = subprocess.run(
            [
                node,
                "-e",
                "const t=require('fs').readFileSync(process.argv[1],'utf8');"
                "console.log(t.split('-----BEGIN CERTIFICATE-----').length-1)",
                str(bundle),
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
        assert count == "2"

    # Running env again in the same shell keeps the corporate CA (the bundle knows its source),
    # and a changed corporate file rebuilds the bundle.
    again, _ = eval_env(
        ["--state-dir", str(state)], {**base_env, "NODE_EXTRA_CA_CERTS": str(bundle)}, tmp_path
    )
    assert again["NODE_EXTRA_CA_CERTS"] == str(bundle)
    other = TestCA(tmp_path / "other", name="another corporate CA")
    corporate.write_bytes(other.cert_path.read_bytes())
    eval_env(["--state-dir", str(state)], base_env, tmp_path)
    assert other.cert_path.read_bytes() in bundle.read_bytes()
    assert test_ca.cert_path.read_bytes() not in bundle.read_bytes()


def test_output_is_eval_safe(tmp_path: Path, base_env: dict[str, str]) -> None:
    hostile = "a'b;touch${IFS}pwned,$(touch${IFS}pwned2)"
    base_env["NO_PROXY"] = hostile
    result, _ = eval_env(["--state-dir", str(tmp_path / "s d")], base_env, tmp_path)
    assert result["NO_PROXY"] == hostile
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert result["NODE_EXTRA_CA_CERTS"] == str(tmp_path / "s d" / "ca.pem")


def test_gateway_auth_hint_has_no_credentials_in_the_url(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    users = tmp_path / "users"
    users.write_text("u:p\n")
    users.chmod(0o600)
    result, res = eval_env(
        ["--gateway", "https://api.anthropic.com", "--auth-file", str(users),
         "--state-dir", str(tmp_path / "s")],
        base_env,
        tmp_path,
    )  # fmt: skip
    assert result["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:8788"
    assert "USER:PASSWORD@" not in res.stdout + res.stderr
    assert "ANTHROPIC_CUSTOM_HEADERS" in res.stderr
    assert "u:p" not in res.stdout + res.stderr


def test_a_running_service_is_wired_to(tmp_path: Path, base_env: dict[str, str]) -> None:
    """Under a service, env names the service's CA and port, not a CA of its own."""
    runtime = tmp_path / "run"
    runtime.mkdir()
    service_state = tmp_path / "service-state"
    service = ProxyProcess(
        [],
        state_dir=service_state,
        log_path=tmp_path / "service.log",
        env={"RUNTIME_DIRECTORY": str(runtime)},
    )
    service.start()
    try:
        assert service.wait_log("listening on")
        env = {**base_env, "MASKPROXY_RUNTIME_DIR": str(runtime)}
        result, res = eval_env([], env, tmp_path)
        assert "running maskproxy" in res.stderr
        assert result["HTTPS_PROXY"] == f"http://127.0.0.1:{service.port}"
        assert result["NODE_EXTRA_CA_CERTS"] == str(runtime / "ca.pem")
        assert (runtime / "ca.pem").read_bytes() == (service_state / "ca.pem").read_bytes()
        # No personal CA was made on the side.
        assert not (Path(base_env["XDG_STATE_HOME"]) / "maskproxy" / "ca.pem").exists()
        # check looks at the service's state, not at a state dir of its own.
        res = subprocess.run(
            [sys.executable, "-m", "proxy", "check"], env=env, capture_output=True, text=True
        )
        assert res.returncode == 0, res.stdout
        assert f"checking its state in {service_state}" in res.stdout
        # ca prints the certificate the service published.
        res = subprocess.run(
            [sys.executable, "-m", "proxy", "ca"], env=env, capture_output=True, text=True
        )
        assert res.stdout.strip() == str(runtime / "ca.pem")
    finally:
        service.stop()
    # Once the service is gone, env wires to the personal configuration again.
    result, res = eval_env([], {**base_env, "MASKPROXY_RUNTIME_DIR": str(runtime)}, tmp_path)
    assert "running maskproxy" not in res.stderr
    assert result["HTTPS_PROXY"] == "http://127.0.0.1:8788"


def test_env_keeps_working_without_bash_specifics(tmp_path: Path, base_env: dict[str, str]) -> None:
    # POSIX sh evaluates the same lines.
    res = subprocess.run(
        [
            "sh",
            "-c",
            f'eval "$({sys.executable} -m proxy env --state-dir s)" && echo "$https_proxy"',
        ],
        cwd=tmp_path,
        env=base_env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "http://127.0.0.1:8788"
    assert os.path.isfile(tmp_path / "s" / "ca.pem")


def test_an_unreadable_extra_ca_file_is_named_and_left_out(
    tmp_path: Path, base_env: dict[str, str]
) -> None:
    base_env["NODE_EXTRA_CA_CERTS"] = str(tmp_path / "gone.pem")
    result, res = eval_env(["--state-dir", str(tmp_path / "s")], base_env, tmp_path)
    assert result["NODE_EXTRA_CA_CERTS"] == str(tmp_path / "s" / "ca.pem")
    assert "gone.pem cannot be read" in res.stderr
