//! A page table that lives in frames of the arena: translate (through the walk in
//! `walker.rs`), map, unmap, protect, iterate and free it.
//!
//! Second-level (leaf) tables are created the first time something is mapped under them and
//! are kept, even when emptied, until the whole table is freed with [`PageTable::free`]. That
//! is what the `ajou` framework does, and `show` reveals it: it walks every existing leaf.

use either::Either;
use phys::{AddressError, AllocError, Arena, FrameAllocator, FreeError, Pfn, PhysAddr};

use crate::walker::translate_any;
use crate::{Absent, Format, FrameTooLarge, Pte, PteFlags, Vpn, general as g};

// Crate-visible: the walker (`walker.rs`) takes a general format's translation from it.
pub(crate) mod general;

/// A page table: its root frame and its format. A small `Copy` handle; the entries live in
/// the arena, so every operation takes the arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageTable {
    root: Pfn,
    format: Format,
}

/// One leaf table of a [`PageTable`], borrowed from the arena.
#[derive(Debug, Clone, Copy)]
pub struct LeafTable<'a> {
    /// Its index in the directory (0 for a single-level table).
    pub dir_index: usize,
    /// The VPN of its first entry.
    pub first_vpn: Vpn,
    /// The frame it lives in.
    pub frame: Pfn,
    /// Its entries, present or not.
    pub entries: &'a [Pte],
}

/// Where the present entry that maps one base page lives: the physical address of the entry
/// in its leaf table (the leaf table's frame plus the entry's index times the entry's size).
///
/// Page tables do not move: a leaf table stays in its frame, even when emptied, until the
/// whole table is freed ([`PageTable::free`]). So an owner that remembers this address beside
/// a mapping reads and clears the page's accessed and dirty bits with one load or store
/// ([`Format::flags_at`], [`Format::clear_flags_at`]) instead of a walk, for as long as the
/// table lives; the entry itself stays the only record of the bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryAddr(PhysAddr);

impl EntryAddr {
    /// The entry's physical address.
    #[inline]
    pub const fn addr(self) -> PhysAddr {
        self.0
    }
}

