//! Regression tests for bug classes DVC has shipped, each named after the
//! DVC issue it mirrors, against a folder remote.

use std::fs;
use std::path::PathBuf;

use crate::support::Repo;

/// A repository with a tracked folder pushed to a folder remote.
fn pushed() -> (Repo, tempfile::TempDir) {
    let repo = Repo::new();
    for i in 0..5 {
        repo.write(&format!("data/f{i}.txt"), format!("file {i}\n"));
    }
    repo.kiln(["add", "data"]).ok();
    let remote = repo.folder_remote("origin");
    repo.kiln(["push"]).ok();
    (repo, remote)
}

fn remote_object(remote: &tempfile::TempDir, content: &str) -> PathBuf {
    let id = blake3::hash(content.as_bytes()).to_hex().to_string();
    remote.path().join("objects").join(&id[..2]).join(&id[2..])
}

/// DVC #4343: a folder's tree on the remote was taken as proof that its
/// files were there, so a lost file was never uploaded again.
#[test]
fn dvc_4343_a_tree_on_the_remote_is_not_proof_of_its_files() {
    let (repo, remote) = pushed();
    let lost = remote_object(&remote, "file 3\n");
    fs::remove_file(&lost).unwrap();
    // A clone that never pushed has no record of what the remote holds.
    fs::remove_dir_all(repo.path(".kiln/state")).ok();
    let status = repo.kiln(["status", "--remote", "--json"]).ok();
    assert!(status.stdout.contains("not_pushed"), "{}", status.stdout);
    repo.kiln(["push"]).ok();
    assert!(lost.exists(), "the lost file was uploaded again");
    // With kiln's own record of the remote, --verify-remote asks the server.
    fs::remove_file(&lost).unwrap();
    repo.kiln(["push", "--verify-remote"]).ok();
    assert!(lost.exists());
}

/// DVC #9641: a pull that could not get every object left the workspace
/// half updated with no way to tell. kiln writes what it has, names what
/// it lacks, says so in `status`, and a rerun completes.
#[test]
fn dvc_9641_a_partial_pull_is_reported_and_completed_by_a_rerun() {
    let (repo, remote) = pushed();
    let lost = remote_object(&remote, "file 2\n");
    let kept = fs::read(&lost).unwrap();
    fs::remove_file(&lost).unwrap();
    fs::remove_dir_all(repo.path(".kiln/cache")).unwrap();
    repo.remove("data");
    let run = repo.kiln(["pull"]).fails();
    assert!(run.stderr.contains("data/f2.txt"), "{}", run.stderr);
    for i in [0, 1, 3, 4] {
        assert_eq!(
            repo.read_string(&format!("data/f{i}.txt")),
            format!("file {i}\n")
        );
    }
    assert!(!repo.exists("data/f2.txt"));
    let status = repo.kiln(["status"]).ok();
    assert!(
        status.stdout.contains("data, 1 file not fetched here"),
        "{}",
        status.stdout
    );
    repo.kiln(["status", "--quiet"]).code(1);
    fs::write(&lost, kept).unwrap();
    repo.kiln(["pull"]).ok();
    assert_eq!(repo.read_string("data/f2.txt"), "file 2\n");
    repo.kiln(["status", "--quiet"]).ok();
}

/// DVC #2797: a lock left by a killed process blocked every later command
/// until removed by hand. kiln's lock is held by the open file, so it dies
/// with its process.
#[test]
fn dvc_2797_a_killed_process_leaves_no_stale_lock() {
    let repo = Repo::new();
    let big: Vec<u8> = (0..64u32 << 20).map(|i| (i % 241) as u8).collect();
    repo.write("data/big.bin", &big);
    let mut child = repo
        .kiln_command(["add", "data/big.bin"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(repo.exists(".kiln/lock"));
    let started = std::time::Instant::now();
    repo.kiln(["add", "data/big.bin"]).ok();
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    repo.kiln(["status"]).ok();
    let fsck = repo.kiln(["fsck", "--json"]).ok();
    assert_eq!(fsck.json()["corrupt"].as_array().unwrap().len(), 0);
}
