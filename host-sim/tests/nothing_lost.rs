//! Nothing lost, nothing nonsensical: the `train` outputs are checked
//! before training; only regular files are replaced (devices, FIFOs and
//! folders are refused, a symlink is written through); Ctrl-C finishes
//! the step, writes the files and exits 130; `--checkpoint-every` writes
//! during the run; settings that make no sense and diverging runs are
//! refused without a checkpoint; CSV errors name the right line; a closed
//! stdout ends a command quietly. For the built-in models and for
//! `--layers` models alike.

use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{bin, failure, iris, ok, run, s};

/// Fails with one `error:` line, no panic, and trained nothing (no
/// "stopped by" report on stdout).
fn refused(args: &[&str]) -> String {
    let (out, err) = failure(args);
    assert!(!out.contains("stopped by"), "{args:?} trained:\n{out}");
    err
}

/// The two kinds of model, as the start of a `train` command line.
fn both_kinds(csv: &Path) -> [Vec<String>; 2] {
    let builtin = ["train", "--model", "iris", "--quiet"];
    let own = ["train", "--csv", s(csv), "--layers", "8:tanh", "--quiet"];
    [
        builtin.iter().map(|a| a.to_string()).collect(),
        own.iter().map(|a| a.to_string()).collect(),
    ]
}

fn with<'a>(base: &'a [String], more: &[&'a str]) -> Vec<&'a str> {
    base.iter()
        .map(String::as_str)
        .chain(more.iter().copied())
        .collect()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[test]
fn every_output_is_checked_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let folder = dir.path().join("folder.png");
    std::fs::create_dir(&folder).unwrap();
    let good_metrics = dir.path().join("good-metrics.csv");
    let bad = [
        (dir.path().join("missing/out.bin"), "does not exist"),
        (folder.clone(), "is a folder"),
        (PathBuf::from("/dev/null"), "not a regular file"),
        (PathBuf::from("/dev/full"), "not a regular file"),
        (fifo.clone(), "not a regular file"),
    ];
    for base in both_kinds(&iris()) {
        for flag in ["--checkpoint", "--save-state", "--metrics", "--plot"] {
            if flag == "--save-state" && base.iter().any(|a| a == "--layers") {
                continue; // --layers keeps no training state
            }
            // --plot PATH writes PATH with the extension .png: a missing
            // folder and a folder are what it can meet.
            let cases = if flag == "--plot" {
                &bad[..2]
            } else {
                &bad[..]
            };
            for (path, says) in cases {
                // A billion epochs: a check after training would never end.
                let mut args = with(&base, &[flag, s(path), "--epochs", "1000000000"]);
                if flag != "--metrics" {
                    args.extend(["--metrics", s(&good_metrics)]);
                }
                let err = refused(&args);
                assert!(err.contains(flag) && err.contains(says), "{args:?}: {err}");
                assert!(!good_metrics.exists(), "{args:?} wrote the other outputs");
            }
        }
    }
    // The specials are what they were.
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert!(
        std::fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(folder.is_dir());
}

#[test]
fn a_read_only_folder_is_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
    std::fs::set_permissions(&locked, perms).unwrap();
    // Root writes into a 0555 folder anyway; sysfs refuses new files to
    // everyone.
    let folder = if std::fs::write(locked.join("probe"), b"").is_ok() {
        PathBuf::from("/sys")
    } else {
        locked
    };
    let target = folder.join("model.bin");
    for base in both_kinds(&iris()) {
        let err = refused(&with(&base, &["--checkpoint", s(&target)]));
        assert!(
            err.contains("--checkpoint") && err.contains("cannot write in the folder"),
            "{err}"
        );
    }
    assert!(!target.exists());
}

#[test]
fn predict_checks_its_output_first() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.mpm");
    ok(&[
        "train",
        "--csv",
        s(&iris()),
        "--layers",
        "4:tanh",
        "--epochs",
        "2",
        "--quiet",
        "--checkpoint",
        s(&model),
    ]);
    for (out, says) in [
        (dir.path().join("no/p.csv"), "does not exist"),
        (PathBuf::from("/dev/full"), "not a regular file"),
    ] {
        let (success, _, err) = run(&[
            "predict",
            "--checkpoint",
            s(&model),
            "--csv",
            s(&iris()),
            "--out",
            s(&out),
        ]);
        assert!(
            !success && err.contains("--out") && err.contains(says),
            "{err}"
        );
    }
}

