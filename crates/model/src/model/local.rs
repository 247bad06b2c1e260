//! Local replacement (`--scope local`), restated from `docs/demand-paging.md` ("Local
//! replacement"): each live process's share of the frames, the frames charged to each process
//! with its own policy and time (its holding), and the victim a process gives up.
//!
//! The rule, as the model applies it:
//! - Local replacement (`--scope local`): each live process's share is `m / n` of the `m`
//!   frames, one more for the `m mod n` lowest pids, worked out at each fault. Every resident
//!   frame is charged to the process that loaded it, under its lowest free number; a process
//!   holding a frame and at least its share evicts its own page, by its own policy (at its own
//!   time: its references), free frames or not; otherwise it takes a free frame, or the process
//!   furthest over its share (lowest pid on a tie) gives one up. A hit on a frame charged to
//!   another process is that process's policy's hit. A frame its owner stops mapping while
//!   others map it goes to the lowest pid mapping it, as a page just loaded.

use std::collections::BTreeMap;

use super::demand::{EntryBits, Reached};
use super::victims::{Bits, Reference, Victims};
use super::{Model, ProcModel};

/// Local replacement, restated from `docs/demand-paging.md` ("Local replacement"): every
/// resident frame is charged to one process under a number of its own; each process has its
/// own policy over its numbers and its own time (its references).
#[derive(Debug, Clone, Default)]
pub(super) struct Local {
    /// Frame -> the process it is charged to and its number there.
    charges: BTreeMap<u32, (u32, usize)>,
    /// Per live process that has referenced or loaded a page: its policy and time.
    holdings: BTreeMap<u32, Holding>,
}

#[derive(Debug, Clone)]
struct Holding {
    victims: Victims,
    /// Its references so far: its policy's clock.
    time: u64,
    /// Numbers it has ever handed out (its policy's view); given-up ones are holes.
    numbers: usize,
}

/// One process's numbers as its policy sees them, over the entries' bits.
struct LocalBits<'a> {
    procs: &'a mut BTreeMap<u32, ProcModel>,
    base: u32,
    /// Number -> frame index.
    map: Vec<Option<usize>>,
}

impl Bits for LocalBits<'_> {
    fn referenced(&self, i: usize) -> bool {
        self.map.get(i).copied().flatten().is_some_and(|f| EntryBits::peek(self.procs, self.base, f, |pg| pg.accessed))
    }
    fn clear_referenced(&mut self, i: usize) {
        if let Some(f) = self.map.get(i).copied().flatten() {
            EntryBits { procs: self.procs, base: self.base, frames: 0 }.clear_referenced(f);
        }
    }
    fn modified(&self, i: usize) -> bool {
        self.map.get(i).copied().flatten().is_some_and(|f| EntryBits::peek(self.procs, self.base, f, |pg| pg.dirty))
    }
    fn view(&self) -> usize {
        self.map.len()
    }
    fn resident(&self, i: usize) -> bool {
        self.map.get(i).is_some_and(Option::is_some)
    }
}

impl Model {
    pub(super) fn is_local(&self) -> bool {
        self.local().is_some()
    }

    fn local(&self) -> Option<&Local> {
        self.demand.as_ref()?.local.as_ref()
    }

    fn local_mut(&mut self) -> Option<&mut Local> {
        self.demand.as_deref_mut()?.local.as_mut()
    }

    /// Frames charged to `pid`.
    fn held(&self, pid: u32) -> u32 {
        self.local().map_or(0, |l| l.charges.values().filter(|&&(p, _)| p == pid).count() as u32)
    }

    /// `pid`'s share: `m / n` of the `m` frames among the `n` live processes, one more for
    /// each of the `m mod n` lowest live pids.
    fn share(&self, pid: u32) -> u32 {
        let m = self.demand.as_ref().map_or(0, |d| d.config.frames);
        let n = self.procs.len().max(1) as u32;
        let rank = self.procs.keys().position(|&p| p == pid).unwrap_or(self.procs.len()) as u32;
        m / n + u32::from(rank < m % n)
    }

    /// The process that must give a frame up for `pid` to have one: `pid` itself if it holds
    /// a frame and at least its share; none while a frame is free; else the process over its
    /// share the most (the lowest pid on a tie).
    fn donor(&self, pid: u32) -> Option<u32> {
        let held = self.held(pid);
        if held > 0 && held >= self.share(pid) {
            return Some(pid);
        }
        if !self.demand_full() {
            return None;
        }
        let mut best: Option<(i64, u32)> = None;
        for &q in self.procs.keys() {
            let held = self.held(q);
            let over = i64::from(held) - i64::from(self.share(q));
            if held > 0 && best.is_none_or(|(b, _)| over > b) {
                best = Some((over, q));
            }
        }
        best.map(|(_, q)| q)
    }

    /// Whether `pid` must evict before it takes a frame: memory is full (global), or a donor
    /// must give one up (local).
    pub(super) fn needs_room(&self, pid: u32) -> bool {
        if self.is_local() { self.donor(pid).is_some() } else { self.demand_full() }
    }

