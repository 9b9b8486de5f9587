//! `kiln diff`: files added, deleted and modified between two versions of
//! tracked data, read from pointers at git revisions or from the workspace.

use std::collections::BTreeMap;
use std::path::Path;

use super::hashing::{Hasher, Mode};
use super::{Listing, WorkspaceError, listing};
use crate::git::Git;
use crate::pointer::{self, Kind, Pointer};
use crate::progress::Progress;
use crate::repo::Repo;
use crate::store::Store;
use crate::store::statcache::StatCache;

/// File-level changes inside one tracked path.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    pub added: Vec<String>,
    pub deleted: Vec<String>,
    pub modified: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.deleted.is_empty() && self.modified.is_empty()
    }
}

/// Compares two listings; a file whose id or executable bit changed is modified.
pub fn compare(old: &Listing, new: &Listing) -> Changes {
    let mut c = Changes::default();
    for (path, entry) in &new.files {
        match old.files.get(path) {
            None => c.added.push(path.clone()),
            Some(o) if (o.0, o.1) != (entry.0, entry.1) => c.modified.push(path.clone()),
            _ => {}
        }
    }
    c.deleted = old
        .files
        .keys()
        .filter(|p| !new.files.contains_key(*p))
        .cloned()
        .collect();
    c
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Deleted,
    Modified,
}

/// How one tracked path differs between the two sides.
#[derive(Debug, serde::Serialize)]
pub struct PathDiff {
    pub path: String,
    pub change: Change,
    pub old_id: Option<String>,
    pub new_id: Option<String>,
    pub files: Changes,
    /// Why file-level changes are unknown, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One side of a diff: each tracked path's pointer, and its listing if known.
struct Side {
    pointers: BTreeMap<String, Pointer>,
    listings: BTreeMap<String, Listing>,
}

fn side_at(git: &Git, rev: &str) -> Result<Side, WorkspaceError> {
    let mut pointers = BTreeMap::new();
    for (path, bytes) in git.pointers_at(rev)? {
        let shown = format!("{rev}:{path}");
        let Some(data) = pointer::data_path(&path) else {
            continue;
        };
        let data = data?;
        let text = String::from_utf8_lossy(&bytes);
        pointers.insert(data.to_string(), Pointer::parse(&text, Path::new(&shown))?);
    }
    Ok(Side {
        pointers,
        listings: BTreeMap::new(),
    })
}

/// The workspace's side: the tracked paths `wanted` says, hashed.
fn side_workspace(
    repo: &Repo,
    cache: &StatCache,
    wanted: &dyn Fn(&str) -> bool,
    progress: &dyn Progress,
) -> Result<Side, WorkspaceError> {
    let store = repo.store();
    let hasher = Hasher::new(&store, repo.root(), cache, Mode::HashOnly, progress);
    let mut pointers = BTreeMap::new();
    let mut listings = BTreeMap::new();
    for t in super::tracked(repo)?.into_iter().filter(|t| wanted(&t.rel)) {
        if let Some(h) = hasher.hash(&t.rel)? {
            // What was not fetched here is unchanged, not deleted.
            let filled = match h.kind {
                Kind::Dir => super::partial::fill(&store, &t.rel, &t.pointer, &h.listing, &[])?,
                Kind::File => None,
            };
            let (id, size, listing) = match filled {
                Some(f) => (f.id, f.size, f.listing),
                None => (h.id, h.size, h.listing),
            };
            let p = Pointer {
                kind: h.kind,
                id,
                size,
                files: None,
                schema: None,
                origin: None,
            };
            pointers.insert(t.rel.to_string(), p);
            listings.insert(t.rel.into(), listing);
        }
    }
    Ok(Side { pointers, listings })
}

fn listing_of(store: &Store, side: &Side, path: &str) -> Result<Listing, String> {
    if let Some(l) = side.listings.get(path) {
        return Ok(l.clone());
    }
    let p = &side.pointers[path];
    listing(store, p).map_err(|e| format!("{e}; `kiln fetch` it to see file-level changes"))
}

/// The two sides of a diff: `a` at a revision, `b` at one or (`None`) the
/// workspace, each limited to tracked paths under `filter` when it is not
/// empty.
fn sides(
    repo: &Repo,
    a: &str,
    b: Option<&str>,
    filter: &[String],
    progress: &dyn Progress,
) -> Result<(Side, Side), WorkspaceError> {
    let git = Git::open(repo.root())?;
    let cache = StatCache::load(&repo.state_dir());
    let wanted = |p: &str| {
        filter.is_empty()
            || filter
                .iter()
                .any(|f| p == f || p.starts_with(&format!("{f}/")))
    };
    let mut old = side_at(&git, a)?;
    let mut new = match b {
        Some(rev) => side_at(&git, rev)?,
        None => side_workspace(repo, &cache, &wanted, progress)?,
    };
    old.pointers.retain(|p, _| wanted(p));
    new.pointers.retain(|p, _| wanted(p));
    Ok((old, new))
}

/// Each tracked path's pointer on both sides (see [`diff`]): paths with
/// either side missing are absent from that side's map.
pub type Versions = (BTreeMap<String, Pointer>, BTreeMap<String, Pointer>);

pub fn versions(
    repo: &Repo,
    a: &str,
    b: Option<&str>,
    filter: &[String],
    progress: &dyn Progress,
) -> Result<Versions, WorkspaceError> {
    let (old, new) = sides(repo, a, b, filter, progress)?;
    Ok((old.pointers, new.pointers))
}

/// Diffs `a` against `b` (a revision, or the workspace when `None`),
/// limited to tracked paths under `filter` when it is not empty.
pub fn diff(
    repo: &Repo,
    a: &str,
    b: Option<&str>,
    filter: &[String],
    progress: &dyn Progress,
) -> Result<Vec<PathDiff>, WorkspaceError> {
    let (old, new) = sides(repo, a, b, filter, progress)?;
    let store = repo.store();
    let mut paths: Vec<&String> = old.pointers.keys().chain(new.pointers.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut out = Vec::new();
    for path in paths {
        let (o, n) = (old.pointers.get(path), new.pointers.get(path));
        let change = match (o, n) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Deleted,
            (Some(o), Some(n)) if o.id != n.id => Change::Modified,
            _ => continue,
        };
        let empty = Listing::default();
        let lo = o
            .map(|_| listing_of(&store, &old, path))
            .unwrap_or(Ok(empty.clone()));
        let ln = n
            .map(|_| listing_of(&store, &new, path))
            .unwrap_or(Ok(empty));
        let (files, note) = match (lo, ln) {
            (Ok(lo), Ok(ln)) => (compare(&lo, &ln), None),
            (Err(e), _) | (_, Err(e)) => (Changes::default(), Some(e)),
        };
        out.push(PathDiff {
            path: path.clone(),
            change,
            old_id: o.map(|p| p.id.hex()),
            new_id: n.map(|p| p.id.hex()),
            files,
            note,
        });
    }
    Ok(out)
}
