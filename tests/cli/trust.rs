//! Trust: a cloned repository, a remote or an environment can make kiln
//! refuse, never delete, overwrite, execute, leak or panic.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::support::{Repo, Run};

/// Every file below `dir` with its bytes, except kiln's own derived state,
/// which a refused command may still have touched (its lock, logs).
fn snapshot(dir: &Path) -> BTreeMap<String, (u32, Vec<u8>)> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
        if [".kiln/state", ".kiln/tmp", ".kiln/lock"]
            .iter()
            .any(|p| rel.contains(p))
        {
            continue;
        }
        let meta = e.path().symlink_metadata().unwrap();
        let bytes = if meta.is_file() {
            fs::read(e.path()).unwrap()
        } else {
            Vec::new()
        };
        out.insert(rel, (meta.mode(), bytes));
    }
    out
}

/// A repository inside a folder that also holds a bystander file and a
/// folder remote, so a path that escapes the repository has something to
/// hit: a tracked file and a tracked folder whose tree holds `hooks/…`.
fn hostile_setup() -> (Repo, tempfile::TempDir) {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("bystander.txt"), "not kiln's\n").unwrap();
    let repo = Repo::new();
    repo.write("data/a.csv", "a,b\n1,2\n");
    repo.write(
        "payload/hooks/post-checkout",
        "#!/bin/sh\necho owned > /tmp/owned\n",
    );
    repo.kiln(["add", "data/a.csv", "payload"]).ok();
    let remote = outside.path().join("remote");
    repo.kiln([
        "remote",
        "add",
        "origin",
        remote.to_str().unwrap(),
        "--default",
    ])
    .ok();
    repo.kiln(["push"]).ok();
    (repo, outside)
}

/// Commands that read pointers, each of which must refuse a hostile one.
const COMMANDS: &[&[&str]] = &[
    &["status"],
    &["checkout"],
    &["checkout", "--force"],
    &["pull"],
    &["pull", "--force"],
    &["fetch"],
    &["push"],
    &["gc", "--workspace"],
    &["diff"],
    &["check"],
    &["lineage", "data/a.csv"],
    &["hooks", "run", "post-checkout", "x", "y", "1"],
    &["hooks", "run", "post-merge", "0"],
];

#[test]
fn pointers_that_track_unsafe_paths_are_refused_by_every_command() {
    // Each pointer's name or place makes it track a path outside the work
    // tree or inside git's or kiln's own folders.
    let hostile = [
        ("...kiln", "payload.kiln"),
        ("..kiln", "payload.kiln"),
        ("data/...kiln", "payload.kiln"),
        ("data/..kiln", "data/a.csv.kiln"),
        (".kiln.kiln", "payload.kiln"),
        (".git.kiln", "payload.kiln"),
        (".GIT.kiln", "payload.kiln"),
        ("data/.git.kiln", "payload.kiln"),
        (".kiln/cache.kiln", "payload.kiln"),
    ];
    for (name, like) in hostile {
        let (repo, outside) = hostile_setup();
        let text = repo.read_string(like);
        if name.starts_with(".kiln/") {
            // kiln never reads pointers inside its own folder: nothing to refuse.
            continue;
        }
        repo.write(name, &text);
        repo.commit("hostile");
        let before = (snapshot(repo.root()), snapshot(outside.path()));
        for args in COMMANDS {
            let run = repo.kiln(*args);
            let shown = format!("{name} with {args:?}: {}{}", run.stdout, run.stderr);
            let run = run.fails();
            assert!(run.stderr.contains(name), "names the pointer: {shown}");
            assert!(run.stderr.contains("refuses"), "{shown}");
            assert_eq!(
                (snapshot(repo.root()), snapshot(outside.path())),
                before,
                "nothing changed: {shown}"
            );
        }
        assert!(!Path::new(&repo.path(".git/hooks/post-checkout")).exists());
    }
    // The pre-commit gate judges what is staged.
    let (repo, _outside) = hostile_setup();
    repo.write(".git.kiln", repo.read_string("payload.kiln"));
    repo.git(["add", ".git.kiln"]);
    let run = repo.kiln(["hooks", "run", "pre-commit"]).fails();
    assert!(run.stderr.contains(".git.kiln"), "{}", run.stderr);
}

