"""Host names as the CA sees them: normalisation, intercept patterns, dNSName subtrees.

The CA certificate carries X.509 name constraints (RFC 5280, section 4.2.1.10). A permitted
dNSName subtree ``example.com`` admits ``example.com`` itself and every name made by adding
labels on the left (``api.example.com``, ``a.b.example.com``), but not ``badexample.com``.
Verifiers (OpenSSL, BoringSSL, Go, NSS) compare labels case-insensitively. This module
implements the same rule, so that :meth:`tls.ca.CertificateAuthority.permits` agrees with
what a client will accept, and maps the intercept list onto the subtrees the CA must permit.

Only ASCII names are handled: an internationalised name must be written in its ``xn--``
A-label form, which is what appears on the wire in SNI and in certificates.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

__all__ = [
    "is_ip_literal",
    "name_in_subtree",
    "normalize_hostname",
    "permitted_subtrees",
    "subtree_for_pattern",
]

# Letters, digits and hyphens, not starting or ending with a hyphen, 1 to 63 characters.
# Underscores are admitted too: they occur in real internal host names, and every verifier
# used here matches them literally.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_MAX_NAME_LENGTH = 253


def is_ip_literal(name: str) -> bool:
    """Tell whether ``name`` is an IPv4 or IPv6 address literal (brackets allowed)."""
    candidate = name.strip()
    if candidate.startswith("[") and candidate.endswith("]"):
        candidate = candidate[1:-1]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def normalize_hostname(name: str) -> str:
    """Return ``name`` as a canonical DNS host name: lower case, no trailing dot.

    Raises :class:`ValueError` for anything that cannot appear as a dNSName in a server
    certificate: an empty name, an IP address literal, a wildcard, a port, a non-ASCII
    name, a label that is empty or longer than 63 characters, or a name whose last label is
    all digits (resolvers and URL parsers treat those as IPv4 addresses).
    """
    if not isinstance(name, str):
        raise ValueError(f"host name must be a string, not {type(name).__name__}")
    if is_ip_literal(name):
        raise ValueError(f"{name!r} is an IP address, not a host name")
    candidate = name.lower()
    # One trailing dot is the fully qualified spelling of the same name.
    if candidate.endswith("."):
        candidate = candidate[:-1]
    if not candidate:
        raise ValueError("empty host name")
    if not candidate.isascii():
        raise ValueError(f"{name!r} is not ASCII; write it in its xn-- (A-label) form")
    if len(candidate) > _MAX_NAME_LENGTH:
        raise ValueError(f"host name {name!r} is longer than {_MAX_NAME_LENGTH} characters")
    labels = candidate.split(".")
    for label in labels:
        if not _LABEL.fullmatch(label):
            raise ValueError(f"{name!r} is not a valid host name (bad label {label!r})")
    if labels[-1].isdigit():
        raise ValueError(f"{name!r} is not a valid host name (numeric last label)")
    return candidate


def subtree_for_pattern(pattern: str) -> str:
    """Return the dNSName subtree a CA must permit to intercept ``pattern``.

    ``api.example.com`` maps to itself; the glob ``*.corp.example.com`` maps to
    ``corp.example.com``. dNSName constraints have no way to say "subdomains only", so the
    subtree for a glob also admits the bare ``corp.example.com``. Any other use of ``*``, an
    IP address, a URL or a port raises :class:`ValueError`, because no name constraint can
    express it (and the CA deliberately cannot sign for IP addresses).
    """
    text = pattern.strip() if isinstance(pattern, str) else pattern
    if not isinstance(text, str) or not text:
        raise ValueError(f"empty intercept pattern {pattern!r}")
    if text.startswith("*."):
        base = text[2:]
        if "*" in base:
            raise ValueError(
                f"intercept pattern {pattern!r}: only a leading '*.' wildcard is supported"
            )
        try:
            return normalize_hostname(base)
        except ValueError as exc:
            raise ValueError(f"intercept pattern {pattern!r}: {exc}") from None
    if "*" in text:
        raise ValueError(
            f"intercept pattern {pattern!r}: only a leading '*.' wildcard is supported "
            "(the CA's name constraints must name the domains it may sign for)"
        )
    try:
        return normalize_hostname(text)
    except ValueError as exc:
        raise ValueError(f"intercept pattern {pattern!r}: {exc}") from None


def name_in_subtree(name: str, subtree: str) -> bool:
    """Apply the RFC 5280 dNSName rule to two already normalised names.

    True when ``name`` equals ``subtree`` or ends with ``"." + subtree``.
    """
    return name == subtree or name.endswith("." + subtree)


def permitted_subtrees(patterns: Iterable[str]) -> tuple[str, ...]:
    """Map intercept patterns onto the smallest sorted set of dNSName subtrees covering them.

    A subtree already inside another one is dropped (``api.example.com`` under
    ``*.example.com``), so the CA lists each domain once. Raises :class:`ValueError` for
    an invalid pattern or an empty list: a CA without permitted subtrees would be
    unconstrained.
    """
    if isinstance(patterns, str):
        # A bare string would otherwise be iterated character by character.
        patterns = [patterns]
    subtrees = {subtree_for_pattern(p) for p in patterns}
    if not subtrees:
        raise ValueError("the intercept list is empty; the CA needs at least one domain")
    minimal = [
        s
        for s in subtrees
        if not any(other != s and name_in_subtree(s, other) for other in subtrees)
    ]
    return tuple(sorted(minimal))
