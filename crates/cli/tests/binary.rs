//! The built `vmsim` binary, as a user runs it: the exit status rule, messages about the
//! script, closed pipes, hostile input, `--echo`, `--help`. (Interactive sessions, which need
//! a terminal, are in `session.rs`.)

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `vmsim ARGS` with `stdin` as standard input.
#[track_caller]
fn vmsim(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vmsim starts");
    let mut input = child.stdin.take().expect("stdin");
    // A refused script may exit before reading all of it: a closed pipe here is fine.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().expect("vmsim ends")
}

/// A script file in a fresh temporary directory.
fn script(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write script");
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn status(o: &Output) -> i32 {
    o.status.code().expect("an exit status, not a signal")
}

#[test]
fn exit_status_0_when_every_line_is_accepted() {
    // `Unable to access` and a kill are the machines' answers, not refusals.
    let o = vmsim(&[], b"alloc 1 r\nwrite 1\nread 7\nshow\npages\n");
    assert_eq!(status(&o), 0, "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("Unable to access 1\n"));
    let o = vmsim(&["--profile", "mtl458"], b"create_ps 4K 0 4K 4K\nwrite_mem 0 0 1\n");
    assert_eq!(status(&o), 0);
    assert!(text(&o.stdout).contains("segmentation fault: pid 0 killed"), "{}", text(&o.stdout));
}

#[test]
fn exit_status_1_when_a_line_is_refused_or_an_operation_fails() {
    // ajou: a VPN past the tables is input the framework crashes on.
    let o = vmsim(&[], b"read 256\nalloc 1 r\n");
    assert_eq!(status(&o), 1);
    assert_eq!(text(&o.stdout), "line 1: error: vpn 256 is outside 0..255\n");
    assert_eq!(text(&o.stderr), "alloc   1 --> 0  \n", "the rest of the script runs");
    let o = vmsim(&["--profile", "mtl458"], b"exit_ps 3\ncreate_ps 4K 0 0 4K\n");
    assert_eq!(status(&o), 1);
    assert_eq!(text(&o.stderr), "line 1: error: exit_ps: no process with pid 3\n");
    assert_eq!(text(&o.stdout), "created pid 0\n");
}

#[test]
fn exit_status_2_for_usage_errors_and_scripts_that_cannot_be_read() {
    let o = vmsim(&["--no-such-option"], b"");
    assert_eq!(status(&o), 2);
    let o = vmsim(&["--profile", "mtl458", "-t"], b"");
    assert_eq!(status(&o), 2);
    assert!(text(&o.stderr).contains("--tlb is for the ajou profile only"), "{}", text(&o.stderr));
    let dir = tempfile::tempdir().expect("tempdir");
    let o = vmsim(&[dir.path().to_str().expect("utf-8 path")], b"");
    assert_eq!(status(&o), 2);
    assert_eq!(text(&o.stderr), format!("vmsim: cannot open script {}: it is a directory\n", dir.path().display()));
}

#[test]
fn a_missing_script_is_named_once_without_os_error_text() {
    let o = vmsim(&["s/nope"], b"");
    assert_eq!(status(&o), 2);
    assert_eq!(text(&o.stderr), "vmsim: cannot open script s/nope: no such file\n");
    assert_eq!(text(&o.stdout), "");
}

#[test]
fn a_missing_create_ps_file_is_named_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = script(&dir, "s.vm", b"create_ps 4K 0 0 4K nope.bin\n");
    let o = vmsim(&["--profile", "mtl458", s.to_str().expect("utf-8")], b"");
    assert_eq!(status(&o), 1);
    let err = text(&o.stderr);
    let shown = dir.path().join("nope.bin");
    assert_eq!(err, format!("line 1: error: create_ps: cannot read FILE {}: no such file\n", shown.display()));
}

#[test]
fn help_states_the_exit_status_and_fits_80_columns() {
    for flag in ["--help", "-h"] {
        let o = vmsim(&[flag], b"");
        assert_eq!(status(&o), 0);
        let help = text(&o.stdout);
        for line in help.lines() {
            assert!(line.chars().count() <= 80, "{flag}: a line of {} columns: {line:?}", line.chars().count());
        }
        assert!(help.contains("--echo") && help.contains("--force"), "{help}");
        if flag == "--help" {
            assert!(help.contains("Exit status"), "{help}");
            for status in ["  0 ", "  1 ", "  2 ", "  141 "] {
                assert!(help.contains(status), "{status:?} in {help}");
            }
        }
    }
}

#[test]
fn the_shell_help_fits_80_columns_in_every_profile() {
    for args in [&["--profile", "ajou"][..], &["--profile", "ajou", "-t"], &["--profile", "mtl458"]] {
        let o = vmsim(args, b"help\n");
        for line in text(&o.stdout).lines() {
            assert!(line.chars().count() <= 80, "{args:?}: {line:?}");
        }
    }
}

/// A script of 200,000 lines that prints on both streams.
fn long_script(dir: &tempfile::TempDir) -> PathBuf {
    let mut s = String::from("alloc 0 rw\n");
    for i in 0..200_000 {
        s.push_str(if i % 2 == 0 { "read 0\n" } else { "frob\n" });
    }
    script(dir, "long.vm", s.as_bytes())
}

#[test]
fn a_closed_standard_output_ends_the_run_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_script(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vmsim starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("a line");
    assert!(first.starts_with("Use file"), "{first:?}");
    drop(out);
    let o = child.wait_with_output().expect("vmsim ends");
    let err = text(&o.stderr);
    assert!(!err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("vmsim:"), "{err}");
    assert_eq!(status(&o), 141);
}

#[test]
fn a_closed_standard_error_ends_the_run_quietly() {
    // `vmsim s 2>&1 >/dev/null | head -1`: standard error is the pipe that closes.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = long_script(&dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsim"))
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vmsim starts");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    err.read_line(&mut first).expect("a line");
    assert_eq!(first, "alloc   0 --> 0  \n");
    drop(err);
    let status = child.wait().expect("vmsim ends");
    assert_eq!(status.code(), Some(141), "not a panic (101)");
}

#[test]
fn files_that_are_not_text_are_refused_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut binary = b"alloc 1 rw\n\x7fELF\x02\x01\x01\0\0\0".to_vec();
    binary.extend((0..4000u32).map(|i| (i * 7 % 251) as u8));
    let path = script(&dir, "a.out", &binary);
    let p = path.to_str().expect("utf-8");
    for profile in ["ajou", "mtl458"] {
        let o = vmsim(&["--profile", profile, p], b"");
        assert_eq!(status(&o), 2, "{profile}");
        assert_eq!(
            text(&o.stderr),
            format!("vmsim: refusing script {p}: it is not text (a NUL byte at offset 18); --force runs it anyway\n")
        );
        assert_eq!(text(&o.stdout), "", "{profile}: nothing of it was run");
    }
    // Invalid UTF-8 in most lines, no NUL.
    let latin1 = script(&dir, "l.vm", b"\xe9t\xe9\n\xe0 \xe9\nshow\n\xff\n");
    let o = vmsim(&[latin1.to_str().expect("utf-8")], b"");
    assert_eq!(status(&o), 2);
    assert!(text(&o.stderr).contains("invalid UTF-8 in 3 of its first 4 lines"), "{}", text(&o.stderr));
    // Standard input too.
    let o = vmsim(&[], &binary);
    assert_eq!(status(&o), 2);
    assert!(text(&o.stderr).starts_with("vmsim: refusing script standard input: it is not text"));
    // With --force it runs.
    let o = vmsim(&["--force", p], b"");
    assert!(text(&o.stderr).starts_with("alloc   1 --> 0  \n"), "{}", text(&o.stderr));
}

