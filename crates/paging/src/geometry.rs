//! The geometry of a general page table: levels and their index bits, page size, entry width.

use core::fmt;

/// The most levels a [`Geometry`] can have (x86-64 with 5-level paging, Sv57).
pub const MAX_LEVELS: usize = 5;
/// The smallest base page: 16 bytes (log2 4).
pub const MIN_PAGE_SHIFT: u8 = 4;
/// The largest base page: 64 KiB (log2 16).
pub const MAX_PAGE_SHIFT: u8 = 16;
/// The most index bits one level can have: a table of 2^24 entries. Real machines use 9 or
/// 10; a linear (one-level) table of a large address space needs more.
pub const MAX_LEVEL_BITS: u8 = 24;

/// How a virtual address splits into table indices and a page offset.
///
/// Level 0 is the root; level `levels() - 1` is the last level, whose entries map base pages.
/// An address is `va_bits()` wide: the page offset is its low `page_shift()` bits, and level
/// `l`'s index the `level_bits(l)` bits above those of the levels below it. A table of level
/// `l` has `2^level_bits(l)` entries of `entry_bytes()` bytes each, little-endian, at
/// consecutive addresses from the table's base (a frame number times the page size).
///
/// ```
/// use paging::Geometry;
/// let x86_64 = Geometry::new(&[9, 9, 9, 9], 12, 8)?;
/// assert_eq!(x86_64.va_bits(), 48);
/// assert_eq!(x86_64.index(0, 0x0000_7fff_ffff_f000), 255); // the PML4 index
/// assert_eq!(x86_64.level_page_size(2), 2 << 20); // a PD entry spans 2 MiB
/// # Ok::<(), paging::GeometryError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Geometry {
    bits: [u8; MAX_LEVELS],
    levels: u8,
    page_shift: u8,
    entry_bytes: u8,
}

/// A geometry that cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GeometryError {
    /// No levels, or more than [`MAX_LEVELS`].
    #[error("a page table has 1 to {MAX_LEVELS} levels, not {levels}")]
    Levels {
        /// The number of levels asked for.
        levels: usize,
    },
    /// A level of 0 index bits or over [`MAX_LEVEL_BITS`].
    #[error("level {level} has {bits} index bits; a level has 1 to {MAX_LEVEL_BITS}")]
    LevelBits {
        /// The level (0 is the root).
        level: usize,
        /// Its bits.
        bits: u8,
    },
    /// A page size outside 16 B ..= 64 KiB.
    #[error("a page of 2^{shift} bytes is outside 16 B ..= 64 KiB")]
    PageSize {
        /// log2 of the page size asked for.
        shift: u8,
    },
    /// An entry width other than 1, 2, 4 or 8 bytes.
    #[error("an entry of {bytes} bytes is not 1, 2, 4 or 8 bytes")]
    EntryWidth {
        /// The width asked for.
        bytes: u8,
    },
    /// Index bits and page offset together wider than 64 bits.
    #[error("an address of {bits} bits is wider than 64")]
    AddressTooWide {
        /// Index bits plus page-offset bits.
        bits: u32,
    },
}

impl Geometry {
    /// A geometry: `bits[l]` index bits at level `l` (root first), pages of `2^page_shift`
    /// bytes, entries of `entry_bytes` bytes.
    ///
    /// # Errors
    /// [`GeometryError`] naming the first rule broken: 1..=5 levels of 1..=24 bits, a page of
    /// 16 B ..= 64 KiB, an entry of 1, 2, 4 or 8 bytes, an address of at most 64 bits.
    pub const fn new(bits: &[u8], page_shift: u8, entry_bytes: u8) -> Result<Self, GeometryError> {
        if bits.is_empty() || bits.len() > MAX_LEVELS {
            return Err(GeometryError::Levels { levels: bits.len() });
        }
        let mut all = [0u8; MAX_LEVELS];
        let mut total = page_shift as u32;
        let mut l = 0;
        while l < bits.len() {
            if bits[l] == 0 || bits[l] > MAX_LEVEL_BITS {
                return Err(GeometryError::LevelBits { level: l, bits: bits[l] });
            }
            all[l] = bits[l];
            total += bits[l] as u32;
            l += 1;
        }
        if page_shift < MIN_PAGE_SHIFT || page_shift > MAX_PAGE_SHIFT {
            return Err(GeometryError::PageSize { shift: page_shift });
        }
        if !matches!(entry_bytes, 1 | 2 | 4 | 8) {
            return Err(GeometryError::EntryWidth { bytes: entry_bytes });
        }
        if total > 64 {
            return Err(GeometryError::AddressTooWide { bits: total });
        }
        Ok(Geometry { bits: all, levels: bits.len() as u8, page_shift, entry_bytes })
    }

    /// The number of levels, 1..=5.
    #[inline]
    pub const fn levels(&self) -> usize {
        self.levels as usize
    }

    /// The index bits of every level, root first.
    #[inline]
    pub fn level_bits_all(&self) -> &[u8] {
        &self.bits[..self.levels as usize]
    }

    /// The index bits of `level` (0 for a level past the last).
    #[inline]
    pub const fn level_bits(&self, level: usize) -> u8 {
        if level < MAX_LEVELS { self.bits[level] } else { 0 }
    }

    /// log2 of the base page size.
    #[inline]
    pub const fn page_shift(&self) -> u8 {
        self.page_shift
    }

