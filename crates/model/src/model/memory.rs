//! Memory: page ranges (`allocate_pages`, `deallocate_pages`), byte accesses and the
//! copy-on-write fault.

use kernel::{AccessError, AllocateError, FaultReason, NoSuchProcess, Perm, Pid, PoolKind, VirtAddr};

use super::demand::Reached;
use super::{AbsentPage, Model, PAGE, PageModel};

/// What an address of a live process reaches.
pub(super) enum Reach {
    /// A present page.
    Present(PageModel),
    /// An allocated page without a frame (demand paging).
    Absent,
    /// Nothing allocated.
    Unallocated,
}

impl Model {
    /// The VPNs of a range operation, after the checks both range operations share.
    pub(super) fn range(
        &mut self,
        pid: Pid,
        addr: VirtAddr,
        count: u32,
    ) -> Result<std::ops::Range<u64>, AllocateError> {
        if !self.procs.contains_key(&pid.as_u32()) {
            return Err(NoSuchProcess { pid }.into());
        }
        let a = addr.as_u64();
        if a % PAGE != 0 {
            return Err(AllocateError::Misaligned { addr });
        }
        let space = self.space();
        if count == 0 {
            return Ok(0..0);
        }
        let end = a.saturating_add(u64::from(count) * PAGE);
        if end > space {
            return Err(self.fault(pid.as_u32(), a.max(space), FaultReason::OutOfRange).into());
        }
        Ok(a / PAGE..end / PAGE)
    }

