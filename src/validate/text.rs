//! Text checks on string values that polars has no expression for.

use std::collections::HashSet;

use polars::prelude::*;

/// A replacement character (U+FFFD, left by a bad decoding) or a control
/// character other than tab, newline and carriage return.
pub const INVALID: &str = r"[\x{FFFD}\x00-\x08\x0B\x0C\x0E-\x1F\x7F]";

/// The share of each value's lines (those not blank, compared without the
/// blanks around them) that repeat an earlier line of the same value; null
/// where the value is.
pub fn repeated_lines(text: Expr) -> Expr {
    text.map(
        |c: Column| {
            let out: Float64Chunked = c.str()?.iter().map(|v| v.map(share_repeated)).collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Float64)),
    )
}

fn share_repeated(value: &str) -> f64 {
    let mut seen = HashSet::new();
    let (mut lines, mut repeated) = (0u64, 0u64);
    for line in value.lines().map(str::trim).filter(|l| !l.is_empty()) {
        lines += 1;
        repeated += u64::from(!seen.insert(line));
    }
    if lines == 0 {
        0.0
    } else {
        repeated as f64 / lines as f64
    }
}

#[cfg(test)]
mod tests {
    use super::share_repeated;

    #[test]
    fn repeated_lines_are_counted_after_their_first() {
        assert_eq!(share_repeated(""), 0.0);
        assert_eq!(share_repeated("a\nb\na\n  a  \n\n"), 0.5);
        assert_eq!(share_repeated("one line"), 0.0);
    }
}
