//! [`SseUnmasker`]: restores originals in an Anthropic Messages event stream.
//!
//! One unmasker per content block, chosen by the block's type from its `content_block_start`:
//! `text_delta.text` of a `text` block is restored as text, `input_json_delta.partial_json` of a
//! client `tool_use` block in the decoded string domain of its JSON fragments. Everything else
//! (thinking, signatures, server-tool blocks, unknown deltas, message events) passes byte for
//! byte. A rewritten event differs from the upstream's only inside the string value of its
//! `text` or `partial_json` (decoded, restored, re-escaped in place). An event goes out as soon
//! as it may: it waits only while the tail of its text could still be the start of a surrogate,
//! and whatever is held is flushed, as one more delta, right before `content_block_stop`.

use std::sync::Arc;

use super::json::{decode_into, escape_into, event_fields};
use super::partial_json::PartialJsonUnmasker;
use super::{StreamUnmasker, SurrogateIndex};
use crate::sse::{SseError, SseEvent, SseParser};

/// The incremental unmasker of one content block.
enum BlockStream {
    Text(StreamUnmasker),
    ToolInput(PartialJsonUnmasker),
}

impl BlockStream {
    fn delta_type(&self) -> &'static [u8] {
        match self {
            BlockStream::Text(_) => b"text_delta",
            BlockStream::ToolInput(_) => b"input_json_delta",
        }
    }

    fn field(&self) -> &'static [u8] {
        match self {
            BlockStream::Text(_) => b"text",
            BlockStream::ToolInput(_) => b"partial_json",
        }
    }

    fn feed(&mut self, value: &[u8]) -> Vec<u8> {
        match self {
            BlockStream::Text(u) => u.feed(value),
            BlockStream::ToolInput(u) => u.feed(value),
        }
    }

    fn finish(&mut self) -> Vec<u8> {
        match self {
            BlockStream::Text(u) => u.finish(),
            BlockStream::ToolInput(u) => u.finish(),
        }
    }

    fn restored(&self) -> usize {
        match self {
            BlockStream::Text(u) => u.restored(),
            BlockStream::ToolInput(u) => u.restored(),
        }
    }
}

/// `feed(bytes) -> bytes`, `finish() -> bytes` over a Messages event stream.
pub struct SseUnmasker {
    index: Arc<SurrogateIndex>,
    parser: SseParser,
    /// Open blocks by `index`, in the order they started.
    blocks: Vec<(i64, BlockStream)>,
    restored: usize,
    failed: Option<SseError>,
}

impl SseUnmasker {
    /// An unmasker with `index`, refusing events over `max_event_bytes`.
    pub fn new(index: Arc<SurrogateIndex>, max_event_bytes: usize) -> Self {
        SseUnmasker {
            index,
            parser: SseParser::new(max_event_bytes),
            blocks: Vec::new(),
            restored: 0,
            failed: None,
        }
    }

    /// How many surrogates it has restored in blocks that are done.
    pub fn restored(&self) -> usize {
        self.restored
    }

    /// The events complete so far, restored. After an error the stream cannot go on: every
    /// later call returns the same error.
    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<u8>, SseError> {
        let events = self.check(|p| p.feed(data))?;
        let mut out = Vec::with_capacity(data.len() + 64);
        for event in events {
            self.event(event, &mut out);
        }
        Ok(out)
    }

    /// The unterminated last event, if any, and whatever open blocks still hold.
    pub fn finish(&mut self) -> Result<Vec<u8>, SseError> {
        let events = self.check(|p| p.finish())?;
        let mut out = Vec::new();
        for event in events {
            self.event(event, &mut out);
        }
        while !self.blocks.is_empty() {
            let (idx, block) = self.blocks.remove(0);
            self.flush(idx, block, &mut out);
        }
        Ok(out)
    }

    fn check<T>(
        &mut self,
        f: impl FnOnce(&mut SseParser) -> Result<T, SseError>,
    ) -> Result<T, SseError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        f(&mut self.parser).inspect_err(|err| self.failed = Some(err.clone()))
    }

    fn event(&mut self, event: SseEvent, out: &mut Vec<u8>) {
        if self.index.is_empty() {
            return out.extend_from_slice(&event.raw);
        }
        let name = event.name();
        let start = name == b"content_block_start";
        let stop = name == b"content_block_stop";
        if !(start || stop || name == b"content_block_delta") {
            return out.extend_from_slice(&event.raw);
        }
        let data = event.data();
        let Some(fields) = event_fields(&data).filter(|f| f.index.is_some()) else {
            return out.extend_from_slice(&event.raw); // not ours to judge: pass it on
        };
        let idx = fields.index.expect("checked");
        let at = self.blocks.iter().position(|(i, _)| *i == idx);
        if start {
            let stream = match fields.block_type.as_deref() {
                Some(b"text") => Some(BlockStream::Text(StreamUnmasker::new(Arc::clone(
                    &self.index,
                )))),
                Some(b"tool_use") => Some(BlockStream::ToolInput(PartialJsonUnmasker::new(
                    Arc::clone(&self.index),
                ))),
                _ => None,
            };
            match (stream, at) {
                (Some(s), Some(at)) => self.blocks[at].1 = s,
                (Some(s), None) => self.blocks.push((idx, s)),
                (None, _) => {}
            }
            return out.extend_from_slice(&event.raw);
        }
        if stop {
            if let Some(at) = at {
                let (idx, block) = self.blocks.remove(at);
                self.flush(idx, block, out);
            }
            return out.extend_from_slice(&event.raw);
        }
        let Some(at) = at else {
            return out.extend_from_slice(&event.raw);
        };
        let block = &mut self.blocks[at].1;
        let span = match block {
            BlockStream::Text(_) => fields.text.clone(),
            BlockStream::ToolInput(_) => fields.partial_json.clone(),
        };
        let (Some(span), true) = (
            span,
            fields.delta_type.as_deref() == Some(block.delta_type()),
        ) else {
            return out.extend_from_slice(&event.raw);
        };
        let mut value = Vec::with_capacity(span.len());
        let raw_span = event.raw_span(span.start + 1..span.end - 1);
        let (Some(raw_span), Some(())) = (
            raw_span,
            decode_into(&data[span.start + 1..span.end - 1], &mut value),
        ) else {
            return out.extend_from_slice(&event.raw);
        };
        let restored = block.feed(&value);
        if restored == value {
            return out.extend_from_slice(&event.raw);
        }
        if restored.is_empty() {
            return; // all of it may still be a surrogate: wait for the next delta
        }
        out.extend_from_slice(&event.raw[..raw_span.start]);
        escape_into(&restored, out);
        out.extend_from_slice(&event.raw[raw_span.end..]);
    }

    /// Ends a block: what its unmasker still held goes out as one more delta.
    fn flush(&mut self, idx: i64, mut block: BlockStream, out: &mut Vec<u8>) {
        let rest = block.finish();
        self.restored += block.restored();
        if rest.is_empty() {
            return;
        }
        out.extend_from_slice(
            b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":",
        );
        out.extend_from_slice(idx.to_string().as_bytes());
        out.extend_from_slice(b",\"delta\":{\"type\":\"");
        out.extend_from_slice(block.delta_type());
        out.extend_from_slice(b"\",\"");
        out.extend_from_slice(block.field());
        out.extend_from_slice(b"\":\"");
        escape_into(&rest, out);
        out.extend_from_slice(b"\"}}\n\n");
    }
}
