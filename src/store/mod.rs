//! The content-addressed store: `.kiln/cache/objects/ab/cdef…`.
//!
//! Objects enter only by [`Store::publish`]: written to the temporary folder,
//! hashed while written, synced, then renamed under their id. Objects are
//! read-only files; an object already present is success.

pub mod gc;
mod id;
pub mod statcache;
pub mod tree;

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub use id::{Id, ParseIdError};
use rayon::prelude::*;
pub use tree::{Entry, EntryKind, Tree, TreeError};

use crate::fsutil::{self, Context, IoError};

/// Files up to this size are read into memory once, hashed and written from
/// the same buffer; larger ones are copied, then hashed on all cores.
pub const SMALL_FILE: u64 = 8 << 20;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("object {id} is not in the store")]
    Missing { id: Id },
    #[error(transparent)]
    Tree(#[from] TreeError),
    #[error("{}: changed while it was being added; run the command again", path.display())]
    Changed { path: PathBuf },
}

/// An object written to the temporary folder, not yet published.
pub struct Staged {
    pub id: Id,
    tmp: tempfile::TempPath,
    exec: bool,
}

impl Staged {
    fn new(id: Id, tmp: tempfile::TempPath) -> Staged {
        Staged {
            id,
            tmp,
            exec: false,
        }
    }

    /// Keeps the executable bit on the published object, so hard links and
    /// symlinks to it show the file as it was added.
    pub fn with_exec(mut self, exec: bool) -> Staged {
        self.exec = exec;
        self
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
    tmp: PathBuf,
}

impl Store {
    /// A store rooted at `dir`, staging through `tmp` (same file system).
    pub fn new(dir: PathBuf, tmp: PathBuf) -> Store {
        Store { dir, tmp }
    }

    pub fn objects_dir(&self) -> PathBuf {
        self.dir.join("objects")
    }

    pub fn quarantine_dir(&self) -> PathBuf {
        self.dir.join("quarantine")
    }

    pub fn object_path(&self, id: &Id) -> PathBuf {
        let hex = id.hex();
        self.dir.join("objects").join(&hex[..2]).join(&hex[2..])
    }

    pub fn contains(&self, id: &Id) -> bool {
        self.object_path(id).is_file()
    }

    /// Which of `ids` the store holds. Where many share a prefix folder, one
    /// listing of that folder answers them all instead of a stat each.
    pub fn present(&self, ids: &[Id]) -> HashSet<Id> {
        const LIST_FROM: usize = 16;
        let mut by_prefix: HashMap<u8, Vec<Id>> = HashMap::new();
        for id in ids {
            by_prefix.entry(id.as_bytes()[0]).or_default().push(*id);
        }
        let objects = self.objects_dir();
        by_prefix
            .into_par_iter()
            .flat_map_iter(|(_, group)| {
                let listed: Option<HashSet<Id>> = (group.len() >= LIST_FROM)
                    .then(|| {
                        let hex = group[0].hex();
                        let dir = fs::read_dir(objects.join(&hex[..2])).ok()?;
                        Some(
                            dir.filter_map(|e| {
                                let e = e.ok()?;
                                let name = e.file_name();
                                let name = name.as_encoded_bytes();
                                if name.len() != 62 || !e.file_type().ok()?.is_file() {
                                    return None;
                                }
                                let mut full = [0u8; 64];
                                full[..2].copy_from_slice(&hex.as_bytes()[..2]);
                                full[2..].copy_from_slice(name);
                                std::str::from_utf8(&full).ok()?.parse().ok()
                            })
                            .collect(),
                        )
                    })
                    .flatten();
                group.into_iter().filter(move |id| match &listed {
                    Some(set) => set.contains(id),
                    None => self.contains(id),
                })
            })
            .collect()
    }

    /// Creates the store's folders and its `CACHEDIR.TAG`.
    pub fn create(&self) -> Result<(), IoError> {
        fsutil::create_dir_all(&self.objects_dir())?;
        fsutil::create_dir_all(&self.tmp)?;
        let tag = self.dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            fsutil::write_atomic(
                &tag,
                b"Signature: 8a477f597d28d172789f06886806bc55\n# This is kiln's object store: backups may skip it, `kiln pull` refills it.\n",
                &self.tmp,
            )?;
        }
        Ok(())
    }

    /// An empty file in the temporary folder: every object starts as one
    /// (a download written in parts is staged by [`Store::stage_written`]).
    pub fn temp_object(&self) -> Result<tempfile::NamedTempFile, IoError> {
        fsutil::temp_file(&self.tmp)
    }

