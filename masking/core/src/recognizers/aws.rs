//! AWS identifiers: resource ids, ARNs (component-wise), account ids in context, access key and
//! IAM unique ids, host names of resources, S3 buckets, SQS URLs, KMS key ids, Route 53 zones.
//!
//! A port of `masking/recognizers/aws.py`. Names chosen by users (`RoleName`,
//! `--function-name`) live in `names`; secret access keys and session tokens, found by their
//! keys, in `secrets`.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::base::{
    key_variants, norm_key, Field, Finding, Recognizer, Shape, TypeInfo, Value, ALNUM,
};

pub const CATEGORY: &str = "aws";

const CW: Shape = Shape::Classwise;
const HEX: Shape = Shape::Hex;

pub const TYPES: &[TypeInfo] = &[
    TypeInfo {
        name: "aws_arn",
        shape: CW,
        description: "ARN resource-name parts that have no finer type",
    },
    TypeInfo {
        name: "aws_account_id",
        shape: CW,
        description: "12-digit account id (in ARNs, hosts, URLs, account fields)",
    },
    TypeInfo {
        name: "aws_access_key_id",
        shape: CW,
        description: "access key id AKIA/ASIA… (prefix kept)",
    },
    TypeInfo {
        name: "aws_iam_unique_id",
        shape: CW,
        description: "IAM unique id AIDA/AROA/AIPA/ANPA… (prefix kept)",
    },
    TypeInfo {
        name: "aws_kms_key_id",
        shape: HEX,
        description: "KMS key id (UUID or mrk-) in KMS context",
    },
    TypeInfo {
        name: "aws_route53_zone_id",
        shape: CW,
        description: "Route 53 hosted zone id (Z kept)",
    },
    TypeInfo {
        name: "aws_hostname",
        shape: CW,
        description: "resource host names (EC2, RDS, ELB, API Gateway, CloudFront…)",
    },
    TypeInfo {
        name: "aws_sqs_queue_url",
        shape: CW,
        description: "queue name of an SQS URL",
    },
    TypeInfo {
        name: "aws_s3_bucket",
        shape: CW,
        description: "S3 bucket name (s3:// URIs, ARNs, hosts, bucket fields)",
    },
    TypeInfo {
        name: "aws_rds_resource_id",
        shape: CW,
        description: "RDS Dbi/cluster resource id (db-/cluster- + 26)",
    },
    TypeInfo {
        name: "aws_ami_id",
        shape: HEX,
        description: "resource id aki-, ami-, ari-",
    },
    TypeInfo {
        name: "aws_bundle_task_id",
        shape: HEX,
        description: "resource id bun-",
    },
    TypeInfo {
        name: "aws_capacity_reservation_id",
        shape: HEX,
        description: "resource id cr-",
    },
    TypeInfo {
        name: "aws_carrier_gateway_id",
        shape: HEX,
        description: "resource id cagw-",
    },
    TypeInfo {
        name: "aws_client_vpn_endpoint_id",
        shape: HEX,
        description: "resource id cvpn-endpoint-",
    },
    TypeInfo {
        name: "aws_custom_key_store_id",
        shape: HEX,
        description: "resource id cks-",
    },
    TypeInfo {
        name: "aws_customer_gateway_id",
        shape: HEX,
        description: "resource id cgw-",
    },
    TypeInfo {
        name: "aws_dedicated_host_id",
        shape: HEX,
        description: "resource id h-",
    },
    TypeInfo {
        name: "aws_dhcp_options_id",
        shape: HEX,
        description: "resource id dopt-",
    },
    TypeInfo {
        name: "aws_ebs_snapshot_id",
        shape: HEX,
        description: "resource id snap-",
    },
    TypeInfo {
        name: "aws_ebs_volume_id",
        shape: HEX,
        description: "resource id vol-",
    },
    TypeInfo {
        name: "aws_ec2_fleet_id",
        shape: HEX,
        description: "resource id fleet-",
    },
    TypeInfo {
        name: "aws_ec2_instance_id",
        shape: HEX,
        description: "resource id i-",
    },
    TypeInfo {
        name: "aws_efs_id",
        shape: HEX,
        description: "resource id fs-, fsap-, fsmt-",
    },
    TypeInfo {
        name: "aws_eip_id",
        shape: HEX,
        description: "resource id eipalloc-, eipassoc-",
    },
    TypeInfo {
        name: "aws_elastic_gpu_id",
        shape: HEX,
        description: "resource id elastic-gpu-",
    },
    TypeInfo {
        name: "aws_export_task_id",
        shape: HEX,
        description: "resource id export-ami-, export-i-",
    },
    TypeInfo {
        name: "aws_flow_log_id",
        shape: HEX,
        description: "resource id fl-",
    },
    TypeInfo {
        name: "aws_fpga_image_id",
        shape: HEX,
        description: "resource id afi-, agfi-",
    },
    TypeInfo {
        name: "aws_fsx_svm_id",
        shape: HEX,
        description: "resource id svm-",
    },
    TypeInfo {
        name: "aws_fsx_volume_id",
        shape: HEX,
        description: "resource id fsvol-",
    },
    TypeInfo {
        name: "aws_import_task_id",
        shape: HEX,
        description: "resource id import-ami-, import-i-, import-snap-",
    },
    TypeInfo {
        name: "aws_instance_connect_endpoint_id",
        shape: HEX,
        description: "resource id eice-",
    },
    TypeInfo {
        name: "aws_instance_event_window_id",
        shape: HEX,
        description: "resource id iew-",
    },
    TypeInfo {
        name: "aws_internet_gateway_id",
        shape: HEX,
        description: "resource id eigw-, igw-",
    },
    TypeInfo {
        name: "aws_ipam_id",
        shape: HEX,
        description: "resource id ipam-, ipam-res-disco-",
    },
    TypeInfo {
        name: "aws_ipam_pool_id",
        shape: HEX,
        description: "resource id ipam-pool-",
    },
    TypeInfo {
        name: "aws_ipam_scope_id",
        shape: HEX,
        description: "resource id ipam-scope-",
    },
    TypeInfo {
        name: "aws_ipv4_pool_id",
        shape: HEX,
        description: "resource id ipv4pool-ec2-",
    },
    TypeInfo {
        name: "aws_key_pair_id",
        shape: HEX,
        description: "resource id key-",
    },
    TypeInfo {
        name: "aws_launch_template_id",
        shape: HEX,
        description: "resource id lt-",
    },
    TypeInfo {
        name: "aws_local_gateway_id",
        shape: HEX,
        description: "resource id lgw-, lgw-attach-, lgw-vif-grp-",
    },
    TypeInfo {
        name: "aws_local_gateway_route_table_id",
        shape: HEX,
        description: "resource id lgw-rtb-",
    },
    TypeInfo {
        name: "aws_nat_gateway_id",
        shape: HEX,
        description: "resource id nat-",
    },
    TypeInfo {
        name: "aws_network_acl_id",
        shape: HEX,
        description: "resource id acl-, aclassoc-",
    },
    TypeInfo {
        name: "aws_network_insights_id",
        shape: HEX,
        description: "resource id nia-, nip-, nis-",
    },
    TypeInfo {
        name: "aws_network_interface_attachment_id",
        shape: HEX,
        description: "resource id eni-attach-",
    },
    TypeInfo {
        name: "aws_network_interface_id",
        shape: HEX,
        description: "resource id eni-",
    },
    TypeInfo {
        name: "aws_placement_group_id",
        shape: HEX,
        description: "resource id pg-",
    },
    TypeInfo {
        name: "aws_prefix_list_id",
        shape: HEX,
        description: "resource id pl-",
    },
    TypeInfo {
        name: "aws_reservation_id",
        shape: HEX,
        description: "resource id r-",
    },
    TypeInfo {
        name: "aws_route_table_id",
        shape: HEX,
        description: "resource id rtb-, rtbassoc-",
    },
    TypeInfo {
        name: "aws_security_group_id",
        shape: HEX,
        description: "resource id sg-",
    },
    TypeInfo {
        name: "aws_security_group_rule_id",
        shape: HEX,
        description: "resource id sgr-",
    },
    TypeInfo {
        name: "aws_spot_instance_request_id",
        shape: HEX,
        description: "resource id sir-",
    },
    TypeInfo {
        name: "aws_subnet_id",
        shape: HEX,
        description: "resource id subnet-",
    },
    TypeInfo {
        name: "aws_traffic_mirror_id",
        shape: HEX,
        description: "resource id tmf-, tms-, tmt-",
    },
    TypeInfo {
        name: "aws_transit_gateway_attachment_id",
        shape: HEX,
        description: "resource id tgw-attach-",
    },
    TypeInfo {
        name: "aws_transit_gateway_id",
        shape: HEX,
        description: "resource id tgw-",
    },
    TypeInfo {
        name: "aws_transit_gateway_multicast_domain_id",
        shape: HEX,
        description: "resource id tgw-mcast-domain-",
    },
    TypeInfo {
        name: "aws_transit_gateway_route_table_id",
        shape: HEX,
        description: "resource id tgw-rtb-",
    },
    TypeInfo {
        name: "aws_verified_access_id",
        shape: HEX,
        description: "resource id vae-, vagr-, vai-, vatp-",
    },
    TypeInfo {
        name: "aws_vpc_endpoint_id",
        shape: HEX,
        description: "resource id vpce-",
    },
    TypeInfo {
        name: "aws_vpc_endpoint_service_id",
        shape: HEX,
        description: "resource id vpce-svc-",
    },
    TypeInfo {
        name: "aws_vpc_id",
        shape: HEX,
        description: "resource id vpc-",
    },
    TypeInfo {
        name: "aws_vpc_peering_connection_id",
        shape: HEX,
        description: "resource id pcx-",
    },
    TypeInfo {
        name: "aws_vpn_connection_id",
        shape: HEX,
        description: "resource id vpn-",
    },
    TypeInfo {
        name: "aws_vpn_gateway_id",
        shape: HEX,
        description: "resource id vgw-",
    },
];

