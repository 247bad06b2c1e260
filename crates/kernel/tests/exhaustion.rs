//! Exhaustion: with every user frame (or every table frame, or every process slot) taken, each
//! request that needs one more fails with a typed error that says so, changes nothing (no frame
//! leaked, no mapping, count or byte moved), and `check()` holds; freeing gives everything back.
//! Then 10,000 create / fork / exit cycles reuse the same pids and end with every frame free.

use kernel::{
    Access, AccessError, AllocateError, CreateError, ForkError, ForkPolicy, Kernel, MapPageError, PAGE_SIZE, Perm, Pid,
    PoolKind, Profile, Pte, SegmentSizes, VirtAddr, Vpn,
};
use phys::MemoryLayout;

const PAGE: u64 = PAGE_SIZE as u64;
const RW: Perm = Perm::READ.union(Perm::WRITE);

fn sizes(code: u64, ro: u64, rw: u64, stack: u64) -> SegmentSizes {
    SegmentSizes { code: code * PAGE, ro_data: ro * PAGE, rw_data: rw * PAGE, stack: stack * PAGE }
}

fn with_policy(profile: Profile, policy: ForkPolicy) -> Profile {
    Profile { fork_policy: policy, ..profile }
}

/// Everything a failed request must leave alone: statistics (with every counter), the current
/// process, every mapping with its flags, every frame's map count, the allocated frames of both
/// pools, and a digest of the bytes of every mapped page.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    stats: kernel::MachineStats,
    current: Option<Pid>,
    mappings: Vec<(Pid, Vec<(Vpn, Pte)>)>,
    map_counts: Vec<(u32, u32)>,
    user_allocated: Vec<u32>,
    kernel_allocated: Vec<u32>,
    bytes: u64,
}

fn snapshot(k: &Kernel) -> Snapshot {
    let mem = k.mem();
    let mut bytes = 0xcbf2_9ce4_8422_2325u64;
    let mappings: Vec<(Pid, Vec<(Vpn, Pte)>)> =
        k.processes().map(|p| (p.pid(), k.mapped(p.pid()).expect("alive").collect())).collect();
    for (_, pages) in &mappings {
        for (_, e) in pages {
            // FNV-1a over the page's bytes, 8 at a time: cheap enough for 32,768 pages.
            for chunk in mem.arena.frame(e.frame()).expect("a user frame").chunks_exact(8) {
                let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                bytes = (bytes ^ word).wrapping_mul(0x100_0000_01b3);
            }
        }
    }
    Snapshot {
        stats: k.stats(),
        current: k.current(),
        mappings,
        map_counts: mem.map_counts.nonzero().map(|(f, c)| (f.as_u32(), c)).collect(),
        user_allocated: mem.user.allocated().map(|f| f.as_u32()).collect(),
        kernel_allocated: mem.kernel.allocated().map(|f| f.as_u32()).collect(),
        bytes,
    }
}

/// Runs a request that must fail: it returns the error, and the machine must be as before and
/// consistent.
fn refused<T: std::fmt::Debug, E: std::fmt::Debug>(
    k: &mut Kernel,
    what: &str,
    f: impl FnOnce(&mut Kernel) -> Result<T, E>,
) -> E {
    let before = snapshot(k);
    let result = f(k);
    let Err(e) = result else { panic!("{what}: succeeded ({result:?}) with memory exhausted") };
    k.check().unwrap_or_else(|e| panic!("{what}: check after the refusal: {e}"));
    let after = snapshot(k);
    assert!(before == after, "{what}: the refusal changed the machine");
    e
}

/// Ends every process and checks that both pools are whole again.
fn exit_all_and_assert_every_frame_free(k: &mut Kernel) {
    let pids: Vec<Pid> = k.processes().map(|p| p.pid()).collect();
    for pid in pids {
        k.exit_ps(pid).unwrap();
    }
    k.check().unwrap();
    let s = k.stats();
    assert_eq!(s.live_processes, 0);
    assert_eq!(s.user_frames_free, s.user_frames, "user frames leaked");
    assert_eq!(s.kernel_frames_free, s.kernel_frames, "kernel frames leaked");
    assert_eq!(k.mem().map_counts.nonzero().count(), 0);
}

