//! Demand paging, restated from `docs/demand-paging.md`: a frame limit, a swap area, pages
//! that are present, lazy or swapped, faults that bring them in, and evictions chosen by the
//! model's own restatement of the policies ([`super::victims`]).
//!
//! Naive on purpose, and sharing nothing with the kernel's `demand.rs`: a page not present is
//! an entry of its process's `absent` map; a slot is "in use" when an absent page names it or a
//! frame caches it, which is found by scanning, not kept; the frames that map a page (the
//! kernel's reverse map) and a frame's R and M bits are found by scanning every process.
//!
//! The rules, as the model applies them:
//! - At most `frames` user frames hold pages; frames are still taken lowest first.
//! - Making room: with no free slot the operation fails with `SwapFull`, nothing changed.
//!   Otherwise the policy names a frame; it is written to swap when dirty (some entry mapping
//!   it has the dirty bit) or when it caches no slot: to the slot it caches, else the lowest
//!   free slot. Every entry mapping it becomes absent, naming the slot (one user each).
//! - A touch of a lazy page maps the lowest free frame, zeroed (minor). A read of a swapped
//!   page whose slot a resident frame caches maps that frame too (minor, the policy's `hit`);
//!   otherwise the page is read from the slot into the lowest free frame (major), which then
//!   caches the slot, unless it was a write: a writer always gets a private frame, writable.
//!   A page read back while its slot still has users or is cached is copy-on-write if its own
//!   permission is writable.
//! - Copy-on-write copies when the frame is mapped twice or the slot it caches has users.
//! - Fork shares copy-on-write whatever the fork policy; a swapped page's slot gains a user and
//!   both entries become copy-on-write if writable; lazy pages are copied as they are.
//! - Local replacement (`--scope local`): shares and charges, restated in [`super::local`].

use std::collections::BTreeMap;

use kernel::{AccessError, DemandConfig, FaultReason, PagingStats, Perm, Pid, PteFlags, SwapFull, VirtAddr};
use paging::AbsentKind;

use super::local::Local;
use super::victims::{Bits, Reference, Victims};
use super::{FrameBytes, Model, PAGE, PageModel, ProcModel};

/// A page a process has allocated but that has no frame now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbsentPage {
    /// The swap slot that holds it; `None` for a lazy page never touched.
    pub slot: Option<u32>,
    /// Its own permissions, as allocated.
    pub perm: Perm,
    /// Write-protected because it is shared (by a fork, or with the swap slot's other users).
    pub cow: bool,
}

impl AbsentPage {
    /// Why it is absent, as the kernel's entry records it.
    pub fn kind(&self) -> AbsentKind {
        self.slot.map_or(AbsentKind::Lazy, AbsentKind::Swapped)
    }

    /// The flags the page will have when it is brought in: as a present page's, without
    /// `PRESENT`, `ACCESSED` and `DIRTY`.
    pub fn flags(&self) -> PteFlags {
        let present = PageModel { frame: 0, perm: self.perm, cow: self.cow, accessed: false, dirty: false };
        present.flags() - PteFlags::PRESENT
    }

    fn of(page: &PageModel, slot: u32) -> Self {
        AbsentPage { slot: Some(slot), perm: page.perm, cow: page.cow }
    }
}

/// One swap slot: the entries naming it, and its bytes once written.
#[derive(Debug, Clone, Default)]
struct SwapSlot {
    users: u32,
    bytes: Option<Box<FrameBytes>>,
}

/// The demand-paging state of the model.
#[derive(Debug, Clone)]
pub(super) struct Demand {
    pub(super) config: DemandConfig,
    pub(super) spec: policy::Spec,
    pub(super) options: policy::Options,
    /// Global replacement's policy (unused under local replacement).
    victims: Victims,
    /// Local replacement (`--scope local`), if chosen.
    pub(super) local: Option<Local>,
    slots: Vec<SwapSlot>,
    /// Successful accesses so far: the policies' time.
    time: u64,
    stats: PagingStats,
}

impl Demand {
    /// The state for `config` under `victims`.
    pub(super) fn new(config: DemandConfig, spec: policy::Spec, options: policy::Options, victims: Victims) -> Self {
        let slots = vec![SwapSlot::default(); config.swap_slots as usize];
        Demand { config, spec, options, victims, local: None, slots, time: 0, stats: PagingStats::default() }
    }
}

/// How an access reached its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reached {
    /// The page was present.
    Hit,
    /// A page fault brought it in; `fresh` if into a frame no one mapped (else the frame
    /// caching its slot was shared).
    Loaded { fresh: bool },
    /// A copy-on-write fault copied it into a new frame.
    Copied,
}

