"""The Engine row: masking and unmasking MB/s, maskproxy's engine against the addon's ``re``.

maskproxy's figures come from ``python -m bench.engine --json`` run as a child pinned to the
proxy CPU (that module pins itself to the last CPU it may use). The addon's come from
:func:`bench.mitm_addon.mask_body` and ``unmask_body`` on the same 1 MB body and the same
response-sized text, measured here the same way (best of ``repeat``).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.engine_body import claude_code_like_body
from bench.mitm_addon import mask_body, unmask_body
from bench.peers import REPO, pin_to


def maskproxy_engine(repeat: int, cpu: int | None, timeout: float = 1200.0) -> dict[str, Any]:
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.engine", "--json", "--repeat", str(repeat)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=pin_to(cpu),  # noqa: PLW1509 - no threads when this runs
        )
    except subprocess.TimeoutExpired:
        return {"error": f"bench.engine did not finish in {timeout:.0f} s"}
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-3:]
        return {"error": "bench.engine failed: " + " | ".join(tail)}
    try:
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"bench.engine printed no JSON: {out.stdout[-200:]!r}"}
    return result


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def addon_engine(repeat: int) -> dict[str, Any]:
    body = claude_code_like_body()
    masked, mapping = mask_body(body)
    if len(masked) != len(body) or not mapping:
        return {"error": "the addon's masking changed the length or masked nothing"}
    text = re.sub(rb"\\[nt\"]", b" ", masked)
    restored = unmask_body(text, mapping)
    if restored == text:
        return {"error": "the addon restored nothing"}
    return {
        "values_masked": len(mapping),
        "mask_mb_s": len(body) / 1e6 / _best(lambda: mask_body(body), repeat),
        "unmask_mb_s": len(text) / 1e6 / _best(lambda: unmask_body(text, mapping), repeat),
    }
