"""Which parts of an Anthropic Messages request are masked and which pass byte for byte.

The table in ANTHROPIC-API.md, as a :class:`~masking.json_tracker.JsonPolicy`. Text fields
are masked; signed and opaque content (thinking blocks and signatures, server-tool blocks,
image and document data, ids, the billing line) passes unchanged. A block type not known
here is still masked, except its fields named as opaque (invariant 1 wins).
"""

from __future__ import annotations

from masking.json_tracker import HOLD, MASK, OPAQUE, Frame, JsonPolicy

BILLING_PREFIX = b"x-anthropic-billing-header:"

# Top-level members that pass unchanged (configuration, ids, tokens for the API itself).
_ROOT_OPAQUE = frozenset(
    {
        b"model",
        b"container",
        b"context_management",
        b"diagnostics",
        b"fallback_credit_token",
        b"output_config",
        b"thinking",
        b"cache_control",
        b"service_tier",
    }
)

# Content blocks passed whole: the API signed, encrypted or already ran them.
_OPAQUE_BLOCKS = frozenset(
    {
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
    }
)

# Block members that are opaque in any block type, known or not.
_OPAQUE_FIELDS = frozenset(
    {b"signature", b"data", b"id", b"thinking", b"cache_control", b"citations", b"caller"}
)
_NAMED_BLOCKS = frozenset({b"tool_use", b"mcp_tool_result", b"tool_reference"})

# Frame tags.
ROOT, SYSTEM, MESSAGES, MESSAGE, CONTENT, BLOCK, SYSTEM_BLOCK, SOURCE, TOOLS, TOOL = (
    "root",
    "system",
    "messages",
    "message",
    "content",
    "block",
    "system_block",
    "source",
    "tools",
    "tool",
)
FREE, META, MCP_SERVERS, MCP_SERVER, TOOL_CHOICE = (
    "free",
    "metadata",
    "mcp_servers",
    "mcp_server",
    "tool_choice",
)


def _opaque_field(key: bytes) -> bool:
    return key in _OPAQUE_FIELDS or key.endswith(b"_id") or key.startswith(b"encrypted_")


class MessagesRequestPolicy(JsonPolicy):
    """The policy for ``POST /v1/messages`` and ``/v1/messages/count_tokens`` bodies."""

    def value_mode(self, parent: Frame | None, is_container: bool) -> tuple[int, str]:
        if parent is None:
            return MASK, ROOT
        if parent.mode == OPAQUE:
            return OPAQUE, ""
        tag = parent.tag
        key = parent.key
        if tag == FREE:
            return MASK, FREE
        if tag == ROOT:
            if key in _ROOT_OPAQUE:
                return OPAQUE, ""
            if key == b"system":
                return (MASK, SYSTEM) if is_container else (HOLD, "")
            if key == b"messages":
                return MASK, MESSAGES
            if key == b"tools":
                return MASK, TOOLS
            if key == b"metadata":
                return MASK, META
            if key == b"mcp_servers":
                return MASK, MCP_SERVERS
            if key == b"tool_choice":
                return MASK, TOOL_CHOICE
            return MASK, FREE
        if tag == MESSAGES:
            return MASK, MESSAGE
        if tag == MESSAGE:
            return MASK, CONTENT if key == b"content" else FREE
        if tag == CONTENT:
            return MASK, BLOCK
        if tag == SYSTEM:
            return MASK, SYSTEM_BLOCK
        if tag in (BLOCK, SYSTEM_BLOCK):
            return self._block_member(parent, is_container)
        if tag == SOURCE:
            if key == b"data" or key == b"content":
                # Text-type document sources carry text; every other source is opaque data.
                if parent.type in (b"text", b"content"):
                    return MASK, CONTENT if key == b"content" else FREE
                return OPAQUE, ""
            return (
                (OPAQUE, "")
                if key in (b"type", b"media_type", b"url", b"file_id")
                else (
                    MASK,
                    FREE,
                )
            )
        if tag == TOOLS:
            return MASK, TOOL
        if tag == TOOL:
            if key in (b"name", b"type", b"cache_control"):
                return OPAQUE, ""
            return MASK, FREE
        if tag == META:
            return (OPAQUE, "") if key == b"user_id" else (MASK, FREE)
        if tag == MCP_SERVERS:
            return MASK, MCP_SERVER
        if tag == MCP_SERVER:
            return (
                (OPAQUE, "")
                if key in (b"authorization_token", b"name", b"type")
                else (
                    MASK,
                    FREE,
                )
            )
        if tag == TOOL_CHOICE:
            return (OPAQUE, "") if key in (b"type", b"name") else (MASK, FREE)
        return MASK, FREE

    def _block_member(self, block: Frame, is_container: bool) -> tuple[int, str]:
        key = block.key or b""
        btype = block.type
        if btype in _OPAQUE_BLOCKS:
            return OPAQUE, ""
        if key == b"type" or _opaque_field(key):
            return OPAQUE, ""
        if key == b"name" and btype in _NAMED_BLOCKS:
            return OPAQUE, ""
        if key == b"server_name":
            return OPAQUE, ""
        if key == b"source":
            return MASK, SOURCE
        if key == b"content" and is_container:
            return MASK, CONTENT
        if key == b"text" and block.tag == SYSTEM_BLOCK and not is_container:
            return HOLD, ""
        if btype == b"search_result" and key == b"title":
            return OPAQUE, ""
        return MASK, FREE

    def fixed_mode(self, mode: int, tag: str) -> int | None:
        if mode == OPAQUE:
            return OPAQUE
        return MASK if tag == FREE else None

    def hold_prefix(self, parent: Frame | None) -> bytes:
        return BILLING_PREFIX

    def wants_type(self, frame: Frame) -> bool:
        return frame.tag in (BLOCK, SYSTEM_BLOCK, SOURCE)


def is_messages_endpoint(path: bytes) -> bool:
    """``/v1/messages`` and ``/v1/messages/count_tokens`` (query string ignored)."""
    p = path.split(b"?", 1)[0].rstrip(b"/")
    return p in (b"/v1/messages", b"/v1/messages/count_tokens")
