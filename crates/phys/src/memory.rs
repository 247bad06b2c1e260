//! One machine's physical memory: arena, kernel and user pools, map counts.

use core::ops::Range;

use crate::{Arena, ArenaError, FramePool, MapCounts, PoolKind};

/// Where a machine's pools sit in its arena.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryLayout {
    /// Frames in the arena.
    pub frames: u32,
    /// The kernel pool: frames for page tables.
    pub kernel: Range<u32>,
    /// The user pool: frames for process pages.
    pub user: Range<u32>,
}

impl MemoryLayout {
    /// The `mtl458` machine: 200 MiB, the first 72 MiB (frames 0..18,432) for the OS, the
    /// remaining 128 MiB (frames 18,432..51,200) for processes.
    pub const MTL458: MemoryLayout = MemoryLayout { frames: 51_200, kernel: 0..18_432, user: 18_432..51_200 };

    /// The `ajou` machine: 128 user frames numbered 0..128, as the course framework numbers
    /// them, and 130,944 frames after them for page tables: the framework mallocs its tables
    /// and never runs out, and no script comes near this many (a process needs one frame, plus
    /// one per outer entry it uses: 65,000 processes with one page each). The 512 MiB are a
    /// zeroed allocation, touched only where a table is; they stay well inside the 1 GiB of
    /// address space a grader's runner allows a student's simulator (`grade`), which `vmsim`
    /// may be.
    pub const AJOU: MemoryLayout = MemoryLayout { frames: 1 << 17, kernel: 128..1 << 17, user: 0..128 };

    /// Checks that both pools lie inside the arena and do not overlap.
    ///
    /// # Errors
    /// [`LayoutError`] saying which rule is broken.
    pub fn validate(&self) -> Result<(), LayoutError> {
        for (kind, r) in [(PoolKind::Kernel, &self.kernel), (PoolKind::User, &self.user)] {
            if r.start > r.end || r.end > self.frames {
                return Err(LayoutError::PoolOutside { pool: kind, start: r.start, end: r.end, frames: self.frames });
            }
        }
        if self.kernel.start < self.user.end && self.user.start < self.kernel.end {
            return Err(LayoutError::Overlap);
        }
        Ok(())
    }
}

/// A [`MemoryLayout`] that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// A pool reaches past the arena or is reversed.
    #[error("the {pool} pool {start}..{end} is not inside the arena of {frames} frames")]
    PoolOutside {
        /// The pool.
        pool: PoolKind,
        /// Its first frame.
        start: u32,
        /// One past its last frame.
        end: u32,
        /// Frames in the arena.
        frames: u32,
    },
    /// The kernel and user pools share frames.
    #[error("the kernel and user pools overlap")]
    Overlap,
    /// The arena could not be created.
    #[error(transparent)]
    Arena(#[from] ArenaError),
}

/// The physical memory of one machine.
///
/// The fields are public so that callers can borrow them separately (map through the kernel
/// pool while counting user frames, say); keeping them consistent is the caller's job, and the
/// kernel's `check` verifies it.
#[derive(Debug)]
pub struct PhysMemory {
    /// The bytes.
    pub arena: Arena,
    /// Frames for page tables.
    pub kernel: FramePool,
    /// Frames for process pages.
    pub user: FramePool,
    /// How many page-table entries map each frame, for the frames up to the end of the user
    /// pool (a table frame is never mapped, and counts 0).
    pub map_counts: MapCounts,
}

impl PhysMemory {
    /// A machine laid out as `layout`, every frame free and zero.
    ///
    /// # Errors
    /// [`LayoutError`] if the layout is invalid or too large.
    pub fn new(layout: MemoryLayout) -> Result<Self, LayoutError> {
        layout.validate()?;
        Ok(PhysMemory {
            arena: Arena::new(layout.frames)?,
            kernel: FramePool::new(PoolKind::Kernel, layout.kernel),
            user: FramePool::new(PoolKind::User, layout.user.clone()),
            // Only user frames are ever mapped by an entry: no count past the user pool, so
            // that a large pool of table frames adds nothing to walk.
            map_counts: MapCounts::new(layout.user.end),
        })
    }

    /// Puts the memory back as [`PhysMemory::new`] built it (every frame free and zero, every
    /// map count zero), clearing only what was used since: the frames written, the pools'
    /// bitmap words, the map counts' touched span. Lets a caller reuse one large machine for
    /// many short runs (the fuzz targets) instead of building a new one each time.
    pub fn reset(&mut self) {
        self.arena.zero_all();
        self.kernel.clear();
        self.user.clear();
        self.map_counts.clear();
    }

    /// The pool of the given kind.
    pub fn pool(&self, kind: PoolKind) -> &FramePool {
        match kind {
            PoolKind::Kernel => &self.kernel,
            PoolKind::User => &self.user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FrameAllocator, Pfn};

    #[test]
    fn the_two_machines_are_valid() {
        let m = PhysMemory::new(MemoryLayout::MTL458).unwrap();
        assert_eq!(m.arena.size(), 200 << 20);
        assert_eq!(m.kernel.len(), 18_432);
        assert_eq!(m.user.len(), 32_768);
        let mut a = PhysMemory::new(MemoryLayout::AJOU).unwrap();
        assert_eq!(a.user.allocate_frame(), Ok(Pfn::new(0)));
        assert_eq!(a.kernel.allocate_frame(), Ok(Pfn::new(128)));
    }

    #[test]
    fn a_reset_memory_is_a_fresh_one() {
        let mut m = PhysMemory::new(MemoryLayout::MTL458).unwrap();
        let k = m.kernel.allocate_frame().unwrap();
        let u = m.user.allocate_frame().unwrap();
        m.map_counts.increment(u).unwrap();
        m.arena.write_byte(k.start_address(), 1).unwrap();
        m.arena.write_byte(u.start_address(), 2).unwrap();
        m.reset();
        assert_eq!((m.kernel.free_count(), m.user.free_count()), (18_432, 32_768));
        assert_eq!((m.kernel.allocate_frame(), m.user.allocate_frame()), (Ok(k), Ok(u)));
        assert_eq!(m.map_counts.get(u), 0);
        assert!(m.arena.frame(k).unwrap().iter().chain(m.arena.frame(u).unwrap()).all(|&b| b == 0));
    }

    #[test]
    fn bad_layouts_are_refused() {
        let l = MemoryLayout { frames: 10, kernel: 0..6, user: 5..10 };
        assert_eq!(l.validate(), Err(LayoutError::Overlap));
        let l = MemoryLayout { frames: 10, kernel: 0..5, user: 5..11 };
        assert!(matches!(l.validate(), Err(LayoutError::PoolOutside { pool: PoolKind::User, .. })));
        #[allow(clippy::reversed_empty_ranges)]
        let l = MemoryLayout { frames: 10, kernel: 6..5, user: 0..5 };
        assert!(PhysMemory::new(l).is_err());
    }
}
