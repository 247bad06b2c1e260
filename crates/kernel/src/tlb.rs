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
use phys::PAGE_SHIFT;

use crate::process::Pid;

/// Slots; a power of two. 256 like the TLB of the `ajou` framework's later years.
const SLOTS: usize = 256;

/// Marks an empty slot: not page-aligned, so no lookup's page can equal it.
const NO_PAGE: u64 = u64::MAX;

/// The address bits of a page number.
const PAGE_MASK: u64 = !((1 << PAGE_SHIFT) - 1);

/// One cached translation. The tag is the page's address and the pid, compared whole, so no
/// address, however large, can alias another page.
#[derive(Debug, Clone, Copy)]
struct Slot {
    page: u64,
    pid: Pid,
    pte: Pte,
}

const EMPTY: Slot = Slot { page: NO_PAGE, pid: Pid::new(0), pte: Pte::EMPTY };

/// The cache.
#[derive(Debug, Clone)]
pub(crate) struct Tlb {
    slots: Box<[Slot; SLOTS]>,
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb { slots: Box::new([EMPTY; SLOTS]) }
    }
}

#[inline]
fn index(pid: Pid, addr: VirtAddr) -> usize {
    // The pid is mixed in so that the same page of different processes tends to different slots.
    ((addr.as_u64() >> PAGE_SHIFT) as usize ^ pid.as_u32() as usize) & (SLOTS - 1)
}

impl Tlb {
    /// The cached entry for `addr` in `pid`, if any. It is present and readable.
    #[inline]
    pub(crate) fn lookup(&self, pid: Pid, addr: VirtAddr) -> Option<Pte> {
        let slot = &self.slots[index(pid, addr)];
        (slot.page == addr.as_u64() & PAGE_MASK && slot.pid == pid).then_some(slot.pte)
    }

    /// Caches `pte`, the present, readable entry for `addr` in `pid`.
    #[inline]
    pub(crate) fn fill(&mut self, pid: Pid, addr: VirtAddr, pte: Pte) {
        self.slots[index(pid, addr)] = Slot { page: addr.as_u64() & PAGE_MASK, pid, pte };
    }

    /// Drops the entry for `addr` in `pid`: its table entry changed.
    #[inline]
    pub(crate) fn invalidate(&mut self, pid: Pid, addr: VirtAddr) {
        let slot = &mut self.slots[index(pid, addr)];
        if slot.page == addr.as_u64() & PAGE_MASK && slot.pid == pid {
            *slot = EMPTY;
        }
    }

    /// Drops every entry of `pid`: many of its entries changed, or it ended.
    pub(crate) fn flush_pid(&mut self, pid: Pid) {
        for slot in self.slots.iter_mut().filter(|s| s.page != NO_PAGE && s.pid == pid) {
            *slot = EMPTY;
        }
    }

    /// The cached entries, as (pid, vpn, entry).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (Pid, u64, Pte)> + '_ {
        self.slots.iter().filter(|s| s.page != NO_PAGE).map(|s| (s.pid, s.page >> PAGE_SHIFT, s.pte))
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
        assert_eq!(t.lookup(Pid::new(1), VirtAddr::new(5 * 4096)), Some(pte(9)));
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
        assert_eq!(t.entries().map(|(p, v, _)| (p.as_u32(), v)).collect::<Vec<_>>(), [(4, 1)]);
    }
}