#[test]
fn hostile_pointers_in_history_are_refused_too() {
    let (repo, outside) = hostile_setup();
    // Bytes of its own, so that no walk that reads each blob once sees it
    // only under the harmless name.
    let text = repo
        .read_string("payload.kiln")
        .replace("kiln: 1\n", "kiln: 1\n# hostile\n");
    repo.write(".git.kiln", &text);
    repo.commit("hostile");
    repo.remove(".git.kiln");
    repo.commit("gone again");
    let before = (snapshot(repo.root()), snapshot(outside.path()));
    for args in [
        &["gc", "--all-commits"][..],
        &["diff", "HEAD~1"],
        &["lineage", "data/a.csv"],
    ] {
        let run = repo.kiln(args).fails();
        assert!(run.stderr.contains(".git.kiln"), "{args:?}: {}", run.stderr);
    }
    assert_eq!((snapshot(repo.root()), snapshot(outside.path())), before);
}

/// A schema path in a pointer or a binding is read: it passes the gate too.
#[test]
fn schema_paths_outside_the_repository_are_refused() {
    let repo = Repo::new();
    repo.write("data/a.csv", "a\n1\n");
    repo.kiln(["add", "data/a.csv"]).ok();
    let text = repo.read_string("data/a.csv.kiln") + "schema: ../../etc/passwd\n";
    repo.write("data/a.csv.kiln", text);
    let run = repo.kiln(["check"]).fails();
    assert!(run.stderr.contains("data/a.csv.kiln"), "{}", run.stderr);
    assert!(!run.stderr.contains("root:"), "{}", run.stderr);

    let repo = Repo::new();
    let mut config = repo.read_string(".kiln/config.toml");
    config += "\n[[check]]\npath = \"data/*.csv\"\nschema = \"../secret.yaml\"\n";
    repo.write(".kiln/config.toml", config);
    let run = repo.kiln(["status"]).fails();
    assert!(run.stderr.contains("config.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("../secret.yaml"), "{}", run.stderr);
}

/// The tree derive-key context, as kiln writes trees.
fn tree_id(bytes: &[u8]) -> String {
    blake3::Hasher::new_derive_key("kiln 2026-11 tree v1")
        .update(bytes)
        .finalize()
        .to_hex()
        .to_string()
}

/// A tree on a remote whose entry is named `.git` (or `..`) is refused
/// whole: nothing lands in the workspace, nothing in the store.
#[test]
fn trees_with_unsafe_names_from_a_remote_are_refused() {
    for bad in [".git", ".Git", "..", ".kiln"] {
        let (repo, outside) = hostile_setup();
        let file = blake3::hash(b"owned\n").to_hex().to_string();
        let remote = outside.path().join("remote");
        let put = |id: &str, bytes: &[u8]| {
            let dir = remote.join("objects").join(&id[..2]);
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join(&id[2..]), bytes).unwrap();
        };
        put(&file, b"owned\n");
        let sub = format!("kiln tree 1\nf {file} 6 post-checkout\0");
        let sub_id = tree_id(sub.as_bytes());
        put(&sub_id, sub.as_bytes());
        let top = format!("kiln tree 1\nd {sub_id} 6 1 {bad}\0");
        let top_id = tree_id(top.as_bytes());
        put(&top_id, top.as_bytes());
        repo.write(
            "evil.kiln",
            format!("kiln: 1\nkind: dir\nid: {top_id}\nsize: 6\nfiles: 1\n"),
        );
        let run = repo.kiln(["pull"]).fails();
        assert!(
            run.stderr.contains(&top_id[..8]) || run.stderr.contains(bad),
            "{bad}: {}",
            run.stderr
        );
        assert!(!repo.exists("evil"), "{bad}: nothing written");
        assert!(!repo.path(".git/hooks/post-checkout").exists());
        assert!(!repo.store_objects().contains(&top_id), "{bad}");
    }
}

/// DVC #11101: a symlinked folder inside a tracked folder is never written
/// through, even with `--force`.
#[test]
fn dvc_11101_symlinked_folders_are_not_written_through() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("f.txt"), "outside\n").unwrap();
    let repo = Repo::new();
    repo.write("data/sub/f.txt", "inside\n");
    repo.kiln(["add", "data"]).ok();
    repo.remove("data/sub");
    std::os::unix::fs::symlink(outside.path(), repo.path("data/sub")).unwrap();
    let before = snapshot(outside.path());
    for args in [&["checkout"][..], &["checkout", "--force"]] {
        let _ = repo.kiln(args);
        assert_eq!(snapshot(outside.path()), before, "{args:?}");
    }
    // A folder on the way to a tracked path that leaves the repository.
    let repo = Repo::new();
    repo.write("data/a.csv", "a\n1\n");
    repo.kiln(["add", "data/a.csv"]).ok();
    let pointer = repo.read_string("data/a.csv.kiln");
    repo.remove("data");
    fs::create_dir(repo.path("real")).unwrap();
    fs::write(repo.path("real/a.csv.kiln"), &pointer).unwrap();
    // `data` leads out of the repository; the pointer is found through `real`.
    std::os::unix::fs::symlink(outside.path(), repo.path("data")).unwrap();
    fs::rename(
        repo.path("real/a.csv.kiln"),
        outside.path().join("a.csv.kiln"),
    )
    .unwrap();
    let before = snapshot(outside.path());
    let _ = repo.kiln(["checkout", "--force"]);
    assert_eq!(snapshot(outside.path()), before);
}

