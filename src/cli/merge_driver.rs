//! `kiln merge-driver`: what git runs to merge a pointer file changed on
//! both branches (set up by `kiln hooks install`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kiln::Error;
use kiln::pointer::Pointer;
use kiln::workspace::merge::{self, Merged};

use super::App;

#[derive(clap::Args)]
pub struct Args {
    /// The common ancestor's version of the pointer file (git's %O)
    base: PathBuf,
    /// Ours (git's %A), where the result is written
    ours: PathBuf,
    /// Theirs (git's %B)
    theirs: PathBuf,
    /// The pointer file's path in the repository (git's %P)
    path: String,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let repo = app.repo()?;
    let _lock = app.lock(&repo)?;
    let shown = Path::new(&args.path);
    // An empty file: the path is new on both branches.
    let read = |p: &Path| -> Result<Option<Pointer>, Error> {
        let text = kiln::fsutil::read_to_string(p)?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        Ok(Some(Pointer::parse(&text, shown)?))
    };
    let base = read(&args.base)?;
    let (Some(ours), Some(theirs)) = (read(&args.ours)?, read(&args.theirs)?) else {
        return Ok(ExitCode::from(1));
    };
    let data = args
        .path
        .strip_suffix(kiln::pointer::SUFFIX)
        .unwrap_or(&args.path);
    let tmp = repo.tmp_dir();
    kiln::fsutil::create_dir_all(&tmp)?;
    match merge::merge(&repo.store(), data, base.as_ref(), &ours, &theirs)? {
        Merged::Clean(p) => {
            kiln::fsutil::write_atomic(&args.ours, p.to_text().as_bytes(), &tmp)?;
            app.say(format_args!("kiln: merged {data} file by file"));
            Ok(ExitCode::SUCCESS)
        }
        Merged::Conflict {
            ours,
            theirs,
            files,
        } => {
            let text = merge::conflict_text(&ours, &theirs, &files);
            kiln::fsutil::write_atomic(&args.ours, text.as_bytes(), &tmp)?;
            eprintln!(
                "CONFLICT (kiln): {data}: changed on both branches: {}; keep one side's pointer in {} (both are stored), then `kiln checkout {data}`",
                files.join(", "),
                args.path
            );
            Ok(ExitCode::from(1))
        }
    }
}
