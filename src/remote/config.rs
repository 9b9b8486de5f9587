//! The configured remotes of a repository: by name or the default one, with
//! secrets refused in the committed file. Each remote's settings were read
//! and checked with the config (`config::remote`).

use std::path::Path;

use toml_edit::DocumentMut;

use super::RemoteError;
use crate::config::remote::RemoteConfig;
use crate::config::{Config, ConfigError};
use crate::fsutil;
use crate::repo::{Repo, RepoError};

/// Every configured remote, by name.
pub fn all(repo: &Repo) -> Result<Vec<RemoteConfig>, RemoteError> {
    repo.config
        .remotes
        .values()
        .map(|r| r.clone().map_err(RemoteError::from))
        .collect()
}

/// The default remote's name in `config`: the configured one, or the only remote.
pub fn default_name(config: &Config) -> Option<String> {
    if let Some(name) = &config.kiln.remote {
        return Some(name.clone());
    }
    let mut names = config.remotes.keys();
    match (names.next(), names.next()) {
        (Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

/// The remote called `name`, or the default one, as the config resolved it.
pub fn resolve(repo: &Repo, name: Option<&str>) -> Result<RemoteConfig, RemoteError> {
    let name = match name {
        Some(n) => n.to_string(),
        None => default_name(&repo.config).ok_or(RemoteError::NoDefault)?,
    };
    match repo.config.remotes.get(&name) {
        Some(resolved) => Ok(resolved.clone()?),
        None => Err(unknown(repo, &name)),
    }
}

pub(super) fn unknown(repo: &Repo, name: &str) -> RemoteError {
    let known: Vec<&str> = repo.config.remotes.keys().map(String::as_str).collect();
    RemoteError::Unknown {
        name: name.to_string(),
        known: if known.is_empty() {
            "none configured".into()
        } else {
            format!("configured: {}", known.join(", "))
        },
    }
}

pub(super) fn read_doc(path: &Path) -> Result<DocumentMut, RemoteError> {
    let text = fsutil::read_to_string_if_exists(path)?.unwrap_or_default();
    text.parse::<DocumentMut>().map_err(|e| {
        RemoteError::Repo(RepoError::Config(ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        }))
    })
}
