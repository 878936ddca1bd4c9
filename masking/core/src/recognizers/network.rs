//! IP addresses and CIDR blocks.
//!
//! IPv4: any dotted quad with octets up to 255, not glued to letters, digits or dots (so version
//! strings such as `12.1.0.2.v21` and OIDs are out), not after "version"; loopback, 0.0.0.0,
//! netmasks, multicast, the instance-metadata addresses and the big public resolvers are kept.
//! Private (RFC 1918, CGNAT 100.64/10, link-local) and public addresses get the IPV4 shape, which
//! keeps private private and public public. IPv6 only in address context (a key or flag naming an
//! IPv6 address, or a full eight-group address) because hex-and-colon runs are common elsewhere.
//!
//! The dotted-quad check runs on every candidate (they are frequent: versions, OIDs, addresses),
//! so it reads bytes in place and allocates only for the finding it returns.

use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

use super::base::{left_ok, CheckResult, Finding, Recognizer, Shape, TypeInfo, ALNUM};

pub const CATEGORY: &str = "network";

pub const TYPES: &[TypeInfo] = &[
    TypeInfo {
        name: "ipv4_public",
        shape: Shape::Ipv4,
        description: "public IPv4 address",
    },
    TypeInfo {
        name: "ipv4_private",
        shape: Shape::Ipv4,
        description: "private IPv4 address (RFC 1918, CGNAT, link-local)",
    },
    TypeInfo {
        name: "cidr_block",
        shape: Shape::Ipv4,
        description: "IPv4 CIDR block (address part; /len kept)",
    },
    TypeInfo {
        name: "ipv6_address",
        shape: Shape::Ipv6,
        description: "IPv6 address in address context",
    },
    TypeInfo {
        name: "ipv6_cidr_block",
        shape: Shape::Ipv6,
        description: "IPv6 CIDR block (address part; /len kept)",
    },
];

/// The network recognizers in priority order.
pub fn recognizers() -> Vec<Recognizer> {
    vec![
        Recognizer::new(
            "network.ipv4",
            r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
            check_ipv4,
            &["ipv4_public", "ipv4_private", "cidr_block"],
        ),
        Recognizer::new(
            "network.ipv6",
            r#"(?i:ipv6|inet6)[A-Za-z_-]*(?:\\{0,7}["'])?[ \t]*[:= ][ \t\[{"'\\]*[0-9A-Fa-f]{0,4}:"#,
            check_ipv6,
            &["ipv6_address", "ipv6_cidr_block"],
        ),
    ]
}

// ---------------------------------------------------------------- IPv4

/// Addresses that are never masked: unspecified, broadcast, instance metadata, public resolvers.
const NEUTRAL_V4: [[u8; 4]; 13] = [
    [8, 8, 8, 8],
    [8, 8, 4, 4],
    [1, 1, 1, 1],
    [1, 0, 0, 1],
    [9, 9, 9, 9],
    [149, 112, 112, 112],
    [208, 67, 222, 222],
    [208, 67, 220, 220],
    [169, 254, 169, 254],
    [169, 254, 169, 253],
    [169, 254, 170, 2],
    [0, 0, 0, 0],
    [255, 255, 255, 255],
];

/// Words that say a nearby dotted quad is an address (matched anywhere, in any case). No two
/// start with the same letter, so a position needs at most one comparison.
const IP_CONTEXT: [&[u8]; 11] = [
    b"ip",
    b"addr",
    b"cidr",
    b"host",
    b"gateway",
    b"peer",
    b"endpoint",
    b"server",
    b"dns",
    b"nat",
    b"route",
];

/// Words that say the number after them is a version (`version 12.1.0.2`, `ver: 1.2.3.4`).
const VERSION_WORDS: [&[u8]; 3] = [b"version", b"ver", b"release"];

/// What an IPv4 address is for masking: its surrogate stays in the same kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv4Kind {
    Private,
    Public,
}

