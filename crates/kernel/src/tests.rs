//! Kernel tests: the rules of both profiles, case by case, and the seven course checks of
//! `spec/mtl458.md` literally. Random sequences against a model live in `crates/model`.

use std::collections::BTreeSet;

use paging::PageTable;
use phys::{FrameAllocator, MemoryLayout};

use crate::process::Process;
use crate::*;

const PAGE: u64 = PAGE_SIZE as u64;
const MIB: u64 = 1 << 20;
const RW: Perm = Perm::READ.union(Perm::WRITE);
const RX: Perm = Perm::READ.union(Perm::EXEC);
/// The first user frame of the `mtl458` machine: right after the 72 MiB OS region.
const USER0: u32 = 18_432;
const USER_FRAMES: u32 = 32_768;
const KERNEL_FRAMES: u32 = 18_432;

const P: PteFlags = PteFlags::PRESENT;
const R: PteFlags = PteFlags::READ;
const W: PteFlags = PteFlags::WRITE;
const X: PteFlags = PteFlags::EXEC;
const COW: PteFlags = PteFlags::COW;
const OW: PteFlags = PteFlags::ORIG_WRITE;

// ---- helpers ----------------------------------------------------------------------------------

fn pid(n: u32) -> Pid {
    Pid::new(n)
}

fn vpn(n: u32) -> Vpn {
    Vpn::new(n)
}

fn va(a: u64) -> VirtAddr {
    VirtAddr::new(a)
}

/// Segment sizes in pages.
fn pages(code: u64, ro: u64, rw: u64, stack: u64) -> SegmentSizes {
    SegmentSizes { code: code * PAGE, ro_data: ro * PAGE, rw_data: rw * PAGE, stack: stack * PAGE }
}

fn mtl() -> Kernel {
    Kernel::new(Profile::MTL458).unwrap()
}

fn mtl_cow() -> Kernel {
    Kernel::new(Profile { fork_policy: ForkPolicy::CopyOnWrite, ..Profile::MTL458 }).unwrap()
}

fn ajou() -> Kernel {
    Kernel::new(Profile::AJOU).unwrap()
}

/// An `mtl458` machine with `kernel` table frames and `user` user frames.
fn small_mtl(kernel: u32, user: u32, policy: ForkPolicy) -> Kernel {
    let memory = MemoryLayout { frames: kernel + user, kernel: 0..kernel, user: kernel..kernel + user };
    Kernel::new(Profile { memory, fork_policy: policy, ..Profile::MTL458 }).unwrap()
}

/// An `ajou` machine with `user` user frames (from 0) and `kernel` table frames.
fn small_ajou(user: u32, kernel: u32) -> Kernel {
    let memory = MemoryLayout { frames: user + kernel, kernel: user..user + kernel, user: 0..user };
    Kernel::new(Profile { memory, ..Profile::AJOU }).unwrap()
}

/// The frames `pid` maps, in VPN order.
#[track_caller]
fn frames(k: &Kernel, p: Pid) -> Vec<u32> {
    k.mapped(p).unwrap().map(|(_, e)| e.frame().as_u32()).collect()
}

/// The flags of `pid`'s entry for `v` (empty if not mapped).
#[track_caller]
fn flags(k: &Kernel, p: Pid, v: u32) -> PteFlags {
    k.entry(p, vpn(v)).unwrap().flags()
}

#[track_caller]
fn counts(k: &Kernel) -> Vec<(u32, u32)> {
    k.mem().map_counts.nonzero().map(|(f, c)| (f.as_u32(), c)).collect()
}

/// Everything observable about a machine but its event counters: to assert that a refused
/// operation changed nothing.
#[derive(Debug, PartialEq, Eq)]
struct State {
    pids: Vec<u32>,
    current: Option<Pid>,
    maps: Vec<(u32, Vec<(u32, Pte)>)>,
    tables: Vec<(u32, Vec<u32>)>,
    counts: Vec<(u32, u32)>,
    user: Vec<u32>,
    kernel: Vec<u32>,
    bytes: u64,
}

