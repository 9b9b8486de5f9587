//! `kiln rm`: taking a file or subfolder out of a tracked folder (from the
//! folder's version and the workspace, whether or not it was fetched here),
//! or a whole tracked path out of kiln's care.

use std::path::PathBuf;

use super::WorkspaceError;
use crate::fsutil::{self, IoError};
use crate::pointer::{self, PointerError};
use crate::repo::Repo;
use crate::repo_path::RepoPath;

/// Deletes `rel` (a file or folder inside a tracked folder) from the
/// workspace, if it is there. Never follows a symlink out of the repository.
pub fn delete_part(repo: &Repo, rel: &RepoPath) -> Result<(), WorkspaceError> {
    let abs = rel
        .checked_abs(repo.root())
        .map_err(|source| PointerError::UnsafePath {
            path: PathBuf::from(rel.as_str()),
            source,
        })?;
    match std::fs::symlink_metadata(&abs) {
        Err(_) => Ok(()),
        Ok(m) if m.is_dir() => {
            std::fs::remove_dir_all(&abs).map_err(|e| IoError::new("remove", &abs, e).into())
        }
        Ok(_) => Ok(fsutil::remove_file(&abs)?),
    }
}

/// Stops tracking `rel`: its pointer and its `.gitignore` line go, its data
/// stays in the workspace. False if it was not tracked.
pub fn untrack(repo: &Repo, rel: &RepoPath) -> Result<bool, WorkspaceError> {
    let pointer = repo.root().join(pointer::pointer_path(rel.as_ref()));
    if !pointer.is_file() {
        return Ok(false);
    }
    fsutil::remove_file(&pointer)?;
    if repo.scm() {
        super::add::unignore_in_git(repo, rel.as_str())?;
    }
    Ok(true)
}
