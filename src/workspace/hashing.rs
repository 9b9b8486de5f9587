//! Computing the content id of a tracked file or folder as it is in the
//! workspace: from the stat cache where nothing changed, by hashing (and,
//! for `kiln add`, storing) where something did.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use rayon::prelude::*;

use super::scan::{self, ScanFile};
use super::{Listing, WorkspaceError};
use crate::config::LinkMode;
use crate::pointer::Kind;
use crate::progress::{Progress, Unit};
use crate::store::statcache::{Stat, StatCache};
use crate::store::{self, Entry, EntryKind, Id, Staged, Store, Tree};

/// Whether hashing also puts new content into the store.
#[derive(Clone, Copy)]
pub enum Mode<'a> {
    HashOnly,
    Ingest(&'a [LinkMode]),
}

/// A tracked path's content as found in the workspace.
pub struct Hashed {
    pub kind: Kind,
    pub id: Id,
    pub size: u64,
    pub files: u64,
    pub listing: Listing,
    /// Every folder's tree with its id, deepest first (what `add` stores).
    pub trees: Vec<(Id, Tree)>,
    /// Files read and hashed, and their bytes; files answered by the stat cache.
    pub hashed: u64,
    pub hashed_bytes: u64,
    pub cached: u64,
    /// New objects to publish (ingest mode).
    pub staged: Vec<Staged>,
    /// Stat-cache updates: repository-relative path, stat, id.
    pub seen: Vec<(String, Stat, Id)>,
    /// Large files taken into the store by hard link in copy mode, which
    /// get their own copy back once the object is published.
    pub adopted: Vec<Adopted>,
}

/// A workspace file whose inode became a store object (see [`Hashed::adopted`]).
#[derive(Clone, Debug)]
pub struct Adopted {
    /// Repository-relative path.
    pub rel: String,
    pub id: Id,
    /// The file's permission bits and modification time, for its copy.
    pub mode: u32,
    pub modified: SystemTime,
}

pub struct Hasher<'a> {
    pub store: &'a Store,
    pub root: &'a Path,
    pub objects: std::path::PathBuf,
    pub cache: &'a StatCache,
    pub mode: Mode<'a>,
    pub progress: &'a dyn Progress,
    started: (i64, u32),
}

struct FileResult {
    id: Id,
    size: u64,
    hashed: bool,
    staged: Option<Staged>,
    adopted: Option<(u32, SystemTime)>,
}

