//! Whether each text of a column is one of a list (an enum's values, the
//! missing values, the true and false values), tested on the cells'
//! views: a text of up to 12 bytes is all in its view, so it is compared
//! as one 128-bit number, and a longer one is read only where its length
//! and first four bytes match a listed text's. polars' comparison kernels
//! read every text once for each listed value.

use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, Utf8ViewArray, View};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::ArrowDataType;

/// The listed texts as the views of the texts equal to them.
struct Listed {
    /// Texts of up to 12 bytes: their whole views.
    short: Vec<u128>,
    /// The same, placed for one comparison per cell.
    slots: Option<Slots>,
    /// Longer ones: their views' length and prefix, and the text.
    long: Vec<(u32, u32, Vec<u8>)>,
}

impl Listed {
    fn new(texts: &[String]) -> Listed {
        let (short, long): (Vec<&String>, Vec<&String>) = texts
            .iter()
            .partition(|t| t.len() <= View::MAX_INLINE_SIZE as usize);
        let mut short: Vec<u128> = short
            .iter()
            .map(|t| View::new_inline(t.as_bytes()).as_u128())
            .collect();
        short.sort_unstable();
        short.dedup();
        Listed {
            slots: Slots::new(&short),
            short,
            long: long
                .iter()
                .map(|t| {
                    let v = View::new_from_bytes(t.as_bytes(), 0, 0);
                    (v.length, v.prefix, t.as_bytes().to_vec())
                })
                .collect(),
        }
    }

    /// Whether each text of `a` is listed (whatever its validity).
    fn bits(&self, a: &Utf8ViewArray) -> Bitmap {
        // A view's length is part of its 128 bits, so the view of a long
        // text never equals a short listed one's: short ones need no
        // length test, and one alone (the missing value "") no loop.
        let views = a.views();
        let short = |v: &View| match &self.slots {
            Some(slots) => slots.hold(v.as_u128()),
            None => self.short.contains(&v.as_u128()),
        };
        match (self.short.as_slice(), self.long.is_empty()) {
            (&[only], true) => bitmap(views, |_, v| v.as_u128() == only),
            (_, true) => bitmap(views, |_, v| short(v)),
            (_, false) => bitmap(views, |i, v| {
                short(v)
                    || (v.length > View::MAX_INLINE_SIZE
                        && self.long.iter().any(|(length, prefix, text)| {
                            // SAFETY: `i` is an index of `a`.
                            v.length == *length
                                && v.prefix == *prefix
                                && unsafe { a.value_unchecked(i) }.as_bytes() == text.as_slice()
                        }))
            }),
        }
    }

    fn test(&self, a: &Utf8ViewArray) -> BooleanArray {
        BooleanArray::new(ArrowDataType::Boolean, self.bits(a), a.validity().cloned())
    }

    /// `a` with its listed texts made null: the texts stay where they are,
    /// only the validity changes.
    fn nulled(&self, a: &Utf8ViewArray) -> Utf8ViewArray {
        let unlisted = !&self.bits(a);
        let validity = match a.validity() {
            Some(v) => v & &unlisted,
            None => unlisted,
        };
        a.clone().with_validity(Some(validity))
    }
}

/// The bitmap of `test` on each view and its index, made a word at a time:
/// polars' bitmap from an iterator tested each step for the iterator's
/// end, and took twice the instructions of a comparison with `""`.
fn bitmap(views: &[View], test: impl Fn(usize, &View) -> bool) -> Bitmap {
    let mut bytes = Vec::with_capacity(views.len().div_ceil(64) * 8);
    let word = |at: usize, run: &[View]| {
        run.iter()
            .enumerate()
            .fold(0u64, |w, (i, v)| w | (u64::from(test(at + i, v)) << i))
    };
    let words = views.chunks_exact(64);
    let rest = words.remainder();
    for (n, run) in words.enumerate() {
        bytes.extend_from_slice(&word(n * 64, run).to_le_bytes());
    }
    if !rest.is_empty() {
        let last = word(views.len() - rest.len(), rest).to_le_bytes();
        bytes.extend_from_slice(&last[..rest.len().div_ceil(8)]);
    }
    Bitmap::from_u8_vec(bytes, views.len())
}

/// Short listed views in a table of 2^k slots, placed by a hash that
/// sends no two to one slot: a view is listed where it equals the view in
/// its slot, one comparison whatever the list's length. (A search of the
/// list, stopping at a match, was a twentieth of a Parquet check on a
/// five-value enum.) An empty slot holds a listed view, so needs no mark.
struct Slots {
    table: Vec<u128>,
    keys: [u64; 2],
    shift: u32,
}

/// The most slots tried before a list is searched instead.
const MAX_SLOT_BITS: u32 = 14;

impl Slots {
    fn new(short: &[u128]) -> Option<Slots> {
        let first = *short.first()?;
        let least = usize::BITS - (2 * short.len() - 1).leading_zeros();
        let mut next = super::profiler::xorshift(0x2545_F491_4F6C_DD1D);
        for bits in least..=MAX_SLOT_BITS {
            for _ in 0..32 {
                let mut slots = Slots {
                    table: vec![first; 1 << bits],
                    keys: [next() | 1, next() | 1],
                    shift: 64 - bits,
                };
                let mut taken = vec![false; 1 << bits];
                let placed = short.iter().all(|&v| {
                    let at = slots.slot(v);
                    slots.table[at] = v;
                    !std::mem::replace(&mut taken[at], true)
                });
                if placed {
                    return Some(slots);
                }
            }
        }
        None
    }