/// The kind of an address, or `None` for the ones never masked (0/8, loopback, multicast and
/// above, 255/8).
pub fn ipv4_kind(o: [u8; 4]) -> Option<Ipv4Kind> {
    let (a, b) = (o[0], o[1]);
    if a == 0 || a == 127 || a >= 224 {
        return None;
    }
    let private = a == 10
        || (a == 172 && (16..=31).contains(&b))
        || (a == 192 && b == 168)
        || (a == 100 && (64..=127).contains(&b))
        || (a == 169 && b == 254);
    Some(if private {
        Ipv4Kind::Private
    } else {
        Ipv4Kind::Public
    })
}

/// The octets of a dotted quad as the candidate pattern matched it (four runs of 1-3 digits),
/// or `None` when one is over 255 or written with a leading zero (not an address as written).
fn parse_octets(raw: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    for (k, part) in raw.split(|&c| c == b'.').enumerate() {
        if k >= 4 || part.is_empty() || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let mut v: u32 = 0;
        for &d in part {
            v = v * 10 + u32::from(d - b'0');
        }
        out[k] = u8::try_from(v).ok()?;
    }
    Some(out)
}

/// For each byte: 1 + the index of the address word starting with it (either case), or 0.
const IP_CONTEXT_FIRST: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut k = 0;
    while k < IP_CONTEXT.len() {
        let c = IP_CONTEXT[k][0];
        t[c as usize] = k as u8 + 1;
        t[c.to_ascii_uppercase() as usize] = k as u8 + 1;
        k += 1;
    }
    t
};

/// Case-insensitive search for an address word in `data[lo..hi]`.
fn ip_context(data: &[u8], lo: usize, hi: usize) -> bool {
    let window = &data[lo..hi];
    (0..window.len()).any(|i| match IP_CONTEXT_FIRST[window[i] as usize] {
        0 => false,
        k => {
            let w = IP_CONTEXT[k as usize - 1];
            window.len() - i >= w.len() && window[i..i + w.len()].eq_ignore_ascii_case(w)
        }
    })
}

/// True when `data[..s]` ends with a version marker that starts at most 12 bytes before `s`:
/// a version word not glued to a letter on its left, then up to four of `` \t:="'\``; or a lone
/// `v`/`V` (`v10.4.12.1`). As in a regex `$`, the end may also sit before one final newline.
fn version_before(data: &[u8], s: usize) -> bool {
    let lo = s.saturating_sub(12);
    let no_letter_before = |i: usize| i == 0 || !data[i - 1].is_ascii_alphabetic();
    let mut ends = [Some(s), None];
    if s > lo && data[s - 1] == b'\n' {
        ends[1] = Some(s - 1);
    }
    for end in ends.into_iter().flatten() {
        if end > lo && matches!(data[end - 1], b'v' | b'V') && no_letter_before(end - 1) {
            return true;
        }
        let mut k = end; // the keyword ends here, after k..end separators
        loop {
            for w in VERSION_WORDS {
                if k >= lo + w.len()
                    && data[k - w.len()..k].eq_ignore_ascii_case(w)
                    && no_letter_before(k - w.len())
                {
                    return true;
                }
            }
            if end - k == 4
                || k == lo
                || !matches!(
                    data[k - 1],
                    b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'\\'
                )
            {
                break;
            }
            k -= 1;
        }
    }
    false
}

/// Comparison operators of package requirements (pip `==` `===` `~=` `!=` `>=` `<=`, Ruby
/// `~>`): what follows one is a version (`types-requests==2.31.0.6`), unless an address word
/// names it.
const VERSION_OPERATORS: [&[u8; 2]; 6] = [b"==", b"~=", b"!=", b">=", b"<=", b"~>"];

/// Words that make a name before a comparison an address (`ip.addr == 10.1.2.3`, `$host==...`).
const ADDRESS_NAMES: [&[u8]; 14] = [
    b"ip",
    b"ipv4",
    b"addr",
    b"address",
    b"host",
    b"hostname",
    b"src",
    b"dst",
    b"server",
    b"gateway",
    b"peer",
    b"endpoint",
    b"net",
    b"subnet",
];

