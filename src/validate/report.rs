//! The result of checking one data file against one schema: findings with
//! stable codes, what passed, what could not be checked, and a profile.

use serde::{Deserialize, Serialize};

use crate::schema::{NotChecked, Severity};
use crate::store::Id;

/// Whether a finding counts against the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check failed at its severity.
    Failed,
    /// Some rows failed, but no more than `mostly` allows.
    Tolerated,
}

/// A row that failed a check, numbered from 1 as a reader counts data rows;
/// `line` is the line of the file it starts on, for text formats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub row: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub value: Option<String>,
    /// The shard the row is in, for a finding about a whole dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// For a repeated key: the first row with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<Place>,
}

impl Sample {
    pub fn new(row: u64, line: Option<u64>, value: Option<String>) -> Sample {
        Sample {
            row,
            line,
            value,
            file: None,
            first: None,
        }
    }
}

/// A row of a dataset: its shard and its row there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub file: String,
    pub row: u64,
}

/// How a dataset's shards were checked: how many there are, how many
/// were read now and how many answered from the result cache, and how
/// many shards' keys were merged now (at most, over its checks of keys;
/// the others' came from the merge an earlier check kept).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Shards {
    pub total: usize,
    pub read: usize,
    pub cached: usize,
    #[serde(default)]
    pub merged: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable: `cell/minimum`, `row/primary-key`, `table/rows`, `file/parse`, …
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub severity: Severity,
    pub status: Status,
    /// Rows (or fields, for `fields/…`) that failed.
    pub count: u64,
    /// `count` over the table's rows, for row and cell checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mostly: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
}

impl Finding {
    pub fn is_failure(&self) -> bool {
        self.status == Status::Failed
    }
}

/// A check that ran and passed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Passed {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// What one pass over a column saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub dtype: String,
    /// Missing values (nulls, or the schema's missing-value texts).
    pub nulls: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// An estimate (HyperLogLog, about 1.6% error) of distinct values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct: Option<u64>,
    /// Mean, spread, quantiles, histogram, frequent values, text lengths.
    #[serde(flatten)]
    pub stats: crate::stats::Description,
}

impl ColumnProfile {
    /// The profile of the column `c` summarises, with its range and
    /// distinct values as found.
    pub fn new(
        c: &crate::stats::ColumnStats,
        [min, max]: [Option<String>; 2],
        distinct: Option<u64>,
    ) -> ColumnProfile {
        ColumnProfile {
            name: c.name.clone(),
            dtype: c.dtype.clone(),
            nulls: c.nulls,
            min,
            max,
            distinct,
            stats: c.summary.describe(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Valid,
    /// Valid, with failed checks of severity `warn`.
    Warn,
    Invalid,
    /// The file could not be read (a `file/parse` finding).
    Unreadable,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The data file, as the user names it (repository-relative in a repository).
    pub path: String,
    pub schema: String,
    pub format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_id: Option<Id>,
    pub schema_id: Id,
    pub bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    pub verdict: Verdict,
    /// Answered from the result cache without reading the data.
    pub cached: bool,
    pub findings: Vec<Finding>,
    pub passed: Vec<Passed>,
    pub not_checked: Vec<NotChecked>,
    pub profile: Vec<ColumnProfile>,
    /// For a dataset (a folder or glob of shards checked as one table):
    /// its shards. Its findings are the table's (rows, bytes, repeated
    /// keys across shards); each shard's report follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<Shards>,
    /// For a shard: the dataset it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// The mergeable profile behind `profile` (kept apart, by data id).
    #[serde(skip)]
    pub stats: Option<crate::stats::Profile>,
}

impl FileReport {
    /// The verdict the findings give.
    pub fn judge(findings: &[Finding]) -> Verdict {
        let failed = |sev| findings.iter().any(|f| f.is_failure() && f.severity == sev);
        if findings.iter().any(|f| f.code == "file/parse") {
            Verdict::Unreadable
        } else if failed(Severity::Error) {
            Verdict::Invalid
        } else if failed(Severity::Warn) {
            Verdict::Warn
        } else {
            Verdict::Valid
        }
    }

    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.is_failure() && f.severity == Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.is_failure() && f.severity == Severity::Warn)
            .count()
    }
}
