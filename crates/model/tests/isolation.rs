//! Isolation after long random runs with forks in both policies: every byte each process can
//! read is its own (the frame-free shadow's, see `support`) and the model's, and no write by one
//! process is ever visible in another after their fork (checked after every write, by reading
//! the written address in every other process that maps the page).

mod support;

use kernel::{ForkPolicy, Profile};
use model::{Op, PageSel, PidSel, Policy};
use support::{Driver, Flavour, Rng};

/// Runs `ops` random ops of `flavour` on `profile` from `seed`, checking the kernel every 100
/// ops and comparing everything every 1,000, then ends every process. Returns the tally.
fn long_run(profile: Profile, flavour: Flavour, seed: u64, ops: u64) -> support::Tally {
    let name = profile.name;
    let mut d = Driver::new(profile);
    let mut rng = Rng::new(seed);
    for i in 1..=ops {
        let op = support::gen_op(&mut rng, flavour);
        d.step(&op).unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
        if i % 100 == 0 {
            d.check().unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
        }
        if i % 1000 == 0 {
            d.compare_all().unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
        }
    }
    d.compare_all().unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
    let tally = d.tally;
    d.exit_all().unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
    tally
}

/// Forks in both policies, writes and cross-process reads really happened: a run that drifted
/// into refusals only would prove nothing.
/// The thresholds are about half of what the fixed seeds reach.
fn assert_exercised(t: &support::Tally, forks: u64, writes: u64, reads: u64) {
    assert!(t.forks_eager >= forks, "too few eager forks: {t:?}");
    assert!(t.forks_cow >= forks, "too few copy-on-write forks: {t:?}");
    assert!(t.writes >= writes, "too few writes: {t:?}");
    assert!(t.isolation_reads >= reads, "too few cross-process reads: {t:?}");
    assert!(t.max_live >= 5, "too few processes at once: {t:?}");
}

#[test]
fn small_mtl458_machines_keep_processes_apart() {
    for (seed, policy) in [(1, ForkPolicy::Eager), (2, ForkPolicy::CopyOnWrite)] {
        let profile = Profile { fork_policy: policy, ..model::mtl458_64() };
        let t = long_run(profile, Flavour::Mtl458, seed, 60_000);
        assert_exercised(&t, 600, 2400, 2400);
        assert!(t.kills > 0 && t.out_of_memory > 0, "{t:?}");
    }
}

#[test]
fn the_mtl458_machine_keeps_processes_apart() {
    for (seed, policy) in [(3, ForkPolicy::Eager), (4, ForkPolicy::CopyOnWrite)] {
        let profile = Profile { fork_policy: policy, ..Profile::MTL458 };
        let t = long_run(profile, Flavour::Mtl458, seed, 30_000);
        assert_exercised(&t, 600, 2000, 15_000);
        assert!(t.max_live >= 40, "{t:?}");
    }
}

#[test]
fn ajou_machines_keep_processes_apart() {
    let t = long_run(Profile::AJOU, Flavour::Ajou, 5, 60_000);
    assert_exercised(&t, 300, 500, 3000);
    let t = long_run(model::ajou_16(), Flavour::Ajou, 6, 60_000);
    assert_exercised(&t, 200, 700, 400);
}

/// A fork chain, by hand: each generation writes its own byte to every writable page, after
/// forking the next in the other policy; then every process still reads only its own bytes.
#[test]
fn a_fork_chain_in_alternating_policies() {
    for first in [Policy::Eager, Policy::CopyOnWrite] {
        let mut d = Driver::new(model::mtl458_64());
        let create = Op::Create { pages: [1, 1, 2, 2], tweak: 0, data_len: 5000, seed: 7 };
        d.step(&create).unwrap();
        let mut policy = first;
        for generation in 0..5u8 {
            let newest = PidSel::Live(generation);
            d.step(&Op::Fork { pid: newest, policy: Some(policy) }).unwrap();
            policy = if policy == Policy::Eager { Policy::CopyOnWrite } else { Policy::Eager };
            // Four writable pages (rw data and stack); the older process writes after the fork.
            for page in 0..4 {
                for offset in [0, 1, 4095] {
                    let addr = model::AddrSel::In { page: PageSel::Writable(page), offset };
                    d.step(&Op::Write { pid: newest, addr, byte: 0x10 * generation + page as u8 }).unwrap();
                }
            }
            d.compare_all().unwrap();
        }
        assert_eq!(d.live(), 6);
        assert_eq!(d.tally.forks_eager + d.tally.forks_cow, 5);
        assert!(d.tally.isolation_reads >= 5 * 12, "{:?}", d.tally);
        d.exit_all().unwrap();
    }
}
