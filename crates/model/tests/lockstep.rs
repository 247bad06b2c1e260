//! Property tests: random op sequences through the lock-step harness, on the real `ajou` and
//! `mtl458` machines (eager and copy-on-write fork), on small machines where running out of
//! frames and of process slots is common, and on general machines of random geometries and
//! entry widths (and the 32-bit presets).
//!
//! Each test runs `PROPTEST_CASES` cases (256 by default) of up to [`MAX_STEPS`] ops, then
//! checks over all cases that the sequences did reach the rules that matter (kills, forks,
//! copy-on-write copies, out of memory...): a generator that drifted into only bogus ops would
//! otherwise pass silently.

use std::cell::RefCell;

use kernel::{ForkPolicy, Kernel, Profile};
use model::{
    AddrSel, Op, PageSel, PidSel, Policy, RunOptions, RunReport, ajou_16, mtl458_64, run, small_ajou, small_mtl458,
};
use paging::{Format, Preset};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

/// The longest op sequence a case runs.
const MAX_STEPS: usize = 200;

/// Below this many cases the coverage expectations are not checked: a quick
/// `PROPTEST_CASES=4` run is for smoke, not coverage.
const CASES_FOR_COVERAGE: u32 = 64;

/// Which machine's operations a sequence leans on.
#[derive(Debug, Clone, Copy)]
enum Flavour {
    Mtl458,
    Ajou,
}

fn pid_sel() -> impl Strategy<Value = PidSel> {
    prop_oneof![
        8 => any::<u8>().prop_map(PidSel::Live),
        2 => Just(PidSel::Current),
        1 => (0u32..8).prop_map(PidSel::Raw),
        1 => prop_oneof![Just(u32::MAX), 100u32..5000].prop_map(PidSel::Raw),
    ]
}

fn page_sel(vpn_count: u32) -> impl Strategy<Value = PageSel> {
    prop_oneof![
        10 => any::<u16>().prop_map(PageSel::Mapped),
        3 => any::<u16>().prop_map(PageSel::Writable),
        2 => (any::<u16>(), -4i8..=4).prop_map(|(index, delta)| PageSel::Near { index, delta }),
        1 => (0..vpn_count + 4).prop_map(PageSel::Vpn),
        1 => any::<u32>().prop_map(PageSel::Vpn),
    ]
}

/// An address; `writable` weighs pages the process may write, for writes that mostly do not
/// kill.
fn addr_sel(vpn_count: u32, writable: u32) -> impl Strategy<Value = AddrSel> {
    let space = u64::from(vpn_count) * 4096;
    let page = prop_oneof![12 => page_sel(vpn_count), writable => any::<u16>().prop_map(PageSel::Writable)];
    prop_oneof![
        20 => (page, any::<u16>()).prop_map(|(page, offset)| AddrSel::In { page, offset }),
        1 => (0..space + 8192).prop_map(AddrSel::Raw),
        1 => any::<u64>().prop_map(AddrSel::Raw),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::Eager), Just(Policy::CopyOnWrite)]
}

fn create() -> impl Strategy<Value = Op> {
    let small = || 0u8..=3;
    let code = prop_oneof![8 => 0u8..=12, 1 => Just(255u8)];
    let stack = prop_oneof![8 => small(), 1 => Just(255u8)];
    let tweak = prop_oneof![12 => Just(0u8), 1 => 224u8..=255];
    let data_len = prop_oneof![6 => 0u16..0xFFF0, 1 => 0xFFF0u16..=0xFFFF];
    (code, small(), small(), stack, tweak, data_len, any::<u8>())
        .prop_map(|(c, r, w, s, tweak, data_len, seed)| Op::Create { pages: [c, r, w, s], tweak, data_len, seed })
}

fn count() -> impl Strategy<Value = u16> {
    prop_oneof![8 => 1u16..=4, 1 => Just(0u16), 2 => 5u16..=64, 1 => 64u16..=1100]
}

