//! The [`Kernel`] value: it owns the machine. Construction, lookups, `exit_ps`, kills and
//! `switch`; the other operations have a file each.

use paging::{LeafTable, PageTable, Pte, VirtAddr, Vpn};
use phys::{FrameAllocator, LayoutError, PhysMemory};

use crate::error::{ExitError, Fault, FaultReason, ForkError, NoSuchProcess};
use crate::process::{Pid, Process, ProcessTable};
use crate::stats::Counters;
use crate::tlb::Tlb;
use crate::{FaultAction, ForkPolicy, Profile};

/// A whole simulated machine: physical memory, processes, statistics.
#[derive(Debug)]
pub struct Kernel {
    pub(crate) mem: PhysMemory,
    pub(crate) profile: Profile,
    pub(crate) fork_policy: ForkPolicy,
    pub(crate) procs: ProcessTable,
    pub(crate) current: Option<Pid>,
    pub(crate) counters: Counters,
    pub(crate) tlb: Tlb,
    /// Demand paging (frames, swap, policy), when turned on.
    pub(crate) demand: Option<Box<crate::demand::Demand>>,
}

/// What [`Kernel::switch`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwitchOutcome {
    /// The pid was already current; nothing changed.
    AlreadyCurrent,
    /// An existing process became current.
    Switched,
    /// No process had the pid: one was forked from the current process and became current.
    Forked,
}

impl Kernel {
    /// A fresh machine of `profile`: every frame free, no process (or process 0 alone and
    /// current, if the profile boots one).
    ///
    /// # Errors
    /// [`LayoutError`] if the profile's memory layout is invalid or too large.
    ///
    /// # Examples
    /// ```
    /// use kernel::{Kernel, Pid, Profile};
    ///
    /// let k = Kernel::new(Profile::MTL458)?;
    /// assert_eq!(k.stats().user_frames_free, 32_768);
    /// assert_eq!(k.current(), None); // no process until create_ps
    /// let a = Kernel::new(Profile::AJOU)?;
    /// assert_eq!(a.current(), Some(Pid::new(0))); // process 0 boots, empty and current
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(profile: Profile) -> Result<Self, LayoutError> {
        let mem = PhysMemory::new(profile.memory.clone())?;
        let mut k = Kernel {
            mem,
            fork_policy: profile.fork_policy,
            procs: ProcessTable::new(profile.format),
            profile,
            current: None,
            counters: Counters::default(),
            tlb: Tlb::default(),
            demand: None,
        };
        k.boot();
        Ok(k)
    }

    /// Boots process 0 if the profile has one.
    fn boot(&mut self) {
        if self.profile.boot_process {
            // An empty table is one kernel frame; a valid layout with an empty kernel pool is the
            // only way to fail, and then there is simply no process 0.
            if let Ok(table) = PageTable::new(&mut self.mem.arena, &mut self.mem.kernel, self.profile.format) {
                self.procs.insert(Process::new(Pid::new(0), table, None));
                self.counters.processes_created += 1;
                self.current = Some(Pid::new(0));
            }
        }
    }

    /// Puts the machine back in the state [`Kernel::new`] built it in, for the same profile:
    /// every frame free and zero, no process (or process 0 alone, if the profile boots one),
    /// counters, TLB and fork policy as at boot. Only the frames written since boot are cleared,
    /// so resetting a large machine after a short run costs far less than building a new one
    /// (the fuzz targets reuse one machine per profile this way). A reset machine and a fresh
    /// one behave identically: `tests::a_reset_machine_is_a_fresh_one` checks it.
    pub fn reset(&mut self) {
        self.mem.reset();
        self.fork_policy = self.profile.fork_policy;
        self.procs = ProcessTable::new(self.profile.format);
        self.current = None;
        self.counters = Counters::default();
        self.tlb = Tlb::default();
        // As `Kernel::new` leaves it: demand paging off.
        self.demand = None;
        self.boot();
    }

    /// The profile the machine was built with.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The physical memory, for inspection.
    pub fn mem(&self) -> &PhysMemory {
        &self.mem
    }

    /// The fork policy in force.
    pub fn fork_policy(&self) -> ForkPolicy {
        self.fork_policy
    }

    /// Changes how later forks copy memory.
    pub fn set_fork_policy(&mut self, policy: ForkPolicy) {
        self.fork_policy = policy;
    }

    /// The process with `pid`, if alive.
    pub fn process(&self, pid: Pid) -> Option<&Process> {
        self.procs.get(pid)
    }

    /// Live processes, in pid order.
    pub fn processes(&self) -> impl Iterator<Item = &Process> {
        self.procs.iter()
    }

    /// The current process (`ajou`'s `current`), if any.
    pub fn current(&self) -> Option<Pid> {
        self.current
    }

    /// The entry that maps `vpn` in `pid`'s table: [`Pte::EMPTY`] when nothing does.
    ///
    /// # Errors
    /// [`NoSuchProcess`].
    pub fn entry(&self, pid: Pid, vpn: Vpn) -> Result<Pte, NoSuchProcess> {
        let p = self.lookup(pid)?;
        Ok(p.table.translate(&self.mem.arena, vpn).unwrap_or(Pte::EMPTY))
    }

