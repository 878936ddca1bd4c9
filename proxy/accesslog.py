"""Logging set-up and the one line written per exchange.

An exchange line names the method, host, path (query values dropped: they can carry keys),
status, body bytes each way, duration and the masked counts by type — never a body and never a
header value. Under systemd (``$JOURNAL_STREAM`` set) lines carry no timestamp, since journald
adds its own, and start with a ``<N>`` syslog priority that journald turns into the priority.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TextIO

log = logging.getLogger("maskproxy")
access = logging.getLogger("maskproxy.access")

client_protocol: ContextVar[str] = ContextVar("client_protocol", default="http/1.1")
"""The protocol the client speaks on the current connection (``http/1.1`` or ``h2``); set by
the connection's task, inherited by the tasks it starts, logged with each exchange."""

_SYSLOG_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


_LEVEL_NAMES = {
    level: logging.getLevelName(level)
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)
}


class _LineFormatter(logging.Formatter):
    """A log line from a record, or straight from a message and its fields (the exchange line,
    written without a log record); subclasses render one line from either."""

    def _render(
        self,
        created: float,
        levelno: int,
        msg: str,
        fields: Mapping[str, object],
        exc: str | None = None,
    ) -> str:
        raise NotImplementedError

    def format(self, record: logging.LogRecord) -> str:
        exc = self.formatException(record.exc_info) if record.exc_info else None
        fields = getattr(record, "fields", None) or {}
        return self._render(record.created, record.levelno, record.getMessage(), fields, exc)

    def format_fields(self, levelno: int, msg: str, fields: Mapping[str, object]) -> str:
        """The line for ``msg`` and ``fields``, without a log record."""
        return self._render(time.time(), levelno, msg, fields)

    def exchange_line(self, line: ExchangeLine) -> str:
        """The line of one exchange, without a log record."""
        created, levelno, proto, ms, record = line
        return self._render(created, levelno, "exchange", record.fields(proto, ms))


class _TextFormatter(_LineFormatter):
    def __init__(self, journal: bool) -> None:
        super().__init__()
        self.journal = journal
        self._second = -1
        self._stamp = ""
        self._zone = ""

    def _prefix(self, created: float, levelno: int) -> str:
        if self.journal:
            return f"<{_SYSLOG_PRIORITY.get(levelno, 6)}>"
        second = int(created)
        if second != self._second:
            # One strftime per second, not per line.
            self._second = second
            local = time.localtime(second)
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", local)
            # The UTC offset, so that lines from hosts in different zones compare.
            zone = time.strftime("%z", local)
            self._zone = f"{zone[:3]}:{zone[3:]}"
        msecs = int((created - second) * 1000)
        level = _LEVEL_NAMES.get(levelno) or logging.getLevelName(levelno)
        return f"{self._stamp}.{msecs:03d}{self._zone} {level} "

    def _render(
        self,
        created: float,
        levelno: int,
        msg: str,
        fields: Mapping[str, object],
        exc: str | None = None,
    ) -> str:
        parts = [self._prefix(created, levelno) + msg]
        for k, v in fields.items():
            kind = type(v)
            # Numbers and plain words (nearly every field of an exchange line) inline; the
            # rest through _text_value.
            if kind is int or (kind is str and v and " " not in v):  # type: ignore[operator]
                parts.append(f"{k}={v}")
            else:
                parts.append(f"{k}={_text_value(v)}")
        line = " ".join(parts)
        return f"{line}\n{exc}" if exc else line

    def exchange_line(self, line: ExchangeLine) -> str:
        # The line _render makes from record.fields(), written out: it is one per exchange.
        created, levelno, proto, ms, record = line
        masked = record.masked
        text = (
            f"{self._prefix(created, levelno)}exchange method={_word(record.method)} "
            f"host={_word(record.host)} path={_word(record.path)} mode={_word(record.mode)} "
            f"proto={_word(proto)} status={record.status} "
            f"up={record.bytes_up} down={record.bytes_down} ms={ms} "
            f"masked={','.join([f'{k}:{v}' for k, v in masked.items()]) if masked else '-'}"
        )
        return f"{text} note={_word(record.note)}" if record.note else text


