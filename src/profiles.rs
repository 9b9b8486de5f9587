//! Profiles of data versions. A tracked path's data at a revision (or in
//! the workspace) is profiled under the schema that governs the path now,
//! so two versions are typed alike: from the profiles kept beside the
//! check results, else by reading the version from the store, else after
//! fetching it (verified) from the default remote.

use std::path::{Path, PathBuf};

use crate::binding;
use crate::fsutil::{self, Context};
use crate::pointer::{Kind, Pointer};
use crate::progress::Progress;
use crate::remote::Remote;
use crate::repo::Repo;
use crate::repo_path::RepoPath;
use crate::stats::Profile;
use crate::stats::compare::{self, ProfileDiff};
use crate::validate::{CheckOptions, Checker, Format, RepoDirs, Shard, ValidateError};
use crate::workspace::{self, Tracked};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{path} at {rev}: its data is not in the store, and fetching it failed: {cause}")]
    NotFetched {
        path: String,
        rev: String,
        cause: String,
    },
    #[error("{path} at {rev}: kiln cannot read this version's data, so it has no profile")]
    Unreadable { path: String, rev: String },
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error(transparent)]
    Workspace(#[from] workspace::WorkspaceError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Io(#[from] fsutil::IoError),
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
}

/// Profiles versions of a repository's tracked data.
pub struct Profiler<'a> {
    repo: &'a Repo,
    dirs: RepoDirs,
    opts: CheckOptions,
    progress: &'a dyn Progress,
}

impl<'a> Profiler<'a> {
    pub fn new(repo: &'a Repo, progress: &'a dyn Progress) -> Profiler<'a> {
        Profiler {
            repo,
            dirs: binding::dirs(repo),
            opts: CheckOptions::default(),
            progress,
        }
    }

    /// The schema that governs `rel` now, as a path; none if nothing binds it.
    pub fn schema_of(&self, rel: &str) -> Option<PathBuf> {
        binding::tracked_schema(self.repo, rel).map(|s| self.repo.root().join(s))
    }

    /// The profile of the data `pointer` names at `rel`, as at revision
    /// `rev` (`None`: the data in the workspace), under `schema`.
    pub fn profile(
        &self,
        rel: &str,
        pointer: &Pointer,
        rev: Option<&str>,
        schema: &Path,
    ) -> Result<Profile, ProfileError> {
        let checker = Checker::new(Some(&self.dirs), &self.opts).with_progress(self.progress);
        let single = pointer.kind == Kind::File;
        let Some(rev) = rev else {
            let abs = self.repo.root().join(rel);
            let shards: Vec<Shard> = if single {
                vec![Shard {
                    path: abs,
                    known: Some((pointer.id, pointer.size)),
                }]
            } else {
                crate::validate::data_files(&abs)?
                    .iter()
                    .map(|f| Shard::of(f))
                    .collect()
            };
            return checker
                .profile(&shards, single, schema)
                .map_err(|e| unreadable(e, rel, "the workspace"));
        };
        let store = self.repo.store();
        let named = |name: &str| {
            if single {
                Path::new(rel)
                    .file_name()
                    .map_or_else(|| "data".to_string(), |n| n.to_string_lossy().into_owned())
            } else {
                name.to_string()
            }
        };
        // The store names objects by id: each is shown to the checker
        // through a link named as in the version, whose name says its format.
        let tmp = self.repo.tmp_dir();
        fsutil::create_dir_all(&tmp)?;
        let dir = tempfile::Builder::new()
            .prefix("profile-")
            .tempdir_in(&tmp)
            .ctx("create a folder in", &tmp)?;
        let shards = |listing: &workspace::Listing| -> Vec<Shard> {
            listing
                .files
                .iter()
                .filter_map(|(name, (id, _, size))| {
                    let path = RepoPath::new(&named(name)).ok()?.abs(dir.path());
                    Format::of(&path)?;
                    Some(Shard {
                        path,
                        known: Some((*id, *size)),
                    })
                })
                .collect()
        };
        // Kept profiles first: a version profiled anywhere needs no data.
        if workspace::listing(&store, pointer).is_err() {
            self.fetch(rel, pointer, rev, false)?;
        }
        let listing = workspace::listing(&store, pointer)?;
        let shards = shards(&listing);
        if let Some(kept) = checker.kept_profile(&shards, schema)? {
            return Ok(kept);
        }
        if !shards
            .iter()
            .all(|s| s.known.is_some_and(|(id, _)| store.contains(&id)))
        {
            self.fetch(rel, pointer, rev, true)?;
        }
        for s in &shards {
            if let (Some(parent), Some((id, _))) = (s.path.parent(), s.known) {
                fsutil::create_dir_all(parent)?;
                link_object(&store.object_path(&id), &s.path)?;
            }
        }
        checker
            .profile(&shards, single, schema)
            .map_err(|e| unreadable(e, rel, rev))
    }

    /// Brings a version's trees, and with `files` its files, into the store
    /// from the default remote (verified, as every fetch).
    fn fetch(
        &self,
        rel: &str,
        pointer: &Pointer,
        rev: &str,
        files: bool,
    ) -> Result<(), ProfileError> {
        let failed = |cause: String| ProfileError::NotFetched {
            path: rel.to_string(),
            rev: rev.to_string(),
            cause,
        };
        self.repo.store().create()?;
        fsutil::create_dir_all(&self.repo.tmp_dir())?;
        let remote = Remote::open(self.repo, None, None).map_err(|e| failed(e.to_string()))?;
        let tracked = [Tracked {
            rel: RepoPath::new(rel).map_err(|e| failed(e.to_string()))?,
            pointer: pointer.clone(),
            part: None,
        }];
        let report = if files {
            remote.fetch(self.repo, &tracked, self.progress)
        } else {
            remote.fetch_trees(self.repo, &tracked, self.progress)
        }
        .map_err(|e| failed(e.to_string()))?;
        report.problems().map_err(|e| failed(e.to_string()))
    }
}

