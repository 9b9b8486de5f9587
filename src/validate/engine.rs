//! Running a compiled schema over one file: one streaming pass for every
//! count and the profile, then, only for checks that failed, a bounded pass
//! per check for sample rows.

use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use super::chunked::{self, Chunked};
use super::compile::{self, Check, Compiled, Measure, ROW, u64_at};
use super::distinct;
use super::json_kinds;
use super::lines;
use super::profiler;
use super::repeats::{self, KeySink};
use super::report::{ColumnProfile, Finding, Passed, Sample, Status};
use super::sampled;
use super::source::{self, Format, polars_message};
use super::written;
use crate::progress::plural;
use crate::schema::{Bounds, ForeignKey, NotChecked, Rule, Schema, Severity};
use serde::{Deserialize, Serialize};

const ROWS: &str = "__kiln_rows";
const VALUE: &str = "__kiln_value";
const FIRST: &str = "__kiln_first";

/// Whether a file is a table of its own or a shard of a dataset, whose
/// table-level checks (rows, bytes, repeated keys) hold over all its
/// shards and are judged when they are merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    File,
    Shard,
}

/// How one file is checked: as a table or a shard, and how much of the
/// keys it gathers for later judging stay in memory before they are sorted
/// onto disk in `spill`.
pub struct Pass<'a> {
    pub scope: Scope,
    /// Keys (32 bytes each) held in memory, over all of the file's checks.
    pub keys_in_memory: usize,
    pub spill: &'a Path,
}

/// What reading one file gave.
pub struct Outcome {
    pub rows: Option<u64>,
    pub findings: Vec<Finding>,
    pub passed: Vec<Passed>,
    pub not_checked: Vec<NotChecked>,
    pub profile: Vec<ColumnProfile>,
    /// The mergeable profile of the data (for a file kiln could read).
    pub stats: Option<crate::stats::Profile>,
    /// The keyed rows of each check judged once all keys are known.
    pub repeats: Vec<(RepeatCheck, Keys)>,
}

/// A check of keys judged once all of a table's keys are known (kept with
/// a shard's cached result): repeats within the table, or with `against`,
/// keys shared with that other dataset (`disjoint`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepeatCheck {
    pub code: String,
    pub field: Option<String>,
    pub severity: Severity,
    pub mostly: Option<f64>,
    pub expected: String,
    pub what: String,
    #[serde(default)]
    pub against: Option<Against>,
}

/// The other dataset of a `disjoint` check, and the fields of the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Against {
    pub dataset: String,
    pub fields: Vec<String>,
}

impl RepeatCheck {
    fn of(check: &Check, against: Option<Against>) -> RepeatCheck {
        RepeatCheck {
            code: check.code.into(),
            field: check.field.clone(),
            severity: check.rule.severity,
            mostly: check.rule.mostly,
            expected: check.expected.clone(),
            what: check.what.clone(),
            against,
        }
    }

    /// The finding for `count` repeats among `rows` rows.
    pub fn finding(&self, count: u64, rows: u64) -> Finding {
        let fraction = (rows > 0).then(|| count as f64 / rows as f64);
        Finding {
            code: self.code.clone(),
            field: self.field.clone(),
            severity: self.severity,
            status: status(self.mostly, fraction),
            count,
            fraction,
            mostly: self.mostly,
            expected: Some(self.expected.clone()).filter(|e| !e.is_empty()),
            observed: None,
            message: repeat_message(&self.code, &self.what, count),
            samples: Vec::new(),
        }
    }
}

/// "3 rows repeat an earlier row's …" / "1 value repeats …"
/// Makes, on a thread of its own, what every reading makes once: polars'
/// shared zeroed buffer of 8 MiB, written page by page (about 3 ms). A
/// check spends its first milliseconds on one core, reading its schema and
/// opening its files, so the other has the time.
pub fn warm_up() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::thread::spawn(|| drop(polars_arrow::bitmap::Bitmap::new_zeroed(1)));
    });
}

fn repeat_message(code: &str, what: &str, count: u64) -> String {
    let noun = if code == "cell/unique" {
        plural(count, "value", "values")
    } else {
        plural(count, "row", "rows")
    };
    let verb = if count == 1 {
        what.replacen("repeat", "repeats", 1)
            .replacen("have ", "has ", 1)
    } else {
        what.to_string()
    };
    format!("{noun} {verb}")
}

/// Failed, or tolerated where the share of failing rows is within `mostly`.
fn status(mostly: Option<f64>, fraction: Option<f64>) -> Status {
    // A hair of slack so that 3 passing rows of 5 meet `mostly: 0.6`.
    match (mostly, fraction) {
        (Some(m), Some(f)) if 1.0 - f >= m - 1e-9 => Status::Tolerated,
        _ => Status::Failed,
    }
}

fn parse_finding(message: String) -> Finding {
    failed("file/parse", 1, None, message)
}

fn unreadable(findings: Vec<Finding>, message: String, not_checked: Vec<NotChecked>) -> Outcome {
    let mut findings = findings;
    findings.push(parse_finding(message));
    Outcome {
        rows: None,
        findings,
        passed: Vec::new(),
        not_checked,
        profile: Vec::new(),
        stats: None,
        repeats: Vec::new(),
    }
}

/// The finding for a table of `bytes` against the schema's bounds.
pub fn bytes_finding(b: &Bounds, bytes: u64) -> Option<Finding> {
    let low = b.min.is_some_and(|m| bytes < m);
    let high = b.max.is_some_and(|m| bytes > m);
    (low || high).then(|| {
        let expected = compile::bounds_text(b.min, b.max, "bytes");
        let message = format!(
            "the file has {}; expected {expected}",
            plural(bytes, "byte", "bytes")
        );
        Finding {
            severity: b.rule.severity,
            observed: Some(bytes.to_string()),
            ..failed("file/bytes", 1, Some(expected), message)
        }
    })
}

fn orderable(d: &DataType) -> bool {
    d.is_primitive_numeric()
        || d.is_decimal()
        || matches!(
            d,
            DataType::String
                | DataType::Boolean
                | DataType::Date
                | DataType::Datetime(..)
                | DataType::Time
                | DataType::Duration(_)
        )
}

/// The data files of each of a schema's foreign keys' referenced tables,
/// as the caller resolved them (in the order of `Schema::foreign_keys`);
/// an empty list means this table itself; an error says why not found.
pub type References = [Result<Vec<std::path::PathBuf>, String>];

/// The missing values the CSV reader itself reads as null: where every
/// column has the same ones.
fn reader_missing(schema: &Schema, format: Format) -> Option<&[String]> {
    let uniform = schema
        .fields
        .iter()
        .all(|f| f.missing_values == schema.missing_values);
    (format.is_delimited() && uniform).then_some(schema.missing_values.as_slice())
}

