//! What each JSON cell is (text, a number, true or false, an object, an
//! array) and the columns a JSON-lines file has, from one pass over its
//! lines. Frictionless reads a JSON cell by the kind of its value (`true` is
//! no string, and the number -9999 is not the missing value "-9999"), while
//! the columns are read as text: the kinds are kept beside them. The same
//! pass finds the columns and, for a file of a bounded size, reads their
//! text too; a larger one is then scanned by polars' reader with those
//! columns, so neither needs a pass of its own to infer them, nor fails
//! where a column mixes kinds.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use polars::prelude::*;
use polars_arrow::array::{Array, MutableBinaryViewArray};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::source::{self, Format};

/// The kind of a JSON value, as stored in a kinds column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// `null`, or no such member.
    Absent = 0,
    Text = 1,
    /// A number written without a fraction or an exponent, within 64
    /// bits (past them, JSON readers keep a float).
    Integer = 2,
    Float = 3,
    Boolean = 4,
    Object = 5,
    Array = 6,
}

/// A file's columns and the kinds of the cells of the fields asked for.
pub struct Layout {
    /// Every top-level member seen, in the order first seen, as the reader
    /// should read it: text, or a struct of the asked-for members below it.
    pub columns: Vec<(String, DataType)>,
    /// For each asked-for field (by its index) holding a cell that is
    /// neither text nor absent, the kind of its cell in each row.
    pub kinds: Vec<(usize, Vec<u8>)>,
    /// For each column, the kinds its values have (bit `1 << kind`).
    pub seen: Vec<u8>,
    /// The lines (1-based) of blanks only, which hold no row.
    pub blank_lines: Vec<u64>,
}

/// The line (1-based) each of `rows` (1-based, sorted) is on, in a file
/// whose lines of blanks only are `blank_lines` (see [`Layout`]).
pub fn lines_of_rows(blank_lines: &[u64], rows: &[u64]) -> HashMap<u64, u64> {
    let mut blanks = blank_lines.iter().peekable();
    let mut before = 0;
    rows.iter()
        .map(|&row| {
            while blanks.next_if(|&&b| b <= row + before).is_some() {
                before += 1;
            }
            (row, row + before)
        })
        .collect()
}

/// A place in the members' tree that a field's name may denote.
#[derive(Default)]
struct Node {
    /// Its slot in a row's kinds, where a field is named by this place.
    slot: Option<usize>,
    // Looked up for every member of every line: a fast hash, not SipHash.
    members: PlHashMap<String, Node>,
    /// Whether it held an object in some row.
    object: bool,
    /// Whether it was present in some row.
    seen: bool,
    /// The line it was last present on.
    line: u64,
    /// Its cells' text, where the columns are read here.
    texts: Option<Texts>,
}

/// A column's cells as text, row by row (null where a row has no value).
#[derive(Default)]
struct Texts(MutableBinaryViewArray<str>);

impl Texts {
    /// Sets row `at` (rows before it that were not set are null).
    fn set(&mut self, at: usize, text: &str) {
        self.pad(at);
        self.0.push_value(text);
    }

    fn pad(&mut self, rows: usize) {
        self.0.extend_null(rows.saturating_sub(self.0.len()));
    }
}

/// Files read into memory by [`read`] up to this many bytes (as lines,
/// decompressed): a larger one is scanned in batches by polars' reader.
const IN_MEMORY: u64 = 128 << 20;

/// A JSON file's columns, as text, and its [`Layout`]: read into memory in
/// kiln's one pass where it is small enough and `own`; else scanned by
/// polars' reader (see [`scan`]) from a plain copy where it is compressed.
/// Returns the copy too, to be kept while the scan is read.
pub fn open(
    path: &Path,
    format: Format,
    names: &[(usize, &str)],
    own: bool,
) -> Result<(Option<tempfile::NamedTempFile>, LazyFrame, Layout), String> {
    let lines = match format {
        Format::Json => Some(lines_of(path)?),
        _ => None,
    };
    let path = lines.as_ref().map_or(path, |l| l.path());
    if own && let Some((layout, Some(frame))) = read_into(path, names, Some(IN_MEMORY))? {
        return Ok((lines, frame.lazy(), layout));
    }
    let dialect = crate::schema::Dialect::default();
    let copy = source::plain_copy(path, Format::Ndjson, &dialect)
        .map_err(|e| format!("cannot decompress it: {e}"))?;
    let (_, lf, layout) = scan(
        copy.as_ref().map_or(path, |c| c.path()),
        Format::Ndjson,
        names,
        |l| l.columns.clone(),
    )?;
    Ok((copy.or(lines), lf, layout))
}