// ---------------------------------------------------------------- byte helpers

#[inline]
fn is_lhex(c: u8) -> bool {
    c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
}

#[inline]
fn is_lower(c: u8) -> bool {
    c.is_ascii_lowercase()
}

#[inline]
fn has_alnum(seg: &[u8]) -> bool {
    seg.iter().any(|&c| ALNUM[c as usize])
}

/// Length of the run of bytes at `i` (before `limit`) that `class` accepts, counted up to `max`.
#[inline]
fn run(d: &[u8], i: usize, limit: usize, max: usize, class: impl Fn(u8) -> bool) -> usize {
    let mut j = i;
    let lim = limit.min(i.saturating_add(max));
    while j < lim && class(d[j]) {
        j += 1;
    }
    j - i
}

/// `seg` is a UUID in lower-case hex (`[0-9a-f]{8}-[0-9a-f]{4}-…-[0-9a-f]{12}`).
fn is_uuid(seg: &[u8]) -> bool {
    seg.len() == 36
        && seg.iter().enumerate().all(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                is_lhex(c)
            }
        })
}

/// `seg` is a multi-Region KMS key id: `mrk-` + 32 lower-case hex digits.
fn is_mrk(seg: &[u8]) -> bool {
    seg.len() == 36 && seg.starts_with(b"mrk-") && seg[4..].iter().all(|&c| is_lhex(c))
}

