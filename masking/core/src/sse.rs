//! A sans-io parser for server-sent events (`text/event-stream`).
//!
//! Bytes in, complete events out, in linear time: each byte is scanned for line ends once, and
//! each complete event is read once. Every event keeps its exact raw bytes, so an event nobody
//! rewrites goes to the client byte for byte; a partial event waits for its blank line. An
//! event larger than the parser's limit is an error (an upstream must not make the proxy hold
//! an unbounded event).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// Why an event stream cannot be read on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseError {
    /// An event (complete or still arriving) is over the limit: `size` bytes so far.
    EventTooLarge { size: usize, limit: usize },
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::EventTooLarge { size, limit } => {
                write!(
                    f,
                    "server-sent event of {size} bytes or more is over the limit of {limit} bytes"
                )
            }
        }
    }
}

impl std::error::Error for SseError {}

/// One event: its raw bytes (with the terminating blank line), its name and its data lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub raw: Vec<u8>,
    /// The value of its last `event:` field, in `raw`.
    name: Option<Range<usize>>,
    /// The values of its `data:` fields, in `raw`.
    data_lines: Vec<Range<usize>>,
}

impl SseEvent {
    /// Reads the fields of `raw` (one event, blank line included or not).
    pub fn parse(raw: Vec<u8>) -> SseEvent {
        let mut name = None;
        let mut data_lines = Vec::new();
        let mut start = 0;
        while start < raw.len() {
            let end = memchr::memchr2(b'\r', b'\n', &raw[start..]).map_or(raw.len(), |o| start + o);
            let line = &raw[start..end];
            if !line.is_empty() && line[0] != b':' {
                let colon = memchr::memchr(b':', line);
                let field = &line[..colon.unwrap_or(line.len())];
                let mut value = colon.map_or(end..end, |c| start + c + 1..end);
                if raw.get(value.start) == Some(&b' ') && value.start < value.end {
                    value.start += 1;
                }
                match field {
                    b"data" => data_lines.push(value),
                    b"event" => name = Some(value),
                    _ => {}
                }
            }
            start = end + 1;
        }
        SseEvent {
            raw,
            name,
            data_lines,
        }
    }

    /// The event's name (empty when it has none).
    pub fn name(&self) -> &[u8] {
        self.name.clone().map_or(&[][..], |r| &self.raw[r])
    }

    /// Its data: the `data:` values joined with `\n`.
    pub fn data(&self) -> Cow<'_, [u8]> {
        match self.data_lines.as_slice() {
            [] => Cow::Borrowed(&[]),
            [one] => Cow::Borrowed(&self.raw[one.clone()]),
            lines => {
                let mut joined = Vec::new();
                for (i, r) in lines.iter().enumerate() {
                    if i > 0 {
                        joined.push(b'\n');
                    }
                    joined.extend_from_slice(&self.raw[r.clone()]);
                }
                Cow::Owned(joined)
            }
        }
    }

    /// Where the data bytes `span` stand in `raw`, when they lie within one data line.
    pub fn raw_span(&self, span: Range<usize>) -> Option<Range<usize>> {
        let mut at = 0;
        for r in &self.data_lines {
            let len = r.end - r.start;
            if span.start >= at && span.end <= at + len {
                return Some(r.start + span.start - at..r.start + span.end - at);
            }
            at += len + 1;
        }
        None
    }
}

/// `feed(bytes) -> events`; `finish()` returns an unterminated last event.
pub struct SseParser {
    buf: Vec<u8>,
    /// Where the event being read starts, and where scanning resumes.
    start: usize,
    scan: usize,
    /// Whether the current line has no bytes yet, and whether the last byte was a `\r` that
    /// ended a line (a `\n` right after it belongs to the same line end).
    line_empty: bool,
    after_cr: bool,
    limit: usize,
}

