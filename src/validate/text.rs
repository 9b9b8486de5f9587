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
    super::udf::map(
        text,
        |c: Column| {
            let out: Float64Chunked = c.str()?.iter().map(|v| v.map(share_repeated)).collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Float64)),
    )
}

/// Whether each text has fewer than `n` characters (`shorter`) or more
/// than `n`; null where the text is. A text's bytes bound its characters
/// (one to four bytes each), so characters are counted only where its
/// length in bytes does not already say: a corpus's documents are mostly
/// far inside a bound, and counting every one's characters cost more than
/// the other text checks.
pub fn beyond_length(text: Expr, n: u64, shorter: bool) -> Expr {
    super::udf::map(
        text,
        move |c: Column| {
            let out: BooleanChunked =
                c.str()?
                    .apply_nonnull_values_generic(DataType::Boolean, |t: &str| {
                        let bytes = t.len() as u64;
                        if shorter {
                            bytes < n
                                || (bytes < n.saturating_mul(4) && (t.chars().count() as u64) < n)
                        } else {
                            bytes > n && t.chars().count() as u64 > n
                        }
                    });
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
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
    use super::*;

    #[test]
    fn lengths_beyond_a_bound_are_as_counted_in_characters() {
        let texts = [
            "", "a", "é", "ab", "aé", "éé", "€", "€€", "😀", "a😀", "😀😀", "abcd", "ééé",
        ];
        let cells: Vec<Option<&str>> = texts.iter().copied().map(Some).chain([None]).collect();
        for n in 0..6u64 {
            for shorter in [true, false] {
                let df = df!("t" => &cells).unwrap();
                let got = df
                    .lazy()
                    .select([beyond_length(col("t"), n, shorter)])
                    .collect()
                    .unwrap();
                let got: Vec<Option<bool>> =
                    got.column("t").unwrap().bool().unwrap().iter().collect();
                let want: Vec<Option<bool>> = cells
                    .iter()
                    .map(|t| {
                        t.map(|t| {
                            let chars = t.chars().count() as u64;
                            if shorter { chars < n } else { chars > n }
                        })
                    })
                    .collect();
                assert_eq!(got, want, "n {n}, shorter {shorter}");
            }
        }
    }

    #[test]
    fn repeated_lines_are_counted_after_their_first() {
        assert_eq!(share_repeated(""), 0.0);
        assert_eq!(share_repeated("a\nb\na\n  a  \n\n"), 0.5);
        assert_eq!(share_repeated("one line"), 0.0);
    }
}
