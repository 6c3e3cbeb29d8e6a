//! The digits job on the host, with simulated LED and delay: the same data
//! order, model, hyperparameters and loop as the firmware, so the numbers
//! here are the ones QEMU must print. The test records them for the
//! README's "Measured" table (`python3 tests/claims-readme.py`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use microprop_device::digits::{self, Data};
use microprop_device::{Board, Event, run};
use microprop_tests::claims;

mod common;
use common::{Led, NoDelay, load};

#[test]
fn digits_job_clears_its_floor_on_the_host() {
    let (train_x, train_y, test_x, test_y) = load();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let test = Data::new(&test_x, &test_y, digits::PIXEL_SCALE).unwrap();
    let mut ws = Box::new(digits::workspace());
    digits::init(&mut ws.net);
    let mut board = Board::new(Led(0), NoDelay);
    let summary = run(
        &mut ws,
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
    claims::record(
        "firmware_digits_job",
        serde_json::json!({
            "test_correct": summary.test.correct,
            "test_rows": summary.test.rows,
            "test_accuracy": summary.test_accuracy(),
            "train_correct": summary.train.correct,
            "train_rows": summary.train.rows,
            "train_accuracy": summary.train_accuracy(),
            "final_loss": summary.final_loss(),
            "final_loss_bits": format!("{:#010x}", summary.final_loss().to_bits()),
            "epochs": digits::EPOCHS,
            "floor": digits::TEST_ACCURACY_FLOOR,
        }),
    );
}
