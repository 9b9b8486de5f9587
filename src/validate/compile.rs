//! Every check of a schema as a polars expression over a data file's columns.
//!
//! Each data column `j` gets three derived columns: `v` (the value, with
//! missing-value texts made null), `t` (the value typed as its field says;
//! null where it does not parse) and `r` (the cell as text, for samples).
//! Checks are expressions over those, so one `select` computes them all.

use super::convert::{Typed, json_shape, or_nan, target, typed};
use polars::prelude::*;

use super::distinct::KeyKind;
use super::json_cells;
use super::json_kinds::{self, Kind};
use super::listed;
use super::source::Format;
use super::written;
use crate::schema::{
    ConstraintKind, Dtype, Field, FieldType, FieldsMatch, Literal, NotChecked, Rule, Schema,
};

/// The 1-based row number column of the sample pass.
pub const ROW: &str = "__kiln_row";

pub fn v(j: usize) -> String {
    format!("__kiln_v{j}")
}
pub fn t(j: usize) -> String {
    format!("__kiln_t{j}")
}
pub fn r(j: usize) -> String {
    format!("__kiln_r{j}")
}
/// The repeat-counting key of column `j` where it differs from its typed
/// value: an integer read as text, keyed by its canonical digits, so that
/// integers past 64 bits (no typed value) repeat like any other.
pub fn k(j: usize) -> String {
    format!("__kiln_k{j}")
}
/// The JSON kind of each cell of field `i` (a [`json_kinds::Kind`]).
pub fn jk(i: usize) -> String {
    format!("__kiln_jk{i}")
}

/// How a check is counted.
pub enum Measure {
    /// Rows where `mask` is true; `value` shows a failing cell.
    Cells { mask: Expr, value: Expr },
    /// Rows whose `keys` (all non-null) repeat an earlier row's; `kind`
    /// where a one-column key is counted by `distinct::seen_before`.
    Duplicates {
        keys: Vec<String>,
        value: Expr,
        kind: Option<KeyKind>,
    },
    /// Decided before reading any row: a count and what was seen.
    Known { count: u64, observed: String },
    /// The table's row count against bounds.
    Rows { min: Option<u64>, max: Option<u64> },
    /// Rows whose `keys` (as text, all non-null) are a row's of the other
    /// `dataset` (kiln's `disjoint`): judged against that dataset's keys
    /// once this table's are all known.
    Overlap {
        keys: Vec<String>,
        value: Expr,
        dataset: String,
        fields: Vec<String>,
    },
}

pub struct Check {
    pub code: &'static str,
    pub field: Option<String>,
    pub rule: Rule,
    pub expected: String,
    /// What fails, in words: "below the minimum 0".
    pub what: String,
    pub measure: Measure,
}

/// A data column and the schema field it is checked against.
pub struct Column {
    pub name: String,
    pub dtype: DataType,
    pub field: Option<usize>,
    /// For a sub-field (kiln's `meta.lang`): the struct column and the
    /// member path it is read from.
    pub member_of: Option<(String, Vec<String>)>,
}

/// A struct member: the struct column's index, the member path and its type.
type Member = (usize, Vec<String>, DataType);

/// kiln's sub-field paths: a field named `meta.lang` that is no column's
/// name, where `meta` is a struct column (a JSON object, a Parquet struct)
/// with a member `lang`, is that member, checked as a column of its own.
fn sub_field(name: &str, columns: &[Column]) -> Option<Member> {
    if columns.iter().any(|c| c.name == name) {
        return None;
    }
    let mut parts = name.split('.');
    let first = parts.next()?;
    let j = columns.iter().position(|c| c.name == first)?;
    let mut dtype = &columns[j].dtype;
    let mut path = Vec::new();
    for p in parts {
        let DataType::Struct(members) = dtype else {
            return None;
        };
        dtype = members.iter().find(|m| m.name() == p)?.dtype();
        path.push(p.to_string());
    }
    (!path.is_empty()).then(|| (j, path, dtype.clone()))
}

pub struct Compiled {
    pub columns: Vec<Column>,
    /// The derived columns `v` and `r`, selected from the scan.
    pub prep: Vec<Expr>,
    /// The derived columns `t`, computed from `v`, and their types.
    pub typed: Vec<Expr>,
    pub typed_dtypes: Vec<DataType>,
    /// The derived columns `k`, computed from `t` and `v`.
    pub keys: Vec<Expr>,
    pub checks: Vec<Check>,
    pub not_checked: Vec<NotChecked>,
    /// Whether the pass finds an empty line of a delimited file blank: it
    /// reads as every cell empty, so it does where every column reads an
    /// empty cell as missing.
    pub empty_line_blank: bool,
}

impl Compiled {
    /// `value` in the form a pass over every row shows it in at no more
    /// cost, for [`super::sampled::first_rows`], which writes as text only
    /// the rows it keeps: as it is where it reads no typed column's text
    /// (made by formatting each value, which only the rows shown should
    /// pay for); the typed value itself where it is one typed column's
    /// text; none otherwise.
    pub fn shown_cheaply(&self, value: &Expr) -> Option<Expr> {
        let formatted = |name: &str| {
            self.columns
                .iter()
                .enumerate()
                .find(|(j, c)| !is_text(&c.dtype) && name == r(*j))
        };
        if let Expr::Column(name) = value
            && let Some((j, c)) = formatted(name)
        {
            return written_as_text(&c.dtype).then(|| col(v(j)));
        }
        let cheap = value.into_iter().all(|e| match e {
            Expr::Column(name) => formatted(name).is_none(),
            _ => true,
        });
        cheap.then(|| value.clone())
    }

    /// The scan with the derived columns (and the row number, if asked).
    pub fn prepared(&self, lf: LazyFrame, row_numbers: bool) -> LazyFrame {
        self.prepared_from(lf, row_numbers.then_some(1))
    }