fn state(k: &Kernel) -> State {
    let mut bytes = 0xcbf2_9ce4_8422_2325u64;
    let mut maps = Vec::new();
    let mut tables = Vec::new();
    for p in k.processes() {
        let mapped: Vec<(u32, Pte)> = k.mapped(p.pid()).unwrap().map(|(v, e)| (v.as_u32(), e)).collect();
        for (_, e) in &mapped {
            for &b in k.mem().arena.frame(e.frame()).unwrap() {
                bytes = (bytes ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
        maps.push((p.pid().as_u32(), mapped));
        tables.push((p.pid().as_u32(), p.table().table_frames(&k.mem().arena).map(Pfn::as_u32).collect()));
    }
    State {
        pids: k.processes().map(|p| p.pid().as_u32()).collect(),
        current: k.current(),
        maps,
        tables,
        counts: counts(k),
        user: k.mem().user.allocated().map(Pfn::as_u32).collect(),
        kernel: k.mem().kernel.allocated().map(Pfn::as_u32).collect(),
        bytes,
    }
}

/// The fault inside an access or range error.
trait AsFault {
    fn as_fault(&self) -> Option<Fault>;
}

impl AsFault for AccessError {
    fn as_fault(&self) -> Option<Fault> {
        if let AccessError::Fault(f) = self { Some(*f) } else { None }
    }
}

impl AsFault for AllocateError {
    fn as_fault(&self) -> Option<Fault> {
        if let AllocateError::Fault(f) = self { Some(*f) } else { None }
    }
}

/// `result` is a kill of `p` for `reason` at `addr`, and `p` is gone with everything it had.
#[track_caller]
fn assert_killed<T: core::fmt::Debug, E: AsFault + core::fmt::Display + core::fmt::Debug>(
    k: &Kernel,
    result: Result<T, E>,
    p: Pid,
    reason: FaultReason,
    addr: u64,
) {
    let e = result.expect_err("the access should have been refused");
    let f = e.as_fault().unwrap_or_else(|| panic!("not a fault: {e:?}"));
    assert_eq!(f, Fault { pid: p, addr: va(addr), reason, killed: true });
    let prefix = format!("segmentation fault: pid {p} killed: {reason} at {}", va(addr));
    assert_eq!(e.to_string(), prefix);
    assert!(k.process(p).is_none(), "pid {p} still alive after a kill");
    k.check().unwrap();
}

/// `result` is a refusal without a kill (`ajou`), and `p` lives on.
#[track_caller]
fn assert_refused<T: core::fmt::Debug>(k: &Kernel, result: Result<T, AccessError>, p: Pid, reason: FaultReason) {
    let e = result.expect_err("the access should have been refused");
    let f = e.as_fault().unwrap_or_else(|| panic!("not a fault: {e:?}"));
    assert_eq!((f.pid, f.reason, f.killed), (p, reason, false));
    assert!(k.process(p).is_some());
    k.check().unwrap();
}

// ---- the machine ------------------------------------------------------------------------------

#[test]
fn mtl458_machine_geometry() {
    let k = mtl();
    assert_eq!(k.mem().arena.size(), 200 * MIB);
    assert_eq!(k.mem().kernel.range(), 0..USER0);
    assert_eq!(k.mem().user.range(), USER0..51_200);
    assert_eq!(k.profile().address_space_size(), 4 * MIB);
    let s = k.stats();
    assert_eq!((s.user_frames, s.user_frames_free), (USER_FRAMES, USER_FRAMES));
    assert_eq!((s.kernel_frames, s.kernel_frames_free), (KERNEL_FRAMES, KERNEL_FRAMES));
    assert_eq!((s.live_processes, k.current()), (0, None));
    k.check().unwrap();
}

// ---- the seven course checks of spec/mtl458.md -------------------------------------------------

fn course_data() -> Vec<u8> {
    (0..11 * PAGE).map(|i| (i % 251) as u8 + 1).collect()
}

/// Check 1: reads at 0, 10 x 4096 - 1, 10 x 4096 and 10 x 4096 + 1 return the data's bytes.
#[test]
fn course_check_1_data_is_read_back_and_ro_data_follows_code() {
    let mut k = mtl();
    let data = course_data();
    let p = k.create_ps(pages(10, 1, 2, 256), &data).unwrap();
    for a in [0, 10 * PAGE - 1, 10 * PAGE, 10 * PAGE + 1] {
        assert_eq!(k.read_mem(p, va(a)), Ok(data[a as usize]), "address {a:#x}");
    }
    assert_eq!(k.read_mem(p, va(11 * PAGE)), Ok(0), "rw data starts zeroed");
    k.check().unwrap();
}

/// Check 2: R, W, X, P bits match the layout, and every frame number is unique.
#[test]
fn course_check_2_page_table_bits_and_unique_frames() {
    let mut k = mtl();
    let p = k.create_ps(pages(10, 1, 2, 256), &course_data()).unwrap();
    for v in 0..1024 {
        let want = match v {
            0..10 => P | R | X,
            10 => P | R,
            11 | 12 => P | R | W | OW,
            768.. => P | R | W | OW,
            _ => PteFlags::empty(),
        };
        assert_eq!(flags(&k, p, v), want, "vpn {v}");
    }
    let f = frames(&k, p);
    assert_eq!(f.len(), 13 + 256);
    assert_eq!(f.iter().collect::<BTreeSet<_>>().len(), f.len(), "a frame mapped twice");
    assert!(f.iter().all(|&f| f >= USER0), "a user page in the OS region");
}

/// Check 3: stack and rw data can be written and read back without error.
#[test]
fn course_check_3_stack_and_rw_data_write_and_read_back() {
    let mut k = mtl();
    let p = k.create_ps(pages(10, 1, 2, 256), &course_data()).unwrap();
    let stack = k.stack_start(p).unwrap().as_u64();
    assert_eq!(stack, 4 * MIB - MIB);
    let addrs: Vec<u64> = [11 * PAGE, 12 * PAGE + 77, 13 * PAGE - 1, stack, stack + 5000, 4 * MIB - 1].into();
    for (i, &a) in addrs.iter().enumerate() {
        k.write_mem(p, va(a), i as u8 + 100).unwrap();
    }
    for (i, &a) in addrs.iter().enumerate() {
        assert_eq!(k.read_mem(p, va(a)), Ok(i as u8 + 100), "address {a:#x}");
    }
    k.check().unwrap();
}

/// Check 4: `allocate_pages` maps new, unique frames with the right protections; reads and
/// writes work; after `deallocate_pages` the present bit is 0; deallocating again kills.
#[test]
fn course_check_4_allocate_and_deallocate() {
    let mut k = mtl();
    let p = k.create_ps(pages(10, 1, 2, 256), &course_data()).unwrap();
    let before: BTreeSet<u32> = frames(&k, p).into_iter().collect();
    let heap = 0x10_0000;
    k.allocate_pages(p, va(heap), 4, RW).unwrap();
    let heap_frames: Vec<u32> = (0..4).map(|i| k.entry(p, vpn(256 + i)).unwrap().frame().as_u32()).collect();
    assert_eq!(heap_frames, [USER0 + 269, USER0 + 270, USER0 + 271, USER0 + 272]);
    assert!(heap_frames.iter().all(|f| !before.contains(f)));
    for i in 0..4 {
        assert_eq!(flags(&k, p, 256 + i), P | R | W | OW);
        k.write_mem(p, va(heap + u64::from(i) * PAGE + 9), 0x5a).unwrap();
        assert_eq!(k.read_mem(p, va(heap + u64::from(i) * PAGE + 9)), Ok(0x5a));
    }
    k.deallocate_pages(p, va(heap), 4).unwrap();
    for i in 0..4 {
        assert_eq!(k.entry(p, vpn(256 + i)).unwrap(), Pte::EMPTY, "present bit still set");
    }
    let again = k.deallocate_pages(p, va(heap), 4);
    assert_killed(&k, again, p, FaultReason::NotAllocated, heap);
}

/// Check 5: after `fork_ps` the child sees what the parent wrote before, and neither sees what
/// the other writes after; under both fork policies.
#[test]
fn course_check_5_fork_isolation_both_policies() {
    for mut k in [mtl(), mtl_cow()] {
        let policy = k.fork_policy();
        let p = k.create_ps(pages(10, 1, 2, 256), &course_data()).unwrap();
        let (rw, stack) = (11 * PAGE + 3, 4 * MIB - 2);
        k.write_mem(p, va(rw), 1).unwrap();
        k.write_mem(p, va(stack), 2).unwrap();
        let c = k.fork_ps(p).unwrap();
        assert_eq!(c, pid(1));
        assert_eq!((k.read_mem(c, va(rw)), k.read_mem(c, va(stack))), (Ok(1), Ok(2)), "{policy:?}");
        assert_eq!(k.read_mem(c, va(5)), Ok(course_data()[5]), "{policy:?}");
        k.write_mem(c, va(rw), 10).unwrap();
        k.write_mem(p, va(stack), 20).unwrap();
        assert_eq!(k.read_mem(p, va(rw)), Ok(1), "{policy:?}: parent sees the child's write");
        assert_eq!(k.read_mem(c, va(stack)), Ok(2), "{policy:?}: child sees the parent's write");
        assert_eq!((k.read_mem(c, va(rw)), k.read_mem(p, va(stack))), (Ok(10), Ok(20)), "{policy:?}");
        k.check().unwrap();
    }
}

/// Check 6: a write to read-only data kills; a read of a not-present address kills.
#[test]
fn course_check_6_write_to_ro_data_and_read_of_unmapped_kill() {
    let mut k = mtl();
    let p = k.create_ps(pages(10, 1, 2, 256), &course_data()).unwrap();
    let r = k.write_mem(p, va(10 * PAGE + 1), 0);
    assert_killed(&k, r, p, FaultReason::NotWritable, 10 * PAGE + 1);
    let p = k.create_ps(pages(10, 1, 2, 256), &course_data()).unwrap();
    assert_eq!(p, pid(0), "the killed process's pid is free again");
    let r = k.read_mem(p, va(0x20_0000));
    assert_killed(&k, r, p, FaultReason::ReadUnmapped, 0x20_0000);
    assert_eq!(k.stats().user_frames_free, USER_FRAMES);
}

/// Check 7: 64 processes of 1 MiB code + 1 MiB stack fill all 32,768 user frames exactly, after
/// earlier killed processes gave theirs back; exiting one and creating another works, twice.
#[test]
fn course_check_7_sixty_four_processes_fill_user_memory_exactly() {
    let mut k = mtl();
    // Earlier processes, killed in different ways, with dirty frames.
    for round in 0..3u8 {
        let p = k.create_ps(pages(3, 1, 50, 300), &[round + 1; 100]).unwrap();
        k.write_mem(p, va(4 * PAGE + 7), 9).unwrap();
        k.allocate_pages(p, va(0x20_0000), 100, RW).unwrap();
        let refused = match round {
            0 => k.write_mem(p, va(0), 1).is_err(),
            1 => k.read_mem(p, va(0x1f_0000)).is_err(),
            _ => k.allocate_pages(p, va(0x20_0000), 1, RW).is_err(),
        };
        assert!(refused && k.process(p).is_none(), "round {round} did not kill");
    }
    assert_eq!(k.stats().user_frames_free, USER_FRAMES);
    assert_eq!(k.counters().kills, 3);

    let sizes = SegmentSizes { code: MIB, ro_data: 0, rw_data: 0, stack: MIB };
    let tag = |n: u32| -> Vec<u8> { vec![n as u8 + 1; 2 * PAGE_SIZE] };
    for n in 0..64 {
        assert_eq!(k.create_ps(sizes, &tag(n)), Ok(pid(n)));
    }
    let s = k.stats();
    assert_eq!((s.user_frames_free, s.pages_mapped, s.live_processes), (0, u64::from(USER_FRAMES), 64));
    assert!(k.mem().user.range().all(|f| k.mem().map_counts.get(Pfn::new(f)) == 1));
    assert_eq!(k.create_ps(sizes, &[]), Err(CreateError::OutOfMemory { pool: PoolKind::User, needed: 512, free: 0 }));
    for n in [0, 31, 63] {
        assert_eq!(k.read_mem(pid(n), va(PAGE + 1)), Ok(n as u8 + 1));
        assert_eq!(k.read_mem(pid(n), va(2 * PAGE)), Ok(0), "a killed process's bytes leaked");
        assert_eq!(k.read_mem(pid(n), va(4 * MIB - 1)), Ok(0));
    }
    k.check().unwrap();

    for victim in [17, 40] {
        k.exit_ps(pid(victim)).unwrap();
        assert_eq!(k.stats().user_frames_free, 512);
        assert_eq!(k.create_ps(sizes, &tag(100 + victim)), Ok(pid(victim)));
        assert_eq!(k.stats().user_frames_free, 0);
        assert_eq!(k.read_mem(pid(victim), va(0)), Ok(101 + victim as u8));
        assert_eq!(k.read_mem(pid(victim), va(2 * PAGE)), Ok(0));
        k.check().unwrap();
    }
}

// ---- pids and the process limit ---------------------------------------------------------------

#[test]
fn lowest_free_pid_from_zero_and_reuse() {
    let mut k = mtl();
    let s = pages(1, 0, 0, 1);
    for n in 0..4 {
        assert_eq!(k.create_ps(s, &[]), Ok(pid(n)));
    }
    k.exit_ps(pid(2)).unwrap();
    k.exit_ps(pid(0)).unwrap();
    assert_eq!(k.create_ps(s, &[]), Ok(pid(0)));
    assert_eq!(k.fork_ps(pid(3)), Ok(pid(2)));
    assert_eq!(k.create_ps(s, &[]), Ok(pid(4)));
    // A killed process's pid is free too.
    let _ = k.write_mem(pid(1), va(0), 0);
    assert_eq!(k.create_ps(s, &[]), Ok(pid(1)));
    assert_eq!(k.exit_ps(pid(9)), Err(ExitError::NoSuchProcess(NoSuchProcess { pid: pid(9) })));
    k.check().unwrap();
}

#[test]
fn at_most_100_processes_and_the_101st_is_refused() {
    let mut k = mtl();
    let s = pages(0, 0, 0, 1);
    for n in 0..100 {
        assert_eq!(k.create_ps(s, &[]), Ok(pid(n)));
    }
    let full = state(&k);
    assert_eq!(k.create_ps(s, &[]), Err(CreateError::TooManyProcesses { limit: 100 }));
    assert_eq!(k.fork_ps(pid(5)), Err(ForkError::TooManyProcesses { limit: 100 }));
    assert_eq!(state(&k), full, "a refused create or fork changed the machine");
    assert_eq!(k.stats().kernel_frames_free, KERNEL_FRAMES - 100);
    k.exit_ps(pid(37)).unwrap();
    assert_eq!(k.fork_ps(pid(5)), Ok(pid(37)));
    k.exit_ps(pid(99)).unwrap();
    assert_eq!(k.create_ps(s, &[]), Ok(pid(99)));
    assert_eq!(k.counters().processes_created, 102);
    k.check().unwrap();
}

// ---- create_ps ----------------------------------------------------------------------------------

#[test]
fn create_ps_size_errors_allocate_nothing() {
    let mut k = mtl();
    let first = k.create_ps(pages(1, 1, 1, 1), b"first").unwrap();
    let before = state(&k);
    let counters = k.counters();
    let huge = u64::MAX - (PAGE - 1);
    let cases: [(SegmentSizes, usize, CreateError); 8] = [
        (SegmentSizes { code: 4095, ..pages(0, 0, 0, 1) }, 0, CreateError::Misaligned { segment: "code", size: 4095 }),
        (SegmentSizes { ro_data: 1, ..pages(1, 0, 0, 1) }, 0, CreateError::Misaligned { segment: "ro data", size: 1 }),
        (
            SegmentSizes { rw_data: PAGE + 1, ..pages(1, 0, 0, 1) },
            0,
            CreateError::Misaligned { segment: "rw data", size: PAGE + 1 },
        ),
        (SegmentSizes { stack: 100, ..pages(1, 0, 0, 0) }, 0, CreateError::Misaligned { segment: "stack", size: 100 }),
        (pages(1, 0, 0, 1024), 0, CreateError::TooLarge { total: 4 * MIB + PAGE, limit: 4 * MIB }),
        (pages(512, 256, 256, 1), 0, CreateError::TooLarge { total: 4 * MIB + PAGE, limit: 4 * MIB }),
        (
            SegmentSizes { code: huge, ..pages(0, 0, 0, 1) },
            0,
            CreateError::TooLarge { total: u64::MAX, limit: 4 * MIB },
        ),
        (pages(1, 1, 0, 1), 2 * PAGE_SIZE + 1, CreateError::DataTooLong { len: 2 * PAGE_SIZE + 1, capacity: 2 * PAGE }),
    ];
    for (sizes, len, want) in cases {
        assert_eq!(k.create_ps(sizes, &vec![7; len]), Err(want.clone()));
        assert_eq!(state(&k), before, "{want:?} changed the machine");
        assert_eq!(k.counters(), counters);
    }
    // Exactly 4 MiB fits, and data of exactly code + ro data bytes is accepted.
    assert_eq!(k.create_ps(pages(1, 0, 0, 1023), &[1; PAGE_SIZE]), Ok(pid(1)));
    assert!(k.process(first).is_some());
    k.check().unwrap();
}

#[test]
fn create_ps_takes_the_table_from_the_os_region_and_pages_lowest_first_in_page_order() {
    let mut k = mtl();
    let a = k.create_ps(pages(2, 1, 1, 2), &[]).unwrap();
    assert_eq!(k.process(a).unwrap().table().root(), Pfn::new(0));
    assert_eq!(frames(&k, a), (USER0..USER0 + 6).collect::<Vec<_>>());
    let vpns: Vec<u32> = k.mapped(a).unwrap().map(|(v, _)| v.as_u32()).collect();
    assert_eq!(vpns, [0, 1, 2, 3, 1022, 1023]);
    let b = k.create_ps(pages(1, 0, 0, 1), &[]).unwrap();
    assert_eq!(k.process(b).unwrap().table().root(), Pfn::new(1));
    assert_eq!(frames(&k, b), [USER0 + 6, USER0 + 7]);
    assert_eq!(k.process_stats(b).unwrap().table_frames, 1);
    // A freed table frame and freed user frames are taken again first.
    k.exit_ps(a).unwrap();
    let c = k.create_ps(pages(1, 0, 1, 0), &[]).unwrap();
    assert_eq!(k.process(c).unwrap().table().root(), Pfn::new(0));
    assert_eq!(frames(&k, c), [USER0, USER0 + 1]);
    k.check().unwrap();
}

#[test]
fn create_ps_copies_data_and_zero_pads() {
    let mut k = mtl();
    let data: Vec<u8> = (1..=PAGE + 10).map(|i| (i % 200) as u8 + 1).collect();
    let p = k.create_ps(pages(1, 2, 1, 1), &data).unwrap();
    for a in [0, 100, PAGE - 1, PAGE, PAGE + 9] {
        assert_eq!(k.read_mem(p, va(a)), Ok(data[a as usize]));
    }
    for a in [PAGE + 10, 2 * PAGE - 1, 2 * PAGE, 3 * PAGE - 1, 3 * PAGE, 4 * MIB - 1] {
        assert_eq!(k.read_mem(p, va(a)), Ok(0), "address {a:#x} is not zero");
    }
    let q = k.create_ps(pages(2, 0, 0, 0), &[]).unwrap();
    assert!((0..2 * PAGE).step_by(511).all(|a| k.read_mem(q, va(a)) == Ok(0)));
}

#[test]
fn create_ps_out_of_memory_allocates_nothing() {
    let mut k = small_mtl(1, 8, ForkPolicy::Eager);
    let before = state(&k);
    assert_eq!(
        k.create_ps(pages(4, 0, 0, 5), &[]),
        Err(CreateError::OutOfMemory { pool: PoolKind::User, needed: 9, free: 8 })
    );
    assert_eq!(state(&k), before);
    let p = k.create_ps(pages(4, 0, 0, 4), &[]).unwrap();
    let before = state(&k);
    assert_eq!(
        k.create_ps(pages(0, 0, 0, 0), &[]),
        Err(CreateError::OutOfMemory { pool: PoolKind::Kernel, needed: 1, free: 0 })
    );
    assert_eq!(state(&k), before);
    k.exit_ps(p).unwrap();
    assert_eq!(k.create_ps(pages(4, 0, 0, 4), &[]), Ok(pid(0)));
    k.check().unwrap();
}

/// "A frame's earlier contents never reach its next owner."
#[test]
fn reused_frames_are_zeroed() {
    let mut k = mtl();
    let p = k.create_ps(pages(1, 0, 1, 1), &[0xee; PAGE_SIZE]).unwrap();
    k.allocate_pages(p, va(0x10_0000), 2, RW).unwrap();
    for a in [PAGE, 4 * MIB - 1, 0x10_0000, 0x10_1fff] {
        k.write_mem(p, va(a), 0xff).unwrap();
    }
    k.deallocate_pages(p, va(0x10_0000), 2).unwrap();
    // The freed heap frames go to the next allocation, zeroed.
    k.allocate_pages(p, va(0x20_0000), 2, RW).unwrap();
    assert_eq!(k.read_mem(p, va(0x20_0000)), Ok(0));
    assert_eq!(k.read_mem(p, va(0x20_1fff)), Ok(0));
    k.exit_ps(p).unwrap();
    let q = k.create_ps(pages(1, 0, 1, 1), &[]).unwrap();
    assert_eq!(frames(&k, q), [USER0, USER0 + 1, USER0 + 2]);
    for a in [0, PAGE, 4 * MIB - 1] {
        assert_eq!(k.read_mem(q, va(a)), Ok(0), "address {a:#x} leaked");
    }
}

// ---- allocate_pages / deallocate_pages -------------------------------------------------------

#[test]
fn allocate_pages_protections_are_the_flags_given() {
    let cases = [
        (Perm::READ, P | R),
        (RW, P | R | W | OW),
        (RX, P | R | X),
        (Perm::WRITE, P | W | OW),
        (Perm::all(), P | R | W | X | OW),
        (Perm::empty(), P),
    ];
    let mut k = mtl();
    let p = k.create_ps(pages(1, 0, 0, 1), &[]).unwrap();
    for (i, (perm, want)) in cases.into_iter().enumerate() {
        let v = 100 + i as u32;
        k.allocate_pages(p, vpn(v).start_address(), 1, perm).unwrap();
        assert_eq!(flags(&k, p, v), want, "{perm:?}");
    }
    assert_eq!(frames(&k, p), [USER0, USER0 + 2, USER0 + 3, USER0 + 4, USER0 + 5, USER0 + 6, USER0 + 7, USER0 + 1]);
    assert_eq!(k.counters().pages_allocated, 6);
    // Write-only: writes work, reads kill.
    k.write_mem(p, vpn(103).start_address(), 1).unwrap();
    let r = k.read_mem(p, vpn(103).start_address());
    assert_killed(&k, r, p, FaultReason::NotReadable, 103 * PAGE);
}

#[test]
fn allocate_pages_kills() {
    struct Case {
        name: &'static str,
        addr: u64,
        count: u32,
        at: u64,
        reason: FaultReason,
    }
    let cases = [
        Case { name: "over rw data", addr: 2 * PAGE, count: 1, at: 2 * PAGE, reason: FaultReason::AlreadyAllocated },
        Case { name: "into code", addr: 0, count: 3, at: 0, reason: FaultReason::AlreadyAllocated },
        Case {
            name: "ends on the stack",
            addr: 1000 * PAGE,
            count: 23,
            at: 1022 * PAGE,
            reason: FaultReason::AlreadyAllocated,
        },
        Case {
            name: "over the earlier heap",
            addr: 0x10_0000 - PAGE,
            count: 3,
            at: 0x10_0000,
            reason: FaultReason::AlreadyAllocated,
        },
        Case { name: "past 4 MiB", addr: 4 * MIB - PAGE, count: 2, at: 4 * MIB, reason: FaultReason::OutOfRange },
        Case { name: "starts past 4 MiB", addr: 5 * MIB, count: 1, at: 5 * MIB, reason: FaultReason::OutOfRange },
        Case {
            name: "far past",
            addr: u64::MAX - (PAGE - 1),
            count: 1,
            at: u64::MAX - (PAGE - 1),
            reason: FaultReason::OutOfRange,
        },
    ];
    for c in cases {
        let mut k = mtl();
        let p = k.create_ps(pages(1, 1, 1, 2), &[]).unwrap();
        k.allocate_pages(p, va(0x10_0000), 2, RW).unwrap();
        let r = k.allocate_pages(p, va(c.addr), c.count, RW);
        assert_killed(&k, r, p, c.reason, c.at);
        assert_eq!(k.stats().user_frames_free, USER_FRAMES, "{}", c.name);
        assert_eq!(k.stats().kernel_frames_free, KERNEL_FRAMES, "{}", c.name);
        assert_eq!(k.counters().kills, 1, "{}", c.name);
    }
}

#[test]
fn allocate_pages_out_of_memory_is_an_error_not_a_kill() {
    let mut k = small_mtl(2, 10, ForkPolicy::Eager);
    let p = k.create_ps(pages(1, 0, 1, 1), &[]).unwrap();
    let before = state(&k);
    assert_eq!(
        k.allocate_pages(p, va(0x10_0000), 8, RW),
        Err(AllocateError::OutOfMemory { pool: PoolKind::User, needed: 8, free: 7 })
    );
    assert_eq!(state(&k), before, "something was mapped");
    assert_eq!(k.counters().kills, 0);
    k.allocate_pages(p, va(0x10_0000), 7, RW).unwrap();
    assert_eq!(k.stats().user_frames_free, 0);
    // Misaligned is an error without a kill too.
    assert_eq!(k.allocate_pages(p, va(0x20_0001), 1, RW), Err(AllocateError::Misaligned { addr: va(0x20_0001) }));
    assert!(k.process(p).is_some());
    k.check().unwrap();
}

#[test]
fn deallocate_pages_frees_and_kills_on_pages_not_allocated() {
    let mut k = mtl();
    let p = k.create_ps(pages(1, 0, 0, 1), &[]).unwrap();
    k.allocate_pages(p, va(0x10_0000), 3, RW).unwrap();
    k.deallocate_pages(p, va(0x10_1000), 1).unwrap();
    assert_eq!(k.stats().user_frames_free, USER_FRAMES - 4);
    assert_eq!(k.counters().pages_freed, 1);
    // The freed frame is the next one taken.
    k.allocate_pages(p, va(0x30_0000), 1, Perm::READ).unwrap();
    assert_eq!(k.entry(p, vpn(0x300)).unwrap().frame(), Pfn::new(USER0 + 3));
    // A range with a hole kills at the hole; the pages before it stay mapped until the kill.
    let r = k.deallocate_pages(p, va(0x10_0000), 3);
    assert_killed(&k, r, p, FaultReason::NotAllocated, 0x10_1000);
    assert_eq!(k.stats().user_frames_free, USER_FRAMES);

    let p = k.create_ps(pages(1, 0, 0, 1), &[]).unwrap();
    let r = k.deallocate_pages(p, va(4 * MIB - PAGE), 2);
    assert_killed(&k, r, p, FaultReason::OutOfRange, 4 * MIB);
}

// ---- accesses -----------------------------------------------------------------------------------

#[test]
fn read_and_write_kill_reasons() {
    enum Op {
        Read(u64),
        Write(u64),
    }
    let cases = [
        (Op::Read(0x10_0000), FaultReason::ReadUnmapped, 0x10_0000),
        (Op::Write(0x10_0000 + 5), FaultReason::WriteUnmapped, 0x10_0005),
        (Op::Write(3), FaultReason::NotWritable, 3),
        (Op::Write(PAGE + 1), FaultReason::NotWritable, PAGE + 1),
        (Op::Read(0x20_0000), FaultReason::NotReadable, 0x20_0000),
        (Op::Read(4 * MIB), FaultReason::OutOfRange, 4 * MIB),
        (Op::Write(4 * MIB + 7), FaultReason::OutOfRange, 4 * MIB + 7),
        (Op::Read(u64::MAX), FaultReason::OutOfRange, u64::MAX),
    ];
    for (op, reason, at) in cases {
        let mut k = mtl();
        let p = k.create_ps(pages(1, 1, 1, 1), b"code").unwrap();
        k.allocate_pages(p, va(0x20_0000), 1, Perm::WRITE).unwrap();
        let r = match op {
            Op::Read(a) => k.read_mem(p, va(a)).map(|_| ()),
            Op::Write(a) => k.write_mem(p, va(a), 1),
        };
        assert_killed(&k, r, p, reason, at);
        assert_eq!(k.stats().user_frames_free, USER_FRAMES);
    }
}

#[test]
fn unknown_pids_are_errors_not_kills() {
    let mut k = mtl();
    let p = k.create_ps(pages(1, 0, 0, 1), &[]).unwrap();
    let ghost = pid(7);
    let nsp = NoSuchProcess { pid: ghost };
    let before = state(&k);
    assert_eq!(k.read_mem(ghost, va(0)), Err(AccessError::NoSuchProcess(nsp)));
    assert_eq!(k.write_mem(ghost, va(0), 1), Err(AccessError::NoSuchProcess(nsp)));
    assert_eq!(k.allocate_pages(ghost, va(0), 1, RW), Err(AllocateError::NoSuchProcess(nsp)));
    assert_eq!(k.deallocate_pages(ghost, va(0), 1), Err(AllocateError::NoSuchProcess(nsp)));
    assert_eq!(k.fork_ps(ghost), Err(ForkError::NoSuchProcess(nsp)));
    assert_eq!(k.exit_ps(ghost), Err(ExitError::NoSuchProcess(nsp)));
    assert_eq!(k.process_stats(ghost), Err(nsp));
    assert_eq!(state(&k), before);
    assert_eq!((k.counters().kills, k.counters().refused), (0, 0));
    assert!(k.process(p).is_some());
}

/// "Kill means: the process is ended exactly as exit_ps would end it."
#[test]
fn a_kill_returns_everything_exactly_like_exit() {
    let build = |policy| {
        let mut k = mtl();
        k.set_fork_policy(policy);
        let a = k.create_ps(pages(2, 1, 1, 3), b"abc").unwrap();
        k.allocate_pages(a, va(0x10_0000), 5, RW).unwrap();
        k.write_mem(a, va(0x10_0000), 1).unwrap();
        let b = k.fork_ps(a).unwrap();
        k.write_mem(b, va(3 * PAGE), 2).unwrap();
        k.create_ps(pages(1, 0, 0, 1), &[]).unwrap();
        (k, a)
    };
    for policy in [ForkPolicy::Eager, ForkPolicy::CopyOnWrite] {
        let (mut exited, a) = build(policy);
        let (mut killed, _) = build(policy);
        exited.exit_ps(a).unwrap();
        let r = killed.write_mem(a, va(0), 1);
        assert_killed(&killed, r, a, FaultReason::NotWritable, 0);
        assert_eq!(state(&killed), state(&exited), "{policy:?}");
        let (ks, es) = (killed.stats(), exited.stats());
        assert_eq!((ks.counters.kills, ks.counters.processes_exited), (1, 0));
        assert_eq!((es.counters.kills, es.counters.processes_exited), (0, 1));
        // The next process gets the same pid and the same frames on both.
        let sizes = pages(1, 1, 1, 20);
        assert_eq!(killed.create_ps(sizes, &[]), exited.create_ps(sizes, &[]));
        assert_eq!(state(&killed), state(&exited), "{policy:?}");
    }
}

// ---- fork ---------------------------------------------------------------------------------------

#[test]
fn eager_fork_copies_into_new_frames_in_page_order() {
    let mut k = mtl();
    let p = k.create_ps(pages(2, 1, 1, 2), b"xyz").unwrap();
    k.write_mem(p, va(4 * MIB - 1), 0x77).unwrap();
    let c = k.fork_ps(p).unwrap();
    assert_eq!(k.process(c).unwrap().table().root(), Pfn::new(1));
    assert_eq!(frames(&k, c), (USER0 + 6..USER0 + 12).collect::<Vec<_>>());
    let entries = |q| -> Vec<(Vpn, PteFlags)> { k.mapped(q).unwrap().map(|(v, e)| (v, e.flags())).collect() };
    assert_eq!(entries(c), entries(p));
    for (pf, cf) in frames(&k, p).into_iter().zip(frames(&k, c)) {
        assert_eq!(k.mem().arena.frame(Pfn::new(pf)).unwrap(), k.mem().arena.frame(Pfn::new(cf)).unwrap());
    }
    assert!(counts(&k).iter().all(|&(_, n)| n == 1));
    assert_eq!(k.process(c).unwrap().segments(), k.process(p).unwrap().segments());
    assert_eq!(k.stack_start(c), Some(va(4 * MIB - 2 * PAGE)));
    k.check().unwrap();
}

#[test]
fn copy_on_write_fork_shares_write_protects_and_copies_or_reenables() {
    let mut k = mtl_cow();
    let p = k.create_ps(pages(1, 1, 1, 1), b"c").unwrap();
    k.write_mem(p, va(2 * PAGE), 5).unwrap();
    let c = k.fork_ps(p).unwrap();
    assert_eq!(frames(&k, c), frames(&k, p));
    assert_eq!(counts(&k), (USER0..USER0 + 4).map(|f| (f, 2)).collect::<Vec<_>>());
    for q in [p, c] {
        assert_eq!(flags(&k, q, 0), P | R | X, "code is not write-protected, it was never writable");
        assert_eq!(flags(&k, q, 1), P | R);
        assert_eq!(flags(&k, q, 2), P | R | OW | COW);
        assert_eq!(flags(&k, q, 1023), P | R | OW | COW);
    }
    // The child writes: its page is copied into the lowest free frame.
    k.write_mem(c, va(2 * PAGE + 1), 6).unwrap();
    assert_eq!(k.entry(c, vpn(2)).unwrap().frame(), Pfn::new(USER0 + 4));
    assert_eq!(flags(&k, c, 2), P | R | W | OW);
    assert_eq!(k.read_mem(c, va(2 * PAGE)), Ok(5), "the copy lost the page's bytes");
    assert_eq!(k.mem().map_counts.get(Pfn::new(USER0 + 2)), 1);
    // The parent writes: it is the frame's only user now, so writing is re-enabled in place.
    assert_eq!(flags(&k, p, 2), P | R | OW | COW);
    k.write_mem(p, va(2 * PAGE + 1), 7).unwrap();
    assert_eq!(k.entry(p, vpn(2)).unwrap(), Pte::new(Pfn::new(USER0 + 2), P | R | W | OW).unwrap());
    assert_eq!((k.read_mem(p, va(2 * PAGE + 1)), k.read_mem(c, va(2 * PAGE + 1))), (Ok(7), Ok(6)));
    let (ps, cs) = (k.process_stats(p).unwrap(), k.process_stats(c).unwrap());
    assert_eq!((ps.cow_faults, ps.cow_copies, cs.cow_faults, cs.cow_copies), (1, 0, 1, 1));
    assert_eq!((k.counters().cow_faults, k.counters().cow_copies), (2, 1));
    // Exiting the child leaves the parent's stack the sole user of its frame.
    k.exit_ps(c).unwrap();
    assert_eq!(k.mem().map_counts.get(Pfn::new(USER0 + 3)), 1);
    k.write_mem(p, va(4 * MIB - 1), 1).unwrap();
    assert_eq!(k.entry(p, vpn(1023)).unwrap().frame(), Pfn::new(USER0 + 3));
    assert_eq!(k.counters().cow_copies, 1);
    k.check().unwrap();
}

#[test]
fn read_only_pages_stay_read_only_through_forks() {
    // ajou: an `alloc VPN r` page through a chain of switches.
    let mut k = ajou();
    k.map_page(pid(0), vpn(9), Perm::READ).unwrap();
    for n in 1..4 {
        assert_eq!(k.switch(pid(n)), Ok(SwitchOutcome::Forked));
    }
    for n in 0..4 {
        assert_eq!(flags(&k, pid(n), 9), P | R);
        let r = k.touch(pid(n), vpn(9), Access::Write);
        assert_refused(&k, r, pid(n), FaultReason::NotWritable);
        assert_eq!(k.touch(pid(n), vpn(9), Access::Read), Ok(Pfn::new(0)));
    }
    assert_eq!(counts(&k), [(0, 4)]);
    assert_eq!(k.counters().cow_faults, 0);
    // mtl458: ro data and code after a copy-on-write fork and after an eager fork.
    for policy in [ForkPolicy::CopyOnWrite, ForkPolicy::Eager] {
        let mut k = mtl();
        k.set_fork_policy(policy);
        let p = k.create_ps(pages(1, 1, 0, 1), &[]).unwrap();
        let c = k.fork_ps(p).unwrap();
        assert_eq!((flags(&k, c, 0), flags(&k, c, 1)), (P | R | X, P | R), "{policy:?}");
        let r = k.write_mem(c, va(PAGE), 1);
        assert_killed(&k, r, c, FaultReason::NotWritable, PAGE);
        let r = k.write_mem(p, va(0), 1);
        assert_killed(&k, r, p, FaultReason::NotWritable, 0);
    }
}

#[test]
fn eager_fork_of_a_shared_page_gives_the_child_a_writable_copy() {
    let mut k = mtl_cow();
    let p = k.create_ps(pages(0, 0, 1, 0), &[]).unwrap();
    k.write_mem(p, va(0), 3).unwrap();
    let c1 = k.fork_ps(p).unwrap();
    k.set_fork_policy(ForkPolicy::Eager);
    let c2 = k.fork_ps(p).unwrap();
    assert_eq!(k.entry(c2, vpn(0)).unwrap(), Pte::new(Pfn::new(USER0 + 1), P | R | W | OW).unwrap());
    assert_eq!(flags(&k, p, 0), P | R | OW | COW, "the parent's page stays shared with the first child");
    assert_eq!(counts(&k), [(USER0, 2), (USER0 + 1, 1)]);
    k.write_mem(c2, va(1), 4).unwrap();
    assert_eq!(k.counters().cow_faults, 0, "the eager copy needed no fault");
    assert_eq!((k.read_mem(c2, va(0)), k.read_mem(c1, va(1)), k.read_mem(p, va(1))), (Ok(3), Ok(0), Ok(0)));
    k.check().unwrap();
}

#[test]
fn no_demand_allocation() {
    let mut k = ajou();
    for access in [Access::Read, Access::Write] {
        let r = k.touch(pid(0), vpn(3), access);
        let reason = if access == Access::Read { FaultReason::ReadUnmapped } else { FaultReason::WriteUnmapped };
        assert_refused(&k, r, pid(0), reason);
        assert_eq!(k.entry(pid(0), vpn(3)), Ok(Pte::EMPTY));
    }
    let r = k.touch(pid(0), vpn(256), Access::Read);
    assert_refused(&k, r, pid(0), FaultReason::OutOfRange);
    assert_eq!((k.stats().user_frames_free, k.counters().refused), (128, 3));
    assert_eq!(k.leaf_tables(pid(0)).unwrap().count(), 0, "a refused access made a leaf table");
    let mut k = mtl();
    let p = k.create_ps(pages(1, 0, 0, 1), &[]).unwrap();
    let r = k.write_mem(p, va(PAGE), 1);
    assert_killed(&k, r, p, FaultReason::WriteUnmapped, PAGE);
    assert_eq!(k.stats().user_frames_free, USER_FRAMES);
}

#[test]
fn copy_on_write_without_a_free_frame_fails_cleanly() {
    // ajou: four frames, all mapped by process 0 and shared with process 1.
    let mut k = small_ajou(4, 16);
    for v in 0..4 {
        k.map_page(pid(0), vpn(v), RW).unwrap();
    }
    k.switch(pid(1)).unwrap();
    let before = state(&k);
    let counters = k.counters();
    assert_eq!(
        k.touch(pid(1), vpn(2), Access::Write),
        Err(AccessError::OutOfMemory { pid: pid(1), addr: va(2 * PAGE) })
    );
    assert_eq!(state(&k), before);
    assert_eq!(k.counters(), counters);
    // Free one frame altogether: now the copy has somewhere to go.
    k.unmap_page(pid(1), vpn(3)).unwrap();
    k.unmap_page(pid(0), vpn(3)).unwrap();
    assert_eq!(k.touch(pid(1), vpn(2), Access::Write), Ok(Pfn::new(3)));
    k.check().unwrap();

    // mtl458 with copy-on-write fork: the writer is not killed.
    let mut k = small_mtl(4, 4, ForkPolicy::CopyOnWrite);
    let p = k.create_ps(pages(1, 0, 2, 1), &[]).unwrap();
    let c = k.fork_ps(p).unwrap();
    let before = state(&k);
    assert_eq!(k.write_mem(c, va(PAGE + 8), 1), Err(AccessError::OutOfMemory { pid: c, addr: va(PAGE + 8) }));
    assert_eq!(k.write_mem(p, va(4 * MIB - 1), 1), Err(AccessError::OutOfMemory { pid: p, addr: va(4 * MIB - 1) }));
    assert_eq!(state(&k), before);
    assert_eq!(k.counters().kills, 0);
    k.exit_ps(c).unwrap();
    k.write_mem(p, va(PAGE + 8), 1).unwrap();
    assert_eq!(k.read_mem(p, va(PAGE + 8)), Ok(1));
    k.check().unwrap();
}

#[test]
fn fork_out_of_memory_allocates_nothing() {
    let mut k = small_mtl(2, 8, ForkPolicy::Eager);
    let p = k.create_ps(pages(1, 1, 1, 2), &[]).unwrap();
    let before = state(&k);
    assert_eq!(k.fork_ps(p), Err(ForkError::OutOfMemory { pool: PoolKind::User, needed: 5, free: 3 }));
    assert_eq!(state(&k), before);
    k.set_fork_policy(ForkPolicy::CopyOnWrite);
    let c = k.fork_ps(p).unwrap();
    let before = state(&k);
    assert_eq!(k.fork_ps(c), Err(ForkError::OutOfMemory { pool: PoolKind::Kernel, needed: 1, free: 0 }));
    assert_eq!(state(&k), before);
    assert_eq!(k.counters().forks, 1);
    k.check().unwrap();
}

// ---- ajou -----------------------------------------------------------------------------------------

#[test]
fn ajou_boots_process_0_current_and_empty() {
    let k = ajou();
    assert_eq!(k.current(), Some(pid(0)));
    assert_eq!(k.process(pid(0)).unwrap().table().root(), Pfn::new(128), "the table is outside the 128 user frames");
    assert_eq!(k.mapped(pid(0)).unwrap().count(), 0);
    let s = k.stats();
    // 2^17 frames in all, all but the 128 user frames for page tables; the root takes one.
    assert_eq!((s.user_frames, s.user_frames_free, s.kernel_frames_free), (128, 128, (1 << 17) - 128 - 1));
    assert_eq!(k.counters().processes_created, 1);
    k.check().unwrap();
}

#[test]
fn ajou_alloc_takes_the_lowest_free_frame() {
    let mut k = ajou();
    let p0 = pid(0);
    assert_eq!(k.map_page(p0, vpn(5), RW), Ok(Pfn::new(0)));
    assert_eq!(k.map_page(p0, vpn(200), Perm::READ), Ok(Pfn::new(1)));
    assert_eq!(
        k.map_page(p0, vpn(5), Perm::READ),
        Err(MapPageError::AlreadyMapped { vpn: vpn(5), frame: Pfn::new(0) })
    );
    assert_eq!(k.map_page(p0, vpn(256), RW), Err(MapPageError::VpnOutOfRange { vpn: vpn(256), vpn_count: 256 }));
    assert_eq!(k.map_page(pid(3), vpn(1), RW), Err(MapPageError::NoSuchProcess(NoSuchProcess { pid: pid(3) })));
    assert_eq!((flags(&k, p0, 5), flags(&k, p0, 200)), (P | R | W | OW, P | R));
    assert_eq!(k.unmap_page(p0, vpn(5)), Ok(Pfn::new(0)));
    assert_eq!(k.map_page(p0, vpn(7), RW), Ok(Pfn::new(0)));
    // Leaf tables exist where something was mapped, and stay when emptied.
    k.unmap_page(p0, vpn(200)).unwrap();
    let leaves: Vec<(usize, u32)> = k.leaf_tables(p0).unwrap().map(|l| (l.dir_index, l.frame.as_u32())).collect();
    assert_eq!(leaves, [(0, 129), (12, 130)]);
    assert_eq!(k.process_stats(p0).unwrap().table_frames, 3);
    k.check().unwrap();
}

#[test]
fn ajou_memory_full() {
    let mut k = ajou();
    for v in 0..128 {
        assert_eq!(k.map_page(pid(0), vpn(v), RW), Ok(Pfn::new(v)));
    }
    let before = state(&k);
    assert_eq!(k.map_page(pid(0), vpn(128), RW), Err(MapPageError::OutOfMemory { pool: PoolKind::User }));
    assert_eq!(state(&k), before);
    // Out of table frames: a new leaf is needed and none is free; the user frame is not lost.
    let mut k = small_ajou(8, 2);
    k.map_page(pid(0), vpn(0), RW).unwrap();
    let before = state(&k);
    assert_eq!(k.map_page(pid(0), vpn(16), RW), Err(MapPageError::OutOfMemory { pool: PoolKind::Kernel }));
    assert_eq!(state(&k), before);
    assert_eq!(k.map_page(pid(0), vpn(15), RW), Ok(Pfn::new(1)));
    k.check().unwrap();
}

#[test]
fn ajou_free_drops_one_mapping_of_a_shared_frame() {
    let mut k = ajou();
    k.map_page(pid(0), vpn(1), RW).unwrap();
    k.switch(pid(1)).unwrap();
    assert_eq!(counts(&k), [(0, 2)]);
    assert_eq!(k.unmap_page(pid(1), vpn(1)), Ok(Pfn::new(0)));
    assert_eq!(counts(&k), [(0, 1)]);
    assert_eq!(k.entry(pid(1), vpn(1)), Ok(Pte::EMPTY));
    assert_eq!(k.entry(pid(0), vpn(1)).unwrap().frame(), Pfn::new(0));
    assert_eq!(k.unmap_page(pid(1), vpn(1)), Err(UnmapPageError::NotMapped { vpn: vpn(1) }));
    assert_eq!(k.unmap_page(pid(1), vpn(999)), Err(UnmapPageError::NotMapped { vpn: vpn(999) }));
    // Process 0 is now the frame's only user: its write re-enables writing in place.
    assert_eq!(k.touch(pid(0), vpn(1), Access::Write), Ok(Pfn::new(0)));
    assert_eq!(k.counters().cow_copies, 0);
    assert_eq!(k.counters().pages_freed, 1);
    k.check().unwrap();
}

#[test]
fn ajou_switch_to_current_existing_and_new() {
    let mut k = ajou();
    k.map_page(pid(0), vpn(0), RW).unwrap();
    k.map_page(pid(0), vpn(1), Perm::READ).unwrap();
    assert_eq!(k.switch(pid(0)), Ok(SwitchOutcome::AlreadyCurrent));
    assert_eq!(k.counters().forks, 0);
    assert_eq!(k.switch(pid(4)), Ok(SwitchOutcome::Forked));
    assert_eq!(k.current(), Some(pid(4)));
    for q in [0, 4] {
        assert_eq!((flags(&k, pid(q), 0), flags(&k, pid(q), 1)), (P | R | OW | COW, P | R));
    }
    assert_eq!(counts(&k), [(0, 2), (1, 2)]);
    assert_eq!(k.switch(pid(0)), Ok(SwitchOutcome::Switched));
    assert_eq!(k.switch(pid(4)), Ok(SwitchOutcome::Switched));
    assert_eq!(k.counters().forks, 1);
    // Large pids work; with the current process gone there is nothing to fork from.
    assert_eq!(k.switch(pid(4_000_000)), Ok(SwitchOutcome::Forked));
    k.exit_ps(pid(4_000_000)).unwrap();
    assert_eq!(k.current(), None);
    assert_eq!(k.switch(pid(9)), Err(ForkError::NoCurrentProcess));
    assert_eq!(k.switch(pid(0)), Ok(SwitchOutcome::Switched));
    k.check().unwrap();
}

#[test]
fn ajou_refused_accesses_leave_the_process_alone() {
    let mut k = ajou();
    k.map_page(pid(0), vpn(2), Perm::READ).unwrap();
    k.map_page(pid(0), vpn(3), Perm::WRITE).unwrap();
    let r = k.touch(pid(0), vpn(2), Access::Write);
    assert_refused(&k, r, pid(0), FaultReason::NotWritable);
    let r = k.touch(pid(0), vpn(3), Access::Read);
    assert_refused(&k, r, pid(0), FaultReason::NotReadable);
    let e = k.touch(pid(0), vpn(2), Access::Write).unwrap_err();
    assert_eq!(e.to_string(), "pid 0: write to a read-only page at 0x2000");
    assert_eq!((k.counters().refused, k.counters().kills), (3, 0));
    assert_eq!(k.mapped(pid(0)).unwrap().count(), 2);
}

// ---- statistics -------------------------------------------------------------------------------

#[test]
fn stats_and_process_stats_after_a_known_sequence() {
    let mut k = mtl_cow();
    let p = k.create_ps(pages(1, 1, 1, 1), b"ab").unwrap();
    let c = k.fork_ps(p).unwrap();
    k.write_mem(c, va(2 * PAGE), 1).unwrap(); // copy
    k.write_mem(p, va(2 * PAGE), 2).unwrap(); // in place
    k.allocate_pages(p, va(0x10_0000), 2, RW).unwrap();
    k.deallocate_pages(p, va(0x10_1000), 1).unwrap();
    assert_eq!(
        k.stats(),
        MachineStats {
            counters: Counters {
                processes_created: 2,
                processes_exited: 0,
                forks: 1,
                kills: 0,
                refused: 0,
                cow_faults: 2,
                cow_copies: 1,
                pages_allocated: 2,
                pages_freed: 1,
            },
            live_processes: 2,
            pages_mapped: 9,
            frames_shared: 3,
            user_frames_free: USER_FRAMES - 6,
            user_frames: USER_FRAMES,
            kernel_frames_free: KERNEL_FRAMES - 2,
            kernel_frames: KERNEL_FRAMES,
        }
    );
    let ps = ProcessStats {
        pid: p,
        parent: None,
        pages_mapped: 5,
        pages_shared: 3,
        table_frames: 1,
        cow_faults: 1,
        cow_copies: 0,
    };
    assert_eq!(k.process_stats(p), Ok(ps));
    let cs = ProcessStats {
        pid: c,
        parent: Some(p),
        pages_mapped: 4,
        pages_shared: 3,
        table_frames: 1,
        cow_faults: 1,
        cow_copies: 1,
    };
    assert_eq!(k.process_stats(c), Ok(cs));
    let r = k.read_mem(c, va(0x10_0000));
    assert_killed(&k, r, c, FaultReason::ReadUnmapped, 0x10_0000);
    k.exit_ps(p).unwrap();
    let s = k.stats();
    assert_eq!((s.counters.kills, s.counters.processes_exited, s.live_processes, s.pages_mapped), (1, 1, 0, 0));
    assert_eq!((s.frames_shared, s.user_frames_free, s.kernel_frames_free), (0, USER_FRAMES, KERNEL_FRAMES));
}

#[test]
fn ajou_stats_count_two_level_tables() {
    let mut k = ajou();
    for v in [0, 1, 17, 255] {
        k.map_page(pid(0), vpn(v), RW).unwrap();
    }
    k.switch(pid(1)).unwrap();
    let s = k.process_stats(pid(1)).unwrap();
    assert_eq!((s.pages_mapped, s.pages_shared, s.table_frames), (4, 4, 4));
    assert_eq!(k.stats().kernel_frames - k.stats().kernel_frames_free, 8, "two roots, three leaves each");
    assert_eq!(k.stats().frames_shared, 4);
}

// ---- Kernel::check: every invariant can fire --------------------------------------------------

/// A two-process `mtl458` machine to corrupt: pid 0 (3 pages) and its eager fork, pid 1.
fn victim() -> Kernel {
    let mut k = mtl();
    let p = k.create_ps(pages(1, 0, 1, 1), b"v").unwrap();
    k.fork_ps(p).unwrap();
    k.check().unwrap();
    k
}

fn table_of(k: &Kernel, p: u32) -> PageTable {
    k.process(pid(p)).unwrap().table()
}

#[test]
fn check_reports_every_kind_of_corruption() {
    type Corrupt = fn(&mut Kernel);
    type Expect = fn(&InvariantError) -> bool;
    let cases: [(&str, Corrupt, Expect); 11] = [
        (
            "map count one too high",
            |k| {
                k.mem.map_counts.increment(Pfn::new(USER0 + 1)).unwrap();
            },
            |e| *e == InvariantError::MapCount { frame: Pfn::new(USER0 + 1), recorded: 2, actual: 1 },
        ),
        (
            "user page mapped to an OS frame",
            |k| {
                let t = table_of(k, 1);
                t.remap(&mut k.mem.arena, vpn(0), Pfn::new(5), P | R | X).unwrap();
            },
            |e| *e == InvariantError::UserPageOutsidePool { pid: pid(1), vpn: 0, frame: Pfn::new(5) },
        ),
        (
            "leaked user frame",
            |k| {
                k.mem.user.allocate_frame().unwrap();
            },
            |e| {
                *e == InvariantError::FreeMismatch { pool: PoolKind::User, frame: Pfn::new(USER0 + 6), allocated: true }
            },
        ),
        (
            "mapped user frame marked free",
            |k| k.mem.user.deallocate_frame(Pfn::new(USER0 + 4)).unwrap(),
            |e| {
                *e == InvariantError::FreeMismatch {
                    pool: PoolKind::User,
                    frame: Pfn::new(USER0 + 4),
                    allocated: false,
                }
            },
        ),
        (
            "leaked kernel frame",
            |k| {
                k.mem.kernel.allocate_frame().unwrap();
            },
            |e| *e == InvariantError::FreeMismatch { pool: PoolKind::Kernel, frame: Pfn::new(2), allocated: true },
        ),
        (
            "page table frame marked free",
            |k| k.mem.kernel.deallocate_frame(Pfn::new(1)).unwrap(),
            |e| *e == InvariantError::FreeMismatch { pool: PoolKind::Kernel, frame: Pfn::new(1), allocated: false },
        ),
        (
            "two processes share a table",
            |k| {
                let t = table_of(k, 0);
                k.procs.insert(Process::new(pid(7), t, None));
            },
            |e| *e == InvariantError::SharedTable { frame: Pfn::new(0), pid: pid(7), other: pid(0) },
        ),
        (
            "a table in a user frame",
            |k| {
                let t = PageTable::new(&mut k.mem.arena, &mut k.mem.user, paging::Format::MTL458).unwrap();
                k.procs.insert(Process::new(pid(2), t, None));
            },
            |e| *e == InvariantError::TableOutsidePool { frame: Pfn::new(USER0 + 6), pid: pid(2) },
        ),
        (
            "writable without its own write permission",
            |k| {
                let t = table_of(k, 0);
                t.protect(&mut k.mem.arena, vpn(0), R | W).unwrap();
            },
            |e| *e == InvariantError::Flags { pid: pid(0), vpn: 0, flags: P | R | W },
        ),
        (
            "page count off by one",
            |k| k.procs.get_mut(pid(1)).unwrap().pages += 1,
            |e| *e == InvariantError::PageCount { pid: pid(1), recorded: 4, actual: 3 },
        ),
        (
            "current process dead",
            |k| k.current = Some(pid(9)),
            |e| matches!(e, InvariantError::Processes(m) if m.contains("current pid 9")),
        ),
    ];
    for (name, corrupt, expect) in cases {
        let mut k = victim();
        corrupt(&mut k);
        match k.check() {
            Err(e) => assert!(expect(&e), "{name}: check reported {e:?}"),
            Ok(()) => panic!("{name}: check found nothing"),
        }
    }
    // A COW bit on a writable entry, and the process limit.
    let mut k = victim();
    let t = table_of(&k, 1);
    t.protect(&mut k.mem.arena, vpn(1), R | W | OW | COW).unwrap();
    assert_eq!(k.check(), Err(InvariantError::Flags { pid: pid(1), vpn: 1, flags: P | R | W | OW | COW }));
    // The TLB: a cached entry the table does not have, and a cached entry that is not readable.
    let mut k = victim();
    assert_eq!(k.read_mem(pid(0), va(0)), Ok(b'v'), "the read caches vpn 0");
    let cached = k.entry(pid(0), vpn(0)).unwrap();
    let t = table_of(&k, 0);
    t.protect(&mut k.mem.arena, vpn(0), R).unwrap();
    let actual = k.entry(pid(0), vpn(0)).unwrap();
    assert_eq!(k.check(), Err(InvariantError::StaleTlb { pid: pid(0), vpn: 0, cached, actual }));
    // A cached entry equal to the table's whose precomputed translation went wrong.
    let mut k = victim();
    assert_eq!(k.read_mem(pid(0), va(0)), Ok(b'v'));
    let cached = k.entry(pid(0), vpn(0)).unwrap();
    k.tlb.skew(pid(0), va(0), PAGE);
    assert_eq!(k.check(), Err(InvariantError::StaleTlb { pid: pid(0), vpn: 0, cached, actual: cached }));
    let mut k = victim();
    let ghost = Pte::new(Pfn::new(USER0), P | R).unwrap();
    k.tlb.fill(pid(1), va(5 * PAGE), ghost);
    assert_eq!(k.check(), Err(InvariantError::StaleTlb { pid: pid(1), vpn: 5, cached: ghost, actual: Pte::EMPTY }));
    let mut k = victim();
    k.allocate_pages(pid(1), va(5 * PAGE), 1, Perm::WRITE).unwrap();
    let write_only = k.entry(pid(1), vpn(5)).unwrap();
    k.tlb.fill(pid(1), va(5 * PAGE), write_only);
    assert_eq!(
        k.check(),
        Err(InvariantError::StaleTlb { pid: pid(1), vpn: 5, cached: write_only, actual: write_only })
    );
    let mut k = victim();
    k.profile.max_processes = Some(1);
    assert!(matches!(k.check(), Err(InvariantError::Processes(m)) if m.contains("2 alive, limit 1")));
}

/// `check` scans only the frames a run used (up to the pools' high-water marks and the span of
/// map counts ever changed): corruption far past them, where the run never reached, is still
/// found, because it moves those marks or shows in the tables walked.
#[test]
fn check_finds_corruption_past_what_the_run_used() {
    let last_user = Pfn::new(USER0 + USER_FRAMES - 1);
    // A map count on an OS frame, below the user pool.
    let mut k = victim();
    k.mem.map_counts.increment(Pfn::new(5)).unwrap();
    assert_eq!(k.check(), Err(InvariantError::MapCount { frame: Pfn::new(5), recorded: 1, actual: 0 }));
    // A map count on the last user frame, never allocated.
    let mut k = victim();
    k.mem.map_counts.increment(last_user).unwrap();
    assert_eq!(k.check(), Err(InvariantError::MapCount { frame: last_user, recorded: 1, actual: 0 }));
    // An entry moved to the last user frame, counted but never allocated (its old frame given
    // back, so that nothing else is wrong).
    let mut k = victim();
    let old = k.entry(pid(1), vpn(0)).unwrap().frame();
    table_of(&k, 1).remap(&mut k.mem.arena, vpn(0), last_user, P | R | X).unwrap();
    k.mem.map_counts.decrement(old).unwrap();
    k.mem.map_counts.increment(last_user).unwrap();
    k.mem.user.deallocate_frame(old).unwrap();
    assert_eq!(
        k.check(),
        Err(InvariantError::FreeMismatch { pool: PoolKind::User, frame: last_user, allocated: false })
    );
    // A table in the last kernel frame, which the pool never handed out.
    let mut k = victim();
    let mut far = phys::FramePool::new(PoolKind::Kernel, KERNEL_FRAMES - 1..KERNEL_FRAMES);
    let t = PageTable::new(&mut k.mem.arena, &mut far, paging::Format::MTL458).unwrap();
    k.procs.insert(Process::new(pid(2), t, None));
    assert_eq!(
        k.check(),
        Err(InvariantError::FreeMismatch {
            pool: PoolKind::Kernel,
            frame: Pfn::new(KERNEL_FRAMES - 1),
            allocated: false
        })
    );
    // After a reset, the high-water marks start again: a leak far from the new run is found.
    let mut k = victim();
    k.reset();
    k.mem.user.allocate_frame().unwrap();
    assert_eq!(
        k.check(),
        Err(InvariantError::FreeMismatch { pool: PoolKind::User, frame: Pfn::new(USER0), allocated: true })
    );
}

#[test]
fn mtl458_round_trip_fork_and_kill() {
    let mut k = mtl();
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

// ---- the official ajou cow-2 script -------------------------------------------------------------

/// The official `cow-2` script, operation by operation.
#[test]
fn ajou_cow_2() {
    let mut k = ajou();
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

/// `check` on a general machine: a dirty page that is not accessed, and a huge page, are
/// broken invariants (the kernel never makes either).
#[test]
fn check_finds_general_entries_the_kernel_never_makes() {
    use paging::{EntryBits, Preset};
    let format = Format::general(Preset::X86_64.format()).unwrap();
    let mut k = Kernel::new(Profile::machine("x86-64", format, 16 << 20).unwrap()).unwrap();
    let sizes = SegmentSizes { code: 4096, ro_data: 0, rw_data: 4096, stack: 4096 };
    let p = k.create_ps(sizes, &[]).unwrap();
    k.write_mem(p, VirtAddr::new(4096), 7).unwrap();
    assert_eq!(k.check(), Ok(()));
    let m = *format.machine().unwrap();
    let root = u64::from(k.procs.table(p).unwrap().root().as_u32());
    m.update(&mut k.mem.arena, root, 4096, EntryBits::empty(), EntryBits::ACCESSED).unwrap();
    let e = k.check().unwrap_err();
    assert_eq!(e, InvariantError::GeneralEntry { pid: p, va: 4096, level: 3, what: "dirty but not accessed" });
    m.update(&mut k.mem.arena, root, 4096, EntryBits::ACCESSED, EntryBits::empty()).unwrap();
    assert_eq!(k.check(), Ok(()));
    // A 2 MiB page at 1 GiB, mapping frames the check then also finds outside the user pool:
    // the huge page is reported first.
    let bits = EntryBits::READ | EntryBits::USER;
    m.map(&mut k.mem.arena, &mut k.mem.kernel, root, 1 << 30, 0, 2, bits).unwrap();
    let e = k.check().unwrap_err();
    assert_eq!(e, InvariantError::GeneralEntry { pid: p, va: 1 << 30, level: 2, what: "a huge page" });
}

/// `reset` after a busy run (processes, forks in both policies, written pages, a changed fork
/// policy, TLB and counters used) leaves a machine that a fresh one cannot be told apart from:
/// the same state and counters, and the same run afterwards gives the same results.
#[test]
fn a_reset_machine_is_a_fresh_one() {
    fn busy(k: &mut Kernel) -> Vec<String> {
        let mut log = Vec::new();
        let p = k.current().map_or_else(|| k.create_ps(pages(10, 1, 2, 256), &course_data()), Ok);
        log.push(format!("{p:?}"));
        if let Ok(p) = p {
            log.push(format!("{:?}", k.write_mem(p, va(11 * PAGE + 3), 1)));
            log.push(format!("{:?}", k.write_mem(p, va(4 * MIB - 2), 2)));
            let c = k.fork_ps(p);
            log.push(format!("{c:?}"));
            if let Ok(c) = c {
                log.push(format!("{:?}", k.write_mem(c, va(11 * PAGE + 3), 9)));
                log.push(format!("{:?}", k.read_mem(c, va(5))));
                log.push(format!("{:?}", k.read_mem(p, va(11 * PAGE + 3))));
            }
        }
        log.push(format!("{:?} {:?}", k.stats(), k.counters()));
        k.check().unwrap();
        log
    }
    for fresh in [mtl, mtl_cow, ajou] {
        let mut k = fresh();
        busy(&mut k);
        k.set_fork_policy(match k.fork_policy() {
            ForkPolicy::Eager => ForkPolicy::CopyOnWrite,
            ForkPolicy::CopyOnWrite => ForkPolicy::Eager,
        });
        busy(&mut k);
        k.reset();
        k.check().unwrap();
        let mut f = fresh();
        assert_eq!(state(&k), state(&f));
        assert_eq!(k.fork_policy(), f.fork_policy());
        assert_eq!(format!("{:?}", k.counters()), format!("{:?}", f.counters()));
        for i in 0..k.mem().arena.frames() {
            let (a, b) = (&k.mem().arena, &f.mem().arena);
            assert_eq!(a.is_dirty(Pfn::new(i)), b.is_dirty(Pfn::new(i)), "frame {i} dirty");
            assert_eq!(a.frame(Pfn::new(i)).unwrap(), b.frame(Pfn::new(i)).unwrap(), "frame {i} bytes");
        }
        assert_eq!(busy(&mut k), busy(&mut f));
        assert_eq!(state(&k), state(&f));
    }
}
