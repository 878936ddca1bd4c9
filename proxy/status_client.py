"""``maskproxy status``: would this shell's traffic to the API be masked? Asked, and proven.

The environment is read as Claude Code reads it (:mod:`proxy.envwire`): which proxy variable
wins, whether a no-proxy entry exempts the host, which CA file Node trusts besides the system
store. Then a canary makes the request a client would: through the proxy the environment
names, ``CONNECT host:443``, TLS verified against that CA file and the system store, and
``GET /.well-known/maskproxy/status``, which maskproxy answers itself (no upstream involved)
with its version, uptime, intercept list, counts of masked values by type, and the SHA-256 of
its CA certificate. Only that answer, over a connection the client would trust, proves that the
client's requests to the host pass through maskproxy's masking; anything else is a "no" with
the reason and the command that fixes it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from proxy.envwire import CA_VAR, Route, route_for
from proxy.upstream_proxy import connect_request, connect_target

STATUS_PATH = "/.well-known/maskproxy/status"
MAX_ANSWER = 1024 * 1024
FIX_ENV = 'eval "$(maskproxy env)"'


class CanaryError(Exception):
    """The canary did not reach maskproxy; ``reason`` says where it stopped, ``fix`` what to do."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


@dataclass
class HostStatus:
    """The verdict for one host: masked or not, why, and what fixes it."""

    host: str
    route: Route
    masked: bool = False
    reason: str = ""
    fix: str = ""
    service: dict[str, Any] = field(default_factory=dict)
    """The proxy's own status document, when the canary reached maskproxy."""

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "masked": self.masked,
            "proxy": self.route.proxy_url and _redact(self.route.proxy_url),
            "proxy_variable": self.route.proxy_var,
            "no_proxy_entry": self.route.no_proxy_entry,
            "reason": self.reason,
            "fix": self.fix or None,
            "status": self.service or None,
        }


def _redact(url: str) -> str:
    """``url`` without its password (it may carry the proxy's credentials)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.netloc.rpartition('@')[2]}"
    return parts._replace(netloc=netloc).geturl()


# -- the canary -------------------------------------------------------------------------------


def _proxy_address(url: str) -> tuple[str, int, bytes | None]:
    """(host, port, Proxy-Authorization value) of a proxy URL as clients read it."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme != "http":
        raise CanaryError(
            f"the proxy URL {_redact(url)} is not http://; maskproxy is an http:// proxy",
            FIX_ENV,
        )
    if not parts.hostname:
        raise CanaryError(f"the proxy URL {_redact(url)} has no host", FIX_ENV)
    try:
        port = parts.port or 80
    except ValueError:
        raise CanaryError(f"the proxy URL {_redact(url)} has a bad port", FIX_ENV) from None
    auth = None
    if parts.username is not None:
        creds = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        auth = b"Basic " + base64.b64encode(creds)
    return parts.hostname, port, auth


