//! A reader that watches the bytes a CSV parser pulls through it: their
//! SHA-256, how many have been read (for a progress bar), and where the
//! line ends are, so a record's line number is known without keeping the
//! file in memory.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::rc::Rc;

use sha2::{Digest, Sha256};

/// A maximal run of `\r`/`\n` bytes: `[start, end)` and the `\n`s in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: u64,
    end: u64,
    newlines: u64,
}

/// What the reader saw, shared with the [`LineCursor`].
#[derive(Debug)]
struct Seen {
    hasher: Sha256,
    read: u64,
    /// Closed runs not yet passed by the cursor (a window as wide as the
    /// parser's read-ahead).
    runs: VecDeque<Run>,
    /// The run still growing at the end of what was read.
    open: Option<Run>,
}

/// Wraps a reader; see the module doc. `on_read` gets the bytes read so far
/// after every read.
pub struct TrackedRead<'p, R> {
    inner: R,
    seen: Rc<RefCell<Seen>>,
    on_read: &'p mut dyn FnMut(u64),
}

/// Gives the line of a record from its byte offset, from what a
/// [`TrackedRead`] saw.
#[derive(Debug)]
pub struct LineCursor {
    seen: Rc<RefCell<Seen>>,
    newlines: u64,
}

/// A [`TrackedRead`] over `inner` and the [`LineCursor`] that reads its
/// line ends.
pub fn tracked<R: Read>(
    inner: R,
    on_read: &mut dyn FnMut(u64),
) -> (TrackedRead<'_, R>, LineCursor) {
    let seen = Rc::new(RefCell::new(Seen {
        hasher: Sha256::new(),
        read: 0,
        runs: VecDeque::new(),
        open: None,
    }));
    let cursor = LineCursor {
        seen: Rc::clone(&seen),
        newlines: 0,
    };
    (
        TrackedRead {
            inner,
            seen,
            on_read,
        },
        cursor,
    )
}

impl<R: Read> Read for TrackedRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bytes = buf.get(..n).unwrap_or(&[]);
        let mut seen = self.seen.borrow_mut();
        seen.hasher.update(bytes);
        let base = seen.read;
        for (i, &b) in bytes.iter().enumerate() {
            let at = base + i as u64;
            if b == b'\r' || b == b'\n' {
                let run = seen.open.get_or_insert(Run {
                    start: at,
                    end: at,
                    newlines: 0,
                });
                run.end = at + 1;
                run.newlines += u64::from(b == b'\n');
            } else if let Some(run) = seen.open.take() {
                seen.runs.push_back(run);
            }
        }
        seen.read = base + n as u64;
        let read = seen.read;
        drop(seen);
        (self.on_read)(read);
        Ok(n)
    }
}

impl LineCursor {
    /// The 1-based line of the record that the parser reports at byte
    /// `offset`. Offsets must only grow. A reported offset may point at the
    /// line end before the record (the csv crate does so after a `\r\n`
    /// and for blank lines): the record starts after that run of line
    /// ends.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        let mut seen = self.seen.borrow_mut();
        while let Some(run) = seen.runs.front().copied() {
            if run.start > offset {
                break;
            }
            self.newlines += run.newlines;
            seen.runs.pop_front();
        }
        self.newlines + 1
    }

    /// SHA-256 of every byte read, lowercase hex. Call after the last read.
    pub fn sha256_hex(&self) -> String {
        let seen = self.seen.borrow();
        seen.hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines of every record of `text` read through a tracker with a tiny
    /// buffer (runs split across reads), and the file's hash.
    fn lines(text: &str) -> (Vec<u64>, String) {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(3).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut last = 0;
        let mut progress = |read| last = read;
        let (reader, mut cursor) = tracked(Trickle(text.as_bytes()), &mut progress);
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(4)
            .from_reader(reader);
        let lines = csv
            .records()
            .map(|r| cursor.line_at(r.unwrap().position().unwrap().byte()))
            .collect();
        let hash = cursor.sha256_hex();
        drop(csv);
        assert_eq!(last, text.len() as u64);
        (lines, hash)
    }

    #[test]
    fn lines_count_blank_lines_crlf_and_quoted_newlines() {
        assert_eq!(lines("a,b\n1,2\n3,4\n").0, [1, 2, 3]);
        assert_eq!(lines("a,b\r\n1,2\r\n3,4\r\n").0, [1, 2, 3]);
        assert_eq!(lines("a,b\n\n1,2\n\n\n3,4\n").0, [1, 3, 6]);
        assert_eq!(lines("a,b\r\n\r\n1,2\r\n\r\n3,4").0, [1, 3, 5]);
        assert_eq!(lines("a,b\n\"x\ny\",2\n3,4\n").0, [1, 2, 4]);
    }

    #[test]
    fn the_hash_is_the_files() {
        let text = "a,b\r\n1,2\n";
        let expected: String = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(lines(text).1, expected);
    }
}
