//! `kiln check` and `kiln schema infer` end to end, on the fixtures in
//! `fixtures/people/` (see `fixtures/README.md`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{Repo, Run, fixtures, pointer_field};

fn people(name: &str) -> String {
    fixtures()
        .join("people")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn broken(name: &str) -> String {
    people(&format!("broken/{name}"))
}

fn schema(name: &str) -> String {
    fixtures()
        .join("schemas")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// `kiln check FILE --schema SCHEMA --json`, with the exit code asserted.
fn check_json(repo: &Repo, file: &str, schema_file: &str, code: i32) -> Value {
    let run = repo
        .kiln(["check", file, "--schema", schema_file, "--json"])
        .code(code);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run.json()
}

/// `kiln check DATA` under a schema of `text` (written as `bad.yaml`),
/// which kiln must refuse (exit 2) with a message holding `needle`; the
/// message.
fn refused_schema(repo: &Repo, data: &str, text: &str, needle: &str) -> String {
    repo.write("bad.yaml", text);
    let run = repo.kiln(["check", data, "--schema", "bad.yaml"]).code(2);
    assert!(run.stderr.contains(needle), "{text}\n{}", run.stderr);
    run.stderr
}

/// The findings of the only file in a JSON report.
fn findings(report: &Value) -> Vec<Value> {
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), 1, "{report:#}");
    files[0]["findings"].as_array().expect("findings").clone()
}

/// A finding as (code, field, count, sample rows).
type Summary = (String, Option<String>, u64, Vec<u64>);

/// The findings of a one-file report, summarised.
fn summaries(report: &Value) -> Vec<Summary> {
    findings(report).iter().map(summary).collect()
}

/// The findings of `kiln check FILE --schema SCHEMA` (exit `code`), summarised.
fn check_summaries(repo: &Repo, file: &str, schema_file: &str, code: i32) -> Vec<Summary> {
    summaries(&check_json(repo, file, schema_file, code))
}

fn summary(f: &Value) -> Summary {
    let rows = f["samples"]
        .as_array()
        .map(|s| s.iter().map(|x| x["row"].as_u64().unwrap()).collect())
        .unwrap_or_default();
    (
        f["code"].as_str().unwrap().to_string(),
        f["field"].as_str().map(String::from),
        f["count"].as_u64().unwrap(),
        rows,
    )
}

/// A fixture's name, and its finding: code, field, count, failing rows.
type Expected = (
    &'static str,
    &'static str,
    Option<&'static str>,
    u64,
    &'static [u64],
);

/// Each broken fixture: the one finding it triggers, with its field, count
/// and the 1-based data rows that fail.
const EXPECTED: &[Expected] = &[
    ("cell-type", "cell/type", Some("age"), 2, &[2, 4]),
    ("cell-required", "cell/required", Some("name"), 1, &[3]),
    ("cell-minimum", "cell/minimum", Some("age"), 2, &[2, 5]),
    ("cell-maximum", "cell/maximum", Some("age"), 1, &[4]),
    (
        "cell-exclusive-minimum",
        "cell/exclusive-minimum",
        Some("score"),
        1,
        &[1],
    ),
    (
        "cell-exclusive-maximum",
        "cell/exclusive-maximum",
        Some("score"),
        1,
        &[3],
    ),
    ("cell-min-length", "cell/min-length", Some("name"), 1, &[2]),
    ("cell-max-length", "cell/max-length", Some("name"), 1, &[5]),
    ("cell-enum", "cell/enum", Some("grade"), 2, &[1, 4]),
    ("cell-pattern", "cell/pattern", Some("code"), 1, &[3]),
    ("cell-unique", "cell/unique", Some("email"), 1, &[4]),
    ("row-unique", "row/unique", None, 1, &[5]),
    ("row-primary-key", "row/primary-key", None, 1, &[3]),
    ("fields-missing", "fields/missing", Some("email"), 1, &[]),
    ("fields-extra", "fields/extra", Some("notes"), 1, &[]),
    ("table-rows", "table/rows", None, 1, &[]),
    ("file-bytes", "file/bytes", None, 1, &[]),
];

#[test]
fn each_finding_code_with_exact_counts_and_rows_in_every_format() {
    let repo = Repo::new();
    for (name, code, field, count, rows) in EXPECTED {
        let schema_file = if *name == "file-bytes" {
            schema("people-tiny.yaml")
        } else {
            schema("people.yaml")
        };
        let mut seen = Vec::new();
        for ext in ["csv", "parquet", "ndjson"] {
            let file = broken(&format!("{name}.{ext}"));
            let report = check_json(&repo, &file, &schema_file, 1);
            let got = summaries(&report);
            let want = vec![(
                code.to_string(),
                field.map(String::from),
                *count,
                rows.to_vec(),
            )];
            assert_eq!(got, want, "{file}");
            assert_eq!(report["files"][0]["verdict"], "invalid", "{file}");
            seen.push(got);
        }
        assert!(
            seen.windows(2).all(|w| w[0] == w[1]),
            "{name}: formats disagree: {seen:?}"
        );
    }
}

#[test]
fn sample_values_fractions_and_csv_lines() {
    let repo = Repo::new();
    let report = check_json(
        &repo,
        &broken("cell-minimum.csv"),
        &schema("people.yaml"),
        1,
    );
    let f = &findings(&report)[0];
    assert_eq!(f["fraction"].as_f64(), Some(0.4));
    assert_eq!(f["expected"], ">= 0");
    let samples: Vec<(u64, u64, &str)> = f["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["row"].as_u64().unwrap(),
                s["line"].as_u64().unwrap(),
                s["value"].as_str().unwrap(),
            )
        })
        .collect();
    // Data row N is line N + 1 below the header.
    assert_eq!(samples, vec![(2, 3, "-1"), (5, 6, "-5")]);

    // In NDJSON, row N is line N.
    let report = check_json(
        &repo,
        &broken("cell-minimum.ndjson"),
        &schema("people.yaml"),
        1,
    );
    let lines: Vec<(u64, u64)> = findings(&report)[0]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["row"].as_u64().unwrap(), s["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(lines, vec![(2, 2), (5, 5)]);

    // A quoted cell spanning lines moves later rows down the file.
    repo.write(
        "multi.csv",
        "id,note,age\n1,\"two\nlines\",5\n2,plain,-3\n3,\"x\",-4\n",
    );
    repo.write(
        "multi.yaml",
        "fields:\n  - {name: id, type: integer}\n  - {name: note, type: string}\n  - name: age\n    type: integer\n    constraints: {minimum: 0}\n",
    );
    let report = check_json(&repo, "multi.csv", "multi.yaml", 1);
    let lines: Vec<(u64, u64)> = findings(&report)[0]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["row"].as_u64().unwrap(), s["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(lines, vec![(2, 4), (3, 5)]);

    // Without a header, columns are the fields in order.
    repo.write("plain.csv", "1;Ada;36\n2;Bo;-3\n");
    repo.write(
        "plain.yaml",
        "dialect: {header: false, delimiter: ';'}\nfields:\n  - {name: id, type: integer}\n  - {name: name}\n  - {name: age, type: integer, constraints: {minimum: 0}}\n",
    );
    let report = check_json(&repo, "plain.csv", "plain.yaml", 1);
    let f = &findings(&report)[0];
    assert_eq!(
        (f["field"].as_str(), f["samples"][0]["line"].as_u64()),
        (Some("age"), Some(2))
    );

    // --max-samples bounds the rows shown, never the count.
    let run = repo
        .kiln([
            "check",
            &broken("cell-minimum.parquet"),
            "--schema",
            &schema("people.yaml"),
            "--json",
            "--max-samples",
            "1",
        ])
        .code(1);
    let f = &findings(&run.json())[0];
    assert_eq!(f["count"], 2);
    assert_eq!(f["samples"].as_array().unwrap().len(), 1);

    // A long value is shown clipped, with its length, to people; whole in JSON.
    let long = "é".repeat(3000);
    repo.write("long.csv", format!("note\nshort\n{long}\n"));
    repo.write(
        "long.yaml",
        "fields:\n  - {name: note, constraints: {maxLength: 10}}\n",
    );
    let run = repo
        .kiln(["check", "long.csv", "--schema", "long.yaml"])
        .code(1);
    let clipped = format!("row 2 (line 3): \"{}\"… (3000 characters)", "é".repeat(60));
    assert!(run.stdout.contains(&clipped), "{}", run.stdout);
    assert!(!run.stdout.contains(&"é".repeat(61)), "{}", run.stdout);
    let report = check_json(&repo, "long.csv", "long.yaml", 1);
    assert_eq!(findings(&report)[0]["samples"][0]["value"], long.as_str());
}

#[test]
fn valid_data_passes_in_every_format() {
    let repo = Repo::new();
    for file in [
        "valid.csv",
        "valid.tsv",
        "valid.parquet",
        "valid.ndjson",
        "valid.arrow",
    ] {
        let report = check_json(&repo, &people(file), &schema("people.yaml"), 0);
        assert_eq!(findings(&report), Vec::<Value>::new(), "{file}");
        assert_eq!(report["valid"], true);
        let f = &report["files"][0];
        assert_eq!(f["rows"], 5, "{file}");
        assert!(f["passed"].as_array().unwrap().len() >= 17, "{file}: {f:#}");
        // The profile covers every column.
        let profile = f["profile"].as_array().unwrap();
        assert_eq!(profile.len(), 8);
        let age = profile.iter().find(|c| c["name"] == "age").unwrap();
        assert_eq!(
            (age["min"].as_str(), age["max"].as_str()),
            (Some("19"), Some("52")),
            "{file}"
        );
        assert_eq!(age["nulls"], 0);
        // Distinct values are estimated; on five rows the estimate is exact.
        let distinct: Vec<_> = profile.iter().map(|c| c["distinct"].clone()).collect();
        assert_eq!(distinct, [5, 5, 4, 5, 5, 3, 5, 5], "{file}");
    }
    // Only typed files can be held to a dtype; text files say so.
    let report = check_json(&repo, &people("valid.csv"), &schema("people.yaml"), 0);
    let not_checked = report["files"][0]["notChecked"].as_array().unwrap();
    assert!(
        not_checked
            .iter()
            .any(|n| n["field"] == "id" && n["check"] == "dtype")
    );
    for file in ["file-dtype.parquet", "file-dtype.arrow"] {
        let report = check_json(&repo, &broken(file), &schema("people.yaml"), 1);
        assert_eq!(
            summaries(&report),
            vec![("file/dtype".to_string(), Some("id".to_string()), 1, vec![])]
        );
        assert_eq!(findings(&report)[0]["observed"], "int32");
    }
}

#[test]
fn unreadable_data_is_a_finding_and_exit_3_never_a_panic() {
    let repo = Repo::new();
    let cases = [
        (broken("file-parse.parquet"), "PAR1"),
        (broken("file-parse.ndjson"), "invalid JSON"),
        (broken("not-utf8.csv"), "UTF-8"),
        (broken("empty.csv"), "empty"),
        (broken("empty.parquet"), "empty"),
        (broken("empty.ndjson"), "empty"),
    ];
    for (file, words) in cases {
        let report = check_json(&repo, &file, &schema("people.yaml"), 3);
        let f = findings(&report);
        assert_eq!(f.len(), 1, "{file}: {f:?}");
        assert_eq!(f[0]["code"], "file/parse", "{file}");
        assert!(
            f[0]["message"].as_str().unwrap().contains(words),
            "{file}: {}",
            f[0]["message"]
        );
        assert_eq!(report["files"][0]["verdict"], "unreadable");
        // The human form says it too, on stdout, with the same exit code.
        let run = repo
            .kiln(["check", &file, "--schema", &schema("people.yaml")])
            .code(3);
        assert!(
            run.stdout.contains("file/parse") && run.stdout.contains("unreadable"),
            "{}",
            run.stdout
        );
        assert!(!run.stderr.contains("panicked"));
    }
    // Read leniently, the non-UTF-8 file is valid data.
    let lenient = std::fs::read_to_string(schema("people.yaml")).unwrap()
        + "dialect: {encoding: utf-8-lossy}\n";
    repo.write("lossy.yaml", lenient);
    check_json(&repo, &broken("not-utf8.csv"), "lossy.yaml", 0);
    // Read in its own encoding, plain or gzipped, its text is what was written.
    let latin1 = b"name\nJos\xe9\nZo\xeb\n";
    repo.write("latin1.csv", latin1);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, latin1).unwrap();
    repo.write("latin1.csv.gz", gz.finish().unwrap());
    let names = "fields:\n  - {name: name, constraints: {enum: [José, Zoë]}}\n";
    repo.write(
        "latin1.yaml",
        format!("{names}dialect: {{encoding: latin1}}\n"),
    );
    repo.write(
        "lossy-names.yaml",
        format!("{names}dialect: {{encoding: utf-8-lossy}}\n"),
    );
    for file in ["latin1.csv", "latin1.csv.gz"] {
        check_json(&repo, file, "latin1.yaml", 0);
        let report = check_json(&repo, file, "lossy-names.yaml", 1);
        assert_eq!(
            findings(&report)[0]["samples"][0]["value"],
            "Jos\u{fffd}",
            "{file}"
        );
    }
    repo.write(
        "bad-encoding.yaml",
        format!("{names}dialect: {{encoding: klingon}}\n"),
    );
    let run = repo
        .kiln(["check", "latin1.csv", "--schema", "bad-encoding.yaml"])
        .code(2);
    assert!(
        run.stderr.contains("encoding `klingon` is not known"),
        "{}",
        run.stderr
    );
    // A missing file and an unknown format are errors, not findings.
    repo.kiln(["check", "nope.csv", "--schema", &schema("people.yaml")])
        .fails()
        .code(3);
    repo.write("notes.txt", "hello");
    repo.kiln(["check", "notes.txt", "--schema", &schema("people.yaml")])
        .fails()
        .code(2);
}

