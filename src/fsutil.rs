//! File-system calls whose errors name the path and the operation. The
//! rest of kiln calls these rather than `std::fs` (clippy.toml says so).
#![allow(clippy::disallowed_methods)]

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An I/O failure on one path.
#[derive(Debug, thiserror::Error)]
#[error("cannot {op} {}: {}", path.display(), describe(source))]
pub struct IoError {
    pub op: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl IoError {
    pub fn new(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        IoError {
            op,
            path: path.into(),
            source,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.source.kind() == io::ErrorKind::NotFound
    }
}

/// `io::Error`'s text, with the causes users hit most said plainly.
fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::StorageFull => "no space left on the device".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::NotFound => "no such file or folder".to_string(),
        _ => e.to_string(),
    }
}

/// Wraps an `io::Result` with the operation and path.
pub trait Context<T> {
    fn ctx(self, op: &'static str, path: &Path) -> Result<T, IoError>;
}

impl<T> Context<T> for io::Result<T> {
    fn ctx(self, op: &'static str, path: &Path) -> Result<T, IoError> {
        self.map_err(|e| IoError::new(op, path, e))
    }
}

pub fn read(path: &Path) -> Result<Vec<u8>, IoError> {
    fs::read(path).ctx("read", path)
}

pub fn read_to_string(path: &Path) -> Result<String, IoError> {
    fs::read_to_string(path).ctx("read", path)
}

pub fn create_dir_all(path: &Path) -> Result<(), IoError> {
    fs::create_dir_all(path).ctx("create folder", path)
}

pub fn metadata(path: &Path) -> Result<fs::Metadata, IoError> {
    fs::metadata(path).ctx("read metadata of", path)
}

pub fn symlink_metadata(path: &Path) -> Result<fs::Metadata, IoError> {
    fs::symlink_metadata(path).ctx("read metadata of", path)
}

pub fn rename(from: &Path, to: &Path) -> Result<(), IoError> {
    fs::rename(from, to).ctx("move a file into", to)
}

pub fn remove_file(path: &Path) -> Result<(), IoError> {
    fs::remove_file(path).ctx("remove", path)
}

pub fn open(path: &Path) -> Result<File, IoError> {
    File::open(path).ctx("open", path)
}

/// A file's text; `None` when there is no such file.
pub fn read_to_string_if_exists(path: &Path) -> Result<Option<String>, IoError> {
    match read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes a file, treating "already gone" as success.
pub fn remove_file_if_exists(path: &Path) -> Result<(), IoError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(IoError::new("remove", path, e)),
        _ => Ok(()),
    }
}

/// A new temporary file in `tmp_dir`, removed on drop unless persisted.
pub fn temp_file(tmp_dir: &Path) -> Result<tempfile::NamedTempFile, IoError> {
    tempfile::Builder::new()
        .prefix(".kiln-")
        .tempfile_in(tmp_dir)
        .ctx("create a temporary file in", tmp_dir)
}

/// Writes `bytes` to `path` so that readers see the old file or the new one,
/// never a mix: a temporary file in `tmp_dir`, synced, then renamed. The
/// file keeps the mode it had; a new one gets the ordinary mode under the
/// user's umask (these are files people commit and share, not secrets).
pub fn write_atomic(path: &Path, bytes: &[u8], tmp_dir: &Path) -> Result<(), IoError> {
    write_atomic_mode(path, bytes, tmp_dir, 0o666)
}

