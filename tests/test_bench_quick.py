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
from bench.clients import ClientError, Connection
from bench.payloads import API_HOST, TUNNEL_HOST
from bench.upstreams import Upstream
from bench.verify import Verifier
from bench.workloads import Bench, Cell, Plan, check_json

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


def test_h11_relay_answers_requests_sent_as_its_handshakes_end(tmp_path: Path) -> None:
    """New connections, 32 at a time, each sending its request as soon as its handshake is
    done: the request can reach the relay before its TLS transport is in hand, and its response
    must still go out over TLS (written to the plain transport, it reaches the client as a TLS
    error)."""
    ca = BenchCA(tmp_path / "ca")
    verifier = Verifier()
    upstream = Upstream(ca.issue(API_HOST, TUNNEL_HOST), verifier)
    relay = peers.h11relay(tmp_path, ca, upstream.port, None)
    bench = Bench([relay], upstream, verifier, SMOKE, log=lambda _: None)
    request = bench.request(relay, "small", 0, bench.small[0].body)
    expected = bench.small[0].reply.json_body

    async def one() -> str | None:
        try:
            conn = await Connection.open(relay.route)
            resp = await conn.exchange(request, timeout=10.0)
            conn.close()
        except ClientError as exc:
            return str(exc)
        return check_json(resp, expected)

    async def go() -> list[str | None]:
        await upstream.start()
        try:
            results: list[str | None] = []
            for _ in range(4):
                results += await asyncio.gather(*(one() for _ in range(32)))
            return results
        finally:
            await upstream.stop()

    try:
        results = asyncio.run(go())
    finally:
        relay.stop()
    problems = [r for r in results if r is not None]
    assert problems == [], (problems[:3], relay.log_tail())
    assert verifier.check(peers.H11RELAY, "small") == {}
