//! Utterance tables (CSV, TSV) read straight into documents and turns.
//!
//! This is the fast path of qualcore's table reader: the Python layer chooses each file's
//! columns (from the header, [`read_header`]) and keeps every message about a bad file.  Here a
//! clean file becomes documents directly (rows of one document joined by a separator, turn
//! offsets into the joined text); anything that would be a problem (a row with more fields
//! than the header, a row without text when that is an error, a bad time, a document id given
//! twice ...) makes [`read_tables`] answer [`TableRead::Fallback`] with the reason, and the
//! caller reads the files the slow way, which reports every problem with its line.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::corpus::{LocalTurns, Turn};

/// Columns of one file, by position in its header (`None`: the table has no such column).
#[derive(Debug, Clone)]
pub struct TableColumns {
    /// The text column.
    pub text: usize,
    /// Speaker names.
    pub speaker: Option<usize>,
    /// Document ids (without one, the whole file is one document named `default_id`).
    pub document: Option<usize>,
    /// Start times (seconds or `[hh:]mm:ss[.fff]`).
    pub time_start: Option<usize>,
    /// End times.
    pub time_end: Option<usize>,
}

/// What to do with rows whose text is empty or white space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingText {
    /// A problem: the caller reads the slow way and reports it.
    Raise,
    /// Left out.
    Drop,
    /// Kept as empty turns.
    Keep,
}

/// One file to read.
#[derive(Debug, Clone)]
pub struct TableFile {
    /// Path.
    pub path: String,
    /// Field separator (`b','` or `b'\t'`).
    pub sep: u8,
    /// Its columns.
    pub columns: TableColumns,
    /// The document id when there is no document column (the file stem).
    pub default_id: String,
}

/// The documents of the files, or why the fast path does not apply.
#[derive(Debug)]
pub enum TableRead {
    /// Documents in file order, each file's in order of their first row, with each file's
    /// document ids.
    Docs(Vec<(String, String, LocalTurns)>, Vec<Vec<String>>),
    /// The reason the caller should read these files the slow way.
    Fallback(String),
}

/// White space as Python's `str.isspace` has it (Unicode `White_Space` plus the information
/// separators U+001C..U+001F), so that stripping agrees with the Python reader.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The file's bytes as UTF-8 text without a BOM, or why not.
fn utf8(path: &str, bytes: &[u8]) -> Result<usize, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(format!("{path}: UTF-16"));
    }
    let skip = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    std::str::from_utf8(&bytes[skip..]).map_err(|_| format!("{path}: not UTF-8"))?;
    Ok(skip)
}

/// The header of a CSV/TSV file (its first record), or why the fast path does not apply (not
/// UTF-8, empty ...).
///
/// ```
/// let p = std::env::temp_dir().join("qualcore-doc-header.csv");
/// std::fs::write(&p, "\u{feff}Speaker,\"Text, said\"\nDan,Hi\n").unwrap();
/// let h = qualcore::tables::read_header(p.to_str().unwrap(), b',').unwrap();
/// assert_eq!(h, ["Speaker", "Text, said"]);
/// ```
pub fn read_header(path: &str, sep: u8) -> Result<Vec<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let skip = utf8(path, &bytes)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[skip..]);
    let mut rec = csv::StringRecord::new();
    match rdr.read_record(&mut rec) {
        Ok(true) => Ok(rec.iter().map(str::to_string).collect()),
        Ok(false) => Err(format!("{path}: empty")),
        Err(e) => Err(format!("{path}: {e}")),
    }
}

/// Seconds from a time cell as the Python reader reads it (`NaN` for an empty cell), or
/// `None` for anything it would not accept without a closer look (the caller then falls back).
fn parse_time(cell: &str) -> Option<f64> {
    let s = cell.trim_matches(py_space);
    if s.is_empty() {
        return Some(f64::NAN);
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return s.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 0.0);
    }
    // [hh:]mm:ss[.fff], optionally in brackets or parentheses, ASCII digits only.
    let inner = s
        .strip_prefix(['[', '('])
        .unwrap_or(s)
        .trim_start_matches([' ', '\t']);
    let inner = inner
        .strip_suffix([']', ')'])
        .unwrap_or(inner)
        .trim_end_matches([' ', '\t']);
    let parts: Vec<&str> = inner.split(':').collect();
    let digits = |p: &str, max: usize| {
        !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
    };
    let (h, m, sec) = match parts.as_slice() {
        [m, sec] => (None, *m, *sec),
        // Up to 12 hour digits: the sum is then exact in f64, as in Python's integer arithmetic.
        [h, m, sec] if digits(h, 12) => (Some(*h), *m, *sec),
        _ => return None,
    };
    if !digits(m, 2) {
        return None;
    }
    let (whole, frac) = match sec.find(['.', ',']) {
        Some(i) => (&sec[..i], Some(&sec[i + 1..])),
        None => (sec, None),
    };
    if !digits(whole, 2) || frac.is_some_and(|f| !digits(f, 30)) {
        return None;
    }
    let minutes: f64 = m.parse().ok()?;
    let seconds: f64 = sec.replace(',', ".").parse().ok()?;
    let hours: f64 = h.map_or(Some(0.0), |h| h.parse().ok())?;
    if (h.is_some() && minutes >= 60.0) || seconds >= 60.0 {
        return None;
    }
    Some(hours * 3600.0 + minutes * 60.0 + seconds)
}

