//! Snapshots: the machine's state as plain serialisable data, read through the kernel's own
//! inspection API (`processes`, `leaf_tables`, `stats`, the map counts of `PhysMemory`), never
//! from printed text.

use kernel::{Kernel, Pfn, Pte, PteFlags, Vpn};
use serde::Serialize;

/// The bits of an entry's `flags` as the view encodes them, in JSON and in templates.
///
/// They are not the PTE's bit layout (that belongs to `paging` and may change with the entry
/// format): they are the small stable set the page's script and the SVG template decode. A
/// present entry always has at least one of them or none at all (a valid page with no
/// permission); an entry that is not present is never in a snapshot.
pub mod flag {
    /// The page may be read.
    pub const READ: u8 = 1;
    /// The page may be written now.
    pub const WRITE: u8 = 2;
    /// The page may be executed.
    pub const EXEC: u8 = 4;
    /// The frame is shared copy-on-write (the write bit is clear only because of that).
    pub const COW: u8 = 8;
    /// The page was allocated writable (the Ajou framework's `private`).
    pub const ORIG_WRITE: u8 = 16;
}

/// The view's [`flag`] bits of a page-table entry.
pub fn flags_of(pte: Pte) -> u8 {
    let f = pte.flags();
    [
        (PteFlags::READ, flag::READ),
        (PteFlags::WRITE, flag::WRITE),
        (PteFlags::EXEC, flag::EXEC),
        (PteFlags::COW, flag::COW),
        (PteFlags::ORIG_WRITE, flag::ORIG_WRITE),
    ]
    .into_iter()
    .filter(|&(bit, _)| f.contains(bit))
    .fold(0, |acc, (_, b)| acc | b)
}

/// `flags` as the letters the view prints: `r`, `w`, `x` for the permissions in force, then
/// ` cow` for a shared copy-on-write entry; `-` for an entry with no permission at all.
pub fn flag_letters(flags: u8) -> String {
    let mut s = String::new();
    for (bit, c) in [(flag::READ, 'r'), (flag::WRITE, 'w'), (flag::EXEC, 'x')] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    if s.is_empty() {
        s.push('-');
    }
    if flags & flag::COW != 0 {
        s.push_str(" cow");
    }
    s
}

/// A range of frame numbers: `count` frames from `first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FrameRange {
    /// The first frame number.
    pub first: u32,
    /// How many frames.
    pub count: u32,
}

/// What does not change while a machine runs: its shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MachineInfo {
    /// The profile's name (`ajou`, `mtl458`, ...).
    pub profile: String,
    /// Frames that hold pages (the user pool).
    pub user_frames: FrameRange,
    /// Frames that hold page tables (the kernel pool).
    pub kernel_frames: FrameRange,
    /// Whether a process's root table is a directory above its leaf tables (false: the root is
    /// the only leaf).
    pub directory: bool,
    /// Whether the machine has the shell's TLB (`ajou -t`): only then is there a TLB to show.
    pub tlb: bool,
}

impl MachineInfo {
    /// The shape of `kernel`'s machine; `tlb` says whether the shell keeps a TLB beside it.
    pub fn of(kernel: &Kernel, tlb: bool) -> Self {
        let range = |r: core::ops::Range<u32>| FrameRange { first: r.start, count: r.end.saturating_sub(r.start) };
        MachineInfo {
            profile: kernel.profile().name.to_string(),
            user_frames: range(kernel.mem().user.range()),
            kernel_frames: range(kernel.mem().kernel.range()),
            directory: kernel.profile().format.has_directory(),
            tlb,
        }
    }
}

/// One present entry of a leaf table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EntryView {
    /// Its index in the leaf table.
    pub index: u32,
    /// The virtual page it maps.
    pub vpn: u32,
    /// The frame it maps.
    pub frame: u32,
    /// Its [`flag`] bits.
    pub flags: u8,
}

/// One leaf table of a process: where it lives and its present entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableView {
    /// Its index in the directory (0 for a single-level table).
    pub dir_index: u32,
    /// The VPN of its first entry.
    pub first_vpn: u32,
    /// The (kernel-pool) frame it occupies.
    pub frame: u32,
    /// Entries it has, present or not.
    pub size: u32,
    /// Its present entries, in index order.
    pub entries: Vec<EntryView>,
}

/// One live process and its page-table tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessView {
    /// Its pid.
    pub pid: u32,
    /// The frame of its root table: the directory, or the only leaf of a single-level table.
    pub root: u32,
    /// Its existing leaf tables, in directory order (empty ones included: they exist).
    pub tables: Vec<TableView>,
}

