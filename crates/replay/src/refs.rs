//! From trace records to page references: the page of each record's first byte (as the
//! courses count), or every page a record covers with `straddle`; and the streaming replay.

use std::io::Read;

use trace::{Kind, Record, TraceReader};

use paging::Preset;
use policy::{Options, Reference, Spec};

use crate::error::ReplayError;
use crate::machine::MachineCounts;
use crate::memory::{Counts, Target, sink_for, streaming};
use crate::tlb::{TlbConfig, TlbCounts};

/// One page reference: a page number and whether it writes (a store or a modify). The
/// `policy` crate's [`Reference`], under the name a trace replay uses.
pub type PageRef = Reference;

/// How to turn records into references and replay them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayOptions {
    /// User frames, >= 1.
    pub frames: usize,
    /// The replacement policy.
    pub policy: Spec,
    /// Its parameters (`opt`'s tie rule, `nru`'s period, ...).
    pub policy_options: Options,
    /// Page size in bytes, a power of two (ignored for `pages` traces, whose records are pages).
    pub page_size: u64,
    /// A record that crosses a page boundary references every page it covers (`--straddle`);
    /// otherwise only the page of its first byte.
    pub straddle: bool,
    /// A TLB in front, if any.
    pub tlb: Option<TlbConfig>,
    /// Replay through this machine: its TLB (`tlb`, or 64 entries), its page tables, its
    /// accessed and dirty bits.
    pub machine: Option<Preset>,
}

impl ReplayOptions {
    /// Where the references go.
    #[must_use]
    pub fn target(&self) -> Target {
        Target { frames: self.frames, tlb: self.tlb, machine: self.machine, page_size: self.page_size }
    }
}

/// Records by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Kinds {
    /// Instruction fetches.
    pub fetch: u64,
    /// Data reads.
    pub read: u64,
    /// Data writes.
    pub write: u64,
    /// Modifies (read and write in one access).
    pub modify: u64,
}

impl Kinds {
    fn add_all(&mut self, records: &[Record]) {
        // Counted by index, without a branch a record.
        let mut n = [0u64; 4];
        for r in records {
            n[r.kind as usize] += 1;
        }
        for k in Kind::ALL {
            *self.slot(k) += n[k as usize];
        }
    }
    fn slot(&mut self, k: Kind) -> &mut u64 {
        match k {
            Kind::Fetch => &mut self.fetch,
            Kind::Read => &mut self.read,
            Kind::Write => &mut self.write,
            Kind::Modify => &mut self.modify,
        }
    }
    /// All records.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.fetch + self.read + self.write + self.modify
    }
}

/// What a replay read and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceSummary {
    /// Records by kind.
    pub kinds: Kinds,
    /// The reader's counts (lines, skipped, bad).
    pub reader: trace::Stats,
    /// The memory's counts.
    pub counts: Counts,
    /// The TLB's counts, when a TLB was modelled.
    pub tlb: Option<TlbCounts>,
    /// The machine's counts, when replayed through a machine.
    pub machine: Option<MachineCounts>,
}

/// The page shift of `page_size`.
fn shift_of(page_size: u64) -> Result<u32, ReplayError> {
    if !page_size.is_power_of_two() || page_size > 1 << 40 {
        return Err(ReplayError::PageSize(page_size));
    }
    Ok(page_size.trailing_zeros())
}

/// The most pages one record references with `straddle`; a record covering more is an error
/// ([`ReplayError::Straddle`]). Real records are at most a few KiB (an `xsave` area).
pub const MAX_STRADDLE_PAGES: u64 = 1 << 16;

/// Appends the references of `records` to `out`, each the page of its first byte (records
/// that straddle are read one at a time: [`push_refs`]).
#[inline]
fn push_all(records: &[Record], shift: u32, pages: bool, out: &mut Vec<PageRef>) {
    if pages {
        out.extend(records.iter().map(|r| PageRef { page: r.addr, write: r.kind.writes() }));
    } else {
        // The common case in one loop the compiler can unroll: the page of the first byte.
        out.extend(records.iter().map(|r| PageRef { page: r.addr >> shift, write: r.kind.writes() }));
    }
}

/// Appends the references of `r` to `out`.
///
/// # Errors
/// [`ReplayError::Straddle`]: with `straddle`, `r` covers more than [`MAX_STRADDLE_PAGES`].
#[inline]
fn push_refs(r: &Record, shift: u32, pages: bool, straddle: bool, out: &mut Vec<PageRef>) -> Result<(), ReplayError> {
    let write = r.kind.writes();
    if pages {
        out.push(PageRef { page: r.addr, write });
        return Ok(());
    }
    let first = r.addr >> shift;
    if straddle && r.size > 1 {
        let last = r.addr.saturating_add(u64::from(r.size) - 1) >> shift;
        let covered = last - first + 1;
        if covered > MAX_STRADDLE_PAGES {
            return Err(ReplayError::Straddle { pages: covered, limit: MAX_STRADDLE_PAGES });
        }
        out.extend((first..=last).map(|page| PageRef { page, write }));
    } else {
        out.push(PageRef { page: first, write });
    }
    Ok(())
}

