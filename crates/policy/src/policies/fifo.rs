//! `fifo`: evict the page loaded earliest. Hits change nothing. O(1).

use crate::list::List;
use crate::{Frame, FrameBits, Policy, Ref};

/// First in, first out: a queue of frames in load order.
#[derive(Debug, Clone)]
pub struct Fifo {
    queue: List,
}

impl Fifo {
    /// A queue over `frames` frames.
    pub fn new(frames: usize) -> Fifo {
        Fifo { queue: List::new(frames) }
    }
}

impl Policy for Fifo {
    #[inline]
    fn hit(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    #[inline]
    fn insert(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        self.queue.push_back(f);
    }
    #[inline]
    fn victim(&mut self, _: Ref, _: &mut dyn FrameBits) -> Frame {
        self.queue.front().unwrap_or(Frame(0))
    }
    #[inline]
    fn evict(&mut self, f: Frame) {
        self.queue.remove(f);
    }
}
