//! The edits `kiln remote add|modify|remove|default` make to
//! `.kiln/config.toml` and `.kiln/config.local.toml`, keeping the user's
//! comments and layout.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use super::RemoteError;
use super::config::{read_doc, unknown};
use crate::config::ConfigError;
use crate::config::remote::{
    Kind, RemoteConfig, Scheme, SettingsError, check_name, check_option, find, known_keys,
    parse_url,
};
use crate::fsutil;
use crate::repo::{Repo, RepoError};

fn write_doc(repo: &Repo, path: &Path, doc: &DocumentMut) -> Result<(), RemoteError> {
    let tmp = repo.tmp_dir();
    fsutil::create_dir_all(&tmp)?;
    let mut text = doc.to_string();
    let local = *path == repo.local_config_path();
    // A new local file says what it is for.
    if local && !path.exists() {
        text.insert_str(0, LOCAL_HEADER);
    }
    // The local file holds secrets: readable by its owner only.
    let mode = if local { 0o600 } else { 0o666 };
    fsutil::write_atomic_mode(path, text.as_bytes(), &tmp, mode)?;
    Ok(())
}

/// The `[remote.NAME]` table in a document, created if asked.
fn remote_table<'a>(
    doc: &'a mut DocumentMut,
    path: &Path,
    name: &str,
    create: bool,
) -> Result<Option<&'a mut Table>, RemoteError> {
    let not_table = |key: &str| {
        RemoteError::Repo(RepoError::Config(ConfigError::Invalid {
            path: path.to_path_buf(),
            message: format!("`{key}` must be a table"),
        }))
    };
    if !doc.contains_key("remote") {
        if !create {
            return Ok(None);
        }
        let mut t = Table::new();
        // `[remote.NAME]` headers only, no empty `[remote]`.
        t.set_implicit(true);
        doc.insert("remote", Item::Table(t));
    }
    let remotes = doc["remote"]
        .as_table_mut()
        .ok_or_else(|| not_table("remote"))?;
    if !remotes.contains_key(name) {
        if !create {
            return Ok(None);
        }
        remotes.insert(name, Item::Table(Table::new()));
    }
    remotes[name]
        .as_table_mut()
        .map(Some)
        .ok_or_else(|| not_table(&format!("remote.{name}")))
}

const LOCAL_HEADER: &str = "# Per-machine kiln settings and secrets: never committed.\n";

/// `kiln remote add`: a new remote in the shared config. A relative folder
/// is stored relative to the repository root.
pub fn add(
    repo: &Repo,
    cwd: &Path,
    name: &str,
    url: &str,
    make_default: bool,
) -> Result<RemoteConfig, RemoteError> {
    check_name(name)?;
    if repo.config.remote.contains_key(name) {
        return Err(RemoteError::Exists {
            name: name.to_string(),
        });
    }
    let scheme = parse_url(name, url)?;
    let stored = stored_url(repo, cwd, url, scheme);
    let path = repo.config_path();
    let mut doc = read_doc(&path)?;
    let table = remote_table(&mut doc, &path, name, true)?.expect("created");
    table.insert("url", toml_edit::value(stored.clone()));
    if make_default {
        set_default_in(&mut doc, &path, name)?;
    }
    write_doc(repo, &path, &doc)?;
    Ok(RemoteConfig::bare(name, stored, scheme))
}

/// A URL as the config keeps it: a relative folder, given from anywhere in
/// the repository, is stored relative to the repository root.
fn stored_url(repo: &Repo, cwd: &Path, url: &str, scheme: Scheme) -> String {
    if scheme == Scheme::Local && !url.contains("://") && Path::new(url).is_relative() {
        relative_to(repo.root(), &crate::fsutil::normalize(&cwd.join(url)))
    } else {
        url.to_string()
    }
}

fn set_default_in(doc: &mut DocumentMut, path: &Path, name: &str) -> Result<(), RemoteError> {
    if !doc.contains_key("kiln") {
        doc.insert("kiln", Item::Table(Table::new()));
    }
    let kiln = doc["kiln"].as_table_mut().ok_or_else(|| {
        RemoteError::Repo(RepoError::Config(ConfigError::Invalid {
            path: path.to_path_buf(),
            message: "`kiln` must be a table".into(),
        }))
    })?;
    kiln.insert("remote", toml_edit::value(name));
    Ok(())
}

/// `kiln remote default NAME`.
pub fn set_default(repo: &Repo, name: &str) -> Result<(), RemoteError> {
    if !repo.config.remote.contains_key(name) {
        return Err(unknown(repo, name));
    }
    let path = repo.config_path();
    let mut doc = read_doc(&path)?;
    set_default_in(&mut doc, &path, name)?;
    write_doc(repo, &path, &doc)
}

