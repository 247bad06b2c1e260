//! `create_ps`: a new process with the code / ro data / rw data / heap / stack layout.

use paging::{Format, PageTable, VirtAddr, Vpn};
use phys::{PAGE_SIZE, PoolKind};

use crate::error::CreateError;
use crate::machine::release_address_space;
use crate::pages::map_fresh;
use crate::process::{Pid, Process};
use crate::{Kernel, Perm};

/// The sizes, in bytes, of a new process's segments. Each must be a multiple of the page size.
///
/// Code starts at address 0, read-only data follows it, read/write data follows that, and the
/// stack is the last `stack` bytes of the address space. The heap, between rw data and stack,
/// is empty until `allocate_pages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentSizes {
    /// Code: readable and executable.
    pub code: u64,
    /// Read-only data: readable.
    pub ro_data: u64,
    /// Read/write data: readable and writable.
    pub rw_data: u64,
    /// Stack: readable and writable, at the top of the address space.
    pub stack: u64,
}

impl SegmentSizes {
    /// The pages to map, in increasing VPN order, each with its permissions.
    fn pages(&self, space: u64) -> impl Iterator<Item = (Vpn, Perm)> {
        let page = PAGE_SIZE as u64;
        let vpn = move |addr: u64| Vpn::from_u64(addr / page);
        let code_end = self.code;
        let ro_end = code_end + self.ro_data;
        let rw_end = ro_end + self.rw_data;
        let low = (0..rw_end / page).map(move |n| {
            let addr = n * page;
            let perm = if addr < code_end {
                Perm::READ | Perm::EXEC
            } else if addr < ro_end {
                Perm::READ
            } else {
                Perm::READ | Perm::WRITE
            };
            (vpn(addr), perm)
        });
        let stack = ((space - self.stack) / page..space / page).map(move |n| (vpn(n * page), Perm::READ | Perm::WRITE));
        low.chain(stack)
    }

    fn validate(&self, space: u64) -> Result<(), CreateError> {
        for (segment, size) in
            [("code", self.code), ("ro data", self.ro_data), ("rw data", self.rw_data), ("stack", self.stack)]
        {
            if size % PAGE_SIZE as u64 != 0 {
                return Err(CreateError::Misaligned { segment, size });
            }
        }
        let total = [self.code, self.ro_data, self.rw_data, self.stack]
            .into_iter()
            .try_fold(0u64, u64::checked_add)
            .unwrap_or(u64::MAX);
        if total > space {
            return Err(CreateError::TooLarge { total, limit: space });
        }
        Ok(())
    }
}

/// How many table frames a table of `format` needs to map `vpns` (given in increasing order).
pub(crate) fn tables_needed(format: Format, vpns: impl Iterator<Item = Vpn>) -> u32 {
    format.tables_for(vpns)
}

impl Kernel {
    /// Creates a process with the given segments and returns its pid, the lowest one free.
    /// `data` fills code and read-only data from address 0; the rest of every page is zero.
    ///
    /// The page table takes the lowest free kernel frame, then the pages take the lowest free
    /// user frames in increasing page order.
    ///
    /// # Errors
    /// [`CreateError`] for bad sizes, data too long, a full process table or too few frames;
    /// then nothing was allocated.
    ///
    /// # Examples
    /// ```
    /// use kernel::{Kernel, Profile, SegmentSizes, VirtAddr, Vpn};
    ///
    /// let mut k = Kernel::new(Profile::MTL458)?;
    /// let sizes = SegmentSizes { code: 4096, ro_data: 4096, rw_data: 0, stack: 4096 };
    /// let pid = k.create_ps(sizes, b"code")?;
    /// assert_eq!(k.read_mem(pid, VirtAddr::new(3))?, b'e');
    /// assert_eq!(k.stack_start(pid), Some(VirtAddr::new(0x3f_f000)));
    /// // The table took the first OS frame, the pages the first user frames.
    /// assert_eq!(k.process(pid).map(|p| p.table().root().as_u32()), Some(0));
    /// assert_eq!(k.entry(pid, Vpn::new(0))?.frame().as_u32(), 18_432);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_ps(&mut self, sizes: SegmentSizes, data: &[u8]) -> Result<Pid, CreateError> {
        let space = self.profile.address_space_size();
        sizes.validate(space)?;
        let capacity = sizes.code + sizes.ro_data;
        if data.len() as u64 > capacity {
            return Err(CreateError::DataTooLong { len: data.len(), capacity });
        }
        if let Some(limit) = self.profile.max_processes.filter(|&l| self.procs.len() >= l) {
            return Err(CreateError::TooManyProcesses { limit });
        }
        let format = self.profile.format;
        let pages = sizes.pages(space).count() as u32;
        let tables = tables_needed(format, sizes.pages(space).map(|(v, _)| v));
        // Demand paging makes room by evicting instead of needing free frames.
        let user = if self.demand.is_some() { 0 } else { pages };
        for (pool, needed) in [(PoolKind::Kernel, tables), (PoolKind::User, user)] {
            let free = self.mem.pool(pool).free_count();
            if free < needed {
                return Err(CreateError::OutOfMemory { pool, needed, free });
            }
        }
        if self.demand.is_some() {
            self.room_for(pages)?;
            return self.create_demand(sizes, data);
        }

