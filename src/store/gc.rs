//! Garbage collection and integrity checks over the whole store.

use std::collections::HashSet;

use rayon::prelude::*;

use super::{EntryKind, Id, Store, StoreError, Tree};
use crate::fsutil::IoError;

/// A root of reachability: a pointer's id, a tree for folders.
#[derive(Clone, Copy, Debug)]
pub struct Root {
    pub id: Id,
    pub is_tree: bool,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct GcReport {
    pub kept: u64,
    pub removed: u64,
    pub removed_bytes: u64,
    pub dry_run: bool,
}

/// What `roots` reach.
#[derive(Debug, Default)]
pub struct Reach {
    pub ids: HashSet<Id>,
    /// Trees `read` found nowhere: nothing below them can be kept or known.
    pub trees_not_found: u64,
}

/// Every object reachable from `roots`, reading trees with `read` (None: a
/// tree it cannot find).
pub fn reachable<E>(
    roots: &[Root],
    mut read: impl FnMut(&Id) -> Result<Option<Tree>, E>,
) -> Result<Reach, E> {
    let mut reach = Reach::default();
    let mut stack: Vec<Root> = roots.to_vec();
    while let Some(r) = stack.pop() {
        if !reach.ids.insert(r.id) || !r.is_tree {
            continue;
        }
        match read(&r.id)? {
            Some(tree) => stack.extend(tree.entries().iter().map(|e| Root {
                id: e.id,
                is_tree: e.kind == EntryKind::Dir,
            })),
            None => reach.trees_not_found += 1,
        }
    }
    Ok(reach)
}

/// A tree from the local store, None if it is not there.
pub fn local_tree(store: &Store, id: &Id) -> Result<Option<Tree>, StoreError> {
    match store.read_tree(id) {
        Ok(tree) => Ok(Some(tree)),
        Err(StoreError::Missing { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes every object not in `keep` (what the roots reach: see
/// [`reachable`]), and the links an interrupted ingest left beside the
/// objects.
pub fn gc(store: &Store, keep: &HashSet<Id>, dry_run: bool) -> Result<GcReport, StoreError> {
    let mut report = GcReport {
        dry_run,
        ..Default::default()
    };
    for (id, size) in store.list()? {
        if keep.contains(&id) {
            report.kept += 1;
            continue;
        }
        if !dry_run {
            store.remove(&id)?;
        }
        report.removed += 1;
        report.removed_bytes += size;
    }
    // The caller holds the lock, so no ingest is staging these now.
    if !dry_run {
        for path in store.leftovers() {
            crate::fsutil::remove_file(&path)?;
        }
    }
    Ok(report)
}

#[derive(Debug, serde::Serialize)]
pub struct Quarantined {
    pub id: String,
    pub moved_to: String,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct FsckReport {
    pub checked: u64,
    pub bytes: u64,
    pub corrupt: Vec<Quarantined>,
}

/// Re-hashes every object; moves those whose bytes do not match their id to
/// the quarantine folder.
pub fn fsck(
    store: &Store,
    progress: &dyn crate::progress::Progress,
) -> Result<FsckReport, StoreError> {
    let objects = store.list()?;
    let task = progress.task(
        "verifying",
        objects.len() as u64,
        crate::progress::Unit::Objects,
    );
    let bad: Vec<Id> = objects
        .par_iter()
        .map(|(id, size)| {
            let ok = store.verify(id)?;
            task.advance(1);
            task.advance_bytes(*size);
            Ok((!ok).then_some(*id))
        })
        .collect::<Result<Vec<_>, StoreError>>()?
        .into_iter()
        .flatten()
        .collect();
    drop(task);
    let mut report = FsckReport {
        checked: objects.len() as u64,
        bytes: objects.iter().map(|(_, s)| s).sum(),
        corrupt: Vec::new(),
    };
    for id in bad {
        let dest = store
            .quarantine(&id)
            .map_err(|e: IoError| StoreError::Io(e))?;
        report.corrupt.push(Quarantined {
            id: id.hex(),
            moved_to: dest.display().to_string(),
        });
    }
    Ok(report)
}