/// A mapping could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The VPN is past the format's range.
    #[error("vpn {vpn} is outside the table's {vpn_count} pages")]
    VpnOutOfRange {
        /// The VPN given.
        vpn: Vpn,
        /// Pages the format maps.
        vpn_count: u32,
    },
    /// The VPN already maps a frame.
    #[error("vpn {vpn} is already mapped to frame {frame}")]
    AlreadyMapped {
        /// The VPN given.
        vpn: Vpn,
        /// The frame it maps.
        frame: Pfn,
    },
    /// The frame number does not fit in an entry.
    #[error(transparent)]
    FrameTooLarge(#[from] FrameTooLarge),
    /// No frame was left for a table.
    #[error("no frame for a page table: {0}")]
    TableFrame(#[from] AllocError),
    /// A table frame is outside the arena: the table is corrupt.
    #[error("page table is corrupt: {0}")]
    Memory(#[from] AddressError),
    /// A general format's table refused the mapping for another reason.
    #[error(transparent)]
    General(g::MapError),
    /// Absent entries ([`crate::Absent`]) exist on general formats only.
    #[error("a course format's entries cannot record an absent page")]
    NotGeneral,
}

/// An existing mapping could not be changed or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UnmapError {
    /// The VPN is past the format's range.
    #[error("vpn {vpn} is outside the table's {vpn_count} pages")]
    VpnOutOfRange {
        /// The VPN given.
        vpn: Vpn,
        /// Pages the format maps.
        vpn_count: u32,
    },
    /// The VPN maps nothing.
    #[error("vpn {vpn} is not mapped")]
    NotMapped {
        /// The VPN given.
        vpn: Vpn,
    },
    /// The new frame number does not fit in an entry.
    #[error(transparent)]
    FrameTooLarge(#[from] FrameTooLarge),
    /// A table frame is outside the arena: the table is corrupt.
    #[error("page table is corrupt: {0}")]
    Memory(#[from] AddressError),
    /// A general format's table refused the change for another reason.
    #[error(transparent)]
    General(g::UpdateError),
}

impl PageTable {
    /// A new, empty table: one zeroed root frame from `alloc`.
    ///
    /// # Errors
    /// [`MapError::TableFrame`] if `alloc` has no frame; [`MapError::Memory`] if it hands out a
    /// frame outside `arena`.
    pub fn new(arena: &mut Arena, alloc: &mut impl FrameAllocator, format: Format) -> Result<Self, MapError> {
        if let Some(m) = format.machine() {
            return general::new(arena, alloc, format, m);
        }
        let root = new_table_frame(arena, alloc)?;
        Ok(PageTable { root, format })
    }

    /// The handle of an existing table, from what [`PageTable::root`] and [`PageTable::format`]
    /// returned: for owners that keep their tables' roots in a compact form of their own. A
    /// wrong root is no danger to memory safety: every access through it is bounds-checked
    /// against the arena.
    #[inline]
    pub const fn from_root(root: Pfn, format: Format) -> Self {
        PageTable { root, format }
    }

    /// The root frame: the directory, or the only leaf of a single-level table.
    #[inline]
    pub fn root(&self) -> Pfn {
        self.root
    }

    /// The table's format.
    #[inline]
    pub fn format(&self) -> Format {
        self.format
    }

    /// The present entry that maps `vpn`, or `None` if `vpn` is not mapped or out of range.
    ///
    /// This is the simulated MMU's walk, the hottest path of the simulator. It indexes one flat
    /// view of the arena instead of borrowing a frame per level, and the two machines' formats
    /// get a walk compiled for their constant shifts; any other format takes the same walk with
    /// its shifts read at run time.
    #[inline]
    pub fn translate(&self, arena: &Arena, vpn: Vpn) -> Option<Pte> {
        translate_any(arena, arena.view::<Pte>(), self.root, self.format, vpn)
    }

    /// Where the present entry that maps `vpn` lives ([`EntryAddr`]), or `None` if `vpn` is
    /// not mapped, out of range, or (a general format) inside a huge page, whose entry is not
    /// a last-level one.
    pub fn entry_addr(&self, arena: &Arena, vpn: Vpn) -> Option<EntryAddr> {
        if let Some(m) = self.format.machine() {
            return general::entry_addr(self, m, arena, vpn);
        }
        if !self.format.contains(vpn) {
            return None;
        }
        let leaf = self.leaf_frame(arena, self.format.dir_index(vpn))?;
        let at = EntryAddr(PhysAddr::from_parts(leaf, self.format.leaf_index(vpn) * size_of::<Pte>()));
        self.format.flags_at(arena, at).map(|_| at)
    }

    /// Maps `vpn` to `frame` with `flags` (plus [`PteFlags::PRESENT`]), creating the leaf table
    /// from `alloc` if needed.
    ///
    /// # Errors
    /// [`MapError::AlreadyMapped`] if `vpn` maps a frame already; [`MapError::VpnOutOfRange`],
    /// [`MapError::FrameTooLarge`], [`MapError::TableFrame`] as named. On error nothing changed.
    pub fn map(
        &self,
        arena: &mut Arena,
        alloc: &mut impl FrameAllocator,
        vpn: Vpn,
        frame: Pfn,
        flags: PteFlags,
    ) -> Result<(), MapError> {
        self.check_map(vpn)?;
        if let Some(m) = self.format.machine() {
            return general::map(self, m, arena, alloc, vpn, frame, flags);
        }
        let entry = Pte::new(frame, flags | PteFlags::PRESENT)?;
        let dir = self.format.dir_index(vpn);
        let leaf = match self.leaf_frame(arena, dir) {
            Some(leaf) => leaf,
            None => self.create_leaf(arena, alloc, dir)?,
        };
        let slot = &mut arena.frame_as_mut::<Pte>(leaf)?[self.format.leaf_index(vpn)];
        if slot.is_present() {
            return Err(MapError::AlreadyMapped { vpn, frame: slot.frame() });
        }
        *slot = entry;
        Ok(())
    }

    /// Unmaps `vpn`: its entry becomes all zero. Returns the entry it had.
    ///
    /// # Errors
    /// [`UnmapError::NotMapped`] if `vpn` maps nothing; [`UnmapError::VpnOutOfRange`].
    pub fn unmap(&self, arena: &mut Arena, vpn: Vpn) -> Result<Pte, UnmapError> {
        if let Some(m) = self.format.machine() {
            return general::unmap(self, m, arena, vpn);
        }
        self.update(arena, vpn, |_| Ok(Pte::EMPTY))
    }

    /// Replaces the flags of the present entry of `vpn` with `flags` (plus `PRESENT`), keeping
    /// its frame. Returns the entry it had.
    ///
    /// # Errors
    /// As [`PageTable::unmap`].
    pub fn protect(&self, arena: &mut Arena, vpn: Vpn, flags: PteFlags) -> Result<Pte, UnmapError> {
        if let Some(m) = self.format.machine() {
            return general::remap(self, m, arena, vpn, None, flags);
        }
        self.update(arena, vpn, |old| Ok(old.with_flags(flags | PteFlags::PRESENT)))
    }

    /// Points the present entry of `vpn` at `frame` with `flags` (plus `PRESENT`). Returns the
    /// entry it had.
    ///
    /// # Errors
    /// As [`PageTable::unmap`], and [`UnmapError::FrameTooLarge`].
    pub fn remap(&self, arena: &mut Arena, vpn: Vpn, frame: Pfn, flags: PteFlags) -> Result<Pte, UnmapError> {
        if let Some(m) = self.format.machine() {
            return general::remap(self, m, arena, vpn, Some(frame), flags);
        }
        let entry = Pte::new(frame, flags | PteFlags::PRESENT)?;
        self.update(arena, vpn, |_| Ok(entry))
    }

    /// The MMU's record of an access to `vpn`: a general format whose layout has them gets
    /// the accessed bit, and for a write the dirty bit, set in the page's entry (as hardware
    /// sets them); a course format has neither, and nothing changes. Nothing happens if `vpn`
    /// is not mapped.
    pub fn record_access(&self, arena: &mut Arena, vpn: Vpn, write: bool) {
        if let Some(m) = self.format.machine() {
            let mut set = crate::EntryBits::ACCESSED;
            if write {
                set |= crate::EntryBits::DIRTY;
            }
            let set = set & m.layout().representable();
            let va = vpn.start_address().as_u64();
            if !set.is_empty() {
                // Not mapped: nothing to record, as an MMU records nothing for a fault.
                let _ = m.update(arena, u64::from(self.root.as_u32()), va, set, crate::EntryBits::empty());
            }
        }
    }

    /// Clears `flags` (such as [`PteFlags::ACCESSED`] and [`PteFlags::DIRTY`]) in the present
    /// entry of `vpn`, keeping everything else. Returns the entry it had.
    ///
    /// # Errors
    /// As [`PageTable::unmap`].
    pub fn clear_flags(&self, arena: &mut Arena, vpn: Vpn, flags: PteFlags) -> Result<Pte, UnmapError> {
        if let Some(m) = self.format.machine() {
            let old = self.translate(arena, vpn).ok_or(UnmapError::NotMapped { vpn })?;
            let clear = general::entry_bits(flags) & (m.layout().representable() - crate::EntryBits::USER);
            let va = vpn.start_address().as_u64();
            m.update(arena, u64::from(self.root.as_u32()), va, crate::EntryBits::empty(), clear)
                .map_err(UnmapError::General)?;
            return Ok(old);
        }
        self.update(arena, vpn, |old| Ok(old.with_flags(old.flags() - flags)))
    }

    /// The absent entry ([`Absent`]) of `vpn`: a page the table's owner has but no frame holds.
    /// `None` for a present, empty or out-of-range entry, and on course formats.
    pub fn absent(&self, arena: &Arena, vpn: Vpn) -> Option<Absent> {
        // A walk uses only the index bits: past the space it would read another page's entry.
        if !self.format.contains(vpn) {
            return None;
        }
        general::absent(self, self.format.machine()?, arena, vpn)
    }

    /// Makes the entry of `vpn` the absent entry `absent`, creating tables on the way from
    /// `alloc` if needed. Returns the present entry it replaced, if it was one: the caller
    /// owns that frame's map count.
    ///
    /// # Errors
    /// [`MapError::NotGeneral`] on a course format; [`MapError::VpnOutOfRange`]; a general
    /// format's error if a table is missing or the slot does not fit the frame field. On
    /// error the entry is unchanged.
    pub fn set_absent(
        &self,
        arena: &mut Arena,
        alloc: &mut impl FrameAllocator,
        vpn: Vpn,
        absent: Absent,
    ) -> Result<Option<Pte>, MapError> {
        let m = self.format.machine().ok_or(MapError::NotGeneral)?;
        self.check_map(vpn)?;
        general::set_absent(self, m, arena, alloc, vpn, absent)
    }

    /// Clears the absent entry of `vpn` (it becomes all zero) and returns it; `None`, and
    /// nothing changes, if the entry is not absent or `vpn` is out of range.
    pub fn take_absent(&self, arena: &mut Arena, vpn: Vpn) -> Option<Absent> {
        if !self.format.contains(vpn) {
            return None;
        }
        general::take_absent(self, self.format.machine()?, arena, vpn)
    }

    /// Every absent entry with its VPN, in VPN order (none on course formats).
    pub fn absent_entries(&self, arena: &Arena) -> Vec<(Vpn, Absent)> {
        self.format.machine().map(|m| general::absent_entries(self, m, arena)).unwrap_or_default()
    }

    /// The existing leaf tables, in directory order: course formats only (a general format's
    /// entries are not [`Pte`]s; it has none).
    pub fn leaves<'a>(&self, arena: &'a Arena) -> impl Iterator<Item = LeafTable<'a>> + 'a {
        let this = *self;
        let dirs = if self.format.is_general() { 0 } else { self.format.dir_entries() };
        (0..dirs).filter_map(move |dir| {
            let frame = this.leaf_frame(arena, dir)?;
            let entries = &arena.frame_as::<Pte>(frame).ok()?[..this.format.leaf_entries()];
            Some(LeafTable { dir_index: dir, first_vpn: this.format.vpn(dir, 0), frame, entries })
        })
    }

    /// Every present entry with its VPN, in VPN order (a general format's huge page appears
    /// once, at its first VPN).
    pub fn mapped<'a>(&self, arena: &'a Arena) -> impl Iterator<Item = (Vpn, Pte)> + 'a {
        // One of two iterators, not a chain of both: a chain's per-item branch kept the course
        // machines' fork and exit loops from inlining (fork_1024/cow 1.24 -> 1.88 us, perf).
        if let Some(m) = self.format.machine() {
            return Either::Right(general::mapped(self, m, arena).into_iter());
        }
        let format = self.format;
        Either::Left(self.leaves(arena).flat_map(move |leaf| {
            leaf.entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.is_present())
                .map(move |(i, &e)| (format.vpn(leaf.dir_index, i), e))
        }))
    }

    /// Every frame the table occupies: the root, then the leaves in directory order (a
    /// general format's: the root, then each table before those below it).
    pub fn table_frames<'a>(&self, arena: &'a Arena) -> impl Iterator<Item = Pfn> + 'a {
        if let Some(m) = self.format.machine() {
            let frames = m.table_frames(arena, u64::from(self.root.as_u32()));
            return Either::Right(frames.into_iter().map(|f| Pfn::new(f as u32)));
        }
        let root = self.format.has_directory().then_some(self.root);
        Either::Left(root.into_iter().chain(self.leaves(arena).map(|l| l.frame)))
    }

    /// How many table frames mapping `vpns` (in increasing order) would add to the table: the
    /// leaves (course two-level) or tables at any level (general) that do not exist yet.
    pub fn tables_needed(&self, arena: &Arena, vpns: impl Iterator<Item = Vpn>) -> u32 {
        if let Some(m) = self.format.machine() {
            return general::tables_needed(m, Some((arena, self.root)), vpns);
        }
        if !self.format.has_directory() {
            return 0;
        }
        let mut dirs: Vec<usize> = vpns.map(|v| self.format.dir_index(v)).collect();
        dirs.dedup();
        dirs.retain(|&d| self.leaf_frame(arena, d).is_none());
        dirs.len() as u32
    }

    /// Calls `f` with each existing leaf table's first VPN and its entries, mutably.
    ///
    /// # Errors
    /// [`AddressError`] if a table frame is outside the arena (a corrupt table).
    pub fn leaves_mut(&self, arena: &mut Arena, mut f: impl FnMut(Vpn, &mut [Pte])) -> Result<(), AddressError> {
        if self.format.is_general() {
            return Ok(());
        }
        for dir in 0..self.format.dir_entries() {
            if let Some(frame) = self.leaf_frame(arena, dir) {
                let entries = &mut arena.frame_as_mut::<Pte>(frame)?[..self.format.leaf_entries()];
                f(self.format.vpn(dir, 0), entries);
            }
        }
        Ok(())
    }

    /// A second table of the same format with the same entries: every table frame is copied
    /// into a new frame from `alloc`. The frames that the entries map are not touched.
    ///
    /// # Errors
    /// [`MapError::TableFrame`] if `alloc` runs out; the frames already taken are given back.
    pub fn duplicate(&self, arena: &mut Arena, alloc: &mut impl FrameAllocator) -> Result<PageTable, MapError> {
        if let Some(m) = self.format.machine() {
            let root = m.duplicate(arena, alloc, u64::from(self.root.as_u32())).map_err(general::map_error)?;
            return Ok(PageTable { root: Pfn::new(root as u32), format: self.format });
        }
        let copy = PageTable { root: new_table_frame(arena, alloc)?, format: self.format };
        if !self.format.has_directory() {
            arena.copy_frame(self.root, copy.root)?;
            return Ok(copy);
        }
        for dir in 0..self.format.dir_entries() {
            if let Some(src) = self.leaf_frame(arena, dir) {
                let made = copy.create_leaf(arena, alloc, dir).and_then(|dst| Ok(arena.copy_frame(src, dst)?));
                if let Err(e) = made {
                    // Best effort: the frames were just taken from `alloc`, so giving them back
                    // cannot fail unless `alloc` is broken, and the first error is the one to report.
                    let _ = copy.free(arena, alloc);
                    return Err(e);
                }
            }
        }
        Ok(copy)
    }

    /// Calls `f` with the entries of each leaf of `self` and the leaf at the same directory
    /// index of `other`, both mutably, where both exist (as after [`PageTable::duplicate`]).
    /// Course formats only: a general format has no such leaves, and `f` is not called.
    ///
    /// # Errors
    /// [`AddressError`] if a table frame is outside the arena, or both tables share a leaf.
    pub fn zip_leaves_mut(
        &self,
        other: &PageTable,
        arena: &mut Arena,
        mut f: impl FnMut(Vpn, &mut [Pte], &mut [Pte]),
    ) -> Result<(), AddressError> {
        let n = self.format.leaf_entries().min(other.format.leaf_entries());
        let dirs = if self.format.is_general() || other.format.is_general() { 0 } else { self.format.dir_entries() };
        for dir in 0..dirs.min(other.format.dir_entries()) {
            if let (Some(a), Some(b)) = (self.leaf_frame(arena, dir), other.leaf_frame(arena, dir)) {
                let (ea, eb) = arena.frame_pair_as_mut::<Pte>(a, b)?;
                f(self.format.vpn(dir, 0), &mut ea[..n], &mut eb[..n]);
            }
        }
        Ok(())
    }

    /// Gives every table frame back to `alloc`. The frames the entries map are the caller's
    /// business: unmap or account for them first.
    ///
    /// # Errors
    /// [`FreeError`] if `alloc` refuses a frame (it is not the allocator the table came from).
    /// Every frame is still offered; the first error is returned.
    pub fn free(self, arena: &Arena, alloc: &mut impl FrameAllocator) -> Result<(), FreeError> {
        if let Some(m) = self.format.machine() {
            return m.free_tables(arena, alloc, u64::from(self.root.as_u32()));
        }
        let leaves: Vec<Pfn> =
            if self.format.has_directory() { self.leaves(arena).map(|l| l.frame).collect() } else { Vec::new() };
        let mut result = Ok(());
        for frame in leaves.into_iter().chain([self.root]) {
            if let Err(e) = alloc.deallocate_frame(frame) {
                result = result.and(Err(e));
            }
        }
        result
    }

    /// The frame of the leaf table at directory index `dir`, if it exists.
    #[inline]
    fn leaf_frame(&self, arena: &Arena, dir: usize) -> Option<Pfn> {
        if !self.format.has_directory() {
            return (dir == 0).then_some(self.root);
        }
        let e = *arena.frame_as::<Pte>(self.root).ok()?.get(dir)?;
        e.is_present().then(|| e.frame())
    }

    fn create_leaf(&self, arena: &mut Arena, alloc: &mut impl FrameAllocator, dir: usize) -> Result<Pfn, MapError> {
        let leaf = new_table_frame(arena, alloc)?;
        let entry = match Pte::new(leaf, PteFlags::PRESENT) {
            Ok(e) => e,
            Err(e) => {
                let _ = alloc.deallocate_frame(leaf);
                return Err(e.into());
            }
        };
        arena.frame_as_mut::<Pte>(self.root)?[dir] = entry;
        Ok(leaf)
    }

    fn check_map(&self, vpn: Vpn) -> Result<(), MapError> {
        if self.format.contains(vpn) {
            Ok(())
        } else {
            Err(MapError::VpnOutOfRange { vpn, vpn_count: self.format.vpn_count() })
        }
    }

    fn check_update(&self, vpn: Vpn) -> Result<(), UnmapError> {
        if self.format.contains(vpn) {
            Ok(())
        } else {
            Err(UnmapError::VpnOutOfRange { vpn, vpn_count: self.format.vpn_count() })
        }
    }

    fn update(
        &self,
        arena: &mut Arena,
        vpn: Vpn,
        f: impl FnOnce(Pte) -> Result<Pte, UnmapError>,
    ) -> Result<Pte, UnmapError> {
        self.check_update(vpn)?;
        let leaf = self.leaf_frame(arena, self.format.dir_index(vpn)).ok_or(UnmapError::NotMapped { vpn })?;
        let slot = &mut arena.frame_as_mut::<Pte>(leaf)?[self.format.leaf_index(vpn)];
        let old = *slot;
        if !old.is_present() {
            return Err(UnmapError::NotMapped { vpn });
        }
        *slot = f(old)?;
        Ok(old)
    }
}

