//! A remote's settings: `[remote.NAME]`, its URL and the options its
//! backend takes, each checked against kiln's table of options (kind,
//! range, which backends take it, whether it is a secret) when the config
//! is read. Secrets live only in the local file or the environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::redact;

/// A remote's settings that cannot be used.
#[derive(Clone, Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "remote `{name}`: the secret `{key}` is in the committed .kiln/config.toml; `kiln remote modify {name} {key} VALUE` moves it to .kiln/config.local.toml"
    )]
    CommittedSecret { name: String, key: String },
    #[error("`{name}` is not a valid remote name (letters, digits, `-`, `_` and `.`)")]
    BadName { name: String },
    #[error("remote `{name}` has no `url`")]
    NoUrl { name: String },
    #[error("remote `{name}`: `{url}` cannot be used: {reason}")]
    BadUrl {
        name: String,
        url: String,
        reason: String,
    },
    #[error("remote `{name}`: unknown option `{key}` for {scheme} remotes (known: {known})")]
    UnknownOption {
        name: String,
        key: String,
        scheme: &'static str,
        known: String,
    },
    #[error("remote `{name}`: option `{key}`: {reason}")]
    BadOption {
        name: String,
        key: String,
        reason: String,
    },
}

/// Where a remote's objects live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    S3,
    Gs,
    Az,
    Local,
}

impl Scheme {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Gs => "gs",
            Scheme::Az => "az",
            Scheme::Local => "local folder",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    /// A whole number in a range.
    Count(u64, u64),
    Seconds,
    Text,
}

/// One option a remote accepts.
pub(crate) struct Opt {
    pub(crate) key: &'static str,
    pub(crate) kind: Kind,
    /// Never shown, never committed.
    pub(crate) secret: bool,
    /// Kept in the local file: it names something on this machine.
    pub(crate) machine: bool,
    /// The object_store configuration key per backend (s3, gs, az).
    backend: [Option<&'static str>; 3],
    /// kiln's own setting, valid for every scheme with `local` too.
    kiln: bool,
    local: bool,
}

const fn backend(key: &'static str, kind: Kind, backend: [Option<&'static str>; 3]) -> Opt {
    Opt {
        key,
        kind,
        secret: false,
        machine: false,
        backend,
        kiln: false,
        local: false,
    }
}

const fn secret(key: &'static str, backend: [Option<&'static str>; 3]) -> Opt {
    Opt {
        secret: true,
        ..self::backend(key, Kind::Text, backend)
    }
}

const fn kiln(key: &'static str, kind: Kind, local: bool) -> Opt {
    Opt {
        kiln: true,
        local,
        ..self::backend(key, kind, [None, None, None])
    }
}

const OPTIONS: &[Opt] = &[
    backend(
        "endpoint",
        Kind::Text,
        [Some("endpoint"), Some("base_url"), Some("endpoint")],
    ),
    backend("region", Kind::Text, [Some("region"), None, None]),
    backend(
        "allow-http",
        Kind::Bool,
        [Some("allow_http"), Some("allow_http"), Some("allow_http")],
    ),
    backend(
        "virtual-hosted-style",
        Kind::Bool,
        [Some("virtual_hosted_style_request"), None, None],
    ),
    backend(
        "unsigned-payload",
        Kind::Bool,
        [Some("unsigned_payload"), None, None],
    ),
    backend(
        "skip-signature",
        Kind::Bool,
        [
            Some("skip_signature"),
            Some("skip_signature"),
            Some("skip_signature"),
        ],
    ),
    secret("access-key-id", [Some("access_key_id"), None, None]),
    secret("secret-access-key", [Some("secret_access_key"), None, None]),
    secret("session-token", [Some("token"), None, None]),
    backend("account", Kind::Text, [None, None, Some("account_name")]),
    secret("access-key", [None, None, Some("access_key")]),
    secret("sas-token", [None, None, Some("sas_token")]),
    backend(
        "use-emulator",
        Kind::Bool,
        [None, None, Some("use_emulator")],
    ),
    Opt {
        machine: true,
        ..backend(
            "service-account",
            Kind::Text,
            [None, Some("service_account"), None],
        )
    },
    secret(
        "service-account-key",
        [None, Some("service_account_key"), None],
    ),
    // Each transfer holds a connection and a file open.
    kiln("jobs", Kind::Count(1, 256), true),
    kiln("retries", Kind::Count(0, 100), false),
    kiln("timeout", Kind::Seconds, false),
    kiln("connect-timeout", Kind::Seconds, false),
];

pub(crate) fn find(key: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.key == key)
}

