//! AWS identifiers: resource ids, ARNs (component-wise), account ids in context, access key and
//! IAM unique ids, host names of resources, S3 buckets, SQS URLs, KMS key ids, Route 53 zones.
//!
//! A port of `masking/recognizers/aws.py`. Names chosen by users (`RoleName`,
//! `--function-name`) live in `names`; secret access keys and session tokens, found by their
//! keys, in `secrets`.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::known;
use regex::bytes::{Regex, RegexBuilder};

use super::base::{
    backslashes_before, camel_words, enclosing_brace, escape_ends_at, field_check, is_space,
    key_variants, left_ok, norm_key, right_ok, value_after, CheckResult, Field, Finding, Recognizer, Shape,
    TypeInfo, Value, ALNUM, BACK, GLUE_ID, LOOKBEHIND, WORD,
};

pub const CATEGORY: &str = "aws";

const CW: Shape = Shape::Classwise;
const HEX: Shape = Shape::Hex;

/// The host name type: AWS resource hosts, and the account's own DNS names.
pub const HOSTNAME: &str = "aws_hostname";

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
        description: "resource host names (EC2, RDS, ELB, API Gateway, CloudFront…) and Route 53 zones' and records' names",
    },
    TypeInfo {
        name: "aws_cognito_client_id",
        shape: CW,
        description: "Cognito user pool app client id (26 lower-case letters and digits)",
    },
    TypeInfo {
        name: "aws_canonical_user_id",
        shape: HEX,
        description: "S3 canonical user id (64 hex) of a bucket owner or grantee",
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

/// The type of a masked resource-id prefix (`vpc` -> `aws_vpc_id`).
fn masked_id_type(prefix: &[u8]) -> Option<&'static str> {
    static TABLE: LazyLock<HashMap<&'static [u8], &'static str>> = LazyLock::new(|| {
        ID_PREFIXES
            .iter()
            .map(|(p, t)| (p.as_bytes(), *t))
            .collect()
    });
    TABLE.get(prefix).copied()
}

/// The scan pattern of masked resource ids: longest prefix first, then `-` and 8 hex digits.
fn id_pattern() -> String {
    let mut prefixes: Vec<&str> = ID_PREFIXES.iter().map(|(p, _)| *p).collect();
    prefixes.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let alts: Vec<String> = prefixes.iter().map(|p| regex::escape(p)).collect();
    // One hex digit, not eight: the check reads the id's hex itself, and a counted run here
    // multiplies the scanner's lazy-DFA states with every other pattern's progress (a fresh
    // engine's first scan cost ~10 ms more with it).
    format!("(?:{})-[0-9a-f]", alts.join("|"))
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

/// Prefixes of AWS ids whose body is not 8 or 17 lower-case hex digits: Organizations (`o-`,
/// `r-`, `ou-`, `p-`), Cloud Map (`srv-`, `ns-`), Storage Gateway (`sgw-`); the prefixes of
/// [`ID_PREFIXES`] count too (`lgw-rtb-…` with any body).
const NAMED_ID_PREFIXES: &[&[u8]] = &[b"o", b"r", b"ou", b"p", b"srv", b"ns", b"sgw"];

/// An ARN resource segment that is a typed id, `<type prefix>-<body>`, whose body may be
/// masked alone: the offset of the body and whether it is lower-case hex. The prefix says
/// which kind of resource it is and nothing of the user's, so it stays readable, as `i-` does
/// in an instance id. Either the prefix is a known id type, or the body is the current id
/// format itself (17 lower-case hex digits) after a prefix of lower-case words
/// (`global-network-`, `backup-`); eight hex digits after an unknown prefix stay part of the
/// name (`orders-api-3f2a9c1b` is how generated names end). And the body is one the known
/// values find again behind the prefix ([`known::recurs_behind_dash`]); otherwise the segment
/// is masked whole, so that its bare occurrences (`"Id": "o-…"`) are masked too.
fn typed_id_body(seg: &[u8], name_type: &'static str) -> Option<(usize, bool)> {
    let mut found: Option<(usize, bool)> = None;
    for (i, &c) in seg.iter().enumerate() {
        if c != b'-' {
            continue;
        }
        let prefix = &seg[..i];
        if !id_prefix_shape(prefix) {
            break;
        }
        let body = &seg[i + 1..];
        if body.len() == 17 && body.iter().all(|&c| is_lhex(c)) {
            found = Some((i + 1, true));
            break;
        }
        // the longest known prefix wins ('lgw-rtb' before 'lgw')
        if (NAMED_ID_PREFIXES.contains(&prefix) || masked_id_type(prefix).is_some())
            && body.iter().all(|&c| ALNUM[c as usize])
        {
            found = Some((i + 1, false));
        }
    }
    let (k, hex) = found?;
    let rtype = if hex { "aws_arn" } else { name_type };
    known::recurs_behind_dash(&seg[k..], rtype).then_some((k, hex))
}

// ---------------------------------------------------------------- ARNs

/// The parts of an ARN head `arn:<partition>:<service>:<region>:<account>:`.
struct ArnHead {
    svc: (usize, usize),
    acct: (usize, usize),
    end: usize,
}

/// The account of an ARN that is all of `v`: 12 digits for a resource in an account, `aws` for
/// AWS's own (managed policies), empty for none (public parameters).
pub fn arn_account(v: &[u8]) -> Option<&[u8]> {
    arn_head(v, 0).map(|h| &v[h.acct.0..h.acct.1])
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
    // AWS's public parameters (`arn:aws:ssm:<region>::parameter/aws/service/…`, no account)
    // and the capacity providers every ECS account lists (`capacity-provider/FARGATE_SPOT`)
    let resource = &d[rs..end];
    if (svc == b"ssm" && acct.is_empty() && resource.starts_with(b"parameter/aws/"))
        || (svc == b"ecs"
            && matches!(resource, b"capacity-provider/FARGATE" | b"capacity-provider/FARGATE_SPOT"))
    {
        return Some((out, end));
    }
    // the resource's segments lie between '/', ':' and their escaped forms
    let (first_end, after_first) = next_sep(d, rs, end);
    if svc == b"s3" {
        if first_end > rs {
            out.push(Finding::new(rs, first_end, "aws_s3_bucket", CW));
        }
        return Some((out, end));
    }
    // with one segment it is the name; with more the first is the kind ('role', 'function')
    let (kind, p): (&[u8], usize) = if after_first <= end {
        (&d[rs..first_end], after_first)
    } else {
        (b"", rs)
    };
    let name_type = arn_name_type(svc, kind);
    if svc == b"ecr" && kind == b"repository" && has_alnum(&d[p..end]) {
        // a repository's name may hold '/' (`team/ingest`): one name, masked whole as the
        // `repositoryName` field and the repository URI mask it
        out.push(Finding::new(p, end, name_type, CW));
        return Some((out, end));
    }
    let whole = &d[p..end];
    if svc == b"secretsmanager" && kind == b"secret" && has_alnum(whole) && !whole.contains(&b'*') {
        // a secret's name may hold '/' (`prod/ledger/db`), and the ARN adds `-` and six random
        // characters to it: the name is masked whole, so that it stays masked where it recurs
        // bare (a `Name` field, `--secret-id prod/ledger/db`)
        let name_end = secret_arn_name_end(&d[p..end]).map_or(end, |n| p + n);
        out.push(Finding::new(p, name_end, name_type, CW));
        return Some((out, end));
    }
    resource_segments(d, p, end, svc, name_type, after_first, &mut out);
    Some((out, end))
}

/// The findings of the segments of an ARN's resource from `p` to `end` (between `/`, `:` and
/// their escaped forms), each a name of `name_type` or an id, account or key it holds; words
/// that are structure (`service-role`, a version, a sub-kind after `after_first`) stay. An SSM
/// parameter's path is read by the same rule where it stands without its ARN, so a segment has
/// the same surrogate in both.
pub(super) fn resource_segments(
    d: &[u8],
    mut p: usize,
    end: usize,
    svc: &[u8],
    name_type: &'static str,
    after_first: usize,
    out: &mut Vec<Finding>,
) {
    while p <= end {
        let a = p;
        let (b, next) = next_sep(d, a, end);
        p = next;
        if b <= a {
            continue;
        }
        let seg = &d[a..b];
        if dated(seg) {
            break; // a DynamoDB stream's label, the last part: when the stream was made
        }
        if ARN_KEEP.contains(&seg)
            || (a > after_first && ARN_SUB_KINDS.contains(&seg))
            || seg.contains(&b'*')
            || versionish(seg)
            || aws_path_word(seg)
        {
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
        } else if let Some((k, hex)) = typed_id_body(seg, name_type) {
            out.push(if hex {
                Finding::new(a + k, b, "aws_arn", HEX)
            } else {
                Finding::new(a + k, b, name_type, CW)
            });
        } else if let Some(k) = aws_defined_role_part(seg) {
            if k < seg.len() {
                out.push(Finding::new(a + k, b, name_type, CW));
            }
        } else if has_alnum(seg) {
            out.push(Finding::new(a, fifo_name_end(svc, seg, b), name_type, CW));
        }
    }
}

/// The kinds of a resource's parts that follow its name in an ARN (`table/<name>/index/<index>`,
/// `table/<name>/stream/<label>`, `log-group:<name>:log-stream:<stream>`): words, not names.
const ARN_SUB_KINDS: &[&[u8]] = &[b"index", b"stream", b"backup", b"export", b"log-stream"];

/// `2026-11-02T09…`: a date and hour (the rest of the time lies past the next `:`).
fn dated(seg: &[u8]) -> bool {
    seg.len() >= 13
        && seg[..4].iter().all(u8::is_ascii_digit)
        && seg[4] == b'-'
        && seg[7] == b'-'
        && seg[10] == b'T'
}

/// Where the name in `seg` (ending at `b`) ends: before the `.fifo` that a FIFO queue's or
/// topic's name must end with, which says what the queue is and names nothing.
fn fifo_name_end(svc: &[u8], seg: &[u8], b: usize) -> usize {
    let fifo = (svc == b"sqs" || svc == b"sns") && seg.len() > 5 && seg.ends_with(b".fifo");
    if fifo {
        b - 5
    } else {
        b
    }
}

/// Where the name ends in the resource of a Secrets Manager ARN (`prod/db-AbC12x`): before the
/// `-` and six letters and digits the service appends; `None` when there is no such suffix (a
/// partial ARN, as IAM policies write them).
fn secret_arn_name_end(resource: &[u8]) -> Option<usize> {
    let n = resource.len().checked_sub(7)?;
    (n > 0
        && resource[n] == b'-'
        && resource[n + 1..].iter().all(u8::is_ascii_alphanumeric))
    .then_some(n)
}

/// A path segment AWS writes in the ARNs of the roles it makes: a service principal
/// (`autoscaling.amazonaws.com`) or a region (`eu-west-1`).
fn aws_path_word(seg: &[u8]) -> bool {
    let service = seg.strip_suffix(b".amazonaws.com").is_some_and(|s| {
        !s.is_empty() && s.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    });
    service || region_name(seg, true)
}

/// AWS's job-function permission sets, whose names IAM Identity Center puts in its roles.
pub const JOB_FUNCTIONS: &[&[u8]] = &[
    b"AdministratorAccess",
    b"PowerUserAccess",
    b"ReadOnlyAccess",
    b"ViewOnlyAccess",
    b"SecurityAudit",
    b"Billing",
    b"DatabaseAdministrator",
    b"NetworkAdministrator",
    b"SystemAdministrator",
    b"SupportUser",
    b"DataScientist",
];

/// Role names whose words AWS chose: how many leading bytes of `seg` to keep, or `None` for
/// a name of the user's. A service-linked role (`AWSServiceRoleForAutoScaling`) is kept whole;
/// an Identity Center role keeps `AWSReservedSSO_` and a job-function permission set's name
/// (`AWSReservedSSO_ReadOnlyAccess_`), and its own permission set's name and suffix are masked.
fn aws_defined_role_part(seg: &[u8]) -> Option<usize> {
    if seg.starts_with(b"AWSServiceRoleFor") {
        return Some(seg.len());
    }
    let rest = seg.strip_prefix(b"AWSReservedSSO_")?;
    let known = JOB_FUNCTIONS
        .iter()
        .find(|f| rest.starts_with(f) && rest.get(f.len()) == Some(&b'_'))
        .map_or(0, |f| f.len() + 1);
    Some(seg.len() - rest.len() + known)
}

/// The end of the ARN resource segment that starts at `p`, and where the next one starts
/// (`end + 1` after the last one).
fn next_sep(d: &[u8], p: usize, end: usize) -> (usize, usize) {
    let mut i = p;
    while i < end {
        if let Some(e) = sep_at(d, i, end) {
            return (i, e);
        }
        i += 1;
    }
    (end, end + 1)
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
    if let Some(name) = seg.strip_prefix(b"alias/") {
        // a key named by its alias: the alias is a name (as `AliasName` holds it), AWS's own
        // aliases (`alias/aws/s3`) stay
        let named = name.len() >= 2
            && !name.starts_with(b"aws/")
            && name.iter().all(|&c| GLUE_ID[c as usize] || c == b'/');
        return named.then(|| vec![Finding::new(v.start + 6, v.end, "aws_resource_name", CW)]);
    }
    defers(data, v.start, v.end).then(Vec::new)
}

fn v_zone(data: &[u8], v: &Value, _rtype: &'static str) -> Option<Vec<Finding>> {
    let (a, b) = zone_span(data, v.start, v.end)?;
    if aliases_aws_host(data, v.start) {
        return Some(Vec::new());
    }
    Some(vec![Finding::new(a, b, "aws_route53_zone_id", CW)])
}

/// Whether the zone id at `s` is in an alias target whose `DNSName` is AWS's (a load
/// balancer, a distribution, a website endpoint): the zone is then the service's, the same
/// for every account (`Z35SXDOTRQ7X7K`), not the user's.
fn aliases_aws_host(data: &[u8], s: usize) -> bool {
    let Some(open) = enclosing_brace(data, s, 512) else { return false };
    let close = memchr::memchr(b'}', &data[open..data.len().min(open + 1024)]).map_or(open, |i| open + i);
    let Some(k) = memchr::memmem::find(&data[open..close], b"DNSName") else { return false };
    let Some(v) = value_after(data, open + k + 7, close, false, None) else { return false };
    let host = &data[v.start..v.end];
    is_aws_host(host.strip_suffix(b".").unwrap_or(host))
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

// ---------------------------------------------------------------- checks: ids and keys

fn check_arn(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if !left_ok(data, s, &ALNUM) {
        return None;
    }
    arn_findings(data, s, data.len().min(s + 2048))
}

fn check_id(data: &[u8], s: usize, mut e: usize) -> CheckResult {
    // The candidate ends after the first hex digit; an id has 8 or 17.
    let lim = data.len().min(e + 17);
    while e < lim && is_lhex(data[e]) {
        e += 1;
    }
    let dash = s + data[s..e].iter().rposition(|&c| c == b'-')?;
    let hexlen = e - dash - 1;
    if !(hexlen == 8 || hexlen == 17) || !left_ok(data, s, &GLUE_ID) || !right_ok(data, e, &GLUE_ID)
    {
        return None;
    }
    let rtype = masked_id_type(&data[s..dash])?;
    if (rtype == "aws_key_pair_id" && hexlen != 17) || e - s > 40 {
        return None;
    }
    Some((vec![Finding::new(dash + 1, e, rtype, HEX)], e))
}

/// RDS resource ids (`DbiResourceId`, `DbClusterResourceId`): `db-`/`cluster-` + 26 upper
/// alnum with at least one digit.
fn check_rds_resource(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !left_ok(data, s, &GLUE_ID) || !right_ok(data, e, &GLUE_ID) {
        return None;
    }
    let dash = s + data[s..e].iter().position(|&c| c == b'-')?;
    if !data[dash + 1..e].iter().any(u8::is_ascii_digit) {
        return None;
    }
    Some((
        vec![Finding::new(dash + 1, e, "aws_rds_resource_id", CW)],
        e,
    ))
}

/// The type of an access key or unique id by its four-letter prefix.
fn key_prefix_type(p: &[u8]) -> Option<&'static str> {
    match p {
        b"AKIA" | b"ASIA" | b"ABIA" | b"ACCA" => Some("aws_access_key_id"),
        b"AIDA" | b"AROA" | b"AIPA" | b"ANPA" | b"ANVA" | b"AGPA" | b"APKA" | b"AIKA" => {
            Some("aws_iam_unique_id")
        }
        _ => None,
    }
}

fn check_key_id(data: &[u8], s: usize, mut e: usize) -> CheckResult {
    let lim = data.len().min(s + 24);
    while e < lim && (data[e].is_ascii_digit() || data[e].is_ascii_uppercase()) {
        e += 1;
    }
    // The candidate is the prefix and one character: the key has 12 or more after the prefix.
    if e - s < 16 || !left_ok(data, s, &ALNUM) || !right_ok(data, e, &ALNUM) {
        return None;
    }
    let rtype = key_prefix_type(&data[s..s + 4])?;
    if rtype == "aws_access_key_id" && e - s - 4 != 16 {
        return None;
    }
    Some((vec![Finding::new(s + 4, e, rtype, CW)], e))
}

/// An access key id and its secret on one line: create-access-key text output
/// (`AKIA…<tab>date<tab>SECRET`) and `AKIA… SECRET` pairs.
static KEY_AND_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    bytes_regex(
        r"^(A(?:KIA|SIA))([A-Z0-9]{16})((?:\t|\\{1,7}t|[ ,;|]){1,4}(?:[^\t\n\\ ]{1,40}(?:\t|\\{1,7}t|[ ,;|]){1,4})?)([A-Za-z0-9/+]{40,44})",
    )
});

