//! `cargo xtask`: the project's automation commands, one subcommand a module of the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Project automation for vmsim (run it as `cargo xtask <command>`).
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the scenario files (testcases/ and the conformance suites) and compare their output.
    RunTestcases(xtask::testcases::Args),
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::RunTestcases(args) => {
            let summary = xtask::testcases::run(&args, &mut std::io::stdout().lock())?;
            Ok(if summary.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}
