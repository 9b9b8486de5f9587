//! Reading git with gix: the code context, tracked paths, and files at
//! revisions. kiln never writes to git.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot open the git repository at {}: {source}", repo.display())]
    Open { repo: PathBuf, source: Source },
    #[error("git repository at {}: revision `{rev}`: {source}", repo.display())]
    Revision {
        repo: PathBuf,
        rev: String,
        source: Source,
    },
    #[error("git repository at {}: cannot {op}: {source}", repo.display())]
    Read {
        repo: PathBuf,
        op: &'static str,
        source: Source,
    },
}

/// gix's own error, kept whole.
pub type Source = Box<dyn std::error::Error + Send + Sync>;

/// The root of the git work tree holding `dir`, if any.
pub fn work_tree_root(dir: &Path) -> Option<PathBuf> {
    let repo = gix::discover(dir).ok()?;
    let wd = repo.workdir()?;
    std::fs::canonicalize(wd).ok()
}

/// The code context of a moment: what `origin` and run records hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CodeContext {
    /// HEAD's commit; none before the first commit.
    pub commit: Option<String>,
    /// HEAD's tree.
    pub tree: Option<String>,
    /// The checked-out branch; none when HEAD is detached.
    pub branch: Option<String>,
    /// Whether tracked files differ from HEAD (kiln's own files aside).
    pub dirty: bool,
    /// The `origin` remote's URL, credentials removed.
    pub remote_url: Option<String>,
}

pub struct Git {
    repo: gix::Repository,
    root: PathBuf,
}

impl Git {
    pub fn open(root: &Path) -> Result<Git, GitError> {
        let repo = gix::open(root).map_err(|e| GitError::Open {
            repo: root.to_path_buf(),
            source: e.into(),
        })?;
        Ok(Git {
            repo,
            root: root.to_path_buf(),
        })
    }

