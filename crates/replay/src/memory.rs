//! The driver: N frames, a page-to-frame map, and a [`Policy`] that picks victims. The same
//! driver runs every policy, so that they differ only in their choice of victim.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::ReplayError;
use crate::policy::{self, Policy, PolicyKind};
use crate::refs::PageRef;
use crate::tlb::{Tlb, TlbConfig, TlbCounts};

/// The most frames a replay keeps tables for (2^26 frames: 256 GiB of 4 KiB pages).
pub const MAX_FRAMES: usize = 1 << 26;

/// What a replay counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Page references (records, or more with `--straddle`).
    pub references: u64,
    /// References to a resident page.
    pub hits: u64,
    /// References to a page not resident: every miss, cold ones included.
    pub page_faults: u64,
    /// Evictions of a page never written since it was loaded.
    pub evictions_clean: u64,
    /// Evictions of a written page (each one a disk write).
    pub evictions_dirty: u64,
    /// Pages read from disk: every fault, in a pure reference replay.
    pub disk_reads: u64,
    /// Pages written to disk: the dirty evictions (nothing is flushed at the end).
    pub disk_writes: u64,
}

/// A cheap multiplicative hash for page numbers (not for untrusted keys' denial of service:
/// a trace is the user's own input and a slow table only slows their own run).
#[derive(Default)]
struct PageHasher(u64);

impl Hasher for PageHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        // The high bits of a product are well mixed; hashbrown takes its control byte from the
        // top and its bucket from the bottom, so fold them together.
        let h = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
}

/// N page frames under one policy `P`.
pub struct Memory<P> {
    map: HashMap<u64, u32, BuildHasherDefault<PageHasher>>,
    pages: Vec<u64>,
    dirty: Vec<bool>,
    used: usize,
    policy: P,
    tlb: Option<Tlb>,
    t: u64,
    counts: Counts,
}

impl<P: Policy> Memory<P> {
    /// `frames` empty frames under `policy`, with a TLB in front if `tlb` is given.
    ///
    /// # Errors
    /// [`ReplayError::NoFrames`], [`ReplayError::TooManyFrames`], [`ReplayError::TlbShape`].
    pub fn new(frames: usize, policy: P, tlb: Option<TlbConfig>) -> Result<Self, ReplayError> {
        check_frames(frames)?;
        Ok(Memory {
            map: HashMap::with_capacity_and_hasher(frames.min(1 << 20), BuildHasherDefault::default()),
            pages: vec![0; frames],
            dirty: vec![false; frames],
            used: 0,
            policy,
            tlb: tlb.map(Tlb::new).transpose()?,
            t: 0,
            counts: Counts::default(),
        })
    }

    /// References `page` (a write if `write`): a hit, or a fault that loads the page into the
    /// next free frame or, memory being full, into the policy's victim's frame.
    #[inline]
    pub fn access(&mut self, page: u64, write: bool) {
        let t = self.t;
        self.t += 1;
        self.counts.references += 1;
        if let Some(&f) = self.map.get(&page) {
            let f = f as usize;
            self.counts.hits += 1;
            self.dirty[f] |= write;
            self.policy.hit(f, t);
        } else {
            self.fault(page, write, t);
        }
        // The TLB only counts: a TLB hit is always a resident page, because an evicted page's
        // entry is dropped in `fault` before the new page's translation is looked up here.
        if let Some(tlb) = &mut self.tlb {
            tlb.access(page);
        }
    }

    #[cold]
    fn fault(&mut self, page: u64, write: bool, t: u64) {
        self.counts.page_faults += 1;
        self.counts.disk_reads += 1;
        let f = if self.used < self.pages.len() {
            self.used += 1;
            self.used - 1
        } else {
            let v = self.policy.victim(t);
            let old = self.pages[v];
            self.map.remove(&old);
            if let Some(tlb) = &mut self.tlb {
                tlb.invalidate(old);
            }
            if self.dirty[v] {
                self.counts.evictions_dirty += 1;
                self.counts.disk_writes += 1;
            } else {
                self.counts.evictions_clean += 1;
            }
            v
        };
        self.pages[f] = page;
        self.dirty[f] = write;
        // The frame index fits: frames <= MAX_FRAMES < 2^32.
        self.map.insert(page, f as u32);
        self.policy.loaded(f, t);
    }

