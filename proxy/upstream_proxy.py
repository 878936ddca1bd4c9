"""maskproxy's own upstream connections through a corporate HTTP proxy (``--upstream-proxy``).

Where a network lets nothing out but through its proxy, every connection maskproxy opens
(to an intercepted upstream, for a blind tunnel, for a plain-HTTP forward) goes to that proxy
first: ``CONNECT host:port``, with ``Proxy-Authorization: Basic`` from
``--upstream-proxy-auth-file`` when given, then TLS to the real host inside the tunnel, still
verified against the real host's name. The credentials come from a file (mode 0600, one
``user:password`` line), never from the URL, and no message names them. Every failure
becomes an :class:`~proxy.errors.UpstreamError` (502, 504 on a timeout) whose message names
the upstream proxy, so that a user can tell its refusal from the real upstream's.
"""

from __future__ import annotations

import base64
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from proxy.errors import UpstreamError
from proxy.streams import Peer, connect
from tls.statedir import LooseModeError, read_private_file

log = logging.getLogger("maskproxy.upstream_proxy")

MAX_RESPONSE_HEAD = 16 * 1024


class UpstreamProxyError(Exception):
    """``--upstream-proxy`` or its auth file cannot be used; the message says why."""


@dataclass(frozen=True)
class UpstreamProxy:
    """An HTTP proxy to CONNECT through, with the ``Proxy-Authorization`` value to send."""

    host: str
    port: int
    authorization: bytes | None = None

    @property
    def label(self) -> str:
        """``http://host:port``: how messages name it (never with credentials)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __repr__(self) -> str:
        auth = ", with credentials" if self.authorization else ""
        return f"UpstreamProxy({self.label}{auth})"

    async def open(
        self,
        host: str,
        port: int,
        *,
        tls: ssl.SSLContext | None,
        server_hostname: str,
        timeout: float,
        write_timeout: float,
    ) -> Peer:
        """A connection to ``host:port`` through this proxy, TLS-wrapped with ``tls``.

        The caller bounds the whole in time. TLS errors inside the tunnel are raised as they
        are (the caller maps them, as for a direct connection); failures to reach or use the
        proxy raise :class:`UpstreamError`.
        """
        target = connect_target(host, port)
        try:
            peer = await connect(self.host, self.port, write_timeout=write_timeout)
        except OSError as exc:
            raise UpstreamError(
                f"upstream proxy {self.label}: cannot connect: {exc.strerror or exc}"
            ) from None
        try:
            await peer.write(connect_request(target, self.authorization))
            status = await _read_status(peer, self.label)
            log.debug("upstream proxy %s: CONNECT %s -> %d", self.label, target, status)
            if not 200 <= status < 300:
                raise _refusal(self.label, target, status, self.authorization is not None)
            if tls is not None:
                await peer.start_tls(
                    tls, server_side=False, server_hostname=server_hostname, timeout=timeout
                )
        except BaseException as exc:
            peer.abort()
            if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError):
                raise UpstreamError(
                    f"upstream proxy {self.label}: connection failed during CONNECT {target}: "
                    f"{exc.strerror or type(exc).__name__}"
                ) from None
            raise
        return peer


def connect_target(host: str, port: int) -> str:
    """The authority a CONNECT names: ``host:port``, an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def connect_request(target: str, authorization: bytes | None) -> bytes:
    """The whole CONNECT request head for ``target`` (:func:`connect_target`), with a
    ``Proxy-Authorization`` value when there is one."""
    head = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n".encode("ascii")
    if authorization is not None:
        head += b"Proxy-Authorization: " + authorization + b"\r\n"
    return head + b"\r\n"


async def _read_status(peer: Peer, label: str) -> int:
    """The status of the proxy's answer to CONNECT; its head is consumed (a body is not
    expected on a 2xx; on anything else the connection is dropped)."""
    received = b""
    while (end := received.find(b"\r\n\r\n")) < 0:
        if len(received) > MAX_RESPONSE_HEAD:
            raise UpstreamError(f"upstream proxy {label}: response head too large")
        data = await peer.read(None)
        if not data:
            raise UpstreamError(f"upstream proxy {label}: closed the connection after CONNECT")
        received += data
    head = received[: end + 4]
    # Anything after the head belongs to the tunnel.
    peer.protocol.unread(received[end + 4 :])
    if len(head) > MAX_RESPONSE_HEAD:
        raise UpstreamError(f"upstream proxy {label}: response head too large")
    parts = head.split(b"\r\n", 1)[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise UpstreamError(f"upstream proxy {label}: not an HTTP proxy answer to CONNECT")
    return int(parts[1])


def _refusal(label: str, target: str, status: int, sent_auth: bool) -> UpstreamError:
    if status == 407:
        if sent_auth:
            what = "refused the credentials of --upstream-proxy-auth-file (407)"
        else:
            what = "requires authentication (407): give --upstream-proxy-auth-file"
        return UpstreamError(f"upstream proxy {label} {what}")
    status_out = 504 if status == 504 else 502
    return UpstreamError(
        f"upstream proxy {label} answered {status} to CONNECT {target}", status=status_out
    )


def parse_upstream_proxy_url(url: str) -> tuple[str, int]:
    """``http://host[:port]`` to (host, port); port 3128 when absent (Squid's)."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise UpstreamProxyError(
            f"upstream-proxy {_redacted(url)}: must be an http:// URL (the proxy is spoken to "
            "in plain HTTP; TLS to the real host runs inside its tunnel)"
        )
    if parts.username is not None or parts.password is not None:
        raise UpstreamProxyError(
            f"upstream-proxy {_redacted(url)}: credentials do not belong in the URL (it is "
            "logged and shown by ps); put user:password in a file and give "
            "--upstream-proxy-auth-file"
        )
    if not parts.hostname:
        raise UpstreamProxyError(f"upstream-proxy {url}: no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UpstreamProxyError(f"upstream-proxy {url}: no path, query or fragment allowed")
    try:
        port = parts.port or 3128
    except ValueError:
        raise UpstreamProxyError(f"upstream-proxy {url}: bad port") from None
    return parts.hostname, port


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


def read_auth_file(path: Path) -> bytes:
    """The ``Proxy-Authorization`` value for the ``user:password`` line of ``path`` (0600)."""
    try:
        raw = read_private_file(path)
    except LooseModeError:
        raise UpstreamProxyError(
            f"upstream-proxy-auth-file {path}: readable or writable by its group or other "
            f"users; run chmod 600 {path}"
        ) from None
    except OSError as exc:
        raise UpstreamProxyError(
            f"upstream-proxy-auth-file {path}: {exc.strerror or exc}"
        ) from None
    lines = [
        line.strip()
        for line in raw.splitlines()
        if line.strip() and not line.strip().startswith(b"#")
    ]
    if len(lines) != 1 or b":" not in lines[0] or lines[0].startswith(b":"):
        raise UpstreamProxyError(
            f"upstream-proxy-auth-file {path}: expected one user:password line"
        )
    return b"Basic " + base64.b64encode(lines[0])


def load_upstream_proxy(url: str | None, auth_file: Path | None) -> UpstreamProxy | None:
    """The configured upstream proxy, or None; raises :class:`UpstreamProxyError`."""
    if url is None:
        if auth_file is not None:
            raise UpstreamProxyError("upstream-proxy-auth-file given without --upstream-proxy")
        return None
    host, port = parse_upstream_proxy_url(url)
    authorization = read_auth_file(auth_file) if auth_file is not None else None
    return UpstreamProxy(host, port, authorization)
