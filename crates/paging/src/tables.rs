//! Table operations for every [`MachineFormat`]: create, map (base and huge pages), unmap,
//! change bits, list, duplicate and free tables that live in the arena.
//!
//! As with the course machines' tables, a table created on the way to a mapping is kept, even
//! when it becomes empty, until the whole table is freed.

use phys::{AddressError, AllocError, Arena, FrameAllocator, FreeError, Pfn, PhysAddr};

use crate::walk::{read_entry, write_entry};
use crate::{EncodeError, Entry, EntryBits, EntryKind, FaultKind, MachineFormat, WalkFault};

/// A page of a general table: where it is mapped and what maps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mapping {
    /// The page's first virtual address.
    pub va: u64,
    /// The level of its leaf entry.
    pub level: usize,
    /// Its size in bytes.
    pub size: u64,
    /// The leaf entry's physical address.
    pub entry_addr: PhysAddr,
    /// The leaf entry.
    pub entry: Entry,
}

/// A mapping could not be made in a general table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The address is not canonical for the format.
    #[error("address {va:#x} is outside the address space")]
    NonCanonical {
        /// The address.
        va: u64,
    },
    /// The address or the frame is not aligned to the page size of the level.
    #[error("address {va:#x} or frame {frame:#x} is not aligned to a page of {size:#x} bytes")]
    Misaligned {
        /// The address.
        va: u64,
        /// The frame.
        frame: u64,
        /// The page size at the level asked for.
        size: u64,
    },
    /// A level past the last.
    #[error("level {level} is past the table's {levels} levels")]
    NoSuchLevel {
        /// The level.
        level: usize,
        /// Levels of the format.
        levels: usize,
    },
    /// Something is mapped there already: a page or a huge page at `level`, or (when `level`
    /// is the level asked for and the entry is a table) smaller pages below.
    #[error("address {va:#x} is already mapped (entry at level {level})")]
    AlreadyMapped {
        /// The address.
        va: u64,
        /// The level of the entry in the way.
        level: usize,
    },
    /// The entry cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A table on the way is a reserved entry: the table is corrupt.
    #[error("reserved entry at level {level} on the way to {va:#x}")]
    Reserved {
        /// The address.
        va: u64,
        /// The level.
        level: usize,
    },
    /// A table of this level is larger than one page; tables spanning pages are built by the
    /// caller, not allocated here.
    #[error("a table of level {level} needs {pages} contiguous pages; only one-page tables are allocated")]
    TableTooLarge {
        /// The level.
        level: usize,
        /// Its pages.
        pages: u64,
    },
    /// No frame was left for a table.
    #[error("no frame for a page table: {0}")]
    TableFrame(#[from] AllocError),
    /// A table is outside the arena.
    #[error("page table is outside memory: {0}")]
    Memory(#[from] AddressError),
}

/// An existing mapping of a general table could not be changed or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// Nothing maps the address: the walk's fault says where it stopped.
    #[error("not mapped: {0}")]
    NotMapped(WalkFault),
    /// The new entry cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The new entry would no longer be a leaf (RISC-V: no read, write or execute left, or
    /// write without read).
    #[error("entry {raw:#x} would not be a valid leaf")]
    NotALeaf {
        /// The entry it would be.
        raw: u64,
    },
    /// The entry is outside the arena.
    #[error("page table is outside memory at {addr}")]
    Memory {
        /// The entry's address.
        addr: PhysAddr,
    },
}

impl MachineFormat {
    /// A new, zeroed root table: one frame from `alloc` (frame numbers are the format's base
    /// pages). Returns its frame.
    ///
    /// # Errors
    /// [`MapError::TableTooLarge`] if the root is larger than a page; [`MapError::TableFrame`]
    /// if `alloc` has no frame; [`MapError::Memory`] if the frame is outside `arena`.
    pub fn new_table(&self, arena: &mut Arena, alloc: &mut impl FrameAllocator) -> Result<u64, MapError> {
        self.table_frame(arena, alloc, 0)
    }

    fn table_frame(&self, arena: &mut Arena, alloc: &mut impl FrameAllocator, level: usize) -> Result<u64, MapError> {
        let pages = self.geometry().table_pages(level);
        if pages != 1 {
            return Err(MapError::TableTooLarge { level, pages });
        }
        let frame = alloc.allocate_frame()?;
        let n = u64::from(frame.as_u32());
        let bytes = self.geometry().page_size() as usize;
        let zeroed = match self.frame_address(n) {
            Some(addr) => arena.zero_bytes(addr, bytes),
            None => Err(AddressError::Frame { frame, frames: arena.frames() }),
        };
        if let Err(e) = zeroed {
            let _ = alloc.deallocate_frame(frame);
            return Err(e.into());
        }
        Ok(n)
    }