/// A file opened for checking: its scan (of a UTF-8 copy, for other
/// encodings) and the schema compiled against its columns.
struct Opened {
    copy: Option<tempfile::NamedTempFile>,
    lf: LazyFrame,
    data_schema: polars::prelude::Schema,
    compiled: Compiled,
    /// A JSON file's lines of blanks only, which hold no row.
    blank_lines: Option<Vec<u64>>,
}

impl Opened {
    /// Opens `path`; `Err` says why it cannot be read, with what was not checked.
    fn new(
        path: &Path,
        format: Format,
        schema: &Schema,
    ) -> Result<Opened, (String, Vec<NotChecked>)> {
        let early = |message: String| (message, Vec::new());
        // Compressed text and other encodings are read through a plain copy
        // (JSON by `json_kinds::open`, where it is not read into memory).
        let copy = if format.is_json() {
            Ok(None)
        } else {
            source::plain_copy(path, format, &schema.dialect)
        };
        let copy = copy.map_err(|e| {
            early(match schema.dialect.encoding {
                crate::schema::Encoding::Other(_) => format!(
                    "cannot decode it as {}: {e}",
                    schema.dialect.encoding_name()
                ),
                _ => format!("cannot decompress it: {e}"),
            })
        })?;
        let path = copy.as_ref().map_or(path, |c| c.path());
        let reader_missing = reader_missing(schema, format);
        let (copy, mut lf, kinds, blank_lines) = if format.is_json() {
            let names: Vec<(usize, &str)> = schema
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| (i, f.name.as_str()))
                .collect();
            let (lines, lf, layout) = json_scan(path, format, &names).map_err(early)?;
            (lines.or(copy), lf, layout.kinds, Some(layout.blank_lines))
        } else {
            let lf = source::scan(path, format, &schema.dialect, reader_missing, &[])
                .map_err(|e| early(polars_message(&e, format)))?;
            (copy, lf, Vec::new(), None)
        };
        let data_schema = lf
            .collect_schema()
            .map_err(|e| early(polars_message(&e, format)))?;
        let data_schema = (*data_schema).clone();
        let kinded: Vec<usize> = kinds.iter().map(|(i, _)| *i).collect();
        let compiled = compile::compile(
            schema,
            &data_schema,
            format,
            reader_missing.is_some(),
            &kinded,
        );
        if !kinds.is_empty() {
            lf = match with_kinds(lf, kinds) {
                Ok(lf) => lf,
                Err(e) => return Err((polars_message(&e, format), compiled.not_checked)),
            };
        }
        Ok(Opened {
            copy,
            lf,
            data_schema,
            compiled,
            blank_lines,
        })
    }
}

/// A delimited file opened to be read in pieces by kiln; `None` where
/// polars' scan reads it (the slow path always), or if it cannot be mapped
/// (the scan then says why).
fn pieces(path: &Path, format: Format, schema: &Schema) -> Option<Chunked> {
    if !format.is_delimited() || super::slow_paths() {
        return None;
    }
    let options = source::csv_options(format, &schema.dialect, reader_missing(schema, format));
    let chunked = Chunked::open(path, options, schema.dialect.header)
        .ok()
        .flatten()?;
    tracing::debug!(
        "{}: read in {} pieces",
        path.display(),
        chunked.ends().len().saturating_sub(1)
    );
    Some(chunked)
}