fn misalign() -> impl Strategy<Value = u8> {
    prop_oneof![12 => Just(0u8), 1 => 240u8..=255]
}

fn op(flavour: Flavour, vpn_count: u32) -> BoxedStrategy<Op> {
    let exit = pid_sel().prop_map(|pid| Op::Exit { pid });
    let fork =
        (pid_sel(), proptest::option::weighted(0.2, policy())).prop_map(|(pid, policy)| Op::Fork { pid, policy });
    let set_policy = policy().prop_map(|policy| Op::SetForkPolicy { policy });
    let free_page = prop_oneof![3 => any::<u16>().prop_map(PageSel::Unmapped), 1 => page_sel(vpn_count)];
    let allocate = (pid_sel(), free_page, count(), 0u8..8, misalign())
        .prop_map(|(pid, at, count, perm, misalign)| Op::Allocate { pid, at, count, perm, misalign });
    let deallocate = (pid_sel(), page_sel(vpn_count), count(), misalign())
        .prop_map(|(pid, at, count, misalign)| Op::Deallocate { pid, at, count, misalign });
    let read = (pid_sel(), addr_sel(vpn_count, 0)).prop_map(|(pid, addr)| Op::Read { pid, addr });
    let write =
        (pid_sel(), addr_sel(vpn_count, 24), any::<u8>()).prop_map(|(pid, addr, byte)| Op::Write { pid, addr, byte });
    let perm = prop_oneof![4 => Just(3u8), 2 => Just(1u8), 1 => 0u8..8];
    let map = (pid_sel(), page_sel(vpn_count), perm).prop_map(|(pid, vpn, perm)| Op::MapPage { pid, vpn, perm });
    let unmap = (pid_sel(), page_sel(vpn_count)).prop_map(|(pid, vpn)| Op::UnmapPage { pid, vpn });
    let touch = (pid_sel(), page_sel(vpn_count), proptest::bool::weighted(0.6))
        .prop_map(|(pid, vpn, write)| Op::Touch { pid, vpn, write });
    let switch_to = prop_oneof![3 => (0u32..8).prop_map(PidSel::Raw), 2 => pid_sel()];
    let switch = switch_to.prop_map(|pid| Op::Switch { pid });
    let clear = (pid_sel(), page_sel(vpn_count)).prop_map(|(pid, vpn)| Op::ClearAccessedDirty { pid, vpn });
    match flavour {
        Flavour::Mtl458 => prop_oneof![
            6 => create(),
            2 => exit,
            4 => fork,
            1 => set_policy,
            6 => allocate,
            3 => deallocate,
            8 => read,
            10 => write,
            1 => map,
            1 => unmap,
            1 => touch,
            1 => switch,
            2 => clear,
        ]
        .boxed(),
        Flavour::Ajou => prop_oneof![
            1 => create(),
            1 => exit,
            1 => fork,
            1 => set_policy,
            1 => allocate,
            1 => deallocate,
            2 => read,
            3 => write,
            8 => map,
            3 => unmap,
            10 => touch,
            5 => switch,
            1 => clear,
        ]
        .boxed(),
    }
}

fn ops(flavour: Flavour, vpn_count: u32) -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(flavour, vpn_count), 0..=MAX_STEPS)
}

