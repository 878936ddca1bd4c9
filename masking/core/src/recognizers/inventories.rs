//! Ansible inventories and hosts files: the hosts the user manages, by the names and aliases
//! the inventory or the hosts file gives them.
//!
//! An INI inventory's host line starts with the host's name or alias before its `ansible_*`
//! variables; a YAML inventory's `hosts:` mapping has them as keys. Each name is judged as an
//! `ssh_config` host's ([`domains::ssh_host`]): a DNS name is the user's own host, an alias is
//! masked whole and remembered (a later `ansible <alias> -m ping` stays masked), and
//! `localhost`, addresses and public forges stay. A hosts file's lines (`10.20.4.18
//! billing-worker-02`) name machines the same way.

use memchr::memmem;

use super::aws;
use super::base::{
    after_escaped_break, at_line_start, break_before, command_tokens, escape_ends_at, file_line,
    first_file_line, line_number_before, line_start_of, opens_text, table_lines, CheckResult,
    Recognizer,
};
use super::{domains, network};

/// Bytes of an inventory's host name (a DNS name, an alias, an address).
fn inventory_host_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')
}

/// Where the `key=value` of an INI inventory line that starts at `i` ends (a value quoted raw,
/// `\"`-escaped or in `'` may hold blanks), or `None` when no such pair starts there.
fn inventory_var_end(data: &[u8], i: usize, end: usize) -> Option<usize> {
    let k = i + data[i..end]
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_')
        .count();
    if k == i || data.get(k) != Some(&b'=') || k >= end {
        return None;
    }
    let v = k + 1;
    let quote: &[u8] = match &data[v..end] {
        [b'\\', b'"', ..] => b"\\\"",
        [b'"', ..] => b"\"",
        [b'\'', ..] => b"'",
        _ => {
            let bare = data[v..end]
                .iter()
                .take_while(|&&c| !matches!(c, b' ' | b'\t'));
            return Some(v + bare.count());
        }
    };
    let vs = v + quote.len();
    memmem::find(&data[vs..end], quote).map(|q| vs + q + quote.len())
}

/// Where the INI inventory line from `i` ends: a line break, raw or escaped, or the end of the
/// string that holds it (an unescaped `"`); a quoted value (`="…"`, `=\"…\"`) is skipped whole.
fn inventory_line_end(data: &[u8], i: usize) -> usize {
    let hi = data.len().min(i + 1024);
    let mut k = i;
    while k < hi {
        match data[k] {
            b'\n' | b'\r' | b'"' => return k,
            b'\\' if matches!(data.get(k + 1), Some(b'n' | b'r' | b'"')) => return k,
            b'=' => {
                let quote: &[u8] = match &data[k + 1..hi] {
                    [b'\\', b'"', ..] => b"\\\"",
                    [b'"', ..] => b"\"",
                    _ => b"",
                };
                let vs = k + 1 + quote.len();
                k = match memmem::find(&data[vs..hi], quote) {
                    Some(q) if !quote.is_empty() => vs + q + quote.len(),
                    _ => k + 1,
                };
            }
            _ => k += 1,
        }
    }
    hi
}

/// Whether an INI inventory's host line starting at `ls` lies under a group's `[name]` header
/// (not `[name:vars]` nor `[name:children]`, which hold no hosts): read back over host lines,
/// blank lines and comments.
fn under_inventory_group(data: &[u8], mut ls: usize) -> bool {
    for _ in 0..64 {
        // before the number the `Read` tool gave the line, if it did
        let Some(mut brk) = break_before(data, line_number_before(data, ls).unwrap_or(ls)) else {
            return false;
        };
        if brk > 0 && data[brk - 1] == b'\r' {
            brk -= 1;
        }
        let Some(ps) = line_start_of(data, brk, 512) else {
            return false;
        };
        let line = data[ps..brk].trim_ascii();
        // the file's first line may open the string that holds it (`"content": "[db]`)
        let last = line.strip_suffix(b"]").map(|l| {
            let open = memchr::memrchr(b'"', l).map_or(0, |q| q + 1);
            l[open..].trim_ascii_start()
        });
        if let Some(group) = last.and_then(|l| l.strip_prefix(b"[")) {
            return !group.is_empty() && group.iter().all(|&c| inventory_host_byte(c));
        }
        if !(line.is_empty() || line[0] == b'#' || line[0] == b';') {
            let te = line
                .iter()
                .take_while(|&&c| !matches!(c, b' ' | b'\t'))
                .count();
            let host = line[..te]
                .iter()
                .all(|&c| inventory_host_byte(c) || matches!(c, b':' | b'[' | b']'));
            let rest = line[te..].trim_ascii_start();
            let var = rest.split(|&c| c == b' ').next().unwrap_or_default();
            if !host || !(rest.is_empty() || rest[0] == b'#' || var.contains(&b'=')) {
                return false;
            }
        }
        ls = ps;
    }
    false
}

