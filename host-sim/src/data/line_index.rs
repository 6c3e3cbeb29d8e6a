//! The file line of every row of a table, kept as the few places where the
//! line stops being "row + first line" (blank lines, quoted line breaks),
//! not one number per row.

/// Maps a row to its 1-based file line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    /// `(first row, line of that row − row)`, one entry per change, rows
    /// ascending.
    shifts: Vec<(usize, u64)>,
    rows: usize,
}

impl LineIndex {
    /// Appends the next row, found on `line` (lines only grow).
    pub fn push(&mut self, line: u64) {
        let row = self.rows;
        let shift = line.saturating_sub(row as u64);
        if self.shifts.last().is_none_or(|&(_, s)| s != shift) {
            self.shifts.push((row, shift));
        }
        self.rows += 1;
    }

    /// Rows pushed.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// `true` before the first row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The line of `row` (0 for a row never pushed).
    pub fn line(&self, row: usize) -> u64 {
        if row >= self.rows {
            return 0;
        }
        let at = self.shifts.partition_point(|&(first, _)| first <= row);
        self.shifts
            .get(at.wrapping_sub(1))
            .map_or(0, |&(_, shift)| row as u64 + shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_every_line_with_few_entries() {
        let lines = [2u64, 3, 4, 6, 7, 8, 12, 13];
        let mut index = LineIndex::default();
        lines.iter().for_each(|&l| index.push(l));
        assert_eq!(index.len(), lines.len());
        for (row, &line) in lines.iter().enumerate() {
            assert_eq!(index.line(row), line, "row {row}");
        }
        assert_eq!(index.shifts.len(), 3);
        assert_eq!(index.line(lines.len()), 0);
        let mut regular = LineIndex::default();
        (0..1000).for_each(|r| regular.push(r + 2));
        assert_eq!((regular.shifts.len(), regular.line(999)), (1, 1001));
    }
}
