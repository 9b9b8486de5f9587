//! A schema's drift rules judged: the checked data's profile compared with
//! the profile of a baseline version of the same tracked path (a git
//! revision's, or the previous committed version's), each score over its
//! threshold a finding like any other (`drift/wasserstein`, …).

use std::path::Path;

use crate::git::Git;
use crate::pointer::{self, Pointer};
use crate::profiles::{ProfileError, Profiler};
use crate::progress::Progress;
use crate::repo::Repo;
use crate::schema::{Baseline, Drift, NotChecked, Schema};
use crate::stats::Profile;
use crate::stats::compare::{self, ColumnDrift};
use crate::validate::{FileReport, Finding, Passed, Status};

/// Commits of history read to find the previous version.
const HISTORY: usize = 10_000;

/// The baseline a report was judged against: its label and profile.
pub struct Judged {
    pub baseline: String,
    pub profile: Profile,
}

/// Judges the drift rules of the schema at `schema_path` for `report`,
/// the check of the tracked path `rel`: findings added and the verdict
/// recomputed. Nothing happens without rules; without a baseline version
/// the rules are listed as not checked.
pub fn judge(
    repo: &Repo,
    rel: &str,
    schema_path: &Path,
    report: &mut FileReport,
    progress: &dyn Progress,
) -> Result<Option<Judged>, ProfileError> {
    let text = crate::fsutil::read_to_string(schema_path)?;
    let schema = Schema::parse(&text, schema_path)?;
    let Some(rules) = &schema.drift else {
        return Ok(None);
    };
    let not_checked = |report: &mut FileReport, reason: String| {
        report.not_checked.push(NotChecked {
            field: None,
            check: "drift".into(),
            reason,
        });
    };
    if report.stats.is_none() {
        not_checked(report, "the data could not be profiled".into());
        return Ok(None);
    }
    let Some((rev, label, pointer)) = baseline(repo, rel, report, rules)? else {
        not_checked(
            report,
            "no earlier version of this data to compare with".into(),
        );
        return Ok(None);
    };
    let profile =
        match Profiler::new(repo, progress).profile(rel, &pointer, Some(&rev), schema_path) {
            Ok(p) => p,
            // A baseline kiln cannot read judges nothing; the report says so.
            Err(ProfileError::Unreadable { .. }) => {
                not_checked(report, format!("the baseline {label} cannot be read"));
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
    let Some(current) = &report.stats else {
        return Ok(None);
    };
    let diff = compare::compare(&profile, current);
    let (findings, passed) = findings(rules, &diff, &label);
    report.findings.extend(findings);
    report.passed.extend(passed);
    report.verdict = FileReport::judge(&report.findings);
    Ok(Some(Judged {
        baseline: label,
        profile,
    }))
}

/// The baseline's revision, how reports name it (`<rev>`, or `<commit>
/// (previous version)`) and its pointer; none where there is no such version.
fn baseline(
    repo: &Repo,
    rel: &str,
    report: &FileReport,
    rules: &Drift,
) -> Result<Option<(String, String, Pointer)>, ProfileError> {
    let git = Git::open(repo.root()).map_err(crate::workspace::WorkspaceError::from)?;
    let pointer_rel = pointer::pointer_path(Path::new(rel));
    let pointer_rel = pointer_rel.to_string_lossy();
    let parse = |bytes: &[u8], shown: &str| {
        Pointer::parse(&String::from_utf8_lossy(bytes), Path::new(shown))
            .map_err(crate::workspace::WorkspaceError::from)
    };
    match &rules.baseline {
        Baseline::Revision(rev) => {
            let bytes = git
                .file_at(rev, &pointer_rel)
                .map_err(crate::workspace::WorkspaceError::from)?;
            bytes
                .map(|b| {
                    let p = parse(&b, &format!("{rev}:{pointer_rel}"))?;
                    Ok((rev.clone(), rev.clone(), p))
                })
                .transpose()
        }
        Baseline::Previous => {
            // This version: the data checked, else (a folder) its pointer.
            let current = match report.data_id {
                Some(id) => Some(id),
                None => Pointer::read(&repo.root().join(pointer_rel.as_ref()))
                    .ok()
                    .map(|p| p.id),
            };
            let history = git
                .file_history(&pointer_rel, HISTORY)
                .map_err(crate::workspace::WorkspaceError::from)?;
            for (commit, bytes) in history {
                let p = parse(&bytes, &format!("{commit}:{pointer_rel}"))?;
                if Some(p.id) != current {
                    let label = format!("{commit} (previous version)");
                    return Ok(Some((commit, label, p)));
                }
            }
            Ok(None)
        }
    }
}

/// The scores a column is judged by: its own, else the schema's, else the
/// default of its basis.
fn rules_for(rules: &Drift, c: &ColumnDrift) -> Vec<(String, f64)> {
    if let Some((_, own)) = rules.fields.iter().find(|(n, _)| *n == c.name) {
        return own.clone();
    }
    if !rules.scores.is_empty() {
        return rules.scores.clone();
    }
    c.basis
        .map(|b| {
            let (name, t) = compare::default_rule(b);
            vec![(name.to_string(), t)]
        })
        .unwrap_or_default()
}

fn findings(
    rules: &Drift,
    diff: &compare::ProfileDiff,
    baseline: &str,
) -> (Vec<Finding>, Vec<Passed>) {
    let mut found = Vec::new();
    let mut passed = Vec::new();
    let finding =
        |code: String, field: Option<String>, observed: f64, threshold: f64, message: String| {
            Finding {
                code,
                field,
                severity: rules.rule.severity,
                status: Status::Failed,
                count: 1,
                fraction: None,
                mostly: None,
                expected: Some(format!("at most {threshold}")),
                observed: Some(format!("{observed:.4}")),
                message,
                samples: Vec::new(),
            }
        };
    if let Some(limit) = rules.rows {
        let [a, b] = diff.rows;
        let change = if a == 0 {
            if b == 0 { 0.0 } else { f64::INFINITY }
        } else {
            (b as f64 - a as f64).abs() / a as f64
        };
        if change > limit {
            found.push(finding(
                "drift/rows".into(),
                None,
                change,
                limit,
                format!(
                    "rows changed by {:.1}% from {a} in {baseline} to {b}",
                    change * 100.0
                ),
            ));
        } else {
            passed.push(Passed {
                code: "drift/rows".into(),
                field: None,
            });
        }
    }
    for c in diff
        .columns
        .iter()
        .filter(|c| c.a.is_some() && c.b.is_some())
    {
        for (score, threshold) in rules_for(rules, c) {
            let Some(value) = c.scores.get(&score) else {
                continue;
            };
            let code = format!("drift/{}", code_name(&score));
            if value > threshold {
                found.push(finding(
                    code,
                    Some(c.name.clone()),
                    value,
                    threshold,
                    format!(
                        "{} {value:.4} from {baseline} is above {threshold}",
                        score_title(&score)
                    ),
                ));
            } else {
                passed.push(Passed {
                    code,
                    field: Some(c.name.clone()),
                });
            }
        }
    }
    (found, passed)
}

/// A score's name in finding codes: `jensenShannon` is `jensen-shannon`.
fn code_name(score: &str) -> &str {
    match score {
        "jensenShannon" => "jensen-shannon",
        s => s,
    }
}

fn score_title(score: &str) -> &str {
    match score {
        "wasserstein" => "normalised Wasserstein distance",
        "psi" => "population stability index",
        "jensenShannon" => "Jensen-Shannon distance",
        "linf" => "L-infinity distance",
        s => s,
    }
}