/// Reads `path`, a JSON-lines file, for the fields `names` (by index):
/// a field is the top-level member of its name, or else, for a dotted
/// name, the member at that path (kiln's sub-fields).
pub fn read(path: &Path, names: &[(usize, &str)]) -> Result<Layout, String> {
    let read = read_into(path, names, None)?;
    // Unbounded, the read stops only past 2^64 bytes.
    read.map(|(layout, _)| layout)
        .ok_or_else(|| "the file has more than 2^64 bytes".into())
}

/// [`read`], and with `texts` (a bound on the bytes read) the file's
/// columns as text (a struct where a member holds objects with members the
/// fields name); `None` where the file has more bytes than that.
fn read_into(
    path: &Path,
    names: &[(usize, &str)],
    texts: Option<u64>,
) -> Result<Option<(Layout, Option<DataFrame>)>, String> {
    let (texts, bound) = (texts.is_some(), texts.unwrap_or(u64::MAX));
    let mut root = Node::default();
    // Slots: (field index, name, top-level name slot, path slot).
    let mut fields = Vec::new();
    let mut slots = 0;
    let mut slot = || {
        slots += 1;
        slots - 1
    };
    for &(i, name) in names {
        let direct = slot();
        let top = root.members.entry(name.to_string()).or_default();
        top.slot = Some(direct);
        if texts {
            top.texts.get_or_insert_with(Texts::default);
        }
        let path = name.contains('.').then(|| {
            let s = slot();
            let node = name.split('.').fold(&mut root, |n, part| {
                let child = n.members.entry(part.to_string()).or_default();
                if texts {
                    child.texts.get_or_insert_with(Texts::default);
                }
                child
            });
            node.slot = Some(s);
            s
        });
        fields.push((i, name, direct, path));
    }
    let file = super::source::decompressed(path).map_err(|e| e.to_string())?;
    let mut reader = Lines::new(file);
    let mut keys = Keys::default();
    let mut kinds = vec![Vec::new(); slots];
    let mut row = vec![0u8; slots];
    let mut number = 0u64;
    let mut rows = 0usize;
    let mut bytes = 0u64;
    let mut blank_lines = Vec::new();
    // A compressed file's faults show here, as it is decompressed.
    while let Some(line) = reader.next().map_err(|e| format!("cannot read it: {e}"))? {
        bytes += line.len() as u64;
        if bytes > bound {
            return Ok(None);
        }
        number += 1;
        // The reader skips lines of blanks only.
        if line.iter().all(|b| b" \t\r\n".contains(b)) {
            blank_lines.push(number);
            continue;
        }
        row.fill(Kind::Absent as u8);
        let mut de = serde_json::Deserializer::from_slice(line);
        let kind = Cell {
            node: &mut root,
            row: &mut row,
            keys: Some(&mut keys),
            line: number,
            at: rows,
            texts,
        }
        .deserialize(&mut de)
        .and_then(|kind| de.end().map(|()| kind))
        .map_err(|e| format!("invalid JSON on line {number}: {e}"))?;
        if kind != Kind::Object {
            return Err(format!("line {number} is no JSON object"));
        }
        for (k, &v) in kinds.iter_mut().zip(&row) {
            k.push(v);
        }
        rows += 1;
    }
    let frame = texts
        .then(|| {
            let columns = keys
                .order
                .iter()
                .map(|k| column(k, root.members.get_mut(k.as_str()), rows).map(Column::from))
                .collect::<PolarsResult<Vec<_>>>()?;
            DataFrame::new(rows, columns)
        })
        .transpose()
        .map_err(|e| e.to_string())?;
    let kinds = fields
        .into_iter()
        .filter_map(|(i, name, direct, path)| {
            // The top-level member of the field's name, if any, as the
            // columns are matched to fields.
            let s = match path {
                Some(p) if !keys.index.contains_key(name) => p,
                _ => direct,
            };
            let plain = |k: &u8| *k <= Kind::Text as u8;
            (!kinds[s].iter().all(plain)).then(|| (i, std::mem::take(&mut kinds[s])))
        })
        .collect();
    let columns = keys
        .order
        .iter()
        .map(|k| (k.clone(), dtype_of(root.members.get(k))))
        .collect();
    let layout = Layout {
        columns,
        kinds,
        seen: keys.seen,
        blank_lines,
    };
    Ok(Some((layout, frame)))
}

