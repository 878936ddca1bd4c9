"""SSL contexts: the hardened server side of an intercepted connection, the verified upstream.

Server side: Mozilla's "intermediate" configuration (ssl-config.mozilla.org, version 5):
TLS 1.2 and 1.3 only, forward-secret AEAD suites only, key exchange groups X25519, P-256 and
P-384, no compression, no session tickets. Python's default server context is looser (it
still offers two AES-CBC suites in TLS 1.2 and the X448 and P-521 groups).

Upstream side: always verified against the system trust store (plus an extra CA file when
the user names one), with host name checking. Nothing here can turn verification off.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "SERVER_GROUPS",
    "TLS12_CIPHERS",
    "alpn_protocols",
    "harden_server_context",
    "upstream_context",
]

TLS12_CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ]
)
"""TLS 1.2 suites: Mozilla intermediate without its DHE suites (ECDHE only). TLS 1.3
suites are not configurable through :mod:`ssl`; OpenSSL's defaults are all AEAD."""

SERVER_GROUPS = ("X25519", "prime256v1", "secp384r1")
"""Key exchange groups offered when the interpreter can set a list (``set_groups``)."""

_SINGLE_GROUP = "prime256v1"
"""The one group used when only ``set_ecdh_curve`` exists (Python < 3.15). P-256 is the group
every TLS 1.3 implementation must support (RFC 8446, 9.1), so no client is refused; a client
whose first key share is X25519 gets one HelloRetryRequest round trip."""


def alpn_protocols(allow_h2: bool = False) -> list[str]:
    """The ALPN protocols the proxy offers, most preferred first.

    This is the one place where they are chosen, for the client-facing leaf contexts and the
    upstream context alike. Each side negotiates on its own (the proxy translates between
    HTTP/1.1 and HTTP/2), so ``allow_h2`` is the ``--http2`` switch for both.
    """
    return ["h2", "http/1.1"] if allow_h2 else ["http/1.1"]


def harden_server_context(ctx: ssl.SSLContext) -> None:
    """Restrict a server-side context to Mozilla's "intermediate" configuration, in place.

    TLS 1.2 minimum; TLS 1.2 suites ECDHE with AES-GCM or ChaCha20-Poly1305 only (no CBC,
    no RSA key exchange, no DHE); groups X25519, P-256, P-384 where the interpreter can set a
    list, else P-256 alone; no compression, no renegotiation, no session tickets. The
    client's cipher order is honoured, as Mozilla recommends (all suites offered are strong,
    and a client without AES hardware may prefer ChaCha20).
    """
    if ctx.protocol != ssl.PROTOCOL_TLS_SERVER:
        raise ValueError("harden_server_context expects a PROTOCOL_TLS_SERVER context")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(TLS12_CIPHERS)
    set_groups = getattr(ctx, "set_groups", None)
    if set_groups is not None:
        set_groups(":".join(SERVER_GROUPS))
    else:
        ctx.set_ecdh_curve(_SINGLE_GROUP)
    ctx.options |= (
        ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION | ssl.OP_SINGLE_ECDH_USE | ssl.OP_NO_TICKET
    )
    ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    # Tickets would outlive the connection and weaken forward secrecy (Mozilla disables
    # them); the proxy's clients keep connections alive, so resumption buys little.
    ctx.num_tickets = 0


def upstream_context(extra_ca: Path | None, alpn: Sequence[str] = ("http/1.1",)) -> ssl.SSLContext:
    """A client context for the real upstream: verified, host name checked, TLS 1.2+.

    Trusts the system store (:func:`ssl.create_default_context`) plus the PEM certificates
    in ``extra_ca`` when given (a corporate CA, for instance). Verification is always on;
    pass the host name as ``server_hostname`` when wrapping. Raises :class:`OSError` if
    ``extra_ca`` cannot be read and :class:`ssl.SSLError` if it holds no usable certificate.
    """
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if extra_ca is not None:
        ctx.load_verify_locations(cafile=str(extra_ca))
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx
