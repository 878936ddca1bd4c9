"""The Messages codec: what is masked, what passes byte for byte (DESIGN invariants 1, 3, 6, 8)."""

from __future__ import annotations

import json

import pytest
from engine_strategies import mask, unmask

from masking.engine import Refused, RequestMasker

KEY = bytes(range(32))
ID = "i-0abc123def4567890"
ID2 = "vol-12345678"
AK = "AKIAQWERTYUIOPASDFGH"


def mask_body(doc: object | bytes, key: bytes = KEY, chunk: int = 7) -> tuple[bytes, RequestMasker]:
    """A Messages request body masked by a fresh engine, fed ``chunk`` bytes at a time."""
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    out, masker = mask(data, chunks, key=key, kind="messages")
    assert len(out) == len(data)
    return out, masker


def surrogate_of(masker: RequestMasker, original: str) -> str:
    return next(s for s, o in masker.pairs if o == original.encode()).decode()


def request() -> dict:
    return {
        "model": "claude-x",
        "max_tokens": 100,
        "metadata": {"user_id": f"user_{ID}"},
        "system": [
            {"type": "text", "text": f"x-anthropic-billing-header: cc_version=1; cch={ID2};"},
            {"type": "text", "text": f"You manage {ID}.", "cache_control": {"type": "ephemeral"}},
        ],
        "tools": [{"name": "Bash", "description": f"runs on {ID2}", "input_schema": {}}],
        "messages": [
            {"role": "user", "content": f"stop {ID} and rotate {AK}"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "thinking",
                        "thinking": f"the user owns {ID}",
                        "signature": "c2ln" + AK,
                    },
                    {"type": "redacted_thinking", "data": "ZW5j" + ID},
                    {"type": "text", "text": f"Stopping {ID}."},
                    {
                        "type": "tool_use",
                        "id": "toolu_01",
                        "name": "Bash",
                        "input": {"command": f"aws ec2 stop-instances --instance-ids {ID}"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_01",
                        "content": json.dumps({"StoppingInstances": [{"InstanceId": ID}]}),
                    },
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": "iVBOR" + AK,
                        },
                    },
                ],
            },
        ],
    }


def test_text_fields_are_masked_and_opaque_fields_pass_byte_for_byte() -> None:
    doc = request()
    out, _ = mask_body(doc)
    masked = json.loads(out)
    text = out.decode()
    # nothing recognized leaves from text fields ...
    assert masked["system"][1]["text"].count(ID) == 0
    assert (
        ID not in masked["messages"][0]["content"]
        and AK[4:] not in masked["messages"][0]["content"]
    )
    assert ID not in masked["messages"][1]["content"][2]["text"]
    assert ID not in masked["messages"][1]["content"][3]["input"]["command"]
    assert ID not in masked["messages"][2]["content"][0]["content"]
    assert ID2 not in masked["tools"][0]["description"]
    # ... while signed, opaque and configuration content is untouched
    assert masked["messages"][1]["content"][0] == doc["messages"][1]["content"][0]
    assert masked["messages"][1]["content"][1] == doc["messages"][1]["content"][1]
    assert masked["messages"][2]["content"][1] == doc["messages"][2]["content"][1]
    assert masked["system"][0] == doc["system"][0]
    assert masked["metadata"] == doc["metadata"]
    assert masked["messages"][1]["content"][3]["id"] == "toolu_01"
    assert text.count('"thinking", "thinking": "the user owns ' + ID) == 1


def test_thinking_fields_are_opaque_whatever_the_member_order() -> None:
    block = f'{{"signature": "c2ln{AK}", "thinking": "about {ID}", "type": "thinking"}}'
    body = f'{{"messages": [{{"role": "assistant", "content": [{block}]}}]}}'.encode()
    out, _ = mask_body(body)
    assert block.encode() in out


def test_unknown_block_types_are_masked_except_opaque_fields() -> None:
    block = {
        "type": "future_block",
        "text": f"on {ID}",
        "signature": "s" + AK,
        "encrypted_blob": ID,
        "widget_id": ID,
        "data": ID,
    }
    out, _ = mask_body({"messages": [{"role": "user", "content": [block]}]})
    got = json.loads(out)["messages"][0]["content"][0]
    assert ID not in got["text"]
    for field in ("signature", "encrypted_blob", "widget_id", "data"):
        assert got[field] == block[field]


def test_text_document_sources_are_masked_but_base64_sources_are_not() -> None:
    doc = {
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": ID},
                    },
                    {
                        "type": "document",
                        "source": {"type": "base64", "media_type": "application/pdf", "data": ID},
                    },
                ],
            }
        ]
    }
    got = json.loads(mask_body(doc)[0])["messages"][0]["content"]
    assert got[0]["source"]["data"] != ID
    assert got[1]["source"]["data"] == ID


def test_numbers_and_literals_pass_unchanged() -> None:
    doc = {
        "max_tokens": 123456789012,
        "stream": True,
        "temperature": 0.5,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    }
    out, _ = mask_body(doc)
    assert json.loads(out) == doc


