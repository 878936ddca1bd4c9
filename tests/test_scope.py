"""Invariant 6, scope: a response is unmasked only with the map built from its own request.

Playbooks through the exchange driver, once over each adapter (HTTP/1.1 and HTTP/2 towards the
client), with the real masking pipeline and a scripted upstream: no socket. One exchange
teaches the engine a value; a second exchange, whose request does not carry it, gets a reply
with the first one's surrogate, and must receive that surrogate unchanged.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import pytest
from support.playbook import Playbook, Request, UpstreamSaw, json_reply

from proxy.masking_pipeline import build_masking_pipeline
from proxy.upstream import UpstreamEvent

PROTOCOLS = ["h1", "h2"]


def fresh_instance_id() -> str:
    return "i-0" + secrets.token_hex(8)


def messages_body(text: str) -> bytes:
    doc = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": text}]}
    return json.dumps(doc).encode()


def reply_text(body: bytes) -> str:
    return json.loads(body)["content"][0]["text"]


def echo(saw: UpstreamSaw) -> list[UpstreamEvent]:
    """The upstream answers with the text of the request's last message, as the model would."""
    text = json.loads(saw.body)["messages"][-1]["content"]
    return reply_with(text)


def reply_with(text: str) -> list[UpstreamEvent]:
    doc = {"type": "message", "role": "assistant", "content": [{"type": "text", "text": text}]}
    return json_reply(json.dumps(doc).encode())


@pytest.fixture
def play(tmp_path: Path) -> Playbook:
    return Playbook(build_masking_pipeline({}, tmp_path))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_reply_is_restored_with_its_own_requests_map(play: Playbook, protocol: str) -> None:
    iid = fresh_instance_id()
    seen = asyncio.run(
        play.exchange(protocol, Request(messages_body(f"stop {iid}"), chunk=7), echo)
    )
    assert seen.upstream is not None and seen.upstream.ended
    assert iid.encode() not in seen.upstream.body
    assert seen.client.status == 200
    assert reply_text(seen.client.body) == f"stop {iid}"
    assert seen.records[0].status == 200
    assert seen.records[0].masked


@pytest.mark.parametrize(("first", "second"), [(a, b) for a in PROTOCOLS for b in PROTOCOLS])
def test_a_surrogate_from_another_exchange_is_never_restored(
    play: Playbook, first: str, second: str
) -> None:
    iid = fresh_instance_id()
    taught = asyncio.run(play.exchange(first, Request(messages_body(f"stop {iid}")), echo))
    assert taught.upstream is not None
    surrogate = json.loads(taught.upstream.body)["messages"][0]["content"].removeprefix("stop ")
    assert surrogate != iid and len(surrogate) == len(iid)

    def leak(saw: UpstreamSaw) -> list[UpstreamEvent]:
        # The model repeats the other exchange's surrogate in a reply to a request without it.
        return reply_with(f"did you mean {surrogate}?")

    other = asyncio.run(play.exchange(second, Request(messages_body("hello")), leak))
    assert other.client.status == 200
    assert reply_text(other.client.body) == f"did you mean {surrogate}?"
    assert iid.encode() not in other.client.body


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_known_value_is_masked_again_but_restored_only_where_requested(
    play: Playbook, protocol: str
) -> None:
    iid = fresh_instance_id()
    asyncio.run(play.exchange(protocol, Request(messages_body(f"the instance {iid}")), echo))
    # Bare, without the context that gave it away: known values only add masking.
    again = asyncio.run(play.exchange(protocol, Request(messages_body(iid)), echo))
    assert again.upstream is not None
    assert iid.encode() not in again.upstream.body
    assert reply_text(again.client.body) == iid
