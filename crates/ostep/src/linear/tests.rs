//! Hand-worked problems and property tests of `linear` against a naive model.

use super::*;

/// A problem as the script prints it: sizes as given, `entries` (verbose with `-v`), the
/// addresses as `-A` would list them.
fn problem(sizes: [&str; 3], verbose: bool, entries: &[u32], vas: &[i128]) -> String {
    let list: Vec<String> = vas.iter().map(i128::to_string).collect();
    let mut t = format!(
        "ARG seed 0\nARG address space size {}\nARG phys mem size {}\nARG page size {}\nARG verbose {}\nARG addresses {}\n\n\n",
        sizes[0],
        sizes[1],
        sizes[2],
        if verbose { "True" } else { "False" },
        list.join(",")
    );
    for line in PROSE {
        t += line;
        t += "\n";
    }
    for (i, e) in entries.iter().enumerate() {
        if verbose {
            t += &format!("  [{i:8}]  0x{e:08x}\n");
        } else {
            t += &format!("  0x{e:08x}\n");
        }
    }
    t += "\nVirtual Address Trace\n";
    for &va in vas {
        t += &format!("  VA 0x{} (decimal: {va:8}) --> PA or invalid address?\n", PyHex { value: va, width: 8 });
    }
    t += "\n";
    for line in INSTRUCTIONS {
        t += line;
        t += "\n";
    }
    t + "\n"
}

#[track_caller]
fn answer(text: &str) -> String {
    LinearProblem::parse(text).unwrap().solve().unwrap().to_string()
}

#[track_caller]
fn parse_error(text: &str) -> ParseError {
    LinearProblem::parse(text).unwrap_err()
}

/// 32-byte address space, 16-byte pages: VPN 0 invalid, VPN 1 in frame 3.
const SMALL: [&str; 3] = ["32", "64", "16"];
const TABLE: [u32; 2] = [0, 0x8000_0003];

#[test]
fn hand_worked_translations() {
    // 0x11: VPN 1, offset 1, frame 3: 3 * 16 + 1 = 49 = 0x31. 0x05: VPN 0, not valid.
    // 0x1f: VPN 1, offset 15: 48 + 15 = 63.
    let want = "  VA 0x00000011 (decimal:       17) --> 00000031 (decimal       49) [VPN 1]\n\
                \x20 VA 0x00000005 (decimal:        5) -->  Invalid (VPN 0 not valid)\n\
                \x20 VA 0x0000001f (decimal:       31) --> 0000003f (decimal       63) [VPN 1]\n";
    assert_eq!(answer(&problem(SMALL, false, &TABLE, &[17, 5, 31])), want);
    assert_eq!(answer(&problem(SMALL, true, &TABLE, &[17, 5, 31])), want);
}

#[test]
fn sizes_with_units_and_a_large_frame() {
    // 16 KiB space of 4 KiB pages in 64 KiB: VPN 3 in frame 6; 0x3229 -> 0x6229.
    let text = problem(["16k", "64k", "4K"], false, &[0x8000_000c, 0, 0, 0x8000_0006], &[0x3229, 0x0229]);
    assert_eq!(
        answer(&text),
        "  VA 0x00003229 (decimal:    12841) --> 00006229 (decimal    25129) [VPN 3]\n\
         \x20 VA 0x00000229 (decimal:      553) --> 0000c229 (decimal    49705) [VPN 0]\n"
    );
}

#[test]
fn address_bits_from_32_up_are_dropped() {
    // 2^32 + 17 keeps only 17: VPN 1, as the script's 32-bit VPN mask does.
    let text = problem(SMALL, false, &TABLE, &[(1 << 32) + 17]);
    assert_eq!(answer(&text), "  VA 0x100000011 (decimal: 4294967313) --> 00000031 (decimal       49) [VPN 1]\n");
}

#[test]
fn a_vpn_past_the_table_stops_the_answers_there() {
    // 40 is VPN 2 of a 2-entry table; -3 keeps its low 32 bits, VPN 0x0fffffff.
    for (va, vpn) in [(40, 2), (-3, 0x0fff_ffff)] {
        let text = problem(SMALL, false, &TABLE, &[17, va, 5]);
        let a = LinearProblem::parse(&text).unwrap().solve().unwrap();
        assert_eq!(a.rows.len(), 2);
        assert_eq!(a.failure(), Some((TraceAddress { line: 22, va }, vpn)));
        assert_eq!(a.to_string().lines().count(), 1);
    }
}

