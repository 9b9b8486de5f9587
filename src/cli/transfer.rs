//! What push, fetch and pull share: their arguments and their set-up.

use std::path::PathBuf;

use kiln::Error;
use kiln::progress::Progress;
use kiln::remote::Remote;
use kiln::repo::Repo;
use kiln::workspace::Tracked;

use super::App;

/// What push, fetch and pull share.
#[derive(clap::Args)]
pub struct TransferArgs {
    /// Tracked paths (default: all)
    pub paths: Vec<PathBuf>,
    /// The remote (default: the default remote)
    #[arg(short, long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Parallel transfers (default: 64 for object stores, 8 for folders, or the remote's `jobs`)
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Print a summary as JSON
    #[arg(long)]
    pub json: bool,
}

/// A transfer ready to run: the repository, locked, the selected paths and
/// the opened remote.
pub struct Transfer {
    pub repo: Repo,
    _lock: kiln::repo::RepoLock,
    pub tracked: Vec<Tracked>,
    pub remote: Remote,
    pub progress: Box<dyn Progress>,
}

impl TransferArgs {
    pub fn open(&self, app: &App) -> Result<Transfer, Error> {
        let repo = app.repo()?;
        let lock = app.lock(&repo)?;
        let tracked = kiln::workspace::select(&repo, &app.cwd, &self.paths)?;
        let remote = Remote::open(&repo, self.remote.as_deref(), self.jobs.map(usize::from))?;
        Ok(Transfer {
            repo,
            _lock: lock,
            tracked,
            remote,
            progress: app.progress(self.json),
        })
    }
}
