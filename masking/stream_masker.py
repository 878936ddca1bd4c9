"""StreamMasker: masks a byte stream chunk by chunk, length for length.

Bytes go out as soon as the scanner has decided them. What is held back is bounded by the
scanner's ``horizon`` (the longest token a byte can still be the start of, with the context
that decides it) — never the whole body. Because every decision looks only at bytes that are
present when it is made, the output does not depend on where the input was cut (DESIGN
invariant 2), and since a surrogate has the byte length of its original, the output has the
length of the input (invariant 3).

With a :class:`~masking.json_tracker.JsonTracker` the input must be JSON: findings inside
opaque ranges (signed blocks, image data, ids, numbers) are left alone, and a syntax error
fails closed.
"""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from masking.exchange_map import ExchangeMap
from masking.findings import Finding
from masking.json_tracker import JsonTracker

_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

MIN_SPAN = 3
"""Findings shorter than this stay as they are: a one- or two-character surrogate (a path
part such as the ``a`` of ``role/ops/a``) would turn up in ordinary text and be "restored"
there, and such a value reveals next to nothing."""


class ScannerLike(Protocol):
    horizon: int
    context: int

    def scan(self, data: bytes, pos: int = 0, final: bool = True) -> tuple[list[Finding], int]: ...


class StreamMasker:
    """``feed(bytes) -> bytes`` and ``finish() -> bytes``; the outputs concatenate to the masked
    input. Counts of masked values by type are in :attr:`counts`.
    """

    def __init__(
        self,
        scanner: ScannerLike,
        exchange_map: ExchangeMap,
        tracker: JsonTracker | None = None,
    ) -> None:
        self._scanner = scanner
        self._map = exchange_map
        self._tracker = tracker
        self._buf = b""
        self._base = 0  # absolute offset of _buf[0]
        self._emitted = 0  # absolute offset: everything before it has been returned
        self._scanned = 0  # absolute offset: the scanner is final up to here
        self._pending: list[Finding] = []  # absolute offsets, not yet emitted
        self.counts: Counter[str] = Counter()
        self.finished = False

    def copy(self, exchange_map: ExchangeMap | None) -> StreamMasker:
        """An independent masker in the same state that records into ``exchange_map``, which
        must stand as this masker's map does now (see :meth:`ExchangeMap.restore`). With None
        the copy is detached: a saved state, only to be copied again."""
        twin = object.__new__(StreamMasker)
        twin.__dict__.update(self.__dict__)
        twin._map = exchange_map  # type: ignore[assignment]
        twin._tracker = self._tracker.copy() if self._tracker is not None else None
        twin._pending = list(self._pending)
        twin.counts = Counter(self.counts)
        return twin

    @property
    def buffered(self) -> int:
        """Bytes it keeps: what is held back and the scanner's left context."""
        return len(self._buf)

    @property
    def emitted(self) -> int:
        """Bytes returned so far."""
        return self._emitted

    @property
    def held_back(self) -> int:
        """Bytes received but not yet returned."""
        return self._base + len(self._buf) - self._emitted

    def feed(self, data: bytes) -> bytes:
        if not data:
            return b""
        if self._tracker is not None:
            self._tracker.feed(data)
        self._buf += data
        return self._step(final=False)

    def finish(self) -> bytes:
        if self._tracker is not None:
            self._tracker.finish()
        out = self._step(final=True)
        self.finished = True
        return out

    def _step(self, final: bool) -> bytes:
        base = self._base
        buf = self._buf
        found, resume = self._scanner.scan(buf, self._scanned - base, final)
        if found:
            self._pending.extend(
                Finding(f.start + base, f.end + base, f.rtype, f.shape) for f in found
            )
        self._scanned = resume + base
        cut = self._scanned
        tracker = self._tracker
        if tracker is not None and tracker.decided < cut:
            cut = tracker.decided
        # A finding not wholly before the cut waits, and so does everything after its start.
        pending = self._pending
        k = 0
        while k < len(pending) and pending[k].end <= cut:
            k += 1
        if k < len(pending) and pending[k].start < cut:
            cut = pending[k].start
        out = self._emit(pending[:k], cut)
        del pending[:k]
        return out

    def _emit(self, findings: list[Finding], cut: int) -> bytes:
        base = self._base
        buf = self._buf
        start = self._emitted
        if cut <= start:
            return b""
        tracker = self._tracker
        parts: list[bytes] = []
        pos = start
        for f in findings:
            if f.end - f.start < MIN_SPAN:
                continue
            if tracker is not None:
                tracker.forget_before(f.start)
                if tracker.opaque_within(f.start, f.end):
                    continue
            parts.append(buf[pos - base : f.start - base])
            parts.append(self._map.mask(buf[f.start - base : f.end - base], f.shape))
            if f.start > base and buf[f.start - base - 1] in _ALNUM:
                self._map.add_glue(buf[max(0, f.start - base - 4) : f.start - base])
            self.counts[f.rtype] += 1
            pos = f.end
        parts.append(buf[pos - base : cut - base])
        self._emitted = cut
        if tracker is not None:
            tracker.forget_before(cut)
        # Keep the scanner's left context before the first byte it will look at again.
        keep_from = min(cut, self._scanned) - self._scanner.context
        if keep_from > base:
            self._buf = buf[keep_from - base :]
            self._base = keep_from
        return b"".join(parts)
