//! Shared by the isolation and soak tests: a seeded generator of ops, and a driver that runs
//! them on the kernel, on the model, and on a shadow of every process's bytes that knows
//! nothing of frames.
//!
//! The model shares frames between processes the way the kernel does, so a bug both make in
//! the same way (say, forgetting to copy a page on a write) would go unseen by comparing the
//! two. The shadow gives each process its own bytes outright: a fork copies them (as a value),
//! a write changes the writer's only. Every byte the kernel lets a process read must be the
//! shadow's, and after every write every other process that maps the page must still read its
//! own shadow byte there.

#![allow(dead_code, unreachable_pub)] // Each test binary uses its own part of this module.

use std::collections::BTreeMap;
use std::rc::Rc;

use kernel::{
    AccessError, AllocateError, Kernel, PAGE_SIZE, Perm, Pid, Profile, PteFlags, SwitchOutcome, VirtAddr, Vpn,
};
use model::{Action, AddrSel, Model, Op, Outcome, PageSel, PidSel, Policy, Refusal, Value, create_data};

const PAGE: u64 = PAGE_SIZE as u64;

/// SplitMix64: a tiny, well-mixed, seedable generator. A run is reproduced by its seed alone.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn u8(&mut self) -> u8 {
        self.next_u64() as u8
    }

    pub fn u16(&mut self) -> u16 {
        self.next_u64() as u16
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// An index into `weights`, chosen with probability proportional to its weight.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }
}

/// Which machine's operations a run leans on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Mtl458,
    Ajou,
}

fn pid_sel(rng: &mut Rng) -> PidSel {
    match rng.weighted(&[16, 3, 1, 1]) {
        0 => PidSel::Live(rng.u8()),
        1 => PidSel::Current,
        2 => PidSel::Raw(rng.below(8) as u32),
        _ => PidSel::Raw(if rng.chance(1, 2) { u32::MAX } else { 100 + rng.below(5000) as u32 }),
    }
}

fn page_sel(rng: &mut Rng) -> PageSel {
    match rng.weighted(&[10, 4, 2, 1, 1]) {
        0 => PageSel::Mapped(rng.u16()),
        1 => PageSel::Writable(rng.u16()),
        2 => PageSel::Near { index: rng.u16(), delta: rng.below(9) as i8 - 4 },
        3 => PageSel::Vpn(rng.below(1100) as u32),
        _ => PageSel::Vpn(rng.next_u64() as u32),
    }
}

/// An address; `writable` weighs pages the process may write, so that most writes do not kill.
fn addr_sel(rng: &mut Rng, writable: u32) -> AddrSel {
    match rng.weighted(&[20, writable, 1, 1]) {
        0 => AddrSel::In { page: page_sel(rng), offset: rng.u16() },
        1 => AddrSel::In { page: PageSel::Writable(rng.u16()), offset: rng.u16() },
        2 => AddrSel::Raw(rng.below((4 << 20) + 8192)),
        _ => AddrSel::Raw(rng.next_u64()),
    }
}

fn policy(rng: &mut Rng) -> Policy {
    if rng.chance(1, 2) { Policy::Eager } else { Policy::CopyOnWrite }
}

fn count(rng: &mut Rng) -> u16 {
    match rng.weighted(&[8, 1, 2, 1]) {
        0 => 1 + rng.below(4) as u16,
        1 => 0,
        2 => 5 + rng.below(60) as u16,
        _ => 64 + rng.below(1040) as u16,
    }
}

fn misalign(rng: &mut Rng) -> u8 {
    if rng.chance(1, 13) { 240 + rng.below(16) as u8 } else { 0 }
}

