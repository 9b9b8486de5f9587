//! The lineage graph: data versions (a path and an id) joined by the runs
//! that read and wrote them, and staleness: an output whose recorded inputs
//! no longer match the workspace.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use serde::Serialize;
use uuid::Uuid;

use super::LineageError;
use super::record::{self, RunRecord, Status};
use super::staleness::{Reason, Staleness};
use crate::git::Git;
use crate::pointer::{Origin, Pointer};
use crate::repo::Repo;
use crate::store::Id;
use crate::workspace;

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
