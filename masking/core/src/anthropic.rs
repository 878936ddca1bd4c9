//! Which parts of an Anthropic Messages request are masked and which pass byte for byte.
//!
//! The request table of `ANTHROPIC-API.md` as a [`Policy`] (a port of
//! `masking/anthropic_request.py`). Text fields are masked; signed and opaque content (thinking
//! blocks and signatures, server-tool blocks, compaction and fallback blocks, citations, image
//! and document data, ids, configuration, the billing line) passes unchanged. A block type not
//! known here is still masked, except its fields named as opaque (DESIGN invariant 1 wins over
//! invariant 8).

use crate::json::{Frame, Mode, Policy, Tag};

/// The start of Claude Code's billing line in `system`: its `cch` hashes the body.
pub const BILLING_PREFIX: &[u8] = b"x-anthropic-billing-header:";

/// Top-level members that pass unchanged (configuration, ids, tokens for the API itself).
const ROOT_OPAQUE: &[&[u8]] = &[
    b"model",
    b"container",
    b"context_management",
    b"diagnostics",
    b"fallback_credit_token",
    b"output_config",
    b"thinking",
    b"cache_control",
    b"service_tier",
];

/// Content blocks passed whole: the API signed, encrypted or already ran them.
const OPAQUE_BLOCKS: &[&[u8]] = &[
    b"thinking",
    b"redacted_thinking",
    b"server_tool_use",
    b"mcp_tool_use",
    b"compaction",
    b"fallback",
    b"web_search_tool_result",
    b"web_fetch_tool_result",
    b"code_execution_tool_result",
    b"bash_code_execution_tool_result",
    b"text_editor_code_execution_tool_result",
    b"tool_search_tool_result",
    b"advisor_tool_result",
];

/// Block members that are opaque in any block type, known or not (besides `*_id` and
/// `encrypted_*`).
const OPAQUE_FIELDS: &[&[u8]] = &[
    b"signature",
    b"data",
    b"id",
    b"thinking",
    b"cache_control",
    b"citations",
    b"caller",
];

/// Blocks whose `name` is a tool's name (opaque).
const NAMED_BLOCKS: &[&[u8]] = &[b"tool_use", b"mcp_tool_result", b"tool_reference"];

/// What a container holds (frame tags).
mod tag {
    use crate::json::Tag;
    /// An opaque container's tag (never asked about).
    pub const NONE: Tag = Tag(0);
    pub const ROOT: Tag = Tag(1);
    pub const SYSTEM: Tag = Tag(2);
    pub const MESSAGES: Tag = Tag(3);
    pub const MESSAGE: Tag = Tag(4);
    pub const CONTENT: Tag = Tag(5);
    pub const BLOCK: Tag = Tag(6);
    pub const SYSTEM_BLOCK: Tag = Tag(7);
    pub const SOURCE: Tag = Tag(8);
    pub const TOOLS: Tag = Tag(9);
    pub const TOOL: Tag = Tag(10);
    /// Free text and data: every string masked, at any depth.
    pub const FREE: Tag = Tag(11);
    pub const METADATA: Tag = Tag(12);
    pub const MCP_SERVERS: Tag = Tag(13);
    pub const MCP_SERVER: Tag = Tag(14);
    pub const TOOL_CHOICE: Tag = Tag(15);
}

const OPAQUE: (Mode, Tag) = (Mode::Opaque, tag::NONE);
const FREE: (Mode, Tag) = (Mode::Mask, tag::FREE);

fn is_in(key: Option<&[u8]>, set: &[&[u8]]) -> bool {
    key.is_some_and(|k| set.contains(&k))
}

/// A block member that is opaque whatever the block's type.
fn opaque_field(key: &[u8]) -> bool {
    OPAQUE_FIELDS.contains(&key) || key.ends_with(b"_id") || key.starts_with(b"encrypted_")
}

/// Whether member `key` of an object with a `type` (`block_type`: the message itself when
/// `root`, else a content block) is opaque in a whole JSON reply: the same table as for
/// requests, read for restoring (a reply's text and tool input are restored; its signed,
/// encrypted and server content and its ids pass). An object with no `type` is no API block:
/// nothing in it is opaque by name (other JSON keeps every string restored).
pub(crate) fn opaque_in_reply(root: bool, block_type: Option<&[u8]>, key: &[u8]) -> bool {
    block_type.is_some()
        && (is_in(block_type, OPAQUE_BLOCKS)
            || opaque_field(key)
            || (root && ROOT_OPAQUE.contains(&key)))
}

