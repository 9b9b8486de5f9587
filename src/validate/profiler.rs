//! A column's profile, gathered in the counting pass by one observer per
//! column: each value is hashed once for the distinct estimate
//! (HyperLogLog); the moments of numbers are summed exactly; and a table's
//! first rows, then a random share of the rest, are counted by value
//! (while a column has few), measured (texts' lengths) and sorted into the
//! digest of the numbers (or lengths). A batch is gathered without the
//! lock, then merged under it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;
use polars_arrow::array::{Array, Utf8ViewArray, View};

use super::distinct::{Registers, hash_text, hash_value, valid_spans};
use super::observe::observe;
use super::written;
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
    /// with the sampled values (and the rows each stands for) gathered
    /// into it since it was last compressed.
    moments: Moments,
    centroids: Vec<[f64; 2]>,
    /// Rows seen so far.
    seen: u64,
    /// Batches begun so far: each draws its sample from a stream of its own.
    batches: u64,
    kind: Kind,
    /// The least and the greatest value so far, typed as the column.
    ends: Option<Series>,
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

    /// The least and the greatest value, as text.
    pub fn range(&self) -> [Option<String>; 2] {
        let texts = self.ends.as_ref().and_then(|e| written::text_of(e).ok());
        let text = |i: usize| texts.as_ref()?.str().ok()?.get(i).map(str::to_string);
        [text(0), text(1)]
    }

    /// The column's summary.
    pub fn summary(&self) -> Summary {
        let mut out = Summary::default();
        let d = Distribution::new(self.moments.clone(), summary::compressed(&self.centroids));
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

    fn merge(&mut self, b: Batch) -> PolarsResult<()> {
        self.registers.merge(&b.registers);
        self.ends = match (self.ends.take(), b.ends) {
            (Some(mut a), Some(b)) => {
                a.append(&b)?;
                ends(&a)?
            }
            (a, b) => a.or(b),
        };
        self.seen += b.rows;
        // Sampled values are sorted into the digest many batches at a time.
        summary::gather(&mut self.centroids, &b.sampled, PENDING);
        self.moments.merge(&b.sums.moments());
        if self.many || b.many {
            self.many = true;
            self.counts.clear();
            return Ok(());
        }
        for (h, n) in b.counts {
            let text = || b.names.get(&h).cloned().unwrap_or_default();
            self.counts.entry(h).or_insert_with(|| (text(), 0.0)).1 += n as f64 * b.weight;
        }
        if self.counts.len() > MAX_CATEGORIES {
            self.many = true;
            self.counts.clear();
        }
        Ok(())
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

    /// The sums of a batch's numbers: a loop the compiler vectorises over
    /// each long run of values that are there and finite.
    fn of(x: &Float64Chunked) -> Sums {
        let mut out = Sums::default();
        for run in valid_runs(x) {
            // A short run costs more to set the lanes up than to add.
            if run.len() >= 16 && run.iter().all(|v| v.is_finite()) {
                out.extend(run);
            } else {
                run.iter().for_each(|&v| out.add(v));
            }
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
    /// The batch's least and greatest value, typed as the column.
    ends: Option<Series>,
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
    let expr = observe(v, move |c: &Column| {
        let (counted, seen, registers, stream) = {
            let mut o = lock(&state);
            o.batches += 1;
            (!o.many, o.seen, Registers::above(&o.registers), o.batches)
        };
        // Every row of a table's first rows; a share of the rest.
        let n = c.len();
        let picks = if seen + n as u64 <= EXACT_ROWS {
            n
        } else {
            (n / SAMPLE_SHARE[usize::from(seen > DENSE_ROWS)]).max(1)
        };
        let b = batch(c, kind, counted, (picks, stream), registers)?;
        lock(&state).merge(b)
    });
    (expr, shared)
}

fn batch(
    c: &Column,
    kind: Kind,
    counted: bool,
    (picks, stream): (usize, u64),
    registers: Registers,
) -> PolarsResult<Batch> {
    let typed = c.as_materialized_series();
    // Categories by their text, not their codes; decimals by their values,
    // not their unscaled integers.
    let (typed, s) = match typed.dtype() {
        DataType::Categorical(..) | DataType::Enum(..) => {
            let text = typed.cast(&DataType::String)?;
            (text.clone(), text)
        }
        d if d.is_decimal() => (typed.clone(), typed.cast(&DataType::Float64)?),
        _ => (typed.clone(), typed.to_physical_repr().into_owned()),
    };
    let mut b = Batch {
        rows: s.len() as u64,
        weight: s.len() as f64 / picks.max(1) as f64,
        registers,
        ..Batch::default()
    };
    // Every value is hashed for the distinct estimate and ranged; values
    // are counted, and the digest built, from a sample.
    let picked = sample(&s, picks, stream)?;
    // The physical least and greatest, where found in the pass below.
    let mut range: Option<Series> = None;
    match s.dtype() {
        DataType::String => {
            let texts = s.str()?;
            let mut least: Option<&str> = None;
            let mut greatest: Option<&str> = None;
            for a in texts.downcast_iter() {
                b.registers.add_texts(a, counted);
                if let Some([lo, hi]) = text_ends(a) {
                    least = Some(least.map_or(lo, |l| l.min(lo)));
                    greatest = Some(greatest.map_or(hi, |g| g.max(hi)));
                }
            }
            if let (Some(lo), Some(hi)) = (least, greatest) {
                range = Some(Series::new(s.name().clone(), [lo, hi]));
            }
            let picked = picked.str()?;
            if counted {
                for t in picked.iter().flatten() {
                    b.count(hash_text(t), || t.to_string());
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
            let flags = s.bool()?;
            let trues = flags.any();
            let falses = flags.len() - flags.null_count() > flags.sum().unwrap_or(0) as usize;
            for v in [false, true] {
                if [falses, trues][usize::from(v)] {
                    b.registers.add(hash_value(u128::from(v)));
                }
            }
            if falses || trues {
                range = Some(Series::new(s.name().clone(), [!falses, trues]));
            }
            if counted {
                for v in picked.bool()?.iter().flatten() {
                    b.count(hash_value(u128::from(v)), || v.to_string());
                }
            }
        }
        d if d.is_float() => {
            let x = s.cast(&DataType::Float64)?;
            each_value(x.f64()?, |v| {
                b.registers.add(hash_value(u128::from(v.to_bits())))
            });
            b.sums = Sums::of(x.f64()?);
            // The sums' range is of finite values: the least and greatest
            // of a batch with any other are left to polars.
            if b.sums.n > 0 && b.sums.n as usize == x.len() - x.null_count() {
                // Back to the column's width: the ends came from it, so exactly.
                let ends = Series::new(s.name().clone(), [b.sums.lo, b.sums.hi]);
                range = Some(ends.strict_cast(d)?);
            }
        }
        d if d.is_integer() => {
            let mut ints = Integers::new(matches!(kind, Kind::Number { .. }));
            let regs = &mut b.registers;
            match d {
                DataType::UInt64 => each_value(s.u64()?, |v| ints.add(regs, i128::from(v))),
                DataType::Int128 => each_value(s.i128()?, |v| ints.add(regs, v)),
                // Dates: no wider copy of the column.
                DataType::Int32 => valid_runs(s.i32()?).for_each(|run| ints.extend(regs, run)),
                _ => valid_runs(s.cast(&DataType::Int64)?.i64()?)
                    .for_each(|run| ints.extend(regs, run)),
            }
            if let Some((lo, hi)) = ints.range() {
                range = Some(Series::new(s.name().clone(), [lo, hi]).strict_cast(d)?);
            }
            b.sums = ints.sums();
            if counted && kind == (Kind::Number { integer: true }) {
                for v in picked.cast(&DataType::Int128)?.i128()?.iter().flatten() {
                    b.count(hash_value(v as u128), || v.to_string());
                }
            }
        }
        _ => {}
    }
    if let Kind::Number { .. } = kind {
        let picked = picked.cast(&DataType::Float64)?;
        b.sampled = weighted(picked.f64()?.iter().flatten(), b.weight);
    }
    b.ends = match range {
        // Back from physical values to the column's type.
        Some(r) if !typed.dtype().is_decimal() => {
            // SAFETY: `r` holds values of `typed`'s physical type, taken from it.
            Some(unsafe { r.from_physical_unchecked(typed.dtype())? })
        }
        _ => ends(&typed)?,
    };
    Ok(b)
}

/// The least and greatest of `s`'s values, found by polars, as a series
/// of two; none where it has no values.
fn ends(s: &Series) -> PolarsResult<Option<Series>> {
    let (lo, hi) = (s.min_reduce()?, s.max_reduce()?);
    if lo.is_null() {
        return Ok(None);
    }
    let mut out = lo.into_series(s.name().clone());
    out.append(&hi.into_series(s.name().clone()))?;
    Ok(Some(out))
}

/// The least and greatest text of `a`, in byte order, compared by the
/// bytes each view holds inline before any text is read: polars' own
/// kernel compares every text in full, and was a tenth of a check.
fn text_ends(a: &Utf8ViewArray) -> Option<[&str; 2]> {
    if a.null_count() == 0 {
        text_ends_of(a, 0..a.len())
    } else {
        text_ends_of(a, (0..a.len()).filter(|&i| a.is_valid(i)))
    }
}

fn text_ends_of(a: &Utf8ViewArray, mut rows: impl Iterator<Item = usize>) -> Option<[&str; 2]> {
    let views = a.views();
    let first = rows.next()?;
    let (mut lo, mut hi) = (first, first);
    let (mut lo_key, mut hi_key) = (inline_key(views[first]), inline_key(views[first]));
    for i in rows {
        let key = inline_key(views[i]);
        if let (Some(k), Some(l), Some(h)) = (key, lo_key, hi_key) {
            if k < l {
                (lo, lo_key) = (i, key);
            } else if k > h {
                (hi, hi_key) = (i, key);
            }
        } else if text_less(a, i, lo) {
            (lo, lo_key) = (i, key);
        } else if text_less(a, hi, i) {
            (hi, hi_key) = (i, key);
        }
    }
    // SAFETY: `lo` and `hi` are indices of `a`.
    Some(unsafe { [a.value_unchecked(lo), a.value_unchecked(hi)] })
}

/// A text of up to 12 bytes is all in its view, after its length: those
/// bytes (zero-padded), then the length, order such texts as their bytes do.
#[inline(always)]
fn inline_key(v: View) -> Option<u128> {
    (v.length <= View::MAX_INLINE_SIZE)
        .then(|| (v.as_u128() >> 32).swap_bytes() | u128::from(v.length))
}

/// Whether the text at `i` sorts before the one at `j`: by their first
/// four bytes where those differ.
fn text_less(a: &Utf8ViewArray, i: usize, j: usize) -> bool {
    let (x, y) = (a.views()[i], a.views()[j]);
    if let (Some(x), Some(y)) = (inline_key(x), inline_key(y)) {
        return x < y;
    }
    let (p, q) = (x.prefix.swap_bytes(), y.prefix.swap_bytes());
    if p != q {
        return p < q;
    }
    // SAFETY: `i` and `j` are indices of `a`.
    unsafe { a.value_unchecked(i) < a.value_unchecked(j) }
}

/// The runs of non-null values of `ca`, as slices of its values.
fn valid_runs<T: PolarsNumericType>(ca: &ChunkedArray<T>) -> impl Iterator<Item = &[T::Native]> {
    ca.downcast_iter().flat_map(|a| {
        let values = a.values().as_slice();
        valid_spans(a.validity(), values.len()).map(move |(at, n)| &values[at..at + n])
    })
}

/// Each non-null value of `ca`.
fn each_value<T: PolarsNumericType>(ca: &ChunkedArray<T>, mut f: impl FnMut(T::Native)) {
    valid_runs(ca).for_each(|run| run.iter().for_each(|&v| f(v)));
}

/// An integer batch's range, hashes and (numbers) sums. Every integer type
/// is widened alike, so a value hashes the same whatever width a file
/// stores it in; a run of 64-bit values is hashed, ranged and summed in
/// loops of their own, which the compiler vectorises (casting whole
/// columns to 128 bits and to floats cost a fifth of a Parquet check).
struct Integers {
    number: bool,
    lo: i128,
    hi: i128,
    sums: Sums,
    floats: Vec<f64>,
}

impl Integers {
    fn new(number: bool) -> Integers {
        Integers {
            number,
            lo: i128::MAX,
            hi: i128::MIN,
            sums: Sums::default(),
            floats: Vec::with_capacity(if number { FLOAT_RUN } else { 0 }),
        }
    }

    fn add(&mut self, registers: &mut Registers, v: i128) {
        registers.add(hash_value(v as u128));
        self.lo = self.lo.min(v);
        self.hi = self.hi.max(v);
        if self.number {
            self.floats.push(v as f64);
            if self.floats.len() == FLOAT_RUN {
                self.sums.extend(&self.floats);
                self.floats.clear();
            }
        }
    }

    fn extend<T: Copy + Ord + Into<i64>>(&mut self, registers: &mut Registers, values: &[T]) {
        let Some((lo, hi)) = min_max(values) else {
            return;
        };
        let (lo, hi): (i64, i64) = (lo.into(), hi.into());
        self.lo = self.lo.min(i128::from(lo));
        self.hi = self.hi.max(i128::from(hi));
        // Values within a span under a quarter of their count (ages, years,
        // dates, codes) repeat: each distinct one is hashed once, found in
        // a bitmap of the span, and the registers come out the same.
        let span = i128::from(hi) - i128::from(lo);
        if span < (values.len() / 4) as i128 {
            for (w, &word) in present(values, lo, span as usize).iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let v = lo + (w * 64) as i64 + i64::from(bits.trailing_zeros());
                    registers.add(hash_value(i128::from(v) as u128));
                    bits &= bits - 1;
                }
            }
        } else {
            values
                .iter()
                .for_each(|&v| registers.add(hash_value(i128::from(v.into()) as u128)));
        }
        if self.number {
            // Within ±2^51 (ids, counts, years, microseconds since 1970), a
            // value is a float by adding bits: vectorised, where x86-64 has
            // no vector conversion of 64-bit integers.
            let small = -(1i64 << 51) <= lo && hi < 1 << 51;
            for run in values.chunks(FLOAT_RUN) {
                self.floats.clear();
                if small {
                    self.floats
                        .extend(run.iter().map(|&v| small_float(v.into())));
                } else {
                    self.floats.extend(run.iter().map(|&v| v.into() as f64));
                }
                self.sums.extend(&self.floats);
            }
            self.floats.clear();
        }
    }

    fn range(&self) -> Option<(i128, i128)> {
        (self.lo <= self.hi).then_some((self.lo, self.hi))
    }

    /// The numbers' sums (none for dates and times).
    fn sums(mut self) -> Sums {
        if !self.number {
            return Sums::default();
        }
        self.sums.extend(&self.floats);
        self.sums
    }
}

/// `v` (within ±2^51) as a float, exactly: 1.5 × 2^52 has a unit in its
/// last place of 1, so `v` added to its bits is that float plus `v`.
#[inline(always)]
fn small_float(v: i64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    f64::from_bits(MAGIC.to_bits().wrapping_add_signed(v)) - MAGIC
}

/// The least and greatest of `values`, in one pass.
fn min_max<T: Copy + Ord>(values: &[T]) -> Option<(T, T)> {
    let first = *values.first()?;
    Some(
        values
            .iter()
            .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))),
    )
}