/// The lines of a stream, each with its line end, read in blocks straight
/// into one buffer: no copy of a line but where it spans two blocks.
struct Lines<R> {
    from: R,
    buffer: Vec<u8>,
    /// The part of `buffer` read and not yet handed out.
    start: usize,
    end: usize,
}

impl<R: std::io::Read> Lines<R> {
    fn new(from: R) -> Lines<R> {
        Lines {
            from,
            buffer: vec![0; 1 << 20],
            start: 0,
            end: 0,
        }
    }

    /// The next line; the last one may have no line end.
    fn next(&mut self) -> std::io::Result<Option<&[u8]>> {
        let mut searched = self.start;
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buffer[searched..self.end]) {
                let line = self.start..searched + at + 1;
                self.start = line.end;
                return Ok(Some(&self.buffer[line]));
            }
            searched = self.end;
            // The line so far to the buffer's front, and room for more.
            if self.start > 0 {
                self.buffer.copy_within(self.start..self.end, 0);
                (searched, self.end) = (self.end - self.start, self.end - self.start);
                self.start = 0;
            }
            if self.end == self.buffer.len() {
                self.buffer.resize(self.buffer.len() * 2, 0);
            }
            let read = match self.from.read(&mut self.buffer[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if read == 0 {
                let line = self.start..self.end;
                self.start = self.end;
                return Ok((!line.is_empty()).then(|| &self.buffer[line]));
            }
            self.end += read;
        }
    }
}

/// Column `name` of `rows` rows from its node's texts: a struct of the
/// members asked for where it held objects with them (as [`dtype_of`]).
fn column(name: &str, node: Option<&mut Node>, rows: usize) -> PolarsResult<Series> {
    let Some(node) = node else {
        return Ok(Series::full_null(name.into(), rows, &DataType::String));
    };
    let mut texts = node.texts.take().unwrap_or_default();
    texts.pad(rows);
    let texts = texts.0.freeze();
    match dtype_of(Some(node)) {
        DataType::Struct(fields) => {
            let members = fields
                .iter()
                .map(|f| column(f.name(), node.members.get_mut(f.name().as_str()), rows))
                .collect::<PolarsResult<Vec<_>>>()?;
            // As polars' reader: a row with a value that is no object
            // holds a struct of nulls; one without a value, none.
            let s = StructChunked::from_series(name.into(), rows, members.iter())?;
            Ok(s.with_outer_validity(texts.validity().cloned())
                .into_series())
        }
        _ => Ok(StringChunked::with_chunk(name.into(), texts).into_series()),
    }
}

/// A JSON file (`format` JSON lines or an array of records) read for the
/// fields `names`: its [`Layout`], and a scan of its lines with the columns
/// `columns` makes of that layout. An array of records is written as lines
/// first ([`lines_of`]); the copy is returned, to be kept while the scan is
/// read.
pub fn scan(
    path: &Path,
    format: Format,
    names: &[(usize, &str)],
    columns: impl FnOnce(&Layout) -> Vec<(String, DataType)>,
) -> Result<(Option<tempfile::NamedTempFile>, LazyFrame, Layout), String> {
    let lines = match format {
        Format::Json => Some(lines_of(path)?),
        _ => None,
    };
    let path = lines.as_ref().map_or(path, |l| l.path());
    let layout = read(path, names)?;
    let lf = source::scan(
        path,
        Format::Ndjson,
        &crate::schema::Dialect::default(),
        None,
        &columns(&layout),
    )
    .map_err(|e| source::polars_message(&e, Format::Ndjson))?;
    Ok((lines, lf, layout))
}

