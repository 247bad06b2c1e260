//! `check`: every invariant of the machine, verified from scratch.

use paging::{AbsentKind, Pte, PteFlags};
use phys::{Pfn, PoolKind};

use crate::Kernel;
use crate::demand::Mapper;
use crate::process::Pid;

/// The first broken invariant `check` found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvariantError {
    /// A frame's map count differs from the number of entries that map it.
    #[error("frame {frame}: map count is {recorded} but {actual} entries map it")]
    MapCount {
        /// The frame.
        frame: Pfn,
        /// Its map count.
        recorded: u32,
        /// Entries, over all processes, that map it.
        actual: u32,
    },
    /// An entry maps a frame outside the user pool (the OS region, or past the arena).
    #[error("pid {pid} maps vpn {vpn} to frame {frame}, outside the user pool")]
    UserPageOutsidePool {
        /// The process.
        pid: Pid,
        /// The page.
        vpn: u64,
        /// The frame.
        frame: Pfn,
    },
    /// A frame is mapped but free in its pool, or allocated but used by nothing.
    #[error("{pool} frame {frame} is {}", if *.allocated { "allocated but unused (leaked)" } else { "free but in use" })]
    FreeMismatch {
        /// The pool.
        pool: PoolKind,
        /// The frame.
        frame: Pfn,
        /// Whether the pool has it allocated.
        allocated: bool,
    },
    /// A page-table frame is used twice (by two processes, or twice by one).
    #[error("table frame {frame} of pid {pid} is also a table of pid {other}")]
    SharedTable {
        /// The frame.
        frame: Pfn,
        /// One owner.
        pid: Pid,
        /// The other.
        other: Pid,
    },
    /// A page-table frame lies outside the kernel pool.
    #[error("table frame {frame} of pid {pid} is outside the kernel pool")]
    TableOutsidePool {
        /// The frame.
        frame: Pfn,
        /// Its process.
        pid: Pid,
    },
    /// An entry's flags break the copy-on-write rules: `COW` needs `ORIG_WRITE` and no
    /// `WRITE`; `WRITE` needs `ORIG_WRITE`.
    #[error("pid {pid} vpn {vpn}: inconsistent flags {flags:?}")]
    Flags {
        /// The process.
        pid: Pid,
        /// The page.
        vpn: u64,
        /// Its flags.
        flags: PteFlags,
    },
    /// A process's page count differs from its present entries.
    #[error("pid {pid} counts {recorded} pages but maps {actual}")]
    PageCount {
        /// The process.
        pid: Pid,
        /// Its count.
        recorded: u32,
        /// Its present entries.
        actual: u32,
    },
    /// The TLB caches an entry that is not the table's (a missed invalidation), or an entry
    /// that is not readable.
    #[error("the TLB caches {cached:?} for pid {pid} vpn {vpn}, but the table has {actual:?}")]
    StaleTlb {
        /// The process.
        pid: Pid,
        /// The page.
        vpn: u64,
        /// What the TLB holds.
        cached: paging::Pte,
        /// What the table holds (empty if not mapped).
        actual: paging::Pte,
    },
    /// A general machine's leaf entry breaks the kernel's rules for them: it is a huge page
    /// (the kernel maps only base pages), lacks the user bit, or is dirty but not accessed
    /// (the MMU sets both on a write, the kernel clears both).
    #[error("pid {pid} page at {va:#x} (level {level}): {what}")]
    GeneralEntry {
        /// The process.
        pid: Pid,
        /// The page's first address.
        va: u64,
        /// The level of its leaf entry.
        level: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// More processes are alive than the profile allows, or the current one is dead.
    #[error("process table: {0}")]
    Processes(String),
    /// A swap slot's user count differs from the absent entries that name it.
    #[error("swap slot {slot}: {recorded} users recorded but {actual} entries name it")]
    SwapSlot {
        /// The slot.
        slot: u32,
        /// Its count.
        recorded: u32,
        /// Absent entries, over all processes, that name it.
        actual: u32,
    },
    /// Demand paging's bookkeeping (reverse map, swap cache, free slots, frame limit)
    /// disagrees with the tables.
    #[error("demand paging: {0}")]
    Demand(String),
}

