//! Frame pools: ranges of the arena that hand out their lowest-numbered free frame.

use core::ops::Range;

use crate::Pfn;

/// Which pool a frame comes from. Used in errors and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolKind {
    /// Frames for the kernel's own structures: page tables.
    Kernel,
    /// Frames for process pages.
    User,
}

impl core::fmt::Display for PoolKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PoolKind::Kernel => "kernel",
            PoolKind::User => "user",
        })
    }
}

/// No frame could be allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AllocError {
    /// Every frame of the pool is in use.
    #[error("the {pool} pool is out of frames (all {frames} in use)")]
    Exhausted {
        /// The pool asked.
        pool: PoolKind,
        /// The pool's size in frames.
        frames: u32,
    },
}

/// A frame could not be freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FreeError {
    /// The frame does not belong to this pool.
    #[error("frame {frame} is not in the {pool} pool ({start}..{end})")]
    NotInPool {
        /// The frame given.
        frame: Pfn,
        /// The pool asked.
        pool: PoolKind,
        /// The pool's first frame.
        start: u32,
        /// One past the pool's last frame.
        end: u32,
    },
    /// The frame is already free.
    #[error("frame {frame} of the {pool} pool is not allocated")]
    NotAllocated {
        /// The frame given.
        frame: Pfn,
        /// The pool asked.
        pool: PoolKind,
    },
}

/// Something that hands out frames. Page-table code gets its frames only through this trait.
pub trait FrameAllocator {
    /// A free frame, now allocated: always the lowest-numbered free one.
    ///
    /// # Errors
    /// [`AllocError::Exhausted`] when no frame is free.
    fn allocate_frame(&mut self) -> Result<Pfn, AllocError>;

    /// Returns `frame` to the free set.
    ///
    /// # Errors
    /// [`FreeError`] if the frame is not this allocator's or is not allocated.
    fn deallocate_frame(&mut self, frame: Pfn) -> Result<(), FreeError>;
}

/// A contiguous range of frames with a two-level bitmap of allocated frames.
///
/// `used` has one bit per frame (set = allocated); `full` has one bit per word of `used` (set
/// = every frame of that word is allocated). Finding the lowest free frame scans `full`, which
/// is 4,096 times smaller than the pool, then takes two `trailing_ones`: 8 words for the
/// 32,768-frame user pool of the 200 MiB machine.
///
/// A free frame is a clear bit, and a word past the end of `used` (or of `full`) is all
/// clear: since frames are handed out lowest first, the bitmaps only grow to the highest frame
/// ever allocated, so a pool of 130,944 frames (the `ajou` page-table pool) costs no memory
/// until it is used.
///
/// ```
/// use phys::{FrameAllocator, FramePool, Pfn, PoolKind};
///
/// let mut pool = FramePool::new(PoolKind::User, 10..13);
/// assert_eq!(pool.allocate_frame()?, Pfn::new(10));
/// assert_eq!(pool.allocate_frame()?, Pfn::new(11));
/// pool.deallocate_frame(Pfn::new(10))?;
/// assert_eq!(pool.allocate_frame()?, Pfn::new(10)); // the lowest free frame, not the last freed
/// assert_eq!(pool.free_count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct FramePool {
    kind: PoolKind,
    start: u32,
    end: u32,
    used: Vec<u64>,
    full: Vec<u64>,
    free_count: u32,
}

impl FramePool {
    /// A pool owning `frames`, all free.
    pub fn new(kind: PoolKind, frames: Range<u32>) -> Self {
        let len = frames.end.saturating_sub(frames.start);
        FramePool {
            kind,
            start: frames.start,
            end: frames.start + len,
            used: Vec::new(),
            full: Vec::new(),
            free_count: len,
        }
    }

    /// Which pool this is.
    pub fn kind(&self) -> PoolKind {
        self.kind
    }

    /// The frames this pool owns.
    pub fn range(&self) -> Range<u32> {
        self.start..self.end
    }

    /// The number of frames the pool owns.
    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    /// Whether the pool owns no frame at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of free frames.
    pub fn free_count(&self) -> u32 {
        self.free_count
    }

    /// Whether `frame` belongs to this pool.
    #[inline]
    pub fn contains(&self, frame: Pfn) -> bool {
        (self.start..self.end).contains(&frame.as_u32())
    }

    /// Whether `frame` belongs to this pool and is allocated.
    #[inline]
    pub fn is_allocated(&self, frame: Pfn) -> bool {
        self.contains(frame) && {
            let i = (frame.as_u32() - self.start) as usize;
            self.used.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
        }
    }

