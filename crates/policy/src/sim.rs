//! The uniform driver: decides hit or miss, fills free frames lowest first, asks the policy
//! for a victim when none is free, plays the MMU's R and M bits, and counts.

use std::collections::BTreeSet;

use crate::pagemap::{PageMap, Slot};
use crate::{BuildError, Frame, FrameBits, FrameNote, Options, Page, Policy, Ref, Reference, Spec, Stats, build};

/// The R and M bits of every frame, as the driver's MMU keeps them.
#[derive(Debug, Clone)]
pub struct Bits {
    referenced: Vec<bool>,
    modified: Vec<bool>,
}

impl Bits {
    /// `n` frames, every bit clear.
    pub fn new(n: usize) -> Bits {
        Bits { referenced: vec![false; n], modified: vec![false; n] }
    }

    /// What the MMU does on a reference: R set, and M for a write.
    #[inline]
    fn touch(&mut self, f: Frame, write: bool) {
        if let Some(r) = self.referenced.get_mut(f.0) {
            *r = true;
        }
        if write && let Some(m) = self.modified.get_mut(f.0) {
            *m = true;
        }
    }

    /// A page just loaded: M clear, R set by the reference that loaded it.
    #[inline]
    fn load(&mut self, f: Frame, write: bool) {
        if let Some(m) = self.modified.get_mut(f.0) {
            *m = false;
        }
        self.touch(f, write);
    }
}

impl FrameBits for Bits {
    fn frames(&self) -> usize {
        self.referenced.len()
    }
    #[inline]
    fn referenced(&self, f: Frame) -> bool {
        self.referenced.get(f.0).copied().unwrap_or(false)
    }
    #[inline]
    fn clear_referenced(&mut self, f: Frame) {
        if let Some(r) = self.referenced.get_mut(f.0) {
            *r = false;
        }
    }
    #[inline]
    fn modified(&self, f: Frame) -> bool {
        self.modified.get(f.0).copied().unwrap_or(false)
    }
}

/// What one reference did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The reference.
    pub reference: Reference,
    /// Its time, from 0.
    pub time: u64,
    /// The page was resident.
    pub hit: bool,
    /// The frame that holds the page now.
    pub frame: Frame,
    /// The page evicted to make room, its frame being `frame`, and whether it was dirty.
    pub victim: Option<(Page, bool)>,
}

/// The value of a page in [`Simulator`]'s table that was referenced but is not resident.
const NOT_RESIDENT: u32 = u32::MAX;

/// Runs references through one policy over a fixed number of frames.
///
/// `P` is the policy: a `Box<dyn Policy>` by default (any policy chosen at run time, from
/// [`Simulator::new`]), or one policy type ([`Simulator::with`]) so that its calls are
/// inlined into the driver's loop, as a trace replay wants.
pub struct Simulator<P = Box<dyn Policy>> {
    policy: P,
    bits: Bits,
    pages: Vec<Option<Page>>,
    /// Every page referenced so far -> its frame index, or [`NOT_RESIDENT`] (a fault on a
    /// page in the map is major). One map, so that a hit is one lookup and an eviction
    /// changes a value instead of deleting a key.
    table: PageMap<u32>,
    /// Per frame, where its page's entry was in `table` (checked before use: a hint).
    slot_of: Vec<usize>,
    /// Frames `filled..` have never held a page.
    filled: usize,
    /// Frames below `filled` emptied by [`Simulator::remove`].
    freed: BTreeSet<usize>,
    time: u64,
    stats: Stats,
}

impl Simulator {
    /// A machine of `frames` empty frames under `spec`. `refs` is the whole reference string
    /// (only `opt` reads it; give it the same references afterwards, in order).
    ///
    /// # Errors
    /// Those of [`build`].
    pub fn new(spec: Spec, frames: usize, options: &Options, refs: &[Reference]) -> Result<Simulator, BuildError> {
        Ok(Simulator::with_policy(build(spec, frames, options, refs)?, frames))
    }

    /// A machine of `frames` empty frames under a policy built elsewhere.
    pub fn with_policy(policy: Box<dyn Policy>, frames: usize) -> Simulator {
        Simulator::with(policy, frames)
    }
}

