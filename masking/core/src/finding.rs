//! What recognition reports: where a sensitive value sits and how its surrogate is shaped.

/// How a surrogate is drawn from its original. Every shape keeps every byte that is not an
/// ASCII letter or digit (and so every JSON escape sequence), which keeps the byte length of
/// the original at any escaping depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// digit -> digit, a-z -> a-z, A-Z -> A-Z
    Classwise,
    /// hex digit -> hex digit of the same case
    Hex,
    /// dotted quad: private stays private, public stays public, digit counts kept
    Ipv4,
    /// hex groups -> hex groups, `::` and `:` kept
    Ipv6,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Classwise => "classwise",
            Shape::Hex => "hex",
            Shape::Ipv4 => "ipv4",
            Shape::Ipv6 => "ipv6",
        }
    }
}

/// A span of the scanned bytes to replace with a surrogate.
///
/// `start..end` covers only the part to replace: structure that stays (a token prefix such as
/// `ghp_`, `arn:aws:iam::`, `role/`, a key name) lies outside it. `rtype` is the catalog name
/// users see in logs and config (`aws_ec2_instance_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    pub start: usize,
    pub end: usize,
    pub rtype: &'static str,
    pub shape: Shape,
}

impl Finding {
    pub fn new(start: usize, end: usize, rtype: &'static str, shape: Shape) -> Self {
        Finding { start, end, rtype, shape }
    }
}

/// A catalog entry: one type of sensitive value.
#[derive(Clone, Copy, Debug)]
pub struct TypeInfo {
    pub name: &'static str,
    pub shape: Shape,
    pub description: &'static str,
}
