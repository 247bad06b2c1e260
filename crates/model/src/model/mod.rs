//! The naive model: both specifications restated over plain collections, as the oracle the
//! kernel is compared with.
//!
//! Nothing here shares the kernel's data structures. Free frames are a `BTreeSet` (its first
//! element is "the lowest free frame"), a process is a `BTreeMap` from VPN to page, a frame's
//! bytes are a boxed array that exists only once something non-zero was put in it. Page tables
//! are not modelled at all, only which frames they occupy: a table is named by its level and the
//! VPN bits above that level's index, so one rule serves the course machines and a general
//! machine of any number of levels. A general machine's entry layout adds three rules (the
//! accessed and dirty bits an access records, permissions the layout implies, RISC-V's
//! readable leaves), restated in [`Model`]'s private `Rules`. Each operation returns the
//! kernel's own result type, so that the harness can compare outcomes with `==`: the model has
//! to predict not just success or failure but every fact an error carries.
//!
//! The model is split by concern: `frames` (free frames and frame contents), `tables` (the
//! tables a process's pages need, and a general machine's entry rules), `processes`
//! (`create_ps`, `exit_ps`, fork), `memory` (page ranges, byte accesses, copy-on-write) and
//! `ajou` (the one-page commands and `switch`); under demand paging, `demand` (the swap area,
//! absent pages, faults and evictions), `local` (local replacement: shares, charges, each
//! process's own policy and its victim) and `victims` (the replacement policies, restated).

mod ajou;
mod demand;
mod frames;
mod local;
mod memory;
mod processes;
mod tables;
#[cfg(test)]
mod tests;
mod victims;

use std::collections::BTreeMap;

use kernel::{
    Counters, Fault, FaultAction, FaultReason, ForkPolicy, MachineStats, PAGE_SIZE, PagingStats, Perm, Pid,
    ProcessStats, Profile, PteFlags, SegmentSizes, VirtAddr,
};

pub use demand::AbsentPage;

use frames::{Frame, FreeFrames};
use tables::Rules;

/// The page size as a `u64`, for address arithmetic.
const PAGE: u64 = PAGE_SIZE as u64;

/// The bytes of one frame.
pub type FrameBytes = [u8; PAGE_SIZE];

/// One mapped page of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageModel {
    /// The frame it maps.
    pub frame: u32,
    /// Its own permissions, as allocated.
    pub perm: Perm,
    /// Whether it is write-protected because its frame was shared by a copy-on-write fork.
    /// Only a page whose own permission is writable is ever marked.
    pub cow: bool,
    /// The accessed bit: set by every access, on a machine whose entries have one.
    pub accessed: bool,
    /// The dirty bit: set by every write, on a machine whose entries have one.
    pub dirty: bool,
}

impl PageModel {
    /// The page-table entry flags the kernel must show for this page.
    pub fn flags(&self) -> PteFlags {
        let mut f = PteFlags::PRESENT;
        f.set(PteFlags::READ, self.perm.contains(Perm::READ));
        f.set(PteFlags::EXEC, self.perm.contains(Perm::EXEC));
        f.set(PteFlags::ORIG_WRITE, self.perm.contains(Perm::WRITE));
        f.set(PteFlags::WRITE, self.perm.contains(Perm::WRITE) && !self.cow);
        f.set(PteFlags::COW, self.cow);
        f.set(PteFlags::ACCESSED, self.accessed);
        f.set(PteFlags::DIRTY, self.dirty);
        f
    }

    /// A fresh page: not shared, not yet accessed.
    fn new(frame: u32, perm: Perm) -> Self {
        PageModel { frame, perm, cow: false, accessed: false, dirty: false }
    }
}

/// One process of the model.
#[derive(Debug, Clone, Default)]
pub struct ProcModel {
    /// Its present pages by VPN.
    pub pages: BTreeMap<u32, PageModel>,
    /// Demand paging: its allocated pages that are not present (lazy or swapped), by VPN.
    pub absent: BTreeMap<u32, AbsentPage>,
    /// The frame of its root table (the only table of a single-level format).
    pub root: u32,
    /// Its tables below the root, with their frames, by (level, the VPN bits above that
    /// level's index): the `ajou` leaves are `(1, directory index)`; a general machine's table
    /// of level `l` covers the VPNs that share those bits. A table, once made, stays until the
    /// process ends, even if emptied: `show` reveals that.
    pub tables: BTreeMap<(usize, u64), u32>,
    /// The segments it was created with, inherited by forks.
    pub segments: Option<SegmentSizes>,
    /// The pid it was forked from; `None` if it was created (or booted).
    pub parent: Option<u32>,
    cow_faults: u64,
    cow_copies: u64,
    paging: PagingStats,
}

