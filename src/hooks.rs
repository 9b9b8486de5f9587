//! Git hooks that make kiln a gate: install, uninstall, and what each hook
//! checks. Existing hooks are kept and chained, never overwritten.

use std::path::{Path, PathBuf};

use crate::fsutil::{self, IoError};
use crate::git::Git;

/// The hooks kiln installs.
pub const HOOKS: [&str; 4] = ["pre-commit", "pre-push", "post-checkout", "post-merge"];

/// The first lines of every hook kiln writes; how kiln knows its own.
const MARKER: &str = "# kiln hook 1";

/// Where a hook that was there before kiln's is kept, and run first.
fn chained(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.pre-kiln"))
}

#[derive(Debug, thiserror::Error)]
pub enum HooksError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error(
        "`{name}` is not a hook kiln runs (expected one of: pre-commit, pre-push, post-checkout, post-merge)"
    )]
    Unknown { name: String },
    #[error("{}: cannot set up kiln's merge driver: {message}", path.display())]
    Config { path: PathBuf, message: String },
}

/// What install or uninstall did to each hook.
#[derive(Debug, serde::Serialize)]
pub struct HookChange {
    pub hook: &'static str,
    pub path: String,
    pub action: &'static str,
}

fn script(name: &str, kiln: &Path) -> String {
    let kiln = kiln.display().to_string().replace('\'', "'\\''");
    // pre-push reads its ref list on stdin: keep it for both hooks.
    format!(
        r#"#!/bin/sh
{MARKER}: written by `kiln hooks install`; `kiln hooks install --uninstall` restores what was here.
kiln='{kiln}'
[ -x "$kiln" ] || kiln=kiln
here=$(dirname "$0")
input=
[ "{name}" = pre-push ] && input=$(cat)
if [ -x "$here/{name}.pre-kiln" ]; then
    printf '%s\n' "$input" | "$here/{name}.pre-kiln" "$@" || exit $?
fi
printf '%s\n' "$input" | exec "$kiln" hooks run {name} "$@"
"#
    )
}

fn is_ours(path: &Path) -> bool {
    fsutil::read_to_string(path)
        .is_ok_and(|t| t.lines().nth(1).is_some_and(|l| l.starts_with(MARKER)))
}

fn make_executable(path: &Path) -> Result<(), IoError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| IoError::new("make executable", path, e))
}

/// Installs kiln's hooks; `kiln` is the binary they call.
pub fn install(root: &Path, tmp: &Path, kiln: &Path) -> Result<Vec<HookChange>, HooksError> {
    let dir = Git::open(root)?.hooks_dir();
    fsutil::create_dir_all(&dir)?;
    let mut out = Vec::new();
    for name in HOOKS {
        let path = dir.join(name);
        let text = script(name, kiln);
        let action = if is_ours(&path) {
            if fsutil::read_to_string(&path).is_ok_and(|t| t == text) {
                "unchanged"
            } else {
                "updated"
            }
        } else if path.exists() {
            fsutil::rename(&path, &chained(&dir, name))?;
            "installed, chaining the existing hook"
        } else {
            "installed"
        };
        if action != "unchanged" {
            fsutil::write_atomic(&path, text.as_bytes(), tmp)?;
            make_executable(&path)?;
        }
        out.push(HookChange {
            hook: name,
            path: path.display().to_string(),
            action,
        });
    }
    out.extend(install_merge_driver(root, tmp, kiln)?);
    Ok(out)
}

/// The line of `.gitattributes` that has git merge pointers with kiln.
const ATTRIBUTE: &str = "*.kiln merge=kiln";

/// kiln as git's merge driver for pointer files: the attribute in the
/// work tree's `.gitattributes` (to commit, so every clone merges alike)
/// and the driver's command in the repository's git config (which git
/// never takes from a clone: each clone runs `kiln hooks install`).
fn install_merge_driver(
    root: &Path,
    tmp: &Path,
    kiln: &Path,
) -> Result<Vec<HookChange>, HooksError> {
    let attributes = root.join(".gitattributes");
    let text = fsutil::read_to_string_if_exists(&attributes)?.unwrap_or_default();
    let attribute = if text.lines().any(|l| l.trim() == ATTRIBUTE) {
        "unchanged"
    } else {
        let sep = if text.is_empty() || text.ends_with('\n') {
            ""
        } else {
            "\n"
        };
        let new = format!(
            "{text}{sep}# Folder pointers merge file by file (kiln hooks install).\n{ATTRIBUTE}\n"
        );
        fsutil::write_atomic(&attributes, new.as_bytes(), tmp)?;
        "added `*.kiln merge=kiln`"
    };
    let path = Git::open(root)?.config_path();
    let bad = |e: String| HooksError::Config {
        path: path.clone(),
        message: e,
    };
    let mut config =
        gix::config::File::from_path_no_includes(path.clone(), gix::config::Source::Local)
            .map_err(|e| bad(e.to_string()))?;
    let kiln = kiln.display().to_string().replace('\'', "'\\''");
    let driver = format!("'{kiln}' merge-driver %O %A %B %P");
    let before = config
        .raw_value("merge.kiln.driver")
        .ok()
        .map(|v| v.to_string());
    let driver_action = if before.as_deref() == Some(driver.as_str()) {
        "unchanged"
    } else {
        config
            .set_raw_value_by("merge", Some("kiln".into()), "name", "kiln pointer files")
            .map_err(|e| bad(e.to_string()))?;
        config
            .set_raw_value_by("merge", Some("kiln".into()), "driver", driver.as_str())
            .map_err(|e| bad(e.to_string()))?;
        let mut bytes = Vec::new();
        config
            .write_to(&mut bytes)
            .map_err(|e| bad(e.to_string()))?;
        fsutil::write_atomic(&path, &bytes, tmp)?;
        "installed"
    };
    Ok(vec![
        HookChange {
            hook: "merge attribute",
            path: attributes.display().to_string(),
            action: attribute,
        },
        HookChange {
            hook: "merge driver",
            path: path.display().to_string(),
            action: driver_action,
        },
    ])
}

