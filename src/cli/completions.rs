//! `kiln completions SHELL` and `kiln man`: generated from the command
//! definitions, so they never fall behind them.

use std::process::ExitCode;

use clap::CommandFactory;
use kiln::Error;

use super::{App, Cli};
use crate::ui::out;

#[derive(clap::Args)]
pub struct Args {
    /// The shell to complete in
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn run(_app: &App, args: Args) -> Result<ExitCode, Error> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "kiln", &mut buf);
    out!("{}", String::from_utf8_lossy(&buf));
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args)]
pub struct ManArgs {}

pub fn man(_app: &App, _args: ManArgs) -> Result<ExitCode, Error> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| Error::Io(kiln::fsutil::IoError::new("write", "the man page", e)))?;
    out!("{}", String::from_utf8_lossy(&buf));
    Ok(ExitCode::SUCCESS)
}
