//! The C API from C: `tests/c/api_test.c` compiled with the system C
//! compiler (`cc`, or `$CC`) against the host `libmicroprop_ffi.a` and the
//! committed header, then run. The staticlib is this crate's, built by
//! cargo in the test profile (`cargo build --profile test`, a no-op when
//! `cargo test` has just built it); the C program checks every result and
//! exits non-zero on the first failed check's report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

mod common;
use common::{compiler, run, staticlib};

#[test]
fn the_c_test_program_passes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = staticlib();
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("microprop_c_api_test");
    run(Command::new(compiler())
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I"])
        .arg(dir.join("include"))
        .arg(dir.join("tests/c/api_test.c"))
        .arg(&lib)
        .args(common::NATIVE_LIBS)
        .arg("-o")
        .arg(&exe));
    let output = run(&mut Command::new(&exe));
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("c api: ") && last.ends_with(" 0 failed"),
        "{stdout}"
    );
}

#[test]
fn the_header_compiles_as_c99_and_as_cxx() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = Path::new(env!("CARGO_TARGET_TMPDIR")).join("microprop_header_only.c");
    std::fs::write(
        &source,
        "#include \"microprop.h\"\nstatic const microprop_layer l[] = { MICROPROP_DENSE(4, MICROPROP_ACTIVATION_ELU) };\nint main(void) { return (int)l[0].units - 4 + (int)sizeof(microprop_model) * 0; }\n",
    )
    .unwrap();
    run(Command::new(compiler())
        .args([
            "-std=c99",
            "-pedantic",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsyntax-only",
            "-I",
        ])
        .arg(dir.join("include"))
        .arg(&source));
    // Every C example in ffi/README.md (the crate's documentation) compiles.
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let examples: Vec<&str> = readme
        .split("```c\n")
        .skip(1)
        .map(|rest| &rest[..rest.find("```").unwrap()])
        .collect();
    assert!(examples.len() >= 2, "the C examples of README.md");
    for (i, code) in examples.iter().enumerate() {
        let example =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("microprop_readme_example_{i}.c"));
        std::fs::write(&example, code).unwrap();
        run(Command::new(compiler())
            .args([
                "-std=c11",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-fsyntax-only",
                "-I",
            ])
            .arg(dir.join("include"))
            .arg(&example));
    }
    // C++ (cbindgen's `cpp_compat`), where a compiler is installed.
    if Command::new("c++").arg("--version").output().is_ok() {
        run(Command::new("c++")
            .args([
                "-x",
                "c++",
                "-std=c++11",
                "-Wall",
                "-Werror",
                "-fsyntax-only",
                "-I",
            ])
            .arg(dir.join("include"))
            .arg(&source));
    }
}
