//! References per second for every policy on one 1,000,000-reference string (criterion
//! reports it as throughput, elements = references).
//!
//! The string: 1,024 frames; 80% of references go to a hot set of 512 pages, 20% to 16,384
//! cold pages, one in eight a write; a deterministic generator, so every run and machine
//! measures the same string. Each iteration builds the policy (opt's next-use pass included)
//! and runs the whole string.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use policy::{Options, Reference, Simulator, Spec};

const REFERENCES: usize = 1_000_000;
const FRAMES: usize = 1024;

/// xorshift64: benchmarks must not depend on the host's entropy.
fn references() -> Vec<Reference> {
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
            Reference { page, write: (r >> 40) % 8 == 0 }
        })
        .collect()
}

fn policies(c: &mut Criterion) {
    let refs = references();
    let mut group = c.benchmark_group("policy");
    group.throughput(Throughput::Elements(REFERENCES as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    for spec in Spec::ALL {
        group.bench_function(spec.to_string().replace(':', "-"), |b| {
            b.iter(|| {
                let mut sim = Simulator::new(spec, FRAMES, &Options::default(), &refs).expect("1024 frames");
                for r in &refs {
                    black_box(sim.access(*r));
                }
                sim.stats().faults
            });
        });
    }
    group.finish();
}

criterion_group!(benches, policies);
criterion_main!(benches);
