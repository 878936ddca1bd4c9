//! The columns a `--query` multi-select prints in AWS CLI text and table output.
//!
//! `aws ec2 describe-instances --query 'Reservations[].Instances[].[InstanceId,KeyName]' --output
//! text` prints one row per instance, one cell per expression of the multi-select, in order (a
//! multi-select hash `{ID: InstanceId, Key: KeyName}` prints its values sorted by key, as the
//! CLI's text formatter does; `--output table` names each column by its key in a header row).
//! The expression says what each column holds: its last field, looked up in the same tables the
//! JSON field rules of [`names`](super::names) and [`aws`](super::aws) use. The command's rows
//! follow it: on the next lines, or in the tool result of the tool use that ran it. The cells of
//! a column whose field is known are validated as that field's values.

use memchr::memmem;

use super::aws;
use super::base::{backslashes_before, norm_key, CheckResult, Field, Finding, Recognizer, Value};
use super::names::{
    column_field, echo_skip, id_like, runs_aws_cli, table_cells, table_rule, tag_field, BUCKET, DB,
    IAM, OWNER, RES, TABLE, TABLE_REACH,
};
use super::tool_calls::tool_result_text;

/// How far before `--query` the command's `aws` may start.
const COMMAND_REACH: usize = 2048;
/// The longest `--query` expression read.
const QUERY_REACH: usize = 1024;
/// How far left of a command the start of the JSON string holding it may lie.
const TOOL_USE_REACH: usize = 4096;

/// What starts at an offset of CLI text: a line break (raw or a JSON escape; `continued` when
/// a `\` before it continues a shell command), the end of the JSON string it sits in, or neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Break { len: usize, continued: bool },
    StringEnd,
    Other,
}

/// What starts at `k`; an unescaped `"` ends the text only when it sits in a JSON string.
fn mark_at(data: &[u8], k: usize, json: bool) -> Mark {
    match data[k] {
        b'\n' | b'\r' => {
            let len = if data[k] == b'\r' && data.get(k + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            Mark::Break {
                len,
                continued: !backslashes_before(data, k).is_multiple_of(2),
            }
        }
        b'\\'
            if matches!(data.get(k + 1), Some(b'n' | b'r'))
                && backslashes_before(data, k).is_multiple_of(2) =>
        {
            let len = if data[k + 1] == b'r' && data[k + 2..].starts_with(b"\\n") {
                4
            } else {
                2
            };
            // `\\` then `\n`: a shell line continuation inside JSON text
            Mark::Break {
                len,
                continued: backslashes_before(data, k) >= 2,
            }
        }
        b'"' if json && backslashes_before(data, k).is_multiple_of(2) => Mark::StringEnd,
        _ => Mark::Other,
    }
}

/// Whether the text at `p` sits in a JSON string: an unescaped `"` between it and the raw line
/// break before it, or no raw line break in the [`TOOL_USE_REACH`] bytes before it (a request
/// body is one long line; a shell transcript is not).
fn in_json_string(data: &[u8], p: usize) -> bool {
    let lo = p.saturating_sub(TOOL_USE_REACH);
    let Some(nl) = memchr::memrchr(b'\n', &data[lo..p]) else {
        return lo > 0 || memchr::memchr(b'"', &data[..p]).is_some();
    };
    let from = lo + nl + 1;
    memchr::memchr_iter(b'"', &data[from..p])
        .any(|i| backslashes_before(data, from + i).is_multiple_of(2))
}

/// The format `--output` asks for in `cmd`, when it is text or table.
fn cli_output(cmd: &[u8]) -> Option<CliOutput> {
    let at = memmem::find(cmd, b"--output")? + b"--output".len();
    let rest = &cmd[at..];
    let rest = match rest.first() {
        Some(b'=') => &rest[1..],
        Some(b' ' | b'\t') => rest.trim_ascii_start(),
        _ => return None,
    };
    if rest.starts_with(b"text") {
        Some(CliOutput::Text)
    } else if rest.starts_with(b"table") {
        Some(CliOutput::Table)
    } else {
        None
    }
}

/// The format a command prints its `--query` result in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CliOutput {
    Text,
    Table,
}

/// An AWS CLI command with a multi-select `--query` and where the rows it printed start.
struct QueryCommand<'a> {
    /// the `--query` expression, unquoted
    expr: &'a [u8],
    /// the command from its `aws` to its end
    text: &'a [u8],
    output: CliOutput,
    /// where its output starts
    rows: usize,
    /// whether the output sits in a JSON string (escaped line breaks and tabs, `"` ends it)
    json: bool,
}

