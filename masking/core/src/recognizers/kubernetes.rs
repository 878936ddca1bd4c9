//! Kubernetes: the names a cluster's operators chose for their workloads and namespaces.
//!
//! A pod that a Deployment made is named `<deployment>-<template hash>-<suffix>`, both random
//! parts drawn from Kubernetes' alphabet without vowels (`bcdfghjklmnpqrstvwxz2456789`), 6 to 10
//! and 5 characters: the shape says what the name is wherever it stands (`kubectl get pods`,
//! events, logs, prose). A workload is also named by its kind: `deployment.apps/<name>` as
//! kubectl prints it, and on a `kubectl` command line `deploy/<name>`, `deployment <name>` and a
//! namespace after `-n`; a Helm release by the `helm` verb acting on it; and every workload and
//! namespace by the `NAME` and `NAMESPACE` columns of what `kubectl get` and `helm list` print
//! and by a manifest's `metadata`. Containers run by docker are workloads too: the names
//! `docker ps` and `docker compose ps` list, and Compose's services, are the same type.
//! The workload's or namespace's name is masked and remembered, so it stays masked where it
//! recurs bare; the random parts of a pod's name stay (they name nothing). The cluster's own
//! components (`coredns`, `aws-load-balancer-controller`, `kube-system`) and names that are
//! common software or plain words (`nginx`, `worker`) stay too: the model knows and reasons
//! with them.

use std::collections::HashSet;
use std::sync::LazyLock;

use memchr::memmem;

use super::base::{
    after_escaped_break, break_before, column_at, command_end, command_tokens, escape_ends_at,
    file_line, grep_prefix_ends_at, header_column, left_ok, line_start_of, opens_text, table,
    table_header, table_lines, text_line, ByteTable, CheckResult, Finding, Recognizer, Shape,
    TypeInfo, MAX_TABLE_ROWS,
};
use super::tool_calls::tool_result_text;

pub const CATEGORY: &str = "kubernetes";
pub const K8S_NAME: &str = "k8s_name";
pub const TYPES: &[TypeInfo] = &[TypeInfo {
    name: K8S_NAME,
    shape: Shape::Classwise,
    description: "a Kubernetes workload's or namespace's name (pod names, kind/name, kubectl), \
                  a docker container's or Compose service's name (docker ps)",
}];

/// The alphabet of the random parts Kubernetes appends to generated names.
const SAFE: ByteTable = table(b"bcdfghjklmnpqrstvwxz2456789");

/// Bytes of a name (a DNS label, lower case; dots for the kinds that allow them).
const NAME: ByteTable = table(b"abcdefghijklmnopqrstuvwxyz0123456789-.");

/// Bytes that glue a token to the one around it.
const GLUE: ByteTable = table(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.");

/// Names that are the cluster's own components, common software or plain words.
static PUBLIC: LazyLock<HashSet<&'static [u8]>> = LazyLock::new(|| {
    "coredns kube-dns kube-proxy kube-system kube-public kube-node-lease kube-root-ca.crt default \
     metrics-server cluster-autoscaler aws-load-balancer-controller aws-node \
     aws-node-termination-handler ebs-csi-controller ebs-csi-node efs-csi-controller \
     efs-csi-node eks-pod-identity-agent karpenter cert-manager cert-manager-cainjector \
     cert-manager-webhook ingress-nginx ingress-nginx-controller nginx-ingress-controller \
     external-dns external-secrets external-secrets-webhook external-secrets-cert-controller \
     kube-state-metrics prometheus prometheus-operator prometheus-server alertmanager grafana \
     loki tempo jaeger argocd argocd-server argocd-repo-server argocd-dex-server argocd-redis \
     argocd-applicationset-controller argocd-notifications-controller calico-kube-controllers \
     calico-typha calico-node tigera-operator local-path-provisioner traefik istiod \
     istio-system istio-ingressgateway istio-egressgateway linkerd linkerd-destination \
     linkerd-identity linkerd-proxy-injector vpa-admission-controller vpa-recommender \
     vpa-updater snapshot-controller adot-collector fluent-bit fluentd cloudwatch-agent \
     gatekeeper-controller-manager gatekeeper-audit sealed-secrets-controller velero \
     keda-operator keda-operator-metrics-apiserver source-controller kustomize-controller \
     helm-controller notification-controller monitoring logging ingress \
     nginx redis postgres postgresql mysql mariadb mongo mongodb rabbitmq kafka zookeeper \
     memcached elasticsearch kibana logstash jenkins vault consul minio etcd haproxy envoy \
     httpbin busybox alpine ubuntu debian curl echoserver hello-world whoami \
     web api app apps frontend backend worker workers server service services db database \
     cache queue scheduler controller operator proxy gateway \
     production prod staging stage development dev test testing qa uat sandbox preview demo"
        .split_whitespace()
        .map(str::as_bytes)
        .collect()
});

