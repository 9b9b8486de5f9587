//! The lineage graph: data versions (a path and an id) joined by the runs
//! that read and wrote them, and staleness: an output whose recorded inputs
//! no longer match the workspace.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;

use serde::Serialize;
use uuid::Uuid;

use super::LineageError;
use super::record::{self, RunRecord, Status};
use crate::git::Git;
use crate::pointer::{Kind, Origin, Pointer};
use crate::progress::Progress;
use crate::repo::Repo;
use crate::store::Id;
use crate::store::statcache::StatCache;
use crate::workspace;
use crate::workspace::hashing::{Hasher, Mode as HashMode};

/// The runs of a repository, and where each data version was committed.
pub struct Index {
    /// Oldest first.
    pub runs: Vec<RunRecord>,
    /// For each id, the pointers (path and origin) that named it, in the
    /// work tree or anywhere in git history.
    versions: HashMap<Id, Vec<(String, Option<Origin>)>>,
}

impl Index {
    /// The runs only: enough for staleness and repro.
    pub fn load_runs(repo: &Repo) -> Result<Index, LineageError> {
        Ok(Index {
            runs: record::load_all(repo)?,
            versions: HashMap::new(),
        })
    }

    /// The runs and every pointer in the work tree and git history.
    pub fn load(repo: &Repo) -> Result<Index, LineageError> {
        let runs = record::load_all(repo)?;
        let mut versions: HashMap<Id, Vec<(String, Option<Origin>)>> = HashMap::new();
        for t in workspace::tracked(repo)? {
            versions
                .entry(t.pointer.id)
                .or_default()
                .push((t.rel.to_string(), t.pointer.origin));
        }
        if repo.scm() {
            for (path, bytes) in Git::open(repo.root())?.pointers_in_history()? {
                let Some(data) = crate::pointer::data_path(&path) else {
                    continue;
                };
                let data = data?;
                // An old pointer kiln cannot read only loses its history entry.
                let Ok(p) = Pointer::parse(&String::from_utf8_lossy(&bytes), Path::new(&path))
                else {
                    tracing::debug!("{path}: unreadable pointer in git history, skipped");
                    continue;
                };
                let rel = data.to_string();
                let seen = versions.entry(p.id).or_default();
                if !seen.iter().any(|(r, _)| *r == rel) {
                    seen.push((rel, p.origin));
                }
            }
        }
        Ok(Index { runs, versions })
    }

    /// The latest completed run that wrote `id` at `path`.
    pub fn producer(&self, path: &str, id: &Id) -> Option<&RunRecord> {
        self.runs.iter().rev().find(|r| r.made(path, id))
    }

    /// Completed runs that read `id` at `path`.
    pub fn consumers(&self, path: &str, id: &Id) -> Vec<&RunRecord> {
        self.runs
            .iter()
            .filter(|r| {
                r.status == Status::Complete && r.deps.iter().any(|d| d.path == path && d.id == *id)
            })
            .collect()
    }

    /// The pointer origin under which `id` was committed, preferring `path`.
    fn origin(&self, path: &str, id: &Id) -> (bool, Option<Origin>) {
        match self.versions.get(id) {
            None => (false, None),
            Some(v) => {
                let best = v.iter().find(|(p, _)| p == path).or(v.first());
                (true, best.and_then(|(_, o)| o.clone()))
            }
        }
    }
}

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

/// How a data version relates to the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InWorkspace {
    /// The workspace holds this version.
    Current,
    /// The workspace holds other content at the path.
    Changed,
    Missing,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Node {
    Data {
        path: String,
        id: Id,
        /// Tracked by kiln (data) or not (code and other files).
        tracked: bool,
        workspace: InWorkspace,
        /// Whether a pointer in the work tree or git history named this id.
        committed: bool,
        /// The code context in which this version was first added.
        #[serde(skip_serializing_if = "Option::is_none")]
        origin: Option<Origin>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        stale: Vec<Reason>,
    },
    Run {
        run: Uuid,
        name: String,
        status: Status,
        argv: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        branch: Option<String>,
        dirty: bool,
        started: jiff::Timestamp,
    },
}

