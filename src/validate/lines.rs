//! The records of a delimited text file as its bytes lay them out: where
//! each data row starts (a quoted cell may hold newlines, so row N is not
//! always line N + 1) and how many cells it has, for sample lines and for
//! the row-shape findings (rows with cells missing or extra).

use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::fsutil::{self, Context, IoError};

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

/// Calls `visit` with each data record until it returns false. Blank lines
/// are rows, as the CSV reader counts them (its blank-row finding comes
/// from the cells); comment lines are not. Gzipped files are read through.
fn records(
    path: &Path,
    layout: Layout,
    mut visit: impl FnMut(&Record) -> bool,
) -> Result<(), IoError> {
    let mut file = fsutil::open(path)?;
    let mut magic = [0u8; 2];
    let gz = file.read(&mut magic).ctx("read", path)? == 2 && magic == [0x1f, 0x8b];
    let file = fsutil::open(path)?;
    let raw: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut reader = BufReader::with_capacity(1 << 16, raw);
    let mut buf = vec![0u8; 1 << 16];
    let mut line = 1u64;
    // The record being read: its first line, whether it has bytes yet,
    // whether it is a comment, whether a quote is open, its delimiters;
    // the cell being read: its bytes, whether all are blanks.
    let mut start = 1u64;
    let mut empty = true;
    let mut in_comment = false;
    let mut in_quotes = false;
    let mut delimiters = 0usize;
    let mut cell_bytes = 0usize;
    let mut cell_blank = true;
    let mut blank_cells: Vec<usize> = Vec::new();
    let mut row: i64 = if layout.header { -1 } else { 0 };
    loop {
        let n = reader.read(&mut buf).ctx("read", path)?;
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            if empty && !in_quotes && layout.comment == Some(b) {
                in_comment = true;
            }
            if Some(b) == layout.quote && !in_comment {
                in_quotes = !in_quotes;
                empty = false;
                continue;
            }
            let ends_cell = !in_quotes && (b == b'\n' || Some(b) == layout.delimiter);
            if ends_cell && cell_bytes > 0 && cell_blank {
                blank_cells.push(delimiters);
            }
            if b == b'\n' {
                line += 1;
                if in_quotes {
                    continue;
                }
                // A header line is never blank: blank lines before it go.
                let before_header = empty && row < 0;
                if !in_comment && !before_header {
                    row += 1;
                    let record = Record {
                        row: row.max(0) as u64,
                        line: start,
                        cells: if empty { 0 } else { delimiters + 1 },
                        blank_cells: &blank_cells,
                    };
                    if row > 0 && !visit(&record) {
                        return Ok(());
                    }
                }
                start = line;
                empty = true;
                in_comment = false;
                delimiters = 0;
                cell_bytes = 0;
                cell_blank = true;
                blank_cells.clear();
            } else if b != b'\r' {
                empty = false;
                if ends_cell {
                    delimiters += 1;
                    cell_bytes = 0;
                    cell_blank = true;
                } else {
                    cell_bytes += 1;
                    cell_blank &= b == b' ' || b == b'\t';
                }
            }
        }
    }
    // A last record without a final newline.
    if !empty && !in_comment {
        if cell_bytes > 0 && cell_blank {
            blank_cells.push(delimiters);
        }
        row += 1;
        if row > 0 {
            visit(&Record {
                row: row as u64,
                line: start,
                cells: delimiters + 1,
                blank_cells: &blank_cells,
            });
        }
    }
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
#[derive(Debug, Default)]
pub struct Ragged {
    pub rows: u64,
    /// (row, line, cells) of the first few.
    pub samples: Vec<(u64, u64, usize)>,
}

/// What the bytes of a delimited file say about its rows.
#[derive(Debug, Default)]
pub struct Shapes {
    /// Rows with fewer cells than the header.
    pub short: Ragged,
    /// Rows with more cells than the header.
    pub long: Ragged,
    /// Columns (0-based) with a cell of blanks only, which the CSV reader
    /// would read as empty where kiln must see a value that is no number.
    pub blank_cells: Vec<bool>,
}

/// Row shapes against `columns` cells a row. A blank line is neither short
/// nor long: it is a blank row, found from its cells.
pub fn row_shapes(
    path: &Path,
    layout: Layout,
    columns: usize,
    max_samples: usize,
) -> Result<Shapes, IoError> {
    let mut out = Shapes {
        blank_cells: vec![false; columns],
        ..Default::default()
    };
    records(path, layout, |r| {
        for &c in r.blank_cells {
            if let Some(b) = out.blank_cells.get_mut(c) {
                *b = true;
            }
        }
        let side = match r.cells {
            0 => return true,
            n if n < columns => &mut out.short,
            n if n > columns => &mut out.long,
            _ => return true,
        };
        side.rows += 1;
        if side.samples.len() < max_samples {
            side.samples.push((r.row, r.line, r.cells));
        }
        true
    })?;
    Ok(out)
}