/// A file's documents: id, joined text, turns.
type FileDocs = Vec<(String, String, LocalTurns)>;

/// A cell as a row builder sees it.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    /// No such column, a short row, a missing key or JSON `null`.
    Absent,
    /// Text.
    Str(&'a str),
    /// A JSON number.
    Num(f64),
    /// A JSON boolean, object or array (the Python reader turns these into text its own way).
    Other,
}

/// One document being built: its joined text and turns.
struct DocBuild {
    id: String,
    text: String,
    turns: Vec<Turn>,
    names: Vec<String>,
    name_index: FxHashMap<String, u32>,
}

/// Rows to documents, with the Python reader's rules; every rule it would report a problem
/// for is an `Err` (the reason to fall back).
struct DocsBuilder<'s> {
    path: &'s str,
    default_id: &'s str,
    has_document: bool,
    missing: MissingText,
    separator: &'s str,
    docs: Vec<DocBuild>,
    by_id: FxHashMap<String, usize>,
    rows: usize,
}

impl<'s> DocsBuilder<'s> {
    fn new(f: &'s TableFile, missing: MissingText, separator: &'s str) -> Self {
        DocsBuilder {
            path: &f.path,
            default_id: &f.default_id,
            has_document: f.columns.document.is_some(),
            missing,
            separator,
            docs: Vec::new(),
            by_id: FxHashMap::default(),
            rows: 0,
        }
    }

    /// Room for a file that is one document: its text is at most about `bytes` long and it has
    /// at most `turns` turns, so both are allocated once (growing by doubling would leave freed
    /// blocks behind, file after file).
    fn reserve(&mut self, bytes: usize, turns: usize) {
        if !self.has_document && self.docs.is_empty() {
            self.by_id.insert(self.default_id.to_string(), 0);
            self.docs.push(DocBuild {
                id: self.default_id.to_string(),
                text: String::with_capacity(bytes + self.separator.len() * turns),
                turns: Vec::with_capacity(turns),
                names: Vec::new(),
                name_index: FxHashMap::default(),
            });
        }
    }

    fn time(&self, cell: Cell<'_>) -> Result<f64, String> {
        match cell {
            Cell::Absent => Some(f64::NAN),
            Cell::Str(v) => parse_time(v),
            Cell::Num(x) => Some(x).filter(|x| x.is_finite() && *x >= 0.0),
            Cell::Other => None,
        }
        .ok_or_else(|| format!("{}: a time the fast reader does not take", self.path))
    }

