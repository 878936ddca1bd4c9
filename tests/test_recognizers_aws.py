"""AWS recognizers: resource ids, ARNs (component-wise), accounts in context, keys, hosts,
buckets, SQS URLs, KMS keys, Route 53 zones. Fixture values are fresh random strings of the
right shapes, made here."""

from __future__ import annotations

import random

import pytest
from engine_strategies import found, masked_text, scan

R = random.Random(4242)


def hexs(n: int) -> str:
    return "".join(R.choice("0123456789abcdef") for _ in range(n))


def digits(n: int) -> str:
    return str(R.randint(1, 9)) + "".join(R.choice("0123456789") for _ in range(n - 1))


def upper(n: int) -> str:
    return "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(n))


ACCT = digits(12)
ACCT2 = digits(12)


@pytest.mark.parametrize(
    "prefix,rtype",
    [
        ("i", "aws_ec2_instance_id"),
        ("vol", "aws_ebs_volume_id"),
        ("snap", "aws_ebs_snapshot_id"),
        ("ami", "aws_ami_id"),
        ("sg", "aws_security_group_id"),
        ("subnet", "aws_subnet_id"),
        ("vpc", "aws_vpc_id"),
        ("eni", "aws_network_interface_id"),
        ("rtb", "aws_route_table_id"),
        ("acl", "aws_network_acl_id"),
        ("igw", "aws_internet_gateway_id"),
        ("nat", "aws_nat_gateway_id"),
        ("eipalloc", "aws_eip_id"),
        ("vpce", "aws_vpc_endpoint_id"),
        ("pcx", "aws_vpc_peering_connection_id"),
        ("tgw", "aws_transit_gateway_id"),
        ("tgw-attach", "aws_transit_gateway_attachment_id"),
        ("lt", "aws_launch_template_id"),
        ("fs", "aws_efs_id"),
        ("fsap", "aws_efs_id"),
        ("dopt", "aws_dhcp_options_id"),
        ("cvpn-endpoint", "aws_client_vpn_endpoint_id"),
        ("ipam", "aws_ipam_id"),
    ],
)
@pytest.mark.parametrize("n", [8, 17])
def test_resource_ids_mask_the_hex_part(prefix: str, rtype: str, n: int) -> None:
    h = hexs(n)
    assert found(f"moved {prefix}-{h} today") == [(rtype, h)]


@pytest.mark.parametrize(
    "prefix,rtype",
    [
        ("eni-attach", "aws_network_interface_attachment_id"),
        ("import-ami", "aws_import_task_id"),
        ("export-i", "aws_export_task_id"),
        ("iew", "aws_instance_event_window_id"),
        ("nip", "aws_network_insights_id"),
        ("bun", "aws_bundle_task_id"),
    ],
)
def test_handles_of_tasks_and_attachments_are_masked(prefix: str, rtype: str) -> None:
    # association, task, event-window and analysis handles are ids of the account like any other
    h = hexs(17)
    assert found(f"moved {prefix}-{h} today") == [(rtype, h)]


@pytest.mark.parametrize(
    "prefix,rtype",
    [
        ("h", "aws_dedicated_host_id"),
        ("vpce-svc", "aws_vpc_endpoint_service_id"),
        ("ipam-pool", "aws_ipam_pool_id"),
        ("eice", "aws_instance_connect_endpoint_id"),
        ("vai", "aws_verified_access_id"),
    ],
)
def test_resources_with_long_prefixes_are_masked(prefix: str, rtype: str) -> None:
    h = hexs(17)
    assert found(f"moved {prefix}-{h} today") == [(rtype, h)]


def test_handle_inside_an_arn_is_masked_like_any_resource_id() -> None:
    h = hexs(17)
    out = found(f"arn:aws:ec2:us-east-1:{ACCT}:network-insights-path/nip-{h}")
    assert out == [("aws_account_id", ACCT), ("aws_network_insights_id", h)]


def test_resource_id_shape_is_hex_and_prefix_is_kept() -> None:
    h = hexs(17)
    data = f"i-{h}".encode()
    (f,) = scan(data)
    assert (f.start, f.end, f.shape) == (2, len(data), "hex")


