"""The masking pipeline: every intercepted request masked, its response unmasked with its map.

This is where the proxy meets ``masking/``, through the engine's public API only
(:mod:`masking.engine`): one request masker per exchange, fed the body as it arrives; the
masked body goes upstream when the last byte is in (the engine recognizes the whole body
before anything of it leaves), and the response is restored as it streams. Anything that
cannot be masked safely raises :class:`~proxy.pipeline.ExchangeRefused` (fail closed).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from masking.engine import Engine, Refused, RequestMasker, ResponseUnmasker
from proxy.accesslog import safe_path
from proxy.pipeline import (
    Exchange,
    ExchangeRefused,
    Pipeline,
    RequestHead,
    ResponseHead,
)

log = logging.getLogger("maskproxy.masking")


_PATH_WORDS = re.compile(r"[/?&]")

_API_WORDS = frozenset(
    {
        "",
        "v1",
        "messages",
        "count_tokens",
        "batches",
        "results",
        "models",
        "complete",
        "files",
        "beta",
        "api",
        "event_logging",
        "batch",
        "hello",
    }
)
"""Path segments and query keys of the API that are never sensitive: a logged path made only
of these is shown as it is (anything else goes through the engine first, DESIGN invariant 9)."""

MAX_API_PATHS = 256
_TARGET_WORDS = re.compile(r"[/?&=]")
_REMEMBERED_WORDS = _API_WORDS | {"true", "false"}
_API_PATHS: dict[bytes, str] = {}
"""Request targets made only of API words, query values included (``/v1/messages?beta=true``),
and their logged path: nearly every exchange goes to one of a few of them, and a target that
holds no value keeps none when it is remembered."""


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for k, v in headers:
        if k == name:
            return v
    return None


def _without(headers: list[tuple[bytes, bytes]], *names: bytes) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k not in names]


def request_encodings(headers: list[tuple[bytes, bytes]]) -> list[bytes]:
    """Every coding named by every ``Content-Encoding`` field, lower-cased, identity left out."""
    out: list[bytes] = []
    for k, v in headers:
        if k == b"content-encoding":
            for coding in v.split(b","):
                c = coding.strip().lower()
                if c and c != b"identity":
                    out.append(c)
    return out


def build_masking_pipeline(masking_table: Mapping[str, Any], state_dir: Path) -> MaskingPipeline:
    """The pipeline for a config: its rules and the key in ``state_dir`` (made if absent)."""
    return MaskingPipeline(Engine.from_config(masking_table, state_dir))


class MaskingPipeline(Pipeline):
    """Holds what every exchange shares: the engine (rules, key, known values)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open_exchange(self, head: RequestHead) -> Exchange:
        return MaskingExchange(self.engine)


def _refusal(exc: Refused) -> ExchangeRefused:
    return ExchangeRefused(exc.status, exc.error_type, exc.message)


class MaskingExchange(Exchange):
    """One request masked and its response unmasked with the map built from that request."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self._masker: RequestMasker | None = None
        self._response: ResponseUnmasker | None = None

    # -- request ---------------------------------------------------------------------------

    def request_head(self, head: RequestHead) -> RequestHead:
        codings = request_encodings(head.headers)
        if codings:
            raise ExchangeRefused(
                415,
                "invalid_request_error",
                "the request body has a Content-Encoding ("
                + ", ".join(c.decode("latin-1") for c in codings)[:64]
                + ") that cannot be masked; it was not forwarded",
            )
        path = _API_PATHS.get(head.target)
        if path is not None:
            self.stats.path = path
            return self._open(head)
        path = safe_path(head.target.decode("latin-1"))
        if _API_WORDS.issuperset(_PATH_WORDS.split(path)):
            # Every word is a fixed part of the API (``/v1/messages?beta``): nothing to mask,
            # and no engine pass spent on the log line of every exchange. Remembered, since
            # nearly every exchange goes to one of a few such targets.
            if len(_API_PATHS) < MAX_API_PATHS and _REMEMBERED_WORDS.issuperset(
                _TARGET_WORDS.split(head.target.decode("latin-1"))
            ):
                _API_PATHS[head.target] = path
            self.stats.path = path
        else:
            masked = self._engine.mask(path.encode("latin-1")).body or b""
            self.stats.path = masked.decode("latin-1")
        return self._open(head)

    def _open(self, head: RequestHead) -> RequestHead:
        """The request masker for this exchange, and the head that goes upstream."""
        ctype = (_header(head.headers, b"content-type") or b"").decode("latin-1")
        self._masker = self._engine.request(
            head.method.decode("latin-1"),
            head.host,
            head.target.decode("latin-1"),
            ctype,
        )
        # Ask only for response encodings this exchange can read.
        headers = _without(head.headers, b"accept-encoding", b"content-encoding")
        headers.append((b"accept-encoding", b"gzip, deflate"))
        head.headers = headers
        return head

    def request_data(self, data: bytes) -> bytes:
        assert self._masker is not None
        self._masker.feed(data)
        return b""

    def request_end(self) -> bytes:
        assert self._masker is not None
        try:
            out = self._masker.finish()
        except Refused as exc:
            raise _refusal(exc) from None
        except Exception as exc:  # noqa: BLE001 - any engine failure must fail closed
            log.error("masking failed: %s", type(exc).__name__)
            raise ExchangeRefused(
                500,
                "api_error",
                f"masking failed ({type(exc).__name__}); the request was not forwarded",
            ) from None
        self.stats.masked = dict(self._masker.counts)
        return out

    def request_sent(self) -> None:
        # The reply index, and the unmasker of a plain JSON reply, are made while the upstream
        # answers, off the reply's path (and in the same turn of the event loop: no callback
        # scheduled for them).
        masker = self._masker
        if masker is None or not masker.counts:
            return
        try:
            masker.prepare()
        except Exception as exc:  # noqa: BLE001 - the reply builds it again, and fails closed
            log.error("preparing the reply index failed: %s", type(exc).__name__)

    # -- response ----------------------------------------------------------------------------

    def response_head(self, head: ResponseHead) -> ResponseHead:
        if self._masker is None:
            return head
        ctype = (_header(head.headers, b"content-type") or b"").decode("latin-1")
        encoding = (_header(head.headers, b"content-encoding") or b"").decode("latin-1")
        try:
            self._response = self._masker.response(head.status, ctype, encoding)
        except Refused as exc:
            # The client will see surrogates (safe, but not restored).
            self.stats.note = exc.message
            return head
        if self._response is None:
            return head
        head.headers = _without(head.headers, b"content-length", b"content-encoding")
        return head

    def response_data(self, data: bytes) -> bytes:
        if self._response is None:
            return data
        try:
            return self._response.feed(data)
        except Refused as exc:
            raise _refusal(exc) from None

    def response_end(self) -> bytes:
        if self._response is None:
            return b""
        try:
            out = self._response.finish()
        except Refused as exc:
            raise _refusal(exc) from None
        self.stats.unmasked = self._response.restored
        if self._response.note:
            self.stats.note = self._response.note
        return out
