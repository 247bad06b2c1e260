//! Demand paging's hooks: what the other operations (accesses, allocation and unmapping,
//! copy-on-write, fork, exit) call so that the references, the reverse map, the policy and
//! the swap slots' users follow every change of a mapping. They keep no books while demand
//! paging is off.

use paging::{Absent, AbsentKind, PageTable, PteFlags, Vpn};
use phys::Pfn;
use policy::{Frame, Ref};

use crate::Kernel;
use crate::demand::{Demand, Mapper, Pending, page_id};
use crate::mmu_bits::{MmuBits, with_policy};
use crate::process::Pid;

impl Demand {
    /// Drops one user of the slot an absent entry named.
    fn drop_absent(&mut self, a: Absent) {
        if let AbsentKind::Swapped(slot) = a.kind {
            self.swap.drop_user(slot);
        }
    }

    /// The frame index left the machine: out of the policy, its slot copy forgotten.
    fn frame_freed(&mut self, i: usize) {
        match &mut self.local {
            Some(local) => local.uncharge(i, false),
            None => self.policy.remove(Frame(i)),
        }
        self.rmap[i].clear();
        if let Some(slot) = self.link[i].take() {
            self.swap.set_cached(slot, None);
        }
    }
}

impl Kernel {
    /// The reference `pid` makes to `vpn` now, as the policy sees it.
    pub(crate) fn reference(&self, pid: Pid, vpn: Vpn, write: bool) -> Ref {
        Ref { page: page_id(pid, vpn), time: self.demand.as_ref().map_or(0, |d| d.time), write }
    }

    /// Accounts a successful access of `pid`'s `vpn` in `frame` (after the MMU set its bits):
    /// a hit, unless a fault just brought the page in.
    pub(crate) fn demand_reference(&mut self, pid: Pid, vpn: Vpn, frame: Pfn, write: bool) {
        let r = self.reference(pid, vpn, write);
        let Some(d) = self.demand.as_deref_mut() else { return };
        let pending = d.pending.take();
        d.stats.references += 1;
        let hit = !matches!(pending, Some(Pending::Loaded { .. }));
        if hit {
            d.stats.hits += 1;
        }
        let i = d.frame_index(frame);
        if let Some(p) = self.procs.get_mut(pid) {
            p.paging.references += 1;
            p.paging.hits += u64::from(hit);
        }
        if self.is_local() {
            let loaded = matches!(pending, Some(Pending::Loaded { fresh: true } | Pending::Copied));
            self.local_reference(pid, vpn, i, loaded, write);
            if let Some(d) = self.demand.as_deref_mut() {
                d.time += 1;
            }
            return;
        }
        with_policy!(self, |p, bits| {
            if let Some(i) = i {
                match pending {
                    Some(Pending::Loaded { fresh: true } | Pending::Copied) => p.insert(Frame(i), r, &mut bits),
                    Some(Pending::Loaded { fresh: false }) | None => p.hit(Frame(i), r, &mut bits),
                }
            }
            p.tick(r, &mut bits);
        });
        if let Some(d) = self.demand.as_deref_mut() {
            d.time += 1;
        }
    }

    /// Records that `pid`'s `vpn` now maps `frame`: into the reverse map, and, if the frame
    /// was just filled (`loaded`), into the policy.
    ///
    /// Every machine's allocation calls it: without demand paging it returns before the
    /// process lookup and the walk to the entry's address.
    pub(crate) fn demand_mapped(&mut self, pid: Pid, vpn: Vpn, frame: Pfn, loaded: bool) {
        if self.demand.is_none() {
            return;
        }
        if let Some(table) = self.procs.table(pid) {
            self.demand_mapped_in(table, pid, vpn, frame, loaded);
        }
    }

    /// [`Kernel::demand_mapped`] for `pid` whose table is `table` (a child being forked is
    /// not in the process table yet).
    fn demand_mapped_in(&mut self, table: PageTable, pid: Pid, vpn: Vpn, frame: Pfn, loaded: bool) {
        let r = self.reference(pid, vpn, false);
        let Some(i) = self.demand.as_deref().and_then(|d| d.frame_index(frame)) else { return };
        let entry = table.entry_addr(&self.mem.arena, vpn);
        let Some(d) = self.demand.as_deref_mut() else { return };
        d.rmap[i].push(Mapper { pid, vpn, entry });
        if loaded {
            if d.local.is_some() {
                self.local_loaded(pid, vpn, i);
            } else {
                with_policy!(self, |p, bits| p.insert(Frame(i), r, &mut bits));
            }
        }
    }

    /// A copy-on-write copy moved `pid`'s `vpn` from `old` to the new frame `new`.
    pub(crate) fn demand_copied(&mut self, pid: Pid, vpn: Vpn, old: Pfn, new: Pfn, freed: bool) {
        if self.demand.is_none() {
            return;
        }
        self.demand_unmapped(pid, vpn, old, freed);
        self.demand_mapped(pid, vpn, new, false);
        if let Some(d) = self.demand.as_deref_mut() {
            d.pending = Some(Pending::Copied);
        }
    }

