//! Lines of text as the agent's tools show them: where a line starts (after a line break, raw
//! or escaped in a JSON string, at the start of a string's text, past the number the `Read`
//! tool puts before a file's line or the path and number a grep puts there), a line's span,
//! and the rows and columns of a table a command printed. The rules that read lines read them
//! through these, so a file reads alike raw, in a tool result, numbered or grepped.

use super::base::escape_ends_at;

/// Whether a grep's `path-12-` (or `path:12:`) prefix of a line ends right before `s`: a
/// token there starts the line's text, not glued to the path.
pub fn grep_prefix_ends_at(data: &[u8], s: usize) -> bool {
    grep_prefix_before(data, s).is_some_and(|ps| at_line_start(data, ps))
}

/// The line of text from `i`: (start, end, where the next line starts), a line break raw or
/// escaped (`\n`), up to the end of the string that holds it (a `"`, raw or escaped, or an
/// escaped backslash) or of the text; `None` at that end or past 4096 bytes.
pub fn text_line(data: &[u8], i: usize) -> Option<(usize, usize, usize)> {
    if i >= data.len() || data[i] == b'"' {
        return None;
    }
    let i = past_line_number(data, i);
    let hi = data.len().min(i + 4096);
    let mut k = i;
    while k < hi {
        match data[k] {
            b'\n' => return Some((i, k, k + 1)),
            b'"' => return Some((i, k, k)),
            b'\\' if data.get(k + 1) == Some(&b'n') => return Some((i, k, k + 2)),
            b'\\' if matches!(data.get(k + 1), Some(b'"' | b'\\')) => return Some((i, k, k)),
            _ => k += 1,
        }
    }
    (k == data.len()).then_some((i, k, k))
}

/// Whether `s` starts a line: the body's start, after a newline or after a `\n` escape, at the
/// start of a JSON string's text (a tool result is a command's output from its first byte), or
/// after the number Claude Code's `Read` tool puts before each line of a file it shows
/// ([`line_number_before`]).
pub fn at_line_start(data: &[u8], s: usize) -> bool {
    breaks_before(data, s) || line_number_before(data, s).is_some_and(|ls| breaks_before(data, ls))
}

/// The body's start, a newline or a `\n` escape right before `s`, or the quote that opens a
/// JSON string's value (raw or escaped, after `:`, `[` or `,`).
fn breaks_before(data: &[u8], s: usize) -> bool {
    s == 0
        || data[s - 1] == b'\n'
        || (data[s - 1] == b'n' && escape_ends_at(data, s - 1))
        || string_opens_before(data, s)
}

/// Whether the quote right before `s` opens a JSON string value: `"` (or `\"` one depth down)
/// after `:`, `[` or `,` and blanks.
fn string_opens_before(data: &[u8], s: usize) -> bool {
    if data[s - 1] != b'"' {
        return false;
    }
    let lo = s.saturating_sub(24);
    let mut i = s - 1;
    while i > lo && data[i - 1] == b'\\' {
        i -= 1;
    }
    while i > lo && matches!(data[i - 1], b' ' | b'\t' | b'\n' | b'\r') {
        i -= 1;
    }
    i > lo && matches!(data[i - 1], b':' | b'[' | b',')
}

/// Claude Code's `Read` tool shows a file's lines numbered: `     12→` before each, the number
/// right-aligned in six columns and an arrow (raw, or `\u2192` where the JSON is escaped); its
/// `Grep` tool (and `grep -rn`, `rg -n`) puts the file's path and the number before each line
/// it shows, `k8s/deploy.yaml:12:` (`k8s/deploy.yaml-11-` before a line of context). When such
/// a prefix ends right before `s`, where it starts.
pub fn line_number_before(data: &[u8], s: usize) -> Option<usize> {
    let head = &data[..s];
    let arrow = if head.ends_with("\u{2192}".as_bytes()) {
        3
    } else if head.ends_with(b"u2192") && head.len() > 5 && head[head.len() - 6] == b'\\' {
        6 + head[..head.len() - 6]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count()
    } else {
        return grep_prefix_before(data, s);
    };
    let digits_end = s.checked_sub(arrow)?;
    let digits = head[..digits_end]
        .iter()
        .rev()
        .take(9)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let pad = head[..digits_end - digits]
        .iter()
        .rev()
        .take(8)
        .take_while(|&&c| c == b' ')
        .count();
    Some(digits_end - digits - pad)
}

