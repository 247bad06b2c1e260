//! The errors of reading and solving a problem text. Line numbers count from 1.

use std::fmt;

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
    /// A number that is not one, or does not fit (sizes are 64-bit signed integers here).
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
    /// A line that is not what the script prints there, or holds a value the script would
    /// have refused (a page size that is not a power of two, say).
    #[error("line {line}: expected {expected}, found {}", Found(found.as_deref()))]
    Line {
        /// The offending line (one past the last when the text ended too early).
        line: usize,
        /// What the script prints there, in words.
        expected: String,
        /// The line, cut to 60 characters; `None` at the end of the text.
        found: Option<String>,
    },
}

/// The most characters of an offending line a [`ParseError::Line`] repeats.
const SHOWN: usize = 60;

/// Displays a found line quoted, or "the end of the text".
struct Found<'a>(Option<&'a str>);

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("the end of the text"),
            Some(s) => write!(f, "`{s}`"),
        }
    }
}

impl ParseError {
    /// A [`ParseError::Line`] at `line`, whose text is `found` (cut to 60 characters).
    pub(crate) fn new(line: usize, expected: impl Into<String>, found: Option<&str>) -> Self {
        let found = found.map(|s| match s.char_indices().nth(SHOWN) {
            Some((cut, _)) => format!("{}...", &s[..cut]),
            None => s.to_owned(),
        });
        ParseError::Line { line, expected: expected.into(), found }
    }

    /// The line the error is about, if it is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ParseError::Empty => None,
            ParseError::UnknownKind { line, .. }
            | ParseError::Expected { line, .. }
            | ParseError::BadNumber { line, .. }
            | ParseError::Inconsistent { line, .. }
            | ParseError::Line { line, .. } => Some(*line),
        }
    }
}

/// A well-formed problem that cannot be answered, or whose script fails part way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// A `RAND` or `CLOCK` problem whose `ARG seed` or `ARG clockbits` is not an integer as
    /// Python's `int()` reads it (the script would have stopped before printing the problem).
    #[error("ARG {what} `{text}` is not an integer")]
    NotAnInteger {
        /// Which `ARG` line (`seed`, `clockbits`).
        what: &'static str,
        /// Its value.
        text: String,
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
    /// `paging-linear-translate.py -c` indexes its table with a VPN past the end and stops
    /// with an `IndexError`: `printed` is what it prints before that.
    #[error(
        "line {line}: virtual address {va} is on virtual page {vpn}, past the page table's {entries} entries: paging-linear-translate.py -c stops here with an IndexError"
    )]
    VpnPastTable {
        /// The address's line in the problem.
        line: usize,
        /// The address.
        va: i128,
        /// Its VPN.
        vpn: u64,
        /// Entries in the table.
        entries: u64,
        /// What the script prints with `-c` up to that address.
        printed: String,
    },
    /// `paging-policy.py -c` itself stops on this problem (`cause`: an unknown policy, a
    /// cache of 0 pages, no reference): `printed` is what it prints on standard output
    /// before it stops (for an unknown policy, its `Policy X is not yet implemented` line).
    #[error("{cause}")]
    PolicyScriptStops {
        /// Why the script stops: [`SolveError::UnknownPolicy`], [`SolveError::ZeroCache`] or
        /// [`SolveError::NoReferences`].
        cause: Box<SolveError>,
        /// What the script prints with `-c` before it stops.
        printed: String,
    },
    /// The problem's machine could not be built (paging refused the geometry or layout, or
    /// the arena the size). No parsed problem does that; the error exists so that a broken
    /// invariant is a message, not a panic.
    #[error("the problem's machine cannot be built: {reason}")]
    Machine {
        /// What paging or the arena said.
        reason: String,
    },
    /// The walk faulted for a reason other than an invalid entry (a table outside memory):
    /// never for a parsed problem, as above.
    #[error("the walk failed: {0}")]
    Walk(paging::WalkFault),
    /// A walk read no entry at all (as above, never for a parsed problem).
    #[error("the walk read no page-table entry")]
    EmptyWalk,
    /// A translated address is outside the loaded memory (as above, never for a parsed
    /// problem).
    #[error("physical address {pa:#x} is outside the memory")]
    DataOutside {
        /// The physical address.
        pa: u64,
    },
}

impl SolveError {
    /// What the script prints before it fails, for an error that is the script's own failure.
    pub fn printed(&self) -> Option<&str> {
        match self {
            SolveError::VpnPastTable { printed, .. } | SolveError::PolicyScriptStops { printed, .. } => Some(printed),
            _ => None,
        }
    }
}
