//! Small reference strings with results worked out by hand from each policy's rule (the
//! working is in the comments), one case per policy at least.

use policy::{Frame, FrameNote, OptTies, Options, Simulator, Spec, Stats, parse_refs};

/// Runs `refs` (the `vmsim replace` syntax): the stats and the victims in order.
#[track_caller]
fn run(spec: Spec, frames: usize, options: Options, refs: &str) -> (Stats, Vec<u64>, Simulator) {
    let refs = parse_refs(refs).unwrap();
    let mut sim = Simulator::new(spec, frames, &options, &refs).unwrap();
    let victims = refs.iter().filter_map(|r| sim.access(*r).victim.map(|(p, _)| p)).collect();
    (sim.stats(), victims, sim)
}

const BELADY: &str = "1,2,3,4,1,2,5,1,2,3,4,5";

#[track_caller]
fn check(spec: Spec, frames: usize, options: Options, refs: &str, faults: u64, victims: &[u64]) -> Simulator {
    let (stats, got, sim) = run(spec, frames, options, refs);
    assert_eq!((stats.faults, got.as_slice()), (faults, victims), "{spec} with {frames} frames on {refs}");
    sim
}

fn opts() -> Options {
    Options::default()
}

#[test]
fn belady_fifo_nine_then_ten() {
    check(Spec::Fifo, 3, opts(), BELADY, 9, &[1, 2, 3, 4, 1, 2]);
    // 4 frames: 1 2 3 4 miss, 1 2 hit, 5 evicts 1, 1 evicts 2, 2 evicts 3, 3 evicts 4,
    // 4 evicts 5, 5 evicts 1.
    check(Spec::Fifo, 4, opts(), BELADY, 10, &[1, 2, 3, 4, 5, 1]);
}

#[test]
fn lru_on_belady() {
    // 3 frames: 5 at t6 evicts 4 (recency 4,1,2); 3 at t9 evicts 5 (5@6 < 1@7 < 2@8);
    // 4 evicts 1, 5 evicts 2.
    check(Spec::Lru, 3, opts(), BELADY, 10, &[1, 2, 3, 4, 5, 1, 2]);
    // 4 frames: 5 evicts 3, 3 evicts 4, 4 evicts 5, 5 evicts 1.
    check(Spec::Lru, 4, opts(), BELADY, 8, &[3, 4, 5, 1]);
}

#[test]
fn opt_and_its_two_tie_rules() {
    // 4 evicts 3 (next uses 1@4 2@5 3@9); 5 evicts 4 (1@7 2@8 4@10); at t9 1 and 2 are never
    // used again: lru evicts 1 (last used 7 < 8), frame evicts frame 0, also 1. At t10 3 (f0,
    // last 9) and 2 (f1, last 8) tie: lru evicts 2, frame evicts 3 (frame 0).
    check(Spec::Opt, 3, opts(), BELADY, 7, &[3, 4, 1, 2]);
    check(Spec::Opt, 3, Options { opt_ties: OptTies::Frame, ..opts() }, BELADY, 7, &[3, 4, 1, 3]);
}

#[test]
fn clock_on_belady() {
    // t3: the hand clears R of frames 0, 1, 2 and evicts frame 0 (1); t4 evicts frame 1 (2),
    // t5 frame 2 (3); t6 clears all three again and evicts frame 0 (4); 1 and 2 hit; t9: from
    // frame 1 clears 1, 2, 0 (1, 2, 5) and evicts frame 1 (1); t10 evicts frame 2 (2).
    let sim = check(Spec::Clock, 3, opts(), BELADY, 9, &[1, 2, 3, 4, 1, 2]);
    assert_eq!(sim.hand(), Some(Frame(0)));
}

