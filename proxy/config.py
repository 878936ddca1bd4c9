"""Configuration: one frozen :class:`ProxyConfig`, built from a TOML file and command-line flags.

Precedence, lowest first: the embedded defaults, the config file, then flags. The file is
``--config``, else ``$XDG_CONFIG_HOME/maskproxy/config.toml`` (``~/.config/...``), else
``/etc/maskproxy/config.toml``; a missing default file is not an error, a missing ``--config``
file is. The ``[masking]`` table is kept as a raw dict for the masking engine: this module does
not interpret it.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from proxy.policy import validate_pattern

DEFAULT_LISTEN = "127.0.0.1:8788"
DEFAULT_INTERCEPT = ("api.anthropic.com",)
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(Exception):
    """The configuration is invalid; the message says which setting and why."""


@dataclass(frozen=True)
class ConnectTo:
    """curl's ``--connect-to HOST:PORT:HOST2:PORT2``: dial HOST2:PORT2 for HOST:PORT.

    The name that is verified (and sent as SNI) stays HOST. An empty HOST or PORT on the left
    matches any; an empty one on the right keeps the original.
    """

    host: str
    port: int | None
    to_host: str
    to_port: int | None

    @classmethod
    def parse(cls, spec: str) -> ConnectTo:
        parts = _split_hostport_list(spec)
        if len(parts) != 4:
            raise ConfigError(f"connect-to {spec!r}: expected HOST:PORT:HOST2:PORT2")
        host, port, to_host, to_port = parts
        return cls(
            host=host.lower(),
            port=_parse_port(port, spec) if port else None,
            to_host=to_host,
            to_port=_parse_port(to_port, spec) if to_port else None,
        )

    def apply(self, host: str, port: int) -> tuple[str, int] | None:
        """Where to dial for ``host:port``, or None when this mapping does not match."""
        if self.host and self.host != host.lower():
            return None
        if self.port is not None and self.port != port:
            return None
        return (self.to_host or host, self.to_port if self.to_port is not None else port)


def _split_hostport_list(spec: str) -> list[str]:
    """Split on ':' but keep bracketed IPv6 literals ('[::1]') whole, without brackets."""
    parts: list[str] = []
    cur = ""
    depth = 0
    for ch in spec:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == ":" and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        else:
            cur += ch
    parts.append(cur)
    return parts


def _parse_port(text: str, context: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise ConfigError(f"{context}: port {text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"{context}: port {port} out of range")
    return port


def parse_listen(spec: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 as ``[::1]:PORT``) to a (host, port) pair; port 0 picks a free one."""
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ConfigError(f"listen {spec!r}: expected [IPV6]:PORT")
        port_text = rest[1:]
    else:
        host, sep, port_text = spec.rpartition(":")
        if not sep or not host:
            raise ConfigError(f"listen {spec!r}: expected HOST:PORT")
    return host, _parse_port(port_text, f"listen {spec!r}")