fn check_key_and_secret(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if !left_ok(data, s, &ALNUM) {
        return None;
    }
    let lim = data.len().min(s + 160);
    let m = KEY_AND_SECRET.captures(&data[s..lim])?;
    let end = s + m.get(0)?.end();
    if !right_ok(data, end, &ALNUM) || (end < data.len() && b"/+=".contains(&data[end])) {
        return None;
    }
    let key = m.get(2)?;
    let sec = m.get(4)?;
    let secret = sec.as_bytes();
    if !(secret.iter().any(u8::is_ascii_uppercase) && secret.iter().any(u8::is_ascii_lowercase)) {
        return None;
    }
    Some((
        vec![
            Finding::new(s + key.start(), s + key.end(), "aws_access_key_id", CW),
            Finding::new(s + sec.start(), s + sec.end(), "aws_secret_access_key", CW),
        ],
        end,
    ))
}

/// Calls `f(start, end)` for every maximal run of at least `min` ASCII digits in `data`, in
/// order. Such a run covers one of every `min` offsets, so only those are read until one is a
/// digit (~0.1 ms a 1 MB body).
fn for_digit_runs(data: &[u8], min: usize, mut f: impl FnMut(usize, usize)) {
    let mut i = min - 1;
    while i < data.len() {
        if data[i].is_ascii_digit() {
            let mut a = i;
            while a > 0 && data[a - 1].is_ascii_digit() {
                a -= 1;
            }
            let mut b = i + 1;
            while b < data.len() && data[b].is_ascii_digit() {
                b += 1;
            }
            if b - a >= min {
                f(a, b);
            }
            while i < b {
                i += min;
            }
        } else {
            i += min;
        }
    }
}

/// The candidates of `aws.digit_id` (its pattern): two capital letters and the first 12 of the
/// digits that follow them. In the scanner's automaton the count of 12 ran from every pair of
/// capitals beside every other pattern (~3 ms of a fresh engine's first 1 MB body); here it is
/// the digit runs [`for_digit_runs`] finds.
fn trigger_digit_id(data: &[u8], out: &mut Vec<(usize, usize)>) {
    for_digit_runs(data, 12, |a, _| {
        if a >= 2 && data[a - 2..a].iter().all(u8::is_ascii_uppercase) {
            out.push((a - 2, a + 12));
        }
    });
}

/// Opaque upper-case ids that embed a long digit run (`ID123456789012345EXAMPLE` as a
/// certificate id in documentation output): the run may be an account number, so the id goes
/// as a whole rather than leaving the account readable inside it.
fn check_digit_id(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // [A-Z]{2}[0-9]{12,20}[A-Z0-9]{0,12} within 40 bytes
    let lim = data.len().min(s + 40);
    if s + 2 > lim || !data[s..s + 2].iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let nd = run(data, s + 2, lim, 20, |c| c.is_ascii_digit());
    if nd < 12 {
        return None;
    }
    let p = s + 2 + nd;
    let e = p + run(data, p, lim, 12, |c| {
        c.is_ascii_digit() || c.is_ascii_uppercase()
    });
    if !(16..=32).contains(&(e - s)) || !left_ok(data, s, &GLUE_ID) || !right_ok(data, e, &GLUE_ID)
    {
        return None;
    }
    Some((vec![Finding::new(s, e, "aws_iam_unique_id", CW)], e))
}

// ---------------------------------------------------------------- checks: accounts in context

/// Key words that say a quoted 12-digit value is a quantity or a secret, not an account.
const NOT_ACCOUNT_KEYS: &[&str] = &[
    "time", "date", "size", "byte", "count", "secret", "phone", "number", "amount", "duration",
    "version", "epoch", "serial", "port", "offset",
];

/// A key right before a value: `key"?: [`, read back from the value's quote.
static KEY_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    bytes_regex(r#"([A-Za-z_-]{2,40})\\{0,7}"?[ \t]{0,4}[:=][ \t]{0,4}\[?[ \t]{0,4}\n?\z"#)
});

fn check_quoted12(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // "([0-9]{12})(\\{0,7}"|/|:(?=[A-Za-z][A-Za-z0-9_.@+=,-])) within 24 bytes
    let lim = data.len().min(s + 24);
    if s + 13 >= lim || data[s] != b'"' || !is_account12(&data[s + 1..s + 13]) {
        return None;
    }
    let c = s + 13;
    match data[c] {
        b'/' => {}
        b':' => {
            let ok = c + 2 < lim
                && data[c + 1].is_ascii_alphabetic()
                && (data[c + 2].is_ascii_alphanumeric() || b"_.@+=,-".contains(&data[c + 2]));
            if !ok {
                return None;
            }
        }
        _ => {
            let k = run(data, c, lim, 8, |b| b == b'\\');
            if k > 7 || c + k >= lim || data[c + k] != b'"' || k != backslashes_before(data, s) {
                return None;
            }
        }
    }
    // a key right before decides against it when it names a quantity or a secret
    if let Some(km) = KEY_BEFORE.captures(&data[s.saturating_sub(48)..s]) {
        let key = std::str::from_utf8(km.get(1)?.as_bytes()).ok()?;
        if camel_words(key)
            .iter()
            .any(|w| NOT_ACCOUNT_KEYS.iter().any(|n| w.starts_with(n)))
        {
            return None;
        }
    }
    Some((
        vec![Finding::new(s + 1, s + 13, "aws_account_id", CW)],
        s + 13,
    ))
}

/// `account 123456789012`, `OwnerId: 123456789012`, `--account-id 123456789012`.
static ACCOUNT_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    bytes_regex(
        r#"^(?i:account|owner|acct|registry)(?i:[ _-]?(?:ids?|numbers?|no))?(?:,Values=|[ \t:=#,'"\\(\[`-]|\\n){1,12}([0-9]{12})"#,
    )
});

fn check_account_words(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let glued = !(left_ok(data, s, &WORD) || (s >= 2 && &data[s - 2..s] == b"--"));
    if glued && !(s >= 1 && matches!(data[s - 1], b'_' | b'-')) {
        return None; // glued to a word, but for 'aws_account_id', 'x-account'
    }
    let lim = data.len().min(s + 64);
    // The candidate is only the key word; the Python candidate went on with
    // '[A-Za-z _:=#,'"\\(\[`-]*[0-9]{12}', so the digits must follow a run of those bytes.
    let digits_at = s + run(data, s, lim, 64, account_words_glue);
    if digits_at >= lim || !data[digits_at].is_ascii_digit() {
        return None;
    }
    let m = ACCOUNT_WORDS.find(&data[s..lim])?;
    let e = s + m.end();
    let d0 = e - 12;
    if d0 != digits_at {
        return None; // a tab on the way: not in the candidate's run
    }
    if !right_ok(data, e, &ALNUM)
        || b"0123456789.".contains(&data[d0 - 1])
        || right_is_decimal(data, e)
    {
        return None;
    }
    Some((vec![Finding::new(d0, e, "aws_account_id", CW)], e))
}

/// `[A-Za-z _:=#,'"\\(\[`-]`: what may lie between an account key word and its digits.
fn account_words_glue(c: u8) -> bool {
    c.is_ascii_alphabetic() || b" _:=#,'\"\\([`-".contains(&c)
}

fn right_is_decimal(data: &[u8], e: usize) -> bool {
    e + 1 < data.len() && data[e] == b'.' && data[e + 1].is_ascii_digit()
}

/// `[A-Za-z][A-Za-z0-9_.@+=,-]` at `i` (before `lim`): a name after `<account>:`.
fn name_follows(data: &[u8], i: usize, lim: usize) -> bool {
    i + 1 < lim
        && data[i].is_ascii_alphabetic()
        && (data[i + 1].is_ascii_alphanumeric() || b"_.@+=,-".contains(&data[i + 1]))
}