/// `seg` is exactly twelve digits.
fn is_account12(seg: &[u8]) -> bool {
    seg.len() == 12 && seg.iter().all(u8::is_ascii_digit)
}

/// A slash at `i`, possibly escaped: `\\{0,7}/|\\{1,7}u002[fF]`; the end of the match.
fn slash_at(d: &[u8], i: usize, limit: usize) -> Option<usize> {
    let k = run(d, i, limit, 8, |c| c == b'\\');
    if k > 7 {
        return None;
    }
    let j = i + k;
    if j < limit && d[j] == b'/' {
        return Some(j + 1);
    }
    if k >= 1 && j + 5 <= limit && &d[j..j + 4] == b"u002" && matches!(d[j + 4], b'f' | b'F') {
        return Some(j + 5);
    }
    None
}

// ---------------------------------------------------------------- resource ids

/// Prefix -> type; every id is `<prefix>-` + 8 or 17 lower-case hex digits.
const ID_PREFIXES: &[(&str, &str)] = &[
    ("i", "aws_ec2_instance_id"),
    ("vol", "aws_ebs_volume_id"),
    ("snap", "aws_ebs_snapshot_id"),
    ("ami", "aws_ami_id"),
    ("aki", "aws_ami_id"),
    ("ari", "aws_ami_id"),
    ("sg", "aws_security_group_id"),
    ("sgr", "aws_security_group_rule_id"),
    ("subnet", "aws_subnet_id"),
    ("vpc", "aws_vpc_id"),
    ("eni", "aws_network_interface_id"),
    ("eni-attach", "aws_network_interface_attachment_id"),
    ("rtb", "aws_route_table_id"),
    ("rtbassoc", "aws_route_table_id"),
    ("acl", "aws_network_acl_id"),
    ("aclassoc", "aws_network_acl_id"),
    ("igw", "aws_internet_gateway_id"),
    ("eigw", "aws_internet_gateway_id"),
    ("nat", "aws_nat_gateway_id"),
    ("eipalloc", "aws_eip_id"),
    ("eipassoc", "aws_eip_id"),
    ("fs", "aws_efs_id"),
    ("fsmt", "aws_efs_id"),
    ("fsap", "aws_efs_id"),
    ("fsvol", "aws_fsx_volume_id"),
    ("svm", "aws_fsx_svm_id"),
    ("dopt", "aws_dhcp_options_id"),
    ("lt", "aws_launch_template_id"),
    ("cgw", "aws_customer_gateway_id"),
    ("vgw", "aws_vpn_gateway_id"),
    ("vpn", "aws_vpn_connection_id"),
    ("pcx", "aws_vpc_peering_connection_id"),
    ("sir", "aws_spot_instance_request_id"),
    ("tgw", "aws_transit_gateway_id"),
    ("tgw-attach", "aws_transit_gateway_attachment_id"),
    ("tgw-rtb", "aws_transit_gateway_route_table_id"),
    (
        "tgw-mcast-domain",
        "aws_transit_gateway_multicast_domain_id",
    ),
    ("vpce", "aws_vpc_endpoint_id"),
    ("vpce-svc", "aws_vpc_endpoint_service_id"),
    ("r", "aws_reservation_id"),
    ("pl", "aws_prefix_list_id"),
    ("ipam", "aws_ipam_id"),
    ("ipam-pool", "aws_ipam_pool_id"),
    ("ipam-scope", "aws_ipam_scope_id"),
    ("ipam-res-disco", "aws_ipam_id"),
    ("cvpn-endpoint", "aws_client_vpn_endpoint_id"),
    ("cks", "aws_custom_key_store_id"),
    ("lgw", "aws_local_gateway_id"),
    ("lgw-rtb", "aws_local_gateway_route_table_id"),
    ("lgw-vif-grp", "aws_local_gateway_id"),
    ("lgw-attach", "aws_local_gateway_id"),
    ("cagw", "aws_carrier_gateway_id"),
    ("h", "aws_dedicated_host_id"),
    ("cr", "aws_capacity_reservation_id"),
    ("eice", "aws_instance_connect_endpoint_id"),
    ("vai", "aws_verified_access_id"),
    ("vagr", "aws_verified_access_id"),
    ("vae", "aws_verified_access_id"),
    ("vatp", "aws_verified_access_id"),
    ("nip", "aws_network_insights_id"),
    ("nia", "aws_network_insights_id"),
    ("nis", "aws_network_insights_id"),
    ("export-i", "aws_export_task_id"),
    ("export-ami", "aws_export_task_id"),
    ("import-ami", "aws_import_task_id"),
    ("import-i", "aws_import_task_id"),
    ("import-snap", "aws_import_task_id"),
    ("bun", "aws_bundle_task_id"),
    ("iew", "aws_instance_event_window_id"),
    ("tmf", "aws_traffic_mirror_id"),
    ("tms", "aws_traffic_mirror_id"),
    ("tmt", "aws_traffic_mirror_id"),
    ("fl", "aws_flow_log_id"),
    ("pg", "aws_placement_group_id"),
    ("key", "aws_key_pair_id"),
    ("ipv4pool-ec2", "aws_ipv4_pool_id"),
    ("afi", "aws_fpga_image_id"),
    ("agfi", "aws_fpga_image_id"),
    ("elastic-gpu", "aws_elastic_gpu_id"),
    ("fleet", "aws_ec2_fleet_id"),
];