    /// References every page of `refs` in order.
    pub fn run(&mut self, refs: &[PageRef]) {
        for r in refs {
            self.access(r.page, r.write);
        }
    }

    /// The counts so far.
    #[must_use]
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The TLB's counts, if there is a TLB.
    #[must_use]
    pub fn tlb_counts(&self) -> Option<TlbCounts> {
        self.tlb.as_ref().map(Tlb::counts)
    }

    /// The resident pages by frame (frames not yet used are left out).
    #[must_use]
    pub fn resident(&self) -> &[u64] {
        &self.pages[..self.used]
    }
}

pub(crate) fn check_frames(frames: usize) -> Result<(), ReplayError> {
    if frames == 0 {
        return Err(ReplayError::NoFrames);
    }
    if frames > MAX_FRAMES {
        return Err(ReplayError::TooManyFrames { frames, limit: MAX_FRAMES });
    }
    Ok(())
}

/// Something that takes page references in batches: a [`Memory`] of any policy, behind one
/// object-safe face so that a streaming replay pays one dynamic call a batch, not a reference.
pub trait Sink {
    /// References every page of `refs` in order.
    fn feed(&mut self, refs: &[PageRef]);
    /// The counts so far.
    fn counts(&self) -> Counts;
    /// The TLB's counts, if there is a TLB.
    fn tlb_counts(&self) -> Option<TlbCounts>;
}

impl<P: Policy> Sink for Memory<P> {
    fn feed(&mut self, refs: &[PageRef]) {
        self.run(refs);
    }
    fn counts(&self) -> Counts {
        self.counts
    }
    fn tlb_counts(&self) -> Option<TlbCounts> {
        Memory::tlb_counts(self)
    }
}

/// A memory of `frames` frames under `kind`, for streaming; `None` for [`PolicyKind::Opt`],
/// which needs the whole reference string first ([`simulate_with`]).
///
/// # Errors
/// As [`Memory::new`].
pub fn streaming(
    kind: PolicyKind,
    frames: usize,
    tlb: Option<TlbConfig>,
) -> Result<Option<Box<dyn Sink>>, ReplayError> {
    check_frames(frames)?;
    Ok(Some(match kind {
        PolicyKind::Fifo => Box::new(Memory::new(frames, policy::Fifo::new(frames), tlb)?),
        PolicyKind::Lru => Box::new(Memory::new(frames, policy::Lru::new(frames), tlb)?),
        PolicyKind::Clock => Box::new(Memory::new(frames, policy::Clock::new(frames, true), tlb)?),
        PolicyKind::Second => Box::new(Memory::new(frames, policy::Clock::new(frames, false), tlb)?),
        PolicyKind::Sfifo { percent } => Box::new(Memory::new(frames, policy::Sfifo::new(frames, percent), tlb)?),
        PolicyKind::Opt => return Ok(None),
    }))
}

/// Replays the whole reference string `refs` through `frames` frames under `kind`.
///
/// # Errors
/// [`ReplayError::NoFrames`], [`ReplayError::TooManyFrames`].
pub fn simulate(refs: &[PageRef], kind: PolicyKind, frames: usize) -> Result<Counts, ReplayError> {
    simulate_with(refs, kind, frames, None).map(|(c, _)| c)
}

/// [`simulate`] with an optional TLB in front.
///
/// # Errors
/// As [`simulate`], and [`ReplayError::TlbShape`].
pub fn simulate_with(
    refs: &[PageRef],
    kind: PolicyKind,
    frames: usize,
    tlb: Option<TlbConfig>,
) -> Result<(Counts, Option<TlbCounts>), ReplayError> {
    if kind == PolicyKind::Opt {
        let mut m = Memory::new(frames, policy::Opt::new(frames, policy::next_uses(refs)), tlb)?;
        m.run(refs);
        return Ok((m.counts(), m.tlb_counts()));
    }
    let mut sink = streaming(kind, frames, tlb)?.ok_or(ReplayError::NoFrames)?;
    sink.feed(refs);
    Ok((sink.counts(), sink.tlb_counts()))
}