@pytest.mark.parametrize(
    "text",
    [
        "i-" + "0123abcd" + "9",  # 9 hex digits: neither 8 nor 17
        "xi-" + "0123abcd",  # glued to a letter
        "my-i-" + "0123abcd",  # glued to a dash
        "i-" + "0123ABCD",  # upper-case hex is not an id
        "i-" + "0123abcd" + "-suffix",
        "sg-" + "0123abcd" * 2 + "0123",  # 20 hex digits
        "api-" + "0123abcd",  # not a known prefix
    ],
)
def test_resource_id_near_misses(text: str) -> None:
    assert found(text) == []


def test_arn_is_masked_component_wise() -> None:
    arn = f"arn:aws:iam::{ACCT}:role/deploy-runner"
    assert found(f'"RoleArn": "{arn}"') == [
        ("aws_account_id", ACCT),
        ("aws_iam_name", "deploy-runner"),
    ]


def test_account_in_arn_and_alone_get_the_same_type_and_shape() -> None:
    data = f'arn:aws:sts::{ACCT}:assumed-role/ci/session "OwnerId": "{ACCT}"'.encode()
    fs = scan(data)
    accts = [f for f in fs if data[f.start : f.end] == ACCT.encode()]
    assert len(accts) == 2
    assert {(f.rtype, f.shape) for f in accts} == {("aws_account_id", "classwise")}


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_arn_partitions(partition: str) -> None:
    out = found(f"arn:{partition}:lambda:us-west-2:{ACCT}:function:orders-sync")
    assert out == [("aws_account_id", ACCT), ("aws_resource_name", "orders-sync")]


def test_arn_with_resource_id_uses_the_id_type() -> None:
    h = hexs(17)
    out = found(f"arn:aws:ec2:us-east-1:{ACCT}:instance/i-{h}")
    assert out == [("aws_account_id", ACCT), ("aws_ec2_instance_id", h)]


def test_kms_arn_key_is_a_kms_key_id() -> None:
    u = f"{hexs(8)}-{hexs(4)}-{hexs(4)}-{hexs(4)}-{hexs(12)}"
    assert found(f"arn:aws:kms:eu-west-1:{ACCT}:key/{u}") == [
        ("aws_account_id", ACCT),
        ("aws_kms_key_id", u),
    ]


def test_s3_arn_masks_the_bucket() -> None:
    assert found("arn:aws:s3:::ledger-exports-17/2024/x.csv") == [
        ("aws_s3_bucket", "ledger-exports-17")
    ]


def test_aws_managed_policy_arn_is_kept() -> None:
    assert found("arn:aws:iam::aws:policy/ReadOnlyAccess") == []


def test_arn_with_escaped_slashes() -> None:
    for slash in ("\\/", "\\u002F", "\\u002f", "\\\\\\/"):
        out = found(f"arn:aws:iam::{ACCT}:role{slash}svc-deployer")
        assert out == [("aws_account_id", ACCT), ("aws_iam_name", "svc-deployer")], slash


def test_arn_keeps_structure_words() -> None:
    out = found(f"arn:aws:iam::{ACCT}:role/service-role/etl-runner")
    assert out == [("aws_account_id", ACCT), ("aws_iam_name", "etl-runner")]


def lower_alnum(n: int) -> str:
    """``n`` lower-case letters and digits, with a digit."""
    return "".join(R.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n - 1)) + "7"


def test_typed_ids_in_an_arn_keep_their_prefix_at_every_occurrence() -> None:
    org, shake, net = lower_alnum(14), lower_alnum(18), hexs(17)
    text = (
        f'"Arn": "arn:aws:organizations::{ACCT}:handshake/o-{org}/invite/h-{shake}",\n'
        f'"Id": "h-{shake}", "Parties": [{{"Id": "o-{org}"}}]\n'
        f"arn:aws:networkmanager::{ACCT}:global-network/global-network-{net}\n"
        f'"GlobalNetworkId": "global-network-{net}"'
    )
    out = masked_text(text)
    for kept in ("o-#", "h-#", "global-network-#"):
        assert kept in out
    for body in (org, shake, net):
        assert body not in out
    assert out.count("#" * len(shake)) == 2


def test_short_typed_ids_in_an_arn_go_whole_and_stay_masked_everywhere() -> None:
    org = lower_alnum(9)  # too short for the known values to find behind `o-`
    text = f'arn:aws:organizations::{ACCT}:organization/o-{org}\n"Id": "o-{org}"'
    out = masked_text(text)
    assert out.count("/" + "#" * (len(org) + 2)) == 1
    assert out.count('"' + "#" * (len(org) + 2) + '"') == 1 and org not in out


def test_a_name_field_holding_an_aws_host_keeps_the_host_suffix() -> None:
    dist, bucket = lower_alnum(14), f"media-{lower_alnum(6)}"
    text = (
        f'"DomainName": "{dist}.cloudfront.net",\n'
        f'"DomainName": "{bucket}.s3.amazonaws.com", "Id": "{bucket}.s3.amazonaws.com-origin"'
    )
    out = masked_text(text)
    assert out.count(".cloudfront.net") == 1 and out.count(".s3.amazonaws.com") == 2
    assert dist not in out and bucket not in out


@pytest.mark.parametrize(
    "text",
    [
        '"OwnerId": "{a}"',
        '"AccountId":"{a}"',
        "account {a}",
        "Account ID: {a}",
        "--account-id {a}",
        'aws_account_id = "{a}"',
        '"UserIds": ["{a}"]',
        '"Principal": {{"AWS": "{a}"}}',
        "https://sqs.us-east-1.amazonaws.com/{a}/jobs",
        "{a}.dkr.ecr.us-west-2.amazonaws.com/app:1",
        "ARN\t{a}\tnext",
        "/vaults/{a}/x".replace("/vaults/", "/"),
    ],
)
def test_account_ids_in_context(text: str) -> None:
    out = found(text.format(a=ACCT2))
    assert ("aws_account_id", ACCT2) in out


@pytest.mark.parametrize(
    "text",
    [
        '{{"Size": {a}}}',  # a bare JSON number
        "took {a}ms",
        "ts=1714640000123",  # 13-digit epoch millis
        '"Timestamp": "{a}"',
        "version {a}",
    ],
)
def test_twelve_digits_without_context_are_kept(text: str) -> None:
    assert [t for t, _ in found(text.format(a=ACCT2))] == []


def test_access_key_ids_keep_their_prefix() -> None:
    body = upper(16)
    assert found(f"AWS_ACCESS_KEY_ID=AKIA{body}") == [("aws_access_key_id", body)]
    assert found(f"ASIA{body}") == [("aws_access_key_id", body)]


def test_iam_unique_ids() -> None:
    body = upper(17)
    for p in ("AIDA", "AROA", "AIPA", "ANPA", "AGPA"):
        assert found(f'"RoleId": "{p}{body}"') == [("aws_iam_unique_id", body)]


def test_access_key_near_misses() -> None:
    assert found("AKIA" + upper(15)) == []  # too short
    assert found("XAKIA" + upper(16)) == []  # glued


def test_access_key_and_secret_in_cli_text_output() -> None:
    key = upper(16)
    secret = (
        "".join(
            R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+")
            for _ in range(40)
        )
        + "Aa"
    )
    secret = secret[:40]
    out = found(f"ACCESSKEY\tAKIA{key}\t2024-01-02T03:04:05Z\t{secret}\tActive\n")
    assert ("aws_access_key_id", key) in out and ("aws_secret_access_key", secret) in out


@pytest.mark.parametrize(
    "host,expect",
    [
        ("ec2-54-12-34-56.compute-1.amazonaws.com", [("aws_hostname", "54-12-34-56")]),
        ("ip-10-4-7-9.eu-west-1.compute.internal", [("aws_hostname", "10-4-7-9")]),
        (
            "orders-db.c9xk2mq1zt7a.us-east-1.rds.amazonaws.com",
            [("aws_db_identifier", "orders-db"), ("aws_hostname", "c9xk2mq1zt7a")],
        ),
        ("media-assets-3.s3.us-west-2.amazonaws.com", [("aws_s3_bucket", "media-assets-3")]),
        ("api-lb-901.us-east-2.elb.amazonaws.com", [("aws_hostname", "api-lb-901")]),
        ("k3j9x0a1b2.execute-api.eu-central-1.amazonaws.com", [("aws_hostname", "k3j9x0a1b2")]),
        ("d3k9x0a1b2c3d4.cloudfront.net", [("aws_hostname", "d3k9x0a1b2c3d4")]),
    ],
)
def test_resource_host_names(host: str, expect: list) -> None:
    assert found(f"connect to https://{host}/path") == expect


@pytest.mark.parametrize(
    "host",
    [
        "ec2.us-east-1.amazonaws.com",
        "s3.amazonaws.com",
        "sts.amazonaws.com",
        "dynamodb.eu-west-1.amazonaws.com",
        "region.compute.internal",
    ],
)
def test_service_endpoints_are_kept(host: str) -> None:
    assert found(f"endpoint {host} ok") == []


def test_sqs_queue_url() -> None:
    out = found(f"QueueUrl: https://sqs.us-east-1.amazonaws.com/{ACCT}/billing-events.fifo")
    assert out == [("aws_account_id", ACCT), ("aws_sqs_queue_url", "billing-events")]


def test_s3_uri_and_bucket_fields() -> None:
    assert found("aws s3 cp x s3://ledger-archive-9/2024/") == [
        ("aws_s3_bucket", "ledger-archive-9")
    ]
    assert found('"Bucket": "ledger-archive-9"') == [("aws_s3_bucket", "ledger-archive-9")]
    assert found("--bucket ledger-archive-9") == [("aws_s3_bucket", "ledger-archive-9")]


def test_kms_key_ids_in_kms_context_only() -> None:
    u = f"{hexs(8)}-{hexs(4)}-{hexs(4)}-{hexs(4)}-{hexs(12)}"
    assert found(f'"KmsKeyId": "{u}"') == [("aws_kms_key_id", u)]
    assert found(f"decrypting with KMS key {u}") == [("aws_kms_key_id", u)]
    m = hexs(32)
    assert found(f'"KeyId": "mrk-{m}"') == [("aws_kms_key_id", m)]
    assert found(f'"RequestId": "{u}"') == []  # a UUID without KMS context


def test_route53_zone_ids() -> None:
    z = "Z" + upper(13)
    assert found(f'"HostedZoneId": "/hostedzone/{z}"') == [("aws_route53_zone_id", z[1:])]
    assert found(f"--hosted-zone-id {z}") == [("aws_route53_zone_id", z[1:])]


def test_json_escape_before_a_value_is_a_boundary() -> None:
    h = hexs(17)
    assert found(f"line\\ni-{h}") == [("aws_ec2_instance_id", h)]
    assert found(f"col\\ti-{h}") == [("aws_ec2_instance_id", h)]
    assert found(f"\\\\ni-{h}") == [("aws_ec2_instance_id", h)]


def test_ids_inside_escaped_json_two_levels_deep() -> None:
    h = hexs(17)
    text = f'{{"content": "{{\\\\\\"InstanceId\\\\\\": \\\\\\"i-{h}\\\\\\"}}"}}'
    assert found(text) == [("aws_ec2_instance_id", h)]


def test_account_in_aws_made_names_and_paths() -> None:
    a = digits(12)
    assert found(f"SOURCEBUNDLE\telasticbeanstalk-eu-west-1-{a}\tx") == [("aws_account_id", a)]
    assert found(f"s3://codebuild-{a}-input-bucket/x")[0] == (
        "aws_s3_bucket",
        f"codebuild-{a}-input-bucket",
    )
    assert found(f"path o-abc1234567/{a}\tnext") == [("aws_account_id", a)]
    assert found(f'"AWSAccountId": "{a}"') == [("aws_account_id", a)]
    assert found("backup-202405021103.tar") == []  # a date-time stamp, not an account


def test_account_flags() -> None:
    a = digits(12)
    for flag in ("--account-id", "--user-ids", "--target-id"):
        assert found(f"aws x {flag} {a}\n") == [("aws_account_id", a)], flag


def test_url_encoded_arn_account() -> None:
    a = digits(12)
    text = f"https://up.example/arn%3Aaws%3Adevicefarm%3Aus-west-2%3A{a}%3Aproject%3Ax"
    assert found(text) == [("aws_account_id", a)]


def test_server_certificate_ids_are_kept() -> None:
    assert found(f'"ServerCertificateId": "ASCA{upper(17)}"') == []


def test_account_in_markdown_code() -> None:
    a = digits(12)
    assert found(f"prefix lists owned by AWS account ``{a}``.") == [("aws_account_id", a)]


def test_account_fields_in_cli_text_output() -> None:
    a = digits(12)
    # ImageLocation '<owner>/<name>', a federated user id '<account>:<name>'
    assert found(f"IMAGES\tx86_64\tami-{hexs(8)}\t{a}/web server\tmachine\n")[1:] == [
        ("aws_account_id", a)
    ]
    assert found(f"FEDERATEDUSER\tx\t{a}:ops-bot\n") == [("aws_account_id", a)]
    assert found(f'"FederatedUserId": "{a}:ops-bot"') == [("aws_account_id", a)]
    # escaped tabs: text output quoted inside a JSON string
    assert found(f"RESOURCES\\tACCOUNT\\t{a}\\n") == [("aws_account_id", a)]


@pytest.mark.parametrize("n", [107374182400, 536870912000, 214748364800])
def test_byte_counts_in_cli_text_output_are_not_accounts(n: int) -> None:
    assert found(f"VOLUMEINFOS\tvol-x\t{n}\tSTORED\n") == []


def test_twelve_digits_glued_to_a_word_or_a_time_are_kept() -> None:
    a = digits(12)
    assert found(f"at{a}\tnext") == []
    assert found(f'"when": "{a}:30"') == []


def test_account_lists_after_snapshot_sharing_flags() -> None:
    a, b = digits(12), digits(12)
    out = found(
        f"aws rds modify-db-snapshot-attribute --values-to-add {a} {b} --values-to-remove all"
    )
    assert out == [("aws_account_id", a), ("aws_account_id", b)]
    assert found(f"aws ec2 modify-snapshot-attribute --user-ids {a} {b}\n") == [
        ("aws_account_id", a),
        ("aws_account_id", b),
    ]
    assert found("--values-to-add all --x") == []


def test_zone_shaped_resource_id_flag() -> None:
    z = "Z" + upper(13)
    assert found(f"--resource-type hostedzone --resource-id {z}\n") == [
        ("aws_route53_zone_id", z[1:])
    ]
    assert found("--resource-id my-table\n") == []


def test_glacier_vault_in_a_path() -> None:
    a = digits(12)
    assert found(f"\t/{a}/vaults/media-archive/jobs/abc\n") == [
        ("aws_account_id", a),
        ("aws_resource_name", "media-archive"),
    ]


def test_redacted_and_region_labels_of_a_host_are_kept() -> None:
    host = "orders-clone.cluster-############.us-west-2.rds.amazonaws.com"
    assert found(f'"Endpoint": "{host}"') == [("aws_db_identifier", "orders-clone")]
    assert found('"Endpoint": "##.us-west-2.rds.amazonaws.com"') == []


def test_bucket_key_holding_a_call_is_code() -> None:
    assert found('s3.get_object(Bucket=os.environ.get("REPORT_BUCKET"))') == []
    assert found("Bucket=ledger-archive-9\n") == [("aws_s3_bucket", "ledger-archive-9")]


def test_upper_case_id_embedding_a_digit_run_goes_whole() -> None:
    v = f"ID{digits(15)}EXAMPLE"
    assert found(f"CERT\t{v}\tActive\n") == [("aws_iam_unique_id", v)]


@pytest.mark.parametrize(
    "text", ["T20240101123456Z", "ISBN9781234567897", "AB1234567890", "xID123456789012345X"]
)
def test_upper_case_digit_id_near_misses(text: str) -> None:
    assert found(text) == []
