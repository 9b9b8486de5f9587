use std::process::ExitCode;

use kiln::Error;
use kiln::store::gc;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let progress = app.progress(args.json);
    let report = gc::fsck(&repo.store(), progress.as_ref())?;
    if args.json {
        crate::ui::print_json(&report);
    } else {
        for q in &report.corrupt {
            eprintln!("corrupt object {}: moved to {}", q.id, q.moved_to);
        }
        app.say(format_args!(
            "checked {} ({}), {} corrupt",
            crate::ui::summary::count(report.checked, "object"),
            crate::ui::size(report.bytes),
            report.corrupt.len()
        ));
    }
    Ok(if report.corrupt.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
