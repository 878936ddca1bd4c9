"""The user's masking rules: which catalog types to skip, their own terms and regexes, and the
values never to mask. Built from the ``[masking]`` table of the TOML config (the CLI loads the
file; this module only validates the parsed mapping)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from masking import _core

_KEYS = frozenset({"disable", "terms", "allowlist", "regex", "known_values", "known_mb"})

KNOWN_VALUES = 100_000
"""How many recognized values the engine remembers across requests, by default."""
KNOWN_MB = 64
"""The memory they may take, by default."""


@dataclass(frozen=True)
class RuleConfig:
    """User rules for the :class:`~masking.engine.Engine`.

    ``disabled``: catalog type names not to mask. ``terms``: literal terms (company, project,
    customer names); a term starting with ``*.`` is a domain suffix glob (``*.corp.example.com``
    masks that domain and every host under it). ``regexes``: ``(name, pattern)`` pairs (the
    syntax of Rust's ``regex`` crate, close to RE2's) whose findings have type
    ``user_regex:<name>``. ``allowlist``: exact values never masked. ``known_values`` and
    ``known_mb``: how many recognized values the engine remembers across requests (in memory
    only, least recently seen out first), and the memory they may take.
    """

    disabled: frozenset[str] = frozenset()
    terms: tuple[str, ...] = ()
    regexes: tuple[tuple[str, str], ...] = ()
    allowlist: tuple[str, ...] = ()
    known_values: int = KNOWN_VALUES
    known_mb: int = KNOWN_MB

    @property
    def known_bytes(self) -> int:
        return self.known_mb << 20

    @classmethod
    def from_dict(cls, d: Mapping) -> RuleConfig:
        """Validate the parsed ``[masking]`` table; a mistake raises ValueError saying which."""
        if not isinstance(d, Mapping):
            raise ValueError("[masking] must be a table")
        if "resend_cache_mb" in d:
            raise ValueError(
                "[masking] resend_cache_mb is no longer used (the engine masks every body "
                "whole in a few milliseconds, so nothing is cached): remove it"
            )
        unknown = sorted(set(d) - _KEYS)
        if unknown:
            raise ValueError(
                f"[masking]: unknown key(s) {', '.join(unknown)}; "
                f"expected {', '.join(sorted(_KEYS))}"
            )
        terms = _strings(d, "terms")
        for t in terms:
            if not t.strip() or (t.startswith("*.") and len(t.strip()) <= 2):
                raise ValueError(f"[masking] terms: empty term {t!r}")
        allowlist = _strings(d, "allowlist")
        regexes: list[tuple[str, str]] = []
        raw = d.get("regex", [])
        if not isinstance(raw, list):
            raise ValueError("[masking] regex must be an array of tables ([[masking.regex]])")
        names: set[str] = set()
        for i, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise ValueError(
                    f"[[masking.regex]] #{i + 1} must be a table with name and pattern"
                )
            extra = sorted(set(item) - {"name", "pattern"})
            if extra:
                raise ValueError(f"[[masking.regex]] #{i + 1}: unknown key(s) {', '.join(extra)}")
            name, pattern = item.get("name"), item.get("pattern")
            if (
                not isinstance(name, str)
                or not name
                or not name.replace("_", "").replace("-", "").isalnum()
            ):
                raise ValueError(
                    f"[[masking.regex]] #{i + 1}: name must be letters, digits, _ or -"
                )
            if name in names:
                raise ValueError(f"[[masking.regex]] duplicate name {name!r}")
            if not isinstance(pattern, str) or not pattern:
                raise ValueError(f"[[masking.regex]] {name!r}: pattern must be a non-empty string")
            try:
                _core.check_pattern(pattern)
            except ValueError as exc:
                first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "syntax"
                raise ValueError(f"[[masking.regex]] {name!r}: invalid pattern: {first}") from None
            if _core.matches_empty(pattern):
                raise ValueError(f"[[masking.regex]] {name!r}: pattern matches the empty string")
            names.add(name)
            regexes.append((name, pattern))
        disabled = _strings(d, "disable")
        known = {row[0] for row in _core.catalog()} | {f"user_regex:{n}" for n in names}
        bad = sorted(set(disabled) - known)
        if bad:
            raise ValueError(
                f"[masking] disable: unknown type(s) {', '.join(bad)} "
                f"(`maskproxy types` lists them)"
            )
        known_values = _whole(d, "known_values", KNOWN_VALUES)
        known_mb = _whole(d, "known_mb", KNOWN_MB)
        return cls(
            frozenset(disabled),
            tuple(terms),
            tuple(regexes),
            tuple(allowlist),
            known_values,
            known_mb,
        )


def _whole(d: Mapping, key: str, default: int) -> int:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"[masking] {key} must be a whole number, 0 or more")
    return v


def _strings(d: Mapping, key: str) -> list[str]:
    v = d.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError(f"[masking] {key} must be an array of strings")
    return list(v)
