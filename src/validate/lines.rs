//! The records of a delimited text file as its bytes lay them out: where
//! each data row starts (a quoted cell may hold newlines, so row N is not
//! always line N + 1) and how many cells it has, for sample lines and for
//! the row-shape findings (rows with cells missing or extra).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::fsutil::{Context, IoError};

/// How to split a file into records and cells.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    pub quote: Option<u8>,
    pub comment: Option<u8>,
    /// `None` for JSON lines, whose records hold no delimiter to count.
    pub delimiter: Option<u8>,
    pub header: bool,
}

/// One data record.
struct Record<'a> {
    /// 1-based data row (the header is not a row).
    row: u64,
    /// The line it starts on, 1-based.
    line: u64,
    /// Cells in it.
    cells: usize,
    /// The cells (0-based) that hold only blanks, quotes aside.
    blank_cells: &'a [usize],
}

/// Where a record and its cell stand between two chunks of the file.
struct Scan {
    layout: Layout,
    /// The line being read, 1-based.
    line: u64,
    /// The first line of the record being read.
    start: u64,
    /// The record has no bytes yet (carriage returns aside).
    empty: bool,
    in_comment: bool,
    in_quotes: bool,
    delimiters: usize,
    /// The cell being read has bytes, and all of them are blanks.
    cell_bytes: bool,
    cell_blank: bool,
    blank_cells: Vec<usize>,
    /// Data rows seen; -1 while the header is still to come.
    row: i64,
}

impl Scan {
    fn new(layout: Layout) -> Scan {
        Scan {
            layout,
            line: 1,
            start: 1,
            empty: true,
            in_comment: false,
            in_quotes: false,
            delimiters: 0,
            cell_bytes: false,
            cell_blank: true,
            blank_cells: Vec::new(),
            row: if layout.header { -1 } else { 0 },
        }
    }

    /// Bytes that are neither a quote, a delimiter nor a newline (any byte
    /// but a quote or a newline inside quotes), outside comments.
    fn plain(&mut self, bytes: &[u8]) {
        // Most cells start with a byte that is no blank: one test decides.
        match bytes.first() {
            None => return,
            Some(&b) if !matches!(b, b' ' | b'\t' | b'\r') => {
                self.empty = false;
                self.cell_bytes = true;
                self.cell_blank = false;
                return;
            }
            _ => {}
        }
        for &b in bytes {
            if b == b'\r' {
                continue;
            }
            self.empty = false;
            self.cell_bytes = true;
            self.cell_blank &= b == b' ' || b == b'\t';
        }
    }

    fn end_cell(&mut self) {
        if self.cell_bytes && self.cell_blank {
            self.blank_cells.push(self.delimiters);
        }
        self.cell_bytes = false;
        self.cell_blank = true;
    }

    /// The record ends at a newline; false when `visit` says stop.
    fn end_record(&mut self, visit: &mut impl FnMut(&Record) -> bool) -> bool {
        self.end_cell();
        self.line += 1;
        // A header line is never blank: blank lines before it go.
        let before_header = self.empty && self.row < 0;
        let mut go_on = true;
        if !self.in_comment && !before_header {
            self.row += 1;
            if self.row > 0 {
                go_on = visit(&Record {
                    row: self.row as u64,
                    line: self.start,
                    cells: if self.empty { 0 } else { self.delimiters + 1 },
                    blank_cells: &self.blank_cells,
                });
            }
        }
        self.start = self.line;
        self.empty = true;
        self.in_comment = false;
        self.delimiters = 0;
        self.blank_cells.clear();
        go_on
    }

    /// Whether the next byte starts a record.
    fn at_boundary(&self) -> bool {
        self.empty && !self.in_quotes && !self.in_comment
    }

