//! In-process throughput of the `ajou` shell (`cli::run_script`) on the workload that
//! `cargo xtask bench` times as a process: the same generator and seed, so the two figures
//! differ only by process start-up and writing the output to files.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The generator lives with `cargo xtask bench`; sharing the file keeps one definition of the
/// workload without a dependency on xtask. Not every item is used here.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../xtask/src/bench/script.rs"]
mod script;

fn shell(c: &mut Criterion) {
    let mut g = c.benchmark_group("shell");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(4));
    for n in [100_000u64, 1_000_000] {
        let mut text = Vec::new();
        let mix = script::generate(n, script::SEED, &mut text).expect("writing to memory");
        // Standard error gets a line per command but `switch`: keep one buffer of that size so
        // the output is formatted and copied, as the binary does, without growing in the loop.
        let mut err = Vec::with_capacity(text.len() * 2);
        let mut out = Vec::new();
        // A run cut short would look fast: check once that the script runs to its end.
        let status = cli::run_script(cli::Machine::Ajou, &text[..], None, &mut out, &mut err).expect("in memory");
        let lines = err.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!((status, lines), (0, mix.stderr_lines()), "the script runs to its end");
        g.throughput(Throughput::Elements(mix.commands()));
        g.bench_with_input(BenchmarkId::new("ajou", n), &text, |b, text| {
            b.iter(|| {
                err.clear();
                out.clear();
                let status = cli::run_script(cli::Machine::Ajou, &text[..], None, &mut out, &mut err);
                black_box((status.ok(), err.len()))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, shell);
criterion_main!(benches);
