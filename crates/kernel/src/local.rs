//! Local replacement under demand paging (`--scope local`): equal allocation of the frames
//! among the live processes, and one policy instance per process that chooses among that
//! process's own pages.
//!
//! The rules (equal allocation and local replacement as in Silberschatz, Galvin and Gagne,
//! *Operating System Concepts*, "Allocation of Frames"; the guide is
//! `docs/demand-paging.md`, "Local replacement"):
//!
//! - **Shares.** With `m` frames and `n` live processes, each process's share is `m / n`
//!   frames, and the `m mod n` lowest live pids have one more, so that the shares add up to
//!   `m`. Shares are worked out at each fault from the processes alive then: a new process
//!   shrinks the others' shares and an exit grows them, but nothing is evicted at that moment.
//! - **Charging.** Every resident frame is charged to one process: the one whose fault or
//!   allocation loaded the page (for a copy-on-write copy, the writer). A frame shared by fork
//!   stays charged to the process that loaded it; when that process stops mapping it (it
//!   unmaps the page, copies it on a write, or exits) while others still map it, the frame is
//!   charged to the lowest pid among them, whose policy sees it as a page just loaded.
//! - **Faults.** A process that needs a frame while it holds at least one frame and at least
//!   its share evicts one of its own pages, chosen by its own policy, even if frames are free
//!   (they belong to other processes' shares). Otherwise it takes the lowest free frame; if
//!   none is free, the process whose frames exceed its share the most (the lowest pid on a
//!   tie) gives one up, chosen by that process's policy among its pages.
//! - **Policies.** A process's policy numbers its frames `0, 1, ...` (a page taking a frame
//!   gets the lowest number free in that process), so a clock hand goes round that process's
//!   frames only; its time is the count of that process's own references, and it ticks on
//!   them. A hit on a frame charged to another process (a page shared by fork) is that
//!   process's policy's hit. `sfifo` and `2q` size their segments from the machine's frame
//!   count, not from the share.

use std::collections::{BTreeMap, BTreeSet};

use policy::{Frame, FrameBits, Options, Policy, Ref, Spec};

use crate::Kernel;
use crate::demand::{Mapper, page_id};
use crate::mmu_bits::MmuBits;
use crate::process::Pid;

/// One process's part in local replacement.
struct Holding {
    policy: Box<dyn Policy>,
    /// Its policy's frame numbers: number -> frame index, `None` for a number given up.
    frames: Vec<Option<usize>>,
    /// The numbers below `frames.len()` given up, to be taken again lowest first.
    holes: BTreeSet<usize>,
    /// Frames charged to it.
    held: u32,
    /// Its references so far: its policy's clock.
    time: u64,
}

/// Local replacement's state: the charge of every frame and every process's policy.
pub(crate) struct Local {
    spec: Spec,
    options: Options,
    /// Frames of the machine: each policy is built for this many numbers.
    frames: usize,
    /// Frame index -> the process it is charged to and its number there.
    owner: Vec<Option<(Pid, usize)>>,
    holdings: BTreeMap<Pid, Holding>,
}

impl Local {
    /// Local replacement over `frames` frames under `spec`.
    ///
    /// # Errors
    /// Options the policy refuses (checked once here: every process's policy is built alike).
    pub(crate) fn new(spec: Spec, options: &Options, frames: usize) -> Result<Local, policy::BuildError> {
        policy::build(spec, frames, options, &[])?;
        Ok(Local { spec, options: *options, frames, owner: vec![None; frames], holdings: BTreeMap::new() })
    }

    fn holding(&mut self, pid: Pid) -> &mut Holding {
        let (spec, frames) = (self.spec, self.frames);
        let options = &self.options;
        self.holdings.entry(pid).or_insert_with(|| Holding {
            // `new` built this policy with these options: a build cannot fail here, and FIFO
            // keeps the machine going should it.
            policy: policy::build(spec, frames, options, &[])
                .unwrap_or_else(|_| Box::new(policy::policies::fifo::Fifo::new(frames))),
            frames: Vec::new(),
            holes: BTreeSet::new(),
            held: 0,
            time: 0,
        })
    }

    /// Frames charged to `pid`.
    pub(crate) fn held(&self, pid: Pid) -> u32 {
        self.holdings.get(&pid).map_or(0, |h| h.held)
    }

    /// The process frame index `i` is charged to, and its number there.
    pub(crate) fn owner(&self, i: usize) -> Option<(Pid, usize)> {
        self.owner.get(i).copied().flatten()
    }

    /// Charges frame index `i` to `pid` under its lowest free number, which it returns.
    fn charge(&mut self, i: usize, pid: Pid) -> usize {
        let h = self.holding(pid);
        let n = match h.holes.pop_first() {
            Some(n) => n,
            None => {
                h.frames.push(None);
                h.frames.len() - 1
            }
        };
        h.frames[n] = Some(i);
        h.held += 1;
        if let Some(o) = self.owner.get_mut(i) {
            *o = Some((pid, n));
        }
        n
    }