/// people.yaml with `age`'s minimum written as `minimum`.
fn people_with_minimum(repo: &Repo, file: &str, minimum: &str) {
    let text = std::fs::read_to_string(schema("people.yaml")).unwrap();
    let text = text.replace("      minimum: 0\n", &format!("      minimum: {minimum}\n"));
    assert!(text.contains(minimum));
    repo.write(file, text);
}

#[test]
fn mostly_and_severity_change_the_verdict() {
    let repo = Repo::new();
    let data = broken("cell-minimum.csv"); // 2 of 5 rows below the minimum
    people_with_minimum(&repo, "tolerant.yaml", "{value: 0, mostly: 0.6}");
    let report = check_json(&repo, &data, "tolerant.yaml", 0);
    let f = &findings(&report)[0];
    assert_eq!(
        (
            f["status"].as_str(),
            f["count"].as_u64(),
            f["mostly"].as_f64()
        ),
        (Some("tolerated"), Some(2), Some(0.6))
    );
    assert_eq!(report["files"][0]["verdict"], "valid");

    people_with_minimum(&repo, "strict.yaml", "{value: 0, mostly: 0.61}");
    let report = check_json(&repo, &data, "strict.yaml", 1);
    assert_eq!(findings(&report)[0]["status"], "failed");

    people_with_minimum(&repo, "warn.yaml", "{value: 0, severity: warn}");
    let report = check_json(&repo, &data, "warn.yaml", 0);
    assert_eq!(report["files"][0]["verdict"], "warn");
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(findings(&report)[0]["severity"], "warn");
    let run = repo
        .kiln(["check", &data, "--schema", "warn.yaml", "--fail-on", "warn"])
        .code(1);
    assert!(
        run.stdout.lines().last().unwrap().starts_with("invalid:"),
        "{}",
        run.stdout
    );

    // A field's own severity is the default of its checks, type included.
    let text = std::fs::read_to_string(schema("people.yaml"))
        .unwrap()
        .replace(
            "  - name: age\n    type: integer\n",
            "  - name: age\n    type: integer\n    severity: warn\n",
        );
    repo.write("field-warn.yaml", text);
    let report = check_json(&repo, &broken("cell-type.csv"), "field-warn.yaml", 0);
    assert_eq!(findings(&report)[0]["severity"], "warn");
}

#[test]
fn the_cache_answers_a_second_check_on_unchanged_data() {
    let repo = Repo::new();
    repo.write(
        "data/people.csv",
        std::fs::read(people("valid.csv")).unwrap(),
    );
    repo.write(
        "schemas/people.yaml",
        std::fs::read(schema("people.yaml")).unwrap(),
    );
    // `add` would check (and cache) the data itself; skip that here.
    repo.kiln([
        "add",
        "data/people.csv",
        "--schema",
        "schemas/people.yaml",
        "--no-check",
    ])
    .ok();

    let first = repo.kiln(["check", "--json", "-v"]).ok();
    assert_eq!(first.json()["files"][0]["cached"], false);
    assert!(
        first
            .stderr
            .contains("checking against schemas/people.yaml"),
        "{}",
        first.stderr
    );
    let second = repo.kiln(["check", "--json", "-v"]).ok();
    let report = second.json();
    assert_eq!(report["files"][0]["cached"], true);
    assert!(
        second.stderr.contains("data/people.csv: cached result"),
        "{}",
        second.stderr
    );
    assert!(
        !second.stderr.contains("checking against"),
        "{}",
        second.stderr
    );
    assert_eq!(report["files"][0]["path"], "data/people.csv");
    assert_eq!(
        report["files"][0]["profile"],
        first.json()["files"][0]["profile"]
    );

    // Changed data is read again; the cached report of a failure is the same report.
    repo.write(
        "data/people.csv",
        std::fs::read(broken("cell-minimum.csv")).unwrap(),
    );
    let fresh = repo.kiln(["check", "--json"]).code(1);
    assert_eq!(fresh.json()["files"][0]["cached"], false);
    let again = repo.kiln(["check", "--json"]).code(1);
    assert_eq!(again.json()["files"][0]["cached"], true);
    assert_eq!(findings(&again.json()), findings(&fresh.json()));
    // --no-cache reads the data again.
    let run = repo.kiln(["check", "--json", "--no-cache"]).code(1);
    assert_eq!(run.json()["files"][0]["cached"], false);
    // So does a changed schema.
    let text = repo
        .read_string("schemas/people.yaml")
        .replace("maximum: 120", "maximum: 40");
    repo.write("schemas/people.yaml", text);
    let run = repo.kiln(["check", "--json"]).code(1);
    assert_eq!(run.json()["files"][0]["cached"], false);
    let codes: Vec<_> = findings(&run.json())
        .iter()
        .map(|f| f["code"].clone())
        .collect();
    assert_eq!(codes, vec!["cell/minimum", "cell/maximum"]);
}

#[test]
fn check_finds_bound_data_by_pointer_and_config_glob() {
    let repo = Repo::new();
    repo.kiln(["check"]).ok();
    repo.write(
        "schemas/people.yaml",
        std::fs::read(schema("people.yaml")).unwrap(),
    );
    repo.write(
        "data/raw/a.csv",
        std::fs::read(people("valid.csv")).unwrap(),
    );
    repo.write(
        "data/raw/b.csv",
        std::fs::read(broken("cell-enum.csv")).unwrap(),
    );
    repo.write(
        "data/other.csv",
        std::fs::read(people("valid.csv")).unwrap(),
    );
    repo.kiln(["add", "data/raw", "data/other.csv"]).ok();
    // Nothing is bound yet.
    let run = repo.kiln(["check"]).ok();
    assert!(run.stderr.contains("nothing to check"), "{}", run.stderr);
    repo.kiln(["check", "data/other.csv"]).fails().code(2);

    let config = repo.read_string(".kiln/config.toml")
        + "\n[[check]]\npath = \"data/raw/*.csv\"\nschema = \"schemas/people.yaml\"\n";
    repo.write(".kiln/config.toml", config);
    // The files the glob binds are one table, reported with each file.
    let report = repo.kiln(["check", "--json"]).code(1).json();
    let files: Vec<(&str, &str)> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        vec![
            ("data/raw/*.csv", "invalid"),
            ("data/raw/a.csv", "valid"),
            ("data/raw/b.csv", "invalid")
        ]
    );
    // A path narrows the check.
    let report = repo.kiln(["check", "data/raw/a.csv", "--json"]).ok().json();
    assert_eq!(report["summary"]["files"], 1);
    // A file named twice, or with its folder, is checked once.
    let report = repo
        .kiln([
            "check",
            "data/raw/b.csv",
            "data/raw",
            "data/raw/b.csv",
            "--json",
        ])
        .code(1)
        .json();
    assert_eq!(report["summary"]["files"], 2);
    // So does --schema, for any folder.
    let report = repo
        .kiln([
            "check",
            "data/raw",
            "--schema",
            "schemas/people.yaml",
            "--json",
        ])
        .code(1)
        .json();
    assert_eq!(report["summary"]["files"], 2);
    assert_eq!(report["summary"]["invalid"], 1);
    // A file that is not tracked is checked when a glob binds it.
    repo.write(
        "data/raw/c.csv",
        std::fs::read(people("valid.csv")).unwrap(),
    );
    let report = repo.kiln(["check", "data/raw/c.csv", "--json"]).ok().json();
    assert_eq!(report["files"][0]["path"], "data/raw/c.csv");
    // A folder bound by its pointer covers the files named inside it.
    repo.kiln([
        "add",
        "data/raw",
        "--schema",
        "schemas/people.yaml",
        "--no-check",
    ])
    .ok();
    let report = repo
        .kiln(["check", "data/raw", "data/raw/a.csv", "--json"])
        .code(1)
        .json();
    assert_eq!(report["summary"]["files"], 3);
}

#[test]
fn output_formats() {
    let repo = Repo::new();
    let data = broken("cell-enum.csv");
    let people_schema = schema("people.yaml");
    let check = |format: &str, code: i32| -> Run {
        repo.kiln([
            "check",
            &data,
            "--schema",
            &people_schema,
            "--format",
            format,
        ])
        .code(code)
    };

    let human = check("human", 1).stdout;
    assert!(human.contains("grade\n"), "{human}");
    assert!(
        human.contains("cell/enum") && human.contains("2 values are not one of A, B, C (40.0%)"),
        "{human}"
    );
    assert!(
        human.contains(r#"row 1 (line 2): "D", row 4 (line 5): "E""#),
        "{human}"
    );
    let last = human.lines().last().unwrap();
    assert_eq!(
        last,
        "invalid: 1 file checked (0 valid, 1 invalid); 1 error, 0 warnings"
    );

    let json = check("json", 1).json();
    for key in ["valid", "verdict", "summary", "files"] {
        assert!(json.get(key).is_some(), "{key} in {json:#}");
    }
    let file = &json["files"][0];
    for key in [
        "path",
        "schema",
        "format",
        "schemaId",
        "bytes",
        "rows",
        "verdict",
        "cached",
        "findings",
        "passed",
        "notChecked",
        "profile",
    ] {
        assert!(file.get(key).is_some(), "{key} in {file:#}");
    }

    let junit = check("junit", 1).stdout;
    assert!(
        junit.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kiln check\""
        ),
        "{junit}"
    );
    assert!(
        junit.contains("<testsuite name=\"") && junit.contains("failures=\"1\""),
        "{junit}"
    );
    assert!(
        junit.contains("name=\"grade: cell/enum\"><failure type=\"cell/enum\""),
        "{junit}"
    );
    assert!(
        junit.contains("<testcase classname=") && junit.contains("name=\"age: cell/minimum\"/>"),
        "{junit}"
    );
    assert!(
        junit.contains("<skipped message=\"csv files do not record physical types\"/>"),
        "{junit}"
    );
    assert_eq!(junit.matches("<testsuite ").count(), 1);
    assert!(junit.trim_end().ends_with("</testsuites>"));

    let github = check("github", 1).stdout;
    let first = github.lines().next().unwrap();
    assert!(first.starts_with("::error file="), "{github}");
    assert!(
        first.contains("cell-enum.csv,line=2,title=kiln cell/enum::grade: 2 values"),
        "{github}"
    );

    // Warnings annotate as warnings, and fail only when asked.
    people_with_minimum(&repo, "warn.yaml", "{value: 0, severity: warn}");
    let run = repo
        .kiln([
            "check",
            &broken("cell-minimum.csv"),
            "--schema",
            "warn.yaml",
            "--format",
            "github",
        ])
        .ok();
    assert!(run.stdout.starts_with("::warning file="), "{}", run.stdout);
    let run = repo
        .kiln([
            "check",
            &broken("cell-minimum.csv"),
            "--schema",
            "warn.yaml",
            "--format",
            "junit",
            "--fail-on",
            "warn",
        ])
        .code(1);
    assert!(
        run.stdout.contains("<failure type=\"cell/minimum\""),
        "{}",
        run.stdout
    );
}

