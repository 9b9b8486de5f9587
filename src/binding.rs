//! What binds data to schemas: a pointer's `schema`, the `[[check]]` globs
//! of the config, the plan of what `kiln check` checks, and the gate that
//! refuses invalid data at `kiln add`. It sits above both the workspace
//! (which tracks data) and validation (which judges it), so neither needs
//! the other.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::pointer::{self, Kind, Pointer};
use crate::progress::Progress;
use crate::repo::Repo;
use crate::store::Id;
use crate::store::statcache::StatCache;
use crate::validate::{
    self, CheckOptions, FileReport, Format, RepoDirs, Shard, ValidateError, Verdict, check_path,
    data_files,
};
use crate::workspace::add::{AddOptions, Added};
use crate::workspace::{self, WorkspaceError};

#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("{path}: no schema is bound to it")]
    Unbound { path: String },
    #[error("{}: [[check]] path `{glob}` is not a valid glob: {message}", config.display())]
    Glob {
        config: PathBuf,
        glob: String,
        message: String,
    },
}

impl BindingError {
    /// Advice for the user, looking through the errors it wraps.
    pub fn hint(&self) -> Option<&str> {
        match self {
            BindingError::Validate(e) => e.hint(),
            BindingError::Unbound { .. } => Some(
                "bind one with `kiln add --schema FILE`, a [[check]] entry in .kiln/config.toml, or pass --schema FILE",
            ),
            _ => None,
        }
    }
}

/// Data refused at `kiln add` for failing the schema bound to it.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path} does not pass its schema {schema}: not recorded (add --no-check to record it anyway)"
)]
pub struct Rejected {
    pub path: String,
    pub schema: String,
    pub reports: Vec<FileReport>,
}

/// The folders of `repo` that checks use.
pub fn dirs(repo: &Repo) -> RepoDirs {
    RepoDirs {
        root: repo.root().to_path_buf(),
        state: repo.state_dir(),
        tmp: repo.tmp_dir(),
    }
}

/// `kiln add` of one path, with the gate: content that fails the schema
/// bound to it (by its pointer or a `[[check]]` glob) is not recorded.
pub fn add(
    repo: &Repo,
    rel: &str,
    opts: &AddOptions,
    cache: &mut StatCache,
    progress: &dyn Progress,
) -> Result<Added, WorkspaceError> {
    add_without(repo, rel, &[], opts, cache, progress)
}

/// Adds the tracked folder `folder` without `removed` (paths below it),
/// through the same gate.
pub fn add_without(
    repo: &Repo,
    folder: &str,
    removed: &[String],
    opts: &AddOptions,
    cache: &mut StatCache,
    progress: &dyn Progress,
) -> Result<Added, WorkspaceError> {
    let gate = |rel: &str, pointer: &Pointer| -> Result<(), workspace::Refusal> {
        match failing(repo, rel, pointer)? {
            None => Ok(()),
            Some((schema, reports)) => Err(Box::new(Rejected {
                path: rel.to_string(),
                schema,
                reports,
            })),
        }
    };
    if removed.is_empty() {
        workspace::add::add(repo, folder, opts, cache, progress, &gate)
    } else {
        workspace::add::add_folder(repo, folder, removed, opts, cache, progress, &gate)
    }
}

/// One data path to check and the schema it is bound to (both
/// repository-relative). A `[[check]]` glob that binds several files makes
/// one job for them all: `data` is the glob, `files` the files, checked as
/// the shards of one table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Job {
    pub data: String,
    pub schema: String,
    pub files: Vec<String>,
}

/// What `kiln check` checks.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// Tracked data with no schema bound.
    pub unbound: Vec<String>,
}

/// The `[[check]]` bindings of the repository's config, compiled.
struct Bindings(Vec<(globset::GlobMatcher, String)>);

impl Bindings {
    fn load(repo: &Repo) -> Result<Bindings, BindingError> {
        let mut out = Vec::new();
        for b in &repo.config.check {
            let glob = globset::GlobBuilder::new(&b.path)
                .literal_separator(true)
                .build()
                .map_err(|e| BindingError::Glob {
                    config: repo.config_path(),
                    glob: b.path.clone(),
                    message: e.kind().to_string(),
                })?;
            out.push((glob.compile_matcher(), b.schema.clone()));
        }
        Ok(Bindings(out))
    }

    fn schema_for(&self, rel: &str) -> Option<&str> {
        self.binding_for(rel).map(|(_, s)| s)
    }