/// Handles of tasks, associations, event windows and analyses (`eni-attach-…`,
/// `import-ami-…`, `nip-…`) name no resource of the user's infrastructure worth hiding, and are
/// partly made of a resource id; they stay as they are (inside an ARN the ARN rule masks them
/// as a whole segment). Their types stay in the catalog so that a config disabling one loads.
const UNMASKED_PREFIXES: &[&str] = &[
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
];

/// The type of a masked resource-id prefix (`vpc` -> `aws_vpc_id`).
fn masked_id_type(prefix: &[u8]) -> Option<&'static str> {
    static TABLE: LazyLock<HashMap<&'static [u8], &'static str>> = LazyLock::new(|| {
        ID_PREFIXES
            .iter()
            .filter(|(p, _)| !UNMASKED_PREFIXES.contains(p))
            .map(|(p, t)| (p.as_bytes(), *t))
            .collect()
    });
    TABLE.get(prefix).copied()
}

/// The scan pattern of masked resource ids: longest prefix first, then `-` and 8 hex digits.
fn id_pattern() -> String {
    let mut prefixes: Vec<&str> = ID_PREFIXES
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !UNMASKED_PREFIXES.contains(p))
        .collect();
    prefixes.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let alts: Vec<String> = prefixes.iter().map(|p| regex::escape(p)).collect();
    format!("(?:{})-[0-9a-f]{{8}}", alts.join("|"))
}