#[test]
fn malformed_schemas_are_located_with_a_hint() {
    let repo = Repo::new();
    let data = people("valid.csv");
    let cases = [
        (
            "fields:\n  - name: age\n    type: integer\n    constraints:\n      minimun: 0\n",
            "bad.yaml:5:",
            "did you mean `minimum`?",
        ),
        (
            "fields:\n  - name: age\n    typ: integer\n",
            "bad.yaml:3:",
            "did you mean `type`?",
        ),
        (
            "feilds:\n  - name: age\n",
            "bad.yaml:1:",
            "did you mean `fields`?",
        ),
        (
            "fields:\n  - name: age\n    type: integr\n",
            "bad.yaml:3:11:",
            "did you mean `integer`?",
        ),
        (
            "primaryKey: idd\nfields:\n  - name: id\n",
            "bad.yaml:1:",
            "did you mean `id`?",
        ),
        (
            "fields:\n  - name: age\n    type: integer\n    constraints: {maximum: {value: 3, severty: warn}}\n",
            "bad.yaml:4:",
            "did you mean `severity`?",
        ),
    ];
    for (text, at, hint) in cases {
        let stderr = refused_schema(&repo, &data, text, at);
        assert!(
            stderr.contains(&format!("hint: {hint}")),
            "{text}\n{stderr}"
        );
    }
    // Values are checked against their field's type, and JSON is located too.
    repo.write(
        "bad.yaml",
        "fields:\n  - name: age\n    type: integer\n    constraints: {minimum: abc}\n",
    );
    let run = repo.kiln(["check", &data, "--schema", "bad.yaml"]).fails();
    assert!(
        run.stderr.contains("bad.yaml:4:")
            && run.stderr.contains("`abc` is not a valid integer value"),
        "{}",
        run.stderr
    );
    repo.write("bad.json", "{\"fields\": [\n  {\"name\": \"age\", \"type\": \"integer\", \"constraints\": {\"pattern\": \"(\"}}\n]}\n");
    let run = repo
        .kiln(["check", &data, "--schema", "bad.json"])
        .fails()
        .code(2);
    assert!(
        run.stderr.contains("bad.json:2:") && run.stderr.contains("not a valid regular expression"),
        "{}",
        run.stderr
    );
}

/// A plain Frictionless Table Schema (JSON) is read as is.
#[test]
fn frictionless_json_schemas_are_accepted() {
    let repo = Repo::new();
    repo.write(
        "table.json",
        r#"{
  "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
  "fields": [
    {"name": "id", "type": "integer", "title": "Identifier", "constraints": {"required": true}},
    {"name": "name", "type": "string", "description": "Given name"},
    {"name": "city", "type": "string"},
    {"name": "age", "type": "integer", "constraints": {"minimum": 0}},
    {"name": "score", "type": "number", "bareNumber": true},
    {"name": "grade", "type": "string", "categories": ["A", "B"]},
    {"name": "code", "type": "string"},
    {"name": "email", "type": "string", "format": "email"}
  ],
  "missingValues": ["", "NA"],
  "primaryKey": ["id"]
}"#,
    );
    let got = check_summaries(&repo, &people("valid.csv"), "table.json", 1);
    // Categories restrict values like an enum.
    assert_eq!(
        got,
        vec![(
            "cell/enum".to_string(),
            Some("grade".to_string()),
            1,
            vec![3]
        )]
    );
}

#[test]
fn types_formats_and_missing_values_from_text() {
    let repo = Repo::new();
    repo.write(
        "t.csv",
        "n,f,b,d,dt,t,ym,y,e,u,g\n\
         1,1.5,yes,2024-01-31,2024-01-31T10:00:00Z,10:00:00,2024-01,2024,a@b.org,\"90, 45\",1.000\n\
         NA,2,no,2024-02-30,2024-01-31 10:00,25:00:00,2024-13,20x4,nope,\"190, 45\",\"2.500,5\"\n",
    );
    repo.write(
        "t.yaml",
        "missingValues: ['', NA]\nfields:\n\
         \x20 - {name: n, type: integer, constraints: {required: true}}\n\
         \x20 - {name: f, type: number}\n\
         \x20 - {name: b, type: boolean, trueValues: [yes], falseValues: [no]}\n\
         \x20 - {name: d, type: date}\n\
         \x20 - {name: dt, type: datetime}\n\
         \x20 - {name: t, type: time}\n\
         \x20 - {name: ym, type: yearmonth}\n\
         \x20 - {name: y, type: year}\n\
         \x20 - {name: e, type: string, format: email}\n\
         \x20 - {name: u, type: geopoint}\n\
         \x20 - {name: g, type: number, groupChar: '.', decimalChar: ','}\n",
    );
    let got = check_summaries(&repo, "t.csv", "t.yaml", 1);
    let want: Vec<(String, Option<String>, u64, Vec<u64>)> = [
        ("cell/required", "n"),
        ("cell/type", "d"),
        ("cell/type", "dt"),
        ("cell/type", "t"),
        ("cell/type", "ym"),
        ("cell/type", "y"),
        ("cell/type", "e"),
        ("cell/type", "u"),
    ]
    .iter()
    .map(|(c, f)| (c.to_string(), Some(f.to_string()), 1, vec![2]))
    .collect();
    assert_eq!(got, want);
}

/// Plain number columns are typed by the CSV reader when every cell
/// parses, and from text otherwise: both reads agree on every cell.
#[test]
fn numbers_read_alike_by_the_reader_and_from_text() {
    let repo = Repo::new();
    let parses = "i,x\n 5,1.5\n,2\n  ,3\n7, 11\n-3,\n";
    repo.write("a.csv", parses);
    repo.write("b.csv", format!("{parses}x1,4\n8 ,5 \n"));
    repo.write(
        "n.yaml",
        "fields:\n\
         \x20 - {name: i, type: integer, constraints: {required: true, minimum: 0}}\n\
         \x20 - {name: x, type: number, constraints: {maximum: 10}}\n",
    );
    // A cell of blanks only (row 3) is no integer in either read.
    let shared = vec![
        ("cell/required", "i", 1, vec![2]),
        ("cell/minimum", "i", 1, vec![5]),
        ("cell/maximum", "x", 1, vec![4]),
    ];
    let mut blank_cell = vec![("cell/type", "i", 1, vec![3])];
    blank_cell.extend(shared.clone());
    let mut with_bad_cell = vec![("cell/type", "i", 2, vec![3, 6])];
    with_bad_cell.extend(shared.clone());
    for (file, want, as_text) in [("a.csv", blank_cell, false), ("b.csv", with_bad_cell, true)] {
        let run = repo
            .kiln_env(
                ["check", file, "--schema", "n.yaml", "--json", "--no-cache"],
                &[("KILN_LOG", "debug")],
            )
            .code(1);
        assert_eq!(
            run.stderr.contains("reading as text"),
            as_text,
            "{}",
            run.stderr
        );
        let got: Vec<_> = findings(&run.json()).iter().map(summary).collect();
        let want: Vec<_> = want
            .into_iter()
            .map(|(c, f, n, rows)| (c.to_string(), Some(f.to_string()), n, rows))
            .collect();
        assert_eq!(got, want, "{file}");
    }
}

/// A field without a type compares an enum with the cells' text, whatever
/// the file's physical type.
#[test]
fn enum_of_an_untyped_field_compares_text() {
    let repo = Repo::new();
    repo.write(
        "t.ndjson",
        "{\"k\": 1}\n{\"k\": 4}\n{\"k\": 2}\n{\"k\": null}\n",
    );
    repo.write(
        "t.yaml",
        "fields:\n  - {name: k, constraints: {enum: [1, 2, 3]}}\n",
    );
    let got = check_summaries(&repo, "t.ndjson", "t.yaml", 1);
    // A row whose only cell is missing is a blank row.
    assert_eq!(
        got,
        vec![
            ("cell/enum".into(), Some("k".into()), 1, vec![2]),
            ("row/blank".into(), None, 1, vec![4])
        ]
    );
}

/// A date field's default form is exactly `YYYY-MM-DD` (Table Schema),
/// read by kiln; the pattern `%Y-%m-%d` reads as strptime reads it (one-
/// or two-digit months and days, four-digit years), through kiln's fast
/// path for the plain form and polars for the rest.
#[test]
fn default_dates_are_exact_and_patterns_parse_as_polars_parses_them() {
    let repo = Repo::new();
    let cells = [
        "2024-01-31",
        "2024-02-30",
        "2024-13-01",
        "2024-1-5",
        "0000-01-01",
        "-001-01-01",
        "2024-02-29",
        "2023-02-29",
        " 2024-01-01",
        "2024-01-01 ",
        "2024-01-01T00:00",
        "+2024-01-01",
        "2024/01/01",
        "9999-12-31",
        "1969-12-31",
        "20240101",
        "2024-01-1",
    ];
    repo.write("d.csv", format!("d\n{}\n", cells.join("\n")));
    for (format, refused, min) in [
        (
            "",
            vec![2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 16, 17],
            "0000-01-01",
        ),
        // As C and Python read the pattern: `%Y` is four digits.
        (
            ", format: '%Y-%m-%d'",
            vec![2, 3, 6, 8, 9, 10, 11, 12, 13, 16],
            "0000-01-01",
        ),
    ] {
        repo.write(
            "d.yaml",
            format!("fields:\n  - {{name: d, type: date{format}}}\n"),
        );
        let run = repo
            .kiln([
                "check",
                "d.csv",
                "--schema",
                "d.yaml",
                "--json",
                "--max-samples",
                "20",
                "--no-cache",
            ])
            .code(1);
        let report = run.json();
        let got: Vec<_> = summaries(&report);
        let n = refused.len() as u64;
        assert_eq!(
            got,
            vec![("cell/type".into(), Some("d".into()), n, refused)],
            "{format}"
        );
        let profile = &report["files"][0]["profile"][0];
        assert_eq!(
            (&profile["min"], &profile["max"]),
            (&min.into(), &"9999-12-31".into())
        );
    }
}

