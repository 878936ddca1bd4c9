"""What a running maskproxy service publishes about itself, and how local commands find it.

A service started by systemd with ``RuntimeDirectory=maskproxy`` writes two files there: the
CA certificate (``ca.pem``, readable by all, never the key) and ``daemon.json``: its process
id, listen address, intercept list, gateway, state directory and config file. The system
unit's runtime directory is ``/run/maskproxy``, the user unit's
``$XDG_RUNTIME_DIR/maskproxy``; systemd removes it when the service stops. ``maskproxy env``,
``check`` and ``status`` read it so that they describe the service that is really running, not
a configuration of their own (whose state directory would hold a different CA).

``$MASKPROXY_RUNTIME_DIR`` replaces the places looked in (one directory).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "daemon.json"
CA_FILE = "ca.pem"
SYSTEM_RUNTIME_DIR = Path("/run/maskproxy")


@dataclass(frozen=True)
class ServiceState:
    """A running service as it described itself in its runtime directory."""

    runtime_dir: Path
    pid: int
    listen: str
    """``HOST:PORT`` it listens on (the port it really got)."""
    intercept: tuple[str, ...]
    gateway: str | None
    state_dir: Path
    config_path: Path | None

    @property
    def ca_path(self) -> Path:
        """The public copy of the service's CA certificate."""
        return self.runtime_dir / CA_FILE

    @property
    def is_system(self) -> bool:
        return self.runtime_dir == SYSTEM_RUNTIME_DIR


def runtime_dirs() -> list[Path]:
    """Where a service's runtime directory is looked for, in order."""
    override = os.environ.get("MASKPROXY_RUNTIME_DIR")
    if override:
        return [Path(override)]
    dirs = [SYSTEM_RUNTIME_DIR]
    user_runtime = os.environ.get("XDG_RUNTIME_DIR")
    if user_runtime:
        dirs.append(Path(user_runtime) / "maskproxy")
    return dirs


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process (the system unit's dynamic user)
    return True


def read_state(runtime_dir: Path) -> ServiceState | None:
    """The state published in ``runtime_dir``, or None when absent, unreadable or stale."""
    try:
        doc: Any = json.loads((runtime_dir / STATE_FILE).read_text())
        state = ServiceState(
            runtime_dir=runtime_dir,
            pid=int(doc["pid"]),
            listen=str(doc["listen"]),
            intercept=tuple(str(h) for h in doc["intercept"]),
            gateway=doc.get("gateway") or None,
            state_dir=Path(doc["state_dir"]),
            config_path=Path(doc["config"]) if doc.get("config") else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if _alive(state.pid) else None


def find_service() -> ServiceState | None:
    """The first running service found in :func:`runtime_dirs`, or None."""
    for directory in runtime_dirs():
        state = read_state(directory)
        if state is not None:
            return state
    return None


def write_state(
    runtime_dir: Path,
    *,
    listen: str,
    intercept: tuple[str, ...],
    gateway: str | None,
    state_dir: Path,
    config_path: Path | None,
) -> Path:
    """Write ``daemon.json`` (mode 0644: it holds no secret) atomically; return its path."""
    doc = {
        "pid": os.getpid(),
        "listen": listen,
        "intercept": list(intercept),
        "gateway": gateway,
        "state_dir": str(state_dir.absolute()),
        "config": str(config_path.absolute()) if config_path else None,
    }
    path = runtime_dir / STATE_FILE
    tmp = path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(doc) + "\n")
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path