/// The `mtl458` machine with all 32,768 user frames mapped: 31 processes of 1,024 pages, one of
/// 1,023 (VPN 0 left free for an allocation), one of 1 page.
fn full_mtl458(policy: ForkPolicy) -> (Kernel, Pid) {
    let mut k = Kernel::new(with_policy(Profile::MTL458, policy)).unwrap();
    let space = Profile::MTL458.address_space_size() / PAGE;
    let holey = k.create_ps(sizes(0, 0, 0, space - 1), &[]).unwrap();
    for i in 0..31u8 {
        let p = k.create_ps(sizes(1, 0, 1, space - 2), &[i; 100]).unwrap();
        k.write_mem(p, VirtAddr::new(PAGE), i).unwrap();
    }
    k.create_ps(sizes(0, 0, 0, 1), &[]).unwrap();
    k.write_mem(holey, VirtAddr::new(PAGE + 5), 0xAA).unwrap();
    let s = k.stats();
    assert_eq!((s.user_frames_free, s.live_processes), (0, 33), "{s:?}");
    k.check().unwrap();
    (k, holey)
}

#[test]
fn mtl458_with_every_user_frame_taken_refuses_cleanly_in_both_policies() {
    for policy in [ForkPolicy::Eager, ForkPolicy::CopyOnWrite] {
        let (mut k, holey) = full_mtl458(policy);
        let full = Pid::new(1);

        k.set_fork_policy(ForkPolicy::Eager);
        let e = refused(&mut k, "eager fork", |k| k.fork_ps(full));
        assert_eq!(e, ForkError::OutOfMemory { pool: PoolKind::User, needed: 1024, free: 0 });
        let e = refused(&mut k, "create", |k| k.create_ps(sizes(1, 0, 0, 0), b"x"));
        assert_eq!(e, CreateError::OutOfMemory { pool: PoolKind::User, needed: 1, free: 0 });
        let e = refused(&mut k, "allocate", |k| k.allocate_pages(holey, VirtAddr::new(0), 1, RW));
        assert_eq!(e, AllocateError::OutOfMemory { pool: PoolKind::User, needed: 1, free: 0 });
        let e = refused(&mut k, "map_page", |k| k.map_page(holey, Vpn::new(0), RW));
        assert_eq!(e, MapPageError::OutOfMemory { pool: PoolKind::User });
        assert!(k.process(holey).is_some(), "out of memory is not a kill");

        // A copy-on-write fork needs no user frame: it succeeds, and then the first write to a
        // shared page has nowhere to copy it.
        k.set_fork_policy(ForkPolicy::CopyOnWrite);
        let child = k.fork_ps(full).unwrap();
        k.check().unwrap();
        let addr = VirtAddr::new(PAGE);
        for (who, byte) in [(child, 1), (full, 2)] {
            let e = refused(&mut k, "copy-on-write fault", |k| k.write_mem(who, addr, byte));
            assert_eq!(e, AccessError::OutOfMemory { pid: who, addr });
            let e = refused(&mut k, "copy-on-write touch", |k| k.touch(who, Vpn::new(1), Access::Write));
            assert_eq!(e, AccessError::OutOfMemory { pid: who, addr });
        }
        assert_eq!(k.read_mem(child, addr).unwrap(), 0, "process 1 wrote 0 at its rw page");
        let e = refused(&mut k, "fork of the fork", |k| k.set_fork_policy_then_fork(ForkPolicy::Eager, child));
        assert_eq!(e, ForkError::OutOfMemory { pool: PoolKind::User, needed: 1024, free: 0 });

        // Once the child is gone the parent is the frame's only mapping: the write re-enables
        // writing in place, without a frame.
        k.exit_ps(child).unwrap();
        k.write_mem(full, addr, 2).unwrap();
        assert_eq!(k.read_mem(full, addr).unwrap(), 2);
        assert_eq!(k.stats().user_frames_free, 0);
        k.check().unwrap();

        // Freeing one page makes exactly one request possible again.
        k.deallocate_pages(holey, VirtAddr::new(PAGE), 1).unwrap();
        k.allocate_pages(holey, VirtAddr::new(0), 1, RW).unwrap();
        let e = refused(&mut k, "allocate after refill", |k| k.allocate_pages(holey, VirtAddr::new(PAGE), 1, RW));
        assert_eq!(e, AllocateError::OutOfMemory { pool: PoolKind::User, needed: 1, free: 0 });
        exit_all_and_assert_every_frame_free(&mut k);
    }
}

