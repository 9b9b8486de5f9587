use crate::ui::outln;
use std::collections::BTreeMap;
use std::process::ExitCode;

use kiln::Error;
use kiln::progress::Progress;
use kiln::remote::{self, PathRemoteStatus, Placement, Remote};
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
            let added = remote::edit::add(&repo, &app.cwd, &name, &url, default)?;
            app.say(format_args!(
                "added remote {name}: {}{}",
                added.display_url(),
                if default { " (default)" } else { "" }
            ));
        }
        Sub::List { json } => {
            let default = remote::config::default_name(&repo.config);
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
            remote::edit::remove(&repo, &name)?;
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
                remote::edit::modify(&repo, &app.cwd, &name, &key, value.as_deref(), local)?;
            let file = match placed {
                Placement::Shared => ".kiln/config.toml",
                Placement::Local => ".kiln/config.local.toml (not committed)",
            };
            let verb = if value.is_some() { "set" } else { "unset" };
            app.say(format_args!("{verb} {key} of remote {name} in {file}"));
        }
        Sub::Default { name } => {
            let _lock = app.lock(&repo)?;
            remote::edit::set_default(&repo, &name)?;
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
