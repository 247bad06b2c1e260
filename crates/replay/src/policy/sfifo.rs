//! `sfifo:P`, segmented FIFO (Turner and Levy; VAX/VMS): the frames are split into a FIFO
//! primary of n - s frames and an LRU secondary of s = floor(n * P / 100). A loaded page enters
//! the primary; when the primary overflows, its oldest page moves to the secondary (most recent
//! end). A hit in the secondary moves the page back into the primary (which may push the
//! primary's oldest down); a hit in the primary changes nothing. The victim is the secondary's
//! least recently used page, or the primary's oldest when the secondary is empty (P = 0: FIFO;
//! P = 100: LRU). A page in the secondary is resident: a reference to it is a hit, not a fault.

use std::collections::VecDeque;

use super::Policy;
use super::list::FrameList;

/// Segmented FIFO.
#[derive(Debug, Clone)]
pub struct Sfifo {
    primary: VecDeque<usize>,
    primary_cap: usize,
    secondary: FrameList,
}

impl Sfifo {
    /// SFIFO over `n` frames with a secondary of `percent`% of them (rounded down).
    #[must_use]
    pub fn new(n: usize, percent: u8) -> Self {
        let s = n * usize::from(percent.min(100)) / 100;
        Sfifo { primary: VecDeque::with_capacity(n + 1), primary_cap: n - s, secondary: FrameList::new(n.max(1)) }
    }

    fn enter_primary(&mut self, frame: usize) {
        self.primary.push_back(frame);
        if self.primary.len() > self.primary_cap {
            if let Some(old) = self.primary.pop_front() {
                self.secondary.push_front(old);
            }
        }
    }
}

impl Policy for Sfifo {
    #[inline]
    fn hit(&mut self, frame: usize, _t: u64) {
        if self.secondary.contains(frame) {
            self.secondary.remove(frame);
            self.enter_primary(frame);
        }
    }
    fn loaded(&mut self, frame: usize, _t: u64) {
        self.enter_primary(frame);
    }
    fn victim(&mut self, _t: u64) -> usize {
        if self.secondary.len() > 0 {
            if let Some(f) = self.secondary.pop_back() {
                return f;
            }
        }
        self.primary.pop_front().unwrap_or(0)
    }
}
