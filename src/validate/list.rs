//! `list` values: items of one type written between a delimiter (`a,b,c`).
//! Each item is read as a cell of the item type in its default format
//! would be, by the same expression (Table Schema); a list's length is its
//! number of items.

use polars::prelude::*;

/// The name the items are judged under.
const ITEM: &str = "__kiln_item";

/// The column `item_ok` is written against: one item a row.
pub fn item() -> Expr {
    col(ITEM)
}

/// For text `v`: whether every item between `delimiter` passes `item_ok`
/// (an expression over [`item`], true where the item is of the type);
/// null where `v` is null.
pub fn all_items(v: Expr, delimiter: String, item_ok: Expr) -> Expr {
    v.map(
        move |c: Column| {
            let texts = c.str()?;
            let mut items: Vec<&str> = Vec::new();
            let mut ends: Vec<Option<usize>> = Vec::with_capacity(texts.len());
            for text in texts.iter() {
                ends.push(text.map(|t| {
                    items.extend(t.split(delimiter.as_str()));
                    items.len()
                }));
            }
            let judged = DataFrame::new(
                items.len(),
                vec![Series::new(ITEM.into(), items).into_column()],
            )?
            .lazy()
            .select([item_ok.clone().fill_null(lit(false)).alias(ITEM)])
            .collect()?;
            let ok: Vec<bool> = judged
                .column(ITEM)?
                .bool()?
                .iter()
                .map(|b| b == Some(true))
                .collect();
            let mut start = 0;
            let out: BooleanChunked = ends
                .into_iter()
                .map(|end| {
                    end.map(|end| {
                        let all = ok[start..end].iter().all(|&b| b);
                        start = end;
                        all
                    })
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

/// For text `v`: its number of items between `delimiter`.
pub fn count(v: Expr, delimiter: String) -> Expr {
    v.map(
        move |c: Column| {
            let counts: UInt32Chunked = c
                .str()?
                .iter()
                .map(|s| s.map(|s| s.split(delimiter.as_str()).count() as u32))
                .collect();
            Ok(counts.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::UInt32)),
    )
}
