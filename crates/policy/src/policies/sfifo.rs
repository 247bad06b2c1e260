//! `sfifo:P`, segmented FIFO (Turner and Levy, 1981): the frames are split into a primary
//! FIFO of `n − s` pages and a secondary LRU of `s = ⌊n·P/100⌋` pages (`s` at most `n − 1`).
//! A loaded page enters the primary's tail; whenever the primary holds more than `n − s`
//! pages its head (the oldest) moves to the secondary's most recent end. A reference to a
//! page in the secondary (a soft fault on a real machine, a hit here) moves it back to the
//! primary's tail, which may push the primary's head down in turn. A reference to a page in
//! the primary changes nothing. The victim is the secondary's least recent page, or the
//! primary's head when the secondary is empty. `sfifo:0` is FIFO; as P grows it tends to
//! LRU. O(1).

use crate::list::List;
use crate::{Frame, FrameBits, FrameNote, Policy, Ref};

/// Segmented FIFO: a FIFO primary and an LRU secondary.
#[derive(Debug, Clone)]
pub struct SegmentedFifo {
    primary: List,
    secondary: List,
    primary_size: usize,
}

impl SegmentedFifo {
    /// Segmented FIFO over `frames` frames, `percent` of them secondary.
    pub fn new(frames: usize, percent: u8) -> SegmentedFifo {
        let secondary = (frames * usize::from(percent.min(100)) / 100).min(frames.saturating_sub(1));
        SegmentedFifo { primary: List::new(frames), secondary: List::new(frames), primary_size: frames - secondary }
    }

    fn enter_primary(&mut self, f: Frame) {
        self.primary.push_back(f);
        while self.primary.len() > self.primary_size {
            if let Some(old) = self.primary.pop_front() {
                self.secondary.push_back(old);
            }
        }
    }
}

impl Policy for SegmentedFifo {
    #[inline]
    fn hit(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        if self.secondary.contains(f) {
            self.secondary.remove(f);
            self.enter_primary(f);
        }
    }
    #[inline]
    fn insert(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        self.enter_primary(f);
    }
    #[inline]
    fn victim(&mut self, _: Ref, _: &mut dyn FrameBits) -> Frame {
        self.secondary.front().or(self.primary.front()).unwrap_or(Frame(0))
    }
    #[inline]
    fn evict(&mut self, f: Frame) {
        self.primary.remove(f);
        self.secondary.remove(f);
    }
    fn note(&self, f: Frame, _: &dyn FrameBits) -> Option<FrameNote> {
        Some(FrameNote::Segment(if self.secondary.contains(f) { "s" } else { "p" }))
    }
}
