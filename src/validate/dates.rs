//! Dates written `YYYY-MM-DD`, the default form of a date field, parsed
//! here rather than by polars' general strptime, which took a tenth of a
//! whole check. Any other text goes to polars' own parser, so a value reads
//! as the same date (or as none) either way.

use polars::prelude::*;

use crate::calendar::days_from_civil;

/// The format this module reads.
pub const ISO: &str = "%Y-%m-%d";

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
    v.map(
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
    v.map(
        move |c: Column| {
            let texts = c.str()?;
            let name = c.name().clone();
            let column = match &dtype {
                DataType::Date => texts
                    .iter()
                    .map(|s| iso_days(s?.as_bytes()))
                    .collect::<Int32Chunked>()
                    .with_name(name)
                    .into_date()
                    .into_column(),
                DataType::Time => texts
                    .iter()
                    .map(|s| time_ns(s?.as_bytes()))
                    .collect::<Int64Chunked>()
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
