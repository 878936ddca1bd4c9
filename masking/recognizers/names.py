"""Names users choose for AWS resources, found by the field or CLI flag that holds them.

Nothing but the key says that ``Bob`` or ``my-function`` is sensitive, so these rules look for
``"RoleName": "deploy"`` (at any JSON escaping depth), ``RoleName: deploy``, ``role_name =
"deploy"`` and ``--role-name deploy``. Values that are ARNs, ids or URLs are left to their own
recognizers; generic words (``default``, ``main``…) are kept.
"""

from __future__ import annotations

import re

from masking.findings import CLASSWISE, Finding

from ._base import (
    ALNUM,
    ECHO_BACK,
    KEY_ANCHOR,
    LOOKBEHIND,
    WORD,
    CheckResult,
    Field,
    Recognizer,
    Value,
    escape_ends_at,
    field_check,
    key_variants,
    left_ok,
    norm_key,
)
from .aws import _FIELD_TABLE as _AWS_FIELD_TABLE
from .aws import _FLAG_TABLE as _AWS_FLAG_TABLE
from .aws import arn_findings

CATEGORY = "aws"

DB_KEYS = (
    "DBInstanceIdentifier",
    "DBClusterIdentifier",
    "DBSnapshotIdentifier",
    "DBClusterSnapshotIdentifier",
    "SourceDBInstanceIdentifier",
    "TargetDBInstanceIdentifier",
    "SourceDBClusterIdentifier",
    "SourceDBSnapshotIdentifier",
    "TargetDBSnapshotIdentifier",
    "SourceDBClusterSnapshotIdentifier",
    "TargetDBClusterSnapshotIdentifier",
    "GlobalClusterIdentifier",
    "ReadReplicaSourceDBInstanceIdentifier",
    "DBName",
    "DatabaseName",
    "CacheClusterId",
    "ReplicationGroupId",
    "ClusterIdentifier",
    "SnapshotIdentifier",
    "SourceSnapshotIdentifier",
    "TargetSnapshotIdentifier",
    "ReplicationInstanceIdentifier",
    "ReplicationTaskIdentifier",
    "DBProxyName",
    "DBProxyEndpointName",
    "DBSubnetGroupName",
    "CacheSubnetGroupName",
    "SnapshotName",
    "ServerlessCacheName",
    "PrimaryClusterId",
    "SnapshottingClusterId",
    "GlobalReplicationGroupId",
    "DBClusterParameterGroupName",
    "DBParameterGroupName",
    "CacheParameterGroupName",
    "DbInstanceIdentifier",
    "db_instance_identifier",
    "ReplicationSubnetGroupIdentifier",
    "DBClusterEndpointIdentifier",
    "DBShardGroupIdentifier",
    "BackupIdentifier",
    "identifier",
    "MemberClusters",
    "DBInstanceIdentifiers",
)
IAM_KEYS = (
    "UserName",
    "RoleName",
    "InstanceProfileName",
    "ServerCertificateName",
    "RoleSessionName",
    "GroupName",
    "PolicyName",
    "SAMLProviderName",
    "VirtualMFADeviceName",
    "AccessPointName",
)
RESOURCE_KEYS = (
    "FunctionName",
    "TableName",
    "QueueName",
    "TopicName",
    "StackName",
    "ClusterName",
    "LoadBalancerName",
    "AutoScalingGroupName",
    "LaunchTemplateName",
    "LaunchConfigurationName",
    "KeyName",
    "RepositoryName",
    "StateMachineName",
    "TargetGroupName",
    "ServiceName",
    "VaultName",
    "EnvironmentName",
    "ApplicationName",
    "AlarmName",
    "DomainName",
    "LogGroupName",
    "LogStreamName",
    "StreamName",
    "DeliveryStreamName",
    "RuleName",
    "EventBusName",
    "ApiName",
    "UserPoolName",
    "IdentityPoolName",
    "NodegroupName",
    "LayerName",
    "AliasName",
    "CapacityProviderName",
    "ContainerName",
    "BackupVaultName",
    "PipelineName",
    "ProjectName",
    "WorkGroup",
    "CacheClusterIds",
    "SecretName",
    "SecretId",
    "ParameterName",
    "FileSystemName",
    "TrailName",
    "DetectorName",
    "WebACLName",
    "RegexPatternSetName",
    "IPSetName",
    "CertificateName",
    "ConfigurationName",
    "DeploymentGroupName",
    "JobName",
    "JobQueueName",
    "ComputeEnvironmentName",
    "JobDefinitionName",
    "CrawlerName",
    "ConnectionName",
    "DevicePoolName",
    "ProfileName",
    "DistributionName",
    "GatewayName",
    "VolumeName",
    "TapeBarcode",
    "ActivityName",
    "ClusterArnName",
    "ReplicationGroupDescription_",
    "EndpointName",
    "ModelName",
    "NotebookInstanceName",
    "BrokerName",
    "FlowName",
    "Cluster",
    "TaskRoleName",
    "ExecutionRoleName",
    "AliasNames",
    "AlarmNames",
    "EnvironmentNames",
    "ApplicationNames",
    "FunctionNames",
    "TableNames",
)