/// How many entries map one frame, and who they belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameView {
    /// The frame number.
    pub frame: u32,
    /// Its map count, as the kernel keeps it (`PhysMemory::map_counts`).
    pub count: u32,
    /// The pids whose entries map it, ascending, each once.
    pub owners: Vec<u32>,
    /// Whether some entry maps it copy-on-write.
    pub cow: bool,
}

/// One valid entry of the shell's TLB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TlbEntry {
    /// The virtual page.
    pub vpn: u32,
    /// The frame cached for it.
    pub frame: u32,
}

/// The numbers `stats` prints, as the kernel counts them (`Kernel::stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatsView {
    /// Processes alive.
    pub live_processes: u64,
    /// Present entries over all processes.
    pub pages_mapped: u64,
    /// User frames mapped by more than one entry.
    pub frames_shared: u64,
    /// Free user frames.
    pub user_frames_free: u64,
    /// Free kernel frames.
    pub kernel_frames_free: u64,
    /// Forks so far.
    pub forks: u64,
    /// Copy-on-write faults handled so far.
    pub cow_faults: u64,
    /// Of those, the ones that copied the page.
    pub cow_copies: u64,
    /// Processes killed for an illegal access.
    pub kills: u64,
    /// Illegal accesses refused without a kill.
    pub refused: u64,
}

impl StatsView {
    /// The field names, in the order of [`StatsView::values`].
    pub const NAMES: [&'static str; 10] = [
        "live processes",
        "pages mapped",
        "shared frames",
        "free user frames",
        "free kernel frames",
        "forks",
        "copy-on-write faults",
        "copy-on-write copies",
        "kills",
        "refused accesses",
    ];

    /// `kernel`'s statistics now.
    pub fn of(kernel: &Kernel) -> Self {
        let s = kernel.stats();
        let c = s.counters;
        StatsView {
            live_processes: s.live_processes as u64,
            pages_mapped: s.pages_mapped,
            frames_shared: u64::from(s.frames_shared),
            user_frames_free: u64::from(s.user_frames_free),
            kernel_frames_free: u64::from(s.kernel_frames_free),
            forks: c.forks,
            cow_faults: c.cow_faults,
            cow_copies: c.cow_copies,
            kills: c.kills,
            refused: c.refused,
        }
    }

    /// `before` (in the order of [`StatsView::NAMES`]) with the event counters brought up to
    /// date from `kernel`: what [`StatsView::of`] gives when no table, entry or process changed
    /// since `before` was taken, without its scan of every frame.
    pub fn counted(kernel: &Kernel, before: &[u64; 10]) -> Self {
        let c = kernel.counters();
        StatsView {
            live_processes: before[0],
            pages_mapped: before[1],
            frames_shared: before[2],
            user_frames_free: before[3],
            kernel_frames_free: before[4],
            forks: c.forks,
            cow_faults: c.cow_faults,
            cow_copies: c.cow_copies,
            kills: c.kills,
            refused: c.refused,
        }
    }

    /// The numbers in the order of [`StatsView::NAMES`].
    pub fn values(&self) -> [u64; 10] {
        [
            self.live_processes,
            self.pages_mapped,
            self.frames_shared,
            self.user_frames_free,
            self.kernel_frames_free,
            self.forks,
            self.cow_faults,
            self.cow_copies,
            self.kills,
            self.refused,
        ]
    }
}

/// The whole visible state of a machine at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// The machine's shape.
    pub machine: MachineInfo,
    /// The current process, if any.
    pub current: Option<u32>,
    /// Live processes, in pid order.
    pub processes: Vec<ProcessView>,
    /// User frames some entry maps, in frame order (free frames are left out).
    pub frames: Vec<FrameView>,
    /// The shell's TLB in the order it lists it, if the machine has one.
    pub tlb: Option<Vec<TlbEntry>>,
    /// The kernel's statistics.
    pub stats: StatsView,
}

