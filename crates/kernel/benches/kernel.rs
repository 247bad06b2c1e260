//! Kernel benchmarks, each paired with a baseline measured in the same run (see `cargo xtask bench`).
//!
//! Every claim in `docs/performance.md` is a ratio of a kernel figure to its baseline from the
//! same run, because absolute times on shared machines are noise. The group and function names
//! here are read back by `xtask/src/bench.rs`; rename both together.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use kernel::{ForkPolicy, Kernel, Pid, Profile, SegmentSizes, VirtAddr, Vpn};
use paging::{Pte, PteFlags};
use phys::{Arena, Pfn, PhysAddr};

const PAGE: u64 = kernel::PAGE_SIZE as u64;

/// A small deterministic generator: benchmarks must not depend on the host's entropy.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn mtl458(policy: ForkPolicy) -> Kernel {
    let mut k = Kernel::new(Profile::MTL458).expect("the mtl458 layout is valid");
    k.set_fork_policy(policy);
    k
}

/// One process whose `pages` pages are all mapped read/write (rw data), each page's bytes set.
fn process_with_pages(k: &mut Kernel, pages: u64) -> Pid {
    let pid = k.create_ps(SegmentSizes { rw_data: pages * PAGE, ..Default::default() }, &[]).expect("fits");
    for p in 0..pages {
        k.write_mem(pid, VirtAddr::new(p * PAGE), p as u8).expect("writable");
    }
    pid
}

/// The physical address `addr` of `pid` translates to, for the straight-from-the-arena baselines.
fn phys_of(k: &Kernel, pid: Pid, addr: u64) -> PhysAddr {
    let e = k.entry(pid, Vpn::new((addr / PAGE) as u32)).expect("live process");
    PhysAddr::from_parts(e.frame(), (addr % PAGE) as usize)
}

/// The loops are out of line, and the same shape for kernel and baseline, so that the two differ
/// only in how a byte is found (and so that their machine code is easy to inspect).
#[inline(never)]
fn sum_kernel(k: &mut Kernel, accesses: &[(Pid, u64)]) -> u8 {
    let mut sum = 0u8;
    for &(pid, a) in accesses {
        sum = sum.wrapping_add(k.read_mem(pid, VirtAddr::new(a)).unwrap_or(0));
    }
    sum
}

/// The floor of any simulated MMU on a single-level table: the walk written by hand, with the
/// roots in a slice and every constant of the `mtl458` format folded, and nothing else (no TLB,
/// no fault path, no process table). What it costs over `sum_arena` is the price of reading a
/// page-table entry at all, which no kernel can avoid on a TLB miss.
#[inline(never)]
fn floor_walk(arena: &Arena, roots: &[u32], accesses: &[(Pid, u64)]) -> u8 {
    const READABLE: u32 = PteFlags::PRESENT.bits() | PteFlags::READ.bits();
    let entries = arena.view::<Pte>();
    let bytes = arena.bytes();
    let byte = |pid: Pid, a: u64| {
        let root = *roots.get(pid.as_u32() as usize)? as usize;
        let vpn = (a / PAGE) as usize;
        let e = if vpn < 1024 { entries.get(root * 1024 + vpn)?.bits() } else { 0 };
        let frame_start = (e & !0xfff) as usize;
        if e & READABLE == READABLE { bytes.get(frame_start | (a % PAGE) as usize).copied() } else { None }
    };
    let mut sum = 0u8;
    for &(pid, a) in accesses {
        sum = sum.wrapping_add(byte(pid, a).unwrap_or(0));
    }
    sum
}

/// [`floor_tlb`]'s cache: the kernel's layout, one array per field.
struct Slots {
    vpns: [u64; 256],
    pids: [Pid; 256],
    deltas: [u64; 256],
}

/// The floor of a software TLB hit: a direct-mapped cache like the kernel's, filled beforehand,
/// with its arrays and the arena held in registers across the loop (which the kernel, behind
/// `&mut self`, cannot count on) and no miss path.
#[inline(never)]
fn floor_tlb(arena: &Arena, slots: &Slots, accesses: &[(Pid, u64)]) -> u8 {
    let bytes = arena.bytes();
    let mut sum = 0u8;
    for &(pid, a) in accesses {
        let vpn = a / PAGE;
        let i = (vpn as usize ^ pid.as_u32() as usize) & 255;
        let hit = slots.vpns[i] == vpn && slots.pids[i] == pid;
        let byte = if hit { bytes.get(a.wrapping_add(slots.deltas[i]) as usize).copied() } else { None };
        sum = sum.wrapping_add(byte.unwrap_or(0));
    }
    sum
}

