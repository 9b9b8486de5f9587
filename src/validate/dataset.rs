//! A dataset: a folder (or a glob) of files in one schema, checked as one
//! table. Each shard is checked on its own, in parallel, for everything a
//! row decides; the table's checks (row and byte bounds, repeated keys)
//! are judged over all shards by merging what each shard left: its row
//! count, its size and its sorted key runs. A shard's result and runs are
//! cached by its content, so a re-check reads only new or changed shards.

use std::cmp::Ordering as Order;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::cache;
use super::compile::{self, Measure};
use super::engine::{self, Against, RepeatCheck, Scope};
use super::merged::Merges;
use super::repeats::{self, Found, KeySink};
use super::report::{ColumnProfile, FileReport, Finding, Passed, Place, Sample, Shards, Verdict};
use super::{Checked, Checker, Format, LoadedSchema, Part, Shard, ValidateError};
use crate::fsutil::{self, Context};
use crate::progress::Unit;

impl Checker<'_> {
    /// Checks `shards`, of the dataset shown as `name`, as one table: the
    /// dataset's report, then each shard's, in `shards`' order. With a
    /// part (`--shard I/N`), only that part's shards, recording their
    /// results; the table's checks wait for the merge of all parts.
    pub(super) fn check_dataset(
        &self,
        name: String,
        shards: &[Shard],
        schema: &LoadedSchema,
    ) -> Result<Vec<FileReport>, ValidateError> {
        let total = shards.len();
        let shards: Vec<Shard> = match self.opts.part {
            Some(part) => shards
                .iter()
                .filter(|s| part.takes(&self.display(&s.path)))
                .cloned()
                .collect(),
            None => shards.to_vec(),
        };
        let files: Vec<PathBuf> = shards.iter().map(|s| s.path.clone()).collect();
        // Runs of shards not cached, and the merge's own files.
        let scratch = self.scratch()?;
        let (checked, stats) = self.check_shards(&shards, schema, scratch.path())?;
        let mut report = match self.opts.part {
            Some(part) => self.part_report(name, total, part, &checked, schema),
            None => self.merge(name, &files, &checked, stats, schema, scratch.path())?,
        };
        report.verdict = checked
            .iter()
            .map(|c| c.report.verdict)
            .fold(report.verdict, Verdict::max);
        let mut out = vec![report.clone()];
        out.extend(checked.into_iter().map(|c| FileReport {
            dataset: Some(report.path.clone()),
            ..c.report
        }));
        Ok(out)
    }

    /// Each shard checked, on two threads a core (each check streams its
    /// shard, so memory grows with the threads, not the shards), and their
    /// profiles merged (none unless every shard has one); the first error
    /// in `files`' order, if any.
    pub(super) fn check_shards(
        &self,
        files: &[Shard],
        schema: &LoadedSchema,
        scratch: &Path,
    ) -> Result<(Vec<Checked>, Option<crate::stats::Profile>), ValidateError> {
        let workers = self.workers().clamp(1, files.len().max(1));
        let next = AtomicUsize::new(0);
        let task = self
            .progress
            .map(|p| p.task("checking", files.len() as u64, Unit::Files));
        let slots: Vec<Mutex<Option<Result<Checked, ValidateError>>>> =
            files.iter().map(|_| Mutex::new(None)).collect();
        let profiles = InOrder::default();
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(shard) = files.get(i) else {
                            break;
                        };
                        let checked = shard.measure().and_then(|(id, len)| {
                            let checked = self.check_file(
                                &shard.path,
                                len,
                                schema,
                                id,
                                Scope::Shard,
                                Some((scratch, i)),
                            );
                            if let Some(task) = &task {
                                task.advance(1);
                                task.advance_bytes(len);
                            }
                            checked
                        });
                        let checked = checked.map(|mut c| {
                            profiles.add(i, c.report.stats.take());
                            c
                        });
                        *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(checked);
                    }
                });
            }
        });
        let checked = slots
            .into_iter()
            .map(|slot| {
                slot.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .expect("every shard is checked")
            })
            .collect::<Result<_, _>>()?;
        Ok((checked, profiles.merged()))
    }

    /// The dataset's own report: its table-level checks over all shards.
    fn merge(
        &self,
        name: String,
        files: &[PathBuf],
        checked: &[Checked],
        stats: Option<crate::stats::Profile>,
        schema: &LoadedSchema,
        scratch: &Path,
    ) -> Result<FileReport, ValidateError> {
        let bytes: u64 = checked.iter().map(|c| c.report.bytes).sum();
        // Unknown while a shard cannot be read (that shard says why).
        let rows: Option<u64> = checked.iter().map(|c| c.report.rows).sum();
        let mut findings = Vec::new();
        let mut passed = Vec::new();
        let mut pass = |code: &str, field: Option<String>| {
            passed.push(Passed {
                code: code.into(),
                field,
            })
        };
        if let Some(b) = &schema.schema.bytes {
            match engine::bytes_finding(b, bytes) {
                Some(f) => findings.push(f),
                None => pass("file/bytes", None),
            }
        }
        if let (Some(check), Some(rows)) = (compile::rows_check(&schema.schema), rows)
            && let Measure::Rows { min, max } = check.measure
        {
            if min.is_some_and(|m| rows < m) || max.is_some_and(|m| rows > m) {
                findings.push(engine::finding(&check, 1, Some(rows.to_string()), rows));
            } else {
                pass(check.code, None);
            }
        }
        let shown: Vec<String> = checked.iter().map(|c| c.report.path.clone()).collect();
        let mut merged = 0;
        for (check, runs) in repeat_checks(checked) {
            let rows = rows.unwrap_or(0);
            let (judged, fresh) =
                self.judge(&name, &check, &runs, files, &shown, rows, schema, scratch)?;
            merged = merged.max(fresh);
            match judged {
                Ok(f) => findings.push(f),
                Err(p) => passed.push(p),
            }
        }
        let formats: Vec<&str> = checked.iter().map(|c| c.report.format.as_str()).collect();
        let format = if formats.windows(2).all(|w| w[0] == w[1]) {
            formats.first().copied().unwrap_or("dataset")
        } else {
            "mixed"
        };
        let cached = checked.iter().filter(|c| c.report.cached).count();
        Ok(FileReport {
            path: name,
            schema: schema.display.clone(),
            format: format.into(),
            data_id: None,
            schema_id: schema.id,
            bytes,
            rows,
            verdict: FileReport::judge(&findings),
            cached: false,
            findings,
            passed,
            not_checked: checked
                .first()
                .map(|c| c.report.not_checked.clone())
                .unwrap_or_default(),
            profile: stats
                .as_ref()
                .map(|s| merged_profile(s, checked))
                .unwrap_or_default(),
            shards: Some(Shards {
                total: checked.len(),
                read: checked.len() - cached,
                cached,
                merged,
            }),
            dataset: None,
            stats,
        })
    }

    /// The report of one part of a dataset: how many of its shards it
    /// checked; the table's checks are not judged here.
    fn part_report(
        &self,
        name: String,
        total: usize,
        part: Part,
        checked: &[Checked],
        schema: &LoadedSchema,
    ) -> FileReport {
        let cached = checked.iter().filter(|c| c.report.cached).count();
        let mut not_checked = checked
            .first()
            .map(|c| c.report.not_checked.clone())
            .unwrap_or_default();
        not_checked.push(crate::schema::NotChecked {
            field: None,
            check: "rows, bytes, repeated keys and overlaps".into(),
            reason: format!(
                "part {part} checks {} of {total} shards; \
                 a check without --shard merges every part's results",
                checked.len()
            ),
        });
        FileReport {
            path: name,
            schema: schema.display.clone(),
            format: checked
                .first()
                .map_or_else(|| "dataset".to_string(), |c| c.report.format.clone()),
            data_id: None,
            schema_id: schema.id,
            bytes: checked.iter().map(|c| c.report.bytes).sum(),
            rows: checked.iter().map(|c| c.report.rows).sum(),
            verdict: Verdict::Valid,
            cached: false,
            findings: Vec::new(),
            passed: Vec::new(),
            not_checked,
            profile: Vec::new(),
            shards: Some(Shards {
                total,
                read: checked.len() - cached,
                cached,
                merged: 0,
            }),
            dataset: None,
            stats: None,
        }
    }

    /// A folder for runs and merges, removed when dropped.
    pub(super) fn scratch(&self) -> Result<tempfile::TempDir, ValidateError> {
        let tmp = self.tmp();
        fsutil::create_dir_all(&tmp).map_err(ValidateError::Data)?;
        tempfile::Builder::new()
            .prefix("keys-")
            .tempdir_in(&tmp)
            .ctx("create a folder in", &tmp)
            .map_err(ValidateError::Data)
    }

    /// Judges a check of keys over a table's runs (`runs`: each shard's
    /// number in `files` and `shown`, and its run): repeats among them, or
    /// keys shared with the other dataset of a `disjoint` check. `rows` is
    /// the table's, `name` the table as shown; a pass is `Err`. With it,
    /// how many runs were merged now (the rest came from a kept merge).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn judge(
        &self,
        name: &str,
        check: &RepeatCheck,
        runs: &[(usize, PathBuf)],
        files: &[PathBuf],
        shown: &[String],
        rows: u64,
        schema: &LoadedSchema,
        scratch: &Path,
    ) -> Result<(Result<Finding, Passed>, usize), ValidateError> {
        let n = self.opts.max_samples;
        // A file's overlap is judged while other files are checked.
        let memory = self.memory_share();
        let paths: Vec<PathBuf> = runs.iter().map(|(_, p)| p.clone()).collect();
        // Runs kept in the result cache can be merged into a kept merge.
        let kept = self
            .merges
            .as_ref()
            .zip(self.cache.as_ref())
            .and_then(|(merges, cache)| {
                let names = paths
                    .iter()
                    .map(|p| cache.run_name(p))
                    .collect::<Option<Vec<_>>>()?;
                Some((merges, names, Merges::key(name, &schema.id, check, n)))
            });
        let (found, fresh, theirs) = match &check.against {
            None => {
                let (found, fresh) = match kept {
                    Some((merges, names, key)) => merges.repeats(&key, names, &paths, n, scratch),
                    None => repeats::merge(&paths, n, scratch, None).map(|f| (f, paths.len())),
                }
                .map_err(ValidateError::Data)?;
                (found, fresh, Vec::new())
            }
            Some(against) => match self.their_runs(against, scratch)? {
                Ok((their_runs, theirs)) => {
                    let (found, fresh) = match kept {
                        Some((merges, names, key)) => {
                            merges.overlap(&key, names, &paths, &their_runs, n, memory, scratch)
                        }
                        None => repeats::overlap(&paths, 0, &their_runs, n, memory, scratch)
                            .map(|f| (f, paths.len())),
                    }
                    .map_err(ValidateError::Data)?;
                    (found, fresh, theirs)
                }
                Err(message) => {
                    let finding = Finding {
                        message,
                        fraction: None,
                        ..check.finding(1, rows)
                    };
                    return Ok((Ok(finding), 0));
                }
            },
        };
        if found.repeats == 0 {
            let passed = Passed {
                code: check.code.clone(),
                field: check.field.clone(),
            };
            return Ok((Err(passed), fresh));
        }
        let mut finding = check.finding(found.repeats, rows);
        // The first row with the key: ours for a repeat, theirs for an overlap.
        let firsts = if check.against.is_some() {
            &theirs
        } else {
            shown
        };
        finding.samples = self.repeat_samples(&found, runs, files, shown, firsts, check, schema);
        Ok((Ok(finding), fresh))
    }

    /// The runs of the keys of the other dataset of a `disjoint` check, and
    /// its files as shown; `Err` (inside) says why it cannot be read.
    fn their_runs(
        &self,
        against: &Against,
        scratch: &Path,
    ) -> Result<Result<Theirs, String>, ValidateError> {
        let files = match self.table_files(&against.dataset, "the dataset") {
            Ok(f) => f,
            Err(message) => return Ok(Err(message)),
        };
        let mut runs = Vec::new();
        for (i, file) in files.iter().enumerate() {
            let Some(format) = Format::of(file) else {
                return Ok(Err(format!(
                    "{}: not a data file kiln reads",
                    file.display()
                )));
            };
            // Kept in the result cache by the file's content: a check
            // whose other dataset has not changed reads none of it.
            let kept = match &self.cache {
                Some(cache) => {
                    let id = self.file_id(file, self.rel(file).as_deref())?;
                    let key = cache::Cache::column_keys_key(&id, format.name(), &against.fields);
                    let path = cache.run_path(&key, 0);
                    Some((cache, key, path))
                }
                None => None,
            };
            if let Some((_, _, path)) = &kept
                && path.is_file()
            {
                tracing::debug!("{}: its keys kept from an earlier check", file.display());
                runs.push(path.clone());
                continue;
            }
            let sink = KeySink::new(self.keys_in_memory(), scratch);
            let keys = match engine::column_keys(file, format, &against.fields, sink) {
                Ok(k) => k,
                Err(message) => return Ok(Err(message)),
            };
            let run = scratch.join(format!("theirs-{i}.keys"));
            keys.finish(&run, scratch).map_err(ValidateError::Data)?;
            if let Some((cache, key, path)) = &kept {
                // Derived state: not keeping it costs the next check a read.
                let stored = cache
                    .prepare(key)
                    .and_then(|()| repeats::same_run(&run, path, cache.tmp()));
                if let Err(e) = stored {
                    tracing::warn!("cannot keep the keys of {}: {e}", file.display());
                }
            }
            runs.push(run);
        }
        Ok(Ok((runs, files.iter().map(|f| self.display(f)).collect())))
    }

    /// Samples of repeated rows, with their values read back from their
    /// shards (a few rows each) and the first row with the same key (in
    /// `firsts`' shards).
    #[allow(clippy::too_many_arguments)]
    fn repeat_samples(
        &self,
        found: &Found,
        runs: &[(usize, PathBuf)],
        files: &[PathBuf],
        shown: &[String],
        firsts: &[String],
        check: &RepeatCheck,
        schema: &LoadedSchema,
    ) -> Vec<Sample> {
        // `found` numbers shards by their place in `runs`.
        let shard = |at: usize| runs[at].0;
        // Each shard with samples read once, for all of its rows.
        let mut wanted: std::collections::BTreeMap<usize, Vec<u64>> = Default::default();
        for pair in &found.samples {
            wanted
                .entry(shard(pair.repeat.shard))
                .or_default()
                .push(pair.repeat.row);
        }
        let mut read: std::collections::HashMap<(usize, u64), Sample> = Default::default();
        for (i, rows) in wanted {
            let got = Format::of(&files[i])
                .ok_or_else(|| "not a data file".to_string())
                .and_then(|format| {
                    engine::key_samples(
                        &files[i],
                        format,
                        &schema.schema,
                        &check.code,
                        check.field.as_deref(),
                        &rows,
                    )
                });
            match got {
                Ok(samples) => read.extend(samples.into_iter().map(|s| ((i, s.row), s))),
                Err(e) => {
                    tracing::warn!("{}: cannot read sample rows back: {e}", files[i].display())
                }
            }
        }
        let mut out = Vec::new();
        for pair in &found.samples {
            let i = shard(pair.repeat.shard);
            let mut sample = read
                .remove(&(i, pair.repeat.row))
                .unwrap_or_else(|| Sample::new(pair.repeat.row, None, None));
            sample.file = Some(shown[i].clone());
            // A repeat's first row is numbered as ours; an overlap's as theirs.
            let first = if check.against.is_some() {
                pair.first.shard
            } else {
                shard(pair.first.shard)
            };
            sample.first = firsts.get(first).map(|file| Place {
                file: file.clone(),
                row: pair.first.row,
            });
            out.push(sample);
        }
        out
    }
}

