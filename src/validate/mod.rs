//! Validation: data files checked against table schemas.
//!
//! Every check compiles to a polars expression; one streaming pass over a
//! file computes every count and a statistics profile; a second, bounded
//! pass fetches sample rows for the checks that failed. Reports are cached
//! by (data id, schema id, kiln version).

mod cache;
mod chunked;
pub(crate) mod compile;
mod convert;
mod dataset;
pub(crate) mod dates;
mod distinct;
mod engine;
mod geo;
pub mod infer;
mod json_cells;
mod json_kinds;
mod lines;
mod list;
mod listed;
mod merged;
mod observe;
mod pattern;
mod profiler;
pub mod render;
mod repeats;
pub mod report;
mod sampled;
pub(crate) mod source;
mod text;
mod udf;
mod written;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

pub use cache::{Cache as ResultCache, DIR as RESULTS_DIR, Swept, is_file_name as is_result_file};
use engine::{RepeatCheck, Scope};
pub use report::{
    ColumnProfile, FileReport, Finding, Passed, Place, Sample, Shards, Status, Verdict,
};
pub use source::Format;

use crate::fsutil::{self, IoError};
use crate::schema::{Schema, SchemaError};
use crate::stats::Profile;
use crate::store::statcache::{Stat, StatCache};
use crate::store::{self, Id};

/// Whether the fast paths give way to the slow ones they stand for
/// (`KILN_TEST_SLOW_PATHS`, set only by tests that compare the two).
pub(crate) fn slow_paths() -> bool {
    static SLOW: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SLOW.get_or_init(|| std::env::var_os(crate::env::TEST_SLOW_PATHS).is_some())
}

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The data itself could not be read.
    #[error("{}", .0)]
    Data(IoError),
    /// The data is not in a form kiln can read (a broken or truncated file).
    #[error("{}: cannot read the data: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error("{}: no such file or folder", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: not a data file kiln reads (csv, tsv, parquet, ndjson or arrow; csv, tsv and ndjson may be .gz or .zst)", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("{}: holds no data file kiln reads", path.display())]
    NoData { path: PathBuf },
    /// A shard known from its folder's tree, not in the workspace, with no
    /// cached result.
    #[error("{}: not in the workspace, and no check result for it here", path.display())]
    NotHere { path: PathBuf },
    /// Data kiln could not profile (it cannot read it).
    #[error("{}: no profile: kiln cannot read the data", path.display())]
    NoProfile { path: PathBuf },
}

impl ValidateError {
    /// Advice for the user, looking through the errors it wraps.
    pub fn hint(&self) -> Option<&str> {
        match self {
            ValidateError::Schema(e) => e.hint(),
            ValidateError::NotHere { .. } => Some(
                "kiln pull it to check it here, or kiln fetch --results for the results others pushed",
            ),
            _ => None,
        }
    }

    /// Whether the failure is the data's (exit 3) rather than the request's.
    pub fn is_unreadable_data(&self) -> bool {
        matches!(
            self,
            ValidateError::Data(_)
                | ValidateError::NotFound { .. }
                | ValidateError::NotHere { .. }
                | ValidateError::NoProfile { .. }
                | ValidateError::Unreadable { .. }
        )
    }
}

#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Sample rows fetched per failed check.
    pub max_samples: usize,
    /// Answer from, and record in, the result cache.
    pub use_cache: bool,
    /// Check only this part of each dataset's shards (and of the files
    /// checked alone), recording their results for a later merge.
    pub part: Option<Part>,
    /// Bytes of keys (for repeats and overlaps) held in memory, over all
    /// the shards checked at once; beyond it they are sorted onto disk.
    pub memory: u64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_samples: 5,
            use_cache: true,
            part: None,
            memory: 1 << 30,
        }
    }
}

/// Part `index` of `count` (`--shard I/N`, from 0): the files whose
/// repository path hashes to it, so the split is the same on every machine
/// and a new file leaves the others where they were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    pub index: u64,
    pub count: u64,
}