/// Checks one file. `bytes` is its size; `schema` is already parsed.
pub fn run(
    path: &Path,
    format: Format,
    bytes: u64,
    schema: &Schema,
    references: &References,
    max_samples: usize,
    pass: &Pass,
) -> Outcome {
    let scope = pass.scope;
    let mut findings = Vec::new();
    let mut passed = Vec::new();
    if let Some(b) = schema.bytes.as_ref().filter(|_| scope == Scope::File) {
        match bytes_finding(b, bytes) {
            Some(f) => findings.push(f),
            None => passed.push(Passed {
                code: "file/bytes".into(),
                field: None,
            }),
        }
    }
    if bytes == 0 {
        return unreadable(findings, "the file is empty".into(), Vec::new());
    }
    let opened = match Opened::new(path, format, schema) {
        Ok(o) => o,
        Err((message, not_checked)) => return unreadable(findings, message, not_checked),
    };
    let Opened {
        ref copy,
        lf,
        data_schema,
        compiled,
        blank_lines,
    } = opened;
    let path = copy.as_ref().map_or(path, |c| c.path());
    // Rows with cells missing or extra, from the file's bytes: the reader
    // pads the first with empty cells and cuts the second.
    let chunked = pieces(path, format, schema);
    let shapes = if format.is_delimited() {
        let layout = layout(schema, format);
        let columns = data_schema.len();
        let in_pieces = chunked
            .as_ref()
            .and_then(|c| lines::row_shapes_in(c.bytes(), c.ends(), layout, columns, max_samples));
        match in_pieces.map_or_else(|| lines::row_shapes(path, layout, columns, max_samples), Ok) {
            Ok(shapes) => shapes,
            Err(e) => return unreadable(findings, e.to_string(), compiled.not_checked),
        }
    } else {
        lines::Shapes::default()
    };
    findings.extend(shape_finding(
        "row/missing-cell",
        "fewer",
        &shapes.short,
        data_schema.len(),
    ));
    findings.extend(shape_finding(
        "row/extra-cell",
        "more",
        &shapes.long,
        data_schema.len(),
    ));
    let counts = match typed_counts(
        path,
        format,
        schema,
        &data_schema,
        &compiled,
        &shapes.blank_cells,
        chunked.as_ref(),
        pass,
    ) {
        Some(counted) => Ok(counted),
        None => {
            // This pass reads the columns samples show: it notes them too
            // (the slow path reads them in a pass of their own).
            let noted = if super::slow_paths() { 0 } else { max_samples };
            let plan = aggregates(&compiled, pass, noted);
            Rows::of(chunked.as_ref(), &compiled, scope, &data_schema, || {
                Ok(lf.clone())
            })
            .and_then(|rows| plan.run(&compiled, rows))
        }
    };
    let (
        df,
        Gathered {
            profile: profile_plan,
            sinks,
            noted,
            exact,
        },
    ) = match counts {
        Ok(counted) => counted,
        Err(e) => return unreadable(findings, polars_message(&e, format), compiled.not_checked),
    };
    let rows = u64_at(&df, ROWS);
    // The file's pages mapped for its pieces are let go before any other
    // pass maps them again: under a memory limit, both would count.
    drop(chunked);
    // Named and typed as the file's columns, whichever read counted them.
    let stats = crate::stats::Profile {
        rows,
        columns: profile_plan
            .iter()
            .map(|p| crate::stats::ColumnStats {
                name: compiled.columns[p.j].name.clone(),
                dtype: compile::dtype_name(&compiled.columns[p.j].dtype),
                nulls: u64_at(&df, &format!("__kiln_pn{}", p.j)),
                summary: p
                    .observed
                    .as_ref()
                    .map(|o| profiler::lock(o).summary())
                    .unwrap_or_default(),
            })
            .collect(),
    };
    let profile = profile_plan
        .iter()
        .zip(&stats.columns)
        .map(|(p, c)| {
            let observed = p.observed.as_ref().map(profiler::lock);
            let range = observed.as_ref().map_or([None, None], |o| o.range());
            ColumnProfile::new(c, range, observed.map(|o| o.distinct()))
        })
        .collect();

    // Fingerprinted keys that look repeated are counted again, exactly (a
    // key the counting read typed as an integer was counted exactly, even
    // where the text read keys it by its digits).
    let recount: Vec<Expr> = compiled
        .checks
        .iter()
        .enumerate()
        .filter_map(|(k, check)| match &check.measure {
            Measure::Duplicates {
                keys,
                kind: Some(_),
                ..
            } if scope == Scope::File
                && (super::slow_paths()
                    || (!exact.contains(&k) && u64_at(&df, &format!("__kiln_d{k}")) > 0)) =>
            {
                Some(exact_duplicates(k, keys))
            }
            _ => None,
        })
        .flatten()
        .collect();
    let recounted = if recount.is_empty() {
        None
    } else {
        let exact = compiled
            .prepared(lf.clone(), false)
            .select(recount)
            .collect_with_engine(Engine::Streaming);
        match exact {
            Ok(r) => Some(r.unwrap_single()),
            Err(e) => {
                return unreadable(findings, polars_message(&e, format), compiled.not_checked);
            }
        }
    };

    let mut to_sample = Vec::new();
    let mut sinks: std::collections::HashMap<usize, _> =
        sinks.into_iter().map(|(k, sink, _)| (k, sink)).collect();
    let mut repeats = Vec::new();
    // Each sink taken once; a check sharing it names the check that took it.
    let mut taken: Vec<(Arc<std::sync::Mutex<KeySink>>, usize)> = Vec::new();
    let mut keys_of = |sink: Arc<std::sync::Mutex<KeySink>>, at: usize| match taken
        .iter()
        .find(|(t, _)| Arc::ptr_eq(t, &sink))
    {
        Some((_, i)) => Keys::SameAs(*i),
        None => {
            taken.push((sink.clone(), at));
            Keys::Gathered(take_sink(sink))
        }
    };
    for (k, check) in compiled.checks.iter().enumerate() {
        // Judged by the caller once every shard's keys are known.
        match &check.measure {
            Measure::Overlap {
                dataset, fields, ..
            } => {
                let against = Against {
                    dataset: dataset.clone(),
                    fields: fields.clone(),
                };
                if let Some(sink) = sinks.remove(&k) {
                    let keys = keys_of(sink, repeats.len());
                    repeats.push((RepeatCheck::of(check, Some(against)), keys));
                }
                continue;
            }
            Measure::Duplicates { .. } if scope == Scope::Shard => {
                if let Some(sink) = sinks.remove(&k) {
                    let keys = keys_of(sink, repeats.len());
                    repeats.push((RepeatCheck::of(check, None), keys));
                }
                continue;
            }
            Measure::Rows { .. } if scope == Scope::Shard => continue,
            _ => {}
        }
        let (count, observed) = match &check.measure {
            Measure::Cells { .. } => (u64_at(&df, &format!("__kiln_c{k}")), None),
            Measure::Duplicates { keys, kind, .. } => {
                let count = match (kind, &recounted) {
                    (Some(_), Some(exact)) if exact.column(&format!("__kiln_n{k}")).is_ok() => {
                        exact_count(exact, k, keys)
                    }
                    (Some(_), _) => u64_at(&df, &format!("__kiln_d{k}")),
                    (None, _) => exact_count(&df, k, keys),
                };
                (count, None)
            }
            Measure::Known { count, observed } => {
                (*count, Some(observed.clone()).filter(|o| !o.is_empty()))
            }
            Measure::Rows { min, max } => {
                let bad = min.is_some_and(|m| rows < m) || max.is_some_and(|m| rows > m);
                (u64::from(bad), Some(rows.to_string()))
            }
            Measure::Overlap { .. } => continue,
        };
        if count == 0 {
            passed.push(Passed {
                code: check.code.into(),
                field: check.field.clone(),
            });
            continue;
        }
        let finding = finding(check, count, observed, rows);
        if finding.is_failure()
            && max_samples > 0
            && matches!(
                check.measure,
                Measure::Cells { .. } | Measure::Duplicates { .. }
            )
        {
            to_sample.push((findings.len(), k));
        }
        findings.push(finding);
    }
    // Failing cell checks' samples as the first pass noted them, or all in
    // one more pass; repeats are found apart.
    let mut valued: std::collections::HashMap<usize, Vec<Sample>> = noted
        .iter()
        .map(|(k, rows)| (*k, sampled::samples(rows)))
        .collect();
    let cells: Vec<usize> = to_sample
        .iter()
        .map(|&(_, k)| k)
        .filter(|&k| matches!(compiled.checks[k].measure, Measure::Cells { .. }))
        .filter(|k| !valued.contains_key(k))
        .collect();
    let more = match sampled::gather(&lf, &compiled, &cells, max_samples, rows) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(
                "{}: cannot fetch sample rows: {}",
                path.display(),
                polars_message(&e, format)
            );
            Default::default()
        }
    };
    valued.extend(more);
    for (i, k) in to_sample {
        if let Some(s) = valued.remove(&k) {
            findings[i].samples = s;
            continue;
        }
        match repeat_samples(&lf, &compiled, &compiled.checks[k], max_samples, rows, pass) {
            Ok(s) => findings[i].samples = s,
            Err(e) => tracing::warn!(
                "{}: cannot fetch sample rows: {}",
                path.display(),
                polars_message(&e, format)
            ),
        }
    }
    for (fk, files) in schema.foreign_keys.iter().zip(references) {
        match foreign_key_finding(&lf, &compiled, schema, fk, files, rows, max_samples) {
            Ok(Some(f)) => findings.push(f),
            Ok(None) => passed.push(Passed {
                code: "row/foreign-key".into(),
                field: None,
            }),
            Err(message) => findings.push(Finding {
                message,
                ..foreign_key_base(fk, 1)
            }),
        }
    }
    if !compiled.empty_line_blank {
        empty_lines(
            &shapes.empty,
            &compiled,
            rows,
            max_samples,
            &mut findings,
            &mut passed,
        );
    }
    if format.is_delimited() || format == Format::Ndjson {
        add_lines(path, schema, format, blank_lines.as_deref(), &mut findings);
    }
    Outcome {
        rows: Some(rows),
        findings,
        passed,
        not_checked: compiled.not_checked,
        profile,
        stats: Some(stats),
        repeats,
    }
}

