//! Dates written `YYYY-MM-DD`, the default form of a date field, parsed
//! here rather than by polars' general strptime, which took a tenth of a
//! whole check. Any other text goes to polars' own parser, so a value reads
//! as the same date (or as none) either way.

use polars::prelude::*;
use polars_arrow::array::{Array, View};
use polars_arrow::bitmap::MutableBitmap;

use super::distinct::view_slot;
use crate::calendar::days_from_civil;

/// The format this module reads.
pub const ISO: &str = "%Y-%m-%d";

/// Texts read before, by view, in slots picked by a hash of the view.
const MEMO_BITS: u32 = 10;

/// Calls `each` with `read` of each text of `texts` in order (`None` for
/// a null cell). A column's dates and times repeat (a year holds 366
/// dates, a day 86,400 seconds), and a text of up to 12 bytes is all in
/// its view: its reading is kept by the view, and a repeat costs a lookup,
/// not a reading.
fn read_each<T: Copy>(
    texts: &StringChunked,
    read: impl Fn(&[u8]) -> Option<T>,
    mut each: impl FnMut(Option<Option<T>>),
) {
    let mut memo: Vec<Option<(u128, Option<T>)>> = vec![None; 1 << MEMO_BITS];
    for a in texts.downcast_iter() {
        for (i, view) in a.views().iter().enumerate() {
            if !a.is_valid(i) {
                each(None);
                continue;
            }
            if view.length > View::MAX_INLINE_SIZE {
                // SAFETY: `i` is an index of `a`.
                each(Some(read(unsafe { a.value_unchecked(i) }.as_bytes())));
                continue;
            }
            let key = view.as_u128();
            let slot = &mut memo[view_slot(key, MEMO_BITS)];
            let value = match *slot {
                Some((k, value)) if k == key => value,
                _ => {
                    let bytes = key.to_le_bytes();
                    let value = read(&bytes[4..4 + view.length as usize]);
                    *slot = Some((key, value));
                    value
                }
            };
            each(Some(value));
        }
    }
}

/// [`read_each`]'s readings, none where the cell is null or unread.
fn read_all<T: Copy>(texts: &StringChunked, read: impl Fn(&[u8]) -> Option<T>) -> Vec<Option<T>> {
    let mut out = Vec::with_capacity(texts.len());
    read_each(texts, read, |v| out.push(v.flatten()));
    out
}

/// Days since 1970-01-01 of `s`, if it is exactly `YYYY-MM-DD` and a real date.
fn iso_days(s: &[u8]) -> Option<i32> {
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0i16, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + i16::from(b - b'0'))
        })
    };
    let (y, m, d) = (number(&s[..4])?, number(&s[5..7])?, number(&s[8..])?);
    jiff::civil::Date::new(y, m as i8, d as i8).ok()?;
    Some(days_from_civil(i32::from(y), i32::from(m), i32::from(d)))
}

/// `v` (text) parsed with the format `%Y-%m-%d` as polars' strptime parses
/// it: a `Date`, null where the text is not one.
pub fn parse_iso(v: Expr) -> Expr {
    super::udf::map(
        v,
        |c: Column| {
            let texts = c.str()?;
            let mut others = Vec::new();
            let mut days: Vec<Option<i32>> = texts
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let s = s?;
                    let d = iso_days(s.as_bytes());
                    if d.is_none() {
                        others.push(i);
                    }
                    d
                })
                .collect();
            if !others.is_empty() {
                let rest: StringChunked = others.iter().map(|&i| texts.get(i)).collect();
                let parsed = rest.as_date(Some(ISO), false)?;
                for (k, &i) in others.iter().enumerate() {
                    days[i] = parsed.physical().get(k);
                }
            }
            let days = Int32Chunked::from_iter(days).with_name(c.name().clone());
            Ok(days.into_date().into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Date)),
    )
}

/// Two ASCII digits as a number.
fn two(s: &[u8]) -> Option<i64> {
    match s {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
        }
        _ => None,
    }
}

