//! `paging-policy.py` (OSTEP, `vm-beyondphys-policy/`): a reference string run through a page
//! cache under one replacement policy.
//!
//! # The problem text (what the script prints without `-c`)
//! ```text
//! ARG addresses 1,2,3         <- lines 1-9: one per option, in this order
//! ARG addressfile             <- (an empty value leaves `ARG addressfile ` with its space)
//! ARG numaddrs 10
//! ARG policy FIFO
//! ARG clockbits 2
//! ARG cachesize 3
//! ARG maxpage 10
//! ARG seed 0
//! ARG notrace False
//!                             <- line 10: empty
//! Assuming a replacement policy of FIFO, and a cache of size 3 pages,
//! figure out whether each of the following page references hit or miss
//! in the page cache.
//!
//! Access: 1  Hit/Miss?  State of Memory?      <- one per reference, from line 15
//! ```
//! and an empty line. The references are taken from the `Access:` lines (the `ARG addresses`
//! line is `-1` when the script drew them at random).
//!
//! # The answer (what it prints with `-c`)
//! The nine `ARG` lines, an empty line, then (unless `ARG notrace True`) `Solving...`, an empty
//! line and one line per reference:
//! ```text
//! Access: 1  MISS FirstIn ->          [1] <- Lastin  Replaced:- [Hits:0 Misses:1]
//! ```
//! (`HIT ` or `MISS`; the memory as Python prints a list, right-aligned in 12 columns; the
//! evicted page or `-`, and `-` too when the evicted page is page -1, the number the script
//! uses for "no victim"; running totals), then an empty line,
//! `FINALSTATS hits H   misses M   hitrate R` (R = 100·H/(H+M) with two decimals, rounded
//! half to even on the binary value, as Python's `%.2f`) and an empty line.
//!
//! # The rules, as the script has them
//! Memory is a list. A reference to a page in the list is a hit; under `LRU` and `MRU` the page
//! moves to the list's end, under the others the list is unchanged. A miss appends the page at
//! the end, first removing a victim when the list holds `cachesize` pages:
//! - `FIFO`, `LRU`: the first page of the list (the earliest loaded, the least recently used);
//! - `MRU`: the last page of the list (the most recently used);
//! - `OPT`: the page whose next reference is furthest ahead, a page never referenced again
//!   counting as referenced at the end; on a tie the **last** such page in the list (the
//!   most recently loaded of the pages never used again);
//! - `UNOPT`: the page whose next reference is nearest; on a tie the **first** such page.
//!
//! - `RAND`: the page at index `int(random.random() * count)` of the list;
//! - `CLOCK`: each page has a reference count, set to 1 on its first reference and raised by
//!   one on each later one up to `clockbits` (kept after a hit or a miss, dropped at
//!   eviction); the victim is found by drawing an index as `RAND` does, again and again,
//!   taking one off the count of each drawn page whose count is at least 1, until a drawn
//!   page's count is below 1.
//!
//! `RAND` and `CLOCK` draw on Python's `random` seeded with the `ARG seed` value; when the
//! script drew the references too (`ARG addresses -1` and no `ARG addressfile`), it drew one
//! `random.random()` per reference first (CPython's `random.seed` and `random.random`).
//!
//! A cache size below 0 never fills (no page is ever evicted); a cache of 0 pages makes the
//! script fail on its first miss, so [`SolveError::ZeroCache`]. Where the script itself stops
//! (that, no reference at all, a policy it does not know) the error carries what it prints
//! before stopping ([`SolveError::PolicyScriptStops`]).

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::header::{Header, split_lines};
use crate::pyrandom::PyRandom;
use crate::{ParseError, SolveError};

/// The option names of the nine `ARG` lines, in the order the script prints them.
pub const ARG_NAMES: [&str; 9] =
    ["addresses", "addressfile", "numaddrs", "policy", "clockbits", "cachesize", "maxpage", "seed", "notrace"];

