//! How a column's values become its field's type: numbers by the field's
//! lexical options, dates and times by kiln's own parsers or strptime held
//! to the pattern's shape, string formats by the RFCs' grammars, JSON cells
//! by their shape. Each conversion yields null where a value is not of the
//! type, which the type check counts.

use std::cmp::Ordering;

use polars::prelude::*;
use polars_arrow::array::MutableBinaryViewArray;

use super::compile::{is_text, null_of, one_of, t};
use super::{dates, geo, json_cells, list};
use crate::duration::Duration as Span;
use crate::schema::{Field, FieldType, Literal};

/// How a column's values become its field's type.
pub(super) enum Typed {
    /// No conversion: every value is of the type.
    Same,
    /// A conversion that yields null where a value is not of the type.
    Parsed(Expr),
    /// The column's physical type cannot hold the field's type: every
    /// value fails. Carries the type the field would have.
    Incompatible(DataType),
}

impl Typed {
    /// The type of the typed values of `f` over a column stored as `physical`.
    pub(super) fn dtype(&self, f: &Field, physical: &DataType) -> DataType {
        match self {
            Typed::Same => physical.clone(),
            _ => target(f.kind),
        }
    }

    /// The typed values, given the column's own values `v`.
    pub(super) fn expr(&self, v: Expr) -> Expr {
        match self {
            Typed::Same => v,
            Typed::Parsed(e) => e.clone(),
            Typed::Incompatible(dtype) => null_of(dtype.clone()),
        }
    }
}

/// A column's values typed as `f` says, null where they are not of its
/// type: the same conversion `kiln check` applies.
pub fn typed_value(f: &Field, v: Expr, physical: &DataType) -> Expr {
    typed(f, v.clone(), physical).expr(v)
}

pub(super) fn target(kind: FieldType) -> DataType {
    match kind {
        FieldType::Integer | FieldType::Year => DataType::Int64,
        FieldType::Number => DataType::Float64,
        FieldType::Boolean => DataType::Boolean,
        FieldType::Date => DataType::Date,
        FieldType::Datetime => DataType::Datetime(TimeUnit::Microseconds, None),
        FieldType::Time => DataType::Time,
        _ => DataType::String,
    }
}

/// Whether each text of `v` matches `re`, a regular expression anchored at
/// both ends with no alternative at its top (`^X$`, so that any match is
/// the whole text), walked as a pattern is (see [`super::pattern`]): the
/// regex engine's search per value was most of a `year` column's cost.
fn matches_re(v: Expr, re: &str) -> Expr {
    super::pattern::mismatches(v, re).not()
}

pub(super) fn json_shape(kind: FieldType) -> json_cells::Shape {
    if kind == FieldType::Object {
        json_cells::Shape::Object
    } else {
        json_cells::Shape::Array
    }
}

/// `below` (a comparison with a lower bound), or the value is NaN, which is
/// no number a bound can hold.
pub(super) fn or_nan(below: Expr, j: usize, dtype: &DataType) -> Expr {
    if dtype.is_float() {
        below.or(col(t(j)).is_nan())
    } else {
        below
    }
}

/// Durations `v` (text, or stored with a fixed length) as [`spans`] reads
/// them: a stored one as its count of the unit's 10⁻¹⁸ s.
fn span_input(v: Expr, dtype: &DataType) -> (Expr, Option<i128>) {
    match dtype {
        DataType::Duration(u) => (
            v.cast(DataType::Int64),
            Some(Span::unit(match u {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            })),
        ),
        _ => (v, None),
    }
}

/// Each value's span (`None` inside for one kiln cannot read exactly);
/// `None` where null.
fn spans(c: &Column, per_unit: Option<i128>) -> PolarsResult<Vec<Option<Option<Span>>>> {
    Ok(match per_unit {
        Some(per) => c
            .i64()?
            .iter()
            .map(|n| n.map(|n| Some(Span::fixed(i128::from(n) * per))))
            .collect(),
        None => c.str()?.iter().map(|s| s.map(Span::parse)).collect(),
    })
}

