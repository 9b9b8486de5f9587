//! A folder (or the files a glob binds) checked as one table: table-level
//! checks across shards, findings naming the shard and row, compressed
//! shards, and re-checks that read only what changed.

use serde_json::Value;

use crate::support::{Repo, fixtures};

const SCHEMA: &str = "\
fields:
  - {name: id, type: integer, constraints: {required: true}}
  - {name: text, type: string, constraints: {unique: true}}
  - {name: n, type: integer, constraints: {minimum: 0}}
primaryKey: [id]
rows: {max: 6}
";

fn zst(text: &str) -> Vec<u8> {
    zstd::encode_all(text.as_bytes(), 3).unwrap()
}

fn gz(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

/// Four shards in four forms; ids 2 and 1 repeat across shards, the text
/// `hello` too, one `n` is negative, and 7 rows exceed the bound of 6.
fn corpus(repo: &Repo) {
    repo.write("s.yaml", SCHEMA);
    repo.write(
        "data/corpus/a.csv",
        "id,text,n\n1,hello,1\n2,world,2\n3,foo,-1\n",
    );
    repo.write(
        "data/corpus/b.csv.gz",
        gz("id,text,n\n4,bar,1\n2,hello,2\n"),
    );
    repo.write(
        "data/corpus/c.jsonl.zst",
        zst("{\"id\":5,\"text\":\"baz\",\"n\":3}\n{\"id\":1,\"text\":\"qux\",\"n\":3}\n"),
    );
    // JSON lines under `.json`, compressed: read as lines.
    repo.write(
        "data/corpus/d.json.zst",
        zst("{\"id\":6,\"text\":\"last\",\"n\":0}\n"),
    );
}

/// A repository tracking the corpus, not yet checked.
fn added_corpus() -> Repo {
    let repo = Repo::new();
    corpus(&repo);
    repo.kiln(["add", "data/corpus", "--schema", "s.yaml", "--no-check"])
        .ok();
    repo
}

fn files(report: &Value) -> &Vec<Value> {
    report["files"].as_array().expect("files")
}

fn finding<'a>(file: &'a Value, code: &str, field: Option<&str>) -> &'a Value {
    file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code && f["field"].as_str() == field)
        .unwrap_or_else(|| panic!("no {code} {field:?} in {file:#}"))
}

/// A sample as (shard, row, first shard, first row).
type Pair = (String, u64, String, u64);

