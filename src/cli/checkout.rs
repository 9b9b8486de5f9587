use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::workspace::{self, checkout};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Tracked paths (default: all)
    paths: Vec<PathBuf>,
    /// Replace or delete files even when their content is not in the store
    #[arg(long)]
    force: bool,
    /// Print what changed as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let tracked = workspace::select(&repo, &app.cwd, &args.paths)?;
    let progress = app.progress(args.json);
    let report = checkout::checkout(&repo, &tracked, args.force, progress.as_ref())?;
    if args.json {
        crate::ui::print_json(&report);
    } else {
        app.say(crate::ui::summary::checkout(&report));
    }
    Ok(if report.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