def _client_context(cafile: str | None) -> ssl.SSLContext:
    """What Node trusts: the system store plus ``NODE_EXTRA_CA_CERTS``."""
    ctx = ssl.create_default_context()
    if cafile:
        try:
            ctx.load_verify_locations(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise CanaryError(
                f"{CA_VAR}={cafile} cannot be loaded ({getattr(exc, 'strerror', None) or exc}); "
                "Node ignores it",
                FIX_ENV,
            ) from None
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def _read_head(sock: socket.socket | ssl.SSLSocket, what: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and the bytes already read past the head."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"{what} closed the connection without an answer")
        data += chunk
        if len(data) > MAX_ANSWER:
            raise ConnectionError(f"{what} sent an oversized answer")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ConnectionError(f"{what} did not answer in HTTP")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers, rest


def _read_body(sock: ssl.SSLSocket, headers: Mapping[str, str], rest: bytes) -> bytes:
    data = rest
    while len(data) <= MAX_ANSWER:
        length = headers.get("content-length")
        if length is not None and length.isdigit() and len(data) >= int(length):
            return data[: int(length)]
        try:
            chunk = sock.recv(65536)
        except (ssl.SSLEOFError, ConnectionResetError):
            chunk = b""
        if not chunk:
            break
        data += chunk
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _dechunk(data)
    return data


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return out


def canary(proxy_url: str, host: str, port: int, cafile: str | None, timeout: float) -> dict:
    """Ask maskproxy, the way a client in this environment would reach ``host``, for its status.

    Returns the status document; raises :class:`CanaryError` with the reason and the fix.
    """
    proxy_host, proxy_port, auth = _proxy_address(proxy_url)
    where = f"the proxy at {proxy_host}:{proxy_port}"
    ctx = _client_context(cafile)
    try:
        raw = socket.create_connection((proxy_host, proxy_port), timeout=timeout)
    except OSError as exc:
        raise CanaryError(
            f"nothing answers at {proxy_host}:{proxy_port} ({exc.strerror or exc})",
            "start maskproxy (`maskproxy run`, or `systemctl start maskproxy`), "
            f"or point the proxy variables at the one that runs: {FIX_ENV}",
        ) from None
    with contextlib.ExitStack() as stack:
        stack.callback(raw.close)
        target = connect_target(host, port)
        try:
            raw.sendall(connect_request(target, auth))
            status, _, rest = _read_head(raw, where)
        except (OSError, ConnectionError) as exc:
            raise CanaryError(f"{where} failed the CONNECT: {exc}", FIX_ENV) from None
        if status == 407:
            raise CanaryError(
                f"{where} requires authentication (407)",
                "put USER:PASSWORD@ after http:// in the proxy variable",
            )
        if status != 200:
            raise CanaryError(
                f"{where} answered {status} to CONNECT {target}",
                f"{FIX_ENV}, or check that {host} is in maskproxy's intercept list",
            )
        if rest:
            raise CanaryError(f"{where} sent bytes after its CONNECT answer", FIX_ENV)
        try:
            tls = ctx.wrap_socket(raw, server_hostname=host)
        except ssl.SSLCertVerificationError as exc:
            raise CanaryError(
                f"TLS to {host} through {where} is not trusted by what this environment gives "
                f"Node ({CA_VAR}={cafile or 'unset'} and the system store): "
                f"{exc.verify_message or exc.reason}",
                f"{FIX_ENV} (it names maskproxy's CA in {CA_VAR})",
            ) from None
        except (OSError, ssl.SSLError) as exc:
            raise CanaryError(
                f"TLS to {host} through {where} failed: {getattr(exc, 'reason', None) or exc}",
                FIX_ENV,
            ) from None
        stack.callback(tls.close)
        try:
            tls.sendall(
                f"GET {STATUS_PATH} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n"
                "Connection: close\r\nUser-Agent: maskproxy-status\r\n\r\n".encode()
            )
            status, headers, rest = _read_head(tls, f"{host} through {where}")
            body = _read_body(tls, headers, rest)
        except (OSError, ConnectionError) as exc:
            raise CanaryError(f"the status request to {host} failed: {exc}", FIX_ENV) from None
    return _status_document(status, headers, body, host, where)


def _status_document(
    status: int, headers: Mapping[str, str], body: bytes, host: str, where: str
) -> dict:
    not_maskproxy = CanaryError(
        f"{host} through {where} is not answered by maskproxy (HTTP {status} to {STATUS_PATH}): "
        "the proxy passes the traffic on unmasked, or it is a maskproxy too old to answer",
        f"{FIX_ENV}, and unset any other proxy variable that points elsewhere",
    )
    if status != 200 or "application/json" not in headers.get("content-type", ""):
        raise not_maskproxy
    try:
        doc = json.loads(body)
    except ValueError:
        raise not_maskproxy from None
    if not isinstance(doc, dict) or doc.get("service") != "maskproxy":
        raise not_maskproxy
    return doc


# -- the verdict ------------------------------------------------------------------------------


def _ca_fingerprints(cafile: str | None) -> set[str]:
    """SHA-256 of the DER of every certificate in ``cafile``."""
    if not cafile:
        return set()
    try:
        text = open(cafile, encoding="ascii", errors="replace").read()  # noqa: SIM115
    except OSError:
        return set()
    found = set()
    begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
    for block in text.split(begin)[1:]:
        pem = begin + block.split(end)[0] + end + "\n"
        with contextlib.suppress(ValueError):
            found.add(hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest())
    return found


def host_status(host: str, env: Mapping[str, str], timeout: float) -> HostStatus:
    """Would an HTTPS request to ``host`` from ``env`` be masked by a running maskproxy?"""
    route = route_for(host, env)
    result = HostStatus(host, route)
    if route.proxy_url is None:
        result.reason = "no proxy variable is set: requests go straight to the host, unmasked"
        result.fix = FIX_ENV
        return result
    if route.no_proxy_entry is not None:
        result.reason = (
            f"{route.no_proxy_var} has {route.no_proxy_entry!r}, which exempts {host} from "
            "the proxy: requests go straight to the host, unmasked"
        )
        result.fix = f"{FIX_ENV} (it removes that entry and keeps the others)"
        return result
    cafile = env.get(CA_VAR) or None
    try:
        doc = canary(route.proxy_url, host, 443, cafile, timeout)
    except CanaryError as exc:
        result.reason = f"{route.proxy_var}={_redact(route.proxy_url)}: {exc.reason}"
        result.fix = _better_fix(host, env, route, cafile, timeout) or exc.fix
        return result
    result.service = doc
    result.masked = True
    via = f"{route.proxy_var}={_redact(route.proxy_url)}"
    ca_note = ""
    if doc.get("ca_sha256") and doc["ca_sha256"] not in _ca_fingerprints(cafile):
        ca_note = f" (its CA is trusted through the system store, not {CA_VAR})"
    result.reason = f"through maskproxy {doc.get('version', '?')} at {via}, TLS verified{ca_note}"
    return result


def _better_fix(
    host: str, env: Mapping[str, str], route: Route, cafile: str | None, timeout: float
) -> str | None:
    """``unset VAR`` when the winning variable is what keeps the client from a maskproxy that
    a lower-precedence variable names."""
    from proxy.envwire import PROXY_VARS

    tried = {route.proxy_url}
    for name in PROXY_VARS:
        value = env.get(name, "").strip()
        if not value or value in tried or name == route.proxy_var:
            continue
        tried.add(value)
        try:
            canary(value, host, 443, cafile, timeout)
        except CanaryError:
            continue
        shadowing = [
            n for n in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")
            if env.get(n, "").strip() and env.get(n, "").strip() != value
        ]  # fmt: skip
        order = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY")
        ahead = [n for n in shadowing if order.index(n) < order.index(name)]
        return f"unset {' '.join(ahead)}" if ahead else None
    return None


def gateway_status(base_url: str, timeout: float) -> HostStatus:
    """``ANTHROPIC_BASE_URL=http://…``: the client talks to a maskproxy gateway directly."""
    parts = urlsplit(base_url)
    host = parts.hostname or "?"
    route = Route(host, None, None, None, None)
    result = HostStatus(f"{base_url} (ANTHROPIC_BASE_URL)", route)
    port = parts.port or 80
    path = parts.path.rstrip("/") + STATUS_PATH
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: application/json\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            status, headers, rest = _read_head(sock, base_url)
            data = rest
            while chunk := sock.recv(65536):
                data += chunk
                if len(data) > MAX_ANSWER:
                    break
        body = _dechunk(data) if "chunked" in headers.get("transfer-encoding", "") else data
        result.service = _status_document(status, headers, body, host, base_url)
    except CanaryError as exc:
        result.reason, result.fix = exc.reason, exc.fix
        return result
    except (OSError, ConnectionError) as exc:
        result.reason = f"nothing answers at {base_url} ({exc})"
        result.fix = "start the gateway: maskproxy run --gateway https://api.anthropic.com"
        return result
    result.masked = True
    result.reason = f"through the maskproxy gateway at {base_url}"
    return result


def check_environment(
    env: Mapping[str, str], hosts: Sequence[str], timeout: float
) -> list[HostStatus]:
    """The verdict for the API host a client in ``env`` talks to and for every other host.

    With ``ANTHROPIC_BASE_URL=http://…`` the client talks to that gateway only, so the gateway
    is the one thing to check; an ``https://`` base URL is one more host to reach through the
    proxy.
    """
    base = env.get("ANTHROPIC_BASE_URL", "").strip()
    results: list[HostStatus] = []
    if base:
        parts = urlsplit(base)
        if parts.scheme == "http":
            return [gateway_status(base, timeout)]
        if parts.hostname:
            hosts = [parts.hostname, *[h for h in hosts if h != parts.hostname]]
    for host in hosts:
        results.append(host_status(host, env, timeout))
    return results


def describe(result: HostStatus) -> list[str]:
    """Plain words for one host's verdict."""
    if result.masked:
        doc = result.service
        masked = doc.get("masked") or {}
        counts = ", ".join(f"{t}={n}" for t, n in sorted(masked.items())) or "nothing yet"
        lines = [
            f"{result.host}: masked — {result.reason}",
            f"  up {_duration(doc.get('uptime_seconds'))}, {doc.get('exchanges', 0)} exchanges, "
            f"masked: {counts}",
        ]
        return lines
    return [f"{result.host}: NOT masked — {result.reason}", f"  fix: {result.fix}"]


def _duration(seconds: object) -> str:
    if not isinstance(seconds, (int, float)):
        return "?"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"
