//! Hand-worked problems and property tests of `multilevel` against a naive model.

use super::*;

/// A problem as the script prints it, for `memory` (128 pages), `pdbr` and the addresses.
/// `spaced` prints the dump as the Python 2 version did, a space before every byte.
fn problem(memory: &[u8], pdbr: u8, vas: &[u16], spaced: bool) -> String {
    let mut t = format!("ARG seed 0\nARG allocated 1\nARG num {}\n\n", vas.len());
    for (n, page) in memory.chunks(PAGE_SIZE).enumerate() {
        t += &format!("page {n:3}:");
        for b in page {
            t += &if spaced { format!(" {b:02x}") } else { format!("{b:02x}") };
        }
        t += if spaced { " \n" } else { "\n" };
    }
    t += &format!("\nPDBR: {pdbr}  {PDBR_SUFFIX}\n\n");
    for va in vas {
        t += &format!("{QUESTION_PREFIX}{va:04x}{QUESTION_SUFFIX}\n");
    }
    t + "\n"
}

/// Page directory in page 2; its entry 3 points to the page-table page 5, whose entry 7
/// maps frame 10 and entry 8 is not valid (0x7f, as the script leaves unused entries);
/// byte 0x14 of frame 10 is 0x1c.
fn memory() -> Vec<u8> {
    let mut m = vec![0; PAGE_SIZE * PHYS_PAGES];
    m[2 * 32..3 * 32].fill(0x7f);
    m[2 * 32 + 3] = 0x85;
    m[5 * 32..6 * 32].fill(0x7f);
    m[5 * 32 + 7] = 0x8a;
    m[10 * 32 + 0x14] = 0x1c;
    m
}

#[track_caller]
fn answer(text: &str) -> String {
    MultilevelProblem::parse(text).unwrap().solve().unwrap().to_string()
}

#[test]
fn hand_worked_walks() {
    // 0x0cf4 = directory index 3 (bits 10..14), table index 7 (bits 5..9), offset 0x14:
    // frame 10, physical 10 * 32 + 0x14 = 0x154, holding 0x1c.
    // 0x0d00 = index 3, then table index 8: not valid. 0x1000 = directory index 4: 0x7f.
    let want = "\
Virtual Address 0cf4:
  --> pde index:0x3 [decimal 3] pde contents:0x85 (valid 1, pfn 0x05 [decimal 5])
    --> pte index:0x7 [decimal 7] pte contents:0x8a (valid 1, pfn 0x0a [decimal 10])
      --> Translates to Physical Address 0x154 --> Value: 1c
Virtual Address 0d00:
  --> pde index:0x3 [decimal 3] pde contents:0x85 (valid 1, pfn 0x05 [decimal 5])
    --> pte index:0x8 [decimal 8] pte contents:0x7f (valid 0, pfn 0x7f [decimal 127])
      --> Fault (page table entry not valid)
Virtual Address 1000:
  --> pde index:0x4 [decimal 4] pde contents:0x7f (valid 0, pfn 0x7f [decimal 127])
      --> Fault (page directory entry not valid)
";
    let text = problem(&memory(), 2, &[0x0cf4, 0x0d00, 0x1000], false);
    assert_eq!(answer(&text), want);
    assert_eq!(answer(&problem(&memory(), 2, &[0x0cf4, 0x0d00, 0x1000], true)), want);
}

#[test]
fn zero_entries_print_as_python_prints_zero() {
    // Page 0 as a directory: all zero, so the entry is 0x0 with frame 0x00.
    let text = problem(&memory(), 0, &[0x7fff], false);
    assert_eq!(
        answer(&text),
        "Virtual Address 7fff:\n  --> pde index:0x1f [decimal 31] pde contents:0x0 (valid 0, pfn 0x00 [decimal 0])\n      --> Fault (page directory entry not valid)\n"
    );
}

#[test]
fn the_full_output_is_the_text_with_answers_for_questions() {
    let text = problem(&memory(), 2, &[0x0cf4], false);
    let p = MultilevelProblem::parse(&text).unwrap();
    let a = p.solve().unwrap();
    let head = &text[..text.find(QUESTION_PREFIX).unwrap()];
    assert_eq!(Full { problem: &p, answer: &a }.to_string(), format!("{head}{a}\n"));
}

#[test]
fn no_addresses_is_a_problem_too() {
    let text = problem(&memory(), 2, &[], false);
    assert_eq!(answer(&text), "");
}

#[track_caller]
fn fails_at(text: &str, line: usize, expected_part: &str) {
    let e = MultilevelProblem::parse(text).unwrap_err();
    assert_eq!(e.line(), Some(line), "{e}");
    assert!(matches!(&e, ParseError::Line { expected, .. } if expected.contains(expected_part)), "{e}");
}