/// Where the text of a line that starts at `ls` begins: past the number the `Read` tool put
/// before it, or the path and number of a grep's match ([`line_number_before`]), if there is
/// one. The line readers here ([`line_start_of`], [`text_line`], [`file_line`]) give that
/// start, so a file's lines read alike, numbered or not.
pub fn past_line_number(data: &[u8], ls: usize) -> usize {
    let rest = &data[ls..data.len().min(ls + 32)];
    let pad = rest.iter().take(8).take_while(|&&c| c == b' ').count();
    let digits = rest[pad..]
        .iter()
        .take(9)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 {
        return past_grep_prefix(data, ls);
    }
    let after = &rest[pad + digits..];
    let arrow = if after.starts_with("\u{2192}".as_bytes()) {
        3
    } else {
        let slashes = after.iter().take(8).take_while(|&&c| c == b'\\').count();
        if slashes == 0 || !after[slashes..].starts_with(b"u2192") {
            return past_grep_prefix(data, ls);
        }
        slashes + 5
    };
    ls + pad + digits + arrow
}

/// The bytes of a path as grep prints it (no blanks, no quotes, no escapes).
fn path_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'/' | b'_' | b'-' | b'@' | b'+' | b'~')
}

/// The longest path grep prints before a line.
const GREP_PATH_MAX: usize = 240;

/// Whether `path` is a file's path as grep names it: a directory or an extension in it.
fn grep_path(path: &[u8]) -> bool {
    !path.is_empty()
        && path.len() <= GREP_PATH_MAX
        && path.iter().all(|&c| path_byte(c))
        && path.iter().any(|&c| matches!(c, b'/' | b'.'))
        && path.iter().any(u8::is_ascii_alphabetic)
}

/// A grep's `path:12:` (or `path-12-`) ending right before `s`: where the path starts. The
/// path reaches back to the line's start (which the caller checks), an escaped line break's
/// letter excluded.
fn grep_prefix_before(data: &[u8], s: usize) -> Option<usize> {
    let sep = *data.get(s.checked_sub(1)?)?;
    if !matches!(sep, b':' | b'-') {
        return None;
    }
    let digits_end = s - 1;
    let digits = data[..digits_end]
        .iter()
        .rev()
        .take(9)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let path_end = (digits_end - digits).checked_sub(1)?;
    if digits == 0 || data[path_end] != sep {
        return None;
    }
    let lo = path_end.saturating_sub(GREP_PATH_MAX);
    let mut ps = path_end;
    while ps > lo
        && path_byte(data[ps - 1])
        && !(data[ps - 1] == b'n' && escape_ends_at(data, ps - 1))
    {
        ps -= 1;
    }
    grep_path(&data[ps..path_end]).then_some(ps)
}

/// Whether `i` ends the path of a grep's `path:12:` prefix at a line's start (what stands
/// before `i` is a file's name, not a key).
pub(super) fn ends_grep_path(data: &[u8], i: usize) -> bool {
    let Some(&sep) = data.get(i).filter(|&&c| matches!(c, b':' | b'-')) else {
        return false;
    };
    let digits = data[i + 1..]
        .iter()
        .take(9)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = i + 1 + digits;
    digits > 0 && data.get(end) == Some(&sep) && grep_prefix_ends_at(data, end + 1)
}

/// Past a grep's `path:12:` (or `path-12-`) at `ls`, if one is there; else `ls`.
fn past_grep_prefix(data: &[u8], ls: usize) -> usize {
    let rest = &data[ls..data.len().min(ls + GREP_PATH_MAX + 12)];
    let path_len = rest
        .iter()
        .take_while(|&&c| path_byte(c) || c == b':')
        .count();
    for (k, &sep) in rest[..path_len].iter().enumerate() {
        if !matches!(sep, b':' | b'-') {
            continue;
        }
        let digits = rest[k + 1..]
            .iter()
            .take(9)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits > 0 && rest.get(k + 1 + digits) == Some(&sep) {
            return if grep_path(&rest[..k]) {
                ls + k + digits + 2
            } else {
                ls
            };
        }
        if sep == b':' {
            break;
        }
    }
    ls
}

/// Whether `s` starts a line of a file's text: a line ([`at_line_start`]) or a JSON string (a
/// tool result that is the file).
pub fn opens_text(data: &[u8], s: usize) -> bool {
    let opens = |i: usize| i > 0 && data[i - 1] == b'"';
    at_line_start(data, s) || opens(s) || line_number_before(data, s).is_some_and(opens)
}

/// Whether the line starting at `ls` follows an escaped line break (`\n`): the file's text is in
/// a JSON string (the `json` of [`file_line`]).
pub fn after_escaped_break(data: &[u8], ls: usize) -> bool {
    break_before(data, ls).is_some_and(|b| data[b] == b'\\')
}

