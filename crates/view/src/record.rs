//! Recording a run: after every command, what changed in the machine (a [`Delta`]) and what the
//! command printed. A page of 100,000 steps stores 100,000 small deltas, not 100,000 states.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;

use kernel::{Kernel, Pfn, Pte, Vpn};
use serde::Serialize;

use crate::snapshot::{MachineInfo, StatsView, flags_of, present};

/// Which stream a line of output went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Stream {
    /// Standard output.
    Out,
    /// Standard error (what the `ajou` profile's graders diff).
    Err,
}

/// One line a command printed, without its newline (bytes that are not UTF-8 are replaced).
/// Serialised as `[1, text]` for standard output and `[2, text]` for standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    /// Where it went.
    pub stream: Stream,
    /// The text.
    pub text: String,
}

impl Serialize for OutputLine {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fd: u8 = match self.stream {
            Stream::Out => 1,
            Stream::Err => 2,
        };
        (fd, &self.text).serialize(s)
    }
}

/// A log of both output streams of one command, in the order the lines were completed: what a
/// terminal would show. Clone it to get writers that share the log.
#[derive(Debug, Clone, Default)]
pub struct Transcript(Rc<RefCell<TranscriptLog>>);

#[derive(Debug, Default)]
struct TranscriptLog {
    lines: Vec<OutputLine>,
    partial: [Vec<u8>; 2],
}

/// A [`std::io::Write`] into a [`Transcript`], for one stream.
#[derive(Debug, Clone)]
pub struct TranscriptWriter {
    log: Transcript,
    stream: Stream,
}

impl Transcript {
    /// A writer that logs what it is given as `stream`.
    pub fn writer(&self, stream: Stream) -> TranscriptWriter {
        TranscriptWriter { log: self.clone(), stream }
    }

    /// The lines written since the last call, a last unterminated line included, and empties
    /// the log.
    pub fn take(&self) -> Vec<OutputLine> {
        let mut log = self.0.borrow_mut();
        for (i, stream) in [Stream::Out, Stream::Err].into_iter().enumerate() {
            if !log.partial[i].is_empty() {
                let text = String::from_utf8_lossy(&log.partial[i]).into_owned();
                log.partial[i].clear();
                log.lines.push(OutputLine { stream, text });
            }
        }
        std::mem::take(&mut log.lines)
    }
}

impl io::Write for TranscriptWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut log = self.log.0.borrow_mut();
        let log = &mut *log;
        let i = usize::from(self.stream == Stream::Err);
        let mut rest = buf;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            log.partial[i].extend_from_slice(&rest[..nl]);
            let text = String::from_utf8_lossy(&log.partial[i]).into_owned();
            log.partial[i].clear();
            log.lines.push(OutputLine { stream: self.stream, text });
            rest = &rest[nl + 1..];
        }
        log.partial[i].extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What changed in the machine during one step. Every list is in a fixed order and empty lists
