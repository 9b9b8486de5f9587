//! `kiln checkout`: make the workspace match the pointers.
//!
//! A workspace file is replaced or deleted only when its content is safely
//! in the store (or under `--force`); objects missing from the store are
//! reported and the rest is applied.

use rayon::prelude::*;

use super::hashing::{Hasher, Mode};
use super::{Listing, Placer, Tracked, WorkspaceError, listing_known, listing_part};
use crate::fsutil;
use crate::progress::{Progress, Unit};
use crate::repo::Repo;
use crate::store::statcache::{Stat, StatCache};
use crate::store::{EntryKind, Id, StoreError};

/// An object a pointer needs that the store lacks.
#[derive(Debug, serde::Serialize)]
pub struct MissingObject {
    pub path: String,
    pub id: String,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct CheckoutReport {
    /// Files written (created or replaced), repository-relative.
    pub written: Vec<String>,
    pub deleted: Vec<String>,
    pub unchanged: u64,
    pub bytes: u64,
    pub missing: Vec<MissingObject>,
    /// Files left alone because their content is not in the store.
    pub conflicts: Vec<String>,
    /// Files below subfolders whose trees were not fetched here (left as
    /// they are). A file whose folder's tree is here but whose content is
    /// not is missing, and named.
    #[serde(skip_serializing_if = "super::is_zero")]
    pub not_fetched: u64,
}

impl CheckoutReport {
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && self.conflicts.is_empty()
    }
}

/// A listing made at `sub` re-keyed as below the folder that holds it.
fn below(l: Listing, sub: &str) -> Listing {
    let key = |p: String| {
        if p.is_empty() {
            sub.to_string()
        } else {
            format!("{sub}/{p}")
        }
    };
    let mut dirs: Vec<String> = l.dirs.into_iter().map(key).collect();
    if !l.files.contains_key("") {
        dirs.push(sub.to_string());
    }
    Listing {
        files: l.files.into_iter().map(|(p, e)| (key(p), e)).collect(),
        dirs,
    }
}

fn join(rel: &str, sub: &str) -> String {
    if sub.is_empty() {
        rel.to_string()
    } else {
        format!("{rel}/{sub}")
    }
}

/// Checks out each tracked path. The caller holds the lock.
pub fn checkout(
    repo: &Repo,
    tracked: &[Tracked],
    force: bool,
    progress: &dyn Progress,
) -> Result<CheckoutReport, WorkspaceError> {
    let mut cache = StatCache::load(&repo.state_dir());
    let report = checkout_with(repo, tracked, force, &mut cache, progress);
    // What was hashed or written stays known, even when a path failed.
    cache.save(&repo.state_dir(), &repo.tmp_dir())?;
    report
}

