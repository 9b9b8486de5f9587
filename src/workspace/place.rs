//! Placing stored content in the workspace: by the configured link modes,
//! never through a symlinked folder, and giving adopted files their own
//! writable copy back.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::WorkspaceError;
use crate::config::LinkMode;
use crate::fsutil::{self, Context, IoError};
use crate::repo::Repo;
use crate::store::statcache::Stat;
use crate::store::{Id, Store};

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
    /// Returns the bytes written (0 for links). The caller knows the store
    /// holds the object (a symlink to one missing would dangle).
    pub fn place(&self, id: &Id, exec: bool, dest: &Path) -> Result<u64, WorkspaceError> {
        let parent = dest.parent().ok_or_else(|| WorkspaceError::Outside {
            path: dest.to_path_buf(),
        })?;
        self.ensure_dir(parent)?;
        let object = self.store.object_path(id);
        for mode in self.links {
            match mode {
                // A file system that cannot clone once will not the next time.
                LinkMode::Reflink if !self.no_reflink.load(Ordering::Relaxed) => {
                    let tmp = self.tmp_name();
                    if reflink_copy::reflink(&object, &tmp).is_ok() {
                        set_mode(&tmp, exec)?;
                        replace(&tmp, dest)?;
                        return Ok(0);
                    }
                    let _ = fsutil::remove_file(&tmp);
                    self.no_reflink.store(true, Ordering::Relaxed);
                }
                LinkMode::Hardlink | LinkMode::Symlink if link(*mode, &object, dest)? => {
                    return Ok(0);
                }
                LinkMode::Copy => break,
                _ => {}
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
    a: &super::hashing::Adopted,
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

/// Makes `dest` a hard link or a symlink to `object`; false where this file
/// system does not allow it. Made in place, not under
/// a temporary name renamed over `dest`: renames from one temporary folder
/// serialise every file on that folder's lock (a checkout of 20,000
/// symlinks took 4.6 s that way). Whatever `dest` held first is removed;
/// its content is in the store (checkout replaces only such files, unless
/// forced, and add links only what it has published), so a crash between
/// the two steps leaves a file to check out again, never lost content.
fn link(mode: LinkMode, object: &Path, dest: &Path) -> Result<bool, IoError> {
    let make = || match mode {
        LinkMode::Hardlink => std::fs::hard_link(object, dest),
        _ => std::os::unix::fs::symlink(object, dest),
    };
    match make() {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            match fsutil::symlink_metadata(dest)? {
                m if m.is_dir() => std::fs::remove_dir(dest)
                    .map_err(|_| IoError::new("replace folder", dest, e))?,
                _ => fsutil::remove_file(dest)?,
            }
            Ok(make().is_ok())
        }
        Err(_) => Ok(false),
    }
}

/// Renames `tmp` over `dest`; an empty folder in the way is removed first.
fn replace(tmp: &Path, dest: &Path) -> Result<(), IoError> {
    match fsutil::rename(tmp, dest) {
        Ok(()) => Ok(()),
        Err(e) if fsutil::symlink_metadata(dest).is_ok_and(|m| m.is_dir()) => {
            std::fs::remove_dir(dest)
                .map_err(|_| IoError::new("replace folder", dest, e.source))?;
            fsutil::rename(tmp, dest).map_err(|e| IoError::new("write", dest, e.source))
        }
        Err(e) => {
            let _ = fsutil::remove_file(tmp);
            Err(IoError::new("write", dest, e.source))
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