impl Kernel {
    /// Verifies every invariant of the machine and reports the first one broken:
    /// - each frame's map count equals the number of entries, over all processes, mapping it;
    /// - every mapped frame is in the user pool, and a user frame is allocated exactly when it
    ///   is mapped (no frame free and in use, none leaked);
    /// - every table frame is in the kernel pool and belongs to exactly one live process, and a
    ///   kernel frame is allocated exactly when it is a table;
    /// - entry flags obey the copy-on-write rules; page counts match the tables;
    /// - a general machine's leaves are user base pages, never dirty without being accessed;
    /// - every entry the TLB caches equals the table's entry and is readable;
    /// - the process limit holds and the current process is alive.
    ///
    /// It costs a walk of every table, plus a scan of what the run used: the frames up to the
    /// pools' high-water marks ([`phys::FramePool::allocated_span`]) and the span of frames
    /// whose map count ever changed ([`phys::MapCounts::touched`]). Past those, frames are free
    /// and counts zero by construction, so nothing there can break an invariant; a machine of
    /// 51,200 frames checks in the time its few used frames take, which is what lets the fuzz
    /// targets run it after every step.
    ///
    /// # Errors
    /// The first broken invariant.
    pub fn check(&self) -> Result<(), InvariantError> {
        let arena = &self.mem.arena;
        let user = self.mem.user.range();
        let kernel = &self.mem.kernel;
        // Entries mapping each user frame, indexed from the pool's start, and the owner of each
        // kernel frame, indexed from that pool's start: both grown to the highest frame seen,
        // not sized by the pools.
        let mut mapped: Vec<u32> = Vec::new();
        let mut table_owner: Vec<Option<Pid>> = Vec::new();
        let mut tables = 0usize;
        for p in self.procs.iter() {
            let pid = p.pid();
            for frame in p.table.table_frames(arena) {
                if !kernel.contains(frame) {
                    return Err(InvariantError::TableOutsidePool { frame, pid });
                }
                let i = (frame.as_u32() - kernel.range().start) as usize;
                if table_owner.len() <= i {
                    table_owner.resize(i + 1, None);
                }
                if let Some(other) = table_owner[i].replace(pid) {
                    return Err(InvariantError::SharedTable { frame, pid, other });
                }
                tables += 1;
                if !kernel.is_allocated(frame) {
                    return Err(InvariantError::FreeMismatch { pool: PoolKind::Kernel, frame, allocated: false });
                }
            }
            if let Some(m) = p.table.format().machine() {
                general_leaves(arena, m, p.table.root(), pid, self.demand.is_none())?;
            }
            let mut pages = 0;
            let mut tally = Tally { user: user.clone(), mapped: &mut mapped, pages: &mut pages, pid };
            let format = p.table.format();
            if format.is_general() {
                for (vpn, e) in p.table.mapped(arena) {
                    tally.entry(e, || vpn.as_u64())?;
                }
            }
            // A course format's leaves in plain loops rather than through `PageTable::mapped`,
            // 16 entries at a time: this walk is most of the check's cost, and the fuzz targets
            // run the check after every step. A block with a broken entry (or a leaf's tail, if
            // a format's leaves were not whole blocks) goes entry by entry to name it.
            for leaf in p.table.leaves(arena) {
                let mut blocks = leaf.entries.chunks_exact(BLOCK);
                let mut start = 0;
                for block in &mut blocks {
                    if !<&[Pte; BLOCK]>::try_from(block).is_ok_and(|b| tally.block(b)) {
                        for (j, &e) in block.iter().enumerate().filter(|(_, e)| e.is_present()) {
                            tally.entry(e, || format.vpn(leaf.dir_index, start + j).as_u64())?;
                        }
                    }
                    start += BLOCK;
                }
                for (j, &e) in blocks.remainder().iter().enumerate().filter(|(_, e)| e.is_present()) {
                    tally.entry(e, || format.vpn(leaf.dir_index, start + j).as_u64())?;
                }
            }
            if self.demand.is_some() {
                // Absent pages (lazy, swapped) are the process's pages too.
                pages += p.table.absent_entries(arena).len() as u32;
            }
            if pages != p.pages {
                return Err(InvariantError::PageCount { pid, recorded: p.pages, actual: pages });
            }
        }
        let actual =
            |frame: u32| frame.checked_sub(user.start).and_then(|i| mapped.get(i as usize)).copied().unwrap_or(0);
        // Map counts, in frame order, over every frame that is mapped or may have a count: the
        // counts of the mapped frames must be `mapped` and every other count zero. Compared as
        // slices first; the frame-by-frame loop runs only to name the first wrong count.
        let mapped_end = user.start + mapped.len() as u32;
        let counted = self.mem.map_counts.touched();
        let scan = if mapped.is_empty() { counted } else { counted.start.min(user.start)..counted.end.max(mapped_end) };
        let counts = self.mem.map_counts.range(scan.clone());
        let agree = if mapped.is_empty() {
            counts.iter().all(|&c| c == 0)
        } else {
            let (below, rest) = counts.split_at(((user.start - scan.start) as usize).min(counts.len()));
            let (used, above) = rest.split_at(mapped.len().min(rest.len()));
            used == mapped.as_slice() && below.iter().chain(above).all(|&c| c == 0)
        };
        if !agree {
            for frame in scan.map(Pfn::new) {
                let (recorded, actual) = (self.mem.map_counts.get(frame), actual(frame.as_u32()));
                if recorded != actual {
                    return Err(InvariantError::MapCount { frame, recorded, actual });
                }
            }
        }
        // A user frame is allocated exactly when it is mapped: over every frame that may be
        // allocated or is mapped, 64 frames at a time.
        if let Some((frame, allocated)) = self.mem.user.first_disagreement(&mapped) {
            return Err(InvariantError::FreeMismatch { pool: PoolKind::User, frame, allocated });
        }
        // Every table frame is allocated (above); an allocated frame that is no table leaked.
        if (kernel.len() - kernel.free_count()) as usize != tables {
            let start = kernel.range().start;
            let owned = |f: Pfn| table_owner.get((f.as_u32() - start) as usize).is_some_and(Option::is_some);
            if let Some(frame) = kernel.allocated().find(|&f| !owned(f)) {
                return Err(InvariantError::FreeMismatch { pool: PoolKind::Kernel, frame, allocated: true });
            }
        }
        for (pid, vpn, cached, frame) in self.tlb.entries() {
            let actual = self
                .procs
                .table(pid)
                .and_then(|t| t.translate(arena, paging::Vpn::from_u64(vpn)))
                .unwrap_or(paging::Pte::EMPTY);
            let wrong_frame = frame != u64::from(cached.frame().as_u32());
            if cached != actual || !cached.flags().contains(PteFlags::READ) || wrong_frame {
                return Err(InvariantError::StaleTlb { pid, vpn, cached, actual });
            }
        }
        if let Some(limit) = self.profile.max_processes.filter(|&l| self.procs.len() > l) {
            return Err(InvariantError::Processes(format!("{} alive, limit {limit}", self.procs.len())));
        }
        if let Some(pid) = self.current.filter(|&c| !self.procs.contains(c)) {
            return Err(InvariantError::Processes(format!("current pid {pid} is not alive")));
        }
        self.check_demand()
    }

