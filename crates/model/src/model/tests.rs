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
