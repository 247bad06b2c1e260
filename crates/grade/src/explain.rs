//! Why the reference printed what it did at the first difference: the machine's state just
//! before that line (the current process's page table, the frames' map counts, the TLB) and
//! what the line changed, put into the rules of the spec.
//!
//! The explanation reads the machine through the kernel's public inspection API only; the
//! command words are read here just far enough to know which VPN or pid a line names (the
//! `ajou` number rules of the spec: `strtoimax` base 0, longest valid prefix, 32 bits).

use std::collections::BTreeMap;

use kernel::{Count, Kernel, Pfn, Pid, Pte, PteFlags};
use serde::Serialize;

use crate::compare::{Divergence, split_lines};
use crate::reference::{Flavour, Reference};
use crate::{GradeError, visible};

/// Why the reference printed what it did, and the state it did it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The script line (1-based).
    pub line: usize,
    /// What the reference printed for it, made visible, one entry per output line.
    pub printed: Vec<String>,
    /// The reasons, one sentence each.
    pub why: Vec<String>,
    /// Whose page table follows.
    pub pid: Option<u32>,
    /// The page table of `pid` just before the line: one line per valid entry.
    pub page_table: Vec<String>,
    /// The TLB just before the line (the `-t` generation), one line per valid slot.
    pub tlb: Option<Vec<String>>,
}

/// The machine's state that explanations need.
#[derive(Debug, Clone)]
struct Snapshot {
    current: Option<Pid>,
    pids: Vec<u32>,
    /// Present entries of the process of interest, by VPN.
    entries: BTreeMap<u32, Pte>,
    /// First VPNs of its existing inner (leaf) tables.
    leaves: Vec<u32>,
    /// Map count of every user frame, in frame order, and the first user frame.
    counts: Vec<u32>,
    first_frame: u32,
    /// Every mapping of every frame: frame -> (pid, VPN), over all live processes.
    owners: BTreeMap<u32, Vec<(u32, u32)>>,
}

impl Snapshot {
    fn of(k: &Kernel, pid: Option<Pid>) -> Self {
        let range = k.mem().user.range();
        let counts = range.clone().map(|f| k.mem().map_counts.get(Pfn::new(f))).collect();
        let (entries, leaves) = match pid {
            Some(p) => (
                k.mapped(p).map(|it| it.map(|(v, e)| (v.as_u32(), e)).collect()).unwrap_or_default(),
                k.leaf_tables(p).map(|it| it.map(|l| l.first_vpn.as_u32()).collect()).unwrap_or_default(),
            ),
            None => (BTreeMap::new(), Vec::new()),
        };
        let mut owners: BTreeMap<u32, Vec<(u32, u32)>> = BTreeMap::new();
        for p in k.processes() {
            for (v, e) in k.mapped(p.pid()).into_iter().flatten() {
                owners.entry(e.frame().as_u32()).or_default().push((p.pid().as_u32(), v.as_u32()));
            }
        }
        Snapshot {
            owners,
            current: k.current(),
            pids: k.processes().map(|p| p.pid().as_u32()).collect(),
            entries,
            leaves,
            counts,
            first_frame: range.start,
        }
    }

    fn count(&self, pfn: u32) -> u32 {
        pfn.checked_sub(self.first_frame).and_then(|i| self.counts.get(i as usize)).copied().unwrap_or(0)
    }

    fn free_frames(&self) -> usize {
        self.counts.iter().filter(|&&c| c == 0).count()
    }

    fn lowest_free(&self) -> Option<u32> {
        self.counts.iter().position(|&c| c == 0).map(|i| self.first_frame + i as u32)
    }

