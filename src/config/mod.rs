//! Settings: `.kiln/config.toml` (committed) with `.kiln/config.local.toml`
//! (this machine's) laid over it, read and checked once when a repository
//! is opened, so commands receive typed, resolved values.

pub mod remote;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::{self, IoError};

/// The configuration format this kiln writes and the newest it reads.
pub const CONFIG_FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// How a workspace copy of stored content is made, tried in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkMode {
    Reflink,
    Hardlink,
    Symlink,
    Copy,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KilnSection {
    #[serde(default = "default_format")]
    pub format: u32,
    /// The default remote's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// False for `kiln init --no-scm`.
    #[serde(default = "yes")]
    pub scm: bool,
}

fn default_format() -> u32 {
    CONFIG_FORMAT
}
fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSection {
    #[serde(default = "default_links")]
    pub link: Vec<LinkMode>,
}

impl Default for CacheSection {
    fn default() -> Self {
        CacheSection {
            link: default_links(),
        }
    }
}

fn default_links() -> Vec<LinkMode> {
    vec![LinkMode::Reflink, LinkMode::Copy]
}

/// A schema bound to the data files that match a glob.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckBinding {
    pub path: String,
    pub schema: String,
}

/// `[openlineage]`: where `kiln run` sends its events. The standard
/// `OPENLINEAGE_*` environment variables win (`lineage::send` applies them).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenLineageSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Seconds to wait for the collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<std::num::NonZeroU64>,
}

/// `.kiln/config.toml`, with `.kiln/config.local.toml` laid over it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub kiln: KilnSection,
    #[serde(default)]
    pub cache: CacheSection,
    /// Remotes by name as written: `url` plus backend options.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) remote: BTreeMap<String, toml::Table>,
    /// Each remote resolved when the config is read: its checked settings,
    /// or why they cannot be used (reported by the commands that use it,
    /// so that `kiln remote modify` can still mend it).
    #[serde(skip)]
    pub remotes: BTreeMap<String, Result<remote::RemoteConfig, remote::SettingsError>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check: Vec<CheckBinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openlineage: Option<OpenLineageSection>,
}

impl Config {
    /// Reads the committed config and lays the local one over it.
    pub fn load(kiln_dir: &Path) -> Result<Config, ConfigError> {
        let main = kiln_dir.join("config.toml");
        let local = kiln_dir.join("config.local.toml");
        let (main_text, local_text) = (read_text(&main)?, read_text(&local)?);
        Config::parse(main_text.as_deref(), local_text.as_deref(), &main, &local)
    }

    /// The config from the committed file's text and the local one's (each
    /// absent or not); the paths name the files in errors.
    pub fn parse(
        main_text: Option<&str>,
        local_text: Option<&str>,
        main: &Path,
        local: &Path,
    ) -> Result<Config, ConfigError> {
        let mut value = main_text
            .map(|t| parse_toml(t, main))
            .transpose()?
            .unwrap_or_default();
        let over = local_text.map(|t| parse_toml(t, local)).transpose()?;
        let committed = value.get("remote").and_then(toml::Value::as_table).cloned();
        if let Some(over) = over {
            merge(&mut value, over);
        }
        let mut config: Config =
            toml::Value::Table(value)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    // Read alone, the file at fault (the local one first: its
                    // values win) gives the error its line and key.
                    [(local_text, local), (main_text, main)]
                        .into_iter()
                        .find_map(|(text, path)| {
                            let text = text?;
                            let e = toml::from_str::<Config>(text).err()?;
                            Some(ConfigError::Invalid {
                                path: path.to_path_buf(),
                                message: one_line_toml(&e, text),
                            })
                        })
                        .unwrap_or_else(|| ConfigError::Invalid {
                            path: main.to_path_buf(),
                            message: e.message().to_string(),
                        })
                })?;
        config.remotes = config
            .remote
            .iter()
            .map(|(name, table)| {
                let in_committed = committed
                    .as_ref()
                    .and_then(|c| c.get(name))
                    .and_then(toml::Value::as_table);
                let resolved = remote::RemoteConfig::resolve(name, table, in_committed);
                (name.clone(), resolved)
            })
            .collect();
        // Bindings are committed content: the schema they name is read, so
        // it passes the safe-path gate like every other path from a clone.
        for b in &config.check {
            crate::repo_path::RepoPath::new(&b.schema).map_err(|e| ConfigError::Invalid {
                path: main.to_path_buf(),
                message: format!("[[check]] schema {e}"),
            })?;
        }
        if config.kiln.format > CONFIG_FORMAT {
            return Err(ConfigError::Invalid {
                path: main.to_path_buf(),
                message: format!(
                    "config format {} is newer than this kiln reads ({CONFIG_FORMAT}); upgrade kiln",
                    config.kiln.format
                ),
            });
        }
        Ok(config)
    }
}

/// A config file's text; `None` when there is no such file.
fn read_text(path: &Path) -> Result<Option<String>, ConfigError> {
    Ok(fsutil::read_to_string_if_exists(path)?)
}

fn parse_toml(text: &str, path: &Path) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: one_line_toml(&e, text),
        })
}

/// A TOML error on one line: its line number and, where the error is a
/// value's, the key (`section.key`), then what was expected.
fn one_line_toml(e: &toml::de::Error, text: &str) -> String {
    let Some(span) = e.span() else {
        return e.message().to_string();
    };
    // Counted in bytes: a span never has to fall on a character.
    let before = &text.as_bytes()[..span.start.min(text.len())];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let number = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line = text
        .get(line_start..)
        .and_then(|t| t.lines().next())
        .unwrap_or("");
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let section = text.get(..line_start).and_then(|t| {
        t.lines().rev().find_map(|l| {
            let l = l.trim();
            l.strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
                .map(|s| s.trim_matches(['[', ']']).trim())
        })
    });
    match (section, key) {
        (Some(s), Some(k)) => format!("line {number}, `{s}.{k}`: {}", e.message()),
        (None, Some(k)) => format!("line {number}, `{k}`: {}", e.message()),
        _ => format!("line {number}: {}", e.message()),
    }
}

/// Lays `over` onto `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}
