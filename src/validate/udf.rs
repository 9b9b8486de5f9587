//! kiln's own functions of a column, as polars expressions. polars runs a
//! function made by `Expr::map` on a blocking thread of a pool of its own,
//! in case the function runs a query itself; the streaming engine's
//! threads, left free, decode further ahead, and the pool's threads then
//! contend with them for the cores over batches no longer in cache. These
//! functions run no query, so they run where the batch is, like polars'
//! own kernels.

use polars::prelude::*;

/// `f` of each batch of `e`, typed by `output`: `Expr::map`, on the
/// engine's own threads. `f` must not run a query of its own.
pub fn map<F, DT>(e: Expr, f: F, output: DT) -> Expr
where
    F: Fn(Column) -> PolarsResult<Column> + Send + Sync + 'static,
    DT: Fn(&Schema, &Field) -> PolarsResult<Field> + Send + Sync + 'static,
{
    e.map_many(
        move |c: &mut [Column]| f(std::mem::take(&mut c[0])),
        &[],
        move |schema: &Schema, fields: &[Field]| output(schema, &fields[0]),
    )
}
