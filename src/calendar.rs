//! Calendar arithmetic shared by schema literals and cell parsers.

/// Days since 1970-01-01 of a valid proleptic Gregorian date, as polars
/// stores a date, by Howard Hinnant's algorithm: a tenth of the cost of a
/// jiff span, per cell.
pub fn days_from_civil(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
