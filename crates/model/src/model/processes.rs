//! Processes: `create_ps`, `exit_ps` and fork (eager or copy-on-write).

use kernel::{
    CreateError, ExitError, ForkError, ForkPolicy, NoSuchProcess, PAGE_SIZE, Perm, Pid, PoolKind, SegmentSizes,
};

use super::{Model, PAGE, PageModel, ProcModel};

impl Model {
    /// `create_ps`.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn create_ps(&mut self, sizes: SegmentSizes, data: &[u8]) -> Result<Pid, CreateError> {
        let space = self.space();
        let segments =
            [("code", sizes.code), ("ro data", sizes.ro_data), ("rw data", sizes.rw_data), ("stack", sizes.stack)];
        for (segment, size) in segments {
            if size % PAGE != 0 {
                return Err(CreateError::Misaligned { segment, size });
            }
        }
        let total = segments.iter().try_fold(0u64, |t, (_, s)| t.checked_add(*s)).unwrap_or(u64::MAX);
        if total > space {
            return Err(CreateError::TooLarge { total, limit: space });
        }
        let capacity = sizes.code + sizes.ro_data;
        if data.len() as u64 > capacity {
            return Err(CreateError::DataTooLong { len: data.len(), capacity });
        }
        if let Some(limit) = self.at_limit() {
            return Err(CreateError::TooManyProcesses { limit });
        }
        // The layout, top to bottom: code R X, ro data R, rw data R W, gap, stack R W.
        let (code, ro, rw) = (sizes.code / PAGE, sizes.ro_data / PAGE, sizes.rw_data / PAGE);
        let mut layout: Vec<(u32, Perm)> = Vec::new();
        for vpn in 0..code + ro + rw {
            let perm = if vpn < code {
                Perm::READ | Perm::EXEC
            } else if vpn < code + ro {
                Perm::READ
            } else {
                Perm::READ | Perm::WRITE
            };
            layout.push((vpn as u32, perm));
        }
        let stack_first = (space - sizes.stack) / PAGE;
        for vpn in stack_first..space / PAGE {
            layout.push((vpn as u32, Perm::READ | Perm::WRITE));
        }
        let tables = 1 + self.new_tables(&ProcModel::default(), layout.iter().map(|&(v, _)| v)).len() as u32;
        let kernel_free = self.kernel_free.len() as u32;
        if kernel_free < tables {
            return Err(CreateError::OutOfMemory { pool: PoolKind::Kernel, needed: tables, free: kernel_free });
        }
        if self.demand.is_some() {
            self.room_for(layout.len() as u32)?;
            return Ok(self.create_demand(sizes, data, layout));
        }
        let free = self.user_free.len() as u32;
        if free < layout.len() as u32 {
            return Err(CreateError::OutOfMemory { pool: PoolKind::User, needed: layout.len() as u32, free });
        }