/// A hint follows its error into any command: a schema's typo is explained
/// by `kiln check` and by `kiln add`, which checks before it records.
#[test]
fn a_schema_error_has_its_hint_in_every_command() {
    let repo = Repo::new();
    repo.write("a.csv", "id\n1\n");
    repo.write("bad.yaml", "fields:\n  - {name: id, type: integr}\n");
    for args in [
        vec!["check", "a.csv", "--schema", "bad.yaml"],
        vec!["add", "a.csv", "--schema", "bad.yaml"],
    ] {
        let run = repo.kiln(&args).fails();
        assert!(
            run.stderr.contains("unknown type `integr`"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("hint: did you mean `integer`?"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

/// Integers have no 64-bit bound, in uniqueness as elsewhere: integers
/// past it repeat by value (`+0123…` is `123…`), in `unique` and in the
/// primary key, and distinct ones do not.
#[test]
fn integers_past_64_bits_repeat_by_value() {
    let repo = Repo::new();
    repo.write(
        "a.csv",
        "id\n123456789012345678901234567890\n5\n+0123456789012345678901234567890\n\
         -99999999999999999999999\n-99999999999999999999999\n123456789012345678901234567891\n",
    );
    repo.write(
        "s.yaml",
        "fields:\n  - {name: id, type: integer, constraints: {unique: true}}\nprimaryKey: [id]\n",
    );
    let run = repo
        .kiln([
            "check",
            "a.csv",
            "--schema",
            "s.yaml",
            "--json",
            "--no-cache",
        ])
        .code(1);
    let got: Vec<_> = findings(&run.json()).iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            ("cell/unique".into(), Some("id".into()), 2, vec![3, 5]),
            ("row/primary-key".into(), None, 2, vec![3, 5]),
        ]
    );
}

/// Plain numeric patterns (`%d/%m/%Y`, `%Y/%m/%d %H:%M:%S`, …) are read by
/// kiln's own parser; every cell, odd ones included, reads as polars'
/// strptime held to the pattern's shape reads it (the slow path, which
/// `KILN_TEST_SLOW_PATHS` forces): the same findings, rows and bounds.
#[test]
fn patterns_read_alike_by_kiln_and_by_strptime() {
    let repo = Repo::new();
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "date",
            "%d/%m/%Y",
            &[
                "26/01/2024",
                "1/2/2024",
                "01/02/2024",
                "31/02/2024",
                "29/02/2023",
                "29/02/2024",
                " 1/02/2024",
                "001/02/2024",
                "26/01/24",
                "26/01/02024",
                "26-01-2024",
                "26/01/2024 ",
                "00/01/2024",
                "32/01/2024",
                "26/13/2024",
                "26/0/2024",
                "+1/01/2024",
                "26/01/-024",
                "",
                "1/1/0000",
                "31/12/9999",
            ],
        ),
        (
            "date",
            "%Y.%m.%d",
            &[
                "2024.01.26",
                "2024.1.2",
                "24.01.26",
                "2024.1.32",
                "2024..26",
                "2024.02.29",
                "x",
            ],
        ),
        (
            "datetime",
            "%d/%m/%Y %H:%M:%S",
            &[
                "12/11/2018 09:15:32",
                "1/1/2018 9:5:3",
                "12/11/2018 24:00:00",
                "12/11/2018 23:60:00",
                "12/11/2018 23:59:60",
                "12/11/2018  9:15:32",
                "12/11/2018T09:15:32",
                "31/11/2018 00:00:00",
            ],
        ),
        (
            "time",
            "%H.%M.%S",
            &[
                "09.15.32",
                "9.5.3",
                "24.00.00",
                "23.59.59",
                "23.59",
                "23.59.59.5",
                "-1.00.00",
            ],
        ),
    ];
    for (kind, pattern, cells) in cases {
        repo.write("p.csv", format!("v\n{}\n", cells.join("\n")));
        repo.write(
            "p.yaml",
            format!("fields:\n  - {{name: v, type: {kind}, format: '{pattern}'}}\n"),
        );
        let check = |env: &[(&str, &str)]| {
            let args = [
                "check",
                "p.csv",
                "--schema",
                "p.yaml",
                "--json",
                "--max-samples",
                "30",
                "--no-cache",
            ];
            let report = repo.kiln_env(args, env).json();
            let file = &report["files"][0];
            (
                findings(&report).iter().map(summary).collect::<Vec<_>>(),
                file["profile"][0]["min"].clone(),
                file["profile"][0]["max"].clone(),
            )
        };
        let fast = check(&[]);
        let slow = check(&[("KILN_TEST_SLOW_PATHS", "1")]);
        assert_eq!(fast, slow, "{kind} {pattern}");
        assert!(
            !fast.0.is_empty(),
            "{kind} {pattern}: some cells are refused"
        );
    }
}

/// A CSV file of several megabytes is read in pieces on every core: cells
/// quoted across lines and with doubled quotes, rows short, long and blank,
/// bad values and repeated keys anywhere in it, find what the one
/// sequential read (the slow path) finds, with the same rows and lines.
#[test]
fn a_large_csv_read_in_pieces_is_judged_as_read_at_once() {
    let repo = Repo::new();
    let mut text = String::from("id,name,note,n\n");
    for i in 0..300_000u64 {
        let note = match i % 7 {
            0 => format!("\"line one\nline \"\"{i}\"\", two\""),
            3 => "\"\"".to_string(),
            _ => format!("note {i}"),
        };
        let n = if i % 10_007 == 0 {
            "many".to_string()
        } else {
            (i % 1500).to_string()
        };
        let id = if i % 50_021 == 1 { i - 1 } else { i };
        match i % 40_009 {
            5 => text.push_str(&format!("{id},user_{i}\n")),
            6 => text.push_str(&format!("{id},user_{i},{note},{n},extra\n")),
            7 => text.push('\n'),
            _ => text.push_str(&format!("{id},user_{i},{note},{n}\n")),
        }
    }
    // Pieces are of 4 MiB: three at least.
    assert!(text.len() > 8 << 20, "{} bytes", text.len());
    repo.write("big.csv", text);
    repo.write(
        "big.yaml",
        "fields:\n\
         \x20 - {name: id, type: integer, constraints: {required: true, unique: true}}\n\
         \x20 - {name: name, type: string, constraints: {pattern: 'user_[0-9]+'}}\n\
         \x20 - {name: note, type: string, constraints: {required: true}}\n\
         \x20 - {name: n, type: integer, constraints: {maximum: 1000}}\n",
    );
    let check = |env: &[(&str, &str)]| {
        let args = [
            "check",
            "big.csv",
            "--schema",
            "big.yaml",
            "--json",
            "--no-cache",
        ];
        let report = repo.kiln_env(args, env).json();
        let file = &report["files"][0];
        // The profile's exact parts (its moments and quantiles are of a
        // sample, drawn batch by batch).
        let exact: Vec<Vec<Value>> = file["profile"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                ["name", "nulls", "min", "max", "distinct"]
                    .map(|k| p[k].clone())
                    .to_vec()
            })
            .collect();
        (
            findings(&report).iter().map(summary).collect::<Vec<_>>(),
            file["rows"].clone(),
            exact,
        )
    };
    let fast = check(&[]);
    let slow = check(&[("KILN_TEST_SLOW_PATHS", "1")]);
    assert_eq!(fast, slow);
    let codes: Vec<&str> = fast.0.iter().map(|f| f.0.as_str()).collect();
    for code in [
        "row/missing-cell",
        "row/extra-cell",
        "row/blank",
        "cell/type",
        "cell/maximum",
        "cell/unique",
        "cell/required",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
}

/// Times and datetimes in their default forms: `hh:mm:ss` and XML Schema
/// `dateTime`, zero-padded, a zone as `Z` or `±hh:mm`; `year` has at least
/// four digits.
#[test]
fn default_times_datetimes_and_years_are_exact() {
    let repo = Repo::new();
    repo.write(
        "t.csv",
        "t,dt,y\n\
         10:00:00,2024-01-01T10:00:00Z,2024\n\
         10:00:00.5,2024-01-01T10:00:00.123456+02:00,0999\n\
         1:00:00,2024-01-01 10:00:00,99\n\
         24:00:00,2024-01-01T10:00,-2024\n\
         10:00,2024-01-01T10:00:00+0200,12345\n\
         10:60:00,2024-1-01T10:00:00Z,20x4\n",
    );
    repo.write(
        "t.yaml",
        "fields:\n\
         \x20 - {name: t, type: time}\n\
         \x20 - {name: dt, type: datetime, constraints: {minimum: '2024-01-01T08:00:00Z'}}\n\
         \x20 - {name: y, type: year}\n",
    );
    let got = check_summaries(&repo, "t.csv", "t.yaml", 1);
    assert_eq!(
        got,
        vec![
            ("cell/type".into(), Some("t".into()), 4, vec![3, 4, 5, 6]),
            ("cell/type".into(), Some("dt".into()), 4, vec![3, 4, 5, 6]),
            // 10:00:00.123456+02:00 is 08:00:00.123456 UTC: above the bound.
            ("cell/type".into(), Some("y".into()), 2, vec![3, 6]),
        ]
    );
}

/// `email` refuses dots at the ends of the local part or doubled; `uri` is
/// RFC 3986 (an IP-literal must be closed).
#[test]
fn string_formats_follow_their_rfcs() {
    let repo = Repo::new();
    repo.write(
        "s.csv",
        "e,u\n\
         a.b@example.com,http://example.com/a?b=c#d\n\
         .a@example.com,http://[::1]:80/x\n\
         a.@example.com,http://[::1/x\n\
         a..b@example.com,mailto:a@example.com\n\
         a@b,urn:isbn:0451450523\n\
         a b@example.com,http://exa mple.com\n",
    );
    repo.write(
        "s.yaml",
        "fields:\n\
         \x20 - {name: e, type: string, format: email}\n\
         \x20 - {name: u, type: string, format: uri}\n",
    );
    let got = check_summaries(&repo, "s.csv", "s.yaml", 1);
    assert_eq!(
        got,
        vec![
            ("cell/type".into(), Some("e".into()), 5, vec![2, 3, 4, 5, 6]),
            ("cell/type".into(), Some("u".into()), 2, vec![3, 6]),
        ]
    );
}

#[test]
fn inferred_schemas_pass_their_own_data() {
    let repo = Repo::new();
    repo.write(
        "train.csv",
        "id,label,weight,when,day,ok,note\n\
         1,cat,0.1,2024-01-01T00:00:00,2024-01-01,true,\n\
         2,dog,1e-7,2024-01-02T12:30:00,2024-01-02,false,x\n\
         3,cat,2.5,2024-01-03T00:00:01,2024-01-03,true,\n\
         4,dog,-3.25,2024-01-04T23:59:59,2024-01-04,true,y\n\
         5,cat,100,2024-01-05T00:00:00,2024-01-05,false,\n\
         6,dog,0.3,2024-01-06T06:00:00,2024-01-06,true,z\n",
    );
    let run = repo
        .kiln(["schema", "infer", "train.csv", "-o", "schemas/train.yaml"])
        .ok();
    assert!(run.stderr.contains("wrote"), "{}", run.stderr);
    let text = repo.read_string("schemas/train.yaml");
    for want in [
        "- name: \"id\"\n    type: integer\n    constraints:\n      required: true\n      unique: true\n      minimum: 1\n      maximum: 6",
        "- name: \"label\"\n    type: string\n    constraints:\n      required: true\n      enum: [\"cat\", \"dog\"]",
        "- name: \"weight\"\n    type: number",
        "minimum: -3.25",
        "- name: \"when\"\n    type: datetime",
        "- name: \"day\"\n    type: date",
        "- name: \"ok\"\n    type: boolean",
        "- name: \"note\"\n    type: string\n",
        "rows: {min: 6}",
        "# observed: 3 missing, 3 distinct",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    repo.kiln(["check", "train.csv", "--schema", "schemas/train.yaml"])
        .ok();
    // Without --force, an existing schema is kept.
    repo.kiln(["schema", "infer", "train.csv", "-o", "schemas/train.yaml"])
        .fails()
        .code(2);

    // Typed files too, with their dtypes; and a schema on stdout.
    for file in ["valid.csv", "valid.parquet", "valid.ndjson", "valid.arrow"] {
        let run = repo.kiln(["schema", "infer", &people(file)]).ok();
        let out = format!("inferred-{file}.yaml");
        repo.write(&out, &run.stdout);
        if file.ends_with("parquet") {
            assert!(run.stdout.contains("dtype: \"int64\""), "{}", run.stdout);
        }
        repo.kiln(["check", &people(file), "--schema", &out]).ok();
    }
    repo.kiln(["schema", "infer", &broken("file-parse.parquet")])
        .fails()
        .code(3);

    // JSON members typed by their values' kinds: one mixing kinds is `any`.
    let lines = [
        r#"{"a":1,"b":true,"c":{"x":1},"d":[1],"e":"t","f":1.5,"g":7}"#,
        r#"{"a":true,"b":false,"c":{"y":2},"d":[],"e":"u","f":2,"g":8}"#,
        r#"{"a":"x","b":null,"c":{},"d":[3],"e":"v","f":null,"g":9}"#,
    ];
    repo.write("mixed.jsonl", lines.join("\n") + "\n");
    repo.write("mixed.json", format!("[{}]", lines.join(",")));
    for file in ["mixed.jsonl", "mixed.json"] {
        let run = repo.kiln(["schema", "infer", file]).ok();
        let types: Vec<&str> = run
            .stdout
            .lines()
            .filter_map(|l| l.trim().strip_prefix("type: "))
            .collect();
        assert_eq!(
            types,
            [
                "any", "boolean", "object", "array", "string", "number", "integer"
            ],
            "{file}: {}",
            run.stdout
        );
        repo.write("mixed.yaml", &run.stdout);
        repo.kiln(["check", file, "--schema", "mixed.yaml"]).ok();
    }
}

/// Every schema under `fixtures/` is valid against `schemas/table-schema.json`,
/// and kiln's own files against theirs.
#[test]
fn json_schemas_describe_the_files_kiln_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let load = |name: &str| -> Value {
        let text = std::fs::read_to_string(root.join("schemas").join(name)).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let table = load("table-schema.json");
    let mut schemas: Vec<PathBuf> = std::fs::read_dir(fixtures().join("schemas"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    schemas.sort();
    assert!(schemas.len() >= 2);
    for path in schemas {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: Value = serde_saphyr::from_str(&text).unwrap();
        let errors = jsonschema::validate(&table, &doc);
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    // The validator is not vacuous: misspelt keys and bad values fail.
    for bad in [
        r#"{"fields": [{"name": "a", "constraints": {"minimun": 1}}]}"#,
        r#"{"fields": [{"name": "a", "type": "integr"}]}"#,
        r#"{"fields": [{"name": "a", "dtype": "int33"}]}"#,
        r#"{"fields": [{"name": "a", "constraints": {"maximum": {"value": 1, "mostly": 2}}}]}"#,
        r#"{"fields": []}"#,
        r#"{"feilds": [{"name": "a"}]}"#,
    ] {
        let doc: Value = serde_json::from_str(bad).unwrap();
        assert!(
            !jsonschema::validate(&table, &doc).is_empty(),
            "accepted {bad}"
        );
    }

    let repo = Repo::new();
    repo.write("data/a.csv", std::fs::read(people("valid.csv")).unwrap());
    repo.write("data/d/b.csv", std::fs::read(people("valid.csv")).unwrap());
    repo.write(
        "schemas/people.yaml",
        std::fs::read(schema("people.yaml")).unwrap(),
    );
    repo.kiln([
        "add",
        "data/a.csv",
        "data/d",
        "--schema",
        "schemas/people.yaml",
    ])
    .ok();
    let pointer = load("pointer.json");
    for p in ["data/a.csv.kiln", "data/d.kiln"] {
        let doc: Value = serde_saphyr::from_str(&repo.read_string(p)).unwrap();
        let errors = jsonschema::validate(&pointer, &doc);
        assert!(errors.is_empty(), "{p}: {errors:?}");
    }
    let config = load("config.json");
    let text = repo.read_string(".kiln/config.toml")
        + "\n[[check]]\npath = \"data/*.csv\"\nschema = \"schemas/people.yaml\"\n";
    let doc: toml::Value = toml::from_str(&text).unwrap();
    let doc = serde_json::to_value(doc).unwrap();
    let errors = jsonschema::validate(&config, &doc);
    assert!(errors.is_empty(), "config: {errors:?}");
}

/// A validator for the JSON Schema keywords kiln's schemas use; any other
/// keyword fails the test, so none is silently ignored.
mod jsonschema {
    use serde_json::Value;

    const ANNOTATIONS: [&str; 6] = [
        "$schema",
        "title",
        "description",
        "default",
        "$defs",
        "format",
    ];

    pub fn validate(root: &Value, doc: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        check(root, root, doc, "", &mut errors);
        errors
    }

    fn resolve<'a>(root: &'a Value, reference: &str) -> &'a Value {
        let path = reference
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("only local $ref: {reference}"));
        path.split('/').fold(root, |v, part| &v[part])
    }

    fn type_ok(t: &str, v: &Value) -> bool {
        match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "number" => v.is_number(),
            "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
            other => panic!("unknown type {other}"),
        }
    }

    fn valid(root: &Value, schema: &Value, v: &Value) -> bool {
        let mut e = Vec::new();
        check(root, schema, v, "", &mut e);
        e.is_empty()
    }

    fn check(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(s) = schema.as_object() else { return };
        let mut own: Vec<String> = Vec::new();
        for (k, rule) in s {
            match k.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                "$ref" => check(root, resolve(root, rule.as_str().unwrap()), v, at, errors),
                "type" => {
                    let ok = match rule {
                        Value::String(t) => type_ok(t, v),
                        Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().unwrap(), v)),
                        _ => panic!("bad type"),
                    };
                    if !ok {
                        own.push(format!("not of type {rule}"));
                    }
                }
                "enum" => {
                    if !rule.as_array().unwrap().contains(v) {
                        own.push(format!("{v} not in {rule}"));
                    }
                }
                "const" => {
                    if rule != v {
                        own.push(format!("{v} is not {rule}"));
                    }
                }
                "required" => {
                    if let Some(o) = v.as_object() {
                        for r in rule.as_array().unwrap() {
                            if !o.contains_key(r.as_str().unwrap()) {
                                own.push(format!("missing {r}"));
                            }
                        }
                    }
                }
                "properties" => {
                    if let Some(o) = v.as_object() {
                        for (name, sub) in rule.as_object().unwrap() {
                            if let Some(x) = o.get(name) {
                                check(root, sub, x, &format!("{at}/{name}"), errors);
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Some(o) = v.as_object() {
                        let known = s.get("properties").and_then(Value::as_object);
                        for (name, x) in o {
                            if known.is_some_and(|p| p.contains_key(name)) {
                                continue;
                            }
                            match rule {
                                Value::Bool(false) => own.push(format!("unknown key {name}")),
                                Value::Bool(true) => {}
                                sub => check(root, sub, x, &format!("{at}/{name}"), errors),
                            }
                        }
                    }
                }
                "items" => {
                    if let Some(a) = v.as_array() {
                        for (i, x) in a.iter().enumerate() {
                            check(root, rule, x, &format!("{at}/{i}"), errors);
                        }
                    }
                }
                "minItems" => {
                    if v.as_array()
                        .is_some_and(|a| (a.len() as u64) < rule.as_u64().unwrap())
                    {
                        own.push("too few items".into());
                    }
                }
                "minLength" | "maxLength" => {
                    if let Some(t) = v.as_str() {
                        let n = t.chars().count() as u64;
                        let bound = rule.as_u64().unwrap();
                        if (k == "minLength" && n < bound) || (k == "maxLength" && n > bound) {
                            own.push(format!("{k} {bound}"));
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let Some(x) = v.as_f64() {
                        let bound = rule.as_f64().unwrap();
                        if (k == "minimum" && x < bound) || (k == "maximum" && x > bound) {
                            own.push(format!("{k} {bound}"));
                        }
                    }
                }
                "pattern" => {
                    let re = regex::Regex::new(rule.as_str().unwrap()).unwrap();
                    if let Some(t) = v.as_str()
                        && !re.is_match(t)
                    {
                        own.push(format!("{t:?} does not match {rule}"));
                    }
                }
                "anyOf" => {
                    if !rule
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|sub| valid(root, sub, v))
                    {
                        own.push(format!("{v} matches no alternative"));
                    }
                }
                "not" => {
                    if valid(root, rule, v) {
                        own.push("matches a forbidden schema".into());
                    }
                }
                "if" => {
                    let branch = if valid(root, rule, v) {
                        s.get("then")
                    } else {
                        s.get("else")
                    };
                    if let Some(b) = branch {
                        check(root, b, v, at, errors);
                    }
                }
                "then" | "else" => {}
                other => panic!("keyword {other} is not supported by this test's validator"),
            }
        }
        errors.extend(own.into_iter().map(|m| format!("{at}: {m}")));
    }
}

#[test]
fn add_refuses_data_that_fails_its_bound_schema() {
    let repo = Repo::new();
    repo.write(
        "schemas/pets.yaml",
        "fields:\n  - name: id\n    type: integer\n    constraints: {minimum: 0}\n",
    );
    repo.write("pets.csv", "id\n1\n2\n");
    repo.kiln(["add", "pets.csv", "--schema", "schemas/pets.yaml"])
        .ok();
    let before = repo.read("pets.csv.kiln");
    assert_eq!(
        pointer_field(&String::from_utf8_lossy(&before), "schema").as_deref(),
        Some("schemas/pets.yaml")
    );
    repo.write("pets.csv", "id\n1\n-2\n");
    let run = repo.kiln(["add", "pets.csv"]).code(1);
    assert!(run.stderr.contains("cell/minimum"), "{}", run.stderr);
    assert!(run.stderr.contains("not recorded"), "{}", run.stderr);
    assert_eq!(repo.read("pets.csv.kiln"), before);
    repo.kiln(["add", "pets.csv", "--no-check"]).ok();
    assert_ne!(repo.read("pets.csv.kiln"), before);
    // A [[check]] binding gates data that has no schema in its pointer.
    let config = repo.read_string(".kiln/config.toml");
    repo.write(
        ".kiln/config.toml",
        format!("{config}\n[[check]]\npath = \"data/*.csv\"\nschema = \"schemas/pets.yaml\"\n"),
    );
    repo.write("data/more.csv", "id\n-5\n");
    repo.kiln(["add", "data/more.csv"]).code(1);
    assert!(!repo.exists("data/more.csv.kiln"));
}

/// Integer keys are remembered in a bitmap while they cluster and in a hash
/// set once they scatter; repeats count alike on both sides of the switch.
#[test]
fn repeats_of_scattered_integer_keys_are_counted() {
    let repo = Repo::new();
    let id = |i: i64| (i - 5_000) * 1_048_576;
    let mut csv = String::from("id\n");
    for i in (0..10_000).chain([0, 5_000, 9_999]) {
        csv.push_str(&format!("{}\n", id(i)));
    }
    repo.write("ids.csv", &csv);
    repo.write(
        "ids.yaml",
        "fields:\n  - name: id\n    type: integer\n    constraints: {unique: true}\n",
    );
    let got = check_summaries(&repo, "ids.csv", "ids.yaml", 1);
    assert_eq!(
        got,
        vec![(
            "cell/unique".into(),
            Some("id".into()),
            3,
            vec![10_001, 10_002, 10_003]
        )]
    );
}

/// A column of every type a Parquet or Arrow file holds (integers of each
/// width, NaN and infinities, binary, zoned nanosecond datetimes, decimals
/// past 64 bits, enums, lists, structs, arrays, nulls), each declared and
/// constrained: exact findings with their samples, alike for both formats.
#[test]
fn columns_of_every_type_are_judged() {
    let repo = Repo::new();
    let want: Vec<Summary> = [
        ("cell/maximum", "i16", 1, vec![3]),
        ("cell/enum", "i16", 1, vec![3]),
        ("cell/minimum", "u64", 1, vec![2]),
        ("cell/required", "u64", 1, vec![3]),
        ("cell/minimum", "f32", 2, vec![1, 3]),
        ("cell/type", "bin", 2, vec![1, 2]),
        ("cell/minimum", "dt_ns_tz", 1, vec![3]),
        ("cell/maximum", "date", 1, vec![1]),
        ("cell/required", "dur_ns", 1, vec![2]),
        ("cell/maximum", "dec38", 1, vec![1]),
        ("cell/enum", "enum", 1, vec![1]),
        ("cell/required", "enum", 1, vec![3]),
        ("cell/required", "lst", 1, vec![3]),
        ("cell/required", "nul", 3, vec![1, 2, 3]),
    ]
    .into_iter()
    .map(|(code, field, n, rows)| (code.to_string(), Some(field.to_string()), n, rows))
    .collect();
    judged_alike(&repo, "every", &want);
}

/// `types/NAME.parquet` and `types/NAME.arrow` against `schemas/NAME.yaml`
/// give `want`, with nothing left unchecked, and the same findings and
/// sample values (noted in the counting pass, or read in one of their own)
/// on the slow paths.
fn judged_alike(repo: &Repo, name: &str, want: &[Summary]) {
    let schema = fixtures().join(format!("schemas/{name}.yaml"));
    for ext in ["parquet", "arrow"] {
        let file = fixtures().join("types").join(format!("{name}.{ext}"));
        let report = check_json(repo, file.to_str().unwrap(), schema.to_str().unwrap(), 1);
        assert_eq!(summaries(&report), want, "{}", file.display());
        let args = [
            "check",
            file.to_str().unwrap(),
            "--schema",
            schema.to_str().unwrap(),
            "--json",
        ];
        let slow = repo
            .kiln_env(args, &[("KILN_TEST_SLOW_PATHS", "1")])
            .code(1)
            .json();
        assert_eq!(findings(&slow), findings(&report), "{}", file.display());
        assert!(
            report["files"][0]["notChecked"]
                .as_array()
                .is_none_or(|n| n.is_empty()),
            "{report:#}"
        );
    }
}

/// An empty line holds no cell at all: a blank row whatever the missing
/// values (where a field lists no empty one, its cell would otherwise
/// read as a value), counted with the rows whose every cell is missing; a
/// line of one empty quoted cell is a value.
#[test]
fn empty_lines_are_blank_rows_whatever_the_missing_values() {
    let repo = Repo::new();
    // (the table, its missing values, b's own if any, exit code, findings)
    let cases = [
        (
            "a\n1\n\n3\n",
            "[]",
            None,
            1,
            vec![("row/blank", 1, vec![2])],
        ),
        (
            "a,b\n1,2\n\n3,4\n",
            "[]",
            None,
            1,
            vec![("row/blank", 1, vec![2])],
        ),
        (
            "a,b\nNA,NA\n1,2\n\n3,4\n\n",
            "[NA]",
            None,
            1,
            vec![("row/blank", 3, vec![1, 3, 5])],
        ),
        (
            "a,b\n1,2\n\n",
            "['']",
            None,
            1,
            vec![("row/blank", 1, vec![2])],
        ),
        (
            "a,b\n1,2\n\n",
            "['']",
            Some("[]"),
            1,
            vec![("row/blank", 1, vec![2])],
        ),
        ("a\n1\n\"\"\n3\n", "[]", None, 0, vec![]),
    ];
    for (csv, missing, b_missing, code, want) in cases {
        repo.write("e.csv", csv);
        let mut fields = String::from("  - {name: a, type: string}\n");
        if csv.starts_with("a,b") {
            let own = b_missing.map_or(String::new(), |m| format!(", missingValues: {m}"));
            fields.push_str(&format!("  - {{name: b, type: string{own}}}\n"));
        }
        repo.write(
            "e.yaml",
            format!("missingValues: {missing}\nfields:\n{fields}"),
        );
        let got = check_summaries(&repo, "e.csv", "e.yaml", code);
        let want: Vec<Summary> = want
            .into_iter()
            .map(|(c, n, rows)| (c.to_string(), None, n, rows))
            .collect();
        assert_eq!(
            got, want,
            "{csv:?} with missingValues {missing}, b's {b_missing:?}"
        );
    }
}

/// An unsigned 64-bit column declared `integer` holds integers, all of
/// them (Table Schema sets no bound): no type errors past the signed
/// range, and bounds, lists and repeats judged on the exact values.
#[test]
fn unsigned_64_bit_integers_are_integers() {
    let repo = Repo::new();
    let file = fixtures().join("keys/u64.parquet");
    // A list longer than the comparisons kiln chains, with values past 63 bits.
    let long: Vec<String> = (100..140).map(|i| i.to_string()).collect();
    let long = format!("{{enum: [{}, 18446744073709551615, 5]}}", long.join(", "));
    let cases: [(&str, i32, Vec<Summary>); 6] = [
        ("{minimum: 0}", 0, vec![]),
        (
            "{minimum: 6}",
            1,
            vec![("cell/minimum".into(), Some("k".into()), 1, vec![2])],
        ),
        (
            "{maximum: 9223372036854775807}",
            1,
            vec![("cell/maximum".into(), Some("k".into()), 4, vec![1, 3, 4, 5])],
        ),
        (
            "{enum: [5, 7], unique: true}",
            1,
            vec![
                ("cell/enum".into(), Some("k".into()), 4, vec![1, 3, 4, 5]),
                ("cell/unique".into(), Some("k".into()), 2, vec![3, 5]),
            ],
        ),
        (
            "{maximum: 18446744073709551614}",
            1,
            vec![("cell/maximum".into(), Some("k".into()), 2, vec![1, 3])],
        ),
        (
            &long,
            1,
            vec![("cell/enum".into(), Some("k".into()), 3, vec![4, 5, 6])],
        ),
    ];
    for (constraints, code, want) in cases {
        repo.write(
            "k.yaml",
            format!("fields:\n  - {{name: k, type: integer, constraints: {constraints}}}\n"),
        );
        let got = check_summaries(&repo, file.to_str().unwrap(), "k.yaml", code);
        assert_eq!(got, want, "{constraints}");
    }
}

/// Unsigned keys beyond the signed 64-bit range are told apart exactly.
#[test]
fn repeats_of_unsigned_64_bit_keys_are_counted() {
    let repo = Repo::new();
    repo.write(
        "k.yaml",
        "fields:\n  - {name: k, constraints: {unique: true}}\n",
    );
    let file = fixtures().join("keys/u64.parquet");
    let got = check_summaries(&repo, file.to_str().unwrap(), "k.yaml", 1);
    assert_eq!(
        got,
        vec![("cell/unique".into(), Some("k".into()), 2, vec![3, 5])]
    );
}

/// Columns of every width and type are profiled, each range in its own
/// type; durations, which polars cannot cast to text, are written in ISO
/// 8601: a file holding them is not unreadable, and nothing panics.
#[test]
fn columns_of_every_width_and_type_are_profiled() {
    let repo = Repo::new();
    repo.write(
        "w.yaml",
        "fieldsMatch: subset\nfields:\n  - {name: f32, type: any}\n",
    );
    let file = fixtures().join("types/widths.parquet");
    let report = check_json(&repo, file.to_str().unwrap(), "w.yaml", 0);
    let profile = report["files"][0]["profile"].as_array().unwrap();
    // Means to nine places: sums of batches in another order differ in the last.
    let got: Vec<(String, Value, Value, Option<f64>)> = profile
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap().to_string();
            let mean = c["mean"].as_f64().map(|m| (m * 1e9).round() / 1e9);
            (name, c["min"].clone(), c["max"].clone(), mean)
        })
        .collect();
    let want = [
        ("f32", json!("-2.0"), json!("1.5"), Some(-0.25)),
        ("i8", json!("-128"), json!("127"), Some(2.0)),
        ("dur", json!("PT5S"), json!("P1D"), None),
        ("clock", json!("00:00:01"), json!("09:30:00"), None),
        ("dec", json!("-10.50"), json!("3.00"), Some(-2.083333333)),
        ("cat", json!("apple"), json!("pear"), None),
    ];
    let want: Vec<(String, Value, Value, Option<f64>)> = want
        .into_iter()
        .map(|(n, a, b, m)| (n.to_string(), a, b, m))
        .collect();
    assert_eq!(got, want);

    // Findings beside a duration column keep their samples.
    repo.write(
        "w2.yaml",
        "fieldsMatch: subset\nfields:\n  - {name: i8, type: integer, constraints: {maximum: 100}}\n  - {name: dur, type: duration, constraints: {required: true}}\n",
    );
    let run = repo
        .kiln([
            "check",
            file.to_str().unwrap(),
            "--schema",
            "w2.yaml",
            "--json",
        ])
        .code(1);
    assert!(!run.stderr.contains("sample"), "{}", run.stderr);
    let got: Vec<_> = findings(&run.json()).iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            ("cell/maximum".into(), Some("i8".into()), 1, vec![3]),
            ("cell/required".into(), Some("dur".into()), 1, vec![2]),
        ]
    );
}