fn create(rng: &mut Rng) -> Op {
    let code = if rng.chance(1, 9) { 255 } else { rng.below(13) as u8 };
    let stack = if rng.chance(1, 9) { 255 } else { rng.below(4) as u8 };
    let pages = [code, rng.below(4) as u8, rng.below(4) as u8, stack];
    let tweak = if rng.chance(1, 13) { 224 + rng.below(32) as u8 } else { 0 };
    let data_len = if rng.chance(1, 7) { 0xFFF0 + rng.below(16) as u16 } else { rng.below(0xFFF0) as u16 };
    Op::Create { pages, tweak, data_len, seed: rng.u8() }
}

/// One random op. The weights are those of the lock-step property tests: `mtl458` runs lean on
/// create / fork / allocate / read / write, `ajou` runs on map / touch / switch.
pub fn gen_op(rng: &mut Rng, flavour: Flavour) -> Op {
    let weights: [u32; 12] = match flavour {
        Flavour::Mtl458 => [6, 2, 4, 1, 6, 3, 8, 10, 1, 1, 1, 1],
        Flavour::Ajou => [1, 1, 1, 1, 1, 1, 2, 3, 8, 3, 10, 5],
    };
    match rng.weighted(&weights) {
        0 => create(rng),
        1 => Op::Exit { pid: pid_sel(rng) },
        2 => Op::Fork { pid: pid_sel(rng), policy: rng.chance(1, 5).then(|| policy(rng)) },
        3 => Op::SetForkPolicy { policy: policy(rng) },
        4 => {
            let at = if rng.chance(3, 4) { PageSel::Unmapped(rng.u16()) } else { page_sel(rng) };
            Op::Allocate { pid: pid_sel(rng), at, count: count(rng), perm: rng.below(8) as u8, misalign: misalign(rng) }
        }
        5 => Op::Deallocate { pid: pid_sel(rng), at: page_sel(rng), count: count(rng), misalign: misalign(rng) },
        6 => Op::Read { pid: pid_sel(rng), addr: addr_sel(rng, 0) },
        7 => Op::Write { pid: pid_sel(rng), addr: addr_sel(rng, 24), byte: rng.u8() },
        8 => {
            let perm = match rng.weighted(&[4, 2, 1]) {
                0 => 3,
                1 => 1,
                _ => rng.below(8) as u8,
            };
            Op::MapPage { pid: pid_sel(rng), vpn: page_sel(rng), perm }
        }
        9 => Op::UnmapPage { pid: pid_sel(rng), vpn: page_sel(rng) },
        10 => Op::Touch { pid: pid_sel(rng), vpn: page_sel(rng), write: rng.chance(3, 5) },
        _ => {
            let pid = if rng.chance(3, 5) { PidSel::Raw(rng.below(8) as u32) } else { pid_sel(rng) };
            Op::Switch { pid }
        }
    }
}

/// The same action on either machine: both have the same inherent methods.
macro_rules! apply {
    ($m:expr, $action:expr, $data:expr) => {
        match *$action {
            Action::Create { sizes, .. } => $m.create_ps(sizes, $data).map(Value::Pid).map_err(Refusal::Create),
            Action::Exit { pid } => $m.exit_ps(pid).map(|()| Value::Unit).map_err(Refusal::Exit),
            Action::Fork { pid, policy } => {
                if let Some(p) = policy {
                    $m.set_fork_policy(p);
                }
                $m.fork_ps(pid).map(Value::Pid).map_err(Refusal::Fork)
            }
            Action::SetForkPolicy { policy } => {
                $m.set_fork_policy(policy);
                Ok(Value::Unit)
            }
            Action::Allocate { pid, addr, count, perm } => {
                $m.allocate_pages(pid, addr, count, perm).map(|()| Value::Unit).map_err(Refusal::Allocate)
            }
            Action::Deallocate { pid, addr, count } => {
                $m.deallocate_pages(pid, addr, count).map(|()| Value::Unit).map_err(Refusal::Allocate)
            }
            Action::Read { pid, addr } => $m.read_mem(pid, addr).map(Value::Byte).map_err(Refusal::Access),
            Action::Write { pid, addr, byte } => {
                $m.write_mem(pid, addr, byte).map(|()| Value::Unit).map_err(Refusal::Access)
            }
            Action::MapPage { pid, vpn, perm } => {
                $m.map_page(pid, vpn, perm).map(Value::Frame).map_err(Refusal::MapPage)
            }
            Action::UnmapPage { pid, vpn } => $m.unmap_page(pid, vpn).map(Value::Frame).map_err(Refusal::UnmapPage),
            Action::Touch { pid, vpn, access } => $m.touch(pid, vpn, access).map(Value::Frame).map_err(Refusal::Access),
            Action::Switch { pid } => $m.switch(pid).map(Value::Switch).map_err(Refusal::Fork),
            Action::ClearAccessedDirty { pid, vpn } => {
                $m.clear_accessed_dirty(pid, vpn).map(|e| Value::Entry(e.frame(), e.flags())).map_err(Refusal::Access)
            }
        }
    };
}

