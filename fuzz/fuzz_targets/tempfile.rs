//! The simulator's loaders take paths, not readers: each input is written to
//! a file of this process's own, in RAM (/dev/shm) where there is one.
//! The old file is removed rather than truncated: ext4 flushes a file that is
//! truncated and rewritten (auto_da_alloc), which made each run ~4 ms.

use std::path::PathBuf;

pub fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("microprop-fuzz-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, bytes).unwrap();
    path
}
