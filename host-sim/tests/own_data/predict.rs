//! `predict` with a model file: columns mapped by name (any order gives
//! the same predictions), class names, `--out` written atomically,
//! `--json`.

use super::{iris_variant, json, ok, s, species};

#[test]
fn reordered_columns_give_the_same_predictions_with_class_names() {
    let dir = tempfile::tempdir().unwrap();
    let names = iris_variant(dir.path(), "names.csv", &[0, 1, 2, 3, 4], species);
    let model = dir.path().join("m.mpm");
    ok(&[
        "train",
        "--csv",
        s(&names),
        "--label",
        "label",
        "--layers",
        "16:tanh",
        "--epochs",
        "40",
        "--quiet",
        "--checkpoint",
        s(&model),
    ]);
    let shuffled = iris_variant(dir.path(), "shuffled.csv", &[2, 4, 0, 3, 1], species);
    let no_label = iris_variant(dir.path(), "nolabel.csv", &[3, 1, 2, 0], species);
    let a = json(&[
        "predict",
        "--checkpoint",
        s(&model),
        "--csv",
        s(&names),
        "--json",
    ]);
    let b = json(&[
        "predict",
        "--checkpoint",
        s(&model),
        "--csv",
        s(&shuffled),
        "--json",
    ]);
    let c = json(&[
        "predict",
        "--checkpoint",
        s(&model),
        "--csv",
        s(&no_label),
        "--json",
    ]);
    let strip = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["prediction"].to_string(), p["probabilities"].to_string()))
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
    assert_eq!(strip(&a), strip(&c));
    assert_eq!(a["predictions"].as_array().unwrap().len(), 150);
    assert_eq!(a["predictions"][0]["prediction"], "setosa");
    assert!(a["accuracy"].as_f64().unwrap() > 0.9);
    assert!(c["accuracy"].is_null());
}

#[test]
fn predict_out_writes_class_names_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let names = iris_variant(dir.path(), "names.csv", &[0, 1, 2, 3, 4], species);
    let model = dir.path().join("m.mpm");
    ok(&[
        "train",
        "--csv",
        s(&names),
        "--layers",
        "16:tanh",
        "--epochs",
        "40",
        "--quiet",
        "--checkpoint",
        s(&model),
    ]);
    // The folder must exist (a missing one is refused: tests/nothing_lost.rs).
    let out_dir = dir.path().join("preds");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("p.csv");
    let text = ok(&[
        "predict",
        "--checkpoint",
        s(&model),
        "--csv",
        s(&names),
        "--out",
        s(&out),
    ]);
    assert!(
        text.contains("wrote") && text.contains("150 predictions"),
        "{text}"
    );
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "source,prediction,confidence,p_setosa,p_versicolor,p_virginica,label"
    );
    assert_eq!(lines.len(), 151);
    assert!(
        lines[1].contains(",setosa,") && lines[1].ends_with(",setosa"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].starts_with(&format!("{}:2,", names.display())),
        "{}",
        lines[1]
    );
    // Nothing but the file itself is left in the folder.
    let left: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert_eq!(left.len(), 1);
    // --input rows in the model's feature order.
    let one = json(&[
        "predict",
        "--checkpoint",
        s(&model),
        "--input",
        "6.7 3.0 5.2 2.3",
        "--json",
    ]);
    assert_eq!(one["predictions"][0]["prediction"], "virginica");
    assert_eq!(one["features"][0], "sepal_length_cm");
}