/// True when the quad at `s` is a package's version: after a requirement operator
/// (`types-requests==2.31.0.6`, `requests[socks] >= 2.31.0.6`, `'~> 2.31.0.6'`) whose name is
/// no address word (with no name before it, only `~>` says "version"), or after `@` glued to a
/// package path (`@scope/pkg@2.31.0.6`, `github.com/org/mod@2.31.0.6`). A plain `name@1.2.3.4`
/// stays an address: it is how ssh and scp name a host (`ec2-user@54.1.2.3`). `name-1.2.3.4` is
/// rejected earlier, as any glued `-`. The caller skips this for a quad with a `/len`: a version
/// never has one, a network does.
fn package_version_before(data: &[u8], s: usize) -> bool {
    if s == 0 {
        return false;
    }
    if data[s - 1] == b'@' {
        let start = name_start(data, s - 1, |c| c == b'/' || c == b'@');
        // a '/' inside the name, not the '//' of a URL ('https://user@10.1.2.3')
        return data[start..s - 1]
            .windows(3)
            .any(|w| w[1] == b'/' && ALNUM[w[0] as usize] && ALNUM[w[2] as usize]);
    }
    let op_end = skip_blanks_left(data, s);
    if op_end < 2 {
        return false;
    }
    let op = &data[op_end - 2..op_end];
    if !VERSION_OPERATORS.iter().any(|known| op == *known) {
        return false;
    }
    let mut op_start = op_end - 2;
    if op == b"==" && op_start > 0 && data[op_start - 1] == b'=' {
        op_start -= 1; // '==='
    }
    let mut name_end = skip_blanks_left(data, op_start);
    if name_end > 0 && matches!(data[name_end - 1], b'"' | b'\'') {
        name_end -= 1; // '"$IP" == 10.1.2.3'
    }
    if name_end > 0 && data[name_end - 1] == b']' {
        // extras: 'requests[socks]'
        let lo = name_end.saturating_sub(64);
        match data[lo..name_end - 1].iter().rposition(|&c| c == b'[') {
            Some(i) => name_end = lo + i,
            None => return false,
        }
    }
    let start = name_start(data, name_end, |c| c == b'$');
    if start == name_end {
        return op == b"~>"; // only Ruby's operator says "version" with no name before it
    }
    !data[start..name_end]
        .split(|&c| matches!(c, b'.' | b'_' | b'-' | b'$'))
        .any(names_an_address)
}

/// The start of the package-like name (letters, digits, `.`, `_`, `-` and what `more` allows)
/// that ends at `end`, at most 64 bytes long.
fn name_start(data: &[u8], end: usize, more: fn(u8) -> bool) -> usize {
    let lo = end.saturating_sub(64);
    let mut i = end;
    while i > lo
        && (ALNUM[data[i - 1] as usize]
            || matches!(data[i - 1], b'.' | b'_' | b'-')
            || more(data[i - 1]))
    {
        i -= 1;
    }
    i
}

