//! The one interface through which long operations report progress.
//!
//! The library never draws anything: the binary passes an implementation
//! (terminal bars, or silence under `--quiet`, `--json` or a pipe).

/// What a task counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Files,
    Bytes,
    Objects,
}

/// A source of progress tasks.
pub trait Progress: Send + Sync {
    /// Starts a task of `total` units; it ends when the returned value is dropped.
    fn task(&self, label: &str, total: u64, unit: Unit) -> Box<dyn Task>;
}

/// One running task.
pub trait Task: Send + Sync {
    fn advance(&self, n: u64);
    /// A second counter beside the main one, e.g. bytes while counting files.
    fn advance_bytes(&self, _n: u64) {}
}

/// Reports nothing.
pub struct Silent;

struct SilentTask;

impl Task for SilentTask {
    fn advance(&self, _n: u64) {}
}

impl Progress for Silent {
    fn task(&self, _label: &str, _total: u64, _unit: Unit) -> Box<dyn Task> {
        Box::new(SilentTask)
    }
}

/// A count and its noun for humans: `1 row`, `2 rows`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Bytes for humans: `1.5 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
