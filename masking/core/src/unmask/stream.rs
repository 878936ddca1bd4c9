//! [`StreamUnmasker`]: restores one exchange's surrogates in a byte stream.

use std::cmp::Reverse;
use std::sync::Arc;

use super::index::{classify, state_at, Classes, EscState, Masked, SurrogateIndex};

/// `feed(bytes) -> bytes`, `finish() -> bytes`: the outputs concatenate to the restored text,
/// whatever the cuts between the inputs.
///
/// Scanning left to right, at each place it restores the longest surrogate of the index that
/// stands there and passes the boundary rule: a surrogate shorter than
/// [`GLUE_SAFE`](super::GLUE_SAFE) needs a byte that is not a letter or digit on both sides; a
/// longer one may be glued to letters or digits on one side, on its left only right after a
/// glue prefix, and one made only of letters and digits is not restored inside a longer word.
/// It holds back only a tail that could still be the start of a surrogate.
pub struct StreamUnmasker {
    index: Arc<SurrogateIndex>,
    /// The last bytes already emitted (`ctx` of them: boundaries, glue prefixes and runs cut
    /// between steps are judged with them), then the tail held back and the new input.
    window: Vec<u8>,
    ctx: usize,
    /// Escaped text: the escape state at `window[0]`.
    state: EscState,
    classes: Vec<u8>,
    words: Vec<u64>,
    inside: Vec<(usize, EscState)>,
    /// Where surrogates stand in the window: `(start, length, id)`.
    found: Vec<(usize, u32, u32)>,
    /// The output of the last step: see [`Restored`].
    plan: Vec<(usize, usize, u32)>,
    restored: usize,
}

/// No original: a [`Restored`] piece that is window bytes only.
const NO_ORIGINAL: u32 = u32::MAX;

/// The output of one step, not yet copied anywhere: pieces `(from, to, id)`, each the bytes
/// `text[from..to]` and then the original of surrogate `id` (none for [`NO_ORIGINAL`]). The
/// caller gives the buffer ([`Restored::write_to`]), so the output is written once, where it
/// is wanted (the Python bindings: straight into the `bytes` object they return).
pub struct Restored<'a> {
    text: &'a [u8],
    index: &'a SurrogateIndex,
    plan: &'a [(usize, usize, u32)],
    len: usize,
}

impl Restored<'_> {
    /// How many bytes the output holds.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes the output into `buf`, which is [`Restored::len`] bytes long.
    pub fn write_to(&self, buf: &mut [u8]) {
        assert_eq!(buf.len(), self.len, "a buffer of the output's length");
        let mut at = 0;
        for &(from, to, id) in self.plan {
            let piece = &self.text[from..to];
            buf[at..at + piece.len()].copy_from_slice(piece);
            at += piece.len();
            if id != NO_ORIGINAL {
                let original = self.index.original(id);
                buf[at..at + original.len()].copy_from_slice(original);
                at += original.len();
            }
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        self.append_to(&mut out);
        out
    }

    /// Appends the output to `out`.
    pub fn append_to(&self, out: &mut Vec<u8>) {
        out.reserve(self.len);
        for &(from, to, id) in self.plan {
            out.extend_from_slice(&self.text[from..to]);
            if id != NO_ORIGINAL {
                out.extend_from_slice(self.index.original(id));
            }
        }
    }
}

impl StreamUnmasker {
    pub fn new(index: Arc<SurrogateIndex>) -> Self {
        StreamUnmasker {
            index,
            window: Vec::new(),
            ctx: 0,
            state: EscState::NORMAL,
            classes: Vec::new(),
            words: Vec::new(),
            inside: Vec::new(),
            found: Vec::new(),
            plan: Vec::new(),
            restored: 0,
        }
    }