/// The `--query` expression after the flag's separator at `e`: its span and where it ends.
fn query_expr(data: &[u8], e: usize, json: bool) -> Option<(usize, usize, usize)> {
    let lim = data.len().min(e + QUERY_REACH);
    let mut i = e;
    while i < lim && data[i] == b' ' {
        i += 1;
    }
    if i >= lim {
        return None;
    }
    let (a, close): (usize, &[u8]) = match data[i] {
        b'\'' => (i + 1, b"'"),
        b'"' if !json => (i + 1, b"\""),
        b'\\' if json && data.get(i + 1) == Some(&b'"') => (i + 2, b"\\\""),
        b'"' => return None,
        _ => {
            let b = (i..lim)
                .find(|&k| matches!(data[k], b' ' | b'\t') || mark_at(data, k, json) != Mark::Other)
                .unwrap_or(lim);
            return Some((i, b, b));
        }
    };
    let b = a + memmem::find(&data[a..lim], close)?;
    Some((a, b, b + close.len()))
}

/// The command whose `--query` flag spans `s..e` (the flag and its separator), if it runs the
/// AWS CLI with `--output text` or `table` and its output can be found.
fn query_command(data: &[u8], s: usize, e: usize) -> Option<QueryCommand<'_>> {
    let lo = s.saturating_sub(COMMAND_REACH);
    let p = memmem::rfind_iter(&data[lo..s], b"aws ")
        .map(|i| lo + i)
        .find(|&i| i == 0 || runs_aws_cli(&data[i - 1..i + 4]))?;
    let json = in_json_string(data, p);
    // the flag belongs to that command: no line break between them but continued lines
    if (p..s).any(|k| {
        !matches!(
            mark_at(data, k, json),
            Mark::Other
                | Mark::Break {
                    continued: true,
                    ..
                }
        )
    }) {
        return None;
    }
    let (qa, qb, after) = query_expr(data, e, json)?;
    // the command ends at its line's end (or at the end of the JSON string that holds it)
    let lim = data.len().min(after + COMMAND_REACH);
    let mut end = after;
    let mut next = None;
    while end < lim {
        match mark_at(data, end, json) {
            Mark::Break {
                len,
                continued: true,
            } => end += len,
            Mark::Break {
                len,
                continued: false,
            } => {
                next = Some(end + len);
                break;
            }
            Mark::StringEnd => break,
            Mark::Other => end += 1,
        }
    }
    if runs_another_command(data, p, after, end, json) {
        return None;
    }
    let output = cli_output(&data[p..end])?;
    let (rows, json) = match next {
        Some(n) => (n, json),
        None if end < lim && json => (tool_result_text(data, p, end)?, true),
        None => return None,
    };
    Some(QueryCommand {
        expr: &data[qa..qb],
        text: &data[p..end],
        output,
        rows,
        json,
    })
}

/// Whether the command line of the command `p..end` runs another AWS CLI command before it
/// or after its `--query` (ending at `after`): `aws a … && aws b …` prints both outputs one
/// after the other, so which rows are whose is unknown.
fn runs_another_command(data: &[u8], p: usize, after: usize, end: usize, json: bool) -> bool {
    let lo = p.saturating_sub(COMMAND_REACH);
    let mut ls = lo;
    for k in (lo..p).rev() {
        match mark_at(data, k, json) {
            Mark::Break {
                len,
                continued: false,
            } => {
                ls = k + len;
                break;
            }
            Mark::StringEnd => {
                ls = k + 1;
                break;
            }
            _ => {}
        }
    }
    let runs = |a: usize, b: usize| {
        memmem::find_iter(&data[a..b], b"aws ").any(|i| {
            let i = a + i;
            i == 0 || runs_aws_cli(&data[i - 1..i + 4])
        })
    };
    (ls < p && runs(ls, p)) || (after < end && runs(after, end))
}

/// Per byte of a JMESPath expression: its bracket depth, `None` inside a literal (`` `…` ``,
/// `'…'`, `"…"`); `None` overall when the brackets or quotes do not balance.
fn expr_depths(expr: &[u8]) -> Option<Vec<Option<usize>>> {
    let mut out = Vec::with_capacity(expr.len());
    let mut depth = 0usize;
    let mut quote = None;
    for &c in expr {
        if let Some(q) = quote {
            out.push(None);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            b'`' | b'\'' | b'"' => {
                quote = Some(c);
                out.push(None);
            }
            b'[' | b'{' | b'(' => {
                out.push(Some(depth));
                depth += 1;
            }
            b']' | b'}' | b')' => {
                depth = depth.checked_sub(1)?;
                out.push(Some(depth));
            }
            _ => out.push(Some(depth)),
        }
    }
    (depth == 0 && quote.is_none()).then_some(out)
}

