//! The digits job on the host, with simulated LED and delay: the same data
//! order, model, hyperparameters and loop as the firmware, so the numbers
//! here are the ones QEMU must print.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::convert::Infallible;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, OutputPin};
use microprop::{FitBuffers, Layer};
use microprop_device::digits::{self, Data};
use microprop_device::{Board, Event, Workspace, run};

/// The pixels and labels in split order, as the firmware's build script
/// stores them: `(train pixels, train labels, test pixels, test labels)`.
fn load() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/digits8x8.csv");
    let text = std::fs::read_to_string(path).expect("data/digits8x8.csv");
    let rows: Vec<Vec<u8>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), digits::ROWS);
    let order = digits::split_order();
    let mut out = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..digits::ROWS {
        let row = &rows[order.index(i)];
        let (pixels, labels) = if i < digits::TRAIN_ROWS {
            (&mut out.0, &mut out.1)
        } else {
            (&mut out.2, &mut out.3)
        };
        pixels.extend_from_slice(&row[..digits::FEATURES]);
        labels.push(row[digits::FEATURES]);
    }
    out
}

struct Led(u32);
impl ErrorType for Led {
    type Error = Infallible;
}
impl OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.0 += 1;
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.0 += 1;
        Ok(())
    }
}
struct NoDelay;
impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

#[test]
fn digits_job_clears_its_floor_on_the_host() {
    let (train_x, train_y, test_x, test_y) = load();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let test = Data::new(&test_x, &test_y, digits::PIXEL_SCALE).unwrap();
    let mut net = digits::Net::ZERO;
    digits::init(&mut net);
    let mut trainer = Box::new(digits::trainer());
    let mut buffers = Box::new(FitBuffers::new());
    let mut board = Board::new(Led(0), NoDelay);
    let summary = run(
        &mut Workspace {
            net: &mut net,
            trainer: &mut trainer,
            buffers: &mut buffers,
        },
        &train,
        &test,
        &digits::CONFIG,
        &mut board,
        &mut |e: &Event| {
            if let Event::Epoch(r) = e {
                println!(
                    "epoch {:>2} loss {:.4} train acc {:.4} lr {:.6}",
                    r.epoch,
                    r.stats.mean_loss(),
                    r.stats.accuracy().unwrap_or(0.0),
                    r.last_step.learning_rate
                );
            }
        },
    )
    .unwrap();
    println!(
        "final loss {:.4} (bits {:#010x}), train accuracy {:.4}, test accuracy {:.4}, lr {}",
        summary.final_loss(),
        summary.final_loss().to_bits(),
        summary.train_accuracy().unwrap(),
        summary.test_accuracy().unwrap(),
        summary.learning_rate
    );
    assert_eq!(board.led.0, 1 + digits::EPOCHS);
    assert!(summary.test_accuracy().unwrap() >= digits::TEST_ACCURACY_FLOOR);
}