/// The whole machine, restated.
#[derive(Debug, Clone)]
pub struct Model {
    profile: Profile,
    user_free: FreeFrames,
    kernel_free: FreeFrames,
    kernel_total: u32,
    frames: BTreeMap<u32, Frame>,
    procs: BTreeMap<u32, ProcModel>,
    current: Option<u32>,
    policy: ForkPolicy,
    counters: Counters,
    touched_pages: Vec<(u32, u32)>,
    touched_procs: Vec<u32>,
    /// Index bits per level, root first (a single-level course table: one level).
    level_bits: Vec<u8>,
    /// What the machine's entries say beyond the course bits: see [`Rules`].
    rules: Rules,
    /// Demand paging, if on.
    demand: Option<Box<demand::Demand>>,
}

impl Model {
    /// The model of a fresh machine of `profile`: every frame free, process 0 alone and current
    /// if the profile boots one (and the kernel pool has a frame for its table).
    pub fn new(profile: &Profile) -> Self {
        let mem = &profile.memory;
        let kernel_total = mem.kernel.end.saturating_sub(mem.kernel.start);
        let mut m = Model {
            profile: profile.clone(),
            user_free: FreeFrames::new(mem.user.clone()),
            kernel_free: FreeFrames::new(mem.kernel.clone()),
            kernel_total,
            frames: BTreeMap::new(),
            procs: BTreeMap::new(),
            current: None,
            policy: profile.fork_policy,
            counters: Counters::default(),
            touched_pages: Vec::new(),
            touched_procs: Vec::new(),
            level_bits: Vec::new(),
            rules: Rules::default(),
            demand: None,
        };
        (m.level_bits, m.rules) = tables::shape(profile);
        if profile.boot_process
            && let Some(root) = m.kernel_free.pop_first()
        {
            m.procs.insert(0, ProcModel { root, ..ProcModel::default() });
            m.counters.processes_created += 1;
            m.current = Some(0);
        }
        m
    }

    // ---- inspection -----------------------------------------------------------------------

