//! Virtual page numbers and virtual addresses.

use core::fmt;

use phys::{PAGE_SHIFT, PAGE_SIZE};

/// A virtual page number: page `n` covers addresses `n * PAGE_SIZE .. (n + 1) * PAGE_SIZE`.
///
/// 52 bits are enough for any 64-bit address; the course machines' numbers fit in 10.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Vpn(u64);

impl Vpn {
    /// Page number `n`. Whether a table format can hold it is checked where it is used.
    #[inline]
    pub const fn new(n: u32) -> Self {
        Vpn(n as u64)
    }

    /// Page number `n`, any width (the pages of a 48- or 57-bit address space).
    #[inline]
    pub const fn from_u64(n: u64) -> Self {
        Vpn(n)
    }

    /// The page number's low 32 bits: the whole number on the course machines, whose VPNs
    /// are at most 10 bits. Use [`Vpn::as_u64`] for a general machine's.
    #[inline]
    pub const fn as_u32(self) -> u32 {
        self.0 as u32
    }

    /// The page number.
    #[inline]
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The page number as an index.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The page that contains `addr`. Always `Some` (kept an `Option` for callers written
    /// when page numbers had 32 bits).
    #[inline]
    pub const fn containing(addr: VirtAddr) -> Option<Self> {
        Some(Vpn(addr.0 >> PAGE_SHIFT))
    }

    /// The address of the page's first byte.
    #[inline]
    pub const fn start_address(self) -> VirtAddr {
        VirtAddr(self.0 << PAGE_SHIFT)
    }
}

impl fmt::Debug for Vpn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vpn({:#x})", self.0)
    }
}

impl fmt::Display for Vpn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A byte address in a process's virtual address space.
///
/// 64 bits wide so that any address a user types can be represented and then refused by the
/// kernel with the facts, rather than wrapped.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VirtAddr(u64);

impl VirtAddr {
    /// The address `addr`.
    #[inline]
    pub const fn new(addr: u64) -> Self {
        VirtAddr(addr)
    }

    /// The address as an integer.
    #[inline]
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The byte offset of this address inside its page.
    #[inline]
    pub const fn page_offset(self) -> usize {
        (self.0 as usize) & (PAGE_SIZE - 1)
    }

    /// Whether the address is the first byte of a page.
    #[inline]
    pub const fn is_page_aligned(self) -> bool {
        self.page_offset() == 0
    }
}

impl fmt::Debug for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtAddr({:#x})", self.0)
    }
}

impl fmt::Display for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_addresses() {
        let a = VirtAddr::new(10 * 4096 + 1);
        assert_eq!(Vpn::containing(a), Some(Vpn::new(10)));
        assert_eq!(a.page_offset(), 1);
        assert!(!a.is_page_aligned());
        assert!(Vpn::new(10).start_address().is_page_aligned());
        assert_eq!(Vpn::containing(VirtAddr::new(u64::MAX)), Some(Vpn::from_u64(u64::MAX >> 12)));
        assert_eq!(format!("{:?}", Vpn::new(16)), "Vpn(0x10)");
        assert_eq!(VirtAddr::new(4096).to_string(), "0x1000");
    }
}
