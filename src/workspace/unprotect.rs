//! `kiln unprotect`: turn hard-linked and symlinked workspace files back into
//! independent, writable copies so they can be edited in place.

use std::os::unix::fs::MetadataExt;

use super::{Placer, Tracked, WorkspaceError, listing};
use crate::config::LinkMode;
use crate::repo::Repo;
use crate::store::EntryKind;

/// Replaces every linked file under the tracked paths with a verified copy.
/// Returns the repository-relative paths that were copied.
pub fn unprotect(repo: &Repo, tracked: &[Tracked]) -> Result<Vec<String>, WorkspaceError> {
    let store = repo.store();
    let placer = Placer::with_links(repo, &store, &[LinkMode::Copy]);
    let mut copied = Vec::new();
    for t in tracked {
        let files = listing(&store, &t.pointer)?.files;
        for (sub, (id, kind, _)) in files {
            let abs = if sub.is_empty() {
                t.abs(repo)
            } else {
                t.abs(repo).join(&sub)
            };
            let Ok(meta) = std::fs::symlink_metadata(&abs) else {
                continue;
            };
            let linked = meta.file_type().is_symlink()
                || (meta.is_file()
                    && meta.nlink() > 1
                    && meta.ino()
                        == std::fs::metadata(store.object_path(&id))
                            .map(|m| m.ino())
                            .unwrap_or(0));
            if linked {
                placer.place(&id, kind == EntryKind::Exec, &abs)?;
                copied.push(if sub.is_empty() {
                    t.rel.to_string()
                } else {
                    format!("{}/{sub}", t.rel)
                });
            }
        }
    }
    Ok(copied)
}