        let pid = self.procs.lowest_free_pid();
        let table = PageTable::new(&mut self.mem.arena, &mut self.mem.kernel, format)
            .map_err(|_| CreateError::OutOfMemory { pool: PoolKind::Kernel, needed: tables, free: 0 })?;
        let mut process = Process::new(pid, table, Some(sizes));
        process.pages = pages;
        for (vpn, perm) in sizes.pages(space) {
            if map_fresh(&mut self.mem, table, vpn, perm).is_err() {
                // Unreachable after the checks above; undo rather than leak if it ever happens.
                release_address_space(&mut self.mem, table);
                return Err(CreateError::OutOfMemory { pool: PoolKind::User, needed: pages, free: 0 });
            }
        }
        for (chunk_index, chunk) in data.chunks(PAGE_SIZE).enumerate() {
            let vpn = Vpn::from_u64(chunk_index as u64);
            if let Some(e) = table.translate(&self.mem.arena, vpn) {
                if let Ok(frame) = self.mem.arena.frame_mut(e.frame()) {
                    frame[..chunk.len()].copy_from_slice(chunk);
                }
            }
        }
        self.procs.insert(process);
        self.counters.processes_created += 1;
        Ok(pid)
    }

    /// `create_ps` under demand paging, after its checks: the process joins the table first,
    /// so that the evictions that make room for its later pages can find its earlier ones;
    /// each page is filled as soon as it is mapped.
    fn create_demand(&mut self, sizes: SegmentSizes, data: &[u8]) -> Result<Pid, CreateError> {
        let space = self.profile.address_space_size();
        let pages = sizes.pages(space).count() as u32;
        let pid = self.procs.lowest_free_pid();
        let table = PageTable::new(&mut self.mem.arena, &mut self.mem.kernel, self.profile.format)
            .map_err(|_| CreateError::OutOfMemory { pool: PoolKind::Kernel, needed: 1, free: 0 })?;
        let mut process = Process::new(pid, table, Some(sizes));
        process.pages = pages;
        self.procs.insert(process);
        self.counters.processes_created += 1;
        let chunks: Vec<&[u8]> = data.chunks(PAGE_SIZE).collect();
        for (vpn, perm) in sizes.pages(space) {
            let r = self.reference(pid, vpn, false);
            let mapped = match self.make_room(pid, r) {
                Ok(()) => map_fresh(&mut self.mem, table, vpn, perm).ok(),
                Err(_) => None,
            };
            let Some(frame) = mapped else {
                // Unreachable after the checks above; undo rather than leak if it ever happens.
                let _ = self.destroy(pid);
                self.counters.processes_created -= 1;
                return Err(CreateError::OutOfMemory { pool: PoolKind::User, needed: pages, free: 0 });
            };
            if let (Some(chunk), Ok(bytes)) = (chunks.get(vpn.as_u64() as usize), self.mem.arena.frame_mut(frame)) {
                bytes[..chunk.len()].copy_from_slice(chunk);
            }
            self.demand_mapped(pid, vpn, frame, true);
        }
        Ok(pid)
    }

    /// The address where `pid`'s stack starts, if it was made by `create_ps`.
    pub fn stack_start(&self, pid: Pid) -> Option<VirtAddr> {
        let s = self.procs.get(pid)?.segments?;
        Some(VirtAddr::new(self.profile.address_space_size() - s.stack))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_needed_counts_distinct_leaves() {
        let vpns = [0, 1, 15, 16, 200].map(Vpn::new);
        assert_eq!(tables_needed(Format::AJOU, vpns.into_iter()), 1 + 3);
        assert_eq!(tables_needed(Format::MTL458, vpns.into_iter()), 1);
        assert_eq!(tables_needed(Format::AJOU, core::iter::empty()), 1);
    }

    #[test]
    fn layout_pages_and_permissions() {
        let s = SegmentSizes { code: 2 * 4096, ro_data: 4096, rw_data: 4096, stack: 2 * 4096 };
        let pages: Vec<_> = s.pages(4 << 20).map(|(v, p)| (v.as_u32(), p)).collect();
        let rx = Perm::READ | Perm::EXEC;
        let rw = Perm::READ | Perm::WRITE;
        assert_eq!(pages, [(0, rx), (1, rx), (2, Perm::READ), (3, rw), (1022, rw), (1023, rw)]);
    }
}
