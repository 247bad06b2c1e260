//! The TLB of the Ajou framework's later years (2021 Fall to 2022 Fall, `-t`): one global
//! array of 256 slots, each a valid bit, a VPN and a PFN, kept by the shell as the framework's
//! MMU model kept it beside the page table (`spec/ajou-2021.md`, "Later course years").
//!
//! It reproduces the framework's behaviour, quirks included: a slot caches only the frame, not
//! the permission, so any access to a cached VPN hits (the framework's `lookup_tlb` is not told
//! whether the access reads or writes). A new entry takes the lowest-numbered free slot, so
//! `tlb` lists entries in slot order: insertion order until a `free` leaves a hole, which the
//! next insertion fills.

use kernel::{Pfn, Vpn};

/// Slots in the framework's TLB.
pub(crate) const SLOTS: usize = 256;

/// The framework's TLB: [`SLOTS`] slots, and for speed an index from VPN to slot.
///
/// A VPN is in at most one slot (an entry is inserted only after a miss), and there are as many
/// slots as VPNs of the `ajou` address space, so a free slot always exists for an insertion.
#[derive(Debug, Clone)]
pub(crate) struct Tlb {
    /// Each slot's VPN and PFN; `None` is a slot whose valid bit is clear.
    slots: [Option<(Vpn, Pfn)>; SLOTS],
    /// The slot holding each VPN, if any.
    slot_of: Vec<Option<u8>>,
    /// One bit per slot, set when the slot is in use: the lowest free slot is the lowest
    /// clear bit.
    used: [u64; SLOTS / 64],
}

impl Tlb {
    /// An empty TLB for an address space of `vpns` VPNs.
    pub(crate) fn new(vpns: u32) -> Self {
        Tlb { slots: [None; SLOTS], slot_of: vec![None; vpns as usize], used: [0; SLOTS / 64] }
    }

    /// The cached frame of `vpn`, on a hit.
    #[inline]
    pub(crate) fn lookup(&self, vpn: Vpn) -> Option<Pfn> {
        let slot = (*self.slot_of.get(vpn.index())?)?;
        self.slots[usize::from(slot)].map(|(_, pfn)| pfn)
    }

    /// Caches the translation of `vpn` in the lowest free slot, or updates its slot if it has
    /// one already. Does nothing for a VPN outside the address space or when every slot is in
    /// use (neither happens: see [`Tlb`]).
    #[inline]
    pub(crate) fn insert(&mut self, vpn: Vpn, pfn: Pfn) {
        let Some(index) = self.slot_of.get_mut(vpn.index()) else { return };
        if let Some(slot) = *index {
            self.slots[usize::from(slot)] = Some((vpn, pfn));
            return;
        }
        let Some((word, bits)) = self.used.iter_mut().enumerate().find(|(_, w)| **w != u64::MAX) else { return };
        let bit = bits.trailing_ones() as usize;
        *bits |= 1 << bit;
        let slot = word * 64 + bit;
        self.slots[slot] = Some((vpn, pfn));
        *index = u8::try_from(slot).ok();
    }

    /// Frees the slot of `vpn`, if it has one (the page was freed).
    #[inline]
    pub(crate) fn remove(&mut self, vpn: Vpn) {
        let Some(slot) = self.slot_of.get_mut(vpn.index()).and_then(Option::take) else { return };
        let slot = usize::from(slot);
        self.slots[slot] = None;
        self.used[slot / 64] &= !(1 << (slot % 64));
    }

    /// Frees every slot (a context switch).
    pub(crate) fn flush(&mut self) {
        self.slots.fill(None);
        self.slot_of.fill(None);
        self.used.fill(0);
    }

    /// The valid slots' entries, in slot order.
    pub(crate) fn valid(&self) -> impl Iterator<Item = (Vpn, Pfn)> + '_ {
        self.slots.iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(t: &Tlb) -> Vec<u32> {
        t.valid().map(|(v, _)| v.as_u32()).collect()
    }

    #[test]
    fn entries_take_the_lowest_free_slot() {
        let mut t = Tlb::new(256);
        for v in [3, 1, 2] {
            t.insert(Vpn::new(v), Pfn::new(v + 10));
        }
        assert_eq!(listed(&t), [3, 1, 2]);
        t.remove(Vpn::new(1));
        assert_eq!(t.lookup(Vpn::new(1)), None);
        t.insert(Vpn::new(5), Pfn::new(15));
        assert_eq!(listed(&t), [3, 5, 2]);
        t.insert(Vpn::new(7), Pfn::new(17));
        assert_eq!(listed(&t), [3, 5, 2, 7]);
        assert_eq!(t.lookup(Vpn::new(5)), Some(Pfn::new(15)));
        t.flush();
        assert_eq!(listed(&t), Vec::<u32>::new());
        t.insert(Vpn::new(9), Pfn::new(1));
        assert_eq!(listed(&t), [9]);
    }

    #[test]
    fn all_256_slots_fill_and_free_in_any_order() {
        let mut t = Tlb::new(256);
        for v in (0..256).rev() {
            t.insert(Vpn::new(v), Pfn::new(v));
        }
        assert_eq!(listed(&t), (0..256).rev().collect::<Vec<_>>());
        // A hole in the last word and one in the first: the lowest is taken first.
        t.remove(Vpn::new(0));
        t.remove(Vpn::new(255));
        t.insert(Vpn::new(0), Pfn::new(1));
        assert_eq!(listed(&t)[0], 0, "slot 0 (freed by VPN 255) is reused first");
        assert_eq!(listed(&t).len(), 255);
        // Re-inserting a cached VPN updates its slot in place.
        t.insert(Vpn::new(0), Pfn::new(2));
        assert_eq!(t.lookup(Vpn::new(0)), Some(Pfn::new(2)));
        assert_eq!(listed(&t).len(), 255);
        // Outside the address space: ignored.
        t.insert(Vpn::new(300), Pfn::new(2));
        assert_eq!(t.lookup(Vpn::new(300)), None);
    }
}
