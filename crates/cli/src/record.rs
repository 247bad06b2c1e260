//! `vmsim record -o FILE.gz -- CMD ARGS`: runs CMD under Valgrind's lackey
//! (`--tool=lackey --trace-mem=yes`), its log in a temporary file, then writes that log
//! compressed as the output's name says (`.gz` gzip, `.zst` zstd, anything else plain).
//! The program's own output stays on the terminal; the log holds only Valgrind's lines.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};
use trace::Compression;

/// Options of `vmsim record`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The trace to write: `.gz` is gzip, `.zst` zstd, any other name plain text.
    #[arg(short = 'o', long)]
    pub output: PathBuf,

    /// The valgrind program to run (default: `valgrind` on the PATH).
    #[arg(long, default_value = "valgrind")]
    pub valgrind: PathBuf,

    /// The command and its arguments (after `--`).
    #[arg(required = true, last = true)]
    pub command: Vec<String>,
}

/// Records the command's memory trace.
///
/// # Errors
/// Valgrind is not installed or fails to start, the command cannot be traced, or the output
/// cannot be written.
pub fn run<W: Write>(args: &Args, out: &mut W) -> anyhow::Result<()> {
    // The output is created first: a name that cannot be written is said before the command
    // runs, not after a long recording.
    let file = File::create(&args.output)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {}", args.output.display(), crate::io_why(&e)))?;
    let result = record(args, file, out);
    if result.is_err() {
        // No empty or partial trace left behind to be replayed by mistake.
        let _ = std::fs::remove_file(&args.output);
    }
    result
}

/// Runs the command under lackey and writes its log to `file` (the output).
fn record<W: Write>(args: &Args, file: File, out: &mut W) -> anyhow::Result<()> {
    let log = tempfile::NamedTempFile::new().context("cannot create a temporary file for valgrind's log")?;
    let status = Command::new(&args.valgrind)
        .arg("--tool=lackey")
        .arg("--trace-mem=yes")
        .arg(format!("--log-file={}", log.path().display()))
        .arg("--")
        .args(&args.command)
        .status();
    let status = match status {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => bail!(
            "{} not found: `vmsim record` runs the command under Valgrind's lackey; install valgrind \
             (apt-get install valgrind) or name it with --valgrind",
            args.valgrind.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot run {}", args.valgrind.display())),
    };
    let compression = match args.output.extension().and_then(|e| e.to_str()) {
        Some("gz") => Compression::Gzip,
        Some("zst" | "zstd") => Compression::Zstd,
        _ => Compression::Plain,
    };
    let src = BufReader::new(File::open(log.path()).context("cannot read valgrind's log")?);
    let mut dst = BufWriter::new(file);
    let bytes = trace::compress(compression, src, &mut dst)
        .and_then(|n| dst.flush().map(|()| n))
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    if bytes == 0 {
        bail!(
            "{} wrote no log ({status}): the command could not be started, or it is not Valgrind",
            args.valgrind.display()
        );
    }
    writeln!(
        out,
        "recorded {} ({} bytes of lackey log, {}); the command exited with {status}",
        args.output.display(),
        bytes,
        compression.name()
    )?;
    Ok(())
}
