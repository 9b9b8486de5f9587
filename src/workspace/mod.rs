//! The workspace: tracked files and folders as they are on disk, and the
//! operations that compare them with pointers and the store.

pub mod add;
pub mod checkout;
pub mod diff;
pub mod hashing;
pub mod merge;
pub mod partial;
mod place;
pub mod remove;
pub mod scan;
pub mod status;
pub mod unprotect;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::fsutil::{self, IoError};
use crate::pointer::{self, Kind, Pointer, PointerError};
use crate::repo::Repo;
use crate::repo_path::RepoPath;
use crate::store::{EntryKind, Id, Store, StoreError, Tree};

pub use place::{Placer, copy_back};

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pointer(#[from] PointerError),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error("{}: outside the repository", path.display())]
    Outside { path: PathBuf },
    #[error("{}: kiln's and git's own folders cannot be tracked", path.display())]
    Reserved { path: PathBuf },
    #[error("{}: no such file or folder", path.display())]
    NotFound { path: PathBuf },
    #[error(
        "{path}: the folder's current version was never fetched here, so what is not here could not be kept; `kiln pull {path}/PART` (any part) brings its tree first"
    )]
    TreeNotHere { path: String },
    #[error("{}: inside the tracked folder {parent}; add or remove the whole folder", path.display())]
    InsideTracked { path: PathBuf, parent: String },
    #[error("{}: git already tracks this path; `git rm --cached` it first to let kiln track it", path.display())]
    GitTracked { path: PathBuf },
    #[error("{}: a symlink that leads outside the repository (not followed)", path.display())]
    SymlinkOutside { path: PathBuf },
    #[error("{}: symlinks to folders are not supported", path.display())]
    SymlinkedFolder { path: PathBuf },
    #[error("{}: refusing to write through a symlink", path.display())]
    WriteThroughSymlink { path: PathBuf },
    #[error("{}: a file stands where a folder belongs", path.display())]
    FileInTheWay { path: PathBuf },
    #[error("{}: not a regular file, folder or symlink", path.display())]
    Special { path: PathBuf },
    #[error("{}: file names must be valid UTF-8", path.display())]
    BadName { path: PathBuf },
    #[error("{}: cannot read a `.kilnignore` file", path.display())]
    Ignore { path: PathBuf },
    #[error("{path}: not tracked by kiln (no {path}.kiln)")]
    NotTracked { path: String },
    #[error("{path}: {message}")]
    BadTree { path: String, message: String },
    /// The gate of `add` refused the content, or could not judge it.
    #[error(transparent)]
    Refused(Refusal),
    #[error("object {id} in the store is corrupt (its bytes do not match); run `kiln fsck`")]
    Corrupt { id: Id },
}

/// Why the gate `add` is given refused content: the schema check, which
/// lives above the workspace, keeps its own error whole.
pub type Refusal = Box<dyn std::error::Error + Send + Sync>;

/// A tracked path and its pointer.
#[derive(Clone, Debug)]
pub struct Tracked {
    /// Repository-relative path of the data, through the safe-path gate.
    pub rel: RepoPath,
    pub pointer: Pointer,
    /// A file or subfolder of a tracked folder, when only it was asked for
    /// (its path below `rel`): fetch and checkout move only what it needs.
    pub part: Option<String>,
}

impl Tracked {
    pub fn abs(&self, repo: &Repo) -> PathBuf {
        repo.root().join(&self.rel)
    }
}