    /// An error of the operation `op` on this repository.
    fn fail<E: Into<Source>>(&self, op: &'static str) -> impl FnOnce(E) -> GitError + '_ {
        move |e| GitError::Read {
            repo: self.root.clone(),
            op,
            source: e.into(),
        }
    }

    /// HEAD, branch, dirty flag and origin URL. `ignore` names paths whose
    /// changes do not make the tree dirty (kiln's pointers and records).
    pub fn context(&self, ignore: &dyn Fn(&str) -> bool) -> Result<CodeContext, GitError> {
        let head = self.repo.head().map_err(self.fail("read HEAD"))?;
        let branch = head
            .referent_name()
            .map(|n| n.shorten().to_str_lossy().into_owned());
        let commit = self.repo.head_commit().ok();
        let tree = commit
            .as_ref()
            .and_then(|c| c.tree_id().ok())
            .map(|t| t.to_string());
        let dirty = self.is_dirty(ignore)?;
        let remote_url = self
            .repo
            .find_remote("origin")
            .ok()
            .and_then(|r| r.url(gix::remote::Direction::Fetch).map(redact_git_url));
        Ok(CodeContext {
            commit: commit.map(|c| c.id.to_string()),
            tree,
            branch,
            dirty,
            remote_url,
        })
    }

    fn is_dirty(&self, ignore: &dyn Fn(&str) -> bool) -> Result<bool, GitError> {
        let status = self
            .repo
            .status(gix::progress::Discard)
            .map_err(self.fail("read the status"))?
            .untracked_files(gix::status::UntrackedFiles::None)
            .index_worktree_rewrites(None);
        let iter = status
            .into_iter(None)
            .map_err(self.fail("read the status"))?;
        for item in iter {
            let item = item.map_err(self.fail("read the status"))?;
            let path = item.location().to_str_lossy();
            if !ignore(&path) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether git tracks `rel` (a file) or anything below it (a folder).
    pub fn is_tracked(&self, rel: &str) -> Result<bool, GitError> {
        let index = self
            .repo
            .index_or_empty()
            .map_err(self.fail("read the index"))?;
        let prefix = format!("{rel}/");
        Ok(index.entries().iter().any(|e| {
            let p = e.path(&index);
            p == rel.as_bytes() || p.starts_with(prefix.as_bytes())
        }))
    }

    fn resolve(&self, rev: &str) -> Result<gix::Commit<'_>, GitError> {
        let bad = |source: Source| GitError::Revision {
            repo: self.root.clone(),
            rev: rev.to_string(),
            source,
        };
        let id = self.repo.rev_parse_single(rev).map_err(|e| bad(e.into()))?;
        id.object()
            .map_err(|e| bad(e.into()))?
            .peel_to_commit()
            .map_err(|e| bad(e.into()))
    }

    /// The full id of the commit `rev` names.
    pub fn commit_id(&self, rev: &str) -> Result<String, GitError> {
        Ok(self.resolve(rev)?.id.to_string())
    }

    /// The bytes of the file at `path` in `rev`'s tree; none where it has none.
    pub fn file_at(&self, rev: &str, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let commit = self.resolve(rev)?;
        self.file_in(&commit, path)
    }

    fn file_in(&self, commit: &gix::Commit<'_>, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let tree = commit.tree().map_err(self.fail("read a commit's tree"))?;
        let Some(entry) = tree
            .lookup_entry_by_path(path)
            .map_err(self.fail("read a tree"))?
        else {
            return Ok(None);
        };
        if !entry.mode().is_blob() {
            return Ok(None);
        }
        let blob = entry.object().map_err(self.fail("read a file"))?;
        Ok(Some(blob.data.clone()))
    }

    /// The versions of the file at `path` along HEAD's first-parent
    /// history, newest first, each once per run of commits holding it, with
    /// the newest such commit's short id; at most `limit` commits are read.
    pub fn file_history(
        &self,
        path: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let Ok(head) = self.repo.head_id() else {
            return Ok(Vec::new());
        };
        let walk = self
            .repo
            .rev_walk([head.detach()])
            .first_parent_only()
            .all()
            .map_err(self.fail("walk the history"))?;
        let mut out: Vec<(String, Vec<u8>)> = Vec::new();
        for info in walk.take(limit) {
            let info = info.map_err(self.fail("walk the history"))?;
            let commit = info.object().map_err(self.fail("read a commit"))?;
            let Some(bytes) = self.file_in(&commit, path)? else {
                // Before the file was added: nothing older to compare with.
                break;
            };
            if out.last().is_none_or(|(_, last)| *last != bytes) {
                out.push((info.id.to_hex_with_len(7).to_string(), bytes));
            }
        }
        Ok(out)
    }

    /// Every pointer file (`*.kiln`, outside `.kiln/`) in `rev`'s tree, with its bytes.
    pub fn pointers_at(&self, rev: &str) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let commit = self.resolve(rev)?;
        let mut seen = HashSet::new();
        self.pointers_in_tree(
            commit
                .tree_id()
                .map_err(self.fail("read a commit's tree"))?
                .detach(),
            &mut seen,
        )
    }

    /// Pointer files in a tree, skipping blobs already in `seen` (so walks over
    /// many commits read each pointer once).
    fn pointers_in_tree(
        &self,
        tree_id: gix::ObjectId,
        seen: &mut HashSet<gix::ObjectId>,
    ) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let tree = self
            .repo
            .find_tree(tree_id)
            .map_err(self.fail("read a tree"))?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .map_err(self.fail("read a tree"))?;
        let mut out = Vec::new();
        for entry in recorder.records {
            let path = entry.filepath.to_str_lossy();
            if !entry.mode.is_blob()
                || !path.ends_with(crate::pointer::SUFFIX)
                || path.starts_with(".kiln/")
            {
                continue;
            }
            if !seen.insert(entry.oid) {
                continue;
            }
            let blob = self
                .repo
                .find_object(entry.oid)
                .map_err(self.fail("read a pointer file"))?;
            out.push((path.into_owned(), blob.data.clone()));
        }
        Ok(out)
    }

