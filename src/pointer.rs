//! Pointer files: `<path>.kiln`, the small YAML file committed to git that
//! names a tracked file's or folder's content.
//!
//! Pointers are written by hand-rolled code rather than a serializer so that
//! their bytes are canonical: the same content always gives the same file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::fsutil::{self, IoError};
use crate::repo_path::{RepoPath, UnsafePath};
use crate::store::Id;

/// The pointer format this kiln writes and the newest it reads.
pub const FORMAT: u32 = 1;

/// The suffix of pointer files.
pub const SUFFIX: &str = ".kiln";

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
}

/// The code context in which content was first added.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default)]
    pub dirty: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// For an import: where the content came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Box<Import>>,
}

/// The dataset of another repository that an import copies.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Import {
    /// The repository's URL or folder, as given.
    pub repo: String,
    /// The dataset's path in that repository.
    pub path: String,
    /// The revision as given (a branch follows its newest commit on
    /// `kiln update`); none for the repository's HEAD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
    /// The commit the content was read at.
    pub commit: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Pointer {
    pub kind: Kind,
    pub id: Id,
    pub size: u64,
    /// File count, for folders.
    pub files: Option<u64>,
    /// Repository-relative path of the bound schema.
    pub schema: Option<String>,
    pub origin: Option<Origin>,
}

#[derive(Debug, thiserror::Error)]
pub enum PointerError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{}: not a valid pointer file: {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("{}: pointer format {found} is newer than this kiln reads ({FORMAT}); upgrade kiln", path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("{}: kiln refuses the path this pointer tracks: {source} (a pointer may only track a path inside the work tree, outside .git and .kiln)", path.display())]
    UnsafePath {
        path: PathBuf,
        #[source]
        source: UnsafePath,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    kiln: u32,
    kind: Kind,
    id: String,
    size: u64,
    #[serde(default)]
    files: Option<u64>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    origin: Option<Origin>,
}

impl Pointer {
    /// Parses pointer text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Pointer, PointerError> {
        let syntax = |message: String| PointerError::Syntax {
            path: path.to_path_buf(),
            message,
        };
        let invalid = |message: String| PointerError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        // Read the version first so that a newer format is reported as such,
        // not as unknown fields.
        #[derive(Deserialize)]
        struct Version {
            kiln: Option<u32>,
        }
        let version: Version = serde_saphyr::from_str(text).map_err(|e| syntax(one_line(&e)))?;
        match version.kiln {
            None => return Err(syntax("missing `kiln:` format version".into())),
            Some(v) if v > FORMAT => {
                return Err(PointerError::Version {
                    path: path.to_path_buf(),
                    found: v,
                });
            }
            Some(0) => return Err(syntax("format version 0 does not exist".into())),
            Some(_) => {}
        }
        let raw: Raw = serde_saphyr::from_str(text).map_err(|e| syntax(one_line(&e)))?;
        debug_assert!(raw.kiln <= FORMAT);
        let id: Id = raw
            .id
            .parse()
            .map_err(|e: crate::store::ParseIdError| invalid(e.to_string()))?;
        match (raw.kind, raw.files) {
            (Kind::File, Some(_)) => return Err(invalid("`files:` is only for folders".into())),
            (Kind::Dir, None) => return Err(invalid("a folder pointer needs `files:`".into())),
            _ => {}
        }
        if let Some(schema) = &raw.schema {
            RepoPath::new(schema).map_err(|e| invalid(format!("schema: {e}")))?;
        }
        if let Some(i) = raw.origin.as_ref().and_then(|o| o.import.as_ref()) {
            RepoPath::new(&i.path).map_err(|e| invalid(format!("import path: {e}")))?;
            if i.commit.len() != 40 || !i.commit.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid("import commit: not a 40-digit commit id".into()));
            }
        }
        Ok(Pointer {
            kind: raw.kind,
            id,
            size: raw.size,
            files: raw.files,
            schema: raw.schema,
            origin: raw.origin,
        })
    }

    pub fn read(path: &Path) -> Result<Pointer, PointerError> {
        let text = fsutil::read_to_string(path)?;
        Pointer::parse(&text, path)
    }

    /// The canonical text of this pointer.
    pub fn to_text(&self) -> String {
        let mut s = format!("kiln: {FORMAT}\n");
        s += &format!(
            "kind: {}\n",
            match self.kind {
                Kind::File => "file",
                Kind::Dir => "dir",
            }
        );
        s += &format!("id: {}\n", self.id);
        s += &format!("size: {}\n", self.size);
        if let Some(files) = self.files {
            s += &format!("files: {files}\n");
        }
        if let Some(schema) = &self.schema {
            s += &format!("schema: {}\n", yaml_scalar(schema));
        }
        if let Some(o) = &self.origin {
            s += "origin:\n";
            if let Some(c) = &o.commit {
                s += &format!("  commit: {c}\n");
            }
            if let Some(b) = &o.branch {
                s += &format!("  branch: {}\n", yaml_scalar(b));
            }
            s += &format!("  dirty: {}\n", o.dirty);
            if let Some(r) = &o.run {
                s += &format!("  run: {r}\n");
            }
            if let Some(i) = &o.import {
                s += "  import:\n";
                s += &format!("    repo: {}\n", yaml_scalar(&i.repo));
                s += &format!("    path: {}\n", yaml_scalar(&i.path));
                if let Some(rev) = &i.rev {
                    s += &format!("    rev: {}\n", yaml_scalar(rev));
                }
                s += &format!("    commit: {}\n", i.commit);
            }
        }
        s
    }

    /// Whether two pointers name the same content (origin aside).
    pub fn same_content(&self, other: &Pointer) -> bool {
        self.kind == other.kind && self.id == other.id && self.size == other.size
    }
}

/// A YAML scalar that reads back as exactly `s`.
fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || "/._-+".contains(c))
        && !s.starts_with(['-', '.'])
        && !matches!(
            s,
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "~"
        )
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn one_line(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("").trim().to_string();
    match e.location() {
        Some(loc) if loc.line() > 0 => {
            format!("line {}, column {}: {first}", loc.line(), loc.column())
        }
        _ => first,
    }
}

/// The pointer file for a tracked path: `data/train.csv` → `data/train.csv.kiln`.
pub fn pointer_path(data: &Path) -> PathBuf {
    let mut s = data.as_os_str().to_owned();
    s.push(SUFFIX);
    PathBuf::from(s)
}

/// The tracked path for a pointer file, if `pointer` (repository-relative,
/// `/`-separated) is one. Every path a pointer's name or place gives passes
/// the safe-path gate here: a pointer that tracks `..`, `.git` or the like
/// is an error naming the pointer file.
pub fn data_path(pointer: &str) -> Option<Result<RepoPath, PointerError>> {
    let stem = pointer.strip_suffix(SUFFIX)?;
    // `.kiln` files (no stem) are not pointers; every other name is judged.
    if stem.is_empty() || stem.ends_with('/') {
        return None;
    }
    Some(
        RepoPath::new(stem).map_err(|source| PointerError::UnsafePath {
            path: PathBuf::from(pointer),
            source,
        }),
    )
}
