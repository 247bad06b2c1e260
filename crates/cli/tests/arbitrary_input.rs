//! No input makes the shell panic or break the machine: arbitrary bytes, and command-shaped
//! lines built from each language's words, go through `Shell::execute` for both machines, and
//! the kernel's invariants hold after every line.

use cli::{Flow, Machine, Shell};
use proptest::prelude::*;

/// Words that make lines look like commands of either language, so that operations really run
/// (arbitrary bytes alone almost never form a command).
const WORDS: &[&str] = &[
    "tlb",
    "alloc",
    "a",
    "free",
    "f",
    "read",
    "r",
    "write",
    "w",
    "access",
    "switch",
    "s",
    "show",
    "pages",
    "frames",
    "help",
    "?",
    "stats",
    "check",
    "create_ps",
    "fork_ps",
    "exit_ps",
    "allocate_pages",
    "deallocate_pages",
    "read_mem",
    "write_mem",
    "print_page_table",
    "fork_policy",
    "eager",
    "cow",
    "rw",
    "rx",
    "rwx",
    "wr",
    "x",
    "#",
    "0",
    "1",
    "2",
    "3",
    "7",
    "15",
    "16",
    "255",
    "256",
    "-1",
    "0x10",
    "017",
    "08",
    "4K",
    "8K",
    "1M",
    "0x1000",
    "0x100000",
    "0x3ff000",
    "4194304",
    "4294967295",
    "4294967296",
    "99999999999999999999999",
    "ALLOC",
    "Read",
];

/// One input line: arbitrary bytes, or words of the languages with arbitrary separators.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let word = prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(|w| w.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..12),
    ];
    let sep = proptest::sample::select(&[" ", "\t", "  ", "\x0b", "\r"][..]);
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..64),
        4 => proptest::collection::vec((word, sep), 0..7).prop_map(|ws| {
            let mut l = Vec::new();
            for (w, s) in ws {
                l.extend_from_slice(&w);
                l.extend_from_slice(s.as_bytes());
            }
            l
        }),
    ]
}

