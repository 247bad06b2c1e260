//! `cargo xtask fuzz`: installs cargo-fuzz if it is missing, builds the fuzz targets of `fuzz/`,
//! replays the committed regression inputs, runs each target for the given time, and prints
//! executions and findings per target.
//!
//! The build works on the stable toolchain: `-s none` because the sanitizers need nightly's
//! `-Zsanitizer` (the code is `unsafe`-free, so AddressSanitizer would add little), `-a` to keep
//! the kernel's debug assertions, and no comparison tracing: it doubles the cost of the
//! frame-by-frame loops of `Kernel::check`, which both targets run after every step, and a
//! dictionary (`fuzz/shell.dict`) gives the shell target its words instead.

use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The fuzz targets, in the order they run.
pub const TARGETS: [&str; 2] = ["shell", "ops"];

/// The cargo-fuzz release line the project is known to work with.
const CARGO_FUZZ_VERSION: &str = "0.13";

/// Options of `cargo xtask fuzz`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// How long to fuzz each target, in seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Only these targets (repeatable): shell, ops. Default: all.
    #[arg(long = "target", value_name = "NAME")]
    pub targets: Vec<String>,
    /// Fail instead of installing cargo-fuzz when it is missing.
    #[arg(long)]
    pub no_install: bool,
}

/// What one target's run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetReport {
    /// The target.
    pub name: String,
    /// Wall-clock seconds of the fuzzing run.
    pub seconds: f64,
    /// Inputs executed, as libFuzzer counts them.
    pub executions: u64,
    /// Inputs added to the corpus by this run.
    pub new_units: u64,
    /// Coverage (edges) at the end, from libFuzzer's last status line.
    pub coverage: Option<u64>,
    /// Inputs in the corpus at the end.
    pub corpus: Option<u64>,
    /// Files libFuzzer wrote for what it found (crash-, timeout-, oom-, slow-unit-...).
    pub findings: Vec<PathBuf>,
    /// Where the whole libFuzzer log is.
    pub log: PathBuf,
}

/// Runs the command; returns whether every target ran clean.
///
/// # Errors
/// If cargo-fuzz cannot be installed, the targets do not build, or a run cannot start.
pub fn run(args: &Args, out: &mut impl Write) -> Result<bool> {
    let targets: Vec<&str> = if args.targets.is_empty() {
        TARGETS.to_vec()
    } else {
        for t in &args.targets {
            if !TARGETS.contains(&t.as_str()) {
                bail!("no fuzz target {t:?}: the targets are {}", TARGETS.join(", "));
            }
        }
        TARGETS.iter().copied().filter(|t| args.targets.iter().any(|a| a == t)).collect()
    };
    let root = crate::workspace_root();
    ensure_cargo_fuzz(args.no_install, out)?;

    let started = Instant::now();
    writeln!(out, "==> building the fuzz targets (cargo fuzz build {})", BUILD_FLAGS.join(" "))?;
    out.flush()?;
    let status = cargo_fuzz(&root).arg("build").args(BUILD_FLAGS).status().context("running cargo fuzz build")?;
    if !status.success() {
        bail!("cargo fuzz build failed ({status})");
    }
    writeln!(out, "    built in {:.0} s", started.elapsed().as_secs_f64())?;

    let mut reports = Vec::new();
    for target in targets {
        reports.push(run_target(&root, target, args.seconds, out)?);
    }
    writeln!(out, "\n==> fuzzing summary")?;
    for r in &reports {
        writeln!(out, "{}", summary_line(r))?;
        for f in &r.findings {
            writeln!(out, "    finding: {}", f.display())?;
            writeln!(
                out,
                "    reproduce: cargo fuzz run {} {} {}",
                BUILD_FLAGS.join(" "),
                r.name,
                f.strip_prefix(&root).unwrap_or(f).display()
            )?;
        }
    }
    let failed = reports.iter().filter(|r| !r.findings.is_empty()).count();
    // The plain closing line CI logs are read for: a target passes when it found nothing.
    writeln!(out, "fuzz: {} passed, {failed} failed", reports.len() - failed)?;
    Ok(failed == 0)
}

/// The flags of every build and run (see the module documentation).
const BUILD_FLAGS: [&str; 5] = ["-s", "none", "-O", "-a", "--no-trace-compares"];

