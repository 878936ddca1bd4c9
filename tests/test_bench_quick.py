"""The benchmark harness, reduced to a smoke run: its checks hold through a real maskproxy.

W1 (20 small POSTs) and W4 (2 event streams) against direct, the intercepting maskproxy and
the bare h11 relay (the bench's floor peer, which must pass every byte on unchanged), no
mitmproxy. Asserts correctness only: every response carries the originals, every stream is
complete with its surrogates restored, the upstream never saw an original value. Nothing here
asserts a duration.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench import peers
from bench.certs import BenchCA
from bench.payloads import API_HOST, TUNNEL_HOST
from bench.upstreams import Upstream
from bench.verify import Verifier
from bench.workloads import Bench, Cell, Plan

SMOKE = Plan(
    rounds=1, w1=20, w1_warm=2, w2_seconds=0.5, w2_rounds=1, w3=1, w3_warm=0, w4=2, w4_warm=0,
    w5=2, w5_warm=0, mem_conns=2, engine_repeat=1, budget=60.0, w2_concurrency=2,
)  # fmt: skip


def _run(bench: Bench, upstream: Upstream) -> tuple[dict[str, Cell], dict[str, Cell]]:
    async def go() -> tuple[dict[str, Cell], dict[str, Cell]]:
        await upstream.start()
        try:
            return await bench.w1(), await bench.w4()
        finally:
            await upstream.stop()

    return asyncio.run(go())


def test_w1_and_w4_through_maskproxy_are_correct(tmp_path: Path) -> None:
    ca = BenchCA(tmp_path / "ca")
    verifier = Verifier()
    upstream = Upstream(ca.issue(API_HOST, TUNNEL_HOST), verifier)
    started = [peers.direct(ca, upstream.port)]
    try:
        started.append(peers.maskproxy(peers.MASKPROXY, tmp_path, ca, upstream.port, None))
        started.append(peers.h11relay(tmp_path, ca, upstream.port, None))
        bench = Bench(started, upstream, verifier, SMOKE, log=lambda _: None)
        w1, w4 = _run(bench, upstream)
    finally:
        for p in started:
            p.stop()
    for cells in (w1, w4):
        for name, cell in cells.items():
            logs = [p.log_tail() for p in started]
            assert cell.errors == {}, (cell.workload, name, cell.errors, logs)
    for name in (peers.DIRECT, peers.MASKPROXY, peers.H11RELAY):
        assert w1[name].n == 20 and w4[name].n == 2, name
    for name in (peers.MASKPROXY, peers.H11RELAY):
        assert len(w4[name].extra) == 2 * 193, name  # a delay for every delta event
        assert verifier.counts[(name, "small")] == 22 + 2, name
    assert upstream.requests == 3 * (22 + 2)
