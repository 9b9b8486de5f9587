//! Lineage: `kiln run`, run records, `kiln lineage`, staleness, `kiln repro`,
//! and OpenLineage export and delivery.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Repo, pointer_field};

const CLEAN: &str = "\
import sys
rows = open(sys.argv[1]).read().splitlines()
out = [rows[0]] + [r for r in rows[1:] if r.split(',')[1] != '']
open(sys.argv[2], 'w').write('\\n'.join(out) + '\\n')
";

const FEATURES: &str = "\
import sys
rows = open(sys.argv[1]).read().splitlines()[1:]
total = sum(int(r.split(',')[1]) for r in rows)
open(sys.argv[2], 'w').write('rows,total\\n%d,%d\\n' % (len(rows), total))
";

/// A repository with raw data and the two scripts committed.
fn pipeline_repo() -> Repo {
    let repo = Repo::new();
    repo.write("data/raw.csv", "id,value\n1,10\n2,\n3,30\n");
    repo.write("src/clean.py", CLEAN);
    repo.write("src/features.py", FEATURES);
    repo.kiln(["add", "data/raw.csv"]).ok();
    repo.commit("raw data and code");
    repo
}

fn run_clean(repo: &Repo) -> crate::support::Run {
    repo.kiln([
        "run",
        "-n",
        "clean",
        "-d",
        "data/raw.csv",
        "-d",
        "src/clean.py",
        "-o",
        "data/clean.csv",
        "--",
        "python3",
        "src/clean.py",
        "data/raw.csv",
        "data/clean.csv",
    ])
}

fn run_features(repo: &Repo) -> crate::support::Run {
    repo.kiln([
        "run",
        "-n",
        "features",
        "-d",
        "data/clean.csv",
        "-d",
        "src/features.py",
        "-o",
        "data/features.csv",
        "--",
        "python3",
        "src/features.py",
        "data/clean.csv",
        "data/features.csv",
    ])
}

/// The value of `key: value` under a pointer's `origin:`.
fn origin_field(pointer: &str, key: &str) -> Option<String> {
    let origin = pointer.split("\norigin:\n").nth(1)?;
    origin.lines().find_map(|l| {
        l.trim()
            .strip_prefix(&format!("{key}: "))
            .map(str::to_string)
    })
}

