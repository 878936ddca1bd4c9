"""Restoring originals in Anthropic responses: the event stream and plain JSON bodies.

The SSE unmasker keeps one unmasker per content block, chosen by the block's type from its
``content_block_start``: ``text_delta.text`` is restored as text, ``input_json_delta`` of a
client ``tool_use`` block in the decoded string domain of its JSON fragments. Everything else
(thinking, signatures, server-tool blocks, unknown deltas, message events) passes byte for
byte. An event goes out as soon as it may: it waits only while the tail of its text could still
be the start of a surrogate, and whatever is held is flushed before ``content_block_stop``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from masking.sse import SseEvent, SseParser
from masking.stream_unmasker import StreamUnmasker, SurrogateIndex

_NEEDS_ESCAPE = re.compile(rb'["\\\x00-\x1f\x7f-\xff]')


def json_escaped(value: bytes) -> bytes:
    """The bytes of ``value`` as they stand inside a JSON string (no quotes)."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value  # the usual surrogate: ASCII letters, digits and punctuation
    text = value.decode("utf-8", "surrogatepass")
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8", "surrogatepass")


def escaped_index(by_surrogate: dict[bytes, bytes], glue: Iterable[bytes] = ()) -> SurrogateIndex:
    """An index for raw JSON text: surrogates and originals in their JSON-escaped forms."""
    return SurrogateIndex({json_escaped(s): json_escaped(o) for s, o in by_surrogate.items()}, glue)


class _TextStream:
    """Unmasks a text block's ``text_delta`` strings."""

    def __init__(self, index: SurrogateIndex) -> None:
        self._un = StreamUnmasker(index)

    def feed(self, text: str) -> str:
        return self._un.feed(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")

    def finish(self) -> str:
        return self._un.finish().decode("utf-8", "surrogatepass")

    @property
    def restored(self) -> int:
        return self._un.restored


# Pieces of a JSON text outside strings, inside strings, and string escapes.
_OUTSIDE = re.compile(r'[^"]*')
_INSIDE = re.compile(r'[^"\\]*')
_ESCAPE = re.compile(r'\\(?:u[0-9a-fA-F]{4}|["\\/bfnrt])')
_ESCAPE_PREFIX = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?\Z")
_HIGH_SURROGATE = re.compile(r"\\u[dD][89abAB]")


class PartialJsonUnmasker:
    """Unmasks the strings of a JSON text that arrives in fragments (``partial_json``).

    String contents are decoded, restored as text, and re-escaped, so the concatenated output
    is valid JSON with the originals in place, whatever escapes the model used and wherever
    the fragments were cut.
    """

    def __init__(self, index: SurrogateIndex) -> None:
        self._index = index
        self._un = StreamUnmasker(index)
        self._in_string = False
        self._pending = ""  # an escape cut by a fragment boundary
        self.restored = 0

    def feed(self, fragment: str) -> str:
        text = self._pending + fragment
        self._pending = ""
        out: list[str] = []
        i = 0
        n = len(text)
        while i < n:
            if not self._in_string:
                j = _OUTSIDE.match(text, i).end()
                out.append(text[i:j])
                if j < n:  # an opening quote
                    out.append('"')
                    self._in_string = True
                    j += 1
                i = j
                continue
            j = _INSIDE.match(text, i).end()
            decoded = [text[i:j]]
            while j < n and text[j] == "\\":
                m = _ESCAPE.match(text, j)
                if m is None:
                    if _ESCAPE_PREFIX.match(text, j):
                        self._pending = text[j:]
                        j = n
                        break
                    # Not valid JSON; keep the backslash so the client sees what came.
                    decoded.append("\\")
                    j += 1
                elif _HIGH_SURROGATE.match(m.group()) and (
                    m.end() == n or _ESCAPE_PREFIX.match(text, m.end())
                ):
                    self._pending = text[j:]  # its low half is in the next fragment
                    j = n
                    break
                else:
                    decoded.append(json.loads('"' + m.group() + '"'))
                    j = m.end()
                k = _INSIDE.match(text, j).end()
                decoded.append(text[j:k])
                j = k
            joined = "".join(decoded)
            if len(decoded) > 1:
                # Pair up surrogate halves that came as two escapes.
                joined = joined.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
            out.append(self._text(joined))
            if j < n:  # the closing quote
                out.append(self._flush())
                out.append('"')
                self._in_string = False
                j += 1
            i = j
        return "".join(out)

    def finish(self) -> str:
        return self._flush() + self._pending

    def _text(self, decoded: str) -> str:
        if not decoded:
            return ""
        got = self._un.feed(decoded.encode("utf-8", "surrogatepass"))
        return _escape(got)

    def _flush(self) -> str:
        got = self._un.finish()
        self.restored = self._un.restored
        return _escape(got)


def _escape(raw: bytes) -> str:
    if not raw:
        return ""
    return json.dumps(raw.decode("utf-8", "surrogatepass"), ensure_ascii=False)[1:-1]


class SseUnmasker:
    """``feed(bytes) -> bytes`` over a Messages event stream; ``finish() -> bytes``."""

    def __init__(self, index: SurrogateIndex) -> None:
        self._index = index
        self._parser = SseParser()
        self._blocks: dict[int, tuple[str, Any]] = {}  # index -> (delta type, unmasker)
        self.restored = 0

    def feed(self, data: bytes) -> bytes:
        events = self._parser.feed(data)
        if not events:
            return b""
        return b"".join(self._event(e) for e in events)

    def finish(self) -> bytes:
        out = b"".join(self._event(e) for e in self._parser.finish())
        for idx in list(self._blocks):
            out += self._flush(idx)
        return out

    def _event(self, ev: SseEvent) -> bytes:
        if not self._index.pairs:
            return ev.raw
        name = ev.event
        if name not in (b"content_block_start", b"content_block_delta", b"content_block_stop"):
            return ev.raw
        try:
            obj = json.loads(ev.data)
            idx = obj["index"]
        except (ValueError, KeyError, TypeError):
            return ev.raw  # not ours to judge: pass it on
        if name == b"content_block_start":
            block = obj.get("content_block") or {}
            btype = block.get("type")
            if btype == "text":
                self._blocks[idx] = ("text_delta", _TextStream(self._index))
            elif btype == "tool_use":
                self._blocks[idx] = ("input_json_delta", PartialJsonUnmasker(self._index))
            return ev.raw
        if name == b"content_block_stop":
            return self._flush(idx) + ev.raw
        entry = self._blocks.get(idx)
        delta = obj.get("delta") or {}
        if entry is None or delta.get("type") != entry[0]:
            return ev.raw
        field = "text" if entry[0] == "text_delta" else "partial_json"
        value = delta.get(field)
        if not isinstance(value, str):
            return ev.raw
        restored = entry[1].feed(value)
        if restored == value:
            return ev.raw
        if not restored:
            return b""  # all of it may still be a surrogate: wait for the next delta
        delta[field] = restored
        return _render(name, obj)

    def _flush(self, idx: int) -> bytes:
        entry = self._blocks.pop(idx, None)
        if entry is None:
            return b""
        rest = entry[1].finish()
        self.restored += entry[1].restored
        if not rest:
            return b""
        field = "text" if entry[0] == "text_delta" else "partial_json"
        return _render(
            b"content_block_delta",
            {"type": "content_block_delta", "index": idx, "delta": {"type": entry[0], field: rest}},
        )


def _render(name: bytes, obj: dict[str, Any]) -> bytes:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )
    return b"event: " + name + b"\ndata: " + body + b"\n\n"
