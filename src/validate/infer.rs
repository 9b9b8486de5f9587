//! `kiln schema infer`: a schema written from one scan of a data file, that
//! the same file passes. Types are tried with the conversions `kiln check`
//! uses, so inference and checking cannot disagree.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

use polars::prelude::*;

use super::ValidateError;
use super::compile::{dtype_name, is_text, u64_at};
use super::convert::typed_value;
use super::source::{self, Format};
use crate::schema::{Field, FieldType};

/// Strings with at most this many distinct values get an `enum`.
const ENUM_MAX: usize = 10;

/// The types a text column is tried as, most specific first.
const TEXT_TYPES: [FieldType; 6] = [
    FieldType::Integer,
    FieldType::Number,
    FieldType::Boolean,
    FieldType::Date,
    FieldType::Datetime,
    FieldType::Time,
];

/// Texts that R, pandas and spreadsheets write for a missing value. Where a
/// column holds one of them and every other value has one type, they are
/// written as the field's `missingValues` instead of making it text.
const MISSING_MARKERS: [&str; 5] = ["NA", "N/A", "null", "NaN", "-"];

/// An inferred schema, as YAML text.
pub struct Inferred {
    pub text: String,
    pub rows: u64,
    pub fields: usize,
}

/// A bound as YAML: numbers bare (floats in a form that reads back
/// exactly), everything else quoted.
fn value_at(df: &DataFrame, name: &str) -> Option<String> {
    let v = df.column(name).ok()?.get(0).ok()?;
    match v {
        AnyValue::Null => None,
        AnyValue::Float64(x) if x.is_finite() => Some(format!("{x:?}")),
        AnyValue::Float32(x) if x.is_finite() => Some(format!("{:?}", x as f64)),
        AnyValue::Float64(_) | AnyValue::Float32(_) => None,
        v if v.dtype().is_integer() => v.extract::<i64>().map(|i| i.to_string()),
        v => v
            .get_str()
            .map(|s| serde_json::to_string(&s.replacen(' ', "T", 1)).unwrap_or_default()),
    }
}

fn unreadable(path: &Path, format: Format, e: PolarsError) -> ValidateError {
    ValidateError::Unreadable {
        path: path.to_path_buf(),
        message: source::polars_message(&e, format),
    }
}

fn name(prefix: &str, j: usize, k: usize) -> String {
    format!("__kiln_{prefix}{j}_{k}")
}

