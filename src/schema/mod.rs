//! Table schemas: a superset of Frictionless Table Schema v2, read from YAML
//! or JSON, plus kiln's extensions (`dtype`, table `rows` and `bytes`
//! bounds, and `severity` and `mostly` on any check).
//!
//! Parsing resolves everything a check needs (types of bounds, regexes,
//! missing values) so that a schema that loads can always be compiled.

mod parse;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::fsutil::IoError;

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(transparent)]
    Io(#[from] IoError),
    /// A schema that does not parse or says something impossible, located
    /// at the offending key or value.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
        hint: Option<String>,
    },
    /// A schema whose fault has no single position (a broken document).
    #[error("{}: {message}", path.display())]
    Document {
        path: PathBuf,
        message: String,
        hint: Option<String>,
    },
}

impl SchemaError {
    /// A suggestion for the user, such as the valid key nearest a misspelt one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            SchemaError::Invalid { hint, .. } | SchemaError::Document { hint, .. } => {
                hint.as_deref()
            }
            SchemaError::Io(_) => None,
        }
    }
}

/// How strongly a failed check counts.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Listed, but the data stays valid (unless `--fail-on warn`).
    Warn,
    #[default]
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warn => "warn",
        })
    }
}

/// The verdict options of one check: its severity, and the share of rows
/// that must pass (`mostly: 0.99` tolerates 1 % of rows failing).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rule {
    pub severity: Severity,
    pub mostly: Option<f64>,
}

/// How the data's columns must match the schema's fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldsMatch {
    /// The same fields in the same order.
    #[default]
    Exact,
    /// The same fields, in any order.
    Equal,
    /// Every schema field present; the data may have more.
    Subset,
    /// Only schema fields; the data may have fewer.
    Superset,
    /// At least one schema field.
    Partial,
}

/// A field's logical type (Frictionless `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Date,
    Time,
    Datetime,
    Year,
    YearMonth,
    Duration,
    Any,
    Object,
    Array,
    List,
    GeoPoint,
    GeoJson,
}

impl FieldType {
    pub const ALL: [(&'static str, FieldType); 16] = [
        ("string", FieldType::String),
        ("integer", FieldType::Integer),
        ("number", FieldType::Number),
        ("boolean", FieldType::Boolean),
        ("date", FieldType::Date),
        ("time", FieldType::Time),
        ("datetime", FieldType::Datetime),
        ("year", FieldType::Year),
        ("yearmonth", FieldType::YearMonth),
        ("duration", FieldType::Duration),
        ("any", FieldType::Any),
        ("object", FieldType::Object),
        ("array", FieldType::Array),
        ("list", FieldType::List),
        ("geopoint", FieldType::GeoPoint),
        ("geojson", FieldType::GeoJson),
    ];

    pub fn name(self) -> &'static str {
        FieldType::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(n, _)| *n)
            .unwrap_or("any")
    }

    /// Types whose values are more than one text: JSON values, lists and
    /// places; no order or pattern applies to them.
    pub fn is_composite(self) -> bool {
        self.is_json()
            || matches!(
                self,
                FieldType::List | FieldType::GeoPoint | FieldType::GeoJson
            )
    }

    /// Types whose length is a count of members or items, not of characters.
    pub fn is_collection(self) -> bool {
        self.is_json() || self == FieldType::List
    }

    /// `object` and `array`: JSON values, checked for their kind and their
    /// length; no order or pattern applies to them.
    pub fn is_json(self) -> bool {
        matches!(self, FieldType::Object | FieldType::Array)
    }
}

/// A value written in a schema, already of its field's type.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Int(i64),
    /// An integer past 64 bits, of an `integer` field (Table Schema bounds
    /// no integer).
    Wide(i128),
    Float(f64),
    Bool(bool),
    Str(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01T00:00:00 UTC.
    Datetime(i64),
    /// Nanoseconds since midnight.
    Time(i64),
}

/// A bound as written (for reports) and as typed (for the check).
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub value: Literal,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConstraintKind {
    Required,
    Unique,
    Minimum(Bound),
    Maximum(Bound),
    ExclusiveMinimum(Bound),
    ExclusiveMaximum(Bound),
    MinLength(u64),
    MaxLength(u64),
    /// The pattern as written; it must match a whole value.
    Pattern(String),
    Enum(Vec<Bound>),
    /// kiln's text checks, on string fields: a value of blanks only is
    /// empty (`notBlank`),
    NotBlank,
    /// words (runs of non-blank characters) bounds (`minWords`, `maxWords`),
    MinWords(u64),
    MaxWords(u64),
    /// the largest share of a value's lines that repeat an earlier line
    /// of it (`maxRepeatedLines`),
    MaxRepeatedLines(f64),
    /// and no replacement character (U+FFFD, the mark of a bad decoding)
    /// or control character but tab, newline and carriage return (`validText`).
    ValidText,
}