#[test]
fn repeats_far_into_a_large_file_are_sampled() {
    // The sample search for repeated keys reads growing windows from the
    // start of the file; these repeats lie beyond the first window.
    let repo = Repo::new();
    let rows = 1_100_000u64;
    let mut csv = String::with_capacity(12 * rows as usize);
    csv.push_str("id\n");
    for i in 1..=rows {
        let id = if i > rows - 2 { i - 1_000_000 } else { i };
        csv.push_str(&format!("{id}\n"));
    }
    repo.write("big.csv", &csv);
    repo.write(
        "ids.yaml",
        "fields:\n  - name: id\n    type: integer\n    constraints: {unique: true}\n",
    );
    let report = check_json(&repo, "big.csv", "ids.yaml", 1);
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    let (code, field, count, samples) = summary(&found[0]);
    assert_eq!(
        (code.as_str(), field.as_deref(), count),
        ("cell/unique", Some("id"), 2)
    );
    assert_eq!(samples, vec![rows - 1, rows]);
}

/// Row shapes (blank rows, cells missing, cells extra) are findings with
/// rows and lines; a quoted empty cell is missing like an unquoted one; a
/// cell of blanks is no number; missing values match the cell as written.
#[test]
fn row_shapes_and_empty_cells_follow_table_schema() {
    let repo = Repo::new();
    let data = "a,b\n1,\"x\ny\"\n\n3\n4,5,6\n7,8\n\"\",9\n  ,10\n";
    repo.write("d.csv", data);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, data.as_bytes()).unwrap();
    repo.write("d.csv.gz", gz.finish().unwrap());
    repo.write(
        "s.yaml",
        "fields:\n\
         \x20 - {name: a, type: integer, constraints: {required: true}}\n\
         \x20 - {name: b, type: string}\n",
    );
    for file in ["d.csv", "d.csv.gz"] {
        let report = check_json(&repo, file, "s.yaml", 1);
        let got = summaries(&report);
        let want: Vec<(String, Option<String>, u64, Vec<u64>)> = vec![
            ("row/missing-cell".into(), None, 1, vec![3]),
            ("row/extra-cell".into(), None, 1, vec![4]),
            ("cell/type".into(), Some("a".into()), 1, vec![7]),
            ("cell/required".into(), Some("a".into()), 1, vec![6]),
            ("row/blank".into(), None, 1, vec![2]),
        ];
        assert_eq!(got, want, "{file}");
        let lines: Vec<_> = findings(&report)
            .iter()
            .map(|f| f["samples"][0]["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, vec![5, 6, 9, 8, 4], "{file}");
    }

    // Missing values are matched before blanks are trimmed.
    repo.write("m.csv", "n\n NA\nNA\n  \n5\n");
    repo.write(
        "m.yaml",
        "missingValues: ['', NA]\nfields:\n  - {name: n, type: integer, constraints: {required: true}}\n",
    );
    let got = check_summaries(&repo, "m.csv", "m.yaml", 1);
    assert_eq!(
        got,
        vec![
            ("cell/type".into(), Some("n".into()), 2, vec![1, 3]),
            ("row/blank".into(), None, 1, vec![2]),
        ]
    );
}

/// `bareNumber: false` cuts only text around a number; `decimalChar`
/// replaces the point; `groupChar` is dropped; the two may not be equal.
#[test]
fn number_options_follow_table_schema() {
    let repo = Repo::new();
    repo.write("n.csv", "x,i,g\n€12,12 kg,\"1.234,5\"\n45 %,-3,\"2,5\"\n-3 USD,7,\"3.5\"\n12abc34,12.5,1\n1.2.3%,x9y,2\n");
    repo.write(
        "n.yaml",
        "fields:\n\
         \x20 - {name: x, type: number, bareNumber: false}\n\
         \x20 - {name: i, type: integer, bareNumber: false}\n\
         \x20 - {name: g, type: number, groupChar: '.', decimalChar: ',', constraints: {maximum: 1234.4}}\n",
    );
    let got = check_summaries(&repo, "n.csv", "n.yaml", 1);
    assert_eq!(
        got,
        vec![
            ("cell/type".into(), Some("x".into()), 2, vec![4, 5]),
            ("cell/type".into(), Some("i".into()), 1, vec![4]),
            ("cell/maximum".into(), Some("g".into()), 1, vec![1]),
        ]
    );
    repo.write("c.csv", "g\n\"1,5\"\n1.5\n");
    repo.write(
        "c.yaml",
        "fields:\n  - {name: g, type: number, decimalChar: ','}\n",
    );
    let got = check_summaries(&repo, "c.csv", "c.yaml", 1);
    assert_eq!(
        got,
        vec![("cell/type".into(), Some("g".into()), 1, vec![2])]
    );
    refused_schema(
        &repo,
        "c.csv",
        "fields:\n  - {name: g, type: number, groupChar: ',', decimalChar: ','}\n",
        "groupChar",
    );
}

/// A JSON cell is read by the kind of its value: a number, `true`, an
/// object or an array is no string, though the reader turns each into
/// text; a column mixing kinds is read, not refused; a JSON `true` is true
/// whatever texts the field reads as true. The same in a JSON array file.
#[test]
fn json_values_are_judged_by_their_kind() {
    let repo = Repo::new();
    let lines = [
        r#"{"s":"a","n":1,"b":"yes"}"#,
        r#"{"s":1,"n":true,"b":true}"#,
        r#"{"s":"2","n":"3","b":false}"#,
        r#"{"s":null,"n":4.0,"b":"no"}"#,
        r#"{"s":1.5,"n":[5],"b":1}"#,
        r#"{"s":true,"n":6,"b":"no"}"#,
        r#"{"s":{"x":1},"n":7,"b":"yes"}"#,
        r#"{"s":["a"],"n":8.5,"b":"yes"}"#,
    ];
    repo.write("j.ndjson", lines.join("\n") + "\n");
    repo.write("j.json", format!("[{}]", lines.join(",\n")));
    repo.write(
        "j.yaml",
        "fields:\n  - {name: s, type: string}\n  - {name: n, type: integer}\n  - {name: b, type: boolean, trueValues: [yes], falseValues: [no]}\n",
    );
    for file in ["j.ndjson", "j.json"] {
        let got = check_summaries(&repo, file, "j.yaml", 1);
        assert_eq!(
            got,
            vec![
                ("cell/type".into(), Some("s".into()), 5, vec![2, 5, 6, 7, 8]),
                ("cell/type".into(), Some("n".into()), 3, vec![2, 5, 8]),
                ("cell/type".into(), Some("b".into()), 1, vec![5]),
            ],
            "{file}"
        );
    }
    // A member named twice: readers differ on which value counts (polars
    // takes the first, frictionless-py the last), so kiln takes neither.
    for (file, text) in [
        (
            "twice.ndjson",
            "{\"s\":\"a\",\"n\":1}\n{\"s\":\"b\",\"s\":\"c\",\"n\":2}\n",
        ),
        ("nested.ndjson", "{\"m\":{\"x\":\"a\",\"x\":\"b\"}}\n"),
    ] {
        repo.write(file, text);
        repo.write(
            "twice.yaml",
            "fields:\n  - {name: s, type: string}\n  - {name: n, type: integer}\n  - {name: m.x, type: string}\n",
        );
        let run = repo.kiln(["check", file, "--schema", "twice.yaml"]).code(3);
        assert!(run.stdout.contains("is repeated"), "{}", run.stdout);
    }
}

/// Lists, geopoints and geojson are checked as Table Schema reads them:
/// each list item as a cell of its item type, a geopoint's longitude and
/// latitude within the globe, a geojson value against its profile; in JSON
/// lines, a value of the kind the format writes.
#[test]
fn lists_and_places_are_checked() {
    let repo = Repo::new();
    // The report on `data` under `schema`, each written first.
    let judged = |data: (&str, &str), schema: (&str, &str)| {
        repo.write(data.0, data.1);
        repo.write(schema.0, schema.1);
        let report = check_json(&repo, data.0, schema.0, 1);
        let got: Vec<Summary> = summaries(&report);
        (report, got)
    };
    let (report, got) = judged(
        (
            "p.csv",
            "l,p,a,g\n\
             \"1,2\",\"90, 45\",\"[1, 2]\",\"{\"\"type\"\": \"\"Point\"\", \"\"coordinates\"\": [1, 2]}\"\n\
             \"1,x\",\"181, 0\",\"[1, 2, 3]\",\"{\"\"type\"\": \"\"Point\"\"}\"\n\
             1,\"90,45\",\"[-180, -90]\",\"[1, 2]\"\n\
             \"1,2,3\",abc,\"90, 45\",\"{\"\"type\"\": \"\"Feature\"\", \"\"geometry\"\": null, \"\"properties\"\": {}}\"\n",
        ),
        (
            "p.yaml",
            "fields:\n\
             \x20 - {name: l, type: list, itemType: integer, constraints: {maxLength: 2}}\n\
             \x20 - {name: p, type: geopoint}\n\
             \x20 - {name: a, type: geopoint, format: array}\n\
             \x20 - {name: g, type: geojson}\n",
        ),
    );
    let want: Vec<Summary> = vec![
        ("cell/type".into(), Some("l".into()), 1, vec![2]),
        ("cell/max-length".into(), Some("l".into()), 1, vec![4]),
        ("cell/type".into(), Some("p".into()), 2, vec![2, 4]),
        ("cell/type".into(), Some("a".into()), 2, vec![2, 4]),
        ("cell/type".into(), Some("g".into()), 2, vec![2, 3]),
    ];
    assert_eq!(got, want);
    assert!(
        report["files"][0]["notChecked"]
            .as_array()
            .is_none_or(|n| n.is_empty())
    );
    // In JSON lines, an array is a geopoint of the array format; a number
    // is none, nor is a list written as a JSON array (a list is text). JSON
    // values repeat, and are listed, by value however written.
    let cases: [(_, _, Vec<Summary>); 2] = [
        (
            (
                "p.ndjson",
                "{\"a\": [90, 45], \"l\": \"1,2\"}\n{\"a\": 90, \"l\": [1, 2]}\n{\"a\": \"[1, 95]\", \"l\": \"3\"}\n",
            ),
            (
                "pj.yaml",
                "fields:\n  - {name: a, type: geopoint, format: array}\n  - {name: l, type: list, itemType: integer}\n",
            ),
            vec![
                ("cell/type".into(), Some("a".into()), 2, vec![2, 3]),
                ("cell/type".into(), Some("l".into()), 1, vec![2]),
            ],
        ),
        (
            (
                "o.ndjson",
                "{\"o\": {\"a\": 1, \"b\": [1.0]}}\n{\"o\": {\"b\": [1], \"a\": 1}}\n{\"o\": \"{\\\"a\\\": 2}\"}\n",
            ),
            (
                "o.yaml",
                "fields:\n  - {name: o, type: object, constraints: {unique: true, enum: [{a: 1, b: [1]}, {a: 3}]}}\n",
            ),
            vec![
                ("cell/unique".into(), Some("o".into()), 1, vec![2]),
                ("cell/enum".into(), Some("o".into()), 1, vec![3]),
            ],
        ),
    ];
    for (data, schema, want) in cases {
        assert_eq!(judged(data, schema).1, want, "{}", data.0);
    }
    // A format a type does not have, or a constraint, is a schema error,
    // not a silent pass.
    for (field, needle) in [
        (
            "{name: p, type: geopoint, format: pair}",
            "format `pair` does not apply to geopoint",
        ),
        (
            "{name: p, type: geopoint, constraints: {pattern: a}}",
            "pattern applies to values written as text, not geopoint",
        ),
        (
            "{name: l, type: list, constraints: {pattern: a}}",
            "pattern applies to values written as text, not list",
        ),
        (
            "{name: g, type: geojson, constraints: {minLength: 1}}",
            "minLength applies to strings, lists, arrays and objects, not geojson",
        ),
        (
            "{name: l, type: duration, constraints: {maximum: P1D1Y}}",
            "`P1D1Y` is not a valid duration value",
        ),
    ] {
        refused_schema(&repo, "p.csv", &format!("fields:\n  - {field}\n"), needle);
    }
}

/// Lengths of stored values of the wrong kind are no lengths: a duration
/// or a struct under a list or array field is a type error and nothing
/// more, and a fixed-size array's items are counted as a list's.
#[test]
fn lengths_of_stored_values_follow_their_kind() {
    let repo = Repo::new();
    repo.write(
        "e.yaml",
        "fieldsMatch: subset\n\
         fields:\n\
         \x20 - {name: arr, type: list, itemType: integer, constraints: {minLength: 3}}\n\
         \x20 - {name: dur_ns, type: list, constraints: {minLength: 1}}\n\
         \x20 - {name: st, type: array, constraints: {maxLength: 1}}\n",
    );
    let every = fixtures().join("types/every.parquet");
    let report = check_json(&repo, every.to_str().unwrap(), "e.yaml", 1);
    let got: Vec<Summary> = summaries(&report);
    let want: Vec<Summary> = [
        ("cell/type", "dur_ns", 2, vec![1, 3]),
        ("cell/type", "st", 2, vec![1, 3]),
        ("cell/min-length", "arr", 2, vec![1, 2]),
    ]
    .into_iter()
    .map(|(code, field, n, rows)| (code.to_string(), Some(field.to_string()), n, rows))
    .collect();
    assert_eq!(got, want);
}

/// Objects, places, lists and durations as Parquet and Arrow store them
/// (structs, lists, durations) are judged by value, as their text would
/// be: none is left unchecked.
#[test]
fn stored_objects_places_lists_and_durations_are_judged_by_value() {
    let repo = Repo::new();
    let want: Vec<Summary> = [
        ("cell/unique", "obj", vec![2]),
        ("cell/enum", "obj", vec![3]),
        ("cell/min-length", "obj", vec![3]),
        ("cell/type", "pt", vec![2]),
        ("cell/unique", "pt", vec![3]),
        ("cell/type", "pta", vec![3]),
        ("cell/type", "gj", vec![2]),
        ("cell/unique", "gj", vec![4]),
        ("cell/unique", "lst", vec![2]),
        ("cell/enum", "lst", vec![3]),
        ("cell/unique", "dur", vec![2]),
        ("cell/maximum", "dur", vec![3]),
    ]
    .into_iter()
    .map(|(code, field, rows)| (code.to_string(), Some(field.to_string()), 1, rows))
    .collect();
    judged_alike(&repo, "nested", &want);
}

/// With `fieldsMatch: exact` (people.yaml), fields map to columns by their
/// order: swapped columns give a label finding for each place, and the
/// cells are checked against the field at their place.
#[test]
fn exact_matching_is_by_position_and_labels_are_findings() {
    let repo = Repo::new();
    // JSON objects have no order: their members match fields by name.
    check_json(
        &repo,
        &broken("fields-order.ndjson"),
        &schema("people.yaml"),
        0,
    );
    for ext in ["csv", "parquet"] {
        let file = broken(&format!("fields-order.{ext}"));
        let got = check_summaries(&repo, &file, &schema("people.yaml"), 1);
        assert_eq!(
            got[..2],
            [
                ("fields/label".into(), Some("id".into()), 1, vec![]),
                ("fields/label".into(), Some("name".into()), 1, vec![]),
            ],
            "{file}"
        );
        assert!(
            got[2..]
                .iter()
                .any(|f| f.0 == "cell/type" && f.1.as_deref() == Some("id")),
            "{file}: {got:?}"
        );
    }
    // A repeated label is a finding whatever the mode.
    repo.write("dup.csv", "id,id,name\n1,2,a\n");
    for mode in ["exact", "equal", "subset", "superset", "partial"] {
        repo.write(
            "dup.yaml",
            format!("fieldsMatch: {mode}\nfields:\n  - {{name: id, type: integer}}\n  - {{name: x}}\n  - {{name: name}}\n"),
        );
        let codes = check_summaries(&repo, "dup.csv", "dup.yaml", 1);
        assert!(
            codes
                .iter()
                .any(|f| f.0 == "fields/duplicate-label" && f.1.as_deref() == Some("id")),
            "{mode}: {codes:?}"
        );
    }
    // Where a field may be absent, a required one is missing on every row.
    repo.write("sup.csv", "a\n1\n2\n");
    repo.write(
        "sup.yaml",
        "fieldsMatch: superset\nfields:\n  - {name: a}\n  - {name: b, constraints: {required: true}}\n",
    );
    let got = check_summaries(&repo, "sup.csv", "sup.yaml", 1);
    assert_eq!(
        got,
        vec![("cell/required".into(), Some("b".into()), 2, vec![1, 2])]
    );
}

/// Integers have no 64-bit bound; object and array fields hold JSON objects
/// and arrays, whose lengths count members and items.
#[test]
fn big_integers_objects_and_arrays() {
    let repo = Repo::new();
    repo.write(
        "b.csv",
        "n,o,a\n\
         5,\"{\"\"k\"\": 1}\",\"[1, 2]\"\n\
         99999999999999999999,\"[1]\",\"[]\"\n\
         -99999999999999999999,\"{\"\"k\"\": 1, \"\"j\"\": 2, \"\"i\"\": 3}\",\"{}\"\n\
         12x,not json,\"[1, 2, 3, 4]\"\n",
    );
    repo.write(
        "b.yaml",
        "fields:\n\
         \x20 - {name: n, type: integer, constraints: {minimum: 0, maximum: 100}}\n\
         \x20 - {name: o, type: object, constraints: {maxLength: 2}}\n\
         \x20 - {name: a, type: array, constraints: {minLength: 1, maxLength: 3}}\n",
    );
    let got = check_summaries(&repo, "b.csv", "b.yaml", 1);
    assert_eq!(
        got,
        vec![
            ("cell/type".into(), Some("n".into()), 1, vec![4]),
            ("cell/minimum".into(), Some("n".into()), 1, vec![3]),
            ("cell/maximum".into(), Some("n".into()), 1, vec![2]),
            ("cell/type".into(), Some("o".into()), 2, vec![2, 4]),
            ("cell/max-length".into(), Some("o".into()), 1, vec![3]),
            ("cell/type".into(), Some("a".into()), 1, vec![3]),
            ("cell/min-length".into(), Some("a".into()), 1, vec![2]),
            ("cell/max-length".into(), Some("a".into()), 1, vec![4]),
        ]
    );
}

/// Runs a script of `tests/conformance/` with the tools Python, against the
/// real binary, and requires each of `says` in what it prints; skipped
/// where that Python is not set up.
fn conformance(test: &str, script: &str, args: &[&str], says: &[&str]) {
    if !crate::support::python_up(test) {
        return;
    }
    let python = std::env::var("KILN_TEST_PYTHON").unwrap();
    let out = std::process::Command::new(python)
        .arg(fixtures().join("../tests/conformance").join(script))
        .args(["--kiln", crate::support::KILN])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script}: {stdout}\n{stderr}");
    for said in says {
        assert!(stdout.contains(said), "{script}: no `{said}` in\n{stdout}");
    }
}

