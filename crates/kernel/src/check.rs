//! `check`: every invariant of the machine, verified from scratch.

use std::collections::HashMap;

use paging::PteFlags;
use phys::{Pfn, PoolKind};

use crate::Kernel;
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
    /// It costs a walk of every table, every user frame and the kernel pool's bitmap (not its
    /// frames): for tests and the shell's `check`.
    ///
    /// # Errors
    /// The first broken invariant.
    pub fn check(&self) -> Result<(), InvariantError> {
        let arena = &self.mem.arena;
        // Entries mapping each frame up to the end of the user pool (the only frames an entry
        // may map), and the owner of each table frame: sized by what is used, not by the
        // arena, so that a large pool of table frames costs nothing here.
        let user = self.mem.user.range();
        let mut mapped = vec![0u32; user.end as usize];
        let mut table_owner: HashMap<Pfn, Pid> = HashMap::new();
        for p in self.procs.iter() {
            let pid = p.pid();
            for frame in p.table.table_frames(arena) {
                if !self.mem.kernel.contains(frame) {
                    return Err(InvariantError::TableOutsidePool { frame, pid });
                }
                if let Some(other) = table_owner.insert(frame, pid) {
                    return Err(InvariantError::SharedTable { frame, pid, other });
                }
                if !self.mem.kernel.is_allocated(frame) {
                    return Err(InvariantError::FreeMismatch { pool: PoolKind::Kernel, frame, allocated: false });
                }
            }
            if let Some(m) = p.table.format().machine() {
                general_leaves(arena, m, p.table.root(), pid)?;
            }
            let mut pages = 0;
            for (vpn, e) in p.table.mapped(arena) {
                let frame = e.frame();
                if !self.mem.user.contains(frame) {
                    return Err(InvariantError::UserPageOutsidePool { pid, vpn: vpn.as_u64(), frame });
                }
                let f = e.flags();
                let cow_ok =
                    !f.contains(PteFlags::COW) || (f.contains(PteFlags::ORIG_WRITE) && !f.contains(PteFlags::WRITE));
                let write_ok = !f.contains(PteFlags::WRITE) || f.contains(PteFlags::ORIG_WRITE);
                if !cow_ok || !write_ok {
                    return Err(InvariantError::Flags { pid, vpn: vpn.as_u64(), flags: f });
                }
                mapped[frame.index()] += 1;
                pages += 1;
            }
            if pages != p.pages {
                return Err(InvariantError::PageCount { pid, recorded: p.pages, actual: pages });
            }
        }
        // Map counts stop at the user pool's end too (`PhysMemory::new`).
        for (i, &actual) in mapped.iter().enumerate() {
            let frame = Pfn::new(i as u32);
            let recorded = self.mem.map_counts.get(frame);
            if recorded != actual {
                return Err(InvariantError::MapCount { frame, recorded, actual });
            }
        }
        for frame in user.map(Pfn::new) {
            let allocated = self.mem.user.is_allocated(frame);
            if allocated != (mapped[frame.index()] > 0) {
                return Err(InvariantError::FreeMismatch { pool: PoolKind::User, frame, allocated });
            }
        }
        // Every table frame is allocated (above); an allocated frame that is no table leaked.
        let kernel = &self.mem.kernel;
        if (kernel.len() - kernel.free_count()) as usize != table_owner.len() {
            if let Some(frame) = kernel.allocated().find(|f| !table_owner.contains_key(f)) {
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
        Ok(())
    }
}

/// [`InvariantError::GeneralEntry`]: every leaf of a general machine's table is a base page
/// (at the last level) with the user bit, and dirty only if accessed where the layout has
/// both bits.
fn general_leaves(arena: &phys::Arena, m: &paging::MachineFormat, root: Pfn, pid: Pid) -> Result<(), InvariantError> {
    use paging::EntryBits;
    let last = m.geometry().levels() - 1;
    let layout = m.layout();
    let both = layout.accessed.is_some() && layout.dirty.is_some();
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
