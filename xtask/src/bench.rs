//! `cargo xtask bench`: runs every measurement of the performance issue, turns each into a ratio
//! to a baseline measured in the same run, and writes `docs/performance.md` and the fork-cost
//! chart `docs/fork-cost.svg`.
//!
//! Absolute times on a shared two-core machine are noise from one run to the next, so every
//! claim is a ratio of two figures taken minutes apart on the same machine. The steps:
//! 1. generate the `ajou` workload scripts ([`script`]) into `<target>/vmsim-bench/`;
//! 2. build the release `vmsim` and time it on each script (best of 3, output to files);
//! 3. run the criterion benchmarks (`crates/kernel/benches/kernel.rs`, `crates/cli/benches/shell.rs`)
//!    and read back their medians from `<target>/criterion/`;
//! 4. run the `rss` example for resident memory;
//! 5. print one table of figures and the scaling tables, and write them into the generated part
//!    of `docs/performance.md` (between markers: the text around them is kept), with the chart.
//!
//! This file runs things (cargo, the release shell, criterion) and reads their figures back;
//! [`report`] turns the figures into `docs/performance.md`'s text and [`chart`] draws the chart.

pub mod chart;
pub mod demand;
pub mod replay;
pub mod report;
pub mod script;

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};

use crate::workspace_root;

use chart::draw_chart;
use report::{CHART, Facts, Figures, Reads, SINGLE_LEVEL_WALK, load_average, render, splice};

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// Shorter criterion runs (its `--quick`): rougher figures, in a fraction of the time.
    #[arg(long)]
    pub quick: bool,
    /// Print the report only; leave `docs/` as it is.
    #[arg(long)]
    pub no_docs: bool,
    /// Only the trace-replay rows (vmsim replay and sweep beside libCacheSim); print them and
    /// leave `docs/` as it is.
    #[arg(long)]
    pub replay_only: bool,
}

/// The lengths of the timed `ajou` scripts: the 1,000,000 of the target and two shorter ones
/// for throughput against length.
pub const SCRIPT_LENGTHS: [u64; 3] = [10_000, 100_000, 1_000_000];

