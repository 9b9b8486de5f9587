//! The result cache: a report per (data id, schema id, kiln version, file
//! format, sample count, scope), so checking unchanged data again is a
//! lookup. A shard's entry keeps its sorted key runs beside it, so a
//! dataset's repeats merge without reading its data. A data version's
//! profile is kept by (data id, schema id, format), so that drift between
//! versions needs no read of either. Derived state under
//! `.kiln/state/`: deleting it only costs time.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::engine::{RepeatCheck, Scope};
use super::report::FileReport;
use crate::fsutil::{self, IoError};
use crate::stats::Profile;
use crate::store::Id;

/// A cached result: the report and, for a shard, its checks of repeated
/// keys, whose runs are stored at [`Cache::run_path`].
#[derive(Serialize, Deserialize)]
pub struct Entry {
    pub report: FileReport,
    #[serde(default)]
    pub repeats: Vec<RepeatCheck>,
}

/// Versioned by name: a new layout gets a new folder (and a new place on
/// remotes, which hold the same files).
pub const DIR: &str = "checks-v1";
/// Raised when the same kiln version would judge data differently (v2:
/// blanks around numbers ignored, the profile's distinct estimate; v3: row
/// shapes, quoted empty cells, missing values matched on the raw cell; v4:
/// shards, entries with their key runs; v5: each with its profile).
const KEY_CONTEXT: &str = "kiln 2026-11 check result v5";
/// Raised when a profile's summaries change form or meaning.
const PROFILE_CONTEXT: &str = "kiln 2026-11 profile v1";
const COLUMN_KEYS_CONTEXT: &str = "kiln 2026-12 keys of another dataset v1";

pub struct Cache {
    dir: PathBuf,
    tmp: PathBuf,
}

impl Cache {
    pub fn new(state_dir: PathBuf, tmp: PathBuf) -> Cache {
        Cache {
            dir: state_dir.join(DIR),
            tmp,
        }
    }

    pub fn key(data: &Id, schema: &Id, format: &str, max_samples: usize, scope: Scope) -> Id {
        let mut h = blake3::Hasher::new_derive_key(KEY_CONTEXT);
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(b"\0");
        h.update(data.as_bytes());
        h.update(schema.as_bytes());
        h.update(format.as_bytes());
        h.update(b"\0");
        h.update(&(max_samples as u64).to_le_bytes());
        h.update(match scope {
            Scope::File => b"file",
            Scope::Shard => b"shrd",
        });
        Id::from(h.finalize())
    }

    /// The keys of `fields` of a data version read as another dataset's
    /// (the other side of a `disjoint`): read without a schema, they
    /// depend on its content, its form and the fields alone. Kept as the
    /// run of such an entry, with no result (a sweep removes it).
    pub fn column_keys_key(data: &Id, format: &str, fields: &[String]) -> Id {
        let mut h = blake3::Hasher::new_derive_key(COLUMN_KEYS_CONTEXT);
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(b"\0");
        h.update(data.as_bytes());
        h.update(format.as_bytes());
        h.update(b"\0");
        for f in fields {
            h.update(&(f.len() as u64).to_le_bytes());
            h.update(f.as_bytes());
        }
        Id::from(h.finalize())
    }

    /// A data version's profile under a schema: not tied to a kiln
    /// version, so profiles of old versions outlive upgrades.
    pub fn profile_key(data: &Id, schema: &Id, format: &str) -> Id {
        let mut h = blake3::Hasher::new_derive_key(PROFILE_CONTEXT);
        h.update(data.as_bytes());
        h.update(schema.as_bytes());
        h.update(format.as_bytes());
        Id::from(h.finalize())
    }

