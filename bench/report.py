"""Figures from the cells: percentiles, ratios, goals; rendered as Markdown and as JSON.

Every figure is shown absolute and as a ratio to direct (``×d``) and to mitmproxy with the
masking addon (``×m``) from the same run. Goals are ratios too, each against the peer the goal
names, and each shows met or missed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.peers import DIRECT, H11RELAY, MASKPROXY, MITM, MITM_ADDON, TITLES, TUNNEL
from bench.workloads import Cell


def pct(values: list[float], p: float) -> float:
    """The p-th percentile, linearly interpolated (NaN when there are no values)."""
    if not values:
        return math.nan
    s = sorted(values)
    x = (len(s) - 1) * p / 100.0
    lo = math.floor(x)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (x - lo)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def figures(cell: Cell) -> dict[str, float]:
    """The figures of one cell (milliseconds, requests per second, percent, MB)."""
    f: dict[str, float] = {"n": float(cell.n)}
    ms = [v * 1000 for v in cell.samples]
    if cell.busy > 0 and cell.cpu > 0:
        f["cpu_pct"] = 100.0 * cell.cpu / cell.busy
    if cell.workload in ("W1", "W3", "W5"):
        f |= {"p50_ms": pct(ms, 50), "p90_ms": pct(ms, 90), "p99_ms": pct(ms, 99)}
    elif cell.workload == "W2":
        f |= {"rps": cell.n / cell.busy if cell.busy else math.nan, "p50_ms": pct(ms, 50),
              "p99_ms": pct(ms, 99)}  # fmt: skip
    elif cell.workload == "W4":
        ev = [v * 1000 for v in cell.extra]
        f |= {
            "ttfe_p50_ms": pct(ms, 50),
            "ttfe_p90_ms": pct(ms, 90),
            "event_p50_ms": pct(ev, 50),
            "event_mean_ms": _mean(ev),
            "event_p99_ms": pct(ev, 99),
            "held_pct": 100.0 * cell.held / len(ev) if ev else math.nan,
        }
    f |= cell.figures
    return f


@dataclass(frozen=True)
class Row:
    workload: str
    label: str
    key: str
    unit: str
    higher_is_better: bool = False
    ratios: bool = True


ROWS = (
    Row("W1", "W1 small POST, c=1", "p50_ms", "p50 ms"),
    Row("W1", "", "p90_ms", "p90 ms"),
    Row("W1", "", "p99_ms", "p99 ms"),
    Row("W2", "W2 small POST, c=32", "rps", "req/s", higher_is_better=True),
    Row("W2", "", "cpu_pct", "% proxy CPU"),
    Row("W2", "", "p50_ms", "p50 ms"),
    Row("W2", "", "upstream_conns", "upstream conns opened", ratios=False),
    Row("W3", "W3 1 MiB upload", "p50_ms", "p50 ms"),
    Row("W3", "", "p90_ms", "p90 ms"),
    Row("W3", "", "p99_ms", "p99 ms"),
    Row("W4", "W4 SSE, 200 events", "ttfe_p50_ms", "first event p50 ms"),
    Row("W4", "", "event_p50_ms", "event delay p50 ms"),
    Row("W4", "", "event_mean_ms", "event delay mean ms"),
    Row("W4", "", "held_pct", "% events later than the next", ratios=False),
    Row("W5", "W5 new connection", "p50_ms", "p50 ms"),
    Row("W5", "", "p90_ms", "p90 ms"),
    Row("W5", "", "p99_ms", "p99 ms"),
    Row("Memory", "Memory, idle conns", "n", "idle connections", ratios=False),
    Row("Memory", "", "rss_mb", "MB RSS"),
    Row("Memory", "", "rss_1000_mb", "MB RSS at 1,000 (scaled)"),
    Row("Memory", "", "kb_per_conn", "KB per conn"),
)

ENGINE_ROWS = (
    ("mask_warm_mb_s", "mask_mb_s", "mask MB/s"),
    ("mask_cold_mb_s", "", "mask MB/s, cold"),
    ("unmask_mb_s", "unmask_mb_s", "unmask MB/s"),
    ("unmask_with_index_mb_s", "", "unmask MB/s, reply index build included"),
    ("mask_resent_ms", "", "mask ms, the next turn of the conversation"),
    ("unmask_index_build_ms", "", "reply index build ms, this body's surrogates"),
    ("unmask_4k_reply_ms", "", "unmask ms, a 4 KB reply in 40-byte deltas"),
)


@dataclass(frozen=True)
class Goal:
    name: str
    target: str
    compute: Callable[[dict[str, dict[str, dict[str, float]]]], float]
    ok: Callable[[float], bool]
    fmt: str


def _get(f: dict[str, dict[str, dict[str, float]]], wl: str, peer: str, key: str) -> float:
    return f.get(wl, {}).get(peer, {}).get(key, math.nan)


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) and b != 0 else math.nan


def _added(f: dict[str, dict[str, dict[str, float]]], wl: str, peer: str, key: str) -> float:
    """What ``peer`` adds to a direct connection's ``key`` in workload ``wl``."""
    return _get(f, wl, peer, key) - _get(f, wl, DIRECT, key)


