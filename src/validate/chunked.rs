//! A delimited file read in pieces on every core by kiln: pieces end where
//! records end, found by counting quotes, and each is parsed by polars' own
//! chunk parser, as polars' scan parses its pieces. polars' scan first
//! counts the lines of the whole file on one thread, a byte at a time on a
//! stable compiler: on a clean table that count was a third of a check's
//! time; here each piece's count is taken by the core that parses it.

use std::path::Path;

use memchr::memchr2_iter;
use polars::prelude::_csv_read_internal::{SplitLines, read_chunk, validate_utf8};
use polars::prelude::*;
use rayon::prelude::*;

use crate::fsutil::{self, Context, IoError};

/// Bytes of the file one core parses at a time.
const PIECE: usize = 4 << 20;

/// A delimited file opened for reading in pieces.
pub struct Chunked {
    map: memmap2::Mmap,
    options: CsvParseOptions,
    /// Where each piece starts, the first where the data starts, and the
    /// file's end.
    ends: Vec<usize>,
}

impl Chunked {
    /// `None` where polars' scan reads what pieces would not: comment lines
    /// (skipped wherever they are) or records ended by another character.
    pub fn open(
        path: &Path,
        options: CsvParseOptions,
        header: bool,
    ) -> Result<Option<Chunked>, IoError> {
        Chunked::open_in(path, options, header, PIECE)
    }

    /// [`Chunked::open`] with pieces of about `piece` bytes.
    fn open_in(
        path: &Path,
        options: CsvParseOptions,
        header: bool,
        piece: usize,
    ) -> Result<Option<Chunked>, IoError> {
        if options.comment_prefix.is_some() || options.eol_char != b'\n' {
            return Ok(None);
        }
        let file = fsutil::open(path)?;
        // SAFETY: the file is read, never written, while mapped; a file
        // changed meanwhile gives other bytes, not unsound memory.
        let map = unsafe { memmap2::Mmap::map(&file) }.ctx("map", path)?;
        let start = data_start(&map, &options, header);
        let ends = piece_ends(&map, start, options.quote_char, piece);
        Ok(Some(Chunked { map, options, ends }))
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Where the pieces start (the first where the data starts) and the
    /// file's end.
    pub fn ends(&self) -> &[usize] {
        &self.ends
    }

    /// Calls `take` with the data rows, in order, as frames of `schema`'s
    /// columns (named and typed as the file's columns are read), each of
    /// `pieces` pieces parsed at once. The next frame is parsed while `take`
    /// runs on one, so neither waits for the other to wind down; at most two
    /// are held at once. Stops at the first error.
    pub fn for_each_frame(
        &self,
        schema: &Schema,
        pieces: usize,
        mut take: impl FnMut(DataFrame) -> PolarsResult<()>,
    ) -> PolarsResult<()> {
        let frames = self.frames(schema, pieces)?;
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel(0);
            s.spawn(move || {
                for frame in frames {
                    let failed = frame.is_err();
                    // A closed channel: `take` failed and the rest is moot.
                    if tx.send(frame).is_err() || failed {
                        break;
                    }
                }
            });
            rx.into_iter().try_for_each(|frame| take(frame?))
        })
    }

    /// The data rows as [`Chunked::for_each_frame`] takes them, parsed as
    /// they are asked for.
    fn frames<'a>(
        &'a self,
        schema: &'a Schema,
        per_segment: usize,
    ) -> PolarsResult<impl Iterator<Item = PolarsResult<DataFrame>> + 'a> {
        let nulls = self
            .options
            .null_values
            .clone()
            .map(|n| n.compile(schema))
            .transpose()?;
        // As polars' scan: text is checked to be UTF-8 unless read lossily.
        let utf8 = matches!(self.options.encoding, CsvEncoding::Utf8)
            && schema.iter_fields().any(|f| f.dtype().is_string());
        let projection: Vec<usize> = (0..schema.len()).collect();
        let per_segment = per_segment.max(1);
        let pieces: Vec<(usize, usize)> = self.ends.windows(2).map(|w| (w[0], w[1])).collect();
        // A file without data rows still gives one (empty) frame.
        let segments: Vec<Vec<(usize, usize)>> = if pieces.is_empty() {
            vec![Vec::new()]
        } else {
            pieces.chunks(per_segment).map(<[_]>::to_vec).collect()
        };
        Ok(segments.into_iter().map(move |segment| {
            let parse = || {
                segment
                .par_iter()
                .map(|&(from, to)| {
                    let bytes = &self.map[from..to];
                    if utf8 && !validate_utf8(bytes) {
                        polars_bail!(ComputeError: "invalid utf-8 sequence");
                    }
                    let lines = self.lines(bytes, to == self.map.len());
                    let df = read_chunk(
                        bytes,
                        &self.options,
                        schema,
                        false,
                        &projection,
                        0,
                        lines,
                        nulls.as_ref(),
                        usize::MAX,
                        bytes.len(),
                        Some(0),
                    )?;
                    // As polars' scan: a piece whose records the parser
                    // and the quote count see differently is malformed.
                    if df.height() != lines {
                        polars_bail!(ComputeError: "CSV malformed: expected {} rows, actual {} rows, in chunk starting at byte offset {}, length {}", lines, df.height(), from, bytes.len());
                    }
                    Ok(df)
                })
                .collect::<PolarsResult<Vec<_>>>()
            };
            let frames = match parse_pool() {
                Some(pool) => pool.install(parse),
                None => parse(),
            }?;
            let mut frames = frames.into_iter();
            let mut all = frames.next().unwrap_or_else(|| DataFrame::empty_with_schema(schema));
            for frame in frames {
                all.vstack_mut_owned(frame)?;
            }
            Ok(all)
        }))
    }

    /// The records in `bytes` as polars' line count sees them: line ends
    /// outside quotes, and an unended last line at the end of the file.
    /// Every line end is counted at once, then those between paired quotes
    /// taken off, so a file with few quotes costs one vectorised count.
    fn lines(&self, bytes: &[u8], at_end: bool) -> usize {
        let eol = self.options.eol_char;
        let mut n = count(bytes, eol);
        if let Some(q) = self.options.quote_char {
            let mut quotes = memchr::memchr_iter(q, bytes);
            while let Some(open) = quotes.next() {
                let close = quotes.next().unwrap_or(bytes.len());
                n -= count(&bytes[open..close], eol);
            }
        }
        n + usize::from(at_end && bytes.last().is_some_and(|&b| b != eol))
    }
}

