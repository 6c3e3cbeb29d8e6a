//! Figures the tests measured, for the READMEs.
//!
//! A test hands the figures it measured (numbers, as measured) to
//! [`record`], which writes them to `target/claims/<test>.json`: the
//! lecture-claim tests, convergence, the PyTorch fixtures, power cuts and
//! the divergence guard here, and the firmware's jobs run on the host in
//! `device/tests/`. `python3 tests/claims-readme.py` fills README.md's and
//! firmware/README.md's generated blocks from those files, and `--check`
//! (in CI, after the tests) fails if a README says anything else. The runs
//! are deterministic, so the figures only change when the code does.

use std::path::PathBuf;

use serde_json::Value;

/// Where [`record`] writes: `target/claims` of the workspace.
pub fn claims_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.parent().map_or(manifest.clone(), PathBuf::from);
    workspace.join("target").join("claims")
}

/// Writes `figures` (a JSON object: figure name -> value) of the test
/// `test` to `target/claims/<test>.json`, replacing that test's earlier
/// figures. Each test writes its own file, so tests running in parallel
/// do not interfere.
///
/// # Panics
/// If `figures` is not an object or the file cannot be written (a test
/// helper: the test fails).
///
/// ```
/// use microprop_tests::claims::{claims_dir, record};
/// record("doc_example", serde_json::json!({ "steps": 42 }));
/// let text = std::fs::read_to_string(claims_dir().join("doc_example.json")).unwrap();
/// assert!(text.contains("\"steps\": 42"));
/// std::fs::remove_file(claims_dir().join("doc_example.json")).unwrap();
/// ```
pub fn record(test: &str, figures: Value) {
    assert!(figures.is_object(), "{test}: figures must be a JSON object");
    let dir = claims_dir();
    std::fs::create_dir_all(&dir).expect("creating target/claims");
    let path = dir.join(format!("{test}.json"));
    let partial = dir.join(format!("{test}.json.partial"));
    let text = serde_json::to_string_pretty(&figures).expect("figures as JSON") + "\n";
    std::fs::write(&partial, text).expect("writing a claims file");
    std::fs::rename(&partial, &path).expect("replacing a claims file");
}