    fn text_of<'c>(&self, cell: Cell<'c>, what: &str) -> Result<Option<&'c str>, String> {
        match cell {
            Cell::Absent => Ok(None),
            Cell::Str(s) => Ok(Some(s)),
            _ => Err(format!("{}: a {what} that is not text", self.path)),
        }
    }

    fn row(
        &mut self,
        text: Cell<'_>,
        speaker: Cell<'_>,
        document: Cell<'_>,
        time_start: Cell<'_>,
        time_end: Cell<'_>,
    ) -> Result<(), String> {
        let path = self.path;
        self.rows += 1;
        // Times are checked on every row, also those left out for want of text (as the Python
        // reader does).
        let (t0, t1) = (self.time(time_start)?, self.time(time_end)?);
        if t1 < t0 {
            return Err(format!("{path}: a turn that ends before it starts"));
        }
        let raw_text = self.text_of(text, "text")?;
        if raw_text.is_none_or(|t| t.chars().all(py_space)) {
            match self.missing {
                MissingText::Raise => return Err(format!("{path}: a row without text")),
                MissingText::Drop => return Ok(()),
                MissingText::Keep => {}
            }
        }
        let text = raw_text.unwrap_or("");
        let speaker = self
            .text_of(speaker, "speaker")?
            .map(|s| s.trim_matches(py_space))
            .filter(|s| !s.is_empty());
        let doc_id = if self.has_document {
            match self
                .text_of(document, "document id")?
                .map(|s| s.trim_matches(py_space))
            {
                Some(s) if !s.is_empty() => s,
                _ => return Err(format!("{path}: a row without a document id")),
            }
        } else {
            self.default_id
        };
        let known = if self.has_document || self.docs.is_empty() {
            self.by_id.get(doc_id).copied()
        } else {
            Some(0) // one document a file, reserved or made by the first row
        };
        let di = match known {
            Some(d) => d,
            None => {
                self.by_id.insert(doc_id.to_string(), self.docs.len());
                self.docs.push(DocBuild {
                    id: doc_id.to_string(),
                    text: String::new(),
                    turns: Vec::new(),
                    names: Vec::new(),
                    name_index: FxHashMap::default(),
                });
                self.docs.len() - 1
            }
        };
        let d = &mut self.docs[di];
        if !d.turns.is_empty() {
            d.text.push_str(self.separator);
        }
        let start = d.text.len();
        // Line ends inside a cell become LF, as everywhere in qualcore.
        if memchr::memchr(b'\r', text.as_bytes()).is_some() {
            d.text
                .push_str(&text.replace("\r\n", "\n").replace('\r', "\n"));
        } else {
            d.text.push_str(text);
        }
        if d.text.len() >= u32::MAX as usize {
            return Err(format!("{path}: a document of 4 GiB or more"));
        }
        let speaker = speaker.map(|s| match d.name_index.get(s) {
            Some(&k) => k,
            None => {
                let k = d.names.len() as u32;
                d.name_index.insert(s.to_string(), k);
                d.names.push(s.to_string());
                k
            }
        });
        d.turns.push(Turn {
            speaker,
            start: start as u32,
            end: d.text.len() as u32,
            label: None,
            time_start: t0,
            time_end: t1,
        });
        Ok(())
    }

    fn finish(self) -> Result<FileDocs, String> {
        if self.rows == 0 {
            return Err(format!("{}: no rows", self.path));
        }
        Ok(self
            .docs
            .into_iter()
            .filter(|d| !d.turns.is_empty())
            .map(|mut d| {
                d.text.shrink_to_fit();
                d.turns.shrink_to_fit();
                (
                    d.id,
                    d.text,
                    LocalTurns {
                        turns: d.turns,
                        names: d.names,
                    },
                )
            })
            .collect())
    }
}

/// True when the file ends inside a quoted field (RFC 4180 quoting: a field that starts with
/// `"` runs to the next `"` that is not doubled).  Only the quotes are visited (memchr).
fn ends_inside_quotes(b: &[u8], sep: u8) -> bool {
    let mut quoted = false;
    let mut quotes = memchr::memchr_iter(b'"', b);
    while let Some(i) = quotes.next() {
        if quoted {
            if b.get(i + 1) == Some(&b'"') {
                quotes.next(); // a doubled quote inside the field
            } else {
                quoted = false;
            }
        } else if i == 0 || matches!(b[i - 1], b'\n' | b'\r') || b[i - 1] == sep {
            quoted = true; // a quote that starts a field opens it
        }
    }
    quoted
}

/// Reads one CSV/TSV file into its documents, or the reason to fall back.
fn read_file(f: &TableFile, missing: MissingText, separator: &str) -> Result<FileDocs, String> {
    let path = f.path.as_str();
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let skip = utf8(path, &bytes)?;
    // The csv crate ends a quoted field left open at the end of the file; pandas reports it.
    if ends_inside_quotes(&bytes[skip..], f.sep) {
        return Err(format!("{path}: a quoted field left open at the end"));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(f.sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[skip..]);
    let mut rec = csv::StringRecord::new();
    let width = match rdr.read_record(&mut rec) {
        Ok(true) => rec.len(),
        _ => return Err(format!("{path}: no header")),
    };
    let c = &f.columns;
    let mut out = DocsBuilder::new(f, missing, separator);
    out.reserve(bytes.len(), memchr::memchr_iter(b'\n', &bytes).count() + 1);
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("{path}: {e}")),
        }
        // A line of only spaces or tabs is skipped by pandas but `"  "` is a row for it, and a
        // record cannot tell the two apart (empty lines never reach here): the Python reader
        // decides.
        if rec.len() == 1 && rec[0].bytes().all(|b| b == b' ' || b == b'\t') {
            return Err(format!("{path}: a line of white space"));
        }
        if rec.len() > width {
            return Err(format!("{path}: a row with more fields than the header"));
        }
        let cell = |i: Option<usize>| i.and_then(|i| rec.get(i)).map_or(Cell::Absent, Cell::Str);
        out.row(
            cell(Some(c.text)),
            cell(c.speaker),
            cell(c.document),
            cell(c.time_start),
            cell(c.time_end),
        )?;
    }
    out.finish()
}

