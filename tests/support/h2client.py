"""A step-by-step HTTP/2 client through the proxy's CONNECT tunnel, for tests that need control
over flow control, frame order and raw bytes (curl and httpx decide those for themselves).

It is single-threaded and explicit: :meth:`H2Client.pump` reads once and updates the
streams; :meth:`H2Client.run_until` pumps until a condition holds. Streams acknowledge the
data they receive (reopening their window) unless a test turns that off for a stream, which is
how a test plays a client that has stopped reading one stream.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.exceptions
from h2.errors import ErrorCodes
from hyperframe.frame import GoAwayFrame

from support.clients import connect_tunnel


class _KeepOpenAfterGoaway(h2.connection.H2Connection):
    """h2 closes the connection on a received GOAWAY (python-hyper/h2#1181); a client must
    still read the streams the GOAWAY lets finish (RFC 9113 6.8)."""

    def _receive_goaway_frame(self, frame: GoAwayFrame):  # type: ignore[no-untyped-def]  # noqa: ANN202
        event = h2.events.ConnectionTerminated()
        event.error_code = ErrorCodes(frame.error_code)
        event.last_stream_id = frame.last_stream_id
        event.additional_data = frame.additional_data or None
        return [], [event]


@dataclass
class ClientStream:
    """What arrived on one stream."""

    stream_id: int
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    informational: list[int] = field(default_factory=list)
    data: bytearray = field(default_factory=bytearray)
    trailers: list[tuple[bytes, bytes]] = field(default_factory=list)
    ended: bool = False
    reset_code: int | None = None
    auto_ack: bool = True
    unacked: int = 0
    """Flow-controlled bytes received and not acknowledged (auto_ack off)."""

    @property
    def done(self) -> bool:
        return self.ended or self.reset_code is not None

    def header(self, name: bytes) -> bytes | None:
        for k, v in self.headers:
            if k == name:
                return v
        return None


class H2Client:
    """One HTTP/2 connection to ``host`` through the proxy at ``address`` (or, ``direct``,
    straight to the server at ``address``), over verified TLS."""

    def __init__(
        self,
        address: tuple[str, int],
        host: str,
        cafile: Path,
        *,
        connection_window: int = 2**24,
        timeout: float = 15.0,
        preface: bool = True,
        direct: bool = False,
    ) -> None:
        if direct:
            sock = socket.create_connection(address, timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            sock, status, head = connect_tunnel(address, host, timeout=timeout)
            if status != 200:
                sock.close()
                raise ConnectionError(f"CONNECT answered {head!r}")
        ctx = ssl.create_default_context(cafile=str(cafile))
        ctx.set_alpn_protocols(["h2"])
        self.sock: ssl.SSLSocket = ctx.wrap_socket(sock, server_hostname=host)
        if self.sock.selected_alpn_protocol() != "h2":
            raise ConnectionError(f"ALPN chose {self.sock.selected_alpn_protocol()!r}, not h2")
        self.timeout = timeout
        self.host = host
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.h2 = _KeepOpenAfterGoaway(config)
        self.streams: dict[int, ClientStream] = {}
        self.terminated: h2.events.ConnectionTerminated | None = None
        self.closed = False
        if preface:
            self.h2.initiate_connection()
            # Like httpx: a large connection window, so one unread stream cannot block others.
            self.h2.increment_flow_control_window(connection_window)
            self.flush()

    # -- sending ----------------------------------------------------------------------------

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(
        self,
        method: str,
        path: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        *,
        end: bool = True,
        auto_ack: bool = True,
    ) -> int:
        """Open a stream; with ``end`` the body (if any) completes the request."""
        stream_id = self.h2.get_next_available_stream_id()
        block = [
            (b":method", method.encode()),
            (b":scheme", b"https"),
            (b":authority", self.host.encode()),
            (b":path", path.encode()),
            *((k.lower().encode(), v.encode()) for k, v in headers),
        ]
        self.streams[stream_id] = ClientStream(stream_id, auto_ack=auto_ack)
        self.h2.send_headers(stream_id, block, end_stream=end and not body)
        self.flush()
        if body:
            self.send_body(stream_id, body, end=end)
        return stream_id

    def send_body(self, stream_id: int, data: bytes, *, end: bool = True) -> None:
        """Send ``data`` as the window allows (pumping for WINDOW_UPDATEs); stops early when
        the proxy resets the stream (it wants no more of the request)."""
        view = memoryview(data)
        stream = self.streams[stream_id]
        while view:
            if stream.reset_code is not None:
                return
            window = self.h2.local_flow_control_window(stream_id)
            if window <= 0:
                self.pump()
                continue
            n = min(window, self.h2.max_outbound_frame_size, len(view))
            self.h2.send_data(stream_id, bytes(view[:n]))
            view = view[n:]
            self.flush()
        if end and stream.reset_code is None:
            self.h2.end_stream(stream_id)
            self.flush()

    def ack(self, stream_id: int) -> None:
        """Acknowledge what a stream received so far, and acknowledge from now on."""
        stream = self.streams[stream_id]
        stream.auto_ack = True
        if stream.unacked:
            self.h2.acknowledge_received_data(stream.unacked, stream_id)
            stream.unacked = 0
            self.flush()

    # -- receiving --------------------------------------------------------------------------

    def pump(self, timeout: float | None = None) -> list[h2.events.Event]:
        """Read once and apply what arrived; raises ConnectionError when the proxy closed."""
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        if not data:
            self.closed = True
            raise ConnectionError("connection closed")
        events = self.h2.receive_data(data)
        for event in events:
            self._apply(event)
        self.flush()
        return events

    def run_until(self, condition: Callable[[], bool], timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not reached")
            self.pump()

    def response(self, stream_id: int) -> ClientStream:
        """Pump until the stream ends (or is reset) and return it."""
        stream = self.streams[stream_id]
        self.run_until(lambda: stream.done)
        return stream

    def _apply(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = event
            return
        stream_id = getattr(event, "stream_id", 0)
        stream = self.streams.get(stream_id)
        if stream is None:
            if isinstance(event, h2.events.DataReceived):
                self.h2.acknowledge_received_data(event.flow_controlled_length, stream_id)
            return
        if isinstance(event, h2.events.ResponseReceived):
            stream.headers = list(event.headers)
            stream.status = int(dict(event.headers)[b":status"])
        elif isinstance(event, h2.events.InformationalResponseReceived):
            stream.informational.append(int(dict(event.headers)[b":status"]))
        elif isinstance(event, h2.events.DataReceived):
            stream.data += event.data
            if stream.auto_ack:
                self.h2.acknowledge_received_data(event.flow_controlled_length, stream_id)
            else:
                stream.unacked += event.flow_controlled_length
        elif isinstance(event, h2.events.TrailersReceived):
            stream.trailers = list(event.headers)
        elif isinstance(event, h2.events.StreamEnded):
            stream.ended = True
        elif isinstance(event, h2.events.StreamReset):
            stream.reset_code = event.error_code

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> H2Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def raw_h2_connection(
    proxy: tuple[str, int], host: str, cafile: Path, timeout: float = 10.0
) -> ssl.SSLSocket:
    """A TLS socket through the proxy that negotiated h2, with nothing sent yet."""
    sock, status, head = connect_tunnel(proxy, host, timeout=timeout)
    if status != 200:
        sock.close()
        raise ConnectionError(f"CONNECT answered {head!r}")
    ctx = ssl.create_default_context(cafile=str(cafile))
    ctx.set_alpn_protocols(["h2"])
    tls = ctx.wrap_socket(sock, server_hostname=host)
    assert tls.selected_alpn_protocol() == "h2"
    tls.settimeout(timeout)
    return tls


__all__ = ["ClientStream", "H2Client", "raw_h2_connection"]
