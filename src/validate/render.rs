//! Reports as text: for people, JSON, JUnit XML and GitHub annotations.
//! Each renderer returns a string; printing is the caller's business.

use std::fmt::Write;

use serde::Serialize;

use super::report::{FileReport, Finding, Status, Verdict};
use crate::schema::Severity;

/// Counts over a set of reports, and the verdict they add up to. A
/// dataset is one table: its verdict counts once, covering its shards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Data files read, shards included.
    pub files: usize,
    pub datasets: usize,
    /// Tables (files not in a dataset, and datasets) by verdict.
    pub valid: usize,
    pub invalid: usize,
    pub unreadable: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl Summary {
    pub fn of(reports: &[FileReport]) -> Summary {
        let mut s = Summary::default();
        for r in reports {
            s.errors += r.errors();
            s.warnings += r.warnings();
            if r.shards.is_some() {
                s.datasets += 1;
            } else {
                s.files += 1;
            }
            if r.dataset.is_some() {
                continue;
            }
            match r.verdict {
                Verdict::Valid | Verdict::Warn => s.valid += 1,
                Verdict::Invalid => s.invalid += 1,
                Verdict::Unreadable => s.unreadable += 1,
            }
        }
        s
    }

    /// The worst verdict, with warnings failing when `fail_on_warn`.
    pub fn verdict(&self, fail_on_warn: bool) -> Verdict {
        if self.unreadable > 0 {
            Verdict::Unreadable
        } else if self.invalid > 0 || (fail_on_warn && self.warnings > 0) {
            Verdict::Invalid
        } else if self.warnings > 0 {
            Verdict::Warn
        } else {
            Verdict::Valid
        }
    }
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

struct Paint(bool);

impl Paint {
    fn code(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        self.code("31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.code("33", s)
    }
    fn green(&self, s: &str) -> String {
        self.code("32", s)
    }
    fn bold(&self, s: &str) -> String {
        self.code("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.code("2", s)
    }
}

fn percent(f: f64) -> String {
    let p = f * 100.0;
    if p > 0.0 && p < 0.1 {
        "<0.1%".into()
    } else {
        format!("{p:.1}%")
    }
}

fn samples_text(f: &Finding) -> Option<String> {
    if f.samples.is_empty() {
        return None;
    }
    let parts: Vec<String> = f
        .samples
        .iter()
        .map(|s| {
            let mut at = match s.line {
                Some(line) => format!("row {} (line {line})", s.row),
                None => format!("row {}", s.row),
            };
            if let Some(file) = &s.file {
                at = format!("{file} {at}");
            }
            let first = s
                .first
                .as_ref()
                .map(|f| format!(" (first at {} row {})", f.file, f.row))
                .unwrap_or_default();
            match &s.value {
                Some(v) => format!("{at}: {}{first}", shown_value(v)),
                None => format!("{at}: (empty){first}"),
            }
        })
        .collect();
    let shown = f.samples.len() as u64;
    let more = (f.count > shown && (f.code.starts_with("cell/") || f.code.starts_with("row/")))
        .then(|| format!(", … {} more", f.count - shown));
    Some(format!("{}{}", parts.join(", "), more.unwrap_or_default()))
}

/// Characters of a sample's value shown in a report read by people: a
/// corpus's texts run to thousands, and five of them would bury the
/// finding. The JSON report keeps every value whole.
const SHOWN_CHARS: usize = 60;

/// A sample's value quoted, or its first characters and its length.
fn shown_value(v: &str) -> String {
    let quoted = |t: &str| serde_json::to_string(t).unwrap_or_default();
    let chars = v.chars().count();
    // Clipped only where that saves more than the note of the length costs.
    if chars <= SHOWN_CHARS + 20 {
        return quoted(v);
    }
    let head: String = v.chars().take(SHOWN_CHARS).collect();
    format!("{}… ({chars} characters)", quoted(&head))
}

/// The human report: grouped by file and field, ending with a one-line verdict.
pub fn human(reports: &[FileReport], fail_on_warn: bool, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    for r in reports {
        // A dataset's report counts its valid shards; the others follow it.
        if r.dataset.is_some() && r.verdict == Verdict::Valid {
            continue;
        }
        let rows = r
            .rows
            .map(|n| format!(", {}", count(n as usize, "row", "rows")))
            .unwrap_or_default();
        let cached = if r.cached { ", cached" } else { "" };
        let shards = r.shards.as_ref().map_or_else(String::new, |s| {
            let mut how = vec![format!("{} read", s.read)];
            if s.cached > 0 {
                how.push(format!("{} cached", s.cached));
            }
            let mut how = how.join(", ");
            if s.read + s.cached < s.total {
                how = format!("{} in this part: {how}", s.read + s.cached);
            }
            format!("dataset of {} ({how}), ", count(s.total, "shard", "shards"))
        });
        let _ = writeln!(
            out,
            "{}  {}",
            p.bold(&r.path),
            p.dim(&format!(
                "{shards}{}{rows}, {}{cached} · schema {}",
                r.format,
                crate::progress::human_bytes(r.bytes),
                r.schema
            ))
        );
        // Group by field, in first-seen order; table-level findings last.
        let mut groups: Vec<(Option<&str>, Vec<&Finding>)> = Vec::new();
        for f in &r.findings {
            let key = f.field.as_deref();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(f),
                None => groups.push((key, vec![f])),
            }
        }
        groups.sort_by_key(|(k, _)| k.is_none());
        for (field, findings) in groups {
            let _ = writeln!(
                out,
                "  {}",
                field.map_or_else(|| "(table)".to_string(), |f| p.bold(f))
            );
            for f in findings {
                let label = match (f.status, f.severity) {
                    (Status::Tolerated, _) => p.dim("ok   "),
                    (_, Severity::Error) => p.red("error"),
                    (_, Severity::Warn) => p.yellow("warn "),
                };
                let mut line = format!("    {label}  {:<22} {}", f.code, f.message);
                if let Some(fr) = f.fraction {
                    let _ = write!(line, " ({})", percent(fr));
                }
                if f.status == Status::Tolerated {
                    let _ = write!(line, "; within mostly {}", f.mostly.unwrap_or(1.0));
                }
                let _ = writeln!(out, "{line}");
                if let Some(s) = samples_text(f) {
                    let _ = writeln!(out, "           {:<22} {}", "", p.dim(&s));
                }
            }
        }
        for n in &r.not_checked {
            let what = match &n.field {
                Some(field) => format!("{field} {}", n.check),
                None => n.check.clone(),
            };
            let _ = writeln!(
                out,
                "  {}",
                p.dim(&format!("not checked: {what}: {}", n.reason))
            );
        }
        let checks = r.passed.len() + r.findings.len();
        let verdict = match r.verdict {
            Verdict::Valid => p.green("valid"),
            Verdict::Warn if fail_on_warn => p.red("invalid"),
            Verdict::Warn => p.yellow("valid"),
            Verdict::Invalid => p.red("invalid"),
            Verdict::Unreadable => p.red("unreadable"),
        };
        let mut tail = vec![count(checks, "check", "checks")];
        if r.errors() > 0 {
            tail.push(count(r.errors(), "error", "errors"));
        }
        if r.warnings() > 0 {
            tail.push(count(r.warnings(), "warning", "warnings"));
        }
        let _ = writeln!(out, "  {verdict}: {}", tail.join(", "));
        out.push('\n');
    }
    out.push_str(&verdict_line(reports, fail_on_warn, &p));
    out.push('\n');
    out
}

fn verdict_line(reports: &[FileReport], fail_on_warn: bool, p: &Paint) -> String {
    let s = Summary::of(reports);
    let word = match s.verdict(fail_on_warn) {
        Verdict::Valid | Verdict::Warn => p.green("valid"),
        Verdict::Invalid => p.red("invalid"),
        Verdict::Unreadable => p.red("unreadable"),
    };
    let mut parts = vec![format!("{} valid", s.valid)];
    if s.invalid > 0 {
        parts.push(format!("{} invalid", s.invalid));
    }
    if s.unreadable > 0 {
        parts.push(format!("{} unreadable", s.unreadable));
    }
    let what = if s.datasets == 0 {
        count(s.files, "file", "files")
    } else {
        let shards: usize = reports
            .iter()
            .filter_map(|r| r.shards.as_ref())
            .map(|d| d.total)
            .sum();
        let mut what = format!(
            "{} of {}",
            count(s.datasets, "dataset", "datasets"),
            count(shards, "file", "files")
        );
        if s.files > shards {
            let _ = write!(what, " and {}", count(s.files - shards, "file", "files"));
        }
        what
    };
    format!(
        "{word}: {what} checked ({}); {}, {}",
        parts.join(", "),
        count(s.errors, "error", "errors"),
        count(s.warnings, "warning", "warnings")
    )
}

#[derive(Serialize)]
struct JsonOut<'a> {
    valid: bool,
    verdict: Verdict,
    summary: Summary,
    files: &'a [FileReport],
}

/// The reports as one JSON document.
pub fn json(reports: &[FileReport], fail_on_warn: bool) -> String {
    let summary = Summary::of(reports);
    let verdict = summary.verdict(fail_on_warn);
    let out = JsonOut {
        valid: matches!(verdict, Verdict::Valid | Verdict::Warn),
        verdict,
        summary,
        files: reports,
    };
    serde_json::to_string_pretty(&out).expect("reports serialise")
}

/// Text made safe inside XML and HTML (data and names come from strangers'
/// files); control characters XML cannot hold are dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn case_name(code: &str, field: Option<&str>) -> String {
    match field {
        Some(f) => format!("{f}: {code}"),
        None => code.to_string(),
    }
}