/// A name worth masking: a DNS label with a letter, not a public one.
fn private_name(name: &[u8]) -> bool {
    name.len() >= 2
        && name.len() <= 253
        && name[0].is_ascii_alphanumeric()
        && name[name.len() - 1].is_ascii_alphanumeric()
        && name.iter().all(|&c| NAME[c as usize])
        && name.iter().any(u8::is_ascii_lowercase)
        && !PUBLIC.contains(name)
}

/// Random characters of the alphabet from `i`, at most `max + 1` counted.
fn safe_run(data: &[u8], i: usize, max: usize) -> usize {
    data[i.min(data.len())..]
        .iter()
        .take(max + 1)
        .take_while(|&&c| SAFE[c as usize])
        .count()
}

/// `data[s]` starts a token: not glued to a name byte, or after an escape (`\n`).
fn opens(data: &[u8], s: usize) -> bool {
    left_ok(data, s, &GLUE)
}

/// At the `-` at `p`: a pod's template hash and suffix (`-7d9f8b6c5d-x2x9k`) and the end of the
/// name after them.
fn pod_tail(data: &[u8], p: usize) -> Option<usize> {
    let h = safe_run(data, p + 1, 10);
    if !(6..=10).contains(&h) || data.get(p + 1 + h) != Some(&b'-') {
        return None;
    }
    let at = p + 2 + h;
    let end = at + 5;
    (safe_run(data, at, 5) == 5 && (end == data.len() || !GLUE[data[end] as usize])).then_some(end)
}