impl Part {
    pub fn takes(&self, rel: &str) -> bool {
        xxhash_rust::xxh3::xxh3_64(rel.as_bytes()) % self.count == self.index
    }
}

impl std::str::FromStr for Part {
    type Err = String;

    fn from_str(s: &str) -> Result<Part, String> {
        let bad = || format!("`{s}` is not a part: give I/N, with 0 <= I < N (as 3/8)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index >= count {
            return Err(bad());
        }
        Ok(Part { index, count })
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// A shard of a dataset: its path, and its content id and size when its
/// folder's tree says them (the file itself may then be absent).
#[derive(Clone, Debug)]
pub struct Shard {
    pub path: PathBuf,
    pub known: Option<(Id, u64)>,
}

impl Shard {
    pub fn of(path: &Path) -> Shard {
        Shard {
            path: path.to_path_buf(),
            known: None,
        }
    }

    /// Its content id where known, and its size: known, else the file's.
    fn measure(&self) -> Result<(Option<Id>, u64), ValidateError> {
        match self.known {
            Some((id, len)) => Ok((Some(id), len)),
            None => fsutil::metadata(&self.path)
                .map(|m| (None, m.len()))
                .map_err(ValidateError::Data),
        }
    }
}

/// A loaded schema and its identity.
struct LoadedSchema {
    schema: Schema,
    id: Id,
    display: String,
}

fn load_schema(path: &Path, display: String) -> Result<LoadedSchema, SchemaError> {
    let bytes = fsutil::read(path)?;
    let id = Id::of_bytes(&bytes);
    let text = String::from_utf8(bytes).map_err(|_| SchemaError::Document {
        path: path.to_path_buf(),
        message: "not valid UTF-8 text".into(),
        hint: None,
    })?;
    let schema = Schema::parse(&text, path)?;
    Ok(LoadedSchema {
        schema,
        id,
        display,
    })
}

/// The folders of the repository a check runs in: its root (paths are
/// shown relative to it, and foreign keys name tables in it) and where its
/// derived state lives (the result and stat caches).
#[derive(Clone, Debug)]
pub struct RepoDirs {
    pub root: PathBuf,
    pub state: PathBuf,
    pub tmp: PathBuf,
}

/// Checks a file, or a folder of data files as one table, against the
/// schema at `schema`, through the repository's result cache (see
/// [`Checker::check_path`]).
pub fn check_path(
    repo: &RepoDirs,
    data: &Path,
    schema: &Path,
    data_id: Option<Id>,
    opts: &CheckOptions,
) -> Result<Vec<FileReport>, ValidateError> {
    Checker::new(Some(repo), opts).check_path(data, schema, data_id)
}

/// Checks data against schemas, reading each schema and the repository's
/// caches once however many files it checks.
pub struct Checker<'a> {
    repo: Option<&'a RepoDirs>,
    opts: &'a CheckOptions,
    cache: Option<cache::Cache>,
    merges: Option<merged::Merges>,
    /// Ids of files read before, and of those hashed now (saved when
    /// the checker is dropped).
    stat: Option<Mutex<StatCache>>,
    schemas: Mutex<HashMap<PathBuf, Arc<LoadedSchema>>>,
    /// Folders with their links resolved (see [`Checker::resolved`]).
    folders: Mutex<HashMap<PathBuf, PathBuf>>,
    progress: Option<&'a dyn crate::progress::Progress>,
}

/// One file's check: its report and, for a shard, the run of keyed rows
/// of each of its checks of repeated keys.
struct Checked {
    report: FileReport,
    runs: Vec<(RepeatCheck, PathBuf)>,
}

impl<'a> Checker<'a> {
    /// A checker in `repo` (with its result cache), or outside any repository.
    pub fn new(repo: Option<&'a RepoDirs>, opts: &'a CheckOptions) -> Checker<'a> {
        engine::warm_up();
        let cache = repo
            .filter(|_| opts.use_cache)
            .map(|r| cache::Cache::new(r.state.clone(), r.tmp.clone()));
        let merges = repo
            .filter(|_| opts.use_cache)
            .map(|r| merged::Merges::new(&r.state, r.tmp.clone()));
        let stat = repo
            .filter(|_| opts.use_cache)
            .map(|r| Mutex::new(StatCache::load(&r.state)));
        Checker {
            repo,
            opts,
            cache,
            merges,
            stat,
            schemas: Mutex::default(),
            folders: Mutex::default(),
            progress: None,
        }
    }