/// The pages of `fork_scaling` and `exit_scaling` in `benches/kernel.rs`.
pub const SCALING_PAGES: [u64; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/// Reads in one iteration of `read_hot` and of `read_random` and `read_random_x86_64` (as
/// `benches/kernel.rs` sets them).
const READ_HOT_PER_ITER: f64 = 4096.0;
const READ_RANDOM_PER_ITER: f64 = (1u64 << 20) as f64;

/// Timed runs of each script; the fastest counts (the others met more interference).
const SHELL_RUNS: usize = 3;

/// Rounds of the benchmarks behind the per-operation ratios (reads and copy-on-write faults);
/// each function's fastest median counts. A read costs a few nanoseconds, so a burst of
/// interference during one function's few seconds moves its ratio by a third; another
/// machine's load never makes code faster, so the fastest round is the truest.
const ROUNDS: usize = 3;

/// The groups [`ROUNDS`] repeats, as a criterion filter.
const ROUNDS_FILTER: &str = "^(read_|cow_fault/)";

/// Their functions, as `benches/kernel.rs` names them, and operations per iteration.
const ROUNDS_IDS: [(&str, f64); 13] = [
    ("read_hot/kernel", READ_HOT_PER_ITER),
    ("read_hot/arena", READ_HOT_PER_ITER),
    ("read_hot/floor_tlb", READ_HOT_PER_ITER),
    ("read_hot/floor_walk", READ_HOT_PER_ITER),
    ("read_random/kernel", READ_RANDOM_PER_ITER),
    ("read_random/arena", READ_RANDOM_PER_ITER),
    ("read_random/floor_walk", READ_RANDOM_PER_ITER),
    ("read_random_x86_64/kernel", READ_RANDOM_PER_ITER),
    ("read_random_x86_64/arena", READ_RANDOM_PER_ITER),
    ("read_random_x86_64/floor_walk", READ_RANDOM_PER_ITER),
    ("cow_fault/kernel", 1.0),
    ("cow_fault/arena_copy_4k", 1.0),
    ("cow_fault/arena_copy_4k_pool", 1.0),
];

/// Runs the whole benchmark and writes the report (unless `--no-docs`). Progress and the
/// report go to `out`.
///
/// # Errors
/// A failed build, benchmark or script run, or a missing or stale criterion estimate.
pub fn run(args: &Args, out: &mut impl Write) -> anyhow::Result<()> {
    let root = workspace_root();
    let target = target_dir(&root)?;
    let work = target.join("vmsim-bench");
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let criterion = target.join("criterion");
    let load_at_start = load_average();

    if args.replay_only {
        writeln!(out, "==> building the release shell")?;
        cargo(&root, &["build", "--release", "-p", "cli", "--bin", "vmsim"], &[], &work.join("build-cli.log"))?;
        let vmsim = target.join("release").join(format!("vmsim{}", std::env::consts::EXE_SUFFIX));
        let figures = replay::measure(&vmsim, &work, &target, out)?;
        writeln!(out)?;
        out.write_all(replay::render(&figures).as_bytes())?;
        return Ok(());
    }

    writeln!(out, "==> generating the ajou scripts in {}", work.display())?;
    let mut scripts = Vec::new();
    for n in SCRIPT_LENGTHS {
        let path = work.join(format!("ajou-{}.txt", short_count(n)));
        let mut w = BufWriter::new(File::create(&path).with_context(|| format!("creating {}", path.display()))?);
        let mix = script::generate(n, script::SEED, &mut w)?;
        w.flush()?;
        scripts.push((path, mix));
    }

    writeln!(out, "==> building the release shell")?;
    cargo(&root, &["build", "--release", "-p", "cli", "--bin", "vmsim"], &[], &work.join("build-cli.log"))?;
    let vmsim = target.join("release").join(format!("vmsim{}", std::env::consts::EXE_SUFFIX));
    let mut shell = Vec::new();
    for (path, mix) in &scripts {
        let best = time_shell(&vmsim, path, mix)?;
        writeln!(
            out,
            "    {} commands: {:.3} s, {:.2} M commands/s",
            mix.commands(),
            best.as_secs_f64(),
            rate(mix, best)
        )?;
        shell.push(ShellRun { mix: *mix, best });
    }
    let replay_figures = replay::measure(&vmsim, &work, &target, out)?;

    let started = SystemTime::now();
    let quick: &[&str] = if args.quick { &["--", "--quick"] } else { &[] };
    let env = [("CRITERION_HOME", criterion.as_os_str().to_owned())];
    for (krate, bench) in [("kernel", "kernel"), ("cli", "shell"), ("policy", "policies"), ("kernel", "demand")] {
        let log = work.join(format!("bench-{bench}.log"));
        writeln!(out, "==> cargo bench -p {krate} --bench {bench} (a few minutes; log: {})", log.display())?;
        let mut a = vec!["bench", "-p", krate, "--bench", bench];
        a.extend_from_slice(quick);
        cargo(&root, &a, &env, &log)?;
    }
    let est = |id: &str| estimate(&criterion, id, started);
    // Nanoseconds per operation, the fastest of the rounds; the first round was the run above.
    let mut fastest: HashMap<&str, f64> = HashMap::new();
    for round in 1..=ROUNDS {
        if round > 1 {
            let log = work.join(format!("bench-rounds-{round}.log"));
            writeln!(out, "==> reads and faults again, round {round} of {ROUNDS} (log: {})", log.display())?;
            let mut a = vec!["bench", "-p", "kernel", "--bench", "kernel", "--", ROUNDS_FILTER];
            if args.quick {
                a.push("--quick");
            }
            cargo(&root, &a, &env, &log)?;
        }
        for (id, per_op) in ROUNDS_IDS {
            let ns = est(id)? / per_op;
            fastest.entry(id).and_modify(|best| *best = best.min(ns)).or_insert(ns);
        }
    }
    let read = |id: &str| fastest.get(id).copied().with_context(|| format!("no figure for {id}"));

    writeln!(out, "==> resident memory (cargo run --release -p kernel --example rss)")?;
    let rss = Rss::parse(&cargo_output(&root, &["run", "--release", "-p", "kernel", "--example", "rss"])?)?;

    let mut fork = Vec::new();
    let mut exit = Vec::new();
    for n in SCALING_PAGES {
        fork.push((n, est(&format!("fork_scaling/cow/{n}"))?, est(&format!("fork_scaling/eager/{n}"))?));
        exit.push((n, est(&format!("exit_scaling/cow_child/{n}"))?, est(&format!("exit_scaling/eager_child/{n}"))?));
    }
    let mut in_process = Vec::new();
    for n in [100_000u64, 1_000_000] {
        in_process.push((n, est(&format!("shell/ajou/{n}"))?));
    }
    let figures = Figures {
        read_hot: Reads {
            kernel: read("read_hot/kernel")?,
            arena: read("read_hot/arena")?,
            floor_tlb: Some(read("read_hot/floor_tlb")?),
            floor_walk: read("read_hot/floor_walk")?,
            walk: SINGLE_LEVEL_WALK,
        },
        read_random: Reads {
            kernel: read("read_random/kernel")?,
            arena: read("read_random/arena")?,
            floor_tlb: None,
            floor_walk: read("read_random/floor_walk")?,
            walk: SINGLE_LEVEL_WALK,
        },
        read_x86_64: Reads {
            kernel: read("read_random_x86_64/kernel")?,
            arena: read("read_random_x86_64/arena")?,
            floor_tlb: None,
            floor_walk: read("read_random_x86_64/floor_walk")?,
            walk: "↳ floor: the 4-level `x86-64` walk written by hand (present and user bits at each level), no TLB, no fault path",
        },
        fork_cow: est("fork_1024/cow")?,
        fork_eager: est("fork_1024/eager")?,
        memcpy_4mib: est("fork_1024/memcpy_4mib")?,
        cow_fault: (read("cow_fault/kernel")?, read("cow_fault/arena_copy_4k")?),
        cow_fault_pool_copy: read("cow_fault/arena_copy_4k_pool")?,
        shell,
        in_process,
        rss,
        fork,
        exit,
    };

    let demand_rows = demand::gather(&criterion, started)?;

    let facts = Facts::gather(&root, args.quick, load_at_start);
    let mut report = render(&figures, &facts);
    report.push('\n');
    report.push_str(&replay::render(&replay_figures));
    report.push('\n');
    report.push_str(&demand::render(&demand_rows));
    writeln!(out)?;
    out.write_all(report.as_bytes())?;
    if !args.no_docs {
        let docs = root.join("docs");
        fs::create_dir_all(&docs)?;
        let cow: Vec<(u64, f64)> = figures.fork.iter().map(|&(n, c, _)| (n, c)).collect();
        let eager: Vec<(u64, f64)> = figures.fork.iter().map(|&(n, _, e)| (n, e)).collect();
        draw_chart(&docs.join(CHART), &cow, &eager)?;
        let md = docs.join("performance.md");
        let old = match fs::read_to_string(&md) {
            Ok(s) => Some(s),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {}", md.display())),
        };
        fs::write(&md, splice(old.as_deref(), &report)?).with_context(|| format!("writing {}", md.display()))?;
        writeln!(out, "\n==> wrote {} and {}", md.display(), docs.join(CHART).display())?;
    }
    Ok(())
}

/// `10k`, `100k`, `1m`: the scripts' file names.
fn short_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}m", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// The cargo running this command (so the same toolchain), or the one on the path.
fn cargo_bin() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Where cargo puts build output, as `cargo metadata` says: it honours `CARGO_TARGET_DIR` and
/// the configuration, which a fixed `target/` would not.
///
/// # Errors
/// If cargo cannot be run or its answer has no `target_directory`.
pub fn target_dir(root: &Path) -> anyhow::Result<PathBuf> {
    let json = cargo_output(root, &["metadata", "--format-version", "1", "--no-deps"])?;
    parse_target_dir(&json)
}

