//! Durations as XML Schema 1.1 values: a number of months and a number of
//! seconds, ordered only partly (is `P1M` more than `P30D`? it depends on
//! the month), by the four reference instants the standard names.

use std::cmp::Ordering;

/// Fractions of a second are kept to this many digits, exactly.
const FRACTION_DIGITS: usize = 18;
const UNITS_PER_SECOND: i128 = 1_000_000_000_000_000_000;

/// A duration's value: months and seconds (in units of 10⁻¹⁸ s), both
/// signed by the duration's sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Duration {
    pub months: i64,
    pub units: i128,
}

impl Duration {
    /// A fixed length of `units` of 10⁻¹⁸ s (a stored duration has no months).
    pub fn fixed(units: i128) -> Duration {
        Duration { months: 0, units }
    }

    /// Units of 10⁻¹⁸ s in one unit of a stored duration's `per_second`.
    pub fn unit(per_second: i128) -> i128 {
        UNITS_PER_SECOND / per_second
    }

    /// The value of an ISO 8601 duration as Table Schema writes it
    /// (`-P1Y2M3W4DT5H6M7.5S`); `None` for other text, and for a fraction
    /// finer than 10⁻¹⁸ s, which kiln does not compare.
    pub fn parse(s: &str) -> Option<Duration> {
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let s = s.strip_prefix('P')?;
        let (date, time) = match s.split_once('T') {
            Some((d, t)) if !t.is_empty() => (d, Some(t)),
            Some(_) => return None,
            None => (s, None),
        };
        let mut months: i64 = 0;
        let mut units: i128 = 0;
        let mut any = false;
        for (number, designator) in parts(date, "YMWD")? {
            any = true;
            let n: i64 = number.parse().ok()?;
            match designator {
                'Y' => months = months.checked_add(n.checked_mul(12)?)?,
                'M' => months = months.checked_add(n)?,
                'W' => units = units.checked_add(days(n.checked_mul(7)?)?)?,
                'D' => units = units.checked_add(days(n)?)?,
                _ => return None,
            }
        }
        for (number, designator) in parts(time.unwrap_or(""), "HMS")? {
            any = true;
            let seconds = match designator {
                'H' => 3_600,
                'M' => 60,
                'S' => 1,
                _ => return None,
            };
            let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
            if fraction.len() > FRACTION_DIGITS || (designator != 'S' && !fraction.is_empty()) {
                return None;
            }
            let whole: i128 = whole.parse().ok()?;
            let fraction: i128 = if fraction.is_empty() {
                0
            } else {
                fraction.parse::<i128>().ok()?
                    * 10i128.pow((FRACTION_DIGITS - fraction.len()) as u32)
            };
            units = units.checked_add(
                whole
                    .checked_mul(seconds * UNITS_PER_SECOND)?
                    .checked_add(fraction)?,
            )?;
        }
        if !any {
            return None;
        }
        Some(if negative {
            Duration {
                months: -months,
                units: -units,
            }
        } else {
            Duration { months, units }
        })
    }

    /// The order of XML Schema 1.1 (part 2, 3.3.6.2): equal when months
    /// and seconds are; less when it is less from each of the four
    /// reference instants; `None` when the instants disagree, or when one
    /// lies past a million years, beyond kiln's calendar.
    pub fn compare(&self, other: &Duration) -> Option<Ordering> {
        if self == other {
            return Some(Ordering::Equal);
        }
        let mut seen = None;
        for (year, month) in [(1696, 9), (1697, 2), (1903, 3), (1903, 7)] {
            let order = self.from(year, month)?.cmp(&other.from(year, month)?);
            if order == Ordering::Equal || seen.is_some_and(|s| s != order) {
                return None;
            }
            seen = Some(order);
        }
        seen
    }

    /// The instant this duration after the first of (`year`, `month`),
    /// in units since 1970: day 1 needs no pinning to a month's end.
    fn from(&self, year: i64, month: i64) -> Option<i128> {
        let total = (year * 12 + (month - 1)).checked_add(self.months)?;
        let year = i32::try_from(total.div_euclid(12))
            .ok()
            .filter(|y| y.abs() <= 1_000_000)?;
        let first = crate::calendar::days_from_civil(year, (total.rem_euclid(12) + 1) as i32, 1);
        days(i64::from(first))?.checked_add(self.units)
    }

    /// A text naming this value, the same for every way of writing it.
    pub fn key(&self) -> String {
        format!("{}:{}", self.months, self.units)
    }
}

/// `n` days in units of 10⁻¹⁸ s; `None` past what 128 bits hold.
fn days(n: i64) -> Option<i128> {
    i128::from(n).checked_mul(86_400 * UNITS_PER_SECOND)
}

/// The (number, designator) parts of one half of a duration, each of
/// `designators` at most once and in their order; `None` if malformed.
fn parts<'a>(s: &'a str, designators: &str) -> Option<Vec<(&'a str, char)>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut next = 0;
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() || c == '.' {
            continue;
        }
        let number = &s[start..i];
        if number.is_empty() || !number.starts_with(|d: char| d.is_ascii_digit()) {
            return None;
        }
        next += designators[next..].find(c)? + 1;
        out.push((number, c));
        start = i + c.len_utf8();
    }
    (start == s.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Duration {
        Duration::parse(s).unwrap()
    }

    #[test]
    fn the_standards_examples_order_as_it_says() {
        // XML Schema 1.1 part 2, 3.3.6.2.
        assert_eq!(d("P1Y").compare(&d("P364D")), Some(Ordering::Greater));
        assert_eq!(d("P1Y").compare(&d("P365D")), None);
        assert_eq!(d("P1Y").compare(&d("P366D")), None);
        assert_eq!(d("P1Y").compare(&d("P367D")), Some(Ordering::Less));
        assert_eq!(d("P1M").compare(&d("P27D")), Some(Ordering::Greater));
        assert_eq!(d("P1M").compare(&d("P28D")), None);
        assert_eq!(d("P1M").compare(&d("P31D")), None);
        assert_eq!(d("P1M").compare(&d("P32D")), Some(Ordering::Less));
        assert_eq!(d("P5M").compare(&d("P149D")), Some(Ordering::Greater));
        assert_eq!(d("P5M").compare(&d("P153D")), None);
        assert_eq!(d("P5M").compare(&d("P154D")), Some(Ordering::Less));
        assert_eq!(d("P1D").compare(&d("PT24H")), Some(Ordering::Equal));
        assert_eq!(d("PT1.5S").key(), d("PT1.500S").key());
        assert_eq!(d("-P1D").compare(&d("PT0S")), Some(Ordering::Less));
    }

    #[test]
    fn what_is_not_a_duration_has_no_value() {
        for s in [
            "P", "PT", "P1DT", "1D", "P1.5D", "PT1.5H", "P1D1D", "P1D1Y", "PT.5S", "P1S",
        ] {
            assert_eq!(Duration::parse(s), None, "{s}");
        }
        assert_eq!(Duration::parse(&format!("PT0.{}S", "1".repeat(19))), None);
    }

    #[test]
    fn huge_durations_compare_as_none_without_overflow() {
        let max = format!("P{}Y", i64::MAX / 12);
        assert_eq!(d(&max).compare(&d("P1D")), None);
        assert_eq!(Duration::parse(&format!("P{}D", i64::MAX)), None);
        assert_eq!(Duration::parse(&format!("P{}W", i64::MAX / 2)), None);
        assert_eq!(Duration::parse(&format!("PT{}H", i64::MAX)), None);
        assert_eq!(d("P900000Y").compare(&d("P1D")), Some(Ordering::Greater));
    }
}