_STOP = frozenset(
    b"default main test username user name string none null true false example sample admin "
    b"root master primary staging production prod dev development local localhost value key "
    b"password secret enabled disabled yes no on off all any aws my-name your-name name-here "
    b"todo tbd unknown undefined n/a na empty required optional type id arn".split()
)
_NAME = re.compile(rb"[A-Za-z0-9][A-Za-z0-9_.@+=,:/-]{1,254}")
_DEFER = re.compile(rb"arn:|s3:|https?:|[a-z]{1,12}-[0-9a-f]{8}|[0-9]{12}$")
_PLACEHOLDER = re.compile(rb"\$\{|\{\{|<|%\(|\$[A-Z_]")


def _v_name(data: bytes, v: Value, rtype: str) -> list[Finding] | None:
    start, end = v.start, v.end
    if v.quote:  # "--cache-cluster-id 'my-cache  '": the blanks are not part of the name
        while start < end and data[start] in b" \t":
            start += 1
        while end > start and data[end - 1] in b" \t":
            end -= 1
    elif end < len(data) and data[end] == 0x28:  # 'Bucket=os.environ.get(...)': code
        return None
    if _PLACEHOLDER.match(data, start, end):
        return None
    while end > start and data[end - 1] in b".,:/":
        end -= 1
    if end - start < 2:
        return None
    if _DEFER.match(data, start, end):
        return []
    if not _NAME.fullmatch(data, start, end) or data[start:end].lower() in _STOP:
        return None
    return [Finding(start, end, rtype, CLASSWISE)]


TABLE: dict[str, Field] = {}
for _keys, _rtype in (
    (DB_KEYS, "aws_db_identifier"),
    (IAM_KEYS, "aws_iam_name"),
    (RESOURCE_KEYS, "aws_resource_name"),
):
    for _k in _keys:
        TABLE[norm_key(_k.rstrip("_").encode())] = Field(_rtype, CLASSWISE, _v_name)

