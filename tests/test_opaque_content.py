"""Invariant 8, signed and opaque content is untouched, through the exchange driver.

Playbooks over each adapter (HTTP/1.1 and HTTP/2 towards the client) with the real masking
pipeline and a scripted upstream, no socket: ``thinking`` and ``redacted_thinking`` blocks,
their signatures and the billing line reach the upstream byte for byte while the text beside
them is masked; in the reply, a signature that happens to carry a surrogate is passed through,
while the text is restored.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest
from support.playbook import Playbook, Request, UpstreamSaw, json_reply, sse_reply

from proxy.masking_pipeline import build_masking_pipeline
from proxy.upstream import UpstreamEvent

PROTOCOLS = ["h1", "h2"]


def fresh_instance_id() -> str:
    return "i-0" + secrets.token_hex(8)


def fresh_access_key_id() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))


@pytest.fixture
def play(tmp_path: Path) -> Playbook:
    return Playbook(build_masking_pipeline({}, tmp_path))


def conversation(iid: str, key_id: str) -> tuple[bytes, list[str]]:
    """A Messages body and the exact JSON text of its opaque parts."""
    thinking = json.dumps(
        {"type": "thinking", "thinking": f"the user owns {iid}", "signature": "c2ln" + key_id}
    )
    redacted = json.dumps({"type": "redacted_thinking", "data": "ZW5j" + iid})
    billing = json.dumps(
        {"type": "text", "text": "x-anthropic-billing-header: cc_version=1; cch=a1b2c;"}
    )
    body = (
        '{"model": "m", "max_tokens": 10, "system": [' + billing + "], "
        '"messages": [{"role": "user", "content": "stop ' + iid + '"}, '
        '{"role": "assistant", "content": [' + thinking + ", " + redacted + ", "
        '{"type": "text", "text": "Stopping ' + iid + '."}]}, '
        '{"role": "user", "content": "and ' + key_id + '"}]}'
    )
    return body.encode(), [thinking, redacted, billing]


def surrogate_in(saw: UpstreamSaw) -> str:
    return json.loads(saw.body)["messages"][0]["content"].removeprefix("stop ")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_signed_blocks_reach_the_upstream_byte_for_byte(play: Playbook, protocol: str) -> None:
    iid, key_id = fresh_instance_id(), fresh_access_key_id()
    body, opaque = conversation(iid, key_id)

    def reply(saw: UpstreamSaw) -> list[UpstreamEvent]:
        return json_reply(b'{"type": "message", "content": []}')

    seen = asyncio.run(play.exchange(protocol, Request(body, chunk=11), reply))
    assert seen.upstream is not None and seen.upstream.ended
    sent = seen.upstream.body.decode()
    assert len(sent) == len(body)
    for part in opaque:
        assert part in sent
    # Outside the opaque parts, both values are masked.
    rest = sent
    for part in opaque:
        rest = rest.replace(part, "")
    assert iid not in rest and key_id not in rest
    assert seen.client.status == 200


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_signature_in_a_reply_passes_while_text_is_restored(
    play: Playbook, protocol: str
) -> None:
    iid = fresh_instance_id()
    body = json.dumps(
        {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": f"stop {iid}"}]}
    ).encode()

    def reply(saw: UpstreamSaw) -> list[UpstreamEvent]:
        surrogate = surrogate_in(saw)
        doc = {
            "type": "message",
            "content": [
                {"type": "thinking", "thinking": "ok", "signature": "c2ln" + surrogate},
                {"type": "text", "text": f"stopped {surrogate}"},
            ],
        }
        return json_reply(json.dumps(doc).encode())

    seen = asyncio.run(play.exchange(protocol, Request(body), reply))
    assert seen.upstream is not None
    surrogate = surrogate_in(seen.upstream)
    got = json.loads(seen.client.body)["content"]
    assert got[0]["signature"] == "c2ln" + surrogate
    assert got[1]["text"] == f"stopped {iid}"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_signature_delta_in_a_stream_passes_while_text_deltas_are_restored(
    play: Playbook, protocol: str
) -> None:
    iid = fresh_instance_id()
    body = json.dumps(
        {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": f"stop {iid}"}]}
    ).encode()

    def event(name: str, data: object) -> bytes:
        return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

    def reply(saw: UpstreamSaw) -> list[object]:
        s = surrogate_in(saw)
        return sse_reply(
            [
                event("message_start", {"type": "message_start", "message": {"content": []}}),
                event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "thinking", "thinking": ""},
                    },
                ),
                event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "signature_delta", "signature": "c2ln" + s},
                    },
                ),
                event("content_block_stop", {"type": "content_block_stop", "index": 0}),
                event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 1,
                        "content_block": {"type": "text", "text": ""},
                    },
                ),
                event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 1,
                        "delta": {"type": "text_delta", "text": f"stopped {s[:5]}"},
                    },
                ),
                event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 1,
                        "delta": {"type": "text_delta", "text": s[5:]},
                    },
                ),
                event("content_block_stop", {"type": "content_block_stop", "index": 1}),
                event("message_stop", {"type": "message_stop"}),
            ]
        )

    seen = asyncio.run(play.exchange(protocol, Request(body), reply))
    assert seen.upstream is not None
    s = surrogate_in(seen.upstream)
    text = seen.client.body.decode()
    assert seen.client.complete
    assert ("c2ln" + s) in text
    deltas = [
        json.loads(line[6:])["delta"]
        for line in text.splitlines()
        if line.startswith("data: ") and "text_delta" in line
    ]
    assert "".join(d["text"] for d in deltas) == f"stopped {iid}"
