//! Whether recorded outputs are stale: the workspace's current content
//! (hashed once per path) against what each run recorded.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use uuid::Uuid;

use super::LineageError;
use super::graph::Index;
use crate::pointer::Kind;
use crate::progress::Progress;
use crate::repo::Repo;
use crate::store::Id;
use crate::store::statcache::StatCache;
use crate::workspace;
use crate::workspace::hashing::{Hasher, Mode as HashMode};

/// The content of workspace paths, hashed once each (with the stat cache).
pub struct Current<'a> {
    repo: &'a Repo,
    cache: StatCache,
    progress: &'a dyn Progress,
    ids: HashMap<String, Option<(Kind, Id)>>,
}

impl<'a> Current<'a> {
    pub fn new(repo: &'a Repo, progress: &'a dyn Progress) -> Current<'a> {
        Current {
            repo,
            cache: StatCache::load(&repo.state_dir()),
            progress,
            ids: HashMap::new(),
        }
    }

    /// The id of what is at `path` now; none if nothing is.
    pub fn id(&mut self, path: &str) -> Result<Option<Id>, LineageError> {
        if let Some(known) = self.ids.get(path) {
            return Ok(known.map(|(_, id)| id));
        }
        let store = self.repo.store();
        let hashed = Hasher::new(
            &store,
            self.repo.root(),
            &self.cache,
            HashMode::HashOnly,
            self.progress,
        )
        .hash(path)?;
        let found = hashed.map(|h| {
            for (p, stat, id) in h.seen {
                self.cache.insert(p, stat, id);
            }
            (h.kind, h.id)
        });
        self.ids.insert(path.to_string(), found);
        Ok(found.map(|(_, id)| id))
    }

    /// Keeps what was hashed for next time, if no writer is busy.
    pub fn save(mut self) -> Result<(), LineageError> {
        if let Ok(_lock) = self.repo.lock(std::time::Duration::ZERO, &|| {}) {
            self.cache
                .save(&self.repo.state_dir(), &self.repo.tmp_dir())?;
        }
        Ok(())
    }
}

/// Why an output is stale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "lowercase")]
pub enum Reason {
    /// A recorded input or code dependency differs in the workspace.
    Changed { path: String },
    /// A recorded input is gone from the workspace.
    Missing { path: String },
    /// A recorded input is itself stale.
    Upstream { path: String },
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Changed { path } => write!(f, "{path} changed"),
            Reason::Missing { path } => write!(f, "{path} is missing"),
            Reason::Upstream { path } => write!(f, "{path} is stale"),
        }
    }
}

/// Staleness of data versions, computed once each.
pub struct Staleness<'i, 'c> {
    index: &'i Index,
    current: Current<'c>,
    memo: HashMap<(String, Id), Vec<Reason>>,
    busy: HashSet<(String, Id)>,
}

impl<'i, 'c> Staleness<'i, 'c> {
    pub fn new(index: &'i Index, current: Current<'c>) -> Self {
        Staleness {
            index,
            current,
            memo: HashMap::new(),
            busy: HashSet::new(),
        }
    }

    pub fn current(&mut self) -> &mut Current<'c> {
        &mut self.current
    }

    pub fn into_current(self) -> Current<'c> {
        self.current
    }

    /// Why the version `id` of `path` is stale: empty when it is up to date
    /// or was not made by a recorded run.
    pub fn reasons(&mut self, path: &str, id: &Id) -> Result<Vec<Reason>, LineageError> {
        let key = (path.to_string(), *id);
        if let Some(r) = self.memo.get(&key) {
            return Ok(r.clone());
        }
        let Some(run) = self.index.producer(path, id) else {
            return Ok(Vec::new());
        };
        // Identical content can make a cycle; a version on the current path is not re-entered.
        if !self.busy.insert(key.clone()) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for d in &run.deps {
            match self.current.id(&d.path)? {
                None => out.push(Reason::Missing {
                    path: d.path.clone(),
                }),
                Some(now) if now != d.id => out.push(Reason::Changed {
                    path: d.path.clone(),
                }),
                Some(_) => {
                    if !self.reasons(&d.path, &d.id)?.is_empty() {
                        out.push(Reason::Upstream {
                            path: d.path.clone(),
                        });
                    }
                }
            }
        }
        self.busy.remove(&key);
        self.memo.insert(key, out.clone());
        Ok(out)
    }
}

/// A tracked output whose recorded inputs no longer match the workspace.
#[derive(Clone, Debug, Serialize)]
pub struct StaleOutput {
    pub path: String,
    pub id: Id,
    pub run: Uuid,
    pub run_name: String,
    pub reasons: Vec<Reason>,
}

/// Every tracked path whose current version is stale, by path.
pub fn stale_outputs(
    repo: &Repo,
    index: &Index,
    progress: &dyn Progress,
) -> Result<Vec<StaleOutput>, LineageError> {
    let mut staleness = Staleness::new(index, Current::new(repo, progress));
    let mut out = Vec::new();
    for t in workspace::tracked(repo)? {
        let reasons = staleness.reasons(&t.rel, &t.pointer.id)?;
        if reasons.is_empty() {
            continue;
        }
        // Staleness comes from a producing run; no run, nothing to report.
        let Some(run) = index.producer(&t.rel, &t.pointer.id) else {
            continue;
        };
        out.push(StaleOutput {
            path: t.rel.into(),
            id: t.pointer.id,
            run: run.id,
            run_name: run.name.clone(),
            reasons,
        });
    }
    staleness.into_current().save()?;
    Ok(out)
}