/// Rows `rows` of one file as samples of its check of repeated keys
/// `code` (on `field`): the key's value and, for text, the line.
pub fn key_samples(
    path: &Path,
    format: Format,
    schema: &Schema,
    code: &str,
    field: Option<&str>,
    rows: &[u64],
) -> Result<Vec<Sample>, String> {
    let Opened {
        ref copy,
        lf,
        compiled,
        blank_lines,
        ..
    } = Opened::new(path, format, schema).map_err(|(message, _)| message)?;
    let read = copy.as_ref().map_or(path, |c| c.path());
    let Some(value) = compiled.checks.iter().find_map(|c| match &c.measure {
        Measure::Duplicates { value, .. } | Measure::Overlap { value, .. }
            if c.code == code && c.field.as_deref() == field =>
        {
            Some(value.clone())
        }
        _ => None,
    }) else {
        return Ok(Vec::new());
    };
    let found = collect_samples(
        compiled
            .prepared(lf, true)
            .filter(at_rows(rows.iter().copied()))
            .select([col(ROW), value.alias(VALUE)]),
    )
    .map_err(|e| polars_message(&e, format))?;
    let mut findings = [Finding {
        samples: found,
        ..failed(code, 0, None, String::new())
    }];
    if format.is_delimited() || format == Format::Ndjson {
        add_lines(read, schema, format, blank_lines.as_deref(), &mut findings);
    }
    let [finding] = findings;
    Ok(finding.samples)
}

/// The keyed rows of `fields` (as text) of a file of another dataset, read
/// without a schema (an empty cell is no value).
pub fn column_keys(
    path: &Path,
    format: Format,
    fields: &[String],
    sink: KeySink,
) -> Result<KeySink, String> {
    let failed = |e: PolarsError| polars_message(&e, format);
    let (_lines, mut lf) = text_scan(path, format)?;
    let columns = lf.collect_schema().map_err(failed)?;
    if let Some(f) = fields.iter().find(|f| columns.get(f.as_str()).is_none()) {
        return Err(format!("{} has no column `{f}`", path.display()));
    }
    let named: Vec<String> = (0..fields.len()).map(|i| format!("__kiln_o{i}")).collect();
    let mut select = vec![col(ROW)];
    select.extend(
        fields
            .iter()
            .zip(&named)
            .map(|(f, n)| written::as_text(col(f.as_str())).alias(n.as_str())),
    );
    let (expr, list) = repeats::fingerprints(&named, sink);
    lf.with_row_index(ROW, Some(1))
        .select(select)
        .select([expr.sum()])
        .collect_with_engine(Engine::Streaming)
        .map_err(failed)?;
    Ok(take_sink(list))
}

/// A check's keyed rows: gathered for it, or the same as those of an
/// earlier check (by its place in [`Outcome::repeats`]) of the same key.
pub enum Keys {
    Gathered(KeySink),
    SameAs(usize),
}

/// The sink an expression filled, once the pass that evaluated it is done.
fn take_sink(shared: Arc<std::sync::Mutex<KeySink>>) -> KeySink {
    let mut guard = shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    std::mem::replace(&mut *guard, KeySink::new(1, Path::new(".")))
}

/// The counts of a delimited file read with the reader typing its plain
/// number columns (`compile::reader_types`) but those with a cell that does
/// not parse; `None` where none is left to type, and the file must be read
/// as text. Both plans compile the same checks in the same order, so their
/// counts agree.
#[allow(clippy::too_many_arguments)]
fn typed_counts(
    path: &Path,
    format: Format,
    schema: &Schema,
    text_schema: &polars::prelude::Schema,
    text: &Compiled,
    blank_cells: &[bool],
    chunked: Option<&Chunked>,
    pass: &Pass,
) -> Option<Counted> {
    let reader_missing = reader_missing(schema, format);
    // The reader makes blank number cells null; kiln only where blank is missing.
    let blank_is_missing = reader_missing.is_some_and(|m| m.iter().any(String::is_empty));
    if !format.is_delimited() || !schema.dialect.header || !blank_is_missing || super::slow_paths()
    {
        return None;
    }
    // A cell of blanks is no number to kiln, and empty to the reader.
    let mut types: Vec<_> = compile::reader_types(schema, text)
        .into_iter()
        .filter(|(name, _)| {
            let j = text_schema.index_of(name.as_str());
            !j.is_some_and(|j| blank_cells.get(j).copied().unwrap_or(false))
        })
        .collect();
    while !types.is_empty() {
        let mut typed_schema = text_schema.clone();
        for (name, dtype) in &types {
            typed_schema.with_column(name.as_str().into(), dtype.clone());
        }
        let compiled = compile::compile(schema, &typed_schema, format, true, &[]);
        let rows = Rows::of(chunked, &compiled, pass.scope, &typed_schema, || {
            source::scan(path, format, &schema.dialect, reader_missing, &types)
        })
        .ok()?;
        // Typed cells would show as their values, not as written: samples
        // are read from the text afterwards.
        let plan = aggregates(&compiled, pass, 0);
        let e = match plan.run(&compiled, rows) {
            Ok(counted) => return Some(counted),
            Err(e) => e.to_string(),
        };
        // A cell that is not of its column's type stops the read at its
        // row: that column is read as text and the rest typed again, so a
        // broken file costs a short read per broken column, not a whole
        // read as text. The reader names the column in its message.
        let Some(broken) = types
            .iter()
            .position(|(name, _)| e.contains(&format!("at column '{name}'")))
        else {
            tracing::debug!("{}: reading as text: {e}", path.display());
            return None;
        };
        let (name, _) = types.remove(broken);
        tracing::debug!("{}: reading column `{name}` as text: {e}", path.display());
    }
    tracing::debug!(
        "{}: reading as text: no column left to type",
        path.display()
    );
    None
}

