//! W3: the sine model 1-16-16-1 ReLU, inference: instructions per
//! inference (`bench-mcu.sh` reads the log).
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use microprop::{Inference, Layer};
use microprop_device::workloads::{self, SineNet};
use microprop_firmware::bench::{finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<SineNet> = ConstStaticCell::new(SineNet::ZERO);
static INFERENCE: ConstStaticCell<Inference<SineNet>> = ConstStaticCell::new(Inference::new());
static INPUTS: ConstStaticCell<[[f32; 1]; INPUT_COUNT]> =
    ConstStaticCell::new([[0.0]; INPUT_COUNT]);

const INPUT_COUNT: usize = 256;
const SAMPLES: u32 = 4000;

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    let net = NET.take();
    *net = workloads::sine_net();
    let inference = INFERENCE.take();
    let inputs = INPUTS.take();
    for (i, x) in inputs.iter_mut().enumerate() {
        *x = workloads::sine_input(i as u32, INPUT_COUNT as u32);
    }
    let mut failed = false;
    measure("w3", "infer", SAMPLES, |i| {
        let x = black_box(&inputs[i as usize % INPUT_COUNT]);
        failed |= black_box(inference.predict(net, x)).is_err();
    });
    finish(failed)
}