/// The run records, oldest first.
fn records(repo: &Repo) -> Vec<Value> {
    let dir = repo.path(".kiln/runs");
    let mut names: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(d) => d.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

#[test]
fn pipeline_lineage_staleness_and_repro() {
    let repo = pipeline_repo();
    let code_commit = repo.git(["rev-parse", "HEAD"]).trim().to_string();
    run_clean(&repo).ok();
    run_features(&repo).ok();
    assert_eq!(repo.read_string("data/clean.csv"), "id,value\n1,10\n3,30\n");
    assert_eq!(repo.read_string("data/features.csv"), "rows,total\n2,40\n");

    // Records: one per run, with inputs and outputs by id and the code context.
    let recs = records(&repo);
    assert_eq!(recs.len(), 2);
    let clean = &recs[0];
    assert_eq!(clean["kiln_run"], 1);
    assert_eq!(clean["name"], "clean");
    assert_eq!(clean["status"], "complete");
    assert_eq!(clean["exit_code"], 0);
    assert_eq!(clean["argv"][0], "python3");
    assert_eq!(clean["code"]["commit"], code_commit.as_str());
    assert_eq!(clean["code"]["branch"], "main");
    assert_eq!(clean["code"]["dirty"], false);
    assert!(clean["code"]["tree"].is_string());
    assert_eq!(clean["deps"][0]["path"], "data/raw.csv");
    assert_eq!(clean["deps"][0]["tracked"], true);
    assert_eq!(clean["deps"][1]["path"], "src/clean.py");
    assert_eq!(clean["deps"][1]["tracked"], false);
    assert_eq!(clean["outputs"][0]["rows"], 2);
    assert!(clean["started"].as_str().unwrap() <= clean["ended"].as_str().unwrap());
    let raw_id = pointer_field(&repo.read_string("data/raw.csv.kiln"), "id").unwrap();
    assert_eq!(clean["deps"][0]["id"], raw_id.as_str());
    // The output pointer names the run.
    let clean_ptr = repo.read_string("data/clean.csv.kiln");
    let clean_run = clean["id"].as_str().unwrap();
    assert_eq!(origin_field(&clean_ptr, "run").as_deref(), Some(clean_run));
    assert_eq!(
        clean["outputs"][0]["id"],
        pointer_field(&clean_ptr, "id").unwrap().as_str()
    );
    // Records are committed with the pointers; the run changed no code.
    repo.kiln(["status"]).ok();
    let run_commit = repo.commit("run the pipeline");

    // Lineage walks back from the features through both runs to the raw data.
    let tree = repo.kiln(["lineage", "data/features.csv"]).ok().stdout;
    let short = &code_commit[..7];
    for want in [
        "data/features.csv",
        "run features",
        "data/clean.csv",
        "run clean",
        "data/raw.csv",
        "src/clean.py  ",
    ] {
        assert!(tree.contains(want), "{want} missing:\n{tree}");
    }
    assert!(tree.contains(&format!("at commit {short}")), "{tree}");
    assert!(!tree.contains("STALE"), "{tree}");
    assert!(
        tree.find("run features").unwrap() < tree.find("run clean").unwrap(),
        "{tree}"
    );
    let down = repo.kiln(["lineage", "data/raw.csv", "--down"]).ok().stdout;
    assert!(
        down.contains("derived:") && down.contains("data/features.csv"),
        "{down}"
    );
    let one = repo
        .kiln(["lineage", "data/features.csv", "--up", "--depth", "1"])
        .ok()
        .stdout;
    assert!(
        one.contains("data/clean.csv") && !one.contains("run clean"),
        "{one}"
    );

    let g = repo
        .kiln(["lineage", "data/features.csv", "--format", "json"])
        .ok()
        .json();
    let nodes = g["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 7, "{g:#}");
    assert_eq!(g["edges"].as_array().unwrap().len(), 6);
    assert_eq!(
        nodes[g["root"].as_u64().unwrap() as usize]["path"],
        "data/features.csv"
    );
    let runs: Vec<&Value> = nodes.iter().filter(|n| n["type"] == "run").collect();
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter()
            .all(|r| r["commit"] == code_commit.as_str() && r["dirty"] == false)
    );
    // The raw input is found again in git history by its id.
    let raw = nodes.iter().find(|n| n["path"] == "data/raw.csv").unwrap();
    assert_eq!(raw["id"], raw_id.as_str());
    assert_eq!(raw["committed"], true);

    let dot = repo
        .kiln(["lineage", "data/features.csv", "--format", "dot"])
        .ok()
        .stdout;
    assert!(
        dot.starts_with("digraph lineage {") && dot.contains(" -> "),
        "{dot}"
    );
    let mermaid = repo
        .kiln(["lineage", "data/features.csv", "--format", "mermaid"])
        .ok()
        .stdout;
    assert!(
        mermaid.starts_with("flowchart LR") && mermaid.contains(" --> "),
        "{mermaid}"
    );

    // New raw data: both outputs are stale, the second because of the first.
    repo.write("data/raw.csv", "id,value\n1,10\n2,20\n3,\n4,40\n");
    repo.kiln(["add", "data/raw.csv"]).ok();
    let status = repo.kiln(["status"]).ok().stdout;
    assert!(
        status.contains("stale:       data/clean.csv (run clean: data/raw.csv changed)"),
        "{status}"
    );
    assert!(
        status.contains("stale:       data/features.csv (run features: data/clean.csv is stale)"),
        "{status}"
    );
    // The JSON status keeps its shape; scripts ask lineage for stale outputs.
    assert!(repo.kiln(["status", "--json"]).ok().json().is_array());
    let stale = repo
        .kiln(["lineage", "--stale", "--format", "json"])
        .ok()
        .json();
    let stale_paths: Vec<&str> = stale
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(stale_paths, ["data/clean.csv", "data/features.csv"]);
    let tree = repo.kiln(["lineage", "data/features.csv"]).ok().stdout;
    assert!(tree.contains("STALE: data/clean.csv is stale"), "{tree}");
    assert!(tree.contains("STALE: data/raw.csv changed"), "{tree}");

    // repro re-runs both, in order.
    let plan = repo.kiln(["repro", "--dry-run"]).ok().stdout;
    let lines: Vec<&str> = plan.lines().collect();
    assert_eq!(lines.len(), 2, "{plan}");
    assert!(lines[0].starts_with("clean → data/clean.csv"), "{plan}");
    assert!(
        lines[1].starts_with("features → data/features.csv"),
        "{plan}"
    );
    let run = repo.kiln(["repro", "data/features.csv"]).ok();
    assert!(
        run.stderr.find("re-running clean").unwrap()
            < run.stderr.find("re-running features").unwrap(),
        "{}",
        run.stderr
    );
    assert_eq!(records(&repo).len(), 4);

    // The outputs match a manual run of the same commands.
    let manual = tempfile::tempdir().unwrap();
    let (mc, mf) = (
        manual.path().join("clean.csv"),
        manual.path().join("features.csv"),
    );
    let py = |script: &str, input: &Path, output: &Path| {
        let ok = Command::new("python3")
            .arg(repo.path(script))
            .arg(input)
            .arg(output)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    py("src/clean.py", &repo.path("data/raw.csv"), &mc);
    py("src/features.py", &mc, &mf);
    assert_eq!(repo.read("data/clean.csv"), std::fs::read(&mc).unwrap());
    assert_eq!(repo.read("data/features.csv"), std::fs::read(&mf).unwrap());
    assert_eq!(repo.read_string("data/features.csv"), "rows,total\n3,70\n");

    let status = repo.kiln(["status"]).ok().stdout;
    assert!(!status.contains("stale"), "{status}");
    assert!(repo.kiln(["repro"]).ok().stderr.contains("up to date"));
    // The new runs ran at the commit that recorded the first ones.
    let recs = records(&repo);
    assert_eq!(recs[2]["code"]["commit"], run_commit.as_str());
    assert_eq!(recs[3]["deps"][0]["id"], recs[2]["outputs"][0]["id"]);
}

#[test]
fn a_failed_command_is_recorded_and_changes_no_pointer() {
    let repo = pipeline_repo();
    run_clean(&repo).ok();
    let before = repo.read_string("data/clean.csv.kiln");
    let run = repo
        .kiln([
            "run",
            "-n",
            "clean",
            "-d",
            "data/raw.csv",
            "-o",
            "data/clean.csv",
            "--shell",
            "--",
            "echo partial > data/clean.csv; exit 3",
        ])
        .fails()
        .code(1);
    assert!(
        run.stderr.contains("exit status 3") && run.stderr.contains("FAIL"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.read_string("data/clean.csv.kiln"), before);
    let recs = records(&repo);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1]["status"], "fail");
    assert_eq!(recs[1]["exit_code"], 3);
    assert!(recs[1]["outputs"][0].get("id").is_none(), "{:#}", recs[1]);
    // The failed run made nothing, so lineage still names the first.
    let tree = repo.kiln(["lineage", "data/clean.csv"]).ok().stdout;
    assert!(
        tree.contains(&recs[0]["id"].as_str().unwrap()[28..]),
        "{tree}"
    );
    // A command that cannot start is an error, and nothing is recorded.
    repo.kiln(["run", "-o", "out.txt", "--", "no-such-program-kiln"])
        .fails();
    assert_eq!(records(&repo).len(), 2);
}

#[test]
fn a_dirty_worktree_is_flagged_and_strict_refuses() {
    let repo = pipeline_repo();
    repo.write("src/clean.py", format!("{CLEAN}# tweak\n"));
    let run = repo
        .kiln([
            "run",
            "--strict",
            "-d",
            "data/raw.csv",
            "-o",
            "data/clean.csv",
            "--",
            "python3",
            "src/clean.py",
            "data/raw.csv",
            "data/clean.csv",
        ])
        .fails();
    assert!(run.stderr.contains("--strict"), "{}", run.stderr);
    assert!(!repo.exists("data/clean.csv"));
    assert!(records(&repo).is_empty());
    let run = run_clean(&repo).ok();
    assert!(run.stderr.contains("dirty"), "{}", run.stderr);
    assert_eq!(records(&repo)[0]["code"]["dirty"], true);
    assert_eq!(
        origin_field(&repo.read_string("data/clean.csv.kiln"), "dirty").as_deref(),
        Some("true")
    );
    assert!(
        repo.kiln(["lineage", "data/clean.csv"])
            .ok()
            .stdout
            .contains("(dirty)")
    );
    // kiln's own files and the declared outputs never make the code dirty.
    repo.git(["checkout", "src/clean.py"]);
    repo.commit("records");
    repo.write("data/raw.csv", "id,value\n5,50\n");
    repo.kiln(["add", "data/raw.csv"]).ok();
    run_clean(&repo).ok();
    assert_eq!(records(&repo)[1]["code"]["dirty"], false);
}

#[test]
fn code_context_without_commits_detached_and_without_git() {
    let repo = Repo::new();
    repo.write("in.txt", "x");
    repo.kiln([
        "run", "-d", "in.txt", "-o", "out.txt", "--", "cp", "in.txt", "out.txt",
    ])
    .ok();
    let code = &records(&repo)[0]["code"];
    assert!(
        code.get("commit").is_none() && code.get("tree").is_none(),
        "{code}"
    );
    assert_eq!(code["branch"], "main");

    let first = repo.commit("first");
    repo.git(["checkout", "-q", "--detach"]);
    repo.kiln([
        "run", "-d", "in.txt", "-o", "out2.txt", "--", "cp", "in.txt", "out2.txt",
    ])
    .ok();
    let code = &records(&repo)[1]["code"];
    assert_eq!(code["commit"], first.as_str());
    assert!(code.get("branch").is_none(), "{code}");

    let plain = tempfile::tempdir().unwrap();
    let kiln = |args: &[&str]| {
        let out = Command::new(crate::support::KILN)
            .args(args)
            .current_dir(plain.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", plain.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::write(plain.path().join("in.txt"), "y").unwrap();
    kiln(&["init", "--no-scm"]);
    kiln(&[
        "run", "-n", "copy", "-d", "in.txt", "-o", "out.txt", "--", "cp", "in.txt", "out.txt",
    ]);
    let dir = plain.path().join(".kiln/runs");
    let rec = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let rec: Value = serde_json::from_str(&std::fs::read_to_string(rec).unwrap()).unwrap();
    assert!(rec.get("code").is_none(), "{rec:#}");
    assert_eq!(rec["outputs"][0]["path"], "out.txt");
}

#[test]
fn a_dependency_that_changes_during_the_run_is_refused() {
    let repo = pipeline_repo();
    let run = repo
        .kiln([
            "run",
            "-d",
            "data/raw.csv",
            "-o",
            "out.csv",
            "--shell",
            "--",
            "cp data/raw.csv out.csv; echo more >> data/raw.csv",
        ])
        .fails();
    assert!(
        run.stderr.contains("data/raw.csv: dependency changed"),
        "{}",
        run.stderr
    );
    assert!(!repo.exists("out.csv.kiln"));
    assert!(records(&repo).is_empty());
    // Outputs must not also be inputs, and inputs must exist.
    repo.kiln([
        "run",
        "-d",
        "data/raw.csv",
        "-o",
        "data/raw.csv",
        "--",
        "true",
    ])
    .fails();
    let run = repo
        .kiln(["run", "-d", "nope.csv", "-o", "x", "--", "true"])
        .fails();
    assert!(
        run.stderr.contains("nope.csv: dependency not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_malformed_run_record_is_a_clear_error() {
    let repo = pipeline_repo();
    run_clean(&repo).ok();
    repo.write(
        ".kiln/runs/01900000-0000-7000-8000-000000000000.json",
        "{ not json",
    );
    let run = repo.kiln(["lineage", "data/clean.csv"]).fails();
    assert!(
        run.stderr
            .contains("01900000-0000-7000-8000-000000000000.json: not a valid run record"),
        "{}",
        run.stderr
    );
    repo.write(
        ".kiln/runs/01900000-0000-7000-8000-000000000000.json",
        r#"{"kiln_run": 99}"#,
    );
    let run = repo.kiln(["status"]).fails();
    assert!(
        run.stderr.contains("newer than this kiln reads"),
        "{}",
        run.stderr
    );
}

/// Validates NDJSON events with the openlineage-python client, run by the
/// Python that `scripts/test.sh` sets up and names in `KILN_TEST_PYTHON`.
pub(crate) fn validate_events(ndjson: &Path) -> Result<usize, String> {
    let python = std::env::var_os("KILN_TEST_PYTHON").expect(
        "KILN_TEST_PYTHON is not set: the OpenLineage check needs a Python with \
         openlineage-python installed; run scripts/test.sh",
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openlineage/validate.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(ndjson)
        .output()
        .unwrap_or_else(|e| panic!("{python:?} runs ({e}): run scripts/test.sh"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A verdict is a count, or one line naming an invalid event; anything
    // else (a traceback, a missing module) is the check itself failing.
    match (out.status.code(), stdout.trim().parse::<usize>()) {
        (Some(0), Ok(count)) => Ok(count),
        (Some(1), _) if stdout.starts_with("event on line ") => Err(stdout.trim().to_string()),
        _ => panic!("validate.py failed ({}): {stdout}{stderr}", out.status),
    }
}

#[test]
fn openlineage_export_validates_against_the_spec() {
    if !crate::support::python_up("openlineage_export_validates_against_the_spec") {
        return;
    }
    let repo = pipeline_repo();
    repo.write(
        "schemas/clean.yaml",
        "fields:\n  - name: id\n    type: integer\n  - name: value\n    type: integer\n",
    );
    run_clean(&repo).ok();
    repo.kiln(["add", "data/clean.csv", "--schema", "schemas/clean.yaml"])
        .ok();
    run_features(&repo).ok();
    repo.kiln([
        "run",
        "-n",
        "broken",
        "-d",
        "data/raw.csv",
        "-o",
        "x.csv",
        "--",
        "false",
    ])
    .code(1);
    repo.kiln(["lineage", "export", "--openlineage", "-o", "events.ndjson"])
        .ok();
    let text = repo.read_string("events.ndjson");
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 6);
    assert_eq!(validate_events(&repo.path("events.ndjson")), Ok(6));

    let recs = records(&repo);
    for (i, rec) in recs.iter().enumerate() {
        let (start, end) = (&events[2 * i], &events[2 * i + 1]);
        assert_eq!(start["eventType"], "START");
        assert_eq!(start["run"]["runId"], rec["id"]);
        assert_eq!(end["run"]["runId"], rec["id"]);
        assert_eq!(start["eventTime"], rec["started"]);
        assert_eq!(end["eventTime"], rec["ended"]);
        assert_eq!(
            start["schemaURL"],
            "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
        );
        assert!(start["producer"].as_str().unwrap().starts_with("https://"));
        assert_eq!(start["job"]["name"], rec["name"]);
    }
    assert_eq!(events[1]["eventType"], "COMPLETE");
    assert_eq!(events[5]["eventType"], "FAIL");
    let clean_end = &events[1];
    let code = &clean_end["job"]["facets"]["sourceCodeLocation"];
    assert_eq!(code["type"], "git");
    assert_eq!(code["version"], recs[0]["code"]["commit"]);
    let engine = &clean_end["run"]["facets"]["processing_engine"];
    assert_eq!(engine["name"], "kiln");
    let input = &clean_end["inputs"][0];
    assert!(input["namespace"].as_str().unwrap().starts_with("kiln://"));
    assert_eq!(input["name"], "data/raw.csv");
    assert_eq!(
        input["facets"]["version"]["datasetVersion"],
        recs[0]["deps"][0]["id"]
    );
    // data/clean.csv was checked against its schema when it was added: the
    // run that read it carries that check as data-quality assertions.
    let checked = events[3]["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "data/clean.csv")
        .expect("features reads data/clean.csv");
    let assertions = checked["inputFacets"]["dataQualityAssertions"]["assertions"]
        .as_array()
        .expect("assertions from the last check");
    assert!(!assertions.is_empty());
    assert!(
        assertions.iter().all(|a| a["success"] == true),
        "{assertions:?}"
    );
    assert!(
        assertions
            .iter()
            .any(|a| a["assertion"] == "cell/type" && a["column"] == "id"),
        "{assertions:?}"
    );
    let output = &clean_end["outputs"][0];
    assert_eq!(
        output["facets"]["version"]["datasetVersion"],
        recs[0]["outputs"][0]["id"]
    );
    assert_eq!(
        output["facets"]["schema"]["fields"][0],
        serde_json::json!({"name": "id", "type": "integer"})
    );
    assert_eq!(output["outputFacets"]["outputStatistics"]["rowCount"], 2);
    assert_eq!(
        output["outputFacets"]["outputStatistics"]["size"],
        recs[0]["outputs"][0]["size"]
    );
    for e in &events {
        for f in [
            &e["run"]["facets"]["processing_engine"],
            &e["job"]["facets"]["sourceCodeLocation"],
        ] {
            let url = f["_schemaURL"].as_str().unwrap();
            assert!(
                url.starts_with("https://openlineage.io/spec/facets/")
                    && url.contains(".json#/$defs/"),
                "{url}"
            );
        }
    }

    // The check has teeth: broken events are rejected, each with a reason.
    type Breakage = fn(&mut Value);
    let broken: [(Breakage, &[&str]); 4] = [
        (
            |e| {
                e.as_object_mut().unwrap().remove("producer");
            },
            &["producer", "missing"],
        ),
        (
            |e| e["run"]["runId"] = "not-a-uuid".into(),
            &["runId", "not-a-uuid"],
        ),
        (
            |e| e["run"]["facets"]["no_such_facet"] = serde_json::json!({}),
            &["no_such_facet"],
        ),
        (
            |e| e["job"]["facets"]["sourceCodeLocation"]["commit"] = "abc".into(),
            &["sourceCodeLocation", "commit"],
        ),
    ];
    for (n, (breakage, expected)) in broken.iter().enumerate() {
        let mut bad = events[0].clone();
        breakage(&mut bad);
        let name = format!("bad{n}.ndjson");
        repo.write(&name, serde_json::to_string(&bad).unwrap());
        let err = validate_events(&repo.path(&name)).unwrap_err();
        assert!(expected.iter().all(|s| err.contains(s)), "{err}");
    }
    // Stdout is the default destination.
    assert_eq!(
        repo.kiln(["lineage", "export", "--openlineage"])
            .ok()
            .stdout,
        text
    );
}

/// A minimal OpenLineage collector on loopback: answers 200 to each POST and
/// keeps the bodies in order. It stops by itself after `lifetime`.
struct Collector {
    url: String,
    events: Arc<Mutex<Vec<Value>>>,
}

impl Collector {
    fn start(lifetime: Duration) -> Collector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        std::thread::spawn(move || {
            let until = Instant::now() + lifetime;
            while Instant::now() < until {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &sink),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Collector { url, events }
    }

    fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }
}

/// Serves the requests of one connection (kept alive between requests).
fn serve(stream: TcpStream, sink: &Mutex<Vec<Value>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    for _ in 0..100 {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        assert!(
            request_line.starts_with("POST /api/v1/lineage "),
            "{request_line}"
        );
        sink.lock()
            .unwrap()
            .push(serde_json::from_slice(&body).unwrap());
        writer
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .unwrap();
    }
}

fn wait_for(collector: &Collector, n: usize) -> Vec<Value> {
    let until = Instant::now() + Duration::from_secs(10);
    while collector.events().len() < n && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    collector.events()
}

#[test]
fn runs_post_their_events_and_spool_them_while_the_collector_is_down() {
    if !crate::support::python_up(
        "runs_post_their_events_and_spool_them_while_the_collector_is_down",
    ) {
        return;
    }
    let repo = pipeline_repo();
    let collector = Collector::start(Duration::from_secs(60));
    std::fs::OpenOptions::new()
        .append(true)
        .open(repo.path(".kiln/config.toml"))
        .unwrap()
        .write_all(format!("\n[openlineage]\nurl = \"{}\"\n", collector.url).as_bytes())
        .unwrap();
    run_clean(&repo).ok();
    let got = wait_for(&collector, 2);
    let recs = records(&repo);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0]["eventType"], "START");
    assert_eq!(got[1]["eventType"], "COMPLETE");
    assert!(got.iter().all(|e| e["run"]["runId"] == recs[0]["id"]));

    // A collector that is down: the run succeeds and keeps its events.
    let down = TcpListener::bind("127.0.0.1:0").unwrap();
    let down_url = format!("http://{}", down.local_addr().unwrap());
    drop(down);
    let run = repo.kiln_env(
        [
            "run",
            "-n",
            "features",
            "-d",
            "data/clean.csv",
            "-o",
            "data/features.csv",
            "--",
            "python3",
            "src/features.py",
            "data/clean.csv",
            "data/features.csv",
        ],
        &[("OPENLINEAGE_URL", down_url.as_str())],
    );
    let run = run.ok();
    assert!(
        run.stderr.contains("warning: OpenLineage collector")
            && run.stderr.contains("2 events kept"),
        "{}",
        run.stderr
    );
    assert!(repo.exists("data/features.csv.kiln"));
    assert_eq!(
        repo.read_string(".kiln/state/openlineage-spool.ndjson")
            .lines()
            .count(),
        2
    );

    // The next run delivers the backlog first, in order.
    repo.write("data/raw.csv", "id,value\n7,70\n");
    run_clean(&repo).ok();
    let got = wait_for(&collector, 6);
    let recs = records(&repo);
    let seen: Vec<(String, String)> = got
        .iter()
        .map(|e| {
            (
                e["eventType"].as_str().unwrap().to_string(),
                e["run"]["runId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let id = |i: usize| recs[i]["id"].as_str().unwrap().to_string();
    let want = [
        ("START", id(0)),
        ("COMPLETE", id(0)),
        ("START", id(1)),
        ("COMPLETE", id(1)),
        ("START", id(2)),
        ("COMPLETE", id(2)),
    ]
    .map(|(k, v)| (k.to_string(), v));
    assert_eq!(seen, want);
    assert!(!repo.exists(".kiln/state/openlineage-spool.ndjson"));
    // The posted events are valid OpenLineage too.
    let posted: String = got
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    repo.write("posted.ndjson", &posted);
    assert_eq!(validate_events(&repo.path("posted.ndjson")), Ok(6));

    // A run kiln refuses after its START went out ends with ABORT.
    repo.kiln([
        "run",
        "-d",
        "data/raw.csv",
        "-o",
        "out.csv",
        "--shell",
        "--",
        "cp data/raw.csv out.csv; echo more >> data/raw.csv",
    ])
    .fails();
    let got = wait_for(&collector, 8);
    assert_eq!(got.len(), 8);
    assert_eq!(
        (&got[6]["eventType"], &got[7]["eventType"]),
        (&"START".into(), &"ABORT".into())
    );
    assert_eq!(got[6]["run"]["runId"], got[7]["run"]["runId"]);
    assert_eq!(records(&repo).len(), 3);
}
