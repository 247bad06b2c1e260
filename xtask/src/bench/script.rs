//! The `ajou` workload of `cargo xtask bench`: a random script of alloc / free / read / write /
//! switch commands that stays valid to its last line.
//!
//! Validity is the point: the `ajou` shell ends its run on `alloc` of a mapped VPN and on
//! `memory is full`, and a copy-on-write write that finds no free frame is an error, so a
//! generator that did not track the machine would time a run that stopped early or did nothing.
//! A small model (which VPNs each pid maps, with what permission, and how many entries map each
//! frame) decides what every command may do, and counts what the kernel will count: forks,
//! copy-on-write faults and copies. The model knows sharing, not frame numbers: any free frame
//! stands for the kernel's lowest free one, since only the shape of the sharing matters.
//!
//! This file uses only `std`: `crates/cli/benches/shell.rs` includes it by path.

use std::io::{self, Write};

/// VPNs of an `ajou` address space (16 x 16 tables).
pub const VPNS: usize = 256;
/// User frames of the `ajou` machine.
pub const FRAMES: usize = 128;
/// The most processes a script creates: `ajou` processes never exit, and each can hold a
/// directory and 16 leaf tables of the 4,096 kernel frames.
pub const MAX_PROCESSES: usize = 230;
/// One switch in this many forks a new pid (when there is room): about one fork per 5,000
/// commands, the same rate whatever the script's length.
pub const FORK_ONE_IN: u64 = 400;
/// The seed of the scripts `cargo xtask bench` times (and of the in-process shell benchmark).
pub const SEED: u64 = 0x5eed_a10c_f0e5_1234;

/// What a generated script does, as the kernel will count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mix {
    /// `alloc VPN r|rw` commands.
    pub alloc: u64,
    /// `free VPN` commands.
    pub free: u64,
    /// `read VPN` commands.
    pub read: u64,
    /// `write VPN` commands.
    pub write: u64,
    /// `switch PID` commands, forks included.
    pub switch: u64,
    /// Of the switches, those to a new pid: copy-on-write forks of the current process.
    pub forks: u64,
    /// Writes that take a copy-on-write fault.
    pub cow_faults: u64,
    /// Of those, the faults that copy the page (the frame was still shared).
    pub cow_copies: u64,
    /// Commands issued while no user frame was free (memory full, so no `alloc`).
    pub memory_full: u64,
    /// User frames free after the last command.
    pub frames_free_at_end: u64,
    /// Processes alive after the last command.
    pub processes_at_end: u64,
}

impl Mix {
    /// Commands (lines) in the script.
    pub fn commands(&self) -> u64 {
        self.alloc + self.free + self.read + self.write + self.switch
    }

    /// Lines the shell prints on standard error: one for each command but `switch`.
    pub fn stderr_lines(&self) -> u64 {
        self.alloc + self.free + self.read + self.write
    }

    /// One line for a report: the share of each command and the events behind them.
    pub fn describe(&self) -> String {
        let n = self.commands().max(1) as f64;
        let pct = |c: u64| 100.0 * c as f64 / n;
        format!(
            "alloc {:.1}%, free {:.1}%, read {:.1}%, write {:.1}%, switch {:.1}%; {} forks, {} copy-on-write \
             faults ({} copies); memory full during {:.1}% of the commands",
            pct(self.alloc),
            pct(self.free),
            pct(self.read),
            pct(self.write),
            pct(self.switch),
            self.forks,
            self.cow_faults,
            self.cow_copies,
            pct(self.memory_full)
        )
    }
}

/// Writes a script of `commands` lines to `out`, the same for the same `seed`, and says what it
/// does. A shorter script with the same seed is a prefix of a longer one.
///
/// # Errors
/// Errors writing to `out`.
pub fn generate<W: Write>(commands: u64, seed: u64, out: &mut W) -> io::Result<Mix> {
    let mut g = Model::new(seed);
    for _ in 0..commands {
        g.step(out)?;
    }
    g.mix.frames_free_at_end = g.free.len() as u64;
    g.mix.processes_at_end = g.procs.len() as u64;
    Ok(g.mix)
}

/// A page as the model sees it.
#[derive(Debug, Clone, Copy)]
struct Page {
    frame: u8,
    writable: bool,
    /// Write-protected by a fork and not written since: the next write is a copy-on-write fault.
    protected: bool,
}

#[derive(Debug, Clone)]
struct Proc {
    pages: [Option<Page>; VPNS],
    /// The mapped VPNs, in no order, for picking one at random; `pos[v]` is `v`'s index here.
    mapped: Vec<u8>,
    pos: [u8; VPNS],
}

impl Proc {
    fn new() -> Self {
        Proc { pages: [None; VPNS], mapped: Vec::with_capacity(VPNS), pos: [0; VPNS] }
    }

    fn insert(&mut self, vpn: u8, page: Page) {
        self.pages[usize::from(vpn)] = Some(page);
        self.pos[usize::from(vpn)] = self.mapped.len() as u8;
        self.mapped.push(vpn);
    }

    fn remove(&mut self, vpn: u8) -> Option<Page> {
        let page = self.pages[usize::from(vpn)].take()?;
        let i = usize::from(self.pos[usize::from(vpn)]);
        self.mapped.swap_remove(i);
        if let Some(&moved) = self.mapped.get(i) {
            self.pos[usize::from(moved)] = i as u8;
        }
        Some(page)
    }
}