/// Candidates of [`check_pod`]: the `-` before a template hash, read back to the name's start.
fn trigger_pod(data: &[u8], out: &mut Vec<(usize, usize)>) {
    for p in memchr::memchr_iter(b'-', data) {
        if p == 0 || !data[p - 1].is_ascii_alphanumeric() {
            continue;
        }
        let Some(end) = pod_tail(data, p) else {
            continue;
        };
        let lo = p.saturating_sub(63);
        let mut s = p - data[lo..p]
            .iter()
            .rev()
            .take_while(|&&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            .count();
        if s < p && escape_ends_at(data, s) {
            s += 1; // `\nname-…`: the `n` is the escape's
        }
        // a line a grep shows with its context, `k8s/pods.txt-3-name-…`: the name starts it
        if let Some(q) = (s + 1..p)
            .rev()
            .find(|&q| data[q - 1] == b'-' && grep_prefix_ends_at(data, q))
        {
            s = q;
        }
        if s < p && opens(data, s) {
            out.push((s, end));
        }
    }
}

/// The length of the workload's name in a pod's name `tok` (`settlement-worker` of
/// `settlement-worker-7d9f8b6c5d-x2x9k`), if `tok` is one.
fn pod_base(tok: &[u8]) -> Option<usize> {
    let p = tok.len().checked_sub(7)?;
    let dash = tok[..p].iter().rposition(|&c| c == b'-')?;
    (pod_tail(tok, dash) == Some(tok.len())).then_some(dash)
}

/// A pod's name: its workload's name, unless public.
fn check_pod(data: &[u8], s: usize, e: usize) -> CheckResult {
    let base = pod_base(&data[s..e])?;
    if !private_name(&data[s..s + base]) {
        return Some((Vec::new(), e));
    }
    Some((
        vec![Finding::new(s, s + base, K8S_NAME, Shape::Classwise)],
        e,
    ))
}

/// The finding for the name `data[s..e]` of a workload or namespace: the workload's name of a
/// pod's name, the name itself otherwise; none for a public name.
fn name_finding(data: &[u8], s: usize, e: usize) -> Option<Finding> {
    let tok = &data[s..e];
    let end = s + pod_base(tok).unwrap_or(tok.len());
    private_name(&data[s..end]).then(|| Finding::new(s, end, K8S_NAME, Shape::Classwise))
}

/// The name token from `i`: up to a byte no name holds (a trailing `.` ends a sentence).
fn name_at(data: &[u8], i: usize) -> usize {
    let n = data[i.min(data.len())..]
        .iter()
        .take(253)
        .take_while(|&&c| NAME[c as usize])
        .count();
    let mut e = i + n;
    while e > i && data[e - 1] == b'.' {
        e -= 1;
    }
    e
}

/// The kinds whose objects are named on a command line, singular, plural and short.
const KINDS: &str =
    "deployments?|statefulsets?|daemonsets?|replicasets?|cronjobs?|jobs?|services?|\
                     pods?|configmaps?|secrets?|ingress(?:es)?|namespaces?|serviceaccounts?|\
                     persistentvolumeclaims?|horizontalpodautoscalers?|deploy|sts|ds|rs|cj|svc|po|\
                     cm|ing|ns|sa|pvc|hpa";

static KIND: LazyLock<regex::bytes::Regex> =
    LazyLock::new(|| regex::bytes::Regex::new(&format!("^(?:{KINDS})$")).expect("kinds"));

/// The kinds a `kind/name` reference is looked for by: the two-letter short names (`po/`,
/// `rs/`, `cm/`) are left out, as they end too many words of paths (`repo/`, `items/`).
const REF_KINDS: &str = "deployments?|statefulsets?|daemonsets?|replicasets?|cronjobs?|jobs?|\
                         services?|pods?|configmaps?|secrets?|ingress(?:es)?|namespaces?|\
                         serviceaccounts?|persistentvolumeclaims?|horizontalpodautoscalers?|\
                         deploy|sts|svc|ing|pvc|hpa";

/// `<kind>.<group>/<name>` as kubectl prints it (`deployment.apps/orders-api restarted`), and
/// `<kind>/<name>` on a `kubectl` line (`kubectl logs deploy/orders-api`): the name.
fn check_kind_ref(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !opens(data, s) {
        return None;
    }
    let grouped = data[s..e].contains(&b'.');
    let ls = line_start_of(data, s, 512).unwrap_or(s.saturating_sub(512));
    if !grouped && memmem::find(&data[ls..s], b"kubectl ").is_none() {
        return None;
    }
    let ne = name_at(data, e);
    // a path goes on (`deploy/k8s/app.yaml`), a word in capitals or with `_` is no name
    if ne == e
        || data
            .get(ne)
            .is_some_and(|&c| matches!(c, b'/' | b'_') || c.is_ascii_uppercase())
    {
        return None;
    }
    Some((name_finding(data, e, ne).into_iter().collect(), ne))
}

/// A `kubectl` or `helm` command line: the namespace after `-n`/`--namespace`, the names after
/// a kind word (`kubectl rollout restart deployment orders-api`, `kubectl delete pod a b`), the
/// release a `helm` verb acts on (`helm upgrade recon-jobs ./chart`). Names written
/// `kind/name` and pods' names have rules of their own. The table a `kubectl get` or a
/// `helm list` prints (in the lines after the command, or in the tool result of the call that
/// ran it) is read too: its `NAME` and `NAMESPACE` columns.
fn check_command(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !opens(data, s) {
        return None;
    }
    let helm = data[s] == b'h';
    let end = command_end(data, e);
    let mut out = Vec::new();
    let mut after_kind = false;
    let mut after_ns = false;
    let mut verb: Option<&[u8]> = None;
    let mut formatted = false;
    for (ts, i) in command_tokens(data, e, end) {
        let tok = &data[ts..i];
        let mut value = None;
        if after_ns {
            value = Some(ts);
            after_ns = false;
        } else if tok == b"-n" || tok == b"--namespace" {
            after_ns = true;
            continue;
        } else if let Some(v) = tok.strip_prefix(b"--namespace=") {
            value = (!v.is_empty()).then_some(i - v.len());
        } else if tok.starts_with(b"-") {
            // `-o json`, `--output=yaml`: no table (`-o wide` is one)
            let next = data[i..end].trim_ascii_start();
            formatted |= (tok == b"-o" || tok == b"--output") && !next.starts_with(b"wide")
                || (tok.starts_with(b"-o") && tok.len() > 2 && !tok.ends_with(b"wide"))
                || (tok.starts_with(b"--output=") && !tok.ends_with(b"=wide"));
            after_kind = false;
            continue;
        } else if verb.is_none() {
            verb = Some(tok);
            after_kind = helm && HELM_RELEASE_VERBS.contains(&tok);
            continue;
        } else if after_kind {
            value = Some(ts);
            after_kind = !helm;
        } else if !helm && KIND.is_match(tok) {
            after_kind = true;
            continue;
        }
        if let Some(vs) = value {
            let ve = name_at(data, vs);
            if ve == i && pod_base(&data[vs..ve]).is_none() {
                out.extend(name_finding(data, vs, ve));
            }
        }
    }
    let lists = if helm {
        matches!(verb, Some(b"list" | b"ls"))
    } else {
        verb == Some(b"get")
    };
    if lists && !formatted {
        if let Some(rows) = output_start(data, s, end) {
            table_findings(data, rows, &mut out);
        }
    }
    Some((out, e))
}

/// The `helm` verbs whose first argument is a release's name.
const HELM_RELEASE_VERBS: &[&[u8]] = &[
    b"install",
    b"upgrade",
    b"uninstall",
    b"delete",
    b"status",
    b"history",
    b"rollback",
];

/// Where the output of the command `s..end` starts: the next line when the command ends its
/// line (a terminal's transcript), or the text of the tool result of the call whose `command`
/// it is.
fn output_start(data: &[u8], s: usize, end: usize) -> Option<usize> {
    match data.get(end) {
        Some(b'\n') => Some(end + 1),
        Some(b'\r') if data.get(end + 1) == Some(&b'\n') => Some(end + 2),
        Some(b'\\') if data.get(end + 1) == Some(&b'n') => Some(end + 2),
        Some(b'"') => tool_result_text(data, s, end),
        _ => None,
    }
}

/// The `NAME` and `NAMESPACE` cells of the tables from `i` whose header starts with one of them
/// (`kubectl get`, `helm list`; `kubectl get deploy,svc` prints a table a kind, a blank line
/// between): each cell starts where its header does. A name written `kind/name` (`kubectl get
/// all`) is its name.
fn table_findings(data: &[u8], mut i: usize, out: &mut Vec<Finding>) {
    let mut rows = 0;
    while let Some((hs, he, after)) = text_line(data, i) {
        let header = &data[hs..he];
        if !(header.starts_with(b"NAME ") || header.starts_with(b"NAMESPACE ")) {
            return;
        }
        let columns: Vec<usize> = [
            header_column(header, b"NAME"),
            header_column(header, b"NAMESPACE"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if after == he {
            return;
        }
        i = after;
        loop {
            let Some((rs, re, after)) = text_line(data, i) else {
                return;
            };
            rows += 1;
            if rows > MAX_TABLE_ROWS {
                return;
            }
            if rs == re {
                // a blank line: another table may follow
                if after == re {
                    return;
                }
                i = after;
                break;
            }
            if !data[rs].is_ascii_lowercase() && !data[rs].is_ascii_digit() {
                return; // a prompt, another command's output
            }
            for &c in &columns {
                if c == 0 || data.get(rs + c - 1) == Some(&b' ') {
                    cell_finding(data, rs + c, re, out);
                }
            }
            if after == re {
                return;
            }
            i = after;
        }
    }
}

/// The name in the cell starting at `cs` of a row ending at `re`.
fn cell_finding(data: &[u8], cs: usize, re: usize, out: &mut Vec<Finding>) {
    if cs >= re {
        return;
    }
    let mut ce = cs
        + data[cs..re]
            .iter()
            .take_while(|&&b| b != b' ' && b != b'\r')
            .count();
    let slash = data[cs..ce]
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(cs, |k| cs + k + 1);
    while ce > slash && data[ce - 1] == b'.' {
        ce -= 1;
    }
    if ce > slash && data[slash..ce].iter().all(|&b| NAME[b as usize]) {
        out.extend(name_finding(data, slash, ce));
    }
}

/// A Kubernetes manifest's `metadata:` (`kubectl get … -o yaml`, a chart's rendered templates,
/// a kustomization): its `name` and `namespace`, the children of `metadata` in a document that
/// says what it is (`apiVersion:` or `kind:` before it).
fn check_manifest(data: &[u8], s: usize, e: usize) -> CheckResult {
    let ls = line_start_of(data, s, 256)?;
    if !data[ls..s].iter().all(|&c| c == b' ') {
        return None;
    }
    let lo = ls.saturating_sub(1024);
    if memmem::find(&data[lo..ls], b"apiVersion:").is_none()
        && memmem::find(&data[lo..ls], b"kind:").is_none()
    {
        return None;
    }
    let json = after_escaped_break(data, ls);
    let (_, me, mut i) = file_line(data, e, json)?;
    if !data[e..me].iter().all(|&c| c == b' ' || c == b'\r') {
        return None; // `metadata: {…}` in flow style
    }
    let mut out = Vec::new();
    let mut child = None;
    for _ in 0..64 {
        let Some((a, b, next)) = file_line(data, i, json) else {
            break;
        };
        let ind = data[a..b].iter().take_while(|&&c| c == b' ').count();
        if a + ind == b || data[a + ind] == b'#' {
            i = next;
            continue; // a blank line or a comment
        }
        if ind <= s - ls {
            break;
        }
        if *child.get_or_insert(ind) == ind {
            let key = &data[a + ind..b];
            const KEYS: [&[u8]; 2] = [b"name:", b"namespace:"];
            if let Some(k) = KEYS.iter().find(|k| key.starts_with(k)) {
                let mut v = a + ind + k.len();
                v += data[v..b]
                    .iter()
                    .take_while(|&&c| matches!(c, b' ' | b'"' | b'\'' | b'\\'))
                    .count();
                let ve = name_at(data, v);
                if ve > v && ve <= b {
                    out.extend(name_finding(data, v, ve));
                }
            }
        }
        if next == b {
            break;
        }
        i = next;
    }
    Some((out, e))
}

/// `kubectl describe`'s header: a `Namespace:` line right after a `Name:` line, both values
/// starting in one column (the layout `describe` prints), each the whole rest of its line.
fn check_describe(data: &[u8], s: usize, e: usize) -> CheckResult {
    let prev_end = break_before(data, s)?;
    // the `Name:` line, back from its end: the name, blanks, `Name:` at a line's or a string's
    // start
    let lo = prev_end.saturating_sub(512);
    let name = prev_end
        - data[lo..prev_end]
            .iter()
            .rev()
            .take_while(|&&c| NAME[c as usize])
            .count();
    let pad = data[lo..name]
        .iter()
        .rev()
        .take_while(|&&c| c == b' ')
        .count();
    let ps = (name - pad).checked_sub(5)?;
    if pad == 0 || &data[ps..ps + 5] != b"Name:" || name - ps != e - s {
        return None;
    }
    if ps > 0 && data[ps - 1] != b'"' && break_before(data, ps).is_none() && data[ps - 1] != b'\r' {
        return None;
    }
    let line_ends = |i: usize| {
        i == data.len() || matches!(data[i], b'\n' | b'\r') || data[i..].starts_with(b"\\n")
    };
    let (name_end, ns_end) = (name_at(data, name), name_at(data, e));
    if name_end == name || name_end != prev_end || ns_end == e || !line_ends(ns_end) {
        return None;
    }
    let out = [
        name_finding(data, name, name_end),
        name_finding(data, e, ns_end),
    ];
    Some((out.into_iter().flatten().collect(), ns_end))
}

/// `kubectl describe`'s account of where a container's variable comes from: `<set to the key
/// 'stripe' in secret 'payments-secrets'>`, `… of config map 'ledger-config'>`. The candidate
/// ends at the quote that opens the name.
fn check_env_source(data: &[u8], _s: usize, e: usize) -> CheckResult {
    let ne = name_at(data, e);
    if ne == e || data.get(ne) != Some(&b'\'') || data.get(ne + 1) != Some(&b'>') {
        return None;
    }
    Some((name_finding(data, e, ne).into_iter().collect(), ne))
}

/// Whether `name` is one docker made up for a container run without `--name`:
/// `<adjective>_<surname>`, a digit after it when the first pick was taken.
fn docker_generated(name: &[u8]) -> bool {
    let name = match name {
        [rest @ .., d] if d.is_ascii_digit() => rest,
        _ => name,
    };
    let Some(u) = memchr::memchr(b'_', name) else {
        return false;
    };
    let word = |w: &[u8]| !w.is_empty() && w.iter().all(u8::is_ascii_lowercase);
    word(&name[..u]) && word(&name[u + 1..])
}

/// The finding for a container's or a Compose service's name `data[s..e]`: the name without
/// the replica number Compose appends (`ledger-api-1`: `ledger-api`), unless that is one plain
/// word (`postgres`, `redis-1`, `api`), a public name or one docker generated.
fn container_finding(data: &[u8], s: usize, e: usize) -> Option<Finding> {
    let name = &data[s..e];
    let valid = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    if name.len() < 2 || !name[0].is_ascii_alphanumeric() || !name.iter().all(valid) {
        return None;
    }
    let digits = name.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let base = match name.len() - digits {
        n if digits > 0 && n > 1 && matches!(name[n - 1], b'-' | b'_') => &name[..n - 1],
        _ => name,
    };
    if base.iter().all(u8::is_ascii_alphabetic)
        || docker_generated(name)
        || PUBLIC.contains(base.to_ascii_lowercase().as_slice())
    {
        return None;
    }
    Some(Finding::new(s, s + base.len(), K8S_NAME, Shape::Classwise))
}

/// The table `docker ps` (`docker container ls`) or `docker compose ps` prints, from its
/// header: the names the user gave its containers (`NAMES`, Compose's `NAME`) and Compose's
/// services (`SERVICE`), each cell starting where its header does. `docker ps` rows start with
/// a container's id; a table ends at a blank line or a line that is no row.
fn check_docker_table(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !opens_text(data, s) {
        return None;
    }
    let (he, rows, json) = table_header(data, s)?;
    let header = &data[s..he];
    let ps = data[s] == b'C';
    let columns: Vec<usize> = if ps {
        header_column(header, b"NAMES").into_iter().collect()
    } else {
        [
            header_column(header, b"NAME"),
            header_column(header, b"SERVICE"),
        ]
        .into_iter()
        .flatten()
        .collect()
    };
    let mut out = Vec::new();
    for (rs, re) in table_lines(data, rows, json) {
        let id = data[rs..re]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        let row = if ps {
            id >= 12 && data.get(rs + id) == Some(&b' ')
        } else {
            re > rs && data[rs].is_ascii_alphanumeric()
        };
        if !row {
            break;
        }
        for &c in &columns {
            let Some(cs) = column_at(data, rs, re, c, json) else {
                continue;
            };
            // a cell after the blanks that pad the one before: the row is laid out as its header
            if c > 0 && !(cs >= rs + 2 && data[cs - 2..cs] == *b"  " && data[cs] != b' ') {
                continue;
            }
            let ce = cs + data[cs..re].iter().take_while(|&&b| b != b' ').count();
            // `docker ps` names a container linked to another by both names, `,` between
            let mut ns = cs;
            for name in data[cs..ce].split(|&b| b == b',') {
                out.extend(container_finding(data, ns, ns + name.len()));
                ns += name.len() + 1;
            }
        }
    }
    Some((out, e))
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::new(
            "kubernetes.pod",
            "[a-z0-9][a-z0-9-]*-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}",
            check_pod,
            &[K8S_NAME],
        )
        .triggered(trigger_pod),
        Recognizer::new(
            "kubernetes.kind_ref",
            format!(
                r"(?:{REF_KINDS})(?:\.(?:apps|batch|autoscaling|policy|networking\.k8s\.io))?/"
            ),
            check_kind_ref,
            &[K8S_NAME],
        ),
        Recognizer::new("kubernetes.manifest", r"metadata:", check_manifest, &[K8S_NAME]),
        Recognizer::new("kubernetes.describe", r"Namespace: +", check_describe, &[K8S_NAME]),
        Recognizer::new(
            "kubernetes.env_source",
            r"(?:in secret|of config map) '",
            check_env_source,
            &[K8S_NAME],
        ),
        Recognizer::new(
            "kubernetes.docker_table",
            "(?:CONTAINER ID +IMAGE|NAME +(?:IMAGE +)?COMMAND +SERVICE) ",
            check_docker_table,
            &[K8S_NAME],
        ),
        Recognizer::new("kubernetes.command", r"(?:kubectl|helm)[ \t]", check_command, &[K8S_NAME]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_names() {
        assert_eq!(pod_base(b"settlement-worker-7d9f8b6c5d-x2x9k"), Some(17));
        assert_eq!(pod_base(b"ledger-5c8b9d7f6b-qwz4p"), Some(6));
        // a ReplicaSet's name, a word with vowels, a suffix of 4
        assert_eq!(pod_base(b"ledger-5c8b9d7f6b"), None);
        assert_eq!(pod_base(b"ledger-reader-abcde"), None);
        assert_eq!(pod_base(b"ledger-5c8b9d7f6b-qwz4"), None);
    }
}
