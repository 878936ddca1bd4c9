"""The masking pipeline: every intercepted request masked, its response unmasked with its map.

This is where the proxy meets ``masking/``. An exchange masks the request body as it streams
(JSON bodies through the schema-aware tracker, other bodies as text) and restores surrogates
in the response: event streams event by event, JSON bodies in their raw escaped form. Anything
it cannot mask safely raises :class:`~proxy.pipeline.ExchangeRefused` (fail closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from masking.anthropic_request import MessagesRequestPolicy, is_messages_endpoint
from masking.anthropic_response import SseUnmasker, escaped_index
from masking.exchange_map import ExchangeMap
from masking.json_tracker import JsonPolicy, JsonSyntaxError, JsonTracker
from masking.keyfile import load_or_create_key
from masking.resend_cache import ResendCache, ResendMasker
from masking.stream_masker import ScannerLike, StreamMasker
from masking.stream_unmasker import StreamUnmasker, SurrogateIndex
from masking.surrogate import SurrogateMaker
from proxy.pipeline import (
    Exchange,
    ExchangeRefused,
    Pipeline,
    RequestHead,
    ResponseHead,
)

log = logging.getLogger("maskproxy.masking")

_DECODABLE = {b"gzip": 16 + zlib.MAX_WBITS, b"x-gzip": 16 + zlib.MAX_WBITS, b"deflate": 0}


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for k, v in headers:
        if k == name:
            return v
    return None


def _without(headers: list[tuple[bytes, bytes]], *names: bytes) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k not in names]


def build_scanner(masking_table: Mapping[str, Any]) -> ScannerLike:
    """The scanner for a config's ``[masking]`` table (ValueError when the table is invalid)."""
    from masking.rules import RuleConfig
    from masking.scanner import Scanner

    return Scanner(RuleConfig.from_dict(masking_table))


def build_masking_pipeline(masking_table: Mapping[str, Any], state_dir: Path) -> MaskingPipeline:
    """The pipeline for a config: its scanner, the key in ``state_dir`` (made if absent) and a
    resend cache of the configured size."""
    from masking.rules import RuleConfig
    from masking.scanner import Scanner

    rules = RuleConfig.from_dict(masking_table)
    return MaskingPipeline(
        Scanner(rules),
        SurrogateMaker(load_or_create_key(state_dir)),
        ResendCache(rules.resend_cache_mb << 20),
    )


class MaskingPipeline(Pipeline):
    """Holds what every exchange shares: the compiled scanner and the keyed surrogate maker."""

    def __init__(
        self, scanner: ScannerLike, maker: SurrogateMaker, resend: ResendCache | None = None
    ) -> None:
        self.scanner = scanner
        self.maker = maker
        self.resend = resend if resend is not None else ResendCache()
        """Recent bodies, so that a resent conversation is not scanned again (per pipeline:
        a reload with another key or other rules starts empty)."""

    def open_exchange(self, head: RequestHead) -> Exchange:
        return MaskingExchange(self)


