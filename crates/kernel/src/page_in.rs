//! Bringing a page in under demand paging: a fault on an absent entry (a lazy page's first
//! touch, or a swapped page read back or shared from the swap cache).

use paging::{AbsentKind, Pte, PteFlags, VirtAddr, Vpn};
use phys::{FrameAllocator, Pfn};

use crate::demand::{Mapper, Pending};
use crate::error::{AccessError, FaultReason};
use crate::process::Pid;
use crate::{Access, Kernel};

impl Kernel {
    /// A reference that found no present entry: if the page is absent (lazy or swapped),
    /// brings it in and returns the entry that now maps it; `Ok(None)` if it is not (an
    /// ordinary fault follows).
    ///
    /// # Errors
    /// [`AccessError::Fault`] for an access the page's permission forbids (the profile's
    /// fault action applies); [`AccessError::SwapFull`]; nothing changed then.
    pub(crate) fn demand_fault(
        &mut self,
        pid: Pid,
        addr: VirtAddr,
        access: Access,
    ) -> Result<Option<Pte>, AccessError> {
        if self.demand.is_none() {
            return Ok(None);
        }
        let (Some(table), Some(vpn)) = (self.procs.table(pid), Vpn::containing(addr)) else { return Ok(None) };
        let Some(a) = table.absent(&self.mem.arena, vpn) else { return Ok(None) };
        let write = access == Access::Write;
        let r = self.reference(pid, vpn, write);
        if write && !a.flags.contains(PteFlags::ORIG_WRITE) {
            return Err(self.fault(pid, addr, FaultReason::NotWritable).into());
        }
        if !write && !a.flags.contains(PteFlags::READ) {
            return Err(self.fault(pid, addr, FaultReason::NotReadable).into());
        }
        let cached = |k: &Kernel| match a.kind {
            AbsentKind::Swapped(slot) => k.demand.as_deref().and_then(|d| d.swap.cached(slot)),
            AbsentKind::Lazy => None,
        };
        // A read of a cached page shares its frame; everything else needs a frame.
        if (write || cached(self).is_none()) && self.needs_room(pid) {
            self.evict_one(pid, r)?;
        }
        let cached = cached(self);
        let Some(d) = self.demand.as_deref() else { return Ok(None) };
        let base = d.base;
        let (frame, mut flags, major) = match (a.kind, cached) {
            (AbsentKind::Swapped(_), Some(i)) if !write => (Pfn::new(base + i), a.flags, false),
            _ => {
                let Ok(frame) = self.mem.user.allocate_frame() else {
                    return Err(AccessError::OutOfMemory { pid, addr });
                };
                let major = match (a.kind, cached) {
                    (AbsentKind::Lazy, _) => {
                        let _ = self.mem.arena.zero_frame(frame);
                        false
                    }
                    (AbsentKind::Swapped(_), Some(i)) => {
                        let _ = self.mem.arena.copy_frame(Pfn::new(base + i), frame);
                        false
                    }
                    (AbsentKind::Swapped(slot), None) => {
                        let bytes = d.swap.read(slot);
                        match (bytes, self.mem.arena.frame_mut(frame)) {
                            (Some(b), Ok(dst)) => dst.copy_from_slice(b),
                            _ => {
                                let _ = self.mem.arena.zero_frame(frame);
                            }
                        }
                        true
                    }
                };
                (frame, a.flags, major)
            }
        };
        let Some(d) = self.demand.as_deref_mut() else { return Ok(None) };
        let i = (frame.as_u32() - d.base) as usize;
        let mut link = None;
        if let AbsentKind::Swapped(slot) = a.kind {
            // Cache the frame before dropping the user, so that the slot is not freed.
            if !write && cached.is_none() {
                d.swap.set_cached(slot, Some(i as u32));
                link = Some(slot);
            }
            let users = d.swap.drop_user(slot);
            if write {
                flags = (flags | PteFlags::WRITE) - PteFlags::COW;
            } else {
                let shared = users > 0 || cached.is_some();
                if shared && flags.contains(PteFlags::ORIG_WRITE) {
                    flags = (flags - PteFlags::WRITE) | PteFlags::COW;
                }
            }
        }
        let _ = table.take_absent(&mut self.mem.arena, vpn);
        let mapped = table.map(&mut self.mem.arena, &mut self.mem.kernel, vpn, frame, flags);
        debug_assert!(mapped.is_ok(), "an absent entry's tables exist");
        let _ = self.mem.map_counts.increment(frame);
        let entry = table.entry_addr(&self.mem.arena, vpn);
        let fresh = d.rmap[i].is_empty();
        d.rmap[i].push(Mapper { pid, vpn, entry });
        if link.is_some() {
            d.link[i] = link;
        }
        let count = |s: &mut crate::PagingStats| {
            s.faults += 1;
            if major {
                s.major_faults += 1;
                s.disk_reads += 1;
            } else {
                s.minor_faults += 1;
            }
        };
        count(&mut d.stats);
        // The access that follows sets the MMU's bits, then tells the policy.
        d.pending = Some(Pending::Loaded { fresh });
        if let Some(p) = self.procs.get_mut(pid) {
            count(&mut p.paging);
        }
        Ok(table.translate(&self.mem.arena, vpn))
    }
}
