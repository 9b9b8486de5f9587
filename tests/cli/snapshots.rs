//! kiln's output reviewed like code: every `--help` and the human output of
//! the main commands, as snapshots (`tests/cli/snapshots/`). A change shows
//! as a diff; accept it with `INSTA_UPDATE=always cargo test --test cli
//! snapshots` (or `cargo insta review`) and commit the new files.

use crate::support::{Repo, fixtures};

/// Temporary folders, durations and the version, which change from run to
/// run, as placeholders; content ids stay, as the content is fixed.
fn settings(repo: &Repo) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    let root = regex::escape(&repo.root().display().to_string());
    s.add_filter(&root, "[REPO]");
    s.add_filter(r"/tmp/[A-Za-z0-9._-]+", "[TMP]");
    s.add_filter(r"in \d+\.\d+s", "in [TIME]");
    s.add_filter(env!("CARGO_PKG_VERSION"), "[VERSION]");
    s
}

/// Both streams of a run, labelled, with its exit code.
fn shown(run: &crate::support::Run) -> String {
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// The subcommands a help text lists.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A name at two spaces; wrapped descriptions are indented further.
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn every_help_text() {
    let repo = Repo::git_only();
    let settings = settings(&repo);
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let mut args = path.clone();
        args.push("--help".into());
        let help = repo.kiln(&args).ok().stdout;
        for sub in subcommands(&help) {
            let mut next = path.clone();
            next.push(sub);
            todo.push(next);
        }
        let name = if path.is_empty() {
            "help".to_string()
        } else {
            format!("help-{}", path.join("-"))
        };
        settings.bind(|| insta::assert_snapshot!(name, help));
    }
}

/// A repository with a table bound to a schema and a folder, committed.
fn tracked() -> Repo {
    let repo = Repo::new();
    repo.write(
        "schemas/train.yaml",
        std::fs::read(fixtures().join("schemas/train.yaml")).unwrap(),
    );
    repo.write(
        "data/train.csv",
        std::fs::read(fixtures().join("train/train.csv")).unwrap(),
    );
    repo.write("data/images/a.txt", "a\n");
    repo.write("data/images/b.txt", "b\n");
    repo.kiln(["add", "data/train.csv", "--schema", "schemas/train.yaml"])
        .ok();
    repo.kiln(["add", "data/images"]).ok();
    repo.commit("data v1");
    repo
}

#[test]
fn the_main_commands_human_output() {
    let repo = tracked();
    let remote = tempfile::tempdir().unwrap();
    let settings = {
        let mut s = settings(&repo);
        s.add_filter(
            &regex::escape(&remote.path().display().to_string()),
            "[REMOTE]",
        );
        s
    };
    let mut runs: Vec<(&str, crate::support::Run)> = Vec::new();
    runs.push(("status-clean", repo.kiln(["status"])));
    runs.push(("check-valid", repo.kiln(["check"])));
    repo.write(
        "data/train.csv",
        std::fs::read(fixtures().join("train/train-v2.csv")).unwrap(),
    );
    repo.write("data/images/c.txt", "c\n");
    repo.remove("data/images/a.txt");
    runs.push(("status-changed", repo.kiln(["status"])));
    runs.push(("status-granular", repo.kiln(["status", "--granular"])));
    runs.push((
        "check-invalid",
        repo.kiln(["check", "data/train.csv", "--schema", "schemas/train.yaml"]),
    ));
    runs.push(("add-refused", repo.kiln(["add", "data/train.csv"])));
    runs.push(("add-folder", repo.kiln(["add", "data/images"])));
    runs.push(("diff", repo.kiln(["diff"])));
    let folder = remote.path().display().to_string();
    runs.push((
        "remote-add",
        repo.kiln(["remote", "add", "shelf", &folder, "--default"]),
    ));
    runs.push(("push", repo.kiln(["push"])));
    runs.push(("push-again", repo.kiln(["push"])));
    runs.push(("status-remote", repo.kiln(["status", "--remote"])));
    repo.remove("data/images");
    std::fs::remove_dir_all(repo.path(".kiln/cache")).ok();
    runs.push(("pull", repo.kiln(["pull"])));
    runs.push(("checkout-missing-path", repo.kiln(["checkout", "nope"])));
    for (name, run) in &runs {
        settings.bind(|| insta::assert_snapshot!(*name, shown(run)));
    }
}

#[test]
fn lineage_and_run_records() {
    let repo = Repo::new();
    repo.write("data/raw.csv", "id,value\n1,10\n2,20\n");
    repo.kiln(["add", "data/raw.csv"]).ok();
    repo.commit("raw data");
    let settings = settings(&repo);
    // Each run at its own fixed instant, which also makes its id.
    let run = |at: &str, args: &[&str]| repo.kiln_env(args, &[("KILN_TEST_CLOCK", at)]);
    let clean = run(
        "2026-01-01T10:00:00Z",
        &[
            "run",
            "-n",
            "clean",
            "-d",
            "data/raw.csv",
            "-o",
            "data/clean.csv",
            "--",
            "cp",
            "data/raw.csv",
            "data/clean.csv",
        ],
    );
    let features = run(
        "2026-01-01T11:00:00Z",
        &[
            "run",
            "-n",
            "features",
            "-d",
            "data/clean.csv",
            "-o",
            "data/features.csv",
            "--",
            "cp",
            "data/clean.csv",
            "data/features.csv",
        ],
    );
    let records: Vec<(String, String)> = std::fs::read_dir(repo.path(".kiln/runs"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    let mut records = records;
    records.sort();
    let lineage = repo.kiln(["lineage", "data/features.csv"]);
    repo.write("data/raw.csv", "id,value\n1,10\n2,21\n");
    let stale = repo.kiln(["status"]);
    let repro = repo.kiln(["repro", "--dry-run"]);
    settings.bind(|| {
        insta::assert_snapshot!("run-clean", shown(&clean));
        insta::assert_snapshot!("run-features", shown(&features));
        for (i, (name, text)) in records.iter().enumerate() {
            insta::assert_snapshot!(format!("run-record-{i}"), format!("{name}\n{text}"));
        }
        insta::assert_snapshot!("lineage-tree", shown(&lineage));
        insta::assert_snapshot!("status-stale", shown(&stale));
        insta::assert_snapshot!("repro-dry-run", shown(&repro));
    });
}