/// The entries' accessed and dirty bits as the policies read them: any entry, of any process,
/// that maps the frame.
pub(super) struct EntryBits<'a> {
    pub(super) procs: &'a mut BTreeMap<u32, ProcModel>,
    pub(super) base: u32,
    /// The frames demand paging may use.
    pub(super) frames: usize,
}

impl EntryBits<'_> {
    pub(super) fn peek(
        procs: &BTreeMap<u32, ProcModel>,
        base: u32,
        i: usize,
        bit: impl Fn(&PageModel) -> bool,
    ) -> bool {
        let frame = base + i as u32;
        procs.values().flat_map(|p| p.pages.values()).any(|pg| pg.frame == frame && bit(pg))
    }

    fn any(&self, i: usize, bit: impl Fn(&PageModel) -> bool) -> bool {
        EntryBits::peek(self.procs, self.base, i, bit)
    }
}

impl Bits for EntryBits<'_> {
    fn referenced(&self, i: usize) -> bool {
        self.any(i, |pg| pg.accessed)
    }
    fn clear_referenced(&mut self, i: usize) {
        let frame = self.base + i as u32;
        for pg in self.procs.values_mut().flat_map(|p| p.pages.values_mut()) {
            if pg.frame == frame {
                pg.accessed = false;
            }
        }
    }
    fn modified(&self, i: usize) -> bool {
        self.any(i, |pg| pg.dirty)
    }
    fn view(&self) -> usize {
        self.frames
    }
    fn resident(&self, _: usize) -> bool {
        true
    }
}

/// Runs `f` on the policy with the entries' bits (split borrows of the model's fields).
macro_rules! with_victims {
    ($m:expr, |$v:ident, $bits:ident| $body:expr) => {{
        let m = &mut *$m;
        let base = m.profile.memory.user.start;
        m.demand.as_deref_mut().map(|d| {
            let frames = d.config.frames as usize;
            let $v = &mut d.victims;
            let $bits = &mut EntryBits { procs: &mut m.procs, base, frames };
            $body
        })
    }};
}

impl Model {
    /// The model of a fresh machine of `profile` with demand paging on, as
    /// `Kernel::enable_demand_paging` sets it up; `None` for `opt` (which the kernel runs only
    /// with a reference string given in advance) and for the course profiles.
    pub fn with_demand(
        profile: &kernel::Profile,
        config: DemandConfig,
        spec: policy::Spec,
        options: &policy::Options,
    ) -> Option<Self> {
        if !profile.format.is_general() {
            return None;
        }
        let victims = Victims::new(spec, config.frames as usize, *options)?;
        let mut m = Model::new(profile);
        m.demand = Some(Box::new(Demand::new(config, spec, *options, victims)));
        Some(m)
    }

    /// [`Model::with_demand`] with local replacement (`--scope local`), as
    /// `Kernel::enable_local_demand_paging` sets it up.
    pub fn with_local_demand(
        profile: &kernel::Profile,
        config: DemandConfig,
        spec: policy::Spec,
        options: &policy::Options,
    ) -> Option<Self> {
        let mut m = Model::with_demand(profile, config, spec, options)?;
        if let Some(d) = m.demand.as_deref_mut() {
            d.local = Some(Local::default());
        }
        Some(m)
    }

    /// [`Model::with_demand`] for a run whose every reference is known in advance: `future`
    /// is the page (`pid << 48 | vpn`) of each successful access in order, which `opt` reads
    /// (as the kernel's `opt`, built with `policy::build` from the same string).
    pub fn with_demand_future(
        profile: &kernel::Profile,
        config: DemandConfig,
        spec: policy::Spec,
        options: &policy::Options,
        future: Vec<u64>,
    ) -> Option<Self> {
        if !profile.format.is_general() {
            return None;
        }
        let mut m = Model::new(profile);
        let victims = Victims::with_future(spec, config.frames as usize, *options, future);
        m.demand = Some(Box::new(Demand::new(config, spec, *options, victims)));
        Some(m)
    }

    /// The demand-paging configuration, if demand paging is on.
    pub fn demand_config(&self) -> Option<DemandConfig> {
        self.demand.as_ref().map(|d| d.config)
    }

    /// The machine's demand-paging counts, if demand paging is on.
    pub fn paging_stats(&self) -> Option<PagingStats> {
        self.demand.as_ref().map(|d| d.stats)
    }

