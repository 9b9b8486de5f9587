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
    /// Upload check results (every cached result the remote lacks) instead of data: what
    /// `kiln check --shard I/N` computed, for the check that merges the parts
    #[arg(long, conflicts_with = "verify_remote")]
    results: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let t = args.transfer.open(app)?;
    let (repo, tracked, remote, progress) = (&t.repo, &t.tracked, &t.remote, &t.progress);
    if args.results {
        let cache = kiln::validate::result_cache(&kiln::binding::dirs(repo));
        let report = remote.push_results(&cache, progress.as_ref())?;
        if args.transfer.json {
            crate::ui::summary::print_timed(&report, started);
        } else {
            app.say(crate::ui::summary::results(&report, "pushed to", started));
        }
        return Ok(ExitCode::SUCCESS);
    }
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
