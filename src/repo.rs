//! The repository: finding its root, its configuration, and the writer's lock.

use std::collections::BTreeMap;
use std::fs::{self, File, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::fsutil::{self, Context, IoError};
use crate::store::Store;

/// The folder kiln keeps beside `.git`.
pub const KILN_DIR: &str = ".kiln";
/// The configuration format this kiln writes and the newest it reads.
pub const CONFIG_FORMAT: u32 = 1;

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
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
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

/// How a workspace copy of stored content is made, tried in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkMode {
    Reflink,
    Hardlink,
    Symlink,
    Copy,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KilnSection {
    #[serde(default = "default_format")]
    pub format: u32,
    /// The default remote's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// False for `kiln init --no-scm`.
    #[serde(default = "yes")]
    pub scm: bool,
}

fn default_format() -> u32 {
    CONFIG_FORMAT
}
fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    #[serde(default = "default_links")]
    pub link: Vec<LinkMode>,
}

impl Default for CacheSection {
    fn default() -> Self {
        CacheSection {
            link: default_links(),
        }
    }
}

fn default_links() -> Vec<LinkMode> {
    vec![LinkMode::Reflink, LinkMode::Copy]
}

/// A schema bound to the data files that match a glob.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckBinding {
    pub path: String,
    pub schema: String,
}

/// `[openlineage]`: where `kiln run` sends its events. The standard
/// `OPENLINEAGE_*` environment variables win (`lineage::send` applies them).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLineageSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Seconds to wait for the collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<std::num::NonZeroU64>,
}

/// `.kiln/config.toml`, with `.kiln/config.local.toml` laid over it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub kiln: KilnSection,
    #[serde(default)]
    pub cache: CacheSection,
    /// Remotes by name: `url` plus backend options.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub remote: BTreeMap<String, toml::Table>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check: Vec<CheckBinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openlineage: Option<OpenLineageSection>,
}

impl Config {
    /// Reads the committed config and lays the local one over it.
    pub fn load(kiln_dir: &Path) -> Result<Config, RepoError> {
        let main = kiln_dir.join("config.toml");
        let local = kiln_dir.join("config.local.toml");
        let (main_text, local_text) = (read_text(&main)?, read_text(&local)?);
        Config::parse(main_text.as_deref(), local_text.as_deref(), &main, &local)
    }

    /// The config from the committed file's text and the local one's (each
    /// absent or not); the paths name the files in errors.
    pub fn parse(
        main_text: Option<&str>,
        local_text: Option<&str>,
        main: &Path,
        local: &Path,
    ) -> Result<Config, RepoError> {
        let mut value = main_text
            .map(|t| parse_toml(t, main))
            .transpose()?
            .unwrap_or_default();
        let over = local_text.map(|t| parse_toml(t, local)).transpose()?;
        if let Some(over) = over {
            merge(&mut value, over);
        }
        let config: Config =
            toml::Value::Table(value)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    // Read alone, the file at fault (the local one first: its
                    // values win) gives the error its line and key.
                    [(local_text, local), (main_text, main)]
                        .into_iter()
                        .find_map(|(text, path)| {
                            let text = text?;
                            let e = toml::from_str::<Config>(text).err()?;
                            Some(RepoError::Config {
                                path: path.to_path_buf(),
                                message: one_line_toml(&e, text),
                            })
                        })
                        .unwrap_or_else(|| RepoError::Config {
                            path: main.to_path_buf(),
                            message: e.message().to_string(),
                        })
                })?;
        // Bindings are committed content: the schema they name is read, so
        // it passes the safe-path gate like every other path from a clone.
        for b in &config.check {
            crate::repo_path::RepoPath::new(&b.schema).map_err(|e| RepoError::Config {
                path: main.to_path_buf(),
                message: format!("[[check]] schema {e}"),
            })?;
        }
        if config.kiln.format > CONFIG_FORMAT {
            return Err(RepoError::Config {
                path: main.to_path_buf(),
                message: format!(
                    "config format {} is newer than this kiln reads ({CONFIG_FORMAT}); upgrade kiln",
                    config.kiln.format
                ),
            });
        }
        Ok(config)
    }
}

/// A config file's text; `None` when there is no such file.
fn read_text(path: &Path) -> Result<Option<String>, RepoError> {
    Ok(fsutil::read_to_string_if_exists(path)?)
}

fn parse_toml(text: &str, path: &Path) -> Result<toml::Table, RepoError> {
    text.parse::<toml::Table>().map_err(|e| RepoError::Config {
        path: path.to_path_buf(),
        message: one_line_toml(&e, text),
    })
}

/// A TOML error on one line: its line number and, where the error is a
/// value's, the key (`section.key`), then what was expected.
fn one_line_toml(e: &toml::de::Error, text: &str) -> String {
    let Some(span) = e.span() else {
        return e.message().to_string();
    };
    // Counted in bytes: a span never has to fall on a character.
    let before = &text.as_bytes()[..span.start.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let number = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line = text
        .get(line_start..)
        .and_then(|t| t.lines().next())
        .unwrap_or("");
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let section = text.get(..line_start).and_then(|t| {
        t.lines().rev().find_map(|l| {
            let l = l.trim();
            l.strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .map(|s| s.trim_matches(['[', ']']).trim())
        })
    });
    match (section, key) {
        (Some(s), Some(k)) => format!("line {number}, `{s}.{k}`: {}", e.message()),
        (None, Some(k)) => format!("line {number}, `{k}`: {}", e.message()),
        _ => format!("line {number}: {}", e.message()),
    }
}

/// Lays `over` onto `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
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
