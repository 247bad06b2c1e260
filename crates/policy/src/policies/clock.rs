//! `clock` and `second`: a hand over frames `0..n`. Free frames fill in index order and the
//! hand stays at 0 until memory is full. Every reference sets the frame's R bit. On a fault
//! with memory full, the hand looks at its frame: R = 1 is cleared and the hand advances
//! (wrapping from `n - 1` to 0); the first frame with R = 0 is evicted, the page is loaded
//! there and the hand moves one past it. `clock` leaves a newly loaded page with R = 1 (the
//! reference that loaded it); `second` (second chance) clears it, so R is set only by a later
//! reference. O(1) amortised: each clear undoes one earlier set.

use crate::{Frame, FrameBits, FrameNote, Policy, Ref};

/// The clock algorithm, with either rule for a new page's R bit.
#[derive(Debug, Clone)]
pub struct Clock {
    frames: usize,
    hand: usize,
    new_page_referenced: bool,
}

impl Clock {
    /// `clock`: a newly loaded page keeps R = 1.
    pub fn classic(frames: usize) -> Clock {
        Clock { frames, hand: 0, new_page_referenced: true }
    }

    /// `second`: a newly loaded page starts with R = 0.
    pub fn second_chance(frames: usize) -> Clock {
        Clock { frames, hand: 0, new_page_referenced: false }
    }
}

impl Policy for Clock {
    #[inline]
    fn hit(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    #[inline]
    fn insert(&mut self, f: Frame, _: Ref, bits: &mut dyn FrameBits) {
        if !self.new_page_referenced {
            bits.clear_referenced(f);
        }
    }
    #[inline]
    fn victim(&mut self, _: Ref, bits: &mut dyn FrameBits) -> Frame {
        // The hand goes round the frames the view has: all n, or (one process's frames under
        // local replacement) fewer, with holes passed over.
        let n = self.frames.min(bits.frames()).max(1);
        // At most one full turn clears every R; the second turn then stops.
        for _ in 0..=2 * n {
            let f = Frame(self.hand % n);
            self.hand = (f.0 + 1) % n;
            if !bits.resident(f) {
                continue;
            }
            if bits.referenced(f) {
                bits.clear_referenced(f);
            } else {
                return f;
            }
        }
        Frame(self.hand)
    }
    #[inline]
    fn evict(&mut self, _: Frame) {}
    fn note(&self, f: Frame, bits: &dyn FrameBits) -> Option<FrameNote> {
        Some(FrameNote::R(bits.referenced(f)))
    }
    fn hand(&self) -> Option<Frame> {
        Some(Frame(self.hand))
    }
}