    /// The glob that binds `rel`, and its schema.
    fn binding_for(&self, rel: &str) -> Option<(&str, &str)> {
        self.0
            .iter()
            .find(|(g, _)| g.is_match(rel))
            .map(|(g, s)| (g.glob().glob(), s.as_str()))
    }

    /// The jobs for `files` (absolute) that globs bind: one per glob,
    /// holding every file it binds.
    fn jobs(&self, repo: &Repo, files: Vec<PathBuf>) -> Vec<Job> {
        let mut jobs: Vec<Job> = Vec::new();
        for f in &files {
            let Some(data) = repo.rel(f) else { continue };
            let Some((glob, schema)) = self.binding_for(&data) else {
                continue;
            };
            match jobs
                .iter_mut()
                .find(|j| j.data == glob && j.schema == schema)
            {
                Some(job) => job.files.push(data),
                None => jobs.push(Job {
                    data: glob.to_string(),
                    schema: schema.to_string(),
                    files: vec![data],
                }),
            }
        }
        // A glob that binds one file checks that file as a table of its own.
        for job in &mut jobs {
            if let [one] = &job.files[..] {
                job.data = one.clone();
                job.files.clear();
            }
        }
        jobs
    }
}

/// The schema governing the tracked path `rel`: its pointer's, else a
/// `[[check]]` glob's; none when neither binds one or the pointer is unreadable.
pub fn tracked_schema(repo: &Repo, rel: &str) -> Option<String> {
    let pointer = pointer::pointer_path(Path::new(rel));
    match Pointer::read(&repo.root().join(pointer)) {
        Ok(p) => schema_of(repo, rel, &p),
        Err(_) => bound_schema(repo, rel),
    }
    .ok()
    .flatten()
}

/// The schema `pointer` (at `rel`) names, else the one a `[[check]]` glob binds.
fn schema_of(repo: &Repo, rel: &str, pointer: &Pointer) -> Result<Option<String>, BindingError> {
    match &pointer.schema {
        Some(s) => Ok(Some(s.clone())),
        None => bound_schema(repo, rel),
    }
}

/// Checks the content `pointer` names at `rel` against the schema governing
/// it (`pointer.schema`, else a `[[check]]` glob). Returns that schema and the
/// reports; none when nothing binds it.
pub fn checked(
    repo: &Repo,
    rel: &str,
    pointer: &Pointer,
) -> Result<Option<(String, Vec<FileReport>)>, BindingError> {
    let Some(schema) = schema_of(repo, rel, pointer)? else {
        return Ok(None);
    };
    let id = (pointer.kind == Kind::File).then_some(pointer.id);
    let reports = check_path(
        &dirs(repo),
        &repo.root().join(rel),
        &repo.root().join(&schema),
        id,
        &CheckOptions::default(),
    )?;
    Ok(Some((schema, reports)))
}

/// Whether reports make the data invalid (or unreadable).
pub fn fails(reports: &[FileReport]) -> bool {
    reports
        .iter()
        .any(|r| matches!(r.verdict, Verdict::Invalid | Verdict::Unreadable))
}

/// Like [`checked`], but only when the data fails its schema.
pub fn failing(
    repo: &Repo,
    rel: &str,
    pointer: &Pointer,
) -> Result<Option<(String, Vec<FileReport>)>, BindingError> {
    Ok(checked(repo, rel, pointer)?.filter(|(_, reports)| fails(reports)))
}

/// The cached report of the last check, with default options, of the file
/// `rel` holding `data_id` against the schema governing it; none if it was
/// never checked or cannot be found.
pub fn last_report(repo: &Repo, rel: &str, data_id: &Id) -> Option<FileReport> {
    let schema = tracked_schema(repo, rel)?;
    let schema_id = Id::of_bytes(&crate::fsutil::read(&repo.root().join(schema)).ok()?);
    validate::cached_report(
        &dirs(repo),
        data_id,
        &schema_id,
        Format::of(Path::new(rel))?,
    )
}

/// The shards of the tracked folder `rel` as its tree lists them, when the
/// folder is not in the workspace but its tree is in the store (fetched
/// with the results of a sharded check, say); none otherwise.
pub fn listed_shards(repo: &Repo, rel: &str) -> Result<Option<Vec<Shard>>, BindingError> {
    let abs = repo.root().join(rel);
    if abs.exists() {
        return Ok(None);
    }
    let Ok(p) = Pointer::read(&repo.root().join(pointer::pointer_path(Path::new(rel)))) else {
        return Ok(None);
    };
    if p.kind != Kind::Dir || !repo.store().contains(&p.id) {
        return Ok(None);
    }
    let listing = workspace::listing(&repo.store(), &p).map_err(WorkspaceError::from)?;
    Ok(Some(
        listing
            .files
            .into_iter()
            .map(|(path, (id, _, size))| Shard {
                path: abs.join(path),
                known: Some((id, size)),
            })
            .filter(|s| Format::of(&s.path).is_some())
            .collect(),
    ))
}