/// `cargo fuzz`, in the workspace root (where cargo-fuzz looks for `fuzz/`).
fn cargo_fuzz(root: &Path) -> Command {
    let mut c = Command::new(cargo());
    c.arg("fuzz").current_dir(root);
    c
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Installs cargo-fuzz if `cargo fuzz` is not there.
fn ensure_cargo_fuzz(no_install: bool, out: &mut impl Write) -> Result<()> {
    let found = Command::new(cargo())
        .args(["fuzz", "--version"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Ok(());
    }
    if no_install {
        bail!("cargo-fuzz is not installed (cargo install cargo-fuzz --locked)");
    }
    writeln!(
        out,
        "==> cargo-fuzz is not installed: installing it (cargo install cargo-fuzz --version ~{CARGO_FUZZ_VERSION} --locked); \
         this takes a few minutes, once"
    )?;
    out.flush()?;
    let started = Instant::now();
    let status = Command::new(cargo())
        .args(["install", "cargo-fuzz", "--version", &format!("~{CARGO_FUZZ_VERSION}"), "--locked"])
        .status()
        .context("running cargo install cargo-fuzz")?;
    if !status.success() {
        bail!("cargo install cargo-fuzz failed ({status})");
    }
    writeln!(out, "    installed in {:.0} s", started.elapsed().as_secs_f64())?;
    Ok(())
}

/// The libFuzzer options of a target.
fn fuzzer_options(root: &Path, target: &str) -> Vec<String> {
    let mut o = vec!["-max_len=2048".to_owned()];
    match target {
        "shell" => o.push(format!("-dict={}", root.join("fuzz/shell.dict").display())),
        // An op takes 5 to 12 bytes: libFuzzer's slowly growing length limit would keep the
        // sequences to a handful of ops for most of a short run.
        _ => o.push("-len_control=0".to_owned()),
    }
    o
}

fn run_target(root: &Path, target: &str, seconds: u64, out: &mut impl Write) -> Result<TargetReport> {
    let fuzz = root.join("fuzz");
    let corpus = fuzz.join("corpus").join(target);
    let seeds = fuzz.join("corpus").join(format!("{target}-seeds"));
    let regressions = fuzz.join("regressions").join(target);
    let artifacts = fuzz.join("artifacts").join(target);
    for d in [&corpus, &seeds, &artifacts] {
        fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let seeded = write_seeds(root, target, &seeds)?;
    let before = list(&artifacts)?;
    let log = fuzz.join("artifacts").join(format!("{target}.log"));

    // Every committed regression input first, once each: a fixed bug that came back fails here
    // whatever the fuzzer then explores.
    let replay: Vec<PathBuf> = list(&regressions).unwrap_or_default();
    writeln!(out, "\n==> fuzz target {target}: {} regression inputs, {seeded} seeds, {seconds} s", replay.len())?;
    out.flush()?;
    let mut report = TargetReport { name: target.to_owned(), log: log.clone(), ..TargetReport::default() };
    if !replay.is_empty() {
        let output = fuzzer(root, target, &artifacts, &replay)
            .args(fuzzer_options(root, target))
            .stdin(Stdio::null())
            .output()
            .context("replaying the regression inputs")?;
        if !output.status.success() {
            let text = String::from_utf8_lossy(&output.stderr);
            writeln!(out, "{}", tail(&text, 40))?;
            report.findings = new_files(&artifacts, &before)?;
            if report.findings.is_empty() {
                report.findings = replay;
            }
            return Ok(report);
        }
    }

    let started = Instant::now();
    let log_file = fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let mut inputs = vec![corpus, seeds];
    if regressions.is_dir() {
        inputs.push(regressions);
    }
    let status = fuzzer(root, target, &artifacts, &inputs)
        .arg(format!("-max_total_time={seconds}"))
        // A real hang never ends; a slow input on a loaded machine may take seconds.
        .arg("-timeout=60")
        .arg("-print_final_stats=1")
        .args(fuzzer_options(root, target))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file)
        .status()
        .context("running cargo fuzz run")?;
    report.seconds = started.elapsed().as_secs_f64();
    let text = fs::read_to_string(&log).unwrap_or_default();
    parse_log(&text, &mut report);
    report.findings = new_files(&artifacts, &before)?;
    if !status.success() || !report.findings.is_empty() {
        writeln!(out, "{}", tail(&text, 40))?;
        if report.findings.is_empty() {
            bail!("cargo fuzz run {target} failed ({status}) without a finding; see {}", log.display());
        }
    }
    writeln!(out, "{}", summary_line(&report))?;
    Ok(report)
}

/// `cargo fuzz run` of a target on `inputs` (corpus directories, or files to run once each)
/// with the common flags; arguments added after it go to libFuzzer.
fn fuzzer(root: &Path, target: &str, artifacts: &Path, inputs: &[PathBuf]) -> Command {
    let mut c = cargo_fuzz(root);
    c.arg("run").args(BUILD_FLAGS).arg(target).args(inputs);
    // glibc's malloc raises its mmap threshold after freeing a large block; the machines'
    // arenas (16 MiB for ajou) would then come from the heap and be zeroed by `calloc` on every
    // execution instead of arriving as fresh zero pages.
    c.env("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=1048576");
    c.arg("--").arg(format!("-artifact_prefix={}/", artifacts.display()));
    c
}

/// Writes the scenario scripts of `testcases/` as seeds of the shell target (the first byte of
/// an input picks the machine, see `fuzz/src/lib.rs`); the ops target starts from nothing.
/// Returns how many seeds there are.
fn write_seeds(root: &Path, target: &str, dir: &Path) -> Result<usize> {
    if target != "shell" {
        return Ok(list(dir)?.len());
    }
    let mut n = 0;
    for (machine, config) in [("ajou", 0u8), ("mtl458", 1u8)] {
        let Ok(entries) = fs::read_dir(root.join("testcases").join(machine)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "vm") {
                continue;
            }
            let mut bytes = vec![config];
            bytes.extend(fs::read(&path).with_context(|| format!("reading {}", path.display()))?);
            bytes.truncate(2048);
            let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            fs::write(dir.join(format!("{machine}-{stem}")), bytes)?;
            n += 1;
        }
    }
    Ok(n)
}

/// Files in `dir`, sorted; none if it does not exist.
fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let Ok(entries) = fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut v: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    v.sort();
    Ok(v)
}

