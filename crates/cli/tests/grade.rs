//! `vmsim grade` and `vmsim gen` end to end: deliberately broken C simulators, built with the
//! system C compiler at test time, must be caught at the right line, with the right reason,
//! crash or time-out; correct ones (a C simulator and `vmsim` itself) must score full marks.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const VMSIM: &str = env!("CARGO_BIN_EXE_vmsim");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/grade_fixtures").join(name)
}

/// Builds `ajou_sim.c` with `define` (a `BUG_*` macro, or none) into `dir`.
#[track_caller]
fn build_sim(dir: &Path, define: Option<&str>) -> PathBuf {
    let exe = dir.join(define.unwrap_or("ajou_ok"));
    let mut cc = Command::new("cc");
    cc.arg("-O1").arg("-o").arg(&exe).arg(fixture("ajou_sim.c"));
    if let Some(d) = define {
        cc.arg(format!("-D{d}"));
    }
    let out = cc.output().expect("the system C compiler `cc` runs");
    assert!(out.status.success(), "cc failed: {}", String::from_utf8_lossy(&out.stderr));
    exe
}

/// Runs `vmsim ARGS --json` and returns (exit status, the report).
#[track_caller]
fn grade(args: &[&str]) -> (i32, Value) {
    let out = Command::new(VMSIM).arg("grade").args(args).arg("--json").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: stdout {text} stderr {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

/// A script written for these tests: three pages, a fork, copy-on-write both ways, a free of
/// a shared frame, `pages`, `show`, and an access to a freed page. By hand: frames 0, 1, 2;
/// the fork shares them (map counts 2, 2, 2); pid 1's write 0 copies to frame 3, pid 0's
/// write 17 copies to frame 4; pid 0's free 1 leaves frame 1 to pid 1: every count is 1.
const SCRIPT: &str = "\
alloc 0 rw
alloc 1 r
alloc 17 rw
write 0
switch 1
write 0
read 1
switch 0
write 17
free 1
pages
show
write 1
";

fn script(dir: &Path) -> String {
    let p = dir.join("fork-cow");
    std::fs::write(&p, SCRIPT).unwrap();
    p.display().to_string()
}

fn only_case(report: &Value) -> &Value {
    assert_eq!(report["total"], 1, "{report:#}");
    &report["cases"][0]
}

fn why(case: &Value) -> String {
    case["explanation"]["why"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect::<Vec<_>>().join("\n")
}

#[test]
fn a_correct_c_simulator_and_vmsim_itself_score_full_marks() {
    let dir = tempfile::tempdir().unwrap();
    let sim = build_sim(dir.path(), None);
    let case = script(dir.path());
    for student in [sim.to_str().unwrap(), VMSIM] {
        let (status, report) = grade(&["--student", student, &case, "--random", "6", "--commands", "150"]);
        assert_eq!(report["passed"], 7, "{student}: {report:#}");
        assert_eq!(status, 0);
    }
    // The TLB generation, `tlb` listings (slot order) included: the C simulator and vmsim.
    for student in [sim.to_str().unwrap(), VMSIM] {
        let (status, report) =
            grade(&["--student", student, "-t", "--random", "6", "--seed", "40", "--commands", "150"]);
        assert_eq!((status, &report["passed"]), (0, &Value::from(6)), "{student}: {report:#}");
    }
}

#[test]
fn the_lowest_free_frame_rule_broken_is_found_at_the_first_alloc() {
    let dir = tempfile::tempdir().unwrap();
    let sim = build_sim(dir.path(), Some("BUG_FRAME_FROM_1"));
    let (status, report) = grade(&["--student", sim.to_str().unwrap(), &script(dir.path())]);
    assert_eq!(status, 1);
    let c = only_case(&report);
    assert_eq!(c["verdict"], "fail");
    assert_eq!(c["divergence"]["line"], 1);
    assert_eq!(c["divergence"]["script"], "alloc 0 rw");
    assert_eq!(c["divergence"]["expected"], "alloc···0·-->·0··⏎");
    assert_eq!(c["divergence"]["received"], "alloc···0·-->·1··⏎");
    assert!(why(c).contains("frame 0 is the lowest free frame"), "{}", why(c));
}

#[test]
fn a_missing_copy_on_write_copy_is_explained_from_the_map_count() {
    let dir = tempfile::tempdir().unwrap();
    let sim = build_sim(dir.path(), Some("BUG_COW_NO_COPY"));
    let (_, report) = grade(&["--student", sim.to_str().unwrap(), &script(dir.path())]);
    let c = only_case(&report);
    assert_eq!(c["divergence"]["line"], 6, "{c:#}");
    assert_eq!(c["divergence"]["expected"], "··0·-->·3··⏎");
    assert_eq!(c["divergence"]["received"], "··0·-->·0··⏎");
    let why = why(c);
    assert!(
        why.contains("VPN 0 of pid 1 is shared copy-on-write with map count 2 (frame 0), so the write copies it"),
        "{why}"
    );
    assert!(why.contains("frame 3 is the lowest free frame: 0..2 are mapped (map counts 2, 2, 2)"), "{why}");
    // The page table of pid 1 just before line 6.
    assert_eq!(c["explanation"]["pid"], 1);
    let table: Vec<&str> =
        c["explanation"]["page_table"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(table.len(), 3, "{table:?}");
    assert!(
        table[0].starts_with("VPN   0 (00:00) -> frame   0")
            && table[0].contains("cow")
            && table[0].ends_with("map count 2")
    );
}

#[test]
fn lost_padding_is_shown_and_named_as_white_space() {
    let dir = tempfile::tempdir().unwrap();
    let sim = build_sim(dir.path(), Some("BUG_NO_PAD"));
    let (_, report) = grade(&["--student", sim.to_str().unwrap(), &script(dir.path())]);
    let c = only_case(&report);
    assert_eq!(
        (c["divergence"]["line"].as_u64(), c["divergence"]["received"].as_str()),
        (Some(1), Some("alloc···0·-->·0⏎"))
    );
    assert!(why(c).contains("differ only in white space") && why(c).contains("%-3u"), "{}", why(c));
}

#[test]
fn crashes_are_reported_with_their_signal_and_the_lines_they_happened_in() {
    let dir = tempfile::tempdir().unwrap();
    let case = script(dir.path());

    let sim = build_sim(dir.path(), Some("BUG_SEGV_SWITCH"));
    let (status, report) = grade(&["--student", sim.to_str().unwrap(), &case]);
    assert_eq!(status, 1);
    let c = only_case(&report);
    assert_eq!(c["outcome"]["kind"], "signaled");
    assert_eq!(c["outcome"]["name"], "SIGSEGV");
    // `read 1` (line 7) was the last output; `switch 0` (line 8) crashed before `write 17`.
    assert_eq!(c["crash"]["last_complete"], 7, "{c:#}");
    assert_eq!(c["crash"]["between"], serde_json::json!([7, 9]));
    assert_eq!(c["divergence"]["line"], 9);
    assert_eq!(c["divergence"]["received"], Value::Null);

    let sim = build_sim(dir.path(), Some("BUG_ABORT_FREE"));
    let (_, report) = grade(&["--student", sim.to_str().unwrap(), &case]);
    let c = only_case(&report);
    assert_eq!(c["outcome"]["name"], "SIGABRT", "{c:#}");
    // `free 1` printed its line, then the assertion failed (its message is on standard error).
    assert_eq!(c["crash"]["last_complete"], 10);
    assert_eq!(c["divergence"]["line"], 11);
    assert!(c["divergence"]["received"].as_str().unwrap().contains("Assertion"), "{c:#}");
}

#[test]
fn a_hang_times_out_and_a_flood_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let case = script(dir.path());
    let sim = build_sim(dir.path(), Some("BUG_HANG_PAGES"));
    let (status, report) = grade(&["--student", sim.to_str().unwrap(), &case, "--time-limit", "1"]);
    assert_eq!(status, 1);
    let c = only_case(&report);
    assert_eq!(c["outcome"]["kind"], "timed_out", "{c:#}");
    assert_eq!(c["crash"]["between"], serde_json::json!([10, 11]));
    assert_eq!(c["divergence"]["line"], 11);
    assert!(
        why(c).contains("pages lists every frame whose map count is not 0: 0: 1, 1: 1, 2: 1, 3: 1, 4: 1"),
        "{}",
        why(c)
    );

    let sim = build_sim(dir.path(), Some("BUG_FLOOD_SHOW"));
    let (_, report) = grade(&["--student", sim.to_str().unwrap(), &case]);
    let c = only_case(&report);
    assert_eq!(c["outcome"]["kind"], "output_limit", "{c:#}");
    assert_eq!(c["divergence"]["line"], 12);
}

#[test]
fn gradescope_results_have_a_score_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let sim = build_sim(dir.path(), Some("BUG_COW_NO_COPY"));
    let ok = dir.path().join("no-fork");
    std::fs::write(&ok, "alloc 3 rw\nwrite 3\nread 4\n").unwrap();
    let results = dir.path().join("results.json");
    let (status, _) = grade(&[
        "--student",
        sim.to_str().unwrap(),
        ok.to_str().unwrap(),
        &script(dir.path()),
        "--gradescope",
        results.to_str().unwrap(),
        "--points",
        "5",
    ]);
    assert_eq!(status, 1);
    let r: Value = serde_json::from_slice(&std::fs::read(&results).unwrap()).unwrap();
    let tests = r["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2);
    assert_eq!(
        (&tests[0]["name"], &tests[0]["score"], &tests[0]["status"]),
        (&"no-fork".into(), &5.0.into(), &"passed".into())
    );
    assert_eq!(
        (&tests[1]["score"], &tests[1]["max_score"], &tests[1]["status"]),
        (&0.0.into(), &5.0.into(), &"failed".into())
    );
    assert!(tests[1]["output"].as_str().unwrap().contains("first difference at script line 6"));
    assert_eq!(r["score"], 5.0);
}

#[test]
fn scripts_outside_the_framework_are_refused_not_graded() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("undefined");
    std::fs::write(&case, "alloc 3 rw\nread 300\n").unwrap();
    let (status, report) = grade(&["--student", VMSIM, case.to_str().unwrap()]);
    let c = only_case(&report);
    assert_eq!((c["verdict"].as_str(), c["line"].as_u64()), (Some("invalid"), Some(2)), "{c:#}");
    assert_eq!(status, 1);
}

#[test]
fn mtl458_students_are_built_with_the_harness_and_graded() {
    let case = fixture("mtl458_fork.txt");
    let (status, report) = grade(&["--mtl458", fixture("mtl458_ok.c").to_str().unwrap(), case.to_str().unwrap()]);
    assert_eq!((status, &report["passed"]), (0, &Value::from(1)), "{report:#}");

    let (status, report) = grade(&["--mtl458", fixture("mtl458_broken.c").to_str().unwrap(), case.to_str().unwrap()]);
    assert_eq!(status, 1);
    let c = only_case(&report);
    // The child's write at line 6 reached the parent's frame: line 8 reads it back.
    assert_eq!(c["divergence"]["line"], 8, "{c:#}");
    assert_eq!(
        (c["divergence"]["expected"].as_str(), c["divergence"]["received"].as_str()),
        (Some("0x41⏎"), Some("0x42⏎"))
    );
    assert!(why(c).contains("address 0x2000 is page 2"), "{}", why(c));
}

#[test]
fn gen_is_reproducible_and_stays_in_range() {
    let run = |seed: &str, t: bool| {
        let mut c = Command::new(VMSIM);
        c.args(["gen", "--seed", seed, "--commands", "200"]);
        if t {
            c.arg("-t");
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let a = run("7", false);
    assert_eq!(a, run("7", false));
    assert_ne!(a, run("8", false));
    assert_eq!(a.lines().count(), 200);
    assert!(!a.contains("tlb") && run("7", true).contains("tlb\n"));
    for line in a.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        if let Some(n) = words.get(1).filter(|_| words[0] != "switch") {
            let n =
                n.strip_prefix("0x").map_or_else(|| n.parse::<u32>().unwrap(), |h| u32::from_str_radix(h, 16).unwrap());
            assert!(n < 256, "{line}");
        }
    }
}