#[test]
fn clock_and_second_part_on_a_hit() {
    // 1 2 3 fill frames 0-2, 1 hits. clock: every R is 1, a full turn clears them, frame 0
    // (1) goes. second: new pages had R = 0, only 1's hit set it: frame 0 is cleared, frame 1
    // (2) goes and the hand stops at 2.
    let sim = check(Spec::Clock, 3, opts(), "1,2,3,1,4", 4, &[1]);
    assert_eq!(sim.hand(), Some(Frame(1)));
    let sim = check(Spec::Second, 3, opts(), "1,2,3,1,4", 4, &[2]);
    assert_eq!(sim.hand(), Some(Frame(2)));
    let notes: Vec<_> = sim.frames().map(|(_, p, n)| (p, n)).collect();
    assert_eq!(
        notes,
        [
            (Some(1), Some(FrameNote::R(false))),
            (Some(4), Some(FrameNote::R(false))),
            (Some(3), Some(FrameNote::R(false)))
        ]
    );
}

#[test]
fn second_on_belady() {
    // Like FIFO until t9: 1 and 2 hit (R=1) so the hand clears frames 1, 2 and evicts frame
    // 0 (5); then frame 1 (1), frame 2 (2).
    check(Spec::Second, 3, opts(), BELADY, 10, &[1, 2, 3, 4, 5, 1, 2]);
}

#[test]
fn nru_classes_and_the_period() {
    // Period 4. t3 (4): classes 3 (1w), 2, 2 -> frame 1 (2). The tick after t3 clears R:
    // 1 is class 1, 4 and 3 class 0 -> t4 (5) evicts frame 1 (4). t5 hits 1 (class 3), t6 (6):
    // 5 is class 2, 3 class 0 -> 3.
    let sim = check(Spec::Nru, 3, opts(), "1w,2,3,4,5,1,6", 6, &[2, 4, 3]);
    let notes: Vec<_> = sim.frames().map(|(_, _, n)| n).collect();
    assert_eq!(
        notes,
        [Some(FrameNote::RM(true, true)), Some(FrameNote::RM(true, false)), Some(FrameNote::RM(true, false))]
    );
}

#[test]
fn aging_counters() {
    // Period 1: after t3 the counters are 1: 0x90, 2: 0x20, 3: 0x40, so 4 evicts 2; after the
    // tick of t4: 1: 0x48, 4: 0x80, 3: 0x20.
    let sim = check(Spec::Aging, 3, Options { period: 1, ..opts() }, "1,2,3,1,4", 4, &[2]);
    let notes: Vec<_> = sim.frames().map(|(_, p, n)| (p, n)).collect();
    assert_eq!(
        notes,
        [
            (Some(1), Some(FrameNote::Counter(0x48))),
            (Some(4), Some(FrameNote::Counter(0x80))),
            (Some(3), Some(FrameNote::Counter(0x20)))
        ]
    );
}

#[test]
fn wsclock_skips_a_dirty_old_page() {
    // tau 0, 4 frames. t4 (5): a full turn clears every R (last use 4) and finds nothing old,
    // so the oldest from the hand, frame 0 (1), goes; hand 1. t5 (6): frame 1 (2w) is old but
    // dirty (remembered), frame 2 (3) is old and clean: evicted, hand 3. t6 (7): frame 3 (4)
    // is old and clean.
    let (stats, victims, sim) = run(Spec::WsClock, 4, Options { tau: 0, ..opts() }, "1,2w,3,4,5,6,7");
    assert_eq!(victims, [1, 3, 4]);
    assert_eq!((stats.clean_evictions, stats.dirty_evictions), (3, 0));
    assert_eq!(sim.hand(), Some(Frame(0)));
}

#[test]
fn wsclock_evicts_the_dirty_old_page_when_no_clean_one() {
    // 2 frames, tau 0: t2 (3) clears both R, evicts the oldest, frame 0 (1w: a dirty
    // eviction, one disk write); t3 (4): frame 1 (2w) is old and dirty, frame 0 (3) has R=1:
    // cleared; no clean old page, so 2 goes, dirty.
    let (stats, victims, _) = run(Spec::WsClock, 2, Options { tau: 0, ..opts() }, "1w,2w,3,4");
    assert_eq!(victims, [1, 2]);
    assert_eq!((stats.dirty_evictions, stats.disk_writes), (2, 2));
}

#[test]
fn lfu_on_belady() {
    // All counts are 1 until t7: ties go to the least recently used, as FIFO: 1, 2, 3, 4.
    // 1 and 2 then count 2; 3 evicts 5 (count 1), 4 evicts 3, 5 evicts 4.
    check(Spec::Lfu, 3, opts(), BELADY, 10, &[1, 2, 3, 4, 5, 3, 4]);
}