fn new_files(dir: &Path, before: &[PathBuf]) -> Result<Vec<PathBuf>> {
    Ok(list(dir)?.into_iter().filter(|p| !before.contains(p)).collect())
}

/// Reads libFuzzer's final statistics (`-print_final_stats=1`) and last status line.
pub fn parse_log(text: &str, report: &mut TargetReport) {
    let stat =
        |key: &str| text.lines().rev().find_map(|l| l.strip_prefix(key)).and_then(|v| v.trim().parse::<u64>().ok());
    report.executions = stat("stat::number_of_executed_units:").unwrap_or(0);
    report.new_units = stat("stat::new_units_added:").unwrap_or(0);
    // "#1234	NEW    cov: 1026 ft: 3413 corp: 297/244Kb ..." or "... DONE   cov: ..."
    let field = |line: &str, key: &str| {
        let rest = &line[line.find(key)? + key.len()..];
        let digits: String = rest.trim_start().chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u64>().ok()
    };
    if let Some(last) = text.lines().rev().find(|l| l.starts_with('#') && l.contains("cov: ")) {
        report.coverage = field(last, "cov:");
        report.corpus = field(last, "corp:");
    }
}

/// One line per target for the summary.
pub fn summary_line(r: &TargetReport) -> String {
    let mut s = format!(
        "{}: {:.0} s, {} executions ({:.0}/s)",
        r.name,
        r.seconds,
        r.executions,
        r.executions as f64 / r.seconds.max(1.0)
    );
    if let Some(c) = r.coverage {
        let _ = write!(s, ", coverage {c} edges");
    }
    if let Some(c) = r.corpus {
        let _ = write!(s, ", corpus {c} inputs (+{} this run)", r.new_units);
    }
    let _ = match r.findings.len() {
        0 => write!(s, ", findings: none"),
        n => write!(s, ", findings: {n} (log {})", r.log.display()),
    };
    s
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libfuzzer_statistics_are_read() {
        let log = "INFO: Seed: 1\n\
                   #2\tINITED cov: 900 ft: 2000 corp: 40/60Kb exec/s: 0 rss: 30Mb\n\
                   #1770\tNEW    cov: 1026 ft: 3413 corp: 297/244Kb lim: 4001 exec/s: 3 rss: 32Mb L: 1666/3862\n\
                   #1800\tDONE   cov: 1030 ft: 3420 corp: 300/250Kb lim: 4001 exec/s: 3 rss: 32Mb\n\
                   stat::number_of_executed_units: 1800\n\
                   stat::average_exec_per_sec:     3\n\
                   stat::new_units_added:          217\n";
        let mut r = TargetReport { name: "shell".into(), seconds: 600.0, ..TargetReport::default() };
        parse_log(log, &mut r);
        assert_eq!((r.executions, r.new_units, r.coverage, r.corpus), (1800, 217, Some(1030), Some(300)));
        assert_eq!(
            summary_line(&r),
            "shell: 600 s, 1800 executions (3/s), coverage 1030 edges, corpus 300 inputs (+217 this run), findings: none"
        );
    }

    #[test]
    fn an_empty_log_reads_as_nothing_run() {
        let mut r = TargetReport::default();
        parse_log("", &mut r);
        assert_eq!((r.executions, r.coverage), (0, None));
    }
}
