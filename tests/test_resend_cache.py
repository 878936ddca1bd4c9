"""A resent body masked from a cached masker state gives exactly what a fresh masker gives:
the same output bytes, the same exchange map (so the same response restoration and nothing
from another body's tail), the same counts, and it fails on bad JSON the same way."""

from __future__ import annotations

import json

import pytest
from contract_scanner import ContractScanner
from engine_strategies import SCANNER, cut_points, cuts, texts
from hypothesis import given, settings
from hypothesis import strategies as st

from masking.anthropic_request import MessagesRequestPolicy
from masking.exchange_map import ExchangeMap
from masking.json_tracker import JsonSyntaxError, JsonTracker
from masking.resend_cache import ResendCache
from masking.stream_masker import StreamMasker
from masking.surrogate import SurrogateMaker

KEY = bytes(range(32))
MAKER = SurrogateMaker(KEY)


def _json_masker(exchange_map: ExchangeMap) -> StreamMasker:
    return StreamMasker(SCANNER, exchange_map, JsonTracker(MessagesRequestPolicy()))


def _json_contract_masker(exchange_map: ExchangeMap) -> StreamMasker:
    """JSON with a small-horizon scanner: decisions (and pending findings) mid-body."""
    return StreamMasker(ContractScanner(), exchange_map, JsonTracker(MessagesRequestPolicy()))


def _text_masker(exchange_map: ExchangeMap) -> StreamMasker:
    return StreamMasker(ContractScanner(), exchange_map)


def _run(masker, chunks: list[bytes]) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(masker.feed(c) for c in chunks) + masker.finish()


def fresh(make, body: bytes) -> tuple[bytes, ExchangeMap, dict[str, int]]:  # type: ignore[no-untyped-def]
    exchange_map = ExchangeMap(MAKER)
    masker = make(exchange_map)
    out = _run(masker, [body])
    return out, exchange_map, dict(masker.counts)


def cached(cache: ResendCache, make, body: bytes, points: list[int]):  # type: ignore[no-untyped-def]
    exchange_map = ExchangeMap(MAKER)
    masker = cache.masker(make, make, exchange_map)
    out = _run(masker, cuts(body, points))
    return out, exchange_map, dict(masker.counts), masker.reused


def assert_same(cache: ResendCache, make, body: bytes, points: list[int]) -> int:  # type: ignore[no-untyped-def]
    want_out, want_map, want_counts = fresh(make, body)
    out, got_map, counts, reused = cached(cache, make, body, points)
    assert out == want_out
    assert got_map.by_surrogate == want_map.by_surrogate
    assert list(got_map.by_surrogate) == list(want_map.by_surrogate)
    assert got_map.glue == want_map.glue
    assert counts == want_counts
    return reused


def messages_body(turns: list[str]) -> bytes:
    messages = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": [{"type": "text", "text": t}]}
        for i, t in enumerate(turns)
    ]
    return json.dumps({"model": "m", "max_tokens": 10, "messages": messages}).encode()


conversations = st.lists(texts, min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    first=conversations,
    later=st.lists(conversations, min_size=1, max_size=3),
    keep=st.lists(st.integers(min_value=0, max_value=6), min_size=3, max_size=3),
    points=cut_points,
    checkpoint=st.sampled_from([1, 17, 64, 300, 4096]),
    make=st.sampled_from([_json_masker, _json_contract_masker]),
)
def test_resent_conversations_mask_like_fresh(first, later, keep, points, checkpoint, make) -> None:  # type: ignore[no-untyped-def]
    """Each turn keeps some of the one before and adds its own; every turn, masked through the
    cache, equals the fresh masking of the same body."""
    cache = ResendCache(checkpoint=checkpoint)
    turns = first
    assert_same(cache, make, messages_body(turns), points)
    for k, extra in zip(keep, later, strict=False):
        turns = turns[: k % (len(turns) + 1)] + extra
        assert_same(cache, make, messages_body(turns), points)
    # and the last body once more, exactly as before
    assert_same(cache, make, messages_body(turns), points[::-1])


@settings(max_examples=80, deadline=None)
@given(
    a=texts,
    b=texts,
    cut=st.integers(min_value=0, max_value=10**6),
    points_a=cut_points,
    points_b=cut_points,
    checkpoint=st.sampled_from([1, 5, 23, 64]),
)
def test_any_shared_prefix_masks_like_fresh(a, b, cut, points_a, points_b, checkpoint) -> None:  # type: ignore[no-untyped-def]
    """Plain text, a small-horizon scanner (so output leaves before the end): the second body
    is any prefix of the first (a cut inside a value included) followed by anything."""
    body_a = a.encode()
    body_b = body_a[: cut % (len(body_a) + 1)] + b.encode()
    cache = ResendCache(checkpoint=checkpoint)
    assert_same(cache, _text_masker, body_a, points_a)
    assert_same(cache, _text_masker, body_b, points_b)
    assert_same(cache, _text_masker, body_a, points_b)


def test_a_resent_conversation_is_not_scanned_again() -> None:
    turns = [
        f"instance i-0{n:016x} in account {100000000000 + n} said {'word ' * 300}"
        for n in range(40)
    ]
    cache = ResendCache(checkpoint=4096)
    first = messages_body(turns)
    assert assert_same(cache, _json_masker, first, []) == 0
    second = messages_body(turns + ["and now i-0feedfacecafebeef0 too"])
    reused = assert_same(cache, _json_masker, second, [len(second) // 3])
    # everything up to the last checkpoint before the divergence (less one scanner horizon
    # that the checkpoint had not yet decided) came from the cache
    assert reused >= len(first) - 2 * 4096 - SCANNER.horizon
    # the same body again: all of it
    assert assert_same(cache, _json_masker, second, []) == len(second)


def test_bad_json_after_a_cached_prefix_fails_like_fresh() -> None:
    cache = ResendCache(checkpoint=64)
    good = messages_body(["i-0123456789abcdef0 " * 50, "more"])
    assert_same(cache, _json_masker, good, [])
    bad = good[:-30] + b"}}}}}}" + good[-24:]
    with pytest.raises(JsonSyntaxError) as want:
        fresh(_json_masker, bad)
    with pytest.raises(JsonSyntaxError) as got:
        cached(cache, _json_masker, bad, [100, 700])
    assert str(got.value) == str(want.value)
    # the failed body was not cached: the good one still is, alone
    assert len(cache) == 1


def test_kinds_do_not_mix_and_the_cache_is_bounded() -> None:
    body = b"see i-0123456789abcdef0 and " * 100
    cache = ResendCache(max_bytes=3 * 4 * len(body), max_entries=16, checkpoint=64)
    assert_same(cache, _text_masker, body, [])
    exchange_map = ExchangeMap(MAKER)
    other = cache.masker("other kind", _text_masker, exchange_map)
    other.feed(body)
    other.finish()
    assert other.reused == 0
    for n in range(8):
        assert_same(cache, _text_masker, body + str(n).encode(), [])
        assert cache.size <= cache.max_bytes
    assert 1 <= len(cache) < 8

    few = ResendCache(max_entries=2, checkpoint=64)
    for n in range(4):
        assert_same(few, _text_masker, body + str(n).encode(), [])
    assert len(few) == 2

    small = ResendCache(max_bytes=len(body), checkpoint=64)
    assert_same(small, _text_masker, body, [])
    assert len(small) == 0  # a body that does not fit is not kept

    off = ResendCache(max_bytes=0)
    assert_same(off, _text_masker, body, [])
    assert assert_same(off, _text_masker, body, []) == 0
    assert len(off) == 0