    /// Stages `bytes` already known to have the id `id`.
    pub fn stage_with_id(&self, bytes: &[u8], id: Id) -> Result<Staged, IoError> {
        let mut f = self.temp_object()?;
        f.write_all(bytes).ctx("write", f.path())?;
        Ok(Staged::new(id, f.into_temp_path()))
    }

    /// Hashes a workspace file and stages a copy of it unless the store has
    /// it already. Returns the id, the size, and the staged object if new.
    ///
    /// The staged bytes are exactly the hashed bytes: small files are read
    /// once into memory; large ones are copied (reflinked where the file
    /// system can) and the copy is hashed.
    pub fn ingest_copy(
        &self,
        path: &Path,
        reflink: bool,
    ) -> Result<(Id, u64, Option<Staged>), StoreError> {
        let meta = fsutil::metadata(path)?;
        if meta.len() <= SMALL_FILE {
            return with_read(&fsutil::open(path)?, path, meta.len(), |bytes| {
                let id = Id::of_bytes(bytes);
                let staged = if self.contains(&id) {
                    None
                } else {
                    Some(self.stage_with_id(bytes, id)?)
                };
                Ok((id, bytes.len() as u64, staged))
            });
        }
        if reflink && let Some(done) = self.ingest_reflink(path)? {
            return Ok(done);
        }
        let tmp = self.temp_object()?.into_temp_path();
        fs::copy(path, &tmp).ctx("copy", path)?;
        self.stage_large(path, meta.len(), tmp)
    }

    /// Stages a clone of a workspace file; `None` where the file system
    /// cannot clone.
    pub fn ingest_reflink(
        &self,
        path: &Path,
    ) -> Result<Option<(Id, u64, Option<Staged>)>, StoreError> {
        let src = fsutil::open(path)?;
        let meta = src.metadata().ctx("read metadata of", path)?;
        // Into the open temporary file: `reflink` by path needs a new name.
        let tmp = self.temp_object()?;
        if reflink_copy::reflink_file(&src, tmp.as_file()).is_err() {
            return Ok(None);
        }
        self.stage_large(path, meta.len(), tmp.into_temp_path())
            .map(Some)
    }

    /// Hashes a large file's copy in the temporary folder and stages it.
    fn stage_large(
        &self,
        path: &Path,
        expected: u64,
        tmp: tempfile::TempPath,
    ) -> Result<(Id, u64, Option<Staged>), StoreError> {
        let (id, size) = hash_file(&tmp)?;
        if size != expected {
            return Err(StoreError::Changed {
                path: path.to_path_buf(),
            });
        }
        let staged = (!self.contains(&id)).then(|| Staged::new(id, tmp));
        Ok((id, size, staged))
    }