/// Runs the property over `profiles` x `ops`, returning the merged reports of every case and
/// the number of cases, after checking that no case found a mismatch.
fn check(
    name: &'static str,
    regressions: &'static str,
    profiles: impl Strategy<Value = Profile>,
    ops: impl Strategy<Value = Vec<Op>>,
) -> (RunReport, u32) {
    // `Config::default()` reads PROPTEST_CASES and the other PROPTEST_* variables.
    let config = Config {
        source_file: Some(file!()),
        test_name: Some(name),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        ..Config::default()
    };
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let total = RefCell::new(RunReport::default());
    let result = runner.run(&(profiles, ops), |(profile, ops)| {
        let report = run(profile, &ops).map_err(|m| TestCaseError::fail(m.to_string()))?;
        total.borrow_mut().merge(&report);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let total = total.into_inner();
    eprintln!("{name}: {cases} cases, {total:?}");
    (total, cases)
}

/// Coverage expectations, checked when enough cases ran to make them certain in practice.
#[track_caller]
fn expect(cases: u32, what: &str, holds: bool) {
    if cases >= CASES_FOR_COVERAGE {
        assert!(holds, "over {cases} cases the sequences never reached: {what}");
    }
}

fn mtl458_cow() -> Profile {
    Profile { fork_policy: ForkPolicy::CopyOnWrite, ..Profile::MTL458 }
}

#[test]
fn lockstep_ajou() {
    let (r, cases) =
        check("lockstep_ajou", "proptest-regressions/lockstep_ajou.txt", Just(Profile::AJOU), ops(Flavour::Ajou, 256));
    expect(cases, "copy-on-write copies", r.cow_copies > 0);
    expect(cases, "copy-on-write in place", r.cow_in_place > 0);
    expect(cases, "refused accesses", r.refused > 0);
    expect(cases, "forks", r.forks > 0);
    expect(cases, "running out of the 128 frames", r.out_of_memory > 0);
}

#[test]
fn lockstep_mtl458_eager() {
    let (r, cases) = check(
        "lockstep_mtl458_eager",
        "proptest-regressions/lockstep_mtl458_eager.txt",
        Just(Profile::MTL458),
        ops(Flavour::Mtl458, 1024),
    );
    expect(cases, "kills", r.kills > 0);
    expect(cases, "forks", r.forks > 0);
    expect(cases, "invalid arguments", r.invalid > 0);
    expect(cases, "dead pids", r.no_such_process > 0);
}

#[test]
fn lockstep_mtl458_copy_on_write() {
    let (r, cases) = check(
        "lockstep_mtl458_copy_on_write",
        "proptest-regressions/lockstep_mtl458_copy_on_write.txt",
        Just(mtl458_cow()),
        ops(Flavour::Mtl458, 1024),
    );
    expect(cases, "kills", r.kills > 0);
    expect(cases, "copy-on-write copies", r.cow_copies > 0);
    expect(cases, "copy-on-write in place", r.cow_in_place > 0);
}

#[test]
fn lockstep_small_mtl458() {
    let profiles = (8u32..=96, 1u32..=10, 1usize..=8, any::<bool>()).prop_map(|(user, kernel, max, cow)| {
        let mut p = small_mtl458(user, kernel, max);
        if cow {
            p.fork_policy = ForkPolicy::CopyOnWrite;
        }
        p
    });
    let profiles = prop_oneof![1 => Just(mtl458_64()), 3 => profiles];
    let (r, cases) = check(
        "lockstep_small_mtl458",
        "proptest-regressions/lockstep_small_mtl458.txt",
        profiles,
        ops(Flavour::Mtl458, 1024),
    );
    expect(cases, "out of memory", r.out_of_memory > 0);
    expect(cases, "the process limit", r.process_limit > 0);
    expect(cases, "kills", r.kills > 0);
    expect(cases, "copy-on-write copies", r.cow_copies > 0);
}

#[test]
fn lockstep_small_ajou() {
    let profiles = prop_oneof![1 => Just(ajou_16()), 3 => (2u32..=24, 1u32..=20).prop_map(|(u, k)| small_ajou(u, k))];
    let (r, cases) =
        check("lockstep_small_ajou", "proptest-regressions/lockstep_small_ajou.txt", profiles, ops(Flavour::Ajou, 256));
    expect(cases, "out of memory", r.out_of_memory > 0);
    expect(cases, "copy-on-write copies", r.cow_copies > 0);
    expect(cases, "copy-on-write in place", r.cow_in_place > 0);
}

/// A general machine: 1 to 5 levels of unequal index bits (at most 20 VPN bits in all), 4 KiB
/// pages, entries of 1, 2, 4 or 8 bytes in `machines`' default layouts, or one of the presets
/// `x86-32`, `sv32`; 16 to 128 frames of memory (as many as a narrow entry names).
fn general_profile() -> impl Strategy<Value = Profile> {
    let custom = (proptest::collection::vec(1u8..=9, 1..=5), 0usize..4).prop_filter_map(
        "at most 20 VPN bits, tables of one page",
        |(bits, w)| {
            let width = [1u8, 2, 4, 8][w];
            let max = 12 - width.trailing_zeros() as u8;
            let bits: Vec<u8> = bits.iter().map(|&b| b.min(max)).collect();
            let total: u32 = bits.iter().map(|&b| u32::from(b)).sum();
            (4..=20).contains(&total).then(|| machines::custom_format(&bits, 4096, width).ok()).flatten()
        },
    );
    // Sv39's 2^26 pages would make a whole-space stack (`Op::Create`'s tweak) cost the model
    // a list of every page; the 32-bit presets' 2^20 are the most it builds.
    let preset = prop_oneof![Just(Preset::X86_32), Just(Preset::Sv32)].prop_map(|p| p.format());
    let format = prop_oneof![3 => custom, 1 => preset];
    (format, 16u64..=128, any::<bool>()).prop_filter_map("a buildable machine", |(format, frames, cow)| {
        // A narrow entry's frame field names few frames: the machine has no more.
        let bits = format.layout().frame_bits;
        let frames = if bits < 16 { frames.min(1 << bits) } else { frames };
        let mut p = Profile::machine("general", Format::general(format).ok()?, frames * 4096).ok()?;
        if cow {
            p.fork_policy = ForkPolicy::CopyOnWrite;
        }
        Some(p)
    })
}

/// `x86-32` on 96 KiB, copy-on-write.
fn small_x86_32() -> Profile {
    let format = Format::general(Preset::X86_32.format()).expect("x86-32 has software bits");
    let p = Profile::machine("x86-32-small", format, 24 * 4096).expect("a valid machine");
    Profile { fork_policy: ForkPolicy::CopyOnWrite, ..p }
}

#[test]
fn lockstep_general() {
    let profiles = general_profile();
    // Ops over the largest space generated; selectors re-aim them at the machine's own pages.
    let (r, cases) =
        check("lockstep_general", "proptest-regressions/lockstep_general.txt", profiles, ops(Flavour::Mtl458, 1 << 12));
    expect(cases, "forks", r.forks > 0);
    expect(cases, "kills", r.kills > 0);
    expect(cases, "out of memory", r.out_of_memory > 0);
    expect(cases, "copy-on-write copies", r.cow_copies > 0);
    expect(cases, "accessed or dirty bits cleared", r.bits_cleared > 0);
}

/// `Kernel::reset` (how the fuzz targets reuse a machine): after a random run, a reset machine
/// runs a second random sequence in lock step with a fresh model, and reports exactly what a
/// fresh machine running that sequence reports.
#[test]
fn a_reset_machine_runs_as_a_fresh_one() {
    let profiles = prop_oneof![
        Just(small_mtl458(10, 3, 3)),
        Just(Profile { fork_policy: ForkPolicy::CopyOnWrite, ..small_mtl458(10, 3, 3) }),
        Just(small_ajou(6, 4)),
        Just(mtl458_64()),
        Just(ajou_16()),
        // A general machine, as the fuzz target reuses them too.
        Just(small_x86_32()),
    ];
    let config = Config {
        source_file: Some(file!()),
        test_name: Some("a_reset_machine_runs_as_a_fresh_one"),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/a_reset_machine_runs_as_a_fresh_one.txt",
        ))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = (profiles, ops(Flavour::Mtl458, 64), ops(Flavour::Ajou, 64));
    let result = runner.run(&strategy, |(profile, first, second)| {
        let fail = |m: model::Mismatch| TestCaseError::fail(m.to_string());
        let mut k = Kernel::new(profile.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        model::run_on(&mut k, &first, RunOptions::default()).map_err(fail)?;
        k.reset();
        let reused = model::run_on(&mut k, &second, RunOptions { full_compare_every: 1, ..RunOptions::default() })
            .map_err(fail)?;
        let fresh = model::run_with(profile, &second, RunOptions { full_compare_every: 1, ..RunOptions::default() })
            .map_err(fail)?;
        prop_assert_eq!(reused, fresh);
        Ok(())
    });
    if let Err(e) = result {
        panic!("a_reset_machine_runs_as_a_fresh_one: {e}");
    }
}

/// An op for demand paging: mostly accesses to the pages a live process has (present, lazy or
/// swapped), small creates and allocations, forks; few bogus targets, so that processes live
/// long enough to page.
fn demand_op() -> BoxedStrategy<Op> {
    let pid = || prop_oneof![12 => any::<u8>().prop_map(PidSel::Live), 1 => (0u32..8).prop_map(PidSel::Raw)];
    let page = || {
        prop_oneof![
            8 => any::<u16>().prop_map(PageSel::Mapped),
            4 => any::<u16>().prop_map(PageSel::Writable),
            1 => (any::<u16>(), -2i8..=2).prop_map(|(index, delta)| PageSel::Near { index, delta }),
        ]
    };
    let addr = move || (page(), any::<u16>()).prop_map(|(page, offset)| AddrSel::In { page, offset });
    let small = || 0u8..=2;
    let create = (small(), small(), 0u8..=4, 0u8..=2, 0u16..9000, any::<u8>())
        .prop_map(|(c, r, w, s, len, seed)| Op::Create { pages: [c, r, w, s], tweak: 0, data_len: len, seed });
    let count = prop_oneof![6 => 1u16..=4, 1 => 5u16..=12];
    let perm = prop_oneof![6 => Just(3u8), 2 => Just(1u8), 1 => 0u8..8];
    let allocate = (pid(), any::<u16>(), count.clone(), perm.clone()).prop_map(|(pid, i, count, perm)| Op::Allocate {
        pid,
        at: PageSel::Unmapped(i),
        count,
        perm,
        misalign: 0,
    });
    let deallocate =
        (pid(), page(), 1u16..=3).prop_map(|(pid, at, count)| Op::Deallocate { pid, at, count, misalign: 0 });
    prop_oneof![
        3 => create,
        1 => pid().prop_map(|pid| Op::Exit { pid }),
        3 => (pid(), proptest::option::of(policy())).prop_map(|(pid, policy)| Op::Fork { pid, policy }),
        4 => allocate,
        2 => deallocate,
        10 => (pid(), addr()).prop_map(|(pid, addr)| Op::Read { pid, addr }),
        10 => (pid(), addr(), any::<u8>()).prop_map(|(pid, addr, byte)| Op::Write { pid, addr, byte }),
        1 => (pid(), any::<u16>(), perm).prop_map(|(pid, i, perm)| Op::MapPage { pid, vpn: PageSel::Unmapped(i), perm }),
        1 => (pid(), page()).prop_map(|(pid, vpn)| Op::UnmapPage { pid, vpn }),
        8 => (pid(), page(), any::<bool>()).prop_map(|(pid, vpn, write)| Op::Touch { pid, vpn, write }),
        3 => (pid(), page()).prop_map(|(pid, vpn)| Op::ClearAccessedDirty { pid, vpn }),
    ]
    .boxed()
}

/// Every policy the kernel runs on a live machine (all but `opt`, which needs the whole
/// reference string in advance), `sfifo` at a few sizes.
fn demand_policy() -> impl Strategy<Value = policy::Spec> {
    use policy::Spec;
    let sfifo = prop_oneof![Just(0u8), Just(25), Just(50), Just(100)].prop_map(Spec::SegmentedFifo);
    let named = proptest::sample::select(
        Spec::ALL.iter().copied().filter(|s| !matches!(s, Spec::Opt | Spec::SegmentedFifo(_))).collect::<Vec<_>>(),
    );
    prop_oneof![12 => named, 2 => sfifo]
}

/// Demand paging on a small general machine: `x86-32` (every page readable) or `sv32`
/// (RISC-V's readable leaves) on 64 frames, either fork policy, 1 to 6 frames of memory for
/// pages, 1 to 24 swap slots, lazy or not, a policy with small parameters, global or local
/// replacement.
fn demand_setup() -> impl Strategy<Value = (Profile, model::DemandSetup)> {
    let preset = prop_oneof![Just(Preset::X86_32), Just(Preset::Sv32)];
    let options = (1u64..=4, 0u64..=6, any::<u64>()).prop_map(|(period, tau, seed)| policy::Options {
        period,
        tau,
        seed,
        ..policy::Options::default()
    });
    let scope = prop_oneof![Just(kernel::Scope::Global), Just(kernel::Scope::Local)];
    (preset, any::<bool>(), 1u32..=6, 1u32..=24, any::<bool>(), demand_policy(), options, scope).prop_map(
        |(preset, cow, frames, swap_slots, lazy, spec, options, scope)| {
            let format = Format::general(preset.format()).expect("the 32-bit presets have software bits");
            let mut p = Profile::machine("demand", format, 64 * 4096).expect("a valid machine");
            if cow {
                p.fork_policy = ForkPolicy::CopyOnWrite;
            }
            let config = kernel::DemandConfig { frames, swap_slots, lazy };
            (p, model::DemandSetup { config, spec, options, scope })
        },
    )
}

/// Demand paging in lock step: random sequences of creates, forks (either fork policy is
/// set; demand paging shares copy-on-write), reads, writes, frees, exits, lazy and eager
/// allocations, on a handful of frames and swap slots, under every policy. After every op the
/// harness compares the outcome, the pages an op touched (present: frame, flags, bytes;
/// absent: lazy or the slot, flags), the swap slots' users, the policy's hand and the paging
/// counts of the machine and the processes.
#[test]
fn lockstep_demand_paging() {
    let config = Config {
        source_file: Some(file!()),
        test_name: Some("lockstep_demand_paging"),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/lockstep_demand_paging.txt",
        ))),
        ..Config::default()
    };
    // Half the usual cases unless PROPTEST_CASES asks: every op here scans every page.
    let config = if std::env::var_os("PROPTEST_CASES").is_none() {
        Config { cases: config.cases / 2, ..config }
    } else {
        config
    };
    let cases = config.cases;
    let mut runner = TestRunner::new(config);
    let total = RefCell::new(RunReport::default());
    let strategy = (demand_setup(), proptest::collection::vec(demand_op(), 0..=MAX_STEPS));
    let result = runner.run(&strategy, |((profile, setup), ops)| {
        let options = RunOptions { demand: Some(setup), ..RunOptions::default() };
        let report = model::run_with(profile, &ops, options).map_err(|m| TestCaseError::fail(m.to_string()))?;
        total.borrow_mut().merge(&report);
        Ok(())
    });
    if let Err(e) = result {
        panic!("lockstep_demand_paging: {e}");
    }
    let r = total.into_inner();
    eprintln!("lockstep_demand_paging: {cases} cases, {r:?}");
    expect(cases, "minor faults", r.minor_faults > 0);
    expect(cases, "major faults", r.major_faults > 0);
    expect(cases, "clean evictions", r.clean_evictions > 0);
    expect(cases, "dirty evictions", r.dirty_evictions > 0);
    expect(cases, "swap full", r.swap_full > 0);
    expect(cases, "forks", r.forks > 0);
    expect(cases, "copy-on-write copies", r.cow_copies > 0);
    expect(cases, "kills", r.kills > 0);
    expect(cases, "accessed or dirty bits cleared", r.bits_cleared > 0);
}

