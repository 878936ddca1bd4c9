"""A deterministic ~1 MB Claude-Code-like Messages request body for the engine benchmarks.

What a real agent session sends: four system text blocks, about 30 KB of tool definitions with
JSON schemas, and a conversation whose tool results carry AWS CLI JSON output (escaped inside a
JSON string), CloudTrail records, VPC flow log lines, application logs with a few secrets, shell
transcripts and prose. Every identifier is freshly drawn from a seeded generator, so the body is
the same on every run and holds no value from anywhere else.

    python -m bench.engine_body [--size BYTES] [--seed N] > body.json
    python -m bench.engine_body --scan      # Scanner.scan throughput on the body
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from typing import Any

_HEX = "0123456789abcdef"
_B62 = string.ascii_letters + string.digits
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
_WORDS = [
    "the",
    "deployment",
    "pipeline",
    "retries",
    "failed",
    "steps",
    "before",
    "it",
    "pages",
    "the",
    "on-call",
    "engineer",
    "and",
    "the",
    "service",
    "mesh",
    "routes",
    "traffic",
    "through",
    "the",
    "sidecar",
    "so",
    "that",
    "each",
    "request",
    "carries",
    "a",
    "trace",
    "id",
    "we",
    "keep",
    "the",
    "state",
    "file",
    "in",
    "a",
    "versioned",
    "store",
    "with",
    "locking",
    "enabled",
    "and",
    "review",
    "every",
    "plan",
    "before",
    "it",
    "is",
    "applied",
    "to",
    "production",
    "because",
    "drift",
    "between",
    "environments",
    "is",
    "expensive",
    "to",
    "debug",
    "later",
    "when",
    "the",
    "incident",
    "timeline",
    "is",
    "already",
    "under",
    "pressure",
    "from",
    "customers",
]


class _Gen:
    """Fresh values of the right shapes, drawn from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.accounts = [self.digits(12) for _ in range(4)]

    def hexs(self, n: int) -> str:
        return "".join(self.r.choice(_HEX) for _ in range(n))

    def digits(self, n: int) -> str:
        return str(self.r.randint(1, 9)) + "".join(
            self.r.choice("0123456789") for _ in range(n - 1)
        )

    def b62(self, n: int) -> str:
        return "".join(self.r.choice(_B62) for _ in range(n))

    def rid(self, prefix: str) -> str:
        return f"{prefix}-{self.hexs(17 if self.r.random() < 0.7 else 8)}"

    def ip_private(self) -> str:
        return f"10.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"

    def ip_public(self) -> str:
        return (
            f"{self.r.choice((3, 18, 34, 52, 54))}.{self.r.randint(0, 255)}."
            f"{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"
        )

    def account(self) -> str:
        return self.r.choice(self.accounts)

    def name(self) -> str:
        return (
            f"{self.r.choice(('orders', 'billing', 'search', 'ledger', 'media'))}-"
            f"{self.r.choice(('prod', 'stg', 'dev'))}-{self.r.randint(1, 99)}"
        )

    def region(self) -> str:
        return self.r.choice(_REGIONS)

    def uuid(self) -> str:
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def prose(self, n_words: int) -> str:
        return " ".join(self.r.choice(_WORDS) for _ in range(n_words)).capitalize() + "."


def _instance(g: _Gen) -> dict:
    region = g.region()
    pub = g.ip_public()
    return {
        "InstanceId": g.rid("i"),
        "ImageId": g.rid("ami"),
        "InstanceType": "m5.large",
        "KeyName": g.name(),
        "LaunchTime": "2024-05-01T10:22:31+00:00",
        "Placement": {"AvailabilityZone": region + "a", "Tenancy": "default"},
        "PrivateDnsName": f"ip-{g.ip_private().replace('.', '-')}.{region}.compute.internal",
        "PrivateIpAddress": g.ip_private(),
        "PublicDnsName": f"ec2-{pub.replace('.', '-')}.{region}.compute.amazonaws.com",
        "PublicIpAddress": pub,
        "State": {"Code": 16, "Name": "running"},
        "SubnetId": g.rid("subnet"),
        "VpcId": g.rid("vpc"),
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "AttachTime": "2024-05-01T10:22:32+00:00",
                    "DeleteOnTermination": True,
                    "Status": "attached",
                    "VolumeId": g.rid("vol"),
                },
            }
        ],
        "IamInstanceProfile": {
            "Arn": f"arn:aws:iam::{g.account()}:instance-profile/{g.name()}",
            "Id": "AIPA" + g.b62(17).upper(),
        },
        "NetworkInterfaces": [
            {
                "NetworkInterfaceId": g.rid("eni"),
                "OwnerId": g.account(),
                "PrivateIpAddress": g.ip_private(),
                "MacAddress": "0a:1b:2c:3d:4e:5f",
                "Groups": [{"GroupId": g.rid("sg"), "GroupName": g.name()}],
            }
        ],
        "SecurityGroups": [{"GroupId": g.rid("sg"), "GroupName": g.name()}],
        "Tags": [{"Key": "Name", "Value": g.name()}, {"Key": "team", "Value": "platform"}],
    }