/// For durations `v`: `each` of every value's span, of type `out`; null
/// where `v` is.
fn map_spans<X, F>(v: Expr, dtype: &DataType, out: DataType, each: F) -> Expr
where
    F: Fn(Option<Span>) -> X + Send + Sync + 'static,
    X: 'static,
    Series: NamedFrom<Vec<Option<X>>, [Option<X>]>,
{
    let (v, per_unit) = span_input(v, dtype);
    super::udf::map(
        v,
        move |c: Column| {
            let values: Vec<Option<X>> = spans(&c, per_unit)?
                .into_iter()
                .map(|d| d.map(&each))
                .collect();
            Ok(Series::new(c.name().clone(), values).into_column())
        },
        move |_, field| {
            Ok(polars::prelude::Field::new(
                field.name().clone(),
                out.clone(),
            ))
        },
    )
}

/// For durations `v`: true where a value's order to `bound` (XML Schema's
/// partial one) is none of `passing`; a value kiln cannot compare exactly
/// fails too.
pub(super) fn duration_outside(
    v: Expr,
    dtype: &DataType,
    bound: &str,
    passing: &'static [Ordering],
) -> Expr {
    let Some(bound) = Span::parse(bound) else {
        return lit(true);
    };
    map_spans(v, dtype, DataType::Boolean, move |d| {
        !d.and_then(|d| d.compare(&bound))
            .is_some_and(|o| passing.contains(&o))
    })
}

/// For durations `v`: each value as [`Span::key`] names it, the same
/// however it is written or stored (`P1D` is `PT24H`).
pub(super) fn duration_key(v: Expr, dtype: &DataType) -> Expr {
    map_spans(v, dtype, DataType::String, |d| {
        d.map_or_else(|| "inexact".to_string(), |d| d.key())
    })
}

fn keep_if(v: Expr, ok: Expr) -> Expr {
    when(ok).then(v).otherwise(null_of(DataType::String))
}

fn strptime(v: Expr, dtype: DataType, formats: &[&str]) -> Expr {
    let attempts: Vec<Expr> = formats
        .iter()
        .map(|f| {
            if dtype == DataType::Date && *f == dates::ISO {
                return dates::parse_iso(v.clone());
            }
            let opts = StrptimeOptions {
                format: Some((*f).into()),
                strict: false,
                exact: true,
                cache: false,
            };
            let parsed = v.clone().str().strptime(dtype.clone(), opts, lit("raise"));
            // Zone-aware parses hold UTC instants; naive UTC compares with them.
            if matches!(dtype, DataType::Datetime(_, _)) {
                parsed.cast(DataType::Datetime(TimeUnit::Microseconds, None))
            } else {
                parsed
            }
        })
        .collect();
    if attempts.len() == 1 {
        attempts
            .into_iter()
            .next()
            .unwrap_or_else(|| null_of(dtype))
    } else {
        coalesce(&attempts)
    }
}

/// A local part of dot-separated atoms (no leading, trailing or doubled
/// dot), `@`, and a host name: labels of letters, digits and inner hyphens,
/// the last one letters (or an IDN `xn--` label).
const EMAIL: &str = concat!(
    r"^[^@\s.]+(?:\.[^@\s.]+)*@",
    r"(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+",
    r"(?:\p{L}{2,}|xn--[A-Za-z0-9-]+)$"
);
/// RFC 3986: a scheme, an optional authority whose host may be an
/// IP-literal in brackets (closed), then path, query and fragment of the
/// characters the RFC allows, or percent-encoded bytes.
const URI: &str = concat!(
    r"^[A-Za-z][A-Za-z0-9+.\-]*:",
    r"(?://(?:(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*@)?",
    r"(?:\[[0-9A-Fa-f:.vV]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)",
    r"(?::[0-9]*)?)?",
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*$"
);
const UUID: &str = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const BASE64: &str = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$";
const YEARMONTH: &str = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$";
const DURATION: &str = r"^-?P(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?(?:T(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?$";
/// XML Schema `gYear`: at least four digits.
const YEAR: &str = r"^-?[0-9]{4,}$";

