//! The model on its own: its free-frame set, and scripts whose answers are known.

use super::*;
use kernel::{Access, AccessError, Fault, FaultReason, Pfn, SwitchOutcome, Vpn};
use std::collections::BTreeSet;

const RW: Perm = Perm::READ.union(Perm::WRITE);

proptest::proptest! {
    /// `FreeFrames` is a set of free frames that hands out the lowest: checked against one.
    #[test]
    fn free_frames_act_as_a_set(start in 0u32..50, len in 0u32..80, ops in proptest::collection::vec(proptest::option::of(0u32..140), 0..200)) {
        let mut f = FreeFrames::new(start..start + len);
        let mut set: BTreeSet<u32> = (start..start + len).collect();
        for op in ops {
            match op {
                None => proptest::prop_assert_eq!(f.pop_first(), set.pop_first()),
                // Only frames of the pool are ever given back.
                Some(frame) if (start..start + len).contains(&frame) => {
                    f.insert(frame);
                    set.insert(frame);
                }
                Some(_) => {}
            }
            proptest::prop_assert_eq!(f.len(), set.len());
            proptest::prop_assert_eq!(f.is_empty(), set.is_empty());
        }
    }
}

/// The model on its own, on the official `cow-2` script: it must predict the frames the
/// original framework printed, or it is no oracle.
#[test]
fn model_predicts_the_cow_2_script() {
    let mut m = Model::new(&Profile::AJOU);
    let (p, v) = (Pid::new, Vpn::new);
    for (vpn, perm) in [(0, Perm::READ), (1, Perm::READ), (2, RW), (3, RW)] {
        m.map_page(p(0), v(vpn), perm).unwrap();
    }
    assert_eq!(m.switch(p(1)), Ok(SwitchOutcome::Forked));
    assert_eq!(m.touch(p(1), v(2), Access::Write), Ok(Pfn::new(4)));
    assert_eq!(m.switch(p(2)), Ok(SwitchOutcome::Forked));
    assert_eq!(m.touch(p(2), v(3), Access::Write), Ok(Pfn::new(5)));
    assert_eq!(m.switch(p(0)), Ok(SwitchOutcome::Switched));
    assert_eq!(m.touch(p(0), v(2), Access::Write), Ok(Pfn::new(2)));
    assert_eq!(m.touch(p(0), v(3), Access::Write), Ok(Pfn::new(6)));
    let refs: Vec<_> = m.frame_refs().collect();
    assert_eq!(refs, [(0, 3), (1, 3), (2, 1), (3, 1), (4, 2), (5, 1), (6, 1)]);
}

#[test]
fn model_kills_return_everything() {
    let mut m = Model::new(&Profile::MTL458);
    let sizes = SegmentSizes { code: PAGE, ro_data: 0, rw_data: PAGE, stack: PAGE };
    let pid = m.create_ps(sizes, b"x").unwrap();
    assert_eq!(m.stats().user_frames_free, 32_768 - 3);
    let e = m.write_mem(pid, VirtAddr::new(0), 1).unwrap_err();
    assert!(matches!(e, AccessError::Fault(Fault { killed: true, reason: FaultReason::NotWritable, .. })));
    assert_eq!(m.stats().user_frames_free, 32_768);
    assert_eq!(m.stats().kernel_frames_free, 18_432);
    assert_eq!(m.live(), 0);
}

/// A demand-paged x86-64 model: one process with 5 lazy pages from VPN 1.
fn demand(frames: u32, spec: policy::Spec) -> (Model, Pid) {
    let format = kernel::Format::general(kernel::Preset::X86_64.format()).unwrap();
    let profile = Profile::machine("x86-64", format, 1 << 20).unwrap();
    let config = kernel::DemandConfig { frames, swap_slots: 8, lazy: true };
    let mut m = Model::with_demand(&profile, config, spec, &policy::Options::default()).unwrap();
    let p = m.create_ps(SegmentSizes::default(), &[]).unwrap();
    m.allocate_pages(p, VirtAddr::new(0x1000), 5, RW).unwrap();
    (m, p)
}

