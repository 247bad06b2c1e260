//! Entry layouts: where a general page-table entry keeps its valid bit, permissions, accessed
//! and dirty bits, huge-page (leaf) marker and frame number; decoding and encoding entries.
//!
//! The types and their checks are here; reading an entry is in `layout/decode.rs`, writing
//! one in `layout/encode.rs`.

mod decode;
mod encode;

bitflags::bitflags! {
    /// What an entry means, whatever bits its layout stores it in. Permissions are what the
    /// entry *grants* (an x86 entry with NX clear grants `EXEC`; one with no read bit in its
    /// layout always grants `READ`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct EntryBits: u32 {
        /// The entry is valid (present): x86 P, RISC-V V, Arm bit 0, OSTEP's valid bit.
        const VALID = 1 << 0;
        /// Reads are allowed.
        const READ = 1 << 1;
        /// Writes are allowed.
        const WRITE = 1 << 2;
        /// Instruction fetches are allowed.
        const EXEC = 1 << 3;
        /// User-mode accesses are allowed.
        const USER = 1 << 4;
        /// The MMU has used the entry since the bit was last cleared.
        const ACCESSED = 1 << 5;
        /// The MMU has written through the entry since the bit was last cleared.
        const DIRTY = 1 << 6;
        /// A global mapping (kept in the TLB across address-space switches).
        const GLOBAL = 1 << 7;
        /// Software: shared copy-on-write (write is clear only because of that).
        const COW = 1 << 8;
        /// Software: the page's own write permission, which copy-on-write restores.
        const ORIG_WRITE = 1 << 9;
    }
}

/// Where a permission sits in an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermBit {
    /// No bit: every valid entry grants it (x86 reads, a layout without user/supervisor).
    Implied,
    /// Granted when this bit is set (x86 RW, RISC-V R/W/X/U).
    Set(u8),
    /// Granted when this bit is clear (x86-64 NX, Arm AP\[2\] read-only, Arm UXN).
    Clear(u8),
}

/// How a walk tells a leaf (a mapping) from a pointer to the next table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeafRule {
    /// Leaves only at the last level (the course machines, OSTEP's tables).
    LastLevel,
    /// x86's PS: above the last level a set bit makes the entry a huge-page leaf.
    HugeBit(u8),
    /// RISC-V: an entry with R, W or X set is a leaf, at any level; with none it points to the
    /// next table (and is reserved at the last level).
    PermBits,
    /// Arm: above the last level a set bit makes the entry a table and a clear one a block
    /// (huge leaf); at the last level it must be set (a page descriptor).
    TableBit(u8),
}

/// The layout of a general page-table entry. Bit numbers count from the least significant bit
/// of the (little-endian) entry. Every field is public so that a custom machine can be
/// described; [`EntryLayout::validate`] checks one against a geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryLayout {
    /// The valid (present) bit.
    pub valid: u8,
    /// The read permission.
    pub read: PermBit,
    /// The write permission.
    pub write: PermBit,
    /// The execute permission.
    pub exec: PermBit,
    /// The user-mode permission.
    pub user: PermBit,
    /// The accessed bit the MMU sets on every access, if the layout has one.
    pub accessed: Option<u8>,
    /// The dirty bit the MMU sets on every write, if the layout has one.
    pub dirty: Option<u8>,
    /// The global bit, if any.
    pub global: Option<u8>,
    /// Software bit: copy-on-write (in bits the hardware leaves to the OS), if any.
    pub cow: Option<u8>,
    /// Software bit: the original write permission, if any.
    pub orig_write: Option<u8>,
    /// How leaves are told from tables.
    pub leaf: LeafRule,
    /// Levels above the last where a leaf (huge page) may stand: bit `l` for level `l`
    /// (level 0 is the root). x86-64's is `0b0110` (1 GiB and 2 MiB pages).
    pub huge_levels: u8,
    /// The lowest bit of the frame-number field.
    pub frame_shift: u8,
    /// The width of the frame-number field. The field holds a frame number in base pages:
    /// the physical address of a page is `frame << page_shift`.
    pub frame_bits: u8,
    /// Raw bits set in every entry that points to a table, besides the valid bit and the
    /// frame (x86 sets RW and US there, so that the leaf alone decides).
    pub table_bits: u64,
    /// Whether the permission bits of table entries restrict the walk too (x86: write and user
    /// must be granted at every level, execute denied at any level denies).
    pub perms_in_tables: bool,
    /// Whether the MMU sets the accessed bit in table entries as well as in the leaf (x86).
    pub accessed_in_tables: bool,
}