    /// [`Compiled::prepared`] for rows of a file numbered from `first`.
    pub fn prepared_from(&self, lf: LazyFrame, first: Option<IdxSize>) -> LazyFrame {
        let mut columns = self.prep.clone();
        let lf = match first {
            Some(first) => {
                columns.insert(0, col(ROW));
                lf.with_row_index(ROW, Some(first))
            }
            None => lf,
        };
        let lf = lf.select(columns).with_columns(self.typed.clone());
        if self.keys.is_empty() {
            lf
        } else {
            lf.with_columns(self.keys.clone())
        }
    }
}

/// The repeat-counting key of field `f` over column `c` (index `j`): its
/// typed value, or [`k`] for a JSON value, a place, a list or a duration
/// however stored, and for an integer read as text (see [`integer_key`],
/// `convert::value_key`, `convert::list_key`, `convert::duration_key`).
fn key_of(f: &Field, c: &Column, j: usize, typed_dtype: &DataType) -> (String, DataType) {
    if super::convert::by_value(f) || (f.kind == FieldType::Integer && is_text(&c.dtype)) {
        (k(j), DataType::String)
    } else {
        (t(j), typed_dtype.clone())
    }
}

/// The key of the values of field `f` over column `c` (index `j`) where
/// they compare by value (`convert::by_value`), however stored; `None` for
/// types compared as typed.
fn by_value_key(f: &Field, c: &Column, j: usize, typed_dtype: &DataType) -> Option<Expr> {
    use super::convert as cv;
    match (cv::value_key(f), f.kind) {
        (Some((key, _)), _) => Some(cv::keyed(
            cv::value_text(col(t(j)), col(v(j)), typed_dtype),
            key,
        )),
        (None, FieldType::List) => Some(cv::list_key(f, list_texts(f, j, &c.dtype))),
        (None, FieldType::Duration) => Some(cv::duration_key(col(t(j)), typed_dtype)),
        _ => None,
    }
}

/// The number of items of each stored list or array; null for a column
/// of another type, whose cells are no list (the type check says so).
fn stored_items(e: Expr, dtype: &DataType) -> Expr {
    match dtype {
        DataType::List(_) => e.list().len(),
        DataType::Array(inner, _) => e.cast(DataType::List(inner.clone())).list().len(),
        _ => null_of(DataType::UInt32),
    }
}

/// List column `j` of field `f` as the text a delimited file writes: a
/// stored list's items between the field's delimiter.
fn list_texts(f: &Field, j: usize, physical: &DataType) -> Expr {
    if is_text(physical) {
        col(t(j))
    } else {
        let delimiter = f.list_delimiter.clone();
        super::convert::keyed(
            super::convert::json_text(col(v(j))),
            Arc::new(move |s| super::list::from_json(s, &delimiter)),
        )
    }
}

/// Column `j`'s cells as number text (`number_text`), and whether each is
/// an integer's digits, of any length.
fn integer_text(f: &Field, j: usize) -> (Expr, Expr) {
    super::convert::integer_digits(f, col(v(j)))
}

/// A JSON value's text as the field's own texts would write it: a JSON
/// `true` is true whatever texts the field reads as true, and a JSON number
/// a number whatever decimal mark the field's texts have. `kind` is each
/// cell's [`Kind`].
fn json_as_written(f: &Field, raw: Expr, kind: &Expr) -> Expr {
    let is = |k: Kind| kind.clone().eq(lit(k as u8));
    match f.kind {
        FieldType::Boolean => match (f.true_values.first(), f.false_values.first()) {
            (Some(yes), Some(no)) => when(is(Kind::Boolean))
                .then(
                    when(raw.clone().eq(lit("true")))
                        .then(lit(yes.as_str()))
                        .otherwise(lit(no.as_str())),
                )
                .otherwise(raw),
            _ => raw,
        },
        FieldType::Number => match f.decimal_char.as_deref().filter(|d| *d != ".") {
            Some(d) => when(is(Kind::Float))
                .then(raw.clone().str().replace_all(lit("."), lit(d), true))
                .otherwise(raw),
            None => raw,
        },
        _ => raw,
    }
}

/// An integer's digits without a sign `+`.
fn unsigned(digits: Expr) -> Expr {
    digits.str().replace(lit(r"^\+"), lit(""), false)
}

/// Where a text cell holds an integer past 64 bits.
struct Big {
    /// An integer past 64 bits (no typed value).
    big: Expr,
    /// Such an integer below zero.
    negative: Expr,
    /// Its value, where it fits 128 bits.
    wide: Expr,
}

/// An integer as canonical text: its typed value's digits, or for one past
/// 64 bits (no typed value) its own digits without a sign `+` or leading
/// zeros; null where the cell is no integer.
fn integer_key(f: &Field, j: usize) -> Expr {
    let (digits, big) = integer_text(f, j);
    let canonical = super::convert::canonical_digits(digits);
    when(col(t(j)).is_not_null())
        .then(written::as_text(col(t(j))))
        .when(big)
        .then(canonical)
        .otherwise(null_of(DataType::String))
}

pub(super) fn null_of(dtype: DataType) -> Expr {
    lit(Null {}).cast(dtype)
}

/// Types whose cells have no text for the checks of text (lengths,
/// patterns) to judge: nested values, bytes and columns of nothing.
fn is_nested(dtype: &DataType) -> bool {
    matches!(
        dtype,
        DataType::List(_)
            | DataType::Array(..)
            | DataType::Struct(_)
            | DataType::Binary
            | DataType::BinaryOffset
    ) || matches!(dtype, DataType::Null)
}

/// Whether a column of `dtype` is shown as its values written as text
/// ([`r`] is [`written::as_text`] of [`v`], the value itself for a column
/// not of text).
fn written_as_text(dtype: &DataType) -> bool {
    !is_text(dtype) && !is_nested(dtype)
}

