//! OSTEP homework problems: recognise a problem text printed by one of the book's simulators
//! (run without `-c`), parse it, and print the answer that simulator prints with `-c`, byte for
//! byte.
//!
//! One module a simulator: [`policy`] for `vm-beyondphys-policy/paging-policy.py`, [`linear`]
//! for `vm-paging/paging-linear-translate.py` and [`multilevel`] for
//! `vm-smalltables/paging-multilevel-translate.py`; the two translation problems are worked on
//! a simulated machine (`machine.rs`): the problem's table is loaded into an arena and each
//! address walked with the project's walker, `paging::MachineFormat::walk`. A new kind
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
//!
//! A linear-table problem (`paging-linear-translate.py -a 32 -p 64 -P 16 -A 17,5`, with a
//! table made by hand):
//!
//! ```
//! let text = "\
//! ARG seed 0
//! ARG address space size 32
//! ARG phys mem size 64
//! ARG page size 16
//! ARG verbose False
//! ARG addresses 17,5
//!
//!
//! The format of the page table is simple:
//! The high-order (left-most) bit is the VALID bit.
//!   If the bit is 1, the rest of the entry is the PFN.
//!   If the bit is 0, the page is not valid.
//! Use verbose mode (-v) if you want to print the VPN # by
//! each entry of the page table.
//!
//! Page Table (from entry 0 down to the max size)
//!   0x00000000
//!   0x80000003
//!
//! Virtual Address Trace
//!   VA 0x00000011 (decimal:       17) --> PA or invalid address?
//!   VA 0x00000005 (decimal:        5) --> PA or invalid address?
//!
//! ";
//! let answer = ostep::parse(text)?.solve()?;
//! // VPN 1 maps frame 3: 0x11 = page 1, offset 1, so 3 * 16 + 1 = 0x31. VPN 0 is not valid.
//! assert!(answer.ends_with(
//!     "Virtual Address Trace\n\
//!      \x20 VA 0x00000011 (decimal:       17) --> 00000031 (decimal       49) [VPN 1]\n\
//!      \x20 VA 0x00000005 (decimal:        5) -->  Invalid (VPN 0 not valid)\n\n"
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod error;
mod header;
pub mod linear;
mod machine;
pub mod multilevel;
pub mod policy;
mod pyrandom;
mod text;

pub use error::{ParseError, SolveError};
pub use header::{Header, HeaderLine};
pub use linear::LinearProblem;
pub use multilevel::MultilevelProblem;

/// Which simulator printed a problem text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `paging-policy.py`: a reference string, a policy and a cache size ([`policy`]).
    Policy,
    /// `paging-linear-translate.py`: a linear page table and addresses ([`linear`]).
    Linear,
    /// `paging-multilevel-translate.py`: a two-level table in a memory dump ([`multilevel`]).
    Multilevel,
}

/// A parsed problem of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A `paging-policy.py` problem.
    Policy(policy::Problem),
    /// A `paging-linear-translate.py` problem.
    Linear(LinearProblem),
    /// A `paging-multilevel-translate.py` problem.
    Multilevel(MultilevelProblem),
}

impl Problem {
    /// The text the simulator prints for this problem with `-c`, every line ending in `\n`.
    ///
    /// # Errors
    /// What the kind's own solver refuses (see [`policy::Problem::solve`]);
    /// [`SolveError::VpnPastTable`] where `paging-linear-translate.py` itself fails part way
    /// (its [`SolveError::printed`] is what the script prints before that).
    pub fn solve(&self) -> Result<String, SolveError> {
        match self {
            Problem::Policy(p) => p.solve(),
            Problem::Linear(p) => {
                let answer = p.solve()?;
                let printed = linear::Full { problem: p, answer: &answer }.to_string();
                match answer.failure() {
                    None => Ok(printed),
                    Some((t, vpn)) => Err(SolveError::VpnPastTable {
                        line: t.line,
                        va: t.va,
                        vpn,
                        entries: p.entries().len() as u64,
                        printed,
                    }),
                }
            }
            Problem::Multilevel(p) => Ok(multilevel::Full { problem: p, answer: &p.solve()? }.to_string()),
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
    if linear::matches(&header) {
        return Ok(Kind::Linear);
    }
    if multilevel::matches(&header) {
        return Ok(Kind::Multilevel);
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
        Kind::Linear => LinearProblem::parse(text).map(Problem::Linear),
        Kind::Multilevel => MultilevelProblem::parse(text).map(Problem::Multilevel),
    }
}
