"""IP addresses and CIDR blocks.

IPv4: any dotted quad with octets up to 255, not glued to letters, digits or dots (so version
strings such as ``12.1.0.2.v21`` and OIDs are out), not after "version"; loopback, 0.0.0.0,
netmasks, multicast, the instance-metadata addresses and the big public resolvers are kept.
Private (RFC 1918, CGNAT 100.64/10, link-local) and public addresses get the IPV4 shape, which
keeps private private and public public. IPv6 only in address context (a key or flag naming an
IPv6 address, or a full eight-group address) because hex-and-colon runs are common elsewhere.
"""

from __future__ import annotations

import ipaddress
import re

from masking.findings import IPV4, IPV6, Finding

from ._base import ALNUM, CheckResult, Recognizer, left_ok

CATEGORY = "network"

_NEUTRAL_V4 = frozenset(
    {
        b"8.8.8.8",
        b"8.8.4.4",
        b"1.1.1.1",
        b"1.0.0.1",
        b"9.9.9.9",
        b"149.112.112.112",
        b"208.67.222.222",
        b"208.67.220.220",
        b"169.254.169.254",
        b"169.254.169.253",
        b"169.254.170.2",
        b"0.0.0.0",
        b"255.255.255.255",
    }
)
_IP_CONTEXT = re.compile(rb"(?i:ip|addr|cidr|host|gateway|peer|endpoint|server|dns|nat|route)")
# "version 12.1.0.2", "ver: 1.2.3.4", "v10.4.12.1" (a 'v' glued to the number, not a word's end)
_VERSION_BEFORE = re.compile(
    rb"(?<![A-Za-z])(?i:version|ver|release)[ \t:=\"'\\]{0,4}$|(?<![A-Za-z])[vV]$"
)


def _octets(raw: bytes) -> list[int] | None:
    parts = raw.split(b".")
    out = []
    for p in parts:
        if len(p) > 1 and p[0] == 0x30:  # leading zero: not an address as written
            return None
        v = int(p)
        if v > 255:
            return None
        out.append(v)
    return out


def ipv4_kind(o: list[int]) -> str | None:
    """``'private'``, ``'public'`` or None for addresses that are never masked."""
    a, b = o[0], o[1]
    if a in (0, 127) or a >= 224 or a == 255:
        return None
    if (
        a == 10
        or (a == 172 and 16 <= b <= 31)
        or (a == 192 and b == 168)
        or (a == 100 and 64 <= b <= 127)
        or (a == 169 and b == 254)
    ):
        return "private"
    return "public"


def _check_ipv4(data: bytes, s: int, e: int) -> CheckResult:
    if s > 0:
        c = data[s - 1]
        if c == 0x2E or c == 0x2D and s > 1 and ALNUM[data[s - 2]]:  # '.1.2.3.4' or 'x-1.2.3.4'
            return None
        if not left_ok(data, s):
            return None
    n = len(data)
    addr_end = e
    slash = -1
    if e + 1 < n and data[e] == 0x2F and 48 <= data[e + 1] <= 57:  # a /len suffix: a CIDR block
        j = e + 2
        if j < n and 48 <= data[j] <= 57:
            j += 1
        # a valid prefix length ends there; anything else ('/000', '/3x') is a path after an
        # address, which is masked as an address all the same
        if (j >= n or not ALNUM[data[j]]) and int(data[e + 1 : j]) <= 32:
            slash = e
            e = j
    # not followed by '.word' / '.digit' (versions, OIDs) nor glued to a letter or digit
    if e < n:
        c = data[e]
        if ALNUM[c]:
            return None
        if c == 0x2E and e + 1 < n and ALNUM[data[e + 1]]:
            return None
    raw = data[s:addr_end]
    o = _octets(raw)
    if o is None or raw in _NEUTRAL_V4:
        return None
    kind = ipv4_kind(o)
    if kind is None:
        return None
    if (
        kind == "public"
        and slash < 0
        and all(x < 10 for x in o[1:])
        and not _IP_CONTEXT.search(data, max(0, s - 40), s)
    ):
        return None  # 12.1.0.2, 1.2.3.4: versions and OIDs, unless a key says it is an address
    if _VERSION_BEFORE.search(data, max(0, s - 12), s):
        return None
    if slash > 0:
        if raw == b"0.0.0.0":
            return None
        return [Finding(s, addr_end, "cidr_block", IPV4)], e
    return [Finding(s, addr_end, "ipv4_" + kind, IPV4)], e


# the context that says an address is IPv6: a key or flag naming it ('"Ipv6Address": "...",
# 'ipv6_cidr_block = "..."', 'inet6 ...', '--ipv6-address ...'), then the address itself
_V6 = re.compile(
    rb"(?i:ipv6|inet6)[A-Za-z_-]{0,24}(?:\\{0,7}[\"'])?[ \t]{0,4}[:=]?[ \t]{0,4}"
    rb"(?:\[[ \t]*)?(?:\{[^}]{0,40}?:[ \t]*)?(?:\\{0,7}[\"'])?"
    rb"(?P<a>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?P<p>/[0-9]{1,3})?"
)


def _check_ipv6(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s):
        return None
    m = _V6.match(data, s, min(len(data), s + 120))
    if m is None:
        return None
    s, e = m.span("a")
    if m.group("p"):
        e = m.end("p")
    if e < len(data) and (ALNUM[data[e]] or data[e] in b":."):
        return None
    slash = m.start("p") if m.group("p") else -1
    raw = m.group("a")
    try:
        addr = ipaddress.IPv6Address(raw.decode())
    except ValueError:
        return None
    if addr.is_loopback or addr.is_unspecified or addr.ipv4_mapped is not None:
        return None
    groups = [g for g in raw.split(b":") if g]
    if len(groups) < 3:
        return None
    rtype = "ipv6_cidr_block" if slash > 0 else "ipv6_address"
    return [Finding(s, s + len(raw), rtype, IPV6)], e


RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer(
        "network.ipv4",
        r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
        _check_ipv4,
        ("ipv4_public", "ipv4_private", "cidr_block"),
    ),
    Recognizer(
        "network.ipv6",
        r"(?i:ipv6|inet6)[A-Za-z_-]*(?:\\{0,7}[\"'])?[ \t]*[:= ][ \t\[{\"'\\]*[0-9A-Fa-f]{0,4}:",
        _check_ipv6,
        ("ipv6_address", "ipv6_cidr_block"),
    ),
)

TYPES: tuple[tuple[str, str, str], ...] = (
    ("ipv4_public", IPV4, "public IPv4 address"),
    ("ipv4_private", IPV4, "private IPv4 address (RFC 1918, CGNAT, link-local)"),
    ("cidr_block", IPV4, "IPv4 CIDR block (address part; /len kept)"),
    ("ipv6_address", IPV6, "IPv6 address in address context"),
    ("ipv6_cidr_block", IPV6, "IPv6 CIDR block (address part; /len kept)"),
)
