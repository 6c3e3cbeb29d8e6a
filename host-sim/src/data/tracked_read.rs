//! A reader that watches the bytes a CSV parser pulls through it: their
//! SHA-256 (to know a file again) and how many have been read (for a
//! progress bar), so the file need not be held in memory to hash it.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Wraps a reader; `on_read` gets the bytes read so far after every read.
pub struct TrackedRead<'p, R> {
    inner: R,
    hasher: Sha256,
    read: u64,
    on_read: &'p mut dyn FnMut(u64),
}

impl<'p, R: Read> TrackedRead<'p, R> {
    /// Tracks `inner`.
    pub fn new(inner: R, on_read: &'p mut dyn FnMut(u64)) -> Self {
        TrackedRead {
            inner,
            hasher: Sha256::new(),
            read: 0,
            on_read,
        }
    }

    /// SHA-256 of every byte read so far, lowercase hex.
    pub fn sha256_hex(&self) -> String {
        self.hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl<R: Read> Read for TrackedRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bytes = buf.get(..n).unwrap_or(&[]);
        self.hasher.update(bytes);
        self.read += n as u64;
        (self.on_read)(self.read);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_counts_what_passes_through() {
        let text = b"a,b\r\n1,2\n";
        let mut seen = Vec::new();
        let mut progress = |read| seen.push(read);
        let mut tracked = TrackedRead::new(&text[..], &mut progress);
        let mut small = [0u8; 4];
        while tracked.read(&mut small).unwrap() > 0 {}
        let expected: String = Sha256::digest(text)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(tracked.sha256_hex(), expected);
        drop(tracked);
        assert_eq!(seen, [4, 8, 9, 9]);
    }
}
