//! Git hooks: kiln as a gate on commit and push, and checkout on branch switches.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::Repo;

const SCHEMA: &str = "fields:\n  - name: id\n    type: integer\n    constraints: {required: true, minimum: 0}\n  - name: label\n    type: string\n    constraints: {enum: [cat, dog]}\n";

fn write_hook(repo: &Repo, dir: &str, name: &str, body: &str) {
    let path = repo.path(&format!("{dir}/{name}"));
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, body).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs git, returning whether it succeeded and what it printed.

#[test]
fn a_commit_with_invalid_bound_data_is_blocked_and_a_valid_one_goes_through() {
    let repo = Repo::new();
    repo.kiln(["hooks", "install"]).ok();
    repo.write("schemas/pets.yaml", SCHEMA);
    repo.write("data/pets.csv", "id,label\n1,cat\n2,dog\n");
    repo.kiln(["add", "data/pets.csv", "--schema", "schemas/pets.yaml"])
        .ok();
    repo.git(["add", "-A"]);
    let (ok, out) = repo.git_try(&["commit", "-q", "-m", "valid data"]);
    assert!(ok, "a valid commit was blocked:\n{out}");

    repo.write("data/pets.csv", "id,label\n1,cat\n-2,bird\n");
    repo.kiln(["add", "data/pets.csv", "--no-check"]).ok();
    repo.git(["add", "-A"]);
    let (ok, out) = repo.git_try(&["commit", "-q", "-m", "invalid data"]);
    assert!(!ok, "an invalid commit went through:\n{out}");
    assert!(out.contains("cell/minimum"), "{out}");
    assert!(out.contains("cell/enum"), "{out}");

    // Data changed after the pointer was staged is blocked too.
    repo.write("data/pets.csv", "id,label\n1,cat\n2,cat\n");
    repo.kiln(["add", "data/pets.csv"]).ok();
    repo.git(["add", "-A"]);
    repo.write("data/pets.csv", "id,label\n1,cat\n3,cat\n");
    let (ok, out) = repo.git_try(&["commit", "-q", "-m", "stale pointer"]);
    assert!(!ok, "{out}");
    assert!(out.contains("differs from the staged pointer"), "{out}");
}

#[test]
fn git_push_pushes_the_data_first_and_is_blocked_when_the_remote_is_unreachable() {
    let repo = Repo::new();
    let bare = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    repo.git(["init", "-q", "--bare", bare.path().to_str().unwrap()]);
    repo.git(["remote", "add", "origin", bare.path().to_str().unwrap()]);
    repo.kiln([
        "remote",
        "add",
        "local",
        store.path().to_str().unwrap(),
        "--default",
    ])
    .ok();
    repo.kiln(["hooks", "install"]).ok();
    repo.write("data/a.txt", "pushed with the commit");
    repo.kiln(["add", "data"]).ok();
    repo.commit("data");
    let (ok, out) = repo.git_try(&["push", "-q", "origin", "main"]);
    assert!(ok, "{out}");
    let id = blake3::hash(b"pushed with the commit").to_hex().to_string();
    assert!(
        store
            .path()
            .join(format!("objects/{}/{}", &id[..2], &id[2..]))
            .is_file(),
        "{out}"
    );

    // An unreachable remote blocks the git push.
    let blocker = repo.path("blocker");
    fs::write(&blocker, "a file, so no folder can be made below it").unwrap();
    repo.kiln([
        "remote",
        "modify",
        "local",
        "url",
        blocker.join("remote").to_str().unwrap(),
    ])
    .ok();
    repo.write("data/b.txt", "never reaches the remote");
    repo.kiln(["add", "data"]).ok();
    let head = repo.commit("more data");
    let (ok, out) = repo.git_try(&["push", "-q", "origin", "main"]);
    assert!(!ok, "{out}");
    let remote_head = repo.git([
        "--git-dir",
        bare.path().to_str().unwrap(),
        "rev-parse",
        "main",
    ]);
    assert_ne!(remote_head.trim(), head);
}

#[test]
fn switching_branches_restores_each_branchs_data() {
    let repo = Repo::new();
    repo.kiln(["hooks", "install"]).ok();
    repo.write("data/f", "main's data");
    repo.kiln(["add", "data"]).ok();
    repo.commit("main data");
    repo.git(["checkout", "-q", "-b", "experiment"]);
    repo.write("data/f", "experiment's data");
    repo.write("data/extra", "only on the experiment");
    repo.kiln(["add", "data"]).ok();
    repo.commit("experiment data");
    repo.git(["checkout", "-q", "main"]);
    assert_eq!(repo.read_string("data/f"), "main's data");
    assert!(!repo.exists("data/extra"));
    repo.git(["checkout", "-q", "experiment"]);
    assert_eq!(repo.read_string("data/f"), "experiment's data");
    assert_eq!(repo.read_string("data/extra"), "only on the experiment");
    // post-merge too.
    repo.git(["checkout", "-q", "main"]);
    repo.git(["merge", "-q", "experiment"]);
    assert_eq!(repo.read_string("data/f"), "experiment's data");
}

#[test]
fn existing_hooks_are_chained_and_restored() {
    let repo = Repo::new();
    let marker = repo.path("hook-ran");
    let body = format!("#!/bin/sh\necho ran >> '{}'\n", marker.display());
    write_hook(&repo, ".git/hooks", "pre-commit", &body);
    repo.kiln(["hooks", "install"]).ok();
    let installed = repo.read_string(".git/hooks/pre-commit");
    let run = repo.kiln(["hooks", "install"]).ok();
    assert!(run.stderr.contains("unchanged"), "{}", run.stderr);
    assert_eq!(repo.read_string(".git/hooks/pre-commit"), installed);
    repo.commit("one");
    assert_eq!(fs::read_to_string(&marker).unwrap(), "ran\n");
    repo.kiln(["hooks", "install", "--uninstall"]).ok();
    assert_eq!(repo.read_string(".git/hooks/pre-commit"), body);
    assert!(!repo.exists(".git/hooks/pre-push"));
    repo.commit("two");
    assert_eq!(fs::read_to_string(&marker).unwrap(), "ran\nran\n");
}

#[test]
fn core_hooks_path_is_respected() {
    let repo = Repo::new();
    repo.git(["config", "core.hooksPath", "githooks"]);
    repo.kiln(["hooks", "install"]).ok();
    assert!(repo.exists("githooks/pre-commit"));
    assert!(!repo.exists(".git/hooks/pre-commit"));
}