/// are left out of the JSON, so that a step that changed nothing costs nothing.
///
/// The page applies a delta in field order: processes and tables removed first (removing a
/// table removes its entries), then added, then entries, map counts, the current process, the
/// TLB and the statistics. The first state of a run is the delta from an empty machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delta {
    /// Pids that ended.
    #[serde(rename = "pr", skip_serializing_if = "Vec::is_empty")]
    pub processes_removed: Vec<u32>,
    /// Leaf tables freed or replaced: `(pid, dir_index)`.
    #[serde(rename = "tr", skip_serializing_if = "Vec::is_empty")]
    pub tables_removed: Vec<(u32, u32)>,
    /// Processes created: `(pid, root frame)`.
    #[serde(rename = "pa", skip_serializing_if = "Vec::is_empty")]
    pub processes_added: Vec<(u32, u32)>,
    /// Leaf tables created: `(pid, dir_index, frame, first_vpn, entries)`.
    #[serde(rename = "ta", skip_serializing_if = "Vec::is_empty")]
    pub tables_added: Vec<(u32, u32, u32, u32, u32)>,
    /// Entries no longer present: `(pid, vpn)`.
    #[serde(rename = "er", skip_serializing_if = "Vec::is_empty")]
    pub entries_removed: Vec<(u32, u32)>,
    /// Entries now present, new or changed: `(pid, vpn, frame, flags)`, flags as in
    /// [`crate::flag`].
    #[serde(rename = "e", skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<(u32, u32, u32, u8)>,
    /// User frames whose map count changed: `(frame, count)`.
    #[serde(rename = "m", skip_serializing_if = "Vec::is_empty")]
    pub map_counts: Vec<(u32, u32)>,
    /// The new current pid, `-1` for none; absent when unchanged.
    #[serde(rename = "cur", skip_serializing_if = "Option::is_none")]
    pub current: Option<i64>,
    /// The whole TLB, `(vpn, frame)` in listing order, when it changed.
    #[serde(rename = "tlb", skip_serializing_if = "Option::is_none")]
    pub tlb: Option<Vec<(u32, u32)>>,
    /// Statistics that changed: `(index in StatsView::NAMES, value)`.
    #[serde(rename = "s", skip_serializing_if = "Vec::is_empty")]
    pub stats: Vec<(u8, u64)>,
}

impl Delta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == Delta::default()
    }
}

/// One command of the run: its text, its output and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The script line, without its newline.
    #[serde(rename = "c")]
    pub command: String,
    /// What it printed.
    #[serde(rename = "o", skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<OutputLine>,
    /// What it changed.
    #[serde(rename = "d", skip_serializing_if = "Delta::is_empty")]
    pub delta: Delta,
}

/// A whole run, ready to render: the machine, its first state and every step.
#[derive(Debug, Clone, Serialize)]
pub struct Recording {
    /// The title the page shows (the script's name).
    pub title: String,
    /// The machine's shape.
    pub machine: MachineInfo,
    /// The names of the statistics, in the order deltas index them.
    pub stats: [&'static str; 10],
    /// The output printed before the first command (`ajou`'s `Use file ...` line).
    pub preamble: Vec<OutputLine>,
    /// The first state, as a delta from an empty machine.
    pub initial: Delta,
    /// Every command, in order.
    pub steps: Vec<Step>,
    /// Lines of output left out to keep the page within its budget (see [`OUTPUT_BUDGET`]).
    pub dropped_lines: u64,
}

/// Output text a recording keeps, in bytes, over all steps: a script that prints whole page
/// tables on every line would otherwise make a page no browser opens. Past it, a step keeps
/// one line saying how many lines it left out.
pub const OUTPUT_BUDGET: usize = 32 << 20;

/// The most steps a recording takes; a longer script is refused with [`TooManySteps`].
pub const MAX_STEPS: usize = 2_000_000;

/// A script longer than [`MAX_STEPS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the view holds at most {max} commands; cut the script", max = MAX_STEPS)]
pub struct TooManySteps;

/// One process as the recorder last saw it.
#[derive(Debug)]
struct Mirror {
    root: u32,
    /// Leaf tables by directory index: frame, first VPN, every entry.
    tables: BTreeMap<u32, (u32, u32, Vec<Pte>)>,
}

/// Watches a machine through a run and records each step as a [`Delta`].
///
/// It keeps a copy of every leaf table it saw, so that a step costs one comparison of each
/// leaf table with its copy (a `memcmp` of at most one frame) plus the work for what changed.
#[derive(Debug)]
pub struct Recorder {
    procs: BTreeMap<u32, Mirror>,
    counts: BTreeMap<u32, u32>,
    current: Option<u32>,
    tlb: Option<Vec<(u32, u32)>>,
    /// The statistics last seen; `None` before the first look.
    stats: Option<[u64; 10]>,
    recording: Recording,
    output_bytes: usize,
}

impl Recorder {
    /// Starts watching `kernel` (and the shell's TLB, if it keeps one: valid entries in listing
    /// order). `title` names the run on the page; `preamble` is what was printed before the
    /// first command.
    pub fn new(title: &str, kernel: &Kernel, tlb: Option<&[(Vpn, Pfn)]>, preamble: Vec<OutputLine>) -> Self {
        let machine = MachineInfo::of(kernel, tlb.is_some());
        let mut r = Recorder {
            procs: BTreeMap::new(),
            counts: BTreeMap::new(),
            current: None,
            tlb: None,
            stats: None,
            recording: Recording {
                title: title.to_string(),
                machine,
                stats: StatsView::NAMES,
                preamble,
                initial: Delta::default(),
                steps: Vec::new(),
                dropped_lines: 0,
            },
            output_bytes: 0,
        };
        let mut initial = r.observe(kernel, tlb);
        // An empty machine has no current process: the first state names it even when it is none.
        initial.current.get_or_insert(kernel.current().map_or(-1, |p| i64::from(p.as_u32())));
        r.recording.initial = initial;
        r
    }