impl<P: Policy> Simulator<P> {
    /// A machine of `frames` empty frames under `policy`, which must have been built for
    /// `frames` frames.
    pub fn with(policy: P, frames: usize) -> Simulator<P> {
        Simulator {
            policy,
            bits: Bits::new(frames),
            pages: vec![None; frames],
            table: PageMap::new(),
            slot_of: vec![0; frames],
            filled: 0,
            freed: BTreeSet::new(),
            time: 0,
            stats: Stats::default(),
        }
    }

    /// The lowest free frame, taken.
    #[inline]
    fn take_free(&mut self) -> Option<usize> {
        if !self.freed.is_empty() {
            return self.freed.pop_first();
        }
        (self.filled < self.pages.len()).then(|| {
            self.filled += 1;
            self.filled - 1
        })
    }

    /// Makes one reference.
    #[inline]
    pub fn access(&mut self, reference: Reference) -> Step {
        let r = Ref { page: reference.page, time: self.time, write: reference.write };
        let slot = self.table.find(r.page);
        let step = match slot {
            Slot::Found(_, f) | Slot::Max(Some(f)) if f != NOT_RESIDENT => {
                let f = Frame(f as usize);
                self.stats.hits += 1;
                self.bits.touch(f, r.write);
                self.policy.hit(f, r, &mut self.bits);
                Step { reference, time: r.time, hit: true, frame: f, victim: None }
            }
            _ => self.fault(reference, r, slot),
        };
        self.policy.tick(r, &mut self.bits);
        self.stats.references += 1;
        self.time += 1;
        step
    }

    /// A miss: the lowest free frame, or the policy's victim's.
    #[inline]
    fn fault(&mut self, reference: Reference, r: Ref, slot: Slot<u32>) -> Step {
        self.stats.faults += 1;
        if matches!(slot, Slot::Found(..) | Slot::Max(Some(_))) {
            self.stats.major_faults += 1;
            self.stats.disk_reads += 1;
        } else {
            self.stats.minor_faults += 1;
        }
        let (f, victim) = match self.take_free() {
            Some(f) => (Frame(f), None),
            None => {
                let f = self.policy.victim(r, &mut self.bits);
                // A policy must name an occupied frame; should one not, the lowest
                // occupied frame keeps the run going rather than panicking.
                let f = if self.pages.get(f.0).is_some_and(Option::is_some) { f } else { Frame(0) };
                let dirty = self.bits.modified(f);
                if dirty {
                    self.stats.dirty_evictions += 1;
                    self.stats.disk_writes += 1;
                } else {
                    self.stats.clean_evictions += 1;
                }
                self.policy.evict(f);
                let old = self.pages[f.0].take();
                if let Some(old) = old {
                    // Evicting can't grow the table: the slot found for the new page stays.
                    self.table.set(Slot::Found(self.slot_of[f.0], NOT_RESIDENT), old, NOT_RESIDENT);
                }
                (f, old.map(|p| (p, dirty)))
            }
        };
        self.pages[f.0] = Some(r.page);
        // A frame index fits in u32 (below NOT_RESIDENT): 2^32 - 1 frames would not fit in
        // memory.
        self.table.set(slot, r.page, f.0 as u32);
        self.slot_of[f.0] = match slot {
            Slot::Found(i, _) | Slot::Vacant(i) => i,
            // Not in the table proper, or moved by a growth: found again when needed.
            Slot::Max(_) => usize::MAX,
        };
        self.bits.load(f, r.write);
        self.policy.insert(f, r, &mut self.bits);
        Step { reference, time: r.time, hit: false, frame: f, victim }
    }

    /// Frees the frame of `page` outside replacement (the page is unmapped); false if it was
    /// not resident.
    pub fn remove(&mut self, page: Page) -> bool {
        let f = match self.table.get(page) {
            Some(f) if f != NOT_RESIDENT => Frame(f as usize),
            _ => return false,
        };
        self.table.insert(page, NOT_RESIDENT);
        self.policy.remove(f);
        self.pages[f.0] = None;
        self.freed.insert(f.0);
        true
    }

    /// The counts so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Every frame in index order: the page it holds and what the policy keeps about it.
    pub fn frames(&self) -> impl Iterator<Item = (Frame, Option<Page>, Option<FrameNote>)> + '_ {
        self.pages.iter().enumerate().map(|(i, p)| {
            let f = Frame(i);
            (f, *p, p.and_then(|_| self.policy.note(f, &self.bits)))
        })
    }

    /// The clock hand, for the policies that have one.
    pub fn hand(&self) -> Option<Frame> {
        self.policy.hand()
    }
}
