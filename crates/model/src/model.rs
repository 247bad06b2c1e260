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

use std::collections::{BTreeMap, BTreeSet};

use kernel::{
    Access, AccessError, AllocateError, Counters, CreateError, ExitError, Fault, FaultAction, FaultReason, ForkError,
    ForkPolicy, MachineStats, MapPageError, NoSuchProcess, PAGE_SIZE, Perm, Pfn, Pid, PoolKind, ProcessStats, Profile,
    PteFlags, SegmentSizes, SwitchOutcome, UnmapPageError, VirtAddr, Vpn,
};
use paging::{EntryBits, LeafRule};

/// The page size as a `u64`, for address arithmetic.
const PAGE: u64 = PAGE_SIZE as u64;

/// The bytes of one frame.
pub type FrameBytes = [u8; PAGE_SIZE];

/// One allocated user frame: how many pages map it and what it holds.
#[derive(Debug, Clone)]
struct Frame {
    refs: u32,
    /// `None` while the frame is all zero: most frames never get a non-zero byte, and a real
    /// 32,768-frame machine would otherwise cost 128 MiB per model.
    bytes: Option<Box<FrameBytes>>,
}

impl Frame {
    fn fresh() -> Self {
        Frame { refs: 1, bytes: None }
    }

    fn bytes_mut(&mut self) -> &mut FrameBytes {
        self.bytes.get_or_insert_with(|| Box::new([0; PAGE_SIZE]))
    }
}

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
    /// Its mapped pages by VPN.
    pub pages: BTreeMap<u32, PageModel>,
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
}

/// A pool's free frames: every frame from `next` to `end` (never handed out), and `freed`
/// (handed out and given back, all below `next`). A set of every free frame would do, but
/// building one of the 130,944-frame `ajou` table pool for each run of the fuzz target cost
/// more than the run.
#[derive(Debug, Clone)]
struct FreeFrames {
    freed: BTreeSet<u32>,
    next: u32,
    end: u32,
}

impl FreeFrames {
    fn new(frames: core::ops::Range<u32>) -> Self {
        FreeFrames { freed: BTreeSet::new(), next: frames.start, end: frames.end.max(frames.start) }
    }

