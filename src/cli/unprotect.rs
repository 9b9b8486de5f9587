use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::workspace::{self, unprotect};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Tracked paths
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let tracked = workspace::select(&repo, &app.cwd, &args.paths)?;
    let copied = unprotect::unprotect(&repo, &tracked)?;
    app.say(format_args!(
        "{} linked files replaced by writable copies",
        copied.len()
    ));
    Ok(ExitCode::SUCCESS)
}
