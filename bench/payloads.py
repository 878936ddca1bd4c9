"""What the client sends and what the upstream answers, shared by both so either can check.

Every request carries a few AWS identifiers near the start of its body. The upstream picks
the first :data:`ECHO_COUNT` of them out of what it received (the originals on a direct or
tunnelled path, the surrogates behind a masking proxy) and puts them in its reply: in a JSON
message, or cut across the deltas of a 200-event stream. A masking proxy must restore them, so
the client always expects the reply built from the originals, byte for byte (JSON) or text for
text (event streams, whose events a proxy may re-render or merge).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from bench.mitm_addon import AWS_VALUES

API_HOST = "api.anthropic.com"
TUNNEL_HOST = "tunnel.bench.test"
PATH = "/v1/messages"

ECHO_COUNT = 6
ECHO_WINDOW = 4096
ECHO_IDS = re.compile(rb"\b(?:i|vol|sg|subnet|vpc)-[0-9a-f]{17}\b|\bAKIA[0-9A-Z]{16}\b")

SSE_EVENTS = 200
SSE_TEXT_DELTAS = 120
SSE_JSON_DELTAS = SSE_EVENTS - SSE_TEXT_DELTAS - 7
_CUTS = (3, 5, 2, 7, 4, 6, 1, 8, 5, 3)

_SENTENCE = (
    "the health check on port 443 fails after the deploy while the load balancer keeps "
    "draining connections and the autoscaling group replaces the unhealthy node before the "
    "alarm clears so please look at the recent changes and tell me what to roll back"
)
_WORDS = _SENTENCE.split()


def echo_ids(body: bytes) -> tuple[bytes, ...]:
    """The identifiers the upstream echoes: the first few distinct ones near the start."""
    seen: dict[bytes, None] = {}
    for m in ECHO_IDS.finditer(body, 0, ECHO_WINDOW):
        seen.setdefault(m.group(), None)
        if len(seen) == ECHO_COUNT:
            break
    return tuple(seen)


def aws_values(data: bytes) -> set[bytes]:
    """The values the masking peers must mask: hex of resource ids, key ids, ARN accounts."""
    out: set[bytes] = set()
    for m in AWS_VALUES.finditer(data):
        out.add(m.group(2) or m.group(4) or m.group(6))
    return out


# ---------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Ids:
    instance: str
    volume: str
    group: str
    subnet: str
    vpc: str
    key: str
    account: str

    @classmethod
    def draw(cls, r: random.Random) -> Ids:
        def hexs(n: int) -> str:
            return "".join(r.choice("0123456789abcdef") for _ in range(n))

        upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        return cls(
            instance="i-" + hexs(17),
            volume="vol-" + hexs(17),
            group="sg-" + hexs(17),
            subnet="subnet-" + hexs(17),
            vpc="vpc-" + hexs(17),
            key="AKIA" + "".join(r.choice(upper) for _ in range(16)),
            account=str(r.randint(10**11, 10**12 - 1)),
        )

    def sentence(self) -> str:
        return (
            f"Instance {self.instance} (volume {self.volume}) in {self.vpc} / {self.subnet} "
            f"behind {self.group} fails its health checks; the deploy key is {self.key} and "
            f"the role arn:aws:iam::{self.account}:role/deploy-bot."
        )


def _prose(r: random.Random, words: int) -> str:
    return " ".join(r.choice(_WORDS) for _ in range(words))


def small_body(ids: Ids, r: random.Random, size: int = 1024) -> bytes:
    """A Messages request of about ``size`` bytes (W1, W2, W4, W5)."""
    body: dict[str, Any] = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": [{"type": "text", "text": ids.sentence()}]}],
        "system": [{"type": "text", "text": "You are an infrastructure assistant."}],
    }
    text = body["messages"][0]["content"][0]
    while len(json.dumps(body)) < size - 8:
        text["text"] += " " + _prose(r, 1)
    return json.dumps(body).encode()


def large_body(ids: Ids, bulk: dict[str, Any]) -> bytes:
    """``bulk`` (a parsed Claude-Code-like request) with the echo sentence as its first turn."""
    body = {
        "model": bulk["model"],
        "max_tokens": bulk["max_tokens"],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": ids.sentence()}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Looking."}]},
            *bulk["messages"],
        ],
        "system": bulk["system"],
        "tools": bulk["tools"],
    }
    return json.dumps(body).encode()


def request_bytes(host: str, body: bytes, headers: list[tuple[str, str]]) -> bytes:
    lines = [
        f"POST {PATH} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        "Anthropic-Version: 2023-06-01",
        "X-Api-Key: sk-ant-bench-not-a-key",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ---------------------------------------------------------------------------- replies


def _text_for(ids: tuple[str, ...]) -> str:
    parts: list[str] = []
    r = random.Random(7)
    while sum(map(len, parts)) < sum(_CUTS) * SSE_TEXT_DELTAS // len(_CUTS) + 200:
        for token in ids:
            parts.append(f"{_prose(r, 3)} {token}, ")
    return "I looked at " + "".join(parts).rstrip(", ") + "."


def _command_for(ids: tuple[str, ...]) -> dict[str, str]:
    cmd: list[str] = []
    while sum(map(len, cmd)) < sum(_CUTS) * SSE_JSON_DELTAS // len(_CUTS) + 200:
        for token in ids:
            cmd.append(f"aws ec2 describe-tags --filters Name=resource-id,Values={token}")
    return {"command": " && ".join(cmd)}


def _cut(text: str, pieces: int) -> list[str]:
    out: list[str] = []
    i = 0
    for k in range(pieces - 1):
        n = _CUTS[k % len(_CUTS)]
        out.append(text[i : i + n])
        i += n
    out.append(text[i:])
    assert all(out), "reply text too short for its deltas"
    return out


def _event(name: str, obj: dict[str, Any]) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (name.encode(), json.dumps(obj).encode())


@dataclass(frozen=True)
class Reply:
    """The upstream's replies for one tuple of echoed identifiers."""

    ids: tuple[str, ...]

    @cached_property
    def json_body(self) -> bytes:
        return json.dumps(
            {
                "id": "msg_01bench",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [
                    {"type": "text", "text": "Checked " + ", ".join(self.ids) + "; all healthy."}
                ],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 312, "output_tokens": 48},
            }
        ).encode()

    @cached_property
    def text(self) -> str:
        return _text_for(self.ids)

    @cached_property
    def command(self) -> dict[str, str]:
        return _command_for(self.ids)

    @cached_property
    def events(self) -> tuple[bytes, ...]:
        """The event stream: exactly :data:`SSE_EVENTS` events."""
        ev = [
            _event(
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_01bench",
                        "type": "message",
                        "role": "assistant",
                        "model": "claude-sonnet-4-5",
                        "content": [],
                        "stop_reason": None,
                        "usage": {"input_tokens": 312, "output_tokens": 1},
                    },
                },
            ),  # fmt: skip
            _event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            ),  # fmt: skip
        ]
        for piece in _cut(self.text, SSE_TEXT_DELTAS):
            ev.append(_delta(0, "text_delta", "text", piece))
        ev.append(_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
        ev.append(
            _event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 1,
                    "content_block": {
                        "type": "tool_use",
                        "id": "toolu_01bench",
                        "name": "Bash",
                        "input": {},
                    },
                },
            )  # fmt: skip
        )
        for piece in _cut(json.dumps(self.command), SSE_JSON_DELTAS):
            ev.append(_delta(1, "input_json_delta", "partial_json", piece))
        ev.append(_event("content_block_stop", {"type": "content_block_stop", "index": 1}))
        ev.append(
            _event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {
                        "type": "message_delta",
                        "stop_reason": "tool_use",
                        "stop_sequence": None,
                    },
                    "usage": {"output_tokens": 220},
                },
            )  # fmt: skip
        )
        ev.append(_event("message_stop", {"type": "message_stop"}))
        assert len(ev) == SSE_EVENTS
        return tuple(ev)

    @cached_property
    def content_marks(self) -> tuple[int, ...]:
        """For each event, the characters of delta content sent up to and including it."""
        marks, total = [], 0
        for raw in self.events:
            total += delta_chars(raw)
            marks.append(total)
        return tuple(marks)


