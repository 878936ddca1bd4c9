"""A file as Claude Code's `Read` tool shows it: each line numbered (`     12→`), and as a grep
shows its lines (`grep -rn`, the `Grep` tool: `path:12:` before each), in a tool result of a
Messages request. Every value the engine masks in the file's own text is masked there too (the
prefix must not hide a line's start), and the request round-trips."""

from __future__ import annotations

import pytest
from engine_strategies import mask, unmask
from engine_strategies import tool_result_body as tool_result

from masking.engine import Engine

FILES = {
    "~/.aws/config": (
        "[default]\nregion = us-east-1\n\n[profile ledger-prod]\n"
        "sso_session = tallyco-sso\nsso_account_id = 730194625813\n"
        "sso_role_name = LedgerDeployer\n"
    ),
    "~/.ssh/config": (
        "Host ledger-bastion\n    HostName 10.20.0.5\n    User ec2-user\n"
        "    IdentityFile ~/.ssh/ledger.pem\n"
    ),
    "secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ledger-db\n  namespace: payments\n"
        "data:\n  password: UTdtWHc5THBUNHZSMnpL\n"
    ),
    ".env": (
        "ORDERS_TABLE=ledger-orders-prod\nAWS_PROFILE=tallyco-admin\n"
        "DB_HOST=ledger-db.c9akciq32.us-east-1.rds.amazonaws.com\n"
    ),
    "inventory.ini": (
        "[billing]\nbilling-worker-01 ansible_host=10.20.4.17\nbastion ansible_host=10.20.0.5\n"
    ),
    "main.tf": (
        'resource "aws_instance" "web" {\n  tags = {\n    Name  = "ledger-web-2"\n'
        '    Owner = "Priya Ramaswamy"\n  }\n}\n'
    ),
}


def numbered(text: str) -> str:
    """``text`` as the `Read` tool shows it."""
    return "\n".join(f"{i:>6}\u2192{line}" for i, line in enumerate(text.split("\n"), 1))


def grepped(text: str, path: str) -> str:
    """``text`` as ``grep -rn -C1`` shows its lines: odd lines matching (``path:12:``), even
    ones context (``path-12-``)."""
    lines = text.split("\n")
    return "\n".join(
        f"{path}{sep}{i}{sep}{line}"
        for i, line in enumerate(lines, 1)
        for sep in [":" if i % 2 else "-"]
    )


def masked_values(data: bytes, kind: str) -> set[bytes]:
    return {data[f.start : f.end] for f in Engine(bytes(32)).scan(data, kind)}


@pytest.mark.parametrize("name", list(FILES))
def test_a_file_read_numbered_masks_what_the_file_masks(name: str) -> None:
    text = FILES[name]
    want = masked_values(text.encode(), "text")
    assert want, f"{name}: the file itself masks nothing"
    body = tool_result(numbered(text))
    assert masked_values(body, "messages") == want
    out, masker = mask(body, kind="messages")
    for value in want:
        assert value not in out, f"{name}: {value[:4]!r}… left unmasked"
    assert unmask(masker, out) == body


@pytest.mark.parametrize("name", list(FILES))
def test_a_file_grepped_masks_what_the_file_masks(name: str) -> None:
    text = FILES[name]
    want = masked_values(text.encode(), "text")
    path = "deploy/" + name.lstrip("~/").replace("/", "-")
    body = tool_result(grepped(text, path))
    assert masked_values(body, "messages") == want
    out, masker = mask(body, kind="messages")
    for value in want:
        assert value not in out, f"{name}: {value[:4]!r}… left unmasked"
    assert unmask(masker, out) == body
