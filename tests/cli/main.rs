// The harness reads and writes test files directly and prints what it saw.
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]
//! The one integration-test binary: every test runs the real `kiln` binary.

mod check;
mod dataset;
mod dvc;
mod foundation;
mod fuzz_corpus;
mod hooks;
mod imports;
mod lineage;
mod merge;
mod partial;
mod remote;
mod remote_gc;
mod snapshots;
mod stats;
mod support;
mod trust;