fn parse_target_dir(json: &str) -> anyhow::Result<PathBuf> {
    let v: serde_json::Value = serde_json::from_str(json).context("parsing cargo metadata")?;
    match v.get("target_directory").and_then(|t| t.as_str()) {
        Some(t) => Ok(PathBuf::from(t)),
        None => bail!("cargo metadata has no target_directory"),
    }
}

/// Runs cargo with `args` in `root`, its output into `log`; on failure, the log's end is the error.
fn cargo(root: &Path, args: &[&str], env: &[(&str, OsString)], log: &Path) -> anyhow::Result<()> {
    let file = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let status = Command::new(cargo_bin())
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        let text = fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("cargo {} failed ({status}); end of {}:\n{}", args.join(" "), log.display(), tail.join("\n"));
    }
    Ok(())
}

/// Runs cargo with `args` in `root` and returns its standard output (its standard error shows).
fn cargo_output(root: &Path, args: &[&str]) -> anyhow::Result<String> {
    let o = Command::new(cargo_bin())
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !o.status.success() {
        bail!("cargo {} failed ({})", args.join(" "), o.status);
    }
    String::from_utf8(o.stdout).with_context(|| format!("cargo {} printed non-UTF-8", args.join(" ")))
}

/// The fastest of [`SHELL_RUNS`] runs of `vmsim SCRIPT`, output to files beside the script.
/// Each run must exit 0 and print one standard-error line per command but `switch`: a run that
/// stopped early would otherwise look fast.
fn time_shell(vmsim: &Path, script: &Path, mix: &script::Mix) -> anyhow::Result<Duration> {
    let out_path = script.with_extension("stdout");
    let err_path = script.with_extension("stderr");
    let mut best = Duration::MAX;
    for _ in 0..SHELL_RUNS {
        let (o, e) = (File::create(&out_path)?, File::create(&err_path)?);
        let t = Instant::now();
        let status = Command::new(vmsim)
            .arg(script)
            .stdin(Stdio::null())
            .stdout(o)
            .stderr(e)
            .status()
            .with_context(|| format!("running {}", vmsim.display()))?;
        let elapsed = t.elapsed();
        if !status.success() {
            bail!("vmsim {} exited with {status}; see {}", script.display(), out_path.display());
        }
        best = best.min(elapsed);
    }
    let lines = BufReader::new(File::open(&err_path)?).split(b'\n').count() as u64;
    if lines != mix.stderr_lines() {
        bail!(
            "vmsim {} printed {lines} lines on standard error, the script implies {}; see {}",
            script.display(),
            mix.stderr_lines(),
            err_path.display()
        );
    }
    Ok(best)
}

