//! A column's profile, gathered in the counting pass by one observer per
//! column: each value is hashed once for the distinct estimate
//! (HyperLogLog); the moments of numbers are summed exactly; and a table's
//! first rows, then a random share of the rest, are counted by value
//! (while a column has few), measured (texts' lengths) and sorted into the
//! digest of the numbers (or lengths). A batch is gathered without the
//! lock, then merged under it.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;

use super::distinct::Registers;
use super::observe::observe;
use crate::stats::summary::{self, Distribution, MAX_CATEGORIES, Moments, Summary};

/// A table's first rows are all profiled exactly; past them, one row in
/// 16, and past a million one in 64 (drawn at random in each batch), is
/// counted and digested: sorting every value into a digest cost more than
/// the rest of a check, and a sample of tens of thousands puts quantiles
/// and shares within a fraction of a percent.
const EXACT_ROWS: u64 = 1 << 12;
const DENSE_ROWS: u64 = 1 << 20;
const SAMPLE_SHARE: [usize; 2] = [16, 64];
/// Sampled values gathered before they are sorted into the digest.
const PENDING: usize = 1 << 15;
/// Integers widened to floats for their moments at a time.
const FLOAT_RUN: usize = 1 << 10;

/// What is profiled of a column of a type.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    /// Their digest, and (integers) their values counted.
    Number { integer: bool },
    /// Their lengths, and their values counted.
    Text,
    /// Their values counted.
    Flag,
    /// Only their distinct estimate (dates and times).
    #[default]
    Other,
}

impl Kind {
    fn of(dtype: &DataType) -> Kind {
        match dtype {
            d if d.is_integer() => Kind::Number { integer: true },
            d if d.is_float() || d.is_decimal() => Kind::Number { integer: false },
            DataType::String | DataType::Categorical(..) | DataType::Enum(..) => Kind::Text,
            DataType::Boolean => Kind::Flag,
            _ => Kind::Other,
        }
    }
}

/// What the observer of a column gathered.
#[derive(Default)]
pub struct Observed {
    registers: Registers,
    /// Each value's count by its hash, with the value's text: exact over
    /// the first `EXACT_ROWS`, estimated from the sample past them.
    counts: HashMap<u64, (String, f64), Hashed>,
    many: bool,
    /// The moments and digest of the numbers, or of the texts' lengths,
    /// and sampled values (with the rows each stands for) not yet in it.
    moments: Moments,
    centroids: Vec<[f64; 2]>,
    pending: Vec<[f64; 2]>,
    /// Rows seen so far.
    seen: u64,
    kind: Kind,
}

pub type Shared = Arc<Mutex<Observed>>;

/// Maps keyed by a value's hash need not hash it again.
type Hashed = BuildHasherDefault<AsIs>;

#[derive(Default)]
struct AsIs(u64);

impl Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, h: u64) {
        self.0 = h;
    }
}

pub fn lock(o: &Shared) -> std::sync::MutexGuard<'_, Observed> {
    o.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Observed {
    pub fn distinct(&self) -> u64 {
        self.registers.estimate()
    }

    /// The column's summary.
    pub fn summary(&self) -> Summary {
        let mut out = Summary::default();
        let centroids = summary::merge_centroids(&self.centroids, &self.pending);
        let d = Distribution::new(self.moments.clone(), centroids);
        match self.kind {
            Kind::Number { .. } => out.values = Some(d),
            Kind::Text => out.lengths = Some(d),
            Kind::Flag | Kind::Other => {}
        }
        if self.kind != Kind::Other {
            if self.many {
                out.many = true;
            } else {
                let counts = self.counts.values();
                out.categories = Some(counts.map(|(v, n)| (v.clone(), n.round() as u64)).collect());
            }
        }
        out
    }

    fn merge(&mut self, b: Batch) {
        self.registers.merge(&b.registers);
        self.seen += b.rows;
        // Sampled values are sorted into the digest many batches at a time.
        self.pending.extend(b.sampled);
        if self.pending.len() >= PENDING {
            self.centroids = summary::merge_centroids(&self.centroids, &self.pending);
            self.pending.clear();
        }
        self.moments.merge(&b.sums.moments());
        if self.many || b.many {
            self.many = true;
            self.counts.clear();
            return;
        }
        for (h, n) in b.counts {
            let text = || b.names.get(&h).cloned().unwrap_or_default();
            self.counts.entry(h).or_insert_with(|| (text(), 0.0)).1 += n as f64 * b.weight;
        }
        if self.counts.len() > MAX_CATEGORIES {
            self.many = true;
            self.counts.clear();
        }
    }
}

/// Count, sums and range of numbers, shifted by the first so that sums of
/// squares of values far from zero (timestamps, years) keep their digits.
#[derive(Clone, Copy, Default)]
struct Sums {
    shift: f64,
    /// Rows each summed value stands for (1 unless sampled; 0 means 1).
    scale: f64,
    n: u64,
    sum: f64,
    squares: f64,
    lo: f64,
    hi: f64,
}