    /// Restores what is decided in `data` (with what was held back before it).
    pub fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        self.feed_into(data, |out| out.to_vec())
    }

    /// [`StreamUnmasker::feed`], its output handed to `emit` to be written where it is wanted.
    pub fn feed_into<T>(&mut self, data: &[u8], emit: impl FnOnce(&Restored<'_>) -> T) -> T {
        if self.index.is_empty() {
            return emit(&Restored {
                text: data,
                index: &self.index,
                plan: &[(0, data.len(), NO_ORIGINAL)],
                len: data.len(),
            });
        }
        self.window.extend_from_slice(data);
        self.step(false, emit)
    }

    /// The rest, restored; the stream may then start again as a new text.
    pub fn finish(&mut self) -> Vec<u8> {
        self.finish_into(|out| out.to_vec())
    }

    /// [`StreamUnmasker::finish`], its output handed to `emit`.
    pub fn finish_into<T>(&mut self, emit: impl FnOnce(&Restored<'_>) -> T) -> T {
        let out = if self.index.is_empty() {
            emit(&Restored {
                text: &[],
                index: &self.index,
                plan: &[],
                len: 0,
            })
        } else {
            self.step(true, emit)
        };
        self.window.clear();
        self.ctx = 0;
        self.state = EscState::NORMAL;
        out
    }

    /// How many surrogates it has restored.
    pub fn restored(&self) -> usize {
        self.restored
    }

    /// How many bytes it holds back now.
    pub fn held_back(&self) -> usize {
        self.window.len() - self.ctx
    }

    fn step<T>(&mut self, last: bool, emit: impl FnOnce(&Restored<'_>) -> T) -> T {
        let index = Arc::clone(&self.index);
        let window = std::mem::take(&mut self.window);
        let (len, hold) = if index.is_escaped() {
            let (mut classes, mut inside) = (
                std::mem::take(&mut self.classes),
                std::mem::take(&mut self.inside),
            );
            let end_state = classify(&window, self.state, &mut classes, &mut inside);
            let mut words = std::mem::take(&mut self.words);
            let (len, hold) = self.restore(
                &index,
                &window,
                &Masked::escaped(&classes, &mut words),
                last,
            );
            self.words = words;
            let cut = self.keep_from(&index, hold);
            self.state = if cut == window.len() {
                end_state
            } else {
                state_at(cut, self.state, &inside)
            };
            (self.classes, self.inside) = (classes, inside);
            (len, hold)
        } else {
            let mut words = std::mem::take(&mut self.words);
            let done = self.restore(&index, &window, &Masked::plain(&window, &mut words), last);
            self.words = words;
            done
        };
        let out = emit(&Restored {
            text: &window,
            index: &index,
            plan: &self.plan,
            len,
        });
        let cut = self.keep_from(&index, hold);
        self.window = window;
        self.window.drain(..cut);
        self.ctx = hold - cut;
        out
    }

    /// Where the context kept for the next step starts, when `hold` bytes are done.
    fn keep_from(&self, index: &SurrogateIndex, hold: usize) -> usize {
        hold.saturating_sub(index.longest() + 8)
    }

    /// The plan of the restored output of `window[ctx..hold]` (in `self.plan`), its length, and
    /// `hold`, the start of what is held back.
    fn restore<C: Classes>(
        &mut self,
        index: &SurrogateIndex,
        window: &[u8],
        classes: &C,
        last: bool,
    ) -> (usize, usize) {
        let n = window.len();
        let mut pos = self.ctx;
        // Nothing at or after the first place where a surrogate may still be arriving is
        // decided: that one may be longer than, or start before, what is complete now.
        let mut hold = if last {
            n
        } else {
            index.incomplete(window, pos, classes)
        };
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        index.candidates(window, pos, classes, &mut found);
        found.sort_unstable_by_key(|&(s, len, _)| (s, Reverse(len)));
        self.plan.clear();
        let mut out_len = 0;
        for &(s, len, id) in &found {
            if s < pos {
                continue;
            }
            if s >= hold {
                break;
            }
            if classes.esc(s) {
                continue; // inside an escape: not where a surrogate starts
            }
            let entry = index.entry(id);
            let e = s + len as usize;
            let before = s > 0 && classes.word(s - 1);
            let after = e < n && classes.word(e);
            if !entry.glue_safe {
                if before || after {
                    continue;
                }
            } else if before && ((after && entry.solid) || !index.after_glue(window, s, classes)) {
                continue;
            }
            self.plan.push((pos, s, id));
            out_len += s - pos + index.original(id).len();
            self.restored += 1;
            pos = e;
            if pos > hold {
                // what was held is inside this one: look again after it
                hold = index.incomplete(window, pos, classes);
            }
        }
        self.plan.push((pos, hold, NO_ORIGINAL));
        out_len += hold - pos;
        self.found = found;
        (out_len, hold)
    }
}