/// The bitmap of `values` over `lo..=lo + span`. Consecutive values fill
/// bitmaps of their own, merged at the end: in one bitmap, a run of values
/// in one word would wait on each other's stores (a quarter of a Parquet
/// check's profile), and a span under 64 bits is held in registers.
fn present<T: Copy + Into<i64>>(values: &[T], lo: i64, span: usize) -> Vec<u64> {
    const LANES: usize = 4;
    let words = span / 64 + 1;
    let at = |v: T| (v.into() - lo) as usize;
    let lanes = values.chunks_exact(LANES);
    let rest = lanes.remainder();
    if words == 1 {
        let mut w = [0u64; LANES];
        for four in lanes {
            for (w, &v) in w.iter_mut().zip(four) {
                *w |= 1 << at(v);
            }
        }
        rest.iter().for_each(|&v| w[0] |= 1 << at(v));
        return vec![w.iter().fold(0, |a, b| a | b)];
    }
    let mut seen = vec![0u64; words * LANES];
    for four in lanes {
        for (lane, &v) in four.iter().enumerate() {
            seen[lane * words + at(v) / 64] |= 1 << (at(v) % 64);
        }
    }
    rest.iter()
        .for_each(|&v| seen[at(v) / 64] |= 1 << (at(v) % 64));
    let (merged, others) = seen.split_at_mut(words);
    for other in others.chunks_exact(words) {
        merged.iter_mut().zip(other).for_each(|(m, o)| *m |= o);
    }
    seen.truncate(words);
    seen
}

