//! `train --layers`: any depth and activation, task detection and
//! `--task`, validation with early stopping that restores the best
//! weights, per-epoch metrics, regression metrics, `--json`, `--plot`.

use std::path::{Path, PathBuf};

use super::{iris, json, ok, s};

/// y = 3 x1 − 2 x2 + x3² on a grid, 200 rows (values, not classes).
fn regression_csv(dir: &Path) -> PathBuf {
    let mut text = String::from("x1,x2,x3,y\n");
    for i in 0..200 {
        let (x1, x2, x3) = (
            (i % 10) as f32 / 10.0,
            ((i / 10) % 5) as f32 / 5.0,
            ((i * 7) % 13) as f32 / 13.0,
        );
        let y = 3.0 * x1 - 2.0 * x2 + x3 * x3 + 10.0;
        text.push_str(&format!("{x1},{x2},{x3},{y}\n"));
    }
    let path = dir.join("reg.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn validation_early_stopping_restores_the_best_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let (model, metrics) = (dir.path().join("m.mpm"), dir.path().join("m.csv"));
    let csv = iris();
    let out = json(&[
        "train",
        "--csv",
        s(&csv),
        "--layers",
        "32:relu,16:tanh",
        "--validation",
        "0.2",
        "--patience",
        "5",
        "--epochs",
        "2000",
        "--lr",
        "0.05",
        "--json",
        "--checkpoint",
        s(&model),
        "--metrics",
        s(&metrics),
    ]);
    assert_eq!(
        out["stopped_by"],
        "--patience (the validation loss stopped decreasing)"
    );
    assert_eq!(out["restored_best"], true);
    assert_eq!(out["split"]["validation_rows"], 30);
    assert_eq!(out["split"]["train_rows"], 90);
    let epochs = out["epochs"].as_array().unwrap();
    let best = out["best_epoch"].as_u64().unwrap() as usize;
    assert!(best < epochs.len() && epochs.len() < 2000);
    let losses: Vec<f64> = epochs
        .iter()
        .map(|e| e["val_loss"].as_f64().unwrap())
        .collect();
    let lowest = losses.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(losses[best - 1], lowest);
    // The weights kept are the best epoch's: its validation loss again.
    assert_eq!(out["validation"]["loss"].as_f64().unwrap(), lowest);
    let csv_text = std::fs::read_to_string(&metrics).unwrap();
    let lines: Vec<&str> = csv_text.lines().collect();
    assert_eq!(
        lines[0],
        "epoch,iterations,loss,accuracy,learning_rate,grad_norm,val_loss,val_accuracy"
    );
    assert_eq!(lines.len(), epochs.len() + 1);
}

#[test]
fn progress_lines_show_validation_and_the_plot_is_a_png() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("curves.png");
    let csv = iris();
    let out = ok(&[
        "train",
        "--csv",
        s(&csv),
        "--layers",
        "8:tanh",
        "--validation",
        "0.1",
        "--epochs",
        "5",
        "--no-checkpoint",
        "--plot",
        s(&plot),
    ]);
    assert!(
        out.contains("epoch    5/5  loss") && out.contains("val_loss") && out.contains("val_acc"),
        "{out}"
    );
    assert!(out.contains("valid: accuracy"), "{out}");
    assert!(
        out.contains(&format!("wrote {}: training curves", plot.display())),
        "{out}"
    );
    let png = std::fs::read(&plot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn regression_is_detected_and_reports_rmse_mae_r2() {
    let dir = tempfile::tempdir().unwrap();
    let csv = regression_csv(dir.path());
    let model = dir.path().join("reg.mpm");
    let out = json(&[
        "train",
        "--csv",
        s(&csv),
        "--layers",
        "16:tanh",
        "--epochs",
        "150",
        "--json",
        "--checkpoint",
        s(&model),
    ]);
    assert_eq!(out["task"], "regress");
    let test = &out["test"]["regression"];
    let (rmse, mae, r2) = (
        test["rmse"].as_f64().unwrap(),
        test["mae"].as_f64().unwrap(),
        test["r2"].as_f64().unwrap(),
    );
    assert!(r2 > 0.95 && rmse < 0.4 && mae <= rmse, "{test}");
    let text = ok(&["eval", "--checkpoint", s(&model)]);
    assert!(
        text.contains("test : RMSE") && text.contains("MAE") && text.contains("R²"),
        "{text}"
    );
    // Predictions are in the target's units (the target was standardised).
    let p = json(&[
        "predict",
        "--checkpoint",
        s(&model),
        "--input",
        "0.5,0.4,0.5",
        "--json",
    ]);
    let y = p["predictions"][0]["value"].as_f64().unwrap();
    assert!((y - (1.5 - 0.8 + 0.25 + 10.0)).abs() < 0.5, "{y}");
}

#[test]
fn any_depth_maxout_leaky_relu_every_optimizer_and_task_override() {
    let dir = tempfile::tempdir().unwrap();
    let csv = iris();
    for (layers, optimizer) in [
        ("8:maxout3,8:leaky_relu=0.2,6:elu=0.5", "adam"),
        ("16:relu", "sgd"),
        ("16:sigmoid,8:tanh", "momentum"),
        ("16:tanh", "nesterov"),
        ("16:tanh", "adagrad"),
        ("16:tanh", "rmsprop"),
        ("4:maxout2", "adamw"),
    ] {
        let out = json(&[
            "train",
            "--csv",
            s(&csv),
            "--layers",
            layers,
            "--optimizer",
            optimizer,
            "--epochs",
            "60",
            "--lr",
            "0.05",
            "--json",
            "--no-checkpoint",
        ]);
        let acc = out["test"]["accuracy"].as_f64().unwrap();
        assert!(acc > 0.8, "{layers} {optimizer}: {acc}");
        let shape = out["shape"].as_str().unwrap();
        assert!(shape.starts_with("4-") && shape.ends_with("-3"), "{shape}");
    }
    // The same integer labels as values.
    let model = dir.path().join("r.mpm");
    let out = json(&[
        "train",
        "--csv",
        s(&csv),
        "--layers",
        "8:tanh",
        "--task",
        "regress",
        "--epochs",
        "20",
        "--json",
        "--checkpoint",
        s(&model),
    ]);
    assert_eq!(out["task"], "regress");
    assert_eq!(out["shape"], "4-8-1");
}

/// `export` takes the model file `train --layers` writes: the Rust source
/// and the C header carry its weights and its input and target scaling.
#[test]
fn export_takes_a_model_file_with_its_scaling() {
    let dir = tempfile::tempdir().unwrap();
    let csv = regression_csv(dir.path());
    let model = dir.path().join("fit.mpm");
    ok(&[
        "train",
        "--csv",
        s(&csv),
        "--layers",
        "6:tanh",
        "--epochs",
        "3",
        "--quiet",
        "--checkpoint",
        s(&model),
    ]);
    let out = dir.path().join("src");
    std::fs::create_dir(&out).unwrap();
    ok(&["export", s(&model), "--out", s(&out)]);
    let rust = std::fs::read_to_string(out.join("fit.rs")).unwrap();
    let header = std::fs::read_to_string(out.join("fit.h")).unwrap();
    assert!(
        rust.contains("pub type Net = ::microprop::network!["),
        "{rust}"
    );
    assert!(
        rust.contains("pub const MODEL: ::microprop::Model<Net>"),
        "{rust}"
    );
    let saved = microprop_sim::models::own::read_model(&model).unwrap();
    let input = saved.input.as_ref().expect("standard scaling by default");
    let microprop_sim::models::own::OwnTask::Regress {
        target: Some(target),
    } = &saved.task
    else {
        panic!("a scaled regression target");
    };
    for v in input
        .offset
        .iter()
        .chain(&input.scale)
        .chain(&target.offset)
    {
        let literal = microprop_sim::export::literal::rust(*v).unwrap();
        assert!(rust.contains(&literal), "{literal} missing from fit.rs");
    }
    for v in saved.params.iter().take(8) {
        let literal = microprop_sim::export::literal::c(*v).unwrap();
        assert!(header.contains(&literal), "{literal} missing from fit.h");
    }
}