    /// Demand paging's part of `check`.
    fn check_demand(&self) -> Result<(), crate::InvariantError> {
        use crate::InvariantError as E;
        let Some(d) = self.demand.as_deref() else { return Ok(()) };
        let mut users = vec![0u32; d.swap.len() as usize];
        let mut rmap: Vec<Vec<Mapper>> = vec![Vec::new(); d.rmap.len()];
        for p in self.procs.iter() {
            for (_, a) in p.table.absent_entries(&self.mem.arena) {
                if let AbsentKind::Swapped(slot) = a.kind {
                    match users.get_mut(slot as usize) {
                        Some(u) => *u += 1,
                        None => {
                            return Err(E::Demand(format!("pid {} names swap slot {slot}, past the area", p.pid())));
                        }
                    }
                    if users[slot as usize] > 1 && a.flags.contains(PteFlags::WRITE) {
                        return Err(E::Demand(format!("pid {}: a shared swap slot {slot} is writable", p.pid())));
                    }
                }
            }
            for (vpn, e) in p.table.mapped(&self.mem.arena) {
                match d.frame_index(e.frame()) {
                    Some(i) => {
                        rmap[i].push(Mapper { pid: p.pid(), vpn, entry: p.table.entry_addr(&self.mem.arena, vpn) })
                    }
                    None => {
                        return Err(E::Demand(format!(
                            "pid {} maps frame {} past the frame limit",
                            p.pid(),
                            e.frame()
                        )));
                    }
                }
            }
        }
        d.swap.check(&users, &d.link)?;
        for (i, (recorded, actual)) in d.rmap.iter().zip(&mut rmap).enumerate() {
            let mut recorded = recorded.clone();
            recorded.sort();
            actual.sort();
            let pages = |ms: &[Mapper]| ms.iter().map(|m| (m.pid, m.vpn)).collect::<Vec<_>>();
            if pages(&recorded) != pages(actual) {
                return Err(E::Demand(format!(
                    "frame index {i}: reverse map {:?}, entries {:?}",
                    pages(&recorded),
                    pages(actual)
                )));
            }
            // A stale address would read and clear another entry's bits: each must be where a
            // walk finds the entry.
            for (r, a) in recorded.iter().zip(actual.iter()) {
                if r.entry.is_none() || r.entry != a.entry {
                    return Err(E::Demand(format!(
                        "frame index {i}: pid {} vpn {}'s entry is at {:?}, the reverse map says {:?}",
                        r.pid, r.vpn, a.entry, r.entry
                    )));
                }
            }
            if let Some(slot) = d.link[i] {
                if d.swap.cached(slot) != Some(i as u32) || actual.is_empty() {
                    return Err(E::Demand(format!("frame index {i} caches slot {slot}, which does not say so")));
                }
            }
        }
        self.check_local()
    }
}

