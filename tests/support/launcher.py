"""Start ``maskproxy run`` as a real subprocess on a free port, wait for it, tear it down."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from support.ports import free_port, wait_listening

REPO = Path(__file__).resolve().parents[2]


class ProxyProcess:
    """One ``python -m proxy run`` process; its stderr (the log) goes to ``log_path``."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        state_dir: Path,
        log_path: Path,
        host: str = "127.0.0.1",
        port: int | None = None,
        env: dict[str, str] | None = None,
        command: str = "run",
    ) -> None:
        self.host = host
        self.port = port or free_port(host if host not in ("0.0.0.0", "") else "127.0.0.1")
        self.state_dir = state_dir
        self.log_path = log_path
        self.argv = [
            sys.executable,
            "-m",
            "proxy",
            command,
            "--listen",
            f"{host}:{self.port}",
            "--state-dir",
            str(state_dir),
            *args,
        ]
        self.env = clean_env(state_dir, env)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return host, self.port

    @property
    def ca_path(self) -> Path:
        return self.state_dir / "ca.pem"

    def start(self, timeout: float = 20.0) -> ProxyProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"maskproxy exited with {self.proc.returncode}:\n{self.log()}")
            if wait_listening(*self.address, timeout=0.5):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"maskproxy did not start listening:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.05)
        return False

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(5)
        return self.proc.returncode


def clean_env(state_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test environment: no systemd variables inherited, no user config file picked up."""
    skip = ("JOURNAL_STREAM", "NOTIFY_SOCKET", "STATE_DIRECTORY", "RUNTIME_DIRECTORY")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env["XDG_CONFIG_HOME"] = str(state_dir.parent / "xdg-config-none")
    # A maskproxy service running on this machine must not stand in for the one under test.
    env["MASKPROXY_RUNTIME_DIR"] = str(state_dir.parent / "no-service")
    env.update(extra or {})
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30.0, input: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m proxy ARGS`` to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "proxy", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input.decode() if input is not None else None,
    )