struct Model {
    rng: u64,
    /// Process `i` has pid `i`; pid 0 is the one `ajou` boots with.
    procs: Vec<Proc>,
    current: usize,
    /// Entries mapping each frame.
    refs: [u32; FRAMES],
    free: Vec<u8>,
    mix: Mix,
}

impl Model {
    fn new(seed: u64) -> Self {
        Model {
            // xorshift has one bad state, zero.
            rng: seed | 1,
            procs: vec![Proc::new()],
            current: 0,
            refs: [0; FRAMES],
            free: (0..FRAMES as u8).rev().collect(),
            mix: Mix::default(),
        }
    }

    fn next(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn step<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        let mapped = self.procs[self.current].mapped.len();
        let frames_free = self.free.len();
        self.mix.memory_full += u64::from(frames_free == 0);
        // Keep each process's working set moderate and make room when frames run short, so
        // that every kind of command stays possible all the way through.
        let alloc = match (frames_free, mapped) {
            (0, _) | (_, VPNS) => 0,
            (_, 64..) => 4,
            _ => 22,
        };
        let (free, read, write) = match (mapped, frames_free) {
            (0, _) => (0, 0, 0),
            (_, ..16) => (40, 30, 24),
            _ => (18, 30, 24),
        };
        let switch = 6;
        let mut r = self.below(alloc + free + read + write + switch);
        if r < alloc {
            return self.alloc(out);
        }
        r -= alloc;
        if r < free {
            return self.free(out);
        }
        r -= free;
        if r < read {
            let vpn = self.pick();
            return self.read(vpn, out);
        }
        r -= read;
        if r < write {
            return self.write(out);
        }
        self.switch(out)
    }

    /// A mapped VPN of the current process (which maps at least one).
    fn pick(&mut self) -> u8 {
        let n = self.procs[self.current].mapped.len() as u64;
        let i = self.below(n) as usize;
        self.procs[self.current].mapped[i]
    }

    fn alloc<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        let vpn = loop {
            let v = self.below(VPNS as u64) as u8;
            if self.procs[self.current].pages[usize::from(v)].is_none() {
                break v;
            }
        };
        let writable = self.below(4) != 0;
        let Some(frame) = self.free.pop() else { unreachable!("alloc is only chosen with a free frame") };
        self.refs[usize::from(frame)] = 1;
        self.procs[self.current].insert(vpn, Page { frame, writable, protected: false });
        self.mix.alloc += 1;
        writeln!(out, "alloc {vpn} {}", if writable { "rw" } else { "r" })
    }

    fn free<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        let vpn = self.pick();
        if let Some(page) = self.procs[self.current].remove(vpn) {
            let f = usize::from(page.frame);
            self.refs[f] -= 1;
            if self.refs[f] == 0 {
                self.free.push(page.frame);
            }
        }
        self.mix.free += 1;
        writeln!(out, "free {vpn}")
    }

    fn read<W: Write>(&mut self, vpn: u8, out: &mut W) -> io::Result<()> {
        self.mix.read += 1;
        writeln!(out, "read {vpn}")
    }

    /// A write to a writable page; a read instead where no write can succeed (a read-only page,
    /// or a shared page with no free frame to copy it into).
    fn write<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        // A few tries for a writable page: a quarter of the pages are read-only.
        let mut vpn = self.pick();
        for _ in 0..3 {
            if self.procs[self.current].pages[usize::from(vpn)].is_some_and(|p| p.writable) {
                break;
            }
            vpn = self.pick();
        }
        let Some(page) = self.procs[self.current].pages[usize::from(vpn)] else { return self.read(vpn, out) };
        let shared = self.refs[usize::from(page.frame)] > 1;
        if !page.writable || (shared && self.free.is_empty()) {
            return self.read(vpn, out);
        }
        debug_assert!(!shared || page.protected, "a shared writable page is write-protected");
        let mut now = page;
        if page.protected {
            self.mix.cow_faults += 1;
            now.protected = false;
            if shared {
                let Some(frame) = self.free.pop() else { unreachable!("checked above") };
                self.refs[usize::from(page.frame)] -= 1;
                self.refs[usize::from(frame)] = 1;
                now.frame = frame;
                self.mix.cow_copies += 1;
            }
        }
        self.procs[self.current].pages[usize::from(vpn)] = Some(now);
        self.mix.write += 1;
        writeln!(out, "write {vpn}")
    }

    /// To a new pid (a copy-on-write fork of the current process) now and then, else back to
    /// another existing one.
    fn switch<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        let n = self.procs.len();
        let fork = n < MAX_PROCESSES && (n == 1 || self.below(FORK_ONE_IN) == 0);
        let target = if fork {
            let parent = &mut self.procs[self.current];
            for &vpn in &parent.mapped {
                if let Some(p) = &mut parent.pages[usize::from(vpn)] {
                    self.refs[usize::from(p.frame)] += 1;
                    p.protected |= p.writable;
                }
            }
            let child = parent.clone();
            self.procs.push(child);
            self.mix.forks += 1;
            n
        } else {
            // Any process but the current one.
            let t = self.below(n as u64 - 1) as usize;
            if t >= self.current { t + 1 } else { t }
        };
        self.current = target;
        self.mix.switch += 1;
        writeln!(out, "switch {target}")
    }
}
