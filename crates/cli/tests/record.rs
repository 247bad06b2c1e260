//! `vmsim record` then `vmsim replay`: a tiny program recorded under Valgrind's lackey and
//! replayed. Skipped (visibly) when valgrind is missing; under `CI=true` a missing valgrind
//! fails the test instead, so that CI cannot pass without running it.

use std::process::Command;

use trace::{FormatChoice, ReadOptions, TraceReader};

fn valgrind_present() -> bool {
    Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn record_a_tiny_program_and_replay_it() {
    if !valgrind_present() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "valgrind is missing under CI=true");
        eprintln!("SKIPPED record_a_tiny_program_and_replay_it: valgrind is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("true.trace.gz");
    let rec = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["record", "-o"])
        .arg(&out)
        .args(["--", "/bin/true"])
        .output()
        .unwrap();
    assert!(rec.status.success(), "{}", String::from_utf8_lossy(&rec.stderr));

    // The expected counts come from reading the trace directly: with more frames than pages
    // every fault is a first touch, so the faults are the distinct 4 KiB pages.
    let (_, text) = trace::decompress(std::fs::File::open(&out).unwrap()).unwrap();
    let reader = TraceReader::new(text, FormatChoice::Auto, ReadOptions::default()).unwrap();
    assert_eq!(reader.format(), trace::Format::Lackey);
    let mut pages = std::collections::HashSet::new();
    let mut records = 0u64;
    for r in reader {
        let r = r.unwrap();
        records += 1;
        pages.insert(r.addr >> 12);
    }
    assert!(records > 1000, "lackey traces even /bin/true's loader: {records} records");

    let replay = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["replay", "--frames", "1000000", "--policy", "lru", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    let v: serde_json::Value = serde_json::from_slice(&replay.stdout).unwrap();
    assert_eq!(v["references"], records);
    assert_eq!(v["page_faults"], pages.len() as u64);
    assert_eq!(v["disk_writes"], 0);
    assert_eq!(v["format"], "lackey");
    assert_eq!(v["compression"], "gzip");
}

#[test]
fn record_without_valgrind_says_so() {
    // The output must be writable: an output that cannot be created is said first, before
    // anything runs.
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("x.gz");
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["record", "--valgrind", "/nonexistent/valgrind", "-o", trace.to_str().unwrap(), "--", "/bin/true"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not found") && err.contains("install valgrind"), "{err}");
    assert!(!trace.exists(), "no empty trace left behind");
}