fn check_field12(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // AWS CLI text output: a 12-digit field between tabs, or a line that is only 12 digits
    // ('aws sts get-caller-identity --query Account --output text'); a field that starts with
    // the account: '<account>/<image name>' (ImageLocation), '<account>:<user>' (a federated
    // user id)
    let lim = data.len().min(s + 24);
    let left = data[s];
    if !matches!(left, b'\t' | b'n' | b't' | b'\n')
        || s + 13 >= lim
        || !is_account12(&data[s + 1..s + 13])
    {
        return None;
    }
    let c = s + 13;
    // (\t|\r|\n|\\{1,7}[tnr]|/(?=[A-Za-z0-9])|:(?=name)): its last byte
    let right: u8 = match data[c] {
        b @ (b'\t' | b'\r' | b'\n') => b,
        b'\\' => {
            let k = run(data, c, lim, 8, |b| b == b'\\');
            if k > 7 || c + k >= lim || !matches!(data[c + k], b't' | b'n' | b'r') {
                return None;
            }
            data[c + k]
        }
        b'/' if c + 1 < lim && data[c + 1].is_ascii_alphanumeric() => b'/',
        b':' if name_follows(data, c + 1, lim) => b':',
        _ => return None,
    };
    let escaped = data[c] == b'\\';
    if matches!(left, b'n' | b't') && !(s >= 1 && data[s - 1] == b'\\') {
        return None; // a letter, not the end of a '\t' or '\n' escape
    }
    let tab = left == b't' || left == b'\t' || (escaped && right == b't') || right == b'\t';
    if !(tab || left == b'n' || left == b'\n') {
        return None;
    }
    if matches!(right, b'/' | b':') && !escaped && !tab {
        return None;
    }
    let digits = &data[s + 1..s + 13];
    let value = digits
        .iter()
        .fold(0u64, |a, &d| a * 10 + u64::from(d - b'0'));
    if value % (1 << 20) == 0 {
        return None; // a byte count (107374182400 is 100 GiB), not an account
    }
    Some((
        vec![Finding::new(s + 1, s + 13, "aws_account_id", CW)],
        s + 13,
    ))
}

fn check_path12(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // '/123456789012/' in URLs and paths (Glacier, S3 keys, ECR, SQS): an account in a path
    let n = data.len();
    let lim = n.min(s + 40);
    let d0 = if data[s] == b'/' {
        s + 1
    } else if data[s..lim].starts_with(b"u002") && s + 4 < lim && matches!(data[s + 4], b'f' | b'F')
    {
        s + 5
    } else {
        return None;
    };
    let d1 = d0 + 12;
    if d1 > lim || !is_account12(&data[d0..d1]) {
        return None;
    }
    let after = match slash_at(data, d1, lim) {
        Some(e) => e,
        None if d1 == n || (d1 < lim && b"\t\r\n\"\\".contains(&data[d1])) => d1,
        None => return None,
    };
    let mut out = vec![Finding::new(d0, d1, "aws_account_id", CW)];
    // Glacier paths name the vault: '/<account>/vaults/<vault>/jobs/...'
    let vlim = n.min(after + 280);
    if data[after..vlim].starts_with(b"vaults") {
        if let Some(vs) = slash_at(data, after + 6, vlim) {
            let ve = vs
                + run(data, vs, vlim, 255, |c| {
                    c.is_ascii_alphanumeric() || b"_.-".contains(&c)
                });
            if ve > vs && right_ok(data, ve, &GLUE_ID) {
                out.push(Finding::new(vs, ve, "aws_resource_name", CW));
                return Some((out, ve));
            }
        }
    }
    Some((out, d1))
}

/// `(?:19|20)YYMMDDhhmm`-like: a date-time stamp of 12 digits.
fn is_date12(v: &[u8]) -> bool {
    let num = |i: usize| (v[i] - b'0') * 10 + (v[i + 1] - b'0');
    let cc = num(0);
    (cc == 19 || cc == 20)
        && (1..=12).contains(&num(4))
        && (v[6] <= b'2' || (v[6] == b'3' && v[7] <= b'1'))
}

fn check_dash12(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // AWS-made bucket and resource names carry the account: 'elasticbeanstalk-us-west-2-<acct>',
    // 'codebuild-<acct>-input-bucket', 'sagemaker-eu-west-1-<acct>', 'cdk-...-assets-<acct>-...'
    if s == 0 || !(data[s - 1].is_ascii_lowercase() || data[s - 1].is_ascii_digit()) {
        return None;
    }
    let n = data.len();
    let lim = n.min(s + 16);
    let d1 = s + 13;
    if d1 > lim || data[s] != b'-' || !is_account12(&data[s + 1..d1]) {
        return None;
    }
    // (?=-[a-z]|[^A-Za-z0-9-]|$)
    let ok = if d1 == n {
        true
    } else if d1 >= lim {
        false
    } else if data[d1] == b'-' {
        d1 + 1 < lim && data[d1 + 1].is_ascii_lowercase()
    } else {
        !data[d1].is_ascii_alphanumeric()
    };
    if !ok || is_date12(&data[s + 1..d1]) {
        return None;
    }
    Some((vec![Finding::new(s + 1, d1, "aws_account_id", CW)], d1))
}

/// An account id as the console writes it, in three groups of four digits (`7301-4529-8361`,
/// the account menu's and the sign-in page's form), which users copy into prompts: the candidate
/// is the first group's last digit and the second group. A longer run of groups (a card
/// number's four), digits glued on either side and a group of one digit repeated stay.
fn check_account_grouped(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let start = s.checked_sub(3)?;
    let end = s + 11;
    let text = data.get(start..end)?;
    let grouped = text
        .iter()
        .enumerate()
        .all(|(i, &c)| if i % 5 == 4 { c == b'-' } else { c.is_ascii_digit() });
    let glued = |c: Option<&u8>| c.is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-');
    if !grouped
        || glued(start.checked_sub(1).map(|i| &data[i]))
        || glued(data.get(end))
        || text.iter().filter(|c| c.is_ascii_digit()).all(|&c| c == text[0])
    {
        return None;
    }
    Some((vec![Finding::new(start, end, "aws_account_id", CW)], end))
}

/// `%3A` or `%3a` at `i` (before `lim`).
fn pct_colon(data: &[u8], i: usize, lim: usize) -> bool {
    i + 3 <= lim && data[i] == b'%' && data[i + 1] == b'3' && matches!(data[i + 2], b'A' | b'a')
}

fn check_arn_urlencoded(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // an ARN inside a URL, ':' written as '%3A' (pre-signed S3 upload URLs):
    // arn%3Aaws[a-z-]{0,10}%3A[a-z0-9-]{1,40}%3A[a-z0-9-]{0,32}%3A([0-9]{12})%3A
    if !left_ok(data, s, &ALNUM) {
        return None;
    }
    let lim = data.len().min(s + 160);
    if !(data[s..lim].starts_with(b"arn")
        && pct_colon(data, s + 3, lim)
        && data[s + 6..lim].starts_with(b"aws"))
    {
        return None;
    }
    let lower_dash = |c: u8| c.is_ascii_lowercase() || c == b'-';
    let lower_digit_dash = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-';
    let mut i = s + 9;
    for (class, lo, hi) in [
        (&lower_dash as &dyn Fn(u8) -> bool, 0, 10),
        (&lower_digit_dash, 1, 40),
        (&lower_digit_dash, 0, 32),
    ] {
        let k = run(data, i, lim, hi + 1, class);
        if k < lo || k > hi || !pct_colon(data, i + k, lim) {
            return None;
        }
        i += k + 3;
    }
    if i + 12 > lim || !is_account12(&data[i..i + 12]) || !pct_colon(data, i + 12, lim) {
        return None;
    }
    Some((vec![Finding::new(i, i + 12, "aws_account_id", CW)], i + 12))
}

fn check_account_flag_list(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // 'modify-db-snapshot-attribute --attribute-name restore --values-to-add 111122223333
    // 444455556666', 'modify-snapshot-attribute --user-ids 111122223333 444455556666'
    if s >= 1 && !b" \t\n'\"".contains(&data[s - 1]) && !escape_ends_at(data, s - 1) {
        return None;
    }
    let n = data.len();
    let head_lim = n.min(s + 24);
    let rest = &data[s..head_lim];
    let flag_len = [
        &b"--values-to-add"[..],
        b"--values-to-remove",
        b"--account-ids",
        b"--user-ids",
    ]
    .iter()
    .find(|f| rest.starts_with(f))?
    .len();
    if s + flag_len >= head_lim || !matches!(data[s + flag_len], b' ' | b'\t' | b'=') {
        return None;
    }
    let mut out = Vec::new();
    let mut j = s + flag_len + 1;
    let limit = n.min(s + 1024);
    for _ in 0..32 {
        let Some((a, b, next)) = list_item(data, j, limit) else {
            break;
        };
        if data[a] == b'-' {
            break;
        }
        if is_account12(&data[a..b]) {
            out.push(Finding::new(a, b, "aws_account_id", CW));
        }
        j = next;
    }
    if out.is_empty() {
        None
    } else {
        Some((out, j))
    }
}

/// One item of a blank-separated list after a flag: `[ \t]{0,4}(\\{0,7}["']?)([^\s"'\\]{1,64})\1`;
/// the item's span and the end of the match.
fn list_item(data: &[u8], j: usize, limit: usize) -> Option<(usize, usize, usize)> {
    let blanks = run(data, j, limit, 5, |c| c == b' ' || c == b'\t');
    if blanks > 4 {
        return None;
    }
    let q0 = j + blanks;
    let k = run(data, q0, limit, 8, |c| c == b'\\');
    if k > 7 {
        return None;
    }
    let mut a = q0 + k;
    if a < limit && matches!(data[a], b'"' | b'\'') {
        a += 1;
    }
    let item = |c: u8| !(is_space(c) || matches!(c, b'"' | b'\'' | b'\\'));
    let len = run(data, a, limit, 64, item);
    if len == 0 {
        return None;
    }
    let b = a + len;
    let quote = &data[q0..a];
    if !data[b..limit].starts_with(quote) {
        return None;
    }
    Some((a, b, b + quote.len()))
}

/// The candidates of `aws.flow_log` (its pattern): a flow log record's version (2 to 9), the
/// 12-digit account and the interface (`eni-` and 8 to 17 hex digits, or `-`), each followed
/// by a space. In the scanner's automaton the count of 12 ran beside every other pattern
/// (~3 ms of a fresh engine's first 1 MB body); here it is the digit runs [`for_digit_runs`]
/// finds.
fn trigger_flow_log(data: &[u8], out: &mut Vec<(usize, usize)>) {
    for_digit_runs(data, 12, |a, b| {
        if b - a != 12 || a < 2 || !matches!(&data[a - 2..a], [b'2'..=b'9', b' ']) {
            return;
        }
        let rest = &data[b..];
        let interface = if rest.starts_with(b" - ") {
            3
        } else if rest.starts_with(b" eni-") {
            let hex = rest[5..]
                .iter()
                .take_while(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
                .count();
            if !(8..=17).contains(&hex) || rest.get(5 + hex) != Some(&b' ') {
                return;
            }
            5 + hex + 1
        } else {
            return;
        };
        out.push((a - 2, b + interface));
    });
}

/// Whether `host` (without the root's dot) is a DNS name of the user's: two labels or more of
/// letters, digits, `-` and `_`, a top-level label of letters, not AWS's own (`amazonaws.com`).
pub fn own_dns_name(host: &[u8]) -> bool {
    let labels = host.split(|&c| c == b'.');
    let label_ok = |l: &[u8]| {
        !l.is_empty()
            && l.len() <= 63
            && l.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    };
    let tld = labels.clone().next_back().unwrap_or_default();
    host.len() <= 253
        && labels.clone().count() >= 2
        && labels.clone().all(label_ok)
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic)
        && !host.ends_with(b"amazonaws.com")
        && !host.ends_with(b"amazonaws.com.cn")
}

/// Bytes of a DNS name.
fn dns_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_')
}

/// Candidates of [`check_dns_cell`]: a name with the root's dot that ends a tab-separated cell
/// or a line (`.` then a tab or a line break, raw or escaped), read back to the cell's start.
fn trigger_dns_cell(data: &[u8], out: &mut Vec<(usize, usize)>) {
    let mut ends: Vec<usize> = Vec::new();
    for needle in [&b".\t"[..], b".\n", b".\r"] {
        ends.extend(memchr::memmem::find_iter(data, needle).map(|p| p + 1));
    }
    for p in memchr::memmem::find_iter(data, b".\\") {
        let k = data[p + 1..].iter().take_while(|&&c| c == b'\\').count();
        if k <= 7 && matches!(data.get(p + 1 + k), Some(b't' | b'n' | b'r')) {
            ends.push(p + 1);
        }
    }
    ends.sort_unstable();
    for e in ends {
        let lo = e.saturating_sub(254);
        let mut s = e - 1 - data[lo..e - 1].iter().rev().take_while(|&&c| dns_char(c)).count();
        if s > 0 && data[s - 1] == b'\\' && matches!(data[s], b't' | b'n' | b'r') {
            s += 1; // the letter of an escape (`\t`) is none of the name's
        }
        if s < e - 1 && data[s] != b'.' {
            out.push((s, e));
        }
    }
}

