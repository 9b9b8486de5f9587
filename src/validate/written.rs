//! Values written as text, as reports show them and as keys are
//! fingerprinted: by polars' cast, except durations, which polars cannot
//! cast to text and which are written in ISO 8601 (as Table Schema's
//! `duration` type reads them). One place, so that a column of any type
//! can be shown and keyed.

use polars::prelude::*;

/// The values of `s` as text (nulls stay null).
pub fn text_of(s: &Series) -> PolarsResult<Series> {
    match s.dtype() {
        DataType::Duration(_) => Ok(s.duration()?.to_string("iso")?.into_series()),
        _ => s.cast(&DataType::String),
    }
}

/// The values of `e` as text, whatever its type turns out to be.
pub fn as_text(e: Expr) -> Expr {
    super::udf::map(
        e,
        |c: Column| Ok(text_of(c.as_materialized_series())?.into_column()),
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}
