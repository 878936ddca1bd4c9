//! The rule table: one row per catalog type, with the context it is found by and examples.
//!
//! Each row names a type of [`super::catalog`], the kinds of context that identify its values
//! ([`ContextKind`]), positive examples (realistic lines of agent traffic with each value to mask
//! marked `«…»`) and negative examples (near misses that must not produce the type). One generic
//! test runs every row through the real [`Scanner`] with [`super::builtin`] and the user rules of
//! [`USER_TERMS`], so a new type without a row, a missed positive or a hitting negative fails.
//!
//! Example text is the bytes as they reach the scanner: `\n`, `\t` and `\"` in a raw string are
//! JSON escapes of tool output inside a request body, as agents send it. Values are made up.
//!
//! An example the recognizers get wrong today carries `gap: Some(why)`: the test skips it and
//! prints it, and says so once it passes, so that the mark can go.

/// What identifies a value of a type: the value itself or the text around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContextKind {
    /// The value identifies itself: a documented prefix, a checksum or a fixed layout
    /// (`ghp_…`, `vpc-0a1b2c3d`, a dotted quad, a place in an ARN or an AWS host name).
    Format,
    /// A key in JSON, YAML, INI, `.env` or code names the value (`"RoleName": "x"`, `X_SECRET=`).
    Field,
    /// A sibling key of the same object says what the value is
    /// (`"ParameterKey": "DbPassword", "ParameterValue": "x"`).
    SiblingKey,
    /// A command-line flag names the value (`--role-name x`, `-p'x'`).
    Flag,
    /// A column of AWS CLI text or table output, or the whole output of a command that prints
    /// one secret, named by the command that printed it.
    CliColumn,
    /// Words of prose or of a log line name the value (`IAM user Bob`, `connecting to database x`).
    Phrase,
    /// A term or a domain glob of the user's config.
    UserRule,
}

impl ContextKind {
    /// The name `maskproxy types` prints (snake case).
    pub fn name(self) -> &'static str {
        match self {
            ContextKind::Format => "format",
            ContextKind::Field => "field",
            ContextKind::SiblingKey => "sibling_key",
            ContextKind::Flag => "flag",
            ContextKind::CliColumn => "cli_column",
            ContextKind::Phrase => "phrase",
            ContextKind::UserRule => "user_rule",
        }
    }
}

/// One example line; `gap` says why the recognizers get it wrong today (the test skips it).
#[derive(Clone, Copy, Debug)]
pub struct Example {
    pub text: &'static str,
    pub gap: Option<&'static str>,
}

/// An example the recognizers handle.
const fn ok(text: &'static str) -> Example {
    Example { text, gap: None }
}

/// An example the recognizers get wrong today, and why.
const fn gap(text: &'static str, why: &'static str) -> Example {
    Example {
        text,
        gap: Some(why),
    }
}

/// One catalog type: what finds it and how it looks in traffic.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// The catalog name (`aws_vpc_id`).
    pub rtype: &'static str,
    /// The kinds of context its recognizers use, most common first.
    pub found_by: &'static [ContextKind],
    /// Lines with each value of this type marked `«…»`: the scan finds exactly these spans.
    pub positive: &'static [Example],
    /// Near misses: the scan finds no value of this type in them.
    pub negative: &'static [Example],
}

/// The user config the `user_*` rows are scanned with: two terms and one domain glob.
pub const USER_TERMS: &[&str] = &[
    "Brindlewood",
    "Project Larkspur",
    "*.int.brindlewood.example",
];

/// The row of `rtype`, if the table has one.
pub fn row(rtype: &str) -> Option<&'static Row> {
    ROWS.iter().find(|r| r.rtype == rtype)
}

/// The kinds of context that find `rtype` (empty for a type without a row, such as a user's
/// `user_regex:<name>`).
pub fn context_kinds(rtype: &str) -> &'static [ContextKind] {
    row(rtype).map_or(&[], |r| r.found_by)
}

use ContextKind::*;

