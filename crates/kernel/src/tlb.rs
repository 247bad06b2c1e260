//! A software TLB: a direct-mapped cache of recent translations, so that a hot working set is
//! read and written without walking the page table.
//!
//! It plays the part a hardware TLB plays for a real kernel, with the same obligation: every
//! change to a page-table entry must drop the cached copy. The kernel does that in the few places
//! that change entries of a live process (unmapping a page, the copy-on-write fault, the
//! copy-on-write fork that write-protects the parent, the end of a process), and `check`
//! verifies that every cached entry still equals the table's.
//!
//! Only readable translations are cached, so a read that hits needs no permission check; a write
//! that hits still checks `WRITE`, which a shared copy-on-write page lacks.

use paging::{Pte, VirtAddr};
use phys::{PAGE_SHIFT, PhysAddr};

use crate::process::Pid;

/// Slots; a power of two. 256 like the TLB of the `ajou` framework's later years.
const SLOTS: usize = 256;

/// Marks an empty slot: past the last page number of any address, so no lookup's can equal it.
const NO_PAGE: u64 = u64::MAX;

/// The cache, direct-mapped: slot `i` caches one translation, its tag being `vpns[i]` (the page
/// number: the address shifted, not masked, since the index needs that number anyway) and
/// `pids[i]`, compared whole, so no address, however large, can alias another page.
/// `deltas[i]` turns an address of the page into its physical address by one addition: the
/// frame's start minus the page's (modulo 2^64), computed once at the fill instead of at every
/// hit. The fields are separate arrays rather than an array of slots so that every access is
/// one load with the index scaled in the address, with no slot address to compute; and they
/// are inline, not boxed, so a hit loads nothing else.
#[derive(Debug, Clone)]
pub(crate) struct Tlb {
    vpns: [u64; SLOTS],
    deltas: [u64; SLOTS],
    pids: [Pid; SLOTS],
    ptes: [Pte; SLOTS],
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb { vpns: [NO_PAGE; SLOTS], deltas: [0; SLOTS], pids: [Pid::new(0); SLOTS], ptes: [Pte::EMPTY; SLOTS] }
    }
}

/// The page number of `addr`, unbounded (a [`paging::Vpn`] has only 32 bits).
#[inline]
fn page(addr: VirtAddr) -> u64 {
    addr.as_u64() >> PAGE_SHIFT
}

#[inline]
fn index(pid: Pid, page: u64) -> usize {
    // The pid is mixed in so that the same page of different processes tends to different slots.
    (page as usize ^ pid.as_u32() as usize) & (SLOTS - 1)
}

impl Tlb {
    /// The slot caching `page` of `pid`, if any.
    #[inline]
    fn slot(&self, pid: Pid, page: u64) -> Option<usize> {
        let i = index(pid, page);
        (self.vpns[i] == page && self.pids[i] == pid).then_some(i)
    }

    /// The cached entry for `addr` in `pid`, if any, and the physical address `addr` maps to.
    /// The entry is present and readable.
    #[inline]
    pub(crate) fn lookup(&self, pid: Pid, addr: VirtAddr) -> Option<(Pte, PhysAddr)> {
        let i = self.slot(pid, page(addr))?;
        Some((self.ptes[i], PhysAddr::new(addr.as_u64().wrapping_add(self.deltas[i]))))
    }

    /// Caches `pte`, the present, readable entry for `addr` in `pid`.
    #[inline]
    pub(crate) fn fill(&mut self, pid: Pid, addr: VirtAddr, pte: Pte) {
        let vpn = page(addr);
        let i = index(pid, vpn);
        self.vpns[i] = vpn;
        self.deltas[i] = pte.frame().start_address().as_u64().wrapping_sub(vpn << PAGE_SHIFT);
        self.pids[i] = pid;
        self.ptes[i] = pte;
    }

    /// Drops slot `i`.
    #[inline]
    fn clear(&mut self, i: usize) {
        self.vpns[i] = NO_PAGE;
    }

    /// Drops the entry for `addr` in `pid`: its table entry changed.
    #[inline]
    pub(crate) fn invalidate(&mut self, pid: Pid, addr: VirtAddr) {
        if let Some(i) = self.slot(pid, page(addr)) {
            self.clear(i);
        }
    }

    /// Drops every entry of `pid`: many of its entries changed, or it ended.
    pub(crate) fn flush_pid(&mut self, pid: Pid) {
        for i in 0..SLOTS {
            if self.pids[i] == pid {
                self.clear(i);
            }
        }
    }

    /// Moves the physical address the entry for `addr` in `pid` translates to by `by` bytes:
    /// a corruption for `check` to catch.
    #[cfg(test)]
    pub(crate) fn skew(&mut self, pid: Pid, addr: VirtAddr, by: u64) {
        if let Some(i) = self.slot(pid, page(addr)) {
            self.deltas[i] = self.deltas[i].wrapping_add(by);
        }
    }

    /// The cached entries, as (pid, vpn, entry, the frame its delta maps the page to).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (Pid, u64, Pte, u64)> + '_ {
        (0..SLOTS).filter(|&i| self.vpns[i] != NO_PAGE).map(|i| {
            let vpn = self.vpns[i];
            (self.pids[i], vpn, self.ptes[i], (vpn << PAGE_SHIFT).wrapping_add(self.deltas[i]) >> PAGE_SHIFT)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paging::PteFlags;
    use phys::Pfn;

    fn pte(frame: u32) -> Pte {
        Pte::new(Pfn::new(frame), PteFlags::PRESENT | PteFlags::READ).unwrap()
    }

    #[test]
    fn hits_only_the_same_pid_and_page() {
        let mut t = Tlb::default();
        let a = VirtAddr::new(5 * 4096 + 7);
        t.fill(Pid::new(1), a, pte(9));
        assert_eq!(t.lookup(Pid::new(1), VirtAddr::new(5 * 4096 + 3)), Some((pte(9), PhysAddr::new(9 * 4096 + 3))));
        assert_eq!(t.lookup(Pid::new(2), a), None);
        assert_eq!(t.lookup(Pid::new(1), VirtAddr::new(6 * 4096)), None);
        // A page past 32 bits of VPN must not alias page 5 through the index.
        assert_eq!(t.lookup(Pid::new(1), VirtAddr::new((1u64 << 44) | (5 * 4096))), None);
        t.invalidate(Pid::new(1), a);
        assert_eq!(t.lookup(Pid::new(1), a), None);
    }

    #[test]
    fn empty_slots_never_hit_and_flush_is_per_pid() {
        let mut t = Tlb::default();
        assert_eq!(t.lookup(Pid::new(0), VirtAddr::new(u64::MAX)), None);
        assert_eq!(t.lookup(Pid::new(0), VirtAddr::new(0)), None);
        t.fill(Pid::new(3), VirtAddr::new(0), pte(1));
        t.fill(Pid::new(4), VirtAddr::new(4096), pte(2));
        t.flush_pid(Pid::new(3));
        assert_eq!(t.entries().map(|(p, v, _, f)| (p.as_u32(), v, f)).collect::<Vec<_>>(), [(4, 1, 2)]);
    }
}