@pytest.mark.parametrize(
    "body",
    [
        b'{"messages": [}',
        b'{"a": 1,}',
        b'{"a" 1}',
        b"[1 2]",
        b'{"a": "x\x01"}',
        b'{"a": tru}',
        b'{"a": 01}',
        b'{"a": 1} x',
        b'{"a": "\\q"}',
        b'{"a": 1',
    ],
)
def test_malformed_json_fails_closed(body: bytes) -> None:
    with pytest.raises(Refused) as err:
        mask_body(body)
    assert (err.value.status, err.value.error_type) == (400, "invalid_request_error")
    assert "JSON" in err.value.message


def test_same_key_same_bytes_other_key_other_bytes() -> None:
    a, _ = mask_body(request())
    b, _ = mask_body(request(), chunk=1000)
    c, _ = mask_body(request(), key=bytes(32))
    assert a == b
    assert a != c


def test_a_resent_conversation_masks_its_prefix_to_identical_bytes() -> None:
    turn1 = request()
    turn2 = request()
    turn2["messages"].append(
        {"role": "assistant", "content": f"done with {ID} and i-0fedcba9876543210"}
    )
    a, _ = mask_body(turn1)
    b, _ = mask_body(turn2)
    prefix = json.dumps(turn1).encode()[:-2]  # up to the end of the messages list
    assert b[: len(prefix)] == a[: len(prefix)]


def sse(name: str, obj: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(obj)}\n\n".encode()


def test_sse_unmasker_restores_text_and_tool_input_cut_anywhere() -> None:
    _, masker = mask_body(request())
    sid = "i-" + surrogate_of(masker, ID[2:])
    text = f"I stopped {sid} and {sid}."
    tool = json.dumps({"command": f"aws ec2 start-instances --instance-ids {sid}"})
    thinking = f"the surrogate {sid} stays"
    for cut in range(1, len(text)):
        events = [
            sse("message_start", {"type": "message_start", "message": {"id": "msg_1"}}),
            sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "thinking", "thinking": ""},
                },
            ),
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": thinking},
                },
            ),
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "signature_delta", "signature": sid},
                },
            ),
            sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
            sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 1,
                    "content_block": {"type": "text", "text": ""},
                },
            ),
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "text_delta", "text": text[:cut]},
                },
            ),
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "text_delta", "text": text[cut:]},
                },
            ),
            sse("content_block_stop", {"type": "content_block_stop", "index": 1}),
            sse(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 2,
                    "content_block": {
                        "type": "tool_use",
                        "id": "toolu_2",
                        "name": "Bash",
                        "input": {},
                    },
                },
            ),
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 2,
                    "delta": {"type": "input_json_delta", "partial_json": tool[: cut % len(tool)]},
                },
            ),
            sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 2,
                    "delta": {"type": "input_json_delta", "partial_json": tool[cut % len(tool) :]},
                },
            ),
            sse("content_block_stop", {"type": "content_block_stop", "index": 2}),
            sse("message_stop", {"type": "message_stop"}),
        ]
        raw = b"".join(events)
        chunks = [raw[i : i + 5] for i in range(0, len(raw), 5)]
        out = unmask(masker, raw, chunks, "text/event-stream")
        # the thinking block comes back byte for byte
        assert b"".join(events[1:5]) in out
        got_text, got_tool = "", ""
        for block in out.split(b"\n\n"):
            if b"data: " not in block:
                continue
            obj = json.loads(block.split(b"data: ", 1)[1])
            delta = obj.get("delta", {})
            if delta.get("type") == "text_delta":
                got_text += delta["text"]
            if delta.get("type") == "input_json_delta":
                got_tool += delta["partial_json"]
        assert got_text == f"I stopped {ID} and {ID}."
        assert json.loads(got_tool) == {"command": f"aws ec2 start-instances --instance-ids {ID}"}


def test_sse_events_go_out_as_soon_as_they_may() -> None:
    _, masker = mask_body(request())
    un = masker.response(200, "text/event-stream")
    assert un is not None
    start = sse(
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    )
    assert un.feed(start) == start
    plain = sse(
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": "Hello there. "},
        },
    )
    assert un.feed(plain) == plain  # no tail that could begin a surrogate: passes at once


def test_a_response_is_unmasked_only_with_its_own_map() -> None:
    _, mine = mask_body(request())
    _, other = mask_body({"messages": [{"role": "user", "content": "i-0999999999999999f"}]})
    foreign = surrogate_of(other, "0999999999999999f")
    text = f"i-{foreign} stays masked".encode()
    assert unmask(mine, text) == text
    assert unmask(other, text) == b"i-0999999999999999f stays masked"


def test_json_response_bodies_are_restored_in_their_escaped_form() -> None:
    _, masker = mask_body(request())
    surrogate = surrogate_of(masker, ID[2:])
    body = json.dumps({"content": [{"type": "text", "text": f"ok i-{surrogate}\n"}]}).encode()
    chunks = [body[i : i + 3] for i in range(0, len(body), 3)]
    out = unmask(masker, body, chunks, "application/json")
    assert json.loads(out)["content"][0]["text"] == f"ok {ID}\n"
