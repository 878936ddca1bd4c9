"""The local upstream: an asyncio TLS HTTP/1.1 server playing the Messages API.

It reads each request (``Content-Length`` or chunked), hands the body to the
:class:`~bench.verify.Verifier` (which remembers what each peer delivered, to check later that a
masking peer let no original through), and answers according to ``x-bench-reply``:

- ``json``: a small JSON message echoing the identifiers it found in the body;
- ``sse``: the 200-event stream, one event per chunk, 1 ms apart, recording when it wrote
  each event under the request's ``x-bench-seq`` so the client can compute per-event delay
  on the same clock.

Keep-alive on, ``TCP_NODELAY`` on. It runs in the client's event loop, on the client's CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import OrderedDict

from bench.certs import Leaf
from bench.payloads import Reply, echo_ids
from bench.verify import Verifier

MAX_HEAD = 65536
EVENT_GAP = 0.001


class Upstream:
    def __init__(self, leaf: Leaf, verifier: Verifier) -> None:
        self.ctx = leaf.server_context()
        self.verifier = verifier
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=4096)
        self.port: int = self._sock.getsockname()[1]
        """Bound at construction, so proxies can be pointed at it before the loop runs."""
        self.requests = 0
        self.connections = 0
        """TLS connections accepted so far (a proxy's upstream pool shows here)."""
        self.sse_sent: dict[str, list[float]] = {}
        self._replies: OrderedDict[tuple[bytes, ...], Reply] = OrderedDict()
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[_ServerProtocol] = set()

    async def start(self) -> Upstream:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _ServerProtocol(self), sock=self._sock, ssl=self.ctx, backlog=4096
        )
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for conn in list(self._conns):
                conn.abort()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    def reply_for(self, body: bytes) -> Reply:
        ids = echo_ids(body)
        reply = self._replies.get(ids)
        if reply is None:
            reply = Reply(tuple(i.decode() for i in ids))
            self._replies[ids] = reply
            if len(self._replies) > 64:
                self._replies.popitem(last=False)
        return reply


class _ServerProtocol(asyncio.Protocol):
    def __init__(self, server: Upstream) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.head: dict[bytes, bytes] | None = None
        self.need = 0
        self.chunked = False
        self.body = bytearray()
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server._conns.add(self)
        self.server.connections += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.server._conns.discard(self)
        self.transport = None

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self._parse()

    def _parse(self) -> None:
        while True:
            if self.head is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(self.buf) > MAX_HEAD:
                        self.abort()
                    return
                lines = bytes(self.buf[:end]).split(b"\r\n")
                del self.buf[: end + 4]
                head: dict[bytes, bytes] = {}
                for line in lines[1:]:
                    k, _, v = line.partition(b":")
                    head[k.strip().lower()] = v.strip()
                self.head = head
                self.chunked = b"chunked" in head.get(b"transfer-encoding", b"").lower()
                self.need = -1 if self.chunked else int(head.get(b"content-length", b"0"))
                self.body = bytearray()
            if self.chunked:
                if not self._chunked_body():
                    return
            else:
                if len(self.buf) < self.need:
                    return
                self.body = self.buf[: self.need]
                del self.buf[: self.need]
            head, body = self.head, bytes(self.body)
            self.head = None
            self._respond(head, body)
            if self.busy:
                return

    def _chunked_body(self) -> bool:
        while True:
            if self.need < 0:
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return False
                size = int(bytes(self.buf[:end]).split(b";")[0], 16)
                del self.buf[: end + 2]
                if size == 0:
                    self.need = -2
                else:
                    self.need = size
            if self.need == -2:  # trailers, then the empty line
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return False
                del self.buf[: end + 2]
                if end == 0:
                    return True
                continue
            if len(self.buf) < self.need + 2:
                return False
            self.body += self.buf[: self.need]
            del self.buf[: self.need + 2]
            self.need = -1

    def _respond(self, head: dict[bytes, bytes], body: bytes) -> None:
        server = self.server
        server.requests += 1
        server.verifier.received(
            head.get(b"x-bench-peer", b"?").decode(),
            head.get(b"x-bench-wl", b"?").decode(),
            int(head.get(b"x-bench-var", b"0")),
            body,
        )
        reply = server.reply_for(body)
        if head.get(b"x-bench-reply") == b"sse":
            self.busy = True
            seq = head.get(b"x-bench-seq", b"").decode()
            asyncio.get_running_loop().create_task(self._stream(reply, seq))
            return
        payload = reply.json_body
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(payload), payload)
        )

    async def _stream(self, reply: Reply, seq: str) -> None:
        sent: list[float] = []
        transport = self.transport
        try:
            if transport is None:
                return
            transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
            )
            last = len(reply.events) - 1
            for i, event in enumerate(reply.events):
                if transport.is_closing():
                    return
                sent.append(time.perf_counter())
                transport.write(b"%x\r\n%s\r\n" % (len(event), event))
                if i < last:
                    await asyncio.sleep(EVENT_GAP)
            transport.write(b"0\r\n\r\n")
        finally:
            if seq:
                self.server.sse_sent[seq] = sent
                if len(self.server.sse_sent) > 10000:
                    self.server.sse_sent.pop(next(iter(self.server.sse_sent)))
            self.busy = False
            if self.transport is not None and self.buf:
                self._parse()