/// An INI inventory's host line (`ledger-db-primary ansible_host=10.42.7.15 ansible_user=ubuntu`):
/// its first token, the host's name or the alias the user gave it, when variables follow it (one
/// of Ansible's among them: the first is the candidate) and nothing else does. A plain word
/// (`bastion`) counts only under a group's header (`export ansible_user=ubuntu` is a shell's).
/// The variables' values are other rules' (addresses, host fields, passwords): scanning resumes
/// at the variable.
fn check_ansible_ini(data: &[u8], s: usize, e: usize) -> CheckResult {
    // the host, back over the blanks before the variable and any variables of another kind
    // (`web02 http_port=80 ansible_host=…`); one of Ansible's there was the candidate before
    let (mut ts, mut te) = (s, s);
    for _ in 0..8 {
        te = ts
            - data[..ts]
                .iter()
                .rev()
                .take(64)
                .take_while(|&&c| c == b' ' || c == b'\t')
                .count();
        let lo = te.saturating_sub(253);
        ts = te;
        while ts > lo
            && !matches!(data[ts - 1], b' ' | b'\t' | b'\n' | b'\r' | b'"')
            && !escape_ends_at(data, ts - 1)
            && line_number_before(data, ts).is_none()
        {
            ts -= 1;
        }
        let tok = &data[ts..te];
        if tok.starts_with(b"ansible_") {
            return None;
        }
        if !tok.contains(&b'=') {
            break;
        }
    }
    let host = &data[ts..te];
    if host.is_empty()
        || !host.iter().all(|&c| inventory_host_byte(c) || c == b':')
        || !(at_line_start(data, ts) || matches!(data[ts - 1], b'"' | b'\r'))
    {
        return None;
    }
    let end = inventory_line_end(data, e);
    let mut i = s + 1;
    while i < end {
        if matches!(data[i], b' ' | b'\t') {
            i += 1;
        } else if data[i] == b'#' {
            break; // a comment
        } else {
            i = inventory_var_end(data, i, end)?;
        }
    }
    // `db-1.tallyco.io:2222`: a host and its port
    let host_end = match memchr::memchr(b':', &data[ts..te]) {
        Some(c) if data[ts + c + 1..te].iter().all(u8::is_ascii_digit) && c + 1 < te - ts => ts + c,
        Some(_) => return None,
        None => te,
    };
    let word = data[ts..host_end].iter().all(u8::is_ascii_alphabetic);
    if word && !under_inventory_group(data, ts) {
        return None;
    }
    let mut out = Vec::new();
    domains::ssh_host(data, ts, host_end, &mut out);
    (!out.is_empty()).then_some((out, s + 1))
}

/// How far before a YAML inventory's `hosts:` Ansible's variables of other hosts are looked for.
const INVENTORY_REACH: usize = 2048;

