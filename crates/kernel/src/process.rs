//! Processes and the process table.

use std::collections::BTreeMap;

use paging::{Format, PageTable, Pte, VirtAddr, Vpn, Walker};
use phys::{Arena, Pfn};

use crate::SegmentSizes;

/// A process id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pid(u32);

impl Pid {
    /// Process id `n`.
    pub const fn new(n: u32) -> Self {
        Pid(n)
    }

    /// The id as an integer.
    pub const fn as_u32(self) -> u32 {
        self.0
    }
}

impl core::fmt::Display for Pid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.0, f)
    }
}

/// One process: its page table and what the kernel counts about it.
#[derive(Debug, Clone)]
pub struct Process {
    pid: Pid,
    /// The process it was forked from (`None` for the boot process and `create_ps`).
    pub(crate) parent: Option<Pid>,
    pub(crate) table: PageTable,
    pub(crate) segments: Option<SegmentSizes>,
    pub(crate) pages: u32,
    pub(crate) cow_faults: u64,
    pub(crate) cow_copies: u64,
    pub(crate) paging: crate::PagingStats,
}

impl Process {
    pub(crate) fn new(pid: Pid, table: PageTable, segments: Option<SegmentSizes>) -> Self {
        Process {
            pid,
            parent: None,
            table,
            segments,
            pages: 0,
            cow_faults: 0,
            cow_copies: 0,
            paging: crate::PagingStats::default(),
        }
    }

    /// Its id.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The pid of the process it was forked from, as it was at the fork (that process may
    /// have exited since); `None` for the boot process and processes made by `create_ps`.
    pub fn parent(&self) -> Option<Pid> {
        self.parent
    }

    /// Its page table.
    pub fn table(&self) -> PageTable {
        self.table
    }

    /// The segment sizes it was created with (`create_ps`), inherited by its forks.
    pub fn segments(&self) -> Option<SegmentSizes> {
        self.segments
    }

    /// Pages it maps.
    pub fn pages_mapped(&self) -> u32 {
        self.pages
    }
}

/// Pids below this are kept in a vector, indexed directly: the hot path of every access looks
/// a process up. Larger pids (`ajou` accepts any `switch N`) go to a map.
const DENSE_PIDS: usize = 1024;

/// Live processes by pid.
///
/// `roots` mirrors the root frame of every dense pid's page table in 4 bytes (all tables have
/// the machine's one format): translation, the hot path, reads only that, not the whole
/// `Process`, and an array of roots is what a single-level walk indexes directly.
#[derive(Debug)]
pub(crate) struct ProcessTable {
    dense: Vec<Option<Process>>,
    roots: Vec<u32>,
    walker: Walker,
    sparse: BTreeMap<Pid, Process>,
    live: usize,
}

/// A `roots` slot without a process: no frame has this number, so a walk from it fails the
/// arena's bounds check like any corrupt root would.
pub(crate) const NO_ROOT: u32 = u32::MAX;

impl ProcessTable {
    /// An empty table for processes whose page tables have `format`.
    pub(crate) fn new(format: Format) -> Self {
        ProcessTable {
            dense: Vec::new(),
            roots: Vec::new(),
            walker: Walker::new(format),
            sparse: BTreeMap::new(),
            live: 0,
        }
    }

    #[inline]
    pub(crate) fn get(&self, pid: Pid) -> Option<&Process> {
        let i = pid.0 as usize;
        if i < DENSE_PIDS { self.dense.get(i).and_then(Option::as_ref) } else { self.sparse_get(pid) }
    }

    /// The page table of `pid`: what every access needs, and nothing else.
    #[inline]
    pub(crate) fn table(&self, pid: Pid) -> Option<PageTable> {
        match self.roots.get(pid.0 as usize) {
            Some(&NO_ROOT) => None,
            Some(&root) => Some(PageTable::from_root(Pfn::new(root), self.walker.format())),
            None => self.sparse_get(pid).map(|p| p.table),
        }
    }

    /// The present entry for `addr` in `pid`'s table, if `pid` is live and its page mapped: the
    /// simulated MMU. A dense pid's walk starts from its `roots` slot and the table's format
    /// with the machine's [`Walker`]; a free slot's [`NO_ROOT`] fails the walk by itself.
    #[inline(always)]
    pub(crate) fn translate(&self, arena: &Arena, pid: Pid, addr: VirtAddr) -> Option<Pte> {
        match self.roots.get(pid.0 as usize) {
            Some(&root) => self.walker.translate(arena, Pfn::new(root), addr),
            None => self.sparse_get(pid)?.table.translate(arena, Vpn::containing(addr)?),
        }
    }