/// Millions of commands a second.
fn rate(mix: &script::Mix, t: Duration) -> f64 {
    mix.commands() as f64 / t.as_secs_f64() / 1e6
}

/// The median time per iteration, in nanoseconds, of criterion benchmark `id`
/// (`group/function[/parameter]`), from `<criterion>/<id>/new/estimates.json`, which must have
/// been written since `since` (an older one is a left-over of an earlier run).
///
/// # Errors
/// A missing, stale or malformed estimates file.
pub fn estimate(criterion: &Path, id: &str, since: SystemTime) -> anyhow::Result<f64> {
    let path = criterion.join(id).join("new").join("estimates.json");
    let meta = fs::metadata(&path).with_context(|| format!("no estimate for {id} at {}", path.display()))?;
    if meta.modified()? < since {
        bail!("the estimate for {id} at {} is older than this run: did the benchmark run?", path.display());
    }
    let text = fs::read_to_string(&path)?;
    let v: serde_json::Value = serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    match v.pointer("/median/point_estimate").and_then(|m| m.as_f64()) {
        Some(ns) => Ok(ns),
        None => bail!("{} has no median point estimate", path.display()),
    }
}

/// One timed script.
#[derive(Debug, Clone, Copy)]
struct ShellRun {
    mix: script::Mix,
    best: Duration,
}

/// What the `rss` example measured (bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rss {
    /// The example's own resident memory before any machine exists.
    pub before: u64,
    /// With a fresh `mtl458` machine.
    pub fresh: u64,
    /// After the 64-process fill of check 7, nothing written.
    pub fill_lazy: u64,
    /// After the same fill with every byte of every page written.
    pub fill_written: u64,
    /// The bytes that fill wrote.
    pub written: u64,
    /// The bytes of the page tables.
    pub tables: u64,
    /// What creating a fresh `ajou` machine added to the resident memory.
    pub ajou_fresh: u64,
}