    /// `pid`'s demand-paging counts.
    pub fn process_paging_stats(&self, pid: u32) -> Option<PagingStats> {
        self.procs.get(&pid).map(|p| p.paging)
    }

    /// Absent entries that name `slot`, or `None` without such a slot.
    pub fn swap_slot_users(&self, slot: u32) -> Option<u32> {
        self.demand.as_ref()?.slots.get(slot as usize).map(|s| s.users)
    }

    /// Swap slots in use: named by an absent page or cached by a resident frame.
    pub fn swap_slots_used(&self) -> u32 {
        let Some(d) = self.demand.as_ref() else { return 0 };
        (0..d.slots.len() as u32).filter(|&s| self.slot_in_use(s)).count() as u32
    }

    /// The policy's hand, for the policies that have one.
    pub fn policy_hand(&self) -> Option<usize> {
        let d = self.demand.as_ref()?;
        // A local replacement has a hand per process: none for the machine.
        if d.local.is_some() {
            return None;
        }
        d.victims.hand()
    }

    // ---- the rules ------------------------------------------------------------------------

    pub(super) fn frame_index(&self, frame: u32) -> usize {
        frame.saturating_sub(self.profile.memory.user.start) as usize
    }

    /// The resident frame caching `slot`, if any.
    fn cached(&self, slot: u32) -> Option<u32> {
        self.frames.iter().find(|(_, f)| f.link == Some(slot)).map(|(&frame, _)| frame)
    }

    fn slot_in_use(&self, slot: u32) -> bool {
        self.demand.as_ref().and_then(|d| d.slots.get(slot as usize)).is_some_and(|s| s.users > 0)
            || self.cached(slot).is_some()
    }

    fn free_slots(&self) -> u32 {
        let Some(d) = self.demand.as_ref() else { return 0 };
        (0..d.slots.len() as u32).filter(|&s| !self.slot_in_use(s)).count() as u32
    }

    /// Whether demand paging is on and every frame it may use holds a page.
    pub(super) fn demand_full(&self) -> bool {
        self.demand.as_ref().is_some_and(|d| self.frames.len() as u32 >= d.config.frames)
    }

    /// The reference `pid` makes to `vpn` now.
    pub(super) fn reference(&self, pid: u32, vpn: u32) -> Reference {
        let time = self.demand.as_ref().map_or(0, |d| d.time);
        Reference { page: (u64::from(pid) << 48) | u64::from(vpn), time }
    }

    /// Adds to the machine's counts and to `pid`'s (if it is alive).
    fn count(&mut self, pid: u32, f: impl Fn(&mut PagingStats)) {
        if let Some(d) = self.demand.as_deref_mut() {
            f(&mut d.stats);
        }
        if let Some(p) = self.procs.get_mut(&pid) {
            f(&mut p.paging);
        }
    }

    /// A swap slot's users change by `delta`.
    fn add_users(&mut self, slot: u32, delta: i32) {
        if let Some(s) = self.demand.as_deref_mut().and_then(|d| d.slots.get_mut(slot as usize)) {
            s.users = s.users.saturating_add_signed(delta);
        }
    }

    /// Evictions until a frame is free, for `cause`'s reference `r`.
    pub(super) fn make_room(&mut self, cause: u32, r: Reference) -> Result<(), SwapFull> {
        if self.is_local() {
            // Local replacement: one eviction if `cause` must give up a frame or take one.
            if self.needs_room(cause) {
                self.evict_one(cause, r)?;
            }
            return Ok(());
        }
        while self.demand_full() {
            self.evict_one(cause, r)?;
        }
        Ok(())
    }

    /// Whether `count` pages can be mapped one after the other: each eviction they need may
    /// take a free slot.
    pub(super) fn room_for(&self, count: u32) -> Result<(), SwapFull> {
        let Some(d) = self.demand.as_ref() else { return Ok(()) };
        let free_frames = d.config.frames.saturating_sub(self.frames.len() as u32);
        // Under local replacement each page may evict one, free frames or not.
        let evictions = if d.local.is_some() { count } else { count.saturating_sub(free_frames) };
        if evictions > self.free_slots() {
            return Err(SwapFull { slots: d.config.swap_slots, free: self.free_slots(), needed: evictions });
        }
        Ok(())
    }