/// The error `e` of the record just read, with its line.
fn at_line<R: Read>(reader: &TraceReader<R>, e: ReplayError) -> ReplayError {
    ReplayError::AtLine { line: reader.stats().lines, error: Box::new(e) }
}

/// Reads every record of `reader` as page references (for OPT, sweeps and tests).
///
/// # Errors
/// [`ReplayError::Trace`] (the line and what was wrong), [`ReplayError::PageSize`].
pub fn page_refs<R: Read>(
    reader: &mut TraceReader<R>,
    page_size: u64,
    straddle: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<(Vec<PageRef>, Kinds), ReplayError> {
    let shift = shift_of(page_size)?;
    let pages = reader.format().gives_pages();
    let mut refs = Vec::new();
    let mut kinds = Kinds::default();
    if straddle {
        // One record at a time, so that one covering too many pages is named by its line.
        while let Some(r) = reader.next_record()? {
            kinds.add_all(std::slice::from_ref(&r));
            push_refs(&r, shift, pages, true, &mut refs).map_err(|e| at_line(reader, e))?;
            if reader.stats().records % (256 * BATCH as u64) == 0 {
                progress(reader.stats().bytes);
            }
        }
        return Ok((refs, kinds));
    }
    let mut records = Vec::with_capacity(BATCH);
    let mut batches = 0u64;
    while reader.next_batch(&mut records, BATCH)? > 0 {
        kinds.add_all(&records);
        push_all(&records, shift, pages, &mut refs);
        records.clear();
        batches += 1;
        if batches % 256 == 0 {
            progress(reader.stats().bytes);
        }
    }
    Ok((refs, kinds))
}

/// Records per batch read and handed to the memory: the batch of records and of references
/// (16 bytes each) stay in the first-level cache.
const BATCH: usize = 512;

/// Replays `reader` under `options`: streaming (constant memory) for every policy but OPT,
/// which reads the whole trace first. `progress` is called now and then with the bytes read.
///
/// # Errors
/// [`ReplayError::Trace`] (the line and what was wrong), and the option errors
/// ([`ReplayError::NoFrames`], [`ReplayError::PageSize`], [`ReplayError::TlbShape`], ...).
pub fn replay_trace<R: Read>(
    reader: &mut TraceReader<R>,
    options: &ReplayOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<TraceSummary, ReplayError> {
    let shift = shift_of(options.page_size)?;
    let target = options.target();
    let Some(mut sink) = streaming(options.policy, &options.policy_options, &target)? else {
        if options.machine.is_some() {
            return opt_through_machine(reader, options, progress);
        }
        let (refs, kinds) = page_refs(reader, options.page_size, options.straddle, progress)?;
        let mut m = sink_for(&refs, options.policy, &options.policy_options, &target)?;
        m.feed(&refs)?;
        return Ok(TraceSummary {
            kinds,
            reader: *reader.stats(),
            counts: m.counts(),
            tlb: m.tlb_counts(),
            machine: m.machine_counts(),
        });
    };
    let pages = reader.format().gives_pages();
    let mut kinds = Kinds::default();
    if options.machine.is_some() || options.straddle {
        // A machine can refuse a reference (an address outside its address space), and a
        // straddling record can cover too many pages: the error must name the record's line,
        // so records are read and fed one at a time (which costs little beside a machine's
        // walk of its tables, and bounds the references a straddling record makes at once).
        let mut refs = Vec::new();
        let mut read = 0u64;
        while let Some(r) = reader.next_record()? {
            kinds.add_all(std::slice::from_ref(&r));
            refs.clear();
            push_refs(&r, shift, pages, options.straddle, &mut refs).map_err(|e| at_line(reader, e))?;
            let line = reader.stats().lines;
            sink.feed(&refs).map_err(|e| ReplayError::AtLine { line, error: Box::new(e) })?;
            read += 1;
            if read % (256 * BATCH as u64) == 0 {
                progress(reader.stats().bytes);
            }
        }
        return Ok(TraceSummary {
            kinds,
            reader: *reader.stats(),
            counts: sink.counts(),
            tlb: sink.tlb_counts(),
            machine: sink.machine_counts(),
        });
    }
    let mut records = Vec::with_capacity(BATCH);
    let mut batch = Vec::with_capacity(BATCH);
    let mut batches = 0u64;
    while reader.next_batch(&mut records, BATCH)? > 0 {
        kinds.add_all(&records);
        push_all(&records, shift, pages, &mut batch);
        sink.feed(&batch)?;
        records.clear();
        batch.clear();
        batches += 1;
        if batches % 256 == 0 {
            progress(reader.stats().bytes);
        }
    }
    Ok(TraceSummary {
        kinds,
        reader: *reader.stats(),
        counts: sink.counts(),
        tlb: sink.tlb_counts(),
        machine: sink.machine_counts(),
    })
}

/// OPT through a machine: every reference read first, with the line of its record, so that a
/// reference the machine refuses is named by its line.
fn opt_through_machine<R: Read>(
    reader: &mut TraceReader<R>,
    options: &ReplayOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<TraceSummary, ReplayError> {
    let shift = shift_of(options.page_size)?;
    let pages = reader.format().gives_pages();
    let (mut refs, mut lines) = (Vec::new(), Vec::new());
    let mut kinds = Kinds::default();
    while let Some(r) = reader.next_record()? {
        kinds.add_all(std::slice::from_ref(&r));
        push_refs(&r, shift, pages, options.straddle, &mut refs).map_err(|e| at_line(reader, e))?;
        lines.resize(refs.len(), reader.stats().lines);
        if reader.stats().records % (256 * BATCH as u64) == 0 {
            progress(reader.stats().bytes);
        }
    }
    let mut m = sink_for(&refs, options.policy, &options.policy_options, &options.target())?;
    for (r, &line) in refs.iter().zip(&lines) {
        m.feed(std::slice::from_ref(r)).map_err(|e| ReplayError::AtLine { line, error: Box::new(e) })?;
    }
    Ok(TraceSummary {
        kinds,
        reader: *reader.stats(),
        counts: m.counts(),
        tlb: m.tlb_counts(),
        machine: m.machine_counts(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trace::{FormatChoice, ReadOptions};

    fn refs_of(text: &str, page_size: u64, straddle: bool) -> Vec<PageRef> {
        let mut r = TraceReader::new(text.as_bytes(), FormatChoice::Auto, ReadOptions::default()).unwrap();
        page_refs(&mut r, page_size, straddle, &mut |_| {}).unwrap().0
    }

    #[test]
    fn first_byte_or_every_page() {
        // An 8-byte load at 0xffc crosses from page 0 into page 1 of 4 KiB pages.
        let t = "I  00000ffe,4\n L 00000ffc,8\n S 00001000,4\n";
        assert_eq!(refs_of(t, 4096, false), vec![PageRef::read(0), PageRef::read(0), PageRef::write(1)]);
        assert_eq!(
            refs_of(t, 4096, true),
            vec![PageRef::read(0), PageRef::read(1), PageRef::read(0), PageRef::read(1), PageRef::write(1)]
        );
    }

    #[test]
    fn page_numbers_ignore_the_page_size() {
        assert_eq!(refs_of("1\n2w\n", 4096, false), vec![PageRef::read(1), PageRef::write(2)]);
    }

    #[test]
    fn bad_page_size() {
        let mut r = TraceReader::new(&b"1\n"[..], FormatChoice::Auto, ReadOptions::default()).unwrap();
        assert!(matches!(page_refs(&mut r, 3000, false, &mut |_| {}), Err(ReplayError::PageSize(3000))));
    }

    #[test]
    fn a_reference_a_machine_refuses_names_its_line() {
        // Line 4, after a comment, is past x86-64's 48-bit address space; streaming (lru) and
        // OPT (which reads every reference first) must both say so, with the line.
        let text = "00001000 R\n00002000 W\n# a comment\n1000000000000000 R\n00003000 R\n";
        for policy in [Spec::Lru, Spec::Opt] {
            let mut r = TraceReader::new(text.as_bytes(), FormatChoice::Auto, ReadOptions::default()).unwrap();
            let options = ReplayOptions {
                frames: 3,
                policy,
                policy_options: Options::default(),
                page_size: 4096,
                straddle: false,
                tlb: None,
                machine: Some(Preset::X86_64),
            };
            let err = replay_trace(&mut r, &options, &mut |_| {}).unwrap_err();
            let ReplayError::AtLine { line, error } = &err else { panic!("{policy}: {err}") };
            assert_eq!(*line, 4, "{policy}");
            assert!(matches!(**error, ReplayError::Machine { page: Some(0x1_0000_0000_0000), .. }), "{err}");
            assert!(err.to_string().starts_with("line 4: page 0x1000000000000: "), "{err}");
        }
    }

    #[test]
    fn a_record_straddling_too_many_pages_names_its_line() {
        // 4 GiB on pages of one byte: four billion references from one record (memory ran out).
        let text = "I  00001000,4\n L 00001000,4294967295\n";
        let straddle = |policy| {
            let mut r = TraceReader::new(text.as_bytes(), FormatChoice::Auto, ReadOptions::default()).unwrap();
            let options = ReplayOptions {
                frames: 3,
                policy,
                policy_options: Options::default(),
                page_size: 1,
                straddle: true,
                tlb: None,
                machine: None,
            };
            replay_trace(&mut r, &options, &mut |_| {}).unwrap_err().to_string()
        };
        let want = "line 2: the record covers 4294967295 pages; --straddle references at most 65536 pages a record";
        assert_eq!(straddle(Spec::Lru), want);
        assert_eq!(straddle(Spec::Opt), want);
        let mut r = TraceReader::new(text.as_bytes(), FormatChoice::Auto, ReadOptions::default()).unwrap();
        assert_eq!(page_refs(&mut r, 1, true, &mut |_| {}).unwrap_err().to_string(), want);
        // At the bound, every page is referenced.
        assert_eq!(refs_of("I  00000000,65536\n", 1, true).len(), 65536);
    }
}