def is_loopback(host: str) -> bool:
    """True for loopback addresses and ``localhost``; a listener anywhere else needs auth."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Limits:
    """Resource limits; each one answers with a clear status when hit (see README)."""

    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 32 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    idle_timeout: float = 120.0
    head_timeout: float = 30.0
    """A whole request head (CONNECT included) must arrive within this, however it trickles."""
    max_connections: int = 1024
    max_concurrent_streams: int = 100
    """HTTP/2: streams a client may have open at once on one connection."""


@dataclass(frozen=True)
class ProxyConfig:
    """Everything ``maskproxy run`` needs, resolved and validated. Immutable: a reload makes a
    new one, and connections that are already open keep the one they started with."""

    listen: str = DEFAULT_LISTEN
    intercept: tuple[str, ...] = DEFAULT_INTERCEPT
    block_others: bool = False
    http2: bool = True
    """Offer HTTP/2 (ALPN ``h2``) to intercepted clients and to upstreams."""
    gateway: str | None = None
    auth_file: Path | None = None
    allow_local_targets: bool = False
    """Off loopback, let blind tunnels and plain-HTTP forwards reach the host's own loopback
    and link-local addresses (refused by default; on loopback they are always allowed)."""
    state_dir: Path = field(default_factory=lambda: default_state_dir())
    log_level: str = "info"
    log_format: str = "text"
    limits: Limits = field(default_factory=Limits)
    upstream_ca: tuple[Path, ...] = ()
    connect_to: tuple[ConnectTo, ...] = ()
    upstream_proxy: str | None = None
    """``http://host:port`` of an HTTP proxy every upstream connection goes through."""
    upstream_proxy_auth_file: Path | None = None
    masking: Mapping[str, Any] = field(default_factory=dict, hash=False)
    config_path: Path | None = None
    """The file this config was read from, if any (reloaded on SIGHUP)."""
    metrics_listen: str | None = None
    """``HOST:PORT`` of the opt-in Prometheus endpoint (``GET /metrics``); off by default."""

    @property
    def listen_host(self) -> str:
        return parse_listen(self.listen)[0]

    @property
    def listen_port(self) -> int:
        return parse_listen(self.listen)[1]

    @property
    def refuses_local_targets(self) -> bool:
        """Whether tunnels and plain-HTTP forwards must keep off the host's loopback and
        link-local addresses: when listening off loopback, unless allowed."""
        return not self.allow_local_targets and not is_loopback(self.listen_host)

    @property
    def gateway_origin(self) -> tuple[str, str, int, str] | None:
        """(scheme, host, port, base path) of ``--gateway``, or None in forward mode."""
        if self.gateway is None:
            return None
        return parse_gateway(self.gateway)

    def validate(self) -> None:
        """Raise :class:`ConfigError` for any setting that cannot work."""
        host, _ = parse_listen(self.listen)
        if not is_loopback(host) and self.auth_file is None:
            raise ConfigError(
                f"listen {self.listen}: not a loopback address; refusing to start without "
                "proxy authentication (--auth-file FILE with lines user:password)"
            )
        if not self.intercept and self.gateway is None:
            raise ConfigError("intercept: the list is empty; nothing would be masked")
        for pattern in self.intercept:
            try:
                validate_pattern(pattern)
            except ValueError as exc:
                raise ConfigError(f"intercept {pattern!r}: {exc}") from None
        if self.gateway is not None:
            parse_gateway(self.gateway)
        if self.metrics_listen is not None:
            parse_listen(self.metrics_listen)
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"log-level {self.log_level!r}: one of {', '.join(LOG_LEVELS)}")
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"log-format {self.log_format!r}: one of {', '.join(LOG_FORMATS)}")
        lim = self.limits
        for name in (
            "max_header_bytes",
            "max_body_bytes",
            "max_connections",
            "max_concurrent_streams",
        ):
            if getattr(lim, name) < 1:
                raise ConfigError(f"{name.replace('_', '-')}: must be at least 1")
        for name in ("connect_timeout", "read_timeout", "idle_timeout", "head_timeout"):
            if getattr(lim, name) <= 0:
                raise ConfigError(f"{name.replace('_', '-')}: must be more than 0 seconds")
        for path in self.upstream_ca:
            if not path.is_file():
                raise ConfigError(f"upstream-ca {path}: no such file")
        if self.auth_file is not None and not self.auth_file.is_file():
            raise ConfigError(f"auth-file {self.auth_file}: no such file")


