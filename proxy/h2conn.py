"""The h2 connection both HTTP/2 sides use, with a graceful GOAWAY.

h2 moves a connection to its CLOSED state as soon as a GOAWAY is sent or received, and drops
whatever output it had queued (python-hyper/h2#1181). RFC 9113 (6.8) says the opposite: a
GOAWAY only forbids *new* streams, and the streams at or below its last-stream id may still
complete. A proxy needs exactly that — an upstream that announces its shutdown must still
deliver the responses in flight, and a draining proxy must still finish its clients' streams —
so this subclass keeps the connection open on either GOAWAY. Refusing new streams afterwards
is the caller's job (:mod:`proxy.http2` resets them with ``REFUSED_STREAM``, the upstream
pool opens none).
"""

from __future__ import annotations

import sys

from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import ConnectionTerminated, Event
from hpack import HPACKError, OversizedHeaderListError
from hyperframe.frame import Frame, GoAwayFrame

MAX_WINDOW = 2**31 - 1
"""The largest flow-control window HTTP/2 allows."""


def error_name(code: int | None) -> str:
    """``PROTOCOL_ERROR`` for 1, and so on; the number for codes HTTP/2 does not define."""
    if code is None:
        return "none"
    try:
        return ErrorCodes(code).name
    except ValueError:
        return f"0x{code:x}"


class GracefulH2Connection(H2Connection):
    """An :class:`h2.connection.H2Connection` that stays open across GOAWAY frames, and that
    ends the connection with COMPRESSION_ERROR on a header block HPACK cannot decode."""

    def _terminate_connection(self, error_code: ErrorCodes) -> None:
        # h2 reports an undecodable header block as a plain PROTOCOL_ERROR; RFC 9113 (4.3)
        # asks for COMPRESSION_ERROR. This runs inside h2's handler of that very exception.
        exc = sys.exc_info()[1]
        cause = exc.__cause__ if exc is not None else None
        if isinstance(cause, HPACKError) and not isinstance(cause, OversizedHeaderListError):
            error_code = ErrorCodes.COMPRESSION_ERROR
        super()._terminate_connection(error_code)

    def _receive_goaway_frame(self, frame: GoAwayFrame) -> tuple[list[Frame], list[Event]]:
        # Replaces h2's handler (it is looked up by name when the connection is built): report
        # the GOAWAY, but neither close the state machine nor clear the queued output.
        event = ConnectionTerminated()
        try:
            event.error_code = ErrorCodes(frame.error_code)
        except ValueError:
            event.error_code = frame.error_code
        event.last_stream_id = frame.last_stream_id
        event.additional_data = frame.additional_data or None
        return [], [event]

    def send_goaway(self, error_code: int = ErrorCodes.NO_ERROR, last_stream_id: int = 0) -> None:
        """Queue a GOAWAY and keep the connection open for the streams up to ``last_stream_id``
        (h2's own :meth:`close_connection` would end every stream at once)."""
        frame = GoAwayFrame(stream_id=0, last_stream_id=last_stream_id, error_code=error_code)
        self._prepare_for_sending([frame])