impl<'a> Hasher<'a> {
    pub fn new(
        store: &'a Store,
        root: &'a Path,
        cache: &'a StatCache,
        mode: Mode<'a>,
        progress: &'a dyn Progress,
    ) -> Hasher<'a> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        let objects =
            std::fs::canonicalize(store.objects_dir()).unwrap_or_else(|_| store.objects_dir());
        Hasher {
            store,
            root,
            objects,
            cache,
            mode,
            progress,
            started: (now.as_secs() as i64, now.subsec_nanos()),
        }
    }

    /// The content at `rel` (repository-relative); `None` if it is missing.
    pub fn hash(&self, rel: &str) -> Result<Option<Hashed>, WorkspaceError> {
        let abs = self.root.join(rel);
        let meta = match std::fs::symlink_metadata(&abs) {
            Ok(m) => m,
            Err(_) => return Ok(None),
        };
        if meta.is_dir() {
            let scan = scan::scan(&abs, self.root, &self.objects)?;
            return self.hash_dir(rel, scan).map(Some);
        }
        let (stat, exec, store_link) = scan::stat_file(&abs, self.root, &self.objects)?;
        let file = ScanFile {
            rel: String::new(),
            abs,
            stat,
            exec,
            store_link,
        };
        let r = self.file(rel, &file)?;
        let mut listing = Listing::default();
        listing
            .files
            .insert(String::new(), (r.id, EntryKind::File, r.size));
        let mut seen = Vec::new();
        self.remember(&mut seen, rel.to_string(), &file, r.id);
        let adopted = adopted_at(rel.to_string(), &r);
        Ok(Some(Hashed {
            kind: Kind::File,
            id: r.id,
            size: r.size,
            files: 1,
            listing,
            trees: Vec::new(),
            hashed: r.hashed as u64,
            hashed_bytes: if r.hashed { r.size } else { 0 },
            cached: (!r.hashed) as u64,
            staged: r.staged.into_iter().collect(),
            seen,
            adopted: adopted.into_iter().collect(),
        }))
    }

    fn remember(&self, seen: &mut Vec<(String, Stat, Id)>, rel: String, file: &ScanFile, id: Id) {
        // A file changed at or after the scan began may change again within
        // the clock's resolution: hash it next time rather than trust its stat.
        if file.store_link.is_none() && file.stat.mtime < self.started {
            seen.push((rel, file.stat, id));
        }
    }

    fn file(&self, repo_rel: &str, f: &ScanFile) -> Result<FileResult, WorkspaceError> {
        let known = f.store_link.or_else(|| self.cache.get(repo_rel, &f.stat));
        if let Some(id) = known
            && (matches!(self.mode, Mode::HashOnly) || self.store.contains(&id))
        {
            return Ok(FileResult {
                id,
                size: f.stat.size,
                hashed: false,
                staged: None,
                adopted: self.still_adopted(f, &id),
            });
        }
        let mut adopted = None;
        let (id, size, staged) = match self.mode {
            Mode::HashOnly => {
                let (id, size) = store::hash_file(&f.abs)?;
                (id, size, None)
            }
            Mode::Ingest(links) => {
                let reflink = links.contains(&LinkMode::Reflink);
                let next = links.iter().find(|m| **m != LinkMode::Reflink);
                let adoptable = match next {
                    Some(LinkMode::Copy) => adoptable(f),
                    _ => None,
                };
                let cloned = if reflink && adoptable.is_some() {
                    self.store.ingest_reflink(&f.abs)?
                } else {
                    None
                };
                // In symlink mode too: the object takes the file's inode, and
                // `add` then puts a symlink to it in the file's place.
                let link = adoptable.is_some()
                    || matches!(next, Some(LinkMode::Hardlink | LinkMode::Symlink));
                // Across file systems there is no hard link: copy instead.
                let linked = (cloned.is_none() && link)
                    .then(|| self.store.ingest_hardlink(&f.abs).ok())
                    .flatten();
                if linked.is_some() {
                    adopted = adoptable;
                }
                match cloned.or(linked) {
                    Some(r) => r,
                    // Reflink was tried already for an adoptable file.
                    None => self
                        .store
                        .ingest_copy(&f.abs, reflink && adoptable.is_none())?,
                }
            }
        };
        let staged = staged.map(|s| s.with_exec(f.exec));
        // Only a new object is this inode; a known one left the file alone.
        if staged.is_none() {
            adopted = None;
        }
        Ok(FileResult {
            id,
            size,
            hashed: true,
            staged,
            adopted: adopted.or_else(|| self.still_adopted(f, &id)),
        })
    }

    /// A file that is still its store object's own inode, in copy mode: an
    /// add was stopped (say by `kill -9`) after it published the adopted
    /// file and before it gave the workspace its copy back. Editing it in
    /// place would corrupt the store, so it gets its copy now.
    fn still_adopted(&self, f: &ScanFile, id: &Id) -> Option<(u32, SystemTime)> {
        use std::os::unix::fs::MetadataExt;
        let Mode::Ingest(links) = self.mode else {
            return None;
        };
        let copies = links.iter().find(|m| **m != LinkMode::Reflink) == Some(&LinkMode::Copy);
        if !copies || f.stat.size <= store::SMALL_FILE || f.store_link.is_some() {
            return None;
        }
        let meta = std::fs::symlink_metadata(&f.abs).ok()?;
        if !meta.is_file() || meta.nlink() < 2 {
            return None;
        }
        let object = std::fs::metadata(self.store.object_path(id)).ok()?;
        (object.ino() == meta.ino() && object.dev() == meta.dev())
            .then(|| Some((meta.mode() & 0o7777 | 0o200, meta.modified().ok()?)))
            .flatten()
    }

    fn hash_dir(&self, rel: &str, scan: scan::Scan) -> Result<Hashed, WorkspaceError> {
        let task = self
            .progress
            .task("hashing", scan.files.len() as u64, Unit::Files);
        let hashed_n = AtomicU64::new(0);
        let hashed_bytes = AtomicU64::new(0);
        let results: Vec<FileResult> = scan
            .files
            .par_iter()
            .map(|f| {
                let r = self.file(&format!("{rel}/{}", f.rel), f)?;
                if r.hashed {
                    hashed_n.fetch_add(1, Ordering::Relaxed);
                    hashed_bytes.fetch_add(r.size, Ordering::Relaxed);
                }
                task.advance(1);
                task.advance_bytes(r.size);
                Ok(r)
            })
            .collect::<Result<_, WorkspaceError>>()?;
        drop(task);
        let mut listing = Listing {
            dirs: scan.dirs.clone(),
            ..Default::default()
        };
        let mut staged = Vec::new();
        let mut seen = Vec::new();
        let mut adopted = Vec::new();
        for (f, r) in scan.files.iter().zip(results) {
            adopted.extend(adopted_at(format!("{rel}/{}", f.rel), &r));
            let kind = if f.exec {
                EntryKind::Exec
            } else {
                EntryKind::File
            };
            listing.files.insert(f.rel.clone(), (r.id, kind, r.size));
            self.remember(&mut seen, format!("{rel}/{}", f.rel), f, r.id);
            staged.extend(r.staged);
        }
        let trees = build_trees(&listing, &[]).map_err(|message| WorkspaceError::BadTree {
            path: rel.to_string(),
            message,
        })?;
        let (id, root) = trees.last().expect("the root's tree is always built");
        let hashed = hashed_n.into_inner();
        Ok(Hashed {
            kind: Kind::Dir,
            id: *id,
            size: root.size(),
            files: root.files(),
            cached: listing.files.len() as u64 - hashed,
            listing,
            trees,
            hashed,
            hashed_bytes: hashed_bytes.into_inner(),
            staged,
            seen,
            adopted,
        })
    }
}

