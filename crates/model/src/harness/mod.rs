//! The lock-step harness: one [`Kernel`] and one [`Model`] run the same actions, and after
//! every step their answers and their states are compared.
//!
//! What is compared:
//! - after every step: the outcome, value or error, with every fact it carries; that
//!   [`Kernel::check`] finds no broken invariant; the machine statistics; every page the step
//!   mapped, unmapped, changed or accessed (entry, frame, flags, all 4,096 bytes); every process
//!   the step created, ended or changed as a whole;
//! - every [`RunOptions::full_compare_every`] steps and at the end: everything — live pids, the
//!   current process, the fork policy, every mapping with its bytes, per-process statistics,
//!   every frame's map count, the exact set of allocated user frames, and one byte of every
//!   readable page read through `read_mem`;
//! - under demand paging ([`RunOptions::demand`]), also after every step: the paging counts of
//!   the machine and of every process the step touched, every absent entry the step touched
//!   (lazy or swapped, its slot, its flags), every swap slot's users, the slots in use and the
//!   policy's hand; and in the full comparisons every process's absent entries.
//!
//! Running the steps is here; the comparisons themselves are in `compare.rs`.

use kernel::{
    Access, AccessError, AllocateError, CreateError, DemandConfig, ExitError, ForkError, ForkPolicy, Kernel,
    MapPageError, Perm, Pfn, Pid, Profile, Pte, PteFlags, Scope, SegmentSizes, SwitchOutcome, UnmapPageError, VirtAddr,
    Vpn,
};

use crate::Model;
use crate::op::{Action, DataSource, Op};

mod compare;

use compare::{compare_page, compare_process, compare_stats, compare_swap, full_compare};

/// A successful outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// `()`.
    Unit,
    /// A new process.
    Pid(Pid),
    /// A byte read.
    Byte(u8),
    /// A frame (`map_page`, `unmap_page`, `touch`).
    Frame(Pfn),
    /// What `switch` did.
    Switch(SwitchOutcome),
    /// An entry as it was (`clear_accessed_dirty`): its frame and flags.
    Entry(Pfn, PteFlags),
}

/// A refused operation: the kernel's error for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `create_ps`.
    Create(CreateError),
    /// `exit_ps`.
    Exit(ExitError),
    /// `fork_ps`, `switch`.
    Fork(ForkError),
    /// `allocate_pages`, `deallocate_pages`.
    Allocate(AllocateError),
    /// `read_mem`, `write_mem`, `touch`, `clear_accessed_dirty`.
    Access(AccessError),
    /// `map_page`.
    MapPage(MapPageError),
    /// `unmap_page`.
    UnmapPage(UnmapPageError),
}

/// What kind of refusal an error is, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefusalClass {
    /// An illegal access that ended the process.
    Kill,
    /// An illegal access refused, the process alive (`ajou`).
    Refused,
    /// Not enough frames; nothing changed.
    OutOfMemory,
    /// No process with the pid.
    NoSuchProcess,
    /// The process table is full.
    ProcessLimit,
    /// Demand paging: the swap area had no free slot for an eviction; nothing changed.
    SwapFull,
    /// Bad arguments: sizes, alignment, ranges, pages already (not) mapped, no current process.
    Invalid,
}

