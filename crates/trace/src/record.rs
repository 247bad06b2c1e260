//! The record every reader yields, the kinds of access, and the list of formats.

use std::fmt;
use std::str::FromStr;

use crate::error::Malformed;

/// What a record does to memory.
///
/// A `Modify` (lackey `M`, ls `m`) is one access that both reads and writes its bytes (an
/// increment in place): it counts once as a reference and dirties the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A data read (lackey `L`, rw `R`, ls `l`, Dinero label 0, pinatrace `R`).
    Read,
    /// A data write (lackey `S`, rw `W`, ls `s`, Dinero label 1, pinatrace `W`, pages `w`).
    Write,
    /// An instruction fetch (lackey `I`, Dinero label 2): a read.
    Fetch,
    /// One access that reads and writes (lackey `M`, ls `m`).
    Modify,
}

impl Kind {
    /// Whether the access changes memory, so that the page becomes dirty (`Write` and `Modify`).
    #[must_use]
    pub fn writes(self) -> bool {
        matches!(self, Kind::Write | Kind::Modify)
    }

    /// All four kinds, in the order reports list them.
    pub const ALL: [Kind; 4] = [Kind::Fetch, Kind::Read, Kind::Write, Kind::Modify];

    /// A short lower-case name: `fetch`, `read`, `write`, `modify`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Write => "write",
            Kind::Fetch => "fetch",
            Kind::Modify => "modify",
        }
    }
}

/// One memory access of a trace.
///
/// `addr` is a virtual byte address, except in the [`Format::Pages`] format where it is a page
/// number (see [`Format::gives_pages`]). `size` is the number of bytes accessed, at least 1;
/// formats that do not record a size give 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Record {
    /// The first byte's address (or the page number for [`Format::Pages`]).
    pub addr: u64,
    /// Read, write, instruction fetch or modify.
    pub kind: Kind,
    /// Bytes accessed, >= 1 (1 when the format does not say).
    pub size: u32,
}

/// What one line of a trace is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A memory access.
    Record(Record),
    /// A line that is not a record and is skipped (blank lines, `#` comments, Valgrind
    /// `==pid==` banners, a program's own output in a lackey log, Dinero labels 3 and 4).
    Skip,
}

/// The trace formats. Each has its own module with the exact line syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Valgrind `--tool=lackey --trace-mem=yes` ([`crate::lackey`]).
    Lackey,
    /// `0041f7a0 R` / `W` lines: Pitt CS1550, USF COP4600, Adelaide ([`crate::rw`]).
    Rw,
    /// `l 0x1fffff58` / `s` / `m` lines ([`crate::ls`]).
    Ls,
    /// Dinero `din`: label then hex address ([`crate::din`]).
    Din,
    /// Intel Pin's pinatrace: `ip: R addr` ([`crate::pin`]).
    Pin,
    /// One decimal page number per line, optional `w` ([`crate::pages`]).
    Pages,
}

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: [Format; 6] = [Format::Lackey, Format::Pin, Format::Din, Format::Ls, Format::Rw, Format::Pages];

    /// The name used on the command line (`--trace-format`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Format::Lackey => "lackey",
            Format::Rw => "rw",
            Format::Ls => "ls",
            Format::Din => "din",
            Format::Pin => "pin",
            Format::Pages => "pages",
        }
    }

    /// Whether records carry page numbers rather than byte addresses.
    #[must_use]
    pub fn gives_pages(self) -> bool {
        self == Format::Pages
    }

    /// Parses one line (without its line end; a trailing `\r` is tolerated).
    ///
    /// # Errors
    /// [`Malformed`] says what was wrong when the line looks like a record of this format but
    /// is not a valid one.
    pub fn parse(self, line: &[u8]) -> Result<Parsed, Malformed> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match self {
            Format::Lackey => crate::lackey::parse(line),
            Format::Rw => crate::rw::parse(line),
            Format::Ls => crate::ls::parse(line),
            Format::Din => crate::din::parse(line),
            Format::Pin => crate::pin::parse(line),
            Format::Pages => crate::pages::parse(line),
        }
    }

    /// Appends `record` as one line of this format (with its `\n`), for tests and converters.
    /// A kind the format cannot express is written as the nearest one it has (a fetch as a
    /// read, a modify as a write), and a size it cannot hold is dropped.
    pub fn write(self, record: &Record, out: &mut Vec<u8>) {
        match self {
            Format::Lackey => crate::lackey::write(record, out),
            Format::Rw => crate::rw::write(record, out),
            Format::Ls => crate::ls::write(record, out),
            Format::Din => crate::din::write(record, out),
            Format::Pin => crate::pin::write(record, out),
            Format::Pages => crate::pages::write(record, out),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    /// Parses a format name (`lackey`, `rw`, `ls`, `din`, `pin`, `pages`).
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown trace format `{s}` (expected lackey, rw, ls, din, pin or pages)"))
    }
}
