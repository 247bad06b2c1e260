//! Demand paging through the kernel: hand-worked reference strings, the kernel in lock step
//! with the `policy` crate's own driver for every policy, swap slots shared by fork and
//! copy-on-write, swap full, and random operation sequences checked after every step against
//! a naive map of every page's bytes.

use std::collections::BTreeMap;

use kernel::{
    Access, AccessError, AllocateError, DemandConfig, Format, Kernel, PagingStats, Perm, Pid, Preset, Profile,
    SegmentSizes, VirtAddr, Vpn,
};
use policy::{Options, Reference, Simulator, Spec};
use proptest::prelude::*;

const RW: Perm = Perm::READ.union(Perm::WRITE);

fn machine(preset: Preset, frames: u32, slots: u32, lazy: bool, spec: Spec) -> Kernel {
    let format = Format::general(preset.format()).unwrap();
    let mut k = Kernel::new(Profile::machine(preset.name(), format, 1 << 20).unwrap()).unwrap();
    k.enable_demand_paging(DemandConfig { frames, swap_slots: slots, lazy }, spec, &Options::default()).unwrap();
    k
}

/// A process with `pages` lazily allocated pages from VPN 0.
fn process(k: &mut Kernel, pages: u32) -> Pid {
    let p = k.create_ps(SegmentSizes::default(), &[]).unwrap();
    k.allocate_pages(p, VirtAddr::new(0), pages, RW).unwrap();
    p
}

#[track_caller]
fn checked(k: &Kernel) {
    if let Err(e) = k.check() {
        panic!("{e}");
    }
}

fn stats(k: &Kernel) -> PagingStats {
    k.paging_stats().unwrap()
}

/// Runs `pages` (a `w` suffix is a write) through one process and returns the machine stats.
fn run(spec: Spec, frames: u32, refs: &str) -> PagingStats {
    let mut k = machine(Preset::X86_64, frames, 64, true, spec);
    let p = process(&mut k, 16);
    for r in refs.split(',') {
        let (page, write) = r.strip_suffix('w').map_or((r, false), |p| (p, true));
        let access = if write { Access::Write } else { Access::Read };
        k.touch(p, Vpn::new(page.parse().unwrap()), access).unwrap();
        checked(&k);
    }
    stats(&k)
}

#[test]
fn belady_fifo_faults_more_with_more_frames() {
    let belady = "1,2,3,4,1,2,5,1,2,3,4,5";
    assert_eq!(run(Spec::Fifo, 3, belady).faults, 9);
    assert_eq!(run(Spec::Fifo, 4, belady).faults, 10);
}

#[test]
fn hand_worked_counts() {
    // LRU, 3 frames, Belady's string: misses 1 2 3 4 1 2 5 . . 3 4 5 = 10 faults, 2 hits;
    // 5 distinct pages: 5 minor faults, 5 major (1, 2 came back once, 3, 4, 5 once each).
    let s = run(Spec::Lru, 3, "1,2,3,4,1,2,5,1,2,3,4,5");
    assert_eq!((s.references, s.hits, s.faults, s.minor_faults, s.major_faults), (12, 2, 10, 5, 5));
    assert_eq!(s.disk_reads, s.major_faults);
    // Victims, in order: 1, 2, 3, 4 (for 1, 2, 5... ), 5 (for 3: 1 and 2 were used since),
    // 1, 2. The first eviction of each page writes it (its only copy is in memory): 5 dirty;
    // 1 and 2 came back unmodified, so their second eviction writes nothing: 2 clean.
    assert_eq!((s.dirty_evictions, s.clean_evictions, s.disk_writes), (5, 2, 5));
    // FIFO with writes: 1w,2,3,1w,4 with 3 frames: 4 evicts 1 (dirty, and no copy); 1 then
    // faults back (major) evicting 2 (no copy: a write), and the final 2 evicts 3 (a write).
    let s = run(Spec::Fifo, 3, "1w,2,3,1w,4,1,2");
    assert_eq!((s.faults, s.hits, s.minor_faults, s.major_faults), (6, 1, 4, 2));
    assert_eq!((s.dirty_evictions, s.clean_evictions, s.disk_writes, s.disk_reads), (3, 0, 3, 2));
}

