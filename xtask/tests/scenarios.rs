//! Runs every scenario (`testcases/` and the conformance suites beside the workspace) as part
//! of `cargo test`, exactly as `cargo xtask run-testcases` does.

#[test]
fn every_scenario_passes() {
    let mut report = Vec::new();
    let summary = xtask::testcases::run(&xtask::testcases::Args::default(), &mut report).expect("the runner runs");
    let report = String::from_utf8_lossy(&report);
    assert!(summary.passed > 0, "no scenario found:\n{report}");
    assert_eq!(summary.failed, 0, "failing scenarios:\n{report}");
}

#[test]
fn the_default_set_includes_the_conformance_suite() {
    let root = xtask::workspace_root();
    let suite = root.join("../shared/conformance/ajou-2021/cases");
    if !suite.is_dir() {
        // Only a checkout without the shared material beside it has no suite to find; CI
        // always has it (and `every_scenario_passes` fails there without it).
        assert!(!xtask::testcases::ci(), "CI=true but {} is missing", suite.display());
        eprintln!("note: {} not found; skipped", suite.display());
        return;
    }
    let found = xtask::testcases::discover(&root, &xtask::testcases::default_paths(&root)).expect("discovery");
    let cases: Vec<_> = found.iter().filter(|s| s.shown.starts_with("../shared/conformance/ajou-2021/cases")).collect();
    assert_eq!(cases.len(), 5, "the five official scripts: {cases:?}");
    assert!(cases.iter().all(|s| s.profile == xtask::testcases::Profile::Ajou));
    assert!(found.iter().any(|s| s.shown.starts_with("testcases/ajou")), "the project's own scenarios");
    assert!(found.iter().any(|s| s.shown.starts_with("testcases/mtl458")), "the project's own scenarios");
}
