//! Fork: a child with the parent's memory, by copy-on-write sharing or by eager copying.

use paging::{PageTable, Pte, PteFlags};
use phys::{FrameAllocator, PoolKind};

use crate::error::{ForkError, NoSuchProcess};
use crate::machine::release_address_space;
use crate::process::{Pid, Process};
use crate::{ForkPolicy, Kernel};

impl Kernel {
    /// Forks `parent` with the fork policy in force; the child gets the lowest free pid, which
    /// is returned.
    ///
    /// # Errors
    /// [`ForkError`] for an unknown parent, a full process table or too few frames; then
    /// nothing was allocated.
    ///
    /// # Examples
    /// Under copy-on-write the child shares the parent's frames until one of them writes:
    /// ```
    /// use kernel::{ForkPolicy, Kernel, Profile, SegmentSizes, VirtAddr};
    ///
    /// let mut k = Kernel::new(Profile::MTL458)?;
    /// let parent = k.create_ps(SegmentSizes { rw_data: 4096, ..Default::default() }, &[])?;
    /// k.write_mem(parent, VirtAddr::new(0), 1)?;
    /// k.set_fork_policy(ForkPolicy::CopyOnWrite);
    /// let child = k.fork_ps(parent)?;
    /// assert_eq!(k.stats().frames_shared, 1);
    /// k.write_mem(child, VirtAddr::new(0), 2)?; // the copy-on-write fault copies the page
    /// assert_eq!(k.read_mem(parent, VirtAddr::new(0))?, 1);
    /// assert_eq!(k.read_mem(child, VirtAddr::new(0))?, 2);
    /// assert_eq!((k.stats().frames_shared, k.counters().cow_copies), (0, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fork_ps(&mut self, parent: Pid) -> Result<Pid, ForkError> {
        self.lookup(parent)?;
        let child = self.procs.lowest_free_pid();
        self.fork_into(parent, child)?;
        Ok(child)
    }

    /// Forks `parent` into a new process with pid `child`.
    pub(crate) fn fork_into(&mut self, parent: Pid, child: Pid) -> Result<(), ForkError> {
        let p = self.procs.get(parent).ok_or(NoSuchProcess { pid: parent })?;
        if self.procs.contains(child) {
            return Err(ForkError::PidInUse { pid: child });
        }
        if let Some(limit) = self.profile.max_processes.filter(|&l| self.procs.len() >= l) {
            return Err(ForkError::TooManyProcesses { limit });
        }
        let (table, segments, pages) = (p.table, p.segments, p.pages);
        let tables = table.table_frames(&self.mem.arena).count() as u32;
        // Demand paging shares copy-on-write whatever the policy: a full memory has no
        // frames for an eager copy.
        let policy = if self.demand.is_some() { ForkPolicy::CopyOnWrite } else { self.fork_policy };
        let user = match policy {
            ForkPolicy::CopyOnWrite => 0,
            ForkPolicy::Eager => pages,
        };
        for (pool, needed) in [(PoolKind::Kernel, tables), (PoolKind::User, user)] {
            let free = self.mem.pool(pool).free_count();
            if free < needed {
                return Err(ForkError::OutOfMemory { pool, needed, free });
            }
        }
        let oom = ForkError::OutOfMemory { pool: PoolKind::Kernel, needed: tables, free: 0 };
        let copy = table.duplicate(&mut self.mem.arena, &mut self.mem.kernel).map_err(|_| oom)?;
        let shared = match policy {
            ForkPolicy::CopyOnWrite => {
                // The parent's writable entries become write-protected: drop its cached ones.
                self.tlb.flush_pid(parent);
                let shared = self.share_cow(table, copy);
                self.demand_forked(table, copy, child);
                shared
            }
            ForkPolicy::Eager => self.copy_eagerly(copy),
        };
        if !shared {
            // Unreachable after the checks above; undo rather than leak if it ever happens.
            release_address_space(&mut self.mem, copy);
            return Err(ForkError::OutOfMemory { pool: PoolKind::User, needed: user, free: 0 });
        }
        let mut process = Process::new(child, copy, segments);
        process.pages = pages;
        process.parent = Some(parent);
        self.procs.insert(process);
        self.counters.forks += 1;
        self.counters.processes_created += 1;
        Ok(())
    }

    /// Copy-on-write: `child` is a copy of `parent`'s tables; every present entry of both now
    /// maps the same frame, whose map count goes up by one. Entries whose own permission is
    /// writable lose `WRITE` and gain `COW` in both tables; read-only entries stay as they are.
    fn share_cow(&mut self, parent: PageTable, child: PageTable) -> bool {
        if parent.format().is_general() {
            return self.share_cow_general(parent, child);
        }
        // An entry is shared copy-on-write when it is present and its own permission is writable.
        const SHARED: u32 = PteFlags::PRESENT.bits() | PteFlags::ORIG_WRITE.bits();
        let counts = &mut self.mem.map_counts;
        let mut ok = true;
        let zipped = parent.zip_leaves_mut(&child, &mut self.mem.arena, |_, pe, ce| {
            // Two passes: the first is branch-free, so the compiler vectorises it; the second
            // touches only the map counts.
            for (p, c) in pe.iter_mut().zip(ce.iter_mut()) {
                let bits = p.bits();
                let shared = if bits & SHARED == SHARED {
                    (bits & !PteFlags::WRITE.bits()) | PteFlags::COW.bits()
                } else {
                    bits
                };
                *p = Pte::from_bits(shared);
                *c = *p;
            }
            for p in pe.iter().filter(|p| p.is_present()) {
                ok &= counts.increment(p.frame()).is_ok();
            }
        });
        ok && zipped.is_ok()
    }

    /// [`Kernel::share_cow`] for a general format, whose entries are not [`Pte`]s: the same
    /// rule, entry by entry through the table's calls.
    fn share_cow_general(&mut self, parent: PageTable, child: PageTable) -> bool {
        let entries: Vec<_> = parent.mapped(&self.mem.arena).collect();
        let mut ok = true;
        for (vpn, e) in entries {
            let f = e.flags();
            if f.contains(PteFlags::ORIG_WRITE) {
                let shared = (f - PteFlags::WRITE) | PteFlags::COW;
                ok &= parent.protect(&mut self.mem.arena, vpn, shared).is_ok();
                ok &= child.protect(&mut self.mem.arena, vpn, shared).is_ok();
            }
            ok &= self.mem.map_counts.increment(e.frame()).is_ok();
        }
        ok
    }

    /// Eager copy: `child` is a copy of the parent's tables; every present entry gets the
    /// lowest free user frame, in increasing page order, with the page's bytes copied into it.
    /// A page that was shared copy-on-write in the parent is simply writable in the child.
    fn copy_eagerly(&mut self, child: PageTable) -> bool {
        let entries: Vec<_> = child.mapped(&self.mem.arena).collect();
        let mut done = 0;
        for &(vpn, e) in &entries {
            let Ok(new) = self.mem.user.allocate_frame() else { break };
            let mut flags = e.flags() - PteFlags::COW;
            flags.set(PteFlags::WRITE, flags.contains(PteFlags::ORIG_WRITE));
            let copied = self.mem.arena.copy_frame(e.frame(), new).is_ok()
                && child.remap(&mut self.mem.arena, vpn, new, flags).is_ok()
                && self.mem.map_counts.increment(new).is_ok();
            if !copied {
                let _ = self.mem.user.deallocate_frame(new);
                break;
            }
            done += 1;
        }
        if done == entries.len() {
            return true;
        }
        // Entries not yet copied still point at the parent's frames without having counted
        // them; clear them so that releasing the child does not uncount the parent's frames.
        for &(vpn, _) in &entries[done..] {
            let _ = child.unmap(&mut self.mem.arena, vpn);
        }
        false
    }
}
