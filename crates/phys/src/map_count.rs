//! Per-frame map counts: how many page-table entries, over all processes, map each frame.

use crate::Pfn;

/// A map count could not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MapCountError {
    /// The frame is outside the frames counted.
    #[error("frame {frame} is outside the {frames} frames counted")]
    OutOfRange {
        /// The frame given.
        frame: Pfn,
        /// The number of frames counted.
        frames: u32,
    },
    /// Decrementing a count that is already zero.
    #[error("map count of frame {frame} is already 0")]
    Underflow {
        /// The frame given.
        frame: Pfn,
    },
    /// Incrementing a count at its maximum.
    #[error("map count of frame {frame} is at its maximum")]
    Overflow {
        /// The frame given.
        frame: Pfn,
    },
}

/// One map count per frame of the machine.
///
/// The counts also keep the span of frames whose count ever went from 0 to 1 since they were
/// created or [cleared](MapCounts::clear) ([`MapCounts::touched`]): every count outside it is
/// zero by construction, so a full scan of the counts (the kernel's `check`, statistics) costs
/// the frames a run used, not the machine's 51,200.
#[derive(Clone)]
pub struct MapCounts {
    counts: Vec<u32>,
    /// Frames whose count ever left 0 lie in `touched.0..touched.1`; empty when
    /// `touched.0 >= touched.1`.
    touched: (u32, u32),
}

impl MapCounts {
    /// All-zero counts for `frames` frames.
    pub fn new(frames: u32) -> Self {
        MapCounts { counts: vec![0; frames as usize], touched: (u32::MAX, 0) }
    }

    /// The number of frames counted.
    pub fn frames(&self) -> u32 {
        self.counts.len() as u32
    }

    /// A range holding every frame whose count is not zero: the span of the frames whose count
    /// went from 0 to 1 since the counts were created or cleared (it never shrinks before
    /// [`MapCounts::clear`]). Empty when nothing was incremented.
    pub fn touched(&self) -> core::ops::Range<u32> {
        let (lo, hi) = self.touched;
        lo.min(hi)..hi
    }

    /// Makes every count zero again, as [`MapCounts::new`] left them, at the cost of the
    /// [touched](MapCounts::touched) span only.
    pub fn clear(&mut self) {
        let r = self.touched();
        self.counts[r.start as usize..r.end as usize].fill(0);
        self.touched = (u32::MAX, 0);
    }

    /// The count of `frame`; 0 for frames outside the machine.
    #[inline]
    pub fn get(&self, frame: Pfn) -> u32 {
        self.counts.get(frame.index()).copied().unwrap_or(0)
    }

    /// Adds one mapping of `frame`; returns the new count. Always inlined: it is a few
    /// instructions in the loops of fork and copy-on-write, and a call would cost more.
    ///
    /// # Errors
    /// [`MapCountError::OutOfRange`] or [`MapCountError::Overflow`].
    #[inline(always)]
    pub fn increment(&mut self, frame: Pfn) -> Result<u32, MapCountError> {
        let frames = self.counts.len() as u32;
        let c = self.counts.get_mut(frame.index()).ok_or(MapCountError::OutOfRange { frame, frames })?;
        // One compare for both rare cases, so that a loop of increments (a fork shares every
        // page) costs what it did before the span existed: a new count of 0 is an overflow, and
        // of 1 a count that leaves 0, the only step that can widen the span (a non-zero count
        // left 0 once since the span was last cleared, and counts change only here and in
        // `decrement`). Both are out of line, so that a caller's loop keeps its registers.
        // Widening on every increment cost a fork of 1,024 pages 15 instructions a page
        // (fork_1024/cow 1.24 -> 1.9 us).
        let new = c.wrapping_add(1);
        if new <= 1 {
            return self.increment_from_zero_or_max(frame);
        }
        *c = new;
        Ok(new)
    }

    /// [`MapCounts::increment`] of a count that is 0 (it widens the span) or at its maximum.
    #[cold]
    #[inline(never)]
    fn increment_from_zero_or_max(&mut self, frame: Pfn) -> Result<u32, MapCountError> {
        let frames = self.counts.len() as u32;
        let c = self.counts.get_mut(frame.index()).ok_or(MapCountError::OutOfRange { frame, frames })?;
        *c = c.checked_add(1).ok_or(MapCountError::Overflow { frame })?;
        let i = frame.as_u32();
        self.touched = (self.touched.0.min(i), self.touched.1.max(i + 1));
        Ok(*c)
    }

