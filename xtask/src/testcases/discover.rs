//! Finding the scenarios of `cargo xtask run-testcases`: walking `testcases/` and the
//! conformance suites, and reading each script's leading `# profile:`, `# run:`, `# machine:`
//! and `# demand:` headers.

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};

use super::{Profile, RunOptions, Scenario};

/// How many leading lines may carry the `# profile: NAME` and `# run: ...` headers.
const HEADER_LINES: usize = 10;

/// The file extension of a scenario script.
const SCENARIO_EXT: &str = "vm";

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
    for comment in header_comments(text) {
        let comment = comment.to_ascii_lowercase();
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

/// The text after `#` of each comment among a script's leading blank and comment lines (at
/// most the first 10 lines): where every header (`profile:`, `run:`, `machine:`, `demand:`)
/// is looked for.
fn header_comments(text: &[u8]) -> impl Iterator<Item = String> + '_ {
    text.split(|&b| b == b'\n')
        .take(HEADER_LINES)
        .map(<[u8]>::trim_ascii)
        .filter(|line| !line.is_empty())
        .map_while(|line| line.strip_prefix(b"#"))
        .map(|comment| String::from_utf8_lossy(comment).into_owned())
}

/// The value of a `# KEY VALUE` comment (such as `# machine: x86-64`) among the script's
/// leading blank and comment lines.
fn header_value(script: &Path, key: &str) -> anyhow::Result<Option<String>> {
    let text = fs::read(script).with_context(|| format!("cannot read {}", script.display()))?;
    for comment in header_comments(&text) {
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
    for comment in header_comments(text) {
        let comment = comment.to_ascii_lowercase();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testcases::{Stream, Summary};

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
