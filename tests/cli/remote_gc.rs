//! Garbage collection on a remote: what any given repository references
//! stays, a grace period protects what is being pushed now, and other
//! clones stop trusting what they knew was there.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::remote::{Backend, Kind, count, garage_shared, id_of, walk};
use crate::support::Repo;

/// `kiln gc` on the remote `origin` by the work tree, with `more` options;
/// its JSON report.
fn gc(repo: &Repo, more: &[&str]) -> serde_json::Value {
    let mut args = vec!["gc", "-r", "origin", "--workspace", "--json"];
    args.extend_from_slice(more);
    repo.kiln(args).ok().json()
}

/// Objects of a file's content as the remote names them.
fn ids(contents: &[&str]) -> HashSet<String> {
    contents.iter().map(|c| id_of(c.as_bytes())).collect()
}

/// Makes every object on a folder remote look written two days ago.
fn age(backend: &Backend) {
    let then = SystemTime::now() - Duration::from_secs(2 * 86_400);
    for path in walk(&backend.folder()) {
        if path.is_file() {
            std::fs::File::open(&path)
                .unwrap()
                .set_modified(then)
                .unwrap();
        }
    }
}

/// Two versions of a file and a folder pushed; a second clone still at the
/// first version. A gc that is told about the clone keeps everything; one
/// that is not deletes the first version (trees and files) and nothing the
/// work tree needs.
fn keeps_what_any_repository_references(kind: Kind) {
    let backend = Backend::new(kind);
    let a = Repo::new();
    backend.add_to(&a, "origin");
    a.write("data/a.csv", "x\n1\n");
    a.write("data/imgs/1.txt", "one\n");
    a.write("data/imgs/2.txt", "two\n");
    a.kiln(["add", "data/a.csv", "data/imgs"]).ok();
    let first = a.commit("v1");
    a.kiln(["push"]).ok();
    a.write("data/a.csv", "x\n2\n");
    a.remove("data/imgs/2.txt");
    a.kiln(["add", "data/a.csv", "data/imgs"]).ok();
    a.commit("v2");
    a.kiln(["push"]).ok();
    let all = backend.ids();

    let b = a.clone_of();
    b.git(["checkout", "-q", &first]);
    let b_path = b.root().to_str().unwrap();

    let report = gc(&a, &["--grace", "0"]);
    assert_eq!(
        report["dry_run"], true,
        "a dry run unless --force: {report}"
    );
    // v1's file, v1's tree and 2.txt.
    assert_eq!(count(&report, "removed"), 3, "{report}");
    assert_eq!(count(&report, "removed_trees"), 1, "{report}");
    assert_eq!(backend.ids(), all, "a dry run deletes nothing");

    let report = gc(&a, &["--grace", "0", "--force", "--repo", b_path]);
    assert_eq!(count(&report, "removed"), 0, "{report}");
    assert_eq!(backend.ids(), all);

    let report = gc(&a, &["--grace", "1h", "--force"]);
    assert_eq!(
        count(&report, "removed"),
        0,
        "all newer than an hour: {report}"
    );
    assert_eq!(count(&report, "recent"), 3, "{report}");

    let report = gc(&a, &["--grace", "0", "--force"]);
    assert_eq!(count(&report, "removed"), 3, "{report}");
    let left = backend.ids();
    assert_eq!(left.len(), all.len() - 3);
    assert!(left.is_superset(&ids(&["x\n2\n", "one\n"])));
    assert!(left.is_disjoint(&ids(&["x\n1\n", "two\n"])));

    // What the work tree references comes back whole in a new clone.
    let c = a.clone_of();
    backend.set_credentials(&c, "origin");
    c.kiln(["pull"]).ok();
    assert_eq!(c.read_string("data/a.csv"), "x\n2\n");
    assert_eq!(c.read_string("data/imgs/1.txt"), "one\n");
    assert!(!c.exists("data/imgs/2.txt"));
    // The clone at v1 finds its data gone, and says which.
    backend.set_credentials(&b, "origin");
    let run = b.kiln(["pull"]).fails();
    assert!(run.stderr.contains("data/a.csv"), "{}", run.stderr);
}

#[test]
fn folder_remote_gc_keeps_what_any_repository_references() {
    keeps_what_any_repository_references(Kind::Folder);
}

#[test]
fn s3_remote_gc_keeps_what_any_repository_references() {
    if !crate::support::servers_up("s3_remote_gc_keeps_what_any_repository_references") {
        return;
    }
    let _g = garage_shared();
    keeps_what_any_repository_references(Kind::S3);
}

/// A clone that pushed a file knows it is on the remote. After a gc from
/// another clone deleted it, pushing it again must upload it, not trust
/// what the first clone knew.
#[test]
fn a_gc_elsewhere_makes_clones_check_the_remote_again() {
    let backend = Backend::new(Kind::Folder);
    let a = Repo::new();
    backend.add_to(&a, "origin");
    a.write("x.csv", "x\n1\n");
    a.kiln(["add", "x.csv"]).ok();
    a.kiln(["push"]).ok();
    a.remove("x.csv.kiln");
    a.commit("nothing tracked");
    let b = a.clone_of();
    let report = gc(&b, &["--grace", "0", "--force"]);
    assert_eq!(count(&report, "removed"), 1, "{report}");

    a.kiln(["add", "x.csv"]).ok();
    let push = a.kiln(["push", "--json"]).ok().json();
    assert_eq!(count(&push, "uploaded"), 1, "{push}");
    assert!(backend.ids().contains(&id_of(b"x\n1\n")));
}

/// Two clones add and push new data while gc runs again and again from a
/// third: nothing either references is lost (what they push is newer than
/// the grace period until they commit it), and the old version goes.
#[test]
fn clones_pushing_while_a_gc_runs_lose_nothing() {
    let backend = Backend::new(Kind::Folder);
    let a = Repo::new();
    backend.add_to(&a, "origin");
    a.write("data/old.csv", "old\n");
    a.kiln(["add", "data/old.csv"]).ok();
    a.commit("old");
    a.kiln(["push"]).ok();
    a.remove("data/old.csv.kiln");
    a.remove("data/old.csv");
    a.write("data/base.csv", "base\n");
    a.kiln(["add", "data/base.csv"]).ok();
    a.commit("base");
    a.kiln(["push"]).ok();
    age(&backend);
    let b = a.clone_of();
    b.kiln(["pull"]).ok();
    let g = a.clone_of();
    let (a_path, b_path) = (a.root().to_str().unwrap(), b.root().to_str().unwrap());

    std::thread::scope(|s| {
        for (repo, who) in [(&a, "a"), (&b, "b")] {
            s.spawn(move || {
                for i in 0..4 {
                    let rel = format!("data/{who}{i}.csv");
                    repo.write(&rel, format!("{who}\n{i}\n"));
                    repo.kiln(["add", &rel]).ok();
                    repo.kiln(["push"]).ok();
                    repo.commit(&format!("{who} {i}"));
                }
            });
        }
        for _ in 0..4 {
            gc(&g, &["--force", "--repo", a_path, "--repo", b_path]);
        }
    });

    let left = backend.ids();
    assert!(!left.contains(&id_of(b"old\n")), "the old version goes");
    for repo in [&a, &b] {
        let c = repo.clone_of();
        c.kiln(["pull"]).ok();
        assert_eq!(c.read_string("data/base.csv"), "base\n");
    }
    for who in ["a", "b"] {
        for i in 0..4 {
            let id = id_of(format!("{who}\n{i}\n").as_bytes());
            assert!(left.contains(&id), "{who}{i} was lost");
        }
    }
}