def _word(value: str) -> str:
    """A text field's value as a line shows it: plain words inline, anything else quoted."""
    return value if value and " " not in value else json.dumps(value)


def _text_value(value: object) -> str:
    kind = type(value)
    if kind is int or kind is float:
        return str(value)
    if type(value) is str:
        # Plain words (most of an exchange line) need no quoting.
        return value if value and " " not in value else json.dumps(value)
    if isinstance(value, dict) or isinstance(value, Mapping):  # noqa: SIM101 - dict: fast
        return ",".join(f"{k}:{v}" for k, v in value.items()) or "-"
    text = str(value)
    return text if text and " " not in text else json.dumps(text)


class _JsonFormatter(_LineFormatter):
    def __init__(self, journal: bool) -> None:
        super().__init__()
        self.journal = journal

    def _render(
        self,
        created: float,
        levelno: int,
        msg: str,
        fields: Mapping[str, object],
        exc: str | None = None,
    ) -> str:
        obj: dict[str, object] = {}
        if not self.journal:
            obj["ts"] = round(created, 3)
        obj["level"] = logging.getLevelName(levelno).lower()
        obj["msg"] = msg
        obj.update(fields)
        if exc:
            obj["exc"] = exc
        line = json.dumps(obj, separators=(",", ":"))
        if self.journal:
            return f"<{_SYSLOG_PRIORITY.get(levelno, 6)}>{line}"
        return line


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The proxy's stderr handler. Exchange lines wait here, as their fields, until the next
    flush renders them all and writes them out together; any other record (and every flush,
    at exit too) first writes the lines before it, so the log keeps its order."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.exchange_lines: collections.deque[ExchangeLine] = collections.deque()

    def write_exchange_lines(self) -> None:
        lines = self.exchange_lines
        if not lines:
            return
        formatter = self.formatter
        assert isinstance(formatter, _LineFormatter)
        popleft = lines.popleft
        texts = []
        while lines:
            texts.append(formatter.exchange_line(popleft()))
        texts.append("")
        self.stream.write("\n".join(texts))

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.write_exchange_lines()
        super().emit(record)

    def flush(self) -> None:
        self.acquire()
        try:
            with contextlib.suppress(Exception):
                self.write_exchange_lines()
        finally:
            self.release()
        super().flush()


_exchange_handler: _Handler | None = None
"""The handler :func:`setup_logging` installed: exchange lines are queued on it directly."""


LOG_BUFFER = 64 * 1024
"""Bytes of log lines held until the next flush (more are written out as they come)."""


def _log_stream() -> TextIO:
    """stderr with a buffer of its own, which only a flush empties: Python's own stderr
    writes every line at once (line-buffered, or unbuffered under ``PYTHONUNBUFFERED``), one
    system call per exchange line. Exchange lines are flushed once per turn of the event loop
    (:func:`_flush_soon`), every other record at once (the handler flushes after each).
    ``sys.stderr`` itself when it has no descriptor (a test capturing it)."""
    err = sys.stderr
    try:
        return open(  # noqa: SIM115 - lives as long as the handler; fd 2 is not ours to close
            err.fileno(),
            "w",
            buffering=LOG_BUFFER,
            encoding=err.encoding,
            errors=err.errors,
            closefd=False,
        )
    except (AttributeError, OSError, ValueError):
        return err


def setup_logging(level: str = "info", fmt: str = "text") -> None:
    """Log to stderr in ``fmt`` ('text' or 'json'); journald-friendly under systemd."""
    journal = bool(os.environ.get("JOURNAL_STREAM"))
    root = logging.getLogger("maskproxy")
    for old in root.handlers:
        # A reload replaces the handler: what the old one holds goes out first.
        with contextlib.suppress(Exception):
            old.flush()
    handler = _Handler(_log_stream())
    handler.setFormatter(_JsonFormatter(journal) if fmt == "json" else _TextFormatter(journal))
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    global _exchange_handler
    _exchange_handler = handler


