//! Interactive sessions of the built `vmsim`, on a pseudo-terminal (as a user at a terminal
//! runs it): the prompt names the current pid, `switch` says what it did, a line on which the
//! course framework ends its run keeps the session, `quit` leaves, and a script's two streams
//! interleave on a terminal in the order they were produced.
#![cfg(unix)]

use std::process::Command;

use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

/// Generous: the machine is shared; nothing here is timed, this only bounds a hang.
const TIMEOUT_MS: u64 = 30_000;

fn start(args: &[&str]) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vmsim"));
    // Plain text: the session colours its messages on a terminal unless NO_COLOR is set.
    cmd.args(args).env("NO_COLOR", "1");
    spawn_command(cmd, Some(TIMEOUT_MS)).expect("vmsim starts on a pty")
}

/// Everything up to the end, and the exit status.
fn finish(mut p: PtySession) -> (String, i32) {
    let rest = p.exp_eof().expect("the session ends");
    match p.process().wait().expect("vmsim exits") {
        WaitStatus::Exited(_, code) => (rest, code),
        other => panic!("vmsim did not exit normally: {other:?}"),
    }
}

#[test]
fn the_prompt_names_the_current_pid_and_switch_says_what_it_did() {
    let mut p = start(&[]);
    p.exp_string("Enter 'help'").expect("banner");
    p.exp_string("pid 0 >> ").expect("prompt with pid 0");
    p.send_line("alloc 0 rw").expect("send");
    p.exp_string("alloc   0 --> 0").expect("alloc");
    p.send_line("switch 1").expect("send");
    p.exp_string("note: forked process 1 from process 0 (cow fork) and switched to it").expect("fork note");
    p.exp_string("pid 1 >> ").expect("prompt with pid 1");
    p.send_line("switch 0").expect("send");
    p.exp_string("note: switched to process 0").expect("switch note");
    p.exp_string("pid 0 >> ").expect("prompt");
    p.send_line("switch 0").expect("send");
    // Undefined in the framework (solutions differ): refused, interactively without a line number.
    p.exp_string("error: switch 0: already the current process, nothing done").expect("refused");
    p.send_line("ps").expect("send");
    p.exp_string("*   0       -      1       1       0").expect("ps marks the current process");
    p.exp_string("    1       0      1       1       0").expect("ps lists the child");
    p.send_line("quit").expect("send");
    let (_, code) = finish(p);
    assert_eq!(code, 1, "one line was refused");
}

#[test]
fn an_allocated_vpn_or_full_memory_keeps_the_session() {
    let mut p = start(&[]);
    p.exp_string("pid 0 >> ").expect("prompt");
    p.send_line("alloc 1 r").expect("send");
    p.exp_string("alloc   1 --> 0").expect("alloc");
    p.send_line("alloc 1 r").expect("send");
    p.exp_string("1 is already allocated to 0").expect("the framework's line");
    p.exp_string("note: the course framework ends its run here; this session goes on").expect("note");
    p.exp_string("pid 0 >> ").expect("still at the prompt");
    // Fill the other 127 frames, then one more.
    // A line at a time: a terminal's line editor may drop what is typed ahead of its prompt.
    for vpn in 2..=128 {
        p.send_line(&format!("alloc {vpn} r")).expect("send");
        p.exp_string("pid 0 >> ").expect("prompt");
    }
    p.send_line("alloc 200 r").expect("send");
    p.exp_string("memory is full").expect("the framework's line");
    p.exp_string("note: the course framework ends its run here; this session goes on").expect("note");
    p.send_line("read 1").expect("send");
    p.exp_string("  1 --> 0").expect("the machine is still there");
    p.send_line("exit").expect("send");
    let (_, code) = finish(p);
    assert_eq!(code, 0, "the framework's answers are not refusals");
}

#[test]
fn a_script_on_a_terminal_interleaves_both_streams_as_produced() {
    // `show` prints each inner table on standard error and a blank line after it on standard
    // output: on one terminal the blank line must follow its table.
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("show.vm");
    std::fs::write(&script, "alloc 0 r\nalloc 17 rw\nshow\nread 0\n").expect("write");
    let p = start(&[script.to_str().expect("utf-8")]);
    let (all, code) = finish(p);
    assert_eq!(code, 0);
    let all = all.replace("\r\n", "\n");
    let want =
        "alloc   0 --> 0  \nalloc  17 --> 1  \n\n*** PID 0 ***\n00:00 v  | 0  \n\n01:01 vw | 1  \n\n  0 --> 0  \n";
    assert!(all.ends_with(want), "{all:?}");
}
