"""CONNECT and proxy-level requests: target parsing and proxy authentication.

Authentication is HTTP Basic against a file of ``user:password`` lines that must not be
readable by other users. Credentials are compared in constant time against every entry, so
neither a user name nor a password prefix can be found by timing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from proxy.errors import ClientError
from proxy.policy import normalize_host


def parse_connect_target(target: bytes) -> tuple[str, int]:
    """``host:port`` (IPv6 as ``[addr]:port``) of a CONNECT request, validated."""
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
        raise ClientError(f"CONNECT target {text!r}: expected host:port")
    if any(c in host for c in "/@ \t"):
        raise ClientError(f"CONNECT target {text!r}: bad host")
    return normalize_host(host), int(port_text)


def parse_absolute_target(target: bytes) -> tuple[str, str, int, bytes]:
    """``http://host[:port]/path?q`` to (scheme, host, port, origin-form target)."""
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
        raise ClientError(f"bad port in {text!r}") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, normalize_host(parts.hostname), port, path.encode("ascii")


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
