#!/usr/bin/env python3
"""Measure what the intercepting proxy adds to a small POST, against a direct connection.

Starts a local TLS upstream (the test suite's) and ``maskproxy run`` as a subprocess, then
sends N small POSTs over one keep-alive connection directly and N through the proxy's CONNECT
tunnel, interleaved so both see the same machine state, and prints p50/p90 of each and the
p50 difference. Loopback only.

With ``--http2`` the same run also measures HTTP/2: an HTTP/2 client (h2) sends N POSTs on one
connection straight to a local HTTP/2 upstream and N through a second proxy to that upstream
(HTTP/2 on both sides of the proxy), interleaved with the HTTP/1.1 pair. The upstreams run in
a child process, so their threads do not compete with the client for this interpreter's lock.

    .venv/bin/python scripts/latency.py [-n 500] [--http2]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.h2client import H2Client  # noqa: E402
from support.launcher import ProxyProcess  # noqa: E402
from support.testca import CertPair, TestCA  # noqa: E402
from support.upstream import FakeUpstream, ServerExchange  # noqa: E402
from support.upstream_h2 import H2ServerExchange, H2Upstream  # noqa: E402

HOST = "api.anthropic.com"
BODY = b'{"model":"claude","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'


def small_reply(ex: ServerExchange | H2ServerExchange) -> None:
    ex.read_body()
    ex.respond(200, b'{"type":"message","content":[]}', [("content-type", "application/json")])


def timed_post(conn: http.client.HTTPSConnection) -> float:
    start = time.perf_counter()
    conn.request("POST", "/v1/messages", body=BODY, headers={"content-type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    elapsed = time.perf_counter() - start
    if resp.status != 200:
        raise RuntimeError(f"status {resp.status}")
    return elapsed


def timed_post_h2(client: H2Client) -> float:
    start = time.perf_counter()
    sid = client.request(
        "POST", "/v1/messages", [("content-type", "application/json")], BODY, end=True
    )
    stream = client.response(sid)
    elapsed = time.perf_counter() - start
    del client.streams[sid]
    if stream.status != 200:
        raise RuntimeError(f"status {stream.status}")
    return elapsed


def _serve(kind: str, cert: CertPair, port_out: Connection, stop: Event) -> None:
    server = (
        H2Upstream(cert, handler=small_reply) if kind == "h2" else FakeUpstream(cert, small_reply)
    )  # type: ignore[arg-type]
    with server:
        port_out.send(server.port)
        stop.wait()


def upstream_process(stack: contextlib.ExitStack, kind: str, cert: CertPair) -> int:
    """Run an upstream (``h1`` or ``h2``) in a child process; returns its port."""
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_serve, args=(kind, cert, send, stop), daemon=True)
    proc.start()
    stack.callback(proc.join, 5)
    stack.callback(stop.set)
    return int(receive.recv())


def start_proxy(tmpdir: Path, name: str, ca: TestCA, port: int, log_level: str) -> ProxyProcess:
    return ProxyProcess(
        [
            "--upstream-ca", str(ca.cert_path),
            "--connect-to", f"{HOST}:443:127.0.0.1:{port}",
            "--log-level", log_level,
        ],
        state_dir=tmpdir / f"state-{name}",
        log_path=tmpdir / f"proxy-{name}.log",
    ).start()  # fmt: skip


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="requests per path (default 500)")
    parser.add_argument("--log-level", default="info", help="proxy log level (default info)")
    parser.add_argument(
        "--http2", action="store_true", help="also measure HTTP/2 on both sides, same run"
    )
    args = parser.parse_args()
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        tmpdir = Path(tmp)
        ca = TestCA(tmpdir / "ca")
        up_port = upstream_process(stack, "h1", ca.issue(HOST))
        proxy = start_proxy(tmpdir, "h1", ca, up_port, args.log_level)
        stack.callback(proxy.stop)
        direct_ctx = ssl.create_default_context(cafile=str(ca.cert_path))
        direct_ctx.check_hostname = False  # dialled by address; the cert names HOST
        direct = http.client.HTTPSConnection("127.0.0.1", up_port, context=direct_ctx, timeout=10)
        proxied = http.client.HTTPSConnection(
            *proxy.address,
            context=ssl.create_default_context(cafile=str(proxy.ca_path)),
            timeout=10,
        )
        proxied.set_tunnel(HOST, 443)
        paths: dict[str, Callable[[], float]] = {
            "h1 direct": lambda: timed_post(direct),
            "h1 proxied": lambda: timed_post(proxied),
        }
        if args.http2:
            up2_port = upstream_process(stack, "h2", ca.issue(HOST))
            proxy2 = start_proxy(tmpdir, "h2", ca, up2_port, args.log_level)
            stack.callback(proxy2.stop)
            direct2 = stack.enter_context(
                H2Client(("127.0.0.1", up2_port), HOST, ca.cert_path, direct=True)
            )
            proxied2 = stack.enter_context(H2Client(proxy2.address, HOST, proxy2.ca_path))
            paths["h2 direct"] = lambda: timed_post_h2(direct2)
            paths["h2 proxied"] = lambda: timed_post_h2(proxied2)
        for _ in range(20):  # warm-up: handshakes, leaf minting, pools
            for run in paths.values():
                run()
        results = {name: [] for name in paths}
        for _ in range(args.n):
            for name, run in paths.items():
                results[name].append(run())
    ms = 1000.0
    print(f"requests per path: {args.n} (keep-alive, interleaved, loopback)")
    for name, values in results.items():
        print(f"{name:11s} p50 {pct(values, 50) * ms:.3f} ms  p90 {pct(values, 90) * ms:.3f} ms")
    for proto in ("h1", "h2"):
        if f"{proto} direct" in results:
            added = pct(results[f"{proto} proxied"], 50) - pct(results[f"{proto} direct"], 50)
            print(f"added by maskproxy over {proto}: p50 {added * ms:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