/// A YAML inventory's `hosts:` mapping (`ansible-inventory -y`, `inventory.yml`): its keys, the
/// hosts' names or aliases, when a host in it has Ansible's variables (`ansible_host:`) beneath
/// or beside it (`{ansible_host: …}`), or a host of the file before it does. `hosts:` with a
/// value on its line is a playbook's.
fn check_ansible_yaml(data: &[u8], s: usize, e: usize) -> CheckResult {
    let ls = line_start_of(data, s, 256)?;
    if ls == s || !data[ls..s].iter().all(|&c| c == b' ') {
        return None;
    }
    let json = after_escaped_break(data, ls);
    let (_, he, mut i) = file_line(data, e, json)?;
    if !data[e..he].iter().all(|&c| c == b' ' || c == b'\r') {
        return None;
    }
    let mut keys = Vec::new();
    let mut ansible = false;
    let mut child = None;
    for _ in 0..512 {
        let Some((a, b, next)) = file_line(data, i, json) else {
            break;
        };
        let ind = data[a..b].iter().take_while(|&&c| c == b' ').count();
        if a + ind == b || data[a + ind] == b'#' || data[a + ind] == b'\r' {
            i = next;
            continue; // a blank line or a comment
        }
        let ci = *child.get_or_insert(ind);
        if ind <= s - ls || ind < ci {
            break;
        }
        let text = &data[a + ind..b];
        if ind == ci {
            let ke = text.iter().take_while(|&&c| inventory_host_byte(c)).count();
            if ke == 0 || text.get(ke) != Some(&b':') {
                break; // not a mapping of hosts
            }
            let rest = &text[ke + 1..];
            ansible |= memmem::find(rest, b"ansible_").is_some();
            keys.push((a + ind, a + ind + ke));
        } else {
            ansible |= text.starts_with(b"ansible_");
        }
        if next == b {
            break;
        }
        i = next;
    }
    // a group's hosts without variables, in a file whose other hosts have them
    let before = &data[s.saturating_sub(INVENTORY_REACH)..s];
    if !ansible && memmem::find(before, b"ansible_").is_none() {
        return None;
    }
    let mut out = Vec::new();
    for (ks, ke) in keys {
        domains::ssh_host(data, ks, ke, &mut out);
    }
    Some((out, e))
}

/// Names every hosts file gives its loopback and multicast addresses: the system's, not the
/// user's.
const SYSTEM_HOST_NAMES: &[&[u8]] = &[
    b"localhost",
    b"localhost.localdomain",
    b"localhost4",
    b"localhost4.localdomain4",
    b"localhost6",
    b"localhost6.localdomain6",
    b"ip6-localhost",
    b"ip6-loopback",
    b"ip6-localnet",
    b"ip6-mcastprefix",
    b"ip6-allnodes",
    b"ip6-allrouters",
    b"ip6-allhosts",
    b"broadcasthost",
];

/// An address as a hosts file writes it: a dotted quad or an IPv6 address (a zone after `%`).
fn hosts_address(tok: &[u8]) -> bool {
    let quad = tok.split(|&c| c == b'.').count() == 4
        && tok
            .split(|&c| c == b'.')
            .all(|p| (1..=3).contains(&p.len()) && p.iter().all(u8::is_ascii_digit));
    let v6 = tok.contains(&b':') && {
        let addr = tok.split(|&c| c == b'%').next().unwrap_or_default();
        network::parse_ipv6(addr).is_some()
    };
    quad || v6
}

/// The line `data[ls..le]` of a hosts file: `None` when it is no such line, else the spans of
/// its names (none for a blank line or a comment; none either for a line of `0.0.0.0`, which
/// blocks a public name rather than naming a machine).
fn hosts_line(data: &[u8], ls: usize, le: usize) -> Option<Vec<(usize, usize)>> {
    let mut tokens = command_tokens(data, ls, le);
    let Some((as_, ae)) = tokens.next() else {
        return Some(Vec::new());
    };
    if data[as_] == b'#' {
        return Some(Vec::new());
    }
    if !hosts_address(&data[as_..ae]) {
        return None;
    }
    let mut names = Vec::new();
    for (ts, te) in tokens {
        if data[ts] == b'#' {
            break;
        }
        if !data[ts..te].iter().all(|&c| inventory_host_byte(c)) {
            return None;
        }
        names.push((ts, te));
    }
    if names.is_empty() {
        return None;
    }
    Some(if &data[as_..ae] == b"0.0.0.0" {
        Vec::new()
    } else {
        names
    })
}

