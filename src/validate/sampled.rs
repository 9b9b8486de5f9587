//! Sample rows of failing cell checks: the first few failing rows of each
//! check are noted during the counting pass, and their values read in one
//! more pass that stops at the last of them, instead of a pass per check.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;

use super::compile::{Compiled, Measure, ROW};
use super::report::Sample;

/// An expression that notes the first `n` rows (in file order) where
/// `mask` is true in the returned list; its own value is meaningless:
/// aggregate it so the pass evaluates it once.
pub fn first_rows(mask: Expr, n: usize) -> (Expr, Arc<Mutex<Vec<u64>>>) {
    let found = Arc::new(Mutex::new(Vec::new()));
    let shared = found.clone();
    let expr = as_struct(vec![col(ROW), mask]).map(
        move |c: Column| {
            let fields = c.struct_()?.fields_as_series();
            let rows = fields[0].cast(&DataType::UInt64)?;
            let failing: Vec<u64> = rows
                .u64()?
                .iter()
                .zip(fields[1].bool()?.iter())
                .filter_map(|(row, m)| row.filter(|_| m == Some(true)))
                .take(n)
                .collect();
            if !failing.is_empty() {
                // Batches arrive in any order: keep the earliest n overall.
                let mut all = shared.lock().unwrap_or_else(PoisonError::into_inner);
                all.extend(failing);
                all.sort_unstable();
                all.truncate(n);
            }
            Ok(Column::new_scalar(
                c.name().clone(),
                Scalar::from(false),
                c.len(),
            ))
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    );
    (expr, found)
}

/// The rows noted for each check (by its number), with the value each
/// check shows for them, read from `lf` (the text scan `c` was compiled
/// for) as far as the last of them.
pub fn values(
    lf: &LazyFrame,
    c: &Compiled,
    wanted: &[(usize, Vec<u64>)],
) -> PolarsResult<HashMap<usize, Vec<Sample>>> {
    let rows: BTreeSet<u64> = wanted.iter().flat_map(|(_, r)| r.iter().copied()).collect();
    let Some(&last) = rows.last() else {
        return Ok(HashMap::new());
    };
    let row = || col(ROW).cast(DataType::UInt64);
    let mut select = vec![row().alias(ROW)];
    for (k, _) in wanted {
        if let Measure::Cells { value, .. } = &c.checks[*k].measure {
            select.push(
                value
                    .clone()
                    .cast(DataType::String)
                    .alias(format!("__kiln_sv{k}")),
            );
        }
    }
    let wanted_rows = rows
        .iter()
        .map(|&r| row().eq(lit(r)))
        .reduce(Expr::or)
        .unwrap_or_else(|| lit(false));
    let df = c
        .prepared(lf.clone().slice(0, last as IdxSize), true)
        .filter(wanted_rows)
        .select(select)
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let at: HashMap<u64, usize> = df
        .column(ROW)?
        .u64()?
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((r?, i)))
        .collect();
    let mut out = HashMap::new();
    for (k, rows) in wanted {
        let Ok(values) = df.column(&format!("__kiln_sv{k}")) else {
            continue;
        };
        let values = values.str()?;
        let samples = rows
            .iter()
            .map(|&r| {
                let value = at.get(&r).and_then(|&i| values.get(i)).map(str::to_string);
                Sample::new(r, None, value)
            })
            .collect();
        out.insert(*k, samples);
    }
    Ok(out)
}
