//! Merging two branches' versions of a pointer (git's merge driver for
//! `*.kiln`): a tracked folder is merged file by file from the common
//! ancestor's tree, so changes to different files merge cleanly. A file
//! changed on both sides is a conflict: two merged trees are stored, one
//! with each side's version of the conflicting files, and the pointer file
//! holds both between git's conflict markers, so either is one edit away.

use std::collections::BTreeSet;

use super::{Listing, WorkspaceError, hashing};
use crate::pointer::{Kind, Pointer};
use crate::store::Store;

/// What merging gave.
#[derive(Debug)]
pub enum Merged {
    Clean(Pointer),
    /// Both sides changed the same files (the whole data, for a file).
    Conflict {
        ours: Pointer,
        theirs: Pointer,
        files: Vec<String>,
    },
}

/// Merges `ours` and `theirs` (at `path`), from `base`, their common
/// ancestor's version (none where the path is new on both sides). Folder
/// trees must be in `store`; merged trees are stored there.
pub fn merge(
    store: &Store,
    path: &str,
    base: Option<&Pointer>,
    ours: &Pointer,
    theirs: &Pointer,
) -> Result<Merged, WorkspaceError> {
    let same = |a: Option<&Pointer>, b: &Pointer| a.is_some_and(|a| a.same_content(b));
    if ours.same_content(theirs) || same(base, theirs) {
        return Ok(Merged::Clean(ours.clone()));
    }
    if same(base, ours) {
        return Ok(Merged::Clean(theirs.clone()));
    }
    let folders = ours.kind == Kind::Dir
        && theirs.kind == Kind::Dir
        && base.is_none_or(|b| b.kind == Kind::Dir);
    if !folders {
        return Ok(Merged::Conflict {
            ours: ours.clone(),
            theirs: theirs.clone(),
            files: vec![path.to_string()],
        });
    }
    let listing = |p: &Pointer| {
        super::listing(store, p).map_err(|e| WorkspaceError::BadTree {
            path: path.to_string(),
            message: format!("{e}; `kiln fetch` both branches' data before merging"),
        })
    };
    let o = base.map(listing).transpose()?.unwrap_or_default();
    let (a, b) = (listing(ours)?, listing(theirs)?);
    let mut mine = Listing::default();
    let mut yours = Listing::default();
    let mut conflicts = Vec::new();
    let names: BTreeSet<&String> = o
        .files
        .keys()
        .chain(a.files.keys())
        .chain(b.files.keys())
        .collect();
    for name in names {
        let (x, y, z) = (o.files.get(name), a.files.get(name), b.files.get(name));
        let (left, right) = if y == z || x == z {
            (y, y)
        } else if x == y {
            (z, z)
        } else {
            conflicts.push(name.clone());
            (y, z)
        };
        if let Some(f) = left {
            mine.files.insert(name.clone(), *f);
        }
        if let Some(f) = right {
            yours.files.insert(name.clone(), *f);
        }
    }
    // Empty folders: those of the base that both sides kept, and those
    // either side added.
    let dirs: BTreeSet<&String> = a.dirs.iter().chain(&b.dirs).collect();
    let kept = |d: &String| {
        let (x, y, z) = (o.dirs.contains(d), a.dirs.contains(d), b.dirs.contains(d));
        if x { y && z } else { y || z }
    };
    let dirs: Vec<String> = dirs.into_iter().filter(|d| kept(d)).cloned().collect();
    mine.dirs = dirs.clone();
    yours.dirs = dirs;
    let schema = ours.schema.clone().or_else(|| theirs.schema.clone());
    let mine = store_tree(store, path, &mine, schema.clone())?;
    if conflicts.is_empty() {
        return Ok(Merged::Clean(mine));
    }
    Ok(Merged::Conflict {
        ours: mine,
        theirs: store_tree(store, path, &yours, schema)?,
        files: conflicts,
    })
}

/// Stores the trees of `listing` and returns a pointer to its root.
fn store_tree(
    store: &Store,
    path: &str,
    listing: &Listing,
    schema: Option<String>,
) -> Result<Pointer, WorkspaceError> {
    let trees = hashing::build_trees(listing, &[]).map_err(|message| WorkspaceError::BadTree {
        path: path.to_string(),
        message,
    })?;
    let mut staged = Vec::new();
    for (id, tree) in &trees {
        staged.extend(store.stage_tree(*id, tree)?);
    }
    store.publish(staged)?;
    let (id, root) = trees.last().expect("a listing has a root tree");
    Ok(Pointer {
        kind: Kind::Dir,
        id: *id,
        size: root.size(),
        files: Some(root.files()),
        schema,
        origin: None,
    })
}

/// The text git leaves for a conflict: both merged pointers between its
/// markers, and a comment naming the files.
pub fn conflict_text(ours: &Pointer, theirs: &Pointer, files: &[String]) -> String {
    format!(
        "<<<<<<< ours (kiln: {} changed on both branches)\n{}=======\n{}>>>>>>> theirs\n",
        files.join(", "),
        ours.to_text(),
        theirs.to_text()
    )
}