/// A regular expression for the text a strptime pattern reads, as C and
/// Python read it (`%Y` four digits, `%m` one or two, …); `None` for
/// `any` or a directive without a fixed shape here.
fn pattern_shape(format: &str) -> Option<String> {
    if !format.contains('%') {
        return None;
    }
    let mut out = String::from("^");
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push_str(&regex::escape(&c.to_string()));
            continue;
        }
        out.push_str(match chars.next()? {
            'Y' => r"[0-9]{4}",
            'y' | 'C' => r"[0-9]{2}",
            'm' => r"(?:1[0-2]|0?[1-9])",
            'd' | 'e' => r"(?:3[01]|[12][0-9]|0?[1-9]| [1-9])",
            'H' => r"(?:2[0-3]|[01]?[0-9])",
            'I' => r"(?:1[0-2]|0?[1-9])",
            'M' => r"[0-5]?[0-9]",
            // Python's datetime has no leap second.
            'S' => r"[0-5]?[0-9]",
            'j' => r"[0-9]{1,3}",
            'f' => r"[0-9]{1,9}",
            'p' => r"(?i:am|pm)",
            'b' | 'h' | 'B' | 'a' | 'A' => r"\p{L}+",
            'z' => r"(?:Z|[+-][0-9]{2}:?[0-9]{2})",
            'T' => r"[0-9]{2}:[0-9]{2}:[0-9]{2}",
            'D' => r"[0-9]{2}/[0-9]{2}/[0-9]{2}",
            'F' => r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
            '%' => "%",
            _ => return None,
        });
    }
    out.push('$');
    Some(out)
}

/// The date and time forms read for a field's format: its one pattern
/// (`%d/%m/%Y`), or for `any` the common forms.
fn temporal_formats(kind: FieldType, format: &str) -> Vec<String> {
    if format.contains('%') {
        return vec![format.to_string()];
    }
    let list: &[&str] = match kind {
        FieldType::Date => &[dates::ISO, "%d/%m/%Y", "%Y/%m/%d", "%d.%m.%Y"],
        FieldType::Time => &["%H:%M:%S", "%H:%M:%S%.f"],
        FieldType::Datetime => &[
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%SZ",
            "%Y-%m-%dT%H:%M:%S%.fZ",
            "%Y-%m-%dT%H:%M:%S%:z",
            "%Y-%m-%dT%H:%M:%S%.f%:z",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M:%S%.f",
        ],
        _ => &[],
    };
    list.iter().map(|f| f.to_string()).collect()
}

/// Texts `v` as number text (`number_text`), and whether each is an
/// integer's digits, of any length (Table Schema bounds no integer).
pub(super) fn integer_digits(f: &Field, v: Expr) -> (Expr, Expr) {
    let digits = number_text(f, v);
    let integer = digits.clone().str().contains(lit(r"^[+-]?[0-9]+$"), true);
    (digits, integer)
}

/// Cleans a number's text as the field says: group separators dropped, a
/// decimal comma made a point, and (without `bareNumber`) text around it cut.
pub(super) fn number_text(f: &Field, v: Expr) -> Expr {
    let mut e = v;
    if let Some(g) = &f.group_char {
        e = e.str().replace_all(lit(g.as_str()), lit(""), true);
    }
    // `decimalChar` replaces the point: with `,` a `.` left after the group
    // separators makes the cell no number (a letter the cast refuses).
    if f.kind == FieldType::Number
        && let Some(d) = f.decimal_char.as_deref().filter(|d| *d != ".")
    {
        e = e.str().replace_all(lit("."), lit("x"), true);
        e = e.str().replace_all(lit(d), lit("."), true);
    }
    if !f.bare_number {
        // Only text around the number may go: `12abc34` and `1.2.3%` are
        // no numbers (nothing matches, the cell is null, a type error).
        let pattern = if f.kind == FieldType::Integer {
            r"^[^0-9+-]*([-+]?[0-9]+)[^0-9]*$"
        } else {
            r"^[^0-9.+-]*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)[^0-9.]*$"
        };
        e = e.str().extract(lit(pattern), 1);
    }
    e
}

