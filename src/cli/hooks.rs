use std::io::Read;
use std::process::ExitCode;

use kiln::Error;
use kiln::hooks;
use kiln::workspace::{self, checkout};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Install the pre-commit, pre-push, post-checkout and post-merge hooks
    Install {
        /// Remove kiln's hooks and restore the ones they chained
        #[arg(long)]
        uninstall: bool,
    },
    /// Run one hook (what the installed hook scripts call)
    #[command(hide = true)]
    Run {
        hook: String,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    match args.command {
        Command::Install { uninstall } => install(app, uninstall),
        Command::Run { hook, args } => run_hook(app, &hook, &args),
    }
}

fn install(app: &App, uninstall: bool) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let changes = if uninstall {
        hooks::uninstall(repo.root())?
    } else {
        let exe = std::env::current_exe()
            .map_err(|e| kiln::fsutil::IoError::new("find", "the kiln binary", e))?;
        hooks::install(repo.root(), &repo.tmp_dir(), &exe)?
    };
    for c in &changes {
        app.say(format_args!("{}: {} ({})", c.hook, c.action, c.path));
    }
    if changes.is_empty() {
        app.say("no kiln hooks were installed");
    }
    Ok(ExitCode::SUCCESS)
}

fn run_hook(app: &App, hook: &str, args: &[String]) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    match hook {
        "pre-commit" => pre_commit(app, &repo),
        "pre-push" => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|e| kiln::fsutil::IoError::new("read", "the pre-push ref list", e))?;
            pre_push(app, &repo, &input)
        }
        // post-checkout's third argument is 1 for a branch checkout, 0 for files.
        "post-checkout" if args.get(2).map(String::as_str) != Some("1") => Ok(ExitCode::SUCCESS),
        "post-checkout" | "post-merge" => {
            if kiln::git::Git::open(repo.root())?.rebasing() {
                return Ok(ExitCode::SUCCESS);
            }
            let _lock = app.lock(&repo)?;
            let tracked = workspace::tracked(&repo)?;
            let progress = app.progress(false);
            let report = checkout::checkout(&repo, &tracked, false, progress.as_ref())?;
            app.say(crate::ui::summary::checkout(&report));
            Ok(ExitCode::SUCCESS)
        }
        other => Err(hooks::HooksError::Unknown {
            name: other.to_string(),
        }
        .into()),
    }
}

fn pre_commit(app: &App, repo: &kiln::repo::Repo) -> Result<ExitCode, Error> {
    let gate = hooks::pre_commit(repo)?;
    if gate.blocked.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    if !gate.invalid.is_empty() {
        eprint!(
            "{}",
            kiln::validate::render::human(&gate.invalid, false, crate::ui::color_stderr())
        );
    }
    for b in &gate.blocked {
        eprintln!("kiln: {}: {}", b.path, b.reason);
    }
    app.say("kiln: commit blocked (`git commit --no-verify` skips this check)");
    Ok(ExitCode::from(1))
}

fn pre_push(app: &App, repo: &kiln::repo::Repo, input: &str) -> Result<ExitCode, Error> {
    let _lock = app.lock(repo)?;
    let progress = app.progress(false);
    match hooks::pre_push(repo, input, progress.as_ref()) {
        Ok(Some(r)) => {
            app.say(format_args!(
                "kiln: {} on {}, {} uploaded",
                crate::ui::summary::count(r.objects, "object"),
                r.remote,
                r.uploaded
            ));
            Ok(ExitCode::SUCCESS)
        }
        Ok(None) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            crate::ui::error(&e.to_string());
            app.say("kiln: git push blocked: the data could not be pushed first (`git push --no-verify` skips this)");
            Ok(ExitCode::from(1))
        }
    }
}
