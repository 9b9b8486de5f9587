//! The one integration-test binary: every test runs the real `kiln` binary.

mod foundation;
mod support;