/// A JSON file's records (an array of objects, or one object) written one
/// to a line, as written (member order and numbers' digits kept), so it is
/// read as JSON lines are, kinds and all. Each record is parsed when read.
pub fn lines_of(path: &Path) -> Result<tempfile::NamedTempFile, String> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut super::source::decompressed(path).map_err(|e| e.to_string())?,
        &mut bytes,
    )
    .map_err(|e| e.to_string())?;
    let lines = records(&bytes).ok_or("invalid JSON: not an array of records")?;
    let mut copy = tempfile::Builder::new()
        .suffix(".jsonl")
        .tempfile()
        .map_err(|e| e.to_string())?;
    std::io::Write::write_all(copy.as_file_mut(), &lines).map_err(|e| e.to_string())?;
    Ok(copy)
}

/// The top-level values of a JSON array (or the one object), a line each:
/// line breaks between tokens become spaces. `None` where the brackets,
/// commas or quotes do not make such an array.
fn records(bytes: &[u8]) -> Option<Vec<u8>> {
    let blank = |b: &u8| b" \t\r\n".contains(b);
    let start = bytes.iter().position(|b| !blank(b))?;
    if bytes[start] == b'{' {
        return records(&[b"[", &bytes[start..], b"]"].concat());
    }
    if bytes[start] != b'[' {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() + 1);
    let (mut depth, mut text, mut escaped, mut empty) = (0usize, false, false, true);
    let mut rest = bytes[start + 1..].iter();
    for &b in rest.by_ref() {
        if text {
            (escaped, text) = (!escaped && b == b'\\', escaped || b != b'"');
            out.push(b);
            continue;
        }
        match b {
            b',' | b']' if depth == 0 => {
                if empty && (b == b',' || !out.is_empty()) {
                    return None;
                }
                if !empty {
                    while out.last() == Some(&b' ') {
                        out.pop();
                    }
                    out.push(b'\n');
                }
                if b == b']' {
                    return rest.all(blank).then_some(out);
                }
                empty = true;
                continue;
            }
            b'"' => text = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.checked_sub(1)?,
            b if blank(&b) => {
                if !empty {
                    out.push(b' ');
                }
                continue;
            }
            _ => {}
        }
        empty = false;
        out.push(b);
    }
    None
}

/// Text, or a struct of the members asked for below a place that held an
/// object (so the sub-fields there are columns of their own).
fn dtype_of(node: Option<&Node>) -> DataType {
    let members: Vec<Field> = node
        .filter(|n| n.object)
        .map(|n| {
            let mut names: Vec<&String> = n.members.keys().filter(|k| n.members[*k].seen).collect();
            names.sort();
            names
                .into_iter()
                .map(|k| Field::new(PlSmallStr::from(k.as_str()), dtype_of(n.members.get(k))))
                .collect()
        })
        .unwrap_or_default();
    if members.is_empty() {
        DataType::String
    } else {
        DataType::Struct(members)
    }
}

/// The top-level members seen, in the order first seen, the kinds of
/// their values, and the line each was last on.
#[derive(Default)]
struct Keys {
    order: Vec<String>,
    index: PlHashMap<String, usize>,
    seen: Vec<u8>,
    lines: Vec<u64>,
}

impl Keys {
    /// Notes member `key` of line `line`; false where the line has it twice.
    fn note(&mut self, key: &str, kind: Kind, line: u64) -> bool {
        let i = match self.index.get(key) {
            Some(&i) => i,
            None => {
                self.index.insert(key.to_string(), self.order.len());
                self.order.push(key.to_string());
                self.seen.push(0);
                self.lines.push(0);
                self.order.len() - 1
            }
        };
        self.seen[i] |= 1 << kind as u8;
        std::mem::replace(&mut self.lines[i], line) != line
    }
}

