//! `lfu`: evict the page referenced the fewest times since it was loaded (the loading
//! reference counts 1); among equal counts the least recently used. A page's count starts
//! again at 1 when it is loaded again. O(log n) with an ordered set of (count, last use,
//! frame).

use std::collections::BTreeSet;

use crate::{Frame, FrameBits, FrameNote, Policy, Ref};

/// Least frequently used, ties to the least recently used.
#[derive(Debug, Clone)]
pub struct Lfu {
    key: Vec<Option<(u64, u64)>>,
    order: BTreeSet<(u64, u64, usize)>,
}

impl Lfu {
    /// LFU over `frames` frames.
    pub fn new(frames: usize) -> Lfu {
        Lfu { key: vec![None; frames], order: BTreeSet::new() }
    }

    fn set(&mut self, f: Frame, count: u64, time: u64) {
        if let Some(k) = self.key.get_mut(f.0) {
            if let Some((c, t)) = k.replace((count, time)) {
                self.order.remove(&(c, t, f.0));
            }
            self.order.insert((count, time, f.0));
        }
    }
}

impl Policy for Lfu {
    fn hit(&mut self, f: Frame, r: Ref, _: &mut dyn FrameBits) {
        let count = self.key.get(f.0).copied().flatten().map_or(1, |(c, _)| c + 1);
        self.set(f, count, r.time);
    }
    fn insert(&mut self, f: Frame, r: Ref, _: &mut dyn FrameBits) {
        self.set(f, 1, r.time);
    }
    fn victim(&mut self, _: Ref, _: &mut dyn FrameBits) -> Frame {
        self.order.first().map_or(Frame(0), |&(_, _, f)| Frame(f))
    }
    fn evict(&mut self, f: Frame) {
        if let Some(Some((c, t))) = self.key.get_mut(f.0).map(Option::take) {
            self.order.remove(&(c, t, f.0));
        }
    }
    fn note(&self, f: Frame, _: &dyn FrameBits) -> Option<FrameNote> {
        self.key.get(f.0).copied().flatten().map(|(c, _)| FrameNote::Count(c))
    }
}
