//! Names users choose for AWS resources, found by the field, flag or phrase that holds them.
//!
//! Nothing but the key says that `Bob` or `my-function` is sensitive, so these rules look for
//! `"RoleName": "deploy"` (at any JSON escaping depth), `RoleName: deploy`, `role_name =
//! "deploy"` and `--role-name deploy`; for phrases that name a resource (`IAM user Bob`), the
//! last word of a log line, values that CLI text output repeats after a command named them, a
//! documentation literal followed by its kind, and CodeBuild build ids. Values that are ARNs,
//! ids or URLs are left to their own recognizers; generic words (`default`, `main`…) are kept.
//! The columns a `--query` multi-select prints are read by [`query_columns`], whose rule sits
//! among these.
//!
//! A port of masking/recognizers/names.py: the Python regexes used inside checks are hand
//! code here, each written to accept exactly what the Python `match`/`search` accepts on the
//! same window (`$` at the window's end, backtracking included).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};

use super::aws;
use super::base::{
    at_line_start, concat_table, enclosing_brace, escape_ends_at, field_check, is_space,
    key_variants, left_ok, line_start_of, match_quote, norm_key, opens_text, own_arn,
    past_line_number, sibling_value, table, value_after,
    ByteTable, CheckResult, Field, Finding, Recognizer, Shape, TypeInfo, Value, ALNUM, ECHO_BACK,
    KEY_ANCHOR, LOOKAHEAD, LOOKBEHIND, Q, WORD,
};
use super::{domains, inventories, name_value, parameters, profiles, query_columns, served};

pub const CATEGORY: &str = "aws";
pub const TYPES: &[TypeInfo] = &[
    TypeInfo {
        name: "aws_db_identifier",
        shape: Shape::Classwise,
        description: "RDS/ElastiCache/Redshift/DMS identifiers and DB names",
    },
    TypeInfo {
        name: "aws_iam_name",
        shape: Shape::Classwise,
        description: "IAM user, role, group, instance-profile, session names",
    },
    TypeInfo {
        name: "aws_resource_name",
        shape: Shape::Classwise,
        description: "names of functions, tables, queues, stacks, clusters…",
    },
    TypeInfo {
        name: profiles::PROFILE,
        shape: Shape::Classwise,
        description: "a named profile or SSO session of the AWS CLI and SDKs (--profile, \
                      AWS_PROFILE, [profile …] in ~/.aws/config)",
    },
    TypeInfo {
        name: "aws_tag_owner",
        shape: Shape::Classwise,
        description: "a person's name, e-mail or login in an Owner/CreatedBy/Contact tag",
    },
];

pub(super) const DB: &str = "aws_db_identifier";
pub(super) const IAM: &str = "aws_iam_name";
pub(super) const RES: &str = "aws_resource_name";
pub(super) const BUCKET: &str = "aws_s3_bucket";

// ---------------------------------------------------------------- keys and flags

const DB_KEYS: &[&str] = &[
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
    // the database's own login, which the rest of a connection string pairs with a password
    "MasterUsername",
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
];

const IAM_KEYS: &[&str] = &[
    "UserName",
    "RoleName",
    "InstanceProfileName",
    // Terraform and CloudFormation name the profile by this key (the CLI's is an {Arn, Id})
    "IamInstanceProfile",
    "ServerCertificateName",
    "RoleSessionName",
    "GroupName",
    "PolicyName",
    "SAMLProviderName",
    "VirtualMFADeviceName",
    "AccessPointName",
];

const RESOURCE_KEYS: &[&str] = &[
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
    // the lock table of Terraform's S3 backend
    "DynamodbTable",
    // a stack's export (`Fn::ImportValue`), a DynamoDB table's index
    "ExportName",
    "IndexName",
    "AliasNames",
    "AlarmNames",
    "EnvironmentNames",
    "ApplicationNames",
    "FunctionNames",
    "TableNames",
    // the lists `eks list-clusters`, `kinesis list-streams`, `eks list-nodegroups` print
    "Clusters",
    "StreamNames",
    "DeliveryStreamNames",
    "Nodegroups",
    "FargateProfileNames",
    // ids that name one resource of an account (API Gateway, Cognito, CloudFront)
    "RestApiId",
    "ApiId",
    "UserPoolId",
    "IdentityPoolId",
    "DistributionId",
];

/// The key lists with the type their values get.
fn key_groups() -> [(&'static [&'static str], &'static str); 3] {
    [(DB_KEYS, DB), (IAM_KEYS, IAM), (RESOURCE_KEYS, RES)]
}

/// CLI flags (without `--`) and the type of the name they take.
const BASE_FLAGS: &[(&str, &str)] = &[
    ("db-instance-identifier", DB),
    ("db-cluster-identifier", DB),
    ("db-snapshot-identifier", DB),
    ("db-cluster-snapshot-identifier", DB),
    ("source-db-instance-identifier", DB),
    ("cache-cluster-id", DB),
    ("replication-group-id", DB),
    ("cluster-identifier", DB),
    ("snapshotting-cluster-id", DB),
    ("snapshot-name", DB),
    ("db-name", DB),
    ("master-username", DB),
    ("database-name", DB),
    ("global-cluster-identifier", DB),
    ("db-proxy-name", DB),
    ("db-subnet-group-name", DB),
    ("cache-subnet-group-name", DB),
    ("replication-instance-identifier", DB),
    ("user-name", IAM),
    ("role-name", IAM),
    ("group-name", IAM),
    ("instance-profile-name", IAM),
    ("role-session-name", IAM),
    ("policy-name", IAM),
    ("server-certificate-name", IAM),
    ("rest-api-id", RES),
    ("api-id", RES),
    ("user-pool-id", RES),
    ("identity-pool-id", RES),
    ("distribution-id", RES),
    ("function-name", RES),
    ("table-name", RES),
    ("queue-name", RES),
    ("topic-name", RES),
    ("stack-name", RES),
    ("cluster-name", RES),
    ("cluster", RES),
    ("load-balancer-name", RES),
    ("load-balancer-names", RES),
    ("auto-scaling-group-name", RES),
    ("launch-template-name", RES),
    ("key-name", RES),
    ("repository-name", RES),
    ("service-name", RES),
    ("vault-name", RES),
    ("environment-name", RES),
    ("environment-names", RES),
    ("application-name", RES),
    ("alarm-name", RES),
    ("alarm-names", RES),
    ("domain-name", RES),
    ("log-group-name", RES),
    ("secret-id", RES),
    ("nodegroup-name", RES),
    ("layer-name", RES),
    ("state-machine-name", RES),
    ("target-group-name", RES),
    ("stream-name", RES),
    ("rule-name", RES),
    ("job-queue", RES),
    ("compute-environment", RES),
    ("gateway-name", RES),
    ("services", RES),
    ("service", RES),
    ("trail-name", RES),
    ("project-name", RES),
    ("pipeline-name", RES),
    ("job-queue-name", RES),
    ("target-db-instance-identifier", DB),
    ("new-user-name", IAM),
    ("template-name", RES),
    ("snapshot-identifier", DB),
    ("db-cluster-endpoint-identifier", DB),
    ("db-parameter-group-name", DB),
    ("work-group", RES),
    ("workgroup-name", RES),
    ("namespace-name", RES),
    ("job-name", RES),
    ("workflow-name", RES),
    ("crawler-name", RES),
    ("event-bus-name", RES),
    ("delivery-stream-name", RES),
    ("schedule-name", RES),
    ("container-name", RES),
    ("alias-name", RES),
    // CodeArtifact's domain and repository (`codeartifact login --domain … --repository …`)
    ("domain", RES),
    ("repository", RES),
];

/// Every flag: the base flags, the same with a role word (`--source-table-name`,
/// `--target-db-snapshot-identifier`, `--new-user-name`) and plurals (`--key-names`).
static FLAGS: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    let mut flags: HashMap<String, &'static str> = HashMap::new();
    for (k, t) in BASE_FLAGS {
        flags.insert(k.to_string(), t);
    }
    for (k, t) in BASE_FLAGS {
        for p in ["source-", "target-", "new-"] {
            flags.entry(format!("{p}{k}")).or_insert(t);
        }
    }
    let plurals: Vec<(String, &'static str)> = flags
        .iter()
        .filter(|(k, _)| !k.ends_with('s'))
        .map(|(k, t)| (format!("{k}s"), *t))
        .collect();
    flags.extend(plurals);
    flags
});

pub(super) fn name_field(rtype: &'static str) -> Field {
    Field {
        rtype,
        shape: Shape::Classwise,
        validate: v_name,
        line: false,
    }
}

/// Field keys in normal form -> what their values are.
pub(super) static TABLE: LazyLock<HashMap<String, Field>> = LazyLock::new(|| {
    let mut t = HashMap::new();
    for (keys, rtype) in key_groups() {
        for k in keys {
            t.insert(
                norm_key(k.trim_end_matches('_').as_bytes()),
                name_field(rtype),
            );
        }
    }
    for k in LOG_GROUP_KEYS {
        t.insert(norm_key(k.as_bytes()), LOG_GROUP_FIELD);
    }
    t.insert(norm_key(b"PolicyName"), Field { validate: v_policy_name, ..name_field(IAM) });
    t.insert(norm_key(b"DomainName"), DOMAIN_NAME_FIELD);
    t
});

/// `DomainName` (and `--domain-name`) holds a host name or an OpenSearch domain's name.
const DOMAIN_NAME_FIELD: Field = Field {
    rtype: RES,
    shape: Shape::Classwise,
    validate: domains::v_domain_or_name,
    line: false,
};

/// A policy's name, unless its object's own ARN is AWS's (`arn:aws:iam::aws:policy/…`): the
/// managed policies (`AmazonS3ReadOnlyAccess`) are AWS's names, which the model knows and
/// reasons with.
fn v_policy_name(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    if own_arn(data, v.start, |arn| aws::arn_account(arn) == Some(b"aws")) {
        return None;
    }
    v_name(data, v, rtype)
}

/// Flags in normal form -> what their values are.
fn flag_table() -> HashMap<String, Field> {
    let mut t: HashMap<String, Field> = FLAGS
        .iter()
        .map(|(k, t)| (norm_key(k.as_bytes()), name_field(t)))
        .collect();
    for k in ["loggroupname", "loggroupnames"] {
        t.insert(k.to_string(), LOG_GROUP_FIELD);
    }
    t.insert("domainname".to_string(), DOMAIN_NAME_FIELD);
    t
}

/// A log group's name is a path (`/ecs/orders-api`): read segment by segment.
const LOG_GROUP_FIELD: Field = Field {
    rtype: RES,
    shape: Shape::Classwise,
    validate: v_log_group,
    line: false,
};

/// Keys that name a log group: the API's field and an ECS task definition's `awslogs-group`
/// option.
const LOG_GROUP_KEYS: &[&str] = &["LogGroupName", "awslogs-group"];

/// Path segments of log group names that name no resource: AWS's own prefixes and the
/// services that write there.
static LOG_GROUP_WORDS: LazyLock<HashSet<&'static [u8]>> = LazyLock::new(|| {
    word_set(
        "aws ecs eks lambda codebuild apigateway api-gateway vendedlogs states containerinsights \
         rds ec2 ssm cloudtrail vpc flowlogs flow-logs vpc-flow-logs app apps application \
         applications service services web worker workers task tasks stdout stderr",
    )
});

/// The name segments of a log group path: `/ecs/orders-api` masks `orders-api` and keeps
/// `/ecs/`. The groups AWS names after a resource (`/aws/lambda/<function>`) are left to
/// [`check_log_group`], which types the resource; a value with no `/` is a plain name.
fn v_log_group(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let tok = &data[v.start..v.end];
    if !tok.contains(&b'/') {
        return v_name(data, v, rtype);
    }
    if LOG_GROUP_PATH.is_match(tok) {
        return Some(Vec::new());
    }
    if placeholder(tok) || tok.iter().any(|&c| c == b' ' || c == b'\\') {
        return None;
    }
    let mut out = Vec::new();
    let mut a = v.start;
    for seg in tok.split(|&c| c == b'/') {
        let b = a + seg.len();
        let keep = seg.len() < 2
            || lower_in(&LOG_GROUP_WORDS, seg)
            || lower_in(&STOP, seg)
            || lower_in(&ENGLISH, seg)
            || id_like(seg)
            || !name_shaped(seg);
        if !keep {
            out.push(Finding::new(a, b, rtype, Shape::Classwise));
        }
        a = b + 1;
    }
    (!out.is_empty()).then_some(out)
}

// ---------------------------------------------------------------- word lists

fn word_set(words: &'static str) -> HashSet<&'static [u8]> {
    words.split_ascii_whitespace().map(str::as_bytes).collect()
}

static STOP: LazyLock<HashSet<&'static [u8]>> = LazyLock::new(|| {
    word_set(
        "default main test username user name string none null true false example sample admin \
         root master primary staging production prod dev development local localhost value key \
         password secret enabled disabled yes no on off all any aws my-name your-name name-here \
         todo tbd unknown undefined n/a na empty required optional type id arn postgres mysql \
         dbadmin sa ec2-user shared common general misc",
    )
});

/// English words (and words that follow a resource phrase in documentation prose: 'DB
/// cluster snapshot', 'load balancer attributes', 'Lambda function memory').
static ENGLISH: LazyLock<HashSet<&'static [u8]>> = LazyLock::new(|| {
    word_set(
        "the a an this that these those is are was were be been to for of in on at by with from \
         and or not no it its your our their my his her all each any every some new default name \
         names named called policy policies owner owners level access configuration settings \
         version versions versioning object objects key keys data details status state type \
         types list lists which when where while if then than as into using used use per only \
         also other same such more most first last one two three following above below itself \
         lock notifications notification encryption permissions permission region regions tags \
         tag id ids arn arns endpoint endpoints class instance instances group groups created \
         deleted updated exists does did has have had can will should must may might would \
         could via across within without between over under after before since until because \
         so but yet nor either neither both whether here there what who whom whose why how \
         request requests response responses call calls value values item items entries \
         record records files file path paths size count number string true false null none \
         guide nodes node members member console documentation reference api cli sdk \
         snapshot snapshots parameter parameters attribute attributes offering offerings memory \
         outside inside enabling disabling enabled disabled capacity metric metrics logging logs \
         monitoring setting backup backups replica replicas identifier identifiers properties \
         property option options operation operations limit limits quota quotas health target \
         targets listener listeners subscription subscriptions event events trigger triggers \
         version alias aliases layer layers code runtime role roles resource resources template \
         templates output outputs input inputs deployment deployments association associations \
         tag tags ownership owner access permissions lifecycle replication encryption website \
         notification inventory analytics storage engine engines parameters failover maintenance \
         window windows update updates creation deletion modification restore migration",
    )
});

/// Words that end a log line without naming anything ('processing complete').
static LOG_SKIP: LazyLock<HashSet<&'static [u8]>> = LazyLock::new(|| {
    word_set(
        "complete completed done finished started starting ok okay failed succeeded success \
         skipped pending queued error errors warning events event messages message batch batches \
         requests entries records items changes updates results metrics configuration config \
         templates template credentials tokens token",
    )
});

/// Names left of a build UUID that are not project names ('urn:uuid:…', 'request:…').
static BUILD_NAME_SKIP: LazyLock<HashSet<&'static [u8]>> = LazyLock::new(|| {
    word_set(
        "uuid urn id ids request requestid request-id trace traceid session sessionid txn \
         correlation job task run execution build token",
    )
});

