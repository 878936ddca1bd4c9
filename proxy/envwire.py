"""How a shell's environment routes a client to maskproxy, and the lines that wire it.

Node (Claude Code) and curl read the proxy from ``https_proxy`` before ``HTTPS_PROXY``, fall
back to the ``http_proxy`` pair for HTTPS, and skip the proxy for hosts ``no_proxy`` /
``NO_PROXY`` covers. One variable left over from a corporate set-up is enough for an agent's
traffic to go straight past maskproxy, so ``maskproxy env`` sets every case of every proxy
variable, takes the intercepted hosts out of the no-proxy lists (keeping the rest), and keeps
an existing ``NODE_EXTRA_CA_CERTS`` by pointing it at a bundle of that file and maskproxy's CA.
:func:`route_for` reads an environment the same way for ``maskproxy status``.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tls.statedir import ensure_private_dir, write_atomic

PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
NO_PROXY_VARS = ("NO_PROXY", "no_proxy")
CA_VAR = "NODE_EXTRA_CA_CERTS"
BUNDLE_PREFIX = "ca-bundle-"


# -- reading an environment as a client does --------------------------------------------------


def proxy_for_https(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(variable, URL) of the proxy an HTTPS request would use, or None for a direct one.

    The lower-case variable wins over the upper-case one; the ``http_proxy`` pair is the
    fallback (as in Node's undici and in curl for a missing ``https_proxy``). Empty counts as
    unset.
    """
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        value = env.get(name, "").strip()
        if value:
            return name, value
    return None


def no_proxy_entries(env: Mapping[str, str]) -> tuple[str, list[str]] | None:
    """(variable, entries) of the no-proxy list a client reads (lower case first), or None."""
    for name in ("no_proxy", "NO_PROXY"):
        value = env.get(name, "")
        if value.strip():
            return name, _split(value)
    return None


def _split(value: str) -> list[str]:
    return [e for e in value.replace(",", " ").split() if e]


def _entry_domain(entry: str) -> str:
    """The host part of a no-proxy entry, lower case, without port, ``*.``/``.`` prefix."""
    host = entry.strip().lower()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return host.lstrip("*").lstrip(".")


def entry_covers(entry: str, pattern: str) -> bool:
    """Whether no-proxy ``entry`` exempts some host that intercept ``pattern`` names.

    ``*`` covers everything; ``anthropic.com``, ``.anthropic.com`` and ``*.anthropic.com``
    cover ``api.anthropic.com`` (clients differ in whether a bare domain matches its
    subdomains: the strict reading would leave a leak). For ``*.example.com`` any entry at
    or below ``example.com``, or above it, covers part of it.
    """
    if entry.strip() == "*":
        return True
    domain = _entry_domain(entry)
    if not domain:
        return False
    pattern = pattern.lower()
    if pattern.startswith("*."):
        suffix = pattern[2:]
        return domain.endswith("." + suffix) or domain == suffix or suffix.endswith("." + domain)
    return pattern == domain or pattern.endswith("." + domain)


def bypassing_entries(entries: Sequence[str], intercept: Sequence[str]) -> list[str]:
    """The entries of a no-proxy list that exempt an intercepted host."""
    return [e for e in entries if any(entry_covers(e, p) for p in intercept)]


@dataclass(frozen=True)
class Route:
    """How an HTTPS request to one host leaves a shell with a given environment."""

    host: str
    proxy_var: str | None
    proxy_url: str | None
    no_proxy_var: str | None
    no_proxy_entry: str | None
    """The entry that exempts ``host`` (the request then goes direct)."""

    @property
    def direct(self) -> bool:
        return self.proxy_url is None or self.no_proxy_entry is not None