# The goals of the open issues: the exchange path's (W1, W2, W4, W5, memory) and the masking
# engine's (W3 and the Engine rows, which the summary files under "Engine").
GOALS = (
    Goal("W1 p50 added to direct, maskproxy / blind tunnel", "≤ 3×",
         lambda f: _ratio(_added(f, "W1", MASKPROXY, "p50_ms"), _added(f, "W1", TUNNEL, "p50_ms")),
         lambda v: v <= 3, "{:.2f}×"),
    Goal("W2 req/s, maskproxy / mitmproxy", "≥ 4×",
         lambda f: _ratio(_get(f, "W2", MASKPROXY, "rps"), _get(f, "W2", MITM, "rps")),
         lambda v: v >= 4, "{:.2f}×"),
    Goal("W3 p50, maskproxy / mitmproxy+addon", "≤ 0.15×",
         lambda f: _ratio(_get(f, "W3", MASKPROXY, "p50_ms"), _get(f, "W3", MITM_ADDON, "p50_ms")),
         lambda v: v <= 0.15, "{:.2f}×"),
    Goal("W4 time to first event, maskproxy − direct", "≤ 1 ms",
         lambda f: _added(f, "W4", MASKPROXY, "ttfe_p50_ms"),
         lambda v: v <= 1.0, "{:+.3f} ms"),
    Goal("W5 p50, maskproxy / mitmproxy", "≤ 0.3×",
         lambda f: _ratio(_get(f, "W5", MASKPROXY, "p50_ms"), _get(f, "W5", MITM, "p50_ms")),
         lambda v: v <= 0.3, "{:.2f}×"),
    Goal("Memory, maskproxy RSS with 1,000 idle connections", "≤ 100 MB",
         lambda f: _get(f, "Memory", MASKPROXY, "rss_1000_mb"),
         lambda v: v <= 100, "{:.1f} MB"),
    Goal("Engine: mask a fresh engine's first 1 MB body", "≥ 300 MB/s",
         lambda f: _get(f, "Engine", MASKPROXY, "mask_cold_mb_s"),
         lambda v: v >= 300, "{:.1f} MB/s"),
    Goal("Engine: unmask", "≥ 500 MB/s",
         lambda f: _get(f, "Engine", MASKPROXY, "unmask_mb_s"),
         lambda v: v >= 500, "{:.0f} MB/s"),
    Goal("Engine: reply index for the body's surrogates", "≤ 1 ms",
         lambda f: _get(f, "Engine", MASKPROXY, "unmask_index_build_ms"),
         lambda v: v <= 1.0, "{:.2f} ms"),
    Goal("Engine: a 4 KB reply in 40-byte deltas", "≤ 0.5 ms",
         lambda f: _get(f, "Engine", MASKPROXY, "unmask_4k_reply_ms"),
         lambda v: v <= 0.5, "{:.3f} ms"),
)  # fmt: skip


# Beside the W1 goal, no target of their own: what the parts maskproxy is built on (TLS both
# sides, h11 both ways) cost by themselves on this machine, as the same ratio, and how much
# maskproxy adds to that. A blind tunnel adds only process wake-ups, which vary between
# machines more than CPU work does, so the goal's ratio is read against the floor's.
W1_FLOORS = (
    ("W1 p50 added to direct, bare h11 relay / blind tunnel",
     lambda f: _ratio(_added(f, "W1", H11RELAY, "p50_ms"), _added(f, "W1", TUNNEL, "p50_ms"))),
    ("W1 p50 added to direct, maskproxy / bare h11 relay",
     lambda f: _ratio(_added(f, "W1", MASKPROXY, "p50_ms"), _added(f, "W1", H11RELAY, "p50_ms"))),
)  # fmt: skip


def summarize(
    cells: dict[str, dict[str, Cell]],
    engine: dict[str, Any],
    peers: list[str],
    meta: dict[str, Any],
) -> dict[str, Any]:
    """Everything the run found, JSON-ready."""
    figs = {wl: {p: figures(c) for p, c in by_peer.items()} for wl, by_peer in cells.items()}
    engine_figs = {MASKPROXY: (engine or {}).get("maskproxy") or {}}
    goal_figs = {**figs, "Engine": engine_figs}
    goals = []
    for g in GOALS:
        v = g.compute(goal_figs)
        goals.append({
            "goal": g.name, "target": g.target,
            "value": None if math.isnan(v) else v,
            "shown": "n/a" if math.isnan(v) else g.fmt.format(v),
            "met": None if math.isnan(v) else bool(g.ok(v)),
        })  # fmt: skip
    floors = []
    for name, compute in W1_FLOORS:
        v = compute(figs)
        if not math.isnan(v):
            floors.append({"figure": name, "value": v, "shown": f"{v:.2f}×"})
    problems = {
        wl: {p: c.errors for p, c in by_peer.items() if c.errors}
        for wl, by_peer in cells.items()
        if any(c.errors for c in by_peer.values())
    }
    skipped = {
        wl: {p: c.skipped for p, c in by_peer.items() if c.skipped}
        for wl, by_peer in cells.items()
        if any(c.skipped for c in by_peer.values())
    }
    return {
        "meta": meta,
        "peers": peers,
        "figures": _clean(figs),
        "engine": engine,
        "goals": goals,
        "floors": floors,
        "problems": problems,
        "skipped": skipped,
    }


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if math.isnan(obj) else round(obj, 4)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    return obj


