//! Processes and the process table.

use std::collections::BTreeMap;

use paging::PageTable;

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
    pub(crate) table: PageTable,
    pub(crate) segments: Option<SegmentSizes>,
    pub(crate) pages: u32,
    pub(crate) cow_faults: u64,
    pub(crate) cow_copies: u64,
}

impl Process {
    pub(crate) fn new(pid: Pid, table: PageTable, segments: Option<SegmentSizes>) -> Self {
        Process { pid, table, segments, pages: 0, cow_faults: 0, cow_copies: 0 }
    }

    /// Its id.
    pub fn pid(&self) -> Pid {
        self.pid
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
/// `tables` mirrors the page table of every dense pid in 12-byte slots: translation, the hot
/// path, reads only that, not the whole `Process`.
#[derive(Debug, Default)]
pub(crate) struct ProcessTable {
    dense: Vec<Option<Process>>,
    tables: Vec<Option<PageTable>>,
    sparse: BTreeMap<Pid, Process>,
    live: usize,
}

impl ProcessTable {
    #[inline]
    pub(crate) fn get(&self, pid: Pid) -> Option<&Process> {
        let i = pid.0 as usize;
        if i < DENSE_PIDS { self.dense.get(i).and_then(Option::as_ref) } else { self.sparse_get(pid) }
    }

    /// The page table of `pid`: what every access needs, and nothing else.
    #[inline]
    pub(crate) fn table(&self, pid: Pid) -> Option<PageTable> {
        match self.tables.get(pid.0 as usize) {
            Some(t) => *t,
            None => self.sparse_get(pid).map(|p| p.table),
        }
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
            if self.dense.len() <= i {
                self.dense.resize_with(i + 1, || None);
                self.tables.resize(i + 1, None);
            }
            self.tables[i] = Some(p.table);
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
            if let Some(t) = self.tables.get_mut(i) {
                *t = None;
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
        let mut t = ProcessTable::default();
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
