"""The user's masking rules: which catalog types to skip, their own terms and regexes, and the
values never to mask. Built from the ``[masking]`` table of the TOML config (the CLI loads the
file; this module only validates the parsed mapping)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import re2

_KEYS = frozenset({"disable", "terms", "allowlist", "regex", "resend_cache_mb"})

RESEND_CACHE_MB = 64


@dataclass(frozen=True)
class RuleConfig:
    """User rules for a :class:`~masking.scanner.Scanner`.

    ``disabled``: catalog type names not to mask. ``terms``: literal terms (company, project,
    customer names); a term starting with ``*.`` is a domain suffix glob (``*.corp.example.com``
    masks that domain and every host under it). ``regexes``: ``(name, RE2 pattern)`` pairs whose
    findings have type ``user_regex:<name>``. ``allowlist``: exact values never masked.
    ``resend_cache_mb``: memory for recently masked request bodies, so that a resent
    conversation is not scanned again (see :mod:`masking.resend_cache`); 0 keeps none.
    """

    disabled: frozenset[str] = frozenset()
    terms: tuple[str, ...] = ()
    regexes: tuple[tuple[str, str], ...] = ()
    allowlist: tuple[str, ...] = ()
    resend_cache_mb: int = RESEND_CACHE_MB

    @classmethod
    def from_dict(cls, d: Mapping) -> RuleConfig:
        """Validate the parsed ``[masking]`` table; a mistake raises ValueError saying which."""
        if not isinstance(d, Mapping):
            raise ValueError("[masking] must be a table")
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
                rx = re2.compile(pattern)
            except re2.error as exc:
                raise ValueError(
                    f"[[masking.regex]] {name!r}: invalid RE2 pattern: {exc}"
                ) from None
            if rx.match("") is not None:
                raise ValueError(f"[[masking.regex]] {name!r}: pattern matches the empty string")
            names.add(name)
            regexes.append((name, pattern))
        disabled = _strings(d, "disable")
        from masking.catalog import CATALOG  # late: the catalog imports every recognizer

        known = set(CATALOG) | {f"user_regex:{n}" for n in names}
        bad = sorted(set(disabled) - known)
        if bad:
            raise ValueError(
                f"[masking] disable: unknown type(s) {', '.join(bad)} "
                f"(see `maskproxy scan --list-types` for the catalog)"
            )
        cache_mb = d.get("resend_cache_mb", RESEND_CACHE_MB)
        if isinstance(cache_mb, bool) or not isinstance(cache_mb, int) or cache_mb < 0:
            raise ValueError("[masking] resend_cache_mb must be a whole number of MiB, 0 or more")
        return cls(frozenset(disabled), tuple(terms), tuple(regexes), tuple(allowlist), cache_mb)


def _strings(d: Mapping, key: str) -> list[str]:
    v = d.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValueError(f"[masking] {key} must be an array of strings")
    return list(v)
