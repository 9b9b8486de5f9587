//! Folders fetched in part. A file or subfolder of a tracked folder that is
//! neither in the workspace nor in the store was not fetched here: it is
//! still part of the folder, never "deleted". `status`, `diff` and `add`
//! compare and record the workspace's content with those parts filled in
//! from the pointer's trees; only `kiln rm` takes a part out.

use std::collections::BTreeSet;
use std::ops::Bound;

use super::hashing::build_trees;
use super::{Listing, WorkspaceError};
use crate::pointer::{Kind, Pointer};
use crate::store::{Entry, EntryKind, Id, Store, StoreError, Tree};

/// A folder's workspace content with its parts not fetched here filled in.
pub struct Filled {
    pub id: Id,
    pub size: u64,
    pub files: u64,
    /// Every tree of the filled folder, deepest first (the root last).
    pub trees: Vec<(Id, Tree)>,
    /// The files, those filled in among them (not those below an unread subtree).
    pub listing: Listing,
    /// Files not fetched here.
    pub not_fetched: u64,
}

/// The workspace's version of the folder `pointer` tracks (`have`, its
/// hashed listing as a folder)
/// with what was not fetched here taken from the pointer's trees, leaving
/// out `removed` (paths below the folder). None when nothing is to fill in
/// (the workspace's own version stands) or the pointer's root tree is not
/// here to read.
pub fn fill(
    store: &Store,
    rel: &str,
    pointer: &Pointer,
    have: &Listing,
    removed: &[String],
) -> Result<Option<Filled>, WorkspaceError> {
    if pointer.kind != Kind::Dir {
        return Ok(None);
    }
    let root = match store.read_tree(&pointer.id) {
        Ok(t) => t,
        Err(StoreError::Missing { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut present: BTreeSet<&str> = have.files.keys().map(String::as_str).collect();
    present.extend(have.dirs.iter().map(String::as_str));
    let mut fill = Fill {
        store,
        present,
        removed,
        files: have.files.clone(),
        dirs: have.dirs.iter().cloned().collect(),
        opaque: Vec::new(),
        not_fetched: 0,
    };
    fill.tree(&root, "")?;
    if fill.not_fetched == 0 {
        return Ok(None);
    }
    let listing = Listing {
        files: fill.files,
        dirs: fill.dirs.into_iter().collect(),
    };
    let trees = build_trees(&listing, &fill.opaque).map_err(|message| WorkspaceError::BadTree {
        path: rel.to_string(),
        message,
    })?;
    let (id, root) = trees.last().expect("the root tree is always built");
    Ok(Some(Filled {
        id: *id,
        size: root.size(),
        files: root.files(),
        listing,
        not_fetched: fill.not_fetched,
        trees,
    }))
}

struct Fill<'a> {
    store: &'a Store,
    /// Paths the workspace has, files and folders.
    present: BTreeSet<&'a str>,
    removed: &'a [String],
    files: std::collections::BTreeMap<String, (Id, EntryKind, u64)>,
    dirs: BTreeSet<String>,
    /// Subfolders not fetched here whose trees are not here either.
    opaque: Vec<(String, Entry)>,
    not_fetched: u64,
}

impl Fill<'_> {
    /// Whether the workspace has `path` or anything below it.
    fn has(&self, path: &str) -> bool {
        let below = format!("{path}/");
        self.present.contains(path)
            || self
                .present
                .range::<str, _>((Bound::Included(below.as_str()), Bound::Unbounded))
                .next()
                .is_some_and(|p| p.starts_with(&below))
    }

    fn is_removed(&self, path: &str) -> bool {
        self.removed
            .iter()
            .any(|r| path == r || path.starts_with(&format!("{r}/")))
    }

    fn tree(&mut self, tree: &Tree, prefix: &str) -> Result<(), WorkspaceError> {
        for e in tree.entries() {
            let path = if prefix.is_empty() {
                e.name.clone()
            } else {
                format!("{prefix}/{}", e.name)
            };
            if self.is_removed(&path) {
                continue;
            }
            let fetched = self.store.contains(&e.id);
            match e.kind {
                EntryKind::Dir if fetched => {
                    let sub = self.store.read_tree(&e.id)?;
                    self.tree(&sub, &path)?;
                }
                EntryKind::Dir if !self.has(&path) => {
                    self.add_parents(prefix);
                    self.opaque.push((prefix.to_string(), e.clone()));
                    self.not_fetched += e.files;
                }
                EntryKind::File | EntryKind::Exec if !fetched && !self.has(&path) => {
                    self.add_parents(prefix);
                    self.files.insert(path, (e.id, e.kind, e.size));
                    self.not_fetched += 1;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Makes `dir` and the folders above it part of the listing.
    fn add_parents(&mut self, dir: &str) {
        let mut at = dir;
        while !at.is_empty() && self.dirs.insert(at.to_string()) {
            at = at.rfind('/').map_or("", |i| &at[..i]);
        }
    }
}
