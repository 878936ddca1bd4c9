"""Text two JSON escaping depths down: a command prints JSON whose strings hold text (a
CloudFormation template's YAML body, a ConfigMap's nginx.conf, a log event's JSON message, an
API Gateway event's body), and the agent's tool result holds that JSON. Every value the engine
masks in the text itself is masked there too, the masked body is still JSON of the same length,
and the request round-trips."""

from __future__ import annotations

import json

import pytest
from engine_strategies import mask, unmask
from engine_strategies import tool_result_body as tool_result

from masking.engine import Engine

TEMPLATE = (
    "AWSTemplateFormatVersion: '2010-09-09'\n"
    "Parameters:\n"
    "  DbUrl:\n"
    "    Type: 'AWS::SSM::Parameter::Value<String>'\n"
    "    Default: /ledger/prod/db-url\n"
    "Resources:\n"
    "  Api:\n"
    "    Type: AWS::EC2::Instance\n"
    "    Properties:\n"
    "      KeyName: deploy-keypair-q7\n"
    "      Tags:\n"
    "      - Key: Name\n"
    "        Value: ledger-api-blue-7\n"
    "      - Key: Owner\n"
    "        Value: Priya Ramaswamy\n"
)

NGINX = (
    "server {\n\tlisten 443 ssl;\n"
    "\tserver_name\tbilling-admin.ledgerline.io\tbilling.ledgerline.io;\n"
    "\tproxy_pass http://10.20.4.17:8080;\n}\n"
)

LOG_MESSAGE = json.dumps(
    {
        "level": "error",
        "msg": "connect failed",
        "dsn": "postgres://ledger_app:Vb8xM2qR7nKdQ4@ledger-db.c9akciq32.us-east-1.rds.amazonaws.com/ledger",
        "peer": "10.20.4.18",
    }
)

EVENT_BODY = json.dumps(
    {"Name": "/ledger/prod/api-key", "Type": "SecureString", "Value": "Zt6pW3nQ8vLkR2"}
)

# (what the text is, the text, the JSON document a command prints holding it)
CASES: dict[str, tuple[str, dict[str, object]]] = {
    "cloudformation get-template": (
        TEMPLATE,
        {"TemplateBody": TEMPLATE, "StagesAvailable": ["Original", "Processed"]},
    ),
    "kubectl get configmap -o json": (
        NGINX,
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"nginx.conf": NGINX}},
    ),
    "logs filter-log-events": (
        LOG_MESSAGE,
        {"events": [{"timestamp": 1764930000000, "message": LOG_MESSAGE, "eventId": "1"}]},
    ),
    "an event's JSON body": (
        EVENT_BODY,
        {"httpMethod": "POST", "path": "/params", "body": EVENT_BODY, "isBase64Encoded": False},
    ),
}


def decoded(raw: bytes) -> bytes:
    """A raw span's value: JSON escapes of every depth undone."""
    text = raw.decode()
    while "\\" in text:
        try:
            text = json.loads(f'"{text}"')
        except json.JSONDecodeError:
            break
    return text.encode()


def masked_values(data: bytes, kind: str) -> set[bytes]:
    return {decoded(data[f.start : f.end]) for f in Engine(bytes(32)).scan(data, kind)}


@pytest.mark.parametrize("name", list(CASES))
def test_text_in_a_string_of_printed_json_masks_what_the_text_masks(name: str) -> None:
    text, document = CASES[name]
    want = masked_values(text.encode(), "text")
    assert len(want) >= 3, f"{name}: the text itself masks too little to test"
    body = tool_result(json.dumps(document, indent=2))
    assert masked_values(body, "messages") >= want
    out, masker = mask(body, kind="messages")
    assert len(out) == len(body)
    printed = json.loads(json.loads(out)["messages"][0]["content"][0]["content"])
    assert printed.keys() == document.keys()
    for value in want:
        assert value not in out, f"{name}: {value[:4]!r}… left unmasked"
        assert json.dumps(value.decode())[1:-1].encode() not in out
    assert unmask(masker, out) == body