    /// The allocated frames, in increasing order. The cost is one step per word of 64 frames
    /// up to the highest frame ever allocated, plus one per allocated frame.
    pub fn allocated(&self) -> impl Iterator<Item = Pfn> + '_ {
        self.used.iter().enumerate().flat_map(move |(w, &word)| {
            let mut bits = word;
            core::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros();
                    bits &= bits - 1;
                    Pfn::new(self.start + (w * 64) as u32 + bit)
                })
            })
        })
    }

    /// A range of the pool holding every allocated frame: from the pool's start to just past
    /// the highest word of 64 frames ever allocated from (since creation or
    /// [`FramePool::clear`]). Frames past it are free by construction, so a scan of the pool's
    /// frames (the kernel's `check`) need not go further: it costs what a run used.
    pub fn allocated_span(&self) -> Range<u32> {
        let words = u32::try_from(self.used.len()).unwrap_or(u32::MAX);
        self.start..self.start.saturating_add(words.saturating_mul(64)).min(self.end)
    }

    /// The lowest frame whose allocation disagrees with `in_use`, where `in_use[i] != 0` says
    /// frame `start + i` of the pool should be allocated (frames past the slice should be
    /// free), with whether it is allocated; `None` if every frame agrees. Compares 64 frames a
    /// step up to the [allocated span](FramePool::allocated_span) or the slice's end, whichever
    /// is further: the kernel's `check` uses it to match the pool against the page tables.
    pub fn first_disagreement(&self, in_use: &[u32]) -> Option<(Pfn, bool)> {
        let words = self.used.len().max(in_use.len().div_ceil(64));
        (0..words).find_map(|w| {
            let chunk = in_use.get(w * 64..).unwrap_or(&[]);
            let want = chunk.iter().take(64).enumerate().fold(0u64, |m, (b, &c)| m | (u64::from(c != 0) << b));
            let have = self.used.get(w).copied().unwrap_or(0);
            let differ = want ^ have;
            (differ != 0).then(|| {
                let bit = differ.trailing_zeros();
                (Pfn::new(self.start + (w * 64) as u32 + bit), have & (1 << bit) != 0)
            })
        })
    }

    /// Frees every frame, as [`FramePool::new`] left the pool, at the cost of the bitmap words
    /// used (their memory is kept for the next allocations).
    pub fn clear(&mut self) {
        self.used.clear();
        self.full.clear();
        self.free_count = self.len();
    }

    /// The lowest free frame, without allocating it.
    pub fn peek_lowest_free(&self) -> Option<Pfn> {
        // The first word that is not full: in `full`, or just past it.
        let word = match self.full.iter().position(|&w| w != u64::MAX) {
            Some(s) => s * 64 + self.full[s].trailing_ones() as usize,
            None => self.full.len() * 64,
        };
        let bit = self.used.get(word).map_or(0, |w| w.trailing_ones() as usize);
        // Every frame below it is allocated; past the pool's end there is none.
        let i = u32::try_from(word * 64 + bit).ok().filter(|&i| i < self.len())?;
        Some(Pfn::new(self.start + i))
    }
}

impl FrameAllocator for FramePool {
    fn allocate_frame(&mut self) -> Result<Pfn, AllocError> {
        let frame = self.peek_lowest_free().ok_or(AllocError::Exhausted { pool: self.kind, frames: self.len() })?;
        let i = (frame.as_u32() - self.start) as usize;
        let word = i / 64;
        if self.used.len() <= word {
            self.used.resize(word + 1, 0);
        }
        self.used[word] |= 1 << (i % 64);
        if self.used[word] == u64::MAX {
            if self.full.len() <= word / 64 {
                self.full.resize(word / 64 + 1, 0);
            }
            self.full[word / 64] |= 1 << (word % 64);
        }
        self.free_count -= 1;
        Ok(frame)
    }

    fn deallocate_frame(&mut self, frame: Pfn) -> Result<(), FreeError> {
        if !self.contains(frame) {
            return Err(FreeError::NotInPool { frame, pool: self.kind, start: self.start, end: self.end });
        }
        if !self.is_allocated(frame) {
            return Err(FreeError::NotAllocated { frame, pool: self.kind });
        }
        let i = (frame.as_u32() - self.start) as usize;
        let word = i / 64;
        // Both words exist: the frame was allocated.
        self.used[word] &= !(1 << (i % 64));
        if let Some(f) = self.full.get_mut(word / 64) {
            *f &= !(1 << (word % 64));
        }
        self.free_count += 1;
        Ok(())
    }
}