/// Pieces parsed at once for one file checked alone: two for each thread,
/// so no thread idles at a frame's end, and a frame's rows (about twice
/// its bytes) stay a few tens of megabytes.
pub fn pieces_at_once() -> usize {
    2 * parse_pool().map_or(1, rayon::ThreadPool::current_num_threads)
}

/// The threads pieces are parsed on: kiln's own, so that a check run from
/// a task of rayon's global pool never waits for a frame that only that
/// pool's busy workers could parse.
fn parse_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("kiln-csv-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Where the data starts: past a UTF-8 byte-order mark and, with a header,
/// past blank lines and the header record, as polars' scan skips them.
fn data_start(bytes: &[u8], options: &CsvParseOptions, header: bool) -> usize {
    let bom = if bytes.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    if !header {
        return bom;
    }
    let body = &bytes[bom..];
    SplitLines::new(body, options.quote_char, options.eol_char, None)
        .find(|line| !line.is_empty() && *line != b"\r")
        .map_or(bytes.len(), |line| {
            let end = line.as_ptr() as usize - bytes.as_ptr() as usize + line.len();
            (end + 1).min(bytes.len())
        })
}

/// Where pieces of about `piece` bytes start from `start`, and the end:
/// each after a line end outside quotes (an even count of quotes since the
/// data started, as polars' line count has it). Blocks are counted on every
/// core, then each piece's end is found from its block's start.
fn piece_ends(bytes: &[u8], start: usize, quote: Option<u8>, piece: usize) -> Vec<usize> {
    let data = &bytes[start..];
    let blocks: Vec<&[u8]> = data.chunks(piece).collect();
    let odd: Vec<bool> = blocks
        .par_iter()
        .map(|b| quote.is_some_and(|q| count(b, q) % 2 == 1))
        .collect();
    // Whether the data before each block holds an odd count of quotes.
    let mut before = Vec::with_capacity(blocks.len());
    let mut quoted = false;
    for o in &odd {
        before.push(quoted);
        quoted ^= o;
    }
    let mut ends: Vec<usize> = (1..blocks.len())
        .into_par_iter()
        .map(|i| start + i * piece + record_end(&data[i * piece..], quote, before[i]))
        .collect();
    ends.insert(0, start);
    ends.push(bytes.len());
    // A record longer than a block ends pieces at one place: keep it once.
    ends.dedup();
    ends
}

/// The offset just past the first line end outside quotes in `bytes`,
/// which start inside quotes if `quoted`; their length if there is none.
fn record_end(bytes: &[u8], quote: Option<u8>, mut quoted: bool) -> usize {
    let eol = b'\n';
    let found = match quote {
        Some(q) => memchr2_iter(q, eol, bytes).find(|&i| {
            if bytes[i] == q {
                quoted = !quoted;
                false
            } else {
                !quoted
            }
        }),
        None => memchr::memchr(eol, bytes),
    };
    found.map_or(bytes.len(), |i| i + 1)
}

/// How many of `bytes` are `b`, counted 64 lanes at a time: a loop over
/// fixed-size arrays the compiler vectorises (10 GB/s here, against 2.3 for
/// a plain filter and count; quotes may be dense or absent).
fn count(bytes: &[u8], b: u8) -> usize {
    let mut total = 0;
    // 255 rounds of 64 lanes fit each lane's count in a byte.
    for block in bytes.chunks(255 * 64) {
        let mut lanes = [0u8; 64];
        let mut whole = block.chunks_exact(64);
        for chunk in &mut whole {
            let chunk: &[u8; 64] = chunk.try_into().unwrap_or(&[0; 64]);
            for i in 0..64 {
                lanes[i] = lanes[i].wrapping_add(u8::from(chunk[i] == b));
            }
        }
        total += lanes.iter().map(|&n| usize::from(n)).sum::<usize>()
            + whole.remainder().iter().filter(|&&x| x == b).count();
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows polars' own reader reads from `path`, every column text.
    fn polars_rows(path: &Path, options: &CsvParseOptions) -> DataFrame {
        let options = options.clone();
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .map_parse_options(move |_| options.clone())
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .unwrap()
            .finish()
            .unwrap()
    }

    fn pieced_rows(path: &Path, options: &CsvParseOptions, piece: usize) -> DataFrame {
        let chunked = Chunked::open_in(path, options.clone(), true, piece)
            .unwrap()
            .unwrap();
        let schema = polars_rows(path, options).schema().as_ref().clone();
        let mut all = DataFrame::empty_with_schema(&schema);
        chunked
            .for_each_frame(&schema, 3, |frame| {
                all.vstack_mut_owned(frame)?;
                Ok(())
            })
            .unwrap();
        all
    }

    /// Whatever the pieces' size, they hold the rows polars reads: quoted
    /// line ends, doubled quotes, carriage returns, blank lines, a header
    /// after blank lines and a byte-order mark, a last line without its end.
    #[test]
    fn pieces_hold_the_rows_polars_reads() {
        let text = "\u{feff}\n\na,b,c\r\n1,\"x\ny\",z\r\n2,\"say \"\"hi\"\"\",\n\n3,,\"\"\n\
                    4,\"a,b\nc\n\nd\",e\n5,6,7";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        crate::fsutil::write_atomic(&path, text.as_bytes(), dir.path()).unwrap();
        let options = CsvParseOptions {
            truncate_ragged_lines: true,
            ..Default::default()
        };
        let want = polars_rows(&path, &options);
        assert_eq!(want.height(), 6, "{want}");
        for piece in 1..=text.len() + 1 {
            let got = pieced_rows(&path, &options, piece);
            assert!(
                got.equals_missing(&want),
                "pieces of {piece} bytes:\n{got}\n{want}"
            );
        }
    }

    #[test]
    fn counts_match_a_plain_count() {
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        for b in [0u8, 34, 250] {
            for len in [0, 1, 63, 64, 65, 16319, 16320, 16321, bytes.len()] {
                let plain = bytes[..len].iter().filter(|&&x| x == b).count();
                assert_eq!(count(&bytes[..len], b), plain, "byte {b}, {len} bytes");
            }
        }
    }
}