#[test]
fn mru_on_belady() {
    // 4 evicts 3 (the last referenced), 5 evicts 2, then 2 misses and evicts 1, 3 evicts 2.
    check(Spec::Mru, 3, opts(), BELADY, 7, &[3, 2, 1, 2]);
}

#[test]
fn sfifo_half_secondary() {
    // 4 frames, 2 secondary. 3 pushes 1 down; the hit on 1 brings it back, pushing 2 down;
    // 4 pushes 3 down: secondary [2, 3]. 5 evicts the secondary's least recent, 2 (FIFO
    // would evict 1).
    let sim = check(Spec::SegmentedFifo(50), 4, opts(), "1,2,3,1,4,5", 5, &[2]);
    let seg: Vec<_> = sim.frames().map(|(_, p, n)| (p, n)).collect();
    assert_eq!(
        seg,
        [
            (Some(1), Some(FrameNote::Segment("s"))),
            (Some(5), Some(FrameNote::Segment("p"))),
            (Some(3), Some(FrameNote::Segment("s"))),
            (Some(4), Some(FrameNote::Segment("p")))
        ]
    );
    check(Spec::SegmentedFifo(0), 3, opts(), BELADY, 9, &[1, 2, 3, 4, 1, 2]);
}

#[test]
fn sieve_keeps_visited_pages_in_place() {
    // 1 2 3 load with R=0; 1 hits. 4: the hand at 1 clears it, moves to 2 (R=0): evicted;
    // the hand stays at 3, which goes next, then 4.
    check(Spec::Sieve, 3, opts(), "1,2,3,1,4,5,6", 6, &[2, 3, 4]);
}

#[test]
fn two_q_protects_a_page_seen_twice() {
    // 4 frames: Kin 1, Kout 2. 5 evicts 1 (ghost); 1 evicts 2 and, being a ghost, enters Am;
    // 6, 7, 8 evict 3, 4, 5 from A1in; 5 is a ghost again: it evicts 6 and enters Am.
    let sim = check(Spec::TwoQ, 4, opts(), "1,2,3,4,5,1,6,7,8,5", 10, &[1, 2, 3, 4, 5, 6]);
    let seg: Vec<_> = sim.frames().map(|(_, p, n)| (p, n)).collect();
    assert_eq!(
        seg,
        [
            (Some(8), Some(FrameNote::Segment("in"))),
            (Some(1), Some(FrameNote::Segment("am"))),
            (Some(5), Some(FrameNote::Segment("am"))),
            (Some(7), Some(FrameNote::Segment("in")))
        ]
    );
}

#[test]
fn random_is_reproducible() {
    let long = "1,2,3,4,5,6,7,8,9,1,2,3,4,5,6,7,8,9,3,1,4,1,5,9,2,6";
    let (a, va, _) = run(Spec::Random, 3, Options { seed: 7, ..opts() }, long);
    let (b, vb, _) = run(Spec::Random, 3, Options { seed: 7, ..opts() }, long);
    assert_eq!((a, va.clone()), (b, vb));
    let others: Vec<_> = (0..8).map(|s| run(Spec::Random, 3, Options { seed: s, ..opts() }, long).1).collect();
    assert!(others.iter().any(|v| *v != va), "eight seeds all gave the same victims");
}

#[test]
fn statistics_count_minor_major_and_dirty() {
    // FIFO, 2 frames, 1w 2 3 1 2w 1: 1w 2 miss (minor); 3 evicts 1 (dirty, one write); 1 is
    // major (read back) and evicts 2 (clean); 2w major, evicts 3 (clean); 1 hits.
    let (s, victims, _) = run(Spec::Fifo, 2, opts(), "1w,2,3,1,2w,1");
    assert_eq!(victims, [1, 2, 3]);
    assert_eq!(
        s,
        Stats {
            references: 6,
            hits: 1,
            faults: 5,
            minor_faults: 3,
            major_faults: 2,
            clean_evictions: 2,
            dirty_evictions: 1,
            disk_writes: 1,
            disk_reads: 2,
        }
    );
}