/// `tok` lower-cased is in `set` (ASCII case folding; no allocation for short words).
fn lower_in(set: &HashSet<&'static [u8]>, tok: &[u8]) -> bool {
    let mut buf = [0u8; 32];
    if tok.len() > buf.len() {
        return false;
    }
    let low = &mut buf[..tok.len()];
    low.copy_from_slice(tok);
    low.make_ascii_lowercase();
    set.contains(&*low)
}

fn starts_with_lower(tok: &[u8], prefixes: &[&[u8]]) -> bool {
    prefixes
        .iter()
        .any(|p| tok.len() >= p.len() && tok[..p.len()].eq_ignore_ascii_case(p))
}

// ---------------------------------------------------------------- token shapes

fn is_lower(c: u8) -> bool {
    c.is_ascii_lowercase()
}

fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

fn is_hex_lower(c: u8) -> bool {
    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
}

/// `n` bytes from `i` all pass `f`.
fn run_of(tok: &[u8], i: usize, n: usize, f: fn(u8) -> bool) -> bool {
    tok.len() >= i + n && tok[i..i + n].iter().all(|&c| f(c))
}

/// Bytes from `i` that pass `f`.
fn count_from(tok: &[u8], i: usize, f: fn(u8) -> bool) -> usize {
    tok[i.min(tok.len())..]
        .iter()
        .take_while(|&&c| f(c))
        .count()
}

/// `[a-z]{1,12}-[0-9a-f]{8}` at the start: a resource id such as `vol-0abc1234`.
fn id_prefix(tok: &[u8]) -> bool {
    let n = count_from(tok, 0, is_lower);
    (1..=12).contains(&n) && tok.get(n) == Some(&b'-') && run_of(tok, n + 1, 8, is_hex_lower)
}

/// Values that belong to the ARN, S3, URL, id, account and AWS host rules (a name field such
/// as `DomainName` may hold `d1a2b3.cloudfront.net`, whose suffix is structure).
fn defers(tok: &[u8]) -> bool {
    aws::is_aws_host(tok)
        || tok.starts_with(b"arn:")
        || tok.starts_with(b"s3:")
        || tok.starts_with(b"http:")
        || tok.starts_with(b"https:")
        || id_prefix(tok)
        || (tok.len() == 12 && tok.iter().all(|&c| is_digit(c)))
}

/// Python `_ID_LIKE.match`: ids, numbers, UUIDs and versions rather than names.
pub(super) fn id_like(tok: &[u8]) -> bool {
    if id_prefix(tok) || (!tok.is_empty() && tok.iter().all(|&c| is_digit(c))) {
        return true;
    }
    if run_of(tok, 0, 8, is_hex_lower)
        && tok.get(8) == Some(&b'-')
        && run_of(tok, 9, 4, is_hex_lower)
        && tok.get(13) == Some(&b'-')
    {
        return true;
    }
    // v?[0-9]+(?:\.[0-9]+)+
    let i = usize::from(tok.first() == Some(&b'v'));
    let d = count_from(tok, i, is_digit);
    d > 0 && tok.get(i + d) == Some(&b'.') && tok.get(i + d + 1).is_some_and(|&c| is_digit(c))
}

/// `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-zA-Z]{12}`, the whole token
/// (documentation ends the last group with 'EX' or 'EXAMPLE' letters).
fn is_uuid_token(tok: &[u8]) -> bool {
    tok.len() == 36
        && run_of(tok, 0, 8, is_hex_lower)
        && tok[8] == b'-'
        && run_of(tok, 9, 4, is_hex_lower)
        && tok[13] == b'-'
        && run_of(tok, 14, 4, is_hex_lower)
        && tok[18] == b'-'
        && run_of(tok, 19, 4, is_hex_lower)
        && tok[23] == b'-'
        && run_of(tok, 24, 12, |c| c.is_ascii_alphanumeric())
}

/// Python `_NAME.fullmatch`: `[A-Za-z0-9][A-Za-z0-9_.@+=,:/-]{1,254}`.
fn name_shaped(tok: &[u8]) -> bool {
    (2..=255).contains(&tok.len())
        && tok[0].is_ascii_alphanumeric()
        && tok[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"_.@+=,:/-".contains(&c))
}

/// The length of an AWS region and the `_` or `:` after it at the start of `tok`
/// (`us-east-1_`, `us-gov-west-1:`), 0 if there is none or nothing follows it.
fn region_prefix_len(tok: &[u8]) -> usize {
    let Some(sep) = tok.iter().position(|&c| c == b'_' || c == b':') else { return 0 };
    if sep + 1 < tok.len() && aws::region_name(&tok[..sep], true) {
        sep + 1
    } else {
        0
    }
}

/// Python `_PLACEHOLDER.match`: `${X}`, `{{ x }}`, `<name>`, `%(x)s`, `$NAME`.
fn placeholder(tok: &[u8]) -> bool {
    tok.starts_with(b"${")
        || tok.starts_with(b"{{")
        || tok.starts_with(b"<")
        || tok.starts_with(b"%(")
        || (tok.len() >= 2 && tok[0] == b'$' && (tok[1].is_ascii_uppercase() || tok[1] == b'_'))
}

/// Python `_ECHO_SKIP.match`: numbers, dates, upper-case labels and status words.
pub(super) fn echo_skip(tok: &[u8]) -> bool {
    const STATUS: &[&[u8]] = &[
        b"true",
        b"false",
        b"none",
        b"null",
        b"available",
        b"active",
        b"enabled",
        b"disabled",
        b"running",
        b"stopped",
        b"creating",
        b"deleting",
    ];
    (!tok.is_empty() && tok.iter().all(|&c| is_digit(c) || b".:-".contains(&c)))
        || (run_of(tok, 0, 4, is_digit)
            && tok.get(4) == Some(&b'-')
            && run_of(tok, 5, 2, is_digit)
            && tok.get(7) == Some(&b'-'))
        || (!tok.is_empty()
            && tok
                .iter()
                .all(|&c| c.is_ascii_uppercase() || is_digit(c) || c == b'_'))
        || STATUS.iter().any(|w| tok.eq_ignore_ascii_case(w))
}

/// Python `_VERSION_OR_NUMBER.fullmatch`: `v?[0-9]+(?:[.:][0-9]+)*[a-z]{0,2}`.
fn version_or_number(tok: &[u8]) -> bool {
    let mut i = usize::from(tok.first() == Some(&b'v'));
    let d = count_from(tok, i, is_digit);
    if d == 0 {
        return false;
    }
    i += d;
    while i + 1 < tok.len() && matches!(tok[i], b'.' | b':') && is_digit(tok[i + 1]) {
        i += 1;
        i += count_from(tok, i, is_digit);
    }
    let rest = &tok[i..];
    rest.len() <= 2 && rest.iter().all(|&c| is_lower(c))
}

/// Python `_PASCAL.fullmatch`: `(?:[A-Z][a-z0-9]+){2,}`.
fn pascal(tok: &[u8]) -> bool {
    let mut i = 0;
    let mut parts = 0;
    while i < tok.len() {
        if !tok[i].is_ascii_uppercase() {
            return false;
        }
        let n = count_from(tok, i + 1, |c| is_lower(c) || is_digit(c));
        if n == 0 {
            return false;
        }
        i += 1 + n;
        parts += 1;
    }
    parts >= 2
}

/// Python `_SHAPED.fullmatch`: a token shaped like a resource name (`orders-sync`,
/// `etl2`, `LedgerEntries`) rather than a word.
fn shaped(tok: &[u8]) -> bool {
    // [A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+
    let dashed = tok
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        && tok.iter().any(|&c| c == b'-' || c == b'_')
        && tok.first().is_some_and(|c| c.is_ascii_alphanumeric())
        && tok.last().is_some_and(|c| c.is_ascii_alphanumeric())
        && !tok
            .windows(2)
            .any(|w| !w[0].is_ascii_alphanumeric() && !w[1].is_ascii_alphanumeric());
    // (?=[a-z]*[0-9])(?=[0-9]*[a-z])[a-z0-9]{3,}
    let mixed = tok.len() >= 3
        && tok.iter().all(|&c| is_lower(c) || is_digit(c))
        && tok.iter().any(|&c| is_digit(c))
        && tok.iter().any(|&c| is_lower(c));
    dashed || mixed || pascal(tok)
}

/// Python `bytes.isalnum()`.
fn is_alnum(tok: &[u8]) -> bool {
    !tok.is_empty() && tok.iter().all(|c| c.is_ascii_alphanumeric())
}

/// Python `bytes.islower()`: some lower-case letter and no upper-case one.
fn is_lower_word(tok: &[u8]) -> bool {
    tok.iter().any(|&c| is_lower(c)) && !tok.iter().any(|c| c.is_ascii_uppercase())
}

/// `Capitalized`: an upper-case letter, then lower-case letters (and digits).
fn capitalized(tok: &[u8]) -> bool {
    !tok.is_empty() && tok[0].is_ascii_uppercase() && is_lower_word(&tok[1..])
}

// ---------------------------------------------------------------- field values

/// The validator of every name field and flag.
pub(super) fn v_name(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let (mut start, mut end) = (v.start, v.end);
    if !v.quote.is_empty() {
        // "--cache-cluster-id 'my-cache  '": the blanks are not part of the name
        while start < end && matches!(data[start], b' ' | b'\t') {
            start += 1;
        }
        while end > start && matches!(data[end - 1], b' ' | b'\t') {
            end -= 1;
        }
    } else if end < data.len() && data[end] == b'(' {
        return None; // 'Bucket=os.environ.get(...)': code
    }
    if placeholder(&data[start..end]) {
        return None;
    }
    while end > start && b".,:/".contains(&data[end - 1]) {
        end -= 1;
    }
    if end - start < 2 {
        return None;
    }
    let tok = &data[start..end];
    if defers(tok) {
        return Some(Vec::new());
    }
    if !name_shaped(tok) || lower_in(&STOP, tok) {
        return None;
    }
    // a KMS alias keeps its `alias/`; AWS's own (`alias/aws/s3`) stay whole
    if let Some(name) = tok.strip_prefix(b"alias/") {
        if name.starts_with(b"aws/") || name.len() < 2 || lower_in(&STOP, name) {
            return None;
        }
        return Some(vec![Finding::new(start + 6, end, rtype, Shape::Classwise)]);
    }
    // a Cognito pool id (`eu-west-1_Qz4Rk8Lm2`, `eu-west-1:<uuid>`) keeps its region
    let start = start + region_prefix_len(tok);
    Some(vec![Finding::new(start, end, rtype, Shape::Classwise)])
}

/// Bytes of one word of a display name.
const DISPLAY_WORD_CHAR: ByteTable = concat_table(ALNUM, b"_.@+=,:/-()&'#");

/// The validator of a display name, which people write with blanks (a `Name` tag's
/// `Brightwave Prod Web 1`, an AWS account's `Brightwave Staging`): a value without a blank is
/// a name ([`v_name`]); one with blanks (only a quoted value or a quoted argument holds them)
/// is 2 to 8 words of a name joined by single blanks, with a letter in it, and is masked whole
/// (the blanks stay).
pub(super) fn v_display_name(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let (mut start, mut end) = (v.start, v.end);
    while start < end && data[start] == b' ' {
        start += 1;
    }
    while end > start && data[end - 1] == b' ' {
        end -= 1;
    }
    let tok = &data[start..end];
    if !tok.contains(&b' ') {
        return v_name(data, v, rtype);
    }
    let words = tok.split(|&c| c == b' ');
    if tok.len() > 128
        || placeholder(tok)
        || !tok.iter().any(u8::is_ascii_alphabetic)
        || words.clone().count() > 8
        || words.clone().any(|w| w.is_empty() || !w.iter().all(|&c| DISPLAY_WORD_CHAR[c as usize]))
        || words.clone().all(|w| lower_in(&STOP, w))
    {
        return None;
    }
    Some(vec![Finding::new(start, end, rtype, Shape::Classwise)])
}

// ---------------------------------------------------------------- generic `Name` fields

/// After a JSON key or value ending at `i`: past `,`, blanks and `\n`-style escapes (any depth)
/// to the next key's opening quote; the offset of that quote.
pub(super) fn next_key(data: &[u8], mut i: usize, lim: usize) -> usize {
    while i < lim {
        let c = data[i];
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b',') {
            i += 1;
            continue;
        }
        let k = data[i..lim].iter().take_while(|&&b| b == b'\\').count();
        if c == b'\\' && k <= 7 && i + k < lim && matches!(data[i + k], b'n' | b'r' | b't') {
            i += k + 1;
            continue;
        }
        break;
    }
    i
}

/// The quoted key `key` at `i` (any escaping depth): the offset right after its name.
pub(super) fn key_at(data: &[u8], i: usize, lim: usize, key: &[u8]) -> Option<usize> {
    let q = match_quote(data, i, lim)?;
    data[q..lim].starts_with(key).then_some(q + key.len())
}

/// `{"Key": "Name", "Value": "<name>"}`: AWS tags (EC2 `Tags`, `--tags Key=Name,...`) give a
/// resource its display name under the generic tag key `Name`; the sibling `Value` holds it.
fn check_tag_name(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let v = tag_value(data, e)?;
    Some((v_display_name(data, &v, RES)?, v.end))
}

/// The value of the `Value` key that follows a tag's key ending at `e` (JSON at any escaping
/// depth).
fn tag_value(data: &[u8], e: usize) -> Option<Value> {
    let lim = data.len().min(e + LOOKAHEAD);
    let i = next_key(data, e, lim);
    let after = key_at(data, i, lim, b"Value")?;
    value_after(data, after, lim, false, None)
}

// ---------------------------------------------------------------- owner and project tags

pub(super) const OWNER: &str = "aws_tag_owner";

/// Tag keys whose value says who owns, made or answers for a resource.
pub(super) const OWNER_TAG_KEYS: &[&str] = &[
    "Owner",
    "OwnerEmail",
    "CreatedBy",
    "Creator",
    "Contact",
    "ContactEmail",
    "Maintainer",
    "TechnicalOwner",
    "BusinessOwner",
    "TechnicalContact",
];

/// Tag keys whose value names what a resource is for: a project (often a code name), an
/// application, a customer, a cost center. The value is a name, with blanks or without.
const PROJECT_TAG_KEYS: &[&str] = &[
    "Project",
    "ProjectName",
    "Application",
    "ApplicationName",
    "Customer",
    "CustomerName",
    "Client",
    "CostCenter",
    "BusinessUnit",
];

/// Words of a tag value that name a team, a tool or a role rather than a person.
static TEAM_WORDS: LazyLock<HashSet<&'static [u8]>> = LazyLock::new(|| {
    word_set(
        "team teams ops devops sre platform infra infrastructure engineering eng terraform \
         cloudformation cdk pulumi ansible automation automated ci cd pipeline pipelines bot \
         service services squad group dept department security data backend frontend web api \
         it finance billing support admin admins root system systems aws amazon console manual \
         unknown unassigned tbd none shared core cloud network networking dba analytics qa test",
    )
});

/// An e-mail address: `local@domain.tld`.
fn email_shaped(tok: &[u8]) -> bool {
    let Some(at) = tok.iter().position(|&c| c == b'@') else { return false };
    let (local, domain) = (&tok[..at], &tok[at + 1..]);
    !local.is_empty()
        && local.iter().all(|&c| c.is_ascii_alphanumeric() || b"._%+-".contains(&c))
        && domain.contains(&b'.')
        && domain.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        && domain.first().is_some_and(u8::is_ascii_alphanumeric)
        && domain.last().is_some_and(u8::is_ascii_alphabetic)
}