/// A version kiln cannot read is named as the user knows it, not by the
/// temporary link it was read through.
fn unreadable(e: ValidateError, rel: &str, rev: &str) -> ProfileError {
    match e {
        ValidateError::NoProfile { .. } | ValidateError::Unreadable { .. } => {
            ProfileError::Unreadable {
                path: rel.to_string(),
                rev: rev.to_string(),
            }
        }
        e => e.into(),
    }
}

#[cfg(unix)]
fn link_object(object: &Path, link: &Path) -> Result<(), fsutil::IoError> {
    std::os::unix::fs::symlink(object, link).ctx("link", link)
}

#[cfg(not(unix))]
fn link_object(object: &Path, link: &Path) -> Result<(), fsutil::IoError> {
    std::fs::copy(object, link).map(|_| ()).ctx("copy", link)
}

/// A tracked path's two versions compared.
#[derive(Debug, serde::Serialize)]
pub struct PathStats {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(flatten)]
    pub diff: ProfileDiff,
    /// The two versions' profiles (absent where the path is), for charts.
    #[serde(skip)]
    pub profiles: [Option<Profile>; 2],
}

/// Profiles and compares every tracked path's versions at `a` and at `b`
/// (a revision, or the workspace when `None`), limited to `filter`.
pub fn diff_stats(
    repo: &Repo,
    a: &str,
    b: Option<&str>,
    filter: &[String],
    progress: &dyn Progress,
) -> Result<Vec<PathStats>, ProfileError> {
    let (old, new) = workspace::diff::versions(repo, a, b, filter, progress)?;
    let profiler = Profiler::new(repo, progress);
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut out = Vec::new();
    for path in paths {
        let Some(schema) = profiler.schema_of(path) else {
            continue;
        };
        let profile = |p: Option<&Pointer>, rev: Option<&str>| match p {
            Some(p) => profiler.profile(path, p, rev, &schema).map(Some),
            None => Ok(None),
        };
        let pa = profile(old.get(path), Some(a))?;
        let pb = profile(new.get(path), b)?;
        let empty = Profile::default();
        out.push(PathStats {
            path: path.clone(),
            schema: fsutil::rel_string(repo.root(), &schema),
            diff: compare::compare(pa.as_ref().unwrap_or(&empty), pb.as_ref().unwrap_or(&empty)),
            profiles: [pa, pb],
        });
    }
    Ok(out)
}
