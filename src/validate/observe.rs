//! Expressions that watch a pass's rows go by: each batch is handed to a
//! closure that gathers what it needs (a sketch, keys, sample rows) into
//! state it shares with the caller. The expression's own value means
//! nothing: callers aggregate it, so the pass evaluates it once.

use polars::prelude::*;

pub fn observe(
    input: Expr,
    watch: impl Fn(&Column) -> PolarsResult<()> + Send + Sync + 'static,
) -> Expr {
    super::udf::map(
        input,
        move |c: Column| {
            watch(&c)?;
            Ok(Column::new_scalar(
                c.name().clone(),
                Scalar::from(false),
                c.len(),
            ))
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}