    /// The base page size in bytes.
    #[inline]
    pub const fn page_size(&self) -> u64 {
        1 << self.page_shift
    }

    /// The width of an entry in bytes: 1, 2, 4 or 8.
    #[inline]
    pub const fn entry_bytes(&self) -> u8 {
        self.entry_bytes
    }

    /// Bits of a virtual address: every level's index bits plus the page offset.
    #[inline]
    pub const fn va_bits(&self) -> u32 {
        self.level_shift(0) + self.bits[0] as u32
    }

    /// Bits of a virtual page number.
    #[inline]
    pub const fn vpn_bits(&self) -> u32 {
        self.va_bits() - self.page_shift as u32
    }

    /// The bit of the address where `level`'s index starts: the page shift plus the index bits
    /// of every level below it.
    #[inline]
    pub const fn level_shift(&self, level: usize) -> u32 {
        let mut shift = self.page_shift as u32;
        let mut l = self.levels as usize;
        while l > level + 1 {
            l -= 1;
            shift += self.bits[l] as u32;
        }
        shift
    }

    /// Bytes one entry of `level` spans: the base page at the last level, a huge page above.
    #[inline]
    pub const fn level_page_size(&self, level: usize) -> u64 {
        1 << self.level_shift(level)
    }

    /// Entries in a table of `level`.
    #[inline]
    pub const fn entries(&self, level: usize) -> u64 {
        1 << self.level_bits(level)
    }

    /// Bytes of a table of `level`: entries times width.
    #[inline]
    pub const fn table_bytes(&self, level: usize) -> u64 {
        self.entries(level) * self.entry_bytes as u64
    }

    /// Pages a table of `level` occupies (at least one: a smaller table uses a page's first
    /// bytes, as the course machines' 16-entry tables do).
    #[inline]
    pub const fn table_pages(&self, level: usize) -> u64 {
        let pages = self.table_bytes(level).div_ceil(self.page_size());
        if pages == 0 { 1 } else { pages }
    }

    /// Level `level`'s index in the address `va` (only the low `va_bits()` bits count).
    #[inline]
    pub const fn index(&self, level: usize, va: u64) -> u64 {
        (va >> self.level_shift(level)) & (self.entries(level) - 1)
    }

    /// The number of distinct virtual addresses: `2^va_bits`, saturated at `u64::MAX`.
    #[inline]
    pub const fn va_span(&self) -> u64 {
        if self.va_bits() >= 64 { u64::MAX } else { 1 << self.va_bits() }
    }
}

impl fmt::Debug for Geometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Geometry")
            .field("bits", &self.level_bits_all())
            .field("page_size", &self.page_size())
            .field("entry_bytes", &self.entry_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_and_sizes_of_real_machines() {
        let g = Geometry::new(&[9, 9, 9, 9], 12, 8).unwrap();
        assert_eq!((g.levels(), g.va_bits(), g.vpn_bits()), (4, 48, 36));
        assert_eq!([g.level_shift(0), g.level_shift(1), g.level_shift(2), g.level_shift(3)], [39, 30, 21, 12]);
        assert_eq!(g.level_page_size(1), 1 << 30);
        assert_eq!((g.table_bytes(0), g.table_pages(0)), (4096, 1));
        let x86 = Geometry::new(&[10, 10], 12, 4).unwrap();
        assert_eq!(x86.level_page_size(0), 4 << 20);
        assert_eq!(x86.index(0, 0xffc0_0000), 1023);
        assert_eq!(x86.index(1, 0x0040_1000), 1);
        let ostep = Geometry::new(&[5, 5], 5, 1).unwrap();
        assert_eq!((ostep.va_bits(), ostep.table_bytes(1), ostep.table_pages(1)), (15, 32, 1));
        let tiny = Geometry::new(&[2, 3], 4, 1).unwrap();
        assert_eq!((tiny.table_bytes(0), tiny.table_pages(0)), (4, 1));
        let linear = Geometry::new(&[14], 10, 4).unwrap();
        assert_eq!(linear.table_pages(0), 64);
    }

    #[test]
    fn bad_geometries_name_the_rule() {
        assert_eq!(Geometry::new(&[], 12, 4), Err(GeometryError::Levels { levels: 0 }));
        assert_eq!(Geometry::new(&[9; 6], 12, 8), Err(GeometryError::Levels { levels: 6 }));
        assert_eq!(Geometry::new(&[9, 0], 12, 8), Err(GeometryError::LevelBits { level: 1, bits: 0 }));
        assert_eq!(Geometry::new(&[25], 12, 8), Err(GeometryError::LevelBits { level: 0, bits: 25 }));
        assert_eq!(Geometry::new(&[9], 3, 8), Err(GeometryError::PageSize { shift: 3 }));
        assert_eq!(Geometry::new(&[9], 17, 8), Err(GeometryError::PageSize { shift: 17 }));
        assert_eq!(Geometry::new(&[9], 12, 3), Err(GeometryError::EntryWidth { bytes: 3 }));
        assert_eq!(Geometry::new(&[24, 24, 24], 12, 8), Err(GeometryError::AddressTooWide { bits: 84 }));
        assert_eq!(Geometry::new(&[16, 16, 16], 16, 8).map(|g| g.va_span()), Ok(u64::MAX));
    }
}
