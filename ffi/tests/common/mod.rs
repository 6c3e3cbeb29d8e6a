//! Shared by the tests that build C programs: the host staticlib, the C
//! compiler, running a command, the digits data.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The crate's host staticlib, as cargo reports it.
pub fn staticlib() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO"))
        .current_dir(dir)
        .args([
            "build",
            "--package",
            "microprop-ffi",
            "--lib",
            "--profile",
            "test",
            "--message-format=json-render-diagnostics",
        ])
        .output()
        .expect("could not run cargo");
    assert!(
        output.status.success(),
        "cargo build of the staticlib failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // One JSON message a line; the artifact's "filenames" list holds the
    // staticlib path. A string search keeps serde out of the tests.
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

/// The system C compiler: `$CC`, or `cc`.
pub fn compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_owned())
}

/// Runs `command`; panics with its output unless it succeeds.
pub fn run(command: &mut Command) -> std::process::Output {
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

/// What a Rust staticlib needs from the system on Linux
/// (`rustc --print native-static-libs`).
pub const NATIVE_LIBS: [&str; 5] = ["-lpthread", "-ldl", "-lm", "-lrt", "-lutil"];

/// `data/digits8x8.csv`.
pub fn csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits8x8.csv")
}
