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

/// One of the parameters in [`Options`]. Each is read by a few policies only; the rest
/// ignore it, so a caller that lets a user set one checks it with [`check_used`] (a
/// `--period 5` given to fifo must not look as if it did something).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameter {
    /// [`Options::opt_ties`]: read by `opt`.
    OptTies,
    /// [`Options::period`]: read by `nru` and `aging`.
    Period,
    /// [`Options::tau`]: read by `wsclock`.
    Tau,
    /// [`Options::seed`]: read by `random`.
    Seed,
}

impl Parameter {
    /// Every parameter, in [`Options`]' order.
    pub const ALL: [Parameter; 4] = [Parameter::OptTies, Parameter::Period, Parameter::Tau, Parameter::Seed];

    /// The option's name as the command line spells it, without the dashes: `opt-ties`,
    /// `period`, `tau`, `seed`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Parameter::OptTies => "opt-ties",
            Parameter::Period => "period",
            Parameter::Tau => "tau",
            Parameter::Seed => "seed",
        }
    }

    /// What the parameter is, for messages: `a tick period`, ...
    const fn what(self) -> &'static str {
        match self {
            Parameter::OptTies => "a tie rule",
            Parameter::Period => "a tick period",
            Parameter::Tau => "a working-set window",
            Parameter::Seed => "a seed",
        }
    }

    /// The policies that read it, in [`Spec::ALL`]'s order.
    pub fn users(self) -> impl Iterator<Item = Spec> {
        Spec::ALL.into_iter().filter(move |spec| spec.uses(self))
    }
}

impl Spec {
    /// Whether [`build`] gives this policy `parameter` from its [`Options`]. This is the one
    /// statement of which policy reads which parameter; [`build`]'s match must agree with it
    /// (a unit test checks every pair).
    #[must_use]
    pub const fn uses(self, parameter: Parameter) -> bool {
        matches!(
            (self, parameter),
            (Spec::Opt, Parameter::OptTies)
                | (Spec::Nru | Spec::Aging, Parameter::Period)
                | (Spec::WsClock, Parameter::Tau)
                | (Spec::Random, Parameter::Seed)
        )
    }
}

/// A parameter given to policies none of which reads it. Its message names the policies that
/// do read it and those given: `only nru and aging take a tick period, not fifo`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("only {} {} {}, not {}", or_and(parameter.users(), "and"), if parameter.users().count() == 1 { "takes" } else { "take" }, parameter.what(), or_and(given.iter().copied(), "or"))]
pub struct UnusedParameter {
    /// The parameter.
    pub parameter: Parameter,
    /// The policies given, none of which reads it.
    pub given: Vec<Spec>,
}

/// `a`, `a and b`, `a, b and c` (with `word` for `and`).
fn or_and(specs: impl Iterator<Item = Spec>, word: &str) -> String {
    let names: Vec<String> = specs.map(|s| s.to_string()).collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {word} {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Checks that each parameter in `given` (those a user set) is read by at least one of
/// `specs` (the policies to run); a parameter that none reads would silently do nothing.
///
/// # Errors
/// [`UnusedParameter`] for the first of `given` that none of `specs` reads.
pub fn check_used(specs: &[Spec], given: impl IntoIterator<Item = Parameter>) -> Result<(), UnusedParameter> {
    for parameter in given {
        if !specs.iter().any(|spec| spec.uses(parameter)) {
            return Err(UnusedParameter { parameter, given: specs.to_vec() });
        }
    }
    Ok(())
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

    #[test]
    fn build_reads_exactly_the_parameters_uses_says() {
        // Two option sets that differ only in `parameter` give the same steps to every policy
        // that does not use it, and different ones (on a string chosen to show it) to those
        // that do.
        let refs: Vec<Reference> = [
            1, 2, 3, 4, 1, 5, 2, 6, 1, 3, 7, 2, 5, 1, 4, 6, 3, 1, 2, 7, 8, 1, 9, 2, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 1,
            5, 1, 6,
        ]
        .iter()
        .enumerate()
        .map(|(i, &p)| if i % 3 == 0 { Reference::write(p) } else { Reference::read(p) })
        .collect();
        let base = Options::default();
        for parameter in Parameter::ALL {
            let other = match parameter {
                Parameter::OptTies => Options { opt_ties: OptTies::Frame, ..base },
                Parameter::Period => Options { period: 1, ..base },
                Parameter::Tau => Options { tau: 1, ..base },
                Parameter::Seed => Options { seed: 12345, ..base },
            };
            for spec in Spec::ALL {
                let steps = |o: &Options| {
                    let mut sim = crate::Simulator::new(spec, 3, o, &refs).unwrap();
                    refs.iter().map(|&r| sim.access(r)).collect::<Vec<_>>()
                };
                assert_eq!(steps(&base) != steps(&other), spec.uses(parameter), "{spec} {parameter:?}");
            }
        }
    }

    #[test]
    fn unused_parameters_are_named_with_their_users() {
        assert_eq!(check_used(&[Spec::Fifo, Spec::Nru], [Parameter::Period]), Ok(()));
        let e = check_used(&[Spec::Fifo], [Parameter::Period, Parameter::Seed]).unwrap_err();
        assert_eq!(e.to_string(), "only nru and aging take a tick period, not fifo");
        let e = check_used(&[Spec::Fifo, Spec::Lru, Spec::Clock], [Parameter::Tau]).unwrap_err();
        assert_eq!(e.to_string(), "only wsclock takes a working-set window, not fifo, lru or clock");
        assert_eq!(Parameter::OptTies.users().collect::<Vec<_>>(), [Spec::Opt]);
    }
}