/// `picks` of a batch's rows, drawn at random by a fixed generator seeded
/// by the batch's length and `stream` (its place among the column's
/// batches), or all of them; nulls among them are dropped by the caller.
fn sample(s: &Series, picks: usize, stream: u64) -> PolarsResult<Series> {
    let n = s.len();
    if picks >= n {
        return Ok(s.clone());
    }
    // Batches of one length (a table read in equal parts) must not all
    // draw the same rows: periodic data would alias.
    let mut next = xorshift(
        (0x9E37_79B9_7F4A_7C15u64 ^ n as u64)
            .wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
            | 1,
    );
    let rows: Vec<IdxSize> = (0..picks).map(|_| (next() % n as u64) as IdxSize).collect();
    s.take_slice(&rows)
}

/// A fixed stream of pseudo-random numbers from `state` (not zero).
pub(super) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// Finite sampled values, each standing for `weight` rows.
fn weighted(values: impl Iterator<Item = f64>, weight: f64) -> Vec<[f64; 2]> {
    values
        .filter(|v| v.is_finite())
        .map(|v| [v, weight])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Profiles `s` in batches of `batch` rows, as the pass would.
    fn observed(s: &Series, batch: usize) -> Observed {
        let kind = Kind::of(s.dtype());
        let mut o = Observed {
            kind,
            ..Observed::default()
        };
        let mut at = 0;
        while at < s.len() {
            let c = Column::from(s.slice(at as i64, batch));
            let b =
                super::batch(&c, kind, true, (c.len(), 0), Registers::above(&o.registers)).unwrap();
            o.merge(b).unwrap();
            at += batch;
        }
        o
    }

    /// polars' own least and greatest of `s`, as text.
    fn polars_range(s: &Series) -> [Option<String>; 2] {
        let text = |v: Scalar| {
            let s = written::text_of(&v.into_series("".into())).unwrap();
            s.str().unwrap().get(0).map(str::to_string)
        };
        [text(s.min_reduce().unwrap()), text(s.max_reduce().unwrap())]
    }

    #[test]
    fn ranges_agree_with_polars_over_random_texts() {
        // Texts inline and not, sharing prefixes, with zero bytes, blanks
        // and nulls, so that every branch of the comparison is taken.
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        let alphabet = ["a", "b", "\0", "é", "ab", "user_", "zz"];
        for round in 0..200 {
            let texts: Vec<Option<String>> = (0..1 + next() % 300)
                .map(|_| {
                    (!next().is_multiple_of(11)).then(|| {
                        (0..next() % 18)
                            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                            .collect()
                    })
                })
                .collect();
            let s = Series::new("t".into(), texts);
            let o = observed(&s, 1 + round % 37);
            assert_eq!(o.range(), polars_range(&s), "round {round}: {s:?}");
        }
    }

    #[test]
    fn ranges_keep_each_type_as_polars_shows_it() {
        let ints = Series::new("i".into(), [Some(3i64), None, Some(-7), Some(i64::MAX)]);
        let wide = Series::new("u".into(), [u64::MAX, 0, 5]);
        let floats = Series::new(
            "f".into(),
            [Some(1.5f64), Some(f64::NAN), None, Some(-2.25)],
        );
        let infinite = Series::new("f".into(), [1.0f64, f64::NEG_INFINITY, 2.0]);
        let flags = Series::new("b".into(), [Some(true), None, Some(true)]);
        let dates = Series::new("d".into(), [19_000i32, 18_000, 20_000])
            .cast(&DataType::Date)
            .unwrap();
        let times = Series::new("t".into(), [Some(1_000_000_000i64), None, Some(5)])
            .cast(&DataType::Datetime(
                TimeUnit::Microseconds,
                TimeZone::opt_try_new(Some("Europe/Paris")).unwrap(),
            ))
            .unwrap();
        let decimals = Series::new("x".into(), ["1.25", "-10.50", "3.00"])
            .cast(&DataType::Decimal(10, 2))
            .unwrap();
        let nulls = Series::new("n".into(), [None::<i64>, None]);
        let narrow = Series::new("f".into(), [Some(0.25f32), None, Some(-3.5)]);
        let small = Series::new("s".into(), [7i8, -128, 127]);
        let clock = Series::new("c".into(), [5_000_000_000i64, 1])
            .cast(&DataType::Time)
            .unwrap();
        let spans = Series::new("d".into(), [-5i64, 86_400_000])
            .cast(&DataType::Duration(TimeUnit::Milliseconds))
            .unwrap();
        let all = [
            ints, wide, floats, infinite, flags, dates, times, decimals, nulls, narrow, small,
            clock, spans,
        ];
        for s in all {
            let o = observed(&s, 2);
            assert_eq!(o.range(), polars_range(&s), "{s:?}");
        }
    }

    /// Nulls read around, in runs of every length, leave the moments,
    /// range and distinct estimate of the values alone.
    #[test]
    fn nulls_leave_the_profile_of_the_values_alone() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
        for round in 0..100 {
            let ints: Vec<Option<i64>> = (0..1 + next() % 400)
                .map(|_| {
                    (!next().is_multiple_of(1 + round % 5)).then(|| (next() % 1000) as i64 - 500)
                })
                .collect();
            let floats: Vec<Option<f64>> = ints
                .iter()
                .map(|v| {
                    v.map(|v| {
                        if v == 7 {
                            f64::INFINITY
                        } else {
                            v as f64 / 4.0
                        }
                    })
                })
                .collect();
            let with = [
                Series::new("x".into(), &ints),
                Series::new("x".into(), &floats),
            ];
            let without = [
                Series::new(
                    "x".into(),
                    ints.iter().flatten().copied().collect::<Vec<_>>(),
                ),
                Series::new(
                    "x".into(),
                    floats.iter().flatten().copied().collect::<Vec<_>>(),
                ),
            ];
            for (w, wo) in with.iter().zip(&without) {
                let batch = 1 + round as usize % 64;
                let (a, b) = (observed(w, batch), observed(wo, batch));
                let (ma, mb) = (
                    a.summary().values.unwrap().moments,
                    b.summary().values.unwrap().moments,
                );
                assert_eq!(
                    (ma.n, ma.min, ma.max),
                    (mb.n, mb.min, mb.max),
                    "round {round}"
                );
                assert!((ma.mean - mb.mean).abs() < 1e-9 && (ma.m2 - mb.m2).abs() < 1e-6);
                assert_eq!(
                    (a.range(), a.distinct()),
                    (b.range(), b.distinct()),
                    "round {round}"
                );
            }
        }
    }

    /// Integers of a short span, hashed once each through a bitmap, give
    /// the registers that hashing every value gives, and the same range.
    #[test]
    fn small_integers_become_floats_exactly() {
        let edge = 1i64 << 51;
        for v in [
            0,
            1,
            -1,
            42,
            -42,
            edge - 1,
            -edge,
            1_700_000_000_000_000,
            123_456_789_012_345,
        ] {
            assert_eq!(small_float(v), v as f64, "{v}");
        }
    }

    #[test]
    fn integers_of_a_short_span_sketch_alike() {
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        for round in 0..300u64 {
            let len = 1 + (next() % 3000) as usize;
            let span = [1, 7, 64, 65, 500, 1 << 20][(round % 6) as usize];
            let base = [0, -40, i64::MIN, i64::MAX - span as i64][(round % 4) as usize];
            let values: Vec<i64> = (0..len)
                .map(|_| base.saturating_add((next() % span) as i64))
                .collect();
            let mut ints = Integers::new(true);
            let mut got = Registers::default();
            ints.extend(&mut got, &values);
            let mut want = Registers::default();
            values
                .iter()
                .for_each(|&v| want.add(hash_value(i128::from(v) as u128)));
            assert_eq!(got, want, "round {round}: span {span}, {len} values");
            let (lo, hi) = (values.iter().min().unwrap(), values.iter().max().unwrap());
            assert_eq!(ints.range(), Some((i128::from(*lo), i128::from(*hi))));
            // Narrower values (dates) read as they are stored sketch alike.
            if let Ok(narrow) = values
                .iter()
                .map(|&v| i32::try_from(v))
                .collect::<Result<Vec<_>, _>>()
            {
                let (mut ints32, mut got32) = (Integers::new(true), Registers::default());
                ints32.extend(&mut got32, &narrow);
                assert_eq!(got32, want, "round {round}: 32 bits");
                assert_eq!(ints32.range(), ints.range());
                assert_eq!(ints32.sums().moments(), ints.sums().moments());
            }
        }
    }

    #[test]
    fn decimals_are_summed_by_their_values() {
        let s = Series::new("x".into(), ["1.25", "2.75"])
            .cast(&DataType::Decimal(10, 2))
            .unwrap();
        let mean = observed(&s, 2).summary().values.unwrap().moments.mean;
        assert!((mean - 2.0).abs() < 1e-9, "{mean}");
    }
}