pub fn is_text(dtype: &DataType) -> bool {
    matches!(
        dtype,
        DataType::String | DataType::Categorical(..) | DataType::Enum(..)
    )
}

/// Compiles `schema` for a file with columns `data`: matches columns to
/// fields as `fieldsMatch` says, and builds every check. `read_as_null`:
/// the reader already made missing-value texts null. `kinded`: the
/// fields whose cells' JSON kinds are in the scan (see [`jk`]).
pub fn compile(
    schema: &Schema,
    data: &polars::prelude::Schema,
    format: Format,
    read_as_null: bool,
    kinded: &[usize],
) -> Compiled {
    let header = schema.dialect.header;
    let mut checks = Vec::new();
    let mut not_checked = Vec::new();
    let names: Vec<String> = data.iter_names().map(|n| n.to_string()).collect();
    let mut columns: Vec<Column> = data
        .iter()
        .map(|(n, d)| Column {
            name: n.to_string(),
            dtype: d.clone(),
            field: None,
            member_of: None,
        })
        .collect();
    // Sub-fields are matched by their path, outside the columns' order.
    let subs: Vec<(usize, Member)> = schema
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| Some((i, sub_field(&f.name, &columns)?)))
        .collect();
    // Without a header, columns are the fields in order; with `exact`,
    // Table Schema maps fields to columns by their order too, and a label
    // that differs is a finding while the cells are checked against the
    // field at their place. JSON objects have no order: their members are
    // matched by name.
    let ordered = !matches!(format, Format::Ndjson | Format::Json);
    let positional = (format.is_delimited() && !header)
        || (schema.fields_match == FieldsMatch::Exact && ordered);
    // The reader renames a repeated label `x` to `x_duplicated_0`, …
    let labels: Vec<&str> = names
        .iter()
        .map(|n| match n.rsplit_once("_duplicated_") {
            Some((base, k)) if k.parse::<u32>().is_ok() && names.iter().any(|m| m == base) => base,
            _ => n.as_str(),
        })
        .collect();
    for (n, label) in names.iter().zip(&labels) {
        if n != label {
            checks.push(Check {
                code: "fields/duplicate-label",
                field: Some(label.to_string()),
                rule: Rule::default(),
                expected: "labels that differ".into(),
                what: format!("the label `{label}` is repeated"),
                measure: Measure::Known {
                    count: 1,
                    observed: label.to_string(),
                },
            });
        }
    }
    let mut missing = Vec::new();
    let mut place = 0;
    for (i, f) in schema.fields.iter().enumerate() {
        if subs.iter().any(|(s, _)| *s == i) {
            continue;
        }
        let at = place;
        place += 1;
        let found = if positional {
            (at < columns.len()).then_some(at)
        } else {
            names.iter().position(|n| *n == f.name)
        };
        match found {
            Some(j) => columns[j].field = Some(i),
            None => missing.push(f.name.clone()),
        }
        if let Some(j) = found.filter(|_| positional && header)
            && labels[j] != f.name
        {
            checks.push(Check {
                code: "fields/label",
                field: Some(f.name.clone()),
                rule: Rule::default(),
                expected: f.name.clone(),
                what: format!("the column at its place is labelled `{}`", labels[j]),
                measure: Measure::Known {
                    count: 1,
                    observed: labels[j].to_string(),
                },
            });
        }
    }
    // A struct column whose members sub-fields name is declared by them.
    let extra: Vec<String> = columns
        .iter()
        .enumerate()
        .filter(|(j, c)| c.field.is_none() && !subs.iter().any(|(_, (p, ..))| p == j))
        .map(|(_, c)| c.name.clone())
        .collect();
    let fields_check = |code: &'static str, name: &str, what: String| Check {
        code,
        field: Some(name.to_string()),
        rule: Rule::default(),
        expected: String::new(),
        what,
        measure: Measure::Known {
            count: 1,
            observed: String::new(),
        },
    };
    let present = schema.fields.len() - missing.len();
    match schema.fields_match {
        FieldsMatch::Partial => {
            if present == 0 {
                checks.push(Check {
                    code: "fields/missing",
                    field: None,
                    rule: Rule::default(),
                    expected: "at least one of the schema's fields".into(),
                    what: "none of the schema's fields is in the data".into(),
                    measure: Measure::Known {
                        count: schema.fields.len() as u64,
                        observed: names.join(", "),
                    },
                });
            }
        }
        m => {
            if m != FieldsMatch::Superset {
                for name in &missing {
                    checks.push(fields_check(
                        "fields/missing",
                        name,
                        "is missing from the data".into(),
                    ));
                }
            }
            if m != FieldsMatch::Subset {
                for name in &extra {
                    checks.push(fields_check(
                        "fields/extra",
                        name,
                        "is not in the schema".into(),
                    ));
                }
            }
        }
    }
    // Where a field may be absent (`superset`, `partial`), its cells are
    // all missing: a required one fails on every row, as Table Schema
    // reads an absent column.
    if matches!(
        schema.fields_match,
        FieldsMatch::Superset | FieldsMatch::Partial
    ) {
        for name in &missing {
            let Some(f) = schema.fields.iter().find(|f| f.name == *name) else {
                continue;
            };
            if let Some(con) = f
                .constraints
                .iter()
                .find(|c| matches!(c.kind, ConstraintKind::Required))
            {
                checks.push(Check {
                    code: "cell/required",
                    field: Some(name.clone()),
                    rule: con.rule,
                    expected: con.kind.expected(),
                    what: "have no value (the field is not in the data)".into(),
                    measure: Measure::Cells {
                        mask: lit(true),
                        value: lit(""),
                    },
                });
            }
        }
    }
    for name in &missing {
        not_checked.push(NotChecked {
            field: Some(name.clone()),
            check: "constraints".into(),
            reason: "the field is not in the data".into(),
        });
    }
    for (i, (j, path, dtype)) in subs {
        columns.push(Column {
            name: schema.fields[i].name.clone(),
            dtype,
            field: Some(i),
            member_of: Some((columns[j].name.clone(), path)),
        });
    }

    let mut prep = Vec::new();
    let mut typed_cols = Vec::new();
    let mut typed_dtypes = Vec::new();
    let mut key_cols = Vec::new();
    // Each column's repeat-counting key: its name and type.
    let mut keys_of: Vec<(String, DataType)> = Vec::new();
    for (j, c) in columns.iter().enumerate() {
        let field = c.field.map(|i| &schema.fields[i]);
        let missing_values = field.map_or(&schema.missing_values, |f| &f.missing_values);
        let source = match &c.member_of {
            Some((parent, path)) => path
                .iter()
                .fold(col(parent.as_str()), |e, m| e.struct_().field_by_name(m)),
            None => col(c.name.as_str()),
        };
        let raw = if matches!(c.dtype, DataType::Categorical(..) | DataType::Enum(..)) {
            source.cast(DataType::String)
        } else {
            source
        };
        // The JSON kind of each cell, where the field has cells of kinds
        // other than text.
        let kind = c.field.filter(|i| kinded.contains(i)).map(|i| {
            prep.push(col(jk(i)));
            col(jk(i))
        });
        let raw = match (field, &kind) {
            (Some(f), Some(kind)) => json_as_written(f, raw, kind),
            _ => raw,
        };
        let text = is_text(&c.dtype);
        // Blanks around a number are ignored, as the CSV reader's own number
        // parsing ignores those before it (see `reader_types`); a cell of
        // blanks only is left empty, which no number type accepts.
        let numeric = text && field.is_some_and(|f| is_number(f.kind));
        let trimmed = |e: Expr| {
            if numeric {
                super::convert::blanks_trimmed(e)
            } else {
                e
            }
        };
        // Missing values are matched on the cell as read, before anything
        // else (Table Schema): ` NA` is not `NA`. The reader matched them
        // itself where it could.
        let value = match &kind {
            _ if !text || missing_values.is_empty() || read_as_null => trimmed(raw.clone()),
            None => trimmed(listed::null_if_listed(raw.clone(), missing_values)),
            Some(k) => {
                let texts: Vec<Literal> =
                    missing_values.iter().cloned().map(Literal::Str).collect();
                // Only text is a missing value: the JSON number -9999 is not "-9999".
                let missing = one_of(raw.clone(), &texts, DataType::String)
                    .and(k.clone().eq(lit(Kind::Text as u8)));
                when(missing)
                    .then(null_of(DataType::String))
                    .otherwise(trimmed(raw.clone()))
            }
        };
        let cell_text = if text {
            raw.clone()
        } else if written_as_text(&c.dtype) {
            written::as_text(raw.clone())
        } else if matches!(
            c.dtype,
            DataType::List(_) | DataType::Array(..) | DataType::Struct(_)
        ) {
            // Shown, and keyed, as the JSON a JSON file would hold.
            super::convert::json_text(raw.clone())
        } else {
            null_of(DataType::String)
        };
        prep.push(value.clone().alias(v(j)));
        prep.push(cell_text.alias(r(j)));
        let Some(f) = field else {
            typed_cols.push(col(v(j)).alias(t(j)));
            typed_dtypes.push(c.dtype.clone());
            keys_of.push((t(j), c.dtype.clone()));
            continue;
        };
        let typed = typed(f, col(v(j)), &c.dtype);
        let typed_dtype = typed.dtype(f, &c.dtype);
        typed_cols.push(typed.expr(col(v(j))).alias(t(j)));
        typed_dtypes.push(typed_dtype.clone());
        let key = key_of(f, c, j, &typed_dtype);
        if key.0 == k(j) {
            // Values compared by value are keyed so however written or
            // stored (a cell of another type has no key); `enum` reads
            // this key too.
            let key = by_value_key(f, c, j, &typed_dtype).unwrap_or_else(|| integer_key(f, j));
            key_cols.push(key.alias(k(j)));
        }
        keys_of.push(key);
        // Cells whose JSON kind the field's type refuses whatever the value.
        let refused = kind.clone().map(|k| {
            json_kinds::refused(f)
                .iter()
                .fold(lit(false), |e, r| e.or(k.clone().eq(lit(*r as u8))))
        });
        field_checks(
            f,
            j,
            c,
            &typed,
            refused,
            format,
            &mut checks,
            &mut not_checked,
        );
    }

    let column_of = |name: &str| {
        let i = schema.fields.iter().position(|f| f.name == name)?;
        columns.iter().position(|c| c.field == Some(i))
    };
    let mut keys: Vec<(&'static str, &Vec<String>)> = Vec::new();
    if !schema.primary_key.is_empty() {
        keys.push(("row/primary-key", &schema.primary_key));
    }
    for k in &schema.unique_keys {
        keys.push(("row/unique", k));
    }
    for (code, key) in keys {
        let js: Option<Vec<usize>> = key.iter().map(|n| column_of(n)).collect();
        let Some(js) = js else {
            not_checked.push(NotChecked {
                field: None,
                check: code.to_string(),
                reason: format!("a field of the key ({}) is not in the data", key.join(", ")),
            });
            continue;
        };
        let value = key_text(&js);
        let what = if code == "row/primary-key" {
            format!("repeat an earlier row's primary key ({})", key.join(", "))
        } else {
            format!("repeat an earlier row's ({})", key.join(", "))
        };
        checks.push(Check {
            code,
            field: None,
            rule: Rule::default(),
            expected: "no repeated key".into(),
            what,
            measure: Measure::Duplicates {
                keys: js.iter().map(|&j| keys_of[j].0.clone()).collect(),
                value,
                kind: match js[..] {
                    [j] => KeyKind::of(&keys_of[j].1),
                    _ => None,
                },
            },
        });
    }
    for d in &schema.disjoint {
        let js: Option<Vec<usize>> = d.fields.iter().map(|n| column_of(n)).collect();
        let Some(js) = js else {
            not_checked.push(NotChecked {
                field: None,
                check: "disjoint".to_string(),
                reason: format!(
                    "a field of the key ({}) is not in the data",
                    d.fields.join(", ")
                ),
            });
            continue;
        };
        checks.push(Check {
            code: "row/overlap",
            field: None,
            rule: d.rule,
            expected: format!("no key ({}) found in {}", d.fields.join(", "), d.dataset),
            what: format!(
                "have a key ({}) also found in {}",
                d.fields.join(", "),
                d.dataset
            ),
            measure: Measure::Overlap {
                keys: js.iter().map(|&j| r(j)).collect(),
                value: key_text(&js),
                dataset: d.dataset.clone(),
                fields: d.fields.clone(),
            },
        });
    }
    checks.extend(rows_check(schema));
    blank_rows(columns.len(), &mut checks);
    let empty_line_blank = columns.iter().all(|c| {
        let field = c.field.map(|i| &schema.fields[i]);
        let missing = field.map_or(&schema.missing_values, |f| &f.missing_values);
        !is_text(&c.dtype) || missing.iter().any(String::is_empty)
    });
    Compiled {
        columns,
        prep,
        typed: typed_cols,
        typed_dtypes,
        keys: key_cols,
        checks,
        not_checked,
        empty_line_blank,
    }
}