/// `hh:mm:ss` with an optional fraction, as nanoseconds since midnight, and
/// the bytes after it.
fn clock(s: &[u8]) -> Option<(i64, &[u8])> {
    if s.len() < 8 || s[2] != b':' || s[5] != b':' {
        return None;
    }
    let (h, m, sec) = (two(&s[..2])?, two(&s[3..5])?, two(&s[6..8])?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut nanos = ((h * 60 + m) * 60 + sec) * 1_000_000_000;
    let mut rest = &s[8..];
    if let [b'.', tail @ ..] = rest {
        let digits = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let mut frac = 0i64;
        for (i, b) in tail[..digits].iter().enumerate().take(9) {
            frac += i64::from(b - b'0') * 10i64.pow(8 - i as u32);
        }
        nanos += frac;
        rest = &tail[digits..];
    }
    Some((nanos, rest))
}

/// XML Schema `dateTime`, the default form of a datetime field:
/// `YYYY-MM-DDThh:mm:ss[.f][Z|±hh:mm]`, as microseconds since the epoch in
/// UTC (a value without a zone is taken as UTC, as polars takes it).
fn datetime_us(s: &[u8]) -> Option<i64> {
    if s.len() < 19 || s[10] != b'T' {
        return None;
    }
    let days = i64::from(iso_days(&s[..10])?);
    let (nanos, zone) = clock(&s[11..])?;
    let offset = match zone {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (two(&[*h1, *h2])?, two(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    Some((days * 86_400 - offset * 60) * 1_000_000 + nanos / 1_000)
}

/// `hh:mm:ss[.f]`, the default form of a time field, as nanoseconds.
fn time_ns(s: &[u8]) -> Option<i64> {
    match clock(s)? {
        (nanos, []) => Some(nanos),
        _ => None,
    }
}

/// `v` (text) in the default form of `kind`'s type (Table Schema: exactly
/// `YYYY-MM-DD`, `hh:mm:ss`, or XML Schema `dateTime`): the value, null
/// where the text is not in that form. Parsed here, in one pass and with no
/// other form accepted, where polars' strptime tried a list of formats.
pub fn parse_default(v: Expr, dtype: DataType) -> Expr {
    let out = dtype.clone();
    super::udf::map(
        v,
        move |c: Column| {
            let texts = c.str()?;
            let name = c.name().clone();
            let column = match &dtype {
                DataType::Date => Int32Chunked::from_iter(read_all(texts, iso_days))
                    .with_name(name)
                    .into_date()
                    .into_column(),
                DataType::Time => Int64Chunked::from_iter(read_all(texts, time_ns))
                    .with_name(name)
                    .into_time()
                    .into_column(),
                _ => texts
                    .iter()
                    .map(|s| datetime_us(s?.as_bytes()))
                    .collect::<Int64Chunked>()
                    .with_name(name)
                    .into_datetime(TimeUnit::Microseconds, None)
                    .into_column(),
            };
            Ok(column)
        },
        move |_, field| Ok(Field::new(field.name().clone(), out.clone())),
    )
}

/// A numeric field of a strptime pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Field(Unit),
    Text(u8),
}

/// A strptime pattern of numeric fields and plain text (`%d/%m/%Y`,
/// `%Y-%m-%d %H:%M:%S`), read here when each value has one reading: every
/// field of one or two digits is followed by text or the end, not by
/// another number. Values it does not read go to polars' strptime, held to
/// the pattern's shape, so each value reads as the same date, time or
/// datetime (or as none) either way.
#[derive(Clone, Debug)]
pub struct Pattern {
    parts: Vec<Part>,
    format: String,
    shape: regex::Regex,
    dtype: DataType,
}

impl Pattern {
    /// The pattern `format` for values of `dtype`, whose text matches
    /// `shape`; none where the pattern is not one this module reads (other
    /// directives, a field twice, fields missing for the type, or numbers
    /// side by side).
    pub fn new(format: &str, dtype: &DataType, shape: &str) -> Option<Pattern> {
        let mut parts = Vec::new();
        let mut bytes = format.bytes();
        while let Some(b) = bytes.next() {
            if !b.is_ascii() {
                return None;
            }
            if b != b'%' {
                parts.push(Part::Text(b));
                continue;
            }
            parts.push(match bytes.next()? {
                b'Y' => Part::Field(Unit::Year),
                b'm' => Part::Field(Unit::Month),
                b'd' => Part::Field(Unit::Day),
                b'H' => Part::Field(Unit::Hour),
                b'M' => Part::Field(Unit::Minute),
                b'S' => Part::Field(Unit::Second),
                b'%' => Part::Text(b'%'),
                _ => return None,
            });
        }
        let fields: Vec<Unit> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Field(f) => Some(*f),
                Part::Text(_) => None,
            })
            .collect();
        let mut wanted = match dtype {
            DataType::Date => vec![Unit::Year, Unit::Month, Unit::Day],
            DataType::Time => vec![Unit::Hour, Unit::Minute, Unit::Second],
            DataType::Datetime(TimeUnit::Microseconds, None) => vec![
                Unit::Year,
                Unit::Month,
                Unit::Day,
                Unit::Hour,
                Unit::Minute,
                Unit::Second,
            ],
            _ => return None,
        };
        let mut sorted = fields.clone();
        sorted.sort_by_key(|f| *f as u8);
        wanted.sort_by_key(|f| *f as u8);
        if sorted != wanted {
            return None;
        }
        // A field of one or two digits must be followed by text that is no digit.
        let ambiguous = parts.windows(2).any(|w| match w {
            [Part::Field(f), next] if *f != Unit::Year => {
                !matches!(next, Part::Text(t) if !t.is_ascii_digit())
            }
            _ => false,
        });
        if ambiguous {
            return None;
        }
        Some(Pattern {
            parts,
            format: format.to_string(),
            shape: regex::Regex::new(shape).ok()?,
            dtype: dtype.clone(),
        })
    }

    /// Year, month, day, hour, minute, second of `s`, if it is written
    /// exactly as the pattern says with plain digits and is a real date and
    /// time.
    fn read(&self, s: &[u8]) -> Option<[i64; 6]> {
        // Each field's bounds, in the order of `Unit`.
        const BOUNDS: [(i64, i64); 6] = [(0, 9999), (1, 12), (1, 31), (0, 23), (0, 59), (0, 59)];
        let mut out = [1970, 1, 1, 0, 0, 0];
        let mut at = 0;
        for part in &self.parts {
            match *part {
                Part::Text(t) => {
                    if *s.get(at)? != t {
                        return None;
                    }
                    at += 1;
                }
                Part::Field(f) => {
                    // A year has four digits, the others one or two.
                    let most = if f == Unit::Year { 4 } else { 2 };
                    let (mut value, mut digits) = (0i64, 0);
                    while let Some(&b) = s.get(at + digits) {
                        let digit = b.wrapping_sub(b'0');
                        if digit > 9 {
                            break;
                        }
                        if digits == most {
                            return None;
                        }
                        value = value * 10 + i64::from(digit);
                        digits += 1;
                    }
                    let (lo, hi) = BOUNDS[f as usize];
                    if digits == 0 || (f == Unit::Year && digits != 4) || value < lo || value > hi {
                        return None;
                    }
                    out[f as usize] = value;
                    at += digits;
                }
            }
        }
        if at != s.len() {
            return None;
        }
        let [y, m, d, ..] = out;
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        let days_in_month = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (d <= days_in_month).then_some(out)
    }

    /// The value of `s` as polars stores `dtype`: days, nanoseconds since
    /// midnight, or microseconds since the epoch.
    fn value(&self, s: &[u8]) -> Option<i64> {
        let [y, m, d, h, mi, sec] = self.read(s)?;
        let days = i64::from(days_from_civil(y as i32, m as i32, d as i32));
        let seconds = (h * 60 + mi) * 60 + sec;
        Some(match self.dtype {
            DataType::Date => days,
            DataType::Time => seconds * 1_000_000_000,
            _ => (days * 86_400 + seconds) * 1_000_000,
        })
    }

    /// The values polars' strptime gives the texts this module does not read,
    /// held to the pattern's shape.
    fn others(&self, texts: &StringChunked) -> PolarsResult<Int64Chunked> {
        let shaped: StringChunked = texts
            .iter()
            .map(|s| s.filter(|s| self.shape.is_match(s)))
            .collect();
        Ok(match &self.dtype {
            DataType::Date => shaped
                .as_date(Some(&self.format), false)?
                .physical()
                .cast(&DataType::Int64)?
                .i64()?
                .clone(),
            DataType::Time => shaped
                .as_time(Some(&self.format), false)?
                .physical()
                .clone(),
            _ => {
                let ambiguous = StringChunked::from_slice("ambiguous".into(), &["raise"]);
                shaped
                    .as_datetime(
                        Some(&self.format),
                        TimeUnit::Microseconds,
                        false,
                        false,
                        None,
                        &ambiguous,
                    )?
                    .physical()
                    .clone()
            }
        })
    }
}

/// `v` (text) read with `pattern`: its type's values, null where the text
/// is not one.
pub fn parse_pattern(v: Expr, pattern: Pattern) -> Expr {
    let out = pattern.dtype.clone();
    super::udf::map(
        v,
        move |c: Column| {
            let texts = c.str()?;
            // Values and validity built apart: a collected `Option` per
            // cell cost as much as the reading.
            let mut values = vec![0i64; texts.len()];
            let mut valid = MutableBitmap::from_len_set(texts.len());
            let mut others = Vec::new();
            let mut i = 0;
            read_each(
                texts,
                |s| pattern.value(s),
                |read| {
                    match read {
                        Some(Some(v)) => values[i] = v,
                        Some(None) => others.push(i),
                        None => valid.set(i, false),
                    }
                    i += 1;
                },
            );
            if !others.is_empty() {
                let rest: StringChunked = others.iter().map(|&i| texts.get(i)).collect();
                let parsed = pattern.others(&rest)?;
                for (k, &i) in others.iter().enumerate() {
                    match parsed.get(k) {
                        Some(v) => values[i] = v,
                        None => valid.set(i, false),
                    }
                }
            }
            let validity = (valid.unset_bits() > 0).then(|| valid.into());
            let values = Int64Chunked::from_vec_validity(c.name().clone(), values, validity);
            let column = match &pattern.dtype {
                DataType::Date => values
                    .cast(&DataType::Int32)?
                    .i32()?
                    .clone()
                    .into_date()
                    .into_column(),
                DataType::Time => values.into_time().into_column(),
                _ => values
                    .into_datetime(TimeUnit::Microseconds, None)
                    .into_column(),
            };
            Ok(column)
        },
        move |_, field| Ok(Field::new(field.name().clone(), out.clone())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Readings kept by view are those of reading every text: repeats,
    /// texts that share a slot, texts past 12 bytes, nulls, and texts that
    /// read as none, across the chunks of a column.
    #[test]
    fn each_text_reads_as_read_alone() {
        let mut next = super::super::profiler::xorshift(0x2545_f491_4f6c_dd1d);
        let cells: Vec<Option<String>> = (0..20_000)
            .map(|_| match next() % 10 {
                0 => None,
                1 => Some(format!(
                    "2024-01-{:02}T00:00:{:02}",
                    next() % 40,
                    next() % 60
                )),
                2 => Some(format!(
                    "{:02}:{:02}:{:02}",
                    next() % 25,
                    next() % 61,
                    next() % 61
                )),
                3 => Some(String::new()),
                _ => Some(format!("2024-{:02}-{:02}", next() % 14, next() % 33)),
            })
            .collect();
        let mut texts = StringChunked::from_iter(cells[..7_000].iter().map(Option::as_deref));
        texts
            .append(&StringChunked::from_iter(
                cells[7_000..].iter().map(Option::as_deref),
            ))
            .unwrap();
        assert_eq!(texts.chunks().len(), 2);
        let read = |s: &[u8]| iso_days(s).map(i64::from).or_else(|| time_ns(s));
        let mut got = Vec::new();
        read_each(&texts, read, |v| got.push(v));
        let want: Vec<Option<Option<i64>>> = cells
            .iter()
            .map(|c| c.as_ref().map(|s| read(s.as_bytes())))
            .collect();
        assert_eq!(got, want);
        assert!(want.iter().flatten().flatten().count() > 5_000);
    }
}