/// JUnit XML: a test suite per file and a test case per check.
pub fn junit(reports: &[FileReport], fail_on_warn: bool) -> String {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_errors, mut all_skipped) = (0, 0, 0, 0);
    for r in reports {
        let mut cases = String::new();
        let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
        let class = escape(&r.path);
        for f in &r.findings {
            tests += 1;
            let name = escape(&case_name(&f.code, f.field.as_deref()));
            let detail = escape(&samples_text(f).unwrap_or_default());
            let msg = escape(&f.message);
            let fails = f.is_failure() && (f.severity == Severity::Error || fail_on_warn);
            let _ = write!(
                cases,
                "    <testcase classname=\"{class}\" name=\"{name}\">"
            );
            if f.code == "file/parse" {
                errors += 1;
                let _ = write!(
                    cases,
                    "<error type=\"{}\" message=\"{msg}\"/>",
                    escape(&f.code)
                );
            } else if fails {
                failures += 1;
                let _ = write!(
                    cases,
                    "<failure type=\"{}\" message=\"{msg}\">{detail}</failure>",
                    escape(&f.code)
                );
            } else {
                let note = if f.status == Status::Tolerated {
                    "tolerated"
                } else {
                    "warning"
                };
                let _ = write!(cases, "<system-out>{note}: {msg}</system-out>");
            }
            cases.push_str("</testcase>\n");
        }
        for ok in &r.passed {
            tests += 1;
            let name = escape(&case_name(&ok.code, ok.field.as_deref()));
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{class}\" name=\"{name}\"/>"
            );
        }
        for n in &r.not_checked {
            tests += 1;
            skipped += 1;
            let name = escape(&case_name(&n.check, n.field.as_deref()));
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{class}\" name=\"{name}\"><skipped message=\"{}\"/></testcase>",
                escape(&n.reason)
            );
        }
        let _ = write!(
            suites,
            "  <testsuite name=\"{class}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n    <properties><property name=\"schema\" value=\"{}\"/><property name=\"cached\" value=\"{}\"/></properties>\n{cases}  </testsuite>\n",
            escape(&r.schema),
            r.cached
        );
        all_tests += tests;
        all_failures += failures;
        all_errors += errors;
        all_skipped += skipped;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kiln check\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"{all_errors}\" skipped=\"{all_skipped}\">\n{suites}</testsuites>\n"
    )
}

/// GitHub Actions workflow commands: escapes for a message.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// … and for a property value.
fn gh_prop(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations, one per finding, then the verdict line.
pub fn github(reports: &[FileReport], fail_on_warn: bool) -> String {
    let mut out = String::new();
    for r in reports {
        for f in &r.findings {
            let level = match (f.status, f.severity) {
                (Status::Tolerated, _) => "notice",
                (_, Severity::Error) => "error",
                (_, Severity::Warn) if fail_on_warn => "error",
                (_, Severity::Warn) => "warning",
            };
            let line = f
                .samples
                .first()
                .and_then(|s| s.line)
                .map(|l| format!(",line={l}"))
                .unwrap_or_default();
            let mut msg = match &f.field {
                Some(field) => format!("{field}: {}", f.message),
                None => f.message.clone(),
            };
            if let Some(s) = samples_text(f) {
                let _ = write!(msg, " — {s}");
            }
            let _ = writeln!(
                out,
                "::{level} file={}{line},title={}::{}",
                gh_prop(&r.path),
                gh_prop(&format!("kiln {}", f.code)),
                gh_data(&msg)
            );
        }
    }
    out.push_str(&verdict_line(reports, fail_on_warn, &Paint(false)));
    out.push('\n');
    out
}
