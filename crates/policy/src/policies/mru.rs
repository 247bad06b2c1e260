//! `mru`: evict the page whose last reference is the most recent (the page referenced just
//! before the fault). Good for loops larger than memory. O(1).

use crate::list::List;
use crate::{Frame, FrameBits, Policy, Ref};

/// Most recently used: frames in order of last reference, evicted from the recent end.
#[derive(Debug, Clone)]
pub struct Mru {
    recency: List,
}

impl Mru {
    /// A recency list over `frames` frames.
    pub fn new(frames: usize) -> Mru {
        Mru { recency: List::new(frames) }
    }
}

impl Policy for Mru {
    fn hit(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        self.recency.move_to_back(f);
    }
    fn insert(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        self.recency.push_back(f);
    }
    fn victim(&mut self, _: Ref, _: &mut dyn FrameBits) -> Frame {
        self.recency.back().unwrap_or(Frame(0))
    }
    fn evict(&mut self, f: Frame) {
        self.recency.remove(f);
    }
}