/// Runs `refs` (`w` suffix: a write) through `pid`'s pages.
fn refs(m: &mut Model, pid: Pid, refs: &str) {
    for r in refs.split(',') {
        let (page, write) = r.strip_suffix('w').map_or((r, false), |p| (p, true));
        let access = if write { Access::Write } else { Access::Read };
        m.touch(pid, Vpn::new(page.parse().unwrap()), access).unwrap();
    }
}

/// `docs/demand-paging.md`'s worked examples, counted by hand there: Belady's string under
/// FIFO (9 faults with 3 frames, 10 with 4) and LRU (10 faults: 5 minor, 5 major; 5 dirty and 2
/// clean evictions).
#[test]
fn model_predicts_the_worked_examples() {
    let belady = "1,2,3,4,1,2,5,1,2,3,4,5";
    for (frames, faults) in [(3, 9), (4, 10)] {
        let (mut m, p) = demand(frames, policy::Spec::Fifo);
        refs(&mut m, p, belady);
        assert_eq!(m.paging_stats().unwrap().faults, faults, "fifo, {frames} frames");
    }
    let (mut m, p) = demand(3, policy::Spec::Lru);
    refs(&mut m, p, belady);
    let s = m.paging_stats().unwrap();
    assert_eq!((s.references, s.hits, s.faults, s.minor_faults, s.major_faults), (12, 2, 10, 5, 5));
    assert_eq!((s.dirty_evictions, s.clean_evictions, s.disk_writes, s.disk_reads), (5, 2, 5, 5));
    assert_eq!(m.process_paging_stats(p.as_u32()), Some(s));
}

/// One frame, FIFO: `1w,2,1,2,1` writes twice and evicts clean twice; `1w,2,1w,2,1` writes
/// three times (page 1 was modified after coming back).
#[test]
fn model_writes_only_pages_without_a_current_copy() {
    for (string, dirty, clean) in [("1w,2,1,2,1", 2, 2), ("1w,2,1w,2,1", 3, 1)] {
        let (mut m, p) = demand(1, policy::Spec::Fifo);
        refs(&mut m, p, string);
        let s = m.paging_stats().unwrap();
        assert_eq!(
            (s.minor_faults, s.major_faults, s.dirty_evictions, s.clean_evictions),
            (2, 3, dirty, clean),
            "{string}"
        );
    }
}

/// The sharing example: a written page shared by fork is evicted to one slot with 2 users;
/// the child reads it back (major), the parent then shares that frame (minor), the child's
/// write copies it, and the parent still reads its own byte.
#[test]
fn model_shares_a_swapped_page_between_parent_and_child() {
    let (mut m, p) = demand(2, policy::Spec::Fifo);
    m.write_mem(p, VirtAddr::new(0x1000), 42).unwrap();
    let c = m.fork_ps(p).unwrap();
    refs(&mut m, p, "2,3"); // page 1's frame goes to swap
    assert_eq!(m.swap_slot_users(0), Some(2));
    assert!(m.process(c.as_u32()).unwrap().absent[&1].cow);
    assert_eq!(m.read_mem(c, VirtAddr::new(0x1000)), Ok(42));
    assert_eq!(m.swap_slot_users(0), Some(1));
    assert_eq!(m.read_mem(p, VirtAddr::new(0x1000)), Ok(42));
    let (pf, cf) = (m.process(p.as_u32()).unwrap().pages[&1].frame, m.process(c.as_u32()).unwrap().pages[&1].frame);
    assert_eq!(pf, cf, "the parent shares the frame the child read back");
    m.write_mem(c, VirtAddr::new(0x1000), 7).unwrap();
    assert_eq!(m.read_mem(p, VirtAddr::new(0x1000)), Ok(42));
    assert_eq!(m.read_mem(c, VirtAddr::new(0x1000)), Ok(7));
    let (cs, ps) = (m.process_paging_stats(c.as_u32()).unwrap(), m.process_paging_stats(p.as_u32()).unwrap());
    // The parent: pages 1, 2, 3 first touched, then page 1 shared from the swap cache.
    assert_eq!((cs.major_faults, ps.minor_faults), (1, 4));
}
