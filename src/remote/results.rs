//! Check results on a remote: the files of the result cache (each shard's
//! report and sorted key runs) under `results/`, by the same
//! content-addressed names as in `.kiln/state/`, so that a result computed
//! on any machine (`kiln check --shard I/N`) is reused by every other. A
//! result is derived and as trustworthy as the remote it came from: only
//! `kiln fetch --results` brings results, never a hook or another command.

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, stream};

use super::backend::Conn;
use super::{Remote, RemoteError};
use crate::fsutil;
use crate::progress::{Progress, Unit};
use crate::validate::{RESULTS_DIR, ResultCache, is_result_file};

/// The largest result file fetched: a run of 24 bytes a keyed row.
const MAX_RESULT: u64 = 16 << 30;

/// What moved.
#[derive(Debug, Default, serde::Serialize)]
pub struct ResultsReport {
    pub remote: String,
    pub url: String,
    /// Result files moved, and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// Already on the other side.
    pub present: u64,
    /// Listed on the remote but not taken: not a result file kiln writes,
    /// or a report that does not read as one.
    pub refused: u64,
}

fn area() -> String {
    format!("results/{RESULTS_DIR}")
}

impl Remote {
    fn results_report(&self) -> ResultsReport {
        ResultsReport {
            remote: self.name().to_string(),
            url: self.display_url(),
            ..Default::default()
        }
    }

    /// Uploads the result files the remote lacks: each entry's runs before
    /// its report, so a report on the remote always has its runs.
    pub fn push_results(
        &self,
        cache: &ResultCache,
        progress: &dyn Progress,
    ) -> Result<ResultsReport, RemoteError> {
        let mut report = self.results_report();
        let local = cache.files()?;
        self.rt.block_on(async {
            let conn = self.connect(true)?;
            conn.preflight().await?;
            let there: HashSet<String> = conn
                .list_derived(&area())
                .await?
                .into_iter()
                .map(|(rel, _)| rel)
                .collect();
            let (todo, present): (Vec<_>, Vec<_>) =
                local.into_iter().partition(|(rel, _)| !there.contains(rel));
            report.present = present.len() as u64;
            let task = progress.task("pushing", todo.len() as u64, Unit::Files);
            for reports in [false, true] {
                let batch = todo
                    .iter()
                    .filter(|(rel, _)| rel.ends_with(".json") == reports);
                let mut sent = stream::iter(batch.map(|(rel, path)| {
                    let (conn, rel, path) = (conn.clone(), rel.clone(), path.clone());
                    async move {
                        let bytes = super::blocking(move || fsutil::read(&path)).await??;
                        let len = bytes.len() as u64;
                        conn.put_derived(&area(), &rel, Bytes::from(bytes)).await?;
                        Ok::<u64, RemoteError>(len)
                    }
                }))
                .buffer_unordered(self.jobs);
                while let Some(len) = sent.next().await {
                    let len = len?;
                    report.files += 1;
                    report.bytes += len;
                    task.advance(1);
                    task.advance_bytes(len);
                }
            }
            Ok::<(), RemoteError>(())
        })?;
        Ok(report)
    }

    /// Downloads the result files the local cache lacks (runs before
    /// reports); names that are not a result file's, and reports that do
    /// not read as one, are refused.
    pub fn fetch_results(
        &self,
        cache: &ResultCache,
        progress: &dyn Progress,
    ) -> Result<ResultsReport, RemoteError> {
        let mut report = self.results_report();
        self.rt.block_on(async {
            let conn: Arc<Conn> = self.connect(false)?;
            conn.preflight().await?;
            let mut listed = conn.list_derived(&area()).await?;
            listed.sort_by_key(|(rel, _)| (rel.ends_with(".json"), rel.clone()));
            let mut todo = Vec::new();
            for (rel, size) in listed {
                if !is_result_file(&rel) || size > MAX_RESULT {
                    report.refused += 1;
                } else if cache.has_file(&rel) {
                    report.present += 1;
                } else {
                    todo.push(rel);
                }
            }
            let task = progress.task("fetching", todo.len() as u64, Unit::Files);
            for reports in [false, true] {
                let batch = todo.iter().filter(|rel| rel.ends_with(".json") == reports);
                let mut got = stream::iter(batch.map(|rel| {
                    let (conn, rel) = (conn.clone(), rel.clone());
                    async move {
                        let bytes = conn
                            .get_derived(&area(), &rel, MAX_RESULT)
                            .await?
                            .ok_or_else(|| {
                                conn.refused(format!("download {rel}"), "it is gone".into())
                            })?;
                        Ok::<(String, Bytes), RemoteError>((rel, bytes))
                    }
                }))
                .buffer_unordered(self.jobs);
                while let Some(got) = got.next().await {
                    let (rel, bytes) = got?;
                    let len = bytes.len() as u64;
                    if cache.put_file(&rel, &bytes)? {
                        report.files += 1;
                        report.bytes += len;
                    } else {
                        report.refused += 1;
                    }
                    task.advance(1);
                    task.advance_bytes(len);
                }
            }
            Ok::<(), RemoteError>(())
        })?;
        Ok(report)
    }
}