    /// Takes frame index `i` from the process it is charged to, whose policy forgets it
    /// (`evict` after its own victim, else `remove`).
    pub(crate) fn uncharge(&mut self, i: usize, evicted: bool) {
        let Some((pid, n)) = self.owner.get_mut(i).and_then(Option::take) else { return };
        let Some(h) = self.holdings.get_mut(&pid) else { return };
        if evicted {
            h.policy.evict(Frame(n));
        } else {
            h.policy.remove(Frame(n));
        }
        h.frames[n] = None;
        h.holes.insert(n);
        h.held -= 1;
    }

    /// `pid` ended: its policy goes (its frames were uncharged or passed on before).
    pub(crate) fn forget(&mut self, pid: Pid) {
        self.holdings.remove(&pid);
    }

    /// Every frame index charged to `pid`, with its number.
    fn charged(&self, pid: Pid) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.holdings
            .get(&pid)
            .into_iter()
            .flat_map(|h| h.frames.iter().enumerate().filter_map(|(n, i)| Some(((*i)?, n))))
    }
}

/// One process's frames as its policy sees them: its numbers, the MMU's bits of the frames
/// they stand for, and holes where it gave a frame up.
struct LocalBits<'a> {
    mmu: MmuBits<'a>,
    frames: &'a [Option<usize>],
}

impl LocalBits<'_> {
    fn index(&self, f: Frame) -> Option<Frame> {
        self.frames.get(f.0).copied().flatten().map(Frame)
    }
}

impl FrameBits for LocalBits<'_> {
    fn frames(&self) -> usize {
        self.frames.len()
    }
    fn referenced(&self, f: Frame) -> bool {
        self.index(f).is_some_and(|i| self.mmu.referenced(i))
    }
    fn clear_referenced(&mut self, f: Frame) {
        if let Some(i) = self.index(f) {
            self.mmu.clear_referenced(i);
        }
    }
    fn modified(&self, f: Frame) -> bool {
        self.index(f).is_some_and(|i| self.mmu.modified(i))
    }
    fn resident(&self, f: Frame) -> bool {
        self.index(f).is_some()
    }
}

/// `pid`'s share of `frames` among the `live` pids (sorted): `frames / n`, one more for the
/// `frames mod n` lowest pids.
pub(crate) fn share(frames: u32, live: &[Pid], pid: Pid) -> u32 {
    let n = live.len().max(1) as u32;
    let rank = live.iter().position(|&p| p == pid).unwrap_or(live.len()) as u32;
    frames / n + u32::from(rank < frames % n)
}

impl Kernel {
    /// Whether replacement is local.
    pub(crate) fn is_local(&self) -> bool {
        self.demand.as_ref().is_some_and(|d| d.local.is_some())
    }

