//! `eval` of a model file: columns by name, and on the training file
//! exactly the rows `train` held out, with no flag to repeat.

use super::{iris, iris_variant, json, ok, s};

#[test]
fn eval_scores_exactly_the_held_out_rows_of_the_training_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("iris.mpm");
    let csv = iris();
    let trained = json(&[
        "train",
        "--csv",
        s(&csv),
        "--layers",
        "16:tanh",
        "--seed",
        "11",
        "--test-fraction",
        "0.3",
        "--validation",
        "0.1",
        "--epochs",
        "30",
        "--json",
        "--checkpoint",
        s(&model),
    ]);
    // No --seed, --test-fraction or --csv: the model file records them.
    let eval = json(&["eval", "--checkpoint", s(&model), "--json"]);
    assert_eq!(eval["scope"], "held-out rows of the recorded split");
    assert_eq!(eval["test"]["rows"], 45);
    assert_eq!(eval["validation"]["rows"], 15);
    assert_eq!(eval["train"]["rows"], 90);
    for part in ["train", "validation", "test"] {
        assert_eq!(eval[part], trained[part], "{part}");
    }
    // The held-out rows are those of the seed-11 split, whatever the
    // default seed: a confusion matrix over 45 rows.
    let total: u64 = eval["test"]["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()))
        .sum();
    assert_eq!(total, 45);
    let text = ok(&["eval", "--checkpoint", s(&model)]);
    assert!(
        text.contains("the training file (SHA-256 matches)"),
        "{text}"
    );
    assert!(
        text.contains("test : accuracy") && text.contains("on 45 rows"),
        "{text}"
    );

    // Another file (here the same rows, columns reordered): every row.
    let other = iris_variant(dir.path(), "other.csv", &[3, 4, 1, 0, 2], |l| l.to_string());
    let all = json(&[
        "eval",
        "--checkpoint",
        s(&model),
        "--csv",
        s(&other),
        "--json",
    ]);
    assert_eq!(all["scope"], "every row (not the training file)");
    assert_eq!(all["all"]["rows"], 150);
}

#[test]
fn eval_refuses_flags_that_would_re_split() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("iris.mpm");
    let csv = iris();
    ok(&[
        "train",
        "--csv",
        s(&csv),
        "--layers",
        "4:tanh",
        "--epochs",
        "2",
        "--quiet",
        "--checkpoint",
        s(&model),
    ]);
    for flag in [
        ["--seed", "3"],
        ["--test-fraction", "0.5"],
        ["--model", "iris"],
    ] {
        let err = super::fails(&["eval", "--checkpoint", s(&model), flag[0], flag[1]]);
        assert!(
            err.contains("is for built-in models") && err.contains("records"),
            "{err}"
        );
    }
}
