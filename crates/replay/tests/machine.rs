//! Replay through a machine against the plain replay: the same faults, evictions and disk
//! traffic for every policy a course checks, on random traces, on several machines and TLB
//! shapes; and the machine's own counts worked by hand on a small string.

use proptest::prelude::*;
use replay::{Counts, Options, PageRef, Preset, Spec, Target, TlbConfig, sink_for};

fn run(
    refs: &[PageRef],
    spec: Spec,
    target: &Target,
) -> (Counts, Option<replay::TlbCounts>, Option<replay::MachineCounts>) {
    let mut sink = sink_for(refs, spec, &Options::default(), target).unwrap();
    sink.feed(refs).unwrap();
    (sink.counts(), sink.tlb_counts(), sink.machine_counts())
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        Just(Spec::Fifo),
        Just(Spec::Lru),
        Just(Spec::Opt),
        Just(Spec::Clock),
        Just(Spec::Second),
        Just(Spec::SegmentedFifo(50))
    ]
}

fn preset() -> impl Strategy<Value = Preset> {
    prop_oneof![
        Just(Preset::X86_64),
        Just(Preset::Sv39),
        Just(Preset::Aarch64_4k),
        Just(Preset::X86_32),
        Just(Preset::Sv32)
    ]
}

/// Pages clustered in a few 2 MiB regions and scattered over 4 GiB, so that walks meet
/// shared and separate tables.
fn page() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..24, (0u64..16).prop_map(|p| 0x300 + p), (0u64..(1 << 20))]
}

proptest! {
    #[test]
    fn a_machine_faults_exactly_as_the_plain_replay(
        refs in proptest::collection::vec((page(), any::<bool>()).prop_map(|(page, write)| PageRef { page, write }), 0..300),
        spec in spec(),
        preset in preset(),
        frames in 1usize..10,
        (entries, ways) in prop_oneof![Just((1usize, 1usize)), Just((4, 4)), Just((8, 2)), Just((64, 64))],
    ) {
        let plain = run(&refs, spec, &Target::frames(frames)).0;
        let target = Target { tlb: Some(TlbConfig { entries, ways }), machine: Some(preset), ..Target::frames(frames) };
        let (counts, tlb, machine) = run(&refs, spec, &target);
        prop_assert_eq!(counts, plain);
        let tlb = tlb.unwrap();
        prop_assert_eq!(tlb.hits + tlb.misses, refs.len() as u64);
        // Every fault missed the TLB (an evicted page's entry is shot down) and walked.
        prop_assert!(tlb.misses >= counts.page_faults);
        let m = machine.unwrap();
        prop_assert!(m.walks >= tlb.misses);
        prop_assert!(m.table_frames >= 1);
    }
}

#[test]
fn belady_through_x86_64_by_hand() {
    // FIFO, 3 frames, a 2-entry TLB: 9 faults (as without the machine). The TLB never hits:
    // each of the 3 page hits (1, 2 after 5 is loaded) finds its entry pushed out by the two
    // references before it. Walks: one a miss, 12. Tables: the root, one table at each lower
    // level for the first 2 MiB: 4 frames.
    let refs: Vec<PageRef> = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5].map(PageRef::read).to_vec();
    let target =
        Target { tlb: Some(TlbConfig { entries: 2, ways: 2 }), machine: Some(Preset::X86_64), ..Target::frames(3) };
    let (c, tlb, m) = run(&refs, Spec::Fifo, &target);
    assert_eq!(c.page_faults, 9);
    assert_eq!((tlb.unwrap().hits, tlb.unwrap().misses), (0, 12));
    let m = m.unwrap();
    assert_eq!((m.walks, m.table_frames), (12, 4));
}

#[test]
fn a_write_through_a_clean_tlb_entry_walks_to_set_dirty() {
    // 1 frame, page 7 read then written: one fault, one TLB hit that walks again for the
    // dirty bit; evicting it for page 8 is a dirty eviction, as the entry's dirty bit says.
    let refs = [PageRef::read(7), PageRef::write(7), PageRef::read(8)];
    let target = Target { machine: Some(Preset::X86_64), ..Target::frames(1) };
    let (c, tlb, m) = run(&refs, Spec::Lru, &target);
    assert_eq!((c.page_faults, c.evictions_dirty, c.disk_writes), (2, 1, 1));
    assert_eq!(tlb.unwrap().hits, 1);
    // Walks: 7's miss, the dirty walk, 8's miss.
    assert_eq!(m.unwrap().walks, 3);
}

#[test]
fn addresses_outside_the_machine_are_errors() {
    // Sv39 translates 39-bit addresses: page 2^27 is at 2^39, past the lower half.
    let refs = [PageRef::read(1 << 27)];
    let target = Target { machine: Some(Preset::Sv39), ..Target::frames(2) };
    let mut sink = sink_for(&refs, Spec::Lru, &Options::default(), &target).unwrap();
    let e = sink.feed(&refs).unwrap_err();
    assert_eq!(e.to_string(), "page 0x8000000: non-canonical address at level 0");
}
