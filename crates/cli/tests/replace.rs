//! `vmsim replace` end to end, on strings whose results were worked out by hand (the working
//! is in `crates/policy/tests/hand.rs` and in the comments here).

use std::process::Command;

/// Runs `vmsim replace ARGS...`: (status, stdout, stderr).
fn replace(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vmsim")).arg("replace").args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

const BELADY: &str = "1,2,3,4,1,2,5,1,2,3,4,5";

#[test]
fn lru_trace_on_belady() {
    let (status, out, err) = replace(&["--policy", "lru", "--frames", "3", BELADY]);
    assert_eq!((status, err.as_str()), (0, ""));
    // Frames fill 0, 1, 2; each victim's frame takes the new page.
    let want = "\
lru, 3 frames, 12 references
    t  ref     hit?  victim     frames
    0  1       miss  -          1 - -
    1  2       miss  -          1 2 -
    2  3       miss  -          1 2 3
    3  4       miss  1          4 2 3
    4  1       miss  2          4 1 3
    5  2       miss  3          4 1 2
    6  5       miss  4          5 1 2
    7  1       hit   -          5 1 2
    8  2       hit   -          5 1 2
    9  3       miss  5          3 1 2
   10  4       miss  1          3 4 2
   11  5       miss  2          3 4 5
totals: 12 references, 2 hits, 10 faults (5 minor, 5 major), 7 evictions (7 clean, 0 dirty), 0 disk writes, 5 disk reads
";
    assert_eq!(out, want);
}

#[test]
fn second_chance_shows_r_bits_and_the_hand() {
    let (status, out, _) = replace(&["--policy", "second", "--frames", "3", "1,2,3,1,4w"]);
    assert_eq!(status, 0);
    // 1 2 3 enter with R=0, the hit sets 1's R; 4 clears frame 0 and evicts frame 1 (2).
    assert!(out.contains("    3  1       hit   -          1(R=1) 2(R=0) 3(R=0)  hand 0\n"), "{out}");
    assert!(out.contains("    4  4w      miss  2          1(R=0) 4(R=0) 3(R=0)  hand 2\n"), "{out}");
}

#[test]
fn sweep_flags_belady_anomaly() {
    let (status, out, _) = replace(&["--policy", "fifo,lru", "--frames", "3..4", BELADY]);
    assert_eq!(status, 0);
    assert_eq!(
        out,
        "frames    fifo     lru\n     3       9      10\n     4      10       8\n\
         Belady's anomaly: fifo faults 10 times with 4 frames, more than 9 with 3\n"
    );
    let (_, out, _) = replace(&["--policy", "lru", "--frames", "3..4", BELADY]);
    assert!(out.ends_with("no Belady anomaly (no policy faults more with more frames)\n"), "{out}");
}

#[test]
fn ostep_format_for_lru() {
    // paging-policy.py's LRU list: least recent left; a hit moves the page right.
    let (status, out, _) = replace(&["--policy", "lru", "--format", "ostep", "--frames", "2", "1,2,1,3"]);
    assert_eq!(status, 0);
    assert_eq!(
        out,
        "\
Access: 1  MISS LRU ->          [1] <- MRU Replaced:- [Hits:0 Misses:1]
Access: 2  MISS LRU ->       [1, 2] <- MRU Replaced:- [Hits:0 Misses:2]
Access: 1  HIT  LRU ->       [2, 1] <- MRU Replaced:- [Hits:1 Misses:2]
Access: 3  MISS LRU ->       [1, 3] <- MRU Replaced:2 [Hits:1 Misses:3]
FINALSTATS hits 1   misses 3   hitrate 25.00
"
    );
}

#[test]
fn references_from_a_file_with_writes() {
    let dir = std::env::temp_dir().join(format!("vmsim-replace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("refs.txt");
    std::fs::write(&file, "# two frames\n1w 2\n3 1\n").unwrap();
    let (status, out, _) = replace(&["--policy", "fifo", "--frames", "2", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(status, 0);
    // 3 evicts 1, written: one dirty eviction; 1 comes back from the disk and evicts 2.
    assert!(out.contains("    2  3       miss  1 dirty    3 2\n"), "{out}");
    assert!(out.ends_with(
        "totals: 4 references, 0 hits, 4 faults (3 minor, 1 major), 2 evictions (1 clean, 1 dirty), 1 disk write, 1 disk read\n"
    ));
}

#[test]
fn ostep_format_takes_policy_names_in_any_case() {
    // As every other --policy does, and as paging-policy.py itself spells them (`-p FIFO`).
    // FIFO, 2 frames, 1,2,3: 3 replaces 1, the first in.
    let want = "\
Access: 1  MISS FirstIn ->          [1] <- Lastin  Replaced:- [Hits:0 Misses:1]
Access: 2  MISS FirstIn ->       [1, 2] <- Lastin  Replaced:- [Hits:0 Misses:2]
Access: 3  MISS FirstIn ->       [2, 3] <- Lastin  Replaced:1 [Hits:0 Misses:3]
FINALSTATS hits 0   misses 3   hitrate 0.00
";
    for name in ["fifo", "FIFO", "Fifo"] {
        let (status, out, err) = replace(&["--policy", name, "--format", "ostep", "--frames", "2", "1,2,3"]);
        assert_eq!((status, err.as_str(), out.as_str()), (0, "", want), "{name}");
    }
}

#[test]
fn option_values_take_any_case_as_the_shell_does() {
    // The shell takes `--opt-ties Frame` and `--policy FIFO`; replace refused `Frame`, `OSTEP`.
    // opt, 1 frame, 1,2: 2 replaces 1 under either tie rule.
    let (status, out, err) = replace(&["--policy", "OPT", "--opt-ties", "Frame", "--frames", "1", "1,2"]);
    assert_eq!((status, err.as_str()), (0, ""));
    assert!(out.contains("    1  2       miss  1          2\n"), "{out}");
    let (status, out, err) = replace(&["--policy", "lru", "--format", "OSTEP", "--frames", "1", "1"]);
    assert_eq!((status, err.as_str()), (0, ""));
    assert_eq!(
        out,
        "Access: 1  MISS LRU ->          [1] <- MRU Replaced:- [Hits:0 Misses:1]\nFINALSTATS hits 0   misses 1   hitrate 0.00\n"
    );
}

#[test]
fn a_negative_number_is_the_option_s_bad_value() {
    // clap read `-1` as a stray argument (`unexpected argument '-1' found`, with a tip to write
    // `-- -1`, which makes it the reference string); it is the option's value, and not a u64.
    for (opt, name) in [("--seed", "SEED"), ("--period", "REFS"), ("--tau", "REFS")] {
        let (status, _, err) = replace(&["--policy", "random,nru,wsclock", opt, "-1", "1,2"]);
        assert_eq!(status, 2, "{err}");
        assert!(err.starts_with(&format!("error: invalid value '-1' for '{opt} <{name}>'")), "{err}");
    }
}

#[test]
fn errors_are_one_line() {
    for (args, want) in [
        (&["--policy", "lru", "1,2,x"][..], "vmsim: the reference string: line 1, reference 3: `x`"),
        (&["--policy", "belady", "1,2"][..], "vmsim: --policy: unknown policy `belady`"),
        (&["--policy", "lru,Belady", "1,2"][..], "vmsim: --policy: unknown policy `Belady`"),
        (&["--frames", "0", "1,2"][..], "vmsim: --frames: `0` is not a frame count"),
        (&["--format", "ostep", "--policy", "clock", "1,2"][..], "vmsim: --format ostep: unknown policy `clock`"),
        (&["--format", "ostep", "--frames", "1..3", "1,2"][..], "vmsim: --format ostep takes one frame count"),
        (&["--policy", "nru", "--period", "0", "1,2"][..], "vmsim: --period: the period must be at least 1"),
        // An option no policy given reads would silently do nothing.
        (
            &["--policy", "fifo", "--period", "5", "1,2"][..],
            "vmsim: --period: only nru and aging take a tick period, not fifo",
        ),
        (
            &["--policy", "fifo,lru", "--seed", "5", "1,2"][..],
            "vmsim: --seed: only random takes a seed, not fifo or lru",
        ),
        (
            &["--policy", "nru", "--tau", "5", "1,2"][..],
            "vmsim: --tau: only wsclock takes a working-set window, not nru",
        ),
        (
            &["--policy", "lru", "--opt-ties", "frame", "1,2"][..],
            "vmsim: --opt-ties: only opt takes a tie rule, not lru",
        ),
        (
            &["--format", "ostep", "--policy", "opt", "--opt-ties", "frame", "1,2"][..],
            "vmsim: --opt-ties: --format ostep",
        ),
    ] {
        let (status, out, err) = replace(args);
        // Usage errors and unreadable references: status 2 (docs/usage.md).
        assert_eq!((status, out.as_str()), (2, ""), "{args:?}");
        assert!(err.starts_with(want), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn a_policy_option_is_taken_when_any_policy_given_reads_it() {
    // fifo ignores --period, nru reads it: the run goes ahead (fifo's trace is the same).
    let (status, out, err) = replace(&["--policy", "fifo,nru", "--period", "2", "--frames", "1", "1,2"]);
    assert_eq!((status, err.as_str()), (0, ""));
    assert!(out.starts_with("fifo, 1 frame"), "{out}");
}

#[test]
fn counts_of_one_are_singular() {
    // They said `1 frames, 1 references` and `1 faults`.
    let (status, out, err) = replace(&["--policy", "lru", "--frames", "1", "5"]);
    assert_eq!((status, err.as_str()), (0, ""));
    assert!(out.starts_with("lru, 1 frame, 1 reference\n"), "{out}");
    assert!(
        out.ends_with(
            "totals: 1 reference, 0 hits, 1 fault (1 minor, 0 major), 0 evictions (0 clean, 0 dirty), 0 disk writes, 0 disk reads\n"
        ),
        "{out}"
    );
}