/// `[a-z0-9]+(?:-[a-z]+)*`: the shape of a prefix in [`id_finding`].
fn id_prefix_shape(p: &[u8]) -> bool {
    let mut parts = p.split(|&c| c == b'-');
    let first = parts.next().unwrap_or(b"");
    !first.is_empty()
        && first
            .iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && parts.all(|w| !w.is_empty() && w.iter().all(|&c| is_lower(c)))
}

/// A finding for the hex part of a resource id spanning exactly `data[s..e]`, if it is one.
pub fn id_finding(data: &[u8], s: usize, e: usize) -> Option<Finding> {
    let seg = &data[s..e];
    let dash = seg.iter().rposition(|&c| c == b'-')?;
    let hex = &seg[dash + 1..];
    if !(hex.len() == 8 || hex.len() == 17) || !hex.iter().all(|&c| is_lhex(c)) {
        return None;
    }
    let prefix = &seg[..dash];
    if !id_prefix_shape(prefix) {
        return None;
    }
    let rtype = masked_id_type(prefix)?;
    Some(Finding::new(s + dash + 1, e, rtype, HEX))
}

// ---------------------------------------------------------------- ARNs

/// The parts of an ARN head `arn:<partition>:<service>:<region>:<account>:`.
struct ArnHead {
    svc: (usize, usize),
    acct: (usize, usize),
    end: usize,
}

/// `arn:(?:aws(?:-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?):svc:region:(12-13 digits|aws|):` at `s`.
fn arn_head(d: &[u8], s: usize) -> Option<ArnHead> {
    let n = d.len();
    if !d[s..].starts_with(b"arn:aws") {
        return None;
    }
    let mut i = s + 7;
    let rest = &d[i..];
    let part = [&b":"[..], b"-cn:", b"-us-gov:", b"-iso:", b"-eusc:"]
        .iter()
        .find(|p| rest.starts_with(p))
        .map(|p| p.len())
        .or_else(|| {
            (rest.len() >= 6
                && rest.starts_with(b"-iso-")
                && is_lower(rest[5])
                && rest.get(6) == Some(&b':'))
            .then_some(7)
        })?;
    i += part;
    let sl = run(d, i, n, 41, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'
    });
    if sl == 0 || sl > 40 || d.get(i + sl) != Some(&b':') {
        return None;
    }
    let svc = (i, i + sl);
    i += sl + 1;
    let rl = run(d, i, n, 33, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-'
    });
    if rl > 32 || d.get(i + rl) != Some(&b':') {
        return None;
    }
    i += rl + 1;
    let al = if d[i..].starts_with(b"aws:") {
        3
    } else {
        let k = run(d, i, n, 14, |c| c.is_ascii_digit());
        if k == 12 || k == 13 {
            k
        } else {
            0
        }
    };
    if d.get(i + al) != Some(&b':') {
        return None;
    }
    Some(ArnHead {
        svc,
        acct: (i, i + al),
        end: i + al + 1,
    })
}

