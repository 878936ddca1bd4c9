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
ANALYZE = shutil.which("systemd-analyze")


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


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
def test_system_unit_verifies(tmp_path: Path) -> None:
    unit = _with_local_binary("maskproxy.service", tmp_path)
    res = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "maskproxy.service" not in res.stderr, res.stderr


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
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


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
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