    /// Runs `f` on `pid`'s policy with the view of its frames, and `pid`'s reference to `page`
    /// at its own time.
    fn with_local<T>(
        &mut self,
        pid: Pid,
        page: u64,
        write: bool,
        f: impl FnOnce(&mut dyn Policy, Ref, &mut LocalBits<'_>) -> T,
    ) -> Option<T> {
        let d = self.demand.as_deref_mut()?;
        let local = d.local.as_mut()?;
        let h = local.holding(pid);
        let r = Ref { page, time: h.time, write };
        let mut bits = LocalBits {
            mmu: MmuBits { arena: &mut self.mem.arena, format: self.profile.format, rmap: &d.rmap },
            frames: &h.frames,
        };
        Some(f(&mut *h.policy, r, &mut bits))
    }

    /// The live pids, sorted, and each one's share.
    fn shares(&self) -> (u32, Vec<Pid>) {
        let frames = self.demand.as_ref().map_or(0, |d| d.config.frames);
        let mut live: Vec<Pid> = self.procs.iter().map(|p| p.pid()).collect();
        live.sort_unstable();
        (frames, live)
    }

    /// Local replacement: the process that must give a frame up for `pid` to have one, if any.
    pub(crate) fn local_donor(&self, pid: Pid) -> Option<Pid> {
        let local = self.demand.as_ref()?.local.as_ref()?;
        let (frames, live) = self.shares();
        let held = local.held(pid);
        if held > 0 && held >= share(frames, &live, pid) {
            return Some(pid);
        }
        if !self.demand_full() {
            return None;
        }
        let mut best: Option<(i64, Pid)> = None;
        for (&q, h) in &local.holdings {
            let over = i64::from(h.held) - i64::from(share(frames, &live, q));
            if h.held > 0 && best.is_none_or(|(b, _)| over > b) {
                best = Some((over, q));
            }
        }
        best.map(|(_, q)| q)
    }

    /// The frame index `donor`'s policy gives up for `cause`'s reference to `page`.
    pub(crate) fn local_victim(&mut self, donor: Pid, page: u64, write: bool) -> Option<usize> {
        let n = self.with_local(donor, page, write, |p, r, bits| p.victim(r, bits))?;
        let local = self.demand.as_deref()?.local.as_ref()?;
        // A policy must name one of its frames; should one not, its lowest keeps the machine
        // going rather than panicking.
        let h = local.holdings.get(&donor)?;
        h.frames.get(n.0).copied().flatten().or_else(|| h.frames.iter().flatten().next().copied())
    }

    /// Local replacement's part of an access of `pid`'s `vpn` in frame index `i` (after the
    /// MMU set its bits): a page just loaded is charged to `pid` and its policy's `insert`,
    /// any other reference the `hit` of the policy the frame is charged to; then `pid`'s
    /// policy ticks and its time advances.
    pub(crate) fn local_reference(&mut self, pid: Pid, vpn: paging::Vpn, i: Option<usize>, loaded: bool, write: bool) {
        let page = page_id(pid, vpn);
        if let Some(i) = i {
            let Some(local) = self.demand.as_deref_mut().and_then(|d| d.local.as_mut()) else { return };
            if loaded {
                let n = local.charge(i, pid);
                self.with_local(pid, page, write, |p, r, bits| p.insert(Frame(n), r, bits));
            } else if let Some((q, n)) = local.owner(i) {
                self.with_local(q, page, write, |p, r, bits| p.hit(Frame(n), r, bits));
            }
        }
        self.with_local(pid, page, write, |p, r, bits| p.tick(r, bits));
        if let Some(h) = self.demand.as_deref_mut().and_then(|d| d.local.as_mut()).map(|l| l.holding(pid)) {
            h.time += 1;
        }
    }

    /// Local replacement: `pid`'s `vpn` was mapped into frame index `i` without a reference
    /// (an allocation that is not lazy): charged to `pid`, its policy's `insert`.
    pub(crate) fn local_loaded(&mut self, pid: Pid, vpn: paging::Vpn, i: usize) {
        let Some(local) = self.demand.as_deref_mut().and_then(|d| d.local.as_mut()) else { return };
        let n = local.charge(i, pid);
        self.with_local(pid, page_id(pid, vpn), false, |p, r, bits| p.insert(Frame(n), r, bits));
    }

    /// Local replacement: `pid` stopped mapping frame index `i`, which others still map. If it
    /// was charged to `pid`, it is charged to the lowest pid that maps it, as a page just
    /// loaded.
    pub(crate) fn local_unmapped(&mut self, pid: Pid, i: usize) {
        let Some(d) = self.demand.as_deref_mut() else { return };
        let Some(local) = d.local.as_mut() else { return };
        if local.owner(i).map(|(p, _)| p) != Some(pid) || d.rmap[i].iter().any(|m| m.pid == pid) {
            return;
        }
        local.uncharge(i, false);
        let Some(&Mapper { pid: q, vpn, .. }) = d.rmap[i].iter().min() else { return };
        let n = local.charge(i, q);
        self.with_local(q, page_id(q, vpn), false, |p, r, bits| p.insert(Frame(n), r, bits));
    }

    /// Local replacement's part of `check`: every mapped frame is charged to a process that
    /// maps it, under a number that names it back; a free frame to none; the counts agree.
    pub(crate) fn check_local(&self) -> Result<(), crate::InvariantError> {
        use crate::InvariantError as E;
        let Some(d) = self.demand.as_deref() else { return Ok(()) };
        let Some(local) = d.local.as_ref() else { return Ok(()) };
        for (i, entries) in d.rmap.iter().enumerate() {
            match local.owner(i) {
                None if entries.is_empty() => {}
                None => return Err(E::Demand(format!("frame index {i} is mapped but charged to no process"))),
                Some((pid, n)) => {
                    if !entries.iter().any(|m| m.pid == pid) {
                        return Err(E::Demand(format!(
                            "frame index {i} is charged to pid {pid}, which does not map it"
                        )));
                    }
                    let back = local.holdings.get(&pid).and_then(|h| h.frames.get(n).copied().flatten());
                    if back != Some(i) {
                        return Err(E::Demand(format!(
                            "frame index {i} is pid {pid}'s number {n}, which names {back:?}"
                        )));
                    }
                }
            }
        }
        for (&pid, h) in &local.holdings {
            let charged = local.charged(pid).count() as u32;
            if charged != h.held || !self.procs.contains(pid) {
                return Err(E::Demand(format!(
                    "pid {pid} holds {} frames by its count, {charged} by the charges (alive: {})",
                    h.held,
                    self.procs.contains(pid)
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_equal_and_the_remainder_goes_to_the_lowest_pids() {
        let live = [Pid::new(0), Pid::new(3), Pid::new(5)];
        let shares: Vec<u32> = live.iter().map(|&p| share(7, &live, p)).collect();
        assert_eq!(shares, [3, 2, 2]);
        assert_eq!(live.iter().map(|&p| share(2, &live, p)).collect::<Vec<_>>(), [1, 1, 0]);
        assert_eq!(share(4, &[Pid::new(1)], Pid::new(1)), 4);
    }
}
