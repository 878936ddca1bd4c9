"""The unit files: verified by systemd-analyze where it is installed, and checked for the
settings the daemon relies on."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[1] / "systemd"
ANALYZE = shutil.which("systemd-analyze") or ""


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser


def _with_local_binary(name: str, tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this checkout's maskproxy (verify checks it exists)."""
    exe = Path(sys.executable).with_name("maskproxy")
    if not exe.exists():
        pytest.skip("maskproxy console script not installed next to the interpreter")
    text = (UNITS / name).read_text()
    text = re.sub(r"^ExecStart=\S+", f"ExecStart={exe}", text, flags=re.M)
    out = tmp_path / name
    out.write_text(text)
    return out


@pytest.mark.parametrize("name", ["maskproxy.service", "maskproxy-user.service"])
def test_units_declare_notify_and_reload(name: str) -> None:
    service = _unit(name)["Service"]
    assert service["Type"] == "notify"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["StateDirectory"] == "maskproxy"
    assert service["ExecStart"].endswith("maskproxy run")


@pytest.mark.parametrize("name", ["maskproxy.service", "maskproxy-user.service"])
def test_units_set_a_descriptor_limit(name: str) -> None:
    """Both units raise RLIMIT_NOFILE (the proxy cannot: @resources is filtered): two
    descriptors per connection for the default --max-connections, with room to spare."""
    service = _unit(name)["Service"]
    assert "LimitNOFILE" in service, "no LimitNOFILE="
    soft = service["LimitNOFILE"].split(":")[0]
    assert soft == "infinity" or int(soft) >= 2 * 1024 + 64, soft


def test_system_unit_hardening() -> None:
    service = _unit("maskproxy.service")["Service"]
    expected = {
        "DynamicUser": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "MemoryDenyWriteExecute": "yes",
        "LockPersonality": "yes",
        "RestrictNamespaces": "yes",
        "RestrictRealtime": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes",
        "ProtectClock": "yes",
        "ProtectHostname": "yes",
        "ProtectProc": "invisible",
        "ProcSubset": "pid",
        "UMask": "0077",
    }
    for key, value in expected.items():
        assert service.get(key) == value, key


@pytest.mark.skipif(not ANALYZE, reason="systemd-analyze is not installed")
def test_system_unit_verifies(tmp_path: Path) -> None:
    unit = _with_local_binary("maskproxy.service", tmp_path)
    res = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "maskproxy.service" not in res.stderr, res.stderr


@pytest.mark.skipif(not ANALYZE, reason="systemd-analyze is not installed")
def test_user_unit_verifies(tmp_path: Path) -> None:
    unit = _with_local_binary("maskproxy-user.service", tmp_path)
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    res = subprocess.run(
        [ANALYZE, "--user", "verify", str(unit)], capture_output=True, text=True, env=env
    )
    assert res.returncode == 0, res.stderr
    assert "maskproxy-user.service" not in res.stderr, res.stderr


@pytest.mark.skipif(not ANALYZE, reason="systemd-analyze is not installed")
def test_system_unit_exposure_is_low() -> None:
    res = subprocess.run(
        [ANALYZE, "security", "--offline=true", str(UNITS / "maskproxy.service")],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0 and "offline" in res.stderr:
        pytest.skip("this systemd-analyze cannot analyse offline")
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", res.stdout)
    assert match, res.stdout + res.stderr
    assert float(match.group(1)) <= 2.0


@pytest.mark.parametrize("name", ["maskproxy.service", "maskproxy-user.service"])
def test_units_have_a_runtime_directory(name: str) -> None:
    """Where the service publishes daemon.json and ca.pem for env, check and status."""
    assert _unit(name)["Service"]["RuntimeDirectory"] == "maskproxy"


DROP_IN = """
[Service]
LoadCredential=auth:/etc/maskproxy/users
ExecStart=
ExecStart={exe} run --auth-file %d/auth
"""


@pytest.mark.skipif(not ANALYZE, reason="systemd-analyze is not installed")
def test_system_unit_with_the_readme_credential_drop_in_verifies(tmp_path: Path) -> None:
    unit = _with_local_binary("maskproxy.service", tmp_path)
    exe = Path(sys.executable).with_name("maskproxy")
    unit.write_text(unit.read_text() + DROP_IN.format(exe=exe))
    res = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "maskproxy.service" not in res.stderr, res.stderr


def test_readme_systemd_section_matches_the_units() -> None:
    readme = (UNITS.parent / "README.md").read_text()
    section = readme[readme.index("## systemd") : readme.index("## Security notes")]
    assert "install -m 644 systemd/maskproxy.service /etc/systemd/system/" in section
    assert "systemd/maskproxy-user.service ~/.config/systemd/user/maskproxy.service" in section
    assert "loginctl enable-linger" in section
    assert "systemctl disable --now maskproxy" in section  # removal
    assert "systemctl --user disable --now maskproxy" in section
    # The drop-in the README gives is the one the unit's comment gives and the test verifies.
    unit_text = (UNITS / "maskproxy.service").read_text()
    for line in ("LoadCredential=auth:/etc/maskproxy/users",
                 "ExecStart=/opt/maskproxy/bin/maskproxy run --auth-file %d/auth"):  # fmt: skip
        assert line in section and line in unit_text
    # The system unit's ExecStart is where the README installs the program.
    assert _unit("maskproxy.service")["Service"]["ExecStart"].startswith("/opt/maskproxy/bin/")
    assert "sudo python3 -m venv /opt/maskproxy" in section


def test_service_publishes_its_state(tmp_path: Path) -> None:
    """What systemd gives the system unit (STATE_DIRECTORY, RUNTIME_DIRECTORY), and what the
    service leaves there for env, check and status."""
    import json

    from support.launcher import ProxyProcess

    state, runtime = tmp_path / "lib", tmp_path / "run"
    runtime.mkdir()
    proxy = ProxyProcess([], state_dir=state, log_path=tmp_path / "log")
    proxy.env.update(STATE_DIRECTORY=str(state), RUNTIME_DIRECTORY=str(runtime))
    proxy.start()
    try:
        assert proxy.wait_log("listening on")
        doc = json.loads((runtime / "daemon.json").read_text())
        assert doc["listen"] == f"127.0.0.1:{proxy.port}"
        assert doc["intercept"] == ["api.anthropic.com"]
        assert doc["state_dir"] == str(state)
        assert doc["pid"] == proxy.proc.pid  # type: ignore[union-attr]
        assert (runtime / "ca.pem").read_bytes() == (state / "ca.pem").read_bytes()
        assert (runtime / "daemon.json").stat().st_mode & 0o777 == 0o644
    finally:
        proxy.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (as `sudo maskproxy ca` under the unit)")
def test_regenerate_as_root_leaves_the_files_to_the_service_user(tmp_path: Path) -> None:
    from support.launcher import clean_env, run_cli

    state = tmp_path / "lib"
    state.mkdir(mode=0o700)
    os.chown(state, 65534, 65534)
    env = clean_env(tmp_path / "x")
    res = run_cli("ca", "--regenerate", "--state-dir", str(state), env=env)
    assert res.returncode == 0, res.stderr
    for name in ("ca.pem", "ca-key.pem"):
        st = (state / name).stat()
        assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert (state / "ca-key.pem").stat().st_mode & 0o777 == 0o600