/// An expression without what only picks or flattens its result at the end: `[0]`, `[]`,
/// `[*]`, `[-1]`, a pipe into them (`Tags[?Key==`Name`].Value | [0]`).
fn strip_pick(mut x: &[u8]) -> &[u8] {
    loop {
        x = x.trim_ascii_end();
        if let Some(r) = x.strip_suffix(b"|") {
            x = r;
            continue;
        }
        let Some(body) = x.strip_suffix(b"]") else {
            return x;
        };
        let Some(o) = body.iter().rposition(|&c| c == b'[') else {
            return x;
        };
        let inner = body[o + 1..].trim_ascii();
        let index = inner.strip_prefix(b"-").unwrap_or(inner);
        if inner.is_empty()
            || inner == b"*"
            || (!index.is_empty() && index.iter().all(u8::is_ascii_digit))
        {
            x = &body[..o];
            continue;
        }
        return x;
    }
}

/// The tag key a filter compares `Key` with: `Tags[?Key==`Name`]`, `[?Key=='Owner']`,
/// `` [?Key==`"Name"`] ``; a backslash that escapes a backtick for the shell (`\`Name\``) or a
/// quote for JSON is no part of it.
fn tag_filter_key(x: &[u8]) -> Option<Vec<u8>> {
    let body = strip_pick(x).strip_suffix(b"]")?;
    let o = body.iter().rposition(|&c| c == b'[')?;
    let filter = body[o + 1..].trim_ascii().strip_prefix(b"?")?;
    let eq = memmem::find(filter, b"==")?;
    let (l, r) = (filter[..eq].trim_ascii(), filter[eq + 2..].trim_ascii());
    let lit: Vec<u8> = match (l, r) {
        (b"Key", lit) | (lit, b"Key") => lit.iter().copied().filter(|&c| c != b'\\').collect(),
        _ => return None,
    };
    let key = if let Some(v) = lit.strip_prefix(b"`").and_then(|v| v.strip_suffix(b"`")) {
        v.strip_prefix(b"\"")
            .and_then(|w| w.strip_suffix(b"\""))
            .unwrap_or(v)
    } else {
        lit.strip_prefix(b"'").and_then(|v| v.strip_suffix(b"'"))?
    };
    Some(key.to_vec())
}

/// What a column of a `--query` multi-select holds: the field its expression ends with, as the
/// field tables give it (`KeyName`, `Placement.GroupName`, `[].DBInstanceIdentifier`), a
/// `Name` or owner tag (`Tags[?Key==`Name`]|[0].Value`), or a bare `Name` (a bucket's in
/// `list-buckets`, a resource's display name elsewhere, as a `Name` column header).
fn query_column_field(expr: &[u8], cmd: &[u8]) -> Option<Field> {
    let x = strip_pick(expr.trim_ascii());
    if let Some(parent) = x
        .strip_suffix(b"Value")
        .and_then(|r| r.trim_ascii_end().strip_suffix(b"."))
    {
        if let Some(key) = tag_filter_key(parent) {
            return tag_field(&key);
        }
    }
    let n = x
        .iter()
        .rev()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_')
        .count();
    if n == 0 {
        return None;
    }
    let (parent, field) = x.split_at(x.len() - n);
    let parent = parent.trim_ascii_end();
    if !(parent.is_empty() || parent.ends_with(b".")) {
        return None;
    }
    let key = norm_key(field);
    if let Some(f) = TABLE.get(&key).or_else(|| aws::field_table().get(&key)) {
        return Some(*f);
    }
    if key != "name" {
        return None;
    }
    let list = if parent.is_empty() {
        None
    } else {
        // `SecretList[].Name`: the name of each item of a list, not a property's (`State.Name`)
        let list = projected_list(parent)?;
        if UNNAMED_LISTS.contains(&norm_key(list).as_str()) {
            return None;
        }
        Some(list)
    };
    if memmem::find(cmd, b"list-buckets").is_some() || list == Some(b"Buckets".as_slice()) {
        aws::field_table().get("bucket").copied()
    } else {
        column_field(field)
    }
}

/// Lists whose items' `Name` is not a name their owner chose: a metric's dimensions and
/// statistics, a queue's or a resource's attributes, a filter's keys, images (most listings
/// are public images), instance types, services and regions AWS names.
const UNNAMED_LISTS: &[&str] = &[
    "dimensions",
    "attributes",
    "filters",
    "images",
    "instancetypes",
    "services",
    "regions",
    "availabilityzones",
    "metrics",
    "statistics",
    "datapoints",
    "tags",
];