type ShadowPage = Rc<[u8; PAGE_SIZE]>;

/// Counts of what a run did, to show that it reached the rules that matter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    pub ops: u64,
    pub ok: u64,
    pub refused: u64,
    pub kills: u64,
    pub out_of_memory: u64,
    pub forks_eager: u64,
    pub forks_cow: u64,
    pub writes: u64,
    /// Reads (of another process's byte) made to check that a write stayed in its process.
    pub isolation_reads: u64,
    pub max_live: usize,
}

/// `n` with a comma every three digits (`10,000,000`): the soak's counts run to millions.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The closing summary of a run, one fact a line, for people (`cargo xtask soak` prints it).
impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |v: u64| thousands(v);
        writeln!(
            f,
            "  operations  {} ({} succeeded, {} refused, {} out of memory)",
            n(self.ops),
            n(self.ok),
            n(self.refused),
            n(self.out_of_memory)
        )?;
        writeln!(f, "  forks       {} eager, {} copy-on-write", n(self.forks_eager), n(self.forks_cow))?;
        writeln!(f, "  kills       {}", n(self.kills))?;
        writeln!(
            f,
            "  writes      {} ({} isolation reads of other processes)",
            n(self.writes),
            n(self.isolation_reads)
        )?;
        write!(f, "  processes   at most {} alive at once", self.max_live)
    }
}

/// The kernel, the model and the shadow, run in lock step.
pub struct Driver {
    pub kernel: Kernel,
    pub model: Model,
    shadow: BTreeMap<u32, BTreeMap<u32, ShadowPage>>,
    /// Whether to check, after every write, that no other process sees it (costs a read per
    /// process mapping the page).
    pub isolation_checks: bool,
    pub tally: Tally,
    zero: ShadowPage,
}

impl Driver {
    pub fn new(profile: Profile) -> Self {
        let kernel = Kernel::new(profile.clone()).expect("a valid profile");
        let model = Model::new(&profile);
        let shadow = model.pids().map(|p| (p, BTreeMap::new())).collect();
        Driver { kernel, model, shadow, isolation_checks: true, tally: Tally::default(), zero: Rc::new([0; PAGE_SIZE]) }
    }

    /// Runs one op: the same action on the kernel and the model, whose outcomes must be
    /// equal, then the shadow follows and checks any byte read.
    pub fn step(&mut self, op: &Op) -> Result<(), String> {
        let action = op.resolve(&self.model);
        let data = match action {
            Action::Create { data_len, seed, .. } => create_data(seed, data_len),
            _ => Vec::new(),
        };
        // Forks by `switch` copy the current process; remember it before the switch moves it.
        let current = self.model.current();
        let got: Outcome = apply!(self.kernel, &action, &data);
        let want: Outcome = apply!(self.model, &action, &data);
        // Only the shadow and the checks below use these; drained so they do not pile up.
        self.model.take_touched_pages();
        self.model.take_touched_processes();
        let n = self.tally.ops;
        let fail = |what: String| format!("op {n}: {what}\n  op: {op:?}\n  action: {action:?}");
        if got != want {
            return Err(fail(format!("kernel returned {got:?}, model predicts {want:?}")));
        }
        self.tally.ops += 1;
        self.tally(&action, &want);
        self.follow(&action, &want, &data, current).map_err(fail)?;
        self.tally.max_live = self.tally.max_live.max(self.model.live());
        Ok(())
    }

