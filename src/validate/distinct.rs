//! Repeated keys counted inside the streaming pass. polars counts distinct
//! values with a partitioned group-by, which cost more than all the other
//! checks of a table together; a set that each batch of rows is looked up
//! in and added to, under one lock, costs a fraction of that.

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;

/// How the values of a one-column key are remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// Integers, remembered as themselves: the count is exact.
    Integer,
    /// Text, remembered by a 64-bit fingerprint. Two texts may share one,
    /// so a count above zero may be too high and is recounted exactly; a
    /// count of zero is exact, since equal texts share their fingerprint.
    Text,
}

impl KeyKind {
    /// The kind for a key typed `dtype`; `None` where polars counts.
    pub fn of(dtype: &DataType) -> Option<KeyKind> {
        if dtype.is_integer() {
            Some(KeyKind::Integer)
        } else if *dtype == DataType::String {
            Some(KeyKind::Text)
        } else {
            None
        }
    }

    pub fn is_exact(self) -> bool {
        self == KeyKind::Integer
    }
}

/// For each row, whether its key was seen on another row before it in this
/// pass (false where the key is null), so the sum is the number of repeats.
/// Each call makes a fresh set: use the expression in one plan, once.
pub fn seen_before(key: Expr, kind: KeyKind) -> Expr {
    let seen = Arc::new(Mutex::new(PlHashSet::<u64>::default()));
    let fingerprint = PlRandomState::default();
    key.map(
        move |c: Column| {
            let mut seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
            let mut repeat = |v: Option<u64>| v.is_some_and(|v| !seen.insert(v));
            let repeated: BooleanChunked = match kind {
                KeyKind::Integer => {
                    let ints = c.cast(&DataType::Int64)?;
                    ints.i64()?.iter().map(|v| repeat(v.map(|v| v as u64))).collect()
                }
                KeyKind::Text => c
                    .str()?
                    .iter()
                    .map(|v| repeat(v.map(|s| fingerprint.hash_one(s))))
                    .collect(),
            };
            Ok(repeated.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}