    /// Reports a dataset's shards, and their bytes, as they are checked.
    pub fn with_progress(mut self, progress: &'a dyn crate::progress::Progress) -> Checker<'a> {
        self.progress = Some(progress);
        self
    }

    /// Checks a file, or every data file in a folder, against the schema at
    /// `schema`. `data_id` is the file's content id when the caller knows it
    /// (say, having just hashed it); otherwise it comes from the stat cache,
    /// or by hashing. A folder is a dataset: its files are the shards of one
    /// table (see `Checker::check_dataset`).
    pub fn check_path(
        &self,
        data: &Path,
        schema: &Path,
        data_id: Option<Id>,
    ) -> Result<Vec<FileReport>, ValidateError> {
        let loaded = self.schema(schema)?;
        self.check(data, &loaded, data_id)
    }

    /// Checks `files` as the shards of one table shown as `name` (the
    /// files a glob binds), against the schema at `schema`.
    pub fn check_files(
        &self,
        name: &str,
        files: &[PathBuf],
        schema: &Path,
    ) -> Result<Vec<FileReport>, ValidateError> {
        let shards: Vec<Shard> = files.iter().map(|f| Shard::of(f)).collect();
        self.check_listed(name, &shards, schema)
    }

    /// Checks `shards` as one table shown as `name`; those a folder's tree
    /// lists but the workspace lacks answer from the result cache (the
    /// results a merge of `--shard` parts needs).
    pub fn check_listed(
        &self,
        name: &str,
        shards: &[Shard],
        schema: &Path,
    ) -> Result<Vec<FileReport>, ValidateError> {
        let loaded = self.schema(schema)?;
        self.check_dataset(name.to_string(), shards, &loaded)
    }

    /// The profile of `shards` as one table under the schema at `schema`
    /// (of one file checked alone when `single`), through the result
    /// cache: read only where no profile of the same data is kept.
    pub fn profile(
        &self,
        shards: &[Shard],
        single: bool,
        schema: &Path,
    ) -> Result<Profile, ValidateError> {
        let loaded = self.schema(schema)?;
        let unprofiled = |c: &Checked| ValidateError::NoProfile {
            path: PathBuf::from(&c.report.path),
        };
        if let (true, [one]) = (single, shards) {
            let (id, len) = one.measure()?;
            let mut checked = self.check_file(&one.path, len, &loaded, id, Scope::File, None)?;
            return checked
                .report
                .stats
                .take()
                .ok_or_else(|| unprofiled(&checked));
        }
        let scratch = self.scratch()?;
        let (checked, merged) = self.check_shards(shards, &loaded, scratch.path())?;
        match merged {
            Some(m) => Ok(m),
            None => Err(checked
                .iter()
                .find(|c| c.report.verdict == Verdict::Unreadable)
                .map_or_else(
                    || ValidateError::NoProfile {
                        path: shards.first().map(|s| s.path.clone()).unwrap_or_default(),
                    },
                    unprofiled,
                )),
        }
    }

    /// The profile of `shards` (each with its content id known) as one
    /// table under the schema at `schema`, from the profiles kept alone:
    /// none unless every shard's is kept.
    pub fn kept_profile(
        &self,
        shards: &[Shard],
        schema: &Path,
    ) -> Result<Option<Profile>, ValidateError> {
        let loaded = self.schema(schema)?;
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        let mut merged = Profile::default();
        for s in shards {
            let (Some((id, _)), Some(format)) = (s.known, Format::of(&s.path)) else {
                return Ok(None);
            };
            let key = cache::Cache::profile_key(&id, &loaded.id, format.name());
            match cache.get_profile(&key) {
                Some(p) => merged.merge(&p),
                None => return Ok(None),
            }
        }
        merged.settle();
        Ok(Some(merged))
    }

    fn schema(&self, path: &Path) -> Result<Arc<LoadedSchema>, SchemaError> {
        let mut schemas = self.schemas.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = schemas.get(path) {
            return Ok(s.clone());
        }
        let loaded = Arc::new(load_schema(path, self.display(path))?);
        schemas.insert(path.to_path_buf(), loaded.clone());
        Ok(loaded)
    }

    fn rel(&self, path: &Path) -> Option<String> {
        let repo = self.repo?;
        fsutil::rel_string(&repo.root, &self.resolved(path)).filter(|r| !r.is_empty())
    }

    /// `path` with its links resolved, as `canonicalize` gives it, or as
    /// given where it is absent (a shard known from its tree may be). A
    /// file that is no link is its resolved folder's: the folder is
    /// resolved once for all its files, where resolving each part of each
    /// shard's path was most of a re-check's system calls.
    fn resolved(&self, path: &Path) -> PathBuf {
        let whole = || std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return whole();
        };
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        match std::fs::symlink_metadata(folder.join(name)) {
            Ok(m) if !m.file_type().is_symlink() => {}
            _ => return whole(),
        }
        let mut folders = self.folders.lock().unwrap_or_else(|e| e.into_inner());
        let real = match folders.get(folder) {
            Some(real) => real.clone(),
            None => match std::fs::canonicalize(folder) {
                Ok(real) => folders.entry(folder.to_path_buf()).or_insert(real).clone(),
                Err(_) => return whole(),
            },
        };
        real.join(name)
    }

