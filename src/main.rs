//! The `kiln` binary: parse arguments, call the library, render the result.
// Output is the binary's job, not the library's.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod ui;

fn main() -> std::process::ExitCode {
    cli::main()
}