    /// "frame 4 is the lowest free frame: 0..3 are mapped (map counts 2, 2, 1, 2)".
    fn lowest_free_sentence(&self, frame: u32) -> String {
        let below = (frame - self.first_frame) as usize;
        if below == 0 {
            return format!("frame {frame} is the lowest free frame (map count 0, none below it)");
        }
        let counts = &self.counts[..below.min(self.counts.len())];
        let shown: Vec<String> = if counts.len() <= 16 {
            counts.iter().map(u32::to_string).collect()
        } else {
            let mut v: Vec<String> = counts[..8].iter().map(u32::to_string).collect();
            v.push("...".into());
            v.extend(counts[counts.len() - 4..].iter().map(u32::to_string));
            v
        };
        format!(
            "frame {frame} is the lowest free frame: {}..{} are mapped (map counts {})",
            self.first_frame,
            frame - 1,
            shown.join(", ")
        )
    }
}

/// Replays the script up to the divergence's line and explains that line.
///
/// # Errors
/// [`GradeError::Reference`] if the reference fails to run.
pub fn explain(
    reference: &dyn Reference,
    flavour: Flavour,
    tlb: bool,
    lines: &[&[u8]],
    d: &Divergence,
) -> Result<Explanation, GradeError> {
    let mut session = reference.start(flavour, tlb).map_err(GradeError::Reference)?;
    for (i, line) in lines.iter().take(d.line - 1).enumerate() {
        session.execute(line, i + 1).map_err(GradeError::Reference)?;
    }
    let tlb_listing = if tlb && flavour == Flavour::Ajou {
        // `tlb` only lists; it changes nothing, so it can be asked between two lines.
        let out = session.execute(b"tlb\n", d.line).map_err(GradeError::Reference)?;
        Some(split_lines(&out.graded).iter().map(|l| visible::script_line(l)).collect())
    } else {
        None
    };
    let line = lines.get(d.line - 1).copied().unwrap_or_default();
    let words = words(line);
    let pid = match flavour {
        Flavour::Ajou => session.kernel().current(),
        Flavour::Mtl458 => words.get(1).and_then(|w| c_number(w)).map(Pid::new),
    };
    let before = Snapshot::of(session.kernel(), pid);
    let out = session.execute(line, d.line).map_err(GradeError::Reference)?;
    let after = Snapshot::of(session.kernel(), pid);
    let printed: Vec<String> = split_lines(&out.graded).iter().map(|l| visible::show(l)).collect();
    let mut why = match flavour {
        Flavour::Ajou => ajou_reasons(&words, &before, &after, &out.graded, tlb, d.expected.as_deref()),
        Flavour::Mtl458 => mtl458_reasons(&words, &before, &after, &out.graded),
    };
    if flavour == Flavour::Mtl458 && words.first().is_some_and(|w| w == "read_mem") {
        why.extend(mtl458_history(&words, &lines[..d.line - 1]));
    }
    if let (Flavour::Ajou, Some(format)) =
        (flavour, only_spacing(d).then(|| d.expected.as_deref().and_then(ajou_format)).flatten())
    {
        why.push(format!(
            "the lines differ only in white space: the framework prints this line with the C format \"{format}\" (%3u right-aligns in 3 columns, %-3u left-aligns and pads with spaces)"
        ));
    }
    if let Some((a, b)) = d.silent_before {
        let lines = if a == b { format!("line {a} prints") } else { format!("lines {a}..{b} print") };
        why.push(format!("{lines} nothing in the reference: an extra or missing line just before may come from there"));
    }
    let page_table = page_table(&before, flavour);
    Ok(Explanation { line: d.line, printed, why, pid: pid.map(Pid::as_u32), page_table, tlb: tlb_listing })
}

/// Whether the expected and received lines differ only in spaces, tabs or the newline.
fn only_spacing(d: &Divergence) -> bool {
    let strip = |s: &str| s.chars().filter(|c| !matches!(c, '·' | '→' | '⏎')).collect::<String>();
    match (&d.expected, &d.received) {
        (Some(e), Some(r)) => strip(e) == strip(r),
        _ => false,
    }
}

