//! Statistics of data versions: the profile a check computes, its merge over
//! a dataset's shards, `kiln diff --stats` between versions (profiles from
//! the cache, the store or the remote), drift rules judged by `kiln check`
//! and the pre-commit hook, and the HTML reports rendered by a browser.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{self, Repo};

const SCHEMA: &str = "\
fields:
  - {name: id, type: integer}
  - {name: x, type: number}
  - {name: label, type: string}
  - {name: note, type: string}
";

/// 2,000 rows: `x` cycles 0..99 (plus `shift`), `label` cycles a, b, c
/// (or, `skewed`, is mostly a), `note` is 1 to 10 characters long.
fn table(shift: f64, skewed: bool) -> String {
    let mut out = String::from("id,x,label,note\n");
    for i in 0..2000u32 {
        let label = match (skewed, i % 10) {
            (true, 0) => "b",
            (true, _) => "a",
            (false, _) => ["a", "b", "c"][(i % 3) as usize],
        };
        let note = "n".repeat((i % 10 + 1) as usize);
        out.push_str(&format!(
            "{},{},{label},{note}\n",
            i + 1,
            f64::from(i % 100) + shift
        ));
    }
    out
}

/// The profile `kiln check --json` gives of `csv` under `schema`.
fn profile_of(schema: &str, csv: String) -> Value {
    let repo = Repo::new();
    repo.write("s.yaml", schema);
    repo.write("t.csv", csv);
    let report = repo
        .kiln(["check", "t.csv", "--schema", "s.yaml", "--json"])
        .ok()
        .json();
    report["files"][0]["profile"].clone()
}

fn column<'a>(profile: &'a Value, name: &str) -> &'a Value {
    profile
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no column {name} in {profile:#}"))
}

