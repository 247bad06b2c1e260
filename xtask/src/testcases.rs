//! `run-testcases`: finds scenario scripts, runs each one in-process through the shell
//! (`cli::run_script`), and compares its standard output, standard error and exit status with
//! the expected files beside it. `testcases/README.md` states the conventions for users.
//!
//! Two layouts are recognised:
//! - a scenario file `NAME.vm` with `NAME.stdout`, `NAME.stderr`, `NAME.status` next to it;
//! - a conformance suite: a directory holding `cases/NAME` and `expected/NAME.stderr` (and/or
//!   `.stdout`, `.status`), as in `../shared/conformance/ajou-2021/`.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufReader, Write};
use std::num::NonZeroUsize;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use anyhow::{Context, bail};

/// How many leading lines may carry the `# profile: NAME` and `# run: ...` headers.
const HEADER_LINES: usize = 10;

/// The file extension of a scenario script.
const SCENARIO_EXT: &str = "vm";

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

/// The paths searched when none is given: `testcases/` and `../shared/conformance/` beside
/// the workspace.
pub fn default_paths(root: &Path) -> Vec<PathBuf> {
    vec![root.join("testcases"), conformance_dir(root)]
}

/// `../shared/conformance/` beside the workspace at `root`.
pub fn conformance_dir(root: &Path) -> PathBuf {
    root.join("..").join("shared").join("conformance")
}

/// Whether this is a CI run: `CI` set to anything but empty, `0` or `false`. There the
/// conformance corpus is required, and a missing one fails the run instead of being skipped.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// Splits the default paths into those to search and the skip notes for those missing.
///
/// # Errors
/// The conformance corpus is missing and `required` (a CI run): CI must never pass without it.
pub fn present_default_paths(root: &Path, required: bool) -> anyhow::Result<(Vec<PathBuf>, Vec<String>)> {
    let (mut paths, mut skipped) = (Vec::new(), Vec::new());
    for path in default_paths(root) {
        if path.exists() {
            paths.push(path);
        } else if required {
            bail!(
                "{} not found beside the workspace, and CI requires the conformance corpus",
                relative_to(&path, root).display()
            );
        } else {
            skipped.push(format!("{} (not found beside the workspace)", relative_to(&path, root).display()));
        }
    }
    Ok((paths, skipped))
}

/// Finds every scenario under `paths` (files or directories), in a stable order: by path
/// argument, then by name. A file named twice is run once.
///
/// # Errors
/// A path that does not exist or cannot be read, or a script whose `# profile:` header names
/// an unknown profile.
pub fn discover(root: &Path, paths: &[PathBuf]) -> anyhow::Result<Vec<Scenario>> {
    let root = root.canonicalize().with_context(|| format!("workspace root {}", root.display()))?;
    let mut found = Vec::new();
    for path in paths {
        let abs = path.canonicalize().with_context(|| format!("cannot find {}", path.display()))?;
        if abs.is_dir() {
            walk(&root, &abs, &mut found)?;
        } else {
            found.push(scenario_for_file(&root, &abs)?);
        }
    }
    let mut seen = HashSet::new();
    found.retain(|s| seen.insert(s.script.clone()));
    Ok(found)
}

/// The entries of `dir` that are not hidden, sorted by name.
fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().starts_with('.') {
            entries.push(entry.path());
        }
    }
    entries.sort();
    Ok(entries)
}

fn is_suite(dir: &Path) -> bool {
    dir.join("cases").is_dir() && dir.join("expected").is_dir()
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<Scenario>) -> anyhow::Result<()> {
    let suite = is_suite(dir);
    if suite {
        for case in sorted_entries(&dir.join("cases"))? {
            if case.is_file() {
                found.push(suite_case(root, dir, &case)?);
            }
        }
    }
    for entry in sorted_entries(dir)? {
        let name = entry.file_name().unwrap_or_default();
        if entry.is_dir() {
            if !(suite && (name == "cases" || name == "expected")) {
                walk(root, &entry, found)?;
            }
        } else if entry.extension().is_some_and(|e| e == SCENARIO_EXT) {
            found.push(vm_scenario(root, &entry)?);
        }
    }
    Ok(())
}