/// The roots of the processes in `accesses`, indexed by pid, for [`floor_walk`].
fn roots_of(k: &Kernel, accesses: &[(Pid, u64)]) -> Vec<u32> {
    let mut roots = vec![u32::MAX; 128];
    for &(pid, _) in accesses {
        roots[pid.as_u32() as usize] = k.process(pid).expect("live process").table().root().as_u32();
    }
    roots
}

#[inline(never)]
fn sum_arena(arena: &Arena, phys: &[PhysAddr]) -> u8 {
    let mut sum = 0u8;
    for &p in phys {
        sum = sum.wrapping_add(arena.read_byte(p).unwrap_or(0));
    }
    sum
}

fn read_hot(c: &mut Criterion) {
    let mut k = mtl458(ForkPolicy::Eager);
    let pid = process_with_pages(&mut k, 4);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let accesses: Vec<(Pid, u64)> = (0..4096).map(|_| (pid, rng.next() % (4 * PAGE))).collect();
    let phys: Vec<PhysAddr> = accesses.iter().map(|&(pid, a)| phys_of(&k, pid, a)).collect();
    let roots = roots_of(&k, &accesses);
    let mut slots = Box::new(Slots { vpns: [u64::MAX; 256], pids: [Pid::new(0); 256], deltas: [0; 256] });
    for (&(pid, a), p) in accesses.iter().zip(&phys) {
        let (vpn, frame_start) = (a / PAGE, p.as_u64() / PAGE * PAGE);
        let i = (vpn as usize ^ pid.as_u32() as usize) & 255;
        (slots.vpns[i], slots.pids[i], slots.deltas[i]) = (vpn, pid, frame_start.wrapping_sub(vpn * PAGE));
    }
    let mut g = c.benchmark_group("read_hot");
    g.bench_function("kernel", |b| b.iter(|| black_box(sum_kernel(&mut k, &accesses))));
    let arena = &k.mem().arena;
    g.bench_function("arena", |b| b.iter(|| black_box(sum_arena(arena, &phys))));
    g.bench_function("floor_tlb", |b| b.iter(|| black_box(floor_tlb(arena, &slots, &accesses))));
    g.bench_function("floor_walk", |b| b.iter(|| black_box(floor_walk(arena, &roots, &accesses))));
    g.finish();
}

fn read_random(c: &mut Criterion) {
    // The 64-process fill of course check 7: 1 MiB code + 1 MiB stack each, all user frames.
    let mut k = mtl458(ForkPolicy::Eager);
    let sizes = SegmentSizes { code: 1 << 20, stack: 1 << 20, ..Default::default() };
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7) as u8).collect();
    let pids: Vec<Pid> = (0..64).map(|_| k.create_ps(sizes, &data).expect("fits")).collect();
    for &pid in &pids {
        for p in 0..256 {
            k.write_mem(pid, VirtAddr::new((3 << 20) + p * PAGE), 1).expect("stack is writable");
        }
    }
    assert_eq!(k.stats().user_frames_free, 0, "the fill uses every user frame");
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let accesses: Vec<(Pid, u64)> = (0..1 << 20)
        .map(|_| {
            let pid = pids[(rng.next() % 64) as usize];
            let off = rng.next() % (2 << 20);
            (pid, if off < 1 << 20 { off } else { (2 << 20) + off })
        })
        .collect();
    let phys: Vec<PhysAddr> = accesses.iter().map(|&(pid, a)| phys_of(&k, pid, a)).collect();
    let roots = roots_of(&k, &accesses);
    let mut g = c.benchmark_group("read_random");
    g.sample_size(20);
    g.bench_function("kernel", |b| b.iter(|| black_box(sum_kernel(&mut k, &accesses))));
    let arena = &k.mem().arena;
    g.bench_function("arena", |b| b.iter(|| black_box(sum_arena(arena, &phys))));
    g.bench_function("floor_walk", |b| b.iter(|| black_box(floor_walk(arena, &roots, &accesses))));
    g.finish();
}

