//! Problems and answers worked out by hand from the rules in the module documentation.

use super::*;

/// A problem text as the script prints it without `-c`.
fn problem(policy: &str, cache: i64, pages: &[i64], notrace: bool) -> String {
    let addresses: Vec<String> = pages.iter().map(|p| p.to_string()).collect();
    let mut s = format!(
        "ARG addresses {}\nARG addressfile \nARG numaddrs 10\nARG policy {policy}\nARG clockbits 2\n\
         ARG cachesize {cache}\nARG maxpage 10\nARG seed 0\nARG notrace {}\n\n\
         Assuming a replacement policy of {policy}, and a cache of size {cache} pages,\n\
         figure out whether each of the following page references hit or miss\nin the page cache.\n\n",
        addresses.join(","),
        if notrace { "True" } else { "False" }
    );
    for p in pages {
        s.push_str(&format!("Access: {p}  Hit/Miss?  State of Memory?\n"));
    }
    s.push('\n');
    s
}

/// The answer's header: the same ARG lines, then an empty line.
fn answer_header(problem: &str) -> String {
    let mut s: String = problem.lines().take(9).map(|l| format!("{l}\n")).collect();
    s.push('\n');
    s
}

#[track_caller]
fn check(policy: &str, cache: i64, pages: &[i64], expected_lines: &str, finalstats: &str) {
    let text = problem(policy, cache, pages, false);
    let p = Problem::parse(&text).unwrap();
    assert_eq!(p.pages, pages.iter().map(|p| p.to_string()).collect::<Vec<_>>());
    let want = format!("{}Solving...\n\n{expected_lines}\n{finalstats}\n\n", answer_header(&text));
    assert_eq!(p.solve().unwrap(), want);
}

#[test]
fn fifo_belady_three_frames() {
    check(
        "FIFO",
        3,
        &[1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5],
        "\
Access: 1  MISS FirstIn ->          [1] <- Lastin  Replaced:- [Hits:0 Misses:1]
Access: 2  MISS FirstIn ->       [1, 2] <- Lastin  Replaced:- [Hits:0 Misses:2]
Access: 3  MISS FirstIn ->    [1, 2, 3] <- Lastin  Replaced:- [Hits:0 Misses:3]
Access: 4  MISS FirstIn ->    [2, 3, 4] <- Lastin  Replaced:1 [Hits:0 Misses:4]
Access: 1  MISS FirstIn ->    [3, 4, 1] <- Lastin  Replaced:2 [Hits:0 Misses:5]
Access: 2  MISS FirstIn ->    [4, 1, 2] <- Lastin  Replaced:3 [Hits:0 Misses:6]
Access: 5  MISS FirstIn ->    [1, 2, 5] <- Lastin  Replaced:4 [Hits:0 Misses:7]
Access: 1  HIT  FirstIn ->    [1, 2, 5] <- Lastin  Replaced:- [Hits:1 Misses:7]
Access: 2  HIT  FirstIn ->    [1, 2, 5] <- Lastin  Replaced:- [Hits:2 Misses:7]
Access: 3  MISS FirstIn ->    [2, 5, 3] <- Lastin  Replaced:1 [Hits:2 Misses:8]
Access: 4  MISS FirstIn ->    [5, 3, 4] <- Lastin  Replaced:2 [Hits:2 Misses:9]
Access: 5  HIT  FirstIn ->    [5, 3, 4] <- Lastin  Replaced:- [Hits:3 Misses:9]
",
        "FINALSTATS hits 3   misses 9   hitrate 25.00",
    );
}

#[test]
fn lru_moves_hits_to_the_right() {
    // 1 2 1 3: the hit on 1 makes 2 the least recently used, so 3 evicts 2.
    check(
        "LRU",
        2,
        &[1, 2, 1, 3, 1],
        "\
Access: 1  MISS LRU ->          [1] <- MRU Replaced:- [Hits:0 Misses:1]
Access: 2  MISS LRU ->       [1, 2] <- MRU Replaced:- [Hits:0 Misses:2]
Access: 1  HIT  LRU ->       [2, 1] <- MRU Replaced:- [Hits:1 Misses:2]
Access: 3  MISS LRU ->       [1, 3] <- MRU Replaced:2 [Hits:1 Misses:3]
Access: 1  HIT  LRU ->       [3, 1] <- MRU Replaced:- [Hits:2 Misses:3]
",
        "FINALSTATS hits 2   misses 3   hitrate 40.00",
    );
}

