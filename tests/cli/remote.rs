//! Remotes: the same scenarios against a local folder, Garage (S3),
//! Azurite (Azure Blob) and fake-gcs-server (GCS). The servers are started
//! by `scripts/servers.sh` (sourced by `scripts/test.sh`); without them the
//! server tests are skipped, or fail where the script asks for them.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::support::{Repo, Run, pointer_field};

/// One test stops Garage; the others hold this shared while they use it.
static GARAGE: RwLock<()> = RwLock::new(());

pub(crate) fn garage_shared() -> RwLockReadGuard<'static, ()> {
    GARAGE.read().unwrap_or_else(|e| e.into_inner())
}

fn garage_exclusive() -> RwLockWriteGuard<'static, ()> {
    GARAGE.write().unwrap_or_else(|e| e.into_inner())
}

fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: the S3, Azure and GCS tests run against the servers that scripts/test.sh starts (or `source scripts/servers.sh && servers_start` first)"
        )
    })
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

pub(crate) fn id_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Deterministic bytes that do not compress.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Folder,
    S3,
    Azure,
    Gcs,
}

/// A remote of one kind under a prefix (or folder) of its own.
pub(crate) struct Backend {
    kind: Kind,
    folder: Option<tempfile::TempDir>,
    prefix: String,
    /// The bucket or container; a missing one for the "does not exist" case.
    bucket: String,
}

impl Backend {
    pub(crate) fn new(kind: Kind) -> Backend {
        let bucket = match kind {
            Kind::Folder => String::new(),
            Kind::S3 => env("KILN_TEST_S3_BUCKET"),
            Kind::Azure => env("KILN_TEST_AZURE_CONTAINER"),
            Kind::Gcs => env("KILN_TEST_GCS_BUCKET"),
        };
        Backend {
            kind,
            folder: (kind == Kind::Folder).then(|| tempfile::tempdir().unwrap()),
            prefix: unique(),
            bucket,
        }
    }

    /// The same server with a bucket, container or folder that does not exist.
    fn missing(kind: Kind) -> Backend {
        let mut b = Backend::new(kind);
        b.bucket = "kiln-no-such-bucket".into();
        b
    }

