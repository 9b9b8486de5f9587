//! `kiln fetch`: download into the local store what tracked paths need and
//! the store lacks. Trees come first, level by level (their entries say what
//! else is needed), then every missing file in parallel. Each object is
//! verified before it is published; a corrupt or missing object is reported
//! and the rest is still fetched.

use std::collections::HashSet;
use std::sync::Arc;

use futures::{StreamExt, stream};

use super::backend::{Conn, Got};
use super::index::RemoteIndex;
use super::{Remote, RemoteError};
use crate::pointer::Kind;
use crate::progress::{Progress, Unit};
use crate::repo::Repo;
use crate::store::{EntryKind, Id, Staged, Store, Tree};
use crate::workspace::Tracked;

/// Objects published per file-system sync.
const PUBLISH_BATCH: usize = 512;

/// An object that could not be fetched.
#[derive(Debug, serde::Serialize)]
pub struct Problem {
    pub id: Id,
    /// The first repository path that needs it.
    pub path: String,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct FetchReport {
    pub remote: String,
    pub url: String,
    /// Objects the paths need, as far as their trees could be read.
    pub objects: u64,
    pub fetched: u64,
    pub fetched_bytes: u64,
    /// Already in the local store.
    pub present: u64,
    /// Objects whose bytes on the remote do not match their id: refused.
    pub corrupt: Vec<Problem>,
    /// Objects the remote does not have.
    pub missing: Vec<Problem>,
}

impl FetchReport {
    /// The first problem as an error, corrupt objects first.
    pub fn problems(&self) -> Result<(), RemoteError> {
        if let Some(p) = self.corrupt.first() {
            return Err(RemoteError::Corrupt {
                name: self.remote.clone(),
                url: self.url.clone(),
                id: p.id,
                path: p.path.clone(),
                others: self.corrupt[1..]
                    .iter()
                    .chain(&self.missing)
                    .map(|p| p.path.clone())
                    .collect(),
            });
        }
        if let Some(p) = self.missing.first() {
            return Err(RemoteError::Missing {
                name: self.remote.clone(),
                url: self.url.clone(),
                id: p.id,
                path: p.path.clone(),
                others: self.missing[1..].iter().map(|p| p.path.clone()).collect(),
            });
        }
        Ok(())
    }
}

struct FileWant {
    id: Id,
    size: u64,
    exec: bool,
    path: String,
}

/// What the walk has found so far.
struct Walk<'a> {
    store: &'a Store,
    seen: HashSet<Id>,
    trees: Vec<(Id, String)>,
    files: Vec<FileWant>,
    report: &'a mut FetchReport,
}

impl Walk<'_> {
    fn want_file(&mut self, id: Id, size: u64, exec: bool, path: String) {
        if !self.seen.insert(id) {
            return;
        }
        self.report.objects += 1;
        if self.store.contains(&id) {
            self.report.present += 1;
        } else {
            self.files.push(FileWant {
                id,
                size,
                exec,
                path,
            });
        }
    }

    fn want_tree(&mut self, id: Id, path: String) {
        if self.seen.insert(id) {
            self.report.objects += 1;
            self.trees.push((id, path));
        }
    }

    /// Records a tree's download: the tree and its staged object, or the
    /// problem that kept it out.
    fn got_tree(
        &mut self,
        index: &mut RemoteIndex,
        id: Id,
        path: &str,
        got: Got<(Tree, Staged, u64)>,
    ) -> Option<(Tree, Staged)> {
        let problem = || Problem {
            id,
            path: path.to_string(),
        };
        match got {
            Got::Ok((tree, staged, len)) => {
                index.add(id);
                self.report.fetched += 1;
                self.report.fetched_bytes += len;
                Some((tree, staged))
            }
            Got::Corrupt => {
                self.report.corrupt.push(problem());
                None
            }
            Got::Missing => {
                self.report.missing.push(problem());
                None
            }
        }
    }

    fn expand(&mut self, tree: &Tree, path: &str) {
        for e in tree.entries() {
            let child = format!("{path}/{}", e.name);
            match e.kind {
                EntryKind::Dir => self.want_tree(e.id, child),
                kind => self.want_file(e.id, e.size, kind == EntryKind::Exec, child),
            }
        }
    }
}

