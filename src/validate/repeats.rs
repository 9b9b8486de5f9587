//! Repeated keys across the shards of a dataset. Each shard's keyed rows
//! become 128-bit fingerprints (XXH3-128 of the key's text), sorted and
//! kept on disk as a run beside the shard's result; a dataset's repeats come
//! from merging the runs. A shard's keys are held in memory up to a budget
//! and sorted onto disk beyond it, so memory stays bounded however many
//! rows a shard has and however many shards there are.
//!
//! Equal keys always share a fingerprint, so no repeat is missed; two
//! different keys share one with a chance below 10^-18 among ten billion
//! keys, so a reported repeat is a repeat.

use std::collections::BinaryHeap;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

use super::compile::ROW;
use super::observe::observe;
use super::written;
use crate::fsutil::{self, Context, IoError};

/// A keyed row of one shard: its key's fingerprint and its row (from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    fingerprint: u128,
    row: u64,
}

/// A keyed row of a dataset: shards are numbered in the dataset's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    fingerprint: u128,
    shard: u64,
    row: u64,
}

/// Where a row is: its shard's number and its row in that shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct At {
    pub shard: usize,
    pub row: u64,
}

/// A repeated row and the first row with its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pair {
    pub repeat: At,
    pub first: At,
}

/// What the merge found: how many rows repeat an earlier row's key, and
/// the first few of them in dataset order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub repeats: u64,
    pub samples: Vec<Pair>,
}

impl Found {
    /// `self` and `more` as one: counts added, the `n` earliest samples kept.
    pub fn join(self, more: Found, n: usize) -> Found {
        let mut earliest = BinaryHeap::new();
        for pair in self.samples.into_iter().chain(more.samples) {
            offer(&mut earliest, n, pair);
        }
        Found {
            repeats: self.repeats + more.repeats,
            samples: earliest.into_sorted_vec(),
        }
    }
}

/// Where a shard's keys gather while its pass streams: in memory up to
/// `limit` keys, and beyond that sorted into runs in `dir`, merged into one
/// run when the pass is done.
pub struct KeySink {
    keys: Vec<Key>,
    limit: usize,
    dir: PathBuf,
    spilled: Vec<tempfile::NamedTempFile>,
    /// The first failure to spill, reported when the run is written.
    failed: Option<IoError>,
}

impl KeySink {
    pub fn new(limit: usize, dir: &Path) -> KeySink {
        KeySink {
            keys: Vec::new(),
            limit: limit.max(1),
            dir: dir.to_path_buf(),
            spilled: Vec::new(),
            failed: None,
        }
    }

    fn add(&mut self, batch: &mut Vec<Key>) {
        self.keys.append(batch);
        if self.keys.len() >= self.limit && self.failed.is_none() {
            let spilled = fsutil::create_dir_all(&self.dir).and_then(|()| {
                let file = fsutil::temp_file(&self.dir)?;
                let path = file.path().to_path_buf();
                write_run(&mut self.keys, &path, &self.dir)?;
                Ok(file)
            });
            match spilled {
                Ok(file) => {
                    tracing::debug!(
                        "{} keys past the memory budget sorted onto disk",
                        self.limit
                    );
                    self.spilled.push(file);
                }
                Err(e) => self.failed = Some(e),
            }
            self.keys = Vec::new();
        }
    }

    /// Writes every key, sorted, as one run at `path` (through `tmp`).
    pub fn finish(mut self, path: &Path, tmp: &Path) -> Result<(), IoError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.spilled.is_empty() {
            return write_run(&mut self.keys, path, tmp);
        }
        let last = fsutil::temp_file(&self.dir)?;
        write_run(&mut self.keys, last.path(), &self.dir)?;
        self.spilled.push(last);
        let inputs = self
            .spilled
            .iter()
            .map(|f| (Some(0), f.path().to_path_buf()))
            .collect();
        let (inputs, _temps) = reduce(inputs, &self.dir)?;
        let file = fsutil::temp_file(tmp)?;
        let mut w = BufWriter::with_capacity(BUFFER, file.reopen().ctx("open", path)?);
        merge_sources(sources(&inputs)?, |e| {
            w.write_all(&key_record(e.fingerprint, e.row))
                .ctx("write", path)
        })?;
        w.flush().ctx("write", path)?;
        file.persist(path).map_err(|e| e.error).ctx("write", path)?;
        Ok(())
    }
}

/// The run at `from` also at `to` (through a temporary name in `tmp`, so
/// a run on disk is whole): linked where the file system can, else copied.
pub fn same_run(from: &Path, to: &Path, tmp: &Path) -> Result<(), IoError> {
    if from == to {
        return Ok(());
    }
    let made = tempfile::Builder::new().make_in(tmp, |at| {
        std::fs::hard_link(from, at).or_else(|_| std::fs::copy(from, at).map(drop))
    });
    made.ctx("copy", from)?
        .into_temp_path()
        .persist(to)
        .map_err(|e| e.error)
        .ctx("write", to)
}

/// An expression that adds the fingerprint of each row's key (the columns
/// `keys` of a frame with row numbers; rows with a null part are not
/// keyed) to the returned sink. Its own value is meaningless: aggregate it
/// so the pass evaluates it once.
pub fn fingerprints(keys: &[String], sink: KeySink) -> (Expr, Arc<Mutex<KeySink>>) {
    let found = Arc::new(Mutex::new(sink));
    let shared = found.clone();
    // Members named apart, whatever the key's columns are called.
    let mut parts = vec![col(ROW).alias("row")];
    parts.extend(
        keys.iter()
            .enumerate()
            .map(|(i, k)| col(k.as_str()).alias(format!("key{i}"))),
    );
    let expr = observe(as_struct(parts), move |c: &Column| {
        let fields = c.struct_()?.fields_as_series();
        let rows = fields[0].cast(&DataType::UInt64)?;
        let texts = fields[1..]
            .iter()
            .map(written::text_of)
            .collect::<PolarsResult<Vec<_>>>()?;
        let texts = texts
            .iter()
            .map(|s| s.str())
            .collect::<PolarsResult<Vec<_>>>()?;
        let mut local = Vec::with_capacity(c.len());
        let mut parts: Vec<_> = texts.iter().map(|t| t.iter()).collect();
        // One buffer for every row's parts (a row's own was an allocation a
        // row); every part is read, missing or not, so the parts stay in
        // step with the rows.
        let mut values: Vec<&str> = Vec::with_capacity(parts.len());
        for row in rows.u64()?.iter() {
            values.clear();
            let mut whole = true;
            for part in &mut parts {
                match part.next().flatten() {
                    Some(v) => values.push(v),
                    None => whole = false,
                }
            }
            if let (Some(row), true) = (row, whole) {
                local.push(Key {
                    fingerprint: fingerprint(&values),
                    row,
                });
            }
        }
        shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(&mut local);
        Ok(())
    });
    (expr, found)
}

