//! `kiln diff --stats` for people: per tracked path, the change of shape,
//! then per column both versions side by side and its drift scores.

use kiln::profiles::PathStats;
use kiln::stats::compare::{Basis, ColumnDrift, Side};

use super::outln;

pub fn print(p: &PathStats, a: &str, b: &str) {
    let d = &p.diff;
    let schema = p
        .schema
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    outln!("{}{schema}: {a} → {b}", p.path);
    let [ra, rb] = d.rows;
    let change = if ra > 0 {
        format!(" ({:+.1}%)", (rb as f64 - ra as f64) / ra as f64 * 100.0)
    } else {
        String::new()
    };
    outln!("  rows: {ra} → {rb}{change}");
    if !d.added.is_empty() {
        outln!("  columns added: {}", d.added.join(", "));
    }
    if !d.removed.is_empty() {
        outln!("  columns removed: {}", d.removed.join(", "));
    }
    for [name, ta, tb] in &d.retyped {
        outln!("  type of {name}: {ta} → {tb}");
    }
    let width = d.columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for c in &d.columns {
        let (Some(sa), Some(sb)) = (&c.a, &c.b) else {
            continue;
        };
        let flag = if c.drifted { "DRIFT" } else { "     " };
        let parts = [
            format!("nulls {} → {}", sa.nulls, sb.nulls),
            figures(c, sa, sb),
            scores(c),
        ];
        let line: Vec<&str> = parts
            .iter()
            .map(String::as_str)
            .filter(|p| !p.is_empty())
            .collect();
        outln!("  {flag} {:width$}  {}", c.name, line.join("  "));
    }
}

/// The figures that show a column's change on its basis.
fn figures(c: &ColumnDrift, a: &Side, b: &Side) -> String {
    match c.basis {
        Some(Basis::Numeric) => format!(
            "mean {} → {}  median {} → {}",
            num(a.stats.mean),
            num(b.stats.mean),
            num(a.stats.quantiles.as_ref().map(|q| q.p50)),
            num(b.stats.quantiles.as_ref().map(|q| q.p50)),
        ),
        Some(Basis::Categorical) => {
            let top = |s: &Side| {
                s.stats
                    .top
                    .as_ref()
                    .and_then(|t| t.first())
                    .map_or("-".to_string(), |f| f.value.clone())
            };
            format!("most frequent {} → {}", top(a), top(b))
        }
        Some(Basis::Length) => format!(
            "mean length {} → {}",
            num(a.stats.length.as_ref().map(|l| l.mean)),
            num(b.stats.length.as_ref().map(|l| l.mean)),
        ),
        None => String::new(),
    }
}

fn scores(c: &ColumnDrift) -> String {
    let s = &c.scores;
    [
        ("wasserstein", s.wasserstein),
        ("psi", s.psi),
        ("jensen-shannon", s.jensen_shannon),
        ("l∞", s.linf),
    ]
    .iter()
    .filter_map(|(n, v)| v.map(|v| format!("{n} {}", num(Some(v)))))
    .collect::<Vec<_>>()
    .join("  ")
}

/// A figure to four significant digits.
pub fn num(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v == 0.0 || !v.is_finite() => format!("{v}"),
        Some(v) => {
            let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
            format!("{v:.digits$}")
        }
    }
}
