//! Sample rows of failing checks. A pass that reads the file's own
//! columns notes them as it counts failures ([`first_rows`]); where the
//! counting pass read other columns (a delimited file's typed read), cell
//! checks are sampled all at once over growing windows of the file's first
//! rows: a clean file pays nothing, a broken one a pass over its first
//! rows (growing only while they hold too few failures), not a pass per
//! check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;

use super::compile::{Compiled, Measure, ROW};
use super::report::Sample;
use super::written;

/// Rows read first for samples (failures there are failures of the file),
/// and how much each further window grows.
const FIRST_WINDOW: u64 = 1 << 16;
const GROWTH: u64 = 16;

pub type Noted = Arc<Mutex<Vec<(u64, Option<String>)>>>;

/// `mask` itself (sum it to count the failures), noting on the way the
/// first `n` rows (in file order) where it is true, with `value`, in the
/// returned list. Only failing rows' values are turned into text, so a
/// pass that counts failures gathers their samples at little cost.
pub fn first_rows(mask: Expr, value: Expr, n: usize) -> (Expr, Noted) {
    let found: Noted = Arc::new(Mutex::new(Vec::new()));
    let shared = found.clone();
    // Members named apart: a mask and a value may both be named after their column.
    let members = vec![
        col(ROW).alias("row"),
        mask.alias("failed"),
        value.alias("value"),
    ];
    let expr = super::udf::map(
        as_struct(members),
        move |c: Column| {
            let fields = c.struct_()?.fields_as_series();
            let failed = fields[1].bool()?;
            // Most batches fail nothing: one look at the bits says so.
            let at: Vec<IdxSize> = if failed.any() {
                failed
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| *m == Some(true))
                    .take(n)
                    .map(|(i, _)| i as IdxSize)
                    .collect()
            } else {
                Vec::new()
            };
            if !at.is_empty() {
                let at = IdxCa::from_vec("at".into(), at);
                let rows = fields[0].take(&at)?.cast(&DataType::UInt64)?;
                let values = written::text_of(&fields[2].take(&at)?)?;
                let failing = rows.u64()?.iter().zip(values.str()?.iter());
                let failing = failing.filter_map(|(row, v)| Some((row?, v.map(str::to_string))));
                // Batches arrive in any order: keep the earliest n overall.
                let mut all = shared.lock().unwrap_or_else(PoisonError::into_inner);
                all.extend(failing);
                all.sort_unstable_by_key(|(r, _)| *r);
                all.truncate(n);
            }
            Ok(fields[1].clone().with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    );
    (expr, found)
}

/// The samples `first_rows` noted.
pub fn samples(noted: &Noted) -> Vec<Sample> {
    std::mem::take(&mut *noted.lock().unwrap_or_else(PoisonError::into_inner))
        .into_iter()
        .map(|(row, value)| Sample::new(row, None, value))
        .collect()
}

/// Up to `n` failing rows, in file order, of each of the cell `checks` (by
/// number) over `lf`, the scan `c` was compiled for; `rows` is the file's.
pub fn gather(
    lf: &LazyFrame,
    c: &Compiled,
    checks: &[usize],
    n: usize,
    rows: u64,
) -> PolarsResult<HashMap<usize, Vec<Sample>>> {
    if checks.is_empty() {
        return Ok(HashMap::new());
    }
    in_windows(lf, rows, FIRST_WINDOW, GROWTH, |part| {
        let mut aggs = Vec::new();
        let mut noted = Vec::new();
        for &k in checks {
            if let Measure::Cells { mask, value } = &c.checks[k].measure {
                let (expr, rows) = first_rows(mask.clone(), value.clone(), n);
                aggs.push(expr.sum().alias(format!("__kiln_s{k}")));
                noted.push((k, rows));
            }
        }
        c.prepared(part, true)
            .select(aggs)
            .collect_with_engine(Engine::Streaming)?;
        let found: HashMap<usize, Vec<Sample>> = noted
            .into_iter()
            .map(|(k, noted)| (k, samples(&noted)))
            .collect();
        let enough = found.values().all(|s| s.len() >= n);
        Ok((found, enough))
    })
}

/// What `look` finds in the first `first` rows of `lf` (of `rows`), or if
/// it says that was not enough, in windows `growth` times larger, up to the
/// whole scan: samples are usually found early, and a window read stops
/// there.
pub fn in_windows<T>(
    lf: &LazyFrame,
    rows: u64,
    first: u64,
    growth: u64,
    mut look: impl FnMut(LazyFrame) -> PolarsResult<(T, bool)>,
) -> PolarsResult<T> {
    let mut window = first;
    loop {
        let all = window >= rows;
        let part = if all {
            lf.clone()
        } else {
            lf.clone().slice(0, window as IdxSize)
        };
        let (found, enough) = look(part)?;
        if all || enough {
            return Ok(found);
        }
        window = window.saturating_mul(growth);
    }
}