    fn tally(&mut self, action: &Action, outcome: &Outcome) {
        let t = &mut self.tally;
        match outcome {
            Ok(_) => t.ok += 1,
            Err(r) => match r.class() {
                model::RefusalClass::Kill => t.kills += 1,
                model::RefusalClass::OutOfMemory => t.out_of_memory += 1,
                _ => t.refused += 1,
            },
        }
        let forked = matches!((action, outcome), (Action::Fork { .. }, Ok(_)))
            || matches!(outcome, Ok(Value::Switch(SwitchOutcome::Forked)));
        if forked {
            // The policy in force is the one the fork used: a `Fork` action sets it first.
            match self.model.fork_policy() {
                kernel::ForkPolicy::Eager => t.forks_eager += 1,
                kernel::ForkPolicy::CopyOnWrite => t.forks_cow += 1,
            }
        }
        if matches!((action, outcome), (Action::Write { .. }, Ok(_))) {
            t.writes += 1;
        }
    }

    /// Brings the shadow up to date with an outcome both machines agreed on, checking reads.
    fn follow(&mut self, action: &Action, outcome: &Outcome, data: &[u8], current: Option<u32>) -> Result<(), String> {
        let space = self.model.address_space_size();
        match (action, outcome) {
            (&Action::Create { sizes, .. }, &Ok(Value::Pid(pid))) => {
                let mut pages = BTreeMap::new();
                let low = (sizes.code + sizes.ro_data + sizes.rw_data) / PAGE;
                let stack = ((space - sizes.stack) / PAGE)..(space / PAGE);
                for vpn in (0..low).chain(stack) {
                    let start = (vpn * PAGE) as usize;
                    let mut page = [0; PAGE_SIZE];
                    if start < data.len() {
                        let chunk = &data[start..data.len().min(start + PAGE_SIZE)];
                        page[..chunk.len()].copy_from_slice(chunk);
                    }
                    pages.insert(vpn as u32, Rc::new(page));
                }
                self.shadow.insert(pid.as_u32(), pages);
            }
            (&Action::Exit { pid }, Ok(_)) => {
                self.shadow.remove(&pid.as_u32());
            }
            (&Action::Fork { pid, .. }, &Ok(Value::Pid(child))) => {
                let copy = self.shadow.get(&pid.as_u32()).cloned().ok_or("fork of a process the shadow lacks")?;
                self.shadow.insert(child.as_u32(), copy);
            }
            (&Action::Switch { pid }, Ok(Value::Switch(SwitchOutcome::Forked))) => {
                let parent = current.ok_or("a switch forked without a current process")?;
                let copy = self.shadow.get(&parent).cloned().ok_or("switch fork of a process the shadow lacks")?;
                self.shadow.insert(pid.as_u32(), copy);
            }
            (&Action::Allocate { pid, addr, count, .. }, Ok(_)) => {
                let first = (addr.as_u64() / PAGE) as u32;
                let pages = self.shadow.entry(pid.as_u32()).or_default();
                for vpn in first..first + count {
                    pages.insert(vpn, self.zero.clone());
                }
            }
            (&Action::Deallocate { pid, addr, count }, Ok(_)) => {
                let first = (addr.as_u64() / PAGE) as u32;
                if let Some(pages) = self.shadow.get_mut(&pid.as_u32()) {
                    for vpn in first..first + count {
                        pages.remove(&vpn);
                    }
                }
            }
            (&Action::MapPage { pid, vpn, .. }, Ok(_)) => {
                self.shadow.entry(pid.as_u32()).or_default().insert(vpn.as_u32(), self.zero.clone());
            }
            (&Action::UnmapPage { pid, vpn }, Ok(_)) => {
                if let Some(pages) = self.shadow.get_mut(&pid.as_u32()) {
                    pages.remove(&vpn.as_u32());
                }
            }
            (&Action::Read { pid, addr }, &Ok(Value::Byte(b))) => {
                let want = self.shadow_byte(pid.as_u32(), addr.as_u64()).ok_or("read of a page the shadow lacks")?;
                if b != want {
                    return Err(format!("pid {pid} read {b:#04x} at {addr}, its shadow holds {want:#04x}"));
                }
            }
            (&Action::Write { pid, addr, byte }, Ok(_)) => {
                let (vpn, at) = ((addr.as_u64() / PAGE) as u32, (addr.as_u64() % PAGE) as usize);
                let page = self
                    .shadow
                    .get_mut(&pid.as_u32())
                    .and_then(|p| p.get_mut(&vpn))
                    .ok_or("write to a page the shadow lacks")?;
                Rc::make_mut(page)[at] = byte;
                if self.isolation_checks {
                    self.others_unchanged(pid.as_u32(), addr)?;
                }
            }
            // A kill ends the process exactly as exit does.
            (_, Err(Refusal::Access(AccessError::Fault(f)) | Refusal::Allocate(AllocateError::Fault(f))))
                if f.killed =>
            {
                self.shadow.remove(&f.pid.as_u32());
            }
            _ => {}
        }
        Ok(())
    }

