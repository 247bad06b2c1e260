//! `nru` (not recently used): each frame's class is `2·R + M` (0: not referenced, clean;
//! 1: not referenced, dirty; 2: referenced, clean; 3: referenced, dirty). Evict a page of the
//! lowest non-empty class; among them the lowest frame index. After every `period`
//! references (references number `period`, `2·period`, ...) every R bit is cleared; M is
//! never cleared (a page is clean again only when reloaded). O(n) per fault.

use crate::{Frame, FrameBits, FrameNote, Policy, Ref};

/// Not recently used, with R cleared every `period` references.
#[derive(Debug, Clone)]
pub struct Nru {
    frames: usize,
    period: u64,
}

impl Nru {
    /// NRU over `frames` frames, clearing R every `period` references (at least 1).
    pub fn new(frames: usize, period: u64) -> Nru {
        Nru { frames, period: period.max(1) }
    }
}

impl Policy for Nru {
    fn hit(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    fn insert(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    fn victim(&mut self, _: Ref, bits: &mut dyn FrameBits) -> Frame {
        (0..self.frames.min(bits.frames()))
            .map(Frame)
            .filter(|&f| bits.resident(f))
            .min_by_key(|&f| (2 * u8::from(bits.referenced(f)) + u8::from(bits.modified(f)), f.0))
            .unwrap_or(Frame(0))
    }
    fn evict(&mut self, _: Frame) {}
    fn tick(&mut self, r: Ref, bits: &mut dyn FrameBits) {
        if (r.time + 1) % self.period == 0 {
            for f in 0..self.frames {
                bits.clear_referenced(Frame(f));
            }
        }
    }
    fn note(&self, f: Frame, bits: &dyn FrameBits) -> Option<FrameNote> {
        Some(FrameNote::RM(bits.referenced(f), bits.modified(f)))
    }
}
