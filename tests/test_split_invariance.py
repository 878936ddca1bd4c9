"""DESIGN invariant 2: the engine's output does not depend on how its input was cut into chunks
or events — neither the masked request nor the restored response — and a response is held
back only while its tail could still be the start of a surrogate."""

from __future__ import annotations

import json

from engine_strategies import cut_points, cuts, mask, texts, unmask
from hypothesis import given, settings
from hypothesis import strategies as st

hexs = st.text("0123456789abcdef", min_size=17, max_size=17)
pieces = st.one_of(
    hexs.map(lambda h: "i-" + h),
    st.text("0123456789abcdef", min_size=8, max_size=8).map(lambda h: "vol-" + h),
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16).map(lambda k: "AKIA" + k),
    st.sampled_from([" ", "\n", "-", "x", "i-", "AKIA", "\\n", '"', "é", "i-0123"]),
    st.text(min_size=0, max_size=12),
)
small_texts = st.lists(pieces, max_size=40).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.one_of(small_texts, texts), cut_points)
def test_masker_output_does_not_depend_on_cuts(text: str, points: list[int]) -> None:
    data = text.encode()
    whole, _ = mask(data)
    split, _ = mask(data, cuts(data, points))
    assert split == whole
    assert len(whole) == len(data)


@settings(max_examples=100, deadline=None)
@given(st.one_of(small_texts, texts), cut_points)
def test_json_masker_output_does_not_depend_on_cuts(text: str, points: list[int]) -> None:
    data = json.dumps({"a": [text, 123, {"b": text}], "n": 1.5e3}).encode()
    whole, _ = mask(data, kind="json")
    split, _ = mask(data, cuts(data, points), kind="json")
    assert split == whole
    assert json.loads(whole).keys() == {"a", "n"}
    assert len(whole) == len(data)


@settings(max_examples=150, deadline=None)
@given(st.one_of(small_texts, texts), cut_points)
def test_unmasker_output_does_not_depend_on_cuts(text: str, points: list[int]) -> None:
    original = text.encode()
    masked, masker = mask(original)
    assert unmask(masker, masked) == original
    assert unmask(masker, masked, cuts(masked, points)) == original
    one_by_one = [masked[i : i + 1] for i in range(len(masked))]
    assert unmask(masker, masked, one_by_one) == original


@settings(max_examples=100, deadline=None)
@given(texts, cut_points)
def test_json_response_restored_whatever_the_cuts(text: str, points: list[int]) -> None:
    original = text.encode()
    masked, masker = mask(original)
    reply = json.dumps({"content": [{"type": "text", "text": masked.decode()}]}).encode()
    for chunks in ([reply], cuts(reply, points)):
        out = unmask(masker, reply, chunks, "application/json")
        assert json.loads(out) == {"content": [{"type": "text", "text": text}]}


def _sse(obj: dict) -> bytes:
    return f"event: {obj['type']}\ndata: {json.dumps(obj)}\n\n".encode()


def _tool_stream(fragments: list[str]) -> bytes:
    events: list[dict] = [
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}},
        },
        *(
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": f},
            }
            for f in fragments
        ),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_stop"},
    ]
    return b"".join(_sse(e) for e in events)


def _partial_json(stream: bytes) -> str:
    got = ""
    for block in stream.split(b"\n\n"):
        if b"data: " in block:
            delta = json.loads(block.split(b"data: ", 1)[1]).get("delta", {})
            if delta.get("type") == "input_json_delta":
                got += delta["partial_json"]
    return got


@settings(max_examples=100, deadline=None)
@given(st.one_of(small_texts, texts), cut_points, cut_points)
def test_tool_input_restored_across_fragments_and_chunks(
    text: str, points: list[int], chunk_points: list[int]
) -> None:
    original = text.encode()
    masked, masker = mask(original)
    doc = json.dumps({"command": masked.decode(), "n": [1, "x"]})
    fragments = [c.decode() for c in cuts(doc.encode("ascii"), points)]  # ensure_ascii: no cut char
    stream = _tool_stream(fragments)
    for chunks in ([stream], cuts(stream, chunk_points)):
        out = unmask(masker, stream, chunks, "text/event-stream")
        assert json.loads(_partial_json(out)) == {"command": text, "n": [1, "x"]}


def test_unmasker_hold_back_is_bounded() -> None:
    instance = "i-0c9e8d7f6a5b43210"
    _, masker = mask(f"stop {instance} now".encode())
    longest = max(len(s) for s, _ in masker.pairs)
    un = masker.response(200, "text/plain", "")
    assert un is not None
    data = ("some log line without ids " * 4000).encode()
    emitted = 0
    for i in range(0, len(data), 1000):
        emitted += len(un.feed(data[i : i + 1000]))
        assert i + 1000 - emitted <= longest + 2  # only a tail that could start a surrogate
    assert emitted + len(un.finish()) == len(data)