impl Refusal {
    /// Its class.
    pub fn class(&self) -> RefusalClass {
        use RefusalClass as C;
        let fault = |killed: bool| if killed { C::Kill } else { C::Refused };
        match self {
            Refusal::Create(CreateError::OutOfMemory { .. })
            | Refusal::Fork(ForkError::OutOfMemory { .. })
            | Refusal::Allocate(AllocateError::OutOfMemory { .. })
            | Refusal::Access(AccessError::OutOfMemory { .. })
            | Refusal::MapPage(MapPageError::OutOfMemory { .. }) => C::OutOfMemory,
            Refusal::Create(CreateError::TooManyProcesses { .. })
            | Refusal::Fork(ForkError::TooManyProcesses { .. }) => C::ProcessLimit,
            Refusal::Exit(ExitError::NoSuchProcess(_))
            | Refusal::Fork(ForkError::NoSuchProcess(_))
            | Refusal::Allocate(AllocateError::NoSuchProcess(_))
            | Refusal::Access(AccessError::NoSuchProcess(_))
            | Refusal::MapPage(MapPageError::NoSuchProcess(_))
            | Refusal::UnmapPage(UnmapPageError::NoSuchProcess(_)) => C::NoSuchProcess,
            Refusal::Allocate(AllocateError::Fault(f)) | Refusal::Access(AccessError::Fault(f)) => fault(f.killed),
            Refusal::Create(CreateError::SwapFull(_))
            | Refusal::Allocate(AllocateError::SwapFull(_))
            | Refusal::Access(AccessError::SwapFull(_))
            | Refusal::MapPage(MapPageError::SwapFull(_)) => C::SwapFull,
            _ => C::Invalid,
        }
    }
}

/// The outcome of one action.
pub type Outcome = Result<Value, Refusal>;

/// A difference between kernel and model, or a broken kernel invariant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("step {step}: {what}\n  op: {op:?}\n  action: {action:?}")]
pub struct Mismatch {
    /// Index of the op in the sequence; the sequence's length for the final comparison.
    pub step: usize,
    /// The op, if the mismatch came from one.
    pub op: Option<Op>,
    /// What it resolved to.
    pub action: Option<Action>,
    /// What differed.
    pub what: String,
}

/// What a run did, in numbers, to show that a sequence exercised something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunReport {
    /// Ops run.
    pub steps: usize,
    /// Ops that succeeded.
    pub ok: usize,
    /// Ops that ended their process.
    pub kills: usize,
    /// Illegal accesses refused without a kill.
    pub refused: usize,
    /// Ops refused for lack of frames.
    pub out_of_memory: usize,
    /// Ops naming a dead pid.
    pub no_such_process: usize,
    /// Ops refused by the process limit.
    pub process_limit: usize,
    /// Ops refused for bad arguments.
    pub invalid: usize,
    /// Processes created (create, fork, boot).
    pub created: u64,
    /// Forks.
    pub forks: u64,
    /// Copy-on-write faults that copied the page.
    pub cow_copies: u64,
    /// Copy-on-write faults that re-enabled writing in place.
    pub cow_in_place: u64,
    /// The most processes alive at once.
    pub max_live: usize,
    /// Full comparisons made.
    pub full_compares: usize,
    /// Demand paging: ops refused because the swap area was full.
    pub swap_full: usize,
    /// Demand paging: the machine's page faults served without the disk.
    pub minor_faults: u64,
    /// Demand paging: page faults that read the swap area.
    pub major_faults: u64,
    /// Demand paging: evictions that wrote nothing.
    pub clean_evictions: u64,
    /// Demand paging: evictions that wrote the page.
    pub dirty_evictions: u64,
    /// `clear_accessed_dirty`s that cleared a bit that was set.
    pub bits_cleared: usize,
}

impl RunReport {
    /// Adds `other`'s counts to these (the maximum for `max_live`).
    pub fn merge(&mut self, other: &RunReport) {
        self.steps += other.steps;
        self.ok += other.ok;
        self.kills += other.kills;
        self.refused += other.refused;
        self.out_of_memory += other.out_of_memory;
        self.no_such_process += other.no_such_process;
        self.process_limit += other.process_limit;
        self.invalid += other.invalid;
        self.created += other.created;
        self.forks += other.forks;
        self.cow_copies += other.cow_copies;
        self.cow_in_place += other.cow_in_place;
        self.max_live = self.max_live.max(other.max_live);
        self.full_compares += other.full_compares;
        self.swap_full += other.swap_full;
        self.minor_faults += other.minor_faults;
        self.major_faults += other.major_faults;
        self.clean_evictions += other.clean_evictions;
        self.dirty_evictions += other.dirty_evictions;
        self.bits_cleared += other.bits_cleared;
    }

