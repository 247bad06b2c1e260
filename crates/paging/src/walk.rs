//! The general walker: one walk for every [`MachineFormat`], level by level, with the steps
//! recorded so that a student can watch it, and the MMU's accessed and dirty bits.

use phys::{Arena, PhysAddr};

use crate::geometry::MAX_LEVELS;
use crate::{Entry, EntryBits, EntryKind, MachineFormat};

/// What an access does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// A load.
    Read,
    /// A store: sets the dirty bit.
    Write,
    /// An instruction fetch.
    Execute,
}

/// An access the MMU checks permissions for: the operation and the privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Request {
    /// The operation.
    pub op: Op,
    /// Whether the access comes from user mode (and so needs [`EntryBits::USER`]).
    pub user: bool,
}

impl Request {
    /// A user-mode read.
    pub const READ: Request = Request { op: Op::Read, user: true };
    /// A user-mode write.
    pub const WRITE: Request = Request { op: Op::Write, user: true };
    /// A user-mode instruction fetch.
    pub const EXECUTE: Request = Request { op: Op::Execute, user: true };

    /// The permissions the request needs.
    pub const fn needs(self) -> EntryBits {
        let op = match self.op {
            Op::Read => EntryBits::READ,
            Op::Write => EntryBits::WRITE,
            Op::Execute => EntryBits::EXEC,
        };
        if self.user { op.union(EntryBits::USER) } else { op }
    }
}

/// One level of a walk: the table read, the index used, the entry found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WalkStep {
    /// The level (0 is the root).
    pub level: usize,
    /// The table's first frame, in base pages.
    pub table: u64,
    /// The table's physical address.
    pub table_addr: PhysAddr,
    /// The index into the table: the address's bits for this level.
    pub index: u64,
    /// The entry's physical address.
    pub entry_addr: PhysAddr,
    /// The entry, decoded at this level.
    pub entry: Entry,
}

/// Where a walk ended well: the page and the physical address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Translation {
    /// The physical address of the byte.
    pub phys: PhysAddr,
    /// The level of the leaf (the last level for a base page, above it for a huge page).
    pub level: usize,
    /// The size of the page in bytes.
    pub page_size: u64,
    /// The leaf's frame field: the page's first frame, in base pages.
    pub frame: u64,
    /// The leaf's bits (after the MMU's accessed/dirty update, for [`MachineFormat::access`]).
    pub bits: EntryBits,
    /// The permissions the walk grants: the leaf's, restricted by the tables' where the
    /// layout says so (x86).
    pub perms: EntryBits,
    /// The leaf entry's physical address.
    pub entry_addr: PhysAddr,
}

/// Why a walk failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum FaultKind {
    /// The address's unused high bits are not zero (or not a sign extension).
    #[error("non-canonical address")]
    NonCanonical,
    /// The entry is not valid.
    #[error("not present")]
    NotPresent,
    /// The entry is a combination the hardware reserves.
    #[error("reserved entry")]
    Reserved,
    /// A huge page whose frame is not aligned to its size.
    #[error("misaligned huge page")]
    Misaligned,
    /// The page does not allow the access.
    #[error("protection")]
    Protection,
    /// An entry's address is outside physical memory.
    #[error("table outside memory")]
    BusError,
}

/// A failed walk: why, and at which level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("{kind} fault at level {level} for address {va:#x}")]
pub struct WalkFault {
    /// Why.
    pub kind: FaultKind,
    /// The level where the walk stopped (0 for a non-canonical address).
    pub level: usize,
    /// The address walked.
    pub va: u64,
}

/// A walk: its steps, one a level read, and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Walk {
    steps: [WalkStep; MAX_LEVELS],
    len: usize,
    outcome: Result<Translation, WalkFault>,
}

impl Walk {
    /// The steps, root first.
    pub fn steps(&self) -> &[WalkStep] {
        &self.steps[..self.len]
    }

    /// How it ended.
    ///
    /// # Errors
    /// The [`WalkFault`] that stopped it.
    pub fn outcome(&self) -> Result<Translation, WalkFault> {
        self.outcome
    }

    fn push(&mut self, step: WalkStep) {
        if self.len < MAX_LEVELS {
            self.steps[self.len] = step;
            self.len += 1;
        }
    }
}

/// Fills the unused slots of [`Walk::steps`].
const NO_STEP: WalkStep = WalkStep {
    level: 0,
    table: 0,
    table_addr: PhysAddr::new(0),
    index: 0,
    entry_addr: PhysAddr::new(0),
    entry: Entry { raw: 0, kind: EntryKind::Invalid, bits: EntryBits::empty(), frame: 0 },
};

/// Reads the little-endian entry of `bytes` bytes at `addr`.
#[inline]
pub(crate) fn read_entry(arena: &Arena, addr: PhysAddr, bytes: u8) -> Option<u64> {
    let b = arena.read_bytes(addr, usize::from(bytes)).ok()?;
    // The common widths as one load each, not a copy of a length known only at run time.
    if let Ok(&b) = <&[u8; 8]>::try_from(b) {
        return Some(u64::from_le_bytes(b));
    }
    if let Ok(&b) = <&[u8; 4]>::try_from(b) {
        return Some(u64::from(u32::from_le_bytes(b)));
    }
    let mut le = [0u8; 8];
    le[..b.len()].copy_from_slice(b);
    Some(u64::from_le_bytes(le))
}