/// A file named on the command line: a conformance case when it sits in a suite's `cases/`,
/// else a scenario whose expected files share its stem.
fn scenario_for_file(root: &Path, file: &Path) -> anyhow::Result<Scenario> {
    if let Some(cases) = file.parent()
        && cases.file_name().is_some_and(|n| n == "cases")
        && let Some(suite) = cases.parent()
        && is_suite(suite)
    {
        return suite_case(root, suite, file);
    }
    vm_scenario(root, file)
}

fn vm_scenario(root: &Path, script: &Path) -> anyhow::Result<Scenario> {
    let shown = relative_to(script, root);
    let profile = match header_profile(script)? {
        Some(p) => p,
        None => path_profile(&shown).unwrap_or(Profile::Ajou),
    };
    let run = header_run(script)?;
    let machine = header_value(script, "machine:")?;
    let demand = header_value(script, "demand:")?;
    Ok(Scenario {
        script: script.to_path_buf(),
        shown,
        profile,
        run,
        machine,
        demand,
        expected_stem: script.with_extension(""),
    })
}

fn suite_case(root: &Path, suite: &Path, case: &Path) -> anyhow::Result<Scenario> {
    let shown = relative_to(case, root);
    let suite_name = suite.file_name().unwrap_or_default().to_string_lossy();
    let by_suite = if suite_name.starts_with("ajou") {
        Some(Profile::Ajou)
    } else if suite_name.starts_with("mtl458") {
        Some(Profile::Mtl458)
    } else {
        None
    };
    let profile = match header_profile(case)? {
        Some(p) => p,
        None => by_suite.or_else(|| path_profile(&shown)).unwrap_or(Profile::Ajou),
    };
    let name = case.file_name().unwrap_or_default();
    let run = header_run(case)?;
    let machine = header_value(case, "machine:")?;
    let demand = header_value(case, "demand:")?;
    Ok(Scenario {
        script: case.to_path_buf(),
        shown,
        profile,
        run,
        machine,
        demand,
        expected_stem: suite.join("expected").join(name),
    })
}

/// The profile a `# profile: NAME` comment names among the script's leading blank and comment
/// lines.
fn header_profile(script: &Path) -> anyhow::Result<Option<Profile>> {
    let text = fs::read(script).with_context(|| format!("cannot read {}", script.display()))?;
    header_profile_of(&text).with_context(|| format!("in {}", script.display()))
}

/// The profile a `# profile: NAME` comment names among the leading blank and comment lines
/// (at most the first 10 lines) of a script's bytes.
///
/// # Errors
/// The header names a profile that does not exist.
pub fn header_profile_of(text: &[u8]) -> anyhow::Result<Option<Profile>> {
    for line in text.split(|&b| b == b'\n').take(HEADER_LINES) {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix(b"#") else { break };
        let comment = String::from_utf8_lossy(comment).to_ascii_lowercase();
        if let Some(name) = comment.trim().strip_prefix("profile:") {
            let name = name.trim();
            return match Profile::from_name(name) {
                Some(p) => Ok(Some(p)),
                None => bail!("unknown profile {name:?} in the `# profile:` header (ajou or mtl458)"),
            };
        }
    }
    Ok(None)
}

/// The value of a `# KEY VALUE` comment (such as `# machine: x86-64`) among the script's
/// leading blank and comment lines.
fn header_value(script: &Path, key: &str) -> anyhow::Result<Option<String>> {
    let text = fs::read(script).with_context(|| format!("cannot read {}", script.display()))?;
    for line in text.split(|&b| b == b'\n').take(HEADER_LINES) {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix(b"#") else { break };
        let comment = String::from_utf8_lossy(comment);
        if let Some(value) = comment.trim().strip_prefix(key) {
            return Ok(Some(value.trim().to_owned()));
        }
    }
    Ok(None)
}

