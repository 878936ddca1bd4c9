"""DESIGN invariant 5: no false restoration. A surrogate never equals an original of its
exchange or a value the request carries unmasked, and the unmasker rewrites only surrogates
issued for this exchange — so text the model writes on its own (``10.0.0.1``, ``line 177``)
comes back as it was written."""

from __future__ import annotations

import ipaddress
import json
import random

from engine_strategies import KEY_A, mask, sensitive, texts, unmask
from hypothesis import given, settings
from hypothesis import strategies as st

from masking.engine import Engine
from masking.rules import RuleConfig

COMMON_ADDRESSES = [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.10",
    "10.0.1.1",
    "10.1.1.1",
    "172.16.0.1",
    "192.168.0.1",
    "192.168.1.1",
    "192.168.1.100",
]


def surrogate_of(pairs: list[tuple[bytes, bytes]], original: str) -> str:
    (sur,) = [s for s, o in pairs if o == original.encode()]
    return sur.decode()


def test_an_allowlisted_address_is_never_a_surrogate_nor_restored() -> None:
    engine = Engine(KEY_A, RuleConfig(allowlist=("10.0.0.1",)))
    text = "bastion 10.0.0.1, db 10.0.0.2"
    out, masker = mask(text.encode(), engine=engine)
    assert out.startswith(b"bastion 10.0.0.1, db ")
    sur = surrogate_of(masker.pairs, "10.0.0.2")
    assert sur not in ("10.0.0.1", "10.0.0.2")
    assert unmask(masker, out) == text.encode()
    # the model writes the bastion's address: it comes back as it is
    assert unmask(masker, b"10.0.0.1") == b"10.0.0.1"
    assert unmask(masker, b"ssh 10.0.0.1 then " + sur.encode()) == b"ssh 10.0.0.1 then 10.0.0.2"


def test_a_model_written_address_is_not_rewritten() -> None:
    # each exchange masks one private address; the model then writes common addresses of its
    # own: none of them may come back as the masked address
    reply = " ".join(COMMON_ADDRESSES).encode()
    for last in range(2, 60):
        original = f"10.0.0.{last}"
        out, masker = mask(f"db {original} is down".encode())
        sur = surrogate_of(masker.pairs, original)
        assert sur in out.decode()
        assert unmask(masker, reply) == reply, (original, sur)
        # while the surrogate it issued is restored
        assert unmask(masker, f"restart {sur} now".encode()) == f"restart {original} now".encode()


NUMBERS = " ".join(f"line {n}," for n in range(100, 1000)).encode()


def test_a_three_digit_number_in_the_reply_is_never_rewritten() -> None:
    # an exchange that masked values of many built-in types
    body = "\n".join(sensitive(seed) for seed in range(60)).encode()
    out, masker = mask(body)
    assert masker.counts
    assert unmask(masker, NUMBERS) == NUMBERS
    assert unmask(masker, out) == body


def test_a_three_digit_number_is_never_rewritten_even_after_a_user_regex_matched_one() -> None:
    # a three-digit surrogate (142 -> 177) would rewrite the model's own "line 177": a value
    # with so small a space is not masked (issue 12), whoever asked for it
    engine = Engine(KEY_A, RuleConfig(regexes=(("room", r"[0-9]{3}"),)))
    _, masker = mask(b"meet in room 142 at noon", engine=engine)
    assert unmask(masker, NUMBERS) == NUMBERS


