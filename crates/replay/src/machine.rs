//! Replay through a machine (`--machine PRESET`): every reference goes through a TLB, then,
//! on a TLB miss, a walk of real page tables in one of `paging`'s formats (x86-64, Sv39, ...),
//! which sets the accessed and dirty bits as the hardware does; a not-present entry is a page
//! fault, and the policy (the `policy` crate's [`Simulator`], as in a plain replay) names the
//! frame. Evicting a page clears its entry (all zero, as `paging` unmaps) and shoots down its
//! TLB entry; the new page is mapped, and the faulting access is retried.
//!
//! The page tables live in a memory of their own ([`TABLE_FRAMES`] frames, taken lowest
//! first, never freed), outside the N user frames, as the `mtl458` course's OS region: the
//! user frames are numbered from [`TABLE_FRAMES`] on and hold no bytes. So the faults are
//! exactly the plain replay's, and the machine adds what it costs: TLB hits and misses, walks,
//! and the table frames used.
//!
//! The machine checks itself as it goes: a TLB hit or a present entry must be a page the
//! policy's frames hold, a not-present entry one they do not, and an evicted page's dirty bit
//! (where the format has one) must agree with the policy's M bit. A disagreement is a
//! [`ReplayError::Machine`], never a silent count.

use paging::{EntryBits, FaultKind, MachineFormat, Preset, Request};
use phys::{Arena, FramePool, PoolKind};
use policy::{Policy, Reference, Simulator};

use crate::error::ReplayError;
use crate::memory::{Counts, Sink, check_frames};
use crate::tlb::{Tlb, TlbConfig, TlbCounts};

/// Frames of the page-table memory (1 GiB; host memory is used only for the tables written).
pub const TABLE_FRAMES: u32 = 1 << 18;

/// What the machine adds to a replay's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineCounts {
    /// Table walks by the MMU: one per TLB miss, and one for a write through a TLB entry that
    /// had not seen a write (the hardware walks to set the dirty bit). A fault's retried
    /// access needs none: the kernel writes the entry with the bits it would set.
    pub walks: u64,
    /// Page-table frames in use at the end (the root included).
    pub table_frames: u64,
}

/// `frames` user frames of a machine under policy `P`.
pub struct MachineMemory<P> {
    sim: Simulator<P>,
    format: MachineFormat,
    arena: Arena,
    tables: FramePool,
    root: u64,
    tlb: Tlb,
    shift: u32,
    leaf_level: usize,
    map_bits: EntryBits,
    counts: MachineCounts,
}

impl<P: Policy> MachineMemory<P> {
    /// The machine `preset` with `frames` user frames under `policy` (built for `frames`
    /// frames), pages of `page_size` bytes, and a TLB of shape `tlb`.
    ///
    /// # Errors
    /// [`ReplayError::NoFrames`], [`ReplayError::TooManyFrames`], [`ReplayError::TlbShape`];
    /// [`ReplayError::MachinePageSize`] when `page_size` is not the machine's base page;
    /// [`ReplayError::Machine`] when the root table cannot be made or the frames cannot be
    /// numbered in the format's entries.
    pub fn new(preset: Preset, frames: usize, policy: P, page_size: u64, tlb: TlbConfig) -> Result<Self, ReplayError> {
        check_frames(frames)?;
        let format = preset.format();
        let g = *format.geometry();
        if page_size != g.page_size() {
            return Err(ReplayError::MachinePageSize { page_size, machine: preset.name(), page: g.page_size() });
        }
        let layout = format.layout();
        let machine = |what: String| ReplayError::Machine { page: None, what };
        // The highest user frame must fit in a leaf entry's frame field.
        let last = u64::from(TABLE_FRAMES) + frames as u64 - 1;
        if layout.frame_bits < 64 && last >> layout.frame_bits != 0 {
            return Err(machine(format!(
                "{frames} user frames after {TABLE_FRAMES} table frames do not fit in {}'s {}-bit frame numbers",
                preset.name(),
                layout.frame_bits
            )));
        }
        let mut arena = Arena::new(TABLE_FRAMES).map_err(|e| machine(e.to_string()))?;
        let mut tables = FramePool::new(PoolKind::Kernel, 0..TABLE_FRAMES);
        let root = format.new_table(&mut arena, &mut tables).map_err(|e| machine(e.to_string()))?;
        let want = EntryBits::READ | EntryBits::WRITE | EntryBits::EXEC | EntryBits::USER;
        Ok(MachineMemory {
            sim: Simulator::with(policy, frames),
            format,
            arena,
            tables,
            root,
            tlb: Tlb::new(tlb)?,
            shift: u32::from(g.page_shift()),
            leaf_level: g.levels() - 1,
            map_bits: want & layout.representable(),
            counts: MachineCounts::default(),
        })
    }

