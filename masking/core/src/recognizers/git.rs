//! Git remotes: the repository the agent works in names its owner and itself.
//!
//! `git remote -v` (`origin<tab>git@github.com:<owner>/<repo>.git (fetch)`), the `url` of a
//! `[remote "…"]` section of `.git/config` and the `To …`/`From …` line of `git push` and
//! `git fetch` name the repository the agent works in. In those places the URL's
//! owner, groups and repository are masked and remembered (so the organization stays masked in
//! a later `gh` command, a Go module path, another repository's URL), and a host that is not
//! a public forge is masked as one of the user's domains (see [`domains`](super::domains)).
//! A URL elsewhere is left alone: a public project's page, a dependency, and a `git clone` or
//! `git remote add` in a project's contributing guide.

use memchr::memmem;

use super::base::{
    at_line_start, line_start_of, table, ByteTable, CheckResult, Finding, Recognizer, Shape,
    TypeInfo,
};
use super::{aws, domains};

pub const CATEGORY: &str = "git";
pub const GIT_REPO: &str = "git_repo_name";
pub const TYPES: &[TypeInfo] = &[TypeInfo {
    name: GIT_REPO,
    shape: Shape::Classwise,
    description:
        "owner and name of the repository a Git remote points to (remote -v, .git/config, push)",
}];

/// Hosts that serve everyone's repositories: their names stay.
pub(super) const FORGES: &[&[u8]] = &[
    b"github.com",
    b"gitlab.com",
    b"bitbucket.org",
    b"codeberg.org",
    b"dev.azure.com",
    b"ssh.dev.azure.com",
    b"vs-ssh.visualstudio.com",
    b"source.developers.google.com",
];

/// Bytes of a URL's host or path segment.
const SEGMENT: ByteTable =
    table(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~");

/// Path segments that are structure, not names (Azure DevOps' `_git`, `v3`, `scm`).
const STRUCTURE: &[&[u8]] = &[b"_git", b"v3", b"scm", b"git"];

/// The findings of a remote URL at `s`: its owner and repository (and groups between them), and
/// its host when not a public forge; with the URL's end. `None` when no URL of a repository
/// starts there. The checks claim only their context word, not the URL: other rules read
/// inside it (a token in its user part, `https://oauth2:<token>@…`).
fn remote_url(data: &[u8], s: usize, lim: usize) -> Option<(Vec<Finding>, usize)> {
    let rest = &data[s..lim];
    let (host_at, scp) = if let Some(i) = [&b"https://"[..], b"http://", b"ssh://", b"git://"]
        .iter()
        .find(|p| rest.starts_with(p))
        .map(|p| p.len())
    {
        // an optional user (`git@`, `oauth2@` stays: credentials are another rule's)
        let auth = rest[i..].iter().take(64).position(|&c| c == b'@');
        let slash = rest[i..]
            .iter()
            .position(|&c| c == b'/')
            .unwrap_or(rest.len() - i);
        (
            s + i + auth.filter(|&a| a < slash).map_or(0, |a| a + 1),
            false,
        )
    } else {
        // scp-like, `[user@]host:path`; the user is a login name
        let user = rest
            .iter()
            .take(40)
            .take_while(|&&c| SEGMENT[c as usize] && c != b'.')
            .count();
        (
            s + if rest.get(user) == Some(&b'@') {
                user + 1
            } else {
                0
            },
            true,
        )
    };
    let host_end = host_at
        + data[host_at..lim]
            .iter()
            .take(253)
            .take_while(|&&c| SEGMENT[c as usize])
            .count();
    let host = &data[host_at..host_end];
    // AWS's hosts (CodeCommit) are the AWS rules'
    if host.is_empty() || !host.contains(&b'.') || aws::is_aws_host(host) {
        return None;
    }
    let mut i = host_end;
    match data.get(i) {
        Some(b':') if scp => i += 1,
        Some(b':') => {
            // a port, then the path
            i += 1 + data[i + 1..lim]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if data.get(i) != Some(&b'/') {
                return None;
            }
            i += 1;
        }
        Some(b'/') if !scp => i += 1,
        _ => return None,
    }
    let mut out = Vec::new();
    if !FORGES.contains(&host) {
        out.extend(domains::own_host(host_at, host));
    }
    let mut segments = 0;
    loop {
        let seg_end = i + data[i..lim]
            .iter()
            .take(256)
            .take_while(|&&c| SEGMENT[c as usize])
            .count();
        if seg_end == i {
            break;
        }
        let seg = &data[i..seg_end];
        let name_end = seg_end - if seg.ends_with(b".git") { 4 } else { 0 };
        if !STRUCTURE.contains(&seg) && name_end > i {
            out.push(Finding::new(i, name_end, GIT_REPO, Shape::Classwise));
        }
        segments += 1;
        if data.get(seg_end) != Some(&b'/') || segments == 8 {
            i = seg_end;
            break;
        }
        i = seg_end + 1;
    }
    (segments >= 2).then_some((out, i))
}

/// `<remote><tab><url> (fetch)` and `(push)`, a line of `git remote -v`: the candidate is the
/// ` (fetch)`, the URL is read from the tab before it.
fn check_remote_line(data: &[u8], s: usize, e: usize) -> CheckResult {
    let ls = line_start_of(data, s, 1024).unwrap_or(s.saturating_sub(1024));
    let tab =
        ls + memchr::memchr(b'\t', &data[ls..s]).or_else(|| memmem::find(&data[ls..s], b"\\t"))?;
    let url = if data[tab] == b'\t' { tab + 1 } else { tab + 2 };
    let (fs, end) = remote_url(data, url, s)?;
    (end == s).then_some((fs, e))
}

/// The `url` of a `[remote "…"]` section of `.git/config` (the section's header in the lines
/// before it, no other header between).
fn check_config_url(data: &[u8], s: usize, e: usize) -> CheckResult {
    let lo = s.saturating_sub(512);
    let header = memmem::rfind(&data[lo..s], b"[remote ")? + lo;
    if memchr::memchr(b'[', &data[header + 1..s]).is_some() {
        return None;
    }
    let (fs, _) = remote_url(data, e, data.len().min(e + 1024))?;
    Some((fs, e))
}

/// `To <url>` and `From <url>` at the start of a line: what `git push` and `git fetch` print
/// of the remote they talked to.
fn check_transfer(data: &[u8], s: usize, e: usize) -> CheckResult {
    if !at_line_start(data, s) {
        return None;
    }
    let (fs, _) = remote_url(data, e, data.len().min(e + 1024))?;
    Some((fs, e))
}

pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::new(
            "git.remote_line",
            r" \((?:fetch|push)\)",
            check_remote_line,
            &[GIT_REPO, aws::HOSTNAME],
        ),
        Recognizer::new(
            "git.config_url",
            r"url[ \t]*=[ \t]*",
            check_config_url,
            &[GIT_REPO, aws::HOSTNAME],
        ),
        Recognizer::new(
            "git.transfer",
            r"(?:To|From) ",
            check_transfer,
            &[GIT_REPO, aws::HOSTNAME],
        ),
    ]
}