    pub(crate) fn folder(&self) -> std::path::PathBuf {
        let dir = self.folder.as_ref().unwrap().path();
        if self.bucket.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&self.bucket)
        }
    }

    fn url(&self) -> String {
        match self.kind {
            Kind::Folder => self.folder().display().to_string(),
            Kind::S3 => format!("s3://{}/{}", self.bucket, self.prefix),
            Kind::Azure => format!("az://{}/{}", self.bucket, self.prefix),
            Kind::Gcs => format!("gs://{}/{}", self.bucket, self.prefix),
        }
    }

    /// Settings that are committed.
    fn options(&self) -> Vec<(&'static str, String)> {
        match self.kind {
            Kind::Folder => vec![],
            Kind::S3 => vec![
                ("endpoint", env("KILN_TEST_S3_ENDPOINT")),
                ("region", env("KILN_TEST_S3_REGION")),
                ("allow-http", "true".into()),
            ],
            Kind::Azure => vec![
                ("endpoint", env("KILN_TEST_AZURE_ENDPOINT")),
                ("account", env("KILN_TEST_AZURE_ACCOUNT")),
                ("allow-http", "true".into()),
            ],
            Kind::Gcs => vec![
                ("endpoint", env("KILN_TEST_GCS_ENDPOINT")),
                ("allow-http", "true".into()),
            ],
        }
    }

    /// Credentials, which kiln keeps in the local config.
    fn credentials(&self) -> Vec<(&'static str, String)> {
        match self.kind {
            Kind::Folder => vec![],
            Kind::S3 => vec![
                ("access-key-id", env("KILN_TEST_S3_KEY_ID")),
                ("secret-access-key", env("KILN_TEST_S3_SECRET")),
            ],
            Kind::Azure => vec![("access-key", env("KILN_TEST_AZURE_KEY"))],
            Kind::Gcs => vec![("service-account-key", env("KILN_TEST_GCS_KEY"))],
        }
    }

    fn secrets(&self) -> Vec<String> {
        self.credentials().into_iter().map(|(_, v)| v).collect()
    }

    /// Adds the remote to `repo` as the default remote `name`.
    pub(crate) fn add_to(&self, repo: &Repo, name: &str) {
        repo.kiln(["remote", "add", name, &self.url(), "--default"])
            .ok();
        for (k, v) in self.options() {
            repo.kiln(["remote", "modify", name, k, &v]).ok();
        }
        self.set_credentials(repo, name);
    }

    /// What a clone of the repository needs again: the uncommitted secrets.
    pub(crate) fn set_credentials(&self, repo: &Repo, name: &str) {
        for (k, v) in self.credentials() {
            let run = repo.kiln(["remote", "modify", name, k, &v]).ok();
            assert!(run.stderr.contains("config.local.toml"), "{}", run.stderr);
        }
    }

    /// Direct access to the objects, past kiln.
    fn raw(&self) -> (Arc<dyn ObjectStore>, Key) {
        match self.kind {
            Kind::Folder => {
                let fs =
                    object_store::local::LocalFileSystem::new_with_prefix(self.folder()).unwrap();
                (Arc::new(fs), Key::default())
            }
            Kind::S3 => {
                let s3 = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&self.bucket)
                    .with_endpoint(env("KILN_TEST_S3_ENDPOINT"))
                    .with_region(env("KILN_TEST_S3_REGION"))
                    .with_access_key_id(env("KILN_TEST_S3_KEY_ID"))
                    .with_secret_access_key(env("KILN_TEST_S3_SECRET"))
                    .with_allow_http(true)
                    .build()
                    .unwrap();
                (Arc::new(s3), Key::from(self.prefix.as_str()))
            }
            Kind::Azure => {
                let az = object_store::azure::MicrosoftAzureBuilder::new()
                    .with_container_name(&self.bucket)
                    .with_account(env("KILN_TEST_AZURE_ACCOUNT"))
                    .with_access_key(env("KILN_TEST_AZURE_KEY"))
                    .with_endpoint(env("KILN_TEST_AZURE_ENDPOINT"))
                    .with_allow_http(true)
                    .build()
                    .unwrap();
                (Arc::new(az), Key::from(self.prefix.as_str()))
            }
            Kind::Gcs => {
                let gcs = object_store::gcp::GoogleCloudStorageBuilder::new()
                    .with_bucket_name(&self.bucket)
                    .with_service_account_key(env("KILN_TEST_GCS_KEY"))
                    .with_config(
                        object_store::gcp::GoogleConfigKey::BaseUrl,
                        env("KILN_TEST_GCS_ENDPOINT"),
                    )
                    .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
                    .build()
                    .unwrap();
                (Arc::new(gcs), Key::from(self.prefix.as_str()))
            }
        }
    }

    fn key(root: &Key, id: &str) -> Key {
        root.clone().join("objects").join(&id[..2]).join(&id[2..])
    }

    /// Ids of the objects on the remote.
    pub(crate) fn ids(&self) -> HashSet<String> {
        let (store, root) = self.raw();
        let listed: Vec<_> = block_on(
            store
                .list(Some(&root.clone().join("objects")))
                .try_collect(),
        )
        .unwrap();
        listed
            .into_iter()
            .filter_map(|m| {
                let parts: Vec<String> =
                    m.location.parts().map(|p| p.as_ref().to_string()).collect();
                let id = format!("{}{}", parts[parts.len() - 2], parts[parts.len() - 1]);
                (id.len() == 64).then_some(id)
            })
            .collect()
    }

    /// Flips one byte of an object on the remote (same size, other bytes).
    fn corrupt(&self, id: &str) {
        let (store, root) = self.raw();
        let key = Self::key(&root, id);
        block_on(async {
            let mut bytes = store
                .get(&key)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec();
            bytes[0] ^= 0xff;
            store.put(&key, PutPayload::from(bytes)).await.unwrap();
        });
    }
}