/// `end` moved left over at most four blanks.
fn skip_blanks_left(data: &[u8], end: usize) -> usize {
    let mut i = end;
    while i > 0 && end - i < 4 && matches!(data[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    i
}

/// A name segment is an address word, or ends in one after a camelCase boundary (`hostIp`).
fn names_an_address(segment: &[u8]) -> bool {
    ADDRESS_NAMES.iter().any(|w| {
        let n = segment.len();
        n >= w.len()
            && segment[n - w.len()..].eq_ignore_ascii_case(w)
            && (n == w.len()
                || (segment[n - w.len()].is_ascii_uppercase()
                    && !segment[n - w.len() - 1].is_ascii_uppercase()))
    })
}

/// The value of a 1-2 digit CIDR prefix length.
fn prefix_len(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |v, &d| v * 10 + u32::from(d - b'0'))
}

fn check_ipv4(data: &[u8], s: usize, e: usize) -> CheckResult {
    if s > 0 {
        let c = data[s - 1];
        // '.1.2.3.4' (more of a dotted number) or 'x-1.2.3.4' (a name's version)
        if c == b'.' || (c == b'-' && s > 1 && ALNUM[data[s - 2] as usize]) {
            return None;
        }
        if !left_ok(data, s, &ALNUM) {
            return None;
        }
    }
    let n = data.len();
    let addr_end = e;
    let mut e = e;
    let mut cidr = false;
    if e + 1 < n && data[e] == b'/' && data[e + 1].is_ascii_digit() {
        let mut j = e + 2;
        if j < n && data[j].is_ascii_digit() {
            j += 1;
        }
        // a valid prefix length ends there; anything else ('/000', '/3x') is a path after an
        // address, which is masked as an address all the same
        if (j >= n || !ALNUM[data[j] as usize]) && prefix_len(&data[e + 1..j]) <= 32 {
            cidr = true;
            e = j;
        }
    }
    // not followed by '.word' / '.digit' (versions, OIDs) nor glued to a letter or digit
    if e < n {
        let c = data[e];
        if ALNUM[c as usize] || (c == b'.' && e + 1 < n && ALNUM[data[e + 1] as usize]) {
            return None;
        }
    }
    let o = parse_octets(&data[s..addr_end])?;
    if NEUTRAL_V4.contains(&o) {
        return None;
    }
    let kind = ipv4_kind(o)?;
    if kind == Ipv4Kind::Public
        && !cidr
        && o[1..].iter().all(|&x| x < 10)
        && !ip_context(data, s.saturating_sub(40), s)
    {
        return None; // 12.1.0.2, 1.2.3.4: versions and OIDs, unless a key says it is an address
    }
    if version_before(data, s) || (!cidr && package_version_before(data, s)) {
        return None;
    }
    let rtype = match (cidr, kind) {
        (true, _) => "cidr_block",
        (false, Ipv4Kind::Private) => "ipv4_private",
        (false, Ipv4Kind::Public) => "ipv4_public",
    };
    Some((vec![Finding::new(s, addr_end, rtype, Shape::Ipv4)], e))
}

// ---------------------------------------------------------------- IPv6

/// The context that says an address is IPv6: a key or flag naming it (`"Ipv6Address": "...",
/// `ipv6_cidr_block = "..."`, `inet6 ...`, `--ipv6-address ...`), then the address itself
/// (group `a`) and an optional prefix length (group `p`). Matched anchored at the candidate.
fn v6_context() -> &'static Regex {
    static V6: OnceLock<Regex> = OnceLock::new();
    V6.get_or_init(|| {
        RegexBuilder::new(concat!(
            r#"\A(?i:ipv6|inet6)[A-Za-z_-]{0,24}(?:\\{0,7}["'])?[ \t]{0,4}[:=]?[ \t]{0,4}"#,
            r#"(?:\[[ \t]*)?(?:\{[^}]{0,40}?:[ \t]*)?(?:\\{0,7}["'])?"#,
            r"(?P<a>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?P<p>/[0-9]{1,3})?",
        ))
        .unicode(false)
        .build()
        .expect("the IPv6 context pattern compiles")
    })
}

