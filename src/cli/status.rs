use crate::ui::outln;
use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::store::statcache::StatCache;
use kiln::workspace;
use kiln::workspace::status::{self, Stored, Workspace};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Tracked paths (default: all)
    paths: Vec<PathBuf>,
    /// List the files added, modified and deleted inside folders
    #[arg(long)]
    granular: bool,
    /// Print the status as JSON
    #[arg(long)]
    json: bool,
    /// Also compare with a remote (default: the default remote): what is not yet pushed or pulled
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    remote: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let tracked = workspace::select(&repo, &app.cwd, &args.paths)?;
    let mut cache = StatCache::load(&repo.state_dir());
    let progress = app.progress(args.json);
    let result = status::status(
        &repo,
        &tracked,
        args.granular,
        &mut cache,
        progress.as_ref(),
    )?;
    // Remember what was hashed, unless a writer is busy (status never waits).
    if let Ok(_lock) = repo.lock(std::time::Duration::ZERO, &|| {}) {
        cache.save(&repo.state_dir(), &repo.tmp_dir())?;
    }
    let remote = match &args.remote {
        Some(name) => Some(super::remote::status(
            &repo,
            &tracked,
            name,
            progress.as_ref(),
        )?),
        None => None,
    };
    let clean = result.iter().all(|s| s.is_clean())
        && remote.iter().all(|(_, r)| r.iter().all(|s| s.in_sync()));
    if args.json {
        match &remote {
            Some((name, r)) => crate::ui::print_json(
                &serde_json::json!({ "paths": result, "remote": { "name": name, "paths": r } }),
            ),
            None => crate::ui::print_json(&result),
        }
    } else if !app.quiet {
        if result.is_empty() {
            outln!("nothing tracked");
        }
        for s in &result {
            let ws = match s.workspace {
                Workspace::Unchanged => "unchanged",
                Workspace::Modified => "modified",
                Workspace::Missing => "missing from the workspace",
            };
            let st = match (s.store, s.not_fetched) {
                (Stored::Present, _) => String::new(),
                (_, n) if n > 0 => format!(
                    ", {} not fetched here",
                    crate::ui::summary::count(n, "file")
                ),
                (Stored::Partial, _) => ", partly missing from the store".into(),
                (Stored::Missing, _) => ", missing from the store".into(),
            };
            outln!("{:<12} {}{st}", format!("{ws}:"), s.path);
            // A tracked file's only entry has an empty name: nothing to list.
            if let Some(c) = s
                .changes
                .as_ref()
                .filter(|_| s.kind == kiln::pointer::Kind::Dir)
            {
                for (what, files) in [
                    ("added:   ", &c.added),
                    ("modified:", &c.modified),
                    ("deleted: ", &c.deleted),
                ] {
                    for f in files {
                        outln!("    {what} {}/{f}", s.path);
                    }
                }
            }
        }
        if let Some((name, r)) = &remote {
            crate::ui::summary::remote_status(name, r);
        }
        // Outputs whose recorded inputs changed; scripts use `kiln lineage --stale --format json`.
        let index = kiln::lineage::graph::Index::load_runs(&repo)?;
        if !index.runs.is_empty() {
            let mut stale =
                kiln::lineage::staleness::stale_outputs(&repo, &index, progress.as_ref())?;
            stale.retain(|s| tracked.iter().any(|t| t.rel == *s.path));
            crate::ui::summary::stale(&stale);
        }
    }
    Ok(if clean || !app.quiet {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
