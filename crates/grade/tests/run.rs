//! The student runner on its own: small shell-script "students" that exit, crash, hang, flood
//! or exceed the memory limit, each reported as its `Outcome` with a bounded capture.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use grade::run::run_student;
use grade::{Flavour, Limits, Outcome, Student};

/// Writes an executable `/bin/sh` script `body` named `name` into `dir`.
fn program(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn student(program: PathBuf, flavour: Flavour) -> Student {
    Student { program, args: vec!["-t".into()], flavour, tlb: false }
}

fn limits() -> Limits {
    Limits { time: Duration::from_secs(1), memory: Some(256 << 20), output: 1 << 16 }
}

#[test]
fn the_graded_stream_and_the_arguments_are_as_the_course_runs_them() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("case");
    std::fs::write(&script, "alloc 1 rw\n").unwrap();
    // ./vm -t SCRIPT: the arguments echoed on standard error, debugging on standard output.
    let p = program(dir.path(), "vm", r#"echo "debug" ; echo "$1 $(cat "$2")" >&2; exit 3"#);
    let r = run_student(&student(p.clone(), Flavour::Ajou), &script, &limits()).unwrap();
    assert_eq!(r.outcome, Outcome::Exited { code: 3 });
    assert_eq!(r.graded, b"-t alloc 1 rw\n");
    assert!(r.other.is_empty(), "ajou's standard output is not kept");
    // The mtl458 harness is graded on standard output instead.
    let r = run_student(&student(p, Flavour::Mtl458), &script, &limits()).unwrap();
    assert_eq!((r.graded.as_slice(), r.other.as_slice()), (&b"debug\n"[..], &b"-t alloc 1 rw\n"[..]));
}

#[test]
fn crashes_hangs_and_floods_are_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("case");
    std::fs::write(&script, "").unwrap();
    let run = |name: &str, body: &str| {
        let p = program(dir.path(), name, body);
        run_student(&student(p, Flavour::Ajou), &script, &limits()).unwrap()
    };
    let r = run("segv", "echo partial >&2; kill -SEGV $$");
    assert!(matches!(&r.outcome, Outcome::Signaled { name, .. } if name == "SIGSEGV"), "{:?}", r.outcome);
    assert_eq!(r.graded, b"partial\n");
    let r = run("abort", "kill -ABRT $$");
    assert!(matches!(&r.outcome, Outcome::Signaled { name, .. } if name == "SIGABRT"), "{:?}", r.outcome);
    let r = run("hang", "while :; do :; done");
    assert_eq!(r.outcome, Outcome::TimedOut { limit_ms: 1000 });
    let r = run("flood", "while :; do echo 0123456789abcdef >&2; done");
    assert_eq!(r.outcome, Outcome::OutputLimit { limit: 1 << 16 });
    assert_eq!(r.graded.len(), 1 << 16, "the capture is bounded");
}

#[test]
fn a_missing_program_is_an_error_not_an_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let s = student(dir.path().join("nothing"), Flavour::Ajou);
    let e = run_student(&s, &dir.path().join("case"), &limits()).unwrap_err();
    assert!(e.to_string().starts_with("cannot run"), "{e}");
}
