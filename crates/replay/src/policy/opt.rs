//! `opt` (Belady's MIN, issue 13): evict the page whose next reference is furthest; pages never
//! referenced again tie, and the least recently used of them goes (`--opt-ties lru`). Needs the
//! whole reference string: [`next_uses`] computes each reference's next use in one backward
//! pass, and the frames are kept ordered by (next use, age) so a victim is O(log n).

use std::collections::{BTreeSet, HashMap};

use super::Policy;
use crate::refs::PageRef;

/// The next use of a page never referenced again.
pub const NEVER: u64 = u64::MAX;

/// For each reference `i`, the index of the next reference to the same page, or [`NEVER`].
#[must_use]
pub fn next_uses(refs: &[PageRef]) -> Vec<u64> {
    let mut next = vec![NEVER; refs.len()];
    let mut seen: HashMap<u64, u64> = HashMap::new();
    for (i, r) in refs.iter().enumerate().rev() {
        if let Some(n) = seen.insert(r.page, i as u64) {
            next[i] = n;
        }
    }
    next
}

/// OPT with LRU among the never-used-again.
#[derive(Debug, Clone)]
pub struct Opt {
    next: Vec<u64>,
    /// Per frame, its key in `order`.
    keys: Vec<(u64, u64)>,
    /// (next use, u64::MAX - last use, frame): the greatest is the victim.
    order: BTreeSet<(u64, u64, usize)>,
}

impl Opt {
    /// OPT over `n` frames for the reference string whose [`next_uses`] is `next`.
    #[must_use]
    pub fn new(n: usize, next: Vec<u64>) -> Self {
        Opt { next, keys: vec![(0, 0); n], order: BTreeSet::new() }
    }

    fn key(&self, t: u64) -> (u64, u64) {
        // A time past the string (never, for a well-formed replay) counts as never used again.
        let next = usize::try_from(t).ok().and_then(|i| self.next.get(i)).copied().unwrap_or(NEVER);
        (next, u64::MAX - t)
    }
}

impl Policy for Opt {
    fn hit(&mut self, frame: usize, t: u64) {
        let (a, b) = self.keys[frame];
        self.order.remove(&(a, b, frame));
        self.loaded(frame, t);
    }
    fn loaded(&mut self, frame: usize, t: u64) {
        let k = self.key(t);
        self.keys[frame] = k;
        self.order.insert((k.0, k.1, frame));
    }
    fn victim(&mut self, _t: u64) -> usize {
        self.order.pop_last().map_or(0, |(_, _, f)| f)
    }
}
