//! The fast policies against naive restatements of their rules (memchr's naive.rs + prop.rs
//! pattern): random reference strings, every step compared (hit or miss, victim, frame).
//! The naive versions search linearly and keep plain vectors: obviously correct, O(n) each.

use policy::{OptTies, Options, Reference, Simulator, Spec};
use proptest::prelude::*;

/// One step as both sides report it: hit, the frame the page is in, the victim page.
type Outcome = (bool, usize, Option<u64>);

/// The naive machine: frames filled lowest first; the rule picks a victim frame.
struct Naive {
    pages: Vec<Option<u64>>,
    loaded: Vec<u64>,
    last: Vec<u64>,
    r: Vec<bool>,
    hand: usize,
}

#[derive(Clone, Copy)]
enum Rule {
    Fifo,
    Lru,
    Opt(OptTies),
    Clock,
    Second,
}

impl Naive {
    fn new(n: usize) -> Naive {
        Naive { pages: vec![None; n], loaded: vec![0; n], last: vec![0; n], r: vec![false; n], hand: 0 }
    }

    fn step(&mut self, rule: Rule, refs: &[Reference], t: usize) -> Outcome {
        let page = refs[t].page;
        let now = t as u64;
        if let Some(f) = self.pages.iter().position(|p| *p == Some(page)) {
            self.last[f] = now;
            self.r[f] = true;
            return (true, f, None);
        }
        let (f, victim) = match self.pages.iter().position(Option::is_none) {
            Some(f) => (f, None),
            None => {
                let n = self.pages.len();
                let f = match rule {
                    Rule::Fifo => (0..n).min_by_key(|&f| self.loaded[f]).unwrap(),
                    Rule::Lru => (0..n).min_by_key(|&f| self.last[f]).unwrap(),
                    Rule::Opt(ties) => {
                        let next = |f: usize| {
                            let p = self.pages[f];
                            refs[t + 1..].iter().position(|r| Some(r.page) == p).map(|i| t + 1 + i)
                        };
                        // Furthest next use; never used again is furthest of all.
                        let furthest = (0..n).map(|f| next(f).unwrap_or(usize::MAX)).max().unwrap();
                        let candidates: Vec<usize> =
                            (0..n).filter(|&f| next(f).unwrap_or(usize::MAX) == furthest).collect();
                        match ties {
                            OptTies::Lru => *candidates.iter().min_by_key(|&&f| self.last[f]).unwrap(),
                            OptTies::Frame => candidates[0],
                        }
                    }
                    Rule::Clock | Rule::Second => loop {
                        let f = self.hand;
                        self.hand = (self.hand + 1) % n;
                        if self.r[f] {
                            self.r[f] = false;
                        } else {
                            break f;
                        }
                    },
                };
                (f, self.pages[f])
            }
        };
        self.pages[f] = Some(page);
        self.loaded[f] = now;
        self.last[f] = now;
        self.r[f] = !matches!(rule, Rule::Second);
        (false, f, victim)
    }
}

fn spec_of(rule: Rule) -> (Spec, Options) {
    let o = Options::default();
    match rule {
        Rule::Fifo => (Spec::Fifo, o),
        Rule::Lru => (Spec::Lru, o),
        Rule::Opt(t) => (Spec::Opt, Options { opt_ties: t, ..o }),
        Rule::Clock => (Spec::Clock, o),
        Rule::Second => (Spec::Second, o),
    }
}

fn refs_strategy() -> impl Strategy<Value = Vec<Reference>> {
    prop::collection::vec((0u64..10, any::<bool>()).prop_map(|(page, write)| Reference { page, write }), 0..150)
}

fn compare(rule: Rule, frames: usize, refs: &[Reference]) -> Result<(), TestCaseError> {
    let (spec, options) = spec_of(rule);
    let mut sim = Simulator::new(spec, frames, &options, refs).unwrap();
    let mut naive = Naive::new(frames);
    for t in 0..refs.len() {
        let step = sim.access(refs[t]);
        let fast: Outcome = (step.hit, step.frame.0, step.victim.map(|(p, _)| p));
        prop_assert_eq!(fast, naive.step(rule, refs, t), "{} at t={}", spec, t);
    }
    Ok(())
}

proptest! {
    #[test]
    fn fifo_matches_the_model(frames in 1usize..7, refs in refs_strategy()) {
        compare(Rule::Fifo, frames, &refs)?;
    }

    #[test]
    fn lru_matches_the_model(frames in 1usize..7, refs in refs_strategy()) {
        compare(Rule::Lru, frames, &refs)?;
    }

    #[test]
    fn opt_matches_the_model(frames in 1usize..7, refs in refs_strategy(), by_frame: bool) {
        compare(Rule::Opt(if by_frame { OptTies::Frame } else { OptTies::Lru }), frames, &refs)?;
    }

    #[test]
    fn clock_matches_the_model(frames in 1usize..7, refs in refs_strategy()) {
        compare(Rule::Clock, frames, &refs)?;
    }

    #[test]
    fn second_matches_the_model(frames in 1usize..7, refs in refs_strategy()) {
        compare(Rule::Second, frames, &refs)?;
    }

    /// Every policy: the counts add up, none faults less than OPT, a page is never resident
    /// twice and the victim is gone.
    #[test]
    fn every_policy_keeps_the_books(frames in 1usize..7, refs in refs_strategy(), seed: u64) {
        let options = Options { seed, period: 3, tau: 2, ..Options::default() };
        let mut opt = Simulator::new(Spec::Opt, frames, &options, &refs).unwrap();
        for r in &refs { opt.access(*r); }
        let min = opt.stats().faults;
        for spec in Spec::ALL.into_iter().chain([Spec::SegmentedFifo(60), Spec::SegmentedFifo(99)]) {
            let mut sim = Simulator::new(spec, frames, &options, &refs).unwrap();
            for r in &refs {
                let step = sim.access(*r);
                let resident: Vec<u64> = sim.frames().filter_map(|(_, p, _)| p).collect();
                let mut dedup = resident.clone();
                dedup.sort_unstable();
                dedup.dedup();
                prop_assert_eq!(dedup.len(), resident.len(), "{} holds a page twice", spec);
                prop_assert!(resident.contains(&r.page));
                if let Some((v, _)) = step.victim { prop_assert!(!resident.contains(&v)); }
            }
            let s = sim.stats();
            prop_assert_eq!(s.references, refs.len() as u64);
            prop_assert_eq!(s.hits + s.faults, s.references);
            prop_assert_eq!(s.minor_faults + s.major_faults, s.faults);
            // The first `frames` faults fill free frames; every later one evicts.
            prop_assert_eq!(s.clean_evictions + s.dirty_evictions, s.faults.saturating_sub(frames as u64));
            prop_assert_eq!(s.disk_writes, s.dirty_evictions);
            prop_assert_eq!(s.disk_reads, s.major_faults);
            prop_assert!(s.faults >= min, "{} beat OPT: {} < {}", spec, s.faults, min);
        }
    }

    /// LRU and OPT are stack algorithms: more frames never means more faults.
    #[test]
    fn stack_algorithms_have_no_belady_anomaly(refs in refs_strategy()) {
        for spec in [Spec::Lru, Spec::Opt] {
            let faults: Vec<u64> = (1..7).map(|n| {
                let mut sim = Simulator::new(spec, n, &Options::default(), &refs).unwrap();
                for r in &refs { sim.access(*r); }
                sim.stats().faults
            }).collect();
            prop_assert!(faults.windows(2).all(|w| w[1] <= w[0]), "{}: {:?}", spec, faults);
        }
    }
}