/// Text `e` with the blanks (spaces, tabs) around each value cut, as the
/// CSV reader's number parsing ignores them. An array with no value to cut
/// (nearly every one) is kept as it is: polars' `strip_chars` wrote a copy
/// of every text, a tenth of the check of a file whose number column the
/// reader could not type.
pub(super) fn blanks_trimmed(e: Expr) -> Expr {
    let blank = |c: char| c == ' ' || c == '\t';
    super::udf::map(
        e,
        move |c: Column| {
            let texts = c.str()?;
            let arrays = texts.downcast_iter().map(|a| {
                let padded = a
                    .values_iter()
                    .any(|v| v.starts_with(blank) || v.ends_with(blank));
                if !padded {
                    return a.clone();
                }
                a.iter()
                    .map(|v| v.map(|v| v.trim_matches(blank)))
                    .collect::<MutableBinaryViewArray<str>>()
                    .into()
            });
            Ok(StringChunked::from_chunk_iter(c.name().clone(), arrays).into_column())
        },
        |_, field| Ok(field.clone()),
    )
}

pub(super) fn typed(f: &Field, v: Expr, physical: &DataType) -> Typed {
    if f.kind == FieldType::Any {
        return Typed::Same;
    }
    if is_text(physical) {
        return typed_text(f, v);
    }
    let kind = f.kind;
    if stored_json(f, physical) {
        return typed_text(f, json_text(v));
    }
    match physical {
        // Every integer is one however wide (Table Schema sets no bound):
        // a column wider than 64 signed bits keeps its own type.
        DataType::UInt64 | DataType::Int128 | DataType::UInt128 if kind == FieldType::Integer => {
            Typed::Same
        }
        p if p.is_integer() && matches!(kind, FieldType::Integer | FieldType::Year) => {
            Typed::Parsed(v.cast(DataType::Int64))
        }
        p if p.is_float() && kind == FieldType::Integer => {
            // A float column holds integers where no value has a fraction.
            let whole = v.clone().cast(DataType::Int64);
            Typed::Parsed(
                when(whole.clone().cast(DataType::Float64).eq(v))
                    .then(whole)
                    .otherwise(null_of(DataType::Int64)),
            )
        }
        p if p.is_primitive_numeric() || p.is_decimal() => {
            if kind == FieldType::Number {
                Typed::Parsed(v.cast(DataType::Float64))
            } else if kind == FieldType::Boolean && p.is_integer() {
                Typed::Parsed(
                    when(v.clone().eq(lit(1)))
                        .then(lit(true))
                        .when(v.eq(lit(0)))
                        .then(lit(false))
                        .otherwise(null_of(DataType::Boolean)),
                )
            } else {
                Typed::Incompatible(target(kind))
            }
        }
        DataType::Boolean if kind == FieldType::Boolean => Typed::Same,
        DataType::Date if kind == FieldType::Date => Typed::Same,
        DataType::Date if kind == FieldType::Datetime => Typed::Parsed(v.cast(target(kind))),
        DataType::Datetime(_, _) if kind == FieldType::Datetime => {
            Typed::Parsed(v.cast(target(kind)))
        }
        DataType::Time if kind == FieldType::Time => Typed::Same,
        // A list stored as one holds its items typed.
        DataType::List(inner) | DataType::Array(inner, _)
            if kind == FieldType::List && holds_items(inner, f.item_type) =>
        {
            Typed::Same
        }
        DataType::Duration(_) if kind == FieldType::Duration => Typed::Same,
        DataType::Struct(_) if kind == FieldType::Object => Typed::Same,
        DataType::List(_) | DataType::Array(..) if kind == FieldType::Array => Typed::Same,
        _ => Typed::Incompatible(target(kind)),
    }
}