/// The list a path projects before its last field: `SecretList` in `SecretList[].`,
/// `Instances` in `Reservations[].Instances[?State.Name=='running'].`, `Items` in `Items[0].`;
/// `None` when the path does not end with a projection or an index.
fn projected_list(parent: &[u8]) -> Option<&[u8]> {
    let p = parent.strip_suffix(b".")?.trim_ascii_end();
    if !p.ends_with(b"]") {
        return None;
    }
    // the `[` that opens the last bracket (filters may nest brackets)
    let mut depth = 0usize;
    let mut open = None;
    for i in (0..p.len()).rev() {
        match p[i] {
            b']' => depth += 1,
            b'[' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    open = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let before = p[..open?].trim_ascii_end();
    let n = before
        .iter()
        .rev()
        .take_while(|&&c| c.is_ascii_alphanumeric() || c == b'_')
        .count();
    (n > 0).then(|| &before[before.len() - n..])
}

/// One column a multi-select prints: the key that heads it in a table (a hash's), and what its
/// cells are when its expression ends with a known field.
struct QueryColumn<'a> {
    key: Option<&'a [u8]>,
    field: Option<Field>,
}

/// The columns of the multi-select list (`[a, b]`) or hash (`{K: a, L: b}`) a `--query`
/// expression ends with, in the order text output prints them (a hash's sorted by key), and
/// whether it is a hash; `None` for another expression or fewer than two columns.
fn query_columns<'a>(expr: &'a [u8], cmd: &[u8]) -> Option<(Vec<QueryColumn<'a>>, bool)> {
    selection(expr, cmd).filter(|(columns, _)| columns.len() >= 2)
}

/// The field of a `--query` that selects one value an item: a path (`KeyPairs[].KeyName`,
/// `DBInstances[0].DBInstanceIdentifier`) or a one-column multi-select (`Users[].[UserName]`,
/// `Functions[].{N: FunctionName}`); `None` for a function, a filter or several columns.
fn single_field(expr: &[u8], cmd: &[u8]) -> Option<Field> {
    let expr = expr.trim_ascii();
    expr_depths(expr)?;
    match selection(expr, cmd) {
        Some((columns, _)) if columns.len() == 1 => columns[0].field,
        Some(_) => None,
        None => query_column_field(expr, cmd),
    }
}

/// The columns of the multi-select an expression ends with ([`query_columns`]), one or more.
fn selection<'a>(expr: &'a [u8], cmd: &[u8]) -> Option<(Vec<QueryColumn<'a>>, bool)> {
    let expr = expr.trim_ascii();
    let depths = expr_depths(expr)?;
    let last = expr.len().checked_sub(1)?;
    let hash = match expr[last] {
        b']' => false,
        b'}' => true,
        _ => return None,
    };
    // the bracket it closes: the last one opened at depth 0
    let open = (0..last)
        .rev()
        .find(|&i| depths[i] == Some(0) && matches!(expr[i], b'[' | b'{' | b'('))?;
    if expr[open] != if hash { b'{' } else { b'[' } {
        return None;
    }
    let before = expr[..open].trim_ascii_end();
    if !(before.is_empty() || before.ends_with(b".") || before.ends_with(b"|")) {
        return None;
    }
    let mut columns = Vec::new();
    let mut a = open + 1;
    for i in open + 1..=last {
        if i < last && !(depths[i] == Some(1) && expr[i] == b',') {
            continue;
        }
        let start = a;
        let item = &expr[start..i];
        a = i + 1;
        let (key, sub) = if hash {
            let colon =
                (0..item.len()).find(|&k| depths[start + k] == Some(1) && item[k] == b':')?;
            let key = item[..colon].trim_ascii();
            let key = key
                .strip_prefix(b"\"")
                .and_then(|k| k.strip_suffix(b"\""))
                .unwrap_or(key);
            if key.is_empty() {
                return None;
            }
            (Some(key), &item[colon + 1..])
        } else {
            (None, item)
        };
        if sub.trim_ascii().is_empty() || sub.trim_ascii_start().starts_with(b"?") {
            return None;
        }
        columns.push(QueryColumn {
            key,
            field: query_column_field(sub, cmd),
        });
    }
    if hash {
        columns.sort_by(|x, y| x.key.cmp(&y.key));
    }
    Some((columns, hash))
}

/// The line of CLI output that starts at `i`: its end, and where the next one starts (`None`
/// at the end of the JSON string or of `limit`).
fn output_line(data: &[u8], i: usize, limit: usize, json: bool) -> (usize, Option<usize>) {
    for k in i..limit {
        match mark_at(data, k, json) {
            Mark::Break { len, .. } => return (k, Some(k + len)),
            Mark::StringEnd => return (k, None),
            Mark::Other => {}
        }
    }
    (limit, None)
}

/// The lines of CLI output from `i` on, as (start, end): up to the end of the JSON string it
/// sits in, or [`TABLE_REACH`] bytes.
fn output_lines(data: &[u8], i: usize, json: bool) -> impl Iterator<Item = (usize, usize)> + '_ {
    let limit = data.len().min(i + TABLE_REACH);
    let mut at = Some(i);
    std::iter::from_fn(move || {
        let start = at?;
        let (end, next) = output_line(data, start, limit, json);
        at = next;
        Some((start, end))
    })
}

