//! A newcomer's mistakes with `replay`, `sweep` and `replace`: each is one line on standard
//! error that says what was wrong and where, with the documented status (2 for a usage error
//! or input that cannot be read, `docs/usage.md`), never a raw `(os error N)`.

use std::path::PathBuf;
use std::process::Command;

fn traces() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testcases/traces")
}

/// Runs `vmsim ARGS...`: (status, stdout, stderr).
fn vmsim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[track_caller]
fn refused(args: &[&str], status: i32, want: &str) {
    let (got, out, err) = vmsim(args);
    assert_eq!((got, out.as_str()), (status, ""), "{args:?}: {err}");
    assert!(err.contains(want), "{args:?}: {err}");
    assert!(!err.contains("os error"), "{args:?}: {err}");
    // One line saying what was wrong; a usage error found by the argument parser may add
    // its usage and help hint after a blank line, as every other usage error does.
    assert_eq!(err.split("\n\n").next().unwrap().lines().count(), 1, "{args:?}: {err}");
}

#[test]
fn replay_and_sweep_usage_and_unreadable_traces_are_status_2() {
    let belady = traces().join("belady.pages");
    let belady = belady.to_str().unwrap();
    refused(&["replay", "no/such.trace", "--frames", "3"], 2, "cannot open trace no/such.trace: no such file");
    refused(&["sweep", "no/such.trace", "--frames", "1..3"], 2, "cannot open trace no/such.trace: no such file");
    refused(&["replay", belady, "--frames", "0"], 2, "frames");
    refused(&["replay", belady, "--frames", "3", "--page-size", "3K"], 2, "page size 3072 is not a power of two");
    refused(&["sweep", belady, "--frames", "0,1"], 2, "frames");
    // A TLB shape is checked where it is given, with the real reason.
    refused(&["replay", belady, "--frames", "3", "--tlb", "64,5"], 2, "5 ways do not divide 64 entries");
    refused(&["replay", belady, "--frames", "3", "--tlb", "0"], 2, "a TLB has at least 1 entry");
    refused(&["replay", belady, "--frames", "3", "--tlb", "99999999999"], 2, "at most 1048576 entries");
}

