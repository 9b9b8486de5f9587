use crate::ui::outln;
use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::lineage::graph::Index;
use kiln::lineage::record::Status;
use kiln::lineage::repro;
use kiln::lineage::staleness::{Current, Staleness};
use kiln::workspace;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Outputs to bring up to date (default: every tracked output)
    paths: Vec<PathBuf>,
    /// List the runs that would be repeated, in order, and stop
    #[arg(long)]
    dry_run: bool,
    /// Print the plan as JSON (with --dry-run)
    #[arg(long, requires = "dry_run")]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let targets = workspace::select(&repo, &app.cwd, &args.paths)?;
    let index = Index::load_runs(&repo)?;
    let progress = app.progress(args.json);
    let mut staleness = Staleness::new(&index, Current::new(&repo, progress.as_ref()));
    let steps = repro::plan(&index, &mut staleness, &targets)?;
    staleness.into_current().save()?;
    drop(progress);
    if args.dry_run {
        if args.json {
            crate::ui::print_json(&steps);
        } else {
            for s in &steps {
                let why: Vec<String> = s.reasons.iter().map(|r| r.to_string()).collect();
                outln!(
                    "{} → {} ({}): {}",
                    s.name,
                    s.outputs.join(", "),
                    why.join(", "),
                    s.argv.join(" ")
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if steps.is_empty() {
        app.say("everything is up to date");
        return Ok(ExitCode::SUCCESS);
    }
    let collector = kiln::lineage::send::Collector::resolve(&repo)?;
    for (i, s) in steps.iter().enumerate() {
        // Shown even under --quiet: run records are committed content, and
        // this is the one place kiln executes what they say.
        eprintln!(
            "[{}/{}] re-running {}: {}",
            i + 1,
            steps.len(),
            s.name,
            s.argv.join(" ")
        );
        let finished = super::run::execute(app, &repo, &s.spec, collector.as_ref(), false)?;
        let code = super::run::report(app, &finished, collector.as_ref());
        if finished.record.status == Status::Fail {
            return Ok(code);
        }
    }
    Ok(ExitCode::SUCCESS)
}