# CLI flags: '--db-instance-identifier mydb'
FLAGS: dict[str, str] = {
    "db-instance-identifier": "aws_db_identifier",
    "db-cluster-identifier": "aws_db_identifier",
    "db-snapshot-identifier": "aws_db_identifier",
    "db-cluster-snapshot-identifier": "aws_db_identifier",
    "source-db-instance-identifier": "aws_db_identifier",
    "cache-cluster-id": "aws_db_identifier",
    "replication-group-id": "aws_db_identifier",
    "cluster-identifier": "aws_db_identifier",
    "snapshotting-cluster-id": "aws_db_identifier",
    "snapshot-name": "aws_db_identifier",
    "db-name": "aws_db_identifier",
    "database-name": "aws_db_identifier",
    "global-cluster-identifier": "aws_db_identifier",
    "db-proxy-name": "aws_db_identifier",
    "db-subnet-group-name": "aws_db_identifier",
    "cache-subnet-group-name": "aws_db_identifier",
    "replication-instance-identifier": "aws_db_identifier",
    "user-name": "aws_iam_name",
    "role-name": "aws_iam_name",
    "group-name": "aws_iam_name",
    "instance-profile-name": "aws_iam_name",
    "role-session-name": "aws_iam_name",
    "policy-name": "aws_iam_name",
    "server-certificate-name": "aws_iam_name",
    "function-name": "aws_resource_name",
    "table-name": "aws_resource_name",
    "queue-name": "aws_resource_name",
    "topic-name": "aws_resource_name",
    "stack-name": "aws_resource_name",
    "cluster-name": "aws_resource_name",
    "cluster": "aws_resource_name",
    "load-balancer-name": "aws_resource_name",
    "load-balancer-names": "aws_resource_name",
    "auto-scaling-group-name": "aws_resource_name",
    "launch-template-name": "aws_resource_name",
    "key-name": "aws_resource_name",
    "repository-name": "aws_resource_name",
    "service-name": "aws_resource_name",
    "vault-name": "aws_resource_name",
    "environment-name": "aws_resource_name",
    "environment-names": "aws_resource_name",
    "application-name": "aws_resource_name",
    "alarm-name": "aws_resource_name",
    "alarm-names": "aws_resource_name",
    "domain-name": "aws_resource_name",
    "log-group-name": "aws_resource_name",
    "secret-id": "aws_resource_name",
    "nodegroup-name": "aws_resource_name",
    "layer-name": "aws_resource_name",
    "state-machine-name": "aws_resource_name",
    "target-group-name": "aws_resource_name",
    "stream-name": "aws_resource_name",
    "rule-name": "aws_resource_name",
    "job-queue": "aws_resource_name",
    "compute-environment": "aws_resource_name",
    "gateway-name": "aws_resource_name",
    "services": "aws_resource_name",
    "service": "aws_resource_name",
    "trail-name": "aws_resource_name",
    "project-name": "aws_resource_name",
    "pipeline-name": "aws_resource_name",
    "job-queue-name": "aws_resource_name",
    "target-db-instance-identifier": "aws_db_identifier",
    "new-user-name": "aws_iam_name",
    "template-name": "aws_resource_name",
    "snapshot-identifier": "aws_db_identifier",
    "db-cluster-endpoint-identifier": "aws_db_identifier",
}
# 'restore-table-to-point-in-time --source-table-name a --target-table-name b', 'copy-db-snapshot
# --target-db-snapshot-identifier', 'update-user --new-user-name': the same names with a role word
for _k, _t in list(FLAGS.items()):
    for _p in ("source-", "target-", "new-"):
        FLAGS.setdefault(_p + _k, _t)
# plural flags take lists of names ('--key-names a b', '--job-queues q'): same types
FLAGS.update({k + "s": t for k, t in list(FLAGS.items()) if not k.endswith("s")})
FLAG_TABLE = {norm_key(k.encode()): Field(t, CLASSWISE, _v_name) for k, t in FLAGS.items()}

_KEYS = sorted(
    {key_variants(k.rstrip("_")) for k in DB_KEYS + IAM_KEYS + RESOURCE_KEYS},
    key=lambda k: (-len(k), k),
)

# ---------------------------------------------------------------- names in prose and logs