    /// A whole line (without its newline) read at a record boundary in one
    /// vectorised pass, when nothing in it needs the byte-by-byte reading:
    /// no quote, no carriage return but a last one, no cell that starts with
    /// a blank. `Some(None)` for a comment line, `Some(Some(cells))` for a
    /// record; `None` when the line needs the careful reading.
    fn plain_line(&self, line: &[u8]) -> Option<Option<usize>> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let quote = self.layout.quote.unwrap_or(b'\n');
        let delimiter = self.layout.delimiter.unwrap_or(b'\n');
        // Each byte with the next: one branch-free loop the compiler
        // vectorises. `odd` marks a quote or carriage return, or a cell
        // after a delimiter that starts with a blank.
        let (mut delimiters, mut odd) = (0usize, 0u8);
        if let Some((&last, head)) = line.split_last() {
            let next = &line[1..];
            // Counted in bytes, 255 at a time, so the lanes stay bytes wide.
            for (head, next) in head.chunks(255).zip(next.chunks(255)) {
                let mut n = 0u8;
                for (&b, &c) in head.iter().zip(next) {
                    let is_delimiter = u8::from(b == delimiter);
                    n += is_delimiter;
                    odd |= u8::from(b == quote) | u8::from(b == b'\r');
                    odd |= is_delimiter & (u8::from(c == b' ') | u8::from(c == b'\t'));
                }
                delimiters += usize::from(n);
            }
            delimiters += usize::from(last == delimiter);
            odd |= u8::from(last == quote) | u8::from(last == b'\r');
        }
        let first = line.first().copied();
        if odd == 0 && first.is_some() && first == self.layout.comment {
            return Some(None);
        }
        odd |= u8::from(matches!(first, Some(b' ' | b'\t')));
        if odd != 0 {
            return None;
        }
        Some(Some(if line.is_empty() { 0 } else { delimiters + 1 }))
    }

    /// Counts a line [`plain_line`](Self::plain_line) read; false when
    /// `visit` says stop.
    fn plain_record(
        &mut self,
        cells: Option<usize>,
        visit: &mut impl FnMut(&Record) -> bool,
    ) -> bool {
        self.line += 1;
        let mut go_on = true;
        // A header line is never blank: blank lines before it go.
        if let Some(cells) = cells
            && !(cells == 0 && self.row < 0)
        {
            self.row += 1;
            if self.row > 0 {
                go_on = visit(&Record {
                    row: self.row as u64,
                    line: self.start,
                    cells,
                    blank_cells: &[],
                });
            }
        }
        self.start = self.line;
        go_on
    }

    /// Reads one chunk; false when `visit` says stop. Plain lines are read
    /// whole; the others, and a line cut by the chunk's end, byte by byte
    /// between the quotes, delimiters and newlines that `memchr` finds. This
    /// pass runs over every byte of every checked CSV file.
    fn feed(&mut self, chunk: &[u8], visit: &mut impl FnMut(&Record) -> bool) -> bool {
        let mut at = 0;
        while at < chunk.len() {
            if self.at_boundary()
                && let Some(i) = memchr::memchr(b'\n', &chunk[at..])
                && let Some(cells) = self.plain_line(&chunk[at..at + i])
            {
                at += i + 1;
                if !self.plain_record(cells, visit) {
                    return false;
                }
                continue;
            }
            match self.careful(&chunk[at..], visit) {
                Some(n) => at += n,
                None => return false,
            }
        }
        true
    }

    /// Reads up to the end of the next record, or of `rest`: the bytes it
    /// took, or none when `visit` says stop.
    fn careful(&mut self, rest: &[u8], visit: &mut impl FnMut(&Record) -> bool) -> Option<usize> {
        let quote = self.layout.quote.unwrap_or(b'\n');
        let delimiter = self.layout.delimiter.unwrap_or(b'\n');
        let mut at = 0;
        while at < rest.len() {
            let part = &rest[at..];
            if self.empty && !self.in_quotes && self.layout.comment.is_some() {
                // A comment starts with the record's first byte.
                let first = part.iter().find(|&&b| b != b'\r');
                if first.is_some() && first.copied() == self.layout.comment {
                    self.in_comment = true;
                }
            }
            let next = if self.in_comment {
                memchr::memchr(b'\n', part)
            } else if self.in_quotes {
                memchr::memchr2(quote, b'\n', part)
            } else {
                memchr::memchr3(quote, delimiter, b'\n', part)
            };
            let Some(i) = next else {
                if !self.in_comment {
                    self.plain(part);
                }
                return Some(rest.len());
            };
            if !self.in_comment {
                self.plain(&part[..i]);
            }
            at += i + 1;
            let b = part[i];
            if b == b'\n' {
                if self.in_quotes {
                    self.line += 1;
                } else if !self.end_record(visit) {
                    return None;
                } else {
                    return Some(at);
                }
            } else if Some(b) == self.layout.quote && !self.in_comment {
                self.in_quotes = !self.in_quotes;
                self.empty = false;
            } else {
                // A delimiter outside quotes.
                self.end_cell();
                self.empty = false;
                self.delimiters += 1;
            }
        }
        Some(rest.len())
    }

    /// A last record without a final newline.
    fn finish(mut self, visit: &mut impl FnMut(&Record) -> bool) {
        if !self.empty && !self.in_comment {
            self.end_cell();
            self.row += 1;
            if self.row > 0 {
                visit(&Record {
                    row: self.row as u64,
                    line: self.start,
                    cells: self.delimiters + 1,
                    blank_cells: &self.blank_cells,
                });
            }
        }
    }
}

