//! OSTEP's `paging-linear-translate.py` (chapter 18, `vm-paging/`): a linear page table of
//! 32-bit entries and a list of virtual addresses to translate.
//!
//! The facts this module relies on, from the script:
//! - It prints six `ARG` lines (seed, address space size, physical memory size, page size,
//!   verbose, addresses), a blank line, a blank line, seven lines explaining the entry format
//!   ending in a blank line, `Page Table (from entry 0 down to the max size)`, one entry per
//!   line (`  0x%08x`, or `  [%8d]  0x%08x` with `-v`), a blank line, `Virtual Address Trace`,
//!   one `  VA 0x%08x (decimal: %8d) --> PA or invalid address?` line per address, a blank
//!   line and, without `-c`, two lines of instructions and a blank line.
//! - Sizes are Python integers with an optional `k`, `m` or `g` suffix; the script insists on
//!   powers of two, a physical memory larger than the address space, both under 1 GiB, and
//!   each a multiple of the page size. The table has one entry per virtual page.
//! - An entry's bit 31 is the valid bit; the rest is the PFN (`0x80000000 | pfn`; an invalid
//!   entry is printed as 0).
//! - The VPN is `(va & (0xFFFFFFFF & ~(pagesize - 1))) >> log2(pagesize)`: address bits from
//!   32 up are dropped, lower ones are not checked against the address space. A VPN past the
//!   table makes the script fail with Python's `IndexError`, which is where its `-c` output
//!   stops.
//! - With `-c` each address line becomes
//!   `  VA 0x%08x (decimal: %8d) --> %08x (decimal %8d) [VPN %d]` or
//!   `  VA 0x%08x (decimal: %8d) -->  Invalid (VPN %d not valid)` (two spaces before
//!   `Invalid`), and the instructions at the end are not printed.

use std::fmt;

use crate::SolveError;
use crate::machine::{End, Layout, Machine, Shape};
use crate::text::{Lines, PyHex, py_size, read_py_hex};
use crate::{Header, ParseError};

/// The entry's valid bit (the "high-order (left-most) bit" of a 32-bit entry).
const VALID_BIT: u8 = 31;
/// Bytes in one entry.
const ENTRY_BYTES: u8 = 4;
/// The script's own limit on both sizes: "less than 1 GB".
const SIZE_LIMIT: u64 = 1 << 30;
/// The bits of a virtual address the script's VPN mask keeps (`0xFFFFFFFF & ~pagemask`).
const VA_MASK: i128 = 0xFFFF_FFFF;

/// The six `ARG` lines, in order: the line's prefix, and how an error names its value.
const ARGS: [&str; 6] =
    ["ARG seed ", "ARG address space size ", "ARG phys mem size ", "ARG page size ", "ARG verbose ", "ARG addresses "];

/// The explanation between the `ARG` lines and the table, after two blank lines.
const PROSE: [&str; 8] = [
    "The format of the page table is simple:",
    "The high-order (left-most) bit is the VALID bit.",
    "  If the bit is 1, the rest of the entry is the PFN.",
    "  If the bit is 0, the page is not valid.",
    "Use verbose mode (-v) if you want to print the VPN # by",
    "each entry of the page table.",
    "",
    "Page Table (from entry 0 down to the max size)",
];

/// The instructions after the trace (not printed with `-c`).
const INSTRUCTIONS: [&str; 2] = [
    "For each virtual address, write down the physical address it translates to",
    "OR write down that it is an out-of-bounds address (e.g., segfault).",
];

const TRACE_HEADER: &str = "Virtual Address Trace";
const QUESTION: &str = " --> PA or invalid address?";

/// Whether `header` is the one `paging-linear-translate.py` prints: its six `ARG` lines.
pub fn matches(header: &Header<'_>) -> bool {
    header.names_are(&["seed", "address space size", "phys mem size", "page size", "verbose", "addresses"])
}

/// A problem as the script printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearProblem {
    /// Address-space size in bytes (a power of two, under 1 GiB).
    pub(crate) address_space: u64,
    /// Physical memory size in bytes.
    pub(crate) phys_mem: u64,
    /// Page size in bytes (a power of two, at most the address space).
    pub(crate) page_size: u64,
    /// The page table, one raw 32-bit entry per virtual page.
    pub(crate) entries: Vec<u32>,
    /// The virtual addresses to translate, in order.
    pub(crate) trace: Vec<TraceAddress>,
    /// The text up to and including `Virtual Address Trace`, each line ending in `\n`: what
    /// the script prints before the answers, with or without `-c`.
    pub(crate) preamble: String,
}

/// One address of the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceAddress {
    /// Its line in the problem text.
    pub line: usize,
    /// The address: any Python integer the script accepted, negative or past 32 bits included.
    pub va: i128,
}

/// What one address translates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A valid entry: the physical address.
    Mapped {
        /// The virtual page.
        vpn: u64,
        /// The physical address.
        pa: u64,
    },
    /// The entry is not valid.
    Invalid {
        /// The virtual page.
        vpn: u64,
    },
    /// The VPN is past the table: the script stops here with an `IndexError`.
    PastTable {
        /// The virtual page.
        vpn: u64,
    },
}