/// The fingerprint of a key's parts; each part's length goes in too, so
/// that ("ab", "c") and ("a", "bc") differ.
fn fingerprint(parts: &[&str]) -> u128 {
    if let [one] = parts {
        return xxh3_128(one.as_bytes());
    }
    let mut h = Xxh3::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.digest128()
}

const KEY_BYTES: usize = 24;
const ENTRY_BYTES: usize = 32;
/// Runs merged at once: one open file and one buffer each in every part,
/// within the process's limit on open files (with room for the rest), 64
/// at least.
fn fan_in() -> usize {
    let limit = fsutil::open_files_limit().saturating_sub(256) / parts().len() as u64;
    usize::try_from(limit).unwrap_or(usize::MAX).clamp(64, 4096)
}
const BUFFER: usize = 64 << 10;

/// Sorts `keys` and writes them to `path` (through a temporary file in
/// `tmp`, so a run on disk is whole).
fn write_run(keys: &mut Vec<Key>, path: &Path, tmp: &Path) -> Result<(), IoError> {
    sort_uniform(keys, &mut Vec::new(), 0, |k| k.fingerprint);
    let file = fsutil::temp_file(tmp)?;
    let mut w = BufWriter::with_capacity(BUFFER, file);
    for k in keys.iter() {
        w.write_all(&key_record(k.fingerprint, k.row))
            .ctx("write", path)?;
    }
    let file = w
        .into_inner()
        .map_err(|e| e.into_error())
        .ctx("write", path)?;
    file.persist(path).map_err(|e| e.error).ctx("write", path)?;
    Ok(())
}

/// Items a radix sort takes at most: its copy of them stays small beside
/// the keys a sink holds (a larger run is sorted in place).
const RADIX_ITEMS: usize = 1 << 16;

/// Sorts `items`, whose fingerprints are uniform hashes sharing their top
/// `shared` bits. Up to [`RADIX_ITEMS`], by a radix sort on the bytes
/// below those bits (through `scratch`), enough of them that items rarely
/// share them all, then each run of items that do (repeated keys, mostly)
/// by comparison: a comparison sort of a shard's run or a merge's bucket
/// spent a tenth of a corpus check in branches it mispredicted.
fn sort_uniform<T: Ord + Copy>(
    items: &mut Vec<T>,
    scratch: &mut Vec<T>,
    shared: u32,
    fingerprint: impl Fn(&T) -> u128,
) {
    let n = items.len();
    // Bytes enough for 16 times the items' number of values.
    let bytes = ((n.max(2).ilog2() + 4).div_ceil(8)).min((128 - shared) / 8);
    if !(64..=RADIX_ITEMS).contains(&n) || bytes == 0 {
        items.sort_unstable();
        return;
    }
    let window = |t: &T| (fingerprint(t) << shared) >> (128 - 8 * bytes);
    // Every place is written by each pass: the two swap, both whole.
    scratch.clear();
    scratch.resize(n, items[0]);
    for byte in 0..bytes {
        let digit = |t: &T| (window(t) >> (8 * byte)) as usize & 0xFF;
        let mut at = [0usize; 256];
        items.iter().for_each(|t| at[digit(t)] += 1);
        let mut sum = 0;
        for slot in at.iter_mut() {
            (*slot, sum) = (sum, sum + *slot);
        }
        for t in items.iter() {
            let d = digit(t);
            scratch[at[d]] = *t;
            at[d] += 1;
        }
        std::mem::swap(items, scratch);
    }
    let mut start = 0;
    while start < n {
        let w = window(&items[start]);
        let end = start + items[start..].iter().take_while(|t| window(t) == w).count();
        if end - start > 1 {
            items[start..end].sort_unstable();
        }
        start = end;
    }
}

fn key_record(fingerprint: u128, row: u64) -> [u8; KEY_BYTES] {
    let mut record = [0u8; KEY_BYTES];
    record[..16].copy_from_slice(&fingerprint.to_le_bytes());
    record[16..].copy_from_slice(&row.to_le_bytes());
    record
}

/// A sorted stream of entries: one shard's run (whose entries take the
/// shard's number), or runs merged before (whose entries carry theirs);
/// all of the file, or the records of one part of the fingerprints.
struct Source {
    reader: BufReader<std::fs::File>,
    shard: Option<u64>,
    path: PathBuf,
    /// Records left to read.
    left: u64,
}

impl Source {
    fn open(input: &Input) -> Result<Source, IoError> {
        let (shard, path) = input;
        let reader = open(path)?;
        let len = reader.get_ref().metadata().ctx("read", path)?.len();
        let left = match shard {
            Some(_) => len / KEY_BYTES as u64,
            None => entries_in(reader.get_ref(), len, path)?,
        };
        Ok(Source {
            reader,
            shard: *shard,
            path: path.clone(),
            left,
        })
    }

    /// The records of fingerprints in `range` only (a file's records are
    /// sorted by fingerprint: each bound is found by binary search).
    fn part(mut self, range: &Part) -> Result<Source, IoError> {
        let size = record_size(self.shard) as u64;
        let start = self.first_at_least(range.0)?;
        let end = match range.1 {
            Some(end) => self.first_at_least(end)?,
            None => self.left,
        };
        self.reader
            .seek(std::io::SeekFrom::Start(start * size))
            .ctx("read", &self.path)?;
        self.left = end.saturating_sub(start);
        Ok(self)
    }