/// A person's name: two to four capitalized words (`Priya Ramaswamy`, `Jean-Luc Picard`,
/// `Lucía Fernández`), none of them a team word.
fn person_name_shaped(tok: &[u8]) -> bool {
    let words: Vec<&[u8]> = tok.split(|&c| c == b' ').collect();
    (2..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.len() >= 2
                && w[0].is_ascii_uppercase()
                && w[1..].iter().all(|&c| c.is_ascii_lowercase() || c >= 0x80 || b"'-.".contains(&c))
                && w[1..].iter().any(|&c| c.is_ascii_lowercase() || c >= 0x80)
                && !lower_in(&TEAM_WORDS, w)
        })
}

/// A login handle: 3 to 32 lower-case letters, digits and `._-`, starting with a letter, with
/// no team, role or English word among its parts (`jdoe`, `h.aalto`, `mkowalczyk`).
fn handle_shaped(tok: &[u8]) -> bool {
    (3..=32).contains(&tok.len())
        && tok[0].is_ascii_lowercase()
        && tok.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(&c))
        && tok.split(|&c| b"._-".contains(&c)).all(|w| {
            !lower_in(&TEAM_WORDS, w) && !lower_in(&STOP, w) && !lower_in(&ENGLISH, w)
        })
}

/// The validator of owner tag values: a person's name, an e-mail address or a login handle is
/// masked whole; teams, tools and placeholders are kept.
pub(super) fn v_person(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let (mut a, mut b) = (v.start, v.end);
    while a < b && data[a] == b' ' {
        a += 1;
    }
    while b > a && data[b - 1] == b' ' {
        b -= 1;
    }
    let tok = &data[a..b];
    if tok.is_empty() || placeholder(tok) {
        return None;
    }
    (email_shaped(tok) || person_name_shaped(tok) || handle_shaped(tok))
        .then(|| vec![Finding::new(a, b, rtype, Shape::Classwise)])
}

/// The regex alternation of the owner and project tag keys (as written in tags: PascalCase,
/// camelCase, snake_case, kebab-case).
fn tag_keys_pattern() -> String {
    let alts: Vec<String> =
        OWNER_TAG_KEYS.iter().chain(PROJECT_TAG_KEYS).map(|k| key_variants(k)).collect();
    format!("(?:{})", alts.join("|"))
}

/// The findings of the value `v` of the tag whose key the candidate `data[s..e]` holds: a
/// person for an owner tag, a name for a project tag.
fn tag_value_findings(data: &[u8], s: usize, e: usize, v: &Value) -> Option<Vec<Finding>> {
    let cand = norm_key(&data[s..e]);
    if PROJECT_TAG_KEYS.iter().any(|k| cand.contains(&norm_key(k.as_bytes()))) {
        v_display_name(data, v, RES)
    } else {
        v_person(data, v, OWNER)
    }
}

/// `{"Key": "Owner", "Value": "<person>"}` (or a project tag) in a tag list (JSON at any
/// escaping depth).
fn check_tag_pair(data: &[u8], s: usize, e: usize) -> CheckResult {
    let v = tag_value(data, e)?;
    Some((tag_value_findings(data, s, e, &v)?, v.end))
}

/// What a tag's value holds, by the tag's key: a resource's display name (`Name`, a project
/// tag) or a person (an owner tag), in any of the ways its key is written; `None` for other
/// tags.
pub(super) fn tag_field(key: &[u8]) -> Option<Field> {
    if key == b"Name" {
        return Some(Field { validate: v_display_name, ..name_field(RES) });
    }
    let key = norm_key(key);
    if PROJECT_TAG_KEYS.iter().any(|k| norm_key(k.as_bytes()) == key) {
        return Some(Field { validate: v_display_name, ..name_field(RES) });
    }
    OWNER_TAG_KEYS.iter().any(|k| norm_key(k.as_bytes()) == key).then_some(Field {
        rtype: OWNER,
        shape: Shape::Classwise,
        validate: v_person,
        line: false,
    })
}