pub(crate) fn applies(o: &Opt, scheme: Scheme) -> bool {
    match scheme {
        Scheme::S3 => o.kiln || o.backend[0].is_some(),
        Scheme::Gs => o.kiln || o.backend[1].is_some(),
        Scheme::Az => o.kiln || o.backend[2].is_some(),
        Scheme::Local => o.kiln && o.local,
    }
}

pub(crate) fn known_keys(scheme: Scheme) -> String {
    let keys: Vec<&str> = OPTIONS
        .iter()
        .filter(|o| applies(o, scheme))
        .map(|o| o.key)
        .collect();
    keys.join(", ")
}

/// A remote as configured, shared and local settings merged. Its `Debug`
/// form is redacted like everything else shown.
#[derive(Clone)]
pub struct RemoteConfig {
    pub name: String,
    /// The URL or folder as written in the config.
    pub url: String,
    pub scheme: Scheme,
    /// kiln's own settings, typed.
    pub kiln: KilnOptions,
    /// Every option as written (checked), for the backend and for showing.
    values: BTreeMap<String, String>,
}

/// The options kiln itself reads, as values of their types.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KilnOptions {
    /// Transfers at once.
    pub jobs: Option<usize>,
    /// Retries of a failed request.
    pub retries: Option<usize>,
    pub timeout: Option<std::time::Duration>,
    pub connect_timeout: Option<std::time::Duration>,
    /// Where the service is, when not at the provider's default address.
    pub endpoint: Option<String>,
    /// Whether the `unsigned-payload` option was given at all.
    pub unsigned_payload_set: bool,
}

impl KilnOptions {
    /// From checked option values: every count and number of seconds parses.
    fn of(values: &BTreeMap<String, String>) -> KilnOptions {
        let number = |key: &str| values.get(key).and_then(|v| v.parse::<u64>().ok());
        let seconds = |key: &str| number(key).map(std::time::Duration::from_secs);
        KilnOptions {
            jobs: number("jobs").map(|n| n as usize),
            retries: number("retries").map(|n| n as usize),
            timeout: seconds("timeout"),
            connect_timeout: seconds("connect-timeout"),
            endpoint: values.get("endpoint").cloned(),
            unsigned_payload_set: values.contains_key("unsigned-payload"),
        }
    }
}

impl std::fmt::Debug for RemoteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfig")
            .field("name", &self.name)
            .field("url", &self.display_url())
            .field("scheme", &self.scheme)
            .field("values", &self.shown_options())
            .finish()
    }
}

impl RemoteConfig {
    pub fn from_table(name: &str, table: &toml::Table) -> Result<RemoteConfig, SettingsError> {
        let url = match table.get("url") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => {
                return Err(SettingsError::NoUrl {
                    name: name.to_string(),
                });
            }
        };
        let scheme = parse_url(name, &url)?;
        let mut values = BTreeMap::new();
        for (key, value) in table {
            if key == "url" {
                continue;
            }
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                _ => {
                    return Err(SettingsError::BadOption {
                        name: name.to_string(),
                        key: key.clone(),
                        reason: "expected a string, a number or true/false".into(),
                    });
                }
            };
            let opt = check_option(name, scheme, key, &text)?;
            values.insert(opt.key.to_string(), text);
        }
        Ok(RemoteConfig {
            name: name.to_string(),
            url,
            scheme,
            kiln: KilnOptions::of(&values),
            values,
        })
    }

    /// A remote with its URL and no options, as `kiln remote add` makes it.
    pub(crate) fn bare(name: &str, url: String, scheme: Scheme) -> RemoteConfig {
        RemoteConfig {
            name: name.to_string(),
            url,
            scheme,
            kiln: KilnOptions::default(),
            values: BTreeMap::new(),
        }
    }

    /// The settings of `[remote.NAME]`, refused when the committed file
    /// (`committed`, its table there if any) holds one of its secrets.
    pub fn resolve(
        name: &str,
        table: &toml::Table,
        committed: Option<&toml::Table>,
    ) -> Result<RemoteConfig, SettingsError> {
        let config = RemoteConfig::from_table(name, table)?;
        if let Some(key) = committed
            .into_iter()
            .flat_map(|t| t.keys())
            .find(|k| find(k).is_some_and(|o| o.secret))
        {
            return Err(SettingsError::CommittedSecret {
                name: name.to_string(),
                key: key.clone(),
            });
        }
        Ok(config)
    }

    /// The URL with any credentials removed, for showing.
    pub fn display_url(&self) -> String {
        redact::url(&self.url)
    }

    /// The folder of a local remote: relative paths are relative to the
    /// repository root.
    pub fn local_path(&self, root: &Path) -> Option<PathBuf> {
        if self.scheme != Scheme::Local {
            return None;
        }
        let path = match url::Url::parse(&self.url) {
            Ok(u) if u.scheme() == "file" => u.to_file_path().ok()?,
            _ => PathBuf::from(&self.url),
        };
        Some(root.join(path))
    }

    /// The object_store configuration for this remote's backend.
    pub(crate) fn backend_options(&self) -> Vec<(&'static str, String)> {
        let slot = match self.scheme {
            Scheme::S3 => 0,
            Scheme::Gs => 1,
            Scheme::Az => 2,
            Scheme::Local => return Vec::new(),
        };
        self.values
            .iter()
            .filter_map(|(k, v)| Some((find(k)?.backend[slot]?, v.clone())))
            .collect()
    }

    /// Secret values, to scrub from anything shown: secret options and
    /// whatever user info the URL holds.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let in_url = redact::userinfo(&self.url).map(|(a, b)| self.url[a..b].to_string());
        self.values
            .iter()
            .filter(|(k, _)| find(k).is_some_and(|o| o.secret))
            .map(|(_, v)| v.clone())
            .chain(in_url)
            .collect()
    }

    /// Options as they may be shown: secret values hidden.
    pub fn shown_options(&self) -> BTreeMap<String, String> {
        self.values
            .iter()
            .map(|(k, v)| {
                let secret = find(k).is_some_and(|o| o.secret);
                (k.clone(), if secret { "***".into() } else { v.clone() })
            })
            .collect()
    }
}