/// A layout that does not fit its geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// A bit past the entry's width.
    #[error("the {what} bit {bit} is outside an entry of {width} bits")]
    BitOutside {
        /// Which bit.
        what: &'static str,
        /// Its number.
        bit: u8,
        /// Bits in an entry.
        width: u32,
    },
    /// Two fields share a bit.
    #[error("the {what} bit {bit} is also used by another field")]
    Overlap {
        /// Which bit.
        what: &'static str,
        /// Its number.
        bit: u8,
    },
    /// A huge-page level that is the last level or past it, or any with
    /// [`LeafRule::LastLevel`].
    #[error(
        "a huge page cannot stand at level {level} of a {levels}-level table: only above the last level, with a leaf marker"
    )]
    HugeLevel {
        /// The level.
        level: usize,
        /// Levels of the geometry.
        levels: usize,
    },
    /// A frame field of 0 bits names no frame.
    #[error("the frame field has no bits (frame_bits = 0)")]
    EmptyFrameField,
    /// RISC-V's rule needs read, write and execute to be bits of their own.
    #[error("leaves told by their permission bits need read, write and execute set-bits")]
    PermBitsNeedBits,
}

/// What an entry is, at the level it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Not valid: the walk faults here.
    Invalid,
    /// Points to the table of the next level.
    Table,
    /// Maps a page (a huge page above the last level).
    Leaf,
    /// Valid but a combination the hardware reserves (a huge page where none may be, RISC-V
    /// write without read, an Arm table descriptor at the last level...).
    Reserved,
}

/// An entry decoded at a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The raw entry.
    pub raw: u64,
    /// What it is.
    pub kind: EntryKind,
    /// Its meaning: valid, granted permissions, accessed, dirty, software bits.
    pub bits: EntryBits,
    /// Its frame-number field, in base pages.
    pub frame: u64,
}

/// An entry that cannot be encoded in a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The frame number is wider than the frame field.
    #[error("frame {frame:#x} does not fit in a {bits}-bit frame field")]
    FrameTooLarge {
        /// The frame.
        frame: u64,
        /// The field's width.
        bits: u8,
    },
    /// The layout cannot store some of the bits asked for (an accessed bit on a layout
    /// without one, a denied read where reads are implied...).
    #[error("the entry layout cannot express {bits:?}")]
    Unrepresentable {
        /// The bits it cannot store.
        bits: EntryBits,
    },
    /// No leaf may stand at this level.
    #[error("no leaf (huge page) may stand at level {level}")]
    NoLeafHere {
        /// The level.
        level: usize,
    },
}

#[inline]
const fn bit(b: u8) -> u64 {
    1u64 << b
}

impl PermBit {
    #[inline]
    const fn granted(self, raw: u64) -> bool {
        match self {
            PermBit::Implied => true,
            PermBit::Set(b) => raw & bit(b) != 0,
            PermBit::Clear(b) => raw & bit(b) == 0,
        }
    }

    /// The raw bits that store `grant`, or `None` if it cannot be stored.
    #[inline]
    const fn encode(self, grant: bool) -> Option<u64> {
        match (self, grant) {
            (PermBit::Implied, true) => Some(0),
            (PermBit::Implied, false) => None,
            (PermBit::Set(b), true) | (PermBit::Clear(b), false) => Some(bit(b)),
            (PermBit::Set(_), false) | (PermBit::Clear(_), true) => Some(0),
        }
    }

    const fn position(self) -> Option<u8> {
        match self {
            PermBit::Implied => None,
            PermBit::Set(b) | PermBit::Clear(b) => Some(b),
        }
    }
}

