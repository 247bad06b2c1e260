//! OSTEP's `paging-multilevel-translate.py` (chapter 20, `vm-smalltables/`): a two-level page
//! table in a dump of a small machine's whole memory, and virtual addresses to translate.
//!
//! The facts this module relies on, from the script and its README:
//! - The machine: 32-byte pages, 128 physical pages (4 KiB), 1,024 virtual pages (15-bit
//!   addresses: 5 bits of page-directory index, 5 of page-table index, 5 of offset).
//! - A PDE and a PTE are one byte each: bit 7 is the valid bit, bits 0..6 the frame number
//!   (the page-table page for a PDE). Unused entries hold `0x7f`, which is not valid.
//! - It prints `ARG seed`, `ARG allocated`, `ARG num`, a blank line, one `page %3d:` line per
//!   physical page followed by its 32 bytes as `%02x` (with no separator; the Python 2
//!   version put a space before each), a blank line,
//!   `PDBR: %d  (decimal) [This means the page directory is held in this page]`, a blank line,
//!   `num` lines `Virtual Address %04x: Translates To What Physical Address (And Fetches what
//!   Value)? Or Fault?` and a blank line.
//! - With `-c` each question becomes `Virtual Address %04x:` followed by the walk: the
//!   `  --> pde index:...` line, then (if the PDE is valid) the `    --> pte index:...` line,
//!   then `      --> Translates to Physical Address 0x%03x --> Value: %02x` or one of the two
//!   `      --> Fault (...)` lines. The entry lines print the index as `0x%x [decimal %d]`,
//!   the raw entry as `0x%x`, the valid bit, and the frame field as `0x%02x [decimal %d]`
//!   whether or not the entry is valid.

use std::fmt;

use crate::SolveError;
use crate::machine::{End, Layout, Machine, Shape, Step};
use crate::text::{Lines, PyHex, py_int};
use crate::{Header, ParseError};

/// log2 of the page size (32 bytes).
const PAGE_BITS: u8 = 5;
/// Bytes in a page.
const PAGE_SIZE: usize = 1 << PAGE_BITS;
/// Physical pages in the dump.
const PHYS_PAGES: usize = 128;
/// Index bits of the page directory and of a page-table page.
const LEVEL_BITS: [u8; 2] = [5, 5];
/// Bits in a virtual address: 15.
const VA_BITS: u32 = (PAGE_BITS + LEVEL_BITS[0] + LEVEL_BITS[1]) as u32;
/// A PDE or PTE: one byte, valid bit 7, a 7-bit frame number below it.
const LAYOUT: Layout = Layout { entry_bytes: 1, valid_bit: 7, pfn_bits: 7 };

const PDBR_PREFIX: &str = "PDBR:";
const PDBR_SUFFIX: &str = "(decimal) [This means the page directory is held in this page]";
const QUESTION_PREFIX: &str = "Virtual Address ";
const QUESTION_SUFFIX: &str = ": Translates To What Physical Address (And Fetches what Value)? Or Fault?";

/// Whether `header` is the one `paging-multilevel-translate.py` prints: its three `ARG` lines.
pub fn matches(header: &Header<'_>) -> bool {
    header.names_are(&["seed", "allocated", "num"])
}

/// A problem as the script printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultilevelProblem {
    /// The whole physical memory, 128 pages of 32 bytes.
    pub(crate) memory: Vec<u8>,
    /// The page-directory base register: the physical page holding the page directory.
    pub(crate) pdbr: u8,
    /// The virtual addresses to translate (each below 2^15), in order.
    pub(crate) trace: Vec<TraceAddress>,
    /// The text up to and including the blank line after `PDBR:`, each line ending in `\n`:
    /// what the script prints before the answers, with or without `-c`.
    pub(crate) preamble: String,
}

/// One address of the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceAddress {
    /// Its line in the problem text.
    pub line: usize,
    /// The 15-bit virtual address.
    pub va: u16,
}

/// One entry the walk read: its index in its table and its raw byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Index in the page directory or page-table page (0..32).
    pub index: u8,
    /// The raw entry: valid bit 7, frame number in bits 0..6.
    pub contents: u8,
}

impl Entry {
    fn from_step(step: &Step) -> Entry {
        // One-byte entries in 32-entry tables: both fit by construction of the geometry.
        Entry { index: step.index as u8, contents: step.entry as u8 }
    }

    /// The valid bit.
    pub fn valid(self) -> bool {
        self.contents >> LAYOUT.valid_bit == 1
    }

    /// The frame-number field, valid or not.
    pub fn pfn(self) -> u8 {
        self.contents & 0x7f
    }
}

