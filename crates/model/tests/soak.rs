//! The soak: a seeded random run of millions of operations over up to 100 processes on the
//! real `mtl458` machine (forks switching between both policies), then a shorter one on the
//! `ajou` machine, all in lock step with the model and the byte shadow of `support`.
//! `Kernel::check` runs every 1,000 operations, a full comparison of every byte every 100,000;
//! at the end every process exits and every frame of both pools must be free.
//!
//! Not part of the default test run (`#[ignore]`): `cargo xtask soak --ops N --seed S` runs it
//! optimised, with `VMSIM_SOAK_OPS` and `VMSIM_SOAK_SEED`. `soak_smoke` runs the same code for
//! a few thousand operations in every test run.

mod support;

use std::time::Instant;

use kernel::Profile;
use support::{Driver, Flavour, Rng, Tally};

const CHECK_EVERY: u64 = 1_000;
const COMPARE_EVERY: u64 = 100_000;
const REPORT_EVERY: u64 = 1_000_000;

/// Runs `ops` ops on `profile` and returns the tally; panics with the seed and the op number on
/// the first difference or broken invariant.
fn soak(profile: Profile, flavour: Flavour, seed: u64, ops: u64, report: bool) -> Tally {
    let name = profile.name;
    let mut d = Driver::new(profile);
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let fail = |e: String| -> ! { panic!("soak {name} seed {seed}: {e}") };
    for i in 1..=ops {
        let op = support::gen_op(&mut rng, flavour);
        d.step(&op).unwrap_or_else(|e| fail(e));
        if i % CHECK_EVERY == 0 {
            d.check().unwrap_or_else(|e| fail(e));
        }
        if i % COMPARE_EVERY == 0 {
            d.compare_all().unwrap_or_else(|e| fail(e));
        }
        if report && i % REPORT_EVERY == 0 {
            let t = &d.tally;
            println!(
                "soak {name}: {i} ops in {:.1} s, {} alive (max {}), forks {} eager + {} cow, {} kills, {} out of memory",
                started.elapsed().as_secs_f64(),
                d.live(),
                t.max_live,
                t.forks_eager,
                t.forks_cow,
                t.kills,
                t.out_of_memory
            );
        }
    }
    d.check().unwrap_or_else(|e| fail(e));
    d.compare_all().unwrap_or_else(|e| fail(e));
    let tally = d.tally;
    d.exit_all().unwrap_or_else(|e| fail(e));
    if report {
        println!("soak {name}: done in {:.1} s\n{tally}", started.elapsed().as_secs_f64());
        println!("soak {name}: every process exited; every user and kernel frame is free");
    }
    tally
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.replace('_', "").parse().unwrap_or_else(|e| panic!("{name}={v}: {e}")),
        Err(_) => default,
    }
}

#[test]
#[ignore = "minutes long: run it with `cargo xtask soak`"]
fn soak_both_machines() {
    let ops = env_u64("VMSIM_SOAK_OPS", 10_000_000);
    let seed = env_u64("VMSIM_SOAK_SEED", 1);
    println!("soak: {ops} ops on mtl458, {} on ajou, seed {seed}", ops / 10);
    let t = soak(Profile::MTL458, Flavour::Mtl458, seed, ops, true);
    assert!(t.max_live >= 50 && t.forks_eager > 0 && t.forks_cow > 0 && t.kills > 0, "{t:?}");
    let t = soak(Profile::AJOU, Flavour::Ajou, seed ^ 0xA10u64, ops / 10, true);
    assert!(t.forks_eager > 0 && t.forks_cow > 0 && t.out_of_memory > 0, "{t:?}");
}

#[test]
fn soak_smoke() {
    let t = soak(Profile::MTL458, Flavour::Mtl458, 99, 5_000, false);
    assert!(t.max_live >= 20 && t.forks_eager > 0 && t.forks_cow > 0, "{t:?}");
    let t = soak(Profile::AJOU, Flavour::Ajou, 98, 5_000, false);
    assert!(t.forks_eager > 0 && t.forks_cow > 0, "{t:?}");
}

#[test]
fn the_summary_is_one_readable_fact_a_line() {
    let t = Tally {
        ops: 10_000_000,
        ok: 9_000_000,
        refused: 999_000,
        out_of_memory: 1_000,
        forks_eager: 1_234,
        forks_cow: 56,
        kills: 7,
        writes: 3_000_000,
        isolation_reads: 12_345,
        max_live: 100,
    };
    assert_eq!(
        t.to_string(),
        "  operations  10,000,000 (9,000,000 succeeded, 999,000 refused, 1,000 out of memory)\n\
         \x20 forks       1,234 eager, 56 copy-on-write\n\
         \x20 kills       7\n\
         \x20 writes      3,000,000 (12,345 isolation reads of other processes)\n\
         \x20 processes   at most 100 alive at once"
    );
    assert_eq!(support::thousands(999), "999");
    assert_eq!(support::thousands(1_000), "1,000");
}