/// The `printf` format of the framework's output line `shown` (as [`visible::show`] shows it).
fn ajou_format(shown: &str) -> Option<&'static str> {
    let text = shown.replace('·', " ").replace('⏎', "");
    let first = text.as_str();
    let body = first.strip_prefix("o | ").or_else(|| first.strip_prefix("x | "));
    let tlb = if body.is_some() { "%c | " } else { "" };
    let body = body.unwrap_or(first);
    Some(match () {
        _ if body.starts_with("alloc ") => "alloc %3u --> %-3u\\n",
        _ if body.starts_with("free ") => "free %u (pfn %u)\\n",
        _ if body.starts_with("*** PID") => "*** PID %u ***\\n",
        _ if body.contains(" --> ") && tlb.is_empty() => "%3u --> %-3u\\n",
        _ if body.contains(" --> ") => "%c | %3u --> %-3u\\n",
        _ if body.contains(" -> ") => "%3d -> %-3d\\n",
        _ if body.contains(" | ") => "%02d:%02d %c%c | %-3d\\n",
        _ if body.contains(": ") => "%3u: %d\\n",
        _ => return None,
    })
}

/// The command's words: lower-cased, split at C white space, up to a word starting with `#`.
fn words(line: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(line).to_lowercase();
    text.split([' ', '\t', '\n', '\x0b', '\x0c', '\r'])
        .filter(|w| !w.is_empty())
        .take_while(|w| !w.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// A number as the framework reads it: `strtoimax(word, NULL, 0)` stored in 32 bits.
fn c_number(word: &str) -> Option<u32> {
    let (neg, rest) = match word.as_bytes() {
        [b'-', r @ ..] => (true, r),
        [b'+', r @ ..] => (false, r),
        r => (false, r),
    };
    let (radix, digits) = match rest {
        [b'0', b'x' | b'X', r @ ..] if r.first().is_some_and(u8::is_ascii_hexdigit) => (16, r),
        [b'0', r @ ..] => (8, r),
        r => (10, r),
    };
    let mut n: u64 = 0;
    let mut any = radix == 8;
    for &b in digits {
        let Some(v) = (b as char).to_digit(radix) else { break };
        any = true;
        n = n.saturating_mul(u64::from(radix)).saturating_add(u64::from(v)).min(i64::MAX as u64);
    }
    if !any {
        return Some(0);
    }
    let v = if neg { (n as i64).wrapping_neg() } else { n as i64 };
    Some(v as u32)
}

fn has(e: &Pte, f: PteFlags) -> bool {
    e.flags().contains(f)
}

/// The reasons for one `ajou` line.
fn ajou_reasons(
    words: &[String],
    b: &Snapshot,
    a: &Snapshot,
    printed: &[u8],
    tlb: bool,
    expected: Option<&str>,
) -> Vec<String> {
    let expected = expected.map(|e| e.replace('·', " ").replace('⏎', ""));
    let pid = b.current.map_or(0, Pid::as_u32);
    let cmd = words.first().map(String::as_str).unwrap_or("");
    let vpn = words.get(1).and_then(|w| c_number(w));
    let text = String::from_utf8_lossy(printed);
    let mut why = Vec::new();
    let hit = tlb && text.starts_with("o |");
    let miss = tlb && text.starts_with("x |");
    match (cmd, vpn) {
        ("alloc" | "a", Some(v)) => match (b.entries.get(&v), a.entries.get(&v)) {
            (Some(e), _) => why.push(format!(
                "VPN {v} already translates to frame {} in pid {pid}, so the framework prints that it is already allocated and ends the run",
                e.frame().as_u32()
            )),
            (None, Some(e)) => {
                let f = e.frame().as_u32();
                why.push(b.lowest_free_sentence(f));
                let w = if has(e, PteFlags::WRITE) { "writable (the flags have w)" } else { "read-only (the flags have no w)" };
                why.push(format!("so VPN {v} of pid {pid} is mapped to frame {f}, valid and {w}; frame {f}'s map count becomes 1"));
            }
            (None, None) if b.free_frames() == 0 => why.push(format!(
                "all {} frames have a map count above 0, so there is no free frame: memory is full and the run ends",
                b.counts.len()
            )),
            (None, None) => why.push(format!("the reference printed this; VPN {v} stayed unmapped")),
        },
        ("free" | "f", Some(v)) => match b.entries.get(&v) {
            Some(e) => {
                let f = e.frame().as_u32();
                let c = b.count(f);
                let rest = if c > 1 {
                    format!("; the frame stays mapped by {} other mapping(s)", c - 1)
                } else {
                    "; the frame is free again".to_string()
                };
                why.push(format!(
                    "VPN {v} of pid {pid} maps frame {f} with map count {c}: the entry is cleared in pid {pid} only and the count becomes {}{rest}",
                    c - 1
                ));
            }
            None => why.push(format!("VPN {v} has no valid entry in pid {pid}, so it is not allocated")),
        },
        ("read" | "r", Some(v)) | ("access", Some(v)) if cmd != "access" || !is_write_access(words) => {
            if hit {
                why.push(format!("VPN {v} is in the TLB (o): a hit is used as it is, without walking the table"));
            } else if miss {
                why.push(format!("VPN {v} is not in the TLB (x): the walk runs and its translation takes the lowest free slot"));
            }
            match b.entries.get(&v) {
                Some(e) => why.push(format!("VPN {v} of pid {pid} maps frame {} and is valid, so the read succeeds", e.frame().as_u32())),
                None if !hit => why.push(no_entry(b, v, pid, "read")),
                None => {}
            }
        }
        ("write" | "w", Some(v)) | ("access", Some(v)) => {
            if hit {
                why.push(format!(
                    "VPN {v} is in the TLB (o): the framework uses a hit before any permission check, so no fault and no copy"
                ));
            } else if miss {
                why.push(format!("VPN {v} is not in the TLB (x): the walk and the fault handler run, then the translation is cached"));
            }
            if !hit {
                why.extend(write_reason(b, a, v, pid));
            }
        }
        ("switch" | "s", Some(n)) => {
            if b.pids.contains(&n) {
                why.push(format!("pid {n} exists, so it just becomes current (nothing is printed)"));
            } else {
                let shared = b.entries.len();
                let writable = b.entries.values().filter(|e| has(e, PteFlags::WRITE)).count();
                why.push(format!(
                    "pid {n} does not exist, so it is forked from pid {pid}: the child maps the same {shared} frame(s); every valid entry of both becomes read-only ({writable} were writable and are now copy-on-write) and each shared frame's map count goes up by one"
                ));
            }
        }
        ("show", _) => {
            why.push(format!("show prints pid {pid}'s page table: every valid entry of each existing inner table"));
            if let Some(line) = expected.as_deref().and_then(|e| show_entry(b, e)) {
                why.push(line);
            }
        }
        ("pages", _) => {
            let mapped: Vec<String> =
                b.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, c)| format!("{}: {c}", b.first_frame + i as u32)).collect();
            why.push(format!("pages lists every frame whose map count is not 0: {}", list_or_none(&mapped)));
            let frame = expected.as_deref().and_then(|e| e.trim().split(':').next()?.parse::<u32>().ok());
            if let Some(f) = frame {
                let owners: Vec<String> =
                    b.owners.get(&f).into_iter().flatten().map(|(p, v)| format!("pid {p} VPN {v}")).collect();
                why.push(format!("frame {f} is mapped by {}: {}", Count(owners.len(), "entry"), list_or_none(&owners)));
            }
        }
        ("tlb", _) => why.push("tlb lists the valid TLB slots in slot order".into()),
        ("exit", _) => why.push("exit ends the run: the reference prints nothing more".into()),
        _ => why.push("the reference printed this for the line".into()),
    }
    why
}

