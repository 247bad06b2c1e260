//! [`PageTable`] on a general format: its entries translated to and from [`Pte`]s, so that the
//! kernel drives every machine through the same calls.
//!
//! The kernel's flags map one to one onto [`EntryBits`]: `PRESENT` is `VALID`, `READ`,
//! `WRITE`, `EXEC`, `COW`, `ORIG_WRITE`, `ACCESSED` and `DIRTY` are themselves, and every page
//! is a user page (`USER` set), since the kernel maps only processes' pages.

use std::collections::BTreeSet;

use phys::{AddressError, Arena, FrameAllocator, PAGE_SHIFT, Pfn};

use super::{EntryAddr, MapError, PageTable, UnmapError};
use crate::walk::{read_entry, write_entry};
use crate::{
    Absent, AbsentKind, EncodeError, EntryBits, EntryKind, Format, FrameTooLarge, MachineFormat, Mapping, Pte,
    PteFlags, Vpn, general as g,
};

const PAIRS: [(PteFlags, EntryBits); 8] = [
    (PteFlags::PRESENT, EntryBits::VALID),
    (PteFlags::READ, EntryBits::READ),
    (PteFlags::WRITE, EntryBits::WRITE),
    (PteFlags::EXEC, EntryBits::EXEC),
    (PteFlags::COW, EntryBits::COW),
    (PteFlags::ORIG_WRITE, EntryBits::ORIG_WRITE),
    (PteFlags::ACCESSED, EntryBits::ACCESSED),
    (PteFlags::DIRTY, EntryBits::DIRTY),
];

/// The entry bits of the kernel's `flags`, as a user page.
#[inline]
pub(crate) fn entry_bits(flags: PteFlags) -> EntryBits {
    let mut bits = EntryBits::USER;
    for (f, b) in PAIRS {
        bits.set(b, flags.contains(f));
    }
    bits
}

/// The kernel's flags of `bits`.
pub(crate) fn pte_flags(bits: EntryBits) -> PteFlags {
    let mut flags = PteFlags::empty();
    for (f, b) in PAIRS {
        flags.set(f, bits.contains(b));
    }
    flags
}

/// The [`Pte`] for the 4 KiB page at `va` inside `m` (a huge page's frame advanced to it).
fn pte(m: &Mapping, va: u64) -> Option<Pte> {
    let frame = m.entry.frame + ((va - m.va) >> PAGE_SHIFT);
    let frame = u32::try_from(frame).ok()?;
    Pte::new(Pfn::new(frame), pte_flags(m.entry.bits)).ok()
}

fn root(table: &PageTable) -> u64 {
    u64::from(table.root.as_u32())
}

pub(super) fn new(
    arena: &mut Arena,
    alloc: &mut impl FrameAllocator,
    format: Format,
    m: &MachineFormat,
) -> Result<PageTable, MapError> {
    let root = m.new_table(arena, alloc).map_err(map_error)?;
    Ok(PageTable { root: Pfn::new(root as u32), format })
}

pub(crate) fn translate(m: &MachineFormat, arena: &Arena, root: Pfn, vpn: Vpn) -> Option<Pte> {
    let va = vpn.start_address().as_u64();
    pte(&m.lookup(arena, u64::from(root.as_u32()), va)?, va)
}

/// Where the last-level entry that maps `vpn` lives, if one does.
pub(super) fn entry_addr(table: &PageTable, m: &MachineFormat, arena: &Arena, vpn: Vpn) -> Option<EntryAddr> {
    if !table.format.contains(vpn) {
        return None;
    }
    let found = m.lookup(arena, root(table), vpn.start_address().as_u64())?;
    (found.level + 1 == m.geometry().levels()).then_some(EntryAddr(found.entry_addr))
}

/// The last-level entry at `at`, raw, if it is a leaf (present).
#[inline]
fn leaf_at(m: &MachineFormat, arena: &Arena, at: EntryAddr) -> Option<(u64, EntryBits)> {
    let raw = read_entry(arena, at.0, m.geometry().entry_bytes())?;
    let levels = m.geometry().levels();
    let e = m.layout().decode(raw, levels - 1, levels);
    (e.kind == EntryKind::Leaf).then_some((raw, e.bits))
}

#[inline]
pub(super) fn flags_at(m: &MachineFormat, arena: &Arena, at: EntryAddr) -> Option<PteFlags> {
    leaf_at(m, arena, at).map(|(_, bits)| pte_flags(bits))
}

/// The raw last-level entry at `at`, if it is a leaf: its kind alone decoded.
#[inline]
fn leaf_raw_at(m: &MachineFormat, arena: &Arena, at: EntryAddr) -> Option<u64> {
    let raw = read_entry(arena, at.0, m.geometry().entry_bytes())?;
    m.layout().is_last_level_leaf(raw).then_some(raw)
}

#[inline]
pub(super) fn has_flags_at(m: &MachineFormat, arena: &Arena, at: EntryAddr, flags: PteFlags) -> Option<bool> {
    let raw = leaf_raw_at(m, arena, at)?;
    let want = entry_bits(flags) - EntryBits::USER;
    // A flag of its own (the accessed and dirty bits) is one mask; anything else, a decode.
    Some(match m.layout().flag_mask(want) {
        Some(mask) => raw & mask == mask,
        None => {
            let levels = m.geometry().levels();
            m.layout().decode(raw, levels - 1, levels).bits.contains(want)
        }
    })
}