    /// Records one command: its script line, what it printed, and the machine after it.
    ///
    /// # Errors
    /// [`TooManySteps`] past [`MAX_STEPS`] commands; nothing is recorded then.
    pub fn step(
        &mut self,
        command: &[u8],
        mut output: Vec<OutputLine>,
        kernel: &Kernel,
        tlb: Option<&[(Vpn, Pfn)]>,
    ) -> Result<(), TooManySteps> {
        if self.recording.steps.len() >= MAX_STEPS {
            return Err(TooManySteps);
        }
        let bytes: usize = output.iter().map(|l| l.text.len() + 8).sum();
        if self.output_bytes + bytes > OUTPUT_BUDGET && !output.is_empty() {
            let n = output.len() as u64;
            self.recording.dropped_lines += n;
            output = vec![OutputLine {
                stream: Stream::Out,
                text: format!("[{n} lines of output not kept: the page keeps at most {OUTPUT_BUDGET} bytes of output]"),
            }];
        } else {
            self.output_bytes += bytes;
        }
        let command = command.strip_suffix(b"\n").unwrap_or(command);
        let command = command.strip_suffix(b"\r").unwrap_or(command);
        let delta = self.observe(kernel, tlb);
        self.recording.steps.push(Step { command: String::from_utf8_lossy(command).into_owned(), output, delta });
        Ok(())
    }

    /// The recording so far.
    pub fn finish(self) -> Recording {
        self.recording
    }