#[test]
fn mru_evicts_the_right_end() {
    check(
        "MRU",
        2,
        &[1, 2, 1, 3, 2],
        "\
Access: 1  MISS LRU ->          [1] <- MRU Replaced:- [Hits:0 Misses:1]
Access: 2  MISS LRU ->       [1, 2] <- MRU Replaced:- [Hits:0 Misses:2]
Access: 1  HIT  LRU ->       [2, 1] <- MRU Replaced:- [Hits:1 Misses:2]
Access: 3  MISS LRU ->       [2, 3] <- MRU Replaced:1 [Hits:1 Misses:3]
Access: 2  HIT  LRU ->       [3, 2] <- MRU Replaced:- [Hits:2 Misses:3]
",
        "FINALSTATS hits 2   misses 3   hitrate 40.00",
    );
}

#[test]
fn opt_furthest_and_ties_to_the_last_loaded() {
    // At 3: 1 is next used at index 4, 2 at 5 -> evict 2.
    // At 4 (index 6): memory [1, 3], neither used again -> the last in the list, 3.
    check(
        "OPT",
        2,
        &[1, 2, 1, 3, 1, 2, 4, 1],
        "\
Access: 1  MISS Left  ->          [1] <- Right Replaced:- [Hits:0 Misses:1]
Access: 2  MISS Left  ->       [1, 2] <- Right Replaced:- [Hits:0 Misses:2]
Access: 1  HIT  Left  ->       [1, 2] <- Right Replaced:- [Hits:1 Misses:2]
Access: 3  MISS Left  ->       [1, 3] <- Right Replaced:2 [Hits:1 Misses:3]
Access: 1  HIT  Left  ->       [1, 3] <- Right Replaced:- [Hits:2 Misses:3]
Access: 2  MISS Left  ->       [1, 2] <- Right Replaced:3 [Hits:2 Misses:4]
Access: 4  MISS Left  ->       [1, 4] <- Right Replaced:2 [Hits:2 Misses:5]
Access: 1  HIT  Left  ->       [1, 4] <- Right Replaced:- [Hits:3 Misses:5]
",
        "FINALSTATS hits 3   misses 5   hitrate 37.50",
    );
}

#[test]
fn opt_tie_is_not_least_recently_used() {
    // [1, 2] and neither is used again: the script takes the last in the list (2), although 1
    // is the least recently used.
    check(
        "OPT",
        2,
        &[1, 2, 3],
        "\
Access: 1  MISS Left  ->          [1] <- Right Replaced:- [Hits:0 Misses:1]
Access: 2  MISS Left  ->       [1, 2] <- Right Replaced:- [Hits:0 Misses:2]
Access: 3  MISS Left  ->       [1, 3] <- Right Replaced:2 [Hits:0 Misses:3]
",
        "FINALSTATS hits 0   misses 3   hitrate 0.00",
    );
}

#[test]
fn unopt_nearest_and_ties_to_the_first() {
    // At 3 (index 2): 1 is next used at 3, 2 at 4 -> evict 1, the soonest. At 1 (index 3):
    // [2, 3], 2 next at 4, 3 never -> evict 2. At 2 (index 4): [3, 1], neither used again ->
    // the first in the list, 3.
    check(
        "UNOPT",
        2,
        &[1, 2, 3, 1, 2],
        "\
Access: 1  MISS Left  ->          [1] <- Right Replaced:- [Hits:0 Misses:1]
Access: 2  MISS Left  ->       [1, 2] <- Right Replaced:- [Hits:0 Misses:2]
Access: 3  MISS Left  ->       [2, 3] <- Right Replaced:1 [Hits:0 Misses:3]
Access: 1  MISS Left  ->       [3, 1] <- Right Replaced:2 [Hits:0 Misses:4]
Access: 2  MISS Left  ->       [1, 2] <- Right Replaced:3 [Hits:0 Misses:5]
",
        "FINALSTATS hits 0   misses 5   hitrate 0.00",
    );
}

#[test]
fn wide_lists_are_not_cut_and_negative_pages_print() {
    check(
        "FIFO",
        5,
        &[10, -2, 300, 4000, 5, 10],
        "\
Access: 10  MISS FirstIn ->         [10] <- Lastin  Replaced:- [Hits:0 Misses:1]
Access: -2  MISS FirstIn ->     [10, -2] <- Lastin  Replaced:- [Hits:0 Misses:2]
Access: 300  MISS FirstIn -> [10, -2, 300] <- Lastin  Replaced:- [Hits:0 Misses:3]
Access: 4000  MISS FirstIn -> [10, -2, 300, 4000] <- Lastin  Replaced:- [Hits:0 Misses:4]
Access: 5  MISS FirstIn -> [10, -2, 300, 4000, 5] <- Lastin  Replaced:- [Hits:0 Misses:5]
Access: 10  HIT  FirstIn -> [10, -2, 300, 4000, 5] <- Lastin  Replaced:- [Hits:1 Misses:5]
",
        "FINALSTATS hits 1   misses 5   hitrate 16.67",
    );
}