    /// The number of the first record whose fingerprint is at least `key`.
    fn first_at_least(&self, key: u128) -> Result<u64, IoError> {
        use std::os::unix::fs::FileExt;
        let size = record_size(self.shard) as u64;
        let (mut lo, mut hi) = (0, self.left);
        let mut b = [0u8; 16];
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            self.reader
                .get_ref()
                .read_exact_at(&mut b, mid * size)
                .ctx("read", &self.path)?;
            if u128::from_le_bytes(b) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// How many entries are left to read.
    fn entries(&self) -> u64 {
        self.left
    }

    fn next(&mut self) -> Result<Option<Entry>, IoError> {
        if self.left == 0 {
            return Ok(None);
        }
        let mut b = [0u8; ENTRY_BYTES];
        let b = &mut b[..record_size(self.shard)];
        if !read_record(&mut self.reader, b, &self.path)? {
            return Ok(None);
        }
        self.left -= 1;
        Ok(Some(decode(b, self.shard)))
    }
}

/// The entry a record holds: a shard's run's (of `shard`), or, without
/// one, a merged run's.
fn decode(b: &[u8], shard: Option<u64>) -> Entry {
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
    let fingerprint = u128::from_le_bytes(b[..16].try_into().unwrap_or_default());
    match shard {
        Some(shard) => Entry {
            fingerprint,
            shard,
            row: word(16),
        },
        None => Entry {
            fingerprint,
            shard: word(16),
            row: word(24),
        },
    }
}

/// The size of a record: a shard's run holds fingerprints and rows, runs
/// merged before hold their shards too.
fn record_size(shard: Option<u64>) -> usize {
    if shard.is_some() {
        KEY_BYTES
    } else {
        ENTRY_BYTES
    }
}

/// A range of fingerprints, from the first up to (not with) the second.
type Part = (u128, Option<u128>);

/// The fingerprints cut into as many ranges as there are cores: equal
/// keys fall in one range, so the ranges merge on their own, in parallel.
fn parts() -> Vec<Part> {
    let n = threads() as u128;
    let step = u128::MAX / n + 1;
    (0..n)
        .map(|i| (i * step, (i + 1 < n).then(|| (i + 1) * step)))
        .collect()
}

/// Threads a merge or a lookup runs on: one a core, up to 16.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(16))
}

/// `work` run on each part of `inputs` (their sources in that part), on
/// threads of their own; the results in the parts' order.
fn in_parts<T: Send>(
    inputs: &[Input],
    work: impl Fn(Vec<Source>) -> Result<T, IoError> + Sync,
) -> Result<Vec<T>, IoError> {
    each_on_a_thread(&parts(), |range| {
        let sources = inputs
            .iter()
            .map(|i| Source::open(i)?.part(range))
            .collect::<Result<Vec<_>, IoError>>()?;
        work(sources)
    })
}

/// `work` of each of `items`, each on a thread of its own; the results in
/// the items' order.
fn each_on_a_thread<A: Sync, T: Send>(
    items: &[A],
    work: impl Fn(&A) -> Result<T, IoError> + Sync,
) -> Result<Vec<T>, IoError> {
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .iter()
            .map(|item| {
                let work = &work;
                s.spawn(move || work(item))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// The error for a file of records that ends inside one: damaged derived
/// state.
fn cut(path: &Path, what: &str) -> IoError {
    let e = std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!("{what} ends mid-record"),
    );
    IoError::new("read", path, e)
}

/// Reads one whole record; false at the end. A run cut inside a record is
/// damaged derived state, an error rather than a short count.
fn read_record(r: &mut impl Read, buf: &mut [u8], path: &Path) -> Result<bool, IoError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]).ctx("read", path)? {
            0 if n == 0 => return Ok(false),
            0 => return Err(cut(path, "a key run")),
            k => n += k,
        }
    }
    Ok(true)
}

fn open(path: &Path) -> Result<BufReader<std::fs::File>, IoError> {
    Ok(BufReader::with_capacity(BUFFER, fsutil::open(path)?))
}

/// Entries a bucket of the merge holds, about (fingerprints are uniform, so
/// each of 2^k buckets holds its share of all entries): small buckets sort
/// in fewer steps an entry, at the cost of a look at every source a bucket.
const BUCKET_ENTRIES: u64 = 1 << 11;

/// Calls `each` with every entry of `sources` in order. Fingerprints are
/// uniform hashes, so instead of a heap ordering every entry among all
/// sources, the merge takes one range of fingerprints (a bucket) at a time
/// from every source, each source's part of it contiguous, and sorts that
/// bucket: a few thousand entries sorted in cache, where a heap would move
/// each entry through its levels.
fn merge_sources(
    mut sources: Vec<Source>,
    mut each: impl FnMut(Entry) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let total: u64 = sources.iter().map(Source::entries).sum();
    let bits = (total / BUCKET_ENTRIES)
        .checked_ilog2()
        .map_or(8, |b| b + 1)
        .clamp(8, 28);
    let shift = 128 - bits;
    let mut heads = sources
        .iter_mut()
        .map(Source::next)
        .collect::<Result<Vec<_>, _>>()?;
    let (mut bucket, mut scratch) = (Vec::new(), Vec::new());
    // The lowest bucket any source is at; empty buckets are skipped.
    while let Some(b) = heads.iter().flatten().map(|e| e.fingerprint >> shift).min() {
        for (head, source) in heads.iter_mut().zip(sources.iter_mut()) {
            while let Some(e) = *head {
                if e.fingerprint >> shift != b {
                    break;
                }
                bucket.push(e);
                *head = source.next()?;
            }
        }
        sort_uniform(&mut bucket, &mut scratch, bits, |e| e.fingerprint);
        for e in bucket.drain(..) {
            each(e)?;
        }
    }
    Ok(())
}

