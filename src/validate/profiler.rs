//! The profile's summaries, gathered in the counting pass: each batch of a
//! column is summarised without a lock, then merged into the column's
//! summary under it.

use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;

use super::observe::observe;
use crate::stats::summary::{Distribution, MAX_CATEGORIES, Summary};

/// What is summarised of a column of a type.
#[derive(Clone, Copy)]
enum Kind {
    /// Their distribution; integers' values are also counted.
    Number { integer: bool },
    /// Their lengths, and their values counted.
    Text,
    /// Their values counted.
    Flag,
}

impl Kind {
    fn of(dtype: &DataType) -> Option<Kind> {
        match dtype {
            d if d.is_integer() => Some(Kind::Number { integer: true }),
            d if d.is_float() || d.is_decimal() => Some(Kind::Number { integer: false }),
            DataType::String | DataType::Categorical(..) | DataType::Enum(..) => Some(Kind::Text),
            DataType::Boolean => Some(Kind::Flag),
            _ => None,
        }
    }
}

pub type Shared = Arc<Mutex<Summary>>;

/// An expression that summarises each batch of `v` (typed `dtype`) into
/// the returned summary; `None` for types without one (dates and times,
/// nested values). Aggregate the expression so the pass evaluates it once.
pub fn summarise(v: Expr, dtype: &DataType) -> Option<(Expr, Shared)> {
    let kind = Kind::of(dtype)?;
    let shared: Shared = Arc::default();
    let summary = shared.clone();
    let expr = observe(v, move |c: &Column| {
        let counted = !lock(&summary).many;
        let local = batch(c, kind, counted)?;
        lock(&summary).merge(&local);
        Ok(())
    });
    Some((expr, shared))
}

pub fn lock(summary: &Shared) -> std::sync::MutexGuard<'_, Summary> {
    summary.lock().unwrap_or_else(PoisonError::into_inner)
}

fn batch(c: &Column, kind: Kind, counted: bool) -> PolarsResult<Summary> {
    let s = c.as_materialized_series();
    let mut out = Summary::default();
    match kind {
        Kind::Number { integer } => {
            let x = s.cast(&DataType::Float64)?;
            out.values = Some(Distribution::of(x.f64()?.iter().flatten().collect()));
            if integer && counted {
                let x = s.cast(&DataType::Int128)?;
                count(&mut out, x.i128()?.iter().flatten(), |v| v.to_string());
            }
        }
        Kind::Text => {
            let x = s.cast(&DataType::String)?;
            let texts = x.str()?;
            let lengths = texts.iter().flatten().map(|t| t.chars().count() as f64);
            out.lengths = Some(Distribution::of(lengths.collect()));
            if counted {
                count(&mut out, texts.iter().flatten(), str::to_string);
            }
        }
        Kind::Flag => count(&mut out, s.bool()?.iter().flatten(), |b| b.to_string()),
    }
    Ok(out)
}

/// Counts a batch's values, giving up (the column has `many`) as soon as
/// there are more distinct values than a summary keeps.
fn count<T: std::hash::Hash + Eq + Copy>(
    out: &mut Summary,
    values: impl Iterator<Item = T>,
    text: impl Fn(T) -> String,
) {
    let mut counts: PlHashMap<T, u64> = PlHashMap::default();
    for v in values {
        *counts.entry(v).or_default() += 1;
        if counts.len() > MAX_CATEGORIES {
            out.merge_categories(None, true);
            return;
        }
    }
    let counts = counts.into_iter().map(|(v, n)| (text(v), n)).collect();
    out.merge_categories(Some(&counts), false);
}