impl SseParser {
    /// A parser that refuses events over `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            buf: Vec::new(),
            start: 0,
            scan: 0,
            line_empty: true,
            after_cr: false,
            limit: max_event_bytes,
        }
    }

    /// How many bytes of an unfinished event it holds.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    pub fn feed(&mut self, data: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        self.buf.extend_from_slice(data);
        let mut events = Vec::new();
        let n = self.buf.len();
        let mut i = self.scan;
        while i < n {
            let Some(off) = memchr::memchr2(b'\r', b'\n', &self.buf[i..]) else {
                self.line_empty = false;
                self.after_cr = false;
                i = n;
                break;
            };
            let t = i + off;
            if t > i {
                self.line_empty = false;
                self.after_cr = false;
            }
            let b = self.buf[t];
            if b == b'\n' && self.after_cr {
                self.after_cr = false; // the `\n` of a `\r\n`
                i = t + 1;
                continue;
            }
            if !self.line_empty {
                self.line_empty = true;
                self.after_cr = b == b'\r';
                i = t + 1;
                continue;
            }
            // a blank line: the event ends after its line end
            let end = if b == b'\n' {
                t + 1
            } else if t + 1 < n {
                t + 1 + usize::from(self.buf[t + 1] == b'\n')
            } else {
                i = t; // a `\r`: wait for the next byte, which may be its `\n`
                break;
            };
            events.push(self.take(end)?);
            i = end;
        }
        self.scan = i;
        if self.buffered() > self.limit {
            return Err(SseError::EventTooLarge {
                size: self.buffered(),
                limit: self.limit,
            });
        }
        self.buf.drain(..self.start);
        self.scan -= self.start;
        self.start = 0;
        Ok(events)
    }

    /// The unterminated last event, if any bytes of one are held.
    pub fn finish(&mut self) -> Result<Vec<SseEvent>, SseError> {
        let n = self.buf.len();
        let events = if n > self.start {
            vec![self.take(n)?]
        } else {
            Vec::new()
        };
        self.buf.clear();
        (self.start, self.scan, self.line_empty, self.after_cr) = (0, 0, true, false);
        Ok(events)
    }

    fn take(&mut self, end: usize) -> Result<SseEvent, SseError> {
        let size = end - self.start;
        if size > self.limit {
            return Err(SseError::EventTooLarge {
                size,
                limit: self.limit,
            });
        }
        let raw = self.buf[self.start..end].to_vec();
        self.start = end;
        self.line_empty = true;
        self.after_cr = false;
        Ok(SseEvent::parse(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let mut p = SseParser::new(1 << 20);
        let mut got = Vec::new();
        for c in chunks {
            got.extend(p.feed(c).unwrap());
        }
        got.extend(p.finish().unwrap());
        got.into_iter()
            .map(|e| (e.raw.clone(), e.name().to_vec(), e.data().into_owned()))
            .collect()
    }

    #[test]
    fn events_keep_their_raw_bytes_whatever_the_line_ends() {
        let stream =
            b"event: a\ndata: 1\n\nevent: b\r\ndata: x\r\ndata:y\r\n\r\n: comment\rdata: z\r\r";
        let whole = events(&[stream]);
        assert_eq!(
            whole,
            vec![
                (
                    b"event: a\ndata: 1\n\n".to_vec(),
                    b"a".to_vec(),
                    b"1".to_vec()
                ),
                (
                    b"event: b\r\ndata: x\r\ndata:y\r\n\r\n".to_vec(),
                    b"b".to_vec(),
                    b"x\ny".to_vec()
                ),
                (
                    b": comment\rdata: z\r\r".to_vec(),
                    b"".to_vec(),
                    b"z".to_vec()
                ),
            ]
        );
        for cut in 0..stream.len() {
            assert_eq!(
                events(&[&stream[..cut], &stream[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(events(&bytes), whole);
    }

    #[test]
    fn an_unterminated_last_event_comes_out_at_finish() {
        assert_eq!(events(&[b"data: 1\n\ndata: 2"]).len(), 2);
        let mut p = SseParser::new(100);
        assert!(p.feed(b"data: 2\n").unwrap().is_empty());
        assert_eq!(p.buffered(), 8);
    }

    #[test]
    fn an_event_over_the_limit_is_an_error_however_it_arrives() {
        let mut p = SseParser::new(16);
        assert_eq!(p.feed(b"data: 0123456\n\n").unwrap().len(), 1);
        assert!(p.feed(b"data: 0123456789").unwrap().is_empty()); // 16 bytes: at the limit
        let err = p.feed(b"A").unwrap_err();
        assert_eq!(
            err,
            SseError::EventTooLarge {
                size: 17,
                limit: 16
            }
        );
        let mut p = SseParser::new(16);
        assert!(p.feed(b"data: 0123456789\n\n").is_err());
        let mut p = SseParser::new(16);
        assert!(p.feed(b"data: 01234567").is_ok());
        assert!(p.feed(b"89\n").is_err());
    }

    #[test]
    fn a_big_event_in_small_chunks_is_read_in_linear_time() {
        let mut p = SseParser::new(64 << 20);
        let chunk = [b'x'; 4096];
        assert!(p.feed(b"data: ").unwrap().is_empty());
        let t = std::time::Instant::now();
        for _ in 0..4096 {
            assert!(p.feed(&chunk).unwrap().is_empty());
        }
        let got = p.feed(b"\n\n").unwrap();
        assert_eq!(got[0].data().len(), 4096 * 4096);
        // 16 MB in 4 KB chunks: a rescan per chunk would take minutes
        assert!(t.elapsed().as_secs() < 5);
    }

    #[test]
    fn data_offsets_map_back_to_raw_bytes() {
        let e = SseEvent::parse(b"event: x\ndata: {\"a\":\ndata:  \"bc\"}\n\n".to_vec());
        assert_eq!(&*e.data(), b"{\"a\":\n \"bc\"}");
        let span = e.raw_span(7..11).unwrap();
        assert_eq!(&e.raw[span], b"\"bc\"");
        assert!(e.raw_span(4..8).is_none());
    }
}