impl core::fmt::Debug for FramePool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FramePool")
            .field("kind", &self.kind)
            .field("range", &(self.start..self.end))
            .field("free", &self.free_count)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn hands_out_lowest_first_and_reports_exhaustion() {
        let mut p = FramePool::new(PoolKind::User, 10..13);
        assert_eq!(p.allocate_frame(), Ok(Pfn::new(10)));
        assert_eq!(p.allocate_frame(), Ok(Pfn::new(11)));
        assert_eq!(p.allocate_frame(), Ok(Pfn::new(12)));
        assert_eq!(p.allocate_frame(), Err(AllocError::Exhausted { pool: PoolKind::User, frames: 3 }));
        p.deallocate_frame(Pfn::new(11)).unwrap();
        assert_eq!(p.peek_lowest_free(), Some(Pfn::new(11)));
        assert_eq!(p.allocate_frame(), Ok(Pfn::new(11)));
    }

    #[test]
    fn bad_frees_are_errors() {
        let mut p = FramePool::new(PoolKind::Kernel, 0..100);
        assert!(matches!(p.deallocate_frame(Pfn::new(5)), Err(FreeError::NotAllocated { .. })));
        assert!(matches!(p.deallocate_frame(Pfn::new(100)), Err(FreeError::NotInPool { .. })));
        let f = p.allocate_frame().unwrap();
        p.deallocate_frame(f).unwrap();
        assert!(matches!(p.deallocate_frame(f), Err(FreeError::NotAllocated { .. })));
        assert_eq!(p.free_count(), 100);
    }

    #[test]
    fn empty_and_word_boundary_pools() {
        let mut p = FramePool::new(PoolKind::User, 7..7);
        assert!(p.is_empty());
        assert!(p.allocate_frame().is_err());
        // 4,096 + 64 + 1 frames: crosses a summary word and ends one bit into a word.
        let n = 4096 + 64 + 1;
        let mut p = FramePool::new(PoolKind::User, 0..n);
        for i in 0..n {
            assert_eq!(p.allocate_frame(), Ok(Pfn::new(i)));
        }
        assert!(p.allocate_frame().is_err());
        p.deallocate_frame(Pfn::new(n - 1)).unwrap();
        assert_eq!(p.allocate_frame(), Ok(Pfn::new(n - 1)));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Alloc,
        Free(usize),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(prop_oneof![3 => Just(Op::Alloc), 2 => any::<usize>().prop_map(Op::Free)], 1..400)
    }

    proptest! {
        /// Random allocate/free sequences against a set of free frames: never a frame twice,
        /// never a frame lost, always the lowest free one.
        #[test]
        fn matches_a_naive_free_set(start in 0u32..200, len in 0u32..300, ops in ops()) {
            let mut pool = FramePool::new(PoolKind::User, start..start + len);
            let mut free: BTreeSet<u32> = (start..start + len).collect();
            let mut held: Vec<u32> = Vec::new();
            for op in ops {
                match op {
                    Op::Alloc => match pool.allocate_frame() {
                        Ok(f) => {
                            let lowest = free.pop_first();
                            prop_assert_eq!(Some(f.as_u32()), lowest);
                            held.push(f.as_u32());
                        }
                        Err(_) => prop_assert!(free.is_empty()),
                    },
                    Op::Free(i) if !held.is_empty() => {
                        let f = held.swap_remove(i % held.len());
                        prop_assert!(pool.deallocate_frame(Pfn::new(f)).is_ok());
                        prop_assert!(free.insert(f));
                    }
                    Op::Free(i) => {
                        // Nothing held: freeing any frame of the pool must be refused.
                        if len > 0 {
                            let f = start + (i as u32 % len);
                            prop_assert!(pool.deallocate_frame(Pfn::new(f)).is_err());
                        }
                    }
                }
                prop_assert_eq!(pool.free_count() as usize, free.len());
                prop_assert_eq!(pool.peek_lowest_free().map(Pfn::as_u32), free.first().copied());
            }
            let allocated: Vec<u32> = pool.allocated().map(Pfn::as_u32).collect();
            let mut expect = held.clone();
            expect.sort_unstable();
            let span = pool.allocated_span();
            prop_assert!(expect.iter().all(|f| span.contains(f)), "{:?} outside {:?}", expect, span);
            prop_assert_eq!(&allocated, &expect);
            // first_disagreement against the held frames, then with one frame wrong either way.
            let mut in_use = vec![0u32; len as usize];
            for f in &held {
                in_use[(f - start) as usize] = 1;
            }
            prop_assert_eq!(pool.first_disagreement(&in_use), None);
            if let Some(i) = in_use.iter().position(|&c| c == 0) {
                in_use[i] = 3;
                prop_assert_eq!(pool.first_disagreement(&in_use), Some((Pfn::new(start + i as u32), false)));
                in_use[i] = 0;
            }
            if let Some(&f) = expect.first() {
                in_use[(f - start) as usize] = 0;
                prop_assert_eq!(pool.first_disagreement(&in_use), Some((Pfn::new(f), true)));
            }
            pool.clear();
            prop_assert_eq!(pool.free_count(), len);
            prop_assert!(pool.allocated_span().is_empty());
            prop_assert_eq!(pool.allocated().count(), 0);
            prop_assert_eq!(pool.peek_lowest_free().map(Pfn::as_u32), (len > 0).then_some(start));
        }
    }
}