impl Format {
    /// The flags of the present entry at `at` (an address [`PageTable::entry_addr`] gave for a
    /// table of this format), decoded by the format as [`PageTable::translate`] decodes them:
    /// one load, no walk. `None` if the entry there is not present, or `at` is outside `arena`.
    #[inline]
    pub fn flags_at(self, arena: &Arena, at: EntryAddr) -> Option<PteFlags> {
        if let Some(m) = self.machine() {
            return general::flags_at(m, arena, at);
        }
        let e = *arena.view::<Pte>().get(at.0.as_u64() as usize / size_of::<Pte>())?;
        e.is_present().then(|| e.flags())
    }

    /// Whether the present entry at `at` has every one of `flags` (such as
    /// [`PteFlags::ACCESSED`]): as `flags_at(..).map(|f| f.contains(flags))`, but the accessed
    /// and dirty bits, having positions of their own ([`crate::EntryLayout::flag_mask`]), are
    /// tested with one mask, not a decode of the whole entry. `None` as for
    /// [`Format::flags_at`].
    #[inline]
    pub fn has_flags_at(self, arena: &Arena, at: EntryAddr, flags: PteFlags) -> Option<bool> {
        if let Some(m) = self.machine() {
            return general::has_flags_at(m, arena, at, flags);
        }
        self.flags_at(arena, at).map(|f| f.contains(flags))
    }