    /// Runs `f` on `pid`'s policy (made at its first use) with its numbers' bits and its time.
    pub(super) fn local_call<T>(
        &mut self,
        pid: u32,
        f: impl FnOnce(&mut Victims, &mut dyn Bits, u64) -> T,
    ) -> Option<T> {
        let base = self.profile.memory.user.start;
        let d = self.demand.as_deref_mut()?;
        let (spec, options, n) = (d.spec, d.options, d.config.frames as usize);
        let local = d.local.as_mut()?;
        let h = local.holdings.entry(pid).or_insert_with(|| Holding {
            victims: Victims::new(spec, n, options)
                .unwrap_or_else(|| Victims::with_future(spec, n, options, Vec::new())),
            time: 0,
            numbers: 0,
        });
        let mut map = vec![None; h.numbers];
        for (&frame, &(p, k)) in &local.charges {
            if p == pid {
                if let Some(slot) = map.get_mut(k) {
                    *slot = Some(frame.saturating_sub(base) as usize);
                }
            }
        }
        let mut bits = LocalBits { procs: &mut self.procs, base, map };
        Some(f(&mut h.victims, &mut bits, h.time))
    }

    /// Charges `frame` to `pid` under its lowest number not in use, which it returns.
    pub(super) fn charge(&mut self, frame: u32, pid: u32) -> usize {
        self.local_call(pid, |_, _, _| ());
        let Some(local) = self.local_mut() else { return 0 };
        let used: Vec<usize> = local.charges.values().filter(|&&(p, _)| p == pid).map(|&(_, k)| k).collect();
        let Some(h) = local.holdings.get_mut(&pid) else { return 0 };
        let n = (0..h.numbers).find(|k| !used.contains(k)).unwrap_or(h.numbers);
        h.numbers = h.numbers.max(n + 1);
        local.charges.insert(frame, (pid, n));
        n
    }

    /// Takes `frame` from the process it is charged to, whose policy forgets it (`evict`
    /// after its own victim, else `remove`).
    pub(super) fn uncharge(&mut self, frame: u32, evicted: bool) {
        let Some(local) = self.local_mut() else { return };
        let Some((pid, n)) = local.charges.remove(&frame) else { return };
        if let Some(h) = local.holdings.get_mut(&pid) {
            if evicted {
                h.victims.evict(n);
            } else {
                h.victims.remove(n);
            }
        }
    }

    /// `pid` stopped mapping `frame`, which others still map: if it was charged to `pid`, it
    /// goes to the lowest pid that maps it (at its lowest VPN there), as a page just loaded.
    pub(super) fn local_unmapped(&mut self, pid: u32, frame: u32) {
        if self.local().and_then(|l| l.charges.get(&frame)).map(|&(p, _)| p) != Some(pid) {
            return;
        }
        let maps = |p: &ProcModel| p.pages.iter().filter(|(_, pg)| pg.frame == frame).map(|(&v, _)| v).min();
        if self.procs.get(&pid).and_then(maps).is_some() {
            return;
        }
        self.uncharge(frame, false);
        let Some((q, vpn)) = self.procs.iter().find_map(|(&q, p)| maps(p).map(|v| (q, v))) else { return };
        let n = self.charge(frame, q);
        let page = (u64::from(q) << 48) | u64::from(vpn);
        self.local_call(q, |v, bits, time| v.insert(n, Reference { page, time }, bits));
    }

    /// `pid` ended: its policy goes.
    pub(super) fn local_forget(&mut self, pid: u32) {
        if let Some(l) = self.local_mut() {
            l.holdings.remove(&pid);
        }
    }

    /// Local replacement's victim for `cause`'s reference `r`, as a frame index: a frame of
    /// the process that must give one up, by that process's own policy; `None` if there is none.
    pub(super) fn local_victim(&mut self, cause: u32, r: Reference) -> Option<usize> {
        // The process that gives a frame up, and its own policy's choice among its numbers.
        let donor = self.donor(cause)?;
        let number = self.local_call(donor, |v, bits, time| v.victim(Reference { time, ..r }, bits)).flatten()?;
        let charged = |m: &Model, n: Option<usize>| {
            m.local().and_then(|l| {
                l.charges
                    .iter()
                    .filter(|&(_, &(p, k))| p == donor && n.is_none_or(|n| n == k))
                    .min_by_key(|&(_, &(_, k))| k)
                    .map(|(&f, _)| f)
            })
        };
        // A policy names one of its numbers; if not, the donor's lowest.
        let frame = charged(self, Some(number)).or_else(|| charged(self, None))?;
        Some(self.frame_index(frame))
    }

    /// Local replacement's part of `pid`'s reference `r` to `frame`, reached as `reached` (see
    /// `demand_reference`): the policies hear it and `pid`'s time advances.
    pub(super) fn local_reference(&mut self, pid: u32, frame: u32, reached: Reached, r: Reference) {
        // The page just loaded is charged to `pid`; any other reference is the hit of the
        // policy the frame is charged to (at that process's time); `pid`'s policy ticks.
        let page = r.page;
        if matches!(reached, Reached::Loaded { fresh: true } | Reached::Copied) {
            let n = self.charge(frame, pid);
            self.local_call(pid, |v, bits, time| v.insert(n, Reference { page, time }, bits));
        } else if let Some((q, n)) = self.local().and_then(|l| l.charges.get(&frame)).copied() {
            self.local_call(q, |v, _, time| v.hit(n, Reference { page, time }));
        }
        self.local_call(pid, |v, bits, time| v.tick(Reference { page, time }, bits));
        if let Some(h) = self.local_mut().and_then(|l| l.holdings.get_mut(&pid)) {
            h.time += 1;
        }
    }
}