#[test]
fn a_page_read_back_unmodified_is_evicted_clean() {
    // 1 frame: 1w (minor), 2 (minor: evicts 1, written), 1 (major: evicts 2, written), 2
    // (major: evicts 1, which came back unmodified: clean), 1 (major: evicts 2: clean).
    let s = run(Spec::Fifo, 1, "1w,2,1,2,1");
    assert_eq!((s.minor_faults, s.major_faults), (2, 3));
    assert_eq!((s.dirty_evictions, s.clean_evictions), (2, 2));
    // The same with a write after coming back: that eviction writes again.
    let s = run(Spec::Fifo, 1, "1w,2,1w,2,1");
    assert_eq!((s.dirty_evictions, s.clean_evictions), (3, 1));
}

/// Pages and frame indices resident in the kernel, as (frame index, page).
fn resident(k: &Kernel, pid: Pid) -> Vec<(usize, u64)> {
    let base = k.mem().user.range().start;
    let mut v: Vec<_> =
        k.mapped(pid).unwrap().map(|(vpn, e)| ((e.frame().as_u32() - base) as usize, vpn.as_u64())).collect();
    v.sort();
    v
}

fn lock_step(spec: Spec, frames: u32, refs: &[(u8, bool)]) -> Result<(), TestCaseError> {
    let refs: Vec<Reference> = refs.iter().map(|&(page, write)| Reference { page: u64::from(page), write }).collect();
    let mut sim = Simulator::new(spec, frames as usize, &Options::default(), &refs).unwrap();
    // The kernel's policy is built the same way; opt from the same string (one process,
    // pid 0: its page ids are its VPNs).
    let format = Format::general(Preset::Sv39.format()).unwrap();
    let mut k = Kernel::new(Profile::machine("sv39", format, 1 << 20).unwrap()).unwrap();
    let policy = policy::build(spec, frames as usize, &Options::default(), &refs).unwrap();
    k.enable_demand_paging_with(DemandConfig { frames, swap_slots: 64, lazy: true }, policy).unwrap();
    let p = process(&mut k, 16);
    for (i, r) in refs.iter().enumerate() {
        let step = sim.access(*r);
        let access = if r.write { Access::Write } else { Access::Read };
        let frame = k.touch(p, Vpn::from_u64(r.page), access).unwrap();
        prop_assert_eq!((frame.as_u32() - k.mem().user.range().start) as usize, step.frame.0, "{} at {}", spec, i);
        let expected: Vec<(usize, u64)> = {
            let mut v: Vec<_> = sim.frames().filter_map(|(f, page, _)| Some((f.0, page?))).collect();
            v.sort();
            v
        };
        prop_assert_eq!(resident(&k, p), expected, "{} at {}", spec, i);
        prop_assert_eq!(k.policy_hand(), sim.hand().map(|f| f.0));
    }
    let (a, b) = (stats(&k), sim.stats());
    prop_assert_eq!(
        (a.references, a.hits, a.faults, a.minor_faults, a.major_faults, a.disk_reads),
        (b.references, b.hits, b.faults, b.minor_faults, b.major_faults, b.disk_reads)
    );
    prop_assert_eq!(k.process_paging_stats(p).unwrap(), a);
    checked(&k);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The kernel, driving a policy with its entries' accessed and dirty bits, keeps the same
    /// pages in the same frames as the policy crate's own driver, for every policy.
    #[test]
    fn every_policy_matches_the_reference_driver(
        frames in 1u32..6,
        refs in prop::collection::vec((0u8..9, any::<bool>()), 1..80),
    ) {
        for spec in Spec::ALL {
            lock_step(spec, frames, &refs)?;
        }
    }
}