impl ConstraintKind {
    /// The finding code a failure of this constraint reports.
    pub fn code(&self) -> &'static str {
        match self {
            ConstraintKind::Required => "cell/required",
            ConstraintKind::Unique => "cell/unique",
            ConstraintKind::Minimum(_) => "cell/minimum",
            ConstraintKind::Maximum(_) => "cell/maximum",
            ConstraintKind::ExclusiveMinimum(_) => "cell/exclusive-minimum",
            ConstraintKind::ExclusiveMaximum(_) => "cell/exclusive-maximum",
            ConstraintKind::MinLength(_) => "cell/min-length",
            ConstraintKind::MaxLength(_) => "cell/max-length",
            ConstraintKind::Pattern(_) => "cell/pattern",
            ConstraintKind::Enum(_) => "cell/enum",
            ConstraintKind::NotBlank => "cell/blank",
            ConstraintKind::MinWords(_) => "cell/min-words",
            ConstraintKind::MaxWords(_) => "cell/max-words",
            ConstraintKind::MaxRepeatedLines(_) => "cell/repeated-lines",
            ConstraintKind::ValidText => "cell/invalid-text",
        }
    }

    /// What a passing value looks like, for reports.
    pub fn expected(&self) -> String {
        match self {
            ConstraintKind::Required => "a value".into(),
            ConstraintKind::Unique => "no repeated value".into(),
            ConstraintKind::Minimum(b) => format!(">= {}", b.text),
            ConstraintKind::Maximum(b) => format!("<= {}", b.text),
            ConstraintKind::ExclusiveMinimum(b) => format!("> {}", b.text),
            ConstraintKind::ExclusiveMaximum(b) => format!("< {}", b.text),
            ConstraintKind::MinLength(n) => format!("at least {n} characters"),
            ConstraintKind::MaxLength(n) => format!("at most {n} characters"),
            ConstraintKind::Pattern(p) => format!("matches /{p}/"),
            ConstraintKind::Enum(values) => {
                let list: Vec<&str> = values.iter().map(|b| b.text.as_str()).collect();
                format!("one of {}", list.join(", "))
            }
            ConstraintKind::NotBlank => "a value that is not blank".into(),
            ConstraintKind::MinWords(n) => format!("at least {n} words"),
            ConstraintKind::MaxWords(n) => format!("at most {n} words"),
            ConstraintKind::MaxRepeatedLines(f) => {
                format!("at most {}% of lines repeated", f * 100.0)
            }
            ConstraintKind::ValidText => "no replacement or control characters".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Constraint {
    pub kind: ConstraintKind,
    pub rule: Rule,
}

/// kiln's `dtype`: the exact physical type of a column in a typed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dtype {
    Int(u8),
    UInt(u8),
    Float(u8),
    Bool,
    Utf8,
    Binary,
    Date,
    Time,
    /// Unit (`ms`, `us`, `ns`) and optional time zone.
    Timestamp(String, Option<String>),
    Duration(String),
    Decimal(Option<(u32, u32)>),
    List,
    Struct,
    Categorical,
    Null,
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dtype::Int(b) => write!(f, "int{b}"),
            Dtype::UInt(b) => write!(f, "uint{b}"),
            Dtype::Float(b) => write!(f, "float{b}"),
            Dtype::Bool => f.write_str("bool"),
            Dtype::Utf8 => f.write_str("utf8"),
            Dtype::Binary => f.write_str("binary"),
            Dtype::Date => f.write_str("date32"),
            Dtype::Time => f.write_str("time64[ns]"),
            Dtype::Timestamp(unit, None) => write!(f, "timestamp[{unit}]"),
            Dtype::Timestamp(unit, Some(tz)) => write!(f, "timestamp[{unit}, {tz}]"),
            Dtype::Duration(unit) => write!(f, "duration[{unit}]"),
            Dtype::Decimal(None) => f.write_str("decimal"),
            Dtype::Decimal(Some((p, s))) => write!(f, "decimal({p}, {s})"),
            Dtype::List => f.write_str("list"),
            Dtype::Struct => f.write_str("struct"),
            Dtype::Categorical => f.write_str("categorical"),
            Dtype::Null => f.write_str("null"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub kind: FieldType,
    /// A `strptime` pattern for dates and times, or a string format
    /// (`email`, `uri`, `uuid`, `binary`); `None` for the default.
    pub format: Option<String>,
    /// Cell texts read as "no value" (the field's own list, or the schema's).
    pub missing_values: Vec<String>,
    pub true_values: Vec<String>,
    pub false_values: Vec<String>,
    pub group_char: Option<String>,
    pub decimal_char: Option<String>,
    pub bare_number: bool,
    /// A `list` field's item type and the text between its items.
    pub item_type: FieldType,
    pub list_delimiter: String,
    /// Applies to the type check, and is the default of every constraint.
    pub rule: Rule,
    pub dtype: Option<(Dtype, Rule)>,
    pub constraints: Vec<Constraint>,
}

impl Field {
    /// A field with every option at its default.
    pub fn new(name: &str, kind: FieldType) -> Field {
        Field {
            name: name.to_string(),
            kind,
            format: None,
            missing_values: vec![String::new()],
            true_values: ["true", "True", "TRUE", "1"].map(String::from).to_vec(),
            false_values: ["false", "False", "FALSE", "0"].map(String::from).to_vec(),
            group_char: None,
            decimal_char: None,
            bare_number: true,
            item_type: FieldType::String,
            list_delimiter: ",".to_string(),
            rule: Rule::default(),
            dtype: None,
            constraints: Vec::new(),
        }
    }

    pub fn is_required(&self) -> bool {
        self.constraints
            .iter()
            .any(|c| c.kind == ConstraintKind::Required)
    }
}

/// A table bound: `rows: {min, max}` or `bytes: {min, max}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bounds {
    pub min: Option<u64>,
    pub max: Option<u64>,
    pub rule: Rule,
}

/// How a delimited text file is read.
#[derive(Clone, Debug, PartialEq)]
pub struct Dialect {
    /// `None`: from the file name (tab for `.tsv`, comma otherwise).
    pub delimiter: Option<u8>,
    pub header: bool,
    /// `None` disables quoting.
    pub quote_char: Option<u8>,
    pub comment_char: Option<u8>,
    pub encoding: Encoding,
}

impl Dialect {
    /// The encoding's name, for messages.
    pub fn encoding_name(&self) -> &'static str {
        match self.encoding {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Lossy => "utf-8-lossy",
            Encoding::Other(e) => e.name(),
        }
    }
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: None,
            header: true,
            quote_char: Some(b'"'),
            comment_char: None,
            encoding: Encoding::Utf8,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// Invalid UTF-8 makes the file unreadable.
    #[default]
    Utf8,
    /// Invalid bytes become U+FFFD.
    Utf8Lossy,
    /// Any other encoding the WHATWG Encoding Standard names (`latin1`,
    /// `windows-1252`, `shift_jis`, `utf-16le`, …): the file is read
    /// through a UTF-8 copy.
    Other(&'static encoding_rs::Encoding),
}

/// Something a schema asks for that this data cannot be checked for (a
/// field the data lacks, a physical type a text file does not record, a
/// table-level check left to a dataset's merge), said in reports rather
/// than silently passed.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct NotChecked {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub check: String,
    pub reason: String,
}

