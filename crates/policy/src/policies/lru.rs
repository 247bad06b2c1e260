//! `lru`: evict the page whose last reference is oldest. Every hit moves the page to the
//! most recent end. O(1).

use crate::list::List;
use crate::{Frame, FrameBits, Policy, Ref};

/// Least recently used: frames in order of last reference.
#[derive(Debug, Clone)]
pub struct Lru {
    recency: List,
}

impl Lru {
    /// A recency list over `frames` frames.
    pub fn new(frames: usize) -> Lru {
        Lru { recency: List::new(frames) }
    }
}

impl Policy for Lru {
    #[inline]
    fn hit(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        self.recency.move_to_back(f);
    }
    #[inline]
    fn insert(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        self.recency.push_back(f);
    }
    #[inline]
    fn victim(&mut self, _: Ref, _: &mut dyn FrameBits) -> Frame {
        self.recency.front().unwrap_or(Frame(0))
    }
    #[inline]
    fn evict(&mut self, f: Frame) {
        self.recency.remove(f);
    }
}
