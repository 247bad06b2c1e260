//! The TLB of the Ajou framework's later years (2021 Fall on, `-t`): a cache of VPN -> PFN
//! translations kept by the shell, as the framework's MMU model kept it outside the page table.
//!
//! It reproduces the framework's behaviour, quirks included: an entry caches only the frame,
//! not the permission, so any access to a cached VPN hits (the framework's `lookup_tlb` is not
//! told whether the access reads or writes). Entries are indexed by VPN, so `tlb` lists them in
//! VPN order.

use kernel::{Pfn, Vpn};

/// One TLB: an entry per VPN of the address space.
#[derive(Debug, Clone)]
pub(crate) struct Tlb {
    entries: Vec<Option<Pfn>>,
}

impl Tlb {
    /// An empty TLB for `vpns` VPNs.
    pub(crate) fn new(vpns: u32) -> Self {
        Tlb { entries: vec![None; vpns as usize] }
    }

    /// The cached frame of `vpn`, on a hit.
    #[inline]
    pub(crate) fn lookup(&self, vpn: Vpn) -> Option<Pfn> {
        self.entries.get(vpn.index()).copied().flatten()
    }

    /// Caches (or updates) the translation of `vpn`.
    #[inline]
    pub(crate) fn insert(&mut self, vpn: Vpn, pfn: Pfn) {
        if let Some(e) = self.entries.get_mut(vpn.index()) {
            *e = Some(pfn);
        }
    }

    /// Forgets `vpn` (it was freed).
    #[inline]
    pub(crate) fn remove(&mut self, vpn: Vpn) {
        if let Some(e) = self.entries.get_mut(vpn.index()) {
            *e = None;
        }
    }

    /// Forgets everything (a context switch).
    pub(crate) fn flush(&mut self) {
        self.entries.fill(None);
    }

    /// The valid entries, in VPN order.
    pub(crate) fn valid(&self) -> impl Iterator<Item = (Vpn, Pfn)> + '_ {
        self.entries.iter().enumerate().filter_map(|(v, e)| e.map(|p| (Vpn::new(v as u32), p)))
    }
}
