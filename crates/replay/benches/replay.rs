//! Replay throughput: a 1M-record `rw` trace end to end from a plain file (open, detect, parse,
//! LRU with 64 frames), the same from gzip, OPT over it, LRU through the x86-64 machine with a
//! 64-entry TLB, and a sweep of 4 policies x 9 sizes.

use std::fs::File;
use std::hint::black_box;
use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use replay::{Options, Preset, ReplayOptions, Spec};
use trace::{FormatChoice, ReadOptions, TraceReader};

const RECORDS: usize = 1_000_000;

/// A trace with locality: 90% of references to a hot set of 200 pages, the rest to 2,000.
fn trace_text() -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::with_capacity(RECORDS * 11);
    for _ in 0..RECORDS {
        let r = next();
        let page = if r % 10 < 9 { (r >> 8) % 200 } else { (r >> 8) % 2000 };
        let addr = ((page * 7919) % (1 << 20)) << 12 | (r >> 40) & 0xfff;
        let kind = if (r >> 32) % 5 == 0 { 'W' } else { 'R' };
        writeln!(out, "{addr:08x} {kind}").unwrap();
    }
    out
}

fn replay_file(path: &std::path::Path, policy: Spec, machine: Option<Preset>) -> u64 {
    let (_, text) = trace::decompress(File::open(path).unwrap()).unwrap();
    let mut reader = TraceReader::new(text, FormatChoice::Auto, ReadOptions::default()).unwrap();
    let options = ReplayOptions {
        frames: 64,
        policy,
        policy_options: Options::default(),
        page_size: 4096,
        straddle: false,
        tlb: machine.map(|_| replay::DEFAULT_MACHINE_TLB),
        machine,
    };
    replay::replay_trace(&mut reader, &options, &mut |_| {}).unwrap().counts.page_faults
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let text = trace_text();
    let plain = dir.path().join("bench.trace");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("bench.trace.gz");
    let mut packed = Vec::new();
    trace::compress(trace::Compression::Gzip, &text[..], &mut packed).unwrap();
    std::fs::write(&gz, packed).unwrap();

    let mut g = c.benchmark_group("replay_1M_rw");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.sample_size(10);
    g.bench_function("lru64_plain", |b| b.iter(|| black_box(replay_file(&plain, Spec::Lru, None))));
    g.bench_function("lru64_gzip", |b| b.iter(|| black_box(replay_file(&gz, Spec::Lru, None))));
    g.bench_function("opt64_plain", |b| b.iter(|| black_box(replay_file(&plain, Spec::Opt, None))));
    g.bench_function("lru64_x86_64_tlb64", |b| {
        b.iter(|| black_box(replay_file(&plain, Spec::Lru, Some(Preset::X86_64))));
    });
    g.bench_function("sweep_4x9", |b| {
        let (_, text) = trace::decompress(File::open(&plain).unwrap()).unwrap();
        let mut reader = TraceReader::new(text, FormatChoice::Auto, ReadOptions::default()).unwrap();
        let (refs, _) = replay::page_refs(&mut reader, 4096, false, &mut |_| {}).unwrap();
        let policies = [Spec::Fifo, Spec::Lru, Spec::Clock, Spec::Opt];
        let sizes = [4, 8, 16, 32, 64, 128, 256, 512, 1024];
        b.iter(|| black_box(replay::sweep::sweep(&refs, &policies, &sizes).unwrap().cells.len()));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
