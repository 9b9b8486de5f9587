//! Environment variables kiln reads, in one place (object-store clients
//! also read their providers' usual variables, `AWS_*`, `GOOGLE_*`,
//! `AZURE_*`, themselves).

pub const LOG: &str = "KILN_LOG";
pub const NO_COLOR: &str = "NO_COLOR";
/// The standard OpenLineage client settings.
pub const OPENLINEAGE_URL: &str = "OPENLINEAGE_URL";
pub const OPENLINEAGE_ENDPOINT: &str = "OPENLINEAGE_ENDPOINT";
pub const OPENLINEAGE_API_KEY: &str = "OPENLINEAGE_API_KEY";
/// Fixes the clock and run ids (tests only; see `clock`).
pub const TEST_CLOCK: &str = "KILN_TEST_CLOCK";
/// Tests only: kiln's fast paths (the typed read of a CSV, the fingerprinted
/// repeat counting, its own pattern parser) give way to the slow paths they
/// stand for, so that a test can require the same results from both.
pub const TEST_SLOW_PATHS: &str = "KILN_TEST_SLOW_PATHS";
/// Tests only: how many of a file's first rows the search for samples of
/// repeated keys joins before it fingerprints every row instead, so that a
/// small file can take the path of a large one.
pub const TEST_JOINED_ROWS: &str = "KILN_TEST_JOINED_ROWS";
/// S3: when set, it (not kiln's default of unsigned bodies) decides whether
/// request bodies are hashed into signatures.
pub const AWS_UNSIGNED_PAYLOAD: &str = "AWS_UNSIGNED_PAYLOAD";