/// Scans `path` once and writes a schema for it.
pub fn infer(path: &Path) -> Result<Inferred, ValidateError> {
    let format = Format::of(path).ok_or_else(|| ValidateError::UnknownFormat {
        path: path.to_path_buf(),
    })?;
    let meta = std::fs::metadata(path).map_err(|_| ValidateError::NotFound {
        path: path.to_path_buf(),
    })?;
    if meta.len() == 0 {
        return Err(ValidateError::Unreadable {
            path: path.to_path_buf(),
            message: "the file is empty".into(),
        });
    }
    let (_lines, mut lf, forced) = if format.is_json() {
        by_kinds(path, format).map_err(|message| ValidateError::Unreadable {
            path: path.to_path_buf(),
            message,
        })?
    } else {
        let lf = source::scan(path, format, &crate::schema::Dialect::default(), None, &[])
            .map_err(|e| unreadable(path, format, e))?;
        (None, lf, HashMap::new())
    };
    let schema = lf
        .collect_schema()
        .map_err(|e| unreadable(path, format, e))?;
    let columns: Vec<(String, DataType)> = schema
        .iter()
        .map(|(n, d)| (n.to_string(), d.clone()))
        .collect();

    let mut prep = Vec::new();
    let mut typed_cols = Vec::new();
    let mut aggs = vec![len().cast(DataType::UInt64).alias("__kiln_rows")];
    let mut enum_plans = Vec::new();
    for (j, (col_name, dtype)) in columns.iter().enumerate() {
        let text = is_text(dtype);
        let raw = if text {
            col(col_name.as_str()).cast(DataType::String)
        } else {
            col(col_name.as_str())
        };
        // The default missing value: an empty cell.
        let v = if text {
            when(raw.clone().eq(lit("")))
                .then(lit(Null {}).cast(DataType::String))
                .otherwise(raw.clone())
        } else {
            raw.clone()
        };
        let vname = name("v", j, 0);
        prep.push(v.clone().alias(vname.as_str()));
        let vc = col(vname.as_str());
        // The same with the common missing-value markers taken as missing,
        // for typing: a numeric column with a few `NA` is numeric.
        let marked = name("m", j, 0);
        if text {
            let is_marker = MISSING_MARKERS
                .iter()
                .map(|m| raw.clone().eq(lit(*m)))
                .reduce(|a, b| a.or(b))
                .unwrap_or(lit(false));
            prep.push(
                when(is_marker)
                    .then(lit(Null {}).cast(DataType::String))
                    .otherwise(v)
                    .alias(marked.as_str()),
            );
            for (k, m) in MISSING_MARKERS.iter().enumerate() {
                aggs.push(
                    vc.clone()
                        .eq(lit(*m))
                        .cast(DataType::UInt64)
                        .sum()
                        .alias(name("mk", j, k)),
                );
            }
        }
        let mc = col(marked.as_str());
        aggs.push(
            vc.clone()
                .count()
                .cast(DataType::UInt64)
                .alias(name("n", j, 0)),
        );
        aggs.push(
            vc.clone()
                .null_count()
                .cast(DataType::UInt64)
                .alias(name("z", j, 0)),
        );
        aggs.push(
            vc.clone()
                .n_unique()
                .cast(DataType::UInt64)
                .alias(name("u", j, 0)),
        );
        if text {
            for (k, kind) in TEXT_TYPES.iter().enumerate() {
                let k = k + 1;
                let typed = typed_value(&Field::new(col_name, *kind), mc.clone(), dtype);
                let tname = name("t", j, k);
                typed_cols.push(typed.alias(tname.as_str()));
                let tc = col(tname.as_str());
                let fails = mc.clone().is_not_null().and(tc.clone().is_null());
                aggs.push(fails.cast(DataType::UInt64).sum().alias(name("f", j, k)));
                if *kind != FieldType::Boolean {
                    let (lo, hi) = if matches!(
                        kind,
                        FieldType::Date | FieldType::Datetime | FieldType::Time
                    ) {
                        // Bounds in the data's own text (its zone, its
                        // fractions), which reads back as the same instant.
                        let at = |bound: Expr| mc.clone().filter(tc.clone().eq(bound)).first();
                        (at(tc.clone().min()), at(tc.clone().max()))
                    } else {
                        (
                            min_max(tc.clone().min(), kind),
                            min_max(tc.clone().max(), kind),
                        )
                    };
                    aggs.push(lo.alias(name("min", j, k)));
                    aggs.push(hi.alias(name("max", j, k)));
                    // Distinct typed values: "7" and "007" are one integer.
                    aggs.push(tc.n_unique().cast(DataType::UInt64).alias(name("u", j, k)));
                }
            }
            enum_plans.push(
                lf.clone()
                    .select([col(col_name.as_str()).cast(DataType::String).alias("value")])
                    .filter(col("value").neq(lit("")))
                    .unique(None, UniqueKeepStrategy::Any)
                    .limit((ENUM_MAX + 1) as IdxSize)
                    .logical_plan,
            );
        } else if orderable(dtype) {
            // Bounds of the values as `kiln check` types them.
            let kind = kind_of(dtype);
            let tv = typed_value(&Field::new(col_name, kind), vc, dtype);
            aggs.push(min_max(tv.clone().min(), &kind).alias(name("min", j, 0)));
            aggs.push(min_max(tv.max(), &kind).alias(name("max", j, 0)));
        }
    }
    let main = lf
        .clone()
        .select(prep)
        .with_columns(typed_cols)
        .select(aggs)
        .logical_plan;
    let mut plans = vec![main];
    plans.extend(enum_plans);
    // One run: the enum plans share the main plan's scan of the file.
    let mut results = LazyFrame::collect_all_with_engine(
        plans,
        Engine::Streaming,
        lf.get_current_optimizations(),
    )
    .map_err(|e| unreadable(path, format, e))?
    .into_iter();
    let df = results.next().unwrap_or_default();
    let rows = u64_at(&df, "__kiln_rows");

    let mut out = String::new();
    let shown = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "# Inferred by `kiln schema infer` from {shown} ({} rows). Review before use.",
        rows
    );
    out.push_str("fields:\n");
    for (j, (col_name, dtype)) in columns.iter().enumerate() {
        let mut present = u64_at(&df, &name("n", j, 0));
        let mut missing = u64_at(&df, &name("z", j, 0));
        let text = is_text(dtype);
        // The first text type every present value has; else string.
        let (kind, k) = if let Some(kind) = forced.get(col_name) {
            (*kind, 0)
        } else if text && present > 0 {
            TEXT_TYPES
                .iter()
                .enumerate()
                .find(|(k, _)| u64_at(&df, &name("f", j, k + 1)) == 0)
                .map(|(k, t)| (*t, k + 1))
                .unwrap_or((FieldType::String, 0))
        } else if text {
            (FieldType::String, 0)
        } else {
            (kind_of(dtype), 0)
        };
        // Markers seen in a column of another type are its missing values.
        let markers: Vec<&str> =
            if text && kind != FieldType::String && !forced.contains_key(col_name) {
                MISSING_MARKERS
                    .iter()
                    .enumerate()
                    .filter(|(m, _)| u64_at(&df, &name("mk", j, *m)) > 0)
                    .map(|(_, t)| *t)
                    .collect()
            } else {
                Vec::new()
            };
        for (m, _) in MISSING_MARKERS
            .iter()
            .enumerate()
            .filter(|_| !markers.is_empty())
        {
            let seen = u64_at(&df, &name("mk", j, m));
            missing += seen;
            present -= seen;
        }
        let distinct_typed = if k > 0 && kind != FieldType::Boolean {
            u64_at(&df, &name("u", j, k))
        } else {
            // n_unique counts null as a value.
            u64_at(&df, &name("u", j, 0)).saturating_sub(u64::from(missing > 0))
        };
        let (min, max) = (
            value_at(&df, &name("min", j, k)),
            value_at(&df, &name("max", j, k)),
        );
        let values: Option<Vec<String>> = if text && kind == FieldType::String {
            results.next().and_then(|d| enum_values(&d))
        } else {
            if text {
                results.next();
            }
            None
        };

        let mut stats = vec![
            format!("{missing} missing"),
            format!("{distinct_typed} distinct"),
        ];
        if let (Some(a), Some(b)) = (&min, &max) {
            stats.push(format!("min {a}, max {b}"));
        }
        let _ = writeln!(out, "  # observed: {}", stats.join(", "));
        let _ = writeln!(
            out,
            "  - name: {}",
            serde_json::to_string(col_name).unwrap_or_default()
        );
        let _ = writeln!(out, "    type: {}", kind.name());
        if !markers.is_empty() {
            let quoted: Vec<String> = std::iter::once("")
                .chain(markers.iter().copied())
                .map(|m| serde_json::to_string(m).unwrap_or_default())
                .collect();
            let _ = writeln!(out, "    missingValues: [{}]", quoted.join(", "));
        }
        if format.has_physical_types() {
            let _ = writeln!(
                out,
                "    dtype: {}",
                serde_json::to_string(&dtype_name(dtype)).unwrap_or_default()
            );
        }
        let mut constraints = Vec::new();
        if missing == 0 && rows > 0 {
            constraints.push("required: true".to_string());
        }
        // JSON values are distinct here by their text, but unique by value.
        let distinct_ok =
            !kind.is_composite() && !matches!(kind, FieldType::Boolean | FieldType::Number);
        if distinct_ok && present > 1 && distinct_typed == present {
            constraints.push("unique: true".to_string());
        }
        if matches!(
            kind,
            FieldType::Integer
                | FieldType::Number
                | FieldType::Date
                | FieldType::Datetime
                | FieldType::Time
        ) {
            if let Some(m) = &min {
                constraints.push(format!("minimum: {m}"));
            }
            if let Some(m) = &max {
                constraints.push(format!("maximum: {m}"));
            }
        }
        if let Some(values) = values {
            // Few values, each seen at least twice on average: a category.
            if !values.is_empty() && values.len() <= ENUM_MAX && present >= 2 * values.len() as u64
            {
                let quoted: Vec<String> = values
                    .iter()
                    .map(|v| serde_json::to_string(v).unwrap_or_default())
                    .collect();
                constraints.push(format!("enum: [{}]", quoted.join(", ")));
            }
        }
        if !constraints.is_empty() {
            out.push_str("    constraints:\n");
            for c in constraints {
                let _ = writeln!(out, "      {c}");
            }
        }
    }
    if rows > 0 {
        let _ = writeln!(
            out,
            "# at least as many rows as seen: data that shrinks is suspect"
        );
        let _ = writeln!(out, "rows: {{min: {rows}}}");
    }
    Ok(Inferred {
        text: out,
        rows,
        fields: columns.len(),
    })
}