#[test]
fn a_shared_page_goes_to_one_slot_and_comes_back_shared() {
    let mut k = machine(Preset::X86_64, 2, 8, false, Spec::Fifo);
    let parent = process(&mut k, 1);
    k.write_mem(parent, VirtAddr::new(0), 7).unwrap();
    let child = k.fork_ps(parent).unwrap();
    checked(&k);
    // Two more pages in the parent push the shared page out: one slot, two users.
    k.allocate_pages(parent, VirtAddr::new(0x1000), 2, RW).unwrap();
    checked(&k);
    assert_eq!(k.swap_slot_users(0), Some(2));
    assert!(k.entry(parent, Vpn::new(0)).unwrap() == kernel::Pte::EMPTY);
    // The child reads it back (major), the parent then shares that frame (minor).
    assert_eq!(k.read_mem(child, VirtAddr::new(0)).unwrap(), 7);
    let before = stats(&k);
    assert_eq!(k.read_mem(parent, VirtAddr::new(0)).unwrap(), 7);
    let after = stats(&k);
    assert_eq!((after.minor_faults - before.minor_faults, after.disk_reads - before.disk_reads), (1, 0));
    let frame = k.entry(child, Vpn::new(0)).unwrap().frame();
    assert_eq!(k.entry(parent, Vpn::new(0)).unwrap().frame(), frame);
    assert_eq!(k.mem().map_counts.get(frame), 2);
    checked(&k);
    // Copy-on-write on the page that came back from swap.
    k.write_mem(child, VirtAddr::new(0), 9).unwrap();
    checked(&k);
    assert_eq!(k.read_mem(parent, VirtAddr::new(0)).unwrap(), 7);
    assert_eq!(k.read_mem(child, VirtAddr::new(0)).unwrap(), 9);
    checked(&k);
}

#[test]
fn writing_a_page_whose_slot_others_still_name_copies_it() {
    // One frame: the shared page goes out to slot 0 with two users; the parent reads it back
    // (the child still names the slot) and writes it: the write must copy, so that the child
    // still reads the old bytes.
    let mut k = machine(Preset::Sv48, 1, 8, true, Spec::Lru);
    let parent = process(&mut k, 2);
    k.write_mem(parent, VirtAddr::new(0), 1).unwrap();
    let child = k.fork_ps(parent).unwrap();
    k.write_mem(parent, VirtAddr::new(0x1000), 2).unwrap(); // evicts page 0 (shared)
    checked(&k);
    assert_eq!(k.swap_slot_users(0), Some(2));
    assert_eq!(k.read_mem(parent, VirtAddr::new(0)).unwrap(), 1); // evicts page 1
    assert_eq!(k.swap_slot_users(0), Some(1));
    k.write_mem(parent, VirtAddr::new(0), 5).unwrap();
    checked(&k);
    assert_eq!(k.read_mem(child, VirtAddr::new(0)).unwrap(), 1);
    assert_eq!(k.read_mem(parent, VirtAddr::new(0)).unwrap(), 5);
    assert_eq!(k.read_mem(parent, VirtAddr::new(0x1000)).unwrap(), 2);
    assert_eq!(k.read_mem(child, VirtAddr::new(0x1000)).unwrap(), 0);
    checked(&k);
    k.exit_ps(child).unwrap();
    k.exit_ps(parent).unwrap();
    checked(&k);
    assert_eq!(k.swap_slots_used(), 0);
}

#[test]
fn an_allocation_refused_up_front_says_how_many_slots_it_needed() {
    // One frame, two slots, none used: four eager pages need three evictions. The message
    // said "all 2 swap slots are in use" while none was.
    let mut k = machine(Preset::X86_64, 1, 2, false, Spec::Fifo);
    let p = k.create_ps(SegmentSizes::default(), &[]).unwrap();
    let e = k.allocate_pages(p, VirtAddr::new(0), 4, RW).unwrap_err();
    assert_eq!(e, AllocateError::SwapFull(kernel::SwapFull { slots: 2, free: 2, needed: 3 }));
    assert_eq!(e.to_string(), "swap full: this needs up to 3 evictions, but only 2 of the 2 swap slots are free");
    assert_eq!(k.swap_slots_used(), 0);
    checked(&k);
}