/// A row whose every cell is missing is one `row/blank` finding (Table
/// Schema's blank row), not a finding for each of its cells.
fn blank_rows(columns: usize, checks: &mut Vec<Check>) {
    let Some(blank) = (0..columns)
        .map(|j| col(v(j)).is_null())
        .reduce(|a, b| a.and(b))
    else {
        return;
    };
    for check in checks.iter_mut() {
        if let Measure::Cells { mask, .. } = &mut check.measure {
            *mask = mask.clone().and(blank.clone().not());
        }
    }
    checks.push(Check {
        code: "row/blank",
        field: None,
        rule: Rule::default(),
        expected: "a value in some cell".into(),
        what: "are blank: every cell is missing".into(),
        measure: Measure::Cells {
            mask: blank,
            value: lit(""),
        },
    });
}

pub(super) fn is_number(kind: FieldType) -> bool {
    matches!(kind, FieldType::Integer | FieldType::Number)
}

/// Columns of a delimited file the reader can type itself, which is much
/// cheaper than reading text and casting it: integer and number fields
/// without number options or text constraints. A cell the reader cannot
/// parse fails the whole read, and the engine then reads the file as text,
/// so this never changes a verdict: every cell the reader parses (blanks
/// before it skipped, blank cells null) parses alike from text.
pub fn reader_types(schema: &Schema, c: &Compiled) -> Vec<(String, DataType)> {
    c.columns
        .iter()
        .filter(|col| is_text(&col.dtype))
        .filter_map(|col| {
            let f = &schema.fields[col.field?];
            let plain = is_number(f.kind)
                && f.bare_number
                && f.group_char.is_none()
                && f.decimal_char.is_none()
                && !f.constraints.iter().any(|k| {
                    matches!(
                        k.kind,
                        ConstraintKind::MinLength(_)
                            | ConstraintKind::MaxLength(_)
                            | ConstraintKind::Pattern(_)
                    )
                });
            plain.then(|| (col.name.clone(), target(f.kind)))
        })
        .collect()
}