# Phrases after which a name follows: 'bucket <name>', 'RDS instance <name>', 'IAM user named
# ``Paulo``', 'found resource <name>'. Strong phrases name the kind of resource, so any name-like
# token counts; weak ones ('processing', 'cached') only take tokens shaped like resource names.
_STRONG: dict[str, str] = {
    "bucket": "aws_s3_bucket",
    "s3 bucket": "aws_s3_bucket",
    "rds instance": "aws_db_identifier",
    "db instance": "aws_db_identifier",
    "db cluster": "aws_db_identifier",
    "db snapshot": "aws_db_identifier",
    "cluster snapshot": "aws_db_identifier",
    "database": "aws_db_identifier",
    "failover initiated for": "aws_db_identifier",
    "cache cluster": "aws_db_identifier",
    "replication group": "aws_db_identifier",
    "iam user": "aws_iam_name",
    "iam role": "aws_iam_name",
    "iam group": "aws_iam_name",
    "user named": "aws_iam_name",
    "role named": "aws_iam_name",
    "the user": "aws_iam_name",
    "instance profile": "aws_iam_name",
    "server certificate": "aws_iam_name",
    "vault": "aws_resource_name",
    "key pair": "aws_resource_name",
    "lambda function": "aws_resource_name",
    "function named": "aws_resource_name",
    "dynamodb table": "aws_resource_name",
    "table named": "aws_resource_name",
    "sqs queue": "aws_resource_name",
    "sns topic": "aws_resource_name",
    "cloudformation stack": "aws_resource_name",
    "stack named": "aws_resource_name",
    "ecs cluster": "aws_resource_name",
    "ecs service": "aws_resource_name",
    "(service": "aws_resource_name",
    "load balancer": "aws_resource_name",
    "target group": "aws_resource_name",
    "auto scaling group": "aws_resource_name",
    "launch template": "aws_resource_name",
    "log group": "aws_resource_name",
    "found resource": "aws_resource_name",
    "diff detected on": "aws_resource_name",
    "job queue": "aws_resource_name",
}
_WEAK: dict[str, str] = {
    "processing": "aws_resource_name",
    "cached": "aws_resource_name",
    "resource": "aws_resource_name",
    "function": "aws_resource_name",
    "table": "aws_resource_name",
    "queue": "aws_resource_name",
    "topic": "aws_resource_name",
    "stack": "aws_resource_name",
    "cluster": "aws_db_identifier",
    "service": "aws_resource_name",
    "role": "aws_iam_name",
    "user": "aws_iam_name",
    "secret": "aws_resource_name",
    "connecting to database": "aws_db_identifier",
    "snapshot": "aws_db_identifier",
    "environment": "aws_resource_name",
    "application": "aws_resource_name",
    "repository": "aws_resource_name",
}
_PHRASES = {**_WEAK, **_STRONG}
_PROSE = re.compile(
    rb"(?P<ph>(?i:"
    + b"|".join(re.escape(p.encode()) for p in sorted(_PHRASES, key=lambda p: (-len(p), p)))
    + rb"))"
    rb"[ ]{1,3}(?:(?i:named|called)[ ]{1,3})?(?P<q>``|`|'|\\{0,7}\")?"
    rb"(?P<v>[A-Za-z0-9][A-Za-z0-9_.-]{1,127})"
)
_ENGLISH = frozenset(
    b"the a an this that these those is are was were be been to for of in on at by with from "
    b"and or not no it its your our their my his her all each any every some new default name "
    b"names named called policy policies owner owners level access configuration settings "
    b"version versions versioning object objects key keys data details status state type "
    b"types list lists which when where while if then than as into using used use per only "
    b"also other same such more most first last one two three following above below itself "
    b"lock notifications notification encryption permissions permission region regions tags "
    b"tag id ids arn arns endpoint endpoints class instance instances group groups created "
    b"deleted updated exists does did has have had can will should must may might would "
    b"could via across within without between over under after before since until because "
    b"so but yet nor either neither both whether here there what who whom whose why how "
    b"request requests response responses call calls value values item items entries "
    b"record records files file path paths size count number string true false null none "
    b"guide nodes node members member console documentation reference api cli sdk "
    # words that follow a resource phrase in documentation prose ('DB cluster snapshot', 'load
    # balancer attributes', 'Lambda function memory', 'a bucket outside of')
    b"snapshot snapshots parameter parameters attribute attributes offering offerings memory "
    b"outside inside enabling disabling enabled disabled capacity metric metrics logging logs "
    b"monitoring setting backup backups replica replicas identifier identifiers properties "
    b"property option options operation operations limit limits quota quotas health target "
    b"targets listener listeners subscription subscriptions event events trigger triggers "
    b"version alias aliases layer layers code runtime role roles resource resources template "
    b"templates output outputs input inputs deployment deployments association associations "
    b"tag tags ownership owner access permissions lifecycle replication encryption website "
    b"notification inventory analytics storage engine engines parameters failover maintenance "
    b"window windows update updates creation deletion modification restore migration".split()
)
_SHAPED = re.compile(
    rb"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+|(?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]{3,}|"
    rb"(?:[A-Z][a-z0-9]+){2,}"
)


def _check_prose(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s, WORD) and data[s] != 0x28:
        return None
    m = _PROSE.match(data, s, min(len(data), s + 256))
    if m is None:
        return None
    a, b = m.span("v")
    while b > a and data[b - 1] in b".-_":
        b -= 1
    if b - a < 2 or (b < len(data) and (ALNUM[data[b]] or data[b] == 0x2F)):
        return None
    tok = data[a:b]
    low = tok.lower()
    if (
        low in _ENGLISH
        or low in _STOP
        or _DEFER.match(tok)
        or _ID_LIKE.match(tok)
        or low.startswith((b"aws_", b"aws-", b"aws::"))
    ):
        return [], a
    ph = m.group("ph").lower().decode()
    strong = ph in _STRONG
    if not strong and not (b"-" in tok or (any(48 <= c <= 57 for c in tok) and tok.isalnum())):
        return None  # weak phrases ('function', 'table') precede code identifiers too
    if not _SHAPED.fullmatch(tok):
        # a plain word: only after a phrase that names the kind of resource, and then quoted
        # (``Paulo``), capitalized after an IAM phrase ('IAM user Bob'), a long lower-case word
        # after a database or bucket phrase ('RDS instance mymysqlinstance'), or any word in a
        # log line
        if not strong or not tok.isalnum():
            return None
        rtype = _PHRASES[ph]
        quoted = bool(m.group("q"))
        specific = ph in ("found resource", "diff detected on")
        if not (
            quoted
            or (specific and tok[:1].isupper() and tok[1:].islower() and len(tok) >= 3)
            or (rtype == "aws_iam_name" and tok[:1].isupper() and tok[1:].islower())
            or (rtype != "aws_iam_name" and len(tok) >= 5 and tok.islower())
            # in a timestamped log line the phrase is a template's: '... connecting to database
            # orcl', '... found resource username'
            or (len(tok) >= 3 and _log_line_start(data, s))
        ):
            return None
    return [Finding(a, b, _PHRASES[ph], CLASSWISE)], b