/// Reads the files in parallel; documents in file order.  Any problem in any file, or a
/// document id that two files give, makes the answer [`TableRead::Fallback`].
pub fn read_tables(files: &[TableFile], missing: MissingText, separator: &str) -> TableRead {
    merge(
        files
            .par_iter()
            .map(|f| read_file(f, missing, separator))
            .collect(),
    )
}

/// The files' documents in order, unless one fell back or two give one document id.
fn merge(per_file: Vec<Result<FileDocs, String>>) -> TableRead {
    let mut docs = Vec::new();
    let mut ids = Vec::with_capacity(per_file.len());
    let mut seen: FxHashMap<String, ()> = FxHashMap::default();
    for r in per_file {
        match r {
            Ok(file_docs) => {
                let mut file_ids = Vec::with_capacity(file_docs.len());
                for d in file_docs {
                    if seen.insert(d.0.clone(), ()).is_some() {
                        return TableRead::Fallback(format!("document id {:?} in two files", d.0));
                    }
                    file_ids.push(d.0.clone());
                    docs.push(d);
                }
                ids.push(file_ids);
            }
            Err(why) => return TableRead::Fallback(why),
        }
    }
    TableRead::Docs(docs, ids)
}

// ----------------------------------------------------------------------------- JSON

/// How the columns of JSON records are chosen: the Python reader's `columns=` and
/// `COLUMN_NAMES`, and where the records are.
#[derive(Debug, Clone, Default)]
pub struct JsonSpec {
    /// The key holding the records (`records=`); `None`: a top-level list, or the first of
    /// `record_keys` holding a list.
    pub records: Option<String>,
    /// The keys looked for, in order of preference (the Python reader's `RECORD_KEYS`).
    pub record_keys: Vec<String>,
    /// Roles the caller named: role -> column (`None`: the table has none).
    pub given: Vec<(String, Option<String>)>,
    /// Normalised column names recognised for each role (`COLUMN_NAMES`).
    pub names: Vec<(String, Vec<String>)>,
}

/// A JSON cell, its text kept in the file's arena.
#[derive(Debug, Clone, Copy)]
enum JCell {
    Absent,
    Str(u32, u32),
    Num(f64),
    Other,
}

/// Records as columns (in order of first appearance, as the Python reader makes them).
#[derive(Debug, Default)]
struct Records {
    columns: Vec<String>,
    index: FxHashMap<String, usize>,
    cells: Vec<Vec<JCell>>,
    arena: String,
    n: usize,
    /// An element that is not an object (the Python reader reports it).
    bad: bool,
    /// The column after the one set last.
    next_col: usize,
}

impl Records {
    fn set(&mut self, key: &str, cell: JCell) {
        // Records mostly repeat their keys in one order: try the column after the last one.
        let c = match self.columns.get(self.next_col) {
            Some(name) if name == key => self.next_col,
            _ => match self.index.get(key) {
                Some(&c) => c,
                None => {
                    self.index.insert(key.to_string(), self.columns.len());
                    self.columns.push(key.to_string());
                    self.cells.push(Vec::new());
                    self.columns.len() - 1
                }
            },
        };
        self.next_col = if c + 1 < self.columns.len() { c + 1 } else { 0 };
        let col = &mut self.cells[c];
        col.resize(self.n, JCell::Absent);
        if col.len() > self.n {
            col[self.n] = cell; // a key given twice: the last value counts, as in Python
        } else {
            col.push(cell);
        }
    }

    fn cell(&self, c: Option<usize>, row: usize) -> Cell<'_> {
        match c.and_then(|c| self.cells[c].get(row)) {
            None | Some(JCell::Absent) => Cell::Absent,
            Some(&JCell::Str(a, b)) => Cell::Str(&self.arena[a as usize..b as usize]),
            Some(&JCell::Num(x)) => Cell::Num(x),
            Some(JCell::Other) => Cell::Other,
        }
    }
}

mod json_visit {
    //! serde visitors that stream a JSON document into [`Records`], skipping what is not a
    //! record.
    use std::borrow::Cow;
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use super::{JCell, Records};

