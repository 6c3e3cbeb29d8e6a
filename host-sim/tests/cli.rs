//! End-to-end tests of the `microprop-sim` binary: every command on the
//! bundled data and the fixtures in `tests/data/`, its exit status, what it
//! prints and the files it writes.

use std::mem::size_of;
use std::path::{Path, PathBuf};

use microprop::{Adam, FitBuffers, Inference, Model, Sgd, SoftmaxCrossEntropy, Trainer};
use microprop_sim::models::DigitsNet;

mod common;
use common::{fails, ok};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

fn non_empty(path: &Path) -> u64 {
    let len = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len();
    assert!(len > 1000, "{} has only {len} bytes", path.display());
    len
}

#[test]
fn train_quick_prints_epochs_and_writes_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = dir.path().join("metrics.csv");
    let out = ok(&[
        "train",
        "--model",
        "iris",
        "--epochs",
        "5",
        "--metrics",
        metrics.to_str().unwrap(),
    ]);
    assert!(out.contains("epoch    5/5  loss"), "{out}");
    assert!(out.contains("test : accuracy"), "{out}");
    assert!(
        out.contains("stopped by the epoch limit after 5 epochs, 40 iterations"),
        "{out}"
    );
    let csv = std::fs::read_to_string(&metrics).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,iterations,loss,accuracy,learning_rate,grad_norm"
    );
    assert_eq!(lines.len(), 6, "{csv}");
    assert!(lines[5].starts_with("5,40,"), "{csv}");
}

#[test]
fn train_with_every_kind_of_setting() {
    let out = ok(&[
        "train",
        "--model",
        "digits",
        "--optimizer",
        "adamw",
        "--weight-decay",
        "0.001",
        "--lr",
        "0.01",
        "--schedule",
        "cosine",
        "--final-lr",
        "0.0001",
        "--warmup",
        "20",
        "--batch",
        "full",
        "--epochs",
        "30",
        "--init",
        "glorot-uniform",
        "--normalize",
        "standard",
        "--quiet",
    ]);
    assert!(
        out.contains("AdamW β 0.9/0.999") && out.contains("decoupled decay 0.001"),
        "{out}"
    );
    assert!(
        out.contains("20 warmup steps, then cosine 0.01 → 0.0001"),
        "{out}"
    );
    assert!(out.contains("30 epochs, 30 iterations"), "{out}");
    let out = ok(&[
        "train",
        "--model",
        "sine",
        "--optimizer",
        "rmsprop",
        "--alpha",
        "0.9",
        "--eps-placement",
        "inside",
        "--batch",
        "1",
        "--epochs",
        "2",
        "--schedule",
        "exponential",
        "--decay",
        "0.999",
        "--quiet",
    ]);
    assert!(
        out.contains("RMSprop α 0.9, eps 1e-8 inside the root"),
        "{out}"
    );
    assert!(
        out.contains("MSE") && out.contains("160 step(s) per epoch"),
        "{out}"
    );
    let out = ok(&[
        "train",
        "--model",
        "iris",
        "--max-iterations",
        "7",
        "--quiet",
    ]);
    assert!(
        out.contains("stopped by --max-iterations after 1 epochs, 7 iterations"),
        "{out}"
    );
    let out = ok(&[
        "train",
        "--model",
        "iris",
        "--epochs",
        "500",
        "--patience",
        "2",
        "--min-delta",
        "0.01",
        "--optimizer",
        "momentum",
        "--lr",
        "0.05",
        "--quiet",
    ]);
    assert!(
        out.contains("stopped by --patience") && out.contains("restored"),
        "{out}"
    );
}

#[test]
fn train_on_user_csv_and_idx_files() {
    let csv = fixture("iris-label-first.csv");
    let out = ok(&[
        "train",
        "--model",
        "iris",
        "--csv",
        csv.to_str().unwrap(),
        "--label",
        "species",
        "--epochs",
        "30",
        "--quiet",
    ]);
    assert!(out.contains("120 training rows"), "{out}");
    let images = fixture("digits40-images.idx.gz");
    let labels = fixture("digits40-labels.idx");
    let out = ok(&[
        "train",
        "--model",
        "digits",
        "--idx",
        images.to_str().unwrap(),
        labels.to_str().unwrap(),
        "--epochs",
        "2",
        "--quiet",
    ]);
    assert!(
        out.contains("32 training rows") && out.contains("test : accuracy"),
        "{out}"
    );
}