/// A run to merge: a shard's (with the number its entries take) or a
/// temporary file of runs merged before (whose entries carry theirs).
type Input = (Option<u64>, PathBuf);

/// `inputs` merged down to at most [`fan_in`], through temporary files in
/// `tmp` (kept alive by the returned handles).
fn reduce(
    mut inputs: Vec<Input>,
    tmp: &Path,
) -> Result<(Vec<Input>, Vec<tempfile::NamedTempFile>), IoError> {
    let mut temps = Vec::new();
    let fan_in = fan_in();
    while inputs.len() > fan_in {
        let mut next = Vec::new();
        for group in inputs.chunks(fan_in) {
            let file = fsutil::temp_file(tmp)?;
            let path = file.path().to_path_buf();
            let mut w = Entries::new(file.reopen().ctx("open", &path)?, &path)?;
            merge_sources(sources(group)?, |e| w.write(&e))?;
            w.finish()?;
            next.push((None, path));
            temps.push(file);
        }
        inputs = next;
    }
    Ok((inputs, temps))
}

/// Keeps `pair` if it is among the `n` earliest seen (the latest of them
/// on top of the heap, to be replaced).
fn offer(earliest: &mut BinaryHeap<Pair>, n: usize, pair: Pair) {
    if earliest.len() < n {
        earliest.push(pair);
    } else if earliest.peek().is_some_and(|top| pair < *top) {
        earliest.pop();
        earliest.push(pair);
    }
}

fn at(e: &Entry, base: u64) -> At {
    At {
        shard: (e.shard - base) as usize,
        row: e.row,
    }
}

/// A file of entries being written (the form of runs merged before).
/// After the entries comes a filter of their keys, so that a re-check can
/// tell that a new key is in no level without reading the level's
/// entries: the low 16 bits of each fingerprint, the top 64 bits of every
/// [`FENCE`]th, then the number of entries and [`MARK`]. (Looking every
/// new key up among the entries touched nearly every page of the levels,
/// a sixth of a re-check.) A file of no entries is empty.
pub struct Entries {
    w: BufWriter<std::fs::File>,
    path: PathBuf,
    count: u64,
    lows: BufWriter<std::fs::File>,
    fences: BufWriter<std::fs::File>,
}

/// Entries a fence of the filter stands for.
const FENCE: u64 = 64;
/// The end of a file of entries.
const MARK: &[u8; 8] = b"kilnkeys";
const TRAILER: u64 = 16;

/// Where a file of `n` entries has its filter's lows and fences, and its
/// length (none past any real file's).
fn layout(n: u64) -> Option<(u64, u64, u64)> {
    let lows = n.checked_mul(ENTRY_BYTES as u64)?;
    let fences = lows.checked_add(n.checked_mul(2)?)?;
    let end = fences.checked_add(n.div_ceil(FENCE).checked_mul(8)?)?;
    Some((lows, fences, end.checked_add(TRAILER)?))
}

/// The number of entries of `file`, a file of entries `len` bytes long
/// (at `path`), from its end.
fn entries_in(file: &std::fs::File, len: u64, path: &Path) -> Result<u64, IoError> {
    use std::os::unix::fs::FileExt;
    if len == 0 {
        return Ok(0);
    }
    let mut end = [0u8; TRAILER as usize];
    if len >= TRAILER {
        file.read_exact_at(&mut end, len - TRAILER)
            .ctx("read", path)?;
    }
    let n = u64::from_le_bytes(end[..8].try_into().unwrap_or_default());
    match layout(n) {
        Some((.., whole)) if whole == len && &end[8..] == MARK => Ok(n),
        _ => Err(cut(path, "a file of entries")),
    }
}

impl Entries {
    /// Entries written to `file`, an empty file made for them at `path`;
    /// the filter is gathered in unnamed files beside it.
    pub fn new(file: std::fs::File, path: &Path) -> Result<Entries, IoError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let side = || {
            tempfile::tempfile_in(dir)
                .ctx("create a temporary file in", dir)
                .map(|f| BufWriter::with_capacity(BUFFER / 4, f))
        };
        Ok(Entries {
            w: BufWriter::with_capacity(BUFFER, file),
            path: path.to_path_buf(),
            count: 0,
            lows: side()?,
            fences: side()?,
        })
    }

    fn write(&mut self, e: &Entry) -> Result<(), IoError> {
        let mut b = [0u8; ENTRY_BYTES];
        b[..16].copy_from_slice(&e.fingerprint.to_le_bytes());
        b[16..24].copy_from_slice(&e.shard.to_le_bytes());
        b[24..].copy_from_slice(&e.row.to_le_bytes());
        self.w.write_all(&b).ctx("write", &self.path)?;
        self.lows
            .write_all(&(e.fingerprint as u16).to_le_bytes())
            .ctx("write", &self.path)?;
        if self.count.is_multiple_of(FENCE) {
            self.fences
                .write_all(&((e.fingerprint >> 64) as u64).to_le_bytes())
                .ctx("write", &self.path)?;
        }
        self.count += 1;
        Ok(())
    }

    /// How many entries were written.
    fn finish(mut self) -> Result<u64, IoError> {
        if self.count > 0 {
            for side in [self.lows, self.fences] {
                let copied = side
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|mut f| {
                        f.rewind()?;
                        std::io::copy(&mut f, &mut self.w)
                    });
                copied.ctx("write", &self.path)?;
            }
            self.w
                .write_all(&self.count.to_le_bytes())
                .ctx("write", &self.path)?;
            self.w.write_all(MARK).ctx("write", &self.path)?;
        }
        self.w.flush().ctx("write", &self.path)?;
        Ok(self.count)
    }
}

