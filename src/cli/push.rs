use std::process::ExitCode;
use std::time::Instant;

use kiln::Error;
use kiln::remote::PushOptions;

use super::App;
use super::remote::objects;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    transfer: super::remote::TransferArgs,
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
