//! `vmsim sweep TRACE --policies fifo,lru --frames 4,8,...,1024`: every policy at every size,
//! in parallel; a table of page faults, optionally CSV and an SVG miss-ratio curve; Belady
//! anomalies flagged. The grid is the `replay` crate's.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use policy::Count;
use replay::Spec;

use crate::status::OutputError;
use crate::tracefile::{Progress, TraceArgs, open, parse_frames};

/// Writes an output file; failing is an [`OutputError`] (status 1), not a usage error.
fn write_file(path: &std::path::Path, text: &str) -> Result<(), OutputError> {
    std::fs::write(path, text)
        .map_err(|e| OutputError(format!("cannot write {}: {}", path.display(), crate::io_why(&e))))
}

/// Options of `vmsim sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    /// The trace and how to read it.
    pub trace: TraceArgs,

    /// Policies, comma-separated: fifo, lru, opt, clock, second, sfifo:P.
    #[arg(long, default_value = "fifo,lru,clock,opt", value_delimiter = ',')]
    pub policies: Vec<Spec>,

    /// Frame counts: `4,8,16`, a range `1..16`, or a doubling `4,8,...,1024`.
    #[arg(long, default_value = "4,8,...,1024")]
    pub frames: String,

    /// Also write the grid as CSV to this file (`-`: standard output, instead of the table).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Also write the miss-ratio curve (faults against frames, a line a policy) as SVG.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// Runs the sweep and writes the table to `out`.
///
/// # Errors
/// The trace cannot be read (the message names the line), a frame list is malformed, or an
/// output file cannot be written.
pub fn run<W: Write>(args: &Args, out: &mut W) -> anyhow::Result<()> {
    let sizes = parse_frames(&args.frames).context("--frames")?;
    let mut opened = open(&args.trace)?;
    let mut progress = Progress::new(opened.file_size.filter(|_| opened.compression == trace::Compression::Plain));
    let (refs, _) = replay::page_refs(&mut opened.reader, args.trace.page_size, args.trace.straddle, &mut |b| {
        progress.update(b);
    })
    .with_context(|| format!("trace {}", args.trace.trace.display()))?;
    progress.finish();
    let sweep = replay::sweep::sweep(&refs, &args.policies, &sizes)?;
    if let Some(path) = &args.svg {
        let name = args.trace.trace.file_name().map_or_else(|| "-".into(), |n| n.to_string_lossy());
        let title = format!("{name}: page faults against frames");
        let svg = replay::sweep::svg(&sweep, &title).map_err(|e| OutputError(format!("{}: {e}", path.display())))?;
        write_file(path, &svg)?;
    }
    match &args.csv {
        Some(p) if p.as_os_str() == "-" => {
            out.write_all(sweep.csv().as_bytes())?;
            return Ok(());
        }
        Some(p) => write_file(p, &sweep.csv())?,
        None => {}
    }
    let (references, pages) = (Count(sweep.references, "reference"), Count(sweep.distinct_pages, "distinct page"));
    writeln!(out, "{references}, {pages}; page faults:")?;
    write!(out, "{:>8}", "frames")?;
    for p in &sweep.policies {
        write!(out, " {:>12}", p.to_string())?;
    }
    writeln!(out)?;
    let anomalies = sweep.anomalies();
    for (i, f) in sweep.frames.iter().enumerate() {
        write!(out, "{f:>8}")?;
        for p in 0..sweep.policies.len() {
            let c = sweep.row(p)[i];
            let flag = if anomalies.iter().any(|a| a.policy == c.policy && a.larger.0 == c.frames) { "!" } else { " " };
            write!(out, " {:>11}{flag}", c.page_faults)?;
        }
        writeln!(out)?;
    }
    for a in &anomalies {
        writeln!(
            out,
            "Belady anomaly: {} has {} with {} but {} with {}",
            a.policy,
            Count(a.smaller.1, "fault"),
            Count(a.smaller.0, "frame"),
            a.larger.1,
            a.larger.0
        )?;
    }
    Ok(())
}
