//! Instruction counts of the benchmark workloads
//! (`microprop_device::workloads`) under QEMU: the `bench-*` binaries run a
//! workload many times between two reads of the SysTick clock. With
//! `-icount shift=0` one tick is exactly 40 instructions, so a count over
//! `n` samples is exact to ±40 instructions, i.e. ±40/n a sample.
//!
//! Each result is one log line that `bench-mcu.sh` parses:
//! `bench <workload> <what>: <instructions> instructions / <n> samples`.

use crate::board;

/// Runs `f(i)` for `i in 0..samples` and logs the instructions it took.
pub fn measure(workload: &str, what: &str, samples: u32, mut f: impl FnMut(u32)) -> u64 {
    let start = board::instructions();
    for i in 0..samples {
        f(core::hint::black_box(i));
    }
    let spent = board::instructions() - start;
    defmt::info!(
        "bench {=str} {=str}: {=u64} instructions / {=u32} samples",
        workload,
        what,
        spent,
        samples
    );
    spent
}

/// Logs the stack high-water mark and exits 0 (or 2 if `failed`).
pub fn finish(failed: bool) -> ! {
    defmt::info!(
        "bench stack: {=usize} of {=usize} B",
        crate::stack_high_water(),
        crate::stack_capacity()
    );
    crate::exit(if failed {
        crate::EXIT_TRAINING_ERROR
    } else {
        crate::EXIT_OK
    })
}

/// Rows of W2's benchmarks, widened from the training digits in flash into
/// RAM (so the counts do not include reading the data set).
pub struct DigitRows {
    x: [[f32; FEATURES]; DIGIT_ROWS],
    y: [usize; DIGIT_ROWS],
}

/// Distinct rows the W2 benchmarks cycle through.
pub const DIGIT_ROWS: usize = 64;

use microprop::Dataset;
use microprop_device::digits::FEATURES;

impl DigitRows {
    /// Zeroed rows (for a `static`).
    pub const fn new() -> Self {
        DigitRows {
            x: [[0.0; FEATURES]; DIGIT_ROWS],
            y: [0; DIGIT_ROWS],
        }
    }

    /// Reads the first [`DIGIT_ROWS`] training digits; `false` if one is
    /// missing.
    pub fn load(&mut self) -> bool {
        let mut ok = true;
        for (i, (x, y)) in self.x.iter_mut().zip(&mut self.y).enumerate() {
            match crate::data::TRAIN.sample(i, x) {
                Some(label) => *y = label,
                None => ok = false,
            }
        }
        ok
    }

    /// Row `i` modulo [`DIGIT_ROWS`] as a batch of one.
    pub fn batch(&self, i: u32) -> (&[[f32; FEATURES]], &[usize]) {
        let r = i as usize % DIGIT_ROWS;
        (&self.x[r..=r], &self.y[r..=r])
    }
}

impl Default for DigitRows {
    fn default() -> Self {
        Self::new()
    }
}