#[test]
fn swap_full_is_an_error_that_changes_nothing() {
    let mut k = machine(Preset::X86_64, 1, 1, true, Spec::Clock);
    let p = process(&mut k, 3);
    k.touch(p, Vpn::new(0), Access::Write).unwrap();
    k.touch(p, Vpn::new(1), Access::Write).unwrap(); // page 0 to slot 0
    let before = (stats(&k), k.entry(p, Vpn::new(1)).unwrap(), k.swap_slots_used());
    let e = k.touch(p, Vpn::new(2), Access::Read).unwrap_err();
    assert_eq!(e, AccessError::SwapFull(kernel::SwapFull { slots: 1, free: 0, needed: 1 }));
    assert_eq!(e.to_string(), "swap full: the one swap slot is in use, no page can be evicted");
    assert_eq!(before, (stats(&k), k.entry(p, Vpn::new(1)).unwrap(), k.swap_slots_used()));
    checked(&k);
    // Freeing page 0 frees its slot; then page 2 can come in.
    k.deallocate_pages(p, VirtAddr::new(0), 1).unwrap();
    assert_eq!(k.swap_slots_used(), 0);
    k.touch(p, Vpn::new(2), Access::Read).unwrap();
    checked(&k);
}

#[test]
fn course_profiles_and_bad_configurations_are_refused() {
    let config = DemandConfig { frames: 4, swap_slots: 4, lazy: false };
    let mut k = Kernel::new(Profile::AJOU).unwrap();
    assert!(k.enable_demand_paging(config, Spec::Lru, &Options::default()).is_err());
    let mut k = Kernel::new(Profile::MTL458).unwrap();
    assert!(k.enable_demand_paging(config, Spec::Lru, &Options::default()).is_err());
    let format = Format::general(Preset::X86_64.format()).unwrap();
    let mut k = Kernel::new(Profile::machine("x", format, 1 << 20).unwrap()).unwrap();
    assert!(k.enable_demand_paging(config, Spec::Opt, &Options::default()).is_err());
    assert!(k.enable_demand_paging(DemandConfig { frames: 0, ..config }, Spec::Lru, &Options::default()).is_err());
    assert!(k.enable_demand_paging(DemandConfig { swap_slots: 0, ..config }, Spec::Lru, &Options::default()).is_err());
    assert!(k.enable_demand_paging(config, Spec::Lru, &Options::default()).is_ok());
}

/// One random operation.
#[derive(Debug, Clone)]
enum Op {
    Touch { proc: usize, page: u8, write: Option<u8> },
    Fork { proc: usize },
    Exit { proc: usize },
    Free { proc: usize, page: u8 },
    Alloc { proc: usize, page: u8 },
    // `clear_accessed_dirty`, as a policy or a tool may: it must never lose a write.
    Clear { proc: usize, page: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..4, 0u8..6, prop::option::of(any::<u8>())).prop_map(|(proc, page, write)| Op::Touch { proc, page, write }),
        1 => (0usize..4).prop_map(|proc| Op::Fork { proc }),
        1 => (0usize..4).prop_map(|proc| Op::Exit { proc }),
        1 => (0usize..4, 0u8..6).prop_map(|(proc, page)| Op::Free { proc, page }),
        1 => (0usize..4, 0u8..6).prop_map(|(proc, page)| Op::Alloc { proc, page }),
        3 => (0usize..4, 0u8..6).prop_map(|(proc, page)| Op::Clear { proc, page }),
    ]
}

