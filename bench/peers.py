"""The peers measured side by side, and the processes behind them.

- ``direct``: the client talks TLS to the upstream itself (no proxy).
- ``maskproxy``: ``maskproxy run`` intercepting api.anthropic.com, masking and restoring.
- ``tunnel``: another ``maskproxy run``, reached for a host it does not intercept, so CONNECT
  becomes a blind byte relay (the client verifies the upstream's own certificate).
- ``h11relay``: :mod:`bench.h11_relay`, intercepting with a leaf from the bench CA and relaying
  each exchange through h11 on both sides, nothing else: the floor of maskproxy's exchange path.
- ``mitmproxy``: ``mitmdump`` intercepting, no script but the routing one; by default it
  buffers whole bodies, event streams included.
- ``mitmproxy+addon``: the same with :mod:`bench.mitm_addon`, which masks and restores.

Every proxy runs pinned to its own CPU (the client and upstream have the other one), with the
upstream routed to the local server as maskproxy's ``--connect-to`` does, and logs to a file
at its default level (maskproxy one line per exchange, mitmdump one per flow).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.certs import BenchCA, client_context
from bench.clients import Route
from bench.payloads import API_HOST, TUNNEL_HOST

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent

DIRECT = "direct"
MASKPROXY = "maskproxy"
TUNNEL = "tunnel"
H11RELAY = "h11relay"
MITM = "mitmproxy"
MITM_ADDON = "mitmproxy+addon"
ALL = (DIRECT, MASKPROXY, TUNNEL, H11RELAY, MITM, MITM_ADDON)
TITLES = {
    DIRECT: "direct",
    MASKPROXY: "maskproxy (masking)",
    TUNNEL: "maskproxy (blind tunnel)",
    H11RELAY: "bare h11 relay (floor)",
    MITM: "mitmproxy",
    MITM_ADDON: "mitmproxy + addon",
}


class PeerError(Exception):
    """A proxy under test did not start."""


@dataclass
class Peer:
    name: str
    route: Route
    host: str
    """The Host header and CONNECT name requests use."""
    masks: bool
    intercepts: bool
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def alive(self) -> bool:
        return self.proc is None or self.proc.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        if self.log is None or not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin_to(cpu: int | None) -> Callable[[], None] | None:
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return None

    def pin() -> None:
        os.sched_setaffinity(0, {cpu})

    return pin


def _spawn(
    argv: Sequence[str], *, log: Path, cpu: int | None, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            list(argv),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            preexec_fn=pin_to(cpu),  # noqa: PLW1509 - no threads in the harness yet
        )


def _wait_ready(
    proc: subprocess.Popen[bytes], port: int, log: Path, also: Path | None, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PeerError(f"exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if also is None or also.exists():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise PeerError(f"not listening after {timeout:.0f} s:\n{log.read_text(errors='replace')}")


def _clean_env(work: Path) -> dict[str, str]:
    skip = ("JOURNAL_STREAM", "NOTIFY_SOCKET", "STATE_DIRECTORY", "RUNTIME_DIRECTORY")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env["XDG_CONFIG_HOME"] = str(work / "xdg-config-empty")  # no user config file
    return env


def direct(ca: BenchCA, upstream_port: int) -> Peer:
    route = Route("127.0.0.1", upstream_port, API_HOST, client_context(ca.cert_path))
    return Peer(DIRECT, route, API_HOST, masks=False, intercepts=False)


def maskproxy(name: str, work: Path, ca: BenchCA, upstream_port: int, cpu: int | None) -> Peer:
    """``maskproxy run``; ``name`` is :data:`MASKPROXY` (intercepted) or :data:`TUNNEL`."""
    port = free_port()
    state = work / f"state-{name}"
    log = work / f"{name}.log"
    # The engine remembers values across requests; the workloads resend a few fixed bodies,
    # which costs the same with or without that memory (every body is recognized whole).
    config = work / f"{name}.toml"
    config.write_text("[masking]\n")
    argv = [
        sys.executable, "-m", "proxy", "run",
        "--config", str(config),
        "--listen", f"127.0.0.1:{port}",
        "--state-dir", str(state),
        "--upstream-ca", str(ca.cert_path),
        "--connect-to", f"{API_HOST}:443:127.0.0.1:{upstream_port}",
        "--connect-to", f"{TUNNEL_HOST}:443:127.0.0.1:{upstream_port}",
        "--max-connections", "4096",
    ]  # fmt: skip
    proc = _spawn(argv, log=log, cpu=cpu, env=_clean_env(work))
    _wait_ready(proc, port, log, state / "ca.pem")
    if name == TUNNEL:
        route = Route("127.0.0.1", port, TUNNEL_HOST, client_context(ca.cert_path),
                      tunnel=f"{TUNNEL_HOST}:443")  # fmt: skip
        return Peer(name, route, TUNNEL_HOST, False, False, proc, log)
    route = Route("127.0.0.1", port, API_HOST, client_context(state / "ca.pem"),
                  tunnel=f"{API_HOST}:443")  # fmt: skip
    return Peer(name, route, API_HOST, True, True, proc, log)


def h11relay(work: Path, ca: BenchCA, upstream_port: int, cpu: int | None) -> Peer:
    """:mod:`bench.h11_relay`, showing clients a leaf for the API host from the bench CA."""
    port = free_port()
    log = work / f"{H11RELAY}.log"
    leaf = ca.issue(API_HOST, stem=H11RELAY)
    argv = [
        sys.executable, "-m", "bench.h11_relay",
        "--listen", f"127.0.0.1:{port}",
        "--cert", str(leaf.cert),
        "--key", str(leaf.key),
        "--upstream", f"127.0.0.1:{upstream_port}",
        "--upstream-ca", str(ca.cert_path),
        "--upstream-host", API_HOST,
    ]  # fmt: skip
    proc = _spawn(argv, log=log, cpu=cpu, env=_clean_env(work))
    _wait_ready(proc, port, log, None)
    route = Route("127.0.0.1", port, API_HOST, client_context(ca.cert_path),
                  tunnel=f"{API_HOST}:443")  # fmt: skip
    return Peer(H11RELAY, route, API_HOST, False, True, proc, log)


def mitmproxy(
    name: str, mitmdump: Path, work: Path, ca: BenchCA, upstream_port: int, cpu: int | None
) -> Peer:
    """``mitmdump``; ``name`` is :data:`MITM` or :data:`MITM_ADDON` (with the masking addon)."""
    port = free_port()
    confdir = work / f"confdir-{name.replace('+', '-')}"
    confdir.mkdir(parents=True, exist_ok=True)
    log = work / f"{name}.log"
    argv = [
        str(mitmdump),
        "--listen-host", "127.0.0.1",
        "--listen-port", str(port),
        "--set", f"confdir={confdir}",
        "--set", f"ssl_verify_upstream_trusted_ca={ca.cert_path}",
        "-s", str(HERE / "mitm_route.py"),
    ]  # fmt: skip
    if name == MITM_ADDON:
        argv += ["-s", str(HERE / "mitm_addon.py")]
    env = _clean_env(work)
    env["BENCH_MITM_ROUTES"] = f"{API_HOST}:443=127.0.0.1:{upstream_port}"
    proc = _spawn(argv, log=log, cpu=cpu, env=env)
    cert = confdir / "mitmproxy-ca-cert.pem"
    _wait_ready(proc, port, log, cert)
    route = Route("127.0.0.1", port, API_HOST, client_context(cert), tunnel=f"{API_HOST}:443")
    return Peer(name, route, API_HOST, name == MITM_ADDON, True, proc, log)
