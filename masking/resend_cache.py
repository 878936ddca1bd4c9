"""ResendCache: a body that begins like one masked before is masked from where that one stood.

An agent resends its whole conversation every turn, so a request body begins with most of the
bytes of the one before it. The masker's output for a prefix, its state after it and the
exchange map it built depend only on the prefix bytes (DESIGN invariants 2 and 4), so a masker
that saw the same first bytes before can start from a copy of its state there instead of from
the first byte.

The cache keeps recently masked bodies with their output and, every :data:`CHECKPOINT` input
bytes, a copy of the masker and the length of the map's change log. A :class:`ResendMasker`
compares the new body with the cached ones as it arrives (a memory comparison, no scan). While
a cached body matches, that body's output goes out up to its last checkpoint the match covers;
where the new body diverges (or ends), the masker and the map are restored from the last
checkpoint before that point and go on with the new bytes. Output, map and counts are exactly
those of a fresh masker: the tests hold the two side by side.

Scope (invariant 6): a cached body contributes only to a body that begins with the same bytes,
and what it contributes (the surrogates of values inside those bytes) is what the new body
yields by itself.

Sans-io like the rest of ``masking/``; no locks (one event loop feeds it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from masking.exchange_map import ExchangeMap, MapLog, Mark
from masking.stream_masker import StreamMasker

CHECKPOINT = 16 * 1024
"""Input bytes between two saved masker states: what a divergence costs to re-mask, at most
(plus the scanner's horizon). Each state keeps about the scanner's horizon and context."""


@dataclass(frozen=True)
class _Checkpoint:
    consumed: int  # input bytes the masker had been fed
    emitted: int  # output bytes it had returned
    masker: StreamMasker  # a detached copy of its state (no exchange map)
    mark: Mark  # where the exchange map stood


@dataclass(frozen=True)
class _Entry:
    kind: Hashable
    raw: bytearray  # no longer written to
    out: bytearray
    log: MapLog  # the exchange map's changes; read only up to a mark
    checkpoints: tuple[_Checkpoint, ...]
    mark: Mark  # where the map stood when the body ended
    counts: Counter[str]

    @property
    def size(self) -> int:
        return len(self.raw) + len(self.out) + sum(cp.masker.buffered for cp in self.checkpoints)

    def checkpoint_before(self, n: int) -> _Checkpoint | None:
        """The last checkpoint taken with at most ``n`` input bytes fed."""
        best = None
        for cp in self.checkpoints:
            if cp.consumed > n:
                break
            best = cp
        return best


class ResendCache:
    """Recently masked bodies, at most ``max_bytes`` of input, output and saved states together
    (0: off), with a saved masker state every ``checkpoint`` input bytes."""

    def __init__(
        self, max_bytes: int = 64 << 20, max_entries: int = 16, checkpoint: int = CHECKPOINT
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.checkpoint = checkpoint
        self._entries: list[_Entry] = []  # most recently used first

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held: input, output and saved states of every cached body."""
        return sum(e.size for e in self._entries)

    def masker(
        self,
        kind: Hashable,
        make: Callable[[ExchangeMap], StreamMasker],
        exchange_map: ExchangeMap,
    ) -> ResendMasker:
        """A masker for one body. ``kind`` names what ``make`` builds (scanner, JSON policy):
        only bodies masked with the same kind are reused."""
        return ResendMasker(self, kind, make, exchange_map)

    def _candidates(self, kind: Hashable) -> list[_Entry]:
        if self.max_bytes <= 0:
            return []
        return [e for e in self._entries if e.kind == kind]

    def _touch(self, entry: _Entry) -> None:
        if entry in self._entries:
            self._entries.remove(entry)
            self._entries.insert(0, entry)

    def _store(self, entry: _Entry) -> None:
        if entry.size > self.max_bytes:
            return
        self._entries.insert(0, entry)
        total = self.size
        while self._entries and (total > self.max_bytes or len(self._entries) > self.max_entries):
            total -= self._entries.pop().size


class ResendMasker:
    """``feed(bytes) -> bytes`` and ``finish() -> bytes`` like :class:`StreamMasker`, whose
    output, exchange map and counts it reproduces exactly; :attr:`reused` tells how many input
    bytes were not scanned again."""

    def __init__(
        self,
        cache: ResendCache,
        kind: Hashable,
        make: Callable[[ExchangeMap], StreamMasker],
        exchange_map: ExchangeMap,
    ) -> None:
        self._cache = cache
        self._kind = kind
        self._make = make
        self._map = exchange_map
        self._raw = bytearray()
        self._out = bytearray()
        self._live: StreamMasker | None = None
        self._matching = cache._candidates(kind)  # cached bodies equal to the input so far
        self._diverged: list[tuple[_Entry, int]] = []  # cached bodies, common prefix lengths
        self._checkpoints: list[_Checkpoint] = []
        self._last_checkpoint = 0
        self._skip = 0  # live output bytes already sent from a cached body
        self._counts: Counter[str] | None = None
        self.reused = 0
        self.finished = False

    @property
    def counts(self) -> Counter[str]:
        if self._counts is not None:
            return self._counts
        return self._live.counts if self._live is not None else Counter()

    @property
    def held_back(self) -> int:
        return len(self._raw) - len(self._out)

    def feed(self, data: bytes) -> bytes:
        if not data:
            return b""
        start = len(self._raw)
        self._raw += data
        if self._live is not None:
            return self._feed_live(data)
        end = start + len(data)
        survivors = []
        for entry in self._matching:
            if entry.raw[start:end] == data:
                survivors.append(entry)
            else:
                self._diverged.append((entry, start + _common_prefix(entry.raw, start, data)))
        self._matching = survivors
        if survivors:
            return self._send_cached(survivors[0], end)
        return self._resume()

    def finish(self) -> bytes:
        n = len(self._raw)
        out = b""
        if self._live is None:
            for entry in self._matching:
                if len(entry.raw) == n:  # the same body again
                    return self._finish_cached(entry)
            # a longer body began with this one
            self._diverged.extend((entry, n) for entry in self._matching)
            out = self._resume()
        assert self._live is not None
        out += self._take(self._live.finish())
        self._counts = self._live.counts
        self.finished = True
        self._cache._store(
            _Entry(
                self._kind,
                self._raw,
                self._out,
                self._map.log,
                tuple(self._checkpoints),
                self._map.mark(),
                Counter(self._counts),
            )
        )
        return out

    # -- internals --------------------------------------------------------------------------

    def _send_cached(self, entry: _Entry, matched: int) -> bytes:
        """Output of ``entry`` up to its last checkpoint within the matched input."""
        cp = entry.checkpoint_before(matched)
        if cp is None or cp.emitted <= len(self._out):
            return b""
        piece = entry.out[len(self._out) : cp.emitted]
        self._out += piece
        return piece

    def _finish_cached(self, entry: _Entry) -> bytes:
        self._map.restore(entry.log, entry.mark)
        piece = entry.out[len(self._out) :]
        self._out += piece
        self._counts = Counter(entry.counts)
        self.reused = len(self._raw)
        self.finished = True
        self._cache._touch(entry)
        return piece

    def _resume(self) -> bytes:
        """Start the live masker from the best checkpoint and feed it the input so far."""
        cp = entry = None
        for candidate, n in self._diverged:
            got = candidate.checkpoint_before(n)
            if got is not None and (cp is None or got.consumed > cp.consumed):
                cp, entry = got, candidate
        piece = b""
        if cp is None or entry is None:
            live = self._make(self._map)
            start = 0
        else:
            self._map.restore(entry.log, cp.mark)
            live = cp.masker.copy(self._map)
            self._checkpoints = [c for c in entry.checkpoints if c.consumed <= cp.consumed]
            start = self._last_checkpoint = self.reused = cp.consumed
            if cp.emitted > len(self._out):
                piece = entry.out[len(self._out) : cp.emitted]
                self._out += piece
        # A different cached body may have sent more than this checkpoint had: the live
        # masker's first bytes repeat it (determinism) and are dropped.
        self._skip = len(self._out) - live.emitted
        self._live = live
        self._matching = []
        self._diverged = []
        return piece + self._feed_live(bytes(self._raw[start:]))

    def _feed_live(self, data: bytes) -> bytes:
        """Feed the live masker, in pieces that end where a checkpoint is due (split
        invariance makes the cut points free)."""
        live = self._live
        assert live is not None
        every = self._cache.checkpoint
        base = len(self._raw) - len(data)  # ``data`` is the tail of the input
        out = []
        i = 0
        while i < len(data):
            j = max(i + 1, min(len(data), self._last_checkpoint + every - base))
            out.append(self._take(live.feed(data[i:j])))
            i = j
            if base + i - self._last_checkpoint >= every:
                self._last_checkpoint = base + i
                mark = self._map.mark()
                copy = live.copy(None)
                self._checkpoints.append(_Checkpoint(base + i, live.emitted, copy, mark))
        return b"".join(out)

    def _take(self, out: bytes) -> bytes:
        if self._skip:
            k = min(self._skip, len(out))
            out = out[k:]
            self._skip -= k
        self._out += out
        return out


def _common_prefix(cached: bytes, start: int, data: bytes) -> int:
    """How many leading bytes of ``data`` equal ``cached[start:]``."""
    lo, hi = 0, min(len(data), max(0, len(cached) - start))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if cached[start : start + mid] == data[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo
