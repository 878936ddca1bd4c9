"""AWS identifiers: resource ids, ARNs (component-wise), account ids in context, access key and
IAM unique ids, host names of resources, S3 buckets, SQS URLs, KMS key ids, Route 53 zones.

Names chosen by users (``RoleName``, ``--function-name``) live in :mod:`.names`; secret access
keys and session tokens, found by their keys, in :mod:`.secrets`.
"""

from __future__ import annotations

import re

from masking.findings import CLASSWISE, HEX, Finding

from ._base import (
    ALNUM,
    BACK,
    GLUE_ID,
    KEY_ANCHOR,
    WORD,
    CheckResult,
    Field,
    Recognizer,
    Value,
    backslashes_before,
    camel_words,
    escape_ends_at,
    field_check,
    key_variants,
    left_ok,
    norm_key,
    right_ok,
    unescape,
)

CATEGORY = "aws"

# ---------------------------------------------------------------- resource ids

# prefix -> type; every id is '<prefix>-' + 8 or 17 lower-case hex digits
ID_PREFIXES: dict[str, str] = {
    "i": "aws_ec2_instance_id",
    "vol": "aws_ebs_volume_id",
    "snap": "aws_ebs_snapshot_id",
    "ami": "aws_ami_id",
    "aki": "aws_ami_id",
    "ari": "aws_ami_id",
    "sg": "aws_security_group_id",
    "sgr": "aws_security_group_rule_id",
    "subnet": "aws_subnet_id",
    "vpc": "aws_vpc_id",
    "eni": "aws_network_interface_id",
    "eni-attach": "aws_network_interface_attachment_id",
    "rtb": "aws_route_table_id",
    "rtbassoc": "aws_route_table_id",
    "acl": "aws_network_acl_id",
    "aclassoc": "aws_network_acl_id",
    "igw": "aws_internet_gateway_id",
    "eigw": "aws_internet_gateway_id",
    "nat": "aws_nat_gateway_id",
    "eipalloc": "aws_eip_id",
    "eipassoc": "aws_eip_id",
    "fs": "aws_efs_id",
    "fsmt": "aws_efs_id",
    "fsap": "aws_efs_id",
    "fsvol": "aws_fsx_volume_id",
    "svm": "aws_fsx_svm_id",
    "dopt": "aws_dhcp_options_id",
    "lt": "aws_launch_template_id",
    "cgw": "aws_customer_gateway_id",
    "vgw": "aws_vpn_gateway_id",
    "vpn": "aws_vpn_connection_id",
    "pcx": "aws_vpc_peering_connection_id",
    "sir": "aws_spot_instance_request_id",
    "tgw": "aws_transit_gateway_id",
    "tgw-attach": "aws_transit_gateway_attachment_id",
    "tgw-rtb": "aws_transit_gateway_route_table_id",
    "tgw-mcast-domain": "aws_transit_gateway_multicast_domain_id",
    "vpce": "aws_vpc_endpoint_id",
    "vpce-svc": "aws_vpc_endpoint_service_id",
    "r": "aws_reservation_id",
    "pl": "aws_prefix_list_id",
    "ipam": "aws_ipam_id",
    "ipam-pool": "aws_ipam_pool_id",
    "ipam-scope": "aws_ipam_scope_id",
    "ipam-res-disco": "aws_ipam_id",
    "cvpn-endpoint": "aws_client_vpn_endpoint_id",
    "cks": "aws_custom_key_store_id",
    "lgw": "aws_local_gateway_id",
    "lgw-rtb": "aws_local_gateway_route_table_id",
    "lgw-vif-grp": "aws_local_gateway_id",
    "lgw-attach": "aws_local_gateway_id",
    "cagw": "aws_carrier_gateway_id",
    "h": "aws_dedicated_host_id",
    "cr": "aws_capacity_reservation_id",
    "eice": "aws_instance_connect_endpoint_id",
    "vai": "aws_verified_access_id",
    "vagr": "aws_verified_access_id",
    "vae": "aws_verified_access_id",
    "vatp": "aws_verified_access_id",
    "nip": "aws_network_insights_id",
    "nia": "aws_network_insights_id",
    "nis": "aws_network_insights_id",
    "export-i": "aws_export_task_id",
    "export-ami": "aws_export_task_id",
    "import-ami": "aws_import_task_id",
    "import-i": "aws_import_task_id",
    "import-snap": "aws_import_task_id",
    "bun": "aws_bundle_task_id",
    "iew": "aws_instance_event_window_id",
    "tmf": "aws_traffic_mirror_id",
    "tms": "aws_traffic_mirror_id",
    "tmt": "aws_traffic_mirror_id",
    "fl": "aws_flow_log_id",
    "pg": "aws_placement_group_id",
    "key": "aws_key_pair_id",
    "ipv4pool-ec2": "aws_ipv4_pool_id",
    "afi": "aws_fpga_image_id",
    "agfi": "aws_fpga_image_id",
    "elastic-gpu": "aws_elastic_gpu_id",
    "ins": "aws_instance_id_other",
    "fleet": "aws_ec2_fleet_id",
}
ID_PREFIXES.pop("ins")  # 'ins-' is not an EC2 id format; kept out deliberately
# Handles of tasks, associations, event windows and analyses ('eni-attach-…', 'import-ami-…',
# 'nip-…') name no resource of the user's infrastructure worth hiding, and are partly made of a
# resource id; they stay as they are (inside an ARN the ARN rule masks them as a whole segment).
# Resources proper (dedicated hosts, endpoint services, IPAM pools, Verified Access parts...)
# are masked like any other resource id. Their types stay in the catalog either way, so a config
# that disables one still loads.
_UNMASKED_PREFIXES = frozenset(
    (
        "eni-attach",
        "import-ami",
        "import-i",
        "import-snap",
        "export-i",
        "export-ami",
        "iew",
        "nip",
        "nia",
        "nis",
        "bun",
    )
)
_MASKED_PREFIXES = {p: t for p, t in ID_PREFIXES.items() if p not in _UNMASKED_PREFIXES}

_ID_PATTERN = (
    "(?:"
    + "|".join(re.escape(p) for p in sorted(_MASKED_PREFIXES, key=lambda p: (-len(p), p)))
    + ")-[0-9a-f]{8}"
)
_ID_TYPE_BY_PREFIX = {p.encode(): t for p, t in _MASKED_PREFIXES.items()}
_LOWER_HEX = frozenset(b"0123456789abcdef")
_ID_FULL = re.compile(rb"([a-z0-9]+(?:-[a-z]+)*)-([0-9a-f]{8}|[0-9a-f]{17})")


def id_finding(data: bytes, s: int, e: int) -> Finding | None:
    """A finding for the hex part of a resource id spanning exactly ``data[s:e]``, if it is one."""
    m = _ID_FULL.fullmatch(data, s, e)
    if m is None:
        return None
    rtype = _ID_TYPE_BY_PREFIX.get(m.group(1))
    if rtype is None:
        return None
    return Finding(m.start(2), e, rtype, HEX)


def _check_id(data: bytes, s: int, e: int) -> CheckResult:
    lim = min(len(data), e + 10)
    while e < lim and data[e] in _LOWER_HEX:
        e += 1
    n = e - s
    dash = data.rfind(b"-", s, e)
    hexlen = e - dash - 1
    if hexlen not in (8, 17) or not left_ok(data, s, GLUE_ID) or not right_ok(data, e, GLUE_ID):
        return None
    rtype = _ID_TYPE_BY_PREFIX.get(data[s:dash])
    if rtype is None or (rtype == "aws_key_pair_id" and hexlen != 17) or n > 40:
        return None
    return [Finding(dash + 1, e, rtype, HEX)], e


# RDS resource ids (DbiResourceId, DbClusterResourceId): 'db-'/'cluster-' + 26 upper alnum
def _check_rds_resource(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s, GLUE_ID) or not right_ok(data, e, GLUE_ID):
        return None
    dash = data.index(b"-", s)
    body = data[dash + 1 : e]
    if not any(48 <= c <= 57 for c in body):
        return None
    return [Finding(dash + 1, e, "aws_rds_resource_id", CLASSWISE)], e


# ---------------------------------------------------------------- access keys, unique ids

_KEY_PREFIX_TYPE = {
    b"AKIA": "aws_access_key_id",
    b"ASIA": "aws_access_key_id",
    b"ABIA": "aws_access_key_id",
    b"ACCA": "aws_access_key_id",
    b"AIDA": "aws_iam_unique_id",
    b"AROA": "aws_iam_unique_id",
    b"AIPA": "aws_iam_unique_id",
    b"ANPA": "aws_iam_unique_id",
    b"ANVA": "aws_iam_unique_id",
    b"AGPA": "aws_iam_unique_id",
    b"APKA": "aws_iam_unique_id",
    b"AIKA": "aws_iam_unique_id",
}


def _check_key_id(data: bytes, s: int, e: int) -> CheckResult:
    lim = min(len(data), s + 24)
    while e < lim and (48 <= data[e] <= 57 or 65 <= data[e] <= 90):
        e += 1
    if not left_ok(data, s) or not right_ok(data, e):
        return None
    rtype = _KEY_PREFIX_TYPE[data[s : s + 4]]
    body = e - s - 4
    if rtype == "aws_access_key_id" and body != 16:
        return None
    return [Finding(s + 4, e, rtype, CLASSWISE)], e


# ---------------------------------------------------------------- ARNs

_ARN_HEAD = re.compile(
    rb"arn:(?:aws(?:-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?):(?P<svc>[a-z0-9-]{1,40}):"
    rb"(?P<region>[a-z0-9-]{0,32}):(?P<acct>[0-9]{12,13}|aws|)?:"
)
_SEP = re.compile(rb"(?:\\{0,7}/|\\{1,7}u002[fF]|:)")
# runs of plain characters joined by escaped slashes: fast in Python re (no per-byte alternation)
_RES = re.compile(
    rb"[A-Za-z0-9_+=.@$*!~%:/-]*(?:(?:\\{1,7}/|\\{1,7}u002[fF])[A-Za-z0-9_+=.@$*!~%:/-]*)*"
)
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MRK = re.compile(rb"mrk-([0-9a-f]{32})")
_ACCOUNT12 = re.compile(rb"[0-9]{12}")
_VERSIONISH = re.compile(rb"[0-9]{1,6}|\*|\$LATEST|latest")

# segments that are structure, not names
_ARN_KEEP = frozenset(
    b"service-role aws-service-role aws-reserved app net gwy root * $LATEST default "
    b"latest federated-user assumed-role sso.amazonaws.com".split()
)
_ARN_IAM_KINDS = frozenset(
    b"role user group instance-profile policy server-certificate mfa saml-provider "
    b"oidc-provider assumed-role federated-user".split()
)
_ARN_DB_KINDS = frozenset(
    b"db cluster snapshot cluster-snapshot replicationgroup cachecluster".split()
)


def _arn_name_type(svc: bytes, kind: bytes) -> str:
    if svc in (b"iam", b"sts") and kind in _ARN_IAM_KINDS:
        return "aws_iam_name"
    if (
        svc in (b"rds", b"elasticache", b"redshift", b"docdb", b"neptune-db", b"dms")
        and kind in _ARN_DB_KINDS
    ):
        return "aws_db_identifier"
    return "aws_resource_name"


def arn_findings(data: bytes, s: int, limit: int) -> tuple[list[Finding], int] | None:
    """Parse the ARN at ``s`` and mask it component-wise (account, names, ids)."""
    m = _ARN_HEAD.match(data, s, limit)
    if m is None:
        return None
    svc = m.group("svc")
    acct = m.group("acct") or b""
    out: list[Finding] = []
    if len(acct) >= 12:
        out.append(Finding(m.start("acct"), m.end("acct"), "aws_account_id", CLASSWISE))
    rm = _RES.match(data, m.end(), limit)
    if rm is None or rm.end() == rm.start():
        return (out, m.end()) if out else None
    end = rm.end()
    while end > rm.start() and data[end - 1] in b".:,":  # end of a sentence, not of the ARN
        end -= 1
    if end < limit and ALNUM[data[end]]:
        return None
    if acct == b"aws":  # AWS-managed resources (policies) name nothing of the user's
        return [], end
    # split the resource into segments at '/', ':' and their escaped forms
    segs: list[tuple[int, int]] = []
    p = rm.start()
    for sm in _SEP.finditer(data, p, end):
        segs.append((p, sm.start()))
        p = sm.end()
    segs.append((p, end))
    kind = data[segs[0][0] : segs[0][1]] if len(segs) > 1 else b""
    named = segs[1:] if len(segs) > 1 else segs
    if svc == b"s3":
        a, b = segs[0]
        if b > a:
            out.append(Finding(a, b, "aws_s3_bucket", CLASSWISE))
        return out, end
    name_type = _arn_name_type(svc, kind)
    for a, b in named:
        if b <= a:
            continue
        seg = data[a:b]
        if seg in _ARN_KEEP or b"*" in seg or _VERSIONISH.fullmatch(seg):
            continue
        f = id_finding(data, a, b)
        if f is not None:
            out.append(f)
            continue
        if _UUID.fullmatch(seg):
            out.append(Finding(a, b, "aws_kms_key_id" if svc == b"kms" else "aws_arn", HEX))
            continue
        mm = _MRK.fullmatch(seg)
        if mm:
            out.append(Finding(a + 4, b, "aws_kms_key_id", HEX))
            continue
        if _ACCOUNT12.fullmatch(seg):
            out.append(Finding(a, b, "aws_account_id", CLASSWISE))
            continue
        if not any(ALNUM[c] for c in seg):
            continue
        out.append(Finding(a, b, name_type, CLASSWISE))
    return out, end


def _check_arn(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s):
        return None
    return arn_findings(data, s, min(len(data), s + 2048))


# ---------------------------------------------------------------- account ids in context

_QUOTED12 = re.compile(rb'"([0-9]{12})(\\{0,7}"|/|:(?=[A-Za-z][A-Za-z0-9_.@+=,-]))')
_KEY_BEFORE = re.compile(rb'([A-Za-z_-]{2,40})\\{0,7}"?[ \t]{0,4}[:=][ \t]{0,4}\[?[ \t]{0,4}$')
_NOT_ACCOUNT_KEYS = (
    "time",
    "date",
    "size",
    "byte",
    "count",
    "secret",
    "phone",
    "number",
    "amount",
    "duration",
    "version",
    "epoch",
    "serial",
    "port",
    "offset",
)


def _check_quoted12(data: bytes, s: int, e: int) -> CheckResult:
    m = _QUOTED12.match(data, s, min(len(data), s + 24))
    if m is None:
        return None
    close = m.group(2)
    if close not in (b"/", b":") and len(close) - 1 != backslashes_before(data, s):
        return None
    # a key right before decides against it when it names a quantity or a secret
    km = _KEY_BEFORE.search(data, max(0, s - 48), s)
    if km is not None:
        words = camel_words(km.group(1).decode())
        if any(w.startswith(_NOT_ACCOUNT_KEYS) for w in words):
            return None
    return [Finding(m.start(1), m.end(1), "aws_account_id", CLASSWISE)], m.end(1)


_ACCOUNT_WORDS = re.compile(
    rb"(?i:account|owner|acct|registry)(?i:[ _-]?(?:ids?|numbers?|no))?"
    rb"(?:,Values=|[ \t:=#,'\"\\(\[`-]|\\n){1,12}([0-9]{12})"
)


def _check_account_words(data: bytes, s: int, e: int) -> CheckResult:
    # 'account 123456789012', 'OwnerId: 123456789012', '--account-id 123456789012'
    glued = not left_ok(data, s, WORD) and not (s >= 2 and data[s - 2 : s] == b"--")
    if glued and not (s >= 1 and data[s - 1] in b"_-"):  # aws_account_id, x-account
        return None
    m = _ACCOUNT_WORDS.match(data, s, min(len(data), s + 64))
    if m is None:
        return None
    e = m.end()
    d0 = e - 12
    if not right_ok(data, e) or data[d0 - 1] in b"0123456789." or right_is_decimal(data, e):
        return None
    return [Finding(d0, e, "aws_account_id", CLASSWISE)], e


def right_is_decimal(data: bytes, e: int) -> bool:
    return e + 1 < len(data) and data[e] == 0x2E and data[e + 1] in b"0123456789"


_FIELD12 = re.compile(
    rb"([\tnt\n])([0-9]{12})(\t|\r|\n|\\{1,7}[tnr]|/(?=[A-Za-z0-9])|:(?=[A-Za-z][A-Za-z0-9_.@+=,-]))"
)
_MIB = 1 << 20


def _check_field12(data: bytes, s: int, e: int) -> CheckResult:
    # AWS CLI text output: a 12-digit field between tabs, or a line that is only 12 digits
    # ('aws sts get-caller-identity --query Account --output text'); a field that starts with
    # the account: '<account>/<image name>' (ImageLocation), '<account>:<user>' (a federated
    # user id)
    m = _FIELD12.match(data, s, min(len(data), s + 24))
    if m is None:
        return None
    left, right = m.group(1), m.group(3)
    if left in b"nt" and not (s >= 1 and data[s - 1] == 0x5C):
        return None  # a letter, not the end of a '\t' or '\n' escape
    tab = left == b"t" or left == b"\t" or right.endswith(b"t") or right == b"\t"
    if not tab and not (left.endswith(b"n") or left == b"\n"):
        return None
    if right in b"/:" and not tab:
        return None
    digits = m.group(2)
    if int(digits) % _MIB == 0:
        return None  # a byte count (107374182400 is 100 GiB), not an account
    return [Finding(m.start(2), m.end(2), "aws_account_id", CLASSWISE)], m.end(2)


_PATH12 = re.compile(rb"(?:/|u002[fF])([0-9]{12})(?:\\{0,7}/|\\{1,7}u002[fF]|(?=[\t\r\n\"\\]|$))")


def _check_path12(data: bytes, s: int, e: int) -> CheckResult:
    # '/123456789012/' in URLs and paths (Glacier, S3 keys, ECR, SQS): an account in a path
    m = _PATH12.match(data, s, min(len(data), s + 40))
    if m is None:
        return None
    out = [Finding(m.start(1), m.end(1), "aws_account_id", CLASSWISE)]
    # Glacier paths name the vault: '/<account>/vaults/<vault>/jobs/...'
    vm = _VAULT_PATH.match(data, m.end(), min(len(data), m.end() + 280))
    if vm is not None and right_ok(data, vm.end(), GLUE_ID):
        out.append(Finding(vm.start(1), vm.end(1), "aws_resource_name", CLASSWISE))
        return out, vm.end()
    return out, m.end(1)


_VAULT_PATH = re.compile(rb"vaults(?:\\{0,7}/|\\{1,7}u002[fF])([A-Za-z0-9_.-]{1,255})")


_ARN_URLENC = re.compile(
    rb"arn%3[Aa]aws[a-z-]{0,10}%3[Aa][a-z0-9-]{1,40}%3[Aa][a-z0-9-]{0,32}%3[Aa]([0-9]{12})%3[Aa]"
)


def _check_arn_urlencoded(data: bytes, s: int, e: int) -> CheckResult:
    # an ARN inside a URL, ':' written as '%3A' (pre-signed S3 upload URLs)
    if not left_ok(data, s):
        return None
    m = _ARN_URLENC.match(data, s, min(len(data), s + 160))
    if m is None:
        return None
    return [Finding(m.start(1), m.end(1), "aws_account_id", CLASSWISE)], m.end(1)


_DASH12 = re.compile(rb"-([0-9]{12})(?=-[a-z]|[^A-Za-z0-9-]|$)")
_DATE12 = re.compile(rb"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:[0-2][0-9]|3[01])[0-9]{4}")


def _check_dash12(data: bytes, s: int, e: int) -> CheckResult:
    # AWS-made bucket and resource names carry the account: 'elasticbeanstalk-us-west-2-<acct>',
    # 'codebuild-<acct>-input-bucket', 'sagemaker-eu-west-1-<acct>', 'cdk-...-assets-<acct>-...'
    if s == 0 or not (97 <= data[s - 1] <= 122 or 48 <= data[s - 1] <= 57):
        return None
    m = _DASH12.match(data, s, min(len(data), s + 16))
    if m is None or _DATE12.fullmatch(m.group(1)):
        return None
    return [Finding(m.start(1), m.end(1), "aws_account_id", CLASSWISE)], m.end(1)


_UUID_AFTER_KEY = re.compile(
    rb"(?i:key)[ \t:=/]{1,3}([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)


def _check_key_uuid(data: bytes, s: int, e: int) -> CheckResult:
    # 'KMS key 1234abcd-...', 'key 1234abcd-... scheduled for rotation'
    if not left_ok(data, s, WORD):
        return None
    m = _UUID_AFTER_KEY.match(data, s, min(len(data), s + 64))
    if m is None or not right_ok(data, m.end(), GLUE_ID):
        return None
    return [Finding(m.start(1), m.end(1), "aws_kms_key_id", HEX)], m.end()


_ZONE_WORD = re.compile(
    rb"(?i:zone|hostedzone)(?:[ \t:=]{1,3}|\\{0,7}/|\\{1,7}u002[fF])Z([A-Z0-9]{7,31})"
)


def _check_zone_word(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s):
        return None
    m = _ZONE_WORD.match(data, s, min(len(data), s + 64))
    if m is None or not right_ok(data, m.end()):
        return None
    z = m.group(1)
    if not any(48 <= c <= 57 for c in z):
        return None
    return [Finding(m.start(1), m.end(1), "aws_route53_zone_id", CLASSWISE)], m.end()


_KEY_AND_SECRET = re.compile(
    rb"(A(?:KIA|SIA))([A-Z0-9]{16})"
    rb"((?:\t|\\{1,7}t|[ ,;|]){1,4}(?:[^\t\n\\ ]{1,40}(?:\t|\\{1,7}t|[ ,;|]){1,4})?)"
    rb"([A-Za-z0-9/+]{40,44})"
)


def _check_key_and_secret(data: bytes, s: int, e: int) -> CheckResult:
    # 'AKIA...<tab>date<tab>SECRET' (create-access-key text output), 'AKIA... SECRET' pairs
    if not left_ok(data, s):
        return None
    m = _KEY_AND_SECRET.match(data, s, min(len(data), s + 160))
    if (
        m is None
        or not right_ok(data, m.end())
        or (m.end() < len(data) and data[m.end()] in b"/+=")
    ):
        return None
    sec = m.group(4)
    if not (any(65 <= c <= 90 for c in sec) and any(97 <= c <= 122 for c in sec)):
        return None
    return [
        Finding(m.start(2), m.end(2), "aws_access_key_id", CLASSWISE),
        Finding(m.start(4), m.end(4), "aws_secret_access_key", CLASSWISE),
    ], m.end()


# ---------------------------------------------------------------- host names

_HOST_SUFFIXES = (
    r"amazonaws\.com(?:\.cn)?|compute\.internal|ec2\.internal|cloudfront\.net|"
    r"awsapps\.com|elasticbeanstalk\.com|on\.aws|amplifyapp\.com|"
    r"awsglobalaccelerator\.com"
)
_REGION = re.compile(
    rb"(?:[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]|[a-z]{2,4}[0-9]|[0-9]+|"
    rb"cfg|ng|clustercfg|dualstack|fips|internal|compute(?:-1)?|cn|global|"
    rb"ats|auth)"
)
_RESOURCE_SERVICES = frozenset(
    b"rds elb cache es redshift efs fsx execute-api dkr vpce iot kafka mq docdb neptune aoss "
    b"airflow appsync-api lambda-url dax memorydb redshift-serverless emr-serverless kinesis "
    b"cloudsearch apprunner elasticbeanstalk awsapprunner streaming sagemaker "
    b"studio".split()
)
_DB_SERVICES = frozenset(b"rds cache redshift docdb neptune memorydb dax".split())
_S3_LABEL = re.compile(
    rb"s3(?:-website)?(?:[.-][a-z]{2}(?:-gov)?-[a-z]+-[0-9])?|s3-accesspoint|"
    rb"s3-control|s3-external-1|s3-fips"
)
_EC2_PUBLIC = re.compile(rb"ec2-((?:[0-9]{1,3}-){3}[0-9]{1,3})")
_IP_LABEL = re.compile(rb"ip-((?:[0-9]{1,3}-){3}[0-9]{1,3})")
_KEEP_PREFIX = re.compile(rb"(?:cluster-custom-|cluster-ro-|cluster-|internal-|search-|vpc-)")
_SQS_PATH = re.compile(
    rb"(?:\\{0,7}/|\\{1,7}u002[fF])([0-9]{12})(?:\\{0,7}/|\\{1,7}u002[fF])"
    rb"([A-Za-z0-9_-]{1,80}(?:\.fifo)?)"
)
_S3_PATH_BUCKET = re.compile(rb"(?:\\{0,7}/|\\{1,7}u002[fF])([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])")


def _label_findings(data: bytes, a: int, b: int, rtype: str) -> list[Finding]:
    """Mask one host label, keeping structural prefixes such as ``cluster-ro-``."""
    f = id_finding(data, a, b)
    if f is not None:
        return [f]
    m = _EC2_PUBLIC.fullmatch(data, a, b) or _IP_LABEL.fullmatch(data, a, b)
    if m is not None:
        return [Finding(m.start(1), m.end(1), "aws_hostname", CLASSWISE)]
    if _ACCOUNT12.fullmatch(data, a, b):
        return [Finding(a, b, "aws_account_id", CLASSWISE)]
    km = _KEEP_PREFIX.match(data, a, b)
    if km is not None and km.end() < b:
        a = km.end()
    if not any(ALNUM[c] for c in data[a:b]):
        return []  # a redacted label ('############')
    return [Finding(a, b, rtype, CLASSWISE)]


_SUFFIX = re.compile(rb"\.(?:" + _HOST_SUFFIXES.encode() + rb")")
# '#' too: documentation redacts parts of host names ('db1.cluster-############.us-east-1.rds.')
_HOST_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-#")
_REGION_LABEL = re.compile(rb"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]")


def _check_host(data: bytes, a: int, e: int) -> CheckResult:
    # the candidate is the suffix ('.amazonaws.com'); the host's labels lie to its left
    m = _SUFFIX.match(data, a, min(len(data), a + 40))
    if m is None:
        return None
    e = m.end()
    if not right_ok(data, e, GLUE_ID):
        return None
    s = a
    lo = max(0, a - BACK)
    while s > lo and data[s - 1] in _HOST_CHARS:
        s -= 1
    while s < a and data[s] in b".-#":
        s += 1
    if s == a:
        return [], e
    if s > 0 and data[s - 1] == 0x5C and escape_ends_at(data, s):
        s += 1  # '\nmydb.abc...': the 'n' belongs to the escape
    host = data[s:e]
    labels = host.split(b".")
    starts = []
    p = s
    for lab in labels:
        starts.append(p)
        p += len(lab) + 1
    out: list[Finding] = []
    end = e

    def span(i: int) -> tuple[int, int]:
        return starts[i], starts[i] + len(labels[i])

    if host.endswith((b"compute.internal", b"ec2.internal")):
        if _IP_LABEL.fullmatch(labels[0]) or id_finding(data, *span(0)):
            return _label_findings(data, *span(0), "aws_hostname"), e
        return [], e
    if not host.endswith((b"amazonaws.com", b"amazonaws.com.cn")):
        # cloudfront.net, awsapps.com, elasticbeanstalk.com, on.aws ...: the first label names it
        if len(labels) <= 2:
            return [], e
        return _label_findings(data, *span(0), "aws_hostname"), e
    core = labels[:-2] if labels[-1] == b"com" else labels[:-3]
    if not core:
        return [], e
    # S3 virtual-hosted buckets: everything left of the first s3 label
    for i, lab in enumerate(core):
        if _S3_LABEL.fullmatch(lab):
            if i > 0:
                out.append(Finding(s, starts[i] - 1, "aws_s3_bucket", CLASSWISE))
            else:
                m = _S3_PATH_BUCKET.match(data, e, min(len(data), e + 80))
                if m is not None and right_ok(data, m.end(), GLUE_ID):
                    out.append(Finding(m.start(1), m.end(1), "aws_s3_bucket", CLASSWISE))
                    end = m.end()
            return out, end
    if core[0] in (b"sqs", b"queue"):
        m = _SQS_PATH.match(data, e, min(len(data), e + 120))
        if m is not None and right_ok(data, m.end(), GLUE_ID):
            return [
                Finding(m.start(1), m.end(1), "aws_account_id", CLASSWISE),
                Finding(m.start(2), m.end(2), "aws_sqs_queue_url", CLASSWISE),
            ], m.end()
        return [], e
    svc_at = next((i for i, lab in enumerate(core) if lab in _RESOURCE_SERVICES), -1)
    if _EC2_PUBLIC.fullmatch(core[0]):
        return _label_findings(data, *span(0), "aws_hostname"), e
    if svc_at <= 0:
        return [], e  # a service endpoint such as ec2.us-east-1.amazonaws.com
    first_type = "aws_db_identifier" if core[svc_at] in _DB_SERVICES else "aws_hostname"
    for i in range(svc_at):
        lab = core[i]
        if (i > 0 and _REGION.fullmatch(lab)) or _REGION_LABEL.fullmatch(lab):
            continue
        if not any(ALNUM[c] for c in lab):
            continue
        out.extend(_label_findings(data, *span(i), first_type if i == 0 else "aws_hostname"))
    return out, e


# ---------------------------------------------------------------- s3:// URIs

_S3_URI = re.compile(rb"s3[an]?:(?:\\{0,7}/){2}([a-z0-9][a-z0-9.-]{2,62})")


def _check_s3_uri(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s):
        return None
    m = _S3_URI.match(data, s, min(len(data), s + 80))
    if m is None:
        return None
    b = m.start(1)
    be = m.end(1)
    while be > b and data[be - 1] in b".-":
        be -= 1
    if be - b < 3:
        return None
    if unescape(data[b:be]) in _BUCKET_STOP:
        return [], be
    return [Finding(b, be, "aws_s3_bucket", CLASSWISE)], be


# ---------------------------------------------------------------- fields: accounts, KMS, zones, S3

_BUCKET = re.compile(rb"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_BUCKET_STOP = frozenset(
    {
        b"bucket",
        b"string",
        b"none",
        b"null",
        b"true",
        b"false",
        b"your-bucket",
        b"bucket-name",
        b"my-bucket-name",
    }
)
_ZONE = re.compile(
    rb"(?:(?:\\{0,7}/|\\{1,7}u002[fF])hostedzone(?:\\{0,7}/|\\{1,7}u002[fF]))?"
    rb"Z([A-Z0-9]{7,31})"
)
_DEFER = re.compile(rb"arn:|s3:|https?:|[a-z]{1,12}-[0-9a-f]{8}")


def _v_account(data: bytes, v: Value, rtype: str) -> list[Finding] | None:
    if v.end - v.start == 12 and _ACCOUNT12.fullmatch(data, v.start, v.end):
        return [Finding(v.start, v.end, "aws_account_id", CLASSWISE)]
    return None


def _v_kms(data: bytes, v: Value, rtype: str) -> list[Finding] | None:
    if _UUID.fullmatch(data, v.start, v.end):
        return [Finding(v.start, v.end, "aws_kms_key_id", HEX)]
    m = _MRK.fullmatch(data, v.start, v.end)
    if m:
        return [Finding(m.start(1), m.end(1), "aws_kms_key_id", HEX)]
    if _DEFER.match(data, v.start, v.end):
        return []
    return None


def _v_zone(data: bytes, v: Value, rtype: str) -> list[Finding] | None:
    m = _ZONE.fullmatch(data, v.start, v.end)
    if m is None:
        return None
    return [Finding(m.start(1), m.end(1), "aws_route53_zone_id", CLASSWISE)]


def _v_bucket(data: bytes, v: Value, rtype: str) -> list[Finding] | None:
    if not v.quote and v.end < len(data) and data[v.end] == 0x28:
        return None  # 'Bucket=os.environ.get(...)': a call, not a bucket name
    if _DEFER.match(data, v.start, v.end):
        return []
    if not _BUCKET.fullmatch(data, v.start, v.end) or data[v.start : v.end] in _BUCKET_STOP:
        return None
    return [Finding(v.start, v.end, "aws_s3_bucket", CLASSWISE)]


_ACCOUNT_KEYS = (
    "OwnerId",
    "AccountId",
    "Account",
    "AwsAccountId",
    "RegistryId",
    "SourceOwnerId",
    "RequesterId",
    "TargetAccountId",
    "SourceAccount",
    "AccountNumber",
    "aws_account_id",
    "MasterAccountId",
    "ManagementAccountId",
    "CallerAccount",
    "SourceAccountId",
    "AdministratorAccountId",
    "DelegatedAdminAccountId",
)
_KMS_KEYS = (
    "KmsKeyId",
    "KeyId",
    "TargetKeyId",
    "KmsMasterKeyId",
    "SSEKMSKeyId",
    "KMSKeyId",
    "kms_key_id",
    "KmsKeyArn",
    "EncryptionKey",
    "MasterKeyId",
    "kms_master_key_id",
    "SourceKmsKeyId",
    "DestinationKmsKeyId",
    "CustomerMasterKeyId",
)
_ZONE_KEYS = (
    "HostedZoneId",
    "ZoneId",
    "hosted_zone_id",
    "zone_id",
    "DelegationSetId",
    "HostedZone",
    "AliasHostedZoneId",
)
_BUCKET_KEYS = (
    "Bucket",
    "BucketName",
    "S3Bucket",
    "TargetBucket",
    "S3BucketName",
    "SourceBucket",
    "DestinationBucket",
    "bucket",
    "LogBucket",
    "OutputS3BucketName",
    "S3OutputBucket",
    "DeploymentBucket",
    "ArtifactBucket",
    "CodeBucket",
)

_FIELD_TABLE: dict[str, Field] = {}
for _k in _ACCOUNT_KEYS:
    _FIELD_TABLE[norm_key(_k.encode())] = Field("aws_account_id", CLASSWISE, _v_account)
for _k in _KMS_KEYS:
    _FIELD_TABLE[norm_key(_k.encode())] = Field("aws_kms_key_id", HEX, _v_kms)
for _k in _ZONE_KEYS:
    _FIELD_TABLE[norm_key(_k.encode())] = Field("aws_route53_zone_id", CLASSWISE, _v_zone)
for _k in _BUCKET_KEYS:
    _FIELD_TABLE[norm_key(_k.encode())] = Field("aws_s3_bucket", CLASSWISE, _v_bucket)

_FLAG_TABLE: dict[str, Field] = {
    "accountid": Field("aws_account_id", CLASSWISE, _v_account),
    "accountids": Field("aws_account_id", CLASSWISE, _v_account),
    "userids": Field("aws_account_id", CLASSWISE, _v_account),
    "targetid": Field("aws_account_id", CLASSWISE, _v_account),
    "keyid": Field("aws_kms_key_id", HEX, _v_kms),
    "kmskeyid": Field("aws_kms_key_id", HEX, _v_kms),
    "hostedzoneid": Field("aws_route53_zone_id", CLASSWISE, _v_zone),
    # 'route53 change-tags-for-resource --resource-type hostedzone --resource-id Z...': only a
    # zone-shaped value, other resource ids are left to their own rules
    "resourceid": Field("aws_route53_zone_id", CLASSWISE, _v_zone),
    "bucket": Field("aws_s3_bucket", CLASSWISE, _v_bucket),
}

_FIELD_KEYS = [key_variants(k) for k in _ACCOUNT_KEYS + _KMS_KEYS + _ZONE_KEYS + _BUCKET_KEYS]
_FIELD_PATTERN = "(?:" + "|".join(_FIELD_KEYS) + ")" + KEY_ANCHOR
_FLAG_PATTERN = (
    "--(?:account-ids?|user-ids|target-id|key-id|kms-key-id|hosted-zone-id|resource-id|"
    "bucket)[ \t=]"
)

_ACCOUNT_LIST_FLAG = re.compile(rb"--(?:values-to-(?:add|remove)|account-ids|user-ids)[ \t=]")
_LIST_ITEM = re.compile(rb"[ \t]{0,4}(\\{0,7}[\"']?)([^\s\"'\\]{1,64})\1")


def _check_account_flag_list(data: bytes, s: int, e: int) -> CheckResult:
    # 'modify-db-snapshot-attribute --attribute-name restore --values-to-add 111122223333
    # 444455556666', 'modify-snapshot-attribute --user-ids 111122223333 444455556666'
    if s >= 1 and data[s - 1] not in b" \t\n'\"" and not escape_ends_at(data, s - 1):
        return None
    m = _ACCOUNT_LIST_FLAG.match(data, s, min(len(data), s + 24))
    if m is None:
        return None
    out: list[Finding] = []
    j = m.end()
    limit = min(len(data), s + 1024)
    for _ in range(32):
        im = _LIST_ITEM.match(data, j, limit)
        if im is None or im.group(2).startswith(b"-"):
            break
        if _ACCOUNT12.fullmatch(im.group(2)):
            out.append(Finding(im.start(2), im.end(2), "aws_account_id", CLASSWISE))
        j = im.end()
    return (out, j) if out else None


# Opaque upper-case ids that embed a long digit run ('ID123456789012345EXAMPLE' as a
# certificate id in documentation output): the run may be an account number, so the id goes as
# a whole rather than leaving the account readable inside it.
_DIGIT_ID = re.compile(rb"[A-Z]{2}[0-9]{12,20}[A-Z0-9]{0,12}")


def _check_digit_id(data: bytes, s: int, e: int) -> CheckResult:
    m = _DIGIT_ID.match(data, s, min(len(data), s + 40))
    if m is None:
        return None
    e = m.end()
    if not (16 <= e - s <= 32) or not left_ok(data, s, GLUE_ID) or not right_ok(data, e, GLUE_ID):
        return None
    return [Finding(s, e, "aws_iam_unique_id", CLASSWISE)], e


# ---------------------------------------------------------------- the family

RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer(
        "aws.arn",
        r"arn:aws[a-z-]{0,10}:",
        _check_arn,
        (
            "aws_account_id",
            "aws_arn",
            "aws_iam_name",
            "aws_resource_name",
            "aws_db_identifier",
            "aws_s3_bucket",
            "aws_kms_key_id",
        ),
    ),
    Recognizer(
        "aws.host",
        r"\.(?:" + _HOST_SUFFIXES + ")",
        _check_host,
        (
            "aws_hostname",
            "aws_s3_bucket",
            "aws_db_identifier",
            "aws_account_id",
            "aws_sqs_queue_url",
        ),
    ),
    Recognizer("aws.resource_id", _ID_PATTERN, _check_id, tuple(sorted(set(ID_PREFIXES.values())))),
    Recognizer(
        "aws.rds_resource_id",
        r"(?:db|cluster)-[A-Z0-9]{26}",
        _check_rds_resource,
        ("aws_rds_resource_id",),
    ),
    Recognizer(
        "aws.key_and_secret",
        r"A(?:KIA|SIA)[A-Z0-9]{16}(?:\t|\\{1,7}t|[ ,;|])",
        _check_key_and_secret,
        ("aws_access_key_id", "aws_secret_access_key"),
    ),
    Recognizer(
        "aws.key_id",
        r"A(?:KIA|SIA|BIA|CCA|IDA|ROA|IPA|NPA|NVA|GPA|PKA|IKA)[A-Z0-9]{12}",
        _check_key_id,
        ("aws_access_key_id", "aws_iam_unique_id"),
    ),
    Recognizer("aws.digit_id", r"[A-Z]{2}[0-9]{12}", _check_digit_id, ("aws_iam_unique_id",)),
    Recognizer("aws.s3_uri", r"s3[an]?:\\{0,3}/", _check_s3_uri, ("aws_s3_bucket",)),
    Recognizer(
        "aws.fields",
        _FIELD_PATTERN,
        field_check(_FIELD_TABLE),
        ("aws_account_id", "aws_kms_key_id", "aws_route53_zone_id", "aws_s3_bucket"),
    ),
    Recognizer(
        "aws.account_flag_list",
        r"--(?:values-to-(?:add|remove)|account-ids|user-ids)[ \t=]",
        _check_account_flag_list,
        ("aws_account_id",),
    ),
    Recognizer(
        "aws.flags",
        _FLAG_PATTERN,
        field_check(_FLAG_TABLE, flag=True),
        ("aws_account_id", "aws_kms_key_id", "aws_route53_zone_id", "aws_s3_bucket"),
    ),
    Recognizer("aws.account_quoted", r'"[0-9]{12}[\\"/:]', _check_quoted12, ("aws_account_id",)),
    Recognizer(
        "aws.account_words",
        r"(?i:account|owner|acct|registry)[A-Za-z _:=#,'\"\\(\[`-]*[0-9]{12}",
        _check_account_words,
        ("aws_account_id",),
    ),
    Recognizer(
        "aws.account_field",
        r"[\tnt\n][0-9]{12}[\t\r\n\\/:]",
        _check_field12,
        ("aws_account_id",),
    ),
    Recognizer(
        "aws.account_path",
        r"(?:/|u002[fF])[0-9]{12}",
        _check_path12,
        ("aws_account_id", "aws_resource_name"),
    ),
    Recognizer("aws.account_dash", r"-[0-9]{12}", _check_dash12, ("aws_account_id",)),
    Recognizer("aws.arn_urlencoded", r"arn%3[Aa]aws", _check_arn_urlencoded, ("aws_account_id",)),
    Recognizer(
        "aws.kms_uuid_words",
        r"(?i:key)[ \t:=/]{1,3}[0-9a-f]{8}-[0-9a-f]{4}-",
        _check_key_uuid,
        ("aws_kms_key_id",),
    ),
    Recognizer(
        "aws.zone_words",
        r"(?i:zone|hostedzone)(?:[ \t:=]{1,3}|\\{0,7}/|\\{1,7}u002[fF])Z[A-Z0-9]{7}",
        _check_zone_word,
        ("aws_route53_zone_id",),
    ),
)

TYPES: tuple[tuple[str, str, str], ...] = (
    ("aws_arn", CLASSWISE, "ARN resource-name parts that have no finer type"),
    ("aws_account_id", CLASSWISE, "12-digit account id (in ARNs, hosts, URLs, account fields)"),
    ("aws_access_key_id", CLASSWISE, "access key id AKIA/ASIA… (prefix kept)"),
    ("aws_iam_unique_id", CLASSWISE, "IAM unique id AIDA/AROA/AIPA/ANPA… (prefix kept)"),
    ("aws_kms_key_id", HEX, "KMS key id (UUID or mrk-) in KMS context"),
    ("aws_route53_zone_id", CLASSWISE, "Route 53 hosted zone id (Z kept)"),
    ("aws_hostname", CLASSWISE, "resource host names (EC2, RDS, ELB, API Gateway, CloudFront…)"),
    ("aws_sqs_queue_url", CLASSWISE, "queue name of an SQS URL"),
    ("aws_s3_bucket", CLASSWISE, "S3 bucket name (s3:// URIs, ARNs, hosts, bucket fields)"),
    ("aws_rds_resource_id", CLASSWISE, "RDS Dbi/cluster resource id (db-/cluster- + 26)"),
) + tuple(
    (
        t,
        HEX,
        "resource id " + ", ".join(sorted(p + "-" for p, tt in ID_PREFIXES.items() if tt == t)),
    )
    for t in sorted(set(ID_PREFIXES.values()))
)
