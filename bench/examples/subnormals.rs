//! How many optimizer-state values of the batch-1 host workloads are
//! subnormal (or zero) as training goes on: x86 takes a microcode assist for
//! every arithmetic operation on a subnormal, so the optimizer step slows
//! down as their share grows (compare `microprop-profile --phase-times
//! mnist_adam_b1 100` with `... 3000`). PyTorch does not flush subnormals
//! either; flushing them (FTZ/DAZ) would change bits against it and against
//! the firmware.
//!
//! ```text
//! cargo run --release -p microprop-bench --example subnormals
//! ```

use microprop::Parameters;
use microprop_bench::{Workload, mnist_adam, w2_momentum};

/// (subnormal, zero, all) values of a state buffer.
fn census<P: Parameters>(state: &P) -> (usize, usize, usize) {
    let (mut subnormal, mut zero, mut all) = (0, 0, 0);
    for value in state.slices().flatten() {
        all += 1;
        subnormal += usize::from(value.is_subnormal());
        zero += usize::from(*value == 0.0);
    }
    (subnormal, zero, all)
}

fn main() {
    let mut adam = mnist_adam::<1>("mnist_adam_b1");
    let mut done = 0;
    println!(
        "mnist_adam_b1 (784-128-10, Adam): steps, first moment (subnormal / zero / all), second moment"
    );
    for steps in [100, 500, 1_000, 2_000, 3_000, 5_000] {
        while done < steps {
            adam.run();
            done += 1;
        }
        let (m, v) = adam.trainer().optimizer_state();
        println!("{steps:>7}  {:?}  {:?}", census(m), census(v));
    }
    let mut momentum = w2_momentum::<1>("w2_momentum_b1");
    let mut done = 0;
    println!(
        "w2_momentum_b1 (64-32-10, momentum; restarts every {} steps): steps, velocity",
        momentum.steps_per_cycle()
    );
    for steps in [100, 1_000, 10_000, 100_000] {
        while done < steps {
            momentum.run();
            done += 1;
        }
        println!(
            "{steps:>7}  {:?}",
            census(momentum.trainer().optimizer_state())
        );
    }
}
