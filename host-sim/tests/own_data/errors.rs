//! Bad input is a clear error, a non-zero exit, and nothing written:
//! missing or extra columns, damaged model files, bad layer lists, labels
//! that do not fit.

use super::{fails, iris, iris_variant, ok, s};

#[test]
fn missing_and_extra_columns_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.mpm");
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
    let missing = iris_variant(dir.path(), "missing.csv", &[0, 1, 3, 4], |l| l.to_string());
    let out = dir.path().join("p.csv");
    let err = fails(&[
        "predict",
        "--checkpoint",
        s(&model),
        "--csv",
        s(&missing),
        "--out",
        s(&out),
    ]);
    assert!(
        err.contains("missing.csv:1: missing column(s) \"petal_length_cm\""),
        "{err}"
    );
    assert!(
        err.contains("the model takes the columns \"sepal_length_cm\""),
        "{err}"
    );
    assert!(!out.exists());
    let err = fails(&["eval", "--checkpoint", s(&model), "--csv", s(&missing)]);
    assert!(
        err.contains("missing column(s) \"petal_length_cm\""),
        "{err}"
    );

    let text = std::fs::read_to_string(&csv).unwrap();
    let extra: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{l},{}\n", if i == 0 { "colour" } else { "1" }))
        .collect();
    let extra_path = dir.path().join("extra.csv");
    std::fs::write(&extra_path, extra).unwrap();
    let err = fails(&[
        "predict",
        "--checkpoint",
        s(&model),
        "--csv",
        s(&extra_path),
    ]);
    assert!(err.contains("extra column(s) \"colour\""), "{err}");
    let unlabelled = iris_variant(dir.path(), "nolabel.csv", &[0, 1, 2, 3], |l| l.to_string());
    let err = fails(&["eval", "--checkpoint", s(&model), "--csv", s(&unlabelled)]);
    assert!(err.contains("missing the label column \"label\""), "{err}");
}

#[test]
fn a_damaged_or_truncated_model_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.mpm");
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
    let bytes = std::fs::read(&model).unwrap();
    let cases = [
        (
            "flipped.mpm",
            {
                let mut b = bytes.clone();
                let middle = b.len() / 2;
                b[middle] ^= 0x10;
                b
            },
            "corrupted: the SHA-256",
        ),
        (
            "short.mpm",
            bytes[..bytes.len() - 7].to_vec(),
            "truncated: the header announces",
        ),
        ("tiny.mpm", bytes[..10].to_vec(), "truncated"),
    ];
    for (name, data, why) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, data).unwrap();
        let err = fails(&["eval", "--checkpoint", s(&path)]);
        assert!(err.contains(name) && err.contains(why), "{name}: {err}");
        let err = fails(&["predict", "--checkpoint", s(&path), "--input", "1,2,3,4"]);
        assert!(err.contains(why), "{name}: {err}");
    }
}

#[test]
fn bad_settings_and_labels_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.mpm");
    let csv = iris();
    let cases: [(&[&str], &str); 6] = [
        (&["--layers", "16:swish"], "unknown activation \"swish\""),
        (
            &["--layers", "16:tanh", "--label", "colour"],
            "no column named \"colour\"",
        ),
        (
            &["--layers", "16:tanh", "--validation", "0.9"],
            "leave no rows to train on",
        ),
        (
            &["--layers", "16:tanh", "--model", "iris"],
            "cannot be used with",
        ),
        (
            &[
                "--layers",
                "16:tanh",
                "--task",
                "classify",
                "--label",
                "sepal_length_cm",
            ],
            "",
        ),
        (&["--layers", "4:maxout1"], "maxout pieces must be 2..=256"),
    ];
    for (flags, why) in cases {
        let mut args = vec![
            "train",
            "--csv",
            s(&csv),
            "--epochs",
            "2",
            "--quiet",
            "--checkpoint",
            s(&model),
        ];
        args.extend_from_slice(flags);
        if why.is_empty() {
            // Allowed: 35 classes of sepal length, each its name.
            ok(&args);
            std::fs::remove_file(&model).unwrap();
            continue;
        }
        let (success, _, err) = super::run(&args);
        assert!(!success && err.contains(why), "{flags:?}: {err}");
        assert!(!model.exists(), "{flags:?} wrote the model");
    }
    let err = fails(&["train", "--layers", "4:tanh"]);
    assert!(err.contains("--csv"), "{err}");
    let text = "a,b,y\n1,2,x\n2,3,x\n";
    let one_class = dir.path().join("one.csv");
    std::fs::write(&one_class, text).unwrap();
    let err = fails(&[
        "train",
        "--csv",
        s(&one_class),
        "--layers",
        "2:relu",
        "--checkpoint",
        s(&model),
    ]);
    assert!(err.contains("one class (x)"), "{err}");
    let err = fails(&[
        "train",
        "--csv",
        s(&one_class),
        "--layers",
        "2:relu",
        "--task",
        "regress",
        "--checkpoint",
        s(&model),
    ]);
    assert!(err.contains("label \"x\" is not a finite number"), "{err}");
    assert!(!model.exists());
}
