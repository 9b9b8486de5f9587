use std::process::ExitCode;

use kiln::Error;
use kiln::store::gc;
use kiln::workspace::{self, GcScope};

use super::App;

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["workspace", "all_branches", "all_commits"])))]
pub struct Args {
    /// Keep only what the work tree's pointers reference
    #[arg(long)]
    workspace: bool,
    /// Also keep what every local branch's tip references
    #[arg(long)]
    all_branches: bool,
    /// Also keep what any commit in the history references
    #[arg(long)]
    all_commits: bool,
    /// Report what would be removed without removing it
    #[arg(long)]
    dry_run: bool,
    /// Print the result as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let scope = if args.all_commits {
        GcScope::AllCommits
    } else if args.all_branches {
        GcScope::AllBranches
    } else {
        GcScope::Workspace
    };
    let roots = workspace::gc_roots(&repo, scope)?;
    let report = gc::gc(&repo.store(), &roots, args.dry_run)?;
    if args.json {
        crate::ui::print_json(&report);
    } else {
        let verb = if args.dry_run {
            "would remove"
        } else {
            "removed"
        };
        app.say(format_args!(
            "{verb} {} ({}), kept {}",
            crate::ui::summary::count(report.removed, "object"),
            crate::ui::size(report.removed_bytes),
            report.kept
        ));
    }
    Ok(ExitCode::SUCCESS)
}
