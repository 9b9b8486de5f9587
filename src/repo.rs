//! The repository: finding its root, its configuration, and the writer's lock.

use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::{CONFIG_FORMAT, Config};
use crate::fsutil::{self, Context, IoError};
use crate::store::Store;

/// The folder kiln keeps beside `.git`.
pub const KILN_DIR: &str = ".kiln";

const GITIGNORE: &str = "\
# Written by `kiln init`: local, derived or secret files stay out of git.
/cache/
/state/
/tmp/
/lock
/config.local.toml
";

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("not in a kiln repository (no `.kiln/` in {} or any folder above it)", start.display())]
    NotFound { start: PathBuf },
    #[error("{} is not inside a git repository; run `git init` first, or `kiln init --no-scm`", path.display())]
    NoGit { path: PathBuf },
    #[error("{} is already a kiln repository (use --force to initialise again)", path.display())]
    AlreadyInitialised { path: PathBuf },
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("another kiln process is writing to this repository; gave up after waiting {waited:?} (lock {})", path.display())]
    Locked { path: PathBuf, waited: Duration },
}

impl RepoError {
    /// Advice for the user, if there is any.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            RepoError::NotFound { .. } => {
                Some("run `kiln init` at the root of your git repository")
            }
            RepoError::Locked { .. } => Some("wait longer with --wait SECONDS"),
            _ => None,
        }
    }
}

/// An opened repository.
#[derive(Clone, Debug)]
pub struct Repo {
    root: PathBuf,
    pub config: Config,
}

impl Repo {
    /// Finds the repository that holds `start` (a folder).
    pub fn discover(start: &Path) -> Result<Repo, RepoError> {
        let start = fs::canonicalize(start).ctx("resolve", start)?;
        let root = start
            .ancestors()
            .find(|d| d.join(KILN_DIR).join("config.toml").is_file())
            .ok_or_else(|| RepoError::NotFound {
                start: start.clone(),
            })?
            .to_path_buf();
        let config = Config::load(&root.join(KILN_DIR))?;
        Ok(Repo { root, config })
    }

    /// Creates `.kiln/` in `dir`: the git work tree's root, or `dir` itself
    /// with `no_scm`.
    pub fn init(dir: &Path, no_scm: bool, force: bool) -> Result<Repo, RepoError> {
        let dir = fs::canonicalize(dir).ctx("resolve", dir)?;
        let root = if no_scm {
            dir.clone()
        } else {
            crate::git::work_tree_root(&dir)
                .ok_or_else(|| RepoError::NoGit { path: dir.clone() })?
        };
        let kiln_dir = root.join(KILN_DIR);
        let config_path = kiln_dir.join("config.toml");
        if config_path.exists() && !force {
            return Err(RepoError::AlreadyInitialised { path: root });
        }
        fsutil::create_dir_all(&kiln_dir)?;
        let tmp = kiln_dir.join("tmp");
        fsutil::create_dir_all(&tmp)?;
        fsutil::write_atomic(&kiln_dir.join(".gitignore"), GITIGNORE.as_bytes(), &tmp)?;
        if !config_path.exists() {
            let mut config = Config::default();
            config.kiln.format = CONFIG_FORMAT;
            config.kiln.scm = !no_scm;
            let text = format!(
                "# kiln repository configuration: committed and shared.\n# Per-machine settings and secrets go in .kiln/config.local.toml.\n{}",
                toml::to_string(&config).expect("the config serialises")
            );
            fsutil::write_atomic(&config_path, text.as_bytes(), &tmp)?;
        }
        let repo = Repo::discover(&root)?;
        repo.store().create()?;
        Ok(repo)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn kiln_dir(&self) -> PathBuf {
        self.root.join(KILN_DIR)
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.kiln_dir().join("tmp")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.kiln_dir().join("state")
    }

    pub fn config_path(&self) -> PathBuf {
        self.kiln_dir().join("config.toml")
    }

    pub fn local_config_path(&self) -> PathBuf {
        self.kiln_dir().join("config.local.toml")
    }

    pub fn store(&self) -> Store {
        Store::new(self.kiln_dir().join("cache"), self.tmp_dir())
    }

    pub fn scm(&self) -> bool {
        self.config.kiln.scm
    }

    /// Takes the writer's lock, waiting up to `wait`; `on_wait` is called
    /// once if another writer holds it.
    pub fn lock(&self, wait: Duration, on_wait: &dyn Fn()) -> Result<RepoLock, RepoError> {
        let path = self.kiln_dir().join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .ctx("open", &path)?;
        let started = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if started.elapsed() >= wait {
                        return Err(RepoError::Locked { path, waited: wait });
                    }
                    if !told {
                        on_wait();
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(TryLockError::Error(e)) => return Err(IoError::new("lock", path, e).into()),
            }
        }
        fsutil::create_dir_all(&self.tmp_dir())?;
        self.sweep_tmp();
        Ok(RepoLock { _file: file })
    }

    /// Removes what a writer killed mid-way left in `.kiln/tmp/`. Only the
    /// lock holder writes there for long; a reader's temporary file lives
    /// for moments, so anything older than a few minutes is debris.
    fn sweep_tmp(&self) {
        const DEBRIS_AGE: Duration = Duration::from_secs(600);
        let Ok(entries) = fs::read_dir(self.tmp_dir()) else {
            return;
        };
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > DEBRIS_AGE));
            if old && e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()) {
                // Best effort: debris that cannot be removed now goes next time.
                let _ = fsutil::remove_file(&e.path());
            }
        }
    }

    /// A repository-relative `/` path for an absolute path inside it.
    pub fn rel(&self, path: &Path) -> Option<String> {
        fsutil::rel_string(&self.root, path)
    }
}

/// Held while writing; released on drop.
pub struct RepoLock {
    _file: File,
}