/// The conformance suite (`tests/conformance/`): hundreds of generated
/// tables checked by kiln and by frictionless-py, whose verdicts must agree
/// except where `departures.json` says why kiln follows the spec instead.
#[test]
fn verdicts_agree_with_frictionless_py_or_are_documented_departures() {
    // Each file is also checked by the slow paths that kiln's fast ones
    // stand for (the text read, exact repeat counting, polars' strptime):
    // both must read it alike.
    conformance(
        "verdicts_agree_with_frictionless_py",
        "run.py",
        &["--both-paths"],
        &["0 are not", " 0 differ"],
    );
}

/// No false pass: random valid tables of every type, mutated by random
/// cell, row and header edits; whenever frictionless-py says invalid, kiln
/// must too (documented departures aside). 300 cases here; 10,000 by hand
/// (`tests/conformance/property.py --cases 10000`, bench/RESULTS.md).
#[test]
fn no_false_pass_on_random_mutations() {
    conformance(
        "no_false_pass_on_random_mutations",
        "property.py",
        &["--cases", "300", "--seed", "1"],
        &[" 0 false passes"],
    );
}

/// Random geojson, topojson, geopoint and list values: kiln finds exactly
/// the cells frictionless-py finds invalid. 500 rows here; 10,000 by hand
/// (`tests/conformance/places.py --values 10000`, bench/RESULTS.md).
#[test]
fn places_and_lists_agree_cell_by_cell() {
    conformance(
        "places_and_lists_agree_cell_by_cell",
        "places.py",
        &["--values", "500", "--seed", "1"],
        &[": 0 cells differ"],
    );
}