/// [`write_atomic`], with the mode a new file gets (before the umask):
/// 0o600 for files that hold secrets.
pub fn write_atomic_mode(
    path: &Path,
    bytes: &[u8],
    tmp_dir: &Path,
    new_mode: u32,
) -> Result<(), IoError> {
    use std::os::unix::fs::PermissionsExt;
    let existing = fs::metadata(path).ok().map(|m| m.permissions());
    let mut tmp = tempfile::Builder::new()
        .prefix(".kiln-")
        .permissions(fs::Permissions::from_mode(new_mode))
        .tempfile_in(tmp_dir)
        .ctx("create a temporary file in", tmp_dir)?;
    if let Some(mode) = existing {
        tmp.as_file()
            .set_permissions(mode)
            .ctx("set permissions of", tmp.path())?;
    }
    tmp.write_all(bytes).ctx("write", tmp.path())?;
    tmp.as_file().sync_all().ctx("sync", tmp.path())?;
    tmp.persist(path)
        .map_err(|e| IoError::new("replace", path, e.error))?;
    Ok(())
}

/// Raises this process's limit on open files to its hard limit, as far as
/// the system allows: merging many sorted runs opens them all at once.
pub fn raise_open_files() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only `lim`.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The limit on open files in force for this process.
pub fn open_files_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only `lim`.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
        lim.rlim_cur
    } else {
        1024
    }
}

/// Syncs every pending write on the file system holding `path`: one call
/// makes a whole batch of new objects durable before they are published.
pub fn sync_filesystem(path: &Path) -> Result<(), IoError> {
    let f = File::open(path).ctx("open", path)?;
    use std::os::fd::AsRawFd;
    // SAFETY: syncfs takes a valid open descriptor and touches no memory.
    let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
    if rc != 0 {
        return Err(IoError::new(
            "sync the file system of",
            path,
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// A file with no name yet in folder `dir` (Linux `O_TMPFILE`): it becomes
/// visible only when [`link_anonymous`] names it, complete, so a crash
/// leaves nothing half-written behind. `None` where the file system or
/// kernel does not offer it.
pub fn anonymous_file(dir: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o600)
        .open(dir)
        .ok()
}

/// Gives a file from [`anonymous_file`] the name `path`; fails with
/// `AlreadyExists` if something is there.
pub fn link_anonymous(file: &File, path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let from = format!("/proc/self/fd/{}", file.as_raw_fd());
    // SAFETY: both pointers are valid NUL-terminated strings for the call.
    two_paths(from.as_ref(), path, |from, to| unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from,
            libc::AT_FDCWD,
            to,
            libc::AT_SYMLINK_FOLLOW,
        )
        .into()
    })
}

/// Swaps the files at `a` and `b` in one step (Linux `RENAME_EXCHANGE`):
/// each path names something at every moment. Replacing by plain rename
/// makes ext4 allocate and start writing the new file's blocks first, which
/// costs a large file about a second.
pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    // SAFETY: both pointers are valid NUL-terminated strings for the call.
    two_paths(a, b, |a, b| unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a,
            libc::AT_FDCWD,
            b,
            libc::RENAME_EXCHANGE,
        )
    })
}

/// Renames `a` to `b` unless `b` exists (Linux `RENAME_NOREPLACE`): false
/// where it does, and `a` is left. One call instead of a look and a rename.
pub fn rename_new(a: &Path, b: &Path) -> io::Result<bool> {
    // SAFETY: both pointers are valid NUL-terminated strings for the call.
    let renamed = two_paths(a, b, |a, b| unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a,
            libc::AT_FDCWD,
            b,
            libc::RENAME_NOREPLACE,
        )
    });
    match renamed {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        // File systems without the flag: look, then rename.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            if b.symlink_metadata().is_ok() {
                return Ok(false);
            }
            std::fs::rename(a, b).map(|()| true)
        }
        Err(e) => Err(e),
    }
}

/// Runs a system call on two paths as C strings; 0 is success.
fn two_paths(
    a: &Path,
    b: &Path,
    call: impl FnOnce(*const libc::c_char, *const libc::c_char) -> libc::c_long,
) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    if call(a.as_ptr(), b.as_ptr()) == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Removes `.` and `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `path` as a `/`-separated string relative to `root`, if it is under it.
pub fn rel_string(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut out = String::new();
    for c in rel.components() {
        let part = c.as_os_str().to_str()?;
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(part);
    }
    Some(out)
}
