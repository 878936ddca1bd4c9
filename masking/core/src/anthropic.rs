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
const OPAQUE_FIELDS: &[&[u8]] =
    &[b"signature", b"data", b"id", b"thinking", b"cache_control", b"citations", b"caller"];

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
                return if key == Some(b"content") { (Mode::Mask, tag::CONTENT) } else { FREE };
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
