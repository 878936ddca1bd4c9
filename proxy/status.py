"""What a running proxy reports about itself: the status canary and the Prometheus text.

Inside an intercepted host (HTTP/1.1 or HTTP/2; gateway mode too) ``GET`` :data:`STATUS_PATH`
is answered by the proxy itself and never forwarded: a client that receives it knows its
traffic to that host goes through this proxy, and is masked. The answer is JSON::

    {"service": "maskproxy", "version": "0.1.0", "uptime_seconds": 12.5,
     "intercept": ["api.anthropic.com"], "exchanges": 42,
     "masked": {"aws_ec2_instance_id": 7}, "ca_sha256": "ab12…"}

``exchanges`` counts the exchanges served (the canary itself not included), ``masked`` the
values masked by type, both since the process started (kept across reloads). ``ca_sha256`` is
the SHA-256 of the CA certificate (DER), so a client can check it trusts the same CA; it is
null in gateway mode, which has no CA. Counts only, never a value (DESIGN invariant 9).

The same figures are served as Prometheus text on an opt-in listener (``metrics_listen``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from proxy.accesslog import ExchangeRecord, log
from proxy.config import parse_listen

STATUS_PATH = b"/.well-known/maskproxy/status"
"""The path of the canary inside an intercepted host."""

SERVICE = "maskproxy"


def _version() -> str:
    try:
        return version("maskproxy")
    except PackageNotFoundError:
        return "unknown"


class Counters:
    """Exchanges and masked values by type since the process started; one per process, so a
    reload keeps them."""

    __slots__ = ("started", "exchanges", "masked")

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.exchanges = 0
        self.masked: Counter[str] = Counter()

    def record(self, rec: ExchangeRecord) -> None:
        """Count one finished exchange (its record carries counts by type, never values)."""
        self.exchanges += 1
        if rec.masked:
            masked = self.masked
            for name, count in rec.masked.items():
                masked[name] += count


class StatusReport:
    """The status of one loaded configuration over the process's counters."""

    __slots__ = ("counters", "intercept", "ca_sha256", "version")

    def __init__(
        self, counters: Counters, intercept: tuple[str, ...], ca_der: bytes | None
    ) -> None:
        self.counters = counters
        self.intercept = list(intercept)
        self.ca_sha256 = hashlib.sha256(ca_der).hexdigest() if ca_der is not None else None
        self.version = _version()

    def document(self) -> dict[str, object]:
        c = self.counters
        return {
            "service": SERVICE,
            "version": self.version,
            "uptime_seconds": round(time.monotonic() - c.started, 3),
            "intercept": self.intercept,
            "exchanges": c.exchanges,
            "masked": dict(sorted(c.masked.items())),
            "ca_sha256": self.ca_sha256,
        }

    def json_body(self) -> bytes:
        return json.dumps(self.document()).encode()

    def prometheus(self) -> bytes:
        """The figures in the Prometheus text exposition format (version 0.0.4)."""
        c = self.counters
        lines = [
            "# HELP maskproxy_info The running maskproxy.",
            "# TYPE maskproxy_info gauge",
            f'maskproxy_info{{version="{_label(self.version)}"}} 1',
            "# HELP maskproxy_uptime_seconds Seconds since the process started.",
            "# TYPE maskproxy_uptime_seconds gauge",
            f"maskproxy_uptime_seconds {time.monotonic() - c.started:.3f}",
            "# HELP maskproxy_exchanges_total Exchanges served.",
            "# TYPE maskproxy_exchanges_total counter",
            f"maskproxy_exchanges_total {c.exchanges}",
            "# HELP maskproxy_masked_values_total Values masked in request bodies, by type.",
            "# TYPE maskproxy_masked_values_total counter",
        ]
        for kind, count in sorted(c.masked.items()):
            lines.append(f'maskproxy_masked_values_total{{type="{_label(kind)}"}} {count}')
        return ("\n".join(lines) + "\n").encode()


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def is_status_request(method: bytes, target: bytes) -> bool:
    """``GET`` of :data:`STATUS_PATH` (origin- or absolute-form, any query)."""
    if method != b"GET":
        return False
    if not target.startswith(b"/"):
        scheme_end = target.find(b"://")
        if scheme_end < 0:
            return False
        slash = target.find(b"/", scheme_end + 3)
        target = target[slash:] if slash >= 0 else b"/"
    return target.split(b"?", 1)[0] == STATUS_PATH


class MetricsServer:
    """``GET /metrics`` in Prometheus text on its own listener; anything else is 404.

    Opt-in (``metrics_listen``), plain HTTP, one short request per connection: it serves
    scrapers, not clients, and reads at most :data:`MAX_REQUEST` bytes within
    :data:`READ_TIMEOUT` seconds."""

    MAX_REQUEST = 8192
    READ_TIMEOUT = 5.0

    def __init__(self, report: Callable[[], StatusReport]) -> None:
        self.report = report
        """The report of the configuration in use (a reload changes it)."""
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._serve, host, port, limit=self.MAX_REQUEST)
        address = self._server.sockets[0].getsockname()
        return address[0], address[1]

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self.READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            writer.close()
            return
        line = head.split(b"\r\n", 1)[0].split(b" ")
        if len(line) == 3 and line[0] == b"GET" and line[1].split(b"?", 1)[0] == b"/metrics":
            status, ctype, body = (
                b"200 OK",
                b"text/plain; version=0.0.4",
                self.report().prometheus(),
            )
        else:
            status, ctype, body = b"404 Not Found", b"text/plain", b"not found\n"
        writer.write(
            b"HTTP/1.1 %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
            % (status, ctype, len(body))
            + body
        )
        with contextlib.suppress(Exception):
            await writer.drain()
        writer.close()


async def start_metrics(report: Callable[[], StatusReport], listen: str) -> MetricsServer | None:
    """Start the metrics listener on ``listen`` (``HOST:PORT``); None (and a log line) when it
    cannot listen."""
    host, port = parse_listen(listen)
    server = MetricsServer(report)
    try:
        bound = await server.start(host, port)
    except OSError as exc:
        log.error("cannot listen for metrics on %s: %s", listen, exc.strerror or exc)
        return None
    log.info("metrics on http://%s:%d/metrics", *bound)
    return server
