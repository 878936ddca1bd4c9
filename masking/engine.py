"""The masking engine's Python API: the seam between ``proxy/`` and ``masking/``.

The proxy and the CLI know nothing of recognizers or maps. They ask the engine for one object
per exchange and feed it bytes, like ``h11`` is fed bytes::

    masker = engine.request("POST", "api.anthropic.com", "/v1/messages", "application/json")
    masker.feed(chunk)                # as the body arrives
    body = masker.finish()            # the masked body, same length (or raises Refused)
    unmasker = masker.response(200, "text/event-stream", "")
    out = unmasker.feed(chunk)        # restored as it streams
    out += unmasker.finish()

The work is done by the native core (``masking._core``): the whole body is recognized when
its last byte is in, every occurrence of every value recognized is replaced, and what was
recognized is remembered (in memory only, bounded) so that later requests mask it wherever
it recurs. A response is restored with its own request's map only.

Nothing here does I/O except :meth:`Engine.from_config`, which reads (or makes) the key.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from masking import _core
from masking.keyfile import load_or_create_key
from masking.rules import RuleConfig

__all__ = [
    "Engine",
    "Finding",
    "Refused",
    "RequestMasker",
    "ResponseUnmasker",
    "TypeInfo",
    "body_kind",
    "types",
]

MAX_EVENT_BYTES = 16 << 20
"""The largest server-sent event a response may carry (an upstream cannot make the proxy hold
more); over it the stream ends with an error event."""

MAX_INFLATED_BYTES = 256 << 20
"""The most a compressed response may inflate to."""


class Refused(Exception):
    """The body cannot be masked safely; nothing of it may be forwarded.

    ``status`` and ``error_type`` follow the Anthropic API's error types; ``message`` never
    contains request bytes.
    """

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


class Finding(NamedTuple):
    """A span of a body that masking replaces (offsets into the body given)."""

    start: int
    end: int
    rtype: str
    shape: str


@dataclass(frozen=True)
class TypeInfo:
    """One type the engine knows: ``maskproxy types`` lists them."""

    name: str
    category: str
    shape: str
    description: str
    found_by: tuple[str, ...] = ()
    """What a value of the type is recognized by: ``format`` (self-identifying), ``field``,
    ``sibling_key``, ``flag``, ``cli_column``, ``phrase``, ``user_rule``."""


def types() -> list[TypeInfo]:
    """Every built-in type, in catalog order."""
    return [TypeInfo(n, c, s, d, tuple(k)) for n, c, s, d, k in _core.catalog()]


def body_kind(path: str, content_type: str) -> str:
    """``messages``, ``json`` or ``text``: how a request body is read."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        return "messages" if _core.is_messages_endpoint(path.encode("latin-1")) else "json"
    return "text"


class Engine:
    """Compiled rules, the key and the known values: shared by every exchange."""

    def __init__(self, key: bytes, rules: RuleConfig | None = None) -> None:
        rules = rules or RuleConfig()
        try:
            self._core = _core.Engine(
                key,
                list(rules.terms),
                list(rules.regexes),
                list(rules.allowlist),
                sorted(rules.disabled),
                rules.known_values,
                rules.known_bytes,
            )
        except _core.RulesError as exc:
            raise ValueError(str(exc)) from None

    @classmethod
    def from_config(cls, masking_table: Mapping[str, Any], state_dir: Path) -> Engine:
        """The engine for a config's ``[masking]`` table and the key in ``state_dir`` (made if
        absent). ValueError for invalid rules, KeyFileError for an unusable key."""
        rules = RuleConfig.from_dict(masking_table)
        return cls(load_or_create_key(state_dir), rules)

    def request(self, method: str, host: str, path: str, content_type: str) -> RequestMasker:
        """The masker for one request body to ``host``."""
        return RequestMasker(self._core, body_kind(path, content_type))

    def mask(self, body: bytes, kind: str = "text") -> RequestMasker:
        """Mask a whole body at once (``kind``: text, json, messages); the masker holds the
        result and the map."""
        masker = RequestMasker(self._core, kind)
        masker.feed(body)
        masker.finish()
        return masker

    def scan(self, body: bytes, kind: str = "text") -> list[Finding]:
        """What :meth:`mask` would replace, without replacing it."""
        try:
            return [Finding(*f) for f in self._core.scan(body, kind)]
        except _core.Refused as exc:
            raise Refused(*exc.args) from None

    @property
    def known_values(self) -> tuple[int, int]:
        """How many values the engine remembers, and the bytes they take."""
        return self._core.known_stats()