impl Remote {
    /// Downloads what `tracked` needs into the local store. Corrupt and
    /// missing objects are listed in the report (see
    /// [`FetchReport::problems`]); other failures stop the fetch. The
    /// caller holds the repository lock.
    pub fn fetch(
        &self,
        repo: &Repo,
        tracked: &[Tracked],
        progress: &dyn Progress,
    ) -> Result<FetchReport, RemoteError> {
        self.fetch_some(repo, tracked, true, progress)
    }

    /// Downloads only the trees of `tracked` folders: what lists their
    /// files, for checks that answer from results fetched beside them.
    pub fn fetch_trees(
        &self,
        repo: &Repo,
        tracked: &[Tracked],
        progress: &dyn Progress,
    ) -> Result<FetchReport, RemoteError> {
        self.fetch_some(repo, tracked, false, progress)
    }

    fn fetch_some(
        &self,
        repo: &Repo,
        tracked: &[Tracked],
        files: bool,
        progress: &dyn Progress,
    ) -> Result<FetchReport, RemoteError> {
        let store = repo.store();
        let mut index = self.index();
        let mut report = FetchReport {
            remote: self.name().to_string(),
            url: self.display_url(),
            ..Default::default()
        };
        let result = self.rt.block_on(self.fetch_async(
            &store,
            tracked,
            files,
            &mut index,
            &mut report,
            progress,
        ));
        index.flush(&self.tmp_dir)?;
        result.map(|()| report)
    }

    async fn fetch_async(
        &self,
        store: &Store,
        tracked: &[Tracked],
        files: bool,
        index: &mut RemoteIndex,
        report: &mut FetchReport,
        progress: &dyn Progress,
    ) -> Result<(), RemoteError> {
        let mut walk = Walk {
            store,
            seen: HashSet::new(),
            trees: Vec::new(),
            files: Vec::new(),
            report,
        };
        // Connect only when something must come from the remote.
        let mut conn: Option<Arc<Conn>> = None;
        for t in tracked {
            match t.pointer.kind {
                Kind::Dir if t.part.is_some() => {
                    self.want_part(&mut walk, &mut conn, index, t, files)
                        .await?;
                }
                Kind::Dir => walk.want_tree(t.pointer.id, t.rel.to_string()),
                Kind::File if files => {
                    walk.want_file(t.pointer.id, t.pointer.size, false, t.rel.to_string())
                }
                Kind::File => {}
            }
        }
        while !walk.trees.is_empty() {
            let level = std::mem::take(&mut walk.trees);
            let mut remote = Vec::new();
            for (id, path) in level {
                if store.contains(&id) {
                    walk.report.present += 1;
                    let tree = store.read_tree(&id)?;
                    walk.expand(&tree, &path);
                } else {
                    remote.push((id, path));
                }
            }
            if remote.is_empty() {
                continue;
            }
            let conn = self.connected(&mut conn).await?;
            let mut got = stream::iter(remote.into_iter().map(|(id, path)| {
                let conn = conn.clone();
                let store = store.clone();
                tokio::spawn(async move {
                    let got = conn.download_tree(&store, id).await;
                    (id, path, got)
                })
            }))
            .buffer_unordered(self.jobs);
            let mut staged = Vec::new();
            while let Some(joined) = got.next().await {
                let (id, path, got) = super::joined(joined)?;
                if let Some((tree, s)) = walk.got_tree(index, id, &path, got?) {
                    walk.expand(&tree, &path);
                    staged.push(s);
                }
            }
            publish(store, staged).await?;
        }
        let files = if files {
            std::mem::take(&mut walk.files)
        } else {
            Vec::new()
        };
        tracing::info!(
            "{} objects needed; {} in the store, {} files to download",
            walk.report.objects,
            walk.report.present,
            files.len()
        );
        if files.is_empty() {
            return Ok(());
        }
        let conn = self.connected(&mut conn).await?;
        let task = progress.task("fetching", files.len() as u64, Unit::Objects);
        let mut got = stream::iter(files.into_iter().map(|f| {
            let conn = conn.clone();
            let store = store.clone();
            tokio::spawn(async move {
                let got = conn.download_file(&store, f.id, f.size).await;
                (f, got)
            })
        }))
        .buffer_unordered(self.jobs);
        let mut staged: Vec<Staged> = Vec::new();
        while let Some(joined) = got.next().await {
            let (f, got) = super::joined(joined)?;
            match got? {
                Got::Ok(s) => {
                    staged.push(s.with_exec(f.exec));
                    index.add(f.id);
                    walk.report.fetched += 1;
                    walk.report.fetched_bytes += f.size;
                    task.advance_bytes(f.size);
                }
                Got::Corrupt => walk.report.corrupt.push(Problem {
                    id: f.id,
                    path: f.path,
                }),
                Got::Missing => walk.report.missing.push(Problem {
                    id: f.id,
                    path: f.path,
                }),
            }
            task.advance(1);
            if staged.len() >= PUBLISH_BATCH {
                publish(store, std::mem::take(&mut staged)).await?;
            }
        }
        publish(store, staged).await?;
        Ok(())
    }