    /// The MMU's walk of `addr` in `pid`'s table, level by level, as the general walker makes
    /// it on the machine's format (a course machine's too: its preset describes the same
    /// bytes). Nothing changes: no accessed bit is set and no permission is checked.
    ///
    /// # Errors
    /// [`NoSuchProcess`].
    pub fn walk(&self, pid: Pid, addr: VirtAddr) -> Result<paging::Walk, NoSuchProcess> {
        let table = self.lookup(pid)?.table;
        let format = table.format().machine_format();
        Ok(format.walk(&self.mem.arena, u64::from(table.root().as_u32()), addr.as_u64(), None))
    }

    /// The existing leaf tables of `pid`, in order: what `show` and `print_page_table` print.
    ///
    /// # Errors
    /// [`NoSuchProcess`].
    pub fn leaf_tables(&self, pid: Pid) -> Result<impl Iterator<Item = LeafTable<'_>>, NoSuchProcess> {
        Ok(self.lookup(pid)?.table.leaves(&self.mem.arena))
    }

    /// The present entries of `pid`, in VPN order.
    ///
    /// # Errors
    /// [`NoSuchProcess`].
    pub fn mapped(&self, pid: Pid) -> Result<impl Iterator<Item = (Vpn, Pte)> + '_, NoSuchProcess> {
        Ok(self.lookup(pid)?.table.mapped(&self.mem.arena))
    }

    /// Ends `pid`: every page unmapped, every frame that no other process maps freed, its
    /// tables freed, its pid free for reuse.
    ///
    /// # Errors
    /// [`ExitError::NoSuchProcess`].
    pub fn exit_ps(&mut self, pid: Pid) -> Result<(), ExitError> {
        self.destroy(pid)?;
        self.counters.processes_exited += 1;
        Ok(())
    }

    /// Makes `pid` current; if no process has it, forks one with that pid from the current
    /// process (with the fork policy in force) and makes it current. Switching to the current
    /// pid changes nothing.
    ///
    /// # Errors
    /// [`ForkError`] if a fork was needed and failed; the current process is unchanged.
    ///
    /// # Examples
    /// ```
    /// use kernel::{Kernel, Pid, Profile, SwitchOutcome};
    ///
    /// let mut k = Kernel::new(Profile::AJOU)?;
    /// assert_eq!(k.switch(Pid::new(1))?, SwitchOutcome::Forked); // from process 0
    /// assert_eq!(k.switch(Pid::new(0))?, SwitchOutcome::Switched);
    /// assert_eq!(k.switch(Pid::new(0))?, SwitchOutcome::AlreadyCurrent);
    /// assert_eq!(k.processes().count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn switch(&mut self, pid: Pid) -> Result<SwitchOutcome, ForkError> {
        if self.current == Some(pid) {
            return Ok(SwitchOutcome::AlreadyCurrent);
        }
        if self.procs.contains(pid) {
            self.current = Some(pid);
            return Ok(SwitchOutcome::Switched);
        }
        let parent = self.current.ok_or(ForkError::NoCurrentProcess)?;
        self.fork_into(parent, pid)?;
        self.current = Some(pid);
        Ok(SwitchOutcome::Forked)
    }

    #[inline]
    pub(crate) fn lookup(&self, pid: Pid) -> Result<&Process, NoSuchProcess> {
        self.procs.get(pid).ok_or(NoSuchProcess { pid })
    }

    /// Takes `pid` out of the process table and gives back everything it held.
    pub(crate) fn destroy(&mut self, pid: Pid) -> Result<(), NoSuchProcess> {
        let p = self.procs.remove(pid).ok_or(NoSuchProcess { pid })?;
        self.tlb.flush_pid(pid);
        self.demand_release(pid, p.table);
        release_address_space(&mut self.mem, p.table);
        if self.current == Some(pid) {
            self.current = None;
        }
        Ok(())
    }

    /// An illegal access by `pid`: applies the profile's fault action and says what it did.
    ///
    /// Never inlined: inlined into `read_mem`'s byte load, its kill path made the in-range
    /// case a taken branch and cost the TLB hit a register move (read_hot/kernel, 24.0
    /// instructions a read against 23.0 at 575792e, callgrind).
    #[cold]
    #[inline(never)]
    pub(crate) fn fault(&mut self, pid: Pid, addr: VirtAddr, reason: FaultReason) -> Fault {
        let killed = self.profile.on_fault == FaultAction::Kill && self.destroy(pid).is_ok();
        if killed {
            self.counters.kills += 1;
        } else {
            self.counters.refused += 1;
        }
        Fault { pid, addr, reason, killed }
    }
}

/// Unmaps every page of `table` (freeing each frame nobody else maps) and frees its tables.
///
/// Errors here would mean the machine is already inconsistent (a map count below the number of
/// mappings); they are ignored so that teardown always completes, and `check` reports the
/// inconsistency.
pub(crate) fn release_address_space(mem: &mut PhysMemory, table: PageTable) {
    for (_, e) in table.mapped(&mem.arena) {
        if let Ok(0) = mem.map_counts.decrement(e.frame()) {
            let _ = mem.user.deallocate_frame(e.frame());
        }
    }
    let _ = table.free(&mem.arena, &mut mem.kernel);
}
