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
    /// Longer ones: their views' length and prefix, and the text.
    long: Vec<(u32, u32, Vec<u8>)>,
}

impl Listed {
    fn new(texts: &[String]) -> Listed {
        let (short, long): (Vec<&String>, Vec<&String>) = texts
            .iter()
            .partition(|t| t.len() <= View::MAX_INLINE_SIZE as usize);
        Listed {
            short: short
                .iter()
                .map(|t| View::new_inline(t.as_bytes()).as_u128())
                .collect(),
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
        let views = a.views().iter();
        match (self.short.as_slice(), self.long.is_empty()) {
            (&[only], true) => Bitmap::from_trusted_len_iter(views.map(|v| v.as_u128() == only)),
            (short, true) => {
                Bitmap::from_trusted_len_iter(views.map(|v| short.contains(&v.as_u128())))
            }
            (short, false) => Bitmap::from_trusted_len_iter(views.enumerate().map(|(i, v)| {
                short.contains(&v.as_u128())
                    || (v.length > View::MAX_INLINE_SIZE
                        && self.long.iter().any(|(length, prefix, text)| {
                            // SAFETY: `i` is an index of `a`.
                            v.length == *length
                                && v.prefix == *prefix
                                && unsafe { a.value_unchecked(i) }.as_bytes() == text.as_slice()
                        }))
            })),
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
}
