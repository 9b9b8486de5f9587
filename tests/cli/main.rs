//! The one integration-test binary: every test runs the real `kiln` binary.

mod check;
mod dvc;
mod foundation;
mod fuzz_corpus;
mod hooks;
mod lineage;
mod remote;
mod snapshots;
mod support;
mod trust;