#[test]
fn loader_errors_name_file_and_place() {
    let path = |n: &str| fixture(n).to_str().unwrap().to_string();
    let cases: [(Vec<String>, &str); 10] = [
        (
            vec!["--csv".into(), path("iris-5-features.csv")],
            "iris-5-features.csv has 5 features per row (columns a, b, c, d, e + label \"label\"), but model iris (4-16-3) takes 4 inputs",
        ),
        (
            vec!["--csv".into(), path("ragged.csv")],
            "ragged.csv:3: 4 fields, but the header has 5 columns",
        ),
        (
            vec!["--csv".into(), path("not-a-number.csv")],
            "not-a-number.csv:3: column 3 (\"petal_length\"): \"n/a\" is not a number",
        ),
        (
            vec!["--csv".into(), path("empty.csv")],
            "empty.csv: the file is empty",
        ),
        (
            vec!["--csv".into(), path("label-out-of-range.csv")],
            "label-out-of-range.csv:3: column 5: label 7 is out of range: the model has 3 classes",
        ),
        (
            vec![
                "--csv".into(),
                path("iris-label-first.csv"),
                "--label".into(),
                "kind".into(),
            ],
            "iris-label-first.csv:1: no column named \"kind\"",
        ),
        (
            vec![
                "--model".into(),
                "digits".into(),
                "--idx".into(),
                path("bad-magic.idx"),
                path("digits40-labels.idx"),
            ],
            "bad-magic.idx: byte offset 0: wrong magic number 0x00000703",
        ),
        (
            vec![
                "--model".into(),
                "digits".into(),
                "--idx".into(),
                path("truncated-images.idx"),
                path("digits40-labels.idx"),
            ],
            "truncated-images.idx: truncated at byte offset 116",
        ),
        (
            vec![
                "--model".into(),
                "digits".into(),
                "--idx".into(),
                path("digits40-images.idx.gz"),
                path("labels39.idx"),
            ],
            "holds 40 images (40x8x8), but",
        ),
        (
            vec![
                "--model".into(),
                "mnist".into(),
                "--idx".into(),
                path("digits40-images.idx.gz"),
                path("digits40-labels.idx"),
            ],
            "has 64 features per row (8x8 values), but model mnist (784-32-10) takes 784 inputs",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["train".to_string()];
        if !extra.contains(&"--model".to_string()) {
            args.extend(["--model".into(), "iris".into()]);
        }
        args.extend(extra);
        args.push("--quiet".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = fails(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let err = fails(&["footprint", "--batch", "3"]);
    assert!(err.contains("--batch 3"), "{err}");
    let err = fails(&["train", "--model", "iris", "--beta2", "1.5"]);
    assert!(err.contains("--beta2 1.5 is outside [0, 1)"), "{err}");
}

/// Reads the number after `label` in the footprint report.
fn bytes_of(report: &str, label: &str) -> usize {
    let line = report
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} in\n{report}"));
    line[label.len() + 2..]
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}

#[test]
fn footprint_prints_size_of_the_real_types() {
    let out = ok(&[
        "footprint",
        "--model",
        "digits",
        "--optimizer",
        "adam",
        "--batch",
        "16",
    ]);
    type T = Trainer<DigitsNet, SoftmaxCrossEntropy, Adam, 16>;
    let m = T::MEMORY;
    assert_eq!(bytes_of(&out, "parameters"), size_of::<DigitsNet>());
    assert_eq!(bytes_of(&out, "gradients"), m.gradients);
    assert_eq!(bytes_of(&out, "optimizer state"), m.optimizer_state);
    assert_eq!(bytes_of(&out, "activation caches"), m.caches);
    assert_eq!(bytes_of(&out, "trainer"), size_of::<T>());
    assert_eq!(
        bytes_of(&out, "fit staging rows"),
        size_of::<FitBuffers<[f32; 64], usize, 16>>()
    );
    let model = size_of::<Model<DigitsNet>>();
    assert_eq!(bytes_of(&out, "flash for the model"), model);
    assert_eq!(
        bytes_of(&out, "inference RAM"),
        size_of::<Inference<DigitsNet>>()
    );
    assert_eq!(
        bytes_of(&out, "training RAM"),
        model + size_of::<T>() + size_of::<FitBuffers<[f32; 64], usize, 16>>()
    );
    for part in ["nRF52840", "STM32F411", "STM32F103", "RP2040", "STM32F030"] {
        assert!(out.contains(part), "{out}");
    }
    assert!(out.contains("F030F4: 4 KiB RAM"), "{out}");
    // 46 KB trains on the nRF52840 but not on a 20 KiB STM32F103.
    let row = |part: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(part))
            .unwrap()
            .to_string()
    };
    assert!(row("nRF52840").contains(" yes "), "{out}");
    assert!(row("STM32F103").contains(" no "), "{out}");
}

#[test]
fn footprint_json_gives_the_report_in_bytes() {
    let out = ok(&["footprint", "--optimizer", "sgd", "--batch", "4", "--json"]);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    type T = Trainer<DigitsNet, SoftmaxCrossEntropy, Sgd, 4>;
    let staging = size_of::<FitBuffers<[f32; 64], usize, 4>>();
    let model = size_of::<Model<DigitsNet>>();
    assert_eq!(
        (j["optimizer"].as_str(), j["batch"].as_u64()),
        (Some("sgd"), Some(4))
    );
    let bytes = |k: &str| j["bytes"][k].as_u64().unwrap() as usize;
    assert_eq!(bytes("parameters"), size_of::<DigitsNet>());
    assert_eq!(bytes("optimizer_state"), 0);
    assert_eq!(bytes("trainer"), size_of::<T>());
    assert_eq!(bytes("fit_buffers"), staging);
    assert_eq!(bytes("training_ram"), model + size_of::<T>() + staging);
    assert_eq!(bytes("inference_ram"), size_of::<Inference<DigitsNet>>());
    assert_eq!(j["parts"][1]["name"], "nRF52840");
    assert_eq!(j["parts"][1]["ram"], 256 * 1024);
}

#[test]
fn each_experiment_quick_writes_its_figure() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    for (name, expect) in [
        ("optimizers", "GD is stable for η < 2/λ_max"),
        ("schedules", "cosine → 0.001"),
        ("normalization", "min-max scaled"),
        ("batch", "iterations per epoch for n = 300"),
        ("init", "test accuracy by epoch"),
    ] {
        let out = ok(&["experiment", name, "--quick", "--out", out_dir]);
        assert!(out.contains(expect), "{name}: {out}");
        non_empty(&dir.path().join(format!("{name}.png")));
        non_empty(&dir.path().join(format!("{name}.svg")));
    }
}