#[test]
fn a_stray_nul_byte_in_a_text_script_ends_its_command_as_in_the_framework() {
    // ajou-2021: fgets reads the line, and the NUL ends the C string: `alloc 1 rw` and `read 1`
    // run, `junk` and `write 1` (after a NUL) are never seen, `show` lists VPN 1 read/write.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = script(&dir, "nul.vm", b"alloc 1 rw\0junk\nread 1\0\xff\nr 7\0 write 1\nshow\n");
    let o = vmsim(&[path.to_str().expect("utf-8")], b"");
    assert_eq!(
        text(&o.stderr),
        "alloc   1 --> 0  \n  1 --> 0  \nUnable to access 7\n\n*** PID 0 ***\n00:01 vw | 0  \n"
    );
    assert_eq!(status(&o), 0, "{}", text(&o.stdout));
    // A one-line script too.
    let path = script(&dir, "one.vm", b"alloc 2 r\0\n");
    let o = vmsim(&[path.to_str().expect("utf-8")], b"");
    assert_eq!((status(&o), text(&o.stderr)), (0, "alloc   2 --> 0  \n".to_string()));
}

#[test]
fn dev_zero_is_refused_at_once_in_both_profiles() {
    for profile in ["ajou", "mtl458"] {
        let o = vmsim(&["--profile", profile, "/dev/zero"], b"");
        assert_eq!(status(&o), 2, "{profile}");
        assert!(text(&o.stderr).contains("it is not text (a NUL byte at offset 0)"), "{}", text(&o.stderr));
    }
}

