use crate::ui::out;
use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::fsutil::{self, IoError};
use kiln::validate::infer;

use super::App;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SchemaCommand,
}

#[derive(clap::Subcommand)]
enum SchemaCommand {
    /// Write a schema from one scan of a data file: types, required, unique, ranges, enums
    Infer(InferArgs),
}

#[derive(clap::Args)]
struct InferArgs {
    /// The data file to scan
    file: PathBuf,
    /// Write the schema here instead of to stdout
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace the output file if it exists
    #[arg(long)]
    force: bool,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    match args.command {
        SchemaCommand::Infer(a) => run_infer(app, a),
    }
}

fn run_infer(app: &App, args: InferArgs) -> Result<ExitCode, Error> {
    let inferred = infer::infer(&app.cwd.join(&args.file))?;
    let Some(out) = args.output else {
        out!("{}", inferred.text);
        return Ok(ExitCode::SUCCESS);
    };
    let out = app.cwd.join(out);
    if out.exists() && !args.force {
        let e = std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "it exists (use --force to replace it)",
        );
        return Err(IoError::new("write", out, e).into());
    }
    let dir = out
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| app.cwd.clone());
    fsutil::create_dir_all(&dir)?;
    fsutil::write_atomic(&out, inferred.text.as_bytes(), &dir)?;
    app.say(format_args!(
        "wrote {} ({}, from {})",
        out.display(),
        crate::ui::summary::count(inferred.fields as u64, "field"),
        crate::ui::summary::count(inferred.rows, "row")
    ));
    Ok(ExitCode::SUCCESS)
}