    /// Pointer files at the tip of every local branch.
    pub fn pointers_on_branches(&self) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let refs = self
            .repo
            .references()
            .map_err(self.fail("list references"))?;
        for r in refs.local_branches().map_err(self.fail("list branches"))? {
            let mut r = r.map_err(self.fail("read a branch"))?;
            let commit = r
                .peel_to_commit()
                .map_err(self.fail("read a branch's commit"))?;
            let tree = commit
                .tree_id()
                .map_err(self.fail("read a commit's tree"))?
                .detach();
            out.extend(self.pointers_in_tree(tree, &mut seen)?);
        }
        Ok(out)
    }

    /// Pointer files in every commit reachable from any reference.
    pub fn pointers_in_history(&self) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let mut tips = Vec::new();
        let refs = self
            .repo
            .references()
            .map_err(self.fail("list references"))?;
        for r in refs.all().map_err(self.fail("list references"))? {
            let mut r = r.map_err(self.fail("read a reference"))?;
            if let Ok(c) = r.peel_to_commit() {
                tips.push(c.id);
            }
        }
        if let Ok(head) = self.repo.head_id() {
            tips.push(head.detach());
        }
        if tips.is_empty() {
            return Ok(Vec::new());
        }
        self.pointers_in_walk(
            self.repo
                .rev_walk(tips)
                .all()
                .map_err(self.fail("walk the history"))?,
        )
    }

    /// Pointer files in every commit of a walk, each tree and blob read once.
    fn pointers_in_walk(
        &self,
        walk: gix::revision::Walk<'_>,
    ) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let mut seen_blobs = HashSet::new();
        let mut seen_trees = HashSet::new();
        let mut out = Vec::new();
        for info in walk {
            let info = info.map_err(self.fail("walk the history"))?;
            let commit = info.object().map_err(self.fail("read a commit"))?;
            let tree = commit
                .tree_id()
                .map_err(self.fail("read a commit's tree"))?
                .detach();
            if seen_trees.insert(tree) {
                out.extend(self.pointers_in_tree(tree, &mut seen_blobs)?);
            }
        }
        Ok(out)
    }
}

impl Git {
    /// The repository's own git config file.
    pub fn config_path(&self) -> PathBuf {
        self.repo.common_dir().join("config")
    }

    /// Where git runs hooks from: `core.hooksPath` if set, else `hooks/` in
    /// the common git folder.
    pub fn hooks_dir(&self) -> PathBuf {
        let configured = self.repo.config_snapshot().string("core.hooksPath");
        match configured {
            Some(p) => {
                let p = PathBuf::from(p.to_str_lossy().into_owned());
                match self.repo.workdir() {
                    Some(wd) if p.is_relative() => wd.join(p),
                    _ => p,
                }
            }
            None => self.repo.common_dir().join("hooks"),
        }
    }

    /// Whether a rebase is in progress (hooks stay quiet then).
    pub fn rebasing(&self) -> bool {
        let dir = self.repo.git_dir();
        dir.join("rebase-merge").exists() || dir.join("rebase-apply").exists()
    }

    /// Pointer files whose staged content differs from HEAD's, with the
    /// staged bytes.
    pub fn staged_pointers(&self) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let index = self
            .repo
            .index_or_empty()
            .map_err(self.fail("read the index"))?;
        let head_tree = self.repo.head_commit().ok().and_then(|c| c.tree().ok());
        let mut out = Vec::new();
        for entry in index.entries() {
            let path = entry.path(&index).to_str_lossy().into_owned();
            if !path.ends_with(crate::pointer::SUFFIX) || path.starts_with(".kiln/") {
                continue;
            }
            let in_head = match &head_tree {
                Some(t) => t
                    .lookup_entry_by_path(&path)
                    .map_err(self.fail("read HEAD's tree"))?
                    .map(|e| e.object_id()),
                None => None,
            };
            if in_head == Some(entry.id) {
                continue;
            }
            let blob = self
                .repo
                .find_object(entry.id)
                .map_err(self.fail("read a pointer file"))?;
            out.push((path, blob.data.clone()));
        }
        Ok(out)
    }

    /// Pointer files in the commits reachable from any of `tips` but from
    /// none of `hide`, in one walk.
    pub fn pointers_in_range(
        &self,
        tips: &[String],
        hide: &[String],
    ) -> Result<Vec<(String, Vec<u8>)>, GitError> {
        let tip_ids = tips
            .iter()
            .map(|t| self.resolve(t).map(|c| c.id))
            .collect::<Result<Vec<_>, _>>()?;
        let hidden: Vec<gix::ObjectId> = hide
            .iter()
            .filter_map(|h| self.resolve(h).ok())
            .map(|c| c.id)
            .collect();
        let walk = self
            .repo
            .rev_walk(tip_ids)
            .with_hidden(hidden)
            .all()
            .map_err(self.fail("walk the history"))?;
        self.pointers_in_walk(walk)
    }
}

/// A git remote URL without user name or password.
fn redact_git_url(url: &gix::Url) -> String {
    let mut url = url.clone();
    url.set_user(None);
    url.set_password(None);
    url.to_bstring().to_str_lossy().into_owned()
}
