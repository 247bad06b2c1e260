//! Tests of the `ajou` command language through `Shell`: formats, refusals, undefined input,
//! interactive differences and the TLB mode. The quick parser's tests are beside it.

use crate::{Machine, Shell};

/// One log behind two writers: what a terminal shows when both streams go to it.
#[derive(Clone, Default)]
struct Terminal(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Terminal {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_line_printing_on_both_streams_interleaves_them_as_printed() {
    // `show` prints entries on standard error and a blank line after each inner table on
    // standard output: on a terminal the blank line follows the table.
    let mut sh = Shell::new(Machine::Ajou, false, None).unwrap();
    let term = Terminal::default();
    let (mut out, mut err) = (term.clone(), term.clone());
    for (i, line) in ["alloc 0 r", "alloc 17 rw", "show"].into_iter().enumerate() {
        sh.execute(line.as_bytes(), i + 1, &mut out, &mut err).unwrap();
    }
    let shown = String::from_utf8(term.0.borrow().clone()).unwrap();
    let expected = "alloc   0 --> 0  \nalloc  17 --> 1  \n\n*** PID 0 ***\n00:00 v  | 0  \n\n01:01 vw | 1  \n\n";
    assert_eq!(shown, expected);
}

/// Runs `script` through one shell; returns (stdout, stderr, failed).
#[track_caller]
fn run(interactive: bool, script: &str) -> (String, String, bool) {
    let mut sh = Shell::new(Machine::Ajou, interactive, None).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    for (i, line) in script.lines().enumerate() {
        if sh.execute(line.as_bytes(), i + 1, &mut out, &mut err).unwrap() == crate::Flow::Stop {
            break;
        }
    }
    sh.kernel().check().unwrap();
    (String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap(), sh.failed())
}

#[test]
fn alloc_read_write_and_their_formats() {
    let (out, err, failed) = run(false, "ALLOC 3 RW\nread 3\nw 3\na 0x10 r\nwrite 16\naccess 16 r\n");
    assert_eq!(out, "");
    assert_eq!(
        err,
        "alloc   3 --> 0  \n  3 --> 0  \n  3 --> 0  \nalloc  16 --> 1  \nUnable to access 16\n 16 --> 1  \n"
    );
    assert!(!failed, "a refused access is the machine's answer, not a failure");
}

#[test]
fn alloc_w_alone_is_read_write_and_other_letters_are_ignored() {
    let (_, err, _) = run(false, "alloc 1 w\nread 1\nwrite 1\nalloc 2 rx\nwrite 2\n");
    assert_eq!(err, "alloc   1 --> 0  \n  1 --> 0  \n  1 --> 0  \nalloc   2 --> 1  \nUnable to access 2\n");
}

#[test]
fn alloc_of_an_allocated_vpn_ends_the_run() {
    let (_, err, failed) = run(false, "alloc 5 r\nalloc 5 rw\nalloc 6 r\n");
    assert_eq!(err, "alloc   5 --> 0  \n5 is already allocated to 0\n");
    assert!(!failed, "the framework's own end of the run, not a refused line");
}

#[test]
fn full_memory_ends_the_run() {
    let script: String = (0..129).map(|v| format!("alloc {v} r\n")).collect::<String>() + "pages\n";
    let (_, err, failed) = run(false, &script);
    assert!(err.ends_with("alloc 127 --> 127\nmemory is full\n"), "{err}");
    assert!(!failed, "the framework's own end of the run, not a refused line");
}

#[test]
fn free_prints_before_freeing_and_refuses_unallocated() {
    let (_, err, failed) = run(false, "alloc 1 rw\nfree 1\nfree 1\nread 1\nalloc 1 r\n");
    assert_eq!(err, "alloc   1 --> 0  \nfree 1 (pfn 0)\n1 is not allocated\nUnable to access 1\nalloc   1 --> 0  \n");
    assert!(!failed, "freeing an unallocated page is the framework's ordinary output");
}

#[test]
fn show_hides_invalid_entries_in_scripts_only() {
    let script = "alloc 1 rw\nalloc 17 r\nfree 1\nshow\n";
    let (out, err, _) = run(false, script);
    assert_eq!(out, "\n\n");
    assert_eq!(err, "alloc   1 --> 0  \nalloc  17 --> 1  \nfree 1 (pfn 0)\n\n*** PID 0 ***\n01:01 v  | 1  \n");
    let (out, err, _) = run(true, script);
    assert_eq!(out, "\n\n");
    let table: Vec<&str> = err.lines().skip(5).collect();
    assert_eq!(table.len(), 32);
    assert_eq!(table[1], "00:01    | 0  ");
    assert_eq!(table[17], "01:01 v  | 1  ");
    assert_eq!(table[31], "01:15    | 0  ");
}

#[test]
fn switch_forks_copy_on_write_and_pages_counts() {
    let (_, err, _) = run(false, "alloc 0 rw\nswitch 1\npages\nwrite 0\npages\nswitch 0\nshow\nswitch 0\n");
    assert_eq!(err, "alloc   0 --> 0  \n  0: 2\n\n  0 --> 1  \n  0: 1\n  1: 1\n\n\n*** PID 0 ***\n00:00 v  | 0  \n");
}

#[test]
fn unknown_commands_go_to_stdout_lower_cased() {
    let (out, err, failed) = run(false, "Fly\nshow 3\nREAD 1 2\nexit now\nframes\npages#\n");
    // A known name with the wrong number of words gets its usage on a second line.
    assert_eq!(
        out,
        "Unknown command fly\nUnknown command show\nline 2: usage: show (no arguments) (1 argument given)\n\
         Unknown command read\nline 3: usage: read VPN (2 arguments given)\n\
         Unknown command exit\nline 4: usage: exit (no arguments) (1 argument given)\n\
         Unknown command frames\nUnknown command pages#\n"
    );
    assert_eq!(err, "");
    assert!(!failed, "the framework goes on after an unknown command: ordinary output");
}

#[test]
fn undefined_input_is_an_error_on_stdout_and_changes_nothing() {
    let (out, err, failed) = run(
        false,
        "alloc 1 r\nread 256\nalloc -1 r\nwrite 0x100\nfree 4294967552\nalloc 2 r w\naccess 1 x\nalloc 2 x\n\
         switch 0\nread 77\n",
    );
    assert_eq!(err, "alloc   1 --> 0  \nUnable to access 77\n");
    assert!(failed);
    let want = [
        "line 2: error: vpn 256 is outside 0..255",
        "line 3: error: vpn '-1' reads as 4294967295, outside 0..255",
        "line 4: error: vpn '0x100' reads as 256, outside 0..255",
        "line 5: error: vpn '4294967552' reads as 256, outside 0..255",
        "line 6: error: too many words: a command has at most 3",
        "line 7: error: access takes r or w: 'x' has neither",
        "line 8: error: alloc takes flags with r or w: 'x' has neither",
        "line 9: error: switch 0: already the current process, nothing done",
        "line 10: error: vpn 77: its inner page table was never allocated",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
}

#[test]
fn words_are_numbers_as_strtoimax_reads_them() {
    let script = "alloc 3 rw\nalloc 7 rw\nalloc 0 rw\nwrite 3#x\nread 7abc\nread abc\nread 0x\nread 08\n\
                  read 4294967299\naccess 3 rw\nread +7\nr 0x07\nw 03\n";
    let (out, err, failed) = run(false, script);
    assert_eq!(out, "");
    let reads = ["  3 --> 0  ", "  7 --> 1  ", "  0 --> 2  ", "  0 --> 2  ", "  0 --> 2  ", "  3 --> 0  "];
    let want = ["alloc   3 --> 0  ", "alloc   7 --> 1  ", "alloc   0 --> 2  "].into_iter().chain(reads).chain([
        "  3 --> 0  ",
        "  7 --> 1  ",
        "  7 --> 1  ",
        "  3 --> 0  ",
    ]);
    assert_eq!(err.lines().collect::<Vec<_>>(), want.collect::<Vec<_>>());
    assert!(!failed);
}

#[test]
fn odd_pids_are_32_bit_numbers() {
    let (out, err, failed) =
        run(false, "alloc 1 rw\nswitch -1\nshow\ns 0x\ns 4294967296\nshow\nswitch 99999999999999999999\nshow\n");
    assert_eq!(out, "\nline 5: error: switch 0: already the current process, nothing done\n\n\n");
    assert_eq!(
        err,
        "alloc   1 --> 0  \n\n*** PID 4294967295 ***\n00:01 v  | 0  \n\n*** PID 0 ***\n00:01 v  | 0  \n\
         \n*** PID 4294967295 ***\n00:01 v  | 0  \n"
    );
    assert!(failed, "`s 4294967296` is a switch to pid 0, the current one: refused");
}

#[test]
fn interactive_errors_have_no_line_number() {
    let (out, _, _) = run(true, "read 999\n");
    assert_eq!(out, "error: vpn 999 is outside 0..255\n");
}

#[test]
fn comments_blank_lines_nul_and_exit() {
    let (out, err, failed) = run(false, "# comment\n\n   \nalloc 1 rw # note\nread 1\0 junk\nexit\nread 1\n");
    assert_eq!(out, "");
    assert_eq!(err, "alloc   1 --> 0  \n  1 --> 0  \n");
    assert!(!failed);
}

/// Runs `script` in TLB mode; returns stderr.
#[track_caller]
fn run_tlb(script: &str) -> String {
    let mut sh = Shell::new(Machine::Ajou, false, None).unwrap();
    sh.enable_tlb().unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    sh.run_script(script.as_bytes(), None, &mut out, &mut err).unwrap();
    sh.kernel().check().unwrap();
    String::from_utf8(err).unwrap()
}

#[test]
fn tlb_mode_marks_hits_and_misses() {
    let err = run_tlb("alloc 5 rw\nread 5\nwrite 5\nread 6\ntlb\nfree 5\nread 5\ntlb\n");
    assert_eq!(
        err,
        "alloc   5 --> 0  \nx |   5 --> 0  \no |   5 --> 0  \nUnable to access 6\n  5 -> 0  \n\
         free 5 (pfn 0)\nUnable to access 5\n"
    );
}

#[test]
fn tlb_is_flushed_on_switch_and_refills_after_copy_on_write() {
    let err = run_tlb("alloc 5 rw\nread 5\nswitch 1\ntlb\nwrite 5\nwrite 5\nswitch 1\ntlb\nswitch 0\ntlb\nread 5\n");
    assert_eq!(
        err,
        "alloc   5 --> 0  \nx |   5 --> 0  \nx |   5 --> 1  \no |   5 --> 1  \n  5 -> 1  \nx |   5 --> 0  \n"
    );
}

#[test]
fn tlb_hits_ignore_permissions_as_the_framework_did() {
    // The framework's lookup_tlb is not told the access kind: a cached read-only page hits
    // on write too.
    let err = run_tlb("alloc 5 r\nwrite 5\nread 5\nwrite 5\n");
    assert_eq!(err, "alloc   5 --> 0  \nUnable to access 5\nx |   5 --> 0  \no |   5 --> 0  \n");
}

#[test]
fn tlb_is_an_unknown_command_without_the_mode() {
    let (out, _, _) = run(false, "tlb\n");
    assert_eq!(out, "Unknown command tlb\n");
    assert!(!run(false, "help\n").0.contains("tlb"));
    let mut sh = Shell::new(Machine::Ajou, false, None).unwrap();
    sh.enable_tlb().unwrap();
    let mut out = Vec::new();
    sh.execute(b"help", 1, &mut out, &mut Vec::new()).unwrap();
    assert!(String::from_utf8(out).unwrap().contains("\n  tlb "));
    let mut mtl = Shell::new(Machine::Mtl458, false, None).unwrap();
    assert!(mtl.enable_tlb().is_err());
}

#[test]
fn extras_stats_and_check() {
    let (out, _, failed) = run(false, "alloc 1 rw\nstats\ncheck\n");
    assert!(out.contains("processes: 1 live"), "{out}");
    assert!(out.contains("user frames: 127 of 128 free"), "{out}");
    assert!(out.ends_with("check: ok\n"), "{out}");
    assert!(!failed);
}