#[test]
fn negative_addresses_print_as_python_does() {
    let text = problem(SMALL, false, &TABLE, &[-15]);
    assert!(text.contains("  VA 0x-000000f (decimal:      -15) --> PA or invalid address?\n"));
    assert_eq!(LinearProblem::parse(&text).unwrap().trace[0].va, -15);
}

#[test]
fn the_full_output_replaces_the_questions_and_drops_the_instructions() {
    let text = problem(SMALL, false, &TABLE, &[17]);
    let p = LinearProblem::parse(&text).unwrap();
    let a = p.solve().unwrap();
    let full = Full { problem: &p, answer: &a }.to_string();
    let head = &text[..text.find("  VA").unwrap()];
    assert_eq!(full, format!("{head}{a}\n"));
    assert!(!full.contains("For each"));
}

#[test]
fn the_text_may_end_after_the_trace_and_have_dos_line_ends() {
    let text = problem(SMALL, false, &TABLE, &[17]);
    let cut = &text[..text.find("For each").unwrap()];
    assert_eq!(answer(cut), answer(&text));
    assert_eq!(answer(&text.replace('\n', "\r\n")), answer(&text));
}

#[track_caller]
fn fails_at(text: &str, line: usize, expected_part: &str) {
    let e = parse_error(text);
    assert_eq!(e.line(), Some(line), "{e}");
    assert!(matches!(&e, ParseError::Line { expected, .. } if expected.contains(expected_part)), "{e}");
}

#[test]
fn malformed_problems_name_the_line() {
    let good = problem(SMALL, false, &TABLE, &[17]);
    fails_at(&good.replace("ARG page size 16", "ARG page size 24"), 4, "power of two");
    fails_at(&good.replace("ARG page size 16", "ARG page size 64"), 4, "divides");
    fails_at(&good.replace("ARG page size 16", "ARG page size 0"), 4, "a size under 1g");
    fails_at(&good.replace("ARG phys mem size 64", "ARG phys mem size 32"), 3, "larger than the address space");
    fails_at(&good.replace("ARG phys mem size 64", "ARG phys mem size 1g"), 3, "under 1g");
    fails_at(&good.replace("ARG address space size 32", "ARG address space size 3x"), 2, "a size");
    fails_at(&good.replace("ARG verbose False", "ARG verbose yes"), 5, "True or False");
    fails_at(&good.replace("ARG seed 0\n", ""), 1, "ARG seed");
    fails_at(&good.replace("The high-order", "The low-order"), 10, "The high-order");
    // A missing entry: the blank line comes where entry 1 should be.
    fails_at(&good.replace("  0x80000003\n", ""), 18, "entry 1 of 2");
    fails_at(&good.replace("  0x80000003\n", "  0x80000003\n  0x00000000\n"), 19, "a blank line after the 2 entries");
    fails_at(&good.replace("  0x80000003", "  0x8000003"), 18, "entry 1 of 2");
    fails_at(&good.replace("(decimal:       17)", "(decimal:       18)"), 21, "VA 0x%08x");
    fails_at(&good.replace("PA or invalid address?", "PA?"), 21, "VA 0x%08x");
    fails_at(&good.replace("OR write", "AND write"), 24, "OR write");
    fails_at(&format!("{good}extra\n"), 26, "the end of the problem");
    let cut = &good[..good.find("Virtual Address Trace").unwrap()];
    fails_at(cut, 20, "Virtual Address Trace");
}

#[test]
fn verbose_entries_must_carry_their_own_index() {
    let good = problem(SMALL, true, &TABLE, &[17]);
    fails_at(&good.replace("[       1]", "[       2]"), 18, "entry 1 of 2");
}

#[test]
fn it_recognises_its_own_header_only() {
    let text = problem(SMALL, false, &TABLE, &[]);
    assert!(matches(&Header::read(&text).unwrap()));
    assert!(!matches(&Header::read("ARG seed 0\nARG allocated 64\nARG num 10\n").unwrap()));
    assert!(!matches(&Header::read("ARG seed 0\nARG address space size 16k\n").unwrap()));
}

