//! Local replacement against the policy driver, in lock step: two processes created before
//! any reference, with lazy pages, each hold at most their equal share of the frames, so each
//! one's hits and faults must be those of the driver running that process's references alone
//! over its share of frames, reference by reference.

use kernel::{Access, DemandConfig, Format, Kernel, Perm, Preset, Profile, SegmentSizes, VirtAddr, Vpn};
use policy::{Options, Reference, Simulator, Spec};

fn machine() -> Kernel {
    let format = Format::general(Preset::X86_64.format()).unwrap();
    Kernel::new(Profile::machine("x86-64", format, 1 << 20).unwrap()).unwrap()
}

/// Every policy whose rule does not depend on the machine's frame count (`sfifo` and `2q`
/// size their segments from it, not from a share; `opt` is refused).
const POLICIES: [&str; 11] =
    ["fifo", "lru", "clock", "second", "nru", "aging", "wsclock", "lfu", "mru", "random", "sieve"];

#[test]
fn each_process_replaces_as_the_driver_does_over_its_share() {
    for name in POLICIES {
        let spec: Spec = name.parse().unwrap();
        let options = Options { period: 3, tau: 5, seed: 7, ..Options::default() };
        for frames in [2u32, 5, 6] {
            let mut k = machine();
            let config = DemandConfig { frames, swap_slots: 64, lazy: true };
            k.enable_local_demand_paging(config, spec, &options).unwrap();
            let pids = [
                k.create_ps(SegmentSizes::default(), &[]).unwrap(),
                k.create_ps(SegmentSizes::default(), &[]).unwrap(),
            ];
            let mut sims = [0, 1].map(|who| {
                // The lower pid has the odd frame.
                let share = frames as usize / 2 + usize::from(who < frames as usize % 2);
                Simulator::new(spec, share, &options, &[]).unwrap()
            });
            for &p in &pids {
                k.allocate_pages(p, VirtAddr::new(0x1000), 7, Perm::READ | Perm::WRITE).unwrap();
            }
            // A fixed pseudo-random interleaving (a 64-bit LCG), with locality: each process
            // mostly revisits its last few pages.
            let mut x = 0x2545_f491_4f6c_dd1d_u64 ^ u64::from(frames);
            let mut last = [1u64, 1];
            for step in 0..600 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let who = (x >> 61) as usize % 2;
                let near = (x >> 40) % 4 != 0;
                let page = if near { 1 + (last[who] + (x >> 20) % 3) % 7 } else { 1 + (x >> 24) % 7 };
                last[who] = page;
                let write = (x >> 50) % 4 == 0;
                let before = k.process_paging_stats(pids[who]).unwrap();
                let access = if write { Access::Write } else { Access::Read };
                k.touch(pids[who], Vpn::new(page as u32), access).unwrap();
                let after = k.process_paging_stats(pids[who]).unwrap();
                let step_hit = sims[who].access(Reference { page, write }).hit;
                assert_eq!(
                    after.hits - before.hits,
                    u64::from(step_hit),
                    "{name}, {frames} frames, step {step}: pid {} page {page}",
                    pids[who]
                );
            }
            k.check().unwrap();
            for (who, &p) in pids.iter().enumerate() {
                let (s, d) = (k.process_paging_stats(p).unwrap(), sims[who].stats());
                assert_eq!(
                    (s.references, s.hits, s.faults),
                    (d.references, d.hits, d.faults),
                    "{name}, {frames} frames"
                );
            }
        }
    }
}

#[test]
fn with_one_process_local_replacement_is_global_replacement() {
    for name in POLICIES.iter().chain(&["sfifo:50", "2q"]) {
        let spec: Spec = name.parse().unwrap();
        let run = |local: bool| {
            let mut k = machine();
            let config = DemandConfig { frames: 3, swap_slots: 16, lazy: true };
            let options = Options::default();
            if local {
                k.enable_local_demand_paging(config, spec, &options).unwrap();
            } else {
                k.enable_demand_paging(config, spec, &options).unwrap();
            }
            let p = k.create_ps(SegmentSizes::default(), &[]).unwrap();
            k.allocate_pages(p, VirtAddr::new(0x1000), 5, Perm::READ | Perm::WRITE).unwrap();
            for (i, page) in [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5, 3, 1].into_iter().enumerate() {
                let access = if i % 3 == 0 { Access::Write } else { Access::Read };
                k.touch(p, Vpn::new(page), access).unwrap();
            }
            k.check().unwrap();
            k.paging_stats().unwrap()
        };
        assert_eq!(run(true), run(false), "{name}");
    }
}

#[test]
fn a_process_at_its_share_evicts_its_own_pages_and_a_fork_s_pages_stay_charged() {
    // Two frames, FIFO: the parent writes page 1 and forks; the child's share is 1, its
    // parent's 1. The child reading page 1 hits (the parent's frame, charged to the parent).
    // The parent touches page 2: it holds its share, so it evicts its own page 1 (shared:
    // both entries go to one slot).
    let mut k = machine();
    let config = DemandConfig { frames: 2, swap_slots: 8, lazy: true };
    k.enable_local_demand_paging(config, Spec::Fifo, &Options::default()).unwrap();
    let p = k.create_ps(SegmentSizes::default(), &[]).unwrap();
    k.allocate_pages(p, VirtAddr::new(0x1000), 3, Perm::READ | Perm::WRITE).unwrap();
    k.write_mem(p, VirtAddr::new(0x1000), 5).unwrap();
    let c = k.fork_ps(p).unwrap();
    assert_eq!(k.read_mem(c, VirtAddr::new(0x1000)).unwrap(), 5);
    assert_eq!(k.process_paging_stats(c).unwrap().hits, 1);
    k.write_mem(p, VirtAddr::new(0x2000), 6).unwrap();
    assert_eq!(k.swap_slot_users(0), Some(2));
    k.check().unwrap();
    // The child faults page 1 back (its share is free), then writes it: a copy, which needs a
    // frame: the child holds its share, so its own page goes (the frame it shares is
    // charged to it since the read brought it in).
    assert_eq!(k.read_mem(c, VirtAddr::new(0x1000)).unwrap(), 5);
    k.write_mem(c, VirtAddr::new(0x1000), 7).unwrap();
    k.check().unwrap();
    assert_eq!(k.read_mem(p, VirtAddr::new(0x1000)).unwrap(), 5);
    assert_eq!(k.read_mem(c, VirtAddr::new(0x1000)).unwrap(), 7);
    k.exit_ps(c).unwrap();
    k.check().unwrap();
    k.exit_ps(p).unwrap();
    k.check().unwrap();
    assert_eq!(k.swap_slots_used(), 0);
}