/// A DNS name written with the root's dot as a whole cell of tab-separated output or a whole
/// line: `dig`'s answer and question sections (`api.example.io.<tab>300<tab>IN<tab>A`,
/// `;api.example.io.`), Route 53's `--output text` (`RESOURCERECORDSETS<tab>api.example.io.`).
/// A name so written is a name of DNS data, the user's own unless it is AWS's; it is masked
/// but for the dot, like a Route 53 `Name` in JSON (see [`super::domains`]).
fn check_dns_cell(data: &[u8], s: usize, e: usize) -> CheckResult {
    let opens = s == 0
        || matches!(data[s - 1], b'\n' | b'\t' | b';' | b'"')
        || (ALNUM[data[s - 1] as usize] && escape_ends_at(data, s - 1));
    if !opens {
        return None;
    }
    let fs = super::domains::own_host(s, &data[s..e - 1]);
    (!fs.is_empty()).then_some((fs, e))
}

/// A VPC flow log record (default format: `version account-id interface-id srcaddr …`) names
/// the account in its second field; the version digit opens the record, at the start of a line,
/// of a JSON string or of a tab-separated cell (CloudWatch Logs output).
fn check_flow_log(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let opens = s == 0
        || matches!(data[s - 1], b'\n' | b'\t' | b'"' | b'\'')
        || (ALNUM[data[s - 1] as usize] && escape_ends_at(data, s - 1));
    if !opens {
        return None;
    }
    Some((
        vec![Finding::new(s + 2, s + 14, "aws_account_id", CW)],
        s + 14,
    ))
}

fn check_key_uuid(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // 'KMS key 1234abcd-...', 'key 1234abcd-... scheduled for rotation'
    if !left_ok(data, s, &WORD) {
        return None;
    }
    let lim = data.len().min(s + 64);
    if s + 3 > lim || !data[s..s + 3].eq_ignore_ascii_case(b"key") {
        return None;
    }
    let k = run(data, s + 3, lim, 4, |c| b" \t:=/".contains(&c));
    if !(1..=3).contains(&k) {
        return None;
    }
    let a = s + 3 + k;
    if a + 36 > lim || !is_uuid(&data[a..a + 36]) || !right_ok(data, a + 36, &GLUE_ID) {
        return None;
    }
    // `key: <uuid>` / `key=<uuid>` is a config field named `key` (an idempotency key, a
    // license, a cache key): only prose ('key 1234abcd-…', 'KMS key: …') or a path
    // (`key/…`) says KMS
    let field = data[s + 3..a].iter().any(|&c| c == b':' || c == b'=');
    if field && !kms_before(data, s) {
        return None;
    }
    Some((vec![Finding::new(a, a + 36, "aws_kms_key_id", HEX)], a + 36))
}

/// The word right before `key` at `s` is `KMS` ('KMS key: …'), any case, one blank between.
fn kms_before(data: &[u8], s: usize) -> bool {
    s >= 4 && matches!(data[s - 1], b' ' | b'\t') && data[s - 4..s - 1].eq_ignore_ascii_case(b"kms")
}

fn check_zone_word(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // (?i:zone|hostedzone)(?:[ \t:=]{1,3}|\\{0,7}/|\\{1,7}u002[fF])Z([A-Z0-9]{7,31})
    if !left_ok(data, s, &ALNUM) {
        return None;
    }
    let lim = data.len().min(s + 64);
    let word = if data[s..lim].len() >= 4 && data[s..s + 4].eq_ignore_ascii_case(b"zone") {
        4
    } else if data[s..lim].len() >= 10 && data[s..s + 10].eq_ignore_ascii_case(b"hostedzone") {
        10
    } else {
        return None;
    };
    let p = s + word;
    let k = run(data, p, lim, 3, |c| b" \t:=".contains(&c));
    let z = if k >= 1 && p + k < lim && data[p + k] == b'Z' {
        p + k
    } else {
        slash_at(data, p, lim).filter(|&z| z < lim && data[z] == b'Z')?
    };
    let body = run(data, z + 1, lim, 31, |c| {
        c.is_ascii_uppercase() || c.is_ascii_digit()
    });
    let e = z + 1 + body;
    if body < 7 || !right_ok(data, e, &ALNUM) || !data[z + 1..e].iter().any(u8::is_ascii_digit) {
        return None;
    }
    Some((vec![Finding::new(z + 1, e, "aws_route53_zone_id", CW)], e))
}

// ---------------------------------------------------------------- checks: host names

/// The suffixes that end AWS host names (the candidate pattern of `aws.host`).
const HOST_SUFFIXES: &str = r"amazonaws\.com(?:\.cn)?|compute\.internal|ec2\.internal|cloudfront\.net|awsapps\.com|elasticbeanstalk\.com|on\.aws|amplifyapp\.com|awsglobalaccelerator\.com|signin\.aws\.amazon\.com";

/// The end of a host suffix (`.amazonaws.com`...) at `a`, read no further than 40 bytes.
fn suffix_end(data: &[u8], a: usize) -> Option<usize> {
    const PLAIN: &[&[u8]] = &[
        b".compute.internal",
        b".ec2.internal",
        b".cloudfront.net",
        b".awsapps.com",
        b".elasticbeanstalk.com",
        b".on.aws",
        b".amplifyapp.com",
        b".awsglobalaccelerator.com",
        b".signin.aws.amazon.com",
    ];
    let rest = &data[a..data.len().min(a + 40)];
    if rest.starts_with(b".amazonaws.com") {
        return Some(
            a + if rest[14..].starts_with(b".cn") {
                17
            } else {
                14
            },
        );
    }
    PLAIN
        .iter()
        .find(|p| rest.starts_with(p))
        .map(|p| a + p.len())
}

/// `host` is one of AWS's suffixes itself (`ec2.internal`, a VPC's DHCP domain name).
pub fn is_aws_domain(host: &[u8]) -> bool {
    let dotted = [b".", host].concat();
    suffix_end(&dotted, 0) == Some(dotted.len())
}

/// `tok` is a whole host name under an AWS suffix (`d1a2b3.cloudfront.net`,
/// `orders.s3.amazonaws.com`): the host rule masks its labels and keeps the suffix.
pub fn is_aws_host(tok: &[u8]) -> bool {
    tok.iter()
        .enumerate()
        .skip(1)
        .any(|(i, &c)| c == b'.' && suffix_end(tok, i) == Some(tok.len()))
}

/// The services whose host names are named by the user (`<name>.<id>.<region>.rds.…`).
const RESOURCE_SERVICES: &[&[u8]] = &[
    b"rds",
    b"elb",
    b"cache",
    b"es",
    b"redshift",
    b"efs",
    b"fsx",
    b"execute-api",
    b"dkr",
    b"vpce",
    b"iot",
    b"kafka",
    b"mq",
    b"docdb",
    b"neptune",
    b"aoss",
    b"airflow",
    b"appsync-api",
    b"lambda-url",
    b"dax",
    b"memorydb",
    b"redshift-serverless",
    b"emr-serverless",
    b"kinesis",
    b"cloudsearch",
    b"apprunner",
    b"elasticbeanstalk",
    b"awsapprunner",
    b"streaming",
    b"sagemaker",
    b"studio",
];
const DB_SERVICES: &[&[u8]] = &[
    b"rds",
    b"cache",
    b"redshift",
    b"docdb",
    b"neptune",
    b"memorydb",
    b"dax",
];

/// `-[a-z]+-[0-9]` exactly.
fn dash_word_digit(r: &[u8]) -> bool {
    r.len() >= 4
        && r[0] == b'-'
        && r[r.len() - 2] == b'-'
        && r[r.len() - 1].is_ascii_digit()
        && r[1..r.len() - 2].iter().all(|&c| is_lower(c))
}

/// `[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]` exactly (with `iso`) or
/// `[a-z]{2}(?:-gov)?-[a-z]+-[0-9]` (without): a region such as `us-gov-west-1`.
pub fn region_name(l: &[u8], iso: bool) -> bool {
    if l.len() < 2 || !is_lower(l[0]) || !is_lower(l[1]) {
        return false;
    }
    let r = &l[2..];
    if dash_word_digit(r) || (r.starts_with(b"-gov") && dash_word_digit(&r[4..])) {
        return true;
    }
    iso && r.starts_with(b"-iso")
        && (dash_word_digit(&r[4..]) || (r.len() > 4 && is_lower(r[4]) && dash_word_digit(&r[5..])))
}

/// A label that is a region or a structural word of a host name.
fn region_like(l: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"cfg",
        b"ng",
        b"clustercfg",
        b"dualstack",
        b"fips",
        b"internal",
        b"compute",
        b"compute-1",
        b"cn",
        b"global",
        b"ats",
        b"auth",
        b"endpoint",
        // an ElastiCache serverless cache's endpoint
        b"serverless",
    ];
    if region_name(l, true) || WORDS.contains(&l) {
        return true;
    }
    if !l.is_empty() && l.iter().all(u8::is_ascii_digit) {
        return true;
    }
    // [a-z]{2,4}[0-9]
    (3..=5).contains(&l.len())
        && l[l.len() - 1].is_ascii_digit()
        && l[..l.len() - 1].iter().all(|&c| is_lower(c))
}

/// An S3 endpoint label: `s3`, `s3-website`, `s3-<region>`, `s3.dualstack`-style parts.
fn s3_label(l: &[u8]) -> bool {
    const OTHER: &[&[u8]] = &[
        b"s3-accesspoint",
        b"s3-control",
        b"s3-external-1",
        b"s3-fips",
    ];
    if OTHER.contains(&l) {
        return true;
    }
    if !l.starts_with(b"s3") {
        return false;
    }
    let tail_ok =
        |r: &[u8]| r.is_empty() || (matches!(r[0], b'.' | b'-') && region_name(&r[1..], false));
    let r = &l[2..];
    tail_ok(r) || (r.starts_with(b"-website") && tail_ok(&r[8..]))
}

/// `<prefix>((?:[0-9]{1,3}-){3}[0-9]{1,3})` exactly: the dotted-quad part's span.
fn dashed_ip_label(data: &[u8], a: usize, b: usize, prefix: &[u8]) -> Option<(usize, usize)> {
    let l = &data[a..b];
    if !l.starts_with(prefix) {
        return None;
    }
    let body = &l[prefix.len()..];
    let mut parts = 0;
    for part in body.split(|&c| c == b'-') {
        if part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        parts += 1;
    }
    (parts == 4).then_some((a + prefix.len(), b))
}

/// Mask one host label, keeping structural prefixes such as `cluster-ro-`.
fn label_findings(
    data: &[u8],
    mut a: usize,
    b: usize,
    rtype: &'static str,
    out: &mut Vec<Finding>,
) {
    if let Some(f) = id_finding(data, a, b) {
        out.push(f);
        return;
    }
    if let Some((x, y)) =
        dashed_ip_label(data, a, b, b"ec2-").or_else(|| dashed_ip_label(data, a, b, b"ip-"))
    {
        // the address in the name masks as the address does where it stands alone
        out.push(Finding::new(x, y, "aws_hostname", Shape::Ipv4));
        return;
    }
    if is_account12(&data[a..b]) {
        out.push(Finding::new(a, b, "aws_account_id", CW));
        return;
    }
    const KEEP: &[&[u8]] = &[
        b"cluster-custom-",
        b"cluster-ro-",
        b"cluster-",
        b"internal-",
        b"proxy-",
        b"search-",
        b"vpc-",
    ];
    if let Some(k) = KEEP.iter().find(|k| data[a..b].starts_with(k)) {
        if a + k.len() < b {
            a += k.len();
        }
        if let Some(dash) = opensearch_hash(data, a, b, k) {
            // `search-<domain>-<hash>.<region>.es.amazonaws.com`: the domain is the name the
            // `DomainName` field and the domain ARN hold, masked as they mask it
            out.push(Finding::new(a, dash, "aws_resource_name", CW));
            out.push(Finding::new(dash + 1, b, rtype, CW));
            return;
        }
    }
    if has_alnum(&data[a..b]) {
        out.push(Finding::new(a, b, rtype, CW)); // else a redacted label ('############')
    }
}

/// The dash before the hash of an OpenSearch endpoint label (`search-` or `vpc-`, the domain
/// name, `-`, 16 to 32 lower-case letters and digits) whose host is under `es.amazonaws.com`;
/// the label's prefix is already skipped (`a`).
fn opensearch_hash(data: &[u8], a: usize, b: usize, prefix: &[u8]) -> Option<usize> {
    if !matches!(prefix, b"search-" | b"vpc-") {
        return None;
    }
    let dash = a + data[a..b].iter().rposition(|&c| c == b'-')?;
    let hash = &data[dash + 1..b];
    if dash < a + 3
        || !(16..=32).contains(&hash.len())
        || !hash.iter().all(|&c| is_lower(c) || c.is_ascii_digit())
    {
        return None;
    }
    let host_rest = &data[b..data.len().min(b + 40)];
    memchr::memmem::find(host_rest, b".es.amazonaws.com").map(|_| dash)
}

/// Bytes of a host name; `#` too: documentation redacts parts of host names
/// (`db1.cluster-############.us-east-1.rds.`).
#[inline]
fn host_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'#')
}