class MaskingExchange(Exchange):
    """One request masked and its response unmasked with the map built from that request."""

    def __init__(self, pipeline: MaskingPipeline) -> None:
        super().__init__()
        self._pipeline = pipeline
        self._map = ExchangeMap(pipeline.maker)
        self._masker: ResendMasker | StreamMasker | None = None
        self._json = False
        self._policy: JsonPolicy | None = None
        self._response: StreamUnmasker | SseUnmasker | None = None
        self._inflate = None
        self._index: SurrogateIndex | None = None

    # -- request ---------------------------------------------------------------------------

    def request_head(self, head: RequestHead) -> RequestHead:
        encoding = _header(head.headers, b"content-encoding")
        if encoding is not None and encoding.strip().lower() not in (b"", b"identity"):
            raise ExchangeRefused(
                415,
                "invalid_request_error",
                "the request body has Content-Encoding "
                f"{encoding.decode('latin-1')!r}, which cannot be masked; it was not forwarded",
            )
        ctype = (_header(head.headers, b"content-type") or b"").split(b";")[0].strip().lower()
        self._json = ctype == b"application/json" or ctype.endswith(b"+json")
        if self._json:
            self._policy = (
                MessagesRequestPolicy() if is_messages_endpoint(head.target) else JsonPolicy()
            )
        # Ask only for response encodings this exchange can read.
        headers = _without(head.headers, b"accept-encoding")
        headers.append((b"accept-encoding", b"gzip, deflate"))
        head.headers = headers
        return head

    def request_data(self, data: bytes) -> bytes:
        if self._masker is None:
            scanner = self._pipeline.scanner
            policy = self._policy

            def make(exchange_map: ExchangeMap) -> StreamMasker:
                tracker = JsonTracker(policy) if policy is not None else None
                return StreamMasker(scanner, exchange_map, tracker)

            if isinstance(policy, MessagesRequestPolicy):
                # Only conversations are resent; other bodies (telemetry batches) would only
                # take the cache's room, and keep originals in memory for nothing.
                self._masker = self._pipeline.resend.masker("messages", make, self._map)
            else:
                self._masker = make(self._map)
        return self._guard(self._masker.feed, data)

    def request_end(self) -> bytes:
        if self._masker is None:
            return b""
        out = self._guard(self._masker.finish)
        self.stats.masked = dict(self._masker.counts)
        if isinstance(self._masker, ResendMasker):
            self.stats.reused = self._masker.reused
        if self._map.by_surrogate:
            # Index the surrogates once the request is on its way, while the model works,
            # rather than when the first reply bytes are waiting (tens of ms for a long
            # conversation).
            with contextlib.suppress(RuntimeError):  # no loop: built when the response comes
                asyncio.get_running_loop().call_soon(self._surrogate_index)
        return out

    def _surrogate_index(self) -> SurrogateIndex:
        if self._index is None:
            self._index = SurrogateIndex(self._map.by_surrogate, self._map.glue)
        return self._index

    def _guard(self, step, *args) -> bytes:  # type: ignore[no-untyped-def]
        try:
            return step(*args)
        except JsonSyntaxError as exc:
            raise ExchangeRefused(
                400, "invalid_request_error", f"{exc}; the request was not forwarded"
            ) from None
        except ExchangeRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - any engine failure must fail closed
            log.error("masking failed: %s", type(exc).__name__)
            raise ExchangeRefused(
                500,
                "api_error",
                f"masking failed ({type(exc).__name__}); the request was not forwarded",
            ) from None

    # -- response ----------------------------------------------------------------------------

    def response_head(self, head: ResponseHead) -> ResponseHead:
        pairs = self._map.by_surrogate
        if not pairs:
            return head  # nothing was masked: nothing to restore
        ctype = (_header(head.headers, b"content-type") or b"").split(b";")[0].strip().lower()
        encoding = (_header(head.headers, b"content-encoding") or b"").strip().lower()
        if encoding and encoding != b"identity":
            wbits = _DECODABLE.get(encoding)
            if wbits is None:
                # The client will see surrogates (safe, but not restored).
                self.stats.note = f"response encoding {encoding.decode('latin-1')} not restored"
                return head
            self._inflate = zlib.decompressobj(wbits)
        if ctype == b"text/event-stream":
            self._response = SseUnmasker(self._surrogate_index())
        elif ctype == b"application/json" or ctype.endswith(b"+json"):
            self._response = StreamUnmasker(escaped_index(pairs, self._map.glue))
        elif ctype.startswith(b"text/"):
            self._response = StreamUnmasker(self._surrogate_index())
        else:
            self._inflate = None
            return head
        head.headers = _without(head.headers, b"content-length", b"content-encoding")
        return head

    def response_data(self, data: bytes) -> bytes:
        if self._response is None:
            return data
        if self._inflate is not None:
            data = self._inflate.decompress(data)
        return self._response.feed(data)

    def response_end(self) -> bytes:
        if self._response is None:
            return b""
        out = b""
        if self._inflate is not None:
            out = self._response.feed(self._inflate.flush())
        out += self._response.finish()
        self.stats.unmasked = self._response.restored
        return out