    /// One eviction: the policy's victim goes to swap (see the module rules).
    fn evict_one(&mut self, cause: u32, r: Reference) -> Result<(), SwapFull> {
        let Some(slots) = self.demand.as_ref().map(|d| d.config.swap_slots) else { return Ok(()) };
        if self.free_slots() == 0 {
            return Err(SwapFull { slots, free: 0, needed: 1 });
        }
        let base = self.profile.memory.user.start;
        let named = if self.is_local() {
            let Some(named) = self.local_victim(cause, r) else { return Ok(()) };
            named
        } else {
            let Some(named) = with_victims!(self, |v, bits| v.victim(r, bits)).flatten() else { return Ok(()) };
            named
        };
        // A policy names an occupied frame; if not, the lowest occupied one.
        let frame = match self.frames.contains_key(&(base + named as u32)) {
            true => base + named as u32,
            false => match self.frames.keys().next() {
                Some(&f) => f,
                None => return Ok(()),
            },
        };
        let i = self.frame_index(frame);
        let dirty = EntryBits::peek(&self.procs, base, i, |pg| pg.dirty);
        let link = self.frames.get(&frame).and_then(|f| f.link);
        let (slot, write) = match link {
            Some(slot) => (slot, dirty),
            None => {
                let Some(d) = self.demand.as_ref() else { return Ok(()) };
                match (0..d.slots.len() as u32).find(|&s| !self.slot_in_use(s)) {
                    Some(slot) => (slot, true),
                    None => return Err(SwapFull { slots, free: 0, needed: 1 }),
                }
            }
        };
        if self.is_local() {
            self.uncharge(frame, true);
        } else if let Some(d) = self.demand.as_deref_mut() {
            d.victims.evict(i);
        }
        let Some(held) = self.frames.remove(&frame) else { return Ok(()) };
        self.user_free.insert(frame);
        if let Some(d) = self.demand.as_deref_mut() {
            if write {
                d.slots[slot as usize].bytes = held.bytes;
            }
        }
        // Every entry that mapped the frame now names the slot.
        let mut users = 0;
        for (&pid, p) in self.procs.iter_mut() {
            let vpns: Vec<u32> = p.pages.iter().filter(|(_, pg)| pg.frame == frame).map(|(&v, _)| v).collect();
            for vpn in vpns {
                if let Some(pg) = p.pages.remove(&vpn) {
                    p.absent.insert(vpn, AbsentPage::of(&pg, slot));
                    self.touched_pages.push((pid, vpn));
                    users += 1;
                }
            }
        }
        self.add_users(slot, users);
        self.count(cause, |s| {
            if write {
                s.dirty_evictions += 1;
                s.disk_writes += 1;
            } else {
                s.clean_evictions += 1;
            }
        });
        Ok(())
    }

    /// A touch of `pid`'s absent page `vpn` (the caller found it absent): brings it in and
    /// returns its frame and how, or the fault or `SwapFull` (nothing changed then).
    pub(super) fn demand_fault(&mut self, pid: u32, addr: u64, write: bool) -> Result<(u32, Reached), AccessError> {
        let vpn = (addr / PAGE) as u32;
        let Some(a) = self.procs.get(&pid).and_then(|p| p.absent.get(&vpn)).copied() else {
            return Err(AccessError::NoSuchProcess(kernel::NoSuchProcess { pid: Pid::new(pid) }));
        };
        if write && !a.perm.contains(Perm::WRITE) {
            return Err(self.fault(pid, addr, FaultReason::NotWritable).into());
        }
        if !write && !a.perm.contains(Perm::READ) {
            return Err(self.fault(pid, addr, FaultReason::NotReadable).into());
        }
        let r = self.reference(pid, vpn);
        let cached = |m: &Model| a.slot.and_then(|s| m.cached(s));
        // A read of a cached page shares its frame; anything else needs one.
        if (write || cached(self).is_none()) && self.needs_room(pid) {
            self.evict_one(pid, r)?;
        }
        let cached = cached(self);
        let mut cow = a.cow;
        let (frame, fresh, major) = match (a.slot, cached) {
            (Some(_), Some(frame)) if !write => (frame, false, false),
            _ => {
                let Some(frame) = self.take_frame() else {
                    return Err(AccessError::OutOfMemory { pid: Pid::new(pid), addr: VirtAddr::new(addr) });
                };
                let bytes = match (a.slot, cached) {
                    (None, _) => None,
                    (Some(_), Some(from)) => self.frames.get(&from).and_then(|f| f.bytes.clone()),
                    (Some(slot), None) => self.demand.as_ref().and_then(|d| d.slots[slot as usize].bytes.clone()),
                };
                if let Some(f) = self.frames.get_mut(&frame) {
                    f.bytes = bytes;
                }
                (frame, true, a.slot.is_some() && cached.is_none())
            }
        };
        if let Some(slot) = a.slot {
            self.add_users(slot, -1);
            if write {
                cow = false;
            } else {
                let users = self.swap_slot_users(slot).unwrap_or(0);
                if (users > 0 || cached.is_some()) && a.perm.contains(Perm::WRITE) {
                    cow = true;
                }
                if cached.is_none() {
                    if let Some(f) = self.frames.get_mut(&frame) {
                        f.link = Some(slot);
                    }
                }
            }
        }
        if !fresh {
            if let Some(f) = self.frames.get_mut(&frame) {
                f.refs += 1;
            }
        }
        if let Some(p) = self.procs.get_mut(&pid) {
            p.absent.remove(&vpn);
            p.pages.insert(vpn, PageModel { frame, perm: a.perm, cow, accessed: false, dirty: false });
        }
        self.touched_pages.push((pid, vpn));
        self.count(pid, |s| {
            s.faults += 1;
            if major {
                s.major_faults += 1;
                s.disk_reads += 1;
            } else {
                s.minor_faults += 1;
            }
        });
        Ok((frame, Reached::Loaded { fresh }))
    }