#[test]
fn a_malformed_trace_is_status_2_and_names_its_line() {
    let dir = std::env::temp_dir().join(format!("vmsim-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.trace");
    std::fs::write(&bad, "0041f7a0 R\ngarbage here\n").unwrap();
    let bad = bad.to_str().unwrap();
    refused(&["replay", bad, "--frames", "3", "--trace-format", "rw"], 2, "line 2: address is not hexadecimal");
    // Detected, the bad line spoils the detection: the message says which line did.
    refused(&["replay", bad, "--frames", "3"], 2, "as rw, line 2 is malformed: address is not hexadecimal");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn replace_usage_errors_are_status_2() {
    refused(&["replace", "--policy", "belady", "1,2"], 2, "unknown policy `belady`");
    refused(&["replace", "--frames", "0", "1,2"], 2, "--frames: `0` is not a frame count");
    refused(&["replace", "no/such/refs"], 2, "cannot read references from no/such/refs: no such file");
}

#[test]
fn a_bad_reference_in_a_string_is_named_not_opened_as_a_file() {
    // `1,x,2` is no file: it is a reference string with a bad second reference.
    refused(&["replace", "1,x,2"], 2, "reference 2: `x` is not a page number");
    refused(&["replace", "--", "-1,2"], 2, "reference 1: `-1` is not a page number");
}

#[test]
fn a_swap_error_names_swap() {
    let dir = std::env::temp_dir().join(format!("vmsim-bad-swap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("s.vm");
    std::fs::write(&script, "create_ps 0 0 0 0\n").unwrap();
    let s = script.to_str().unwrap();
    refused(&["--machine", "x86-64", "--frames", "2", "--swap", "0", s], 2, "--swap: a swap area on this machine");
    refused(&["--machine", "no/such.toml", s], 2, "cannot read machine file no/such.toml: no such file");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_standard_input_is_named_in_words() {
    // It said "no reference in -".
    let run = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["replace", "--frames", "2", "-"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!((run.status.code(), run.stdout.as_slice()), (Some(2), &b""[..]));
    assert_eq!(String::from_utf8(run.stderr).unwrap(), "vmsim: no reference on standard input\n");
    // A bad reference there is said as standard input's too (it said "vmsim: -: line 2, ...").
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["replace", "--frames", "2", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"1\nx\n").unwrap();
    let run = child.wait_with_output().unwrap();
    assert_eq!((run.status.code(), run.stdout.as_slice()), (Some(2), &b""[..]));
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(err.starts_with("vmsim: standard input: line 2, reference 2: `x`"), "{err}");
}

#[test]
fn a_zero_period_names_period() {
    // It named `--policy` in the shell and no option at all in `replace`.
    let dir = std::env::temp_dir().join(format!("vmsim-bad-period-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("s.vm");
    std::fs::write(&script, "create_ps 0 0 0 0\n").unwrap();
    let s = script.to_str().unwrap();
    let want = "vmsim: --period: the period must be at least 1 reference";
    refused(&["--machine", "x86-64", "--frames", "2", "--policy", "nru", "--period", "0", s], 2, want);
    refused(&["replace", "--frames", "2", "--policy", "aging", "--period", "0", "1,2"], 2, want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_policy_option_the_policy_does_not_read_is_a_usage_error() {
    // `--period 5` with fifo was accepted and did nothing.
    let dir = std::env::temp_dir().join(format!("vmsim-unused-option-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("s.vm");
    std::fs::write(&script, "create_ps 0 0 0 0\n").unwrap();
    let s = script.to_str().unwrap();
    let shell = ["--machine", "x86-64", "--frames", "3"];
    for (words, want) in [
        (
            &["--policy", "fifo", "--period", "5"][..],
            "vmsim: --period: only nru and aging take a tick period, not fifo",
        ),
        (&["--policy", "clock", "--tau", "5"][..], "vmsim: --tau: only wsclock takes a working-set window, not clock"),
        (&["--policy", "lru", "--seed", "5"][..], "vmsim: --seed: only random takes a seed, not lru"),
        // The shell refuses opt itself: that, not fifo, is why no tie rule is read.
        (
            &["--policy", "fifo", "--opt-ties", "frame"][..],
            "vmsim: --opt-ties: only opt takes a tie rule, and a running machine cannot run opt (use `vmsim replace`)",
        ),
    ] {
        refused(&[&shell[..], words, &[s]].concat(), 2, want);
    }
    refused(&["replace", "--policy", "lru,clock", "--period", "2", "1,2"], 2, "not lru or clock");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_endless_file_is_read_in_bounded_memory() {
    // /dev/zero never ends: reading it whole would exhaust memory before any message.
    refused(&["replace", "/dev/zero"], 2, "cannot read references from /dev/zero: larger than");
    refused(&["--machine", "/dev/zero", "s.vm"], 2, "cannot read machine file /dev/zero: larger than");
}

#[test]
fn an_output_that_cannot_be_written_is_status_1_in_words() {
    let full = std::fs::File::create("/dev/full").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["replace", "--frames", "1", "1,2"])
        .stdout(full)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err, "vmsim: cannot write the output: no space left on device\n");
}

#[test]
fn a_corrupt_compressed_trace_is_said_once() {
    let dir = std::env::temp_dir().join(format!("vmsim-bad-gz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.gz");
    // A gzip header, then bytes that are no deflate stream.
    std::fs::write(&bad, b"\x1f\x8b\x08\x00garbagegarbage").unwrap();
    let (status, _, err) = vmsim(&["replay", bad.to_str().unwrap(), "--frames", "3"]);
    assert_eq!(status, 2, "{err}");
    assert_eq!(err.matches("corrupt deflate stream").count(), 1, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_record_a_machine_refuses_names_the_trace_and_its_line() {
    let dir = std::env::temp_dir().join(format!("vmsim-bad-machine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = dir.join("far.trace");
    // Line 4 (after a comment) is past the 48-bit address space of `x86-64`.
    std::fs::write(&t, "00001000 R\n00002000 W\n# a comment\n1000000000000000 R\n00003000 R\n").unwrap();
    let t = t.to_str().unwrap();
    for policy in ["lru", "opt"] {
        let (status, out, err) = vmsim(&["replay", t, "--frames", "3", "--machine", "x86-64", "--policy", policy]);
        assert_eq!((status, out.as_str()), (2, ""), "{policy}: {err}");
        assert!(err.starts_with(&format!("vmsim: trace {t}: line 4: page 0x1000000000000: ")), "{policy}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_reference_is_named_not_skipped() {
    refused(&["replace", "--frames", "3", "1,,2"], 2, "line 1, reference 2 is empty: a comma with no page number");
    refused(&["replace", "--frames", "3", "1, ,2,3"], 2, "reference 2 is empty");
}

#[test]
fn a_binary_trace_is_one_line_of_text_not_its_bytes() {
    let dir = std::env::temp_dir().join(format!("vmsim-bad-binary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("trace.bin");
    std::fs::write(&bin, b"00001000 R\n\x7fELF\x02\x01\x01\0\0\0\x03\0>\0").unwrap();
    let bin = bin.to_str().unwrap();
    let want = "line 2: not a text trace (byte 0x7f at offset 11)";
    refused(&["replay", bin, "--frames", "3"], 2, want);
    refused(&["replay", bin, "--frames", "3", "--trace-format", "rw"], 2, want);
    refused(&["sweep", bin, "--frames", "1..3"], 2, want);
    // /dev/zero: the first block is read, its first NUL refused.
    refused(&["replay", "/dev/zero", "--frames", "3"], 2, "line 1: not a text trace (byte 0x00 at offset 0)");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_that_cannot_be_read_or_written_are_said_in_words_and_early() {
    let dir = std::env::temp_dir().join(format!("vmsim-bad-words-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let script = dir.join("s.vm");
    std::fs::write(&script, "alloc 1 rw\n").unwrap();
    let s = script.to_str().unwrap();
    refused(&["solve", d], 1, &format!("cannot read problem {d}: it is a directory"));
    refused(&["gen", "--seed", "1", "-o", d], 2, &format!("cannot write {d}: it is a directory"));
    refused(&["view", s, "-o", d], 1, &format!("cannot write {d}: it is a directory"));
    // The output is checked before the command runs (`true` stands in for valgrind).
    refused(
        &["record", "-o", d, "--valgrind", "/bin/true", "--", "x"],
        1,
        &format!("cannot create {d}: it is a directory"),
    );
    let trace = dir.join("t.gz");
    let t = trace.to_str().unwrap();
    refused(&["record", "-o", t, "--valgrind", "/bin/true", "--", "x"], 1, "/bin/true wrote no log (exit status: 0)");
    assert!(!trace.exists(), "no empty trace left behind");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn grading_nothing_or_an_endless_case_is_an_error_not_a_pass() {
    let dir = std::env::temp_dir().join(format!("vmsim-bad-grade-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    let empty = dir.join("empty");
    let e = empty.to_str().unwrap();
    // `true` stands in for the student's program: no case is run in either.
    refused(&["grade", "--student", "/bin/true", e], 2, &format!("no case in {e}: the directory holds no file"));
    refused(&["grade", "--student", "/bin/true", "/dev/zero"], 2, "cannot read case /dev/zero: larger than");
    refused(&["grade", "--student", "/bin/true", "no/such/case"], 2, "cannot read case no/such/case: no such file");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_table_of_too_many_frame_counts_is_refused_at_once() {
    // Each count is a run of every policy from empty frames: a million ran past 20 s (debug build).
    refused(
        &["replace", "--frames", "1..1048576", "1,2,3"],
        2,
        "the range 1..1048576 has 1048576 sizes; a table has at most 65536",
    );
    refused(&["replace", "--frames", "1..65537", "1,2,3"], 2, "has 65537 sizes");
}

#[test]
fn a_record_straddling_billions_of_pages_is_named_not_a_crash() {
    let dir = std::env::temp_dir().join(format!("vmsim-bad-straddle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = dir.join("big.lackey");
    // 4 GiB on pages of one byte: memory ran out and the process aborted.
    std::fs::write(&t, "I  00001000,4\n L 00001000,4294967295\n").unwrap();
    let t = t.to_str().unwrap();
    let want = "line 2: the record covers 4294967295 pages; --straddle references at most 65536 pages a record";
    refused(&["replay", t, "--frames", "3", "--straddle", "--page-size", "1"], 2, want);
    refused(&["sweep", t, "--frames", "1..3", "--straddle", "--page-size", "1"], 2, want);
    std::fs::remove_dir_all(&dir).unwrap();
}