/// The floor of any simulated MMU on `x86-64`'s 4-level tables: the walk written by hand for
/// that one format (8-byte entries, 9 index bits a level from bit 39 down, present bit 0,
/// user bit 2, address bits 12..51), with the roots in a slice and nothing else: no TLB, no
/// fault path, no process table, and no accessed bit written (after the first pass over the
/// pages every accessed bit is set, and hardware writes nothing then either).
#[inline(never)]
fn floor_walk_x86_64(arena: &Arena, roots: &[u32], accesses: &[(Pid, u64)]) -> u8 {
    const PRESENT_USER: u64 = 1 | 1 << 2;
    const ADDRESS: u64 = ((1 << 52) - 1) & !0xfff;
    let words = arena.view::<u64>();
    let bytes = arena.bytes();
    let byte = |pid: Pid, a: u64| {
        let mut table = u64::from(*roots.get(pid.as_u32() as usize)?) * PAGE;
        for shift in [39, 30, 21, 12] {
            let e = *words.get((table / 8 + ((a >> shift) & 511)) as usize)?;
            if e & PRESENT_USER != PRESENT_USER {
                return None;
            }
            table = e & ADDRESS;
        }
        bytes.get((table | (a % PAGE)) as usize).copied()
    };
    let mut sum = 0u8;
    for &(pid, a) in accesses {
        sum = sum.wrapping_add(byte(pid, a).unwrap_or(0));
    }
    sum
}

/// `read_random` on the `x86-64` preset: 64 processes of 1 MiB code and 1 MiB stack (the
/// stack at the top of the lower half, 128 TiB up, so that every walk crosses 4 levels of
/// tables spread over the arena), a million reads at random addresses of them.
fn read_random_x86_64(c: &mut Criterion) {
    let format = paging::Format::general(paging::Preset::X86_64.format()).expect("x86-64 has software bits");
    let profile = Profile::machine("x86-64", format, 256 << 20).expect("256 MiB is a valid machine");
    let mut k = Kernel::new(profile).expect("the machine's layout is valid");
    let space = k.profile().address_space_size();
    let sizes = SegmentSizes { code: 1 << 20, stack: 1 << 20, ..Default::default() };
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i * 7) as u8).collect();
    let pids: Vec<Pid> = (0..64).map(|_| k.create_ps(sizes, &data).expect("fits")).collect();
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let accesses: Vec<(Pid, u64)> = (0..1 << 20)
        .map(|_| {
            let pid = pids[(rng.next() % 64) as usize];
            let off = rng.next() % (2 << 20);
            (pid, if off < 1 << 20 { off } else { space - (2 << 20) + off })
        })
        .collect();
    let phys: Vec<PhysAddr> = accesses
        .iter()
        .map(|&(pid, a)| {
            let e = k.entry(pid, Vpn::from_u64(a / PAGE)).expect("live process");
            PhysAddr::from_parts(e.frame(), (a % PAGE) as usize)
        })
        .collect();
    let roots = roots_of(&k, &accesses);
    let arena = &k.mem().arena;
    assert_eq!(
        floor_walk_x86_64(arena, &roots, &accesses),
        sum_arena(arena, &phys),
        "the hand-written walk reads what the kernel's tables map"
    );
    let mut g = c.benchmark_group("read_random_x86_64");
    g.sample_size(20);
    g.bench_function("kernel", |b| b.iter(|| black_box(sum_kernel(&mut k, &accesses))));
    let arena = &k.mem().arena;
    g.bench_function("arena", |b| b.iter(|| black_box(sum_arena(arena, &phys))));
    g.bench_function("floor_walk", |b| b.iter(|| black_box(floor_walk_x86_64(arena, &roots, &accesses))));
    g.finish();
}

/// Times `fork_ps` alone: the child is exited outside the timed region.
fn time_forks(k: &mut Kernel, parent: Pid, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let t = Instant::now();
        let child = k.fork_ps(black_box(parent)).expect("memory for the child");
        total += t.elapsed();
        k.exit_ps(child).expect("child is alive");
    }
    total
}

fn fork_1024(c: &mut Criterion) {
    let mut g = c.benchmark_group("fork_1024");
    for (name, policy) in [("cow", ForkPolicy::CopyOnWrite), ("eager", ForkPolicy::Eager)] {
        let mut k = mtl458(policy);
        let parent = process_with_pages(&mut k, 1024);
        g.bench_function(name, |b| b.iter_custom(|iters| time_forks(&mut k, parent, iters)));
    }
    let src = vec![7u8; 4 << 20];
    let mut dst = vec![0u8; 4 << 20];
    g.bench_function("memcpy_4mib", |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
        })
    });
    g.finish();
}

