use crate::ui::out;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::lineage::graph::{self, Index, Walk};
use kiln::lineage::staleness::{self, Current, Staleness};
use kiln::lineage::{openlineage, record, render};
use kiln::workspace::{self, WorkspaceError};

use super::App;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    /// A data file or folder (tracked, or any file a run read)
    #[arg(required_unless_present = "stale")]
    path: Option<PathBuf>,
    /// Only what made it: the runs and their inputs
    #[arg(long, conflicts_with = "down")]
    up: bool,
    /// Only what was derived from it
    #[arg(long)]
    down: bool,
    /// Follow at most N runs away
    #[arg(long, value_name = "N")]
    depth: Option<usize>,
    /// How to print the graph
    #[arg(long, value_enum, default_value_t = Format::Tree)]
    format: Format,
    /// List the tracked outputs whose recorded inputs no longer match the workspace
    #[arg(long, conflicts_with_all = ["path", "up", "down", "depth"])]
    stale: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Tree,
    Dot,
    Mermaid,
    Json,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Write every recorded run as OpenLineage RunEvents (NDJSON)
    Export(ExportArgs),
}

#[derive(clap::Args)]
struct ExportArgs {
    /// Export as OpenLineage events (the one format so far)
    #[arg(long, required = true)]
    openlineage: bool,
    /// Write to FILE instead of stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    if let Some(Sub::Export(e)) = args.command {
        return export(app, e);
    }
    let repo = app.repo()?;
    let progress = app.progress(matches!(args.format, Format::Json));
    if args.stale {
        let index = Index::load_runs(&repo)?;
        let stale = staleness::stale_outputs(&repo, &index, progress.as_ref())?;
        if matches!(args.format, Format::Json) {
            crate::ui::print_json(&stale);
        } else {
            crate::ui::summary::stale(&stale);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(arg) = &args.path else {
        return Ok(ExitCode::SUCCESS);
    };
    let rel = workspace::resolve_data(&repo, &app.cwd, arg)?;
    let index = Index::load(&repo)?;
    let mut staleness = Staleness::new(&index, Current::new(&repo, progress.as_ref()));
    let (id, tracked) = match workspace::tracked(&repo)?
        .into_iter()
        .find(|t| t.rel == rel)
    {
        Some(t) => (t.pointer.id, true),
        None => match staleness.current().id(&rel)? {
            Some(id) => (id, false),
            None => return Err(WorkspaceError::NotTracked { path: rel.into() }.into()),
        },
    };
    let walk = Walk {
        up: !args.down,
        down: !args.up,
        depth: args.depth,
    };
    let g = graph::build(&index, &mut staleness, &rel, id, tracked, walk)?;
    staleness.into_current().save()?;
    match args.format {
        Format::Tree => out!("{}", render::tree(&g)),
        Format::Dot => out!("{}", render::dot(&g)),
        Format::Mermaid => out!("{}", render::mermaid(&g)),
        Format::Json => crate::ui::print_json(&g),
    }
    Ok(ExitCode::SUCCESS)
}

/// What to do about a lineage error, where there is something to say.
fn export(app: &App, args: ExportArgs) -> Result<ExitCode, Error> {
    // clap requires it: OpenLineage is the one export format so far.
    debug_assert!(args.openlineage);
    let repo = app.repo()?;
    let runs = record::load_all(&repo)?;
    let mut text = String::new();
    for e in openlineage::export(&repo, &runs) {
        text += &serde_json::to_string(&e).expect("an event serialises");
        text.push('\n');
    }
    match &args.output {
        Some(path) => {
            let path = app.cwd.join(path);
            let dir = path.parent().unwrap_or(&app.cwd);
            kiln::fsutil::write_atomic(&path, text.as_bytes(), dir)?;
            app.say(format_args!(
                "wrote {} for {} to {}",
                crate::ui::summary::count(runs.len() as u64 * 2, "event"),
                crate::ui::summary::count(runs.len() as u64, "run"),
                path.display()
            ));
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error.
            let _ = out.write_all(text.as_bytes());
        }
    }
    Ok(ExitCode::SUCCESS)
}
