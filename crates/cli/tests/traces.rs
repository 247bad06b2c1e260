//! The hand-worked trace scenarios of `testcases/traces/`: every format of Belady's string,
//! replayed by `vmsim replay` under every policy, against `belady.expected`.

use std::path::PathBuf;
use std::process::Command;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testcases/traces")
}

fn replay(file: &str, args: &[&str]) -> String {
    let out =
        Command::new(env!("CARGO_BIN_EXE_vmsim")).arg("replay").arg(dir().join(file)).args(args).output().unwrap();
    assert!(out.status.success(), "{file} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_format_under_every_policy() {
    let expected = std::fs::read_to_string(dir().join("belady.expected")).unwrap();
    let cases: Vec<Vec<&str>> = expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(cases.len(), 12);
    for format in ["lackey", "rw", "ls", "din", "pin", "pages"] {
        let file = format!("belady.{format}");
        for case in &cases {
            let [policy, frames, faults, writes] = case[..] else { panic!("bad line {case:?}") };
            let json = replay(&file, &["--frames", frames, "--policy", policy, "--json"]);
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            let at = format!("{file} {policy} {frames}");
            assert_eq!(v["format"], format, "{at}");
            assert_eq!(v["references"], 12, "{at}");
            assert_eq!(v["page_faults"].to_string(), faults, "{at}");
            assert_eq!(v["disk_writes"].to_string(), writes, "{at}");
            assert_eq!(v["disk_reads"].to_string(), faults, "{at}");
            if format == "rw" {
                // Through the x86-64 machine: the same faults and writes, and a TLB counted.
                let args = ["--frames", frames, "--policy", policy, "--json", "--machine", "x86-64", "--tlb", "4,2"];
                let m: serde_json::Value = serde_json::from_str(&replay(&file, &args)).unwrap();
                assert_eq!((&m["page_faults"], &m["disk_writes"]), (&v["page_faults"], &v["disk_writes"]), "{at}");
                assert_eq!(m["tlb_hits"].as_u64().unwrap() + m["tlb_misses"].as_u64().unwrap(), 12, "{at}");
                assert!(m["page_table_frames"].as_u64().unwrap() >= 4, "{at}");
            }
        }
    }
}

#[test]
fn lackey_kinds_skipped_lines_and_straddle() {
    let v: serde_json::Value =
        serde_json::from_str(&replay("belady.lackey", &["--frames", "4", "--policy", "lru", "--json"])).unwrap();
    assert_eq!(v["records_by_kind"], serde_json::json!({"fetch": 0, "read": 9, "write": 2, "modify": 1}));
    assert_eq!(v["lines_skipped"], 5);
    // `5fff,8` also touches page 6: one more reference, and one more fault (evicting 2, clean).
    let v: serde_json::Value =
        serde_json::from_str(&replay("belady.lackey", &["--frames", "4", "--policy", "lru", "--json", "--straddle"]))
            .unwrap();
    assert_eq!(
        (v["references"].as_u64(), v["page_faults"].as_u64(), v["disk_writes"].as_u64()),
        (Some(13), Some(9), Some(3))
    );
}

#[test]
fn cs1550_summary() {
    assert_eq!(
        replay("belady.rw", &["--frames", "3", "--policy", "opt", "--format", "cs1550"]),
        "Algorithm: OPT\nNumber of frames: 3\nTotal memory accesses: 12\nTotal page faults: 7\nTotal writes to disk: 2\n"
    );
}

#[test]
fn a_malformed_line_is_named_or_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.rw");
    std::fs::write(&path, "00001000 R\n00002000 X\n00003000 W\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["replay", "--frames", "2", "--trace-format", "rw"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: kind is not R or W"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["replay", "--frames", "2", "--trace-format", "rw", "--skip-bad", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["references"].as_u64(), v["bad_records"].as_u64()), (Some(2), Some(1)));
}

#[test]
fn sweep_flags_belady() {
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["sweep", "--policies", "fifo,lru", "--frames", "3,4", "--csv", "-"])
        .arg(dir().join("belady.pages"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "policy,frames,page_faults,miss_ratio,disk_writes\nfifo,3,9,0.750000,2\nfifo,4,10,0.833333,3\nlru,3,10,0.833333,\nlru,4,8,0.666667,\n"
    );
}

#[test]
fn replay_says_one_frame_in_the_singular() {
    // It said `1 frames` and `outside the 1 user frames`.
    let out = replay("belady.rw", &["--frames", "1", "--policy", "fifo"]);
    assert!(out.contains("machine     1 frame of 4096 bytes, policy fifo\n"), "{out}");
    assert!(out.contains("page tables outside the 1 user frame (not counted)\n"), "{out}");
}
