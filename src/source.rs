//! Datasets of other repositories: `ls`, `get`, `import` and `update`.
//! The source's pointers and config are read through git at a revision
//! (a local folder is opened in place; a URL is cloned, bare, into a
//! temporary folder), its data comes from its default remote, verified like
//! every download.
//!
//! A source repository is someone else's content: its pointers pass the
//! safe-path gate, its trees are checked, and its config may not send your
//! credentials anywhere you did not choose. A remote with its own
//! `endpoint` is used only when this repository has a remote of the same
//! URL and endpoint (whose settings and credentials are then used): else a
//! stranger's config could point your cloud credentials at their server.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::config::remote::{RemoteConfig, Scheme};
use crate::fsutil::IoError;
use crate::git::{Git, GitError};
use crate::pointer::{Import, Kind, Pointer, PointerError};
use crate::progress::Progress;
use crate::remote::{Remote, RemoteError};
use crate::repo::Repo;
use crate::repo_path::RepoPath;
use crate::workspace::{self, Tracked, WorkspaceError, checkout};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Pointer(#[from] PointerError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
    #[error("{url}: cannot clone it: {message}")]
    Clone { url: String, message: String },
    #[error("{url} at {commit:.7}: .kiln/config.toml: {message}")]
    Config {
        url: String,
        commit: String,
        message: String,
    },
    #[error(
        "{url} at {commit:.7}: no dataset tracked at `{path}`{}",
        known_text(known)
    )]
    NoDataset {
        url: String,
        commit: String,
        path: String,
        known: Vec<String>,
    },
    #[error("{url} at {commit:.7}: no default kiln remote to download from")]
    NoRemote { url: String, commit: String },
    #[error(
        "{url}: its remote `{name}` ({remote_url}) sets its own endpoint {endpoint}; kiln sends credentials only to an endpoint this repository names (add a remote with the same URL and endpoint here)"
    )]
    ForeignEndpoint {
        url: String,
        name: String,
        remote_url: String,
        endpoint: String,
    },
    #[error(
        "{url}: its remote `{name}` is the relative folder `{folder}`, which only a local source repository can resolve"
    )]
    RelativeFolder {
        url: String,
        name: String,
        folder: String,
    },
    #[error("{}: already exists; remove it or choose another with -o", path.display())]
    Exists { path: PathBuf },
    #[error("{path}: files changed here were left as they were: {}", left.join(", "))]
    Incomplete { path: String, left: Vec<String> },
    #[error("{path}: not an import (its pointer names no source repository); see `kiln import`")]
    NotImport { path: String },
}

fn known_text(known: &[String]) -> String {
    const SHOWN: usize = 10;
    match known.len() {
        0 => " (it tracks none)".to_string(),
        n if n <= SHOWN => format!(" (it tracks: {})", known.join(", ")),
        n => format!(
            " (it tracks: {}, and {} more)",
            known[..SHOWN].join(", "),
            n - SHOWN
        ),
    }
}

/// A dataset another repository tracks.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Dataset {
    pub path: String,
    #[serde(flatten)]
    pub pointer: Pointer,
}

/// Another repository, opened at a revision.
pub struct Source {
    url: String,
    git: Git,
    /// Where relative folder remotes are resolved: a local source's folder.
    root: Option<PathBuf>,
    rev: Option<String>,
    commit: String,
    /// The temporary clone of a source given by URL.
    _clone: Option<tempfile::TempDir>,
}