/// Parse hex groups and colons as Python's `ipaddress.IPv6Address` does (at most one `::`,
/// which stands for at least one zero group; eight groups without it; a leading or trailing
/// `:` only as part of `::`): the address as a number, or `None` when it is not one.
pub(super) fn parse_ipv6(raw: &[u8]) -> Option<u128> {
    const HEXTETS: usize = 8;
    let mut parts: [&[u8]; HEXTETS + 1] = [&[]; HEXTETS + 1];
    let mut count = 0;
    for part in raw.split(|&c| c == b':') {
        if count == parts.len() {
            return None; // more than 8 colons
        }
        parts[count] = part;
        count += 1;
    }
    if count < 3 {
        return None;
    }
    let parts = &parts[..count];
    let mut skip: Option<usize> = None;
    for (i, p) in parts.iter().enumerate().take(count - 1).skip(1) {
        if p.is_empty() {
            if skip.is_some() {
                return None; // more than one '::'
            }
            skip = Some(i);
        }
    }
    let (hi, lo, skipped) = match skip {
        Some(i) => {
            let mut hi = i;
            let mut lo = count - i - 1;
            if parts[0].is_empty() {
                hi -= 1;
                if hi > 0 {
                    return None;
                }
            }
            if parts[count - 1].is_empty() {
                lo -= 1;
                if lo > 0 {
                    return None;
                }
            }
            if hi + lo >= HEXTETS {
                return None;
            }
            (hi, lo, HEXTETS - hi - lo)
        }
        None => {
            if count != HEXTETS || parts[0].is_empty() || parts[count - 1].is_empty() {
                return None;
            }
            (count, 0, 0)
        }
    };
    let mut ip: u128 = 0;
    for p in &parts[..hi] {
        ip = (ip << 16) | u128::from(parse_hextet(p)?);
    }
    // `::` alone skips all eight groups: a shift by the whole width is zero, not an overflow
    ip = ip.checked_shl(16 * skipped as u32).unwrap_or(0);
    for p in &parts[count - lo..] {
        ip = (ip << 16) | u128::from(parse_hextet(p)?);
    }
    Some(ip)
}

/// One group of 1-4 hex digits.
fn parse_hextet(p: &[u8]) -> Option<u16> {
    if p.is_empty() || p.len() > 4 {
        return None;
    }
    let mut v: u16 = 0;
    for &c in p {
        v = (v << 4) | (char::from(c).to_digit(16)? as u16);
    }
    Some(v)
}

