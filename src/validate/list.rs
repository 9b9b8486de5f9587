//! `list` values: items of one type written between a delimiter (`a,b,c`).
//! Each item is read as a cell of the item type in its default format
//! would be, by the same expression (Table Schema); a list's length is its
//! number of items, and its value (for `enum` and `unique`) its items'
//! values in order.

use polars::prelude::*;

/// The name the items are judged under.
const ITEM: &str = "__kiln_item";

// The items are judged by a query of their own (`judged`), so the functions
// that judge them are polars' `Expr::map`, run where a query may start,
// not `udf::map`.

/// The column `item_ok` is written against: one item a row.
pub fn item() -> Expr {
    col(ITEM)
}

/// The items of each text between `delimiter`, one after another, and
/// where each text's items end (`None` for a null text).
fn split<'a>(texts: &'a StringChunked, delimiter: &str) -> (Vec<&'a str>, Vec<Option<usize>>) {
    let mut items: Vec<&str> = Vec::new();
    let mut ends: Vec<Option<usize>> = Vec::with_capacity(texts.len());
    for text in texts.iter() {
        ends.push(text.map(|t| {
            items.extend(t.split(delimiter));
            items.len()
        }));
    }
    (items, ends)
}

/// `e` (an expression over [`item`]) of each of `items`.
fn judged(items: &[&str], e: &Expr) -> PolarsResult<Column> {
    let df = DataFrame::new(
        items.len(),
        vec![Series::new(ITEM.into(), items).into_column()],
    )?
    .lazy()
    .select([e.clone().alias(ITEM)])
    .collect()?;
    Ok(df.column(ITEM)?.clone())
}

/// For text `v`: whether every item between `delimiter` passes `item_ok`
/// (an expression over [`item`], true where the item is of the type);
/// null where `v` is null.
pub fn all_items(v: Expr, delimiter: String, item_ok: Expr) -> Expr {
    v.map(
        move |c: Column| {
            let (items, ends) = split(c.str()?, &delimiter);
            let judged = judged(&items, &item_ok.clone().fill_null(lit(false)))?;
            let ok: Vec<bool> = judged.bool()?.iter().map(|b| b == Some(true)).collect();
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

/// For lists `v` (text): a text naming each one's value, its items'
/// values in order, the same however the items are written. `item_value`
/// (over [`item`]) is an item's typed value as text, null where the item
/// is written as its own value (an integer past 64 bits).
pub fn keyed(v: Expr, delimiter: String, item_value: Expr) -> Expr {
    v.map(
        move |c: Column| {
            let (items, ends) = split(c.str()?, &delimiter);
            let judged = judged(&items, &item_value)?;
            let values = judged.str()?;
            let mut start = 0;
            let out: StringChunked = ends
                .into_iter()
                .map(|end| {
                    end.map(|end| {
                        // Each item's length first: no item runs into the next.
                        let mut key = String::new();
                        for (i, item) in items.iter().enumerate().take(end).skip(start) {
                            let value = values.get(i).unwrap_or(item);
                            key.push_str(&format!("{}:{value}", value.len()));
                        }
                        start = end;
                        key
                    })
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::String)),
    )
}

/// For text `v`: its number of items between `delimiter`.
pub fn count(v: Expr, delimiter: String) -> Expr {
    super::udf::map(
        v,
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

/// A JSON array's items written as a list between `delimiter` (a text
/// item as it is, another as its JSON text); `None` for other JSON.
pub fn from_json(json: &str, delimiter: &str) -> Option<String> {
    match serde_json::from_str::<serde_json::Value>(json).ok()? {
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .map(|i| match i {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(delimiter),
        ),
        _ => None,
    }
}
