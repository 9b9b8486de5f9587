//! Folder pointers changed on two branches, merged by `git merge` through
//! kiln's merge driver (set up by `kiln hooks install`): different files
//! merge cleanly; the same file changed on both sides is a conflict that
//! names it and leaves both versions one edit away.

use crate::support::{Repo, pointer_field};

fn folder_on_main() -> Repo {
    let repo = Repo::new();
    let run = repo.kiln(["hooks", "install"]).ok();
    assert!(
        run.stdout.contains("merge driver") || run.stderr.contains("merge driver"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(
        repo.read_string(".gitattributes")
            .contains("*.kiln merge=kiln")
    );
    for (name, text) in [("a.txt", "a1"), ("b.txt", "b1"), ("c.txt", "c1")] {
        repo.write(&format!("data/images/{name}"), text);
    }
    repo.kiln(["add", "data/images"]).ok();
    repo.commit("images");
    repo
}

fn change(repo: &Repo, files: &[(&str, Option<&str>)], message: &str) {
    for (name, text) in files {
        let rel = format!("data/images/{name}");
        match text {
            Some(t) => repo.write(&rel, t),
            None => repo.remove(&rel),
        }
    }
    repo.kiln(["add", "data/images"]).ok();
    repo.commit(message);
}

#[test]
fn changes_to_different_files_of_a_folder_merge_cleanly() {
    let repo = folder_on_main();
    repo.git(["checkout", "-q", "-b", "feature"]);
    change(
        &repo,
        &[("a.txt", Some("a2")), ("d.txt", Some("d2"))],
        "feature",
    );
    repo.git(["checkout", "-q", "main"]);
    change(&repo, &[("b.txt", Some("b3")), ("c.txt", None)], "main");
    let (ok, out) = repo.git_try(&["merge", "-q", "--no-edit", "feature"]);
    assert!(ok, "the merge failed:\n{out}");
    // The post-merge hook checked the merged folder out.
    assert_eq!(repo.read_string("data/images/a.txt"), "a2");
    assert_eq!(repo.read_string("data/images/b.txt"), "b3");
    assert_eq!(repo.read_string("data/images/d.txt"), "d2");
    assert!(!repo.exists("data/images/c.txt"));
    let status = repo.kiln(["status", "--json"]).ok();
    assert!(!status.stdout.contains("modified"), "{}", status.stdout);
    let pointer = repo.read_string("data/images.kiln");
    assert_eq!(
        pointer_field(&pointer, "files").as_deref(),
        Some("3"),
        "{pointer}"
    );
}

#[test]
fn the_same_file_changed_on_both_branches_is_a_conflict_naming_it() {
    let repo = folder_on_main();
    repo.git(["checkout", "-q", "-b", "feature"]);
    change(
        &repo,
        &[("a.txt", Some("theirs")), ("d.txt", Some("d2"))],
        "feature",
    );
    repo.git(["checkout", "-q", "main"]);
    change(
        &repo,
        &[("a.txt", Some("ours")), ("b.txt", Some("b3"))],
        "main",
    );
    let (ok, out) = repo.git_try(&["merge", "-q", "--no-edit", "feature"]);
    assert!(!ok, "a conflicting merge went through:\n{out}");
    assert!(
        out.contains("CONFLICT (kiln): data/images: changed on both branches: a.txt"),
        "{out}"
    );
    let text = repo.read_string("data/images.kiln");
    assert!(text.starts_with("<<<<<<< ours"), "{text}");
    // Both sides' merged folders are stored: keep theirs, check it out.
    let theirs: String = text
        .split("=======\n")
        .nth(1)
        .unwrap()
        .split(">>>>>>>")
        .next()
        .unwrap()
        .to_string();
    repo.write("data/images.kiln", &theirs);
    repo.kiln(["checkout", "data/images"]).ok();
    assert_eq!(repo.read_string("data/images/a.txt"), "theirs");
    // The changes that did not conflict are in either side's version.
    assert_eq!(repo.read_string("data/images/b.txt"), "b3");
    assert_eq!(repo.read_string("data/images/d.txt"), "d2");
}

#[test]
fn a_file_changed_on_both_branches_and_missing_trees_are_reported() {
    let repo = Repo::new();
    repo.kiln(["hooks", "install"]).ok();
    repo.write("data/t.csv", "a\n1\n");
    repo.kiln(["add", "data/t.csv"]).ok();
    repo.commit("t");
    repo.git(["checkout", "-q", "-b", "feature"]);
    repo.write("data/t.csv", "a\n2\n");
    repo.kiln(["add", "data/t.csv"]).ok();
    repo.commit("theirs");
    repo.git(["checkout", "-q", "main"]);
    repo.write("data/t.csv", "a\n3\n");
    repo.kiln(["add", "data/t.csv"]).ok();
    repo.commit("ours");
    let (ok, out) = repo.git_try(&["merge", "-q", "--no-edit", "feature"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("CONFLICT (kiln): data/t.csv: changed on both branches: data/t.csv"),
        "{out}"
    );
    repo.git(["merge", "--abort"]);

    // Folders whose trees this store lacks: one clear error, nothing written.
    let pointer = |id: &str| format!("kiln: 1\nkind: dir\nid: {id}\nsize: 1\nfiles: 1\n");
    let (o, a, b) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
    repo.write("o.kiln", pointer(&o));
    repo.write("a.kiln", pointer(&a));
    repo.write("b.kiln", pointer(&b));
    let run = repo
        .kiln(["merge-driver", "o.kiln", "a.kiln", "b.kiln", "data/x.kiln"])
        .fails();
    assert!(run.stderr.contains("data/x"), "{}", run.stderr);
    assert!(run.stderr.contains("kiln fetch"), "{}", run.stderr);
    assert_eq!(repo.read_string("a.kiln"), pointer(&a));
}