/// The schema bound to a repository-relative data path by a `[[check]]`
/// glob in `.kiln/config.toml`, if any (for `kiln add`).
pub fn bound_schema(repo: &Repo, rel: &str) -> Result<Option<String>, BindingError> {
    Ok(Bindings::load(repo)?.schema_for(rel).map(str::to_string))
}

/// The data `kiln check` checks: every tracked dataset with a schema (its
/// pointer's, or a `[[check]]` glob's), or those under `paths`. A path that
/// is not tracked is checked when a glob binds it.
pub fn plan(repo: &Repo, cwd: &Path, paths: &[PathBuf]) -> Result<Plan, BindingError> {
    let bindings = Bindings::load(repo)?;
    let tracked = workspace::tracked(repo)?;
    let mut plan = Plan::default();
    let mut selected = Vec::new();
    if paths.is_empty() {
        selected = tracked;
    } else {
        for p in paths {
            let rel = workspace::resolve_data(repo, cwd, p)?;
            let found: Vec<_> = tracked
                .iter()
                .filter(|t| t.rel.is_within(&rel))
                .cloned()
                .collect();
            if !found.is_empty() {
                selected.extend(found);
                continue;
            }
            // Not tracked: checked only where a glob binds it.
            let abs = repo.root().join(&rel);
            if !abs.exists() {
                return Err(ValidateError::NotFound { path: p.clone() }.into());
            }
            let files = if abs.is_dir() {
                data_files(&abs)?
            } else {
                vec![abs]
            };
            let jobs = bindings.jobs(repo, files);
            if jobs.is_empty() {
                return Err(BindingError::Unbound { path: rel.into() });
            }
            plan.jobs.extend(jobs);
        }
    }
    selected.sort_by(|a, b| a.rel.cmp(&b.rel));
    selected.dedup_by(|a, b| a.rel == b.rel);
    // Tracked files a glob binds: one job per glob, after the others.
    let mut globbed = Vec::new();
    for t in selected {
        if t.pointer.schema.is_none()
            && t.pointer.kind == Kind::File
            && bindings.schema_for(&t.rel).is_some()
        {
            globbed.push(repo.root().join(&t.rel));
            continue;
        }
        if let Some(schema) = t
            .pointer
            .schema
            .clone()
            .or_else(|| bindings.schema_for(&t.rel).map(str::to_string))
        {
            plan.jobs.push(Job {
                data: t.rel.into(),
                schema,
                files: Vec::new(),
            });
            continue;
        }
        // A folder's files may each be bound by a glob.
        let abs = repo.root().join(&t.rel);
        let jobs = if t.pointer.kind == Kind::Dir && abs.is_dir() {
            bindings.jobs(repo, data_files(&abs)?)
        } else {
            Vec::new()
        };
        if jobs.is_empty() {
            plan.unbound.push(t.rel.into());
        }
        plan.jobs.extend(jobs);
    }
    plan.jobs.extend(bindings.jobs(repo, globbed));
    plan.jobs = checked_once(plan.jobs);
    Ok(plan)
}

/// `jobs` in order without repeats, and without files inside a folder that
/// is itself checked against the same schema, or among the files of a
/// glob's job with that schema.
fn checked_once(jobs: Vec<Job>) -> Vec<Job> {
    let all: HashSet<Job> = jobs.iter().cloned().collect();
    let sharded: HashSet<(&str, &str)> = jobs
        .iter()
        .flat_map(|j| j.files.iter().map(|f| (f.as_str(), j.schema.as_str())))
        .collect();
    let mut seen = HashSet::new();
    jobs.iter()
        .filter(|job| {
            let inside_checked = job.data.match_indices('/').any(|(i, _)| {
                all.contains(&Job {
                    data: job.data[..i].to_string(),
                    schema: job.schema.clone(),
                    files: Vec::new(),
                })
            });
            let a_shard =
                job.files.is_empty() && sharded.contains(&(job.data.as_str(), job.schema.as_str()));
            !inside_checked && !a_shard && seen.insert((*job).clone())
        })
        .cloned()
        .collect()
}
