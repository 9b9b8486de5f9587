//! OpenLineage RunEvents (spec 2-0-2) built from run records: a START and a
//! COMPLETE or FAIL per run, sharing the run's uuid as `runId`.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::record::{RunRecord, Status};
use crate::repo::Repo;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What produced the events: kiln, at this version.
pub fn producer() -> String {
    format!("https://github.com/kiln/kiln/releases/tag/v{VERSION}")
}

const RUN_EVENT: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const SOURCE_CODE_LOCATION: &str = "https://openlineage.io/spec/facets/1-0-1/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet";
const PROCESSING_ENGINE: &str = "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet";
const DATASET_VERSION: &str = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet";
const SCHEMA: &str =
    "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const DATA_QUALITY_ASSERTIONS: &str = "https://openlineage.io/spec/facets/1-0-1/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet";
const SYMLINKS: &str = "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet";
const OUTPUT_STATISTICS: &str = "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet";

/// Every run as events, oldest run first.
pub fn export(repo: &Repo, runs: &[RunRecord]) -> Vec<Value> {
    let mut out = Vec::with_capacity(runs.len() * 2);
    for r in runs {
        out.push(start_event(repo, r));
        out.push(end_event(repo, r));
    }
    out
}

/// The START event: reads only what is known when the command starts.
pub fn start_event(repo: &Repo, run: &RunRecord) -> Value {
    let outputs: Vec<Value> = run
        .outputs
        .iter()
        .map(|o| dataset(repo, run, &o.path, None))
        .collect();
    event(repo, run, "START", &run.started, outputs)
}

/// The ABORT event of a run that kiln stopped after its START was sent.
pub fn abort_event(repo: &Repo, run: &RunRecord, time: jiff::Timestamp) -> Value {
    let outputs: Vec<Value> = run
        .outputs
        .iter()
        .map(|o| dataset(repo, run, &o.path, None))
        .collect();
    event(repo, run, "ABORT", &time, outputs)
}

/// The COMPLETE or FAIL event.
pub fn end_event(repo: &Repo, run: &RunRecord) -> Value {
    let outputs: Vec<Value> = run
        .outputs
        .iter()
        .map(|o| {
            let mut d = dataset(repo, run, &o.path, o.id.map(|id| id.to_string()));
            if let (Some(rows), Some(size)) = (o.rows, o.size) {
                d["outputFacets"] = json!({
                    "outputStatistics": facet(OUTPUT_STATISTICS, json!({"rowCount": rows, "size": size}))
                });
            }
            d
        })
        .collect();
    let kind = match run.status {
        Status::Complete => "COMPLETE",
        Status::Fail => "FAIL",
    };
    event(repo, run, kind, &run.ended, outputs)
}

fn event(
    repo: &Repo,
    run: &RunRecord,
    kind: &str,
    time: &jiff::Timestamp,
    outputs: Vec<Value>,
) -> Value {
    let inputs: Vec<Value> = run
        .deps
        .iter()
        .map(|d| {
            let mut v = dataset(repo, run, &d.path, Some(d.id.to_string()));
            if let Some(assertions) = quality_assertions(repo, &d.path, &d.id) {
                v["inputFacets"] =
                    json!({ "dataQualityAssertions": facet(DATA_QUALITY_ASSERTIONS, assertions) });
            }
            v
        })
        .collect();
    let mut job_facets = Map::new();
    if let Some(code) = &run.code
        && let Some(commit) = &code.commit
    {
        let mut f = json!({
            "type": "git",
            "url": code.remote_url.as_deref().map(git_url_as_uri).unwrap_or_else(|| folder_uri(repo.root())),
            "version": commit,
        });
        if let Some(url) = &code.remote_url {
            f["repoUrl"] = json!(url);
        }
        if let Some(branch) = &code.branch {
            f["branch"] = json!(branch);
        }
        if !run.workdir.is_empty() {
            f["path"] = json!(run.workdir);
        }
        job_facets.insert("sourceCodeLocation".into(), facet(SOURCE_CODE_LOCATION, f));
    }
    json!({
        "eventType": kind,
        "eventTime": time.to_string(),
        "producer": producer(),
        "schemaURL": RUN_EVENT,
        "run": {
            "runId": run.id.to_string(),
            "facets": {
                "processing_engine": facet(PROCESSING_ENGINE, json!({
                    "name": "kiln",
                    "version": VERSION,
                    "openlineageAdapterVersion": VERSION,
                })),
            },
        },
        "job": {
            "namespace": namespace(repo, run),
            "name": run.name,
            "facets": job_facets,
        },
        "inputs": inputs,
        "outputs": outputs,
    })
}

