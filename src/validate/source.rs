//! Data files as polars scans: the format from the file name, the dialect
//! from the schema. Every scan is lazy, so the engine streams the file.

use std::io::Read;
use std::num::NonZeroUsize;
use std::path::Path;

use polars::prelude::*;

use crate::fsutil::{self, Context, IoError};
use crate::schema::{Dialect, Encoding};

/// A data file format kiln reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Tsv,
    Parquet,
    Ndjson,
    /// A JSON array of records (`[{"a": 1}, …]`), the form of many small
    /// published datasets.
    Json,
    Ipc,
}

impl Format {
    /// The format a file name says, looking through a compression suffix
    /// (`.gz`, `.zst`, `.zstd`). A `.json` file is a JSON array of records
    /// when its first character is `[`, JSON lines otherwise.
    pub fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = COMPRESSED
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        Some(match ext {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "parquet" | "pq" => Format::Parquet,
            "ndjson" | "jsonl" => Format::Ndjson,
            "json" if starts_with_bracket(path) => Format::Json,
            "json" => Format::Ndjson,
            "arrow" | "ipc" | "feather" => Format::Ipc,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Parquet => "parquet",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
            Format::Ipc => "ipc",
        }
    }

    /// Delimited text: every cell is read as text and typed by kiln.
    pub fn is_delimited(self) -> bool {
        matches!(self, Format::Csv | Format::Tsv)
    }

    /// Whether the file holds JSON (lines or an array of records).
    pub fn is_json(self) -> bool {
        matches!(self, Format::Ndjson | Format::Json)
    }

    /// Whether the file itself records its columns' physical types.
    pub fn has_physical_types(self) -> bool {
        matches!(self, Format::Parquet | Format::Ipc)
    }
}

/// The name suffixes of the compressed forms kiln reads through.
const COMPRESSED: [&str; 3] = [".gz", ".zst", ".zstd"];

/// A file's bytes, decompressed when they start as gzip or zstd does (the
/// content decides, as for polars' own reader, not the name).
pub fn decompressed(path: &Path) -> Result<Box<dyn Read + Send>, IoError> {
    let mut file = fsutil::open(path)?;
    let compression = sniff(&mut file).ctx("read", path)?;
    Ok(match compression {
        Some(Compression::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(file)),
        Some(Compression::Zstd) => Box::new(zstd::Decoder::new(file).ctx("read", path)?),
        None => Box::new(file),
    })
}

enum Compression {
    Gzip,
    Zstd,
}

/// How a file's content is compressed, by its first bytes.
fn compression(path: &Path) -> Result<Option<Compression>, IoError> {
    sniff(&mut fsutil::open(path)?).ctx("read", path)
}

/// How an open file's content is compressed, by its first bytes; the file
/// is left at its start.
fn sniff(file: &mut std::fs::File) -> std::io::Result<Option<Compression>> {
    use std::io::Seek;
    let mut magic = [0u8; 4];
    let n = read_up_to(file, &mut magic)?;
    file.rewind()?;
    Ok(match &magic[..n] {
        [0x1f, 0x8b, ..] => Some(Compression::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd] => Some(Compression::Zstd),
        _ => None,
    })
}

/// Reads until `buf` is full or the input ends; the bytes read.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Whether the first character of the file (decompressed) that is not
/// blank is `[`.
fn starts_with_bracket(path: &Path) -> bool {
    let Ok(reader) = decompressed(path) else {
        return false;
    };
    std::io::BufReader::new(reader)
        .bytes()
        .take(4096)
        .map_while(Result::ok)
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
        == Some(b'[')
}

/// The delimiter a delimited file is read with.
pub fn delimiter(format: Format, dialect: &Dialect) -> u8 {
    dialect
        .delimiter
        .unwrap_or(if format == Format::Tsv { b'\t' } else { b',' })
}

/// A plain copy of a text file for polars: decompressed when it is
/// compressed (so the several reads of a check decompress it once), and in
/// UTF-8 when a delimited file is written in another encoding (polars
/// reads only UTF-8); `None` when the file is read as it is.
pub fn plain_copy(
    path: &Path,
    format: Format,
    dialect: &Dialect,
) -> std::io::Result<Option<tempfile::NamedTempFile>> {
    let encoding = match dialect.encoding {
        Encoding::Other(e) if format.is_delimited() => Some(e),
        _ => None,
    };
    let text = format.is_delimited() || format == Format::Ndjson;
    let compressed = compression(path).map_err(|e| e.source)?.is_some();
    if encoding.is_none() && !(text && compressed) {
        return Ok(None);
    }
    let raw = std::io::BufReader::with_capacity(1 << 20, decompressed(path).map_err(|e| e.source)?);
    let mut plain: Box<dyn Read> = match encoding {
        Some(encoding) => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .build(raw),
        ),
        None => Box::new(raw),
    };
    // Named like the original, so its format reads the same.
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let name = COMPRESSED
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(&name)
        .to_string();
    let mut copy = tempfile::Builder::new()
        .suffix(&format!("-{name}"))
        .tempfile()?;
    std::io::copy(&mut plain, copy.as_file_mut())?;
    Ok(Some(copy))
}

