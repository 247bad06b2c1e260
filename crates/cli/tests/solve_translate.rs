//! `vmsim solve` on OSTEP's address-translation problems, end to end: every
//! `testcases/ostep/NAME.problem` must print `NAME.stdout` exactly (worked out by hand, see
//! `testcases/README.md`), and `NAME.stderr` and `NAME.status` when they exist (status 0
//! otherwise).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

#[test]
fn every_problem_in_testcases_gives_its_expected_output() {
    let root = workspace_root();
    let dir = root.join("testcases/ostep");
    let mut problems: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "problem"))
        .collect();
    problems.sort();
    assert!(problems.len() >= 4, "too few problems in {}", dir.display());
    for problem in problems {
        let shown = problem.strip_prefix(&root).unwrap();
        let out =
            Command::new(env!("CARGO_BIN_EXE_vmsim")).arg("solve").arg(shown).current_dir(&root).output().unwrap();
        let expected = |ext: &str| std::fs::read(problem.with_extension(ext)).ok();
        let stdout = expected("stdout").unwrap_or_else(|| panic!("{} has no .stdout", shown.display()));
        assert!(
            out.stdout == stdout,
            "{}: standard output differs:\n{}",
            shown.display(),
            String::from_utf8_lossy(&out.stdout)
        );
        if let Some(stderr) = expected("stderr") {
            assert_eq!(String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&stderr), "{}", shown.display());
        }
        let status = expected("status").map_or(0, |s| String::from_utf8(s).unwrap().trim().parse().unwrap());
        assert_eq!(out.status.code(), Some(status), "{}", shown.display());
    }
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let root = workspace_root();
    let problem = std::fs::File::open(root.join("testcases/ostep/multilevel-small.problem")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim")).args(["solve", "-"]).stdin(problem).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, std::fs::read(root.join("testcases/ostep/multilevel-small.stdout")).unwrap());
}

#[test]
fn a_text_of_no_known_script_is_refused_at_line_1() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["solve", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"ARG seed 0\nARG colour blue\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err, "vmsim: -: line 1: not a problem header this solver knows (found `seed 0`)\n");
}

#[test]
fn the_guide_shows_what_vmsim_prints() {
    // docs/solve.md shows the answers of these problems; they must stay what `vmsim` prints.
    let root = workspace_root();
    let guide = std::fs::read_to_string(root.join("docs/solve.md")).unwrap();
    for (name, from) in [
        ("linear-1k-pages", "Page Table"),
        ("linear-past-the-table", "Virtual Address Trace"),
        ("multilevel-small", "Virtual Address 0cf4"),
    ] {
        let expected = std::fs::read_to_string(root.join(format!("testcases/ostep/{name}.stdout"))).unwrap();
        let shown = &expected[expected.find(from).unwrap()..];
        assert!(guide.contains(shown), "docs/solve.md does not show the end of {name}.stdout:\n{shown}");
        let err = std::fs::read_to_string(root.join(format!("testcases/ostep/{name}.stderr"))).unwrap_or_default();
        assert!(guide.contains(&err), "docs/solve.md does not show {name}.stderr");
    }
}