/// The options a `# run: WORD...` comment gives among the script's leading comment lines.
fn header_run(script: &Path) -> anyhow::Result<RunOptions> {
    let text = fs::read(script).with_context(|| format!("cannot read {}", script.display()))?;
    header_run_of(&text).with_context(|| format!("in {}", script.display()))
}

/// The options a `# run: WORD...` comment names among the leading blank and comment lines (at
/// most the first 10 lines) of a script's bytes: `tlb`, `stdin`.
///
/// # Errors
/// The header names an unknown option.
pub fn header_run_of(text: &[u8]) -> anyhow::Result<RunOptions> {
    let mut run = RunOptions::default();
    for line in text.split(|&b| b == b'\n').take(HEADER_LINES) {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix(b"#") else { break };
        let comment = String::from_utf8_lossy(comment).to_ascii_lowercase();
        if let Some(words) = comment.trim().strip_prefix("run:") {
            for word in words.split_whitespace() {
                match word {
                    "tlb" => run.tlb = true,
                    "stdin" => run.stdin = true,
                    _ => bail!("unknown option {word:?} in the `# run:` header (tlb, stdin)"),
                }
            }
        }
    }
    Ok(run)
}

/// The profile named by the nearest directory of `shown` called `ajou` or `mtl458`.
pub fn path_profile(shown: &Path) -> Option<Profile> {
    let dirs = shown.parent()?;
    dirs.components().rev().find_map(|c| match c {
        Component::Normal(name) => name.to_str().and_then(Profile::from_name),
        _ => None,
    })
}

/// `path` relative to `base` (both absolute and canonical), with `..` where it lies outside.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts.iter().zip(&base_parts).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return path.to_path_buf();
    }
    let mut rel = PathBuf::new();
    for _ in common..base_parts.len() {
        rel.push("..");
    }
    for part in &path_parts[common..] {
        rel.push(part);
    }
    rel
}

/// Runs one scenario's script through the shell, in this process.
///
/// The shell is given [`Scenario::shown`], a path relative to the workspace root, and resolves
/// data files against its parent: the working directory must be the workspace root.
///
/// # Errors
/// The script cannot be read, the shell returns an I/O error, or it panics.
pub fn execute(scenario: &Scenario) -> anyhow::Result<Actual> {
    let file =
        fs::File::open(&scenario.script).with_context(|| format!("cannot open {}", scenario.script.display()))?;
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    // A panic in the shell is a failed scenario, not the end of the whole run.
    let result = panic::catch_unwind(AssertUnwindSafe(|| -> anyhow::Result<i32> {
        let machine = scenario.profile.machine();
        let input = BufReader::new(file);
        if let (Some(m), Some(words)) = (&scenario.machine, &scenario.demand) {
            return Ok(cli::demand::run_script(m, words, input, Some(&scenario.shown), &mut stdout, &mut stderr)?);
        }
        if let Some(m) = &scenario.machine {
            return Ok(cli::machine::run_script(m, input, Some(&scenario.shown), &mut stdout, &mut stderr)?);
        }
        if scenario.run == RunOptions::default() {
            return Ok(cli::run_script(machine, input, Some(&scenario.shown), &mut stdout, &mut stderr)?);
        }
        // As `vmsim` sets its shell up from its options.
        let (base, shown) = match scenario.run.stdin {
            true => (None, None),
            false => (Some(cli::script_dir(&scenario.shown)), Some(scenario.shown.as_path())),
        };
        let mut shell = cli::Shell::new(machine, false, base)?;
        shell.set_console(scenario.run.stdin);
        if scenario.run.tlb {
            shell.enable_tlb()?;
        }
        Ok(shell.run_script(input, shown, &mut stdout, &mut stderr)?)
    }));
    let status = match result {
        Ok(status) => status.context("the shell could not run the script")?,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            bail!("the shell panicked: {message}");
        }
    };
    Ok(Actual { stdout, stderr, status })
}