fn checkout_with(
    repo: &Repo,
    tracked: &[Tracked],
    force: bool,
    cache: &mut StatCache,
    progress: &dyn Progress,
) -> Result<CheckoutReport, WorkspaceError> {
    let store = repo.store();
    let placer = Placer::new(repo, &store);
    let mut report = CheckoutReport::default();
    for t in tracked {
        // A whole folder is checked out as far as its trees are here: what
        // was not fetched here is left as it is, not deleted.
        let want = match &t.part {
            Some(sub) => listing_part(&store, &t.pointer, sub).map(|l| (l, Vec::new())),
            None => listing_known(&store, &t.pointer),
        };
        let (want, unread) = match want {
            Ok(l) => l,
            Err(StoreError::Missing { id }) => {
                report.missing.push(MissingObject {
                    path: join(&t.rel, t.part.as_deref().unwrap_or_default()),
                    id: id.hex(),
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        // A part is compared with the workspace at its own path only.
        let at = join(&t.rel, t.part.as_deref().unwrap_or_default());
        let have = Hasher::new(&store, repo.root(), cache, Mode::HashOnly, progress).hash(&at)?;
        let have_listing = match have {
            Some(h) => {
                for (path, stat, id) in h.seen {
                    cache.insert(path, stat, id);
                }
                match &t.part {
                    Some(sub) => below(h.listing, sub),
                    None => h.listing,
                }
            }
            None => Listing::default(),
        };
        apply(
            repo,
            &placer,
            t,
            (&want, &unread),
            &have_listing,
            force,
            cache,
            &mut report,
            progress,
        )?;
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn apply(
    repo: &Repo,
    placer: &Placer,
    t: &Tracked,
    (want, unread): (&Listing, &[(String, u64)]),
    have: &Listing,
    force: bool,
    cache: &mut StatCache,
    report: &mut CheckoutReport,
    progress: &dyn Progress,
) -> Result<(), WorkspaceError> {
    let store = repo.store();
    let root = t.abs(repo);
    let abs = |sub: &str| {
        if sub.is_empty() {
            root.clone()
        } else {
            root.join(sub)
        }
    };
    let safe = |id: &Id, sub: &str| {
        force
            || store.contains(id)
            || std::fs::symlink_metadata(abs(sub)).is_ok_and(|m| m.file_type().is_symlink())
    };

    // Below a subfolder whose tree is not here nothing is known: left alone.
    let unknown = |sub: &str| {
        unread
            .iter()
            .any(|(u, _)| sub == u || sub.starts_with(&format!("{u}/")))
    };
    report.not_fetched += unread.iter().map(|(_, files)| files).sum::<u64>();
    // Files the pointed-to content no longer has go first, so folders they
    // leave empty can become files.
    for (sub, (id, _, _)) in &have.files {
        if want.files.contains_key(sub) || unknown(sub) {
            continue;
        }
        if safe(id, sub) {
            fsutil::remove_file(&abs(sub))?;
            report.deleted.push(join(&t.rel, sub));
        } else {
            report.conflicts.push(join(&t.rel, sub));
        }
    }
    let mut stale_dirs: Vec<&String> = have
        .dirs
        .iter()
        .filter(|d| !want.dirs.contains(d) && !unknown(d))
        .collect();
    stale_dirs.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for d in stale_dirs {
        // Only empty folders go: anything left in them was kept on purpose.
        let _ = std::fs::remove_dir(abs(d));
    }

    // A kept file blocks everything that would need its path as a folder.
    let kept: Vec<String> = report
        .conflicts
        .iter()
        .filter_map(|c| {
            c.strip_prefix(t.rel.as_str())
                .map(|s| s.trim_start_matches('/').to_string())
        })
        .collect();
    let blocked = |sub: &str| {
        kept.iter()
            .any(|k| k.is_empty() || sub == k || sub.starts_with(&format!("{k}/")))
    };
    let unchanged = |sub: &String, id: &Id, kind: &EntryKind| {
        (have.files.get(sub)).is_some_and(|(hid, hkind, _)| hid == id && hkind == kind)
    };
    // One listing of a prefix folder answers many objects, not a stat each.
    let changed: Vec<Id> = want
        .files
        .iter()
        .filter(|(sub, (id, kind, _))| !unchanged(sub, id, kind))
        .map(|(_, (id, _, _))| *id)
        .collect();
    let present = store.present(&changed);
    let mut todo: Vec<(&String, Id, bool)> = Vec::new();
    for (sub, (id, kind, _)) in &want.files {
        if unchanged(sub, id, kind) {
            report.unchanged += 1;
        } else if blocked(sub) {
            report.conflicts.push(join(&t.rel, sub));
        } else if !present.contains(id) {
            report.missing.push(MissingObject {
                path: join(&t.rel, sub),
                id: id.hex(),
            });
        } else if (have.files.get(sub)).is_some_and(|(hid, _, _)| !safe(hid, sub)) {
            report.conflicts.push(join(&t.rel, sub));
        } else {
            todo.push((sub, *id, *kind == EntryKind::Exec));
        }
    }
    if !blocked("") {
        for d in want.dirs.iter().filter(|d| !blocked(d)) {
            placer.ensure_dir(&abs(d))?;
        }
        if t.pointer.kind == crate::pointer::Kind::Dir {
            placer.ensure_dir(&root)?;
        }
    }

    let total: u64 = todo.len() as u64;
    let task = progress.task("checkout", total, Unit::Files);
    let done: Vec<(String, u64, Option<Stat>, Id)> = todo
        .par_iter()
        .map(|(sub, id, exec)| {
            let dest = abs(sub);
            let bytes = placer.place(id, *exec, &dest)?;
            task.advance(1);
            task.advance_bytes(bytes);
            let stat = std::fs::symlink_metadata(&dest)
                .ok()
                .filter(|m| !m.file_type().is_symlink())
                .map(|m| Stat::of(&m));
            Ok((join(&t.rel, sub), bytes, stat, *id))
        })
        .collect::<Result<_, WorkspaceError>>()?;
    drop(task);
    for (path, bytes, stat, id) in done {
        if let Some(stat) = stat {
            cache.insert(path.clone(), stat, id);
        }
        report.bytes += bytes;
        report.written.push(path);
    }
    Ok(())
}