/// The other dataset of a `disjoint` check: its runs, and its files as shown.
type Theirs = (Vec<PathBuf>, Vec<String>);

/// Each check of repeated keys, with the shards (their numbers) that ran
/// it and their runs; in the order the shards first name them.
fn repeat_checks(checked: &[Checked]) -> Vec<(RepeatCheck, Vec<(usize, PathBuf)>)> {
    let mut out: Vec<(RepeatCheck, Vec<(usize, PathBuf)>)> = Vec::new();
    for (i, c) in checked.iter().enumerate() {
        for (check, run) in &c.runs {
            let same = |r: &RepeatCheck| r.code == check.code && r.field == check.field;
            match out.iter_mut().find(|(r, _)| same(r)) {
                Some((_, runs)) => runs.push((i, run.clone())),
                None => out.push((check.clone(), vec![(i, run.clone())])),
            }
        }
    }
    out
}

/// The dataset's profile as reports show it: the merged summaries, and
/// the ranges of its shards joined.
fn merged_profile(merged: &crate::stats::Profile, checked: &[Checked]) -> Vec<ColumnProfile> {
    let shard_columns = || checked.iter().flat_map(|c| &c.report.profile);
    merged
        .columns
        .iter()
        .map(|c| {
            let ranges = shard_columns().filter(|p| p.name == c.name);
            let (min, max) = ranges.fold((None, None), |(lo, hi), p| {
                (
                    pick(lo, p.min.clone(), Order::Less),
                    pick(hi, p.max.clone(), Order::Greater),
                )
            });
            // Distinct values exact where they were counted; sketches of
            // shards are not kept.
            let distinct = c.summary.categories.as_ref().map(|v| v.len() as u64);
            ColumnProfile::new(c, [min, max], distinct)
        })
        .collect()
}