/// The three lines after the header's empty line; the first is
/// `Assuming a replacement policy of P, and a cache of size C pages,`.
const ASSUMING: &str = "Assuming a replacement policy of ";
const CACHE_OF: &str = ", and a cache of size ";
const PAGES: &str = " pages,";
const FIGURE: &str = "figure out whether each of the following page references hit or miss";
const IN_CACHE: &str = "in the page cache.";
const ACCESS: &str = "Access: ";
const QUESTION: &str = "  Hit/Miss?  State of Memory?";

/// True if `header` is the header `paging-policy.py` prints (its nine `ARG` names, in order).
pub fn matches(header: &Header<'_>) -> bool {
    header.names_are(&ARG_NAMES)
}

/// The policies of `paging-policy.py` this solver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// `FIFO`: evict the earliest loaded page.
    Fifo,
    /// `LRU`: evict the least recently used page.
    Lru,
    /// `MRU`: evict the most recently used page.
    Mru,
    /// `OPT`: evict the page used furthest ahead (ties: the last in the list).
    Opt,
    /// `UNOPT`: evict the page used soonest (ties: the first in the list).
    Unopt,
}

impl Policy {
    /// The policy the script calls `name` (`FIFO`, `LRU`, `MRU`, `OPT`, `UNOPT`; the script
    /// compares names exactly, so `fifo` is unknown to it).
    ///
    /// # Errors
    /// [`SolveError::UnknownPolicy`] for any other name, `RAND` and `CLOCK` included: they
    /// draw on the script's random numbers, which only a whole problem (its seed) gives
    /// ([`Problem::solve`] answers them).
    pub fn from_script_name(name: &str) -> Result<Policy, SolveError> {
        match name {
            "FIFO" => Ok(Policy::Fifo),
            "LRU" => Ok(Policy::Lru),
            "MRU" => Ok(Policy::Mru),
            "OPT" => Ok(Policy::Opt),
            "UNOPT" => Ok(Policy::Unopt),
            _ => Err(SolveError::UnknownPolicy { policy: name.to_owned() }),
        }
    }

    /// The words printed left and right of the memory list.
    fn labels(self) -> (&'static str, &'static str) {
        match self {
            Policy::Fifo => ("FirstIn", "Lastin "),
            Policy::Lru | Policy::Mru => ("LRU", "MRU"),
            Policy::Opt | Policy::Unopt => ("Left ", "Right"),
        }
    }
}

/// A parsed `paging-policy.py` problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The nine `ARG` lines as printed, each without its `\n`.
    pub header: Vec<String>,
    /// The policy's name as printed (`FIFO`, ...).
    pub policy: String,
    /// The cache size in pages, as printed in the `Assuming` line.
    pub cache_size: i64,
    /// `ARG notrace True`: the answer has no `Access:` lines.
    pub notrace: bool,
    /// The page numbers of the `Access:` lines, in order, in decimal without leading zeros:
    /// the script's page numbers are Python integers, of any size (`-m 100000000000000000000`
    /// draws pages past 2^64).
    pub pages: Vec<String>,
    /// The `ARG seed` value as printed (`RAND` and `CLOCK` seed Python's `random` with it).
    pub seed: String,
    /// The `ARG clockbits` value as printed (`CLOCK`'s highest reference count).
    pub clockbits: String,
    /// Whether the script drew the references at random (`ARG addresses -1`, an empty
    /// `ARG addressfile`), one `random.random()` each before any eviction's.
    pub drawn: bool,
}