    fn tally(&mut self, outcome: &Outcome) {
        self.steps += 1;
        if let Ok(Value::Entry(_, f)) = outcome {
            self.bits_cleared += usize::from(f.intersects(PteFlags::ACCESSED | PteFlags::DIRTY));
        }
        match outcome {
            Ok(_) => self.ok += 1,
            Err(r) => match r.class() {
                RefusalClass::Kill => self.kills += 1,
                RefusalClass::Refused => self.refused += 1,
                RefusalClass::OutOfMemory => self.out_of_memory += 1,
                RefusalClass::NoSuchProcess => self.no_such_process += 1,
                RefusalClass::ProcessLimit => self.process_limit += 1,
                RefusalClass::SwapFull => self.swap_full += 1,
                RefusalClass::Invalid => self.invalid += 1,
            },
        }
    }
}

/// How a run compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Compare everything after every this many steps (and always at the end); 0 means only
    /// at the end.
    pub full_compare_every: usize,
    /// Run with demand paging on (a general machine only): the kernel through
    /// [`Kernel::enable_demand_paging`], the model through [`Model::with_demand`].
    pub demand: Option<DemandSetup>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { full_compare_every: 16, demand: None }
    }
}

/// Demand paging for a run: the frame limit, swap and laziness, the replacement policy and its
/// parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemandSetup {
    /// Frames, swap slots, lazy allocation.
    pub config: DemandConfig,
    /// The replacement policy (`opt` cannot run: a running machine has no future string).
    pub spec: policy::Spec,
    /// Its parameters (`--period`, `--tau`, `--seed`).
    pub options: policy::Options,
    /// Global or local replacement (`--scope`).
    pub scope: Scope,
}

/// The operations both machines offer, so that one function applies an action to either.
trait Machine {
    fn create_ps(&mut self, sizes: SegmentSizes, data: &[u8]) -> Result<Pid, CreateError>;
    fn exit_ps(&mut self, pid: Pid) -> Result<(), ExitError>;
    fn fork_ps(&mut self, pid: Pid) -> Result<Pid, ForkError>;
    fn set_fork_policy(&mut self, policy: ForkPolicy);
    fn allocate_pages(&mut self, pid: Pid, addr: VirtAddr, count: u32, perm: Perm) -> Result<(), AllocateError>;
    fn deallocate_pages(&mut self, pid: Pid, addr: VirtAddr, count: u32) -> Result<(), AllocateError>;
    fn read_mem(&mut self, pid: Pid, addr: VirtAddr) -> Result<u8, AccessError>;
    fn write_mem(&mut self, pid: Pid, addr: VirtAddr, byte: u8) -> Result<(), AccessError>;
    fn map_page(&mut self, pid: Pid, vpn: Vpn, perm: Perm) -> Result<Pfn, MapPageError>;
    fn unmap_page(&mut self, pid: Pid, vpn: Vpn) -> Result<Pfn, UnmapPageError>;
    fn touch(&mut self, pid: Pid, vpn: Vpn, access: Access) -> Result<Pfn, AccessError>;
    fn switch(&mut self, pid: Pid) -> Result<SwitchOutcome, ForkError>;
    fn clear_accessed_dirty(&mut self, pid: Pid, vpn: Vpn) -> Result<Pte, AccessError>;
}

