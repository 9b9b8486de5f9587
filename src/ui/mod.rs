//! Everything the terminal sees: progress bars, logs, errors, sizes.

mod bars;
pub mod drift;
pub mod summary;

pub use bars::Bars;

use kiln::env;

/// Logs go to stderr: `-v` info, `-vv` debug, or a filter in `KILN_LOG`.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "kiln=info",
        _ => "kiln=debug",
    };
    let filter = std::env::var(env::LOG).unwrap_or_else(|_| default.to_string());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}

/// Writes to stdout. A reader that has gone away (`kiln … | head -1`) ends
/// kiln quietly with exit 0, as ripgrep does: the output was not wanted.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        error(&format!("cannot write to standard output: {e}"));
        std::process::exit(2);
    }
}

/// `println!` through [`write_out`].
macro_rules! outln {
    () => { $crate::ui::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::ui::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` through [`write_out`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::ui::write_out(format_args!($($arg)*)) };
}

pub(crate) use {out, outln};

/// The one error line.
pub fn error(msg: &str) {
    // Fold any stray newline so the error stays one line.
    eprintln!("error: {}", msg.replace('\n', " "));
}

/// Bytes for humans: `1.5 MiB`.
pub fn size(bytes: u64) -> String {
    kiln::progress::human_bytes(bytes)
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => outln!("{s}"),
        Err(e) => error(&format!("cannot encode JSON: {e}")),
    }
}

/// Whether to colour a stream: a terminal, and no `NO_COLOR`.
pub fn color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os(env::NO_COLOR).is_none_or(|v| v.is_empty())
}

pub fn color_stderr() -> bool {
    color(std::io::IsTerminal::is_terminal(&std::io::stderr()))
}

/// Writes a report page the user asked for (`--html FILE`), whole or not at all.
pub fn write_page(path: &std::path::Path, page: &str) -> Result<(), kiln::fsutil::IoError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    kiln::fsutil::write_atomic(path, page.as_bytes(), dir)
}
