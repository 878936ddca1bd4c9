#!/usr/bin/env python3
"""Measure what the intercepting proxy adds to a small POST, against a direct connection.

Starts a local TLS upstream (the test suite's) and ``maskproxy run`` as a subprocess, then
sends N small POSTs over one keep-alive connection directly and N through the proxy's CONNECT
tunnel, interleaved so both see the same machine state, and prints p50/p90 of each and the
p50 difference. Loopback only.

    .venv/bin/python scripts/latency.py [-n 500]
"""

from __future__ import annotations

import argparse
import http.client
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from support.launcher import ProxyProcess  # noqa: E402
from support.testca import TestCA  # noqa: E402
from support.upstream import FakeUpstream, ServerExchange  # noqa: E402

HOST = "api.anthropic.com"
BODY = b'{"model":"claude","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'


def small_reply(ex: ServerExchange) -> None:
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


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="requests per path (default 500)")
    parser.add_argument("--log-level", default="info", help="proxy log level (default info)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        ca = TestCA(tmpdir / "ca")
        with FakeUpstream(ca.issue(HOST), handler=small_reply) as upstream:
            proxy = ProxyProcess(
                [
                    "--upstream-ca", str(ca.cert_path),
                    "--connect-to", f"{HOST}:443:127.0.0.1:{upstream.port}",
                    "--log-level", args.log_level,
                ],
                state_dir=tmpdir / "state",
                log_path=tmpdir / "proxy.log",
            ).start()  # fmt: skip
            try:
                direct_ctx = ssl.create_default_context(cafile=str(ca.cert_path))
                direct_ctx.check_hostname = False  # dialled by address; the cert names HOST
                direct = http.client.HTTPSConnection(
                    "127.0.0.1", upstream.port, context=direct_ctx, timeout=10
                )
                proxied = http.client.HTTPSConnection(
                    *proxy.address,
                    context=ssl.create_default_context(cafile=str(proxy.ca_path)),
                    timeout=10,
                )
                proxied.set_tunnel(HOST, 443)
                for _ in range(20):  # warm-up: handshakes, leaf minting, pools
                    timed_post(direct)
                    timed_post(proxied)
                d: list[float] = []
                p: list[float] = []
                for _ in range(args.n):
                    d.append(timed_post(direct))
                    p.append(timed_post(proxied))
            finally:
                proxy.stop()
    ms = 1000.0
    print(f"requests per path: {args.n} (keep-alive, interleaved, loopback)")
    print(f"direct:  p50 {pct(d, 50) * ms:.3f} ms  p90 {pct(d, 90) * ms:.3f} ms")
    print(f"proxied: p50 {pct(p, 50) * ms:.3f} ms  p90 {pct(p, 90) * ms:.3f} ms")
    print(f"added by maskproxy: p50 {(pct(p, 50) - pct(d, 50)) * ms:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
