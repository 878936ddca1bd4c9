"""DESIGN invariant 2: the masker's and unmasker's output does not depend on the chunking,
and what they hold back is bounded."""

from __future__ import annotations

import json

from contract_scanner import ContractScanner
from engine_strategies import cut_points, cuts
from engine_strategies import mask as engine_mask
from engine_strategies import texts as engine_texts
from hypothesis import given, settings
from hypothesis import strategies as st

from masking.anthropic_response import PartialJsonUnmasker
from masking.exchange_map import ExchangeMap
from masking.json_tracker import JsonTracker
from masking.stream_masker import StreamMasker
from masking.stream_unmasker import StreamUnmasker, SurrogateIndex
from masking.surrogate import SurrogateMaker

KEY = bytes(range(32))
SCANNER = ContractScanner()

hexs = st.text("0123456789abcdef", min_size=17, max_size=17)
pieces = st.one_of(
    hexs.map(lambda h: "i-" + h),
    st.text("0123456789abcdef", min_size=8, max_size=8).map(lambda h: "vol-" + h),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16).map(lambda k: "AKIA" + k),
    st.sampled_from([" ", "\n", "-", "x", "i-", "AKIA", "\\n", '"', "é", "i-0123"]),
    st.text(min_size=0, max_size=12),
)
texts = st.lists(pieces, max_size=40).map("".join)


def mask(data: bytes, chunks: list[bytes], json_mode: bool = False) -> tuple[bytes, int]:
    masker = StreamMasker(
        SCANNER, ExchangeMap(SurrogateMaker(KEY)), JsonTracker() if json_mode else None
    )
    out, held = [], 0
    for c in chunks:
        out.append(masker.feed(c))
        held = max(held, masker.held_back)
    out.append(masker.finish())
    return b"".join(out), held


@settings(max_examples=300, deadline=None)
@given(texts, st.lists(st.integers(min_value=0), max_size=12))
def test_masker_output_does_not_depend_on_cuts(text: str, points: list[int]) -> None:
    data = text.encode()
    whole, _ = mask(data, [data])
    split, held = mask(data, cuts(data, points))
    assert split == whole
    assert len(whole) == len(data)


@settings(max_examples=200, deadline=None)
@given(texts, st.lists(st.integers(min_value=0), max_size=12))
def test_json_masker_output_does_not_depend_on_cuts(text: str, points: list[int]) -> None:
    data = json.dumps({"a": [text, 123, {"b": text}], "n": 1.5e3}).encode()
    whole, _ = mask(data, [data], json_mode=True)
    split, _ = mask(data, cuts(data, points), json_mode=True)
    assert split == whole
    assert json.loads(whole).keys() == {"a", "n"}
    assert len(whole) == len(data)


def test_hold_back_is_bounded_by_the_horizon() -> None:
    data = ("some log line without ids " * 4000).encode()
    masker = StreamMasker(SCANNER, ExchangeMap(SurrogateMaker(KEY)))
    emitted = 0
    for i in range(0, len(data), 1000):
        emitted += len(masker.feed(data[i : i + 1000]))
        assert masker.held_back <= SCANNER.horizon + 1000
        assert masker.held_back <= SCANNER.horizon or i == 0
    emitted += len(masker.finish())
    assert emitted == len(data)


def _surrogate_text(text: str) -> tuple[bytes, bytes, ExchangeMap]:
    data = text.encode()
    exchange_map = ExchangeMap(SurrogateMaker(KEY))
    masker = StreamMasker(SCANNER, exchange_map)
    masked = masker.feed(data) + masker.finish()
    return data, masked, exchange_map


@settings(max_examples=300, deadline=None)
@given(texts, st.lists(st.integers(min_value=0), max_size=12))
def test_unmasker_output_does_not_depend_on_cuts(text: str, points: list[int]) -> None:
    original, masked, exchange_map = _surrogate_text(text)
    index = SurrogateIndex(exchange_map.by_surrogate, exchange_map.glue)
    un = StreamUnmasker(index)
    out = b"".join(un.feed(c) for c in cuts(masked, points)) + un.finish()
    assert out == original


@settings(max_examples=200, deadline=None)
@given(texts, st.lists(st.integers(min_value=0), max_size=12))
def test_partial_json_unmasker_restores_across_fragments(text: str, points: list[int]) -> None:
    original, masked, exchange_map = _surrogate_text(text)
    doc = json.dumps({"command": masked.decode(), "n": [1, "x"]}, ensure_ascii=True)
    un = PartialJsonUnmasker(SurrogateIndex(exchange_map.by_surrogate, exchange_map.glue))
    pieces = cuts(doc.encode(), points)
    out = "".join(un.feed(p.decode()) for p in pieces) + un.finish()
    assert json.loads(out) == {"command": original.decode(), "n": [1, "x"]}


@settings(max_examples=150, deadline=None)
@given(engine_texts, cut_points)
def test_split_invariance_with_the_real_recognizers(text: str, points: list[int]) -> None:
    data = text.encode()
    whole, exchange_map = engine_mask(data)
    split, _ = engine_mask(data, cuts(data, points))
    assert split == whole
    un = StreamUnmasker(SurrogateIndex(exchange_map.by_surrogate, exchange_map.glue))
    assert b"".join(un.feed(c) for c in cuts(whole, points)) + un.finish() == data
