//! `cargo xtask soak`: the long seeded random run of `crates/model/tests/soak.rs` (ten million
//! operations by default, in lock step with the model, `check()` every 1,000), built optimised.
//! It is a test ignored by default so that `cargo test` stays quick; this runs it.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

/// Options of `cargo xtask soak`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Operations on the mtl458 machine (the ajou machine gets a tenth as many).
    #[arg(long, default_value_t = 10_000_000)]
    pub ops: u64,
    /// The seed of the random run: the same seed replays the same operations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Runs the soak; returns whether it passed.
///
/// # Errors
/// If cargo cannot be started.
pub fn run(args: &Args, out: &mut impl Write) -> Result<bool> {
    writeln!(out, "==> soak: {} ops, seed {} (cargo test --release -p model --test soak)", args.ops, args.seed)?;
    out.flush()?;
    let started = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .args(["test", "--release", "--locked", "-p", "model", "--test", "soak", "--"])
        .args(["--ignored", "--exact", "soak_both_machines", "--nocapture"])
        .env("VMSIM_SOAK_OPS", args.ops.to_string())
        .env("VMSIM_SOAK_SEED", args.seed.to_string())
        .current_dir(crate::workspace_root())
        .status()
        .context("running cargo test")?;
    writeln!(
        out,
        "==> soak {} after {:.0} s",
        if status.success() { "passed" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    )?;
    Ok(status.success())
}