/// The repeats among the runs of a dataset's shards (`runs[i]` is shard
/// `i`'s), with up to `n` samples. Beyond [`fan_in`] runs, groups of runs
/// are merged into temporary files in `tmp` first. With `firsts`, the
/// first row of each key goes to files it makes (one for each part of the
/// fingerprints, their keys apart): what [`extend`] needs to merge more
/// shards into this merge later.
pub fn merge(
    runs: &[PathBuf],
    n: usize,
    tmp: &Path,
    firsts: Option<&(dyn Fn() -> Result<Entries, IoError> + Sync)>,
) -> Result<Found, IoError> {
    let (inputs, _temps) = reduce(numbered(runs, 0), tmp)?;
    let parts = in_parts(&inputs, |sources| {
        let mut out = firsts.map(|make| make()).transpose()?;
        let found = repeats_in(
            sources,
            n,
            |_| None,
            |e| match &mut out {
                Some(w) => w.write(e),
                None => Ok(()),
            },
        )?;
        out.map(Entries::finish).transpose()?;
        Ok(found)
    })?;
    Ok(joined(parts, n))
}

/// What parts of a merge found, as one.
fn joined(parts: Vec<Found>, n: usize) -> Found {
    parts
        .into_iter()
        .fold(Found::default(), |all, part| all.join(part, n))
}

/// The repeats among `sources`, with up to `n` samples. A key's first row
/// is the one `earlier` knows (from shards merged before), else its first
/// in `sources`, with which `first_row` is called, in order.
fn repeats_in(
    sources: Vec<Source>,
    n: usize,
    mut earlier: impl FnMut(u128) -> Option<Entry>,
    mut first_row: impl FnMut(&Entry) -> Result<(), IoError>,
) -> Result<Found, IoError> {
    let mut found = Found::default();
    let mut earliest = BinaryHeap::new();
    let mut first: Option<Entry> = None;
    merge_sources(sources, |e| {
        if first.is_none_or(|f| f.fingerprint != e.fingerprint) {
            first = earlier(e.fingerprint);
            if first.is_none() {
                first_row(&e)?;
                first = Some(e);
                return Ok(());
            }
        }
        let f = first.expect("a key's first row is known");
        found.repeats += 1;
        let pair = Pair {
            repeat: at(&e, 0),
            first: at(&f, 0),
        };
        offer(&mut earliest, n, pair);
        Ok(())
    })?;
    found.samples = earliest.into_sorted_vec();
    Ok(found)
}

/// The repeats in `runs`, shards numbered from `base` and coming after
/// the shards of an earlier merge whose first row of each key is in
/// `levels` (files of entries, no key in two): rows whose key a level
/// holds or an earlier row of `runs` holds. The first rows of keys new to
/// the dataset go to levels `firsts` makes, one for each part of the
/// fingerprints (merged in parallel, as a whole merge is); how many there
/// are is returned too. Reads each level once, in order, and sorts only
/// the new runs' entries.
pub fn extend(
    levels: &[PathBuf],
    runs: &[PathBuf],
    base: u64,
    n: usize,
    tmp: &Path,
    firsts: &(dyn Fn() -> Result<Entries, IoError> + Sync),
) -> Result<(Found, u64), IoError> {
    let (inputs, _temps) = reduce(numbered(runs, base), tmp)?;
    let parts = in_parts(&inputs, |sources| {
        let mut seen = Seen::open(levels)?;
        let mut out = firsts()?;
        let found = repeats_in(sources, n, |key| seen.first(key), |e| out.write(e))?;
        Ok((found, out.finish()?))
    })?;
    let new = parts.iter().map(|(_, new)| new).sum();
    Ok((joined(parts.into_iter().map(|(f, _)| f).collect(), n), new))
}

/// Levels of first rows, mapped into memory and searched forward as ever
/// larger keys are asked for: a re-check looks up the new shards' keys, a
/// few among many, in each level's filter, and only those the filter may
/// hold among its entries.
struct Seen {
    levels: Vec<Level>,
}

struct Level {
    map: memmap2::Mmap,
    /// Its entries, and where its filter's lows and fences start.
    n: usize,
    lows: usize,
    fences: usize,
    /// Records before this one hold smaller keys than any asked for yet.
    at: usize,
    /// Likewise, fences.
    fence_at: usize,
}

impl Level {
    fn fingerprint(&self, i: usize) -> u128 {
        let at = i * ENTRY_BYTES;
        u128::from_le_bytes(self.map[at..at + 16].try_into().unwrap_or_default())
    }

    fn entry(&self, i: usize) -> Entry {
        decode(&self.map[i * ENTRY_BYTES..(i + 1) * ENTRY_BYTES], None)
    }

    fn low(&self, i: usize) -> u16 {
        let at = self.lows + 2 * i;
        u16::from_le_bytes(self.map[at..at + 2].try_into().unwrap_or_default())
    }

    fn fence(&self, j: usize) -> u64 {
        let at = self.fences + 8 * j;
        u64::from_le_bytes(self.map[at..at + 8].try_into().unwrap_or_default())
    }

    /// The first record whose key is at least `key`.
    fn seek(&mut self, key: u128) -> usize {
        self.at = first_not_below(self.at, self.n, |i| self.fingerprint(i) < key);
        self.at
    }

    /// Whether the level may hold `key`: false only where no entry in
    /// the blocks of fences around its top 64 bits has its low 16 bits.
    fn may_hold(&mut self, key: u128) -> bool {
        let (top, low) = ((key >> 64) as u64, key as u16);
        let fences = self.n.div_ceil(FENCE as usize);
        // Blocks from the one before the first fence at `top` to the one
        // before the first fence past it: a key's entries are in those.
        let from = first_not_below(self.fence_at, fences, |j| self.fence(j) < top);
        self.fence_at = from.saturating_sub(1);
        let to = first_not_below(from, fences, |j| self.fence(j) <= top);
        let fence = FENCE as usize;
        (self.fence_at * fence..(to * fence).min(self.n)).any(|i| self.low(i) == low)
    }
}

