//! OSTEP homework problems: recognise a problem text printed by one of the book's simulators
//! (run without `-c`), parse it, and print the answer that simulator prints with `-c`, byte for
//! byte.
//!
//! One module a simulator: [`policy`] for `vm-beyondphys-policy/paging-policy.py`. A new kind
//! of problem is a new module with a `matches(&Header)` test and a `Problem` of its own, a new
//! [`Kind`] and [`Problem`] variant, and one arm in [`detect`], [`parse`] and
//! [`Problem::solve`] (the enums are exhaustive on purpose: the compiler then lists every
//! `match` to extend, `vmsim solve`'s included).
//!
//! ```
//! let text = "ARG addresses 1,2,1\nARG addressfile \nARG numaddrs 10\nARG policy FIFO\n\
//!     ARG clockbits 2\nARG cachesize 3\nARG maxpage 10\nARG seed 0\nARG notrace False\n\n\
//!     Assuming a replacement policy of FIFO, and a cache of size 3 pages,\n\
//!     figure out whether each of the following page references hit or miss\n\
//!     in the page cache.\n\n\
//!     Access: 1  Hit/Miss?  State of Memory?\nAccess: 2  Hit/Miss?  State of Memory?\n\
//!     Access: 1  Hit/Miss?  State of Memory?\n\n";
//! let answer = ostep::parse(text)?.solve()?;
//! assert!(answer.ends_with("FINALSTATS hits 1   misses 2   hitrate 33.33\n\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod error;
mod header;
pub mod policy;

pub use error::{ParseError, SolveError};
pub use header::{Header, HeaderLine};

/// Which simulator printed a problem text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `paging-policy.py`: a reference string, a policy and a cache size ([`policy`]).
    Policy,
}

/// A parsed problem of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A `paging-policy.py` problem.
    Policy(policy::Problem),
}

impl Problem {
    /// The text the simulator prints for this problem with `-c`, every line ending in `\n`.
    ///
    /// # Errors
    /// What the kind's own solver refuses (see [`policy::Problem::solve`]).
    pub fn solve(&self) -> Result<String, SolveError> {
        match self {
            Problem::Policy(p) => p.solve(),
        }
    }
}

/// Which simulator printed `text`, told by the names of its leading `ARG name value` lines.
///
/// # Errors
/// [`ParseError::Empty`] for a text with no line; [`ParseError::UnknownKind`] naming the first
/// line when the header matches no known simulator.
pub fn detect(text: &str) -> Result<Kind, ParseError> {
    let header = Header::read(text)?;
    if policy::matches(&header) {
        return Ok(Kind::Policy);
    }
    Err(ParseError::UnknownKind { line: 1, found: header.lines.first().map(|l| l.text.to_owned()).unwrap_or_default() })
}

/// Detects the kind of `text` and parses it.
///
/// # Errors
/// Those of [`detect`], then the kind's own parser's (each names the offending line).
pub fn parse(text: &str) -> Result<Problem, ParseError> {
    match detect(text)? {
        Kind::Policy => policy::Problem::parse(text).map(Problem::Policy),
    }
}
