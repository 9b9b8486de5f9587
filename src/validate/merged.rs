//! What the last merge of a dataset's keys left, kept so that the next
//! check of the same dataset merges only what is new. Shards are most
//! often added at the end of a dataset (new parts, numbered after the
//! old): when the runs merged last time are the first runs of this check,
//! their repeats stand, and only the new runs' keys are merged and looked
//! up among the first rows of every key seen before, which are kept in
//! sorted files of entries (levels, joined into one now and then). When
//! anything else changed, the whole dataset is merged again. Derived
//! state under `.kiln/state/`: deleting it only costs time.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::cache::Swept;
use super::engine::RepeatCheck;
use super::repeats::{self, Entries, Found};
use crate::fsutil::{self, Context, IoError};
use crate::store::Id;

const DIR: &str = "merges-v1";
const KEY_CONTEXT: &str = "kiln 2026-12 dataset merge v2";
/// Levels kept before they are joined into one (a merge, whole or of a
/// re-check's shards, leaves one for each core): each re-check reads every
/// level once, and joining reads and writes them all.
const MAX_LEVELS: usize = 16;
/// A level younger than this that no kept merge holds may be a running
/// check's, not yet kept: a sweep leaves it.
const LEVEL_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

/// The levels one merge makes, a part of the fingerprints each, named
/// as they are made (by the parts' threads).
struct NewLevels<'a> {
    merges: &'a Merges,
    key: &'a Id,
    names: std::sync::Mutex<Vec<String>>,
}

impl<'a> NewLevels<'a> {
    fn of(merges: &'a Merges, key: &'a Id) -> Self {
        NewLevels {
            merges,
            key,
            names: Default::default(),
        }
    }

    fn make(&self) -> Result<Entries, IoError> {
        let (name, level) = self.merges.new_level(self.key)?;
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(name);
        Ok(level)
    }