#[test]
fn demo_reports_and_draws() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("curves.png");
    let out = ok(&[
        "demo",
        "--epochs",
        "3",
        "--quiet",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    for expect in [
        "test accuracy:",
        "confusion matrix",
        "true\\pred",
        "on the nRF52840 (256 KiB RAM, 1 MiB flash)",
        "curves:",
    ] {
        assert!(out.contains(expect), "{expect}: {out}");
    }
    non_empty(&plot);
}

#[test]
fn models_lists_every_builtin() {
    let out = ok(&["models"]);
    for m in [
        "xor",
        "sine",
        "iris",
        "digits",
        "mnist",
        "784-32-10",
        "1-16-16-1",
    ] {
        assert!(out.contains(m), "{out}");
    }
}

/// The line of `out` that starts with `prefix`.
fn line<'a>(out: &'a str, prefix: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in\n{out}"))
}

#[test]
fn train_checkpoint_eval_predict_export_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (ckpt, state) = (path("iris.mpck"), path("iris.state"));
    let out = ok(&[
        "train",
        "--model",
        "iris",
        "--epochs",
        "20",
        "--checkpoint",
        &ckpt,
        "--save-state",
        &state,
        "--quiet",
    ]);
    assert!(
        out.contains(&format!(
            "wrote {ckpt}: 652 bytes, 4-16-3: 131 parameters + input and target normalisers"
        )),
        "{out}"
    );
    assert!(
        out.contains("+ optimizer state (262 values, step 160)"),
        "{out}"
    );

    // eval (the model found from the checkpoint's shape) measures exactly
    // what train printed, on the same split.
    let eval = ok(&["eval", "--checkpoint", &ckpt]);
    assert_eq!(line(&eval, "train:"), line(&out, "train:"));
    assert_eq!(line(&eval, "test :"), line(&out, "test :"));
    assert!(eval.contains("model iris (4-16-3)"), "{eval}");
    assert!(
        eval.contains("confusion matrix of the held-out rows") && eval.contains("true\\pred"),
        "{eval}"
    );
    let all = ok(&[
        "eval",
        "--model",
        "iris",
        "--checkpoint",
        &ckpt,
        "--csv",
        fixture("iris-label-first.csv").to_str().unwrap(),
        "--label",
        "species",
        "--test-fraction",
        "0",
    ]);
    assert!(line(&all, "all:").ends_with("on 150 rows"), "{all}");
    assert!(all.contains("confusion matrix of every row"), "{all}");

    // predict: rows as text, a CSV of inputs, a CSV with labels.
    let p = ok(&[
        "predict",
        "--checkpoint",
        &ckpt,
        "--input",
        "5.1,3.5,1.4,0.2",
        "--input",
        "6.7 3.0 5.2 2.3",
    ]);
    line(&p, "--input 1: [5.1, 3.5, 1.4, 0.2] -> class 0 (p 0.");
    assert!(line(&p, "--input 2:").contains("-> class 2"), "{p}");
    let rows = fixture("iris-rows.csv");
    let p = ok(&[
        "predict",
        "--checkpoint",
        &ckpt,
        "--csv",
        rows.to_str().unwrap(),
    ]);
    assert_eq!(p.lines().count(), 3, "{p}");
    assert!(
        p.contains("iris-rows.csv:4: [6.7, 3, 5.2, 2.3] -> class 2"),
        "{p}"
    );
    let iris = microprop_sim::data::bundled::checkout_data_dir().join("iris.csv");
    let p = ok(&[
        "predict",
        "--checkpoint",
        &ckpt,
        "--csv",
        iris.to_str().unwrap(),
    ]);
    assert!(
        line(&p, "accuracy 0.9").ends_with("of 150 labelled rows)"),
        "{p}"
    );
    let err = fails(&["predict", "--checkpoint", &ckpt, "--input", "1,2,3"]);
    assert!(
        err.contains("--input \"1,2,3\" has 3 values, but model iris (4-16-3) takes 4 inputs"),
        "{err}"
    );

    // export: the binary checkpoint as is, and the source regenerated from it.
    let out_dir = path("export");
    let e = ok(&["export", "--checkpoint", &ckpt, "--out", &out_dir]);
    assert!(e.contains("588 bytes as a const in flash"), "{e}");
    let exported = dir.path().join("export");
    assert_eq!(
        std::fs::read(exported.join("iris.mpck")).unwrap(),
        std::fs::read(&ckpt).unwrap()
    );
    let source = std::fs::read_to_string(exported.join("iris.rs")).unwrap();
    assert!(
        source.contains("pub const MODEL: ::microprop::Model<Net>")
            && source.contains("pub type Net = ::microprop::network!["),
        "{source}"
    );

    // Another model's checkpoint, or the wrong kind of file: clear errors.
    let err = fails(&["eval", "--model", "digits", "--checkpoint", &ckpt]);
    assert!(
        err.contains("checkpoint is for 4-16-3, model is 64-32-10")
            && err.contains("it fits the built-in model iris: use --model iris"),
        "{err}"
    );
    let err = fails(&["predict", "--checkpoint", &state, "--input", "1,2,3,4"]);
    assert!(err.contains("training-state checkpoint"), "{err}");
    let err = fails(&["eval", "--checkpoint", rows.to_str().unwrap()]);
    assert!(err.contains("not a microprop checkpoint"), "{err}");

    // Resume from the training state: the step count carries on.
    let r = ok(&[
        "train",
        "--model",
        "iris",
        "--resume",
        &state,
        "--epochs",
        "5",
        "--save-state",
        &state,
        "--no-checkpoint",
        "--quiet",
    ]);
    assert!(r.contains("resumed at optimizer step 160"), "{r}");
    assert!(r.contains("(262 values, step 200)"), "{r}");
    let err = fails(&[
        "train",
        "--model",
        "iris",
        "--resume",
        &state,
        "--optimizer",
        "sgd",
        "--quiet",
    ]);
    assert!(
        err.contains("checkpoint holds 262 optimizer values"),
        "{err}"
    );

    // Regression: eval reports the RMSE.
    let sine = fixture("sine.mpck");
    let eval = ok(&["eval", "--checkpoint", sine.to_str().unwrap()]);
    assert!(line(&eval, "test : MSE").contains("(RMSE 0.0"), "{eval}");
    assert!(!eval.contains("confusion"), "{eval}");
}