macro_rules! machine_by_delegation {
    ($t:ty) => {
        impl Machine for $t {
            fn create_ps(&mut self, sizes: SegmentSizes, data: &[u8]) -> Result<Pid, CreateError> {
                <$t>::create_ps(self, sizes, data)
            }
            fn exit_ps(&mut self, pid: Pid) -> Result<(), ExitError> {
                <$t>::exit_ps(self, pid)
            }
            fn fork_ps(&mut self, pid: Pid) -> Result<Pid, ForkError> {
                <$t>::fork_ps(self, pid)
            }
            fn set_fork_policy(&mut self, policy: ForkPolicy) {
                <$t>::set_fork_policy(self, policy)
            }
            fn allocate_pages(
                &mut self,
                pid: Pid,
                addr: VirtAddr,
                count: u32,
                perm: Perm,
            ) -> Result<(), AllocateError> {
                <$t>::allocate_pages(self, pid, addr, count, perm)
            }
            fn deallocate_pages(&mut self, pid: Pid, addr: VirtAddr, count: u32) -> Result<(), AllocateError> {
                <$t>::deallocate_pages(self, pid, addr, count)
            }
            fn read_mem(&mut self, pid: Pid, addr: VirtAddr) -> Result<u8, AccessError> {
                <$t>::read_mem(self, pid, addr)
            }
            fn write_mem(&mut self, pid: Pid, addr: VirtAddr, byte: u8) -> Result<(), AccessError> {
                <$t>::write_mem(self, pid, addr, byte)
            }
            fn map_page(&mut self, pid: Pid, vpn: Vpn, perm: Perm) -> Result<Pfn, MapPageError> {
                <$t>::map_page(self, pid, vpn, perm)
            }
            fn unmap_page(&mut self, pid: Pid, vpn: Vpn) -> Result<Pfn, UnmapPageError> {
                <$t>::unmap_page(self, pid, vpn)
            }
            fn touch(&mut self, pid: Pid, vpn: Vpn, access: Access) -> Result<Pfn, AccessError> {
                <$t>::touch(self, pid, vpn, access)
            }
            fn switch(&mut self, pid: Pid) -> Result<SwitchOutcome, ForkError> {
                <$t>::switch(self, pid)
            }
            fn clear_accessed_dirty(&mut self, pid: Pid, vpn: Vpn) -> Result<Pte, AccessError> {
                <$t>::clear_accessed_dirty(self, pid, vpn)
            }
        }
    };
}

machine_by_delegation!(Kernel);
machine_by_delegation!(Model);

fn apply(m: &mut impl Machine, action: &Action, data: &[u8]) -> Outcome {
    match *action {
        Action::Create { sizes, .. } => m.create_ps(sizes, data).map(Value::Pid).map_err(Refusal::Create),
        Action::Exit { pid } => m.exit_ps(pid).map(|()| Value::Unit).map_err(Refusal::Exit),
        Action::Fork { pid, policy } => {
            if let Some(p) = policy {
                m.set_fork_policy(p);
            }
            m.fork_ps(pid).map(Value::Pid).map_err(Refusal::Fork)
        }
        Action::SetForkPolicy { policy } => {
            m.set_fork_policy(policy);
            Ok(Value::Unit)
        }
        Action::Allocate { pid, addr, count, perm } => {
            m.allocate_pages(pid, addr, count, perm).map(|()| Value::Unit).map_err(Refusal::Allocate)
        }
        Action::Deallocate { pid, addr, count } => {
            m.deallocate_pages(pid, addr, count).map(|()| Value::Unit).map_err(Refusal::Allocate)
        }
        Action::Read { pid, addr } => m.read_mem(pid, addr).map(Value::Byte).map_err(Refusal::Access),
        Action::Write { pid, addr, byte } => {
            m.write_mem(pid, addr, byte).map(|()| Value::Unit).map_err(Refusal::Access)
        }
        Action::MapPage { pid, vpn, perm } => m.map_page(pid, vpn, perm).map(Value::Frame).map_err(Refusal::MapPage),
        Action::UnmapPage { pid, vpn } => m.unmap_page(pid, vpn).map(Value::Frame).map_err(Refusal::UnmapPage),
        Action::Touch { pid, vpn, access } => m.touch(pid, vpn, access).map(Value::Frame).map_err(Refusal::Access),
        Action::Switch { pid } => m.switch(pid).map(Value::Switch).map_err(Refusal::Fork),
        Action::ClearAccessedDirty { pid, vpn } => {
            m.clear_accessed_dirty(pid, vpn).map(|e| Value::Entry(e.frame(), e.flags())).map_err(Refusal::Access)
        }
    }
}