fn cow_fault(c: &mut Criterion) {
    const PAGES: u64 = 256;
    let mut g = c.benchmark_group("cow_fault");
    let mut k = mtl458(ForkPolicy::CopyOnWrite);
    let parent = process_with_pages(&mut k, PAGES);
    // Per fault: fork (untimed), then time one write to each shared page, each a copy.
    g.bench_function("kernel", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let child = k.fork_ps(parent).expect("memory for the child");
                let n = PAGES.min(iters - done);
                let t = Instant::now();
                for p in 0..n {
                    k.write_mem(child, VirtAddr::new(p * PAGE + 8), 1).expect("copy-on-write");
                }
                total += t.elapsed();
                k.exit_ps(child).expect("child is alive");
                done += n;
            }
            total
        })
    });
    // The frames those faults copy between: the parent's, and the ones its children's copies
    // land in (the lowest free frames, the same after every exit). The baseline copies between
    // random frames of these two sets, so that it works on the same 2 MiB as the kernel and the
    // ratio is the fault's own cost. Random frames of the whole 128 MiB pool (`arena_copy_4k_pool`)
    // miss the caches and the host's TLB on every copy, which the kernel's faults here do not.
    let child = k.fork_ps(parent).expect("memory for the child");
    for p in 0..PAGES {
        k.write_mem(child, VirtAddr::new(p * PAGE), 1).expect("copy-on-write");
    }
    let frames = |k: &Kernel, pid: Pid| -> Vec<Pfn> {
        (0..PAGES).map(|p| k.entry(pid, Vpn::new(p as u32)).expect("live process").frame()).collect()
    };
    let (src, dst) = (frames(&k, parent), frames(&k, child));
    k.exit_ps(child).expect("child is alive");
    let mut arena = Arena::new(51_200).expect("200 MiB");
    let user = 18_432..51_200u64;
    // Touch every user frame once so the baselines copy resident memory, as the kernel does.
    for f in user.clone() {
        arena.write_byte(Pfn::new(f as u32).start_address(), 1).expect("inside");
    }
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    g.bench_function("arena_copy_4k", |b| {
        b.iter(|| {
            let s = src[(rng.next() % PAGES) as usize];
            let d = dst[(rng.next() % PAGES) as usize];
            arena.copy_frame(black_box(s), black_box(d)).expect("inside");
        })
    });
    g.bench_function("arena_copy_4k_pool", |b| {
        b.iter(|| {
            let span = user.end - user.start;
            let s = Pfn::new((user.start + rng.next() % span) as u32);
            let d = Pfn::new((user.start + rng.next() % span) as u32);
            arena.copy_frame(black_box(s), black_box(d)).expect("inside");
        })
    });
    g.finish();
}

const SCALING: [u64; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

fn fork_scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("fork_scaling");
    g.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (name, policy) in [("cow", ForkPolicy::CopyOnWrite), ("eager", ForkPolicy::Eager)] {
        for pages in SCALING {
            let mut k = mtl458(policy);
            let parent = process_with_pages(&mut k, pages);
            g.bench_with_input(BenchmarkId::new(name, pages), &pages, |b, _| {
                b.iter_custom(|iters| time_forks(&mut k, parent, iters))
            });
        }
    }
    g.finish();
}

fn exit_scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("exit_scaling");
    g.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (name, policy) in [("cow_child", ForkPolicy::CopyOnWrite), ("eager_child", ForkPolicy::Eager)] {
        for pages in SCALING {
            let mut k = mtl458(policy);
            let parent = process_with_pages(&mut k, pages);
            g.bench_with_input(BenchmarkId::new(name, pages), &pages, |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let child = k.fork_ps(parent).expect("memory for the child");
                        let t = Instant::now();
                        k.exit_ps(black_box(child)).expect("child is alive");
                        total += t.elapsed();
                    }
                    total
                })
            });
        }
    }
    g.finish();
}

fn config() -> Criterion {
    // Short runs: the report is about ratios in one run, not about tight absolute intervals.
    Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = read_hot, read_random, read_random_x86_64, fork_1024, cow_fault, fork_scaling, exit_scaling }
criterion_main!(benches);
