//! The personalisation job on the host (`microprop_device::digits::personalise`):
//! the committed pretrained model is what the digits job trains here, and
//! each of the four fine-tuning modes adapts it to the slanted digits
//! without forgetting the upright ones. The firmware's
//! `qemu-personalise-*` binaries run the same code and must end with the
//! same bits (`host_vs_qemu.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt::Write as _;

use microprop::Trainer;
use microprop_device::digits::personalise::{self, Mode, Split};
use microprop_device::digits::{self, CLASSES, Data, PRETRAINED};

mod common;
use common::{digits_job, load, personalised};

const PRETRAINED_RS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/digits/pretrained.rs");

/// The source of `pretrained.rs` for `net`: every value as its bits
/// (rustfmt leaves it as it is, so `cargo fmt` keeps the file current).
fn render(net: &digits::Net) -> String {
    let mut s = String::from(
        "//! The digits job's model, pretrained on the host: `super::Net` after\n\
         //! `super::CONFIG` on the 1437 training digits (the firmware's\n\
         //! `qemu-digits` ends with the same bits), every value as its `f32` bits.\n\
         //! Written by `MICROPROP_BLESS=1 cargo test -p microprop-device --test\n\
         //! personalise`; that test fails when this file and a fresh run differ.\n\
         \n\
         use microprop::{Chain, Dense};\n\
         \n\
         use super::Net;\n\
         \n\
         /// The pretrained 64-32-10 digits classifier, a constant: a firmware\n\
         /// reads it from flash (`personalise`).\n\
         pub const PRETRAINED: Net = Chain::new(Dense::from_params(W1, B1), Dense::from_params(W2, B2));\n\n\
         const fn f(bits: u32) -> f32 {\n    f32::from_bits(bits)\n}\n",
    );
    let matrix = |s: &mut String, name: &str, rows: &[&[f32]]| {
        let (r, c) = (rows.len(), rows[0].len());
        write!(
            s,
            "\n#[rustfmt::skip]\nconst {name}: [[f32; {c}]; {r}] = [\n"
        )
        .unwrap();
        for row in rows {
            s.push_str("    [");
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                write!(s, "f(0x{:08x})", v.to_bits()).unwrap();
            }
            s.push_str("],\n");
        }
        s.push_str("];\n");
    };
    let vector = |s: &mut String, name: &str, values: &[f32]| {
        write!(
            s,
            "\n#[rustfmt::skip]\nconst {name}: [f32; {}] = [",
            values.len()
        )
        .unwrap();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            write!(s, "f(0x{:08x})", v.to_bits()).unwrap();
        }
        s.push_str("];\n");
    };
    let w1: Vec<&[f32]> = net.first.params.weights.iter().map(|r| &r[..]).collect();
    matrix(&mut s, "W1", &w1);
    vector(&mut s, "B1", &net.first.params.bias);
    let w2: Vec<&[f32]> = net.second.params.weights.iter().map(|r| &r[..]).collect();
    matrix(&mut s, "W2", &w2);
    vector(&mut s, "B2", &net.second.params.bias);
    s
}

#[test]
fn the_committed_pretrained_model_is_what_the_digits_job_trains() {
    let (train_x, train_y, test_x, test_y) = load();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let test = Data::new(&test_x, &test_y, digits::PIXEL_SCALE).unwrap();
    let ws = digits_job(&train, &test);
    let fresh = render(&ws.net);
    if std::env::var_os("MICROPROP_BLESS").is_some() {
        std::fs::write(PRETRAINED_RS, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(PRETRAINED_RS).unwrap();
    assert!(
        committed == fresh,
        "device/src/digits/pretrained.rs is not the digits job's model; \
         rewrite it with `MICROPROP_BLESS=1 cargo test -p microprop-device --test personalise`"
    );
    assert!(
        PRETRAINED == ws.net,
        "the constant is not the file's values"
    );
}

#[test]
fn every_mode_adapts_to_the_new_user_and_keeps_the_old_digits() {
    let (train_x, train_y, test_x, test_y) = load();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let test = Data::new(&test_x, &test_y, digits::PIXEL_SCALE).unwrap();
    let split = Split::new(&train, &test).unwrap();

    let (full, _) = personalised(Mode::Full, personalise::FULL, &split);
    let (head, head_net) = personalised(Mode::Head, personalise::HEAD, &split);
    let (bias, bias_net) = personalised(Mode::Bias, personalise::BIAS, &split);
    let (int8, int8_net) = personalised(Mode::Int8, personalise::INT8, &split);
    for o in [full, head, bias, int8] {
        println!(
            "{:>13}: new {:.3} -> {:.3}, old {:.3} -> {:.3}, RAM {} B, model in flash {} B",
            o.mode.name(),
            o.before.new_fraction(),
            o.after.new_fraction(),
            o.before.old_fraction(),
            o.after.old_fraction(),
            o.mode.ram(),
            o.mode.model_flash()
        );
        assert_eq!(o.steps, personalise::STEPS);
        assert!(o.personalised(), "{o:?}");
    }
    // The slant is a new style: the pretrained model is clearly worse at it.
    assert!(full.before.new + 40 < full.before.old, "{full:?}");
    // Three modes start from the same float model.
    assert_eq!(full.before, head.before);
    assert_eq!(full.before, bias.before);
    // More trainable parameters adapt further.
    assert!(full.after.new > head.after.new && head.after.new > bias.after.new);

    // Frozen parts stay as shipped: bias-only moved no weight, and the
    // head-only and int8 runs only hold the head in RAM.
    assert_eq!(
        bias_net.first.layer.params.weights,
        PRETRAINED.first.params.weights
    );
    assert_eq!(
        bias_net.second.layer.params.weights,
        PRETRAINED.second.params.weights
    );
    assert_ne!(
        bias_net.first.layer.params.bias,
        PRETRAINED.first.params.bias
    );
    assert_ne!(head_net.second, PRETRAINED.second);
    assert_ne!(
        int8_net.second, head_net.second,
        "the int8 backbone feeds the head other values"
    );

    // What each mode costs: the head-only modes need neither the
    // backbone's gradients nor its weights in RAM.
    assert!(Mode::Head.ram() < Mode::Bias.ram() && Mode::Bias.ram() < Mode::Full.ram());
    assert!(Mode::Int8.ram() < Mode::Bias.ram());
    assert!(Mode::Int8.model_flash() < Mode::Head.model_flash());
    assert_eq!(
        Trainer::<personalise::HeadNet, microprop::SoftmaxCrossEntropy, microprop::Sgd, 4>::MEMORY
            .gradients,
        (32 * CLASSES + CLASSES) * 4
    );
}
