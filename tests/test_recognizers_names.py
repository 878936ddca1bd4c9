"""Names of AWS resources, found by the field, flag or phrase that holds them.

``found`` is the built-in recognizers alone; ``engine_found`` is what a fresh engine masks,
which adds every other occurrence of a value found: the echoes of a name further on (in CLI
output) are checked there, whichever of the two finds them."""

from __future__ import annotations

import pytest
from engine_strategies import engine_found, found


@pytest.mark.parametrize(
    "key,rtype",
    [
        ("DBInstanceIdentifier", "aws_db_identifier"),
        ("DBClusterIdentifier", "aws_db_identifier"),
        ("CacheClusterId", "aws_db_identifier"),
        ("ReplicationGroupId", "aws_db_identifier"),
        ("RoleName", "aws_iam_name"),
        ("UserName", "aws_iam_name"),
        ("InstanceProfileName", "aws_iam_name"),
        ("FunctionName", "aws_resource_name"),
        ("TableName", "aws_resource_name"),
        ("StackName", "aws_resource_name"),
        ("LoadBalancerName", "aws_resource_name"),
        ("AutoScalingGroupName", "aws_resource_name"),
    ],
)
def test_name_fields(key: str, rtype: str) -> None:
    v = "ledger-svc-41"
    assert found(f'"{key}": "{v}"') == [(rtype, v)]
    assert found(f"{key}: {v}\n") == [(rtype, v)]
    assert found(f'\\"{key}\\": \\"{v}\\"') == [(rtype, v)]
    assert found(f'\\\\\\"{key}\\\\\\": \\\\\\"{v}\\\\\\"') == [(rtype, v)]


def test_snake_and_camel_variants() -> None:
    assert found('function_name = "orders-sync"') == [("aws_resource_name", "orders-sync")]
    assert found('"functionName": "orders-sync"') == [("aws_resource_name", "orders-sync")]


@pytest.mark.parametrize(
    "flag,rtype",
    [
        ("--db-instance-identifier", "aws_db_identifier"),
        ("--role-name", "aws_iam_name"),
        ("--function-name", "aws_resource_name"),
        ("--cache-cluster-id", "aws_db_identifier"),
        ("--stack-name", "aws_resource_name"),
        ("--user-name", "aws_iam_name"),
    ],
)
def test_cli_flags(flag: str, rtype: str) -> None:
    assert found(f"aws x {flag} billing-replica-2 --region us-east-1") == [
        (rtype, "billing-replica-2")
    ]
    assert found(f"aws x {flag}=billing-replica-2") == [(rtype, "billing-replica-2")]


def test_name_lists() -> None:
    assert found('"MemberClusters": ["cache-a-001", "cache-a-002"]') == [
        ("aws_db_identifier", "cache-a-001"),
        ("aws_db_identifier", "cache-a-002"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        '"RoleName": "default"',
        '"UserName": "username"',
        'username: "alice"',
        '"FunctionName": "arn:aws:lambda:us-east-1:{a}:function:f"'.replace("{a}", "000011112222"),
        '"RoleName": "${ROLE}"',
        "rolename = x",
    ],
)
def test_name_near_misses(text: str) -> None:
    assert [t for t, _ in found(text) if t != "aws_account_id"] == [] or "arn:" in text


def test_value_that_is_an_arn_goes_to_the_arn_rule() -> None:
    out = found('"FunctionName": "arn:aws:lambda:us-east-1:000011112222:function:etl-job"')
    assert ("aws_resource_name", "etl-job") in out and ("aws_account_id", "000011112222") in out


@pytest.mark.parametrize(
    "text,expect",
    [
        ("uploading backup to bucket media-green-7", ("aws_s3_bucket", "media-green-7")),
        ("RDS instance orderstore CPU at 91%", ("aws_db_identifier", "orderstore")),
        ("diff detected on search-eu-12", ("aws_resource_name", "search-eu-12")),
        ("failover initiated for ledger-db-2", ("aws_db_identifier", "ledger-db-2")),
        ("the IAM user named ``Marisol``.", ("aws_iam_name", "Marisol")),
        (
            "(service checkout-api) was unable to place a task",
            ("aws_resource_name", "checkout-api"),
        ),
    ],
)
def test_names_in_prose_and_logs(text: str, expect: tuple[str, str]) -> None:
    assert found(text) == [expect]