    /// Where temporary files go: the repository's, else the system's.
    fn tmp(&self) -> PathBuf {
        self.repo.map_or_else(std::env::temp_dir, |r| r.tmp.clone())
    }

    /// Threads checking shards at once, two per core: a shard's check
    /// leaves the cores to others while it plans its read, sorts and writes
    /// its keys, and one a core left a fifth of the cores idle.
    fn workers(&self) -> usize {
        2 * std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    /// Bytes one file's check holds its keys in: the budget shared by the
    /// files checked at once.
    fn memory_share(&self) -> u64 {
        self.opts.memory / self.workers() as u64
    }

    /// Keys one file's check holds in memory, 32 bytes a key.
    fn keys_in_memory(&self) -> usize {
        (self.memory_share() / 32) as usize
    }

    /// A path as reports show it: repository-relative where possible.
    fn display(&self, path: &Path) -> String {
        self.rel(path).unwrap_or_else(|| path.display().to_string())
    }

    fn check(
        &self,
        data: &Path,
        schema: &LoadedSchema,
        data_id: Option<Id>,
    ) -> Result<Vec<FileReport>, ValidateError> {
        let meta = std::fs::metadata(data).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ValidateError::NotFound {
                path: data.to_path_buf(),
            },
            _ => ValidateError::Data(IoError::new("read metadata of", data, e)),
        })?;
        if !meta.is_dir() {
            // A part (`--shard`) takes the files its hash names.
            if self
                .opts
                .part
                .is_some_and(|p| !p.takes(&self.display(data)))
            {
                return Ok(Vec::new());
            }
            let checked = self.check_file(data, meta.len(), schema, data_id, Scope::File, None)?;
            return Ok(vec![checked.report]);
        }
        let files = data_files(data)?;
        if files.is_empty() {
            return Err(ValidateError::NoData {
                path: data.to_path_buf(),
            });
        }
        let shards: Vec<Shard> = files.iter().map(|f| Shard::of(f)).collect();
        self.check_dataset(self.display(data), &shards, schema)
    }

    /// The data files of each foreign key's referenced table: a path in the
    /// repository (through the safe-path gate, as schemas are content from
    /// a clone), a file or a folder of files; none for this table itself.
    fn references(&self, schema: &crate::schema::Schema) -> Vec<Result<Vec<PathBuf>, String>> {
        schema
            .foreign_keys
            .iter()
            .map(|fk| {
                if fk.resource.is_empty() {
                    return Ok(Vec::new());
                }
                self.table_files(&fk.resource, "the referenced table")
            })
            .collect()
    }

    /// The data files of another table named in a schema (`what` it is, in
    /// messages): a repository path, through the safe-path gate, of a file
    /// or a folder of files.
    fn table_files(&self, path: &str, what: &str) -> Result<Vec<PathBuf>, String> {
        let root = self
            .repo
            .map_or_else(|| PathBuf::from("."), |r| r.root.clone());
        let abs = crate::repo_path::RepoPath::new(path)
            .and_then(|p| p.checked_abs(&root))
            .map_err(|e| format!("{what} {e}"))?;
        if abs.is_dir() {
            data_files(&abs).map_err(|e| e.to_string())
        } else if abs.is_file() {
            Ok(vec![abs])
        } else {
            Err(format!("{what} {path} does not exist"))
        }
    }

    /// The content id of a data file, without reading it when the stat
    /// cache knows it.
    fn file_id(&self, path: &Path, rel: Option<&str>) -> Result<Id, ValidateError> {
        let known = self.stat.as_ref().zip(rel).and_then(|(stat, rel)| {
            let before = Stat::of(&std::fs::metadata(path).ok()?);
            Some((stat, rel, before))
        });
        if let Some((stat, rel, before)) = &known
            && let Some(id) = lock(stat).get(rel, before)
        {
            return Ok(id);
        }
        let id = store::hash_file(path).map_err(ValidateError::Data)?.0;
        // Learnt only if the file did not change while it was read.
        if let Some((stat, rel, before)) = known
            && std::fs::metadata(path).is_ok_and(|m| Stat::of(&m) == before)
        {
            lock(stat).insert(rel.to_string(), before, id);
        }
        Ok(id)
    }

    /// Checks one file, as a table of its own or as a shard; a shard's
    /// runs go beside its cached result, or without a cache to `scratch`
    /// (a folder and the shard's number, naming them).
    fn check_file(
        &self,
        path: &Path,
        bytes: u64,
        schema: &LoadedSchema,
        data_id: Option<Id>,
        scope: Scope,
        scratch: Option<(&Path, usize)>,
    ) -> Result<Checked, ValidateError> {
        let format = Format::of(path).ok_or_else(|| ValidateError::UnknownFormat {
            path: path.to_path_buf(),
        })?;
        let rel = self.rel(path);
        let shown = rel.clone().unwrap_or_else(|| path.display().to_string());
        let references = self.references(&schema.schema);
        // A verdict that depends on other tables is not cached under this
        // data's id alone (a shard's overlap is judged at the merge).
        let external = schema
            .schema
            .foreign_keys
            .iter()
            .any(|fk| !fk.resource.is_empty())
            || (scope == Scope::File && !schema.schema.disjoint.is_empty());
        let keyed = match &self.cache {
            Some(cache) if !external => {
                let id = match data_id {
                    Some(id) => id,
                    None => self.file_id(path, rel.as_deref())?,
                };
                let key =
                    cache::Cache::key(&id, &schema.id, format.name(), self.opts.max_samples, scope);
                let profile_key = cache::Cache::profile_key(&id, &schema.id, format.name());
                // A result whose profile is gone is read again where the data is.
                let hit = cache.get(&key).and_then(|hit| {
                    let stats = cache.get_profile(&profile_key);
                    (stats.is_some() || !path.exists()).then_some((hit, stats))
                });
                if let Some((hit, stats)) = hit {
                    tracing::info!(
                        "{shown}: cached result for data {} and schema {}",
                        id.short(),
                        schema.id.short()
                    );
                    let mut report = hit.report;
                    report.path = shown;
                    report.schema = schema.display.clone();
                    report.cached = true;
                    report.stats = stats;
                    let runs = (hit.repeats.into_iter().enumerate())
                        .map(|(i, r)| (r, cache.run_path(&key, i)))
                        .collect();
                    return Ok(Checked { report, runs });
                }
                Some((cache, id, key))
            }
            _ => None,
        };
        if !path.exists() {
            return Err(ValidateError::NotHere {
                path: PathBuf::from(shown),
            });
        }
        tracing::info!("{shown}: checking against {}", schema.display);
        let spill = scratch.map_or_else(|| self.tmp(), |(dir, _)| dir.to_path_buf());
        let pass = engine::Pass {
            scope,
            keys_in_memory: self.keys_in_memory(),
            spill: &spill,
        };
        let outcome = engine::run(
            path,
            format,
            bytes,
            &schema.schema,
            &references,
            self.opts.max_samples,
            &pass,
        );
        let id = keyed.as_ref().map(|(_, id, _)| *id).or(data_id);
        if let (Some(cache), Some(id), Some(stats)) = (&self.cache, id, &outcome.stats) {
            let key = cache::Cache::profile_key(&id, &schema.id, format.name());
            if let Err(e) = cache.put_profile(&key, stats) {
                tracing::warn!("cannot record the profile: {e}");
            }
        }
        let mut report = FileReport {
            path: shown,
            schema: schema.display.clone(),
            format: format.name().into(),
            data_id: id,
            schema_id: schema.id,
            bytes,
            rows: outcome.rows,
            verdict: FileReport::judge(&outcome.findings),
            cached: false,
            findings: outcome.findings,
            passed: outcome.passed,
            not_checked: outcome.not_checked,
            profile: outcome.profile,
            shards: None,
            dataset: None,
            stats: outcome.stats,
        };
        // A file's overlap with other datasets is judged now, from its keys
        // written to a folder of its own.
        let own = match (scope, outcome.repeats.is_empty()) {
            (Scope::File, false) => Some(self.scratch()?),
            _ => None,
        };
        let scratch = scratch.or(own.as_ref().map(|d| (d.path(), 0)));
        let mut runs: Vec<(RepeatCheck, PathBuf)> = Vec::new();
        for (i, (check, keys)) in outcome.repeats.into_iter().enumerate() {
            let (run, tmp) = match (&keyed, scratch) {
                (Some((cache, _, key)), _) => {
                    cache.prepare(key).map_err(ValidateError::Data)?;
                    (cache.run_path(key, i), cache.tmp().to_path_buf())
                }
                (None, Some((dir, n))) => (dir.join(format!("{n}.{i}.keys")), dir.to_path_buf()),
                (None, None) => continue,
            };
            match keys {
                engine::Keys::Gathered(keys) => keys.finish(&run, &tmp),
                // Every check of a cached entry has a run of its own name.
                engine::Keys::SameAs(j) => repeats::same_run(&runs[j].1, &run, &tmp),
            }
            .map_err(ValidateError::Data)?;
            runs.push((check, run));
        }
        if let Some(own) = &own {
            let shown = [report.path.clone()];
            let rows = report.rows.unwrap_or(0);
            for (check, run) in runs.drain(..) {
                let files = [path.to_path_buf()];
                let (judged, _) = self.judge(
                    &report.path.clone(),
                    &check,
                    &[(0, run)],
                    &files,
                    &shown,
                    rows,
                    schema,
                    own.path(),
                )?;
                match judged {
                    Ok(f) => report.findings.push(f),
                    Err(p) => report.passed.push(p),
                }
            }
            report.verdict = FileReport::judge(&report.findings);
        }
        // An unreadable file may be a passing I/O fault: not worth keeping.
        if let Some((cache, _, key)) = keyed
            && report.verdict != Verdict::Unreadable
        {
            let entry = cache::Entry {
                report: report.clone(),
                repeats: runs.iter().map(|(c, _)| c.clone()).collect(),
            };
            if let Err(e) = cache.put(&key, &entry) {
                tracing::warn!("cannot record the check result: {e}");
            }
        }
        Ok(Checked { report, runs })
    }
}

