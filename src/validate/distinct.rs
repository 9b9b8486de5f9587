//! Repeated keys counted inside the streaming pass. polars counts distinct
//! values with a partitioned group-by, which cost more than all the other
//! checks of a table together; a set that each batch of rows is looked up
//! in and added to, under one lock, costs a fraction of that. And the
//! HyperLogLog registers a column's profile estimates its distinct values by.

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, Utf8ViewArray, View};
use polars_arrow::bitmap::utils::SlicesIterator;
use polars_arrow::bitmap::{Bitmap, MutableBitmap};

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
    super::udf::map(
        key,
        move |c: Column| {
            let repeated: BooleanChunked = match kind {
                KeyKind::Integer => {
                    let mut seen = ints.lock().unwrap_or_else(PoisonError::into_inner);
                    // Each column's values map one-to-one onto 64 bits:
                    // unsigned ones as they are, signed ones through i64.
                    if c.dtype() == &DataType::UInt64 {
                        seen.repeated(c.u64()?, |v| v)
                    } else {
                        seen.repeated(c.cast(&DataType::Int64)?.i64()?, |v| v as u64)
                    }
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

/// The spans (start, length) of an array's non-null values, so that a
/// column with a few nulls is read span by span, in loops the compiler
/// vectorises, not value by value through its validity.
pub fn valid_spans(
    validity: Option<&Bitmap>,
    len: usize,
) -> Box<dyn Iterator<Item = (usize, usize)> + '_> {
    match validity {
        Some(v) if v.unset_bits() > 0 => Box::new(SlicesIterator::new(v)),
        _ => Box::new(std::iter::once((0, len))),
    }
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
    /// Adds each value of `ca` (as `key` maps it); for each row, whether
    /// its value was there already (false where null).
    fn repeated<T: PolarsNumericType>(
        &mut self,
        ca: &ChunkedArray<T>,
        key: impl Fn(T::Native) -> u64,
    ) -> BooleanChunked {
        let arrays = ca.downcast_iter().map(|a| {
            let values = a.values().as_slice();
            let mut out = MutableBitmap::from_len_zeroed(values.len());
            let mut keys = Vec::new();
            for (at, n) in valid_spans(a.validity(), values.len()) {
                keys.clear();
                keys.extend(values[at..at + n].iter().map(|&v| key(v)));
                self.insert_run(&keys, |i| out.set(at + i, true));
            }
            BooleanArray::from_data_default(out.into(), None)
        });
        BooleanChunked::from_chunk_iter(PlSmallStr::EMPTY, arrays)
    }

    /// Adds `values`, calling `repeat` with the index of each that was
    /// there already. Neighbouring values (ids, counters) share a block,
    /// looked up once for all of them.
    fn insert_run(&mut self, values: &[u64], mut repeat: impl FnMut(usize)) {
        let mut i = 0;
        while i < values.len() {
            let (blocks, len) = match self {
                IntSet::Scattered(set) => {
                    for (j, &v) in values.iter().enumerate().skip(i) {
                        if !set.insert(v) {
                            repeat(j);
                        }
                    }
                    return;
                }
                IntSet::Blocks { blocks, len } => (blocks, len),
            };
            let high = values[i] >> BLOCK_BITS;
            let block = blocks
                .entry(high)
                .or_insert_with(|| Box::new([0; BLOCK_WORDS]));
            while let Some(&v) = values.get(i).filter(|&&v| v >> BLOCK_BITS == high) {
                let bit = v & ((1 << BLOCK_BITS) - 1);
                let (word, mask) = (&mut block[(bit / 64) as usize], 1u64 << (bit % 64));
                if *word & mask == 0 {
                    *word |= mask;
                    *len += 1;
                } else {
                    repeat(i);
                }
                i += 1;
            }
            // Blocks of 8 KiB past 64 MiB, holding under 16 bytes' worth each.
            let bytes = blocks.len() as u64 * (BLOCK_WORDS as u64 * 8);
            if bytes > 64 << 20 && bytes > *len * 16 {
                self.scatter();
            }
        }
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

/// Recent views held by `Registers::add_texts`: 2^8.
const RECENT_BITS: u32 = 8;

/// The slot of a text's view among 2^`bits` that hold recent views: one
/// multiply, as a cache of views (the profile's, the date readers') needs
/// no better spread, and a full hash was most of a lookup.
#[inline(always)]
pub(super) fn view_slot(v: u128, bits: u32) -> usize {
    (((v as u64) ^ ((v >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

/// Registers of a sketch: 2^12, for a standard error of about 1.6%.
const SKETCH_BITS: u32 = 12;
const REGISTERS: usize = 1 << SKETCH_BITS;

/// A HyperLogLog sketch of a column's distinct non-null values, by their
/// 64-bit hashes (`hash_value`, `hash_text`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Registers {
    // A fixed size, so that a register's index needs no bounds test.
    registers: Box<[u8; REGISTERS]>,
    /// No register is below this: a rank at or under it changes nothing,
    /// and is not written (once a sketch has filled, nearly every rank).
    floor: u8,
}

impl Default for Registers {
    fn default() -> Self {
        Registers {
            registers: Box::new([0; REGISTERS]),
            floor: 0,
        }
    }
}

impl Registers {
    /// Empty registers for values to be merged into `into`: they skip the
    /// ranks that could not raise any of `into`'s.
    pub fn above(into: &Registers) -> Registers {
        Registers {
            floor: into.floor,
            ..Registers::default()
        }
    }

    #[inline(always)]
    pub fn add(&mut self, h: u64) {
        let register = (h >> (64 - SKETCH_BITS)) as usize;
        let rank = (((h << SKETCH_BITS) | (1 << (SKETCH_BITS - 1))).leading_zeros() + 1) as u8;
        if rank > self.floor {
            let r = &mut self.registers[register];
            *r = (*r).max(rank);
        }
    }

    /// Adds each text of `a` there is, span by span, in one loop per span.
    /// Where the column has had few distinct texts (`few`), a cell whose
    /// view is among the recent ones is skipped: its hash is in already,
    /// and hashing every cell of a column of categories cost more than
    /// the lookup.
    pub fn add_texts(&mut self, a: &Utf8ViewArray, few: bool) {
        let mut spans = valid_spans(a.validity(), a.len());
        if !few {
            for (at, n) in spans {
                (at..at + n).for_each(|i| self.add(hash_text_at(a, i)));
            }
            return;
        }
        let Some((first, n)) = spans.find(|&(_, n)| n > 0) else {
            return;
        };
        // Equal views are equal texts (a long text's view names where its
        // bytes are), so each view held has been added.
        self.add(hash_text_at(a, first));
        let views = a.views();
        let mut recent = [views[first].as_u128(); 1 << RECENT_BITS];
        for (at, n) in std::iter::once((first, n)).chain(spans) {
            for (i, v) in views[at..at + n].iter().enumerate() {
                let v = v.as_u128();
                let held = &mut recent[view_slot(v, RECENT_BITS)];
                if *held != v {
                    *held = v;
                    self.add(hash_text_at(a, at + i));
                }
            }
        }
    }

    pub fn merge(&mut self, o: &Registers) {
        for (r, l) in self.registers.iter_mut().zip(o.registers.iter()) {
            *r = (*r).max(*l);
        }
        self.floor = self.registers.iter().copied().min().unwrap_or(0);
    }

    /// The estimated number of distinct values.
    pub fn estimate(&self) -> u64 {
        let m = REGISTERS as f64;
        let sum: f64 = self
            .registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let raw = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        // Few values: linear counting is the better estimate.
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }
}

/// The sketch's hash of a number (integers widened to 128 bits, floats by
/// their bits) or a flag: two folded multiplies, as foldhash's quality
/// hash, without its byte-stream interface.
#[inline(always)]
pub fn hash_value(x: u128) -> u64 {
    const K: [u64; 3] = [
        0x243F_6A88_85A3_08D3,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
    ];
    let fold = |a: u64, b: u64| {
        let m = u128::from(a) * u128::from(b);
        (m as u64) ^ ((m >> 64) as u64)
    };
    fold(fold(x as u64 ^ K[0], (x >> 64) as u64 ^ K[1]), K[2])
}

/// The sketch's hash of a text: a text of up to 12 bytes by its view, as
/// polars' string arrays hold it (its length and its zero-padded bytes),
/// so that those are hashed without reading any text; longer ones by XXH3.
#[inline]
pub fn hash_text(t: &str) -> u64 {
    if t.len() <= View::MAX_INLINE_SIZE as usize {
        hash_value(View::new_inline(t.as_bytes()).as_u128())
    } else {
        xxhash_rust::xxh3::xxh3_64(t.as_bytes())
    }
}

/// `hash_text` of the text at `i` of `a`, from its view where it is inline.
#[inline(always)]
fn hash_text_at(a: &Utf8ViewArray, i: usize) -> u64 {
    let v = a.views()[i];
    if v.length <= View::MAX_INLINE_SIZE {
        hash_value(v.as_u128())
    } else {
        // SAFETY: `i` is an index of `a`.
        xxhash_rust::xxh3::xxh3_64(unsafe { a.value_unchecked(i) }.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repeats a plain set finds, row by row.
    fn by_hand(values: &[Option<i64>], seen: &mut std::collections::HashSet<i64>) -> Vec<bool> {
        values
            .iter()
            .map(|v| v.is_some_and(|v| !seen.insert(v)))
            .collect()
    }

    #[test]
    fn repeats_are_found_in_blocks_and_once_scattered() {
        // Neighbours, nulls, negatives, and (last) values a block apart,
        // enough of them that the blocks give way to a hash set.
        let mut batches: Vec<Vec<Option<i64>>> = vec![
            vec![Some(1), Some(2), None, Some(2), Some(65_536), Some(1), None],
            vec![
                Some(-1),
                Some(i64::MIN),
                Some(i64::MAX),
                Some(65_537),
                Some(-1),
                Some(0),
            ],
            vec![None, None, Some(0), Some(3)],
        ];
        let spread: Vec<Option<i64>> = (0..9_000).map(|i| Some(i << BLOCK_BITS)).collect();
        batches.push(spread.clone());
        batches.push(
            spread
                .iter()
                .step_by(7)
                .copied()
                .chain([Some(5), None])
                .collect(),
        );
        let (mut set, mut plain) = (IntSet::default(), std::collections::HashSet::new());
        for batch in &batches {
            let ca = Int64Chunked::from_iter(batch.iter().copied());
            let got: Vec<bool> = set
                .repeated(&ca, |v| v as u64)
                .iter()
                .map(|b| b == Some(true))
                .collect();
            assert_eq!(got, by_hand(batch, &mut plain), "batch {batch:?}");
        }
        assert!(matches!(set, IntSet::Scattered(_)));
    }

    #[test]
    fn a_text_hashes_alike_from_its_view_and_from_its_bytes() {
        let texts = [
            "",
            "a",
            "exactly12byt",
            "thirteen byte",
            "é\0x",
            "a much longer text than twelve",
        ];
        let s = Series::new("t".into(), texts);
        let a = s.str().unwrap().downcast_iter().next().unwrap().clone();
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(hash_text_at(&a, i), hash_text(t), "{t:?}");
        }
    }

    #[test]
    fn texts_skipped_as_recent_leave_the_registers_as_all_hashed() {
        // Few and many distinct texts, short and long, the empty text,
        // nulls first and in runs, and an array of nulls only.
        let pool: Vec<String> = (0..2000)
            .map(|i| match i % 3 {
                0 => String::new(),
                1 => format!("c{i}"),
                _ => format!("category number {i}, out of line"),
            })
            .collect();
        let mut next = crate::validate::profiler::xorshift(0x9E37_79B9_7F4A_7C15);
        for (distinct, rows) in [
            (1, 1),
            (3, 100),
            (40, 5000),
            (600, 20_000),
            (2000, 3000),
            (5, 0),
        ] {
            let cells: Vec<Option<&str>> = (0..rows)
                .map(|_| {
                    (!next().is_multiple_of(9))
                        .then(|| pool[(next() % distinct as u64) as usize].as_str())
                })
                .chain([None; 3])
                .collect();
            assert_texts_add_alike(&cells);
        }
        // A text met once, in the first run of values; no cells at all.
        assert_texts_add_alike(&[Some("a"), Some("only here"), Some("a"), None, Some("a")]);
        assert_texts_add_alike(&[]);
    }

    fn assert_texts_add_alike(cells: &[Option<&str>]) {
        let s = Series::new("t".into(), cells);
        let a = s.str().unwrap().downcast_iter().next().unwrap().clone();
        let [mut few, mut many] = [Registers::default(), Registers::default()];
        few.add_texts(&a, true);
        many.add_texts(&a, false);
        assert_eq!(few, many, "{cells:?}");
    }
}