#[test]
fn a_negative_cache_never_fills() {
    let text = problem("LRU", -1, &[1, 2, 3, 1], false);
    let answer = Problem::parse(&text).unwrap().solve().unwrap();
    assert!(answer.contains("Access: 1  HIT  LRU ->    [2, 3, 1] <- MRU Replaced:- [Hits:1 Misses:3]\n"), "{answer}");
}

#[test]
fn notrace_prints_only_the_totals() {
    let text = problem("FIFO", 3, &[1, 1, 1, 2], true);
    let answer = Problem::parse(&text).unwrap().solve().unwrap();
    assert_eq!(answer, format!("{}\nFINALSTATS hits 2   misses 2   hitrate 50.00\n\n", answer_header(&text)));
}

#[test]
fn hitrate_rounds_half_to_even_like_percent_dot_2f() {
    // 1 hit in 32: 3.125 exactly, printed 3.12; 3 in 32: 9.375, printed 9.38.
    let mut pages = vec![7; 2];
    pages.extend(30..60);
    let out = trace(Policy::Fifo, 100, &pages).unwrap();
    assert!(out.ends_with("FINALSTATS hits 1   misses 31   hitrate 3.12\n"), "{out}");
    let mut pages = vec![7; 4];
    pages.extend(30..58);
    let out = trace(Policy::Fifo, 100, &pages).unwrap();
    assert!(out.ends_with("FINALSTATS hits 3   misses 29   hitrate 9.38\n"), "{out}");
}

#[test]
fn evicting_page_minus_one_prints_a_dash() {
    // The script's "no victim" is the page number -1, so evicting page -1 reads as no
    // eviction. One frame: -1 misses, 1 misses and evicts -1, 2 misses and evicts 1.
    check(
        "FIFO",
        1,
        &[-1, 1, 2],
        "\
Access: -1  MISS FirstIn ->         [-1] <- Lastin  Replaced:- [Hits:0 Misses:1]
Access: 1  MISS FirstIn ->          [1] <- Lastin  Replaced:- [Hits:0 Misses:2]
Access: 2  MISS FirstIn ->          [2] <- Lastin  Replaced:1 [Hits:0 Misses:3]
",
        "FINALSTATS hits 0   misses 3   hitrate 0.00",
    );
}

#[test]
fn pages_past_64_bits_are_python_integers_too() {
    // `-m 100000000000000000000` draws such pages; the script compares and prints them as
    // integers of any size. One frame: the second reference hits, the third evicts it.
    let big = "100000000000000000000";
    let bigger = "-340282366920938463463374607431768211457";
    let text = problem("FIFO", 1, &[], false).trim_end().to_owned()
        + &format!(
            "\n\nAccess: {big}  Hit/Miss?  State of Memory?\nAccess: {big}  Hit/Miss?  State of Memory?\nAccess: {bigger}  Hit/Miss?  State of Memory?\n\n"
        );
    let p = Problem::parse(&text).unwrap();
    assert_eq!(p.pages, [big, big, bigger]);
    let answer = p.solve().unwrap();
    let want = format!(
        "Access: {big}  MISS FirstIn -> [{big}] <- Lastin  Replaced:- [Hits:0 Misses:1]\n\
         Access: {big}  HIT  FirstIn -> [{big}] <- Lastin  Replaced:- [Hits:1 Misses:1]\n\
         Access: {bigger}  MISS FirstIn -> [{bigger}] <- Lastin  Replaced:{big} [Hits:1 Misses:2]\n\n\
         FINALSTATS hits 1   misses 2   hitrate 33.33\n\n"
    );
    assert!(answer.ends_with(&want), "{answer}");
    // A cache past 2^63 pages never fills.
    let text = problem("LRU", 1, &[1, 2, 1], false)
        .replace("size 1 pages", &format!("size {big} pages"))
        .replace("ARG cachesize 1", &format!("ARG cachesize {big}"));
    let answer = Problem::parse(&text).unwrap().solve().unwrap();
    assert!(answer.ends_with("FINALSTATS hits 1   misses 2   hitrate 33.33\n\n"), "{answer}");
    // Spellings Python's %d never prints still read as the same integer.
    assert_eq!(page_number("-0"), Some("0".to_owned()));
    assert_eq!(page_number("007"), Some("7".to_owned()));
    assert_eq!(page_number("-007"), Some("-7".to_owned()));
    assert_eq!(page_number("7a"), None);
    assert_eq!(page_number("-"), None);
}