/// Calls `visit` with each data record until it returns false. Blank lines
/// are rows, as the CSV reader counts them (its blank-row finding comes
/// from the cells); comment lines are not. Compressed files are read through.
fn records(
    path: &Path,
    layout: Layout,
    mut visit: impl FnMut(&Record) -> bool,
) -> Result<(), IoError> {
    let mut raw = super::source::decompressed(path)?;
    let mut buf = vec![0u8; 1 << 18];
    let mut scan = Scan::new(layout);
    loop {
        let n = raw.read(&mut buf).ctx("read", path)?;
        if n == 0 {
            break;
        }
        if !scan.feed(&buf[..n], &mut visit) {
            return Ok(());
        }
    }
    scan.finish(&mut visit);
    Ok(())
}

/// The line (1-based) each of `rows` (1-based data rows, sorted) starts on.
/// Reads only as far as the last of them.
pub fn lines_of_rows(
    path: &Path,
    rows: &[u64],
    layout: Layout,
) -> Result<HashMap<u64, u64>, IoError> {
    let mut out = HashMap::new();
    let Some(&last) = rows.last() else {
        return Ok(out);
    };
    let mut wanted = rows.iter().peekable();
    records(path, layout, |r| {
        while let Some(&&w) = wanted.peek() {
            if w == r.row {
                out.insert(w, r.line);
                wanted.next();
            } else if w < r.row {
                wanted.next();
            } else {
                break;
            }
        }
        r.row < last
    })?;
    Ok(out)
}

/// Rows with another number of cells than the header has.
#[derive(Debug, Default, PartialEq)]
pub struct Ragged {
    pub rows: u64,
    /// (row, line, cells) of the first few.
    pub samples: Vec<(u64, u64, usize)>,
}

/// What the bytes of a delimited file say about its rows.
#[derive(Debug, Default, PartialEq)]
pub struct Shapes {
    /// Rows with fewer cells than the header.
    pub short: Ragged,
    /// Rows with more cells than the header.
    pub long: Ragged,
    /// Empty lines: rows with no cell at all (their samples' cells 0).
    pub empty: Ragged,
    /// Columns (0-based) with a cell of blanks only, which the CSV reader
    /// would read as empty where kiln must see a value that is no number.
    pub blank_cells: Vec<bool>,
}

/// Row shapes against `columns` cells a row. An empty line is neither short
/// nor long: it is a blank row, counted apart.
pub fn row_shapes(
    path: &Path,
    layout: Layout,
    columns: usize,
    max_samples: usize,
) -> Result<Shapes, IoError> {
    let mut out = Shapes::new(columns);
    records(path, layout, |r| out.add(r, max_samples))?;
    Ok(out)
}

/// [`row_shapes`] of a file's `bytes` read in pieces on every core, cut
/// after each of `cuts` (offsets just past a line end, in order); `None`
/// when a piece does not end at a record's end as this reading sees it
/// (quotes that do not pair as a CSV writer pairs them), or the first
/// piece ends before the header does.
pub fn row_shapes_in(
    bytes: &[u8],
    cuts: &[usize],
    layout: Layout,
    columns: usize,
    max_samples: usize,
) -> Option<Shapes> {
    use rayon::prelude::*;
    let mut bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().copied().filter(|&c| c > 0 && c < bytes.len()))
        .chain(std::iter::once(bytes.len()))
        .collect();
    bounds.dedup();
    let last = bounds.len().saturating_sub(2);
    // Each piece's shapes, rows and lines, numbered from its own start.
    let parts: Vec<Option<(Shapes, u64, u64)>> = bounds
        .par_windows(2)
        .enumerate()
        .map(|(i, w)| {
            // Only the first piece holds the header.
            let header = layout.header && i == 0;
            let mut scan = Scan::new(Layout { header, ..layout });
            let mut out = Shapes::new(columns);
            let mut visit = |r: &Record| out.add(r, max_samples);
            scan.feed(&bytes[w[0]..w[1]], &mut visit);
            if i == last {
                scan.finish(&mut visit);
                return Some((out, 0, 0));
            }
            // A later piece is read as data: the header must lie before it.
            (scan.at_boundary() && scan.row >= 0).then(|| (out, scan.row as u64, scan.line - 1))
        })
        .collect();
    let mut all = Shapes::new(columns);
    let (mut rows, mut lines) = (0, 0);
    for part in parts {
        let (part, r, l) = part?;
        all.absorb(part, rows, lines, max_samples);
        rows += r;
        lines += l;
    }
    Some(all)
}

impl Shapes {
    fn new(columns: usize) -> Shapes {
        Shapes {
            blank_cells: vec![false; columns],
            ..Default::default()
        }
    }

