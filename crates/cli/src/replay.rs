//! `vmsim replay TRACE --frames N --policy P`: replays a memory trace through N page frames
//! under a replacement policy and prints what it counted (text, `--json`, or the CS1550
//! summary). The reading is the `trace` crate's, the replay the `replay` crate's.

use std::io::Write;

use anyhow::Context;
use policy::Count;
use replay::{Options, Preset, ReplayOptions, Spec, TlbConfig};

use crate::tracefile::{Progress, TraceArgs, open};

/// Options of `vmsim replay`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    /// The trace and how to read it.
    pub trace: TraceArgs,

    /// User page frames (page tables live outside them).
    #[arg(long, short = 'n')]
    pub frames: usize,

    /// Replacement policy: fifo, lru, opt, clock, second, sfifo:P, or any other of
    /// `docs/policies.md` (nru, aging, wsclock, lfu, mru, random, sieve, 2q; default options).
    #[arg(long, short = 'a', default_value = "lru")]
    pub policy: Spec,

    /// A TLB in front: ENTRIES, or ENTRIES,WAYS (set-associative, LRU in a set; default fully
    /// associative). With --machine the default is 64 entries.
    #[arg(long, value_name = "ENTRIES[,WAYS]", value_parser = parse_tlb)]
    pub tlb: Option<TlbConfig>,

    /// Replay through a machine: its TLB, its page tables (walked, accessed and dirty bits
    /// set) in a memory outside the N frames: x86-64, sv39, sv48, aarch64-4k, ...
    #[arg(long, value_name = "PRESET")]
    pub machine: Option<Preset>,

    /// Print one JSON object instead of the report.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Print a course's summary block instead of the report: `cs1550` (Pitt CS1550 vmsim).
    #[arg(long, value_enum)]
    pub format: Option<Summary>,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Summary {
    /// Pitt CS1550 project 3: algorithm, frames, accesses, page faults, writes to disk.
    Cs1550,
}

/// The largest TLB `replay::Tlb::new` builds.
const TLB_MAX_ENTRIES: usize = 1 << 20;

fn parse_tlb(s: &str) -> Result<TlbConfig, String> {
    let bad = || format!("`{s}` is not ENTRIES or ENTRIES,WAYS");
    let (e, w) = s.split_once(',').map_or((s, None), |(e, w)| (e, Some(w)));
    let entries: usize = e.trim().parse().map_err(|_| bad())?;
    let ways = w.map_or(Ok(entries), |w| w.trim().parse().map_err(|_| bad()))?;
    // The replay crate's limits (`replay::Tlb::new`), checked here to say which one failed.
    if entries == 0 || ways == 0 {
        return Err(format!("`{s}`: a TLB has at least 1 entry and 1 way"));
    }
    if entries > TLB_MAX_ENTRIES {
        return Err(format!("`{s}`: a TLB has at most {TLB_MAX_ENTRIES} entries"));
    }
    if entries % ways != 0 {
        return Err(format!("`{s}`: {ways} ways do not divide {entries} entries into sets"));
    }
    Ok(TlbConfig { entries, ways })
}