/// Objects, arrays, places, lists and durations stored as structs, lists
/// and durations in Parquet and Arrow are judged as JSON lines writing them
/// are: the same findings in all three forms (a short run of
/// `stored.py`; longer ones by hand).
#[test]
fn stored_values_are_judged_as_json_lines_write_them() {
    conformance(
        "stored_values_are_judged_as_json_lines_write_them",
        "stored.py",
        &["--tables", "100", "--seed", "1"],
        &[": 0 judged differently"],
    );
}

/// Published tables (PyPI data packages): kiln's inferred schema passes
/// them in kiln and in frictionless-py, and kiln's verdict on
/// frictionless-py's own inferred schema is frictionless-py's.
#[test]
fn published_tables_round_trip_through_both_tools() {
    conformance(
        "published_tables_round_trip",
        "real_tables.py",
        &[],
        &[" 0 failed"],
    );
}

/// `schema infer` on tables as R and web APIs publish them: `NA` in a
/// numeric column is its missing value, datetime bounds keep the data's own
/// zone, and a JSON array of records is a table; each passes its schema.
#[test]
fn inference_reads_published_tables() {
    let repo = Repo::new();
    repo.write(
        "p.csv",
        "id,mass,when\n1,3750,2013-01-01T10:00:00Z\n2,NA,2013-01-02T09:30:00+01:00\n3,3250.5,2013-01-01T05:00:00Z\n",
    );
    repo.write(
        "r.json",
        "[{\"a\": 1, \"b\": \"x\"}, {\"a\": 2, \"b\": null}]\n",
    );
    for (file, wants) in [
        (
            "p.csv",
            &[
                "type: number",
                "missingValues: [\"\", \"NA\"]",
                "minimum: \"2013-01-01T05:00:00Z\"",
                "maximum: \"2013-01-02T09:30:00+01:00\"",
            ][..],
        ),
        (
            "r.json",
            &["name: \"a\"", "type: integer", "name: \"b\""][..],
        ),
    ] {
        let out = format!("{file}.yaml");
        repo.kiln(["schema", "infer", file, "-o", &out]).ok();
        let text = repo.read_string(&out);
        for want in wants {
            assert!(text.contains(want), "{file}: {want}\n{text}");
        }
        repo.kiln(["check", file, "--schema", &out]).ok();
    }
}

