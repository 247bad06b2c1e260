//! `vmsim solve PROBLEM`: answers an OSTEP homework problem text (as the book's simulator
//! prints it without `-c`) with what the simulator prints with `-c`. The parsing and solving
//! live in the `ostep` crate; this module reads the file and writes the answer.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};

/// The largest problem text read, so that an endless standard input cannot exhaust memory.
/// A linear-table problem of 2^22 entries (`-a 4m -P 1`) is about 60 MiB.
const MAX_PROBLEM_BYTES: u64 = 256 << 20;

/// Options of `vmsim solve`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The problem text, as printed without `-c` by `paging-policy.py`,
    /// `paging-linear-translate.py` or `paging-multilevel-translate.py`; `-` reads standard
    /// input.
    pub problem: PathBuf,
}

/// Reads the problem, solves it and writes the answer to `out`.
///
/// # Errors
/// A file that cannot be read or is not UTF-8, a text that is not a known problem (the
/// message names the line), a problem the solver refuses (a policy drawing on Python's random
/// numbers, say), or one on which the script itself fails part way (what it prints up to there
/// is written to `out` first).
pub fn run<W: Write>(args: &Args, out: &mut W) -> anyhow::Result<()> {
    let name = args.problem.display();
    let mut bytes = Vec::new();
    let read = if args.problem.as_os_str() == "-" {
        io::stdin().lock().take(MAX_PROBLEM_BYTES + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(&args.problem).and_then(|f| f.take(MAX_PROBLEM_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| anyhow::anyhow!("cannot read problem {name}: {}", crate::io_why(&e)))?;
    if bytes.len() as u64 > MAX_PROBLEM_BYTES {
        bail!("{name}: longer than {MAX_PROBLEM_BYTES} bytes, not a problem text");
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        anyhow::anyhow!("{name}: line {line}: not UTF-8 text (byte {})", e.valid_up_to())
    })?;
    let problem = ostep::parse(text).with_context(|| name.to_string())?;
    match problem.solve() {
        Ok(answer) => out.write_all(answer.as_bytes())?,
        Err(e) => {
            if let Some(printed) = e.printed() {
                out.write_all(printed.as_bytes())?;
            }
            return Err(e).with_context(|| name.to_string());
        }
    }
    Ok(())
}
