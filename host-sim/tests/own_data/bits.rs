//! `train --layers 16:tanh` on the iris CSV trains the run-time network to
//! the bits of the built-in const-generic `IrisNet` (4-16-3, tanh) with the
//! same settings: the same parameters, input scaling and checkpoint bytes.

use microprop::{Layer, Model, Parameters, checkpoint};
use microprop_sim::models::own::file::checkpoint_blob;
use microprop_sim::models::own::read_model;
use microprop_sim::models::{Builtin, IrisNet};

use super::{iris, iris_variant, ok, s};

/// Trains iris both ways with `flags` and compares every bit.
fn same_bits(flags: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let typed_file = dir.path().join("typed.mpck");
    let own_file = dir.path().join("own.mpm");
    let mut typed_args = vec![
        "train",
        "--model",
        "iris",
        "--quiet",
        "--checkpoint",
        s(&typed_file),
    ];
    typed_args.extend_from_slice(flags);
    ok(&typed_args);
    let csv = iris();
    let mut own_args = vec![
        "train",
        "--csv",
        s(&csv),
        "--label",
        "label",
        "--layers",
        "16:tanh",
        "--quiet",
        "--checkpoint",
        s(&own_file),
    ];
    own_args.extend_from_slice(flags);
    ok(&own_args);

    let bytes = std::fs::read(&typed_file).unwrap();
    let mut typed = Box::new(Model::<IrisNet>::new(IrisNet::ZERO));
    checkpoint::load_model(&mut typed, &bytes).unwrap();
    let own = read_model(&own_file).unwrap();
    let typed_bits: Vec<u32> = typed.net.slices().flatten().map(|v| v.to_bits()).collect();
    let own_bits: Vec<u32> = own.params.iter().map(|v| v.to_bits()).collect();
    assert_eq!(typed_bits, own_bits, "{flags:?}: parameters differ");
    if let Some(input) = &own.input {
        assert_eq!(input.offset, typed.input.offset);
        assert_eq!(input.scale, typed.input.scale);
    }
    // The core checkpoint inside the model file is the typed network's.
    let mut params_only = vec![0u8; checkpoint::params_len::<IrisNet>()];
    let len = checkpoint::save(&typed.net, &mut params_only).unwrap();
    let own_bytes = std::fs::read(&own_file).unwrap();
    assert_eq!(checkpoint_blob(&own_bytes).unwrap(), &params_only[..len]);
    assert_eq!(own.shape(), Builtin::Iris.layers());
}

#[test]
fn the_defaults_give_the_built_in_iris_bits() {
    same_bits(&[]);
}

#[test]
fn every_optimizer_schedule_and_batch_mode_gives_the_same_bits() {
    same_bits(&[
        "--optimizer",
        "sgd",
        "--lr",
        "0.2",
        "--batch",
        "1",
        "--epochs",
        "4",
        "--schedule",
        "cosine",
        "--warmup",
        "20",
    ]);
    same_bits(&[
        "--optimizer",
        "nesterov",
        "--batch",
        "full",
        "--epochs",
        "30",
        "--normalize",
        "standard",
    ]);
    same_bits(&[
        "--optimizer",
        "rmsprop",
        "--batch",
        "40",
        "--epochs",
        "10",
        "--eps-placement",
        "inside",
        "--schedule",
        "exponential",
    ]);
    same_bits(&[
        "--optimizer",
        "adagrad",
        "--lr",
        "0.1",
        "--epochs",
        "10",
        "--init",
        "he-uniform",
        "--seed",
        "3",
    ]);
    same_bits(&[
        "--optimizer",
        "adamw",
        "--epochs",
        "200",
        "--patience",
        "3",
        "--min-delta",
        "0.001",
    ]);
}

/// Labels 1..=3 (UCI style) and species names map to classes by name, so
/// the model trains to the same bits as with 0..=2 and stores the names.
#[test]
fn named_and_one_based_labels_train_the_same_bits() {
    let dir = tempfile::tempdir().unwrap();
    let order = [0, 1, 2, 3, 4];
    let uci = iris_variant(dir.path(), "uci.csv", &order, |l| {
        (l.parse::<u32>().unwrap() + 1).to_string()
    });
    let names = iris_variant(dir.path(), "names.csv", &order, super::species);
    let plain = dir.path().join("plain.mpm");
    let csv = iris();
    ok(&[
        "train",
        "--csv",
        s(&csv),
        "--layers",
        "16:tanh",
        "--quiet",
        "--epochs",
        "20",
        "--checkpoint",
        s(&plain),
    ]);
    let plain = read_model(&plain).unwrap();
    for (csv, classes) in [
        (uci, ["1", "2", "3"]),
        (names, ["setosa", "versicolor", "virginica"]),
    ] {
        let file = dir.path().join("m.mpm");
        ok(&[
            "train",
            "--csv",
            s(&csv),
            "--layers",
            "16:tanh",
            "--quiet",
            "--epochs",
            "20",
            "--checkpoint",
            s(&file),
        ]);
        let model = read_model(&file).unwrap();
        assert_eq!(model.task.classes(), classes);
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&model.params),
            bits(&plain.params),
            "{}",
            csv.display()
        );
    }
}
