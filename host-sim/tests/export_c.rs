//! The C header `export CHECKPOINT` writes, used with the C API from C:
//! `tests/c/export_test.c` compiled with the system C compiler (`cc`, or
//! `$CC`) against the host `libmicroprop_ffi.a` (microprop-ffi built by
//! cargo in the test profile) and `ffi/include/microprop.h`, then run.
//!
//! For each header, this test writes `cases.h`: it includes the header,
//! names its parts `MODEL_*` for the C program, and holds input rows with
//! the outputs the run-time Rust network ([`Trained::predict_scaled`]: the
//! core's `dynamic::Network`, with the checkpoint's normalisers) gives for
//! them, as bits. The C program checks that the header's sizes are the C
//! API's, that every row predicts exactly those bits, and that the
//! checkpoint the header came from has its layer list and weights.
//!
//! Three headers: the committed `tests/data/export/mixed.h` (every
//! activation and maxout, values such as -0.0 and a subnormal), `iris`
//! exported now from `tests/data/iris.mpck` (input normaliser), and the
//! PyTorch model of `tests/data/pytorch/` imported and then exported, both
//! through the binary.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use microprop_sim::anyshape::Trained;
use microprop_sim::export::c::identifier;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `command`; panics with its output unless it succeeds.
fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("could not run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// microprop-ffi's host staticlib, as cargo reports it.
fn staticlib() -> PathBuf {
    let output = run(Command::new(env!("CARGO")).current_dir(manifest()).args([
        "build",
        "--package",
        "microprop-ffi",
        "--lib",
        "--profile",
        "test",
        "--message-format=json-render-diagnostics",
    ]));
    // One JSON message a line; a string search keeps serde out of it.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let marker = "libmicroprop_ffi.a\"";
    for line in stdout
        .lines()
        .filter(|l| l.contains("\"compiler-artifact\""))
    {
        if let Some(end) = line.find(marker) {
            let start = line[..end].rfind('"').unwrap() + 1;
            return PathBuf::from(&line[start..end + marker.len() - 1]);
        }
    }
    panic!("cargo reported no libmicroprop_ffi.a:\n{stdout}");
}

/// What a Rust staticlib needs from the system on Linux.
const NATIVE_LIBS: [&str; 5] = ["-lpthread", "-ldl", "-lm", "-lrt", "-lutil"];

/// `cases.h` for the header `name.h` of `net`: the `MODEL_*` names and
/// `rows` inputs with the expected outputs, as bits.
fn cases(net: &Trained, name: &str, rows: &[Vec<f32>]) -> String {
    let id = identifier(name);
    let up = id.to_ascii_uppercase();
    let mut s = format!("/* Written by host-sim/tests/export_c.rs. */\n#include \"{name}.h\"\n");
    for part in [
        "INPUTS",
        "OUTPUTS",
        "LAYER_COUNT",
        "PARAMS_LEN",
        "SCRATCH_LEN",
        "SCRATCH_WINNERS_LEN",
        "ARENA_BYTES",
        "CHECKPOINT_BYTES",
    ] {
        let _ = writeln!(s, "#define MODEL_{part} {up}_{part}");
    }
    let _ = writeln!(s, "#define MODEL_LAYERS {id}_layers");
    let _ = writeln!(s, "#define MODEL_PARAMS {id}_params");
    if net.input_scaling().is_some() {
        let _ = writeln!(s, "#define MODEL_INPUT_OFFSET {id}_input_offset");
        let _ = writeln!(s, "#define MODEL_INPUT_SCALE {id}_input_scale");
    }
    if net.target_scaling().is_some() {
        let _ = writeln!(s, "#define MODEL_TARGET_OFFSET {id}_target_offset");
        let _ = writeln!(s, "#define MODEL_TARGET_SCALE {id}_target_scale");
    }
    let _ = writeln!(s, "#define CASES {}", rows.len());
    let bits = |values: &[f32]| {
        values
            .iter()
            .map(|v| format!("0x{:08x}u", v.to_bits()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        s,
        "static const uint32_t case_inputs[CASES][MODEL_INPUTS] = {{"
    );
    for x in rows {
        let _ = writeln!(s, "    {{{}}},", bits(x));
    }
    let _ = writeln!(s, "}};");
    let _ = writeln!(
        s,
        "static const uint32_t case_outputs[CASES][MODEL_OUTPUTS] = {{"
    );
    for x in rows {
        let _ = writeln!(s, "    {{{}}},", bits(&net.predict_scaled(x).unwrap()));
    }
    let _ = writeln!(s, "}};");
    s
}

/// Inputs spread over [-scale, scale), the same on every machine.
fn rows(count: usize, width: usize, scale: f32) -> Vec<Vec<f32>> {
    let mut state = 0x2545_f491u32;
    (0..count)
        .map(|_| {
            (0..width)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    scale * ((state >> 8) as f32 / (1u32 << 23) as f32 - 1.0)
                })
                .collect()
        })
        .collect()
}

/// Compiles `tests/c/export_test.c` for the header `dir/name.h` exported
/// from `checkpoint`, runs it, and checks its report.
fn check_in_c(lib: &Path, dir: &Path, name: &str, checkpoint: &Path, scale: f32) {
    let net = Trained::from_checkpoint(&std::fs::read(checkpoint).unwrap()).unwrap();
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("export_c_{name}"));
    std::fs::create_dir_all(&work).unwrap();
    let inputs = rows(100, net.inputs(), scale);
    std::fs::write(work.join("cases.h"), cases(&net, name, &inputs)).unwrap();
    let exe = work.join("export_test");
    let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    // The header is plain C99 (hexadecimal floats are C99's).
    run(Command::new(&compiler)
        .args([
            "-std=c99",
            "-pedantic",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsyntax-only",
            "-I",
        ])
        .arg(manifest().join("../ffi/include"))
        .arg("-I")
        .arg(dir)
        .arg("-I")
        .arg(&work)
        .arg(manifest().join("tests/c/export_test.c")));
    run(Command::new(compiler)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I"])
        .arg(manifest().join("../ffi/include"))
        .arg("-I")
        .arg(dir)
        .arg("-I")
        .arg(&work)
        .arg(manifest().join("tests/c/export_test.c"))
        .arg(lib)
        .args(NATIVE_LIBS)
        .arg("-o")
        .arg(&exe));
    let output = run(Command::new(&exe).arg(checkpoint));
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{name}: {stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("export c: ") && last.ends_with(" 0 failed"),
        "{name}: {stdout}"
    );
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_microprop-sim"))
}

#[test]
fn exported_headers_predict_the_rust_networks_bits_through_the_c_api() {
    let lib = staticlib();
    let data = manifest().join("tests/data");
    // The committed header of every activation and maxout.
    check_in_c(
        &lib,
        &data.join("export"),
        "mixed",
        &data.join("export/mixed.mpck"),
        3.0,
    );

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    // A model checkpoint: the header scales the inputs.
    let iris = data.join("iris.mpck");
    run(bin().args([
        "export",
        iris.to_str().unwrap(),
        "--out",
        out,
        "--format",
        "c",
    ]));
    check_in_c(&lib, dir.path(), "iris", &iris, 8.0);

    // PyTorch -> import -> export -> C.
    let mlp = dir.path().join("mlp.mpck");
    run(bin()
        .arg("import")
        .arg(data.join("pytorch/mlp.safetensors"))
        .args([
            "--layers",
            "16:relu,12:tanh,10:leaky_relu:0.2,8:elu:0.5,8:identity,6:sigmoid,4:softmax",
            "--out",
            mlp.to_str().unwrap(),
        ]));
    run(bin().args(["export", mlp.to_str().unwrap(), "--out", out]));
    check_in_c(&lib, dir.path(), "mlp", &mlp, 3.0);
}
