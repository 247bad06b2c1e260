//! N page frames under a policy: the `policy` crate's [`Simulator`] (the one driver and the
//! one implementation of every policy), a TLB model in front when asked, and the counts a
//! trace replay reports; [`Target`] chooses between these plain frames and a machine.

use policy::policies::{clock::Clock, fifo::Fifo, lru::Lru, opt::Opt, sfifo::SegmentedFifo};
use policy::{Options, Policy, Reference, Simulator, Spec, Stats};

use paging::Preset;

use crate::error::ReplayError;
use crate::machine::{MachineCounts, MachineMemory};
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
    /// Pages read from disk: every fault, in a pure reference replay (a traced program's
    /// pages all come from somewhere: its file, or swap).
    pub disk_reads: u64,
    /// Pages written to disk: the dirty evictions (nothing is flushed at the end).
    pub disk_writes: u64,
}

impl Counts {
    /// A replay's counts from the driver's statistics: the same, but every fault is a disk
    /// read (the driver counts only major faults as reads).
    #[must_use]
    pub fn from_stats(s: &Stats) -> Counts {
        Counts {
            references: s.references,
            hits: s.hits,
            page_faults: s.faults,
            evictions_clean: s.clean_evictions,
            evictions_dirty: s.dirty_evictions,
            disk_reads: s.faults,
            disk_writes: s.disk_writes,
        }
    }
}

/// `frames` frames under policy `P`, with an optional TLB in front.
pub struct Memory<P> {
    sim: Simulator<P>,
    tlb: Option<Tlb>,
}

impl<P: Policy> Memory<P> {
    /// `frames` empty frames under `policy` (built for `frames` frames), with a TLB in front
    /// if `tlb` is given.
    ///
    /// # Errors
    /// [`ReplayError::NoFrames`], [`ReplayError::TooManyFrames`], [`ReplayError::TlbShape`].
    pub fn new(frames: usize, policy: P, tlb: Option<TlbConfig>) -> Result<Self, ReplayError> {
        check_frames(frames)?;
        Ok(Memory { sim: Simulator::with(policy, frames), tlb: tlb.map(Tlb::new).transpose()? })
    }

    /// References `page` (a write if `write`).
    #[inline]
    pub fn access(&mut self, page: u64, write: bool) {
        let step = self.sim.access(Reference { page, write });
        // The TLB only counts: an evicted page's entry is dropped before the new page's
        // translation is looked up, so a TLB hit is always a resident page.
        if let Some(tlb) = &mut self.tlb {
            if let Some((old, _)) = step.victim {
                tlb.invalidate(old);
            }
            tlb.access(page);
        }
    }

    /// References every page of `refs` in order.
    pub fn run(&mut self, refs: &[Reference]) {
        for r in refs {
            self.access(r.page, r.write);
        }
    }

    /// The counts so far.
    #[must_use]
    pub fn counts(&self) -> Counts {
        Counts::from_stats(&self.sim.stats())
    }

    /// The TLB's counts, if there is a TLB.
    #[must_use]
    pub fn tlb_counts(&self) -> Option<TlbCounts> {
        self.tlb.as_ref().map(Tlb::counts)
    }

    /// The driver, to look at its frames.
    #[must_use]
    pub fn simulator(&self) -> &Simulator<P> {
        &self.sim
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
    ///
    /// # Errors
    /// A machine's [`ReplayError::Machine`]; a plain memory never fails.
    fn feed(&mut self, refs: &[Reference]) -> Result<(), ReplayError>;
    /// The counts so far.
    fn counts(&self) -> Counts;
    /// The TLB's counts, if there is a TLB.
    fn tlb_counts(&self) -> Option<TlbCounts>;
    /// The machine's counts, when replaying through a machine.
    fn machine_counts(&self) -> Option<MachineCounts> {
        None
    }
}

impl<P: Policy> Sink for Memory<P> {
    fn feed(&mut self, refs: &[Reference]) -> Result<(), ReplayError> {
        self.run(refs);
        Ok(())
    }
    fn counts(&self) -> Counts {
        Memory::counts(self)
    }
    fn tlb_counts(&self) -> Option<TlbCounts> {
        Memory::tlb_counts(self)
    }
}

/// The TLB a machine has when none is given: 64 entries, fully associative.
pub const DEFAULT_MACHINE_TLB: TlbConfig = TlbConfig { entries: 64, ways: 64 };

/// Where the references go: N plain frames (an optional counting TLB in front), or a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// User frames.
    pub frames: usize,
    /// A TLB in front (a machine without one gets [`DEFAULT_MACHINE_TLB`]).
    pub tlb: Option<TlbConfig>,
    /// Replay through this machine's TLB and page tables (with pages of `page_size` bytes).
    pub machine: Option<Preset>,
    /// The page size, which a machine must have as its base page.
    pub page_size: u64,
}