    fn shadow_byte(&self, pid: u32, addr: u64) -> Option<u8> {
        let page = self.shadow.get(&pid)?.get(&u32::try_from(addr / PAGE).ok()?)?;
        Some(page[(addr % PAGE) as usize])
    }

    /// After `writer` wrote at `addr`: every other process that can read that page still reads
    /// its own shadow's byte there.
    fn others_unchanged(&mut self, writer: u32, addr: VirtAddr) -> Result<(), String> {
        let vpn = (addr.as_u64() / PAGE) as u32;
        let readers: Vec<u32> = self
            .model
            .pids()
            .filter(|&p| p != writer)
            .filter(|&p| {
                self.model.process(p).and_then(|pm| pm.pages.get(&vpn)).is_some_and(|pg| pg.perm.contains(Perm::READ))
            })
            .collect();
        for other in readers {
            // A successful read changes nothing in the kernel, so the model need not see it.
            let got = self.kernel.read_mem(Pid::new(other), addr).map_err(|e| format!("pid {other}: {e}"))?;
            let want = self.shadow_byte(other, addr.as_u64()).ok_or("a reader the shadow lacks")?;
            self.tally.isolation_reads += 1;
            if got != want {
                return Err(format!(
                    "pid {writer} wrote at {addr}; pid {other} now reads {got:#04x} there, its own byte is {want:#04x}"
                ));
            }
        }
        Ok(())
    }

    /// The kernel's invariants, and its statistics against the model's.
    pub fn check(&self) -> Result<(), String> {
        self.kernel.check().map_err(|e| format!("after op {}: Kernel::check: {e}", self.tally.ops))?;
        let (got, want) = (self.kernel.stats(), self.model.stats());
        if got != want {
            return Err(format!("after op {}: stats: kernel {got:?}, model {want:?}", self.tally.ops));
        }
        Ok(())
    }