    /// Maps the page of level `level` at `va` (a base page at the last level, a huge page
    /// above it) to `frame` with `bits` (plus `VALID`), creating the tables on the way from
    /// `alloc`.
    ///
    /// # Errors
    /// [`MapError`]: the address is not canonical, `va` or `frame` is not aligned to the
    /// level's page size, no leaf may stand at `level`, the entry cannot be encoded, something
    /// is mapped there already, or a table frame is missing. Nothing is mapped then; tables
    /// created on the way stay, empty.
    #[allow(clippy::too_many_arguments)]
    pub fn map(
        &self,
        arena: &mut Arena,
        alloc: &mut impl FrameAllocator,
        root: u64,
        va: u64,
        frame: u64,
        level: usize,
        bits: EntryBits,
    ) -> Result<(), MapError> {
        let g = *self.geometry();
        let layout = *self.layout();
        let levels = g.levels();
        if level >= levels {
            return Err(MapError::NoSuchLevel { level, levels });
        }
        if !self.is_canonical(va) {
            return Err(MapError::NonCanonical { va });
        }
        let size = g.level_page_size(level);
        if va % size != 0 || frame % (size >> g.page_shift()) != 0 {
            return Err(MapError::Misaligned { va, frame, size });
        }
        let leaf = layout.encode_leaf(frame, bits, level, levels)?;
        let width = g.entry_bytes();
        let mut table = root;
        for l in 0..=level {
            let addr = self.entry_address(table, l, va).ok_or(memory(arena, table))?;
            let raw = read_entry(arena, addr, width).ok_or(memory(arena, table))?;
            let e = layout.decode(raw, l, levels);
            match (e.kind, l == level) {
                (EntryKind::Invalid, true) => {
                    return if write_entry(arena, addr, width, leaf) { Ok(()) } else { Err(memory(arena, table)) };
                }
                (EntryKind::Invalid, false) => {
                    let next = self.table_frame(arena, alloc, l + 1)?;
                    let entry = match layout.encode_table(next) {
                        Ok(entry) => entry,
                        Err(e) => {
                            let _ = alloc.deallocate_frame(Pfn::new(next as u32));
                            return Err(e.into());
                        }
                    };
                    if !write_entry(arena, addr, width, entry) {
                        return Err(memory(arena, table));
                    }
                    table = next;
                }
                (EntryKind::Table, false) => table = e.frame,
                (EntryKind::Leaf | EntryKind::Table, _) => return Err(MapError::AlreadyMapped { va, level: l }),
                (EntryKind::Reserved, _) => return Err(MapError::Reserved { va, level: l }),
            }
        }
        Err(MapError::NoSuchLevel { level, levels })
    }

    /// The page that maps `va`, whatever its permissions, or `None`.
    pub fn lookup(&self, arena: &Arena, root: u64, va: u64) -> Option<Mapping> {
        self.find(arena, root, va).ok()
    }

    fn find(&self, arena: &Arena, root: u64, va: u64) -> Result<Mapping, UpdateError> {
        let walk = self.walk(arena, root, va, None);
        let t = walk.outcome().map_err(UpdateError::NotMapped)?;
        let step = walk.steps().last().copied().ok_or(UpdateError::NotMapped(WalkFault {
            kind: FaultKind::NotPresent,
            level: 0,
            va,
        }))?;
        Ok(Mapping {
            va: va & !(t.page_size - 1),
            level: t.level,
            size: t.page_size,
            entry_addr: step.entry_addr,
            entry: step.entry,
        })
    }

    /// Removes the page that maps `va` (base or huge): its entry becomes all zero. Returns
    /// the mapping it was.
    ///
    /// # Errors
    /// [`UpdateError::NotMapped`] with the walk's fault if nothing maps `va`.
    pub fn unmap(&self, arena: &mut Arena, root: u64, va: u64) -> Result<Mapping, UpdateError> {
        let m = self.find(arena, root, va)?;
        self.store(arena, m.entry_addr, 0)?;
        Ok(m)
    }