/// Whether copy mode may take this file's inode into the store and give the
/// workspace a copy back (no new bytes to make durable, which for large files
/// is most of the cost): a large regular file with no other hard link, owned
/// by this user (the object is made read-only). Its mode and time if so.
fn adoptable(f: &ScanFile) -> Option<(u32, SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    if f.stat.size <= store::SMALL_FILE || f.store_link.is_some() {
        return None;
    }
    let meta = std::fs::symlink_metadata(&f.abs).ok()?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    (meta.is_file() && meta.nlink() == 1 && meta.uid() == me)
        .then(|| Some((meta.mode() & 0o7777, meta.modified().ok()?)))
        .flatten()
}

fn adopted_at(rel: String, r: &FileResult) -> Option<Adopted> {
    let (mode, modified) = r.adopted?;
    Some(Adopted {
        rel,
        id: r.id,
        mode,
        modified,
    })
}

/// Builds every folder's tree from a listing, deepest first, each with its
/// id (hashed once here); the root is the last. `opaque` adds subfolders
/// known only by their entry, under a parent folder the listing names.
pub fn build_trees(
    listing: &Listing,
    opaque: &[(String, Entry)],
) -> Result<Vec<(Id, Tree)>, String> {
    let mut children: BTreeMap<&str, Vec<Entry>> = BTreeMap::new();
    children.insert("", Vec::new());
    for d in &listing.dirs {
        children.entry(d.as_str()).or_default();
    }
    for (parent, entry) in opaque {
        children
            .entry(parent.as_str())
            .or_default()
            .push(entry.clone());
    }
    for (path, (id, kind, size)) in &listing.files {
        let (parent, name) = split(path);
        children.entry(parent).or_default().push(Entry {
            name: name.to_string(),
            kind: *kind,
            id: *id,
            size: *size,
            files: 1,
        });
    }
    // Deepest folders first, so each subtree is done before its parent.
    let mut dirs: Vec<&str> = children.keys().copied().collect();
    dirs.sort_by_key(|d| {
        std::cmp::Reverse(if d.is_empty() {
            0
        } else {
            d.matches('/').count() + 1
        })
    });
    let mut trees = Vec::with_capacity(dirs.len());
    for d in dirs {
        let entries = children.remove(d).unwrap_or_default();
        let tree = Tree::new(entries)?;
        let id = tree.id();
        if !d.is_empty() {
            let (parent, name) = split(d);
            children.entry(parent).or_default().push(Entry {
                name: name.to_string(),
                kind: EntryKind::Dir,
                id,
                size: tree.size(),
                files: tree.files(),
            });
        }
        trees.push((id, tree));
    }
    Ok(trees)
}

fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}