/// Ordinary lines of agent traffic that hold nothing to mask: no type may fire on them
/// (versions, digests, timestamps, request ids, placeholders, AWS-owned names).
pub const ORDINARY: &[Example] = &[
    ok("commit 3f9a1c07e2b84d6f0a5c9e1b7d2f4a8c6e0b3d51 (HEAD -> main, origin/main)"),
    ok(
        r#""ImageDigest": "sha256:5e0c8a3f19d27b64ea01c9f38d7b2a6e4f1c0d9b8a7e6f5d4c3b2a1908f7e6d5","#,
    ),
    ok("2026-11-04T07:12:55.123Z INFO request completed in 38ms status=200"),
    ok(r#""RequestId": "7c1e9a42-5b3d-4f08-9e6a-2d4c8b0f1a37","#),
    ok("Successfully installed boto3-1.35.2 botocore-1.35.2 s3transfer-0.10.3"),
    ok(
        r#""EngineVersion": "15.4", "InstanceType": "m5.xlarge", "AvailabilityZone": "us-east-1a","#,
    ),
    ok(r#""NextToken": "eyJ2IjoxfQ==","#),
    ok(r#""PolicyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole""#),
    ok("export AWS_SECRET_ACCESS_KEY=<your-secret-access-key>"),
    ok("password: ********"),
    ok("api_key: ${API_KEY}"),
    ok("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1432"),
    ok("fatal: not a git repository (or any of the parent directories): .git"),
    ok(r#""State": {"Code": 16, "Name": "running"}, "Monitoring": {"State": "disabled"}"#),
    ok("error[E0308]: mismatched types --> src/main.rs:12:5"),
    ok(r#""ETag": "\"9b2cf535f27731c974343645a3985328\"","#),
    ok(r#""integrity": "sha512-Qm9vZ2xlLWJhbmFuYS1jaGVycnktZGF0ZS1lbGRlcmJlcnJ5LWZpZw8kRz1w==","#),
    ok("user-agent: aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22"),
    ok("    at com.example.billing.InvoiceJob.run(InvoiceJob.java:42)"),
    gap(
        "retrying with idempotency key 4f2b8e61-0c7d-4a93-b5e2-9d1f6a3c8e07",
        "`key` and a UUID read as a KMS key id whatever kind of key the words before name",
    ),
    ok(r#"+ instance_type = "t3.micro""#),
    ok("Merge: 3f9a1c0 8b2d4e1"),
    ok(r#""SnapshotCreateTime": "2026-10-30T04:00:00.512000+00:00","#),
    ok("docker pull public.ecr.aws/lambda/python:3.12"),
    ok(r#""KeyState": "Enabled", "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "AWS_KMS""#),
];

/// The table, in catalog order of families: network, user, names, AWS, secrets.
pub const ROWS: &[Row] = &[
    Row {
        rtype: "ipv4_public",
        found_by: &[Format],
        positive: &[
            ok(r#""PublicIpAddress": "«3.3.91.22»","#),
            ok("Connection to «203.0.113.35» port 22 timed out"),
        ],
        negative: &[
            gap(
                "pip 23.1.2.4 installed",
                "a four-part version reads as a dotted quad unless `version` precedes it",
            ),
            ok("dns resolver 8.8.8.8 replied"),
            ok(r#""Version": "1.2.840.113549""#),
        ],
    },
    Row {
        rtype: "ipv4_private",
        found_by: &[Format],
        positive: &[
            ok(r#""PrivateIpAddress": "«10.53.198.45»","#),
            ok(r#"INSTANCES\t«172.31.104.96»\trunning"#),
        ],
        negative: &[
            ok("listening on 127.0.0.1:8080"),
            ok("netmask 255.255.255.0 broadcast"),
            ok("metadata at 169.254.169.254 answered"),
        ],
    },
    Row {
        rtype: "cidr_block",
        found_by: &[Format],
        positive: &[
            ok(r#""CidrBlock": "«10.46.0.0»/16","#),
            ok("aws ec2 create-subnet --cidr-block «172.20.142.0»/24"),
        ],
        negative: &[
            ok(r#""CidrIp": "0.0.0.0/0""#),
            ok("release 4.2.0.1/2 notes"),
        ],
    },
    Row {
        rtype: "ipv6_address",
        found_by: &[Field, Format],
        positive: &[
            ok(r#""Ipv6Address": "«2600:1f18:4b2:6d00:f15:156:6f2:b0a»""#),
            ok("inet6 «fd12:2376:f49b::97d» prefixlen 64"),
        ],
        negative: &[
            ok("timestamp 12:30:45 UTC"),
            ok("digest sha256:9f2c:ab"),
            ok("inet6 ::1 prefixlen 128"),
        ],
    },
    Row {
        rtype: "ipv6_cidr_block",
        found_by: &[Field, Format],
        positive: &[
            ok(r#""Ipv6CidrBlock": "«2600:1f14:6f3:3e00::»/56""#),
        ],
        negative: &[
            ok(r#""Ipv6CidrBlock": "::/0""#),
            ok("ratio 12:34/56 done"),
        ],
    },
    Row {
        rtype: "user_term",
        found_by: &[UserRule],
        positive: &[
            ok("deploying «Brindlewood» billing service"),
            ok("owner: «brindlewood»-platform"),
            ok(r#""Description": "cost report for «project larkspur» (Q3)","#),
        ],
        negative: &[
            ok("Brindlewoods are trees"),
            ok("the brindle wood table"),
        ],
    },
    Row {
        rtype: "user_domain",
        found_by: &[UserRule],
        positive: &[
            ok("curl https://«api.int.brindlewood.example»/health"),
            ok("Host: «int.brindlewood.example»"),
        ],
        negative: &[
            ok("see https://brindlewood.example/docs"),
            gap(
                "mirror at int.brindlewood.example.org",
                "a domain glob matches the front of a longer host name under another suffix",
            ),
        ],
    },
    Row {
        rtype: "aws_db_identifier",
        found_by: &[Field, SiblingKey, Flag, CliColumn, Phrase],
        positive: &[
            // psql's listings of databases and roles (`\l`, `\du`), raw and in a tool result
            ok("                                  List of databases\n     Name      |   Owner    | Encoding |   Collate   |    Ctype    |   Access privileges\n---------------+------------+----------+-------------+-------------+-----------------------\n «ledger_core»   | «ledger_app» | UTF8     | en_US.UTF-8 | en_US.UTF-8 |\n postgres      | postgres   | UTF8     | en_US.UTF-8 | en_US.UTF-8 |\n template0     | postgres   | UTF8     | en_US.UTF-8 | en_US.UTF-8 | =c/postgres          +\n               |            |          |             |             | postgres=CTc/postgres\n «ledger_audit»  | «ledger_app» | UTF8     | en_US.UTF-8 | en_US.UTF-8 |\n(4 rows)\n"),
            ok(r#"{"content": "                                   List of roles\n Role name  |                         Attributes                         \n------------+------------------------------------------------------------\n «ledger_ro»  | \n «ledger_app» | Create DB\n postgres   | Superuser, Create role, Create DB, Replication, Bypass RLS\n"}"#),
            // a CloudWatch dimension names what its value is, in JSON and on the command line
            ok(r#"{"Namespace": "AWS/RDS", "MetricName": "CPUUtilization", "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "«ledger-primary-db»"}]}"#),
            // a connection string's user and database (its password is another rule's)
            ok("DATABASE_URL=postgresql://«ledger_app»:Xk4mP9qRt2v@«ledger-db».cluster-cx1.us-east-1.rds.amazonaws.com:5432/«ledger_prod»?sslmode=require\n"),
            ok(r#"{"MONGO_URI": "mongodb+srv://«svc-orders»@orders.ab1cd.mongodb.net/«orders»?retryWrites=true"}"#),
            ok("aws cloudwatch get-metric-statistics --namespace AWS/RDS --dimensions Name=DBInstanceIdentifier,Value=«orders-pg-3» --period 300"),
            ok("$ aws cloudwatch describe-alarms --output text\nMETRICALARMS\tarn:aws:cloudwatch:us-east-1:604218873315:alarm:cpu\tcpu\nDIMENSIONS\tDBInstanceIdentifier\t«orders-pg-4»\n"),
            ok(r#"{"content": "METRICALARMS\tcpu\nDIMENSIONS\tDBClusterIdentifier\t«ledger-aurora-2»\n"}"#),
            // the one value a `--query` selects, as the whole result of the tool call
            ok(r#"{"type": "tool_use", "id": "toolu_01Db", "name": "Bash", "input": {"command": "aws rds describe-db-instances --query 'DBInstances[0].DBInstanceIdentifier' --output text"}}]}, {"role": "user", "content": [{"tool_use_id": "toolu_01Db", "type": "tool_result", "content": "«ledger-prod-primary»"}]}"#),
            // an ElastiCache serverless cache: the name, not the word serverless
            ok("«orders-cache-r7t2kq».serverless.euw1.cache.amazonaws.com:6379"),
            ok("master.«sessions-redis».x8k2pq.usw2.cache.amazonaws.com:6379"),
            // `r-c` in the host starts an id candidate that is rejected: the host still
            // reaches left over it to its first label
            ok("psql -h «orders-ro».cluster-custom-c7hq2kzx0rbw.eu-west-1.rds.amazonaws.com -U app"),
            ok(r#""MasterUsername": "«ledger_owner7»","#),
            ok("aws rds create-db-instance --db-instance-identifier «ledger-db-2» --master-username «ledger_owner»"),
            ok(r#""DBInstanceIdentifier": "«ledgerdb-wmsa»","#),
            ok("aws rds describe-db-instances --db-instance-identifier «orders-oqrmg»"),
            // `--query` multi-select hash, `--output table`: the header holds the user's keys, the
            // expression each key stands for says what its column is
            ok("$ aws rds describe-db-instances --query 'DBInstances[].{Id:DBInstanceIdentifier,Class:DBInstanceClass,State:DBInstanceStatus}' --output table\n--------------------------------------------\n|            DescribeDBInstances           |\n+--------------+----------------+----------+\n|     Class    |      Id        |  State   |\n+--------------+----------------+----------+\n|  db.t3.micro |  «orders-pg-2» |  available |\n|  db.r6g.large|  «billingdb7»  |  stopped |\n+--------------+----------------+----------+\n"),
            ok("2026-11-02T10:14:07Z WARN connecting to database «quorvane»"),
            ok("aws logs tail /aws/rds/instance/«pg-main-4k»/postgresql"),
            ok(r#"$ aws elasticache describe-snapshots --cache-cluster-id «sessq7» --max-items 5\nSNAPSHOTS\tTrue\t2026-10-30T04:00:00Z\t«sessq7»\tavailable\n"#),
            ok("failover initiated for «pay-cache-vrn»"),
            // a database client's user and database, by flag and as its last argument
            ok("$ psql -h 10.0.3.7 -U «ledger_admin» -d «ledger_prod» -c 'select 1'"),
            ok(r#"{"command": "mysql -u «report_ro» -p «reports_v2» < q.sql"}"#),
            ok("pg_dump -Fc -U postgres «billing_main» > billing.dump"),
            // the keys the clients, the database images and applications read, in env files,
            // compose files and settings
            ok("PGUSER=«ledger_ro»\nPGDATABASE=«ledger_replica»\n"),
            ok(r#"{"content": "    environment:\n      POSTGRES_USER: «ledger_owner»\n      POSTGRES_DB: «ledger_dev»\n      MYSQL_DATABASE: \"«shop_main»\"\n"}"#),
            ok("spring.datasource.username=«orders_svc»\nDB_USERNAME=«orders_rw»\n"),
            // a connection string under a key that ends as an application's own address does
            ok("DATABASE_URL=postgres://«ledger_app»@pg-main.tallyco.io:5432/«ledger_core»\n"),
            // a Secrets Manager database secret names its user beside its engine
            ok(r#"{"username":"«ledger_app»","password":"r7Vq!2mXz#9LpK4w","engine":"postgres","port":5432,"dbname":"«ledger_core»"}"#),
        ],
        negative: &[
            // a listing's plain words and defaults; the title's words in prose
            ok("                 List of databases\n   Name    |  Owner   | Encoding\n-----------+----------+----------\n orders    | postgres | UTF8\n rdsadmin  | rdsadmin | UTF8\n(2 rows)\nList of databases | ledger_core | ledger_app\n"),
            // defaults, templates and variables; a `username` that is anyone's
            ok("POSTGRES_USER=postgres\nDB_USER=${DB_USER}\n  POSTGRES_DB: \"{{ .Values.db.name }}\"\n"),
            ok(r#"{"username": "octocat", "email": "octocat@users.noreply.github.com"}"#),
            ok("      POSTGRES_USER: orders\n      MYSQL_DATABASE=legacy\n"),
            ok(r#"{"role": "user", "content": "which db user?"}"#),
            // a client's defaults and its flags' other values
            ok("psql -h localhost -U postgres -p 5432 -f seed.sql postgres"),
            ok(r#"{"command": "mysql -u root -p mysql"}"#),
            ok(r#""MasterUsername": "postgres","#),
            ok(r#""DBInstanceIdentifier": "default""#),
            ok(r#""Engine": "postgres""#),
        ],
    },
    Row {
        rtype: "aws_iam_name",
        found_by: &[Field, Flag, Phrase, CliColumn],
        positive: &[
            // a switch-role link's role
            ok("https://signin.aws.amazon.com/switchrole?roleName=«ledger-deploy»&account=730145298361&displayName=prod"),
            ok(r#""Arn": "arn:aws:sts::604218873315:assumed-role/AWSReservedSSO_ReadOnlyAccess_«3f9c2a7d1e8b4c60»/«jdoe-ops»""#),
            ok("arn:aws:iam::604218873315:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_«LedgerDeployers_9a1c3e5b7d2f4a6c»"),
            // the permission set a profile of ~/.aws/config signs in with
            ok("[profile ledger-prod]\nsso_role_name = «LedgerDeployer»\n"),
            // `cloudtrail lookup-events`: the record's user beside its Resources or raw event
            ok(r#"{"EventName": "StopInstances", "Username": "«mbrandt-ops»", "Resources": []"#),
            ok(r#"\"Username\": \"«qvoss»\",\n    \"CloudTrailEvent\": \"{}\""#),
            ok(r#"  iam_instance_profile = \"«ledger-web-prof2»\"\n"#),
            ok(r#""RoleName": "«etl-runner-asji»","#),
            ok("aws iam get-user --user-name «marlo.zfpbs»"),
            ok("access denied for IAM user «Quennick»"),
            ok(r#"{\"RoleName\": \"«ingest-wkr3»\"}\nROLE\t«ingest-wkr3»\t2026-09-01T12:00:00Z\n"#),
            // --output table of a list: the header row names the column
            ok("||   CreateDate          |  Path  |   UserName       ||\n|+----------------------+--------+------------------+|\n||  2026-01-03T10:00:00Z |  /     |  «upphmi-ops»    ||\n||  2026-02-04T11:00:00Z |  /     |  «sodyfuu»       ||\n"),
            // a customer-managed policy, beside its ARN in the account
            ok(r#"{"AttachedPolicies": [{"PolicyName": "«ledger-deploy-pol»", "PolicyArn": "arn:aws:iam::604218873315:policy/«ledger-deploy-pol»"}]}"#),
        ],
        negative: &[
            // AWS's own permission sets, by the names everyone's SSO gives them
            ok("sso_role_name = AdministratorAccess\nsso_role_name = ReadOnlyAccess\n"),
            // an AWS managed policy beside its ARN, before or after it, in a tool result
            ok(r#"{"AttachedPolicies": [{"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}]}"#),
            ok(r#"{\"Policy\": {\"Arn\": \"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess\",\n \"PolicyName\": \"ViewOnlyAccess\"}}"#),
            // the login name of Amazon Linux images is no IAM user
            ok("Host bastion-prod\n  HostName 10.0.1.5\n  User ec2-user\n"),
            ok("ssh -i key.pem ec2-user@10.0.1.5 'uptime'"),
            ok("arn:aws:iam::604218873315:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"),
            ok(r#"{"Username": "jdoe-svc", "Password": "x"}"#),
            ok(r#""RoleName": "default""#),
            ok("aws iam list-roles --max-items 5"),
            ok("# Enable per user site-packages directory"),
            // a header row holds column names: `UserName | Path` is no key/value pair
            ok("| UserName | Path |\n|---|---|\n| main | / |"),
        ],
    },
    Row {
        rtype: "aws_resource_name",
        found_by: &[Field, SiblingKey, Flag, CliColumn, Phrase],
        positive: &[
            // the name lists `eks list-clusters`, `kinesis list-streams` and `eks list-nodegroups`
            // print
            ok("{\n    \"clusters\": [\n        \"«ledger-prod»\",\n        \"«ledger-stg-2»\"\n    ]\n}\n{\"StreamNames\": [\"«ledger-events»\"], \"HasMoreStreams\": false}\n{\"nodegroups\": [\"«ng-ledger-general-1»\"]}\n"),
            // a deploy workflow's variables naming ECS's, ECR's and Kinesis' resources
            ok("env:\n  ECR_REPOSITORY: «ledger-api»\n  ECS_SERVICE: «ledger-api-svc»\n  ECS_TASK_DEFINITION: «ledger-api-task»\n  KINESIS_STREAM_NAME: «ledger-events»\n"),
            // named by the flags of Athena, Glue, Firehose, KMS and CodeArtifact
            ok("aws athena start-query-execution --query-string \"SELECT 1\" --work-group «ledger-analysts»\naws glue start-job-run --job-name «ledger-etl-nightly»\naws firehose put-record --delivery-stream-name «ledger-events-fh» --record Data=x\n"),
            ok("aws kms create-alias --alias-name alias/«ledger-data» --target-key-id mrk-1f2e3d4c5b6a49788695a4b3c2d1e0f9\naws codeartifact login --tool pip --domain «tallyco» --domain-owner 730145298361 --repository «ledger-pypi»\n"),
            // SSM parameters' paths where no ARN stands beside them, segment by segment as their
            // ARN has them: the SSM commands' flags, the CLI's output, CloudFormation's and
            // Serverless' references, a stack's parameter type, Terraform, an ECS secret
            ok("aws ssm get-parameter --name /«ledger»/«prod»/«stripe-webhook» --with-decryption\naws ssm get-parameters --names /«ledger»/«stg»/«db-url» \"/«ledger»/«prod»/«db-url»\"\naws ssm get-parameters-by-path --path /«ledger»/«prod» --recursive\n"),
            ok("{\n    \"Parameters\": [\n        {\n            \"Name\": \"/«ledger»/«prod»/«db-password»\",\n            \"Type\": \"SecureString\",\n            \"Value\": \"AQICAHhbX0q2bW9ydGdhZ2UtcHJvZC1rZXk=\",\n            \"Version\": 3\n        }\n    ]\n}\n"),
            ok(r#"{"content": "{\"Name\": \"\/«ledger»\/«prod»\/«api-key»\", \"Type\": \"String\", \"Version\": 1}"}"#),
            ok("DbPassword: '{{resolve:ssm-secure:/«ledger»/«prod»/«db-password»:3}}'\nprovider:\n  environment:\n    DB_URL: ${ssm:/«ledger»/«prod»/«db-url»}\n"),
            ok("Parameters:\n  DbUrl:\n    Type: 'AWS::SSM::Parameter::Value<String>'\n    Default: /«ledger»/«prod»/«db-url»\n"),
            ok("data \"aws_ssm_parameter\" \"db\" {\n  name = \"/«ledger»/«prod»/«db-password»\"\n}\n"),
            ok(r#""secrets": [{"name": "DB_URL", "valueFrom": "/«ledger»/«prod»/«db-url»"}]"#),
            // a Secrets Manager secret an SSM path refers to: its name whole, as its ARN has it
            ok("MasterPassword: '{{resolve:ssm-secure:/aws/reference/secretsmanager/«prod/ledger/db-main»}}'\n"),
            // a secret's ARN: its name whole, before the six characters the service appends
            ok(r#""ARN": "arn:aws:secretsmanager:us-east-1:604218873315:secret:«prod/ledger/db-main»-Ab12Cd""#),
            // a container's environment, CloudFormation parameters and outputs, in JSON and YAML
            ok(r#"{"environment": [{"name": "TABLE_NAME", "value": "«ledger-entries-v3»"}, {"name": "LOG_LEVEL", "value": "info"}]}"#),
            ok(r#"{"Parameters": [{"ParameterKey": "FunctionName", "ParameterValue": "«ledger-settle-fn»"}], "Outputs": [{"OutputKey": "QueueName", "OutputValue": "«ledger-events-q4»"}]}"#),
            ok("env:\n  - name: QUEUE_NAME\n    value: «ledger-events-q5»\n"),
            // Terraform's S3 backend: its lock table
            ok("terraform {\n  backend \"s3\" {\n    bucket         = \"tallyco-tf-state\"\n    dynamodb_table = \"«tallyco-tf-locks»\"\n  }\n}\n"),
            // a model's prose: an EKS node group named by its kind
            ok("I checked the node group «ng-ledger-spot-a» and its launch template «lt-ledger-spot»."),
            ok("Parameters:\n- ParameterKey: ClusterName\n  ParameterValue: «ledger-eks-blue»\n"),
            // a tag, a filter and a dimension in the CLI's shorthand, a dimension in escaped JSON
            ok("aws ec2 create-tags --resources i-0a1b2c3d4e5f67890 --tags Key=Name,Value=«ledger-web-3»"),
            ok(r#"aws ec2 describe-instances --filters "Name=tag:Name,Values=«ledger-web-3»,«ledger-web-4»" "Name=instance-state-name,Values=running""#),
            ok(r#"{"command": "aws cloudwatch get-metric-data --dimensions Name=FunctionName,Value=«settle-hook-v2» --period 60"}"#),
            ok(r#"{\"Name\": \"AutoScalingGroupName\", \"Value\": \"«ledger-asg-blue»\"}"#),
            ok(r#""FunctionName": "«invoice-sync-wgca»","#),
            // a KMS alias keeps its alias/ (AWS's own aliases stay)
            ok(r#"{"AliasName": "alias/«ledger-cmk-q2»", "TargetKeyId": "x"}"#),
            ok("aws kms encrypt --key-id alias/«billing-data-k7» --plaintext fileb://a.txt"),
            ok(r#"{"KmsKeyId": "alias/«orders-sse-b2»"}"#),
            // a JSON tag map: terraform show -json, .tfstate, an API's Tags object
            ok(r#""subnet_id": "subnet-0b2d4f6a8c1e3a5b7", "tags": {"Name": "«jump-host-qk»", "Owner": "ops"}, "tags_all": {"Name": "«jump-host-qk»"}"#),
            ok(r#"{\"Tags\": {\"Name\": \"«etl-runner-b7»\"}}"#),
            // a log group is a path: its name segments, not the service words
            ok("aws logs tail /ecs/«orders-api-qv» --follow"),
            ok("aws logs filter-log-events --log-group-name /«tallyco»/«billing-worker» --filter-pattern ERROR"),
            ok(r#"{"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/«ledger-sync-9»", "awslogs-region": "eu-west-1"}}"#),
            ok(r#"{"logGroupName": "«intake-events-k2»", "storedBytes": 0}"#),
            ok("aws logs tail /aws/lambda/«refund-hook-x1» --since 5m"),
            ok("aws dynamodb describe-table --table-name «OrdersISSG»"),
            ok("diff detected on «pay-cache-mgt»"),
            ok(r#"$ aws elb describe-load-balancers --load-balancer-name «edge-lb-tq4»\n«edge-lb-tq4»\n"#),
            ok("| FunctionName | Runtime |\n|---|---|\n| «lmnuebvs-etl» | python3.12 |\n"),
            // `--query` selecting one name field, `--output text`: every cell, the first too
            ok(r#"{"command": "aws ec2 describe-key-pairs --query 'KeyPairs[].KeyName' --output text"}, {"content": "«deploy-key-4q»\t«ops-admin-7»\t«ci-runner-k2»\n"}"#),
            ok("$ aws lambda list-functions --query 'Functions[*].FunctionName' --output text\n«settle-hook-3»\t«ledger-sync-x»\n"),
            ok("$ aws ec2 describe-key-pairs --query KeyPairs[0].KeyName --output text\n«bastion-key-9»\n"),
            // the `Name` of each item of a list: a secret's, a parameter's
            ok(r#"{"type": "tool_use", "id": "toolu_01Sl", "name": "Bash", "input": {"command": "aws secretsmanager list-secrets --query 'SecretList[].Name' --output text"}}]}, {"role": "user", "content": [{"tool_use_id": "toolu_01Sl", "type": "tool_result", "content": "«prod/settle/stripe-hook»\t«prod/ledger/db-creds»\n"}]}"#),
            ok("$ aws ssm describe-parameters --query \"Parameters[?Type=='SecureString'].Name\" --output text\n«ledger-db-pass-2»\n"),
            // its whole output as a tool call's result (no line break after the last cell),
            // and a one-column multi-select
            ok(r#"{"type": "tool_use", "id": "toolu_01Kp", "name": "Bash", "input": {"command": "aws ec2 describe-key-pairs --query 'KeyPairs[*].KeyName' --output text"}}]}, {"role": "user", "content": [{"tool_use_id": "toolu_01Kp", "type": "tool_result", "content": "«prod-bastion-23»\t«deploy-ci-7»"}]}"#),
            ok("$ aws ec2 describe-key-pairs --query 'KeyPairs[].[KeyName]' --output text\n«ops-key-q2»\n«ci-key-w8»\n$ "),
            // `--output table`: the title row, then a value a row
            ok("$ aws ec2 describe-key-pairs --query 'KeyPairs[].KeyName' --output table\n--------------------\n| DescribeKeyPairs |\n+------------------+\n|  «ops-key-q2»      |\n|  «ci-key-w8»       |\n+------------------+\n"),
            // a `--query` multi-select list or hash, `--output text`: the columns whose
            // expression ends with a name field (`KeyName`, the `Name` tag's `Value`), in order
            // for a list, sorted by key for a hash (as the CLI prints them)
            ok("$ aws ec2 describe-instances --query 'Reservations[].Instances[].[InstanceId,KeyName,Tags[?Key==`Name`]|[0].Value]' --output text\ni-0a1b2c3d4e5f60718\t«deploy-keypair-q7»\t«payments-api-blue»\ni-0f1e2d3c4b5a69788\t«ops-bastion-k2»\tNone\n"),
            ok(r#"{"text": "$ aws ec2 describe-instances --output text --query 'Reservations[*].Instances[*].{ Name: Tags[?Key==`Name`] | [0].Value, ID: InstanceId, Key: KeyName }'\ni-0a1b2c3d4e5f60718\t«fin-keypair-3»\t«ledger-web-2»\n"}"#),
            // Claude Code's Bash tool use, and the tool result that holds its rows
            ok(r#"{"type": "tool_use", "id": "toolu_01Qx7Lm2", "name": "Bash", "input": {"command": "aws lambda list-functions --query \"Functions[].[FunctionName,Runtime,Role]\" --output text", "description": "List functions"}}]}, {"role": "user", "content": [{"tool_use_id": "toolu_01Qx7Lm2", "type": "tool_result", "content": "«settle-hook-4»\tpython3.12\tarn:aws:iam::604218873315:role/svc-settle\n«ledger-sync-q»\tnodejs20.x\tNone\n"}]"#),
            // `--output table` of a hash: the header row holds the user's keys
            ok("$ aws ec2 describe-instances --query 'Reservations[].Instances[].{ID:InstanceId,Key:KeyName,Label:Tags[?Key==`Name`].Value|[0]}' --output table\n-----------------------------------------------------------\n|                    DescribeInstances                    |\n+----------------------+-------------------+--------------+\n|          ID          |        Key        |    Label     |\n+----------------------+-------------------+--------------+\n|  i-0a1b2c3d4e5f60718 |  «ops-keypair-5»  |  «edge-web»  |\n|  i-0f1e2d3c4b5a69788 |  None             |  None        |\n+----------------------+-------------------+--------------+\n"),
            // `--output yaml`: the `Name` tag of a resource, raw and inside a tool result
            ok("Tags:\n- Key: Name\n  Value: «orders-api-blue-7»\n- Key: Team\n  Value: ledger\n"),
            ok("Tags:\n- Key: Name\n  Value: «Ledger Prod Web 2»  # console name\n- Key: Team\n  Value: ledger\n"),
            ok(r#""content": "Tags:\n- Key: Name\n  Value: «Ledger Bastion»\n""#),
            ok(r#"    Tags:\n    - Key: Name\n      Value: «vpn-gw-qx3»\n"#),
            // `terraform plan`: the Name tag of a tag map, and an aligned attribute
            ok("  ~ resource \"aws_instance\" \"api\" {\n        tags                                 = {\n            \"Name\" = \"«ledger-api-8»\"\n        }\n        key_name                             = \"«deploy-key-4q»\"\n"),
            // CloudWatch log groups named after their resource
            ok("aws logs tail /aws/lambda/«settle-worker-3» --since 5m"),
            ok(r#""logGroupName": "/aws/eks/«core-eks-9b»/cluster","#),
            ok(r#"resource \"aws_vpc\" \"main\" {\n  tags = {\n    Name        = \"«core-vpc-2x»\"\n    Environment = \"prod\"\n  }\n}"#),
            // a table with a `Name` column (`--query` with a Name alias)
            ok("|  InstanceId | Name |\n+------+------+\n|  i-0f3a9c2b7d1e4a5b6 |  «ledger-api-4» |\n"),
            ok("INSTANCES\t0\tx86_64\tNone\tFalse\tTrue\txen\tami-0c55b159cbfafe1f0\ti-0a1b2c3d4e5f67890\tt3.medium\t«ops-keypair-2q»\t2024-01-15T10:30:00+00:00\tip-10-20-30-40.ec2.internal\t10.20.30.40\n"),
            ok("INSTANCES\t0\tarm64\tc6gn.16xlarge\t«deploy-key-9»\t2025-03-02T08:00:00.000Z\tFalse\n"),
            ok(r#""content": "RESERVATIONS\t604218873315\tr-0a1b\nINSTANCES\t0\tx86_64\tm5.2xlarge\t«etl-runner-7k»\t2025-03-02T08:00:00+00:00\n""#),
            // lambda get-function: the code location names the function before the upload's UUID
            // `--name` of an AWS CLI command names its resource
            ok("$ aws eks update-kubeconfig --region eu-west-1 --name «core-eks-4f»"),
            ok(r#"{"restApiId": "«k7x2m9p4q1»", "UserPoolId": "eu-west-1_«Qz4Rk8Lm2»"}"#),
            ok("aws cognito-identity describe-identity-pool --identity-pool-id us-gov-west-1:«5b1c9e2a-7d3f-4a8b-9c6e-2f1d0a7b3c8e»"),
            // a user pool id is self-identifying: its region stays, wherever it stands
            ok("COGNITO_USER_POOL_ID=ap-southeast-2_«nV4hT8qLw»\n"),
            ok("The pool us-east-1_«Kx2Bm9Rw4» has 3 app clients."),
            ok("USERPOOLCLIENTS\t6t1c8w3q5k0z2m9v4r7n1pxgah\tledger-web\teu-west-1_«Rt5Kw2Pq8»\n"),
            ok("$ aws cognito-idp list-user-pool-clients --user-pool-id eu-west-1_«Rt5Kw2Pq8» --output text\nUSERPOOLCLIENTS\t6t1c8w3q5k0z2m9v4r7n1pxgah\tledger-web\teu-west-1_«Rt5Kw2Pq8»\n"),
            ok("aws cloudfront create-invalidation --distribution-id «E3KQ7ZX2WMP9RT» --paths '/*'"),
            ok("aws apigateway get-stages --rest-api-id «w8d3kq2x7z»"),
            // the `Name` of an API or a user pool, beside its id (no ARN gives it away)
            ok(r#"{"Items": [{"ApiEndpoint": "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", "ApiId": "«a1b2c3d4e5»", "Name": "«ledger-http»", "ProtocolType": "HTTP"}]}"#),
            ok(r#"{"UserPools": [{"Id": "eu-west-1_«Qz4Rk8Lm2»", "Name": "«Ledger Customers»", "LambdaConfig": {}}]}"#),
            // an ELB access log line, a CloudWatch dimension
            ok("https 2026-11-02T09:14:07.123456Z app/«ledger-alb-2»/«50dc6c495c0c9188» 203.0.113.45:56323 10.0.3.7:8080 0.000 0.001 0.000 200 200 34 366"),
            ok(r#"{"Name": "TargetGroup", "Value": "targetgroup/«ledger-tg»/«73e2d6bc24d8a067»"}"#),
            ok(r#""command": "aws stepfunctions describe-state-machine-alias --name=«settle-flow-2»""#),
            // an ECR image names its repository after the registry host
            ok(r#""image": "604218873315.dkr.ecr.eu-west-1.amazonaws.com/«billing-api-7q»:2026.12.1","#),
            ok("docker pull 604218873315.dkr.ecr.us-east-1.amazonaws.com/«team/ingest-rx2»@sha256:9f8e"),
            // a nested repository is one name in its ARN too, as in the URI and the name field
            ok(r#""repositoryArn": "arn:aws:ecr:eu-west-1:604218873315:repository/«team/ingest-rx2»", "repositoryName": "«team/ingest-rx2»","#),
            // an OpenSearch endpoint names its domain before the endpoint's hash
            ok(r#""DomainName": "«orders-search-k4»", "Endpoint": "search-«orders-search-k4»-x7q2m9vbt3kd8wz1rp5nafc6ye.eu-west-1.es.amazonaws.com""#),
            ok("curl https://vpc-«logs-k2»-ih2lhn2ew2scurji.us-west-2.es.amazonaws.com/_cat/indices"),
            ok(r#""Location": "https://awslambda-eu-west-1-tasks.s3.eu-west-1.amazonaws.com/snapshots/604218873315/«qjhvx-rollup»-4be1c0d2-7a9f-4c31-b8e6-05d9f3a2c7e1?versionId=Qm9x""#),
            // the `Name` of an object beside its own ARN: an AWS account's, whose ARN holds
            // ids only, before or after it, in a tool result; a display name with blanks
            // a stack's export, a table's index
            ok(r#"{"OutputKey": "PrivateSubnetA", "OutputValue": "subnet-0a1b2c3d4e5f67890", "ExportName": "«ledger-net-PrivateSubnetA»"}"#),
            ok(r#""GlobalSecondaryIndexes": [{"IndexName": "«by-merchant-k7»", "KeySchema": []}]"#),
            // an environment variable named for the kind of resource it holds
            ok(r#"{"Environment": {"Variables": {"LEDGER_TABLE": "«ledger-rows-v4»", "SETTLE_FUNCTION_NAME": "«settle-hook-k9»"}}}"#),
            ok("export ORDERS_TABLE=«orders-main-q2»\nINTAKE_QUEUE_NAME='«intake-jobs-7»'\n"),
            // a FIFO queue's ARN keeps its `.fifo`; a table's stream and index ARNs name the
            // table and the index, not the parts' kinds nor the stream's date
            ok(r#""deadLetterTargetArn": "arn:aws:sqs:eu-west-1:604218873315:«ledger-settle-dlq».fifo""#),
            ok(r#""LatestStreamArn": "arn:aws:dynamodb:eu-west-1:604218873315:table/«ledger-rows-q»/stream/2026-11-02T09:14:07.123""#),
            ok(r#""IndexArn": "arn:aws:dynamodb:eu-west-1:604218873315:table/«ledger-rows-q»/index/«by-merchant-q»""#),
            ok(r#"{"Accounts": [{"Id": "518274639012", "Arn": "arn:aws:organizations::604218873315:account/«o-k3x9q2w7vz»/518274639012", "Email": "ops@example.com", "Name": "«tallyco-payments-prod»", "Status": "ACTIVE"}]}"#),
            ok(r#"{\"Name\": \"«Tallyco Staging»\",\n \"Arn\": \"arn:aws:organizations::604218873315:ou/«o-k3x9q2w7vz»/«ou-ab12-cd34ef56»\"}"#),
            ok(r#"{"Id": "j-2AKQ7ZX1WMP9R", "Name": "«Spark nightly rollup»", "Status": {"State": "WAITING"}, "ClusterArn": "arn:aws:elasticmapreduce:eu-west-1:604218873315:cluster/«j-2AKQ7ZX1WMP9R»"}"#),
            // a `Name` tag written with blanks, as the console lets people write it
            ok(r#"{"Tags": [{"Key": "Name", "Value": "«Ledger Prod Web 2»"}]}"#),
            ok(r#"aws ec2 create-tags --resources i-0a1b2c3d4e5f67890 --tags 'Key=Name,Value=«Ledger Bastion»'"#),
            // project, application, customer and cost-center tags: what a resource is for
            ok(r#"{"Tags": [{"Key": "Project", "Value": "«Project Halcyon»"}, {"Key": "CostCenter", "Value": "«CC-4471-fin»"}]}"#),
            ok("        tags = {\n            \"Customer\"   = \"«Northwind Freight»\"\n            Application = \"«ledger-recon»\"\n        }\n"),
            ok(r#"{"tags": {"project": "«halcyon-migration»", "env": "prod"}}"#),
            ok("Tags:\n- Key: Project\n  Value: «Bluefin»\n"),
            ok("TAGS\tCostCenter\t«FIN-2231»\n"),
            // a Serverless Framework service, which names its stack and functions
            ok(r#"{"content": "service: «ledger-reconciler»\n\nprovider:\n  name: aws\n  runtime: python3.12\n"}"#),
        ],
        negative: &[
            // AWS's public parameters; a path that is no parameter's (a file's, a JSON schema's
            // `string`, a stack parameter of type String whose default is a path)
            ok("aws ssm get-parameter --name /aws/service/global-infrastructure/regions\n  LatestAmi:\n    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>\n    Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64\n"),
            ok(r#"{"Name": "/usr/local/bin", "Type": "string"} {"Type": "String", "Default": "/opt/app/config"}"#),
            // `--path` and `--names` of other commands
            ok("aws iam list-roles --path-prefix /service-role/\nfind-up --path /opt/ledger/current --names /opt/ledger/releases\n"),
            ok("clusters:\n- cluster:\n    server: https://10.0.0.1:6443\n"),
            ok(r#"{"clusters": [{"status": "ACTIVE", "runningTasksCount": 3}]}"#),
            // the same words after anything but the service's name
            ok("EMAIL_SERVICE=sendgrid-v3\nOUTPUT_STREAM=stdout-json\nGIT_REPOSITORY=ledger-api\n"),
            // a `service:` key of another file
            ok("service: ledger-reconciler\nprovider:\n  name: google\n"),
            ok("  service: ledger-api\n  port: 80\n"),
            // a project tag's generic value
            ok(r#"{"Tags": [{"Key": "Project", "Value": "default"}, {"Key": "Application", "Value": "shared"}]}"#),
            ok("aws kms describe-key --key-id alias/aws/s3"),
            ok(r#"{"AliasName": "alias/aws/secretsmanager"}"#),
            ok(r#"{"tags": {"team": {"Name": "data-platform-v2"}}, "config": {"Name": "default-settings-v2"}}"#),
            ok("aws logs tail /ecs/app/stdout --since 1h"),
            ok("aws logs tail --help"),
            ok("cat /var/log/app/worker.log | grep ERROR"),
            ok("| FunctionName | Runtime |\n|---|---|\n| main | python3.12 |\n"),
            // a Name column of plain words, another tag's value, a Name outside a tag list
            ok("| Name | Description |\n|---|---|\n| retries | how often to try |\n"),
            ok("Tags:\n- Key: Team\n  Value: ledger-core-2\n"),
            ok("Tags:\n- Key: Name\n  Value: !Sub '${AWS::StackName}-web'\n- Key: Name\n  Value: !Ref WebName\n"),
            // a Name attribute outside a tag map
            ok("variable \"x\" {\n  Name = \"holds-a-name-5\"\n}\n"),
            ok("- Key: Name\n  Description: holds-a-name-3\n- Value: not-this-one-4\n"),
            ok("s3://backups/snapshots/604218873315/nightly.tar.gz"),
            ok(r#""FunctionName": "main""#),
            // `--name` outside an AWS CLI command, and a parameter path
            ok("docker run --name cache-7b redis:7"),
            ok("cp build/app/main.js /srv/app/50dc6c495c0c9188x"),
            ok("see src/app/handlers/0123456789abcdef0 and net/http"),
            ok("INSTANCES\t0\tx86_64\tt3.medium\t2024-01-15T10:30:00+00:00\tip-x.ec2.internal\n"),
            ok("RESERVATIONS\t123\tt3.medium\tkeep-this-4\t2024-01-15T10:30:00+00:00\n"),
            ok("INSTANCES\t0\tx86_64\tt3medium\tkeep-this-5\t2024-01-15T10:30:00+00:00\n"),
            // such a variable holding an ARN, a URL, a template or a plain word; a name that
            // only ends so (`MAX_TABLE`… in code, lower case)
            ok(r#"{"ORDERS_TABLE": "arn:aws:dynamodb:eu-west-1:604218873315:table/${env}", "EVENTS_TOPIC": "${TOPIC}", "AUDIT_TABLE": "default"}"#),
            ok("events_table = make_table()\nRESULTS_QUEUE_URL=https://example.com/q\n"),
            ok("MAKE_FUNCTION = opmap['MAKE_FUNCTION']\nCO_FUTURE_PRINT_FUNCTION = 0x100000\n"),
            ok("PRINT_FUNCTION=0x100000\nLOAD_TABLE=tables[3]\n"),
            // a `Name` beside an ARN of AWS's own (no account), of another object (a nested
            // dimension of an alarm) or of no account at all, and AWS's own names in an account
            ok(r#"{"Name": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}"#),
            ok(r#"{"Name": "/aws/service/ami-al2023/latest", "ARN": "arn:aws:ssm:eu-west-1::parameter/aws/service/ami-al2023/latest"}"#),
            ok(r#"{"UserArn": "arn:aws:iam::604218873315:user/ops-bot", "Dimensions": [{"Name": "QueueDepth", "Value": 3}], "Meta": {"Name": "keep-this-6"}}"#),
            ok(r#"{"capacityProviderArn": "arn:aws:ecs:eu-west-1:604218873315:capacity-provider/FARGATE_SPOT", "name": "FARGATE_SPOT"}"#),
            ok(r#"{"Name": "keep-this-7", "Description": "see arn:aws:iam::604218873315:user/ops-bot"}"#),
            // a `Name` beside an id that is no API's or pool's
            ok(r#"{"Id": "keep-id-3", "Name": "keep-this-8"} {"Id": "eu-west-1", "Name": "Keep This 9"}"#),
            // a tag value with blanks that is no name: words of a sentence, a template
            ok(r#"{"Tags": [{"Key": "Name", "Value": "default main test"}, {"Key": "Name", "Value": "${var.env} web"}]}"#),
            ok(r#""Runtime": "python3.12""#),
            ok(r#""DomainName": "d2hx7kq0wv3m9a.cloudfront.net","#),
            // a query of another field, or of several, prints no names
            ok("$ aws ec2 describe-key-pairs --query 'KeyPairs[].KeyType' --output text\nrsa\ted25519-key\n"),
            // pairs whose name is no field, or only `Name`
            ok("env:\n  - name: FUNCTION_NAME\n    value: \"{{ .Values.functionName }}\"\n--dimensions Name=FunctionName,Value=$FUNCTION\n"),
            ok("steps:\n  - name: Checkout\n    uses: actions/checkout@v4\n  - name: FunctionName\n    run: make deploy-7\n"),
            ok(r#"{"name": "ledger-ui-2", "version": "1.0.0", "private": true}"#),
            ok("env:\n  - name: TABLE_NAME\n    valueFrom:\n      configMapKeyRef:\n        name: ledger-cfg-2\n"),
            ok("aws ec2 describe-instances --filters Name=instance-state-name,Values=running Name=instance-type,Values=t3.micro"),
            ok(r#"{"Dimensions": [{"Name": "InstanceType", "Value": "m5-large-x"}, {"Name": "Name", "Value": "web-a-1"}]}"#),
            ok("aws ec2 create-tags --resources i-0a1b2c3d4e5f67890 --tags Key=env,Value=prod-eu-1 Key=Team,Value=core-2"),
            // a property's `Name`, and the lists whose items AWS names
            ok("$ aws ec2 describe-instances --query 'Reservations[].Instances[].State.Name' --output text\nrunning\tstopped-by-user\n"),
            ok("$ aws ec2 describe-images --owners amazon --query 'Images[].Name' --output text\namzn2-ami-kernel-5.10-hvm\n"),
            ok("$ aws cloudwatch list-metrics --query 'Metrics[].Dimensions[].Name' --output text\nInstanceId\tAutoScalingGroupName\n"),
            ok("$ aws ec2 describe-key-pairs --query 'KeyPairs[].[KeyPairId,CreateTime]' --output text\nkey-0a1b2c3d4e5f67890\t2026-01-02\n"),
            ok(r#"{"content": "deploy-key-4q\tops-admin-7\n"}"#),
            // a `--query` multi-select: a row with another number of cells is left whole (fail
            // safe), rows end at a blank line or the next command, and a command without
            // `--output text` or `table`, or whose tool result is another tool use's, prints none
            ok("$ aws ec2 describe-instances --query 'Reservations[].Instances[].[InstanceId,KeyName,Tags[?Key==`Name`]|[0].Value]' --output text\ni-0a1b2c3d4e5f60718\tkeep-keypair-4\n"),
            ok("$ aws ec2 describe-instances --query 'Reservations[].Instances[].[KeyName,Tags[?Key==`Name`]|[0].Value]' --output text\n\nkeep-keypair-5\tkeep-name-5\n"),
            ok("$ aws ec2 describe-instances --query 'Reservations[].Instances[].[KeyName,InstanceType]' --output text\n$ aws ec2 describe-images --query 'Images[].[ImageId,Architecture]' --output text\nkeep-image-6\tx86_64\n"),
            ok("$ aws ec2 describe-key-pairs --query 'KeyPairs[].[KeyName,KeyType]' --output json\nkeep-keypair-7\trsa\n"),
            ok(r#"{"type": "tool_use", "id": "toolu_01Zz9", "name": "Bash", "input": {"command": "aws lambda list-functions --query 'Functions[].[FunctionName,Runtime]' --output text"}}, {"type": "tool_result", "tool_use_id": "toolu_02Yy8", "content": "keep-func-8\tpython3.12\n"}"#),
            // cells that are no names: None, numbers, dates, states, the header row
            ok("$ aws lambda list-functions --query 'Functions[].[FunctionName,Runtime]' --output text\n2026-01-02\tpython3.12\n12345\tnodejs20.x\nNone\tjava17\nrunning\tjava21\n"),
            ok("$ aws ec2 describe-instances --query 'Reservations[].Instances[].{Key:KeyName,State:State.Name}' --output table\n||  Key  |  State  ||\n|+------+---------+|\n||  None |  running ||\n"),
            // a region and a word after an underscore: a variable, not a pool
            ok("terraform import module.us-east-1_vpcstack aws_vpc.main"),
            ok("cp logs/us-west-2_202611041.tar.gz ."),
        ],
    },
    Row {
        rtype: "aws_profile_name",
        found_by: &[Field, Flag],
        positive: &[
            // declared in ~/.aws/config, named by another profile and by the environment
            ok("[profile «ledger-prod»]\nsso_session = «tallyco-sso»\nsso_account_id = 730145298361\nregion = us-east-1\n[profile «ledger-stg»]\nsource_profile = «ledger-prod»\n[sso-session «tallyco-sso»]\nsso_region = us-east-1\n"),
            ok("export AWS_PROFILE=«tallyco-admin»\naws s3 ls --profile «ledger-prod»\naws sts get-caller-identity --profile=«ops_readonly»\n"),
            ok(r#"{"content": "[profile «ledger-prod»]\nregion = eu-west-1\n", "env": {"AWS_PROFILE": "«ledger-prod»"}}"#),
            // a Terraform provider's and a Serverless service's
            ok("provider \"aws\" {\n  region  = \"us-east-1\"\n  profile = \"«ledger-prod»\"\n}\nprovider:\n  profile: «tallyco-deploy»\n"),
        ],
        negative: &[
            // the default profile, a variable, a word under a bare `profile` key, code
            ok("aws s3 ls --profile default\nexport AWS_PROFILE=${AWS_PROFILE:-default}\n[profile default]\n"),
            ok(r#"{"profile": "basic", "user": {"profile": "https://example.com/u/1"}}"#),
            ok("profile = request.user.profile\nprofile = get_profile(user)\n"),
        ],
    },
    Row {
        rtype: "aws_tag_owner",
        found_by: &[Field, SiblingKey, Flag, CliColumn],
        positive: &[
            ok(r#""Tags": [{"Key": "Owner", "Value": "«Priya Ramaswamy»"}, {"Key": "CreatedBy", "Value": "«tobias.lindqvist@ledgerco.example»"}, {"Key": "Contact", "Value": "«mkowalczyk»"}]"#),
            ok(r#"{\"Key\": \"owner\", \"Value\": \"«h.aalto»\"}"#),
            ok(r#""tags": {"Name": "api", "Owner": "«Henrik Aalto»", "contact": "«h.aalto@ledgerco.example»", "created_by": "«jdoe7»"}"#),
            ok("aws ec2 create-tags --resources i-0a1b2c3d4e5f67890 --tags 'Key=Owner,Value=«Oluwaseun Adeyemi»' Key=Contact,Value=«oadeyemi@ledgerco.example»"),
            ok("Tags:\n- Key: Owner\n  Value: «Lucía Fernández»\n"),
            ok("  tags = {\n    Owner     = \"«Rahel Tesfaye»\"\n    CreatedBy = \"«rtesfaye@ledgerco.example»\"\n  }\n"),
            ok("TAGS\tOwner\t«Dmitri Volkov»\n"),
            // a `--query` column of the Owner tag, `--output text`
            ok(r#"{"text": "$ aws ec2 describe-instances --query \"Reservations[].Instances[].[InstanceId,Tags[?Key=='Owner'].Value|[0]]\" --output text\ni-0a1b2c3d4e5f60718\t«Priya Ramaswamy»\ni-0f1e2d3c4b5a69788\tplatform\n"}"#),
        ],
        negative: &[
            // teams, tools and placeholders; an Owner outside a tag
            ok(r#""Tags": [{"Key": "Owner", "Value": "platform-team"}, {"Key": "CreatedBy", "Value": "terraform"}, {"Key": "Contact", "Value": "Data Platform"}]"#),
            ok(r#""tags": {"Owner": "ops", "created_by": "${var.owner}"}"#),
            ok("aws ec2 create-tags --resources i-0a1b2c3d4e5f67890 --tags Key=Owner,Value=sre"),
            ok(r#""Owner": {"DisplayName": "ops-ledger", "ID": "x"}"#),
            ok("owner = \"Priya Ramaswamy\"\n"),
            ok("TAGS\tOwner\tnone\n"),
            // another tag's column
            ok(r#"{"text": "$ aws ec2 describe-instances --query \"Reservations[].Instances[].[InstanceId,Tags[?Key=='Team'].Value|[0]]\" --output text\ni-0a1b2c3d4e5f60718\tPriya Ramaswamy\n"}"#),
        ],
    },
    Row {
        rtype: "person",
        found_by: &[Format, Field],
        positive: &[
            // `git log`, a commit trailer, a subscription, a config's contact
            ok("3f2a1b0 «Priya Ramaswamy» <«priya.ramaswamy»@tallyco.io> Fix settlement rounding\n"),
            ok("Co-authored-by: «Jan Novák» <«jnovak»@gmail.com>\n"),
            ok(r#"{"Protocol": "email", "Endpoint": "«oncall-ledger»@tallyco.co.uk"}"#),
            ok("ALERT_EMAIL=«billing-ops»@ledgerline.com\n"),
            ok(r#"{"content": "owners:\n«dana.k»@ledgerline.com\n"}"#),
            ok("# Written by «Sam Rushing» <«rushing»@nightmare.com>\n"),
            // a directory's user
            ok(r#"{"Name": {"FamilyName": "«Lindqvist»", "GivenName": "«Tobias»"}}"#),
        ],
        negative: &[
            // an SSH remote, a URL's user, a package scope, an image digest, a version, examples
            ok("git@github.com:tallyco/ledger.git ssh://git@gitlab.com/x/y https://ci:tok@h.io/p\n"),
            ok("npm i @types/node lodash@4.17.21 and redis@sha256:abc"),
            ok("mail jane@example.com or admin@localhost, see user@host.example\n"),
            // a notice's words before a name are not the name
            ok("Author: By <x>\n"),
            // the agent's own commit trailer
            ok("Co-Authored-By: Claude <noreply@anthropic.com>\n"),
            ok(r#"{"GivenName": "", "FamilyName": "n/a"}"#),
        ],
    },
    Row {
        rtype: "git_repo_name",
        found_by: &[CliColumn, Field],
        positive: &[
            // `git remote -v`, raw and in a tool result
            ok("origin\tgit@github.com:«brightwave-fin»/«ledger-core».git (fetch)\norigin\thttps://github.com/«brightwave-fin»/«ledger-core».git (push)\n"),
            ok(r#""content": "upstream\tssh://git@gitlab.com/«fin-platform»/«payments»/«settle-svc».git (fetch)\n""#),
            // `.git/config`, a self-hosted forge (its host is masked as the user's domain)
            ok("[remote \"origin\"]\n\turl = git@git.brightwave.io:«platform»/«infra-live».git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"),
            // `git push` and `git fetch` output
            ok("To github.com:«brightwave-fin»/«ledger-core».git\n   3f2a1b0..9c8d7e6  main -> main\n"),
            ok("From bitbucket.org:«tallyco»/«billing-jobs»\n * [new branch]      fix -> origin/fix\n"),
            // a token in the URL stays the token rule's
            ok("From https://oauth2:glpat-Xk4mP9qRt2vWz8yBn3Lc@gitlab.com/«fin-platform»/«settle-svc»\n * branch main -> FETCH_HEAD\n"),
        ],
        negative: &[
            // a public project's URL, a clone over HTTPS, a `url` outside a remote section
            ok("See https://github.com/psf/requests/issues/6432 and git clone https://github.com/pallets/flask\n"),
            // a contributing guide's commands
            ok("    git clone git@github.com:Instagram/LibCST.git libcst\n    git remote add upstream https://github.com/Instagram/LibCST.git\n"),
            ok("[pypi]\nurl = https://github.com/pypa/pip.git\n"),
            ok("To do this, run it from the top.\nFrom here on, nothing changes.\n"),
        ],
    },
    Row {
        rtype: "k8s_name",
        found_by: &[Format, Flag, CliColumn],
        positive: &[
            // `kubectl get pods`: a Deployment's pods carry its name, a hash and a suffix
            ok("NAME                                 READY   STATUS    RESTARTS   AGE\n«settlement-worker»-7d9f8b6c5d-x2x9k   1/1     Running   0          3d\n«ledger-api»-5c8b9d7f6b-qwz4p          1/1     Running   2          3d\n"),
            ok(r#"{"type": "tool_result", "content": "Error from server (NotFound): pods \"«intake-sync»-6f7c9d8b4-p2mzq\" not found"}"#),
            ok(r#"{"content": "NAME   READY\n«settle-worker»-7d9f8b6c5d-x2x9k   1/1\n"}"#),
            ok("deployment.apps/«payout-router» restarted\nhorizontalpodautoscaler.autoscaling/«payout-router» unchanged\n"),
            ok(r#"{"command": "kubectl rollout restart deployment «payout-router» -n «payments-prod»"}"#),
            ok("$ kubectl logs -f deploy/«ledger-api» --namespace=«fin-core» --tail 50\n"),
            ok("kubectl delete pod «ledger-api»-5c8b9d7f6b-qwz4p -n «fin-core»\n"),
            // a manifest's metadata, raw and in a tool result
            ok("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: «payout-router»\n  namespace: «fin-core»\n  labels:\n    name: x\nspec:\n  replicas: 2\n"),
            ok(r#"{"content": "apiVersion: v1\nkind: Service\nmetadata:\n  # the API\n  name: \"«ledger-gw»\"\n  namespace: «fin-core»\nspec:\n  type: ClusterIP\n"}"#),
            // the NAME and NAMESPACE columns of `kubectl get` and `helm list`
            ok("$ kubectl get ingress -A\nNAMESPACE   NAME         CLASS   HOSTS   ADDRESS   PORTS   AGE\n«fin-core»    «ledger-gw»    alb     *       -         80      41d\n\n$ helm list -n «fin-core»\nNAME          NAMESPACE   REVISION   STATUS     CHART\n«recon-jobs»    «fin-core»    14         deployed   recon-jobs-2.3.1\n"),
            // `kubectl describe`'s header, raw and in a tool result (a pod's random parts stay)
            ok("$ kubectl describe deploy\nName:                   «payout-router»\nNamespace:              «fin-core»\nCreationTimestamp:      Mon, 30 Nov 2026 10:00:00 +0000\n"),
            ok(r#"{"content": "Name:             «ledger-api»-5c8b9d7f6b-qwz4p\nNamespace:        «fin-core»\nPriority:         0\n"}"#),
            // where `describe` says a container's variable comes from
            ok("      STRIPE_KEY:  <set to the key 'stripe' in secret '«payments-secrets»'>  Optional: false\n      CONFIG:      <set to the key 'cfg' of config map '«ledger-config»'>  Optional: false\n"),
            ok(r#"{"type": "tool_use", "id": "toolu_01Kg", "name": "Bash", "input": {"command": "kubectl get deploy,svc"}}]}, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01Kg", "content": "NAME                          READY   UP-TO-DATE\ndeployment.apps/«payout-router»   2/2     2\n\nNAME                 TYPE        CLUSTER-IP\nservice/«payout-router»   ClusterIP   172.20.14.9\n"}"#),
            // the names of the containers `docker ps` and `docker compose ps` list, raw and in a
            // tool result, and Compose's services (the replica number Compose appends stays)
            ok(concat!(
                "$ docker ps\n",
                "CONTAINER ID   IMAGE            COMMAND                  CREATED       ",
                "STATUS                 PORTS                    NAMES\n",
                "3f1c2a9b8d7e   postgres:15      \"docker-entrypoint.s…\"   2 hours ago   Up 2 ",
                "hours (healthy)   0.0.0.0:5432->5432/tcp   «ledger-pg»\n",
                "9a8b7c6d5e4f   ledger-api:dev   \"uvicorn app:app --h…\"   2 hours ago   Up 2 ",
                "hours             0.0.0.0:8000->8000/tcp   «ledger-api-local»\n",
            )),
            ok(concat!(
                r#"{"type": "tool_result", "content": "CONTAINER ID   IMAGE        "#,
                r#"COMMAND                  CREATED       STATUS       PORTS      NAMES\n"#,
                r#"4f1c2a9b8d7e   worker:dev   \"python -m billing.w…\"   2 hours ago   Up 2 "#,
                r#"hours              «billing-worker»-1\n"#,
                r#"7d3e2a9b8d7e   redis:7      \"docker-entrypoint.s…\"   3 days ago    Up 3 "#,
                r#"days    6379/tcp   nostalgic_hopper\n"}"#,
            )),
            ok(concat!(
                "NAME              IMAGE            COMMAND                  SERVICE          ",
                "CREATED         STATUS         PORTS\n",
                "«ledger-api»-1      ledger-api:dev   \"uvicorn app:app…\"       api              ",
                "2 minutes ago   Up 2 minutes   0.0.0.0:8000->8000/tcp\n",
                "«ledger-worker»-1   ledger-api:dev   \"python -m worker\"       ",
                "«billing-worker»   2 minutes ago   Up 2 minutes\n",
                "«ledger-db»-1       postgres:15      \"docker-entrypoint.s…\"   db               ",
                "2 minutes ago   Up 2 minutes   5432/tcp\n",
            )),
        ],
        negative: &[
            // the cluster's own components, public software, paths and words without a kind
            ok("coredns-5d78c9869d-4kz8m   1/1   Running\nkube-proxy-x2x9k   1/1   Running\nnginx-7d9f8b6c5d-x2x9k\n"),
            ok("kubectl get pods -n kube-system\nkubectl logs deploy/aws-load-balancer-controller -n kube-system\nkubectl -n production get pods\n"),
            ok("see deploy/k8s/app.yaml and services/api; run make deploy\n"),
            ok("cd deploy/terraform && terraform plan\nthe read-only-replica-check and well-known-words stay\n"),
            ok("pod-template-hash=7d9f8b6c5d, suffix -x2x9k\n"),
            // a `metadata:` outside a Kubernetes document, a system namespace
            ok("package:\n  metadata:\n    name: requests-toolbelt\n"),
            ok("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coredns\n  namespace: kube-system\n"),
            // `Name:` and `Namespace:` lines not laid out as `describe` prints them, a system
            // namespace
            ok("Name: orders-api\nNamespace:   fin-core\nName:      coredns\nNamespace: kube-system\n"),
            ok("Namespace:   fin-core\nThe Name:    orders-api\n"),
            ok("      CA:  <set to the key 'ca.crt' of config map 'kube-root-ca.crt'>\nstored in secret 'x' and more\n"),
            // a table in JSON output, the system namespace's components
            ok("$ kubectl get pods -o json\nNAME is a field\nkubectl get svc -n kube-system\nNAME       TYPE        CLUSTER-IP\nkube-dns   ClusterIP   10.100.0.10\n"),
            // names docker made up and plain words, a table's header alone, another table's
            // names
            ok(concat!(
                "CONTAINER ID   IMAGE         COMMAND                  CREATED      ",
                "STATUS                  PORTS      NAMES\n",
                "1b2c3d4e5f60   redis:7       \"docker-entrypoint.s…\"   3 days ago   Up 3 ",
                "days               6379/tcp   nostalgic_hopper\n",
                "2b2c3d4e5f61   postgres:15   \"docker-entrypoint.s…\"   3 days ago   Up 3 ",
                "days               5432/tcp   postgres\n",
                "3b2c3d4e5f62   nginx:1.27    \"/docker-entrypoint.…\"   3 days ago   Up 3 ",
                "days               80/tcp     web-1\n",
                "4b2c3d4e5f63   busybox       \"sh\"                     3 days ago   Exited (0) ",
                "3 days ago              festive_lovelace7\n",
            )),
            ok(concat!(
                "CONTAINER ID   IMAGE   COMMAND   CREATED   STATUS   PORTS   NAMES\n",
                "$ docker compose ps\n",
                "NAME      IMAGE     COMMAND   SERVICE   CREATED   STATUS    PORTS\n",
            )),
            ok(concat!(
                "Package            Version\n------------------ -------\n",
                "ledger-sdk         1.4.2\nNAME   COMMAND   SERVICE   STATUS\n",
                "then ledger-api is up\n",
            )),
        ],
    },
    Row {
        rtype: "aws_account_id",
        found_by: &[Field, Format, Flag],
        positive: &[
            // as the console writes it, copied into a prompt, and in a switch-role link
            ok("Account ID: «7301-4529-8361»\nswitch to «4182-9573-6104» (prod), then run it\n"),
            ok("https://signin.aws.amazon.com/switchrole?roleName=ledger-deploy&account=«730145298361»&displayName=prod"),
            ok(r#""Arn": "arn:aws:organizations::«604218873315»:account/o-k3x9q2w7vz/«518274639012»""#),
            ok(r#""OwnerId": "«832010733749»","#),
            ok("arn:aws:iam::«720352852310»:root"),
            ok("aws organizations describe-account --account-id «915920749898»"),
        ],
        negative: &[
            // a card number's four groups, a key's groups, one digit repeated
            ok("card 4111-1111-1111-1111 and 5500-0000-0000-0004; serial A1B2-1234-5678-9012; 0000-0000-0000\n"),
            ok(r#""Timestamp": "202611021103""#),
            ok("order 123456789012345 shipped"),
            ok("arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ],
    },
    Row {
        rtype: "aws_arn",
        found_by: &[Format],
        positive: &[
            ok(r#""CertificateArn": "arn:aws:acm:us-east-1:179569051243:certificate/«70876d87-d875-51d3-ca99-e23dcbd8dedb»""#),
        ],
        negative: &[
            ok(r#""PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess""#),
            ok("trace id 70876d87-d875-51d3-ca99-e23dcbd8dedb"),
        ],
    },
    Row {
        rtype: "aws_access_key_id",
        found_by: &[Format],
        positive: &[
            ok("aws_access_key_id = AKIA«K4BN7WNE2VAY5MKH»"),
            ok(r#""AccessKeyId": "ASIA«CO3U7BFDHOTCQY46»","#),
        ],
        negative: &[
            gap(
                "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
                "the access key id of the AWS documentation is masked like a real one",
            ),
            ok("AKIAXUPJXAZCSI"),
        ],
    },
    Row {
        rtype: "aws_iam_unique_id",
        found_by: &[Format, Field],
        positive: &[
            ok(r#""RoleId": "AROA«GDFQOVWJLRB3Y6QC6»","#),
            ok(r#""UserId": "AIDA«MCRECDFTEAJWR55Z2»""#),
        ],
        negative: &[
            ok("AROA is the role id prefix"),
            ok(r#""UserId": "AIDA""#),
        ],
    },
    Row {
        rtype: "aws_kms_key_id",
        found_by: &[Format, Field, Phrase],
        positive: &[
            ok(r#""KeyId": "arn:aws:kms:eu-west-1:961114053704:key/«b1a2a2cc-1bf0-bb81-6766-44ab24918b1e»""#),
            ok("decrypting with KMS key «e1b81942-1bf0-bb81-6766-44ab24918b1e»"),
        ],
        negative: &[
            ok("request id 70876d87-d875-51d3-ca99-e23dcbd8dedb completed"),
            ok("monkey b1a2a2cc-1bf0-bb81-6766-44ab24918b1e"),
        ],
    },
    Row {
        rtype: "aws_route53_zone_id",
        found_by: &[Format, Field, Flag],
        positive: &[
            ok(r#""Id": "/hostedzone/Z«KQ3YTUWBFCSNV»","#),
            ok("aws route53 list-resource-record-sets --hosted-zone-id Z«XTCFLKFOZ5IQ»"),
            // an alias to a record of the user's own zone
            ok(r#"{"AliasTarget": {"HostedZoneId": "Z«0123456789ABCDEFGHIJ»", "DNSName": "app.tallyco.io.", "EvaluateTargetHealth": false}}"#),
        ],
        negative: &[
            // an alias to a load balancer: the zone is the service's, every account's
            ok(r#"{\"AliasTarget\": {\"HostedZoneId\": \"Z35SXDOTRQ7X7K\", \"DNSName\": \"dualstack.ledger-alb-1234567890.us-east-1.elb.amazonaws.com.\"}}"#),
            ok("ZONE is the keyword"),
            ok(r#""Id": "/hostedzone/""#),
        ],
    },
    Row {
        rtype: "aws_cognito_client_id",
        found_by: &[Field, Flag, CliColumn],
        positive: &[
            ok(r#""ClientId": "«7dq2mv9k4r1xw8s0bnt3pjc5he»","#),
            ok(r#"{\"UserPoolId\": \"eu-west-1_Rt5Kw2Pq8\", \"ClientId\": \"«3k8w1r7m0q5z2v9c4n6d1xbthp»\"}"#),
            ok("aws cognito-idp describe-user-pool-client --user-pool-id eu-west-1_Rt5Kw2Pq8 --client-id «5vh0q2n8k4w7r1m3z9c6t2sdpb»"),
            ok("COGNITO_APP_CLIENT_ID=«2z6t9w1k4q8m3v7r0c5n1hdxjb»\nCOGNITO_REGION=eu-west-1\n"),
            ok("  aws_user_pools_web_client_id: '«4m1q8z3v6c0w2k9r7t5n3bxpfl»',"),
            ok("  user_pool_client_id = \"«9r3w6k1m4q7z0v2c8t5n6jxbdh»\"\n"),
            // `list-user-pool-clients --output text`: ClientId, ClientName, UserPoolId
            ok("USERPOOLCLIENTS\t«6t1c8w3q5k0z2m9v4r7n1pxgah»\tledger-web\teu-west-1_Rt5Kw2Pq8\n"),
            ok(r#"USERPOOLCLIENT\t«1w7k3q9z5m2v8c4t0r6n3gxbsd»\tledger-web\t4k9w2r7m1q6z3v8c5t0n7j2x4b9h1d6s3f8p5l0a7e2g4i9u1y\t30\n"#),
        ],
        negative: &[
            // other providers' OAuth client ids, and ids of other lengths
            ok(r#""client_id": "812937465021-5kq0v8r2mz7xw1c3n9t4b6h0pd2sa1fe.apps.googleusercontent.com""#),
            ok(r#""clientId": "4f1c9a2e-7b3d-4e8a-9c6f-2d1b0a7e3c8f""#),
            ok("GITHUB_CLIENT_ID=Iv1.8a61f9b3a7aba766"),
            ok(r#""ClientId": "abcdefghijklmnopqrstuvwxyz""#),
            ok(r#""ClientIdIssuedAt": 1764000000, "RequestId": "3k8w1r7m0q5z2v9c4n6d1xbthp7""#),
            ok("USERPOOLCLIENTS\tledger-web\tadmin-console\n"),
        ],
    },
    Row {
        rtype: "aws_canonical_user_id",
        found_by: &[Field, Flag, CliColumn],
        positive: &[
            // `s3api get-bucket-acl`, `list-buckets`: the owner and each grantee
            ok(r#""Owner": {"DisplayName": "ops-ledger", "ID": "«3e5c7a9b1d0f2e4c6a8b0d2f4e6a8c1b3d5f7e9a0c2b4d6f8e1a3c5b7d9f0e2a»"},"#),
            ok(r#"{\n    \"DisplayName\": \"ops-ledger\",\n    \"ID\": \"«9a7c5e3b1d0f8a6c4e2b0d9f7a5c3e1b8d6f4a2c0e9b7d5f3a1c8e6b4d2f0a9c»\"\n}"#),
            ok(r#""Grantee": {"ID": "«b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f2a4b6c8d0e1f3a5b7c9d2e4f6a8b0c1»", "Type": "CanonicalUser"}, "Permission": "READ""#),
            ok(r#""Principal": {"CanonicalUser": "«4d6f8a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f»"}"#),
            ok("  S3CanonicalUserId: «8e0a2c4b6d8f1e3a5c7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c»\n"),
            ok("aws s3api put-bucket-acl --bucket exports-7 --grant-read id=«c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6»,id=«0f2e4d6c8b0a1f3e5d7c9b1a3f5e7d9c0b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e»"),
            ok(r#"aws s3api put-object-acl --bucket exports-7 --key a.csv --grant-full-control id=\"«7b9d1f3a5c7e9b0d2f4a6c8e1b3d5f7a9c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d»\""#),
            ok("      grantee {\n        id   = \"«2a4c6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c»\"\n        type = \"CanonicalUser\"\n      }\n"),
            // `--output text`: OWNER and GRANTEE rows
            ok("OWNER\tops-ledger\t«5f7a9c1e3b5d7f9a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a»\n"),
            ok(r#"GRANTS\tREAD\nGRANTEE\t«e3b5d7f9a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b0d2f4a6c8e1b3d5f7a9c0e2b4»\tCanonicalUser\n"#),
        ],
        negative: &[
            // digests and container ids under an id key, outside any S3 ACL
            ok(r#"[{"Id": "5e0c8a3f19d27b64ea01c9f38d7b2a6e4f1c0d9b8a7e6f5d4c3b2a1908f7e6d5", "Created": "2026-11-02T10:11:12Z", "Name": "/ledger-api"}]"#),
            ok(r#""id": "sha256:5e0c8a3f19d27b64ea01c9f38d7b2a6e4f1c0d9b8a7e6f5d4c3b2a1908f7e6d5""#),
            ok("Owner: ops team (see 5e0c8a3f19d27b64ea01c9f38d7b2a6e4f1c0d9b8a7e6f5d4c3b2a1908f7e6d5)"),
            ok(r#""Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}"#),
            ok("OWNER\tops-ledger\n"),
            ok("sha256sum: 3e5c7a9b1d0f2e4c6a8b0d2f4e6a8c1b3d5f7e9a0c2b4d6f8e1a3c5b7d9f0e2a  release.tar.gz"),
        ],
    },
    Row {
        rtype: "aws_hostname",
        found_by: &[Format, Field],
        positive: &[
            // an account's alias in its sign-in address
            ok("https://«tallyco-prod».signin.aws.amazon.com/console"),
            ok("ssh ec2-user@ec2-«54-152-154-116».compute-1.amazonaws.com"),
            // the account's own zones and records, as Route 53 names them (with the root's dot)
            ok(r#"{"HostedZones": [{"Id": "/hostedzone/ZONEID", "Name": "«tallyco.io».", "Config": {"PrivateZone": false}}]}"#),
            // a name is masked in two parts: the registrable domain, which is remembered, and
            // the labels before it
            ok(r#"{\"ResourceRecordSets\": [{\"Name\": \"«db.internal».«tallyco.io».\", \"Type\": \"CNAME\"}]}"#),
            // `dig`'s sections and Route 53's text output, raw and in a tool result
            ok(";; QUESTION SECTION:\n;«shop».«tallyco.co.uk».\t\t\tIN\tA\n\n;; ANSWER SECTION:\n«shop».«tallyco.co.uk».\t300\tIN\tCNAME\t«edge».«tallyco.co.uk».\n"),
            ok(r#""content": "RESOURCERECORDSETS\t«ledger».«tallyco.io».\t300\tA\nRESOURCERECORDS\t10.0.1.5\n""#),
            // the domains the account's resources serve or prove: ACM certificates, CloudFront's
            // alternate names, custom domains, SES identities (`api` stays)
            ok(r#"{"CertificateArn": "arn:aws:acm:us-east-1:604218873315:certificate/4f1c2a9e-1b2c-4d5e-9f00-1234567890ab", "DomainName": "api.«tallyco.io»", "SubjectAlternativeNameSummaries": ["api.«tallyco.io»", "*.«tallyco.io»"]}"#),
            ok(r#"{\"Id\": \"E2QWRUHAPOMQZL\", \"Aliases\": {\"Quantity\": 2, \"Items\": [\"cdn.«ledgerline.com»\", \"«assets».«ledgerline.com»\"]}}"#),
            ok(r#"{"items": [{"domainName": "«payments».«ledgerline.com»", "regionalDomainName": "«d-abc123xyz».execute-api.us-east-1.amazonaws.com"}]}"#),
            ok(r#"{"IdentityType": "DOMAIN", "IdentityName": "«mail».«ledgerline.com»"}, {"IdentityType": "EMAIL_ADDRESS", "IdentityName": "billing@«tallyco.co.uk»"}"#),
            ok("aws acm request-certificate --domain-name «portal».«tallyco.io» --validation-method DNS"),
            // a list in YAML output, one item a line
            ok("Certificate:\n  SubjectAlternativeNames:\n  - «portal».«ledgerline.com»\n  - '*.«ledgerline.com»'\n  Status: ISSUED\n"),
            ok("https://«zv9dsc1828l0c».cloudfront.net/assets/app.js"),
            ok("https://search-orders-search-k4-«x7q2m9vbt3kd8wz1rp5nafc6ye».eu-west-1.es.amazonaws.com/_search"),
            // a name field holding a host: the host's own labels are the name, not its suffix
            ok(r#""DomainName": "«d2hx7kq0wv3m9a».cloudfront.net","#),
            // ElastiCache's primary and reader endpoints keep master. and replica.
            ok("redis-cli -h master.sessions-redis.«x8k2pq».usw2.cache.amazonaws.com -p 6379 --tls"),
            ok("replica.sessions-redis.«x8k2pq».usw2.cache.amazonaws.com:6379"),
            // the host of a connection string, not a cluster's service name
            ok("REDIS_URL=rediss://default:Xk4mP9qRt2vWz8@«cache».«tallyco.internal»:6380/0\nDB=postgres://app@«pg-main».«tallyco.io»/app\nQ=amqp://mq.ledger.svc.cluster.local:5672\n"),
            // a database client's host, named by its flag
            ok("psql -h «ledger-db.corp».«tallyco.internal» -U postgres -c 'select 1'"),
            ok(r#"{"command": "redis-cli -h «cache-01».«tallyco.local» -p 6379 ping"}"#),
            // a host under a private top-level name, in config, logs and a machine's name
            ok("DB_HOST=«ledger-db.corp».«tallyco.internal»\nREDIS_HOST=«cache».«tallyco.lan»\n"),
            ok(r#"{"content": "ERROR dial tcp: lookup «vault.corp».«tallyco.internal»: no such host\n  server: https://«k8s-api».«tallyco.corp»:6443\n"}"#),
            ok("10.42.3.11 «grafana».«tallyco.corp» grafana\n«Priyas-MacBook-Pro.local» is up\n"),
            // a host field's subdomain, in env files, JSON, YAML and inventories
            ok("DB_HOST=«pg-main».«tallyco.io»\nREDIS_HOST=«cache-7».«ledgerline.com»:6379\n"),
            ok(r#"{"host": "«es-logs».«tallyco.net»", "port": 9200, "redisHost": "«sessions».«tallyco.net»"}"#),
            ok(concat!(
                "«web-01» ansible_host=«web-01.eu».«tallyco.io» ansible_user=ubuntu\n",
                "  hostname: «kafka-1».«tallyco.io»\n",
            )),
            // fields listing the application's own hosts, or its own address, in env files,
            // settings and manifests (a YAML block list too)
            ok("ALLOWED_HOSTS=«api.payments».«tallyco.io»,.«tallyco.io»,localhost\nCORS_ORIGINS=https://«app.payments».«tallyco.io»\n"),
            ok("NEXT_PUBLIC_SITE_URL=https://«portal».«ledgerline.com»/\nNEXTAUTH_URL=https://«portal».«ledgerline.com»\n"),
            ok(r#"{"content": "spec:\n  tls:\n    - hosts:\n        - «api.payments».«tallyco.io»\n        - \"«admin».«tallyco.io»\"\n      secretName: payments-tls\n"}"#),
            // an ssh_config host block: the names the user gave, its host, its jump hosts
            ok("Host «bastion-prod» «bastion»\n    HostName «bastion».«tallyco.net»\n    User ops\n    IdentityFile ~/.ssh/ops.pem\nHost «db-tunnel» # through the bastion\n    HostName 10.42.7.19\n    ProxyJump ops@«bastion-prod»:2222,«jump-01»\n"),
            ok(r#"{"content": "Host «ledger-box»\n  HostName «dev-7».«tallyco.io»\n  ForwardAgent yes\n"}"#),
            // the hosts an Ingress serves, as `kubectl get ingress` lists them (in a tool result
            // too); its load balancer's name is AWS's
            ok("NAME         CLASS   HOSTS                                   ADDRESS                                                        PORTS     AGE\nledger-api   alb     «api.payments».«tallyco.io»,«ledger».«tallyco.io»   «k8s-payments-ledgerap-5f3c2b1a9e-1234567890».us-east-1.elb.amazonaws.com   80, 443   41d\nwebhooks     alb     «hooks».«tallyco.io» + 1 more...            «k8s-payments-webhooks-0a1b2c3d4e-9876543210».us-east-1.elb.amazonaws.com   80        2d\n"),
            ok(r#"{"content": "NAMESPACE   NAME     CLASS   HOSTS                 ADDRESS   PORTS   AGE\npayments    portal   nginx   «portal».«ledgerline.com»   10.42.3.9   80      3h\n"}"#),
            // fields naming the user's domain, in env files, settings and `terraform output`
            ok("APP_DOMAIN=«tallyco.io»\nSESSION_COOKIE_DOMAIN=.«tallyco.io»\nMAILGUN_DOMAIN=mg.«tallyco.io»\n"),
            ok("api_domain = \"«api.payments».«tallyco.io»\"\ndb_port = 5432\n"),
            ok(r#"{"cookieDomain": "«ledgerline.com»", "domains": ["«ledgerline.com»", "www.«ledgerline.com»"]}"#),
            // the names a web server answers to, in nginx's and Apache's configuration
            ok("server {\n    listen 443 ssl;\n    server_name «api.payments».«tallyco.io» .«tallyco.io»;\n"),
            ok(r#"{"content": "<VirtualHost *:443>\n\tServerName «portal».«ledgerline.com»:443\n\tServerAlias «www2».«ledgerline.com»\n"}"#),
            ok("server {\n\tserver_name\t«billing-admin».«ledgerline.io»\t«billing».«ledgerline.io»;\n}\n"),
            // Route 53 zones and records in infrastructure code: Terraform as written and as
            // `terraform plan` prints it, CloudFormation (an alias target is its own rule's)
            ok(r#"data \"aws_route53_zone\" \"main\" {\n  name         = \"«tallyco.io».\"\n  private_zone = false\n}"#),
            ok("  + resource \"aws_route53_record\" \"api\" {\n      + name    = \"«api.payments».«tallyco.io»\"\n      + alias {\n          + name = \"dualstack.«k8s-ledger-1234».eu-west-1.elb.amazonaws.com\"\n"),
            ok("  ApiDns:\n    Type: AWS::Route53::RecordSet\n    Properties:\n      HostedZoneName: «ledgerline.com».\n      Name: «status».«ledgerline.com».\n"),
            // a load balancer's alias name keeps the `dualstack.` AWS puts before it
            ok(r#""DNSName": "dualstack.«ledger-alb-1234567890».us-east-1.elb.amazonaws.com.""#),
            // an Ansible inventory's hosts: the names and aliases the user gave them, in INI
            // (under a group, or a name that is no plain word) and in YAML
            ok(concat!(
                "[db]\n«ledger-db-primary» ansible_host=10.42.7.15 ansible_user=ubuntu\n",
                "«ledger-db-replica»   ansible_host=10.42.7.16   # the replica\n\n[jump]\n",
                "«jump01» ansible_host=52.19.44.201\n",
                "«bastion» ansible_host=52.19.44.202 ansible_ssh_common_args='-o ",
                "StrictHostKeyChecking=no'\n",
            )),
            ok(concat!(
                r#"{"type": "tool_result", "content": "«settle-worker-02».«tallyco.io»:2222 "#,
                r#"ansible_user=deploy ansible_become=true\n"#,
                r#"«recon-box» http_port=8080 ansible_host=10.42.9.4 "#,
                r#"ansible_ssh_extra_args=\"-o "#,
                r#"ServerAliveInterval=30\"\n"}"#,
            )),
            ok(concat!(
                "all:\n  children:\n    ledger:\n      hosts:\n        «ledger-db-primary»:\n",
                "          ansible_host: 10.42.7.15\n          ansible_user: ubuntu\n",
                "        «ledger-db-replica»: {ansible_host: 10.42.7.16}\n    web:\n      hosts:\n",
                "        «web-frontend-01»:\n",
            )),
            ok(concat!(
                r#"{"content": "all:\n  hosts:\n    «jump01»:\n      ansible_host: 52.19.44.201\n"#,
                r#""}"#,
            )),
            // the hosts of `ansible-inventory --graph`, not its groups
            ok("@all:\n  |--@ungrouped:\n  |--@billing:\n  |  |--«billing-worker-01»\n  |  |--«ledger-db».«tallyco.lan»\n  |--@jump:\n  |  |--«bastion»\n"),
            // a hosts file: the names of the block of `address name…` lines around its
            // `localhost` entry; the system's own names and a blocklist's `0.0.0.0` lines stay
            ok("127.0.0.1\tlocalhost\n127.0.1.1\t«devbox-priya»\n::1\t\tlocalhost ip6-localhost ip6-loopback\n10.20.4.17 «billing-worker-01» «billing-worker-01».«ledger.internal»\n10.20.4.18 «billing-worker-02»   # the spare\n0.0.0.0 ads.example-tracker.com\n"),
        ],
        negative: &[
            // `localhost` in prose, and a line that names no machine after an address
            ok("the server runs on localhost port 8080\n10.0.0.5 is the bastion and localhost is not\n"),
            // the sign-in service's own regional and global hosts
            ok("https://us-east-1.signin.aws.amazon.com/oauth\nhttps://signin.aws.amazon.com/switchrole\n"),
            // a name ending a sentence, a version, AWS's own zone names, a wildcard record
            ok(r#"{"Name": "see tallyco.io.", "Other": {"Name": "v1.2."}}"#),
            ok(r#"{"Name": "eu-west-1.compute.amazonaws.com.", "Type": "A"}"#),
            ok(r#"{"Name": "\\052.tallyco.io.", "Type": "A"}"#),
            // AWS's own hosts, a value that is no host
            ok(r#""Aliases": {"Quantity": 0}, "Origins": {"Items": [{"DomainName": "orders.s3.amazonaws.com"}]}"#),
            ok(r#"{"SubjectAlternativeNames": ["*.execute-api.us-east-1.amazonaws.com"], "IdentityName": "not a host"}"#),
            ok("Docs are at docs.tallyco.io.\nSee setup.py.\tv1.2.\tThanks.\nelb.amazonaws.com.\t60\n"),
            ok("ec2.us-east-1.amazonaws.com"),
            ok("sts.amazonaws.com"),
            // host fields naming services everyone uses, a registrable domain alone, a trace's
            // HTTP header
            ok("SMTP_HOST=smtp.gmail.com\nSENTRY_HOST=o1.ingest.sentry.io\nDB_HOST=localhost\n"),
            ok(r#"{"host": "api.stripe.com", "hostname": "tallyco.io", "host": "10.0.0.5"}"#),
            ok("const opts = { host: this.proxyURL.host, hostname: proxyURL.hostname };\n"),
            ok("> GET /v1 HTTP/1.1\n> Host: api.partner-bank.com\n> User-Agent: curl/8.4.0\n"),
            // domain fields naming a vendor's tenant, a test domain, a word, AWS's own
            ok("AUTH0_DOMAIN=tallyco.us.auth0.com\nOKTA_DOMAIN=tallyco.okta.com\nDOMAIN=example.com\n"),
            ok(r#"{"Domain": "vpc", "domain": "ec2.internal", "search_domain": "us-west-2.compute.internal", "USERDOMAIN": "CORP"}"#),
            // own-address keys naming a vendor's API or a local server; plain `url` keys; an
            // HTTP `Origin` header; a playbook's host group
            ok("OPENAI_BASE_URL=https://api.openai.com/v1\nAPI_URL=http://localhost:8000\nSTRIPE_API_URL=https://api.stripe.com\n"),
            ok(r#"{"url": "https://docs.tallyco.io/setup", "homepage": "https://www.tallyco.io"}"#),
            ok("> Origin: https://app.partner-bank.com\n- hosts: webservers\n  become: true\n"),
            // ssh_config blocks for a forge and for every host, a `Host` line in prose
            ok("Host github.com\n  HostName github.com\n  User git\n  IdentityFile ~/.ssh/id_ed25519\nHost *\n  ServerAliveInterval 60\n"),
            ok("Host keys are checked on first use.\nHost bastion-prod is down\n"),
            // private top-level names in code and software's own hosts under them
            ok("_local = threading.local()\nfrom google.protobuf.internal import builder\n"),
            ok("import com.tallyco.internal.Settle;\nself.cache.local = x\nwerkzeug.local\n"),
            ok("curl http://host.docker.internal:8080 kubernetes.default.svc.cluster.local\n"),
            ok("us-east-1.compute.internal and metadata.google.internal\n"),
            // an example's, a test's and a pattern's server names; code naming a variable so;
            // a zone's name in prose
            ok("server_name example.com www.example.com;\n  server_name ~^(?<app>.+)\\.dev\\.io$;\n"),
            ok("    server_name myapp.test;\nserver_name = request.headers['Host']\n"),
            ok("The aws_route53_zone resource takes a name such as ledgerline.com.\n"),
            // an inventory's local hosts, a range, a group's variables; a plain word outside a
            // group, prose, a shell and code naming Ansible's variables; a playbook's and an
            // ingress's hosts
            ok(concat!(
                "[local]\nlocalhost ansible_connection=local\n127.0.0.1 ansible_connection=local\n",
                "web[01:20].example.com ansible_user=deploy\n\n[db:vars]\nansible_user=ubuntu\n",
            )),
            ok(concat!(
                "Set ansible_host=10.0.0.5 for the box, then run it again.\n",
                "export ansible_user=ubuntu\nbastion ansible_host=52.19.44.202\n",
            )),
            ok(concat!(
                "inventory.add_host(\"web01\", ansible_host=\"10.0.0.5\")\n",
                "host_vars = {\"ansible_user\": \"ubuntu\"}\n",
            )),
            ok(concat!(
                "- hosts: webservers\n  become: true\nspec:\n  tls:\n    - hosts:\n",
                "        - ledger.example.com\n  hosts:\n    ledger-api:\n      port: 80\n",
            )),
        ],
    },
    Row {
        rtype: "aws_sqs_queue_url",
        found_by: &[Format],
        positive: &[
            ok(r#""QueueUrl": "https://sqs.us-east-1.amazonaws.com/626022562194/«billing-events-lgr»""#),
            // a FIFO queue keeps the `.fifo` its name must end with
            ok(r#""QueueUrl": "https://sqs.eu-west-1.amazonaws.com/626022562194/«ledger-settle».fifo""#),
        ],
        negative: &[
            ok("https://sqs.us-east-1.amazonaws.com/"),
            ok("sqs queue created"),
        ],
    },
    Row {
        rtype: "aws_s3_bucket",
        found_by: &[Format, Field, Flag],
        positive: &[
            ok("aws s3 cp report.csv s3://«ledger-exports-6fx01s»/2026/11/"),
            ok(r#""Bucket": "«media-2wf8pu»","#),
            ok("upload: ./a.txt to s3://«tf-state-cvpym»/a.txt"),
            // `s3api list-buckets --output yaml`
            ok("Buckets:\n- Name: «ledger-exports-2kq»\n  CreationDate: '2025-02-11T09:12:44+00:00'\n"),
            ok(r#"Buckets:\n- CreationDate: '2025-02-11T09:12:44+00:00'\n  Name: «tf-plans-7ha»\n"#),
            // a number glued to the word before it in an environment variable
            ok("S3_BUCKET=«receipts-prod-4kd»\nAWS_REGION=us-east-1\n"),
            ok(r#""s3-bucket-name": "«audit-trail-x7q»","#),
            // `--query` selecting each bucket's name, `--output text`
            ok("$ aws s3api list-buckets --query 'Buckets[].Name' --output text\n«acme-ledger-raw-7»\t«fin-exports-q2»\n"),
        ],
        negative: &[
            ok("s3://bucket/key"),
            ok("s3://ab/x"),
            // a YAML `Name` with no creation date beside it is no bucket
            ok("- Name: build-cache-9\n  Image: node:20\n"),
        ],
    },
    Row {
        rtype: "aws_rds_resource_id",
        found_by: &[Format, Field],
        positive: &[
            ok(r#""DbiResourceId": "db-«L1442GAQJVCHRZ9SZXI5GHHT31»","#),
        ],
        negative: &[
            ok("db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            ok(r#""DbiResourceId": "db-""#),
        ],
    },
    Row {
        rtype: "aws_ami_id",
        found_by: &[Format],
        positive: &[
            ok(r#""AmiId": "ami-«ecf3aae33358359bf»","#),
            ok(r#"AMIIDS\tami-«dc3c3101»\tavailable"#),
        ],
        negative: &[
            ok(r#""AmiId": "ami-35914c7""#),
            ok("ami-DEADBEEF in the docs"),
            ok("ami-default"),
        ],
    },
    Row {
        rtype: "aws_bundle_task_id",
        found_by: &[Format],
        positive: &[
            ok(r#"BUNDLETASKIDS\tbun-«f80eb343»\tavailable"#),
            ok("|  BundleTaskId        |  bun-«8ff2144965d2dbe70»  |"),
        ],
        negative: &[
            ok(r#""BundleTaskId": "bun-1b0dca3""#),
            ok("bun-DEADBEEF in the docs"),
            ok("bun-default"),
        ],
    },
    Row {
        rtype: "aws_capacity_reservation_id",
        found_by: &[Format],
        positive: &[
            ok("|  CapacityReservationId|  cr-«49d9520eb48071f36»  |"),
            ok("2026-11-03 08:41:22 INFO attached cr-«1bdeea88» to the stack"),
        ],
        negative: &[
            ok(r#""CapacityReservationId": "cr-45df6e7""#),
            ok("cr-DEADBEEF in the docs"),
            ok("cr-default"),
        ],
    },
    Row {
        rtype: "aws_carrier_gateway_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached cagw-«d0b89488» to the stack"),
            ok(r#""CarrierGatewayId": "cagw-«87b369245b43608bd»","#),
        ],
        negative: &[
            ok(r#""CarrierGatewayId": "cagw-0909e93""#),
            ok("cagw-DEADBEEF in the docs"),
            ok("cagw-default"),
        ],
    },
    Row {
        rtype: "aws_client_vpn_endpoint_id",
        found_by: &[Format],
        positive: &[
            ok(r#""ClientVpnEndpointId": "cvpn-endpoint-«a5ae95e1acc583def»","#),
            ok(r#"CLIENTVPNENDPOINTIDS\tcvpn-endpoint-«65b6ac7e»\tavailable"#),
        ],
        negative: &[
            ok(r#""ClientVpnEndpointId": "cvpn-endpoint-055b7cf""#),
            ok("cvpn-endpoint-DEADBEEF in the docs"),
            ok("cvpn-endpoint-default"),
        ],
    },
    Row {
        rtype: "aws_custom_key_store_id",
        found_by: &[Format],
        positive: &[
            ok(r#"CUSTOMKEYSTOREIDS\tcks-«60b072d1»\tavailable"#),
            ok("|  CustomKeyStoreId    |  cks-«c587a5601148754f3»  |"),
        ],
        negative: &[
            ok(r#""CustomKeyStoreId": "cks-9c31f19""#),
            ok("cks-DEADBEEF in the docs"),
            ok("cks-default"),
        ],
    },
    Row {
        rtype: "aws_customer_gateway_id",
        found_by: &[Format],
        positive: &[
            ok("|  CustomerGatewayId   |  cgw-«ce821e25ed5a5cc1b»  |"),
            ok("2026-11-03 08:41:22 INFO attached cgw-«8b0b33ea» to the stack"),
        ],
        negative: &[
            ok(r#""CustomerGatewayId": "cgw-8e2e173""#),
            ok("cgw-DEADBEEF in the docs"),
            ok("cgw-default"),
        ],
    },
    Row {
        rtype: "aws_dedicated_host_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached h-«a8c74a04» to the stack"),
            ok(r#""DedicatedHostId": "h-«b2305abb901f453aa»","#),
        ],
        negative: &[
            ok(r#""DedicatedHostId": "h-48904e1""#),
            ok("h-DEADBEEF in the docs"),
            ok("h-default"),
        ],
    },
    Row {
        rtype: "aws_dhcp_options_id",
        found_by: &[Format],
        positive: &[
            ok(r#""DhcpOptionsId": "dopt-«0c6f69b2db49bb3fa»","#),
            ok(r#"DHCPOPTIONSIDS\tdopt-«c586c6b8»\tavailable"#),
        ],
        negative: &[
            ok(r#""DhcpOptionsId": "dopt-c8ac6dd""#),
            ok("dopt-DEADBEEF in the docs"),
            ok("dopt-default"),
        ],
    },
    Row {
        rtype: "aws_ebs_snapshot_id",
        found_by: &[Format],
        positive: &[
            ok(r#"EBSSNAPSHOTIDS\tsnap-«5a6f47b7»\tavailable"#),
            ok("|  EbsSnapshotId       |  snap-«c5236b907ef55ae2d»  |"),
        ],
        negative: &[
            ok(r#""EbsSnapshotId": "snap-a19a10d""#),
            ok("snap-DEADBEEF in the docs"),
            ok("snap-default"),
        ],
    },
    Row {
        rtype: "aws_ebs_volume_id",
        found_by: &[Format],
        positive: &[
            ok("|  EbsVolumeId         |  vol-«f2da835c808578d62»  |"),
            ok("2026-11-03 08:41:22 INFO attached vol-«df4d9c93» to the stack"),
        ],
        negative: &[
            ok(r#""EbsVolumeId": "vol-d3ae22b""#),
            ok("vol-DEADBEEF in the docs"),
            ok("vol-default"),
        ],
    },
    Row {
        rtype: "aws_ec2_fleet_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached fleet-«c49bb432» to the stack"),
            ok(r#""Ec2FleetId": "fleet-«5cacf419bfca2afa6»","#),
        ],
        negative: &[
            ok(r#""Ec2FleetId": "fleet-7b1cd33""#),
            ok("fleet-DEADBEEF in the docs"),
            ok("fleet-default"),
        ],
    },
    Row {
        rtype: "aws_ec2_instance_id",
        found_by: &[Format],
        positive: &[
            ok(r#""Ec2InstanceId": "i-«1a42f6338a3c9fc18»","#),
            ok(r#"EC2INSTANCEIDS\ti-«75ea0cd7»\tavailable"#),
        ],
        negative: &[
            ok(r#""Ec2InstanceId": "i-9998e37""#),
            ok("i-DEADBEEF in the docs"),
            ok("i-default"),
        ],
    },
    Row {
        rtype: "aws_efs_id",
        found_by: &[Format],
        positive: &[
            ok(r#"EFSIDS\tfs-«e794c5bf»\tavailable"#),
            ok("|  EfsId               |  fs-«046b505e73caccf31»  |"),
        ],
        negative: &[
            ok(r#""EfsId": "fs-d566625""#),
            ok("fs-DEADBEEF in the docs"),
            ok("fs-default"),
        ],
    },
    Row {
        rtype: "aws_eip_id",
        found_by: &[Format],
        positive: &[
            ok("|  EipId               |  eipalloc-«468a58644974def54»  |"),
            ok("2026-11-03 08:41:22 INFO attached eipalloc-«6f1f9c10» to the stack"),
        ],
        negative: &[
            ok(r#""EipId": "eipalloc-3b5b560""#),
            ok("eipalloc-DEADBEEF in the docs"),
            ok("eipalloc-default"),
        ],
    },
    Row {
        rtype: "aws_elastic_gpu_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached elastic-gpu-«cd7f8c8f» to the stack"),
            ok(r#""ElasticGpuId": "elastic-gpu-«f9d55e490501831d2»","#),
        ],
        negative: &[
            ok(r#""ElasticGpuId": "elastic-gpu-ce28645""#),
            ok("elastic-gpu-DEADBEEF in the docs"),
            ok("elastic-gpu-default"),
        ],
    },
    Row {
        rtype: "aws_export_task_id",
        found_by: &[Format],
        positive: &[
            ok(r#""ExportTaskId": "export-i-«567fafe126f62ff61»","#),
            ok(r#"EXPORTTASKIDS\texport-i-«75e26e86»\tavailable"#),
        ],
        negative: &[
            ok(r#""ExportTaskId": "export-i-f74a78b""#),
            ok("export-i-DEADBEEF in the docs"),
            ok("export-i-default"),
        ],
    },
    Row {
        rtype: "aws_flow_log_id",
        found_by: &[Format],
        positive: &[
            ok(r#"FLOWLOGIDS\tfl-«64711138»\tavailable"#),
            ok("|  FlowLogId           |  fl-«79074f63861c3030f»  |"),
        ],
        negative: &[
            ok(r#""FlowLogId": "fl-6155d5e""#),
            ok("fl-DEADBEEF in the docs"),
            ok("fl-default"),
        ],
    },
    Row {
        rtype: "aws_fpga_image_id",
        found_by: &[Format],
        positive: &[
            ok("|  FpgaImageId         |  afi-«bb64f8e9206cd594e»  |"),
            ok("2026-11-03 08:41:22 INFO attached afi-«497710b8» to the stack"),
        ],
        negative: &[
            ok(r#""FpgaImageId": "afi-8fd706a""#),
            ok("afi-DEADBEEF in the docs"),
            ok("afi-default"),
        ],
    },
    Row {
        rtype: "aws_fsx_svm_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached svm-«d5fa4765» to the stack"),
            ok(r#""FsxSvmId": "svm-«a0903d45b6cf741b6»","#),
        ],
        negative: &[
            ok(r#""FsxSvmId": "svm-ccedc65""#),
            ok("svm-DEADBEEF in the docs"),
            ok("svm-default"),
        ],
    },
    Row {
        rtype: "aws_fsx_volume_id",
        found_by: &[Format],
        positive: &[
            ok(r#""FsxVolumeId": "fsvol-«1cecf8bd1c50bf3fb»","#),
            ok(r#"FSXVOLUMEIDS\tfsvol-«d0f1194a»\tavailable"#),
        ],
        negative: &[
            ok(r#""FsxVolumeId": "fsvol-eb7e965""#),
            ok("fsvol-DEADBEEF in the docs"),
            ok("fsvol-default"),
        ],
    },
    Row {
        rtype: "aws_import_task_id",
        found_by: &[Format],
        positive: &[
            ok(r#"IMPORTTASKIDS\timport-ami-«b3fe5503»\tavailable"#),
            ok("|  ImportTaskId        |  import-ami-«ae621b42b7120ce02»  |"),
        ],
        negative: &[
            ok(r#""ImportTaskId": "import-ami-3894eec""#),
            ok("import-ami-DEADBEEF in the docs"),
            ok("import-ami-default"),
        ],
    },
    Row {
        rtype: "aws_instance_connect_endpoint_id",
        found_by: &[Format],
        positive: &[
            ok("|  InstanceConnectEndpointId|  eice-«53edf6c724b271265»  |"),
            ok("2026-11-03 08:41:22 INFO attached eice-«e81e6495» to the stack"),
        ],
        negative: &[
            ok(r#""InstanceConnectEndpointId": "eice-3d37b03""#),
            ok("eice-DEADBEEF in the docs"),
            ok("eice-default"),
        ],
    },
    Row {
        rtype: "aws_instance_event_window_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached iew-«0808408d» to the stack"),
            ok(r#""InstanceEventWindowId": "iew-«03f97e447f5166900»","#),
        ],
        negative: &[
            ok(r#""InstanceEventWindowId": "iew-1944f97""#),
            ok("iew-DEADBEEF in the docs"),
            ok("iew-default"),
        ],
    },
    Row {
        rtype: "aws_internet_gateway_id",
        found_by: &[Format],
        positive: &[
            ok(r#""InternetGatewayId": "igw-«577380884d4ec9a5f»","#),
            ok(r#"INTERNETGATEWAYIDS\tigw-«e52aa53c»\tavailable"#),
        ],
        negative: &[
            ok(r#""InternetGatewayId": "igw-8007395""#),
            ok("igw-DEADBEEF in the docs"),
            ok("igw-default"),
        ],
    },
    Row {
        rtype: "aws_ipam_id",
        found_by: &[Format],
        positive: &[
            ok(r#"IPAMIDS\tipam-«4606bbfb»\tavailable"#),
            ok("|  IpamId              |  ipam-«ea971e8b1616e1903»  |"),
        ],
        negative: &[
            ok(r#""IpamId": "ipam-2a7c46b""#),
            ok("ipam-DEADBEEF in the docs"),
            ok("ipam-default"),
        ],
    },
    Row {
        rtype: "aws_ipam_pool_id",
        found_by: &[Format],
        positive: &[
            ok("|  IpamPoolId          |  ipam-pool-«010950cc4ddc1144f»  |"),
            ok("2026-11-03 08:41:22 INFO attached ipam-pool-«84002b12» to the stack"),
        ],
        negative: &[
            ok(r#""IpamPoolId": "ipam-pool-3ba1ae8""#),
            ok("ipam-pool-DEADBEEF in the docs"),
            ok("ipam-pool-default"),
        ],
    },
    Row {
        rtype: "aws_ipam_scope_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached ipam-scope-«1a9bee35» to the stack"),
            ok(r#""IpamScopeId": "ipam-scope-«bbca07cd444beb742»","#),
        ],
        negative: &[
            ok(r#""IpamScopeId": "ipam-scope-b4be53e""#),
            ok("ipam-scope-DEADBEEF in the docs"),
            ok("ipam-scope-default"),
        ],
    },
    Row {
        rtype: "aws_ipv4_pool_id",
        found_by: &[Format],
        positive: &[
            ok(r#""Ipv4PoolId": "ipv4pool-ec2-«889556b1b1e533796»","#),
            ok(r#"IPV4POOLIDS\tipv4pool-ec2-«e7adc4d9»\tavailable"#),
        ],
        negative: &[
            ok(r#""Ipv4PoolId": "ipv4pool-ec2-dd77f06""#),
            ok("ipv4pool-ec2-DEADBEEF in the docs"),
            ok("ipv4pool-ec2-default"),
        ],
    },
    Row {
        rtype: "aws_key_pair_id",
        found_by: &[Format],
        positive: &[
            ok(r#"KEYPAIRS\tkey-«0bf51c4df7a3e2d96»\tdeploy-2026\trsa\n"#), // ids are 17 digits; `key-` + 8 is a word
            ok("|  KeyPairId           |  key-«cc3e0ea92b1e4f566»  |"),
        ],
        negative: &[
            ok(r#""KeyPairId": "key-6b3c692""#),
            ok("key-DEADBEEF in the docs"),
            ok("key-default"),
        ],
    },
    Row {
        rtype: "aws_launch_template_id",
        found_by: &[Format],
        positive: &[
            ok("|  LaunchTemplateId    |  lt-«d23a67644b5645261»  |"),
            ok("2026-11-03 08:41:22 INFO attached lt-«954a04cc» to the stack"),
        ],
        negative: &[
            ok(r#""LaunchTemplateId": "lt-8541e6a""#),
            ok("lt-DEADBEEF in the docs"),
            ok("lt-default"),
        ],
    },
    Row {
        rtype: "aws_local_gateway_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached lgw-«569dd63c» to the stack"),
            ok(r#""LocalGatewayId": "lgw-«91dd5af752a3c7a0a»","#),
        ],
        negative: &[
            ok(r#""LocalGatewayId": "lgw-b8a3494""#),
            ok("lgw-DEADBEEF in the docs"),
            ok("lgw-default"),
        ],
    },
    Row {
        rtype: "aws_local_gateway_route_table_id",
        found_by: &[Format],
        positive: &[
            ok(r#""LocalGatewayRouteTableId": "lgw-rtb-«b89e6dcde30a3aed1»","#),
            ok(r#"LOCALGATEWAYROUTETABLEIDS\tlgw-rtb-«90ebd9b1»\tavailable"#),
        ],
        negative: &[
            ok(r#""LocalGatewayRouteTableId": "lgw-rtb-5143f9a""#),
            ok("lgw-rtb-DEADBEEF in the docs"),
            ok("lgw-rtb-default"),
        ],
    },
    Row {
        rtype: "aws_nat_gateway_id",
        found_by: &[Format],
        positive: &[
            ok(r#"NATGATEWAYIDS\tnat-«7c00ca1a»\tavailable"#),
            ok("|  NatGatewayId        |  nat-«a1bdef261687d69d7»  |"),
        ],
        negative: &[
            ok(r#""NatGatewayId": "nat-02ce9ce""#),
            ok("nat-DEADBEEF in the docs"),
            ok("nat-default"),
        ],
    },
    Row {
        rtype: "aws_network_acl_id",
        found_by: &[Format],
        positive: &[
            ok("|  NetworkAclId        |  acl-«b26a1aa387a9f3031»  |"),
            ok("2026-11-03 08:41:22 INFO attached acl-«bac1c881» to the stack"),
        ],
        negative: &[
            ok(r#""NetworkAclId": "acl-03f0043""#),
            ok("acl-DEADBEEF in the docs"),
            ok("acl-default"),
        ],
    },
    Row {
        rtype: "aws_network_insights_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached nip-«10176145» to the stack"),
            ok(r#""NetworkInsightsId": "nip-«71ecb5363bc969169»","#),
        ],
        negative: &[
            ok(r#""NetworkInsightsId": "nip-3b9e9fb""#),
            ok("nip-DEADBEEF in the docs"),
            ok("nip-default"),
        ],
    },
    Row {
        rtype: "aws_network_interface_attachment_id",
        found_by: &[Format],
        positive: &[
            ok(r#""NetworkInterfaceAttachmentId": "eni-attach-«f8c6f2c4e6209f060»","#),
            ok(r#"NETWORKINTERFACEATTACHMENTIDS\teni-attach-«292f4531»\tavailable"#),
        ],
        negative: &[
            ok(r#""NetworkInterfaceAttachmentId": "eni-attach-e76d855""#),
            ok("eni-attach-DEADBEEF in the docs"),
            ok("eni-attach-default"),
        ],
    },
    Row {
        rtype: "aws_network_interface_id",
        found_by: &[Format],
        positive: &[
            ok(r#"NETWORKINTERFACEIDS\teni-«c007eda8»\tavailable"#),
            ok("|  NetworkInterfaceId  |  eni-«44871d0bc9f54fbea»  |"),
        ],
        negative: &[
            ok(r#""NetworkInterfaceId": "eni-f55a610""#),
            ok("eni-DEADBEEF in the docs"),
            ok("eni-default"),
        ],
    },
    Row {
        rtype: "aws_placement_group_id",
        found_by: &[Format],
        positive: &[
            ok("|  PlacementGroupId    |  pg-«2c9898baf0a0bb8f7»  |"),
            ok("2026-11-03 08:41:22 INFO attached pg-«40243596» to the stack"),
        ],
        negative: &[
            ok(r#""PlacementGroupId": "pg-d887efe""#),
            ok("pg-DEADBEEF in the docs"),
            ok("pg-default"),
        ],
    },
    Row {
        rtype: "aws_prefix_list_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached pl-«5796dcc1» to the stack"),
            ok(r#""PrefixListId": "pl-«3edc8349ec0934d0c»","#),
        ],
        negative: &[
            ok(r#""PrefixListId": "pl-9eb20f0""#),
            ok("pl-DEADBEEF in the docs"),
            ok("pl-default"),
        ],
    },
    Row {
        rtype: "aws_reservation_id",
        found_by: &[Format],
        positive: &[
            ok(r#""ReservationId": "r-«ac31976c9c7825418»","#),
            ok(r#"RESERVATIONIDS\tr-«fe5f3c09»\tavailable"#),
        ],
        negative: &[
            ok(r#""ReservationId": "r-4edc741""#),
            ok("r-DEADBEEF in the docs"),
            ok("r-default"),
        ],
    },
    Row {
        rtype: "aws_route_table_id",
        found_by: &[Format],
        positive: &[
            ok(r#"ROUTETABLEIDS\trtb-«abb44a45»\tavailable"#),
            ok("|  RouteTableId        |  rtb-«7ce5bdd3aa268e255»  |"),
        ],
        negative: &[
            ok(r#""RouteTableId": "rtb-7b2ce37""#),
            ok("rtb-DEADBEEF in the docs"),
            ok("rtb-default"),
        ],
    },
    Row {
        rtype: "aws_security_group_id",
        found_by: &[Format],
        positive: &[
            ok("|  SecurityGroupId     |  sg-«f5a049931d46f477c»  |"),
            ok("2026-11-03 08:41:22 INFO attached sg-«7bf613f5» to the stack"),
        ],
        negative: &[
            ok(r#""SecurityGroupId": "sg-6808390""#),
            ok("sg-DEADBEEF in the docs"),
            ok("sg-default"),
        ],
    },
    Row {
        rtype: "aws_security_group_rule_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached sgr-«5bdc9051» to the stack"),
            ok(r#""SecurityGroupRuleId": "sgr-«de9dedf89ba371d57»","#),
        ],
        negative: &[
            ok(r#""SecurityGroupRuleId": "sgr-bbfb5ba""#),
            ok("sgr-DEADBEEF in the docs"),
            ok("sgr-default"),
        ],
    },
    Row {
        rtype: "aws_spot_instance_request_id",
        found_by: &[Format],
        positive: &[
            ok(r#""SpotInstanceRequestId": "sir-«ef87fc0be70c31773»","#),
            ok(r#"SPOTINSTANCEREQUESTIDS\tsir-«25055201»\tavailable"#),
        ],
        negative: &[
            ok(r#""SpotInstanceRequestId": "sir-6e97b72""#),
            ok("sir-DEADBEEF in the docs"),
            ok("sir-default"),
        ],
    },
    Row {
        rtype: "aws_subnet_id",
        found_by: &[Format],
        positive: &[
            ok(r#"SUBNETIDS\tsubnet-«94fbbc46»\tavailable"#),
            ok("|  SubnetId            |  subnet-«e0f1bfd09efd09031»  |"),
        ],
        negative: &[
            ok(r#""SubnetId": "subnet-39a58c4""#),
            ok("subnet-DEADBEEF in the docs"),
            ok("subnet-default"),
        ],
    },
    Row {
        rtype: "aws_traffic_mirror_id",
        found_by: &[Format],
        positive: &[
            ok("|  TrafficMirrorId     |  tmf-«801972759c225b6f3»  |"),
            ok("2026-11-03 08:41:22 INFO attached tmf-«e8c31af1» to the stack"),
        ],
        negative: &[
            ok(r#""TrafficMirrorId": "tmf-d3b2157""#),
            ok("tmf-DEADBEEF in the docs"),
            ok("tmf-default"),
        ],
    },
    Row {
        rtype: "aws_transit_gateway_attachment_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached tgw-attach-«28505313» to the stack"),
            ok(r#""TransitGatewayAttachmentId": "tgw-attach-«ab40a585474d3ad62»","#),
        ],
        negative: &[
            ok(r#""TransitGatewayAttachmentId": "tgw-attach-4750ef6""#),
            ok("tgw-attach-DEADBEEF in the docs"),
            ok("tgw-attach-default"),
        ],
    },
    Row {
        rtype: "aws_transit_gateway_id",
        found_by: &[Format],
        positive: &[
            ok(r#""TransitGatewayId": "tgw-«61e914e64323b2bb3»","#),
            ok(r#"TRANSITGATEWAYIDS\ttgw-«72cdfd90»\tavailable"#),
        ],
        negative: &[
            ok(r#""TransitGatewayId": "tgw-42c5ccd""#),
            ok("tgw-DEADBEEF in the docs"),
            ok("tgw-default"),
        ],
    },
    Row {
        rtype: "aws_transit_gateway_multicast_domain_id",
        found_by: &[Format],
        positive: &[
            ok(r#"TRANSITGATEWAYMULTICASTDOMAINIDS\ttgw-mcast-domain-«59d3aa70»\tavailable"#),
            ok("|  TransitGatewayMulticastDomainId|  tgw-mcast-domain-«a44ed26f4bb8d36aa»  |"),
        ],
        negative: &[
            ok(r#""TransitGatewayMulticastDomainId": "tgw-mcast-domain-766ed24""#),
            ok("tgw-mcast-domain-DEADBEEF in the docs"),
            ok("tgw-mcast-domain-default"),
        ],
    },
    Row {
        rtype: "aws_transit_gateway_route_table_id",
        found_by: &[Format],
        positive: &[
            ok("|  TransitGatewayRouteTableId|  tgw-rtb-«a470ca6b1183abb73»  |"),
            ok("2026-11-03 08:41:22 INFO attached tgw-rtb-«459c3396» to the stack"),
        ],
        negative: &[
            ok(r#""TransitGatewayRouteTableId": "tgw-rtb-01bb15e""#),
            ok("tgw-rtb-DEADBEEF in the docs"),
            ok("tgw-rtb-default"),
        ],
    },
    Row {
        rtype: "aws_verified_access_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached vai-«d8830aac» to the stack"),
            ok(r#""VerifiedAccessId": "vai-«7541eff583930a879»","#),
        ],
        negative: &[
            ok(r#""VerifiedAccessId": "vai-f777653""#),
            ok("vai-DEADBEEF in the docs"),
            ok("vai-default"),
        ],
    },
    Row {
        rtype: "aws_vpc_endpoint_id",
        found_by: &[Format],
        positive: &[
            ok(r#""VpcEndpointId": "vpce-«4d8c977dbd0ca0530»","#),
            ok(r#"VPCENDPOINTIDS\tvpce-«b4fc9b3d»\tavailable"#),
        ],
        negative: &[
            ok(r#""VpcEndpointId": "vpce-a836ac4""#),
            ok("vpce-DEADBEEF in the docs"),
            ok("vpce-default"),
        ],
    },
    Row {
        rtype: "aws_vpc_endpoint_service_id",
        found_by: &[Format],
        positive: &[
            ok(r#"VPCENDPOINTSERVICEIDS\tvpce-svc-«b59d520e»\tavailable"#),
            ok("|  VpcEndpointServiceId|  vpce-svc-«0ef40b3b1f4bbeea6»  |"),
        ],
        negative: &[
            ok(r#""VpcEndpointServiceId": "vpce-svc-6e2204b""#),
            ok("vpce-svc-DEADBEEF in the docs"),
            ok("vpce-svc-default"),
        ],
    },
    Row {
        rtype: "aws_vpc_id",
        found_by: &[Format],
        positive: &[
            ok("|  VpcId               |  vpc-«fe9f7565673897af3»  |"),
            ok("2026-11-03 08:41:22 INFO attached vpc-«b2606b9e» to the stack"),
        ],
        negative: &[
            ok(r#""VpcId": "vpc-59d825a""#),
            ok("vpc-DEADBEEF in the docs"),
            ok("vpc-default"),
        ],
    },
    Row {
        rtype: "aws_vpc_peering_connection_id",
        found_by: &[Format],
        positive: &[
            ok("2026-11-03 08:41:22 INFO attached pcx-«0935aac8» to the stack"),
            ok(r#""VpcPeeringConnectionId": "pcx-«4b575aed828cd4d8c»","#),
        ],
        negative: &[
            ok(r#""VpcPeeringConnectionId": "pcx-60b2c03""#),
            ok("pcx-DEADBEEF in the docs"),
            ok("pcx-default"),
        ],
    },
    Row {
        rtype: "aws_vpn_connection_id",
        found_by: &[Format],
        positive: &[
            ok(r#""VpnConnectionId": "vpn-«c282ba02ffaa8cfe5»","#),
            ok(r#"VPNCONNECTIONIDS\tvpn-«e9acdc89»\tavailable"#),
        ],
        negative: &[
            ok(r#""VpnConnectionId": "vpn-9b49a15""#),
            ok("vpn-DEADBEEF in the docs"),
            ok("vpn-default"),
        ],
    },
    Row {
        rtype: "aws_vpn_gateway_id",
        found_by: &[Format],
        positive: &[
            ok(r#"VPNGATEWAYIDS\tvgw-«ec5f98bd»\tavailable"#),
            ok("|  VpnGatewayId        |  vgw-«84199dcb083ba1047»  |"),
        ],
        negative: &[
            ok(r#""VpnGatewayId": "vgw-3a7030b""#),
            ok("vgw-DEADBEEF in the docs"),
            ok("vgw-default"),
        ],
    },
    Row {
        rtype: "github_pat",
        found_by: &[Format],
        positive: &[
            ok("export GITHUB_PAT_TOKEN=ghp_«XfrMVzsyQTixBpt04aFKTHIapcRyilVRioln»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential ghp_«XfrMVzsyQTixBpt04aFKTHIapcRyilVRioln» for request"),
        ],
        negative: &[
            ok("token format: ghp_ozdcx… (see docs)"),
            ok("id=xghp_XfrMVzsyQTixBpt04aFKTHIapcRyilVRioln"),
        ],
    },
    Row {
        rtype: "github_oauth",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "gho_«FzXTKCXH5uYKvvjY5qyjLxxTZ7cTR1lkh3P5»","#),
            ok("curl -sS -H 'X-Api-Key: gho_«FzXTKCXH5uYKvvjY5qyjLxxTZ7cTR1lkh3P5»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: gho_fnxcu… (see docs)"),
            ok("id=xgho_FzXTKCXH5uYKvvjY5qyjLxxTZ7cTR1lkh3P5"),
        ],
    },
    Row {
        rtype: "github_user_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential ghu_«Q79VHthUnVSNAFzSw4fIoPhcbPWcWjInsQkF» for request"),
            ok("export GITHUB_USER_TOKEN=ghu_«Q79VHthUnVSNAFzSw4fIoPhcbPWcWjInsQkF»"),
        ],
        negative: &[
            ok("token format: ghu_whrvh… (see docs)"),
            ok("id=xghu_Q79VHthUnVSNAFzSw4fIoPhcbPWcWjInsQkF"),
        ],
    },
    Row {
        rtype: "github_app_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: ghs_«FwyiWY4q2GnS1nxvh0yGyNmDdNK5A6ZBhzgD»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "ghs_«FwyiWY4q2GnS1nxvh0yGyNmDdNK5A6ZBhzgD»","#),
        ],
        negative: &[
            ok("token format: ghs_wtvqn… (see docs)"),
            ok("id=xghs_FwyiWY4q2GnS1nxvh0yGyNmDdNK5A6ZBhzgD"),
        ],
    },
    Row {
        rtype: "github_refresh_token",
        found_by: &[Format],
        positive: &[
            ok("export GITHUB_REFRESH_TOKEN=ghr_«uwVgrTDf1EQpEqhU6IibE54wqb111pegxbuiwqaNnv65oaxix8BNZCQeRRaViuTlrL5tJ85GDNGW»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential ghr_«uwVgrTDf1EQpEqhU6IibE54wqb111pegxbuiwqaNnv65oaxix8BNZCQeRRaViuTlrL5tJ85GDNGW» for request"),
        ],
        negative: &[
            ok("token format: ghr_odzfz… (see docs)"),
            ok("id=xghr_uwVgrTDf1EQpEqhU6IibE54wqb111pegxbuiwqaNnv65oaxix8BNZCQeRRaViuTlrL5tJ85GDNGW"),
        ],
    },
    Row {
        rtype: "github_fine_grained_pat",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "github_pat_«dpqE15MhCrVKHJWnvkMN7x_LWA7o0hMwhnQjnIMCw1081XCdMW00SHMkx01tDaR5Y2YoHhCuvIQtROPGi7»","#),
            ok("curl -sS -H 'X-Api-Key: github_pat_«dpqE15MhCrVKHJWnvkMN7x_LWA7o0hMwhnQjnIMCw1081XCdMW00SHMkx01tDaR5Y2YoHhCuvIQtROPGi7»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: github_pat_rtthz… (see docs)"),
            ok("id=x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"),
        ],
    },
    Row {
        rtype: "gitlab_pat",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential glpat-«XdVwOcWgSwERRitG9K7V» for request"),
            ok("export GITLAB_PAT_TOKEN=glpat-«XdVwOcWgSwERRitG9K7V»"),
        ],
        negative: &[
            ok("token format: glpat-ebijy… (see docs)"),
            ok("id=xglpat-XdVwOcWgSwERRitG9K7V"),
        ],
    },
    Row {
        rtype: "gitlab_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: glrt-«Ih2JutxXzaaxHWeVhOnx»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "glrt-«Ih2JutxXzaaxHWeVhOnx»","#),
        ],
        negative: &[
            ok("token format: glrt-Iezlen… (see docs)"),
            ok("id=xglrt-Ih2JutxXzaaxHWeVhOnx"),
        ],
    },
    Row {
        rtype: "gitlab_runner_registration",
        found_by: &[Format],
        positive: &[
            ok("export GITLAB_RUNNER_REGISTRATION_TOKEN=GR1348941«aeSlo5GR4oqB0st3HYIh»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential GR1348941«aeSlo5GR4oqB0st3HYIh» for request"),
        ],
        negative: &[
            ok("token format: GR1348941jszmf… (see docs)"),
            ok("id=xGR1348941aeSlo5GR4oqB0st3HYIh"),
        ],
    },
    Row {
        rtype: "slack_token",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "xoxb-«851614435708-6605338935441-stXz1TXRIdw662m8S0vHttkE»","#),
            ok("curl -sS -H 'X-Api-Key: xoxb-«851614435708-6605338935441-stXz1TXRIdw662m8S0vHttkE»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: xoxb-qwqsc… (see docs)"),
            ok("id=xxoxb-851614435708-6605338935441-stXz1TXRIdw662m8S0vHttkE"),
        ],
    },
    Row {
        rtype: "slack_app_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential xapp-«1-ASGG8R5QMBL-1583210161265-2712fb95afef686affd412e4412e069d490154bb2b0b2926779294a7984c5f79» for request"),
            ok("export SLACK_APP_TOKEN=xapp-«1-ASGG8R5QMBL-1583210161265-2712fb95afef686affd412e4412e069d490154bb2b0b2926779294a7984c5f79»"),
        ],
        negative: &[
            ok("token format: xapp-xlnrh… (see docs)"),
            ok("id=xxapp-1-ASGG8R5QMBL-1583210161265-2712fb95afef686affd412e4412e069d490154bb2b0b2926779294a7984c5f79"),
        ],
    },
    Row {
        rtype: "slack_config_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: xoxe.xoxp-«1-7EXj8Jr9AI0vH6Php5jGcDXubUCHCTsXxAgTAlAnelQI4AiuKXcmuOTmzKJLDE3z2k4JdKJP6zMFY3C9ly3tmakKvM4LgSfaCtMJOlV5ps4PXzELpMopxWrylntxOoOhDOptuXxQdz5n»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "xoxe.xoxp-«1-7EXj8Jr9AI0vH6Php5jGcDXubUCHCTsXxAgTAlAnelQI4AiuKXcmuOTmzKJLDE3z2k4JdKJP6zMFY3C9ly3tmakKvM4LgSfaCtMJOlV5ps4PXzELpMopxWrylntxOoOhDOptuXxQdz5n»","#),
        ],
        negative: &[
            ok("token format: xoxe.xoxp-qfpdg… (see docs)"),
            ok("id=xxoxe.xoxp-1-7EXj8Jr9AI0vH6Php5jGcDXubUCHCTsXxAgTAlAnelQI4AiuKXcmuOTmzKJLDE3z2k4JdKJP6zMFY3C9ly3tmakKvM4LgSfaCtMJOlV5ps4PXzELpMopxWrylntxOoOhDOptuXxQdz5n"),
        ],
    },
    Row {
        rtype: "stripe_secret_key",
        found_by: &[Format],
        positive: &[
            ok("export STRIPE_SECRET_KEY_TOKEN=sk_live_«n9HGNBMto1MpL4lZAC3LXAYjVLcgDe6g1bAttahnq4jUmticsRJuDgd4b57TsE62AStMe3ekTJlLiQHRCJnhEJwMUe2sA4lbXzU»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential sk_live_«n9HGNBMto1MpL4lZAC3LXAYjVLcgDe6g1bAttahnq4jUmticsRJuDgd4b57TsE62AStMe3ekTJlLiQHRCJnhEJwMUe2sA4lbXzU» for request"),
        ],
        negative: &[
            ok("token format: sk_livmiger… (see docs)"),
            ok("id=xsk_live_n9HGNBMto1MpL4lZAC3LXAYjVLcgDe6g1bAttahnq4jUmticsRJuDgd4b57TsE62AStMe3ekTJlLiQHRCJnhEJwMUe2sA4lbXzU"),
        ],
    },
    Row {
        rtype: "stripe_webhook_secret",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "whsec_«gINxiJmRyZqwVAzZjaPhEaiXqIqFDfS0»","#),
            ok("curl -sS -H 'X-Api-Key: whsec_«gINxiJmRyZqwVAzZjaPhEaiXqIqFDfS0»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: whsec_tvpiv… (see docs)"),
            ok("id=xwhsec_gINxiJmRyZqwVAzZjaPhEaiXqIqFDfS0"),
        ],
    },
    Row {
        rtype: "google_api_key",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential AIza«Syh5gwCSqzxpXBzKrx_gTl9to0LoFDye1V8» for request"),
            ok("export GOOGLE_API_KEY_TOKEN=AIza«Syh5gwCSqzxpXBzKrx_gTl9to0LoFDye1V8»"),
        ],
        negative: &[
            ok("token format: AIzasnjjm… (see docs)"),
            ok("id=xAIzaSyh5gwCSqzxpXBzKrx_gTl9to0LoFDye1V8"),
        ],
    },
    Row {
        rtype: "google_oauth_client_secret",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: GOCSPX-«dZKzRnU-SGkO_tZuFiuO2qb2aBLd»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "GOCSPX-«dZKzRnU-SGkO_tZuFiuO2qb2aBLd»","#),
        ],
        negative: &[
            ok("token format: GOCSPX-whxnf… (see docs)"),
            ok("id=xGOCSPX-dZKzRnU-SGkO_tZuFiuO2qb2aBLd"),
        ],
    },
    Row {
        rtype: "google_oauth_token",
        found_by: &[Format],
        positive: &[
            ok("export GOOGLE_OAUTH_TOKEN=ya29.«a0AhZQRau5V4fu76YZtMXnTQl9cYgYQl2MziE0GvirR5MCltpIlg4snTa68YpnJjnWfvzbZPWyqdl0gZ72QUs5q1VgoRIZe1tUgH_-UrM52k48hFDn-vjz5Bpij»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential ya29.«a0AhZQRau5V4fu76YZtMXnTQl9cYgYQl2MziE0GvirR5MCltpIlg4snTa68YpnJjnWfvzbZPWyqdl0gZ72QUs5q1VgoRIZe1tUgH_-UrM52k48hFDn-vjz5Bpij» for request"),
        ],
        negative: &[
            ok("token format: ya29.nnumz… (see docs)"),
            ok("id=xya29.a0AhZQRau5V4fu76YZtMXnTQl9cYgYQl2MziE0GvirR5MCltpIlg4snTa68YpnJjnWfvzbZPWyqdl0gZ72QUs5q1VgoRIZe1tUgH_-UrM52k48hFDn-vjz5Bpij"),
        ],
    },
    Row {
        rtype: "openai_api_key",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "sk-«proj-MVpihtD5LqebR16lPvGugEspXbNJCDJ1sTvwwlkxvM_6FFVBfcGIHPKecgfCTY09oyAczYS-iChLgpghki9rtUE4ARQFApKuOjuGr_o2cEkItmGapVKDUdNq»","#),
            ok("curl -sS -H 'X-Api-Key: sk-«proj-MVpihtD5LqebR16lPvGugEspXbNJCDJ1sTvwwlkxvM_6FFVBfcGIHPKecgfCTY09oyAczYS-iChLgpghki9rtUE4ARQFApKuOjuGr_o2cEkItmGapVKDUdNq»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: sk-lbadz… (see docs)"),
            ok("id=xsk-proj-MVpihtD5LqebR16lPvGugEspXbNJCDJ1sTvwwlkxvM_6FFVBfcGIHPKecgfCTY09oyAczYS-iChLgpghki9rtUE4ARQFApKuOjuGr_o2cEkItmGapVKDUdNq"),
        ],
    },
    Row {
        rtype: "anthropic_api_key",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential sk-ant-api03-«YFzHw9hZ_xRYNMri0nm3Pm8-Fxxat7sqWHkN-_zYzBISDRCrXIYTBuXSTN6tEMx32SAyWhKIWBhWX5r8u1Qs5Zb8INpmNAA» for request"),
            ok("export ANTHROPIC_API_KEY_TOKEN=sk-ant-api03-«YFzHw9hZ_xRYNMri0nm3Pm8-Fxxat7sqWHkN-_zYzBISDRCrXIYTBuXSTN6tEMx32SAyWhKIWBhWX5r8u1Qs5Zb8INpmNAA»"),
        ],
        negative: &[
            ok("token format: sk-anttezmv… (see docs)"),
            ok("id=xsk-ant-api03-YFzHw9hZ_xRYNMri0nm3Pm8-Fxxat7sqWHkN-_zYzBISDRCrXIYTBuXSTN6tEMx32SAyWhKIWBhWX5r8u1Qs5Zb8INpmNAA"),
        ],
    },
    Row {
        rtype: "npm_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: npm_«OQ3TV51I4ta3DaJnvSHdyCAkXZyd4cIONavf»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "npm_«OQ3TV51I4ta3DaJnvSHdyCAkXZyd4cIONavf»","#),
        ],
        negative: &[
            ok("token format: npm_oztmy… (see docs)"),
            ok("id=xnpm_OQ3TV51I4ta3DaJnvSHdyCAkXZyd4cIONavf"),
        ],
    },
    Row {
        rtype: "pypi_token",
        found_by: &[Format],
        positive: &[
            ok("export PYPI_TOKEN=pypi-«AgEIcHlwaS5vcmcONPhnZhs_LI0HrqgZJa0tV6nFq69z0FxRJt80viJCY3mu2AfZeMvg6fdpeb_»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential pypi-«AgEIcHlwaS5vcmcONPhnZhs_LI0HrqgZJa0tV6nFq69z0FxRJt80viJCY3mu2AfZeMvg6fdpeb_» for request"),
        ],
        negative: &[
            ok("token format: pypi-lhwsi… (see docs)"),
            ok("id=xpypi-AgEIcHlwaS5vcmcONPhnZhs_LI0HrqgZJa0tV6nFq69z0FxRJt80viJCY3mu2AfZeMvg6fdpeb_"),
        ],
    },
    Row {
        rtype: "sendgrid_api_key",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "SG.«Qgwx7m8zm1j8PX625jJXqf.-3Q2laryYOq6nLMElP0AR07Lzw6DNhZpOVXO9rWClmQ»","#),
            ok("curl -sS -H 'X-Api-Key: SG.«Qgwx7m8zm1j8PX625jJXqf.-3Q2laryYOq6nLMElP0AR07Lzw6DNhZpOVXO9rWClmQ»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: SG.eglxi… (see docs)"),
            ok("id=xSG.Qgwx7m8zm1j8PX625jJXqf.-3Q2laryYOq6nLMElP0AR07Lzw6DNhZpOVXO9rWClmQ"),
        ],
    },
    Row {
        rtype: "twilio_api_key",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential SK«6e0c2c9c5090911589a40197d1a14faf» for request"),
            ok("export TWILIO_API_KEY_TOKEN=SK«6e0c2c9c5090911589a40197d1a14faf»"),
        ],
        negative: &[
            ok("token format: SKbgnhw… (see docs)"),
            ok("id=xSK6e0c2c9c5090911589a40197d1a14faf"),
        ],
    },
    Row {
        rtype: "huggingface_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: hf_«hJnLxDLDZTtfkotGDeemtsPpNIvdKESFSB»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "hf_«hJnLxDLDZTtfkotGDeemtsPpNIvdKESFSB»","#),
        ],
        negative: &[
            ok("token format: hf_jynsb… (see docs)"),
            ok("id=xhf_hJnLxDLDZTtfkotGDeemtsPpNIvdKESFSB"),
        ],
    },
    Row {
        rtype: "huggingface_org_token",
        found_by: &[Format],
        positive: &[
            ok("export HUGGINGFACE_ORG_TOKEN=api_org_«UiOTgDuzmmitMCZvaELNNSburouDbdUUsG»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential api_org_«UiOTgDuzmmitMCZvaELNNSburouDbdUUsG» for request"),
        ],
        negative: &[
            ok("token format: api_org_jigrv… (see docs)"),
            ok("id=xapi_org_UiOTgDuzmmitMCZvaELNNSburouDbdUUsG"),
        ],
    },
    Row {
        rtype: "digitalocean_token",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "dop_v1_«3c0fbd6baa8261784546ab154e2e2f13574b29dbecdd85b69fc1f4a316e47601»","#),
            ok("curl -sS -H 'X-Api-Key: dop_v1_«3c0fbd6baa8261784546ab154e2e2f13574b29dbecdd85b69fc1f4a316e47601»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: dop_v1_ckpgr… (see docs)"),
            ok("id=xdop_v1_3c0fbd6baa8261784546ab154e2e2f13574b29dbecdd85b69fc1f4a316e47601"),
        ],
    },
    Row {
        rtype: "heroku_api_key",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential HRKU-«AA9WG_iv9fw0iqNKFMVyfkJnPVAgpzCLmGCty_apRxg46trcusY9ry0KLgz0» for request"),
            ok("export HEROKU_API_KEY_TOKEN=HRKU-«AA9WG_iv9fw0iqNKFMVyfkJnPVAgpzCLmGCty_apRxg46trcusY9ry0KLgz0»"),
        ],
        negative: &[
            ok("token format: HRKU-cuaqr… (see docs)"),
            ok("id=xHRKU-AA9WG_iv9fw0iqNKFMVyfkJnPVAgpzCLmGCty_apRxg46trcusY9ry0KLgz0"),
        ],
    },
    Row {
        rtype: "shopify_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: shpat_«1d7230905be414a628314ec60e44f799»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "shpat_«1d7230905be414a628314ec60e44f799»","#),
        ],
        negative: &[
            ok("token format: shpat_rzayj… (see docs)"),
            ok("id=x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"),
        ],
    },
    Row {
        rtype: "databricks_token",
        found_by: &[Format],
        positive: &[
            ok("export DATABRICKS_TOKEN=dapi«4f5b93dc6eb011e43c22fe7a95c881fd»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential dapi«4f5b93dc6eb011e43c22fe7a95c881fd» for request"),
        ],
        negative: &[
            ok("token format: dapixjtlp… (see docs)"),
            ok("id=xdapi4f5b93dc6eb011e43c22fe7a95c881fd"),
        ],
    },
    Row {
        rtype: "doppler_token",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "dp.st.«cQE1uKkkjo0J0lcHRbMd7fkw0YH6GYa5OxmahpAMfoT»","#),
            ok("curl -sS -H 'X-Api-Key: dp.st.«cQE1uKkkjo0J0lcHRbMd7fkw0YH6GYa5OxmahpAMfoT»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: dp.st.cpqmv… (see docs)"),
            ok("id=xdp.st.cQE1uKkkjo0J0lcHRbMd7fkw0YH6GYa5OxmahpAMfoT"),
        ],
    },
    Row {
        rtype: "dynatrace_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential dt0c01.«3TDFMLPAIOB48VN7R3XIAS22.KJ9YCX4UFCQOSV3BGDFHXT1NW7W90HM15BXE2S9JTJ3YF3JZPJMC7IGU255NSBYC» for request"),
            ok("export DYNATRACE_TOKEN=dt0c01.«3TDFMLPAIOB48VN7R3XIAS22.KJ9YCX4UFCQOSV3BGDFHXT1NW7W90HM15BXE2S9JTJ3YF3JZPJMC7IGU255NSBYC»"),
        ],
        negative: &[
            ok("token format: dt0c01.jgscm… (see docs)"),
            ok("id=xdt0c01.3TDFMLPAIOB48VN7R3XIAS22.KJ9YCX4UFCQOSV3BGDFHXT1NW7W90HM15BXE2S9JTJ3YF3JZPJMC7IGU255NSBYC"),
        ],
    },
    Row {
        rtype: "grafana_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: glsa_«ETdAElb2EM2jfsOaDLD43WzyX9tBZTUp_c7c545ae»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "glsa_«ETdAElb2EM2jfsOaDLD43WzyX9tBZTUp_c7c545ae»","#),
        ],
        negative: &[
            ok("token format: glsa_Edjrlq… (see docs)"),
            ok("id=xglsa_ETdAElb2EM2jfsOaDLD43WzyX9tBZTUp_c7c545ae"),
        ],
    },
    Row {
        rtype: "linear_api_key",
        found_by: &[Format],
        positive: &[
            ok("export LINEAR_API_KEY_TOKEN=lin_api_«ziRCPksTN27AuhOAs5pFMdEvmB5yM1IL75O5kcPf»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential lin_api_«ziRCPksTN27AuhOAs5pFMdEvmB5yM1IL75O5kcPf» for request"),
        ],
        negative: &[
            ok("token format: lin_api_sgtrc… (see docs)"),
            ok("id=xlin_api_ziRCPksTN27AuhOAs5pFMdEvmB5yM1IL75O5kcPf"),
        ],
    },
    Row {
        rtype: "mailgun_api_key",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "key-«iqwge22qjlNIb5Mec7GmeQbDwKf8ZaQQ»","#),
            ok("curl -sS -H 'X-Api-Key: key-«iqwge22qjlNIb5Mec7GmeQbDwKf8ZaQQ»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: key-yrvzn… (see docs)"),
            ok("id=xkey-iqwge22qjlNIb5Mec7GmeQbDwKf8ZaQQ"),
        ],
    },
    Row {
        rtype: "mailchimp_api_key",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential «59b4a76034f3ffa96f0252a46c50b1d9-us19» for request"),
            ok("export MAILCHIMP_API_KEY_TOKEN=«59b4a76034f3ffa96f0252a46c50b1d9-us19»"),
        ],
        negative: &[
            ok("token format: 59b4a7eorof… (see docs)"),
            ok("id=x59b4a76034f3ffa96f0252a46c50b1d9-us19"),
        ],
    },
    Row {
        rtype: "newrelic_key",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: NRAK-«FZBWBQQLPA7MEC7AL9BYS4NTYLH»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "NRAK-«FZBWBQQLPA7MEC7AL9BYS4NTYLH»","#),
        ],
        negative: &[
            ok("token format: NRAK-mpzdr… (see docs)"),
            ok("id=xNRAK-FZBWBQQLPA7MEC7AL9BYS4NTYLH"),
        ],
    },
    Row {
        rtype: "postman_api_key",
        found_by: &[Format],
        positive: &[
            ok("export POSTMAN_API_KEY_TOKEN=PMAK-«a0c61edf9249af1597237a5b-fba890288bc113c87185d5ad8aa5b8656d»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential PMAK-«a0c61edf9249af1597237a5b-fba890288bc113c87185d5ad8aa5b8656d» for request"),
        ],
        negative: &[
            ok("token format: PMAK-qqqsm… (see docs)"),
            ok("id=xPMAK-a0c61edf9249af1597237a5b-fba890288bc113c87185d5ad8aa5b8656d"),
        ],
    },
    Row {
        rtype: "pulumi_token",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "pul-«dc19c5094c064983eed40d52a8921142e54633b1»","#),
            ok("curl -sS -H 'X-Api-Key: pul-«dc19c5094c064983eed40d52a8921142e54633b1»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: pul-kygkm… (see docs)"),
            ok("id=xpul-dc19c5094c064983eed40d52a8921142e54633b1"),
        ],
    },
    Row {
        rtype: "sentry_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential sntrys_«eyJpYXQiOjE3dIx7H4b1CiGq3kC4qBu61fw0XhcFR6nRjHVEWyerPzRNOhcaZEExuRu42zR9SwLbN48C1Tg9esiGuTQw» for request"),
            ok("export SENTRY_TOKEN=sntrys_«eyJpYXQiOjE3dIx7H4b1CiGq3kC4qBu61fw0XhcFR6nRjHVEWyerPzRNOhcaZEExuRu42zR9SwLbN48C1Tg9esiGuTQw»"),
        ],
        negative: &[
            ok("token format: sntrys_ccxzi… (see docs)"),
            ok("id=xsntrys_eyJpYXQiOjE3dIx7H4b1CiGq3kC4qBu61fw0XhcFR6nRjHVEWyerPzRNOhcaZEExuRu42zR9SwLbN48C1Tg9esiGuTQw"),
        ],
    },
    Row {
        rtype: "terraform_cloud_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: «NY6OPlbh7EMWYO.atlasv1.7AeFMcAdMUt5HiMTJwx4QOaC1ZZfx6aqgytg8IUyigc95ThddiAmnHs099TeUb3y1NV»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "«NY6OPlbh7EMWYO.atlasv1.7AeFMcAdMUt5HiMTJwx4QOaC1ZZfx6aqgytg8IUyigc95ThddiAmnHs099TeUb3y1NV»","#),
        ],
        negative: &[
            ok("token format: NY6OPlkqgxm… (see docs)"),
            ok("id=xNY6OPlbh7EMWYO.atlasv1.7AeFMcAdMUt5HiMTJwx4QOaC1ZZfx6aqgytg8IUyigc95ThddiAmnHs099TeUb3y1NV"),
        ],
    },
    Row {
        rtype: "vault_token",
        found_by: &[Format],
        positive: &[
            ok("export VAULT_TOKEN=hvs.«tu4vNXI6t3uM2x170GMqwF8bdlV37C1Evg0o2XJLowmby-ytsiTrmOVhLV42d7GObOHOm1POCIrF7Ph8Kl5s4XMvGG»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential hvs.«tu4vNXI6t3uM2x170GMqwF8bdlV37C1Evg0o2XJLowmby-ytsiTrmOVhLV42d7GObOHOm1POCIrF7Ph8Kl5s4XMvGG» for request"),
        ],
        negative: &[
            ok("token format: hvs.pthym… (see docs)"),
            ok("id=xhvs.tu4vNXI6t3uM2x170GMqwF8bdlV37C1Evg0o2XJLowmby-ytsiTrmOVhLV42d7GObOHOm1POCIrF7Ph8Kl5s4XMvGG"),
        ],
    },
    Row {
        rtype: "telegram_bot_token",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "«8205574761:AAZkoR6qoashDycpvVGjtoPfY_lOYwgR-GZ»","#),
            ok("curl -sS -H 'X-Api-Key: «8205574761:AAZkoR6qoashDycpvVGjtoPfY_lOYwgR-GZ»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: 820557zjnzo… (see docs)"),
            ok("id=x8205574761:AAZkoR6qoashDycpvVGjtoPfY_lOYwgR-GZ"),
        ],
    },
    Row {
        rtype: "square_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential «EAAArNzFNRIC5VYNDPMJtxkAXcn6QtErXPqdBjBsfF72ZICZNn53fm92mnypXuT1» for request"),
            ok("export SQUARE_TOKEN=«EAAArNzFNRIC5VYNDPMJtxkAXcn6QtErXPqdBjBsfF72ZICZNn53fm92mnypXuT1»"),
        ],
        negative: &[
            ok("token format: EAAArNtrtxs… (see docs)"),
            ok("id=xEAAArNzFNRIC5VYNDPMJtxkAXcn6QtErXPqdBjBsfF72ZICZNn53fm92mnypXuT1"),
        ],
    },
    Row {
        rtype: "age_secret_key",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: AGE-SECRET-KEY-1«TWMQ4WN8R6D200H5VQR7LH6VUV05FH8CZLHM4U70U3R9R0FK3XPMVEF6JL»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "AGE-SECRET-KEY-1«TWMQ4WN8R6D200H5VQR7LH6VUV05FH8CZLHM4U70U3R9R0FK3XPMVEF6JL»","#),
        ],
        negative: &[
            ok("token format: AGE-SECRET-KEY-1jktwk… (see docs)"),
            ok("id=xAGE-SECRET-KEY-1TWMQ4WN8R6D200H5VQR7LH6VUV05FH8CZLHM4U70U3R9R0FK3XPMVEF6JL"),
        ],
    },
    Row {
        rtype: "clojars_token",
        found_by: &[Format],
        positive: &[
            ok("export CLOJARS_TOKEN=CLOJARS_«f7n7qyoe1g1pc6u70h4o0iqmxgby23ogt5bwf2w64lpq0d2ofu337rpnt9jj»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential CLOJARS_«f7n7qyoe1g1pc6u70h4o0iqmxgby23ogt5bwf2w64lpq0d2ofu337rpnt9jj» for request"),
        ],
        negative: &[
            ok("token format: CLOJARS_lzrkh… (see docs)"),
            ok("id=xCLOJARS_f7n7qyoe1g1pc6u70h4o0iqmxgby23ogt5bwf2w64lpq0d2ofu337rpnt9jj"),
        ],
    },
    Row {
        rtype: "flyio_token",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "fo1_«-xA3EGxYo0bred9pzMsAxBaRk-nIH7OlCv-oBSPVO3c»","#),
            ok("curl -sS -H 'X-Api-Key: fo1_«-xA3EGxYo0bred9pzMsAxBaRk-nIH7OlCv-oBSPVO3c»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: fo1_-xolaeg… (see docs)"),
            ok("id=xfo1_-xA3EGxYo0bred9pzMsAxBaRk-nIH7OlCv-oBSPVO3c"),
        ],
    },
    Row {
        rtype: "planetscale_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential pscale_tkn_«5HwDkLiQY32fTQ4jZu1ZYkPN2QghHxOuXrElRqhN3BR» for request"),
            ok("export PLANETSCALE_TOKEN=pscale_tkn_«5HwDkLiQY32fTQ4jZu1ZYkPN2QghHxOuXrElRqhN3BR»"),
        ],
        negative: &[
            ok("token format: pscaleeipfs… (see docs)"),
            ok("id=xpscale_tkn_5HwDkLiQY32fTQ4jZu1ZYkPN2QghHxOuXrElRqhN3BR"),
        ],
    },
    Row {
        rtype: "rubygems_api_key",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: rubygems_«2dc2836eabd6b88147970879fc39ef1fb24ed8bcaaf8d10f»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "rubygems_«2dc2836eabd6b88147970879fc39ef1fb24ed8bcaaf8d10f»","#),
        ],
        negative: &[
            ok("token format: rubygems_rkefy… (see docs)"),
            ok("id=xrubygems_2dc2836eabd6b88147970879fc39ef1fb24ed8bcaaf8d10f"),
        ],
    },
    Row {
        rtype: "supabase_token",
        found_by: &[Format],
        positive: &[
            ok("export SUPABASE_TOKEN=sbp_«c1ce1d5fec7c9b181483ceda70d7029a0f858bfc»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential sbp_«c1ce1d5fec7c9b181483ceda70d7029a0f858bfc» for request"),
        ],
        negative: &[
            ok("token format: sbp_qhtvd… (see docs)"),
            ok("id=xsbp_c1ce1d5fec7c9b181483ceda70d7029a0f858bfc"),
        ],
    },
    Row {
        rtype: "notion_token",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "ntn_«wp7xdGNny531YOO5I58J8MOft3BDALfUUhCniKkocKPHXn»","#),
            ok("curl -sS -H 'X-Api-Key: ntn_«wp7xdGNny531YOO5I58J8MOft3BDALfUUhCniKkocKPHXn»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: ntn_tvkwd… (see docs)"),
            ok("id=xntn_wp7xdGNny531YOO5I58J8MOft3BDALfUUhCniKkocKPHXn"),
        ],
    },
    Row {
        rtype: "replicate_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential r8_«9UXDm2Krkxcc0SNfsGfKTdb6Z4LfGLA4yWEYd» for request"),
            ok("export REPLICATE_TOKEN=r8_«9UXDm2Krkxcc0SNfsGfKTdb6Z4LfGLA4yWEYd»"),
        ],
        negative: &[
            ok("token format: r8_ziqqu… (see docs)"),
            ok("id=xr8_9UXDm2Krkxcc0SNfsGfKTdb6Z4LfGLA4yWEYd"),
        ],
    },
    Row {
        rtype: "groq_api_key",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: gsk_«Ljz1MicYp6HDlUhfQS3IsRHmDgQ0H9BQlFwjJWuCw0vSGUZUAbMx»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "gsk_«Ljz1MicYp6HDlUhfQS3IsRHmDgQ0H9BQlFwjJWuCw0vSGUZUAbMx»","#),
        ],
        negative: &[
            ok("token format: gsk_isxmp… (see docs)"),
            ok("id=xgsk_Ljz1MicYp6HDlUhfQS3IsRHmDgQ0H9BQlFwjJWuCw0vSGUZUAbMx"),
        ],
    },
    Row {
        rtype: "perplexity_api_key",
        found_by: &[Format],
        positive: &[
            ok("export PERPLEXITY_API_KEY_TOKEN=pplx-«nyoNMaSkm9hG9kgaFV8DxrA239NaAV5Ukp8PIovcgXg9fhhA»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential pplx-«nyoNMaSkm9hG9kgaFV8DxrA239NaAV5Ukp8PIovcgXg9fhhA» for request"),
        ],
        negative: &[
            ok("token format: pplx-gckvr… (see docs)"),
            ok("id=xpplx-nyoNMaSkm9hG9kgaFV8DxrA239NaAV5Ukp8PIovcgXg9fhhA"),
        ],
    },
    Row {
        rtype: "xai_api_key",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "xai-«hYCuEnn76VzucGR843sbnLcqEo7Z1fG3iA8mteQJA0yr5f6uUbtE60rzBdpmqTRdeb7UMIP85ZEwkxSQ»","#),
            ok("curl -sS -H 'X-Api-Key: xai-«hYCuEnn76VzucGR843sbnLcqEo7Z1fG3iA8mteQJA0yr5f6uUbtE60rzBdpmqTRdeb7UMIP85ZEwkxSQ»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: xai-tjgwk… (see docs)"),
            ok("id=xxai-hYCuEnn76VzucGR843sbnLcqEo7Z1fG3iA8mteQJA0yr5f6uUbtE60rzBdpmqTRdeb7UMIP85ZEwkxSQ"),
        ],
    },
    Row {
        rtype: "atlassian_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential ATATT3«xFfGF0l96BSOdU5Vm362eHcD0ovvHWNMw1ylu8tWXtVObaQ5wEFkSlkoytor9nA43yxp-YDbf4dnjd90TkI2jwrBtZxKzk3b6NKrRSAAzjxspDUPTeRmoAnsKk75kmEC7M76mojjAtjQgHTUGXhruZPIXTbJG8ze-YCGzmiPUf5TuGrXtwQz63e-wn» for request"),
            ok("export ATLASSIAN_TOKEN=ATATT3«xFfGF0l96BSOdU5Vm362eHcD0ovvHWNMw1ylu8tWXtVObaQ5wEFkSlkoytor9nA43yxp-YDbf4dnjd90TkI2jwrBtZxKzk3b6NKrRSAAzjxspDUPTeRmoAnsKk75kmEC7M76mojjAtjQgHTUGXhruZPIXTbJG8ze-YCGzmiPUf5TuGrXtwQz63e-wn»"),
        ],
        negative: &[
            ok("token format: ATATT3mbcju… (see docs)"),
            ok("id=xATATT3xFfGF0l96BSOdU5Vm362eHcD0ovvHWNMw1ylu8tWXtVObaQ5wEFkSlkoytor9nA43yxp-YDbf4dnjd90TkI2jwrBtZxKzk3b6NKrRSAAzjxspDUPTeRmoAnsKk75kmEC7M76mojjAtjQgHTUGXhruZPIXTbJG8ze-YCGzmiPUf5TuGrXtwQz63e-wn"),
        ],
    },
    Row {
        rtype: "contentful_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: CFPAT-«AbEwDpKlfiNxIoSpcZI72m8tz0yR4SDNUzB-ErxXR1n»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "CFPAT-«AbEwDpKlfiNxIoSpcZI72m8tz0yR4SDNUzB-ErxXR1n»","#),
        ],
        negative: &[
            ok("token format: CFPAT-abjjl… (see docs)"),
            ok("id=xCFPAT-AbEwDpKlfiNxIoSpcZI72m8tz0yR4SDNUzB-ErxXR1n"),
        ],
    },
    Row {
        rtype: "easypost_api_key",
        found_by: &[Format],
        positive: &[
            ok("export EASYPOST_API_KEY_TOKEN=EZAK«8PswkMcefU3FfPWV9wLpfNG049wgWsxu7WrVZdEms8pbjzxaYCI3sY»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential EZAK«8PswkMcefU3FfPWV9wLpfNG049wgWsxu7WrVZdEms8pbjzxaYCI3sY» for request"),
        ],
        negative: &[
            ok("token format: EZAKcksjg… (see docs)"),
            ok("id=xEZAK8PswkMcefU3FfPWV9wLpfNG049wgWsxu7WrVZdEms8pbjzxaYCI3sY"),
        ],
    },
    Row {
        rtype: "brevo_api_key",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "xkeysib-«e25689cab279720ddeea1b4620a4cbe2537c5ef7c9492ed3bcdfbd3a418f684b-ftHZ6SJrXaDYOl44»","#),
            ok("curl -sS -H 'X-Api-Key: xkeysib-«e25689cab279720ddeea1b4620a4cbe2537c5ef7c9492ed3bcdfbd3a418f684b-ftHZ6SJrXaDYOl44»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: xkeysib-gujyo… (see docs)"),
            ok("id=xxkeysib-e25689cab279720ddeea1b4620a4cbe2537c5ef7c9492ed3bcdfbd3a418f684b-ftHZ6SJrXaDYOl44"),
        ],
    },
    Row {
        rtype: "shippo_token",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential shippo_live_«997ea3a5cae86c3a7c200b1a3398d38e2cdca980» for request"),
            ok("export SHIPPO_TOKEN=shippo_live_«997ea3a5cae86c3a7c200b1a3398d38e2cdca980»"),
        ],
        negative: &[
            ok("token format: shippo_live_spqra… (see docs)"),
            ok("id=xshippo_live_997ea3a5cae86c3a7c200b1a3398d38e2cdca980"),
        ],
    },
    Row {
        rtype: "prefect_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: pnu_«SQurCp9sckzi5rpClJvjiEknClSfRcn1E4f9»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "pnu_«SQurCp9sckzi5rpClJvjiEknClSfRcn1E4f9»","#),
        ],
        negative: &[
            ok("token format: pnu_oqkla… (see docs)"),
            ok("id=xpnu_SQurCp9sckzi5rpClJvjiEknClSfRcn1E4f9"),
        ],
    },
    Row {
        rtype: "adafruit_key",
        found_by: &[Format],
        positive: &[
            ok("export ADAFRUIT_KEY_TOKEN=aio_«k78CcGg8R8MUJ78VAmhrrz0aQUPh»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential aio_«k78CcGg8R8MUJ78VAmhrrz0aQUPh» for request"),
        ],
        negative: &[
            ok("token format: aio_hhcky… (see docs)"),
            ok("id=xaio_k78CcGg8R8MUJ78VAmhrrz0aQUPh"),
        ],
    },
    Row {
        rtype: "mapbox_secret_token",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "sk.«eyJ1IjoicXVvcmp64L_pOUGYuWROa4swH4tOzxQTunzVRHvc5RW2Cp.1063ouXrJpjtJWrWr1_ojO»","#),
            ok("curl -sS -H 'X-Api-Key: sk.«eyJ1IjoicXVvcmp64L_pOUGYuWROa4swH4tOzxQTunzVRHvc5RW2Cp.1063ouXrJpjtJWrWr1_ojO»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: sk.bszcg… (see docs)"),
            ok("id=xsk.eyJ1IjoicXVvcmp64L_pOUGYuWROa4swH4tOzxQTunzVRHvc5RW2Cp.1063ouXrJpjtJWrWr1_ojO"),
        ],
    },
    Row {
        rtype: "aws_appsync_api_key",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential da2-«nbidbjuabpedfwu92l2ys90mna» for request"),
            ok("export AWS_APPSYNC_API_KEY_TOKEN=da2-«nbidbjuabpedfwu92l2ys90mna»"),
        ],
        negative: &[
            ok("token format: da2-afnwk… (see docs)"),
            ok("id=xda2-nbidbjuabpedfwu92l2ys90mna"),
        ],
    },
    Row {
        rtype: "duffel_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: duffel_live_«g5Xcz9jkMGGMOv6SAd09gv_bpNwoAxt8qMwKfO2wzG4»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "duffel_live_«g5Xcz9jkMGGMOv6SAd09gv_bpNwoAxt8qMwKfO2wzG4»","#),
        ],
        negative: &[
            ok("token format: duffel_live_btdmn… (see docs)"),
            ok("id=xduffel_live_g5Xcz9jkMGGMOv6SAd09gv_bpNwoAxt8qMwKfO2wzG4"),
        ],
    },
    Row {
        rtype: "frameio_token",
        found_by: &[Format],
        positive: &[
            ok("export FRAMEIO_TOKEN=fio-u-«Fm_Blcyy9sfJCR35LKrDpqaGPk4f1Sy8unk9B3Enj-dafcMr7FB0mqTmyvE4s6wb»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential fio-u-«Fm_Blcyy9sfJCR35LKrDpqaGPk4f1Sy8unk9B3Enj-dafcMr7FB0mqTmyvE4s6wb» for request"),
        ],
        negative: &[
            ok("token format: fio-u-wivzc… (see docs)"),
            ok("id=xfio-u-Fm_Blcyy9sfJCR35LKrDpqaGPk4f1Sy8unk9B3Enj-dafcMr7FB0mqTmyvE4s6wb"),
        ],
    },
    Row {
        rtype: "octopus_api_key",
        found_by: &[Format],
        positive: &[
            ok(r#""token": "API-«6BQWCZVSVDRPUF0T0YL65L5U66»","#),
            ok("curl -sS -H 'X-Api-Key: API-«6BQWCZVSVDRPUF0T0YL65L5U66»' https://api.example.invalid/v1/ping"),
        ],
        negative: &[
            ok("token format: API-sdzgy… (see docs)"),
            ok("id=xAPI-6BQWCZVSVDRPUF0T0YL65L5U66"),
        ],
    },
    Row {
        rtype: "azure_ad_client_secret",
        found_by: &[Format],
        positive: &[
            ok("2026-11-04T07:12:55Z DEBUG using credential «NwY8Q~YxUMORTrI6xYIahjl8dMGo6o9PM4hYjNa4» for request"),
            ok("export AZURE_AD_CLIENT_SECRET_TOKEN=«NwY8Q~YxUMORTrI6xYIahjl8dMGo6o9PM4hYjNa4»"),
        ],
        negative: &[
            ok("token format: NwY8Q~fyuht… (see docs)"),
            ok("id=xNwY8Q~YxUMORTrI6xYIahjl8dMGo6o9PM4hYjNa4"),
        ],
    },
    Row {
        rtype: "aws_session_token",
        found_by: &[Format],
        positive: &[
            ok("curl -sS -H 'X-Api-Key: «IQoJb3JpZ2luX2VjEAZ8kn/5YgW5cJk8yhQ9ST+RC7vuAeI3HBfTZPD9Z6wm2OLU06XYYqpllE62RUK8A/DJcihnTRgl/nkove+6rPyia6RuE0X0g5vsP78SaJ5P1v0uf9aZD+7jieLlIJ8PhadZ9VnyNbT0JIqiKWoEXObITzg6THRJg9bjJFdo9fWgcS4uORPOoPzt5z3gTYUyAQfxsm0KYcnix542PZK5bzUVRk2ViDvo0yfCSLJGxDSHyCaA7BBhNI24/6t3nqKKre9libFzTjDK/Ph9671dLGqC4WwNBhskqSvaQP1VUblzB»' https://api.example.invalid/v1/ping"),
            ok(r#""token": "«IQoJb3JpZ2luX2VjEAZ8kn/5YgW5cJk8yhQ9ST+RC7vuAeI3HBfTZPD9Z6wm2OLU06XYYqpllE62RUK8A/DJcihnTRgl/nkove+6rPyia6RuE0X0g5vsP78SaJ5P1v0uf9aZD+7jieLlIJ8PhadZ9VnyNbT0JIqiKWoEXObITzg6THRJg9bjJFdo9fWgcS4uORPOoPzt5z3gTYUyAQfxsm0KYcnix542PZK5bzUVRk2ViDvo0yfCSLJGxDSHyCaA7BBhNI24/6t3nqKKre9libFzTjDK/Ph9671dLGqC4WwNBhskqSvaQP1VUblzB»","#),
        ],
        negative: &[
            ok("token format: IQoJb3kkoow… (see docs)"),
            ok("id=xIQoJb3JpZ2luX2VjEAZ8kn/5YgW5cJk8yhQ9ST+RC7vuAeI3HBfTZPD9Z6wm2OLU06XYYqpllE62RUK8A/DJcihnTRgl/nkove+6rPyia6RuE0X0g5vsP78SaJ5P1v0uf9aZD+7jieLlIJ8PhadZ9VnyNbT0JIqiKWoEXObITzg6THRJg9bjJFdo9fWgcS4uORPOoPzt5z3gTYUyAQfxsm0KYcnix542PZK5bzUVRk2ViDvo0yfCSLJGxDSHyCaA7BBhNI24/6t3nqKKre9libFzTjDK/Ph9671dLGqC4WwNBhskqSvaQP1VUblzB"),
        ],
    },
    Row {
        rtype: "aws_ecr_login_token",
        found_by: &[Format],
        positive: &[
            ok("export AWS_ECR_LOGIN_TOKEN=eyJwYXlsb2FkIjoi«V9r4oU4hmbXTmD/N6kMX9iRnKE3BOHqfOzfzD+8CfH59lx8goseKCUo4BsJJqYPwqW9er+YE7+7XKy7hFIkG6k8xQqs1iK7fxubGT539EPBwcZAQfZVXIreYsUoL1D3ndqhRv2FTn9yTmZhNnPZtoBVbZh/BKdMDTvbs0E2R4S8aAMs4vLT3KbhV6sbC9KqQpLURNC/sfA7L4bn3yIxei6HVOApIvV37TLQPSFxEwVIrNJtnAPM1tFU8zwRPlryqXfHRLJPcRYAMiusEEblzjMwDY7LyEElDfC4qu9CD22KHAyJ7H8Y7XNBO5+ALIiDYQFzlMb2P///pUM7+wvf9M8UZYGANhE030gZcaBHHKVj1ZHAUUV39qKd/PsBEsHww7FWubfPMzSgsnNOy==»"),
            ok("2026-11-04T07:12:55Z DEBUG using credential eyJwYXlsb2FkIjoi«V9r4oU4hmbXTmD/N6kMX9iRnKE3BOHqfOzfzD+8CfH59lx8goseKCUo4BsJJqYPwqW9er+YE7+7XKy7hFIkG6k8xQqs1iK7fxubGT539EPBwcZAQfZVXIreYsUoL1D3ndqhRv2FTn9yTmZhNnPZtoBVbZh/BKdMDTvbs0E2R4S8aAMs4vLT3KbhV6sbC9KqQpLURNC/sfA7L4bn3yIxei6HVOApIvV37TLQPSFxEwVIrNJtnAPM1tFU8zwRPlryqXfHRLJPcRYAMiusEEblzjMwDY7LyEElDfC4qu9CD22KHAyJ7H8Y7XNBO5+ALIiDYQFzlMb2P///pUM7+wvf9M8UZYGANhE030gZcaBHHKVj1ZHAUUV39qKd/PsBEsHww7FWubfPMzSgsnNOy==» for request"),
        ],
        negative: &[
            ok("token format: eyJwYXlsb2FkIjoiekbay… (see docs)"),
            ok("id=xeyJwYXlsb2FkIjoiV9r4oU4hmbXTmD/N6kMX9iRnKE3BOHqfOzfzD+8CfH59lx8goseKCUo4BsJJqYPwqW9er+YE7+7XKy7hFIkG6k8xQqs1iK7fxubGT539EPBwcZAQfZVXIreYsUoL1D3ndqhRv2FTn9yTmZhNnPZtoBVbZh/BKdMDTvbs0E2R4S8aAMs4vLT3KbhV6sbC9KqQpLURNC/sfA7L4bn3yIxei6HVOApIvV37TLQPSFxEwVIrNJtnAPM1tFU8zwRPlryqXfHRLJPcRYAMiusEEblzjMwDY7LyEElDfC4qu9CD22KHAyJ7H8Y7XNBO5+ALIiDYQFzlMb2P///pUM7+wvf9M8UZYGANhE030gZcaBHHKVj1ZHAUUV39qKd/PsBEsHww7FWubfPMzSgsnNOy=="),
        ],
    },
    Row {
        rtype: "password",
        found_by: &[Field, Flag, SiblingKey, Phrase, CliColumn],
        positive: &[
            ok("DB_PASSWORD=«TqPWcAEu3hZa!z»"),
            // a Kubernetes container's env: the name says what its sibling value is
            ok("      env:\n        - name: DB_PASSWORD\n          value: «Zq8mNv2pLxQ7»\n        - name: LOG_LEVEL\n          value: info\n"),
            ok(r#"{"content": "env:\n- name: \"DB_PASSWORD\"\n  value: \"«Xw3!kLp9qRt2»\"\n"}"#),
            ok("mysql -u app -p'«3vqDSWKcSkcVcq»' -e 'select 1'"),
            ok("redis-cli -h cache.internal -a «Tq7nUq0yn1KnObN#2» ping"),
            ok("aws rds modify-db-instance --master-user-password «MgohAtOwKFtSG5yQ»"),
            ok(r#"variable \"db_password\" {\n  type    = string\n  default = \"«Wq7rLx2pNv9s»\"\n}"#),
            ok(r#"{\"ParameterKey\": \"DbPassword\", \"ParameterValue\": \"«hN4vQe8Rk2Lz»\"}"#),
            ok(r#""environment": [{"name": "DB_PASSWORD", "value": "«c7Jr2WqpLk9X»"}]"#),
            // the naming sibling after the value, in JSON and in JSON inside a JSON string
            ok(r#""env": [{"value": "«SaTfBzMWa00S»", "name": "DB_PASSWORD"}]"#),
            ok(r#"{\"value\": \"«dHFEyM6Mns2NCu»\",\n \"name\": \"SMTP_PASSWORD\"}"#),
            // escapes inside the quoted value belong to it (JSON, shell, Go's \u0026, PHP's \/)
            ok(r#"{"db_password": "«q8\"Rz0\\vT3\u0026Lw\/5Yb»"}"#),
            ok(r#"export PGPASSWORD="«mx\"BqaRq\\NOsW»""#),
            ok(r#"{\"password\": \"«Gn4\\\"Pw7\\\\Zk2»\"}"#),
            ok(r#"mysqladmin --password="«ispf5\"zLOJ4»" status"#),
            // unquoted, a generated password keeps its quotes and backslashes (a .env file,
            // YAML); a quote that ends the value closes a quoting around the assignment
            ok(r#"DB_PASSWORD=«aB3"x\9!k#Lm»"#),
            ok(r#"{"content": "DB_HOST=db\nDB_PASSWORD=«Zp5\"w\\7!q'Hn»\nDB_PORT=5432\n"}"#),
            ok("db:\n  password: «p'q\"r8Zm2!x»\n  user: app\n"),
            ok("environment:\n  - \"DB_PASSWORD=«Tq8xLm2pRz»\"\n  - \"LOG_LEVEL=info\"\n"),
            ok(r#""Env": ["DB_PASSWORD=«Wv6nKq3sLx»", "PORT=8080"]"#),
            // a double-quoted argument in a command carried in JSON (`\"…\"`), a registry
            // login's `-p`, a value piped into `--password-stdin`
            ok(r#"{"command": "sshpass -p \"«Zq8mL!2x#R9vTp9k»\" ssh app@host"}"#),
            ok("docker login -u app -p «Hq7vR2xK9mT4» registry.internal"),
            ok(r#"{"command": "echo -n \"«Wq7rLx2pNv9s»\" | docker login -u app --password-stdin registry.internal"}"#),
            // .pgpass as `cat` prints it, from its first entry; .netrc's token runs to a blank
            ok(r#"{"type": "tool_result", "tool_use_id": "toolu_01", "content": "*:5432:ledger:app:«Zq8mL2x!R#v$Tp&9k»\n"}"#),
            ok("machine db.internal login app password «Zq8\"mL2x!R#v;Tp&9k»\n"),
            // XML configuration: an element named for a secret (Maven's settings.xml), a
            // `value` named by its `key` or `name` (.NET, Spring), an entry named by its key
            ok("<server>\n  <id>nexus</id>\n  <username>deploy</username>\n  <password>«Rs5fV1g6bSj»</password>\n</server>\n"),
            ok("<appSettings>\n  <add key=\"DbPassword\" value=\"«Hq7vR2xK9mT4»\" />\n  <add key=\"LogLevel\" value=\"Info\" />\n</appSettings>"),
            ok("<property name=\"url\" value=\"jdbc:postgresql://db/app\"/>\n<property name=\"password\" value=\"«Zk3#pW8qL5vN»\"/>"),
            ok("<entry key=\"db.password\">«Wq7rLx2pNv9s»</entry>\n<entry key=\"db.user\">app</entry>"),
            ok("<password>«Hk9vR!9j&amp;4dDs»</password>"),
            // get-random-password draws from every mark: `<T`, `${…}`, `$N`, a dot after digits
            // are a generated password's characters, not a template, a variable or a version
            ok(r#"{\n    \"RandomPassword\": \"«7c|a<TU$N=%/;q8»\"\n}"#),
            ok(r#"{"RandomPassword": "«4c8WSq@${~f9%Zx?_n}»"}"#),
            ok(r#"{"RandomPassword": "«69rv(@=.%P~?k3e+}!»"}"#),
            // a '$' inside a generated password is one of its characters, not a variable
            ok(r#"    "password": "«Hb4#tW9$qM2!vK7x»","#),
            ok("DB_PASSWORD=«Jc8$Rn3kPz6!»"),
            // the AWS CLI's shorthand: the next KEY= and the closing brace end the value
            ok("aws lambda update-function-configuration --function-name f --environment 'Variables={DB_PASSWORD=«Hq7vR2xK9mT4»,API_URL=https://api.example.com/v1}'"),
            ok("--environment Variables={SMTP_PASSWORD=«Zk3#pW8qL5vN»}"),
            // Terraform state: the result of a random_password
            ok(r#"{"attributes": {"id": "none", "keepers": null, "length": 20, "lower": true, "min_lower": 0, "min_numeric": 0, "min_special": 2, "min_upper": 0, "number": true, "numeric": true, "override_special": "!#%&", "result": "«uK4!vR9#mT2&pW7qZ3x»", "special": true}}"#),
            ok(r#"\"min_special\": 0,\n \"min_upper\": 0,\n \"override_special\": null,\n \"result\": \"«Lh7tN2wQ9vB4cX8k»\",\n"#),
            // in a URL's query the next parameter ends the value
            ok("JDBC_URL=jdbc:postgresql://db.internal:5432/app?user=app&password=«Fz3qW8mK2vR7»&ssl=true"),
            // told in prose: after is/was, after `for …`, after `to` when it is set, and right
            // after the word when it is used
            ok("the staging db password is «Vq7&mL2xR9» and the user is app"),
            ok("The password for the reporting user was «pw4reports», it changed last week."),
            ok("Passphrase is `«Lw8!kT3z#Qp»`."),
            ok("I reset the admin password to «Nz5$hY8wq2» this morning"),
            ok(r#"{"type": "text", "text": "log in with password «Kd9mPq2Lrx» then run the migration"}"#),
            ok("the password is «48213907» for the door panel"),
            ok("The password is: «hunter2!x» (do not share)"),
            ok("your password was reset to «Qw8#kL2mNp» by the admin"),
            // printed by the command that reads it: in a transcript, and as the result of the
            // tool call with the command's id (not the result of another call)
            ok(r#"$ kubectl get secret db-creds -n prod -o jsonpath='{.data.password}' | base64 -d\n«S3cr3tP4ssw0rd!»\n$ "#),
            ok(r#"{"type": "tool_use", "id": "toolu_01Ab", "name": "Bash", "input": {"command": "ls"}}, {"type": "tool_use", "id": "toolu_01Xy", "name": "Bash", "input": {"command": "kubectl get secret db -o jsonpath='{.data.db_password}' | base64 --decode", "description": "Read it"}}]}, {"role": "user", "content": [{"tool_use_id": "toolu_01Ab", "type": "tool_result", "content": "Makefile2x"}, {"tool_use_id": "toolu_01Xy", "type": "tool_result", "content": "«Vq7&mL2xR9zK»", "is_error": false}]}"#),
            ok(r#"{"text": "the smtp password is \"«Rt6#vW2pLm»\" (rotated monthly)"}"#),
        ],
        negative: &[
            // a YAML env entry whose value is a reference, not the secret
            ok("env:\n  - name: API_TOKEN\n    value: ${{ secrets.API_TOKEN }}\n  - name: PASSWORD\n    value: \"$(DB_PASSWORD)\"\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        key: password\n"),
            ok(r#"{"value": "Xk29fjQ0pLmzT", "name": "DB_HOST"}"#),
            // a variable stands for the password: upper case anywhere, lower case as the whole value
            ok("DB_PASSWORD=$PGPASSWORD"),
            ok(r#""password": "pre-$DB_PASS""#),
            ok(r#"$conn = connect("db", "app", $password);  "password" => "$password","#),
            ok(r#"{"min_special": 2}, {"result": "Xk29fjQ0pLmzT", "status": "ok"}"#),
            ok(r#"{"name": "deploy", "result": "Xk29fjQ0pLmzT"}"#),
            ok(r#"{"value": "ordinary text", "name": "greeting"}, {"name": "DB_PASSWORD"}"#),
            ok(r#""password": "multi\nline text\nnot one value""#),
            ok(r#"password: """#),
            ok("password: ${DB_PASSWORD}"),
            ok("password: {{ .Values.db.password }}"),
            ok("<password>${env.NEXUS_PASSWORD}</password>"),
            ok("aws ecr get-login-password | docker login --username AWS --password-stdin registry.internal"),
            ok("docker login -p $REGISTRY_PASSWORD registry.internal"),
            ok("<div><span>key</span><p>the secret token is rotated</p></div>"),
            ok("<add key=\"PasswordPolicy\" value=\"strict\" />"),
            ok("DB_PASSWORD=<your-password>"),
            ok("password: <your password>"),
            ok("the password policy requires 12 characters"),
            // prose about passwords, not one
            ok("the password is required and must be rotated every 90 days"),
            ok("the password is stored in ~/.pgpass and read by psql"),
            ok("the password for the admin user is in the vault under ops/admin"),
            ok("password SHA-256 hashes are kept, never the passwords themselves"),
            ok("log in with password authentication disabled"),
            ok("the password is $PGPASSWORD from the environment"),
            ok("set the password to a random value of 24 characters"),
            ok("the password was 1234"),
            ok("Error: password is incorrect for user app"),
            ok("the password was changed to meet the policy"),
            ok("the password is base64-encoded in the Secret, and the token is sha256 hashed"),
            ok("the password is bcrypt2-hashed; the admin password was auto-generated"),
            ok("the password is sha256, not the password itself"),
            ok("  + resource \"aws_db_instance\" \"ledger\" {\n      + password = (sensitive value)\n      + master_password = (known after apply)\n"),
            ok(r#"$ kubectl get secret db -o jsonpath='{.data.password}' | base64 -d\nError from server (NotFound): secrets \"db\" not found"#),
            ok(r#"{"type": "tool_use", "id": "toolu_01Xy", "name": "Bash", "input": {"command": "kubectl get secret db -o jsonpath='{.data.password}' | base64 -d"}}]}, {"role": "user", "content": [{"tool_use_id": "toolu_01Xy", "type": "tool_result", "content": "", "is_error": false}]}"#),
        ],
    },
    Row {
        rtype: "generic_secret",
        found_by: &[Field, SiblingKey, CliColumn],
        positive: &[
            // stored as a secret by the command that sets it
            ok("gh secret set DEPLOY_TOKEN --body «c7Jr2WqpLk9XvB4s»"),
            ok("aws ssm put-parameter --name /app/key --type SecureString --value «mxBqaRqNOsWXfQo2»"),
            ok("SECRET_KEY=«EcmtF1EEo0zIZN447jkkmBTPjt2kWYRJu6NcdEIs»"),
            ok(r#""client_secret": "«VsK68Jp1RUyLWvA23lBvm5vLJ89f0byG»","#),
            ok(r#"{"Name": "/prod/billing/api-secret", "Type": "SecureString", "Value": "«Hq3ZtV9mWc2LpR7xNb4KdS8fYj1GuE6a»"}"#),
            // SSM get-parameter(s) --with-decryption: the type marks the value, whatever the name
            ok(r#"{"Parameter": {"Name": "/billing/conn", "Type": "SecureString", "Value": "«mxBqaRqNOsWXfQo2»", "Version": 3}}"#),
            ok(r#"{\"Value\": \"«GENOG4iyQdgqRnTcqmyN»\", \"Type\": \"SecureString\", \"Name\": \"/ops/relay\"}"#),
            ok("Parameter:\n  Name: /ops/relay\n  Type: SecureString\n  Value: «kR7vQ2mXw9LpT4»\n  Version: 2\n"),
            ok(r#"Parameters:\n- Value: «Zt6pW3nQ8vLk»\n  Type: SecureString\n  Name: /ops/mail"#),
            ok(r#"{\"stdout\": \"PARAMETER\tarn:aws:ssm:eu-west-1:520837461950:parameter/ops/mq\ttext\t2026-03-02T10:11:12Z\t/ops/mq\tSecureString\t«Vb8xM2qR7nKd»\t4\n\"}"#),
            ok("PARAMETER\tarn:aws:ssm:eu-west-1:520837461950:parameter/ops/relay\ttext\t2026-03-02T10:11:12Z\t/ops/relay\tSecureString\t«Tr0ub4dor&3xQ»\t2"),
            // `describe-user-pool-client --output text`: the app client's secret
            ok(r#"USERPOOLCLIENT\t1w7k3q9z5m2v8c4t0r6n3gxbsd\tledger-web\t«4k9w2r7m1q6z3v8c5t0n7j2x4b9h1d6s3f8p5l0a7e2g4i9u1y»\t30\n"#),
            // keys named only `…Key`: values of a generated credential's shape
            ok("STRIPE_KEY=«rk9Qz2XwP4mLt7Vb1Nc8Hy3Jd6Fs0Ka5»\nSENTRY_KEY=«4f9c2a7d1e8b4c60a3d5f7e9b1c2d4e6»\n"),
            ok(r#"{\"cipherKey\": \"«Jm4Nq8Rt2Vw6Yz0Bc3Df7Gh1Kl5Mp9Sx»\"}"#),
            ok("  hmac-key = \"«Q2w3E4r5T6y7U8i9O0p1A2s3D4f5G6h7»\"\n"),
            ok("config.cookieKey = '«a7B2c9D4e1F6g3H8i5J0k2L7m4N9p6Q1»';"),
            // the bare output of a command that prints one secret
            ok("$ aws ssm get-parameter --name /prod/api/token --with-decryption --query Parameter.Value --output text\n«Hq3ZtV9mWc2LpR7xNb4K»\n"),
            ok(r#"$ vault kv get -field=api_token secret/ledger\n«Tk4mW9pQ2xLr7Zv»"#),
            ok("$ terraform output -raw ledger_api_token\n«Zt6pW3nQ8vLkR2»\n"),
            ok("$ aws secretsmanager get-secret-value --secret-id prod/relay --query SecretString --output text\n«mx7BqaRq2NOsWXfQo»\n"),
        ],
        negative: &[
            ok("aws ssm put-parameter --name /app/mode --type String --value blue-green-2"),
            ok("SSH_KEY=~/.ssh/id_ed25519\nSORT_KEY=createdAt\nCACHE_KEY=user-profile-v2\n"),
            // a file's name before the lines a grep shows is no key (`grep -rn` in k8s/)
            ok("k8s/secret.yaml:3:metadata:\nk8s/secret.yaml:4:  name: app\nsecrets.env:1:# none\n"),
            // what such commands print when it is no secret, and commands that print none
            ok("$ aws secretsmanager get-secret-value --secret-id prod/db --query SecretString --output text\n{\"engine\": \"postgres\", \"port\": 5432}\n"),
            ok("$ terraform output -raw ledger_vpc_name\nledger-vpc-2\n"),
            ok("$ aws ssm get-parameter --name /prod/api/token --with-decryption --query Parameter.Value --output text\nAn error occurred (ParameterNotFound)\n"),
            ok("$ echo dGVzdA== | base64 -d\ntest1234x\n"),
            ok(r#""partitionKey": "tenant42Id", "idempotencyKey": "7c1e9a42-5b3d-4f08-9e6a-2d4c8b0f1a37","#),
            ok("BUILD_KEY=3f9a1c07e2b84d6f0a5c9e1b7d2f4a8c6e0b3d51"),
            ok(r#""lastEvaluatedKey": "eyJpZCI6IjEyMyJ9", "mapKey": "region2Name""#),
            ok("SIGNING_KEY_PATH=/etc/ssl/private/sign.pem\nLICENSE_KEY=trial\n"),
            ok(r#""routeKey": "GET /items/{id}", "templateKey": "emails/welcome-v2""#),
            ok(r#"{"Parameter": {"Name": "/billing/region", "Type": "String", "Value": "eu-west-1c-billing"}}"#),
            ok("Parameter:\n  Name: /ops/ami\n  Type: String\n  Value: ami-pinned-v9x\n"),
            ok("PARAMETER\tarn:aws:ssm:eu-west-1:aws:parameter/ops/ami\ttext\t2026-03-02T10:11:12Z\t/ops/ami\tString\tplain-value-9\t2"),
            ok("SECRET_KEY=changeme"),
            ok(r#""client_secret": "<your-secret>""#),
            ok(r#""NextToken": "eyJ2IjoxfQ==""#),
        ],
    },
    Row {
        rtype: "generic_api_key",
        found_by: &[Field, CliColumn],
        positive: &[
            // an API Gateway API key (get-api-keys --include-values): the object has stageKeys
            ok(r#"{"items": [{"id": "q3w8e2r7t1", "value": "«Hv7kQ2mW9pR4zL8vN3bJ6hT1yC5fG0dS2aE9uI»", "name": "partner-x", "enabled": true, "stageKeys": ["q3w8e2r7t1/prod"]}]}"#),
            ok("DD_API_KEY=«9cd68b1a3c541b1a07cbc18f6256c617»"),
            ok(r#"api_key: "«otJqkSwhnQSBlWSOz8enVvfNlKzB8WonFUQw»""#),
            // `--output text` of the keys with their values: the command names the column
            ok("$ aws apigateway get-api-keys --include-values --output text\nITEMS\t2026-10-01T10:00:00+00:00\tTrue\tq3w8e2r7t1\t2026-10-01T10:00:00+00:00\tpartner-x\t«Kd8vR2mQ7wT4zL9pN3bX6hJ1yC5fG0sA2eU9iOtW»\n"),
            ok(r#"{"command": "aws apigateway get-api-key --api-key q3w8e2r7t1 --include-value --output text"}, {"content": "2026-10-01T10:00:00+00:00\tTrue\tq3w8e2r7t1\tpartner-x\t«Zp4Lq8Wm2Rv6Tn0Xc3Bk7Hj1Fd5Gs9Ya2Ue4IoP»\n"}"#),
            ok("$ aws apigateway get-api-key --api-key q3w8e2r7t1 --include-value --output table\n||  enabled      |  True                                        ||\n||  id           |  q3w8e2r7t1                                  ||\n||  value        |  «Rt6Yq2Lm8Wv4Zn0Bc3Xk7Hj1Fd5Gs9Pa2Ue4IoK»    ||\n|+---------------+----------------------------------------------+|\n"),
        ],
        negative: &[
            // the same command without the values, and a key-shaped cell of another command
            ok("$ aws apigateway get-api-keys --output text\nITEMS\t2026-10-01T10:00:00+00:00\tTrue\tq3w8e2r7t1\tpartner-x\n"),
            ok("$ aws ec2 describe-images --output text\nIMAGES\tx86_64\tKd8vR2mQ7wT4zL9pN3bX6hJ1yC5fG0sA2eU9iOtW\n"),
            ok("$ aws apigateway get-api-key --api-key q3w8e2r7t1 --output table\n||  value        |  not-included-here                           ||\n"),
            ok(r#"{"id": "q3w8e2r7t1", "value": "Hv7kQ2mW9pR4zL8vN3bJ6hT1yC5fG0dS2aE9uI", "name": "partner-x"}"#),
            ok("api_key: YOUR_API_KEY"),
            ok("DD_API_KEY=${DD_API_KEY}"),
        ],
    },
    Row {
        rtype: "aws_secret_access_key",
        found_by: &[Field, CliColumn],
        positive: &[
            ok("aws_secret_access_key = «Z5cX4fVH8e02eNw7OpmE3DHkvOdOv+h5Y5O2sXVB»"),
            ok(r#""SecretAccessKey": "«gKpofBRSL58Z39YlSRguKFs4z4UYOH9r779KCQjd»","#),
            // the key's shape after a key of any name
            ok("export BILLING_UPLOADER=«Qm7vT2xK9pL4wR8nZ3bC6yH1jF5dS0gA2eU9iOtN»"),
            ok(r#"{\"replication\": \"«r8W2e4Rz6Y0u2Ib4o6P8a0S2d4F/g8H0j2K4l6Z8»\"}"#),
            ok("  upstream: «Jx5Kq9+Lm2Nv7Bc1Zt4Wy8Hd3Gf6Rs0Pa/Ue9Io2»\n"),
        ],
        negative: &[
            // a commit, a digest, a path, base64 of a sentence, an id of another shape
            ok("GIT_COMMIT=3f9a1c07e2b84d6f0a5c9e1b7d2f4a8c6e0b3d51"),
            ok(r#""sha1": "5E0C8A3F19D27B64EA01C9F38D7B2A6E4F1C0D9B","#),
            ok("source: Users/Quentin/Projects/Ledger2/src/App"),
            ok(r#""greeting": "SGVsbG8gd29ybGQsIHRoaXMgaXMgYSB0ZXN0ISEh""#),
            ok("token_hint: ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
            ok("ratio: 12345678901234567890123456789012345678ab"),
            ok(r#"    _toolset_twin = "BetaAsyncAbstractComputerToolset20260801""#),
            ok(r#""NextToken": "nUq0yn1KnObNvy3dGhRL1XwoBibRrVzZg8n0ehRu", "ETag": "Xq2Lm9Rt4Vw7Yz1Bc5Df8Gh3Kj6Np0Sx2Ua9Ie4O""#),
            gap(
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "the secret key of the AWS documentation is masked like a real one",
            ),
            ok("aws_secret_access_key ="),
        ],
    },
    Row {
        rtype: "azure_storage_key",
        found_by: &[Field],
        positive: &[
            ok("DefaultEndpointsProtocol=https;AccountName=quorvstore;AccountKey=«6ORfCExc7VMXOmOZ8uEJ/8NO18jwffVmPwH8I82Vi/cIAt0KsqlMXU3+RQ+K1Ebn4mj2XBZ3XiSR/+JL0MIM/M==»;EndpointSuffix=core.windows.net"),
        ],
        negative: &[
            ok("AccountKey=<key>;"),
            ok("AccountKey=;EndpointSuffix=core.windows.net"),
        ],
    },
    Row {
        rtype: "docker_auth",
        found_by: &[Field],
        positive: &[
            ok(r#"{"auths": {"registry.example.invalid": {"auth": "«Y2ktYm90OmNDQXJXdko2Zm5QeVA0ZUFJVTVW»"}}}"#),
        ],
        negative: &[
            ok(r#"{"auths": {"registry.example.invalid": {"auth": ""}}}"#),
            ok(r#""auth": "oauth2""#),
        ],
    },
    Row {
        rtype: "basic_auth",
        found_by: &[Format],
        positive: &[
            ok("Authorization: Basic «c3ZjOmo2bTg4SkVROGxjODdRY0M=»"),
        ],
        negative: &[
            ok(r#"Authorization: Basic realm=\"api\""#),
            ok("basic usage: see README"),
        ],
    },
    Row {
        rtype: "bearer_token",
        found_by: &[Format],
        positive: &[
            ok("Authorization: Bearer «sIU1Wj_8WdVhlv.GWZr-9j_vF0sPEcY9cE686VUn»"),
            ok("Authorization: token «B6X3p5gtXEcgzOD5Kq4reMVzNrql4NP6»"),
        ],
        negative: &[
            ok("Authorization: Bearer <token>"),
            ok("Bearer tokens expire after one hour"),
        ],
    },
    Row {
        rtype: "k8s_secret_data",
        found_by: &[Field],
        positive: &[
            ok(r#"kind: Secret\ndata:\n  api-key: «TGdJRGNzaXBNNUdLcHRETE9Pb1ZXR3Na»\n"#),
            // a PEM key decodes to lines: a TLS Secret's key, a kubeconfig's client key
            ok("data:\n  tls.key: «LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlCT2dJQkFBSkJBS2ozdlI4bVEyeFc3cFo0bkw5dEs2Y1kxZkg1ZEcwc0EzZVU4aU8yYlY3eFE0bVI5d1oK»\n"),
            ok(r#"users:\n- name: lab-admin\n  user:\n    client-key-data: «LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUhxN3ZaM21YOXBMMndSOHRONGtDNnlGMWpCNXNEMGdRN2VVM2FPMmhWOG5Nb0FvR0NDcUdTTTQ5Cg==»\n"#),
        ],
        negative: &[
            ok(r#"data:\n  note: aGVsbG8gd29ybGQhxyz\n"#),
            // a certificate is public
            ok("- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJkekNDQVIyZ0F3SUJBZ0lCQURBS0JnZ3Foa2pPUFFRREFqQWpNU0V3SHdZRFZRUUREQmhyTTNNdGMyVnkK\n"),
            ok("kind: ConfigMap"),
        ],
    },
    Row {
        rtype: "db_password",
        found_by: &[Format],
        positive: &[
            ok("DATABASE_URL=postgres://app:«KnfxY2FoNrsKeCtv2B»@db-1.internal.example:5432/orders"),
            ok("redis://:«rgOHN42GuhlVeBipCrnX»@10.0.3.7:6379/0"),
            ok("postgres://app:«Wd2$kM9!qT4x»@db.internal:5432/app"),
            // Oracle's connect string user/password@service
            ok("spring.datasource.url=jdbc:oracle:thin:billing/«Rq7vK2mW9xT4»@//ora1.internal:1521/SALESPDB"),
            ok("$ sqlplus -s ledger/«Tn5zQ8wK3pX6»@//10.1.4.9:1521/ORCL @report.sql"),
            ok(r#"{"command": "expdp userid=hr_admin/«Mv4xB9qL2nR8»@PRODDB schemas=HR"}"#),
        ],
        negative: &[
            ok("postgres://user:password@localhost/db"),
            ok("postgres://app:$DB_PASSWORD@db.internal:5432/app"),
            ok("jdbc:oracle:thin:@//ora1.internal:1521/SALESPDB"),
            ok("sqlplus / as sysdba @setup.sql"),
            ok("sqlplus -s $ORA_USER/$ORA_PASSWORD@orcl"),
            ok("see docs/oracle/thin@latest for the driver"),
            ok("postgres://app@db.example/orders"),
        ],
    },
    Row {
        rtype: "url_credentials",
        found_by: &[Format],
        positive: &[
            ok("git clone https://deploy:«Mo3oEvXrPlSNxcDXSB0Io5Tj»@git.example.invalid/team/repo.git"),
        ],
        negative: &[
            ok("https://example.com/a@b"),
            ok("mailto:someone@example.com"),
        ],
    },
    Row {
        rtype: "jwt",
        found_by: &[Format],
        positive: &[
            ok("Authorization: Bearer «eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9».«eyJzdWIiOiJob2VtcG5yYW56IiwiZXhwIjoxOTAwMDAwMDAwfQ».«LjWCUeUTxjD4gPm2TA-BLHBcBnNRRck405AoN5oblgC»"),
        ],
        negative: &[
            ok("eyJhbGciOiJIUzI1NiJ9 alone is a header"),
            ok("version ey.ey.ey"),
        ],
    },
    Row {
        rtype: "private_key",
        found_by: &[Format],
        positive: &[
            ok(r#"-----BEGIN OPENSSH PRIVATE KEY-----\n«+JHeWgozUatxWDV56KdQtEsI3f33m+9/UkgLYh8RJPZdTyS4sqnsbnY3Y1Fe6j4SqDy1Vx»\n«uxmtGixpSj9DJ7Ybe+Wfb6OHixjkpUA6my3DKAOFqyenvfCQBThzsDhINw3hXkqQYLW6O2»\n-----END OPENSSH PRIVATE KEY-----"#),
        ],
        negative: &[
            ok(r#"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----"#),
            ok("paste your -----BEGIN PRIVATE KEY----- block here"),
        ],
    },
    Row {
        rtype: "slack_webhook",
        found_by: &[Format],
        positive: &[
            ok("SLACK_WEBHOOK=https://hooks.slack.com/services/«T5JPQUASW0X»/«BLC20MMWAYB»/«e6Bl9QKkl17XGyeJaWEFVoc6»"),
        ],
        negative: &[
            ok("https://hooks.slack.com/services/"),
            ok("see hooks.slack.com docs"),
        ],
    },
    Row {
        rtype: "discord_webhook",
        found_by: &[Format],
        positive: &[
            ok("https://discord.com/api/webhooks/«174225729224566203»/«K0ksE4F2kqgOaoulVpTWpEReboFDNJBAjNvKh9J-pQFl0WWjqToMMz94lR2LzNWbX5sx»"),
        ],
        negative: &[
            ok("https://discord.com/api/webhooks/"),
            ok("https://discord.com/channels/123/456"),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{BodyKind, Engine, Rules};
    use crate::recognizers::{builtin, catalog, user};
    use crate::scanner::{Filter, Scanner};

    const OPEN: &str = "«";
    const CLOSE: &str = "»";

    /// `text` without its marks, and the byte spans the marks enclosed.
    fn unmark(text: &str) -> (String, Vec<(usize, usize)>) {
        let mut plain = String::with_capacity(text.len());
        let mut spans = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(OPEN) {
            plain.push_str(&rest[..open]);
            let after = &rest[open + OPEN.len()..];
            let close = after
                .find(CLOSE)
                .unwrap_or_else(|| panic!("unclosed mark in {text}"));
            let start = plain.len();
            plain.push_str(&after[..close]);
            spans.push((start, plain.len()));
            rest = &after[close + CLOSE.len()..];
        }
        plain.push_str(rest);
        (plain, spans)
    }

    fn scanner() -> Scanner {
        let terms: Vec<String> = USER_TERMS.iter().map(|t| t.to_string()).collect();
        let mut recs = user::build(&terms, &[]).expect("user rules build");
        recs.extend(builtin());
        Scanner::new(recs, Filter::default()).expect("patterns compile")
    }

    /// What is wrong with `example` of `row`, if anything.
    fn problem(scanner: &Scanner, row: &Row, example: &Example, positive: bool) -> Option<String> {
        let (plain, marked) = unmark(example.text);
        let found: Vec<(usize, usize)> = scanner
            .scan(plain.as_bytes())
            .into_iter()
            .filter(|f| f.rtype == row.rtype)
            .map(|f| (f.start, f.end))
            .collect();
        let show = |spans: &[(usize, usize)]| -> Vec<&str> {
            spans.iter().map(|&(s, e)| &plain[s..e]).collect()
        };
        if positive && marked.is_empty() {
            return Some("positive example without a «mark»".into());
        }
        if !positive && !marked.is_empty() {
            return Some("negative example with a «mark»".into());
        }
        if found != marked {
            return Some(format!(
                "wanted {:?}, found {:?}",
                show(&marked),
                show(&found)
            ));
        }
        None
    }

    #[test]
    fn every_catalog_type_has_a_row_and_its_examples_hold() {
        let types: Vec<&str> = catalog().iter().map(|(_, t)| t.name).collect();
        let mut failures = Vec::new();
        for t in &types {
            match row(t) {
                None => failures.push(format!("{t}: no row in recognizers/examples.rs")),
                Some(r)
                    if r.positive.is_empty() || r.negative.is_empty() || r.found_by.is_empty() =>
                {
                    failures.push(format!(
                        "{t}: needs a context kind, a positive and a negative example"
                    ))
                }
                Some(_) => {}
            }
        }
        for (i, r) in ROWS.iter().enumerate() {
            if !types.contains(&r.rtype) {
                failures.push(format!(
                    "{}: row for a type the catalog does not have",
                    r.rtype
                ));
            }
            if ROWS[..i].iter().any(|o| o.rtype == r.rtype) {
                failures.push(format!("{}: two rows", r.rtype));
            }
        }
        let scanner = scanner();
        let mut gaps = Vec::new();
        for r in ROWS {
            let all = r
                .positive
                .iter()
                .map(|e| (e, true))
                .chain(r.negative.iter().map(|e| (e, false)));
            for (example, positive) in all {
                let kind = if positive { "positive" } else { "negative" };
                let problem = problem(&scanner, r, example, positive);
                match (example.gap, problem) {
                    (None, Some(p)) => {
                        failures.push(format!("{} {kind} {:?}: {p}", r.rtype, example.text))
                    }
                    (Some(why), Some(_)) => {
                        gaps.push(format!("{} {kind} {:?}: {why}", r.rtype, example.text))
                    }
                    (Some(_), None) => failures.push(format!(
                        "{} {kind} {:?}: passes now; drop its gap mark",
                        r.rtype, example.text
                    )),
                    (None, None) => {}
                }
            }
        }
        for g in &gaps {
            eprintln!("known gap: {g}");
        }
        assert!(
            failures.is_empty(),
            "{} rule-table failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// `text` as a JSON string's contents.
    fn json_escaped(text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn every_example_in_a_tool_result_masks_to_valid_json() {
        // Each example as an agent sends it: the output of a command inside a tool result, so
        // its escapes are one level deeper. The masked body must still be JSON (a finding that
        // began inside an escape would break it), of the same length.
        let engine = Engine::new(&[7u8; 32], &Rules::default()).expect("engine");
        let mut broken = Vec::new();
        for row in ROWS {
            for ex in row.positive.iter().chain(row.negative) {
                let (plain, _) = unmark(ex.text);
                let body = format!(
                    r#"{{"messages": [{{"role": "user", "content": [{{"type": "tool_result", "tool_use_id": "toolu_01", "content": "{}"}}]}}]}}"#,
                    json_escaped(&plain)
                );
                let masked = engine.mask(body.as_bytes(), BodyKind::Messages).expect("a valid body");
                assert_eq!(masked.body.len(), body.len());
                if engine.mask(&masked.body, BodyKind::Json).is_err() {
                    broken.push(format!("{}: {:?}", row.rtype, plain));
                }
            }
        }
        assert!(broken.is_empty(), "masked to invalid JSON:\n{}", broken.join("\n"));
    }

    /// The values of type `rtype` the scanner finds in `text`, JSON escapes decoded, sorted.
    fn values_of(scanner: &Scanner, text: &str, rtype: &str) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = scanner
            .scan(text.as_bytes())
            .into_iter()
            .filter(|f| f.rtype == rtype)
            .map(|f| crate::engine::canonical(&text.as_bytes()[f.start..f.end]))
            .collect();
        out.sort();
        out
    }

    /// `text` as Claude Code's `Read` tool shows a file: each line numbered, `     12→`.
    fn numbered(text: &str) -> String {
        let lines: Vec<String> = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| format!("{:>6}\u{2192}{l}", i + 1))
            .collect();
        lines.join("\n")
    }

    /// `text` as `grep -n -C1` (or Claude Code's `Grep` tool) shows a file's lines: its path and
    /// the line's number before each, `:` around the number of a matching line, `-` around that
    /// of a line of context (where no rule may take the path for a name's start).
    fn grepped(text: &str) -> String {
        let lines: Vec<String> = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| {
                let sep = if i % 2 == 0 { ':' } else { '-' };
                format!("deploy/prod-eu/app.conf{sep}{}{sep}{l}", i + 1)
            })
            .collect();
        lines.join("\n")
    }

    /// The starts of examples that are a command's output with no `$ ` line before it (`dig`,
    /// the CLI's YAML): the `Read` tool does not show them.
    const COMMAND_OUTPUTS: &[&str] = &[";; QUESTION SECTION:", "Parameter:\n  Name: "];

    #[test]
    fn every_example_holds_in_a_tool_result_and_in_a_file_read_numbered_or_grepped() {
        // The way an agent's traffic carries the same text: inside a tool result's JSON string
        // (one escaping depth more), in a string of a JSON document a command printed there
        // (two depths more: a template's body, a log event's message), as the `Read` tool shows
        // a file, its lines numbered, and as a grep shows them, each after the file's path and
        // its number (raw, and in a tool result). Each must give the same values as the text
        // itself; a JSON document must give the same in a tool result.
        let scanner = scanner();
        let mut failures = Vec::new();
        let tool_result = |t: &str| {
            let content = json_escaped(t);
            format!(r#"{{"type": "tool_result", "tool_use_id": "t1", "content": "{content}"}}"#)
        };
        let in_document = |t: &str| {
            tool_result(&format!(r#"{{"eventId": 1, "message": "{}", "ingestionTime": 1}}"#, json_escaped(t)))
        };
        for row in ROWS {
            let examples = row.positive.iter().chain(row.negative);
            for ex in examples.filter(|e| e.gap.is_none()) {
                let (plain, _) = unmark(ex.text);
                let want = values_of(&scanner, &plain, row.rtype);
                let mut ways = Vec::new();
                // a whole JSON document as a command prints it (a value holding a backslash
                // aside: which of its backslashes are the value's is the escapes' to say)
                if plain.starts_with('{')
                    && crate::json::layout(plain.as_bytes(), &crate::json::GenericPolicy).is_ok()
                    && !want.iter().any(|v| v.contains(&b'\\'))
                {
                    ways.push(("JSON in a tool result", tool_result(&plain)));
                }
                // text as a command or a file has it: not yet JSON, no escapes of its own
                if plain.contains('\\') || plain.starts_with('{') || plain.starts_with('"') {
                    for (how, text) in ways {
                        compare(&scanner, row.rtype, &plain, &want, how, &text, &mut failures);
                    }
                    continue;
                }
                // a file's text, not a command's output: what the `Read` tool shows
                let file = !plain.lines().any(|l| l.starts_with("$ ") || l.starts_with('|'))
                    && !plain.contains("--output")
                    && !COMMAND_OUTPUTS.iter().any(|o| plain.starts_with(o));
                ways.push(("in a tool result", tool_result(&plain)));
                ways.push(("in a string of a JSON document in a tool result", in_document(&plain)));
                if file {
                    ways.push(("numbered", numbered(&plain)));
                    ways.push(("numbered in a tool result", tool_result(&numbered(&plain))));
                    ways.push(("grepped", grepped(&plain)));
                    ways.push(("grepped in a tool result", tool_result(&grepped(&plain))));
                }
                for (how, text) in ways {
                    compare(&scanner, row.rtype, &plain, &want, how, &text, &mut failures);
                }
            }
        }
        assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures.join("\n"));
    }

    /// Adds a failure when `text` (`plain` carried `how`) gives other values of `rtype` than
    /// `want`.
    fn compare(
        scanner: &Scanner,
        rtype: &str,
        plain: &str,
        want: &[Vec<u8>],
        how: &str,
        text: &str,
        failures: &mut Vec<String>,
    ) {
        let got = values_of(scanner, text, rtype);
        if got != want {
            let show = |v: &[Vec<u8>]| -> Vec<String> {
                v.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect()
            };
            failures.push(format!("{rtype} {how} {plain:?}: wanted {:?}, found {:?}", show(want), show(&got)));
        }
    }

    #[test]
    fn ordinary_lines_yield_nothing() {
        let scanner = scanner();
        let mut failures = Vec::new();
        for example in ORDINARY {
            let found: Vec<String> = scanner
                .scan(example.text.as_bytes())
                .iter()
                .map(|f| format!("{} {:?}", f.rtype, &example.text[f.start..f.end]))
                .collect();
            match (example.gap, found.is_empty()) {
                (None, false) => failures.push(format!("{:?}: found {found:?}", example.text)),
                (Some(why), false) => eprintln!("known gap: {:?}: {why}", example.text),
                (Some(_), true) => {
                    failures.push(format!("{:?}: passes now; drop its gap mark", example.text))
                }
                (None, true) => {}
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn context_kinds_come_from_the_rows() {
        assert_eq!(context_kinds("aws_iam_name")[0], Field);
        assert_eq!(context_kinds("user_regex:ticket"), &[] as &[ContextKind]);
        assert_eq!(Flag.name(), "flag");
    }
}
