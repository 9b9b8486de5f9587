use std::process::ExitCode;
use std::time::Instant;

use kiln::Error;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    transfer: super::transfer::TransferArgs,
    /// Download check results others pushed (`kiln push --results`), and the trees that list
    /// tracked folders, instead of data: enough for `kiln check` to merge a sharded check
    #[arg(long)]
    results: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let t = args.transfer.open(app)?;
    let (repo, tracked, remote, progress) = (&t.repo, &t.tracked, &t.remote, &t.progress);
    if args.results {
        let trees = remote.fetch_trees(repo, tracked, progress.as_ref())?;
        trees.problems()?;
        let cache = kiln::validate::result_cache(&kiln::binding::dirs(repo));
        let report = remote.fetch_results(&cache, progress.as_ref())?;
        if args.transfer.json {
            crate::ui::summary::print_timed(&report, started);
        } else {
            app.say(crate::ui::summary::results(
                &report,
                "fetched from",
                started,
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let report = remote.fetch(repo, tracked, progress.as_ref())?;
    if args.transfer.json {
        crate::ui::summary::print_timed(&report, started);
    } else {
        app.say(crate::ui::summary::fetched(&report, started));
    }
    report.problems()?;
    Ok(ExitCode::SUCCESS)
}
