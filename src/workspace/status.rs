//! `kiln status`: how each tracked path in the workspace and the store
//! compares with its pointer.

use super::diff::{Changes, compare};
use super::hashing::{Hasher, Mode};
use super::statcache::StatCache;
use super::{Tracked, WorkspaceError, listing};
use crate::pointer::Kind;
use crate::progress::Progress;
use crate::repo::Repo;
use crate::store::StoreError;

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
    for t in tracked {
        let hashed =
            Hasher::new(&store, repo.root(), cache, Mode::HashOnly, progress).hash(&t.rel)?;
        let (store_state, stored) = match listing(&store, &t.pointer) {
            Ok(l) => {
                let missing = l
                    .files
                    .values()
                    .filter(|(id, _, _)| !store.contains(id))
                    .count();
                let state = if missing == 0 {
                    Stored::Present
                } else if missing == l.files.len() {
                    Stored::Missing
                } else {
                    Stored::Partial
                };
                (state, Some(l))
            }
            Err(StoreError::Missing { id }) if id == t.pointer.id => (Stored::Missing, None),
            Err(StoreError::Missing { .. } | StoreError::Tree(_)) => (Stored::Partial, None),
            Err(e) => return Err(e.into()),
        };
        let (workspace, changes) = match hashed {
            None => (Workspace::Missing, None),
            Some(h) => {
                let ws = if h.id == t.pointer.id && h.kind == t.pointer.kind {
                    Workspace::Unchanged
                } else {
                    Workspace::Modified
                };
                let changes = match (&stored, granular) {
                    (Some(l), true) => Some(compare(l, &h.listing)),
                    _ => None,
                };
                seen.extend(h.seen);
                (ws, changes)
            }
        };
        out.push(PathStatus {
            path: t.rel.clone(),
            kind: t.pointer.kind,
            workspace,
            store: store_state,
            changes,
        });
    }
    for (path, stat, id) in seen {
        cache.insert(path, stat, id);
    }
    Ok(out)
}