class RequestMasker:
    """One request body: ``feed`` as it arrives, ``finish`` for the masked body."""

    def __init__(self, core: Any, kind: str) -> None:
        self._core = core
        self.kind = kind
        self._chunks: list[bytes] = []
        self._map: Any = None
        self._json_reply: ResponseUnmasker | None = None
        """The unmasker of a JSON reply, made by :meth:`prepare`; handed out once."""
        self.body: bytes | None = None
        self.counts: dict[str, int] = {}

    def feed(self, data: bytes) -> None:
        if self.body is not None:
            raise RuntimeError("feed after finish")
        if data:
            self._chunks.append(bytes(data))

    def finish(self) -> bytes:
        """The masked body (same length as what was fed). Raises :class:`Refused`."""
        if self.body is not None:
            return self.body
        data = b"".join(self._chunks)
        self._chunks = []
        try:
            body, counts, exchange_map = self._core.mask(data, self.kind)
        except _core.Refused as exc:
            raise Refused(*exc.args) from None
        self.body = body
        self.counts = dict(counts)
        self._map = exchange_map
        return body

    def prepare(self) -> None:
        """Build the reply index now, while the request is on its way, and the unmasker of
        the reply most exchanges get (uncompressed JSON)."""
        if self._map is not None and len(self._map):
            self._map.prepare()
            self._json_reply = ResponseUnmasker(
                self._map.unmasker("json", MAX_EVENT_BYTES), "json", None
            )

    @property
    def pairs(self) -> list[tuple[bytes, bytes]]:
        """(surrogate, original) of this exchange, decoded."""
        return [] if self._map is None else self._map.pairs()

    @property
    def glue(self) -> list[bytes]:
        return [] if self._map is None else self._map.glue()

    def response(
        self, status: int, content_type: str, content_encoding: str = ""
    ) -> ResponseUnmasker | None:
        """The unmasker for this request's response, or None when the response passes
        through untouched (nothing was masked, or a body that is not text, JSON or an event
        stream). A content encoding other than gzip or deflate is not restored:
        :class:`Refused` says so, and the proxy passes it through with surrogates."""
        if self._map is None or len(self._map) == 0:
            return None
        ctype = content_type.split(";", 1)[0].strip().lower()
        if ctype == "text/event-stream":
            kind = "sse"
        elif ctype == "application/json" or ctype.endswith("+json"):
            kind = "json"
        elif ctype.startswith("text/"):
            kind = "text"
        else:
            return None
        encoding = content_encoding.strip().lower()
        if kind == "json" and encoding in ("", "identity") and self._json_reply is not None:
            ready, self._json_reply = self._json_reply, None
            return ready
        inflate = None
        if encoding and encoding != "identity":
            wbits = _DECODABLE.get(encoding)
            if wbits is None:
                raise Refused(502, "api_error", f"response encoding {encoding!r} not restored")
            inflate = zlib.decompressobj(wbits)
        return ResponseUnmasker(self._map.unmasker(kind, MAX_EVENT_BYTES), kind, inflate)


_DECODABLE = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 0}


def error_event(message: str) -> bytes:
    """A server-sent ``error`` event in the Anthropic API's format."""
    data = json.dumps(
        {"type": "error", "error": {"type": "api_error", "message": f"maskproxy: {message}"}}
    )
    return f"event: error\ndata: {data}\n\n".encode()


class ResponseUnmasker:
    """Restores one response as it streams; compressed bodies are inflated first (bounded).

    An event stream the engine cannot restore (an event over :data:`MAX_EVENT_BYTES`, or a
    body that inflates past :data:`MAX_INFLATED_BYTES`) ends with an ``error`` event, and
    :attr:`note` says why; other bodies raise :class:`Refused`.
    """

    def __init__(self, core: Any, kind: str = "text", inflate: Any = None) -> None:
        self._core = core
        self.kind = kind
        self._inflate = inflate
        self._inflated = 0
        self.note = ""

    def _decode(self, data: bytes) -> bytes:
        if self._inflate is None:
            return data
        room = MAX_INFLATED_BYTES - self._inflated
        out = self._inflate.decompress(data, room + 1)
        self._inflated += len(out)
        if self._inflated > MAX_INFLATED_BYTES or self._inflate.unconsumed_tail:
            raise Refused(
                502, "api_error", f"the response inflates to more than {MAX_INFLATED_BYTES} bytes"
            )
        return out

    def _failed(self, status: int, error_type: str, message: str) -> bytes:
        if self.kind != "sse":
            raise Refused(status, error_type, message)
        self.note = message
        return error_event(message)

    def feed(self, data: bytes) -> bytes:
        if self.note:
            return b""  # the stream already ended with an error event
        try:
            return self._core.feed(self._decode(data))
        except _core.Refused as exc:
            return self._failed(*exc.args)
        except Refused as exc:
            return self._failed(exc.status, exc.error_type, exc.message)

    def finish(self) -> bytes:
        if self.note:
            return b""
        try:
            out = b""
            if self._inflate is not None:
                tail = self._inflate.flush()
                self._inflated += len(tail)
                if self._inflated > MAX_INFLATED_BYTES:
                    raise Refused(
                        502,
                        "api_error",
                        f"the response inflates to more than {MAX_INFLATED_BYTES} bytes",
                    )
                out = self._core.feed(tail)
            return out + self._core.finish()
        except _core.Refused as exc:
            return self._failed(*exc.args)
        except Refused as exc:
            return self._failed(exc.status, exc.error_type, exc.message)

    @property
    def restored(self) -> int:
        return self._core.restored()