        let pid = self.lowest_free_pid();
        let root = self.kernel_free.pop_first().unwrap_or_default();
        let mut p = ProcModel { root, segments: Some(sizes), ..ProcModel::default() };
        for (vpn, perm) in layout {
            let frame = self.take_frame().unwrap_or_default();
            p.pages.insert(vpn, PageModel::new(frame, self.effective(perm)));
            self.add_tables(&mut p, vpn);
        }
        // Data byte i lands at address i: page i / PAGE_SIZE, from address 0 on.
        for (vpn, chunk) in data.chunks(PAGE_SIZE).enumerate() {
            if let Some(f) = p.pages.get(&(vpn as u32)).and_then(|pg| self.frames.get_mut(&pg.frame)) {
                f.bytes_mut()[..chunk.len()].copy_from_slice(chunk);
            }
        }
        self.procs.insert(pid, p);
        self.counters.processes_created += 1;
        self.touched_procs.push(pid);
        Ok(Pid::new(pid))
    }

    /// `create_ps` under demand paging, after its checks: the process exists from the start,
    /// so that making room for a later page may evict an earlier one, and each page gets its
    /// data as soon as it is mapped.
    fn create_demand(&mut self, sizes: SegmentSizes, data: &[u8], layout: Vec<(u32, Perm)>) -> Pid {
        let pid = self.lowest_free_pid();
        let root = self.kernel_free.pop_first().unwrap_or_default();
        self.procs.insert(pid, ProcModel { root, segments: Some(sizes), ..ProcModel::default() });
        self.counters.processes_created += 1;
        self.touched_procs.push(pid);
        for (vpn, perm) in layout {
            let r = self.reference(pid, vpn);
            // `room_for` said the swap can take every eviction.
            let _ = self.make_room(pid, r);
            let frame = self.take_frame().unwrap_or_default();
            let mut p = self.procs.remove(&pid).unwrap_or_default();
            p.pages.insert(vpn, PageModel::new(frame, self.effective(perm)));
            self.add_tables(&mut p, vpn);
            self.procs.insert(pid, p);
            if let (Some(chunk), Some(f)) = (data.chunks(PAGE_SIZE).nth(vpn as usize), self.frames.get_mut(&frame)) {
                f.bytes_mut()[..chunk.len()].copy_from_slice(chunk);
            }
            self.demand_allocated(pid, vpn, frame);
        }
        Pid::new(pid)
    }

    /// `exit_ps`.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn exit_ps(&mut self, pid: Pid) -> Result<(), ExitError> {
        if !self.destroy(pid.as_u32()) {
            return Err(NoSuchProcess { pid }.into());
        }
        self.counters.processes_exited += 1;
        Ok(())
    }

    /// `set_fork_policy`.
    pub fn set_fork_policy(&mut self, policy: ForkPolicy) {
        self.policy = policy;
    }

    /// `fork_ps`: the child gets the lowest free pid.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn fork_ps(&mut self, parent: Pid) -> Result<Pid, ForkError> {
        if !self.procs.contains_key(&parent.as_u32()) {
            return Err(NoSuchProcess { pid: parent }.into());
        }
        let child = self.lowest_free_pid();
        self.fork_into(parent.as_u32(), child)?;
        Ok(Pid::new(child))
    }

    pub(super) fn fork_into(&mut self, parent: u32, child: u32) -> Result<(), ForkError> {
        let Some(p) = self.procs.get(&parent) else { return Err(NoSuchProcess { pid: Pid::new(parent) }.into()) };
        if self.procs.contains_key(&child) {
            return Err(ForkError::PidInUse { pid: Pid::new(child) });
        }
        if let Some(limit) = self.at_limit() {
            return Err(ForkError::TooManyProcesses { limit });
        }
        let tables = self.table_frames(p);
        // Demand paging shares copy-on-write whatever the policy: a full memory has no frames
        // for an eager copy.
        let policy = if self.demand.is_some() { ForkPolicy::CopyOnWrite } else { self.policy };
        let user = match policy {
            ForkPolicy::CopyOnWrite => 0,
            ForkPolicy::Eager => p.pages.len() as u32,
        };
        let kernel_free = self.kernel_free.len() as u32;
        if kernel_free < tables {
            return Err(ForkError::OutOfMemory { pool: PoolKind::Kernel, needed: tables, free: kernel_free });
        }
        let free = self.user_free.len() as u32;
        if free < user {
            return Err(ForkError::OutOfMemory { pool: PoolKind::User, needed: user, free });
        }

        let mut parent_proc = self.procs.remove(&parent).unwrap_or_default();
        // The child's tables: its root, then a copy of each table of the parent, a table
        // before those below it.
        let root = self.kernel_free.pop_first().unwrap_or_default();
        let tables = self
            .preorder(&parent_proc)
            .into_iter()
            .map(|(k, _)| (k, self.kernel_free.pop_first().unwrap_or_default()))
            .collect();
        let mut c =
            ProcModel { root, tables, segments: parent_proc.segments, parent: Some(parent), ..ProcModel::default() };
        match policy {
            ForkPolicy::CopyOnWrite => {
                // Both share every frame; a page writable in its own right is write-protected
                // in both, a read-only page stays as it is.
                for (&vpn, page) in parent_proc.pages.iter_mut() {
                    if page.perm.contains(Perm::WRITE) {
                        page.cow = true;
                    }
                    if let Some(f) = self.frames.get_mut(&page.frame) {
                        f.refs += 1;
                    }
                    c.pages.insert(vpn, *page);
                }
                self.fork_absent(&mut parent_proc, &mut c);
                self.touched_procs.push(parent);
            }
            ForkPolicy::Eager => {
                // New frames in page order, bytes copied; a page shared copy-on-write in the
                // parent is simply writable (if its own permission says so) in the child.
                for (&vpn, page) in &parent_proc.pages {
                    let frame = self.take_frame().unwrap_or_default();
                    let bytes = self.frames.get(&page.frame).and_then(|f| f.bytes.clone());
                    if let Some(f) = self.frames.get_mut(&frame) {
                        f.bytes = bytes;
                    }
                    // The child's entries are copies of the parent's, accessed and dirty
                    // bits included, pointed at the new frames.
                    c.pages.insert(vpn, PageModel { frame, cow: false, ..*page });
                }
            }
        }
        self.procs.insert(parent, parent_proc);
        self.procs.insert(child, c);
        self.counters.forks += 1;
        self.counters.processes_created += 1;
        self.touched_procs.push(child);
        Ok(())
    }
}
