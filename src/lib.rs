//! kiln: version, validate and trace datasets kept beside code in git.
//!
//! The library never prints and never exits; the `kiln` binary is a thin
//! front end over it.

pub mod binding;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod drift;
pub mod duration;
pub mod env;
pub mod error;
pub mod fsutil;
pub mod git;
pub mod hooks;
pub mod html;
pub mod lineage;
pub mod pointer;
pub mod profiles;
pub mod progress;
pub mod redact;
pub mod remote;
pub mod repo;
pub mod repo_path;
pub mod schema;
pub mod source;
pub mod stats;
pub mod store;
pub mod validate;
pub mod workspace;

pub use error::Error;
