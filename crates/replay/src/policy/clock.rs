//! `clock` and `second` (issue 13): a hand over frames 0..n-1; free frames fill in order while
//! the hand stays at 0; every hit sets R=1; a loaded page gets R=1 (`clock`) or R=0 (`second`,
//! where only a later reference sets it). On a fault with memory full the hand clears each R=1
//! frame it passes, evicts the first R=0 frame, and moves one past it.

use super::Policy;

/// The clock algorithm; `new_r` is the R bit a loaded page gets.
#[derive(Debug, Clone)]
pub struct Clock {
    r: Vec<bool>,
    hand: usize,
    new_r: bool,
}

impl Clock {
    /// Clock over `n` frames: `new_r = true` is `clock`, `false` is `second`.
    #[must_use]
    pub fn new(n: usize, new_r: bool) -> Self {
        Clock { r: vec![false; n.max(1)], hand: 0, new_r }
    }
}

impl Policy for Clock {
    #[inline]
    fn hit(&mut self, frame: usize, _t: u64) {
        self.r[frame] = true;
    }
    fn loaded(&mut self, frame: usize, _t: u64) {
        self.r[frame] = self.new_r;
    }
    fn victim(&mut self, _t: u64) -> usize {
        // At most one full turn clears every bit, so this ends within n + 1 steps.
        while self.r[self.hand] {
            self.r[self.hand] = false;
            self.hand = (self.hand + 1) % self.r.len();
        }
        let v = self.hand;
        self.hand = (self.hand + 1) % self.r.len();
        v
    }
}
