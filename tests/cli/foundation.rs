//! The store, pointers and workspace: add, status, checkout, diff, gc, fsck.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::{Repo, pointer_field};

fn id_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

#[test]
fn add_a_file_writes_pointer_object_and_gitignore() {
    let repo = Repo::new();
    repo.write("data/train.csv", "a,b\n1,2\n");
    repo.kiln(["add", "data/train.csv"]).ok();
    let pointer = repo.read_string("data/train.csv.kiln");
    let id = id_of(b"a,b\n1,2\n");
    assert_eq!(pointer_field(&pointer, "id").as_deref(), Some(id.as_str()));
    assert_eq!(pointer_field(&pointer, "size").as_deref(), Some("8"));
    assert_eq!(pointer_field(&pointer, "kind").as_deref(), Some("file"));
    assert!(repo.object_path(&id).is_file());
    assert_eq!(fs::read(repo.object_path(&id)).unwrap(), b"a,b\n1,2\n");
    assert!(
        repo.read_string("data/.gitignore")
            .lines()
            .any(|l| l == "/train.csv")
    );
    // git now sees only the pointer and the .gitignore.
    let status = repo.git(["status", "--porcelain", "--untracked-files=all"]);
    assert!(!status.contains("data/train.csv\n"), "{status}");
    assert!(status.contains("data/train.csv.kiln"), "{status}");
}

#[test]
fn add_a_folder_id_does_not_depend_on_creation_order() {
    let a = Repo::new();
    let b = Repo::new();
    for i in 0..20 {
        a.write(&format!("d/sub{}/f{i}.txt", i % 3), format!("file {i}"));
    }
    for i in (0..20).rev() {
        b.write(&format!("d/sub{}/f{i}.txt", i % 3), format!("file {i}"));
    }
    a.kiln(["add", "d"]).ok();
    b.kiln(["add", "d"]).ok();
    let (pa, pb) = (a.read_string("d.kiln"), b.read_string("d.kiln"));
    assert_eq!(pointer_field(&pa, "id"), pointer_field(&pb, "id"));
    assert_eq!(pointer_field(&pa, "files").as_deref(), Some("20"));
    let size: usize = (0..20).map(|i| format!("file {i}").len()).sum();
    assert_eq!(pointer_field(&pa, "size"), Some(size.to_string()));
    assert_eq!(pointer_field(&pa, "kind").as_deref(), Some("dir"));
}

