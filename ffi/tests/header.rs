//! The committed header, `include/microprop.h`, is what cbindgen makes of
//! the crate now. Fails if it is stale; `MICROPROP_BLESS=1 cargo test -p
//! microprop-ffi --test header` rewrites it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

#[test]
fn the_committed_header_is_what_cbindgen_generates() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
    let bindings = cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = dir.join("include/microprop.h");
    if std::env::var_os("MICROPROP_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .split(|&b| b == b'\n')
            .zip(generated.split(|&b| b == b'\n'))
            .position(|(a, b)| a != b)
            .map_or_else(
                || "(one is a prefix of the other)".to_owned(),
                |i| format!("line {}", i + 1),
            );
        panic!(
            "ffi/include/microprop.h is stale (first difference at {first}): the C API changed \
             without its header. Regenerate it with\n  MICROPROP_BLESS=1 cargo test -p microprop-ffi --test header\n\
             and commit the result."
        );
    }
}