/// The policy for `POST /v1/messages` and `/v1/messages/count_tokens` bodies.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessagesPolicy;

impl MessagesPolicy {
    /// A member of a content block (or of a system text block).
    fn block_member(block: &Frame<'_>, is_container: bool) -> (Mode, Tag) {
        let key = block.key.unwrap_or(b"");
        let block_type = block.block_type;
        if is_in(block_type, OPAQUE_BLOCKS) || key == b"type" || opaque_field(key) {
            return OPAQUE;
        }
        if (key == b"name" && is_in(block_type, NAMED_BLOCKS)) || key == b"server_name" {
            return OPAQUE;
        }
        match key {
            b"source" => (Mode::Mask, tag::SOURCE),
            b"content" if is_container => (Mode::Mask, tag::CONTENT),
            b"text" if block.tag == tag::SYSTEM_BLOCK && !is_container => (Mode::Hold, tag::NONE),
            b"title" if block_type == Some(b"search_result") => OPAQUE,
            _ => FREE,
        }
    }

    /// A member of a block's `source`: its data is opaque unless it is a text-type document.
    fn source_member(source: &Frame<'_>) -> (Mode, Tag) {
        let key = source.key;
        if is_in(key, &[b"data", b"content"]) {
            if is_in(source.block_type, &[b"text", b"content"]) {
                return if key == Some(b"content") {
                    (Mode::Mask, tag::CONTENT)
                } else {
                    FREE
                };
            }
            return OPAQUE;
        }
        if is_in(key, &[b"type", b"media_type", b"url", b"file_id"]) {
            return OPAQUE;
        }
        FREE
    }
}

impl Policy for MessagesPolicy {
    fn value_mode(&self, parent: Option<&Frame<'_>>, is_container: bool) -> (Mode, Tag) {
        let Some(parent) = parent else {
            return (Mode::Mask, tag::ROOT);
        };
        if parent.mode == Mode::Opaque {
            return OPAQUE;
        }
        let key = parent.key;
        let opaque_if = |opaque: bool| if opaque { OPAQUE } else { FREE };
        match parent.tag {
            tag::ROOT => match key.unwrap_or(b"") {
                k if ROOT_OPAQUE.contains(&k) => OPAQUE,
                b"system" if is_container => (Mode::Mask, tag::SYSTEM),
                b"system" => (Mode::Hold, tag::NONE),
                b"messages" => (Mode::Mask, tag::MESSAGES),
                b"tools" => (Mode::Mask, tag::TOOLS),
                b"metadata" => (Mode::Mask, tag::METADATA),
                b"mcp_servers" => (Mode::Mask, tag::MCP_SERVERS),
                b"tool_choice" => (Mode::Mask, tag::TOOL_CHOICE),
                _ => FREE,
            },
            tag::MESSAGES => (Mode::Mask, tag::MESSAGE),
            tag::MESSAGE if key == Some(b"content") => (Mode::Mask, tag::CONTENT),
            tag::CONTENT => (Mode::Mask, tag::BLOCK),
            tag::SYSTEM => (Mode::Mask, tag::SYSTEM_BLOCK),
            tag::BLOCK | tag::SYSTEM_BLOCK => Self::block_member(parent, is_container),
            tag::SOURCE => Self::source_member(parent),
            tag::TOOLS => (Mode::Mask, tag::TOOL),
            tag::TOOL => opaque_if(is_in(key, &[b"name", b"type", b"cache_control"])),
            tag::METADATA => opaque_if(key == Some(b"user_id")),
            tag::MCP_SERVERS => (Mode::Mask, tag::MCP_SERVER),
            tag::MCP_SERVER => opaque_if(is_in(key, &[b"authorization_token", b"name", b"type"])),
            tag::TOOL_CHOICE => opaque_if(is_in(key, &[b"type", b"name"])),
            _ => FREE,
        }
    }

    fn is_uniform(&self, mode: Mode, tag: Tag) -> bool {
        mode == Mode::Opaque || tag == tag::FREE
    }

