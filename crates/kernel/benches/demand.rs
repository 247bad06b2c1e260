//! References per second through the kernel under demand paging, for every policy but `opt`
//! (which a running machine cannot have) on one 1,000,000-reference string: criterion reports
//! it as throughput, elements = references. Beside `crates/policy`'s bench (the same string
//! through the policy crate's own driver), the difference is the kernel's cost: a walk of a
//! 4-level x86-64 table per reference, accessed and dirty bits in the entries, the reverse
//! map, and a 4 KiB copy per swap write and read.
//!
//! The string is `crates/policy/benches/policies.rs`'s: 1,024 frames; 80% of references go to
//! a hot set of 512 pages, 20% to 16,384 cold pages, one in eight a write; a deterministic
//! generator. One process; its 16,896 pages are allocated lazily; the swap has a slot for each.
//! Each iteration builds the machine (untimed work is small beside 1M references) and runs the
//! whole string.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kernel::{Access, DemandConfig, Format, Kernel, Perm, Preset, Profile, SegmentSizes, VirtAddr, Vpn};
use policy::{Options, Spec};

const REFERENCES: usize = 1_000_000;
const FRAMES: u32 = 1024;
const PAGES: u32 = 512 + 16_384;

/// xorshift64, as the policy crate's bench: (page, write).
fn references() -> Vec<(u32, bool)> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..REFERENCES)
        .map(|_| {
            let r = next();
            let page = if r % 10 < 8 { (r >> 8) % 512 } else { 512 + (r >> 8) % 16_384 };
            (page as u32, (r >> 40) % 8 == 0)
        })
        .collect()
}

fn machine(spec: Spec) -> Kernel {
    let format = Format::general(Preset::X86_64.format()).expect("x86-64 is general");
    let mut k = Kernel::new(Profile::machine("x86-64", format, 64 << 20).expect("64 MiB")).expect("machine");
    let config = DemandConfig { frames: FRAMES, swap_slots: PAGES, lazy: true };
    k.enable_demand_paging(config, spec, &Options::default()).expect("demand paging");
    let p = k.create_ps(SegmentSizes::default(), &[]).expect("a process");
    k.allocate_pages(p, VirtAddr::new(0), PAGES, Perm::READ | Perm::WRITE).expect("lazy pages");
    k
}

fn demand(c: &mut Criterion) {
    let refs = references();
    let mut group = c.benchmark_group("demand");
    group.throughput(Throughput::Elements(REFERENCES as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    for spec in Spec::ALL.into_iter().filter(|&s| s != Spec::Opt) {
        group.bench_function(spec.to_string().replace(':', "-"), |b| {
            b.iter(|| {
                let mut k = machine(spec);
                let p = kernel::Pid::new(0);
                for &(page, write) in &refs {
                    let access = if write { Access::Write } else { Access::Read };
                    black_box(k.touch(p, Vpn::new(page), access).expect("every page is allocated"));
                }
                let s = k.paging_stats().expect("demand paging is on");
                assert_eq!(s.references, REFERENCES as u64);
                s.faults
            });
        });
    }
    group.finish();
}

criterion_group!(benches, demand);
criterion_main!(benches);