def _delta(index: int, kind: str, field: str, value: str) -> bytes:
    return _event(
        "content_block_delta",
        {"type": "content_block_delta", "index": index, "delta": {"type": kind, field: value}},
    )


def _data(raw: bytes) -> dict[str, Any]:
    i = raw.find(b"\ndata: ")
    if not raw.startswith(b"event: ") or i < 0:
        raise ValueError("not an event")
    return json.loads(raw[i + 7 :])


def delta_chars(raw: bytes) -> int:
    """Characters of text or partial JSON an event carries (0 for other events)."""
    if not raw.startswith(b"event: content_block_delta"):
        return 0
    delta = _data(raw)["delta"]
    return len(delta.get("text") or delta.get("partial_json") or "")


def check_stream(events: list[bytes], expected: Reply) -> str | None:
    """Why ``events`` (as the client got them) are not the expected reply; None when they are."""
    if not events:
        return "no events"
    names: list[str] = []
    text: list[str] = []
    partial: list[str] = []
    for raw in events:
        try:
            obj = _data(raw)
        except ValueError:
            return f"incomplete or malformed event {raw[:60]!r}"
        names.append(obj.get("type", "?"))
        if obj.get("type") == "content_block_delta":
            delta = obj["delta"]
            (text if obj["index"] == 0 else partial).append(
                delta.get("text") or delta.get("partial_json") or ""
            )
    if names[0] != "message_start" or names[-1] != "message_stop":
        return f"stream starts with {names[0]} and ends with {names[-1]}"
    if "".join(text) != expected.text:
        return "text differs from the originals' reply (surrogates not restored?)"
    try:
        command = json.loads("".join(partial))
    except ValueError:
        return "tool input is not valid JSON"
    if command != expected.command:
        return "tool input differs from the originals' reply (surrogates not restored?)"
    return None
