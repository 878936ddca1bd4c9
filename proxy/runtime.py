"""Everything a connection needs, built from one configuration and shared read-only.

A SIGHUP reload builds a new :class:`Runtime`; connections that are already open keep the one
they started with, so a reload never changes the rules in the middle of a connection.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization

from proxy.accesslog import ExchangeRecord
from proxy.config import ProxyConfig
from proxy.connect import AuthFileError, ProxyAuth
from proxy.exchange import Driver, UpstreamPoolLike
from proxy.pipeline import Pipeline
from proxy.pipeline_factory import PipelineError, build_pipeline
from proxy.policy import InterceptPolicy
from proxy.routes import Router
from proxy.status import Counters, StatusReport
from proxy.upstream import Origin
from proxy.upstream_pool import UpstreamPool
from proxy.upstream_proxy import UpstreamProxy, UpstreamProxyError, load_upstream_proxy
from tls import CAError, CertificateAuthority, LeafCertCache, alpn_protocols, upstream_context

# Idle pooled upstream connections are dropped after this many seconds at most, below common
# server keep-alive timeouts (nginx: 75 s), so a reused connection is rarely closed under us.
UPSTREAM_IDLE_MAX = 50.0


MAX_SHARED_DRIVERS = 1024
"""Shared drivers kept per configuration at most (one per intercepted host and port seen)."""


class StartupError(Exception):
    """The configuration is valid but cannot be put to work (CA, auth file, CA file)."""


@dataclass
class Runtime:
    """The CA, leaf cache, pipeline, policy, auth and upstream pool of one configuration."""

    config: ProxyConfig
    pipeline: Pipeline
    policy: InterceptPolicy
    auth: ProxyAuth | None
    ca: CertificateAuthority | None
    leaves: LeafCertCache | None
    pool: UpstreamPool
    upstream_tls: ssl.SSLContext
    gateway: Origin | None
    gateway_base: bytes
    status: StatusReport | None = None
    """What the status canary and the metrics report (counters kept across reloads)."""
    on_exchange: Callable[[ExchangeRecord], None] | None = None
    """Told of every finished exchange (its record: counts, never values)."""
    _drivers: dict[object, Driver] = field(default_factory=dict, init=False, repr=False)

    def driver(
        self,
        key: object,
        router: Callable[[], Router],
        pool: Callable[[], UpstreamPoolLike] | None = None,
    ) -> Driver:
        """The exchange driver for the connections that route alike (``key``: the kind of
        connection, or the intercepted host and port), made once per configuration and shared
        by those connections, so an idle connection does not hold one of its own. ``pool``
        makes the pool it takes upstream exchanges from, when not :attr:`pool` itself."""
        driver = self._drivers.get(key)
        if driver is None:
            if len(self._drivers) >= MAX_SHARED_DRIVERS:
                self._drivers.clear()
            driver = Driver(
                self.config.limits,
                router(),
                self.pipeline,
                pool() if pool is not None else self.pool,
                on_exchange=self.on_exchange,
                status=self.status,
            )
            self._drivers[key] = driver
        return driver


def load_auth(config: ProxyConfig) -> ProxyAuth | None:
    if config.auth_file is None:
        return None
    try:
        return ProxyAuth.load(config.auth_file)
    except AuthFileError as exc:
        raise StartupError(f"auth-file: {exc}") from None


def load_via(config: ProxyConfig) -> UpstreamProxy | None:
    """The ``--upstream-proxy`` every upstream connection goes through, or None."""
    try:
        return load_upstream_proxy(config.upstream_proxy, config.upstream_proxy_auth_file)
    except UpstreamProxyError as exc:
        raise StartupError(str(exc)) from None


def make_upstream_context(config: ProxyConfig) -> ssl.SSLContext:
    """Verified client context: system store plus every ``--upstream-ca`` file."""
    cas = config.upstream_ca
    try:
        ctx = upstream_context(cas[0] if cas else None, alpn=alpn_protocols(config.http2))
        for extra in cas[1:]:
            ctx.load_verify_locations(cafile=str(extra))
    except (OSError, ssl.SSLError) as exc:
        raise StartupError(f"upstream-ca: cannot load: {exc}") from None
    return ctx


def build_runtime(config: ProxyConfig, counters: Counters | None = None) -> Runtime:
    """Load or create the CA (forward mode), the pipeline and the rest; raise StartupError.

    ``counters`` are the process's exchange counters (a reload passes the running ones on)."""
    auth = load_auth(config)
    tls = make_upstream_context(config)
    gateway = None
    base = b""
    ca = None
    leaves = None
    if config.gateway_origin is not None:
        scheme, host, port, path = config.gateway_origin
        gateway = Origin(scheme, host, port)
        base = path.encode("ascii")
    else:
        try:
            ca = CertificateAuthority.load_or_create(config.state_dir, config.intercept)
        except CAError as exc:
            raise StartupError(f"CA in {config.state_dir}: {exc}") from None
        leaves = LeafCertCache(ca, alpn=alpn_protocols(config.http2))
    lim = config.limits
    pool = UpstreamPool(
        tls,
        config.connect_to,
        connect_timeout=lim.connect_timeout,
        write_timeout=lim.read_timeout,
        read_timeout=lim.read_timeout,
        idle_timeout=min(lim.idle_timeout, UPSTREAM_IDLE_MAX),
        # As many idle upstream connections as clients may keep busy, so that concurrent
        # keep-alive clients do not churn new upstream TLS handshakes.
        max_idle_per_origin=min(lim.max_connections, 256),
        upstream_proxy=load_via(config),
    )
    try:
        pipeline = build_pipeline(config)
    except PipelineError as exc:
        raise StartupError(str(exc)) from None
    counters = counters if counters is not None else Counters()
    intercept = (gateway.host,) if gateway is not None else config.intercept
    status = StatusReport(
        counters,
        intercept,
        ca.cert.public_bytes(serialization.Encoding.DER) if ca is not None else None,
    )
    return Runtime(
        config=config,
        pipeline=pipeline,
        policy=InterceptPolicy(config.intercept, block_others=config.block_others),
        auth=auth,
        ca=ca,
        leaves=leaves,
        pool=pool,
        upstream_tls=tls,
        gateway=gateway,
        gateway_base=base,
        status=status,
        on_exchange=counters.record,
    )
