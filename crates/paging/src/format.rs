//! Table formats: how a VPN splits into a directory index and a leaf index (the course
//! machines' tables of [`Pte`]s), or any machine's [`MachineFormat`] with 4 KiB pages.

use std::sync::Mutex;

use phys::{PAGE_SHIFT, PAGE_SIZE};

use crate::{MachineFormat, Pte, Vpn};

/// The most index bits one level can have: a table is one frame of 4-byte entries.
const MAX_LEVEL_BITS: u8 = (PAGE_SIZE / size_of::<Pte>()).trailing_zeros() as u8;

/// The shape of a page table.
///
/// A course format: a VPN is `dir_bits + leaf_bits` wide. With `dir_bits == 0` the table has
/// one level: the root frame is the leaf. Otherwise the root is a directory of `2^dir_bits`
/// entries, each pointing to a leaf table of `2^leaf_bits` entries. Each table occupies one
/// frame; a table with fewer entries than a frame holds uses the frame's first entries.
///
/// A general format ([`Format::general`]) refers to a [`MachineFormat`] with 4 KiB pages: its
/// tables are walked by the general walker, and [`crate::PageTable`] translates between its
/// entries and [`Pte`]s, so that the kernel runs every machine through the same calls.
///
/// A `Format` is 16 bytes whatever the machine: the general one is held once, interned for
/// the life of the program (see [`Format::general`]), and every [`crate::PageTable`] and
/// format is a small copy. Holding it by value (56 bytes) made each table handle 72 bytes,
/// which the course machines' hot paths copied and passed around: a copy-on-write fault's
/// `remap` copied the whole format to check a VPN's range (cow_fault/kernel +6%).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format {
    /// `GENERAL` for a general format, so that the walker tells the shapes apart by two bytes.
    dir_bits: u8,
    leaf_bits: u8,
    /// Bits of a VPN, kept so that a range check is a shift whatever the format (a general
    /// format's, computed from its machine format, would keep the check from being inlined).
    vpn_bits: u8,
    general: Option<&'static MachineFormat>,
}

/// Every general format made so far, each leaked once: [`Format::general`] hands out a
/// reference to the equal one if it is here. Formats are immutable descriptions, not machine
/// state, so sharing them between machines (and threads) is safe; the memory is one
/// `MachineFormat` (56 bytes) per distinct format a program ever makes (the presets, a
/// machine file, the geometries a property test draws), never per machine or table.
static INTERNED: Mutex<Vec<&'static MachineFormat>> = Mutex::new(Vec::new());

/// The interned copy of `format`: the one already held if an equal format was interned,
/// else a new one.
fn intern(format: MachineFormat) -> &'static MachineFormat {
    // A panic while the lock was held cannot have left the list half-changed (a push is the
    // only change), so a poisoned lock is still good.
    let mut all = INTERNED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&known) = all.iter().find(|&&m| *m == format) {
        return known;
    }
    let new: &'static MachineFormat = Box::leak(Box::new(format));
    all.push(new);
    new
}

/// The `dir_bits` and `leaf_bits` of a general format: no course format has them.
const GENERAL: u8 = u8::MAX;

/// A format that cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// One level has more index bits than a frame of entries holds.
    #[error("a level of {bits} index bits does not fit in one frame (at most {MAX_LEVEL_BITS})")]
    LevelTooWide {
        /// The bits asked for.
        bits: u8,
    },
    /// A leaf level of zero bits.
    #[error("a leaf level needs at least one index bit")]
    EmptyLeaf,
    /// A general format for the kernel needs the kernel's page size.
    #[error("the kernel runs machines of 4 KiB pages, not {page_size} bytes")]
    PageSize {
        /// The format's page size.
        page_size: u64,
    },
    /// A general format for the kernel needs software bits for copy-on-write.
    #[error("the entry layout has no software bits for copy-on-write")]
    NoSoftwareBits,
}

impl Format {
    /// The `mtl458` table: one level of 1,024 entries (10 bits), one frame per process.
    pub const MTL458: Format = Format { dir_bits: 0, leaf_bits: 10, vpn_bits: 10, general: None };
    /// The `ajou` table: 16 x 16, two levels of 4 bits each.
    pub const AJOU: Format = Format { dir_bits: 4, leaf_bits: 4, vpn_bits: 8, general: None };

