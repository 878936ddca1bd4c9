//! The tool result of a tool call, found from the call's command in a raw Messages body.
//!
//! An agent runs a command as a tool call (`{"type": "tool_use", "id": "toolu_…", "input":
//! {"command": "…"}}`) and the command's output comes back later in the request, in the tool
//! result with that id (`{"type": "tool_result", "tool_use_id": "toolu_…", "content": …}`).
//! Rules that read a command's output (the rows a `--query` prints, a secret a command prints
//! bare) find it here: on the raw bytes, without parsing the body, within bounded reaches.

use memchr::memmem;

use super::base::enclosing_brace;

/// How far left of a command its `"command"` key, the call's `input` and the call may start.
const CALL_REACH: usize = 4096;
/// How far after a tool call its result is looked for.
const RESULT_REACH: usize = 256 * 1024;
/// How far past a result's start (or its id) its `content` is looked for.
const CONTENT_REACH: usize = 4096;
/// How far past `"content"` the text of its first text block is looked for.
const TEXT_REACH: usize = 512;
/// A tool call's id is at most this long.
const MAX_ID: usize = 128;

/// The JSON string value after the key ending at `i` (`"key"`, blanks, `:`, blanks, `"`):
/// where its text starts.
fn string_after_key(data: &[u8], i: usize) -> Option<usize> {
    let blank = |k: &usize| data.get(*k).is_some_and(|c| c.is_ascii_whitespace());
    let colon = (i..).find(|k| !blank(k))?;
    if data.get(colon) != Some(&b':') {
        return None;
    }
    let quote = (colon + 1..).find(|k| !blank(k))?;
    (data.get(quote) == Some(&b'"')).then_some(quote + 1)
}

/// The id of the tool call whose `input` object starts at `input`: the `"id"` of the object
/// around it, written before its input (as the API writes it).
fn call_id(data: &[u8], input: usize) -> Option<&[u8]> {
    let call = enclosing_brace(data, input, CALL_REACH)?;
    let at = memmem::find(&data[call..input], b"\"id\"")? + call + b"\"id\"".len();
    let a = string_after_key(data, at)?;
    let len = data[a..data.len().min(a + MAX_ID + 1)]
        .iter()
        .position(|&c| c == b'"' || c == b'\\')?;
    (len > 0 && data[a + len] == b'"').then(|| &data[a..a + len])
}

/// Where the text of the tool result for the call `id` starts, looked for from `from` on: the
/// `content` of the object whose `tool_use_id` is `id`, when a string, else the text of its
/// first text block (`"content": [{"type": "text", "text": "…"}]`).
fn result_text(data: &[u8], id: &[u8], from: usize) -> Option<usize> {
    let key = b"\"tool_use_id\"";
    let hi = data.len().min(from + RESULT_REACH);
    let (at, value) = memmem::find_iter(&data[from..hi], key)
        .map(|i| from + i + key.len())
        .find_map(|i| {
            let v = string_after_key(data, i)?;
            (data[v..].starts_with(id) && data.get(v + id.len()) == Some(&b'"')).then_some((i, v))
        })?;
    // the result object's `content`, before or after its id
    let object = enclosing_brace(data, at, CALL_REACH).unwrap_or(value);
    let lim = data.len().min(value + CONTENT_REACH);
    let content = memmem::find(&data[object..lim], b"\"content\"")? + object + b"\"content\"".len();
    if let Some(text) = string_after_key(data, content) {
        return Some(text);
    }
    let blim = data.len().min(content + TEXT_REACH);
    memmem::find_iter(&data[content..blim], b"\"text\"")
        .find_map(|i| string_after_key(data, content + i + b"\"text\"".len()))
}

