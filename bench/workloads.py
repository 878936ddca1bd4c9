"""The workloads, each run against every peer in the same process and the same minutes.

W1 small POST at c=1, W2 the same at c=32, W3 a 1 MiB upload, W4 a 200-event stream, W5 a new
connection per request, Memory 1,000 idle keep-alive connections. Latency workloads run in
rounds that rotate through the peers, so drift in machine state spreads over all of them.
Every loop is bounded by a count and by a time budget per peer; every response is checked
(status, bytes, restored originals, complete events) and what the upstream received is checked
by the :class:`~bench.verify.Verifier` after each cell.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.clients import ClientError, Connection, Response
from bench.engine_body import claude_code_like_body
from bench.payloads import (
    Ids,
    Reply,
    check_stream,
    delta_chars,
    echo_ids,
    large_body,
    request_bytes,
    small_body,
)
from bench.peers import Peer
from bench.procstat import cpu_seconds, rss_bytes
from bench.upstreams import Upstream
from bench.verify import Verifier

MAX_ERRORS = 20


@dataclass(frozen=True)
class Plan:
    """How much of each workload to run; :data:`FULL` and :data:`QUICK`."""

    rounds: int
    w1: int
    w1_warm: int
    w2_seconds: float
    w2_rounds: int
    w3: int
    w3_warm: int
    w4: int
    w4_warm: int
    w5: int
    w5_warm: int
    mem_conns: int
    engine_repeat: int
    budget: float
    """Seconds one peer may spend in one workload (warm-up included)."""
    w2_concurrency: int = 32
    mem_parallel: int = 16


FULL = Plan(
    rounds=10, w1=500, w1_warm=50, w2_seconds=3.0, w2_rounds=3, w3=300, w3_warm=3,
    w4=120, w4_warm=3, w5=300, w5_warm=10, mem_conns=1000, engine_repeat=3, budget=240.0,
)  # fmt: skip
QUICK = Plan(
    rounds=2, w1=100, w1_warm=20, w2_seconds=1.5, w2_rounds=1, w3=8, w3_warm=1,
    w4=8, w4_warm=1, w5=40, w5_warm=3, mem_conns=300, engine_repeat=1, budget=45.0,
)  # fmt: skip


@dataclass
class Cell:
    """One workload against one peer."""

    workload: str
    peer: str
    n: int = 0
    samples: list[float] = field(default_factory=list)
    """Latencies in seconds (W1, W2, W3, W5), TTFE (W4)."""
    errors: dict[str, int] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    busy: float = 0.0
    """Wall seconds spent measuring (for CPU %)."""
    cpu: float = 0.0
    """Proxy CPU seconds over :attr:`busy`."""
    extra: list[float] = field(default_factory=list)
    """W4: every event's delay (seconds) from upstream write to client receipt."""
    per_request: list[float] = field(default_factory=list)
    """W4: each request's mean event delay."""
    held: int = 0
    """W4: delta events whose content reached the client only after the upstream had written
    the next event (held back by the proxy, or just late)."""
    skipped: str = ""

    def error(self, message: str, count: int = 1) -> None:
        self.errors[message] = self.errors.get(message, 0) + count

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def check_json(resp: Response, expected: bytes) -> str | None:
    if resp.status != 200:
        return f"status {resp.status}: {bytes(resp.body[:120])!r}"
    if resp.body != expected:
        if len(resp.body) != len(expected):
            return f"reply has {len(resp.body)} bytes, expected {len(expected)}"
        return "reply differs from the originals' reply (surrogates not restored?)"
    return None


@dataclass
class Variant:
    body: bytes
    reply: Reply


