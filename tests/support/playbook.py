"""Playbooks for the exchange driver: script an exchange, assert what each side receives.

No socket is opened. The client is a real h11 or h2 client state machine writing into a
:class:`ScriptedPeer` that the proxy's adapter (:class:`proxy.http1.Http1Connection` or
:class:`proxy.http2.Http2Connection`) reads from; the upstream is a :class:`ScriptedUpstream`
handed out by a :class:`ScriptedPool`, which records the request as the driver sent it and
answers with the events a test scripts from that request. Between them runs the real driver
with the real router and, unless a test passes another, the real masking pipeline.

    play = Playbook(pipeline)
    seen = await play.exchange("h2", Request(body=b'...'), respond=lambda got: [...])
    seen.upstream.body      # what left the proxy
    seen.client.body        # what the client got
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h11

from proxy.accesslog import ExchangeRecord
from proxy.config import Limits
from proxy.exchange import Driver
from proxy.http1 import Http1Connection
from proxy.http2 import Http2Connection
from proxy.pipeline import Headers, Pipeline, ResponseHead
from proxy.routes import intercept_router
from proxy.status import StatusReport
from proxy.upstream import Origin, ResponseEnd, UpstreamEvent, UpstreamExchange

HOST = "api.anthropic.com"

WAIT = object()
"""In a scripted response: the upstream pauses here (the proxy flushes what it holds)."""

Respond = Callable[["UpstreamSaw"], Sequence[object]]
"""Given the request as the upstream received it, the response events it sends (with
:data:`WAIT` where it pauses)."""


@dataclass
class Request:
    """What the client sends: one request, its body cut into ``chunks``."""

    body: bytes = b""
    method: bytes = b"POST"
    path: bytes = b"/v1/messages"
    headers: Headers = field(default_factory=lambda: [(b"content-type", b"application/json")])
    chunk: int = 0
    """Body bytes per write (0: the whole body at once)."""

    def chunks(self) -> list[bytes]:
        if not self.chunk:
            return [self.body] if self.body else []
        return [self.body[i : i + self.chunk] for i in range(0, len(self.body), self.chunk)]


@dataclass
class UpstreamSaw:
    """The request as the upstream received it."""

    method: bytes = b""
    target: bytes = b""
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    ended: bool = False
    """The request was completed (``send_end``); an aborted one never is."""
    aborted: bool = False


@dataclass
class ClientSaw:
    """The response as the client received it."""

    status: int = 0
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    complete: bool = False
    reset: bool = False
    cut: bool = False
    """The connection ended before the response did."""


@dataclass
class Seen:
    client: ClientSaw
    upstream: UpstreamSaw | None
    records: list[ExchangeRecord]


def json_reply(body: bytes, status: int = 200) -> list[UpstreamEvent]:
    """A complete JSON response, as one head, one chunk and the end."""
    head = ResponseHead(
        status,
        [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
        b"OK",
    )
    return [head, body, ResponseEnd([])]


def sse_reply(events: Sequence[bytes]) -> list[object]:
    """An event stream, one chunk per event, with a pause before each."""
    head = ResponseHead(200, [(b"content-type", b"text/event-stream")], b"OK")
    out: list[object] = [head]
    for event in events:
        out += [WAIT, event]
    return [*out, WAIT, ResponseEnd([])]


class ScriptedUpstream(UpstreamExchange):
    """An upstream exchange that records the request and answers from a script."""

    protocol = "scripted"

    def __init__(self, origin: Origin, respond: Respond) -> None:
        super().__init__(origin, reused=False)
        self.saw = UpstreamSaw()
        self._respond = respond
        self._events: list[object] | None = None

    def _send_head(self, method: bytes, target: bytes, headers: Headers, *, body: bool) -> None:
        self.saw.method, self.saw.target, self.saw.headers = method, target, list(headers)

    def _send_data(self, data: bytes) -> None:
        self.saw.body += data

    def _send_end(self, trailers: Headers) -> None:
        self.saw.ended = True

    async def flush(self) -> None:
        return None

    async def next_event(self, before_wait=None) -> UpstreamEvent:  # type: ignore[no-untyped-def]
        if self._events is None:
            assert self.saw.ended, "the upstream answers only a complete request"
            self._events = list(self._respond(self.saw))
        event = self._events.pop(0)
        if event is WAIT:
            if before_wait is not None:
                await before_wait()
            event = self._events.pop(0)
        return event  # type: ignore[return-value]

    def release(self) -> None:
        pass

    def abort(self) -> None:
        self.saw.aborted = True


class ScriptedPool:
    """Hands out one :class:`ScriptedUpstream` per exchange."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.exchanges: list[ScriptedUpstream] = []

    async def acquire(self, origin: Origin) -> UpstreamExchange:
        up = ScriptedUpstream(origin, self.respond)
        self.exchanges.append(up)
        return up


class _Writer:
    def __init__(self, peer: ScriptedPeer) -> None:
        self.peer = peer

    def write(self, data: bytes) -> None:
        self.peer.output.put_nowait(data)


