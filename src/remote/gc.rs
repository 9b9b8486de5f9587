//! Garbage collection on a remote: deletes the objects that no given root
//! reaches, except those written within a grace period (a push may be
//! uploading them now for a commit nobody can see yet).
//!
//! Safe against a crash at any point: a new gc generation is marked first
//! (so every clone's record of what the remote holds is re-checked before a
//! push trusts it again), then trees are deleted before any file, so an
//! interrupted gc never leaves a tree whose files are gone.

use futures::{StreamExt, TryStreamExt, stream};

use super::backend::{Conn, Got, Listed};
use super::{GC_AREA, GC_GENERATION, Remote, RemoteError};
use crate::progress::{Progress, Unit};
use crate::store::gc::{Root, local_tree, reachable};
use crate::store::{Id, Store, Tree};

pub struct GcOptions {
    /// Objects written less than this many seconds ago are kept.
    pub grace_secs: u64,
    /// Delete; otherwise only report what would be deleted.
    pub delete: bool,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct RemoteGcReport {
    pub remote: String,
    pub url: String,
    pub dry_run: bool,
    /// Objects a root reaches.
    pub kept: u64,
    /// Objects no root reaches, kept because they are newer than the grace period.
    pub recent: u64,
    pub removed: u64,
    pub removed_bytes: u64,
    /// Of the removed objects, how many were trees.
    pub removed_trees: u64,
    /// Folder versions whose tree is neither on the remote nor in a local
    /// store: their files cannot be told apart from garbage.
    pub trees_not_found: u64,
}

impl Remote {
    /// Deletes (or with `delete` unset, counts) what `roots` do not reach.
    /// Trees come from `stores` when they hold them, else from the remote.
    pub fn gc(
        &self,
        stores: &[Store],
        roots: &[Root],
        opts: GcOptions,
        progress: &dyn Progress,
    ) -> Result<RemoteGcReport, RemoteError> {
        let conn = self.connect(false)?;
        self.rt.block_on(conn.preflight())?;
        let reach = reachable(roots, |id| self.find_tree(&conn, stores, id))?;
        let now = if opts.delete {
            // The server's clock judges the grace period, so a skewed local
            // clock cannot shorten it.
            self.rt.block_on(async {
                let mark = crate::clock::run_id().to_string();
                conn.put_derived(GC_AREA, GC_GENERATION, mark.into_bytes().into())
                    .await?;
                conn.modified(GC_AREA, GC_GENERATION).await
            })?
        } else {
            crate::clock::now().as_second()
        };
        let cutoff = now.saturating_sub(i64::try_from(opts.grace_secs).unwrap_or(i64::MAX));
        let mut report = RemoteGcReport {
            remote: self.name().to_string(),
            url: self.display_url(),
            dry_run: !opts.delete,
            trees_not_found: reach.trees_not_found,
            ..Default::default()
        };
        let listed = self.rt.block_on(conn.list_objects())?;
        let mut garbage: Vec<Listed> = Vec::new();
        for l in listed {
            if reach.ids.contains(&l.id) {
                report.kept += 1;
            } else if l.modified > cutoff {
                report.recent += 1;
            } else {
                garbage.push(l);
            }
        }
        let (trees, files) = self.rt.block_on(self.split_trees(&conn, garbage))?;
        report.removed_trees = trees.len() as u64;
        report.removed = (trees.len() + files.len()) as u64;
        report.removed_bytes = trees.iter().chain(&files).map(|l| l.size).sum();
        if opts.delete {
            let task = progress.task("deleting", report.removed, Unit::Objects);
            for batch in [trees, files] {
                self.rt.block_on(
                    stream::iter(batch.iter().map(|l| {
                        let conn = &conn;
                        let task = &task;
                        async move {
                            conn.delete(&l.id).await?;
                            task.advance(1);
                            Ok::<_, RemoteError>(())
                        }
                    }))
                    .buffer_unordered(self.jobs)
                    .try_collect::<Vec<()>>(),
                )?;
            }
        }
        Ok(report)
    }

    /// A tree from a local store, else from the remote (kept in the first
    /// store, verified); None if it is in neither.
    fn find_tree(
        &self,
        conn: &Conn,
        stores: &[Store],
        id: &Id,
    ) -> Result<Option<Tree>, RemoteError> {
        for store in stores {
            if let Some(tree) = local_tree(store, id)? {
                return Ok(Some(tree));
            }
        }
        let Some(cache) = stores.first() else {
            return Ok(None);
        };
        match self.rt.block_on(conn.download_tree(cache, *id))? {
            Got::Ok((tree, staged, _)) => {
                cache.publish(vec![staged])?;
                Ok(Some(tree))
            }
            Got::Missing => Ok(None),
            Got::Corrupt => Err(conn.bad_tree(crate::store::TreeError {
                id: *id,
                message: "its bytes on the remote do not match its id; gc stopped, nothing deleted"
                    .to_string(),
            })),
        }
    }

    /// The trees among `objects`, and the rest.
    async fn split_trees(
        &self,
        conn: &Conn,
        objects: Vec<Listed>,
    ) -> Result<(Vec<Listed>, Vec<Listed>), RemoteError> {
        let kinds: Vec<bool> = stream::iter(objects.iter().map(|l| conn.is_tree(&l.id, l.size)))
            .buffered(self.jobs)
            .try_collect()
            .await?;
        let (trees, files): (Vec<_>, Vec<_>) =
            objects.into_iter().zip(kinds).partition(|(_, tree)| *tree);
        Ok((
            trees.into_iter().map(|(l, _)| l).collect(),
            files.into_iter().map(|(l, _)| l).collect(),
        ))
    }
}
