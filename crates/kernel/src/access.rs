//! Memory accesses through translation, and the copy-on-write fault handler.
//!
//! The fast paths (`read_mem` of a readable page, `write_mem` of a writable one) are one table
//! walk and one arena access. Everything else goes through the page-fault path: a write to a
//! write-protected page whose own permission is writable is copy-on-write, and the handler
//! either copies the page (the frame is shared) or makes it writable again in place (it is not);
//! any other failed access is a fault, which kills or is refused as the profile says.

use paging::{PageTable, Pte, PteFlags, VirtAddr, Vpn};
use phys::{FrameAllocator, Pfn, PhysAddr};

use crate::Kernel;
use crate::error::{AccessError, FaultReason, NoSuchProcess};
use crate::process::Pid;

/// The kind of a memory access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// A load.
    Read,
    /// A store.
    Write,
}

impl Kernel {
    /// The byte at `addr` in `pid`'s memory.
    ///
    /// # Errors
    /// [`AccessError::Fault`] if the page is not mapped or not readable, or `addr` is outside
    /// the address space: on `mtl458` the process is killed. [`AccessError::NoSuchProcess`].
    #[inline]
    pub fn read_mem(&mut self, pid: Pid, addr: VirtAddr) -> Result<u8, AccessError> {
        let phys = match self.tlb.lookup(pid, addr) {
            Some((_, phys)) => phys,
            // A general machine never fills the TLB, and the course machines' walk leaves it
            // out (`translate_course`): their TLB miss neither tests the format after a
            // single-level walk nor carries the general bookkeeping's calls and registers,
            // which cost it 7 instructions a read (callgrind, read_random/kernel).
            None => match self.procs.translate_course(&self.mem.arena, pid, addr) {
                Some(e) if e.flags().contains(PteFlags::READ) => {
                    self.tlb.fill(pid, addr, e);
                    PhysAddr::from_parts(e.frame(), addr.page_offset())
                }
                _ if self.procs.is_general() => {
                    let e = match self.readable(pid, addr) {
                        Some(e) => e,
                        None => self.absent_read(pid, addr)?,
                    };
                    self.record_if_new(pid, addr, e, false);
                    PhysAddr::from_parts(e.frame(), addr.page_offset())
                }
                _ => self.absent_read_phys(pid, addr)?,
            },
        };
        self.read_phys(pid, addr, phys)
    }

    /// The physical address of a read whose walk found no readable entry, after demand
    /// paging brought the page in (see [`Kernel::absent_read`]).
    #[cold]
    #[inline(never)]
    fn absent_read_phys(&mut self, pid: Pid, addr: VirtAddr) -> Result<PhysAddr, AccessError> {
        let e = self.absent_read(pid, addr)?;
        self.fill_or_record(pid, addr, e, false);
        Ok(PhysAddr::from_parts(e.frame(), addr.page_offset()))
    }

    /// The byte at `phys`, which `pid`'s `addr` translated to.
    #[inline(always)]
    fn read_phys(&mut self, pid: Pid, addr: VirtAddr, phys: PhysAddr) -> Result<u8, AccessError> {
        match self.mem.arena.read_byte(phys) {
            Ok(b) => Ok(b),
            Err(_) => Err(self.fault(pid, addr, FaultReason::OutOfRange).into()),
        }
    }

    /// Writes `byte` at `addr` in `pid`'s memory, taking a copy-on-write fault if needed.
    ///
    /// # Errors
    /// [`AccessError::Fault`] if the page is not mapped or not writable, or `addr` is outside
    /// the address space: on `mtl458` the process is killed. [`AccessError::OutOfMemory`] if a
    /// copy-on-write copy finds no free frame: nothing changes.
    #[inline]
    pub fn write_mem(&mut self, pid: Pid, addr: VirtAddr, byte: u8) -> Result<(), AccessError> {
        let phys = match self.tlb.lookup(pid, addr) {
            Some((e, phys)) if e.flags().contains(PteFlags::WRITE) => phys,
            _ => {
                let e = self.writable(pid, addr)?;
                self.fill_or_record(pid, addr, e, true);
                PhysAddr::from_parts(e.frame(), addr.page_offset())
            }
        };
        self.mem
            .arena
            .write_byte(phys, byte)
            .map_err(|_| AccessError::Fault(self.fault(pid, addr, FaultReason::OutOfRange)))
    }

