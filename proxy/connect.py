"""CONNECT and proxy-level requests: target parsing, proxy authentication, and the check that
keeps clients of a proxy listening off loopback away from the host's own services.

Authentication is HTTP Basic against a file of ``user:password`` lines that must not be
readable by other users. Credentials are compared in constant time against every entry, so
neither a user name nor a password prefix can be found by timing.

Off loopback, a blind tunnel or a plain-HTTP forward would let any authenticated client reach
services that listen only on the host's loopback or link-local addresses (a database on
127.0.0.1, a cloud metadata service on 169.254.169.254). :func:`checked_address` resolves the
target and refuses such addresses, whatever name led there; the caller then dials the address
that was checked, so a second DNS answer cannot differ from the first.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import ipaddress
import os
import socket
import stat
from pathlib import Path
from urllib.parse import urlsplit

from proxy.errors import ClientError, UpstreamError
from proxy.policy import normalize_host


def parse_connect_target(target: bytes) -> tuple[str, int]:
    """``host:port`` (IPv6 as ``[addr]:port``) of a CONNECT request, validated.

    Error messages do not quote the target: it is part of the request line, which the log and
    the client's error never repeat (DESIGN invariant 9)."""
    try:
        text = target.decode("ascii")
    except UnicodeDecodeError:
        raise ClientError("CONNECT target is not ASCII") from None
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        ok = bool(sep and port_text)
    else:
        host, sep, port_text = text.rpartition(":")
        ok = bool(sep and host) and ":" not in host
    if not ok or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ClientError("CONNECT target: expected host:port")
    if any(c in host for c in "/@ \t"):
        raise ClientError("CONNECT target: bad host")
    return normalize_host(host), int(port_text)


def parse_absolute_target(target: bytes) -> tuple[str, str, int, bytes]:
    """``http://host[:port]/path?q`` to (scheme, host, port, origin-form target).

    Error messages do not quote the URL: it may carry credentials or values in its path."""
    try:
        text = target.decode("ascii")
    except UnicodeDecodeError:
        raise ClientError("request target is not ASCII") from None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientError(
            "this is a proxy: send CONNECT host:port or an absolute http:// URL "
            "(or run with --gateway)"
        )
    if parts.username is not None:
        raise ClientError("credentials in the request URL are not forwarded")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ClientError("bad port in the request URL") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, normalize_host(parts.hostname), port, path.encode("ascii")


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_local_address(address: IPAddress) -> bool:
    """True for addresses that reach the host itself or its local link: loopback
    (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10), and the unspecified address
    (connecting to 0.0.0.0 or :: reaches the host). IPv4-mapped IPv6 counts as its IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_link_local or address.is_unspecified


def _parse_address(text: str) -> IPAddress:
    # A link-local IPv6 answer carries its zone ("fe80::1%eth0"); the zone is not the address.
    return ipaddress.ip_address(text.partition("%")[0])


class LocalTargetRefused(ClientError):
    """A tunnel or forward to the host's own loopback or link-local services, off loopback."""

    def __init__(self, host: str, port: int, address: IPAddress) -> None:
        where = f"{host}:{port}" if str(address) == host else f"{host}:{port} ({address})"
        super().__init__(
            f"{where}: loopback and link-local targets are refused on a proxy listening off "
            "loopback (allow_local_targets)",
            status=403,
        )


async def checked_address(host: str, port: int, timeout: float) -> str:
    """The address to dial for ``host``, after checking that no address it resolves to is
    local (:func:`is_local_address`); raise :class:`LocalTargetRefused` if one is, or an
    :class:`~proxy.errors.UpstreamError` when the name does not resolve.

    One local address among several refuses the name: whoever controls its DNS could have
    the next lookup, or the next client's, answer with it. The lookup gets ``timeout``
    seconds (``--connect-timeout``, which bounds it when the dial resolves a name itself).
    """
    try:
        literal: IPAddress | None = _parse_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        if is_local_address(literal):
            raise LocalTargetRefused(host, port, literal)
        return str(literal)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise UpstreamError(
            f"upstream {host}:{port}: DNS lookup timed out after {timeout:g} s", status=504
        ) from None
    except socket.gaierror as exc:
        raise UpstreamError(f"upstream {host}:{port}: DNS lookup failed: {exc.strerror}") from None
    addresses = [str(info[4][0]) for info in infos]
    for text in addresses:
        address = _parse_address(text)
        if is_local_address(address):
            raise LocalTargetRefused(host, port, address)
    if not addresses:
        raise UpstreamError(f"upstream {host}:{port}: DNS lookup found no address")
    return addresses[0]


class AuthFileError(Exception):
    """The auth file cannot be used (unreadable, readable by others, or empty)."""


def _digest(user: bytes, password: bytes) -> bytes:
    # Fixed-length digests so compare_digest does not leak the length of a stored entry.
    return hashlib.sha256(user + b"\0" + password).digest()


class ProxyAuth:
    """Basic proxy credentials from a file of ``user:password`` lines ('#' starts a comment)."""

    def __init__(self, entries: list[tuple[bytes, bytes]]) -> None:
        if not entries:
            raise AuthFileError("no user:password entries")
        self._digests = [_digest(u, p) for u, p in entries]

    @classmethod
    def load(cls, path: Path) -> ProxyAuth:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise AuthFileError(f"{path}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise AuthFileError(
                    f"{path}: readable or writable by its group or other users; "
                    f"run chmod 600 {path}"
                )
            raw = fh.read()
        entries = []
        for lineno, line in enumerate(raw.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith(b"#"):
                continue
            user, sep, password = line.partition(b":")
            if not sep or not user or not password:
                raise AuthFileError(f"{path}:{lineno}: expected user:password")
            entries.append((user, password))
        try:
            return cls(entries)
        except AuthFileError as exc:
            raise AuthFileError(f"{path}: {exc}") from None

    def check(self, header: bytes | None) -> bool:
        """True when a ``Proxy-Authorization`` value carries valid Basic credentials."""
        if not header:
            return False
        scheme, _, encoded = header.strip().partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, password = decoded.partition(b":")
        if not sep:
            return False
        given = _digest(user, password)
        ok = False
        for digest in self._digests:
            # No early exit: every entry is compared whatever the outcome.
            ok |= hmac.compare_digest(given, digest)
        return ok