    /// Sets the meaning-bits `set` and clears `clear` in the entry of the page that maps `va`
    /// (permissions whatever their polarity, accessed, dirty, software bits), keeping its frame:
    /// how the kernel protects a page or clears its accessed and dirty bits. Returns the
    /// mapping as it was.
    ///
    /// # Errors
    /// [`UpdateError::NotMapped`]; [`UpdateError::Encode`] for a bit the layout cannot store.
    pub fn update(
        &self,
        arena: &mut Arena,
        root: u64,
        va: u64,
        set: EntryBits,
        clear: EntryBits,
    ) -> Result<Mapping, UpdateError> {
        let m = self.find(arena, root, va)?;
        let raw = self.layout().update(m.entry.raw, set, clear)?;
        // RISC-V tells leaves by their permissions: an update must leave a leaf a leaf.
        let levels = self.geometry().levels();
        if self.layout().decode(raw, m.level, levels).kind != EntryKind::Leaf {
            return Err(UpdateError::NotALeaf { raw });
        }
        self.store(arena, m.entry_addr, raw)?;
        Ok(m)
    }

    /// Points the page that maps `va` at `frame` with `bits` (a new leaf at the same level).
    /// Returns the mapping as it was.
    ///
    /// # Errors
    /// As [`MachineFormat::update`].
    pub fn remap(
        &self,
        arena: &mut Arena,
        root: u64,
        va: u64,
        frame: u64,
        bits: EntryBits,
    ) -> Result<Mapping, UpdateError> {
        let m = self.find(arena, root, va)?;
        let raw = self.layout().encode_leaf(frame, bits, m.level, self.geometry().levels())?;
        self.store(arena, m.entry_addr, raw)?;
        Ok(m)
    }

    fn store(&self, arena: &mut Arena, addr: PhysAddr, raw: u64) -> Result<(), UpdateError> {
        if write_entry(arena, addr, self.geometry().entry_bytes(), raw) {
            Ok(())
        } else {
            Err(UpdateError::Memory { addr })
        }
    }

    /// Every page mapped, in address order (sign-extended formats: the lower half first).
    /// Reserved entries and tables outside memory are skipped.
    pub fn mappings(&self, arena: &Arena, root: u64) -> Vec<Mapping> {
        let mut out = Vec::new();
        self.visit(arena, root, 0, 0, &mut |m| out.push(m), &mut |_, _| {}, &mut |_, _| {});
        out
    }

    /// Every frame the table occupies, root first, then each table before the tables below it.
    pub fn table_frames(&self, arena: &Arena, root: u64) -> Vec<u64> {
        let mut out = vec![root];
        self.visit(arena, root, 0, 0, &mut |_| {}, &mut |_, frame| out.push(frame), &mut |_, _| {});
        out
    }

    /// Every last-level entry that is not valid but not zero either, as `(va, raw)` in address
    /// order: what a kernel records in an entry that maps nothing now (a page out on swap, a
    /// page not yet allocated), see [`crate::Absent`].
    pub fn absent_entries(&self, arena: &Arena, root: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        self.visit(arena, root, 0, 0, &mut |_| {}, &mut |_, _| {}, &mut |va, raw| out.push((va, raw)));
        out
    }

    /// The last-level entry for `va`, valid or not: its address and raw value, or `None` if a
    /// table on the way does not exist (or is a huge page, or reserved).
    pub fn last_entry(&self, arena: &Arena, root: u64, va: u64) -> Option<(PhysAddr, u64)> {
        let g = self.geometry();
        let levels = g.levels();
        let width = g.entry_bytes();
        let mut table = root;
        for level in 0..levels {
            let addr = self.entry_address(table, level, va)?;
            let raw = read_entry(arena, addr, width)?;
            if level + 1 == levels {
                return Some((addr, raw));
            }
            let e = self.layout().decode(raw, level, levels);
            if e.kind != EntryKind::Table {
                return None;
            }
            table = e.frame;
        }
        None
    }

    /// Writes `raw` into the entry at `addr` (an address [`MachineFormat::last_entry`] gave).
    ///
    /// # Errors
    /// [`UpdateError::Memory`] if `addr` is outside the arena.
    pub fn store_entry(&self, arena: &mut Arena, addr: PhysAddr, raw: u64) -> Result<(), UpdateError> {
        self.store(arena, addr, raw)
    }

    /// Gives every table frame back to `alloc`. The frames the entries map are the caller's.
    ///
    /// # Errors
    /// The first [`FreeError`]; every frame is still offered.
    pub fn free_tables(&self, arena: &Arena, alloc: &mut impl FrameAllocator, root: u64) -> Result<(), FreeError> {
        let mut result = Ok(());
        for frame in self.table_frames(arena, root) {
            if let Err(e) = alloc.deallocate_frame(Pfn::new(frame as u32)) {
                result = result.and(Err(e));
            }
        }
        result
    }

