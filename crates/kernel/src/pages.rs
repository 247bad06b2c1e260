//! Page allocation and deallocation: one page at a VPN (`ajou`'s `alloc` / `free`) and page
//! ranges at an address (`mtl458`'s `allocate_pages` / `deallocate_pages`).

use paging::{MapError, PageTable, VirtAddr, Vpn};
use phys::{FrameAllocator, PAGE_SIZE, Pfn, PhysMemory, PoolKind};

use crate::error::{AllocateError, FaultReason, MapPageError, UnmapPageError};
use crate::process::Pid;
use crate::{Kernel, Perm};

/// Maps `vpn` in `table` to the lowest free user frame, zeroed, with `perm`; its map count
/// becomes 1. On error nothing changed.
pub(crate) fn map_fresh(mem: &mut PhysMemory, table: PageTable, vpn: Vpn, perm: Perm) -> Result<Pfn, MapPageError> {
    let frame = mem.user.allocate_frame().map_err(|_| MapPageError::OutOfMemory { pool: PoolKind::User })?;
    let zeroed = mem.arena.zero_frame(frame);
    debug_assert!(zeroed.is_ok(), "a user frame outside the arena");
    if let Err(e) = table.map(&mut mem.arena, &mut mem.kernel, vpn, frame, perm.pte_flags()) {
        let _ = mem.user.deallocate_frame(frame);
        return Err(match e {
            MapError::AlreadyMapped { vpn, frame } => MapPageError::AlreadyMapped { vpn, frame },
            MapError::VpnOutOfRange { vpn, vpn_count } => MapPageError::VpnOutOfRange { vpn, vpn_count },
            MapError::TableFrame(_)
            | MapError::FrameTooLarge(_)
            | MapError::Memory(_)
            | MapError::General(_)
            | MapError::NotGeneral => MapPageError::OutOfMemory { pool: PoolKind::Kernel },
        });
    }
    let counted = mem.map_counts.increment(frame);
    debug_assert_eq!(counted, Ok(1), "a free frame was still mapped");
    Ok(frame)
}

/// Unmaps `vpn` from `table`, dropping its frame's map count and freeing the frame when no
/// mapping is left. Returns the frame.
pub(crate) fn unmap_one(mem: &mut PhysMemory, table: PageTable, vpn: Vpn) -> Result<Pfn, UnmapPageError> {
    let old = table.unmap(&mut mem.arena, vpn).map_err(|_| UnmapPageError::NotMapped { vpn })?;
    let frame = old.frame();
    if let Ok(0) = mem.map_counts.decrement(frame) {
        let _ = mem.user.deallocate_frame(frame);
    }
    Ok(frame)
}

