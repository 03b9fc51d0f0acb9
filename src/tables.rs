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
        [h, m, sec] if digits(h, 18) => (Some(*h), *m, *sec),
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

/// One document being built: its joined text and turns.
struct DocBuild {
    id: String,
    text: String,
    turns: Vec<Turn>,
    names: Vec<String>,
    name_index: FxHashMap<String, u32>,
}

/// Reads one file into its documents, or the reason to fall back.
fn read_file(f: &TableFile, missing: MissingText, separator: &str) -> Result<FileDocs, String> {
    let path = f.path.as_str();
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let skip = utf8(path, &bytes)?;
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
    let mut docs: Vec<DocBuild> = Vec::new();
    let mut by_id: FxHashMap<String, usize> = FxHashMap::default();
    if c.document.is_none() {
        // The file is one document: its text is at most about the file's size and it has at
        // most a turn a line, so both are allocated once (growing by doubling would leave
        // freed blocks behind, file after file).
        let lines = memchr::memchr_iter(b'\n', &bytes).count() + 1;
        by_id.insert(f.default_id.clone(), 0);
        docs.push(DocBuild {
            id: f.default_id.clone(),
            text: String::with_capacity(bytes.len() + 2 * lines),
            turns: Vec::with_capacity(lines),
            names: Vec::new(),
            name_index: FxHashMap::default(),
        });
    }
    let mut rows = 0usize;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("{path}: {e}")),
        }
        // A blank line (pandas skips those).
        if rec.len() == 1 && rec[0].is_empty() && width > 1 {
            continue;
        }
        if rec.len() > width {
            return Err(format!("{path}: a row with more fields than the header"));
        }
        rows += 1;
        let cell = |i: Option<usize>| i.and_then(|i| rec.get(i));
        // Times are checked on every row, also those left out for want of text (as the
        // Python reader does).
        let time = |col: Option<usize>| match cell(col) {
            None => Some(f64::NAN),
            Some(v) => parse_time(v),
        };
        let (Some(t0), Some(t1)) = (time(c.time_start), time(c.time_end)) else {
            return Err(format!("{path}: a time the fast reader does not take"));
        };
        if t1 < t0 {
            return Err(format!("{path}: a turn that ends before it starts"));
        }
        let raw_text = cell(Some(c.text));
        let blank = raw_text.is_none_or(|t| t.chars().all(py_space));
        if blank {
            match missing {
                MissingText::Raise => return Err(format!("{path}: a row without text")),
                MissingText::Drop => continue,
                MissingText::Keep => {}
            }
        }
        let text = raw_text.unwrap_or("");
        let speaker = cell(c.speaker)
            .map(|s| s.trim_matches(py_space))
            .filter(|s| !s.is_empty());
        let doc_id = match c.document {
            None => f.default_id.as_str(),
            Some(i) => match rec.get(i).map(|s| s.trim_matches(py_space)) {
                Some(s) if !s.is_empty() => s,
                _ => return Err(format!("{path}: a row without a document id")),
            },
        };
        let di = match by_id.get(doc_id) {
            Some(&d) => d,
            None => {
                by_id.insert(doc_id.to_string(), docs.len());
                docs.push(DocBuild {
                    id: doc_id.to_string(),
                    text: String::new(),
                    turns: Vec::new(),
                    names: Vec::new(),
                    name_index: FxHashMap::default(),
                });
                docs.len() - 1
            }
        };
        let d = &mut docs[di];
        if !d.turns.is_empty() {
            d.text.push_str(separator);
        }
        let start = d.text.len();
        // Line ends inside a cell become LF, as everywhere in qualcore.
        if text.contains('\r') {
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
    }
    if rows == 0 {
        return Err(format!("{path}: no rows"));
    }
    Ok(docs
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

/// Reads the files in parallel; documents in file order.  Any problem in any file, or a
/// document id that two files give, makes the answer [`TableRead::Fallback`].
pub fn read_tables(files: &[TableFile], missing: MissingText, separator: &str) -> TableRead {
    let per_file: Vec<Result<FileDocs, String>> = files
        .par_iter()
        .map(|f| read_file(f, missing, separator))
        .collect();
    let mut docs = Vec::new();
    let mut ids = Vec::with_capacity(files.len());
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
}