/// Sets the fork policy and forks: the two steps of a fork under a given policy.
trait ForkWith {
    fn set_fork_policy_then_fork(&mut self, policy: ForkPolicy, parent: Pid) -> Result<Pid, ForkError>;
}

impl ForkWith for Kernel {
    fn set_fork_policy_then_fork(&mut self, policy: ForkPolicy, parent: Pid) -> Result<Pid, ForkError> {
        self.set_fork_policy(policy);
        self.fork_ps(parent)
    }
}

#[test]
fn ajou_with_every_user_frame_taken_refuses_cleanly_in_both_policies() {
    for policy in [ForkPolicy::CopyOnWrite, ForkPolicy::Eager] {
        let mut k = Kernel::new(with_policy(Profile::AJOU, policy)).unwrap();
        let p0 = Pid::new(0);
        for v in 0..128 {
            k.map_page(p0, Vpn::new(v * 2), RW).unwrap();
        }
        k.write_mem(p0, VirtAddr::new(2 * PAGE + 9), 9).unwrap();
        assert_eq!(k.stats().user_frames_free, 0);
        let e = refused(&mut k, "alloc", |k| k.map_page(p0, Vpn::new(1), RW));
        assert_eq!(e, MapPageError::OutOfMemory { pool: PoolKind::User });
        let e = refused(&mut k, "allocate", |k| k.allocate_pages(p0, VirtAddr::new(PAGE), 1, RW));
        assert_eq!(e, AllocateError::OutOfMemory { pool: PoolKind::User, needed: 1, free: 0 });
        let e = refused(&mut k, "create", |k| k.create_ps(sizes(0, 0, 0, 1), &[]));
        assert_eq!(e, CreateError::OutOfMemory { pool: PoolKind::User, needed: 1, free: 0 });
        let e = refused(&mut k, "eager fork", |k| k.set_fork_policy_then_fork(ForkPolicy::Eager, p0));
        assert_eq!(e, ForkError::OutOfMemory { pool: PoolKind::User, needed: 128, free: 0 });
        // `switch` to a new pid forks with the policy in force: eager fails, the current
        // process stays; copy-on-write succeeds and the first write to a shared page fails.
        let e = refused(&mut k, "eager switch", |k| k.switch(Pid::new(5)));
        assert_eq!(e, ForkError::OutOfMemory { pool: PoolKind::User, needed: 128, free: 0 });
        assert_eq!(k.current(), Some(p0));
        k.set_fork_policy(ForkPolicy::CopyOnWrite);
        k.switch(Pid::new(5)).unwrap();
        let e = refused(&mut k, "copy-on-write touch", |k| k.touch(Pid::new(5), Vpn::new(2), Access::Write));
        assert_eq!(e, AccessError::OutOfMemory { pid: Pid::new(5), addr: VirtAddr::new(2 * PAGE) });
        let e = refused(&mut k, "copy-on-write write", |k| k.write_mem(p0, VirtAddr::new(2 * PAGE), 1));
        assert_eq!(e, AccessError::OutOfMemory { pid: p0, addr: VirtAddr::new(2 * PAGE) });
        assert_eq!(k.read_mem(Pid::new(5), VirtAddr::new(2 * PAGE + 9)).unwrap(), 9);
        // Freeing one mapping of a shared frame frees no frame.
        k.unmap_page(Pid::new(5), Vpn::new(4)).unwrap();
        assert_eq!(k.stats().user_frames_free, 0);
        exit_all_and_assert_every_frame_free(&mut k);
    }
}