/// The text of a key over columns `js`, as samples show it.
fn key_text(js: &[usize]) -> Expr {
    if let [j] = js {
        col(r(*j))
    } else {
        concat_str(
            js.iter().map(|&j| col(r(j))).collect::<Vec<_>>(),
            ", ",
            false,
        )
    }
}

/// The table's row count against the schema's bounds, if it sets any.
pub fn rows_check(schema: &Schema) -> Option<Check> {
    let b = schema.rows.as_ref()?;
    Some(Check {
        code: "table/rows",
        field: None,
        rule: b.rule,
        expected: bounds_text(b.min, b.max, "rows"),
        what: String::new(),
        measure: Measure::Rows {
            min: b.min,
            max: b.max,
        },
    })
}

pub fn bounds_text(min: Option<u64>, max: Option<u64>, unit: &str) -> String {
    match (min, max) {
        (Some(a), Some(b)) if a == b => format!("exactly {a} {unit}"),
        (Some(a), Some(b)) => format!("{a} to {b} {unit}"),
        (Some(a), None) => format!("at least {a} {unit}"),
        (None, Some(b)) => format!("at most {b} {unit}"),
        (None, None) => format!("any number of {unit}"),
    }
}

pub fn literal(l: &Literal) -> Expr {
    match l {
        Literal::Int(i) => lit(*i),
        Literal::Wide(i) => lit(*i),
        Literal::Float(x) => lit(*x),
        Literal::Bool(b) => lit(*b),
        Literal::Str(s) => lit(s.as_str()),
        Literal::Date(d) => lit(*d).cast(DataType::Date),
        Literal::Datetime(us) => lit(*us).cast(DataType::Datetime(TimeUnit::Microseconds, None)),
        Literal::Time(ns) => lit(*ns).cast(DataType::Time),
    }
}

/// Lists up to this long are tested by comparisons, which stream; longer
/// ones by `is_in`, whose list literal the streaming engine does not stream.
const SHORT_LIST: usize = 32;