fn read_expected(scenario: &Scenario, stream: Stream) -> anyhow::Result<Option<Vec<u8>>> {
    let path = scenario.expected_path(stream);
    match fs::read(&path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Runs one scenario and judges it; with `bless`, writes its outputs as the expected files
/// instead (only inside the workspace: anything else is compared as usual).
pub fn check(scenario: &Scenario, bless: bool) -> Outcome {
    match try_check(scenario, bless) {
        Ok(outcome) => outcome,
        Err(e) => Outcome { passed: false, report: format!("FAIL {}\n  error: {e:#}\n", scenario.name()) },
    }
}

fn try_check(scenario: &Scenario, bless: bool) -> anyhow::Result<Outcome> {
    let actual = execute(scenario)?;
    let mut expected = Vec::new();
    for stream in Stream::ALL {
        expected.push((stream, read_expected(scenario, stream)?));
    }
    let has_output_file = expected.iter().any(|(s, e)| *s != Stream::Status && e.is_some());
    if bless && scenario.in_workspace() {
        return bless_scenario(scenario, &actual, &expected, has_output_file);
    }
    let mut report = String::new();
    if !has_output_file {
        writeln!(
            report,
            "  no expected output: write {} or {} (or run with --bless)",
            scenario.expected_path(Stream::Stdout).display(),
            scenario.expected_path(Stream::Stderr).display()
        )?;
    }
    for (stream, want) in expected {
        let Some(want) = want else { continue };
        let got = actual.bytes(stream);
        if stream == Stream::Status {
            let want_text = String::from_utf8_lossy(&want);
            let want_status: i32 = want_text.trim().parse().with_context(|| {
                format!("{} holds {want_text:?}, not an exit status", scenario.expected_path(stream).display())
            })?;
            if want_status != actual.status {
                writeln!(report, "  exit status: expected {want_status}, got {}", actual.status)?;
            }
        } else if want != got {
            report.push_str(&unified_diff(stream, &want, &got));
        }
    }
    if report.is_empty() {
        Ok(Outcome { passed: true, report })
    } else {
        Ok(Outcome { passed: false, report: format!("FAIL {}\n{report}", scenario.name()) })
    }
}

/// Writes the streams that already have an expected file (both output streams when neither
/// has one), and the status when its file exists or the run did not succeed.
fn bless_scenario(
    scenario: &Scenario,
    actual: &Actual,
    expected: &[(Stream, Option<Vec<u8>>)],
    has_output_file: bool,
) -> anyhow::Result<Outcome> {
    let mut written = Vec::new();
    for (stream, want) in expected {
        let wanted = match stream {
            Stream::Stdout | Stream::Stderr => want.is_some() || !has_output_file,
            Stream::Status => want.is_some() || actual.status != 0,
        };
        let got = actual.bytes(*stream);
        if wanted && want.as_deref() != Some(&got[..]) {
            let path = scenario.expected_path(*stream);
            fs::write(&path, &got).with_context(|| format!("cannot write {}", path.display()))?;
            written.push(stream.ext());
        }
    }
    let report = if written.is_empty() {
        String::new()
    } else {
        format!("blessed {}: {}\n", scenario.name(), written.join(", "))
    };
    Ok(Outcome { passed: true, report })
}

/// A unified diff of one stream, expected first, indented under the scenario's name.
pub fn unified_diff(stream: Stream, expected: &[u8], actual: &[u8]) -> String {
    let expected = String::from_utf8_lossy(expected);
    let actual = String::from_utf8_lossy(actual);
    let mut out = format!("  {} differs:\n", stream.ext());
    if expected == actual {
        out.push_str("  (the outputs differ only in bytes that are not UTF-8)\n");
        return out;
    }
    let diff = similar::TextDiff::from_lines(&*expected, &*actual);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("expected {}", stream.ext()), &format!("actual {}", stream.ext()))
        .to_string();
    for line in text.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Judges every scenario, in parallel over the available cores; outcomes in scenario order.
///
/// # Errors
/// A worker thread died (a bug in the runner itself: the shell's panics are caught).
pub fn check_all(scenarios: &[Scenario], bless: bool) -> anyhow::Result<Vec<Outcome>> {
    let workers = thread::available_parallelism().map_or(1, NonZeroUsize::get).min(scenarios.len()).max(1);
    let next = AtomicUsize::new(0);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; scenarios.len()];
    thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(scenario) = scenarios.get(i) else { break };
                        done.push((i, check(scenario, bless)));
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            let done = handle.join().map_err(|_| anyhow::anyhow!("a scenario worker thread panicked"))?;
            for (i, outcome) in done {
                outcomes[i] = Some(outcome);
            }
        }
        Ok(())
    })?;
    outcomes.into_iter().map(|o| o.context("a scenario was never run")).collect()
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

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("test paths have a parent")).expect("create test dir");
        fs::write(path, text).expect("write test file");
    }

    #[test]
    fn header_names_the_profile() {
        let cases: &[(&str, Option<Profile>)] = &[
            ("# profile: mtl458\ncreate_ps 4096 0 0 4096\n", Some(Profile::Mtl458)),
            ("#Profile:AJOU\n", Some(Profile::Ajou)),
            ("\n# a scenario\n\n#   profile:   mtl458  \n", Some(Profile::Mtl458)),
            ("alloc 0 rw\n# profile: mtl458\n", None),
            ("# just a comment\nshow\n", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(header_profile_of(text.as_bytes()).expect("a known profile"), *want, "header of {text:?}");
        }
    }

    #[test]
    fn run_header_names_how_the_shell_starts() {
        let none = RunOptions::default();
        let tlb = RunOptions { tlb: true, ..none };
        let both = RunOptions { tlb: true, stdin: true };
        for (text, want) in [
            ("# run: tlb\nalloc 0 r\n", tlb),
            ("# profile: ajou\n#Run:  STDIN   tlb\n", both),
            ("alloc 0 r\n# run: tlb\n", none),
            ("# a comment\n", none),
        ] {
            assert_eq!(header_run_of(text.as_bytes()).expect("known options"), want, "header of {text:?}");
        }
        let err = header_run_of(b"# run: tlb fast\n").expect_err("no option fast");
        assert!(err.to_string().contains("fast"), "{err}");
    }

    #[test]
    fn header_past_the_first_lines_is_ignored() {
        let text = format!("{}# profile: mtl458\n", "#\n".repeat(HEADER_LINES));
        assert_eq!(header_profile_of(text.as_bytes()).expect("no header"), None);
    }

    #[test]
    fn unknown_profile_in_header_is_an_error() {
        let err = header_profile_of(b"# profile: mtl459\n").expect_err("mtl459 is no profile");
        assert!(err.to_string().contains("mtl459"), "{err}");
    }

    #[test]
    fn path_components_name_the_profile() {
        assert_eq!(path_profile(Path::new("testcases/mtl458/kill.vm")), Some(Profile::Mtl458));
        assert_eq!(path_profile(Path::new("testcases/ajou/deep/x.vm")), Some(Profile::Ajou));
        assert_eq!(path_profile(Path::new("mtl458/ajou/x.vm")), Some(Profile::Ajou), "the nearest dir wins");
        assert_eq!(path_profile(Path::new("testcases/mtl458.vm")), None, "the file name does not count");
        assert_eq!(path_profile(Path::new("testcases/ajou-2021/x.vm")), None);
    }

    #[test]
    fn relative_paths_climb_out_of_the_base() {
        assert_eq!(relative_to(Path::new("/a/b/c/x.vm"), Path::new("/a/b")), PathBuf::from("c/x.vm"));
        assert_eq!(relative_to(Path::new("/a/s/cases/x"), Path::new("/a/b")), PathBuf::from("../s/cases/x"));
    }

    #[test]
    fn discovery_finds_scenarios_and_suites() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().join("ws");
        write(&root.join("testcases/ajou/b.vm"), "show\n");
        write(&root.join("testcases/ajou/b.stderr"), "\n");
        write(&root.join("testcases/ajou/a.vm"), "# profile: mtl458\nstats\n");
        write(&root.join("testcases/mtl458/c.vm"), "stats\n");
        write(&root.join("testcases/mtl458/data/hello.bin"), "hello");
        write(&root.join("testcases/plain.vm"), "show\n");
        write(&root.join("testcases/notes.txt"), "not a scenario");
        write(&root.join("testcases/.hidden/h.vm"), "show\n");
        write(&root.join("../shared/conformance/ajou-x/cases/one"), "show\n");
        write(&root.join("../shared/conformance/ajou-x/expected/one.stderr"), "\n");
        write(&root.join("../shared/conformance/mtl458-y/cases/two"), "stats\n");
        write(&root.join("../shared/conformance/mtl458-y/expected/two.stdout"), "\n");
        write(&root.join("../shared/conformance/no-suite/cases/four"), "show\n");
        write(&root.join("../shared/conformance/other/cases/three"), "show\n");
        fs::create_dir_all(root.join("../shared/conformance/other/expected")).expect("mkdir");

        let (paths, skipped) = present_default_paths(&root, true).expect("the corpus is there");
        assert_eq!(paths.len(), 2, "the conformance dir beside the root is searched");
        assert!(skipped.is_empty());
        let found = discover(&root, &paths).expect("discovery");
        let got: Vec<(String, Profile)> = found.iter().map(|s| (s.name(), s.profile)).collect();
        let want = [
            ("testcases/ajou/a.vm", Profile::Mtl458),
            ("testcases/ajou/b.vm", Profile::Ajou),
            ("testcases/mtl458/c.vm", Profile::Mtl458),
            ("testcases/plain.vm", Profile::Ajou),
            ("../shared/conformance/ajou-x/cases/one", Profile::Ajou),
            ("../shared/conformance/mtl458-y/cases/two", Profile::Mtl458),
            ("../shared/conformance/other/cases/three", Profile::Ajou),
        ];
        let want: Vec<(String, Profile)> = want.iter().map(|(n, p)| (n.to_string(), *p)).collect();
        assert_eq!(got, want);

        let b = &found[1];
        assert_eq!(b.expected_path(Stream::Stderr), root.canonicalize().expect("root").join("testcases/ajou/b.stderr"));
        let one = &found[4];
        assert!(one.expected_path(Stream::Stderr).is_file(), "suite expectations live in expected/");
        assert!(!one.in_workspace() && b.in_workspace());
    }

    #[test]
    fn discovery_of_single_files_and_duplicates() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        write(&root.join("suite-ajou/cases/x"), "show\n");
        write(&root.join("suite-ajou/expected/x.stderr"), "\n");
        write(&root.join("t/y.vm"), "show\n");
        let paths = [root.join("suite-ajou/cases/x"), root.join("t"), root.join("t/y.vm")];
        let found = discover(&root, &paths).expect("discovery");
        let names: Vec<String> = found.iter().map(Scenario::name).collect();
        assert_eq!(names, ["suite-ajou/cases/x", "t/y.vm"]);
        assert!(found[0].expected_path(Stream::Stderr).ends_with("suite-ajou/expected/x.stderr"));
        assert!(discover(&root, &[root.join("missing")]).is_err());
    }

    /// One ajou scenario `t/s.vm` in a fresh directory, with the given expected stderr.
    fn one_scenario(stderr: Option<&str>) -> (tempfile::TempDir, Scenario) {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().canonicalize().expect("canonical temp dir");
        write(&root.join("t/s.vm"), "alloc 3 rw\nshow\n");
        if let Some(stderr) = stderr {
            write(&root.join("t/s.stderr"), stderr);
        }
        let found = discover(&root, &[root.join("t")]).expect("discovery");
        assert_eq!(found.len(), 1);
        (tmp, found.into_iter().next().expect("one scenario"))
    }

    const S_STDERR: &str = "alloc   3 --> 0  \n\n*** PID 0 ***\n00:03 vw | 0  \n";

    #[test]
    fn a_matching_scenario_passes_and_a_wrong_one_fails_with_a_diff() {
        let (_tmp, s) = one_scenario(Some(S_STDERR));
        let outcome = check(&s, false);
        assert!(outcome.passed, "{}", outcome.report);
        assert_eq!(outcome.report, "");

        let (_tmp, s) = one_scenario(Some(&S_STDERR.replace("vw", "v ")));
        let outcome = check(&s, false);
        assert!(!outcome.passed);
        assert!(outcome.report.starts_with("FAIL t/s.vm\n"), "{}", outcome.report);
        assert!(outcome.report.contains("-00:03 v  | 0  \n") && outcome.report.contains("+00:03 vw | 0  \n"));

        fs::write(s.expected_path(Stream::Stderr), S_STDERR).expect("fix stderr");
        fs::write(s.expected_path(Stream::Status), "1\n").expect("write status");
        let outcome = check(&s, false);
        assert!(!outcome.passed);
        assert!(outcome.report.contains("exit status: expected 1, got 0"), "{}", outcome.report);
    }

    #[test]
    fn a_scenario_without_expected_output_fails() {
        let (_tmp, s) = one_scenario(None);
        let outcome = check(&s, false);
        assert!(!outcome.passed);
        assert!(outcome.report.contains("no expected output"), "{}", outcome.report);
    }

    #[test]
    fn bless_writes_both_streams_of_a_new_scenario_then_it_passes() {
        let (_tmp, s) = one_scenario(None);
        let outcome = check(&s, true);
        assert!(outcome.passed, "{}", outcome.report);
        assert_eq!(outcome.report, "blessed t/s.vm: stdout, stderr\n");
        let stderr = fs::read_to_string(s.expected_path(Stream::Stderr)).expect("blessed stderr");
        assert_eq!(stderr, S_STDERR);
        let stdout = fs::read_to_string(s.expected_path(Stream::Stdout)).expect("blessed stdout");
        assert_eq!(stdout, "Use file \"t/s.vm\" for input.\n\n");
        assert!(!s.expected_path(Stream::Status).exists(), "a status of 0 needs no file");
        assert!(check(&s, false).passed);
        assert_eq!(check(&s, true).report, "", "nothing to write the second time");
    }

    #[test]
    fn diff_shows_both_sides() {
        let d = unified_diff(Stream::Stderr, b"a\nb\nc\n", b"a\nB\nc\n");
        assert!(d.contains("-b") && d.contains("+B") && d.contains("stderr"), "{d}");
    }

    #[test]
    fn summary_needs_a_scenario_and_no_failure() {
        let s = |passed, failed| Summary { passed, failed, skipped: Vec::new() };
        assert!(!s(0, 0).success());
        assert!(!s(3, 1).success());
        assert!(s(3, 0).success());
    }

    #[test]
    fn a_missing_corpus_is_a_visible_skip_or_under_ci_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("ws");
        fs::create_dir_all(root.join("testcases")).expect("mkdir");
        let (paths, skipped) = present_default_paths(&root, false).expect("not required");
        assert_eq!(paths, vec![root.join("testcases")]);
        assert_eq!(skipped, vec!["../shared/conformance (not found beside the workspace)".to_string()]);
        let summary = Summary { passed: 44, failed: 0, skipped };
        assert_eq!(
            summary.line(),
            "44 passed, 0 failed; skipped: ../shared/conformance (not found beside the workspace)"
        );
        let e = present_default_paths(&root, true).expect_err("CI requires the corpus");
        assert!(e.to_string().contains("CI requires the conformance corpus"), "{e}");
        fs::create_dir_all(dir.path().join("shared/conformance")).expect("mkdir");
        let (paths, skipped) = present_default_paths(&root, true).expect("present");
        assert_eq!(paths.len(), 2);
        assert!(skipped.is_empty());
    }
}
