"""Names users choose for AWS resources, found by the field or CLI flag that holds them.

Nothing but the key says that ``Bob`` or ``my-function`` is sensitive, so these rules look for
``"RoleName": "deploy"`` (at any JSON escaping depth), ``RoleName: deploy``, ``role_name =
"deploy"`` and ``--role-name deploy``. Values that are ARNs, ids or URLs are left to their own
recognizers; generic words (``default``, ``main``…) are kept.
"""

from __future__ import annotations

import re

from masking.findings import CLASSWISE, Finding

from ._base import FLAG_TAIL, KEY_TAIL, Field, Recognizer, Value, field_check, key_variants, norm_key

CATEGORY = "aws"

DB_KEYS = (
    "DBInstanceIdentifier", "DBClusterIdentifier", "DBSnapshotIdentifier",
    "DBClusterSnapshotIdentifier", "SourceDBInstanceIdentifier", "TargetDBInstanceIdentifier",
    "SourceDBClusterIdentifier", "SourceDBSnapshotIdentifier", "TargetDBSnapshotIdentifier",
    "SourceDBClusterSnapshotIdentifier", "TargetDBClusterSnapshotIdentifier",
    "GlobalClusterIdentifier", "ReadReplicaSourceDBInstanceIdentifier", "DBName", "DatabaseName",
    "CacheClusterId", "ReplicationGroupId", "ClusterIdentifier", "SnapshotIdentifier",
    "SourceSnapshotIdentifier", "TargetSnapshotIdentifier", "ReplicationInstanceIdentifier",
    "ReplicationTaskIdentifier", "EndpointIdentifier", "DBProxyName", "DBProxyEndpointName",
    "DBSubnetGroupName", "CacheSubnetGroupName", "SnapshotName", "ServerlessCacheName",
    "PrimaryClusterId", "SnapshottingClusterId", "GlobalReplicationGroupId", "CacheNodeId",
    "DBClusterParameterGroupName", "DBParameterGroupName", "CacheParameterGroupName",
    "DbInstanceIdentifier", "db_instance_identifier", "ReplicationSubnetGroupIdentifier",
    "DBClusterEndpointIdentifier", "DBShardGroupIdentifier", "BackupIdentifier", "identifier",
)
IAM_KEYS = (
    "UserName", "RoleName", "InstanceProfileName", "ServerCertificateName", "RoleSessionName",
    "GroupName", "PolicyName", "SAMLProviderName", "VirtualMFADeviceName", "AccessPointName",
)
RESOURCE_KEYS = (
    "FunctionName", "TableName", "QueueName", "TopicName", "StackName", "ClusterName",
    "LoadBalancerName", "AutoScalingGroupName", "LaunchTemplateName", "LaunchConfigurationName",
    "KeyName", "RepositoryName", "StateMachineName", "TargetGroupName", "ServiceName",
    "VaultName", "EnvironmentName", "ApplicationName", "AlarmName", "DomainName",
    "LogGroupName", "LogStreamName", "StreamName", "DeliveryStreamName", "RuleName",
    "EventBusName", "ApiName", "UserPoolName", "IdentityPoolName", "NodegroupName",
    "LayerName", "AliasName", "CapacityProviderName",
    "ContainerName", "BackupVaultName", "PipelineName", "ProjectName", "WorkGroup",
    "MemberClusters", "CacheClusterIds", "DBInstanceIdentifiers",
    "SecretName", "SecretId", "ParameterName", "FileSystemName", "TrailName", "DetectorName",
    "WebACLName", "RegexPatternSetName", "IPSetName", "CertificateName", "ConfigurationName",
    "DeploymentGroupName", "JobName", "JobQueueName", "ComputeEnvironmentName", "JobDefinitionName",
    "CrawlerName", "ConnectionName", "DevicePoolName", "ProfileName", "DistributionName",
    "GatewayName", "VolumeName", "TapeBarcode", "ActivityName", "ClusterArnName",
    "ReplicationGroupDescription_", "EndpointName", "ModelName", "NotebookInstanceName",
    "BrokerName", "FlowName", "Cluster", "TaskRoleName", "ExecutionRoleName", "AliasNames",
    "AlarmNames", "EnvironmentNames", "ApplicationNames", "FunctionNames", "TableNames",
)

_STOP = frozenset(
    b"default main test username user name string none null true false example sample admin "
    b"root master primary staging production prod dev development local localhost value key "
    b"password secret enabled disabled yes no on off all any aws my-name your-name name-here "
    b"todo tbd unknown undefined n/a na empty required optional type id arn".split())
_NAME = re.compile(rb"[A-Za-z0-9][A-Za-z0-9_.@+=,:/-]{1,254}")
_DEFER = re.compile(rb"arn:|s3:|https?:|[a-z]{1,12}-[0-9a-f]{8}|[0-9]{12}$")
_PLACEHOLDER = re.compile(rb"\$\{|\{\{|<|%\(|\$[A-Z_]")


