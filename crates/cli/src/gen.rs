//! `vmsim gen`: writes a random `ajou` script that uses only input whose framework behaviour
//! the spec fixes (see `grade::random`).

use std::io::Write;
use std::path::PathBuf;

use grade::random::GenOptions;

use crate::grade::ShellReference;

/// Arguments of `vmsim gen`.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// The seed: the same seed always gives the same script.
    #[arg(long, value_name = "S")]
    pub seed: u64,

    /// How many commands (at most 10,000,000).
    #[arg(long, value_name = "N", default_value_t = 60, value_parser = parse_commands)]
    pub commands: usize,

    /// For the framework's TLB generation (`-t`): adds `tlb` commands.
    #[arg(short = 't', long)]
    pub tlb: bool,

    /// Write the script to PATH instead of standard output.
    #[arg(short = 'o', long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// The most commands a script may have: the script is built in memory before it is written,
/// and ten million lines (about 100 MB) is far past any test a course runs.
pub const MAX_COMMANDS: usize = 10_000_000;

/// `--commands N`, N at most [`MAX_COMMANDS`].
fn parse_commands(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n <= MAX_COMMANDS => Ok(n),
        _ => Err(format!("`{s}` is not a number of commands in 0..={MAX_COMMANDS}")),
    }
}

/// Runs `vmsim gen`: the exit status is 0.
///
/// # Errors
/// Writing the script; a generated line the reference refuses (a bug in the generator).
pub fn run(args: &GenArgs) -> anyhow::Result<i32> {
    let opts = GenOptions { seed: args.seed, commands: args.commands, tlb: args.tlb };
    let script = grade::random::generate(&ShellReference { base: None }, &opts)?;
    match &args.output {
        Some(p) => std::fs::write(p, &script)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", p.display(), crate::io_why(&e)))?,
        None => std::io::stdout().lock().write_all(&script)?,
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_number_of_commands_is_bounded() {
        assert_eq!(parse_commands("0"), Ok(0));
        assert_eq!(parse_commands("10000000"), Ok(MAX_COMMANDS));
        // Before the bound, 2^64 - 1 commands were generated in memory until it ran out.
        let err = parse_commands("18446744073709551615").unwrap_err();
        assert_eq!(err, "`18446744073709551615` is not a number of commands in 0..=10000000");
        assert!(parse_commands("-1").is_err() && parse_commands("ten").is_err());
    }
}