impl Problem {
    /// Parses a problem text (see the [module documentation](self) for its shape). Line ends
    /// may be `\n` or `\r\n`; empty or blank lines after the last `Access:` line are ignored.
    ///
    /// # Errors
    /// [`ParseError::Expected`] naming the first line that is not what the script prints
    /// there; [`ParseError::BadNumber`] for a cache size or page number that is not an
    /// integer; [`ParseError::Inconsistent`] when the `ARG` lines and the `Assuming` line
    /// disagree on the policy or the cache size.
    pub fn parse(text: &str) -> Result<Problem, ParseError> {
        let header = Header::read(text)?;
        if !matches(&header) {
            let (line, found) = match header
                .lines
                .iter()
                .enumerate()
                .find(|(i, _)| ARG_NAMES.get(*i).is_none_or(|n| header.value_at(*i, n).is_none()))
            {
                Some((i, l)) => (i + 1, format!("ARG {}", l.text)),
                None => (header.lines.len() + 1, split_lines(text).nth(header.lines.len()).unwrap_or("").to_owned()),
            };
            return Err(ParseError::Expected { line, expected: "the nine ARG lines of paging-policy.py", found });
        }
        let arg = |name: &str| {
            let i = ARG_NAMES.iter().position(|n| *n == name).unwrap_or(0);
            (i + 1, header.value_at(i, name).unwrap_or(""))
        };
        let (notrace_line, notrace) = arg("notrace");
        let notrace = match notrace {
            "False" => false,
            "True" => true,
            _ => {
                return Err(ParseError::Expected {
                    line: notrace_line,
                    expected: "`ARG notrace False` or `ARG notrace True`",
                    found: format!("ARG notrace {notrace}"),
                });
            }
        };

        let mut lines = split_lines(text).enumerate().map(|(i, l)| (i + 1, l)).skip(ARG_NAMES.len());
        let mut read = ARG_NAMES.len();
        let mut next = |expected: &'static str| {
            read += 1;
            lines.next().ok_or(ParseError::Expected { line: read, expected, found: "the end of the text".to_owned() })
        };
        expect_exact(next("an empty line")?, "", "an empty line")?;
        let (line, assuming) = next("the `Assuming a replacement policy of ...` line")?;
        let (policy, cache_text) = assuming
            .strip_prefix(ASSUMING)
            .and_then(|r| r.strip_suffix(PAGES))
            .and_then(|r| r.rsplit_once(CACHE_OF))
            .ok_or_else(|| ParseError::Expected {
                line,
                expected: "`Assuming a replacement policy of P, and a cache of size C pages,`",
                found: assuming.to_owned(),
            })?;
        let cache_size = number(line, cache_text)?;
        let (policy_line, arg_policy) = arg("policy");
        if policy != arg_policy {
            return Err(ParseError::Inconsistent {
                line,
                what: "policy",
                found: policy.to_owned(),
                other_line: policy_line,
                other: arg_policy.to_owned(),
            });
        }
        let (size_line, arg_size) = arg("cachesize");
        // The script prints int(cachesize); compare only when the option reads as a plain number.
        if let Ok(size) = arg_size.trim().parse::<i64>()
            && size != cache_size
        {
            return Err(ParseError::Inconsistent {
                line,
                what: "cache size",
                found: cache_text.to_owned(),
                other_line: size_line,
                other: arg_size.to_owned(),
            });
        }
        expect_exact(next("the `figure out ...` line")?, FIGURE, "`figure out whether each of ...`")?;
        expect_exact(next("the `in the page cache.` line")?, IN_CACHE, "`in the page cache.`")?;
        expect_exact(next("an empty line")?, "", "an empty line")?;

