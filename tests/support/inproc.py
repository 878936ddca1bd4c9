"""Run the proxy server inside the test process, with a pipeline of the test's choosing.

The subprocess launcher (:mod:`support.launcher`) tests maskproxy as users run it; this one is
for driving the exchange pipeline directly: a test passes its own :class:`Pipeline` (one that
refuses, rewrites, or counts) and watches what the client and the upstream receive.

    with InProcessProxy(config, pipeline) as p:
        ... connect to p.address ...
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import threading
from pathlib import Path

from proxy.config import ConnectTo, ProxyConfig
from proxy.pipeline import Pipeline
from proxy.runtime import build_runtime
from proxy.server import ProxyServer


def test_config(state_dir: Path, upstream_ca: Path, *routes: tuple[str, int], **kw: object):  # noqa: ANN201
    """A config on a free loopback port that routes ``(host, port)`` pairs to 127.0.0.1."""
    connect_to = tuple(ConnectTo(host, 443, "127.0.0.1", port) for host, port in routes)
    return ProxyConfig(
        listen="127.0.0.1:0",
        state_dir=state_dir,
        upstream_ca=(upstream_ca,),
        connect_to=connect_to,
        **kw,  # type: ignore[arg-type]
    )


test_config.__test__ = False  # type: ignore[attr-defined]


class InProcessProxy:
    """A :class:`ProxyServer` on its own event loop in a background thread."""

    def __init__(self, config: ProxyConfig, pipeline: Pipeline | None = None) -> None:
        self.config = config
        self.pipeline = pipeline
        self.address: tuple[str, int] = ("127.0.0.1", 0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ProxyServer | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def ca_path(self) -> Path:
        return self.config.state_dir / "ca.pem"

    def __enter__(self) -> InProcessProxy:
        self._thread.start()
        if not self._ready.wait(20):
            raise RuntimeError("in-process proxy did not start")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._server is not None:
            fut = asyncio.run_coroutine_threadsafe(self._server.stop(grace=2), self._loop)
            fut.result(15)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)

    def begin_stop(self, grace: float) -> concurrent.futures.Future[None]:
        """Start a graceful stop (what SIGTERM does) without waiting for it to finish."""
        assert self._loop is not None and self._server is not None
        return asyncio.run_coroutine_threadsafe(self._server.stop(grace=grace), self._loop)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            runtime = build_runtime(self.config)
            if self.pipeline is not None:
                runtime = dataclasses.replace(runtime, pipeline=self.pipeline)
            server = ProxyServer(runtime)
            loop.run_until_complete(server.start())
            self._server = server
            self.address = server.address
        except BaseException as exc:  # handed to the test thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()