/// `opt` in lock step: it needs every reference in advance, so each case plans one: a process
/// with lazily allocated pages touches them in a random order (reads and writes), on 1 to 5
/// frames, with either tie rule. The kernel's `opt` is built by the `policy` crate from the
/// string; the model's own restatement gets the same string.
#[test]
fn lockstep_opt() {
    let config = Config {
        source_file: Some(file!()),
        test_name: Some("lockstep_opt"),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/lockstep_opt.txt"))),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let ties = prop_oneof![Just(policy::OptTies::Lru), Just(policy::OptTies::Frame)];
    let touches = proptest::collection::vec((0u32..8, proptest::bool::weighted(0.3)), 1..80);
    let strategy = (1u32..=5, 2u16..=8, ties, touches, any::<bool>());
    let result = runner.run(&strategy, |(frames, pages, opt_ties, touches, sv32)| {
        let preset = if sv32 { Preset::Sv32 } else { Preset::X86_32 };
        let format = Format::general(preset.format()).expect("the 32-bit presets have software bits");
        let profile = Profile::machine("opt", format, 64 * 4096).expect("a valid machine");
        let touches: Vec<(u32, bool)> = touches.into_iter().map(|(v, w)| (v % u32::from(pages), w)).collect();
        // The process will be pid 0: its page ids are its VPNs.
        let refs: Vec<policy::Reference> =
            touches.iter().map(|&(v, write)| policy::Reference { page: u64::from(v), write }).collect();
        let options = policy::Options { opt_ties, ..policy::Options::default() };
        let demand = kernel::DemandConfig { frames, swap_slots: 16, lazy: true };
        let mut k = Kernel::new(profile.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let built = policy::build(policy::Spec::Opt, frames as usize, &options, &refs)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        k.enable_demand_paging_with(demand, built).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let future = refs.iter().map(|r| r.page).collect();
        let m = model::Model::with_demand_future(&profile, demand, policy::Spec::Opt, &options, future)
            .ok_or_else(|| TestCaseError::fail("the model refused opt"))?;
        let mut ops = vec![
            Op::Create { pages: [0; 4], tweak: 0, data_len: 0, seed: 0 },
            Op::Allocate { pid: PidSel::Raw(0), at: PageSel::Vpn(0), count: pages, perm: 3, misalign: 0 },
        ];
        ops.extend(touches.iter().map(|&(v, write)| Op::Touch { pid: PidSel::Raw(0), vpn: PageSel::Vpn(v), write }));
        // No full comparison before the end: its reads are references the string does not have.
        let r = model::run_pair(&mut k, m, &ops, 0).map_err(|m| TestCaseError::fail(m.to_string()))?;
        prop_assert_eq!(r.ok, ops.len(), "every planned access succeeds, so that times match the string");
        Ok(())
    });
    if let Err(e) = result {
        panic!("lockstep_opt: {e}");
    }
}

/// The reset property under demand paging (the fuzz target reuses its demand-paged machines):
/// a reset machine has demand paging off, `run_on` turns it on again, and the second run
/// reports exactly what a fresh demand-paged machine reports.
#[test]
fn a_reset_demand_paged_machine_runs_as_a_fresh_one() {
    let config = Config {
        source_file: Some(file!()),
        test_name: Some("a_reset_demand_paged_machine_runs_as_a_fresh_one"),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/a_reset_demand_paged_machine_runs_as_a_fresh_one.txt",
        ))),
        cases: 32,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let ops = || proptest::collection::vec(demand_op(), 0..=64);
    let result = runner.run(&(demand_setup(), ops(), ops()), |((profile, setup), first, second)| {
        let fail = |m: model::Mismatch| TestCaseError::fail(m.to_string());
        let options = RunOptions { full_compare_every: 1, demand: Some(setup) };
        let mut k = Kernel::new(profile.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        model::run_on(&mut k, &first, options).map_err(fail)?;
        k.reset();
        prop_assert_eq!(k.demand_config(), None);
        let reused = model::run_on(&mut k, &second, options).map_err(fail)?;
        let fresh = model::run_with(profile, &second, options).map_err(fail)?;
        prop_assert_eq!(reused, fresh);
        Ok(())
    });
    if let Err(e) = result {
        panic!("a_reset_demand_paged_machine_runs_as_a_fresh_one: {e}");
    }
}
