//! Frame numbers and physical addresses, and the page-size constants everything derives from.

use core::fmt;

/// log2 of the page (and frame) size.
pub const PAGE_SHIFT: u32 = 12;
/// Bytes in one page or frame: 4 KiB.
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;

/// A physical frame number: frame `n` holds bytes `n * PAGE_SIZE .. (n + 1) * PAGE_SIZE`.
///
/// Frame numbers are absolute, counted from the start of the arena.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pfn(u32);

impl Pfn {
    /// The frame with number `n`. Whether it exists in a given arena is checked where it is used.
    #[inline]
    pub const fn new(n: u32) -> Self {
        Pfn(n)
    }

    /// The frame number as an integer.
    #[inline]
    pub const fn as_u32(self) -> u32 {
        self.0
    }

    /// The frame number as an index.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The frame that contains `addr`.
    #[inline]
    pub const fn containing(addr: PhysAddr) -> Self {
        // A u64 address >> 12 fits in u32 for any arena this crate can build (< 16 TiB).
        Pfn((addr.0 >> PAGE_SHIFT) as u32)
    }

    /// The address of the frame's first byte.
    #[inline]
    pub const fn start_address(self) -> PhysAddr {
        PhysAddr((self.0 as u64) << PAGE_SHIFT)
    }
}

impl fmt::Debug for Pfn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pfn({:#x})", self.0)
    }
}

impl fmt::Display for Pfn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A byte address in the arena.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PhysAddr(u64);

impl PhysAddr {
    /// The address `addr`. Whether it lies inside a given arena is checked where it is used.
    #[inline]
    pub const fn new(addr: u64) -> Self {
        PhysAddr(addr)
    }

    /// The address as an integer.
    #[inline]
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The byte offset of this address inside its frame.
    #[inline]
    pub const fn page_offset(self) -> usize {
        (self.0 as usize) & (PAGE_SIZE - 1)
    }

    /// The address `offset` bytes into `frame`; `offset` is taken modulo the page size.
    #[inline]
    pub const fn from_parts(frame: Pfn, offset: usize) -> Self {
        PhysAddr(frame.start_address().0 | (offset & (PAGE_SIZE - 1)) as u64)
    }
}

impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhysAddr({:#x})", self.0)
    }
}

impl fmt::Display for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_and_address_round_trip() {
        let f = Pfn::new(18_432);
        assert_eq!(f.start_address().as_u64(), 72 << 20);
        assert_eq!(Pfn::containing(PhysAddr::new((72 << 20) + 4095)), f);
        assert_eq!(Pfn::containing(PhysAddr::new((72 << 20) + 4096)), Pfn::new(18_433));
        let a = PhysAddr::from_parts(f, 0x123);
        assert_eq!(a.page_offset(), 0x123);
        assert_eq!(Pfn::containing(a), f);
    }

    #[test]
    fn debug_is_hex() {
        assert_eq!(format!("{:?}", Pfn::new(255)), "Pfn(0xff)");
        assert_eq!(format!("{:?}", PhysAddr::new(4096)), "PhysAddr(0x1000)");
    }
}