    /// [`ProcessTable::translate`] on a course machine; `None` (nothing walked) on a general
    /// one (see [`paging::Walker::translate_course`]).
    #[inline(always)]
    pub(crate) fn translate_course(&self, arena: &Arena, pid: Pid, addr: VirtAddr) -> Option<Pte> {
        match self.roots.get(pid.0 as usize) {
            Some(&root) => self.walker.translate_course(arena, Pfn::new(root), addr),
            None if self.walker.format().is_general() => None,
            None => self.sparse_get(pid)?.table.translate(arena, Vpn::containing(addr)?),
        }
    }

    /// Whether the machine's format is general: read where [`ProcessTable::translate_course`]
    /// reads it, so that a caller's test after a failed walk can reuse the walk's.
    #[inline(always)]
    pub(crate) fn is_general(&self) -> bool {
        self.walker.format().is_general()
    }

    // Out of line so that the B-tree search stays out of the callers' hot loops.
    #[cold]
    #[inline(never)]
    fn sparse_get(&self, pid: Pid) -> Option<&Process> {
        self.sparse.get(&pid)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, pid: Pid) -> Option<&mut Process> {
        let i = pid.0 as usize;
        if i < DENSE_PIDS { self.dense.get_mut(i).and_then(Option::as_mut) } else { self.sparse.get_mut(&pid) }
    }

    pub(crate) fn contains(&self, pid: Pid) -> bool {
        self.get(pid).is_some()
    }

    /// Inserts a process whose pid is not in use.
    pub(crate) fn insert(&mut self, p: Process) {
        let i = p.pid.0 as usize;
        let old = if i < DENSE_PIDS {
            debug_assert_eq!(p.table.format(), self.walker.format(), "one format per machine");
            if self.dense.len() <= i {
                self.dense.resize_with(i + 1, || None);
                self.roots.resize(i + 1, NO_ROOT);
            }
            self.roots[i] = p.table.root().as_u32();
            self.dense[i].replace(p)
        } else {
            self.sparse.insert(p.pid, p)
        };
        debug_assert!(old.is_none(), "pid inserted twice");
        self.live += 1;
    }

    pub(crate) fn remove(&mut self, pid: Pid) -> Option<Process> {
        let i = pid.0 as usize;
        let p = if i < DENSE_PIDS {
            if let Some(r) = self.roots.get_mut(i) {
                *r = NO_ROOT;
            }
            self.dense.get_mut(i).and_then(Option::take)
        } else {
            self.sparse.remove(&pid)
        };
        if p.is_some() {
            self.live -= 1;
        }
        p
    }

    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// The lowest pid not in use.
    pub(crate) fn lowest_free_pid(&self) -> Pid {
        match self.dense.iter().position(Option::is_none) {
            Some(i) => Pid(i as u32),
            None if self.dense.len() < DENSE_PIDS => Pid(self.dense.len() as u32),
            // Every dense pid is taken: the first gap among the sparse ones.
            None => {
                let mut next = DENSE_PIDS as u32;
                for &pid in self.sparse.keys() {
                    if pid.0 != next {
                        break;
                    }
                    next += 1;
                }
                Pid(next)
            }
        }
    }

    /// Live processes in pid order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Process> {
        self.dense.iter().flatten().chain(self.sparse.values())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paging::Format;
    use phys::{MemoryLayout, PhysMemory};

    #[test]
    fn dense_and_sparse_pids_and_the_lowest_free_one() {
        let mut m = PhysMemory::new(MemoryLayout::AJOU).unwrap();
        let mut t = ProcessTable::new(Format::AJOU);
        let mut table = || PageTable::new(&mut m.arena, &mut m.kernel, Format::AJOU).unwrap();
        assert_eq!(t.lowest_free_pid(), Pid(0));
        t.insert(Process::new(Pid(0), table(), None));
        t.insert(Process::new(Pid(2), table(), None));
        t.insert(Process::new(Pid(4_000_000_000), table(), None));
        assert_eq!(t.lowest_free_pid(), Pid(1));
        assert_eq!(t.len(), 3);
        assert!(t.contains(Pid(4_000_000_000)));
        assert_eq!(t.table(Pid(2)), t.get(Pid(2)).map(|p| p.table));
        assert_eq!(t.table(Pid(4_000_000_000)), t.get(Pid(4_000_000_000)).map(|p| p.table));
        assert_eq!(t.table(Pid(1)), None);
        assert_eq!(t.iter().map(|p| p.pid().0).collect::<Vec<_>>(), [0, 2, 4_000_000_000]);
        assert!(t.remove(Pid(2)).is_some());
        assert!(t.remove(Pid(2)).is_none());
        assert_eq!(t.table(Pid(2)), None);
        assert_eq!(t.len(), 2);
    }
}