fn pairs(f: &Value) -> Vec<Pair> {
    let Some(samples) = f["samples"].as_array() else {
        return Vec::new();
    };
    samples
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap().to_string(),
                s["row"].as_u64().unwrap(),
                s["first"]["file"].as_str().unwrap().to_string(),
                s["first"]["row"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn shards(file: &Value) -> (u64, u64, u64) {
    let s = &file["shards"];
    (
        s["total"].as_u64().unwrap(),
        s["read"].as_u64().unwrap(),
        s["cached"].as_u64().unwrap(),
    )
}

/// How many shards' keys a check merged now.
fn merged(file: &Value) -> u64 {
    file["shards"]["merged"].as_u64().unwrap()
}

#[test]
fn a_folder_is_one_table_across_its_shards() {
    let repo = added_corpus();
    let report = repo.kiln(["check", "--json"]).code(1).json();
    let all = files(&report);
    assert_eq!(all.len(), 5, "{report:#}");
    let dataset = &all[0];
    assert_eq!(dataset["path"], "data/corpus");
    assert_eq!(dataset["rows"], 8);
    assert_eq!(dataset["verdict"], "invalid");
    assert_eq!(shards(dataset), (4, 4, 0));
    let table_rows = finding(dataset, "table/rows", None);
    assert_eq!(table_rows["observed"], "8");
    let key = finding(dataset, "row/primary-key", None);
    assert_eq!(key["count"], 2);
    assert_eq!(
        pairs(key),
        vec![
            (
                "data/corpus/b.csv.gz".into(),
                2,
                "data/corpus/a.csv".into(),
                2
            ),
            (
                "data/corpus/c.jsonl.zst".into(),
                2,
                "data/corpus/a.csv".into(),
                1
            ),
        ]
    );
    assert_eq!(key["samples"][0]["value"], "2");
    let text = finding(dataset, "cell/unique", Some("text"));
    assert_eq!(text["count"], 1);
    assert_eq!(text["samples"][0]["value"], "hello");
    assert_eq!(text["samples"][0]["line"], 3);
    // Row checks stay with their shard, which names its dataset.
    let a = &all[1];
    assert_eq!(a["path"], "data/corpus/a.csv");
    assert_eq!(a["dataset"], "data/corpus");
    let minimum = finding(a, "cell/minimum", Some("n"));
    assert_eq!(minimum["samples"][0]["row"], 3);
    for shard in &all[1..] {
        let codes: Vec<&str> = shard["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(
            !codes.contains(&"table/rows") && !codes.contains(&"row/primary-key"),
            "table checks are the dataset's: {shard:#}"
        );
    }
    assert_eq!(report["summary"]["datasets"], 1);
    assert_eq!(report["summary"]["files"], 4);
    assert_eq!(report["summary"]["invalid"], 1);
    // The human report names the shard and the first row of a repeat.
    let human = repo.kiln(["check"]).code(1).stdout;
    assert!(
        human.contains("dataset of 4 shards")
            && human.contains(
                "data/corpus/b.csv.gz row 2 (line 3): \"hello\" (first at data/corpus/a.csv row 1)"
            ),
        "{human}"
    );
    assert!(human.contains("1 dataset of 4 files checked"), "{human}");
}

#[test]
fn a_valid_dataset_passes_and_its_shards_are_counted_not_listed() {
    let repo = Repo::new();
    repo.write("s.yaml", SCHEMA);
    repo.write("data/ok/a.csv", "id,text,n\n1,a,1\n2,b,2\n");
    repo.write("data/ok/b.csv", "id,text,n\n3,c,1\n4,d,2\n");
    repo.kiln(["add", "data/ok", "--schema", "s.yaml"]).ok();
    let human = repo.kiln(["check"]).ok().stdout;
    assert!(human.contains("dataset of 2 shards"), "{human}");
    assert!(!human.contains("data/ok/a.csv"), "{human}");
    assert!(
        human.contains("valid: 1 dataset of 2 files checked (1 valid)"),
        "{human}"
    );
}

#[test]
fn a_recheck_reads_only_new_and_changed_shards_and_merges_alike() {
    let repo = added_corpus();
    let first = repo.kiln(["check", "--json"]).code(1).json();
    assert_eq!(shards(&files(&first)[0]), (4, 4, 0));
    let again = repo.kiln(["check", "--json"]).code(1).json();
    assert_eq!(shards(&files(&again)[0]), (4, 0, 4));
    assert_eq!(
        files(&first)[0]["findings"],
        files(&again)[0]["findings"],
        "a merge from the cache finds what reading found"
    );
    // One shard changed and one added: only those two are read.
    repo.write(
        "data/corpus/a.csv",
        "id,text,n\n1,hello,1\n2,world,2\n3,foo,1\n",
    );
    repo.write("data/corpus/e.csv", "id,text,n\n7,world,1\n");
    repo.kiln(["add", "data/corpus", "--no-check"]).ok();
    let after = repo.kiln(["check", "--json", "-v"]).code(1);
    let dataset = &files(&after.json())[0].clone();
    assert_eq!(shards(dataset), (5, 2, 3));
    let fresh = repo.kiln(["check", "--json", "--no-cache"]).code(1).json();
    assert_eq!(shards(&files(&fresh)[0]), (5, 5, 0));
    assert_eq!(dataset["findings"], files(&fresh)[0]["findings"]);
    let text = finding(dataset, "cell/unique", Some("text"));
    assert_eq!(text["count"], 2, "hello and world repeat: {dataset:#}");
}

/// Checks the dataset with and without the caches: the same findings,
/// and what the cached check reported.
fn checked_alike(repo: &Repo) -> Value {
    repo.kiln(["add", "data/corpus", "--no-check"]).ok();
    let report = repo.kiln(["check", "--json"]).code(1).json();
    let dataset = files(&report)[0].clone();
    let fresh = repo.kiln(["check", "--json", "--no-cache"]).code(1).json();
    assert_eq!(dataset["findings"], files(&fresh)[0]["findings"]);
    dataset
}

#[test]
fn shards_added_at_the_end_merge_only_their_keys() {
    let repo = added_corpus();
    assert_eq!(merged(&checked_alike(&repo)), 4);
    assert_eq!(merged(&checked_alike(&repo)), 0, "nothing new to merge");
    // After the last shard: an old text and id again, and a text that
    // repeats within the new shards.
    repo.write("data/corpus/e.csv", "id,text,n\n7,world,1\n3,new,1\n");
    repo.write("data/corpus/f.csv", "id,text,n\n8,new,1\n9,fresh,1\n");
    let dataset = checked_alike(&repo);
    assert_eq!((shards(&dataset), merged(&dataset)), ((6, 2, 4), 2));
    assert_eq!(finding(&dataset, "cell/unique", Some("text"))["count"], 3);
    assert_eq!(finding(&dataset, "row/primary-key", None)["count"], 3);
    // Once more (the kept keys now in two parts), then each time after.
    for (i, name) in ["g", "h", "i", "j", "k"].into_iter().enumerate() {
        let id = 10 + i;
        repo.write(
            &format!("data/corpus/{name}.csv"),
            format!("id,text,n\n{id},fresh,1\n{},t{id},1\n", id + 100),
        );
        let dataset = checked_alike(&repo);
        assert_eq!(merged(&dataset), 1);
        let text = finding(&dataset, "cell/unique", Some("text"));
        assert_eq!(text["count"], 4 + i as u64);
    }
    // A kept level cut short (a crash before it reached the disk, say) is
    // not trusted: the next check merges every shard's keys again.
    let kept = repo.path(".kiln/state/merges-v1");
    for entry in std::fs::read_dir(&kept).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "keys") {
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 64 * 32]).unwrap();
        }
    }
    repo.write("data/corpus/l.csv", "id,text,n\n30,late,1\n");
    assert_eq!(merged(&checked_alike(&repo)), 12);
    // A shard changed before the end: every shard's keys merged again.
    repo.write("data/corpus/a.csv", "id,text,n\n1,hello,1\n");
    let dataset = checked_alike(&repo);
    assert_eq!(merged(&dataset), 12);
    // A shard taken away: the same.
    std::fs::remove_file(repo.path("data/corpus/k.csv")).unwrap();
    assert_eq!(merged(&checked_alike(&repo)), 11);
}