#[inline]
pub(super) fn clear_flags_at(m: &MachineFormat, arena: &mut Arena, at: EntryAddr, flags: PteFlags) -> bool {
    let Some(raw) = leaf_raw_at(m, arena, at) else { return false };
    // As `PageTable::clear_flags`: every page is a user page, and stays one.
    let clear = entry_bits(flags) & (m.layout().representable() - EntryBits::USER);
    let new = match m.layout().flag_mask(clear) {
        Some(mask) => raw & !mask,
        None => match m.layout().update(raw, EntryBits::empty(), clear) {
            Ok(new) => new,
            Err(_) => return false,
        },
    };
    m.layout().is_last_level_leaf(new) && (new == raw || write_entry(arena, at.0, m.geometry().entry_bytes(), new))
}

/// The course error for a general one, where there is one.
pub(super) fn map_error(e: g::MapError) -> MapError {
    match e {
        g::MapError::TableFrame(e) => MapError::TableFrame(e),
        g::MapError::Memory(e) => MapError::Memory(e),
        g::MapError::Encode(EncodeError::FrameTooLarge { frame, .. }) => {
            MapError::FrameTooLarge(FrameTooLarge { frame: Pfn::new(frame.min(u64::from(u32::MAX)) as u32) })
        }
        e => MapError::General(e),
    }
}

fn update_error(vpn: Vpn, e: g::UpdateError) -> UnmapError {
    match e {
        g::UpdateError::NotMapped(_) => UnmapError::NotMapped { vpn },
        g::UpdateError::Encode(EncodeError::FrameTooLarge { frame, .. }) => {
            UnmapError::FrameTooLarge(FrameTooLarge { frame: Pfn::new(frame.min(u64::from(u32::MAX)) as u32) })
        }
        e => UnmapError::General(e),
    }
}

pub(super) fn map(
    table: &PageTable,
    m: &MachineFormat,
    arena: &mut Arena,
    alloc: &mut impl FrameAllocator,
    vpn: Vpn,
    frame: Pfn,
    flags: PteFlags,
) -> Result<(), MapError> {
    let va = vpn.start_address().as_u64();
    let last = m.geometry().levels() - 1;
    let bits = leaf_bits(m, flags);
    match m.map(arena, alloc, root(table), va, u64::from(frame.as_u32()), last, bits) {
        Ok(()) => Ok(()),
        Err(g::MapError::AlreadyMapped { .. }) => {
            let frame = translate(m, arena, table.root, vpn).map_or(Pfn::new(0), Pte::frame);
            Err(MapError::AlreadyMapped { vpn, frame })
        }
        Err(e) => Err(map_error(e)),
    }
}

pub(super) fn unmap(table: &PageTable, m: &MachineFormat, arena: &mut Arena, vpn: Vpn) -> Result<Pte, UnmapError> {
    table.check_update(vpn)?;
    let va = vpn.start_address().as_u64();
    let old = m.unmap(arena, root(table), va).map_err(|e| update_error(vpn, e))?;
    pte(&old, va).ok_or(UnmapError::Memory(AddressError::Frame { frame: Pfn::new(u32::MAX), frames: arena.frames() }))
}

/// The entry of `vpn` rewritten with `flags` (plus `PRESENT`), at `frame` or its own frame.
pub(super) fn remap(
    table: &PageTable,
    m: &MachineFormat,
    arena: &mut Arena,
    vpn: Vpn,
    frame: Option<Pfn>,
    flags: PteFlags,
) -> Result<Pte, UnmapError> {
    table.check_update(vpn)?;
    let va = vpn.start_address().as_u64();
    let old = m.lookup(arena, root(table), va).ok_or(UnmapError::NotMapped { vpn })?;
    let frame = frame.map_or(old.entry.frame, |f| u64::from(f.as_u32()));
    m.remap(arena, root(table), va, frame, entry_bits(flags | PteFlags::PRESENT)).map_err(|e| update_error(vpn, e))?;
    pte(&old, va).ok_or(UnmapError::NotMapped { vpn })
}

/// The leaf bits of a page mapped with `flags`: RISC-V cannot express a write-only page or a
/// page with no permission at all (both would not be leaves), so such a page is mapped
/// readable too, as an operating system maps it.
fn leaf_bits(m: &MachineFormat, flags: PteFlags) -> EntryBits {
    let mut bits = entry_bits(flags | PteFlags::PRESENT);
    let rwx = EntryBits::READ | EntryBits::WRITE | EntryBits::EXEC;
    if m.layout().leaf == crate::LeafRule::PermBits && (bits.contains(EntryBits::WRITE) || !bits.intersects(rwx)) {
        bits |= EntryBits::READ;
    }
    bits
}

