//! Reports people can look at: one self-contained HTML file (styles and
//! SVG charts inline, nothing fetched) for a check's findings and each
//! column's distribution, or for two versions' statistics drawn over each
//! other.

use std::fmt::Write;

use crate::profiles::PathStats;
use crate::stats::Profile;
use crate::stats::chart::{self, Series};
use crate::stats::compare::ColumnDrift;
use crate::validate::FileReport;
use crate::validate::render::escape as esc;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;\
text-align:left;font-size:.9em}th{background:#f4f4f4}.bad{color:#b00020;font-weight:bold}\
.warn{color:#a65f00;font-weight:bold}.ok{color:#1b7f3b;font-weight:bold}\
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart{border:1px solid #eee}";

/// The page of `kiln diff --stats` between `a` and `b`.
pub fn diff_page(a: &str, b: &str, paths: &[PathStats]) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "<h1>kiln diff --stats: {} → {}</h1>", esc(a), esc(b));
    if paths.is_empty() {
        body.push_str("<p>No tracked data with a schema to compare.</p>");
    }
    for p in paths {
        let d = &p.diff;
        let _ = writeln!(body, "<h2>{}</h2>", esc(&p.path));
        let [ra, rb] = d.rows;
        let _ = writeln!(body, "<p>Rows: {ra} → {rb}</p>");
        for (what, names) in [("Columns added", &d.added), ("Columns removed", &d.removed)] {
            if !names.is_empty() {
                let _ = writeln!(body, "<p>{what}: {}</p>", esc(&names.join(", ")));
            }
        }
        for [name, ta, tb] in &d.retyped {
            let _ = writeln!(
                body,
                "<p>Type of {}: {} → {}</p>",
                esc(name),
                esc(ta),
                esc(tb)
            );
        }
        body.push_str(&drift_table(&d.columns));
        let profiles = [p.profiles[0].as_ref(), p.profiles[1].as_ref()];
        body.push_str(&charts(
            &d.columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            &profiles,
            [a, b],
        ));
    }
    page(&format!("kiln diff --stats {a} {b}"), &body)
}

/// The page of `kiln check`: each report's verdict and findings, and its
/// columns' distributions; over a drift baseline's where one was judged.
pub fn check_page(reports: &[FileReport], baselines: &[(String, Profile)]) -> String {
    let mut body = String::from("<h1>kiln check</h1>\n");
    for r in reports {
        let class = match r.verdict {
            crate::validate::Verdict::Valid => "ok",
            crate::validate::Verdict::Warn => "warn",
            _ => "bad",
        };
        let _ = writeln!(
            body,
            "<h2>{} <span class=\"{class}\">{}</span></h2>\n<p>Schema {} · {} rows · {} bytes</p>",
            esc(&r.path),
            esc(&format!("{:?}", r.verdict).to_lowercase()),
            esc(&r.schema),
            r.rows.map_or("?".to_string(), |n| n.to_string()),
            r.bytes
        );
        if r.findings.is_empty() {
            body.push_str("<p>No findings.</p>\n");
        } else {
            body.push_str("<table><tr><th>Code</th><th>Field</th><th>Severity</th><th>Count</th><th>Message</th></tr>\n");
            for f in &r.findings {
                let _ = writeln!(
                    body,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&f.code),
                    esc(f.field.as_deref().unwrap_or("")),
                    f.severity,
                    f.count,
                    esc(&f.message)
                );
            }
            body.push_str("</table>\n");
        }
        let Some(stats) = &r.stats else { continue };
        let baseline = baselines.iter().find(|(p, _)| *p == r.path).map(|(_, b)| b);
        let names: Vec<&str> = stats.columns.iter().map(|c| c.name.as_str()).collect();
        body.push_str(&match baseline {
            Some(b) => charts(
                &names,
                &[Some(b), Some(stats)],
                ["baseline", "this version"],
            ),
            None => charts(&names, &[Some(stats)], ["this version", ""]),
        });
    }
    page("kiln check", &body)
}

fn drift_table(columns: &[ColumnDrift]) -> String {
    let mut t = String::from(
        "<table><tr><th>Column</th><th>Basis</th><th>Drift</th><th>Wasserstein</th><th>PSI</th>\
         <th>Jensen-Shannon</th><th>L∞</th></tr>\n",
    );
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for c in columns {
        let basis = c
            .basis
            .map_or(String::new(), |b| format!("{b:?}").to_lowercase());
        let drift = if c.drifted {
            "<span class=\"bad\">drift</span>"
        } else {
            ""
        };
        let _ = writeln!(
            t,
            "<tr><td>{}</td><td>{basis}</td><td>{drift}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.name),
            cell(c.scores.wasserstein),
            cell(c.scores.psi),
            cell(c.scores.jensen_shannon),
            cell(c.scores.linf)
        );
    }
    t.push_str("</table>\n");
    t
}

/// A chart per column of `names`, each profile a series (one or two).
fn charts(names: &[&str], profiles: &[Option<&Profile>], labels: [&str; 2]) -> String {
    let mut out = String::from("<div class=\"charts\">\n");
    for name in names {
        let series: Vec<Series> = profiles
            .iter()
            .zip(labels)
            .filter_map(|(p, label)| {
                Some(Series {
                    label,
                    summary: &p.as_ref()?.column(name)?.summary,
                })
            })
            .collect();
        if let Some(svg) = chart::chart(name, &series) {
            let _ = writeln!(out, "<div class=\"chart\">{svg}</div>");
        }
    }
    out.push_str("</div>\n");
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        esc(title)
    )
}
