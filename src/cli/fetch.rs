use std::process::ExitCode;
use std::time::Instant;

use kiln::Error;
use kiln::remote::FetchReport;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    transfer: super::remote::TransferArgs,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let t = args.transfer.open(app)?;
    let (repo, tracked, remote, progress) = (&t.repo, &t.tracked, &t.remote, &t.progress);
    let report = remote.fetch(repo, tracked, progress.as_ref())?;
    if args.transfer.json {
        super::remote::print_timed(&report, started);
    } else {
        say_fetched(app, &report, started);
    }
    report.problems()?;
    Ok(ExitCode::SUCCESS)
}

/// The summary line of a fetch.
pub fn say_fetched(app: &App, report: &FetchReport, started: Instant) {
    if report.fetched == 0 && report.corrupt.is_empty() && report.missing.is_empty() {
        app.say(format_args!(
            "everything is already in the store ({})",
            super::remote::objects(report.objects)
        ));
    } else {
        app.say(format_args!(
            "fetched {} ({}) from {} in {:.1}s; {} already in the store",
            super::remote::objects(report.fetched),
            crate::ui::size(report.fetched_bytes),
            report.remote,
            started.elapsed().as_secs_f64(),
            report.present
        ));
    }
}
