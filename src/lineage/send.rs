//! Sending OpenLineage events to a collector (Marquez or any server of the
//! HTTP API). A collector that is down never fails a run: unsent events wait
//! in a spool under `.kiln/state/` and go out, in order, with the next run.

use std::path::PathBuf;
use std::time::Duration;

use super::LineageError;
use crate::env;
use crate::fsutil;
use crate::repo::Repo;

/// The collector's API path, appended to its URL unless configured.
pub const DEFAULT_ENDPOINT: &str = "api/v1/lineage";

/// Unsent events, one JSON document a line, oldest first.
const SPOOL: &str = "openlineage-spool.ndjson";

/// Where events go.
#[derive(Clone, Debug)]
pub struct Collector {
    /// The full endpoint URL.
    url: String,
    api_key: Option<String>,
    timeout: Duration,
}

/// What became of a batch of events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Events the collector accepted.
    pub sent: usize,
    /// Events left in the spool.
    pub pending: usize,
    /// Why sending stopped, if it did.
    pub error: Option<String>,
}

impl Delivery {
    /// The result of this delivery followed by `later`.
    pub fn then(self, later: Delivery) -> Delivery {
        Delivery {
            sent: self.sent + later.sent,
            pending: later.pending,
            error: later.error.or(self.error),
        }
    }
}

impl Collector {
    /// The collector to use, if one is configured: the `[openlineage]`
    /// section (checked when the config was read) with the standard
    /// `OPENLINEAGE_*` environment variables laid over it, as the
    /// OpenLineage clients do.
    pub fn resolve(repo: &Repo) -> Result<Option<Collector>, LineageError> {
        let section = repo.config.openlineage.clone().unwrap_or_default();
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let Some(url) = var(env::OPENLINEAGE_URL)
            .or(section.url)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(LineageError::Config {
                path: repo.config_path(),
                message: format!(
                    "openlineage url `{}` must start with http:// or https://",
                    crate::redact::url(&url)
                ),
            });
        }
        let endpoint = var(env::OPENLINEAGE_ENDPOINT)
            .or(section.endpoint)
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        Ok(Some(Collector {
            url: format!(
                "{}/{}",
                url.trim_end_matches('/'),
                endpoint.trim_start_matches('/')
            ),
            api_key: var(env::OPENLINEAGE_API_KEY).or(section.api_key),
            timeout: Duration::from_secs(section.timeout.map_or(5, |t| t.get())),
        }))
    }

    /// Sends the spooled events and then `events`, in order, stopping at
    /// the first failure and keeping the rest for next time. The caller
    /// holds the lock (the spool is shared by every run).
    pub fn deliver(
        &self,
        repo: &Repo,
        events: Vec<serde_json::Value>,
    ) -> Result<Delivery, LineageError> {
        let path = spool_path(repo);
        let mut queue: Vec<String> = fsutil::read_to_string_if_exists(&path)?
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        queue.extend(
            events
                .iter()
                .map(|e| serde_json::to_string(e).expect("an event serialises")),
        );
        let (sent, error) = self.post_all(&queue);
        let rest = &queue[sent..];
        if rest.is_empty() {
            fsutil::remove_file_if_exists(&path)?;
        } else {
            fsutil::create_dir_all(&repo.state_dir())?;
            let mut text = rest.join("\n");
            text.push('\n');
            fsutil::write_atomic(&path, text.as_bytes(), &repo.tmp_dir())
                .map_err(|source| LineageError::Spool { source })?;
        }
        Ok(Delivery {
            sent,
            pending: rest.len(),
            error,
        })
    }

    /// Posts each body in turn; returns how many were accepted and why
    /// sending stopped.
    fn post_all(&self, bodies: &[String]) -> (usize, Option<String>) {
        if bodies.is_empty() {
            return (0, None);
        }
        // reqwest is async; a one-thread runtime keeps it inside this call.
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => return (0, Some(e.to_string())),
        };
        let client = match reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(3)))
            .build()
        {
            Ok(c) => c,
            Err(e) => return (0, Some(e.to_string())),
        };
        rt.block_on(async {
            for (i, body) in bodies.iter().enumerate() {
                let mut req = client
                    .post(&self.url)
                    .header("content-type", "application/json")
                    .body(body.clone());
                if let Some(key) = &self.api_key {
                    req = req.bearer_auth(key);
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => return (i, Some(format!("the collector answered {}", r.status()))),
                    Err(e) => return (i, Some(describe(&e))),
                }
            }
            (bodies.len(), None)
        })
    }

    /// The endpoint, with any credentials in it removed, for messages.
    pub fn display_url(&self) -> String {
        crate::redact::url(&self.url)
    }
}

/// A reqwest error in one line, without the URL (it may hold secrets).
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "request failed"
    };
    let mut cause = std::error::Error::source(e);
    let mut last = None;
    while let Some(c) = cause {
        last = Some(c.to_string());
        cause = c.source();
    }
    match last {
        Some(c) => format!("{what}: {c}"),
        None => what.to_string(),
    }
}

/// The spool file.
fn spool_path(repo: &Repo) -> PathBuf {
    repo.state_dir().join(SPOOL)
}
