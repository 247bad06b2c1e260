//! `run-testcases`: finds scenario scripts, runs each one in-process through the shell
//! (`cli::run_script`), and compares its standard output, standard error and exit status with
//! the expected files beside it. `testcases/README.md` states the conventions for users.
//!
//! Two layouts are recognised:
//! - a scenario file `NAME.vm` with `NAME.stdout`, `NAME.stderr`, `NAME.status` next to it;
//! - a conformance suite: a directory holding `cases/NAME` and `expected/NAME.stderr` (and/or
//!   `.stdout`, `.status`), as in `../shared/conformance/ajou-2021/`.
//!
//! This file holds the command and the types it shares; `testcases/discover.rs` finds the
//! scenarios and reads their headers, `testcases/check.rs` runs them and compares their outputs.

mod check;
mod discover;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Component, PathBuf};

use anyhow::Context;

pub use check::{check, check_all, execute, unified_diff};
pub use discover::{
    ci, conformance_dir, default_paths, discover, header_profile_of, header_run_of, path_profile, present_default_paths,
};

/// Options of `cargo xtask run-testcases`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// Write the actual outputs as the expected files instead of comparing them. Blessed
    /// output is whatever the shell printed: review every changed file before committing it.
    #[arg(long)]
    pub bless: bool,
    /// Scenario files, or directories searched recursively. Default: the workspace's
    /// `testcases/` and every conformance suite in `../shared/conformance/`.
    pub paths: Vec<PathBuf>,
}

/// Which machine a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// The two-level copy-on-write shell of the Ajou course.
    Ajou,
    /// The byte-addressed 200 MiB machine of the MTL458 course.
    Mtl458,
}

impl Profile {
    /// The profile called `name` (`ajou` or `mtl458`), if any.
    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "ajou" => Some(Profile::Ajou),
            "mtl458" => Some(Profile::Mtl458),
            _ => None,
        }
    }

    fn machine(self) -> cli::Machine {
        match self {
            Profile::Ajou => cli::Machine::Ajou,
            Profile::Mtl458 => cli::Machine::Mtl458,
        }
    }
}

/// One of the three things a scenario's run is compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
    /// The exit status, as a decimal number and a newline.
    Status,
}

impl Stream {
    /// All of them, in report order.
    pub const ALL: [Stream; 3] = [Stream::Stdout, Stream::Stderr, Stream::Status];

    /// The extension of its expected file, which is also its name in reports.
    pub fn ext(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::Status => "status",
        }
    }
}

/// A scenario: a script, the machine it runs on, and where its expected outputs live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The script as an absolute path, so it opens from any working directory.
    pub script: PathBuf,
    /// The script's path relative to the workspace root: its name in reports and the path the
    /// shell is given, so that what the shell prints about it is the same on every machine.
    pub shown: PathBuf,
    /// The machine it runs on.
    pub profile: Profile,
    /// How the shell is started (`# run:` header).
    pub run: RunOptions,
    /// A general machine (`# machine: NAME` in the header: a preset or a machine file,
    /// relative to the workspace root) instead of `profile`.
    pub machine: Option<String>,
    /// Demand-paging options for the general machine (`# demand: --frames 3 --policy fifo`),
    /// as `vmsim` takes them.
    pub demand: Option<String>,
    /// The expected files without their extension: `dir/NAME` for `dir/NAME.stdout` and so on.
    pub expected_stem: PathBuf,
}

impl Scenario {
    /// Where the expected file of `stream` is (it may not exist).
    pub fn expected_path(&self, stream: Stream) -> PathBuf {
        let mut name = OsString::from(self.expected_stem.as_os_str());
        name.push(".");
        name.push(stream.ext());
        PathBuf::from(name)
    }

    /// Its name in reports.
    pub fn name(&self) -> String {
        self.shown.display().to_string()
    }

    /// Whether it lies inside the workspace, where `--bless` may write.
    fn in_workspace(&self) -> bool {
        self.shown.is_relative() && !self.shown.components().any(|c| c == Component::ParentDir)
    }
}

/// How a scenario's shell is started, from a `# run: WORD...` comment among the script's
/// leading comment lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// `tlb`: as `vmsim -t` (the `ajou` TLB generation).
    pub tlb: bool,
    /// `stdin`: the script is given on standard input, with no file argument, as in
    /// `vmsim < NAME.vm`: no `Use file` line, and `ajou` is in the framework's interactive mode.
    pub stdin: bool,
}

/// What one run of a script produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actual {
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
    /// The exit status.
    pub status: i32,
}

impl Actual {
    /// The bytes this run gives for `stream`, as its expected file would hold them.
    pub fn bytes(&self, stream: Stream) -> Vec<u8> {
        match stream {
            Stream::Stdout => self.stdout.clone(),
            Stream::Stderr => self.stderr.clone(),
            Stream::Status => format!("{}\n", self.status).into_bytes(),
        }
    }
}

/// The verdict on one scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Whether it passed (a blessed scenario passes).
    pub passed: bool,
    /// What to tell the user: diffs for a failure, the files written for a bless; empty for a
    /// plain pass.
    pub report: String,
}

/// Counts over a whole run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Scenarios that passed.
    pub passed: usize,
    /// Scenarios that failed.
    pub failed: usize,
    /// What was not run, and why (`../shared/conformance (not found beside the workspace)`):
    /// printed on the closing line, so a skip is never silent.
    pub skipped: Vec<String>,
}

impl Summary {
    /// A run succeeds when it found scenarios and none failed.
    pub fn success(&self) -> bool {
        self.failed == 0 && self.passed > 0
    }

    /// The closing line: `N passed, M failed`, then `; skipped: ...` for anything skipped.
    pub fn line(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed, self.failed);
        if !self.skipped.is_empty() {
            line.push_str("; skipped: ");
            line.push_str(&self.skipped.join(", "));
        }
        line
    }
}

/// `cargo xtask run-testcases`: discovers, runs, reports each failure with its diffs, and ends
/// with the line `N passed, M failed`.
///
/// It changes the working directory to the workspace root (see [`execute`]), after resolving
/// the paths given against the directory it started in.
///
/// # Errors
/// A path cannot be read, or the working directory cannot be changed.
pub fn run(args: &Args, out: &mut dyn Write) -> anyhow::Result<Summary> {
    let root = crate::workspace_root();
    let (paths, skipped) =
        if args.paths.is_empty() { present_default_paths(&root, ci())? } else { (args.paths.clone(), Vec::new()) };
    let scenarios = discover(&root, &paths)?;
    std::env::set_current_dir(&root).with_context(|| format!("cannot change directory to {}", root.display()))?;
    if scenarios.is_empty() {
        writeln!(
            out,
            "no scenario found in {}",
            paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )?;
    }
    let outcomes = check_all(&scenarios, args.bless)?;
    let mut summary = Summary { skipped, ..Summary::default() };
    for outcome in &outcomes {
        out.write_all(outcome.report.as_bytes())?;
        if outcome.passed {
            summary.passed += 1;
        } else {
            summary.failed += 1;
        }
    }
    writeln!(out, "{}", summary.line())?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_needs_a_scenario_and_no_failure() {
        let s = |passed, failed| Summary { passed, failed, skipped: Vec::new() };
        assert!(!s(0, 0).success());
        assert!(!s(3, 1).success());
        assert!(s(3, 0).success());
    }
}
