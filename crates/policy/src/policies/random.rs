//! `random`: evict the page in frame `x mod n`, where `x` is the next number of a SplitMix64
//! generator seeded with `--seed` (Steele, Lea and Flood, 2014: add 0x9E3779B97F4A7C15, then
//! two xor-shift-multiply rounds). The same seed gives the same victims on every machine.
//! O(1).

use crate::{Frame, FrameBits, Policy, Ref};

/// Uniformly random victims from a seeded SplitMix64 stream.
#[derive(Debug, Clone)]
pub struct Random {
    frames: usize,
    state: u64,
}

impl Random {
    /// Random over `frames` frames, seeded with `seed`.
    pub fn new(frames: usize, seed: u64) -> Random {
        Random { frames, state: seed }
    }

    /// The next SplitMix64 output.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Policy for Random {
    fn hit(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    fn insert(&mut self, _: Frame, _: Ref, _: &mut dyn FrameBits) {}
    fn victim(&mut self, _: Ref, bits: &mut dyn FrameBits) -> Frame {
        let n = self.frames.min(bits.frames()).max(1);
        let x = usize::try_from(self.next() % n as u64).unwrap_or(0);
        // A hole (a frame one process gave up, under local replacement) passes the draw to
        // the next frame that holds a page, wrapping; with every frame full it is `x`.
        (0..n).map(|k| Frame((x + k) % n)).find(|&f| bits.resident(f)).unwrap_or(Frame(x))
    }
    fn evict(&mut self, _: Frame) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_reference_values() {
        // The first outputs for seed 1234567, as published with the algorithm (Vigna's
        // splitmix64.c test vector).
        let mut r = Random::new(8, 1_234_567);
        assert_eq!(r.next(), 6_457_827_717_110_365_317);
        assert_eq!(r.next(), 3_203_168_211_198_807_973);
    }
}
