"""A generated password keeps every printable character (``aws secretsmanager
get-random-password`` draws from letters, digits and all 32 punctuation marks, ``"`` and ``\\``
among them): masked wherever the agent's traffic carries it, and restored wherever the model
writes its surrogate back, in prose, in a command and in JSON inside a command."""

from __future__ import annotations

import json
import random
import re
import string

from engine_strategies import KEY_A, mask, tool_result_body, unmask
from hypothesis import given, settings
from hypothesis import strategies as st

from masking.engine import Engine

PUNCTUATION = string.punctuation  # what get-random-password draws besides letters and digits


@st.composite
def passwords(draw: st.DrawFn) -> str:
    """A 20-character password as get-random-password draws one, with a quote and a backslash
    among its marks (drawn from a seed: a shrunk `aaaa` would be no password)."""
    r = random.Random(draw(st.integers(0, 2**32)))
    letters = string.ascii_letters + string.digits
    rest = [r.choice(letters + PUNCTUATION) for _ in range(14)] + ['"', "\\"]
    rest += r.sample([m for m in PUNCTUATION if m not in '"\\'], 2)  # four marks at least
    r.shuffle(rest)
    # starting with letters: a value that opens with a quote is a quoted value, not this one
    return r.choice(letters) + r.choice(letters) + "".join(rest)


def _ambiguous(password: str) -> bool:
    """A backslash right before a quote, a slash, a backslash or an escape's letter: escaped
    once more, `\\"` (a backslash and a quote) reads the same as a quote escaped one depth
    further down, so the engine takes such a pair for the escape (masked all the same)."""
    return re.search(r'\\[\\"/bfnrtu]', password) is not None


def _forms(value: str) -> list[bytes]:
    """``value`` as a body may carry it: as it is and JSON-escaped one to three times."""
    forms, text = [], value
    for _ in range(4):
        forms.append(text.encode())
        text = json.dumps(text)[1:-1]
    return forms


def _leaks(body: bytes, value: str) -> list[bytes]:
    return [f for f in _forms(value) if f in body]


def _random_password_output(password: str) -> str:
    return (
        "$ aws secretsmanager get-random-password --password-length 20\n"
        + json.dumps({"RandomPassword": password}, indent=4)
        + "\n"
    )


def _rotate_command(password: str) -> str:
    return (
        "aws rds modify-db-instance --db-instance-identifier ledger "
        f"--master-user-password '{password}'"
    )


def _sse(events: list[dict[str, object]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def _reply(surrogate: str) -> bytes:
    """The model using the password it was shown: in prose, in a command, in a command's JSON."""
    command = _rotate_command(surrogate)
    secret_json = json.dumps({"password": surrogate})
    put = f"aws secretsmanager put-secret-value --secret-id ledger --secret-string '{secret_json}'"
    blocks: list[tuple[dict[str, object], dict[str, object]]] = [
        (
            {"type": "text", "text": ""},
            {"type": "text_delta", "text": f"The new password is {surrogate} ."},
        ),
        (
            {"type": "tool_use", "id": "toolu_02", "name": "Bash", "input": {}},
            {"type": "input_json_delta", "partial_json": json.dumps({"command": command})},
        ),
        (
            {"type": "tool_use", "id": "toolu_03", "name": "Bash", "input": {}},
            {"type": "input_json_delta", "partial_json": json.dumps({"command": put})},
        ),
    ]
    events: list[dict[str, object]] = []
    for i, (start, delta) in enumerate(blocks):
        events.append({"type": "content_block_start", "index": i, "content_block": start})
        events.append({"type": "content_block_delta", "index": i, "delta": delta})
        events.append({"type": "content_block_stop", "index": i})
    return _sse(events)


def _restored(stream: bytes) -> tuple[str, list[str]]:
    text, commands = "", []
    for line in stream.split(b"\n"):
        if not line.startswith(b"data: "):
            continue
        delta = json.loads(line[6:]).get("delta", {})
        text += delta.get("text", "")
        if "partial_json" in delta:
            commands.append(json.loads(delta["partial_json"])["command"])
    return text, commands


@settings(max_examples=40, deadline=None)
@given(passwords())
def test_a_generated_password_is_masked_in_a_command_output_and_restored_where_the_model_uses_it(
    password: str,
) -> None:
    engine = Engine(KEY_A)
    body = tool_result_body(_random_password_output(password))
    out, masker = mask(body, kind="messages", engine=engine)
    assert _leaks(out, password) == []
    shown = json.loads(json.loads(out)["messages"][0]["content"][0]["content"].split("\n", 1)[1])
    surrogate = shown["RandomPassword"]
    assert surrogate != password and len(surrogate) == len(password)

    if _ambiguous(password):
        return  # masked, but which escape it was cannot be told back (see _ambiguous)
    stream = unmask(masker, _reply(surrogate), content_type="text/event-stream")
    text, commands = _restored(stream)
    assert text == f"The new password is {password} ."
    assert commands[0].endswith(f"--master-user-password '{password}'")
    assert commands[1].endswith(f"--secret-string '{json.dumps({'password': password})}'")


def _anchored(password: str) -> bool:
    """Whether the engine's memory can find ``password``: it finds a known value by a run of
    letters or digits in it, two at least for a generated secret with four marks or more (a
    value without one is masked only where its context is), read as the engine reads it: a
    backslash and an escape's letter are one escape (`\\n`)."""
    return re.search(r"[A-Za-z0-9]{2}", re.sub(r'\\[\\"/bfnrtu]', " ", password)) is not None


@settings(max_examples=25, deadline=None)
@given(passwords())
def test_a_generated_password_is_masked_where_the_conversation_carries_it_next(
    password: str,
) -> None:
    # The next requests carry the value in the assistant's command (a flag names it) and in
    # the user's prose, where nothing names it: what the engine remembers masks it there.
    engine = Engine(KEY_A)
    first, _ = mask(
        tool_result_body(_random_password_output(password)), kind="messages", engine=engine
    )
    assert _leaks(first, password) == []
    command = _rotate_command(password)
    call = {"type": "tool_use", "id": "toolu_02", "name": "Bash", "input": {"command": command}}
    turns = [
        {"role": "user", "content": "Rotate the ledger database password."},
        {"role": "assistant", "content": [call]},
    ]
    out, _ = mask(
        json.dumps({"model": "m", "messages": turns}).encode(), kind="messages", engine=engine
    )
    # (a quote of the shell's own inside the password ends the single-quoted word early: the
    # command as written would not pass it whole either)
    assert _leaks(out, password) == [] or "'" in password
    prose = {"role": "user", "content": f"Done? Keep {password} in the vault."}
    out, _ = mask(
        json.dumps({"model": "m", "messages": [prose]}).encode(), kind="messages", engine=engine
    )
    assert _leaks(out, password) == [] or not _anchored(password) or _ambiguous(password)
