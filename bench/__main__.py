"""maskproxy side by side with direct and mitmproxy: latency, throughput, memory, engine.

    python -m bench                     # full run (about 15 minutes on 2 cores)
    python -m bench --quick             # CI: fewer requests, under 3 minutes
    python -m bench --json-out r.json   # also write every figure as JSON

Prints a Markdown table: every figure absolute and as a ratio to direct and to mitmproxy with
the masking addon, then the goals, met or missed. Exits 1 only when maskproxy (or the harness)
is broken: a failed request, wrong bytes, an original value reaching the masked upstream, a
surrogate left in a response, an incomplete event stream. Slow figures never fail the run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from bench import engines, mitm_env, peers
from bench.certs import BenchCA
from bench.payloads import API_HOST, TUNNEL_HOST
from bench.procstat import cpus
from bench.profile import Profiler, find_py_spy
from bench.report import failures, markdown, summarize
from bench.upstreams import Upstream
from bench.verify import Verifier
from bench.workloads import FULL, QUICK, Bench, Cell, Plan

T = TypeVar("T")
WORKLOADS = ("Memory", "W1", "W2", "W3", "W4", "W5", "Engine")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _raise_nofile(want: int = 65536) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=peers.REPO, capture_output=True, text=True, timeout=10
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _loop_runner() -> Callable[[Coroutine[Any, Any, T]], T]:
    """uvloop's runner when it is installed (as maskproxy uses it), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def _realtime(priority: int = 10) -> str:
    """SCHED_FIFO for this process and, by inheritance, every child it starts."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except (OSError, AttributeError) as exc:
        log(f"--realtime: not permitted ({exc}); running at normal priority")
        return "normal (SCHED_FIFO not permitted)"
    return f"SCHED_FIFO {priority}"


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


async def _run(
    bench: Bench, upstream: Upstream, selected: list[str], profiler: Profiler | None = None
) -> dict[str, dict[str, Cell]]:
    await upstream.start()
    target = next((p.pid for p in bench.peers if p.name == peers.MASKPROXY), None)
    results: dict[str, dict[str, Cell]] = {}
    try:
        for wl in selected:
            if wl == "Engine":
                continue
            t0 = time.monotonic()
            log(f"{wl} ...")
            if profiler is not None and target is not None:
                profiler.start(target, f"maskproxy-{wl}")
            cells = await getattr(bench, wl.lower())()
            if profiler is not None and (top := profiler.stop()):
                log(f"profile: {top}")
            results[wl] = cells
            parts = []
            for name, cell in cells.items():
                status = f"{cell.error_count} errors" if cell.errors else "ok"
                parts.append(f"{name} n={cell.n} {status}")
            log(f"{wl} done in {time.monotonic() - t0:.1f} s: " + ", ".join(parts))
    finally:
        await upstream.stop()
    return results


def _start_peers(
    names: list[str], work: Path, ca: BenchCA, upstream: Upstream, cpu: int | None,
    mitmdump: Path | None, mitm_note: str,
) -> tuple[list[peers.Peer], dict[str, str]]:  # fmt: skip
    started: list[peers.Peer] = []
    skipped: dict[str, str] = {}
    for name in names:
        try:
            if name == peers.DIRECT:
                started.append(peers.direct(ca, upstream.port))
            elif name in (peers.MASKPROXY, peers.TUNNEL):
                started.append(peers.maskproxy(name, work, ca, upstream.port, cpu))
            elif name == peers.H11RELAY:
                started.append(peers.h11relay(work, ca, upstream.port, cpu))
            elif mitmdump is None:
                skipped[name] = mitm_note
            else:
                started.append(peers.mitmproxy(name, mitmdump, work, ca, upstream.port, cpu))
        except peers.PeerError as exc:
            if name in (peers.MITM, peers.MITM_ADDON):
                skipped[name] = f"did not start: {str(exc)[:300]}"
                log(f"{name}: {skipped[name]}")
                continue
            for p in started:
                p.stop()
            raise
    return started, skipped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--quick", action="store_true", help="fewer requests (CI)")
    ap.add_argument("--json-out", type=Path, help="write all figures as JSON here")
    ap.add_argument("--md-out", type=Path, help="write the Markdown table here too")
    ap.add_argument(
        "--peers", default=",".join(peers.ALL), help=f"comma list from {','.join(peers.ALL)}"
    )
    ap.add_argument("--no-mitm", action="store_true", help="leave out both mitmproxy peers")
    ap.add_argument(
        "--no-install", action="store_true", help="do not create bench/.venv-mitm when missing"
    )
    ap.add_argument(
        "--workloads", default=",".join(WORKLOADS), help=f"comma list from {','.join(WORKLOADS)}"
    )
    ap.add_argument("--keep", type=Path, help="keep proxy logs and state in this directory")
    ap.add_argument(
        "--realtime", action="store_true",
        help="run the harness and every proxy under SCHED_FIFO (needs root or CAP_SYS_NICE), "
        "so other load on the machine does not delay their wake-ups",
    )  # fmt: skip
    ap.add_argument(
        "--profile", type=Path, metavar="DIR",
        help="py-spy profile of maskproxy per workload into DIR (perturbs the figures)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    plan: Plan = QUICK if args.quick else FULL
    selected = [w for w in WORKLOADS if w in args.workloads.split(",")]
    names = [p for p in peers.ALL if p in args.peers.split(",")]
    if args.no_mitm:
        names = [p for p in names if p not in (peers.MITM, peers.MITM_ADDON)]
    if peers.DIRECT not in names:
        names.insert(0, peers.DIRECT)  # every ratio needs it
    started_at = time.monotonic()

    _raise_nofile()
    available = cpus()
    client_cpu = proxy_cpu = None
    if len(available) >= 2:
        client_cpu, proxy_cpu = available[0], available[1]
        os.sched_setaffinity(0, {client_cpu})
    else:
        log("fewer than 2 CPUs: client and proxies are not pinned apart")

    mitmdump = None
    mitm_note = "not requested"
    if any(n in (peers.MITM, peers.MITM_ADDON) for n in names):
        mitmdump, mitm_note = mitm_env.ensure(install=not args.no_install, log=log)
        if mitmdump is None:
            log(f"mitmproxy columns will be n/a: {mitm_note}")
    install_s = time.monotonic() - started_at
    scheduling = _realtime() if args.realtime else "normal"

    meta: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cpus": len(available),
        "client_cpu": client_cpu,
        "proxy_cpu": proxy_cpu,
        "python": platform.python_version(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--", "proxy", "masking", "tls")),
        "mitmproxy": mitm_note,
        "plan": dataclasses.asdict(plan),
        "mitm_install_seconds": round(install_s, 1),
        "loadavg_start": _loadavg(),
        "scheduling": scheduling,
    }
    profiler = None
    if args.profile:
        exe = find_py_spy(install=not args.no_install)
        if exe is None:
            log("--profile needs py-spy: on PATH, or pip install py-spy into bench/.venv-mitm")
            return 2
        profiler = Profiler(exe, args.profile)
    tmp = tempfile.TemporaryDirectory(prefix="maskproxy-bench-")
    work = args.keep or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    ca = BenchCA(work / "bench-ca")
    leaf = ca.issue(API_HOST, TUNNEL_HOST)
    verifier = Verifier()
    upstream = Upstream(leaf, verifier)
    try:
        started, skipped = _start_peers(names, work, ca, upstream, proxy_cpu, mitmdump, mitm_note)
    except peers.PeerError as exc:
        log(f"maskproxy did not start: {exc}")
        tmp.cleanup()
        return 1
    try:
        bench = Bench(started, upstream, verifier, plan, log=log)
        results = _loop_runner()(_run(bench, upstream, selected, profiler))
    finally:
        for p in started:
            if p.pid is not None and not p.alive():
                log(f"{p.name} exited early; last log lines:\n{p.log_tail()}")
            p.stop()
    for wl, cells in results.items():
        for name, why in skipped.items():
            cells[name] = Cell(wl, name, skipped=why)
    engine: dict[str, Any] = {}
    if "Engine" in selected:
        log("Engine ...")
        t0 = time.monotonic()
        engine["maskproxy"] = engines.maskproxy_engine(plan.engine_repeat, proxy_cpu)
        if "error" in engine["maskproxy"]:
            engine["error"] = engine["maskproxy"]["error"]
        engine["addon"] = engines.addon_engine(plan.engine_repeat)
        log(f"Engine done in {time.monotonic() - t0:.1f} s")
    tmp.cleanup()
    meta["seconds"] = round(time.monotonic() - started_at, 1)
    meta["loadavg_end"] = _loadavg()
    shown = [n for n in names if n in {p.name for p in started} or n in skipped]
    summary = summarize(results, engine, shown, meta)
    table = markdown(summary)
    header = (
        f"maskproxy bench ({meta['mode']}, {meta['date']}, commit {meta['commit']}"
        f"{' + local changes' if meta['uncommitted_changes'] else ''}; {meta['cpu']}, "
        f"{meta['cpus']} CPUs, client+upstreams on CPU {client_cpu}, proxy on CPU {proxy_cpu}; "
        f"mitmproxy {mitm_note}; {meta['scheduling']} scheduling; {meta['seconds']:.0f} s; "
        "load average "
        f"{meta['loadavg_start'][0]:.1f} at start, {meta['loadavg_end'][0]:.1f} at end)\n\n"
    )
    print(header + table)
    if args.md_out:
        args.md_out.write_text(header + table)
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2) + "\n")
    broken = failures(summary)
    if broken:
        log("FAILED: maskproxy is broken:\n  " + "\n  ".join(broken))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