#[inline]
fn res_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"_+=.@$*!~%:/-".contains(&c)
}

/// The end of an ARN's resource part at `p`: plain characters joined by escaped slashes.
fn res_end(d: &[u8], mut p: usize) -> usize {
    let n = d.len();
    loop {
        while p < n && res_char(d[p]) {
            p += 1;
        }
        if p < n && d[p] == b'\\' {
            if let Some(e) = slash_at(d, p, n) {
                p = e;
                continue;
            }
        }
        return p;
    }
}

/// The separators of an ARN's resource part: `\\{0,7}/`, `\\{1,7}u002[fF]` or `:`.
fn sep_at(d: &[u8], i: usize, end: usize) -> Option<usize> {
    match d[i] {
        b':' | b'/' => Some(i + 1),
        b'\\' => slash_at(d, i, end),
        _ => None,
    }
}

/// Segments that are structure, not names.
const ARN_KEEP: &[&[u8]] = &[
    b"service-role",
    b"aws-service-role",
    b"aws-reserved",
    b"app",
    b"net",
    b"gwy",
    b"root",
    b"*",
    b"$LATEST",
    b"default",
    b"latest",
    b"federated-user",
    b"assumed-role",
    b"sso.amazonaws.com",
];
const ARN_IAM_KINDS: &[&[u8]] = &[
    b"role",
    b"user",
    b"group",
    b"instance-profile",
    b"policy",
    b"server-certificate",
    b"mfa",
    b"saml-provider",
    b"oidc-provider",
    b"assumed-role",
    b"federated-user",
];
const ARN_DB_KINDS: &[&[u8]] = &[
    b"db",
    b"cluster",
    b"snapshot",
    b"cluster-snapshot",
    b"replicationgroup",
    b"cachecluster",
];
const ARN_DB_SERVICES: &[&[u8]] = &[
    b"rds",
    b"elasticache",
    b"redshift",
    b"docdb",
    b"neptune-db",
    b"dms",
];

fn arn_name_type(svc: &[u8], kind: &[u8]) -> &'static str {
    if (svc == b"iam" || svc == b"sts") && ARN_IAM_KINDS.contains(&kind) {
        return "aws_iam_name";
    }
    if ARN_DB_SERVICES.contains(&svc) && ARN_DB_KINDS.contains(&kind) {
        return "aws_db_identifier";
    }
    "aws_resource_name"
}

/// `[0-9]{1,6}|\*|\$LATEST|latest`: a version or alias, not a name.
fn versionish(seg: &[u8]) -> bool {
    (!seg.is_empty() && seg.len() <= 6 && seg.iter().all(u8::is_ascii_digit))
        || seg == b"*"
        || seg == b"$LATEST"
        || seg == b"latest"
}