impl EntryLayout {
    /// Checks the layout against `geometry`: every bit inside the entry, no bit used twice,
    /// huge pages only above the last level, RISC-V's rule only with read/write/execute bits.
    ///
    /// # Errors
    /// [`LayoutError`] naming the first broken rule.
    pub fn validate(&self, geometry: &crate::Geometry) -> Result<(), LayoutError> {
        let width = u32::from(geometry.entry_bytes()) * 8;
        let mut used = 0u64;
        let mut claim = |what: &'static str, b: Option<u8>| -> Result<(), LayoutError> {
            let Some(b) = b else { return Ok(()) };
            if u32::from(b) >= width {
                return Err(LayoutError::BitOutside { what, bit: b, width });
            }
            if used & bit(b) != 0 {
                return Err(LayoutError::Overlap { what, bit: b });
            }
            used |= bit(b);
            Ok(())
        };
        claim("valid", Some(self.valid))?;
        claim("read", self.read.position())?;
        claim("write", self.write.position())?;
        claim("exec", self.exec.position())?;
        claim("user", self.user.position())?;
        claim("accessed", self.accessed)?;
        claim("dirty", self.dirty)?;
        claim("global", self.global)?;
        claim("cow", self.cow)?;
        claim("orig_write", self.orig_write)?;
        match self.leaf {
            LeafRule::HugeBit(b) | LeafRule::TableBit(b) => claim("leaf", Some(b))?,
            LeafRule::PermBits => {
                let set = |p: PermBit| matches!(p, PermBit::Set(_));
                if !(set(self.read) && set(self.write) && set(self.exec)) {
                    return Err(LayoutError::PermBitsNeedBits);
                }
            }
            LeafRule::LastLevel => {}
        }
        if self.frame_bits == 0 {
            return Err(LayoutError::EmptyFrameField);
        }
        if u32::from(self.frame_shift) + u32::from(self.frame_bits) > width {
            // The field's top bit, the first one that does not fit.
            let bit = self.frame_shift.saturating_add(self.frame_bits - 1);
            return Err(LayoutError::BitOutside { what: "frame field", bit, width });
        }
        let field = self.frame_mask() << self.frame_shift;
        if field & used != 0 {
            return Err(LayoutError::Overlap { what: "frame field", bit: (field & used).trailing_zeros() as u8 });
        }
        let levels = geometry.levels();
        let last_only = matches!(self.leaf, LeafRule::LastLevel);
        if let Some(level) = (0..8).find(|&l| self.huge_levels & (1 << l) != 0 && (l + 1 >= levels || last_only)) {
            return Err(LayoutError::HugeLevel { level, levels });
        }
        Ok(())
    }

    /// The frame-number field's mask, unshifted.
    #[inline]
    pub const fn frame_mask(&self) -> u64 {
        if self.frame_bits >= 64 { u64::MAX } else { (1u64 << self.frame_bits) - 1 }
    }

    /// Whether a leaf may stand at `level` of a table of `levels` levels.
    #[inline]
    pub const fn leaf_allowed(&self, level: usize, levels: usize) -> bool {
        level + 1 == levels
            || (!matches!(self.leaf, LeafRule::LastLevel) && level < 8 && self.huge_levels & (1 << level) != 0)
    }

    /// The bits a leaf can carry in this layout: what [`EntryLayout::encode_leaf`] stores.
    pub fn representable(&self) -> EntryBits {
        let mut b = EntryBits::VALID | EntryBits::READ | EntryBits::WRITE | EntryBits::EXEC | EntryBits::USER;
        for (flag, pos) in self.single_bits() {
            b.set(flag, pos.is_some());
        }
        b
    }

    /// The flags that are one bit each where the layout has them (accessed, dirty, global and
    /// the kernel's two software bits), with their positions: what encoding, updating and
    /// masking go through alike. `decode` spells them out, being on every walk's path.
    #[inline(always)]
    fn single_bits(&self) -> [(EntryBits, Option<u8>); 5] {
        [
            (EntryBits::ACCESSED, self.accessed),
            (EntryBits::DIRTY, self.dirty),
            (EntryBits::GLOBAL, self.global),
            (EntryBits::COW, self.cow),
            (EntryBits::ORIG_WRITE, self.orig_write),
        ]
    }

    /// The permissions every valid entry grants because the layout has no bit for them.
    pub fn implied(&self) -> EntryBits {
        let mut b = EntryBits::empty();
        b.set(EntryBits::READ, self.read == PermBit::Implied);
        b.set(EntryBits::WRITE, self.write == PermBit::Implied);
        b.set(EntryBits::EXEC, self.exec == PermBit::Implied);
        b.set(EntryBits::USER, self.user == PermBit::Implied);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preset;

    #[test]
    fn x86_64_leaves_and_huge_pages_carry_the_manuals_bits() {
        let f = Preset::X86_64.format();
        let l = *f.layout();
        let rw = EntryBits::READ | EntryBits::WRITE | EntryBits::USER;
        // A 4 KiB page: P, RW, US, NX set (no exec), frame 0x1234 at bit 12.
        let raw = l.encode_leaf(0x1234, rw, 3, 4).unwrap();
        assert_eq!(raw, 1 << 63 | 0x1234 << 12 | 0b111);
        let e = l.decode(raw, 3, 4);
        assert_eq!((e.kind, e.frame), (EntryKind::Leaf, 0x1234));
        assert_eq!(e.bits, EntryBits::VALID | rw);
        // A 2 MiB page at the PD level has PS (bit 7).
        let huge = l.encode_leaf(0x200, rw | EntryBits::EXEC, 2, 4).unwrap();
        assert_eq!(huge, 0x200 << 12 | 1 << 7 | 0b111);
        assert_eq!(l.decode(huge, 2, 4).kind, EntryKind::Leaf);
        assert_eq!(l.decode(huge, 0, 4).kind, EntryKind::Reserved); // no PS in the PML4
        assert_eq!(l.encode_leaf(1, rw, 0, 4), Err(EncodeError::NoLeafHere { level: 0 }));
        let table = l.encode_table(0x55).unwrap();
        assert_eq!(table, 0x55 << 12 | 0b111);
        assert_eq!(l.decode(table, 1, 4).kind, EntryKind::Table);
        let cleared =
            l.update(raw | 1 << 5 | 1 << 6, EntryBits::empty(), EntryBits::ACCESSED | EntryBits::WRITE).unwrap();
        assert_eq!(cleared, 1 << 63 | 0x1234 << 12 | 0b101 | 1 << 6);
        assert_eq!(l.encode_leaf(1 << 40, rw, 3, 4), Err(EncodeError::FrameTooLarge { frame: 1 << 40, bits: 40 }));
    }

    #[test]
    fn riscv_leaves_are_told_by_their_permissions() {
        let l = *Preset::Sv39.format().layout();
        let r = EntryBits::READ | EntryBits::USER;
        let giga = l.encode_leaf(0x4_0000, r, 0, 3).unwrap();
        assert_eq!(giga, 0x4_0000 << 10 | 0b1_0011);
        assert_eq!(l.decode(giga, 0, 3).kind, EntryKind::Leaf);
        let table = l.encode_table(7).unwrap();
        assert_eq!(table, 7 << 10 | 1);
        assert_eq!(l.decode(table, 2, 3).kind, EntryKind::Reserved); // no table at the last level
        assert_eq!(l.decode(0b101, 2, 3).kind, EntryKind::Reserved); // write without read
        assert_eq!(
            l.encode_leaf(1, EntryBits::USER, 2, 3),
            Err(EncodeError::Unrepresentable { bits: EntryBits::READ })
        );
    }

    #[test]
    fn arm_blocks_clear_the_table_bit_and_pages_set_it() {
        let l = *Preset::Aarch64_4k.format().layout();
        let ro = EntryBits::READ | EntryBits::USER;
        let page = l.encode_leaf(9, ro, 3, 4).unwrap();
        // valid, page (bit 1), AP[1] EL0 (bit 6), AP[2] read-only (bit 7), UXN (bit 54).
        assert_eq!(page, 9 << 12 | 0b11 | 1 << 6 | 1 << 7 | 1 << 54);
        assert_eq!(l.decode(page, 3, 4).bits, EntryBits::VALID | ro);
        let block = l.encode_leaf(0x200, ro | EntryBits::WRITE, 2, 4).unwrap();
        assert_eq!(block & 0b11, 0b01);
        assert_eq!(l.decode(block, 2, 4).kind, EntryKind::Leaf);
        assert_eq!(l.decode(block, 3, 4).kind, EntryKind::Reserved);
        assert_eq!(l.decode(l.encode_table(3).unwrap(), 0, 4).kind, EntryKind::Table);
    }

    #[test]
    fn a_bad_frame_field_or_huge_level_is_named_in_plain_words() {
        let g = crate::Geometry::new(&[9, 9, 9, 9], 12, 8).unwrap();
        let mut l = *Preset::X86_64.format().layout();
        l.frame_bits = 0;
        assert_eq!(l.validate(&g).unwrap_err().to_string(), "the frame field has no bits (frame_bits = 0)");
        // Bits 12..=64 of a 64-bit entry: bit 64 is the first one outside.
        l.frame_bits = 53;
        assert_eq!(l.validate(&g).unwrap_err().to_string(), "the frame field bit 64 is outside an entry of 64 bits");
        let mut l = *Preset::X86_64.format().layout();
        l.huge_levels |= 1 << 3;
        assert_eq!(
            l.validate(&g).unwrap_err().to_string(),
            "a huge page cannot stand at level 3 of a 4-level table: only above the last level, with a leaf marker"
        );
    }

    #[test]
    fn bad_layouts_are_refused() {
        let g = crate::Geometry::new(&[4, 4], 12, 2).unwrap();
        let mut l = *Preset::Ajou.format().layout();
        assert!(matches!(l.validate(&g), Err(LayoutError::BitOutside { what: "frame field", .. })));
        l.frame_bits = 4;
        assert_eq!(l.validate(&g), Ok(()));
        l.cow = Some(2);
        assert_eq!(l.validate(&g), Err(LayoutError::Overlap { what: "cow", bit: 2 }));
        l.cow = Some(16);
        assert!(matches!(l.validate(&g), Err(LayoutError::BitOutside { what: "cow", bit: 16, .. })));
        l.cow = None;
        l.huge_levels = 0b10;
        assert_eq!(l.validate(&g), Err(LayoutError::HugeLevel { level: 1, levels: 2 }));
    }
}
