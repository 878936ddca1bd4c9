"""A fake Anthropic Messages API for the end-to-end tests, on the shared FakeUpstream.

It records every request, answers Claude Code's side calls, and plays a scripted model: a
*script* gets the parsed request and returns the content blocks of the reply, which are
streamed as server-sent events with their text and tool input cut into tiny deltas, so that
every surrogate is split across events at every offset.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from support.upstream import ServerExchange

# Shapes the fake model looks for in what it received: it repeats whatever it saw.
ID_SHAPES = re.compile(
    rb"i-[0-9a-f]{17}|vol-[0-9a-f]{17}|vol-[0-9a-f]{8}|sg-[0-9a-f]{17}|AKIA[A-Z0-9]{16}"
    rb"|ghp_[A-Za-z0-9]{36}|arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9-]+"
)

Script = Callable[[dict[str, Any]], list[dict[str, Any]]]


def ids_in(data: bytes) -> list[str]:
    """Id-shaped tokens in ``data``, first occurrence order, without repeats."""
    seen: dict[str, None] = {}
    for m in ID_SHAPES.finditer(data):
        seen.setdefault(m.group().decode(), None)
    return list(seen)


def last_user_bytes(request: dict[str, Any]) -> bytes:
    users = [m for m in request.get("messages", []) if m.get("role") == "user"]
    return json.dumps(users[-1] if users else {}).encode()


def sse(name: str, obj: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(obj)}\n\n".encode()


def pieces(text: str) -> list[str]:
    """Cut ``text`` into deltas of 1, 2 and 3 characters in turn."""
    out, i, k = [], 0, 0
    while i < len(text):
        n = 1 + k % 3
        out.append(text[i : i + n])
        i += n
        k += 1
    return out


class FakeAnthropic:
    """Handler for FakeUpstream: ``upstream.handler = fake``; ``fake.script = ...``."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.messages: list[tuple[bytes, dict[str, Any]]] = []  # (raw body, parsed)
        self.side_calls: list[str] = []
        self.bodies: list[tuple[str, bytes]] = []  # (path, raw body) of every request
        self.lock = threading.Lock()

    def __call__(self, ex: ServerExchange) -> None:
        target = ex.request.target
        body = ex.read_body()
        path = target.split("?", 1)[0]
        with self.lock:
            self.bodies.append((path, bytes(body)))
        if path.startswith("/api/"):
            with self.lock:
                self.side_calls.append(path)
            ex.respond_json(
                {"type": "error", "error": {"type": "not_found_error", "message": "not here"}},
                status=404,
            )
            return
        if path == "/v1/messages/count_tokens":
            ex.respond_json({"input_tokens": len(body) // 4})
            return
        if path != "/v1/messages":
            ex.respond_json(
                {"type": "error", "error": {"type": "not_found_error", "message": path}}, status=404
            )
            return
        request = json.loads(body)
        with self.lock:
            self.messages.append((bytes(body), request))
        blocks = self.script(request)
        if request.get("stream"):
            self._stream(ex, request, blocks)
        else:
            ex.respond_json(self._message(request, blocks))

    def _message(self, request: dict[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        return {
            "id": f"msg_fake{len(self.messages):04d}",
            "type": "message",
            "role": "assistant",
            "model": request.get("model", "claude-fake"),
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 10},
        }

    def _stream(
        self, ex: ServerExchange, request: dict[str, Any], blocks: list[dict[str, Any]]
    ) -> None:
        message = self._message(request, [])
        message["stop_reason"] = None
        ex.start_chunked(
            200, [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
        )
        ex.send_chunk(sse("message_start", {"type": "message_start", "message": message}))
        ex.send_chunk(sse("ping", {"type": "ping"}))
        for i, block in enumerate(blocks):
            start = dict(block)
            deltas: list[dict[str, Any]] = []
            if block["type"] == "text":
                start["text"] = ""
                deltas = [{"type": "text_delta", "text": p} for p in pieces(block["text"])]
            elif block["type"] == "tool_use":
                start["input"] = {}
                deltas = [
                    {"type": "input_json_delta", "partial_json": p}
                    for p in pieces(json.dumps(block["input"]))
                ]
            elif block["type"] == "thinking":
                start["thinking"] = ""
                start["signature"] = ""
                deltas = [
                    {"type": "thinking_delta", "thinking": p} for p in pieces(block["thinking"])
                ]
                deltas.append({"type": "signature_delta", "signature": block["signature"]})
            ex.send_chunk(
                sse(
                    "content_block_start",
                    {"type": "content_block_start", "index": i, "content_block": start},
                )
            )
            for d in deltas:
                ex.send_chunk(
                    sse(
                        "content_block_delta",
                        {"type": "content_block_delta", "index": i, "delta": d},
                    )
                )
            ex.send_chunk(sse("content_block_stop", {"type": "content_block_stop", "index": i}))
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        ex.send_chunk(
            sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": 10},
                },
            )
        )
        ex.send_chunk(sse("message_stop", {"type": "message_stop"}))
        ex.end_chunked()
