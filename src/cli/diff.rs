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
    /// Compare the two versions' statistics per column, with drift scores
    #[arg(long)]
    stats: bool,
    /// With --stats, also write a self-contained HTML report to FILE
    #[arg(long, value_name = "FILE", requires = "stats")]
    html: Option<PathBuf>,
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
    if args.stats {
        return stats(app, &repo, &args, a, &filter, progress.as_ref());
    }
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

fn stats(
    app: &App,
    repo: &kiln::repo::Repo,
    args: &Args,
    a: &str,
    filter: &[String],
    progress: &dyn kiln::progress::Progress,
) -> Result<ExitCode, Error> {
    let b = args.rev_b.as_deref();
    let result = kiln::profiles::diff_stats(repo, a, b, filter, progress)?;
    if let Some(html) = &args.html {
        let page = kiln::html::diff_page(a, b.unwrap_or("workspace"), &result);
        crate::ui::write_page(&app.cwd.join(html), &page)?;
    }
    if args.json {
        crate::ui::print_json(&result);
        return Ok(ExitCode::SUCCESS);
    }
    for p in &result {
        crate::ui::drift::print(p, a, b.unwrap_or("workspace"));
    }
    if result.is_empty() && !app.quiet {
        eprintln!("no tracked data with a schema to compare");
    }
    Ok(ExitCode::SUCCESS)
}
