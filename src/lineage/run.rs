//! `kiln run`: hash the dependencies, run the command, add the outputs and
//! record the run.

use std::path::Path;
use std::time::Duration;

use super::LineageError;
use super::record::{Code, Dep, Output, RunRecord, Status};
use super::send::{Collector, Delivery};
use crate::git::Git;
use crate::pointer;
use crate::progress::Progress;
use crate::repo::{Repo, RepoLock};
use crate::store::statcache::StatCache;
use crate::workspace::add::{self, AddOptions, Added};
use crate::workspace::hashing::{Hasher, Mode as HashMode};

/// What to run; every path repository-relative.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Defaults to the first output's path.
    pub name: Option<String>,
    pub argv: Vec<String>,
    /// Run `argv`, joined by spaces, with `sh -c`.
    pub shell: bool,
    /// The folder to run in ("" for the root).
    pub workdir: String,
    pub deps: Vec<String>,
    pub outputs: Vec<String>,
    /// Refuse to start on a dirty worktree.
    pub strict: bool,
}

/// How the caller wants waiting and progress handled.
pub struct RunEnv<'a> {
    /// How long to wait for another writer's lock.
    pub wait: Duration,
    /// Called once if another writer holds the lock.
    pub on_wait: &'a dyn Fn(),
    pub progress: &'a dyn Progress,
    /// Where to send OpenLineage events, if anywhere.
    pub collector: Option<&'a Collector>,
}

/// A recorded run.
pub struct Finished {
    pub record: RunRecord,
    /// The outputs as added (empty for a failed command).
    pub added: Vec<Added>,
    /// What became of the OpenLineage events, when a collector is set.
    pub delivery: Option<Delivery>,
}

