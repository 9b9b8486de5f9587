//! `kiln push`: upload what the remote lacks, files before the trees that
//! list them, so the remote never holds a tree whose files are missing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt, stream};

use super::backend::{Conn, MULTIPART_FROM};
use super::index::RemoteIndex;
use super::plan::{self, Object, Plan};
use super::{Remote, RemoteError};
use crate::progress::{Progress, Task, Unit};
use crate::repo::Repo;
use crate::store::{Id, Store};
use crate::workspace::Tracked;

/// Entries per page of an S3, GCS or Azure listing.
const PAGE: usize = 1000;
/// Bytes of whole objects read for upload at once (small objects go up
/// from memory); large ones are bounded by their parts in flight instead.
const READ_BUDGET_KIB: u32 = 256 << 10;
/// Index records are saved this often, so an interrupted push keeps most
/// of what it learnt.
const FLUSH_EVERY: usize = 1024;

#[derive(Clone, Copy, Debug, Default)]
pub struct PushOptions {
    /// Check every object on the remote instead of trusting the local index.
    pub verify_remote: bool,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct PushReport {
    pub remote: String,
    pub url: String,
    /// Objects the pushed paths need.
    pub objects: u64,
    pub uploaded: u64,
    pub uploaded_bytes: u64,
    /// Objects already on the remote.
    pub present: u64,
    /// Of those and the uploaded ones, how many were looked up on the
    /// remote rather than known from the local index.
    pub checked: u64,
}

impl Remote {
    /// Uploads every object `tracked` needs that the remote lacks. The
    /// caller holds the repository lock.
    pub fn push(
        &self,
        repo: &Repo,
        tracked: &[Tracked],
        opts: PushOptions,
        progress: &dyn Progress,
    ) -> Result<PushReport, RemoteError> {
        let store = repo.store();
        let plan = plan::local(&store, tracked)?;
        let conn = self.connect(true)?;
        let mut index = self.rt.block_on(async {
            conn.preflight().await?;
            self.index_checked(&conn).await
        })?;
        if opts.verify_remote {
            index.reset();
        }
        let mut report = PushReport {
            remote: self.name().to_string(),
            url: self.display_url(),
            objects: plan.objects.len() as u64,
            ..Default::default()
        };
        let result = self.rt.block_on(self.push_async(
            &conn,
            &store,
            &plan,
            &mut index,
            &mut report,
            progress,
        ));
        // What was learnt stays learnt, even when the push failed midway.
        index.flush(&self.tmp_dir)?;
        result.map(|()| report)
    }

