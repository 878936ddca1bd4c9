"""The listener: accept loop, connection limit, reload and graceful stop.

The server holds the current :class:`~proxy.runtime.Runtime`. Each accepted connection takes
the runtime current at that moment and keeps it to the end; a reload only swaps what new
connections get. A stop closes the listener, closes connections that sit idle between
requests, lets the others finish for a grace period, then cuts what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from proxy import daemon
from proxy.accesslog import log, setup_logging
from proxy.config import ConfigError, ProxyConfig, parse_listen
from proxy.errors import ProxyError, error_response
from proxy.runtime import Runtime, StartupError, build_runtime
from proxy.session import Session
from proxy.streams import Peer

SHUTDOWN_GRACE = 30.0
"""Seconds in-flight exchanges get to finish on SIGTERM (the unit's TimeoutStopSec is above)."""


class ProxyServer:
    """Accepts connections and serves each with the runtime current at accept time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.draining = asyncio.Event()
        self._sessions: dict[Session, asyncio.Task[None]] = {}
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._refused = 0

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None
        sockname = self._server.sockets[0].getsockname()
        return sockname[0], sockname[1]

    @property
    def connections(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        host, port = parse_listen(self.runtime.config.listen)
        self._server = await asyncio.start_server(
            self._accept, host, port, limit=64 * 1024, backlog=512, reuse_address=True
        )
        self._sweeper = asyncio.ensure_future(self._sweep_pools())

    async def _sweep_pools(self) -> None:
        while True:
            await asyncio.sleep(5)
            self.runtime.pool.sweep()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        runtime = self.runtime
        lim = runtime.config.limits
        client = Peer(reader, writer, write_timeout=lim.read_timeout)
        if self.draining.is_set() or len(self._sessions) >= lim.max_connections:
            await self._refuse(client, lim.max_connections)
            return
        session = Session(runtime, client, self.draining)
        task = asyncio.current_task()
        assert task is not None
        self._sessions[session] = task
        try:
            await session.run()
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("connection failed")
        finally:
            self._sessions.pop(session, None)
            client.abort()

    async def _refuse(self, client: Peer, limit: int) -> None:
        self._refused += 1
        # One warning per 100 refusals: a flood must not flood the log as well.
        if self._refused % 100 == 1:
            log.warning(
                "refusing connection: %d connections open (--max-connections %d); "
                "%d refused so far",
                len(self._sessions),
                limit,
                self._refused,
            )
        message = (
            "stopping"
            if self.draining.is_set()
            else (f"too many connections (--max-connections {limit})")
        )
        with contextlib.suppress(OSError, TimeoutError):
            await client.write(error_response(ProxyError(message, 503)).encode())
        await client.close()

    def reload(self, runtime: Runtime) -> None:
        """New connections get ``runtime``; open ones keep theirs."""
        old = self.runtime
        self.runtime = runtime
        # Idle upstream connections of the old config go now; busy ones close when done.
        old.pool.close()

    async def stop(self, grace: float = SHUTDOWN_GRACE) -> None:
        self.draining.set()
        if self._server is not None:
            self._server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
        for session, task in list(self._sessions.items()):
            if session.idle:
                task.cancel()
        tasks = list(self._sessions.values())
        if tasks:
            log.info("stopping: waiting up to %g s for %d connection(s)", grace, len(tasks))
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        self.runtime.pool.close()


async def serve(config: ProxyConfig, reload_config: Callable[[], ProxyConfig]) -> int:
    """Run until SIGTERM/SIGINT; SIGHUP reloads via ``reload_config``. Returns an exit code."""
    try:
        runtime = build_runtime(config)
    except StartupError as exc:
        log.error("%s", exc)
        return 1
    server = ProxyServer(runtime)
    try:
        await server.start()
    except OSError as exc:
        log.error("cannot listen on %s: %s", config.listen, exc.strerror or exc)
        return 1
    host, port = server.address
    mode = (
        f"gateway to {config.gateway}"
        if config.gateway
        else (
            f"intercepting {', '.join(config.intercept)}"
            + ("; blocking other hosts" if config.block_others else "")
        )
    )
    log.info("listening on %s:%d (%s)", host, port, mode)
    if runtime.ca is not None:
        log.info("CA certificate: %s", runtime.ca.cert_path)
        published = daemon.publish_ca_cert(runtime.ca.cert_pem)
        if published is not None:
            log.info("CA certificate published for local clients: %s", published)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_reload() -> None:
        daemon.notify_reloading()
        try:
            new_config = reload_config()
            if new_config.listen != server.runtime.config.listen:
                log.warning(
                    "reload: listen %s -> %s needs a restart; keeping %s",
                    server.runtime.config.listen,
                    new_config.listen,
                    server.runtime.config.listen,
                )
            new_runtime = build_runtime(new_config)
            server.reload(new_runtime)
            setup_logging(new_config.log_level, new_config.log_format)
            if new_runtime.ca is not None:
                daemon.publish_ca_cert(new_runtime.ca.cert_pem)
            log.info("reloaded configuration: intercepting %s", ", ".join(new_config.intercept))
        except (ConfigError, StartupError) as exc:
            log.error("reload failed, keeping the running configuration: %s", exc)
        finally:
            daemon.notify_ready(status=f"listening on {host}:{port}")

    def on_stop() -> None:
        stop.set()

    daemon.install_signal_handlers(loop, on_reload, on_stop)
    daemon.notify_ready(status=f"listening on {host}:{port}")
    try:
        await stop.wait()
    finally:
        daemon.notify_stopping()
        log.info("stopping")
        daemon.remove_signal_handlers(loop)
        await server.stop()
    return 0