/// [`InvariantError::GeneralEntry`]: every leaf of a general machine's table is a base page
/// (at the last level) with the user bit, and dirty only if accessed where the layout has
/// both bits (`accessed_kept`: not under demand paging, whose policies clear R and keep M,
/// as an OS does, so that NRU's class "not referenced, modified" exists).
fn general_leaves(
    arena: &phys::Arena,
    m: &paging::MachineFormat,
    root: Pfn,
    pid: Pid,
    accessed_kept: bool,
) -> Result<(), InvariantError> {
    use paging::EntryBits;
    let last = m.geometry().levels() - 1;
    let layout = m.layout();
    let both = accessed_kept && layout.accessed.is_some() && layout.dirty.is_some();
    for map in m.mappings(arena, u64::from(root.as_u32())) {
        let bits = map.entry.bits;
        let what = if map.level != last {
            "a huge page"
        } else if !bits.contains(EntryBits::USER) {
            "not a user page"
        } else if both && bits.contains(EntryBits::DIRTY) && !bits.contains(EntryBits::ACCESSED) {
            "dirty but not accessed"
        } else {
            continue;
        };
        return Err(InvariantError::GeneralEntry { pid, va: map.va, level: map.level, what });
    }
    Ok(())
}

/// Entries `check` takes at once.
const BLOCK: usize = 16;