    /// The live pids, in increasing order.
    pub fn pids(&self) -> impl Iterator<Item = u32> + '_ {
        self.procs.keys().copied()
    }

    /// Bytes in one address space.
    pub fn address_space_size(&self) -> u64 {
        self.space()
    }

    /// How many processes are alive.
    pub fn live(&self) -> usize {
        self.procs.len()
    }

    /// The process with `pid`.
    pub fn process(&self, pid: u32) -> Option<&ProcModel> {
        self.procs.get(&pid)
    }

    /// The current process.
    pub fn current(&self) -> Option<u32> {
        self.current
    }

    /// The fork policy in force.
    pub fn fork_policy(&self) -> ForkPolicy {
        self.policy
    }

    /// The bytes of an allocated frame; `None` if it is all zero or not allocated.
    pub fn frame_bytes(&self, frame: u32) -> Option<&FrameBytes> {
        self.frames.get(&frame).and_then(|f| f.bytes.as_deref())
    }

    /// Allocated user frames with their reference counts, in frame order.
    pub fn frame_refs(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.frames.iter().map(|(&f, fr)| (f, fr.refs))
    }

    /// Free user frames.
    pub fn user_free(&self) -> usize {
        self.user_free.len()
    }

    /// The byte at `addr` of `pid` if the page is mapped and readable, without any side effect.
    pub fn peek(&self, pid: u32, addr: u64) -> Option<u8> {
        let page = self.procs.get(&pid)?.pages.get(&u32::try_from(addr / PAGE).ok()?)?;
        let at = (addr % PAGE) as usize;
        Some(self.frame_bytes(page.frame).map_or(0, |b| b[at]))
    }

    /// The pages (pid, vpn) the last operation mapped, unmapped, changed or wrote, and clears
    /// the list.
    pub fn take_touched_pages(&mut self) -> Vec<(u32, u32)> {
        std::mem::take(&mut self.touched_pages)
    }

    /// The processes the last operation created, ended, or changed as a whole (a
    /// copy-on-write fork write-protects the parent), and clears the list.
    pub fn take_touched_processes(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.touched_procs)
    }

    /// The machine statistics the kernel must report.
    pub fn stats(&self) -> MachineStats {
        MachineStats {
            counters: self.counters,
            live_processes: self.procs.len(),
            pages_mapped: self.procs.values().map(|p| (p.pages.len() + p.absent.len()) as u64).sum(),
            frames_shared: self.frames.values().filter(|f| f.refs > 1).count() as u32,
            user_frames_free: self.user_free.len() as u32,
            user_frames: self.profile.memory.user.end.saturating_sub(self.profile.memory.user.start),
            kernel_frames_free: self.kernel_free.len() as u32,
            kernel_frames: self.kernel_total,
        }
    }

    /// The statistics of one process the kernel must report.
    pub fn process_stats(&self, pid: u32) -> Option<ProcessStats> {
        let p = self.procs.get(&pid)?;
        Some(ProcessStats {
            pid: Pid::new(pid),
            parent: p.parent.map(Pid::new),
            pages_mapped: (p.pages.len() + p.absent.len()) as u32,
            pages_shared: p.pages.values().filter(|pg| self.frames.get(&pg.frame).is_some_and(|f| f.refs > 1)).count()
                as u32,
            table_frames: self.table_frames(p),
            cow_faults: p.cow_faults,
            cow_copies: p.cow_copies,
        })
    }

    // ---- shared rules ---------------------------------------------------------------------

    /// The lowest pid not in use, counting from 0.
    fn lowest_free_pid(&self) -> u32 {
        let mut pid = 0;
        for &used in self.procs.keys() {
            if used != pid {
                break;
            }
            pid += 1;
        }
        pid
    }

    fn at_limit(&self) -> Option<usize> {
        self.profile.max_processes.filter(|&l| self.procs.len() >= l)
    }

    /// A zero-filled frame, the lowest free one, mapped once.
    fn take_frame(&mut self) -> Option<u32> {
        let f = self.user_free.pop_first()?;
        self.frames.insert(f, Frame::fresh());
        Some(f)
    }

    /// One mapping of `frame` is gone; the frame is free when none is left.
    fn unref(&mut self, frame: u32) {
        if let Some(f) = self.frames.get_mut(&frame) {
            f.refs -= 1;
            if f.refs == 0 {
                self.frames.remove(&frame);
                self.user_free.insert(frame);
                self.demand_freed(frame);
            }
        }
    }

    /// `pid` no longer maps `frame` (its entry is gone or points elsewhere): one mapping
    /// fewer; under local replacement a frame others still map may change hands.
    fn unref_by(&mut self, pid: u32, frame: u32) {
        self.unref(frame);
        if self.frames.contains_key(&frame) {
            self.local_unmapped(pid, frame);
        }
    }

    /// Ends `pid` the way `exit_ps` does: every mapping and table frame back.
    fn destroy(&mut self, pid: u32) -> bool {
        let Some(p) = self.procs.remove(&pid) else { return false };
        for page in p.pages.values() {
            self.unref_by(pid, page.frame);
        }
        for a in p.absent.values() {
            self.drop_absent(*a);
        }
        self.local_forget(pid);
        self.kernel_free.insert(p.root);
        self.kernel_free.extend(p.tables.values().copied());
        if self.current == Some(pid) {
            self.current = None;
        }
        self.touched_procs.push(pid);
        true
    }

    /// An illegal access: a kill on a machine that kills, a refusal otherwise.
    fn fault(&mut self, pid: u32, addr: u64, reason: FaultReason) -> Fault {
        let killed = self.profile.on_fault == FaultAction::Kill && self.destroy(pid);
        if killed {
            self.counters.kills += 1;
        } else {
            self.counters.refused += 1;
        }
        Fault { pid: Pid::new(pid), addr: VirtAddr::new(addr), reason, killed }
    }
}