def _num(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def _times(v: float | None, ref: float | None) -> str:
    if v is None or ref is None or ref == 0:
        return ""
    return f"{v / ref:.2f}"


def markdown(summary: dict[str, Any]) -> str:
    peers: list[str] = summary["peers"]
    figs: dict[str, dict[str, dict[str, float | None]]] = summary["figures"]
    head = ["workload", "figure", *(TITLES[p] for p in peers)]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---", "---"] + ["---:"] * len(peers)) + "|",
    ]
    for row in ROWS:
        if row.workload not in figs:
            continue
        by_peer = figs[row.workload]
        d = by_peer.get(DIRECT, {}).get(row.key)
        m = by_peer.get(MITM_ADDON, {}).get(row.key)
        cells = []
        for p in peers:
            v = by_peer.get(p, {}).get(row.key)
            if row.workload == "Memory" and p == DIRECT:
                cells.append("")
                continue
            whole = row.key in ("n", "upstream_conns")
            text = f"{v:.0f}" if v is not None and whole else _num(v)
            if v is not None and row.ratios:
                rd = _times(v, d) if p != DIRECT else ""
                rm = _times(v, m) if p != MITM_ADDON else ""
                extra = " · ".join(x for x in (rd and f"{rd}×d", rm and f"{rm}×m") if x)
                if extra:
                    text += f" ({extra})"
            cells.append(text)
        lines.append(f"| {row.label} | {row.unit} | " + " | ".join(cells) + " |")
    eng = summary.get("engine") or {}
    mp, addon = eng.get("maskproxy") or {}, eng.get("addon") or {}
    if mp or addon:
        for key, akey, label in ENGINE_ROWS:
            cells = []
            for p in peers:
                if p == MASKPROXY and key in mp:
                    v = mp[key]
                    a = addon.get(akey) if akey else None
                    cells.append(_num(v) + (f" ({_times(v, a)}×m)" if a else ""))
                elif p == MITM_ADDON and akey and akey in addon:
                    cells.append(_num(addon[akey]))
                else:
                    cells.append("")
            title = "Engine, 1 MB body, 1 core" if key == "mask_warm_mb_s" else ""
            lines.append(f"| {title} | {label} | " + " | ".join(cells) + " |")
    out = ["\n".join(lines), ""]
    out.append(
        "×d: ratio to direct, ×m: ratio to mitmproxy + addon, both from this run. "
        "Latencies in ms; lower is better except req/s and MB/s."
    )
    out.append("")
    out.append("| goal | target | this run | |")
    out.append("|---|---|---:|---|")
    for g in summary["goals"]:
        state = "n/a" if g["met"] is None else ("met" if g["met"] else "**missed**")
        out.append(f"| {g['goal']} | {g['target']} | {g['shown']} | {state} |")
        if g["goal"] == GOALS[0].name:
            for fl in summary.get("floors", []):
                out.append(f"| {fl['figure']} | (floor, no target) | {fl['shown']} | |")
    out.append("")
    problems = summary["problems"]
    if problems:
        out.append("Correctness problems:")
        for wl, by_peer in problems.items():
            for p, errs in by_peer.items():
                for msg, n in errs.items():
                    out.append(f"- {wl} {TITLES.get(p, p)}: {msg} (×{n})")
    else:
        out.append(
            "Correctness: every response matched the originals' reply, every stream was complete "
            "with its surrogates restored, and no masked upstream received an original value."
        )
    for wl, by_peer in summary.get("skipped", {}).items():
        for p, why in by_peer.items():
            if wl != "Memory" or p != DIRECT:
                out.append(f"- {wl} {TITLES.get(p, p)} skipped: {why}")
    return "\n".join(out) + "\n"


def failures(summary: dict[str, Any]) -> list[str]:
    """Problems that mean maskproxy (or the harness) is broken: they fail the run."""
    out = []
    for wl, by_peer in summary["problems"].items():
        for p, errs in by_peer.items():
            if p in (DIRECT, MASKPROXY, TUNNEL, H11RELAY):
                out += [f"{wl} {p}: {m} (×{n})" for m, n in errs.items()]
    eng = summary.get("engine") or {}
    if eng.get("error"):
        out.append(f"Engine: {eng['error']}")
    return out