    /// Compares the machine with the mirror, brings the mirror up to date and says what changed.
    fn observe(&mut self, kernel: &Kernel, tlb: Option<&[(Vpn, Pfn)]>) -> Delta {
        let mut d = Delta::default();
        let mut touched: Vec<u32> = Vec::new();
        // Processes that ended, or whose pid now has another table (ended and reused).
        let gone: Vec<u32> = self
            .procs
            .iter()
            .filter(|&(&pid, m)| {
                kernel.process(kernel::Pid::new(pid)).is_none_or(|p| p.table().root().as_u32() != m.root)
            })
            .map(|(&pid, _)| pid)
            .collect();
        for pid in gone {
            if let Some(m) = self.procs.remove(&pid) {
                for (_, _, entries) in m.tables.values() {
                    touched.extend(entries.iter().filter(|e| e.is_present()).map(|e| e.frame().as_u32()));
                }
            }
            d.processes_removed.push(pid);
        }
        for p in kernel.processes() {
            let pid = p.pid().as_u32();
            let m = self.procs.entry(pid).or_insert_with(|| {
                let root = p.table().root().as_u32();
                d.processes_added.push((pid, root));
                Mirror { root, tables: BTreeMap::new() }
            });
            let mut seen = Vec::new();
            for leaf in kernel.leaf_tables(p.pid()).into_iter().flatten() {
                let dir = leaf.dir_index as u32;
                seen.push(dir);
                match m.tables.get_mut(&dir) {
                    Some((frame, _, old)) if *frame == leaf.frame.as_u32() && old.len() == leaf.entries.len() => {
                        if old[..] != *leaf.entries {
                            let first = leaf.first_vpn.as_u32();
                            for (i, (o, n)) in old.iter_mut().zip(leaf.entries).enumerate() {
                                if o == n {
                                    continue;
                                }
                                let vpn = first + i as u32;
                                if o.is_present() {
                                    touched.push(o.frame().as_u32());
                                }
                                if n.is_present() {
                                    touched.push(n.frame().as_u32());
                                    d.entries.push((pid, vpn, n.frame().as_u32(), flags_of(*n)));
                                } else {
                                    d.entries_removed.push((pid, vpn));
                                }
                                *o = *n;
                            }
                        }
                    }
                    replaced => {
                        if let Some((_, _, old)) = replaced {
                            touched.extend(old.iter().filter(|e| e.is_present()).map(|e| e.frame().as_u32()));
                            d.tables_removed.push((pid, dir));
                        }
                        let (frame, first) = (leaf.frame.as_u32(), leaf.first_vpn.as_u32());
                        d.tables_added.push((pid, dir, frame, first, leaf.entries.len() as u32));
                        for e in present(leaf.first_vpn, leaf.entries) {
                            touched.push(e.frame);
                            d.entries.push((pid, e.vpn, e.frame, e.flags));
                        }
                        m.tables.insert(dir, (frame, first, leaf.entries.to_vec()));
                    }
                }
            }
            if seen.len() != m.tables.len() {
                m.tables.retain(|&dir, (_, _, old)| {
                    let keep = seen.contains(&dir);
                    if !keep {
                        touched.extend(old.iter().filter(|e| e.is_present()).map(|e| e.frame().as_u32()));
                        d.tables_removed.push((pid, dir));
                    }
                    keep
                });
            }
        }
        // A map count changes only with the entries that map the frame, so only the frames of
        // changed entries need a look.
        touched.sort_unstable();
        touched.dedup();
        let counts = &kernel.mem().map_counts;
        for frame in touched {
            let now = counts.get(Pfn::new(frame));
            let before = self.counts.get(&frame).copied().unwrap_or(0);
            if now != before {
                d.map_counts.push((frame, now));
                if now == 0 {
                    self.counts.remove(&frame);
                } else {
                    self.counts.insert(frame, now);
                }
            }
        }
        let current = kernel.current().map(|p| p.as_u32());
        if current != self.current {
            d.current = Some(current.map_or(-1, i64::from));
            self.current = current;
        }
        let tlb: Option<Vec<(u32, u32)>> = tlb.map(|t| t.iter().map(|&(v, f)| (v.as_u32(), f.as_u32())).collect());
        if tlb != self.tlb {
            d.tlb = Some(tlb.clone().unwrap_or_default());
            self.tlb = tlb;
        }
        // `Kernel::stats` scans every user frame's map count; only a step that changed a
        // table, an entry or a process can change what it derives, the rest are counters.
        let structural = !(d.processes_removed.is_empty()
            && d.processes_added.is_empty()
            && d.tables_removed.is_empty()
            && d.tables_added.is_empty()
            && d.entries.is_empty()
            && d.entries_removed.is_empty());
        let stats = match &self.stats {
            Some(before) if !structural => StatsView::counted(kernel, before),
            _ => StatsView::of(kernel),
        }
        .values();
        let before = self.stats.unwrap_or_default();
        d.stats.extend((0..stats.len()).filter(|&i| stats[i] != before[i]).map(|i| (i as u8, stats[i])));
        self.stats = Some(stats);
        d
    }

    /// The machine's shape.
    pub fn machine(&self) -> &MachineInfo {
        &self.recording.machine
    }