        let mut pages = Vec::new();
        let mut ended = false;
        for (line, text) in lines {
            if ended || text.trim().is_empty() {
                ended = true;
                if !text.trim().is_empty() {
                    return Err(ParseError::Expected {
                        line,
                        expected: "nothing after the Access lines",
                        found: text.to_owned(),
                    });
                }
                continue;
            }
            let page = text.strip_prefix(ACCESS).and_then(|r| r.strip_suffix(QUESTION)).ok_or_else(|| {
                ParseError::Expected {
                    line,
                    expected: "`Access: N  Hit/Miss?  State of Memory?`",
                    found: text.to_owned(),
                }
            })?;
            pages.push(page_number(page).ok_or_else(|| ParseError::BadNumber { line, text: page.to_owned() })?);
        }
        Ok(Problem {
            header: header.lines.iter().map(|l| format!("ARG {}", l.text)).collect(),
            policy: policy.to_owned(),
            cache_size,
            notrace,
            pages,
            seed: arg("seed").1.to_owned(),
            clockbits: arg("clockbits").1.to_owned(),
            drawn: arg("addresses").1 == "-1" && arg("addressfile").1.is_empty(),
        })
    }

    /// What `paging-policy.py -c` prints for this problem (see the [module documentation](self)).
    ///
    /// # Errors
    /// [`SolveError::NotAnInteger`] for a `RAND` or `CLOCK` problem whose seed or clockbits
    /// is not an integer (the script prints none such); where the script itself stops,
    /// [`SolveError::PolicyScriptStops`] holding what it prints up to there and the cause:
    /// [`SolveError::UnknownPolicy`] for a policy it does not know,
    /// [`SolveError::NoReferences`] when there is no `Access:` line, [`SolveError::ZeroCache`]
    /// for a cache of 0 pages.
    pub fn solve(&self) -> Result<String, SolveError> {
        let mut chooser = match self.policy.as_str() {
            "RAND" | "CLOCK" => {
                let mut rng = PyRandom::from_seed(&self.seed)
                    .ok_or_else(|| SolveError::NotAnInteger { what: "seed", text: self.seed.clone() })?;
                if self.drawn {
                    for _ in &self.pages {
                        rng.random();
                    }
                }
                if self.policy == "RAND" {
                    Ok(Chooser::Rand(rng))
                } else {
                    let bits = python_int(&self.clockbits)
                        .ok_or_else(|| SolveError::NotAnInteger { what: "clockbits", text: self.clockbits.clone() })?;
                    Ok(Chooser::Clock { rng, bits, counts: HashMap::new() })
                }
            }
            name => Policy::from_script_name(name).map(Chooser::Rule),
        };
        let mut out = String::new();
        for line in &self.header {
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        if !self.notrace {
            out.push_str("Solving...\n\n");
        }
        let stops =
            |cause: SolveError, printed: String| SolveError::PolicyScriptStops { cause: Box::new(cause), printed };
        let chooser = match &mut chooser {
            Ok(chooser) => chooser,
            Err(cause) => {
                let cause = cause.clone();
                // The script's own message for a policy it does not know, on standard output.
                let _ = writeln!(out, "Policy {} is not yet implemented", self.policy);
                return Err(stops(cause, out));
            }
        };
        // Pages are told apart by their numbers only: each distinct one gets a small id.
        let mut ids: HashMap<&str, i64> = HashMap::new();
        let pages: Vec<i64> = self
            .pages
            .iter()
            .map(|p| {
                let next = ids.len() as i64;
                *ids.entry(p.as_str()).or_insert(next)
            })
            .collect();
        let mut names = vec![""; ids.len()];
        for (name, &id) in &ids {
            names[id as usize] = name;
        }
        let totals = match run(chooser, self.cache_size, &pages, Some(&names), !self.notrace, &mut out) {
            Ok(totals) => totals,
            Err(cause @ SolveError::NoReferences) => {
                // The loop printed nothing; the script prints the empty line before
                // FINALSTATS, then divides by zero.
                out.push('\n');
                return Err(stops(cause, out));
            }
            // The first reference misses and fails to evict from the empty list.
            Err(cause) => return Err(stops(cause, out)),
        };
        out.push('\n');
        totals.write_finalstats(&mut out);
        out.push('\n');
        Ok(out)
    }
}

/// Hits and misses of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// References found in memory.
    pub hits: u64,
    /// References not found (every miss, cold ones included).
    pub misses: u64,
}