@pytest.mark.parametrize(
    "text",
    [
        "the function returns a value",
        "processing the request",
        "bucket policy is attached",
        "the table of contents",
        "stack overflow",
        "the user agent",
        "cached 1532 entries",
        "user-defined function",
        "resource-intensive jobs",
        "processing DynamoDB streams",
    ],
)
def test_prose_near_misses(text: str) -> None:
    assert found(text) == []


def test_names_echoed_in_cli_text_output() -> None:
    text = (
        "$ aws elasticache create-snapshot --cache-cluster-id ordercache --snapshot-name snap-a\n"
        "SNAPSHOT\tTrue\t2024-01-02T03:04:05Z\tordercache\tcache.m5.large\n"
    )
    assert engine_found(text) == [
        ("aws_db_identifier", "ordercache"),
        ("aws_db_identifier", "snap-a"),
        ("aws_db_identifier", "ordercache"),
    ]


def test_echo_of_an_arn_part_gets_the_arn_part_type() -> None:
    text = "ROLE\tarn:aws:iam::480116523007:role/ops-admin\tops-admin\tx\n"
    out = engine_found(text)
    assert out.count(("aws_iam_name", "ops-admin")) == 2


def test_fields_that_repeat_nothing_named_are_kept() -> None:
    assert found("STATUS\tavailable\tsome-thing\tTrue\n") == []


def test_plural_flags() -> None:
    assert found("aws ec2 describe-key-pairs --key-names deploy-key-7\n") == [
        ("aws_resource_name", "deploy-key-7")
    ]


@pytest.mark.parametrize(
    "flag,rtype",
    [
        ("--source-table-name", "aws_resource_name"),
        ("--target-table-name", "aws_resource_name"),
        ("--snapshot-identifier", "aws_db_identifier"),
        ("--target-db-snapshot-identifier", "aws_db_identifier"),
        ("--new-function-name", "aws_resource_name"),
    ],
)
def test_flags_with_a_role_word(flag: str, rtype: str) -> None:
    assert found(f"aws x {flag} LedgerRestore7 --y 1") == [(rtype, "LedgerRestore7")]


def test_quoted_flag_value_with_blanks() -> None:
    assert found("--cache-cluster-id 'orders-c7  ' --x") == [("aws_db_identifier", "orders-c7")]


def test_dms_endpoint_identifier_is_not_a_database() -> None:
    assert found('"EndpointIdentifier": "src-endpoint-3"') == []


def test_name_key_holding_a_call_is_code() -> None:
    assert found("function_name=os.environ.get('FN')") == []


LOG = "2024-05-01T10:11:12.345Z INFO  [sync] "


@pytest.mark.parametrize("verb", ["processing", "cached"])
@pytest.mark.parametrize(
    "name", ["Marisol", "LedgerSync", "orders", "5d1e2f3a-0b1c-4d2e-8f90-a1b2c3d4e5f6"]
)
def test_last_word_of_a_log_line(verb: str, name: str) -> None:
    assert found(f"{LOG}{verb} {name}\n") == [("aws_resource_name", name)]
    assert found(f'"x\\n{LOG}{verb} {name}\\n"') == [("aws_resource_name", name)]


@pytest.mark.parametrize(
    "text",
    [
        f"{LOG}processing complete\n",
        f"{LOG}cached 1532\n",
        f"{LOG}processing Marisol and more\n",  # not the last word
        "processing Marisol\n",  # not a log line
        "Returns the cached value\n",
        f"{LOG}processing v1.2.3\n",
    ],
)
def test_last_word_of_a_log_line_near_misses(text: str) -> None:
    assert found(text) == []


def test_echo_on_a_line_of_its_own() -> None:
    text = "$ aws elb x --load-balancer-name web-lb-4\nweb-lb-4\n"
    assert engine_found(text) == [
        ("aws_resource_name", "web-lb-4"),
        ("aws_resource_name", "web-lb-4"),
    ]
    assert engine_found("$ aws x\nweb-lb-4\n") == []  # named nowhere before


