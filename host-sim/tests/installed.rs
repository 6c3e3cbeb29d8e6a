//! The binary as `cargo install --path host-sim` leaves it: run from a
//! folder of its own with no data folder to find (`MICROPROP_DATA_DIR`
//! unset, the checkout's `data/` skipped by `MICROPROP_NO_CHECKOUT_DATA=1`),
//! it trains on the copies of the data sets built into it and writes its
//! outputs into the current directory. `.ci/installed.sh` runs the same
//! commands with a binary made by `cargo install`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary, run in `dir` with no data folder but the one given.
fn installed(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_microprop-sim"));
    command
        .current_dir(dir)
        .env_remove("MICROPROP_DATA_DIR")
        .env("MICROPROP_NO_CHECKOUT_DATA", "1");
    command
}

/// stdout of the command, which must succeed.
fn ok(command: &mut Command) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the binary runs");
    let (out, err) = (
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr),
    );
    assert!(status.success(), "{command:?} failed:\n{out}\n{err}");
    out.into_owned()
}

/// stderr of the command, which must fail.
fn fails(command: &mut Command) -> String {
    let output = command.output().expect("the binary runs");
    assert!(!output.status.success(), "{command:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn checkout_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

#[test]
fn trains_from_the_built_in_data_and_writes_into_the_current_directory() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    for model in ["iris", "digits"] {
        let out = ok(installed(here).args(["train", "--model", model, "--epochs", "1"]));
        assert!(out.contains(&format!("wrote {model}.mpck: ")), "{out}");
    }
    assert_eq!(listing(here), ["digits.mpck", "iris.mpck"]);
    let models = ok(installed(here).arg("models"));
    assert!(
        models.contains("bundled data: read from the copies built into microprop-sim"),
        "{models}"
    );

    // eval and predict read the default checkpoint from here too, and
    // eval scores the built-in rows.
    let eval = ok(installed(here).args(["eval", "--model", "iris"]));
    assert!(
        eval.contains("checkpoint iris.mpck") && eval.contains("on 30 rows"),
        "{eval}"
    );
    ok(installed(here).args([
        "predict",
        "--model",
        "digits",
        "--input",
        &["0"; 64].join(","),
    ]));

    // export makes its folder here; the demo draws its curves here.
    let export = ok(installed(here).args(["export", "--model", "iris"]));
    assert!(export.contains("wrote export/iris.rs"), "{export}");
    assert!(here.join("export/iris.rs").is_file());
    let demo = ok(installed(here).args(["demo", "--epochs", "1", "--quiet"]));
    assert!(demo.contains("curves: demo-curves.png"), "{demo}");
    assert_eq!(
        listing(here),
        ["demo-curves.png", "digits.mpck", "export", "iris.mpck"]
    );
}

/// The built-in copies give the very rows the checkout's files give: the
/// same training run writes the same bytes from either.
#[test]
fn built_in_and_checkout_data_train_the_same_bits() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    let data = checkout_data();
    for model in ["iris", "digits"] {
        let args = ["train", "--model", model, "--epochs", "2"];
        ok(installed(here)
            .args(args)
            .args(["--checkpoint", "built-in.mpck"]));
        ok(installed(here).args(args).args([
            "--checkpoint",
            "from-files.mpck",
            "--data-dir",
            data.to_str().unwrap(),
        ]));
        assert_eq!(
            std::fs::read(here.join("built-in.mpck")).unwrap(),
            std::fs::read(here.join("from-files.mpck")).unwrap(),
            "{model}"
        );
    }
}

#[test]
fn the_data_folder_comes_from_the_flag_then_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    let empty = tempfile::tempdir().unwrap();
    let err = fails(
        installed(here)
            .env("MICROPROP_DATA_DIR", empty.path())
            .args(["train", "--model", "iris", "--epochs", "1"]),
    );
    assert!(
        err.contains("reading the bundled iris.csv from the folder")
            && err.contains("(given by MICROPROP_DATA_DIR)")
            && err.contains("cannot open"),
        "{err}"
    );
    assert!(listing(here).is_empty(), "{:?}", listing(here));
    let models = ok(installed(here)
        .env("MICROPROP_DATA_DIR", empty.path())
        .arg("models"));
    assert!(
        models.contains(&format!(
            "bundled data: read from the folder {} (given by MICROPROP_DATA_DIR)",
            empty.path().display()
        )),
        "{models}"
    );
    // Without the variable and without MICROPROP_NO_CHECKOUT_DATA, the
    // checkout's data/ is found.
    let models = ok(installed(here)
        .env_remove("MICROPROP_NO_CHECKOUT_DATA")
        .arg("models"));
    assert!(
        models.contains("(found in the source checkout)"),
        "{models}"
    );
    // --data-dir wins over the variable.
    let data = checkout_data();
    ok(installed(here)
        .env("MICROPROP_DATA_DIR", empty.path())
        .args(["train", "--model", "iris", "--epochs", "1"])
        .args(["--data-dir", data.to_str().unwrap()]));
    assert_eq!(listing(here), ["iris.mpck"]);
}

/// A checkpoint path in a folder that does not exist is still refused
/// before training: only the default moved.
#[test]
fn a_missing_output_folder_is_still_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(installed(dir.path()).args([
        "train",
        "--model",
        "iris",
        "--checkpoint",
        "no-such-folder/iris.mpck",
    ]));
    assert!(
        err.contains("the folder no-such-folder does not exist"),
        "{err}"
    );
    assert!(listing(dir.path()).is_empty());
}