fn typed_text(f: &Field, v: Expr) -> Typed {
    let format = f.format.as_deref();
    match f.kind {
        FieldType::String => match format {
            Some("email") => Typed::Parsed(keep_if(v.clone(), matches_re(v, EMAIL))),
            Some("uri") => Typed::Parsed(keep_if(v.clone(), matches_re(v, URI))),
            Some("uuid") => Typed::Parsed(keep_if(v.clone(), matches_re(v, UUID))),
            Some("binary") => Typed::Parsed(keep_if(v.clone(), matches_re(v, BASE64))),
            _ => Typed::Same,
        },
        FieldType::Integer => Typed::Parsed(number_text(f, v).cast(DataType::Int64)),
        FieldType::Number => Typed::Parsed(number_text(f, v).cast(DataType::Float64)),
        FieldType::Year => Typed::Parsed(
            when(matches_re(v.clone(), YEAR))
                .then(v.cast(DataType::Int64))
                .otherwise(null_of(DataType::Int64)),
        ),
        FieldType::Boolean => {
            let texts = |vals: &Vec<String>| -> Vec<Literal> {
                vals.iter().cloned().map(Literal::Str).collect()
            };
            Typed::Parsed(
                when(one_of(v.clone(), &texts(&f.true_values), DataType::String))
                    .then(lit(true))
                    .when(one_of(v, &texts(&f.false_values), DataType::String))
                    .then(lit(false))
                    .otherwise(null_of(DataType::Boolean)),
            )
        }
        FieldType::Date | FieldType::Time | FieldType::Datetime => {
            // The default forms are exact (zero-padded, nothing around
            // them), which polars' parsers are not: kiln reads them itself.
            let Some(format) = format else {
                return Typed::Parsed(dates::parse_default(v, target(f.kind)));
            };
            // chrono's `%Y` takes any number of digits (`24`), Python's and
            // C's four: a pattern is also held to its text's shape.
            let shape = pattern_shape(format);
            // Plain numeric patterns (`%d/%m/%Y`) are read here, in one pass.
            if let Some(pattern) = shape
                .as_deref()
                .filter(|_| !super::slow_paths())
                .and_then(|s| dates::Pattern::new(format, &target(f.kind), s))
            {
                return Typed::Parsed(dates::parse_pattern(v, pattern));
            }
            let formats = temporal_formats(f.kind, format);
            let refs: Vec<&str> = formats.iter().map(String::as_str).collect();
            let parsed = strptime(v.clone(), target(f.kind), &refs);
            Typed::Parsed(match shape {
                Some(shape) => when(matches_re(v, &shape))
                    .then(parsed)
                    .otherwise(null_of(target(f.kind))),
                None => parsed,
            })
        }
        FieldType::Object | FieldType::Array => Typed::Parsed(keep_if(
            v.clone(),
            json_cells::length(v, json_shape(f.kind)).is_not_null(),
        )),
        FieldType::List => {
            let item = Field::new(&f.name, f.item_type);
            // An integer item of any length, as an integer cell.
            let ok = if f.item_type == FieldType::Integer {
                integer_digits(&item, list::item()).1
            } else {
                match typed_text(&item, list::item()) {
                    Typed::Parsed(parsed) => parsed.is_not_null(),
                    _ => return Typed::Same,
                }
            };
            Typed::Parsed(keep_if(
                v.clone(),
                list::all_items(v, f.list_delimiter.clone(), ok),
            ))
        }
        FieldType::GeoPoint => {
            let form = geo::PointForm::of(format).unwrap_or(geo::PointForm::Pair);
            Typed::Parsed(keep_if(
                v.clone(),
                geo::holds(v, move |s| geo::is_point(s, form)),
            ))
        }
        FieldType::GeoJson => {
            let topo = format == Some("topojson");
            Typed::Parsed(keep_if(
                v.clone(),
                geo::holds(v, move |s| geo::is_geojson(s, topo)),
            ))
        }
        FieldType::YearMonth => Typed::Parsed(keep_if(v.clone(), matches_re(v, YEARMONTH))),
        // The pattern allows every part to be absent: `P` and `PT` name no
        // duration, so a digit must follow the designator.
        FieldType::Duration => Typed::Parsed(keep_if(
            v.clone(),
            matches_re(v.clone(), DURATION).and(v.str().contains(lit(r"[0-9][A-Z]?$"), true)),
        )),
        _ => Typed::Same,
    }
}