def _aws_cli_output(g: _Gen) -> str:
    kind = g.r.random()
    if kind < 0.5:
        doc: dict[str, Any] = {
            "Reservations": [
                {
                    "ReservationId": g.rid("r"),
                    "OwnerId": g.account(),
                    "Instances": [_instance(g) for _ in range(g.r.randint(1, 3))],
                }
            ]
        }
    elif kind < 0.75:
        doc = {
            "DBInstances": [
                {
                    "DBInstanceIdentifier": g.name(),
                    "DBInstanceClass": "db.r6g.large",
                    "Engine": "postgres",
                    "Endpoint": {
                        "Address": f"{g.name()}.c{g.b62(11).lower()}.{g.region()}"
                        ".rds.amazonaws.com",
                        "Port": 5432,
                    },
                    "DBSubnetGroup": {"DBSubnetGroupName": g.name(), "VpcId": g.rid("vpc")},
                    "KmsKeyId": f"arn:aws:kms:{g.region()}:{g.account()}:key/{g.uuid()}",
                    "DBInstanceArn": f"arn:aws:rds:{g.region()}:{g.account()}:db:{g.name()}",
                    "AllocatedStorage": 100,
                    "MultiAZ": True,
                }
            ]
        }
    else:
        doc = {
            "Functions": [
                {
                    "FunctionName": g.name(),
                    "Runtime": "python3.12",
                    "MemorySize": 512,
                    "FunctionArn": f"arn:aws:lambda:{g.region()}:{g.account()}:function:{g.name()}",
                    "Role": f"arn:aws:iam::{g.account()}:role/service-role/{g.name()}",
                    "Environment": {
                        "Variables": {
                            "QUEUE_URL": f"https://sqs.{g.region()}.amazonaws.com/{g.account()}/{g.name()}",
                            "BUCKET": g.name(),
                        }
                    },
                    "VpcConfig": {
                        "SubnetIds": [g.rid("subnet"), g.rid("subnet")],
                        "SecurityGroupIds": [g.rid("sg")],
                    },
                    "LastModified": "2024-04-30T08:12:00.000+0000",
                    "CodeSha256": g.b62(43) + "=",
                }
                for _ in range(g.r.randint(2, 4))
            ]
        }
    return json.dumps(doc, indent=4)


def _cloudtrail(g: _Gen) -> str:
    recs = []
    for _ in range(g.r.randint(2, 5)):
        recs.append(
            {
                "eventVersion": "1.08",
                "eventTime": "2024-05-02T11:03:12Z",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": "AROA" + g.b62(17).upper() + ":ci",
                    "arn": f"arn:aws:sts::{g.account()}:assumed-role/{g.name()}/ci",
                    "accountId": g.account(),
                    "accessKeyId": "ASIA" + g.b62(16).upper(),
                },
                "eventSource": "ec2.amazonaws.com",
                "eventName": "AuthorizeSecurityGroupIngress",
                "awsRegion": g.region(),
                "sourceIPAddress": g.ip_public(),
                "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0",
                "requestParameters": {"groupId": g.rid("sg"), "cidrIp": f"{g.ip_private()}/32"},
                "requestID": g.uuid(),
                "eventID": g.uuid(),
                "recipientAccountId": g.account(),
            }
        )
    return json.dumps({"Records": recs})


def _flow_logs(g: _Gen) -> str:
    lines = []
    for _ in range(g.r.randint(20, 60)):
        lines.append(
            f"2 {g.account()} {g.rid('eni')} {g.ip_private()} {g.ip_public()} "
            f"{g.r.randint(1024, 65535)} 443 6 {g.r.randint(1, 40)} {g.r.randint(60, 9000)} "
            f"1714640000 1714640060 ACCEPT OK"
        )
    return "\n".join(lines)


def _app_log(g: _Gen) -> str:
    lines = []
    for i in range(g.r.randint(10, 30)):
        t = f"2024-05-02T11:{i % 60:02d}:{g.r.randint(0, 59):02d}.{g.r.randint(0, 999):03d}Z"
        pick = g.r.random()
        if pick < 0.05:
            msg = f"loaded token ghp_{g.b62(36)} from environment"
        elif pick < 0.1:
            msg = f"connecting to postgres://app:{g.b62(18)}@{g.ip_private()}:5432/orders"
        elif pick < 0.4:
            msg = f"GET /api/v1/orders/{g.r.randint(1000, 99999)} 200 {g.r.randint(2, 900)}ms"
        elif pick < 0.6:
            msg = f"instance {g.rid('i')} entered state running in {g.rid('subnet')}"
        else:
            msg = g.prose(g.r.randint(6, 14))
        lines.append(f"{t} INFO  [worker-{g.r.randint(1, 8)}] {msg}")
    return "\n".join(lines)


