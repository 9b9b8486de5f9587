use std::process::ExitCode;
use std::time::Instant;

use kiln::Error;
use kiln::remote::PushOptions;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    transfer: super::transfer::TransferArgs,
    /// Check every object on the remote instead of trusting the local record of what is there
    #[arg(long)]
    verify_remote: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let t = args.transfer.open(app)?;
    let (repo, tracked, remote, progress) = (&t.repo, &t.tracked, &t.remote, &t.progress);
    let opts = PushOptions {
        verify_remote: args.verify_remote,
    };
    let report = remote.push(repo, tracked, opts, progress.as_ref())?;
    if args.transfer.json {
        crate::ui::summary::print_timed(&report, started);
    } else {
        app.say(crate::ui::summary::pushed(&report, started));
    }
    Ok(ExitCode::SUCCESS)
}