def test_echo_of_a_member_named_after_its_group() -> None:
    text = "--replication-group-id orders-rg --x\nMEMBERS\torders-rg-001\torders-rg-002\n"
    assert engine_found(text) == [("aws_db_identifier", "orders-rg")] + [
        ("aws_db_identifier", f"orders-rg-00{i}") for i in (1, 2)
    ]


def test_echo_of_a_bucket_and_of_a_kms_key() -> None:
    text = "$ aws s3api list-objects-v2 --bucket media-green-7\nTrue\t2\tmedia-green-7\tx\n"
    assert engine_found(text) == [("aws_s3_bucket", "media-green-7")] * 2
    u = "5d1e2f3a-0b1c-4d2e-8f90-a1b2c3d4e5f6"
    text = f"KEYMETADATA\tarn:aws:kms:us-east-2:480116523007:key/{u}\tTrue\t{u}\n"
    assert engine_found(text).count(("aws_kms_key_id", u)) == 2


def test_ids_carried_in_arns_are_not_echoed_as_names() -> None:
    text = (
        "HANDSHAKE\tarn:aws:organizations::480116523007:handshake/o-a1b2c3d4e5/invite/"
        "h-1a2b3c4d5e6f\tx\th-1a2b3c4d5e6f\to-a1b2c3d4e5\n"
    )
    out = found(text)
    # found once, in the ARN: the handshake id's body (its type prefix stays), the short
    # organization id whole
    assert out.count(("aws_resource_name", "1a2b3c4d5e6f")) == 1
    assert out.count(("aws_resource_name", "o-a1b2c3d4e5")) == 1


def test_build_ids_carry_the_project_name() -> None:
    u = "5d1e2f3a-0b1c-4d2e-8f90-a1b2c3d4e5f6"
    assert found(f'"id": "ledger-build:{u}"') == [
        ("aws_resource_name", "ledger-build"),
        ("aws_resource_name", u),
    ]
    assert found(f"aws codebuild batch-get-builds --ids ledger-build:{u}\n") == [
        ("aws_resource_name", "ledger-build"),
        ("aws_resource_name", u),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "urn:uuid:5d1e2f3a-0b1c-4d2e-8f90-a1b2c3d4e5f6",
        '"Comment": "7c1e2f3a-0b1c-4d2e-8f90-a1b2c3d4e5f6:5d1e2f3a-0b1c-4d2e-8f90-a1b2c3d4e5f6"',
        "time 12:5d1e2f3a-0b1c-4d2e-8f90-a1b2c3d4e5f6",
    ],
)
def test_build_id_near_misses(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "To describe the attributes of a DB cluster snapshot attribute",
        "Update ECS cluster enabling containerInsights",
        "Configure Lambda function memory",
        "To create a bucket outside of the region",
    ],
)
def test_prose_words_after_a_resource_phrase_are_kept(text: str) -> None:
    assert found(text) == []


def test_any_word_after_a_resource_phrase_in_a_log_line() -> None:
    assert found(f"{LOG}connecting to database orcl\n") == [("aws_db_identifier", "orcl")]
    assert found("connecting to database orcl\n") == []  # prose: too short a plain word


@pytest.mark.parametrize(
    "text,expect",
    [
        ("version of the ``orders-sync`` function. ::", ("aws_resource_name", "orders-sync")),
        ("restores the ``LedgerEntries`` table to", ("aws_resource_name", "LedgerEntries")),
        ("the ``media-green-7`` bucket", ("aws_s3_bucket", "media-green-7")),
        ("the ``deploy-bot`` role", ("aws_iam_name", "deploy-bot")),
    ],
)
def test_literal_followed_by_its_kind(text: str, expect: tuple[str, str]) -> None:
    assert found(text) == [expect]


@pytest.mark.parametrize(
    "text",
    [
        "the ``teardown`` function of the fixture",
        "the ``formToJSON`` function",
        "the ``OPENAPI_CACHE_SIZE`` environment variable",
        "the ``--key-id`` parameter",
        "the ``default`` user",
        "the ``a b`` table",
    ],
)
def test_literal_followed_by_its_kind_near_misses(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "text", ["the ``auth_user`` table", "the ``postgres`` user", "the ``users`` table"]
)
def test_literal_kind_wants_a_resource_shaped_name(text: str) -> None:
    assert found(text) == []