/// A parsed schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub fields: Vec<Field>,
    pub fields_match: FieldsMatch,
    /// Cell texts read as "no value" in columns without a field of their own.
    pub missing_values: Vec<String>,
    pub primary_key: Vec<String>,
    pub unique_keys: Vec<Vec<String>>,
    pub rows: Option<Bounds>,
    pub bytes: Option<Bounds>,
    pub dialect: Dialect,
    pub foreign_keys: Vec<ForeignKey>,
    /// kiln's `disjoint`: datasets that must share no key with this table.
    pub disjoint: Vec<Disjoint>,
    /// kiln's `drift`: how far this data may move from a baseline version.
    pub drift: Option<Drift>,
}

/// The drift scores a rule may bound.
pub const DRIFT_SCORES: &[&str] = &["wasserstein", "psi", "jensenShannon", "linf"];

/// `drift:` the data's statistics compared with a baseline version's: per
/// column, each score of `scores` (by default a normalised Wasserstein
/// distance of 0.1 for numbers and text lengths, a Jensen-Shannon distance
/// of 0.1 for values of few kinds) at most its threshold; a field listed
/// in `fields` has its own scores instead (none: not judged); `rows`
/// bounds the relative change in rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Drift {
    pub baseline: Baseline,
    pub rule: Rule,
    pub scores: Vec<(String, f64)>,
    pub rows: Option<f64>,
    pub fields: Vec<(String, Vec<(String, f64)>)>,
}

/// The version drift is measured from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Baseline {
    /// The last committed version that differs from this one.
    #[default]
    Previous,
    /// The version at a git revision (a tag, a branch, a commit).
    Revision(String),
}

/// `disjoint: [{dataset, fields}]`: no row of this table has the values of
/// `fields` (compared as text) of a row of `dataset`, a repository-relative
/// file or folder with columns of the same names: an evaluation set that
/// leaks into a training set, say.
#[derive(Clone, Debug, PartialEq)]
pub struct Disjoint {
    pub dataset: String,
    pub fields: Vec<String>,
    pub rule: Rule,
}

/// `foreignKeys`: each row's `fields` (all with a value) must appear as the
/// `reference_fields` of some row of the referenced table.
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignKey {
    pub fields: Vec<String>,
    /// The referenced table: a repository-relative path of a tracked file
    /// or folder, or empty for this table itself (Table Schema's `""`).
    pub resource: String,
    pub reference_fields: Vec<String>,
}

impl Schema {
    /// Parses schema text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Schema, SchemaError> {
        parse::parse(text, path)
    }
}

/// The nearest of `candidates` to a misspelt `word`, if any is close.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (c.len().max(3) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