fn check_ipv6(data: &[u8], s: usize, _e: usize) -> CheckResult {
    if !left_ok(data, s, &ALNUM) {
        return None;
    }
    let n = data.len();
    let caps = v6_context().captures(&data[s..n.min(s + 120)])?;
    let a = caps.name("a")?;
    let prefix = caps.name("p");
    let start = s + a.start();
    let e = s + prefix.map_or(a.end(), |p| p.end());
    if e < n && (ALNUM[data[e] as usize] || data[e] == b':' || data[e] == b'.') {
        return None;
    }
    let raw = a.as_bytes();
    let ip = parse_ipv6(raw)?;
    // loopback, unspecified, IPv4-mapped
    if ip == 1 || ip == 0 || ip >> 32 == 0xFFFF {
        return None;
    }
    if raw.split(|&c| c == b':').filter(|g| !g.is_empty()).count() < 3 {
        return None;
    }
    let rtype = if prefix.is_some() {
        "ipv6_cidr_block"
    } else {
        "ipv6_address"
    };
    Some((
        vec![Finding::new(start, start + raw.len(), rtype, Shape::Ipv6)],
        e,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::{Filter, Scanner};

    fn scanner() -> Scanner {
        Scanner::new(recognizers(), Filter::default()).unwrap()
    }

    /// `(type, matched text)` of every finding in `text`.
    fn found(text: &str) -> Vec<(&'static str, String)> {
        crate::testutil::found_in(&scanner(), text)
    }

    /// A small xorshift generator: fresh values of the right shape without fixed literals.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self, below: u32) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % u64::from(below)) as u32
        }

        /// `a.b.c.d` with `b..d` drawn at random (the second octet at least 10, so a public
        /// address needs no context).
        fn quad(&mut self, a: u32, b: std::ops::RangeInclusive<u32>) -> String {
            let b = b.start() + self.next(b.end() - b.start() + 1);
            format!("{a}.{b}.{}.{}", self.next(256), 1 + self.next(254))
        }

        fn hextet(&mut self) -> String {
            format!("{:x}", 0x1000 + self.next(0xefff))
        }
    }

    #[test]
    fn ipv4_kinds() {
        let mut rng = Rng(0x9e3779b97f4a7c15);
        for _ in 0..50 {
            let cases = [
                (rng.quad(10, 10..=255), "ipv4_private"),
                (rng.quad(172, 16..=31), "ipv4_private"),
                (rng.quad(192, 168..=168), "ipv4_private"),
                (rng.quad(100, 64..=127), "ipv4_private"),
                (rng.quad(54, 10..=255), "ipv4_public"),
                (rng.quad(3, 10..=255), "ipv4_public"),
                (rng.quad(172, 32..=99), "ipv4_public"),
            ];
            for (addr, rtype) in cases {
                let want = vec![(rtype, addr.clone())];
                assert_eq!(found(&format!("from {addr} port 22")), want);
                assert_eq!(found(&format!(r#""PrivateIpAddress": "{addr}""#)), want);
                assert_eq!(found(&format!(r"line\n{addr}\n")), want);
            }
        }
    }

    #[test]
    fn ipv4_shape_and_resume() {
        let mut rng = Rng(7);
        let addr = rng.quad(54, 10..=255);
        let fs = scanner().scan(addr.as_bytes());
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].shape, Shape::Ipv4);
        assert_eq!((fs[0].start, fs[0].end), (0, addr.len()));
    }

    #[test]
    fn small_octets_need_an_address_word() {
        let mut rng = Rng(11);
        let addr = format!(
            "{}.{}.{}.{}",
            20 + rng.next(30),
            rng.next(10),
            rng.next(10),
            1 + rng.next(9)
        );
        assert_eq!(found(&addr), vec![]);
        assert_eq!(
            found(&format!("gateway: {addr}")),
            vec![("ipv4_public", addr.clone())]
        );
        assert_eq!(
            found(&format!("HostName={addr}")),
            vec![("ipv4_public", addr.clone())]
        );
        assert_eq!(found(&format!("{addr}/24")), vec![("cidr_block", addr)]);
    }

    #[test]
    fn cidr_blocks_keep_the_prefix_length() {
        let mut rng = Rng(13);
        let net = format!("10.{}.0.0", 10 + rng.next(200));
        assert_eq!(
            found(&format!("CidrBlock {net}/16 ok")),
            vec![("cidr_block", net.clone())]
        );
        let public = format!("52.{}.{}.0", 10 + rng.next(200), rng.next(256));
        assert_eq!(
            found(&format!(r#""CidrIp": "{public}/22""#)),
            vec![("cidr_block", public.clone())]
        );
        // a prefix over 32 or glued to a letter is a path after an address
        assert_eq!(
            found(&format!("{net}/33 x")),
            vec![("ipv4_private", net.clone())]
        );
        assert_eq!(
            found(&format!("{net}/000 path")),
            vec![("ipv4_private", net.clone())]
        );
        assert_eq!(found(&format!("{net}/3x")), vec![("ipv4_private", net)]);
    }

    #[test]
    fn ipv4_never_touched() {
        let mut rng = Rng(17);
        let private = rng.quad(10, 10..=255);
        let texts = [
            "127.0.0.1".to_string(),
            "0.0.0.0".into(),
            "0.0.0.0/0".into(),
            "255.255.255.0".into(),
            format!("{}.0.0.{}", 224 + rng.next(16), 1 + rng.next(254)),
            "169.254.169.254".into(),
            "8.8.8.8".into(),
            "1.1.1.1".into(),
            format!("{}.1.0.2.v21", 10 + rng.next(10)),
            "1.3.6.1.4.1.311.21.7".into(),
            format!("version {private}"),
            format!("Version: \"{private}"),
            format!("release\t{private}"),
            format!("version\n{private}"),
            format!("v{private}"),
            format!("x-{private}"),
            "2.5.4.3".into(),
            format!("{private}.5"),
            format!("{}.256", &private[..private.rfind('.').unwrap()]),
            "010.001.002.003".into(),
            format!("a{private}"),
            format!("{private}x"),
            format!("{private}.tar"),
            format!("9{private}"),
        ];
        for t in texts {
            assert_eq!(found(&t), vec![], "{t}");
        }
    }

    #[test]
    fn words_ending_in_v_or_ver_are_not_versions() {
        let mut rng = Rng(19);
        let a = rng.quad(10, 10..=255);
        let b = rng.quad(10, 10..=255);
        let text = format!("dev {a} and xv {b}");
        assert_eq!(
            found(&text),
            vec![("ipv4_private", a.clone()), ("ipv4_private", b)]
        );
        assert_eq!(
            found(&format!("dns server {a}")),
            vec![("ipv4_private", a.clone())]
        );
        assert_eq!(found(&format!("driver={a}")), vec![("ipv4_private", a)]);
    }

    #[test]
    fn package_versions_are_not_addresses() {
        let mut rng = Rng(31);
        // a version that would be a public address anywhere else
        let version = format!(
            "{}.{}.{}.{}",
            2 + rng.next(7),
            10 + rng.next(90),
            rng.next(10),
            1 + rng.next(9)
        );
        let texts = [
            "types-requests==2.31.0.6".to_string(), // issue 12 as reported
            format!("types-requests=={version}"),
            format!("Collecting types-requests=={version}\n"),
            format!("requests[socks] >= {version},<3"),
            format!("foo~={version}"),
            format!("foo!={version}"),
            format!("foo<={version}"),
            format!("foo==={version}"),
            format!("gem 'rake', '~> {version}'"),
            format!("npm i @scope/tool@{version}"),
            format!("go get github.com/org/mod@{version}"),
            format!("types-requests-{version}"),
            format!("types_requests-{version}-py3-none-any.whl"),
        ];
        for t in texts {
            assert_eq!(found(&t), vec![], "{t}");
        }
    }

    #[test]
    fn addresses_after_operators_and_at_signs_stay_addresses() {
        let mut rng = Rng(37);
        let public = rng.quad(54, 10..=255);
        let private = rng.quad(10, 10..=255);
        for addr in [&public, &private] {
            let rtype = if addr == &public {
                "ipv4_public"
            } else {
                "ipv4_private"
            };
            for t in [
                format!("ssh ec2-user@{addr}"),
                format!("scp f root@{addr}:/tmp"),
                format!("https://admin@{addr}/x"),
                format!("ip.addr=={addr}"),
                format!("ip.src == {addr}"),
                format!("[[ $host == {addr} ]]"),
                format!(r#"[ "$IP" == {addr} ]"#),
                format!("== {addr}"),
                format!("hostIp>={addr}"),
                format!("x={addr}"),
            ] {
                assert_eq!(found(&t), vec![(rtype, addr.clone())], "{t}");
            }
            let net = format!("pkg=={addr}/16");
            assert_eq!(found(&net), vec![("cidr_block", addr.clone())]);
        }
    }

    #[test]
    fn address_names() {
        for yes in ["ip", "IP", "addr", "hostIp", "PrivateIpAddress", "srcAddr"] {
            assert!(names_an_address(yes.as_bytes()), "{yes}");
        }
        for no in ["pip", "zipp", "requests", "HOSTIP", "scipy", ""] {
            assert!(!names_an_address(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn version_marker_rules() {
        let at_end = |text: &str| version_before(text.as_bytes(), text.len());
        assert!(at_end("version "));
        assert!(at_end("VER:=\"'"));
        assert!(at_end("release\n"));
        assert!(at_end(" v"));
        assert!(!at_end("server "));
        assert!(!at_end("xv"));
        assert!(!at_end("version  :=\"'")); // five separators
        assert!(!at_end("version\n\n"));
        assert!(!at_end("version and then some"));
    }

    #[test]
    fn octets_and_kinds() {
        assert_eq!(parse_octets(b"10.0.0.1"), Some([10, 0, 0, 1]));
        assert_eq!(parse_octets(b"10.0.0.256"), None);
        assert_eq!(parse_octets(b"10.01.0.1"), None);
        assert_eq!(ipv4_kind([100, 64, 0, 1]), Some(Ipv4Kind::Private));
        assert_eq!(ipv4_kind([100, 128, 0, 1]), Some(Ipv4Kind::Public));
        assert_eq!(ipv4_kind([169, 254, 3, 4]), Some(Ipv4Kind::Private));
        assert_eq!(ipv4_kind([127, 1, 2, 3]), None);
        assert_eq!(ipv4_kind([239, 1, 2, 3]), None);
        assert_eq!(ipv4_kind([0, 1, 2, 3]), None);
    }

    #[test]
    fn ipv6_in_address_context() {
        let mut rng = Rng(23);
        let (h1, h2, h3) = (rng.hextet(), rng.hextet(), rng.hextet());
        let addr = format!("2600:{h1}:{h2}:{h3}::3b");
        assert_eq!(
            found(&format!(r#""Ipv6Address": "{addr}""#)),
            vec![("ipv6_address", addr.clone())]
        );
        let fs = scanner().scan(format!(r#""Ipv6Address": "{addr}""#).as_bytes());
        assert_eq!(fs[0].shape, Shape::Ipv6);
        let net = format!("2600:{h1}:{h2}:6700::");
        assert_eq!(
            found(&format!(r#""Ipv6CidrBlock": "{net}/56""#)),
            vec![("ipv6_cidr_block", net)]
        );
        let full: Vec<String> = (0..8).map(|_| rng.hextet()).collect();
        let full = full.join(":");
        assert_eq!(
            found(&format!("inet6 {full}/64 scope global")),
            vec![("ipv6_cidr_block", full.clone())]
        );
        assert_eq!(
            found(&format!("--ipv6-address {full} x")),
            vec![("ipv6_address", full.clone())]
        );
        assert_eq!(
            found(&format!(r#"ipv6_cidr_blocks = ["{full}"]"#)),
            vec![("ipv6_address", full.clone())]
        );
        assert_eq!(
            found(&format!(r#"{{\"Ipv6Address\": \"{addr}\"}}"#)),
            vec![("ipv6_address", addr)]
        );
    }

    #[test]
    fn ipv6_near_misses() {
        let mut rng = Rng(29);
        let h = rng.hextet();
        let texts = [
            "2001:db8::1 appears in the docs".to_string(),
            "::1".into(),
            "time 12:34:56".into(),
            "std::vector<int> v;".into(),
            r#""Ipv6Address": "::1""#.into(),
            r#""Ipv6Address": "::""#.into(),
            format!(r#""Ipv6Address": "::ffff:{h}:1""#),
            format!(r#""Ipv6Address": "{h}::1""#),
            format!(r#""Ipv6Address": "{h}:1:2:3::4::5""#),
            format!(r#""Ipv6Address": "{h}:1:2:3::4x""#),
            format!(r#""xIpv6Address": "{h}:1:2:3::4""#),
            "a:b:c".into(),
        ];
        for t in texts {
            assert_eq!(found(&t), vec![], "{t}");
        }
    }

    #[test]
    fn ipv6_parsing_follows_ipaddress() {
        assert_eq!(parse_ipv6(b"::1"), Some(1));
        assert_eq!(parse_ipv6(b"::"), Some(0));
        assert_eq!(parse_ipv6(b"1::"), Some(1 << 112));
        assert_eq!(
            parse_ipv6(b"1:2:3:4:5:6:7:8"),
            Some(0x0001_0002_0003_0004_0005_0006_0007_0008)
        );
        assert_eq!(
            parse_ipv6(b"1:2:3:4:5:6:7::"),
            Some(0x0001_0002_0003_0004_0005_0006_0007_0000)
        );
        assert_eq!(parse_ipv6(b"1:2:3:4:5:6:7:8::"), None); // '::' must stand for a group
        assert_eq!(parse_ipv6(b"1:2:3:4:5:6:7"), None);
        assert_eq!(parse_ipv6(b":1:2:3:4:5:6:7"), None);
        assert_eq!(parse_ipv6(b"1::2::3"), None);
        assert_eq!(parse_ipv6(b"1:::2"), None);
        assert_eq!(parse_ipv6(b"1:2"), None);
        assert_eq!(parse_ipv6(b"12345::1"), None);
    }

    #[test]
    fn catalog_rows() {
        let names: Vec<&str> = TYPES.iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            [
                "ipv4_public",
                "ipv4_private",
                "cidr_block",
                "ipv6_address",
                "ipv6_cidr_block"
            ]
        );
        for r in recognizers() {
            assert!(r.types.iter().all(|t| names.contains(t)), "{}", r.name);
        }
    }
}
