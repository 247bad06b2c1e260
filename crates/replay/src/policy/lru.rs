//! `lru`: evict the page whose last reference is oldest (a recency list of frames).

use super::Policy;
use super::list::FrameList;

/// LRU by an intrusive recency list.
#[derive(Debug, Clone)]
pub struct Lru {
    list: FrameList,
}

impl Lru {
    /// LRU over `n` frames.
    #[must_use]
    pub fn new(n: usize) -> Self {
        Lru { list: FrameList::new(n) }
    }
}

impl Policy for Lru {
    #[inline]
    fn hit(&mut self, frame: usize, _t: u64) {
        self.list.touch(frame);
    }
    fn loaded(&mut self, frame: usize, _t: u64) {
        self.list.push_front(frame);
    }
    fn victim(&mut self, _t: u64) -> usize {
        // The driver asks only when every frame holds a page, so the list is not empty.
        self.list.pop_back().unwrap_or(0)
    }
}