/// Secrets in remote URLs, parseable or not, never reach the terminal,
/// kiln's files or git.
#[test]
fn secrets_in_urls_are_never_shown() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let urls = [
        format!("s3://AKIAEXAMPLE:{secret}@bucket/x"),
        format!("s3://AKIAEXAMPLE:{secret}@bucket:99999/x"),
        format!("https://user:{secret}@host/x"),
        format!("gs://someone:{secret}@bucket"),
        format!("az://acct:{secret}@container/path?sig={secret}"),
    ];
    for url in &urls {
        let repo = Repo::new();
        repo.write("data/a.csv", "a\n1\n");
        repo.kiln(["add", "data/a.csv"]).ok();
        let mut seen = String::new();
        let mut record = |run: Run| {
            assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            seen += &run.stdout;
            seen += &run.stderr;
        };
        record(repo.kiln(["-vv", "remote", "add", "leak", url.as_str()]));
        // The same URL written by hand into the committed config.
        let mut config = repo.read_string(".kiln/config.toml");
        config += &format!("\n[remote.leak]\nurl = \"{url}\"\n");
        repo.write(".kiln/config.toml", config);
        for args in [
            &["-vv", "remote", "list"][..],
            &["-vv", "remote", "list", "--json"],
            &["-vv", "push", "-r", "leak"],
            &["-vv", "fetch", "-r", "leak"],
            &["-vv", "pull", "-r", "leak"],
            &["-vv", "status", "--remote", "leak"],
            &["-vv", "status"],
        ] {
            record(repo.kiln(args));
        }
        // As an OpenLineage collector too.
        record(repo.kiln_env(
            [
                "-vv",
                "run",
                "-n",
                "x",
                "-o",
                "out.txt",
                "--",
                "sh",
                "-c",
                "echo 1 > out.txt",
            ],
            &[("OPENLINEAGE_URL", url.as_str())],
        ));
        assert!(
            !seen.contains(secret),
            "{url}: a secret was printed:\n{seen}"
        );
        for e in walkdir::WalkDir::new(repo.path(".kiln"))
            .into_iter()
            .flatten()
        {
            // The user wrote the URL into config.toml by hand above.
            let by_hand = ["config.local.toml", "config.toml"]
                .iter()
                .any(|f| e.path().ends_with(f));
            if e.file_type().is_file() && !by_hand {
                let bytes = fs::read(e.path()).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(secret), "{url}: {}", e.path().display());
            }
        }
        repo.git(["add", "-A"]);
        let staged = repo.git(["diff", "--cached"]);
        let committed_before = repo.git(["log", "-p", "--all"]);
        assert!(!committed_before.contains(secret), "{url}: in git history");
        // What `git add -A` would commit holds it only where the user
        // wrote it by hand, in the committed config.
        let leaked: Vec<_> = staged
            .lines()
            .filter(|l| l.contains(secret) && !l.contains("url = "))
            .collect();
        assert!(leaked.is_empty(), "{url}: {leaked:?}");
    }
}

