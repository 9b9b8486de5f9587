use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use kiln::Error;
use kiln::remote::{FetchReport, Remote};
use kiln::workspace;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Tracked paths (default: all)
    paths: Vec<PathBuf>,
    /// The remote (default: the default remote)
    #[arg(short, long, value_name = "NAME")]
    remote: Option<String>,
    /// Parallel transfers (default: 64 for object stores, 8 for folders, or the remote's `jobs`)
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: Option<u16>,
    /// Print a summary as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let tracked = workspace::select(&repo, &app.cwd, &args.paths)?;
    let remote = Remote::open(&repo, args.remote.as_deref(), args.jobs.map(usize::from))?;
    let progress = app.progress(args.json);
    let report = remote.fetch(&repo, &tracked, progress.as_ref())?;
    if args.json {
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
