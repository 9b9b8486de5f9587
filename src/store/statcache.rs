//! The stat cache: which content id a workspace file had when its inode,
//! size, modification and change times were last seen. It lets kiln skip
//! hashing unchanged files. Derived state: deleting it only costs time.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::fsutil::{self, IoError};
use crate::store::Id;

const MAGIC: &[u8] = b"kiln-stat 1\n";
const FILE: &str = "stat-v1";

/// What identifies a file's state without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

impl Stat {
    pub fn of(meta: &fs::Metadata) -> Stat {
        Stat {
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec() as u32),
            ctime: (meta.ctime(), meta.ctime_nsec() as u32),
        }
    }
}

/// Repository-relative path → (stat, id).
#[derive(Default)]
pub struct StatCache {
    entries: HashMap<String, (Stat, Id)>,
    dirty: bool,
}

impl StatCache {
    fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(FILE)
    }

    /// Loads the cache; a missing or unreadable cache is an empty one.
    pub fn load(state_dir: &Path) -> StatCache {
        let bytes = match fsutil::read(&Self::path(state_dir)) {
            Ok(b) => b,
            Err(_) => return StatCache::default(),
        };
        match decode(&bytes) {
            Some(entries) => StatCache {
                entries,
                dirty: false,
            },
            None => {
                tracing::warn!("ignoring a damaged stat cache; files will be hashed again");
                StatCache::default()
            }
        }
    }

    /// The id recorded for `rel`, if its stat has not changed.
    pub fn get(&self, rel: &str, stat: &Stat) -> Option<Id> {
        self.entries
            .get(rel)
            .filter(|(s, _)| s == stat)
            .map(|(_, id)| *id)
    }

    pub fn insert(&mut self, rel: String, stat: Stat, id: Id) {
        if self.entries.get(&rel) != Some(&(stat, id)) {
            self.entries.insert(rel, (stat, id));
            self.dirty = true;
        }
    }

    /// Writes the cache if it changed (atomically, so readers never see half).
    pub fn save(&mut self, state_dir: &Path, tmp_dir: &Path) -> Result<(), IoError> {
        if !self.dirty {
            return Ok(());
        }
        fsutil::create_dir_all(state_dir)?;
        fsutil::write_atomic(&Self::path(state_dir), &encode(&self.entries), tmp_dir)?;
        self.dirty = false;
        Ok(())
    }
}

fn encode(entries: &HashMap<String, (Stat, Id)>) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + entries.len() * 120);
    out.extend_from_slice(MAGIC);
    for (path, (s, id)) in entries {
        out.extend_from_slice(&(path.len() as u32).to_le_bytes());
        out.extend_from_slice(path.as_bytes());
        out.extend_from_slice(&s.ino.to_le_bytes());
        out.extend_from_slice(&s.size.to_le_bytes());
        out.extend_from_slice(&s.mtime.0.to_le_bytes());
        out.extend_from_slice(&s.mtime.1.to_le_bytes());
        out.extend_from_slice(&s.ctime.0.to_le_bytes());
        out.extend_from_slice(&s.ctime.1.to_le_bytes());
        out.extend_from_slice(id.as_bytes());
    }
    out
}

fn decode(bytes: &[u8]) -> Option<HashMap<String, (Stat, Id)>> {
    let mut r = bytes.strip_prefix(MAGIC)?;
    let mut out = HashMap::new();
    fn take<'a>(r: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if r.len() < n {
            return None;
        }
        let (a, b) = r.split_at(n);
        *r = b;
        Some(a)
    }
    fn u32_(r: &mut &[u8]) -> Option<u32> {
        Some(u32::from_le_bytes(take(r, 4)?.try_into().ok()?))
    }
    fn u64_(r: &mut &[u8]) -> Option<u64> {
        Some(u64::from_le_bytes(take(r, 8)?.try_into().ok()?))
    }
    while !r.is_empty() {
        let len = u32_(&mut r)? as usize;
        let path = std::str::from_utf8(take(&mut r, len)?).ok()?.to_string();
        let ino = u64_(&mut r)?;
        let size = u64_(&mut r)?;
        let mtime = (u64_(&mut r)? as i64, u32_(&mut r)?);
        let ctime = (u64_(&mut r)? as i64, u32_(&mut r)?);
        let id = Id::from_bytes(take(&mut r, 32)?.try_into().ok()?);
        out.insert(
            path,
            (
                Stat {
                    ino,
                    size,
                    mtime,
                    ctime,
                },
                id,
            ),
        );
    }
    Some(out)
}