    /// Wants what part `t.part` of a folder needs: the trees on the way to
    /// it (fetched now, one by one) and everything below it.
    async fn want_part(
        &self,
        walk: &mut Walk<'_>,
        conn: &mut Option<Arc<Conn>>,
        index: &mut RemoteIndex,
        t: &Tracked,
        files: bool,
    ) -> Result<(), RemoteError> {
        let part = t.part.as_deref().unwrap_or_default();
        let mut id = t.pointer.id;
        let mut path = t.rel.to_string();
        let names: Vec<&str> = part.split('/').collect();
        for (i, name) in names.iter().enumerate() {
            let Some(tree) = self.one_tree(walk, conn, index, id, &path).await? else {
                return Ok(());
            };
            let entry = tree.entries().iter().find(|e| e.name == *name);
            path = format!("{path}/{name}");
            match entry {
                Some(e) if e.kind == EntryKind::Dir && i + 1 < names.len() => id = e.id,
                Some(e) if i + 1 == names.len() => {
                    match e.kind {
                        EntryKind::Dir => walk.want_tree(e.id, path),
                        kind if files => {
                            walk.want_file(e.id, e.size, kind == EntryKind::Exec, path)
                        }
                        _ => {}
                    }
                    return Ok(());
                }
                _ => {
                    return Err(RemoteError::NotInFolder {
                        path,
                        folder: t.rel.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// One tree, from the store or else from the remote (verified and
    /// stored); None when the remote lacks it or holds it corrupt (reported).
    async fn one_tree(
        &self,
        walk: &mut Walk<'_>,
        conn: &mut Option<Arc<Conn>>,
        index: &mut RemoteIndex,
        id: Id,
        path: &str,
    ) -> Result<Option<Tree>, RemoteError> {
        let first = walk.seen.insert(id);
        walk.report.objects += u64::from(first);
        if walk.store.contains(&id) {
            walk.report.present += u64::from(first);
            return Ok(Some(walk.store.read_tree(&id)?));
        }
        let conn = self.connected(conn).await?;
        let got = conn.download_tree(walk.store, id).await?;
        match walk.got_tree(index, id, path, got) {
            Some((tree, staged)) => {
                publish(walk.store, vec![staged]).await?;
                Ok(Some(tree))
            }
            None => Ok(None),
        }
    }

    /// The connection, made (and checked) on first use.
    async fn connected(&self, conn: &mut Option<Arc<Conn>>) -> Result<Arc<Conn>, RemoteError> {
        if let Some(c) = conn {
            return Ok(c.clone());
        }
        let c = self.connect(false)?;
        c.preflight().await?;
        *conn = Some(c.clone());
        Ok(c)
    }
}

/// Publishes verified objects off the async threads (one file-system sync
/// per batch).
async fn publish(store: &Store, staged: Vec<Staged>) -> Result<(), RemoteError> {
    if staged.is_empty() {
        return Ok(());
    }
    let store = store.clone();
    super::blocking(move || store.publish(staged)).await??;
    Ok(())
}