impl Totals {
    /// Appends `FINALSTATS hits H   misses M   hitrate R` and `\n`.
    fn write_finalstats(self, out: &mut String) {
        // The same operations, in the same order, on doubles as the script: the last digit
        // of the rate depends on it.
        let rate = (100.0 * self.hits as f64) / (self.hits as f64 + self.misses as f64);
        let _ = writeln!(out, "FINALSTATS hits {}   misses {}   hitrate {rate:.2}", self.hits, self.misses);
    }
}

/// The `Access:` lines and the `FINALSTATS` line `paging-policy.py -c` prints for `pages`
/// under `policy` with a cache of `cache_size` pages (nothing else: no header, no empty lines).
///
/// # Errors
/// [`SolveError::NoReferences`] for no page; [`SolveError::ZeroCache`] for a cache of 0 pages.
pub fn trace(policy: Policy, cache_size: i64, pages: &[i64]) -> Result<String, SolveError> {
    let mut out = String::new();
    let totals = run(&mut Chooser::Rule(policy), cache_size, pages, None, true, &mut out)?;
    totals.write_finalstats(&mut out);
    Ok(out)
}

/// How a victim is chosen: by a rule, or by Python's random numbers.
enum Chooser {
    /// FIFO, LRU, MRU, OPT, UNOPT.
    Rule(Policy),
    /// `RAND`: a drawn index.
    Rand(PyRandom),
    /// `CLOCK`: drawn indexes until one whose page's count is below 1.
    Clock {
        /// The script's random numbers.
        rng: PyRandom,
        /// `clockbits`: the highest count a reference raises a page's to.
        bits: i64,
        /// Each referenced page's count (the script's `ref`).
        counts: HashMap<i64, i64>,
    },
}

impl Chooser {
    /// The words printed left and right of the memory list.
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Chooser::Rule(policy) => policy.labels(),
            Chooser::Rand(_) | Chooser::Clock { .. } => ("Left ", "Right"),
        }
    }

    /// Counts a reference to `page` (the script does it for every policy; only CLOCK reads it).
    fn referenced(&mut self, page: i64) {
        if let Chooser::Clock { bits, counts, .. } = self {
            counts.entry(page).and_modify(|c| *c = c.saturating_add(1).min(*bits)).or_insert(1);
        }
    }
}

/// Python's `int()` of an integer printed in decimal, cut to the 64-bit range (a count never
/// gets near the bounds, so the cut changes nothing the script would do).
fn python_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse::<i64>().unwrap_or(if text.starts_with('-') { i64::MIN } else { i64::MAX }))
}