/// `kiln remote remove`: drops the remote from both files (and as default).
pub fn remove(repo: &Repo, name: &str) -> Result<(), RemoteError> {
    if !repo.config.remote.contains_key(name) {
        return Err(unknown(repo, name));
    }
    for path in [repo.config_path(), repo.local_config_path()] {
        if !path.exists() {
            continue;
        }
        let mut doc = read_doc(&path)?;
        let mut changed = false;
        if let Some(remotes) = doc.get_mut("remote").and_then(Item::as_table_mut) {
            changed |= remotes.remove(name).is_some();
            if remotes.is_empty() {
                doc.remove("remote");
            }
        }
        if let Some(kiln) = doc.get_mut("kiln").and_then(Item::as_table_mut)
            && kiln.get("remote").and_then(Item::as_str) == Some(name)
        {
            kiln.remove("remote");
            changed = true;
        }
        if changed {
            write_doc(repo, &path, &doc)?;
        }
    }
    Ok(())
}

/// Which file an option went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Shared,
    Local,
}

/// `kiln remote modify NAME KEY VALUE`: sets (or with `value` None, unsets)
/// an option. Secrets and per-machine settings always go to the local file;
/// `local` sends any option there.
pub fn modify(
    repo: &Repo,
    cwd: &Path,
    name: &str,
    key: &str,
    value: Option<&str>,
    local: bool,
) -> Result<Placement, RemoteError> {
    let table = repo
        .config
        .remote
        .get(name)
        .ok_or_else(|| unknown(repo, name))?;
    let (placement, item) = if key == "url" {
        let Some(v) = value else {
            return Err(RemoteError::from(SettingsError::BadOption {
                name: name.to_string(),
                key: key.to_string(),
                reason: "a remote needs a URL; use `kiln remote remove` to drop it".into(),
            }));
        };
        let scheme = parse_url(name, v)?;
        let place = if local {
            Placement::Local
        } else {
            Placement::Shared
        };
        (
            place,
            Some(toml_edit::value(stored_url(repo, cwd, v, scheme))),
        )
    } else {
        // From the URL alone: the other options may be what is being mended.
        let scheme = match table.get("url") {
            Some(toml::Value::String(url)) => parse_url(name, url)?,
            _ => {
                return Err(SettingsError::NoUrl {
                    name: name.to_string(),
                }
                .into());
            }
        };
        let opt = match value {
            Some(v) => check_option(name, scheme, key, v)?,
            None => find(key).ok_or_else(|| SettingsError::UnknownOption {
                name: name.to_string(),
                key: key.to_string(),
                scheme: scheme.label(),
                known: known_keys(scheme),
            })?,
        };
        let place = if local || opt.secret || opt.machine {
            Placement::Local
        } else {
            Placement::Shared
        };
        let item = value.map(|v| match opt.kind {
            Kind::Bool => toml_edit::value(v == "true"),
            Kind::Count(..) | Kind::Seconds => {
                toml_edit::value(v.parse::<i64>().expect("validated above"))
            }
            Kind::Text => toml_edit::value(v),
        });
        (place, item)
    };
    let (target, other) = match placement {
        Placement::Shared => (repo.config_path(), repo.local_config_path()),
        Placement::Local => (repo.local_config_path(), repo.config_path()),
    };
    let mut doc = read_doc(&target)?;
    match item {
        Some(item) => {
            let t = remote_table(&mut doc, &target, name, true)?.expect("created");
            t.insert(key, item);
        }
        None => {
            if let Some(t) = remote_table(&mut doc, &target, name, false)? {
                t.remove(key);
            }
        }
    }
    write_doc(repo, &target, &doc)?;
    // A secret must not stay behind in the committed file, and an unset
    // option is unset everywhere.
    let secret = find(key).is_some_and(|o| o.secret);
    if (secret || value.is_none()) && other.exists() {
        let mut doc = read_doc(&other)?;
        if let Some(t) = remote_table(&mut doc, &other, name, false)?
            && t.remove(key).is_some()
        {
            write_doc(repo, &other, &doc)?;
        }
    }
    Ok(placement)
}

/// `target` relative to `base` (both absolute and normalised).
fn relative_to(base: &Path, target: &Path) -> String {
    let b: Vec<_> = base.components().collect();
    let t: Vec<_> = target.components().collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        ".".into()
    } else {
        out.to_string_lossy().into_owned()
    }
}
