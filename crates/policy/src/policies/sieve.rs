//! `sieve` (Zhang et al., NSDI 2024): a FIFO queue of pages in load order and a hand, with
//! each frame's R bit as SIEVE's "visited" bit. A loaded page joins the queue's new end with
//! R = 0 (the driver's R from the loading reference is cleared); a hit sets R. On a fault
//! with memory full, the hand starts where it stopped last (at the oldest page the first
//! time, and again whenever it has passed the newest): a page with R = 1 has R cleared and
//! the hand moves to the next newer page (from the newest, back to the oldest); the first
//! page with R = 0 is evicted and the hand stays at the page just newer than it. Unlike
//! `second`, pages are never moved in the queue. O(1) amortised.

use crate::list::List;
use crate::{Frame, FrameBits, FrameNote, Policy, Ref};

/// SIEVE: a FIFO queue swept by a hand that never moves pages.
#[derive(Debug, Clone)]
pub struct Sieve {
    queue: List,
    hand: Option<Frame>,
}

impl Sieve {
    /// SIEVE over `frames` frames.
    pub fn new(frames: usize) -> Sieve {
        Sieve { queue: List::new(frames), hand: None }
    }
}

impl Policy for Sieve {
    fn hit(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    fn insert(&mut self, f: Frame, _: Ref, bits: &mut dyn FrameBits) {
        bits.clear_referenced(f);
        self.queue.push_back(f);
    }
    fn victim(&mut self, _: Ref, bits: &mut dyn FrameBits) -> Frame {
        let mut h = self.hand.or(self.queue.front()).unwrap_or(Frame(0));
        // Two sweeps at most: the first clears every R it passes.
        for _ in 0..=2 * self.queue.len() {
            if !bits.referenced(h) {
                break;
            }
            bits.clear_referenced(h);
            h = self.queue.next_of(h).or(self.queue.front()).unwrap_or(h);
        }
        self.hand = self.queue.next_of(h);
        h
    }
    fn evict(&mut self, f: Frame) {
        if self.hand == Some(f) {
            self.hand = self.queue.next_of(f);
        }
        self.queue.remove(f);
    }
    fn note(&self, f: Frame, bits: &dyn FrameBits) -> Option<FrameNote> {
        Some(FrameNote::R(bits.referenced(f)))
    }
    fn hand(&self) -> Option<Frame> {
        self.hand.or(self.queue.front())
    }
}