class ScriptedPeer:
    """The client connection as the adapter sees it (the interface of
    :class:`proxy.streams.Peer`): reads come from :attr:`input`, writes go to :attr:`output`."""

    def __init__(self) -> None:
        self.input: asyncio.Queue[bytes] = asyncio.Queue()
        self.output: asyncio.Queue[bytes] = asyncio.Queue()
        self.writer = _Writer(self)
        self.write_timeout = 5.0
        self._eof = False

    async def read(self, timeout: float) -> bytes:
        if self._eof:
            return b""
        async with asyncio.timeout(timeout):
            data = await self.input.get()
        if not data:
            self._eof = True
        return data

    async def write(self, data: bytes) -> None:
        if data:
            self.output.put_nowait(data)

    def closed(self) -> bool:
        return self._eof

    def alpn(self) -> str | None:
        return None

    def abort(self) -> None:
        self._eof = True

    async def close(self) -> None:
        self._eof = True


class Playbook:
    """Runs scripted exchanges through one adapter, the driver and ``pipeline``."""

    def __init__(
        self,
        pipeline: Pipeline,
        limits: Limits | None = None,
        status: StatusReport | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.limits = limits or Limits()
        self.status = status

    async def exchange(self, protocol: str, request: Request, respond: Respond) -> Seen:
        """One request on a new client connection speaking ``protocol`` (``h1`` or ``h2``)."""
        pool = ScriptedPool(respond)
        records: list[ExchangeRecord] = []
        driver = Driver(
            self.limits,
            intercept_router(HOST, 443),
            self.pipeline,
            pool,
            on_exchange=records.append,
            status=self.status,
        )
        peer = ScriptedPeer()
        draining = asyncio.Event()
        if protocol == "h1":
            handler = Http1Connection(
                driver,
                peer,  # type: ignore[arg-type]
                allow_connect=False,
                draining=draining,
            )
            client = await _h1_client(handler.serve(), peer, request)
        else:
            handler2 = Http2Connection(
                driver,
                peer,  # type: ignore[arg-type]
                draining=draining,
            )
            client = await _h2_client(handler2.serve(), peer, request)
        upstream = pool.exchanges[0].saw if pool.exchanges else None
        return Seen(client, upstream, records)


async def _output(peer: ScriptedPeer, task: asyncio.Task[object]) -> bytes:
    """The proxy's next write to the client; b"" once it is done and wrote everything."""
    while True:
        if not peer.output.empty():
            return peer.output.get_nowait()
        if task.done():
            return b""
        getter = asyncio.ensure_future(peer.output.get())
        await asyncio.wait({getter, task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        if not task.done():
            return b""  # nothing for 10 s: the proxy is stuck


async def _h1_client(serve, peer: ScriptedPeer, request: Request) -> ClientSaw:  # type: ignore[no-untyped-def]
    task = asyncio.get_running_loop().create_task(serve)
    conn = h11.Connection(h11.CLIENT)
    headers = [(b"host", HOST.encode()), *request.headers]
    if request.method in (b"POST", b"PUT") or request.body:
        headers.append((b"content-length", b"%d" % len(request.body)))
    peer.input.put_nowait(
        conn.send(h11.Request(method=request.method, target=request.path, headers=headers))
    )
    for chunk in request.chunks():
        peer.input.put_nowait(conn.send(h11.Data(data=chunk)))
    peer.input.put_nowait(conn.send(h11.EndOfMessage()))
    saw = ClientSaw()
    while not saw.complete:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:  # the connection ended mid-message
            saw.cut = True
            break
        if event is h11.NEED_DATA:
            data = await _output(peer, task)
            conn.receive_data(data)
            if not data:
                saw.cut = True
            continue
        if type(event) is h11.Response:
            saw.status, saw.headers = event.status_code, list(event.headers)
        elif type(event) is h11.Data:
            saw.body += event.data
        elif type(event) is h11.EndOfMessage:
            saw.complete = True
        elif type(event) is h11.ConnectionClosed:
            saw.cut = not saw.complete
            break
    peer.input.put_nowait(b"")
    await asyncio.wait_for(task, 10)
    return saw


async def _h2_client(serve, peer: ScriptedPeer, request: Request) -> ClientSaw:  # type: ignore[no-untyped-def]
    task = asyncio.get_running_loop().create_task(serve)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(header_encoding=None))
    conn.initiate_connection()
    block = [
        (b":method", request.method),
        (b":scheme", b"https"),
        (b":authority", HOST.encode()),
        (b":path", request.path),
        *request.headers,
    ]
    chunks = request.chunks()
    conn.send_headers(1, block, end_stream=not chunks)
    for i, chunk in enumerate(chunks):
        conn.send_data(1, chunk, end_stream=i == len(chunks) - 1)
    peer.input.put_nowait(conn.data_to_send())
    saw = ClientSaw()
    while not (saw.complete or saw.reset):
        data = await _output(peer, task)
        if not data:
            saw.cut = True
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                heads = [(n, v) for n, v in event.headers if n != b":status"]
                status = dict(event.headers)[b":status"]
                saw.status, saw.headers = int(status), heads
            elif isinstance(event, h2.events.DataReceived):
                saw.body += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, 1)
            elif isinstance(event, h2.events.StreamEnded):
                saw.complete = True
            elif isinstance(event, h2.events.StreamReset):
                saw.reset = True
        out = conn.data_to_send()
        if out:
            peer.input.put_nowait(out)
    peer.input.put_nowait(b"")
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(task, 10)
    return saw
