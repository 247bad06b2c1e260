//! Replays memory traces as page references through N page frames under a replacement policy,
//! counting what the courses count: page faults (cold misses included), clean and dirty
//! evictions, disk reads and writes; optionally a TLB in front.
//!
//! Accounting (the default of `vmsim replay`): page tables live outside the N user frames, so a
//! page fault is exactly a miss of N frames; frames start empty and fill in order 0..N-1;
//! nothing is flushed at the end; a disk write is a dirty eviction; a disk read is a fault
//! (every fault brings its page in from disk in a pure reference replay).
//!
//! The policies and the driver are the `policy` crate's (one implementation of each rule,
//! as `docs/policies.md` states them); this crate turns trace records into page references,
//! counts what a replay reports, and adds the TLB model, stack distances and sweeps.
//!
//! ```
//! use replay::{PageRef, Spec};
//! // Belady's string under FIFO with 3 frames: 9 faults.
//! let refs: Vec<PageRef> = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5].map(|p| PageRef::read(p)).to_vec();
//! let counts = replay::simulate(&refs, Spec::Fifo, 3).unwrap();
//! assert_eq!(counts.page_faults, 9);
//! ```
#![forbid(unsafe_code)]

pub mod cs1550;
mod error;
mod machine;
mod memory;
mod refs;
pub mod stack;
pub mod sweep;
mod tlb;

pub use error::ReplayError;
pub use machine::{MachineCounts, MachineMemory, TABLE_FRAMES};
pub use memory::{
    Counts, DEFAULT_MACHINE_TLB, MAX_FRAMES, Memory, Sink, Target, simulate, simulate_with, sink_for, streaming,
};
pub use paging::Preset;
pub use policy::{OptTies, Options, Spec};
pub use refs::{Kinds, MAX_STRADDLE_PAGES, PageRef, ReplayOptions, TraceSummary, page_refs, replay_trace};
pub use tlb::{Tlb, TlbConfig, TlbCounts};

#[cfg(test)]
mod tests;