pub fn finding(check: &Check, count: u64, observed: Option<String>, rows: u64) -> Finding {
    let per_row = matches!(
        check.measure,
        Measure::Cells { .. } | Measure::Duplicates { .. }
    );
    let fraction = (per_row && rows > 0).then(|| count as f64 / rows as f64);
    let Rule { severity, mostly } = check.rule;
    let status = status(mostly, fraction);
    let field = check.field.as_deref();
    let message = match (check.code, &check.measure) {
        (_, Measure::Cells { .. }) => {
            let noun = if check.code == "cell/required" || check.code.starts_with("row/") {
                plural(count, "row", "rows")
            } else {
                plural(count, "value", "values")
            };
            // "3 values are below …" / "1 value is below …"
            let verb = if count == 1 {
                check
                    .what
                    .replacen("are ", "is ", 1)
                    .replacen("have ", "has ", 1)
                    .replacen("do not", "does not", 1)
            } else {
                check.what.clone()
            };
            format!("{noun} {verb}")
        }
        (_, Measure::Duplicates { .. }) => repeat_message(check.code, &check.what, count),
        ("table/rows", _) => format!(
            "the table has {}; expected {}",
            plural(
                observed
                    .as_deref()
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(0),
                "row",
                "rows"
            ),
            check.expected
        ),
        ("fields/missing" | "fields/extra", _) if field.is_some() => {
            let kind = if check.code == "fields/missing" {
                "field"
            } else {
                "column"
            };
            format!("{kind} `{}` {}", field.unwrap_or_default(), check.what)
        }
        ("fields/label", _) => format!("{}; expected `{}`", check.what, check.expected),
        ("file/dtype", _) => format!(
            "`{}` {}; expected {}",
            field.unwrap_or_default(),
            check.what,
            check.expected
        ),
        _ => check.what.clone(),
    };
    Finding {
        code: check.code.into(),
        field: check.field.clone(),
        severity,
        status,
        count,
        fraction,
        mostly,
        expected: Some(check.expected.clone()).filter(|e| !e.is_empty()),
        observed,
        message,
        samples: Vec::new(),
    }
}

struct ProfilePlan {
    j: usize,
    observed: Option<profiler::Shared>,
}

/// Where a check's keys gather during the pass, by the check's number,
/// with the key's columns.
type Sinks = Vec<(usize, Arc<std::sync::Mutex<KeySink>>, Vec<String>)>;

/// What the first pass gave: its one-row frame of counts, and what it
/// gathered on the way.
type Counted = (DataFrame, Gathered);

/// The first pass: every count and the profile as aggregations over the
/// derived columns, and on the way the keys of the checks judged later and
/// the first failing rows of cell checks (which need row numbers).
struct Plan {
    aggs: Vec<Expr>,
    gathered: Gathered,
}

/// What the first pass gathers besides its counts: what the profile reads,
/// each deferred check's keys, and each cell check's first failing rows.
struct Gathered {
    profile: Vec<ProfilePlan>,
    sinks: Sinks,
    noted: Vec<(usize, sampled::Noted)>,
    /// The checks whose repeats the pass counted exactly.
    exact: Vec<usize>,
}

/// Where a pass reads its rows: polars' scan, or a delimited file's pieces
/// read as the columns of a schema.
enum Rows<'a> {
    Scan(Box<LazyFrame>),
    /// A file's pieces, so many parsed at once.
    Pieces(&'a Chunked, &'a polars::prelude::Schema, usize),
}

impl<'a> Rows<'a> {
    /// The rows of a file read as `schema`'s columns, for a pass of `c`: in
    /// pieces where the file is read so and the pass only counts and sums
    /// (see `sums_only`), else from `scan`.
    fn of(
        chunked: Option<&'a Chunked>,
        c: &Compiled,
        scope: Scope,
        schema: &'a polars::prelude::Schema,
        scan: impl FnOnce() -> PolarsResult<LazyFrame>,
    ) -> PolarsResult<Rows<'a>> {
        // A dataset's shards are read two a core already: each takes two
        // pieces at a time, and memory stays a few pieces a core.
        let at_once = match scope {
            Scope::File => chunked::pieces_at_once(),
            Scope::Shard => 2,
        };
        Ok(match chunked.filter(|_| sums_only(c, scope)) {
            Some(chunked) => Rows::Pieces(chunked, schema, at_once),
            None => Rows::Scan(Box::new(scan()?)),
        })
    }
}

impl Plan {
    fn run(self, c: &Compiled, from: Rows) -> PolarsResult<Counted> {
        let g = self.gathered;
        let numbered = !g.sinks.is_empty() || !g.noted.is_empty();
        let df = match from {
            Rows::Scan(lf) => c
                .prepared(*lf, numbered)
                .select(self.aggs)
                .collect_with_engine(Engine::Streaming)?
                .unwrap_single(),
            Rows::Pieces(chunked, schema, at_once) => {
                let mut counted = Vec::new();
                let mut first: u64 = 1;
                chunked.for_each_frame(schema, at_once, |frame| {
                    let at = IdxSize::try_from(first)
                        .map_err(|_| polars_err!(ComputeError: "more rows than kiln numbers"))?;
                    first += frame.height() as u64;
                    let part = c
                        .prepared_from(frame.lazy(), numbered.then_some(at))
                        .select(self.aggs.clone())
                        .collect_with_engine(Engine::Streaming)?;
                    counted.push(part.unwrap_single().lazy());
                    Ok(())
                })?;
                // Every aggregate is a count or a sum (see `sums_only`):
                // the pieces' add up, and the gathered state is shared.
                concat(counted, UnionArgs::default())?
                    .select([all().as_expr().sum()])
                    .collect()?
            }
        };
        Ok((df, g))
    }
}

/// Whether every aggregate of the first pass is a count or a sum, so a file
/// read in pieces is counted piece by piece: all but repeats counted by
/// polars over the whole column.
fn sums_only(c: &Compiled, scope: Scope) -> bool {
    scope != Scope::File
        || !c
            .checks
            .iter()
            .any(|check| matches!(check.measure, Measure::Duplicates { kind: None, .. }))
}

