//! `aging`: an 8-bit counter per frame, 0 when a page is loaded. After every `period`
//! references (references number `period`, `2·period`, ...) each occupied frame's counter is
//! shifted right by one with its R bit entering at the top (bit 7), and R is cleared. Evict
//! the page with the smallest counter; among equal counters one with R = 0 (not referenced
//! since the last tick) before one with R = 1; then the lowest frame index. O(n) per fault.

use crate::{Frame, FrameBits, FrameNote, Policy, Ref};

/// Aging counters, shifted every `period` references.
#[derive(Debug, Clone)]
pub struct Aging {
    period: u64,
    counter: Vec<u8>,
    occupied: Vec<bool>,
}

impl Aging {
    /// Aging over `frames` frames, ticking every `period` references (at least 1).
    pub fn new(frames: usize, period: u64) -> Aging {
        Aging { period: period.max(1), counter: vec![0; frames], occupied: vec![false; frames] }
    }
}

impl Policy for Aging {
    fn hit(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    fn insert(&mut self, f: Frame, _: Ref, _: &mut dyn FrameBits) {
        if let (Some(c), Some(o)) = (self.counter.get_mut(f.0), self.occupied.get_mut(f.0)) {
            *c = 0;
            *o = true;
        }
    }
    fn victim(&mut self, _: Ref, bits: &mut dyn FrameBits) -> Frame {
        (0..self.counter.len())
            .filter(|&i| self.occupied[i])
            .map(Frame)
            .min_by_key(|&f| (self.counter[f.0], bits.referenced(f), f.0))
            .unwrap_or(Frame(0))
    }
    fn evict(&mut self, f: Frame) {
        if let Some(o) = self.occupied.get_mut(f.0) {
            *o = false;
        }
    }
    fn tick(&mut self, r: Ref, bits: &mut dyn FrameBits) {
        if (r.time + 1) % self.period != 0 {
            return;
        }
        for i in 0..self.counter.len() {
            if self.occupied[i] {
                let f = Frame(i);
                self.counter[i] = (self.counter[i] >> 1) | (u8::from(bits.referenced(f)) << 7);
                bits.clear_referenced(f);
            }
        }
    }
    fn note(&self, f: Frame, _: &dyn FrameBits) -> Option<FrameNote> {
        self.counter.get(f.0).map(|&c| FrameNote::Counter(c))
    }
}
