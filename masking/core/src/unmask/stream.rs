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
    restored: usize,
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
            restored: 0,
        }
    }

    /// Restores what is decided in `data` (with what was held back before it).
    pub fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        if self.index.is_empty() {
            return data.to_vec();
        }
        self.window.extend_from_slice(data);
        self.step(false)
    }

    /// The rest, restored; the stream may then start again as a new text.
    pub fn finish(&mut self) -> Vec<u8> {
        let out = if self.index.is_empty() {
            Vec::new()
        } else {
            self.step(true)
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

    fn step(&mut self, last: bool) -> Vec<u8> {
        let index = Arc::clone(&self.index);
        let window = std::mem::take(&mut self.window);
        let (out, hold) = if index.is_escaped() {
            let (mut classes, mut inside) = (
                std::mem::take(&mut self.classes),
                std::mem::take(&mut self.inside),
            );
            let end_state = classify(&window, self.state, &mut classes, &mut inside);
            let mut words = std::mem::take(&mut self.words);
            let (out, hold) = self.restore(
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
            (out, hold)
        } else {
            let mut words = std::mem::take(&mut self.words);
            let done = self.restore(&index, &window, &Masked::plain(&window, &mut words), last);
            self.words = words;
            done
        };
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

    /// The restored output of `window[ctx..hold]` and `hold`, the start of what is held back.
    fn restore<C: Classes>(
        &mut self,
        index: &SurrogateIndex,
        window: &[u8],
        classes: &C,
        last: bool,
    ) -> (Vec<u8>, usize) {
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
        let mut out = Vec::with_capacity(n - pos);
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
            out.extend_from_slice(&window[pos..s]);
            out.extend_from_slice(index.original(id));
            self.restored += 1;
            pos = e;
            if pos > hold {
                // what was held is inside this one: look again after it
                hold = index.incomplete(window, pos, classes);
            }
        }
        out.extend_from_slice(&window[pos..hold]);
        self.found = found;
        (out, hold)
    }
}
