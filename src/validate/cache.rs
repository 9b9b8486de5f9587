//! The result cache: a report per (data id, schema id, kiln version, file
//! format, sample count), so checking unchanged data again is a lookup.
//! Derived state under `.kiln/state/`: deleting it only costs time.

use std::path::PathBuf;

use super::report::FileReport;
use crate::fsutil::{self, IoError};
use crate::store::Id;

/// Versioned by name: a new layout gets a new folder.
const DIR: &str = "checks-v1";
/// Raised when the same kiln version would judge data differently (v2:
/// blanks around numbers ignored, the profile's distinct estimate; v3: row
/// shapes, quoted empty cells, missing values matched on the raw cell).
const KEY_CONTEXT: &str = "kiln 2026-11 check result v3";

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

    pub fn key(data: &Id, schema: &Id, format: &str, max_samples: usize) -> Id {
        let mut h = blake3::Hasher::new_derive_key(KEY_CONTEXT);
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(b"\0");
        h.update(data.as_bytes());
        h.update(schema.as_bytes());
        h.update(format.as_bytes());
        h.update(b"\0");
        h.update(&(max_samples as u64).to_le_bytes());
        Id::from(h.finalize())
    }

    fn path(&self, key: &Id) -> PathBuf {
        let hex = key.hex();
        self.dir.join(&hex[..2]).join(format!("{}.json", &hex[2..]))
    }

    /// The stored report; a missing or unreadable entry is a miss.
    pub fn get(&self, key: &Id) -> Option<FileReport> {
        let bytes = crate::fsutil::read(&self.path(key)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Stores a report atomically: concurrent checks write the same bytes.
    pub fn put(&self, key: &Id, report: &FileReport) -> Result<(), IoError> {
        let path = self.path(key);
        let parent = path.parent().expect("cache entries have a parent");
        fsutil::create_dir_all(parent)?;
        fsutil::create_dir_all(&self.tmp)?;
        let json = serde_json::to_vec(report).expect("reports serialise");
        fsutil::write_atomic(&path, &json, &self.tmp)
    }
}
