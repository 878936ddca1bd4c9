"""The listener: accept loop, connection limit, reload and graceful stop.

The server holds the current :class:`~proxy.runtime.Runtime`. Each accepted connection takes
the runtime current at that moment and keeps it to the end; a reload only swaps what new
connections get. A stop closes the listener, closes connections that sit idle between
requests, lets the others finish for a grace period, then cuts what is left.

The accept loop is the server's own rather than the event loop's, for one case: running out
of file descriptors. There ``accept()`` fails with EMFILE (or ENFILE) while the client waits in
the kernel's queue, and an event loop either retries in silence or drops the listener, so
clients hang. Here the failure is logged (one line per :data:`EXHAUSTED_LOG_INTERVAL`), and
one descriptor held in reserve is given up for a moment to accept the waiting client, answer it
503 and close it, then taken back.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import resource
import socket
import time
import traceback
from collections.abc import Callable

from proxy import daemon
from proxy.accesslog import log, setup_logging
from proxy.config import ConfigError, ProxyConfig, parse_listen
from proxy.errors import ProxyError, error_response
from proxy.runtime import Runtime, StartupError, build_runtime
from proxy.session import Session
from proxy.status import Counters, StatusReport, start_metrics
from proxy.streams import Peer, PeerProtocol

SHUTDOWN_GRACE = 30.0
"""Seconds in-flight exchanges get to finish on SIGTERM (the unit's TimeoutStopSec is above)."""

LISTEN_BACKLOG = 512
ACCEPT_BATCH = 64
"""Connections accepted per readiness event, so a burst does not starve the other work."""

OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""``accept()`` errors that mean the process or the system has no descriptor (or memory) for
one more connection; the client is still waiting in the listen queue."""

EXHAUSTED_LOG_INTERVAL = 10.0
"""Seconds between two log lines about running out of descriptors, whatever the refusals."""

ACCEPT_PAUSE = 0.5
"""Seconds the listener is left alone when not even the reserve descriptor can be had (the
whole system is out): retrying at once would spin."""

DESCRIPTORS_PER_CONNECTION = 2
"""A client connection and its upstream connection: what ``--max-connections`` may hold."""

DESCRIPTOR_HEADROOM = 64
"""Descriptors beyond the connections: listeners, the log, the CA files, pooled upstreams."""

OUT_OF_DESCRIPTORS_REFUSAL = error_response(
    ProxyError("out of file descriptors; try again shortly", 503)
).encode()
"""The answer to a client accepted with the reserve descriptor (it always closes)."""


def _reserve_descriptor() -> int | None:
    """A descriptor held only to be given up when ``accept()`` runs out (None if none left)."""
    try:
        return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def ensure_descriptor_limit(max_connections: int) -> None:
    """Raise the soft ``RLIMIT_NOFILE`` towards what ``max_connections`` needs, up to the hard
    limit, and warn when even that is short: past it, new clients get 503 (see above)."""
    want = max_connections * DESCRIPTORS_PER_CONNECTION + DESCRIPTOR_HEADROOM
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return
    if soft != resource.RLIM_INFINITY and soft < want:
        target = want if hard == resource.RLIM_INFINITY else min(want, hard)
        # The units' system-call filter denies setrlimit: LimitNOFILE= sets it there instead.
        with contextlib.suppress(OSError, ValueError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    if soft != resource.RLIM_INFINITY and soft < want:
        log.warning(
            "file descriptor limit %d is below the %d that --max-connections %d may need; "
            "past it new clients get 503 (raise it with ulimit -n or LimitNOFILE=)",
            soft,
            want,
            max_connections,
        )


async def _bind(host: str, port: int) -> list[socket.socket]:
    """Listening, non-blocking sockets for every address ``host`` resolves to."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    sockets: list[socket.socket] = []
    seen: set[tuple[int, object]] = set()
    try:
        for family, kind, proto, _, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # One socket per family, as asyncio does: "::" must not also take IPv4.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    if not sockets:
        raise OSError(errno.EADDRNOTAVAIL, f"{host}: no address to listen on")
    return sockets


class ProxyServer:
    """Accepts connections and serves each with the runtime current at accept time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.draining = asyncio.Event()
        self._sessions: dict[Session, asyncio.Task[None]] = {}
        self._listeners: list[socket.socket] = []
        self._sweeper: asyncio.Task[None] | None = None
        self._refused = 0
        self._spare: int | None = None
        self._exhausted_refused = 0
        """Clients refused for want of descriptors since the last log line about it."""
        self._exhausted_logged_at: float | None = None
        self._attaching: set[asyncio.Future[None]] = set()
        """Accepted sockets being handed to the event loop (held so they are not collected)."""

    @property
    def address(self) -> tuple[str, int]:
        assert self._listeners
        sockname = self._listeners[0].getsockname()
        return sockname[0], sockname[1]

    @property
    def connections(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        host, port = parse_listen(self.runtime.config.listen)
        ensure_descriptor_limit(self.runtime.config.limits.max_connections)
        self._listeners = await _bind(host, port)
        self._spare = _reserve_descriptor()
        loop = asyncio.get_running_loop()
        for sock in self._listeners:
            loop.add_reader(sock.fileno(), self._on_acceptable, sock)
        self._sweeper = asyncio.ensure_future(self._sweep_pools())

    def _close_listeners(self) -> None:
        loop = asyncio.get_running_loop()
        for sock in self._listeners:
            loop.remove_reader(sock.fileno())
            sock.close()
        self._listeners = []
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None

    # -- accepting ----------------------------------------------------------------------------

    def _on_acceptable(self, listener: socket.socket) -> None:
        """The listener has clients waiting: accept up to :data:`ACCEPT_BATCH` of them."""
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in OUT_OF_DESCRIPTORS:
                    self._out_of_descriptors(listener, exc)
                    return
                if exc.errno in (errno.ECONNABORTED, errno.EPROTO, errno.EPERM):
                    # The client gave up while queued, or a firewall said no: not ours.
                    continue
                log.error("accept failed: %s", exc.strerror or exc)
                return
            self._attach(conn)

    def _attach(self, conn: socket.socket) -> None:
        """Hand an accepted socket to the event loop and serve it (``_accept``) in a task."""
        loop = asyncio.get_running_loop()
        conn.setblocking(False)
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        async def connect() -> None:
            try:
                transport, protocol = await loop.connect_accepted_socket(PeerProtocol, conn)
            except OSError as exc:
                conn.close()
                log.warning("cannot serve an accepted connection: %s", exc.strerror or exc)
                return
            await self._accept(transport, protocol)

        task = asyncio.ensure_future(connect())
        self._attaching.add(task)
        task.add_done_callback(self._attaching.discard)

    def _out_of_descriptors(self, listener: socket.socket, exc: OSError) -> None:
        """``accept()`` found no descriptor: log it, and refuse one waiting client with 503
        using the reserve descriptor; with no reserve either, leave the listener alone for
        :data:`ACCEPT_PAUSE` seconds."""
        refused = self._refuse_with_reserve(listener)
        if refused:
            self._exhausted_refused += 1
        now = time.monotonic()
        last = self._exhausted_logged_at
        if last is None or now - last >= EXHAUSTED_LOG_INTERVAL:
            self._exhausted_logged_at = now
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            log.error(
                "out of file descriptors (%s; limit %d, %d client connections open): new "
                "clients get 503 until some close; %d refused with 503 since the last report",
                errno.errorcode.get(exc.errno or 0, "?"),
                soft,
                len(self._sessions),
                self._exhausted_refused,
            )
            self._exhausted_refused = 0
        if not refused:
            loop = asyncio.get_running_loop()
            fd = listener.fileno()
            loop.remove_reader(fd)

            def resume() -> None:
                if listener in self._listeners:
                    loop.add_reader(fd, self._on_acceptable, listener)

            loop.call_later(ACCEPT_PAUSE, resume)

    def _refuse_with_reserve(self, listener: socket.socket) -> bool:
        """Give up the reserve descriptor, accept one client, answer 503, close, take the
        reserve back. True when a client was refused this way."""
        if self._spare is None:
            self._spare = _reserve_descriptor()
            if self._spare is None:
                return False
        os.close(self._spare)
        self._spare = None
        try:
            conn, _ = listener.accept()
        except OSError:
            conn = None
        if conn is not None:
            with conn, contextlib.suppress(OSError):
                conn.setblocking(False)
                # A few hundred bytes: the socket's send buffer takes them at once.
                conn.send(OUT_OF_DESCRIPTORS_REFUSAL)
                conn.shutdown(socket.SHUT_WR)
                # Read what the request already delivered, so the close is a FIN and
                # not a reset that could destroy the answer before the client reads it.
                for _ in range(16):
                    if not conn.recv(65536):
                        break
        self._spare = _reserve_descriptor()
        return conn is not None

    async def _sweep_pools(self) -> None:
        while True:
            await asyncio.sleep(5)
            self.runtime.pool.sweep()

    async def _accept(self, transport: asyncio.Transport, protocol: PeerProtocol) -> None:
        runtime = self.runtime
        lim = runtime.config.limits
        client = Peer(transport, protocol, write_timeout=lim.read_timeout)
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
        except Exception as exc:
            # Where it failed, not what it said: an exception's text can quote request bytes
            # (DESIGN invariant 9), its frames cannot.
            log.error(
                "connection failed: %s\n%s",
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
            )
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
        self._close_listeners()
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
    counters = Counters()
    try:
        runtime = build_runtime(config, counters)
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
    if runtime.ca is not None:
        log.info("CA certificate: %s", runtime.ca.cert_path)
        published = daemon.publish_ca_cert(runtime.ca.cert_pem)
        if published is not None:
            log.info("CA certificate published for local clients: %s", published)
    daemon.publish_state(config, (host, port))
    # logged once the state is published: whoever waits for this line may read daemon.json
    log.info("listening on %s:%d (%s)", host, port, mode)
    metrics = None
    if config.metrics_listen is not None:

        def report() -> StatusReport:
            status = server.runtime.status
            assert status is not None
            return status

        metrics = await start_metrics(report, config.metrics_listen)
        if metrics is None:
            await server.stop()
            return 1
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
            new_runtime = build_runtime(new_config, counters)
            server.reload(new_runtime)
            setup_logging(new_config.log_level, new_config.log_format)
            if new_runtime.ca is not None:
                daemon.publish_ca_cert(new_runtime.ca.cert_pem)
            daemon.publish_state(new_config, (host, port))
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
        if metrics is not None:
            metrics.close()
        await server.stop()
    return 0
