//! Running the scenarios of `cargo xtask run-testcases` in this process and judging them:
//! each stream compared with its expected file (a unified diff when it differs), or written
//! as the expected file under `--bless`.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufReader};
use std::num::NonZeroUsize;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use anyhow::{Context, bail};

use super::{Actual, Outcome, RunOptions, Scenario, Stream};

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::testcases::discover;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().expect("test paths have a parent")).expect("create test dir");
        fs::write(path, text).expect("write test file");
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
}
