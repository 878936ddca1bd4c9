"""Which hosts are intercepted: exact names and ``*.suffix`` patterns, nothing else.

``*.example.com`` matches ``a.example.com`` and ``a.b.example.com`` but not ``example.com``
itself (list both when both are wanted), which is also what the CA's name constraints permit.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class Decision(enum.Enum):
    """What to do with a CONNECT (or plain-HTTP request) for a host."""

    INTERCEPT = "intercept"
    TUNNEL = "tunnel"
    BLOCK = "block"


def normalize_host(host: str) -> str:
    """Lower-case, without a trailing dot or IPv6 brackets: the form patterns are matched in."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".")


def validate_pattern(pattern: str) -> None:
    """Raise ValueError for anything but ``name.tld`` or ``*.name.tld``."""
    name = pattern[2:] if pattern.startswith("*.") else pattern
    if not name or "*" in name:
        raise ValueError("expected an exact host name or *.suffix")
    if name != normalize_host(name) or any(c in name for c in "/:@ "):
        raise ValueError("expected a lower-case host name without port, scheme or path")
    if any(not label for label in name.split(".")):
        raise ValueError("empty label in host name")


class InterceptPolicy:
    """Decides per host: intercept (terminate TLS, run the pipeline), tunnel blind, or block."""

    def __init__(self, patterns: Sequence[str], *, block_others: bool = False) -> None:
        for p in patterns:
            validate_pattern(p)
        self.patterns = tuple(patterns)
        self.block_others = block_others
        self._exact = frozenset(p for p in patterns if not p.startswith("*."))
        # Keep the leading dot so that "*.example.com" never matches "badexample.com".
        self._suffixes = tuple(p[1:] for p in patterns if p.startswith("*."))

    def intercepts(self, host: str) -> bool:
        host = normalize_host(host)
        return host in self._exact or any(host.endswith(s) for s in self._suffixes)

    def decide(self, host: str) -> Decision:
        if self.intercepts(host):
            return Decision.INTERCEPT
        return Decision.BLOCK if self.block_others else Decision.TUNNEL
