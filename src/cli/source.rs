//! `ls`, `get`, `import` and `update`: datasets of other repositories.

use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::pointer::Kind;
use kiln::source::{self, Brought};

use super::App;

#[derive(clap::Args)]
pub struct LsArgs {
    /// The repository: a folder, or a URL git can clone
    url: String,
    /// Only this dataset or those below this folder
    path: Option<String>,
    /// A branch, tag or commit (default: the repository's HEAD)
    #[arg(long)]
    rev: Option<String>,
    /// Print the datasets as JSON
    #[arg(long)]
    json: bool,
}

/// What `get` and `import` take.
#[derive(clap::Args)]
pub struct DatasetArgs {
    /// The repository: a folder, or a URL git can clone
    url: String,
    /// The dataset's path in that repository
    path: String,
    /// Where to put it (default: its name, in the current folder)
    #[arg(short, long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// A branch, tag or commit (default: the repository's HEAD); `kiln update` follows a branch
    #[arg(long)]
    rev: Option<String>,
    /// Print a summary as JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct UpdateArgs {
    /// An imported dataset
    path: PathBuf,
    /// Move to this branch, tag or commit instead of the newest commit of the recorded one
    #[arg(long)]
    rev: Option<String>,
    /// Print a summary as JSON
    #[arg(long)]
    json: bool,
}

pub fn ls(app: &App, args: LsArgs) -> Result<ExitCode, Error> {
    let ours = app.repo().ok();
    let tmp = ours
        .as_ref()
        .map(|r| r.tmp_dir())
        .unwrap_or_else(std::env::temp_dir);
    let (commit, datasets) = source::ls(
        &locate(app, &args.url),
        args.path.as_deref(),
        args.rev.as_deref(),
        &tmp,
    )?;
    if args.json {
        #[derive(serde::Serialize)]
        struct Listed<'a> {
            commit: &'a str,
            datasets: &'a [source::Dataset],
        }
        crate::ui::print_json(&Listed {
            commit: &commit,
            datasets: &datasets,
        });
        return Ok(ExitCode::SUCCESS);
    }
    for d in &datasets {
        let what = match (d.pointer.kind, d.pointer.files) {
            (Kind::Dir, Some(n)) => format!("folder, {}", crate::ui::summary::count(n, "file")),
            _ => "file".to_string(),
        };
        crate::ui::write_out(format_args!(
            "{:>10}  {:<20}  {}\n",
            crate::ui::size(d.pointer.size),
            what,
            d.path
        ));
    }
    app.say(format_args!(
        "{} at commit {}",
        crate::ui::summary::count(datasets.len() as u64, "dataset"),
        &commit[..7]
    ));
    Ok(ExitCode::SUCCESS)
}

/// A repository given as a folder, made absolute (an import records it, and
/// `-C` moves where relative paths start); a URL as it is.
fn locate(app: &App, url: &str) -> String {
    let local = app.cwd.join(url);
    match local.is_dir().then(|| local.canonicalize()) {
        Some(Ok(abs)) => abs.display().to_string(),
        _ => url.to_string(),
    }
}

/// The default destination: the dataset's own name, in the current folder.
fn out_or_name(app: &App, out: Option<PathBuf>, path: &str) -> PathBuf {
    let out = out.unwrap_or_else(|| {
        let name = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(path);
        PathBuf::from(name)
    });
    app.cwd.join(out)
}

pub fn get(app: &App, args: DatasetArgs) -> Result<ExitCode, Error> {
    let ours = app.repo().ok();
    let out = out_or_name(app, args.out, &args.path);
    let progress = app.progress(args.json);
    let done = source::get(
        &locate(app, &args.url),
        &args.path,
        args.rev.as_deref(),
        &out,
        ours.as_ref(),
        progress.as_ref(),
    )?;
    report(app, &done, "downloaded", args.json);
    Ok(ExitCode::SUCCESS)
}

pub fn import(app: &App, args: DatasetArgs) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let out = out_or_name(app, args.out, &args.path);
    let at = kiln::workspace::resolve(&repo, &app.cwd, &out)?;
    let progress = app.progress(args.json);
    let done = source::import(
        &repo,
        &locate(app, &args.url),
        &args.path,
        args.rev.as_deref(),
        at,
        progress.as_ref(),
    )?;
    report(app, &done, "imported", args.json);
    Ok(ExitCode::SUCCESS)
}

pub fn update(app: &App, args: UpdateArgs) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let at = kiln::workspace::resolve_data(&repo, &app.cwd, &args.path)?;
    let progress = app.progress(args.json);
    let done = source::update(&repo, at, args.rev.as_deref(), progress.as_ref())?;
    let verb = if done.changed {
        "updated"
    } else {
        "up to date:"
    };
    report(app, &done, verb, args.json);
    Ok(ExitCode::SUCCESS)
}

fn report(app: &App, done: &Brought, verb: &str, json: bool) {
    if json {
        crate::ui::print_json(done);
        return;
    }
    let files = done
        .files
        .map(|n| format!(", {}", crate::ui::summary::count(n, "file")))
        .unwrap_or_default();
    app.say(format_args!(
        "{verb} {} ({}{files}) from {} at commit {} to {}",
        done.path,
        crate::ui::size(done.size),
        done.repo,
        &done.commit[..7],
        done.to.display()
    ));
}
