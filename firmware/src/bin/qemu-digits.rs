//! The digits job on QEMU `mps2-an386`: trains the 64-32-10 classifier on
//! the 1437 training digits in flash with Adam and a warmup + cosine
//! schedule, toggles user LED 0 every epoch, logs each epoch over defmt,
//! evaluates on the 360 held-out digits and exits 0 only if the test
//! accuracy reaches `digits::TEST_ACCURACY_FLOOR`.
//!
//! `cargo run --release` (from `firmware/`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop::{Adam, Epsilon, FitBuffers, Layer, SoftmaxCrossEntropy, Trainer};
use microprop_device::digits::{self, DigitsTrainer, FEATURES, Net};
use microprop_device::{Board, Workspace, run};
use microprop_firmware::board::{self, Mps2};
use microprop_firmware::log::DefmtLog;
use microprop_firmware::{self as fw, data};
use static_cell::ConstStaticCell;

// Every buffer of the run is a static, so the linker checks that the model,
// Adam's state and the batch caches fit the part's RAM.
static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
// A fresh trainer is all zeros except Adam's hyperparameters: built with an
// all-zero `Adam` the static lands in `.bss` (no 31 KB image of zeros in
// flash for `.data`), and `main` sets the real hyperparameters.
static TRAINER: ConstStaticCell<DigitsTrainer> =
    ConstStaticCell::new(Trainer::new(SoftmaxCrossEntropy, ALL_ZERO_ADAM));
const ALL_ZERO_ADAM: Adam = Adam {
    beta1: 0.0,
    beta2: 0.0,
    eps: 0.0,
    epsilon: Epsilon::Outside,
    weight_decay: 0.0,
    decoupled: false,
};
static BUFFERS: ConstStaticCell<FitBuffers<[f32; FEATURES], usize, { digits::BATCH }>> =
    ConstStaticCell::new(FitBuffers::new());

#[entry]
fn main() -> ! {
    let Some(Mps2 { led, delay }) = Mps2::take() else {
        defmt::error!("peripherals taken twice");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    let net = NET.take();
    let trainer = TRAINER.take();
    trainer.optimizer = digits::OPTIMIZER;
    let buffers = BUFFERS.take();
    digits::init(net);

    let memory = DigitsTrainer::MEMORY;
    defmt::info!(
        "digits 64-32-10 tanh, softmax + cross-entropy, Adam, batch {=usize}; RAM: parameters {=usize} B, gradients {=usize} B, Adam state {=usize} B, caches {=usize} B, total {=usize} B",
        digits::BATCH,
        memory.parameters,
        memory.gradients,
        memory.optimizer_state,
        memory.caches,
        memory.total
    );

    let mut log = DefmtLog::new();
    let result = run(
        &mut Workspace {
            net,
            trainer,
            buffers,
        },
        &data::TRAIN,
        &data::TEST,
        &digits::CONFIG,
        &mut Board::new(led, delay),
        &mut log,
    );
    let instructions = log.instructions();
    defmt::info!(
        "{=u64} M instructions in all; stack high-water {=usize} of {=usize} B; LEDs {=u32:#x}",
        instructions / 1_000_000,
        fw::stack_high_water(),
        fw::stack_capacity(),
        board::leds()
    );
    match result {
        Ok(summary) => {
            let accuracy = summary.test_accuracy().unwrap_or(0.0);
            if accuracy >= digits::TEST_ACCURACY_FLOOR {
                defmt::info!(
                    "PASS: test accuracy {=f32} >= floor {=f32}",
                    accuracy,
                    digits::TEST_ACCURACY_FLOOR
                );
                fw::exit(fw::EXIT_OK)
            } else {
                defmt::error!(
                    "FAIL: test accuracy {=f32} < floor {=f32}",
                    accuracy,
                    digits::TEST_ACCURACY_FLOOR
                );
                fw::exit(fw::EXIT_BELOW_FLOOR)
            }
        }
        Err(e) => {
            defmt::error!("FAIL: {}", e);
            fw::exit(fw::EXIT_TRAINING_ERROR)
        }
    }
}
