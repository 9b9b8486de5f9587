//! The workspace: tracked files and folders as they are on disk, and the
//! operations that compare them with pointers and the store.

pub mod add;
pub mod checkout;
pub mod diff;
pub mod hashing;
pub mod scan;
pub mod status;
pub mod unprotect;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::fsutil::{self, Context, IoError};
use crate::pointer::{self, Kind, Pointer, PointerError};
use crate::repo::{LinkMode, Repo};
use crate::repo_path::RepoPath;
use crate::store::statcache::Stat;
use crate::store::{EntryKind, Id, Store, StoreError, Tree};

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
        out.push(Tracked { rel: data, pointer });
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
        if found.is_empty() {
            return Err(WorkspaceError::NotTracked {
                path: rel.to_string(),
            });
        }
        out.extend(found);
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.dedup_by(|a, b| a.rel == b.rel);
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
        Kind::Dir => flatten(store, &pointer.id, "", &mut out)?,
    }
    Ok(out)
}

fn flatten(store: &Store, id: &Id, prefix: &str, out: &mut Listing) -> Result<(), StoreError> {
    let tree: Tree = store.read_tree(id)?;
    for e in tree.entries() {
        let path = if prefix.is_empty() {
            e.name.clone()
        } else {
            format!("{prefix}/{}", e.name)
        };
        match e.kind {
            EntryKind::Dir => {
                out.dirs.push(path.clone());
                flatten(store, &e.id, &path, out)?;
            }
            kind => {
                out.files.insert(path, (e.id, kind, e.size));
            }
        }
    }
    Ok(())
}

/// Writes workspace files from the store by the configured link modes,
/// refusing to write through symlinked folders.
pub struct Placer<'a> {
    repo: &'a Repo,
    store: &'a Store,
    links: &'a [LinkMode],
    safe_dirs: Mutex<HashSet<PathBuf>>,
    no_reflink: AtomicBool,
    counter: AtomicU64,
}

impl<'a> Placer<'a> {
    pub fn new(repo: &'a Repo, store: &'a Store) -> Placer<'a> {
        Placer::with_links(repo, store, &repo.config.cache.link)
    }

    pub fn with_links(repo: &'a Repo, store: &'a Store, links: &'a [LinkMode]) -> Placer<'a> {
        Placer {
            repo,
            store,
            links,
            safe_dirs: Mutex::new(HashSet::new()),
            no_reflink: AtomicBool::new(false),
            counter: AtomicU64::new(0),
        }
    }

    /// Creates `dir` (absolute, inside the repository) and its parents,
    /// refusing any that is a symlink.
    pub fn ensure_dir(&self, dir: &Path) -> Result<(), WorkspaceError> {
        if self.safe_dirs.lock().expect("not poisoned").contains(dir) {
            return Ok(());
        }
        let rel = dir
            .strip_prefix(self.repo.root())
            .map_err(|_| WorkspaceError::Outside {
                path: dir.to_path_buf(),
            })?;
        let mut cur = self.repo.root().to_path_buf();
        for c in rel.components() {
            cur.push(c);
            match std::fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(WorkspaceError::WriteThroughSymlink { path: cur });
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(WorkspaceError::FileInTheWay { path: cur }),
                Err(_) => fsutil::create_dir_all(&cur)?,
            }
        }
        self.safe_dirs
            .lock()
            .expect("not poisoned")
            .insert(dir.to_path_buf());
        Ok(())
    }

    /// Makes `dest` hold object `id`, replacing whatever file is there.
    /// Returns the bytes written (0 for links).
    pub fn place(&self, id: &Id, exec: bool, dest: &Path) -> Result<u64, WorkspaceError> {
        let parent = dest.parent().ok_or_else(|| WorkspaceError::Outside {
            path: dest.to_path_buf(),
        })?;
        self.ensure_dir(parent)?;
        let object = self.store.object_path(id);
        for mode in self.links {
            let tmp = self.tmp_name();
            let linked = match mode {
                // A file system that cannot clone once will not the next time.
                LinkMode::Reflink if !self.no_reflink.load(Ordering::Relaxed) => {
                    let ok = reflink_copy::reflink(&object, &tmp).is_ok();
                    if ok {
                        set_mode(&tmp, exec)?;
                    } else {
                        let _ = std::fs::remove_file(&tmp);
                        self.no_reflink.store(true, Ordering::Relaxed);
                    }
                    ok
                }
                LinkMode::Hardlink => std::fs::hard_link(&object, &tmp).is_ok(),
                LinkMode::Symlink => {
                    object.is_file() && std::os::unix::fs::symlink(&object, &tmp).is_ok()
                }
                LinkMode::Copy => break,
                LinkMode::Reflink => false,
            };
            if linked {
                replace(&tmp, dest)?;
                return Ok(0);
            }
        }
        self.copy(id, exec, dest)
    }

    /// A fresh path in the temporary folder, not yet created.
    fn tmp_name(&self) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.repo
            .tmp_dir()
            .join(format!(".kiln-place-{}-{n}", std::process::id()))
    }

    /// A verified copy, made as a file without a name in `dest`'s folder and
    /// named once complete (no rename across folders, which serialises on
    /// the temporary folder's lock); where that is not offered, through a
    /// temporary file renamed into place.
    fn copy(&self, id: &Id, exec: bool, dest: &Path) -> Result<u64, WorkspaceError> {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(if exec { 0o755 } else { 0o644 });
        let anonymous = dest.parent().and_then(fsutil::anonymous_file);
        if let Some(mut file) = anonymous {
            let written = copy_verified(self.store, id, &mut file)?;
            file.set_permissions(mode.clone())
                .map_err(|e| IoError::new("set permissions of", dest, e))?;
            match fsutil::link_anonymous(&file, dest) {
                Ok(()) => return Ok(written),
                // Replacing a file: name it in the temporary folder, then rename.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let tmp = self.tmp_name();
                    fsutil::link_anonymous(&file, &tmp)
                        .map_err(|e| IoError::new("write", dest, e))?;
                    replace(&tmp, dest)?;
                    return Ok(written);
                }
                // No /proc to name it through: copy the ordinary way.
                Err(_) => {}
            }
        }
        let mut tmp = fsutil::temp_file(&self.repo.tmp_dir())?;
        let written = copy_verified(self.store, id, tmp.as_file_mut())?;
        tmp.as_file()
            .set_permissions(mode)
            .map_err(|e| IoError::new("set permissions of", tmp.path(), e))?;
        // From here `replace` owns the temporary file: renamed, or removed.
        let path = tmp
            .into_temp_path()
            .keep()
            .map_err(|e| IoError::new("write", dest, e.error))?;
        replace(&path, dest)?;
        Ok(written)
    }
}