impl Snapshot {
    /// Reads `kernel`'s state; `tlb` is the shell's TLB (valid entries in listing order), if
    /// the shell keeps one.
    ///
    /// Costs one pass over every leaf table of every live process.
    pub fn take(kernel: &Kernel, tlb: Option<&[(Vpn, Pfn)]>) -> Self {
        let mut processes = Vec::new();
        let mut owners: std::collections::BTreeMap<u32, (Vec<u32>, bool)> = Default::default();
        for p in kernel.processes() {
            let pid = p.pid().as_u32();
            let root = p.table().root().as_u32();
            let mut tables = Vec::new();
            // A live process always has its tables; `leaf_tables` fails only for a dead pid.
            for leaf in kernel.leaf_tables(p.pid()).into_iter().flatten() {
                let entries: Vec<EntryView> = present(leaf.first_vpn, leaf.entries).collect();
                for e in &entries {
                    let o = owners.entry(e.frame).or_default();
                    if o.0.last() != Some(&pid) {
                        o.0.push(pid);
                    }
                    o.1 |= e.flags & flag::COW != 0;
                }
                tables.push(TableView {
                    dir_index: leaf.dir_index as u32,
                    first_vpn: leaf.first_vpn.as_u32(),
                    frame: leaf.frame.as_u32(),
                    size: leaf.entries.len() as u32,
                    entries,
                });
            }
            processes.push(ProcessView { pid, root, tables });
        }
        let counts = &kernel.mem().map_counts;
        let frames = owners
            .into_iter()
            .map(|(frame, (owners, cow))| FrameView { frame, count: counts.get(Pfn::new(frame)), owners, cow })
            .collect();
        Snapshot {
            machine: MachineInfo::of(kernel, tlb.is_some()),
            current: kernel.current().map(|p| p.as_u32()),
            processes,
            frames,
            tlb: tlb.map(|t| t.iter().map(|&(v, f)| TlbEntry { vpn: v.as_u32(), frame: f.as_u32() }).collect()),
            stats: StatsView::of(kernel),
        }
    }
}

/// The present entries of a leaf table whose first entry maps `first_vpn`.
pub(crate) fn present(first_vpn: Vpn, entries: &[Pte]) -> impl Iterator<Item = EntryView> + '_ {
    entries.iter().enumerate().filter(|(_, e)| e.is_present()).map(move |(i, e)| EntryView {
        index: i as u32,
        vpn: first_vpn.as_u32() + i as u32,
        frame: e.frame().as_u32(),
        flags: flags_of(*e),
    })
}

#[cfg(test)]
mod tests {
    use kernel::{Access, Perm, Pid, Profile};

    use super::*;

    #[test]
    fn a_fork_and_a_copy_on_write_fault_as_the_snapshot_shows_them() {
        let mut k = Kernel::new(Profile::AJOU).unwrap();
        k.map_page(Pid::new(0), Vpn::new(2), Perm::READ | Perm::WRITE).unwrap();
        k.map_page(Pid::new(0), Vpn::new(17), Perm::READ).unwrap();
        k.switch(Pid::new(1)).unwrap();
        let s = Snapshot::take(&k, None);
        assert_eq!(s.current, Some(1));
        assert_eq!(s.processes.len(), 2);
        assert!(s.machine.directory);
        let p1 = &s.processes[1];
        assert_eq!(p1.tables.iter().map(|t| t.dir_index).collect::<Vec<_>>(), [0, 1]);
        let e = p1.tables[0].entries[0];
        assert_eq!((e.vpn, e.frame), (2, 0));
        assert_eq!(e.flags, flag::READ | flag::COW | flag::ORIG_WRITE);
        assert_eq!(s.frames[0], FrameView { frame: 0, count: 2, owners: vec![0, 1], cow: true });
        // A read-only page is shared, not copy-on-write: a write to it is refused, not copied.
        assert_eq!(s.frames[1], FrameView { frame: 1, count: 2, owners: vec![0, 1], cow: false });
        k.touch(Pid::new(1), Vpn::new(2), Access::Write).unwrap();
        let s = Snapshot::take(&k, Some(&[(Vpn::new(2), Pfn::new(2))]));
        let e = s.processes[1].tables[0].entries[0];
        assert_eq!((e.frame, flag_letters(e.flags)), (2, "rw".to_string()));
        assert_eq!(s.frames.iter().map(|f| (f.frame, f.count)).collect::<Vec<_>>(), [(0, 1), (1, 2), (2, 1)]);
        assert_eq!(s.tlb, Some(vec![TlbEntry { vpn: 2, frame: 2 }]));
        assert_eq!(s.stats.cow_faults, 1);
    }

    #[test]
    fn a_single_level_table_has_no_directory() {
        let mut k = Kernel::new(Profile::MTL458).unwrap();
        let pid = k.create_ps(kernel::SegmentSizes { code: 4096, ro_data: 0, rw_data: 0, stack: 4096 }, b"").unwrap();
        let s = Snapshot::take(&k, None);
        let p = &s.processes[0];
        assert_eq!(p.pid, pid.as_u32());
        assert!(!s.machine.directory);
        assert_eq!(p.tables.len(), 1);
        assert_eq!(p.tables[0].size, 1024);
        assert_eq!(p.tables[0].entries.len(), 2);
        assert_eq!(flag_letters(p.tables[0].entries[0].flags), "rx");
    }
}
