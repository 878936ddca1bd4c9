"""DESIGN invariants 3 and 5 over the real recognizers: a surrogate has the byte length and
shape of its original, and unmask(mask(x)) == x."""

from __future__ import annotations

import json

from engine_strategies import cut_points, cuts, mask, shape, texts, values
from hypothesis import given, settings
from hypothesis import strategies as st

from masking.stream_unmasker import StreamUnmasker, SurrogateIndex


@settings(max_examples=150, deadline=None)
@given(texts)
def test_round_trip_length_and_shape(text: str) -> None:
    data = text.encode()
    out, exchange_map = mask(data)
    assert len(out) == len(data)
    # every byte keeps its class: digits stay digits, case stays case, punctuation stays
    assert [shape(b) for b in out] == [shape(b) for b in data] or _hex_only_differs(data, out)
    un = StreamUnmasker(SurrogateIndex(exchange_map.by_surrogate, exchange_map.glue))
    assert un.feed(out) + un.finish() == data


def _hex_only_differs(a: bytes, b: bytes) -> bool:
    """Hex ids may trade digits for a-f letters: allowed only inside hex runs."""
    hexset = set(b"0123456789abcdefABCDEF")
    return all(
        shape(x) == shape(y) or (x in hexset and y in hexset) for x, y in zip(a, b, strict=True)
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(values, min_size=1, max_size=6), cut_points)
def test_json_bodies_stay_valid_with_the_same_structure(vals: list[str], points: list[int]) -> None:
    doc = {
        "model": "claude-test",
        "system": "ops for " + " ".join(vals),
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "\n".join(vals)},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_01",
                        "content": json.dumps({"Reservations": [{"InstanceId": v} for v in vals]}),
                    },
                ],
            },
        ],
    }
    data = json.dumps(doc).encode()
    out, _ = mask(data, cuts(data, points), json_mode=True)
    got = json.loads(out)
    assert len(out) == len(data)
    assert got["model"] == doc["model"]
    assert got["messages"][0]["content"][0]["type"] == "text"
    inner = json.loads(got["messages"][0]["content"][1]["content"])
    assert len(inner["Reservations"]) == len(vals)
    for v in vals:
        assert v.encode() not in out