def route_for(host: str, env: Mapping[str, str]) -> Route:
    """How a client (Claude Code, curl) in ``env`` would send an HTTPS request to ``host``."""
    proxy = proxy_for_https(env)
    no_proxy = no_proxy_entries(env)
    entry = None
    if no_proxy is not None:
        found = bypassing_entries(no_proxy[1], [host])
        entry = found[0] if found else None
    return Route(
        host=host,
        proxy_var=proxy[0] if proxy else None,
        proxy_url=proxy[1] if proxy else None,
        no_proxy_var=no_proxy[0] if no_proxy else None,
        no_proxy_entry=entry,
    )


# -- the CA bundle ----------------------------------------------------------------------------


def _bundle_source(path: Path) -> Path | None:
    """The file a maskproxy bundle was made from (recorded beside it), or None."""
    if not path.name.startswith(BUNDLE_PREFIX):
        return None
    try:
        return Path(path.with_suffix(".source").read_text().strip())
    except OSError:
        return None


def ca_file_for(existing: str | None, ca_path: Path, bundle_dir: Path) -> tuple[Path, str | None]:
    """The file ``NODE_EXTRA_CA_CERTS`` should name, and a warning if something was dropped.

    Node reads one extra CA file; when the shell already names one (a corporate CA), the result
    is a bundle of that file and maskproxy's CA, written in ``bundle_dir`` (mode 0644: it is
    public) and rewritten whenever either file changed. A bundle made earlier is recognised
    (running ``env`` twice in one shell) and rebuilt from its recorded source.
    """
    if not existing:
        return ca_path, None
    source = Path(existing).expanduser()
    if not source.is_absolute():
        source = source.absolute()
    recorded = _bundle_source(source)
    if recorded is not None:
        source = recorded
    if source == ca_path or _same_file(source, ca_path):
        return ca_path, None
    try:
        extra = source.read_bytes()
    except OSError as exc:
        return ca_path, (
            f"{CA_VAR}={existing} cannot be read ({exc.strerror or exc}); "
            "it is left out and only maskproxy's CA is named"
        )
    ours = ca_path.read_bytes()
    data = extra.rstrip(b"\n") + b"\n" + ours if extra.strip() else ours
    digest = hashlib.sha256(str(source).encode()).hexdigest()[:16]
    bundle = bundle_dir / f"{BUNDLE_PREFIX}{digest}.pem"
    ensure_private_dir(bundle_dir)
    try:
        current = bundle.read_bytes()
    except OSError:
        current = None
    if current != data:
        write_atomic(bundle, data, 0o644)
    record = bundle.with_suffix(".source")
    try:
        recorded_text = record.read_text()
    except OSError:
        recorded_text = None
    if recorded_text != f"{source}\n":
        write_atomic(record, f"{source}\n".encode(), 0o644)
    return bundle, None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# -- the export lines -------------------------------------------------------------------------


def export(name: str, value: str) -> str:
    return f"export {name}={shlex.quote(value)}"


def forward_lines(
    proxy_url: str,
    ca_file: Path,
    intercept: Sequence[str],
    env: Mapping[str, str],
) -> tuple[list[str], list[str]]:
    """Shell lines that send every HTTPS request of this shell through ``proxy_url`` and make
    Node trust ``ca_file``, whatever the shell had set before; and the no-proxy entries that
    were taken out (for a note to the user)."""
    lines = [export(name, proxy_url) for name in PROXY_VARS]
    kept: list[str] = []
    removed: list[str] = []
    for name in NO_PROXY_VARS:
        for entry in _split(env.get(name, "")):
            if bypassing_entries([entry], intercept):
                if entry not in removed:
                    removed.append(entry)
            elif entry not in kept:
                kept.append(entry)
    if kept:
        value = ",".join(kept)
        lines += [export(name, value) for name in NO_PROXY_VARS]
    elif any(env.get(name, "").strip() for name in NO_PROXY_VARS):
        lines.append("unset " + " ".join(NO_PROXY_VARS))
    lines.append(export(CA_VAR, str(ca_file)))
    return lines, removed
