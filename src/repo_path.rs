//! The one gate for paths that come from repository or remote content.
//!
//! Pointer files (by their names and places), tree entries, run records,
//! schema bindings and lineage all name paths inside the repository. All of
//! them are untrusted: a cloned repository or a remote can say anything. A
//! [`RepoPath`] can only be made by [`RepoPath::new`], which refuses every
//! path that could reach outside the work tree or into git's or kiln's own
//! folders; [`RepoPath::checked_abs`] adds the file-system half of the
//! rule, that no folder on the way is a symlink leading out of the
//! repository. Code that touches the file system for a path from content
//! takes a `RepoPath`, so a new command cannot forget the check.

use std::fmt;
use std::path::{Path, PathBuf};

/// Names that may never be a path component, compared without case (as
/// git does: case-insensitive file systems open `.GIT` as `.git`).
const RESERVED: [&str; 2] = [".git", ".kiln"];

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{}` {reason}", path.escape_debug())]
pub struct UnsafePath {
    pub path: String,
    pub reason: &'static str,
}

/// A repository-relative, `/`-separated, normalised path that stays inside
/// the work tree and outside `.git` and `.kiln`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoPath(String);

/// Checks one path component (a tree entry's name, a part of a path).
pub fn check_component(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("has an empty part");
    }
    if name == "." || name == ".." {
        return Err("has a `.` or `..` part");
    }
    if name.contains(['/', '\\', '\0']) {
        return Err("has a path separator, backslash or NUL in a name");
    }
    if RESERVED.iter().any(|r| name.eq_ignore_ascii_case(r)) {
        return Err("names git's or kiln's own folder");
    }
    Ok(())
}

impl RepoPath {
    pub fn new(path: &str) -> Result<RepoPath, UnsafePath> {
        let refuse = |reason| UnsafePath {
            path: path.to_string(),
            reason,
        };
        if path.is_empty() {
            return Err(refuse("is the repository itself"));
        }
        if path.starts_with('/') {
            return Err(refuse("is not a relative path inside the repository"));
        }
        for part in path.split('/') {
            check_component(part).map_err(refuse)?;
        }
        Ok(RepoPath(path.to_string()))
    }

    /// A path below this one; `sub` is `/`-separated and may be empty.
    pub fn join(&self, sub: &str) -> Result<RepoPath, UnsafePath> {
        if sub.is_empty() {
            return Ok(self.clone());
        }
        RepoPath::new(&format!("{}/{sub}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` is `other` or below it.
    pub fn is_within(&self, other: &RepoPath) -> bool {
        self.0 == other.0
            || (self.0.starts_with(&other.0) && self.0.as_bytes().get(other.0.len()) == Some(&b'/'))
    }

    /// The absolute path under `root`, without looking at the file system.
    pub fn abs(&self, root: &Path) -> PathBuf {
        root.join(&self.0)
    }

    /// The absolute path under `root`, after checking that no folder on the
    /// way is a symlink that leaves the repository or enters `.git` or
    /// `.kiln`. Folders that do not exist yet pass (whoever creates them
    /// creates real folders).
    pub fn checked_abs(&self, root: &Path) -> Result<PathBuf, UnsafePath> {
        let refuse = |reason| UnsafePath {
            path: self.0.clone(),
            reason,
        };
        let mut cur = root.to_path_buf();
        let parts: Vec<&str> = self.0.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            cur.push(part);
            match std::fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => {
                    let inside = match (std::fs::canonicalize(&cur), std::fs::canonicalize(root)) {
                        (Ok(target), Ok(root)) => crate::fsutil::rel_string(&root, &target)
                            .is_some_and(|rel| rel.is_empty() || RepoPath::new(&rel).is_ok()),
                        _ => false,
                    };
                    if !inside {
                        return Err(refuse(
                            "goes through a symlink that leads outside the repository",
                        ));
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Ok(self.abs(root))
    }
}

impl std::ops::Deref for RepoPath {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RepoPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<Path> for RepoPath {
    fn as_ref(&self) -> &Path {
        Path::new(&self.0)
    }
}

impl std::borrow::Borrow<str> for RepoPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl PartialEq<str> for RepoPath {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RepoPath {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl serde::Serialize for RepoPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RepoPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RepoPath::new(&s).map_err(serde::de::Error::custom)
    }
}

impl From<RepoPath> for String {
    fn from(p: RepoPath) -> String {
        p.0
    }
}

impl From<RepoPath> for PathBuf {
    fn from(p: RepoPath) -> PathBuf {
        PathBuf::from(p.0)
    }
}