    /// `allocate_pages`.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn allocate_pages(&mut self, pid: Pid, addr: VirtAddr, count: u32, perm: Perm) -> Result<(), AllocateError> {
        let vpns = self.range(pid, addr, count)?;
        let id = pid.as_u32();
        let p = &self.procs[&id];
        if let Some(v) = vpns.clone().find(|&v| p.pages.contains_key(&(v as u32)) || p.absent.contains_key(&(v as u32)))
        {
            return Err(self.fault(id, v * PAGE, FaultReason::AlreadyAllocated).into());
        }
        let new_tables = self.new_tables(p, vpns.clone().map(|v| v as u32)).len() as u32;
        let kernel_free = self.kernel_free.len() as u32;
        if kernel_free < new_tables {
            let needed = new_tables;
            return Err(AllocateError::OutOfMemory { pool: PoolKind::Kernel, needed, free: kernel_free });
        }
        // Demand paging makes room by evicting instead of needing free frames.
        let lazy = self.demand_config().map(|c| c.lazy);
        let free = self.user_free.len() as u32;
        if lazy.is_none() && free < count {
            return Err(AllocateError::OutOfMemory { pool: PoolKind::User, needed: count, free });
        }
        if lazy == Some(false) {
            self.room_for(count)?;
        }
        let perm = self.effective(perm);
        for v in vpns {
            let v = v as u32;
            match lazy {
                Some(true) => {
                    if let Some(p) = self.procs.get_mut(&id) {
                        p.absent.insert(v, AbsentPage { slot: None, perm, cow: false });
                    }
                }
                _ => {
                    // The process's own earlier pages may be evicted to make room.
                    let r = self.reference(id, v);
                    self.make_room(id, r)?;
                    let frame = self.take_frame().unwrap_or_default();
                    if let Some(p) = self.procs.get_mut(&id) {
                        p.pages.insert(v, PageModel::new(frame, perm));
                    }
                    self.demand_allocated(id, v, frame);
                }
            }
            let mut p = self.procs.remove(&id).unwrap_or_default();
            self.add_tables(&mut p, v);
            self.procs.insert(id, p);
            self.touched_pages.push((id, v));
        }
        self.counters.pages_allocated += u64::from(count);
        Ok(())
    }

    /// `deallocate_pages`.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn deallocate_pages(&mut self, pid: Pid, addr: VirtAddr, count: u32) -> Result<(), AllocateError> {
        let vpns = self.range(pid, addr, count)?;
        let id = pid.as_u32();
        let p = &self.procs[&id];
        if let Some(v) =
            vpns.clone().find(|&v| !p.pages.contains_key(&(v as u32)) && !p.absent.contains_key(&(v as u32)))
        {
            return Err(self.fault(id, v * PAGE, FaultReason::NotAllocated).into());
        }
        for v in vpns {
            if let Some(page) = self.procs.get_mut(&id).and_then(|p| p.pages.remove(&(v as u32))) {
                self.unref_by(id, page.frame);
            }
            if let Some(a) = self.procs.get_mut(&id).and_then(|p| p.absent.remove(&(v as u32))) {
                self.drop_absent(a);
            }
            self.touched_pages.push((id, v as u32));
        }
        self.counters.pages_freed += u64::from(count);
        Ok(())
    }

    /// The page an access of `addr` by `pid` reaches, or why none does.
    pub(super) fn locate(&self, pid: Pid, addr: u64) -> Result<Reach, Option<NoSuchProcess>> {
        let p = self.procs.get(&pid.as_u32()).ok_or(Some(NoSuchProcess { pid }))?;
        let vpn = addr / PAGE;
        if vpn >= u64::from(self.vpn_count()) {
            return Err(None);
        }
        let vpn = vpn as u32;
        Ok(match (p.pages.get(&vpn), p.absent.contains_key(&vpn)) {
            (Some(page), _) => Reach::Present(*page),
            (None, true) => Reach::Absent,
            (None, false) => Reach::Unallocated,
        })
    }

    /// The frame a read of `addr` reads, and how it was reached, or the fault.
    pub(super) fn read_frame(&mut self, pid: Pid, addr: u64) -> Result<(u32, Reached), AccessError> {
        let reason = match self.locate(pid, addr) {
            Err(Some(e)) => return Err(e.into()),
            Err(None) => FaultReason::OutOfRange,
            Ok(Reach::Unallocated) => FaultReason::ReadUnmapped,
            Ok(Reach::Absent) => return self.demand_fault(pid.as_u32(), addr, false),
            Ok(Reach::Present(page)) if page.perm.contains(Perm::READ) => return Ok((page.frame, Reached::Hit)),
            Ok(Reach::Present(_)) => FaultReason::NotReadable,
        };
        Err(self.fault(pid.as_u32(), addr, reason).into())
    }

    /// The frame a write of `addr` writes, after copy-on-write, and how it was reached, or the
    /// fault.
    pub(super) fn write_frame(&mut self, pid: Pid, addr: u64) -> Result<(u32, Reached), AccessError> {
        let reason = match self.locate(pid, addr) {
            Err(Some(e)) => return Err(e.into()),
            Err(None) => FaultReason::OutOfRange,
            Ok(Reach::Unallocated) => FaultReason::WriteUnmapped,
            Ok(Reach::Absent) => return self.demand_fault(pid.as_u32(), addr, true),
            Ok(Reach::Present(page)) if page.perm.contains(Perm::WRITE) && !page.cow => {
                return Ok((page.frame, Reached::Hit));
            }
            Ok(Reach::Present(page)) if page.perm.contains(Perm::WRITE) => return self.copy_on_write(pid, addr, page),
            Ok(Reach::Present(_)) => FaultReason::NotWritable,
        };
        Err(self.fault(pid.as_u32(), addr, reason).into())
    }

    /// A write to a page write-protected by sharing: copy it into the lowest free frame if
    /// someone else still maps the frame (or, under demand paging, entries still name the swap
    /// slot it caches), else make it writable again in place.
    pub(super) fn copy_on_write(
        &mut self,
        pid: Pid,
        addr: u64,
        page: PageModel,
    ) -> Result<(u32, Reached), AccessError> {
        let id = pid.as_u32();
        let vpn = (addr / PAGE) as u32;
        let shared = self.must_copy(page.frame);
        if shared && self.needs_room(id) {
            // Room first; the eviction may take this very page, whose write then faults it in.
            let r = self.reference(id, vpn);
            self.make_room(id, r)?;
            return self.write_frame(pid, addr);
        }
        let frame = if shared {
            let Some(new) = self.take_frame() else {
                return Err(AccessError::OutOfMemory { pid, addr: VirtAddr::new(addr) });
            };
            let bytes = self.frames.get(&page.frame).and_then(|f| f.bytes.clone());
            if let Some(f) = self.frames.get_mut(&new) {
                f.bytes = bytes;
            }
            new
        } else {
            page.frame
        };
        if let Some(p) = self.procs.get_mut(&id) {
            p.pages.insert(vpn, PageModel { frame, cow: false, ..page });
            p.cow_faults += 1;
            p.cow_copies += u64::from(shared);
        }
        if shared {
            // The old frame loses this mapping once the entry points at the copy.
            self.unref_by(id, page.frame);
        }
        self.counters.cow_faults += 1;
        self.counters.cow_copies += u64::from(shared);
        self.touched_pages.push((id, vpn));
        Ok((frame, if shared { Reached::Copied } else { Reached::Hit }))
    }

    /// `read_mem`.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn read_mem(&mut self, pid: Pid, addr: VirtAddr) -> Result<u8, AccessError> {
        let a = addr.as_u64();
        let (frame, reached) = self.read_frame(pid, a)?;
        self.record(pid.as_u32(), (a / PAGE) as u32, false);
        self.demand_reference(pid.as_u32(), (a / PAGE) as u32, frame, reached);
        self.touched_pages.push((pid.as_u32(), (a / PAGE) as u32));
        Ok(self.frame_bytes(frame).map_or(0, |b| b[(a % PAGE) as usize]))
    }

    /// `write_mem`.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn write_mem(&mut self, pid: Pid, addr: VirtAddr, byte: u8) -> Result<(), AccessError> {
        let a = addr.as_u64();
        let (frame, reached) = self.write_frame(pid, a)?;
        self.record(pid.as_u32(), (a / PAGE) as u32, true);
        self.demand_reference(pid.as_u32(), (a / PAGE) as u32, frame, reached);
        if let Some(f) = self.frames.get_mut(&frame) {
            f.bytes_mut()[(a % PAGE) as usize] = byte;
        }
        self.touched_pages.push((pid.as_u32(), (a / PAGE) as u32));
        Ok(())
    }
}
