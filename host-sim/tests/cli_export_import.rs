//! `microprop-sim import` and `export CHECKPOINT` run as a user runs them:
//! what they write and print, and every kind of bad input refused with one
//! `error:` line naming the problem, a non-zero exit and no file written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use microprop_sim::anyshape::Trained;
use microprop_sim::import;
use safetensors::tensor::{Dtype, TensorView};

const MLP_LAYERS: &str =
    "16:relu,12:tanh,10:leaky_relu:0.2,8:elu:0.5,8:identity,6:sigmoid,4:softmax";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Runs the binary in `dir`; returns (success, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_microprop-sim"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs");
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn ok_in(dir: &Path, args: &[&str]) -> String {
    let (success, out, err) = run_in(dir, args);
    assert!(success, "{args:?} failed:\n{out}\n{err}");
    out
}

/// The command fails with one `error:` message, no panic, and leaves `dir`
/// empty (no output file, no temporary file).
fn fails_in(dir: &Path, args: &[&str]) -> String {
    let (success, out, err) = run_in(dir, args);
    assert!(!success, "{args:?} succeeded:\n{out}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert!(left.is_empty(), "{args:?} wrote {left:?}");
    err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A tensor of a test file: key, dtype, shape.
type Spec = (&'static str, Dtype, &'static [usize]);

/// A safetensors file of `tensors`: f32 tensors hold 0, 0.01, 0.02, ...;
/// other dtypes zero bytes of the right length.
fn safetensors(tensors: &[Spec]) -> Vec<u8> {
    let bytes: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|&(name, dtype, shape)| {
            let n: usize = shape.iter().product();
            let data = match dtype {
                Dtype::F32 => (0..n)
                    .flat_map(|i| (i as f32 * 0.01).to_le_bytes())
                    .collect(),
                _ => vec![0u8; n * dtype.bitsize() / 8],
            };
            (name.to_string(), dtype, shape.to_vec(), data)
        })
        .collect();
    let views: Vec<(String, TensorView<'_>)> = bytes
        .iter()
        .map(|(name, dtype, shape, data)| {
            let view = TensorView::new(*dtype, shape.clone(), data).unwrap();
            (name.clone(), view)
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

/// The state_dict of `Sequential(Linear(3, 4), ReLU(), Linear(4, 2))`,
/// with one change applied to its tensor list.
fn two_layers(change: impl FnOnce(&mut Vec<Spec>)) -> Vec<u8> {
    let mut tensors: Vec<Spec> = vec![
        ("0.weight", Dtype::F32, &[4, 3]),
        ("0.bias", Dtype::F32, &[4]),
        ("2.weight", Dtype::F32, &[2, 4]),
        ("2.bias", Dtype::F32, &[2]),
    ];
    change(&mut tensors);
    safetensors(&tensors)
}

/// CRC-32 (ISO-HDLC, as zlib): the checkpoint's checksum.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn import_writes_the_checkpoint_of_the_pytorch_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mlp.mpck");
    let file = data("pytorch/mlp.safetensors");
    let args = ["import", s(&file), "--layers", MLP_LAYERS, "--out", s(&out)];
    let text = ok_in(dir.path(), &args);
    assert!(
        text.contains(
            "read 7 Linear layers (0.weight, 2.weight, 4.weight, 6.weight, 8.weight, 9.weight, \
             11.weight): 6 inputs"
        ),
        "{text}"
    );
    assert!(
        text.contains("(microprop checkpoint, 6-16-12-10-8-8-6-4: 688 parameters)"),
        "{text}"
    );
    let (want, _) = import::read(&file, &MLP_LAYERS.parse().unwrap()).unwrap();
    let blob = std::fs::read(&out).unwrap();
    assert_eq!(Trained::from_checkpoint(&blob).unwrap(), want);

    // By default: <stem>.mpck in the current directory.
    let here = tempfile::tempdir().unwrap();
    ok_in(here.path(), &["import", s(&file), "--layers", MLP_LAYERS]);
    assert_eq!(std::fs::read(here.path().join("mlp.mpck")).unwrap(), blob);
}

#[test]
fn import_refuses_what_does_not_fit_and_writes_nothing() {
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: Vec<u8>| {
        let path = files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let good = write("good.safetensors", two_layers(|_| {}));
    let fits = "4:relu,2:identity";
    let cases: Vec<(PathBuf, &str, &str)> = vec![
        // The layer list does not match.
        (
            good.clone(),
            "5:relu,2:identity",
            "good.safetensors: key 0.weight: shape [4, 3], expected [5, 3] \
             (layer 0 of --layers: 5 units after 3 inputs)",
        ),
        (
            good.clone(),
            "4:relu,3:identity",
            "key 2.weight: shape [2, 4], expected [3, 4]",
        ),
        (
            good.clone(),
            "4:relu",
            "the file has 2 Linear layers (0.weight, 2.weight), --layers 4:relu gives 1",
        ),
        (
            good.clone(),
            "4:relu,2:identity,2:tanh",
            "the file has 2 Linear layers",
        ),
        (
            good.clone(),
            "4:maxout:2,2:identity",
            "maxout, which PyTorch's nn has no module for",
        ),
        // Missing keys.
        (
            write(
                "no-bias.safetensors",
                two_layers(|t| {
                    t.remove(3);
                }),
            ),
            fits,
            "missing key 2.bias",
        ),
        (
            write(
                "no-weight.safetensors",
                two_layers(|t| {
                    t.remove(0);
                }),
            ),
            fits,
            "missing key 0.weight (the file has 0.bias)",
        ),
        // Other dtypes.
        (
            write("f64.safetensors", two_layers(|t| t[0].1 = Dtype::F64)),
            fits,
            "key 0.weight: dtype F64, expected F32 (save the state_dict of model.float())",
        ),
        (
            write("f16.safetensors", two_layers(|t| t[3].1 = Dtype::F16)),
            fits,
            "key 2.bias: dtype F16, expected F32",
        ),
        // Shapes no Linear has.
        (
            write("bias-shape.safetensors", two_layers(|t| t[1].2 = &[5])),
            fits,
            "key 0.bias: shape [5], expected [4] (the output width of 0.weight)",
        ),
        (
            write("rank.safetensors", two_layers(|t| t[2].2 = &[2, 2, 2])),
            fits,
            "key 2.weight: shape [2, 2, 2], expected [out, in] (a Linear weight)",
        ),
        // Keys that are no Linear's.
        (
            write(
                "batchnorm.safetensors",
                two_layers(|t| t.push(("1.running_mean", Dtype::F32, &[4]))),
            ),
            fits,
            "key 1.running_mean: \"running_mean\" is not a Linear layer's weight or bias",
        ),
        (
            write("named.safetensors", two_layers(|t| t[0].0 = "fc.weight")),
            fits,
            "key fc.weight: \"fc\" is not a module index",
        ),
        (
            write(
                "two-prefixes.safetensors",
                two_layers(|t| {
                    t[2].0 = "b.2.weight";
                    t[3].0 = "b.2.bias";
                }),
            ),
            fits,
            "differs from",
        ),
        (
            write("empty.safetensors", safetensors(&[])),
            "4:relu",
            "the file holds no tensors",
        ),
        // Not a safetensors file, or no file.
        (
            data("iris-rows.csv"),
            fits,
            "iris-rows.csv: not a safetensors file",
        ),
        (
            files.path().join("missing.safetensors"),
            "4:relu",
            "cannot read",
        ),
    ];
    for (file, layers, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.mpck");
        let args = ["import", s(&file), "--layers", layers, "--out", s(&out)];
        let err = fails_in(dir.path(), &args);
        assert!(err.contains(message), "{file:?} {layers}: {err}");
        // Without --out too (the default is in the current directory).
        fails_in(dir.path(), &["import", s(&file), "--layers", layers]);
    }

    let dir = tempfile::tempdir().unwrap();
    // A value that is not finite (the last in the file).
    let mut nan = two_layers(|_| {});
    let at = nan.len() - 4;
    nan[at..].copy_from_slice(&f32::NAN.to_le_bytes());
    let nan = write("nan.safetensors", nan);
    let err = fails_in(dir.path(), &["import", s(&nan), "--layers", fits]);
    assert!(err.contains("(flat) is NaN"), "{err}");
    // A layer list that does not parse, or none: clap's error.
    let args = ["import", s(&good), "--layers", "4:rleu,2:identity"];
    let err = fails_in(dir.path(), &args);
    assert!(
        err.contains("layer 0 (\"4:rleu\"): unknown activation \"rleu\""),
        "{err}"
    );
    let err = fails_in(dir.path(), &["import", s(&good)]);
    assert!(err.contains("--layers"), "{err}");
    // The input is never overwritten.
    let args = ["import", s(&good), "--layers", fits, "--out", s(&good)];
    let err = fails_in(dir.path(), &args);
    assert!(err.contains("is the file being imported"), "{err}");
}

#[test]
fn export_writes_rust_and_c_for_any_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = data("export/mixed.mpck");
    let text = ok_in(dir.path(), &["export", s(&mixed)]);
    assert!(
        text.contains(
            "wrote ./mixed.rs (Rust source: `Net`, `LAYER_n`, `NET`; 358 parameters, \
             5-7-6-5-6-4-6-4-3)"
        ),
        "{text}"
    );
    assert!(text.contains("wrote ./mixed.h (C header"), "{text}");
    for ext in ["rs", "h"] {
        assert_eq!(
            std::fs::read_to_string(dir.path().join(format!("mixed.{ext}"))).unwrap(),
            std::fs::read_to_string(data(&format!("export/mixed.{ext}"))).unwrap(),
        );
    }
    // One format, another name (and C prefix), another directory.
    let out = dir.path().join("firmware");
    let args = [
        "export",
        s(&mixed),
        "--format",
        "c",
        "--name",
        "my-net",
        "--out",
        s(&out),
    ];
    ok_in(dir.path(), &args);
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["my-net.h"]);
    let header = std::fs::read_to_string(out.join("my-net.h")).unwrap();
    assert!(header.contains("static const float my_net_params[MY_NET_PARAMS_LEN]"));
    // A model checkpoint brings `MODEL` and the scaling arrays.
    let iris = data("iris.mpck");
    let text = ok_in(dir.path(), &["export", s(&iris), "--out", s(&out)]);
    assert!(
        text.contains("`NET`, `MODEL`; 131 parameters, 4-16-3"),
        "{text}"
    );
    let header = std::fs::read_to_string(out.join("iris.h")).unwrap();
    assert!(header.contains("static const float iris_input_offset[IRIS_INPUTS]"));
}

#[test]
fn export_refuses_bad_checkpoints_and_writes_nothing() {
    let files = tempfile::tempdir().unwrap();
    let blob = std::fs::read(data("export/mixed.mpck")).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let mut damaged = blob.clone();
    damaged[100] ^= 1;
    // Layer 0's activation code set to one that does not exist, with a CRC
    // that fits: the core's layer-list check refuses it.
    let mut unknown = blob.clone();
    unknown[16 + 10] = 99;
    let end = unknown.len() - 4;
    let crc = crc32(&unknown[..end]).to_le_bytes();
    unknown[end..].copy_from_slice(&crc);
    let cases = [
        (
            write("damaged.mpck", &damaged),
            "damaged.mpck: checkpoint is corrupted: CRC-32",
        ),
        (
            write("short.mpck", &blob[..blob.len() / 2]),
            "short.mpck: checkpoint is truncated: 792 bytes, needs 1584",
        ),
        (
            write("empty.mpck", &[]),
            "empty.mpck: checkpoint is truncated",
        ),
        (
            write("unknown.mpck", &unknown),
            "unknown.mpck: checkpoint header is inconsistent",
        ),
        (
            data("iris-rows.csv"),
            "iris-rows.csv: not a microprop checkpoint (bad magic)",
        ),
        (files.path().join("missing.mpck"), "cannot read"),
    ];
    for (file, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        let err = fails_in(dir.path(), &["export", s(&file)]);
        assert!(err.contains(message), "{file:?}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let mixed = data("export/mixed.mpck");
    let err = fails_in(dir.path(), &["export", s(&mixed), "--name", "a/b"]);
    assert!(err.contains("--name \"a/b\" is not a file name"), "{err}");
    // The built-in model's flags do not go with a checkpoint of any shape.
    let err = fails_in(dir.path(), &["export", s(&mixed), "--model", "iris"]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = fails_in(dir.path(), &["export", "--model", "iris", "--format", "c"]);
    assert!(err.contains("--format is for `export CHECKPOINT`"), "{err}");
}
