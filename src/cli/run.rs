use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::lineage::record::Status;
use kiln::lineage::run::{self, Finished, RunEnv, RunSpec};
use kiln::lineage::send::{Collector, Delivery};
use kiln::repo::Repo;
use kiln::workspace;

use super::App;
use crate::ui::summary::count;

#[derive(clap::Args)]
pub struct Args {
    /// A name for the step (default: the first output's path)
    #[arg(short, long)]
    name: Option<String>,
    /// An input the command reads: data or code, a file or a folder
    #[arg(short = 'd', long = "dep", value_name = "PATH")]
    deps: Vec<PathBuf>,
    /// A file or folder the command writes; tracked when it succeeds
    #[arg(short = 'o', long = "out", value_name = "PATH", required = true)]
    outputs: Vec<PathBuf>,
    /// Refuse to start when tracked files have uncommitted changes
    #[arg(long)]
    strict: bool,
    /// Run the command with `sh -c` (pipes, redirections, globs)
    #[arg(long)]
    shell: bool,
    /// Print the run record as JSON
    #[arg(long)]
    json: bool,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let resolve = |paths: &[PathBuf]| -> Result<Vec<String>, Error> {
        paths
            .iter()
            .map(|p| Ok(workspace::resolve(&repo, &app.cwd, p)?.into()))
            .collect()
    };
    let cwd = std::fs::canonicalize(&app.cwd).unwrap_or(app.cwd.clone());
    let workdir = repo.rel(&cwd).unwrap_or_default();
    let spec = RunSpec {
        name: args.name,
        argv: args.command,
        shell: args.shell,
        workdir,
        deps: resolve(&args.deps)?,
        outputs: resolve(&args.outputs)?,
        strict: args.strict,
    };
    let collector = Collector::resolve(&repo)?;
    let finished = execute(app, &repo, &spec, collector.as_ref(), args.json)?;
    if args.json {
        crate::ui::print_json(&finished.record);
    }
    Ok(report(app, &finished, collector.as_ref()))
}

/// Runs one step with the app's lock, progress and collector settings.
pub fn execute(
    app: &App,
    repo: &Repo,
    spec: &RunSpec,
    collector: Option<&Collector>,
    json: bool,
) -> Result<Finished, Error> {
    let progress = app.progress(json);
    let quiet = app.quiet;
    let on_wait = move || {
        if !quiet {
            eprintln!("waiting for another kiln process to finish writing…");
        }
    };
    let env = RunEnv {
        wait: app.wait,
        on_wait: &on_wait,
        progress: progress.as_ref(),
        collector,
    };
    Ok(run::run(repo, spec, &env)?)
}

/// Says how the run ended; a failed command exits 1.
pub fn report(app: &App, f: &Finished, collector: Option<&Collector>) -> ExitCode {
    let r = &f.record;
    if let (Some(d), Some(c)) = (&f.delivery, collector) {
        warn_delivery(app, d, c);
    }
    if r.status == Status::Fail {
        let how = match r.exit_code {
            Some(code) => format!("exit status {code}"),
            None => "a signal".to_string(),
        };
        crate::ui::error(&format!(
            "the command failed ({how}); recorded as FAIL in {}, no outputs changed",
            r.rel_path()
        ));
        return ExitCode::from(1);
    }
    let changed: Vec<&str> = f
        .added
        .iter()
        .filter(|a| a.changed)
        .map(|a| a.path.as_str())
        .collect();
    app.say(format_args!(
        "recorded run {} ({}): {}, {} ({} changed)",
        r.name,
        r.short_id(),
        count(r.deps.len() as u64, "input"),
        count(r.outputs.len() as u64, "output"),
        changed.len()
    ));
    if r.code.as_ref().is_some_and(|c| c.dirty) {
        app.say("note: the code had uncommitted changes (recorded as dirty)");
    }
    let mut files = vec![r.rel_path()];
    for a in &f.added {
        files.push(format!("{}.kiln", a.path));
    }
    app.say(format_args!("to commit: git add {}", files.join(" ")));
    ExitCode::SUCCESS
}

fn warn_delivery(app: &App, d: &Delivery, c: &Collector) {
    if let Some(e) = &d.error {
        app.say(format_args!(
            "warning: OpenLineage collector {}: {e}; {} kept to send with the next run",
            c.display_url(),
            count(d.pending as u64, "event")
        ));
    }
}
