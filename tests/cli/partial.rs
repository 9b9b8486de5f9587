//! Parts of tracked folders: fetch, pull and checkout one file or subfolder;
//! add and rm inside a folder fetched in part; status, diff and push that
//! take "not fetched here" for a state, never for a deletion.

use crate::support::Repo;

/// A repository with `data/images` (two subfolders and a file) pushed to
/// a folder remote, and a clone of it with nothing fetched.
fn pushed() -> (Repo, tempfile::TempDir, Repo) {
    let src = Repo::new();
    let remote = src.folder_remote("origin");
    src.write("data/images/sub1/a.txt", "a\n");
    src.write("data/images/sub1/b.txt", "bb\n");
    src.write("data/images/sub2/c.txt", "ccc\n");
    src.write("data/images/top.txt", "top\n");
    src.kiln(["add", "data/images"]).ok();
    src.commit("images");
    src.kiln(["push"]).ok();
    let clone = src.clone_of();
    (src, remote, clone)
}

fn files_under(repo: &Repo, rel: &str) -> Vec<String> {
    let root = repo.path(rel);
    let mut out: Vec<String> = crate::remote::walk(&root)
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn a_part_of_a_folder_moves_only_what_it_needs() {
    let (_src, _remote, clone) = pushed();
    let fetched = clone
        .kiln(["fetch", "data/images/sub1", "--json"])
        .ok()
        .json();
    // The root tree, sub1's tree and its two files: nothing of sub2 or top.txt.
    assert_eq!(fetched["fetched"], 4, "{fetched}");
    assert_eq!(clone.store_objects().len(), 4);
    clone.kiln(["checkout", "data/images/sub1"]).ok();
    assert_eq!(
        files_under(&clone, "data/images"),
        ["sub1/a.txt", "sub1/b.txt"]
    );

    let pulled = clone
        .kiln(["pull", "data/images/top.txt", "--json"])
        .ok()
        .json();
    assert_eq!(pulled["fetch"]["fetched"], 1, "{pulled}");
    assert_eq!(
        files_under(&clone, "data/images"),
        ["sub1/a.txt", "sub1/b.txt", "top.txt"]
    );
    // A whole checkout (as after `git checkout`) leaves what was not fetched
    // here alone, and says so.
    let whole = clone.kiln(["checkout", "--json"]).ok().json();
    assert_eq!(whole["not_fetched"], 1, "{whole}");
    assert_eq!(
        files_under(&clone, "data/images"),
        ["sub1/a.txt", "sub1/b.txt", "top.txt"]
    );
    let missing = clone.kiln(["pull", "data/images/sub3/x"]).fails();
    assert!(
        missing
            .stderr
            .contains("not in the tracked folder data/images"),
        "{}",
        missing.stderr
    );

    // Not fetched here is a state of its own: not a change, not a deletion.
    let status = clone.kiln(["status", "--granular", "--json"]).ok().json();
    assert_eq!(status[0]["workspace"], "unchanged", "{status}");
    assert_eq!(status[0]["store"], "partial", "{status}");
    assert_eq!(status[0]["not_fetched"], 1, "{status}");
    let text = clone.kiln(["status"]).ok().stdout;
    assert!(text.contains("1 file not fetched here"), "{text}");
    let diff = clone.kiln(["diff", "--json"]).ok().json();
    assert_eq!(diff.as_array().map(Vec::len), Some(0), "{diff}");
    // Adding the folder as it is here changes nothing.
    let before = clone.read_string("data/images.kiln");
    clone.kiln(["add", "data/images"]).ok();
    assert_eq!(clone.read_string("data/images.kiln"), before);
}

#[test]
fn add_and_rm_inside_a_folder_fetched_in_part() {
    let (_src, _remote, clone) = pushed();
    clone.kiln(["pull", "data/images/sub1"]).ok();
    clone.write("data/images/sub1/new.txt", "new\n");
    clone.kiln(["add", "data/images/sub1/new.txt"]).ok();
    // Not fetched here, and taken out all the same; then a fetched file.
    clone.kiln(["rm", "data/images/sub2"]).ok();
    clone.kiln(["rm", "data/images/sub1/a.txt"]).ok();
    assert!(!clone.exists("data/images/sub1/a.txt"));
    let pointer = clone.read_string("data/images.kiln");
    assert!(pointer.contains("files: 3\n"), "{pointer}");
    clone.kiln(["status", "--quiet"]).code(1);
    let status = clone.kiln(["status", "--json"]).ok().json();
    assert_eq!(status[0]["workspace"], "unchanged", "{status}");
    clone.kiln(["push"]).ok();
    clone.commit("new, without a and sub2");

    let fresh = clone.clone_of();
    fresh.kiln(["pull"]).ok();
    assert_eq!(
        files_under(&fresh, "data/images"),
        ["sub1/b.txt", "sub1/new.txt", "top.txt"]
    );
    assert_eq!(fresh.read_string("data/images/top.txt"), "top\n");

    // A whole tracked path stops being tracked; its data stays.
    fresh.kiln(["rm", "data/images"]).ok();
    assert!(!fresh.exists("data/images.kiln"));
    assert!(fresh.exists("data/images/top.txt"));
    assert!(!fresh.read_string("data/.gitignore").contains("/images"));
    fresh.kiln(["rm", "data/nothing"]).fails();
}

/// A folder whose tree was never fetched cannot be added to: nothing could
/// tell what is not here from what was deleted.
#[test]
fn adding_to_a_folder_never_fetched_is_refused() {
    let (_src, _remote, clone) = pushed();
    clone.write("data/images/new.txt", "new\n");
    let run = clone.kiln(["add", "data/images/new.txt"]).fails();
    assert!(
        run.stderr
            .contains("data/images: the folder's current version was never fetched here"),
        "{}",
        run.stderr
    );
    let before = clone.read_string("data/images.kiln");
    clone.kiln(["pull", "data/images/top.txt"]).ok();
    clone.kiln(["add", "data/images/new.txt"]).ok();
    assert_ne!(clone.read_string("data/images.kiln"), before);
    assert!(clone.read_string("data/images.kiln").contains("files: 5\n"));
}

/// The files a partly fetched folder keeps from elsewhere must be on the
/// remote a push goes to: otherwise nothing is uploaded, least of all the
/// trees that list them.
#[test]
fn push_never_uploads_a_tree_whose_files_the_remote_lacks() {
    let (_src, _remote, clone) = pushed();
    clone.kiln(["pull", "data/images/sub1"]).ok();
    clone.write("data/images/sub1/new.txt", "new\n");
    clone.kiln(["add", "data/images/sub1"]).ok();
    let other = tempfile::tempdir().unwrap();
    clone
        .kiln(["remote", "add", "other", other.path().to_str().unwrap()])
        .ok();
    let run = clone.kiln(["push", "-r", "other"]).fails();
    assert!(
        run.stderr
            .contains("neither in the local store nor on remote `other`"),
        "{}",
        run.stderr
    );
    let uploaded: Vec<_> = crate::remote::walk(other.path())
        .into_iter()
        .filter(|p| p.is_file())
        .collect();
    assert!(uploaded.is_empty(), "uploaded: {uploaded:?}");
    clone.kiln(["push"]).ok();
}