#[test]
fn malformed_problems_name_the_line() {
    let good = problem(&memory(), 2, &[0x0cf4, 0x1000], false);
    // Lines: 3 ARG, a blank, pages 0..127 on lines 5..132, a blank, PDBR on 134.
    fails_at(&good.replace("ARG num 2", "ARG num two"), 3, "a decimal number");
    fails_at(&good.replace("ARG num 2", "ARG num 3"), 137, "3 addresses");
    fails_at(&good.replace("page   7:", "page   8:"), 12, "page 7");
    fails_at(&good.replace("page   7:00", "page   7:0"), 12, "page 7");
    fails_at(&good.replace("page   7:00", "page   7:0g"), 12, "page 7");
    fails_at(&good.replace("PDBR: 2 ", "PDBR: 128 "), 134, "below 128");
    fails_at(&good.replace("(decimal) [This", "(hex) [This"), 134, "PDBR");
    fails_at(&good.replace("Virtual Address 1000", "Virtual Address 8000"), 137, "below 0x8000");
    fails_at(&good.replace("Virtual Address 1000", "Virtual Address 100"), 137, "%04x");
    fails_at(&good.replace("Or Fault?", "Or not?"), 136, "%04x");
    fails_at(&format!("{good}more\n"), 139, "the end of the problem");
    let cut = &good[..good.find("page  64").unwrap()];
    fails_at(cut, 69, "page 64 of 128");
}

#[test]
fn it_recognises_its_own_header_only() {
    let text = problem(&memory(), 2, &[], false);
    assert!(matches(&Header::read(&text).unwrap()));
    assert!(!matches(&Header::read("ARG seed 0\nARG address space size 16k\n").unwrap()));
    assert!(!matches(&Header::read("ARG seed 0\nARG allocated 64\nARG num 10\nARG extra 1\n").unwrap()));
}

use proptest::prelude::*;

proptest! {
    /// Every walk is the naive model's: the PDE at the directory index in page PDBR, the PTE
    /// at the table index in the PDE's page, the byte at the PTE's frame and the offset.
    #[test]
    fn walks_match_the_naive_model(
        memory in proptest::collection::vec(any::<u8>(), PAGE_SIZE * PHYS_PAGES),
        pdbr in 0u8..128,
        vas in proptest::collection::vec(0u16..0x8000, 0..20),
        spaced in any::<bool>(),
    ) {
        let text = problem(&memory, pdbr, &vas, spaced);
        let p = MultilevelProblem::parse(&text).unwrap();
        prop_assert_eq!(&p.memory, &memory);
        let a = p.solve().unwrap();
        prop_assert_eq!(a.translations.len(), vas.len());
        for (t, &va) in a.translations.iter().zip(&vas) {
            let va = usize::from(va);
            let pde = memory[usize::from(pdbr) * 32 + (va >> 10)];
            prop_assert_eq!(t.pde, Entry { index: (va >> 10) as u8, contents: pde });
            if pde & 0x80 == 0 {
                prop_assert_eq!(t.pte, None);
                prop_assert_eq!(t.outcome, Outcome::PdeFault);
                continue;
            }
            let pte = memory[usize::from(pde & 0x7f) * 32 + ((va >> 5) & 31)];
            prop_assert_eq!(t.pte, Some(Entry { index: ((va >> 5) & 31) as u8, contents: pte }));
            if pte & 0x80 == 0 {
                prop_assert_eq!(t.outcome, Outcome::PteFault);
                continue;
            }
            let pa = usize::from(pte & 0x7f) * 32 + (va & 31);
            prop_assert_eq!(t.outcome, Outcome::Mapped { pa: pa as u16, value: memory[pa] });
        }
        // Each address gives its line, a PDE line, a PTE line when the PDE is valid, and the
        // result.
        let lines = a.to_string().lines().count();
        let want: usize = a.translations.iter().map(|t| 3 + usize::from(t.pte.is_some())).sum();
        prop_assert_eq!(lines, want);
    }

    /// No text, however broken, panics the parser.
    #[test]
    fn broken_texts_are_errors_not_panics(cut in 0usize..9000, junk in "[ -~\n]{0,40}") {
        let text = problem(&memory(), 2, &[0x0cf4, 0x0d00, 0x1000], false);
        let cut = cut.min(text.len());
        let broken = format!("{}{junk}", &text[..cut]);
        if let Ok(p) = MultilevelProblem::parse(&broken) {
            let _ = p.solve();
        }
    }
}
