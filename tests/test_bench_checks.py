"""The benchmark harness's own checks: they catch what they must, so a green bench means something.

The verifier flags an original reaching a masking peer and changed bytes on a relay; a reply or
stream with a surrogate left in is an error; the mitmproxy addon (the reference peer) masks and
restores event streams cut at any point. No network, no timing.
"""

from __future__ import annotations

import json
import random

import pytest

from bench.clients import Response
from bench.mitm_addon import SseRestorer, mask_body, unmask_body
from bench.mitm_route import parse_routes
from bench.payloads import Ids, Reply, check_stream, small_body
from bench.verify import Verifier
from bench.workloads import check_json

IDS = Ids(
    instance="i-0123456789abcdef0", volume="vol-0123456789abcdef1", group="sg-0123456789abcdef2",
    subnet="subnet-0123456789abcdef3", vpc="vpc-0123456789abcdef4", key="AKIAABCDEFGHIJKLMNOP",
    account="123456789012",
)  # fmt: skip


def _body() -> bytes:
    return small_body(IDS, random.Random(1))


def test_verifier_flags_an_original_reaching_a_masking_peer() -> None:
    v = Verifier()
    v.masking.add("masker")
    body = _body()
    v.register("small", 0, body)
    v.received("masker", "small", 0, body)
    v.received("relay", "small", 0, body)
    assert any("original AWS values" in m for m in v.check("masker", "small"))
    assert v.check("relay", "small") == {}


def test_verifier_flags_changed_bytes_on_a_relay_and_lengths_everywhere() -> None:
    v = Verifier()
    v.masking.add("masker")
    body = _body()
    v.register("small", 0, body)
    masked, _ = mask_body(body)
    v.received("masker", "small", 0, masked)
    v.received("relay", "small", 0, masked)
    v.received("masker", "small", 0, masked + b" ")
    assert v.check("relay", "small") == {"upstream got other bytes than the client sent": 1}
    problems = v.check("masker", "small")
    want = f"upstream got {len(body) + 1} body bytes, the client sent {len(body)}"
    assert list(problems) == [want]


def test_a_reply_with_surrogates_left_in_is_an_error() -> None:
    body = _body()
    masked, mapping = mask_body(body)
    reply = Reply(("i-0123456789abcdef0",))
    fake = {v: k for k, v in mapping.items()}[b"i-0123456789abcdef0"].decode()
    left = Reply((fake,))
    ok = Response(status=200, body=bytearray(reply.json_body))
    bad = Response(status=200, body=bytearray(left.json_body))
    assert check_json(ok, reply.json_body) is None
    assert "surrogates not restored" in (check_json(bad, reply.json_body) or "")
    assert check_stream(list(reply.events), reply) is None
    assert "surrogates not restored" in (check_stream(list(left.events), reply) or "")
    assert "ends with" in (check_stream(list(reply.events[:-1]), reply) or "")


def test_the_mitmproxy_addon_masks_and_restores_streams_cut_anywhere() -> None:
    body = _body()
    masked, mapping = mask_body(body)
    assert len(masked) == len(body) and b"0123456789abcdef0" not in masked
    assert unmask_body(masked, mapping) == body
    ids = tuple(m.decode() for m in mapping if m.startswith((b"i-", b"vol-", b"AKIA")))
    originals = tuple(mapping[i.encode()].decode() for i in ids)
    stream = b"".join(Reply(ids).events)
    for cut in (1, 7, 64, len(stream)):
        restorer = SseRestorer(mapping)
        out = b"".join(b"".join(restorer(stream[i : i + cut])) for i in range(0, len(stream), cut))
        out += b"".join(restorer(b""))
        events = [e + b"\n\n" for e in out.split(b"\n\n") if e]
        assert check_stream(events, Reply(originals)) is None, cut
        assert all(json.loads(e.split(b"data: ", 1)[1]) for e in events)


@pytest.mark.parametrize("spec", ["api.anthropic.com:443=127.0.0.1:1", ""])
def test_mitm_route_spec(spec: str) -> None:
    assert parse_routes(spec) == ({("api.anthropic.com", 443): ("127.0.0.1", 1)} if spec else {})