    /// Counts one record (against as many cells as `blank_cells` has
    /// columns); always goes on.
    fn add(&mut self, r: &Record, max_samples: usize) -> bool {
        for &c in r.blank_cells {
            if let Some(b) = self.blank_cells.get_mut(c) {
                *b = true;
            }
        }
        let columns = self.blank_cells.len();
        let side = match r.cells {
            0 => &mut self.empty,
            n if n < columns => &mut self.short,
            n if n > columns => &mut self.long,
            _ => return true,
        };
        side.rows += 1;
        if side.samples.len() < max_samples {
            side.samples.push((r.row, r.line, r.cells));
        }
        true
    }

    /// Adds the shapes of a later piece of the file, whose rows and lines
    /// follow `rows` rows and `lines` lines.
    fn absorb(&mut self, later: Shapes, rows: u64, lines: u64, max_samples: usize) {
        for (b, l) in self.blank_cells.iter_mut().zip(later.blank_cells) {
            *b |= l;
        }
        for (side, l) in [
            (&mut self.short, later.short),
            (&mut self.long, later.long),
            (&mut self.empty, later.empty),
        ] {
            side.rows += l.rows;
            let room = max_samples.saturating_sub(side.samples.len());
            side.samples.extend(
                l.samples
                    .into_iter()
                    .take(room)
                    .map(|(row, line, cells)| (row + rows, line + lines, cells)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read in pieces cut after any line end, a file's row shapes are those
    /// read at once, or unknown where a cut falls inside quotes.
    #[test]
    fn shapes_read_in_pieces_are_shapes_read_at_once() {
        let text = "\n\na,b,c\r\n1,\"x\ny\",z\n2,3\n\n4,5,6,7\n  ,\" \",\n5,\"a\n\nb\",c\n6";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        crate::fsutil::write_atomic(&path, text.as_bytes(), dir.path()).unwrap();
        let layout = Layout {
            quote: Some(b'"'),
            comment: None,
            delimiter: Some(b','),
            header: true,
        };
        let whole = row_shapes(&path, layout, 3, 2).unwrap();
        assert_eq!(
            (whole.short.rows, whole.long.rows, whole.empty.rows),
            (2, 1, 1)
        );
        let ends: Vec<usize> = memchr::memchr_iter(b'\n', text.as_bytes())
            .map(|i| i + 1)
            .collect();
        let inside = [14, 45, 46]; // just past line ends inside quotes
        let mut known = 0;
        // Every set of cuts among the line ends, as bits of a mask.
        for mask in 0u32..1 << ends.len() {
            let cuts: Vec<usize> = (0..ends.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| ends[i])
                .collect();
            let got = row_shapes_in(text.as_bytes(), &cuts, layout, 3, 2);
            let before_header = cuts.first().is_some_and(|&c| c < 9);
            if before_header || cuts.iter().any(|c| inside.contains(c)) {
                assert_eq!(got, None, "cuts {cuts:?}");
            } else {
                assert_eq!(got.as_ref(), Some(&whole), "cuts {cuts:?}");
                known += 1;
            }
        }
        assert!(known > 1);
    }

    /// The records `feed` finds in `text` given in pieces of `piece` bytes.
    fn records_in(text: &[u8], piece: usize, layout: Layout) -> Vec<(u64, u64, usize, Vec<usize>)> {
        let mut out = Vec::new();
        let mut visit = |r: &Record| {
            out.push((r.row, r.line, r.cells, r.blank_cells.to_vec()));
            true
        };
        let mut scan = Scan::new(layout);
        for chunk in text.chunks(piece) {
            assert!(scan.feed(chunk, &mut visit));
        }
        scan.finish(&mut visit);
        out
    }

    /// Lines read whole (the fast path) give the records that reading them
    /// byte by byte gives (one byte at a time, no line is whole), over
    /// random lines of cells, quotes, blanks, carriage returns and comments.
    #[test]
    fn lines_read_whole_are_read_as_byte_by_byte() {
        let alphabet = b"ab,,,\"  \t\r#xyz\n";
        let mut next = crate::validate::profiler::xorshift(0x9E37_79B9_7F4A_7C15);
        for round in 0..400 {
            let len = (next() % 700) as usize;
            let mut text: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            // Mostly plain lines, some long, so that whole reads are the rule.
            if round % 2 == 0 {
                text.retain(|&b| b != b'"' && b != b'\r' && b != b'#');
            }
            if round % 5 == 0 {
                text.extend(std::iter::repeat_n(b'x', 150 + round));
                text.extend_from_slice(b",y\n");
            }
            let layout = Layout {
                quote: Some(b'"'),
                comment: (round % 3 == 0).then_some(b'#'),
                delimiter: Some(b','),
                header: round % 4 != 0,
            };
            let slow = records_in(&text, 1, layout);
            for piece in [text.len().max(1), 64, 7] {
                assert_eq!(
                    records_in(&text, piece, layout),
                    slow,
                    "round {round}, pieces of {piece}: {:?}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }
}
