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
    /// Run the benchmarks, compare each with its baseline, write docs/performance.md and the chart.
    Bench(xtask::bench::Args),
    /// Fuzz the shell and the kernel against the model (installs cargo-fuzz if missing).
    Fuzz(xtask::fuzz::Args),
    /// The long seeded random run against the model (10 million ops by default).
    Soak(xtask::soak::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::RunTestcases(args) => {
            xtask::testcases::run(&args, &mut std::io::stdout().lock()).map(|summary| summary.success())
        }
        Command::Bench(args) => xtask::bench::run(&args, &mut std::io::stdout().lock()).map(|()| true),
        Command::Fuzz(args) => xtask::fuzz::run(&args, &mut std::io::stdout().lock()),
        Command::Soak(args) => xtask::soak::run(&args, &mut std::io::stdout().lock()),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            // One line with its causes; a backtrace would only show the runner's own frames.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
