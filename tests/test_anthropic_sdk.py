"""End to end with the Anthropic Python SDK: its httpx client through maskproxy over real TLS
to a fake Anthropic API that records every byte and repeats the surrogates it saw.

DESIGN invariants 1 (nothing recognized leaves), 4 (determinism: a resent turn masks to the
same bytes), 5 (round trip: the SDK gets the originals back, in text and in tool input),
6 (scope) and 8 (thinking blocks, signatures and images pass byte for byte).
"""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator

import anthropic
import httpx2
import pytest
from fake_anthropic import FakeAnthropic, ids_in, last_user_bytes

from masking.engine import Engine
from masking.keyfile import load_or_create_key

INSTANCE = "i-0f3a9c27b81d4e605"
VOLUME = "vol-0b6e2d4f19a3c8571"
ACCESS_KEY = "AKIAZ7QX4M2PLW9RTYUV"
GITHUB = "ghp_" + "R8sLq2ZxW4nT7vKp1mYc9dHf3gJb6eNa0uXo"
ROLE_ARN = "arn:aws:iam::491827365012:role/deploy-prod"
ORIGINALS = [INSTANCE, VOLUME, ACCESS_KEY, GITHUB, "491827365012"]

# The model's earlier thinking: it only ever saw surrogates, which have the shapes of real
# values, so a masker that looked inside would rewrite them and break the signature.
SEEN_ID = "i-0d15c0ffee0ddba11"
SEEN_KEY = "AKIAXXSURROGATEXXXXX"
THINKING = {
    "type": "thinking",
    "thinking": f"The user wants {SEEN_ID} stopped; key {SEEN_KEY} is old.",
    "signature": "EqQBCkgIBRABGAIiQL" + SEEN_KEY + "x9/+==",
}
IMAGE_DATA = base64.b64encode(b"\x89PNG\r\n\x1a\n" + ACCESS_KEY.encode() * 40).decode()


def reply_script(request: dict) -> list[dict]:
    """The fake model: think, then say and run what it saw in the last user turn."""
    seen = ids_in(last_user_bytes(request))
    return [
        {"type": "thinking", "thinking": f"I saw {' '.join(seen)}", "signature": "c2lnbmVk"},
        {"type": "text", "text": f"Seen: {' '.join(seen)}."},
        {
            "type": "tool_use",
            "id": "toolu_01Fake",
            "name": "run",
            "input": {"command": f"echo {' '.join(seen)}", "ids": seen},
        },
    ]


@pytest.fixture
def fake(upstream) -> FakeAnthropic:  # type: ignore[no-untyped-def]
    fake = FakeAnthropic(reply_script)
    upstream.handler = fake
    return fake


@pytest.fixture
def client(proxy) -> Iterator[tuple[anthropic.Anthropic, list[bytes]]]:  # type: ignore[no-untyped-def]
    sent: list[bytes] = []

    def record(request: httpx2.Request) -> None:
        if request.method == "POST":
            sent.append(request.read())

    http = httpx2.Client(
        proxy=proxy.url,
        verify=ssl.create_default_context(cafile=str(proxy.ca_path)),
        timeout=30,
        event_hooks={"request": [record]},
    )
    yield anthropic.Anthropic(api_key="sk-ant-api03-dummy", http_client=http, max_retries=0), sent
    http.close()


def conversation() -> list[dict]:
    return [
        {"role": "user", "content": f"Stop {INSTANCE}, detach {VOLUME}, assume {ROLE_ARN}."},
        {"role": "assistant", "content": [THINKING, {"type": "text", "text": "On it."}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": f"Also rotate {ACCESS_KEY} and revoke {GITHUB}."},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": IMAGE_DATA},
                },
            ],
        },
    ]


def tools() -> list[dict]:
    return [
        {
            "name": "run",
            "description": "Run a shell command",
            "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
        }
    ]


def assert_nothing_original(raw: bytes) -> None:
    for value in [*ORIGINALS, "deploy-prod"]:
        assert value.encode() not in raw, f"{value[:6]}… reached the upstream"


def test_sdk_stream_masks_upstream_and_restores_text_and_tool_input(fake, client) -> None:  # type: ignore[no-untyped-def]
    sdk, sent = client
    with sdk.messages.stream(
        model="claude-test",
        max_tokens=512,
        messages=conversation(),
        tools=tools(),
        system="You run ops for account 491827365012.",
    ) as s:
        text_events = [e.text for e in s if e.type == "text"]
        final = s.get_final_message()

    ((raw, received),) = fake.messages
    assert_nothing_original(raw)
    assert len(raw) == len(sent[0])  # masked in place, Content-Length unchanged

    surrogates = ids_in(last_user_bytes(received))
    assert len(surrogates) >= 2 and not set(surrogates) & set(ORIGINALS)

    # the SDK sees originals, in text (streamed in tiny deltas) and in the parsed tool input
    text = next(b for b in final.content if b.type == "text").text
    assert ACCESS_KEY in text and GITHUB in text
    assert "".join(text_events) == text
    tool = next(b for b in final.content if b.type == "tool_use")
    assert ACCESS_KEY in tool.input["command"] and GITHUB in tool.input["ids"]
    # the model's thinking comes back byte for byte, surrogates and all
    thinking = next(b for b in final.content if b.type == "thinking")
    assert thinking.thinking == f"I saw {' '.join(surrogates)}"

    # the thinking block and the image went up exactly as the SDK sent them
    assert received["messages"][1]["content"][0] == THINKING
    assert json.dumps(THINKING["signature"]).encode() in raw
    assert received["messages"][2]["content"][1]["source"]["data"] == IMAGE_DATA