impl Drop for Checker<'_> {
    /// Saves the ids learnt by hashing: derived state, so a failure to
    /// save only costs hashing again next time.
    fn drop(&mut self) {
        if let (Some(stat), Some(repo)) = (self.stat.take(), self.repo) {
            let mut stat = stat.into_inner().unwrap_or_else(PoisonError::into_inner);
            if let Err(e) = stat.save(&repo.state, &repo.tmp) {
                tracing::debug!("cannot save the stat cache: {e}");
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Every data file below `dir`, in path order.
pub fn data_files(dir: &Path) -> Result<Vec<PathBuf>, ValidateError> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            ValidateError::Data(IoError::new("list", path, e.into()))
        })?;
        if entry.file_type().is_file() && Format::of(entry.path()).is_some() {
            out.push(entry.into_path());
        }
    }
    Ok(out)
}

/// The cached report of a check, with default options, of `data_id`
/// against the schema `schema_id` as `format`; none if it was never checked.
pub fn cached_report(
    repo: &RepoDirs,
    data_id: &Id,
    schema_id: &Id,
    format: Format,
) -> Option<FileReport> {
    let key = cache::Cache::key(
        data_id,
        schema_id,
        format.name(),
        CheckOptions::default().max_samples,
        Scope::File,
    );
    cache::Cache::new(repo.state.clone(), repo.tmp.clone())
        .get(&key)
        .map(|e| e.report)
}

