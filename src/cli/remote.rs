use crate::ui::outln;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::progress::Progress;
use kiln::remote::{self, PathRemoteStatus, Placement, Remote, RemoteError};
use kiln::repo::Repo;
use kiln::workspace::Tracked;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Add a remote: s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, az://CONTAINER/PREFIX, file:///PATH or a folder
    Add {
        name: String,
        url: String,
        /// Make it the default remote for push, fetch and pull
        #[arg(long)]
        default: bool,
    },
    /// List the remotes, secrets hidden
    List {
        /// Print the remotes as JSON
        #[arg(long)]
        json: bool,
    },
    /// Remove a remote from the configuration (its objects stay where they are)
    Remove { name: String },
    /// Set an option: endpoint, region, allow-http, jobs, retries, timeout, connect-timeout,
    /// access-key-id, secret-access-key, session-token, account, access-key, sas-token, …
    ///
    /// Secrets always go to .kiln/config.local.toml, which is never committed. A VALUE of `-`
    /// is read from standard input, keeping it out of the shell's history.
    Modify {
        name: String,
        key: String,
        #[arg(required_unless_present = "unset")]
        value: Option<String>,
        /// Keep the option in .kiln/config.local.toml (this machine only)
        #[arg(long)]
        local: bool,
        /// Remove the option instead
        #[arg(long, conflicts_with = "value")]
        unset: bool,
    },
    /// Make a remote the default for push, fetch and pull
    Default { name: String },
}

