//! Content ids: BLAKE3 digests of file bytes, or of a tree's canonical encoding.

use std::fmt;
use std::str::FromStr;

/// The derive-key context for trees, so a tree's id can never equal a file's id.
pub(crate) const TREE_CONTEXT: &str = "kiln 2026-11 tree v1";

/// A 32-byte BLAKE3 digest naming an object in the store.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id([u8; 32]);

#[derive(Debug, thiserror::Error)]
#[error("`{text}` is not an object id (64 lowercase hex characters)")]
pub struct ParseIdError {
    pub text: String,
}

impl Id {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Id(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The id of a file's bytes.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Id(*blake3::hash(bytes).as_bytes())
    }

    /// The id of a tree's canonical encoding.
    pub fn of_tree_bytes(bytes: &[u8]) -> Self {
        let mut h = blake3::Hasher::new_derive_key(TREE_CONTEXT);
        h.update(bytes);
        Id(*h.finalize().as_bytes())
    }

    pub fn hex(&self) -> String {
        let mut s = String::with_capacity(64);
        for b in self.0 {
            s.push(char::from_digit((b >> 4) as u32, 16).unwrap_or('0'));
            s.push(char::from_digit((b & 15) as u32, 16).unwrap_or('0'));
        }
        s
    }

    /// The first 12 hex characters, for humans.
    pub fn short(&self) -> String {
        self.hex()[..12].to_string()
    }
}

impl From<blake3::Hash> for Id {
    fn from(h: blake3::Hash) -> Self {
        Id(*h.as_bytes())
    }
}

impl FromStr for Id {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseIdError {
            text: s.to_string(),
        };
        let raw = s.as_bytes();
        if raw.len() != 64 {
            return Err(err());
        }
        let mut out = [0u8; 32];
        for (i, pair) in raw.chunks(2).enumerate() {
            let nib = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            out[i] = (nib(pair[0]).ok_or_else(err)? << 4) | nib(pair[1]).ok_or_else(err)?;
        }
        Ok(Id(out))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.short())
    }
}

impl serde::Serialize for Id {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