_ID_LIKE = re.compile(
    rb"[a-z]{1,12}-[0-9a-f]{8}|[0-9]+$|[0-9a-f]{8}-[0-9a-f]{4}-|v?[0-9]+(?:\.[0-9]+)+"
)

# ---------------------------------------------------------------- the last word of a log line

# Application logs end a line with the object they act on: '2024-05-01T10:00:00Z INFO [sync]
# processing ProdServerCert', '... cached Bob'. In a timestamped log line the token that ends the
# line after such a verb is a name whatever its shape; elsewhere ('processing the request',
# 'cached value') the weak-phrase rule above, which wants a dash or a digit, decides.
_LOG_VERBS: dict[bytes, str] = {
    b"processing": "aws_resource_name",
    b"cached": "aws_resource_name",
    b"caching": "aws_resource_name",
    b"refreshing": "aws_resource_name",
    b"syncing": "aws_resource_name",
    b"reconciling": "aws_resource_name",
    b"deleting": "aws_resource_name",
    b"updating": "aws_resource_name",
}
_LOG_TAIL = re.compile(
    rb"(?P<verb>[a-z]{5,12}) (?P<v>[A-Za-z0-9][A-Za-z0-9_.@+=:-]{1,127})"
    rb"(?=\r|\n|\\{1,7}[nr]|$)"
)
# the start of a log line: an ISO-8601 date and time, optionally after a '\n' escape
_LOG_LINE_START = re.compile(rb"(?:\\{1,7}n)?[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}")
_LOG_SKIP = frozenset(
    b"complete completed done finished started starting ok okay failed succeeded success "
    b"skipped pending queued error errors warning events event messages message batch batches "
    b"requests entries records items changes updates results metrics configuration config "
    b"templates template credentials tokens token".split()
)


def _log_line_start(data: bytes, s: int) -> bool:
    """True when the line holding offset ``s`` starts, within LOOKBEHIND bytes, with a
    timestamp (a raw newline or a JSON-escaped one ends the line before)."""
    lo = max(0, s - LOOKBEHIND)
    nl = data.rfind(b"\n", lo, s)
    esc = data.rfind(b"\\n", lo, s)
    if esc >= 0 and esc + 2 > nl + 1:
        start = esc + 2
    elif nl >= 0:
        start = nl + 1
    elif lo == 0:
        start = 0
    else:
        return False
    return _LOG_LINE_START.match(data, start, s) is not None


def _check_log_tail(data: bytes, s: int, e: int) -> CheckResult:
    if not left_ok(data, s, WORD):
        return None
    m = _LOG_TAIL.match(data, s, min(len(data), s + 160))
    if m is None:
        return None
    rtype = _LOG_VERBS.get(m.group("verb"))
    if rtype is None:
        return None
    a, b = m.span("v")
    while b > a and data[b - 1] in b".:-_":
        b -= 1
    tok = data[a:b]
    low = tok.lower()
    if (
        b - a < 3
        or low in _ENGLISH
        or low in _STOP
        or low in _LOG_SKIP
        or _DEFER.match(tok)
        or _VERSION_OR_NUMBER.fullmatch(tok)
        or low.startswith((b"aws_", b"aws-", b"aws::"))
        or not _log_line_start(data, s)
    ):
        return None
    return [Finding(a, b, rtype, CLASSWISE)], b


_VERSION_OR_NUMBER = re.compile(rb"v?[0-9]+(?:[.:][0-9]+)*[a-z]{0,2}")

# ---------------------------------------------------------------- echoes in CLI text output

