//! Mergeable summaries of a column's values: moments, a t-digest of the
//! values (numbers) or of their lengths (texts), and counts of each value
//! while a column has few of them. A summary of a table is the merge
//! of its parts' (batches of a pass, shards of a dataset), so a dataset's
//! profile needs no second read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tdigests::{Centroid, TDigest};

/// Centroids a digest keeps: quantiles within about half a percent of rank.
const CENTROIDS: usize = 200;
/// Centroids of merged digests gathered before they are compressed.
const GATHERED: usize = 16 * CENTROIDS;
/// Distinct values counted exactly; a column with more has no categories.
pub const MAX_CATEGORIES: usize = 1000;
/// Bars of a histogram.
pub const BINS: usize = 20;
/// Most frequent values shown.
const TOP: usize = 10;

/// Count, mean, spread and range of finite values, merged by Chan's
/// formula so the order of the parts does not matter beyond rounding.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    /// Sum of squared differences from the mean.
    pub m2: f64,
    pub min: f64,
    pub max: f64,
}

impl Moments {
    pub fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = o.clone();
            return;
        }
        let (na, nb) = (self.n as f64, o.n as f64);
        let n = na + nb;
        let delta = o.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += o.m2 + delta * delta * na * nb / n;
        self.n = self.n.saturating_add(o.n);
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// The sample standard deviation (n − 1).
    pub fn std(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).sqrt())
    }

    /// The population standard deviation (n), which drift scores divide by.
    pub fn population_std(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            (self.m2 / self.n as f64).sqrt()
        }
    }
}

/// The distribution of a column's finite numbers: moments and a t-digest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub moments: Moments,
    /// The digest's centroids, `[mean, weight]`, sorted by mean.
    pub centroids: Vec<[f64; 2]>,
}

impl Distribution {
    /// A distribution of the moments given and the digest of `centroids`.
    pub fn new(moments: Moments, centroids: Vec<[f64; 2]>) -> Distribution {
        Distribution { moments, centroids }
    }

    /// Adds `o`'s values. Their centroids are gathered, and compressed
    /// with these into one digest's only past a bound: a dataset's shards
    /// were each sorted and compressed into the merged digest in turn, a
    /// twentieth of a re-check. `settle` compresses what is left.
    pub fn merge(&mut self, o: &Distribution) {
        self.moments.merge(&o.moments);
        gather(&mut self.centroids, &o.centroids, GATHERED);
    }

    /// Gathered centroids compressed into a digest's.
    pub fn settle(&mut self) {
        if self.centroids.len() > CENTROIDS {
            self.centroids = compressed(&self.centroids);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.moments.n == 0
    }

    /// The digest built once, for the questions asked of it.
    pub fn digested(&self) -> Digested {
        Digested {
            digest: digest_of(&self.centroids),
            lo: self.moments.min,
            hi: self.moments.max,
        }
    }

    /// Counts of values in `BINS` equal bars over `[lo, hi]`, summing to
    /// the values' count.
    pub fn histogram(&self, lo: f64, hi: f64) -> Histogram {
        let n = self.moments.n;
        let edges = edges(lo, hi);
        let digested = self.digested();
        // Values at or below each inner edge, rounded once, so bars add up.
        let mut upto: Vec<u64> = edges[1..BINS]
            .iter()
            .map(|&e| ((digested.cdf(e) * n as f64).round() as u64).min(n))
            .collect();
        upto.push(n);
        let mut below = 0;
        let counts = upto
            .into_iter()
            .map(|u| {
                let u = u.max(below);
                let count = u - below;
                below = u;
                count
            })
            .collect();
        Histogram { edges, counts }
    }
}

/// A distribution's digest with its exact range: quantiles and ranks.
pub struct Digested {
    digest: Option<TDigest>,
    lo: f64,
    hi: f64,
}

impl Digested {
    /// The value below which a fraction `q` of the values lie.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let v = self.digest.as_ref()?.estimate_quantile(q);
        // The digest interpolates; the range is known exactly (unless a
        // damaged profile says otherwise: no clamp to a range that is none).
        Some(if self.lo <= self.hi {
            v.clamp(self.lo, self.hi)
        } else {
            v
        })
    }

    /// The fraction of values at or below `x`.
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return 0.0;
        }
        if x >= self.hi {
            return 1.0;
        }
        if x < self.lo {
            return 0.0;
        }
        self.digest
            .as_ref()
            .map_or(0.0, |d| d.estimate_rank(x).clamp(0.0, 1.0))
    }
}

/// A digest of the centroids that are usable: a hostile or damaged profile
/// (not finite, no weight) leaves them out rather than panic.
fn digest_of(centroids: &[[f64; 2]]) -> Option<TDigest> {
    let usable: Vec<Centroid> = centroids
        .iter()
        .filter(|[m, w]| m.is_finite() && w.is_finite() && *w > 0.0)
        .map(|[m, w]| Centroid::new(*m, *w))
        .collect();
    (!usable.is_empty()).then(|| TDigest::from_centroids(usable))
}

/// Weighted points (values with the rows each stands for, or other
/// digests' centroids) added to a digest's centroids, all compressed into
/// one digest's once more than `bound` are held: adding many small sets
/// (a column's batches, a dataset's shards) sorts and compresses rarely.
pub fn gather(centroids: &mut Vec<[f64; 2]>, points: &[[f64; 2]], bound: usize) {
    centroids.extend_from_slice(points);
    if centroids.len() > bound {
        *centroids = compressed(centroids);
    }
}

/// Weighted points as one digest's centroids.
pub fn compressed(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    // Sorted here: the digest's own stable sort then finds one run.
    let mut points = points.to_vec();
    points.sort_by(|x, y| x[0].total_cmp(&y[0]));
    let Some(mut digest) = digest_of(&points) else {
        return Vec::new();
    };
    digest.compress(CENTROIDS);
    centroids_of(&digest)
}

