//! Replacement policies over frame indices, behind one small trait that the driver
//! ([`crate::Memory`]) calls; each policy one file, with its exact rule (issue 13's definitions).
//!
//! These serve the trace replay until the shared `policy` crate lands on main; then the replay
//! should drive that crate's policies instead of these.

use std::fmt;
use std::str::FromStr;

mod clock;
mod fifo;
mod list;
mod lru;
mod opt;
mod sfifo;

pub use clock::Clock;
pub use fifo::Fifo;
pub use lru::Lru;
pub use opt::{NEVER, Opt, next_uses};
pub use sfifo::Sfifo;

/// What the driver tells a policy, and the one question it asks. Frames are `0..n`; times are
/// reference indices (0, 1, 2, ...), increasing.
pub trait Policy {
    /// The page in `frame` was referenced at time `t` (a hit).
    fn hit(&mut self, frame: usize, t: u64);
    /// A page was loaded into `frame` at time `t` (after a fault; into a free frame, or into
    /// the frame [`Policy::victim`] just returned).
    fn loaded(&mut self, frame: usize, t: u64);
    /// Every frame is in use and the reference at time `t` faulted: the frame to evict. Only
    /// called when all `n` frames hold a page.
    fn victim(&mut self, t: u64) -> usize;
}

/// The policies a replay can use (`--policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// `fifo`: evict the page loaded earliest.
    Fifo,
    /// `lru`: evict the page whose last reference is oldest.
    Lru,
    /// `opt` (Belady's MIN): the page whose next reference is furthest; among pages never
    /// referenced again, the least recently used.
    Opt,
    /// `clock`: a hand over the frames; a loaded page gets R=1, a hit sets R=1; on a fault the
    /// hand clears R=1 frames as it passes and evicts the first R=0 frame, then moves past it.
    Clock,
    /// `second`: as `clock`, but a loaded page gets R=0.
    Second,
    /// `sfifo:P`: a FIFO primary and an LRU secondary of P% of the frames (rounded down).
    Sfifo {
        /// The secondary's share of the frames, 0..=100.
        percent: u8,
    },
}

impl PolicyKind {
    /// The lower-case name as given on the command line (`sfifo:50`).
    #[must_use]
    pub fn name(self) -> String {
        match self {
            PolicyKind::Fifo => "fifo".into(),
            PolicyKind::Lru => "lru".into(),
            PolicyKind::Opt => "opt".into(),
            PolicyKind::Clock => "clock".into(),
            PolicyKind::Second => "second".into(),
            PolicyKind::Sfifo { percent } => format!("sfifo:{percent}"),
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for PolicyKind {
    type Err = String;

    /// Parses `fifo`, `lru`, `opt` (or `min`), `clock`, `second`, `sfifo:P` (P in 0..=100).
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "fifo" => PolicyKind::Fifo,
            "lru" => PolicyKind::Lru,
            "opt" | "min" => PolicyKind::Opt,
            "clock" => PolicyKind::Clock,
            "second" => PolicyKind::Second,
            other => match other.strip_prefix("sfifo:") {
                Some(p) => match p.parse::<u8>() {
                    Ok(percent) if percent <= 100 => PolicyKind::Sfifo { percent },
                    _ => return Err(format!("sfifo:{p}: the secondary's share must be a percentage 0..100")),
                },
                None => {
                    return Err(format!("unknown policy `{s}` (expected fifo, lru, opt, clock, second or sfifo:P)"));
                }
            },
        })
    }
}

#[cfg(test)]
mod tests;