impl Sums {
    #[inline]
    fn add(&mut self, v: f64) {
        if !v.is_finite() {
            return;
        }
        if self.n == 0 {
            *self = Sums {
                shift: v,
                lo: v,
                hi: v,
                ..Sums::default()
            };
        }
        let d = v - self.shift;
        self.n += 1;
        self.sum += d;
        self.squares += d * d;
        self.lo = self.lo.min(v);
        self.hi = self.hi.max(v);
    }

    /// The sums of a batch's numbers: a loop the compiler vectorises where
    /// they are all there and finite.
    fn of(x: &Float64Chunked) -> Sums {
        let mut out = Sums::default();
        let clean = x.null_count() == 0;
        for a in x.downcast_iter() {
            let values = a.values().as_slice();
            if !clean || !values.iter().all(|v| v.is_finite()) {
                a.iter().flatten().for_each(|v| out.add(*v));
                continue;
            }
            out.extend(values);
        }
        out
    }

    /// Adds finite values.
    fn extend(&mut self, values: &[f64]) {
        match values.split_first() {
            Some((&first, rest)) if self.n == 0 => {
                self.add(first);
                self.add_all(rest);
            }
            Some(_) => self.add_all(values),
            None => {}
        }
    }

    /// The sums of sampled values each standing for `weight` rows: the
    /// moments of the sample, counted as the rows they stand for.
    fn of_sample(values: &[f64], weight: f64) -> Sums {
        let mut out = Sums::default();
        values.iter().for_each(|&v| out.add(v));
        out.scale = weight;
        out
    }

    fn add_all(&mut self, values: &[f64]) {
        // Eight running sums, so that the additions need not wait on each other.
        const LANES: usize = 8;
        let k = self.shift;
        let (mut sum, mut squares) = ([0.0; LANES], [0.0; LANES]);
        let (mut lo, mut hi) = ([self.lo; LANES], [self.hi; LANES]);
        let chunks = values.chunks_exact(LANES);
        let rest = chunks.remainder();
        // Plain comparisons (the values are finite): `f64::min` minds NaN
        // and keeps the compiler from vectorising.
        for chunk in chunks {
            for i in 0..LANES {
                let v = chunk[i];
                let d = v - k;
                sum[i] += d;
                squares[i] += d * d;
                lo[i] = if v < lo[i] { v } else { lo[i] };
                hi[i] = if v > hi[i] { v } else { hi[i] };
            }
        }
        for (i, &v) in rest.iter().enumerate() {
            let d = v - k;
            sum[i] += d;
            squares[i] += d * d;
            lo[i] = lo[i].min(v);
            hi[i] = hi[i].max(v);
        }
        self.n += values.len() as u64;
        self.sum += sum.iter().sum::<f64>();
        self.squares += squares.iter().sum::<f64>();
        self.lo = lo.iter().copied().fold(self.lo, f64::min);
        self.hi = hi.iter().copied().fold(self.hi, f64::max);
    }

    fn moments(&self) -> Moments {
        if self.n == 0 {
            return Moments::default();
        }
        let n = self.n as f64;
        let mean = self.sum / n;
        let scale = if self.scale > 0.0 { self.scale } else { 1.0 };
        Moments {
            n: (n * scale).round() as u64,
            mean: self.shift + mean,
            m2: (self.squares - self.sum * mean).max(0.0) * scale,
            min: self.lo,
            max: self.hi,
        }
    }
}

/// What one batch gave.
#[derive(Default)]
struct Batch {
    registers: Registers,
    counts: HashMap<u64, u64, Hashed>,
    names: HashMap<u64, String, Hashed>,
    many: bool,
    rows: u64,
    /// The rows each sampled row stands for.
    weight: f64,
    /// The moments of the numbers, or of the texts' lengths.
    sums: Sums,
    /// Sampled numbers (or lengths), each with the rows it stands for.
    sampled: Vec<[f64; 2]>,
}

impl Batch {
    /// Counts a sampled value by its hash (`text` made only for a value
    /// not yet seen).
    fn count(&mut self, h: u64, text: impl FnOnce() -> String) {
        if self.many {
            return;
        }
        let n = self.counts.entry(h).or_insert(0);
        if *n == 0 {
            self.names.insert(h, text());
        }
        *n += 1;
        if self.counts.len() > MAX_CATEGORIES {
            self.many = true;
        }
    }
}

/// An expression that profiles each batch of `v` (typed `dtype`) into the
/// returned state. Aggregate the expression so the pass evaluates it once.
pub fn observe_column(v: Expr, dtype: &DataType) -> (Expr, Shared) {
    let kind = Kind::of(dtype);
    let shared: Shared = Arc::default();
    lock(&shared).kind = kind;
    let state = shared.clone();
    // A fixed hash: the same data always gets the same estimate.
    let hasher = PlFixedStateQuality::default();
    let expr = observe(v, move |c: &Column| {
        let (counted, seen) = {
            let o = lock(&state);
            (!o.many, o.seen)
        };
        // Every row of a table's first rows; a share of the rest.
        let n = c.len();
        let picks = if seen + n as u64 <= EXACT_ROWS {
            n
        } else {
            (n / SAMPLE_SHARE[usize::from(seen > DENSE_ROWS)]).max(1)
        };
        let b = batch(c, kind, counted, picks, &hasher)?;
        lock(&state).merge(b);
        Ok(())
    });
    (expr, shared)
}