#[test]
fn a_script_stops_after_100_consecutive_refused_lines() {
    // mtl458: every line is an error; the summary goes where its errors go.
    let script: String = "alloc 3 rw\n".repeat(150);
    let o = vmsim(&["--profile", "mtl458"], script.as_bytes());
    assert_eq!(status(&o), 1);
    let err = text(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 101, "{err}");
    assert_eq!(
        lines[100],
        "line 100: stopped: 100 consecutive lines refused (lines 1 to 100); the rest of the script was not run"
    );
    // ajou: refused lines (past the tables) count, on standard output; an accepted line
    // starts the count again.
    let script = format!("{}alloc 1 r\n{}read 1\n", "read 300\n".repeat(99), "read 300\n".repeat(120));
    let o = vmsim(&[], script.as_bytes());
    assert_eq!(status(&o), 1);
    let out = text(&o.stdout);
    assert!(
        out.ends_with(
            "line 200: stopped: 100 consecutive lines refused (lines 101 to 200); the rest of the script was not run\n"
        ),
        "{out}"
    );
    assert_eq!(text(&o.stderr), "alloc   1 --> 0  \n", "the last read is not run");
}

#[test]
fn ajou_unknown_commands_do_not_count_as_refused_lines() {
    let script = format!("{}alloc 1 r\n", "bogus\n".repeat(150));
    let o = vmsim(&[], script.as_bytes());
    assert_eq!(text(&o.stderr), "alloc   1 --> 0  \n", "the framework goes on after them, and so must stderr");
    assert!(!text(&o.stdout).contains("stopped"));
}

#[test]
fn ajou_unknown_commands_with_a_known_name_get_their_usage() {
    let o = vmsim(&[], b"read\nalloc 3\nswitch\nshow 1\nfrob 2\n");
    assert_eq!(text(&o.stderr), "", "standard error stays the framework's");
    assert_eq!(
        text(&o.stdout),
        "Unknown command read\nline 1: usage: read VPN (0 arguments given)\n\
         Unknown command alloc\nline 2: usage: alloc VPN r|rw (1 argument given)\n\
         Unknown command switch\nline 3: usage: switch PID (0 arguments given)\n\
         Unknown command show\nline 4: usage: show (no arguments) (1 argument given)\n\
         Unknown command frob\n"
    );
}

#[test]
fn echo_prints_each_line_before_its_output() {
    let o = vmsim(&["--echo"], b"alloc 1 rw\nfrob\nread 1\n");
    assert_eq!(text(&o.stdout), ">> alloc 1 rw\n>> frob\nUnknown command frob\n>> read 1\n");
    assert_eq!(text(&o.stderr), "alloc   1 --> 0  \n  1 --> 0  \n", "standard error is unchanged");
    let o = vmsim(&["--echo", "--profile", "mtl458"], b"create_ps 4K 0 0 4K\nps\n");
    assert_eq!(
        text(&o.stdout),
        "mtl458> create_ps 4K 0 0 4K\ncreated pid 0\nmtl458> ps\n  PID  PARENT  PAGES  SHARED  FAULTS\n    0       -      2       0       0\n"
    );
}

#[test]
fn ps_lists_processes_in_both_profiles() {
    // ajou: process 0 maps 2 pages; `switch 1` forks it (both share the 2 frames); the write
    // in process 1 is a copy-on-write fault that copies the page: 1 shared page left each.
    let o = vmsim(&[], b"alloc 0 rw\nalloc 1 r\nswitch 1\nwrite 0\nps\n");
    assert_eq!(
        text(&o.stdout),
        "  PID  PARENT  PAGES  SHARED  FAULTS\n    0       -      2       1       0\n*   1       0      2       1       1\n"
    );
    let o = vmsim(&["--profile", "mtl458"], b"create_ps 4K 0 4K 4K\nfork_ps 0\nps\n");
    assert_eq!(
        text(&o.stdout),
        "created pid 0\nforked pid 0: child pid 1\n  PID  PARENT  PAGES  SHARED  FAULTS\n    0       -      3       0       0\n    1       0      3       0       0\n"
    );
}

