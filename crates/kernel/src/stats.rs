//! Statistics: event counters kept as the machine runs, and snapshots derived on demand.

use crate::Kernel;
use crate::error::NoSuchProcess;
use crate::process::Pid;

/// Events counted since the machine started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Processes created (`create_ps`, forks, the boot process).
    pub processes_created: u64,
    /// Processes ended by `exit_ps`.
    pub processes_exited: u64,
    /// Forks, either policy.
    pub forks: u64,
    /// Processes killed for an illegal access.
    pub kills: u64,
    /// Illegal accesses refused without a kill (`ajou`).
    pub refused: u64,
    /// Copy-on-write faults handled.
    pub cow_faults: u64,
    /// Of those, the ones that copied the page (the rest re-enabled writing in place).
    pub cow_copies: u64,
    /// Pages mapped by allocation (not by fork).
    pub pages_allocated: u64,
    /// Pages unmapped by deallocation (not by exit or kill).
    pub pages_freed: u64,
}

/// A snapshot of the whole machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineStats {
    /// The event counters.
    pub counters: Counters,
    /// Processes alive.
    pub live_processes: usize,
    /// Present entries over all processes.
    pub pages_mapped: u64,
    /// User frames mapped by more than one entry.
    pub frames_shared: u32,
    /// Free user frames.
    pub user_frames_free: u32,
    /// All user frames.
    pub user_frames: u32,
    /// Free kernel frames.
    pub kernel_frames_free: u32,
    /// All kernel frames.
    pub kernel_frames: u32,
}

/// A snapshot of one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessStats {
    /// Its pid.
    pub pid: Pid,
    /// The process it was forked from, if it was forked ([`crate::Process::parent`]).
    pub parent: Option<Pid>,
    /// Pages it maps.
    pub pages_mapped: u32,
    /// Of those, pages whose frame another entry maps too.
    pub pages_shared: u32,
    /// Frames its page table occupies.
    pub table_frames: u32,
    /// Copy-on-write faults it took.
    pub cow_faults: u64,
    /// Of those, the ones that copied a page.
    pub cow_copies: u64,
}

impl Kernel {
    /// The event counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// A snapshot of the machine's statistics.
    pub fn stats(&self) -> MachineStats {
        let user = &self.mem.user;
        MachineStats {
            counters: self.counters,
            live_processes: self.procs.len(),
            pages_mapped: self.procs.iter().map(|p| u64::from(p.pages)).sum(),
            frames_shared: self.mem.map_counts.nonzero().filter(|&(f, c)| c > 1 && user.contains(f)).count() as u32,
            user_frames_free: user.free_count(),
            user_frames: user.len(),
            kernel_frames_free: self.mem.kernel.free_count(),
            kernel_frames: self.mem.kernel.len(),
        }
    }

    /// A snapshot of one process's statistics.
    ///
    /// # Errors
    /// [`NoSuchProcess`].
    pub fn process_stats(&self, pid: Pid) -> Result<ProcessStats, NoSuchProcess> {
        let p = self.lookup(pid)?;
        let arena = &self.mem.arena;
        Ok(ProcessStats {
            pid,
            parent: p.parent,
            pages_mapped: p.pages,
            pages_shared: p.table.mapped(arena).filter(|(_, e)| self.mem.map_counts.get(e.frame()) > 1).count() as u32,
            table_frames: p.table.table_frames(arena).count() as u32,
            cow_faults: p.cow_faults,
            cow_copies: p.cow_copies,
        })
    }
}