fn top(c: &Value) -> Vec<(String, u64)> {
    c["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["value"].as_str().unwrap().to_string(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn close(a: &Value, b: f64, tolerance: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() <= tolerance
}

#[test]
fn a_check_profiles_every_column() {
    let profile = &profile_of(SCHEMA, table(0.0, false));
    let x = column(profile, "x");
    assert!(close(&x["mean"], 49.5, 1e-9), "{x:#}");
    // The sample standard deviation of 0..99 twenty times over.
    assert!(close(&x["std"], 28.8733, 1e-3), "{x:#}");
    assert!(close(&x["quantiles"]["p50"], 49.5, 1.5), "{x:#}");
    assert!(close(&x["quantiles"]["p1"], 1.0, 1.5), "{x:#}");
    let counts: u64 = x["histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts, 2000, "{x:#}");
    assert_eq!(x["histogram"]["edges"].as_array().unwrap().len(), 21);
    // Values of few kinds are counted exactly.
    let label = column(profile, "label");
    assert_eq!(
        top(label),
        [("a".into(), 667), ("b".into(), 667), ("c".into(), 666)]
    );
    let note = column(profile, "note");
    assert!(close(&note["length"]["mean"], 5.5, 1e-9), "{note:#}");
    assert!(close(&note["length"]["max"], 10.0, 0.0), "{note:#}");
    // More distinct values than a profile counts: no top values.
    assert!(column(profile, "id").get("top").is_none(), "{profile:#}");
}

#[test]
fn a_large_tables_moments_are_exact_and_its_quantiles_close() {
    let schema = "fields:\n  - {name: x, type: integer}\n  - {name: label, type: string}\n";
    let mut csv = String::from("x,label\n");
    for i in 0..300_000u32 {
        csv.push_str(&format!(
            "{},{}\n",
            i % 1000,
            ["a", "b", "c", "d"][(i % 4) as usize]
        ));
    }
    let profile = &profile_of(schema, csv);
    let x = column(profile, "x");
    // Past the first 4,096 rows values are sampled: moments stay exact.
    assert!(close(&x["mean"], 499.5, 1e-6), "{x:#}");
    assert!(close(&x["std"], 288.675, 1e-2), "{x:#}");
    for (q, v) in [("p5", 50.0), ("p50", 500.0), ("p95", 950.0)] {
        assert!(close(&x["quantiles"][q], v, 15.0), "{q}: {x:#}");
    }
    let bars: Vec<u64> = x["histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(bars.iter().sum::<u64>(), 300_000);
    assert!(bars.iter().all(|&b| b.abs_diff(15_000) < 1_500), "{bars:?}");
    for (value, count) in top(column(profile, "label")) {
        assert!(count.abs_diff(75_000) < 5_000, "{value}: {count}");
    }
}

#[test]
fn a_datasets_profile_is_the_merge_of_its_shards() {
    let repo = Repo::new();
    repo.write("s.yaml", SCHEMA);
    let whole = table(0.0, false);
    let lines: Vec<&str> = whole.lines().collect();
    for (i, part) in lines[1..].chunks(700).enumerate() {
        repo.write(
            &format!("data/parts/{i}.csv"),
            format!("{}\n{}\n", lines[0], part.join("\n")),
        );
    }
    let report = repo
        .kiln(["check", "data/parts", "--schema", "s.yaml", "--json"])
        .ok()
        .json();
    let dataset = &report["files"][0];
    assert_eq!(dataset["shards"]["total"], 3);
    let x = column(&dataset["profile"], "x");
    assert!(close(&x["mean"], 49.5, 1e-9), "{x:#}");
    assert!(close(&x["std"], 28.8733, 1e-3), "{x:#}");
    assert_eq!(x["min"], "0.0");
    assert_eq!(x["max"], "99.0");
    let label = column(&dataset["profile"], "label");
    assert_eq!(
        top(label),
        [("a".into(), 667), ("b".into(), 667), ("c".into(), 666)]
    );
    // Cached shards merge to the same profile.
    let again = repo
        .kiln(["check", "data/parts", "--schema", "s.yaml", "--json"])
        .ok()
        .json();
    assert_eq!(again["files"][0]["shards"]["read"], 0);
    assert_eq!(again["files"][0]["profile"], dataset["profile"]);
}

/// A repository with a folder remote and two committed, pushed versions
/// of `data/t.csv`; the second shifts `x` and skews `label`.
fn two_versions(repo: &Repo) -> tempfile::TempDir {
    let remote = repo.folder_remote("shelf");
    repo.write("schemas/t.yaml", SCHEMA);
    repo.write("data/t.csv", table(0.0, false));
    repo.kiln(["add", "data/t.csv", "--schema", "schemas/t.yaml"])
        .ok();
    repo.commit("v1");
    repo.git(["tag", "v1"]);
    repo.kiln(["push"]).ok();
    repo.write("data/t.csv", table(30.0, true));
    repo.kiln(["add", "data/t.csv"]).ok();
    repo.commit("v2");
    repo.kiln(["push"]).ok();
    remote
}

fn drifted(diff: &Value) -> BTreeSet<String> {
    diff[0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["drifted"] == true)
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn diff_stats_flags_the_columns_that_moved() {
    let repo = Repo::new();
    let _remote = two_versions(&repo);
    let diff = repo
        .kiln(["diff", "--stats", "v1", "HEAD", "--json"])
        .ok()
        .json();
    assert_eq!(diff[0]["path"], "data/t.csv");
    assert_eq!(diff[0]["rows"], serde_json::json!([2000, 2000]));
    let expected: BTreeSet<String> = ["label", "x"].map(String::from).into();
    assert_eq!(drifted(&diff), expected, "{diff:#}");
    let x = diff[0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "x")
        .unwrap();
    assert_eq!(x["basis"], "numeric");
    assert!(
        close(&x["a"]["mean"], 49.5, 1e-9) && close(&x["b"]["mean"], 79.5, 1e-9),
        "{x:#}"
    );
    // A shift of 30 over a spread of about 28.9: a Wasserstein distance near 1.04.
    assert!(
        close(&x["scores"]["wasserstein"], 30.0 / 28.866, 0.05),
        "{x:#}"
    );
    let label = diff[0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "label")
        .unwrap();
    assert_eq!(label["basis"], "categorical");
    // Shares (1/3, 1/3, 1/3) → (0.9, 0.1, 0): the largest change is c's or a's.
    assert!(
        close(&label["scores"]["linf"], 0.9 - 1.0 / 3.0, 1e-3),
        "{label:#}"
    );

    let human = repo.kiln(["diff", "--stats", "v1", "HEAD"]).ok().stdout;
    assert!(
        human.contains("data/t.csv (schemas/t.yaml): v1 → HEAD"),
        "{human}"
    );
    let flagged: Vec<&str> = human.lines().filter(|l| l.contains("DRIFT")).collect();
    assert_eq!(flagged.len(), 2, "{human}");
    assert!(flagged.iter().any(|l| l.contains(" x ")), "{human}");

    // The workspace against HEAD: the same version, no drift.
    let same = repo.kiln(["diff", "--stats", "--json"]).ok().json();
    assert!(drifted(&same).is_empty(), "{same:#}");

    // A teammate's clone with no data: the versions come from the remote.
    let clone = repo.clone_of();
    let theirs = clone
        .kiln(["diff", "--stats", "HEAD~1", "HEAD", "--json"])
        .ok()
        .json();
    assert_eq!(drifted(&theirs), expected);
}

#[test]
fn profiles_travel_with_the_results() {
    let repo = Repo::new();
    let _remote = two_versions(&repo);
    // Profiles of both versions, computed here and pushed with the results.
    repo.kiln(["diff", "--stats", "v1", "HEAD"]).ok();
    repo.kiln(["push", "--results"]).ok();
    let clone = repo.clone_of();
    clone.kiln(["fetch", "--results"]).ok();
    let theirs = clone
        .kiln(["diff", "--stats", "HEAD~1", "HEAD", "--json"])
        .ok()
        .json();
    assert_eq!(drifted(&theirs), ["label", "x"].map(String::from).into());
    // Answered from the profiles alone: no data was fetched.
    assert!(
        clone.store_objects().is_empty(),
        "{:?}",
        clone.store_objects()
    );
}

#[test]
fn drift_rules_are_findings_of_a_check() {
    let repo = Repo::new();
    let _remote = two_versions(&repo);
    let rules = format!(
        "{SCHEMA}drift:\n  baseline: v1\n  scores: {{wasserstein: 0.2, jensenShannon: 0.2}}\n  rows: 0.5\n  fields:\n    note: {{}}\n"
    );
    repo.write("schemas/t.yaml", &rules);
    let run = repo.kiln(["check", "--json"]).code(1);
    let file = &run.json()["files"][0];
    let codes: BTreeSet<(String, String)> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["field"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("drift/jensen-shannon", "label"),
        ("drift/wasserstein", "x"),
    ]
    .map(|(c, f)| (c.to_string(), f.to_string()))
    .into();
    assert_eq!(codes, expected, "{file:#}");
    let passed: Vec<&str> = file["passed"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert!(passed.contains(&"drift/rows"), "{passed:?}");

    let junit = repo.kiln(["check", "--format", "junit"]).code(1).stdout;
    assert!(junit.contains("drift/wasserstein"), "{junit}");

    // As warnings the data stays valid.
    repo.write("schemas/t.yaml", format!("{rules}  severity: warn\n"));
    let run = repo.kiln(["check", "--format", "github"]).ok();
    assert!(
        run.stdout
            .contains("::warning file=data/t.csv,title=kiln drift/wasserstein"),
        "{}",
        run.stdout
    );

    // `previous`: the workspace holds HEAD's version, so the one before it.
    repo.write(
        "schemas/t.yaml",
        format!("{SCHEMA}drift:\n  baseline: previous\n"),
    );
    let run = repo.kiln(["check"]).code(1);
    assert!(run.stdout.contains("(previous version)"), "{}", run.stdout);
    assert!(run.stdout.contains("drift/wasserstein"), "{}", run.stdout);

    // A first version has nothing to drift from.
    let first = Repo::new();
    first.write("schemas/t.yaml", format!("{SCHEMA}drift: {{}}\n"));
    first.write("data/t.csv", table(0.0, false));
    first
        .kiln(["add", "data/t.csv", "--schema", "schemas/t.yaml"])
        .ok();
    let file = &first.kiln(["check", "--json"]).ok().json()["files"][0];
    let reasons = file["notChecked"].to_string();
    assert!(reasons.contains("no earlier version"), "{file:#}");
}

#[test]
fn the_pre_commit_hook_blocks_drift() {
    let repo = Repo::new();
    repo.kiln(["hooks", "install"]).ok();
    repo.write(
        "schemas/t.yaml",
        format!("{SCHEMA}drift: {{baseline: previous}}\n"),
    );
    repo.write("data/t.csv", table(0.0, false));
    repo.kiln(["add", "data/t.csv", "--schema", "schemas/t.yaml"])
        .ok();
    repo.commit("v1");
    repo.write("data/t.csv", table(30.0, false));
    repo.kiln(["add", "data/t.csv"]).ok();
    repo.git(["add", "-A"]);
    let (ok, text) = repo.git_try(&["commit", "-q", "-m", "v2"]);
    assert!(!ok, "a drifted version was committed:\n{text}");
    assert!(text.contains("drift/wasserstein"), "{text}");
}

#[test]
fn hostile_rules_and_profiles_are_errors_not_panics() {
    let repo = Repo::new();
    let _remote = two_versions(&repo);
    repo.write(
        "schemas/t.yaml",
        format!("{SCHEMA}drift: {{scores: {{wasserstien: 0.1}}}}\n"),
    );
    let run = repo.kiln(["check"]).fails();
    assert!(
        run.stderr.contains("unknown score `wasserstien`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("wasserstein"), "{}", run.stderr);
    repo.write(
        "schemas/t.yaml",
        format!("{SCHEMA}drift: {{fields: {{nope: {{psi: 1}}}}}}\n"),
    );
    repo.kiln(["check"]).fails();
    repo.write(
        "schemas/t.yaml",
        format!("{SCHEMA}drift: {{baseline: no-such-tag}}\n"),
    );
    let run = repo.kiln(["check"]).fails();
    assert!(run.stderr.contains("no-such-tag"), "{}", run.stderr);

    // A version kiln cannot read: named as the user knows it.
    let broken = Repo::new();
    broken.write("schemas/t.yaml", SCHEMA);
    broken.write("data/t.csv", table(0.0, false));
    broken
        .kiln(["add", "data/t.csv", "--schema", "schemas/t.yaml"])
        .ok();
    broken.commit("v1");
    broken.write("data/t.csv", "id,x,label,note\n1,\"unclosed\n");
    broken.kiln(["add", "data/t.csv", "--no-check"]).ok();
    broken.commit("v2");
    let run = broken.kiln(["diff", "--stats", "HEAD~1", "HEAD"]).fails();
    assert!(
        run.stderr.contains("data/t.csv at HEAD: kiln cannot read"),
        "{}",
        run.stderr
    );

    // Damaged profiles in the cache: nonsense figures, never a panic.
    repo.write("schemas/t.yaml", SCHEMA);
    repo.kiln(["diff", "--stats", "v1", "HEAD"]).ok();
    let damaged = r#"{"rows":18446744073709551615,"columns":[{"name":"x","dtype":"f64","nulls":18446744073709551615,
        "summary":{"values":{"moments":{"n":18446744073709551615,"mean":1e308,"m2":-5,"min":5,"max":1},
        "centroids":[[1e308,1e308],[-1e308,0],[3,-1],[2,1e308]]},
        "categories":{"a":18446744073709551615,"b":18446744073709551615}}}]}"#;
    let mut count = 0;
    for entry in walk(&repo.path(".kiln/state")) {
        if entry.extension().is_some_and(|e| e == "profile") {
            std::fs::write(&entry, damaged).unwrap();
            count += 1;
        }
    }
    assert!(count >= 2, "profiles kept: {count}");
    let run = repo.kiln([
        "diff", "--stats", "v1", "HEAD", "--json", "--html", "d.html",
    ]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Pixels of a colour drawn with the charts' opacity over white, give or take.
fn count_near(pixels: &[[u8; 3]], colour: [u8; 3]) -> usize {
    let over_white = colour.map(|c| (0.55 * f64::from(c) + 0.45 * 255.0).round() as i32);
    pixels
        .iter()
        .filter(|p| (0..3).all(|i| (i32::from(p[i]) - over_white[i]).abs() <= 6))
        .count()
}

#[test]
fn html_reports_are_self_contained_and_render_their_charts() {
    let repo = Repo::new();
    let _remote = two_versions(&repo);
    repo.write(
        "schemas/t.yaml",
        format!("{SCHEMA}drift: {{baseline: v1, severity: warn}}\n"),
    );
    repo.kiln(["check", "--html", "check.html"]).ok();
    repo.kiln(["diff", "--stats", "v1", "HEAD", "--html", "diff.html"])
        .ok();
    for page in ["check.html", "diff.html"] {
        let html = repo.read_string(page);
        assert!(html.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(html.matches("<svg").count() >= 4, "{page}");
        // Nothing to fetch: no scripts, no linked files.
        for fetches in ["<script", "src=", "<link", "@import", "url("] {
            assert!(!html.contains(fetches), "{page} holds {fetches}");
        }
        assert!(
            html.contains("drift/wasserstein") || page == "diff.html",
            "{page}"
        );
    }
    let Some(chromium) = support::chromium() else {
        return;
    };
    for page in ["check.html", "diff.html"] {
        let shot = repo.path(&format!("{page}.png"));
        let out = std::process::Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=1200,2400",
            ])
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", repo.path(page).display()))
            .env("HOME", repo.root())
            .output()
            .unwrap();
        assert!(
            shot.is_file(),
            "no screenshot of {page}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pixels = support::png_pixels(&std::fs::read(&shot).unwrap());
        // Both versions' bars are on the page, drawn over each other.
        let (blue, orange) = (
            count_near(&pixels, [31, 119, 180]),
            count_near(&pixels, [255, 127, 14]),
        );
        assert!(
            blue > 2000 && orange > 2000,
            "{page}: {blue} blue and {orange} orange pixels"
        );
    }
}
