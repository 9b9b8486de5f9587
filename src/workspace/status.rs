//! `kiln status`: how each tracked path in the workspace and the store
//! compares with its pointer.

use super::diff::{Changes, compare};
use super::hashing::{Hasher, Mode};
use super::{Tracked, WorkspaceError, listing, partial};
use crate::pointer::Kind;
use crate::progress::Progress;
use crate::repo::Repo;
use crate::store::statcache::StatCache;
use crate::store::{Id, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workspace {
    Unchanged,
    Modified,
    Missing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stored {
    /// Every object the pointer needs is in the store.
    Present,
    /// Some are.
    Partial,
    Missing,
}

#[derive(Debug, serde::Serialize)]
pub struct PathStatus {
    pub path: String,
    pub kind: Kind,
    pub workspace: Workspace,
    pub store: Stored,
    /// Files of a folder neither in the workspace nor in the store: not
    /// fetched here, still part of the folder.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub not_fetched: u64,
    /// With `--granular`: files added, modified and deleted in the workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
}

impl PathStatus {
    pub fn is_clean(&self) -> bool {
        self.workspace == Workspace::Unchanged && self.store == Stored::Present
    }
}

/// Status of each tracked path. Hashes what changed; `cache` learns the ids.
pub fn status(
    repo: &Repo,
    tracked: &[Tracked],
    granular: bool,
    cache: &mut StatCache,
    progress: &dyn Progress,
) -> Result<Vec<PathStatus>, WorkspaceError> {
    let store = repo.store();
    let mut out = Vec::with_capacity(tracked.len());
    let mut seen = Vec::new();
    // The cache learns what was hashed only after the loop, so one hasher serves all.
    let hasher = Hasher::new(&store, repo.root(), cache, Mode::HashOnly, progress);
    for t in tracked {
        let hashed = hasher.hash(&t.rel)?;
        let same = hashed
            .as_ref()
            .is_some_and(|h| h.id == t.pointer.id && h.kind == t.pointer.kind);
        // Unchanged content already lists every object it needs; only a
        // changed one (or a granular report) needs the pointer's trees read.
        let (store_state, stored) = match &hashed {
            Some(h) if same && !granular => {
                // The trees come with their ids (the root's among them).
                let tree_ids = h.trees.iter().map(|(id, _)| *id);
                let ids: Vec<Id> = h
                    .listing
                    .files
                    .values()
                    .map(|(id, _, _)| *id)
                    .chain(tree_ids)
                    .collect();
                (presence(&store, &t.pointer.id, &ids), None)
            }
            _ => match listing(&store, &t.pointer) {
                Ok(l) => {
                    let ids: Vec<Id> = l.files.values().map(|(id, _, _)| *id).collect();
                    (presence(&store, &t.pointer.id, &ids), Some(l))
                }
                Err(StoreError::Missing { id }) if id == t.pointer.id => (Stored::Missing, None),
                Err(StoreError::Missing { .. } | StoreError::Tree(_)) => (Stored::Partial, None),
                Err(e) => return Err(e.into()),
            },
        };
        let mut not_fetched = 0;
        let (workspace, changes) = match hashed {
            None => (Workspace::Missing, None),
            Some(h) => {
                let filled = match same || h.kind != Kind::Dir {
                    true => None,
                    false => partial::fill(&store, &t.rel, &t.pointer, &h.listing, &[])?,
                };
                let (id, listing) = match &filled {
                    Some(f) => {
                        not_fetched = f.not_fetched;
                        (f.id, &f.listing)
                    }
                    None => (h.id, &h.listing),
                };
                let ws = if id == t.pointer.id && h.kind == t.pointer.kind {
                    Workspace::Unchanged
                } else {
                    Workspace::Modified
                };
                let changes = match (&stored, granular) {
                    (Some(l), true) => Some(compare(l, listing)),
                    _ => None,
                };
                seen.extend(h.seen);
                (ws, changes)
            }
        };
        out.push(PathStatus {
            path: t.rel.to_string(),
            kind: t.pointer.kind,
            workspace,
            store: store_state,
            not_fetched,
            changes,
        });
    }
    for (path, stat, id) in seen {
        cache.insert(path, stat, id);
    }
    Ok(out)
}

/// How much of what a pointer needs is in the store; `ids` are its objects
/// (the root `id` among them for a folder, whose loss makes it unreadable).
fn presence(store: &Store, root: &Id, ids: &[Id]) -> Stored {
    let present = store.present(ids);
    let missing = ids.iter().filter(|id| !present.contains(id)).count();
    if missing == 0 {
        Stored::Present
    } else if missing == ids.len() || (ids.contains(root) && !present.contains(root)) {
        Stored::Missing
    } else {
        Stored::Partial
    }
}