    async fn push_async(
        &self,
        conn: &Arc<Conn>,
        store: &Store,
        plan: &Plan,
        index: &mut RemoteIndex,
        report: &mut PushReport,
        progress: &dyn Progress,
    ) -> Result<(), RemoteError> {
        let unknown: Vec<&Object> = plan
            .objects
            .iter()
            .filter(|o| !index.contains(&o.id))
            .collect();
        report.present = report.objects - unknown.len() as u64;
        tracing::info!(
            "{} objects needed; {} known to be on {}, {} to look up",
            report.objects,
            report.present,
            self.name(),
            unknown.len()
        );
        if unknown.is_empty() {
            return Ok(());
        }
        let wanted: Vec<(Id, Option<u64>)> = unknown.iter().map(|o| (o.id, o.size)).collect();
        report.checked = wanted.len() as u64;
        let found = check(conn, &wanted, index, self.jobs, progress).await?;
        // Listings show other objects too: worth knowing for later pushes.
        let asked: HashSet<Id> = wanted.iter().map(|(id, _)| *id).collect();
        for id in found.keys().filter(|id| !asked.contains(id)) {
            index.add(*id);
        }
        let mut todo = Vec::new();
        for o in unknown {
            let there = found
                .get(&o.id)
                .is_some_and(|&size| o.size.is_none_or(|s| s == size));
            if there {
                index.add(o.id);
                report.present += 1;
            } else if !o.local {
                return Err(RemoteError::NowhereToBeFound {
                    path: o.path.clone(),
                    id: o.id,
                    name: self.name().to_string(),
                });
            } else {
                todo.push(o);
            }
        }
        index.flush(&self.tmp_dir)?;
        tracing::info!("{} objects to upload", todo.len());
        if todo.is_empty() {
            return Ok(());
        }
        let task = progress.task("pushing", todo.len() as u64, Unit::Objects);
        // Files first, then trees from the leaves up: a tree goes only after
        // everything it lists is confirmed on the remote.
        let mut levels: BTreeMap<u32, Vec<&Object>> = BTreeMap::new();
        for o in todo {
            levels.entry(o.height).or_default().push(o);
        }
        for (height, objects) in levels {
            if height == 0 {
                let (large, small): (Vec<&Object>, Vec<&Object>) = objects
                    .into_iter()
                    .partition(|o| o.size.unwrap_or(0) >= MULTIPART_FROM);
                self.upload_all(
                    conn,
                    store,
                    &small,
                    self.jobs,
                    1,
                    index,
                    report,
                    task.as_ref(),
                )
                .await?;
                // Large files a few at a time, each in parallel parts, so
                // memory stays bounded by the parts in flight.
                let parts = self.jobs.clamp(1, 8);
                self.upload_all(conn, store, &large, 2, parts, index, report, task.as_ref())
                    .await?;
            } else {
                self.upload_all(
                    conn,
                    store,
                    &objects,
                    self.jobs,
                    1,
                    index,
                    report,
                    task.as_ref(),
                )
                .await?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn upload_all(
        &self,
        conn: &Arc<Conn>,
        store: &Store,
        objects: &[&Object],
        jobs: usize,
        parts: usize,
        index: &mut RemoteIndex,
        report: &mut PushReport,
        task: &dyn Task,
    ) -> Result<(), RemoteError> {
        let budget = Arc::new(tokio::sync::Semaphore::new(READ_BUDGET_KIB as usize));
        let mut done = stream::iter(objects.iter().map(|o| {
            let conn = conn.clone();
            let budget = budget.clone();
            let path = store.object_path(&o.id);
            let (id, tree, size) = (o.id, o.tree, o.size.unwrap_or(0));
            let kib = (size.div_ceil(1024) as u32).clamp(1, READ_BUDGET_KIB);
            // Spawned, so transfers keep going while results are recorded.
            tokio::spawn(async move {
                let _held = budget
                    .acquire_many_owned(kib)
                    .await
                    .expect("the budget is never closed");
                conn.upload(path, id, tree, size, parts).await?;
                Ok::<_, RemoteError>((id, size))
            })
        }))
        .buffer_unordered(jobs);
        let mut since_flush = 0;
        while let Some(joined) = done.next().await {
            let (id, size) = super::joined(joined)??;
            index.add(id);
            report.uploaded += 1;
            report.uploaded_bytes += size;
            task.advance(1);
            task.advance_bytes(size);
            since_flush += 1;
            if since_flush >= FLUSH_EVERY {
                index.flush(&self.tmp_dir)?;
                since_flush = 0;
            }
        }
        Ok(())
    }
}

/// Which of `wanted` the remote holds, with sizes (plus any other objects a
/// listing happened to show). Per `objects/xx/` prefix it lists when that
/// takes fewer requests than checking each object, judging the listing's
/// length by what the index knows, and stops a listing that runs longer
/// than the checks it saves.
pub(super) async fn check(
    conn: &Arc<Conn>,
    wanted: &[(Id, Option<u64>)],
    index: &RemoteIndex,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<HashMap<Id, u64>, RemoteError> {
    let mut groups: BTreeMap<u8, Vec<Id>> = BTreeMap::new();
    for (id, _) in wanted {
        groups.entry(id.as_bytes()[0]).or_default().push(*id);
    }
    let task = progress.task("checking", wanted.len() as u64, Unit::Objects);
    let mut requests = Vec::new();
    for (prefix, ids) in groups {
        let pages = 1 + index.prefix_count(prefix) as usize / PAGE;
        if ids.len() > pages {
            requests.push(Lookup::List(prefix, ids));
        } else {
            requests.extend(ids.into_iter().map(Lookup::Head));
        }
    }
    let lists = requests
        .iter()
        .filter(|r| matches!(r, Lookup::List(..)))
        .count();
    tracing::debug!(
        "looking up {} objects: {lists} prefix listings, {} single checks",
        wanted.len(),
        requests.len() - lists
    );
    let found: Vec<Vec<(Id, u64)>> = stream::iter(requests.into_iter().map(|r| {
        let conn = conn.clone();
        let task = &task;
        async move {
            let n = r.len();
            let found = super::joined(tokio::spawn(async move { r.run(&conn).await }).await)??;
            task.advance(n as u64);
            Ok::<_, RemoteError>(found)
        }
    }))
    .buffer_unordered(jobs)
    .try_collect()
    .await?;
    Ok(found.into_iter().flatten().collect())
}

enum Lookup {
    Head(Id),
    List(u8, Vec<Id>),
}

impl Lookup {
    fn len(&self) -> usize {
        match self {
            Lookup::Head(_) => 1,
            Lookup::List(_, ids) => ids.len(),
        }
    }

    async fn run(self, conn: &Conn) -> Result<Vec<(Id, u64)>, RemoteError> {
        match self {
            Lookup::Head(id) => Ok(conn.head(&id).await?.map(|s| (id, s)).into_iter().collect()),
            Lookup::List(prefix, ids) => {
                // A listing longer than the checks it replaces is cut short;
                // whatever it did not reach is checked one by one.
                let (mut listed, complete) = conn.list_prefix(prefix, ids.len() * PAGE).await?;
                if !complete {
                    let seen: HashSet<Id> = listed.iter().map(|(id, _)| *id).collect();
                    for id in ids.into_iter().filter(|id| !seen.contains(id)) {
                        if let Some(size) = conn.head(&id).await? {
                            listed.push((id, size));
                        }
                    }
                }
                Ok(listed)
            }
        }
    }
}
