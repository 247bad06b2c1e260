//! `opt`: Belady's MIN. Evict the page whose next reference is furthest ahead. Two pages
//! never share a next reference, so ties happen only among pages never referenced again:
//! [`OptTies::Lru`] evicts the least recently used of them, [`OptTies::Frame`] the one in the
//! lowest frame. A next-use pass over the whole string first (O(length)); then O(log n) per
//! reference with an ordered set of (next use, tie rank, frame).

use std::collections::BTreeSet;

use crate::pagemap::PageMap;
use crate::{Frame, FrameBits, OptTies, Policy, Ref, Reference};

/// "Never referenced again".
const NEVER: u64 = u64::MAX;

/// Belady's MIN over a known reference string.
#[derive(Debug, Clone)]
pub struct Opt {
    /// `next[t]`: the time of the next reference to the page of time `t`, or [`NEVER`].
    next: Vec<u64>,
    ties: OptTies,
    /// Each occupied frame's key in `order`.
    key: Vec<Option<(u64, u64)>>,
    order: BTreeSet<(u64, u64, usize)>,
}

impl Opt {
    /// MIN over `frames` frames for the reference string `refs`.
    pub fn new(frames: usize, refs: &[Reference], ties: OptTies) -> Opt {
        let mut next = vec![NEVER; refs.len()];
        let mut later: PageMap<u64> = PageMap::new();
        for (t, r) in refs.iter().enumerate().rev() {
            if let Some(n) = later.insert(r.page, t as u64) {
                next[t] = n;
            }
        }
        Opt { next, ties, key: vec![None; frames], order: BTreeSet::new() }
    }

    /// Files frame `f`, just referenced at `r.time`, under its next use.
    fn file(&mut self, f: Frame, r: Ref) {
        self.unfile(f);
        // A time beyond the string (references other than those given to `new`) counts as
        // never used again.
        let next = usize::try_from(r.time).ok().and_then(|t| self.next.get(t)).copied().unwrap_or(NEVER);
        // The largest key is the victim: among NEVER pages, the oldest last use (lru) or the
        // lowest frame (frame) must rank highest.
        let rank = match self.ties {
            OptTies::Lru => u64::MAX - r.time,
            OptTies::Frame => u64::MAX - f.0 as u64,
        };
        if let Some(k) = self.key.get_mut(f.0) {
            *k = Some((next, rank));
            self.order.insert((next, rank, f.0));
        }
    }

    fn unfile(&mut self, f: Frame) {
        if let Some(Some((next, rank))) = self.key.get_mut(f.0).map(Option::take) {
            self.order.remove(&(next, rank, f.0));
        }
    }
}

impl Policy for Opt {
    fn hit(&mut self, f: Frame, r: Ref, _: &mut dyn FrameBits) {
        self.file(f, r);
    }
    fn insert(&mut self, f: Frame, r: Ref, _: &mut dyn FrameBits) {
        self.file(f, r);
    }
    fn victim(&mut self, _: Ref, _: &mut dyn FrameBits) -> Frame {
        self.order.last().map_or(Frame(0), |&(_, _, f)| Frame(f))
    }
    fn evict(&mut self, f: Frame) {
        self.unfile(f);
    }
}
