//! `kiln status --remote`: per tracked path, what is not yet pushed and
//! what is not yet pulled.

use super::plan;
use super::push::check;
use super::{Remote, RemoteError};
use crate::progress::Progress;
use crate::repo::Repo;
use crate::workspace::Tracked;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Count {
    pub objects: u64,
    pub bytes: u64,
}

impl Count {
    fn add(&mut self, bytes: u64) {
        self.objects += 1;
        self.bytes += bytes;
    }
}

#[derive(Debug, serde::Serialize)]
pub struct PathRemoteStatus {
    pub path: String,
    /// In the local store, not on the remote.
    pub not_pushed: Count,
    /// On the remote, not in the local store. Bytes count the data below a
    /// tree that is not here yet.
    pub not_pulled: Count,
    /// Neither here nor there.
    pub missing: Count,
}

impl PathRemoteStatus {
    pub fn in_sync(&self) -> bool {
        self.not_pushed.objects == 0 && self.not_pulled.objects == 0 && self.missing.objects == 0
    }
}

impl Remote {
    /// Compares what `tracked` needs with the local store and the remote.
    /// Objects the local index knows are on the remote are not asked again.
    pub fn status(
        &self,
        repo: &Repo,
        tracked: &[Tracked],
        progress: &dyn Progress,
    ) -> Result<Vec<PathRemoteStatus>, RemoteError> {
        let store = repo.store();
        let plan = plan::local(&store, tracked)?;
        let conn = match self.connect(false) {
            Ok(c) => Some(c),
            // A folder remote nothing was pushed to yet is empty.
            Err(RemoteError::NoFolder { .. }) => None,
            Err(e) => return Err(e),
        };
        let (mut index, found) = match conn {
            Some(conn) => self.rt.block_on(async {
                conn.preflight().await?;
                let index = self.index_checked(&conn).await?;
                let wanted: Vec<_> = plan
                    .objects
                    .iter()
                    .filter(|o| !index.contains(&o.id))
                    .map(|o| (o.id, o.size))
                    .collect();
                let found = if wanted.is_empty() {
                    Default::default()
                } else {
                    check(&conn, &wanted, &index, self.jobs, progress).await?
                };
                Ok::<_, RemoteError>((index, found))
            })?,
            None => {
                let mut index = self.index();
                index.reset();
                (index, Default::default())
            }
        };
        let on_remote: Vec<bool> = plan
            .objects
            .iter()
            .map(|o| {
                index.contains(&o.id)
                    || found
                        .get(&o.id)
                        .is_some_and(|&s| o.size.is_none_or(|want| want == s))
            })
            .collect();
        for (o, &there) in plan.objects.iter().zip(&on_remote) {
            if there {
                index.add(o.id);
            }
        }
        index.flush(&self.tmp_dir)?;
        Ok(plan
            .paths
            .iter()
            .map(|(path, needed)| {
                let mut s = PathRemoteStatus {
                    path: path.clone(),
                    not_pushed: Count::default(),
                    not_pulled: Count::default(),
                    missing: Count::default(),
                };
                for &i in needed {
                    let o = &plan.objects[i];
                    match (o.local, on_remote[i]) {
                        (true, false) => s.not_pushed.add(o.size.unwrap_or(o.content)),
                        (false, true) => s.not_pulled.add(o.content),
                        (false, false) => s.missing.add(o.content),
                        (true, true) => {}
                    }
                }
                s
            })
            .collect())
    }
}
