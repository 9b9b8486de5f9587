//! Datasets shared between repositories: `ls`, `get`, `import`, `update`,
//! from a bare repository whose data is on a folder remote or on Garage.

use crate::remote::{Backend, Kind, garage_shared};
use crate::support::{Repo, pointer_field};

/// A source repository with a table and a folder pushed to `backend`, and a
/// bare clone of it (what a shared registry on a server is).
struct Registry {
    src: Repo,
    bare: tempfile::TempDir,
    backend: Backend,
}

impl Registry {
    fn new(kind: Kind) -> Registry {
        let backend = Backend::new(kind);
        let src = Repo::new();
        backend.add_to(&src, "origin");
        src.write("data/train.csv", "id,label\n1,cat\n2,dog\n");
        src.write("data/images/a.txt", "a\n");
        src.write("data/images/sub/b.txt", "bb\n");
        src.kiln(["add", "data/train.csv", "data/images"]).ok();
        src.commit("v1");
        src.kiln(["push"]).ok();
        let bare = tempfile::tempdir().unwrap();
        src.git(["clone", "--bare", "-q", ".", bare.path().to_str().unwrap()]);
        Registry { src, bare, backend }
    }

    fn url(&self) -> &str {
        self.bare.path().to_str().unwrap()
    }

    /// A new commit in the source, pushed (data and git) to the registry.
    fn publish(&self, message: &str) -> String {
        let commit = self.src.commit(message);
        self.src.kiln(["push"]).ok();
        self.src.git(["push", "-q", self.url(), "main"]);
        commit
    }
}

