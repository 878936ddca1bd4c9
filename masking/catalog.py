"""Every type of sensitive value the scanner knows, with its category, surrogate shape and a
description: the names users see in logs and use in ``[masking] disable``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from masking.recognizers import aws, names, network, secrets, user
from masking.recognizers._base import Recognizer

if TYPE_CHECKING:
    from masking.rules import RuleConfig


@dataclass(frozen=True)
class TypeInfo:
    """One catalog entry."""

    name: str
    category: str  # "aws" | "secret" | "network" | "user"
    shape: str
    description: str


# Order decides which recognizer wins when two match at the same offset: the more specific
# first (private keys, tokens, JWTs, URLs with credentials, ARNs, host names), the key-based
# rules after them.
FAMILIES = (network, secrets, aws, names)


def _build() -> dict[str, TypeInfo]:
    out: dict[str, TypeInfo] = {}
    for fam in FAMILIES + (user,):
        for name, shape, desc in fam.TYPES:
            out.setdefault(name, TypeInfo(name, fam.CATEGORY, shape, desc))
    for fam in FAMILIES:
        for rec in fam.RECOGNIZERS:
            for t in rec.types:
                if t not in out:
                    raise AssertionError(f"{rec.name} emits {t}, which the catalog lacks")
    return out


CATALOG: Mapping[str, TypeInfo] = MappingProxyType(_build())

# built-in recognizers in match-priority order; secrets' key-based rule goes last
_BUILTIN: tuple[Recognizer, ...] = tuple(
    r for fam in FAMILIES for r in fam.RECOGNIZERS if r.name != "secrets.keys"
) + tuple(r for r in secrets.RECOGNIZERS if r.name == "secrets.keys")
_MATCHERS: dict[str, object] = {}


def builtin_recognizers() -> tuple[Recognizer, ...]:
    """The built-in recognizers in priority order."""
    return _BUILTIN


def recognizers(rules: RuleConfig) -> list[tuple[Recognizer, object]]:
    """User rules first (explicit intent wins a tie), then the built-ins, each with the matcher
    the scanner uses to re-match a candidate window."""
    import re

    out = user.build(rules.terms, rules.regexes)
    for rec in _BUILTIN:
        m = _MATCHERS.get(rec.name)
        if m is None:
            m = _MATCHERS[rec.name] = re.compile(rec.pattern.encode("latin-1"))
        out.append((rec, m))
    return out