    /// Translates `vpn` of `pid` for `access` as the MMU would, running the page-fault handler
    /// on a failed write, and returns the frame (`ajou`'s `read` and `write`: no byte moves).
    ///
    /// # Errors
    /// As [`Kernel::read_mem`] and [`Kernel::write_mem`].
    ///
    /// # Examples
    /// ```
    /// use kernel::{Access, Kernel, Perm, Pid, Profile, Vpn};
    ///
    /// let mut k = Kernel::new(Profile::AJOU)?;
    /// let p0 = Pid::new(0);
    /// k.map_page(p0, Vpn::new(2), Perm::READ)?;
    /// assert_eq!(k.touch(p0, Vpn::new(2), Access::Read)?.as_u32(), 0);
    /// // A write to a read-only page is refused; on this machine the process lives on.
    /// let refused = k.touch(p0, Vpn::new(2), Access::Write).unwrap_err();
    /// assert_eq!(refused.to_string(), "pid 0: write to a read-only page at 0x2000");
    /// assert!(k.process(p0).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn touch(&mut self, pid: Pid, vpn: Vpn, access: Access) -> Result<Pfn, AccessError> {
        let addr = vpn.start_address();
        match access {
            Access::Read => {
                let e = match self.readable(pid, addr) {
                    Some(e) => e,
                    None => self.absent_read(pid, addr)?,
                };
                if self.profile.format.is_general() {
                    self.record_if_new(pid, addr, e, false);
                }
                Ok(e.frame())
            }
            Access::Write => {
                let e = self.writable(pid, addr)?;
                if self.profile.format.is_general() {
                    self.record_if_new(pid, addr, e, true);
                }
                Ok(e.frame())
            }
        }
    }

    /// The entry for a read of `addr`, if it is allowed without a fault.
    /// After a walk that allowed the access: a course machine caches the readable entry in
    /// the TLB; a general machine instead records the access in the entry's accessed and dirty
    /// bits, every time (the TLB is bypassed so that no access escapes them).
    #[inline]
    fn fill_or_record(&mut self, pid: Pid, addr: VirtAddr, e: Pte, write: bool) {
        if self.profile.format.is_general() {
            self.record_if_new(pid, addr, e, write);
        } else if e.flags().contains(PteFlags::READ) {
            self.tlb.fill(pid, addr, e);
        }
    }

    /// [`Kernel::record_access`] unless the entry the walk found, `e`, has the bits already:
    /// as hardware writes an entry only to set a clear accessed or dirty bit, so the common
    /// access to a page used before costs one walk, not two. (A layout without the bits never
    /// shows them, and `record_access` then writes nothing.) Under demand paging the policy
    /// then hears of the reference, with the frame of `e` (setting bits moves no frame, so no
    /// walk is needed to find it).
    #[inline]
    fn record_if_new(&mut self, pid: Pid, addr: VirtAddr, e: Pte, write: bool) {
        let needed = if write { PteFlags::ACCESSED | PteFlags::DIRTY } else { PteFlags::ACCESSED };
        if !e.flags().contains(needed) {
            self.record_access(pid, addr, write);
        }
        if self.demand.is_some() {
            if let Some(vpn) = Vpn::containing(addr) {
                self.demand_reference(pid, vpn, e.frame(), write);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn record_access(&mut self, pid: Pid, addr: VirtAddr, write: bool) {
        if let (Some(table), Some(vpn)) = (self.procs.table(pid), Vpn::containing(addr)) {
            table.record_access(&mut self.mem.arena, vpn, write);
        }
    }

    /// A read found no readable entry: demand paging brings an absent page in (and it must be
    /// readable then); anything else is a read fault.
    #[cold]
    fn absent_read(&mut self, pid: Pid, addr: VirtAddr) -> Result<Pte, AccessError> {
        match self.demand_fault(pid, addr, Access::Read)? {
            Some(e) if e.flags().contains(PteFlags::READ) => Ok(e),
            _ => Err(self.read_fault(pid, addr)),
        }
    }

    /// Clears the accessed and dirty bits of `pid`'s page `vpn` (a general machine's; the
    /// course machines' entries have none) and returns the entry as it was, bits included:
    /// how a replacement policy reads and resets them.
    ///
    /// # Errors
    /// [`AccessError::NoSuchProcess`]; [`AccessError::Fault`] (nothing killed) if `vpn` is not
    /// mapped.
    pub fn clear_accessed_dirty(&mut self, pid: Pid, vpn: Vpn) -> Result<Pte, AccessError> {
        let table = self.lookup(pid)?.table;
        let flags = PteFlags::ACCESSED | PteFlags::DIRTY;
        let old = table.clear_flags(&mut self.mem.arena, vpn, flags).map_err(|_| {
            AccessError::Fault(crate::Fault {
                pid,
                addr: vpn.start_address(),
                reason: FaultReason::ReadUnmapped,
                killed: false,
            })
        })?;
        if old.flags().contains(PteFlags::DIRTY) {
            // The dirty bit was all that said a swap copy of the page is stale.
            self.demand_copy_stale(old.frame());
        }
        Ok(old)
    }

    #[inline]
    fn readable(&self, pid: Pid, addr: VirtAddr) -> Option<Pte> {
        let e = self.procs.translate(&self.mem.arena, pid, addr)?;
        e.flags().contains(PteFlags::READ).then_some(e)
    }

    #[cold]
    fn read_fault(&mut self, pid: Pid, addr: VirtAddr) -> AccessError {
        let reason = match self.classify(pid, addr) {
            Err(Classify::NoSuchProcess(e)) => return e.into(),
            Err(Classify::OutOfRange) => FaultReason::OutOfRange,
            Ok(None) => FaultReason::ReadUnmapped,
            Ok(Some(_)) => FaultReason::NotReadable,
        };
        self.fault(pid, addr, reason).into()
    }

    /// The entry for a write of `addr`, after any copy-on-write fault was handled.
    #[inline]
    fn writable(&mut self, pid: Pid, addr: VirtAddr) -> Result<Pte, AccessError> {
        let entry = self.classify(pid, addr);
        match entry {
            Ok(Some(e)) if e.flags().contains(PteFlags::WRITE) => Ok(e),
            Ok(Some(e)) if e.flags().contains(PteFlags::ORIG_WRITE) => self.copy_on_write(pid, addr, e),
            Ok(Some(_)) => Err(self.fault(pid, addr, FaultReason::NotWritable).into()),
            Ok(None) => match self.demand_fault(pid, addr, Access::Write)? {
                Some(e) if e.flags().contains(PteFlags::WRITE) => Ok(e),
                _ => Err(self.fault(pid, addr, FaultReason::WriteUnmapped).into()),
            },
            Err(Classify::NoSuchProcess(e)) => Err(e.into()),
            Err(Classify::OutOfRange) => Err(self.fault(pid, addr, FaultReason::OutOfRange).into()),
        }
    }

    /// The present entry for `addr` (or `None`), or why there cannot be one.
    #[inline]
    fn classify(&self, pid: Pid, addr: VirtAddr) -> Result<Option<Pte>, Classify> {
        // A present entry (the copy-on-write fault's case) comes from the machine's walker
        // directly: building a `PageTable` copies its format, whose general part made the
        // course machines' copy-on-write fault 13% slower (store-forwarding stalls, perf).
        if let Some(e) = self.procs.translate(&self.mem.arena, pid, addr) {
            return Ok(Some(e));
        }
        let table = self.procs.table(pid).ok_or(Classify::NoSuchProcess(NoSuchProcess { pid }))?;
        match Vpn::containing(addr).filter(|&v| table.format().contains(v)) {
            Some(vpn) => Ok(table.translate(&self.mem.arena, vpn)),
            None => Err(Classify::OutOfRange),
        }
    }

    /// The copy-on-write fault handler, for a write to a present, write-protected entry whose
    /// own permission is writable.
    ///
    /// If other entries map the frame (map count > 1) the page is copied into the lowest free
    /// user frame, which this entry then maps writable, and the old frame loses one mapping. If
    /// this is the only mapping, writing is re-enabled in place: the other sharers are gone.
    fn copy_on_write(&mut self, pid: Pid, addr: VirtAddr, e: Pte) -> Result<Pte, AccessError> {
        let Some(p) = self.procs.get(pid) else { return Err(NoSuchProcess { pid }.into()) };
        let table: PageTable = p.table;
        let Some(vpn) = Vpn::containing(addr) else {
            return Err(self.fault(pid, addr, FaultReason::OutOfRange).into());
        };
        let old = e.frame();
        let flags = (e.flags() | PteFlags::WRITE) - PteFlags::COW;
        let copied = self.must_copy(old);
        if copied && self.needs_room(pid) {
            // Room first; the eviction may take this very page, whose write then faults it in.
            let r = self.reference(pid, vpn, true);
            self.make_room(pid, r)?;
            return self.writable(pid, addr);
        }
        let frame = if copied {
            let new = self.mem.user.allocate_frame().map_err(|_| AccessError::OutOfMemory { pid, addr })?;
            let done = self
                .mem
                .arena
                .copy_frame(old, new)
                .ok()
                .and_then(|()| table.remap(&mut self.mem.arena, vpn, new, flags).ok());
            if done.is_none() {
                let _ = self.mem.user.deallocate_frame(new);
                return Err(AccessError::OutOfMemory { pid, addr });
            }
            // Under demand paging a frame mapped once is copied when its swap slot still has
            // users; it is then free.
            let freed = self.mem.map_counts.decrement(old) == Ok(0);
            if freed {
                let _ = self.mem.user.deallocate_frame(old);
            }
            let _ = self.mem.map_counts.increment(new);
            self.demand_copied(pid, vpn, old, new, freed);
            new
        } else {
            let _ = table.protect(&mut self.mem.arena, vpn, flags);
            old
        };
        self.tlb.invalidate(pid, addr);
        self.counters.cow_faults += 1;
        if copied {
            self.counters.cow_copies += 1;
        }
        if let Some(p) = self.procs.get_mut(pid) {
            p.cow_faults += 1;
            p.cow_copies += u64::from(copied);
        }
        Pte::new(frame, flags | PteFlags::PRESENT).map_err(|_| AccessError::OutOfMemory { pid, addr })
    }
}

/// Why no entry could be looked up for an address.
enum Classify {
    NoSuchProcess(NoSuchProcess),
    OutOfRange,
}
