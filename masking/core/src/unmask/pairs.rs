//! [`Pairs`]: one exchange's `(surrogate, original)` pairs, held in one buffer.

/// `(surrogate, original)` pairs in the order given, their bytes one after the other in a single
/// buffer: a map of thousands of pairs is a few allocations, not two per pair, to fill and to
/// free (a reply index is built from one for every exchange).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairs {
    bytes: Vec<u8>,
    /// Per pair, where its surrogate ends and where its original ends in `bytes`.
    ends: Vec<(usize, usize)>,
}

impl Pairs {
    /// No pairs, with room for `pairs` of them holding `bytes` bytes in all.
    pub fn with_capacity(pairs: usize, bytes: usize) -> Self {
        Pairs {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(pairs),
        }
    }

    pub fn push(&mut self, surrogate: &[u8], original: &[u8]) {
        self.bytes.extend_from_slice(surrogate);
        let mid = self.bytes.len();
        self.bytes.extend_from_slice(original);
        self.ends.push((mid, self.bytes.len()));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Pair `i`: `(surrogate, original)`.
    #[inline]
    pub fn get(&self, i: usize) -> (&[u8], &[u8]) {
        let start = if i == 0 { 0 } else { self.ends[i - 1].1 };
        let (mid, end) = self.ends[i];
        (&self.bytes[start..mid], &self.bytes[mid..end])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], &[u8])> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl<S: AsRef<[u8]>, O: AsRef<[u8]>> FromIterator<(S, O)> for Pairs {
    fn from_iter<I: IntoIterator<Item = (S, O)>>(pairs: I) -> Self {
        let mut all = Pairs::default();
        for (s, o) in pairs {
            all.push(s.as_ref(), o.as_ref());
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_come_back_in_order_whatever_their_lengths() {
        let given: [(&[u8], &[u8]); 4] = [(b"ab", b"xyz"), (b"", b"o"), (b"s", b""), (b"", b"")];
        let pairs: Pairs = given.iter().copied().collect();
        assert_eq!(pairs.len(), 4);
        assert_eq!(pairs.iter().collect::<Vec<_>>(), given);
        assert!(Pairs::default().is_empty());
    }
}
