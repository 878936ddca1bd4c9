"""End to end with the real Claude Code CLI through maskproxy, against the fake Anthropic API.

The fake model answers turn 1 with a Bash tool call that echoes the surrogates it received;
Claude Code must run it with the originals (restored in the streamed tool input), send the
command's output back in turn 2 — masked again to the same surrogates — and end with a text
that, restored, holds the originals. The upstream must never see an original.

The CLI comes from npm (``@anthropic-ai/claude-code``), installed by ``scripts/test`` into a
cache directory; ``MASKPROXY_CLAUDE`` overrides where it is looked for.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from fake_anthropic import FakeAnthropic, ids_in, last_user_bytes

CLAUDE = Path(
    os.environ.get(
        "MASKPROXY_CLAUDE",
        Path.home() / ".cache/maskproxy-test/claude-code/node_modules/.bin/claude",
    )
)

INSTANCE = "i-07c4e1b9a2d3f5860"
ACCOUNT = "583920174635"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ops-deployer"
ACCESS_KEY = "AKIAQ3XR7TN5VW2KLM8P"
GITHUB = "ghp_" + "kP4vN8qR2sT6wY0zB3dF7hJ1mL5xC9aE2gU4"
# An account named only by the prose around it: turn 1 masks it for that context; the model
# then echoes it bare, in its text and in a Bash command, and turn 2 carries it bare in the
# assistant message, the tool input and the tool result.
BILLING_ACCOUNT = "730145298361"
ORIGINALS = [INSTANCE, ACCOUNT, ACCESS_KEY, GITHUB, "ops-deployer", BILLING_ACCOUNT]
PROMPT = (
    f"Check instance {INSTANCE} in role {ROLE_ARN}; the old key {ACCESS_KEY} "
    f"and token {GITHUB} must be rotated. Billing lives in account {BILLING_ACCOUNT}."
)
IN_ACCOUNT = re.compile(rb"in account ([0-9]{12})")


def has_tool_result(request: dict) -> bool:
    users = [m for m in request.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content") if users else None
    return isinstance(content, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    )


def model(request: dict) -> list[dict]:
    seen = ids_in(last_user_bytes(request))
    if has_tool_result(request):
        return [{"type": "text", "text": f"Done. The command printed: {' '.join(seen)}"}]
    named = IN_ACCOUNT.search(json.dumps(request["messages"][0]).encode())
    account = named.group(1).decode() if named else "none"
    return [
        {"type": "text", "text": f"Let me echo those, and {account} too."},
        {
            "type": "tool_use",
            "id": "toolu_01EchoIds",
            "name": "Bash",
            "input": {
                "command": "echo " + " ".join(seen) + " " + account,
                "description": "Echo the ids",
            },
        },
    ]


def test_claude_code_runs_real_commands_with_originals_while_the_api_sees_surrogates(
    proxy,
    upstream,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    if not CLAUDE.exists():
        pytest.fail(f"Claude Code is not installed at {CLAUDE}; run scripts/test (it installs it)")
    fake = FakeAnthropic(model)
    upstream.handler = fake
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "ANTHROPIC_API_KEY": "sk-ant-api03-dummy-key-for-tests",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "HTTPS_PROXY": proxy.url,
        "NODE_EXTRA_CA_CERTS": str(proxy.ca_path),
    }
    run = subprocess.run(
        [
            str(CLAUDE),
            "-p",
            PROMPT,
            "--output-format",
            "stream-json",
            "--verbose",
            "--allowedTools",
            "Bash",
        ],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=180,
    )
    lines = [json.loads(x) for x in run.stdout.splitlines() if x.strip().startswith(b"{")]
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]

    # two model turns went upstream, and nothing original in any byte of any request
    assert len(fake.messages) == 2, [p for p, _ in fake.bodies]
    for path, raw in fake.bodies:
        for value in ORIGINALS:
            assert value.encode() not in raw, f"{value[:6]}… reached the upstream in {path}"

    (raw1, turn1), (raw2, turn2) = fake.messages
    surrogates = ids_in(last_user_bytes(turn1))
    assert len(surrogates) >= 4
    # turn 2 resent turn 1 and the tool output: the same values got the same surrogates
    assert ids_in(last_user_bytes(turn2)) == surrogates
    tool_results = [b for b in turn2["messages"][-1]["content"] if b.get("type") == "tool_result"]
    result_text = json.dumps(tool_results)
    assert all(s in result_text for s in surrogates)
    # the billing line, when present, passes untouched
    system = turn1.get("system") or []
    if system and system[0]["text"].startswith("x-anthropic-billing-header:"):
        assert re.fullmatch(r"x-anthropic-billing-header:( [a-z_]+=[^;\s]*;)+", system[0]["text"])
        assert re.search(r" cch=[0-9a-f]+;", system[0]["text"])

    # what Claude Code saw and ran: the originals
    ran = [
        b["input"]["command"]
        for m in lines
        if m.get("type") == "assistant"
        for b in m["message"]["content"]
        if b.get("type") == "tool_use"
    ]
    assert ran and all(
        v in ran[0] for v in (INSTANCE, ROLE_ARN, ACCESS_KEY, GITHUB, BILLING_ACCOUNT)
    )
    outputs = [
        json.dumps(b.get("content"))
        for m in lines
        if m.get("type") == "user"
        for b in m["message"]["content"]
        if b.get("type") == "tool_result"
    ]
    assert outputs and all(
        v in outputs[0] for v in (INSTANCE, ROLE_ARN, ACCESS_KEY, GITHUB, BILLING_ACCOUNT)
    )
    # turn 2 carried the bare account in the assistant text, the Bash input and the tool
    # result; it went out masked, to the surrogate turn 1 gave it
    account_surrogate = IN_ACCOUNT.search(json.dumps(turn1["messages"][0]).encode())
    assert account_surrogate is not None
    assert raw2.count(account_surrogate.group(1)) >= 4
    final = [m for m in lines if m.get("type") == "result"]
    assert final and all(v in final[-1]["result"] for v in (INSTANCE, ACCESS_KEY, GITHUB))