/// Whether a stored list's items are of `item` (a list of `item_type`).
fn holds_items(inner: &DataType, item: FieldType) -> bool {
    match item {
        FieldType::String => is_text(inner),
        FieldType::Integer => inner.is_integer(),
        FieldType::Number => inner.is_primitive_numeric() || inner.is_decimal(),
        FieldType::Boolean => *inner == DataType::Boolean,
        FieldType::Date => *inner == DataType::Date,
        FieldType::Datetime => matches!(inner, DataType::Datetime(..)),
        FieldType::Time => *inner == DataType::Time,
        _ => false,
    }
}

/// A composite value's text as it compares: JSON values and geopoints are
/// equal by value, not by how they are written. `None` where `text` is no
/// value of the type.
pub(super) type ValueKey = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How the text values of field `f` compare (for `enum` and `unique`), and
/// how a value written in the schema does (a geopoint there may be written
/// in any of its forms); `None` for types compared as they are typed.
/// Lists compare by [`list_key`], durations by [`duration_key`].
pub(super) fn value_key(f: &Field) -> Option<(ValueKey, ValueKey)> {
    match f.kind {
        FieldType::Object | FieldType::Array | FieldType::GeoJson => {
            let key: ValueKey = Arc::new(json_cells::canonical);
            Some((key.clone(), key))
        }
        FieldType::GeoPoint => {
            use geo::PointForm::*;
            let form = geo::PointForm::of(f.format.as_deref()).unwrap_or(Pair);
            Some((
                Arc::new(move |s| geo::point_key(s, form)),
                Arc::new(|s| {
                    [Pair, Array, Object]
                        .into_iter()
                        .find_map(|f| geo::point_key(s, f))
                }),
            ))
        }
        _ => None,
    }
}

/// For list texts `v` of field `f`: each one's value as a text (see
/// [`list::keyed`]), its items typed as cells of the item type are.
pub(super) fn list_key(f: &Field, v: Expr) -> Expr {
    let item = Field::new(&f.name, f.item_type);
    let value = match typed_text(&item, list::item()) {
        // An integer item past 64 bits has no typed value: its digits.
        Typed::Parsed(parsed) if f.item_type == FieldType::Integer => {
            let (digits, integer) = integer_digits(&item, list::item());
            when(parsed.clone().is_not_null())
                .then(parsed.cast(DataType::String))
                .when(integer)
                .then(canonical_digits(digits))
                .otherwise(null_of(DataType::String))
        }
        Typed::Parsed(parsed) => parsed.cast(DataType::String),
        _ => list::item(),
    };
    list::keyed(v, f.list_delimiter.clone(), value)
}

/// An integer's digits (of any length) as they compare: without a sign
/// `+` or leading zeros.
pub(super) fn canonical_digits(digits: Expr) -> Expr {
    digits
        .str()
        .replace(lit(r"^\+"), lit(""), false)
        .str()
        .replace(lit(r"^(-?)0+([0-9])"), lit("$1$2"), false)
}

/// Whether the values of field `f` compare by value, not as typed: JSON
/// values and places ([`value_key`]), lists ([`list_key`]) and durations
/// ([`duration_key`]).
pub(super) fn by_value(f: &Field) -> bool {
    value_key(f).is_some() || matches!(f.kind, FieldType::List | FieldType::Duration)
}

/// The values an `enum` of field `f` lists, keyed as the field's own values
/// are where they compare by value ([`by_value`]); `None` elsewhere. A
/// listed value that is none of the type is dropped.
pub(super) fn listed_keys(f: &Field, listed: &[Literal]) -> Option<Vec<Literal>> {
    let texts = listed.iter().filter_map(|l| match l {
        Literal::Str(s) => Some(s.as_str()),
        _ => None,
    });
    let keys: Vec<String> = match (value_key(f), f.kind) {
        (Some((_, key)), _) => texts.filter_map(|s| key(s)).collect(),
        (None, FieldType::List) => listed_list_keys(f, texts)
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect(),
        (None, FieldType::Duration) => texts
            .filter_map(|s| Span::parse(s).map(|d| d.key()))
            .collect(),
        _ => return None,
    };
    Some(keys.into_iter().map(Literal::Str).collect())
}