/// The first pass's plan, noting up to `samples` failing rows of each cell
/// check.
fn aggregates(c: &Compiled, pass: &Pass, samples: usize) -> Plan {
    let scope = pass.scope;
    let mut aggs = vec![len().cast(DataType::UInt64).alias(ROWS)];
    // Checks of the same key (`unique` on a text and `disjoint` on it, say)
    // share one sink: the keys are gathered once.
    let mut keyed: Vec<&Vec<String>> = Vec::new();
    for check in &c.checks {
        match &check.measure {
            Measure::Overlap { keys, .. } => keyed.push(keys),
            Measure::Duplicates { keys, .. } if scope == Scope::Shard => keyed.push(keys),
            _ => {}
        }
    }
    keyed.sort();
    keyed.dedup();
    let limit = pass.keys_in_memory / keyed.len().max(1);
    let mut sinks: Sinks = Vec::new();
    let mut noted = Vec::new();
    let mut exact = Vec::new();
    let mut gather = |k: usize, keys: &[String]| {
        let same = sinks
            .iter()
            .find(|(_, _, of)| of == keys)
            .map(|(_, sink, _)| sink.clone());
        if let Some(sink) = same {
            sinks.push((k, sink, keys.to_vec()));
            return None;
        }
        let (expr, sink) = repeats::fingerprints(keys, KeySink::new(limit, pass.spill));
        sinks.push((k, sink, keys.to_vec()));
        Some(expr.sum().alias(format!("__kiln_f{k}")))
    };
    for (k, check) in c.checks.iter().enumerate() {
        match &check.measure {
            Measure::Cells { mask, value } => {
                let mask = match c.shown_cheaply(value).filter(|_| samples > 0) {
                    Some(shown) => {
                        let (mask, rows) = sampled::first_rows(mask.clone(), shown, samples);
                        noted.push((k, rows));
                        mask
                    }
                    None => mask.clone(),
                };
                aggs.push(
                    mask.sum()
                        .cast(DataType::UInt64)
                        .alias(format!("__kiln_c{k}")),
                );
            }
            // A shard's keys are judged with every other shard's.
            Measure::Duplicates { keys, .. } if scope == Scope::Shard => {
                aggs.extend(gather(k, keys))
            }
            Measure::Overlap { keys, .. } => aggs.extend(gather(k, keys)),
            Measure::Duplicates {
                keys,
                kind: Some(kind),
                ..
            } => {
                if kind.is_exact() {
                    exact.push(k);
                }
                aggs.push(
                    distinct::seen_before(col(keys[0].as_str()), *kind)
                        .sum()
                        .cast(DataType::UInt64)
                        .alias(format!("__kiln_d{k}")),
                );
            }
            Measure::Duplicates { keys, .. } => aggs.extend(exact_duplicates(k, keys)),
            Measure::Known { .. } | Measure::Rows { .. } => {}
        }
    }
    let mut plan = Vec::new();
    for (j, column) in c.columns.iter().enumerate() {
        let nested = !orderable(&column.dtype)
            && !matches!(column.dtype, DataType::Categorical(..) | DataType::Enum(..));
        aggs.push(
            col(compile::v(j))
                .null_count()
                .cast(DataType::UInt64)
                .alias(format!("__kiln_pn{j}")),
        );
        // Declared fields profile their typed values; others their text.
        let observed = (!nested).then(|| {
            let profiled = if column.field.is_some() {
                col(compile::t(j))
            } else {
                col(compile::v(j))
            };
            let dtype = &c.typed_dtypes[j];
            let (fill, observed) = profiler::observe_column(profiled, dtype);
            aggs.push(fill.sum().alias(format!("__kiln_pd{j}")));
            observed
        });
        plan.push(ProfilePlan { j, observed });
    }
    Plan {
        aggs,
        gathered: Gathered {
            profile: plan,
            sinks,
            noted,
            exact,
        },
    }
}

/// What polars counts for a key's repeats, exactly: keyed rows, distinct
/// keys, and (for one column) null keys.
fn exact_duplicates(k: usize, keys: &[String]) -> Vec<Expr> {
    if let [key] = keys {
        let key = col(key.as_str());
        return vec![
            key.clone()
                .count()
                .cast(DataType::UInt64)
                .alias(format!("__kiln_n{k}")),
            key.clone()
                .n_unique()
                .cast(DataType::UInt64)
                .alias(format!("__kiln_u{k}")),
            key.null_count()
                .cast(DataType::UInt64)
                .alias(format!("__kiln_z{k}")),
        ];
    }
    let keyed = all_keyed(keys);
    let cols: Vec<Expr> = keys.iter().map(|k| col(k.as_str())).collect();
    vec![
        keyed
            .clone()
            .sum()
            .cast(DataType::UInt64)
            .alias(format!("__kiln_n{k}")),
        as_struct(cols)
            .filter(keyed)
            .n_unique()
            .cast(DataType::UInt64)
            .alias(format!("__kiln_u{k}")),
    ]
}

/// The repeats `exact_duplicates` counted for check `k`.
fn exact_count(df: &DataFrame, k: usize, keys: &[String]) -> u64 {
    let keyed = u64_at(df, &format!("__kiln_n{k}"));
    let distinct = u64_at(df, &format!("__kiln_u{k}"));
    if keys.len() == 1 {
        // n_unique counts null as one more value.
        let nulls = u64_at(df, &format!("__kiln_z{k}"));
        keyed.saturating_sub(distinct.saturating_sub(u64::from(nulls > 0)))
    } else {
        keyed.saturating_sub(distinct)
    }
}

fn all_keyed(keys: &[String]) -> Expr {
    keys.iter()
        .map(|k| col(k.as_str()).is_not_null())
        .reduce(|a, b| a.and(b))
        .unwrap_or_else(|| lit(true))
}

/// Rows of a file the search for repeats joins at most: a join holds every
/// row it reads (about 1 GB at 8 million rows of one integer key).
fn joined_rows() -> u64 {
    static ROWS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *ROWS.get_or_init(|| {
        std::env::var(crate::env::TEST_JOINED_ROWS)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1 << 21)
    })
}
/// Keys the search past them holds in memory before sorting them onto disk.
const SAMPLE_KEYS: usize = 1 << 21;

/// Up to `n` rows of a check of repeated keys whose key an earlier row has.
fn repeat_samples(
    lf: &LazyFrame,
    c: &Compiled,
    check: &Check,
    n: usize,
    rows: u64,
    pass: &Pass,
) -> PolarsResult<Vec<Sample>> {
    let Measure::Duplicates { keys, value, .. } = &check.measure else {
        return Ok(Vec::new());
    };
    // Repeats within the first rows are repeats of the file, so growing
    // windows of the first rows usually end the search early.
    let joined = joined_rows();
    let first = lf.clone().slice(0, joined as IdxSize);
    let found = sampled::in_windows(&first, rows.min(joined), 1 << 20, 2, |part| {
        let found = repeats(&c.prepared(part, true), keys, value, n)?;
        let enough = found.len() >= n;
        Ok((found, enough))
    })?;
    if found.len() >= n || rows <= joined {
        return Ok(found);
    }
    // Past them, every row's key as a fingerprint, sorted onto disk beyond
    // a bounded number, in windows four times larger each: the earliest
    // rows that repeat one, read once more up to the last of them.
    let failed = |e: crate::fsutil::IoError| polars_err!(ComputeError: "{e}");
    crate::fsutil::create_dir_all(pass.spill).map_err(failed)?;
    let pairs = sampled::in_windows(lf, rows, joined * 2, 4, |part| {
        let (expr, sink) = repeats::fingerprints(keys, KeySink::new(SAMPLE_KEYS, pass.spill));
        c.prepared(part, true)
            .select([expr.sum()])
            .collect_with_engine(Engine::Streaming)?;
        let run = crate::fsutil::temp_file(pass.spill).map_err(failed)?;
        take_sink(sink)
            .finish(run.path(), pass.spill)
            .map_err(failed)?;
        let pairs = repeats::merge(&[run.path().to_path_buf()], n, pass.spill, None)
            .map_err(failed)?
            .samples;
        let enough = pairs.len() >= n;
        Ok((pairs, enough))
    })?;
    let last = pairs.iter().map(|p| p.repeat.row).max().unwrap_or(0);
    collect_samples(
        c.prepared(lf.clone().slice(0, last as IdxSize), true)
            .filter(at_rows(pairs.iter().map(|p| p.repeat.row)))
            .select([col(ROW), value.clone().alias(VALUE)]),
    )
}