def test_sdk_non_streaming_json_response_is_restored(fake, client) -> None:  # type: ignore[no-untyped-def]
    sdk, _ = client
    msg = sdk.messages.create(model="claude-test", max_tokens=64, messages=conversation())
    ((raw, _),) = fake.messages
    assert_nothing_original(raw)
    text = next(b for b in msg.content if b.type == "text").text
    assert ACCESS_KEY in text and GITHUB in text


def test_a_turn_resent_with_more_history_masks_its_prefix_identically(fake, client) -> None:  # type: ignore[no-untyped-def]
    sdk, sent = client
    turn1 = conversation()
    sdk.messages.create(model="claude-test", max_tokens=64, messages=turn1)
    turn2 = turn1 + [
        {"role": "assistant", "content": f"Stopped {INSTANCE}."},
        {"role": "user", "content": f"Now snapshot {VOLUME}."},
    ]
    sdk.messages.create(model="claude-test", max_tokens=64, messages=turn2)
    (up1, parsed1), (up2, parsed2) = fake.messages
    assert_nothing_original(up1 + up2)
    # what the SDK sent shares a prefix; what the API received shares one at least as long
    sent_common = len(_common_prefix(sent[0], sent[1]))
    assert sent_common > len(json.dumps(turn1[0]))
    assert len(_common_prefix(up1, up2)) >= sent_common
    assert parsed2["messages"][: len(turn1)] == parsed1["messages"]


def test_count_tokens_is_masked(fake, client) -> None:  # type: ignore[no-untyped-def]
    sdk, _ = client
    got = sdk.messages.count_tokens(model="claude-test", messages=conversation())
    assert got.input_tokens > 0
    ((path, raw),) = fake.bodies
    assert path == "/v1/messages/count_tokens"
    assert_nothing_original(raw)
    assert json.loads(raw)["messages"][1]["content"][0] == THINKING


def _common_prefix(a: bytes, b: bytes) -> bytes:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


def _tool_output(n: int) -> str:
    """An AWS-CLI-like listing with distinct instance ids, about 200 bytes per line."""
    return "\n".join(
        f"INSTANCES  i-0{k:016x}  running  10.{k % 250}.{k % 7}.{k % 200 + 1}  {'x' * 120}"
        for k in range(n)
    )


def test_a_long_conversation_resent_masks_to_the_same_bytes_as_the_engine(  # type: ignore[no-untyped-def]
    fake, client, proxy
) -> None:
    """Turn 2 resends turn 1's 300 KB and adds a turn: what the API receives is byte for byte
    the engine's masking of the body the client sent, and turn 1's part of it is byte for
    byte what turn 1 sent (the prompt cache stays warm)."""
    sdk, sent = client
    turn1 = conversation() + [
        {"role": "assistant", "content": "Listing."},
        {"role": "user", "content": _tool_output(1500)},
    ]
    sdk.messages.create(model="claude-test", max_tokens=64, messages=turn1)
    turn2 = turn1 + [
        {"role": "assistant", "content": "Stopping the first."},
        {"role": "user", "content": f"Done with {INSTANCE}; now i-0aaaabbbbccccdddd1."},
    ]
    sdk.messages.create(model="claude-test", max_tokens=64, messages=turn2)
    up1, up2 = fake.messages[-2][0], fake.messages[-1][0]
    assert_nothing_original(up2)
    engine = Engine(load_or_create_key(proxy.state_dir))
    assert up2 == engine.mask(sent[1], "messages").body
    shared = len(_common_prefix(sent[0], sent[1]))
    assert shared > 250_000
    assert up2[:shared] == up1[:shared]


def test_telemetry_batches_are_masked_like_any_json(fake, proxy) -> None:  # type: ignore[no-untyped-def]
    """A body posted twice to another endpoint (a telemetry batch) is masked each time, to
    the same bytes."""
    body = json.dumps({"events": [{"note": f"instance {INSTANCE} " + "x" * 40_000}]}).encode()
    http = httpx2.Client(
        proxy=proxy.url, verify=ssl.create_default_context(cafile=str(proxy.ca_path)), timeout=30
    )
    for _ in range(2):
        got = http.post(
            "https://api.anthropic.com/api/event_logging/v2/batch",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert got.status_code < 500
    http.close()
    sent = [raw for path, raw in fake.bodies if path.startswith("/api/event_logging")]
    assert len(sent) == 2 and sent[0] == sent[1] and INSTANCE.encode() not in sent[0]
