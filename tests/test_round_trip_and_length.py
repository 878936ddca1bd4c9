"""DESIGN invariants 3 and 5 over the real engine: a surrogate has the byte length and shape of
its original, and unmask(mask(x)) == x."""

from __future__ import annotations

import json

from engine_strategies import cut_points, cuts, mask, sensitive, shape, texts, unmask, values
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=150, deadline=None)
@given(texts)
def test_round_trip_length_and_shape(text: str) -> None:
    data = text.encode()
    out, masker = mask(data)
    assert len(out) == len(data)
    assert masker.counts, "every text holds at least one sensitive value"
    # every byte keeps its class: digits stay digits, case stays case, punctuation stays
    assert [shape(b) for b in out] == [shape(b) for b in data] or _hex_only_differs(data, out)
    assert unmask(masker, out) == data


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_round_trip_of_any_text(text: str) -> None:
    data = text.encode()
    out, masker = mask(data)
    assert len(out) == len(data)
    assert unmask(masker, out) == data


def test_each_surrogate_has_the_length_and_shape_of_its_original() -> None:
    data = ("\n".join(_samples())).encode()
    _, masker = mask(data)
    assert len(masker.pairs) >= 8
    for surrogate, original in masker.pairs:
        assert len(surrogate) == len(original)
        assert surrogate != original
        assert [shape(b) for b in surrogate] == [shape(b) for b in original] or _hex_only_differs(
            original, surrogate
        )


def _samples() -> list[str]:
    return [sensitive(seed) for seed in range(20)]


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
    out, masker = mask(data, cuts(data, points), kind="messages")
    got = json.loads(out)
    assert len(out) == len(data)
    assert got["model"] == doc["model"]
    assert got["messages"][0]["content"][0]["type"] == "text"
    inner = json.loads(got["messages"][0]["content"][1]["content"])
    assert len(inner["Reservations"]) == len(vals)
    for v in vals:
        assert v.encode() not in out
    # and the reply that quotes the masked request comes back as the original
    reply = json.dumps({"content": [{"type": "text", "text": got["system"]}]}).encode()
    restored = json.loads(unmask(masker, reply, content_type="application/json"))
    assert restored["content"][0]["text"] == doc["system"]
