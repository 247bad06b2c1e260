//! The errors of reading and solving a problem text. Line numbers count from 1.

/// A problem text that is not one the simulators print.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text has no line at all.
    #[error("the problem text is empty")]
    Empty,
    /// The leading `ARG` lines match no known simulator.
    #[error("line {line}: not a problem header this solver knows (found `{found}`)")]
    UnknownKind {
        /// The line looked at.
        line: usize,
        /// Its text.
        found: String,
    },
    /// A line is not the one the simulator prints at that place.
    #[error("line {line}: expected {expected}, found `{found}`")]
    Expected {
        /// The offending line.
        line: usize,
        /// What the simulator prints there.
        expected: &'static str,
        /// The line's text.
        found: String,
    },
    /// A number that does not fit (page numbers and sizes are 64-bit signed integers here).
    #[error("line {line}: `{text}` is not a whole number in -2^63..2^63")]
    BadNumber {
        /// The offending line.
        line: usize,
        /// The text that should have been a number.
        text: String,
    },
    /// Two lines of the text disagree (a hand-edited problem).
    #[error("line {line}: {what} `{found}` disagrees with line {other_line} (`{other}`)")]
    Inconsistent {
        /// The later of the two lines.
        line: usize,
        /// What disagrees (`policy`, `cache size`).
        what: &'static str,
        /// The value on `line`.
        found: String,
        /// The earlier line.
        other_line: usize,
        /// The value there.
        other: String,
    },
}

/// A well-formed problem that cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// The policy draws on Python's random number stream (`RAND`, `CLOCK`), which this solver
    /// does not reproduce.
    #[error("policy {policy} follows Python's random number stream, which this solver does not reproduce")]
    Random {
        /// The policy's name as printed.
        policy: String,
    },
    /// A policy the simulator itself does not implement (it prints `Policy X is not yet
    /// implemented` and exits).
    #[error("policy `{policy}` is not one paging-policy.py implements (FIFO, LRU, MRU, OPT, UNOPT, RAND, CLOCK)")]
    UnknownPolicy {
        /// The policy's name as printed.
        policy: String,
    },
    /// A cache of 0 pages: the simulator fails on the first miss (it removes a page from an
    /// empty list).
    #[error("a cache of 0 pages: paging-policy.py fails on the first miss")]
    ZeroCache,
    /// No reference at all: the simulator divides by zero computing the hit rate.
    #[error("no page references: paging-policy.py fails computing the hit rate (0 / 0)")]
    NoReferences,
}
