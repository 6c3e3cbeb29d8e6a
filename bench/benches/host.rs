//! Criterion benches of the host workloads (README "Performance"; x86-64, one thread,
//! f32). Each benchmark group is one workload with its throughput in samples,
//! so `target/criterion/<workload>/microprop/new/estimates.json` holds the
//! time of one step and `benchmark.json` beside it the samples per step;
//! `bench/run.sh` turns those into samples per second.
//!
//! `cargo bench -p microprop-bench` runs them all; add e.g.
//! `-- --warm-up-time 1 --measurement-time 2` for a quick run, or a name
//! filter such as `-- w2_` for some of them.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group};
use microprop_bench::{Workload, mnist_adam, mnist_adam_fused, mnist_infer, w2_momentum, xor_sgd};

/// Benchmarks one workload under its own group, monomorphised (no dynamic
/// dispatch in the timed loop).
fn bench<W: Workload>(c: &mut Criterion, mut workload: W) {
    let mut group = c.benchmark_group(workload.name());
    group.throughput(Throughput::Elements(workload.samples_per_run() as u64));
    group.bench_function("microprop", |b| b.iter(|| black_box(workload.run())));
    group.finish();
}

fn host(c: &mut Criterion) {
    bench(c, mnist_adam::<32>("mnist_adam_b32"));
    bench(c, mnist_adam::<1>("mnist_adam_b1"));
    bench(c, mnist_adam_fused("mnist_adam_b1_fused"));
    bench(c, w2_momentum::<1>("w2_momentum_b1"));
    bench(c, w2_momentum::<16>("w2_momentum_b16"));
    bench(c, xor_sgd());
    bench(c, mnist_infer());
}

criterion_group!(benches, host);

fn main() {
    // The CPU's vector units, as every host program of the workspace
    // (MICROPROP_KERNELS=baseline for the built-in SSE2 loops).
    eprintln!("microprop kernels: {}", microprop_host::active_after_init());
    benches();
    Criterion::default().configure_from_args().final_summary();
}
