//! `kiln add`: put files and folders into the store and write their pointers.

use std::path::{Path, PathBuf};

use super::hashing::{Hasher, Mode};
use super::{Placer, Refusal, WorkspaceError};
use crate::config::LinkMode;
use crate::fsutil::{self, IoError};
use crate::git::Git;
use crate::pointer::{self, Kind, Origin, Pointer};
use crate::progress::Progress;
use crate::repo::Repo;
use crate::store::statcache::StatCache;

#[derive(Default)]
pub struct AddOptions {
    /// Repository-relative schema path to bind.
    pub schema: Option<String>,
    /// The run that made the content, recorded in a new origin.
    pub run: Option<String>,
    /// Record the content even if it fails its bound schema.
    pub no_check: bool,
    /// The code's origin, found once for all the paths of one command (git
    /// status ignores kiln's own files, so adding one path cannot change it).
    pub origin: std::cell::OnceCell<Option<Origin>>,
}

/// What `add` did for one path.
#[derive(Debug, serde::Serialize)]
pub struct Added {
    pub path: String,
    pub pointer: Pointer,
    /// Whether the pointer file was written (false: content unchanged).
    pub changed: bool,
    pub hashed: u64,
    pub hashed_bytes: u64,
    pub cached: u64,
    pub new_objects: u64,
}

/// Paths whose changes never make the code "dirty": kiln's own files.
pub fn kiln_owned(path: &str) -> bool {
    path.ends_with(pointer::SUFFIX)
        || path.starts_with(".kiln/")
        || path == ".gitignore"
        || path.ends_with("/.gitignore")
}

/// The code context to record for newly added content; none without git.
pub fn current_origin(repo: &Repo) -> Result<Option<Origin>, WorkspaceError> {
    if !repo.scm() {
        return Ok(None);
    }
    let ctx = Git::open(repo.root())?.context(&kiln_owned)?;
    Ok(Some(Origin {
        commit: ctx.commit,
        branch: ctx.branch,
        dirty: ctx.dirty,
        run: None,
        import: None,
    }))
}

/// Checks that `rel` may be tracked: it exists, is not inside or around a
/// tracked folder, and git does not track it.
pub fn check_addable(repo: &Repo, rel: &str, git: Option<&Git>) -> Result<(), WorkspaceError> {
    let abs = repo.root().join(rel);
    if std::fs::symlink_metadata(&abs).is_err() {
        return Err(WorkspaceError::NotFound {
            path: PathBuf::from(rel),
        });
    }
    if let Some((parent, _)) = enclosing(repo, rel) {
        return Err(WorkspaceError::InsideTracked {
            path: PathBuf::from(rel),
            parent,
        });
    }
    if abs.is_dir() {
        let inner = format!("{rel}/");
        if let Some(t) = super::tracked(repo)?
            .into_iter()
            .find(|t| t.rel.starts_with(&inner))
        {
            return Err(WorkspaceError::InsideTracked {
                path: PathBuf::from(t.rel),
                parent: rel.to_string(),
            });
        }
    }
    if let Some(git) = git
        && git.is_tracked(rel)?
    {
        return Err(WorkspaceError::GitTracked {
            path: PathBuf::from(rel),
        });
    }
    Ok(())
}

/// Adds one repository-relative path. The caller holds the lock. New
/// content passes `gate` before its pointer is written (unless
/// `opts.no_check`).
/// A path inside a tracked folder adds that folder: the rest of it need not
/// be here (what was not fetched is kept, see `partial`).
pub fn add(
    repo: &Repo,
    rel: &str,
    opts: &AddOptions,
    cache: &mut StatCache,
    progress: &dyn Progress,
    gate: &dyn Fn(&str, &Pointer) -> Result<(), Refusal>,
) -> Result<Added, WorkspaceError> {
    match enclosing(repo, rel) {
        Some((folder, _)) => add_folder(repo, &folder, &[], opts, cache, progress, gate),
        None => add_folder(repo, rel, &[], opts, cache, progress, gate),
    }
}