/// The cells of a line of `--output text`: spans between tabs (raw or `\t` escapes).
fn tab_cells(data: &[u8], a: usize, b: usize) -> Vec<(usize, usize)> {
    let mut cells = Vec::new();
    let (mut cs, mut k) = (a, a);
    while k < b {
        match data[k] {
            b'\t' => {
                cells.push((cs, k));
                k += 1;
                cs = k;
            }
            b'\\' if k + 1 < b && data[k + 1] == b't' => {
                cells.push((cs, k));
                k += 2;
                cs = k;
            }
            // another escape: its second byte is text
            b'\\' => k += 2,
            _ => k += 1,
        }
    }
    cells.push((cs, b));
    cells
}

/// The findings of the cell `a..b` of a column holding `field`: names are validated as the
/// field's values, and cells that are no names (`None`, numbers, dates, states such as
/// `running`, upper-case labels, ids) are left.
fn query_cell(data: &[u8], a: usize, b: usize, field: &Field) -> Vec<Finding> {
    let tok = &data[a..b];
    if tok.is_empty()
        || ([DB, IAM, RES, BUCKET].contains(&field.rtype) && (echo_skip(tok) || id_like(tok)))
    {
        return Vec::new();
    }
    (field.validate)(data, &Value::bare(a, b), field.rtype).unwrap_or_default()
}

/// Whether the header row `cells` is one the table header rule of [`names`](super::names)
/// decides: it takes the columns whose header names a field itself.
fn header_rule_reads(data: &[u8], cells: &[(usize, usize)]) -> bool {
    cells.iter().enumerate().all(|(i, &(a, b))| {
        let cell = &data[a..b];
        cell.len() >= if i < 2 { 2 } else { 1 }
            && cell[0].is_ascii_alphabetic()
            && cell.iter().all(u8::is_ascii_alphanumeric)
    })
}

/// The findings in the rows of `--output text` from `i` on: the lines with a tab, up to the
/// first without one (a blank line, a prompt, prose). A row with another number of cells than
/// the columns (a nested list printed on rows of its own) is left whole.
fn text_rows(data: &[u8], i: usize, json: bool, columns: &[QueryColumn]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ls, le) in output_lines(data, i, json) {
        let cells = tab_cells(data, ls, le);
        if cells.len() < 2 {
            break;
        }
        if cells.len() == columns.len() {
            for (&(a, b), column) in cells.iter().zip(columns) {
                if let Some(f) = &column.field {
                    out.extend(query_cell(data, a, b, f));
                }
            }
        }
    }
    out
}

/// The findings in the `--output text` of a `--query` that selects one field ([`single_field`])
/// from `i` on: every cell of every line (a list prints on one line, tab-separated; a list of
/// lists, a line each), up to an empty line or one with a blank in a cell (a prompt, prose).
fn single_rows(data: &[u8], i: usize, json: bool, field: &Field) -> Vec<Finding> {
    let mut out = Vec::new();
    for (ls, le) in output_lines(data, i, json) {
        let cells = tab_cells(data, ls, le);
        if le == ls || cells.iter().any(|&(a, b)| a == b || data[a..b].contains(&b' ')) {
            break;
        }
        for &(a, b) in &cells {
            out.extend(query_cell(data, a, b, field));
        }
    }
    out
}

/// The findings in the `--output table` of a `--query` that selects one field from `i` on: a
/// one-column table whose first row is its title (the operation's name) and every other row
/// a value, up to the first line that is no row or rule of such a table.
fn single_table_rows(data: &[u8], i: usize, json: bool, field: &Field) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut title = true;
    for (ls, le) in output_lines(data, i, json) {
        if !table_rule(&data[ls..le]) {
            match table_cells(data, ls, le).as_deref() {
                Some(&[(a, b)]) if title => title = a == b,
                Some(&[(a, b)]) => out.extend(query_cell(data, a, b, field)),
                _ => break,
            }
        }
    }
    out
}

/// The findings in the rows of `--output table` from `i` on, up to the first line that is no
/// row or rule of a table. A list's rows hold its columns in order; a hash's are named by a
/// header row of its keys (sorted), and columns whose key names a field itself are left to
/// the table header rule of [`names`](super::names).
fn table_rows(
    data: &[u8],
    i: usize,
    json: bool,
    columns: &[QueryColumn],
    hash: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut fields: Option<Vec<Option<Field>>> =
        (!hash).then(|| columns.iter().map(|c| c.field).collect());
    for (ls, le) in output_lines(data, i, json) {
        if !table_rule(&data[ls..le]) {
            let Some(cells) = table_cells(data, ls, le) else {
                break;
            };
            let keys: Option<Vec<&QueryColumn>> = if hash && cells.len() >= 2 {
                cells
                    .iter()
                    .map(|&(a, b)| columns.iter().find(|c| c.key == Some(&data[a..b])))
                    .collect()
            } else {
                None
            };
            if let Some(keys) = keys {
                // a header row: its keys name the columns below
                let decided = header_rule_reads(data, &cells);
                fields = Some(
                    keys.iter()
                        .zip(&cells)
                        .map(|(c, &(a, b))| {
                            c.field
                                .filter(|_| !(decided && column_field(&data[a..b]).is_some()))
                        })
                        .collect(),
                );
            } else if let Some(fs) = fields.as_ref().filter(|fs| fs.len() == cells.len()) {
                for (&(a, b), f) in cells.iter().zip(fs) {
                    if let Some(f) = f {
                        out.extend(query_cell(data, a, b, f));
                    }
                }
            }
        }
    }
    out
}

