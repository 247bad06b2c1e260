//! The machine a problem is loaded into: an arena holding the problem's memory, a
//! [`paging::MachineFormat`] of the problem's geometry and entry layout, and the project's
//! walker ([`paging::MachineFormat::walk`]) to translate through it.
//!
//! OSTEP's linear problems allow pages of 1 byte to 512 MiB; the walker's base pages are 16 B
//! to 64 KiB. The table lookup does not depend on the page size, only on the VPN, so a page
//! size outside that range is walked with the nearest one the walker has, and the physical
//! address is made from the leaf's frame and the problem's own page size.

use paging::{EntryBits, EntryLayout, FaultKind, Geometry, LeafRule, MachineFormat, PermBit};
use phys::{Arena, PhysAddr};

use crate::SolveError;

/// Where an entry keeps its valid bit and its frame number (from bit 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Bytes in one entry (little-endian in memory).
    pub(crate) entry_bytes: u8,
    /// The bit that says the entry is valid.
    pub(crate) valid_bit: u8,
    /// Width of the frame-number field, which starts at bit 0.
    pub(crate) pfn_bits: u8,
}

/// How a problem's virtual address is cut: index bits for each level, root first, then the
/// page offset; and its entries' layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// log2 of the problem's page size.
    pub(crate) page_bits: u8,
    /// Index bits of each level, the root's first.
    pub(crate) level_bits: Vec<u8>,
    /// The entry layout, the same at every level.
    pub(crate) layout: Layout,
}

/// One level of a walk: which entry was read and what it said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// The entry's index in its table.
    pub(crate) index: u64,
    /// The raw entry.
    pub(crate) entry: u64,
    /// Its valid bit.
    pub(crate) valid: bool,
    /// Its frame-number field (read whether or not the entry is valid).
    pub(crate) pfn: u64,
}

/// Where a walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Every level was valid: the physical address.
    Mapped { pa: u64 },
    /// The entry at this level (0 = root) was not valid.
    Fault { level: usize },
}

/// A walk, level by level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Walk {
    /// The entries read, root first; the last is the one that faulted or the leaf.
    pub(crate) steps: Vec<Step>,
    /// The result.
    pub(crate) end: End,
}

/// A loaded machine.
pub(crate) struct Machine {
    arena: Arena,
    format: MachineFormat,
    /// log2 of the problem's page size.
    page_bits: u8,
}

impl Machine {
    /// A machine of `shape` whose physical memory holds `memory` from address 0 (and zeros
    /// after it, to the end of the arena's last 4 KiB frame).
    ///
    /// # Errors
    /// [`SolveError::Machine`] if paging or the arena refuses the shape or the size.
    pub(crate) fn load(shape: &Shape, memory: &[u8]) -> Result<Self, SolveError> {
        let machine = |e: &dyn std::fmt::Display| SolveError::Machine { reason: e.to_string() };
        let walk_shift = shape.page_bits.clamp(paging::MIN_PAGE_SHIFT, paging::MAX_PAGE_SHIFT);
        let geometry =
            Geometry::new(&shape.level_bits, walk_shift, shape.layout.entry_bytes).map_err(|e| machine(&e))?;
        let format = MachineFormat::new(geometry, ostep_layout(shape.layout), false).map_err(|e| machine(&e))?;
        let frames = (memory.len() as u64).div_ceil(phys::PAGE_SIZE as u64).max(1);
        let frames = u32::try_from(frames).map_err(|_| machine(&"the memory is too large"))?;
        let mut arena = Arena::new(frames).map_err(|e| machine(&e))?;
        arena.write_bytes(PhysAddr::new(0), memory.len()).map_err(|e| machine(&e))?.copy_from_slice(memory);
        Ok(Machine { arena, format, page_bits: shape.page_bits })
    }

    /// Walks the problem's address `va` from the root table at the problem's page `root`.
    ///
    /// # Errors
    /// [`SolveError::Walk`] for a fault other than an invalid entry (a table outside memory):
    /// never for a parsed problem.
    pub(crate) fn walk(&self, root: u64, va: u64) -> Result<Walk, SolveError> {
        let g = self.format.geometry();
        let shift = u32::from(g.page_shift());
        let page_bits = u32::from(self.page_bits);
        // The same VPN in the walker's page size; the root is at the same address.
        let vpn = (va >> page_bits) & ((1 << g.vpn_bits()) - 1);
        let offset = va & ((1 << page_bits.min(shift)) - 1);
        let root_addr = root << page_bits;
        let walk = self.format.walk(&self.arena, root_addr >> shift, vpn << shift | offset, None);
        let steps = walk
            .steps()
            .iter()
            .map(|s| Step {
                index: s.index,
                entry: s.entry.raw,
                valid: s.entry.bits.contains(EntryBits::VALID),
                pfn: s.entry.frame,
            })
            .collect();
        let end = match walk.outcome() {
            Ok(t) => End::Mapped { pa: t.frame << page_bits | (va & ((1 << page_bits) - 1)) },
            Err(f) if f.kind == FaultKind::NotPresent => End::Fault { level: f.level },
            Err(f) => return Err(SolveError::Walk(f)),
        };
        Ok(Walk { steps, end })
    }

    /// The byte at physical address `pa`, if it is in memory.
    pub(crate) fn read_byte(&self, pa: u64) -> Option<u8> {
        self.arena.read_byte(PhysAddr::new(pa)).ok()
    }
}

/// OSTEP's entries: a valid bit and a frame number from bit 0, nothing else (every valid
/// entry grants every access; leaves only at the last level).
fn ostep_layout(l: Layout) -> EntryLayout {
    EntryLayout {
        valid: l.valid_bit,
        read: PermBit::Implied,
        write: PermBit::Implied,
        exec: PermBit::Implied,
        user: PermBit::Implied,
        accessed: None,
        dirty: None,
        global: None,
        cow: None,
        orig_write: None,
        leaf: LeafRule::LastLevel,
        huge_levels: 0,
        frame_shift: 0,
        frame_bits: l.pfn_bits,
        table_bits: 0,
        perms_in_tables: false,
        accessed_in_tables: false,
    }
}