    /// Records that `pid`'s `vpn` no longer maps `frame`, which is now free if `freed`.
    pub(crate) fn demand_unmapped(&mut self, pid: Pid, vpn: Vpn, frame: Pfn, freed: bool) {
        let Some(d) = self.demand.as_deref_mut() else { return };
        let Some(i) = d.frame_index(frame) else { return };
        if let Some(at) = d.rmap[i].iter().position(|m| (m.pid, m.vpn) == (pid, vpn)) {
            d.rmap[i].swap_remove(at);
        }
        if freed {
            d.frame_freed(i);
        } else {
            self.local_unmapped(pid, i);
        }
    }

    /// Clears `pid`'s absent entry for `vpn`, if it has one, dropping its slot's user.
    /// Returns whether there was one.
    pub(crate) fn demand_drop(&mut self, table: PageTable, vpn: Vpn) -> bool {
        if self.demand.is_none() {
            return false;
        }
        match table.take_absent(&mut self.mem.arena, vpn) {
            Some(a) => {
                if let Some(d) = self.demand.as_deref_mut() {
                    d.drop_absent(a);
                }
                true
            }
            None => false,
        }
    }

    /// Whether `vpn` is absent in `table` (demand paging only): allocated, but not present.
    pub(crate) fn is_absent(&self, table: PageTable, vpn: Vpn) -> bool {
        self.demand.is_some() && table.absent(&self.mem.arena, vpn).is_some()
    }

    /// `pid` is about to release its address space: every frame it maps leaves the reverse
    /// map (and the policy, if no one else maps it), every slot it names loses a user.
    pub(crate) fn demand_release(&mut self, pid: Pid, table: PageTable) {
        if self.demand.is_none() {
            return;
        }
        let mapped: Vec<_> = table.mapped(&self.mem.arena).collect();
        for (vpn, e) in mapped {
            let freed = self.mem.map_counts.get(e.frame()) == 1;
            self.demand_unmapped(pid, vpn, e.frame(), freed);
        }
        let absent = table.absent_entries(&self.mem.arena);
        if let Some(d) = self.demand.as_deref_mut() {
            for (_, a) in absent {
                d.drop_absent(a);
            }
            if let Some(local) = &mut d.local {
                local.forget(pid);
            }
        }
    }

    /// Fork under demand paging: `child`'s table is a copy of `parent`'s. Its present entries
    /// join the reverse map; its swapped entries each add a user to their slot, and a swapped
    /// page whose own permission is writable becomes copy-on-write on both sides.
    pub(crate) fn demand_forked(&mut self, parent: PageTable, child: PageTable, child_pid: Pid) {
        if self.demand.is_none() {
            return;
        }
        let mapped: Vec<_> = child.mapped(&self.mem.arena).collect();
        for (vpn, e) in mapped {
            self.demand_mapped_in(child, child_pid, vpn, e.frame(), false);
        }
        for (vpn, mut a) in child.absent_entries(&self.mem.arena) {
            let AbsentKind::Swapped(slot) = a.kind else { continue };
            if let Some(d) = self.demand.as_deref_mut() {
                d.swap.add_users(slot, 1);
            }
            if a.flags.contains(PteFlags::ORIG_WRITE) {
                a.flags = (a.flags - PteFlags::WRITE) | PteFlags::COW;
                for t in [parent, child] {
                    let _ = t.set_absent(&mut self.mem.arena, &mut self.mem.kernel, vpn, a);
                }
            }
        }
    }

    /// A dirty bit of an entry mapping `frame` was cleared without the page being written
    /// (`clear_accessed_dirty`): the swap copy the frame holds, if any, is stale and is
    /// forgotten (its slot freed if no entry names it), so that the next eviction writes the
    /// page instead of counting it clean.
    pub(crate) fn demand_copy_stale(&mut self, frame: Pfn) {
        let Some(d) = self.demand.as_deref_mut() else { return };
        let Some(i) = d.frame_index(frame) else { return };
        if let Some(slot) = d.link[i].take() {
            d.swap.set_cached(slot, None);
        }
    }

    /// Whether a copy-on-write fault on `frame` must copy it: it is mapped more than once, or
    /// (demand paging) it caches a swap slot that entries still name.
    pub(crate) fn must_copy(&self, frame: Pfn) -> bool {
        if self.mem.map_counts.get(frame) > 1 {
            return true;
        }
        let Some(d) = self.demand.as_deref() else { return false };
        d.frame_index(frame).and_then(|i| d.link[i]).and_then(|slot| d.swap.users(slot)).is_some_and(|users| users > 0)
    }
}