/// Runs `ops` on a fresh kernel of `profile` and on the model, in lock step, comparing after
/// every step as the module documentation says, with the default [`RunOptions`].
///
/// # Errors
/// The first [`Mismatch`].
pub fn run(profile: Profile, ops: &[Op]) -> Result<RunReport, Mismatch> {
    run_with(profile, ops, RunOptions::default())
}

/// [`run`] with explicit options.
///
/// # Errors
/// The first [`Mismatch`]; a profile the kernel refuses to build is one at step 0.
pub fn run_with(profile: Profile, ops: &[Op], options: RunOptions) -> Result<RunReport, Mismatch> {
    let mut k = Kernel::new(profile).map_err(|e| Mismatch {
        step: 0,
        op: None,
        action: None,
        what: format!("Kernel::new refused the profile: {e}"),
    })?;
    run_on(&mut k, ops, options)
}

/// [`run_with`] on a machine the caller built, which must be as [`Kernel::new`] or
/// [`Kernel::reset`] left it (the model starts from boot): lets a caller reuse one machine for
/// many runs, as the fuzz target does. The machine is left as the run left it.
///
/// # Errors
/// The first [`Mismatch`]; a machine not at boot state is one at step 0.
pub fn run_on(k: &mut Kernel, ops: &[Op], options: RunOptions) -> Result<RunReport, Mismatch> {
    let profile = k.profile().clone();
    let at_start = |what: String| Mismatch { step: 0, op: None, action: None, what };
    let m = match options.demand {
        None => Model::new(&profile),
        Some(d) => {
            if k.demand_config().is_none() {
                let enabled = match d.scope {
                    Scope::Global => k.enable_demand_paging(d.config, d.spec, &d.options),
                    Scope::Local => k.enable_local_demand_paging(d.config, d.spec, &d.options),
                };
                enabled.map_err(|e| at_start(format!("enabling demand paging ({:?}): {e}", d.scope)))?;
            }
            let m = match d.scope {
                Scope::Global => Model::with_demand(&profile, d.config, d.spec, &d.options),
                Scope::Local => Model::with_local_demand(&profile, d.config, d.spec, &d.options),
            };
            m.ok_or_else(|| at_start(format!("the model cannot run {} on {}", d.spec, profile.name)))?
        }
    };
    run_pair(k, m, ops, options.full_compare_every)
}