#[test]
fn ls_get_import_and_update_from_a_bare_repository() {
    let reg = Registry::new(Kind::Folder);
    let first = reg.src.git(["rev-parse", "HEAD"]).trim().to_string();
    let me = Repo::new();

    let listed = me.kiln(["ls", reg.url(), "--json"]).ok().json();
    assert_eq!(listed["commit"], first.as_str());
    let datasets = listed["datasets"].as_array().unwrap();
    let paths: Vec<&str> = datasets
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["data/images", "data/train.csv"]);
    assert_eq!(datasets[0]["files"], 2);
    assert_eq!(datasets[0]["size"], 5);
    let text = me.kiln(["ls", reg.url(), "data/images"]).ok().stdout;
    assert!(
        text.contains("data/images") && !text.contains("train"),
        "{text}"
    );
    // A URL is cloned (bare, git's own transports only) rather than opened.
    let by_url = me
        .kiln(["ls", &format!("file://{}", reg.url()), "--json"])
        .ok()
        .json();
    assert_eq!(by_url["commit"], first.as_str());

    // get: the bytes, verified, and nothing tracked; outside any repository too.
    me.kiln(["get", reg.url(), "data/train.csv", "-o", "got.csv"])
        .ok();
    assert_eq!(me.read_string("got.csv"), "id,label\n1,cat\n2,dog\n");
    assert!(!me.exists("got.csv.kiln"));
    let again = me
        .kiln(["get", reg.url(), "data/train.csv", "-o", "got.csv"])
        .fails();
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = elsewhere.path().to_str().unwrap();
    me.kiln(["-C", dir, "get", reg.url(), "data/images"]).ok();
    assert_eq!(
        std::fs::read_to_string(elsewhere.path().join("images/sub/b.txt")).unwrap(),
        "bb\n"
    );
    let names: Vec<_> = std::fs::read_dir(elsewhere.path())
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(names.len(), 1, "no scratch folder is left behind");

    // import: tracked, with its source recorded, and pushed like any data.
    me.kiln(["import", reg.url(), "data/images"]).ok();
    assert_eq!(me.read_string("images/a.txt"), "a\n");
    let pointer = me.read_string("images.kiln");
    assert!(pointer.contains("  import:\n"), "{pointer}");
    assert!(
        pointer.contains(&format!("    commit: {first}")),
        "{pointer}"
    );
    assert!(pointer.contains("    path: data/images"), "{pointer}");
    assert!(me.read_string(".gitignore").contains("/images"));
    me.kiln(["status", "--quiet"]).ok();
    let lineage = me.kiln(["lineage", "images"]).ok().stdout;
    assert!(
        lineage.contains(&format!(
            "imported from {} data/images at commit {}",
            reg.url(),
            &first[..7]
        )),
        "{lineage}"
    );
    me.commit("import images");
    // A run that reads the import names its source in OpenLineage too.
    me.kiln([
        "run",
        "-n",
        "count",
        "--shell",
        "-d",
        "images",
        "-o",
        "n.txt",
        "--",
        "ls images > n.txt",
    ])
    .ok();
    me.kiln(["lineage", "export", "--openlineage", "-o", "events.ndjson"])
        .ok();
    let start: serde_json::Value =
        serde_json::from_str(me.read_string("events.ndjson").lines().next().unwrap()).unwrap();
    let symlink = &start["inputs"][0]["facets"]["symlinks"]["identifiers"][0];
    assert_eq!(symlink["name"], "data/images", "{start}");
    assert_eq!(
        symlink["namespace"],
        format!("kiln://{}", reg.url()),
        "{start}"
    );
    if crate::support::python_up("ls_get_import_and_update_from_a_bare_repository") {
        let valid = crate::lineage::validate_events(&me.path("events.ndjson"));
        assert_eq!(valid, Ok(2));
    }

    // The source moves on; update follows it, and says when nothing moved.
    reg.src.write("data/images/c.txt", "ccc\n");
    reg.src.kiln(["add", "data/images"]).ok();
    let second = reg.publish("v2");
    let updated = me.kiln(["update", "images", "--json"]).ok().json();
    assert_eq!(updated["changed"], true, "{updated}");
    assert_eq!(updated["commit"], second.as_str());
    assert_eq!(me.read_string("images/c.txt"), "ccc\n");
    assert_eq!(
        pointer_field(&me.read_string("images.kiln"), "files").as_deref(),
        Some("3")
    );
    let same = me.kiln(["update", "images", "--json"]).ok().json();
    assert_eq!(same["changed"], false, "{same}");
    // Back to a given revision.
    me.kiln(["update", "images", "--rev", &first]).ok();
    assert!(!me.exists("images/c.txt"));
    assert!(
        me.read_string("images.kiln")
            .contains(&format!("    rev: {first}"))
    );

    // What is not there is named, with what is.
    let missing = me.kiln(["import", reg.url(), "data/nope"]).fails();
    assert!(
        missing.stderr.contains("no dataset tracked at `data/nope`")
            && missing.stderr.contains("data/train.csv"),
        "{}",
        missing.stderr
    );
    let not_import = me.kiln(["update", "got.csv"]).fails();
    assert!(
        not_import.stderr.contains("got.csv"),
        "{}",
        not_import.stderr
    );
}

/// A registry on Garage: its committed remote names an endpoint, so kiln
/// sends credentials there only once this repository names the same remote.
#[test]
fn import_from_a_registry_on_garage() {
    if !crate::support::servers_up("import_from_a_registry_on_garage") {
        return;
    }
    let _g = garage_shared();
    let reg = Registry::new(Kind::S3);
    let me = Repo::new();
    let refused = me.kiln(["import", reg.url(), "data/train.csv"]).fails();
    assert!(
        refused.stderr.contains("sets its own endpoint"),
        "{}",
        refused.stderr
    );
    assert!(!me.exists("train.csv") && !me.exists("train.csv.kiln"));
    reg.backend.add_to(&me, "registry");
    me.kiln([
        "import",
        reg.url(),
        "data/train.csv",
        "-o",
        "data/train.csv",
    ])
    .ok();
    assert_eq!(me.read_string("data/train.csv"), "id,label\n1,cat\n2,dog\n");
    me.kiln(["status", "--quiet"]).ok();
}