/// The repository's result cache, whose files also travel to and from
/// remotes (`kiln push --results`, `kiln fetch --results`).
pub fn result_cache(repo: &RepoDirs) -> ResultCache {
    cache::Cache::new(repo.state.clone(), repo.tmp.clone())
}

/// Removes the derived state of data not in `keep` (the objects a gc
/// keeps): results with their key runs, profiles, and the kept merges of
/// datasets whose runs went with them. Returns what it removed (or, for
/// a dry run, would).
pub fn sweep(repo: &RepoDirs, keep: &HashSet<Id>, dry_run: bool) -> Result<Swept, IoError> {
    let cache = result_cache(repo);
    let (swept, gone) = cache.sweep(keep, dry_run)?;
    let merges = merged::Merges::new(&repo.state, repo.tmp.clone());
    let live = |run: &str| !gone.contains(run) && cache.has_file(run);
    Ok(swept.join(merges.sweep(live, dry_run)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path resolved through its folder is the path `canonicalize`
    /// gives: through a linked folder, for a linked file, for a file that
    /// is absent (as given), and with `.` and `..` among its parts.
    #[test]
    fn paths_resolve_through_their_folders_as_canonicalize_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fsutil::create_dir_all(&root.join("d/e")).unwrap();
        fsutil::write_atomic(&root.join("d/f"), b"x", root).unwrap();
        fsutil::write_atomic(&root.join("d/e/h"), b"x", root).unwrap();
        std::os::unix::fs::symlink(root.join("d"), root.join("l")).unwrap();
        std::os::unix::fs::symlink("f", root.join("d/g")).unwrap();
        std::os::unix::fs::symlink("e", root.join("d/k")).unwrap();
        let opts = CheckOptions::default();
        let checker = Checker::new(None, &opts);
        for rel in [
            "d/f", "l/f", "d/g", "l/g", "d/e/h", "l/e/h", "d/k/h", "d/./f", "d/e/../f", "d/k",
            "d/k/.", "d/x", "l/x", "x/y",
        ] {
            let path = root.join(rel);
            let want = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            // Twice: the second from the folders already resolved.
            assert_eq!(checker.resolved(&path), want, "{rel}");
            assert_eq!(checker.resolved(&path), want, "{rel} again");
        }
    }
}
