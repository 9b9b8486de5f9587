//! Sample rows of failing checks, read over growing windows of a file's
//! first rows. Cell checks are sampled all at once: a clean file pays
//! nothing, a broken one a pass over its first rows (growing only while
//! they hold too few failures), not a pass per check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;

use super::compile::{Compiled, Measure, ROW};
use super::observe::observe;
use super::report::Sample;

/// Rows read first for samples (failures there are failures of the file),
/// and how much each further window grows.
const FIRST_WINDOW: u64 = 1 << 16;
const GROWTH: u64 = 16;

type Noted = Arc<Mutex<Vec<(u64, Option<String>)>>>;

/// An expression that notes the first `n` rows (in file order) where
/// `mask` is true, with `value`, in the returned list; its own value is
/// meaningless: aggregate it so the pass evaluates it once.
fn first_rows(mask: Expr, value: Expr, n: usize) -> (Expr, Noted) {
    let found: Noted = Arc::new(Mutex::new(Vec::new()));
    let shared = found.clone();
    // Members named apart: a mask and a value may both be named after their column.
    let members = vec![
        col(ROW).alias("row"),
        mask.alias("failed"),
        value.cast(DataType::String).alias("value"),
    ];
    let expr = observe(as_struct(members), move |c: &Column| {
        let fields = c.struct_()?.fields_as_series();
        let rows = fields[0].cast(&DataType::UInt64)?;
        let failing: Vec<(u64, Option<String>)> = rows
            .u64()?
            .iter()
            .zip(fields[1].bool()?.iter())
            .zip(fields[2].str()?.iter())
            .filter_map(|((row, m), v)| {
                Some((row.filter(|_| m == Some(true))?, v.map(str::to_string)))
            })
            .take(n)
            .collect();
        if !failing.is_empty() {
            // Batches arrive in any order: keep the earliest n overall.
            let mut all = shared.lock().unwrap_or_else(PoisonError::into_inner);
            all.extend(failing);
            all.sort_unstable_by_key(|(r, _)| *r);
            all.truncate(n);
        }
        Ok(())
    });
    (expr, found)
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
            .map(|(k, rows)| {
                let rows =
                    std::mem::take(&mut *rows.lock().unwrap_or_else(PoisonError::into_inner));
                let samples = rows
                    .into_iter()
                    .map(|(row, value)| Sample::new(row, None, value))
                    .collect();
                (k, samples)
            })
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
