use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::store::statcache::StatCache;
use kiln::workspace::{self, WorkspaceError, add::AddOptions, remove};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders inside a tracked folder (taken out of it and the
    /// workspace, fetched here or not), or tracked paths (no longer tracked;
    /// their data stays)
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let progress = app.progress(false);
    let mut cache = StatCache::load(&repo.state_dir());
    let opts = AddOptions::default();
    for p in &args.paths {
        let rel = workspace::resolve(&repo, &app.cwd, p)?;
        if let Some((folder, sub)) = workspace::add::enclosing(&repo, rel.as_str()) {
            remove::delete_part(&repo, &rel)?;
            let added = kiln::binding::add_without(
                &repo,
                &folder,
                &[sub],
                &opts,
                &mut cache,
                progress.as_ref(),
            )?;
            let verb = if added.changed { "removed" } else { "not in" };
            app.say(format_args!(
                "{verb} {rel} from {folder} (now {}); to commit: git add {folder}.kiln",
                crate::ui::summary::count(added.pointer.files.unwrap_or(0), "file")
            ));
        } else if remove::untrack(&repo, &rel)? {
            let dir = rel
                .as_str()
                .rsplit_once('/')
                .map(|(d, _)| format!("{d}/"))
                .unwrap_or_default();
            app.say(format_args!(
                "no longer tracking {rel} (its data stays); to commit: git add {rel}.kiln {dir}.gitignore"
            ));
        } else {
            return Err(WorkspaceError::NotTracked { path: rel.into() }.into());
        }
    }
    cache.save(&repo.state_dir(), &repo.tmp_dir())?;
    Ok(ExitCode::SUCCESS)
}