#[test]
fn simulate_runs_the_firmware_job_and_refuses_parts_too_small() {
    let out = ok(&["simulate", "--part", "nrf52840"]);
    for expect in [
        "simulated nRF52840 (256 KiB RAM, 1 MiB flash)",
        "training on 1437 rows (360 held out): 20 epochs of 90 steps",
        "epoch  20:",
        "PASS: test accuracy 0.9",
        "checkpoint: sequence 1 in slot 0: 28,984 bytes",
        "LED: driven 21 times (20 toggles",
    ] {
        assert!(out.contains(expect), "{expect}: {out}");
    }
    let err = fails(&["simulate", "--part", "stm32f103"]);
    assert!(
        err.contains("the digits job does not fit the STM32F103: needs 76,688 bytes of RAM, the part has 20,480 (region RAM overflowed"),
        "{err}"
    );
    let err = fails(&["simulate", "--ram", "64k", "--epochs", "1"]);
    assert!(err.contains("the part has 65,536"), "{err}");
}

#[test]
fn simulate_power_cut_keeps_the_previous_checkpoint() {
    let out = ok(&[
        "simulate",
        "--boots",
        "2",
        "--epochs",
        "1",
        "--power-cut-after",
        "10001",
    ]);
    for expect in [
        "resumed from checkpoint sequence 1 in slot 0 (step 90)",
        "checkpoint: POWER CUT after 10,001 bytes written",
        "newest valid checkpoint: sequence 1 in slot 0 (step 90): the previous checkpoint survived, byte for byte",
    ] {
        assert!(out.contains(expect), "{expect}: {out}");
    }
    // The flash kept in a file: the next run resumes from it.
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("flash.bin");
    let image = image.to_str().unwrap();
    ok(&["simulate", "--epochs", "1", "--flash", image]);
    let out = ok(&["simulate", "--epochs", "1", "--flash", image]);
    assert!(
        out.contains("resumed from checkpoint sequence 1 in slot 0 (step 90)")
            && out.contains("checkpoint: sequence 2 in slot 1"),
        "{out}"
    );
}