def _shell(g: _Gen) -> str:
    return (
        f"$ aws ec2 describe-security-groups --group-ids {g.rid('sg')} --region {g.region()}\n"
        f"$ aws rds describe-db-instances --db-instance-identifier {g.name()}\n"
        f"$ export AWS_ACCESS_KEY_ID=AKIA{g.b62(16).upper()}\n"
        f"$ git log --oneline -3\n{g.hexs(7)} Fix retry\n{g.hexs(7)} Add flow logs\n"
        f"$ python -m pytest -q\n........................ [100%]\n24 passed in 3.21s"
    )


_CODE = '''def retry(fn, attempts=3, delay=0.5):
    """Call fn until it succeeds or the attempts run out, sleeping between tries."""
    for i in range(attempts):
        try:
            return fn()
        except TimeoutError as exc:
            last = exc
            time.sleep(delay * (2 ** i))
    raise last


class Inventory:
    def __init__(self, client, region):
        self.client = client
        self.region = region
        self.cache = {}

    def instances(self, state="running"):
        pages = self.client.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-state-name", "Values": [state]}])
        for page in pages:
            for res in page["Reservations"]:
                yield from res["Instances"]
'''


def _code_file(g: _Gen) -> str:
    """A file read by the agent: source code with line numbers, nothing to mask."""
    lines = (_CODE * g.r.randint(2, 6)).splitlines()
    return "\n".join(f"{i + 1:>6}\u2192{line}" for i, line in enumerate(lines))


def _prose_block(g: _Gen) -> str:
    return "\n\n".join(g.prose(g.r.randint(40, 90)) for _ in range(g.r.randint(2, 6)))


def _tool_schema(g: _Gen, i: int) -> dict:
    props = {}
    for k in range(g.r.randint(3, 8)):
        props[f"param_{k}"] = {
            "type": g.r.choice(("string", "integer", "boolean")),
            "description": g.prose(g.r.randint(8, 24)),
        }
    return {
        "name": f"tool_{i}",
        "description": g.prose(g.r.randint(30, 80)),
        "input_schema": {"type": "object", "properties": props, "required": list(props)[:2]},
    }


def claude_code_like_body(size: int = 1_000_000, seed: int = 20240501) -> bytes:
    """A Messages API request body of about ``size`` bytes (deterministic for a seed)."""
    g = _Gen(seed)
    system: list[dict[str, Any]] = [
        {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.0.0; cc_entrypoint=cli;"}
    ]
    system += [
        {"type": "text", "text": " ".join(g.prose(30) for _ in range(n))} for n in (20, 12, 6)
    ]
    system[1]["cache_control"] = {"type": "ephemeral"}
    tools: list[dict] = []
    while len(json.dumps(tools)) < 30_000:
        tools.append(_tool_schema(g, len(tools)))
    body: dict[str, Any] = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 32000,
        "stream": True,
        "system": system,
        "tools": tools,
        "messages": [],
    }
    # what a tool result holds, weighted: an AWS-heavy agent session that also reads code
    makers = (
        (_aws_cli_output,) * 6
        + (_cloudtrail,) * 2
        + (_flow_logs,)
        + (_app_log,) * 3
        + (_shell,) * 2
        + (_code_file,) * 4
        + (_prose_block,) * 2
    )
    msgs: list[dict] = body["messages"]
    n = 0
    while len(json.dumps(body)) < size:
        tid = "toolu_01" + g.b62(22)
        msgs.append(
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": g.prose(g.r.randint(10, 40))},
                    {
                        "type": "tool_use",
                        "id": tid,
                        "name": "Bash",
                        "input": {
                            "command": f"aws ec2 describe-instances --instance-ids {g.rid('i')}"
                        },
                    },
                ],
            }
        )
        out = g.r.choice(makers)(g)
        msgs.append(
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": tid, "content": out}],
            }
        )
        n += 1
    raw = json.dumps(body).encode()
    return raw


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--scan", action="store_true", help="report the recognizers' MB/s on the body")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    body = claude_code_like_body(args.size, args.seed)
    if not args.scan:
        sys.stdout.buffer.write(body)
        return
    from masking import _core

    best = float("inf")
    found = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        found = _core.scan(body)
        best = min(best, time.perf_counter() - t)
    print(f"body {len(body)} bytes, {len(found)} findings, scan {len(body) / best / 1e6:.1f} MB/s")


if __name__ == "__main__":
    main()