    /// Commands recorded so far.
    pub fn steps(&self) -> usize {
        self.recording.steps.len()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use kernel::{Access, Perm, Pid, Profile};

    use super::*;

    #[test]
    fn a_transcript_keeps_the_order_lines_were_completed_in() {
        let t = Transcript::default();
        let (mut out, mut err) = (t.writer(Stream::Out), t.writer(Stream::Err));
        err.write_all(b"one\ntw").unwrap();
        out.write_all(b"\n").unwrap();
        err.write_all(b"o\n").unwrap();
        out.write_all(b"tail").unwrap();
        let lines: Vec<_> = t.take().into_iter().map(|l| (l.stream, l.text)).collect();
        let want = [(Stream::Err, "one"), (Stream::Out, ""), (Stream::Err, "two"), (Stream::Out, "tail")];
        assert_eq!(lines, want.map(|(s, t)| (s, t.to_string())));
        assert!(t.take().is_empty());
    }

    #[test]
    fn each_step_records_exactly_what_changed() {
        let mut k = Kernel::new(Profile::AJOU).unwrap();
        let mut r = Recorder::new("t", &k, None, Vec::new());
        assert_eq!(r.recording.initial.processes_added, [(0, k.process(Pid::new(0)).unwrap().table().root().as_u32())]);
        assert_eq!(r.recording.initial.current, Some(0));

        k.map_page(Pid::new(0), Vpn::new(2), Perm::READ | Perm::WRITE).unwrap();
        r.step(b"alloc 2 rw\n", Vec::new(), &k, None).unwrap();
        let d = &r.recording.steps[0].delta;
        assert_eq!(r.recording.steps[0].command, "alloc 2 rw");
        assert_eq!(d.tables_added.len(), 1, "the first page under directory entry 0 makes its table");
        assert_eq!(d.entries, [(0, 2, 0, crate::flag::READ | crate::flag::WRITE | crate::flag::ORIG_WRITE)]);
        assert_eq!(d.map_counts, [(0, 1)]);

        k.touch(Pid::new(0), Vpn::new(2), Access::Read).unwrap();
        r.step(b"read 2", Vec::new(), &k, None).unwrap();
        assert!(r.recording.steps[1].delta.is_empty(), "{:?}", r.recording.steps[1].delta);

        k.switch(Pid::new(1)).unwrap();
        r.step(b"switch 1", Vec::new(), &k, None).unwrap();
        let d = &r.recording.steps[2].delta;
        assert_eq!(d.processes_added.len(), 1);
        assert_eq!(d.current, Some(1));
        let cow = crate::flag::READ | crate::flag::COW | crate::flag::ORIG_WRITE;
        assert_eq!(d.entries, [(0, 2, 0, cow), (1, 2, 0, cow)], "both sides write-protected");
        assert_eq!(d.map_counts, [(0, 2)]);

        k.touch(Pid::new(1), Vpn::new(2), Access::Write).unwrap();
        r.step(b"write 2", Vec::new(), &k, Some(&[(Vpn::new(2), Pfn::new(1))])).unwrap();
        let d = &r.recording.steps[3].delta;
        assert_eq!(d.entries.len(), 1);
        assert_eq!(d.map_counts, [(0, 1), (1, 1)]);
        assert_eq!(d.tlb, Some(vec![(2, 1)]));
        assert!(d.stats.contains(&(6, 1)), "one copy-on-write fault: {:?}", d.stats);
    }

    #[test]
    fn an_exit_removes_the_process_and_frees_its_frames() {
        let mut k = Kernel::new(Profile::MTL458).unwrap();
        let sizes = kernel::SegmentSizes { code: 4096, ro_data: 0, rw_data: 0, stack: 4096 };
        let pid = k.create_ps(sizes, b"").unwrap();
        let mut r = Recorder::new("t", &k, None, Vec::new());
        assert_eq!(r.recording.initial.entries.len(), 2);
        k.exit_ps(pid).unwrap();
        r.step(b"exit_ps 0", Vec::new(), &k, None).unwrap();
        let d = &r.recording.steps[0].delta;
        assert_eq!(d.processes_removed, [0]);
        assert_eq!(d.map_counts.iter().map(|&(_, c)| c).collect::<Vec<_>>(), [0, 0]);
        assert_eq!(d.current, None, "mtl458 has no current process");
    }
}