# 'aws ... --cache-cluster-id my-redis' prints 'CACHECLUSTER<tab>...<tab>my-redis<tab>...': a
# tab-separated field (or a line that holds nothing else: the text output of a single value) that
# repeats, within ECHO_BACK bytes, a value named earlier by a flag, a key or an ARN is that name
# again. So is a member named after it: 'my-redis-rg-002' after '--replication-group-id
# my-redis-rg'.
_FIELD = re.compile(
    rb"(?:\t|\\t|\n|\\n)([A-Za-z0-9][A-Za-z0-9_.@+=,-]{1,127})(?=\t|\\t|\r|\n|\\n|\\r|$)"
)
_NAMER = re.compile(
    rb"(?:--(?P<flag>[a-z0-9-]{2,48})(?:=|[ \t]{1,4})|"
    rb"(?P<key>[A-Za-z][A-Za-z0-9_]{1,48})\\{0,7}[\"']?[ \t]{0,4}[:=][ \t]{0,4}|"
    rb"(?P<arn>arn:aws[a-z-]{0,10}:[^\s\"'\\]{0,200}[/:]))"
    rb"(?:\\{0,7}[\"']|')?$"
)
_FLAG_PLURALS = {k + "s": v for k, v in FLAGS.items()}
_ECHO_SKIP = re.compile(
    rb"[0-9.:-]+$|[0-9]{4}-[0-9]{2}-|[A-Z0-9_]+$|(?i:true|false|none|null|"
    rb"available|active|enabled|disabled|running|stopped|creating|deleting)$"
)
# ids that ARNs carry as resource parts ('handshake/o-exampleorgid/h-1a2b3c4d5e',
# 'gateway/sgw-12A3456B', 'service/srv-p5zdwlg5uvvzjita'): masked inside the ARN, but repeated
# on their own they are ids, not names
_ARN_ID_PART = re.compile(rb"(?:[a-z]{1,5}-)+(?:(?=[A-Za-z]*[0-9])[A-Za-z0-9]{8,}|[A-Z0-9]{8})")
_ID_ARN_SERVICES = frozenset(b"organizations storagegateway servicediscovery".split())
_MEMBER_SUFFIX = re.compile(rb"-[0-9]{1,4}$")
# where else a value can be named: bucket, account and key fields and flags (aws.py's tables)
_OTHER_KEYS = {k: f.rtype for k, f in _AWS_FIELD_TABLE.items() if f.rtype == "aws_s3_bucket"}
_OTHER_FLAGS = {k: f.rtype for k, f in _AWS_FLAG_TABLE.items() if f.rtype == "aws_s3_bucket"}
# (documentation ends the last group with 'EX' or 'EXAMPLE' letters)
_UUID_TOKEN = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-zA-Z]{12}")


def _echo_type(data: bytes, occ: int, tok: bytes) -> str | None:
    """The name type of the value occurring at ``occ`` if what precedes it names one."""
    m = _NAMER.search(data, max(0, occ - 240), occ)
    if m is None or m.end() != occ:
        return None
    if m.group("flag"):
        flag = m.group("flag").decode()
        return FLAGS.get(flag) or _FLAG_PLURALS.get(flag) or _OTHER_FLAGS.get(norm_key(m["flag"]))
    if m.group("key"):
        f = TABLE.get(norm_key(m.group("key")))
        return f.rtype if f else _OTHER_KEYS.get(norm_key(m.group("key")))
    # inside an ARN: the type the ARN rule gives that part, so both get the same surrogate
    a = m.start("arn")
    head = data[a:occ].split(b":", 3)
    if (len(head) > 2 and head[2] in _ID_ARN_SERVICES) or _ARN_ID_PART.fullmatch(tok):
        return None
    parsed = arn_findings(data, a, min(len(data), occ + 256))
    for f in parsed[0] if parsed else ():
        if f.start == occ and f.rtype != "aws_account_id":
            return f.rtype
    return None


def _named_before(data: bytes, tok: bytes, lo: int, hi: int) -> str | None:
    """The type given to ``tok`` where it was named in ``data[lo:hi]``, the latest first."""
    occ = data.rfind(tok, lo, hi)
    while occ >= 0:
        end = occ + len(tok)
        if (occ == 0 or not _NAME_CHAR[data[occ - 1]]) and not _NAME_CHAR[data[end]]:
            rtype = _echo_type(data, occ, tok)
            if rtype is not None:
                return rtype
        occ = data.rfind(tok, lo, occ)
    return None