    fn hold_prefix(&self, _parent: Option<&Frame<'_>>) -> &'static [u8] {
        BILLING_PREFIX
    }

    fn wants_type(&self, tag: Tag) -> bool {
        matches!(tag, tag::BLOCK | tag::SYSTEM_BLOCK | tag::SOURCE)
    }
}

/// `/v1/messages` and `/v1/messages/count_tokens` (query string and trailing slashes ignored).
pub fn is_messages_endpoint(path: &[u8]) -> bool {
    let end = memchr::memchr(b'?', path).unwrap_or(path.len());
    let mut p = &path[..end];
    while let [rest @ .., b'/'] = p {
        p = rest;
    }
    p == b"/v1/messages" || p == b"/v1/messages/count_tokens"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{layout, Layout};

    fn lay(body: &str) -> Layout {
        layout(body.as_bytes(), &MessagesPolicy).expect("valid JSON")
    }

    /// Whether the first occurrence of `needle` in `body` passes byte for byte.
    fn kept(body: &str, needle: &str) -> bool {
        let start = body
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in body"));
        lay(body).opaque_within(start, start + needle.len())
    }

    /// A message body whose one user message holds `blocks`.
    fn message(blocks: &str) -> String {
        format!(r#"{{"model": "m", "messages": [{{"role": "user", "content": [{blocks}]}}]}}"#)
    }

    /// `body` with the whole of `part` one opaque range.
    fn whole(body: &str, part: &str) -> bool {
        let start = body.find(part).expect("part in body");
        lay(body).opaque.contains(&(start, start + part.len()))
    }

    #[test]
    fn top_level_configuration_passes_and_text_is_masked() {
        let body = r#"{"model": "claude-x", "max_tokens": 100, "stream": true,
            "metadata": {"user_id": "user_abc", "note": "NOTE"},
            "container": {"id": "c1"}, "context_management": {"edits": []},
            "diagnostics": {"previous_message_id": "msg_1"}, "fallback_credit_token": "fct",
            "output_config": {"effort": "high"}, "thinking": {"type": "enabled", "budget_tokens": 5},
            "cache_control": {"type": "ephemeral"}, "service_tier": "auto",
            "mcp_servers": [{"type": "url", "name": "srv", "url": "URL", "authorization_token": "tok"}],
            "tool_choice": {"type": "tool", "name": "Bash"},
            "tools": [{"name": "Bash", "type": "custom", "description": "DESC",
                       "input_schema": {"properties": {"x": {"description": "SCHEMA"}}},
                       "cache_control": {"type": "ephemeral"}}],
            "future_option": "FUTURE", "messages": []}"#;
        for opaque in [
            r#""claude-x""#,
            r#""user_abc""#,
            r#"{"id": "c1"}"#,
            r#"{"edits": []}"#,
            r#"{"previous_message_id": "msg_1"}"#,
            r#""fct""#,
            r#"{"effort": "high"}"#,
            r#"{"type": "enabled", "budget_tokens": 5}"#,
            r#""auto""#,
            r#""srv""#,
            r#""tok""#,
            r#""tool""#,
            r#""custom""#,
        ] {
            assert!(whole(body, opaque), "{opaque}");
        }
        assert!(kept(body, "true") && kept(body, r#""url""#) && kept(body, r#""Bash""#));
        for masked in ["NOTE", "URL", "DESC", "SCHEMA", "FUTURE", "100"] {
            assert!(!kept(body, masked), "{masked}");
        }
    }

    #[test]
    fn the_billing_line_passes_and_other_system_text_is_masked() {
        let line = "x-anthropic-billing-header: cc_version=1; cch=abcde;";
        let blocks = format!(
            r#"{{"system": [{{"type": "text", "text": "{line}"}},
                {{"type": "text", "text": "SYSTEM", "cache_control": {{"type": "ephemeral"}}}},
                {{"type": "text", "text": "also x-anthropic-billing-header: later"}}], "messages": []}}"#
        );
        assert!(kept(&blocks, line) && kept(&blocks, r#"{"type": "ephemeral"}"#));
        assert!(!kept(&blocks, "SYSTEM") && !kept(&blocks, "also x-anthropic"));
        let string = format!(r#"{{"system": "{line} rest"}}"#);
        assert!(kept(&string, line));
        assert!(!kept(
            r#"{"system": "You are x-anthropic-billing-header: no"}"#,
            "You"
        ));
        assert!(!kept(r#"{"system": "x-anthropic-billing"}"#, "x-anthropic"));
    }

    #[test]
    fn text_blocks_mask_text_and_keep_citations() {
        let body = message(
            r#"{"type": "text", "text": "TEXT", "citations": [{"type": "char_location",
                "cited_text": "CITED", "encrypted_index": "Eo8B", "file_id": "file_1"}]}"#,
        );
        assert!(!kept(&body, "TEXT"));
        assert!(kept(&body, "CITED") && kept(&body, "Eo8B"));
        assert!(whole(&body, r#""text""#));
    }

    #[test]
    fn tool_use_masks_input_and_keeps_id_name_caller() {
        let body = message(
            r#"{"type": "tool_use", "id": "toolu_01", "name": "Bash", "caller": {"type": "direct"},
                "input": {"command": "CMD", "account": 123456789012, "dry": false}}"#,
        );
        assert!(kept(&body, "toolu_01") && kept(&body, r#""Bash""#) && kept(&body, "direct"));
        assert!(!kept(&body, "CMD") && !kept(&body, "command"));
        // A number is masked where text is (the one change from the Python tracker) ...
        assert!(!kept(&body, "123456789012"));
        // ... and literals still pass.
        assert!(kept(&body, "false"));
    }

    #[test]
    fn tool_results_mask_content_and_keep_ids_references_and_images() {
        let body = message(
            r#"{"type": "tool_result", "tool_use_id": "toolu_01", "is_error": false, "content": [
                {"type": "text", "text": "OUTPUT"},
                {"type": "tool_reference", "tool_name": "t", "name": "REFNAME"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}]},
               {"type": "tool_result", "tool_use_id": "toolu_02", "content": "PLAIN"}"#,
        );
        assert!(kept(&body, "toolu_01") && kept(&body, "toolu_02") && kept(&body, "REFNAME"));
        assert!(kept(&body, "iVBOR") && kept(&body, "image/png") && kept(&body, "base64"));
        assert!(!kept(&body, "OUTPUT") && !kept(&body, "PLAIN"));
    }

    #[test]
    fn mcp_tool_results_mask_content_and_keep_ids_and_names() {
        let body = message(
            r#"{"type": "mcp_tool_result", "tool_use_id": "mcptoolu_1", "server_name": "srv",
                "name": "NAME", "content": [{"type": "text", "text": "THIRD PARTY"}]}"#,
        );
        assert!(kept(&body, "mcptoolu_1") && kept(&body, "srv") && kept(&body, "NAME"));
        assert!(!kept(&body, "THIRD PARTY"));
    }

    #[test]
    fn signed_and_server_blocks_pass_whole() {
        for block_type in OPAQUE_BLOCKS {
            let block_type = std::str::from_utf8(block_type).unwrap();
            let block = format!(
                r#"{{"type": "{block_type}", "thinking": "T", "signature": "S", "content": [
                    {{"type": "text", "text": "INNER", "n": 123456789012}}], "encrypted_content": "E",
                    "encrypted_stdout": "O", "input": {{"q": "Q"}}, "data": "D"}}"#
            );
            let body = message(&block);
            // The block is a content block like any other; once its type is known, every
            // member passes whole.
            for value in [
                block_type,
                "T",
                "S",
                "INNER",
                "123456789012",
                "E",
                "O",
                "Q",
                "D",
            ] {
                assert!(kept(&body, value), "{block_type}: {value}");
            }
            for member in [
                r#"[
                    {"type": "text", "text": "INNER", "n": 123456789012}]"#,
                r#"{"q": "Q"}"#,
            ] {
                assert!(whole(&body, member), "{block_type}: {member}");
            }
        }
    }

    #[test]
    fn thinking_fields_pass_whatever_the_member_order() {
        let body = message(r#"{"signature": "SIG", "thinking": "THOUGHT", "type": "thinking"}"#);
        assert!(kept(&body, "SIG") && kept(&body, "THOUGHT"));
        let body = message(r#"{"data": "ENC", "type": "redacted_thinking"}"#);
        assert!(kept(&body, "ENC"));
    }

    #[test]
    fn sources_keep_data_unless_they_are_text_documents() {
        for source in [
            r#"{"type": "base64", "media_type": "application/pdf", "data": "DATA"}"#,
            r#"{"type": "file", "file_id": "file_011"}"#,
            r#"{"type": "url", "url": "https://example.test/a.png"}"#,
        ] {
            let body = message(&format!(r#"{{"type": "document", "source": {source}}}"#));
            for value in [
                "DATA",
                "file_011",
                "https://example.test/a.png",
                "application/pdf",
            ] {
                if source.contains(value) {
                    assert!(kept(&body, value), "{value}");
                }
            }
        }
        let body = message(
            r#"{"type": "container_upload", "file_id": "file_9"},
               {"type": "document", "title": "TITLE", "source": {"type": "text", "media_type": "text/plain", "data": "DOC"}},
               {"type": "document", "source": {"type": "content", "content": [{"type": "text", "text": "PART"}]}},
               {"type": "document", "source": {"content": "UNTYPED", "type": "text"}}"#,
        );
        assert!(kept(&body, "file_9") && kept(&body, "text/plain"));
        assert!(!kept(&body, "DOC") && !kept(&body, "PART") && !kept(&body, "TITLE"));
        // data before the source's type: taken for opaque data
        assert!(kept(&body, "UNTYPED"));
    }

    #[test]
    fn search_results_mask_content_and_keep_the_title() {
        let body = message(
            r#"{"type": "search_result", "source": "https://s.test", "title": "TITLE",
                "content": [{"type": "text", "text": "FOUND"}]}"#,
        );
        assert!(kept(&body, "TITLE") && !kept(&body, "FOUND"));
    }

    #[test]
    fn unknown_blocks_are_masked_except_opaque_named_fields() {
        let body = message(
            r#"{"type": "future_block", "text": "TEXT", "signature": "SIG", "encrypted_blob": "ENC",
                "widget_id": "WID", "data": "DATA", "id": "ID", "cache_control": {"type": "x"}, "seq_id": 77,
                "nested": {"signature": "NESTED", "n": 42}, "content": [{"type": "text", "text": "INNER"}]}"#,
        );
        for opaque in [
            "future_block",
            "SIG",
            "ENC",
            "WID",
            "DATA",
            r#""ID""#,
            r#""x""#,
        ] {
            assert!(kept(&body, opaque), "{opaque}");
        }
        for masked in ["TEXT", "NESTED", "INNER", "42"] {
            assert!(!kept(&body, masked), "{masked}");
        }
    }

    #[test]
    fn system_role_messages_and_string_content_are_masked() {
        let body = r#"{"messages": [{"role": "system", "content": "SYS"},
            {"role": "user", "content": [{"type": "mid_conv_system", "text": "MID",
              "content": [{"type": "tool_reference", "name": "ToolName"}]}]},
            {"role": "user", "content": "HELLO", "id": "MSGID"}]}"#;
        assert!(!kept(body, "SYS") && !kept(body, "MID") && !kept(body, "HELLO"));
        assert!(kept(body, "ToolName"));
        // a message's own members are not block members
        assert!(!kept(body, "MSGID"));
    }

    #[test]
    fn escaped_keys_and_types_are_compared_raw() {
        // The Python tracker compares raw bytes too; the API would then reject the block.
        let body = message(r#"{"type": "thinkin\u0067", "signatur\u0065": "SIG", "text": "T"}"#);
        assert!(!kept(&body, "SIG") && !kept(&body, r#""T""#));
    }

    #[test]
    fn a_body_that_is_not_an_object_is_masked() {
        let body = r#"[{"model": "m", "text": "T"}]"#;
        assert!(!kept(body, "m\"") && !kept(body, "T"));
    }

    #[test]
    fn deeply_nested_content_blocks_are_classified_without_recursion() {
        let depth = 200_000;
        let mut body = String::from(r#"{"messages": [{"role": "user", "content": "#);
        body += &r#"[{"type": "tool_result", "tool_use_id": "t", "content": "#.repeat(depth);
        body += r#""INNERMOST""#;
        body += &"}]".repeat(depth);
        body += "}]}";
        let layout = lay(&body);
        assert_eq!(layout.opaque.len(), 2 * depth); // each block's type and tool_use_id
        assert!(!kept(&body, "INNERMOST"));
    }

    #[test]
    fn messages_endpoints() {
        for path in [
            &b"/v1/messages"[..],
            b"/v1/messages/",
            b"/v1/messages?beta=true",
            b"/v1/messages/count_tokens",
            b"/v1/messages/count_tokens//?x=/",
        ] {
            assert!(
                is_messages_endpoint(path),
                "{}",
                String::from_utf8_lossy(path)
            );
        }
        for path in [
            &b"/v1/message"[..],
            b"/v1/messages/batches",
            b"/v2/messages",
            b"v1/messages",
            b"",
            b"/?/v1/messages",
        ] {
            assert!(
                !is_messages_endpoint(path),
                "{}",
                String::from_utf8_lossy(path)
            );
        }
    }
}