/// The answers, one per trace address, up to and including the first [`Outcome::PastTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinearAnswer {
    /// Each address and its outcome.
    pub rows: Vec<(TraceAddress, Outcome)>,
}

/// The script's `vpnmask >> pagebits` for a page of `page_bits`: the VPN of `va`.
fn vpn_of(va: i128, page_bits: u32) -> u64 {
    // i128 `&` is two's complement on an unbounded width, as Python's `&` on int is.
    let kept = va & VA_MASK;
    (kept >> page_bits) as u64
}

impl LinearProblem {
    /// Reads a problem printed by `paging-linear-translate.py` without `-c`.
    ///
    /// # Errors
    /// [`ParseError`] at the first line that is not what the script prints, or whose value
    /// the script would have refused (a size that is not a power of two, say).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut lines = Lines::new(text);
        let mut preamble = String::new();
        let mut keep = |line: &str| {
            preamble.push_str(line);
            preamble.push('\n');
        };

        let mut values = [(0usize, ""); 6];
        for (i, prefix) in ARGS.iter().enumerate() {
            let (no, value) = lines.after(prefix, &format!("the line {:?}", format!("{prefix}...")))?;
            values[i] = (no, value);
            keep(&format!("{prefix}{value}"));
        }
        let size = |(no, v): (usize, &str), what: &str| -> Result<u64, ParseError> {
            match py_size(v) {
                Some(n) if n >= 1 && n < i128::from(SIZE_LIMIT) => Ok(n as u64),
                _ => Err(ParseError::new(no, format!("{what}: a size under 1g such as 16k or 4096"), Some(v))),
            }
        };
        let address_space = size(values[1], "the address space size")?;
        let phys_mem = size(values[2], "the physical memory size")?;
        let page_size = size(values[3], "the page size")?;
        if phys_mem <= address_space {
            let e = format!("a physical memory larger than the address space ({address_space} bytes)");
            return Err(ParseError::new(values[2].0, e, Some(values[2].1)));
        }
        for (at, n, what) in [(values[1], address_space, "address space"), (values[3], page_size, "page")] {
            if !n.is_power_of_two() {
                return Err(ParseError::new(at.0, format!("a power of two for the {what} size"), Some(at.1)));
            }
        }
        if address_space % page_size != 0 || phys_mem % page_size != 0 {
            let e =
                format!("a page size that divides both the address space and the physical memory ({phys_mem} bytes)");
            return Err(ParseError::new(values[3].0, e, Some(values[3].1)));
        }
        if !matches!(values[4].1, "True" | "False") {
            return Err(ParseError::new(values[4].0, "True or False", Some(values[4].1)));
        }

        for want in ["", ""].iter().chain(&PROSE) {
            lines.exact(want, &describe(want))?;
            keep(want);
        }

        let pages = address_space / page_size;
        let mut entries = Vec::with_capacity(usize::try_from(pages).unwrap_or(0).min(1 << 20));
        for index in 0..pages {
            let (no, line) = lines.next(&format!("page-table entry {index} of {pages}"))?;
            entries.push(parse_entry(line, index).ok_or_else(|| {
                let e = format!("page-table entry {index} of {pages}, \"  0x%08x\" or \"  [%8d]  0x%08x\"");
                ParseError::new(no, e, Some(line))
            })?);
            keep(line);
        }
        lines.exact("", &format!("a blank line after the {pages} entries of the page table"))?;
        keep("");
        lines.exact(TRACE_HEADER, &describe(TRACE_HEADER))?;
        keep(TRACE_HEADER);