/// `aws … --query '<multi-select>' --output text|table`: the cells of each row it printed whose
/// column's expression ends with a known field are validated as that field's values; the
/// output of a `--query` that selects one field has every value validated as that field's. The rows
/// start on the line after the command, or in the tool result of the tool use that ran it.
/// Scanning resumes after the flag: the rest of the command and the rows are scanned as usual.
fn check_query_columns(data: &[u8], s: usize, e: usize) -> CheckResult {
    let cmd = query_command(data, s, e)?;
    let Some((columns, hash)) = query_columns(cmd.expr, cmd.text) else {
        let field = single_field(cmd.expr, cmd.text)?;
        let found = match cmd.output {
            CliOutput::Text => single_rows(data, cmd.rows, cmd.json, &field),
            CliOutput::Table => single_table_rows(data, cmd.rows, cmd.json, &field),
        };
        return (!found.is_empty()).then_some((found, e));
    };
    if columns.iter().all(|c| c.field.is_none()) {
        return None;
    }
    let found = match cmd.output {
        CliOutput::Text => text_rows(data, cmd.rows, cmd.json, &columns),
        CliOutput::Table => table_rows(data, cmd.rows, cmd.json, &columns, hash),
    };
    (!found.is_empty()).then_some((found, e))
}

/// The rule: a `--query` flag (its separator included), checked by [`check_query_columns`].
pub fn recognizer() -> Recognizer {
    Recognizer::new(
        "names.query_columns",
        r"--query[ =]",
        check_query_columns,
        &[
            DB,
            IAM,
            RES,
            BUCKET,
            OWNER,
            "aws_account_id",
            "aws_kms_key_id",
            "aws_route53_zone_id",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::found_by_names as found;
    use crate::testutil::fresh_name as fresh;

    /// The columns a `--query` expression's multi-select prints, as (key, type) pairs.
    fn columns(expr: &str, cmd: &str) -> Option<Vec<(Option<String>, Option<&'static str>)>> {
        let (cols, _) = query_columns(expr.as_bytes(), cmd.as_bytes())?;
        Some(
            cols.iter()
                .map(|c| {
                    (
                        c.key.map(|k| String::from_utf8_lossy(k).into_owned()),
                        c.field.map(|f| f.rtype),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn query_column_expressions() {
        let types = |expr: &str| -> Option<Vec<Option<&'static str>>> {
            Some(
                columns(expr, "aws x")?
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect(),
            )
        };
        // a list in order, with or without spaces, after nested projections and filters
        for expr in [
            "Reservations[].Instances[].[InstanceId,KeyName,Tags[?Key==`Name`]|[0].Value]",
            "Reservations[*].Instances[*].[ InstanceId , KeyName , Tags[?Key=='Name'].Value | [0] ]",
            "Reservations[].Instances[?State.Name=='running'][].[InstanceId, KeyName, Tags[?Key == `\"Name\"`].Value|[0]]",
            // inside a JSON string, backticks escaped for the shell's double quotes
            r"Reservations[].Instances[].[InstanceId,KeyName,Tags[?Key==\\`Name\\`]|[0].Value]",
        ] {
            assert_eq!(types(expr), Some(vec![None, Some(RES), Some(RES)]), "{expr}");
        }
        // a hash sorted by key, as text output prints it; table headers carry the keys
        assert_eq!(
            columns(
                "DBInstances[].{Name:DBInstanceIdentifier,Class:DBInstanceClass,Acct:OwnerId}",
                "aws x"
            ),
            Some(vec![
                (Some("Acct".into()), Some("aws_account_id")),
                (Some("Class".into()), None),
                (Some("Name".into()), Some(DB)),
            ])
        );
        assert_eq!(
            types("Reservations[].Instances[].{ \"Key Pair\": KeyName, Owner: Tags[?Key==`CreatedBy`].Value|[0], Zone: Placement.AvailabilityZone}"),
            Some(vec![Some(RES), Some(OWNER), None])
        );
        // the field tables of the JSON rules, nested fields, a bare `Name`
        assert_eq!(
            types("Roles[].[RoleName, Arn, RoleLastUsed.Region, Name, State.Name]"),
            Some(vec![Some(IAM), None, None, Some(RES), None])
        );
        assert_eq!(
            columns("Buckets[].[Name,CreationDate]", "aws s3api list-buckets")
                .map(|c| c.into_iter().map(|(_, t)| t).collect::<Vec<_>>()),
            Some(vec![Some(BUCKET), None])
        );
        // functions, another tag, a filter that is no tag's
        assert_eq!(
            types("Functions[].[to_string(FunctionName), Tags[?Key==`Team`].Value|[0], Items[?Id==`Name`].Value]"),
            Some(vec![None, None, None])
        );
        // no multi-select at the end, a single column, unbalanced brackets
        for expr in [
            "KeyPairs[].KeyName",
            "KeyPairs[].[KeyName]",
            "sort_by(Reservations[].Instances[].{K: KeyName, I: InstanceId}, &K)",
            "Reservations[].Instances[].[InstanceId, KeyName] | length(@)",
            "Reservations[].Instances[].[InstanceId, KeyName",
            "Reservations[?Key==`a,b`]",
        ] {
            assert_eq!(types(expr), None, "{expr}");
        }
    }

    #[test]
    fn a_name_after_a_projection_is_the_items_name() {
        let ty = |expr: &str, cmd: &str| {
            single_field(expr.as_bytes(), cmd.as_bytes()).map(|f| f.rtype)
        };
        for expr in [
            "SecretList[].Name",
            "SecretList[*].Name",
            "Parameters[?Type=='SecureString'].Name",
            "Reservations[].Instances[?Tags[?Key=='a']].Name",
            "Rules[0].Name",
            "items[].name",
        ] {
            assert_eq!(ty(expr, "aws x"), Some(RES), "{expr}");
        }
        assert_eq!(ty("Buckets[].Name", "aws s3api list-buckets"), Some(BUCKET));
        assert_eq!(ty("Buckets[].Name", "aws x"), Some(BUCKET));
        // a property's name, lists whose items AWS names, no list at all
        for expr in [
            "Reservations[].Instances[].State.Name",
            "Images[].Name",
            "Metrics[].Dimensions[].Name",
            "Regions[].Name",
            "SecretList].Name",
            "[].Name",
            "SecretList[.Name",
        ] {
            assert_eq!(ty(expr, "aws x"), None, "{expr}");
        }
    }

    #[test]
    fn query_column_rows() {
        let (k1, k2, n1) = (fresh(31), fresh(32), fresh(33));
        let query =
            "'Reservations[].Instances[].[InstanceId,KeyName,Tags[?Key==`Name`]|[0].Value]'";
        let want = vec![(RES, k1.clone()), (RES, n1.clone()), (RES, k2.clone())];
        // raw, `--query=`, before `--output`, over a continued line
        for cmd in [
            format!("$ aws ec2 describe-instances --query {query} --output text"),
            format!("$ aws ec2 describe-instances --output=text --query={query}"),
            format!("$ aws ec2 describe-instances \\\n    --query {query} \\\n    --output text"),
        ] {
            let text = format!(
                "{cmd}\ni-0a1b2c3d4e5f60718\t{k1}\t{n1}\ni-0f1e2d3c4b5a69788\t{k2}\tNone\n\n"
            );
            assert_eq!(found(&text), want, "{text}");
        }
        // in a JSON string: escaped line breaks and tabs, a continued line as `\\` and `\n`
        let text = format!(
            r#"{{"text": "$ aws ec2 describe-instances \\\n --query {query} --output text\ni-0a1b2c3d4e5f60718\t{k1}\t{n1}\ni-0f1e2d3c4b5a69788\t{k2}\tNone\n"}}"#
        );
        assert_eq!(found(&text), want, "{text}");
        // a tool use's command, its rows in the tool result with its id (a text block)
        let text = format!(
            r#"{{"type": "tool_use", "id": "toolu_01Ab", "name": "Bash", "input": {{"command": "aws ec2 describe-instances --query \"Reservations[].Instances[].{{I: InstanceId, K: KeyName, N: Tags[?Key=='Name'].Value|[0]}}\" --output text"}}}}]}}, {{"role": "user", "content": [{{"type": "tool_result", "tool_use_id": "toolu_01Ab", "content": [{{"type": "text", "text": "i-0a1b2c3d4e5f60718\t{k1}\t{n1}\ni-0f1e2d3c4b5a69788\t{k2}\tNone\n"}}]}}"#
        );
        assert_eq!(found(&text), want, "{text}");
        // a row with another number of cells is left whole (fail safe); the rows after it stay
        // rows of the command
        let text = format!(
            "$ aws ec2 describe-instances --query {query} --output text\ni-0a1b2c3d4e5f60718\t{k1}\ni-0f1e2d3c4b5a69788\t{k2}\t{n1}\n"
        );
        assert_eq!(found(&text), [(RES, k2.clone()), (RES, n1.clone())]);
        // `--output table`: a list's rows in order, a hash's named by its header of keys
        let text = format!(
            "$ aws ec2 describe-instances --query {query} --output table\n-------------------\n|DescribeInstances|\n+-----+-----+-----+\n|  i-0a1b2c3d4e5f60718 |  {k1}  |  {n1}  |\n|  i-0f1e2d3c4b5a69788 |  {k2}  |  None  |\n+-----+-----+-----+\n"
        );
        assert_eq!(found(&text), want, "{text}");
        let text = format!(
            "$ aws ec2 describe-instances --query 'Reservations[].Instances[].{{Zz:InstanceId,Aa:KeyName,Mm:Tags[?Key==`Name`]|[0].Value}}' --output table\n|DescribeInstances|\n+-----+-----+-----+\n||  Aa  |  Mm  |  Zz  ||\n+-----+-----+-----+\n||  {k1}  |  {n1}  |  i-0a1b2c3d4e5f60718  ||\n||  {k2}  |  None  |  i-0f1e2d3c4b5a69788  ||\n+-----+-----+-----+\n"
        );
        assert_eq!(found(&text), want, "{text}");
    }

    #[test]
    fn query_column_near_misses() {
        let (k1, n1) = (fresh(34), fresh(35));
        let query = "'Reservations[].Instances[].[KeyName,Tags[?Key==`Name`]|[0].Value]'";
        for text in [
            // no text or table output, or not the AWS CLI
            format!("$ aws ec2 describe-instances --query {query}\n{k1}\t{n1}\n"),
            format!("$ aws ec2 describe-instances --query {query} --output json\n{k1}\t{n1}\n"),
            format!("$ az vm list --query {query} --output text\n{k1}\t{n1}\n"),
            // rows end at a blank line, a line without a tab (prose, a prompt)
            format!("$ aws ec2 describe-instances --query {query} --output text\n\n{k1}\t{n1}\n"),
            format!("$ aws ec2 describe-instances --query {query} --output text\nDone.\n{k1}\t{n1}\n"),
            // two commands on one line print their outputs one after the other
            format!("$ aws sts get-caller-identity --output text && aws ec2 describe-instances --query {query} --output text\n{k1}\t{n1}\n"),
            format!("$ aws ec2 describe-instances --query {query} --output text; aws s3 ls\n{k1}\t{n1}\n"),
            // the flag of a later line's command, the tool result of another tool use
            format!("$ aws ec2 describe-instances --output text\nls --query {query}\n{k1}\t{n1}\n"),
            format!(
                r#"{{"type": "tool_use", "id": "toolu_01Ab", "input": {{"command": "aws ec2 describe-instances --query {query} --output text"}}}}, {{"type": "tool_result", "tool_use_id": "toolu_01Xy", "content": "{k1}\t{n1}\n"}}"#
            ),
            // a table hash's rows before its header, cells that are no names
            format!(
                "$ aws ec2 describe-instances --query 'Reservations[].Instances[].{{K:KeyName,N:Tags[?Key==`Name`]|[0].Value}}' --output table\n||  {k1}  |  {n1}  ||\n||  K  |  N  ||\n+---+---+\n||  None  |  2026-01-02T10:00:00Z  ||\n||  12345  |  running  ||\n"
            ),
        ] {
            assert_eq!(found(&text), [], "{text}");
        }
    }

    /// A key pair or `Name` tag a `--query` column gave away is masked wherever it recurs in the
    /// body: in prose before and after the rows.
    #[test]
    fn query_column_values_are_masked_where_they_recur() {
        use crate::engine::{BodyKind, Engine, Rules};
        let (key, name) = (fresh(36), fresh(37));
        let rules = Rules {
            known_values: 100,
            known_bytes: 1 << 16,
            ..Rules::default()
        };
        let engine = Engine::new(&[7; 32], &rules).expect("engine");
        let body = format!(
            r#"{{"messages": [{{"role": "user", "content": "why does {key} fail on {name}?"}}, {{"role": "user", "content": "$ aws ec2 describe-instances --query 'Reservations[].Instances[].[InstanceId,KeyName,Tags[?Key==`Name`]|[0].Value]' --output text\ni-0a1b2c3d4e5f60718\t{key}\t{name}\n\nrotate {key}, then restart {name}"}}]}}"#
        );
        let masked = engine
            .mask(body.as_bytes(), BodyKind::Messages)
            .expect("masked");
        let out = String::from_utf8(masked.body).expect("utf-8");
        assert!(!out.contains(&key) && !out.contains(&name), "{out}");
        assert_eq!(masked.counts.get(RES), Some(&6));
    }
}
