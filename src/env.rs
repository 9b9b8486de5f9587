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
/// S3: when set, it (not kiln's default of unsigned bodies) decides whether
/// request bodies are hashed into signatures.
pub const AWS_UNSIGNED_PAYLOAD: &str = "AWS_UNSIGNED_PAYLOAD";