/// What one `show` line (`OO:II vw | PFN`) says, from the entry it prints.
fn show_entry(b: &Snapshot, line: &str) -> Option<String> {
    let (oo, rest) = line.split_once(':')?;
    let (o, i): (u32, u32) = (oo.trim().parse().ok()?, rest.get(..2)?.parse().ok()?);
    let vpn = o * INNER_ENTRIES + i;
    let e = b.entries.get(&vpn)?;
    let f = e.frame().as_u32();
    let w = if has(e, PteFlags::WRITE) {
        "writable (w)".to_string()
    } else if has(e, PteFlags::ORIG_WRITE) {
        format!("not writable: copy-on-write since a fork (frame {f}'s map count is {})", b.count(f))
    } else {
        "not writable: allocated read-only".to_string()
    };
    Some(format!("the line {line:?} is VPN {vpn} (outer {o}, inner {i}): frame {f}, valid (v), {w}"))
}

/// Entries per inner table of the `ajou` format: a VPN is outer * 16 + inner.
const INNER_ENTRIES: u32 = 16;

fn is_write_access(words: &[String]) -> bool {
    words.get(2).is_some_and(|f| f.contains('w') && !f.contains('r'))
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() { "none".into() } else { v.join(", ") }
}

/// Why an access to `v` fails for lack of a valid entry.
fn no_entry(b: &Snapshot, v: u32, pid: u32, what: &str) -> String {
    let leaf = b.leaves.iter().any(|&f| f <= v && v < f + 16);
    if leaf {
        format!("VPN {v} has no valid entry in pid {pid}'s page table, so the {what} fails: Unable to access")
    } else {
        format!(
            "pid {pid} has no inner table for VPN {v} (outer index {}), so the {what} fails: Unable to access",
            v / 16
        )
    }
}

