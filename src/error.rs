//! The library's error: one variant per module, each naming the path, id or
//! remote involved. The binary maps them to exit codes.

use crate::fsutil::IoError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Pointer(#[from] crate::pointer::PointerError),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
    #[error(transparent)]
    Hooks(#[from] crate::hooks::HooksError),
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
    #[error(transparent)]
    Validate(#[from] crate::validate::ValidateError),
    #[error(transparent)]
    Binding(#[from] crate::binding::BindingError),
    #[error(transparent)]
    Lineage(#[from] crate::lineage::LineageError),
    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
    #[error(transparent)]
    Profile(#[from] crate::profiles::ProfileError),
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
}

impl Error {
    /// Advice for the user, from the error that knows it, however the
    /// command that met it wrapped it.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Repo(e) => e.hint(),
            Error::Schema(e) => e.hint(),
            Error::Validate(e) => e.hint(),
            Error::Binding(e) => e.hint(),
            Error::Lineage(crate::lineage::LineageError::Workspace(e)) | Error::Workspace(e) => {
                refusal_hint(e)
            }
            Error::Lineage(e) => e.hint(),
            Error::Remote(e) | Error::Source(crate::source::SourceError::Remote(e)) => e.hint(),
            _ => None,
        }
    }
}

/// The hint of the check that refused content at `add`, when it could not
/// judge it (a broken schema, say).
fn refusal_hint(e: &crate::workspace::WorkspaceError) -> Option<&str> {
    match e {
        crate::workspace::WorkspaceError::Refused(r) => r
            .downcast_ref::<crate::binding::BindingError>()
            .and_then(|b| b.hint()),
        _ => None,
    }
}