/// `"Owner": "<person>"` (or a project tag) directly inside a JSON tag map (`"Tags": {…}`,
/// `tags`, `tags_all`).
fn check_tag_map(data: &[u8], s: usize, e: usize) -> CheckResult {
    let open = enclosing_brace(data, s, 2048)?;
    // the word before the brace, past the separators and quotes between them
    let before = &data[open.saturating_sub(24)..open];
    let end = before
        .iter()
        .rposition(|&c| !matches!(c, b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'\\'))
        .map_or(0, |i| i + 1);
    let start = before[..end]
        .iter()
        .rposition(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
        .map_or(0, |i| i + 1);
    if !matches!(&before[start..end], b"tags" | b"Tags" | b"tags_all") {
        return None;
    }
    let limit = data.len().min(e + 512);
    let v = value_after(data, e - 1, limit, false, None)?;
    if v.quote.is_empty() {
        return None;
    }
    Some((tag_value_findings(data, s, e, &v)?, v.end))
}

/// Terraform's tag maps: `Owner = "<person>"` (or a project tag) on its own line inside a
/// `tags = {` block.
fn check_hcl_tag(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !in_hcl_tags_block(data, s) {
        return None;
    }
    let limit = data.len().min(s + 1024);
    let v = value_after(data, e - 1, limit, false, None)?;
    Some((tag_value_findings(data, s, e, &v)?, v.end))
}

/// YAML tags: `- Key: Owner` (or a project tag) and, in the same item, `Value: <person>`.
fn check_yaml_tag(data: &[u8], s: usize, e: usize) -> CheckResult {
    let limit = data.len().min(s + 1024);
    let line = yaml_key_line(data, s, limit)?;
    let after = yaml_sibling(data, line.next, line.col, b"Value", limit)?;
    let v = value_after(data, after, limit, false, Some(|c| c == b'\n' || c == b'\r' || c == b'\\' || c == b'"'))?;
    Some((tag_value_findings(data, s, e, &v)?, v.end))
}

/// `--output text`: `TAGS<tab>Owner<tab><person>` (or a project tag).
fn check_tag_text_row(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !at_line_start(data, s) {
        return None;
    }
    let lim = data.len().min(e + 128);
    let mut b = e;
    while b < lim && !matches!(data[b], b'\t' | b'\r' | b'\n' | b'\\') {
        b += 1;
    }
    Some((tag_value_findings(data, s, e, &Value::bare(e, b))?, b))
}

// ---------------------------------------------------------------- siblings in YAML

/// How many lines after a key a sibling of the same YAML mapping is looked for.
const YAML_SIBLING_LINES: usize = 6;

/// A line of YAML, raw or inside JSON text (escaped line breaks): where its key starts (after
/// the indentation and a list item's `- `), the key's column, whether the line opens a list
/// item, where it ends and where the next line starts.
pub(super) struct YamlLine {
    pub(super) key: usize,
    pub(super) col: usize,
    item: bool,
    pub(super) end: usize,
    pub(super) next: usize,
}

fn yaml_line(data: &[u8], ls: usize, limit: usize) -> YamlLine {
    let ls = past_line_number(data, ls).min(limit);
    let (end, next) = line_bounds(data, ls, limit);
    let mut i = ls;
    while i < end && data[i] == b' ' {
        i += 1;
    }
    let item = i + 1 < end && data[i] == b'-' && data[i + 1] == b' ';
    if item {
        i += 2;
        while i < end && data[i] == b' ' {
            i += 1;
        }
    }
    YamlLine {
        key: i,
        col: i - ls,
        item,
        end,
        next,
    }
}

/// The YAML key at `s` when it is the key of its line (only indentation and a list item's `-`
/// before it): that line.
pub(super) fn yaml_key_line(data: &[u8], s: usize, limit: usize) -> Option<YamlLine> {
    let ls = line_start_of(data, s, 160)?;
    let line = yaml_line(data, ls, limit);
    (line.key == s).then_some(line)
}

/// The sibling `key` of the mapping whose key sits at column `col` on the line before `next`:
/// the offset right after its name, found among the following lines of the same mapping
/// (deeper lines are skipped; a shallower line or the next list item ends the search).
pub(super) fn yaml_sibling(
    data: &[u8],
    mut next: usize,
    col: usize,
    key: &[u8],
    limit: usize,
) -> Option<usize> {
    for _ in 0..YAML_SIBLING_LINES {
        if next >= limit {
            return None;
        }
        let line = yaml_line(data, next, limit);
        if line.key >= line.end || line.col < col || (line.col == col && line.item) {
            return None;
        }
        if line.col == col {
            let after = line.key + key.len();
            if data[line.key..line.end].starts_with(key) && after < line.end && data[after] == b':'
            {
                return Some(after);
            }
        }
        next = line.next;
    }
    None
}

/// YAML tags (`aws … --output yaml`, CloudFormation templates): `- Key: Name` and, in the same
/// item, `Value: <name>` — the YAML form of `{"Key": "Name", "Value": …}`.
fn check_yaml_tag_name(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let limit = data.len().min(s + 1024);
    let line = yaml_key_line(data, s, limit)?;
    let after = yaml_sibling(data, line.next, line.col, b"Value", limit)?;
    // a plain YAML scalar runs to the end of its line, blanks and all (`Value: Ledger Web 2`)
    let mut v = value_after(data, after, limit, false, Some(yaml_line_stop))?;
    while v.end > v.start && data[v.end - 1] == b' ' {
        v.end -= 1;
    }
    if let Some(hash) = memchr::memmem::find(&data[v.start..v.end], b" #") {
        v.end = v.start + hash; // a comment
    }
    Some((v_display_name(data, &v, RES)?, v.end))
}

/// The bytes that end a plain YAML scalar on its line, raw or inside a JSON string.
fn yaml_line_stop(c: u8) -> bool {
    matches!(c, b'\n' | b'\r' | b'\t' | b'\\' | b'"')
}

/// `s3api list-buckets --output yaml`: `- Name: <bucket>` with `CreationDate:` in the same
/// item, in either order.
fn check_yaml_bucket_entry(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let limit = data.len().min(s + 1024);
    let line = yaml_key_line(data, s, limit)?;
    let v = if data[s] == b'N' {
        yaml_sibling(data, line.next, line.col, b"CreationDate", limit)?;
        value_after(data, s + b"Name".len(), line.end, false, None)?
    } else {
        let after = yaml_sibling(data, line.next, line.col, b"Name", limit)?;
        value_after(data, after, limit, false, None)?
    };
    Some((v_name(data, &v, BUCKET)?, v.end))
}

/// A Serverless Framework service (`serverless.yml`): the top-level `service:` of a file whose
/// `provider:` is AWS. Its stack, functions and deployment bucket are named after it
/// (`<service>-<stage>-<function>`).
fn check_serverless_service(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if !opens_text(data, s) {
        return None;
    }
    let limit = data.len().min(s + 2048);
    let v = value_after(data, s + b"service".len(), limit, false, None)?;
    let rest = &data[v.end..limit];
    let provider = memmem::find_iter(rest, b"provider:").find(|&k| at_line_start(rest, k))?;
    let tail = &rest[provider..rest.len().min(provider + 256)];
    memmem::find(tail, b"name: aws")?;
    Some((v_name(data, &v, RES)?, v.end))
}

/// The key of the HCL block that the line starting at `ls` is inside: the words before the
/// unmatched `{` that opens it (`tags`, `~ tags`, `tags_all =`), looked for at most
/// `reach` bytes back.
fn hcl_block_key(data: &[u8], ls: usize, reach: usize) -> Option<&[u8]> {
    let open = enclosing_brace(data, ls, reach)?;
    let start = line_start_of(data, open, 256)?;
    Some(&data[start..open])
}

/// Whether the key at `s` is the first thing on its line and the line is inside a Terraform
/// `tags = {` or `tags_all = {` block (`~ tags`, `+ tags_all =` in a plan).
fn in_hcl_tags_block(data: &[u8], s: usize) -> bool {
    let Some(ls) = line_start_of(data, s, 160) else { return false };
    if !data[ls..s].iter().all(|&c| c == b' ' || c == b'\t') {
        return false;
    }
    let Some(key) = hcl_block_key(data, ls, 4096) else { return false };
    let mut words = key
        .split(|&c| matches!(c, b' ' | b'\t' | b'=' | b'~' | b'+' | b'-' | b'"'))
        .filter(|w| !w.is_empty());
    matches!((words.next(), words.next()), (Some(b"tags" | b"tags_all"), None))
}

/// Terraform's tag maps (`terraform plan`/`show`, `.tf` files): `Name = "<name>"` on its own
/// line inside a `tags = {` or `tags_all = {` block.
fn check_hcl_tag_name(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !in_hcl_tags_block(data, s) {
        return None;
    }
    let limit = data.len().min(s + 1024);
    // the candidate ends with its `= `
    let v = value_after(data, e - 2, limit, false, None)?;
    Some((v_display_name(data, &v, RES)?, v.end))
}

/// A tag map in JSON (`terraform show -json`, `.tfstate`, an API's `"Tags": {…}`):
/// `"Name": "<name>"` directly inside an object that is the value of `tags`, `tags_all` or
/// `Tags`.
fn check_json_tag_name(data: &[u8], s: usize, e: usize) -> CheckResult {
    let open = enclosing_brace(data, s, 2048)?;
    let mut i = open;
    while i > 0 && matches!(data[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    if i == 0 || data[i - 1] != b':' {
        return None;
    }
    i -= 1;
    while i > 0 && matches!(data[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    // the key's closing quote at any escaping depth, then the key
    if i == 0 || !matches!(data[i - 1], b'"' | b'\'') {
        return None;
    }
    i -= 1;
    while i > 0 && data[i - 1] == b'\\' {
        i -= 1;
    }
    let key = [&b"tags_all"[..], b"tags", b"Tags"]
        .into_iter()
        .find(|k| data[..i].ends_with(k))?;
    let ks = i - key.len();
    if ks == 0 || !matches!(data[ks - 1], b'"' | b'\'') {
        return None;
    }
    let limit = data.len().min(e + 512);
    let v = value_after(data, e - 1, limit, false, None)?;
    if v.quote.is_empty() {
        return None;
    }
    Some((v_display_name(data, &v, RES)?, v.end))
}

/// Whether `line` (the part of a line before a flag) runs an AWS CLI command: `aws` as a word
/// of its own followed by a blank (`$ aws eks …`, `"command": "aws …`, `&& aws …`).
pub(super) fn runs_aws_cli(line: &[u8]) -> bool {
    memmem::find_iter(line, b"aws ").any(|i| {
        i == 0
            || !(line[i - 1].is_ascii_alphanumeric()
                || matches!(line[i - 1], b'-' | b'_' | b'.' | b'/'))
    })
}

/// `aws <service> <command> … --name <x>`: in an AWS CLI command the bare `--name` flag names
/// the resource the command acts on (an EKS cluster in `update-kubeconfig`, a secret, a Glue
/// job, a state machine, an EventBridge rule). A parameter's path (`ssm get-parameter --name
/// /app/db`) is not a name: [`parameters`](super::parameters) reads it segment by segment.
fn check_aws_name_flag(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let ls = line_start_of(data, s, 512)?;
    if !runs_aws_cli(&data[ls..s]) {
        return None;
    }
    let v = value_after(
        data,
        s + b"--name".len(),
        data.len().min(s + 512),
        true,
        None,
    )?;
    Some((v_name(data, &v, RES)?, v.end))
}

/// `aws logs tail <group>`: the command's first argument is a log group.
fn check_logs_tail(data: &[u8], s: usize, e: usize) -> CheckResult {
    let ls = line_start_of(data, s, 512)?;
    if !left_ok(data, s, &WORD) || !runs_aws_cli(&data[ls..s]) {
        return None;
    }
    let v = value_after(data, e, data.len().min(e + 512), true, None)?;
    if v.end <= v.start || data[v.start] == b'-' {
        return None;
    }
    let fs = v_log_group(data, &v, RES)?;
    if fs.is_empty() {
        return Some((Vec::new(), v.start));
    }
    Some((fs, v.end))
}

/// The prefix of the log groups AWS services name after a resource.
const AWS_LOG_GROUP: &str =
    r"/aws/(?:lambda|codebuild|eks|rds/instance|rds/cluster|ecs/containerinsights)/";

static LOG_GROUP_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{AWS_LOG_GROUP}")).expect("log group prefix"));

/// CloudWatch log groups that AWS services name after a resource: `/aws/lambda/<function>`,
/// `/aws/codebuild/<project>`, `/aws/eks/<cluster>/cluster`, `/aws/rds/instance/<db>/…`,
/// `/aws/rds/cluster/<db>/…`, `/aws/ecs/containerinsights/<cluster>/…`.
fn check_log_group(data: &[u8], s: usize, e: usize) -> CheckResult {
    let rtype = if data[s..e].starts_with(b"/aws/rds/") {
        DB
    } else {
        RES
    };
    let lim = data.len().min(e + 256);
    let mut end = e;
    while end < lim && (data[end].is_ascii_alphanumeric() || b"_.-".contains(&data[end])) {
        end += 1;
    }
    let v = Value {
        start: e,
        end,
        quote: Vec::new(),
        sep: b"/".to_vec(),
    };
    Some((v_name(data, &v, rtype)?, end))
}

/// `cloudtrail lookup-events`: `"Username": "<user>"` of an event record, whose next sibling is
/// the event's `Resources` or `CloudTrailEvent` (a generic `username` key elsewhere stays).
fn check_trail_username(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let lim = data.len().min(s + 512);
    let after = key_at(data, s, lim, b"Username")?;
    let v = value_after(data, after, lim, false, None)?;
    let i = next_key(data, v.end + v.quote.len(), lim);
    if key_at(data, i, lim, b"Resources").is_none()
        && key_at(data, i, lim, b"CloudTrailEvent").is_none()
    {
        return None;
    }
    Some((v_name(data, &v, IAM)?, v.end))
}

/// A cell of AWS CLI `--output text` ending at a tab, a line end or an escape.
fn text_cell(data: &[u8], a: usize) -> Value {
    let lim = data.len().min(a + 256);
    let mut b = a;
    while b < lim && !matches!(data[b], b'\t' | b'\r' | b'\n' | b'\\') {
        b += 1;
    }
    Value::bare(a, b)
}

/// `--output text` rows whose last column is a name: `TAGS<tab>Name<tab><name>` (a `Name`
/// tag) and `BUCKETS<tab><created><tab><bucket>` (`s3api list-buckets`).
fn check_text_row(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !at_line_start(data, s) {
        return None;
    }
    let rtype = if data[s..e].starts_with(b"TAGS") {
        RES
    } else {
        BUCKET
    };
    let v = text_cell(data, e);
    Some((v_name(data, &v, rtype)?, v.end))
}

/// `s3api list-buckets` JSON: `{"Name": "<bucket>", "CreationDate": …}` — a `Name` whose next
/// sibling is the bucket's creation date; and the `Name` of an API or a user pool, whose
/// object holds the resource's id and no ARN to give the name away (`apigatewayv2 get-apis`,
/// `cognito-idp list-user-pools`).
fn check_bucket_entry(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let lim = data.len().min(s + 256);
    let after = key_at(data, s, lim, b"Name")?;
    let v = value_after(data, after, lim, false, None)?;
    let q_end = v.end + v.quote.len();
    let i = next_key(data, q_end, lim);
    if key_at(data, i, lim, b"CreationDate").is_some() {
        return Some((v_name(data, &v, BUCKET)?, v.end));
    }
    // the object's keys are read only when the bytes around say an API or a pool may be there
    let near = &data[s.saturating_sub(512)..data.len().min(s + 512)];
    let api = memchr::memmem::find(near, b"Api").is_some()
        && ID_SIBLINGS.iter().any(|k| sibling_value(data, s, k).is_some());
    let pool = || {
        let region_end = |u: usize| u >= 2 && near[u - 1].is_ascii_digit() && near[u - 2] == b'-';
        memchr::memchr_iter(b'_', near).any(region_end)
            && sibling_value(data, s, b"Id")
                .is_some_and(|id| aws::user_pool_id(&data[id.start..id.end]))
    };
    let api_or_pool = api || pool();
    if !api_or_pool {
        return None;
    }
    Some((v_display_name(data, &v, RES)?, v.end))
}

/// The keys of an object that describes an API by its id: its `Name` is the API's name.
const ID_SIBLINGS: [&[u8]; 3] = [b"ApiId", b"RestApiId", b"ApiEndpoint"];

/// `aws s3 ls` with no path lists buckets, one a line: `2024-05-01 10:00:00 <bucket>` (object
/// listings carry a size column and so do not match). A plain word ('… 10:00:00 started') is
/// not taken: the bucket must hold a dash, a dot or a digit.
fn check_s3_ls(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !at_line_start(data, s) {
        return None;
    }
    let a = s + 20;
    let b = a + data[a..e]
        .iter()
        .take_while(|&&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        .count();
    let tok = &data[a..b];
    if !tok
        .iter()
        .any(|&c| c == b'-' || c == b'.' || c.is_ascii_digit())
    {
        return None;
    }
    let v = Value::bare(a, b);
    Some((v_name(data, &v, BUCKET)?, b))
}

// ---------------------------------------------------------------- names in prose and logs

/// Phrases after which a name follows: 'bucket <name>', 'RDS instance <name>', 'IAM user named
/// ``Paulo``', 'found resource <name>'. Strong phrases name the kind of resource, so any
/// name-like token counts.
const STRONG: &[(&str, &str)] = &[
    ("bucket", BUCKET),
    ("s3 bucket", BUCKET),
    ("rds instance", DB),
    ("db instance", DB),
    ("db cluster", DB),
    ("db snapshot", DB),
    ("cluster snapshot", DB),
    ("database", DB),
    ("failover initiated for", DB),
    ("cache cluster", DB),
    ("replication group", DB),
    ("iam user", IAM),
    ("iam role", IAM),
    ("iam group", IAM),
    ("user named", IAM),
    ("role named", IAM),
    ("the user", IAM),
    ("instance profile", IAM),
    ("server certificate", IAM),
    ("vault", RES),
    ("key pair", RES),
    ("lambda function", RES),
    ("function named", RES),
    ("dynamodb table", RES),
    ("table named", RES),
    ("sqs queue", RES),
    ("sns topic", RES),
    ("cloudformation stack", RES),
    ("stack named", RES),
    ("ecs cluster", RES),
    ("ecs service", RES),
    ("(service", RES),
    ("load balancer", RES),
    ("target group", RES),
    ("auto scaling group", RES),
    ("launch template", RES),
    ("log group", RES),
    ("found resource", RES),
    ("diff detected on", RES),
    ("job queue", RES),
    ("node group", RES),
    ("nodegroup", RES),
];

/// Weak phrases ('processing', 'cached') only take tokens shaped like resource names.
const WEAK: &[(&str, &str)] = &[
    ("processing", RES),
    ("cached", RES),
    ("resource", RES),
    ("function", RES),
    ("table", RES),
    ("queue", RES),
    ("topic", RES),
    ("stack", RES),
    ("cluster", DB),
    ("service", RES),
    ("role", IAM),
    ("user", IAM),
    ("secret", RES),
    ("connecting to database", DB),
    ("snapshot", DB),
    ("environment", RES),
    ("application", RES),
    ("repository", RES),
];

/// Phrases as a regex alternation, longest first (the order Python's alternation tries).
fn phrase_alternation(phrases: &[&str]) -> String {
    let mut ps: Vec<&str> = phrases.to_vec();
    ps.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    ps.iter()
        .map(|p| regex::escape(p))
        .collect::<Vec<_>>()
        .join("|")
}

/// A phrase (lower case) -> (its type, strong).
fn phrase_kind(ph: &[u8]) -> Option<(&'static str, bool)> {
    let find = |list: &[(&str, &'static str)]| {
        list.iter()
            .find(|(p, _)| p.as_bytes().eq_ignore_ascii_case(ph))
            .map(|(_, t)| *t)
    };
    find(STRONG)
        .map(|t| (t, true))
        .or_else(|| find(WEAK).map(|t| (t, false)))
}

/// Python `_PROSE`: a phrase, blanks, an optional 'named'/'called', an optional quote, a token.
/// The regex crate's leftmost-first captures pick the same groups as Python's backtracking.
static PROSE: LazyLock<Regex> = LazyLock::new(|| {
    let all: Vec<&str> = WEAK.iter().chain(STRONG).map(|(p, _)| *p).collect();
    let pattern = format!(
        r#"^(?P<ph>(?i:{}))[ ]{{1,3}}(?:(?i:named|called)[ ]{{1,3}})?(?P<q>``|`|'|\\{{0,7}}")?(?P<v>[A-Za-z0-9][A-Za-z0-9_.-]{{1,127}})"#,
        phrase_alternation(&all)
    );
    RegexBuilder::new(&pattern)
        .unicode(false)
        .build()
        .expect("prose pattern")
});

fn check_prose(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if !left_ok(data, s, &WORD) && data[s] != b'(' {
        return None;
    }
    let hi = data.len().min(s + 256);
    if !PROSE_RULE.is_match(&data[s..hi]) {
        return None;
    }
    let caps = PROSE.captures(&data[s..hi])?;
    let (ph, v) = (caps.name("ph")?, caps.name("v")?);
    let a = s + v.start();
    let mut b = s + v.end();
    while b > a && b".-_".contains(&data[b - 1]) {
        b -= 1;
    }
    if b - a < 2 || (b < data.len() && (ALNUM[data[b] as usize] || data[b] == b'/')) {
        return None;
    }
    let tok = &data[a..b];
    if lower_in(&ENGLISH, tok)
        || lower_in(&STOP, tok)
        || defers(tok)
        || id_like(tok)
        || starts_with_lower(tok, &[b"aws_", b"aws-", b"aws::"])
    {
        return Some((Vec::new(), a));
    }
    let (rtype, strong) = phrase_kind(ph.as_bytes())?;
    if !strong && quantified(data, s) {
        return None; // 'per user site-packages', 'each function handler': a kind, not one
    }
    let digit_word = tok.iter().any(|&c| is_digit(c)) && is_alnum(tok);
    if !strong && !tok.contains(&b'-') && !digit_word {
        return None; // weak phrases ('function', 'table') precede code identifiers too
    }
    if !shaped(tok) {
        // a plain word: only after a phrase that names the kind of resource, and then quoted
        // (``Paulo``), capitalized after an IAM phrase ('IAM user Bob'), a long lower-case
        // word after a database or bucket phrase ('RDS instance mymysqlinstance'), or any word
        // in a log line
        if !strong || !is_alnum(tok) {
            return None;
        }
        let quoted = caps.name("q").is_some();
        let ph = ph.as_bytes();
        let specific = ph.eq_ignore_ascii_case(b"found resource")
            || ph.eq_ignore_ascii_case(b"diff detected on");
        if !(quoted
            || (specific && capitalized(tok) && tok.len() >= 3)
            || (rtype == IAM && capitalized(tok))
            || (rtype != IAM && tok.len() >= 5 && is_lower_word(tok) && plain_word_names(ph, tok))
            // in a timestamped log line the phrase is a template's: '... connecting to
            // database orcl', '... found resource username'
            || (tok.len() >= 3 && log_line_start(data, s)))
        {
            return None;
        }
    }
    Some((vec![Finding::new(a, b, rtype, Shape::Classwise)], b))
}

/// Words that make the noun after them a kind rather than one named thing.
const QUANTIFIERS: &[&[u8]] = &[
    b"per", b"each", b"every", b"any", b"a", b"an", b"no", b"one", b"another", b"other", b"all",
    b"some", b"multi", b"non",
];

/// The word right before offset `s` (blanks between) is a quantifier ('per user', 'a table').
fn quantified(data: &[u8], s: usize) -> bool {
    let mut e = s;
    while e > 0 && data[e - 1] == b' ' {
        e -= 1;
    }
    if e == s {
        return false;
    }
    let mut b = e;
    while b > 0 && data[b - 1].is_ascii_alphabetic() && e - b < 16 {
        b -= 1;
    }
    b < e && lower_in_list(QUANTIFIERS, &data[b..e])
}

fn lower_in_list(words: &[&[u8]], tok: &[u8]) -> bool {
    words.iter().any(|w| w.eq_ignore_ascii_case(tok))
}

/// Endings of English nouns and verb forms ('migrations', 'connection', 'settings', 'server',
/// 'schema'): English puts such words after a one-word resource noun ('database migrations',
/// 'bucket ownership'), where they name nothing.
const ENGLISH_ENDINGS: &[&[u8]] = &[
    b"s", b"ing", b"ion", b"ment", b"er", b"or", b"ure", b"ity", b"ness", b"ance", b"ence", b"age",
    b"ema", b"ed", b"ly", b"ive", b"al", b"ary", b"ery",
];

/// Whether a plain lower-case word after the phrase `ph` names a resource: after a phrase of
/// two or more words ('RDS instance mymysqlinstance', 'S3 bucket ...') any such word does;
/// after a one-word noun ('database', 'bucket', 'vault') only one that does not end like an
/// English word ('database migrations' is an ordinary phrase).
fn plain_word_names(ph: &[u8], tok: &[u8]) -> bool {
    ph.contains(&b' ')
        || !ENGLISH_ENDINGS
            .iter()
            .any(|end| tok.len() > end.len() + 2 && tok.ends_with(end))
}

// ---------------------------------------------------------------- the last word of a log line

/// Application logs end a line with the object they act on: '2024-05-01T10:00:00Z INFO [sync]
/// processing ProdServerCert', '... cached Bob'. In a timestamped log line the token that ends
/// the line after such a verb is a name whatever its shape; elsewhere ('processing the
/// request', 'cached value') the weak-phrase rule decides.
const LOG_VERBS: &[&str] = &[
    "cached",
    "caching",
    "deleting",
    "processing",
    "reconciling",
    "refreshing",
    "syncing",
    "updating",
];

/// Python `_LOG_LINE_START.match(data, start, end)`: an ISO-8601 date and time, optionally
/// after a `\n` escape.
fn log_stamp_at(data: &[u8], start: usize, end: usize) -> bool {
    let mut j = start;
    let k = count_from(&data[..end], j, |c| c == b'\\');
    if (1..=7).contains(&k) && j + k < end && data[j + k] == b'n' {
        j += k + 1;
    }
    if j + 16 > end {
        return false;
    }
    let t = &data[j..j + 16];
    let digits = |r: std::ops::Range<usize>| t[r].iter().all(|&c| is_digit(c));
    digits(0..4)
        && t[4] == b'-'
        && digits(5..7)
        && t[7] == b'-'
        && digits(8..10)
        && matches!(t[10], b'T' | b' ')
        && digits(11..13)
        && t[13] == b':'
        && digits(14..16)
}

/// True when the line holding offset `s` starts, within LOOKBEHIND bytes, with a timestamp
/// (a raw newline or a JSON-escaped one ends the line before).
fn log_line_start(data: &[u8], s: usize) -> bool {
    let lo = s.saturating_sub(LOOKBEHIND);
    let win = &data[lo..s];
    let nl = memchr::memrchr(b'\n', win).map(|i| lo + i);
    let esc = memmem::rfind(win, b"\\n").map(|i| lo + i);
    let start = match (esc, nl) {
        (Some(e), nl) if nl.is_none_or(|n| e + 2 > n + 1) => e + 2,
        (_, Some(n)) => n + 1,
        _ if lo == 0 => 0,
        _ => return false,
    };
    log_stamp_at(data, start, s)
}

/// `\r`, `\n`, `\\{1,7}[nr]` or the end of the window at `b` (Python's `(?=...|$)`).
fn line_end_at(data: &[u8], b: usize, hi: usize) -> bool {
    if b >= hi {
        return true;
    }
    match data[b] {
        b'\r' | b'\n' => true,
        b'\\' => {
            let k = count_from(&data[..hi], b, |c| c == b'\\');
            k <= 7 && b + k < hi && matches!(data[b + k], b'n' | b'r')
        }
        _ => false,
    }
}

fn log_value_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"_.@+=:-".contains(&c)
}

fn check_log_tail(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if !left_ok(data, s, &WORD) {
        return None;
    }
    let hi = data.len().min(s + 160);
    let verb_len = count_from(&data[..hi], s, is_lower);
    if !(5..=12).contains(&verb_len) || data.get(s + verb_len) != Some(&b' ') {
        return None;
    }
    let verb = &data[s..s + verb_len];
    if !LOG_VERBS.iter().any(|v| v.as_bytes() == verb) {
        return None;
    }
    let a = s + verb_len + 1;
    if a >= hi || !data[a].is_ascii_alphanumeric() {
        return None;
    }
    let mut b = a + 1;
    while b < hi && b - a < 128 && log_value_char(data[b]) {
        b += 1;
    }
    if b - a < 2 || !line_end_at(data, b, hi) {
        return None;
    }
    while b > a && b".:-_".contains(&data[b - 1]) {
        b -= 1;
    }
    let tok = &data[a..b];
    if b - a < 3
        || lower_in(&ENGLISH, tok)
        || lower_in(&STOP, tok)
        || lower_in(&LOG_SKIP, tok)
        || defers(tok)
        || version_or_number(tok)
        || starts_with_lower(tok, &[b"aws_", b"aws-", b"aws::"])
        || !log_line_start(data, s)
    {
        return None;
    }
    Some((vec![Finding::new(a, b, RES, Shape::Classwise)], b))
}

// ---------------------------------------------------------------- Lambda code locations

/// `lambda get-function` gives the code's location as a presigned URL whose path is
/// `/snapshots/<account>/<function name>-<uuid>`: the account and the function's name, glued to
/// the upload's UUID.
fn check_code_location(data: &[u8], s: usize, e: usize) -> CheckResult {
    let acct = (s + b"/snapshots/".len(), s + b"/snapshots/".len() + 12);
    let ns = acct.1 + 1;
    let limit = data.len().min(e + 200);
    let mut j = ns;
    while j < limit && (data[j].is_ascii_alphanumeric() || matches!(data[j], b'-' | b'_')) {
        j += 1;
    }
    // the name is what comes before the trailing `-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`
    let uuid_len = 36;
    if j < ns + uuid_len + 2 || data[j - uuid_len - 1] != b'-' {
        return None;
    }
    let tail = &data[j - uuid_len..j];
    let groups_ok = tail
        .split(|&c| c == b'-')
        .map(<[u8]>::len)
        .eq([8, 4, 4, 4, 12]);
    if !groups_ok
        || !tail
            .iter()
            .all(|&c| c == b'-' || c.is_ascii_digit() || c.is_ascii_lowercase())
    {
        return None;
    }
    let ne = j - uuid_len - 1;
    Some((
        vec![
            Finding::new(acct.0, acct.1, "aws_account_id", Shape::Classwise),
            Finding::new(ns, ne, RES, Shape::Classwise),
        ],
        ne,
    ))
}

// ---------------------------------------------------------------- columns of CLI table output

/// The longest table a header row is followed through.
pub(super) const TABLE_REACH: usize = 256 * 1024;

/// The end of the line that starts at `i` (before `limit`): a line break, raw or escaped
/// (`\n`, `\r` in JSON text), and the start of the next line.
fn line_bounds(data: &[u8], i: usize, limit: usize) -> (usize, usize) {
    let mut j = i;
    while j < limit {
        match data[j] {
            b'\n' => return (j, j + 1),
            b'\r' => {
                return (
                    j,
                    if j + 1 < limit && data[j + 1] == b'\n' {
                        j + 2
                    } else {
                        j + 1
                    },
                )
            }
            b'\\' if j + 1 < limit && matches!(data[j + 1], b'n' | b'r') => {
                let mut k = j + 2;
                if data[j + 1] == b'r' && k + 1 < limit && data[k] == b'\\' && data[k + 1] == b'n' {
                    k += 2;
                }
                return (j, k);
            }
            _ => j += 1,
        }
    }
    (limit, limit)
}

/// The cells of a row of `--output table` (`|| a | b ||`): their spans, blanks trimmed. `None`
/// when the line is no row (it must start and end with `|`).
pub(super) fn table_cells(data: &[u8], s: usize, e: usize) -> Option<Vec<(usize, usize)>> {
    let (mut a, mut b) = (s, e);
    while b > a && data[b - 1] == b' ' {
        b -= 1;
    }
    if a >= b || data[a] != b'|' || data[b - 1] != b'|' {
        return None;
    }
    while a < b && data[a] == b'|' {
        a += 1;
    }
    while b > a && data[b - 1] == b'|' {
        b -= 1;
    }
    let mut cells = Vec::new();
    let mut cs = a;
    for j in a..=b {
        if j == b || data[j] == b'|' {
            let (mut x, mut y) = (cs, j);
            while x < y && data[x] == b' ' {
                x += 1;
            }
            while y > x && data[y - 1] == b' ' {
                y -= 1;
            }
            cells.push((x, y));
            cs = j + 1;
        }
    }
    Some(cells)
}

/// A rule line of a table (`+----+`, `|+---+---+|`).
pub(super) fn table_rule(line: &[u8]) -> bool {
    line.contains(&b'-') && line.iter().all(|c| matches!(c, b'|' | b'+' | b'-' | b' '))
}

/// A cell of a `Name` column (`--query '…[].{Name: Tags[?Key==`Name`]|[0].Value, …}'`,
/// a Markdown list of resources): the resource's display name, taken only when it is shaped like
/// one (a digit, `-`, `_` or `.` in it), so a column of plain words stays as it is.
fn v_name_column(data: &[u8], v: &Value, rtype: &'static str) -> Option<Vec<Finding>> {
    let cell = &data[v.start..v.end];
    if !cell
        .iter()
        .any(|c| c.is_ascii_digit() || b"-_.".contains(c))
    {
        return None;
    }
    v_name(data, v, rtype)
}

/// What a column named `header` holds, if it is a name, an account, a key or a bucket.
pub(super) fn column_field(header: &[u8]) -> Option<Field> {
    let key = norm_key(header);
    if key == "name" {
        return Some(Field {
            validate: v_name_column,
            ..name_field(RES)
        });
    }
    TABLE
        .get(&key)
        .or_else(|| aws::field_table().get(&key))
        .copied()
}

/// AWS CLI `--output table` of a list: a header row names the columns (`|| CreateDate | Path |
/// UserName ||`), a rule line follows it, and the rows below, up to a title row or the table's
/// end, hold their values (a Markdown table has the same layout). The cells of the columns whose header is a field of a name, account, KMS
/// key, zone or bucket are validated as that field's value. Scanning resumes after the header,
/// so the other columns' ids are still found by their own rules; the header row itself is
/// decided (its cells are column names, not the `key | value` of a one-record table).
fn check_table_header(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !(at_line_start(data, s) || (s > 0 && data[s - 1] == b'\r')) {
        return None;
    }
    let limit = data.len().min(s + TABLE_REACH);
    let (he, mut next) = line_bounds(data, s, limit);
    let header = table_cells(data, s, he)?;
    if header.len() < 2 || e > he {
        return None;
    }
    let mut fields: Vec<Option<Field>> = Vec::with_capacity(header.len());
    for &(a, b) in &header {
        let cell = &data[a..b];
        if cell.is_empty()
            || !cell[0].is_ascii_alphabetic()
            || !cell.iter().all(u8::is_ascii_alphanumeric)
        {
            return None;
        }
        fields.push(column_field(cell));
    }
    // a header row is ruled off from its rows (a key/value row of a one-record table is not)
    let (re, _) = line_bounds(data, next, limit);
    if !table_rule(&data[next..re]) {
        return None;
    }
    let mut out = Vec::new();
    while next < limit {
        let (le, after) = line_bounds(data, next, limit);
        let line = &data[next..le];
        if table_rule(line) {
            next = after;
            continue;
        }
        let Some(cells) = table_cells(data, next, le) else {
            break;
        };
        if cells.len() != header.len() {
            break; // a title row or another table
        }
        for (&(a, b), field) in cells.iter().zip(&fields) {
            let Some(f) = field else { continue };
            if a >= b {
                continue;
            }
            let v = Value {
                start: a,
                end: b,
                quote: Vec::new(),
                sep: b"|".to_vec(),
            };
            if let Some(fs) = (f.validate)(data, &v, f.rtype) {
                out.extend(fs);
            }
        }
        next = after;
    }
    // the header row itself holds column names, never a `key | value` pair
    Some((out, he))
}

// ---------------------------------------------------------------- echoes in CLI text output

// 'aws ... --cache-cluster-id my-redis' prints 'CACHECLUSTER<tab>...<tab>my-redis<tab>...': a
// tab-separated field (or a line that holds nothing else: the text output of a single value)
// that repeats, within ECHO_BACK bytes, a value named earlier by a flag, a key or an ARN is that
// name again. So is a member named after it: 'my-redis-rg-002' after '--replication-group-id
// my-redis-rg'.

/// Bytes of a name as CLI text output prints it.
const NAME_CHAR: ByteTable = {
    let mut t = table(b"_.@+=,-");
    let mut i = 0;
    while i < 256 {
        if ALNUM[i] {
            t[i] = true;
        }
        i += 1;
    }
    t
};

/// ARN services whose resource parts are ids, not names.
const ID_ARN_SERVICES: &[&[u8]] = &[b"organizations", b"storagegateway", b"servicediscovery"];

/// Python `_FIELD.match(data, s, s + 140)`: the field that starts after the tab or line break
/// at `s` and ends before a tab or line break: its span.
fn echo_field(data: &[u8], s: usize) -> Option<(usize, usize)> {
    let hi = data.len().min(s + 140);
    let d = match data[s] {
        b'\t' | b'\n' | b'"' => 1,
        b'\\' if s + 1 < hi && matches!(data[s + 1], b't' | b'n') => 2,
        _ => return None,
    };
    let a = s + d;
    if a >= hi || !data[a].is_ascii_alphanumeric() {
        return None;
    }
    let mut b = a + 1;
    while b < hi && b - a < 128 && NAME_CHAR[data[b] as usize] {
        b += 1;
    }
    if b - a < 2 {
        return None;
    }
    let ends = b >= hi
        || matches!(data[b], b'\t' | b'\r' | b'\n')
        || (data[b] == b'\\' && b + 1 < hi && matches!(data[b + 1], b't' | b'n' | b'r'));
    ends.then_some((a, b))
}

/// What names the value at `occ`: a `--flag`, a `key:` or an ARN ending right there.
#[derive(Debug, PartialEq, Eq)]
enum Namer {
    /// the flag's name (without `--`)
    Flag(usize, usize),
    Key(usize, usize),
    /// the start of the ARN
    Arn(usize),
}

fn is_flag_char(c: u8) -> bool {
    is_lower(c) || is_digit(c) || c == b'-'
}

fn is_key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Count bytes passing `f` going left from `i`, not below `lo`, at most `cap`.
fn count_back(data: &[u8], i: usize, lo: usize, cap: usize, f: fn(u8) -> bool) -> usize {
    let mut n = 0;
    while i - n > lo && n < cap && f(data[i - n - 1]) {
        n += 1;
    }
    n
}

/// `--(?P<flag>[a-z0-9-]{2,48})(?:=|[ \t]{1,4})` ending at `q`: its leftmost start.
fn flag_namer(data: &[u8], lo: usize, q: usize) -> Option<(usize, Namer)> {
    if q <= lo {
        return None;
    }
    let n = if data[q - 1] == b'=' {
        q - 1
    } else {
        let j = count_back(data, q, lo, 5, |c| c == b' ' || c == b'\t');
        if j == 0 || j > 4 {
            return None;
        }
        q - j
    };
    let r = count_back(data, n, lo, 50, is_flag_char);
    let first = n - r;
    if n < first + 4 {
        return None;
    }
    (first..=n - 4)
        .find(|&p| data[p] == b'-' && data[p + 1] == b'-')
        .map(|p| (p, Namer::Flag(p + 2, n)))
}

/// `(?P<key>[A-Za-z][A-Za-z0-9_]{1,48})\\{0,7}["']?[ \t]{0,4}[:=][ \t]{0,4}` ending at `q`.
fn key_namer(data: &[u8], lo: usize, q: usize) -> Option<(usize, Namer)> {
    let blank = |c: u8| c == b' ' || c == b'\t';
    let t2 = count_back(data, q, lo, 5, blank);
    if t2 > 4 {
        return None;
    }
    let mut i = q - t2;
    if i <= lo || !matches!(data[i - 1], b':' | b'=') {
        return None;
    }
    i -= 1;
    let t1 = count_back(data, i, lo, 5, blank);
    if t1 > 4 {
        return None;
    }
    i -= t1;
    if i > lo && matches!(data[i - 1], b'"' | b'\'') {
        i -= 1;
    }
    let k = count_back(data, i, lo, 8, |c| c == b'\\');
    if k > 7 {
        return None;
    }
    let y = i - k;
    let r = count_back(data, y, lo, 49, is_key_char);
    if r < 2 {
        return None;
    }
    (y - r..=y - 2)
        .find(|&p| data[p].is_ascii_alphabetic())
        .map(|p| (p, Namer::Key(p, y)))
}

/// `arn:aws[a-z-]{0,10}:[^\s"'\\]{0,200}[/:]` ending at `q`: its leftmost start.
fn arn_namer(data: &[u8], lo: usize, q: usize) -> Option<(usize, Namer)> {
    if q <= lo || !matches!(data[q - 1], b'/' | b':') {
        return None;
    }
    let last = q - 1;
    let plain = |c: u8| !(is_space(c) || matches!(c, b'"' | b'\'' | b'\\'));
    let first = last - count_back(data, last, lo, usize::MAX, plain);
    for p in memmem::find_iter(&data[first..last], b"arn:aws").map(|i| first + i) {
        let j = count_from(&data[..last], p + 7, |c| is_lower(c) || c == b'-');
        if j > 10 || p + 7 + j >= last || data[p + 7 + j] != b':' {
            continue;
        }
        if last - (p + 8 + j) <= 200 {
            return Some((p, Namer::Arn(p)));
        }
    }
    None
}

/// Python `_NAMER.search(data, occ - 240, occ)` with the match ending at `occ`.
fn namer_before(data: &[u8], occ: usize) -> Option<Namer> {
    let lo = occ.saturating_sub(240);
    // (?:\\{0,7}["']|')?$ : a closing quote takes every backslash before it
    let mut q = occ;
    if q > lo && matches!(data[q - 1], b'"' | b'\'') {
        q -= 1;
        if count_back(data, q, lo, 8, |c| c == b'\\') > 7 {
            return None;
        }
        q -= count_back(data, q, lo, 8, |c| c == b'\\');
    }
    [
        flag_namer(data, lo, q),
        key_namer(data, lo, q),
        arn_namer(data, lo, q),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|(p, _)| *p)
    .map(|(_, n)| n)
}

/// Python `_ARN_ID_PART.fullmatch`: `(?:[a-z]{1,5}-)+` then 8+ letters and digits with a
/// digit, or 8 upper-case letters and digits (`h-1a2b3c4d5e`, `sgw-12A3456B`).
fn arn_id_part(tok: &[u8]) -> bool {
    let Some(dash) = tok.iter().rposition(|&c| c == b'-') else {
        return false;
    };
    let (head, tail) = (&tok[..dash], &tok[dash + 1..]);
    let head_ok = head
        .split(|&c| c == b'-')
        .all(|w| (1..=5).contains(&w.len()) && w.iter().all(|&c| is_lower(c)));
    let tail_ok = (tail.len() >= 8 && is_alnum(tail) && tail.iter().any(|&c| is_digit(c)))
        || (tail.len() == 8 && tail.iter().all(|&c| c.is_ascii_uppercase() || is_digit(c)));
    head_ok && tail_ok
}

/// The name type of the value `tok` occurring at `occ` if what precedes it names one.
fn echo_type(data: &[u8], occ: usize, tok: &[u8]) -> Option<&'static str> {
    match namer_before(data, occ)? {
        Namer::Flag(a, b) => {
            let flag = std::str::from_utf8(&data[a..b]).ok()?;
            if let Some(t) = FLAGS.get(flag) {
                return Some(t);
            }
            if let Some(t) = flag.strip_suffix('s').and_then(|f| FLAGS.get(f)) {
                return Some(t);
            }
            bucket_field(aws::flag_table(), &data[a..b])
        }
        Namer::Key(a, b) => {
            let key = norm_key(&data[a..b]);
            match TABLE.get(&key) {
                Some(f) => Some(f.rtype),
                None => bucket_field(aws::field_table(), &data[a..b]),
            }
        }
        Namer::Arn(a) => {
            // inside an ARN: the type the ARN rule gives that part, so both get the same
            // surrogate
            let head = &data[a..occ];
            let mut parts = head.splitn(4, |&c| c == b':');
            if parts
                .nth(2)
                .is_some_and(|svc| ID_ARN_SERVICES.contains(&svc))
                || arn_id_part(tok)
            {
                return None;
            }
            let (fs, _) = aws::arn_findings(data, a, data.len().min(occ + 256))?;
            fs.iter()
                .find(|f| f.start == occ && f.rtype != "aws_account_id")
                .map(|f| f.rtype)
        }
    }
}

/// The bucket type when `key` names a bucket field or flag of the AWS rules.
fn bucket_field(table: &HashMap<String, Field>, key: &[u8]) -> Option<&'static str> {
    table
        .get(&norm_key(key))
        .filter(|f| f.rtype == BUCKET)
        .map(|f| f.rtype)
}

/// The type given to `tok` where it was named in `data[lo..hi]`, the latest first.
fn named_before(data: &[u8], tok: &[u8], lo: usize, hi: usize) -> Option<&'static str> {
    // memmem's reverse iteration resumes left of each occurrence: Python's
    // `data.rfind(tok, lo, occ)` loop
    for i in memmem::rfind_iter(&data[lo..hi], tok) {
        let occ = lo + i;
        let end = occ + tok.len();
        // a namer ends right before the value with a blank, ':', '/' or a quote
        if occ > 0
            && !NAME_CHAR[data[occ - 1] as usize]
            && !NAME_CHAR[data[end] as usize]
            && matches!(data[occ - 1], b' ' | b'\t' | b':' | b'/' | b'"' | b'\'')
        {
            if let Some(t) = echo_type(data, occ, tok) {
                return Some(t);
            }
        }
    }
    None
}

/// Python `_MEMBER_SUFFIX.search`: where a `-[0-9]{1,4}` suffix starts (`orders-rg-002`).
fn member_suffix(tok: &[u8]) -> Option<usize> {
    let d = tok.iter().rev().take_while(|&&c| is_digit(c)).count();
    ((1..=4).contains(&d) && tok.len() > d && tok[tok.len() - d - 1] == b'-')
        .then(|| tok.len() - d - 1)
}

fn check_echo(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let (a, b) = echo_field(data, s)?;
    let tok = &data[a..b];
    let uuid = is_uuid_token(tok);
    if tok.len() < 3
        || lower_in(&STOP, tok)
        || echo_skip(tok)
        || defers(tok)
        || (id_like(tok) && !uuid)
        || (b < data.len() && !b"\t\r\n\\".contains(&data[b]))
    {
        return None;
    }
    let tab_left = data[s] == b'\t' || (data[s] == b'\\' && data.get(s + 1) == Some(&b't'));
    let tab_right = data.get(b) == Some(&b'\t') || data[b..].starts_with(b"\\t");
    if uuid && !(tab_left || tab_right) {
        // a line holding only this value (left and right are line breaks) is the text output
        // of a single value; a lone UUID there is a request or change id more often than a name
        return None;
    }
    if tab_left && tab_right && instances_key_cell(data, a, b) {
        return Some((v_name(data, &Value::bare(a, b), RES)?, b));
    }
    if let Some(found) = command_column(data, a, b) {
        return found.map(|fs| (fs, b));
    }
    if data[s] == b'"' {
        return None; // a quoted string's first word: only a command's column names it
    }
    let lo = a.saturating_sub(ECHO_BACK);
    let mut rtype = named_before(data, tok, lo, a);
    if rtype.is_none() && !uuid {
        if let Some(m) = member_suffix(tok).filter(|&m| m >= 3) {
            rtype = named_before(data, &tok[..m], lo, a);
        }
    }
    // a Cognito pool id keeps its region here too, as where it was named
    let a = a + region_prefix_len(tok);
    Some((vec![Finding::new(a, b, rtype?, Shape::Classwise)], b))
}

/// The candidates of `names.echo` (its pattern): a token of [`NAME_CHAR`] that starts with a
/// letter or digit, after a tab, a line break or a quote (raw, or a JSON-escaped `\t` or
/// `\n`), up to the tab or line break (raw or escaped) that ends it; after a line break or a
/// quote, the end of the data ends it too. In the scanner's automaton the token's loop ran from
/// every quote of a JSON body beside every other pattern (~5 ms of a fresh engine's first 1 MB);
/// here the tokens are read back from the tabs and line breaks `memchr` finds (~0.2 ms a
/// 1 MB body: there are fewer of them than quotes).
fn trigger_echo(data: &[u8], out: &mut Vec<(usize, usize)>) {
    // the token that ends at `j`, and the candidate at its start that ends at `end`
    let mut token_before = |j: usize, end: usize| {
        let mut r = j;
        while r > 0 && NAME_CHAR[data[r - 1] as usize] {
            r -= 1;
        }
        if r == 0 {
            return;
        }
        // the token starts at `r` after a raw tab, line break or quote, or at `r + 1` after an
        // escaped tab or line break (whose letter is a name byte)
        let (s, vs) = match data[r - 1] {
            b'\t' | b'\n' | b'"' => (r - 1, r),
            b'\\' if r + 1 < j && matches!(data[r], b't' | b'n') => (r - 1, r + 1),
            _ => return,
        };
        // the end of the data ends a token only after a line break or a quote
        let after_tab = matches!(data[vs - 1], b'\t' | b't');
        if vs < j && ALNUM[data[vs] as usize] && !(after_tab && j == data.len()) {
            out.push((s, end));
        }
    };
    for j in memchr::memchr3_iter(b'\t', b'\r', b'\n', data) {
        token_before(j, j + 1);
    }
    let escaped = |e: &'static [u8]| memmem::find_iter(data, e);
    for j in escaped(b"\\t").chain(escaped(b"\\n")).chain(escaped(b"\\r")) {
        token_before(j, j + 2);
    }
    token_before(data.len(), data.len());
    out.sort_unstable();
}

/// The AWS CLI command whose `--output text` the cell at `a` is part of: the last line before
/// `a` (at most [`ECHO_BACK`] bytes back) that runs `aws`, up to its end.
fn command_before(data: &[u8], a: usize) -> Option<&[u8]> {
    let lo = a.saturating_sub(ECHO_BACK);
    let at = memmem::rfind_iter(&data[lo..a], b"aws ")
        .map(|i| lo + i)
        .find(|&i| i == lo || runs_aws_cli(&data[i - 1..i + 4]))?;
    let mut end = at;
    while end < a && !matches!(data[end], b'\n' | b'\r' | b'"') {
        if data[end] == b'\\' && end + 1 < a && matches!(data[end + 1], b'n' | b'r' | b'"') {
            break;
        }
        end += 1;
    }
    Some(&data[at..end])
}

/// The last field a `--query` expression selects when it selects one (`KeyPairs[].KeyName`,
/// `Functions[*].FunctionName`); `None` for a multi-select (`[].[Id, Name]`) or a projection
/// into an object.
fn query_field(cmd: &[u8]) -> Option<&[u8]> {
    let at = memmem::find(cmd, b"--query")? + b"--query".len();
    let rest = &cmd[at..];
    let rest = rest.strip_prefix(b"=").unwrap_or(rest.trim_ascii_start());
    let rest = rest.strip_prefix(b"\\").unwrap_or(rest);
    let (expr, _) = match rest.first() {
        Some(&q @ (b'\'' | b'"')) => {
            let body = &rest[1..];
            let end = body.iter().position(|&c| c == q || c == b'\\').unwrap_or(body.len());
            (&body[..end], q)
        }
        _ => {
            let end = rest.iter().position(|&c| is_space(c)).unwrap_or(rest.len());
            (&rest[..end], b' ')
        }
    };
    if expr.iter().any(|&c| matches!(c, b',' | b'{' | b'|')) {
        return None;
    }
    let expr = expr.trim_ascii_end();
    let expr = expr.strip_suffix(b"[]").unwrap_or(expr);
    let n = expr.iter().rev().take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_').count();
    (n > 0).then(|| &expr[expr.len() - n..])
}

/// The shape of an API Gateway API key value: 30 to 128 letters and digits, with upper- and
/// lower-case letters and digits.
fn api_key_shaped(tok: &[u8]) -> bool {
    (30..=128).contains(&tok.len())
        && is_alnum(tok)
        && tok.iter().any(u8::is_ascii_uppercase)
        && tok.iter().any(u8::is_ascii_lowercase)
        && tok.iter().any(u8::is_ascii_digit)
}

/// A cell `a..b` of `--output text` whose column the command that printed it names:
/// `apigateway get-api-keys --include-values` prints API key values, and a `--query` that
/// selects one name field (`'KeyPairs[].KeyName'`, `'Roles[].RoleName'`) prints that field's
/// values. `Some(findings)` decides the cell (possibly nothing to mask), `None` leaves it to
/// the echo rule.
fn command_column(data: &[u8], a: usize, b: usize) -> Option<Option<Vec<Finding>>> {
    let cmd = command_before(data, a)?;
    if memmem::find(cmd, b"--output text").is_none() && memmem::find(cmd, b"--output=text").is_none() {
        return None;
    }
    let tok = &data[a..b];
    if memmem::find(cmd, b"apigateway").is_some()
        && memmem::find(cmd, b"get-api-key").is_some()
        && memmem::find(cmd, b"--include-value").is_some()
        && api_key_shaped(tok)
    {
        return Some(Some(vec![Finding::new(a, b, "generic_api_key", Shape::Classwise)]));
    }
    let field = query_field(cmd)?;
    let key = norm_key(field);
    let rtype = TABLE
        .get(&key)
        .map(|f| f.rtype)
        .or_else(|| bucket_field(aws::field_table(), field))?;
    Some(v_name(data, &Value::bare(a, b), rtype))
}

/// `apigateway get-api-key(s) --include-value(s) --output table`: the `value` row of a key's
/// table holds the API key (`||  value  |  <key>  ||`; the row starts at its first `|`, so
/// that the rule of a key/value table does not read it as a header).
fn check_api_key_table_row(data: &[u8], s: usize, e: usize) -> CheckResult {
    let cmd = command_before(data, s)?;
    if memmem::find(cmd, b"--output table").is_none()
        || memmem::find(cmd, b"apigateway").is_none()
        || memmem::find(cmd, b"get-api-key").is_none()
        || memmem::find(cmd, b"--include-value").is_none()
    {
        return None;
    }
    let lim = data.len().min(e + 160);
    let b = e + data[e..lim].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    if !api_key_shaped(&data[e..b]) || !matches!(data.get(b), Some(b' ' | b'|')) {
        return None;
    }
    Some((vec![Finding::new(e, b, "generic_api_key", Shape::Classwise)], b))
}

/// An EC2 instance type: a family with a digit, a dot, a size (`t3.medium`, `c6gn.16xlarge`).
fn instance_type(tok: &[u8]) -> bool {
    let Some(dot) = tok.iter().position(|&c| c == b'.') else {
        return false;
    };
    let (family, size) = (&tok[..dot], &tok[dot + 1..]);
    let low = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    family.first().is_some_and(u8::is_ascii_lowercase)
        && family.iter().all(low)
        && family.iter().any(u8::is_ascii_digit)
        && size.last().is_some_and(u8::is_ascii_lowercase)
        && size.iter().all(low)
}

/// An ISO 8601 date and time at the start of `tok` (`2024-01-15T10:30:00`).
fn iso_time(tok: &[u8]) -> bool {
    let shape = b"dddd-dd-ddTdd:dd";
    tok.len() >= shape.len()
        && shape.iter().zip(tok).all(|(&p, &c)| {
            if p == b'd' {
                c.is_ascii_digit()
            } else {
                p == c
            }
        })
}

/// The length of the cell separator (a tab or a `\t` escape) ending at `i`, 0 if none.
fn tab_before(data: &[u8], i: usize) -> usize {
    if i >= 1 && data[i - 1] == b'\t' {
        1
    } else if i >= 2 && &data[i - 2..i] == b"\\t" && escape_ends_at(data, i - 1) {
        2
    } else {
        0
    }
}

/// `ec2 describe-instances --output text`: the `INSTANCES` row holds the instance's scalar
/// fields in the order of their keys, so the cell `a..b` between the instance type
/// (`InstanceType`) and the launch time (`LaunchTime`) is the key pair's name (`KeyName`).
fn instances_key_cell(data: &[u8], a: usize, b: usize) -> bool {
    let sep = if data.get(b) == Some(&b'\t') { 1 } else { 2 };
    if !iso_time(&data[(b + sep).min(data.len())..]) {
        return false;
    }
    let left = a - tab_before(data, a);
    if left == a {
        return false;
    }
    // the cell before, back to its separator, must be the instance type
    let lo = left.saturating_sub(64);
    let Some(p) = (lo..left).rev().find(|&i| tab_before(data, i + 1) > 0) else {
        return false;
    };
    if !instance_type(&data[p + 1..left]) {
        return false;
    }
    // and the row is an INSTANCES row: its tag starts the line, at most 1 KiB to the left
    let lo = p.saturating_sub(1024);
    let Some(q) = memchr::memmem::rfind(&data[lo..=p], b"INSTANCES").map(|i| lo + i) else {
        return false;
    };
    let tag_end = q + b"INSTANCES".len();
    at_line_start(data, q)
        && (data.get(tag_end) == Some(&b'\t') || data[tag_end..].starts_with(b"\\t"))
        && memchr::memchr(b'\n', &data[q..p]).is_none()
        && memchr::memmem::find(&data[q..p], b"\\n").is_none()
}

// ---------------------------------------------------------------- a literal, then its kind

/// Documentation names a resource in a literal and then says what it is: 'the ``my-function``
/// function', 'restores the ``MusicCollection`` table'. The candidate is the closing '``' and
/// the kind word; the name lies to its left.
const KIND_AFTER: &[(&str, &str)] = &[
    ("function", RES),
    ("table", RES),
    ("stack", RES),
    ("queue", RES),
    ("topic", RES),
    ("repository", RES),
    ("vault", RES),
    ("layer", RES),
    ("stream", RES),
    ("environment", RES),
    ("application", RES),
    ("cluster", DB),
    ("database", DB),
    ("role", IAM),
    ("user", IAM),
    ("bucket", BUCKET),
];

/// Python `_LITERAL_NAME.search(data, s - 130, s)`: `` ``name`` `` ending at `s` (or at a line
/// break right before `s`): the name's span.
fn literal_before(data: &[u8], s: usize) -> Option<(usize, usize)> {
    let lo = s.saturating_sub(130);
    let ne = if s > 0 && data[s - 1] == b'\n' {
        s - 1
    } else {
        s
    };
    let r = count_back(data, ne, lo, 128, |c| {
        c.is_ascii_alphanumeric() || b"_.@-".contains(&c)
    });
    let a = ne - r;
    if !(2..=127).contains(&r)
        || a < lo + 2
        || &data[a - 2..a] != b"``"
        || !data[a].is_ascii_alphanumeric()
    {
        return None;
    }
    Some((a, ne))
}

fn check_literal_kind(data: &[u8], s: usize, e: usize) -> CheckResult {
    // s is at the closing '``'; e after the kind word
    let kind = data.get(s + 3..e)?;
    let rtype = KIND_AFTER
        .iter()
        .find(|(k, _)| k.as_bytes() == kind)
        .map(|(_, t)| *t)?;
    if e < data.len() && ALNUM[data[e] as usize] {
        return None;
    }
    let (a, b) = literal_before(data, s)?;
    let tok = &data[a..b];
    if lower_in(&ENGLISH, tok)
        || lower_in(&STOP, tok)
        || defers(tok)
        || id_like(tok)
        || tok.starts_with(b"-")
        || starts_with_lower(tok, &[b"aws_", b"aws-"])
    {
        return None;
    }
    // code and SQL are documented the same way ('the ``teardown`` function', 'the ``auth_user``
    // table', 'the ``HOME`` environment variable'): but for a bucket, the name must look like a
    // resource's ('orders-sync', 'LedgerEntries', 'etl2')
    if kind != b"bucket"
        && !(tok.contains(&b'-')
            || pascal(tok)
            || (is_alnum(tok) && tok.iter().any(|&c| is_digit(c))))
    {
        return None;
    }
    if kind == b"environment" && data[e..].starts_with(b" variable") {
        return None;
    }
    Some((vec![Finding::new(a, b, rtype, Shape::Classwise)], e))
}

// ---------------------------------------------------------------- names inside composite ids

// CodeBuild build ids are '<project>:<build UUID>' ("id": "web-build:9b0ac37f-…", '--ids
// web-build:9b0a…'); both parts are the user's. The candidate is the ':' + UUID head; the
// project name lies to its left.

const BUILD_NAME_CHAR: ByteTable = {
    let mut t = table(b"_-");
    let mut i = 0;
    while i < 256 {
        if ALNUM[i] {
            t[i] = true;
        }
        i += 1;
    }
    t
};
const BUILD_LEFT: ByteTable = table(b" \t\n\r\"'=,/;([");

fn check_build_id(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // :([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-zA-Z]{12})(?![A-Za-z0-9_-])
    let uuid = data.get(s + 1..s + 37)?;
    if data[s] != b':'
        || !is_uuid_token(uuid)
        || data
            .get(s + 37)
            .is_some_and(|&c| BUILD_NAME_CHAR[c as usize])
    {
        return None;
    }
    let lo = s.saturating_sub(128);
    let mut a = s;
    while a > lo && BUILD_NAME_CHAR[data[a - 1] as usize] {
        a -= 1;
    }
    if a == s || (a > 0 && !BUILD_LEFT[data[a - 1] as usize] && !escape_ends_at(data, a - 1)) {
        return None;
    }
    let name = &data[a..s];
    if name.len() < 3
        || name.iter().all(|&c| c.is_ascii_hexdigit() || c == b'-') // '<request UUID>:<command UUID>'
        || !name.iter().any(|c| c.is_ascii_alphabetic())
        || lower_in(&BUILD_NAME_SKIP, name)
        || lower_in(&STOP, name)
    {
        return None;
    }
    Some((
        vec![
            Finding::new(a, s, RES, Shape::Classwise),
            Finding::new(s + 1, s + 37, RES, Shape::Classwise),
        ],
        s + 37,
    ))
}

// ---------------------------------------------------------------- the recognizers

/// The field-key alternation: every key in each accepted spelling, longest first.
fn keys_pattern() -> String {
    let mut keys: Vec<String> = key_groups()
        .iter()
        .flat_map(|(keys, _)| keys.iter())
        .chain(LOG_GROUP_KEYS)
        .map(|k| key_variants(k.trim_end_matches('_')))
        .collect();
    keys.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    keys.dedup();
    format!("(?:{}){}", keys.join("|"), KEY_ANCHOR)
}

fn flags_pattern() -> String {
    let mut flags: Vec<String> = FLAGS.keys().map(|k| regex::escape(k)).collect();
    flags.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    format!("--(?:{})[ \\t=]", flags.join("|"))
}

/// Where a phrase may name a value: strong phrases take any next word, weak ones only a word
/// with a dash or a digit. The check tests this whole rule (anchored); the scanner's candidate
/// ([`prose_pattern`]) is a phrase and a space only, since a loop over the next word there
/// multiplies the lazy DFA's states with every other pattern's (~3 ms of a fresh engine's
/// first 1 MB body).
fn prose_rule() -> String {
    let strong: Vec<&str> = STRONG.iter().map(|(p, _)| *p).collect();
    let weak: Vec<&str> = WEAK.iter().map(|(p, _)| *p).collect();
    format!(
        "(?i:{}) |(?i:{}) [A-Za-z0-9_.]*[-0-9]",
        phrase_alternation(&strong),
        phrase_alternation(&weak)
    )
}

static PROSE_RULE: LazyLock<Regex> = LazyLock::new(|| {
    RegexBuilder::new(&format!("^(?:{})", prose_rule()))
        .unicode(false)
        .build()
        .expect("prose rule")
});

fn prose_pattern() -> String {
    let all: Vec<&str> = STRONG.iter().chain(WEAK).map(|(p, _)| *p).collect();
    format!("(?i:{}) ", phrase_alternation(&all))
}

pub fn recognizers() -> Vec<Recognizer> {
    let name_types = [DB, IAM, RES, aws::HOSTNAME];
    let kinds: Vec<&str> = {
        let mut k: Vec<&str> = KIND_AFTER.iter().map(|(k, _)| *k).collect();
        k.sort();
        k
    };
    let mut all = vec![
        Recognizer::with_check(
            "names.fields",
            keys_pattern(),
            field_check(TABLE.clone(), false, false, WORD),
            &name_types,
        ),
        Recognizer::with_check(
            "names.flags",
            flags_pattern(),
            field_check(flag_table(), true, false, WORD),
            &name_types,
        ),
        Recognizer::new(
            "names.aws_name_flag",
            r"--name[ =]",
            check_aws_name_flag,
            &[RES],
        ),
        Recognizer::new(
            "names.echo",
            r#"(?:\t|\\t)[A-Za-z0-9][A-Za-z0-9_.@+=,-]*(?:\t|\r|\n|\\[tnr])|(?:\n|\\n|")[A-Za-z0-9][A-Za-z0-9_.@+=,-]*(?:\r|\n|\\[nr]|$)|(?:\n|\\n|")[A-Za-z0-9][A-Za-z0-9_.@+=,-]*(?:\t|\\t)"#,
            check_echo,
            &[DB, IAM, RES, BUCKET, "aws_kms_key_id", "aws_arn"],
        )
        .triggered(trigger_echo),
        Recognizer::new(
            "names.log_tail",
            format!(
                r"(?:{}) [A-Za-z0-9][A-Za-z0-9_.@+=:-]*(?:\r|\n|\\[nr]|$)",
                LOG_VERBS.join("|")
            ),
            check_log_tail,
            &[RES],
        )
        .phrase(),
        Recognizer::new(
            "names.literal_kind",
            format!("`` (?:{})", kinds.join("|")),
            check_literal_kind,
            &[RES, DB, IAM, BUCKET],
        )
        .phrase(),
        Recognizer::new(
            "names.build_id",
            r":[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-",
            check_build_id,
            &[RES],
        ),
        Recognizer::new(
            "names.tag_name",
            format!(r"{Q}Key{Q}[ \t]{{0,16}}:[ \t]{{0,16}}{Q}Name{Q}"),
            check_tag_name,
            &[RES],
        ),
        Recognizer::new(
            "names.yaml_tag_name",
            r#"Key: {1,8}["']?Name["']?[ ]*(?:\r|\n|\\[rn]|$)"#,
            check_yaml_tag_name,
            &[RES],
        ),
        Recognizer::new(
            "names.json_tag_name",
            format!(r"{Q}Name{Q}[ \t]{{0,16}}:"),
            check_json_tag_name,
            &[RES],
        ),
        Recognizer::new(
            "names.hcl_tag_name",
            r#"(?:"Name"|\\"Name\\"|Name)[ ]{1,64}= "#,
            check_hcl_tag_name,
            &[RES],
        ),
        Recognizer::new(
            "names.tag_pair",
            format!(r"{Q}Key{Q}[ \t]{{0,16}}:[ \t]{{0,16}}{Q}{}{Q}", tag_keys_pattern()),
            check_tag_pair,
            &[OWNER, RES],
        ),
        Recognizer::new(
            "names.tag_map",
            format!(r"{Q}{}{Q}[ \t]{{0,16}}:", tag_keys_pattern()),
            check_tag_map,
            &[OWNER, RES],
        ),
        Recognizer::new(
            "names.hcl_tag",
            format!(r#"(?:"|\\")?{}(?:"|\\")?[ ]{{1,64}}="#, tag_keys_pattern()),
            check_hcl_tag,
            &[OWNER, RES],
        ),
        Recognizer::new(
            "names.yaml_tag",
            format!(r#"Key: {{1,8}}["']?{}["']?[ ]*(?:\r|\n|\\[rn]|$)"#, tag_keys_pattern()),
            check_yaml_tag,
            &[OWNER, RES],
        ),
        Recognizer::new(
            "names.tag_text_row",
            format!(r"TAGS(?:\t|\\t){}(?:\t|\\t)", tag_keys_pattern()),
            check_tag_text_row,
            &[OWNER, RES],
        ),
        Recognizer::new(
            "names.api_key_table_row",
            r"\|\|[ ]{1,8}value[ ]{1,64}\|[ ]{1,8}",
            check_api_key_table_row,
            &["generic_api_key"],
        ),
        Recognizer::new(
            "names.logs_tail",
            r"logs[ \t]+tail",
            check_logs_tail,
            &[RES],
        ),
        Recognizer::new(
            "names.log_group",
            AWS_LOG_GROUP,
            check_log_group,
            &[RES, DB],
        ),
        Recognizer::new(
            "names.trail_username",
            format!(r"{Q}Username{Q}[ \t]{{0,16}}:"),
            check_trail_username,
            &[IAM],
        ),
        Recognizer::new(
            "names.text_row",
            r"TAGS(?:\t|\\t)Name(?:\t|\\t)|BUCKETS(?:\t|\\t)[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.+Z-]{8,30}(?:\t|\\t)",
            check_text_row,
            &[RES, BUCKET],
        ),
        Recognizer::new(
            "names.code_location",
            r"/snapshots/[0-9]{12}/[A-Za-z0-9_]",
            check_code_location,
            &["aws_account_id", RES],
        ),
        Recognizer::new(
            "names.table_header",
            r"\|{1,3} {0,80}[A-Za-z][A-Za-z0-9]{1,80} {0,80}\| {0,80}[A-Za-z][A-Za-z0-9]{1,80} {0,80}\|",
            check_table_header,
            &[
                DB,
                IAM,
                RES,
                BUCKET,
                "aws_account_id",
                "aws_kms_key_id",
                "aws_route53_zone_id",
            ],
        ),
        query_columns::recognizer(),
    ];
    all.extend(name_value::recognizers());
    all.extend(domains::recognizers());
    all.extend(inventories::recognizers());
    all.extend(served::recognizers());
    all.extend(profiles::recognizers());
    all.extend(parameters::recognizers());
    all.extend([
        Recognizer::new(
            "names.bucket_entry",
            format!(r"{Q}Name{Q}[ \t]{{0,16}}:[ \t]{{0,16}}{Q}[A-Za-z0-9]"),
            check_bucket_entry,
            &[BUCKET, RES],
        ),
        Recognizer::new(
            "names.serverless_service",
            r"service:[ \t]+[A-Za-z]",
            check_serverless_service,
            &[RES],
        ),
        Recognizer::new(
            "names.yaml_bucket_entry",
            r#"Name: {1,8}["']?[a-z0-9]|CreationDate: "#,
            check_yaml_bucket_entry,
            &[BUCKET],
        ),
        Recognizer::new(
            "names.s3_ls",
            r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [a-z0-9][a-z0-9.-]{2,62}(?:\r|\n|\\[nr]|$)",
            check_s3_ls,
            &[BUCKET],
        ),
        Recognizer::new(
            "names.prose",
            prose_pattern(),
            check_prose,
            &[DB, IAM, RES, BUCKET],
        )
        .phrase(),
    ]);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::found_by_names as found;
    use crate::testutil::fresh_name as fresh;

    /// A fresh UUID-shaped token.
    fn fresh_uuid(seed: u64) -> String {
        let hex: String = (0..32)
            .map(|i| format!("{:x}", (seed.wrapping_mul(31).wrapping_add(i * 7)) % 16))
            .collect();
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    #[test]
    fn catalog_rows() {
        let names: Vec<&str> = TYPES.iter().map(|t| t.name).collect();
        assert_eq!(names, [DB, IAM, RES, profiles::PROFILE, OWNER]);
        let recs: Vec<String> = recognizers().into_iter().map(|r| r.name).collect();
        assert_eq!(
            recs,
            [
                "names.fields",
                "names.flags",
                "names.aws_name_flag",
                "names.echo",
                "names.log_tail",
                "names.literal_kind",
                "names.build_id",
                "names.tag_name",
                "names.yaml_tag_name",
                "names.json_tag_name",
                "names.hcl_tag_name",
                "names.tag_pair",
                "names.tag_map",
                "names.hcl_tag",
                "names.yaml_tag",
                "names.tag_text_row",
                "names.api_key_table_row",
                "names.logs_tail",
                "names.log_group",
                "names.trail_username",
                "names.text_row",
                "names.code_location",
                "names.table_header",
                "names.query_columns",
                "names.json_pair",
                "names.yaml_pair",
                "names.pair_shorthand",
                "names.env_kind",
                "names.dimension_row",
                "domains.fields",
                "domains.private_host",
                "domains.host_fields",
                "domains.ssh_config",
                "domains.aliases",
                "inventories.ansible_ini",
                "inventories.ansible_yaml",
                "inventories.graph",
                "inventories.hosts_file",
                "served.server_names",
                "served.route53",
                "served.ingress_table",
                "profiles.flag",
                "profiles.keys",
                "profiles.section",
                "parameters.flags",
                "parameters.json",
                "parameters.reference",
                "parameters.cfn_type",
                "parameters.terraform",
                "parameters.value_from",
                "names.bucket_entry",
                "names.serverless_service",
                "names.yaml_bucket_entry",
                "names.s3_ls",
                "names.prose"
            ]
        );
    }

    #[test]
    fn fields() {
        let v = fresh(1);
        for (key, t) in [
            ("DBInstanceIdentifier", DB),
            ("RoleName", IAM),
            ("FunctionName", RES),
            ("CacheClusterId", DB),
        ] {
            assert_eq!(found(&format!(r#""{key}": "{v}""#)), [(t, v.clone())]);
            assert_eq!(found(&format!("{key}: {v}\n")), [(t, v.clone())]);
            assert_eq!(found(&format!(r#"\"{key}\": \"{v}\""#)), [(t, v.clone())]);
            assert_eq!(
                found(&format!(r#"\\\"{key}\\\": \\\"{v}\\\""#)),
                [(t, v.clone())]
            );
        }
        assert_eq!(
            found(&format!(r#"function_name = "{v}""#)),
            [(RES, v.clone())]
        );
        let (a, b) = (fresh(2), fresh(3));
        assert_eq!(
            found(&format!(r#""MemberClusters": ["{a}", "{b}"]"#)),
            [(DB, a), (DB, b)]
        );
    }

    #[test]
    fn field_near_misses() {
        for text in [
            r#""RoleName": "default""#,
            r#""UserName": "username""#,
            r#"username: "someone""#,
            r#""RoleName": "${ROLE}""#,
            "rolename = x",
            "function_name=os.environ.get('FN')",
            r#""EndpointIdentifier": "src-endpoint-3""#,
            r#""FunctionName": "arn:aws:lambda:us-east-1:000011112222:function:f""#,
        ] {
            assert!(
                found(text)
                    .iter()
                    .all(|(t, _)| *t == "aws_s3_bucket" || *t != IAM && *t != DB),
                "{text}"
            );
            assert!(
                !found(text)
                    .iter()
                    .any(|(t, _)| *t == IAM || (*t == RES && !text.contains("arn:"))),
                "{text}"
            );
        }
    }

    #[test]
    fn flags() {
        let v = fresh(4);
        for (flag, t) in [
            ("--db-instance-identifier", DB),
            ("--role-name", IAM),
            ("--function-name", RES),
            ("--source-table-name", RES),
            ("--target-db-snapshot-identifier", DB),
            ("--key-names", RES),
        ] {
            assert_eq!(
                found(&format!("aws x {flag} {v} --region us-east-1")),
                [(t, v.clone())]
            );
            assert_eq!(found(&format!("aws x {flag}={v}")), [(t, v.clone())]);
        }
        assert_eq!(
            found(&format!("--cache-cluster-id '{v}  ' --x")),
            [(DB, v.clone())]
        );
        assert_eq!(found("aws x --role-name default"), []);
        assert_eq!(found(&format!("aws x --role-named {v}")), []);
    }

    #[test]
    fn echoes() {
        let v = fresh(5);
        let text = format!("$ aws elasticache x --cache-cluster-id {v} --y\nSNAPSHOT\tTrue\t2024-01-02T03:04:05Z\t{v}\tz\n");
        assert_eq!(found(&text), [(DB, v.clone()), (DB, v.clone())]);
        let text = format!("$ aws elb x --load-balancer-name {v}\n{v}\n");
        assert_eq!(found(&text), [(RES, v.clone()), (RES, v.clone())]);
        let text = format!("--replication-group-id {v} --x\nMEMBERS\t{v}-001\t{v}-002\n");
        assert_eq!(
            found(&text),
            [
                (DB, v.clone()),
                (DB, format!("{v}-001")),
                (DB, format!("{v}-002"))
            ]
        );
        // named by an escaped JSON key
        let text = format!(r#"{{\"RoleName\": \"{v}\"}}\nROLE\t{v}\tx"#);
        assert_eq!(found(&text), [(IAM, v.clone()), (IAM, v.clone())]);
        // named by an ARN
        let text = format!("ROLE\tarn:aws:iam::000011112222:role/{v}\t{v}\tx\n");
        // (the ARN itself is the AWS rules' part)
        assert_eq!(found(&text), [(IAM, v.clone())]);
    }

    #[test]
    fn echo_near_misses() {
        let v = fresh(6);
        assert_eq!(found(&format!("STATUS\tavailable\t{v}\tTrue\n")), []);
        assert_eq!(found(&format!("$ aws x\n{v}\n")), []); // named nowhere before
        assert_eq!(found(&format!("--name {v}\nX\t{v}\tz\n")), []); // not a name flag
        let u = fresh_uuid(7);
        // a lone UUID on a line is not an echo (the flag's own value is found)
        assert_eq!(
            found(&format!("--role-name {u}\n{u}\n")),
            [(IAM, u.clone())]
        );
        // an id carried in an id-ARN is not echoed as a name
        let text =
            "H\tarn:aws:organizations::000011112222:handshake/o-qq1w2e3r4t\tx\to-qq1w2e3r4t\n";
        assert_eq!(found(text), []);
    }

    #[test]
    fn namer_shapes() {
        let d = b"x --role-name  \"ab";
        assert_eq!(namer_before(d, d.len() - 2), Some(Namer::Flag(4, 13)));
        let d = b"RoleName\\\": \\\"ab";
        assert_eq!(namer_before(d, d.len() - 2), Some(Namer::Key(0, 8)));
        let d = b"y arn:aws:iam::1:role/ab";
        assert_eq!(namer_before(d, d.len() - 2), Some(Namer::Arn(2)));
        let d = b"RoleName:\nab";
        assert_eq!(namer_before(d, d.len() - 2), None);
        let d = b"x ---a ab";
        assert_eq!(namer_before(d, d.len() - 2), Some(Namer::Flag(4, 6)));
        let d = b"x -a ab";
        assert_eq!(namer_before(d, d.len() - 2), None);
    }

    #[test]
    fn log_tails() {
        let log = "2031-07-09T08:09:10.111Z INFO  [job] ";
        let v = fresh(8);
        for verb in ["processing", "cached", "syncing"] {
            assert_eq!(found(&format!("{log}{verb} {v}\n")), [(RES, v.clone())]);
            assert_eq!(
                found(&format!(r#""x\n{log}{verb} Quillon\n""#)),
                [(RES, "Quillon".to_string())]
            );
        }
        assert_eq!(
            found(&format!("{log}connecting to database qorv\n")),
            [(DB, "qorv".to_string())]
        );
    }

    #[test]
    fn log_tail_near_misses() {
        let log = "2031-07-09T08:09:10.111Z INFO  [job] ";
        for text in [
            format!("{log}processing complete\n"),
            format!("{log}cached 1532\n"),
            format!("{log}processing Quillon and more\n"),
            "processing Quillon\n".to_string(),
            "Returns the cached value\n".to_string(),
            format!("{log}processing v1.2.3\n"),
            format!("{log}deleting aws_thing\n"),
        ] {
            assert_eq!(found(&text), [], "{text}");
        }
    }

    #[test]
    fn literal_kinds() {
        let v = fresh(9);
        assert_eq!(
            found(&format!("version of the ``{v}`` function. ::")),
            [(RES, v.clone())]
        );
        assert_eq!(
            found("restores the ``QuillEntries`` table to"),
            [(RES, "QuillEntries".to_string())]
        );
        assert_eq!(found(&format!("the ``{v}`` bucket")), [(BUCKET, v.clone())]);
        assert_eq!(found(&format!("the ``{v}`` role")), [(IAM, v.clone())]);
    }

    #[test]
    fn literal_kind_near_misses() {
        for text in [
            "the ``teardown`` function of the fixture",
            "the ``formToJSON`` function",
            "the ``QUILL_CACHE_SIZE`` environment variable",
            "the ``quill-env`` environment variable",
            "the ``--key-id`` parameter",
            "the ``default`` user",
            "the ``a b`` table",
            "the ``auth_user`` table",
            "the ``users`` table",
            "the ``quill-db`` tables",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn build_ids() {
        let u = fresh_uuid(10);
        let v = fresh(11);
        assert_eq!(
            found(&format!(r#""id": "{v}:{u}""#)),
            [(RES, v.clone()), (RES, u.clone())]
        );
        assert_eq!(
            found(&format!("aws codebuild batch-get-builds --ids {v}:{u}\n")),
            [(RES, v.clone()), (RES, u.clone())]
        );
    }

    #[test]
    fn build_id_near_misses() {
        let u = fresh_uuid(12);
        let w = fresh_uuid(13);
        for text in [
            format!("urn:uuid:{u}"),
            format!(r#""Comment": "{w}:{u}""#),
            format!("time 12:{u}"),
            format!("a.{}:{u}", fresh(14)),
            format!("{}:{u}x", fresh(15)),
        ] {
            assert_eq!(found(&text), [], "{text}");
        }
    }

    #[test]
    fn prose() {
        let v = fresh(16);
        assert_eq!(
            found(&format!("uploading backup to bucket {v}")),
            [(BUCKET, v.clone())]
        );
        assert_eq!(
            found("RDS instance quillstore CPU at 91%"),
            [(DB, "quillstore".to_string())]
        );
        // after a phrase of two words any plain lower-case word is a name; after one word,
        // one that does not end like an English word
        assert_eq!(
            found("RDS instance quillmigrations is up"),
            [(DB, "quillmigrations".to_string())]
        );
        assert_eq!(
            found("restore the database quillstore tonight"),
            [(DB, "quillstore".to_string())]
        );
        assert_eq!(found(&format!("diff detected on {v}")), [(RES, v.clone())]);
        assert_eq!(
            found(&format!("failover initiated for {v}")),
            [(DB, v.clone())]
        );
        assert_eq!(
            found("the IAM user named ``Quillon``."),
            [(IAM, "Quillon".to_string())]
        );
        assert_eq!(
            found(&format!("(service {v}) was unable to place a task")),
            [(RES, v.clone())]
        );
        assert_eq!(
            found(&format!("the cluster snapshot {v} is ready")),
            [(DB, v.clone())]
        );
    }

    #[test]
    fn generic_name_fields() {
        let v = format!("{}-web-{}", fresh(6), fresh(3));
        // the Name tag, in JSON at two escaping depths, in --tags and in --output text
        assert_eq!(
            found(&format!(
                "\"Tags\": [{{\"Key\": \"Name\", \"Value\": \"{v}\"}}]"
            )),
            [(RES, v.clone())]
        );
        assert_eq!(
            found(&format!(
                "{{\\\"Key\\\": \\\"Name\\\",\\n    \\\"Value\\\": \\\"{v}\\\"}}"
            )),
            [(RES, v.clone())]
        );
        assert_eq!(found(&format!("TAGS\tName\t{v}\n")), [(RES, v.clone())]);
        assert_eq!(
            found(&format!("x\\nTAGS\\tName\\t{v}\\n")),
            [(RES, v.clone())]
        );
        // s3api list-buckets, JSON and text, and s3 ls
        let b = format!("{}-assets-{}", fresh(5), fresh(4)).to_lowercase();
        assert_eq!(
            found(&format!(
                "{{\"Buckets\": [{{\"Name\": \"{b}\",\n  \"CreationDate\": \"2024-05-01T10:00:00+00:00\"}}]}}"
            )),
            [(BUCKET, b.clone())]
        );
        assert_eq!(
            found(&format!("BUCKETS\t2024-05-01T10:00:00+00:00\t{b}\n")),
            [(BUCKET, b.clone())]
        );
        assert_eq!(
            found(&format!(
                "2024-05-01 10:00:00 {b}\n2024-05-02 11:00:00 {b}2\n"
            )),
            [(BUCKET, b.clone()), (BUCKET, format!("{b}2"))]
        );
        assert_eq!(
            found(&format!("$ aws s3 ls\\n2024-05-01 10:00:00 {b}\\n")),
            [(BUCKET, b.clone())]
        );
    }

    #[test]
    fn generic_name_near_misses() {
        for text in [
            // other tag keys, other siblings, a Name with no creation date after it
            "{\"Key\": \"env\", \"Value\": \"quill-prod-7\"}",
            "{\"Key\": \"Name\", \"Other\": \"quill-prod-7\"}",
            "{\"Name\": \"quill-prod-7\", \"Type\": \"A\"}",
            "TAGS\tenv\tquill-prod-7\n",
            "xTAGS\tName\tquill-prod-7\n",
            // object listings have a size column; log lines end with a word
            "2024-05-01 10:00:00       1234 quill-prod-7.txt\n",
            "2024-05-01 10:00:00 started\n",
            "at 2024-05-01 10:00:00 quill-prod-7\n",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn prose_near_misses() {
        for text in [
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
            "To describe the attributes of a DB cluster snapshot attribute",
            "Update ECS cluster enabling containerInsights",
            "Configure Lambda function memory",
            "connecting to database qorv\n",
            // an English word after a one-word resource noun names nothing
            "Run the database migrations",
            "check the database connection first",
            "the bucket ownership controls",
            "a bucket listing of the prefix",
        ] {
            assert_eq!(found(text), [], "{text}");
        }
    }

    #[test]
    fn token_shapes() {
        assert!(shaped(b"ab-cd") && shaped(b"etl2") && shaped(b"QuillEntries"));
        assert!(!shaped(b"ab--cd") && !shaped(b"-ab") && !shaped(b"quill") && !shaped(b"Quill"));
        assert!(
            version_or_number(b"v1.2.3")
                && version_or_number(b"12:30pm")
                && !version_or_number(b"v1.x")
        );
        assert!(id_like(b"vol-0abc1234") && id_like(b"1.2") && id_like(b"123") && !id_like(b"v1"));
        assert!(
            arn_id_part(b"o-abcd12345")
                && arn_id_part(b"sgw-12AB34CD")
                && !arn_id_part(b"my-function")
        );
        assert!(
            echo_skip(b"2024-01-02T03")
                && echo_skip(b"ACTIVE")
                && echo_skip(b"Running")
                && !echo_skip(b"ab-1")
        );
        assert_eq!(member_suffix(b"quill-rg-002"), Some(8));
        assert_eq!(member_suffix(b"quill-rg-00002"), None);
    }
}