/// Feeds `lines` to a fresh shell of `machine`, both as a script and interactively, checking
/// the machine after every line.
fn feed(machine: Machine, interactive: bool, tlb: bool, lines: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let mut sh = Shell::new(machine, interactive, None).expect("machine");
    if tlb {
        sh.enable_tlb().expect("ajou has a TLB mode");
    }
    let (mut out, mut err) = (Vec::new(), Vec::new());
    for (i, l) in lines.iter().enumerate() {
        let flow = sh.execute(l, i + 1, &mut out, &mut err).expect("writing to a Vec cannot fail");
        if let Err(e) = sh.kernel().check() {
            return Err(TestCaseError::fail(format!("after line {} {:?}: {e}", i + 1, String::from_utf8_lossy(l))));
        }
        if flow == Flow::Stop {
            break;
        }
        out.clear();
        err.clear();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn ajou_survives_anything(
        lines in proptest::collection::vec(line(), 0..60),
        interactive in any::<bool>(),
        tlb in any::<bool>(),
    ) {
        feed(Machine::Ajou, interactive, tlb, &lines)?;
    }

    #[test]
    fn mtl458_survives_anything(lines in proptest::collection::vec(line(), 0..60), interactive in any::<bool>()) {
        feed(Machine::Mtl458, interactive, false, &lines)?;
    }
}

#[test]
fn long_lines_nuls_and_bad_utf8_are_handled() {
    for machine in [Machine::Ajou, Machine::Mtl458] {
        let mut script = Vec::new();
        script.extend(std::iter::repeat_n(b'x', 1 << 20));
        script.push(b'\n');
        script.extend(std::iter::repeat_n(b' ', 1 << 20));
        script.extend_from_slice(
            b"read 1\n\xff\xfe\xfd 7\nwrite\0 junk\n-------------------------------------------------5\n",
        );
        script.extend(std::iter::repeat_n(b'-', 1 << 20));
        script.extend_from_slice(b"5 no final newline");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = cli::run_script(machine, &script[..], None, &mut out, &mut err).unwrap();
        assert_eq!(status, 1, "{machine:?}: these lines are all rejected");
        // One message a rejected line. `ajou` reads as the framework's `fgets`: a line is cut
        // into pieces of at most 4,095 bytes, each a command (an unknown word, echoed whole as
        // the framework does, or blanks); `read 1` ends the last piece of blanks and is refused
        // (no inner table). `mtl458` refuses a line over 1 MiB whole (the blanks and `read 1`,
        // the last line) and its messages are short however long the line was. `write` alone
        // is an unknown command with a known name: its usage follows on a second line.
        const MIB: usize = 1 << 20;
        let pieces = |len: usize| len.div_ceil(4095);
        let (messages, count, bound) = match machine {
            Machine::Ajou => (&out, pieces(MIB) + 1 + 3 + 1 + pieces(MIB + 18), 2 * MIB + 20_000),
            Machine::Mtl458 => (&err, 6, 2000),
        };
        assert!(messages.len() < bound, "{machine:?}: {} bytes of messages", messages.len());
        let lines = messages.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(
            lines,
            count,
            "{machine:?}: {}",
            String::from_utf8_lossy(&messages[messages.len().saturating_sub(2000)..])
        );
    }
}

/// `Shell::execute` line by line stops where `Shell::run_script` stops, after
/// `cli::REFUSED_LIMIT` consecutive refused lines, with the same output: drivers that feed
/// lines one at a time (the fuzz target, `vmsim view`, `vmsim grade`) see the script end as the
/// command line does.
#[test]
fn line_by_line_stops_after_the_refused_limit_as_a_script_does() {
    // Refused in each machine: ajou, a VPN past the tables; mtl458, an unknown command.
    for (machine, refused) in [(Machine::Ajou, "read 999\n"), (Machine::Mtl458, "nonsense\n")] {
        let script = refused.repeat(cli::REFUSED_LIMIT + 20);
        let mut sh = Shell::new(machine, false, None).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut ran = 0;
        for (i, line) in script.split_inclusive('\n').enumerate() {
            ran += 1;
            if sh.execute(line.as_bytes(), i + 1, &mut out, &mut err).unwrap() == Flow::Stop {
                break;
            }
        }
        assert_eq!(ran, cli::REFUSED_LIMIT, "{machine:?}: line by line ran {ran} lines");

        let mut sh2 = Shell::new(machine, false, None).unwrap();
        let (mut out2, mut err2) = (Vec::new(), Vec::new());
        let status = sh2.run_script(script.as_bytes(), None, &mut out2, &mut err2).unwrap();
        assert_eq!(status, 1, "{machine:?}");
        assert_eq!(out, out2, "{machine:?}: standard output");
        assert_eq!(err, err2, "{machine:?}: standard error");
    }
}

/// Runs `lines` on `sh` from its state now, returning standard output, standard error, the
/// status and each line's `check()` result.
fn transcript(sh: &mut Shell, lines: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>, i32, Vec<String>) {
    let (mut out, mut err, mut checks) = (Vec::new(), Vec::new(), Vec::new());
    for (i, l) in lines.iter().enumerate() {
        let flow = sh.execute(l, i + 1, &mut out, &mut err).expect("writing to a Vec cannot fail");
        checks.push(format!("{:?}", sh.kernel().check()));
        if flow == Flow::Stop {
            break;
        }
    }
    (out, err, sh.status(), checks)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `Shell::reset` (how the fuzz target reuses a machine): after one random script, a reset
    /// shell runs a second random script to the same output, status and `check()` results as a
    /// fresh shell.
    #[test]
    fn a_reset_shell_is_a_fresh_one(
        first in proptest::collection::vec(line(), 0..40),
        second in proptest::collection::vec(line(), 0..40),
        mtl458 in any::<bool>(),
        interactive in any::<bool>(),
        tlb in any::<bool>(),
    ) {
        let machine = if mtl458 { Machine::Mtl458 } else { Machine::Ajou };
        let mut used = Shell::new(machine, interactive, None).expect("machine");
        if tlb && machine == Machine::Ajou {
            used.enable_tlb().expect("ajou has a TLB mode");
        }
        used.set_echo(true);
        transcript(&mut used, &first);
        used.reset();
        let mut fresh = Shell::new(machine, interactive, None).expect("machine");
        prop_assert_eq!(transcript(&mut used, &second), transcript(&mut fresh, &second));
    }
}