    /// Removes one mapping of `frame`; returns the new count.
    ///
    /// # Errors
    /// [`MapCountError::OutOfRange`] or [`MapCountError::Underflow`].
    #[inline]
    pub fn decrement(&mut self, frame: Pfn) -> Result<u32, MapCountError> {
        let frames = self.counts.len() as u32;
        let c = self.counts.get_mut(frame.index()).ok_or(MapCountError::OutOfRange { frame, frames })?;
        *c = c.checked_sub(1).ok_or(MapCountError::Underflow { frame })?;
        Ok(*c)
    }

    /// Every frame with a non-zero count, with its count, in frame order. The cost is the
    /// [touched](MapCounts::touched) span.
    pub fn nonzero(&self) -> impl Iterator<Item = (Pfn, u32)> + '_ {
        let r = self.touched();
        self.counts[r.start as usize..r.end as usize]
            .iter()
            .zip(r)
            .filter(|(c, _)| **c != 0)
            .map(|(&c, i)| (Pfn::new(i), c))
    }

    /// The counts of `frames`, one per frame, starting at `frames.start`.
    pub fn range(&self, frames: core::ops::Range<u32>) -> &[u32] {
        let end = (frames.end as usize).min(self.counts.len());
        let start = (frames.start as usize).min(end);
        &self.counts[start..end]
    }
}

impl core::fmt::Debug for MapCounts {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.nonzero().map(|(p, c)| (p.as_u32(), c))).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_refuse_underflow_and_out_of_range() {
        let mut m = MapCounts::new(4);
        assert_eq!(m.decrement(Pfn::new(1)), Err(MapCountError::Underflow { frame: Pfn::new(1) }));
        assert_eq!(m.increment(Pfn::new(1)), Ok(1));
        assert_eq!(m.increment(Pfn::new(1)), Ok(2));
        assert_eq!(m.decrement(Pfn::new(1)), Ok(1));
        assert!(matches!(m.increment(Pfn::new(4)), Err(MapCountError::OutOfRange { .. })));
        assert_eq!(m.get(Pfn::new(99)), 0);
        assert_eq!(m.nonzero().collect::<Vec<_>>(), vec![(Pfn::new(1), 1)]);
        assert_eq!(m.range(0..2), &[0, 1]);
        assert_eq!(m.range(3..9), &[0]);
    }

    #[test]
    fn the_touched_span_holds_every_nonzero_count_until_cleared() {
        let mut m = MapCounts::new(100);
        assert!(m.touched().is_empty());
        m.increment(Pfn::new(40)).unwrap();
        m.increment(Pfn::new(7)).unwrap();
        m.increment(Pfn::new(7)).unwrap();
        assert_eq!(m.touched(), 7..41);
        m.decrement(Pfn::new(40)).unwrap();
        assert_eq!(m.touched(), 7..41, "a span never shrinks before clear");
        assert_eq!(m.nonzero().collect::<Vec<_>>(), vec![(Pfn::new(7), 2)]);
        m.increment(Pfn::new(99)).unwrap();
        m.clear();
        assert!(m.touched().is_empty());
        assert_eq!(m.nonzero().count(), 0);
        assert!((0..100).all(|f| m.get(Pfn::new(f)) == 0), "every count is zero again");
        assert_eq!(m.increment(Pfn::new(0)), Ok(1));
        assert_eq!(m.touched(), 0..1);
    }

    proptest::proptest! {
        /// The span widens only when a count leaves 0; after any mix of increments, decrements
        /// and clears it still holds every non-zero count, and the counts match a plain array.
        #[test]
        fn the_span_holds_every_nonzero_count(ops in proptest::collection::vec((0u8..4, 0u32..70), 0..200)) {
            let mut m = MapCounts::new(64);
            let mut naive = [0u32; 64];
            for (op, f) in ops {
                let frame = Pfn::new(f);
                let i = f as usize;
                match op {
                    0 | 1 => {
                        let want = naive.get_mut(i).map(|c| { *c += 1; *c });
                        proptest::prop_assert_eq!(m.increment(frame).ok(), want);
                    }
                    2 => {
                        let want = naive.get_mut(i).filter(|c| **c > 0).map(|c| { *c -= 1; *c });
                        proptest::prop_assert_eq!(m.decrement(frame).ok(), want);
                    }
                    _ if f % 8 == 0 => {
                        m.clear();
                        naive = [0; 64];
                    }
                    _ => {}
                }
                let span = m.touched();
                for (f, &c) in naive.iter().enumerate() {
                    proptest::prop_assert_eq!(m.get(Pfn::new(f as u32)), c);
                    proptest::prop_assert!(c == 0 || span.contains(&(f as u32)), "frame {} outside {:?}", f, span);
                }
            }
        }
    }
}