/// How a delimited file's cells are split and read, for polars' scan and
/// kiln's own chunked read alike. With `missing`, the reader itself reads
/// those texts as null, in every column (cheaper than kiln testing each
/// cell).
pub fn csv_options(
    format: Format,
    dialect: &Dialect,
    missing: Option<&[String]>,
) -> CsvParseOptions {
    // Other encodings reach here as their UTF-8 copy (`plain_copy`).
    let encoding = match dialect.encoding {
        Encoding::Utf8 | Encoding::Other(_) => CsvEncoding::Utf8,
        Encoding::Utf8Lossy => CsvEncoding::LossyUtf8,
    };
    let empty_is_missing = missing.is_some_and(|m| m.iter().any(String::is_empty));
    // Matched on each cell's value after unquoting, so a quoted empty
    // cell (`""`) is missing like an unquoted one (Table Schema: the
    // default missing value is the empty string).
    let null_values = missing
        .map(|m| {
            m.iter()
                .map(|t| PlSmallStr::from(t.as_str()))
                .collect::<Vec<_>>()
        })
        .filter(|m| !m.is_empty())
        // One value (most often the empty text) is one comparison a cell.
        .map(|mut m| match m.len() {
            1 => NullValues::AllColumnsSingle(m.remove(0)),
            _ => NullValues::AllColumns(m),
        });
    CsvParseOptions {
        separator: delimiter(format, dialect),
        quote_char: dialect.quote_char,
        comment_prefix: dialect.comment_char.map(|c| {
            if c.is_ascii() {
                CommentPrefix::Single(c)
            } else {
                CommentPrefix::Multi((c as char).to_string().into())
            }
        }),
        encoding,
        // Rows with extra cells are findings (`row/extra-cell`, from the
        // bytes), not a failed read.
        truncate_ragged_lines: true,
        missing_is_null: empty_is_missing,
        null_values,
        ..Default::default()
    }
}

/// A lazy scan of `path`; `Err` when polars cannot open it. With
/// `missing`, a delimited file's reader reads those texts as null (see
/// [`csv_options`]). A delimited file's columns are text except those named in `types`; a JSON-lines
/// file's are `types` where given, else inferred from every line.
pub fn scan(
    path: &Path,
    format: Format,
    dialect: &Dialect,
    missing: Option<&[String]>,
    types: &[(String, DataType)],
) -> PolarsResult<LazyFrame> {
    let pl_path = PlRefPath::try_from_path(path)?;
    match format {
        Format::Csv | Format::Tsv => {
            // Text unless asked: kiln types cells itself, so one bad cell is
            // a finding rather than a failed read.
            let overwrite = (!types.is_empty()).then(|| {
                Arc::new(Schema::from_iter(types.iter().map(|(name, dtype)| {
                    Field::new(PlSmallStr::from(name.as_str()), dtype.clone())
                })))
            });
            let options = csv_options(format, dialect, missing);
            LazyCsvReader::new(pl_path)
                .with_dtype_overwrite(overwrite)
                .with_glob(false)
                .with_has_header(dialect.header)
                .with_infer_schema_length(Some(0))
                .map_parse_options(move |_| options.clone())
                .finish()
        }
        Format::Parquet => {
            let args = ScanArgsParquet {
                glob: false,
                ..Default::default()
            };
            LazyFrame::scan_parquet(pl_path, args)
        }
        // A JSON document is read whole (such files are small); the rest of
        // the check streams as for any other scan.
        Format::Json => {
            let reader = decompressed(path).map_err(|e| polars_err!(ComputeError: "{e}"))?;
            let mut bytes = Vec::new();
            std::io::BufReader::new(reader)
                .read_to_end(&mut bytes)
                .map_err(|e| polars_err!(ComputeError: "{e}"))?;
            // Types from every record, as for JSON lines: a late 17.5 in a
            // column of integers must not be read as 17.
            JsonReader::new(std::io::Cursor::new(bytes))
                .with_json_format(JsonFormat::Json)
                .infer_schema_len(None)
                .finish()
                .map(DataFrame::lazy)
        }
        // Read as `types` where given (see `json_kinds`): every value as
        // text, which the reader makes of any value, so none fails it.
        Format::Ndjson if !types.is_empty() => LazyJsonLineReader::new(pl_path)
            .with_schema(Some(Arc::new(Schema::from_iter(types.iter().map(
                |(name, dtype)| Field::new(name.as_str().into(), dtype.clone()),
            )))))
            .with_ignore_errors(true)
            .finish(),
        Format::Ndjson => LazyJsonLineReader::new(pl_path)
            // Types from every line, so a late value of another type is
            // typed with the rest of its column instead of failing the read.
            .with_infer_schema_length(None::<NonZeroUsize>)
            .finish(),
        Format::Ipc => {
            let args = UnifiedScanArgs {
                glob: false,
                ..Default::default()
            };
            LazyFrame::scan_ipc(pl_path, Default::default(), args)
        }
    }
}

/// A one-line account of a polars error.
pub(crate) fn polars_message(e: &PolarsError, format: Format) -> String {
    let text = e.to_string();
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_string();
    let lower = first.to_ascii_lowercase();
    if lower.contains("utf-8") || lower.contains("utf8") {
        format!(
            "{first} (the file is not valid UTF-8: name its encoding in the schema, as in `dialect: {{encoding: latin1}}`, or read bad bytes as U+FFFD with `utf-8-lossy`)"
        )
    } else if lower.contains("more fields than defined") {
        format!("{first} (a row has more fields than the header: ragged rows)")
    } else if format == Format::Ndjson {
        format!("invalid JSON: {first}")
    } else {
        first
    }
}
