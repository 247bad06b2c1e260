//! Page replacement policies behind one small trait, and a uniform driver that runs a
//! reference string through any of them.
//!
//! The shape follows libCacheSim's `cache.h`: every policy answers the same few operations
//! ([`Policy::hit`], [`Policy::insert`], [`Policy::victim`], [`Policy::evict`],
//! [`Policy::remove`]) and one driver ([`Simulator`]) decides hit or miss, picks a free frame
//! (always the lowest), and calls them. What a policy may see is explicit in those
//! signatures: the frame index, the reference ([`Ref`]: page, time, read or write) and the
//! frames' referenced (R, the MMU's accessed bit) and modified (M, the dirty bit) bits through
//! [`FrameBits`]. The driver plays the MMU: it sets R on every reference to a frame and M on
//! every write, before calling the policy; policies may clear R (the clock's hand does) but
//! never set bits. A kernel drives a policy the same way with its page-table entries' A/D bits.
//!
//! Every policy's exact rule, tie-breaks included, is in its module and in `docs/policies.md`.
//!
//! ```
//! use policy::{Options, Simulator, Spec, Reference};
//!
//! // Belady's example: FIFO faults 9 times with 3 frames, 10 times with 4.
//! let refs: Vec<Reference> = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5].map(Reference::read).to_vec();
//! let faults = |frames| -> Result<u64, policy::BuildError> {
//!     let mut sim = Simulator::new(Spec::Fifo, frames, &Options::default(), &refs)?;
//!     for r in &refs { sim.access(*r); }
//!     Ok(sim.stats().faults)
//! };
//! assert_eq!((faults(3)?, faults(4)?), (9, 10));
//! # Ok::<(), policy::BuildError>(())
//! ```
#![forbid(unsafe_code)]

mod count;
mod list;
mod pagemap;
pub mod policies;
mod refs;
mod sim;
mod spec;
mod stats;

pub use count::Count;
pub use refs::{RefError, Reference, parse_refs};
pub use sim::{Bits, Simulator, Step};
pub use spec::{BuildError, OptTies, Options, Parameter, Spec, SpecError, UnusedParameter, build, check_used};
pub use stats::Stats;

/// A page number (a VPN, or a page of a reference string).
pub type Page = u64;

/// A frame index, `0..frames`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame(pub usize);

/// One reference as a policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ref {
    /// The page referenced.
    pub page: Page,
    /// Its position in the reference string, from 0 (virtual time, in references).
    pub time: u64,
    /// A write (sets M) rather than a read.
    pub write: bool,
}

/// The per-frame bits the hardware keeps, as a policy sees them.
pub trait FrameBits {
    /// The number of frames.
    fn frames(&self) -> usize;
    /// R: the frame was referenced since R was last cleared (set by every reference).
    fn referenced(&self, frame: Frame) -> bool;
    /// Clears R.
    fn clear_referenced(&mut self, frame: Frame);
    /// M: the page was written since it was loaded.
    fn modified(&self, frame: Frame) -> bool;
    /// Whether `frame` holds a page. The driver and a kernel replacing globally ask a policy
    /// for a victim only when every frame does (this default); a view of one process's frames
    /// under local replacement has holes (frames it gave up), which the policies that scan
    /// frames by index (clock, second, nru, wsclock, random) pass over.
    fn resident(&self, _frame: Frame) -> bool {
        true
    }
}

/// What a policy keeps about a frame, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameNote {
    /// The R bit (clock, second, sieve).
    R(bool),
    /// The R and M bits (nru).
    RM(bool, bool),
    /// An 8-bit aging counter (aging).
    Counter(u8),
    /// References since loaded (lfu).
    Count(u64),
    /// R and the time of last use (wsclock).
    RLast(bool, u64),
    /// The segment the frame is in (2q: `in`, `am`; sfifo: `p`, `s`).
    Segment(&'static str),
}

/// A replacement policy over a fixed number of frames.
///
/// The driver calls, for every reference: [`hit`](Policy::hit) when the page is resident;
/// else, when no frame is free, [`victim`](Policy::victim) then [`evict`](Policy::evict) on
/// the frame chosen; then [`insert`](Policy::insert) on the frame the page was loaded into;
/// and after each reference [`tick`](Policy::tick). [`remove`](Policy::remove) frees a frame
/// outside replacement (a page unmapped). Before `hit` and `insert` the frame's R bit is set,
/// and its M bit for a write (on `insert`, M starts clear).
pub trait Policy {
    /// The page in `frame` was referenced again.
    fn hit(&mut self, frame: Frame, r: Ref, bits: &mut dyn FrameBits);
    /// `r.page` was loaded into `frame`.
    fn insert(&mut self, frame: Frame, r: Ref, bits: &mut dyn FrameBits);
    /// Every frame is full and `r` missed: the frame to evict. Must be a frame given to
    /// `insert` and not since evicted or removed.
    fn victim(&mut self, r: Ref, bits: &mut dyn FrameBits) -> Frame;
    /// The page in `frame` leaves it (after `victim` chose it).
    fn evict(&mut self, frame: Frame);
    /// The page in `frame` leaves it outside replacement. Default: as [`evict`](Policy::evict).
    fn remove(&mut self, frame: Frame) {
        self.evict(frame);
    }
    /// Called after every reference (periodic work: clearing R, shifting counters).
    fn tick(&mut self, _r: Ref, _bits: &mut dyn FrameBits) {}
    /// What the policy keeps about `frame`, if anything worth showing.
    fn note(&self, _frame: Frame, _bits: &dyn FrameBits) -> Option<FrameNote> {
        None
    }
    /// The clock hand, for the policies that have one.
    fn hand(&self) -> Option<Frame> {
        None
    }
}

/// A boxed policy is a policy: what [`Simulator::new`] runs when the policy is chosen at run
/// time.
impl<P: Policy + ?Sized> Policy for Box<P> {
    #[inline]
    fn hit(&mut self, frame: Frame, r: Ref, bits: &mut dyn FrameBits) {
        (**self).hit(frame, r, bits);
    }
    #[inline]
    fn insert(&mut self, frame: Frame, r: Ref, bits: &mut dyn FrameBits) {
        (**self).insert(frame, r, bits);
    }
    #[inline]
    fn victim(&mut self, r: Ref, bits: &mut dyn FrameBits) -> Frame {
        (**self).victim(r, bits)
    }
    #[inline]
    fn evict(&mut self, frame: Frame) {
        (**self).evict(frame);
    }
    #[inline]
    fn remove(&mut self, frame: Frame) {
        (**self).remove(frame);
    }
    #[inline]
    fn tick(&mut self, r: Ref, bits: &mut dyn FrameBits) {
        (**self).tick(r, bits);
    }
    fn note(&self, frame: Frame, bits: &dyn FrameBits) -> Option<FrameNote> {
        (**self).note(frame, bits)
    }
    fn hand(&self) -> Option<Frame> {
        (**self).hand()
    }
}
