//! Drift between two profiles of a table: per column both sides' figures
//! and scores, and the changes of shape (columns added or removed, types,
//! rows). Numbers are compared by their distributions (a normalised
//! Wasserstein distance and PSI), values of few kinds by their frequencies
//! (L-infinity and Jensen-Shannon distances), texts of many values by the
//! distribution of their lengths.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::summary::{ColumnStats, Description, Digested, Distribution, Profile};

/// Points of the quantile functions a Wasserstein distance integrates.
const STEPS: usize = 200;
/// Bins of a PSI over numbers: the baseline's deciles.
const PSI_BINS: usize = 10;
/// The smallest share a PSI bin or a frequency is taken to have: an empty
/// bin on one side would make the score infinite.
const FLOOR: f64 = 1e-4;

/// How a column is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The distributions of numbers.
    Numeric,
    /// The frequencies of the values.
    Categorical,
    /// The distributions of the texts' lengths.
    Length,
}

/// The drift scores of a column; those its basis does not give are absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scores {
    /// Wasserstein distance over the baseline's standard deviation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasserstein: Option<f64>,
    /// Population stability index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psi: Option<f64>,
    /// The largest difference in any value's share (TFDV's L-infinity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linf: Option<f64>,
    /// Jensen-Shannon distance (natural logarithm, as SciPy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jensen_shannon: Option<f64>,
}

impl Scores {
    /// The score named as in a schema's drift rules.
    pub fn get(&self, name: &str) -> Option<f64> {
        match name {
            "wasserstein" => self.wasserstein,
            "psi" => self.psi,
            "linf" => self.linf,
            "jensenShannon" => self.jensen_shannon,
            _ => None,
        }
    }
}

/// One side of a column.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Side {
    pub dtype: String,
    pub nulls: u64,
    #[serde(flatten)]
    pub stats: Description,
}

/// The score a column's basis is judged by unless a schema says
/// otherwise, and its threshold (Evidently's defaults for large tables).
pub fn default_rule(basis: Basis) -> (&'static str, f64) {
    match basis {
        Basis::Numeric | Basis::Length => ("wasserstein", 0.1),
        Basis::Categorical => ("jensenShannon", 0.1),
    }
}

/// A column on both sides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnDrift {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    pub scores: Scores,
    /// Whether the default score of its basis reaches its threshold.
    pub drifted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a: Option<Side>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b: Option<Side>,
}

/// Two profiles compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileDiff {
    pub rows: [u64; 2],
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Columns whose type differs: name, type in `a`, type in `b`.
    pub retyped: Vec<[String; 3]>,
    pub columns: Vec<ColumnDrift>,
}

/// Compares `b` with the baseline `a`.
pub fn compare(a: &Profile, b: &Profile) -> ProfileDiff {
    let mut names: Vec<&str> = a.columns.iter().map(|c| c.name.as_str()).collect();
    names.extend(
        b.columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|n| a.column(n).is_none()),
    );
    let columns: Vec<ColumnDrift> = names
        .iter()
        .map(|&name| column(name, a.column(name), b.column(name)))
        .collect();
    let only = |x: &Profile, y: &Profile| {
        x.columns
            .iter()
            .filter(|c| y.column(&c.name).is_none())
            .map(|c| c.name.clone())
            .collect()
    };
    ProfileDiff {
        rows: [a.rows, b.rows],
        added: only(b, a),
        removed: only(a, b),
        retyped: a
            .columns
            .iter()
            .filter_map(|c| {
                let other = b.column(&c.name)?;
                (other.dtype != c.dtype)
                    .then(|| [c.name.clone(), c.dtype.clone(), other.dtype.clone()])
            })
            .collect(),
        columns,
    }
}

fn side(c: &ColumnStats) -> Side {
    Side {
        dtype: c.dtype.clone(),
        nulls: c.nulls,
        stats: c.summary.describe(),
    }
}

