//! Repeated keys counted inside the streaming pass. polars counts distinct
//! values with a partitioned group-by, which cost more than all the other
//! checks of a table together; a set that each batch of rows is looked up
//! in and added to, under one lock, costs a fraction of that.

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;

use super::observe::observe;

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
        // 128-bit integers do not fit the sets' 64 bits: polars counts them.
        if dtype.is_integer() && !matches!(dtype, DataType::Int128 | DataType::UInt128) {
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
    let ints = Arc::new(Mutex::new(IntSet::default()));
    let texts = Arc::new(Mutex::new(PlHashSet::<u64>::default()));
    let fingerprint = PlRandomState::default();
    key.map(
        move |c: Column| {
            let repeated: BooleanChunked = match kind {
                KeyKind::Integer => {
                    let mut seen = ints.lock().unwrap_or_else(PoisonError::into_inner);
                    // Through 128 bits, so unsigned keys past the signed
                    // range stay distinct; one column's values all map
                    // one-to-one onto 64 bits.
                    let values = c.cast(&DataType::Int128)?;
                    let values = values.i128()?;
                    values
                        .iter()
                        .map(|v| v.is_some_and(|v| !seen.insert(v as u64)))
                        .collect()
                }
                KeyKind::Text => {
                    let mut seen = texts.lock().unwrap_or_else(PoisonError::into_inner);
                    c.str()?
                        .iter()
                        .map(|v| v.is_some_and(|s| !seen.insert(fingerprint.hash_one(s))))
                        .collect()
                }
            };
            Ok(repeated.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

/// Values per block of the bitmap.
const BLOCK_BITS: u32 = 16;
const BLOCK_WORDS: usize = (1 << BLOCK_BITS) / 64;

/// A set of integers. Keys are mostly ids and counters that cluster, which
/// a bitmap of 65,536-value blocks holds in a few bits each with no cache
/// miss per value; a hash set (about 16 bytes a value) takes over when the
/// values are too scattered for the blocks to be the smaller.
enum IntSet {
    Blocks {
        blocks: PlHashMap<u64, Box<[u64; BLOCK_WORDS]>>,
        len: u64,
    },
    Scattered(PlHashSet<u64>),
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::Blocks {
            blocks: PlHashMap::default(),
            len: 0,
        }
    }
}

impl IntSet {
    /// Adds `v`; false if it was already there.
    fn insert(&mut self, v: u64) -> bool {
        let (added, sparse) = match self {
            IntSet::Scattered(set) => return set.insert(v),
            IntSet::Blocks { blocks, len } => {
                let block = blocks
                    .entry(v >> BLOCK_BITS)
                    .or_insert_with(|| Box::new([0; BLOCK_WORDS]));
                let bit = v & ((1 << BLOCK_BITS) - 1);
                let (word, mask) = (&mut block[(bit / 64) as usize], 1u64 << (bit % 64));
                let added = *word & mask == 0;
                *word |= mask;
                *len += u64::from(added);
                // Blocks of 8 KiB past 64 MiB, holding under 16 bytes' worth each.
                let bytes = blocks.len() as u64 * (BLOCK_WORDS as u64 * 8);
                (added, bytes > 64 << 20 && bytes > *len * 16)
            }
        };
        if added && sparse {
            self.scatter();
        }
        added
    }

    fn scatter(&mut self) {
        let IntSet::Blocks { blocks, len } = self else {
            return;
        };
        let mut set = PlHashSet::with_capacity_and_hasher(*len as usize, Default::default());
        for (high, block) in blocks.drain() {
            for (w, word) in block.iter().enumerate() {
                let mut bits = *word;
                while bits != 0 {
                    let b = bits.trailing_zeros() as u64;
                    set.insert(high << BLOCK_BITS | (w as u64 * 64 + b));
                    bits &= bits - 1;
                }
            }
        }
        *self = IntSet::Scattered(set);
    }
}

/// Registers of a sketch: 2^12, for a standard error of about 1.6%.
const SKETCH_BITS: u32 = 12;
const REGISTERS: usize = 1 << SKETCH_BITS;

/// A HyperLogLog sketch of the distinct non-null values of a column, filled
/// by the expression [`sketch`] makes while the pass streams.
pub struct Sketch {
    registers: Mutex<Vec<u8>>,
}

impl Sketch {
    /// The estimated number of distinct values.
    pub fn estimate(&self) -> u64 {
        let registers = self
            .registers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let m = REGISTERS as f64;
        let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
        let raw = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
        let zeros = registers.iter().filter(|&&r| r == 0).count();
        // Few values: linear counting is the better estimate.
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }
}

/// An expression that adds each batch of `v` to the returned sketch (its
/// own value is meaningless; aggregate it so the pass evaluates it once).
pub fn sketch(v: Expr) -> (Expr, Arc<Sketch>) {
    let sketch = Arc::new(Sketch {
        registers: Mutex::new(vec![0; REGISTERS]),
    });
    let shared = sketch.clone();
    // A fixed hash: the same data always gets the same estimate.
    let hasher = PlFixedStateQuality::default();
    let expr = observe(v, move |c: &Column| {
        // Filled without the lock, then merged under it.
        let mut local = vec![0u8; REGISTERS];
        let mut add = |h: u64| {
            let register = (h >> (64 - SKETCH_BITS)) as usize;
            let rank = ((h << SKETCH_BITS) | (1 << (SKETCH_BITS - 1))).leading_zeros() + 1;
            local[register] = local[register].max(rank as u8);
        };
        let s = c.as_materialized_series().to_physical_repr();
        match s.dtype() {
            DataType::String => s
                .str()?
                .iter()
                .flatten()
                .for_each(|v| add(hasher.hash_one(v))),
            DataType::Boolean => s
                .bool()?
                .iter()
                .flatten()
                .for_each(|v| add(hasher.hash_one(v))),
            d if d.is_float() => {
                let x = s.cast(&DataType::Float64)?;
                x.f64()?
                    .iter()
                    .flatten()
                    .for_each(|v| add(hasher.hash_one(v.to_bits())));
            }
            // Every integer type widened alike, so a value hashes the
            // same whatever width a file stores it in.
            d if d.is_integer() => {
                let x = s.cast(&DataType::Int128)?;
                x.i128()?
                    .iter()
                    .flatten()
                    .for_each(|v| add(hasher.hash_one(v)));
            }
            _ => {}
        }
        let mut registers = shared
            .registers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (r, l) in registers.iter_mut().zip(&local) {
            *r = (*r).max(*l);
        }
        Ok(())
    });
    (expr, sketch)
}