/// The raw absent entry for `a` (see [`Absent`]): the leaf with its valid bit cleared.
fn encode_absent(m: &MachineFormat, a: Absent) -> Result<u64, EncodeError> {
    let last = m.geometry().levels() - 1;
    let flags = a.flags - (PteFlags::PRESENT | PteFlags::ACCESSED | PteFlags::DIRTY);
    let raw = m.layout().encode_leaf(a.kind.field(), leaf_bits(m, flags), last, last + 1)?;
    Ok(raw & !(1u64 << m.layout().valid))
}

/// The absent entry `raw` records, if it is one.
fn decode_absent(m: &MachineFormat, raw: u64) -> Option<Absent> {
    let layout = m.layout();
    let valid = 1u64 << layout.valid;
    if raw & valid != 0 {
        return None;
    }
    let kind = AbsentKind::from_field((raw >> layout.frame_shift) & layout.frame_mask())?;
    let levels = m.geometry().levels();
    let bits = layout.decode(raw | valid, levels - 1, levels).bits;
    Some(Absent { kind, flags: pte_flags(bits) - (PteFlags::PRESENT | PteFlags::ACCESSED | PteFlags::DIRTY) })
}

pub(super) fn absent(table: &PageTable, m: &MachineFormat, arena: &Arena, vpn: Vpn) -> Option<Absent> {
    let (_, raw) = m.last_entry(arena, root(table), vpn.start_address().as_u64())?;
    decode_absent(m, raw)
}

pub(super) fn set_absent(
    table: &PageTable,
    m: &MachineFormat,
    arena: &mut Arena,
    alloc: &mut impl FrameAllocator,
    vpn: Vpn,
    a: Absent,
) -> Result<Option<Pte>, MapError> {
    let raw = encode_absent(m, a).map_err(|e| map_error(g::MapError::Encode(e)))?;
    let va = vpn.start_address().as_u64();
    let old = translate(m, arena, table.root, vpn);
    if m.last_entry(arena, root(table), va).is_none() {
        // The tables on the way are missing: a mapping creates them, then becomes absent.
        m.map(arena, alloc, root(table), va, a.kind.field(), m.geometry().levels() - 1, leaf_bits(m, a.flags))
            .map_err(map_error)?;
    }
    let (addr, _) = m
        .last_entry(arena, root(table), va)
        .ok_or(MapError::VpnOutOfRange { vpn, vpn_count: table.format.vpn_count() })?;
    m.store_entry(arena, addr, raw)
        .map_err(|_| MapError::Memory(AddressError::Frame { frame: table.root, frames: arena.frames() }))?;
    Ok(old)
}

pub(super) fn take_absent(table: &PageTable, m: &MachineFormat, arena: &mut Arena, vpn: Vpn) -> Option<Absent> {
    let (addr, raw) = m.last_entry(arena, root(table), vpn.start_address().as_u64())?;
    let a = decode_absent(m, raw)?;
    m.store_entry(arena, addr, 0).ok()?;
    Some(a)
}

pub(super) fn absent_entries(table: &PageTable, m: &MachineFormat, arena: &Arena) -> Vec<(Vpn, Absent)> {
    m.absent_entries(arena, root(table))
        .into_iter()
        .filter_map(|(va, raw)| Some((Vpn::from_u64(va >> PAGE_SHIFT), decode_absent(m, raw)?)))
        .collect()
}

pub(super) fn mapped(table: &PageTable, m: &MachineFormat, arena: &Arena) -> Vec<(Vpn, Pte)> {
    m.mappings(arena, root(table))
        .iter()
        .filter_map(|map| Some((Vpn::from_u64(map.va >> PAGE_SHIFT), pte(map, map.va)?)))
        .collect()
}

/// Table frames that mapping `vpns` would add: below `existing`'s root (`None`: a table not
/// made yet, whose root is counted by the caller).
pub(super) fn tables_needed(
    m: &MachineFormat,
    existing: Option<(&Arena, Pfn)>,
    vpns: impl Iterator<Item = Vpn>,
) -> u32 {
    let geo = m.geometry();
    let levels = geo.levels();
    let mut new: BTreeSet<(usize, u64)> = BTreeSet::new();
    for vpn in vpns {
        let va = vpn.start_address().as_u64();
        // The first level whose table is missing: past the last present table entry.
        let first_missing = match existing {
            Some((arena, root)) => {
                let walk = m.walk(arena, u64::from(root.as_u32()), va, None);
                match walk.outcome() {
                    Ok(_) => continue,
                    Err(f) => f.level + 1,
                }
            }
            None => 1,
        };
        for level in first_missing..levels {
            new.insert((level, va >> geo.level_shift(level - 1)));
        }
    }
    new.len() as u32
}

impl Format {
    /// Table frames a new table of this format needs to map `vpns` (in increasing order), its
    /// root included.
    pub fn tables_for(&self, vpns: impl Iterator<Item = Vpn>) -> u32 {
        match self.machine() {
            Some(m) => 1 + tables_needed(m, None, vpns),
            None if !self.has_directory() => 1,
            None => {
                let mut dirs: Vec<usize> = vpns.map(|v| self.dir_index(v)).collect();
                dirs.dedup();
                1 + dirs.len() as u32
            }
        }
    }
}