/// Writes the little-endian entry of `bytes` bytes at `addr`; false if it is outside memory.
pub(crate) fn write_entry(arena: &mut Arena, addr: PhysAddr, bytes: u8, raw: u64) -> bool {
    match arena.write_bytes(addr, usize::from(bytes)) {
        Ok(b) => {
            match <&mut [u8; 8]>::try_from(&mut *b) {
                Ok(b) => *b = raw.to_le_bytes(),
                Err(_) => b.copy_from_slice(&raw.to_le_bytes()[..usize::from(bytes)]),
            }
            true
        }
        Err(_) => false,
    }
}

impl MachineFormat {
    /// The physical address of `frame` (in base pages), if it fits in 64 bits.
    #[inline]
    pub fn frame_address(&self, frame: u64) -> Option<PhysAddr> {
        let shift = u32::from(self.geometry().page_shift());
        (frame.leading_zeros() >= shift).then(|| PhysAddr::new(frame << shift))
    }

    /// Walks the table whose root table starts at frame `root` for the address `va`, without
    /// changing anything: every level read is recorded. With a `request`, the leaf's
    /// permissions are checked as the MMU checks them; without, any valid leaf translates.
    pub fn walk(&self, arena: &Arena, root: u64, va: u64, request: Option<Request>) -> Walk {
        let mut walk =
            Walk { steps: [NO_STEP; MAX_LEVELS], len: 0, outcome: Err(fault(FaultKind::NonCanonical, 0, va)) };
        if !self.is_canonical(va) {
            return walk;
        }
        let g = self.geometry();
        let layout = self.layout();
        let levels = g.levels();
        let width = g.entry_bytes();
        // Tables restrict write, user and execute along the way where the layout says so.
        let mut allowed = EntryBits::WRITE | EntryBits::USER | EntryBits::EXEC;
        let mut table = root;
        for level in 0..levels {
            let index = g.index(level, va);
            let bus = fault(FaultKind::BusError, level, va);
            let Some(table_addr) = self.frame_address(table) else {
                walk.outcome = Err(bus);
                return walk;
            };
            let entry_addr = PhysAddr::new(table_addr.as_u64().wrapping_add(index * u64::from(width)));
            let Some(raw) = read_entry(arena, entry_addr, width) else {
                walk.outcome = Err(bus);
                return walk;
            };
            let entry = layout.decode(raw, level, levels);
            walk.push(WalkStep { level, table, table_addr, index, entry_addr, entry });
            match entry.kind {
                EntryKind::Invalid => {
                    walk.outcome = Err(fault(FaultKind::NotPresent, level, va));
                    return walk;
                }
                EntryKind::Reserved => {
                    walk.outcome = Err(fault(FaultKind::Reserved, level, va));
                    return walk;
                }
                EntryKind::Table => {
                    if layout.perms_in_tables {
                        allowed &= entry.bits;
                    }
                    table = entry.frame;
                }
                EntryKind::Leaf => {
                    walk.outcome = self.leaf(level, va, entry, entry_addr, allowed, request);
                    return walk;
                }
            }
        }
        walk
    }

    fn leaf(
        &self,
        level: usize,
        va: u64,
        entry: Entry,
        entry_addr: PhysAddr,
        allowed: EntryBits,
        request: Option<Request>,
    ) -> Result<Translation, WalkFault> {
        let g = self.geometry();
        let page_size = g.level_page_size(level);
        let frames = page_size >> g.page_shift();
        if entry.frame % frames != 0 {
            return Err(fault(FaultKind::Misaligned, level, va));
        }
        let base = self.frame_address(entry.frame).ok_or(fault(FaultKind::BusError, level, va))?;
        let phys = PhysAddr::new(base.as_u64() | (va & (page_size - 1)));
        let perms = entry.bits & (EntryBits::READ | allowed);
        if request.is_some_and(|r| !perms.contains(r.needs())) {
            return Err(fault(FaultKind::Protection, level, va));
        }
        Ok(Translation { phys, level, page_size, frame: entry.frame, bits: entry.bits, perms, entry_addr })
    }

    /// The MMU's access: [`MachineFormat::walk`] with `request`'s permission check, then, if
    /// it translates, the accessed bit set in the leaf (and in the tables walked, where the
    /// layout says so) and, for a write, the dirty bit, as hardware sets them. The returned
    /// walk shows the entries as they are afterwards.
    pub fn access(&self, arena: &mut Arena, root: u64, va: u64, request: Request) -> Walk {
        let mut walk = self.walk(arena, root, va, Some(request));
        let Ok(mut t) = walk.outcome else { return walk };
        let layout = *self.layout();
        let levels = self.geometry().levels();
        let width = self.geometry().entry_bytes();
        let mut set = EntryBits::ACCESSED;
        if request.op == Op::Write {
            set |= EntryBits::DIRTY;
        }
        for step in &mut walk.steps[..walk.len] {
            let leaf = step.level == t.level;
            let want = match (leaf, layout.accessed_in_tables) {
                (true, _) => set & layout.representable(),
                (false, true) => EntryBits::ACCESSED & layout.representable(),
                (false, false) => EntryBits::empty(),
            };
            if want.is_empty() || step.entry.bits.contains(want) {
                continue;
            }
            let Ok(raw) = layout.update(step.entry.raw, want, EntryBits::empty()) else { continue };
            if write_entry(arena, step.entry_addr, width, raw) {
                step.entry = layout.decode(raw, step.level, levels);
                if leaf {
                    t.bits = step.entry.bits;
                }
            }
        }
        walk.outcome = Ok(t);
        walk
    }
}

const fn fault(kind: FaultKind, level: usize, va: u64) -> WalkFault {
    WalkFault { kind, level, va }
}