def _v_name(data: bytes, v: Value, rtype: str) -> list[Finding] | None:
    if _PLACEHOLDER.match(data, v.start, v.end):
        return None
    end = v.end
    while end > v.start and data[end - 1] in b".,:/":
        end -= 1
    if end - v.start < 2:
        return None
    if _DEFER.match(data, v.start, end):
        return []
    if not _NAME.fullmatch(data, v.start, end) or data[v.start:end].lower() in _STOP:
        return None
    return [Finding(v.start, end, rtype, CLASSWISE)]


TABLE: dict[str, Field] = {}
for _keys, _rtype in ((DB_KEYS, "aws_db_identifier"), (IAM_KEYS, "aws_iam_name"),
                      (RESOURCE_KEYS, "aws_resource_name")):
    for _k in _keys:
        TABLE[norm_key(_k.rstrip("_").encode())] = Field(_rtype, CLASSWISE, _v_name)

# CLI flags: '--db-instance-identifier mydb'
FLAGS: dict[str, str] = {
    "db-instance-identifier": "aws_db_identifier", "db-cluster-identifier": "aws_db_identifier",
    "db-snapshot-identifier": "aws_db_identifier",
    "db-cluster-snapshot-identifier": "aws_db_identifier",
    "source-db-instance-identifier": "aws_db_identifier", "cache-cluster-id": "aws_db_identifier",
    "replication-group-id": "aws_db_identifier", "cluster-identifier": "aws_db_identifier",
    "snapshotting-cluster-id": "aws_db_identifier", "snapshot-name": "aws_db_identifier",
    "db-name": "aws_db_identifier", "database-name": "aws_db_identifier",
    "global-cluster-identifier": "aws_db_identifier", "db-proxy-name": "aws_db_identifier",
    "db-subnet-group-name": "aws_db_identifier", "cache-subnet-group-name": "aws_db_identifier",
    "replication-instance-identifier": "aws_db_identifier",
    "user-name": "aws_iam_name", "role-name": "aws_iam_name", "group-name": "aws_iam_name",
    "instance-profile-name": "aws_iam_name", "role-session-name": "aws_iam_name",
    "policy-name": "aws_iam_name", "server-certificate-name": "aws_iam_name",
    "function-name": "aws_resource_name", "table-name": "aws_resource_name",
    "queue-name": "aws_resource_name", "topic-name": "aws_resource_name",
    "stack-name": "aws_resource_name", "cluster-name": "aws_resource_name",
    "cluster": "aws_resource_name", "load-balancer-name": "aws_resource_name",
    "load-balancer-names": "aws_resource_name",
    "auto-scaling-group-name": "aws_resource_name", "launch-template-name": "aws_resource_name",
    "key-name": "aws_resource_name", "repository-name": "aws_resource_name",
    "service-name": "aws_resource_name", "vault-name": "aws_resource_name",
    "environment-name": "aws_resource_name", "environment-names": "aws_resource_name",
    "application-name": "aws_resource_name", "alarm-name": "aws_resource_name",
    "alarm-names": "aws_resource_name", "domain-name": "aws_resource_name",
    "log-group-name": "aws_resource_name", "secret-id": "aws_resource_name",
    "nodegroup-name": "aws_resource_name", "layer-name": "aws_resource_name",
    "state-machine-name": "aws_resource_name", "target-group-name": "aws_resource_name",
    "stream-name": "aws_resource_name", "rule-name": "aws_resource_name",
    "job-queue": "aws_resource_name", "compute-environment": "aws_resource_name",
    "gateway-name": "aws_resource_name", "services": "aws_resource_name",
    "service": "aws_resource_name", "trail-name": "aws_resource_name",
    "project-name": "aws_resource_name", "pipeline-name": "aws_resource_name",
}
FLAG_TABLE = {norm_key(k.encode()): Field(t, CLASSWISE, _v_name) for k, t in FLAGS.items()}

_KEYS = sorted({key_variants(k.rstrip("_")) for k in DB_KEYS + IAM_KEYS + RESOURCE_KEYS},
               key=lambda k: (-len(k), k))
_VALUE_START = "[A-Za-z0-9\\\\\\[]"

RECOGNIZERS: tuple[Recognizer, ...] = (
    Recognizer("names.fields", "(?:" + "|".join(_KEYS) + ")" + KEY_TAIL + _VALUE_START,
               field_check(TABLE), ("aws_db_identifier", "aws_iam_name", "aws_resource_name")),
    Recognizer("names.flags",
               "--(?:" + "|".join(sorted(map(re.escape, FLAGS), key=lambda k: (-len(k), k)))
               + ")" + FLAG_TAIL + "[A-Za-z0-9]",
               field_check(FLAG_TABLE, flag=True),
               ("aws_db_identifier", "aws_iam_name", "aws_resource_name")),
)

TYPES: tuple[tuple[str, str, str], ...] = (
    ("aws_db_identifier", CLASSWISE, "RDS/ElastiCache/Redshift/DMS identifiers and DB names"),
    ("aws_iam_name", CLASSWISE, "IAM user, role, group, instance-profile, session names"),
    ("aws_resource_name", CLASSWISE, "names of functions, tables, queues, stacks, clusters…"),
)
