"""Masking-engine throughput on a 1 MB Claude-Code-like request body, on one core.

Mask: the whole body through the engine with the Messages layout, as the proxy does it when the
last byte is in. Cold: a fresh engine (no values known yet); warm: an engine that has masked
the body before (its values are known, as in a conversation resent turn after turn). Resent:
the next turn of the same conversation (one more tool call and result, in Claude Code's
layout) through the engine that masked the turn before. Unmask: a response text of the same
size holding the surrogates, with the exchange's reply index built, as the proxy has it when a
reply arrives (it builds the index while the request is upstream); the index's build is timed on
its own, and unmask with the build included is reported too; a 4 KB reply in 40-byte
event-stream deltas with the whole conversation's map.

    python -m bench.engine [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
from collections.abc import Callable

from bench.engine_body import claude_code_like_body
from masking import _core
from masking.engine import Engine

KEY = bytes(range(32))


def _turns(body: bytes) -> tuple[bytes, bytes]:
    """Two consecutive turns of the body's conversation as Claude Code sends them: messages
    before system and tools, and the prompt-cache breakpoint on the last message, so that it
    moves between the turns (the second differs from the first inside its last message)."""
    doc = json.loads(body)
    first = {"model": doc["model"], "messages": doc["messages"]}
    first.update((k, v) for k, v in doc.items() if k not in first)

    def mark_last(messages: list) -> None:
        block = messages[-1]["content"][-1]
        block["cache_control"] = {"type": "ephemeral"}

    mark_last(first["messages"])
    one = json.dumps(first).encode()
    first["messages"][-1]["content"][-1].pop("cache_control")
    tid = "toolu_01NextTurnNextTurnNextTu"
    first["messages"] += [
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": tid, "name": "Bash", "input": {"command": "aws s3 ls"}}
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": tid,
                    "content": "2026-11-02 09:14:07 ops-artifacts-491827365012\n" * 60,
                }
            ],
        },
    ]
    mark_last(first["messages"])
    return one, json.dumps(first).encode()


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _sse(text: bytes, step: int) -> bytes:
    """``text`` as an Anthropic event stream of ``text_delta`` events of ``step`` bytes."""
    events = [
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
        b'"content_block":{"type":"text","text":""}}\n\n'
    ]
    for i in range(0, len(text), step):
        piece = json.dumps({"type": "text_delta", "text": text[i : i + step].decode("latin-1")})
        events.append(
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":'
            + piece.encode()
            + b"}\n\n"
        )
    events.append(b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n')
    return b"".join(events)


def measure(repeat: int = 5) -> dict[str, float]:
    body = claude_code_like_body()
    mb = len(body) / 1e6

    cold = _best(lambda: Engine(KEY).mask(body, "messages"), repeat)
    engine = Engine(KEY)
    masker = engine.mask(body, "messages")
    masked = masker.body or b""
    assert len(masked) == len(body), "masking changed the body length"
    warm = _best(lambda: engine.mask(body, "messages"), repeat)
    scan_only = _best(lambda: _core.scan(body), repeat)
    turn1, turn2 = _turns(body)
    resent_engine = Engine(KEY)
    resent_engine.mask(turn1, "messages")
    resent = _best(lambda: resent_engine.mask(turn2, "messages"), repeat)

    # A response-sized text that mentions the surrogates as a model would.
    text = re.sub(rb"\\[nt\"]", b" ", masked)
    pairs, glue = masker.pairs, masker.glue

    def unmask(exchange_map: _core.ExchangeMap, piece: bytes, kind: str, step: int) -> bytes:
        un = exchange_map.unmasker(kind, 16 << 20)
        out = [un.feed(piece[i : i + step]) for i in range(0, len(piece), step)]
        return b"".join(out) + un.finish()

    def fresh_map() -> _core.ExchangeMap:
        return _core.ExchangeMap.from_pairs(pairs, glue)

    restored = unmask(fresh_map(), text, "text", 1 << 16)
    assert pairs and restored != text, "nothing was restored"
    prepared = fresh_map()
    prepared.prepare()
    same = unmask(prepared, text, "text", 1 << 16) == restored
    assert same, "the prepared index restores otherwise"
    unmask_t = _best(lambda: unmask(prepared, text, "text", 1 << 16), repeat)
    unmask_with_index_t = _best(lambda: unmask(fresh_map(), text, "text", 1 << 16), repeat)

    def build_index() -> None:
        _core.ExchangeMap.from_pairs(pairs, glue).prepare()

    index_t = _best(build_index, repeat)
    reply = _sse(text[len(text) // 2 : len(text) // 2 + 4096], 40)
    reply_map = _core.ExchangeMap.from_pairs(pairs, glue)
    reply_map.prepare()

    def stream_reply() -> None:
        un = reply_map.unmasker("sse", 16 << 20)
        for i in range(0, len(reply), 1 << 10):
            un.feed(reply[i : i + (1 << 10)])
        un.finish()

    reply_t = _best(stream_reply, repeat)
    known, known_bytes = engine.known_values
    return {
        "body_bytes": len(body),
        "values_masked": len(pairs),
        "scan_mb_s": mb / scan_only,
        "mask_cold_mb_s": mb / cold,
        "mask_warm_mb_s": mb / warm,
        "mask_resent_ms": resent * 1000,
        "unmask_mb_s": len(text) / 1e6 / unmask_t,
        "unmask_with_index_mb_s": len(text) / 1e6 / unmask_with_index_t,
        "unmask_index_build_ms": index_t * 1000,
        "unmask_4k_reply_ms": reply_t * 1000,
        "known_values": known,
        "known_bytes_per_value": known_bytes / known if known else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is kept")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})  # one core, as the target says
    got = measure(args.repeat)
    if args.json:
        print(json.dumps(got))
        return 0
    print("| engine figure | value |\n|---|---|")
    for k, v in got.items():
        print(f"| {k} | {v:.1f} |" if isinstance(v, float) else f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
