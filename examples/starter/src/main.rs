//! A firmware to start from: trains a 2-8-1 network on XOR with microprop
//! and prints what it learned. Board-independent (cortex-m-rt and
//! semihosting); QEMU `mps2-an386` by default (`.cargo/config.toml`).
#![no_std]
#![no_main]

use cortex_m as _; // its critical section, which static_cell uses
use cortex_m_rt::entry;
use microprop::{Dense, Inference, Init, Layer, MeanSquaredError, Sgd, Sigmoid, Trainer, network};
use semihosting::{println, process};
use static_cell::ConstStaticCell;

type Net = network![Dense<2, 8, Sigmoid>, Dense<8, 1, Sigmoid>];
/// Training state for batches of up to 4 rows: gradients, activations.
type XorTrainer = Trainer<Net, MeanSquaredError, Sgd, 4>;

// Every buffer in a `static`, taken once as `&'static mut`: no `static mut`,
// no `unsafe`, no allocator, and the linker checks that it all fits in RAM.
static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static TRAINER: ConstStaticCell<XorTrainer> =
    ConstStaticCell::new(Trainer::new(MeanSquaredError, Sgd));

const X: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
const Y: [[f32; 1]; 4] = [[0.0], [1.0], [1.0], [0.0]];

#[entry]
fn main() -> ! {
    let (net, trainer) = (NET.take(), TRAINER.take());
    net.init(Init::Xavier, &mut microprop::init::seeded(1));
    for step in 0..=STEPS {
        match trainer.train_step(net, &X, &Y, 2.0) {
            Ok(stats) if step % 500 == 0 => println!("step {step}: loss {}", stats.loss),
            Ok(_) => {}
            Err(e) => {
                println!("training refused: {e}");
                process::exit(2)
            }
        }
    }
    let mut run = Inference::<Net>::new();
    let mut right = 0;
    for (x, [want]) in X.iter().zip(Y) {
        let [got] = *run.predict(net, x).unwrap_or(&[f32::NAN]);
        println!("{x:?} -> {got:.3} (want {want})");
        right += usize::from((got > 0.5) == (want > 0.5));
    }
    println!("{right} of 4 right");
    process::exit(if right == 4 { 0 } else { 1 })
}

/// Full-batch SGD steps.
const STEPS: u32 = 2000;
