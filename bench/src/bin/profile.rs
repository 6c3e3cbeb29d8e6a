//! Runs one workload for a number of iterations, for profilers that need a
//! plain program (callgrind, perf):
//!
//! ```text
//! cargo build --release -p microprop-bench --bin microprop-profile
//! valgrind --tool=callgrind target/release/microprop-profile mnist_adam_b1 100
//! ```
//!
//! Without arguments it lists the workloads. It prints what a profiler's
//! counts need to be divided by: samples and multiply-accumulates of the
//! run. `--phases` runs each phase of the training step in a function of
//! its own (`microprop_bench::phase`), for per-phase inclusive costs;
//! `--phase-times` also prints each phase's wall time per run (reading the
//! clock around every phase adds its own cost, so it is only meaningful for
//! the larger workloads).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use microprop_bench::PHASES;

fn main() -> ExitCode {
    let kernels = microprop_host::active_after_init();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let by_phase = args.first().is_some_and(|a| a == "--phases");
    if by_phase {
        args.remove(0);
    }
    let timed = args.first().is_some_and(|a| a == "--phase-times");
    if timed {
        args.remove(0);
    }
    let mut workloads = microprop_bench::all();
    let (Some(name), Some(iterations)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: microprop-profile [--phases | --phase-times] WORKLOAD ITERATIONS [WARMUP]"
        );
        eprintln!("workloads:");
        for w in &workloads {
            eprintln!("  {}", w.name());
        }
        return ExitCode::FAILURE;
    };
    let Ok(iterations) = iterations.parse::<u64>() else {
        eprintln!("ITERATIONS must be a number");
        return ExitCode::FAILURE;
    };
    let warmup = args.get(2).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let Some(workload) = workloads.iter_mut().find(|w| w.name() == name) else {
        eprintln!("unknown workload {name}");
        return ExitCode::FAILURE;
    };
    for _ in 0..warmup {
        black_box(workload.run());
    }
    let mut clock = [Duration::ZERO; 5];
    let start = Instant::now();
    let mut last = 0.0;
    for _ in 0..iterations {
        last = black_box(if timed {
            workload.run_by_phase(Some(&mut clock))
        } else if by_phase {
            workload.run_by_phase(None)
        } else {
            workload.run()
        });
    }
    let elapsed = start.elapsed().as_secs_f64();
    if timed {
        let total: Duration = clock.iter().sum();
        for (name, t) in PHASES.iter().zip(clock) {
            println!(
                "  {name:9} {:10.3} us/run {:5.1}%",
                t.as_secs_f64() * 1e6 / iterations as f64,
                100.0 * t.as_secs_f64() / total.as_secs_f64()
            );
        }
    }
    let samples = iterations * workload.samples_per_run() as u64;
    println!(
        "{name}: {iterations} runs, {samples} samples, {} MACs, {:.0} samples/s, last value {last}, checksum {:016x}, kernels {kernels}",
        iterations * workload.macs_per_run() as u64,
        samples as f64 / elapsed,
        workload.checksum()
    );
    ExitCode::SUCCESS
}
