//! Making room under demand paging: when every frame allowed holds a page, the policy picks a
//! victim and the page goes out to swap (the rules are in `demand.rs` and
//! `docs/demand-paging.md`, "Making room").

use paging::{Absent, AbsentKind, PteFlags};
use phys::{FrameAllocator, Pfn};
use policy::{Frame, Ref};

use crate::Kernel;
use crate::demand::Mapper;
use crate::error::SwapFull;
use crate::mmu_bits::{MmuBits, with_policy};
use crate::process::Pid;

impl Kernel {
    /// Whether demand paging is on and every frame it may use holds a page.
    pub(crate) fn demand_full(&self) -> bool {
        self.demand.as_ref().is_some_and(|d| self.mem.user.len() - self.mem.user.free_count() >= d.config.frames)
    }

    /// Whether `pid` must evict a page before it takes a frame: memory is full, or (local
    /// replacement) `pid` holds its share.
    pub(crate) fn needs_room(&self, pid: Pid) -> bool {
        if self.is_local() { self.local_donor(pid).is_some() } else { self.demand_full() }
    }

    /// Evictions until one frame is free for `pid`'s reference `r` (local replacement: until
    /// `pid` may take one).
    pub(crate) fn make_room(&mut self, pid: Pid, r: Ref) -> Result<(), SwapFull> {
        if self.is_local() {
            if self.needs_room(pid) {
                self.evict_one(pid, r)?;
            }
            return Ok(());
        }
        while self.demand_full() {
            self.evict_one(pid, r)?;
        }
        Ok(())
    }

    /// Frees evictions' worth of frames so that `count` pages can be mapped one after the
    /// other, or says the swap cannot take them: each eviction may need a fresh slot.
    pub(crate) fn room_for(&self, count: u32) -> Result<(), SwapFull> {
        let Some(d) = self.demand.as_deref() else { return Ok(()) };
        let resident = self.mem.user.len() - self.mem.user.free_count();
        // Under local replacement each page may evict one, free frames or not.
        let evictions = match d.local {
            Some(_) => count,
            None => count.saturating_sub(d.config.frames.saturating_sub(resident)),
        };
        if evictions > d.swap.free() {
            return Err(SwapFull { slots: d.config.swap_slots, free: d.swap.free(), needed: evictions });
        }
        Ok(())
    }

    /// Evicts the policy's victim for `cause`'s reference `r` (see the module rules).
    pub(crate) fn evict_one(&mut self, cause: Pid, r: Ref) -> Result<(), SwapFull> {
        let Some(d) = self.demand.as_deref() else { return Ok(()) };
        if d.swap.free() == 0 {
            return Err(SwapFull { slots: d.config.swap_slots, free: 0, needed: 1 });
        }
        let victim = if self.is_local() {
            // The process that gives a frame up, and its own policy's choice.
            let Some(donor) = self.local_donor(cause) else { return Ok(()) };
            let Some(i) = self.local_victim(donor, r.page, r.write) else { return Ok(()) };
            Frame(i)
        } else {
            let Some(victim) = with_policy!(self, |p, bits| p.victim(r, &mut bits)) else { return Ok(()) };
            victim
        };
        let Some(d) = self.demand.as_deref() else { return Ok(()) };
        // A policy must name an occupied frame; should one not, the lowest occupied frame
        // keeps the machine going rather than panicking.
        let i = if d.rmap.get(victim.0).is_some_and(|e| !e.is_empty()) {
            victim.0
        } else {
            match d.rmap.iter().position(|e| !e.is_empty()) {
                Some(i) => i,
                None => return Ok(()),
            }
        };
        // Every entry's flags, read once at its address: they give the page's M bit (any
        // entry dirty) and become the absent entries' flags.
        let format = self.profile.format;
        let flags: Vec<PteFlags> = d.rmap[i]
            .iter()
            .map(|m| m.entry.and_then(|at| format.flags_at(&self.mem.arena, at)).unwrap_or(PteFlags::empty()))
            .collect();
        let dirty = flags.iter().any(|f| f.contains(PteFlags::DIRTY));
        let Some(d) = self.demand.as_deref_mut() else { return Ok(()) };
        let frame = Pfn::new(d.base + i as u32);
        let (slot, write) = match d.link[i] {
            Some(slot) => (slot, dirty),
            None => match d.swap.take() {
                Some(slot) => (slot, true),
                None => return Err(SwapFull { slots: d.config.swap_slots, free: 0, needed: 1 }),
            },
        };
        if write {
            if let Ok(bytes) = self.mem.arena.frame(frame) {
                d.swap.write(slot, bytes);
            }
        }
        match &mut d.local {
            Some(local) => local.uncharge(i, true),
            None => d.policy.evict(Frame(i)),
        }
        d.link[i] = None;
        let entries = std::mem::take(&mut d.rmap[i]);
        d.swap.add_users(slot, entries.len() as u32);
        d.swap.set_cached(slot, None);
        for (&Mapper { pid, vpn, .. }, &flags) in entries.iter().zip(&flags) {
            if let Some(table) = self.procs.table(pid) {
                let absent = Absent { kind: AbsentKind::Swapped(slot), flags };
                let swapped = table.set_absent(&mut self.mem.arena, &mut self.mem.kernel, vpn, absent);
                debug_assert!(swapped.is_ok(), "an entry in the reverse map is mapped");
            }
            let _ = self.mem.map_counts.decrement(frame);
            self.tlb.invalidate(pid, vpn.start_address());
        }
        let _ = self.mem.user.deallocate_frame(frame);
        let count = |s: &mut crate::PagingStats| {
            if write {
                s.dirty_evictions += 1;
                s.disk_writes += 1;
            } else {
                s.clean_evictions += 1;
            }
        };
        count(&mut d.stats);
        if let Some(p) = self.procs.get_mut(cause) {
            count(&mut p.paging);
        }
        Ok(())
    }
}