/// The tracked folder `rel` is inside, if any, and `rel` below it.
pub fn enclosing(repo: &Repo, rel: &str) -> Option<(String, String)> {
    let mut at = rel.len();
    while let Some(i) = rel[..at].rfind('/') {
        let folder = &rel[..i];
        if repo
            .root()
            .join(format!("{folder}{}", pointer::SUFFIX))
            .is_file()
        {
            return Some((folder.to_string(), rel[i + 1..].to_string()));
        }
        at = i;
    }
    None
}

/// Adds `rel`, leaving out `removed` (paths below a tracked folder) even
/// where they were not fetched here.
pub fn add_folder(
    repo: &Repo,
    rel: &str,
    removed: &[String],
    opts: &AddOptions,
    cache: &mut StatCache,
    progress: &dyn Progress,
    gate: &dyn Fn(&str, &Pointer) -> Result<(), Refusal>,
) -> Result<Added, WorkspaceError> {
    let git = if repo.scm() {
        Some(Git::open(repo.root())?)
    } else {
        None
    };
    check_addable(repo, rel, git.as_ref())?;
    let store = repo.store();
    store.create()?;
    let links = &repo.config.cache.link;
    let hashed = {
        let hasher = Hasher::new(&store, repo.root(), cache, Mode::Ingest(links), progress);
        hasher.hash(rel)?.ok_or_else(|| WorkspaceError::NotFound {
            path: PathBuf::from(rel),
        })?
    };
    // Files, then the trees that list them: a tree in the store has its files.
    let mut trees = Vec::new();
    for (id, tree) in &hashed.trees {
        trees.extend(store.stage_tree(*id, tree)?);
    }
    let new_objects = store.publish(hashed.staged)?.len() as u64;
    store.publish(trees)?;
    let mut copied = std::collections::HashMap::new();
    for a in &hashed.adopted {
        match super::copy_back(repo, &store, a) {
            Ok(Some(stat)) => {
                copied.insert(a.rel.clone(), stat);
            }
            Ok(None) => {}
            // The content is stored either way; only the writable copy is missing.
            Err(e) => tracing::warn!(
                "{e}: {} stays hard-linked to the store, read-only; `kiln unprotect {}` copies it",
                a.rel,
                a.rel
            ),
        }
    }

    // In symlink mode the workspace holds links to the store; in hardlink
    // mode the ingested file already is the stored inode.
    let first_link = links.iter().find(|m| **m != LinkMode::Reflink).copied();
    if first_link == Some(LinkMode::Symlink) {
        use rayon::prelude::*;
        let placer = Placer::new(repo, &store);
        let files: Vec<_> = hashed.listing.files.iter().collect();
        files
            .par_iter()
            .try_for_each(|(path, (id, kind, _))| -> Result<(), WorkspaceError> {
                let abs = if path.is_empty() {
                    repo.root().join(rel)
                } else {
                    repo.root().join(rel).join(path)
                };
                if !fsutil::symlink_metadata(&abs)?.file_type().is_symlink() {
                    placer.place(id, *kind == crate::store::EntryKind::Exec, &abs)?;
                }
                Ok(())
            })?;
    }
    for (path, stat, id) in hashed.seen {
        // Publishing a hard-linked object changes the inode's ctime.
        let stat = if let Some(copy) = copied.get(&path) {
            *copy
        } else if first_link == Some(LinkMode::Hardlink) {
            match std::fs::metadata(repo.root().join(&path)) {
                Ok(m) => crate::store::statcache::Stat::of(&m),
                Err(_) => continue,
            }
        } else {
            stat
        };
        cache.insert(path, stat, id);
    }

    let pointer_path = repo.root().join(pointer::pointer_path(Path::new(rel)));
    let old = match Pointer::read(&pointer_path) {
        Ok(p) => Some(p),
        Err(pointer::PointerError::Io(e)) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    // What was not fetched here stays in the folder: its trees are stored,
    // its files are on the remote they came from.
    // Without the folder's tree nothing can tell what was not fetched here
    // from what was deleted: refused rather than recorded as deleted.
    if let Some(o) = &old
        && o.kind == Kind::Dir
        && hashed.kind == Kind::Dir
        && hashed.id != o.id
        && !store.contains(&o.id)
    {
        return Err(WorkspaceError::TreeNotHere {
            path: rel.to_string(),
        });
    }
    let filled = match &old {
        Some(o) if hashed.kind == Kind::Dir => {
            super::partial::fill(&store, rel, o, &hashed.listing, removed)?
        }
        _ => None,
    };
    let (id, size, files) = match &filled {
        Some(f) => {
            let mut staged = Vec::new();
            for (id, tree) in &f.trees {
                staged.extend(store.stage_tree(*id, tree)?);
            }
            store.publish(staged)?;
            (f.id, f.size, f.files)
        }
        None => (hashed.id, hashed.size, hashed.files),
    };
    let mut new = Pointer {
        kind: hashed.kind,
        id,
        size,
        files: (hashed.kind == Kind::Dir).then_some(files),
        schema: opts
            .schema
            .clone()
            .or_else(|| old.as_ref().and_then(|o| o.schema.clone())),
        origin: None,
    };
    new.origin = match &old {
        Some(o) if o.same_content(&new) => o.origin.clone(),
        _ => {
            let origin = match opts.origin.get() {
                Some(o) => o.clone(),
                None => {
                    let found = current_origin(repo)?;
                    let _ = opts.origin.set(found.clone());
                    found
                }
            };
            origin.map(|o| Origin {
                run: opts.run.clone(),
                ..o
            })
        }
    };
    if !opts.no_check
        && old
            .as_ref()
            .is_none_or(|o| !o.same_content(&new) || o.schema != new.schema)
    {
        // Checking reads ids from the stat cache: save what hashing learnt.
        cache.save(&repo.state_dir(), &repo.tmp_dir())?;
        gate(rel, &new).map_err(WorkspaceError::Refused)?;
    }
    let changed = old.as_ref() != Some(&new);
    if changed {
        fsutil::write_atomic(&pointer_path, new.to_text().as_bytes(), &repo.tmp_dir())?;
    }
    if repo.scm() {
        ignore_in_git(repo, rel)?;
    }
    tracing::info!(
        "{rel}: hashed {} files ({} bytes), {} unchanged by the stat cache, {} new objects",
        hashed.hashed,
        hashed.hashed_bytes,
        hashed.cached,
        new_objects
    );
    Ok(Added {
        path: rel.to_string(),
        pointer: new,
        changed,
        hashed: hashed.hashed,
        hashed_bytes: hashed.hashed_bytes,
        cached: hashed.cached,
        new_objects,
    })
}

/// The `.gitignore` beside the data and the line that ignores it.
fn ignore_line(repo: &Repo, rel: &str) -> (PathBuf, String) {
    let (dir, name) = match rel.rfind('/') {
        Some(i) => (&rel[..i], &rel[i + 1..]),
        None => ("", rel),
    };
    (
        repo.root().join(dir).join(".gitignore"),
        format!("/{}", escape_gitignore(name)),
    )
}

/// Removes the line [`ignore_in_git`] added, if it is there.
pub(crate) fn unignore_in_git(repo: &Repo, rel: &str) -> Result<(), IoError> {
    let (path, line) = ignore_line(repo, rel);
    let Some(text) = fsutil::read_to_string_if_exists(&path)? else {
        return Ok(());
    };
    let kept: Vec<&str> = text.lines().filter(|l| l.trim_end() != line).collect();
    if kept.len() == text.lines().count() {
        return Ok(());
    }
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    fsutil::write_atomic(&path, out.as_bytes(), &repo.tmp_dir())
}

/// Adds `/NAME` to the `.gitignore` beside the data, once.
pub(crate) fn ignore_in_git(repo: &Repo, rel: &str) -> Result<(), IoError> {
    let (path, line) = ignore_line(repo, rel);
    let text = fsutil::read_to_string_if_exists(&path)?.unwrap_or_default();
    if text.lines().any(|l| l.trim_end() == line) {
        return Ok(());
    }
    let mut out = text;
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&line);
    out.push('\n');
    fsutil::write_atomic(&path, out.as_bytes(), &repo.tmp_dir())
}

/// Escapes gitignore's special characters in a literal name.
fn escape_gitignore(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.chars().enumerate() {
        if matches!(c, '*' | '?' | '[' | '\\') || (i == 0 && matches!(c, '#' | '!')) {
            out.push('\\');
        }
        out.push(c);
    }
    if out.ends_with(' ') {
        out.pop();
        out.push_str("\\ ");
    }
    out
}