/// `foreignKeys` against another tracked table (a file or a folder of
/// them) and against the table itself, with counts and sample rows; a
/// missing referenced table is a finding; results depending on another
/// table are not cached under this one's id.
#[test]
fn foreign_keys_are_checked_against_tracked_tables() {
    let repo = Repo::new();
    repo.write("ref/codes/a.csv", "code,name\nA,x\n");
    repo.write("ref/codes/b.csv", "code,name\nB,y\n");
    repo.write("t.csv", "id,code,parent\n1,A,\n2,C,1\n3,B,9\n4,,2\n");
    repo.write(
        "t.yaml",
        "fields:\n  - {name: id, type: integer}\n  - {name: code}\n  - {name: parent, type: integer}\n\
         foreignKeys:\n\
         \x20 - {fields: code, reference: {resource: ref/codes, fields: code}}\n\
         \x20 - {fields: [parent], reference: {resource: \"\", fields: [id]}}\n",
    );
    let got = check_summaries(&repo, "t.csv", "t.yaml", 1);
    assert_eq!(
        got,
        vec![
            ("row/foreign-key".into(), None, 1, vec![2]),
            ("row/foreign-key".into(), None, 1, vec![3]),
        ]
    );
    // The referenced table gains the code: the same data now passes.
    repo.write("ref/codes/c.csv", "code,name\nC,z\n");
    repo.write("t.csv", "id,code,parent\n1,A,\n2,C,1\n3,B,1\n4,,2\n");
    check_json(&repo, "t.csv", "t.yaml", 0);
    // JSON tables too, whose members mix kinds: read, not refused.
    repo.write("ref/codes/d.jsonl", "{\"code\":7}\n{\"code\":true}\n");
    repo.write("ref/codes/e.json", "[{\"code\":8}, {\"code\":false}]");
    repo.write("t.csv", "id,code,parent\n1,7,\n2,8,1\n3,F,1\n");
    let got = check_summaries(&repo, "t.csv", "t.yaml", 1);
    assert_eq!(got, vec![("row/foreign-key".into(), None, 1, vec![3])]);
    repo.write(
        "gone.yaml",
        "fields:\n  - {name: code}\nforeignKeys:\n  - {fields: code, reference: {resource: nowhere.csv, fields: code}}\n",
    );
    repo.write("g.csv", "code\nA\n");
    let report = check_json(&repo, "g.csv", "gone.yaml", 1);
    assert!(
        findings(&report)[0]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{report}"
    );
    repo.write(
        "out.yaml",
        "fields:\n  - {name: code}\nforeignKeys:\n  - {fields: code, reference: {resource: ../x.csv, fields: code}}\n",
    );
    repo.kiln(["check", "g.csv", "--schema", "out.yaml"])
        .code(2);
}

/// Samples of repeated keys come out alike from the join over a file's
/// first rows and from the fingerprints of every row that a large file's
/// search falls back to (here past its first 10 rows): the earliest rows
/// repeating an earlier row's key, for a number, a text and a composite key.
#[test]
fn repeat_samples_alike_from_the_join_and_from_fingerprints() {
    let repo = Repo::new();
    let mut csv = String::from("id,name,a,b\n");
    for i in 1..=60 {
        csv.push_str(&format!("{i},n{i},{},{}\n", i % 7, i % 11));
    }
    // Late repeats of the first rows' keys and of each other; a row whose
    // single keys are null but whose pair repeats row 59's.
    for i in [5, 9, 5, 40] {
        csv.push_str(&format!("{i},n{i},{},{}\n", i % 7, i % 11));
    }
    csv.push_str(",,3,4\n");
    repo.write("r.csv", csv);
    repo.write(
        "r.yaml",
        "fields:\n  - {name: id, type: integer, constraints: {unique: true}}\n  \
         - {name: name, constraints: {unique: true}}\n  - {name: a, type: integer}\n  \
         - {name: b, type: integer}\nuniqueKeys: [[a, b]]\n",
    );
    let check = |env: &[(&str, &str)]| {
        let args = [
            "check",
            "r.csv",
            "--schema",
            "r.yaml",
            "--json",
            "--no-cache",
        ];
        let report = repo.kiln_env(args, env).json();
        findings(&report)
            .iter()
            .map(|f| (summary(f), f["samples"].clone()))
            .collect::<Vec<_>>()
    };
    let joined = check(&[]);
    let fingerprinted = check(&[("KILN_TEST_JOINED_ROWS", "10")]);
    assert_eq!(joined, fingerprinted);
    let rows: Vec<_> = joined
        .iter()
        .map(|(s, _)| (s.0.as_str(), s.2, s.3.clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("cell/unique", 4, vec![61, 62, 63, 64]),
            ("cell/unique", 4, vec![61, 62, 63, 64]),
            ("row/unique", 5, vec![61, 62, 63, 64, 65]),
        ],
        "{joined:?}"
    );
}
