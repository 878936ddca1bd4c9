"""A sans-io parser for server-sent events (text/event-stream).

Bytes in, complete events out. Each event keeps its exact raw bytes, so an event nobody
rewrites goes to the client byte for byte; a partial event waits for its blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The blank line that ends an event: a line terminator right after another one.
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r|\n\r\n|\r\n\n")
_LINE = re.compile(rb"\r\n|\n|\r")


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One event: its raw bytes (with the terminating blank line), name and joined data."""

    raw: bytes
    event: bytes
    data: bytes


class SseParser:
    """``feed(bytes) -> list[SseEvent]``; ``finish()`` returns an unterminated last event."""

    def __init__(self) -> None:
        self._buf = b""

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[SseEvent]:
        buf = self._buf + data if self._buf else data
        events = []
        pos = 0
        for m in _EVENT_END.finditer(buf):
            events.append(_parse(buf[pos : m.end()], buf[pos : m.start()]))
            pos = m.end()
        self._buf = buf[pos:]
        return events

    def finish(self) -> list[SseEvent]:
        rest, self._buf = self._buf, b""
        return [_parse(rest, rest)] if rest else []


def _parse(raw: bytes, body: bytes) -> SseEvent:
    event = b""
    data: list[bytes] = []
    for line in _LINE.split(body):
        if not line or line[:1] == b":":
            continue
        name, _, value = line.partition(b":")
        if value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            data.append(value)
        elif name == b"event":
            event = value
    return SseEvent(raw, event, b"\n".join(data))