    /// Clears `flags` (such as [`PteFlags::ACCESSED`]) in the present entry at `at`, keeping
    /// everything else, as [`PageTable::clear_flags`] does for a VPN: one load and one store,
    /// no walk (the accessed and dirty bits with one mask). Returns whether it did: false, and
    /// nothing changes, if the entry there is not present, `at` is outside `arena`, or
    /// (RISC-V) the entry would no longer be a leaf.
    #[inline]
    pub fn clear_flags_at(self, arena: &mut Arena, at: EntryAddr, flags: PteFlags) -> bool {
        if let Some(m) = self.machine() {
            return general::clear_flags_at(m, arena, at, flags);
        }
        let Some(old) = arena.view::<Pte>().get(at.0.as_u64() as usize / size_of::<Pte>()).copied() else {
            return false;
        };
        if !old.is_present() {
            return false;
        }
        let new = old.with_flags(old.flags() - (flags - PteFlags::PRESENT));
        match arena.write_bytes(at.0, size_of::<Pte>()) {
            Ok(b) => {
                b.copy_from_slice(&new.bits().to_le_bytes());
                true
            }
            Err(_) => false,
        }
    }
}

/// A zeroed frame for a table. Zeroing is free for frames never written (see `Arena`).
fn new_table_frame(arena: &mut Arena, alloc: &mut impl FrameAllocator) -> Result<Pfn, MapError> {
    let frame = alloc.allocate_frame()?;
    if let Err(e) = arena.zero_frame(frame) {
        let _ = alloc.deallocate_frame(frame);
        return Err(e.into());
    }
    Ok(frame)
}

#[cfg(test)]
mod tests;