    /// Stages a workspace file by hard-linking it (no copy): afterwards the
    /// workspace file and the object are one read-only inode. The bytes are
    /// hashed through an open file or the link, so the object is the inode
    /// that was hashed, whatever happens to the workspace path meanwhile.
    pub fn ingest_hardlink(&self, path: &Path) -> Result<(Id, u64, Option<Staged>), StoreError> {
        let file = fsutil::open(path)?;
        let len = file.metadata().ctx("read metadata of", path)?.len();
        if len <= SMALL_FILE {
            let (id, size) = hash_open(&file, path, len)?;
            // Not looked up first: publishing leaves an object the store
            // has as it is.
            // Linked beside the object it becomes, so publishing renames it
            // within one folder: a rename from the temporary folder takes
            // the file system's rename lock, which every file then waits on.
            let object = self.object_path(&id);
            let dir = object.parent().expect("object paths have a parent");
            let link = || {
                tempfile::Builder::new()
                    .prefix(".tmp")
                    .make_in(dir, |at| fsutil::link_anonymous(&file, at))
            };
            let linked = match link() {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fsutil::create_dir_all(dir)?;
                    link()
                }
                other => other,
            };
            // Without /proc to link through, by path as for large files.
            if let Ok(linked) = linked {
                let staged = Staged::new(id, linked.into_temp_path());
                return Ok((id, size, Some(staged)));
            }
        }
        // The link is made at a fresh random name: creating an empty file
        // to reserve a name and removing it again would free an inode per
        // file, and ext4 without a journal scans past recently freed inodes
        // on every later allocation.
        let tmp = tempfile::Builder::new()
            .prefix(".tmp")
            .make_in(&self.tmp, |at| fs::hard_link(path, at))
            .ctx("hard-link", path)?
            .into_temp_path();
        let (id, size) = hash_file(&tmp)?;
        // Dropping the unneeded link removes it.
        let staged = (!self.contains(&id)).then(|| Staged::new(id, tmp));
        Ok((id, size, staged))
    }

    /// Streams `reader` into a staged object, hashing as it writes, and
    /// refuses it unless it hashes to `expected` (downloads from a remote).
    pub fn stage_verified(
        &self,
        reader: &mut dyn Read,
        expected: Id,
    ) -> Result<Option<Staged>, StoreError> {
        let mut f = self.temp_object()?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 16];
        let (mut written, mut flushed) = (0u64, 0u64);
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(IoError::new("read object", self.object_path(&expected), e).into());
                }
            };
            hasher.update(&buf[..n]);
            f.write_all(&buf[..n]).ctx("write", f.path())?;
            written += n as u64;
            if written - flushed >= WRITEBACK_STEP {
                start_writeback(f.as_file(), flushed, written - flushed);
                flushed = written;
            }
        }
        if Id::from(hasher.finalize()) != expected {
            return Ok(None);
        }
        Ok(Some(Staged::new(expected, f.into_temp_path())))
    }

    /// Stages a fully written temporary file if it hashes to `expected`
    /// (on all cores for large files); `None` if it does not.
    pub fn stage_written(
        &self,
        tmp: tempfile::NamedTempFile,
        expected: Id,
    ) -> Result<Option<Staged>, IoError> {
        let (id, _) = hash_file(tmp.path())?;
        Ok((id == expected).then(|| Staged::new(expected, tmp.into_temp_path())))
    }

    /// Makes staged objects durable with one file-system sync, then renames
    /// each under its id and makes it read-only, on every core. Returns the
    /// ids of those the store did not have.
    pub fn publish(&self, staged: Vec<Staged>) -> Result<Vec<Id>, IoError> {
        if staged.is_empty() {
            return Ok(Vec::new());
        }
        fsutil::sync_filesystem(&self.tmp)?;
        let parents: HashSet<PathBuf> = staged
            .iter()
            .filter_map(|s| self.object_path(&s.id).parent().map(Path::to_path_buf))
            .collect();
        for parent in &parents {
            fsutil::create_dir_all(parent)?;
        }
        let published: Vec<Option<Id>> = staged
            .into_par_iter()
            .map(|s| {
                let dest = self.object_path(&s.id);
                // An object the store has stays as it is: the staged copy
                // is dropped (a hard-linked one keeps its mode: it is no
                // object).
                if !fsutil::rename_new(&s.tmp, &dest)
                    .map_err(|e| IoError::new("publish object", &dest, e))?
                {
                    return Ok(None);
                }
                s.tmp
                    .keep()
                    .map_err(|e| IoError::new("publish object", &dest, e.error))?;
                set_object_mode(&dest, s.exec)?;
                Ok(Some(s.id))
            })
            .collect::<Result<_, IoError>>()?;
        Ok(published.into_iter().flatten().collect())
    }

    /// Stages `tree` (whose id is `id`) unless the store has it.
    pub fn stage_tree(&self, id: Id, tree: &Tree) -> Result<Option<Staged>, IoError> {
        if self.contains(&id) {
            return Ok(None);
        }
        self.stage_with_id(&tree.encode(), id).map(Some)
    }

    pub fn read_tree(&self, id: &Id) -> Result<Tree, StoreError> {
        let path = self.object_path(id);
        let bytes = match fsutil::read(&path) {
            Ok(b) => b,
            Err(e) if e.is_not_found() => return Err(StoreError::Missing { id: *id }),
            Err(e) => return Err(e.into()),
        };
        Ok(Tree::decode(*id, &bytes)?)
    }

    pub fn open(&self, id: &Id) -> Result<File, StoreError> {
        let path = self.object_path(id);
        match fsutil::open(&path) {
            Ok(f) => Ok(f),
            Err(e) if e.is_not_found() => Err(StoreError::Missing { id: *id }),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether the object's bytes hash to its id, as a file or as a tree.
    pub fn verify(&self, id: &Id) -> Result<bool, StoreError> {
        let path = self.object_path(id);
        if !path.is_file() {
            return Err(StoreError::Missing { id: *id });
        }
        let (file_id, _) = hash_file(&path)?;
        if file_id == *id {
            return Ok(true);
        }
        let bytes = fsutil::read(&path)?;
        Ok(Id::of_tree_bytes(&bytes) == *id)
    }

    /// Every object id in the store, with its size.
    pub fn list(&self) -> Result<Vec<(Id, u64)>, IoError> {
        let root = self.objects_dir();
        let mut out = Vec::new();
        // A store that was removed (or never written to) is an empty store.
        if !root.exists() {
            return Ok(out);
        }
        for entry in walkdir::WalkDir::new(&root).min_depth(2).max_depth(2) {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&root).to_path_buf();
                IoError::new("list", path, e.into())
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let prefix = entry
                .path()
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or("");
            let name = entry.file_name().to_str().unwrap_or("");
            if let Ok(id) = format!("{prefix}{name}").parse::<Id>() {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                out.push((id, size));
            }
        }
        Ok(out)
    }

    /// Links a hard-link ingest left beside their objects-to-be when it was
    /// stopped before publishing (named `.tmp…`; never objects).
    pub fn leftovers(&self) -> Vec<PathBuf> {
        walkdir::WalkDir::new(self.objects_dir())
            .min_depth(2)
            .max_depth(2)
            .into_iter()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .map(|e| e.into_path())
            .collect()
    }

    pub fn remove(&self, id: &Id) -> Result<(), IoError> {
        fsutil::remove_file_if_exists(&self.object_path(id))
    }

    /// Moves an object out of the store into `quarantine/`, keeping its bytes
    /// for inspection. Returns where it went.
    pub fn quarantine(&self, id: &Id) -> Result<PathBuf, IoError> {
        let dir = self.quarantine_dir();
        fsutil::create_dir_all(&dir)?;
        let dest = dir.join(id.hex());
        fsutil::rename(&self.object_path(id), &dest)?;
        Ok(dest)
    }
}