#[test]
fn re_adding_unchanged_data_hashes_nothing_and_rewrites_nothing() {
    let repo = Repo::new();
    for i in 0..10 {
        repo.write(&format!("d/f{i}"), format!("{i}"));
    }
    repo.kiln(["add", "d"]).ok();
    let before = repo.read("d.kiln");
    let mtime = fs::metadata(repo.path("d.kiln"))
        .unwrap()
        .modified()
        .unwrap();
    let run = repo.kiln(["-v", "add", "d"]).ok();
    assert!(run.stderr.contains("hashed 0 files"), "{}", run.stderr);
    assert!(
        run.stderr.contains("10 unchanged by the stat cache"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.read("d.kiln"), before);
    assert_eq!(
        fs::metadata(repo.path("d.kiln"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime
    );
}

#[test]
fn granular_status_and_re_add_hash_only_the_changes() {
    let repo = Repo::new();
    for i in 0..5 {
        repo.write(&format!("d/f{i}"), format!("{i}"));
    }
    repo.kiln(["add", "d"]).ok();
    repo.kiln(["status", "--quiet"]).ok();
    repo.write("d/f1", "changed");
    repo.write("d/new", "new");
    repo.remove("d/f2");
    let run = repo.kiln(["status", "--granular", "--json"]).ok();
    let v = run.json();
    assert_eq!(v[0]["workspace"], "modified");
    assert_eq!(v[0]["changes"]["added"], serde_json::json!(["new"]));
    assert_eq!(v[0]["changes"]["modified"], serde_json::json!(["f1"]));
    assert_eq!(v[0]["changes"]["deleted"], serde_json::json!(["f2"]));
    let human = repo.kiln(["status", "--granular"]).ok();
    assert!(human.stdout.contains("added:    d/new"), "{}", human.stdout);
    repo.kiln(["status", "--quiet"]).code(1);
    let run = repo.kiln(["-v", "add", "d"]).ok();
    // The two changed files are hashed; the three others come from the stat cache.
    assert!(run.stderr.contains("hashed 2 files"), "{}", run.stderr);
    assert!(
        run.stderr.contains("3 unchanged by the stat cache"),
        "{}",
        run.stderr
    );
    repo.kiln(["status", "--quiet"]).ok();
}

#[test]
fn odd_files_round_trip() {
    let repo = Repo::new();
    repo.write("d/empty", "");
    repo.write("d/ünïcødé ✓.txt", "unicode");
    repo.write("d/with space/a b.csv", "spaces");
    repo.write("d/a/b/c/d/e/f/g/deep.txt", "deep");
    repo.write("d/run.sh", "#!/bin/sh\necho hi\n");
    fs::set_permissions(repo.path("d/run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir_all(repo.path("d/empty-folder/inner")).unwrap();
    repo.kiln(["add", "d"]).ok();
    let first = repo.read_string("d.kiln");
    assert_eq!(pointer_field(&first, "files").as_deref(), Some("5"));
    repo.remove("d");
    repo.kiln(["checkout"]).ok();
    assert_eq!(repo.read("d/empty"), b"");
    assert_eq!(repo.read_string("d/ünïcødé ✓.txt"), "unicode");
    assert_eq!(repo.read_string("d/with space/a b.csv"), "spaces");
    assert_eq!(repo.read_string("d/a/b/c/d/e/f/g/deep.txt"), "deep");
    assert!(repo.path("d/empty-folder/inner").is_dir());
    let mode = fs::metadata(repo.path("d/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "executable bit lost: {mode:o}");
    repo.kiln(["status", "--quiet"]).ok();
    // The executable bit is part of the content.
    fs::set_permissions(repo.path("d/run.sh"), fs::Permissions::from_mode(0o644)).unwrap();
    repo.kiln(["status", "--quiet"]).code(1);
}

#[test]
fn checkout_restores_each_committed_version_exactly() {
    let repo = Repo::new();
    repo.write("d/keep", "same");
    repo.write("d/change", "v1");
    repo.kiln(["add", "d"]).ok();
    let v1 = repo.commit("data v1");
    repo.write("d/change", "v2");
    repo.write("d/only-v2/new", "v2 only");
    repo.kiln(["add", "d"]).ok();
    repo.commit("data v2");
    repo.git(["checkout", "-q", &v1]);
    let run = repo.kiln(["checkout"]).ok();
    assert!(run.stderr.contains("deleted"), "{}", run.stderr);
    assert_eq!(repo.read_string("d/change"), "v1");
    assert_eq!(repo.read_string("d/keep"), "same");
    assert!(!repo.exists("d/only-v2/new"));
    assert!(!repo.exists("d/only-v2"));
    repo.git(["checkout", "-q", "main"]);
    repo.kiln(["checkout"]).ok();
    assert_eq!(repo.read_string("d/change"), "v2");
    assert_eq!(repo.read_string("d/only-v2/new"), "v2 only");
}

#[test]
fn checkout_refuses_to_clobber_unsaved_edits_unless_forced() {
    let repo = Repo::new();
    repo.write("d/f", "committed");
    repo.write("d/g", "other");
    repo.kiln(["add", "d"]).ok();
    repo.commit("v1");
    repo.write("d/f", "precious edit");
    repo.write("d/extra", "precious new file");
    let run = repo.kiln(["checkout"]).code(1);
    assert!(run.stderr.contains("kept d/f"), "{}", run.stderr);
    assert_eq!(repo.read_string("d/f"), "precious edit");
    assert_eq!(repo.read_string("d/extra"), "precious new file");
    repo.kiln(["checkout", "--force"]).ok();
    assert_eq!(repo.read_string("d/f"), "committed");
    assert!(!repo.exists("d/extra"));
}

#[test]
fn checkout_with_a_missing_object_applies_the_rest() {
    let repo = Repo::new();
    repo.write("d/a", "aaa");
    repo.write("d/b", "bbb");
    repo.write("single", "single");
    repo.kiln(["add", "d", "single"]).ok();
    repo.remove("d");
    repo.remove("single");
    let lost = id_of(b"bbb");
    let obj = repo.object_path(&lost);
    fs::remove_file(&obj).unwrap();
    let run = repo.kiln(["checkout"]).code(1);
    assert!(
        run.stderr.contains("missing from the store: d/b"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.read_string("d/a"), "aaa");
    assert_eq!(repo.read_string("single"), "single");
    assert!(!repo.exists("d/b"));
}

fn with_links(repo: &Repo, modes: &str) {
    let path = repo.path(".kiln/config.toml");
    let text = fs::read_to_string(&path).unwrap().replace(
        r#"link = ["reflink", "copy"]"#,
        &format!("link = [{modes}]"),
    );
    fs::write(path, text).unwrap();
}

#[test]
fn each_link_mode_checks_out_and_protects_the_store() {
    for mode in [
        "\"reflink\", \"copy\"",
        "\"copy\"",
        "\"hardlink\"",
        "\"symlink\"",
    ] {
        let repo = Repo::new();
        with_links(&repo, mode);
        repo.write("d/f", "content");
        repo.kiln(["add", "d"]).ok();
        repo.remove("d");
        repo.kiln(["checkout"]).ok();
        assert_eq!(repo.read_string("d/f"), "content", "{mode}");
        repo.kiln(["status", "--quiet"]).ok();
        let obj = repo.object_path(&id_of(b"content"));
        let link_meta = fs::symlink_metadata(repo.path("d/f")).unwrap();
        match mode {
            "\"hardlink\"" => {
                use std::os::unix::fs::MetadataExt;
                assert_eq!(link_meta.ino(), fs::metadata(&obj).unwrap().ino());
            }
            "\"symlink\"" => assert!(link_meta.file_type().is_symlink()),
            _ => assert!(link_meta.file_type().is_file()),
        }
        // Linked files are read-only, so an edit through them cannot reach
        // the store. Root ignores permissions, so only the bits are checked there.
        if matches!(mode, "\"hardlink\"" | "\"symlink\"") {
            let meta = fs::metadata(repo.path("d/f")).unwrap();
            assert_eq!(
                meta.permissions().mode() & 0o222,
                0,
                "{mode}: linked file is writable"
            );
            if !crate::support::is_root() {
                assert!(
                    fs::OpenOptions::new()
                        .write(true)
                        .open(repo.path("d/f"))
                        .is_err()
                );
            }
        }
        assert_eq!(
            fs::read(&obj).unwrap(),
            b"content",
            "{mode}: store object changed"
        );
        if matches!(mode, "\"hardlink\"" | "\"symlink\"") {
            repo.kiln(["unprotect", "d"]).ok();
            let meta = fs::symlink_metadata(repo.path("d/f")).unwrap();
            assert!(
                meta.is_file() && meta.permissions().mode() & 0o200 != 0,
                "{mode}: not unprotected"
            );
            fs::write(repo.path("d/f"), "edited in place").unwrap();
            assert_eq!(
                fs::read(&obj).unwrap(),
                b"content",
                "{mode}: store object changed"
            );
        }
        // Replacing the file (as editors do) is the supported way to edit.
        repo.write("d/f", "edited");
        repo.kiln(["add", "d"]).ok();
        assert_eq!(fs::read(&obj).unwrap(), b"content");
        assert_eq!(repo.read_string("d/f"), "edited");
    }
}

#[test]
fn diff_between_commits_lists_file_changes() {
    let repo = Repo::new();
    repo.write("d/same", "1");
    repo.write("d/mod", "1");
    repo.write("d/gone", "1");
    repo.kiln(["add", "d"]).ok();
    let a = repo.commit("a");
    repo.write("d/mod", "2");
    repo.remove("d/gone");
    repo.write("d/new/file", "n");
    repo.kiln(["add", "d"]).ok();
    let b = repo.commit("b");
    let v = repo.kiln(["diff", &a, &b, "--json"]).ok().json();
    assert_eq!(v[0]["path"], "d");
    assert_eq!(v[0]["change"], "modified");
    assert_eq!(v[0]["files"]["added"], serde_json::json!(["new/file"]));
    assert_eq!(v[0]["files"]["deleted"], serde_json::json!(["gone"]));
    assert_eq!(v[0]["files"]["modified"], serde_json::json!(["mod"]));
    // Against the workspace.
    repo.write("d/same", "edited");
    let v = repo.kiln(["diff", "--json"]).ok().json();
    assert_eq!(v[0]["files"]["modified"], serde_json::json!(["same"]));
    let human = repo.kiln(["diff", &a, &b]).ok();
    assert!(human.stdout.contains("+ d/new/file"), "{}", human.stdout);
}

#[test]
fn gc_keeps_exactly_what_its_scope_references() {
    let repo = Repo::new();
    repo.write("f", "v1");
    repo.kiln(["add", "f"]).ok();
    repo.commit("v1");
    repo.git(["checkout", "-q", "-b", "side"]);
    repo.write("f", "v2-side");
    repo.kiln(["add", "f"]).ok();
    repo.commit("side");
    repo.git(["checkout", "-q", "main"]);
    repo.kiln(["checkout"]).ok();
    repo.write("f", "v3");
    repo.kiln(["add", "f"]).ok();
    repo.commit("v3");
    repo.write("f", "v4-uncommitted");
    repo.kiln(["add", "f"]).ok();
    let (v1, v2, v3, v4) = (
        id_of(b"v1"),
        id_of(b"v2-side"),
        id_of(b"v3"),
        id_of(b"v4-uncommitted"),
    );
    assert_eq!(repo.store_objects().len(), 4);

    let dry = repo
        .kiln(["gc", "--workspace", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(dry["removed"], 3);
    assert_eq!(repo.store_objects().len(), 4);

    repo.kiln(["gc", "--all-commits"]).ok();
    assert_eq!(repo.store_objects().len(), 4);
    repo.git(["branch", "-D", "side"]);
    repo.kiln(["gc", "--all-commits"]).ok();
    assert_eq!(
        repo.store_objects(),
        sorted(vec![v1.clone(), v3.clone(), v4.clone()])
    );
    repo.kiln(["gc", "--all-branches"]).ok();
    assert_eq!(repo.store_objects(), sorted(vec![v3.clone(), v4.clone()]));
    // What an add stopped before publishing left beside the objects goes too.
    let leftover = repo.path(&format!(".kiln/cache/objects/{}/.tmpAbC123", &v4[..2]));
    fs::write(&leftover, "staged, never published").unwrap();
    let v = repo.kiln(["gc", "--workspace", "--json"]).ok().json();
    assert_eq!(v["removed"], 1);
    assert!(!leftover.exists());
    assert_eq!(repo.store_objects(), vec![v4]);
    let _ = v2;
    repo.kiln(["gc"]).code(2);
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn fsck_quarantines_a_corrupt_object_and_checkout_refuses_it() {
    let repo = Repo::new();
    repo.write("d/a", "good bytes");
    repo.write("d/b", "other");
    repo.kiln(["add", "d"]).ok();
    let id = id_of(b"good bytes");
    let obj = repo.object_path(&id);
    fs::set_permissions(&obj, fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(&obj, "gooD bytes").unwrap();
    repo.remove("d");
    // A corrupt object is refused even before fsck finds it.
    let run = repo.kiln(["checkout"]).fails();
    assert!(run.stderr.contains("corrupt"), "{}", run.stderr);
    let v = repo.kiln(["fsck", "--json"]).code(1).json();
    assert_eq!(v["corrupt"][0]["id"], id);
    assert!(!obj.exists());
    assert!(repo.path(&format!(".kiln/cache/quarantine/{id}")).is_file());
    let run = repo.kiln(["checkout"]).code(1);
    assert!(
        run.stderr.contains("missing from the store: d/a"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.read_string("d/b"), "other");
    repo.kiln(["fsck"]).ok();
}

/// Large objects are verified on their own path (hashed on every core,
/// then copied by the kernel): a corrupt one is refused all the same.
#[test]
fn a_corrupt_large_object_is_never_checked_out() {
    let repo = Repo::new();
    let mut bytes = vec![7u8; 9 << 20];
    repo.write("big", &bytes);
    repo.kiln(["add", "big"]).ok();
    let obj = repo.object_path(&id_of(&bytes));
    fs::set_permissions(&obj, fs::Permissions::from_mode(0o644)).unwrap();
    bytes[5 << 20] = 8;
    fs::write(&obj, &bytes).unwrap();
    repo.remove("big");
    let run = repo.kiln(["checkout"]).fails();
    assert!(run.stderr.contains("corrupt"), "{}", run.stderr);
    assert!(!repo.exists("big"));
}

#[test]
fn concurrent_adds_both_finish_and_the_store_stays_consistent() {
    let repo = Repo::new();
    for i in 0..200 {
        repo.write(&format!("a/f{i}"), format!("a{i}").repeat(100));
        repo.write(&format!("b/f{i}"), format!("b{i}").repeat(100));
    }
    let mut one = repo.kiln_command(["add", "a"]).spawn().unwrap();
    let mut two = repo.kiln_command(["add", "b"]).spawn().unwrap();
    assert!(one.wait().unwrap().success());
    assert!(two.wait().unwrap().success());
    repo.kiln(["status", "--quiet"]).ok();
    repo.kiln(["fsck"]).ok();
    assert_eq!(repo.store_objects().len(), 400 + 2);
}

#[test]
fn a_second_writer_waits_then_gives_up() {
    let repo = Repo::new();
    repo.write("f", "x");
    let lock = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(repo.path(".kiln/lock"))
        .unwrap();
    lock.lock().unwrap();
    let run = repo.kiln(["--wait", "1", "add", "f"]).fails();
    assert!(
        run.stderr.contains("waiting for another kiln process"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("another kiln process is writing"),
        "{}",
        run.stderr
    );
    // Readers do not wait.
    repo.kiln(["status"]).ok();
    drop(lock);
    repo.kiln(["add", "f"]).ok();
}

#[test]
fn broken_pointers_give_one_line_errors_and_change_nothing() {
    let cases = [
        (
            "kiln: 1\nkind: file\nid: [unclosed\n",
            "not a valid pointer",
        ),
        (
            "kiln: 99\nkind: file\nid: x\nsize: 1\n",
            "newer than this kiln",
        ),
        (
            "kiln: 1\nkind: file\nid: 0000000000000000000000000000000000000000000000000000000000000000\nsize: 1\nschema: ../outside.yaml\n",
            "..",
        ),
        (
            "kiln: 1\nkind: file\nid: 0000000000000000000000000000000000000000000000000000000000000000\nsize: 1\nschema: /etc/passwd\n",
            "relative path",
        ),
        (
            "kiln: 1\nkind: file\nid: nothex\nsize: 1\n",
            "not an object id",
        ),
    ];
    for (text, expect) in cases {
        let repo = Repo::new();
        repo.write("good", "good");
        repo.kiln(["add", "good"]).ok();
        repo.write("bad.kiln", text);
        let before = repo.store_objects();
        for cmd in [&["status"][..], &["checkout"][..]] {
            let run = repo.kiln(cmd).fails();
            assert!(run.stderr.contains("bad.kiln"), "{}", run.stderr);
            assert!(run.stderr.contains(expect), "{expect}: {}", run.stderr);
        }
        assert_eq!(repo.store_objects(), before);
        assert_eq!(repo.read_string("good"), "good");
    }
}

/// Stores `body` in the store as a tree object under its own id, as a
/// hostile clone or remote could; returns the id.
fn forge_tree(repo: &Repo, body: &str) -> String {
    let id = blake3::Hasher::new_derive_key("kiln 2026-11 tree v1")
        .update(body.as_bytes())
        .finalize()
        .to_hex()
        .to_string();
    let path = repo.object_path(&id);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, body).unwrap();
    id
}

#[test]
fn a_tree_with_a_dotdot_name_is_refused() {
    let repo = Repo::new();
    repo.write("d/f", "x");
    repo.kiln(["add", "d"]).ok();
    // Forge a tree naming `..`, store it under its own id, and point at it.
    let tree_id = forge_tree(&repo, &format!("kiln tree 1\nf {} 1 ..\0", id_of(b"x")));
    let text = repo.read_string("d.kiln");
    let old = pointer_field(&text, "id").unwrap();
    repo.write("d.kiln", text.replace(&old, &tree_id));
    repo.remove("d");
    let run = repo.kiln(["checkout"]).fails();
    assert!(
        run.stderr.contains("not a valid file name"),
        "{}",
        run.stderr
    );
    assert!(!repo.exists("x"));
}

/// A tree has one encoding: the same entries written another way (`+1`,
/// `01`, an upper-case id) would be the same tree under another id.
#[test]
fn a_tree_in_a_non_canonical_encoding_is_refused() {
    for size in ["+1", "01"] {
        let repo = Repo::new();
        let tree_id = forge_tree(&repo, &format!("kiln tree 1\nf {} {size} f\0", id_of(b"x")));
        repo.write(
            "d.kiln",
            format!("kiln: 1\nkind: dir\nid: {tree_id}\nsize: 1\nfiles: 1\n"),
        );
        let run = repo.kiln(["checkout"]).fails();
        assert!(run.stderr.contains("canonical"), "{size}: {}", run.stderr);
    }
}

#[test]
fn add_refuses_bad_paths() {
    let repo = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "s").unwrap();
    let run = repo
        .kiln(["add", outside.path().join("secret").to_str().unwrap()])
        .fails();
    assert!(
        run.stderr.contains("outside the repository"),
        "{}",
        run.stderr
    );
    repo.kiln(["add", "../x"]).fails();
    let run = repo.kiln(["add", ".git"]).fails();
    assert!(run.stderr.contains("own folders"), "{}", run.stderr);
    repo.kiln(["add", ".kiln"]).fails();
    repo.kiln(["add", "nope"]).fails();
    repo.write("d/inner/f", "x");
    repo.kiln(["add", "d"]).ok();
    // A path inside a tracked folder adds that folder.
    repo.write("d/inner/g", "y");
    let run = repo.kiln(["add", "d/inner/g", "--json"]).ok().json();
    assert_eq!(run[0]["path"], "d", "{run}");
    assert_eq!(run[0]["pointer"]["files"], 2, "{run}");
    repo.write("code.py", "print()");
    repo.git(["add", "code.py"]);
    let run = repo.kiln(["add", "code.py"]).fails();
    assert!(run.stderr.contains("git already tracks"), "{}", run.stderr);
}

#[test]
fn a_symlink_leading_outside_is_refused_not_followed() {
    let repo = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret"), "s").unwrap();
    repo.write("d/ok", "ok");
    std::os::unix::fs::symlink(outside.path().join("secret"), repo.path("d/link")).unwrap();
    let run = repo.kiln(["add", "d"]).fails();
    assert!(run.stderr.contains("d/link"), "{}", run.stderr);
    assert!(
        run.stderr.contains("outside the repository"),
        "{}",
        run.stderr
    );
    assert!(!repo.exists("d.kiln"));
    // A symlink inside the repository is followed.
    fs::remove_file(repo.path("d/link")).unwrap();
    repo.write("elsewhere", "inside");
    std::os::unix::fs::symlink(repo.path("elsewhere"), repo.path("d/link")).unwrap();
    repo.kiln(["add", "d"]).ok();
}

#[test]
fn checkout_never_writes_through_a_symlinked_folder() {
    let repo = Repo::new();
    repo.write("d/sub/f", "x");
    repo.kiln(["add", "d"]).ok();
    repo.remove("d");
    let outside = tempfile::tempdir().unwrap();
    fs::create_dir_all(repo.path("d")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path("d/sub")).unwrap();
    repo.kiln(["checkout", "--force"]).fails();
    assert!(!outside.path().join("f").exists());
}

#[test]
fn kilnignore_is_honoured() {
    let repo = Repo::new();
    repo.write("d/.kilnignore", "*.tmp\nscratch/\n");
    repo.write("d/keep.csv", "k");
    repo.write("d/skip.tmp", "s");
    repo.write("d/scratch/big", "b");
    repo.kiln(["add", "d"]).ok();
    assert_eq!(
        pointer_field(&repo.read_string("d.kiln"), "files").as_deref(),
        Some("2")
    );
    repo.write("d/other.tmp", "still ignored");
    repo.kiln(["status", "--quiet"]).ok();
    repo.kiln(["checkout"]).ok();
    assert!(repo.exists("d/skip.tmp"));
}

#[test]
fn commands_work_from_a_subfolder_and_init_twice_is_refused() {
    let repo = Repo::new();
    let run = repo.kiln(["init"]).fails();
    assert!(run.stderr.contains("already"), "{}", run.stderr);
    repo.kiln(["init", "--force"]).ok();
    repo.write("data/sub/f", "x");
    repo.kiln(["-C", "data/sub", "add", "f"]).ok();
    assert!(repo.exists("data/sub/f.kiln"));
    repo.kiln(["-C", "data", "status", "--quiet"]).ok();
    let plain = tempfile::tempdir().unwrap();
    let run = repo
        .kiln(["-C", plain.path().to_str().unwrap(), "init"])
        .fails();
    assert!(run.stderr.contains("git"), "{}", run.stderr);
    repo.kiln(["-C", plain.path().to_str().unwrap(), "init", "--no-scm"])
        .ok();
}

#[test]
fn init_writes_config_and_gitignore() {
    let repo = Repo::new();
    let ignore = repo.read_string(".kiln/.gitignore");
    for entry in ["/cache/", "/state/", "/tmp/", "/lock", "/config.local.toml"] {
        assert!(
            ignore.lines().any(|l| l == entry),
            "{entry} not in {ignore}"
        );
    }
    assert!(repo.read_string(".kiln/config.toml").contains("format = 1"));
    assert!(repo.exists(".kiln/cache/CACHEDIR.TAG"));
}

#[test]
fn checkout_switches_between_a_file_and_a_folder_of_one_name() {
    let repo = Repo::new();
    repo.write("d/x", "file x");
    repo.write("d/y", "y");
    repo.kiln(["add", "d"]).ok();
    let v1 = repo.commit("x is a file");
    repo.remove("d/x");
    repo.write("d/x/inner", "now a folder");
    repo.kiln(["add", "d"]).ok();
    repo.commit("x is a folder");
    repo.git(["checkout", "-q", &v1]);
    repo.kiln(["checkout"]).ok();
    assert_eq!(repo.read_string("d/x"), "file x");
    repo.git(["checkout", "-q", "main"]);
    repo.kiln(["checkout"]).ok();
    assert_eq!(repo.read_string("d/x/inner"), "now a folder");
    // An unsaved file where a folder must go is kept and blocks only that folder.
    repo.git(["checkout", "-q", &v1]);
    repo.kiln(["checkout"]).ok();
    repo.write("d/x", "unsaved");
    repo.write("d/y", "y");
    repo.git(["checkout", "-q", "main"]);
    let run = repo.kiln(["checkout"]).code(1);
    assert!(run.stderr.contains("kept d/x"), "{}", run.stderr);
    assert_eq!(repo.read_string("d/x"), "unsaved");
}

#[test]
fn debris_left_in_tmp_by_a_killed_writer_is_swept() {
    let repo = Repo::new();
    repo.write(".kiln/tmp/.kiln-old", "left by kill -9");
    repo.write(".kiln/tmp/.kiln-new", "being written right now");
    let old = repo.path(".kiln/tmp/.kiln-old");
    let touched = std::process::Command::new("touch")
        .args(["-d", "1 hour ago"])
        .arg(&old)
        .status()
        .unwrap();
    assert!(touched.success());
    repo.write("f", "x");
    repo.kiln(["add", "f"]).ok();
    assert!(!old.exists());
    assert!(repo.exists(".kiln/tmp/.kiln-new"));
}

#[test]
fn large_files_in_copy_mode_keep_an_independent_writable_copy() {
    use std::os::unix::fs::MetadataExt;
    // Above 8 MiB, copy mode moves the file's own inode into the store and
    // writes the workspace a copy: the copy must look like the original and
    // share nothing with the object.
    let repo = Repo::new();
    with_links(&repo, "\"copy\"");
    let big: Vec<u8> = (0..9u32 << 20).map(|i| (i % 251) as u8).collect();
    repo.write("d/big.bin", &big);
    repo.write("d/tool.bin", &big[..(8 << 20) + 1]);
    fs::set_permissions(repo.path("d/big.bin"), fs::Permissions::from_mode(0o640)).unwrap();
    fs::set_permissions(repo.path("d/tool.bin"), fs::Permissions::from_mode(0o755)).unwrap();
    let before = fs::metadata(repo.path("d/big.bin")).unwrap();
    repo.kiln(["add", "d"]).ok();

    let after = fs::metadata(repo.path("d/big.bin")).unwrap();
    let obj = repo.object_path(&id_of(&big));
    let object = fs::metadata(&obj).unwrap();
    assert_eq!(object.ino(), before.ino(), "the inode became the object");
    assert_ne!(after.ino(), object.ino(), "the workspace has its own copy");
    assert_eq!(object.mode() & 0o777, 0o444);
    assert_eq!(after.mode() & 0o777, 0o640);
    assert_eq!(
        fs::metadata(repo.path("d/tool.bin")).unwrap().mode() & 0o777,
        0o755
    );
    assert_eq!(after.modified().unwrap(), before.modified().unwrap());
    assert_eq!(repo.read("d/big.bin"), big);

    // Known to the stat cache, and editing the copy leaves the object alone.
    repo.kiln(["status", "--quiet"]).ok();
    let run = repo.kiln(["-v", "add", "d"]).ok();
    assert!(run.stderr.contains("hashed 0 files"), "{}", run.stderr);
    fs::write(repo.path("d/big.bin"), "edited").unwrap();
    assert_eq!(fs::read(&obj).unwrap(), big);
    repo.kiln(["status", "--quiet"]).code(1);
    repo.kiln(["checkout", "--force"]).ok();
    assert_eq!(repo.read("d/big.bin"), big);
}

#[test]
fn completions_and_the_man_page_come_from_the_command_definitions() {
    let repo = Repo::git_only();
    for (shell, mark) in [
        ("bash", "_kiln()"),
        ("zsh", "#compdef kiln"),
        ("fish", "complete -c kiln"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = repo.kiln(["completions", shell]).ok().stdout;
        assert!(script.contains(mark), "{shell}: {script}");
        // Every command completes, the newest included.
        assert!(
            script.contains("check") && script.contains("completions"),
            "{shell}"
        );
    }
    let man = repo.kiln(["man"]).ok().stdout;
    assert!(man.starts_with(".ie") || man.contains(".TH kiln"), "{man}");
    assert!(
        man.contains("checkout") && man.contains("Version, validate and trace"),
        "{man}"
    );
    repo.kiln(["completions", "tcsh"]).code(2);
}