impl Source {
    /// Opens `url` (a folder holding a git repository, bare or not, or any
    /// URL git clones) at `rev` (default: its HEAD). `tmp` holds a clone.
    pub fn open(url: &str, rev: Option<&str>, tmp: &Path) -> Result<Source, SourceError> {
        let local = Path::new(url);
        let (git, root, clone) = if local.is_dir() {
            (Git::open(local)?, Some(local.to_path_buf()), None)
        } else {
            let dir = clone_bare(url, tmp)?;
            (Git::open(dir.path())?, None, Some(dir))
        };
        let commit = git.commit_id(rev.unwrap_or("HEAD"))?;
        Ok(Source {
            url: url.to_string(),
            git,
            root,
            rev: rev.map(str::to_string),
            commit,
            _clone: clone,
        })
    }

    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// Every dataset at the revision, by path; with `under`, that path and
    /// those below it only.
    pub fn datasets(&self, under: Option<&str>) -> Result<Vec<Dataset>, SourceError> {
        let mut out = Vec::new();
        for (path, bytes) in self.git.pointers_at(&self.commit)? {
            let Some(data) = crate::pointer::data_path(&path) else {
                continue;
            };
            let data = data?;
            let text = String::from_utf8_lossy(&bytes);
            let pointer = Pointer::parse(&text, Path::new(&format!("{}:{path}", self.url)))?;
            let rel = data.to_string();
            let inside = under.is_none_or(|u| {
                let u = u.trim_end_matches('/');
                rel == u || rel.starts_with(&format!("{u}/"))
            });
            if inside {
                out.push(Dataset { path: rel, pointer });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The dataset tracked at exactly `path`.
    pub fn dataset(&self, path: &str) -> Result<Dataset, SourceError> {
        let path = path.trim_end_matches('/');
        let all = self.datasets(None)?;
        match all.iter().position(|d| d.path == path) {
            Some(i) => Ok(all[i].clone()),
            None => Err(SourceError::NoDataset {
                url: self.url.clone(),
                commit: self.commit.clone(),
                path: path.to_string(),
                known: all.into_iter().map(|d| d.path).collect(),
            }),
        }
    }

    /// The source's default remote, opened to download into `into`'s store.
    /// A cloud remote with its own endpoint must match one of `ours` (this
    /// repository's remotes), whose settings are then used.
    fn remote(&self, into: &Repo, ours: Option<&Repo>) -> Result<Remote, SourceError> {
        let config_err = |message: String| SourceError::Config {
            url: self.url.clone(),
            commit: self.commit.clone(),
            message,
        };
        let text = self
            .git
            .file_at(&self.commit, ".kiln/config.toml")?
            .unwrap_or_default();
        let text = String::from_utf8(text).map_err(|_| config_err("not UTF-8".into()))?;
        let label = Path::new(".kiln/config.toml");
        let config = Config::parse(Some(&text), None, label, label)
            .map_err(|e| config_err(e.to_string()))?;
        let name = crate::remote::config::default_name(&config);
        let no_remote = || SourceError::NoRemote {
            url: self.url.clone(),
            commit: self.commit.clone(),
        };
        let name = name.ok_or_else(no_remote)?;
        let theirs = config
            .remotes
            .get(&name)
            .cloned()
            .ok_or_else(no_remote)?
            .map_err(|e| config_err(e.to_string()))?;
        let (config, folder) = self.trusted(theirs, ours)?;
        Ok(Remote::with_config(config, folder, into, None)?)
    }

    /// The settings to use for the source's remote `theirs`, and its folder.
    fn trusted(
        &self,
        theirs: RemoteConfig,
        ours: Option<&Repo>,
    ) -> Result<(RemoteConfig, Option<PathBuf>), SourceError> {
        if theirs.scheme == Scheme::Local {
            // Relative to a local source's folder; a clone's has none.
            let folder = theirs.local_path(self.root.as_deref().unwrap_or(Path::new("")));
            if self.root.is_none() && folder.as_ref().is_some_and(|f| f.is_relative()) {
                return Err(SourceError::RelativeFolder {
                    url: self.url.clone(),
                    name: theirs.name.clone(),
                    folder: theirs.url.clone(),
                });
            }
            return Ok((theirs, folder));
        }
        let same = ours
            .into_iter()
            .flat_map(|r| r.config.remotes.values())
            .find_map(|r| {
                r.as_ref()
                    .ok()
                    .filter(|r| r.url == theirs.url && r.kiln.endpoint == theirs.kiln.endpoint)
            });
        match (same, &theirs.kiln.endpoint) {
            (Some(mine), _) => Ok((mine.clone(), None)),
            (None, None) => Ok((theirs, None)),
            (None, Some(endpoint)) => Err(SourceError::ForeignEndpoint {
                url: self.url.clone(),
                name: theirs.name.clone(),
                remote_url: theirs.display_url(),
                endpoint: crate::redact::url(endpoint),
            }),
        }
    }

    /// Downloads `dataset` into `repo`'s store (verified) and places it at
    /// `at`, tracked by `pointer`. The caller holds `repo`'s lock.
    fn bring(
        &self,
        repo: &Repo,
        ours: Option<&Repo>,
        at: RepoPath,
        pointer: Pointer,
        progress: &dyn Progress,
    ) -> Result<Tracked, SourceError> {
        let tracked = Tracked {
            rel: at,
            pointer,
            part: None,
        };
        let remote = self.remote(repo, ours)?;
        let one = std::slice::from_ref(&tracked);
        remote.fetch(repo, one, progress)?.problems()?;
        let report = checkout::checkout(repo, one, false, progress)?;
        if !report.complete() {
            let left: Vec<String> = report
                .conflicts
                .iter()
                .cloned()
                .chain(report.missing.iter().map(|m| m.path.clone()))
                .collect();
            return Err(SourceError::Incomplete {
                path: tracked.rel.to_string(),
                left,
            });
        }
        Ok(tracked)
    }

    fn import_record(&self, path: &str) -> Import {
        Import {
            repo: self.url.clone(),
            path: path.to_string(),
            rev: self.rev.clone(),
            commit: self.commit.clone(),
        }
    }
}

/// A bare clone of `url` in a new folder under `tmp`. Only git's own
/// transports are allowed: no `ext::` commands, no prompts.
fn clone_bare(url: &str, tmp: &Path) -> Result<tempfile::TempDir, SourceError> {
    let fail = |message: String| SourceError::Clone {
        url: crate::redact::url(url),
        message,
    };
    crate::fsutil::create_dir_all(tmp)?;
    let dir = tempfile::Builder::new()
        .prefix("source-")
        .tempdir_in(tmp)
        .map_err(|e| fail(e.to_string()))?;
    let out = std::process::Command::new("git")
        .args(["-c", "protocol.allow=never"])
        .args([
            "-c",
            "protocol.file.allow=always",
            "-c",
            "protocol.https.allow=always",
        ])
        .args([
            "-c",
            "protocol.ssh.allow=always",
            "-c",
            "protocol.git.allow=always",
        ])
        .args(["clone", "--bare", "--quiet", "--no-tags", "--"])
        .arg(url)
        .arg(dir.path())
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr
            .lines()
            .find_map(|l| l.strip_prefix("fatal: "))
            .or_else(|| stderr.lines().rfind(|l| !l.trim().is_empty()))
            .unwrap_or("git failed");
        return Err(fail(crate::redact::url(line.trim())));
    }
    Ok(dir)
}

/// The datasets `url` tracks at `rev`, under `under`.
pub fn ls(
    url: &str,
    under: Option<&str>,
    rev: Option<&str>,
    tmp: &Path,
) -> Result<(String, Vec<Dataset>), SourceError> {
    let source = Source::open(url, rev, tmp)?;
    let datasets = source.datasets(under)?;
    Ok((source.commit, datasets))
}

/// What `get` and `import` did.
#[derive(Debug, serde::Serialize)]
pub struct Brought {
    pub repo: String,
    pub path: String,
    pub commit: String,
    /// Where it is now.
    pub to: PathBuf,
    pub kind: Kind,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
    /// For `update`: whether the content changed.
    pub changed: bool,
}

impl Brought {
    fn new(source: &Source, d: &Dataset, to: PathBuf, changed: bool) -> Brought {
        Brought {
            repo: source.url.clone(),
            path: d.path.clone(),
            commit: source.commit.clone(),
            to,
            kind: d.pointer.kind,
            size: d.pointer.size,
            files: d.pointer.files,
            changed,
        }
    }
}

/// Downloads `path` of `url` at `rev` to `out` (default: its name in the
/// current folder), verified, without tracking it. `ours` is the repository
/// the command runs in, if any (its remotes may vouch for an endpoint).
pub fn get(
    url: &str,
    path: &str,
    rev: Option<&str>,
    out: &Path,
    ours: Option<&Repo>,
    progress: &dyn Progress,
) -> Result<Brought, SourceError> {
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(SourceError::Exists {
            path: out.to_path_buf(),
        });
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A scratch kiln repository beside the destination: the same file
    // system, so the finished data is renamed into place, whole or not at all.
    let scratch = tempfile::Builder::new()
        .prefix(".kiln-get-")
        .tempdir_in(&parent)
        .map_err(|e| IoError::new("create a folder in", &parent, e))?;
    let mut repo = Repo::init(scratch.path(), true, false)?;
    repo.config.cache.link = vec![crate::config::LinkMode::Copy];
    let source = Source::open(url, rev, &repo.tmp_dir())?;
    let d = source.dataset(path)?;
    let name = RepoPath::new("data").expect("a plain name passes the gate");
    let tracked = source.bring(&repo, ours, name, d.pointer.clone(), progress)?;
    crate::fsutil::rename(&tracked.abs(&repo), out)?;
    Ok(Brought::new(&source, &d, out.to_path_buf(), true))
}

/// Downloads `path` of `url` at `rev` into `repo` and tracks it at `at`,
/// recording the source in its pointer. The caller holds the lock.
pub fn import(
    repo: &Repo,
    url: &str,
    path: &str,
    rev: Option<&str>,
    at: RepoPath,
    progress: &dyn Progress,
) -> Result<Brought, SourceError> {
    let abs = repo.root().join(&at);
    let pointer_file = crate::pointer::pointer_path(&abs);
    for p in [&abs, &pointer_file] {
        if std::fs::symlink_metadata(p).is_ok() {
            return Err(SourceError::Exists { path: p.clone() });
        }
    }
    let source = Source::open(url, rev, &repo.tmp_dir())?;
    track(repo, &source, path, at, None, progress)
}

/// Moves the import at `at` to the newest commit of its recorded revision
/// (or to `rev`). The caller holds the lock.
pub fn update(
    repo: &Repo,
    at: RepoPath,
    rev: Option<&str>,
    progress: &dyn Progress,
) -> Result<Brought, SourceError> {
    let pointer_file = crate::pointer::pointer_path(&repo.root().join(&at));
    let old = Pointer::read(&pointer_file)?;
    let Some(import) = old.origin.as_ref().and_then(|o| o.import.clone()) else {
        return Err(SourceError::NotImport {
            path: at.to_string(),
        });
    };
    let rev = rev.or(import.rev.as_deref());
    let source = Source::open(&import.repo, rev, &repo.tmp_dir())?;
    track(repo, &source, &import.path, at, Some(&old), progress)
}

fn track(
    repo: &Repo,
    source: &Source,
    path: &str,
    at: RepoPath,
    old: Option<&Pointer>,
    progress: &dyn Progress,
) -> Result<Brought, SourceError> {
    let d = source.dataset(path)?;
    let mut origin = workspace::add::current_origin(repo)?.unwrap_or_default();
    origin.import = Some(Box::new(source.import_record(&d.path)));
    let pointer = Pointer {
        origin: Some(origin),
        schema: old.and_then(|o| o.schema.clone()),
        ..d.pointer.clone()
    };
    let changed = old.is_none_or(|o| !o.same_content(&pointer));
    let same_record = old.is_some_and(|o| {
        o.origin.as_ref().and_then(|x| x.import.as_ref())
            == pointer.origin.as_ref().and_then(|x| x.import.as_ref())
    });
    let tracked = source.bring(repo, Some(repo), at, pointer, progress)?;
    if !same_record || changed {
        let abs = tracked.abs(repo);
        crate::fsutil::write_atomic(
            &crate::pointer::pointer_path(&abs),
            tracked.pointer.to_text().as_bytes(),
            &repo.tmp_dir(),
        )?;
        if repo.scm() {
            workspace::add::ignore_in_git(repo, tracked.rel.as_str())?;
        }
    }
    Ok(Brought::new(source, &d, tracked.abs(repo), changed))
}