/// What `check` gathers from one process's present entries: how many entries map each user
/// frame (from the pool's start) and how many there are.
struct Tally<'a> {
    user: core::ops::Range<u32>,
    mapped: &'a mut Vec<u32>,
    pages: &'a mut u32,
    pid: Pid,
}

impl Tally<'_> {
    /// Checks and counts the present entries of `block` all at once, without a branch per
    /// entry (in the fuzz targets' instrumented builds every branch also bumps a counter).
    /// False, with nothing counted, if one of them is broken: [`Tally::entry`] then finds it.
    #[inline(always)]
    fn block(&mut self, block: &[Pte; BLOCK]) -> bool {
        // Most blocks of a table are empty.
        if block.iter().fold(0, |bits, e| bits | e.bits()) & PteFlags::PRESENT.bits() == 0 {
            return true;
        }
        let bit = |b: u32, flag: PteFlags| u32::from(b & flag.bits() != 0);
        // An absent entry stands for the pool's first frame, counted zero times.
        let frame = |e: &Pte| if e.is_present() { e.frame().as_u32() } else { self.user.start };
        let (mut lo, mut hi, mut bad, mut present) = (u32::MAX, 0, 0, 0u32);
        for e in block {
            let b = e.bits();
            let (p, w, ow, cow) = (
                bit(b, PteFlags::PRESENT),
                bit(b, PteFlags::WRITE),
                bit(b, PteFlags::ORIG_WRITE),
                bit(b, PteFlags::COW),
            );
            let f = frame(e);
            lo = lo.min(f);
            hi = hi.max(f);
            // The rules of `Tally::entry`: COW needs ORIG_WRITE and no WRITE; WRITE needs ORIG_WRITE.
            bad |= p & ((cow & ((ow ^ 1) | w)) | (w & (ow ^ 1)));
            // Wrapping: a block has 16 entries, and an overflow check is a branch.
            present = present.wrapping_add(p);
        }
        if bad != 0 || lo < self.user.start || hi >= self.user.end {
            return false;
        }
        let need = (hi - self.user.start) as usize + 1;
        if self.mapped.len() < need {
            self.mapped.resize(need, 0);
        }
        // Every index is below `need` (`hi` is the highest frame): the `min` only tells the
        // compiler so, which spares a bounds check per entry.
        let mapped = &mut self.mapped[..need];
        for e in block {
            let i = (frame(e).wrapping_sub(self.user.start) as usize).min(need - 1);
            // Wrapping: there are fewer than 2^32 entries in all (each takes 4 bytes of memory).
            mapped[i] = mapped[i].wrapping_add(u32::from(e.is_present()));
        }
        *self.pages = self.pages.wrapping_add(present);
        true
    }

    /// Checks one present entry (`vpn` is called only to report a broken one) and counts it.
    #[inline(always)]
    fn entry(&mut self, e: Pte, vpn: impl Fn() -> u64) -> Result<(), InvariantError> {
        let (pid, frame, f) = (self.pid, e.frame(), e.flags());
        if !self.user.contains(&frame.as_u32()) {
            return Err(InvariantError::UserPageOutsidePool { pid, vpn: vpn(), frame });
        }
        let cow_ok = !f.contains(PteFlags::COW) || (f.contains(PteFlags::ORIG_WRITE) && !f.contains(PteFlags::WRITE));
        let write_ok = !f.contains(PteFlags::WRITE) || f.contains(PteFlags::ORIG_WRITE);
        if !cow_ok || !write_ok {
            return Err(InvariantError::Flags { pid, vpn: vpn(), flags: f });
        }
        let i = (frame.as_u32() - self.user.start) as usize;
        if self.mapped.len() <= i {
            self.mapped.resize(i + 1, 0);
        }
        self.mapped[i] += 1;
        *self.pages += 1;
        Ok(())
    }
}