/// `kiln … | head -1`: the reader went away; a quiet exit 0, as ripgrep.
#[test]
fn a_closed_stdout_is_a_quiet_success() {
    let repo = Repo::new();
    for i in 0..200 {
        repo.write(&format!("data/f{i}.csv"), format!("a\n{i}\n"));
    }
    repo.kiln(["add", "data"]).ok();
    for cmd in [
        "kiln status --json",
        "kiln remote list",
        "kiln lineage --help",
        "kiln diff --json",
    ] {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{cmd} | head -c 1 >/dev/null; echo \"exit=${{PIPESTATUS[0]}}\" >&2"
            ))
            .current_dir(repo.root())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    Path::new(crate::support::KILN).parent().unwrap().display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{cmd}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{cmd}: {stderr}");
    }
    // Exit status, measured without a shell in between.
    let mut child = repo
        .kiln_command(["status", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Files people commit keep ordinary permissions: new ones follow the
/// umask, existing ones keep theirs. Only the secrets file is private.
#[test]
fn committed_files_follow_the_umask() {
    let repo = Repo::git_only();
    fs::write(repo.path(".gitignore"), "*.log\n").unwrap();
    fs::set_permissions(repo.path(".gitignore"), fs::Permissions::from_mode(0o644)).unwrap();
    repo.kiln(["init"]).ok();
    repo.write("data/a.csv", "a\n1\n");
    repo.kiln(["add", "data/a.csv"]).ok();
    let mode = |rel: &str| fs::metadata(repo.path(rel)).unwrap().mode() & 0o777;
    // The harness runs kiln under the default umask 022.
    assert_eq!(mode(".gitignore"), 0o644);
    assert_eq!(mode("data/a.csv.kiln"), 0o644);
    assert_eq!(mode("data/.gitignore"), 0o644);
    assert_eq!(mode(".kiln/config.toml"), 0o644);
    repo.kiln(["remote", "add", "s", "s3://bucket/x"]).ok();
    repo.kiln(["remote", "modify", "s", "secret-access-key", "abcdefgh"])
        .ok();
    assert_eq!(mode(".kiln/config.local.toml"), 0o600);
    assert_eq!(mode(".kiln/config.toml"), 0o644);
}

#[test]
fn a_wrong_local_config_is_named_as_such() {
    let repo = Repo::new();
    repo.write(".kiln/config.local.toml", "[cache]\nlink = 5\n");
    let run = repo.kiln(["status"]).fails();
    assert!(run.stderr.contains("config.local.toml"), "{}", run.stderr);
}

#[test]
fn fsck_of_a_removed_store_says_it_is_empty() {
    let repo = Repo::new();
    repo.write("data/a.csv", "a\n1\n");
    repo.kiln(["add", "data/a.csv"]).ok();
    fs::remove_dir_all(repo.path(".kiln/cache")).unwrap();
    let run = repo.kiln(["fsck", "--json"]).ok();
    assert_eq!(run.json()["checked"], 0, "{}", run.stdout);
}

/// What `kill -9` between publishing an adopted large file and copying it
/// back leaves (the workspace file is the object's inode): the next `add`
/// gives the file its own copy, so editing it cannot corrupt the store.
#[test]
fn an_add_cut_after_adopting_a_large_file_is_repaired_by_the_rerun() {
    let repo = Repo::new();
    let big: Vec<u8> = (0..9u32 << 20).map(|i| (i % 251) as u8).collect();
    repo.write("data/big.bin", &big);
    repo.kiln(["add", "data/big.bin"]).ok();
    let id = crate::support::pointer_field(&repo.read_string("data/big.bin.kiln"), "id").unwrap();
    let object = repo.object_path(&id);
    repo.remove("data/big.bin");
    fs::hard_link(&object, repo.path("data/big.bin")).unwrap();
    repo.kiln(["add", "data/big.bin"]).ok();
    let ws = fs::metadata(repo.path("data/big.bin")).unwrap();
    let ob = fs::metadata(&object).unwrap();
    assert_ne!(ws.ino(), ob.ino(), "the workspace has its own copy");
    assert_eq!(ob.nlink(), 1);
    assert!(ws.mode() & 0o200 != 0, "the copy is writable");
    assert_eq!(repo.read("data/big.bin"), big);
    let fsck = repo.kiln(["fsck", "--json"]).ok();
    assert_eq!(fsck.json()["corrupt"].as_array().unwrap().len(), 0);
    let status = repo.kiln(["status", "--json"]).ok();
    assert!(!status.stdout.contains("modified"), "{}", status.stdout);
}
