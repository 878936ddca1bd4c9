"""A small scanner that keeps the Scanner contract, for testing the stream machinery alone.

The real recognizers are tested in their own files; this one has two fixed rules so that the
stream masker's split invariance and hold-back can be checked against a known truth.
"""

from __future__ import annotations

import re

from masking.findings import CLASSWISE, HEX, Finding

_RULES = re.compile(rb"(?:i|vol)-(?P<hex>[0-9a-f]{17}|[0-9a-f]{8})|AKIA(?P<key>[A-Z0-9]{16})")
_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


class ContractScanner:
    horizon = 24
    context = 8

    def scan(self, data: bytes, pos: int = 0, final: bool = True) -> tuple[list[Finding], int]:
        n = len(data)
        limit = n if final else n - self.horizon
        found: list[Finding] = []
        resume = pos
        for m in _RULES.finditer(data, pos):
            s = m.start()
            if not final and s + self.horizon > n:
                break
            resume = m.end()
            before = data[s - 1] if s else -1
            after = data[m.end()] if m.end() < n else -1
            if before in _ALNUM or after in _ALNUM:
                continue
            if m.group("hex"):
                found.append(Finding(m.start("hex"), m.end("hex"), "aws_ec2_instance_id", HEX))
            else:
                found.append(Finding(m.start("key"), m.end("key"), "aws_access_key_id", CLASSWISE))
        return found, (n if final else max(resume, limit, pos))