/// Whether a row is one of `rows` (by its number).
fn at_rows(rows: impl Iterator<Item = u64>) -> Expr {
    rows.map(|r| col(ROW).eq(lit(r)))
        .reduce(Expr::or)
        .unwrap_or_else(|| lit(false))
}

/// Up to `n` rows whose key appeared on an earlier row.
fn repeats(base: &LazyFrame, keys: &[String], value: &Expr, n: usize) -> PolarsResult<Vec<Sample>> {
    let keyed = base.clone().filter(all_keyed(keys));
    let on: Vec<Expr> = keys.iter().map(|k| col(k.as_str())).collect();
    let firsts = keyed
        .clone()
        .group_by(on.clone())
        .agg([col(ROW).min().alias(FIRST)]);
    let limited = keyed
        .join(firsts, on.clone(), on, JoinArgs::new(JoinType::Inner))
        .filter(col(ROW).gt(col(FIRST)))
        .sort([ROW], SortMultipleOptions::default())
        .limit(n as IdxSize)
        .select([col(ROW), value.clone().alias(VALUE)]);
    collect_samples(limited)
}

fn collect_samples(limited: LazyFrame) -> PolarsResult<Vec<Sample>> {
    let df = limited
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let rows = df.column(ROW)?.cast(&DataType::UInt64)?;
    let rows = rows.u64()?;
    let values = written::text_of(df.column(VALUE)?.as_materialized_series())?;
    let values = values.str()?;
    let mut out: Vec<Sample> = (0..df.height())
        .filter_map(|i| {
            Some(Sample::new(
                rows.get(i)?,
                None,
                values.get(i).map(str::to_string),
            ))
        })
        .collect();
    out.sort_by_key(|s| s.row);
    Ok(out)
}

fn foreign_key_base(fk: &ForeignKey, count: u64) -> Finding {
    let target = if fk.resource.is_empty() {
        "this table".to_string()
    } else {
        fk.resource.clone()
    };
    let expected = format!("{target} ({})", fk.reference_fields.join(", "));
    failed("row/foreign-key", count, Some(expected), String::new())
}

/// Rows whose foreign key (every part with a value) is no row's reference
/// fields in the referenced table: a left join on the distinct referenced
/// keys, keeping the rows that found none.
fn foreign_key_finding(
    lf: &LazyFrame,
    compiled: &Compiled,
    schema: &Schema,
    fk: &ForeignKey,
    files: &Result<Vec<std::path::PathBuf>, String>,
    rows: u64,
    max_samples: usize,
) -> Result<Option<Finding>, String> {
    let files = files.as_ref().map_err(Clone::clone)?;
    let column = |name: &str| {
        compiled
            .columns
            .iter()
            .position(|c| c.field.is_some_and(|i| schema.fields[i].name == name))
    };
    let Some(ours) = fk
        .fields
        .iter()
        .map(|f| column(f))
        .collect::<Option<Vec<_>>>()
    else {
        // A field missing from the data is its own finding.
        return Ok(None);
    };
    let key = |k: usize| format!("__kiln_fk{k}");
    let keyed = |e: Vec<Expr>| {
        e.into_iter()
            .enumerate()
            .map(|(k, e)| written::as_text(e).alias(key(k)))
            .collect::<Vec<_>>()
    };
    let mut select = vec![col(ROW)];
    select.extend(keyed(ours.iter().map(|&j| col(compile::v(j))).collect()));
    let all_set = (0..ours.len())
        .map(|k| col(key(k)).is_not_null())
        .reduce(|a, b| a.and(b))
        .unwrap_or(lit(true));
    let rows_keyed = compiled
        .prepared(lf.clone(), true)
        .select(select)
        .filter(all_set);
    // Copies a JSON array of records is read through, kept to the end.
    let mut copies = Vec::new();
    let theirs = if files.is_empty() {
        let Some(refs) = fk
            .reference_fields
            .iter()
            .map(|f| column(f))
            .collect::<Option<Vec<_>>>()
        else {
            return Err(format!(
                "the referenced fields ({}) are not in the data",
                fk.reference_fields.join(", ")
            ));
        };
        compiled
            .prepared(lf.clone(), false)
            .select(keyed(refs.iter().map(|&j| col(compile::v(j))).collect()))
    } else {
        let mut parts = Vec::new();
        for file in files {
            let format = Format::of(file)
                .ok_or_else(|| format!("{}: not a data file kiln reads", file.display()))?;
            let (lines, scan) =
                text_scan(file, format).map_err(|e| format!("{}: {e}", file.display()))?;
            copies.extend(lines);
            parts.push(
                scan.select(keyed(
                    fk.reference_fields
                        .iter()
                        .map(|f| col(f.as_str()))
                        .collect(),
                )),
            );
        }
        concat(parts, UnionArgs::default()).map_err(|e| e.to_string())?
    };
    let on: Vec<Expr> = (0..ours.len()).map(|k| col(key(k))).collect();
    let found = theirs
        .unique(None, UniqueKeepStrategy::Any)
        .with_column(lit(true).alias("__kiln_found"));
    let missing = rows_keyed
        .join(found, on.clone(), on, JoinArgs::new(JoinType::Left))
        .filter(col("__kiln_found").is_null());
    let value = concat_str(
        (0..ours.len()).map(|k| col(key(k))).collect::<Vec<_>>(),
        ", ",
        true,
    );
    let count = missing
        .clone()
        .select([len().cast(DataType::UInt64).alias(ROWS)])
        .collect_with_engine(Engine::Streaming)
        .map(|r| u64_at(&r.unwrap_single(), ROWS))
        .map_err(|e| e.to_string())?;
    if count == 0 {
        return Ok(None);
    }
    let samples = collect_samples(
        missing
            .sort([ROW], SortMultipleOptions::default())
            .limit(max_samples as IdxSize)
            .select([col(ROW), value.alias(VALUE)]),
    )
    .map_err(|e| e.to_string())?;
    let base = foreign_key_base(fk, count);
    Ok(Some(Finding {
        fraction: (rows > 0).then(|| count as f64 / rows as f64),
        message: format!(
            "{} {} a key ({}) not found in {}",
            plural(count, "row", "rows"),
            if count == 1 { "has" } else { "have" },
            fk.fields.join(", "),
            base.expected.clone().unwrap_or_default()
        ),
        samples,
        ..base
    }))
}