        let mut trace = Vec::new();
        loop {
            let (no, line) = lines.next("an address line or a blank line")?;
            if line.is_empty() {
                break;
            }
            let va = parse_question(line).ok_or_else(|| {
                ParseError::new(
                    no,
                    "\"  VA 0x%08x (decimal: %8d) --> PA or invalid address?\" or a blank line",
                    Some(line),
                )
            })?;
            trace.push(TraceAddress { line: no, va });
        }
        // What follows is the instructions (absent when the text was cut short), then nothing.
        for want in INSTRUCTIONS.iter().chain(&[""]) {
            if lines.peek().is_none() {
                break;
            }
            lines.exact(want, &describe(want))?;
        }
        while let Some(line) = lines.peek() {
            let no = lines.next_no();
            if !line.trim().is_empty() {
                return Err(ParseError::new(no, "the end of the problem", Some(line)));
            }
            lines.next("")?;
        }
        Ok(LinearProblem { address_space, phys_mem, page_size, entries, trace, preamble })
    }

    /// The page table, one raw 32-bit entry per virtual page.
    pub fn entries(&self) -> &[u32] {
        &self.entries
    }

    /// The addresses to translate.
    pub fn trace(&self) -> &[TraceAddress] {
        &self.trace
    }

    /// The page size in bytes.
    pub fn page_size(&self) -> u64 {
        self.page_size
    }

    /// The machine of this problem: a single-level table of 32-bit entries (valid bit 31, the
    /// PFN in the 31 bits below) as the only thing in its memory, from address 0.
    ///
    /// A table of one entry (the address space is one page) is walked as a table of two
    /// whose second entry is never used: a level has at least one index bit.
    fn machine(&self) -> Result<Machine, SolveError> {
        let page_bits = self.page_size.trailing_zeros() as u8;
        let vpn_bits = (self.address_space / self.page_size).trailing_zeros() as u8;
        let layout = Layout { entry_bytes: ENTRY_BYTES, valid_bit: VALID_BIT, pfn_bits: VALID_BIT };
        let mut memory: Vec<u8> = self.entries.iter().flat_map(|e| e.to_le_bytes()).collect();
        memory.resize(memory.len().max(2 * usize::from(ENTRY_BYTES)), 0);
        Machine::load(&Shape { page_bits, level_bits: vec![vpn_bits.max(1)], layout }, &memory)
    }

    /// Translates every address of the trace, up to the first whose VPN is past the table.
    ///
    /// # Errors
    /// [`SolveError`] if the machine refuses a walk, which a parsed problem never makes it do
    /// (the VPN is checked against the table first): a broken invariant is a message, not a
    /// panic.
    pub fn solve(&self) -> Result<LinearAnswer, SolveError> {
        let machine = self.machine()?;
        let page_bits = self.page_size.trailing_zeros();
        let mut rows = Vec::with_capacity(self.trace.len());
        for &t in &self.trace {
            let vpn = vpn_of(t.va, page_bits);
            if vpn >= self.entries.len() as u64 {
                rows.push((t, Outcome::PastTable { vpn }));
                break;
            }
            // The VPN is in the table, so the walk reads inside memory. Its low 32 bits are
            // the address the script translates.
            let outcome = match machine.walk(0, (t.va & VA_MASK) as u64)?.end {
                End::Mapped { pa } => Outcome::Mapped { vpn, pa },
                End::Fault { .. } => Outcome::Invalid { vpn },
            };
            rows.push((t, outcome));
        }
        Ok(LinearAnswer { rows })
    }
}

fn describe(line: &str) -> String {
    if line.is_empty() { "a blank line".to_owned() } else { format!("the line {line:?}") }
}

/// One table line: `  0x%08x`, or `  [%8d]  0x%08x` whose number must be `index`.
fn parse_entry(line: &str, index: u64) -> Option<u32> {
    let rest = line.strip_prefix("  ")?;
    let hex = match rest.strip_prefix('[') {
        Some(v) => {
            let (n, after) = v.split_once(']')?;
            if n.trim_start().parse::<u64>().ok()? != index || n.len() < 8 {
                return None;
            }
            after.strip_prefix("  ")?
        }
        None => rest,
    };
    let digits = hex.strip_prefix("0x")?;
    if digits.len() < 8 {
        return None;
    }
    u32::try_from(read_py_hex(digits)?).ok()
}

/// One question line; the address, whose hex and decimal forms must agree.
fn parse_question(line: &str) -> Option<i128> {
    let rest = line.strip_prefix("  VA 0x")?.strip_suffix(QUESTION)?;
    let (hex, dec) = rest.split_once(" (decimal: ")?;
    let dec = dec.strip_suffix(')')?;
    let va = read_py_hex(hex)?;
    let shown = PyHex { value: va, width: 8 }.to_string();
    (shown == hex && format!("{va:8}") == dec).then_some(va)
}

impl LinearAnswer {
    /// The address at which the script fails (a VPN past the table), if any.
    pub fn failure(&self) -> Option<(TraceAddress, u64)> {
        match self.rows.last() {
            Some(&(t, Outcome::PastTable { vpn })) => Some((t, vpn)),
            _ => None,
        }
    }
}

/// The answer lines, as `-c` prints them in place of the questions. Stops before an address
/// whose VPN is past the table: the script prints nothing for it.
impl fmt::Display for LinearAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &(t, outcome) in &self.rows {
            let va = PyHex { value: t.va, width: 8 };
            match outcome {
                Outcome::Mapped { vpn, pa } => {
                    let pa_hex = PyHex { value: i128::from(pa), width: 8 };
                    writeln!(f, "  VA 0x{va} (decimal: {:8}) --> {pa_hex} (decimal {pa:8}) [VPN {vpn}]", t.va)?;
                }
                Outcome::Invalid { vpn } => {
                    writeln!(f, "  VA 0x{va} (decimal: {:8}) -->  Invalid (VPN {vpn} not valid)", t.va)?;
                }
                Outcome::PastTable { .. } => break,
            }
        }
        Ok(())
    }
}

/// Everything `-c` prints: the preamble, the answers, and a blank line (unless the script
/// failed on an address).
pub struct Full<'a> {
    /// The problem.
    pub problem: &'a LinearProblem,
    /// Its answer.
    pub answer: &'a LinearAnswer,
}

impl fmt::Display for Full<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem.preamble)?;
        write!(f, "{}", self.answer)?;
        if self.answer.failure().is_none() {
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
