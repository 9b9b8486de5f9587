//! Remotes: object stores (S3 and S3-compatible services, GCS, Azure, local
//! folders) holding the same `objects/ab/cdef…` layout as the local store.
//!
//! The transfer engine is async inside this module only; callers get
//! blocking functions. Every download is verified before it enters the
//! store, and a tree is uploaded only once everything it lists is on the
//! remote, so an interrupted transfer leaves nothing half-done on either side.

mod backend;
pub mod config;
pub mod edit;
mod fetch;
mod gc;
mod index;
mod plan;
mod push;
mod results;
mod status;

use std::path::PathBuf;
use std::sync::Arc;

pub use crate::config::remote::{RemoteConfig, Scheme, SettingsError};
pub use edit::Placement;
pub use fetch::FetchReport;
pub use gc::{GcOptions, RemoteGcReport};
pub use push::{PushOptions, PushReport};
pub use results::ResultsReport;
pub use status::{Count, PathRemoteStatus};

use crate::fsutil::IoError;
use crate::repo::{Repo, RepoError};
use crate::store::{Id, StoreError, TreeError};

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error("cannot start the transfer threads: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("the transfer was stopped before this part of it finished")]
    Interrupted,
    #[error(
        "no remote given and no default remote set; use -r NAME, or `kiln remote add NAME URL --default`"
    )]
    NoDefault,
    #[error("no remote named `{name}` ({known})")]
    Unknown { name: String, known: String },
    #[error("a remote named `{name}` already exists; change it with `kiln remote modify`")]
    Exists { name: String },
    #[error(transparent)]
    Settings(#[from] crate::config::remote::SettingsError),
    #[error("remote `{name}` ({url}): cannot set up the client: {message}")]
    Build {
        name: String,
        url: String,
        message: String,
    },
    #[error("remote `{name}`: folder {} does not exist", path.display())]
    NoFolder { name: String, path: PathBuf },
    #[error("remote `{name}` ({url}): the bucket or container does not exist")]
    NoBucket { name: String, url: String },
    #[error("remote `{name}` ({url}): cannot {what}: {message}")]
    Backend {
        name: String,
        url: String,
        what: String,
        message: String,
    },
    #[error(
        "remote `{name}` ({url}): object {id} ({path}) does not match its id, refused{}",
        more_text(others)
    )]
    Corrupt {
        name: String,
        url: String,
        id: Id,
        path: String,
        /// The other paths with a problem, all of them.
        others: Vec<String>,
    },
    #[error(
        "remote `{name}` ({url}): object {id} ({path}) is not there{}",
        more_text(others)
    )]
    Missing {
        name: String,
        url: String,
        id: Id,
        path: String,
        /// The other paths whose objects are not there, all of them.
        others: Vec<String>,
    },
    #[error("remote `{name}` ({url}): {source}")]
    BadTree {
        name: String,
        url: String,
        #[source]
        source: TreeError,
    },
    #[error("object {id} in the local store is corrupt (its bytes do not match); run `kiln fsck`")]
    LocalCorrupt { id: Id },
    #[error("{path}: not in the tracked folder {folder} (at the version its pointer names)")]
    NotInFolder { path: String, folder: String },
    #[error("{path}: object {id} is neither in the local store nor on remote `{name}`")]
    NowhereToBeFound { path: String, id: Id, name: String },
}

impl RemoteError {
    /// Advice for the user, if there is any.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            RemoteError::Backend { .. } => Some(
                "check that the server is reachable and the remote's settings (`kiln remote list`); running the command again continues where it stopped",
            ),
            RemoteError::Corrupt { .. } => Some(
                "the copy on the remote is damaged and was not stored here; delete it on the remote and push it again from a clone that has the data",
            ),
            RemoteError::Missing { .. } => Some(
                "push it from a clone that has the data, or check that this is the right remote",
            ),
            RemoteError::NoBucket { .. } => Some("create it first: kiln does not create buckets"),
            RemoteError::NoFolder { .. } => {
                Some("push to it first, or fix its path with `kiln remote modify NAME url PATH`")
            }
            _ => None,
        }
    }
}

