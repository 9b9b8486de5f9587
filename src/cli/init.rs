use std::process::ExitCode;

use kiln::Error;
use kiln::repo::Repo;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Use a plain folder, not a git repository
    #[arg(long)]
    no_scm: bool,
    /// Initialise again over an existing .kiln/ (keeps its config and store)
    #[arg(long)]
    force: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = Repo::init(&app.cwd, args.no_scm, args.force)?;
    app.say(format_args!(
        "initialised kiln in {}",
        repo.kiln_dir().display()
    ));
    Ok(ExitCode::SUCCESS)
}
