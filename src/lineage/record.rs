//! Run records: `.kiln/runs/<uuid-v7>.json`, one immutable file per
//! `kiln run`. Unique names mean two branches that both ran things merge
//! without conflicts; uuid v7 sorts by start time.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::LineageError;
use crate::fsutil::{self, IoError};
use crate::pointer::Kind;
use crate::repo::Repo;
use crate::store::Id;

/// The record format this kiln writes and the newest it reads.
pub const FORMAT: u32 = 1;

/// The folder holding run records, relative to the repository root.
pub const RUNS_DIR: &str = ".kiln/runs";

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Complete,
    Fail,
}

/// A dependency as it was when the run started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dep {
    /// Repository-relative path.
    pub path: String,
    pub kind: Kind,
    pub id: Id,
    pub size: u64,
    /// Whether kiln tracked the path (data) rather than git (code).
    pub tracked: bool,
}

/// A declared output; the content fields are set only when the run
/// completed and the output was added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Data rows, for a CSV, TSV or NDJSON file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// The code context of a run; absent without git (`--no-scm`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// HEAD's commit; none before the first commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<String>,
    /// None when HEAD is detached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    pub dirty: bool,
    /// The `origin` remote, credentials removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_url: Option<String>,
}

impl From<crate::git::CodeContext> for Code {
    fn from(c: crate::git::CodeContext) -> Code {
        Code {
            commit: c.commit,
            tree: c.tree,
            branch: c.branch,
            dirty: c.dirty,
            remote_url: c.remote_url,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    /// The record format version.
    pub kiln_run: u32,
    pub id: Uuid,
    pub name: String,
    pub argv: Vec<String>,
    /// Whether `argv` was one script run by `sh -c`.
    #[serde(default)]
    pub shell: bool,
    /// Where the command ran, relative to the repository root ("" for the root).
    pub workdir: String,
    pub deps: Vec<Dep>,
    pub outputs: Vec<Output>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    pub started: jiff::Timestamp,
    pub ended: jiff::Timestamp,
    pub status: Status,
    /// None when a signal ended the command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub kiln_version: String,
}

impl RunRecord {
    /// The record's file, relative to the repository root.
    pub fn rel_path(&self) -> String {
        format!("{RUNS_DIR}/{}.json", self.id)
    }

    /// Eight hex digits of the run id, for people.
    pub fn short_id(&self) -> String {
        short_run_id(&self.id)
    }

    /// The output at `path` with content `id`, if this run made it.
    pub fn made(&self, path: &str, id: &Id) -> bool {
        self.status == Status::Complete
            && self
                .outputs
                .iter()
                .any(|o| o.path == path && o.id.as_ref() == Some(id))
    }

    /// Parses a record; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<RunRecord, LineageError> {
        let bad = |message: String| LineageError::BadRecord {
            path: path.to_path_buf(),
            message,
        };
        // Read the version first so that a newer format is reported as such,
        // not as unknown fields.
        #[derive(Deserialize)]
        struct Version {
            kiln_run: Option<u32>,
        }
        let v: Version = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        match v.kiln_run {
            None => return Err(bad("missing `kiln_run` format version".into())),
            Some(found) if found > FORMAT => {
                return Err(LineageError::RecordVersion {
                    path: path.to_path_buf(),
                    found,
                });
            }
            Some(_) => {}
        }
        let record: RunRecord = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let named = path
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| Uuid::parse_str(s).ok());
        if named != Some(record.id) {
            return Err(bad(format!(
                "its id {} does not match its file name",
                record.id
            )));
        }
        let paths = record
            .deps
            .iter()
            .map(|d| &d.path)
            .chain(record.outputs.iter().map(|o| &o.path));
        for p in paths {
            crate::repo_path::RepoPath::new(p).map_err(|e| bad(e.to_string()))?;
        }
        if !record.workdir.is_empty() {
            crate::repo_path::RepoPath::new(&record.workdir).map_err(|e| bad(e.to_string()))?;
        }
        Ok(record)
    }

    /// Writes the record under `.kiln/runs/`. Records are never rewritten.
    pub fn write(&self, repo: &Repo) -> Result<(), IoError> {
        let dir = repo.root().join(RUNS_DIR);
        fsutil::create_dir_all(&dir)?;
        let mut text = serde_json::to_string_pretty(self).expect("a run record serialises");
        text.push('\n');
        fsutil::write_atomic(
            &repo.root().join(self.rel_path()),
            text.as_bytes(),
            &repo.tmp_dir(),
        )
    }
}

/// The last eight hex digits of a run id: random, where the first ones
/// are the start time and repeat between runs started close together.
pub fn short_run_id(id: &Uuid) -> String {
    let s = id.simple().to_string();
    s[s.len() - 8..].to_string()
}

/// Every run record in the work tree, oldest first.
pub fn load_all(repo: &Repo) -> Result<Vec<RunRecord>, LineageError> {
    let dir = repo.root().join(RUNS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(IoError::new("read", dir, e).into()),
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| IoError::new("read", &dir, e))?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            paths.push(path);
        }
    }
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let text = fsutil::read_to_string(&path)?;
        out.push(RunRecord::parse(&text, &path)?);
    }
    out.sort_by_key(|r| r.id);
    Ok(out)
}
