use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use kiln::Error;
use kiln::remote::{PushOptions, Remote};
use kiln::workspace;

use super::App;
use super::remote::objects;

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
    /// Check every object on the remote instead of trusting the local record of what is there
    #[arg(long)]
    verify_remote: bool,
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
    let opts = PushOptions {
        verify_remote: args.verify_remote,
    };
    let report = remote.push(&repo, &tracked, opts, progress.as_ref())?;
    if args.json {
        super::remote::print_timed(&report, started);
    } else if report.uploaded == 0 {
        app.say(format_args!(
            "everything is already on {} ({})",
            report.remote,
            objects(report.objects)
        ));
    } else {
        app.say(format_args!(
            "pushed {} ({}) to {} in {:.1}s; {} already there",
            objects(report.uploaded),
            crate::ui::size(report.uploaded_bytes),
            report.remote,
            started.elapsed().as_secs_f64(),
            report.present
        ));
    }
    Ok(ExitCode::SUCCESS)
}