    #[inline(always)]
    fn slot(&self, v: u128) -> usize {
        let h = (v as u64)
            .wrapping_mul(self.keys[0])
            .wrapping_add(((v >> 64) as u64).wrapping_mul(self.keys[1]));
        (h >> self.shift) as usize
    }

    #[inline(always)]
    fn hold(&self, v: u128) -> bool {
        // SAFETY: a slot is below 2^(64 - shift), the table's length.
        unsafe { *self.table.get_unchecked(self.slot(v)) == v }
    }
}

/// The text column `c`, as a column of texts (a column typed otherwise,
/// an empty one read as nulls, by its text).
fn texts_of(c: Column) -> PolarsResult<Column> {
    if c.dtype() == &DataType::String {
        Ok(c)
    } else {
        c.cast(&DataType::String)
    }
}

/// Whether text `e` is one of `texts` (null where `e` is null).
pub fn is_listed(e: Expr, texts: &[String]) -> Expr {
    each_array::<BooleanType>(e, texts, DataType::Boolean, Listed::test)
}

/// Text `e` with each text that is one of `texts` made null: what
/// `when(is_listed(e)).then(null).otherwise(e)` gives, without copying
/// the texts.
pub fn null_if_listed(e: Expr, texts: &[String]) -> Expr {
    each_array::<StringType>(e, texts, DataType::String, Listed::nulled)
}

/// Text `e`, each of its arrays made by `f` with `texts` listed into an
/// array of `T` (typed `dtype`).
fn each_array<T>(
    e: Expr,
    texts: &[String],
    dtype: DataType,
    f: fn(&Listed, &Utf8ViewArray) -> T::Array,
) -> Expr
where
    T: PolarsDataType,
    ChunkedArray<T>: IntoColumn,
{
    let listed = Listed::new(texts);
    super::udf::map(
        e,
        move |c: Column| {
            let c = texts_of(c)?;
            let made = c.str()?.downcast_iter().map(|a| f(&listed, a));
            Ok(ChunkedArray::<T>::from_chunk_iter(c.name().clone(), made).into_column())
        },
        move |_, field| Ok(Field::new(field.name().clone(), dtype.clone())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_texts_are_found_and_nulled_as_by_comparing_them() {
        // Short and long texts that share lengths and first bytes, the
        // empty text, zero bytes and nulls.
        let pool = [
            "",
            "a",
            "\0",
            "a\0",
            "NA",
            "exactly12byt",
            "exactly12byz",
            "thirteen byte",
            "thirteen bytf",
            "thirteen bytes",
            "thir",
            "é",
            "user_1234567890",
        ];
        let mut state = 0x853c_49e6_748f_ea9bu64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as usize
        };
        for round in 0..300 {
            let list: Vec<String> = (0..next() % 5)
                .map(|_| pool[next() % pool.len()].to_string())
                .collect();
            let cells: Vec<Option<&str>> = (0..1 + next() % 40)
                .map(|_| (next() % 7 != 0).then(|| pool[next() % pool.len()]))
                .collect();
            let df = df!("t" => &cells).unwrap();
            let got = df
                .lazy()
                .select([is_listed(col("t"), &list)])
                .collect()
                .unwrap();
            let got: Vec<Option<bool>> = got.column("t").unwrap().bool().unwrap().iter().collect();
            let want: Vec<Option<bool>> = cells
                .iter()
                .map(|c| c.map(|c| list.iter().any(|l| l == c)))
                .collect();
            assert_eq!(got, want, "round {round}: {list:?} in {cells:?}");
            let nulled = df!("t" => &cells)
                .unwrap()
                .lazy()
                .select([null_if_listed(col("t"), &list)])
                .collect()
                .unwrap();
            let nulled: Vec<Option<&str>> =
                nulled.column("t").unwrap().str().unwrap().iter().collect();
            let kept: Vec<Option<&str>> = cells
                .iter()
                .map(|c| c.filter(|c| !list.iter().any(|l| l == c)))
                .collect();
            assert_eq!(nulled, kept, "round {round}: {list:?} nulled in {cells:?}");
        }
    }

    #[test]
    fn long_lists_are_placed_in_slots_or_searched_alike() {
        // Lists from one text to more than slots can place, of numbers
        // written in texts short and long; cells listed and not, in runs
        // that are not a multiple of a bitmap's word.
        for (n, cells) in [(1, 7), (2, 64), (5, 65), (40, 130), (300, 500), (3000, 999)] {
            let list: Vec<String> = (0..n)
                .map(|i| match i % 3 {
                    0 => format!("{i}"),
                    1 => format!("v{i}-long-enough-to-be-out-of-line"),
                    _ => format!("code {i}"),
                })
                .collect();
            let listed = Listed::new(&list);
            assert_eq!(listed.slots.is_some(), n <= 300, "{n} texts");
            let texts: Vec<String> = (0..cells)
                .map(|i| match i % 4 {
                    0 => format!("{}", i * 7 % (2 * n)),
                    1 => format!("code {}", i * 5 % (2 * n)),
                    2 => format!("v{}-long-enough-to-be-out-of-line", i % (2 * n)),
                    _ => format!("v{}-long-enough-to-be-out-of-linf", i % n),
                })
                .collect();
            let a = Utf8ViewArray::from_slice_values(&texts);
            let bits = listed.bits(&a);
            assert_eq!(bits.len(), cells);
            for (i, t) in texts.iter().enumerate() {
                assert_eq!(bits.get_bit(i), list.contains(t), "{t:?} among {n}");
            }
        }
    }
}
