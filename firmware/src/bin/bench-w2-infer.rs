//! The W2 inference-only firmware: digits 64-32-10 tanh, `Inference`,
//! nothing else. No weight initialisation either (an inference firmware
//! gets its weights from a checkpoint): the weights are opaque to the
//! compiler (`black_box`), so the code is what arbitrary weights need. Its
//! code size (less `bench-base`'s) and stack high-water are the size goals'
//! "inference-only firmware"; `bench-mcu.sh` reads the log (the
//! instructions per inference come from `bench-w2-sgd`, with trained-like
//! weights, not from here: these weights are zeros).
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use microprop::{Inference, Layer};
use microprop_device::digits::Net;
use microprop_firmware::bench::{self, finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static INFERENCE: ConstStaticCell<Inference<Net>> = ConstStaticCell::new(Inference::new());
static ROWS: ConstStaticCell<bench::DigitRows> = ConstStaticCell::new(bench::DigitRows::new());

const SAMPLES: u32 = 64;

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    let net = black_box(NET.take());
    let inference = INFERENCE.take();
    let rows = ROWS.take();
    let mut failed = !rows.load();
    measure("w2", "infer-zero-weights", SAMPLES, |i| {
        let (x, _) = rows.batch(i);
        failed |= black_box(inference.predict(net, black_box(&x[0]))).is_err();
    });
    finish(failed)
}