/// Replays the trace and writes the report to `out`.
///
/// # Errors
/// The trace cannot be read (the message names the line), or an option is out of range.
pub fn run<W: Write>(args: &Args, out: &mut W) -> anyhow::Result<()> {
    let mut opened = open(&args.trace)?;
    let options = ReplayOptions {
        frames: args.frames,
        policy: args.policy,
        policy_options: Options::default(),
        page_size: args.trace.page_size,
        straddle: args.trace.straddle,
        tlb: args.tlb,
        machine: args.machine,
    };
    let mut progress = Progress::new(opened.file_size.filter(|_| opened.compression == trace::Compression::Plain));
    let summary = replay::replay_trace(&mut opened.reader, &options, &mut |b| progress.update(b))
        .with_context(|| format!("trace {}", args.trace.trace.display()))?;
    progress.finish();
    let seconds = progress.elapsed();
    let c = &summary.counts;
    let format = opened.reader.format();
    if args.format == Some(Summary::Cs1550) {
        out.write_all(replay::cs1550::summary(args.policy, args.frames, c).as_bytes())?;
        return Ok(());
    }
    let k = &summary.kinds;
    let r = &summary.reader;
    if args.json {
        let v = serde_json::json!({
            "trace": args.trace.trace.display().to_string(),
            "format": format.name(),
            "compression": opened.compression.name(),
            "policy": args.policy.to_string(),
            "frames": args.frames,
            "page_size": args.trace.page_size,
            "straddle": args.trace.straddle,
            "records": k.total(),
            "records_by_kind": { "fetch": k.fetch, "read": k.read, "write": k.write, "modify": k.modify },
            "lines_skipped": r.skipped,
            "bad_records": r.bad,
            "references": c.references,
            "hits": c.hits,
            "page_faults": c.page_faults,
            "evictions_clean": c.evictions_clean,
            "evictions_dirty": c.evictions_dirty,
            "disk_reads": c.disk_reads,
            "disk_writes": c.disk_writes,
            "tlb_modelled": summary.tlb.is_some(),
            "tlb_hits": summary.tlb.map(|t| t.hits),
            "tlb_misses": summary.tlb.map(|t| t.misses),
            "machine": args.machine.map(Preset::name),
            "page_table_frames": summary.machine.map(|m| m.table_frames),
            "walks": summary.machine.map(|m| m.walks),
            "seconds": seconds,
        });
        writeln!(out, "{v}")?;
        return Ok(());
    }
    let pct = |n: u64, d: u64| if d == 0 { 0.0 } else { 100.0 * n as f64 / d as f64 };
    writeln!(
        out,
        "trace       {} ({}, {}): {}, {} skipped, {} skipped",
        args.trace.trace.display(),
        format,
        opened.compression.name(),
        Count(k.total(), "record"),
        Count(r.skipped, "other line"),
        Count(r.bad, "bad record")
    )?;
    writeln!(out, "records     fetch {}, read {}, write {}, modify {}", k.fetch, k.read, k.write, k.modify)?;
    match args.machine {
        Some(m) => writeln!(
            out,
            "machine     {m}: {} of {} bytes, policy {}",
            Count(args.frames, "user frame"),
            args.trace.page_size,
            args.policy
        )?,
        None => {
            writeln!(
                out,
                "machine     {} of {} bytes, policy {}",
                Count(args.frames, "frame"),
                args.trace.page_size,
                args.policy
            )?;
        }
    }
    writeln!(out, "references  {} ({})", c.references, Count(c.hits, "hit"))?;
    match summary.tlb {
        Some(t) => writeln!(
            out,
            "TLB         {}, {} ({:.2}% misses)",
            Count(t.hits, "hit"),
            Count(t.misses, "miss"),
            pct(t.misses, c.references)
        )?,
        None => writeln!(out, "TLB         not modelled (--tlb ENTRIES[,WAYS] adds one)")?,
    }
    writeln!(out, "page faults {} ({:.4}% of references)", c.page_faults, pct(c.page_faults, c.references))?;
    writeln!(out, "evictions   {} clean, {} dirty", c.evictions_clean, c.evictions_dirty)?;
    writeln!(out, "disk        {}, {}", Count(c.disk_reads, "read"), Count(c.disk_writes, "write"))?;
    match summary.machine {
        Some(m) => writeln!(
            out,
            "page tables {}, outside the {}; {}",
            Count(m.table_frames, "frame"),
            Count(args.frames, "user frame"),
            Count(m.walks, "walk")
        )?,
        None => writeln!(out, "page tables outside the {} (not counted)", Count(args.frames, "user frame"))?,
    }
    let rate = if seconds > 0.0 { k.total() as f64 / seconds / 1e6 } else { 0.0 };
    writeln!(out, "time        {seconds:.3} s ({rate:.1} M records/s)")?;
    Ok(())
}