/// An edge from an input to the run that read it, or from a run to an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Serialize)]
pub struct Graph {
    /// The node the walk started from.
    pub root: usize,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Graph {
    /// Nodes with an edge into `n` (its producers or inputs).
    pub fn parents(&self, n: usize) -> Vec<usize> {
        self.edges
            .iter()
            .filter(|e| e.to == n)
            .map(|e| e.from)
            .collect()
    }

    /// Nodes with an edge from `n` (the runs that read it, or a run's outputs).
    pub fn children(&self, n: usize) -> Vec<usize> {
        self.edges
            .iter()
            .filter(|e| e.from == n)
            .map(|e| e.to)
            .collect()
    }
}

/// Which way to walk from the starting version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    /// Towards the runs and inputs that made it.
    pub up: bool,
    /// Towards what was derived from it.
    pub down: bool,
    /// At most this many runs away; unlimited when none.
    pub depth: Option<usize>,
}

struct Builder<'s, 'i, 'c> {
    index: &'i Index,
    staleness: &'s mut Staleness<'i, 'c>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    data: HashMap<(String, Id), usize>,
    runs: HashMap<Uuid, usize>,
}

impl Builder<'_, '_, '_> {
    fn data(&mut self, path: &str, id: Id, tracked: bool) -> Result<usize, LineageError> {
        let key = (path.to_string(), id);
        if let Some(&n) = self.data.get(&key) {
            return Ok(n);
        }
        let workspace = match self.staleness.current().id(path)? {
            None => InWorkspace::Missing,
            Some(now) if now == id => InWorkspace::Current,
            Some(_) => InWorkspace::Changed,
        };
        let (committed, origin) = self.index.origin(path, &id);
        let stale = self.staleness.reasons(path, &id)?;
        self.nodes.push(Node::Data {
            path: path.to_string(),
            id,
            tracked,
            workspace,
            committed,
            origin,
            stale,
        });
        let n = self.nodes.len() - 1;
        self.data.insert(key, n);
        Ok(n)
    }

    fn run(&mut self, r: &RunRecord) -> (usize, bool) {
        if let Some(&n) = self.runs.get(&r.id) {
            return (n, false);
        }
        let code = r.code.clone().unwrap_or_default();
        self.nodes.push(Node::Run {
            run: r.id,
            name: r.name.clone(),
            status: r.status,
            argv: r.argv.clone(),
            commit: code.commit,
            branch: code.branch,
            dirty: code.dirty,
            started: r.started,
        });
        let n = self.nodes.len() - 1;
        self.runs.insert(r.id, n);
        (n, true)
    }

    fn edge(&mut self, from: usize, to: usize) {
        let e = Edge { from, to };
        if !self.edges.contains(&e) {
            self.edges.push(e);
        }
    }
}

/// The graph around the version `id` of `path`.
pub fn build<'i>(
    index: &'i Index,
    staleness: &mut Staleness<'i, '_>,
    path: &str,
    id: Id,
    tracked: bool,
    walk: Walk,
) -> Result<Graph, LineageError> {
    let mut b = Builder {
        index,
        staleness,
        nodes: Vec::new(),
        edges: Vec::new(),
        data: HashMap::new(),
        runs: HashMap::new(),
    };
    let root = b.data(path, id, tracked)?;
    let within = |d: usize| walk.depth.is_none_or(|max| d < max);
    if walk.up {
        let mut queue = VecDeque::from([(path.to_string(), id, root, 0usize)]);
        while let Some((p, i, n, d)) = queue.pop_front() {
            if !within(d) {
                continue;
            }
            let Some(r) = index.producer(&p, &i) else {
                continue;
            };
            let (rn, new) = b.run(r);
            b.edge(rn, n);
            if !new {
                continue;
            }
            for dep in &r.deps {
                let dn = b.data(&dep.path, dep.id, dep.tracked)?;
                b.edge(dn, rn);
                queue.push_back((dep.path.clone(), dep.id, dn, d + 1));
            }
        }
    }
    if walk.down {
        let mut queue = VecDeque::from([(path.to_string(), id, root, 0usize)]);
        while let Some((p, i, n, d)) = queue.pop_front() {
            if !within(d) {
                continue;
            }
            for r in index.consumers(&p, &i) {
                let (rn, new) = b.run(r);
                b.edge(n, rn);
                if !new {
                    continue;
                }
                for o in &r.outputs {
                    let Some(oid) = o.id else { continue };
                    let on = b.data(&o.path, oid, true)?;
                    b.edge(rn, on);
                    queue.push_back((o.path.clone(), oid, on, d + 1));
                }
            }
        }
    }
    Ok(Graph {
        root,
        nodes: b.nodes,
        edges: b.edges,
    })
}