const CREDENTIALS_IN_URL: &str = "credentials do not belong in a URL that is committed; set them with `kiln remote modify` (kept in .kiln/config.local.toml) or in the environment";

/// Judged by text, so a URL whose secret breaks parsing is caught too: user
/// info is `user@` or `user:secret@` after `://`.
fn has_credentials(url: &str) -> bool {
    let Some((a, b)) = redact::userinfo(url) else {
        return false;
    };
    let info = &url[a..b];
    info.contains(':') || !info.contains('/')
}

/// Checks a URL and names its scheme; credentials in a URL are refused
/// because the URL is committed.
pub(crate) fn parse_url(name: &str, text: &str) -> Result<Scheme, SettingsError> {
    let bad = |reason: &str| SettingsError::BadUrl {
        name: name.to_string(),
        url: redact::url(text),
        reason: reason.to_string(),
    };
    if text.trim().is_empty() {
        return Err(bad("empty"));
    }
    if !text.contains("://") {
        return Ok(Scheme::Local);
    }
    if has_credentials(text) {
        return Err(bad(CREDENTIALS_IN_URL));
    }
    let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("query strings and fragments are not supported"));
    }
    let scheme = match url.scheme() {
        "s3" => Scheme::S3,
        "gs" => Scheme::Gs,
        "az" | "azure" => Scheme::Az,
        "file" => {
            return if url.to_file_path().is_ok() {
                Ok(Scheme::Local)
            } else {
                Err(bad("not a local file path"))
            };
        }
        other => {
            return Err(bad(&format!(
                "unsupported scheme `{other}`; use s3://, gs://, az://, file:// or a folder path"
            )));
        }
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("the bucket or container name is missing"));
    }
    Ok(scheme)
}

/// Validates one option's key and value for a scheme.
pub(crate) fn check_option(
    name: &str,
    scheme: Scheme,
    key: &str,
    value: &str,
) -> Result<&'static Opt, SettingsError> {
    let opt =
        find(key)
            .filter(|o| applies(o, scheme))
            .ok_or_else(|| SettingsError::UnknownOption {
                name: name.to_string(),
                key: key.to_string(),
                scheme: scheme.label(),
                known: known_keys(scheme),
            })?;
    let bad = |reason: &str| SettingsError::BadOption {
        name: name.to_string(),
        key: key.to_string(),
        reason: reason.to_string(),
    };
    match opt.kind {
        Kind::Bool if value != "true" && value != "false" => Err(bad("expected true or false")),
        Kind::Count(min, max) if !value.parse::<u64>().is_ok_and(|n| (min..=max).contains(&n)) => {
            Err(bad(&format!("expected a whole number from {min} to {max}")))
        }
        Kind::Seconds if !value.parse::<u64>().is_ok_and(|n| (1..=3600).contains(&n)) => {
            Err(bad("expected a whole number of seconds, up to 3600"))
        }
        Kind::Text if value.is_empty() => Err(bad("empty value")),
        _ if opt.key == "endpoint" && has_credentials(value) => Err(bad(CREDENTIALS_IN_URL)),
        _ => Ok(opt),
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), SettingsError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(SettingsError::BadName {
            name: name.to_string(),
        })
    }
}
