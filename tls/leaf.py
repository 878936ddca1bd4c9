"""Leaf certificates for intercepted hosts, minted on demand and cached as SSL contexts.

One ECDSA P-256 key serves every leaf of a cache: signing a certificate is cheap, generating
and loading a key per host is not. Per host name the cache keeps a ready server-side
:class:`ssl.SSLContext` (hardened, ALPN set, certificate loaded), in a bounded LRU, so a
connection costs no certificate work once its name has been seen.

SNI: every cached context carries the same ``sni_callback``. A connection starts on the
context of the CONNECT host; when the client's SNI names another host, the callback moves
the connection onto that host's context (OpenSSL then presents its certificate). A name the
CA does not permit ends the handshake with an ``unrecognized_name`` alert, and nothing is
minted for it.
"""

from __future__ import annotations

import os
import secrets
import ssl
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .ca import CAError, CertificateAuthority
from .contexts import harden_server_context
from .names import normalize_hostname

__all__ = ["LeafCertCache", "served_hostname"]


class _LeafContext(ssl.SSLContext):
    """A server context bound to one host name, so a connection can tell which it served."""

    hostname: str


@dataclass
class _Entry:
    context: _LeafContext
    renew_after: datetime


def served_hostname(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> str | None:
    """The host name whose certificate a server-side connection presented.

    Call it after the handshake on the :class:`ssl.SSLObject` (asyncio: ``transport.
    get_extra_info("ssl_object")``) or :class:`ssl.SSLSocket`. It is the client's SNI name,
    or the ``default_host`` given to :meth:`LeafCertCache.server_context` when the client
    sent none. None for a connection that does not use a context from a
    :class:`LeafCertCache`.
    """
    context = ssl_object.context
    return context.hostname if isinstance(context, _LeafContext) else None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LeafCertCache:
    """Server-side SSL contexts for intercepted host names, one leaf certificate each.

    ``maxsize`` bounds the number of cached host contexts (least recently used ones are
    dropped; a connection already using one keeps it). ``alpn`` is the list the server
    selects from (see :func:`tls.contexts.alpn_protocols`). ``clock`` returns the current
    UTC time; it decides when a leaf is renewed. Thread-safe.
    """

    def __init__(
        self,
        ca: CertificateAuthority,
        *,
        maxsize: int = 512,
        alpn: Sequence[str] = ("http/1.1",),
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._ca = ca
        self._maxsize = maxsize
        self._alpn = list(alpn)
        self._clock = clock
        self._key = ec.generate_private_key(ec.SECP256R1())
        # ssl can load a key only from a file. The key is written, for the instant of the
        # load, encrypted under a random password that exists only in this process, so the
        # bytes on disk are useless to anyone else.
        self._key_password = secrets.token_bytes(32)
        self._key_pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._key_password),
        )
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def ca(self) -> CertificateAuthority:
        """The CA that signs this cache's leaves."""
        return self._ca

    @property
    def leaf_public_key(self) -> ec.EllipticCurvePublicKey:
        """The public key shared by every leaf of this cache."""
        return self._key.public_key()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, hostname: object) -> bool:
        if not isinstance(hostname, str):
            return False
        try:
            name = normalize_hostname(hostname)
        except ValueError:
            return False
        with self._lock:
            return name in self._entries

    def server_context(self, default_host: str) -> ssl.SSLContext:
        """The server-side context for a connection to ``default_host`` (the CONNECT host).

        It presents the leaf of the client's SNI name, or of ``default_host`` when the
        client sends no SNI; a non-permitted SNI name fails the handshake. The context is
        shared by every connection to the same name: use it as is, do not modify it.
        Raises :class:`ValueError` if ``default_host`` is an IP address, malformed, or not
        permitted by the CA, and :class:`tls.ca.CAError` if the CA has expired.
        """
        name = normalize_hostname(default_host)
        if not self._ca.permits(name):
            raise ValueError(
                f"{name} is not within the CA's permitted names "
                f"({', '.join(self._ca.permitted)}); it cannot be intercepted"
            )
        return self._context_for(name)

    def _context_for(self, name: str) -> _LeafContext:
        """The cached context for a normalised, permitted name; minted or renewed as needed."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None and now < entry.renew_after:
                self._entries.move_to_end(name)
                return entry.context
            # Minting under the lock keeps one context per name; it takes about a
            # millisecond and happens once per name per renewal period.
            entry = self._mint(name, now)
            self._entries[name] = entry
            self._entries.move_to_end(name)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
            return entry.context

    def _mint(self, name: str, now: datetime) -> _Entry:
        cert = self._ca.issue_leaf(name, self._key.public_key(), now=now)
        context = _LeafContext(ssl.PROTOCOL_TLS_SERVER)
        context.hostname = name
        harden_server_context(context)
        if self._alpn:
            context.set_alpn_protocols(self._alpn)
        # Only the leaf is sent: the CA is the client's trust anchor, and sending it too
        # would only lengthen every handshake.
        pem = cert.public_bytes(serialization.Encoding.PEM) + self._key_pem
        with tempfile.TemporaryDirectory(prefix="maskproxy-leaf-") as tmp:
            path = os.path.join(tmp, "leaf.pem")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
            context.load_cert_chain(path, password=self._key_password)
        context.sni_callback = self._on_sni
        # Renew at half-life, so a cached leaf always has days left when presented; a leaf
        # clipped by the CA's expiry renews sooner, halving the remaining time each round.
        issued = max(now, cert.not_valid_before_utc)
        renew_after = issued + (cert.not_valid_after_utc - issued) / 2
        return _Entry(context=context, renew_after=renew_after)

    def _on_sni(
        self,
        ssl_object: ssl.SSLObject | ssl.SSLSocket,
        server_name: str | None,
        initial: ssl.SSLContext,
    ) -> int | None:
        """Switch the connection to the context of its SNI name, or refuse the name.

        Runs inside the handshake. Returning None continues it; returning an alert
        description ends it with that fatal alert.
        """
        if server_name is None:
            return None  # no SNI: keep the default host's leaf
        try:
            name = normalize_hostname(server_name)
        except ValueError:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        if not self._ca.permits(name):
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        try:
            context = self._context_for(name)
        except (CAError, ValueError, OSError, ssl.SSLError):
            return ssl.ALERT_DESCRIPTION_INTERNAL_ERROR
        if context is not ssl_object.context:
            ssl_object.context = context
        return None