fn column(name: &str, a: Option<&ColumnStats>, b: Option<&ColumnStats>) -> ColumnDrift {
    let mut drift = ColumnDrift {
        name: name.to_string(),
        basis: None,
        scores: Scores::default(),
        drifted: false,
        a: a.map(side),
        b: b.map(side),
    };
    let (Some(a), Some(b)) = (a, b) else {
        return drift;
    };
    let (sa, sb) = (&a.summary, &b.summary);
    if let (Some(x), Some(y)) = (&sa.categories, &sb.categories) {
        drift.basis = Some(Basis::Categorical);
        let (p, q) = shares(x, y);
        drift.scores.linf = Some(
            p.iter()
                .zip(&q)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f64::max),
        );
        drift.scores.jensen_shannon = Some(jensen_shannon(&p, &q));
        drift.scores.psi = Some(psi(&p, &q));
    }
    if let (Some(x), Some(y)) = (sa.numbers(), sb.numbers()) {
        drift.basis = Some(Basis::Numeric);
        drift.scores.wasserstein = Some(wasserstein(x, y));
        // Counted values give an exact PSI; a digest's deciles otherwise.
        if drift.scores.psi.is_none() {
            drift.scores.psi = Some(numeric_psi(x, y));
        }
    } else if drift.basis.is_none()
        && let (Some(x), Some(y)) = (sa.text_lengths(), sb.text_lengths())
    {
        drift.basis = Some(Basis::Length);
        drift.scores.wasserstein = Some(wasserstein(x, y));
        drift.scores.psi = Some(numeric_psi(x, y));
    }
    if let Some(basis) = drift.basis {
        let (score, threshold) = default_rule(basis);
        drift.drifted = drift.scores.get(score).is_some_and(|s| s >= threshold);
    }
    drift
}

/// Each value's share on both sides, over the values of either.
fn shares(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) -> (Vec<f64>, Vec<f64>) {
    // Summed as floats: counts from a damaged profile may overflow.
    let total = |m: &BTreeMap<String, u64>| m.values().map(|&n| n as f64).sum::<f64>();
    let (na, nb) = (total(a), total(b));
    let share = |m: &BTreeMap<String, u64>, n: f64, k: &String| {
        if n == 0.0 {
            0.0
        } else {
            m.get(k).copied().unwrap_or(0) as f64 / n
        }
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.iter()
        .map(|k| (share(a, na, k), share(b, nb, k)))
        .unzip()
}

fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let kl = |x: &[f64], m: &[f64]| -> f64 {
        x.iter()
            .zip(m)
            .filter(|(x, _)| **x > 0.0)
            .map(|(x, m)| x * (x / m).ln())
            .sum()
    };
    let m: Vec<f64> = p.iter().zip(q).map(|(p, q)| (p + q) / 2.0).collect();
    ((kl(p, &m) + kl(q, &m)) / 2.0).max(0.0).sqrt()
}

fn psi(p: &[f64], q: &[f64]) -> f64 {
    p.iter()
        .zip(q)
        .map(|(p, q)| {
            let (p, q) = (p.max(FLOOR), q.max(FLOOR));
            (q - p) * (q / p).ln()
        })
        .sum()
}

/// PSI over bins at the baseline's deciles.
fn numeric_psi(a: &Distribution, b: &Distribution) -> f64 {
    let (a, b) = (a.digested(), b.digested());
    let mut edges: Vec<f64> = (1..PSI_BINS)
        .filter_map(|i| a.quantile(i as f64 / PSI_BINS as f64))
        .collect();
    edges.dedup();
    let bins = |d: &Digested| {
        let mut below = 0.0;
        let mut out: Vec<f64> = edges
            .iter()
            .map(|&e| {
                let upto = d.cdf(e);
                let share = upto - below;
                below = upto;
                share.max(0.0)
            })
            .collect();
        out.push((1.0 - below).max(0.0));
        out
    };
    psi(&bins(&a), &bins(&b))
}

/// The Wasserstein-1 distance, the area between the quantile functions,
/// over the baseline's (population) standard deviation, or over 1 where
/// the baseline has a single value.
fn wasserstein(a: &Distribution, b: &Distribution) -> f64 {
    let (da, db) = (a.digested(), b.digested());
    let w: f64 = (0..STEPS)
        .map(|i| {
            let q = (i as f64 + 0.5) / STEPS as f64;
            match (da.quantile(q), db.quantile(q)) {
                (Some(x), Some(y)) => (x - y).abs(),
                _ => 0.0,
            }
        })
        .sum::<f64>()
        / STEPS as f64;
    let std = a.moments.population_std();
    if std > 0.0 { w / std } else { w }
}