/// Gives an adopted workspace file (now one inode with its store object)
/// an independent, writable copy with its old mode and time. Nothing is
/// replaced if the path no longer holds that inode. The copy is not synced:
/// its bytes are safe in the store. Returns the copy's stat.
pub fn copy_back(
    repo: &Repo,
    store: &Store,
    a: &hashing::Adopted,
) -> Result<Option<Stat>, IoError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let abs = repo.root().join(&a.rel);
    let object = store.object_path(&a.id);
    let mut src = fsutil::open(&object)?;
    let ino = src.metadata().ctx("read metadata of", &object)?.ino();
    let mut tmp = fsutil::temp_file(&repo.tmp_dir())?;
    std::io::copy(&mut src, tmp.as_file_mut()).ctx("copy", &object)?;
    let file = tmp.as_file();
    file.set_permissions(std::fs::Permissions::from_mode(a.mode))
        .ctx("set permissions of", tmp.path())?;
    file.set_modified(a.modified)
        .ctx("set the time of", tmp.path())?;
    if fsutil::symlink_metadata(&abs)?.ino() != ino {
        return Ok(None);
    }
    let tmp = tmp.into_temp_path();
    // Afterwards the temporary name holds the old link, removed on drop.
    if fsutil::exchange(&tmp, &abs).is_err() {
        tmp.persist(&abs)
            .map_err(|e| IoError::new("replace", &abs, e.error))?;
    }
    Ok(Some(Stat::of(&fsutil::symlink_metadata(&abs)?)))
}

/// Renames `tmp` over `dest`; an empty folder in the way is removed first.
fn replace(tmp: &Path, dest: &Path) -> Result<(), IoError> {
    match std::fs::rename(tmp, dest) {
        Ok(()) => Ok(()),
        Err(e) if std::fs::symlink_metadata(dest).is_ok_and(|m| m.is_dir()) => {
            std::fs::remove_dir(dest).map_err(|_| IoError::new("replace folder", dest, e))?;
            std::fs::rename(tmp, dest).map_err(|e| IoError::new("write", dest, e))
        }
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            Err(IoError::new("write", dest, e))
        }
    }
}

fn set_mode(path: &Path, exec: bool) -> Result<(), IoError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if exec { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| IoError::new("set permissions of", path, e))
}

/// Copies an object while hashing it, so a corrupt object is never checked out.
fn copy_verified(store: &Store, id: &Id, out: &mut std::fs::File) -> Result<u64, WorkspaceError> {
    let object = store.object_path(id);
    let mut src = store.open(id)?;
    let len = src.metadata().ctx("read metadata of", &object)?.len();
    if len > crate::store::SMALL_FILE {
        // Hashed on every core from the page cache, then copied inside the
        // kernel: faster than one thread doing both.
        if crate::store::hash_file(&object)?.0 != *id {
            return Err(WorkspaceError::Corrupt { id: *id });
        }
        return Ok(std::io::copy(&mut src, out).ctx("write a copy of", &object)?);
    }
    // One buffer per thread: zeroing a fresh one per file showed in profiles.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 1 << 18]);
    }
    BUF.with_borrow_mut(|buf| copy_hashing(&object, &mut src, out, id, buf))
}

fn copy_hashing(
    object: &Path,
    src: &mut std::fs::File,
    out: &mut std::fs::File,
    id: &Id,
    buf: &mut [u8],
) -> Result<u64, WorkspaceError> {
    use std::io::{Read, Write};
    let mut hasher = blake3::Hasher::new();
    let mut total = 0u64;
    loop {
        let n = src.read(buf).map_err(|e| IoError::new("read", object, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| IoError::new("write a copy of", object, e))?;
        total += n as u64;
    }
    if Id::from(hasher.finalize()) != *id {
        return Err(WorkspaceError::Corrupt { id: *id });
    }
    Ok(total)
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