/// The files below `.kiln/state/<dir>`.
fn state_files(repo: &Repo, dir: &str) -> Vec<String> {
    let root = repo.path(&format!(".kiln/state/{dir}"));
    let mut out: Vec<String> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(&root).unwrap().display().to_string())
        .collect();
    out.sort();
    out
}

/// A gc takes the derived state of the data it removes (results, key
/// runs, profiles, kept merges), and what it leaves still serves.
#[test]
fn gc_sweeps_the_derived_state_of_the_data_it_removes() {
    let repo = added_corpus();
    repo.kiln(["check", "--json"]).code(1);
    let first = state_files(&repo, "checks-v1");
    // A shard changed: its old version's results are of data gc removes.
    repo.write(
        "data/corpus/a.csv",
        "id,text,n\n1,hello,1\n2,world,2\n3,foo,1\n",
    );
    repo.kiln(["add", "data/corpus", "--no-check"]).ok();
    repo.kiln(["check", "--json"]).code(1);
    let (checks, merges) = (
        state_files(&repo, "checks-v1"),
        state_files(&repo, "merges-v1"),
    );
    let old_shard: Vec<&String> = first.iter().filter(|f| !checks.contains(f)).collect();
    assert!(
        old_shard.is_empty(),
        "the second check adds, it removes nothing"
    );
    let new_shard: Vec<&String> = checks.iter().filter(|f| !first.contains(f)).collect();
    assert!(!new_shard.is_empty() && !merges.is_empty());

    let dry = repo
        .kiln(["gc", "--workspace", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(
        state_files(&repo, "checks-v1"),
        checks,
        "a dry run removes nothing"
    );
    let swept = repo.kiln(["gc", "--workspace", "--json"]).ok().json();
    assert_eq!(swept["derived"], dry["derived"]);
    let after = state_files(&repo, "checks-v1");
    // Exactly the old shard's files went: as many as the new shard has.
    assert_eq!(
        checks.len() - after.len(),
        new_shard.len(),
        "{checks:?} → {after:?}"
    );
    assert_eq!(swept["derived"]["files"], new_shard.len() as u64);
    assert!(new_shard.iter().all(|f| after.contains(f)));
    assert_eq!(state_files(&repo, "merges-v1"), merges);
    let again = repo.kiln(["check", "--json"]).code(1).json();
    let dataset = &files(&again)[0];
    assert_eq!((shards(dataset), merged(dataset)), ((4, 0, 4), 0));

    // The dataset untracked: nothing of it is left.
    repo.kiln(["rm", "data/corpus"]).ok();
    repo.kiln(["gc", "--workspace"]).ok();
    assert_eq!(state_files(&repo, "checks-v1"), Vec::<String>::new());
    assert_eq!(state_files(&repo, "merges-v1"), Vec::<String>::new());
}

#[test]
fn the_files_a_glob_binds_are_one_table() {
    let repo = Repo::new();
    repo.write("s.yaml", SCHEMA);
    repo.write(
        ".kiln/config.toml",
        format!(
            "{}\n[[check]]\npath = \"shards/*.csv\"\nschema = \"s.yaml\"\n",
            repo.read_string(".kiln/config.toml")
        ),
    );
    repo.write("shards/p1.csv", "id,text,n\n1,a,1\n");
    repo.write("shards/p2.csv", "id,text,n\n1,b,1\n");
    let report = repo.kiln(["check", "shards", "--json"]).code(1).json();
    let dataset = &files(&report)[0];
    assert_eq!(dataset["path"], "shards/*.csv");
    assert_eq!(shards(dataset), (2, 2, 0));
    let key = finding(dataset, "row/primary-key", None);
    assert_eq!(
        pairs(key),
        vec![("shards/p2.csv".into(), 1, "shards/p1.csv".into(), 1)]
    );
}

#[test]
fn repeats_are_found_across_many_shards_in_bounded_merges() {
    // More shards than one merge opens at once.
    let repo = Repo::new();
    repo.write(
        "s.yaml",
        "fields:\n  - {name: id, type: integer}\n  - {name: text, type: string, constraints: {unique: true}}\n",
    );
    for i in 0..300 {
        let text = if i % 100 == 99 {
            "dup".to_string()
        } else {
            format!("t{i}")
        };
        repo.write(
            &format!("big/part-{i:04}.csv"),
            format!("id,text\n{i},{text}\n"),
        );
    }
    let report = repo
        .kiln(["check", "big", "--schema", "s.yaml", "--json", "--no-cache"])
        .code(1)
        .json();
    let dataset = &files(&report)[0];
    assert_eq!(shards(dataset), (300, 300, 0));
    let text = finding(dataset, "cell/unique", Some("text"));
    assert_eq!(text["count"], 2);
    assert_eq!(
        pairs(text),
        vec![
            ("big/part-0199.csv".into(), 1, "big/part-0099.csv".into(), 1),
            ("big/part-0299.csv".into(), 1, "big/part-0099.csv".into(), 1),
        ]
    );
}

#[test]
fn text_checks_find_blank_short_long_repetitive_and_broken_texts() {
    let repo = Repo::new();
    repo.write(
        "s.yaml",
        "fields:
  - name: text
    type: string
    constraints:
      notBlank: true
      minWords: 2
      maxWords: {value: 6, severity: warn}
      maxRepeatedLines: 0.5
      validText: {value: true, mostly: 0.5}
",
    );
    let docs = [
        "a fine short document",
        "   \t ",
        "single",
        "one two three four five six seven",
        "spam\nspam\nspam\nspam\nother",
        "bad \u{FFFD} decoding here",
        "a bell \u{7} rings here",
    ];
    let lines: String = docs
        .iter()
        .map(|d| format!("{}\n", serde_json::json!({ "text": d })))
        .collect();
    repo.write("docs/part-0.jsonl.zst", zst(&lines));
    let report = repo
        .kiln(["check", "docs", "--schema", "s.yaml", "--json"])
        .code(1)
        .json();
    let shard = &files(&report)[1];
    let rows = |code: &str| -> Vec<u64> {
        finding(shard, code, Some("text"))["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["row"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(rows("cell/blank"), vec![2]);
    // A blank text has no words either.
    assert_eq!(rows("cell/min-words"), vec![2, 3]);
    assert_eq!(rows("cell/max-words"), vec![4]);
    assert_eq!(
        finding(shard, "cell/max-words", Some("text"))["severity"],
        "warn"
    );
    assert_eq!(rows("cell/repeated-lines"), vec![5]);
    let invalid = finding(shard, "cell/invalid-text", Some("text"));
    assert_eq!(invalid["count"], 2);
    // 2 of 7 rows fail: within `mostly: 0.5`.
    assert_eq!(invalid["status"], "tolerated");
    // A text check on another type is a schema error naming the field.
    repo.write(
        "bad.yaml",
        "fields:\n  - {name: text, type: integer, constraints: {minWords: 2}}\n",
    );
    let run = repo.kiln(["check", "docs", "--schema", "bad.yaml"]).code(2);
    assert!(
        run.stderr
            .contains("field `text`: minWords is a text check"),
        "{}",
        run.stderr
    );
}

#[test]
fn disjoint_finds_evaluation_rows_leaked_into_training_data() {
    let repo = Repo::new();
    repo.write(
        "train.yaml",
        "fields:
  - {name: id, type: integer}
  - {name: text, type: string}
disjoint:
  - {dataset: data/eval, fields: [text]}
",
    );
    repo.write(
        "data/train/a.jsonl",
        "{\"id\":1,\"text\":\"alpha\"}\n{\"id\":2,\"text\":\"beta\"}\n",
    );
    repo.write(
        "data/train/b.jsonl.zst",
        zst("{\"id\":3,\"text\":\"gamma\"}\n{\"id\":4,\"text\":\"alpha\"}\n{\"id\":5,\"text\":\"delta\"}\n"),
    );
    // The evaluation set, in another form: CSV, with its own columns.
    repo.write("data/eval/e.csv", "text,label\nzeta,1\nalpha,0\ndelta,1\n");
    repo.kiln(["add", "data/train", "--schema", "train.yaml", "--no-check"])
        .ok();
    let report = repo.kiln(["check", "--json"]).code(1).json();
    let dataset = &files(&report)[0];
    let leak = finding(dataset, "row/overlap", None);
    assert_eq!(leak["count"], 3, "{leak:#}");
    assert_eq!(
        pairs(leak),
        vec![
            ("data/train/a.jsonl".into(), 1, "data/eval/e.csv".into(), 2),
            (
                "data/train/b.jsonl.zst".into(),
                2,
                "data/eval/e.csv".into(),
                2
            ),
            (
                "data/train/b.jsonl.zst".into(),
                3,
                "data/eval/e.csv".into(),
                3
            ),
        ]
    );
    assert_eq!(leak["samples"][0]["value"], "alpha");
    // From the cache, the same, the evaluation set's keys included (its
    // file unchanged, they are not read again); after the leak is removed
    // from eval, none.
    let run = repo.kiln_env(["check", "--json"], &[("KILN_LOG", "debug")]);
    assert!(
        run.stderr.contains("its keys kept from an earlier check"),
        "{}",
        run.stderr
    );
    let again = repo.kiln(["check", "--json"]).code(1).json();
    assert_eq!(shards(&files(&again)[0]), (2, 0, 2));
    assert_eq!(files(&again)[0]["findings"], dataset["findings"]);
    // A shard added: only its keys are looked up in the evaluation set.
    repo.write(
        "data/train/c.jsonl",
        "{\"id\":6,\"text\":\"zeta\"}\n{\"id\":7,\"text\":\"omega\"}\n",
    );
    repo.kiln(["add", "data/train", "--no-check"]).ok();
    let more = repo.kiln(["check", "--json"]).code(1).json();
    let fresh = repo.kiln(["check", "--json", "--no-cache"]).code(1).json();
    assert_eq!(files(&more)[0]["shards"]["merged"], 1);
    assert_eq!(files(&more)[0]["findings"], files(&fresh)[0]["findings"]);
    assert_eq!(finding(&files(&more)[0], "row/overlap", None)["count"], 4);
    std::fs::remove_file(repo.path("data/train/c.jsonl")).unwrap();
    repo.kiln(["add", "data/train", "--no-check"]).ok();
    repo.write("data/eval/e.csv", "text,label\nzeta,1\n");
    let clean = repo.kiln(["check", "--json"]).ok().json();
    assert_eq!(shards(&files(&clean)[0]), (2, 0, 2));
    // A single file is checked alike.
    repo.write("data/eval/e.csv", "text,label\nbeta,1\n");
    let one = repo
        .kiln([
            "check",
            "data/train/a.jsonl",
            "--schema",
            "train.yaml",
            "--json",
        ])
        .code(1)
        .json();
    let leak = finding(&files(&one)[0], "row/overlap", None);
    assert_eq!(leak["count"], 1);
    assert_eq!(leak["samples"][0]["row"], 2);
    assert_eq!(leak["samples"][0]["first"]["file"], "data/eval/e.csv");
    // A missing dataset or column is a finding that says so.
    repo.write("data/eval/e.csv", "label\n1\n");
    let run = repo.kiln(["check", "--json"]).code(1).json();
    let broken = finding(&files(&run)[0], "row/overlap", None);
    assert!(
        broken["message"]
            .as_str()
            .unwrap()
            .contains("has no column `text`"),
        "{broken:#}"
    );
}

#[test]
fn checks_of_the_same_key_share_its_runs() {
    let repo = Repo::new();
    repo.write(
        "t.yaml",
        "fields:
  - {name: text, type: string, constraints: {unique: true}}
disjoint:
  - {dataset: data/eval, fields: [text]}
",
    );
    repo.write("data/train/a.csv", "text\nalpha\nbeta\n");
    repo.write("data/train/b.csv", "text\nalpha\ngamma\n");
    repo.write("data/eval/e.csv", "text\ngamma\nalpha\n");
    repo.kiln(["add", "data/train", "--schema", "t.yaml", "--no-check"])
        .ok();
    let counts = |report: &Value| {
        let dataset = &files(report)[0];
        (
            finding(dataset, "cell/unique", Some("text"))["count"].clone(),
            finding(dataset, "row/overlap", None)["count"].clone(),
            pairs(finding(dataset, "row/overlap", None)),
        )
    };
    let first = repo.kiln(["check", "--json"]).code(1).json();
    assert_eq!(shards(&files(&first)[0]), (2, 2, 0));
    let (unique, overlap, leaked) = counts(&first);
    assert_eq!((unique, overlap), (1.into(), 3.into()));
    assert_eq!(
        leaked[0],
        ("data/train/a.csv".into(), 1, "data/eval/e.csv".into(), 2)
    );
    // Each check's run is kept under its own name: the next check reads nothing.
    let again = repo.kiln(["check", "--json", "--no-cache"]).code(1).json();
    assert_eq!(counts(&again), counts(&first));
    repo.write("data/eval/e.csv", "text\ndelta\n");
    let cached = repo.kiln(["check", "--json"]).code(1).json();
    assert_eq!(shards(&files(&cached)[0]), (2, 0, 2));
    let dataset = &files(&cached)[0];
    assert!(
        dataset["passed"].to_string().contains("row/overlap"),
        "{dataset:#}"
    );
}

/// A finding as (code, field, count, sample pairs): what a merge without
/// the data gives (sample values come from the data).
type Judged = (String, Option<String>, u64, Vec<Pair>);

fn judged(file: &Value) -> Vec<Judged> {
    let mut out: Vec<Judged> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["field"].as_str().map(String::from),
                f["count"].as_u64().unwrap(),
                pairs(f),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn workers_check_parts_on_their_machines_and_a_merge_reads_no_data() {
    let repo = Repo::new();
    repo.write(
        "s.yaml",
        "fields:
  - {name: id, type: integer, constraints: {required: true, unique: true}}
  - {name: text, type: string, constraints: {notBlank: true}}
rows: {max: 20}
",
    );
    // 12 shards; id 7 repeats across shards, two texts are blank.
    for i in 0..12u32 {
        let mut rows = String::from("id,text\n");
        for j in 0..2 {
            let id = if i == 9 && j == 1 { 7 } else { i * 2 + j };
            let text = if (i, j) == (4, 0) || (i, j) == (10, 1) {
                " "
            } else {
                "doc"
            };
            rows.push_str(&format!("{id},{text}\n"));
        }
        repo.write(&format!("data/corpus/part-{i:02}.csv"), rows);
    }
    repo.kiln(["add", "data/corpus", "--schema", "s.yaml", "--no-check"])
        .ok();
    let _remote = repo.folder_remote("shelf");
    repo.kiln(["push"]).ok();
    repo.commit("corpus");
    let alone = repo.kiln(["check", "--json", "--no-cache"]).code(1).json();
    let alone = &files(&alone)[0];

    // Three workers, each a clone on its own, at once.
    let workers: Vec<Repo> = (0..3).map(|_| repo.clone_of()).collect();
    for w in &workers {
        w.kiln(["pull"]).ok();
    }
    let running: Vec<_> = workers
        .iter()
        .enumerate()
        .map(|(i, w)| {
            w.kiln_command(["check", "--shard", &format!("{i}/3"), "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut checked = 0;
    for child in running {
        let out = child.wait_with_output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let part = &files(&report)[0];
        assert_eq!(part["shards"]["total"], 12);
        assert!(
            part["findings"].as_array().unwrap().is_empty(),
            "a part judges no table check: {part:#}"
        );
        checked += part["shards"]["read"].as_u64().unwrap();
    }
    assert_eq!(checked, 12, "the parts cover every shard once");
    for w in &workers {
        w.kiln(["push", "--results"]).ok();
    }

    // The merge: a clone that fetches results and trees, and no data.
    let merge = repo.clone_of();
    let fetched = merge.kiln(["fetch", "--results", "--json"]).ok().json();
    assert!(fetched["files"].as_u64().unwrap() >= 12, "{fetched:#}");
    assert!(!merge.exists("data/corpus"));
    let merged = merge.kiln(["check", "--json"]).code(1).json();
    let dataset = &files(&merged)[0];
    assert_eq!(shards(dataset), (12, 0, 12), "nothing read: {dataset:#}");
    assert_eq!(judged(dataset), judged(alone));
    assert_eq!(files(&merged).len(), 13);
    // What no part checked cannot be merged: said, not guessed.
    let partial = repo.clone_of();
    partial.kiln(["fetch", "--results"]).ok();
    let state = partial.path(".kiln/state/checks-v1");
    let one = std::fs::read_dir(&state)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::remove_dir_all(one).unwrap();
    let run = partial.kiln(["check"]).code(3);
    assert!(
        run.stderr
            .contains("not in the workspace, and no check result for it here"),
        "{}",
        run.stderr
    );
}

#[test]
fn results_from_a_remote_are_taken_only_in_the_form_kiln_writes() {
    let repo = Repo::new();
    let remote = repo.folder_remote("shelf");
    let area = remote.path().join("results/checks-v1");
    let name = format!("ab/{}", "c".repeat(62));
    std::fs::create_dir_all(area.join("ab")).unwrap();
    std::fs::create_dir_all(area.join("zz")).unwrap();
    // A report that is not one, a name kiln never writes, a run.
    std::fs::write(area.join(format!("{name}.json")), "{\"valid\": true}").unwrap();
    std::fs::write(area.join("zz/evil.json"), "{}").unwrap();
    std::fs::write(area.join(format!("{name}.0.keys")), [0u8; 24]).unwrap();
    let got = repo.kiln(["fetch", "--results", "--json"]).ok().json();
    assert_eq!(got["refused"], 2, "{got:#}");
    assert_eq!(got["files"], 1, "{got:#}");
    let state = repo.path(".kiln/state/checks-v1");
    assert!(!state.join(format!("{name}.json")).exists());
    assert!(!state.join("zz").exists());
}

#[test]
fn sub_fields_are_checked_by_their_path() {
    let repo = Repo::new();
    repo.write(
        "s.yaml",
        "fields:
  - {name: text, type: string}
  - {name: meta.lang, type: string, constraints: {enum: [en, fr]}}
  - {name: meta.src.host, type: string, constraints: {required: true}}
  - {name: meta.src.port, type: integer, constraints: {maximum: 65535}}
  - {name: tags, type: array}
",
    );
    let docs = [
        r#"{"text":"a","meta":{"lang":"en","src":{"host":"x","port":80}},"tags":["a"]}"#,
        r#"{"text":"b","meta":{"lang":"de","src":{"host":"y","port":70000}},"tags":[]}"#,
        r#"{"text":"c","meta":{"lang":"fr","src":{"host":null,"port":1}},"tags":"oops"}"#,
    ];
    // Lines of blanks hold no row: the second row is on line 4.
    let text = format!("{}\n\n  \n{}\n{}\n", docs[0], docs[1], docs[2]);
    repo.write("docs/d.jsonl.zst", zst(&text));
    let args = ["check", "docs/d.jsonl.zst", "--schema", "s.yaml", "--json"];
    let report = repo.kiln(args).code(1).json();
    let file = &files(&report)[0];
    let rows = |code: &str, field: &str| -> Vec<(u64, u64)> {
        finding(file, code, Some(field))["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["row"].as_u64().unwrap(), s["line"].as_u64().unwrap()))
            .collect()
    };
    assert_eq!(rows("cell/enum", "meta.lang"), vec![(2, 4)]);
    assert_eq!(rows("cell/maximum", "meta.src.port"), vec![(2, 4)]);
    assert_eq!(rows("cell/required", "meta.src.host"), vec![(3, 5)]);
    assert_eq!(rows("cell/type", "tags"), vec![(3, 5)]);
    // polars' reader (the slow path) finds the same rows on the same lines.
    let slow = repo.kiln_env(args, &[("KILN_TEST_SLOW_PATHS", "1")]).json();
    assert_eq!(files(&slow)[0]["findings"], file["findings"]);
    // The struct column its members are read from is not an extra column.
    let codes: Vec<&str> = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&"fields/extra"), "{file:#}");
    // A path that names no member is a missing field.
    repo.write(
        "bad.yaml",
        "fields:\n  - {name: text, type: string}\n  - {name: meta.nope, type: string}\n  - {name: tags, type: array}\n",
    );
    let run = repo
        .kiln([
            "check",
            "docs/d.jsonl.zst",
            "--schema",
            "bad.yaml",
            "--json",
        ])
        .code(1)
        .json();
    finding(&files(&run)[0], "fields/missing", Some("meta.nope"));
}

#[test]
fn keys_past_the_memory_budget_are_sorted_onto_disk_with_the_same_verdict() {
    let repo = Repo::new();
    repo.write(
        "s.yaml",
        "fields:\n  - {name: id, type: integer, constraints: {unique: true}}\n  - {name: text, type: string}\n",
    );
    // 60,000 keys a shard: past a 1 MiB budget's share (16,384 a shard
    // on two threads, 32 bytes a key), so each shard spills.
    for part in 0..2u64 {
        let mut rows = String::from("id,text\n");
        for i in 0..60_000u64 {
            let id = if part == 1 && i % 10_000 == 0 {
                i
            } else {
                part * 100_000 + i
            };
            rows.push_str(&format!("{id},t\n"));
        }
        repo.write(&format!("big/p{part}.csv"), rows);
    }
    let check = |memory: &str| {
        let report = repo
            .kiln([
                "check",
                "big",
                "--schema",
                "s.yaml",
                "--json",
                "--no-cache",
                "--memory",
                memory,
            ])
            .code(1)
            .json();
        judged(&files(&report)[0])
    };
    let spilled = check("1");
    assert_eq!(spilled, check("1024"));
    let logged = repo
        .kiln([
            "check",
            "big",
            "--schema",
            "s.yaml",
            "--no-cache",
            "--memory",
            "1",
            "-vv",
        ])
        .code(1)
        .stderr;
    assert!(logged.contains("sorted onto disk"), "{logged}");
    assert_eq!(spilled[0].2, 6, "{spilled:?}");
}

/// Values that compare by value repeat across shards of different
/// formats: an object, a list and a duration a Parquet shard stores as a
/// struct, a list and a length are the ones a JSON shard writes otherwise.
#[test]
fn values_repeat_across_shards_of_different_formats() {
    let repo = Repo::new();
    repo.write(
        "data/mixed/a.parquet",
        std::fs::read(fixtures().join("types/nested.parquet")).unwrap(),
    );
    repo.write(
        "data/mixed/b.ndjson",
        "{\"obj\": {\"b\": \"x\", \"a\": 1.0}, \"pt\": null, \"pta\": null, \"gj\": null, \"lst\": \"01,2\", \"dur\": \"PT24H\"}\n",
    );
    repo.write(
        "s.yaml",
        "fields:\n\
         \x20 - {name: obj, type: object, constraints: {unique: true}}\n\
         \x20 - {name: pt, type: geopoint, format: object}\n\
         \x20 - {name: pta, type: geopoint, format: array}\n\
         \x20 - {name: gj, type: geojson}\n\
         \x20 - {name: lst, type: list, itemType: integer, constraints: {unique: true}}\n\
         \x20 - {name: dur, type: duration, constraints: {unique: true}}\n",
    );
    let report = repo
        .kiln(["check", "data/mixed", "--schema", "s.yaml", "--json"])
        .code(1)
        .json();
    let dataset = &files(&report)[0];
    for field in ["obj", "lst", "dur"] {
        let repeats = finding(dataset, "cell/unique", Some(field));
        assert_eq!(repeats["count"], 2, "{field}: {dataset:#}");
        let shown = repeats["samples"].to_string();
        assert!(shown.contains("b.ndjson"), "{field}: {shown}");
    }
}

/// A key of two columns stays aligned past a row whose first part is
/// missing: that row is not keyed, and each later row is keyed by its own
/// second part, so the repeat of `(1, y)` is found.
#[test]
fn keys_of_two_columns_stay_aligned_past_a_missing_part() {
    let repo = Repo::new();
    repo.write("data/keys/a.csv", "a,b\n,x\n1,y\n1,y\n");
    repo.write("data/keys/b.csv", "a,b\n2,z\n");
    repo.write(
        "s.yaml",
        "fields:\n  - {name: a, type: integer}\n  - {name: b, type: string}\nuniqueKeys: [[a, b]]\n",
    );
    let report = repo
        .kiln(["check", "data/keys", "--schema", "s.yaml", "--json"])
        .code(1)
        .json();
    let dataset = &files(&report)[0];
    let repeats = finding(dataset, "row/unique", None);
    assert_eq!(repeats["count"], 1, "{dataset:#}");
    assert_eq!(pairs(repeats)[0].1, 3, "{dataset:#}");
}

/// A table cut into shards has the repeats of its key that it has whole,
/// over random tables of a three-part key with missing parts: the dataset,
/// the file and a count by hand agree.
#[test]
fn a_key_repeats_alike_in_shards_and_whole() {
    let repo = Repo::new();
    repo.write(
        "s.yaml",
        "fields:\n  - {name: a, type: integer}\n  - {name: b, type: string}\n  - {name: c, type: string}\nuniqueKeys: [[a, b, c]]\n",
    );
    let repeats = |target: &str| {
        let report = repo
            .kiln([
                "check",
                target,
                "--schema",
                "s.yaml",
                "--json",
                "--no-cache",
            ])
            .json();
        files(&report)[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "row/unique")
            .map_or(0, |f| f["count"].as_u64().unwrap())
    };
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    for trial in 0..12 {
        let mut part = |values: &[&str]| match next(5) {
            0 => String::new(),
            _ => values[next(values.len() as u64) as usize].to_string(),
        };
        let rows: Vec<[String; 3]> = (0..20 + trial * 4)
            .map(|_| [part(&["0", "1", "2"]), part(&["x", "y"]), part(&["p", "q"])])
            .collect();
        let mut seen = std::collections::HashSet::new();
        let by_hand = rows
            .iter()
            .filter(|r| r.iter().all(|p| !p.is_empty()) && !seen.insert((*r).clone()))
            .count() as u64;
        let csv = |rows: &[[String; 3]]| {
            let lines: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
            format!("a,b,c\n{}\n", lines.join("\n"))
        };
        let cut = rows.len() / 3;
        let dir = format!("data/t{trial}");
        repo.write(&format!("{dir}/s0.csv"), csv(&rows[..cut]));
        repo.write(&format!("{dir}/s1.csv"), csv(&rows[cut..2 * cut]));
        repo.write(&format!("{dir}/s2.csv"), csv(&rows[2 * cut..]));
        repo.write(&format!("whole{trial}.csv"), csv(&rows));
        let whole = repeats(&format!("whole{trial}.csv"));
        assert_eq!((repeats(&dir), whole), (by_hand, by_hand), "trial {trial}");
    }
}
