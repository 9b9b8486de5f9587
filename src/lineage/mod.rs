//! Lineage: which inputs, code and commit made each data version. Run
//! records, the graph they form, staleness, re-running (repro) and the
//! OpenLineage export.

pub mod graph;
pub mod openlineage;
pub mod record;
pub mod render;
pub mod repro;
pub mod run;
pub mod send;
pub mod staleness;

use std::path::PathBuf;

use crate::fsutil::IoError;

#[derive(Debug, thiserror::Error)]
pub enum LineageError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error(transparent)]
    Pointer(#[from] crate::pointer::PointerError),
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
    #[error("{}: not a valid run record: {message}", path.display())]
    BadRecord { path: PathBuf, message: String },
    #[error("{}: run record format {found} is newer than this kiln reads ({}); upgrade kiln", path.display(), record::FORMAT)]
    RecordVersion { path: PathBuf, found: u32 },
    #[error("{path}: dependency not found")]
    DepMissing { path: String },
    #[error(
        "{path}: dependency changed while the command ran; outputs not recorded (run it again)"
    )]
    DepChanged { path: String },
    #[error("{path}: declared as both a dependency and an output")]
    DepIsOutput { path: String },
    #[error("{path}: the command succeeded but did not write this output; nothing recorded")]
    OutputMissing { path: String },
    #[error("the worktree has uncommitted changes to tracked files (--strict); commit them first")]
    Dirty,
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("no command given: put it after `--`")]
    NoCommand,
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("cannot write the OpenLineage spool: {source}")]
    Spool { source: IoError },
}

impl LineageError {
    /// Advice for the user, looking through the errors it wraps.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            LineageError::Dirty => Some("commit or stash the changes, or run without --strict"),
            LineageError::DepMissing { .. } => {
                Some("`kiln checkout` restores tracked data; code must exist in the workspace")
            }
            LineageError::Spawn { .. } => {
                Some("use --shell for pipes, redirections or shell built-ins")
            }
            LineageError::Repo(e) => e.hint(),
            _ => None,
        }
    }
}
