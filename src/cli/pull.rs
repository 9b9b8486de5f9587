use std::process::ExitCode;
use std::time::Instant;

use kiln::Error;
use kiln::workspace::checkout;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    transfer: super::transfer::TransferArgs,
    /// Replace or delete workspace files even when their content is not in the store
    #[arg(long)]
    force: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let started = Instant::now();
    let t = args.transfer.open(app)?;
    let (repo, tracked, remote, progress) = (&t.repo, &t.tracked, &t.remote, &t.progress);
    let fetched = remote.fetch(repo, tracked, progress.as_ref())?;
    // Whatever arrived is checked out, even when some objects were refused.
    let report = checkout::checkout(repo, tracked, args.force, progress.as_ref())?;
    if args.transfer.json {
        #[derive(serde::Serialize)]
        struct Pulled<'a> {
            fetch: &'a kiln::remote::FetchReport,
            checkout: &'a checkout::CheckoutReport,
        }
        crate::ui::summary::print_timed(
            &Pulled {
                fetch: &fetched,
                checkout: &report,
            },
            started,
        );
    } else {
        app.say(crate::ui::summary::fetched(&fetched, started));
        if fetched.problems().is_ok() {
            app.say(crate::ui::summary::checkout(&report));
        } else {
            // The error below names what is missing; no advice to pull again.
            app.say(format_args!(
                "{} written ({}), {} left as they were",
                crate::ui::summary::count(report.written.len() as u64, "file"),
                crate::ui::size(report.bytes),
                report.missing.len() + report.conflicts.len()
            ));
        }
    }
    fetched.problems()?;
    Ok(if report.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
