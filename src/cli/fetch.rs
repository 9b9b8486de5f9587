use std::process::ExitCode;
use std::time::Instant;

use kiln::Error;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    transfer: super::transfer::TransferArgs,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let t = args.transfer.open(app)?;
    let (repo, tracked, remote, progress) = (&t.repo, &t.tracked, &t.remote, &t.progress);
    let report = remote.fetch(repo, tracked, progress.as_ref())?;
    if args.transfer.json {
        crate::ui::summary::print_timed(&report, started);
    } else {
        app.say(crate::ui::summary::fetched(&report, started));
    }
    report.problems()?;
    Ok(ExitCode::SUCCESS)
}