#[test]
fn a_symlinked_checkpoint_is_written_through_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    for (base, name) in both_kinds(&iris()).iter().zip(["iris.mpck", "own.mpm"]) {
        let real = dir.path().join(format!("real-{name}"));
        let link = dir.path().join(name);
        std::fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        ok(&with(base, &["--epochs", "3", "--checkpoint", s(&link)]));
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_ne!(std::fs::read(&real).unwrap(), b"old");
        // The checkpoint behind the link loads.
        ok(&["eval", "--checkpoint", s(&link)]);
    }
}

/// Waits for `child` at most `limit`.
fn wait_for(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the run did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `args` (an endless run writing `checkpoint` every few epochs),
/// waits until the periodic checkpoint exists (so training is under way),
/// sends SIGINT and returns the exit status and stderr.
fn interrupt(args: &[&str], checkpoint: &Path) -> (ExitStatus, String) {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !checkpoint.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before its first periodic checkpoint"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no periodic checkpoint"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = wait_for(&mut child, Duration::from_secs(60));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, err)
}

#[test]
fn ctrl_c_writes_the_checkpoint_and_state_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("xor.mpck");
    let state = dir.path().join("xor.state");
    let metrics = dir.path().join("m.csv");
    let plot = dir.path().join("curves.png");
    // A billion epochs: nothing is sized by the epoch count.
    let (status, err) = interrupt(
        &[
            "train",
            "--model",
            "xor",
            "--epochs",
            "1000000000",
            "--checkpoint-every",
            "200",
            "--checkpoint",
            s(&checkpoint),
            "--save-state",
            s(&state),
            "--metrics",
            s(&metrics),
            "--plot",
            s(&plot),
            "--quiet",
        ],
        &checkpoint,
    );
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("interrupted in epoch")
            && err.contains(s(&checkpoint))
            && err.contains(s(&state)),
        "{err}"
    );
    // Loadable: the model by eval, the state by a resumed run.
    let eval = ok(&["eval", "--checkpoint", s(&checkpoint)]);
    assert!(eval.contains("accuracy"), "{eval}");
    let resumed = ok(&[
        "train",
        "--model",
        "xor",
        "--resume",
        s(&state),
        "--epochs",
        "1",
        "--no-checkpoint",
    ]);
    assert!(
        resumed.contains("stopped by the epoch limit after 1 epochs"),
        "{resumed}"
    );
    let rows = std::fs::read_to_string(&metrics).unwrap().lines().count();
    assert!(rows > 200, "every epoch in the metrics: {rows} lines");
    assert!(std::fs::metadata(&plot).unwrap().len() > 1000);
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}

#[test]
fn ctrl_c_ends_a_layers_run_with_its_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("iris.mpm");
    let (status, err) = interrupt(
        &[
            "train",
            "--csv",
            s(&iris()),
            "--layers",
            "8:tanh",
            "--epochs",
            "1000000000",
            "--checkpoint-every",
            "5",
            "--checkpoint",
            s(&model),
            "--quiet",
            "--json",
        ],
        &model,
    );
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted in epoch") && err.contains(s(&model)),
        "{err}"
    );
    let eval = ok(&["eval", "--checkpoint", s(&model)]);
    assert!(eval.contains("accuracy"), "{eval}");
}

#[test]
fn settings_that_make_no_sense_are_refused_with_our_message() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("never.bin");
    let cases: [(&[&str], &str); 8] = [
        (
            &["--lr", "-0.01"],
            "--lr -0.01: the learning rate must be a finite number > 0",
        ),
        (&["--lr", "0"], "--lr 0: the learning rate must be"),
        (&["--lr", "NaN"], "--lr NaN: the learning rate must be"),
        (&["--lr", "inf"], "--lr inf: the learning rate must be"),
        (
            &["--max-iterations", "0"],
            "--max-iterations 0 would train nothing",
        ),
        (
            &["--epochs", "2", "--warmup", "1000"],
            "--warmup 1000 steps is not shorter than the run",
        ),
        (
            &["--max-iterations", "5", "--warmup", "5"],
            "--warmup 5 steps is not shorter than the run (5 steps",
        ),
        (&["--checkpoint-every", "0"], "--checkpoint-every 0"),
    ];
    for base in both_kinds(&iris()) {
        for (more, says) in cases {
            let mut args = with(&base, more);
            args.extend(["--checkpoint", s(&checkpoint)]);
            let err = refused(&args);
            assert!(err.contains(says), "{args:?}: {err}");
            assert!(!err.contains("unexpected argument"), "{err}");
        }
    }
    assert!(!checkpoint.exists());
}