/// A member named twice in one object: JSON readers differ on which value
/// counts (polars' the first, Python's the last), so none is taken.
fn repeated<E: de::Error>(key: &str) -> E {
    E::custom(format!(
        "the member `{key}` is repeated in one object, and JSON readers differ on which value counts"
    ))
}

/// The kind of the value of member `key` of `node`: noted where a field
/// names it, its members visited where fields name them; its text kept
/// where its node keeps texts (with `texts`, a top-level member no field
/// names gets a node that does).
fn member<'de, A: MapAccess<'de>>(
    map: &mut A,
    node: &mut Node,
    key: &str,
    cell: (&mut [u8], u64, usize),
    texts: bool,
) -> Result<Kind, A::Error> {
    let (row, line, at) = cell;
    let mut unnamed = Node::default();
    let node = match node.members.get_mut(key) {
        Some(n) => n,
        // A top-level member no field names is a column all the same.
        None if texts => node.members.entry(key.to_string()).or_insert_with(|| Node {
            texts: Some(Texts::default()),
            ..Node::default()
        }),
        // No field names it: only its kind is wanted.
        None => &mut unnamed,
    };
    if std::mem::replace(&mut node.line, line) == line {
        return Err(repeated(key));
    }
    node.seen = true;
    map.next_value_seed(Cell {
        node,
        row,
        keys: None,
        line,
        at,
        texts: false,
    })
}

/// A member's name, borrowed from the line where it has no escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// A value at a place fields may name; at the top of a line, with the
/// members seen there noted in `keys`.
struct Cell<'a> {
    node: &'a mut Node,
    row: &'a mut [u8],
    keys: Option<&'a mut Keys>,
    line: u64,
    /// The row's index among the file's rows.
    at: usize,
    /// Whether the members of this (top-level) object keep their texts.
    texts: bool,
}

impl Cell<'_> {
    fn note(self, kind: Kind) -> Kind {
        if let Some(s) = self.node.slot {
            self.row[s] = kind as u8;
        }
        kind
    }
}

impl<'de> DeserializeSeed<'de> for Cell<'_> {
    type Value = Kind;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        if self.node.texts.is_none() {
            return d.deserialize_any(self);
        }
        // Its text is wanted: the value as written, then read again where
        // it is an object whose members fields may name.
        let raw = <&'de serde_json::value::RawValue>::deserialize(d)?.get();
        let (kind, text) = scalar(raw).map_err(de::Error::custom)?;
        if kind == Kind::Absent {
            return Ok(kind);
        }
        if let Some(texts) = self.node.texts.as_mut() {
            texts.set(self.at, &text);
        }
        if kind == Kind::Object {
            let mut de = serde_json::Deserializer::from_str(raw);
            return de::Deserializer::deserialize_map(&mut de, self).map_err(de::Error::custom);
        }
        Ok(self.note(kind))
    }
}

/// The kind of a JSON value written `raw`, and its cell's text: a text's
/// characters, a number as polars' reader writes it (`1.0` as `1`, so
/// that an integer field takes it as frictionless takes the float 1.0),
/// any other value as written.
fn scalar(raw: &str) -> Result<(Kind, Cow<'_, str>), String> {
    let number = |f: f64| {
        if f.is_finite() {
            Ok((Kind::Float, Cow::Owned(f.to_string())))
        } else {
            Err(format!("number out of range: {raw}"))
        }
    };
    Ok(match raw.as_bytes().first() {
        Some(b'"') if !raw.contains('\\') => (Kind::Text, Cow::Borrowed(&raw[1..raw.len() - 1])),
        Some(b'"') => {
            let text: String = serde_json::from_str(raw).map_err(|e| e.to_string())?;
            (Kind::Text, Cow::Owned(text))
        }
        Some(b'n') => (Kind::Absent, Cow::Borrowed("")),
        Some(b't' | b'f') => (Kind::Boolean, Cow::Borrowed(raw)),
        Some(b'{') => (Kind::Object, Cow::Borrowed(raw)),
        Some(b'[') => (Kind::Array, Cow::Borrowed(raw)),
        _ if raw.contains(['.', 'e', 'E']) => number(raw.parse().map_err(|_| raw.to_string())?)?,
        // Integers as written, as far as 128 bits reach (as polars' reader
        // reads them); their kind is a float past 64 bits, as JSON readers
        // of 64-bit numbers keep them.
        _ => match (raw.parse::<i128>(), raw.parse::<u128>()) {
            (Ok(0), _) => (Kind::Integer, Cow::Borrowed("0")),
            (Ok(v), _) if i64::try_from(v).is_ok() || u64::try_from(v).is_ok() => {
                (Kind::Integer, Cow::Borrowed(raw))
            }
            (Ok(_), _) | (_, Ok(_)) => (Kind::Float, Cow::Borrowed(raw)),
            _ => return Err(format!("number out of range: {raw}")),
        },
    })
}