/// The first index from `at` up to `n` where `below` is false, `below`
/// being true up to some index and false from it: galloping, then halving.
fn first_not_below(at: usize, n: usize, below: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut step) = (at, 1);
    let mut hi = lo;
    while hi < n && below(hi) {
        lo = hi + 1;
        hi = hi.saturating_add(step).min(n);
        step *= 2;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if below(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

impl Seen {
    fn open(levels: &[PathBuf]) -> Result<Seen, IoError> {
        let mut mapped = Vec::new();
        for path in levels {
            let file = fsutil::open(path)?;
            let len = file.metadata().ctx("read", path)?.len();
            let n = entries_in(&file, len, path)?;
            let Some((lows, fences, _)) = layout(n).filter(|_| n > 0) else {
                continue;
            };
            // SAFETY: a level is written whole before a kept merge names it
            // and never written again; another check may remove it, which
            // leaves this mapping intact, but never truncates it.
            let map = unsafe { memmap2::Mmap::map(&file) }.ctx("read", path)?;
            let at = |x: u64| usize::try_from(x).map_err(|_| cut(path, "a level of first rows"));
            mapped.push(Level {
                n: at(n)?,
                lows: at(lows)?,
                fences: at(fences)?,
                at: 0,
                fence_at: 0,
                map,
            });
        }
        Ok(Seen { levels: mapped })
    }

    /// The first row of `key` in any level; keys are asked for in order.
    fn first(&mut self, key: u128) -> Option<Entry> {
        for level in &mut self.levels {
            if !level.may_hold(key) {
                continue;
            }
            let i = level.seek(key);
            if i < level.n && level.fingerprint(i) == key {
                return Some(level.entry(i));
            }
        }
        None
    }
}

/// `levels` (files of entries, no key in two) as one, at `out`.
pub fn compact(levels: &[PathBuf], out: Entries) -> Result<(), IoError> {
    let inputs: Vec<Input> = levels.iter().map(|p| (None, p.clone())).collect();
    let mut w = out;
    merge_sources(sources(&inputs)?, |e| w.write(&e))?;
    w.finish()?;
    Ok(())
}

/// Runs numbered as the shards `base`, `base + 1`, ….
fn numbered(runs: &[PathBuf], base: u64) -> Vec<Input> {
    runs.iter()
        .enumerate()
        .map(|(i, p)| (Some(base + i as u64), p.clone()))
        .collect()
}

/// Shards of the other dataset are numbered from here in an overlap merge,
/// so that for each key this dataset's rows come first.
const THEIRS: u64 = 1 << 48;

/// Bytes a key of theirs takes in the table an overlap looks keys up in,
/// at most: 33 a slot (a fingerprint, a row, a control byte), and up to
/// 2.3 slots a key in a table sized for them all at once.
const LOOKED_UP_KEY_BYTES: u64 = 80;

/// The rows of `ours` (runs of this dataset's shards, numbered from
/// `base`) whose key is also in
/// `theirs` (runs of the other dataset's), with up to `n` samples, each
/// paired with the first row of theirs with that key. Theirs are looked
/// up in memory where their keys fit in `memory` bytes, else merged with
/// ours.
pub fn overlap(
    ours: &[PathBuf],
    base: u64,
    theirs: &[PathBuf],
    n: usize,
    memory: u64,
    tmp: &Path,
) -> Result<Found, IoError> {
    let listed = numbered(theirs, 0);
    let their_keys = listed
        .iter()
        .map(|t| Ok(Source::open(t)?.entries()))
        .sum::<Result<u64, IoError>>()?;
    if their_keys.saturating_mul(LOOKED_UP_KEY_BYTES) <= memory {
        return looked_up(numbered(ours, base), &listed, their_keys, n);
    }
    let mut inputs = numbered(ours, base);
    inputs.extend(numbered(theirs, THEIRS));
    let (inputs, _temps) = reduce(inputs, tmp)?;
    let parts = in_parts(&inputs, |sources| shared_keys(sources, n))?;
    Ok(joined(parts, n))
}

/// [`overlap`] with each key's first row of theirs in a table: each run
/// of ours is read once, on as many threads as cores, and its keys looked
/// up, where a merge would sort all of ours again (the larger side, as a
/// training set is to its evaluation set).
fn looked_up(
    ours: Vec<Input>,
    theirs: &[Input],
    their_keys: u64,
    n: usize,
) -> Result<Found, IoError> {
    let mut firsts: PlHashMap<u128, At> =
        PlHashMap::with_capacity_and_hasher(their_keys as usize, Default::default());
    for input in theirs {
        let mut source = Source::open(input)?;
        // A run is in key order, then row order: a key's first entry is
        // its first row, and theirs come in their order.
        while let Some(e) = source.next()? {
            firsts.entry(e.fingerprint).or_insert(at(&e, 0));
        }
    }
    let per_thread = ours.len().div_ceil(threads()).max(1);
    let groups: Vec<&[Input]> = ours.chunks(per_thread).collect();
    let parts = each_on_a_thread(&groups, |group| {
        let mut found = Found::default();
        let mut earliest = BinaryHeap::new();
        for input in group.iter() {
            let mut source = Source::open(input)?;
            while let Some(e) = source.next()? {
                if let Some(&first) = firsts.get(&e.fingerprint) {
                    found.repeats += 1;
                    let repeat = at(&e, 0);
                    offer(&mut earliest, n, Pair { repeat, first });
                }
            }
        }
        found.samples = earliest.into_sorted_vec();
        Ok(found)
    })?;
    Ok(joined(parts, n))
}

/// The entries of ours among `sources` whose key theirs has.
fn shared_keys(sources: Vec<Source>, n: usize) -> Result<Found, IoError> {
    let mut found = Found::default();
    let mut earliest = BinaryHeap::new();
    // This key's rows of ours so far, and whether theirs has it.
    let mut key: Option<u128> = None;
    let mut ours_rows: Vec<Entry> = Vec::new();
    let mut shared = false;
    merge_sources(sources, |e| {
        if key != Some(e.fingerprint) {
            key = Some(e.fingerprint);
            ours_rows.clear();
            shared = false;
        }
        if e.shard < THEIRS {
            ours_rows.push(e);
        } else if !shared {
            shared = true;
            for o in ours_rows.drain(..) {
                found.repeats += 1;
                let pair = Pair {
                    repeat: at(&o, 0),
                    first: at(&e, THEIRS),
                };
                offer(&mut earliest, n, pair);
            }
        }
        Ok(())
    })?;
    found.samples = earliest.into_sorted_vec();
    Ok(found)
}

fn sources(inputs: &[Input]) -> Result<Vec<Source>, IoError> {
    inputs.iter().map(Source::open).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, name: &str, keys: &[(u128, u64)]) -> PathBuf {
        let path = dir.join(name);
        let mut keys: Vec<Key> = keys
            .iter()
            .map(|&(fingerprint, row)| Key { fingerprint, row })
            .collect();
        write_run(&mut keys, &path, dir).unwrap();
        path
    }

    #[test]
    fn repeats_across_and_within_shards_counted_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let a = run(dir.path(), "a", &[(7, 1), (3, 2), (7, 3)]);
        let b = run(dir.path(), "b", &[(3, 1), (9, 2)]);
        let found = merge(&[a, b], 5, dir.path(), None).unwrap();
        assert_eq!(found.repeats, 2);
        let at = |shard, row| At { shard, row };
        assert_eq!(
            found.samples,
            vec![
                Pair {
                    repeat: at(0, 3),
                    first: at(0, 1)
                },
                Pair {
                    repeat: at(1, 1),
                    first: at(0, 2)
                },
            ]
        );
    }

    /// `shards` runs of `rows` keys each, drawn from `values` random values
    /// spread over all 128 bits (so they fall in every bucket and many
    /// repeat), from a fixed seed; their keys and their runs in `dir`.
    fn random_runs(
        dir: &Path,
        seed: u64,
        values: usize,
        shards: usize,
        rows: u64,
    ) -> (Vec<Vec<(u128, u64)>>, Vec<PathBuf>) {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            state
        };
        let drawn: Vec<u128> = (0..values)
            .map(|_| u128::from(next()) << 64 | u128::from(next()))
            .collect();
        let keys: Vec<Vec<(u128, u64)>> = (0..shards)
            .map(|_| {
                (1..=rows)
                    .map(|row| (drawn[(next() % values as u64) as usize], row))
                    .collect()
            })
            .collect();
        let runs = keys
            .iter()
            .enumerate()
            .map(|(i, k)| run(dir, &format!("s{i}"), k))
            .collect();
        (keys, runs)
    }

    #[test]
    fn the_uniform_sort_orders_as_a_comparison_sort() {
        let dir = tempfile::tempdir().unwrap();
        // Few values (most keys repeated) and many; runs too short and too
        // long for the radix sort; some sharing their top bits, as a
        // merge's bucket does.
        for (values, rows, top) in [
            (3, 5000, 0),
            (50_000, 20_000, 0),
            (900, 3000, 20),
            (10, 40, 0),
            (1 << 20, 70_000, 0),
            (2000, 2000, 124),
        ] {
            let (shards, _) = random_runs(dir.path(), values as u64, values, 1, rows);
            let mut keys: Vec<Key> = shards[0]
                .iter()
                .map(|&(f, row)| Key {
                    fingerprint: f >> top,
                    row: row.wrapping_mul(0x9e37_79b9) % 1000,
                })
                .collect();
            let mut want = keys.clone();
            want.sort_unstable();
            sort_uniform(&mut keys, &mut Vec::new(), top, |k| k.fingerprint);
            assert_eq!(
                keys, want,
                "{values} values, {rows} rows, {top} bits shared"
            );
        }
    }

    #[test]
    fn merges_agree_with_counting_by_hand_over_random_keys() {
        let dir = tempfile::tempdir().unwrap();
        let (shards, runs) = random_runs(dir.path(), 0x9e37_79b9_7f4a_7c15, 6000, 40, 500);
        let mut seen = std::collections::HashSet::new();
        let mut repeats = 0;
        for keys in &shards {
            for (fingerprint, _) in keys {
                repeats += u64::from(!seen.insert(*fingerprint));
            }
        }
        assert_eq!(merge(&runs, 3, dir.path(), None).unwrap().repeats, repeats);
        // The first 10 shards against the last 10.
        let theirs: std::collections::HashSet<u128> =
            shards[30..].iter().flatten().map(|k| k.0).collect();
        let shared = shards[..10]
            .iter()
            .flatten()
            .filter(|k| theirs.contains(&k.0))
            .count();
        // Theirs looked up in memory, and merged with ours.
        for memory in [u64::MAX, 0] {
            let found = overlap(&runs[..10], 0, &runs[30..], 3, memory, dir.path()).unwrap();
            assert_eq!(found.repeats, shared as u64, "memory {memory}");
        }
        let looked_up = overlap(&runs[..10], 5, &runs[25..], 4, u64::MAX, dir.path()).unwrap();
        let merged = overlap(&runs[..10], 5, &runs[25..], 4, 0, dir.path()).unwrap();
        assert_eq!(looked_up, merged);
    }

    #[test]
    fn a_merge_extended_shard_by_shard_finds_what_one_merge_finds() {
        let dir = tempfile::tempdir().unwrap();
        let (_, runs) = random_runs(dir.path(), 0x2545_f491_4f6c_dd1d, 3000, 12, 300);
        let whole = merge(&runs, 7, dir.path(), None).unwrap();
        // Merged as 4 shards, then 1, 2, 5 more; levels joined halfway.
        let made = Mutex::new(Vec::new());
        let entries = || {
            let file = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
            let (file, path) = file.keep().unwrap();
            made.lock().unwrap().push(path.clone());
            Entries::new(file, &path)
        };
        let mut found = merge(&runs[..4], 7, dir.path(), Some(&entries)).unwrap();
        // One level for each part of the fingerprints.
        let mut levels = made.lock().unwrap().clone();
        let mut firsts = 0;
        for (i, (from, to)) in [(4, 5), (5, 7), (7, 12)].into_iter().enumerate() {
            let before = made.lock().unwrap().len();
            let (more, new) = extend(
                &levels,
                &runs[from..to],
                from as u64,
                7,
                dir.path(),
                &entries,
            )
            .unwrap();
            firsts += new;
            found = found.join(more, 7);
            // One new level for each part, as a whole merge makes.
            levels.extend(made.lock().unwrap()[before..].iter().cloned());
            if i == 1 {
                compact(&levels, entries().unwrap()).unwrap();
                levels = vec![made.lock().unwrap().last().cloned().unwrap()];
            }
        }
        assert_eq!(found, whole);
        let first_rows = |p: &PathBuf| {
            let file = fsutil::open(p).unwrap();
            entries_in(&file, file.metadata().unwrap().len(), p).unwrap()
        };
        let entries: u64 = levels.iter().map(first_rows).sum::<u64>();
        assert_eq!(entries, 12 * 300 - whole.repeats);
        assert!(firsts > 0);
    }

    #[test]
    fn a_level_filter_passes_every_key_it_holds_and_few_others() {
        let dir = tempfile::tempdir().unwrap();
        let mut next = crate::validate::profiler::xorshift(0x853c_49e6_748f_ea9b);
        let mut wide = || u128::from(next()) << 64 | u128::from(next());
        // Random keys, and runs of keys sharing their top 64 bits across
        // fences (one longer than a fence's block).
        let mut keys: Vec<u128> = (0..5000).map(|_| wide()).collect();
        for run in [3u128, 64, 200] {
            let top = wide() & !u128::from(u64::MAX);
            keys.extend((0..run).map(|i| top | (i * 7919 + 1)));
        }
        keys.sort_unstable();
        keys.dedup();
        let (file, path) = tempfile::NamedTempFile::new_in(dir.path())
            .unwrap()
            .keep()
            .unwrap();
        let mut level = Entries::new(file, &path).unwrap();
        for (i, &fingerprint) in keys.iter().enumerate() {
            let e = Entry {
                fingerprint,
                shard: 1,
                row: i as u64,
            };
            level.write(&e).unwrap();
        }
        assert_eq!(level.finish().unwrap(), keys.len() as u64);
        // Present keys and absent ones (beside present ones, and random),
        // asked for in order.
        let mut asked: Vec<(u128, bool)> = keys.iter().map(|&k| (k, true)).collect();
        asked.extend(keys.iter().map(|&k| (k ^ 1, false)));
        asked.extend((0..5000).map(|_| (wide(), false)));
        asked.sort_unstable();
        let mut seen = Seen::open(std::slice::from_ref(&path)).unwrap();
        let mut passed = 0;
        for (key, held) in asked.iter().filter(|(k, _)| *k != 0) {
            let held = *held || keys.binary_search(key).is_ok();
            let level = &mut seen.levels[0];
            let may = level.may_hold(*key);
            assert!(may || !held, "{key:x} held but filtered");
            passed += usize::from(may && !held);
            assert_eq!(
                seen.first(*key).map(|e| e.fingerprint),
                held.then_some(*key)
            );
        }
        // About one in a thousand: 64 lows of 2^16 a block.
        assert!(passed < 40, "{passed} absent keys passed the filter");
        // A level cut short, or not ending as one, is an error.
        let whole = fsutil::read(&path).unwrap();
        for bad in [
            &whole[..whole.len() - 1],
            &whole[..whole.len() - 17],
            &whole[8..],
        ] {
            fsutil::write_atomic(&path, bad, dir.path()).unwrap();
            assert!(Seen::open(std::slice::from_ref(&path)).is_err());
        }
    }

    #[test]
    fn a_sink_over_its_limit_spills_and_writes_the_same_run() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<Key> = (0..1000u64)
            .map(|i| Key {
                fingerprint: u128::from((i * 7919) % 1000 / 3),
                row: i + 1,
            })
            .collect();
        let write = |limit: usize, name: &str| {
            let mut sink = KeySink::new(limit, &dir.path().join("spill"));
            for chunk in keys.chunks(64) {
                sink.add(&mut chunk.to_vec());
            }
            let path = dir.path().join(name);
            sink.finish(&path, dir.path()).unwrap();
            fsutil::read(&path).unwrap()
        };
        assert_eq!(write(100, "small"), write(usize::MAX, "whole"));
    }

    #[test]
    fn overlap_counts_our_rows_whose_key_theirs_has() {
        let dir = tempfile::tempdir().unwrap();
        let ours = run(dir.path(), "o", &[(5, 1), (6, 2), (5, 3), (8, 4)]);
        let theirs = run(dir.path(), "t", &[(9, 1), (5, 2), (5, 7), (6, 3)]);
        let looked_up = overlap(
            std::slice::from_ref(&ours),
            0,
            std::slice::from_ref(&theirs),
            2,
            u64::MAX,
            dir.path(),
        );
        let found = overlap(&[ours], 0, &[theirs], 2, 0, dir.path()).unwrap();
        assert_eq!(looked_up.unwrap(), found);
        assert_eq!(found.repeats, 3);
        let at = |shard, row| At { shard, row };
        assert_eq!(
            found.samples,
            vec![
                Pair {
                    repeat: at(0, 1),
                    first: at(0, 2)
                },
                Pair {
                    repeat: at(0, 2),
                    first: at(0, 3)
                },
            ]
        );
    }

    #[test]
    fn many_runs_merge_in_groups_alike() {
        let dir = tempfile::tempdir().unwrap();
        // Every shard repeats key 1; shard i also holds its own key.
        let runs: Vec<PathBuf> = (0..(fan_in() * 2 + 3))
            .map(|i| {
                run(
                    dir.path(),
                    &format!("r{i}"),
                    &[(1, 5), (1000 + i as u128, 1)],
                )
            })
            .collect();
        let found = merge(&runs, 2, dir.path(), None).unwrap();
        assert_eq!(found.repeats, runs.len() as u64 - 1);
        assert_eq!(found.samples[0].repeat, At { shard: 1, row: 5 });
        assert_eq!(found.samples[0].first, At { shard: 0, row: 5 });
        assert_eq!(found.samples[1].repeat, At { shard: 2, row: 5 });
    }
}