/// `SLASH ([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])` at `i`: the bucket's span.
fn s3_path_bucket(data: &[u8], i: usize, lim: usize) -> Option<(usize, usize)> {
    let b = slash_at(data, i, lim)?;
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b >= lim || !edge(data[b]) {
        return None;
    }
    let r = run(data, b, lim, 63, |c| edge(c) || c == b'.' || c == b'-');
    let len = (3..=r).rev().find(|&l| edge(data[b + l - 1]))?;
    Some((b, b + len))
}

/// `SLASH ([0-9]{12}) SLASH ([A-Za-z0-9_-]{1,80}(?:\.fifo)?)` at `i`: account and queue spans.
fn sqs_path(data: &[u8], i: usize, lim: usize) -> Option<((usize, usize), (usize, usize))> {
    let a = slash_at(data, i, lim)?;
    if a + 12 > lim || !is_account12(&data[a..a + 12]) {
        return None;
    }
    let q = slash_at(data, a + 12, lim)?;
    let k = run(data, q, lim, 80, |c| {
        c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
    });
    if k == 0 {
        return None;
    }
    let mut qe = q + k;
    if data[qe..lim].starts_with(b".fifo") {
        qe += 5;
    }
    Some(((a, a + 12), (q, qe)))
}

fn check_host(data: &[u8], a: usize, _e: usize) -> CheckResult {
    // the candidate is the suffix ('.amazonaws.com'); the host's labels lie to its left
    let e = suffix_end(data, a)?;
    if !right_ok(data, e, &GLUE_ID) {
        return None;
    }
    let lo = a.saturating_sub(BACK);
    let mut s = a;
    while s > lo && host_char(data[s - 1]) {
        s -= 1;
    }
    while s < a && matches!(data[s], b'.' | b'-' | b'#') {
        s += 1;
    }
    if s == a {
        return Some((Vec::new(), e));
    }
    if s > 0 && data[s - 1] == b'\\' && escape_ends_at(data, s) {
        s += 1; // '\nmydb.abc...': the 'n' belongs to the escape
    }
    let host = &data[s..e];
    // label spans, left to right
    let mut labels: Vec<(usize, usize)> = Vec::with_capacity(8);
    let mut p = s;
    for lab in host.split(|&c| c == b'.') {
        labels.push((p, p + lab.len()));
        p += lab.len() + 1;
    }
    let lab = |i: usize| &data[labels[i].0..labels[i].1];
    let mut out = Vec::new();
    if host.ends_with(b"compute.internal") || host.ends_with(b"ec2.internal") {
        let (x, y) = labels[0];
        if dashed_ip_label(data, x, y, b"ip-").is_some() || id_finding(data, x, y).is_some() {
            label_findings(data, x, y, "aws_hostname", &mut out);
        }
        return Some((out, e));
    }
    if !host.ends_with(b"amazonaws.com") && !host.ends_with(b"amazonaws.com.cn") {
        // cloudfront.net, awsapps.com, elasticbeanstalk.com, on.aws ...: the first label names it
        // (an account's alias before `.signin.aws.amazon.com`, where a region's name is AWS's)
        if labels.len() > 2 && !region_name(lab(0), true) {
            label_findings(data, labels[0].0, labels[0].1, "aws_hostname", &mut out);
        }
        return Some((out, e));
    }
    let ncore = labels
        .len()
        .saturating_sub(if lab(labels.len() - 1) == b"com" {
            2
        } else {
            3
        });
    if ncore == 0 {
        return Some((out, e));
    }
    // S3 virtual-hosted buckets: everything left of the first s3 label
    if let Some(i) = (0..ncore).find(|&i| s3_label(lab(i))) {
        let mut end = e;
        if i > 0 {
            out.push(Finding::new(s, labels[i].0 - 1, "aws_s3_bucket", CW));
        } else if let Some((bs, be)) = s3_path_bucket(data, e, data.len().min(e + 80)) {
            if right_ok(data, be, &GLUE_ID) {
                out.push(Finding::new(bs, be, "aws_s3_bucket", CW));
                end = be;
            }
        }
        return Some((out, end));
    }
    if lab(0) == b"sqs" || lab(0) == b"queue" {
        if let Some(((aa, ab), (qa, qb))) = sqs_path(data, e, data.len().min(e + 120)) {
            if right_ok(data, qb, &GLUE_ID) {
                out.push(Finding::new(aa, ab, "aws_account_id", CW));
                let name_end = fifo_name_end(b"sqs", &data[qa..qb], qb);
                out.push(Finding::new(qa, name_end, "aws_sqs_queue_url", CW));
                return Some((out, qb));
            }
        }
        return Some((out, e));
    }
    if dashed_ip_label(data, labels[0].0, labels[0].1, b"ec2-").is_some() {
        label_findings(data, labels[0].0, labels[0].1, "aws_hostname", &mut out);
        return Some((out, e));
    }
    if let Some(i) = (0..ncore).find(|&i| lab(i) == b"eks") {
        // EKS: the API endpoint's first label is the cluster's id ('<32 hex>.gr7.<region>.eks');
        // the OIDC issuer ('oidc.eks.<region>…/id/<32 hex>') carries it in its path
        if i == 0 {
            return Some((out, e));
        }
        if i == 1 && lab(0) == b"oidc" {
            let end = eks_oidc_id(data, e).unwrap_or(e);
            if end > e {
                out.push(Finding::new(end - 32, end, "aws_hostname", CW));
            }
            return Some((out, end));
        }
        label_findings(data, labels[0].0, labels[0].1, "aws_hostname", &mut out);
        return Some((out, e));
    }
    let Some(svc_at) = (0..ncore).find(|&i| RESOURCE_SERVICES.contains(&lab(i))) else {
        return Some((out, e)); // a service endpoint such as ec2.us-east-1.amazonaws.com
    };
    if svc_at == 0 {
        return Some((out, e));
    }
    let first_type = if DB_SERVICES.contains(&lab(svc_at)) {
        "aws_db_identifier"
    } else {
        "aws_hostname"
    };
    let mut name_at = 0; // the label that names the resource
    for (i, &(x, y)) in labels.iter().enumerate().take(svc_at) {
        let l = &data[x..y];
        if (i > 0 && region_like(l)) || region_name(l, true) || !has_alnum(l) {
            continue;
        }
        if i == 0 && svc_at > 1 && l == b"dualstack" {
            name_at = 1; // a load balancer's alias name: `dualstack.<name>-<id>.<region>.elb…`
            continue;
        }
        if i == 0 && svc_at > 1 && matches!(l, b"master" | b"replica") {
            name_at = 1; // ElastiCache's primary and reader endpoints: master.<cluster>.<id>…
            continue;
        }
        label_findings(
            data,
            x,
            y,
            if i == name_at {
                first_type
            } else {
                "aws_hostname"
            },
            &mut out,
        );
    }
    // a registry host ('<account>.dkr.ecr.<region>…/<repository>:<tag>'): the repository too
    if lab(svc_at) == b"dkr" && svc_at + 1 < labels.len() && lab(svc_at + 1) == b"ecr" {
        if let Some((ra, rb)) = ecr_repository(data, e) {
            out.push(Finding::new(ra, rb, "aws_resource_name", CW));
            return Some((out, rb));
        }
    }
    Some((out, e))
}

/// After an ECR registry host ending at `e`: the span of the repository path that follows it
/// (`/team/api` with any escaping of `/`), up to its tag or digest. Lower-case letters,
/// digits and `._-/` as ECR allows; at least two characters before the tag.
fn ecr_repository(data: &[u8], e: usize) -> Option<(usize, usize)> {
    let lim = data.len().min(e + 256);
    let k = run(data, e, lim, 8, |c| c == b'\\');
    if k > 7 || e + k >= lim || data[e + k] != b'/' {
        return None;
    }
    let a = e + k + 1;
    let mut b = a;
    while b < lim {
        let c = data[b];
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-' | b'/') {
            b += 1;
        } else if c == b'\\' && b + 1 < lim && data[b + 1] == b'/' {
            b += 2;
        } else {
            break;
        }
    }
    while b > a && matches!(data[b - 1], b'/' | b'.' | b'\\') {
        b -= 1;
    }
    if b < a + 2 || !data[a].is_ascii_alphanumeric() || !right_ok(data, b, &GLUE_ID) {
        return None;
    }
    Some((a, b))
}

/// After an EKS OIDC issuer host ending at `e`: the end of its `/id/<32 hex>` path (any
/// escaping of `/`), when the id is whole.
fn eks_oidc_id(data: &[u8], e: usize) -> Option<usize> {
    let lim = data.len().min(e + 64);
    let mut i = e;
    let slash = |i: usize| -> Option<usize> {
        let k = run(data, i, lim, 8, |c| c == b'\\');
        (k <= 7 && i + k < lim && data[i + k] == b'/').then_some(i + k + 1)
    };
    i = slash(i)?;
    if !data[i..lim].starts_with(b"id") {
        return None;
    }
    i = slash(i + 2)?;
    let n = run(data, i, lim, 33, |c| c.is_ascii_hexdigit());
    (n == 32 && right_ok(data, i + 32, &GLUE_ID)).then_some(i + 32)
}

// ---------------------------------------------------------------- checks: s3:// URIs

/// A load balancer or target group as ELB access logs and CloudWatch dimensions write it, out
/// of its ARN: `app/<name>/<16 hex>`, `net/…`, `gwy/…`, `targetgroup/<name>/<16 hex>`. The
/// name and the id are masked, the kind stays.
fn check_elb_path(data: &[u8], s: usize, e: usize) -> CheckResult {
    if s > 0 && (ALNUM[data[s - 1] as usize] || matches!(data[s - 1], b'-' | b'_' | b'.')) {
        return None;
    }
    let lim = data.len().min(e + 32 + 1 + 16 + 1);
    let a = e;
    let n = run(data, a, lim, 33, |c| c.is_ascii_alphanumeric() || c == b'-');
    if !(1..=32).contains(&n) || data.get(a + n) != Some(&b'/') {
        return None;
    }
    let ia = a + n + 1;
    let h = run(data, ia, lim, 17, |c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c));
    if h != 16 || data.get(ia + h).is_some_and(|&c| ALNUM[c as usize]) {
        return None;
    }
    let fs = vec![Finding::new(a, a + n, "aws_resource_name", CW), Finding::new(ia, ia + h, "aws_resource_name", CW)];
    Some((fs, ia + h))
}

fn check_s3_uri(data: &[u8], s: usize, _e: usize) -> CheckResult {
    // s3[an]?:(?:\\{0,7}/){2}([a-z0-9][a-z0-9.-]{2,62})
    if !left_ok(data, s, &ALNUM) {
        return None;
    }
    let lim = data.len().min(s + 80);
    let mut i = s + 2;
    if i < lim && matches!(data[i], b'a' | b'n') {
        i += 1;
    }
    if i >= lim || data[i] != b':' {
        return None;
    }
    i += 1;
    for _ in 0..2 {
        let k = run(data, i, lim, 8, |c| c == b'\\');
        if k > 7 || i + k >= lim || data[i + k] != b'/' {
            return None;
        }
        i += k + 1;
    }
    let b = i;
    if b >= lim || !(data[b].is_ascii_lowercase() || data[b].is_ascii_digit()) {
        return None;
    }
    let r = run(data, b, lim, 63, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-'
    });
    if r < 3 {
        return None;
    }
    let mut be = b + r;
    while be > b && matches!(data[be - 1], b'.' | b'-') {
        be -= 1;
    }
    if be - b < 3 {
        return None;
    }
    if BUCKET_STOP.contains(&&data[b..be]) {
        return Some((Vec::new(), be));
    }
    Some((vec![Finding::new(b, be, "aws_s3_bucket", CW)], be))
}

// ---------------------------------------------------------------- Cognito

/// A Cognito user pool id: `<region>_` and 9 letters and digits (`eu-west-1_Qz4Rk8Lm2`). The
/// region stays, as the `UserPoolId` field and the `--user-pool-id` flag keep it, so the pool
/// gets one surrogate wherever it stands.
fn check_user_pool_id(data: &[u8], s: usize, e: usize) -> CheckResult {
    // The candidate starts at the dash before the region's digit (`-1_…`): a candidate from the
    // region's first letters would run beside every other pattern from every `xx-` in the
    // text. The region is read back from there: `xx-word` or `xx-gov-word`, the longer first.
    let mut w = s;
    while w > 0 && is_lower(data[w - 1]) && s - w <= 9 {
        w -= 1;
    }
    if !(4..=9).contains(&(s - w)) || w < 3 || data[w - 1] != b'-' {
        return None;
    }
    let gov = (w >= 7 && &data[w - 5..w - 1] == b"-gov").then(|| w - 7);
    let rs = [gov, Some(w - 3)].into_iter().flatten().find(|&r| {
        data[r..r + 2].iter().all(|&c| is_lower(c)) && data[r + 2] == b'-'
    })?;
    if !left_ok(data, rs, &GLUE_ID) || !right_ok(data, e, &GLUE_ID) {
        return None;
    }
    let sep = s + 2;
    let body = &data[sep + 1..e];
    let letters = body.iter().filter(|c| c.is_ascii_alphabetic()).count();
    if !region_name(&data[rs..sep], false) || letters == 0 || letters == body.len() {
        return None;
    }
    Some((vec![Finding::new(sep + 1, e, "aws_resource_name", CW)], e))
}

