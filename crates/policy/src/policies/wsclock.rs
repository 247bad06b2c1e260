//! `wsclock` (Carr and Hennessy's WSClock, with window `tau` references): a hand over frames
//! `0..n` as in `clock`, and a time of last use per frame, set when a page is loaded. On a
//! fault with memory full, the hand examines at most `n` frames, advancing one after each:
//! - R = 1: R is cleared and the frame's last use becomes now (the fault's time);
//! - R = 0 and age (now − last use) > `tau` and M = 0: this frame is evicted (the hand
//!   stops one past it);
//! - R = 0, age > `tau`, M = 1: the first such frame is remembered (a real WSClock would
//!   schedule its write; nothing is written early here).
//!
//! After `n` frames without a clean old page: the remembered dirty old frame is evicted if
//! there is one, else the frame with the oldest last use (on equal times the first met from
//! where the scan started); either way the hand moves one past it. O(n) per fault.

use crate::{Frame, FrameBits, FrameNote, Policy, Ref};

/// WSClock with a working-set window of `tau` references.
#[derive(Debug, Clone)]
pub struct WsClock {
    tau: u64,
    hand: usize,
    last: Vec<u64>,
}

impl WsClock {
    /// WSClock over `frames` frames with window `tau`.
    pub fn new(frames: usize, tau: u64) -> WsClock {
        WsClock { tau, hand: 0, last: vec![0; frames] }
    }
}

impl Policy for WsClock {
    fn hit(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    fn insert(&mut self, f: Frame, r: Ref, _: &mut dyn FrameBits) {
        if let Some(l) = self.last.get_mut(f.0) {
            *l = r.time;
        }
    }
    fn victim(&mut self, r: Ref, bits: &mut dyn FrameBits) -> Frame {
        // All n frames, or fewer with holes in a view of one process's frames (local
        // replacement): a hole is passed over.
        let n = self.last.len().min(bits.frames()).max(1);
        let start = self.hand % n;
        let mut dirty_old = None;
        for _ in 0..n {
            let f = Frame(self.hand % n);
            self.hand = (f.0 + 1) % n;
            if !bits.resident(f) {
                continue;
            }
            if bits.referenced(f) {
                bits.clear_referenced(f);
                self.last[f.0] = r.time;
            } else if r.time.saturating_sub(self.last[f.0]) > self.tau {
                if !bits.modified(f) {
                    return f;
                }
                dirty_old.get_or_insert(f);
            }
        }
        let f = dirty_old.unwrap_or_else(|| {
            // `min_by_key` keeps the first of equal keys: the first met from `start`.
            Frame(
                (0..n)
                    .map(|k| (start + k) % n)
                    .filter(|&i| bits.resident(Frame(i)))
                    .min_by_key(|&i| self.last[i])
                    .unwrap_or(0),
            )
        });
        self.hand = (f.0 + 1) % n;
        f
    }
    fn evict(&mut self, _: Frame) {}
    fn note(&self, f: Frame, bits: &dyn FrameBits) -> Option<FrameNote> {
        self.last.get(f.0).map(|&l| FrameNote::RLast(bits.referenced(f), l))
    }
    fn hand(&self) -> Option<Frame> {
        Some(Frame(self.hand))
    }
}
