//! Charts of a column's distribution, one version or two drawn over each
//! other, as SVG for the HTML reports: histograms over a shared range for
//! numbers (and text lengths), bars of shares for values of few kinds.

use plotters::prelude::*;

use super::summary::{Distribution, Summary};

/// The first version's colour, and the second's.
pub const COLOURS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(255, 127, 14)];
const SIZE: (u32, u32) = (520, 260);
/// Values of few kinds drawn, the most frequent first.
const MOST: usize = 12;

/// One version of a column, as a chart draws it.
pub struct Series<'a> {
    pub label: &'a str,
    pub summary: &'a Summary,
}

/// The chart of a column over one or two versions; none when there is
/// nothing to draw (no values, or too many distinct texts and no lengths).
pub fn chart(title: &str, series: &[Series]) -> Option<String> {
    let categories: Option<Vec<_>> = series
        .iter()
        .map(|s| s.summary.categories.as_ref())
        .collect();
    let values: Option<Vec<&Distribution>> = series.iter().map(|s| s.summary.numbers()).collect();
    if let Some(values) = values {
        return histograms(title, series, &values);
    }
    if let Some(categories) = categories.filter(|c| c.iter().any(|m| !m.is_empty())) {
        return shares(title, series, &categories);
    }
    let lengths: Option<Vec<&Distribution>> =
        series.iter().map(|s| s.summary.text_lengths()).collect();
    histograms(&format!("{title} (length)"), series, &lengths?)
}

fn histograms(title: &str, series: &[Series], dists: &[&Distribution]) -> Option<String> {
    let lo = dists
        .iter()
        .map(|d| d.moments.min)
        .fold(f64::INFINITY, f64::min);
    let hi = dists
        .iter()
        .map(|d| d.moments.max)
        .fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let bars: Vec<Vec<(f64, f64, f64)>> = dists
        .iter()
        .map(|d| {
            let h = d.histogram(lo, hi);
            let n = d.moments.n.max(1) as f64;
            h.edges
                .windows(2)
                .zip(&h.counts)
                .map(|(w, c)| (w[0], w[1], *c as f64 / n))
                .collect()
        })
        .collect();
    let top = bars
        .iter()
        .flatten()
        .map(|b| b.2)
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    draw(
        title,
        series,
        lo..hi,
        top,
        |i| {
            bars[i]
                .iter()
                .map(|&(x0, x1, y)| [(x0, 0.0), (x1, y)])
                .collect()
        },
        None,
    )
}

fn shares(
    title: &str,
    series: &[Series],
    categories: &[&std::collections::BTreeMap<String, u64>],
) -> Option<String> {
    // The values most frequent over all versions, by their largest share.
    let share = |m: &std::collections::BTreeMap<String, u64>, v: &str| {
        let n = m.values().map(|&n| n as f64).sum::<f64>().max(1.0);
        m.get(v).copied().unwrap_or(0) as f64 / n
    };
    let mut names: Vec<&String> = categories.iter().flat_map(|m| m.keys()).collect();
    names.sort();
    names.dedup();
    let weight = |v: &str| categories.iter().map(|m| share(m, v)).fold(0.0, f64::max);
    names.sort_by(|a, b| weight(b).total_cmp(&weight(a)).then_with(|| a.cmp(b)));
    names.truncate(MOST);
    let top = names
        .iter()
        .map(|v| weight(v))
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    // Labels share the axis: the more values, the shorter each.
    let room = (64 / names.len().max(1)).clamp(4, 16);
    let labels: Vec<String> = names.iter().map(|s| shorten(s, room)).collect();
    // Bars centred on whole numbers, each version's over the other's.
    draw(
        title,
        series,
        -0.5..names.len().max(1) as f64 - 0.5,
        top,
        |i| {
            names
                .iter()
                .enumerate()
                .map(|(x, v)| {
                    [
                        (x as f64 - 0.4, 0.0),
                        (x as f64 + 0.4, share(categories[i], v)),
                    ]
                })
                .collect()
        },
        Some(&labels),
    )
}

fn shorten(s: &str, room: usize) -> String {
    if s.chars().count() > room {
        format!("{}…", s.chars().take(room - 1).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A tick's number without trailing zeros: `2`, `0.25`, `1e6`.
fn tick(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        return format!("{v:.2e}");
    }
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Draws each series' rectangles (`rects(i)`) over `x`, shares up to `top`;
/// `labels` name the whole-number positions of a chart of values.
fn draw(
    title: &str,
    series: &[Series],
    x: std::ops::Range<f64>,
    top: f64,
    rects: impl Fn(usize) -> Vec<[(f64, f64); 2]>,
    labels: Option<&[String]>,
) -> Option<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(if labels.is_some() { 40 } else { 28 })
            .y_label_area_size(44)
            .build_cartesian_2d(x, 0.0..top)
            .ok()?;
        let mut mesh = chart.configure_mesh();
        mesh.y_desc("share").disable_x_mesh();
        let label = |v: &f64| match labels {
            Some(l) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    l.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
            None => tick(*v),
        };
        if let Some(l) = labels {
            mesh.x_labels(l.len());
        }
        mesh.x_label_formatter(&label).draw().ok()?;
        for (i, s) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            chart
                .draw_series(
                    rects(i)
                        .into_iter()
                        .map(|r| Rectangle::new(r, colour.mix(0.55).filled())),
                )
                .ok()?
                .label(s.label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .ok()?;
        }
        root.present().ok()?;
    }
    Some(svg)
}