/// Whether a hosts file line starting at `ls` gives a loopback address (`127.0.0.1`, `::1`)
/// its names: the line of `localhost` in a hosts file, not a sentence that names it.
fn loopback_line(data: &[u8], ls: usize, le: usize) -> bool {
    command_tokens(data, ls, le).next().is_some_and(|(a, b)| {
        let addr = &data[a..b];
        addr == b"::1" || (addr.starts_with(b"127.") && hosts_address(addr))
    })
}

/// How many lines of a hosts file are read before its `localhost` line.
const HOSTS_LINES_BEFORE: usize = 32;

/// A hosts file (`/etc/hosts`, a container's): the names it gives the user's machines
/// (`10.20.4.18 billing-worker-02 billing-worker-02.ledger.internal`), line by line in the
/// block of `address name…` lines (comments and blank lines between) around the `localhost`
/// entry every hosts file has, which is the candidate. Each name is judged as an
/// `ssh_config` host's ([`domains::ssh_host`]); the system's own names stay.
fn check_hosts_file(data: &[u8], s: usize, e: usize) -> CheckResult {
    if data.get(e).is_some_and(|&c| inventory_host_byte(c)) {
        return None; // `localhost.example`, `localhost-proxy`
    }
    let ls = line_start_of(data, s, 64)?;
    let (le, json) = first_file_line(data, ls)?;
    let le = le - usize::from(le > ls && data[le - 1] == b'\r');
    if !loopback_line(data, ls, le) {
        return None;
    }
    hosts_line(data, ls, le)?;
    let mut spans = Vec::new();
    // the lines before the candidate's, back to the block's start
    let mut first = ls;
    for _ in 0..HOSTS_LINES_BEFORE {
        let Some(brk) = break_before(data, line_number_before(data, first).unwrap_or(first)) else {
            break;
        };
        let Some(ps) = line_start_of(data, brk, 512) else {
            break;
        };
        match hosts_line(
            data,
            ps,
            brk - usize::from(brk > ps && data[brk - 1] == b'\r'),
        ) {
            Some(names) => spans.extend(names),
            None => break,
        }
        first = ps;
    }
    for (rs, re) in table_lines(data, ls, json) {
        match hosts_line(data, rs, re) {
            Some(names) => spans.extend(names),
            None => break,
        }
    }
    let mut out = Vec::new();
    for (ts, te) in spans {
        let name = &data[ts..te];
        if !SYSTEM_HOST_NAMES
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            domains::ssh_host(data, ts, te, &mut out);
        }
    }
    out.sort_by_key(|f| f.start);
    Some((out, e))
}

/// `ansible-inventory --graph`: under `@all:`, a tree of groups (`|--@billing:`) and hosts
/// (`|  |--billing-worker-01`); each host is judged as an `ssh_config` host's
/// ([`domains::ssh_host`]). The tree ends at the first line that is not one of its branches.
fn check_inventory_graph(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !opens_text(data, s) {
        return None;
    }
    let (_, json) = first_file_line(data, s)?;
    let mut out = Vec::new();
    for (rs, re) in table_lines(data, s, json).skip(1) {
        let line = &data[rs..re];
        let Some(branch) = memmem::find(line, b"|--") else {
            break;
        };
        if !line[..branch].iter().all(|&c| matches!(c, b' ' | b'|')) {
            break;
        }
        let name = rs + branch + 3;
        if data[name..re].starts_with(b"@") {
            continue; // a group
        }
        if !data[name..re].iter().all(|&c| inventory_host_byte(c)) {
            break;
        }
        domains::ssh_host(data, name, re, &mut out);
    }
    (!out.is_empty()).then_some((out, e))
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::new(
            "inventories.ansible_ini",
            r"[ \t]ansible_",
            check_ansible_ini,
            &[aws::HOSTNAME],
        ),
        Recognizer::new(
            "inventories.ansible_yaml",
            "hosts:",
            check_ansible_yaml,
            &[aws::HOSTNAME],
        ),
        Recognizer::new(
            "inventories.graph",
            "@all:",
            check_inventory_graph,
            &[aws::HOSTNAME],
        ),
        Recognizer::new(
            "inventories.hosts_file",
            r"(?:[ \t]|\\t)localhost",
            check_hosts_file,
            &[aws::HOSTNAME],
        ),
    ]
}
