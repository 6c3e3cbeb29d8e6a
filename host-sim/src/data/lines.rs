//! The line a CSV record starts on, as an editor shows it (the header is
//! line 1). The csv crate's own count is one short after a CRLF line end
//! (a record's offset points at the `\n` of the line before) and after a
//! blank line between records, so both CSV readers (`csv_file` and
//! `columns`) read through [`LineCounter`], which notes where the
//! line ends are in the bytes it hands on and finds a record's line from
//! its byte offset.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{Read, Result};

/// A reader that remembers the line ends (`\r`, `\n`) of the bytes it
/// hands on; [`LineCounter::line_at`] gives the line of the record
/// starting at a byte offset. Offsets must be asked in increasing order;
/// line ends before the last one asked are counted and forgotten, so the
/// memory is the reader's read-ahead, not the file.
///
/// ```
/// use std::io::Read;
/// use microprop_sim::data::lines::LineCounter;
/// let mut counter = LineCounter::new(&b"a,b\r\n1,2\r\n\r\n3,4\n"[..]);
/// std::io::copy(&mut counter, &mut std::io::sink())?;
/// assert_eq!(counter.line_at(4), 2); // "1,2" (offset 4 is the `\n` of line 1)
/// assert_eq!(counter.line_at(9), 4); // "3,4", after a blank line
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LineCounter<R> {
    inner: R,
    /// Bytes handed on so far.
    read: u64,
    /// Offsets of the line-end bytes not yet forgotten, and whether each
    /// is a `\n`.
    ends: VecDeque<(u64, bool)>,
    /// `\n`s forgotten (all before `asked`).
    forgotten: u64,
    /// The last offset asked.
    asked: Cell<u64>,
}

impl<R: Read> LineCounter<R> {
    /// Counts the lines of `inner`.
    pub fn new(inner: R) -> Self {
        LineCounter {
            inner,
            read: 0,
            ends: VecDeque::new(),
            forgotten: 0,
            asked: Cell::new(0),
        }
    }

    /// The reader inside.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The 1-based line of the record whose bytes start at `offset` or
    /// after the line ends there.
    pub fn line_at(&self, offset: u64) -> u64 {
        self.asked.set(offset);
        let before = self.ends.partition_point(|&(at, _)| at < offset);
        let mut newlines = self.forgotten
            + self
                .ends
                .range(..before)
                .filter(|&&(_, newline)| newline)
                .count() as u64;
        // The line ends the record's offset points into.
        for (next, &(at, newline)) in (offset..).zip(self.ends.range(before..)) {
            if at != next {
                break;
            }
            newlines += u64::from(newline);
        }
        newlines + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let asked = self.asked.get();
        while let Some(&(at, newline)) = self.ends.front() {
            if at >= asked {
                break;
            }
            self.forgotten += u64::from(newline);
            self.ends.pop_front();
        }
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.ends.push_back((self.read + i as u64, b == b'\n'));
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of every record of `text` as the csv crate reads it.
    fn lines(text: &[u8]) -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(8)
            .from_reader(LineCounter::new(text));
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let offset = record.position().map_or(0, csv::Position::byte);
            out.push(reader.get_ref().line_at(offset));
        }
        out
    }

    #[test]
    fn lf_crlf_and_blank_lines() {
        assert_eq!(lines(b"h\n1\n2\n3"), [1, 2, 3, 4]);
        assert_eq!(lines(b"h\r\n1\r\n2\r\n"), [1, 2, 3]);
        assert_eq!(lines(b"h\r\n1\r\n\r\n\r\n2\r\n"), [1, 2, 5]);
        assert_eq!(lines(b"h\n\n1,2\n\n3,4\n"), [1, 3, 5]);
        // A quoted field over two lines: the next record is on line 4.
        assert_eq!(lines(b"h\n\"a\nb\"\nc\n"), [1, 2, 4]);
    }
}
