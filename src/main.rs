//! The `kiln` binary: parse arguments, call the library, render the result.

mod cli;
mod ui;

fn main() -> std::process::ExitCode {
    cli::main()
}
