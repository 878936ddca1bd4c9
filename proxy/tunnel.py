"""The blind tunnel: bytes both ways, unread and unchanged, for hosts that are not intercepted.

Each direction reads at most 64 KiB, writes it, and waits for the other side to take it before
reading again, so a slow end slows the sender down instead of growing a buffer. A half-close
is passed on (the other side gets EOF and may still answer). The tunnel ends when both
directions are done, either side fails, or nothing moves either way for ``inactivity``.
"""

from __future__ import annotations

import asyncio
import time

from proxy.streams import Peer


class _State:
    __slots__ = ("last", "up", "down")

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.up = 0
        self.down = 0


async def _pump(src: Peer, dst: Peer, state: _State, inactivity: float, upward: bool) -> None:
    while True:
        try:
            data = await src.read(inactivity)
        except TimeoutError:
            # One direction may be silent while the other streams (a download): only give up
            # when neither side has moved for the whole window.
            if time.monotonic() - state.last < inactivity:
                continue
            raise
        if not data:
            dst.write_eof()
            return
        state.last = time.monotonic()
        if upward:
            state.up += len(data)
        else:
            state.down += len(data)
        await dst.write(data)


async def relay(client: Peer, upstream: Peer, inactivity: float) -> tuple[int, int]:
    """Relay until done; returns (bytes client→upstream, bytes upstream→client).

    The caller closes both peers afterwards.
    """
    state = _State()
    up = asyncio.ensure_future(_pump(client, upstream, state, inactivity, True))
    down = asyncio.ensure_future(_pump(upstream, client, state, inactivity, False))
    try:
        pending = {up, down}
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            # A clean EOF ends one direction only (the other side may still answer); an error
            # or a timeout ends the tunnel.
            if any(not t.cancelled() and t.exception() is not None for t in done):
                break
    finally:
        for task in (up, down):
            task.cancel()
        await asyncio.gather(up, down, return_exceptions=True)
    return state.up, state.down
