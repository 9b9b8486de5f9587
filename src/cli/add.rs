use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::store::statcache::StatCache;
use kiln::workspace::{self, add::AddOptions};

use super::App;
use crate::ui::summary::count;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders to track
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Bind this schema to the data (recorded in the pointer)
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Record the data even if it fails its bound schema
    #[arg(long)]
    no_check: bool,
    /// Print what was added as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let schema = match &args.schema {
        Some(s) => Some(workspace::resolve(&repo, &app.cwd, s)?.into()),
        None => None,
    };
    let opts = AddOptions {
        schema,
        no_check: args.no_check,
        ..Default::default()
    };
    let progress = app.progress(args.json);
    let mut cache = StatCache::load(&repo.state_dir());
    let mut added = Vec::new();
    let mut result = Ok(());
    for p in &args.paths {
        let rel = workspace::resolve(&repo, &app.cwd, p)?;
        match kiln::binding::add(&repo, &rel, &opts, &mut cache, progress.as_ref()) {
            Ok(a) => added.push(a),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    // Keep what was learnt even when a later path failed.
    cache.save(&repo.state_dir(), &repo.tmp_dir())?;
    if args.json {
        crate::ui::print_json(&added);
    } else {
        for a in &added {
            let what = if a.changed { "added" } else { "unchanged" };
            app.say(format_args!(
                "{what} {} ({}, {}, {} hashed, {})",
                a.path,
                crate::ui::size(a.pointer.size),
                count(a.pointer.files.unwrap_or(1), "file"),
                a.hashed,
                count(a.new_objects, "new object")
            ));
        }
        if added.iter().any(|a| a.changed) {
            let mut files: Vec<String> = Vec::new();
            for a in added.iter().filter(|a| a.changed) {
                files.push(format!("{}.kiln", a.path));
                let dir = a
                    .path
                    .rsplit_once('/')
                    .map(|(d, _)| format!("{d}/"))
                    .unwrap_or_default();
                files.push(format!("{dir}.gitignore"));
            }
            files.sort();
            files.dedup();
            app.say(format_args!("to commit: git add {}", files.join(" ")));
        }
    }
    result?;
    Ok(ExitCode::SUCCESS)
}