#[test]
fn rand_and_clock_without_an_eviction_draw_nothing() {
    // Three frames, three pages: nothing is evicted, so no random number is drawn and the
    // answer is the one of any policy with the labels `Left ` and `Right`.
    for policy in ["RAND", "CLOCK"] {
        check(
            policy,
            3,
            &[4, 5, 4, 6],
            "\
Access: 4  MISS Left  ->          [4] <- Right Replaced:- [Hits:0 Misses:1]
Access: 5  MISS Left  ->       [4, 5] <- Right Replaced:- [Hits:0 Misses:2]
Access: 4  HIT  Left  ->       [4, 5] <- Right Replaced:- [Hits:1 Misses:2]
Access: 6  MISS Left  ->    [4, 5, 6] <- Right Replaced:- [Hits:1 Misses:3]
",
            "FINALSTATS hits 1   misses 3   hitrate 25.00",
        );
    }
}

#[test]
fn rand_evicts_the_drawn_index() {
    // One frame: every draw is index 0, whatever the numbers.
    check(
        "RAND",
        1,
        &[1, 2, 2],
        "\
Access: 1  MISS Left  ->          [1] <- Right Replaced:- [Hits:0 Misses:1]
Access: 2  MISS Left  ->          [2] <- Right Replaced:1 [Hits:0 Misses:2]
Access: 2  HIT  Left  ->          [2] <- Right Replaced:- [Hits:1 Misses:2]
",
        "FINALSTATS hits 1   misses 2   hitrate 33.33",
    );
    // Two frames, seed 0: the draws are the seeded generator's, index int(2 * random()).
    let mut rng = PyRandom::from_seed("0").unwrap();
    let first = rng.below(2);
    let second = rng.below(2);
    let p = Problem::parse(&problem("RAND", 2, &[1, 2, 3, 4], false)).unwrap();
    let mut memory = vec![1, 2];
    let v1 = memory.remove(first);
    memory.push(3);
    let v2 = memory.remove(second);
    memory.push(4);
    let answer = p.solve().unwrap();
    assert!(
        answer.contains(&format!("Access: 3  MISS Left  ->       [{}, 3] <- Right Replaced:{v1} ", [1, 2][1 - first]))
    );
    assert!(answer.contains(&format!("Access: 4  MISS Left  ->       [{}, 4] <- Right Replaced:{v2} ", memory[0])));
}

#[test]
fn clock_spends_counts_before_evicting() {
    // One frame, clockbits 2: page 1 is referenced twice (count 2); the miss on 2 draws index
    // 0 three times: 2 -> 1, 1 -> 0, then 0 is below 1 and page 1 goes. Page 2 (count 1) is
    // drawn twice at the miss on 3.
    check(
        "CLOCK",
        1,
        &[1, 1, 2, 3],
        "\
Access: 1  MISS Left  ->          [1] <- Right Replaced:- [Hits:0 Misses:1]
Access: 1  HIT  Left  ->          [1] <- Right Replaced:- [Hits:1 Misses:1]
Access: 2  MISS Left  ->          [2] <- Right Replaced:1 [Hits:1 Misses:2]
Access: 3  MISS Left  ->          [3] <- Right Replaced:2 [Hits:1 Misses:3]
",
        "FINALSTATS hits 1   misses 3   hitrate 25.00",
    );
    let mut chooser = Chooser::Clock { rng: PyRandom::from_seed("0").unwrap(), bits: 2, counts: HashMap::new() };
    for page in [1, 1, 1, 1] {
        chooser.referenced(page);
    }
    let Chooser::Clock { counts, .. } = &chooser else { unreachable!() };
    assert_eq!(counts[&1], 2, "capped at clockbits");
}

#[test]
fn drawn_references_advance_the_stream_first() {
    // `ARG addresses -1` and no address file: the script drew one number per reference, so
    // the eviction's draw is the fifth for four references.
    let text = problem("RAND", 2, &[1, 2, 3, 4], false).replacen("ARG addresses 1,2,3,4", "ARG addresses -1", 1);
    let p = Problem::parse(&text).unwrap();
    assert!(p.drawn);
    let mut rng = PyRandom::from_seed("0").unwrap();
    for _ in 0..4 {
        rng.random();
    }
    let first = rng.below(2);
    let answer = p.solve().unwrap();
    assert!(answer.contains(&format!("Replaced:{} ", [1, 2][first])), "{answer}");
    assert!(!Problem::parse(&problem("RAND", 2, &[1], false)).unwrap().drawn);
}