/// Where one translation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Both entries valid: the physical address and the byte there.
    Mapped {
        /// The physical address (12 bits).
        pa: u16,
        /// The byte stored at it.
        value: u8,
    },
    /// The page-directory entry is not valid.
    PdeFault,
    /// The page-table entry is not valid.
    PteFault,
}

/// One translation: the entries read and the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    /// The address.
    pub address: TraceAddress,
    /// The page-directory entry.
    pub pde: Entry,
    /// The page-table entry, read when the PDE is valid.
    pub pte: Option<Entry>,
    /// The result.
    pub outcome: Outcome,
}

/// The answers, one per trace address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultilevelAnswer {
    /// Each translation, in trace order.
    pub translations: Vec<Translation>,
}

impl MultilevelProblem {
    /// Reads a problem printed by `paging-multilevel-translate.py` without `-c`.
    ///
    /// # Errors
    /// [`ParseError`] at the first line that is not what the script prints.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut lines = Lines::new(text);
        let mut preamble = String::new();
        let mut keep = |line: &str| {
            preamble.push_str(line);
            preamble.push('\n');
        };

        let mut num = 0;
        for prefix in ["ARG seed ", "ARG allocated ", "ARG num "] {
            let (no, value) = lines.after(prefix, &format!("the line \"{prefix}N\""))?;
            let n = py_int(value).ok_or_else(|| ParseError::new(no, "a decimal number", Some(value)))?;
            num = n;
            keep(&format!("{prefix}{value}"));
        }
        lines.exact("", "a blank line")?;
        keep("");

        let mut memory = Vec::with_capacity(PAGE_SIZE * PHYS_PAGES);
        for page in 0..PHYS_PAGES {
            let (no, line) = lines.next(&format!("the dump of page {page} of {PHYS_PAGES}"))?;
            let bytes = parse_page(line, page).ok_or_else(|| {
                let e = format!("the dump of page {page}: \"page {page:3}:\" and its {PAGE_SIZE} bytes as %02x");
                ParseError::new(no, e, Some(line))
            })?;
            memory.extend_from_slice(&bytes);
            keep(line);
        }
        lines.exact("", &format!("a blank line after the {PHYS_PAGES} pages"))?;
        keep("");
        let (no, line) = lines.next("the PDBR line")?;
        let pdbr = parse_pdbr(line).ok_or_else(|| {
            let e = format!("\"{PDBR_PREFIX} N  {PDBR_SUFFIX}\" with N below {PHYS_PAGES}");
            ParseError::new(no, e, Some(line))
        })?;
        keep(line);
        lines.exact("", "a blank line after the PDBR line")?;
        keep("");

        let mut trace = Vec::new();
        loop {
            let (no, line) = lines.next("an address line or a blank line")?;
            if line.is_empty() {
                break;
            }
            let va = parse_question(line).ok_or_else(|| {
                let e =
                    format!("\"{QUESTION_PREFIX}%04x{QUESTION_SUFFIX}\" with an address below 0x8000, or a blank line");
                ParseError::new(no, e, Some(line))
            })?;
            trace.push(TraceAddress { line: no, va });
        }
        let want = usize::try_from(num.max(0)).unwrap_or(usize::MAX);
        if trace.len() != want {
            let e = format!("{want} addresses, as \"ARG num\" says, before the blank line");
            let no = trace.last().map_or(lines.next_no() - 1, |t| t.line);
            return Err(ParseError::new(no, e, Some(&format!("{} addresses", trace.len()))));
        }
        while let Some(line) = lines.peek() {
            let no = lines.next_no();
            if !line.trim().is_empty() {
                return Err(ParseError::new(no, "the end of the problem", Some(line)));
            }
            lines.next("")?;
        }
        Ok(MultilevelProblem { memory, pdbr, trace, preamble })
    }

    /// The physical memory, 128 pages of 32 bytes.
    pub fn memory(&self) -> &[u8] {
        &self.memory
    }

    /// The physical page holding the page directory.
    pub fn pdbr(&self) -> u8 {
        self.pdbr
    }

    /// The addresses to translate.
    pub fn trace(&self) -> &[TraceAddress] {
        &self.trace
    }

    /// The machine of this problem: the dumped memory, and a two-level table geometry of
    /// one-byte entries over 32-byte pages.
    fn machine(&self) -> Result<Machine, SolveError> {
        Machine::load(&Shape { page_bits: PAGE_BITS, level_bits: LEVEL_BITS.to_vec(), layout: LAYOUT }, &self.memory)
    }

    /// Translates every address of the trace, and fetches the byte each valid one names.
    ///
    /// # Errors
    /// [`SolveError`] if the machine refuses a walk. A parsed problem never makes it do so
    /// (every frame number has 7 bits and the memory has 128 pages); the error is there so
    /// that a broken invariant is a message, not a panic.
    pub fn solve(&self) -> Result<MultilevelAnswer, SolveError> {
        let machine = self.machine()?;
        let mut translations = Vec::with_capacity(self.trace.len());
        for &address in &self.trace {
            let walk = machine.walk(u64::from(self.pdbr), u64::from(address.va))?;
            let (Some(pde), pte) = (walk.steps.first(), walk.steps.get(1)) else {
                return Err(SolveError::EmptyWalk);
            };
            let outcome = match walk.end {
                End::Mapped { pa } => {
                    let value = machine.read_byte(pa).ok_or(SolveError::DataOutside { pa })?;
                    Outcome::Mapped { pa: pa as u16, value }
                }
                End::Fault { level: 0 } => Outcome::PdeFault,
                End::Fault { .. } => Outcome::PteFault,
            };
            translations.push(Translation {
                address,
                pde: Entry::from_step(pde),
                pte: pte.map(Entry::from_step),
                outcome,
            });
        }
        Ok(MultilevelAnswer { translations })
    }
}