    /// A copy of the whole table (every table frame copied into a new one from `alloc`, the
    /// table entries pointed at the copies). The pages are not touched. Returns the new root.
    ///
    /// # Errors
    /// [`MapError::TableFrame`] if `alloc` runs out; the frames already taken are given back.
    pub fn duplicate(&self, arena: &mut Arena, alloc: &mut impl FrameAllocator, root: u64) -> Result<u64, MapError> {
        let copy = self.table_frame(arena, alloc, 0)?;
        if let Err(e) = self.copy_table(arena, alloc, root, copy, 0) {
            let _ = self.free_tables(arena, alloc, copy);
            return Err(e);
        }
        Ok(copy)
    }

    fn copy_table(
        &self,
        arena: &mut Arena,
        alloc: &mut impl FrameAllocator,
        src: u64,
        dst: u64,
        level: usize,
    ) -> Result<(), MapError> {
        let g = *self.geometry();
        let layout = *self.layout();
        let bytes = g.table_bytes(level) as usize;
        let (from, to) = match (self.frame_address(src), self.frame_address(dst)) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(memory(arena, src)),
        };
        let content = arena.read_bytes(from, bytes)?.to_vec();
        arena.write_bytes(to, bytes)?.copy_from_slice(&content);
        if level + 1 == g.levels() {
            return Ok(());
        }
        let width = g.entry_bytes();
        // Until its copy exists a table entry would share the source's table: clear them all
        // first, so that a failure leaves a copy that frees only its own frames.
        let mut children = Vec::new();
        for i in 0..g.entries(level) {
            let at = PhysAddr::new(to.as_u64() + i * u64::from(width));
            let raw = read_entry(arena, at, width).ok_or(memory(arena, dst))?;
            let e = layout.decode(raw, level, g.levels());
            if e.kind == EntryKind::Table {
                write_entry(arena, at, width, 0);
                children.push((at, raw, e.frame));
            }
        }
        let field = layout.frame_mask() << layout.frame_shift;
        for (at, raw, src_child) in children {
            let child = self.table_frame(arena, alloc, level + 1)?;
            write_entry(arena, at, width, (raw & !field) | (child << layout.frame_shift));
            self.copy_table(arena, alloc, src_child, child, level + 1)?;
        }
        Ok(())
    }

    /// The address of `va`'s entry in the table of `level` starting at frame `table`.
    fn entry_address(&self, table: u64, level: usize, va: u64) -> Option<PhysAddr> {
        let g = self.geometry();
        let base = self.frame_address(table)?.as_u64();
        Some(PhysAddr::new(base.checked_add(g.index(level, va) * u64::from(g.entry_bytes()))?))
    }

    /// Depth-first over the table at `table` of `level`, whose entries' addresses start with
    /// `prefix`: `leaf` for every page, `tables` for every table below the root, `absent` for
    /// every invalid but non-zero last-level entry.
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        arena: &Arena,
        table: u64,
        level: usize,
        prefix: u64,
        leaf: &mut impl FnMut(Mapping),
        tables: &mut impl FnMut(usize, u64),
        absent: &mut impl FnMut(u64, u64),
    ) {
        let g = self.geometry();
        let levels = g.levels();
        let width = g.entry_bytes();
        let Some(base) = self.frame_address(table) else { return };
        let shift = g.level_shift(level);
        let n = g.entries(level);
        // Sign-extended formats: the upper half (top index bit set) after the lower half, in
        // the order of the addresses' values.
        for i in 0..n {
            let addr = PhysAddr::new(base.as_u64().wrapping_add(i * u64::from(width)));
            let Some(raw) = read_entry(arena, addr, width) else { return };
            let e = self.layout().decode(raw, level, levels);
            let va = prefix | (i << shift);
            match e.kind {
                EntryKind::Leaf => {
                    let va = self.extend(va);
                    leaf(Mapping { va, level, size: g.level_page_size(level), entry_addr: addr, entry: e });
                }
                EntryKind::Table => {
                    tables(level + 1, e.frame);
                    self.visit(arena, e.frame, level + 1, va, leaf, tables, absent);
                }
                EntryKind::Invalid if raw != 0 && level + 1 == levels => absent(self.extend(va), raw),
                EntryKind::Invalid | EntryKind::Reserved => {}
            }
        }
    }

    /// `va` (walked bits only) sign-extended where the format says so.
    fn extend(&self, va: u64) -> u64 {
        let bits = self.geometry().va_bits();
        if !self.sign_extend() || bits >= 64 {
            return va;
        }
        let unused = 64 - bits;
        (((va << unused) as i64) >> unused) as u64
    }
}

#[cold]
fn memory(arena: &Arena, frame: u64) -> MapError {
    MapError::Memory(AddressError::Frame {
        frame: Pfn::new(frame.min(u64::from(u32::MAX)) as u32),
        frames: arena.frames(),
    })
}

#[cfg(test)]
mod tests;