impl Target {
    /// `frames` plain frames, no TLB, 4 KiB pages.
    #[must_use]
    pub fn frames(frames: usize) -> Target {
        Target { frames, tlb: None, machine: None, page_size: 4096 }
    }

    fn sink<P: Policy + 'static>(&self, policy: P) -> Result<Box<dyn Sink>, ReplayError> {
        Ok(match self.machine {
            Some(preset) => Box::new(MachineMemory::new(
                preset,
                self.frames,
                policy,
                self.page_size,
                self.tlb.unwrap_or(DEFAULT_MACHINE_TLB),
            )?),
            None => Box::new(Memory::new(self.frames, policy, self.tlb)?),
        })
    }
}

/// A memory of `target.frames` frames under `spec`, for streaming; `None` for [`Spec::Opt`],
/// which needs the whole reference string first ([`sink_for`]). The common policies are
/// monomorphised (their calls inlined into the loop); the others run boxed.
///
/// # Errors
/// As [`Memory::new`] and [`MachineMemory::new`], and [`ReplayError::Policy`] for options
/// no policy can run with.
pub fn streaming(spec: Spec, options: &Options, target: &Target) -> Result<Option<Box<dyn Sink>>, ReplayError> {
    let frames = target.frames;
    check_frames(frames)?;
    Ok(Some(match spec {
        Spec::Fifo => target.sink(Fifo::new(frames))?,
        Spec::Lru => target.sink(Lru::new(frames))?,
        Spec::Clock => target.sink(Clock::classic(frames))?,
        Spec::Second => target.sink(Clock::second_chance(frames))?,
        Spec::SegmentedFifo(p) => target.sink(SegmentedFifo::new(frames, p))?,
        Spec::Opt => return Ok(None),
        other => target.sink(policy::build(other, frames, options, &[])?)?,
    }))
}

/// A memory for the whole reference string `refs` (any policy, `opt` included).
///
/// # Errors
/// As [`streaming`].
pub fn sink_for(
    refs: &[Reference],
    spec: Spec,
    options: &Options,
    target: &Target,
) -> Result<Box<dyn Sink>, ReplayError> {
    if spec == Spec::Opt {
        check_frames(target.frames)?;
        return target.sink(Opt::new(target.frames, refs, options.opt_ties));
    }
    streaming(spec, options, target)?.ok_or(ReplayError::NoFrames)
}

/// Replays the whole reference string `refs` through `frames` frames under `spec`, with the
/// default policy options.
///
/// # Errors
/// [`ReplayError::NoFrames`], [`ReplayError::TooManyFrames`].
pub fn simulate(refs: &[Reference], spec: Spec, frames: usize) -> Result<Counts, ReplayError> {
    simulate_with(refs, spec, frames, &Options::default(), None).map(|(c, _)| c)
}

/// [`simulate`] with policy options and an optional TLB in front.
///
/// # Errors
/// As [`simulate`], [`ReplayError::TlbShape`] and [`ReplayError::Policy`].
pub fn simulate_with(
    refs: &[Reference],
    spec: Spec,
    frames: usize,
    options: &Options,
    tlb: Option<TlbConfig>,
) -> Result<(Counts, Option<TlbCounts>), ReplayError> {
    let mut sink = sink_for(refs, spec, options, &Target { tlb, ..Target::frames(frames) })?;
    sink.feed(refs)?;
    Ok((sink.counts(), sink.tlb_counts()))
}