def test_a_surrogate_right_after_an_escape_in_a_json_response_is_restored() -> None:
    ip, acct = "10.44.3.21", "730194625813"
    text = f"db {ip}\nOwnerId: {acct}\n"
    _, masker = mask(text.encode())
    s_ip, s_acct = surrogate_of(masker.pairs, ip), surrogate_of(masker.pairs, acct)
    said = f"Found:\n{s_ip}\t{s_acct}\n\t{s_acct}\r\n{s_ip}"
    reply = json.dumps({"content": [{"type": "text", "text": said}]}).encode()
    assert b"\\n" + s_ip.encode() in reply and b"\\t" + s_acct.encode() in reply
    out = json.loads(unmask(masker, reply, content_type="application/json"))
    assert out["content"][0]["text"] == f"Found:\n{ip}\t{acct}\n\t{acct}\r\n{ip}"
    # and in a streamed text delta
    delta = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": said},
    }
    start = {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "text", "text": ""},
    }
    stream = b"".join(
        f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode()
        for e in (start, delta, {"type": "content_block_stop", "index": 0})
    )
    got = unmask(masker, stream, content_type="text/event-stream")
    events = [json.loads(b.split(b"data: ", 1)[1]) for b in got.split(b"\n\n") if b"data: " in b]
    text = "".join(e["delta"]["text"] for e in events if e["type"] == "content_block_delta")
    assert text == f"Found:\n{ip}\t{acct}\n\t{acct}\r\n{ip}"


@settings(max_examples=100, deadline=None)
@given(texts)
def test_a_surrogate_never_equals_an_original_of_the_exchange(text: str) -> None:
    _, masker = mask(text.encode())
    originals = {o for _, o in masker.pairs}
    surrogates = {s for s, _ in masker.pairs}
    assert len(surrogates) == len(masker.pairs)  # one original per surrogate
    assert not surrogates & originals


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=50, max_size=300))
def test_no_surrogate_equals_an_original_among_many_values(seeds: list[int]) -> None:
    body = "\n".join(sensitive(seed) for seed in seeds).encode()
    out, masker = mask(body)
    originals = {o for _, o in masker.pairs}
    surrogates = {s for s, _ in masker.pairs}
    assert len(surrogates) == len(masker.pairs)
    assert not surrogates & originals
    assert unmask(masker, out) == body


private = st.builds(
    lambda a, b, c: f"10.{a}.{b}.{c}",
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(1, 12),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(private, min_size=2, max_size=40, unique=True), st.integers(0, 2**32))
def test_a_surrogate_never_equals_a_value_the_request_carries_unmasked(
    addresses: list[str], seed: int
) -> None:
    # half the addresses are allowlisted (carried unmasked), half are masked; the space is
    # small, so a draw that ignored what the body holds would hit one of them
    r = random.Random(seed)
    kept = {a for a in addresses if r.random() < 0.5}
    engine = Engine(KEY_A, RuleConfig(allowlist=tuple(sorted(kept))))
    body = "\n".join(f"host {a} up" for a in addresses).encode()
    out, masker = mask(body, engine=engine)
    originals = {o.decode() for _, o in masker.pairs}
    surrogates = {s.decode() for s, _ in masker.pairs}
    assert originals == set(addresses) - kept
    assert not surrogates & set(addresses)
    for s in surrogates:  # private stays private
        address = ipaddress.ip_address(s)
        assert address.is_private or address in ipaddress.ip_network("100.64.0.0/10")
    assert unmask(masker, out) == body
    reply = " ".join(sorted(kept)).encode()
    assert unmask(masker, reply) == reply


def test_known_values_never_widen_what_a_response_restores() -> None:
    # DESIGN invariant 6: a response is restored with its own request's map only; what the
    # engine remembers from earlier requests masks more, it never restores more
    engine = Engine(KEY_A)
    first, first_masker = mask(b"Account: 730194625813 and i-0c9e8d7f6a5b43210", engine=engine)
    surrogates = [s for s, _ in first_masker.pairs]
    assert len(surrogates) == 2
    reply = b" ".join(surrogates) + b" and " + first
    _, second = mask(b"an unrelated question about db 10.44.3.21", engine=engine)
    assert len(second.pairs) == 1  # its own map: the address only
    assert unmask(second, reply) == reply
    assert unmask(first_masker, reply) != reply


