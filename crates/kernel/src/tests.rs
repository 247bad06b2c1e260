//! Kernel tests: the rules of both profiles, case by case.

use crate::*;

const RW: Perm = Perm::READ.union(Perm::WRITE);

#[track_caller]
fn counts(k: &Kernel) -> Vec<(u32, u32)> {
    k.mem().map_counts.nonzero().map(|(f, c)| (f.as_u32(), c)).collect()
}

/// The official `cow-2` script, operation by operation.
#[test]
fn ajou_cow_2() {
    let mut k = Kernel::new(Profile::AJOU).unwrap();
    let p = |n| Pid::new(n);
    let v = Vpn::new;
    for (vpn, perm) in [(0, Perm::READ), (1, Perm::READ), (2, RW), (3, RW)] {
        k.map_page(p(0), v(vpn), perm).unwrap();
    }
    assert_eq!(k.switch(p(1)), Ok(SwitchOutcome::Forked));
    assert_eq!(k.touch(p(1), v(1), Access::Read).map(Pfn::as_u32), Ok(1));
    assert_eq!(k.touch(p(1), v(2), Access::Write).map(Pfn::as_u32), Ok(4));
    assert_eq!(k.switch(p(2)), Ok(SwitchOutcome::Forked));
    assert_eq!(k.touch(p(2), v(1), Access::Read).map(Pfn::as_u32), Ok(1));
    assert_eq!(k.touch(p(2), v(3), Access::Write).map(Pfn::as_u32), Ok(5));
    assert_eq!(k.switch(p(0)), Ok(SwitchOutcome::Switched));
    assert_eq!(k.touch(p(0), v(2), Access::Read).map(Pfn::as_u32), Ok(2));
    assert_eq!(k.touch(p(0), v(2), Access::Write).map(Pfn::as_u32), Ok(2));
    assert_eq!(k.touch(p(0), v(3), Access::Write).map(Pfn::as_u32), Ok(6));
    assert_eq!(counts(&k), [(0, 3), (1, 3), (2, 1), (3, 1), (4, 2), (5, 1), (6, 1)]);
    let e = k.touch(p(0), v(0), Access::Write).unwrap_err();
    assert!(matches!(e, AccessError::Fault(Fault { reason: FaultReason::NotWritable, killed: false, .. })));
    k.check().unwrap();
}

#[test]
fn mtl458_round_trip_fork_and_kill() {
    let mut k = Kernel::new(Profile::MTL458).unwrap();
    let data: Vec<u8> = (0..11 * 4096).map(|i| (i % 251) as u8).collect();
    let sizes = SegmentSizes { code: 10 * 4096, ro_data: 4096, rw_data: 2 * 4096, stack: 1 << 20 };
    let pid = k.create_ps(sizes, &data).unwrap();
    for a in [0, 10 * 4096 - 1, 10 * 4096, 10 * 4096 + 1] {
        assert_eq!(k.read_mem(pid, VirtAddr::new(a)), Ok(data[a as usize]));
    }
    k.write_mem(pid, VirtAddr::new(11 * 4096), 42).unwrap();
    let child = k.fork_ps(pid).unwrap();
    k.write_mem(child, VirtAddr::new(11 * 4096), 43).unwrap();
    assert_eq!(k.read_mem(pid, VirtAddr::new(11 * 4096)), Ok(42));
    assert_eq!(k.read_mem(child, VirtAddr::new(11 * 4096)), Ok(43));
    k.check().unwrap();
    let e = k.write_mem(pid, VirtAddr::new(10 * 4096), 1).unwrap_err();
    assert!(matches!(e, AccessError::Fault(Fault { killed: true, reason: FaultReason::NotWritable, .. })));
    assert!(k.process(pid).is_none());
    k.check().unwrap();
    k.exit_ps(child).unwrap();
    assert_eq!(k.stats().user_frames_free, 32_768);
    assert_eq!(k.stats().kernel_frames_free, 18_432);
    k.check().unwrap();
}
