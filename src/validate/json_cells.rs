//! `object` and `array` fields written as JSON text (in CSV, or as strings
//! in JSON lines): Table Schema wants a JSON object or a JSON array, and
//! their lengths are counts of members or items.

use polars::prelude::*;

/// Which JSON value a field wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Object,
    Array,
}

/// The number of members or items of `text` read as JSON of `shape`;
/// `None` where it is not JSON of that shape.
fn measure(text: &str, shape: Shape) -> Option<u32> {
    match (serde_json::from_str::<serde_json::Value>(text).ok()?, shape) {
        (serde_json::Value::Object(m), Shape::Object) => Some(m.len() as u32),
        (serde_json::Value::Array(a), Shape::Array) => Some(a.len() as u32),
        _ => None,
    }
}

/// A JSON value's text, the same however it is written (members in one
/// order, no blanks, `1.0` as `1`), so that JSON values compare as values;
/// `None` where `text` is not JSON.
pub fn canonical(text: &str) -> Option<String> {
    fn normal(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::Number(n) => match n.as_f64() {
                Some(x) if x.fract() == 0.0 && x.abs() < 2f64.powi(53) => Value::from(x as i64),
                _ => Value::Number(n),
            },
            Value::Array(a) => Value::Array(a.into_iter().map(normal).collect()),
            Value::Object(o) => {
                // Sorted here: a dependency may have serde_json keep the
                // order written.
                let mut members: Vec<_> = o.into_iter().collect();
                members.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(members.into_iter().map(|(k, v)| (k, normal(v))).collect())
            }
            other => other,
        }
    }
    serde_json::from_str(text)
        .ok()
        .map(normal)
        .map(|v| v.to_string())
}

/// For text `v`: its member or item count where it is JSON of `shape`,
/// null elsewhere (a type error where the cell has a value).
pub fn length(v: Expr, shape: Shape) -> Expr {
    super::udf::map(
        v,
        move |c: Column| {
            let counts: UInt32Chunked = c.str()?.iter().map(|s| measure(s?, shape)).collect();
            Ok(counts.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::UInt32)),
    )
}