    pub fn get_profile(&self, key: &Id) -> Option<Profile> {
        let bytes = crate::fsutil::read(&self.path(key).with_extension(PROFILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub fn put_profile(&self, key: &Id, profile: &Profile) -> Result<(), IoError> {
        self.prepare(key)?;
        let json = serde_json::to_vec(profile).expect("profiles serialise");
        fsutil::write_atomic(&self.path(key).with_extension(PROFILE), &json, &self.tmp)
    }

    fn path(&self, key: &Id) -> PathBuf {
        self.dir.join(entry_rel(key))
    }

    /// Where the run of repeat check `i` of the entry `key` is kept.
    pub fn run_path(&self, key: &Id, i: usize) -> PathBuf {
        self.path(key).with_extension(format!("{i}.keys"))
    }

    /// A run's name in the cache (its path below the cache folder), which
    /// names its content; `None` for a run kept elsewhere.
    pub fn run_name(&self, path: &std::path::Path) -> Option<String> {
        path.starts_with(&self.dir)
            .then(|| fsutil::rel_string(&self.dir, path))
            .flatten()
    }

    /// The stored entry; a missing or unreadable entry, or one whose runs
    /// are gone, is a miss.
    pub fn get(&self, key: &Id) -> Option<Entry> {
        let bytes = crate::fsutil::read(&self.path(key)).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (0..entry.repeats.len())
            .all(|i| self.run_path(key, i).is_file())
            .then_some(entry)
    }

    /// Stores an entry atomically (its runs already in place): concurrent
    /// checks write the same bytes.
    pub fn put(&self, key: &Id, entry: &Entry) -> Result<(), IoError> {
        let path = self.path(key);
        self.prepare(key)?;
        let json = serde_json::to_vec(entry).expect("reports serialise");
        fsutil::write_atomic(&path, &json, &self.tmp)
    }

    /// Makes the folders an entry and its runs are written through.
    pub fn prepare(&self, key: &Id) -> Result<(), IoError> {
        let path = self.path(key);
        let parent = path.parent().expect("cache entries have a parent");
        fsutil::create_dir_all(parent)?;
        fsutil::create_dir_all(&self.tmp)
    }

    pub fn tmp(&self) -> &std::path::Path {
        &self.tmp
    }

    /// Every file of the cache, by its path below the cache folder, each
    /// entry's runs before its report (so a copy made in this order never
    /// holds a report without its runs).
    pub fn files(&self) -> Result<Vec<(String, PathBuf)>, IoError> {
        let mut out = Vec::new();
        if !self.dir.is_dir() {
            return Ok(out);
        }
        for entry in walkdir::WalkDir::new(&self.dir).min_depth(2).max_depth(2) {
            let entry = entry.map_err(|e| {
                let path = e.path().unwrap_or(&self.dir).to_path_buf();
                IoError::new("list", path, e.into())
            })?;
            if let Some(rel) = fsutil::rel_string(&self.dir, entry.path())
                && is_file_name(&rel)
            {
                out.push((rel, entry.into_path()));
            }
        }
        out.sort_by_key(|(rel, _)| (rel.ends_with(".json"), rel.clone()));
        Ok(out)
    }

    /// Stores a file of the cache that came from elsewhere: a report is
    /// kept only if it reads as one. `rel` must pass [`is_file_name`].
    pub fn put_file(&self, rel: &str, bytes: &[u8]) -> Result<bool, IoError> {
        let reads = if rel.ends_with(".json") {
            serde_json::from_slice::<Entry>(bytes).is_ok()
        } else if rel.ends_with(PROFILE) {
            serde_json::from_slice::<Profile>(bytes).is_ok()
        } else {
            true
        };
        if !is_file_name(rel) || !reads {
            return Ok(false);
        }
        let path = self.dir.join(rel);
        let parent = path.parent().expect("cache files have a parent");
        fsutil::create_dir_all(parent)?;
        fsutil::create_dir_all(&self.tmp)?;
        fsutil::write_atomic(&path, bytes, &self.tmp)?;
        Ok(true)
    }

    pub fn has_file(&self, rel: &str) -> bool {
        is_file_name(rel) && self.dir.join(rel).is_file()
    }

    /// Removes the results of data not in `keep`, with their runs, and
    /// the profiles no kept result names (so also those of results from
    /// before results named their data): the derived state of data the
    /// store no longer holds. Returns what it removed (or, for a dry run,
    /// would), and the names of those files.
    pub fn sweep(
        &self,
        keep: &HashSet<Id>,
        dry_run: bool,
    ) -> Result<(Swept, HashSet<String>), IoError> {
        let files = self.files()?;
        // The entries and profiles kept, by their keys' path stems (`xx/…`).
        let mut kept: HashSet<String> = HashSet::new();
        for (rel, path) in files.iter().filter(|(rel, _)| rel.ends_with(".json")) {
            let entry = fsutil::read(path)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).ok());
            let Some(r) = entry.map(|e| e.report) else {
                continue;
            };
            if let Some(data) = r.data_id.filter(|d| keep.contains(d)) {
                kept.insert(stem(rel).to_string());
                let profile = Cache::profile_key(&data, &r.schema_id, &r.format);
                kept.insert(stem(&entry_rel(&profile)).to_string());
            }
        }
        let mut swept = Swept::default();
        let mut gone = HashSet::new();
        for (rel, path) in files {
            if kept.contains(stem(&rel)) {
                continue;
            }
            swept.add(&path, dry_run)?;
            gone.insert(rel);
        }
        Ok((swept, gone))
    }
}

/// A key's entry below the cache folder.
fn entry_rel(key: &Id) -> String {
    let hex = key.hex();
    format!("{}/{}.json", &hex[..2], &hex[2..])
}

/// A cache file's key part, `xx/` and the rest of the key.
fn stem(rel: &str) -> &str {
    rel.split_once('.').map_or(rel, |(stem, _)| stem)
}

/// Derived state a sweep removed.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Swept {
    pub files: u64,
    pub bytes: u64,
}

impl Swept {
    /// Counts the file at `path`, and removes it unless `dry_run`.
    pub fn add(&mut self, path: &std::path::Path, dry_run: bool) -> Result<(), IoError> {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return Ok(());
        };
        if !dry_run {
            fsutil::remove_file_if_exists(path)?;
        }
        self.files += 1;
        self.bytes += meta.len();
        Ok(())
    }

    pub fn join(self, o: Swept) -> Swept {
        Swept {
            files: self.files + o.files,
            bytes: self.bytes + o.bytes,
        }
    }
}

const PROFILE: &str = "profile";

/// Whether `rel` names a file of the cache: `xx/` and the rest of a key in
/// hex, then `.json`, `.profile` or `.N.keys`. Anything else a remote lists is not
/// looked at.
pub fn is_file_name(rel: &str) -> bool {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let Some((dir, name)) = rel.split_once('/') else {
        return false;
    };
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    hex(dir, 2)
        && hex(stem, 62)
        && (ext == "json"
            || ext == PROFILE
            || ext.strip_suffix(".keys").is_some_and(|i| {
                !i.is_empty() && i.len() < 5 && i.bytes().all(|b| b.is_ascii_digit())
            }))
}
