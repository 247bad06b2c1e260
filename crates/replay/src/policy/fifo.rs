//! `fifo`: evict the page loaded earliest. Frames fill in order 0..n-1 and each victim's frame
//! takes the new page, so the earliest-loaded page is always at a hand going round the frames.

use super::Policy;

/// FIFO by a hand over the frames.
#[derive(Debug, Clone)]
pub struct Fifo {
    n: usize,
    hand: usize,
}

impl Fifo {
    /// FIFO over `n` frames.
    #[must_use]
    pub fn new(n: usize) -> Self {
        Fifo { n: n.max(1), hand: 0 }
    }
}

impl Policy for Fifo {
    #[inline]
    fn hit(&mut self, _frame: usize, _t: u64) {}
    fn loaded(&mut self, _frame: usize, _t: u64) {}
    fn victim(&mut self, _t: u64) -> usize {
        let v = self.hand;
        self.hand = (self.hand + 1) % self.n;
        v
    }
}