def test_an_allowlisted_value_stays_in_every_request() -> None:
    engine = Engine(KEY_A, RuleConfig(allowlist=("730194625813",)))
    text = b'"OwnerId": "730194625813", "Account": "480116523007"'
    out, masker = mask(text, engine=engine)
    assert b"730194625813" in out and b"480116523007" not in out
    assert {o for _, o in masker.pairs} == {b"480116523007"}
    later = b"730194625813 and 480116523007"
    out, _ = mask(later, engine=engine)
    assert out.startswith(b"730194625813 and ") and b"480116523007" not in out


def test_a_disabled_type_is_masked_nowhere() -> None:
    engine = Engine(KEY_A, RuleConfig(disabled=frozenset({"aws_account_id"})))
    text = b'"OwnerId": "730194625813" then 730194625813 and arn:aws:iam::730194625813:role/x-y'
    out, masker = mask(text, engine=engine)
    assert out.count(b"730194625813") == 3
    assert "aws_account_id" not in masker.counts


def _volume_body(rng: random.Random) -> str:
    """Eight hex digits with three letters or more: a volume id's body, remembered once seen
    (a value that could be a plain number is not)."""
    while True:
        body = "".join(rng.choice("0123456789abcdef") for _ in range(8))
        if sum(c.isalpha() for c in body) >= 3:
            return body


def _sse_events(events: list[dict]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def _tool_input_of(stream: bytes) -> str:
    deltas = [json.loads(b.split(b"data: ", 1)[1]) for b in stream.split(b"\n\n") if b"data: " in b]
    return "".join(
        e["delta"]["partial_json"]
        for e in deltas
        if e.get("delta", {}).get("type") == "input_json_delta"
    )


def test_a_surrogate_after_a_literal_backslash_escape_comes_back_as_it_was_masked() -> None:
    # A text holding a real backslash then `n` (a command, JSON quoted in a message): the masker
    # reads `\n` as an escape, so the value right after it is masked there; every reply that
    # carries the masked text back restores it there too, whatever the escaping depth.
    body = _volume_body(random.Random(8))
    for letter in "ntrbf":
        text = f"vol-{body}\\{letter}{body} \\\\{letter}{body} \\u0041{body}"
        masked, masker = mask(text.encode())
        assert body.encode() not in masked
        # as text, and as the text of a JSON reply
        assert unmask(masker, masked, content_type="text/plain") == text.encode()
        reply = json.dumps({"content": [{"type": "text", "text": masked.decode()}]}).encode()
        out = json.loads(unmask(masker, reply, content_type="application/json"))
        assert out["content"][0]["text"] == text
        # as JSON text inside a JSON string (a tool result holding `--output json`)
        inner = json.dumps({"Command": masked.decode()})
        reply = json.dumps({"content": [{"type": "text", "text": inner}]}).encode()
        out = json.loads(unmask(masker, reply, content_type="application/json"))
        assert json.loads(out["content"][0]["text"]) == {"Command": text}
        # as a tool input streamed in fragments
        doc = json.dumps({"command": masked.decode()})
        stream = _sse_events(
            [
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "Bash",
                        "input": {},
                    },
                },
                *(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "input_json_delta", "partial_json": doc[i : i + 7]},
                    }
                    for i in range(0, len(doc), 7)
                ),
                {"type": "content_block_stop", "index": 0},
            ]
        )
        got = unmask(masker, stream, content_type="text/event-stream")
        assert json.loads(_tool_input_of(got)) == {"command": text}


def test_a_surrogate_glued_to_a_letter_that_is_no_escape_stays() -> None:
    body = _volume_body(random.Random(9))
    masked, masker = mask(f"vol-{body}".encode())
    surrogate = masked.decode()[4:]
    said = f"\\x{surrogate} n{surrogate} \\u00z{surrogate}"
    assert unmask(masker, said.encode(), content_type="text/plain") == said.encode()
    reply = json.dumps({"content": [{"type": "text", "text": said}]}).encode()
    out = json.loads(unmask(masker, reply, content_type="application/json"))
    assert out["content"][0]["text"] == said