/// Writes a dataset: a nested folder with an executable file, a table, and a
/// file large enough to go up in parts. Returns each file and its bytes.
fn dataset(repo: &Repo) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for i in 0..40u64 {
        files.insert(
            format!("data/images/img{i:02}.bin"),
            noise(i, 512 + (i as usize * 97) % 4096),
        );
    }
    files.insert("data/images/sub/deep/notes.txt".into(), b"deep\n".to_vec());
    files.insert(
        "data/images/run.sh".into(),
        b"#!/bin/sh\necho hi\n".to_vec(),
    );
    files.insert("data/table.csv".into(), b"id,value\n1,a\n2,b\n".to_vec());
    files.insert("data/big.bin".into(), noise(99, 9 << 20));
    for (rel, bytes) in &files {
        repo.write(rel, bytes);
    }
    fs::set_permissions(
        repo.path("data/images/run.sh"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    repo.kiln(["add", "data/images", "data/table.csv", "data/big.bin"])
        .ok();
    files
}

/// Removes the data, the local store and everything kiln learnt about the
/// remote, as on a new machine.
fn wipe(repo: &Repo) {
    for p in [
        "data/images",
        "data/table.csv",
        "data/big.bin",
        "data/a.csv",
        "data/dir",
    ] {
        if repo.exists(p) {
            make_writable(&repo.path(p));
            repo.remove(p);
        }
    }
    for p in [".kiln/cache", ".kiln/state"] {
        if repo.exists(p) {
            make_writable(&repo.path(p));
            fs::remove_dir_all(repo.path(p)).unwrap();
        }
    }
}

fn make_writable(path: &Path) {
    for entry in walk(path) {
        let mode = if entry.is_dir() { 0o755 } else { 0o644 };
        let _ = fs::set_permissions(&entry, fs::Permissions::from_mode(mode));
    }
}

pub(crate) fn walk(path: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![path.to_path_buf()];
    if path.is_dir() {
        for e in fs::read_dir(path).unwrap().flatten() {
            out.extend(walk(&e.path()));
        }
    }
    out
}

pub(crate) fn count(json: &serde_json::Value, key: &str) -> u64 {
    json[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no `{key}` in {json}"))
}

// ---- the scenarios, once per backend ----

/// Push, a second push that moves nothing, a wiped store pulled back bytes
/// for bytes, and a partial pull in a clone.
fn round_trip(kind: Kind) {
    let backend = Backend::new(kind);
    let repo = Repo::new();
    let files = dataset(&repo);
    backend.add_to(&repo, "origin");
    repo.commit("data v1");

    let push = repo.kiln(["push", "--json"]).ok().json();
    let objects = count(&push, "objects");
    // 44 files and 3 trees: images, images/sub and images/sub/deep.
    assert_eq!(objects, 47, "{push}");
    assert_eq!(count(&push, "uploaded"), objects);
    assert_eq!(backend.ids().len() as u64, objects);

    let again = repo.kiln(["push", "--json"]).ok().json();
    assert_eq!(count(&again, "uploaded"), 0, "{again}");
    assert_eq!(
        count(&again, "checked"),
        0,
        "the local index answers: {again}"
    );
    let verified = repo.kiln(["push", "--verify-remote", "--json"]).ok().json();
    assert_eq!(count(&verified, "uploaded"), 0, "{verified}");
    assert_eq!(count(&verified, "checked"), objects, "{verified}");

    wipe(&repo);
    let pull = repo.kiln(["pull", "--json"]).ok().json();
    assert_eq!(count(&pull["fetch"], "fetched"), objects, "{pull}");
    for (rel, bytes) in &files {
        assert!(repo.read(rel) == *bytes, "{rel} differs after the pull");
    }
    let mode = fs::metadata(repo.path("data/images/run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert!(mode & 0o100 != 0, "the executable bit is kept: {mode:o}");
    repo.kiln(["status"]).ok();
    repo.kiln(["fsck"]).ok();

    // A clone pulls one path only.
    let clone = repo.clone_of();
    backend.set_credentials(&clone, "origin");
    clone.kiln(["pull", "data/table.csv"]).ok();
    assert_eq!(clone.read("data/table.csv"), files["data/table.csv"]);
    assert!(!clone.exists("data/big.bin"));
    assert!(!clone.exists("data/images/img00.bin"));
    let status = clone.kiln(["status", "--remote", "--json"]).ok().json();
    let paths = status["remote"]["paths"].as_array().unwrap();
    let of = |p: &str| paths.iter().find(|s| s["path"] == p).unwrap();
    assert_eq!(of("data/table.csv")["not_pulled"]["objects"], 0, "{status}");
    assert_eq!(of("data/big.bin")["not_pulled"]["objects"], 1, "{status}");
    assert!(
        count(&of("data/images")["not_pulled"], "objects") >= 1,
        "{status}"
    );
    assert_eq!(of("data/images")["not_pushed"]["objects"], 0, "{status}");
}

/// An object damaged on the remote is refused; the rest is pulled.
fn corrupt_object_is_refused(kind: Kind) {
    let backend = Backend::new(kind);
    let repo = Repo::new();
    repo.write("data/a.csv", "a,b\n1,2\n");
    repo.write("data/dir/x.txt", "x content\n");
    repo.write("data/dir/y.txt", "y content\n");
    // Large enough to be downloaded in ranged parts.
    let big: Vec<u8> = (0..9u32 << 20).map(|i| (i % 253) as u8).collect();
    repo.write("data/dir/big.bin", &big);
    repo.kiln(["add", "data/a.csv", "data/dir"]).ok();
    backend.add_to(&repo, "origin");
    repo.kiln(["push"]).ok();
    let a = pointer_field(&repo.read_string("data/a.csv.kiln"), "id").unwrap();
    let x = id_of(b"x content\n");
    let b = id_of(&big);
    backend.corrupt(&a);
    backend.corrupt(&x);
    backend.corrupt(&b);

    wipe(&repo);
    let run = repo.kiln(["pull"]).fails();
    assert!(
        run.stderr.contains("does not match its id"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("remote `origin`"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&a) || run.stderr.contains(&x),
        "the error names the object: {}",
        run.stderr
    );
    // Every damaged path is named, not one and a count.
    for path in ["data/a.csv", "data/dir/x.txt", "data/dir/big.bin"] {
        assert!(run.stderr.contains(path), "{path}: {}", run.stderr);
    }
    assert!(!repo.object_path(&a).exists());
    assert!(!repo.object_path(&x).exists());
    assert!(!repo.object_path(&b).exists());
    assert!(!repo.exists("data/dir/big.bin"));
    assert!(!repo.exists("data/a.csv"));
    assert!(!repo.exists("data/dir/x.txt"));
    assert_eq!(repo.read_string("data/dir/y.txt"), "y content\n");
    // Nothing damaged or half-written entered the store.
    let fsck = repo.kiln(["fsck", "--json"]).ok().json();
    assert_eq!(fsck["corrupt"].as_array().unwrap().len(), 0, "{fsck}");
}

/// A remote that does not exist: an unknown name, a missing bucket,
/// container or folder. Each is one clear line.
fn missing_remote(kind: Kind) {
    let repo = Repo::new();
    repo.write("data/a.csv", "a\n");
    repo.kiln(["add", "data/a.csv"]).ok();
    let run = repo.kiln(["push", "-r", "nope"]).fails();
    assert!(
        run.stderr.contains("no remote named `nope`"),
        "{}",
        run.stderr
    );

    let backend = Backend::missing(kind);
    backend.add_to(&repo, "gone");
    let run = if kind == Kind::Folder {
        // Pushing creates a folder; fetching needs it to exist.
        wipe(&repo);
        repo.kiln(["pull"]).fails()
    } else {
        repo.kiln(["push"]).fails()
    };
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(run.stderr.contains("remote `gone`"), "{}", run.stderr);
}

/// Nothing kiln prints, even at `-vv` and on failure, shows a secret; the
/// committed config holds none.
fn credentials_stay_hidden(kind: Kind) {
    let backend = Backend::new(kind);
    let repo = Repo::new();
    repo.write("data/a.csv", "a,b\n1,2\n");
    repo.kiln(["add", "data/a.csv"]).ok();
    backend.add_to(&repo, "origin");
    let mut seen = String::new();
    let mut record = |run: Run| {
        seen.push_str(&run.stdout);
        seen.push_str(&run.stderr);
    };
    record(repo.kiln(["-vv", "push"]).ok());
    record(repo.kiln(["-vv", "push", "--verify-remote", "--json"]).ok());
    record(repo.kiln(["-vv", "remote", "list"]).ok());
    record(repo.kiln(["-vv", "remote", "list", "--json"]).ok());
    record(repo.kiln(["-vv", "status", "--remote"]).ok());
    wipe(&repo);
    record(repo.kiln(["-vv", "pull"]).ok());
    // A failure: the server is not where the endpoint says.
    repo.kiln([
        "remote",
        "modify",
        "origin",
        "endpoint",
        "http://127.0.0.1:9",
    ])
    .ok();
    repo.kiln(["remote", "modify", "origin", "retries", "1"])
        .ok();
    wipe(&repo);
    record(repo.kiln(["-vv", "pull"]).fails());
    assert!(seen.contains("***"), "secrets are shown as ***: {seen}");
    for secret in backend.secrets() {
        assert!(!seen.contains(&secret), "a secret was printed:\n{seen}");
        let committed = repo.read_string(".kiln/config.toml");
        assert!(!committed.contains(&secret), "{committed}");
    }
    let ignored = repo.git(["check-ignore", ".kiln/config.local.toml"]);
    assert!(ignored.contains("config.local.toml"));
}

#[test]
fn folder_round_trip() {
    round_trip(Kind::Folder);
}

#[test]
fn s3_round_trip() {
    if !crate::support::servers_up("s3_round_trip") {
        return;
    }
    let _g = garage_shared();
    round_trip(Kind::S3);
}

#[test]
fn azure_round_trip() {
    if !crate::support::servers_up("azure_round_trip") {
        return;
    }
    round_trip(Kind::Azure);
}

#[test]
fn gcs_round_trip() {
    if !crate::support::servers_up("gcs_round_trip") {
        return;
    }
    round_trip(Kind::Gcs);
}

#[test]
fn folder_corrupt_object_is_refused() {
    corrupt_object_is_refused(Kind::Folder);
}

#[test]
fn s3_corrupt_object_is_refused() {
    if !crate::support::servers_up("s3_corrupt_object_is_refused") {
        return;
    }
    let _g = garage_shared();
    corrupt_object_is_refused(Kind::S3);
}

#[test]
fn azure_corrupt_object_is_refused() {
    if !crate::support::servers_up("azure_corrupt_object_is_refused") {
        return;
    }
    corrupt_object_is_refused(Kind::Azure);
}

#[test]
fn gcs_corrupt_object_is_refused() {
    if !crate::support::servers_up("gcs_corrupt_object_is_refused") {
        return;
    }
    corrupt_object_is_refused(Kind::Gcs);
}

#[test]
fn folder_missing_remote() {
    missing_remote(Kind::Folder);
}

#[test]
fn s3_missing_remote() {
    if !crate::support::servers_up("s3_missing_remote") {
        return;
    }
    let _g = garage_shared();
    missing_remote(Kind::S3);
}

#[test]
fn azure_missing_remote() {
    if !crate::support::servers_up("azure_missing_remote") {
        return;
    }
    missing_remote(Kind::Azure);
}

#[test]
fn gcs_missing_remote() {
    if !crate::support::servers_up("gcs_missing_remote") {
        return;
    }
    missing_remote(Kind::Gcs);
}

#[test]
fn s3_credentials_stay_hidden() {
    if !crate::support::servers_up("s3_credentials_stay_hidden") {
        return;
    }
    let _g = garage_shared();
    credentials_stay_hidden(Kind::S3);
}

#[test]
fn azure_credentials_stay_hidden() {
    if !crate::support::servers_up("azure_credentials_stay_hidden") {
        return;
    }
    credentials_stay_hidden(Kind::Azure);
}

#[test]
fn gcs_credentials_stay_hidden() {
    if !crate::support::servers_up("gcs_credentials_stay_hidden") {
        return;
    }
    credentials_stay_hidden(Kind::Gcs);
}

#[test]
fn a_broken_remote_is_reported_where_it_is_used_and_mended_by_modify() {
    let repo = Repo::new();
    repo.write("data/a.csv", "a\n");
    repo.kiln(["add", "data/a.csv"]).ok();
    let shelf = tempfile::tempdir().unwrap();
    let folder = shelf.path().display().to_string();
    repo.kiln(["remote", "add", "shelf", &folder, "--default"])
        .ok();
    // A value written by hand that is no count.
    let config = repo.read_string(".kiln/config.toml");
    repo.write(
        ".kiln/config.toml",
        config.replace("[remote.shelf]", "[remote.shelf]\njobs = \"many\""),
    );
    repo.kiln(["status"]).ok();
    let run = repo.kiln(["push"]).fails();
    assert!(run.stderr.contains("option `jobs`"), "{}", run.stderr);
    repo.kiln(["remote", "modify", "shelf", "jobs", "8"]).ok();
    repo.kiln(["push"]).ok();
}

#[test]
fn a_forged_tree_on_the_remote_is_refused_before_anything_is_written() {
    let backend = Backend::new(Kind::Folder);
    let repo = Repo::new();
    repo.write("d/f", "x");
    repo.kiln(["add", "d"]).ok();
    backend.add_to(&repo, "origin");
    repo.kiln(["push"]).ok();
    // A tree whose bytes match its id but which names `..`, put on the
    // remote and named by the pointer, as a hostile remote could.
    let body = format!("kiln tree 1\nf {} 1 ..\0", id_of(b"x"));
    let tree = blake3::Hasher::new_derive_key("kiln 2026-11 tree v1")
        .update(body.as_bytes())
        .finalize()
        .to_hex()
        .to_string();
    let (store, root) = backend.raw();
    block_on(store.put(&Backend::key(&root, &tree), PutPayload::from(body))).unwrap();
    let text = repo.read_string("d.kiln");
    let old = pointer_field(&text, "id").unwrap();
    repo.write("d.kiln", text.replace(&old, &tree));
    wipe(&repo);
    repo.remove("d");
    let run = repo.kiln(["pull"]).fails();
    assert!(
        run.stderr.contains("not a valid file name"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("remote `origin`"), "{}", run.stderr);
    assert!(!repo.object_path(&tree).exists());
    assert!(!repo.exists("d"));
    assert!(!repo.root().parent().unwrap().join("x").exists());
}

// ---- interruptions ----

/// Many small files, so a transfer is still running when it is cut off.
fn many_files(repo: &Repo, n: usize) {
    for i in 0..n {
        repo.write(
            &format!("data/many/d{}/f{i:05}.bin", i % 7),
            noise(i as u64 + 1000, 1024),
        );
    }
    repo.kiln(["add", "data/many"]).ok();
}

/// Trees in the local store and what each lists.
fn local_trees(repo: &Repo) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for id in repo.store_objects() {
        let bytes = fs::read(repo.object_path(&id)).unwrap();
        let Some(body) = bytes.strip_prefix(b"kiln tree 1\n") else {
            continue;
        };
        let children = body
            .split(|&b| b == 0)
            .filter(|r| !r.is_empty())
            .map(|r| {
                String::from_utf8_lossy(r)
                    .split(' ')
                    .nth(1)
                    .unwrap()
                    .to_string()
            })
            .collect();
        out.insert(id, children);
    }
    out
}

/// The remote's invariant: a tree is there only with everything it lists.
fn assert_no_tree_without_its_files(repo: &Repo, backend: &Backend) {
    let on_remote = backend.ids();
    for (tree, children) in local_trees(repo) {
        if on_remote.contains(&tree) {
            for c in children {
                assert!(
                    on_remote.contains(&c),
                    "tree {tree} is on the remote without {c}"
                );
            }
        }
    }
}

/// Starts `cmd`, waits until `ready` holds, then kills it with SIGKILL.
/// Returns false if the command finished first.
fn kill_when(mut cmd: Command, ready: impl Fn() -> bool) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if ready() {
            child.kill().unwrap();
            child.wait().unwrap();
            return true;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "never ready");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn folder_kill_during_push_and_pull_then_rerun_completes() {
    let backend = Backend::new(Kind::Folder);
    let repo = Repo::new();
    many_files(&repo, 3000);
    backend.add_to(&repo, "origin");
    let files: Vec<String> = walk(&repo.path("data/many"))
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| p.strip_prefix(repo.root()).unwrap().display().to_string())
        .collect();
    let originals: BTreeMap<String, Vec<u8>> =
        files.iter().map(|f| (f.clone(), repo.read(f))).collect();

    let folder = backend.folder();
    let killed = kill_when(repo.kiln_command(["push", "-j", "1"]), || {
        walk(&folder.join("objects")).len() > 400
    });
    assert!(killed, "the push finished before it could be interrupted");
    assert_no_tree_without_its_files(&repo, &backend);
    let rerun = repo.kiln(["push", "--json"]).ok().json();
    assert!(count(&rerun, "uploaded") > 0, "{rerun}");
    assert_eq!(backend.ids().len() as u64, count(&rerun, "objects"));
    assert_no_tree_without_its_files(&repo, &backend);

    wipe(&repo);
    let objects = repo.path(".kiln/cache/objects");
    let killed = kill_when(repo.kiln_command(["pull", "-j", "1"]), || {
        walk(&objects).len() > 600
    });
    assert!(killed, "the pull finished before it could be interrupted");
    // Whatever entered the store is whole and verified.
    let fsck = repo.kiln(["fsck", "--json"]).ok().json();
    assert_eq!(fsck["corrupt"].as_array().unwrap().len(), 0, "{fsck}");
    repo.kiln(["pull"]).ok();
    for (rel, bytes) in &originals {
        assert!(repo.read(rel) == *bytes, "{rel} differs after the pull");
    }
}

#[test]
fn s3_server_stopped_mid_push_then_push_completes() {
    if !crate::support::servers_up("s3_server_stopped_mid_push_then_push_completes") {
        return;
    }
    let _g = garage_exclusive();
    let backend = Backend::new(Kind::S3);
    let repo = Repo::new();
    many_files(&repo, 3000);
    backend.add_to(&repo, "origin");
    repo.commit("many");
    let mut push = repo
        .kiln_command(["push", "-j", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Take the server away once the upload is under way.
    let started = Instant::now();
    while backend.ids().len() < 200 {
        assert!(
            push.try_wait().unwrap().is_none(),
            "the push finished too soon"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the push never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let stop = Command::new(env("KILN_TEST_GARAGE_STOP")).status().unwrap();
    assert!(stop.success());
    let out = push.wait_with_output().unwrap();
    // Restart before any assertion, so other tests find the server.
    let start = Command::new(env("KILN_TEST_GARAGE_START"))
        .status()
        .unwrap();
    assert!(start.success(), "garage did not restart");
    let out = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
    .fails();
    assert!(out.stderr.contains("remote `origin`"), "{}", out.stderr);
    assert!(out.stderr.contains("cannot"), "{}", out.stderr);
    assert!(out.stderr.contains("hint:"), "{}", out.stderr);
    assert_no_tree_without_its_files(&repo, &backend);

    let rerun = repo.kiln(["push", "--json"]).ok().json();
    assert!(count(&rerun, "uploaded") > 0, "{rerun}");
    assert_eq!(backend.ids().len() as u64, count(&rerun, "objects"));
    let clone = repo.clone_of();
    backend.set_credentials(&clone, "origin");
    clone.kiln(["pull"]).ok();
    for p in walk(&repo.path("data/many"))
        .into_iter()
        .filter(|p| p.is_file())
    {
        let rel = p
            .strip_prefix(repo.root())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(clone.read(&rel) == repo.read(&rel), "{rel} differs");
    }
}

// ---- configuration ----

#[test]
fn remote_commands_keep_comments_and_secrets_apart() {
    let repo = Repo::new();
    let config = repo.read_string(".kiln/config.toml");
    repo.write(
        ".kiln/config.toml",
        format!("{config}\n# our team's note about remotes\n"),
    );
    repo.kiln(["remote", "add", "store", "s3://bucket/data", "--default"])
        .ok();
    repo.kiln(["remote", "modify", "store", "region", "eu-west-1"])
        .ok();
    repo.kiln(["remote", "modify", "store", "jobs", "8"]).ok();
    repo.kiln([
        "remote",
        "modify",
        "store",
        "secret-access-key",
        "s3cr3t-value",
    ])
    .ok();
    let shared = repo.read_string(".kiln/config.toml");
    assert!(
        shared.contains("# our team's note about remotes"),
        "{shared}"
    );
    assert!(shared.contains("[remote.store]"), "{shared}");
    assert!(shared.contains("jobs = 8"), "{shared}");
    assert!(shared.contains("remote = \"store\""), "{shared}");
    assert!(!shared.contains("s3cr3t-value"), "{shared}");
    let local = repo.read_string(".kiln/config.local.toml");
    assert!(local.contains("s3cr3t-value"), "{local}");

    let list = repo.kiln(["remote", "list", "--json"]).ok().json();
    assert_eq!(list[0]["name"], "store");
    assert_eq!(list[0]["default"], true);
    assert_eq!(list[0]["options"]["secret-access-key"], "***");
    assert_eq!(list[0]["options"]["region"], "eu-west-1");

    // Refused: a bad option, a bad value, credentials in a URL, a duplicate.
    let run = repo
        .kiln(["remote", "modify", "store", "colour", "blue"])
        .fails();
    assert!(
        run.stderr.contains("unknown option `colour`"),
        "{}",
        run.stderr
    );
    let run = repo
        .kiln(["remote", "modify", "store", "jobs", "many"])
        .fails();
    assert!(run.stderr.contains("`jobs`"), "{}", run.stderr);
    let run = repo
        .kiln(["remote", "add", "leaky", "s3://AKIAXXXX:topsecret@bucket/x"])
        .fails();
    assert!(!run.stderr.contains("topsecret"), "{}", run.stderr);
    assert!(run.stderr.contains("credentials"), "{}", run.stderr);
    let run = repo
        .kiln([
            "remote",
            "modify",
            "store",
            "endpoint",
            "http://me:pa55word@host:9000",
        ])
        .fails();
    assert!(!run.stderr.contains("pa55word"), "{}", run.stderr);
    let run = repo
        .kiln(["remote", "modify", "store", "jobs", "1000"])
        .fails();
    assert!(run.stderr.contains("1 to 256"), "{}", run.stderr);
    repo.kiln(["remote", "add", "store", "/tmp/x"]).fails();
    repo.kiln(["remote", "add", "bad", "ftp://host/x"]).fails();

    // A secret written into the committed file by hand is refused.
    let shared = repo.read_string(".kiln/config.toml");
    repo.write(
        ".kiln/config.toml",
        shared.replace(
            "[remote.store]",
            "[remote.store]\nsession-token = \"tok3n-value\"",
        ),
    );
    let run = repo.kiln(["push"]).fails();
    assert!(run.stderr.contains("session-token"), "{}", run.stderr);
    assert!(!run.stderr.contains("tok3n-value"), "{}", run.stderr);
    repo.write(".kiln/config.toml", shared);

    repo.kiln(["remote", "modify", "store", "--unset", "region"])
        .ok();
    assert!(!repo.read_string(".kiln/config.toml").contains("eu-west-1"));
    repo.kiln(["remote", "remove", "store"]).ok();
    let shared = repo.read_string(".kiln/config.toml");
    assert!(!shared.contains("store"), "{shared}");
    assert!(
        shared.contains("# our team's note about remotes"),
        "{shared}"
    );
    assert!(
        !repo
            .read_string(".kiln/config.local.toml")
            .contains("s3cr3t-value")
    );
    let run = repo.kiln(["push"]).fails();
    assert!(run.stderr.contains("no remote"), "{}", run.stderr);
}

#[test]
fn status_remote_tells_what_is_not_pushed_or_pulled() {
    let backend = Backend::new(Kind::Folder);
    let repo = Repo::new();
    repo.write("data/a.csv", "a\n");
    repo.write("data/b.csv", "b\n");
    repo.kiln(["add", "data/a.csv", "data/b.csv"]).ok();
    backend.add_to(&repo, "origin");
    // Nothing pushed yet, and the folder does not exist yet either.
    let run = repo.kiln(["status", "--remote"]).ok();
    assert!(
        run.stdout.contains("not pushed:  data/a.csv"),
        "{}",
        run.stdout
    );
    repo.kiln(["push", "data/a.csv"]).ok();
    let run = repo.kiln(["status", "--remote", "origin"]).ok();
    assert!(
        run.stdout.contains("pushed:      data/a.csv"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("not pushed:  data/b.csv"),
        "{}",
        run.stdout
    );
    repo.kiln(["push"]).ok();
    let b = pointer_field(&repo.read_string("data/b.csv.kiln"), "id").unwrap();
    fs::remove_file(repo.object_path(&b)).unwrap();
    let run = repo.kiln(["status", "--remote"]).ok();
    assert!(
        run.stdout.contains("not pulled:  data/b.csv"),
        "{}",
        run.stdout
    );
    // With a quiet status, anything out of step is exit 1.
    repo.kiln(["-q", "status", "--remote"]).code(1);
}

// ---- faults between kiln and the server ----

/// `tests/faults/proxy.py` in front of Garage: it breaks a share of the
/// answers in one way (see its header), and stops by itself.
struct Proxy {
    child: std::process::Child,
    port: u16,
    count: tempfile::NamedTempFile,
}

impl Proxy {
    fn start(mode: &str, rate: f64, limit: u32) -> Proxy {
        let python = std::env::var("KILN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/faults/proxy.py");
        let count = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new(python)
            .arg(script)
            .arg("--count")
            .arg(count.path())
            .args(["--upstream", &env("KILN_TEST_S3_ENDPOINT"), "--mode", mode])
            .args(["--rate", &rate.to_string(), "--limit", &limit.to_string()])
            .args(["--delay", "0.5"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the fault proxy");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let port = line.trim().parse().expect("the proxy prints its port");
        Proxy { child, port, count }
    }

    /// How many answers it has broken so far.
    fn faults(&self) -> u32 {
        fs::read_to_string(self.count.path())
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Push, fetch and pull through a proxy that breaks answers: each retries
/// where that is right and completes, never stores unverified bytes, and
/// what lands is byte for byte what was pushed.
fn through_faults(mode: &str) {
    let _garage = garage_shared();
    let backend = Backend::new(Kind::S3);
    let repo = Repo::new();
    let files = dataset(&repo);
    backend.add_to(&repo, "origin");
    let proxy = Proxy::start(mode, 0.25, 12);
    repo.kiln(["remote", "modify", "origin", "endpoint", &proxy.endpoint()])
        .ok();
    repo.commit("data");
    let push = repo.kiln(["push"]);
    assert!(!push.stderr.contains("panicked"), "{}", push.stderr);
    if push.code != 0 {
        // Given up on after its retries: one clear line, and a rerun completes.
        push.fails();
        repo.kiln(["push"]).ok();
    }
    // Every object arrived once; the pull below verifies their bytes.
    let ids = backend.ids();
    assert_eq!(ids.len(), 47, "{mode}");
    wipe(&repo);
    let pull = repo.kiln(["pull"]);
    assert!(!pull.stderr.contains("panicked"), "{}", pull.stderr);
    if pull.code != 0 {
        pull.fails();
        repo.kiln(["pull"]).ok();
    }
    for (rel, bytes) in &files {
        assert!(repo.read(rel) == *bytes, "{mode}: {rel} differs");
    }
    let fsck = repo.kiln(["fsck", "--json"]).ok().json();
    assert_eq!(fsck["corrupt"].as_array().unwrap().len(), 0, "{mode}");
    assert!(proxy.faults() > 0, "{mode}: the proxy broke no answer");
}

#[test]
fn s3_push_and_pull_survive_server_errors() {
    if !crate::support::servers_up("s3_push_and_pull_survive_server_errors") {
        return;
    }
    through_faults("5xx");
}

#[test]
fn s3_push_and_pull_survive_connection_resets() {
    if !crate::support::servers_up("s3_push_and_pull_survive_connection_resets") {
        return;
    }
    through_faults("reset");
}

#[test]
fn s3_push_and_pull_survive_truncated_answers() {
    if !crate::support::servers_up("s3_push_and_pull_survive_truncated_answers") {
        return;
    }
    through_faults("truncate");
}

#[test]
fn s3_push_and_pull_survive_slow_answers() {
    if !crate::support::servers_up("s3_push_and_pull_survive_slow_answers") {
        return;
    }
    through_faults("slow");
}

/// A server that only ever fails: a clear one-line error after the retries
/// the remote allows, nothing stored, and a rerun once it is back completes.
#[test]
fn s3_a_server_that_always_fails_gives_a_clear_error() {
    if !crate::support::servers_up("s3_a_server_that_always_fails_gives_a_clear_error") {
        return;
    }
    let _garage = garage_shared();
    let backend = Backend::new(Kind::S3);
    let repo = Repo::new();
    let files = dataset(&repo);
    backend.add_to(&repo, "origin");
    repo.kiln(["push"]).ok();
    let proxy = Proxy::start("5xx", 1.0, 0);
    repo.kiln(["remote", "modify", "origin", "endpoint", &proxy.endpoint()])
        .ok();
    repo.kiln(["remote", "modify", "origin", "retries", "1"])
        .ok();
    wipe(&repo);
    let run = repo.kiln(["pull"]).fails();
    assert!(run.stderr.contains("remote `origin`"), "{}", run.stderr);
    assert!(repo.store_objects().is_empty(), "nothing unverified stored");
    repo.kiln([
        "remote",
        "modify",
        "origin",
        "endpoint",
        &env("KILN_TEST_S3_ENDPOINT"),
    ])
    .ok();
    repo.kiln(["pull"]).ok();
    for (rel, bytes) in &files {
        assert!(repo.read(rel) == *bytes, "{rel} differs");
    }
}

/// A three-node Garage cluster (replication factor 3): one node stopped in
/// the middle of a push, and again in the middle of a pull; both complete.
#[test]
fn s3_cluster_survives_a_node_stopped_mid_transfer() {
    if !crate::support::servers_up("s3_cluster_survives_a_node_stopped_mid_transfer") {
        return;
    }
    let repo = Repo::new();
    let files = dataset(&repo);
    let url = format!("s3://{}/{}", env("KILN_TEST_CLUSTER_BUCKET"), unique());
    repo.kiln(["remote", "add", "origin", &url, "--default"])
        .ok();
    for (k, v) in [
        ("endpoint", env("KILN_TEST_CLUSTER_ENDPOINT")),
        ("region", "garage".into()),
        ("allow-http", "true".into()),
        ("access-key-id", env("KILN_TEST_CLUSTER_KEY_ID")),
        ("secret-access-key", env("KILN_TEST_CLUSTER_SECRET")),
    ] {
        repo.kiln(["remote", "modify", "origin", k, &v]).ok();
    }
    let node = |script: &str| {
        let ok = Command::new(env(script)).status().unwrap().success();
        assert!(ok, "{script}");
    };
    let stop_during = |args: &[&str]| {
        let child = repo
            .kiln_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        node("KILN_TEST_CLUSTER_NODE_STOP");
        let out = child.wait_with_output().unwrap();
        node("KILN_TEST_CLUSTER_NODE_START");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}: {stderr}");
    };
    stop_during(&["push"]);
    wipe(&repo);
    stop_during(&["pull"]);
    for (rel, bytes) in &files {
        assert!(repo.read(rel) == *bytes, "{rel} differs");
    }
    repo.kiln(["fsck"]).ok();
}