/// Parse the ARN at `s` (reading no further than `limit`) and mask it component-wise (account,
/// names, ids): the findings and the offset where the ARN ends.
pub fn arn_findings(data: &[u8], s: usize, limit: usize) -> Option<(Vec<Finding>, usize)> {
    let d = &data[..limit.min(data.len())];
    let limit = d.len();
    if s >= limit {
        return None;
    }
    let head = arn_head(d, s)?;
    let svc = &d[head.svc.0..head.svc.1];
    let acct = &d[head.acct.0..head.acct.1];
    let mut out: Vec<Finding> = Vec::new();
    if acct.len() >= 12 {
        out.push(Finding::new(head.acct.0, head.acct.1, "aws_account_id", CW));
    }
    let rs = head.end;
    let re = res_end(d, rs);
    if re == rs {
        return if out.is_empty() {
            None
        } else {
            Some((out, head.end))
        };
    }
    let mut end = re;
    while end > rs && matches!(d[end - 1], b'.' | b':' | b',') {
        end -= 1; // the end of a sentence, not of the ARN
    }
    if end < limit && ALNUM[d[end] as usize] {
        return None;
    }
    if acct == b"aws" {
        return Some((Vec::new(), end)); // AWS-managed resources (policies) name nothing of the user's
    }
    // split the resource into segments at '/', ':' and their escaped forms
    let mut segs: Vec<(usize, usize)> = Vec::with_capacity(4);
    let mut p = rs;
    let mut i = rs;
    while i < end {
        if let Some(e) = sep_at(d, i, end) {
            segs.push((p, i));
            p = e;
            i = e;
        } else {
            i += 1;
        }
    }
    segs.push((p, end));
    if svc == b"s3" {
        let (a, b) = segs[0];
        if b > a {
            out.push(Finding::new(a, b, "aws_s3_bucket", CW));
        }
        return Some((out, end));
    }
    let (kind, named): (&[u8], &[(usize, usize)]) = if segs.len() > 1 {
        (&d[segs[0].0..segs[0].1], &segs[1..])
    } else {
        (b"", &segs[..])
    };
    let name_type = arn_name_type(svc, kind);
    for &(a, b) in named {
        if b <= a {
            continue;
        }
        let seg = &d[a..b];
        if ARN_KEEP.contains(&seg) || seg.contains(&b'*') || versionish(seg) {
            continue;
        }
        if let Some(f) = id_finding(d, a, b) {
            out.push(f);
        } else if is_uuid(seg) {
            out.push(Finding::new(
                a,
                b,
                if svc == b"kms" {
                    "aws_kms_key_id"
                } else {
                    "aws_arn"
                },
                HEX,
            ));
        } else if is_mrk(seg) {
            out.push(Finding::new(a + 4, b, "aws_kms_key_id", HEX));
        } else if is_account12(seg) {
            out.push(Finding::new(a, b, "aws_account_id", CW));
        } else if has_alnum(seg) {
            out.push(Finding::new(a, b, name_type, CW));
        }
    }
    Some((out, end))
}

// ---------------------------------------------------------------- fields: accounts, KMS, zones, S3

/// `arn:|s3:|https?:|[a-z]{1,12}-[0-9a-f]{8}` at the start of `data[a..b]`: a value that
/// another recognizer owns (an ARN, a URI, a resource id).
fn defers(data: &[u8], a: usize, b: usize) -> bool {
    let v = &data[a..b];
    if v.starts_with(b"arn:")
        || v.starts_with(b"s3:")
        || v.starts_with(b"http:")
        || v.starts_with(b"https:")
    {
        return true;
    }
    let k = run(v, 0, v.len(), 13, is_lower);
    (1..=12).contains(&k)
        && v.len() >= k + 9
        && v[k] == b'-'
        && v[k + 1..k + 9].iter().all(|&c| is_lhex(c))
}

/// `[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]`: a bucket name.
fn is_bucket(v: &[u8]) -> bool {
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&v.len())
        && edge(v[0])
        && edge(v[v.len() - 1])
        && v.iter().all(|&c| edge(c) || c == b'.' || c == b'-')
}

/// Values that name no bucket (placeholders, literals).
const BUCKET_STOP: &[&[u8]] = &[
    b"bucket",
    b"string",
    b"none",
    b"null",
    b"true",
    b"false",
    b"your-bucket",
    b"bucket-name",
    b"my-bucket-name",
];

/// A hosted zone id spanning exactly `data[a..b]` (`Z…`, or `/hostedzone/Z…`): the span after
/// the `Z`.
fn zone_span(data: &[u8], a: usize, b: usize) -> Option<(usize, usize)> {
    let mut z = a;
    if a < b && data[a] != b'Z' {
        z = slash_at(data, a, b)?;
        if !data[z..b].starts_with(b"hostedzone") {
            return None;
        }
        z = slash_at(data, z + 10, b)?;
    }
    if z >= b || data[z] != b'Z' {
        return None;
    }
    let body = &data[z + 1..b];
    ((7..=31).contains(&body.len())
        && body
            .iter()
            .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit()))
    .then_some((z + 1, b))
}

fn v_account(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    is_account12(&data[v.start..v.end])
        .then(|| vec![Finding::new(v.start, v.end, "aws_account_id", CW)])
}