#[derive(serde::Serialize)]
struct Listed {
    name: String,
    url: String,
    default: bool,
    options: BTreeMap<String, String>,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    match args.command {
        Sub::Add { name, url, default } => {
            let _lock = app.lock(&repo)?;
            let added = remote::config::add(&repo, &app.cwd, &name, &url, default)?;
            app.say(format_args!(
                "added remote {name}: {}{}",
                added.display_url(),
                if default { " (default)" } else { "" }
            ));
        }
        Sub::List { json } => {
            let default = remote::config::default_name(&repo);
            let listed: Vec<Listed> = remote::config::all(&repo)?
                .into_iter()
                .map(|r| Listed {
                    default: default.as_deref() == Some(r.name.as_str()),
                    url: r.display_url(),
                    options: r.shown_options(),
                    name: r.name,
                })
                .collect();
            if json {
                crate::ui::print_json(&listed);
            } else {
                for r in &listed {
                    let mark = if r.default { " (default)" } else { "" };
                    outln!("{}{mark}\t{}", r.name, r.url);
                    for (k, v) in &r.options {
                        outln!("    {k} = {v}");
                    }
                }
                if listed.is_empty() {
                    app.say("no remotes; add one with `kiln remote add NAME URL --default`");
                }
            }
        }
        Sub::Remove { name } => {
            let _lock = app.lock(&repo)?;
            remote::config::remove(&repo, &name)?;
            app.say(format_args!("removed remote {name}"));
        }
        Sub::Modify {
            name,
            key,
            value,
            local,
            unset,
        } => {
            let value = match value.as_deref() {
                Some("-") => Some(read_stdin_value()?),
                _ => value,
            };
            let _lock = app.lock(&repo)?;
            let value = if unset { None } else { value };
            let placed =
                remote::config::modify(&repo, &app.cwd, &name, &key, value.as_deref(), local)?;
            let file = match placed {
                Placement::Shared => ".kiln/config.toml",
                Placement::Local => ".kiln/config.local.toml (not committed)",
            };
            let verb = if value.is_some() { "set" } else { "unset" };
            app.say(format_args!("{verb} {key} of remote {name} in {file}"));
        }
        Sub::Default { name } => {
            let _lock = app.lock(&repo)?;
            remote::config::set_default(&repo, &name)?;
            app.say(format_args!("{name} is the default remote"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line from standard input, without its line ending.
fn read_stdin_value() -> Result<String, Error> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| kiln::fsutil::IoError::new("read", "standard input", e))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub fn hint(err: &RemoteError) -> Option<&'static str> {
    match err {
        RemoteError::Backend { .. } => Some(
            "check that the server is reachable and the remote's settings (`kiln remote list`); running the command again continues where it stopped",
        ),
        RemoteError::Corrupt { .. } => Some(
            "the copy on the remote is damaged and was not stored here; delete it on the remote and push it again from a clone that has the data",
        ),
        RemoteError::Missing { .. } => {
            Some("push it from a clone that has the data, or check that this is the right remote")
        }
        RemoteError::NoBucket { .. } => Some("create it first: kiln does not create buckets"),
        RemoteError::NoFolder { .. } => {
            Some("push to it first, or fix its path with `kiln remote modify NAME url PATH`")
        }
        _ => None,
    }
}

/// "1 object", "2 objects".
pub fn objects(n: u64) -> String {
    if n == 1 {
        "1 object".into()
    } else {
        format!("{n} objects")
    }
}

/// Prints a transfer report as JSON with the time it took.
pub fn print_timed<T: serde::Serialize>(report: &T, started: std::time::Instant) {
    #[derive(serde::Serialize)]
    struct Timed<'a, T> {
        #[serde(flatten)]
        report: &'a T,
        seconds: f64,
    }
    crate::ui::print_json(&Timed {
        report,
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    });
}

/// `kiln status --remote`: per path, what is not yet pushed or pulled.
pub fn status(
    repo: &Repo,
    tracked: &[Tracked],
    name: &str,
    progress: &dyn Progress,
) -> Result<(String, Vec<PathRemoteStatus>), Error> {
    let name = (!name.is_empty()).then_some(name);
    let remote = Remote::open(repo, name, None)?;
    let result = remote.status(repo, tracked, progress)?;
    Ok((remote.name().to_string(), result))
}

pub fn print_status(name: &str, result: &[PathRemoteStatus]) {
    let count = |c: &remote::Count| format!("{}, {}", objects(c.objects), crate::ui::size(c.bytes));
    for s in result {
        if s.in_sync() {
            outln!("{:<12} {} (on {name})", "pushed:", s.path);
        }
        if s.not_pushed.objects > 0 {
            outln!(
                "{:<12} {} ({} not on {name})",
                "not pushed:",
                s.path,
                count(&s.not_pushed)
            );
        }
        if s.not_pulled.objects > 0 {
            outln!(
                "{:<12} {} ({} on {name} only)",
                "not pulled:",
                s.path,
                count(&s.not_pulled)
            );
        }
        if s.missing.objects > 0 {
            outln!(
                "{:<12} {} ({} neither here nor on {name})",
                "missing:",
                s.path,
                count(&s.missing)
            );
        }
    }
}

/// What push, fetch and pull share.
#[derive(clap::Args)]
pub struct TransferArgs {
    /// Tracked paths (default: all)
    pub paths: Vec<PathBuf>,
    /// The remote (default: the default remote)
    #[arg(short, long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Parallel transfers (default: 64 for object stores, 8 for folders, or the remote's `jobs`)
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Print a summary as JSON
    #[arg(long)]
    pub json: bool,
}

/// A transfer ready to run: the repository, locked, the selected paths and
/// the opened remote.
pub struct Transfer {
    pub repo: Repo,
    _lock: kiln::repo::RepoLock,
    pub tracked: Vec<Tracked>,
    pub remote: Remote,
    pub progress: Box<dyn Progress>,
}

impl TransferArgs {
    pub fn open(&self, app: &App) -> Result<Transfer, Error> {
        let repo = app.repo()?;
        let lock = app.lock(&repo)?;
        let tracked = kiln::workspace::select(&repo, &app.cwd, &self.paths)?;
        let remote = Remote::open(&repo, self.remote.as_deref(), self.jobs.map(usize::from))?;
        Ok(Transfer {
            repo,
            _lock: lock,
            tracked,
            remote,
            progress: app.progress(self.json),
        })
    }
}
