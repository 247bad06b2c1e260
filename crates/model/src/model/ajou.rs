//! The `ajou` commands: one page at a time (`alloc`, `free`, `read`, `write`) and `switch`.

use kernel::{
    Access, AccessError, ForkError, MapPageError, NoSuchProcess, Perm, Pfn, Pid, PoolKind, SwitchOutcome,
    UnmapPageError, Vpn,
};

use super::{Model, PAGE, PageModel};

impl Model {
    /// `map_page` (`alloc VPN FLAGS`).
    ///
    /// # Errors
    /// As the kernel's.
    pub fn map_page(&mut self, pid: Pid, vpn: Vpn, perm: Perm) -> Result<Pfn, MapPageError> {
        let id = pid.as_u32();
        let v = vpn.as_u32();
        let Some(p) = self.procs.get(&id) else { return Err(NoSuchProcess { pid }.into()) };
        if v >= self.vpn_count() {
            return Err(MapPageError::VpnOutOfRange { vpn, vpn_count: self.vpn_count() });
        }
        if let Some(page) = p.pages.get(&v) {
            return Err(MapPageError::AlreadyMapped { vpn, frame: Pfn::new(page.frame) });
        }
        if p.absent.contains_key(&v) {
            return Err(MapPageError::Absent { vpn });
        }
        // Demand paging makes room by evicting: the table frames are what can run out.
        let demand = self.demand.is_some();
        if !demand && self.user_free.is_empty() {
            return Err(MapPageError::OutOfMemory { pool: PoolKind::User });
        }
        if self.new_tables(p, std::iter::once(v)).len() > self.kernel_free.len() {
            return Err(MapPageError::OutOfMemory { pool: PoolKind::Kernel });
        }
        if demand {
            self.room_for(1)?;
            let r = self.reference(id, v);
            self.make_room(id, r)?;
        }
        let frame = self.take_frame().unwrap_or_default();
        let mut p = self.procs.remove(&id).unwrap_or_default();
        p.pages.insert(v, PageModel::new(frame, self.effective(perm)));
        self.add_tables(&mut p, v);
        self.procs.insert(id, p);
        self.demand_allocated(id, v, frame);
        self.counters.pages_allocated += 1;
        self.touched_pages.push((id, v));
        Ok(Pfn::new(frame))
    }

    /// `unmap_page` (`free VPN`).
    ///
    /// # Errors
    /// As the kernel's.
    pub fn unmap_page(&mut self, pid: Pid, vpn: Vpn) -> Result<Pfn, UnmapPageError> {
        let id = pid.as_u32();
        let Some(p) = self.procs.get_mut(&id) else { return Err(NoSuchProcess { pid }.into()) };
        if p.absent.contains_key(&vpn.as_u32()) {
            return Err(UnmapPageError::Absent { vpn });
        }
        let Some(page) = p.pages.remove(&vpn.as_u32()) else { return Err(UnmapPageError::NotMapped { vpn }) };
        self.unref_by(id, page.frame);
        self.counters.pages_freed += 1;
        self.touched_pages.push((id, vpn.as_u32()));
        Ok(Pfn::new(page.frame))
    }

    /// `touch` (`read VPN`, `write VPN`): translation and the fault handler, no byte moved.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn touch(&mut self, pid: Pid, vpn: Vpn, access: Access) -> Result<Pfn, AccessError> {
        let addr = u64::from(vpn.as_u32()) * PAGE;
        let (frame, reached) = match access {
            Access::Read => self.read_frame(pid, addr)?,
            Access::Write => self.write_frame(pid, addr)?,
        };
        self.record(pid.as_u32(), vpn.as_u32(), access == Access::Write);
        self.demand_reference(pid.as_u32(), vpn.as_u32(), frame, reached);
        self.touched_pages.push((pid.as_u32(), vpn.as_u32()));
        Ok(Pfn::new(frame))
    }

    /// `switch`: to an existing process, or fork one with that pid from the current process.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn switch(&mut self, pid: Pid) -> Result<SwitchOutcome, ForkError> {
        let id = pid.as_u32();
        if self.current == Some(id) {
            return Ok(SwitchOutcome::AlreadyCurrent);
        }
        if self.procs.contains_key(&id) {
            self.current = Some(id);
            return Ok(SwitchOutcome::Switched);
        }
        let parent = self.current.ok_or(ForkError::NoCurrentProcess)?;
        self.fork_into(parent, id)?;
        self.current = Some(id);
        Ok(SwitchOutcome::Forked)
    }
}