class Bench:
    """Peers, upstream and verifier for one run; one method per workload."""

    def __init__(
        self,
        peers: list[Peer],
        upstream: Upstream,
        verifier: Verifier,
        plan: Plan,
        log: Callable[[str], None] = print,
    ) -> None:
        self.peers = peers
        self.upstream = upstream
        self.verifier = verifier
        self.plan = plan
        self.log = log
        for p in peers:
            if p.masks:
                verifier.masking.add(p.name)
        r = random.Random(20240501)
        self.small = [self._variant("small", k, small_body(Ids.draw(r), r)) for k in range(4)]
        self._large: list[Variant] | None = None
        self._seq = 0

    def _variant(self, workload: str, k: int, body: bytes) -> Variant:
        self.verifier.register(workload, k, body)
        ids = tuple(i.decode() for i in echo_ids(body))
        return Variant(body, Reply(ids))

    def large(self) -> list[Variant]:
        if self._large is None:
            bulk = json.loads(claude_code_like_body(1 << 20))
            r = random.Random(99)
            self._large = [
                self._variant("large", k, large_body(Ids.draw(r), bulk)) for k in range(2)
            ]
        return self._large

    def request(self, peer: Peer, workload: str, k: int, body: bytes, reply: str = "json",
                seq: str = "") -> bytes:  # fmt: skip
        headers = [
            ("X-Bench-Peer", peer.name),
            ("X-Bench-Wl", workload),
            ("X-Bench-Var", str(k)),
            ("X-Bench-Reply", reply),
        ]
        if seq:
            headers.append(("X-Bench-Seq", seq))
        return request_bytes(peer.host, body, headers)

    def _order(self, r: int) -> list[Peer]:
        k = r % len(self.peers)
        return self.peers[k:] + self.peers[:k]

    def _finish(self, cells: dict[str, Cell], workload: str) -> None:
        for peer in self.peers:
            cell = cells[peer.name]
            for message, count in self.verifier.check(peer.name, workload).items():
                cell.error(message, count)
            if not peer.alive():
                cell.error("proxy process exited")

    # ------------------------------------------------------------------ keep-alive, c=1

    async def _serial(
        self,
        name: str,
        workload: str,
        variants: list[Variant],
        count: int,
        warm: int,
        timeout: float,
    ) -> dict[str, Cell]:
        """W1 and W3: one keep-alive connection per peer, requests one after another."""
        cells = {p.name: Cell(name, p.name) for p in self.peers}
        conns: dict[str, Connection | None] = {p.name: None for p in self.peers}
        spent = {p.name: 0.0 for p in self.peers}
        reqs = {
            p.name: [self.request(p, workload, k, v.body) for k, v in enumerate(variants)]
            for p in self.peers
        }

        async def one(peer: Peer, i: int, measure: bool) -> None:
            cell = cells[peer.name]
            k = i % len(variants)
            try:
                conn = conns[peer.name]
                if conn is None or not conn.reusable:
                    conn = conns[peer.name] = await Connection.open(peer.route)
                resp = await conn.exchange(reqs[peer.name][k], timeout=timeout)
            except ClientError as exc:
                conns[peer.name] = None
                cell.error(str(exc))
                return
            problem = check_json(resp, variants[k].reply.json_body)
            if problem:
                cell.error(problem)
            elif measure:
                cell.samples.append(resp.elapsed)
            cell.n += measure

        rounds = self.plan.rounds
        per_round = max(1, count // rounds)
        for r in range(-1, rounds):
            for peer in self._order(max(r, 0)):
                cell = cells[peer.name]
                if cell.error_count >= MAX_ERRORS or spent[peer.name] > self.plan.budget:
                    continue
                n = warm if r < 0 else per_round
                t0 = time.perf_counter()
                c0 = _cpu(peer)
                for i in range(n):
                    await one(peer, i, measure=r >= 0)
                    if cell.error_count >= MAX_ERRORS:
                        break
                    if time.perf_counter() - t0 + spent[peer.name] > self.plan.budget:
                        break
                dt = time.perf_counter() - t0
                spent[peer.name] += dt
                if r >= 0:
                    cell.busy += dt
                    cell.cpu += _cpu(peer) - c0
        for conn in conns.values():
            if conn is not None:
                conn.close()
        self._finish(cells, workload)
        return cells

    async def w1(self) -> dict[str, Cell]:
        p = self.plan
        return await self._serial("W1", "small", self.small, p.w1, p.w1_warm, 10.0)

    async def w3(self) -> dict[str, Cell]:
        p = self.plan
        return await self._serial("W3", "large", self.large(), p.w3, p.w3_warm, 120.0)

    # ------------------------------------------------------------------ c=32 throughput

    async def w2(self) -> dict[str, Cell]:
        plan = self.plan
        cells = {p.name: Cell("W2", p.name) for p in self.peers}
        for r in range(plan.w2_rounds):
            for peer in self._order(r):
                await self._w2_round(peer, cells[peer.name], plan.w2_seconds)
        self._finish(cells, "small")
        return cells

    async def _w2_round(self, peer: Peer, cell: Cell, seconds: float) -> None:
        if cell.error_count >= MAX_ERRORS:
            return
        reqs = [self.request(peer, "small", k, v.body) for k, v in enumerate(self.small)]
        try:
            conns = await asyncio.gather(
                *(Connection.open(peer.route) for _ in range(self.plan.w2_concurrency))
            )
        except ClientError as exc:
            cell.error(str(exc))
            return
        for i, conn in enumerate(conns):  # warm every connection
            try:
                await conn.exchange(reqs[i % len(reqs)], timeout=10.0)
            except ClientError as exc:
                cell.error(str(exc))
        cap = int(seconds * 20000)

        async def worker(w: int, conn: Connection, deadline: float) -> None:
            i = w
            while time.perf_counter() < deadline and cell.n < cap:
                k = i % len(reqs)
                i += 1
                try:
                    resp = await conn.exchange(reqs[k], timeout=10.0)
                except ClientError as exc:
                    cell.error(str(exc))
                    return
                problem = check_json(resp, self.small[k].reply.json_body)
                if problem:
                    cell.error(problem)
                    if cell.error_count >= MAX_ERRORS:
                        return
                    continue
                cell.samples.append(resp.elapsed)
                cell.n += 1

        c0 = _cpu(peer)
        u0 = self.upstream.connections
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w, c, t0 + seconds) for w, c in enumerate(conns)))
        cell.busy += time.perf_counter() - t0
        cell.cpu += _cpu(peer) - c0
        opened = self.upstream.connections - u0
        cell.figures["upstream_conns"] = cell.figures.get("upstream_conns", 0) + opened
        for conn in conns:
            conn.close()

    # ------------------------------------------------------------------ event stream

    async def w4(self) -> dict[str, Cell]:
        plan = self.plan
        cells = {p.name: Cell("W4", p.name) for p in self.peers}
        conns: dict[str, Connection | None] = {p.name: None for p in self.peers}
        spent = {p.name: 0.0 for p in self.peers}
        per_round = max(1, plan.w4 // plan.rounds)
        for r in range(-1, plan.rounds):
            for peer in self._order(max(r, 0)):
                cell = cells[peer.name]
                if cell.error_count >= MAX_ERRORS or spent[peer.name] > plan.budget:
                    continue
                t0 = time.perf_counter()
                c0 = _cpu(peer)
                for i in range(plan.w4_warm if r < 0 else per_round):
                    await self._w4_one(peer, cell, conns, i, measure=r >= 0)
                    if cell.error_count >= MAX_ERRORS:
                        break
                dt = time.perf_counter() - t0
                spent[peer.name] += dt
                if r >= 0:
                    cell.busy += dt
                    cell.cpu += _cpu(peer) - c0
        for conn in conns.values():
            if conn is not None:
                conn.close()
        self._finish(cells, "small")
        return cells

    async def _w4_one(
        self, peer: Peer, cell: Cell, conns: dict[str, Connection | None], i: int, measure: bool
    ) -> None:
        k = i % len(self.small)
        variant = self.small[k]
        self._seq += 1
        seq = f"{peer.name}-{self._seq}"
        req = self.request(peer, "small", k, variant.body, reply="sse", seq=seq)
        try:
            conn = conns[peer.name]
            if conn is None or not conn.reusable:
                conn = conns[peer.name] = await Connection.open(peer.route)
            resp = await conn.exchange(req, events=True, timeout=30.0)
        except ClientError as exc:
            conns[peer.name] = None
            cell.error(str(exc))
            return
        finally:
            sent = self.upstream.sse_sent.pop(seq, [])
        if resp.status != 200:
            cell.error(f"status {resp.status}")
            return
        events = [raw for raw, _ in resp.events]
        problem = check_stream(events, variant.reply)
        if problem is None and len(resp.body) != sum(map(len, events)):
            problem = "bytes after the last complete event"
        if problem:
            cell.error(problem)
            return
        marks = variant.reply.content_marks
        if len(sent) != len(marks):
            cell.error(f"upstream wrote {len(sent)} of {len(marks)} events")
            return
        if not measure:
            return
        cell.n += 1
        cell.samples.append(resp.events[0][1] - resp.sent)  # time to first event
        delays, held = _event_delays(resp.events, sent, marks)
        cell.held += held
        cell.extra.extend(delays)
        cell.per_request.append(sum(delays) / len(delays))

    # ------------------------------------------------------------------ new connections

    async def w5(self) -> dict[str, Cell]:
        plan = self.plan
        cells = {p.name: Cell("W5", p.name) for p in self.peers}
        spent = {p.name: 0.0 for p in self.peers}
        reqs = {
            p.name: [self.request(p, "small", k, v.body) for k, v in enumerate(self.small)]
            for p in self.peers
        }
        per_round = max(1, plan.w5 // plan.rounds)
        for r in range(-1, plan.rounds):
            for peer in self._order(max(r, 0)):
                cell = cells[peer.name]
                if cell.error_count >= MAX_ERRORS or spent[peer.name] > plan.budget:
                    continue
                t0 = time.perf_counter()
                c0 = _cpu(peer)
                for i in range(plan.w5_warm if r < 0 else per_round):
                    k = i % len(self.small)
                    start = time.perf_counter()
                    try:
                        conn = await Connection.open(peer.route)
                        resp = await conn.exchange(reqs[peer.name][k], timeout=10.0)
                        conn.close(graceful=True)
                    except ClientError as exc:
                        cell.error(str(exc))
                        if cell.error_count >= MAX_ERRORS:
                            break
                        continue
                    problem = check_json(resp, self.small[k].reply.json_body)
                    if problem:
                        cell.error(problem)
                    elif r >= 0:
                        cell.samples.append(resp.done - start)
                        cell.n += 1
                dt = time.perf_counter() - t0
                spent[peer.name] += dt
                if r >= 0:
                    cell.busy += dt
                    cell.cpu += _cpu(peer) - c0
        self._finish(cells, "small")
        return cells

    # ------------------------------------------------------------------ memory

    async def memory(self) -> dict[str, Cell]:
        """RSS of each proxy with ``mem_conns`` idle keep-alive connections, each used once."""
        plan = self.plan
        cells = {p.name: Cell("Memory", p.name) for p in self.peers}
        for peer in self.peers:
            cell = cells[peer.name]
            if peer.pid is None:
                cell.skipped = "no proxy process"
                continue
            await self._memory_one(peer, cell, plan.mem_conns)
        self._finish(cells, "small")
        return cells

    async def _memory_one(self, peer: Peer, cell: Cell, count: int) -> None:
        assert peer.pid is not None
        reqs = [self.request(peer, "small", k, v.body) for k, v in enumerate(self.small)]
        before = rss_bytes(peer.pid)
        conns: list[Connection] = []
        deadline = time.perf_counter() + self.plan.budget
        next_i = 0

        async def opener() -> None:
            nonlocal next_i
            while next_i < count and time.perf_counter() < deadline:
                i = next_i
                next_i += 1
                k = i % len(reqs)
                try:
                    conn = await Connection.open(peer.route, timeout=30.0)
                    resp = await conn.exchange(reqs[k], timeout=30.0)
                except ClientError as exc:
                    cell.error(str(exc))
                    if cell.error_count >= MAX_ERRORS:
                        return
                    continue
                conns.append(conn)
                problem = check_json(resp, self.small[k].reply.json_body)
                if problem:
                    cell.error(problem)

        t0 = time.perf_counter()
        await asyncio.gather(*(opener() for _ in range(self.plan.mem_parallel)))
        cell.busy = time.perf_counter() - t0
        await asyncio.sleep(1.0)
        after = rss_bytes(peer.pid)
        cell.n = len(conns)
        per_conn = (after - before) / max(1, len(conns))
        cell.figures = {
            "rss_before_mb": before / 1e6,
            "rss_mb": after / 1e6,
            "kb_per_conn": per_conn / 1e3,
            "rss_1000_mb": (before + 1000 * per_conn) / 1e6,
            "open_s": cell.busy,
        }
        for conn in conns:
            conn.close(graceful=True)
        await asyncio.sleep(0.5)


def _cpu(peer: Peer) -> float:
    pid = peer.pid
    if pid is None or not peer.alive():
        return 0.0
    try:
        return cpu_seconds(pid)
    except OSError:
        return 0.0


def _event_delays(
    received: list[tuple[bytes, float]], sent: list[float], marks: tuple[int, ...]
) -> tuple[list[float], int]:
    """For each delta event the upstream wrote: when the client had all its content, minus
    when it was written; and how many arrived only after the next one was written. A proxy may
    merge or re-render events; the characters of content do not change."""
    got: list[tuple[int, float]] = []
    total = 0
    for raw, t in received:
        total += delta_chars(raw)
        got.append((total, t))
    delays: list[float] = []
    held = 0
    j = 0
    prev = 0
    for i, (mark, t_sent) in enumerate(zip(marks, sent, strict=True)):
        if mark == prev:
            continue  # not a delta event
        prev = mark
        while got[j][0] < mark:
            j += 1
        delays.append(got[j][1] - t_sent)
        if i + 1 < len(sent) and got[j][1] > sent[i + 1]:
            held += 1
    return delays, held


Workload = Callable[[], Awaitable[dict[str, Cell]]]