impl Rss {
    /// Reads the example's `NAME BYTES` lines (`#` lines are comments).
    ///
    /// # Errors
    /// A missing or malformed line.
    pub fn parse(text: &str) -> anyhow::Result<Rss> {
        let mut r = Rss::default();
        let mut seen = 0;
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let mut w = line.split_whitespace();
            let (Some(name), Some(value), None) = (w.next(), w.next(), w.next()) else {
                bail!("rss example: unexpected line '{line}'");
            };
            let value: u64 = value.parse().with_context(|| format!("rss example: '{line}'"))?;
            let slot = match name {
                "before" => &mut r.before,
                "fresh" => &mut r.fresh,
                "fill_lazy" => &mut r.fill_lazy,
                "fill_written" => &mut r.fill_written,
                "written" => &mut r.written,
                "tables" => &mut r.tables,
                "ajou_fresh" => &mut r.ajou_fresh,
                _ => bail!("rss example: unknown figure '{name}'"),
            };
            *slot = value;
            seen += 1;
        }
        if seen != 7 {
            bail!("rss example: expected 7 figures, read {seen}");
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use cli::{Machine, Shell};

    /// The generated workload runs to its end on the real shell, doing what the model says.
    #[test]
    fn generated_script_is_valid_and_the_model_matches_the_kernel() {
        let mut text = Vec::new();
        let mix = script::generate(200_000, script::SEED, &mut text).unwrap();
        assert_eq!(mix.commands(), 200_000);
        assert_eq!(text.iter().filter(|&&b| b == b'\n').count(), 200_000);
        let mut sh = Shell::new(Machine::Ajou, false, None).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = sh.run_script(&text[..], None, &mut out, &mut err).unwrap();
        let err = String::from_utf8(err).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "", "no error lines");
        assert_eq!(status, 0);
        assert_eq!(err.lines().count() as u64, mix.stderr_lines(), "every command ran");
        assert!(!err.contains("Unable") && !err.contains("memory is full") && !err.contains("already"));

        let k = sh.kernel();
        k.check().unwrap();
        let c = k.counters();
        assert_eq!(c.forks, mix.forks);
        assert_eq!(c.cow_faults, mix.cow_faults);
        assert_eq!(c.cow_copies, mix.cow_copies);
        assert_eq!(c.pages_allocated, mix.alloc);
        assert_eq!(c.pages_freed, mix.free);
        assert_eq!(c.refused, 0);
        let st = k.stats();
        assert_eq!(u64::from(st.user_frames_free), mix.frames_free_at_end);
        assert_eq!(st.live_processes as u64, mix.processes_at_end);

        // The workload does real work of every kind, under memory pressure.
        for (kind, n) in [("alloc", mix.alloc), ("free", mix.free), ("read", mix.read), ("write", mix.write)] {
            assert!(n > 20_000, "{kind}: {n}");
        }
        assert!(mix.switch > 5_000 && mix.forks >= 20, "{mix:?}");
        assert!(mix.cow_copies > 50 && mix.cow_faults > mix.cow_copies, "{mix:?}");
        assert!(mix.memory_full > 0, "{mix:?}");
    }

    #[test]
    fn shorter_scripts_are_prefixes_and_seeds_matter() {
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        script::generate(1_000, 7, &mut a).unwrap();
        script::generate(3_000, 7, &mut b).unwrap();
        script::generate(1_000, 8, &mut c).unwrap();
        assert!(b.starts_with(&a));
        assert_ne!(a, c);
    }

    #[test]
    fn estimates_are_read_and_stale_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let id = "fork_scaling/cow/16";
        let d = dir.path().join(id).join("new");
        fs::create_dir_all(&d).unwrap();
        let json = r#"{"mean":{"point_estimate":9.0},"median":{"confidence_interval":{"confidence_level":0.95,
            "lower_bound":1.0,"upper_bound":2.0},"point_estimate":1234.5,"standard_error":0.1}}"#;
        fs::write(d.join("estimates.json"), json).unwrap();
        let long_ago = SystemTime::UNIX_EPOCH;
        assert_eq!(estimate(dir.path(), id, long_ago).unwrap(), 1234.5);
        let later = SystemTime::now() + Duration::from_secs(3600);
        assert!(estimate(dir.path(), id, later).unwrap_err().to_string().contains("older than this run"));
        assert!(estimate(dir.path(), "fork_scaling/cow/32", long_ago).is_err());
        fs::write(d.join("estimates.json"), r#"{"mean":{"point_estimate":9.0}}"#).unwrap();
        assert!(estimate(dir.path(), id, long_ago).is_err());
    }

    #[test]
    fn target_dir_comes_from_cargo_metadata() {
        let json = r#"{"packages":[],"target_directory":"/work/targets/x","version":1}"#;
        assert_eq!(parse_target_dir(json).unwrap(), PathBuf::from("/work/targets/x"));
        assert!(parse_target_dir(r#"{"packages":[]}"#).is_err());
        // And cargo really answers (the workspace is where this test runs).
        assert!(target_dir(&workspace_root()).unwrap().is_absolute());
    }

    #[test]
    fn rss_lines_parse_and_bad_ones_are_errors() {
        let text = "# VmRSS\nbefore 1\nfresh 2\nfill_lazy 3\nfill_written 4\nwritten 5\ntables 6\najou_fresh 7\n";
        let r = Rss::parse(text).unwrap();
        let want = Rss { before: 1, fresh: 2, fill_lazy: 3, fill_written: 4, written: 5, tables: 6, ajou_fresh: 7 };
        assert_eq!(r, want);
        assert!(Rss::parse("before 1\n").is_err());
        assert!(Rss::parse(&format!("{text}bogus 7\n")).is_err());
        assert!(Rss::parse(&text.replace("fresh 2", "fresh two")).is_err());
    }

    #[test]
    fn scripts_are_named_by_their_length() {
        assert_eq!(short_count(10_000), "10k");
        assert_eq!(short_count(1_000_000), "1m");
        assert_eq!(short_count(1_500), "1500");
    }
}
