//! `vmsim solve` end to end: the binary reads a problem on standard input or from a file and
//! prints the answer (worked out by hand from paging-policy.py's rules) or one error line.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `vmsim solve -` with `input` on standard input: (status, stdout, stderr).
fn solve(input: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(["solve", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

const HEADER: &str = "ARG addresses 3,1,3,2\nARG addressfile \nARG numaddrs 10\nARG policy LRU\n\
ARG clockbits 2\nARG cachesize 2\nARG maxpage 10\nARG seed 0\nARG notrace False\n\n";

const PROBLEM: &str = "Assuming a replacement policy of LRU, and a cache of size 2 pages,\n\
figure out whether each of the following page references hit or miss\nin the page cache.\n\n\
Access: 3  Hit/Miss?  State of Memory?\nAccess: 1  Hit/Miss?  State of Memory?\n\
Access: 3  Hit/Miss?  State of Memory?\nAccess: 2  Hit/Miss?  State of Memory?\n\n";

#[test]
fn answers_an_lru_problem() {
    // 3 and 1 miss; 3 hits and moves right ([1, 3]); 2 evicts 1, the left end.
    let (status, out, err) = solve(&format!("{HEADER}{PROBLEM}"));
    assert_eq!((status, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "{HEADER}Solving...\n\n\
Access: 3  MISS LRU ->          [3] <- MRU Replaced:- [Hits:0 Misses:1]
Access: 1  MISS LRU ->       [3, 1] <- MRU Replaced:- [Hits:0 Misses:2]
Access: 3  HIT  LRU ->       [1, 3] <- MRU Replaced:- [Hits:1 Misses:2]
Access: 2  MISS LRU ->       [3, 2] <- MRU Replaced:1 [Hits:1 Misses:3]

FINALSTATS hits 1   misses 3   hitrate 25.00

"
        )
    );
}

#[test]
fn a_malformed_problem_is_one_line_naming_the_line() {
    let (status, out, err) = solve(&format!("{HEADER}{}", PROBLEM.replace("figure out", "work out")));
    assert_eq!(status, 1);
    assert_eq!(out, "");
    assert!(err.starts_with("vmsim: -: line 12: expected"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn an_unknown_text_is_refused() {
    let (status, _, err) = solve("hello\n");
    assert_eq!(status, 1);
    assert_eq!(err, "vmsim: -: line 1: expected an `ARG name value` line, found `hello`\n");
}

#[test]
fn a_missing_file_is_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim")).args(["solve", "/nonexistent/problem"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("vmsim: cannot read problem /nonexistent/problem"));
}