#[test]
fn with_every_table_frame_taken_requests_fail_on_the_kernel_pool() {
    // mtl458-like: 3 table frames, 40 user frames, room for 10 processes.
    let layout = MemoryLayout { frames: 43, kernel: 0..3, user: 3..43 };
    let profile = Profile { memory: layout, max_processes: Some(10), ..Profile::MTL458 };
    for policy in [ForkPolicy::Eager, ForkPolicy::CopyOnWrite] {
        let mut k = Kernel::new(with_policy(profile.clone(), policy)).unwrap();
        let p = k.create_ps(sizes(1, 0, 1, 1), b"abc").unwrap();
        k.fork_ps(p).unwrap();
        k.fork_ps(p).unwrap();
        assert_eq!(k.stats().kernel_frames_free, 0);
        for fork_policy in [ForkPolicy::Eager, ForkPolicy::CopyOnWrite] {
            let e = refused(&mut k, "fork", |k| k.set_fork_policy_then_fork(fork_policy, p));
            assert_eq!(e, ForkError::OutOfMemory { pool: PoolKind::Kernel, needed: 1, free: 0 });
        }
        let e = refused(&mut k, "create", |k| k.create_ps(sizes(0, 0, 0, 1), &[]));
        assert_eq!(e, CreateError::OutOfMemory { pool: PoolKind::Kernel, needed: 1, free: 0 });
        exit_all_and_assert_every_frame_free(&mut k);
    }

    // ajou-like, two-level: a page in a new leaf needs a table frame too.
    let layout = MemoryLayout { frames: 20, kernel: 16..20, user: 0..16 };
    let mut k = Kernel::new(Profile { memory: layout, ..Profile::AJOU }).unwrap();
    let p0 = Pid::new(0);
    for leaf in 0..3 {
        k.map_page(p0, Vpn::new(leaf * 16), RW).unwrap();
    }
    assert_eq!(k.stats().kernel_frames_free, 0);
    k.map_page(p0, Vpn::new(1), RW).unwrap(); // an existing leaf: no table frame needed
    let e = refused(&mut k, "alloc in a new leaf", |k| k.map_page(p0, Vpn::new(100), RW));
    assert_eq!(e, MapPageError::OutOfMemory { pool: PoolKind::Kernel });
    let e = refused(&mut k, "allocate in a new leaf", |k| k.allocate_pages(p0, VirtAddr::new(100 * PAGE), 1, RW));
    assert_eq!(e, AllocateError::OutOfMemory { pool: PoolKind::Kernel, needed: 1, free: 0 });
    let e = refused(&mut k, "switch", |k| k.switch(Pid::new(1)));
    assert_eq!(e, ForkError::OutOfMemory { pool: PoolKind::Kernel, needed: 4, free: 0 });
    exit_all_and_assert_every_frame_free(&mut k);
}

#[test]
fn one_hundred_processes_then_one_more() {
    for policy in [ForkPolicy::Eager, ForkPolicy::CopyOnWrite] {
        let mut k = Kernel::new(with_policy(Profile::MTL458, policy)).unwrap();
        for i in 0..50u32 {
            let p = k.create_ps(sizes(1, 1, 1, 1), &[i as u8; 10]).unwrap();
            assert_eq!(p, Pid::new(2 * i));
            assert_eq!(k.fork_ps(p).unwrap(), Pid::new(2 * i + 1));
        }
        assert_eq!(k.stats().live_processes, 100);
        let e = refused(&mut k, "101st create", |k| k.create_ps(sizes(1, 0, 0, 0), &[]));
        assert_eq!(e, CreateError::TooManyProcesses { limit: 100 });
        for fork_policy in [ForkPolicy::Eager, ForkPolicy::CopyOnWrite] {
            let e = refused(&mut k, "101st fork", |k| k.set_fork_policy_then_fork(fork_policy, Pid::new(7)));
            assert_eq!(e, ForkError::TooManyProcesses { limit: 100 });
        }
        // One exit makes one slot, and the next process takes that very pid.
        k.exit_ps(Pid::new(37)).unwrap();
        assert_eq!(k.fork_ps(Pid::new(99)).unwrap(), Pid::new(37));
        assert_eq!(k.read_mem(Pid::new(37), VirtAddr::new(0)).unwrap(), 49);
        let e = refused(&mut k, "101st create again", |k| k.create_ps(sizes(1, 0, 0, 0), &[]));
        assert_eq!(e, CreateError::TooManyProcesses { limit: 100 });
        exit_all_and_assert_every_frame_free(&mut k);
    }

    // ajou has no process limit: 3,000 processes, each mapping a page, leave its table pool
    // (130,944 frames) almost untouched, as the framework's malloc'ed tables never run out.
    let mut k = Kernel::new(Profile::AJOU).unwrap();
    k.map_page(Pid::new(0), Vpn::new(3), RW).unwrap();
    for pid in 1..3000 {
        k.switch(Pid::new(pid)).unwrap();
    }
    let s = k.stats();
    assert_eq!(s.live_processes, 3000);
    assert_eq!(s.kernel_frames - s.kernel_frames_free, 2 * 3000, "a root and one leaf each");
    assert!(s.kernel_frames_free > 20 * 2 * 3000, "{} table frames free", s.kernel_frames_free);
    assert_eq!(k.mem().map_counts.get(phys::Pfn::new(0)), 3000);
    k.check().unwrap();
    exit_all_and_assert_every_frame_free(&mut k);

    // With a table pool of 4,096 frames, processes go on until their tables fill it (two
    // frames per process with one leaf), and the next fork changes nothing.
    let small = MemoryLayout { frames: 128 + 4096, kernel: 128..128 + 4096, user: 0..128 };
    let mut k = Kernel::new(Profile { memory: small, ..Profile::AJOU }).unwrap();
    k.map_page(Pid::new(0), Vpn::new(3), RW).unwrap();
    for pid in 1..=100 {
        k.switch(Pid::new(pid)).unwrap();
    }
    assert_eq!(k.stats().live_processes, 101);
    let mut pid = 101;
    while k.stats().kernel_frames_free >= 2 {
        k.switch(Pid::new(pid)).unwrap();
        pid += 1;
    }
    assert_eq!(k.stats().live_processes, 2048);
    let e = refused(&mut k, "one more on ajou", |k| k.switch(Pid::new(pid)));
    assert_eq!(e, ForkError::OutOfMemory { pool: PoolKind::Kernel, needed: 2, free: 0 });
    exit_all_and_assert_every_frame_free(&mut k);
}