#[test]
fn print_page_table_valid_shows_only_present_entries() {
    let o = vmsim(&["--profile", "mtl458"], b"create_ps 4K 0 0 4K\nprint_page_table 0 --valid\n");
    assert_eq!(
        text(&o.stdout),
        "created pid 0\n------ Printing page table-------\n\
         Page num: 0, frame num: 18432, R:1, W:0, X:1, P1\n\
         Page num: 1023, frame num: 18433, R:1, W:1, X:0, P1\n"
    );
    let o = vmsim(&["--profile", "mtl458"], b"create_ps 4K 0 0 4K\nprint_page_table 0 --all\n");
    assert_eq!(status(&o), 1);
    assert_eq!(text(&o.stderr), "line 2: error: print_page_table: '--all' is not an option (only --valid)\n");
}

#[test]
fn silent_no_ops_are_refused_with_a_reason() {
    let o = vmsim(
        &["--profile", "mtl458"],
        b"create_ps 4K 0 0 4K\nallocate_pages 0 0x100000 0 rw\nallocate_pages 0 0x100000 1 0\ndeallocate_pages 0 0x100000 0\n",
    );
    assert_eq!(status(&o), 1);
    assert_eq!(
        text(&o.stderr),
        "line 2: error: allocate_pages: N is 0: no page to map or unmap (the line does nothing)\n\
         line 3: error: allocate_pages: FLAGS '0' gives no permission: use r, w, x or a number 1..7\n\
         line 4: error: deallocate_pages: N is 0: no page to map or unmap (the line does nothing)\n"
    );
}

/// `Path` of the workspace root, for the install check.
fn workspace_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn plain_cargo_run_in_the_root_starts_the_shell() {
    // `cargo run` picks the one binary among the default members: only `cli` has one there.
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).expect("root manifest");
    let line = manifest.lines().find(|l| l.starts_with("default-members")).expect("default-members");
    assert!(line.contains("\"crates/cli\""), "{line}");
    assert!(!line.contains("\"xtask\""), "xtask has a binary too: `cargo run` would not know which to run");
    let cli = std::fs::read_to_string(workspace_root().join("crates/cli/Cargo.toml")).expect("cli manifest");
    assert!(cli.contains("default-run = \"vmsim\""));
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README");
    assert!(readme.contains("cargo install --path crates/cli"), "the README says how to install vmsim");
}

#[test]
fn machine_names_take_any_case_and_a_machine_file_keeps_its_spelling() {
    // `--machine X86-64` and `SV39` were refused as unknown machines.
    let run = b"create_ps 4K 4K 4K 8K\nwalk 0 0\n";
    for (given, canonical) in [("X86-64", "x86-64"), ("SV39", "sv39"), ("AArch64-4K", "aarch64-4k")] {
        let (o, want) = (vmsim(&["--machine", given], run), vmsim(&["--machine", canonical], run));
        assert_eq!((status(&o), text(&o.stderr)), (0, String::new()), "{given}");
        assert_eq!(text(&o.stdout), text(&want.stdout), "{given}");
    }
    let o = vmsim(&["--machine", "X86"], b"");
    assert_eq!(status(&o), 2);
    assert!(
        text(&o.stderr).contains("unknown machine `X86` (known: ajou, mtl458, x86-32, x86-64,"),
        "{}",
        text(&o.stderr)
    );
    // A machine file is read under its own name, whatever the case of its extension.
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/machines/ajou-format.toml");
    let file = script(&dir, "Mine.TOML", &std::fs::read(toml).expect("the scenario's machine file"));
    let o = vmsim(&["--machine", file.to_str().expect("utf-8 path")], b"");
    assert_eq!(status(&o), 0, "{}", text(&o.stderr));
    // `vmsim replay --machine` reads the same names.
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testcases/traces/belady.pages");
    let o = vmsim(&["replay", trace.to_str().expect("utf-8 path"), "--frames", "3", "--machine", "SV39"], b"");
    assert_eq!(status(&o), 0, "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("machine     sv39: 3 user frames"), "{}", text(&o.stdout));
}