/// Whether a changed path leaves the code clean: kiln's own files and the
/// run's declared outputs.
fn ignored_for_dirty(path: &str, outputs: &[String]) -> bool {
    add::kiln_owned(path)
        || outputs.iter().any(|o| {
            path == o
                || path
                    .strip_prefix(o.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
}

/// The code context of a run that declares `outputs`; none without git.
pub fn code_context(repo: &Repo, outputs: &[String]) -> Result<Option<Code>, LineageError> {
    if !repo.scm() {
        return Ok(None);
    }
    let ctx = Git::open(repo.root())?.context(&|p: &str| ignored_for_dirty(p, outputs))?;
    Ok(Some(ctx.into()))
}

/// Hashes a dependency as it is in the workspace.
fn hash_dep(
    repo: &Repo,
    cache: &mut StatCache,
    progress: &dyn Progress,
    rel: &str,
) -> Result<Dep, LineageError> {
    let store = repo.store();
    let hashed = Hasher::new(&store, repo.root(), cache, HashMode::HashOnly, progress)
        .hash(rel)?
        .ok_or_else(|| LineageError::DepMissing {
            path: rel.to_string(),
        })?;
    for (path, stat, id) in hashed.seen {
        cache.insert(path, stat, id);
    }
    let tracked = repo
        .root()
        .join(pointer::pointer_path(Path::new(rel)))
        .is_file();
    Ok(Dep {
        path: rel.to_string(),
        kind: hashed.kind,
        id: hashed.id,
        size: hashed.size,
        tracked,
    })
}

/// Data rows in a CSV, TSV or NDJSON file: line breaks outside quotes, less
/// the header. None for other formats or when the file cannot be read.
fn count_rows(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let header = if name.ends_with(".csv") || name.ends_with(".tsv") {
        true
    } else if name.ends_with(".ndjson") || name.ends_with(".jsonl") {
        false
    } else {
        return None;
    };
    let bytes = crate::fsutil::read(path).ok()?;
    let mut lines = 0u64;
    let mut quoted = false;
    for &b in &bytes {
        match b {
            b'"' if header => quoted = !quoted,
            b'\n' if !quoted => lines += 1,
            _ => {}
        }
    }
    if bytes.last().is_some_and(|&b| b != b'\n') {
        lines += 1;
    }
    Some(if header {
        lines.saturating_sub(1)
    } else {
        lines
    })
}

fn lock(repo: &Repo, env: &RunEnv) -> Result<RepoLock, LineageError> {
    Ok(repo.lock(env.wait, env.on_wait)?)
}

/// Runs the command and records it. A command that fails is recorded as
/// such and returned, not an error; kiln's own failures are errors.
pub fn run(repo: &Repo, spec: &RunSpec, env: &RunEnv) -> Result<Finished, LineageError> {
    for d in &spec.deps {
        if spec.outputs.contains(d) {
            return Err(LineageError::DepIsOutput { path: d.clone() });
        }
    }
    let git = if repo.scm() {
        Some(Git::open(repo.root())?)
    } else {
        None
    };
    // Refuse outputs that can never be added before spending time on the command.
    for o in &spec.outputs {
        if repo.root().join(o).symlink_metadata().is_ok() {
            add::check_addable(repo, o, git.as_ref())?;
        }
    }
    // An output still linked to the store (hardlink or symlink mode) would
    // be written through by a command that rewrites it in place, corrupting
    // the store: it gets its own copy first, as `kiln unprotect` makes.
    let linked: Vec<_> = crate::workspace::tracked(repo)?
        .into_iter()
        .filter(|t| spec.outputs.iter().any(|o| t.rel == **o))
        .collect();
    crate::workspace::unprotect::unprotect(repo, &linked)?;
    let code = code_context(repo, &spec.outputs)?;
    if spec.strict && code.as_ref().is_some_and(|c| c.dirty) {
        return Err(LineageError::Dirty);
    }
    let mut cache = StatCache::load(&repo.state_dir());
    let mut deps = Vec::with_capacity(spec.deps.len());
    for d in &spec.deps {
        deps.push(hash_dep(repo, &mut cache, env.progress, d)?);
    }
    let id = crate::clock::run_id();
    let started = crate::clock::now();
    let mut record = RunRecord {
        kiln_run: super::record::FORMAT,
        id,
        name: spec
            .name
            .clone()
            .unwrap_or_else(|| spec.outputs.first().cloned().unwrap_or_default()),
        argv: spec.argv.clone(),
        shell: spec.shell,
        workdir: spec.workdir.clone(),
        deps,
        outputs: spec
            .outputs
            .iter()
            .map(|p| Output {
                path: p.clone(),
                kind: None,
                id: None,
                size: None,
                rows: None,
            })
            .collect(),
        code,
        started,
        ended: started,
        status: Status::Fail,
        exit_code: None,
        kiln_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut delivery = None;
    if let Some(c) = env.collector {
        let _lock = lock(repo, env)?;
        let start = super::openlineage::start_event(repo, &record);
        delivery = Some(c.deliver(repo, vec![start])?);
    }

    let (_lock, added) = match execute(repo, spec, env, &mut record, &mut cache) {
        Ok(done) => done,
        Err(e) => {
            // The collector saw the run start: say it ended without a result.
            if let (Some(c), Some(_)) = (env.collector, &delivery)
                && let Ok(_lock) = lock(repo, env)
            {
                let abort = super::openlineage::abort_event(repo, &record, crate::clock::now());
                if let Err(e) = c.deliver(repo, vec![abort]) {
                    tracing::warn!("cannot send the OpenLineage ABORT event: {e}");
                }
            }
            return Err(e);
        }
    };
    record.write(repo)?;
    cache.save(&repo.state_dir(), &repo.tmp_dir())?;
    if let Some(c) = env.collector {
        let end = super::openlineage::end_event(repo, &record);
        let d = c.deliver(repo, vec![end])?;
        delivery = Some(match delivery {
            Some(first) => first.then(d),
            None => d,
        });
    }
    Ok(Finished {
        record,
        added,
        delivery,
    })
}

/// Runs the command and, when it succeeds, checks the dependencies and adds
/// the outputs. Returns the lock, held for writing the record.
fn execute(
    repo: &Repo,
    spec: &RunSpec,
    env: &RunEnv,
    record: &mut RunRecord,
    cache: &mut StatCache,
) -> Result<(RepoLock, Vec<Added>), LineageError> {
    let status = spawn(repo, spec)?;
    record.ended = crate::clock::now();
    record.exit_code = status.code();

    let held = lock(repo, env)?;
    let mut added = Vec::new();
    if status.success() {
        for d in &record.deps {
            let now = hash_dep(repo, cache, env.progress, &d.path);
            match now {
                Ok(now) if now.id == d.id && now.kind == d.kind => {}
                Ok(_) | Err(LineageError::DepMissing { .. }) => {
                    return Err(LineageError::DepChanged {
                        path: d.path.clone(),
                    });
                }
                Err(e) => return Err(e),
            }
        }
        for o in &spec.outputs {
            if repo.root().join(o).symlink_metadata().is_err() {
                return Err(LineageError::OutputMissing { path: o.clone() });
            }
        }
        let opts = AddOptions {
            run: Some(record.id.to_string()),
            ..Default::default()
        };
        for (o, out) in spec.outputs.iter().zip(record.outputs.iter_mut()) {
            let a = crate::binding::add(repo, o, &opts, cache, env.progress)?;
            out.kind = Some(a.pointer.kind);
            out.id = Some(a.pointer.id);
            out.size = Some(a.pointer.size);
            out.rows = (a.pointer.kind == pointer::Kind::File)
                .then(|| count_rows(&repo.root().join(o)))
                .flatten();
            added.push(a);
        }
        record.status = Status::Complete;
    }
    Ok((held, added))
}

/// Runs the command with kiln's standard streams, waiting for it to end.
fn spawn(repo: &Repo, spec: &RunSpec) -> Result<std::process::ExitStatus, LineageError> {
    let (program, args): (&str, Vec<String>) = if spec.shell {
        ("sh", vec!["-c".to_string(), spec.argv.join(" ")])
    } else {
        let (first, rest) = spec.argv.split_first().ok_or(LineageError::NoCommand)?;
        (first.as_str(), rest.to_vec())
    };
    std::process::Command::new(program)
        .args(&args)
        .current_dir(repo.root().join(&spec.workdir))
        .status()
        .map_err(|source| LineageError::Spawn {
            program: program.to_string(),
            source,
        })
}
