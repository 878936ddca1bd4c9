"""Where a request goes: one router per kind of client connection.

- forward: the proxy's own listener, for absolute-form ``http://`` requests (CONNECT is handled
  before routing). Intercepted hosts go through the pipeline over plain HTTP, because the
  client asked for plain HTTP; the others are forwarded unchanged. Proxy auth applies.
- intercept: inside a terminated TLS tunnel; every request goes to the CONNECT host over
  verified TLS, through the pipeline.
- gateway: plain HTTP on the listener, every request to the ``--gateway`` upstream over
  verified TLS, through the pipeline, with Host rewritten to the upstream's.

Off loopback, forwards to hosts that are not intercepted go through :class:`LocalTargetGuard`,
which refuses the host's own loopback and link-local addresses before anything is dialled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from proxy.config import ConnectTo
from proxy.connect import ProxyAuth, checked_address, parse_absolute_target
from proxy.errors import ClientError
from proxy.pipeline import Headers
from proxy.policy import Decision, InterceptPolicy
from proxy.upstream import Origin, dial_address

if TYPE_CHECKING:
    from proxy.upstream import UpstreamExchange
    from proxy.upstream_pool import UpstreamPool


@dataclass(frozen=True)
class Route:
    """The decision for one request."""

    origin: Origin
    host: str
    """The host name the pipeline sees (:attr:`proxy.pipeline.RequestHead.host`)."""
    target: bytes
    """Origin-form request target sent upstream."""
    pipeline: bool
    """Run the exchange pipeline (intercepted) or forward unchanged."""
    rewrite_host: bool
    """Set Host to the origin's authority (gateway and absolute-form requests)."""
    mode: str
    """For the log: ``intercept``, ``gateway``, ``http`` or ``http-intercept``."""


class RequestLine(Protocol):
    """What a router reads of a request: an ``h11.Request`` or an HTTP/2
    :class:`~proxy.h1h2.H2Request` (whose target is ``:path`` and whose headers carry
    ``:authority`` as ``host``)."""

    @property
    def target(self) -> bytes: ...

    @property
    def headers(self) -> Sequence[tuple[bytes, bytes]]: ...


Router = Callable[[RequestLine], Route]


def upstream_headers(headers: Headers, route: Route) -> Headers:
    """The request headers for the upstream: ``Host`` is the origin's authority when the route
    rewrites it (gateway, absolute-form) or when the client sent none."""
    if route.rewrite_host or not any(name == b"host" for name, _ in headers):
        out = [(n, v) for n, v in headers if n != b"host"]
        out.insert(0, (b"host", route.origin.authority.encode("ascii")))
        return out
    return headers


def _header(request: RequestLine, name: bytes) -> bytes | None:
    for key, value in request.headers:
        if key == name:
            return value
    return None


def check_proxy_auth(auth: ProxyAuth | None, request: RequestLine) -> None:
    """Raise a 407 unless auth is off or the request carries valid credentials."""
    if auth is not None and not auth.check(_header(request, b"proxy-authorization")):
        raise ClientError("proxy authentication required", status=407)


def forward_router(policy: InterceptPolicy, auth: ProxyAuth | None) -> Router:
    def route(request: RequestLine) -> Route:
        check_proxy_auth(auth, request)
        scheme, host, port, target = parse_absolute_target(request.target)
        decision = policy.decide(host)
        if decision is Decision.BLOCK:
            raise ClientError(f"{host} is not an intercepted host (--block-others)", status=403)
        intercepted = decision is Decision.INTERCEPT
        return Route(
            origin=Origin(scheme, host, port),
            host=host,
            target=target,
            pipeline=intercepted,
            rewrite_host=True,
            mode="http-intercept" if intercepted else "http",
        )

    return route


class LocalTargetGuard:
    """The upstream pool as a forward-proxy connection sees it off loopback: an origin that is
    not intercepted is resolved first (through ``--connect-to``) and refused with 403 when it
    is a loopback or link-local address (:func:`~proxy.connect.checked_address`).

    A plain-HTTP origin is then dialled at the address that was checked, so a name cannot
    resolve to a public address for the check and to 127.0.0.1 for the dial. An https://
    origin keeps its name, which its certificate is verified against; a local service that a
    second lookup might lead to sees a TLS hello, never the request.
    """

    def __init__(
        self, pool: UpstreamPool, policy: InterceptPolicy, connect_to: Sequence[ConnectTo]
    ) -> None:
        self.pool = pool
        self.policy = policy
        self.connect_to = tuple(connect_to)

    async def acquire(self, origin: Origin) -> UpstreamExchange:
        if self.policy.decide(origin.host) is Decision.INTERCEPT:
            return await self.pool.acquire(origin)
        host, port = dial_address(origin.host, origin.port, self.connect_to)
        address = await checked_address(host, port, self.pool.connect_timeout)
        if origin.scheme == "http":
            return await self.pool.acquire(Origin("http", address, port))
        return await self.pool.acquire(origin)


def _origin_form(request: RequestLine, origin: Origin) -> bytes:
    target = request.target
    if target.startswith(b"/"):
        return target
    if target[:7].lower() == b"http://" or target[:8].lower() == b"https://":
        # Absolute-form is legal on any connection; it must name the host we are talking to.
        _, host, _, path = parse_absolute_target(target)
        if host != origin.host:
            raise ClientError(f"request for {host} on a connection to {origin.host}")
        return path
    raise ClientError("request target must be a path")


def intercept_router(host: str, port: int) -> Router:
    origin = Origin("https", host, port)

    def route(request: RequestLine) -> Route:
        return Route(
            origin=origin,
            host=host,
            target=_origin_form(request, origin),
            pipeline=True,
            rewrite_host=False,
            mode="intercept",
        )

    return route


def gateway_router(origin: Origin, base_path: bytes, auth: ProxyAuth | None) -> Router:
    def route(request: RequestLine) -> Route:
        check_proxy_auth(auth, request)
        target = request.target
        if target[:7].lower() == b"http://" or target[:8].lower() == b"https://":
            target = parse_absolute_target(target)[3]
        if not target.startswith(b"/"):
            raise ClientError("request target must be a path")
        return Route(
            origin=origin,
            host=origin.host,
            target=base_path + target,
            pipeline=True,
            rewrite_host=True,
            mode="gateway",
        )

    return route
