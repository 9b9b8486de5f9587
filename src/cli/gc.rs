use std::path::PathBuf;
use std::process::ExitCode;

use kiln::remote::{GcOptions, Remote};
use kiln::repo::Repo;
use kiln::store::gc;
use kiln::workspace::{self, GcScope};
use kiln::{Error, binding, validate};

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
    /// Collect on this remote instead of the local store (a dry run unless --force)
    #[arg(short, long, value_name = "NAME")]
    remote: Option<String>,
    /// With --remote: also keep what this repository references, by the same scope (repeatable)
    #[arg(long, value_name = "PATH", requires = "remote")]
    repo: Vec<PathBuf>,
    /// With --remote: never delete objects written less than this long ago, such as 30m, 12h, 7d
    #[arg(long, value_name = "AGE", default_value = "1d", value_parser = parse_age, requires = "remote")]
    grace: u64,
    /// With --remote: delete, rather than report what would be deleted
    #[arg(long, requires = "remote", conflicts_with = "dry_run")]
    force: bool,
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
    if let Some(name) = &args.remote {
        return remote_gc(app, &repo, name, roots, scope, &args);
    }
    let store = repo.store();
    let keep = gc::reachable(&roots, |id| gc::local_tree(&store, id))?.ids;
    let objects = gc::gc(&store, &keep, args.dry_run)?;
    // Check results, key runs, profiles and kept merges of the data the
    // store no longer holds go with it.
    let derived = validate::sweep(&binding::dirs(&repo), &keep, args.dry_run)?;
    if args.json {
        crate::ui::print_json(&Collected {
            objects: &objects,
            derived,
        });
    } else {
        app.say(format_args!(
            "{} {} ({}), kept {}; {} of derived state ({})",
            verb(args.dry_run),
            crate::ui::summary::count(objects.removed, "object"),
            crate::ui::size(objects.removed_bytes),
            objects.kept,
            crate::ui::summary::count(derived.files, "file"),
            crate::ui::size(derived.bytes),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// What a local gc removed: objects, and derived state.
#[derive(serde::Serialize)]
struct Collected<'a> {
    #[serde(flatten)]
    objects: &'a gc::GcReport,
    derived: validate::Swept,
}

/// A remote is shared by every clone, and holds what may be the only copy:
/// so a remote gc reports unless told to delete, rather than asking (it
/// runs unattended, from scripts and CI, where no one answers a prompt).
fn remote_gc(
    app: &App,
    repo: &Repo,
    name: &str,
    mut roots: Vec<gc::Root>,
    scope: GcScope,
    args: &Args,
) -> Result<ExitCode, Error> {
    let mut stores = vec![repo.store()];
    for path in &args.repo {
        let other = Repo::discover(&app.cwd.join(path))?;
        roots.extend(workspace::gc_roots(&other, scope)?);
        stores.push(other.store());
    }
    let remote = Remote::open(repo, Some(name), None)?;
    let opts = GcOptions {
        grace_secs: args.grace,
        delete: args.force,
    };
    let report = remote.gc(&stores, &roots, opts, app.progress(args.json).as_ref())?;
    if args.json {
        crate::ui::print_json(&report);
        return Ok(ExitCode::SUCCESS);
    }
    app.say(format_args!(
        "{} {} ({}) from remote `{}`, kept {} referenced and {} newer than the grace period",
        verb(report.dry_run),
        crate::ui::summary::count(report.removed, "object"),
        crate::ui::size(report.removed_bytes),
        report.remote,
        report.kept,
        report.recent,
    ));
    if report.trees_not_found > 0 {
        app.say(format_args!(
            "note: {} referenced by pointers {} neither on the remote nor here; their files could not be kept",
            crate::ui::summary::count(report.trees_not_found, "folder version"),
            if report.trees_not_found == 1 { "is" } else { "are" },
        ));
    }
    if report.dry_run && report.removed > 0 {
        app.say("nothing was deleted: run again with --force to delete");
    }
    Ok(ExitCode::SUCCESS)
}

fn verb(dry_run: bool) -> &'static str {
    if dry_run { "would remove" } else { "removed" }
}

/// An age such as `90s`, `30m`, `12h`, `7d`, `2w`, or `0`.
fn parse_age(text: &str) -> Result<u64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an age such as 30m, 12h or 7d"))?;
    let scale = match unit {
        "" if n == 0 => 0,
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(format!("`{text}` is not an age such as 30m, 12h or 7d")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too long an age"))
}