/// The [`list_key`]s of lists written in the schema, as a JSON array or as
/// the data writes them; `None` for one that is no list of the item type.
fn listed_list_keys<'a>(
    f: &Field,
    written: impl Iterator<Item = &'a str>,
) -> PolarsResult<Vec<Option<String>>> {
    let texts: Vec<String> = written
        .map(|w| list::from_json(w, &f.list_delimiter).unwrap_or_else(|| w.to_string()))
        .collect();
    let df = DataFrame::new(
        texts.len(),
        vec![Series::new("v".into(), texts).into_column()],
    )?;
    let keys = df
        .lazy()
        .select([list_key(f, col("v")).alias("v")])
        .collect()?;
    Ok(keys
        .column("v")?
        .str()?
        .iter()
        .map(|k| k.map(str::to_string))
        .collect())
}

/// For text `v`: `key` of each value; null where there is none.
pub(super) fn keyed(v: Expr, key: ValueKey) -> Expr {
    super::udf::map(
        v,
        move |c: Column| {
            let out: StringChunked = c.str()?.iter().map(|s| s.and_then(|s| key(s))).collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, field| {
            Ok(polars::prelude::Field::new(
                field.name().clone(),
                DataType::String,
            ))
        },
    )
}

/// A place stored as a struct or a list: kiln judges it by the JSON text a
/// JSON file would hold, as it judges such a file's cells. (An object or an
/// array stored so is of its type already: only its comparisons read that
/// text, see [`value_text`].)
fn stored_json(f: &Field, physical: &DataType) -> bool {
    matches!(f.kind, FieldType::GeoPoint | FieldType::GeoJson)
        && matches!(
            physical,
            DataType::Struct(_) | DataType::List(_) | DataType::Array(..)
        )
}

/// The text the value keys of a JSON value or a place read (see
/// [`value_key`]): its typed text, or a stored one's JSON text.
pub(super) fn value_text(typed: Expr, stored: Expr, typed_dtype: &DataType) -> Expr {
    if is_text(typed_dtype) {
        typed
    } else {
        json_text(stored)
    }
}

/// A struct or list column's values as JSON text (null where null).
/// kiln's own writer: polars' has no form for some stored types.
pub(super) fn json_text(v: Expr) -> Expr {
    super::udf::map(
        v,
        |c: Column| {
            let s = c.as_materialized_series();
            let out: StringChunked = s
                .iter()
                .map(|a| (!a.is_null()).then(|| json_of(&a).to_string()))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, field| {
            Ok(polars::prelude::Field::new(
                field.name().clone(),
                DataType::String,
            ))
        },
    )
}

/// A struct's fields with a value, as a JSON object (see [`json_of`]).
fn object<'a>(
    fields: impl Iterator<Item = (&'a polars::prelude::Field, AnyValue<'a>)>,
) -> serde_json::Value {
    serde_json::Value::Object(
        fields
            .filter(|(_, x)| !x.is_null())
            .map(|(f, x)| (f.name().to_string(), json_of(&x)))
            .collect(),
    )
}

/// A stored value as JSON: numbers and booleans as themselves, lists as
/// arrays, structs as objects of their fields with a value (a struct has
/// every field on every row: a null one is a member the row does not
/// have, as its length counts it), anything else as its text.
fn json_of(a: &AnyValue) -> serde_json::Value {
    use serde_json::Value;
    match a {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::List(s) | AnyValue::Array(s, _) => {
            Value::Array(s.iter().map(|x| json_of(&x)).collect())
        }
        AnyValue::Struct(_, _, fields) => object(fields.iter().zip(a._iter_struct_av())),
        AnyValue::StructOwned(payload) => object(payload.1.iter().zip(payload.0.iter().cloned())),
        a if a.is_integer() => match (a.extract::<i64>(), a.extract::<u64>()) {
            (Some(i), _) => Value::from(i),
            (_, Some(u)) => Value::from(u),
            _ => Value::String(a.to_string()),
        },
        a if a.is_float() => a
            .extract::<f64>()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(a.to_string()), Value::Number),
        AnyValue::String(s) => Value::String((*s).to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        other => Value::String(other.to_string()),
    }
}