impl Kernel {
    /// Maps one new zero-filled page at `vpn` in `pid`, in the lowest free user frame, and
    /// returns the frame (`ajou`'s `alloc`).
    ///
    /// # Errors
    /// [`MapPageError::AlreadyMapped`] if `vpn` translates already (checked first),
    /// [`MapPageError::OutOfMemory`] if no frame is free, and the others as named. On error
    /// nothing changed.
    ///
    /// # Examples
    /// ```
    /// use kernel::{Kernel, Perm, Pid, Profile, Vpn};
    ///
    /// let mut k = Kernel::new(Profile::AJOU)?;
    /// let p0 = Pid::new(0);
    /// assert_eq!(k.map_page(p0, Vpn::new(3), Perm::READ)?.as_u32(), 0); // the lowest free frame
    /// let again = k.map_page(p0, Vpn::new(3), Perm::READ).unwrap_err();
    /// assert_eq!(again.to_string(), "3 is already allocated to 0");
    /// assert_eq!(k.unmap_page(p0, Vpn::new(3))?.as_u32(), 0);
    /// assert_eq!(k.stats().user_frames_free, 128);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn map_page(&mut self, pid: Pid, vpn: Vpn, perm: Perm) -> Result<Pfn, MapPageError> {
        let table = self.lookup(pid)?.table;
        let format = table.format();
        if !format.contains(vpn) {
            return Err(MapPageError::VpnOutOfRange { vpn, vpn_count: format.vpn_count() });
        }
        if let Some(e) = table.translate(&self.mem.arena, vpn) {
            return Err(MapPageError::AlreadyMapped { vpn, frame: e.frame() });
        }
        if self.is_absent(table, vpn) {
            return Err(MapPageError::Absent { vpn });
        }
        // A general format may need several tables for one page: counted first, so that a
        // shortage half way down leaves no empty tables behind (an error changes nothing).
        if format.is_general()
            && (self.mem.user.free_count() > 0 || self.demand.is_some())
            && table.tables_needed(&self.mem.arena, std::iter::once(vpn)) > self.mem.kernel.free_count()
        {
            return Err(MapPageError::OutOfMemory { pool: PoolKind::Kernel });
        }
        if self.demand.is_some() {
            self.room_for(1)?;
            let r = self.reference(pid, vpn, false);
            self.make_room(pid, r)?;
        }
        let frame = map_fresh(&mut self.mem, table, vpn, perm)?;
        self.demand_mapped(pid, vpn, frame, true);
        self.adjust_pages(pid, 1);
        Ok(frame)
    }

    /// Unmaps `vpn` in `pid` and returns the frame it mapped; the frame is freed if no other
    /// process maps it (`ajou`'s `free`).
    ///
    /// # Errors
    /// [`UnmapPageError::NotMapped`] if `vpn` maps nothing; [`UnmapPageError::Absent`] if it is
    /// allocated but not present (demand paging: it has no frame to unmap).
    pub fn unmap_page(&mut self, pid: Pid, vpn: Vpn) -> Result<Pfn, UnmapPageError> {
        let table = self.lookup(pid)?.table;
        if self.is_absent(table, vpn) {
            return Err(UnmapPageError::Absent { vpn });
        }
        let frame = unmap_one(&mut self.mem, table, vpn)?;
        self.demand_unmapped(pid, vpn, frame, !self.mem.user.is_allocated(frame));
        self.tlb.invalidate(pid, vpn.start_address());
        self.adjust_pages(pid, -1);
        Ok(frame)
    }

    /// Maps `count` new zero-filled pages from the page-aligned `addr` in `pid`, with `perm`,
    /// in the lowest free user frames in increasing page order.
    ///
    /// # Errors
    /// - [`AllocateError::Fault`], and `pid` is killed (on `mtl458`), if the range leaves the
    ///   address space or any page of it is already allocated;
    /// - [`AllocateError::OutOfMemory`] if too few frames are free: nothing mapped, no kill;
    /// - [`AllocateError::Misaligned`], [`AllocateError::NoSuchProcess`]: nothing changed.
    ///
    /// # Examples
    /// ```
    /// use kernel::{Kernel, Perm, Profile, SegmentSizes, VirtAddr};
    ///
    /// let mut k = Kernel::new(Profile::MTL458)?;
    /// let p = k.create_ps(SegmentSizes { code: 4096, stack: 4096, ..Default::default() }, &[])?;
    /// k.allocate_pages(p, VirtAddr::new(0x10_0000), 2, Perm::READ | Perm::WRITE)?;
    /// k.write_mem(p, VirtAddr::new(0x10_1fff), 9)?;
    /// k.deallocate_pages(p, VirtAddr::new(0x10_0000), 2)?;
    /// // The pages are gone: deallocating them again kills the process.
    /// let killed = k.deallocate_pages(p, VirtAddr::new(0x10_0000), 2).unwrap_err();
    /// assert_eq!(killed.to_string(), "segmentation fault: pid 0 killed: page not allocated at 0x100000");
    /// assert!(k.process(p).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allocate_pages(&mut self, pid: Pid, addr: VirtAddr, count: u32, perm: Perm) -> Result<(), AllocateError> {
        let vpns = self.checked_range(pid, addr, count)?;
        let table = self.lookup(pid)?.table;
        let allocated = |k: &Self, v| table.translate(&k.mem.arena, v).is_some() || k.is_absent(table, v);
        if let Some(v) = vpns.clone().find(|&v| allocated(self, v)) {
            return Err(self.fault(pid, v.start_address(), FaultReason::AlreadyAllocated).into());
        }
        // A single-level table is all leaf; others may lack tables for the range.
        let new_leaves = table.tables_needed(&self.mem.arena, vpns.clone());
        let lazy = self.demand_config().map(|c| c.lazy);
        // Demand paging makes room by evicting instead of needing free frames.
        let user = if lazy.is_some() { 0 } else { count };
        for (pool, needed) in [(PoolKind::Kernel, new_leaves), (PoolKind::User, user)] {
            let free = self.mem.pool(pool).free_count();
            if free < needed {
                return Err(AllocateError::OutOfMemory { pool, needed, free });
            }
        }
        match lazy {
            None => {
                for v in vpns {
                    let mapped = map_fresh(&mut self.mem, table, v, perm);
                    debug_assert!(mapped.is_ok(), "frames were counted before mapping");
                }
            }
            Some(true) => {
                for v in vpns {
                    let absent = paging::Absent { kind: paging::AbsentKind::Lazy, flags: perm.pte_flags() };
                    let made = table.set_absent(&mut self.mem.arena, &mut self.mem.kernel, v, absent);
                    debug_assert!(made.is_ok(), "table frames were counted before mapping");
                }
            }
            Some(false) => {
                self.room_for(count)?;
                for v in vpns {
                    let r = self.reference(pid, v, false);
                    self.make_room(pid, r)?;
                    let mapped = map_fresh(&mut self.mem, table, v, perm);
                    debug_assert!(mapped.is_ok(), "frames were counted before mapping");
                    if let Ok(frame) = mapped {
                        self.demand_mapped(pid, v, frame, true);
                    }
                }
            }
        }
        self.adjust_pages(pid, i64::from(count));
        Ok(())
    }

    /// Unmaps `count` pages from the page-aligned `addr` in `pid`, freeing each frame that no
    /// other process maps.
    ///
    /// # Errors
    /// - [`AllocateError::Fault`], and `pid` is killed (on `mtl458`), if the range leaves the
    ///   address space or any page of it is not allocated;
    /// - [`AllocateError::Misaligned`], [`AllocateError::NoSuchProcess`]: nothing changed.
    pub fn deallocate_pages(&mut self, pid: Pid, addr: VirtAddr, count: u32) -> Result<(), AllocateError> {
        let vpns = self.checked_range(pid, addr, count)?;
        let table = self.lookup(pid)?.table;
        let allocated = |k: &Self, v| table.translate(&k.mem.arena, v).is_some() || k.is_absent(table, v);
        if let Some(v) = vpns.clone().find(|&v| !allocated(self, v)) {
            return Err(self.fault(pid, v.start_address(), FaultReason::NotAllocated).into());
        }
        for v in vpns {
            if self.demand_drop(table, v) {
                continue;
            }
            let unmapped = unmap_one(&mut self.mem, table, v);
            debug_assert!(unmapped.is_ok(), "every page was checked to be mapped");
            if let Ok(frame) = unmapped {
                self.demand_unmapped(pid, v, frame, !self.mem.user.is_allocated(frame));
            }
            self.tlb.invalidate(pid, v.start_address());
        }
        self.adjust_pages(pid, -i64::from(count));
        Ok(())
    }

    /// The VPNs of a range operation, after the checks every range operation shares.
    fn checked_range(
        &mut self,
        pid: Pid,
        addr: VirtAddr,
        count: u32,
    ) -> Result<impl Iterator<Item = Vpn> + Clone + use<>, AllocateError> {
        self.lookup(pid)?;
        if !addr.is_page_aligned() {
            return Err(AllocateError::Misaligned { addr });
        }
        let space = self.profile.address_space_size();
        let end = addr.as_u64().saturating_add(u64::from(count) * PAGE_SIZE as u64);
        if count > 0 && end > space {
            let first_bad = VirtAddr::new(addr.as_u64().max(space));
            return Err(self.fault(pid, first_bad, FaultReason::OutOfRange).into());
        }
        let first = addr.as_u64() / PAGE_SIZE as u64;
        let count = if end > space { 0 } else { count };
        Ok((first..first.saturating_add(u64::from(count))).map(Vpn::from_u64))
    }

    pub(crate) fn adjust_pages(&mut self, pid: Pid, delta: i64) {
        if let Some(p) = self.procs.get_mut(pid) {
            p.pages = (i64::from(p.pages) + delta).clamp(0, i64::from(u32::MAX)) as u32;
        }
        if delta > 0 {
            self.counters.pages_allocated += delta as u64;
        } else {
            self.counters.pages_freed += delta.unsigned_abs();
        }
    }
}