    fn request(write: bool) -> Request {
        if write { Request::WRITE } else { Request::READ }
    }

    /// References `page` (a write if `write`) through the TLB, the tables and the policy.
    ///
    /// # Errors
    /// [`ReplayError::Machine`]: the page's address is outside the machine's address space,
    /// the tables need more than [`TABLE_FRAMES`] frames, or the machine disagrees with the
    /// policy's frames (a bug).
    pub fn access(&mut self, page: u64, write: bool) -> Result<(), ReplayError> {
        let fail = |what: String| ReplayError::Machine { page: Some(page), what };
        let va = page
            .checked_shl(self.shift)
            .filter(|va| va >> self.shift == page)
            .ok_or_else(|| fail("its address does not fit in 64 bits".into()))?;
        let r = Reference { page, write };
        if let Some((slot, _frame, dirty)) = self.tlb.lookup(page) {
            if write && !dirty {
                self.counts.walks += 1;
                let walk = self.format.access(&mut self.arena, self.root, va, Self::request(true));
                walk.outcome().map_err(|f| fail(format!("a TLB entry whose table entry faults: {f:?}")))?;
                self.tlb.set_dirty(slot);
            }
            if !self.sim.access(r).hit {
                return Err(fail("a TLB hit on a page the policy's frames do not hold".into()));
            }
            return Ok(());
        }
        self.counts.walks += 1;
        let walk = self.format.access(&mut self.arena, self.root, va, Self::request(write));
        match walk.outcome() {
            Ok(t) => {
                if !self.sim.access(r).hit {
                    return Err(fail("a present entry for a page the policy's frames do not hold".into()));
                }
                self.tlb.fill(page, t.frame, write);
                Ok(())
            }
            Err(f) if f.kind == FaultKind::NotPresent => self.fault(page, va, r),
            Err(f) => Err(fail(format!("{} at level {}", f.kind, f.level))),
        }
    }

    /// A page fault: the policy's frame, the victim unmapped and shot down, the page mapped,
    /// the access retried.
    fn fault(&mut self, page: u64, va: u64, r: Reference) -> Result<(), ReplayError> {
        let fail = |what: String| ReplayError::Machine { page: Some(page), what };
        let step = self.sim.access(r);
        if step.hit {
            return Err(fail("a not-present entry for a page the policy's frames hold".into()));
        }
        if let Some((old, dirty)) = step.victim {
            let old_va = old << self.shift;
            let m = self
                .format
                .unmap(&mut self.arena, self.root, old_va)
                .map_err(|e| fail(format!("evicting page {old:#x}: {e}")))?;
            if self.format.layout().dirty.is_some() && m.entry.bits.contains(EntryBits::DIRTY) != dirty {
                return Err(fail(format!("evicted page {old:#x}: its dirty bit is not the policy's M bit")));
            }
            self.tlb.invalidate(old);
        }
        let frame = u64::from(TABLE_FRAMES) + step.frame.0 as u64;
        // The retried access would walk again only to set the accessed bit (and the dirty
        // bit for a write): the entry is written with them, and its translation is known.
        let mut set = EntryBits::ACCESSED;
        if r.write {
            set |= EntryBits::DIRTY;
        }
        let bits = self.map_bits | (set & self.format.layout().representable());
        self.format
            .map(&mut self.arena, &mut self.tables, self.root, va, frame, self.leaf_level, bits)
            .map_err(|e| fail(format!("mapping it: {e}")))?;
        self.tlb.fill(page, frame, r.write);
        Ok(())
    }

    /// The counts so far.
    #[must_use]
    pub fn counts(&self) -> Counts {
        Counts::from_stats(&self.sim.stats())
    }

    /// The machine's own counts so far.
    #[must_use]
    pub fn machine_counts(&self) -> MachineCounts {
        MachineCounts { table_frames: u64::from(self.tables.len() - self.tables.free_count()), ..self.counts }
    }

    /// The TLB's counts.
    #[must_use]
    pub fn tlb_counts(&self) -> TlbCounts {
        self.tlb.counts()
    }
}

impl<P: Policy> Sink for MachineMemory<P> {
    fn feed(&mut self, refs: &[Reference]) -> Result<(), ReplayError> {
        for r in refs {
            self.access(r.page, r.write)?;
        }
        Ok(())
    }
    fn counts(&self) -> Counts {
        MachineMemory::counts(self)
    }
    fn tlb_counts(&self) -> Option<TlbCounts> {
        Some(MachineMemory::tlb_counts(self))
    }
    fn machine_counts(&self) -> Option<MachineCounts> {
        Some(MachineMemory::machine_counts(self))
    }
}
