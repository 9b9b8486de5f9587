//! Line numbers of data rows in a delimited text file, for sample rows: a
//! quoted cell may hold newlines, so row N is not always line N + 1.

use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::fsutil::{self, Context, IoError};

/// The line (1-based) each of `rows` (1-based data rows, sorted) starts on.
/// Reads only as far as the last of them; compressed files give no lines.
pub fn lines_of_rows(
    path: &Path,
    rows: &[u64],
    quote: Option<u8>,
    comment: Option<u8>,
    header: bool,
) -> Result<HashMap<u64, u64>, IoError> {
    let mut out = HashMap::new();
    let Some(&last) = rows.last() else {
        return Ok(out);
    };
    let mut reader = BufReader::with_capacity(1 << 16, fsutil::open(path)?);
    let mut buf = vec![0u8; 1 << 16];
    let mut line = 1u64;
    // The record being read: its first line, whether it has content yet,
    // whether it is a comment, and whether a quote is open.
    let mut start = 1u64;
    let mut empty = true;
    let mut in_comment = false;
    let mut in_quotes = false;
    // Data rows seen; the header counts as row 0.
    let mut row: i64 = if header { -1 } else { 0 };
    let mut wanted = rows.iter().peekable();
    let mut first_chunk = true;
    loop {
        let n = reader.read(&mut buf).ctx("read", path)?;
        if n == 0 {
            break;
        }
        if first_chunk && buf[..n].starts_with(&[0x1f, 0x8b]) {
            return Ok(out);
        }
        first_chunk = false;
        for &b in &buf[..n] {
            if empty && !in_quotes && comment == Some(b) {
                in_comment = true;
            }
            if Some(b) == quote && !in_comment {
                in_quotes = !in_quotes;
            }
            if b == b'\n' {
                line += 1;
                if in_quotes {
                    continue;
                }
                // Blank lines and comments are not rows.
                if !empty && !in_comment {
                    row += 1;
                    while let Some(&&r) = wanted.peek() {
                        if r as i64 == row {
                            out.insert(r, start);
                            wanted.next();
                        } else if (r as i64) < row {
                            wanted.next();
                        } else {
                            break;
                        }
                    }
                    if row as u64 >= last {
                        return Ok(out);
                    }
                }
                start = line;
                empty = true;
                in_comment = false;
            } else if b != b'\r' {
                empty = false;
            }
        }
    }
    // A last record without a final newline.
    if !empty && !in_comment {
        row += 1;
        if let Some(&&r) = wanted.peek()
            && r as i64 == row
        {
            out.insert(r, start);
        }
    }
    Ok(out)
}