/// Where the output of a command starts, when the command is the `command` string of a tool
/// call: `cmd` is where its text starts (just after the string's opening quote), `from` where
/// the tool result is looked for (the command's end). The output is the text of the tool
/// result whose `tool_use_id` is the call's `id`, later in the body; `None` when the command
/// is no tool call's, or its result is not found.
pub fn tool_result_text(data: &[u8], cmd: usize, from: usize) -> Option<usize> {
    let q = cmd.checked_sub(1).filter(|&q| data[q] == b'"')?;
    let head = data[q.saturating_sub(32)..q]
        .trim_ascii_end()
        .strip_suffix(b":")?;
    if !head.trim_ascii_end().ends_with(b"\"command\"") {
        return None;
    }
    let input = enclosing_brace(data, q, CALL_REACH)?;
    let id = call_id(data, input)?;
    result_text(data, id, from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The output found for the command `cmd` in `body` (its first occurrence), as text up to
    /// the next `"`.
    fn output(body: &str, cmd: &str) -> Option<String> {
        let a = body.find(cmd).expect("command in body");
        let at = tool_result_text(body.as_bytes(), a, a + cmd.len())?;
        let len = body[at..].find('"').expect("closing quote");
        Some(body[at..at + len].to_string())
    }

    /// A tool call as the API writes it: its id before its input.
    fn call(id: &str, cmd: &str) -> String {
        let input = format!(r#"{{"command": "{cmd}", "description": "run it"}}"#);
        format!(r#"{{"type": "tool_use", "id": "{id}", "name": "Bash", "input": {input}}}"#)
    }

    /// A tool result; `content` is JSON (a string or a list of blocks).
    fn result(id: &str, content: &str) -> String {
        format!(r#"{{"type": "tool_result", "tool_use_id": "{id}", "content": {content}}}"#)
    }

    /// A turn of tool calls, then the user's turn of their results.
    fn turns(calls: &[String], results: &[String]) -> String {
        format!(
            r#"{{"role": "assistant", "content": [{}]}}, {{"role": "user", "content": [{}]}}"#,
            calls.join(", "),
            results.join(", ")
        )
    }

    #[test]
    fn plain_string_content() {
        let body = turns(
            &[call("toolu_01Pq", "make lint")],
            &[result("toolu_01Pq", r#""out-9\n""#)],
        );
        assert_eq!(output(&body, "make lint").as_deref(), Some(r"out-9\n"));
        // the API's compact form, and `content` before the id
        let body = body.replace(": ", ":").replace(", ", ",");
        assert_eq!(output(&body, "make lint").as_deref(), Some(r"out-9\n"));
        let body = r#"{"type":"tool_use","id":"t-1","input":{"command":"ls"}},"#.to_string()
            + r#"{"content":"a.txt","tool_use_id":"t-1"}"#;
        assert_eq!(output(&body, "ls").as_deref(), Some("a.txt"));
    }

    #[test]
    fn text_block_content() {
        let blocks = r#"[{"type": "text", "text": "row-1\trow-2"}], "is_error": false"#;
        let body = turns(
            &[call("toolu_01Tb", "cat rows")],
            &[result("toolu_01Tb", blocks)],
        );
        assert_eq!(output(&body, "cat rows").as_deref(), Some(r"row-1\trow-2"));
    }

    #[test]
    fn parallel_calls_answered_in_another_order() {
        let calls = [
            call("toolu_01", "echo one"),
            call("toolu_02", "echo two"),
            call("toolu_03", "echo three"),
        ];
        let results = [
            result("toolu_03", r#""third""#),
            result("toolu_01", r#"[{"type": "text", "text": "first"}]"#),
            result("toolu_02", r#""second""#),
        ];
        let body = turns(&calls, &results);
        assert_eq!(output(&body, "echo one").as_deref(), Some("first"));
        assert_eq!(output(&body, "echo two").as_deref(), Some("second"));
        assert_eq!(output(&body, "echo three").as_deref(), Some("third"));
        // an id that only starts like another call's is not that call's
        let body = body.replace(
            r#""tool_use_id": "toolu_01""#,
            r#""tool_use_id": "toolu_011""#,
        );
        assert_eq!(output(&body, "echo one"), None);
    }

    #[test]
    fn no_result() {
        // the result not sent yet, the result of another call only, a result without content
        let calls = [call("toolu_01Nr", "make test")];
        for results in [
            vec![],
            vec![result("toolu_01Xx", r#""other""#)],
            vec![r#"{"type": "tool_result", "tool_use_id": "toolu_01Nr"}"#.to_string()],
        ] {
            let body = turns(&calls, &results);
            assert_eq!(output(&body, "make test"), None, "{body}");
        }
    }

    #[test]
    fn command_not_in_a_tool_call() {
        let result = result("toolu_01Cx", r#""out""#);
        for head in [
            // another key, prose, a command quoted in a text (escaped quotes)
            r#"{"type": "tool_use", "id": "toolu_01Cx", "input": {"script": "make all"}}"#,
            r#"{"type": "text", "text": "run make all"}"#,
            r#"{"type": "text", "text": "the input was \"command\": \"make all\""}"#,
            // a `command` key with no call id around it
            r#"{"input": {"command": "make all"}}"#,
        ] {
            let body = format!("{head}, {result}");
            assert_eq!(output(&body, "make all"), None, "{body}");
        }
    }
}