/// Random operations with `check` after each, every byte compared with a naive map of
/// each process's pages (fork copies the map: isolation is what copy-on-write must keep);
/// with `local`, under local replacement (equal shares, a policy per process).
fn random_run(spec: Spec, lazy: bool, frames: u32, ops: &[Op], local: bool) -> Result<(), TestCaseError> {
    let mut k = if local {
        let format = Format::general(Preset::X86_64.format()).unwrap();
        let mut k = Kernel::new(Profile::machine("x86-64", format, 1 << 20).unwrap()).unwrap();
        let config = DemandConfig { frames, swap_slots: 256, lazy };
        k.enable_local_demand_paging(config, spec, &Options::default()).unwrap();
        k
    } else {
        machine(Preset::X86_64, frames, 256, lazy, spec)
    };
    let mut model: Vec<(Pid, BTreeMap<u8, u8>)> = Vec::new();
    let p = process(&mut k, 6);
    model.push((p, (0..6).map(|v| (v, 0)).collect()));
    for (i, op) in ops.iter().enumerate() {
        if model.is_empty() {
            break;
        }
        match *op {
            Op::Touch { proc, page, write } => {
                let n = model.len();
                let (pid, pages) = &mut model[proc % n];
                let addr = VirtAddr::new(u64::from(page) << 12 | 5);
                let expected = pages.get(&page).copied();
                match (write, expected) {
                    (Some(b), Some(_)) => {
                        k.write_mem(*pid, addr, b).unwrap();
                        pages.insert(page, b);
                    }
                    (None, Some(b)) => prop_assert_eq!(k.read_mem(*pid, addr).unwrap(), b, "op {}", i),
                    (_, None) => {
                        // Unallocated: a kill; the model forgets the process.
                        prop_assert!(k.read_mem(*pid, addr).is_err());
                        model.remove(proc % n);
                    }
                }
            }
            Op::Fork { proc } => {
                let (pid, pages) = model[proc % model.len()].clone();
                if model.len() < 5 {
                    let child = k.fork_ps(pid).unwrap();
                    model.push((child, pages));
                }
            }
            Op::Exit { proc } => {
                let (pid, _) = model.remove(proc % model.len());
                k.exit_ps(pid).unwrap();
            }
            Op::Free { proc, page } => {
                let n = model.len();
                let (pid, pages) = &mut model[proc % n];
                if pages.remove(&page).is_some() {
                    k.deallocate_pages(*pid, VirtAddr::new(u64::from(page) << 12), 1).unwrap();
                }
            }
            Op::Alloc { proc, page } => {
                let n = model.len();
                let (pid, pages) = &mut model[proc % n];
                if let std::collections::btree_map::Entry::Vacant(e) = pages.entry(page) {
                    k.allocate_pages(*pid, VirtAddr::new(u64::from(page) << 12), 1, RW).unwrap();
                    e.insert(0);
                }
            }
            Op::Clear { proc, page } => {
                // Refused for a page not present (lazy, swapped, unallocated): nothing changes.
                let (pid, _) = model[proc % model.len()];
                let _ = k.clear_accessed_dirty(pid, kernel::Vpn::new(u32::from(page)));
            }
        }
        if let Err(e) = k.check() {
            return Err(TestCaseError::fail(format!("{spec} op {i} {op:?}: {e}")));
        }
    }
    for (pid, pages) in &model {
        for (&page, &b) in pages {
            prop_assert_eq!(k.read_mem(*pid, VirtAddr::new(u64::from(page) << 12 | 5)).unwrap(), b);
        }
    }
    let s = stats(&k);
    prop_assert_eq!(s.faults, s.minor_faults + s.major_faults);
    prop_assert_eq!(s.references, s.hits + s.faults);
    prop_assert_eq!(s.disk_reads, s.major_faults);
    prop_assert_eq!(s.disk_writes, s.dirty_evictions);
    k.processes().map(|p| p.pid()).collect::<Vec<_>>().into_iter().for_each(|pid| k.exit_ps(pid).unwrap());
    checked(&k);
    prop_assert_eq!(k.swap_slots_used(), 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_forks_writes_and_evictions_keep_every_invariant(
        lazy in any::<bool>(),
        frames in 1u32..5,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        for spec in Spec::ALL.into_iter().filter(|&s| s != Spec::Opt) {
            random_run(spec, lazy, frames, &ops, false)?;
        }
    }

    #[test]
    fn random_forks_writes_and_evictions_keep_every_invariant_under_local_replacement(
        lazy in any::<bool>(),
        frames in 1u32..7,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        for spec in Spec::ALL.into_iter().filter(|&s| s != Spec::Opt) {
            random_run(spec, lazy, frames, &ops, true)?;
        }
    }
}

/// Regression (found by the lock step against the model): with page 0 swapped out, a read one
/// page past a 32-bit address space walked to page 0's entry (a walk keeps only the index
/// bits), "brought it in" at a VPN no table can map and broke the machine. It must be the
/// ordinary out-of-range fault (a kill), which gives page 0's slot back.
#[test]
fn an_access_past_the_space_does_not_reach_a_swapped_page_0() {
    let mut k = machine(Preset::X86_32, 1, 4, true, Spec::Fifo);
    let p = process(&mut k, 2);
    k.write_mem(p, VirtAddr::new(0), 7).unwrap();
    k.write_mem(p, VirtAddr::new(0x1000), 8).unwrap(); // page 0 goes to slot 0
    assert_eq!(k.swap_slot_users(0), Some(1));
    let e = k.read_mem(p, VirtAddr::new(1 << 32)).unwrap_err();
    assert!(
        matches!(e, AccessError::Fault(kernel::Fault { reason: kernel::FaultReason::OutOfRange, killed: true, .. })),
        "{e:?}"
    );
    checked(&k);
    assert_eq!((k.swap_slot_users(0), k.swap_slots_used()), (Some(0), 0));
    assert_eq!(stats(&k).faults, 2);
}

/// Regression (found restating `clear_accessed_dirty` beside the swap cache in the model): a
/// page read back from swap keeps its slot as a clean copy; written, it is dirty, and only the
/// dirty bit says the copy is stale. Clearing the bits (as a policy or a tool may) must not
/// make its eviction "clean": the write would be lost and the old bytes read back.
#[test]
fn clearing_the_dirty_bit_of_a_page_read_back_does_not_lose_its_write() {
    let mut k = machine(Preset::X86_64, 1, 4, true, Spec::Fifo);
    let p = process(&mut k, 2);
    k.write_mem(p, VirtAddr::new(0), 1).unwrap();
    k.touch(p, Vpn::new(1), Access::Read).unwrap(); // page 0 to slot 0
    assert_eq!(k.read_mem(p, VirtAddr::new(0)).unwrap(), 1); // back, slot 0 its clean copy
    k.write_mem(p, VirtAddr::new(0), 2).unwrap(); // dirty: slot 0 is stale
    k.clear_accessed_dirty(p, Vpn::new(0)).unwrap();
    checked(&k);
    k.touch(p, Vpn::new(1), Access::Read).unwrap(); // page 0 out again: must be written
    checked(&k);
    assert_eq!(k.read_mem(p, VirtAddr::new(0)).unwrap(), 2, "the write survives the eviction");
    checked(&k);
}

/// `unmap_page` of a page that is allocated but not present said "is not allocated" and left
/// it allocated: it is refused as `map_page` refuses it, as absent, and `deallocate_pages`
/// frees it.
#[test]
fn unmap_page_of_an_absent_page_says_it_is_absent() {
    let mut k = machine(Preset::X86_64, 1, 4, true, Spec::Fifo);
    let p = process(&mut k, 2);
    let e = k.unmap_page(p, Vpn::new(0)).unwrap_err(); // lazy
    assert_eq!(e, kernel::UnmapPageError::Absent { vpn: Vpn::new(0) });
    assert_eq!(e.to_string(), format!("{} is allocated but not present", Vpn::new(0)));
    k.write_mem(p, VirtAddr::new(0), 1).unwrap();
    k.write_mem(p, VirtAddr::new(0x1000), 2).unwrap(); // page 0 to slot 0
    assert_eq!(k.unmap_page(p, Vpn::new(0)), Err(kernel::UnmapPageError::Absent { vpn: Vpn::new(0) }));
    assert_eq!(k.swap_slot_users(0), Some(1));
    k.deallocate_pages(p, VirtAddr::new(0), 1).unwrap();
    assert_eq!(k.swap_slot_users(0), Some(0));
    checked(&k);
}