/// Runs the script's simulation, appending one `Access:` line per reference to `out` when
/// `lines` is set. With `names`, `pages` are ids and page `i` is printed `names[i]`.
fn run(
    chooser: &mut Chooser,
    cache_size: i64,
    pages: &[i64],
    names: Option<&[&str]>,
    lines: bool,
    out: &mut String,
) -> Result<Totals, SolveError> {
    if pages.is_empty() {
        return Err(SolveError::NoReferences);
    }
    if cache_size == 0 {
        return Err(SolveError::ZeroCache);
    }
    let next = next_uses(pages);
    // When each resident page was last referenced: its next use is `next[last_ref]`, since it
    // was not referenced since.
    let mut last_ref: HashMap<i64, usize> = HashMap::new();
    let mut memory: Vec<i64> = Vec::new();
    let mut totals = Totals::default();
    let (left, right) = chooser.labels();
    let mut list = String::new();
    for (t, &page) in pages.iter().enumerate() {
        let found = memory.iter().position(|&p| p == page);
        let mut victim = None;
        match found {
            Some(i) => {
                totals.hits += 1;
                if matches!(chooser, Chooser::Rule(Policy::Lru | Policy::Mru)) {
                    memory.remove(i);
                    memory.push(page);
                }
            }
            None => {
                totals.misses += 1;
                // A negative size never equals the count: such a cache never fills.
                if i64::try_from(memory.len()).is_ok_and(|n| n == cache_size) {
                    let at = match chooser {
                        Chooser::Rule(Policy::Fifo | Policy::Lru) => 0,
                        Chooser::Rule(Policy::Mru) => memory.len() - 1,
                        Chooser::Rand(rng) => rng.below(memory.len()),
                        Chooser::Clock { rng, counts, .. } => loop {
                            let at = rng.below(memory.len());
                            match counts.get_mut(&memory[at]) {
                                Some(count) if *count >= 1 => *count -= 1,
                                _ => {
                                    counts.remove(&memory[at]);
                                    break at;
                                }
                            }
                        },
                        Chooser::Rule(policy @ (Policy::Opt | Policy::Unopt)) => {
                            let policy = *policy;
                            let when = |p: &i64| last_ref.get(p).map_or(pages.len(), |&r| next[r]);
                            let mut best = 0;
                            for (i, p) in memory.iter().enumerate() {
                                let (w, b) = (when(p), when(&memory[best]));
                                let better = if policy == Policy::Opt { w >= b } else { w < b };
                                if better {
                                    best = i;
                                }
                            }
                            best
                        }
                    };
                    victim = Some(memory.remove(at));
                }
                memory.push(page);
            }
        }
        last_ref.insert(page, t);
        chooser.referenced(page);
        if lines {
            list.clear();
            list.push('[');
            for (i, p) in memory.iter().enumerate() {
                if i > 0 {
                    list.push_str(", ");
                }
                let _ = write!(list, "{}", Shown(names, *p));
            }
            list.push(']');
            let hit = if found.is_some() { "HIT " } else { "MISS" };
            let _ = write!(out, "Access: {}  {hit} {left} -> {list:>12} <- {right} Replaced:", Shown(names, page));
            match victim.map(|v| Shown(names, v).to_string()) {
                // The script keeps "no victim" as the page number -1, so evicting page -1
                // prints `-` too.
                Some(v) if v != "-1" => out.push_str(&v),
                _ => out.push('-'),
            }
            let _ = writeln!(out, " [Hits:{} Misses:{}]", totals.hits, totals.misses);
        }
    }
    Ok(totals)
}

/// `next[t]`: the index of the next reference to `pages[t]` after `t`, or `pages.len()`.
fn next_uses(pages: &[i64]) -> Vec<usize> {
    let mut next = vec![pages.len(); pages.len()];
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for (t, &p) in pages.iter().enumerate().rev() {
        if let Some(&n) = seen.get(&p) {
            next[t] = n;
        }
        seen.insert(p, t);
    }
    next
}

fn expect_exact((line, text): (usize, &str), want: &str, expected: &'static str) -> Result<(), ParseError> {
    if text == want { Ok(()) } else { Err(ParseError::Expected { line, expected, found: text.to_owned() }) }
}

/// A page as printed: its name when there are names, else its number.
struct Shown<'a>(Option<&'a [&'a str]>, i64);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.and_then(|names| names.get(usize::try_from(self.1).ok()?)) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.1),
        }
    }
}

/// A page number of an `Access:` line (Python's `%d` of an integer of any size), in decimal
/// without leading zeros (`-0` is `0`); `None` if it is not an integer.
fn page_number(text: &str) -> Option<String> {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    Some(if digits.is_empty() { "0".to_owned() } else { format!("{sign}{digits}") })
}

/// The cache size of the `Assuming` line: an integer of any size, cut to the 64-bit range (a
/// cache of 2^63 pages or more never fills, as one of 2^63 - 1 does not; nor does one below 0).
fn number(line: usize, text: &str) -> Result<i64, ParseError> {
    let exact = page_number(text).ok_or_else(|| ParseError::BadNumber { line, text: text.to_owned() })?;
    Ok(exact.parse().unwrap_or(if exact.starts_with('-') { i64::MIN } else { i64::MAX }))
}

#[cfg(test)]
mod tests;