@dataclass
class ExchangeRecord:
    """What one exchange reports; filled in as the exchange goes and logged once at its end."""

    method: str
    host: str
    path: str
    mode: str
    started: float = field(default_factory=time.monotonic)
    status: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    masked: Mapping[str, int] = field(default_factory=dict)
    note: str = ""

    def elapsed_ms(self) -> float:
        """Milliseconds since the exchange started, to 0.1 ms."""
        return round((time.monotonic() - self.started) * 1000, 1)

    def fields(self, proto: str, ms: float) -> dict[str, object]:
        """The fields of the exchange line, in order (``proto`` and ``ms`` as of its end)."""
        fields: dict[str, object] = {
            "method": self.method,
            "host": self.host,
            "path": self.path,
            "mode": self.mode,
            "proto": proto,
            "status": self.status,
            "up": self.bytes_up,
            "down": self.bytes_down,
            "ms": ms,
            "masked": dict(self.masked),
        }
        if self.note:
            fields["note"] = self.note
        return fields

    def emit(self) -> None:
        level = logging.INFO if self.status and self.status < 500 else logging.WARNING
        if not access.isEnabledFor(level):
            return
        handler = _exchange_handler
        if handler is not None and not access.handlers and _own(handler):
            # The line goes straight to the handler set up for the proxy, as its fields: no
            # log record, no logger lookups, and it is rendered with the lines around it.
            handler.exchange_lines.append(
                (time.time(), level, client_protocol.get(), self.elapsed_ms(), self)
            )
            with contextlib.suppress(Exception):
                _flush_soon(handler)
            return
        access.log(
            level,
            "exchange",
            extra={"fields": self.fields(client_protocol.get(), self.elapsed_ms())},
        )


ExchangeLine = tuple[float, int, str, float, ExchangeRecord]
"""An exchange line waiting to be written: when it was logged, its level, the client's
protocol and the duration then, and the record (complete: it is not changed after)."""

_flush_pending = False
"""A flush of the exchange handler is scheduled on the event loop."""


_this_thread = threading.local()
"""``loop``: the event loop this thread last ran an exchange in."""


def _flush_soon(handler: logging.Handler) -> None:
    """Flush ``handler`` once the event loop has run what is ready now, so that exchanges
    finishing in the same turn of the loop share one write (and are rendered together); at
    once outside an event loop.

    The thread's loop is remembered: while it runs, it is the running loop of this thread
    (``asyncio.get_running_loop`` makes a system call each time, to compare process ids)."""
    global _flush_pending
    if _flush_pending:
        return
    loop = getattr(_this_thread, "loop", None)
    if loop is None or not loop.is_running():
        # Imported here, not at the top: the CLI's mask and scan load this module for logging
        # set-up and never run an event loop (asyncio is a fifth of their start-up).
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            handler.flush()
            return
        _this_thread.loop = loop
    _flush_pending = True
    loop.call_soon(_flush_now, handler)


def _flush_now(handler: logging.Handler) -> None:
    global _flush_pending
    _flush_pending = False
    with contextlib.suppress(Exception):
        handler.flush()
        current = _exchange_handler
        if current is not None and current is not handler:
            current.flush()  # installed since (a reload): its lines go out too


def _own(handler: logging.Handler) -> bool:
    """The proxy's logger still writes through ``handler`` alone (no test or embedding
    application has put its own handlers in place)."""
    handlers = log.handlers
    return len(handlers) == 1 and handlers[0] is handler


def safe_path(target: str) -> str:
    """The path with query values dropped (``/v1/messages?beta``): values may be credentials."""
    path, sep, query = target.partition("?")
    if not sep:
        return path
    keys = [p.partition("=")[0] for p in query.split("&") if p]
    return path + "?" + "&".join(keys)
