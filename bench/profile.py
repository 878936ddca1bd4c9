"""Sampling profiles of the maskproxy process, one per workload, with py-spy.

``python -m bench --profile DIR`` attaches ``py-spy record`` to the intercepting maskproxy for
the length of each workload and writes ``DIR/maskproxy-<workload>.txt`` (collapsed stacks) and
``DIR/maskproxy-<workload>.top.txt``: the functions with the most samples, by self time and by
total time. Only samples where the proxy was on the CPU count (py-spy leaves out idle threads).
The figures of a profiled run are perturbed; measure without ``--profile``.

py-spy is taken from ``PATH``, else from ``bench/.venv-mitm``, where it is installed on first use.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

from bench.mitm_env import VENV, pip_install

_LINE = re.compile(r":\d+\)$")


def find_py_spy(install: bool = True) -> Path | None:
    """py-spy on ``PATH``, else in the bench virtualenv (installed there on first use)."""
    found = shutil.which("py-spy")
    if found:
        return Path(found)
    local = VENV / "bin" / "py-spy"
    if not local.exists() and install:
        pip_install(VENV, "py-spy")
    return local if local.exists() else None


class Profiler:
    def __init__(self, exe: Path, out_dir: Path, rate: int = 250) -> None:
        self.exe = exe
        self.out_dir = out_dir
        self.rate = rate
        out_dir.mkdir(parents=True, exist_ok=True)
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: Path | None = None

    def start(self, pid: int, name: str) -> None:
        self._out = self.out_dir / f"{name}.txt"
        self._proc = subprocess.Popen(
            [str(self.exe), "record", "--pid", str(pid), "--format", "raw", "--rate",
             str(self.rate), "--nonblocking", "-o", str(self._out)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> Path | None:
        proc, out = self._proc, self._out
        self._proc = self._out = None
        if proc is None or out is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(5)
        if not out.exists():
            return None
        top = out.with_suffix(".top.txt")
        top.write_text(render_top(out))
        return top


def _frame(frame: str) -> str:
    return _LINE.sub(")", frame.strip())


def top_functions(collapsed: Path, n: int = 20) -> tuple[int, list[tuple[str, int, int]]]:
    """(samples, [(function, self samples, total samples)]) ordered by total, then self."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        k = int(count)
        samples += k
        frames = [_frame(f) for f in stack.split(";")]
        own[frames[-1]] += k
        for f in set(frames):
            total[f] += k
    ranked = sorted(total, key=lambda f: (total[f], own[f]), reverse=True)
    return samples, [(f, own[f], total[f]) for f in ranked[:n]]


def render_top(collapsed: Path, n: int = 25) -> str:
    samples, rows = top_functions(collapsed, n)
    if not samples:
        return "no samples\n"
    own = sorted(
        ((f, s) for f, s in _self_counts(collapsed).items()), key=lambda x: x[1], reverse=True
    )[:n]
    lines = [f"{samples} samples on CPU", "", "by total time:"]
    lines += [f"{t / samples:6.1%} total {s / samples:6.1%} self  {f}" for f, s, t in rows]
    lines += ["", "by self time:"]
    lines += [f"{s / samples:6.1%}  {f}" for f, s in own]
    return "\n".join(lines) + "\n"


def _self_counts(collapsed: Path) -> Counter[str]:
    own: Counter[str] = Counter()
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            own[_frame(stack.split(";")[-1])] += int(count)
    return own