/// Whether `v` is a Cognito user pool id as a whole value (`eu-west-1_Qz4Rk8Lm2`).
pub(super) fn user_pool_id(v: &[u8]) -> bool {
    let Some(u) = memchr::memchr(b'_', v) else { return false };
    let body = &v[u + 1..];
    body.len() == 9
        && body.iter().all(u8::is_ascii_alphanumeric)
        && body.iter().any(u8::is_ascii_alphabetic)
        && body.iter().any(u8::is_ascii_digit)
        && region_name(&v[..u], false)
}

/// The shape of a Cognito app client id: 26 lower-case letters and digits, both present.
fn cognito_client_id(v: &[u8]) -> bool {
    v.len() == 26
        && v.iter().all(|&c| is_lower(c) || c.is_ascii_digit())
        && v.iter().filter(|c| c.is_ascii_digit()).count() >= 2
        && v.iter().filter(|&&c| is_lower(c)).count() >= 2
}

/// The shape of a Cognito app client secret: 50 to 56 lower-case letters and digits.
fn cognito_client_secret(v: &[u8]) -> bool {
    (50..=56).contains(&v.len())
        && v.iter().all(|&c| is_lower(c) || c.is_ascii_digit())
        && v.iter().filter(|c| c.is_ascii_digit()).count() >= 4
        && v.iter().filter(|&&c| is_lower(c)).count() >= 4
}

/// A key that names an app client (`ClientId`, `COGNITO_CLIENT_ID`, `userPoolWebClientId`,
/// `aws_user_pools_web_client_id`, `--client-id`) followed by a value of the Cognito client id
/// shape. Other OAuth client ids (Google's `….apps.googleusercontent.com`, Azure's UUIDs) have
/// shapes of their own and stay.
fn check_client_id(data: &[u8], s: usize, e: usize) -> CheckResult {
    // the key's start: back over the words before `client` (`COGNITO_`, `userPoolWeb`)
    let lo = s.saturating_sub(LOOKBEHIND);
    let mut ks = s;
    while ks > lo && (WORD[data[ks - 1] as usize] || data[ks - 1] == b'-') {
        ks -= 1;
    }
    if ks > lo && data[ks - 1] == b'\\' {
        ks += 1; // `\n--client-id`: the escape's letter is no part of the key
    }
    let flag = data[ks..s].starts_with(b"--");
    let key = &data[ks..e];
    let nk = norm_key(key);
    if !(nk.ends_with("clientid") || nk.ends_with("clientids")) {
        return None;
    }
    let mut ke = s;
    while ke < e && (ALNUM[data[ke] as usize] || matches!(data[ke], b'_' | b'-')) {
        ke += 1;
    }
    let limit = data.len().min(e + 256);
    let v = super::base::value_after(data, ke, limit, flag, None)?;
    let val = &data[v.start..v.end];
    if !cognito_client_id(val) {
        return None;
    }
    Some((vec![Finding::new(v.start, v.end, "aws_cognito_client_id", CW)], v.end))
}

/// `cognito-idp … --output text`: a `USERPOOLCLIENT` or `USERPOOLCLIENTS` row. Its cells are
/// sorted by field name; the one of the client id shape is the client id, the one of the
/// client secret shape its secret (the pool id is left to [`check_user_pool_id`], the scan
/// resumes right after the last cell taken).
fn check_user_pool_client_row(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let limit = data.len().min(e + 2048);
    let mut out = Vec::new();
    let mut i = e;
    let mut j = e;
    loop {
        let at_end = j >= limit || matches!(data[j], b'\n' | b'\r');
        let tab = !at_end && data[j] == b'\t';
        let esc_tab = !at_end && data[j] == b'\\' && j + 1 < limit && data[j + 1] == b't';
        let esc_end = !at_end && data[j] == b'\\' && j + 1 < limit && matches!(data[j + 1], b'n' | b'r');
        if at_end || tab || esc_tab || esc_end {
            let cell = &data[i..j];
            if cognito_client_id(cell) {
                out.push(Finding::new(i, j, "aws_cognito_client_id", CW));
            } else if cognito_client_secret(cell) {
                out.push(Finding::new(i, j, "generic_secret", CW));
            }
            if at_end || esc_end {
                break;
            }
            j += if tab { 1 } else { 2 };
            i = j;
            continue;
        }
        j += 1;
    }
    // resume after the last cell taken: the pool id further on is another rule's
    let resume = out.last()?.end;
    Some((out, resume))
}

// ---------------------------------------------------------------- S3 canonical user ids

/// A canonical user id: 64 lower-case hex digits, alone between its boundaries.
fn canonical_at(data: &[u8], a: usize, b: usize) -> bool {
    b - a == 64
        && data[a..b].iter().all(|&c| is_lhex(c))
        && left_ok(data, a, &GLUE_ID)
        && right_ok(data, b, &GLUE_ID)
}