/// Whether `e` equals one of `values` (null where `e` is null).
pub(super) fn one_of(e: Expr, values: &[Literal], dtype: DataType) -> Expr {
    let texts: Option<Vec<String>> = values
        .iter()
        .map(|l| match l {
            Literal::Str(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    if let (DataType::String, Some(texts)) = (&dtype, texts) {
        return listed::is_listed(e, &texts);
    }
    if values.len() > SHORT_LIST {
        let refs: Vec<&Literal> = values.iter().collect();
        return e.is_in(literal_list(&refs, dtype), false);
    }
    values
        .iter()
        .map(|l| e.clone().eq(literal(l)))
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| lit(false))
}

fn literal_list(values: &[&Literal], dtype: DataType) -> Expr {
    // The values of one variant, as a series named "values".
    fn picked<T, F>(values: &[&Literal], pick: F) -> Series
    where
        F: Fn(&Literal) -> Option<T>,
        Series: NamedFrom<Vec<T>, [T]>,
    {
        let kept: Vec<T> = values.iter().filter_map(|l| pick(l)).collect();
        Series::new("values".into(), kept)
    }
    let series = match dtype {
        // Every listed integer (those past 64 bits too) in the column's own
        // type; one it cannot hold is none of its values.
        d if d.is_integer() => {
            let ints = picked(values, |l| match l {
                Literal::Int(i) => Some(i128::from(*i)),
                Literal::Wide(w) => Some(*w),
                _ => None,
            });
            match ints.cast(&d) {
                Ok(s) => s.drop_nulls(),
                Err(_) => ints,
            }
        }
        DataType::Float64 => picked(values, |l| match l {
            Literal::Float(x) => Some(*x),
            Literal::Int(i) => Some(*i as f64),
            Literal::Wide(w) => Some(*w as f64),
            _ => None,
        }),
        DataType::Boolean => picked(values, |l| match l {
            Literal::Bool(b) => Some(*b),
            _ => None,
        }),
        DataType::Date => {
            let days = picked(values, |l| match l {
                Literal::Date(d) => Some(*d),
                _ => None,
            });
            return lit(days).cast(dtype).implode(false);
        }
        DataType::Datetime(..) | DataType::Time => {
            let ticks = picked(values, |l| match l {
                Literal::Datetime(x) | Literal::Time(x) => Some(*x),
                _ => None,
            });
            return lit(ticks).cast(dtype).implode(false);
        }
        _ => picked(values, |l| match l {
            Literal::Str(s) => Some(s.clone()),
            _ => None,
        }),
    };
    lit(series).implode(false)
}

/// The physical types a `dtype` accepts.
pub fn dtype_matches(want: &Dtype, have: &DataType) -> bool {
    match (want, have) {
        (Dtype::Int(8), DataType::Int8)
        | (Dtype::Int(16), DataType::Int16)
        | (Dtype::Int(32), DataType::Int32)
        | (Dtype::Int(64), DataType::Int64)
        | (Dtype::UInt(8), DataType::UInt8)
        | (Dtype::UInt(16), DataType::UInt16)
        | (Dtype::UInt(32), DataType::UInt32)
        | (Dtype::UInt(64), DataType::UInt64)
        | (Dtype::Float(32), DataType::Float32)
        | (Dtype::Float(64), DataType::Float64)
        | (Dtype::Bool, DataType::Boolean)
        | (Dtype::Utf8, DataType::String)
        | (Dtype::Binary, DataType::Binary | DataType::BinaryOffset)
        | (Dtype::Date, DataType::Date)
        | (Dtype::Time, DataType::Time)
        | (Dtype::List, DataType::List(_) | DataType::Array(..))
        | (Dtype::Struct, DataType::Struct(_))
        | (Dtype::Categorical, DataType::Categorical(..) | DataType::Enum(..))
        | (Dtype::Null, DataType::Null)
        | (Dtype::Decimal(None), DataType::Decimal(..)) => true,
        (Dtype::Decimal(Some((p, s))), DataType::Decimal(hp, hs)) => {
            *p as usize == *hp && *s as usize == *hs
        }
        (Dtype::Timestamp(unit, tz), DataType::Datetime(hu, htz)) => {
            unit == time_unit_name(hu) && tz.as_deref() == htz.as_ref().map(|z| z.as_str())
        }
        (Dtype::Duration(unit), DataType::Duration(hu)) => unit == time_unit_name(hu),
        _ => false,
    }
}

fn time_unit_name(u: &TimeUnit) -> &'static str {
    match u {
        TimeUnit::Milliseconds => "ms",
        TimeUnit::Microseconds => "us",
        TimeUnit::Nanoseconds => "ns",
    }
}

/// A physical type in the `dtype` spelling.
pub fn dtype_name(d: &DataType) -> String {
    match d {
        DataType::Int8 => "int8".into(),
        DataType::Int16 => "int16".into(),
        DataType::Int32 => "int32".into(),
        DataType::Int64 => "int64".into(),
        DataType::UInt8 => "uint8".into(),
        DataType::UInt16 => "uint16".into(),
        DataType::UInt32 => "uint32".into(),
        DataType::UInt64 => "uint64".into(),
        DataType::Float32 => "float32".into(),
        DataType::Float64 => "float64".into(),
        DataType::Boolean => "bool".into(),
        DataType::String => "utf8".into(),
        DataType::Binary | DataType::BinaryOffset => "binary".into(),
        DataType::Date => "date32".into(),
        DataType::Time => "time64[ns]".into(),
        DataType::Datetime(u, None) => format!("timestamp[{}]", time_unit_name(u)),
        DataType::Datetime(u, Some(tz)) => {
            format!("timestamp[{}, {}]", time_unit_name(u), tz.as_str())
        }
        DataType::Duration(u) => format!("duration[{}]", time_unit_name(u)),
        DataType::Decimal(p, s) => format!("decimal({p}, {s})"),
        DataType::List(_) | DataType::Array(..) => "list".into(),
        DataType::Struct(_) => "struct".into(),
        DataType::Categorical(..) | DataType::Enum(..) => "categorical".into(),
        DataType::Null => "null".into(),
        other => other.to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
fn field_checks(
    f: &Field,
    j: usize,
    c: &Column,
    typed: &Typed,
    refused: Option<Expr>,
    format: Format,
    checks: &mut Vec<Check>,
    not_checked: &mut Vec<NotChecked>,
) {
    let name = Some(f.name.clone());
    if let Some((want, rule)) = &f.dtype {
        if format.has_physical_types() {
            let ok = dtype_matches(want, &c.dtype);
            checks.push(Check {
                code: "file/dtype",
                field: name.clone(),
                rule: *rule,
                expected: want.to_string(),
                what: format!("is stored as {}", dtype_name(&c.dtype)),
                measure: Measure::Known {
                    count: u64::from(!ok),
                    observed: dtype_name(&c.dtype),
                },
            });
        } else {
            not_checked.push(NotChecked {
                field: name.clone(),
                check: "dtype".into(),
                reason: format!("{} files do not record physical types", format.name()),
            });
        }
    }
    let expected = match &f.format {
        Some(fmt) if f.kind == FieldType::String => format!("{fmt} strings"),
        Some(fmt) if fmt.contains('%') => format!("{} values in the format {fmt}", f.kind.name()),
        _ => format!("{} values", f.kind.name()),
    };
    // Read after "1 value is not" as after "3 values are not".
    let type_text = match &f.format {
        Some(fmt) if f.kind == FieldType::String => format!("of type string, format {fmt}"),
        Some(fmt) if fmt.contains('%') => format!("of type {} in the format {fmt}", f.kind.name()),
        _ => format!("of type {}", f.kind.name()),
    };
    let mask = match typed {
        Typed::Same => None,
        Typed::Parsed(_) => Some(col(v(j)).is_not_null().and(col(t(j)).is_null())),
        Typed::Incompatible(_) => Some(col(v(j)).is_not_null()),
    };
    let mask = match (mask, refused) {
        (Some(m), Some(n)) => Some(m.or(n)),
        (m, n) => m.or(n),
    };
    // Integers have no 64-bit bound (Table Schema): digits past it are an
    // integer too, compared with a bound past 64 bits by their value where
    // it fits 128; otherwise above every upper bound kiln can hold, or below
    // every lower one.
    let big = (f.kind == FieldType::Integer && is_text(&c.dtype)).then(|| {
        let (digits, integer) = integer_text(f, j);
        let big = col(t(j)).is_null().and(integer).fill_null(lit(false));
        let wide = unsigned(digits.clone()).cast(DataType::Int128);
        Big {
            negative: big.clone().and(digits.str().starts_with(lit("-"))),
            big,
            wide,
        }
    });
    let mask = match (mask, &big) {
        (Some(m), Some(b)) => Some(m.and(b.big.clone().not())),
        (m, _) => m,
    };
    // `bound`, the comparison of the typed values with `value`, or a cell
    // past 64 bits past `value` too: `beyond` compares its 128-bit value.
    let past = |bound: Expr, low: bool, value: &Literal, beyond: fn(Expr, Expr) -> Expr| {
        let Some(b) = &big else {
            return bound;
        };
        let huge = if low {
            b.negative.clone()
        } else {
            b.big.clone().and(b.negative.clone().not())
        };
        let outside = match value {
            Literal::Wide(w) => b.big.clone().and(
                when(b.wide.clone().is_not_null())
                    .then(beyond(b.wide.clone(), lit(*w)))
                    .otherwise(huge),
            ),
            _ => huge,
        };
        bound.or(outside)
    };
    if let Some(mask) = mask {
        let what = match typed {
            Typed::Incompatible(_) => format!(
                "are not {type_text} (the column holds {})",
                dtype_name(&c.dtype)
            ),
            _ => format!("are not {type_text}"),
        };
        checks.push(Check {
            code: "cell/type",
            field: name.clone(),
            rule: f.rule,
            expected,
            what,
            measure: Measure::Cells {
                mask,
                value: col(r(j)),
            },
        });
    }
    let typed_dtype = typed.dtype(f, &c.dtype);
    // The text of a value, for lengths and patterns: stored bytes and
    // nested values have none.
    let text = if is_text(&c.dtype) {
        col(v(j))
    } else if is_nested(&c.dtype) {
        null_of(DataType::String)
    } else {
        col(r(j))
    };
    // Lengths: characters of text, members of an object, items of an array.
    let (length, unit) = match (f.kind.is_json(), &c.dtype) {
        (false, d) if f.kind == FieldType::List => (
            // Lists of the item type only: a cell of another type is no list.
            if is_text(d) {
                super::list::count(col(t(j)), f.list_delimiter.clone())
            } else {
                stored_items(col(v(j)), d)
            },
            "items",
        ),
        (false, _) => (text.clone().str().len_chars(), "characters"),
        (true, d @ (DataType::List(_) | DataType::Array(..))) => {
            (stored_items(col(v(j)), d), "items")
        }
        (true, d) if is_text(d) => (
            json_cells::length(col(v(j)), json_shape(f.kind)),
            if f.kind == FieldType::Object {
                "members"
            } else {
                "items"
            },
        ),
        // A JSON object read as a struct: its members are the fields with
        // a value on that row; a null struct is no object, of no length.
        (true, DataType::Struct(fields)) if f.kind == FieldType::Object => (
            when(col(v(j)).is_null())
                .then(null_of(DataType::UInt32))
                .otherwise(
                    fields
                        .iter()
                        .map(|m| {
                            col(v(j))
                                .struct_()
                                .field_by_name(m.name().as_str())
                                .is_not_null()
                                .cast(DataType::UInt32)
                        })
                        .reduce(|a, b| a + b)
                        .unwrap_or_else(|| lit(0u32)),
                ),
            "members",
        ),
        (true, _) => (null_of(DataType::UInt32), "members"),
    };
    for con in &f.constraints {
        let tv = col(t(j));
        let (mask, what) = match &con.kind {
            ConstraintKind::Required => (col(v(j)).is_null(), "have no value".to_string()),
            ConstraintKind::Unique => {
                checks.push(Check {
                    code: con.kind.code(),
                    field: name.clone(),
                    rule: con.rule,
                    expected: con.kind.expected(),
                    what: "repeat an earlier row's value".into(),
                    measure: {
                        let (key, key_dtype) = key_of(f, c, j, &typed_dtype);
                        Measure::Duplicates {
                            keys: vec![key],
                            value: col(r(j)),
                            kind: KeyKind::of(&key_dtype),
                        }
                    },
                });
                continue;
            }
            // Durations order partly: one that is not, from every reference
            // instant, on the bound's right side is outside it.
            ConstraintKind::Minimum(b)
            | ConstraintKind::Maximum(b)
            | ConstraintKind::ExclusiveMinimum(b)
            | ConstraintKind::ExclusiveMaximum(b)
                if f.kind == FieldType::Duration =>
            {
                use std::cmp::Ordering::*;
                let (passing, what): (&'static [_], _) = match con.kind {
                    ConstraintKind::Minimum(_) => (&[Greater, Equal], "are below the minimum"),
                    ConstraintKind::Maximum(_) => (&[Less, Equal], "are above the maximum"),
                    ConstraintKind::ExclusiveMinimum(_) => (&[Greater], "are not above"),
                    _ => (&[Less], "are not below"),
                };
                (
                    super::convert::duration_outside(tv, &typed_dtype, &b.text, passing),
                    format!("{what} {}", b.text),
                )
            }
            // NaN sorts above every number in polars: no lower bound takes it.
            ConstraintKind::Minimum(b) => (
                past(
                    or_nan(tv.lt(literal(&b.value)), j, &typed_dtype),
                    true,
                    &b.value,
                    Expr::lt,
                ),
                format!("are below the minimum {}", b.text),
            ),
            ConstraintKind::Maximum(b) => (
                past(tv.gt(literal(&b.value)), false, &b.value, Expr::gt),
                format!("are above the maximum {}", b.text),
            ),
            ConstraintKind::ExclusiveMinimum(b) => (
                past(
                    or_nan(tv.lt_eq(literal(&b.value)), j, &typed_dtype),
                    true,
                    &b.value,
                    Expr::lt_eq,
                ),
                format!("are not above {}", b.text),
            ),
            ConstraintKind::ExclusiveMaximum(b) => (
                past(tv.gt_eq(literal(&b.value)), false, &b.value, Expr::gt_eq),
                format!("are not below {}", b.text),
            ),
            ConstraintKind::MinLength(n) => (
                if f.kind.is_collection() {
                    length.clone().lt(lit(*n))
                } else {
                    super::text::beyond_length(text.clone(), *n, true)
                },
                format!("are shorter than {n} {unit}"),
            ),
            ConstraintKind::MaxLength(n) => (
                if f.kind.is_collection() {
                    length.clone().gt(lit(*n))
                } else {
                    super::text::beyond_length(text.clone(), *n, false)
                },
                format!("are longer than {n} {unit}"),
            ),
            ConstraintKind::Pattern(p) => (
                super::pattern::mismatches(text.clone(), p),
                format!("do not match /{p}/"),
            ),
            ConstraintKind::Enum(values) => {
                let mut lits: Vec<Literal> = values.iter().map(|b| b.value.clone()).collect();
                let shown: Vec<&str> = values.iter().take(8).map(|b| b.text.as_str()).collect();
                let more = if values.len() > 8 { ", …" } else { "" };
                let (subject, dtype) = if let Some(keys) = super::convert::listed_keys(f, &lits) {
                    // Compared by value: the listed values' keys with the
                    // values' own.
                    lits = keys;
                    (col(k(j)), DataType::String)
                } else if f.kind == FieldType::Any && !is_text(&c.dtype) {
                    // An untyped field's values are texts: compare the cells' text.
                    (text.clone(), DataType::String)
                } else {
                    (tv, typed_dtype.clone())
                };
                let outside = one_of(subject, &lits, dtype).not();
                // An integer past 64 bits is listed only past 64 bits too.
                let outside = match &big {
                    Some(b) => {
                        let listed = lits
                            .iter()
                            .filter_map(|l| match l {
                                Literal::Wide(w) => Some(b.wide.clone().eq(lit(*w))),
                                _ => None,
                            })
                            .reduce(Expr::or)
                            .map_or(lit(false), |l| l.fill_null(lit(false)));
                        outside.or(b.big.clone().and(listed.not()))
                    }
                    None => outside,
                };
                (
                    outside,
                    format!("are not one of {}{more}", shown.join(", ")),
                )
            }
            ConstraintKind::NotBlank => (
                text.clone().str().contains(lit(r"^\s*$"), true),
                "are blank".to_string(),
            ),
            ConstraintKind::MinWords(n) => (
                words(&text).lt(lit(*n)),
                format!("have fewer than {n} words"),
            ),
            ConstraintKind::MaxWords(n) => (
                words(&text).gt(lit(*n)),
                format!("have more than {n} words"),
            ),
            ConstraintKind::MaxRepeatedLines(most) => (
                super::text::repeated_lines(text.clone()).gt(lit(*most)),
                format!("repeat more than {}% of their lines", most * 100.0),
            ),
            ConstraintKind::ValidText => (
                text.clone().str().contains(lit(super::text::INVALID), true),
                "have replacement or control characters".to_string(),
            ),
        };
        checks.push(Check {
            code: con.kind.code(),
            field: name.clone(),
            rule: con.rule,
            expected: con.kind.expected(),
            what,
            measure: Measure::Cells {
                mask,
                value: col(r(j)),
            },
        });
    }
}

/// The words of a text: runs of characters that are not blank.
fn words(text: &Expr) -> Expr {
    text.clone()
        .str()
        .count_matches(lit(r"\S+"), false)
        .cast(DataType::UInt64)
}

/// A count from a one-row result frame (0 when absent).
pub fn u64_at(df: &DataFrame, name: &str) -> u64 {
    df.column(name)
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>())
        .unwrap_or(0)
}