    /// A map key, borrowed from the input when it has no escapes.
    struct Key<'de>(Cow<'de, str>);

    impl<'de> serde::Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Key<'de>;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a key")
                }
                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Borrowed(v)))
                }
                fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                    Ok(Key(Cow::Owned(v.to_string())))
                }
            }
            d.deserialize_str(V)
        }
    }

    /// One value of a record, into its column.
    struct CellSeed<'r, 'k> {
        recs: &'r mut Records,
        key: &'k str,
    }

    impl<'de> DeserializeSeed<'de> for CellSeed<'_, '_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            let cell = d.deserialize_any(CellVisitor(&mut self.recs.arena))?;
            self.recs.set(self.key, cell);
            Ok(())
        }
    }

    struct CellVisitor<'a>(&'a mut String);

    impl<'de> Visitor<'de> for CellVisitor<'_> {
        type Value = JCell;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<JCell, E> {
            // Cells are kept by 32-bit offsets: beyond 4 GiB of text the Python reader reads.
            if self.0.len() + v.len() > u32::MAX as usize {
                return Err(E::custom("more than 4 GiB of text in one file"));
            }
            let a = self.0.len() as u32;
            self.0.push_str(v);
            Ok(JCell::Str(a, self.0.len() as u32))
        }
        fn visit_unit<E>(self) -> Result<JCell, E> {
            Ok(JCell::Absent)
        }
        fn visit_none<E>(self) -> Result<JCell, E> {
            Ok(JCell::Absent)
        }
        fn visit_i64<E>(self, v: i64) -> Result<JCell, E> {
            Ok(JCell::Num(v as f64))
        }
        fn visit_u64<E>(self, v: u64) -> Result<JCell, E> {
            Ok(JCell::Num(v as f64))
        }
        fn visit_f64<E>(self, v: f64) -> Result<JCell, E> {
            Ok(JCell::Num(v))
        }
        fn visit_bool<E>(self, _: bool) -> Result<JCell, E> {
            Ok(JCell::Other)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<JCell, A::Error> {
            while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(JCell::Other)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<JCell, A::Error> {
            while s.next_element::<IgnoredAny>()?.is_some() {}
            Ok(JCell::Other)
        }
    }

    /// One element of the records list.
    struct RecordSeed<'r>(&'r mut Records);

    impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(RecordVisitor(self.0))
        }
    }

    struct RecordVisitor<'r>(&'r mut Records);

    impl<'de> Visitor<'de> for RecordVisitor<'_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a record")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
            while let Some(Key(k)) = m.next_key::<Key<'de>>()? {
                m.next_value_seed(CellSeed {
                    recs: self.0,
                    key: &k,
                })?;
            }
            self.0.n += 1;
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
            while s.next_element::<IgnoredAny>()?.is_some() {}
            self.0.bad = true;
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            self.0.bad = true;
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            self.0.bad = true;
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            self.0.bad = true;
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            self.0.bad = true;
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            self.0.bad = true;
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            self.0.bad = true;
            Ok(())
        }
    }

    /// A value that is the records list when it is a list (`None` otherwise).
    struct ListSeed;

    impl<'de> DeserializeSeed<'de> for ListSeed {
        type Value = Option<Records>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Records>, D::Error> {
            d.deserialize_any(ListVisitor)
        }
    }

    struct ListVisitor;

    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Option<Records>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Option<Records>, A::Error> {
            let mut recs = Records::default();
            while s.next_element_seed(RecordSeed(&mut recs))?.is_some() {}
            let n = recs.n;
            for col in &mut recs.cells {
                col.resize(n, JCell::Absent);
            }
            Ok(Some(recs))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Option<Records>, A::Error> {
            while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Option<Records>, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Option<Records>, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Option<Records>, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Option<Records>, E> {
            Ok(None)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Option<Records>, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Option<Records>, E> {
            Ok(None)
        }
    }

    /// The top level: a list of records, or an object whose `wanted` keys are parsed as
    /// candidate record lists (the last value of a key given twice counts).
    pub(super) struct TopSeed<'w> {
        pub(super) wanted: &'w [String],
    }

    /// What the top level held.
    pub(super) enum Top {
        List(Records),
        Keys(Vec<Option<Records>>),
        Other,
    }

    impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
        type Value = Top;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for TopSeed<'_> {
        type Value = Top;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of records or an object holding one")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Top, A::Error> {
            Ok(ListVisitor.visit_seq(s)?.map_or(Top::Other, Top::List))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Top, A::Error> {
            let mut found: Vec<Option<Records>> = self.wanted.iter().map(|_| None).collect();
            while let Some(Key(k)) = m.next_key::<Key<'de>>()? {
                match self.wanted.iter().position(|w| *w == k) {
                    Some(i) => found[i] = m.next_value_seed(ListSeed)?,
                    None => {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(Top::Keys(found))
        }
        fn visit_str<E>(self, _: &str) -> Result<Top, E> {
            Ok(Top::Other)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Top, E> {
            Ok(Top::Other)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Top, E> {
            Ok(Top::Other)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Top, E> {
            Ok(Top::Other)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Top, E> {
            Ok(Top::Other)
        }
        fn visit_unit<E>(self) -> Result<Top, E> {
            Ok(Top::Other)
        }
    }
}

/// A column name as the Python reader compares it (`_norm`): bracketed parts dropped, trimmed,
/// lower-cased, runs of white space, `-` and `.` made `_`.  `None` for a non-ASCII name (the
/// Python reader then decides).
fn norm_name(name: &str) -> Option<String> {
    static BRACKETS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    static SEPS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    if !name.is_ascii() {
        return None;
    }
    let brackets =
        BRACKETS.get_or_init(|| regex::Regex::new(r"\(.*?\)|\[.*?\]").expect("compiles"));
    let seps = SEPS.get_or_init(|| regex::Regex::new(r"[\s\x1c-\x1f\-.]+").expect("compiles"));
    let s = brackets.replace_all(name, "");
    let s = s.trim_matches(py_space).to_ascii_lowercase();
    Some(seps.replace_all(&s, "_").trim_matches('_').to_string())
}

/// The columns of the roles, as the Python reader's `resolve_columns` chooses them from
/// `columns` (in order of first appearance); `None` when it would report a problem.
fn resolve(columns: &[String], spec: &JsonSpec) -> Option<TableColumns> {
    let mut by_norm: FxHashMap<String, &str> = FxHashMap::default();
    for c in columns {
        by_norm.entry(norm_name(c)?).or_insert(c.as_str());
    }
    let given = |role: &str| spec.given.iter().find(|(r, _)| r == role).map(|(_, n)| n);
    let mut taken: Vec<&str> = spec
        .given
        .iter()
        .filter_map(|(_, n)| n.as_deref())
        .collect();
    let mut chosen: FxHashMap<&str, Option<&str>> = FxHashMap::default();
    for role in [
        "document",
        "speaker",
        "text",
        "time_start",
        "time_end",
        "time",
    ] {
        if let Some(name) = given(role) {
            if let Some(n) = name {
                if !columns.contains(n) {
                    return None; // a named column the table lacks
                }
            }
            chosen.insert(role, name.as_deref());
            continue;
        }
        if role == "time_start" && given("time").is_some_and(|n| n.is_some()) {
            chosen.insert(role, None);
            continue;
        }
        if role == "time"
            && (chosen.get("time_start").copied().flatten().is_some()
                || given("time_start").is_some())
        {
            chosen.insert(role, None);
            continue;
        }
        let names = spec
            .names
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, n)| n.as_slice())?;
        let found = names
            .iter()
            .filter_map(|n| by_norm.get(n.as_str()).copied())
            .find(|c| !taken.contains(c));
        if let Some(c) = found {
            taken.push(c);
        }
        chosen.insert(role, found);
    }
    let text = chosen.get("text").copied().flatten()?;
    let mut start = chosen.get("time_start").copied().flatten();
    if start.is_none() {
        start = chosen.get("time").copied().flatten();
    }
    let pos = |n: Option<&str>| n.and_then(|n| columns.iter().position(|c| c == n));
    Some(TableColumns {
        text: pos(Some(text))?,
        speaker: pos(chosen.get("speaker").copied().flatten()),
        document: pos(chosen.get("document").copied().flatten()),
        time_start: pos(start),
        time_end: pos(chosen.get("time_end").copied().flatten()),
    })
}

/// Reads one JSON file of records into its documents, or the reason to fall back.
fn read_json_file(
    path: &str,
    default_id: &str,
    spec: &JsonSpec,
    missing: MissingText,
    separator: &str,
) -> Result<FileDocs, String> {
    use serde::de::DeserializeSeed;
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(format!("{path}: UTF-16"));
    }
    let skip = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let wanted: Vec<String> = match &spec.records {
        Some(k) if k.contains('.') => return Err(format!("{path}: a nested records key")),
        Some(k) => vec![k.clone()],
        None => spec.record_keys.clone(),
    };
    // Validated as UTF-8 once (`utf8` above): a `str` reader does not check each string again.
    let text = std::str::from_utf8(&bytes[skip..]).map_err(|_| format!("{path}: not UTF-8"))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let top = json_visit::TopSeed { wanted: &wanted }
        .deserialize(&mut de)
        .and_then(|t| de.end().map(|()| t))
        .map_err(|e| format!("{path}: {e}"))?;
    let recs = match top {
        json_visit::Top::List(r) if spec.records.is_none() => r,
        // The first wanted key (in order of preference) that holds a list.
        json_visit::Top::Keys(found) => found
            .into_iter()
            .flatten()
            .next()
            .ok_or_else(|| format!("{path}: no list of records under the keys looked for"))?,
        _ => {
            return Err(format!(
                "{path}: not a list of records or an object holding one"
            ))
        }
    };
    if recs.bad {
        return Err(format!("{path}: a record that is not an object"));
    }
    let columns = resolve(&recs.columns, spec)
        .ok_or_else(|| format!("{path}: columns the Python reader must choose"))?;
    let f = TableFile {
        path: path.to_string(),
        sep: b',',
        columns: columns.clone(),
        default_id: default_id.to_string(),
    };
    let mut out = DocsBuilder::new(&f, missing, separator);
    out.reserve(recs.arena.len(), recs.n);
    for row in 0..recs.n {
        out.row(
            recs.cell(Some(columns.text), row),
            recs.cell(columns.speaker, row),
            recs.cell(columns.document, row),
            recs.cell(columns.time_start, row),
            recs.cell(columns.time_end, row),
        )?;
    }
    out.finish()
}

/// Reads JSON record files (`(path, default id)`) in parallel; see [`read_tables`].
pub fn read_json_tables(
    files: &[(String, String)],
    spec: &JsonSpec,
    missing: MissingText,
    separator: &str,
) -> TableRead {
    merge(
        files
            .par_iter()
            .map(|(p, id)| read_json_file(p, id, spec, missing, separator))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, body: &str) -> String {
        let p = std::env::temp_dir().join(format!("qualcore-tables-{}-{name}", std::process::id()));
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    }

    fn file(path: String, columns: TableColumns) -> TableFile {
        TableFile {
            path,
            sep: b',',
            columns,
            default_id: "stem".into(),
        }
    }

    #[test]
    fn open_quotes_at_the_end_are_found() {
        for (body, open) in [
            ("a,b\nx,\"y\n", true),
            ("a,b\nx,\"y\"\"z\n", true),
            ("a,b\nx,\"y\"\"z\"\n", false),
            ("a,b\nx,y\"z\n", false),
            ("a,b\n\"x\",\"\"", false),
            ("a,b\nx,\"two\r\nlines\"", false),
        ] {
            assert_eq!(ends_inside_quotes(body.as_bytes(), b','), open, "{body:?}");
        }
    }

    #[test]
    fn json_times_round_trip_as_python_reads_them() {
        let p = write(
            "floats.json",
            r#"[{"text": "a", "start": 1275.3799999999999}]"#,
        );
        let TableRead::Docs(docs, _) =
            read_json_tables(&[(p, "f".into())], &json_spec(), MissingText::Raise, "\n\n")
        else {
            panic!("fell back")
        };
        assert_eq!(docs[0].2.turns[0].time_start, 1275.3799999999999);
    }

    #[test]
    fn times_as_the_python_reader_reads_them() {
        assert_eq!(parse_time("12.5"), Some(12.5));
        assert_eq!(parse_time(" 01:23 "), Some(83.0));
        assert_eq!(parse_time("[00:01:23,5]"), Some(83.5));
        assert_eq!(parse_time("1:02:03"), Some(3723.0));
        assert!(parse_time("").unwrap().is_nan());
        for bad in ["soon", "-1", "inf", "nan", "1:60:00", "00:61", "1_000"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn rows_become_turns_of_documents_in_order_of_first_row() {
        let p = write(
            "docs.csv",
            "doc,who,said,start\nA,Dan,\"Why, then?\",1\n\nB,Siân,\"Two\r\nlines\",00:02\nA, ,Yes,\n",
        );
        let cols = TableColumns {
            text: 2,
            speaker: Some(1),
            document: Some(0),
            time_start: Some(3),
            time_end: None,
        };
        let TableRead::Docs(docs, ids) = read_tables(&[file(p, cols)], MissingText::Raise, "\n\n")
        else {
            panic!("fell back")
        };
        assert_eq!(ids, vec![vec!["A".to_string(), "B".to_string()]]);
        let (id, text, local) = &docs[0];
        assert_eq!((id.as_str(), text.as_str()), ("A", "Why, then?\n\nYes"));
        assert_eq!(local.names, ["Dan"]);
        assert_eq!(local.turns[1].speaker, None);
        assert_eq!((local.turns[1].start, local.turns[1].end), (12, 15));
        assert_eq!(local.turns[0].time_start, 1.0);
        assert_eq!(docs[1].1, "Two\nlines");
        assert_eq!(docs[1].2.turns[0].time_start, 2.0);
    }

    #[test]
    fn problems_fall_back() {
        let cols = || TableColumns {
            text: 1,
            speaker: Some(0),
            document: None,
            time_start: None,
            time_end: None,
        };
        for (name, body, missing) in [
            (
                "open.csv",
                "who,said\nA,\"hello\nB,bye\n",
                MissingText::Raise,
            ),
            (
                "quoted-blank.csv",
                "who,said\nA,x\n\"\"\nB,y\n",
                MissingText::Keep,
            ),
            ("spaces.csv", "who,said\nA,x\n   \nB,y\n", MissingText::Keep),
            ("long.csv", "who,said\nA,x,extra\n", MissingText::Raise),
            ("blank.csv", "who,said\nA,  \n", MissingText::Raise),
            ("header.csv", "who,said\n", MissingText::Raise),
            ("utf16.csv", "\u{feff}who", MissingText::Raise),
        ] {
            let body = if name == "utf16.csv" {
                let mut b = vec![0xFF, 0xFE];
                b.extend(body.encode_utf16().flat_map(|u| u.to_le_bytes()));
                let p = std::env::temp_dir()
                    .join(format!("qualcore-tables-{}-{name}", std::process::id()));
                std::fs::write(&p, b).unwrap();
                p.to_str().unwrap().to_string()
            } else {
                write(name, body)
            };
            assert!(
                matches!(
                    read_tables(&[file(body, cols())], missing, "\n\n"),
                    TableRead::Fallback(_)
                ),
                "{name}"
            );
        }
        let p = write("drop.csv", "who,said\nA,  \nB,ok\n");
        let TableRead::Docs(docs, _) =
            read_tables(&[file(p.clone(), cols())], MissingText::Drop, "\n\n")
        else {
            panic!("fell back")
        };
        assert_eq!(docs[0].1, "ok");
        let TableRead::Docs(docs, _) = read_tables(&[file(p, cols())], MissingText::Keep, "\n\n")
        else {
            panic!("fell back")
        };
        assert_eq!(docs[0].1, "  \n\nok");
        // Two files giving one document id.
        let a = write("a.csv", "who,said\nA,x\n");
        let b = write("b.csv", "who,said\nB,y\n");
        assert!(matches!(
            read_tables(
                &[file(a, cols()), file(b, cols())],
                MissingText::Raise,
                "\n\n"
            ),
            TableRead::Fallback(_)
        ));
    }

    fn json_spec() -> JsonSpec {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        JsonSpec {
            records: None,
            record_keys: names(&["meeting_transcripts", "turns"]),
            given: vec![],
            names: vec![
                ("document".into(), names(&["doc_id"])),
                ("speaker".into(), names(&["speaker", "name"])),
                ("text".into(), names(&["text", "content"])),
                (
                    "time_start".into(),
                    names(&["time_start", "start", "start_time"]),
                ),
                ("time_end".into(), names(&["time_end", "end"])),
                ("time".into(), names(&["time"])),
            ],
        }
    }

    #[test]
    fn column_names_normalised_as_python_does() {
        for (raw, want) in [
            ("Start Time", "start_time"),
            ("Start (s)", "start"),
            ("speaker.name", "speaker_name"),
            (" Text ", "text"),
            ("End-Time [sec]", "end_time"),
            ("__x__", "x"),
        ] {
            assert_eq!(norm_name(raw).as_deref(), Some(want), "{raw}");
        }
        assert_eq!(norm_name("Zeit (s) ü"), None);
    }

    #[test]
    fn json_records_become_documents() {
        let p = write(
            "ami.json",
            r#"{"topic_list": [{"topic": "x"}], "turns": [{"text": "ignored"}],
                "meeting_transcripts": [
                  {"speaker": "Project Manager", "content": "Okay\r\nRight", "Start Time": 1.5},
                  {"speaker": null, "content": "Yes", "extra": {"nested": [1, 2]}},
                  {"content": "dup", "content": "last", "speaker": " A "}
                ]}"#,
        );
        let TableRead::Docs(docs, ids) = read_json_tables(
            &[(p, "ES2002a".into())],
            &json_spec(),
            MissingText::Raise,
            "\n\n",
        ) else {
            panic!("fell back")
        };
        assert_eq!(ids, vec![vec!["ES2002a".to_string()]]);
        let (_, text, local) = &docs[0];
        assert_eq!(text, "Okay\nRight\n\nYes\n\nlast");
        assert_eq!(local.names, ["Project Manager", "A"]);
        assert_eq!(local.turns[0].time_start, 1.5);
        assert!(local.turns[1].time_start.is_nan() && local.turns[1].speaker.is_none());
        // A top-level list; a record that is not an object falls back; so does a number as text.
        let list = write("list.json", r#"[{"text": "a", "name": "B"}]"#);
        let bad = write("bad.json", r#"[{"text": "a"}, 3]"#);
        let num = write("num.json", r#"[{"text": 3}]"#);
        assert!(matches!(
            read_json_tables(
                &[(list, "l".into())],
                &json_spec(),
                MissingText::Raise,
                "\n\n"
            ),
            TableRead::Docs(..)
        ));
        for f in [bad, num] {
            assert!(matches!(
                read_json_tables(&[(f, "b".into())], &json_spec(), MissingText::Raise, "\n\n"),
                TableRead::Fallback(_)
            ));
        }
    }
}
