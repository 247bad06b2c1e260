//! The page-table entry: a transparent 32-bit integer of flags and a frame number.

use core::fmt;

use phys::Pfn;

bitflags::bitflags! {
    /// The flag bits of a [`Pte`]. Bits 0..=3 are what the simulated MMU reads; bits 9 and 10
    /// are left to the OS, as x86 leaves bits 9..=11 (`AVL`), and only the kernel's fault
    /// handler reads them.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct PteFlags: u32 {
        /// The entry maps a frame (the framework's `valid`). Clear means not mapped.
        const PRESENT = 1 << 0;
        /// The page may be read.
        const READ = 1 << 1;
        /// The page may be written now. Cleared while a copy-on-write page is shared.
        const WRITE = 1 << 2;
        /// The page may be executed.
        const EXEC = 1 << 3;
        /// The MMU has used the page since the bit was cleared: reported by general machines
        /// whose layout has an accessed bit (x86's A is bit 5 too); the course layout has none.
        const ACCESSED = 1 << 5;
        /// The MMU has written the page since the bit was cleared (general machines only).
        const DIRTY = 1 << 6;
        /// Software: the frame is shared copy-on-write; `WRITE` is clear only because of that.
        const COW = 1 << 9;
        /// Software: the page's own write permission as allocated (the framework's `private`),
        /// which copy-on-write restores.
        const ORIG_WRITE = 1 << 10;
    }
}

/// What a not-present entry of a general table records for the kernel, as Linux keeps a swap
/// entry in a not-present PTE (`include/linux/swapops.h`).
///
/// The encoding, stated once: the entry is the leaf entry the page would have with
/// [`Absent::flags`] (minus `ACCESSED` and `DIRTY`), with its valid bit **clear** and its
/// frame field holding 1 for [`AbsentKind::Lazy`] and `slot + 2` for
/// [`AbsentKind::Swapped`]. A frame field of 0 is not an absent entry: an all-zero entry
/// still means "nothing mapped". The MMU, which looks only at the valid bit, faults on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Absent {
    /// Why the page is not present.
    pub kind: AbsentKind,
    /// The page's flags when it is brought in (`PRESENT`, `ACCESSED`, `DIRTY` never kept).
    pub flags: PteFlags,
}

/// Why a page that a process owns has no frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AbsentKind {
    /// Allocated lazily: the first touch maps a zeroed frame (a minor fault).
    Lazy,
    /// Written out to this swap slot: the next touch reads it back (a major fault).
    Swapped(u32),
}

impl AbsentKind {
    /// The value of the entry's frame field for this kind.
    pub const fn field(self) -> u64 {
        match self {
            AbsentKind::Lazy => 1,
            AbsentKind::Swapped(slot) => slot as u64 + 2,
        }
    }

    /// The kind a frame field records, or `None` for 0 (not an absent entry) and values past
    /// the largest slot.
    pub const fn from_field(field: u64) -> Option<AbsentKind> {
        match field {
            0 => None,
            1 => Some(AbsentKind::Lazy),
            f if f - 2 <= u32::MAX as u64 => Some(AbsentKind::Swapped((f - 2) as u32)),
            _ => None,
        }
    }
}

/// Bits of a [`Pte`] below the frame number.
const FRAME_SHIFT: u32 = 12;
/// The largest frame number a [`Pte`] can hold.
const MAX_FRAME: u32 = (1 << (32 - FRAME_SHIFT)) - 1;

/// A frame number too large for the 20-bit frame field of a [`Pte`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("frame {frame} does not fit in a page-table entry (at most {MAX_FRAME})")]
pub struct FrameTooLarge {
    /// The frame given.
    pub frame: Pfn,
}

/// A page-table entry: bits 31..12 are the frame number, bits 11..0 the [`PteFlags`].
///
/// The all-zero entry is "not mapped": frame 0, no flags.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
pub struct Pte(u32);

impl Pte {
    /// The empty, not-present entry.
    pub const EMPTY: Pte = Pte(0);

    /// An entry for `frame` with `flags`.
    ///
    /// # Errors
    /// [`FrameTooLarge`] if `frame` does not fit in 20 bits.
    #[inline]
    pub const fn new(frame: Pfn, flags: PteFlags) -> Result<Self, FrameTooLarge> {
        if frame.as_u32() > MAX_FRAME {
            return Err(FrameTooLarge { frame });
        }
        Ok(Pte(frame.as_u32() << FRAME_SHIFT | flags.bits()))
    }

    /// The entry's frame number.
    #[inline]
    pub const fn frame(self) -> Pfn {
        Pfn::new(self.0 >> FRAME_SHIFT)
    }

    /// The entry's flags (unknown bits dropped).
    #[inline]
    pub const fn flags(self) -> PteFlags {
        PteFlags::from_bits_truncate(self.0)
    }

    /// Whether the entry maps a frame.
    #[inline]
    pub const fn is_present(self) -> bool {
        self.0 & PteFlags::PRESENT.bits() != 0
    }

    /// The same frame with other flags.
    #[inline]
    pub const fn with_flags(self, flags: PteFlags) -> Self {
        Pte(self.0 & !((1 << FRAME_SHIFT) - 1) | flags.bits())
    }

    /// The raw 32-bit value.
    #[inline]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// An entry from its raw 32-bit value.
    #[inline]
    pub const fn from_bits(bits: u32) -> Self {
        Pte(bits)
    }
}

impl fmt::Debug for Pte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pte").field("frame", &self.frame()).field("flags", &self.flags()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_and_flags_are_separate_fields() {
        let e = Pte::new(Pfn::new(0xabcde), PteFlags::PRESENT | PteFlags::WRITE | PteFlags::COW).unwrap();
        assert_eq!(e.frame(), Pfn::new(0xabcde));
        assert_eq!(e.flags(), PteFlags::PRESENT | PteFlags::WRITE | PteFlags::COW);
        assert!(e.is_present());
        let r = e.with_flags(PteFlags::PRESENT | PteFlags::READ);
        assert_eq!(r.frame(), Pfn::new(0xabcde));
        assert_eq!(r.flags(), PteFlags::PRESENT | PteFlags::READ);
        assert_eq!(Pte::new(Pfn::new(1 << 20), PteFlags::empty()), Err(FrameTooLarge { frame: Pfn::new(1 << 20) }));
        assert!(!Pte::EMPTY.is_present());
        assert_eq!(Pte::from_bits(e.bits()), e);
    }

    #[test]
    fn a_frame_full_of_zeroes_is_a_table_of_empty_entries() {
        let frame = [0u8; phys::PAGE_SIZE];
        let entries: &[Pte] = bytemuck::cast_slice(&frame);
        assert_eq!(entries.len(), 1024);
        assert!(entries.iter().all(|e| !e.is_present()));
    }
}
