"""A small masking addon for mitmproxy: the same job as maskproxy, done with Python ``re``.

It is the benchmark's reference for "mitmproxy with a script": request bodies to the
intercepted host have their AWS resource ids, access key ids and ARN account ids replaced by
same-shaped surrogates (keyed HMAC, so a value always gets the same surrogate); the response is
restored with the map of its own request. JSON responses are restored whole (mitmproxy buffers
them); event streams are streamed through ``flow.response.stream``, a callable that mitmproxy
calls with each piece of the body and once with ``b""`` at the end. The restorer works event by
event and holds back only the tail of a delta that could still be the start of a surrogate.

    mitmdump -s bench/mitm_addon.py

This file runs inside mitmproxy's own interpreter (the bench's separate virtualenv), so it
imports nothing from the project; the harness imports its patterns and functions to check what
the upstream received and to measure its throughput, without mitmproxy installed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mitmproxy import http

INTERCEPT = frozenset({"api.anthropic.com"})
KEY = b"maskproxy-bench-mitm-addon-key"

# Resource ids (prefix kept, hex masked), access key ids (prefix kept), account ids in ARNs.
AWS_VALUES = re.compile(
    rb"\b((?:i|vol|snap|ami|sg|subnet|vpc|eni)-)([0-9a-f]{17}|[0-9a-f]{8})\b"
    rb"|\b(AKIA|ASIA)([0-9A-Z]{16})\b"
    rb"|(arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:)([0-9]{12})(?=:)"
)
_HEX = b"0123456789abcdef"
_UPPER = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = b"0123456789"


def _surrogate(value: bytes, alphabet: bytes) -> bytes:
    digest = hmac.new(KEY, value, hashlib.sha256).digest()
    while len(digest) < len(value):
        digest += hashlib.sha256(digest).digest()
    return bytes(alphabet[b % len(alphabet)] for b in digest[: len(value)])


def mask_body(body: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """``body`` with every AWS value masked, and the map surrogate token -> original token."""
    mapping: dict[bytes, bytes] = {}

    def sub(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            prefix, value, alphabet = m.group(1), m.group(2), _HEX
        elif m.group(3) is not None:
            prefix, value, alphabet = m.group(3), m.group(4), _UPPER
        else:
            prefix, value, alphabet = m.group(5), m.group(6), _DIGITS
        fake = _surrogate(value, alphabet)
        if m.group(5) is not None:
            mapping[fake] = value  # the account alone: it may stand in other ARNs too
        else:
            mapping[prefix + fake] = prefix + value
        return prefix + fake

    return AWS_VALUES.sub(sub, body), mapping


def unmask_body(body: bytes, mapping: dict[bytes, bytes]) -> bytes:
    """``body`` with every surrogate of ``mapping`` restored (found by shape, looked up)."""

    def sub(m: re.Match[bytes]) -> bytes:
        if m.group(5) is not None:
            return m.group(5) + mapping.get(m.group(6), m.group(6))
        token = m.group()
        return mapping.get(token, token)

    return AWS_VALUES.sub(sub, body)


class SseRestorer:
    """``flow.response.stream`` for an Anthropic event stream: restores delta texts."""

    def __init__(self, mapping: dict[bytes, bytes]) -> None:
        self._map = {k.decode(): v.decode() for k, v in mapping.items()}
        keys = sorted(self._map, key=len, reverse=True)
        self._rx = re.compile("|".join(re.escape(k) for k in keys))
        self._prefixes = {k[:i] for k in keys for i in range(1, len(k))}
        self._longest = len(keys[0])
        self._buf = b""
        self._held: dict[int, tuple[str, str]] = {}  # index -> (delta type, text held back)

    def __call__(self, data: bytes) -> list[bytes]:
        # A list, never b"": mitmproxy would send an empty chunk, which ends a chunked body.
        if not data:  # end of the body
            rest, self._buf = self._buf, b""
            out = [self._flush(i) for i in list(self._held)] + [rest]
            return [b for b in out if b]
        self._buf += data
        end = self._buf.rfind(b"\n\n")
        if end < 0:
            return []
        ready, self._buf = self._buf[: end + 2], self._buf[end + 2 :]
        joined = b"".join(self._event(raw + b"\n\n") for raw in ready.split(b"\n\n")[:-1])
        return [joined] if joined else []

    def _event(self, raw: bytes) -> bytes:
        if raw.startswith(b"event: content_block_stop"):
            stop = json.loads(raw[raw.index(b"data: ") + 6 :])
            return self._flush(stop["index"]) + raw
        if not raw.startswith(b"event: content_block_delta"):
            return raw
        obj: dict[str, Any] = json.loads(raw[raw.index(b"data: ") + 6 :])
        delta = obj["delta"]
        kind = delta.get("type")
        field = "text" if kind == "text_delta" else "partial_json"
        if kind not in ("text_delta", "input_json_delta"):
            return raw
        idx = obj["index"]
        value = delta[field]
        text = self._held.pop(idx, (kind, ""))[1] + value
        text = self._rx.sub(lambda m: self._map[m.group()], text)
        for k in range(min(self._longest - 1, len(text)), 0, -1):
            if text[-k:] in self._prefixes:
                self._held[idx] = (kind, text[-k:])
                text = text[:-k]
                break
        if text == value:
            return raw
        if not text:
            return b""
        delta[field] = text
        return _render(obj)

    def _flush(self, idx: int) -> bytes:
        kind, text = self._held.pop(idx, ("", ""))
        if not text:
            return b""
        field = "text" if kind == "text_delta" else "partial_json"
        return _render(
            {"type": "content_block_delta", "index": idx, "delta": {"type": kind, field: text}}
        )


def _render(obj: dict[str, Any]) -> bytes:
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    return b"event: " + obj["type"].encode() + b"\ndata: " + data + b"\n\n"


class MaskAddon:
    def request(self, flow: http.HTTPFlow) -> None:
        if flow.request.pretty_host not in INTERCEPT or not flow.request.raw_content:
            return
        masked, mapping = mask_body(flow.request.get_content(strict=False) or b"")
        flow.request.content = masked
        flow.metadata["bench_map"] = mapping

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        mapping = flow.metadata.get("bench_map")
        assert flow.response is not None
        ctype = flow.response.headers.get("content-type", "")
        if mapping and ctype.startswith("text/event-stream"):
            flow.response.stream = SseRestorer(mapping)

    def response(self, flow: http.HTTPFlow) -> None:
        mapping = flow.metadata.get("bench_map")
        assert flow.response is not None
        if mapping and not flow.response.stream and flow.response.raw_content:
            flow.response.content = unmask_body(flow.response.get_content() or b"", mapping)


addons = [MaskAddon()]