#[test]
fn built_in_models_print_json_draw_curves_and_write_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let (ckpt, plot, preds) = (
        dir.path().join("iris.mpck"),
        dir.path().join("curves.png"),
        dir.path().join("p.csv"),
    );
    let out = ok(&[
        "train",
        "--model",
        "iris",
        "--epochs",
        "3",
        "--json",
        "--plot",
        plot.to_str().unwrap(),
        "--checkpoint",
        ckpt.to_str().unwrap(),
    ]);
    assert_eq!(out.trim().lines().count(), 1, "{out}");
    let train: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(train["epochs_run"], 3);
    assert_eq!(train["test"]["rows"], 30);
    assert_eq!(&std::fs::read(&plot).unwrap()[..4], b"\x89PNG");
    // A name that does not end in .png gets it added, never replaced.
    let dotted = dir.path().join("run.v2");
    ok(&[
        "train",
        "--model",
        "xor",
        "--epochs",
        "2",
        "--quiet",
        "--plot",
        dotted.to_str().unwrap(),
    ]);
    assert_eq!(
        &std::fs::read(dir.path().join("run.v2.png")).unwrap()[..4],
        b"\x89PNG"
    );
    assert!(!dir.path().join("run.png").exists());
    let eval: serde_json::Value = serde_json::from_str(&ok(&[
        "eval",
        "--checkpoint",
        ckpt.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(eval["test"], train["test"]);
    let text = ok(&[
        "predict",
        "--checkpoint",
        ckpt.to_str().unwrap(),
        "--input",
        "5.1,3.5,1.4,0.2",
        "--out",
        preds.to_str().unwrap(),
    ]);
    assert!(text.contains("wrote"), "{text}");
    let csv = std::fs::read_to_string(&preds).unwrap();
    assert!(
        csv.starts_with("source,prediction,confidence,label\n--input 1,"),
        "{csv}"
    );
}