/// `needle` (lower case) occurs in `hay`, ASCII case folded.
fn contains_folded(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether the 64-hex value at `a..b` under an id key is an S3 owner's or grantee's canonical
/// id: its object is the value of `Owner`/`Grantee` (JSON, or an HCL `owner {` block), or holds
/// a `DisplayName` (the owner object `list-buckets` and `get-bucket-acl` print), or
/// `CanonicalUser` is written near it (the grantee's `Type`, a principal, a Terraform data
/// source), or it is an `id=` grantee of a `--grant-…` flag.
fn canonical_context(data: &[u8], a: usize, b: usize) -> bool {
    let near = &data[a.saturating_sub(400)..data.len().min(b + 400)];
    if contains_folded(near, b"canonicaluser") || contains_folded(near, b"canonical_user") {
        return true;
    }
    let line = &data[a.saturating_sub(512)..a];
    let line = match line.iter().rposition(|&c| c == b'\n') {
        Some(i) => &line[i + 1..],
        None => line,
    };
    if memchr::memmem::find(line, b"--grant-").is_some() {
        return true;
    }
    let Some(open) = enclosing_brace(data, a, 1024) else { return false };
    let object = &data[open..data.len().min(b + 400)];
    if memchr::memmem::find(object, b"DisplayName").is_some() {
        return true;
    }
    let key: Vec<u8> = data[open.saturating_sub(40)..open]
        .iter()
        .rev()
        .skip_while(|&&c| matches!(c, b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'\\'))
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    key == b"renwo" || key == b"eetnarg"
}

/// `"ID": "<64 hex>"`, `id = "<64 hex>"`, `id=<64 hex>`: an id key whose value has the shape of
/// a canonical user id, in a canonical user's context ([`canonical_context`]). Container ids
/// and digests under an `Id` key have no such context and stay.
fn check_canonical_id_key(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if s > 0 && !(matches!(data[s - 1], b'"' | b'\'' | b' ' | b'\t' | b'\n' | b',' | b'{')
        || escape_ends_at(data, s - 1))
    {
        return None;
    }
    let limit = data.len().min(s + 128);
    let v = super::base::value_after(data, s + 2, limit, false, None)?;
    if !canonical_at(data, v.start, v.end) || !canonical_context(data, v.start, v.end) {
        return None;
    }
    Some((vec![Finding::new(v.start, v.end, "aws_canonical_user_id", HEX)], v.end))
}

/// A key that says canonical (`"CanonicalUser": …` in a bucket policy's principal,
/// `S3CanonicalUserId` of a CloudFront origin access identity, `canonical_user_id`) followed by a
/// 64-hex value.
fn check_canonical_key(data: &[u8], s: usize, _e: usize) -> CheckResult {
    let mut ke = s;
    while ke < data.len() && ke - s < 48 && WORD[data[ke] as usize] {
        ke += 1;
    }
    let limit = data.len().min(ke + 128);
    let v = super::base::value_after(data, ke, limit, false, None)?;
    if !canonical_at(data, v.start, v.end) {
        return None;
    }
    Some((vec![Finding::new(v.start, v.end, "aws_canonical_user_id", HEX)], v.end))
}

/// `s3api get-bucket-acl --output text`: an `OWNER` or `GRANTEE` row (DisplayName, ID, Type:
/// columns sorted by name); its 64-hex cell is a canonical user id.
fn check_acl_row(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let limit = data.len().min(e + 512);
    let mut i = e;
    while i < limit {
        let mut j = i;
        while j < limit && is_lhex(data[j]) {
            j += 1;
        }
        if j - i == 64 && canonical_at(data, i, j) {
            return Some((vec![Finding::new(i, j, "aws_canonical_user_id", HEX)], j));
        }
        // to the next cell on the row
        while j < limit && !matches!(data[j], b'\t' | b'\n' | b'\r' | b'\\') {
            j += 1;
        }
        match data.get(j) {
            Some(b'\t') => i = j + 1,
            Some(b'\\') if data.get(j + 1) == Some(&b't') => i = j + 2,
            _ => return None,
        }
    }
    None
}

// ---------------------------------------------------------------- the family

/// A bytes regex with Unicode off, for the few checks whose grammar is easier read as one.
fn bytes_regex(pattern: &str) -> Regex {
    RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .expect("valid check pattern")
}

/// The AWS recognizers in priority order.
pub fn recognizers() -> Vec<Recognizer> {
    const ARN_TYPES: &[&str] = &[
        "aws_account_id",
        "aws_arn",
        "aws_iam_name",
        "aws_resource_name",
        "aws_db_identifier",
        "aws_s3_bucket",
        "aws_kms_key_id",
    ];
    const HOST_TYPES: &[&str] = &[
        "aws_hostname",
        "aws_s3_bucket",
        "aws_db_identifier",
        "aws_account_id",
        "aws_sqs_queue_url",
    ];
    const FIELD_TYPES: &[&str] = &[
        "aws_account_id",
        "aws_kms_key_id",
        "aws_resource_name",
        "aws_route53_zone_id",
        "aws_s3_bucket",
    ];
    let mut id_types: Vec<&'static str> = ID_PREFIXES.iter().map(|(_, t)| *t).collect();
    id_types.sort_unstable();
    id_types.dedup();
    vec![
        Recognizer::new("aws.arn", r"arn:aws[a-z-]{0,10}:", check_arn, ARN_TYPES),
        Recognizer::new(
            "aws.host",
            format!(r"\.(?:{HOST_SUFFIXES})"),
            check_host,
            HOST_TYPES,
        ),
        Recognizer::new("aws.resource_id", id_pattern(), check_id, &id_types),
        Recognizer::new(
            "aws.rds_resource_id",
            r"(?:db|cluster)-[A-Z0-9]{26}",
            check_rds_resource,
            &["aws_rds_resource_id"],
        ),
        Recognizer::new(
            "aws.key_and_secret",
            r"A(?:KIA|SIA)[A-Z0-9]{16}(?:\t|\\{1,7}t|[ ,;|])",
            check_key_and_secret,
            &["aws_access_key_id", "aws_secret_access_key"],
        ),
        Recognizer::new(
            "aws.key_id",
            // One character after the prefix (the check counts the rest): see id_pattern.
            r"A(?:KIA|SIA|BIA|CCA|IDA|ROA|IPA|NPA|NVA|GPA|PKA|IKA)[A-Z0-9]",
            check_key_id,
            &["aws_access_key_id", "aws_iam_unique_id"],
        ),
        Recognizer::new(
            "aws.digit_id",
            r"[A-Z]{2}[0-9]{12}",
            check_digit_id,
            &["aws_iam_unique_id"],
        )
        .triggered(trigger_digit_id),
        Recognizer::new(
            "aws.elb_path",
            r"(?:app|net|gwy|targetgroup)/",
            check_elb_path,
            &["aws_resource_name"],
        ),
        Recognizer::new(
            "aws.s3_uri",
            r"s3[an]?:\\{0,3}/",
            check_s3_uri,
            &["aws_s3_bucket"],
        ),
        Recognizer::with_check(
            "aws.fields",
            field_pattern(),
            field_check(field_table().clone(), false, false, WORD),
            FIELD_TYPES,
        ),
        Recognizer::new(
            "aws.account_flag_list",
            r"--(?:values-to-(?:add|remove)|account-ids|user-ids)[ \t=]",
            check_account_flag_list,
            &["aws_account_id"],
        ),
        Recognizer::with_check(
            "aws.flags",
            r"--(?:account-ids?|user-ids|target-id|key-id|kms-key-id|hosted-zone-id|resource-id|bucket)[ \t=]",
            field_check(flag_table().clone(), true, false, WORD),
            FIELD_TYPES,
        ),
        Recognizer::new(
            "aws.account_quoted",
            r#""[0-9]{12}[\\"/:]"#,
            check_quoted12,
            &["aws_account_id"],
        ),
        Recognizer::new(
            "aws.account_words",
            "(?i:account|owner|acct|registry)",
            check_account_words,
            &["aws_account_id"],
        ),
        Recognizer::new(
            "aws.account_field",
            r"[\tnt\n][0-9]{12}[\t\r\n\\/:]",
            check_field12,
            &["aws_account_id"],
        ),
        Recognizer::new(
            "aws.account_path",
            r"(?:/|u002[fF])[0-9]{12}",
            check_path12,
            &["aws_account_id", "aws_resource_name"],
        ),
        Recognizer::new(
            "aws.flow_log",
            r"[2-9] [0-9]{12} (?:eni-[0-9a-f]{8,17}|-) ",
            check_flow_log,
            &["aws_account_id"],
        )
        .triggered(trigger_flow_log),
        Recognizer::new(
            "aws.dns_cell",
            r"[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:\t|\n|\r|\\{1,7}[tnr])",
            check_dns_cell,
            &[HOSTNAME],
        )
        .triggered(trigger_dns_cell),
        Recognizer::new(
            "aws.account_grouped",
            r"[0-9]-[0-9]{4}-[0-9]",
            check_account_grouped,
            &["aws_account_id"],
        ),
        Recognizer::new(
            "aws.account_dash",
            r"-[0-9]{12}",
            check_dash12,
            &["aws_account_id"],
        ),
        Recognizer::new(
            "aws.arn_urlencoded",
            r"arn%3[Aa]aws",
            check_arn_urlencoded,
            &["aws_account_id"],
        ),
        Recognizer::new(
            "aws.kms_uuid_words",
            r"(?i:key)[ \t:=/]{1,3}[0-9a-f]{8}-[0-9a-f]{4}-",
            check_key_uuid,
            &["aws_kms_key_id"],
        ),
        Recognizer::new(
            "aws.user_pool_id",
            r"-[0-9]_[0-9A-Za-z]{9}",
            check_user_pool_id,
            &["aws_resource_name"],
        ),
        Recognizer::new(
            "aws.cognito_client_id",
            format!(r"(?i:client[_-]?ids?){}", super::base::KEY_ANCHOR),
            check_client_id,
            &["aws_cognito_client_id"],
        ),
        Recognizer::new(
            "aws.user_pool_client_row",
            r"USERPOOLCLIENTS?(?:\t|\\t)",
            check_user_pool_client_row,
            &["aws_cognito_client_id", "generic_secret"],
        ),
        Recognizer::new(
            "aws.canonical_id_key",
            r#"(?:ID|Id|id)\\{0,7}["']?[ \t]{0,16}[:=][ \t]{0,16}(?:\\{0,7}["'])?[0-9a-f]{2}"#,
            check_canonical_id_key,
            &["aws_canonical_user_id"],
        ),
        Recognizer::new(
            "aws.canonical_key",
            format!(r"(?:[Cc]anonical|CANONICAL)[A-Za-z_]*{}", super::base::KEY_ANCHOR),
            check_canonical_key,
            &["aws_canonical_user_id"],
        ),
        Recognizer::new(
            "aws.acl_row",
            r"(?:OWNER|GRANTEE)(?:\t|\\t)",
            check_acl_row,
            &["aws_canonical_user_id"],
        ),
        Recognizer::new(
            "aws.zone_words",
            r"(?i:zone|hostedzone)(?:[ \t:=]{1,3}|\\{0,7}/|\\{1,7}u002[fF])Z[A-Z0-9]{7}",
            check_zone_word,
            &["aws_route53_zone_id"],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::{Filter, Scanner};
    use std::cell::Cell;
    use std::sync::OnceLock;

    fn scanner() -> &'static Scanner {
        static S: OnceLock<Scanner> = OnceLock::new();
        S.get_or_init(|| Scanner::new(recognizers(), Filter::default()).unwrap())
    }

    /// `(type, value)` of every finding in `text`.
    fn found(text: &str) -> Vec<(&'static str, String)> {
        crate::testutil::found_in(scanner(), text)
    }

    thread_local!(static SEED: Cell<u64> = const { Cell::new(0x9e37_79b9_7f4a_7c15) });

    /// A fresh pseudo-random string of `n` bytes from `alphabet`.
    fn rand(alphabet: &[u8], n: usize) -> String {
        SEED.with(|s| {
            (0..n)
                .map(|_| {
                    let mut x = s.get();
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    s.set(x);
                    alphabet[(x % alphabet.len() as u64) as usize] as char
                })
                .collect()
        })
    }
    fn hex(n: usize) -> String {
        rand(b"0123456789abcdef", n)
    }
    /// `n` digits, not starting with 0, not a multiple of 2^20, not a date.
    fn digits(n: usize) -> String {
        format!("{}{}", rand(b"3456789", 1), rand(b"0123456789", n - 2)) + &rand(b"13579", 1)
    }
    /// Upper-case letters and digits with at least one digit and one letter.
    fn upper(n: usize) -> String {
        format!("Q{}7", rand(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n - 2))
    }
    fn uuid() -> String {
        format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12))
    }
    fn pair(t: &'static str, v: &str) -> (&'static str, String) {
        (t, v.to_string())
    }

    #[test]
    fn catalog_rows_and_recognizer_order() {
        assert_eq!(TYPES.len(), 70);
        assert_eq!(TYPES[0].name, "aws_arn");
        let names: Vec<String> = recognizers().into_iter().map(|r| r.name).collect();
        assert_eq!(names.len(), 29);
        assert_eq!(names[0], "aws.arn");
        assert_eq!(names[28], "aws.zone_words");
        for r in recognizers() {
            crate::scanner::check_pattern(&r.pattern).unwrap();
        }
    }

    #[test]
    fn tables_for_the_names_family() {
        assert_eq!(
            field_table().get("ownerid").unwrap().rtype,
            "aws_account_id"
        );
        assert_eq!(
            field_table()
                .get("sseKMSkeyid".to_lowercase().as_str())
                .unwrap()
                .rtype,
            "aws_kms_key_id"
        );
        assert_eq!(
            field_table().get("hostedzone").unwrap().rtype,
            "aws_route53_zone_id"
        );
        assert_eq!(
            field_table().get("s3bucketname").unwrap().rtype,
            "aws_s3_bucket"
        );
        assert_eq!(
            flag_table().get("resourceid").unwrap().rtype,
            "aws_route53_zone_id"
        );
        assert_eq!(flag_table().len(), 9);
        let d = b"Bucket=os.environ.get(x)";
        let v = Value {
            start: 7,
            end: 21,
            quote: Vec::new(),
            sep: b"=".to_vec(),
        };
        assert!((F_BUCKET.validate)(d, &v, "aws_s3_bucket").is_none());
    }

    #[test]
    fn arn_parts() {
        let a = digits(12);
        let s = format!("arn:aws:iam::{a}:role/service-role/etl-{}", hex(4));
        let (fs, end) = arn_findings(s.as_bytes(), 0, s.len()).unwrap();
        assert_eq!(end, s.len());
        assert_eq!(fs.len(), 2);
        assert_eq!(
            (fs[0].rtype, &s[fs[0].start..fs[0].end]),
            ("aws_account_id", a.as_str())
        );
        assert_eq!(fs[1].rtype, "aws_iam_name");
        assert_eq!(
            found(&format!("arn:aws-cn:lambda:cn-north-1:{a}:function:sync.")).len(),
            2
        );
        let u = uuid();
        assert_eq!(
            found(&format!("arn:aws:kms:eu-west-1:{a}:key\\/{u}")),
            vec![pair("aws_account_id", &a), pair("aws_kms_key_id", &u)]
        );
        let m = hex(32);
        assert_eq!(
            found(&format!("arn:aws:kms:eu-west-1:{a}:key/mrk-{m}"))[1],
            pair("aws_kms_key_id", &m)
        );
        let h = hex(17);
        assert_eq!(
            found(&format!("arn:aws:ec2:us-east-1:{a}:instance\\u002Fi-{h}")),
            vec![pair("aws_account_id", &a), pair("aws_ec2_instance_id", &h)]
        );
        let b = format!("logs-{}", hex(6));
        assert_eq!(
            found(&format!("arn:aws:s3:::{b}/2024/x.csv")),
            vec![pair("aws_s3_bucket", &b)]
        );
        assert_eq!(
            found(&format!("arn:aws:rds:us-east-1:{a}:db:orders-{}", hex(3)))[1].0,
            "aws_db_identifier"
        );
        // negatives: AWS-managed, glued, unknown partition, 14-digit account
        assert!(found("arn:aws:iam::aws:policy/ReadOnlyAccess").is_empty());
        assert!(found(&format!("xarn:aws:iam::{a}:role/x")).is_empty());
        assert!(arn_findings(format!("arn:aws-xx:iam::{a}:role/x").as_bytes(), 0, 40).is_none());
        assert!(arn_findings(format!("arn:aws:iam::{a}12:role/x").as_bytes(), 0, 40).is_none());
    }

    #[test]
    fn arn_typed_ids_keep_their_prefix() {
        let a = digits(12);
        let low = |n: usize| format!("{}7", rand(b"abcdefghijklmnopqrstuvwxyz0123456789", n - 1));
        // the id's body is masked, its type prefix stays; the body is one the known values
        // find again behind the prefix, so the id's bare occurrences are masked too
        let (o, h) = (low(14), low(16));
        let fs = found(&format!(
            "arn:aws:organizations::{a}:handshake/o-{o}/invite/h-{h}"
        ));
        assert!(fs.contains(&pair("aws_resource_name", &o)), "{fs:?}");
        assert!(fs.contains(&pair("aws_resource_name", &h)), "{fs:?}");
        assert!(fs
            .iter()
            .all(|(_, v)| !v.starts_with("o-") && !v.starts_with("h-")));
        let (g, x) = (hex(17), hex(17));
        assert_eq!(
            found(&format!(
                "arn:aws:networkmanager::{a}:site/global-network-{g}/site-{x}"
            )),
            vec![
                pair("aws_account_id", &a),
                pair("aws_arn", &g),
                pair("aws_arn", &x)
            ]
        );
        let rtb = low(17);
        assert_eq!(
            found(&format!(
                "arn:aws:ec2:us-west-2:{a}:local-gateway-route-table/lgw-rtb-{rtb}"
            ))[1],
            pair("aws_resource_name", &rtb)
        );
        // masked whole: a body the known values would not find behind its prefix (short,
        // compound, an ordinary word), and names (an unknown prefix before a body that is not
        // the 17-hex id format)
        for seg in [
            format!("o-{}", low(10)),
            format!("sgw-{}", upper(8)),
            format!("ou-{}-{}", low(12), low(12)),
            "p-organisational".to_string(),
            format!("orders-api-{}", hex(8)),
            format!("acme-{}", low(14)),
            format!("billing-prod-{}", hex(16)),
        ] {
            assert_eq!(
                found(&format!("arn:aws:lambda:us-east-1:{a}:function:{seg}"))[1],
                pair("aws_resource_name", &seg)
            );
        }
    }

    #[test]
    fn resource_ids() {
        for n in [8, 17] {
            let h = hex(n);
            assert_eq!(
                found(&format!("moved i-{h} today")),
                vec![pair("aws_ec2_instance_id", &h)]
            );
            assert_eq!(
                found(&format!("\\nvpce-svc-{h}")),
                vec![pair("aws_vpc_endpoint_service_id", &h)]
            );
        }
        let h = hex(17);
        assert_eq!(
            found(&format!("key-{h}")),
            vec![pair("aws_key_pair_id", &h)]
        );
        // handles of tasks and attachments are ids of the account like any other
        for (prefix, rtype) in [
            ("eni-attach", "aws_network_interface_attachment_id"),
            ("import-ami", "aws_import_task_id"),
            ("iew", "aws_instance_event_window_id"),
        ] {
            let h = hex(17);
            assert_eq!(found(&format!("{prefix}-{h}")), vec![pair(rtype, &h)]);
        }
        for text in [
            format!("i-{}", hex(9)),
            format!("xi-{}", hex(8)),
            format!("my-i-{}", hex(8)),
            format!(
                "i-{}",
                hex(8)
                    .to_uppercase()
                    .replace(|c: char| c.is_ascii_digit(), "A")
            ),
            format!("key-{}", hex(8)),
            format!("api-{}", hex(8)),
        ] {
            assert!(found(&text).is_empty(), "{text}");
        }
    }

    #[test]
    fn rds_resource_ids() {
        let body = upper(26);
        assert_eq!(
            found(&format!("\"DbiResourceId\": \"db-{body}\"")),
            vec![pair("aws_rds_resource_id", &body)]
        );
        assert!(found(&format!("db-{}", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")).is_empty());
        assert!(found(&format!("db-{body}X")).is_empty());
    }

    #[test]
    fn access_keys_and_unique_ids() {
        let body = upper(16);
        assert_eq!(
            found(&format!("AWS_ACCESS_KEY_ID=AKIA{body}")),
            vec![pair("aws_access_key_id", &body)]
        );
        let body = upper(17);
        assert_eq!(
            found(&format!("\"RoleId\": \"AROA{body}\"")),
            vec![pair("aws_iam_unique_id", &body)]
        );
        assert!(found(&format!("AKIA{}", upper(15))).is_empty());
        assert!(found(&format!("XAKIA{}", upper(16))).is_empty());
        assert!(found(&format!("\"ServerCertificateId\": \"ASCA{}\"", upper(17))).is_empty());
    }

    #[test]
    fn key_and_secret_pairs() {
        let key = upper(16);
        let secret = format!(
            "aB{}",
            rand(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+",
                38
            )
        );
        let out = found(&format!(
            "ACCESSKEY\tAKIA{key}\t2024-01-02T03:04:05Z\t{secret}\tActive\n"
        ));
        assert_eq!(
            out,
            vec![
                pair("aws_access_key_id", &key),
                pair("aws_secret_access_key", &secret)
            ]
        );
        // a secret without lower-case letters is no secret: only the key id is found
        let out = found(&format!("AKIA{key} {}", upper(40)));
        assert_eq!(out, vec![pair("aws_access_key_id", &key)]);
    }

    #[test]
    fn digit_ids() {
        let v = format!("ID{}EXAMPLE", digits(15));
        assert_eq!(
            found(&format!("CERT\t{v}\tActive\n")),
            vec![pair("aws_iam_unique_id", &v)]
        );
        for text in ["T20240101123456Z", "AB1234567890", "xID123456789012345X"] {
            assert!(found(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn s3_uris() {
        let b = format!("ledger-{}", hex(5));
        assert_eq!(
            found(&format!("aws s3 cp x s3://{b}/2024/")),
            vec![pair("aws_s3_bucket", &b)]
        );
        assert_eq!(
            found(&format!("s3a:\\/\\/{b}.")),
            vec![pair("aws_s3_bucket", &b)]
        );
        assert!(found("s3://bucket/x").is_empty());
        assert!(found("s3://ab/x").is_empty());
        assert!(found(&format!("xs3://{b}")).is_empty());
    }

    #[test]
    fn fields() {
        let a = digits(12);
        assert_eq!(
            found(&format!("\"OwnerId\": \"{a}\"")),
            vec![pair("aws_account_id", &a)]
        );
        assert_eq!(
            found(&format!("aws_account_id = {a}\n")),
            vec![pair("aws_account_id", &a)]
        );
        let u = uuid();
        assert_eq!(
            found(&format!("\"KmsKeyId\": \"{u}\"")),
            vec![pair("aws_kms_key_id", &u)]
        );
        let z = upper(13);
        assert_eq!(
            found(&format!("\"HostedZoneId\": \"/hostedzone/Z{z}\"")),
            vec![pair("aws_route53_zone_id", &z)]
        );
        let b = format!("ledger-{}", hex(5));
        assert_eq!(
            found(&format!("\"Bucket\": \"{b}\"")),
            vec![pair("aws_s3_bucket", &b)]
        );
        assert_eq!(
            found(&format!("\"UserIds\": [\"{a}\"]")),
            vec![pair("aws_account_id", &a)]
        );
        assert!(found(&format!("\"RequestId\": \"{u}\"")).is_empty());
        assert!(found("s3.get_object(Bucket=os.environ.get(\"REPORT\"))").is_empty());
        assert!(found("\"Bucket\": \"my-bucket-name\"").is_empty());
    }

    #[test]
    fn flags_and_flag_lists() {
        let (a, b) = (digits(12), digits(12));
        for flag in ["--account-id", "--user-ids", "--target-id"] {
            assert_eq!(
                found(&format!("aws x {flag} {a}\n")),
                vec![pair("aws_account_id", &a)],
                "{flag}"
            );
        }
        assert_eq!(
            found(&format!(
                "modify-db-snapshot-attribute --values-to-add {a} '{b}' --x"
            )),
            vec![pair("aws_account_id", &a), pair("aws_account_id", &b)]
        );
        let z = upper(13);
        assert_eq!(
            found(&format!("--resource-id Z{z}\n")),
            vec![pair("aws_route53_zone_id", &z)]
        );
        assert!(found("--values-to-add all --x").is_empty());
        assert!(found("--resource-id my-table\n").is_empty());
        assert!(found(&format!("x--account-id {a}z")).is_empty());
    }

    #[test]
    fn accounts_in_context() {
        let a = digits(12);
        for text in [
            format!("\"Principal\": {{\"AWS\": \"{a}\"}}"),
            format!("Account ID: {a}"),
            format!("owned by AWS account ``{a}``."),
            format!("ARN\t{a}\tnext"),
            format!("RESOURCES\\tACCOUNT\\t{a}\\n"),
            format!("FEDERATEDUSER\tx\t{a}:ops-bot\n"),
            format!("path o-abc1234567/{a}\tnext"),
            format!("elasticbeanstalk-eu-west-1-{a}"),
            format!("https://up.example/arn%3Aaws%3Adevicefarm%3Aus-west-2%3A{a}%3Aproject%3Ax"),
        ] {
            assert_eq!(found(&text), vec![pair("aws_account_id", &a)], "{text}");
        }
        assert_eq!(
            found(&format!("\t/{a}/vaults/media-archive/jobs/x\n")),
            vec![
                pair("aws_account_id", &a),
                pair("aws_resource_name", "media-archive")
            ]
        );
        for text in [
            format!("{{\"Size\": {a}}}"),
            format!("\"Timestamp\": \"{a}\""),
            format!("took {a}ms"),
            format!("version {a}"),
            format!("at{a}\tnext"),
            format!("\"when\": \"{a}:30\""),
            format!("account\t{a}x"),
            format!("account {a}3"),
            "VOLUMEINFOS\tvol-x\t107374182400\tSTORED\n".to_string(),
            "backup-202405021103.tar".to_string(),
            format!("arn%3Aaws%3Ax%3Ay%3A%3A{a}3%3A"),
        ] {
            assert!(found(&text).is_empty(), "{text}");
        }
    }

    #[test]
    fn vpc_flow_log_accounts() {
        let a = digits(12);
        let eni = hex(17);
        let rec = format!(
            "{a} eni-{eni} 10.0.1.5 10.0.2.9 443 49152 6 10 840 1620000000 1620000060 ACCEPT OK"
        );
        for text in [
            format!("2 {rec}\n"),
            format!("x\n2 {rec}\n"),
            format!("{{\"message\": \"2 {rec}\"}}"),
            format!("1620000000\t2 {rec}"),
            format!("2 {a} - - - - - - - 1620000000 1620000060 - NODATA"),
        ] {
            let got = found(&text);
            assert!(got.contains(&pair("aws_account_id", &a)), "{text}: {got:?}");
        }
        // a number in prose, or one glued to a word, is not a record
        for text in [
            format!("take 2 {a} eni-{eni} "),
            format!("v2 {a} eni-{eni} "),
        ] {
            assert!(
                !found(&text).contains(&pair("aws_account_id", &a)),
                "{text}"
            );
        }
    }

    #[test]
    fn eks_endpoints_and_oidc_ids() {
        let id = hex(32).to_uppercase();
        assert_eq!(
            found(&format!(
                "endpoint: https://{id}.gr7.eu-west-1.eks.amazonaws.com\n"
            )),
            vec![pair("aws_hostname", &id)]
        );
        for sep in ["/", "\\/", "\\\\\\/"] {
            let text =
                format!("\"issuer\": \"https://oidc.eks.eu-west-1.amazonaws.com{sep}id{sep}{id}\"");
            assert_eq!(found(&text), vec![pair("aws_hostname", &id)], "{text}");
        }
        // the service endpoints and an id that is not whole stay
        for text in [
            "https://eks.eu-west-1.amazonaws.com/clusters".to_string(),
            "https://oidc.eks.eu-west-1.amazonaws.com/keys".to_string(),
            format!("https://oidc.eks.eu-west-1.amazonaws.com/id/{id}AB"),
        ] {
            assert!(found(&text).is_empty(), "{text}");
        }
    }

    #[test]
    fn host_names() {
        let id = rand(b"abcdefghijklmnopqrstuvwxyz0123456789", 12);
        assert_eq!(
            found(&format!(
                "https://orders-db.{id}.us-east-1.rds.amazonaws.com/x"
            )),
            vec![
                pair("aws_db_identifier", "orders-db"),
                pair("aws_hostname", &id)
            ]
        );
        assert_eq!(
            found("ec2-54-12-34-56.compute-1.amazonaws.com"),
            vec![pair("aws_hostname", "54-12-34-56")]
        );
        assert_eq!(
            found("ip-10-4-7-9.eu-west-1.compute.internal"),
            vec![pair("aws_hostname", "10-4-7-9")]
        );
        assert_eq!(
            found(&format!("{id}.cloudfront.net")),
            vec![pair("aws_hostname", &id)]
        );
        let b = format!("media-{}", hex(4));
        assert_eq!(
            found(&format!("{b}.s3.us-west-2.amazonaws.com")),
            vec![pair("aws_s3_bucket", &b)]
        );
        assert_eq!(
            found(&format!("s3.amazonaws.com\\/{b}\\/k")),
            vec![pair("aws_s3_bucket", &b)]
        );
        let a = digits(12);
        assert_eq!(
            found(&format!(
                "https://sqs.us-east-1.amazonaws.com/{a}/billing.fifo"
            )),
            vec![
                pair("aws_account_id", &a),
                pair("aws_sqs_queue_url", "billing")
            ]
        );
        assert_eq!(
            found(&format!(
                "\"db1.cluster-ro-{id}.us-west-2.rds.amazonaws.com\""
            )),
            vec![pair("aws_db_identifier", "db1"), pair("aws_hostname", &id)]
        );
        // an RDS Proxy endpoint: `endpoint` and `proxy-` are the host's structure
        assert_eq!(
            found(&format!(
                "\"reports-ro.endpoint.proxy-{id}.us-east-1.rds.amazonaws.com\""
            )),
            vec![
                pair("aws_db_identifier", "reports-ro"),
                pair("aws_hostname", &id)
            ]
        );
        assert!(is_aws_host(format!("{id}.cloudfront.net").as_bytes()));
        assert!(is_aws_host(b"media-x1.s3.amazonaws.com"));
        assert!(!is_aws_host(b".cloudfront.net") && !is_aws_host(b"x.cloudfront.netx"));
        assert!(!is_aws_host(b"shop.example.com"));
        for text in [
            "ec2.us-east-1.amazonaws.com",
            "s3.amazonaws.com",
            "sts.amazonaws.com",
            "region.compute.internal",
            "x.amazonaws.comx",
            "\"##.us-west-2.rds.amazonaws.com\"",
        ] {
            assert!(found(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn kms_keys_and_zones_after_words() {
        let u = uuid();
        assert_eq!(
            found(&format!("decrypting with KMS key {u}")),
            vec![pair("aws_kms_key_id", &u)]
        );
        assert!(found(&format!("monkey {u}")).is_empty());
        assert!(found(&format!("key {u}-x")).is_empty());
        // a config field named `key` is not KMS context; 'KMS key:' is
        assert!(found(&format!("key: {u}")).is_empty());
        assert!(found(&format!("idempotency_key={u}")).is_empty());
        assert!(found(&format!("cache key = {u}")).is_empty());
        assert_eq!(
            found(&format!("KMS key: {u}")),
            vec![pair("aws_kms_key_id", &u)]
        );
        assert_eq!(
            found(&format!("rotating key {u} now")),
            vec![pair("aws_kms_key_id", &u)]
        );
        let z = upper(13);
        assert_eq!(
            found(&format!("hosted zone Z{z} updated")),
            vec![pair("aws_route53_zone_id", &z)]
        );
        assert_eq!(
            found(&format!("hostedzone\\/Z{z}")),
            vec![pair("aws_route53_zone_id", &z)]
        );
        assert!(found("zone ZABCDEFGHIJKL").is_empty());
        assert!(found(&format!("ozone Z{z}")).is_empty());
    }

    #[test]
    fn helpers_match_their_python_patterns() {
        assert!(
            s3_label(b"s3") && s3_label(b"s3-website-us-east-1") && s3_label(b"s3-us-gov-west-1")
        );
        assert!(!s3_label(b"s3x") && !s3_label(b"s3-website-x"));
        assert!(region_like(b"us-isob-east-1") && region_like(b"eu1") && region_like(b"compute-1"));
        assert!(!region_like(b"mydb") && !region_name(b"us-isob-east-1", false));
        assert!(
            is_date12(b"202405021103")
                && !is_date12(b"202413021103")
                && !is_date12(b"202405321103")
        );
        assert_eq!(list_item(b" \\\"123\\\" x", 0, 10), Some((3, 6, 8)));
        assert_eq!(list_item(b"\"123 x", 0, 6), None);
        assert!(defers(b"vpc-0123abcd", 0, 12) && !defers(b"vpc-0123abc", 0, 11));
        assert_eq!(
            zone_span(b"\\/hostedzone\\/ZABC1234", 0, 22),
            Some((15, 22))
        );
    }
}
