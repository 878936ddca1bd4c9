"""mitmproxy in the bench's own virtualenv (``bench/.venv-mitm``, git-ignored), made on first use.

py-spy, for ``--profile``, goes into the same virtualenv when it is not on ``PATH``.

mitmproxy pins its own versions of cryptography and friends, so it never shares the project's
environment. ``python -m venv`` plus ``pip install mitmproxy`` lets pip choose the newest
release that supports this Python.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

VENV = Path(__file__).resolve().parent / ".venv-mitm"
INSTALL_TIMEOUT = 900.0


def _mitmdump(venv: Path) -> Path:
    return venv / "bin" / "mitmdump"


def version(mitmdump: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(mitmdump), "--version"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.stdout.splitlines():
        if line.startswith("Mitmproxy:"):
            return line.split(":", 1)[1].strip()
    return None


def ensure(
    venv: Path = VENV, install: bool = True, log: Callable[[str], None] = print
) -> tuple[Path | None, str]:
    """(mitmdump path, version) when usable; (None, why not) otherwise."""
    exe = _mitmdump(venv)
    if exe.exists() and (ver := version(exe)):
        return exe, ver
    if not install:
        return None, f"mitmproxy not installed in {venv} (run without --no-install)"
    log(f"installing mitmproxy into {venv} (first use) ...")
    why = pip_install(venv, "mitmproxy")
    if why:
        return None, why
    if exe.exists() and (ver := version(exe)):
        return exe, ver
    return None, "mitmproxy installed but mitmdump does not run"


def pip_install(venv: Path, package: str) -> str | None:
    """Install ``package`` into ``venv`` (made if absent); None on success, else why not."""
    try:
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        pip = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", package],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not install {package} into {venv}: {exc}"
    if pip.returncode != 0:
        tail = (pip.stderr or pip.stdout).strip().splitlines()[-3:]
        return f"pip install {package} failed: " + " | ".join(tail)
    return None
