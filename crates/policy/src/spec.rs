//! Policy names (`lru`, `sfifo:25`, ...), their options, and construction.

use std::fmt;
use std::str::FromStr;

use crate::policies::{
    aging::Aging, clock::Clock, fifo::Fifo, lfu::Lfu, lru::Lru, mru::Mru, nru::Nru, opt::Opt, random::Random,
    sfifo::SegmentedFifo, sieve::Sieve, twoq::TwoQ, wsclock::WsClock,
};
use crate::{Policy, Reference};

/// A policy by name, with its parameter where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    /// `fifo`
    Fifo,
    /// `lru`
    Lru,
    /// `opt` (Belady's MIN)
    Opt,
    /// `clock`
    Clock,
    /// `second` (second chance: a clock whose new pages start with R = 0)
    Second,
    /// `nru`
    Nru,
    /// `aging`
    Aging,
    /// `wsclock`
    WsClock,
    /// `lfu`
    Lfu,
    /// `mru`
    Mru,
    /// `random`
    Random,
    /// `sfifo:P`: a secondary LRU of P% of the frames.
    SegmentedFifo(u8),
    /// `sieve`
    Sieve,
    /// `2q`
    TwoQ,
}

impl Spec {
    /// Every policy, `sfifo` at 25%, in the order the documentation lists them.
    pub const ALL: [Spec; 14] = [
        Spec::Fifo,
        Spec::Lru,
        Spec::Opt,
        Spec::Clock,
        Spec::Second,
        Spec::Nru,
        Spec::Aging,
        Spec::WsClock,
        Spec::Lfu,
        Spec::Mru,
        Spec::Random,
        Spec::SegmentedFifo(25),
        Spec::Sieve,
        Spec::TwoQ,
    ];
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Spec::Fifo => "fifo",
            Spec::Lru => "lru",
            Spec::Opt => "opt",
            Spec::Clock => "clock",
            Spec::Second => "second",
            Spec::Nru => "nru",
            Spec::Aging => "aging",
            Spec::WsClock => "wsclock",
            Spec::Lfu => "lfu",
            Spec::Mru => "mru",
            Spec::Random => "random",
            Spec::SegmentedFifo(p) => return write!(f, "sfifo:{p}"),
            Spec::Sieve => "sieve",
            Spec::TwoQ => "2q",
        };
        f.write_str(name)
    }
}

/// A policy name that is not one of [`Spec`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown policy `{0}` (fifo, lru, opt, clock, second, nru, aging, wsclock, lfu, mru, random, sfifo:P with P in 0..=100, sieve, 2q)"
)]
pub struct SpecError(pub String);

impl FromStr for Spec {
    type Err = SpecError;

    /// A name as [`Display`](fmt::Display) writes it, in any case; `min` is `opt` (Belady's
    /// name for it), and `sfifo:P` takes P in 0..=100 (`sfifo:100` is LRU: the secondary is
    /// capped at n - 1 frames, and a primary of one frame holds the most recent page).
    fn from_str(s: &str) -> Result<Spec, SpecError> {
        let lower = s.to_ascii_lowercase();
        if let Some(p) = lower.strip_prefix("sfifo:") {
            return match p.parse::<u8>() {
                Ok(p) if p <= 100 => Ok(Spec::SegmentedFifo(p)),
                _ => Err(SpecError(s.to_owned())),
            };
        }
        if lower == "min" {
            return Ok(Spec::Opt);
        }
        Spec::ALL
            .into_iter()
            .find(|spec| !matches!(spec, Spec::SegmentedFifo(_)) && spec.to_string() == lower)
            .ok_or_else(|| SpecError(s.to_owned()))
    }
}

/// How `opt` breaks ties among pages never used again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OptTies {
    /// The least recently used of them (`--opt-ties lru`).
    #[default]
    Lru,
    /// The lowest frame index (`--opt-ties frame`).
    Frame,
}

/// The parameters some policies take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `opt`'s tie rule.
    pub opt_ties: OptTies,
    /// `nru`, `aging`: references between two clock ticks (R cleared, counters shifted). At
    /// least 1.
    pub period: u64,
    /// `wsclock`: the working-set window, in references.
    pub tau: u64,
    /// `random`: the seed of its generator.
    pub seed: u64,
}

impl Default for Options {
    /// `--opt-ties lru --period 4 --tau 4 --seed 0`.
    fn default() -> Options {
        Options { opt_ties: OptTies::Lru, period: 4, tau: 4, seed: 0 }
    }
}

/// Parameters no policy can run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A machine of no frame.
    #[error("at least one frame is needed")]
    NoFrames,
    /// A tick period of 0 references.
    #[error("the period must be at least 1 reference")]
    ZeroPeriod,
}

/// A new `spec` policy over `frames` frames. `refs` is the whole reference string, which only
/// `opt` reads (its next-use pass); the references then given to it must be those, in order.
///
/// # Errors
/// [`BuildError::NoFrames`] for 0 frames; [`BuildError::ZeroPeriod`] for a period of 0.
pub fn build(spec: Spec, frames: usize, options: &Options, refs: &[Reference]) -> Result<Box<dyn Policy>, BuildError> {
    if frames == 0 {
        return Err(BuildError::NoFrames);
    }
    if options.period == 0 {
        return Err(BuildError::ZeroPeriod);
    }
    Ok(match spec {
        Spec::Fifo => Box::new(Fifo::new(frames)),
        Spec::Lru => Box::new(Lru::new(frames)),
        Spec::Opt => Box::new(Opt::new(frames, refs, options.opt_ties)),
        Spec::Clock => Box::new(Clock::classic(frames)),
        Spec::Second => Box::new(Clock::second_chance(frames)),
        Spec::Nru => Box::new(Nru::new(frames, options.period)),
        Spec::Aging => Box::new(Aging::new(frames, options.period)),
        Spec::WsClock => Box::new(WsClock::new(frames, options.tau)),
        Spec::Lfu => Box::new(Lfu::new(frames)),
        Spec::Mru => Box::new(Mru::new(frames)),
        Spec::Random => Box::new(Random::new(frames, options.seed)),
        Spec::SegmentedFifo(p) => Box::new(SegmentedFifo::new(frames, p)),
        Spec::Sieve => Box::new(Sieve::new(frames)),
        Spec::TwoQ => Box::new(TwoQ::new(frames)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for spec in Spec::ALL {
            assert_eq!(spec.to_string().parse::<Spec>(), Ok(spec));
        }
        assert_eq!("sfifo:0".parse::<Spec>(), Ok(Spec::SegmentedFifo(0)));
        assert_eq!("sfifo:100".parse::<Spec>(), Ok(Spec::SegmentedFifo(100)));
        assert_eq!(("LRU".parse::<Spec>(), "min".parse::<Spec>()), (Ok(Spec::Lru), Ok(Spec::Opt)));
        for bad in ["sfifo", "sfifo:101", "sfifo:-1", "sfifo:x", "arc", "belady", ""] {
            assert!(bad.parse::<Spec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn refusals() {
        let o = Options::default();
        assert!(matches!(build(Spec::Lru, 0, &o, &[]), Err(BuildError::NoFrames)));
        assert!(matches!(build(Spec::Nru, 2, &Options { period: 0, ..o }, &[]), Err(BuildError::ZeroPeriod)));
    }
}
