//! Walking a tracked folder: every file with its stat, honouring
//! `.kilnignore` files (gitignore syntax) and never entering `.git` or `.kiln`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::WorkspaceError;
use crate::fsutil::{self, IoError};
use crate::store::Id;
use crate::store::statcache::Stat;

pub const IGNORE_FILE: &str = ".kilnignore";

#[derive(Clone, Debug)]
pub struct ScanFile {
    /// Path below the scanned folder, `/`-separated.
    pub rel: String,
    pub abs: PathBuf,
    pub stat: Stat,
    pub exec: bool,
    /// Set when the file is a symlink into the store (symlink link mode).
    pub store_link: Option<Id>,
}

#[derive(Debug, Default)]
pub struct Scan {
    pub files: Vec<ScanFile>,
    /// Every folder below the scanned one, empty ones included.
    pub dirs: Vec<String>,
}

/// Resolves a symlink met in the workspace: a link into the store names an
/// object; a link to a file inside the repository is followed; anything else
/// is refused rather than followed.
fn classify_symlink(
    abs: &Path,
    repo_root: &Path,
    objects: &Path,
) -> Result<(Option<Id>, std::fs::Metadata), WorkspaceError> {
    let outside = || WorkspaceError::SymlinkOutside {
        path: abs.to_path_buf(),
    };
    let target = std::fs::canonicalize(abs).map_err(|_| outside())?;
    let meta = fsutil::metadata(&target)?;
    if let Ok(rest) = target.strip_prefix(objects) {
        let hex: String = rest
            .components()
            .filter_map(|c| c.as_os_str().to_str())
            .collect();
        if let Ok(id) = hex.parse::<Id>() {
            return Ok((Some(id), meta));
        }
    }
    if !target.starts_with(repo_root) {
        return Err(outside());
    }
    if !meta.is_file() {
        return Err(WorkspaceError::SymlinkedFolder {
            path: abs.to_path_buf(),
        });
    }
    Ok((None, meta))
}

/// Stats one path the way a folder scan would.
pub fn stat_file(
    abs: &Path,
    repo_root: &Path,
    objects: &Path,
) -> Result<(Stat, bool, Option<Id>), WorkspaceError> {
    let lmeta = fsutil::symlink_metadata(abs)?;
    let (link, meta) = if lmeta.file_type().is_symlink() {
        classify_symlink(abs, repo_root, objects)?
    } else {
        (None, lmeta)
    };
    let exec = meta.permissions().mode() & 0o111 != 0;
    Ok((Stat::of(&meta), exec, link))
}

/// Scans `dir` (absolute); `repo_root` and `objects` (the store's objects
/// folder, canonical) decide how symlinks are treated.
pub fn scan(dir: &Path, repo_root: &Path, objects: &Path) -> Result<Scan, WorkspaceError> {
    let mut out = Scan::default();
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .add_custom_ignore_filename(IGNORE_FILE)
        .follow_links(false)
        .filter_entry(|e| {
            let name = e.file_name();
            !(e.depth() > 0 && (name == ".git" || name == ".kiln"))
        })
        .build();
    // The walk reads folders only; the stats, one per file, run in parallel.
    let mut found = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| walk_error(dir, e))?;
        if entry.depth() == 0 {
            continue;
        }
        let abs = entry.path().to_path_buf();
        let rel = fsutil::rel_string(dir, &abs)
            .ok_or_else(|| WorkspaceError::BadName { path: abs.clone() })?;
        let ft = entry
            .file_type()
            .ok_or_else(|| WorkspaceError::BadName { path: abs.clone() })?;
        if ft.is_dir() {
            out.dirs.push(rel);
            continue;
        }
        if !(ft.is_file() || ft.is_symlink()) {
            return Err(WorkspaceError::Special { path: abs });
        }
        found.push((rel, abs));
    }
    out.files = found
        .into_par_iter()
        .map(|(rel, abs)| {
            let (stat, exec, store_link) = stat_file(&abs, repo_root, objects)?;
            Ok(ScanFile {
                rel,
                abs,
                stat,
                exec,
                store_link,
            })
        })
        .collect::<Result<_, WorkspaceError>>()?;
    out.files.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.dirs.sort();
    Ok(out)
}

fn walk_error(dir: &Path, e: ignore::Error) -> WorkspaceError {
    let path = match &e {
        ignore::Error::WithPath { path, .. } => path.clone(),
        _ => dir.to_path_buf(),
    };
    match e.into_io_error() {
        Some(io) => IoError::new("read", path, io).into(),
        None => WorkspaceError::Ignore { path },
    }
}
