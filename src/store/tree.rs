//! Trees: one directory listing per folder, stored as an object.
//!
//! Canonical encoding (UTF-8, entries sorted by name bytes):
//!
//! ```text
//! kiln tree 1\n
//! f <id> <size> <name>\0          regular file
//! x <id> <size> <name>\0          executable file
//! d <id> <size> <files> <name>\0  folder (size and file count of everything below)
//! ```
//!
//! The id is BLAKE3 in the tree derive-key context over these bytes, so an
//! unchanged subfolder keeps its id and a tree id never equals a file id.

use super::Id;
use std::io::Write as _;

pub const HEADER: &str = "kiln tree 1\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Exec,
    Dir,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
    pub id: Id,
    /// Bytes: the file's, or all files' below a folder.
    pub size: u64,
    /// Files below a folder; 1 for a file.
    pub files: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
#[error("tree {id}: {message}")]
pub struct TreeError {
    pub id: Id,
    pub message: String,
}

/// Checks that `name` is a single path component a tree may hold: the
/// safe-path gate's rule for one component.
pub fn check_name(name: &str) -> Result<(), String> {
    crate::repo_path::check_component(name).map_err(|reason| {
        format!(
            "`{}` is not a valid file name: it {reason}",
            name.escape_debug()
        )
    })
}

impl Tree {
    /// A tree from entries in any order; names must be valid and distinct.
    pub fn new(mut entries: Vec<Entry>) -> Result<Tree, String> {
        entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        for e in &entries {
            check_name(&e.name)?;
        }
        if let Some(w) = entries.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(format!("duplicate name `{}`", w[0].name));
        }
        Ok(Tree { entries })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn size(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }

    pub fn files(&self) -> u64 {
        self.entries.iter().map(|e| e.files).sum()
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER.len() + self.entries.len() * 100);
        out.extend_from_slice(HEADER.as_bytes());
        for e in &self.entries {
            // Writing into the buffer directly: formatting a String per entry
            // showed in profiles of `status` on many files.
            let _ = match e.kind {
                EntryKind::File => write!(out, "f {} {} ", e.id, e.size),
                EntryKind::Exec => write!(out, "x {} {} ", e.id, e.size),
                EntryKind::Dir => write!(out, "d {} {} {} ", e.id, e.size, e.files),
            };
            out.extend_from_slice(e.name.as_bytes());
            out.push(0);
        }
        out
    }

    pub fn id(&self) -> Id {
        Id::of_tree_bytes(&self.encode())
    }

    /// Parses and checks a stored tree; a tree that breaks any rule (bad
    /// names, unsorted or duplicate entries, wrong id) is refused, wherever
    /// it came from.
    pub fn decode(id: Id, bytes: &[u8]) -> Result<Tree, TreeError> {
        let err = |message: String| TreeError { id, message };
        if Id::of_tree_bytes(bytes) != id {
            return Err(err("content does not match its id".into()));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| err("not UTF-8".into()))?;
        let body = text
            .strip_prefix(HEADER)
            .ok_or_else(|| err("unknown tree format".into()))?;
        let mut entries = Vec::new();
        for record in body.split_terminator('\0') {
            let mut parts = record.splitn(if record.starts_with("d ") { 5 } else { 4 }, ' ');
            let kind = match parts.next() {
                Some("f") => EntryKind::File,
                Some("x") => EntryKind::Exec,
                Some("d") => EntryKind::Dir,
                _ => return Err(err("bad entry kind".into())),
            };
            let mut next = || parts.next().ok_or_else(|| err("truncated entry".into()));
            let eid: Id = next()?.parse().map_err(|_| err("bad entry id".into()))?;
            let size: u64 = next()?.parse().map_err(|_| err("bad entry size".into()))?;
            let files: u64 = if kind == EntryKind::Dir {
                next()?.parse().map_err(|_| err("bad file count".into()))?
            } else {
                1
            };
            let name = next()?.to_string();
            check_name(&name).map_err(err)?;
            entries.push(Entry {
                name,
                kind,
                id: eid,
                size,
                files,
            });
        }
        if !body.is_empty() && !body.ends_with('\0') {
            return Err(err("truncated entry".into()));
        }
        if entries
            .windows(2)
            .any(|w| w[0].name.as_bytes() >= w[1].name.as_bytes())
        {
            return Err(err("entries are not sorted and distinct".into()));
        }
        // One tree, one encoding: `+4`, `04` or an upper-case id would read
        // as the same entries under another id.
        let tree = Tree { entries };
        if tree.encode() != bytes {
            return Err(err("not in the canonical encoding".into()));
        }
        Ok(tree)
    }
}