#[test]
fn rand_with_a_seed_that_is_not_an_integer_is_refused() {
    let text = problem("RAND", 3, &[1], false).replace("ARG seed 0", "ARG seed zero");
    assert_eq!(
        Problem::parse(&text).unwrap().solve(),
        Err(SolveError::NotAnInteger { what: "seed", text: "zero".into() })
    );
}

/// The error for a problem on which the script itself stops, with what it printed.
fn stops(cause: SolveError, printed: String) -> Result<String, SolveError> {
    Err(SolveError::PolicyScriptStops { cause: Box::new(cause), printed })
}

#[test]
fn where_the_script_stops_its_printed_lines_come_first() {
    // An unknown policy: the ARG lines, the empty line, `Solving...` (unless notrace) and the
    // script's own `Policy ... is not yet implemented` line, all on standard output.
    for notrace in [false, true] {
        let text = problem("fifo", 3, &[1], notrace);
        let solving = if notrace { "" } else { "Solving...\n\n" };
        let printed = format!("{}{solving}Policy fifo is not yet implemented\n", answer_header(&text));
        let want = stops(SolveError::UnknownPolicy { policy: "fifo".into() }, printed);
        assert_eq!(Problem::parse(&text).unwrap().solve(), want);
    }
    // A cache of 0 pages: the first reference misses and the eviction fails before its line.
    let text = problem("LRU", 0, &[1, 2], false);
    let want = stops(SolveError::ZeroCache, format!("{}Solving...\n\n", answer_header(&text)));
    assert_eq!(Problem::parse(&text).unwrap().solve(), want);
    // No reference: the empty line before FINALSTATS, then the division by zero.
    let text = problem("LRU", 3, &[], true);
    let want = stops(SolveError::NoReferences, format!("{}\n", answer_header(&text)));
    assert_eq!(Problem::parse(&text).unwrap().solve(), want);
    // With no reference a cache of 0 pages never evicts: the division fails first.
    let text = problem("OPT", 0, &[], false);
    let want = stops(SolveError::NoReferences, format!("{}Solving...\n\n\n", answer_header(&text)));
    assert_eq!(Problem::parse(&text).unwrap().solve(), want);
    let err = Problem::parse(&text).unwrap().solve().unwrap_err();
    assert_eq!(err.to_string(), SolveError::NoReferences.to_string());
    assert_eq!(err.printed(), Some(format!("{}Solving...\n\n\n", answer_header(&text)).as_str()));
}

#[test]
fn parse_errors_name_the_line() {
    let good = problem("LRU", 3, &[1, 2], false);
    let cases: [(String, usize); 7] = [
        (good.replace("ARG seed 0", "ARG sed 0"), 8),
        (good.replace("ARG notrace False", "ARG notrace maybe"), 9),
        (good.replace("Assuming a", "Assume a"), 11),
        (good.replace("of size 3 pages", "of size three pages"), 11),
        (good.replace("of size 3 pages", "of size 4 pages"), 11),
        (good.replace("Access: 2  Hit", "Access: 2 Hit"), 16),
        (format!("{good}Access: 3  Hit/Miss?  State of Memory?\n"), 18),
    ];
    for (text, line) in cases {
        let err = Problem::parse(&text).unwrap_err();
        let got = match &err {
            ParseError::Expected { line, .. }
            | ParseError::BadNumber { line, .. }
            | ParseError::Inconsistent { line, .. }
            | ParseError::UnknownKind { line, .. }
            | ParseError::Line { line, .. } => *line,
            ParseError::Empty => 0,
        };
        assert_eq!(got, line, "{err}");
        assert!(err.to_string().starts_with(&format!("line {line}: ")), "{err}");
    }
}

#[test]
fn an_answer_is_not_a_problem() {
    let text = problem("LRU", 3, &[1, 2], false);
    let answer = Problem::parse(&text).unwrap().solve().unwrap();
    let err = Problem::parse(&answer).unwrap_err();
    assert!(matches!(err, ParseError::Expected { line: 11, .. }), "{err}");
}

#[test]
fn truncated_text_names_the_missing_line() {
    let text = problem("LRU", 3, &[1], false);
    let cut: String = text.lines().take(12).map(|l| format!("{l}\n")).collect();
    assert!(matches!(Problem::parse(&cut), Err(ParseError::Expected { line: 13, .. })));
}

#[test]
fn crlf_and_missing_final_line_end() {
    let text = problem("FIFO", 2, &[1, 2], false).replace('\n', "\r\n");
    let text = text.trim_end();
    let p = Problem::parse(text).unwrap();
    assert_eq!(p.pages, ["1", "2"]);
}
