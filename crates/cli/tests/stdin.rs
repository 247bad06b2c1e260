//! The `vmsim` binary with its script on standard input, as `vmsim < script` runs it: the
//! `ajou` framework is then in its interactive mode even though standard input is a pipe.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `vmsim ARGS` with `input` piped to standard input.
fn vmsim(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vmsim starts");
    child.stdin.take().expect("piped").write_all(input).expect("vmsim reads its input");
    child.wait_with_output().expect("vmsim ends")
}

const SCRIPT: &[u8] = b"alloc 1 rw\nalloc 17 r\nfree 1\nshow\n";

#[test]
fn a_pipe_on_standard_input_is_the_frameworks_interactive_mode() {
    let piped = vmsim(&[], SCRIPT);
    assert_eq!(piped.status.code(), Some(0));
    let err = String::from_utf8(piped.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[..5], ["alloc   1 --> 0  ", "alloc  17 --> 1  ", "free 1 (pfn 0)", "", "*** PID 0 ***"]);
    // Both existing inner tables (outer entries 0 and 1), every entry of each, valid or not.
    let entries = &lines[5..];
    assert_eq!(entries.len(), 2 * 16, "{err}");
    assert_eq!(entries[0], "00:00    | 0  ");
    assert_eq!(entries[1], "00:01    | 0  ", "VPN 1, freed: shown though invalid");
    assert_eq!(entries[17], "01:01 v  | 1  ");
    // No `Use file` line: there is no file; a blank line after each inner table.
    assert_eq!(piped.stdout, b"\n\n");
}

#[test]
fn a_script_file_shows_valid_entries_only() {
    let path = std::env::temp_dir().join(format!("vmsim-stdin-test-{}.vm", std::process::id()));
    std::fs::write(&path, SCRIPT).unwrap();
    let file = vmsim(&[path.to_str().unwrap()], b"");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(file.status.code(), Some(0));
    let err = String::from_utf8(file.stderr).unwrap();
    assert_eq!(err, "alloc   1 --> 0  \nalloc  17 --> 1  \nfree 1 (pfn 0)\n\n*** PID 0 ***\n01:01 v  | 1  \n");
}

#[test]
fn piped_input_runs_the_same_commands_with_the_same_status() {
    // `Unable to access`, `is not allocated` and unknown commands are ordinary output: 0.
    let ok = vmsim(&[], b"alloc 0 r\nread 1\nfree 2\nfly\nwrite 0\n");
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    assert_eq!(
        String::from_utf8(ok.stderr).unwrap(),
        "alloc   0 --> 0  \nUnable to access 1\n2 is not allocated\nUnable to access 0\n"
    );
    // A refused line (a VPN past 255) sets status 1 and says so on standard output.
    let refused = vmsim(&[], b"alloc 0 r\nread 256\n");
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(String::from_utf8(refused.stdout).unwrap(), "line 2: error: vpn 256 is outside 0..255\n");
}