    /// A successful access of `pid`'s `vpn` in `frame`, after the MMU set its bits: one
    /// reference, a hit unless a fault loaded the page; the policy hears `insert` for a frame
    /// just filled, `hit` otherwise, then `tick`.
    pub(super) fn demand_reference(&mut self, pid: u32, vpn: u32, frame: u32, reached: Reached) {
        if self.demand.is_none() {
            return;
        }
        let r = self.reference(pid, vpn);
        let hit = !matches!(reached, Reached::Loaded { .. });
        self.count(pid, |s| {
            s.references += 1;
            s.hits += u64::from(hit);
        });
        if self.is_local() {
            self.local_reference(pid, frame, reached, r);
            if let Some(d) = self.demand.as_deref_mut() {
                d.time += 1;
            }
            return;
        }
        let i = self.frame_index(frame);
        with_victims!(self, |v, bits| {
            match reached {
                Reached::Loaded { fresh: true } | Reached::Copied => v.insert(i, r, bits),
                Reached::Loaded { fresh: false } | Reached::Hit => v.hit(i, r),
            }
            v.tick(r, bits);
        });
        if let Some(d) = self.demand.as_deref_mut() {
            d.time += 1;
        }
    }

    /// `pid`'s `vpn` was just mapped into a fresh `frame` by an allocation (no reference).
    pub(super) fn demand_allocated(&mut self, pid: u32, vpn: u32, frame: u32) {
        let r = self.reference(pid, vpn);
        if self.is_local() {
            let n = self.charge(frame, pid);
            self.local_call(pid, |v, bits, time| v.insert(n, Reference { time, ..r }, bits));
            return;
        }
        let i = self.frame_index(frame);
        with_victims!(self, |v, bits| v.insert(i, r, bits));
    }

    /// `frame` was freed outside eviction (its last mapping is gone).
    pub(super) fn demand_freed(&mut self, frame: u32) {
        if self.is_local() {
            self.uncharge(frame, false);
            return;
        }
        let i = self.frame_index(frame);
        if let Some(d) = self.demand.as_deref_mut() {
            d.victims.remove(i);
        }
    }

    /// Whether a copy-on-write fault on `frame` must copy it: mapped more than once, or
    /// caching a slot that absent pages still name.
    pub(super) fn must_copy(&self, frame: u32) -> bool {
        let Some(f) = self.frames.get(&frame) else { return false };
        f.refs > 1 || f.link.and_then(|s| self.swap_slot_users(s)).is_some_and(|u| u > 0)
    }

    /// An absent page is dropped (freed, or its process ended): its slot loses a user.
    pub(super) fn drop_absent(&mut self, a: AbsentPage) {
        if let Some(slot) = a.slot {
            self.add_users(slot, -1);
        }
    }

    /// Fork under demand paging: `child` gets `parent`'s absent pages; a swapped one gains a
    /// user and becomes copy-on-write on both sides if its own permission is writable.
    pub(super) fn fork_absent(&mut self, parent: &mut ProcModel, child: &mut ProcModel) {
        for (&vpn, a) in parent.absent.iter_mut() {
            if let Some(slot) = a.slot {
                if let Some(s) = self.demand.as_deref_mut().and_then(|d| d.slots.get_mut(slot as usize)) {
                    s.users += 1;
                }
                if a.perm.contains(Perm::WRITE) {
                    a.cow = true;
                }
            }
            child.absent.insert(vpn, *a);
        }
    }
}
