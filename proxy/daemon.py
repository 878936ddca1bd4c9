"""systemd glue without python-systemd: sd_notify over ``$NOTIFY_SOCKET`` and signal wiring.

``READY=1`` once the listener is up, ``RELOADING=1`` (with ``MONOTONIC_USEC``) then
``READY=1`` around a SIGHUP reload, ``STOPPING=1`` when SIGTERM/SIGINT starts a graceful stop.
Outside systemd (no ``$NOTIFY_SOCKET``) every call is a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from proxy import service_state
from proxy.accesslog import log

if TYPE_CHECKING:
    from proxy.config import ProxyConfig


def sd_notify(*states: str) -> bool:
    """Send ``states`` (``"READY=1"``, ...) to the service manager; False if there is none."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        # Abstract namespace socket: the leading '@' stands for a NUL byte.
        address = "\0" + address[1:]
    message = "\n".join(states).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError as exc:
        log.warning("sd_notify to %s failed: %s", address, exc)
        return False
    return True


def notify_ready(status: str = "") -> None:
    states = ["READY=1"]
    if status:
        states.append(f"STATUS={status}")
    sd_notify(*states)


def notify_reloading() -> None:
    # MONOTONIC_USEC lets Type=notify-reload units match the reload to this message.
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    sd_notify("RELOADING=1", f"MONOTONIC_USEC={usec}")


def notify_stopping() -> None:
    sd_notify("STOPPING=1")


def install_signal_handlers(
    loop: asyncio.AbstractEventLoop,
    on_reload: Callable[[], None],
    on_stop: Callable[[], None],
) -> None:
    """SIGHUP → ``on_reload``; SIGTERM and SIGINT → ``on_stop`` (both run on the loop)."""
    loop.add_signal_handler(signal.SIGHUP, on_reload)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_stop)


def remove_signal_handlers(loop: asyncio.AbstractEventLoop) -> None:
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(sig)


def publish_ca_cert(pem: bytes) -> Path | None:
    """Copy the CA certificate to ``$RUNTIME_DIRECTORY/ca.pem``, readable by every user.

    Under the system unit the state directory is private to the service's dynamic user; this
    public copy (``/run/maskproxy/ca.pem``) is what local clients point NODE_EXTRA_CA_CERTS
    at. The certificate is public; the key never leaves the state directory.
    """
    runtime_dir = os.environ.get("RUNTIME_DIRECTORY")
    if not runtime_dir:
        return None
    path = Path(runtime_dir.split(":")[0]) / "ca.pem"
    tmp = path.with_name(".ca.pem.tmp")
    try:
        tmp.write_bytes(pem)
        # UMask=0077 in the unit would leave it 0600; this copy is meant to be read by all.
        tmp.chmod(0o644)
        tmp.replace(path)
    except OSError as exc:
        log.warning("cannot publish the CA certificate to %s: %s", path, exc)
        return None
    return path


def _client_listen(host: str, port: int) -> str:
    """``HOST:PORT`` a local client dials for a listener bound to ``host``."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def publish_state(config: ProxyConfig, address: tuple[str, int]) -> None:
    """Publish ``daemon.json`` (:mod:`proxy.service_state`) in ``$RUNTIME_DIRECTORY``.

    Next to the CA certificate (:func:`publish_ca_cert`) it lets ``maskproxy env``, ``check``
    and ``status`` wire to this service's CA and port instead of a configuration of their own.
    Called at start and after every reload (the intercept list may have changed). Outside
    systemd: nothing.
    """
    runtime_dir = os.environ.get("RUNTIME_DIRECTORY")
    if not runtime_dir:
        return
    try:
        service_state.write_state(
            Path(runtime_dir.split(":")[0]),
            listen=_client_listen(*address),
            intercept=config.intercept,
            gateway=config.gateway,
            state_dir=config.state_dir,
            config_path=config.config_path,
        )
    except OSError as exc:
        log.warning("cannot publish the service state to %s: %s", runtime_dir, exc)
