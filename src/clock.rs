//! The time now and new run ids, from one place so that tests can fix
//! them: with `KILN_TEST_CLOCK` set to an RFC 3339 instant, that instant is
//! "now" and run ids are made from it alone, so run records and lineage
//! output are the same on every run of a test (a test gives each run its own
//! instant). Nothing else reads the variable.

use uuid::Uuid;

fn fixed() -> Option<jiff::Timestamp> {
    std::env::var(crate::env::TEST_CLOCK).ok()?.parse().ok()
}

/// The time now.
pub fn now() -> jiff::Timestamp {
    fixed().unwrap_or_else(jiff::Timestamp::now)
}

/// A new run id: a UUID v7, ordered by time.
pub fn run_id() -> Uuid {
    match fixed() {
        Some(t) => {
            let millis = u64::try_from(t.as_millisecond()).unwrap_or(0);
            // The "random" part from the instant too, so short ids differ.
            let mut bits = [0; 10];
            bits.copy_from_slice(&blake3::hash(&millis.to_le_bytes()).as_bytes()[..10]);
            uuid::Builder::from_unix_timestamp_millis(millis, &bits).into_uuid()
        }
        None => Uuid::now_v7(),
    }
}
