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
        self.hex_bytes().iter().map(|&c| c as char).collect()
    }

    /// The id as 64 lowercase hex digits, without allocating.
    fn hex_bytes(&self) -> [u8; 64] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; 64];
        for (i, b) in self.0.iter().enumerate() {
            out[2 * i] = DIGITS[(b >> 4) as usize];
            out[2 * i + 1] = DIGITS[(b & 15) as usize];
        }
        out
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
        // Uppercase is refused: an id has exactly one spelling.
        fn nibble(c: u8) -> u8 {
            match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                _ => 0xff,
            }
        }
        let mut out = [0u8; 32];
        let mut bad = 0u8;
        for (o, pair) in out.iter_mut().zip(raw.chunks_exact(2)) {
            let (hi, lo) = (nibble(pair[0]), nibble(pair[1]));
            bad |= (hi | lo) & 0xf0;
            *o = (hi << 4) | (lo & 15);
        }
        if bad != 0 {
            return Err(err());
        }
        Ok(Id(out))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.hex_bytes()).map_err(|_| fmt::Error)?)
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