fn batch(
    c: &Column,
    kind: Kind,
    counted: bool,
    picks: usize,
    hasher: &PlFixedStateQuality,
) -> PolarsResult<Batch> {
    let s = c.as_materialized_series();
    // Categories by their text, not their codes.
    let s = match s.dtype() {
        DataType::Categorical(..) | DataType::Enum(..) => s.cast(&DataType::String)?,
        _ => s.to_physical_repr().into_owned(),
    };
    let mut b = Batch {
        rows: s.len() as u64,
        weight: s.len() as f64 / picks.max(1) as f64,
        ..Batch::default()
    };
    // Every value is hashed for the distinct estimate; values are counted,
    // and the digest built, from a sample.
    let picked = sample(&s, picks)?;
    match s.dtype() {
        DataType::String => {
            let texts = s.str()?;
            if texts.null_count() == 0 {
                for a in texts.downcast_iter() {
                    a.values_iter()
                        .for_each(|t| b.registers.add(hasher.hash_one(t)));
                }
            } else {
                for t in texts.iter().flatten() {
                    b.registers.add(hasher.hash_one(t));
                }
            }
            let picked = picked.str()?;
            if counted {
                for t in picked.iter().flatten() {
                    b.count(hasher.hash_one(t), || t.to_string());
                }
            }
            if kind == Kind::Text {
                // Counting the characters of every text of a corpus showed:
                // lengths come from the sample, their moments scaled to it.
                let lengths: Vec<f64> = picked
                    .iter()
                    .flatten()
                    .map(|t| t.chars().count() as f64)
                    .collect();
                b.sums = Sums::of_sample(&lengths, b.weight);
                b.sampled = weighted(lengths.into_iter(), b.weight);
            }
        }
        DataType::Boolean => {
            for v in s.bool()?.iter().flatten() {
                b.registers.add(hasher.hash_one(v));
            }
            if counted {
                for v in picked.bool()?.iter().flatten() {
                    b.count(hasher.hash_one(v), || v.to_string());
                }
            }
        }
        d if d.is_float() => {
            let x = s.cast(&DataType::Float64)?;
            each_value(x.f64()?, |v| b.registers.add(hasher.hash_one(v.to_bits())));
            b.sums = Sums::of(x.f64()?);
        }
        // Every integer type widened alike, so a value hashes the same
        // whatever width a file stores it in; widened one value at a time
        // (casting whole columns to 128 bits and to floats cost a fifth of
        // a Parquet check).
        d if d.is_integer() => {
            let number = matches!(kind, Kind::Number { .. });
            let mut sums = Sums::default();
            let mut floats: Vec<f64> = Vec::with_capacity(if number { FLOAT_RUN } else { 0 });
            let mut add = |v: i128| {
                b.registers.add(hasher.hash_one(v));
                if number {
                    floats.push(v as f64);
                    if floats.len() == FLOAT_RUN {
                        sums.extend(&floats);
                        floats.clear();
                    }
                }
            };
            match d {
                DataType::UInt64 => each_value(s.u64()?, |v| add(i128::from(v))),
                DataType::Int128 => each_value(s.i128()?, add),
                _ => each_value(s.cast(&DataType::Int64)?.i64()?, |v| add(i128::from(v))),
            }
            sums.extend(&floats);
            if number {
                b.sums = sums;
            }
            if counted && kind == (Kind::Number { integer: true }) {
                for v in picked.cast(&DataType::Int128)?.i128()?.iter().flatten() {
                    b.count(hasher.hash_one(v), || v.to_string());
                }
            }
        }
        _ => {}
    }
    if let Kind::Number { .. } = kind {
        let picked = picked.cast(&DataType::Float64)?;
        b.sampled = weighted(picked.f64()?.iter().flatten(), b.weight);
    }
    Ok(b)
}

/// Each non-null value of `ca`, from the values themselves where it has
/// no nulls (no per-value validity test).
fn each_value<T: PolarsNumericType>(ca: &ChunkedArray<T>, mut f: impl FnMut(T::Native)) {
    if ca.null_count() == 0 {
        for a in ca.downcast_iter() {
            a.values().iter().for_each(|&v| f(v));
        }
    } else {
        ca.iter().flatten().for_each(f);
    }
}

/// `picks` of a batch's rows, drawn at random by a fixed generator (the
/// same batch gives the same sample), or all of them; nulls among them
/// are dropped by the caller.
fn sample(s: &Series, picks: usize) -> PolarsResult<Series> {
    let n = s.len();
    if picks >= n {
        return Ok(s.clone());
    }
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ n as u64;
    let rows: Vec<IdxSize> = (0..picks)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as IdxSize
        })
        .collect();
    s.take_slice(&rows)
}

/// Finite sampled values, each standing for `weight` rows.
fn weighted(values: impl Iterator<Item = f64>, weight: f64) -> Vec<[f64; 2]> {
    values
        .filter(|v| v.is_finite())
        .map(|v| [v, weight])
        .collect()
}