/// The copy-on-write rules for a write to `v`.
fn write_reason(b: &Snapshot, a: &Snapshot, v: u32, pid: u32) -> Vec<String> {
    let Some(e) = b.entries.get(&v) else { return vec![no_entry(b, v, pid, "write")] };
    let f = e.frame().as_u32();
    if has(e, PteFlags::WRITE) {
        return vec![format!("VPN {v} of pid {pid} maps frame {f} and is writable, so the write needs no fault")];
    }
    if !has(e, PteFlags::ORIG_WRITE) {
        return vec![format!(
            "VPN {v} of pid {pid} was allocated read-only (its original permission has no write), so the fault handler does not fix it: Unable to access"
        )];
    }
    let c = b.count(f);
    let now = a.entries.get(&v).map(|e| e.frame().as_u32());
    if c > 1 {
        let mut why = vec![format!(
            "VPN {v} of pid {pid} is shared copy-on-write with map count {c} (frame {f}), so the write copies it"
        )];
        match now {
            Some(n) if n != f => {
                why.push(b.lowest_free_sentence(n));
                why.push(format!(
                    "the entry now maps frame {n} writable, and frame {f}'s map count drops to {}",
                    c - 1
                ));
            }
            _ if b.lowest_free().is_none() => why.push("but no frame is free, so the access fails".into()),
            _ => {}
        }
        why
    } else {
        vec![format!(
            "VPN {v} of pid {pid} is copy-on-write but frame {f} has map count 1 (no other process maps it now), so the write makes the entry writable again in place, without a copy"
        )]
    }
}

/// The reasons for one `mtl458` line.
fn mtl458_reasons(words: &[String], b: &Snapshot, a: &Snapshot, printed: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(printed);
    let cmd = words.first().map(String::as_str).unwrap_or("");
    let mut why = Vec::new();
    if let Some(kill) = text.lines().find(|l| l.starts_with("segmentation fault")) {
        why.push(format!("the reference kills the process: {kill}"));
    }
    match cmd {
        "create_ps" | "fork_ps" => {
            let new: Vec<u32> = a.pids.iter().copied().filter(|p| !b.pids.contains(p)).collect();
            let live = list_or_none(&b.pids.iter().map(u32::to_string).collect::<Vec<_>>());
            if let Some(p) = new.first() {
                why.push(format!(
                    "pid {p} is the lowest pid not in use (live before: {live}); frames are taken lowest first"
                ));
            }
            if let Some(f) = b.lowest_free() {
                why.push(format!("the lowest free user frame before the line was {f}"));
            }
        }
        "read_mem" | "write_mem" => {
            let addr = words.get(2).and_then(|w| c_number(w)).unwrap_or(0);
            let vpn = addr >> 12;
            match b.entries.get(&vpn) {
                Some(e) => why.push(format!(
                    "address {addr:#x} is page {vpn}, offset {:#x}; the page maps frame {} ({})",
                    addr & 0xfff,
                    e.frame().as_u32(),
                    perms(e)
                )),
                None => why.push(format!("address {addr:#x} is page {vpn}, which is not present")),
            }
        }
        _ => why.push("the reference printed this for the line".into()),
    }
    why
}

