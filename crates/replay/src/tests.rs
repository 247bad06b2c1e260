//! Replay counts: hand-worked strings, and the policies a course checks against a naive model
//! written straight from their definitions (lists of pages, scans for the victim), as a replay
//! counts them (every fault a disk read).

use proptest::prelude::*;

use crate::{Counts, PageRef, Spec, simulate};

fn reads(pages: &[u64]) -> Vec<PageRef> {
    pages.iter().map(|&p| PageRef::read(p)).collect()
}

const BELADY: [u64; 12] = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

#[track_caller]
fn faults(kind: &str, frames: usize, refs: &[PageRef]) -> u64 {
    simulate(refs, kind.parse().unwrap(), frames).unwrap().page_faults
}

#[test]
fn belady_string_by_hand() {
    let r = reads(&BELADY);
    // FIFO: 9 faults with 3 frames, 10 with 4 (Belady's anomaly).
    assert_eq!((faults("fifo", 3, &r), faults("fifo", 4, &r)), (9, 10));
    assert_eq!((faults("lru", 3, &r), faults("lru", 4, &r)), (10, 8));
    assert_eq!((faults("opt", 3, &r), faults("opt", 4, &r)), (7, 6));
    // clock, 3 frames: every R is 1 at each fault, so it degenerates to FIFO: 9.
    assert_eq!(faults("clock", 3, &r), 9);
    // second, 3 frames: the hits on 1 and 2 save them once; 3, 4 and 5 fault again: 10.
    assert_eq!(faults("second", 3, &r), 10);
    // sfifo:0 is FIFO and sfifo:100 is LRU.
    assert_eq!((faults("sfifo:0", 4, &r), faults("sfifo:100", 4, &r)), (10, 8));
}

#[test]
fn sfifo_by_hand() {
    // 4 frames, sfifo:50: a FIFO primary of 2 and an LRU secondary of 2.
    // 1 2 3 4 fill: primary [3 4], secondary [1 2] (1 least recent).
    // 1: a hit in the secondary (no fault): back to primary [4 1], 3 down: secondary [2 3].
    // 5: fault, evicts 2 (secondary LRU); primary [1 5], 4 down: secondary [3 4].
    // 2: fault, evicts 3. Faults: 4 + 1 + 1 = 6.
    let r = reads(&[1, 2, 3, 4, 1, 5, 2]);
    assert_eq!(faults("sfifo:50", 4, &r), 6);
    // FIFO on the same string evicts 1 for 5, and 2 is still resident: 5 faults.
    assert_eq!(faults("fifo", 4, &r), 5);
}

#[test]
fn writes_are_counted_at_eviction_only() {
    // 1 frame: 1w 2 1w 1 -> faults 3; evictions: 1 (dirty), 2 (clean); 1 stays dirty unflushed.
    let r = vec![PageRef::write(1), PageRef::read(2), PageRef::write(1), PageRef::read(1)];
    let c = simulate(&r, Spec::Lru, 1).unwrap();
    assert_eq!(
        c,
        Counts {
            references: 4,
            hits: 1,
            page_faults: 3,
            evictions_clean: 1,
            evictions_dirty: 1,
            disk_reads: 3,
            disk_writes: 1
        }
    );
}

#[test]
fn opt_ties_go_to_the_least_recently_used() {
    // 2 frames: 1 2 3: neither 1 nor 2 is used again; 1 is older and goes. Then 2 hits.
    let r = reads(&[1, 2, 3, 2]);
    assert_eq!(faults("opt", 2, &r), 3);
}

#[test]
fn names() {
    for n in ["fifo", "lru", "opt", "clock", "second", "sfifo:50"] {
        assert_eq!(n.parse::<Spec>().unwrap().to_string(), n);
    }
    assert!("sfifo:101".parse::<Spec>().is_err());
    assert!("belady".parse::<Spec>().is_err());
}

/// A naive model: a list of resident (page, dirty, loaded at, last use, R) and a victim chosen
/// by scanning, straight from each definition.
fn naive(refs: &[PageRef], kind: Spec, n: usize) -> Counts {
    #[derive(Clone, Copy)]
    struct Slot {
        page: u64,
        dirty: bool,
        loaded: usize,
        last: usize,
        r: bool,
    }
    let mut frames: Vec<Slot> = Vec::new();
    let mut hand = 0;
    // sfifo: primary in load order (oldest first), secondary in recency order (oldest first).
    let s_cap = match kind {
        Spec::SegmentedFifo(percent) => n * usize::from(percent) / 100,
        _ => 0,
    };
    let (mut primary, mut secondary): (Vec<u64>, Vec<u64>) = (Vec::new(), Vec::new());
    let mut c = Counts::default();
    for (t, r) in refs.iter().enumerate() {
        c.references += 1;
        if let Some(i) = frames.iter().position(|s| s.page == r.page) {
            c.hits += 1;
            frames[i].dirty |= r.write;
            frames[i].last = t;
            frames[i].r = true;
            if let Some(j) = secondary.iter().position(|&p| p == r.page) {
                secondary.remove(j);
                primary.push(r.page);
                if primary.len() > n - s_cap {
                    secondary.push(primary.remove(0));
                }
            }
            continue;
        }
        c.page_faults += 1;
        c.disk_reads += 1;
        let slot = Slot { page: r.page, dirty: r.write, loaded: t, last: t, r: kind != Spec::Second };
        if frames.len() < n {
            frames.push(slot);
        } else {
            let v = match kind {
                Spec::Fifo => (0..n).min_by_key(|&i| frames[i].loaded).unwrap(),
                Spec::Lru => (0..n).min_by_key(|&i| frames[i].last).unwrap(),
                Spec::Opt => (0..n)
                    .max_by_key(|&i| {
                        let next = refs[t + 1..].iter().position(|x| x.page == frames[i].page).unwrap_or(usize::MAX);
                        (next, usize::MAX - frames[i].last)
                    })
                    .unwrap(),
                Spec::Clock | Spec::Second => loop {
                    if frames[hand].r {
                        frames[hand].r = false;
                        hand = (hand + 1) % n;
                    } else {
                        let v = hand;
                        hand = (hand + 1) % n;
                        break v;
                    }
                },
                Spec::SegmentedFifo(_) => {
                    let page = if secondary.is_empty() { primary.remove(0) } else { secondary.remove(0) };
                    frames.iter().position(|s| s.page == page).unwrap()
                }
                other => unreachable!("no naive {other}"),
            };
            if frames[v].dirty {
                c.evictions_dirty += 1;
                c.disk_writes += 1;
            } else {
                c.evictions_clean += 1;
            }
            frames[v] = slot;
        }
        if let Spec::SegmentedFifo(_) = kind {
            primary.push(r.page);
            if primary.len() > n - s_cap {
                secondary.push(primary.remove(0));
            }
        }
    }
    c
}

fn kind() -> impl Strategy<Value = Spec> {
    prop_oneof![
        Just(Spec::Fifo),
        Just(Spec::Lru),
        Just(Spec::Opt),
        Just(Spec::Clock),
        Just(Spec::Second),
        (0u8..=100).prop_map(Spec::SegmentedFifo),
    ]
}

proptest! {
    #[test]
    fn every_policy_matches_the_naive_model(
        refs in proptest::collection::vec((0u64..10, any::<bool>()).prop_map(|(page, write)| PageRef { page, write }), 0..200),
        policy in kind(),
        frames in 1usize..8,
    ) {
        prop_assert_eq!(simulate(&refs, policy, frames).unwrap(), naive(&refs, policy, frames));
    }
}
