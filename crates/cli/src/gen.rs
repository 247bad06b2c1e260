//! `vmsim gen`: writes a random `ajou` script that uses only input whose framework behaviour
//! the spec fixes (see `grade::random`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use grade::random::GenOptions;

use crate::grade::ShellReference;

/// Arguments of `vmsim gen`.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// The seed: the same seed always gives the same script.
    #[arg(long, value_name = "S")]
    pub seed: u64,

    /// How many commands.
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub commands: usize,

    /// For the framework's TLB generation (`-t`): adds `tlb` commands.
    #[arg(short = 't', long)]
    pub tlb: bool,

    /// Write the script to PATH instead of standard output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// Runs `vmsim gen`: the exit status is 0.
///
/// # Errors
/// Writing the script; a generated line the reference refuses (a bug in the generator).
pub fn run(args: &GenArgs) -> anyhow::Result<i32> {
    let opts = GenOptions { seed: args.seed, commands: args.commands, tlb: args.tlb };
    let script = grade::random::generate(&ShellReference { base: None }, &opts)?;
    match &args.output {
        Some(p) => std::fs::write(p, &script).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&script)?,
    }
    Ok(0)
}