#[test]
fn ten_thousand_create_exit_cycles_reuse_pids_and_free_every_frame() {
    for policy in [ForkPolicy::Eager, ForkPolicy::CopyOnWrite] {
        let mut k = Kernel::new(with_policy(Profile::MTL458, policy)).unwrap();
        // Long-lived processes around the churn, holding pids 0..3.
        for i in 0..3u8 {
            k.create_ps(sizes(2, 1, 1, 1), &[i; 5000]).unwrap();
        }
        let baseline = k.stats();
        for cycle in 0..10_000u32 {
            let byte = cycle as u8;
            let p = k.create_ps(sizes(1, 1, 2, 2), &[byte; 6000]).unwrap();
            assert_eq!(p, Pid::new(3), "cycle {cycle}: the lowest free pid");
            let rw = VirtAddr::new(2 * PAGE + u64::from(cycle) % PAGE);
            k.write_mem(p, rw, byte).unwrap();
            let child = k.fork_ps(p).unwrap();
            assert_eq!(child, Pid::new(4));
            k.write_mem(child, rw, !byte).unwrap();
            assert_eq!(k.read_mem(p, rw).unwrap(), byte, "cycle {cycle}: the child's write leaked");
            assert_eq!(k.read_mem(child, VirtAddr::new(PAGE)).unwrap(), byte);
            // Half the processes exit, half are killed (a write to code): both give all back.
            match cycle % 2 {
                0 => k.exit_ps(p).unwrap(),
                _ => assert!(k.write_mem(p, VirtAddr::new(0), 1).is_err()),
            }
            k.exit_ps(child).unwrap();
            let s = k.stats();
            assert_eq!(
                (s.live_processes, s.user_frames_free, s.kernel_frames_free),
                (baseline.live_processes, baseline.user_frames_free, baseline.kernel_frames_free),
                "cycle {cycle}"
            );
            if cycle % 1000 == 0 {
                k.check().unwrap_or_else(|e| panic!("cycle {cycle}: {e}"));
            }
        }
        assert_eq!(k.counters().processes_created, 3 + 20_000);
        exit_all_and_assert_every_frame_free(&mut k);
    }

    // ajou: `switch` forks a new process, `exit` ends it; the pid comes back every time.
    let mut k = Kernel::new(Profile::AJOU).unwrap();
    k.map_page(Pid::new(0), Vpn::new(40), RW).unwrap();
    for cycle in 0..10_000u32 {
        let pid = Pid::new(1 + cycle % 3);
        k.switch(pid).unwrap();
        k.touch(pid, Vpn::new(40), Access::Write).unwrap();
        k.map_page(pid, Vpn::new(200), RW).unwrap();
        k.switch(Pid::new(0)).unwrap();
        k.exit_ps(pid).unwrap();
        assert_eq!(k.stats().user_frames_free, 127, "cycle {cycle}");
        if cycle % 1000 == 0 {
            k.check().unwrap_or_else(|e| panic!("cycle {cycle}: {e}"));
        }
    }
    exit_all_and_assert_every_frame_free(&mut k);
}