    fn names(self) -> Vec<String> {
        self.names.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// What one merge of a dataset's keys found, and over which runs.
#[derive(Serialize, Deserialize)]
struct State {
    /// Each shard's run, by its name in the result cache, in dataset order.
    runs: Vec<String>,
    /// The other dataset's keys (a digest of their runs), for an overlap.
    theirs: Option<String>,
    found: Found,
    /// Files beside the state holding the first row of every key, for a
    /// check of repeats; empty for an overlap, which needs none.
    levels: Vec<String>,
    /// Each level's size when it was kept: a level cut short (say by a
    /// crash before the system wrote it out) is not read as a whole one.
    #[serde(default)]
    sizes: Vec<u64>,
}

/// The kept merges of a repository.
pub struct Merges {
    dir: PathBuf,
    tmp: PathBuf,
}

impl Merges {
    pub fn new(state_dir: &Path, tmp: PathBuf) -> Merges {
        Merges {
            dir: state_dir.join(DIR),
            tmp,
        }
    }

    /// One kept merge per dataset and check: the next check of either
    /// replaces it.
    pub fn key(dataset: &str, schema: &Id, check: &RepeatCheck, max_samples: usize) -> Id {
        let mut h = blake3::Hasher::new_derive_key(KEY_CONTEXT);
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        for part in [
            dataset,
            &check.code,
            check.field.as_deref().unwrap_or(""),
            &serde_json::to_string(&check.against).expect("checks serialise"),
        ] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.update(schema.as_bytes());
        h.update(&(max_samples as u64).to_le_bytes());
        Id::from(h.finalize())
    }

    fn state_path(&self, key: &Id) -> PathBuf {
        self.dir.join(format!("{}.json", key.hex()))
    }

    fn level_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The kept merge, if it and all its levels are here.
    fn get(&self, key: &Id) -> Option<State> {
        let bytes = fsutil::read(&self.state_path(key)).ok()?;
        let state: State = serde_json::from_slice(&bytes).ok()?;
        let whole = state.levels.len() == state.sizes.len()
            && state.levels.iter().zip(&state.sizes).all(|(l, size)| {
                let path = self.level_path(l);
                is_level_name(key, l) && path.metadata().is_ok_and(|m| m.len() == *size)
            });
        whole.then_some(state)
    }

    /// A new level: its name, which no other check picks, and its
    /// entries to write.
    fn new_level(&self, key: &Id) -> Result<(String, Entries), IoError> {
        fsutil::create_dir_all(&self.dir)?;
        let file = tempfile::Builder::new()
            .prefix(&format!("{}.", key.hex()))
            .suffix(".keys")
            .tempfile_in(&self.dir)
            .ctx("create a file in", &self.dir)?;
        let (file, path) = file.keep().map_err(|e| e.error).ctx("create", &self.dir)?;
        let name = fsutil::rel_string(&self.dir, &path).expect("a level is in its folder");
        Ok((name, Entries::new(file, &path)?))
    }

    /// Keeps `state` as the merge of `key` (derived state: a failure only
    /// costs the next check a whole merge) and gives back what it found.
    fn keep(&self, key: &Id, state: State) -> Found {
        let found = state.found.clone();
        if let Err(e) = self.put(key, state) {
            tracing::warn!("cannot keep the merge of a dataset's keys: {e}");
        }
        found
    }

    /// Stores `state` as the merge of `key`, and removes the levels of
    /// the merge it replaces (or that an interrupted check left).
    fn put(&self, key: &Id, mut state: State) -> Result<(), IoError> {
        fsutil::create_dir_all(&self.dir)?;
        fsutil::create_dir_all(&self.tmp)?;
        state.sizes = state
            .levels
            .iter()
            .map(|l| fsutil::metadata(&self.level_path(l)).map(|m| m.len()))
            .collect::<Result<_, _>>()?;
        let json = serde_json::to_vec(&state).expect("merges serialise");
        fsutil::write_atomic(&self.state_path(key), &json, &self.tmp)?;
        for entry in std::fs::read_dir(&self.dir).ctx("list", &self.dir)? {
            let name = entry.ctx("list", &self.dir)?.file_name();
            let name = name.to_string_lossy();
            if is_level_name(key, &name) && !state.levels.iter().any(|l| *l == name) {
                fsutil::remove_file_if_exists(&self.level_path(&name))?;
            }
        }
        Ok(())
    }

    /// What a check of repeats finds over `runs` (paths in the result
    /// cache, named by `names`), from the kept merge where it covers the
    /// first runs, and how many runs it merged now; the merge is kept for
    /// the next check.
    pub fn repeats(
        &self,
        key: &Id,
        names: Vec<String>,
        runs: &[PathBuf],
        n: usize,
        scratch: &Path,
    ) -> Result<(Found, usize), IoError> {
        if let Some(old) = self.get(key).filter(|s| covers(s, &names, None)) {
            let m = old.runs.len();
            if m == names.len() {
                return Ok((old.found, 0));
            }
            match self.extend(key, old, &names, runs, n, scratch) {
                Ok(state) => return Ok((self.keep(key, state), names.len() - m)),
                // A level another check removed meanwhile, say: merge it all.
                Err(e) => tracing::warn!("merging all of a dataset's keys again: {e}"),
            }
        }
        let levels = NewLevels::of(self, key);
        let found = repeats::merge(runs, n, scratch, Some(&|| levels.make()))?;
        let state = State {
            runs: names,
            theirs: None,
            found,
            levels: levels.names(),
            sizes: Vec::new(),
        };
        Ok((self.keep(key, state), runs.len()))
    }

    /// The kept merge `old` with the runs after its own merged into it.
    fn extend(
        &self,
        key: &Id,
        old: State,
        names: &[String],
        runs: &[PathBuf],
        n: usize,
        scratch: &Path,
    ) -> Result<State, IoError> {
        let m = old.runs.len();
        let levels: Vec<PathBuf> = old.levels.iter().map(|l| self.level_path(l)).collect();
        let made = NewLevels::of(self, key);
        let (more, new_keys) =
            repeats::extend(&levels, &runs[m..], m as u64, n, scratch, &|| made.make())?;
        tracing::debug!(
            "{} runs merged into the kept merge of {m}: {} repeats, {new_keys} new keys",
            runs.len() - m,
            more.repeats
        );
        let mut kept = old.levels;
        // A part without a new key leaves an empty level: not kept.
        for name in made.names() {
            let path = self.level_path(&name);
            if fsutil::metadata(&path)?.len() == 0 {
                fsutil::remove_file(&path)?;
            } else {
                kept.push(name);
            }
        }
        if kept.len() > MAX_LEVELS {
            let (name, level) = self.new_level(key)?;
            let all: Vec<PathBuf> = kept.iter().map(|l| self.level_path(l)).collect();
            repeats::compact(&all, level)?;
            kept = vec![name];
        }
        Ok(State {
            runs: names.to_vec(),
            theirs: None,
            found: old.found.join(more, n),
            levels: kept,
            sizes: Vec::new(),
        })
    }

    /// What a check of overlap finds between `runs` and `theirs`, as
    /// [`Merges::repeats`] does: from the kept merge where it covers the
    /// first runs and the same keys of theirs.
    #[allow(clippy::too_many_arguments)]
    pub fn overlap(
        &self,
        key: &Id,
        names: Vec<String>,
        runs: &[PathBuf],
        theirs: &[PathBuf],
        n: usize,
        memory: u64,
        scratch: &Path,
    ) -> Result<(Found, usize), IoError> {
        let digest = digest(theirs)?;
        let (found, m) = match self.get(key).filter(|s| covers(s, &names, Some(&digest))) {
            Some(old) if old.runs.len() == names.len() => return Ok((old.found, 0)),
            Some(old) => {
                let m = old.runs.len();
                let more = repeats::overlap(&runs[m..], m as u64, theirs, n, memory, scratch)?;
                (old.found.join(more, n), m)
            }
            None => (repeats::overlap(runs, 0, theirs, n, memory, scratch)?, 0),
        };
        let state = State {
            runs: names,
            theirs: Some(digest),
            found,
            levels: Vec::new(),
            sizes: Vec::new(),
        };
        Ok((self.keep(key, state), runs.len() - m))
    }

    /// Removes the kept merges of runs that are not all `live` (say, swept
    /// from the result cache) with their levels, and the levels no merge
    /// names unless they are young (a running check's, not yet kept).
    pub fn sweep(&self, live: impl Fn(&str) -> bool, dry_run: bool) -> Result<Swept, IoError> {
        let mut swept = Swept::default();
        let Ok(listing) = std::fs::read_dir(&self.dir) else {
            return Ok(swept);
        };
        let mut names = Vec::new();
        for entry in listing {
            names.push(
                entry
                    .ctx("list", &self.dir)?
                    .file_name()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        // Levels kept merges hold, and levels of the merges removed.
        let (mut held, mut dropped) = (HashSet::new(), HashSet::new());
        for name in names.iter().filter(|n| n.ends_with(".json")) {
            let path = self.dir.join(name);
            let state = fsutil::read(&path)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<State>(&bytes).ok());
            match state {
                Some(state) if state.runs.iter().all(|r| live(r)) => held.extend(state.levels),
                other => {
                    dropped.extend(other.map(|s| s.levels).unwrap_or_default());
                    swept.add(&path, dry_run)?;
                }
            }
        }
        let now = std::time::SystemTime::now();
        for name in names
            .iter()
            .filter(|n| n.ends_with(".keys") && !held.contains(*n))
        {
            let path = self.level_path(name);
            let young = fsutil::metadata(&path)
                .ok()
                .and_then(|m| m.modified().ok())
                .is_some_and(|t| now.duration_since(t).unwrap_or_default() < LEVEL_GRACE);
            if dropped.contains(name) || !young {
                swept.add(&path, dry_run)?;
            }
        }
        Ok(swept)
    }
}

/// Whether `state` merged the first runs of `names` (and, for an overlap,
/// the same keys of the other dataset).
fn covers(state: &State, names: &[String], theirs: Option<&String>) -> bool {
    state.theirs.as_ref() == theirs && names.starts_with(&state.runs)
}

/// Whether `name` is a level of the merge `key` (made by
/// [`Merges::new_level`]): nothing else in the folder is ever removed.
fn is_level_name(key: &Id, name: &str) -> bool {
    name.strip_prefix(&key.hex())
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix(".keys"))
        .is_some_and(|mid| !mid.is_empty() && mid.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A digest of the other dataset's runs: the same keys in the same files
/// give the same digest.
fn digest(runs: &[PathBuf]) -> Result<String, IoError> {
    let mut h = blake3::Hasher::new();
    for run in runs {
        let bytes = fsutil::read(run)?;
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(h.finalize().to_hex().to_string())
}