#[test]
fn a_diverging_run_stops_without_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("diverged.bin");
    for base in both_kinds(&iris()) {
        let args = with(
            &base,
            &[
                "--optimizer",
                "sgd",
                "--lr",
                "80",
                "--checkpoint",
                s(&checkpoint),
            ],
        );
        let (success, out, err) = run(&args);
        assert!(!success, "{args:?} succeeded:\n{out}");
        assert!(
            err.starts_with("error: training diverged") && err.contains("--lr"),
            "{err}"
        );
        assert!(!err.contains("--checkpoint-every"), "no such files: {err}");
        assert!(!checkpoint.exists(), "{args:?} wrote a checkpoint");
        // With periodic checkpoints the message says their files stay.
        // (to a checkpoint of its own: an epoch may pass before it diverges)
        let elsewhere = dir.path().join("periodic.bin");
        let periodic = with(
            &base,
            &[
                "--optimizer",
                "sgd",
                "--lr",
                "80",
                "--checkpoint-every",
                "1",
                "--checkpoint",
                s(&elsewhere),
            ],
        );
        let (success, _, err) = run(&periodic);
        assert!(
            !success && err.contains("files from --checkpoint-every stay"),
            "{err}"
        );
    }
    // The same settings with a sane rate train and write it.
    let base = &both_kinds(&iris())[0];
    ok(&with(
        base,
        &[
            "--optimizer",
            "sgd",
            "--lr",
            "0.1",
            "--checkpoint",
            s(&checkpoint),
        ],
    ));
    assert!(checkpoint.exists());
}

#[test]
fn csv_errors_name_the_line_an_editor_shows() {
    let dir = tempfile::tempdir().unwrap();
    for (name, end) in [("lf.csv", "\n"), ("crlf.csv", "\r\n")] {
        let path = dir.path().join(name);
        let text = [
            "a,b,c,d,label",
            "1,2,3,4,0",
            "5,6,7,8,1",
            "1,2,x,4,2",
            "1,2,3,4,0",
        ]
        .join(end);
        std::fs::write(&path, text).unwrap();
        for base in [
            vec![
                "train",
                "--model",
                "iris",
                "--csv",
                s(&path),
                "--no-checkpoint",
            ],
            vec![
                "train",
                "--csv",
                s(&path),
                "--layers",
                "4:tanh",
                "--no-checkpoint",
            ],
        ] {
            let err = refused(&base);
            assert!(
                err.contains(&format!("{name}:4: column 3 (\"c\")")),
                "{base:?}: {err}"
            );
        }
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    for args in [
        vec!["train", "--model", "xor", "--no-checkpoint", "--json"],
        vec!["train", "--model", "xor", "--no-checkpoint"],
        vec!["models"],
    ] {
        // The reading end is closed before the command writes anything.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = bin()
            .args(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
    }
}

#[test]
fn outputs_never_replace_each_other_or_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("same.bin");
    let err = refused(&[
        "train",
        "--model",
        "iris",
        "--checkpoint",
        s(&same),
        "--save-state",
        s(&same),
    ]);
    assert!(err.contains("name the same file"), "{err}");
    let data = dir.path().join("iris.csv");
    std::fs::copy(iris(), &data).unwrap();
    let before = std::fs::read(&data).unwrap();
    for base in [
        vec![
            "train",
            "--model",
            "iris",
            "--csv",
            s(&data),
            "--label",
            "label",
        ],
        vec!["train", "--csv", s(&data), "--layers", "4:tanh"],
    ] {
        let mut args = base.clone();
        args.extend(["--metrics", s(&data)]);
        let err = refused(&args);
        assert!(err.contains("is an input of this run"), "{err}");
    }
    assert_eq!(std::fs::read(&data).unwrap(), before);
    assert!(!same.exists());
}