/// A random problem: page bits, VPN bits, extra physical bits, the table and the addresses
/// (mostly inside the address space, some past it or past 32 bits).
fn arbitrary_problem() -> impl Strategy<Value = (u32, u32, Vec<u32>, Vec<i128>, bool)> {
    (0u32..=19, 0u32..=7, 1u32..=3, any::<bool>()).prop_flat_map(|(page_bits, vpn_bits, extra, verbose)| {
        let pages = 1usize << vpn_bits;
        let frames = 1u32 << (vpn_bits + extra);
        let entry = prop_oneof![Just(0u32), (0..frames).prop_map(|f| 0x8000_0000 | f)];
        let space = 1i128 << (page_bits + vpn_bits);
        let va = prop_oneof![8 => 0..space, 1 => space..(1i128 << 34), 1 => -100i128..0];
        (
            Just(page_bits),
            Just(vpn_bits + extra),
            proptest::collection::vec(entry, pages),
            proptest::collection::vec(va, 0..12),
            Just(verbose),
        )
    })
}

use proptest::prelude::*;

proptest! {
    /// Every answer is the naive model's: the VPN from the address's low 32 bits, the entry's
    /// bit 31, its PFN shifted back over the offset; the answers stop at a VPN past the table.
    #[test]
    fn answers_match_the_naive_model((page_bits, phys_bits, entries, vas, verbose) in arbitrary_problem()) {
        let sizes = [
            (1u64 << page_bits) * entries.len() as u64,
            1u64 << (page_bits + phys_bits),
            1u64 << page_bits,
        ]
        .map(|n| n.to_string());
        let text = problem([&sizes[0], &sizes[1], &sizes[2]], verbose, &entries, &vas);
        let p = LinearProblem::parse(&text).unwrap();
        prop_assert_eq!(&p.entries, &entries);
        let a = p.solve().unwrap();
        let mut lines = a.to_string().lines().map(str::to_owned).collect::<Vec<_>>().into_iter();
        for (i, &va) in vas.iter().enumerate() {
            let low = (va & 0xffff_ffff) as u64;
            let vpn = low >> page_bits;
            let (t, outcome) = a.rows[i];
            prop_assert_eq!(t.va, va);
            let Some(&e) = entries.get(vpn as usize) else {
                prop_assert_eq!(outcome, Outcome::PastTable { vpn });
                prop_assert_eq!(a.rows.len(), i + 1);
                prop_assert!(lines.next().is_none());
                return Ok(());
            };
            let line = lines.next().unwrap();
            if e >> 31 == 1 {
                let pa = (u64::from(e & 0x7fff_ffff) << page_bits) | (low & ((1 << page_bits) - 1));
                prop_assert_eq!(outcome, Outcome::Mapped { vpn, pa });
                let tail = format!(" --> {pa:08x} (decimal {pa:8}) [VPN {vpn}]");
                prop_assert!(line.ends_with(&tail), "{} does not end in {}", line, tail);
            } else {
                prop_assert_eq!(outcome, Outcome::Invalid { vpn });
                let tail = format!(" -->  Invalid (VPN {vpn} not valid)");
                prop_assert!(line.ends_with(&tail), "{} does not end in {}", line, tail);
            }
            let head = format!("  VA 0x{} (decimal: {va:8})", PyHex { value: va, width: 8 });
            prop_assert!(line.starts_with(&head), "{} does not start with {}", line, head);
        }
        prop_assert!(lines.next().is_none());
    }

    /// No text, however broken, panics the parser; a cut problem is an error, never a
    /// different problem.
    #[test]
    fn broken_texts_are_errors_not_panics(cut in 0usize..2000, junk in "[ -~\n]{0,40}") {
        let text = problem(SMALL, true, &TABLE, &[17, 5, 40]);
        let cut = cut.min(text.len());
        let broken = format!("{}{junk}", &text[..cut]);
        if let Ok(p) = LinearProblem::parse(&broken) {
            let _ = p.solve();
        }
    }
}