/// Every pointer file in the work tree, outside `.git/` and `.kiln/`. Tracked
/// data is git-ignored, so the walk skips git-ignored folders.
pub fn tracked(repo: &Repo) -> Result<Vec<Tracked>, WorkspaceError> {
    let root = repo.root();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .git_ignore(repo.scm())
        .require_git(false)
        .filter_entry(|e| {
            let name = e.file_name();
            !(e.depth() > 0
                && e.file_type().is_some_and(|t| t.is_dir())
                && (name == ".git" || name == ".kiln"))
        })
        .build();
    let mut out = Vec::new();
    for entry in walker {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(rel) = fsutil::rel_string(root, entry.path()) else {
            continue;
        };
        let Some(data) = pointer::data_path(&rel) else {
            continue;
        };
        let data = data?;
        // A folder on the way that is a symlink out of the repository would
        // make every later read and write land outside it.
        data.checked_abs(root)
            .map_err(|source| PointerError::UnsafePath {
                path: PathBuf::from(&rel),
                source,
            })?;
        let pointer = Pointer::read(entry.path())?;
        out.push(Tracked {
            rel: data,
            pointer,
            part: None,
        });
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// Resolves a command-line path to a repository-relative one, refusing paths
/// outside the repository and kiln's or git's own folders.
pub fn resolve(repo: &Repo, cwd: &Path, arg: &Path) -> Result<RepoPath, WorkspaceError> {
    let joined = cwd.join(arg);
    let normal = fsutil::normalize(&joined);
    let root = repo.root();
    // Resolve symlinks in the parent folders, not the last component.
    let resolved = match (normal.parent(), normal.file_name()) {
        (Some(parent), Some(name)) if parent.exists() => std::fs::canonicalize(parent)
            .map(|p| p.join(name))
            .unwrap_or(normal.clone()),
        _ => normal.clone(),
    };
    let rel = fsutil::rel_string(root, &resolved).ok_or_else(|| WorkspaceError::Outside {
        path: arg.to_path_buf(),
    })?;
    RepoPath::new(rel.trim_end_matches('/')).map_err(|_| WorkspaceError::Reserved {
        path: arg.to_path_buf(),
    })
}

/// [`resolve`], where naming a pointer file (`data.csv.kiln`) means the
/// path it tracks.
pub fn resolve_data(repo: &Repo, cwd: &Path, arg: &Path) -> Result<RepoPath, WorkspaceError> {
    let rel = resolve(repo, cwd, arg)?;
    Ok(match pointer::data_path(&rel) {
        Some(Ok(data)) => data,
        _ => rel,
    })
}

/// The tracked entries that `paths` select: all when `paths` is empty.
pub fn select(repo: &Repo, cwd: &Path, paths: &[PathBuf]) -> Result<Vec<Tracked>, WorkspaceError> {
    let all = tracked(repo)?;
    if paths.is_empty() {
        return Ok(all);
    }
    let mut out = Vec::new();
    for p in paths {
        let rel = resolve_data(repo, cwd, p)?;
        let found: Vec<_> = all
            .iter()
            .filter(|t| t.rel.is_within(&rel))
            .cloned()
            .collect();
        if !found.is_empty() {
            out.extend(found);
            continue;
        }
        // A path inside a tracked folder selects that part of it.
        let Some(t) = all
            .iter()
            .find(|t| t.pointer.kind == Kind::Dir && rel.is_within(&t.rel))
        else {
            return Err(WorkspaceError::NotTracked {
                path: rel.to_string(),
            });
        };
        let sub = rel.as_str()[t.rel.as_str().len() + 1..].to_string();
        out.push(Tracked {
            part: Some(sub),
            ..t.clone()
        });
    }
    // The whole of a path (no part) sorts first and covers its parts.
    out.sort_by(|a, b| (&a.rel, &a.part).cmp(&(&b.rel, &b.part)));
    out.dedup_by(|later, first| {
        first.rel == later.rel && (first.part.is_none() || first.part == later.part)
    });
    Ok(out)
}

/// The file a tracked path's content holds, by path below it. A file pointer
/// maps "" to its id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub files: BTreeMap<String, (Id, EntryKind, u64)>,
    pub dirs: Vec<String>,
}

/// Reads the whole listing of a pointer's content from the store.
pub fn listing(store: &Store, pointer: &Pointer) -> Result<Listing, StoreError> {
    let mut out = Listing::default();
    match pointer.kind {
        Kind::File => {
            out.files
                .insert(String::new(), (pointer.id, EntryKind::File, pointer.size));
        }
        Kind::Dir => flatten(store, &pointer.id, "", &mut out, None)?,
    }
    Ok(out)
}

/// A pointer's listing as far as the store holds its subfolders' trees,
/// and the subfolders whose trees it lacks (not fetched here) with their
/// file counts. The root's tree must be there.
pub fn listing_known(
    store: &Store,
    pointer: &Pointer,
) -> Result<(Listing, Vec<(String, u64)>), StoreError> {
    let mut unread = Vec::new();
    let listing = match pointer.kind {
        Kind::File => listing(store, pointer)?,
        Kind::Dir => {
            let mut out = Listing::default();
            flatten(store, &pointer.id, "", &mut out, Some(&mut unread))?;
            out
        }
    };
    Ok((listing, unread))
}

/// The listing of part `sub` of a folder pointer's content (paths below
/// the folder, like [`listing`]'s), read through the trees on the way.
pub fn listing_part(store: &Store, pointer: &Pointer, sub: &str) -> Result<Listing, StoreError> {
    let mut out = Listing::default();
    let mut id = pointer.id;
    let mut at = String::new();
    for name in sub.split('/') {
        let tree = store.read_tree(&id)?;
        let Some(e) = tree.entries().iter().find(|e| e.name == name) else {
            return Ok(out);
        };
        at = if at.is_empty() {
            name.to_string()
        } else {
            format!("{at}/{name}")
        };
        match e.kind {
            EntryKind::Dir => id = e.id,
            kind if at == sub => {
                out.files.insert(at, (e.id, kind, e.size));
                return Ok(out);
            }
            _ => return Ok(out),
        }
    }
    out.dirs.push(at.clone());
    flatten(store, &id, &at, &mut out, None)?;
    Ok(out)
}

/// Lists the files below tree `id`; with `unread`, a subfolder whose tree
/// is not in the store is noted there instead of failing.
fn flatten(
    store: &Store,
    id: &Id,
    prefix: &str,
    out: &mut Listing,
    mut unread: Option<&mut Vec<(String, u64)>>,
) -> Result<(), StoreError> {
    let tree: Tree = store.read_tree(id)?;
    for e in tree.entries() {
        let path = if prefix.is_empty() {
            e.name.clone()
        } else {
            format!("{prefix}/{}", e.name)
        };
        match e.kind {
            EntryKind::Dir => match unread.as_deref_mut() {
                Some(u) if !store.contains(&e.id) => u.push((path, e.files)),
                _ => {
                    out.dirs.push(path.clone());
                    flatten(store, &e.id, &path, out, unread.as_deref_mut())?;
                }
            },
            kind => {
                out.files.insert(path, (e.id, kind, e.size));
            }
        }
    }
    Ok(())
}

/// For reports' counts that are left out when nothing was counted.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Which pointers keep objects alive in `kiln gc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcScope {
    /// The pointers in the work tree.
    Workspace,
    /// Those, and the pointers at every local branch's tip.
    AllBranches,
    /// Those, and the pointers in every commit reachable from any reference.
    AllCommits,
}

/// The roots of reachability for a gc scope.
pub fn gc_roots(
    repo: &Repo,
    scope: GcScope,
) -> Result<Vec<crate::store::gc::Root>, WorkspaceError> {
    let root_of = |p: &Pointer| crate::store::gc::Root {
        id: p.id,
        is_tree: p.kind == Kind::Dir,
    };
    let mut roots: Vec<_> = tracked(repo)?.iter().map(|t| root_of(&t.pointer)).collect();
    if scope == GcScope::Workspace || !repo.scm() {
        return Ok(roots);
    }
    let git = crate::git::Git::open(repo.root())?;
    let found = match scope {
        GcScope::AllBranches => git.pointers_on_branches()?,
        _ => git.pointers_in_history()?,
    };
    for (path, bytes) in found {
        let text = String::from_utf8_lossy(&bytes);
        // A pointer in history is judged by the same gate, even though gc
        // only reads its id: it names the pointer file if refused.
        if let Some(data) = pointer::data_path(&path) {
            data?;
        }
        roots.push(root_of(&Pointer::parse(&text, Path::new(&path))?));
    }
    Ok(roots)
}