/// A dataset: a repository path in the repository's namespace, with the
/// kiln id as its version and the bound schema's fields.
fn dataset(repo: &Repo, run: &RunRecord, path: &str, version: Option<String>) -> Value {
    let mut facets = Map::new();
    if let Some(v) = version {
        facets.insert(
            "version".into(),
            facet(DATASET_VERSION, json!({ "datasetVersion": v })),
        );
    }
    if let Some(fields) = schema_fields(repo, path) {
        facets.insert("schema".into(), facet(SCHEMA, json!({ "fields": fields })));
    }
    // An import is also the dataset of the repository it came from.
    if let Some(i) = imported_from(repo, path) {
        let identifier = json!({
            "namespace": format!("kiln://{}", place(&i.repo)),
            "name": i.path,
            "type": "DATASET",
        });
        facets.insert(
            "symlinks".into(),
            facet(SYMLINKS, json!({ "identifiers": [identifier] })),
        );
    }
    json!({
        "namespace": namespace(repo, run),
        "name": path,
        "facets": facets,
    })
}

/// The last check report of an input, as OpenLineage assertions: one per
/// check, failed or passed, with its column.
fn quality_assertions(repo: &Repo, path: &str, id: &crate::store::Id) -> Option<Value> {
    let report = crate::binding::last_report(repo, path, id)?;
    let failed = report
        .findings
        .iter()
        .map(|f| (&f.code, &f.field, !f.is_failure()));
    let passed = report.passed.iter().map(|p| (&p.code, &p.field, true));
    let assertions: Vec<Value> = failed
        .chain(passed)
        .map(|(code, field, success)| {
            let mut a = json!({ "assertion": code, "success": success });
            if let Some(column) = field {
                a["column"] = json!(column);
            }
            a
        })
        .collect();
    Some(json!({ "assertions": assertions }))
}

fn facet(schema_url: &str, body: Value) -> Value {
    let mut v = body;
    v["_producer"] = json!(producer());
    v["_schemaURL"] = json!(schema_url);
    v
}

/// `kiln://` and the repository's remote (host and path) or folder name.
fn namespace(repo: &Repo, run: &RunRecord) -> String {
    let remote = run.code.as_ref().and_then(|c| c.remote_url.as_deref());
    let place = match remote {
        Some(url) => place(url),
        None => repo
            .root()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    format!("kiln://{place}")
}

/// A git repository's URL as a namespace's place: host and path.
fn place(url: &str) -> String {
    let uri = git_url_as_uri(url);
    let rest = uri.split_once("://").map(|(_, r)| r).unwrap_or(&uri);
    rest.trim_end_matches('/')
        .trim_end_matches(".git")
        .to_string()
}

/// Where the dataset tracked at `path` was imported from, if it was.
fn imported_from(repo: &Repo, path: &str) -> Option<crate::pointer::Import> {
    let pointer = repo
        .root()
        .join(crate::pointer::pointer_path(Path::new(path)));
    let p = crate::pointer::Pointer::read(&pointer).ok()?;
    p.origin?.import.map(|i| *i)
}

/// A git remote as a URI: scp-like `user@host:path` becomes `ssh://user@host/path`.
fn git_url_as_uri(url: &str) -> String {
    if url.contains("://") {
        return url.to_string();
    }
    match url.split_once(':') {
        Some((host, path)) if !host.contains('/') && !host.is_empty() => {
            format!("ssh://{host}/{}", path.trim_start_matches('/'))
        }
        _ => folder_uri(Path::new(url)),
    }
}

fn folder_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The names and types of the fields of the schema bound to `path`, read
/// leniently from its YAML or JSON: anything unreadable gives no facet
/// rather than failing an export.
fn schema_fields(repo: &Repo, path: &str) -> Option<Vec<Value>> {
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        fields: Vec<Field>,
    }
    #[derive(serde::Deserialize)]
    struct Field {
        name: String,
        #[serde(default, rename = "type")]
        ty: Option<String>,
    }
    let schema = crate::binding::tracked_schema(repo, path)?;
    let text = crate::fsutil::read_to_string(&repo.root().join(schema)).ok()?;
    let doc: Doc = serde_saphyr::from_str(&text).ok()?;
    Some(
        doc.fields
            .into_iter()
            .map(|f| match f.ty {
                Some(t) => json!({ "name": f.name, "type": t }),
                None => json!({ "name": f.name }),
            })
            .collect(),
    )
}