def _check_echo(data: bytes, s: int, e: int) -> CheckResult:
    m = _FIELD.match(data, s, min(len(data), s + 140))
    if m is None:
        return None
    a, b = m.span(1)
    tok = m.group(1)
    uuid = _UUID_TOKEN.fullmatch(tok) is not None
    if (
        len(tok) < 3
        or tok.lower() in _STOP
        or _ECHO_SKIP.match(tok)
        or _DEFER.match(tok)
        or (_ID_LIKE.match(tok) and not uuid)
        or (b < len(data) and data[b] not in b"\t\r\n\\")
    ):
        return None
    tab_left = data[s] == 0x09 or data[s + 1 : s + 2] == b"t"
    tab_right = data[b : b + 1] == b"\t" or data[b : b + 2] == b"\\t"
    if uuid and not (tab_left or tab_right):
        # a line holding only this value (left and right are line breaks) is the text output of
        # a single value; a lone UUID there is a request or change id more often than a name
        return None
    lo = max(0, a - ECHO_BACK)
    rtype = _named_before(data, tok, lo, a)
    if rtype is None and not uuid:
        sm = _MEMBER_SUFFIX.search(tok)
        if sm is not None and sm.start() >= 3:
            rtype = _named_before(data, tok[: sm.start()], lo, a)
    if rtype is None:
        return None
    return [Finding(a, b, rtype, CLASSWISE)], b


_NAME_CHAR = tuple(ALNUM[c] or c in b"_.@+=,-" for c in range(256))

# ---------------------------------------------------------------- a literal, then its kind

# Documentation names a resource in a literal and then says what it is: 'the ``my-function``
# function', 'restores the ``MusicCollection`` table'. The candidate is the closing '``' and the
# kind word; the name lies to its left.
_KIND_AFTER: dict[bytes, str] = {
    b"function": "aws_resource_name",
    b"table": "aws_resource_name",
    b"stack": "aws_resource_name",
    b"queue": "aws_resource_name",
    b"topic": "aws_resource_name",
    b"repository": "aws_resource_name",
    b"vault": "aws_resource_name",
    b"layer": "aws_resource_name",
    b"stream": "aws_resource_name",
    b"environment": "aws_resource_name",
    b"application": "aws_resource_name",
    b"cluster": "aws_db_identifier",
    b"database": "aws_db_identifier",
    b"role": "aws_iam_name",
    b"user": "aws_iam_name",
    b"bucket": "aws_s3_bucket",
}
_LITERAL_NAME = re.compile(rb"``([A-Za-z0-9][A-Za-z0-9_.@-]{1,126})$")


def _check_literal_kind(data: bytes, s: int, e: int) -> CheckResult:
    # s is at the closing '``'; e after the kind word
    kind = data[s + 3 : e]
    rtype = _KIND_AFTER.get(kind)
    if rtype is None or (e < len(data) and ALNUM[data[e]]):
        return None
    m = _LITERAL_NAME.search(data, max(0, s - 130), s)
    if m is None:
        return None
    a, b = m.span(1)
    tok = m.group(1)
    low = tok.lower()
    if (
        low in _ENGLISH
        or low in _STOP
        or _DEFER.match(tok)
        or _ID_LIKE.match(tok)
        or tok.startswith(b"-")
        or low.startswith((b"aws_", b"aws-"))
    ):
        return None
    # code and SQL are documented the same way ('the ``teardown`` function', 'the ``auth_user``
    # table', 'the ``HOME`` environment variable'): but for a bucket, the name must look like a
    # resource's ('orders-sync', 'LedgerEntries', 'etl2')
    if kind != b"bucket" and not (
        b"-" in tok or _PASCAL.fullmatch(tok) or (tok.isalnum() and _HAS_DIGIT.search(tok))
    ):
        return None
    if kind == b"environment" and data.startswith(b" variable", e):
        return None
    return [Finding(a, b, rtype, CLASSWISE)], e


_PASCAL = re.compile(rb"(?:[A-Z][a-z0-9]+){2,}")
_HAS_DIGIT = re.compile(rb"[0-9]")


# ---------------------------------------------------------------- names inside composite ids