    /// Any machine's format, for the kernel: 4 KiB pages (the kernel's frames) and software
    /// bits for copy-on-write. Its leaves are base pages, mapped with the user bit set.
    ///
    /// The machine format is interned: kept once for the rest of the program, shared by every
    /// equal format made later (a lookup among the distinct formats made so far).
    ///
    /// # Errors
    /// [`FormatError::PageSize`], [`FormatError::NoSoftwareBits`].
    pub fn general(format: MachineFormat) -> Result<Self, FormatError> {
        let page_size = format.geometry().page_size();
        if page_size != PAGE_SIZE as u64 || format.geometry().page_shift() as u32 != PAGE_SHIFT {
            return Err(FormatError::PageSize { page_size });
        }
        if format.layout().cow.is_none() || format.layout().orig_write.is_none() {
            return Err(FormatError::NoSoftwareBits);
        }
        // The lower half's VPN bits: at most 64 address bits, so at most 52 (4 KiB pages).
        let half = format.geometry().va_bits() - format.sign_extend() as u32;
        let vpn_bits = (if half < 64 { half } else { 64 }) - PAGE_SHIFT;
        Ok(Format { dir_bits: GENERAL, leaf_bits: GENERAL, vpn_bits: vpn_bits as u8, general: Some(intern(format)) })
    }