/// A file of another table read without a schema (an empty text cell is no
/// value), and the copy it is read through.
fn text_scan(
    path: &Path,
    format: Format,
) -> Result<(Option<tempfile::NamedTempFile>, LazyFrame), String> {
    if format.is_json() {
        let (lines, lf, _) = json_scan(path, format, &[])?;
        return Ok((lines, lf));
    }
    let lf = source::scan(
        path,
        format,
        &crate::schema::Dialect::default(),
        Some(&[String::new()]),
        &[],
    )
    .map_err(|e| polars_message(&e, format))?;
    Ok((None, lf))
}

/// A JSON file's copy (as lines, where it was an array of records; plain,
/// where it was compressed and is scanned), its rows with every member as
/// text (read into memory by kiln, or on the slow path and for a large file
/// scanned by polars), and its layout: the kinds of the cells of the fields
/// asked for where some are not text, and its lines of blanks (see
/// [`json_kinds`]).
type JsonScan = (
    Option<tempfile::NamedTempFile>,
    LazyFrame,
    json_kinds::Layout,
);

fn json_scan(path: &Path, format: Format, names: &[(usize, &str)]) -> Result<JsonScan, String> {
    let own = !super::slow_paths();
    json_kinds::open(path, format, names, own)
}

/// The JSON-lines scan beside the kinds of the cells of `kinds`' fields,
/// row by row (see [`json_kinds`]).
fn with_kinds(lf: LazyFrame, kinds: Vec<(usize, Vec<u8>)>) -> PolarsResult<LazyFrame> {
    let columns: Vec<Column> = kinds
        .into_iter()
        .map(|(i, k)| Column::new(compile::jk(i).into(), k))
        .collect();
    let df = DataFrame::new_infer_height(columns)?;
    // Rows that would not line up are an error, never kinds of other rows.
    let options = HConcatOptions {
        strict: true,
        ..HConcatOptions::default()
    };
    concat_lf_horizontal([lf, df.lazy()], options)
}

/// How the file's bytes split into records and cells.
fn layout(schema: &Schema, format: Format) -> lines::Layout {
    let dialect = &schema.dialect;
    if format == Format::Ndjson {
        // A JSON line holds no raw newline, quoted or not.
        return lines::Layout {
            quote: None,
            comment: None,
            delimiter: None,
            header: false,
        };
    }
    lines::Layout {
        quote: dialect.quote_char,
        comment: dialect.comment_char,
        delimiter: Some(source::delimiter(format, dialect)),
        header: dialect.header,
    }
}

/// A finding for rows with fewer or more cells than the header has.
fn shape_finding(
    code: &str,
    side: &str,
    ragged: &lines::Ragged,
    columns: usize,
) -> Option<Finding> {
    (ragged.rows > 0).then(|| Finding {
        samples: ragged
            .samples
            .iter()
            .map(|&(row, line, cells)| {
                Sample::new(row, Some(line), Some(plural(cells as u64, "cell", "cells")))
            })
            .collect(),
        ..failed(
            code,
            ragged.rows,
            Some(plural(columns as u64, "cell", "cells")),
            format!(
                "{} {} {side} cells than the header's {columns}",
                plural(ragged.rows, "row", "rows"),
                if ragged.rows == 1 { "has" } else { "have" }
            ),
        )
    })
}

/// Empty lines the pass did not find blank (a column reads an empty cell
/// as a value) counted as blank rows all the same: an empty line holds no
/// cell at all, as frictionless-py reads it.
fn empty_lines(
    empty: &lines::Ragged,
    compiled: &Compiled,
    rows: u64,
    max_samples: usize,
    findings: &mut Vec<Finding>,
    passed: &mut Vec<Passed>,
) {
    let Some(check) = compiled.checks.iter().find(|c| c.code == "row/blank") else {
        return;
    };
    if empty.rows == 0 {
        return;
    }
    passed.retain(|p| p.code != "row/blank");
    let found = findings.iter().position(|f| f.code == "row/blank");
    let (count, mut samples) = match found {
        Some(i) => {
            let f = findings.remove(i);
            (f.count, f.samples)
        }
        None => (0, Vec::new()),
    };
    samples.extend(
        (empty.samples.iter())
            .map(|&(row, line, _)| Sample::new(row, Some(line), Some(String::new()))),
    );
    samples.sort_by_key(|s| s.row);
    samples.truncate(max_samples);
    findings.push(Finding {
        samples,
        ..finding(check, count + empty.rows, None, rows)
    });
}

/// A failed table-level finding, an error, without samples or fractions.
fn failed(code: &str, count: u64, expected: Option<String>, message: String) -> Finding {
    Finding {
        code: code.into(),
        field: None,
        severity: crate::schema::Severity::Error,
        status: Status::Failed,
        count,
        fraction: None,
        mostly: None,
        expected,
        observed: None,
        message,
        samples: Vec::new(),
    }
}

/// Adds the line each sample's row starts on: of a JSON file, from its
/// lines of blanks (`blank_lines`), as its first read found them; else
/// from a read of the file.
fn add_lines(
    path: &Path,
    schema: &Schema,
    format: Format,
    blank_lines: Option<&[u64]>,
    findings: &mut [Finding],
) {
    let mut rows: Vec<u64> = findings
        .iter()
        .flat_map(|f| f.samples.iter().map(|s| s.row))
        .collect();
    if rows.is_empty() {
        return;
    }
    rows.sort_unstable();
    rows.dedup();
    let lines = match blank_lines {
        Some(blanks) => Ok(json_kinds::lines_of_rows(blanks, &rows)),
        None => lines::lines_of_rows(path, &rows, layout(schema, format)),
    };
    match lines {
        Ok(map) => {
            for s in findings.iter_mut().flat_map(|f| f.samples.iter_mut()) {
                s.line = map.get(&s.row).copied();
            }
        }
        Err(e) => tracing::warn!("{}: cannot number sample lines: {e}", path.display()),
    }
}