fn centroids_of(digest: &TDigest) -> Vec<[f64; 2]> {
    digest
        .centroids()
        .iter()
        .map(|c| [c.mean, c.weight])
        .collect()
}

fn edges(lo: f64, hi: f64) -> Vec<f64> {
    let width = if hi > lo {
        (hi - lo) / BINS as f64
    } else {
        0.0
    };
    (0..=BINS).map(|i| lo + width * i as f64).collect()
}

/// Bars of equal width: `edges` has one more element than `counts`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

/// What a pass learns about one column's values beyond nulls and range.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Numbers: their distribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Distribution>,
    /// Texts: the distribution of their lengths in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lengths: Option<Distribution>,
    /// Each value's count, while the column has at most `MAX_CATEGORIES`
    /// distinct values (texts, integers, booleans); `many` once it has more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<BTreeMap<String, u64>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub many: bool,
}

impl Summary {
    /// The distribution of its numbers, where it has any.
    pub fn numbers(&self) -> Option<&Distribution> {
        self.values.as_ref().filter(|d| !d.is_empty())
    }

    /// The distribution of its texts' lengths, where it has any.
    pub fn text_lengths(&self) -> Option<&Distribution> {
        self.lengths.as_ref().filter(|d| !d.is_empty())
    }

    pub fn merge(&mut self, o: &Summary) {
        merge_distribution(&mut self.values, &o.values);
        merge_distribution(&mut self.lengths, &o.lengths);
        self.merge_categories(o.categories.as_ref(), o.many);
    }

    fn settle(&mut self) {
        self.values
            .iter_mut()
            .chain(&mut self.lengths)
            .for_each(Distribution::settle);
    }

    /// Adds counts of values; past `MAX_CATEGORIES` distinct values the
    /// counts are dropped and the column has `many`.
    fn merge_categories(&mut self, counts: Option<&BTreeMap<String, u64>>, many: bool) {
        if self.many || many {
            self.categories = None;
            self.many = true;
            return;
        }
        let Some(counts) = counts else { return };
        let mine = self.categories.get_or_insert_with(BTreeMap::new);
        for (value, n) in counts {
            let count = mine.entry(value.clone()).or_default();
            *count = count.saturating_add(*n);
        }
        if mine.len() > MAX_CATEGORIES {
            self.categories = None;
            self.many = true;
        }
    }

    /// What a report shows of the summary.
    pub fn describe(&self) -> Description {
        let values = self.numbers();
        let lengths = self.text_lengths();
        let top = self.categories.as_ref().map(|c| {
            let mut top: Vec<_> = c.iter().map(|(v, n)| (v.clone(), *n)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(TOP);
            top.into_iter()
                .map(|(value, count)| Frequent { value, count })
                .collect()
        });
        Description {
            mean: values.map(|d| d.moments.mean),
            std: values.and_then(|d| d.moments.std()),
            quantiles: values.map(quantiles),
            histogram: values.map(|d| d.histogram(d.moments.min, d.moments.max)),
            top,
            length: lengths.map(|d| Lengths {
                min: d.moments.min,
                max: d.moments.max,
                mean: d.moments.mean,
                quantiles: quantiles(d),
            }),
        }
    }
}

fn merge_distribution(mine: &mut Option<Distribution>, other: &Option<Distribution>) {
    if let Some(o) = other {
        mine.get_or_insert_with(Distribution::default).merge(o);
    }
}

fn quantiles(d: &Distribution) -> Quantiles {
    let digested = d.digested();
    let q = |q| digested.quantile(q).unwrap_or(f64::NAN);
    Quantiles {
        p1: q(0.01),
        p5: q(0.05),
        p25: q(0.25),
        p50: q(0.5),
        p75: q(0.75),
        p95: q(0.95),
        p99: q(0.99),
    }
}

/// Quantiles, from the digest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    pub p1: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub p99: f64,
}

/// A value and how many rows hold it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frequent {
    pub value: String,
    pub count: u64,
}

/// Lengths of a text column's values, in characters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lengths {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub quantiles: Quantiles,
}

/// The statistics a report shows for a column.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Description {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub std: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantiles: Option<Quantiles>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Histogram>,
    /// The most frequent values, for columns with few distinct values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<Vec<Frequent>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<Lengths>,
}

/// A column of a data version: what its pass counted and its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColumnStats {
    pub name: String,
    pub dtype: String,
    pub nulls: u64,
    #[serde(default)]
    pub summary: Summary,
}

/// The profile of one data version under one schema: kept by its data id
/// beside the check results, merged over a dataset's shards.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub rows: u64,
    pub columns: Vec<ColumnStats>,
}

impl Profile {
    /// Adds a part of the same table (another shard): columns match by name.
    pub fn merge(&mut self, o: &Profile) {
        // Saturating: a damaged profile may hold any count.
        self.rows = self.rows.saturating_add(o.rows);
        for c in &o.columns {
            match self.columns.iter_mut().find(|m| m.name == c.name) {
                Some(m) => {
                    m.nulls = m.nulls.saturating_add(c.nulls);
                    m.summary.merge(&c.summary);
                }
                None => self.columns.push(c.clone()),
            }
        }
    }

    /// Each column's gathered centroids compressed (see `Distribution::merge`).
    pub fn settle(&mut self) {
        self.columns.iter_mut().for_each(|c| c.summary.settle());
    }

    pub fn column(&self, name: &str) -> Option<&ColumnStats> {
        self.columns.iter().find(|c| c.name == name)
    }
}