/// One dump line: `page %3d:` and 32 bytes in hex, with or without spaces between them.
fn parse_page(line: &str, page: usize) -> Option<Vec<u8>> {
    let rest = line.strip_prefix("page ")?;
    let (n, bytes) = rest.split_once(':')?;
    if n.trim_start().parse::<usize>().ok()? != page || n.len() < 3 {
        return None;
    }
    let digits: Vec<u8> = bytes.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() != 2 * PAGE_SIZE {
        return None;
    }
    digits.chunks(2).map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()).collect()
}

/// `PDBR: %d  (decimal) [...]`, the spaces taken loosely; the page must exist.
fn parse_pdbr(line: &str) -> Option<u8> {
    let rest = line.strip_prefix(PDBR_PREFIX)?.trim_start();
    let (n, suffix) = rest.split_once(char::is_whitespace)?;
    if suffix.trim_start() != PDBR_SUFFIX {
        return None;
    }
    let n: usize = n.parse().ok()?;
    u8::try_from(n).ok().filter(|&p| usize::from(p) < PHYS_PAGES)
}

/// A question line: the address as `%04x`, below 2^15.
fn parse_question(line: &str) -> Option<u16> {
    let hex = line.strip_prefix(QUESTION_PREFIX)?.strip_suffix(QUESTION_SUFFIX)?;
    let va = u16::from_str_radix(hex, 16).ok()?;
    (u32::from(va) < 1 << VA_BITS && format!("{va:04x}") == hex).then_some(va)
}

impl fmt::Display for Translation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Virtual Address {:04x}:", self.address.va)?;
        write_entry(f, "  --> pde", self.pde)?;
        if let Some(pte) = self.pte {
            write_entry(f, "    --> pte", pte)?;
        }
        match self.outcome {
            Outcome::Mapped { pa, value } => {
                let pa = PyHex { value: i128::from(pa), width: 3 };
                writeln!(f, "      --> Translates to Physical Address 0x{pa} --> Value: {value:02x}")
            }
            Outcome::PdeFault => writeln!(f, "      --> Fault (page directory entry not valid)"),
            Outcome::PteFault => writeln!(f, "      --> Fault (page table entry not valid)"),
        }
    }
}

/// `  --> pde index:0x%x [decimal %d] pde contents:0x%x (valid %d, pfn 0x%02x [decimal %d])`,
/// and the same for a PTE one level deeper.
fn write_entry(f: &mut fmt::Formatter<'_>, lead: &str, e: Entry) -> fmt::Result {
    let kind = &lead[lead.len() - 3..];
    let Entry { index, contents } = e;
    let (valid, pfn) = (u8::from(e.valid()), e.pfn());
    writeln!(
        f,
        "{lead} index:0x{index:x} [decimal {index}] {kind} contents:0x{contents:x} (valid {valid}, pfn 0x{pfn:02x} [decimal {pfn}])"
    )
}

/// The answer lines: each question's address line and its walk, as `-c` prints them.
impl fmt::Display for MultilevelAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.translations.iter().try_for_each(|t| write!(f, "{t}"))
    }
}

/// Everything `-c` prints: the preamble, the answers and a blank line.
pub struct Full<'a> {
    /// The problem.
    pub problem: &'a MultilevelProblem,
    /// Its answer.
    pub answer: &'a MultilevelAnswer,
}

impl fmt::Display for Full<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.problem.preamble, self.answer)?;
        writeln!(f)
    }
}

#[cfg(test)]
mod tests;
