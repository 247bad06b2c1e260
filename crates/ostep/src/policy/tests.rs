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
    assert_eq!(p.pages, pages);
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
fn refusals() {
    for (policy, want) in [
        ("RAND", SolveError::Random { policy: "RAND".into() }),
        ("CLOCK", SolveError::Random { policy: "CLOCK".into() }),
    ] {
        assert_eq!(Problem::parse(&problem(policy, 3, &[1], false)).unwrap().solve(), Err(want));
    }
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
    assert_eq!(p.pages, [1, 2]);
}
