//! The online-learning job on the host: the shifting digits stream, once
//! without and once with replay. Without replay the model forgets digits
//! 0–4 while it learns 5–9; with replay it keeps them. The firmware's
//! `qemu-online` runs the same job and must print the same numbers; the
//! test records them for the README (`python3 tests/claims-readme.py`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use microprop::Layer;
use microprop_device::Board;
use microprop_device::digits::online::{self, OnlineEvent, PhaseEnd};
use microprop_device::digits::{self, Data};
use microprop_tests::claims;

mod common;
use common::{Led, NoDelay, load};

fn run(with_replay: bool) -> [PhaseEnd; 3] {
    let (train_x, train_y, test_x, test_y) = load();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let test = Data::new(&test_x, &test_y, digits::PIXEL_SCALE).unwrap();
    let mut net = digits::Net::ZERO;
    let mut trainer = Box::new(online::trainer());
    let mut batch = Box::new(online::Batch::new());
    let mut replay = Box::new(online::Replay::new(0));
    let mut board = Board::new(Led(0), NoDelay);
    let label = if with_replay { "replay" } else { "no replay" };
    let ends = online::run(
        &mut net,
        &mut trainer,
        &mut batch,
        &mut replay,
        &train,
        &test,
        with_replay,
        &mut board,
        &mut |e: &OnlineEvent| match e {
            OnlineEvent::Window { phase, report } => println!(
                "{label}: phase {} samples {:>4} running accuracy {:.3} loss {:.4} replay {}",
                phase + 1,
                report.total_samples,
                report.window.accuracy().unwrap(),
                report.window.mean_loss(),
                report.replay_len
            ),
            OnlineEvent::PhaseEnd(end) => println!(
                "{label}: after phase {}: test accuracy 0-4 {:.3}, 5-9 {:.3}, all {:.3} (stream {:.3})",
                end.phase + 1,
                end.low(),
                end.high(),
                end.all(),
                end.stream.accuracy().unwrap()
            ),
        },
    )
    .unwrap();
    let windows = online::PHASE_SAMPLES / online::REPORT_EVERY * 3;
    assert_eq!(board.led.0, windows);
    ends
}

#[test]
fn replay_keeps_what_the_shifted_stream_would_erase() {
    let plain = run(false);
    let replay = run(true);
    for (p, r) in plain.iter().zip(&replay) {
        println!(
            "phase {}: 0-4 {:.3} vs {:.3}, 5-9 {:.3} vs {:.3}, all {:.3} vs {:.3}",
            p.phase + 1,
            p.low(),
            r.low(),
            p.high(),
            r.high(),
            p.all(),
            r.all()
        );
    }
    assert!(plain[1].low() < online::FORGOTTEN_CEILING, "no forgetting?");
    assert!(
        replay[1].low() >= online::RETAINED_FLOOR,
        "replay did not retain 0-4"
    );
    assert!(replay[2].all() >= online::FINAL_FLOOR);
    assert!(online::replay_helped(&plain, &replay));
    // Prequential accuracy right after the shift: the run without replay
    // adapts at once to 5-9 (it has forgotten 0-4), the one with replay is
    // slower to adapt but keeps both.
    assert!(replay[2].all() > plain[2].all());
    let phase =
        |e: &PhaseEnd| serde_json::json!({ "low": e.low(), "high": e.high(), "all": e.all() });
    claims::record(
        "firmware_online_job",
        serde_json::json!({
            "replay_capacity": online::REPLAY,
            "without_replay": plain.iter().map(phase).collect::<Vec<_>>(),
            "with_replay": replay.iter().map(phase).collect::<Vec<_>>(),
        }),
    );
}