/// [`run_on`] with a model the caller built for the machine: for setups [`RunOptions`] cannot
/// describe, such as `opt`, whose kernel policy and model both need the reference string in
/// advance ([`Model::with_demand_future`]). `full_compare_every` is as in [`RunOptions`].
///
/// # Errors
/// The first [`Mismatch`]; a machine and a model that differ at the start are one at step 0.
pub fn run_pair(k: &mut Kernel, mut m: Model, ops: &[Op], full_compare_every: usize) -> Result<RunReport, Mismatch> {
    let at_start = |what: String| Mismatch { step: 0, op: None, action: None, what };
    let mut report = RunReport::default();
    full_compare(k, &mut m).map_err(at_start)?;
    report.full_compares += 1;

    // Every create's data is a slice of one buffer, kept by the thread between runs (a run
    // that fails drops it): a create can pass megabytes, and making them for each was most of
    // a fuzz execution.
    thread_local! {
        static DATA: std::cell::Cell<DataSource> = std::cell::Cell::new(DataSource::default());
    }
    let mut source = DATA.take();
    for (step, op) in ops.iter().enumerate() {
        let action = op.resolve(&m);
        let fail = |what: String| Mismatch { step, op: Some(op.clone()), action: Some(action.clone()), what };
        let data = match action {
            Action::Create { data_len, seed, .. } => source.data(seed, data_len),
            _ => &[],
        };
        let got = apply(k, &action, data);
        let want = apply(&mut m, &action, data);
        if got != want {
            return Err(fail(format!("kernel returned {got:?}, model predicts {want:?}")));
        }
        report.tally(&want);
        k.check().map_err(|e| fail(format!("Kernel::check: {e}")))?;
        compare_stats(k, &m).map_err(fail)?;
        compare_swap(k, &m).map_err(fail)?;
        for pid in m.take_touched_processes() {
            compare_process(k, &m, pid).map_err(fail)?;
        }
        for (pid, vpn) in m.take_touched_pages() {
            compare_page(k, &m, pid, vpn).map_err(fail)?;
        }
        report.max_live = report.max_live.max(m.live());
        let every = full_compare_every;
        if every != 0 && (step + 1) % every == 0 {
            full_compare(k, &mut m).map_err(fail)?;
            report.full_compares += 1;
        }
    }
    DATA.set(source);
    let end = |what: String| Mismatch { step: ops.len(), op: None, action: None, what };
    full_compare(k, &mut m).map_err(end)?;
    report.full_compares += 1;
    let c = k.counters();
    report.created = c.processes_created;
    report.forks = c.forks;
    report.cow_copies = c.cow_copies;
    report.cow_in_place = c.cow_faults - c.cow_copies;
    if let Some(s) = k.paging_stats() {
        report.minor_faults = s.minor_faults;
        report.major_faults = s.major_faults;
        report.clean_evictions = s.clean_evictions;
        report.dirty_evictions = s.dirty_evictions;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AddrSel, PageSel, PidSel, Policy};

    #[test]
    fn a_known_sequence_reports_what_it_did() {
        let ops = [
            Op::Create { pages: [1, 1, 1, 1], tweak: 0, data_len: 10, seed: 1 },
            Op::Fork { pid: PidSel::Live(0), policy: Some(Policy::CopyOnWrite) },
            // The child writes its rw data: a copy-on-write copy.
            Op::Write { pid: PidSel::Live(1), addr: AddrSel::In { page: PageSel::Writable(0), offset: 5 }, byte: 9 },
            // The parent writes its code: killed.
            Op::Write { pid: PidSel::Raw(0), addr: AddrSel::In { page: PageSel::Mapped(0), offset: 0 }, byte: 1 },
            Op::Read { pid: PidSel::Raw(7), addr: AddrSel::Raw(0) },
        ];
        let r = run(Profile::MTL458, &ops).unwrap();
        assert_eq!((r.steps, r.ok, r.kills, r.no_such_process), (5, 3, 1, 1));
        assert_eq!((r.created, r.forks, r.cow_copies, r.cow_in_place, r.max_live), (2, 1, 1, 0, 2));
        assert_eq!(r.full_compares, 2);
    }

    #[test]
    fn a_profile_the_kernel_refuses_is_a_mismatch_at_step_0() {
        let mut p = Profile::MTL458;
        p.memory.user = 0..10;
        let m = run(p, &[]).unwrap_err();
        assert_eq!((m.step, &m.op, &m.action), (0, &None, &None));
        assert!(m.what.contains("Kernel::new refused the profile"), "{m}");
    }

    #[test]
    fn refusal_classes() {
        let fault = |killed| kernel::Fault {
            pid: Pid::new(0),
            addr: VirtAddr::new(0),
            reason: kernel::FaultReason::NotWritable,
            killed,
        };
        let cases = [
            (Refusal::Access(AccessError::Fault(fault(true))), RefusalClass::Kill),
            (Refusal::Allocate(AllocateError::Fault(fault(false))), RefusalClass::Refused),
            (
                Refusal::Access(AccessError::OutOfMemory { pid: Pid::new(0), addr: VirtAddr::new(0) }),
                RefusalClass::OutOfMemory,
            ),
            (Refusal::Fork(ForkError::TooManyProcesses { limit: 1 }), RefusalClass::ProcessLimit),
            (Refusal::Fork(ForkError::NoCurrentProcess), RefusalClass::Invalid),
            (Refusal::UnmapPage(UnmapPageError::NotMapped { vpn: Vpn::new(1) }), RefusalClass::Invalid),
        ];
        for (r, class) in cases {
            assert_eq!(r.class(), class, "{r:?}");
        }
    }
}
