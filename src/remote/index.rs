//! What is known to be on a remote: ids seen there by a listing, an
//! existence check, an upload or a download. Derived and rebuildable:
//! `.kiln/state/remote-v1-<key>`, a header line, the remote's gc
//! generation, then 32-byte ids appended. A torn append after a crash is cut
//! off when read.
//!
//! A gc on the remote (from any clone) writes a new generation first, so a
//! clone that finds another generation than its index was built under
//! forgets what it knew instead of trusting objects the gc may have deleted.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::fsutil::{self, Context, IoError};
use crate::store::Id;

const MAGIC: &[u8] = b"kiln remote index 2\n";
/// A generation's digest: 32 hex digits and a newline.
const GENERATION_LEN: usize = 33;
/// The generation of an index written without asking the remote (by a
/// fetch, which only adds what it saw): it matches no real generation.
const UNKNOWN: &str = "00000000000000000000000000000000";

/// A remote's gc generation, as the digest of its marker file's bytes.
pub fn generation(marker: &[u8]) -> String {
    blake3::hash(marker).to_hex()[..GENERATION_LEN - 1].to_string()
}

pub struct RemoteIndex {
    path: PathBuf,
    known: HashSet<Id>,
    per_prefix: Vec<u32>,
    pending: Vec<Id>,
    /// The file must be written whole again (reset, torn or foreign).
    rewrite: bool,
    generation: String,
}

impl RemoteIndex {
    /// The index for the remote identified by `key` (its URL and endpoint),
    /// empty unless it was built under `generation` (None: whichever it was).
    pub fn load(state_dir: &Path, key: &str, generation: Option<&str>) -> RemoteIndex {
        let digest = blake3::hash(key.as_bytes()).to_hex();
        let path = state_dir.join(format!("remote-v1-{}", &digest[..16]));
        let mut index = RemoteIndex {
            path,
            known: HashSet::new(),
            per_prefix: vec![0; 256],
            pending: Vec::new(),
            rewrite: false,
            generation: generation.unwrap_or(UNKNOWN).to_string(),
        };
        let bytes = match crate::fsutil::read(&index.path) {
            Ok(b) => b,
            Err(_) => return index,
        };
        let header = bytes
            .strip_prefix(MAGIC)
            .filter(|rest| rest.len() >= GENERATION_LEN)
            .map(|rest| rest.split_at(GENERATION_LEN));
        let Some((stored, body)) = header else {
            index.rewrite = true;
            return index;
        };
        let stored = String::from_utf8_lossy(&stored[..GENERATION_LEN - 1]);
        match generation {
            Some(g) if g != stored => {
                index.rewrite = true;
                return index;
            }
            Some(_) => {}
            None => index.generation = stored.into_owned(),
        }
        let records = body.chunks_exact(32);
        index.rewrite = !records.remainder().is_empty();
        for r in records {
            index.insert(Id::from_bytes(r.try_into().expect("32-byte chunks")));
        }
        index
    }

    fn insert(&mut self, id: Id) -> bool {
        let new = self.known.insert(id);
        if new {
            self.per_prefix[id.as_bytes()[0] as usize] += 1;
        }
        new
    }

    /// Forgets everything: the next flush writes only what is seen from now.
    pub fn reset(&mut self) {
        self.known.clear();
        self.per_prefix.iter_mut().for_each(|n| *n = 0);
        self.pending.clear();
        self.rewrite = true;
    }

    pub fn contains(&self, id: &Id) -> bool {
        self.known.contains(id)
    }

    /// Ids known under the `objects/xx/` prefix whose first byte is `prefix`.
    pub fn prefix_count(&self, prefix: u8) -> u32 {
        self.per_prefix[prefix as usize]
    }

    pub fn add(&mut self, id: Id) {
        if self.insert(id) {
            self.pending.push(id);
        }
    }

    fn header(&self) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(self.generation.as_bytes());
        bytes.push(b'\n');
        bytes
    }

    /// Saves what was learnt since the last flush.
    pub fn flush(&mut self, tmp_dir: &Path) -> Result<(), IoError> {
        if self.rewrite {
            let mut bytes = self.header();
            bytes.reserve(self.known.len() * 32);
            for id in &self.known {
                bytes.extend_from_slice(id.as_bytes());
            }
            if let Some(dir) = self.path.parent() {
                fsutil::create_dir_all(dir)?;
            }
            fsutil::write_atomic(&self.path, &bytes, tmp_dir)?;
            self.rewrite = false;
            self.pending.clear();
            return Ok(());
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            fsutil::create_dir_all(dir)?;
        }
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .ctx("open", &self.path)?;
        let mut bytes = Vec::with_capacity(MAGIC.len() + GENERATION_LEN + self.pending.len() * 32);
        if f.metadata().ctx("read metadata of", &self.path)?.len() == 0 {
            bytes = self.header();
        }
        for id in &self.pending {
            bytes.extend_from_slice(id.as_bytes());
        }
        // One write call: a crash leaves whole records plus at most one torn one.
        f.write_all(&bytes).ctx("write", &self.path)?;
        self.pending.clear();
        Ok(())
    }
}
