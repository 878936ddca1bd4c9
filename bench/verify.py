"""What the upstream received, checked against what the client sent.

The upstream reports every request body here. Bodies are compared, not scanned, on the hot
path: a peer sends the same few variants again and again, and masking is deterministic, so
each (peer, workload, variant) keeps at most :data:`KEEP` distinct bodies and counts repeats;
a further distinct body is checked at once. :meth:`Verifier.check` then checks what was kept:

- every peer: the upstream got as many bytes as the client sent (masking keeps lengths);
- a masking peer: no AWS value of the client's bodies arrived, and the body is still JSON;
- any other peer: the upstream got exactly the client's bytes.
"""

from __future__ import annotations

import json
from collections import defaultdict

from bench.payloads import aws_values

KEEP = 8


class Verifier:
    def __init__(self) -> None:
        self.sent: dict[tuple[str, int], bytes] = {}
        self.originals: dict[str, set[bytes]] = defaultdict(set)
        self.masking: set[str] = set()
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self._kept: dict[tuple[str, str, int], list[bytes]] = {}
        self._problems: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)

    def register(self, workload: str, variant: int, body: bytes) -> None:
        """A body the client will send as ``variant`` of ``workload``."""
        self.sent[(workload, variant)] = body
        self.originals[workload] |= aws_values(body)

    def received(self, peer: str, workload: str, variant: int, body: bytes) -> None:
        self.counts[(peer, workload)] += 1
        kept = self._kept.setdefault((peer, workload, variant), [])
        for b in kept:
            if b == body:
                return
        if len(kept) < KEEP:
            kept.append(body)
        else:
            self._check(peer, workload, variant, body)

    def check(self, peer: str, workload: str) -> dict[str, int]:
        """Problems seen for ``peer`` in ``workload`` (message -> count); forgets its bodies."""
        for key in [k for k in self._kept if k[:2] == (peer, workload)]:
            for body in self._kept.pop(key):
                self._check(peer, workload, key[2], body)
        return dict(self._problems.pop((peer, workload), {}))

    def _problem(self, peer: str, workload: str, message: str) -> None:
        bucket = self._problems[(peer, workload)]
        bucket[message] = bucket.get(message, 0) + 1

    def _check(self, peer: str, workload: str, variant: int, body: bytes) -> None:
        sent = self.sent.get((workload, variant))
        if sent is None:
            self._problem(peer, workload, f"upstream got an unknown variant {variant}")
            return
        if len(body) != len(sent):
            self._problem(
                peer, workload, f"upstream got {len(body)} body bytes, the client sent {len(sent)}"
            )
        if peer not in self.masking:
            if body != sent:
                self._problem(peer, workload, "upstream got other bytes than the client sent")
            return
        leaked = aws_values(body) & self.originals[workload]
        if leaked:
            self._problem(peer, workload, f"upstream received {len(leaked)} original AWS values")
        try:
            json.loads(body)
        except ValueError:
            self._problem(peer, workload, "upstream got a body that is not JSON")
