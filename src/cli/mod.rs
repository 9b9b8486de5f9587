//! Command-line definitions and one small handler per command.

mod add;
mod check;
mod checkout;
mod completions;
mod diff;
mod fetch;
mod fsck;
mod gc;
mod hooks;
mod init;
mod lineage;
mod merge_driver;
mod pull;
mod push;
mod remote;
mod repro;
mod rm;
mod run;
mod schema;
mod source;
mod status;
mod transfer;
mod unprotect;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use kiln::Error;
use kiln::binding::BindingError;
use kiln::progress::{Progress, Silent};
use kiln::repo::{Repo, RepoLock};

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
    /// Take files out of a tracked folder, or stop tracking a path
    Rm(rm::Args),
    /// Compare the workspace and the store with the pointers
    Status(status::Args),
    /// Validate data against its schema (exit 1: invalid, 3: unreadable)
    Check(check::Args),
    /// Work with table schemas
    Schema(schema::Args),
    /// Run a command and record its inputs, outputs and code
    Run(run::Args),
    /// Show which inputs and runs made a data version, and what it made
    Lineage(lineage::Args),
    /// Re-run the recorded runs whose inputs changed, in order
    Repro(repro::Args),
    /// Make the workspace match the pointers
    Checkout(checkout::Args),
    /// Manage remotes: object stores and folders that hold the data
    Remote(remote::Args),
    /// Upload what the remote lacks
    Push(push::Args),
    /// Download what the store lacks, without touching the workspace
    Fetch(fetch::Args),
    /// Fetch, then check out
    Pull(pull::Args),
    /// Files added, deleted and modified between two versions; with --stats, how their data moved
    Diff(diff::Args),
    /// List the datasets another repository tracks, with sizes, without downloading them
    Ls(source::LsArgs),
    /// Download a dataset of another repository, verified, without tracking it
    Get(source::DatasetArgs),
    /// Download a dataset of another repository and track it, recording where it came from
    Import(source::DatasetArgs),
    /// Move an imported dataset to its source's newest commit (or --rev)
    Update(source::UpdateArgs),
    /// Remove store objects (or a remote's, with --remote) that no pointer in a scope references
    Gc(gc::Args),
    /// Re-hash every stored object and quarantine corrupt ones
    Fsck(fsck::Args),
    /// Install git hooks that check data on commit and push it on push
    Hooks(hooks::Args),
    /// Replace hard-linked or symlinked files by writable copies
    Unprotect(unprotect::Args),
    /// Merge a pointer file changed on two branches, folders file by file (git runs it)
    MergeDriver(merge_driver::Args),
    /// Print a shell's completion script (install: see the README)
    Completions(completions::Args),
    /// Print the man page, in roff (install: see the README)
    Man(completions::ManArgs),
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
    kiln::fsutil::raise_open_files();
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
        Command::Rm(args) => rm::run(&app, args),
        Command::Status(args) => status::run(&app, args),
        Command::Check(args) => check::run(&app, args),
        Command::Schema(args) => schema::run(&app, args),
        Command::Run(args) => run::run(&app, args),
        Command::Lineage(args) => lineage::run(&app, args),
        Command::Repro(args) => repro::run(&app, args),
        Command::Checkout(args) => checkout::run(&app, args),
        Command::Remote(args) => remote::run(&app, args),
        Command::Push(args) => push::run(&app, args),
        Command::Fetch(args) => fetch::run(&app, args),
        Command::Pull(args) => pull::run(&app, args),
        Command::Diff(args) => diff::run(&app, args),
        Command::Ls(args) => source::ls(&app, args),
        Command::Get(args) => source::get(&app, args),
        Command::Import(args) => source::import(&app, args),
        Command::Update(args) => source::update(&app, args),
        Command::Gc(args) => gc::run(&app, args),
        Command::Fsck(args) => fsck::run(&app, args),
        Command::Unprotect(args) => unprotect::run(&app, args),
        Command::Hooks(args) => hooks::run(&app, args),
        Command::MergeDriver(args) => merge_driver::run(&app, args),
        Command::Completions(args) => completions::run(&app, args),
        Command::Man(args) => completions::man(&app, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if let Some(reports) = rejection(&err) {
                eprint!(
                    "{}",
                    kiln::validate::render::human(reports, false, crate::ui::color_stderr())
                );
            }
            crate::ui::error(&err.to_string());
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(exit_code(&err))
        }
    }
}

/// Exit codes: 1 a negative answer (invalid data, differences), 2 usage or
/// configuration errors and failures, 3 data that could not be read.
fn exit_code(err: &Error) -> u8 {
    match err {
        _ if rejection(err).is_some() => 1,
        Error::Validate(e)
        | Error::Binding(BindingError::Validate(e))
        | Error::Profile(kiln::profiles::ProfileError::Validate(e))
            if e.is_unreadable_data() =>
        {
            3
        }
        Error::Profile(kiln::profiles::ProfileError::Unreadable { .. }) => 3,
        _ => 2,
    }
}

/// The reports of data refused for failing its schema, wherever the refusal came from.
fn rejection(err: &Error) -> Option<&[kiln::validate::FileReport]> {
    use kiln::lineage::LineageError;
    use kiln::workspace::WorkspaceError::Refused;
    match err {
        Error::Workspace(Refused(r)) | Error::Lineage(LineageError::Workspace(Refused(r))) => r
            .downcast_ref::<kiln::binding::Rejected>()
            .map(|r| r.reports.as_slice()),
        _ => None,
    }
}