/// For a `read_mem`: the earlier line that wrote that byte of that process, and the forks
/// since (each gives the child its own copy under the profile's eager fork).
fn mtl458_history(words: &[String], earlier: &[&[u8]]) -> Vec<String> {
    let (Some(pid), Some(addr)) = (words.get(1).and_then(|w| c_number(w)), words.get(2).and_then(|w| c_number(w)))
    else {
        return Vec::new();
    };
    let mut why = Vec::new();
    let last_write = earlier.iter().enumerate().rev().find_map(|(i, l)| {
        let w = self::words(l);
        let same = w.first().is_some_and(|c| c == "write_mem")
            && w.get(1).and_then(|x| c_number(x)) == Some(pid)
            && w.get(2).and_then(|x| c_number(x)) == Some(addr);
        same.then(|| (i + 1, w.get(3).cloned().unwrap_or_default()))
    });
    if let Some((line, byte)) = &last_write {
        why.push(format!("pid {pid} last wrote {byte} at {addr:#x} itself, at line {line}"));
    }
    let since = last_write.map_or(0, |(l, _)| l);
    for (i, l) in earlier.iter().enumerate().skip(since) {
        let w = self::words(l);
        if w.first().is_some_and(|c| c == "fork_ps") {
            why.push(format!(
                "line {}: fork_ps gives the child its own copy of every page (eager fork, the profile's default): a write by one process after it never reaches the other",
                i + 1
            ));
        }
    }
    why
}

fn perms(e: &Pte) -> String {
    let f = e.flags();
    let mut s = String::new();
    s.push(if f.contains(PteFlags::READ) { 'r' } else { '-' });
    s.push(if f.contains(PteFlags::WRITE) { 'w' } else { '-' });
    s.push(if f.contains(PteFlags::EXEC) { 'x' } else { '-' });
    if f.contains(PteFlags::COW) {
        s.push_str(" cow");
    }
    s
}

/// The page table of the snapshot's process: one line per valid entry (at most 64).
fn page_table(b: &Snapshot, flavour: Flavour) -> Vec<String> {
    const MAX: usize = 64;
    let mut out: Vec<String> = b
        .entries
        .iter()
        .take(MAX)
        .map(|(&v, e)| {
            let f = e.frame().as_u32();
            let place = match flavour {
                Flavour::Ajou => format!(" ({:02}:{:02})", v / 16, v % 16),
                Flavour::Mtl458 => String::new(),
            };
            format!("VPN {v:>3}{place} -> frame {f:>3}  {}  map count {}", perms(e), b.count(f))
        })
        .collect();
    if b.entries.len() > MAX {
        out.push(format!("... and {} more valid entries", b.entries.len() - MAX));
    }
    if out.is_empty() {
        out.push("(no valid entry)".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_the_framework_reads_them() {
        for (w, n) in [("10", 10), ("0x1f", 31), ("017", 15), ("3#x", 3), ("7abc", 7), ("abc", 0), ("0x", 0)] {
            assert_eq!(c_number(w), Some(n), "{w}");
        }
        assert_eq!(c_number("08"), Some(0));
        assert_eq!(c_number("-1"), Some(u32::MAX));
        assert_eq!(c_number("4294967299"), Some(3));
    }

    #[test]
    fn words_stop_at_a_comment() {
        assert_eq!(words(b"WRITE 2 # note\n"), vec!["write", "2"]);
    }
}