    fn len(&self) -> usize {
        self.freed.len() + (self.end - self.next) as usize
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lowest free frame, now taken.
    fn pop_first(&mut self) -> Option<u32> {
        self.freed.pop_first().or_else(|| {
            (self.next < self.end).then(|| {
                self.next += 1;
                self.next - 1
            })
        })
    }

    /// `frame` is free again (nothing changes if it was free).
    fn insert(&mut self, frame: u32) {
        if frame < self.next {
            self.freed.insert(frame);
        }
    }
}

impl Extend<u32> for FreeFrames {
    fn extend<I: IntoIterator<Item = u32>>(&mut self, frames: I) {
        for f in frames {
            self.insert(f);
        }
    }
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
}

/// The rules a general machine's entry layout adds, restated from `docs/machines.md`: which
/// bits the MMU records, which permissions every page has whatever was asked, and RISC-V's
/// rule that a leaf must be readable if it is writable, and have some permission.
#[derive(Debug, Clone, Copy, Default)]
struct Rules {
    accessed: bool,
    dirty: bool,
    implied: Perm,
    readable_leaves: bool,
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
        };
        let format = &profile.format;
        if let Some(g) = format.machine() {
            let l = g.layout();
            m.level_bits = g.geometry().level_bits_all().to_vec();
            let implied = l.implied();
            let mut perm = Perm::empty();
            perm.set(Perm::READ, implied.contains(EntryBits::READ));
            perm.set(Perm::WRITE, implied.contains(EntryBits::WRITE));
            perm.set(Perm::EXEC, implied.contains(EntryBits::EXEC));
            m.rules = Rules {
                accessed: l.accessed.is_some(),
                dirty: l.dirty.is_some(),
                implied: perm,
                readable_leaves: l.leaf == LeafRule::PermBits,
            };
        } else {
            m.level_bits = if format.has_directory() {
                vec![format.dir_bits(), format.leaf_bits()]
            } else {
                vec![format.leaf_bits()]
            };
        }
        if profile.boot_process
            && let Some(root) = m.kernel_free.pop_first()
        {
            m.procs.insert(0, ProcModel { root, ..ProcModel::default() });
            m.counters.processes_created += 1;
            m.current = Some(0);
        }
        m
    }

    // ---- geometry -----------------------------------------------------------------------

    fn vpn_count(&self) -> u32 {
        self.profile.format.vpn_count()
    }

    fn space(&self) -> u64 {
        u64::from(self.vpn_count()) * PAGE
    }

    /// The tables below the root that `vpn` needs, root side first: `(level, VPN bits above
    /// that level's index)` for every level but the root.
    fn tables_of(&self, vpn: u32) -> impl Iterator<Item = (usize, u64)> + '_ {
        (1..self.level_bits.len()).map(move |level| {
            let below: u32 = self.level_bits[level..].iter().map(|&b| u32::from(b)).sum();
            (level, u64::from(vpn) >> below)
        })
    }

    /// The tables below the root that mapping `vpns` in order would add to `p`, in the order
    /// they would be made: for each page, its missing tables root side first.
    fn new_tables(&self, p: &ProcModel, vpns: impl Iterator<Item = u32>) -> Vec<(usize, u64)> {
        let mut new = Vec::new();
        // A set beside the list: a whole-space stack has a million pages.
        let mut seen = BTreeSet::new();
        for vpn in vpns {
            for t in self.tables_of(vpn) {
                if !p.tables.contains_key(&t) && seen.insert(t) {
                    new.push(t);
                }
            }
        }
        new
    }

    /// Frames a process's tables occupy: the root and every table below it.
    fn table_frames(&self, p: &ProcModel) -> u32 {
        1 + p.tables.len() as u32
    }

    /// The permissions a page asked to have `perm` gets: a general machine's entries may
    /// imply some (a layout without a read bit reads every page), and a RISC-V leaf must be
    /// readable if it is writable and must have some permission (the kernel adds read).
    fn effective(&self, perm: Perm) -> Perm {
        let mut perm = perm | self.rules.implied;
        if self.rules.readable_leaves && (perm.contains(Perm::WRITE) || perm.is_empty()) {
            perm |= Perm::READ;
        }
        perm
    }

    /// The MMU's record of an allowed access to `pid`'s page `vpn`: accessed, and dirty for a
    /// write, where the machine's entries have those bits.
    fn record(&mut self, pid: u32, vpn: u32, write: bool) {
        let rules = self.rules;
        if let Some(page) = self.procs.get_mut(&pid).and_then(|p| p.pages.get_mut(&vpn)) {
            page.accessed |= rules.accessed;
            page.dirty |= rules.dirty && write;
        }
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

    /// The leaf tables of `pid` as the kernel lists them: (directory index, frame) in order;
    /// a single-level table is its own only leaf.
    pub fn leaf_tables(&self, pid: u32) -> Option<Vec<(u32, u32)>> {
        let p = self.procs.get(&pid)?;
        Some(match self.level_bits.len() {
            _ if self.profile.format.is_general() => Vec::new(),
            1 => vec![(0, p.root)],
            _ => p.tables.iter().map(|(&(_, d), &f)| (d as u32, f)).collect(),
        })
    }

    /// Every table frame of `pid` as the kernel lists a general machine's: the root, then
    /// each table before the tables below it, in address order.
    pub fn table_frames_of(&self, pid: u32) -> Option<Vec<u32>> {
        let p = self.procs.get(&pid)?;
        Some(std::iter::once(p.root).chain(self.preorder(p).into_iter().map(|(_, f)| f)).collect())
    }

    /// `p`'s tables below the root in depth-first order: by the first VPN each covers, a
    /// table before the ones below it.
    fn preorder(&self, p: &ProcModel) -> Vec<((usize, u64), u32)> {
        let first_vpn = |&(level, key): &(usize, u64)| {
            let below: u32 = self.level_bits[level..].iter().map(|&b| u32::from(b)).sum();
            (key << below, level)
        };
        let mut t: Vec<((usize, u64), u32)> = p.tables.iter().map(|(&k, &f)| (k, f)).collect();
        t.sort_by_key(|(k, _)| first_vpn(k));
        t
    }

    /// Allocated kernel frames, in increasing order.
    pub fn kernel_allocated(&self) -> Vec<u32> {
        let mut v: Vec<u32> =
            self.procs.values().flat_map(|p| std::iter::once(p.root).chain(p.tables.values().copied())).collect();
        v.sort_unstable();
        v
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
            pages_mapped: self.procs.values().map(|p| p.pages.len() as u64).sum(),
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
            pages_mapped: p.pages.len() as u32,
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

    /// Gives `p` the tables that `vpn` needs and it has not, root side first, each from the
    /// lowest free kernel frame.
    fn add_tables(&mut self, p: &mut ProcModel, vpn: u32) {
        let needed: Vec<(usize, u64)> = self.tables_of(vpn).collect();
        for t in needed {
            p.tables.entry(t).or_insert_with(|| self.kernel_free.pop_first().unwrap_or_default());
        }
    }

    /// One mapping of `frame` is gone; the frame is free when none is left.
    fn unref(&mut self, frame: u32) {
        if let Some(f) = self.frames.get_mut(&frame) {
            f.refs -= 1;
            if f.refs == 0 {
                self.frames.remove(&frame);
                self.user_free.insert(frame);
            }
        }
    }

    /// Ends `pid` the way `exit_ps` does: every mapping and table frame back.
    fn destroy(&mut self, pid: u32) -> bool {
        let Some(p) = self.procs.remove(&pid) else { return false };
        for page in p.pages.values() {
            self.unref(page.frame);
        }
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

    // ---- mtl458 operations ----------------------------------------------------------------

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

    fn fork_into(&mut self, parent: u32, child: u32) -> Result<(), ForkError> {
        let Some(p) = self.procs.get(&parent) else { return Err(NoSuchProcess { pid: Pid::new(parent) }.into()) };
        if self.procs.contains_key(&child) {
            return Err(ForkError::PidInUse { pid: Pid::new(child) });
        }
        if let Some(limit) = self.at_limit() {
            return Err(ForkError::TooManyProcesses { limit });
        }
        let tables = self.table_frames(p);
        let user = match self.policy {
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
        match self.policy {
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

    /// The VPNs of a range operation, after the checks both range operations share.
    fn range(&mut self, pid: Pid, addr: VirtAddr, count: u32) -> Result<std::ops::Range<u64>, AllocateError> {
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
        if let Some(v) = vpns.clone().find(|&v| p.pages.contains_key(&(v as u32))) {
            return Err(self.fault(id, v * PAGE, FaultReason::AlreadyAllocated).into());
        }
        let new_tables = self.new_tables(p, vpns.clone().map(|v| v as u32)).len() as u32;
        let kernel_free = self.kernel_free.len() as u32;
        if kernel_free < new_tables {
            let needed = new_tables;
            return Err(AllocateError::OutOfMemory { pool: PoolKind::Kernel, needed, free: kernel_free });
        }
        let free = self.user_free.len() as u32;
        if free < count {
            return Err(AllocateError::OutOfMemory { pool: PoolKind::User, needed: count, free });
        }
        let mut p = self.procs.remove(&id).unwrap_or_default();
        for v in vpns {
            let frame = self.take_frame().unwrap_or_default();
            p.pages.insert(v as u32, PageModel::new(frame, self.effective(perm)));
            self.add_tables(&mut p, v as u32);
            self.touched_pages.push((id, v as u32));
        }
        self.procs.insert(id, p);
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
        if let Some(v) = vpns.clone().find(|&v| !p.pages.contains_key(&(v as u32))) {
            return Err(self.fault(id, v * PAGE, FaultReason::NotAllocated).into());
        }
        for v in vpns {
            if let Some(page) = self.procs.get_mut(&id).and_then(|p| p.pages.remove(&(v as u32))) {
                self.unref(page.frame);
            }
            self.touched_pages.push((id, v as u32));
        }
        self.counters.pages_freed += u64::from(count);
        Ok(())
    }

    /// The page an access of `addr` by `pid` reaches, or why none does.
    fn locate(&self, pid: Pid, addr: u64) -> Result<Option<PageModel>, Option<NoSuchProcess>> {
        let p = self.procs.get(&pid.as_u32()).ok_or(Some(NoSuchProcess { pid }))?;
        let vpn = addr / PAGE;
        if vpn >= u64::from(self.vpn_count()) {
            return Err(None);
        }
        Ok(p.pages.get(&(vpn as u32)).copied())
    }

    /// The frame a read of `addr` reads, or the fault.
    fn read_frame(&mut self, pid: Pid, addr: u64) -> Result<u32, AccessError> {
        let reason = match self.locate(pid, addr) {
            Err(Some(e)) => return Err(e.into()),
            Err(None) => FaultReason::OutOfRange,
            Ok(None) => FaultReason::ReadUnmapped,
            Ok(Some(page)) if page.perm.contains(Perm::READ) => return Ok(page.frame),
            Ok(Some(_)) => FaultReason::NotReadable,
        };
        Err(self.fault(pid.as_u32(), addr, reason).into())
    }

    /// The frame a write of `addr` writes, after copy-on-write, or the fault.
    fn write_frame(&mut self, pid: Pid, addr: u64) -> Result<u32, AccessError> {
        let reason = match self.locate(pid, addr) {
            Err(Some(e)) => return Err(e.into()),
            Err(None) => FaultReason::OutOfRange,
            Ok(None) => FaultReason::WriteUnmapped,
            Ok(Some(page)) if page.perm.contains(Perm::WRITE) && !page.cow => return Ok(page.frame),
            Ok(Some(page)) if page.perm.contains(Perm::WRITE) => return self.copy_on_write(pid, addr, page),
            Ok(Some(_)) => FaultReason::NotWritable,
        };
        Err(self.fault(pid.as_u32(), addr, reason).into())
    }

    /// A write to a page write-protected by sharing: copy it into the lowest free frame if
    /// someone else still maps the frame, else make it writable again in place.
    fn copy_on_write(&mut self, pid: Pid, addr: u64, page: PageModel) -> Result<u32, AccessError> {
        let id = pid.as_u32();
        let vpn = (addr / PAGE) as u32;
        let shared = self.frames.get(&page.frame).is_some_and(|f| f.refs > 1);
        let frame = if shared {
            let Some(new) = self.take_frame() else {
                return Err(AccessError::OutOfMemory { pid, addr: VirtAddr::new(addr) });
            };
            let bytes = self.frames.get(&page.frame).and_then(|f| f.bytes.clone());
            if let Some(f) = self.frames.get_mut(&new) {
                f.bytes = bytes;
            }
            self.unref(page.frame);
            new
        } else {
            page.frame
        };
        if let Some(p) = self.procs.get_mut(&id) {
            p.pages.insert(vpn, PageModel { frame, cow: false, ..page });
            p.cow_faults += 1;
            p.cow_copies += u64::from(shared);
        }
        self.counters.cow_faults += 1;
        self.counters.cow_copies += u64::from(shared);
        self.touched_pages.push((id, vpn));
        Ok(frame)
    }

    /// `read_mem`.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn read_mem(&mut self, pid: Pid, addr: VirtAddr) -> Result<u8, AccessError> {
        let a = addr.as_u64();
        let frame = self.read_frame(pid, a)?;
        self.record(pid.as_u32(), (a / PAGE) as u32, false);
        self.touched_pages.push((pid.as_u32(), (a / PAGE) as u32));
        Ok(self.frame_bytes(frame).map_or(0, |b| b[(a % PAGE) as usize]))
    }

    /// `write_mem`.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn write_mem(&mut self, pid: Pid, addr: VirtAddr, byte: u8) -> Result<(), AccessError> {
        let a = addr.as_u64();
        let frame = self.write_frame(pid, a)?;
        self.record(pid.as_u32(), (a / PAGE) as u32, true);
        if let Some(f) = self.frames.get_mut(&frame) {
            f.bytes_mut()[(a % PAGE) as usize] = byte;
        }
        self.touched_pages.push((pid.as_u32(), (a / PAGE) as u32));
        Ok(())
    }

    // ---- ajou operations ------------------------------------------------------------------

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
        if self.user_free.is_empty() {
            return Err(MapPageError::OutOfMemory { pool: PoolKind::User });
        }
        if self.new_tables(p, std::iter::once(v)).len() > self.kernel_free.len() {
            return Err(MapPageError::OutOfMemory { pool: PoolKind::Kernel });
        }
        let frame = self.take_frame().unwrap_or_default();
        let mut p = self.procs.remove(&id).unwrap_or_default();
        p.pages.insert(v, PageModel::new(frame, self.effective(perm)));
        self.add_tables(&mut p, v);
        self.procs.insert(id, p);
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
        let Some(page) = p.pages.remove(&vpn.as_u32()) else { return Err(UnmapPageError::NotMapped { vpn }) };
        self.unref(page.frame);
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
        let frame = match access {
            Access::Read => self.read_frame(pid, addr)?,
            Access::Write => self.write_frame(pid, addr)?,
        };
        self.record(pid.as_u32(), vpn.as_u32(), access == Access::Write);
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

#[cfg(test)]
mod tests {
    use super::*;

    const RW: Perm = Perm::READ.union(Perm::WRITE);

    proptest::proptest! {
        /// `FreeFrames` is a set of free frames that hands out the lowest: checked against one.
        #[test]
        fn free_frames_act_as_a_set(start in 0u32..50, len in 0u32..80, ops in proptest::collection::vec(proptest::option::of(0u32..140), 0..200)) {
            let mut f = FreeFrames::new(start..start + len);
            let mut set: BTreeSet<u32> = (start..start + len).collect();
            for op in ops {
                match op {
                    None => proptest::prop_assert_eq!(f.pop_first(), set.pop_first()),
                    // Only frames of the pool are ever given back.
                    Some(frame) if (start..start + len).contains(&frame) => {
                        f.insert(frame);
                        set.insert(frame);
                    }
                    Some(_) => {}
                }
                proptest::prop_assert_eq!(f.len(), set.len());
                proptest::prop_assert_eq!(f.is_empty(), set.is_empty());
            }
        }
    }

    /// The model on its own, on the official `cow-2` script: it must predict the frames the
    /// original framework printed, or it is no oracle.
    #[test]
    fn model_predicts_the_cow_2_script() {
        let mut m = Model::new(&Profile::AJOU);
        let (p, v) = (Pid::new, Vpn::new);
        for (vpn, perm) in [(0, Perm::READ), (1, Perm::READ), (2, RW), (3, RW)] {
            m.map_page(p(0), v(vpn), perm).unwrap();
        }
        assert_eq!(m.switch(p(1)), Ok(SwitchOutcome::Forked));
        assert_eq!(m.touch(p(1), v(2), Access::Write), Ok(Pfn::new(4)));
        assert_eq!(m.switch(p(2)), Ok(SwitchOutcome::Forked));
        assert_eq!(m.touch(p(2), v(3), Access::Write), Ok(Pfn::new(5)));
        assert_eq!(m.switch(p(0)), Ok(SwitchOutcome::Switched));
        assert_eq!(m.touch(p(0), v(2), Access::Write), Ok(Pfn::new(2)));
        assert_eq!(m.touch(p(0), v(3), Access::Write), Ok(Pfn::new(6)));
        let refs: Vec<_> = m.frame_refs().collect();
        assert_eq!(refs, [(0, 3), (1, 3), (2, 1), (3, 1), (4, 2), (5, 1), (6, 1)]);
    }

    #[test]
    fn model_kills_return_everything() {
        let mut m = Model::new(&Profile::MTL458);
        let sizes = SegmentSizes { code: PAGE, ro_data: 0, rw_data: PAGE, stack: PAGE };
        let pid = m.create_ps(sizes, b"x").unwrap();
        assert_eq!(m.stats().user_frames_free, 32_768 - 3);
        let e = m.write_mem(pid, VirtAddr::new(0), 1).unwrap_err();
        assert!(matches!(e, AccessError::Fault(Fault { killed: true, reason: FaultReason::NotWritable, .. })));
        assert_eq!(m.stats().user_frames_free, 32_768);
        assert_eq!(m.stats().kernel_frames_free, 18_432);
        assert_eq!(m.live(), 0);
    }
}