    /// Everything every process can read, against the shadow and the model:
    /// - the same live pids and the same pages in all three;
    /// - every byte of every page, as the kernel translates it, is the shadow's (and the
    ///   model's); one byte of each readable page also through `read_mem`;
    /// - isolation as structure: a frame that two entries map holds the same bytes for both,
    ///   and an entry that may be written without a fault (`WRITE`) is its frame's only mapping.
    pub fn compare_all(&mut self) -> Result<(), String> {
        let at = self.tally.ops;
        let pids: Vec<u32> = self.model.pids().collect();
        let kernel_pids: Vec<u32> = self.kernel.processes().map(|p| p.pid().as_u32()).collect();
        let shadow_pids: Vec<u32> = self.shadow.keys().copied().collect();
        if kernel_pids != pids || shadow_pids != pids {
            return Err(format!(
                "after op {at}: live pids: kernel {kernel_pids:?}, model {pids:?}, shadow {shadow_pids:?}"
            ));
        }
        for &pid in &pids {
            let mapped: Vec<(Vpn, kernel::Pte)> =
                self.kernel.mapped(Pid::new(pid)).map_err(|e| e.to_string())?.collect();
            let model_pages = &self.model.process(pid).ok_or("model lost a pid")?.pages;
            let shadow_pages = &self.shadow[&pid];
            let vpns: Vec<u32> = mapped.iter().map(|(v, _)| v.as_u32()).collect();
            if !vpns.iter().copied().eq(model_pages.keys().copied())
                || !vpns.iter().copied().eq(shadow_pages.keys().copied())
            {
                return Err(format!("after op {at}: pid {pid}: kernel, model and shadow map different pages"));
            }
            for (vpn, e) in mapped {
                let frame = e.frame();
                let bytes = self.kernel.mem().arena.frame(frame).map_err(|e| e.to_string())?;
                let own = &shadow_pages[&vpn.as_u32()];
                if bytes != &own[..] {
                    let i = (0..PAGE_SIZE).find(|&i| bytes[i] != own[i]).unwrap_or(0);
                    return Err(format!(
                        "after op {at}: pid {pid} {vpn} ({frame}): byte {i:#x} is {:#04x}, its own is {:#04x}",
                        bytes[i], own[i]
                    ));
                }
                let model_bytes = self.model.frame_bytes(model_pages[&vpn.as_u32()].frame);
                if model_bytes.is_some_and(|b| b[..] != own[..])
                    || (model_bytes.is_none() && own.iter().any(|&b| b != 0))
                {
                    return Err(format!("after op {at}: pid {pid} {vpn}: the model's bytes differ from the shadow's"));
                }
                let count = self.kernel.mem().map_counts.get(frame);
                if e.flags().contains(PteFlags::WRITE) && count != 1 {
                    return Err(format!(
                        "after op {at}: pid {pid} {vpn} is writable without a fault but {frame} has {count} mappings"
                    ));
                }
                if e.flags().contains(PteFlags::READ) {
                    let offset = u64::from(vpn.as_u32()).wrapping_mul(97) % PAGE;
                    let addr = VirtAddr::new(u64::from(vpn.as_u32()) * PAGE + offset);
                    let got = self.kernel.read_mem(Pid::new(pid), addr).map_err(|e| format!("pid {pid}: {e}"))?;
                    if got != own[offset as usize] {
                        return Err(format!(
                            "after op {at}: pid {pid} read_mem({addr}) = {got:#04x}, its own is {:#04x}",
                            own[offset as usize]
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends every live process on both machines, then checks that every frame of both pools
    /// is free.
    pub fn exit_all(&mut self) -> Result<(), String> {
        let pids: Vec<u32> = self.model.pids().collect();
        for pid in pids {
            self.step(&Op::Exit { pid: PidSel::Raw(pid) })?;
        }
        self.check()?;
        let s = self.kernel.stats();
        if s.live_processes != 0 || s.user_frames_free != s.user_frames || s.kernel_frames_free != s.kernel_frames {
            return Err(format!("after every process exited: {s:?}"));
        }
        if let Some((f, c)) = self.kernel.mem().map_counts.nonzero().next() {
            return Err(format!("after every process exited, {f} still has map count {c}"));
        }
        Ok(())
    }

    /// Processes alive.
    pub fn live(&self) -> usize {
        self.model.live()
    }
}
