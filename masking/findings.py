"""What a scan reports: where a sensitive value sits and how its surrogate is shaped."""

from __future__ import annotations

from typing import NamedTuple

# Surrogate shapes (see masking.surrogate). Every shape keeps every byte that is not an ASCII
# letter or digit, and keeps JSON escape sequences, so a surrogate has the byte length of its
# original in raw JSON at any escaping depth.
CLASSWISE = "classwise"  # digit -> digit, a-z -> a-z, A-Z -> A-Z
HEX = "hex"  # hex digit -> hex digit of the same case
IPV4 = "ipv4"  # dotted quad: private stays private, public stays public, digit counts kept
IPV6 = "ipv6"  # hex groups -> hex groups, '::' and ':' kept
SHAPES = frozenset({CLASSWISE, HEX, IPV4, IPV6})


class Finding(NamedTuple):
    """A span of the scanned bytes to replace with a surrogate.

    ``start``/``end`` are offsets into the buffer given to the scanner and cover only the part
    to replace: structure that stays (a token prefix such as ``ghp_``, ``arn:aws:iam::``,
    ``role/``, a key name) lies outside the span. ``rtype`` is the catalog name users see in
    logs and config (``aws_ec2_instance_id``); ``shape`` is one of :data:`SHAPES`.
    """

    start: int
    end: int
    rtype: str
    shape: str