# CodeBuild build ids are '<project>:<build UUID>' ("id": "web-build:9b0ac37f-…", '--ids
# web-build:9b0a…'); both parts are the user's. The candidate is the ':' + UUID head; the project
# name lies to its left.
_BUILD_ID = re.compile(
    rb":([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-zA-Z]{12})(?![A-Za-z0-9_-])"
)
_HEXISH = re.compile(rb"[0-9a-fA-F-]+")
_BUILD_NAME_CHARS = tuple(ALNUM[c] or c in b"_-" for c in range(256))
_BUILD_LEFT = frozenset(b" \t\n\r\"'=,/;([")
_BUILD_NAME_SKIP = frozenset(
    b"uuid urn id ids request requestid request-id trace traceid session sessionid txn "
    b"correlation job task run execution build token".split()
)


def _check_build_id(data: bytes, s: int, e: int) -> CheckResult:
    m = _BUILD_ID.match(data, s, min(len(data), s + 64))
    if m is None:
        return None
    lo = max(0, s - 128)
    a = s
    while a > lo and _BUILD_NAME_CHARS[data[a - 1]]:
        a -= 1
    if a == s or (a > 0 and data[a - 1] not in _BUILD_LEFT and not escape_ends_at(data, a - 1)):
        return None
    name = data[a:s]
    if (
        len(name) < 3
        or _HEXISH.fullmatch(name)  # '<request UUID>:<command UUID>
        or not any(97 <= c <= 122 or 65 <= c <= 90 for c in name)
        or name.lower() in _BUILD_NAME_SKIP
        or name.lower() in _STOP
    ):
        return None
    return [
        Finding(a, s, "aws_resource_name", CLASSWISE),
        Finding(m.start(1), m.end(1), "aws_resource_name", CLASSWISE),
    ], m.end(1)


RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer(
        "names.fields",
        "(?:" + "|".join(_KEYS) + ")" + KEY_ANCHOR,
        field_check(TABLE),
        ("aws_db_identifier", "aws_iam_name", "aws_resource_name"),
    ),
    Recognizer(
        "names.flags",
        "--(?:" + "|".join(sorted(map(re.escape, FLAGS), key=lambda k: (-len(k), k))) + ")[ \\t=]",
        field_check(FLAG_TABLE, flag=True),
        ("aws_db_identifier", "aws_iam_name", "aws_resource_name"),
    ),
    Recognizer(
        "names.echo",
        r"(?:\t|\\t)[A-Za-z0-9][A-Za-z0-9_.@+=,-]*(?:\t|\r|\n|\\[tnr])|"
        r"(?:\n|\\n)[A-Za-z0-9][A-Za-z0-9_.@+=,-]*(?:\r|\n|\\[nr]|$)",
        _check_echo,
        (
            "aws_db_identifier",
            "aws_iam_name",
            "aws_resource_name",
            "aws_s3_bucket",
            "aws_kms_key_id",
            "aws_arn",
        ),
    ),
    Recognizer(
        "names.log_tail",
        "(?:"
        + "|".join(sorted(v.decode() for v in _LOG_VERBS))
        + r") [A-Za-z0-9][A-Za-z0-9_.@+=:-]*"
        r"(?:\r|\n|\\[nr]|$)",
        _check_log_tail,
        ("aws_resource_name",),
    ),
    Recognizer(
        "names.literal_kind",
        "`` (?:" + "|".join(sorted(k.decode() for k in _KIND_AFTER)) + ")",
        _check_literal_kind,
        ("aws_resource_name", "aws_db_identifier", "aws_iam_name", "aws_s3_bucket"),
    ),
    Recognizer(
        "names.build_id",
        r":[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-",
        _check_build_id,
        ("aws_resource_name",),
    ),
    Recognizer(
        "names.prose",
        # strong phrases take any next word; weak ones only a word with a dash or a digit
        "(?i:"
        + "|".join(re.escape(p) for p in sorted(_STRONG, key=lambda p: (-len(p), p)))
        + ") |(?i:"
        + "|".join(re.escape(p) for p in sorted(_WEAK, key=lambda p: (-len(p), p)))
        + ") [A-Za-z0-9_.]*[-0-9]",
        _check_prose,
        ("aws_db_identifier", "aws_iam_name", "aws_resource_name", "aws_s3_bucket"),
    ),
)

TYPES: tuple[tuple[str, str, str], ...] = (
    ("aws_db_identifier", CLASSWISE, "RDS/ElastiCache/Redshift/DMS identifiers and DB names"),
    ("aws_iam_name", CLASSWISE, "IAM user, role, group, instance-profile, session names"),
    ("aws_resource_name", CLASSWISE, "names of functions, tables, queues, stacks, clusters…"),
)