/// Of two bounds the one further in `side`: numbers by value, other
/// values (texts, ISO dates) by their text.
fn pick(a: Option<String>, b: Option<String>, side: Order) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let order = match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => y.total_cmp(&x),
                _ => b.cmp(&a),
            };
            Some(if order == side { b } else { a })
        }
        (a, b) => a.or(b),
    }
}

/// Shards' profiles merged in the shards' order as they finish (merging
/// digests in another order gives other, equally good, figures: the same
/// shards always give the same profile), holding only those that finish
/// ahead of an earlier shard: a dataset's thousands are never all held.
#[derive(Default)]
struct InOrder(Mutex<Merging>);

#[derive(Default)]
struct Merging {
    next: usize,
    waiting: std::collections::BTreeMap<usize, Option<crate::stats::Profile>>,
    merged: crate::stats::Profile,
    /// A shard without a profile: the dataset has none.
    broken: bool,
}

impl InOrder {
    fn add(&self, i: usize, profile: Option<crate::stats::Profile>) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.waiting.insert(i, profile);
        loop {
            let next = m.next;
            let Some(p) = m.waiting.remove(&next) else {
                break;
            };
            match p {
                Some(p) => m.merged.merge(&p),
                None => m.broken = true,
            }
            m.next += 1;
        }
    }

    fn merged(self) -> Option<crate::stats::Profile> {
        let mut m = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        m.merged.settle();
        (!m.broken && m.waiting.is_empty()).then_some(m.merged)
    }
}
