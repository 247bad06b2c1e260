//! The general tables: which tables a process's pages need (named by level and the VPN bits
//! above that level's index, so that one rule serves the course machines and a general machine
//! of any depth), the frames they occupy, and the rules a general machine's entry layout adds.

use std::collections::BTreeSet;

use kernel::{AccessError, Fault, FaultReason, NoSuchProcess, Perm, Pfn, Pid, Profile, Pte, Vpn};
use paging::{EntryBits, LeafRule};

use super::{Model, PAGE, ProcModel};

/// The rules a general machine's entry layout adds, restated from `docs/machines.md`: which
/// bits the MMU records, which permissions every page has whatever was asked, and RISC-V's
/// rule that a leaf must be readable if it is writable, and have some permission.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rules {
    pub(super) accessed: bool,
    pub(super) dirty: bool,
    pub(super) implied: Perm,
    pub(super) readable_leaves: bool,
}

/// The index bits per level (root first) and the entry rules of `profile`'s machine.
pub(super) fn shape(profile: &Profile) -> (Vec<u8>, Rules) {
    let format = &profile.format;
    let Some(g) = format.machine() else {
        let bits =
            if format.has_directory() { vec![format.dir_bits(), format.leaf_bits()] } else { vec![format.leaf_bits()] };
        return (bits, Rules::default());
    };
    let l = g.layout();
    let implied = l.implied();
    let mut perm = Perm::empty();
    perm.set(Perm::READ, implied.contains(EntryBits::READ));
    perm.set(Perm::WRITE, implied.contains(EntryBits::WRITE));
    perm.set(Perm::EXEC, implied.contains(EntryBits::EXEC));
    let rules = Rules {
        accessed: l.accessed.is_some(),
        dirty: l.dirty.is_some(),
        implied: perm,
        readable_leaves: l.leaf == LeafRule::PermBits,
    };
    (g.geometry().level_bits_all().to_vec(), rules)
}

impl Model {
    pub(super) fn vpn_count(&self) -> u32 {
        self.profile.format.vpn_count()
    }

    pub(super) fn space(&self) -> u64 {
        u64::from(self.vpn_count()) * PAGE
    }

    /// The tables below the root that `vpn` needs, root side first: `(level, VPN bits above
    /// that level's index)` for every level but the root.
    pub(super) fn tables_of(&self, vpn: u32) -> impl Iterator<Item = (usize, u64)> + '_ {
        (1..self.level_bits.len()).map(move |level| {
            let below: u32 = self.level_bits[level..].iter().map(|&b| u32::from(b)).sum();
            (level, u64::from(vpn) >> below)
        })
    }

    /// The tables below the root that mapping `vpns` in order would add to `p`, in the order
    /// they would be made: for each page, its missing tables root side first.
    pub(super) fn new_tables(&self, p: &ProcModel, vpns: impl Iterator<Item = u32>) -> Vec<(usize, u64)> {
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
    pub(super) fn table_frames(&self, p: &ProcModel) -> u32 {
        1 + p.tables.len() as u32
    }

    /// The permissions a page asked to have `perm` gets: a general machine's entries may
    /// imply some (a layout without a read bit reads every page), and a RISC-V leaf must be
    /// readable if it is writable and must have some permission (the kernel adds read).
    pub(super) fn effective(&self, perm: Perm) -> Perm {
        let mut perm = perm | self.rules.implied;
        if self.rules.readable_leaves && (perm.contains(Perm::WRITE) || perm.is_empty()) {
            perm |= Perm::READ;
        }
        perm
    }

    /// The MMU's record of an allowed access to `pid`'s page `vpn`: accessed, and dirty for a
    /// write, where the machine's entries have those bits.
    pub(super) fn record(&mut self, pid: u32, vpn: u32, write: bool) {
        let rules = self.rules;
        if let Some(page) = self.procs.get_mut(&pid).and_then(|p| p.pages.get_mut(&vpn)) {
            page.accessed |= rules.accessed;
            page.dirty |= rules.dirty && write;
        }
    }

    /// `clear_accessed_dirty`: the entry of `pid`'s present page `vpn` as it was, then its
    /// accessed and dirty bits cleared. Nothing else changes, and nothing is counted: an
    /// unmapped, absent or out-of-range page is a refusal, never a kill.
    ///
    /// # Errors
    /// As the kernel's.
    pub fn clear_accessed_dirty(&mut self, pid: Pid, vpn: Vpn) -> Result<Pte, AccessError> {
        let id = pid.as_u32();
        let p = self.procs.get_mut(&id).ok_or(NoSuchProcess { pid })?;
        let refused = AccessError::Fault(Fault {
            pid,
            addr: vpn.start_address(),
            reason: FaultReason::ReadUnmapped,
            killed: false,
        });
        let Some(page) = p.pages.get_mut(&vpn.as_u32()) else { return Err(refused) };
        // A frame no entry can hold is one the kernel's walk cannot give back: not mapped.
        let Ok(old) = Pte::new(Pfn::new(page.frame), page.flags()) else { return Err(refused) };
        let (frame, dirty) = (page.frame, page.dirty);
        page.accessed = false;
        page.dirty = false;
        if dirty {
            // Demand paging: the dirty bit was all that said the frame's swap copy is stale;
            // the copy is forgotten, so the next eviction writes the page.
            if let Some(f) = self.frames.get_mut(&frame) {
                f.link = None;
            }
        }
        self.touched_pages.push((id, vpn.as_u32()));
        Ok(old)
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
    pub(super) fn preorder(&self, p: &ProcModel) -> Vec<((usize, u64), u32)> {
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
    /// Gives `p` the tables that `vpn` needs and it has not, root side first, each from the
    /// lowest free kernel frame.
    pub(super) fn add_tables(&mut self, p: &mut ProcModel, vpn: u32) {
        let needed: Vec<(usize, u64)> = self.tables_of(vpn).collect();
        for t in needed {
            p.tables.entry(t).or_insert_with(|| self.kernel_free.pop_first().unwrap_or_default());
        }
    }
}