fn enum_values(df: &DataFrame) -> Option<Vec<String>> {
    let c = df.column("value").ok()?.str().ok()?;
    let mut v: Vec<String> = (0..c.len())
        .filter_map(|i| c.get(i).map(str::to_string))
        .collect();
    v.sort();
    Some(v)
}

/// Numbers stay numbers (so floats print exactly); dates and times as text.
fn min_max(e: Expr, kind: &FieldType) -> Expr {
    match kind {
        FieldType::Integer | FieldType::Number | FieldType::Year => e,
        _ => e.cast(DataType::String),
    }
}

fn orderable(d: &DataType) -> bool {
    d.is_primitive_numeric()
        || d.is_decimal()
        || matches!(d, DataType::Date | DataType::Datetime(..) | DataType::Time)
}

/// A JSON file read as kiln's own pass found its members (so a member
/// whose values mix kinds is typed as `kiln check` reads it, where polars
/// would refuse it or make text of it): integers, numbers, `true` and
/// `false` where every value is one, else text; with the types text does
/// not tell: `object` or `array` where every value is one, else `any`
/// where the values mix kinds.
type ByKinds = (
    Option<tempfile::NamedTempFile>,
    LazyFrame,
    HashMap<String, FieldType>,
);

fn by_kinds(path: &Path, format: Format) -> Result<ByKinds, String> {
    use super::json_kinds::{self, Kind};
    let bit = |k: Kind| 1u8 << k as u8;
    let numbers = bit(Kind::Integer) | bit(Kind::Float);
    let mut forced = HashMap::new();
    let columns = |layout: &json_kinds::Layout| {
        layout
            .columns
            .iter()
            .zip(&layout.seen)
            .map(|((name, _), &seen)| {
                let values = seen & !bit(Kind::Absent);
                let dtype = match values {
                    0 => DataType::String,
                    v if v == bit(Kind::Integer) => DataType::Int64,
                    v if v & !numbers == 0 => DataType::Float64,
                    v if v == bit(Kind::Boolean) => DataType::Boolean,
                    v => {
                        let kind = match v {
                            v if v == bit(Kind::Text) => None,
                            v if v == bit(Kind::Object) => Some(FieldType::Object),
                            v if v == bit(Kind::Array) => Some(FieldType::Array),
                            _ => Some(FieldType::Any),
                        };
                        forced.extend(kind.map(|k| (name.clone(), k)));
                        DataType::String
                    }
                };
                (name.clone(), dtype)
            })
            .collect()
    };
    let (lines, lf, _) = json_kinds::scan(path, format, &[], columns)?;
    Ok((lines, lf, forced))
}

fn kind_of(d: &DataType) -> FieldType {
    match d {
        d if d.is_integer() => FieldType::Integer,
        d if d.is_float() || d.is_decimal() => FieldType::Number,
        DataType::Boolean => FieldType::Boolean,
        DataType::Date => FieldType::Date,
        DataType::Datetime(..) => FieldType::Datetime,
        DataType::Time => FieldType::Time,
        DataType::Duration(_) => FieldType::Duration,
        DataType::Struct(_) => FieldType::Object,
        DataType::List(_) | DataType::Array(..) => FieldType::Array,
        _ => FieldType::Any,
    }
}