/// The other paths, named on the one line (up to a screenful; `--json`
/// lists every one).
fn more_text(others: &[String]) -> String {
    const SHOWN: usize = 20;
    match others.len() {
        0 => String::new(),
        n if n <= SHOWN => format!("; also: {}", others.join(", ")),
        n => format!(
            "; also: {}, and {} more (`--json` lists them all)",
            others[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}

/// Default parallel transfers. Small objects are bound by each request's
/// latency, so object stores get many at once (measured against Garage:
/// 64 fetches 20,000 objects of 50 KiB 1.7 times faster than 32 and uploads
/// as fast); a local folder is bound by the disk.
const JOBS_OBJECT_STORE: usize = 64;
/// Where a gc on the remote marks that it ran: `gc/generation`.
const GC_AREA: &str = "gc";
const GC_GENERATION: &str = "generation";
const JOBS_LOCAL: usize = 8;

/// An opened remote: its configuration and the runtime its transfers run on.
pub struct Remote {
    config: RemoteConfig,
    /// The local folder of a folder remote, resolved against the repository.
    folder: Option<PathBuf>,
    jobs: usize,
    rt: tokio::runtime::Runtime,
    state_dir: PathBuf,
    tmp_dir: PathBuf,
}

impl Remote {
    /// Opens the remote called `name` (or the default one). `jobs` overrides
    /// the configured parallelism.
    pub fn open(
        repo: &Repo,
        name: Option<&str>,
        jobs: Option<usize>,
    ) -> Result<Remote, RemoteError> {
        let config = config::resolve(repo, name)?;
        let folder = config.local_path(repo.root());
        Remote::with_config(config, folder, repo, jobs)
    }

    /// Opens a remote from settings read elsewhere (another repository's),
    /// with `folder` for a folder remote; `repo` keeps what is learnt of it.
    pub fn with_config(
        config: RemoteConfig,
        folder: Option<PathBuf>,
        repo: &Repo,
        jobs: Option<usize>,
    ) -> Result<Remote, RemoteError> {
        let default_jobs = if folder.is_some() {
            JOBS_LOCAL
        } else {
            JOBS_OBJECT_STORE
        };
        let jobs = jobs.or(config.kiln.jobs).unwrap_or(default_jobs).max(1);
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 8);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("kiln-remote")
            .enable_all()
            .build()
            .map_err(RemoteError::Runtime)?;
        Ok(Remote {
            config,
            folder,
            jobs,
            rt,
            state_dir: repo.state_dir(),
            tmp_dir: repo.tmp_dir(),
        })
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The URL with credentials removed.
    pub fn display_url(&self) -> String {
        self.config.display_url()
    }

    /// What identifies the remote's contents for the local index: the same
    /// bucket name means another bucket behind another endpoint.
    fn index_key(&self) -> String {
        match &self.folder {
            Some(f) => format!("folder\n{}", f.display()),
            None => format!(
                "{}\n{}",
                self.display_url(),
                self.config.kiln.endpoint.as_deref().unwrap_or("")
            ),
        }
    }

    /// What this clone knows is on the remote, under whichever gc
    /// generation it learnt it: for adding to, not for trusting.
    fn index(&self) -> index::RemoteIndex {
        index::RemoteIndex::load(&self.state_dir, &self.index_key(), None)
    }

    /// What this clone knows is on the remote, forgotten if a gc ran there
    /// since it learnt it: what a push or a status may trust.
    async fn index_checked(&self, conn: &backend::Conn) -> Result<index::RemoteIndex, RemoteError> {
        let marker = conn.get_derived(GC_AREA, GC_GENERATION, 4096).await?;
        let generation = index::generation(&marker.unwrap_or_default());
        Ok(index::RemoteIndex::load(
            &self.state_dir,
            &self.index_key(),
            Some(&generation),
        ))
    }

    /// A connection to the backend. A folder remote is created when
    /// `create` (push) and must exist otherwise.
    fn connect(&self, create: bool) -> Result<Arc<backend::Conn>, RemoteError> {
        let _guard = self.rt.enter();
        backend::Conn::new(&self.config, self.folder.as_deref(), create).map(Arc::new)
    }
}

/// Runs blocking work (file I/O, hashing) off the async threads.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, RemoteError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    joined(tokio::task::spawn_blocking(f).await)
}

/// A spawned task's result. A task cancelled because the command is ending
/// (another task failed first, and its error is the one reported) becomes an
/// error instead of a panic; a task's own panic is a bug and goes on.
pub(crate) fn joined<T>(result: Result<T, tokio::task::JoinError>) -> Result<T, RemoteError> {
    result.map_err(|e| {
        if e.is_panic() {
            std::panic::resume_unwind(e.into_panic());
        }
        RemoteError::Interrupted
    })
}