/// Objects are read-only; the executable bit is kept.
fn set_object_mode(path: &Path, exec: bool) -> Result<(), IoError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if exec { 0o555 } else { 0o444 };
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).ctx("make read-only", path)
}

/// How much of a large download is written before its writeback is started.
const WRITEBACK_STEP: u64 = 64 << 20;

/// Starts writing a range of `file` to disk without waiting, so the sync
/// that makes a batch durable finds most of a large object already written
/// while the rest was still arriving. Only a hint: failures are ignored.
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: a valid open descriptor; the call touches no memory of ours.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            offset as libc::off64_t,
            len as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

/// Reads an open file of about `len` bytes into the front of `buf`, growing
/// it as needed, and returns how many bytes it holds. Through `read`, since
/// a plain `read_to_end` asks the file's size again (a `statx` per file).
fn read_into(mut f: &File, path: &Path, len: u64, buf: &mut Vec<u8>) -> Result<usize, IoError> {
    // Read in requests of the whole expected size: `read_to_end` starts
    // small and doubles, four reads for a 50 KiB file where two do (the
    // second finding the end, or what the file grew by meanwhile).
    if buf.len() <= len as usize {
        buf.resize(len as usize + 1, 0);
    }
    let mut n = 0;
    loop {
        if n == buf.len() {
            buf.resize(n * 2, 0);
        }
        match f.read(&mut buf[n..]) {
            Ok(0) => return Ok(n),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(IoError::new("read", path, e)),
        }
    }
}

/// Runs `f` on the bytes of an open small file, read into a buffer each
/// thread keeps: a fresh buffer per file costs more than the read (the
/// kernel zeroes every new page of it).
fn with_read<T, E: From<IoError>>(
    file: &File,
    path: &Path,
    len: u64,
    f: impl FnOnce(&[u8]) -> Result<T, E>,
) -> Result<T, E> {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|buf| {
        let n = read_into(file, path, len, buf)?;
        f(&buf[..n])
    })
}

/// BLAKE3 of an open small file and its length.
fn hash_open(file: &File, path: &Path, len: u64) -> Result<(Id, u64), IoError> {
    with_read(file, path, len, |bytes| {
        Ok((Id::of_bytes(bytes), bytes.len() as u64))
    })
}

/// BLAKE3 of a file's bytes and its length; large files on all cores.
pub fn hash_file(path: &Path) -> Result<(Id, u64), IoError> {
    let f = fsutil::open(path)?;
    let len = f.metadata().ctx("read metadata of", path)?.len();
    if len <= SMALL_FILE {
        return hash_open(&f, path, len);
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update_mmap_rayon(path).ctx("hash", path)?;
    Ok((hasher.finalize().into(), hasher.count()))
}