/// Removes kiln's hooks and puts back the ones they chained.
pub fn uninstall(root: &Path) -> Result<Vec<HookChange>, HooksError> {
    let dir = Git::open(root)?.hooks_dir();
    let mut out = Vec::new();
    for name in HOOKS {
        let path = dir.join(name);
        if !is_ours(&path) {
            continue;
        }
        let before = chained(&dir, name);
        let action = if before.exists() {
            fsutil::rename(&before, &path)?;
            "restored the previous hook"
        } else {
            fsutil::remove_file(&path)?;
            "removed"
        };
        out.push(HookChange {
            hook: name,
            path: path.display().to_string(),
            action,
        });
    }
    Ok(out)
}

/// The refs `git push` announced on a pre-push hook's stdin: for each, the
/// local commit to push and the remote's current commit, if any.
pub fn parse_push_refs(input: &str) -> Vec<(String, Option<String>)> {
    const ZERO: &str = "0000000000000000000000000000000000000000";
    input
        .lines()
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            match parts.as_slice() {
                [_, local, _, remote] if *local != ZERO => Some((
                    local.to_string(),
                    (*remote != ZERO).then(|| remote.to_string()),
                )),
                _ => None,
            }
        })
        .collect()
}

/// Why a staged pointer may not be committed.
#[derive(Debug, serde::Serialize)]
pub struct Blocked {
    pub path: String,
    pub reason: String,
}

/// What the pre-commit gate found.
#[derive(Debug, Default)]
pub struct PreCommit {
    pub blocked: Vec<Blocked>,
    /// Check reports of staged data that failed its schema.
    pub invalid: Vec<crate::validate::FileReport>,
}

/// The pre-commit gate: for every staged pointer, its content is in the
/// store, the workspace matches it, and it passes its bound schema.
pub fn pre_commit(repo: &crate::repo::Repo) -> Result<PreCommit, crate::Error> {
    use crate::workspace::hashing::{Hasher, Mode};
    let git = Git::open(repo.root())?;
    let store = repo.store();
    let cache = crate::store::statcache::StatCache::load(&repo.state_dir());
    let silent = crate::progress::Silent;
    let hasher = Hasher::new(&store, repo.root(), &cache, Mode::HashOnly, &silent);
    let mut out = PreCommit::default();
    for (path, bytes) in git.staged_pointers()? {
        let pointer =
            crate::pointer::Pointer::parse(&String::from_utf8_lossy(&bytes), Path::new(&path))?;
        let Some(rel) = crate::pointer::data_path(&path) else {
            continue;
        };
        let rel = rel?;
        let mut block = |reason: String| {
            out.blocked.push(Blocked {
                path: rel.to_string(),
                reason,
            })
        };
        let stored = crate::workspace::listing(&store, &pointer)
            .is_ok_and(|l| l.files.values().all(|(id, _, _)| store.contains(id)));
        if !stored {
            block("its content is not in the store: run `kiln add` (or `kiln pull`)".into());
        }
        match hasher.hash(&rel)? {
            Some(h) if h.id == pointer.id => {}
            Some(_) => {
                block(format!(
                    "the workspace differs from the staged pointer: run `kiln add {rel}` and `git add {path}`"
                ));
                continue;
            }
            None => {
                block("missing from the workspace".into());
                continue;
            }
        }
        if let Some((schema, mut reports)) = crate::binding::checked(repo, &rel, &pointer)? {
            // Drift rules judge the staged version against its baseline.
            if let Some(table) = reports.first_mut() {
                let schema_path = repo.root().join(&schema);
                crate::drift::judge(repo, &rel, &schema_path, table, &silent)?;
            }
            if crate::binding::fails(&reports) {
                block(format!("does not pass its schema {schema}"));
                out.invalid.extend(reports);
            }
        }
    }
    Ok(out)
}

/// The pre-push gate: pushes to the default remote every object that the
/// commits being pushed reference. `refs` is what git passes on stdin.
pub fn pre_push(
    repo: &crate::repo::Repo,
    refs: &str,
    progress: &dyn crate::progress::Progress,
) -> Result<Option<crate::remote::PushReport>, crate::Error> {
    let git = Git::open(repo.root())?;
    // One walk for every ref pushed: what the remote already has is hidden.
    let (tips, hide): (Vec<String>, Vec<Option<String>>) =
        parse_push_refs(refs).into_iter().unzip();
    let hide: Vec<String> = hide.into_iter().flatten().collect();
    let mut tracked: Vec<crate::workspace::Tracked> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let pointers = if tips.is_empty() {
        Vec::new()
    } else {
        git.pointers_in_range(&tips, &hide)?
    };
    for (path, bytes) in pointers {
        let pointer =
            crate::pointer::Pointer::parse(&String::from_utf8_lossy(&bytes), Path::new(&path))?;
        let Some(rel) = crate::pointer::data_path(&path) else {
            continue;
        };
        let rel = rel?;
        if seen.insert(pointer.id) {
            tracked.push(crate::workspace::Tracked {
                rel,
                pointer,
                part: None,
            });
        }
    }
    if tracked.is_empty() {
        return Ok(None);
    }
    let remote = crate::remote::Remote::open(repo, None, None)?;
    let report = remote.push(repo, &tracked, Default::default(), progress)?;
    Ok(Some(report))
}