    /// The machine format of a general format; `None` for a course format.
    #[inline]
    pub const fn machine(&self) -> Option<&'static MachineFormat> {
        self.general
    }

    /// The format as a [`MachineFormat`], for the general walker: a general format's own, or
    /// a course format described by the course entry layout (the `ajou` and `mtl458`
    /// presets for their formats), so that any table can be walked step by step.
    pub fn machine_format(&self) -> MachineFormat {
        if let Some(m) = self.general {
            return *m;
        }
        let bits = [self.dir_bits, self.leaf_bits];
        let bits = if self.dir_bits == 0 { &bits[1..] } else { &bits[..] };
        match crate::Geometry::new(bits, PAGE_SHIFT as u8, size_of::<Pte>() as u8) {
            Ok(g) => MachineFormat::new_unchecked(g, crate::preset::COURSE, false),
            // Unreachable: a course format's levels are 1..=10 bits, checked when it was made.
            Err(_) => crate::Preset::Mtl458.format(),
        }
    }

    /// Whether this is a general format, walked by the general walker.
    #[inline]
    pub const fn is_general(self) -> bool {
        self.dir_bits == GENERAL
    }

    /// A single-level table with `bits` index bits.
    ///
    /// # Errors
    /// [`FormatError`] if `bits` is 0 or over 10.
    pub const fn single_level(bits: u8) -> Result<Self, FormatError> {
        Self::two_level(0, bits)
    }

    /// A two-level table, `dir_bits` for the directory and `leaf_bits` for the leaves.
    /// `dir_bits == 0` is the single-level table.
    ///
    /// # Errors
    /// [`FormatError`] if a level is over 10 bits or the leaf level is 0 bits.
    pub const fn two_level(dir_bits: u8, leaf_bits: u8) -> Result<Self, FormatError> {
        if dir_bits > MAX_LEVEL_BITS {
            return Err(FormatError::LevelTooWide { bits: dir_bits });
        }
        if leaf_bits > MAX_LEVEL_BITS {
            return Err(FormatError::LevelTooWide { bits: leaf_bits });
        }
        if leaf_bits == 0 {
            return Err(FormatError::EmptyLeaf);
        }
        Ok(Format { dir_bits, leaf_bits, vpn_bits: dir_bits + leaf_bits, general: None })
    }

    /// Whether the root is a directory (two levels) rather than the only leaf. A general
    /// format has no course directory: false.
    #[inline]
    pub const fn has_directory(self) -> bool {
        self.dir_bits != 0 && !self.is_general()
    }

    /// Directory index bits (0 for a single-level table).
    #[inline]
    pub const fn dir_bits(self) -> u8 {
        self.dir_bits
    }

    /// Leaf index bits.
    #[inline]
    pub const fn leaf_bits(self) -> u8 {
        self.leaf_bits
    }

    /// Bits in a VPN (a general format's: of its lower half, where processes live).
    #[inline]
    pub const fn vpn_bits(self) -> u8 {
        self.vpn_bits
    }

    /// How many VPNs the format maps: `2^vpn_bits`, saturated at `u32::MAX` for a general
    /// format with more (see [`Format::vpns`]).
    #[inline]
    pub const fn vpn_count(self) -> u32 {
        let n = self.vpns();
        if n > u32::MAX as u64 { u32::MAX } else { n as u32 }
    }

    /// How many VPNs the format maps: `2^vpn_bits`.
    #[inline]
    pub const fn vpns(self) -> u64 {
        1 << self.vpn_bits()
    }

    /// Entries in the directory (1 for a single-level table: the root itself).
    #[inline]
    pub const fn dir_entries(self) -> usize {
        1 << self.dir_bits
    }

    /// Entries in one leaf table.
    #[inline]
    pub const fn leaf_entries(self) -> usize {
        1 << self.leaf_bits
    }

    /// Whether `vpn` is inside the format's range.
    #[inline]
    pub const fn contains(self, vpn: Vpn) -> bool {
        vpn.as_u64() < self.vpns()
    }

    /// The directory index of `vpn` (always 0 for a single-level table).
    #[inline]
    pub const fn dir_index(self, vpn: Vpn) -> usize {
        vpn.index() >> self.leaf_bits
    }

    /// The leaf index of `vpn`.
    #[inline]
    pub const fn leaf_index(self, vpn: Vpn) -> usize {
        vpn.index() & (self.leaf_entries() - 1)
    }

    /// The VPN at `leaf` of the leaf table at directory index `dir`.
    #[inline]
    pub const fn vpn(self, dir: usize, leaf: usize) -> Vpn {
        Vpn::from_u64((dir << self.leaf_bits | leaf) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_profiles_formats() {
        assert_eq!(Format::MTL458.vpn_count(), 1024);
        assert!(!Format::MTL458.has_directory());
        assert_eq!(Format::MTL458.dir_entries(), 1);
        assert_eq!(Format::AJOU.vpn_count(), 256);
        let v = Vpn::new(0x35);
        assert_eq!((Format::AJOU.dir_index(v), Format::AJOU.leaf_index(v)), (3, 5));
        assert_eq!(Format::AJOU.vpn(3, 5), v);
        assert_eq!(Format::MTL458.dir_index(Vpn::new(1023)), 0);
    }

    #[test]
    fn general_formats_need_4k_pages_and_software_bits() {
        let x = Format::general(crate::Preset::X86_64.format()).unwrap();
        assert!(x.is_general() && !x.has_directory());
        assert_eq!((x.vpn_bits(), x.vpns(), x.vpn_count()), (35, 1 << 35, u32::MAX));
        assert!(x.contains(Vpn::from_u64((1 << 35) - 1)) && !x.contains(Vpn::from_u64(1 << 35)));
        assert_eq!(Format::general(crate::Preset::Sv32.format()).map(Format::vpns), Ok(1 << 20));
        let mut layout = *crate::Preset::X86_64.format().layout();
        layout.cow = None;
        let f = MachineFormat::new(*crate::Preset::X86_64.format().geometry(), layout, true).unwrap();
        assert_eq!(Format::general(f), Err(FormatError::NoSoftwareBits));
        let small = crate::Geometry::new(&[4, 4], 8, 4).unwrap();
        let f = MachineFormat::new(small, *crate::Preset::Ajou.format().layout(), false).unwrap();
        assert_eq!(Format::general(f), Err(FormatError::PageSize { page_size: 256 }));
        assert!(!Format::AJOU.is_general() && Format::AJOU.machine().is_none());
    }

    #[test]
    fn formats_are_small_and_general_ones_interned() {
        assert_eq!(size_of::<Format>(), 16, "two index widths and a reference");
        let a = Format::general(crate::Preset::Sv39.format()).unwrap();
        let b = Format::general(crate::Preset::Sv39.format()).unwrap();
        let (ma, mb) = (a.machine().unwrap(), b.machine().unwrap());
        assert!(std::ptr::eq(ma, mb), "equal formats share one machine format");
        assert_eq!(*ma, crate::Preset::Sv39.format());
        let c = Format::general(crate::Preset::Sv48.format()).unwrap();
        assert!(a != c && !std::ptr::eq(ma, c.machine().unwrap()));
    }

    #[test]
    fn course_formats_describe_themselves_as_their_presets() {
        assert_eq!(Format::AJOU.machine_format(), crate::Preset::Ajou.format());
        assert_eq!(Format::MTL458.machine_format(), crate::Preset::Mtl458.format());
        let x = crate::Preset::Sv39.format();
        assert_eq!(Format::general(x).unwrap().machine_format(), x);
    }

    #[test]
    fn bad_formats_are_errors() {
        assert_eq!(Format::single_level(11), Err(FormatError::LevelTooWide { bits: 11 }));
        assert_eq!(Format::two_level(11, 2), Err(FormatError::LevelTooWide { bits: 11 }));
        assert_eq!(Format::single_level(0), Err(FormatError::EmptyLeaf));
        assert_eq!(Format::two_level(10, 10).map(Format::vpn_count), Ok(1 << 20));
        assert_eq!(Format::two_level(6, 4).map(Format::vpn_bits), Ok(10));
    }
}
