//! Command-line definitions and one small handler per command.

mod add;
mod checkout;
mod diff;
mod fsck;
mod gc;
mod init;
mod status;
mod unprotect;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kiln::Error;
use kiln::progress::{Progress, Silent};
use kiln::repo::{Repo, RepoLock};

/// Environment variables kiln reads, in one place.
pub mod env {
    pub const LOG: &str = "KILN_LOG";
}

#[derive(Parser)]
#[command(
    name = "kiln",
    version,
    about = "Version, validate and trace datasets kept beside code in git",
    max_term_width = 100
)]
struct Cli {
    /// Run as if started in DIR
    #[arg(short = 'C', global = true, value_name = "DIR")]
    directory: Option<PathBuf>,
    /// Print less: no progress, no summaries
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Log more (-v: info, -vv: debug); KILN_LOG takes a tracing filter
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Seconds to wait for another kiln process that is writing
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 60)]
    wait: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create .kiln/ in this git repository
    Init(init::Args),
    /// Track files and folders: store their content and write pointers
    Add(add::Args),
    /// Compare the workspace and the store with the pointers
    Status(status::Args),
    /// Make the workspace match the pointers
    Checkout(checkout::Args),
    /// Files added, deleted and modified between two versions
    Diff(diff::Args),
    /// Remove store objects that no pointer in a scope references
    Gc(gc::Args),
    /// Re-hash every stored object and quarantine corrupt ones
    Fsck(fsck::Args),
    /// Replace hard-linked or symlinked files by writable copies
    Unprotect(unprotect::Args),
}

/// What every handler receives: resolved global settings.
pub struct App {
    pub cwd: PathBuf,
    pub quiet: bool,
    pub wait: Duration,
    /// Whether stderr is a terminal (progress bars only then).
    pub interactive: bool,
}

impl App {
    pub fn repo(&self) -> Result<Repo, Error> {
        Ok(Repo::discover(&self.cwd)?)
    }

    /// Takes the writer's lock, saying so if another writer holds it.
    pub fn lock(&self, repo: &Repo) -> Result<RepoLock, Error> {
        let quiet = self.quiet;
        Ok(repo.lock(self.wait, &|| {
            if !quiet {
                eprintln!("waiting for another kiln process to finish writing…");
            }
        })?)
    }

    /// Progress bars on a terminal, silence otherwise or when asked.
    pub fn progress(&self, json: bool) -> Box<dyn Progress> {
        if self.quiet || json || !self.interactive {
            Box::new(Silent)
        } else {
            Box::new(crate::ui::Bars::new())
        }
    }

    /// A message on stderr unless `--quiet`.
    pub fn say(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::ui::init_logging(cli.verbose);
    let cwd = match cli
        .directory
        .clone()
        .map(Ok)
        .unwrap_or_else(std::env::current_dir)
    {
        Ok(d) => d,
        Err(e) => {
            crate::ui::error(&format!("cannot read the current folder: {e}"));
            return ExitCode::from(2);
        }
    };
    let app = App {
        cwd,
        quiet: cli.quiet,
        wait: Duration::from_secs(cli.wait),
        interactive: std::io::stderr().is_terminal(),
    };
    let result = match cli.command {
        Command::Init(args) => init::run(&app, args),
        Command::Add(args) => add::run(&app, args),
        Command::Status(args) => status::run(&app, args),
        Command::Checkout(args) => checkout::run(&app, args),
        Command::Diff(args) => diff::run(&app, args),
        Command::Gc(args) => gc::run(&app, args),
        Command::Fsck(args) => fsck::run(&app, args),
        Command::Unprotect(args) => unprotect::run(&app, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            crate::ui::error(&err.to_string());
            if let Some(hint) = hint(&err) {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Exit codes: 1 a negative answer (invalid data, differences), 2 usage or
/// configuration errors and failures, 3 data that could not be read.
fn exit_code(_err: &Error) -> u8 {
    2
}

fn hint(err: &Error) -> Option<&'static str> {
    use kiln::repo::RepoError;
    match err {
        Error::Repo(RepoError::NotFound { .. }) => {
            Some("run `kiln init` at the root of your git repository")
        }
        Error::Repo(RepoError::Locked { .. }) => Some("wait longer with --wait SECONDS"),
        _ => None,
    }
}