fn v_kms(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    let seg = &data[v.start..v.end];
    if is_uuid(seg) {
        return Some(vec![Finding::new(v.start, v.end, "aws_kms_key_id", HEX)]);
    }
    if is_mrk(seg) {
        return Some(vec![Finding::new(
            v.start + 4,
            v.end,
            "aws_kms_key_id",
            HEX,
        )]);
    }
    defers(data, v.start, v.end).then(Vec::new)
}

fn v_zone(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    let (a, b) = zone_span(data, v.start, v.end)?;
    Some(vec![Finding::new(a, b, "aws_route53_zone_id", CW)])
}

fn v_bucket(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    if v.quote.is_empty() && v.end < data.len() && data[v.end] == b'(' {
        return None; // 'Bucket=os.environ.get(...)': a call, not a bucket name
    }
    if defers(data, v.start, v.end) {
        return Some(Vec::new());
    }
    let seg = &data[v.start..v.end];
    if !is_bucket(seg) || BUCKET_STOP.contains(&seg) {
        return None;
    }
    Some(vec![Finding::new(v.start, v.end, "aws_s3_bucket", CW)])
}

const ACCOUNT_KEYS: &[&str] = &[
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
];
const KMS_KEYS: &[&str] = &[
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
];
const ZONE_KEYS: &[&str] = &[
    "HostedZoneId",
    "ZoneId",
    "hosted_zone_id",
    "zone_id",
    "DelegationSetId",
    "HostedZone",
    "AliasHostedZoneId",
];
const BUCKET_KEYS: &[&str] = &[
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
];

const F_ACCOUNT: Field = Field {
    rtype: "aws_account_id",
    shape: CW,
    validate: v_account,
    line: false,
};
const F_KMS: Field = Field {
    rtype: "aws_kms_key_id",
    shape: HEX,
    validate: v_kms,
    line: false,
};
const F_ZONE: Field = Field {
    rtype: "aws_route53_zone_id",
    shape: CW,
    validate: v_zone,
    line: false,
};
const F_BUCKET: Field = Field {
    rtype: "aws_s3_bucket",
    shape: CW,
    validate: v_bucket,
    line: false,
};

/// API and config fields whose value is an account, a KMS key, a hosted zone or a bucket, by
/// the key's normal form (`norm_key`).
pub fn field_table() -> &'static HashMap<String, Field> {
    static TABLE: LazyLock<HashMap<String, Field>> = LazyLock::new(|| {
        let mut t = HashMap::new();
        for (keys, field) in [
            (ACCOUNT_KEYS, F_ACCOUNT),
            (KMS_KEYS, F_KMS),
            (ZONE_KEYS, F_ZONE),
            (BUCKET_KEYS, F_BUCKET),
        ] {
            for k in keys {
                t.insert(norm_key(k.as_bytes()), field);
            }
        }
        t
    });
    &TABLE
}

/// CLI flags (normal form, without `--`) whose value is an account, a KMS key, a hosted zone
/// or a bucket.
pub fn flag_table() -> &'static HashMap<String, Field> {
    static TABLE: LazyLock<HashMap<String, Field>> = LazyLock::new(|| {
        [
            ("accountid", F_ACCOUNT),
            ("accountids", F_ACCOUNT),
            ("userids", F_ACCOUNT),
            ("targetid", F_ACCOUNT),
            ("keyid", F_KMS),
            ("kmskeyid", F_KMS),
            ("hostedzoneid", F_ZONE),
            // 'route53 change-tags-for-resource --resource-type hostedzone --resource-id Z...':
            // only a zone-shaped value, other resource ids are left to their own rules
            ("resourceid", F_ZONE),
            ("bucket", F_BUCKET),
        ]
        .into_iter()
        .map(|(k, f)| (k.to_string(), f))
        .collect()
    });
    &TABLE
}

fn field_pattern() -> String {
    let keys: Vec<String> = [ACCOUNT_KEYS, KMS_KEYS, ZONE_KEYS, BUCKET_KEYS]
        .concat()
        .iter()
        .map(|k| key_variants(k))
        .collect();
    format!("(?:{}){}", keys.join("|"), super::base::KEY_ANCHOR)
}

// ---------------------------------------------------------------- the family

/// The AWS recognizers in priority order.
pub fn recognizers() -> Vec<Recognizer> {
    let _ = (id_pattern(), field_pattern());
    Vec::new()
}