impl<'de> Visitor<'de> for Cell<'_> {
    type Value = Kind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Kind, E> {
        Ok(self.note(Kind::Boolean))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Kind, E> {
        Ok(self.note(Kind::Integer))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Kind, E> {
        Ok(self.note(Kind::Integer))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Kind, E> {
        Ok(self.note(Kind::Float))
    }
    fn visit_str<E>(self, _: &str) -> Result<Kind, E> {
        Ok(self.note(Kind::Text))
    }
    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Absent)
    }
    fn visit_none<E>(self) -> Result<Kind, E> {
        Ok(Kind::Absent)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.note(Kind::Array))
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Kind, A::Error> {
        self.node.object = true;
        while let Some(key) = map.next_key_seed(Name)? {
            let cell = (&mut *self.row, self.line, self.at);
            let kind = member(&mut map, self.node, &key, cell, self.texts)?;
            if let Some(keys) = self.keys.as_deref_mut()
                && !keys.note(&key, kind, self.line)
            {
                return Err(repeated(&key));
            }
        }
        Ok(self.note(Kind::Object))
    }
}

/// The kinds field `f` refuses whatever the value (Table
/// Schema types a JSON cell by its value: only `string` text is a string;
/// a `year` is an integer or text).
pub fn refused(f: &crate::schema::Field) -> &'static [Kind] {
    use crate::schema::FieldType as F;
    use Kind::*;
    match f.kind {
        F::String | F::Date | F::Time | F::Datetime | F::Duration | F::YearMonth | F::List => {
            &[Integer, Float, Boolean, Object, Array]
        }
        F::Integer | F::Number => &[Boolean, Object, Array],
        F::Boolean => &[Integer, Float, Object, Array],
        F::Object | F::GeoJson => &[Integer, Float, Boolean, Array],
        F::Array => &[Integer, Float, Boolean, Object],
        F::Year => &[Float, Boolean, Object, Array],
        // A geopoint is text, or the JSON value its format writes.
        F::GeoPoint => match f.format.as_deref() {
            Some("array") => &[Integer, Float, Boolean, Object],
            Some("object") => &[Integer, Float, Boolean, Array],
            _ => &[Integer, Float, Boolean, Object, Array],
        },
        F::Any => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that hands out at most a few bytes a read.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn lines_are_split_as_written_whatever_the_reads() {
        let mut next = crate::validate::profiler::xorshift(0x2545_F491_4F6C_DD1D);
        for round in 0..200 {
            let text: Vec<u8> = (0..next() % 3000)
                .map(|_| {
                    if next().is_multiple_of(9) {
                        b'\n'
                    } else {
                        b'a' + (next() % 26) as u8
                    }
                })
                .collect();
            let want: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
            let mut lines = Lines::new(Trickle(&text, 1 + next() as usize % 700));
            // A small buffer, so lines span blocks and the buffer grows.
            lines.buffer = vec![0; 1 + next() as usize % 64];
            let mut got = Vec::new();
            while let Some(line) = lines.next().unwrap() {
                got.push(line.to_vec());
            }
            assert_eq!(got, want, "round {round}");
        }
    }

    /// The columns read in kiln's pass hold what polars' reader makes of
    /// the same lines as text: late and missing members, nulls, escapes,
    /// numbers of every form, blank lines, and a struct of the members the
    /// fields name (null where the member held no object). Objects and
    /// arrays are kept as written, where polars writes them its own way.
    #[test]
    fn columns_read_here_are_those_polars_reads() {
        let text = concat!(
            "{\"a\": \"x\", \"n\": 1.0, \"m\": {\"u\": \"h\", \"v\": 2}}\n",
            "\n  \n",
            "{\"n\": -0, \"a\": \"q\\\"\\u00e9\\n\", \"late\": true}\n",
            "{\"a\": null, \"n\": 18446744073709551616, \"m\": \"flat\"}\n",
            "{\"n\": 1e5, \"m\": {\"v\": -9223372036854775809}, \"late\": false}\n",
            "{\"n\": 2.5E-3, \"a\": \"\", \"m\": null}\n",
            "{\"n\": 12345678901234567890, \"m\": {\"u\": 0.1}}\n",
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        crate::fsutil::write_atomic(&path, text.as_bytes(), dir.path()).unwrap();
        let names = [(0, "a"), (1, "n"), (2, "m.u"), (3, "m.v")];
        let (layout, own) = read_into(&path, &names, Some(IN_MEMORY)).unwrap().unwrap();
        let own = own.unwrap();
        assert!(read_into(&path, &names, Some(100)).unwrap().is_none());
        // Lines 2 and 3 are blank: the second row is on line 4.
        assert_eq!(layout.blank_lines, [2, 3]);
        let lines = lines_of_rows(&layout.blank_lines, &[1, 2, 6]);
        assert_eq!(lines, HashMap::from([(1, 1), (2, 4), (6, 8)]));
        let polars = source::scan(
            &path,
            Format::Ndjson,
            &crate::schema::Dialect::default(),
            None,
            &layout.columns,
        )
        .unwrap()
        .collect()
        .unwrap();
        assert_eq!(own.height(), 6);
        assert_eq!(own, polars, "{own}\n{polars}");
    }

    #[test]
    fn scalars_are_read_by_kind() {
        let cases = [
            ("\"x\"", Kind::Text, "x"),
            ("\"a\\u0062\"", Kind::Text, "ab"),
            ("true", Kind::Boolean, "true"),
            ("-0", Kind::Integer, "0"),
            ("9223372036854775807", Kind::Integer, "9223372036854775807"),
            (
                "18446744073709551615",
                Kind::Integer,
                "18446744073709551615",
            ),
            ("18446744073709551616", Kind::Float, "18446744073709551616"),
            ("-9223372036854775809", Kind::Float, "-9223372036854775809"),
            ("1.0", Kind::Float, "1"),
            ("-0.0", Kind::Float, "-0"),
            ("1e21", Kind::Float, "1000000000000000000000"),
            ("{\"a\": [1,2]}", Kind::Object, "{\"a\": [1,2]}"),
            ("[ ]", Kind::Array, "[ ]"),
        ];
        for (raw, kind, text) in cases {
            assert_eq!(scalar(raw), Ok((kind, Cow::Borrowed(text))), "{raw}");
        }
        assert_eq!(scalar("null").unwrap().0, Kind::Absent);
        for out in ["1e400", "-1e400", "340282366920938463463374607431768211456"] {
            assert!(scalar(out).is_err(), "{out}");
        }
    }

    #[test]
    fn records_are_split_as_written() {
        let lines = |s: &str| records(s.as_bytes()).map(|b| String::from_utf8(b).unwrap());
        assert_eq!(
            lines("[\n {\"b\": 1,\n  \"a\": \"x, ]\\\"\"},\n {}\n]\n").as_deref(),
            Some("{\"b\": 1,   \"a\": \"x, ]\\\"\"}\n{}\n")
        );
        assert_eq!(
            lines(" {\"a\": [1, 2]} ").as_deref(),
            Some("{\"a\": [1, 2]}\n")
        );
        assert_eq!(lines("[]").as_deref(), Some(""));
        for bad in [
            "[1,]", "[,1]", "[1,,2]", "[1", "[1] x", "[1]]", "x", "", "[{]",
        ] {
            assert_eq!(lines(bad), None, "{bad}");
        }
    }
}