/// The start of the line holding `s`: after the raw or escaped line break before it or the
/// quote that opens the JSON string holding it, and past the number the `Read` tool put there
/// ([`past_line_number`]); looking back at most `reach` bytes (`None` past that).
pub fn line_start_of(data: &[u8], s: usize, reach: usize) -> Option<usize> {
    let low = s.saturating_sub(reach);
    let mut i = s;
    while i > low {
        let c = data[i - 1];
        if c == b'\n'
            || c == b'\r'
            || (matches!(c, b'n' | b'r') && i >= 2 && data[i - 2] == b'\\')
            || string_opens_before(data, i)
        {
            break;
        }
        i -= 1;
    }
    if i > low || i == 0 {
        let text = past_line_number(data, i);
        return Some(if text <= s { text } else { i });
    }
    None
}

/// A line of a file's text from `i` (a manifest, an inventory, a table a command printed): its
/// span and where the next starts, a line break raw or escaped (`\n`). In a JSON string
/// (`json`) an unescaped `"` ends the text and the escapes inside a line are the file's (`\"` is
/// a quote in it, which [`text_line`] would take for the end of a string one depth down).
pub fn file_line(data: &[u8], i: usize, json: bool) -> Option<(usize, usize, usize)> {
    if i >= data.len() || (json && data[i] == b'"') {
        return None;
    }
    let i = past_line_number(data, i);
    let hi = data.len().min(i + 1024);
    let mut k = i;
    while k < hi {
        match data[k] {
            b'\n' => return Some((i, k, k + 1)),
            b'"' if json => return Some((i, k, k)),
            b'\\' if data.get(k + 1) == Some(&b'n') => return Some((i, k, k + 2)),
            b'\\' => k += 2,
            _ => k += 1,
        }
    }
    (k == data.len()).then_some((i, k, k))
}

/// The first line of a file's text from `ls` ([`file_line`] outside a string): where it ends,
/// and whether the text is in a JSON string (its line breaks escaped, the `json` the lines
/// after it are read with).
pub fn first_file_line(data: &[u8], ls: usize) -> Option<(usize, bool)> {
    let (_, le, _) = file_line(data, ls, false)?;
    Some((le, data.get(le) == Some(&b'\\')))
}

/// The first line of a table a command printed (its header, psql's title), from `ls`: where it
/// ends, where the next line starts, and whether the table is a file's text in a JSON string
/// (its line break escaped, the `json` of [`file_line`]); `None` when no line break ends it.
pub fn table_header(data: &[u8], ls: usize) -> Option<(usize, usize, bool)> {
    let (_, he, next) = text_line(data, ls)?;
    let json = match data.get(he) {
        Some(b'\n') => false,
        Some(b'\\') if data.get(he + 1) == Some(&b'n') => true,
        _ => return None,
    };
    Some((he, next, json))
}

/// The most rows of one table a command printed that are read.
pub const MAX_TABLE_ROWS: usize = 2000;

/// The rows of a table a command printed, from `i`, the line after its header: each line's
/// start and end (a `\r` before its break left out), to the end of the text that holds them
/// (`json` as [`file_line`]'s) and at most [`MAX_TABLE_ROWS`]. Where the table ends is the
/// caller's to say.
pub fn table_lines(
    data: &[u8],
    mut i: usize,
    json: bool,
) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut last = false;
    std::iter::from_fn(move || {
        if last {
            return None;
        }
        let (rs, le, next) = file_line(data, i, json)?;
        last = next == le;
        i = next;
        Some((rs, le - usize::from(le > rs && data[le - 1] == b'\r')))
    })
    .take(MAX_TABLE_ROWS)
}

/// Where display column `col` of the row `data[rs..re]` starts in a table a command printed,
/// columns counted as docker's and kubectl's table writers count them (a character each, `…` as
/// much as `a`) and a JSON escape (`\"`, `\u2026`) as the character it stands for.
pub fn column_at(data: &[u8], rs: usize, re: usize, col: usize, json: bool) -> Option<usize> {
    let mut i = rs;
    for _ in 0..col {
        if i >= re {
            return None;
        }
        if json && data[i] == b'\\' {
            i += if data.get(i + 1) == Some(&b'u') { 6 } else { 2 };
        } else {
            i += 1;
            while i < re && data[i] & 0xC0 == 0x80 {
                i += 1; // a UTF-8 continuation byte
            }
        }
    }
    (i < re).then_some(i)
}

/// Where the column `name` starts in a table's header, if it has one.
pub fn header_column(header: &[u8], name: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(header, name).find(|&c| {
        (c == 0 || header[c - 1] == b' ')
            && header
                .get(c + name.len())
                .is_none_or(|&b| b == b' ' || b == b'\r')
    })
}

/// The start of the line break (raw or escaped) right before `i`, if a line starts at `i`.
pub fn break_before(data: &[u8], i: usize) -> Option<usize> {
    match i {
        0 => None,
        _ if data[i - 1] == b'\n' => Some(i - 1),
        _ if i >= 2 && data[i - 1] == b'n' && data[i - 2] == b'\\' => Some(i - 2),
        _ => None,
    }
}
