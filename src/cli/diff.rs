use crate::ui::outln;
use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::workspace::{self, diff};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// The older revision (default: HEAD)
    rev_a: Option<String>,
    /// The newer revision (default: the workspace)
    rev_b: Option<String>,
    /// Limit to these tracked paths (after `--`)
    #[arg(last = true)]
    paths: Vec<PathBuf>,
    /// Print the differences as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let filter = args
        .paths
        .iter()
        .map(|p| workspace::resolve(&repo, &app.cwd, p).map(String::from))
        .collect::<Result<Vec<_>, _>>()?;
    let a = args.rev_a.as_deref().unwrap_or("HEAD");
    let progress = app.progress(args.json);
    let result = diff::diff(&repo, a, args.rev_b.as_deref(), &filter, progress.as_ref())?;
    if args.json {
        crate::ui::print_json(&result);
        return Ok(ExitCode::SUCCESS);
    }
    for d in &result {
        let what = match d.change {
            diff::Change::Added => "added",
            diff::Change::Deleted => "deleted",
            diff::Change::Modified => "modified",
        };
        outln!("{what}: {}", d.path);
        let inner = d
            .files
            .added
            .iter()
            .map(|f| ("+", f))
            .chain(d.files.deleted.iter().map(|f| ("-", f)))
            .chain(d.files.modified.iter().map(|f| ("M", f)));
        // A single file's own entry has an empty name: nothing more to list.
        for (sign, f) in inner.filter(|(_, f)| !f.is_empty()) {
            outln!("  {sign} {}/{f}", d.path);
        }
        if let Some(note) = &d.note {
            outln!("  ({note})");
        }
    }
    if result.is_empty() && !app.quiet {
        eprintln!("no differences");
    }
    Ok(ExitCode::SUCCESS)
}