def parse_gateway(url: str) -> tuple[str, str, int, str]:
    """``https://host[:port][/base]`` to (scheme, host, port, base path without trailing /)."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ConfigError(f"gateway {url!r}: must be an https:// URL (upstream TLS is verified)")
    if not parts.hostname:
        raise ConfigError(f"gateway {url!r}: no host")
    if parts.query or parts.fragment or parts.username:
        raise ConfigError(f"gateway {url!r}: no query, fragment or credentials allowed")
    try:
        port = parts.port or 443
    except ValueError:
        raise ConfigError(f"gateway {url!r}: bad port") from None
    return parts.scheme, parts.hostname.lower(), port, parts.path.rstrip("/")


def default_state_dir() -> Path:
    """``$STATE_DIRECTORY`` (set by systemd's StateDirectory=), else the XDG state home."""
    state = os.environ.get("STATE_DIRECTORY")
    if state:
        # systemd joins several StateDirectory= entries with ':'; ours is the first.
        return Path(state.split(":")[0])
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "maskproxy"


def default_config_paths() -> list[Path]:
    """Where a config file is looked for when ``--config`` is not given, in order."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    user = (Path(xdg) if xdg else Path.home() / ".config") / "maskproxy" / "config.toml"
    return [user, Path("/etc/maskproxy/config.toml")]


_SECTIONS: dict[str, set[str]] = {
    "proxy": {
        "listen",
        "intercept",
        "block_others",
        "http2",
        "gateway",
        "auth_file",
        "allow_local_targets",
        "state_dir",
        "log_level",
        "log_format",
        "upstream_proxy",
        "upstream_proxy_auth_file",
        "metrics_listen",
    },
    "limits": {f for f in Limits.__dataclass_fields__},
    "upstream": {"ca", "connect_to"},
}


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse one TOML file; unknown sections and keys are errors (a typo must not pass)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"config {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path}: {exc}") from None
    for section, table in data.items():
        if section == "masking":
            if not isinstance(table, dict):
                raise ConfigError(f"config {path}: [masking] must be a table")
            continue
        if section not in _SECTIONS:
            raise ConfigError(f"config {path}: unknown section [{section}]")
        if not isinstance(table, dict):
            raise ConfigError(f"config {path}: [{section}] must be a table")
        for key in table:
            if key not in _SECTIONS[section]:
                raise ConfigError(f"config {path}: unknown key {key!r} in [{section}]")
    return data


def _typed(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    # bool is an int subclass in Python; a limit of `true` is a mistake, not 1.
    if isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{where}: expected {_kind_name(kind)}, got a boolean")
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: expected {_kind_name(kind)}, got {type(value).__name__}")
    return value


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if isinstance(kind, tuple):
        return " or ".join(k.__name__ for k in kind)
    return kind.__name__


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    _typed(value, list, where)
    return tuple(_typed(v, str, where) for v in value)


def config_from_mapping(data: Mapping[str, Any], base: ProxyConfig, source: Path) -> ProxyConfig:
    """Apply a parsed config file on top of ``base``."""
    where = str(source)
    proxy = data.get("proxy", {})
    limits = data.get("limits", {})
    upstream = data.get("upstream", {})
    changes: dict[str, Any] = {"config_path": source}
    if "listen" in proxy:
        changes["listen"] = _typed(proxy["listen"], str, f"{where}: proxy.listen")
    if "intercept" in proxy:
        changes["intercept"] = _str_list(proxy["intercept"], f"{where}: proxy.intercept")
    if "block_others" in proxy:
        changes["block_others"] = _typed(proxy["block_others"], bool, f"{where}: block_others")
    if "http2" in proxy:
        changes["http2"] = _typed(proxy["http2"], bool, f"{where}: proxy.http2")
    if "allow_local_targets" in proxy:
        changes["allow_local_targets"] = _typed(
            proxy["allow_local_targets"], bool, f"{where}: proxy.allow_local_targets"
        )
    if "gateway" in proxy:
        changes["gateway"] = _typed(proxy["gateway"], str, f"{where}: proxy.gateway")
    if "upstream_proxy" in proxy:
        changes["upstream_proxy"] = _typed(proxy["upstream_proxy"], str, f"{where}: upstream_proxy")
    if "metrics_listen" in proxy:
        changes["metrics_listen"] = _typed(
            proxy["metrics_listen"], str, f"{where}: proxy.metrics_listen"
        )
    for key in ("auth_file", "state_dir", "upstream_proxy_auth_file"):
        if key in proxy:
            changes[key] = Path(_typed(proxy[key], str, f"{where}: proxy.{key}")).expanduser()
    for key in ("log_level", "log_format"):
        if key in proxy:
            changes[key] = _typed(proxy[key], str, f"{where}: proxy.{key}")
    if limits:
        lim: dict[str, Any] = {}
        for key, value in limits.items():
            kind: type | tuple[type, ...] = float if key.endswith("timeout") else int
            if kind is float:
                kind = (int, float)
            lim[key] = _typed(value, kind, f"{where}: limits.{key}")
        changes["limits"] = replace(base.limits, **lim)
    if "ca" in upstream:
        changes["upstream_ca"] = tuple(
            Path(p).expanduser() for p in _str_list(upstream["ca"], f"{where}: upstream.ca")
        )
    if "connect_to" in upstream:
        specs = _str_list(upstream["connect_to"], f"{where}: upstream.connect_to")
        changes["connect_to"] = tuple(ConnectTo.parse(s) for s in specs)
    if "masking" in data:
        changes["masking"] = dict(data["masking"])
    return replace(base, **changes)


LIMIT_FLAGS = {
    "max_header_bytes": int,
    "max_body_bytes": int,
    "connect_timeout": float,
    "read_timeout": float,
    "idle_timeout": float,
    "head_timeout": float,
    "max_connections": int,
    "max_concurrent_streams": int,
}


def resolve_config(
    config_file: Path | None,
    overrides: Mapping[str, Any],
    *,
    search_default: bool = True,
) -> ProxyConfig:
    """Defaults, then the config file, then ``overrides`` (flag values; None = not given).

    ``overrides`` keys are :class:`ProxyConfig` field names plus the :class:`Limits` field
    names; list-valued flags (``intercept``, ``upstream_ca``, ``connect_to``) replace the
    file's list when given.
    """
    cfg = ProxyConfig()
    path = config_file
    if path is None and search_default:
        path = next((p for p in default_config_paths() if p.is_file()), None)
    if path is not None:
        cfg = config_from_mapping(read_config_file(path), cfg, path)
    changes: dict[str, Any] = {}
    lim: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None or (
            isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 0
        ):
            continue
        if key in LIMIT_FLAGS:
            lim[key] = value
        elif key == "connect_to":
            changes[key] = tuple(ConnectTo.parse(s) for s in value)
        elif key == "upstream_ca":
            changes[key] = tuple(Path(p).expanduser() for p in value)
        elif key == "intercept":
            changes[key] = tuple(value)
        elif key in ("state_dir", "auth_file", "upstream_proxy_auth_file"):
            changes[key] = Path(value).expanduser()
        else:
            changes[key] = value
    if lim:
        changes["limits"] = replace(cfg.limits, **lim)
    cfg = replace(cfg, **changes)
    cfg.validate()
    return cfg
