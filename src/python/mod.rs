//! The PyO3 binding layer: converts inputs once, releases the GIL around the core call, maps
//! every core error to a Python exception, and returns NumPy arrays and lists that the Python
//! package wraps into DataFrames.  No analysis logic lives here.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use numpy::{IntoPyArray, PyArray1};
use pyo3::exceptions::{PyFileNotFoundError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::coding::{align, autocode, CodeUnit, Folded};
use crate::corpus::{read_text_file, Corpus, LabelParser, LineEnds, LocalTurns, TurnSpec};
use crate::error::{Error, ErrorKind};
use crate::kwic::{kwic, KwicOptions, Within};
use crate::offsets::{bytes_to_chars, chars_to_bytes};
use crate::pattern::{Patterns, ValueType};
use crate::tokenize::{for_each_sentence, for_each_token, Normalization};
use crate::tokens::{segment_document, tokenize_document, TermCounts, Tokens};

// ---------------------------------------------------------------------------------------------
// Errors

/// Name of the exception class in `qualcore.errors` for an error kind.
fn class_name(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::InvalidPattern { .. } => "PatternError",
        ErrorKind::DuplicateDocIds { .. } => "DuplicateIdError",
        ErrorKind::UnknownDocument { .. } => "UnknownDocumentError",
        ErrorKind::Io { .. } => "TranscriptError",
        ErrorKind::Decode { .. } => "TranscriptDecodeError",
        ErrorKind::Parse { .. } => "TranscriptFormatError",
        ErrorKind::InvalidArgument { .. } => "ArgumentError",
        ErrorKind::InvalidTurns { .. } | ErrorKind::DocumentTooLarge { .. } => "CorpusError",
        ErrorKind::Many { errors } => {
            let first = errors.first().map_or("QualcoreError", class_name);
            if errors.iter().all(|e| class_name(e) == first) {
                first
            } else {
                "QualcoreError"
            }
        }
    }
}

fn is_not_found(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::Io { message, .. } => message.contains("No such file"),
        ErrorKind::Many { errors } => errors.iter().all(is_not_found),
        _ => false,
    }
}

/// The one conversion of core errors into Python exceptions (classes from `qualcore.errors`,
/// which also derive from the stdlib type users expect: ValueError, KeyError, OSError).
fn to_py(e: Error) -> PyErr {
    if is_not_found(&e) {
        return PyFileNotFoundError::new_err(e.to_string());
    }
    Python::attach(|py| {
        let problems: Vec<String> = match e.kind() {
            ErrorKind::Many { errors } => errors.iter().map(|x| x.to_string()).collect(),
            _ => vec![e.to_string()],
        };
        let build = || -> PyResult<PyErr> {
            let cls = py.import("qualcore.errors")?.getattr(class_name(&e))?;
            let inst = cls.call1((e.to_string(),))?;
            inst.setattr("problems", problems.clone())?;
            Ok(PyErr::from_value(inst))
        };
        build().unwrap_or_else(|err| err)
    })
}

trait IntoPyResult<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for crate::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

// ---------------------------------------------------------------------------------------------
// Threads

static MODULE_PID: OnceLock<u32> = OnceLock::new();

/// Runs `f` with the GIL released, on rayon: on a pool of `threads` threads when given, else on
/// the global pool.  In a forked child (whose global pool's threads did not survive the fork)
/// a fresh pool is always built, so a fork never deadlocks.
fn run<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    let forked = MODULE_PID
        .get()
        .is_some_and(|&pid| pid != std::process::id());
    let threads = match threads {
        Some(0) => {
            return Err(PyValueError::new_err(
                "threads: must be at least 1 (or None for all cores)",
            ))
        }
        Some(n) => Some(n),
        None if forked => Some(1),
        None => None,
    };
    py.detach(|| match threads {
        None => Ok(f()),
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map(|pool| pool.install(f))
            .map_err(|e| e.to_string()),
    })
    .map_err(|e| PyValueError::new_err(format!("could not start {threads:?} threads: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// Extracts a list of `str` (or UTF-8 `bytes`), naming the row (and document id, when known)
/// of any bad item.
///
/// Items are taken in batches of about 64 MB: under the GIL each `str` gives its UTF-8 (an
/// ASCII `str` its own buffer; any other is encoded into a temporary `bytes`, so that no UTF-8
/// copy is left cached on the caller's strings), then the batch is copied into Rust in
/// parallel with the GIL released and the temporaries dropped.  `bytes` items are consumed:
/// their list slots are emptied once copied, so the caller's bytes are freed as they go.
fn extract_texts(
    texts: &Bound<'_, PyAny>,
    what: &str,
    ids: Option<&[String]>,
    threads: Option<usize>,
) -> PyResult<Vec<String>> {
    const BATCH_BYTES: usize = 64 << 20;
    let py = texts.py();
    let list = texts.cast::<PyList>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: expected a list of str, got {}",
            type_name(texts)
        ))
    })?;
    let at = |i: usize| match ids.and_then(|ids| ids.get(i)) {
        Some(id) => format!("row {i} (document {id:?})"),
        None => format!("row {i}"),
    };
    let n = list.len();
    let mut out: Vec<String> = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        // the objects whose buffers the batch reads, and whether each was a caller's bytes
        let mut held: Vec<(Bound<'_, PyAny>, bool)> = Vec::new();
        let mut size = 0usize;
        while i < n && (held.is_empty() || size < BATCH_BYTES) {
            let item = list.get_item(i)?;
            if let Ok(b) = item.cast::<PyBytes>() {
                // checked now, so that the first bad row is the one named
                if let Err(e) = std::str::from_utf8(b.as_bytes()) {
                    return Err(PyValueError::new_err(format!(
                        "{what}: {} is not valid UTF-8 at byte {}",
                        at(i),
                        e.valid_up_to()
                    )));
                }
                size += b.as_bytes().len();
                held.push((item, true));
            } else {
                let s = item.cast::<PyString>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "{what}: {} is not a str but {}",
                        at(i),
                        type_name(&item)
                    ))
                })?;
                // exact `str` only: a subclass may redefine `isascii`
                if s.is_exact_instance_of::<PyString>()
                    && s.call_method0(pyo3::intern!(py, "isascii"))?.is_truthy()?
                {
                    size += s.len()?;
                    held.push((item, false));
                } else {
                    match s.encode_utf8() {
                        Ok(b) => {
                            size += b.as_bytes().len();
                            held.push((b.into_any(), false));
                        }
                        Err(_) => return Err(lone_surrogate(what, &at(i), s)),
                    }
                }
            }
            i += 1;
        }
        let first = i - held.len();
        let mut slices: Vec<&[u8]> = Vec::with_capacity(held.len());
        for (obj, _) in &held {
            if let Ok(b) = obj.cast::<PyBytes>() {
                slices.push(b.as_bytes());
            } else {
                // an ASCII str: its buffer is its UTF-8, taken without a copy
                slices.push(obj.cast::<PyString>()?.to_str()?.as_bytes());
            }
        }
        let copied: Vec<Result<String, usize>> = run(py, threads, || {
            use rayon::prelude::*;
            slices
                .par_iter()
                .map(|b| match std::str::from_utf8(b) {
                    Ok(t) => Ok(t.to_owned()),
                    Err(e) => Err(e.valid_up_to()),
                })
                .collect()
        })?;
        for (k, r) in copied.into_iter().enumerate() {
            match r {
                Ok(t) => out.push(t),
                Err(pos) => {
                    return Err(PyValueError::new_err(format!(
                        "{what}: {} is not valid UTF-8 at byte {pos}",
                        at(first + k)
                    )))
                }
            }
        }
        drop(slices);
        for (k, (_, consumed)) in held.iter().enumerate() {
            if *consumed {
                list.set_item(first + k, py.None())?;
            }
        }
    }
    Ok(out)
}

/// The error for a `str` that cannot be UTF-8 (a lone surrogate), with the surrogate's index.
fn lone_surrogate(what: &str, at: &str, s: &Bound<'_, PyString>) -> PyErr {
    let py = s.py();
    let pos: PyResult<usize> = (|| {
        let m = py
            .import("re")?
            .call_method1("search", (r"[\ud800-\udfff]", s))?;
        m.call_method0("start")?.extract()
    })();
    let pos = pos.map_or_else(|_| String::from("?"), |p| p.to_string());
    PyValueError::new_err(format!(
        "{what}: {at} is not valid Unicode: lone surrogate at index {pos} \
         (decode the source with errors='replace' or fix the text)"
    ))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn opt_i64(v: Option<u32>) -> i64 {
    v.map_or(-1, i64::from)
}

// ---------------------------------------------------------------------------------------------
// Corpus

/// The native corpus: documents, turns and speakers, held in Rust.  Use `qualcore.Corpus`.
#[pyclass(module = "qualcore._native", name = "Corpus", frozen)]
pub struct PyCorpus {
    inner: Arc<Corpus>,
}

/// A turn in a pickled corpus: (document row, speaker, start, end, label, time_start,
/// time_end), byte offsets.
type PickledTurn<S> = (
    usize,
    Option<S>,
    usize,
    usize,
    Option<(usize, usize)>,
    Option<f64>,
    Option<f64>,
);

/// Turn columns as given from Python: code-point offsets, -1 for "no label".
type TurnColumns = (
    Vec<i64>,
    Vec<Option<String>>,
    Vec<i64>,
    Vec<i64>,
    Vec<i64>,
    Vec<i64>,
    Vec<f64>,
    Vec<f64>,
);

#[pymethods]
impl PyCorpus {
    /// Builds a corpus from ids, texts and (optionally) turn columns with code-point offsets:
    /// `(doc, speaker, start, end, label_start, label_end, time_start, time_end)`, where `doc`
    /// is the row of the document, -1 means no label and NaN no time.
    #[staticmethod]
    #[pyo3(signature = (doc_ids, texts, turns=None))]
    fn build(
        py: Python<'_>,
        doc_ids: Vec<String>,
        texts: &Bound<'_, PyAny>,
        turns: Option<TurnColumns>,
    ) -> PyResult<Self> {
        let texts = extract_texts(texts, "texts", Some(&doc_ids), None)?;
        if texts.len() != doc_ids.len() {
            return Err(PyValueError::new_err(format!(
                "doc_ids and texts differ in length ({} and {})",
                doc_ids.len(),
                texts.len()
            )));
        }
        let corpus = run(py, None, move || build_corpus(doc_ids, texts, turns))?.py_err()?;
        Ok(PyCorpus {
            inner: Arc::new(corpus),
        })
    }

    /// Reads transcripts (in parallel) and splits them into speaker turns.  `formats` gives
    /// each file's format: "text" (speaker labels), "vtt", "srt" or "docx" (default "text").  Every
    /// unreadable file is reported together.
    #[staticmethod]
    #[pyo3(signature = (paths, doc_ids, label_pattern, formats=None, threads=None))]
    fn read_transcripts(
        py: Python<'_>,
        paths: Vec<String>,
        doc_ids: Vec<String>,
        label_pattern: &str,
        formats: Option<Vec<String>>,
        threads: Option<usize>,
    ) -> PyResult<Self> {
        let (corpus, failures) =
            read_files(py, paths, doc_ids, label_pattern, formats, threads, false)?;
        debug_assert!(failures.is_empty());
        Ok(corpus)
    }

    /// As `read_transcripts`, but files that cannot be read are left out and returned as
    /// (path, error class, message) rows beside the corpus of the others.
    #[staticmethod]
    #[allow(clippy::type_complexity)]
    #[pyo3(signature = (paths, doc_ids, label_pattern, formats=None, threads=None))]
    fn read_transcripts_collect(
        py: Python<'_>,
        paths: Vec<String>,
        doc_ids: Vec<String>,
        label_pattern: &str,
        formats: Option<Vec<String>>,
        threads: Option<usize>,
    ) -> PyResult<(Self, Vec<(String, String, String)>)> {
        read_files(py, paths, doc_ids, label_pattern, formats, threads, true)
    }

    /// Per document: the character offsets (in the text) of each LF that was CR LF in the
    /// file, the number of lone CRs made LF, and the file's line-end style.
    fn line_ends<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self
            .inner
            .docs()
            .iter()
            .map(|d| {
                let chars: Vec<i64> = bytes_to_chars(&d.text, &d.line_ends.crlf)
                    .into_iter()
                    .map(|c| c as i64)
                    .collect();
                (
                    chars.into_pyarray(py),
                    d.line_ends.cr,
                    d.line_ends.style(&d.text),
                )
            })
            .collect::<Vec<_>>();
        PyList::new(py, items)
    }

    /// Splits texts already in memory into speaker turns (in parallel), as `read_transcripts`
    /// does for plain-text files.
    #[staticmethod]
    #[pyo3(signature = (doc_ids, texts, label_pattern, threads=None, normalise_newlines=false))]
    fn parse_texts(
        py: Python<'_>,
        doc_ids: Vec<String>,
        texts: &Bound<'_, PyAny>,
        label_pattern: &str,
        threads: Option<usize>,
        normalise_newlines: bool,
    ) -> PyResult<Self> {
        let parser = LabelParser::cached(label_pattern).py_err()?;
        let texts = extract_texts(texts, "texts", Some(&doc_ids), threads)?;
        if doc_ids.len() != texts.len() {
            return Err(PyValueError::new_err(format!(
                "doc_ids: {} ids for {} texts",
                doc_ids.len(),
                texts.len()
            )));
        }
        let corpus = run(py, threads, move || -> crate::Result<Corpus> {
            use rayon::prelude::*;
            let docs: Vec<(String, String, Vec<TurnSpec>, LineEnds)> = doc_ids
                .into_par_iter()
                .zip(texts.into_par_iter())
                .map(|(id, text)| {
                    let (text, ends) = if normalise_newlines {
                        crate::corpus::normalise_newlines(text)
                    } else {
                        (text, LineEnds::default())
                    };
                    let turns = parser.parse(&text);
                    (id, text, turns, ends)
                })
                .collect();
            let ends = docs.iter().map(|d| d.3.clone()).collect();
            let mut corpus = Corpus::new(docs.into_iter().map(|d| (d.0, d.1, d.2)).collect())?;
            corpus.set_line_ends(ends);
            Ok(corpus)
        })?
        .py_err()?;
        Ok(PyCorpus {
            inner: Arc::new(corpus),
        })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Document ids in order.
    fn doc_ids(&self) -> Vec<String> {
        self.inner.docs().iter().map(|d| d.id.clone()).collect()
    }

    /// Texts in order.
    fn texts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.inner.docs().iter().map(|d| d.text.as_str()))
    }

    /// Text of the document at `position`.
    fn text(&self, position: usize) -> PyResult<String> {
        self.inner
            .docs()
            .get(position)
            .map(|d| d.text.clone())
            .ok_or_else(|| PyValueError::new_err(format!("position {position} is out of range")))
    }

    /// Position of a document by id (KeyError-like UnknownDocumentError if absent).
    fn position(&self, doc_id: &str) -> PyResult<usize> {
        self.inner.position(doc_id).py_err()
    }

    /// Speaker names.
    fn speakers(&self) -> Vec<String> {
        self.inner.speakers().to_vec()
    }

    /// Per document: length in code points and number of turns.
    fn doc_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let docs = self.inner.docs();
        let n_chars: Vec<i64> = docs.iter().map(|d| d.text.chars().count() as i64).collect();
        let n_turns: Vec<i64> = docs.iter().map(|d| d.turns.len() as i64).collect();
        PyTuple::new(
            py,
            [
                n_chars.into_pyarray(py).into_any(),
                n_turns.into_pyarray(py).into_any(),
            ],
        )
    }

    /// Turn columns with code-point offsets: doc, turn, speaker, start, end, label_start,
    /// label_end, time_start, time_end (-1 / NaN where absent).
    fn turns_table<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let inner = Arc::clone(&self.inner);
        let cols = run(py, None, move || turn_columns(&inner))?;
        let d = PyDict::new(py);
        d.set_item("doc", cols.doc.into_pyarray(py))?;
        d.set_item("turn", cols.turn.into_pyarray(py))?;
        d.set_item("speaker", cols.speaker.into_pyarray(py))?;
        d.set_item("start", cols.start.into_pyarray(py))?;
        d.set_item("end", cols.end.into_pyarray(py))?;
        d.set_item("label_start", cols.label_start.into_pyarray(py))?;
        d.set_item("label_end", cols.label_end.into_pyarray(py))?;
        d.set_item("time_start", cols.time_start.into_pyarray(py))?;
        d.set_item("time_end", cols.time_end.into_pyarray(py))?;
        Ok(d)
    }

    /// A corpus of the documents at `positions`, in that order.
    fn select(&self, positions: Vec<usize>) -> PyResult<Self> {
        Ok(PyCorpus {
            inner: Arc::new(self.inner.select(&positions).py_err()?),
        })
    }

    /// The same documents analysed only in the turns of `speakers` (None: all text again).
    #[pyo3(signature = (speakers))]
    fn with_speakers(&self, speakers: Option<Vec<String>>) -> Self {
        PyCorpus {
            inner: Arc::new(self.inner.with_speakers(speakers.as_deref())),
        }
    }

    /// The speakers the corpus is restricted to, or None.
    fn speaker_restriction(&self) -> Option<Vec<String>> {
        self.inner.speaker_restriction()
    }

    /// A corpus with speakers renamed (`{old: new}`).
    fn rename_speakers(&self, mapping: HashMap<String, String>) -> PyResult<Self> {
        Ok(PyCorpus {
            inner: Arc::new(self.inner.rename_speakers(&mapping).py_err()?),
        })
    }

    /// Tokenises the corpus (parallel over documents).
    #[pyo3(signature = (lowercase=true, threads=None))]
    fn tokens(
        &self,
        py: Python<'_>,
        lowercase: bool,
        threads: Option<usize>,
    ) -> PyResult<PyTokens> {
        let inner = Arc::clone(&self.inner);
        let tokens = run(py, threads, move || {
            Tokens::build(&inner, Normalization { lowercase })
        })?;
        Ok(PyTokens {
            corpus: Arc::clone(&self.inner),
            tokens: Arc::new(tokens),
        })
    }

    /// The forms of each document (`per_document`) or active unit with their counts, without
    /// token ids; see `qualcore.Tokens.fcm`.
    #[pyo3(signature = (lowercase, per_document, threads=None))]
    fn term_counts(
        &self,
        py: Python<'_>,
        lowercase: bool,
        per_document: bool,
        threads: Option<usize>,
    ) -> PyResult<PyTermCounts> {
        let inner = Arc::clone(&self.inner);
        let terms = run(py, threads, move || {
            TermCounts::build(&inner, Normalization { lowercase }, per_document)
        })?;
        Ok(PyTermCounts {
            terms: Arc::new(terms),
        })
    }

    /// Sentence columns (doc, turn, start, end; code points), sentences inside units.
    #[pyo3(signature = (threads=None))]
    fn sentences<'py>(
        &self,
        py: Python<'py>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let inner = Arc::clone(&self.inner);
        let (doc, turn, start, end) = run(py, threads, move || sentence_columns(&inner))?;
        let d = PyDict::new(py);
        d.set_item("doc", doc.into_pyarray(py))?;
        d.set_item("turn", turn.into_pyarray(py))?;
        d.set_item("start", start.into_pyarray(py))?;
        d.set_item("end", end.into_pyarray(py))?;
        Ok(d)
    }

    /// Keyword in context.  Returns columns: doc, turn, pattern, start, end, token_start,
    /// token_end (arrays) and pre, match, post (lists of str).
    #[pyo3(signature = (patterns, valuetype="glob", case_insensitive=true, window=5, within="turn", speakers=None, threads=None, compiled=None))]
    #[allow(clippy::too_many_arguments)]
    fn kwic<'py>(
        &self,
        py: Python<'py>,
        patterns: Vec<String>,
        valuetype: &str,
        case_insensitive: bool,
        window: i64,
        within: &str,
        speakers: Option<Vec<String>>,
        threads: Option<usize>,
        compiled: Option<PyRef<'py, PyCompiledPatterns>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        if !(0..=u32::MAX as i64).contains(&window) {
            return Err(PyValueError::new_err(format!(
                "window: must be between 0 and {}, got {window}",
                u32::MAX
            )));
        }
        let vt = ValueType::parse(valuetype).py_err()?;
        let within = Within::parse(within).py_err()?;
        let compiled: Arc<Patterns> = match compiled {
            Some(c) if c.patterns == patterns => Arc::clone(&c.inner),
            Some(_) => {
                return Err(PyValueError::new_err(
                    "compiled: compiled from other patterns than `patterns`",
                ))
            }
            None => Arc::new(
                run(py, None, move || {
                    Patterns::new(&patterns, vt, case_insensitive)
                })?
                .py_err()?,
            ),
        };
        let opts = KwicOptions {
            window: window as u32,
            within,
        };
        let inner = match &speakers {
            Some(names) => Arc::new(self.inner.with_speakers(Some(names))),
            None => Arc::clone(&self.inner),
        };
        let hits = run(py, threads, move || kwic(&inner, &compiled, &opts))?;
        let docs = self.inner.docs();
        let slice = |doc: u32, r: (usize, usize)| &docs[doc as usize].text[r.0..r.1];
        let d = PyDict::new(py);
        d.set_item(
            "pre",
            PyList::new(py, hits.iter().map(|h| slice(h.doc, h.pre_bytes)))?,
        )?;
        d.set_item(
            "match",
            PyList::new(py, hits.iter().map(|h| slice(h.doc, h.match_bytes)))?,
        )?;
        d.set_item(
            "post",
            PyList::new(py, hits.iter().map(|h| slice(h.doc, h.post_bytes)))?,
        )?;
        let col =
            |f: &dyn Fn(&crate::kwic::KwicHit) -> i64| hits.iter().map(f).collect::<Vec<i64>>();
        d.set_item("doc", col(&|h| h.doc as i64).into_pyarray(py))?;
        d.set_item("turn", col(&|h| opt_i64(h.turn)).into_pyarray(py))?;
        d.set_item("pattern", col(&|h| h.pattern as i64).into_pyarray(py))?;
        d.set_item("start", col(&|h| h.start as i64).into_pyarray(py))?;
        d.set_item("end", col(&|h| h.end as i64).into_pyarray(py))?;
        d.set_item(
            "token_start",
            col(&|h| h.token_start as i64).into_pyarray(py),
        )?;
        d.set_item("token_end", col(&|h| h.token_end as i64).into_pyarray(py))?;
        Ok(d)
    }

    /// Auto-codes the corpus: `pattern_code[p]` is the code index of pattern `p`.  Returns
    /// columns doc, code, turn, start, end, hits (arrays; code points).
    /// `code_names` (by code index) name the code of a pattern that does not compile.
    #[pyo3(signature = (patterns, pattern_code, unit="match", valuetype="glob", case_insensitive=true, speakers=None, threads=None, code_names=None, compiled=None))]
    #[allow(clippy::too_many_arguments)]
    fn autocode<'py>(
        &self,
        py: Python<'py>,
        patterns: Vec<String>,
        pattern_code: Vec<u32>,
        unit: &str,
        valuetype: &str,
        case_insensitive: bool,
        speakers: Option<Vec<String>>,
        threads: Option<usize>,
        code_names: Option<Vec<String>>,
        compiled: Option<PyRef<'py, PyCompiledPatterns>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        if pattern_code.len() != patterns.len() {
            return Err(PyValueError::new_err(format!(
                "pattern_code: {} codes for {} patterns",
                pattern_code.len(),
                patterns.len()
            )));
        }
        let unit = CodeUnit::parse(unit).py_err()?;
        let vt = ValueType::parse(valuetype).py_err()?;
        let codes_of = pattern_code.clone();
        let compiled: Arc<Patterns> = match compiled {
            Some(c) if c.inner.len() == pattern_code.len() => Arc::clone(&c.inner),
            Some(c) => {
                return Err(PyValueError::new_err(format!(
                    "compiled: {} patterns for {} pattern codes",
                    c.inner.len(),
                    pattern_code.len()
                )))
            }
            None => Arc::new(
                run(py, None, move || {
                    Patterns::new(&patterns, vt, case_insensitive)
                        .map_err(|e| name_codes(e, &patterns, &codes_of, code_names.as_deref()))
                })?
                .py_err()?,
            ),
        };
        let inner = match &speakers {
            Some(names) => Arc::new(self.inner.with_speakers(Some(names))),
            None => Arc::clone(&self.inner),
        };
        let spans = run(py, threads, move || {
            autocode(&inner, &compiled, &pattern_code, unit)
        })?;
        let d = PyDict::new(py);
        let col = |f: &dyn Fn(&crate::coding::CodedSpan) -> i64| {
            spans.iter().map(f).collect::<Vec<i64>>()
        };
        d.set_item("doc", col(&|s| s.doc as i64).into_pyarray(py))?;
        d.set_item("code", col(&|s| s.code as i64).into_pyarray(py))?;
        d.set_item("turn", col(&|s| opt_i64(s.turn)).into_pyarray(py))?;
        d.set_item("start", col(&|s| s.start as i64).into_pyarray(py))?;
        d.set_item("end", col(&|s| s.end as i64).into_pyarray(py))?;
        d.set_item("hits", col(&|s| s.hits as i64).into_pyarray(py))?;
        Ok(d)
    }

    /// Replaces every match of `patterns` by `replacements[i]` in one pass over each document
    /// (labels included; speaker names too) and returns the new corpus and the replacements
    /// made: columns doc, old_start, old_end, new_start, new_end (code points), pattern.
    #[pyo3(signature = (patterns, replacements, valuetype="glob", case_insensitive=true, threads=None))]
    fn pseudonymise<'py>(
        &self,
        py: Python<'py>,
        patterns: Vec<String>,
        replacements: Vec<String>,
        valuetype: &str,
        case_insensitive: bool,
        threads: Option<usize>,
    ) -> PyResult<(Self, Bound<'py, PyDict>)> {
        if replacements.len() != patterns.len() {
            return Err(PyValueError::new_err(format!(
                "replacements: {} replacements for {} patterns",
                replacements.len(),
                patterns.len()
            )));
        }
        let vt = ValueType::parse(valuetype).py_err()?;
        let inner = Arc::clone(&self.inner);
        let (corpus, cols) = run(py, threads, move || -> crate::Result<_> {
            use rayon::prelude::*;
            let compiled = Patterns::new(&patterns, vt, case_insensitive)?;
            let (out, audit) = crate::pseudonym::pseudonymise(&inner, &compiled, &replacements)?;
            // byte offsets -> code points, per document, in parallel
            let mut by_doc: Vec<Vec<&crate::pseudonym::Replaced>> = vec![Vec::new(); inner.len()];
            for r in &audit {
                by_doc[r.doc].push(r);
            }
            let per_doc: Vec<Vec<[i64; 6]>> = by_doc
                .par_iter()
                .enumerate()
                .map(|(di, rs)| {
                    let old: Vec<usize> =
                        rs.iter().flat_map(|r| [r.old_start, r.old_end]).collect();
                    let new: Vec<usize> =
                        rs.iter().flat_map(|r| [r.new_start, r.new_end]).collect();
                    let oc = bytes_to_chars(&inner.docs()[di].text, &old);
                    let nc = bytes_to_chars(&out.docs()[di].text, &new);
                    rs.iter()
                        .enumerate()
                        .map(|(k, r)| {
                            [
                                di as i64,
                                oc[2 * k] as i64,
                                oc[2 * k + 1] as i64,
                                nc[2 * k] as i64,
                                nc[2 * k + 1] as i64,
                                i64::from(r.pattern),
                            ]
                        })
                        .collect()
                })
                .collect();
            let rows: Vec<[i64; 6]> = per_doc.into_iter().flatten().collect();
            Ok((out, rows))
        })?
        .py_err()?;
        let d = PyDict::new(py);
        for (k, name) in [
            "doc",
            "old_start",
            "old_end",
            "new_start",
            "new_end",
            "pattern",
        ]
        .iter()
        .enumerate()
        {
            d.set_item(
                name,
                cols.iter()
                    .map(|r| r[k])
                    .collect::<Vec<i64>>()
                    .into_pyarray(py),
            )?;
        }
        Ok((
            PyCorpus {
                inner: Arc::new(corpus),
            },
            d,
        ))
    }

    /// Aligns extracts onto documents (`docs[i]` is the position of extract `i`'s document).
    /// Returns columns start, end (code points, -1 when not found), method (0 exact,
    /// 1 normalized, 2 fuzzy, 3 not found), candidates, score.
    #[pyo3(signature = (docs, extracts, tolerance=0.15, threads=None))]
    fn align<'py>(
        &self,
        py: Python<'py>,
        docs: Vec<usize>,
        extracts: &Bound<'py, PyAny>,
        tolerance: f64,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let extracts = extract_texts(extracts, "extracts", None, threads)?;
        if docs.len() != extracts.len() {
            return Err(PyValueError::new_err("docs and extracts differ in length"));
        }
        if !(0.0..1.0).contains(&tolerance) {
            return Err(PyValueError::new_err(format!(
                "tolerance: must be in [0, 1), got {tolerance}"
            )));
        }
        if let Some(&bad) = docs.iter().find(|&&d| d >= self.inner.len()) {
            return Err(PyValueError::new_err(format!(
                "docs: position {bad} is out of range"
            )));
        }
        let inner = Arc::clone(&self.inner);
        let rows = run(py, threads, move || {
            use rayon::prelude::*;
            let mut by_doc: Vec<Vec<usize>> = vec![Vec::new(); inner.len()];
            for (i, &d) in docs.iter().enumerate() {
                by_doc[d].push(i);
            }
            let mut out: Vec<AlignRow> = vec![(-1, -1, 3, 0, 0.0); extracts.len()];
            let results: Vec<Vec<(usize, AlignRow)>> = by_doc
                .par_iter()
                .enumerate()
                .filter(|(_, idx)| !idx.is_empty())
                .map(|(d, idx)| {
                    let text = &inner.docs()[d].text;
                    let folded = Folded::new(text);
                    let aligned: Vec<_> = idx
                        .iter()
                        .map(|&i| align(text, &folded, &extracts[i], tolerance))
                        .collect();
                    let offs: Vec<usize> = aligned
                        .iter()
                        .flat_map(|a| a.span.map_or([0, 0], |(s, e)| [s, e]))
                        .collect();
                    let ch = bytes_to_chars(text, &offs);
                    idx.iter()
                        .zip(aligned.iter().zip(ch.chunks_exact(2)))
                        .map(|(&i, (a, c))| {
                            let (s, e) = if a.span.is_some() {
                                (c[0] as i64, c[1] as i64)
                            } else {
                                (-1, -1)
                            };
                            (i, (s, e, a.method as u8, a.candidates, a.score))
                        })
                        .collect()
                })
                .collect();
            for r in results.into_iter().flatten() {
                out[r.0] = r.1;
            }
            out
        })?;
        let d = PyDict::new(py);
        d.set_item(
            "start",
            rows.iter()
                .map(|r| r.0)
                .collect::<Vec<_>>()
                .into_pyarray(py),
        )?;
        d.set_item(
            "end",
            rows.iter()
                .map(|r| r.1)
                .collect::<Vec<_>>()
                .into_pyarray(py),
        )?;
        d.set_item(
            "method",
            rows.iter()
                .map(|r| r.2 as i64)
                .collect::<Vec<_>>()
                .into_pyarray(py),
        )?;
        d.set_item(
            "candidates",
            rows.iter()
                .map(|r| r.3 as i64)
                .collect::<Vec<_>>()
                .into_pyarray(py),
        )?;
        d.set_item(
            "score",
            rows.iter()
                .map(|r| r.4)
                .collect::<Vec<_>>()
                .into_pyarray(py),
        )?;
        Ok(d)
    }

    /// Number of tokens and of word tokens per document, without keeping the tokens.
    #[pyo3(signature = (threads=None))]
    fn token_counts<'py>(
        &self,
        py: Python<'py>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let inner = Arc::clone(&self.inner);
        let (n_tokens, n_words) = run(py, threads, move || {
            use rayon::prelude::*;
            inner
                .docs()
                .par_iter()
                .enumerate()
                .map(|(i, d)| {
                    let (toks, types) = tokenize_document(d, &inner.units(i));
                    let word: Vec<bool> = types
                        .iter()
                        .map(|t| {
                            crate::tokenize::TokenKind::of(t) == crate::tokenize::TokenKind::Word
                        })
                        .collect();
                    let words = toks.ids.iter().filter(|&&i| word[i as usize]).count();
                    (toks.len() as i64, words as i64)
                })
                .unzip::<_, _, Vec<i64>, Vec<i64>>()
        })?;
        PyTuple::new(
            py,
            [
                n_tokens.into_pyarray(py).into_any(),
                n_words.into_pyarray(py).into_any(),
            ],
        )
    }

    /// Pickle support: the corpus is rebuilt from its ids, texts and turns (byte offsets).
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let c = &slf.get().inner;
        let ids: Vec<&str> = c.docs().iter().map(|d| d.id.as_str()).collect();
        let texts: Vec<&str> = c.docs().iter().map(|d| d.text.as_str()).collect();
        let mut turns: Vec<PickledTurn<&str>> = Vec::new();
        for (i, d) in c.docs().iter().enumerate() {
            for t in &d.turns {
                turns.push((
                    i,
                    t.speaker.map(|s| c.speakers()[s as usize].as_str()),
                    t.start as usize,
                    t.end as usize,
                    t.label,
                    t.start_time(),
                    t.end_time(),
                ));
            }
        }
        let ends: Vec<(Vec<usize>, usize)> = c
            .docs()
            .iter()
            .map(|d| (d.line_ends.crlf.clone(), d.line_ends.cr))
            .collect();
        let ctor = py.get_type::<PyCorpus>().getattr("_from_state")?;
        let args = (ids, texts, turns, c.speaker_restriction(), ends).into_pyobject(py)?;
        PyTuple::new(py, [ctor, args.into_any()])
    }

    /// Rebuilds a corpus from the state `__reduce__` gives.
    #[staticmethod]
    #[allow(clippy::type_complexity)]
    #[pyo3(signature = (ids, texts, turns, speakers, line_ends=None))]
    fn _from_state(
        py: Python<'_>,
        ids: Vec<String>,
        texts: Vec<String>,
        turns: Vec<(
            usize,
            Option<String>,
            usize,
            usize,
            Option<(usize, usize)>,
            Option<f64>,
            Option<f64>,
        )>,
        speakers: Option<Vec<String>>,
        line_ends: Option<Vec<(Vec<usize>, usize)>>,
    ) -> PyResult<Self> {
        if ids.len() != texts.len() {
            return Err(PyValueError::new_err(format!(
                "state: {} ids for {} texts",
                ids.len(),
                texts.len()
            )));
        }
        if let Some(bad) = turns.iter().find(|t| t.0 >= ids.len()) {
            return Err(PyValueError::new_err(format!(
                "state: a turn of document row {} (there are {})",
                bad.0,
                ids.len()
            )));
        }
        if let Some(ends) = &line_ends {
            if ends.len() != ids.len() {
                return Err(PyValueError::new_err(format!(
                    "state: {} line-end records for {} documents",
                    ends.len(),
                    ids.len()
                )));
            }
            for (k, ((crlf, cr), text)) in ends.iter().zip(&texts).enumerate() {
                let b = text.as_bytes();
                let lfs = memchr::memchr_iter(b'\n', b).count();
                let ok = crlf.windows(2).all(|w| w[0] < w[1])
                    && crlf.iter().all(|&x| b.get(x) == Some(&b'\n'))
                    && crlf.len() + cr <= lfs;
                if !ok {
                    return Err(PyValueError::new_err(format!(
                        "state: the line-end record of document {:?} does not fit its text",
                        ids[k]
                    )));
                }
            }
        }
        let corpus = run(py, None, move || {
            let mut specs: Vec<Vec<TurnSpec>> = vec![Vec::new(); ids.len()];
            for (i, speaker, start, end, label, time_start, time_end) in turns {
                specs[i].push(TurnSpec {
                    speaker,
                    start,
                    end,
                    label,
                    time_start,
                    time_end,
                });
            }
            Corpus::new(
                ids.into_iter()
                    .zip(texts)
                    .zip(specs)
                    .map(|((a, b), c)| (a, b, c))
                    .collect(),
            )
            .map(|mut c| {
                if let Some(ends) = line_ends {
                    c.set_line_ends(
                        ends.into_iter()
                            .map(|(crlf, cr)| LineEnds { crlf, cr })
                            .collect(),
                    );
                }
                c.with_speakers(speakers.as_deref())
            })
        })?
        .py_err()?;
        Ok(PyCorpus {
            inner: Arc::new(corpus),
        })
    }
}

/// Adds the code a bad pattern belongs to to its error, so the message says which code to fix.
fn name_codes(e: Error, patterns: &[String], codes: &[u32], names: Option<&[String]>) -> Error {
    let Some(names) = names else {
        return e;
    };
    let fix = |e: Error| match e.kind() {
        ErrorKind::InvalidPattern { pattern, reason } => {
            let code = patterns
                .iter()
                .position(|p| p == pattern)
                .and_then(|i| names.get(codes[i] as usize));
            match code {
                Some(c) => Error::invalid_pattern(pattern, format!("{reason} (code {c:?})")),
                None => e,
            }
        }
        _ => e,
    };
    match e.kind() {
        ErrorKind::Many { errors } => Error::new(ErrorKind::Many {
            errors: errors.iter().cloned().map(fix).collect(),
        }),
        _ => fix(e),
    }
}

/// Counts a file as read when dropped (on success and on error alike).
struct CountOnDrop;

impl Drop for CountOnDrop {
    fn drop(&mut self) {
        FILES_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The shared body of `read_transcripts` and `read_transcripts_collect`.
#[allow(clippy::type_complexity)]
fn read_files(
    py: Python<'_>,
    paths: Vec<String>,
    doc_ids: Vec<String>,
    label_pattern: &str,
    formats: Option<Vec<String>>,
    threads: Option<usize>,
    collect: bool,
) -> PyResult<(PyCorpus, Vec<(String, String, String)>)> {
    let parser = LabelParser::cached(label_pattern).py_err()?;
    let formats = formats.unwrap_or_else(|| vec!["text".to_string(); paths.len()]);
    if formats.len() != paths.len() || doc_ids.len() != paths.len() {
        return Err(PyValueError::new_err(
            "paths, doc_ids and formats: one of each per file",
        ));
    }
    if let Some(f) = formats
        .iter()
        .find(|f| !matches!(f.as_str(), "text" | "vtt" | "srt" | "docx"))
    {
        return Err(PyValueError::new_err(format!(
            "format: {f:?} is not one of 'text', 'vtt', 'srt', 'docx'"
        )));
    }
    FILES_READ.store(0, std::sync::atomic::Ordering::Relaxed);
    let (corpus, failures) = run(py, threads, move || -> crate::Result<_> {
        use rayon::prelude::*;
        // Each file's turn specs become compact turns in the worker that read it, so the
        // specs (a speaker name per turn) of all files never exist at once.
        type Read = crate::Result<(String, String, LocalTurns, LineEnds)>;
        let docs: Vec<Read> = doc_ids
            .into_par_iter()
            .zip(paths.par_iter().zip(formats.par_iter()))
            .map(|(id, (path, format))| {
                let _count = CountOnDrop;
                if format == "docx" {
                    let (text, turns) = crate::docx::read_docx(path, &parser)?;
                    return Ok((id, text, LocalTurns::from_specs(turns), LineEnds::default()));
                }
                let (text, ends) = read_text_file(path)?;
                match format.as_str() {
                    "vtt" | "srt" => {
                        let cues = if format == "vtt" {
                            crate::formats::parse_vtt(&text, path, &parser)?
                        } else {
                            crate::formats::parse_srt(&text, path, &parser)?
                        };
                        let (t, turns) = crate::formats::cues_to_document(&cues);
                        Ok((id, t, LocalTurns::from_specs(turns), LineEnds::default()))
                    }
                    _ => {
                        let turns = LocalTurns::from_specs(parser.parse(&text));
                        Ok((id, text, turns, ends))
                    }
                }
            })
            .collect();
        let mut good = Vec::with_capacity(docs.len());
        let mut failures = Vec::new();
        let mut errors = Vec::new();
        for (r, path) in docs.into_iter().zip(paths.iter()) {
            match r {
                Ok(d) => good.push(d),
                Err(e) if collect => {
                    failures.push((path.clone(), class_name(&e).to_string(), e.to_string()))
                }
                Err(e) => errors.push(e),
            }
        }
        if let Some(e) = Error::from_many(errors) {
            return Err(e);
        }
        let ends: Vec<LineEnds> = good.iter_mut().map(|d| std::mem::take(&mut d.3)).collect();
        let mut corpus = Corpus::from_local(good.into_iter().map(|d| (d.0, d.1, d.2)).collect())?;
        corpus.set_line_ends(ends);
        Ok((corpus, failures))
    })?
    .py_err()?;
    Ok((
        PyCorpus {
            inner: Arc::new(corpus),
        },
        failures,
    ))
}

fn build_corpus(
    doc_ids: Vec<String>,
    texts: Vec<String>,
    turns: Option<TurnColumns>,
) -> crate::Result<Corpus> {
    let n = doc_ids.len();
    let mut specs: Vec<Vec<(usize, TurnSpecChars)>> = vec![Vec::new(); n];
    if let Some((doc, speaker, start, end, lstart, lend, tstart, tend)) = turns {
        let m = doc.len();
        for v in [&start, &end, &lstart, &lend] {
            if v.len() != m {
                return Err(Error::invalid_argument(
                    "turns",
                    "turn columns differ in length",
                ));
            }
        }
        if speaker.len() != m || tstart.len() != m || tend.len() != m {
            return Err(Error::invalid_argument(
                "turns",
                "turn columns differ in length",
            ));
        }
        for (k, spk) in speaker.into_iter().enumerate() {
            let di = doc[k];
            if di < 0 || di as usize >= n {
                return Err(Error::invalid_argument(
                    "turns",
                    format!("turn row {k}: document row {di} is out of range"),
                ));
            }
            if start[k] < 0 || end[k] < start[k] {
                return Err(Error::invalid_argument(
                    "turns",
                    format!(
                        "turn row {k} of document {:?}: start {} and end {} are not a span",
                        doc_ids[di as usize], start[k], end[k]
                    ),
                ));
            }
            let t = TurnSpecChars {
                speaker: spk,
                start: start[k] as usize,
                end: end[k] as usize,
                label: (lstart[k] >= 0 && lend[k] >= lstart[k])
                    .then(|| (lstart[k] as usize, lend[k] as usize)),
                time_start: (!tstart[k].is_nan()).then_some(tstart[k]),
                time_end: (!tend[k].is_nan()).then_some(tend[k]),
            };
            let pos = specs[di as usize].len();
            specs[di as usize].push((pos, t));
        }
    }
    use rayon::prelude::*;
    let docs: Vec<crate::Result<(String, String, Vec<TurnSpec>)>> = doc_ids
        .into_par_iter()
        .zip(texts.into_par_iter())
        .zip(specs.into_par_iter())
        .map(|((id, text), specs)| {
            let mut offsets = Vec::with_capacity(specs.len() * 4);
            for (_, t) in &specs {
                offsets.extend([t.start, t.end]);
                if let Some((a, b)) = t.label {
                    offsets.extend([a, b]);
                }
            }
            let bytes = chars_to_bytes(&text, &offsets);
            let mut it = bytes.into_iter();
            let mut out = Vec::with_capacity(specs.len());
            for (k, t) in specs {
                let mut next = || it.next().flatten();
                let (s, e) = (next(), next());
                let label = t.label.map(|_| (next(), next()));
                let (Some(s), Some(e)) = (s, e) else {
                    return Err(Error::new(ErrorKind::InvalidTurns {
                        doc_id: id.clone(),
                        message: format!(
                            "turn {k}: span {}..{} is not inside the text ({} characters)",
                            t.start,
                            t.end,
                            text.chars().count()
                        ),
                    }));
                };
                let label = match label {
                    Some((Some(a), Some(b))) => Some((a, b)),
                    _ => None,
                };
                out.push(TurnSpec {
                    speaker: t.speaker,
                    start: s,
                    end: e,
                    label,
                    time_start: t.time_start,
                    time_end: t.time_end,
                });
            }
            Ok((id, text, out))
        })
        .collect();
    Corpus::new(crate::error::collect_all(docs)?)
}

#[derive(Clone)]
struct TurnSpecChars {
    speaker: Option<String>,
    start: usize,
    end: usize,
    label: Option<(usize, usize)>,
    time_start: Option<f64>,
    time_end: Option<f64>,
}

struct TurnCols {
    doc: Vec<i64>,
    turn: Vec<i64>,
    speaker: Vec<i64>,
    start: Vec<i64>,
    end: Vec<i64>,
    label_start: Vec<i64>,
    label_end: Vec<i64>,
    time_start: Vec<f64>,
    time_end: Vec<f64>,
}

/// Per document: turn, position, start, end of each token.
type TokenCols = (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>);

/// An aligned extract: start, end (code points, -1 = not found), method, candidates, score.
type AlignRow = (i64, i64, u8, u32, f64);

/// speaker, start, end, label_start, label_end, time_start, time_end
type TurnRow = (i64, i64, i64, i64, i64, f64, f64);

fn turn_columns(c: &Corpus) -> TurnCols {
    use rayon::prelude::*;
    let per_doc: Vec<Vec<TurnRow>> = c
        .docs()
        .par_iter()
        .map(|d| {
            let mut offs = Vec::with_capacity(d.turns.len() * 4);
            for t in &d.turns {
                let (a, b) = t.label.unwrap_or((t.start as usize, t.start as usize));
                offs.extend([t.start as usize, t.end as usize, a, b]);
            }
            let ch = bytes_to_chars(&d.text, &offs);
            d.turns
                .iter()
                .zip(ch.chunks_exact(4))
                .map(|(t, o)| {
                    let has = t.label.is_some();
                    (
                        opt_i64(t.speaker),
                        o[0] as i64,
                        o[1] as i64,
                        if has { o[2] as i64 } else { -1 },
                        if has { o[3] as i64 } else { -1 },
                        t.time_start,
                        t.time_end,
                    )
                })
                .collect()
        })
        .collect();
    let total: usize = per_doc.iter().map(Vec::len).sum();
    let mut cols = TurnCols {
        doc: Vec::with_capacity(total),
        turn: Vec::with_capacity(total),
        speaker: Vec::with_capacity(total),
        start: Vec::with_capacity(total),
        end: Vec::with_capacity(total),
        label_start: Vec::with_capacity(total),
        label_end: Vec::with_capacity(total),
        time_start: Vec::with_capacity(total),
        time_end: Vec::with_capacity(total),
    };
    for (di, rows) in per_doc.into_iter().enumerate() {
        for (ti, r) in rows.into_iter().enumerate() {
            cols.doc.push(di as i64);
            cols.turn.push(ti as i64);
            cols.speaker.push(r.0);
            cols.start.push(r.1);
            cols.end.push(r.2);
            cols.label_start.push(r.3);
            cols.label_end.push(r.4);
            cols.time_start.push(r.5);
            cols.time_end.push(r.6);
        }
    }
    cols
}

fn sentence_columns(c: &Corpus) -> (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>) {
    use rayon::prelude::*;
    let per_doc: Vec<Vec<(i64, usize, usize)>> = c
        .docs()
        .par_iter()
        .enumerate()
        .map(|(i, d)| {
            let mut rows = Vec::new();
            for u in c.active_units(i) {
                let slice = &d.text[u.start..u.end];
                for_each_sentence(slice, |s, e| {
                    rows.push((opt_i64(u.turn), u.start + s, u.start + e))
                });
            }
            let offs: Vec<usize> = rows.iter().flat_map(|r| [r.1, r.2]).collect();
            let ch = bytes_to_chars(&d.text, &offs);
            rows.iter()
                .zip(ch.chunks_exact(2))
                .map(|(r, o)| (r.0, o[0], o[1]))
                .collect()
        })
        .collect();
    let (mut doc, mut turn, mut start, mut end) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (di, rows) in per_doc.into_iter().enumerate() {
        for r in rows {
            doc.push(di as i64);
            turn.push(r.0);
            start.push(r.1 as i64);
            end.push(r.2 as i64);
        }
    }
    (doc, turn, start, end)
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// Patterns compiled once (the matcher of KWIC and auto-coding), to be reused across calls
/// and shipped to worker processes: it pickles as its patterns and options and compiles again
/// on the other side.
#[pyclass(module = "qualcore._native", name = "CompiledPatterns", frozen)]
pub struct PyCompiledPatterns {
    inner: Arc<Patterns>,
    patterns: Vec<String>,
    valuetype: String,
    case_insensitive: bool,
}

#[pymethods]
impl PyCompiledPatterns {
    /// Compiles `patterns` (GIL released).  `pattern_code`/`code_names` only name the code of
    /// a pattern that does not compile.
    #[new]
    #[pyo3(signature = (patterns, valuetype="glob", case_insensitive=true, pattern_code=None, code_names=None))]
    fn new(
        py: Python<'_>,
        patterns: Vec<String>,
        valuetype: &str,
        case_insensitive: bool,
        pattern_code: Option<Vec<u32>>,
        code_names: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let vt = ValueType::parse(valuetype).py_err()?;
        if let Some(codes) = &pattern_code {
            if codes.len() != patterns.len() {
                return Err(PyValueError::new_err(format!(
                    "pattern_code: {} codes for {} patterns",
                    codes.len(),
                    patterns.len()
                )));
            }
        }
        let pats = patterns.clone();
        let compiled = run(py, None, move || {
            Patterns::new(&pats, vt, case_insensitive).map_err(|e| match &pattern_code {
                Some(codes) => name_codes(e, &pats, codes, code_names.as_deref()),
                None => e,
            })
        })?
        .py_err()?;
        Ok(PyCompiledPatterns {
            inner: Arc::new(compiled),
            patterns,
            valuetype: valuetype.to_string(),
            case_insensitive,
        })
    }

    fn __len__(&self) -> usize {
        self.patterns.len()
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let c = slf.get();
        let args =
            (c.patterns.clone(), c.valuetype.clone(), c.case_insensitive).into_pyobject(py)?;
        PyTuple::new(
            py,
            [
                py.get_type::<PyCompiledPatterns>().into_any(),
                args.into_any(),
            ],
        )
    }
}

/// The forms of each unit (document or turn) with their counts, held in Rust; what
/// `qualcore.Tokens` uses for document- and turn-level counts before its token ids exist.
#[pyclass(module = "qualcore._native", name = "TermCounts", frozen)]
pub struct PyTermCounts {
    terms: Arc<TermCounts>,
}

impl PyTermCounts {
    /// An error unless the counts are per document (`per_document`) or per unit, as asked.
    fn check_per_document(&self, per_document: bool) -> PyResult<()> {
        if per_document == self.terms.per_document() {
            return Ok(());
        }
        let kind = if self.terms.per_document() {
            "document"
        } else {
            "turn"
        };
        Err(PyValueError::new_err(format!(
            "per_document: these counts are per {kind}"
        )))
    }
}

#[pymethods]
impl PyTermCounts {
    /// Normalised forms, by norm id.
    fn norms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.terms.vocabulary().norms())
    }

    /// True for each norm that is a word (not punctuation).
    fn norm_is_word<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<bool>> {
        norm_is_word(py, self.terms.vocabulary())
    }

    /// (doc, turn) of every unit counted (turn -1: a whole document or text outside turns).
    fn unit_labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        labels_tuple(py, self.terms.labels())
    }

    /// Rank of each norm in code-point order of the forms.
    fn norm_ranks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let terms = Arc::clone(&self.terms);
        Ok(run(py, None, move || terms.vocabulary().norm_ranks())?.into_pyarray(py))
    }

    /// Corpus frequency of each norm.
    fn norm_counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u64>>> {
        let terms = Arc::clone(&self.terms);
        Ok(run(py, None, move || terms.norm_counts())?.into_pyarray(py))
    }

    /// Units × features counts as CSR (indptr, indices, data): column
    /// `feature_of_norm[norm]` (negative: not counted); rows are the units counted
    /// (`per_document` must say which).
    #[pyo3(signature = (feature_of_norm, n, per_document=true))]
    fn unit_matrix<'py>(
        &self,
        py: Python<'py>,
        feature_of_norm: numpy::PyReadonlyArray1<'py, i64>,
        n: usize,
        per_document: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        self.check_per_document(per_document)?;
        let map = feature_of_norm.as_slice()?.to_vec();
        let terms = Arc::clone(&self.terms);
        let m = run(py, None, move || {
            crate::cooc::unit_feature_matrix(terms.units(), &map, n)
        })?
        .py_err()?;
        csr_tuple(py, m)
    }

    /// Term co-occurrence within the units counted (documents or turns, `per_document` must
    /// say which) as (indptr, indices, data); see `Tokens.fcm_units`.
    #[pyo3(signature = (feature_of_norm, n, per_document, boolean, threads=None))]
    fn fcm_units<'py>(
        &self,
        py: Python<'py>,
        feature_of_norm: numpy::PyReadonlyArray1<'py, i64>,
        n: usize,
        per_document: bool,
        boolean: bool,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        self.check_per_document(per_document)?;
        let map = feature_of_norm.as_slice()?.to_vec();
        let terms = Arc::clone(&self.terms);
        let m = run(py, threads, || {
            crate::cooc::cooc_terms_units(&terms, &map, n, boolean)
        })?
        .py_err()?;
        csr_tuple(py, m)
    }
}

/// (doc, turn) arrays of unit labels, -1 for no turn.
fn labels_tuple<'py>(
    py: Python<'py>,
    labels: &[(u32, Option<u32>)],
) -> PyResult<Bound<'py, PyTuple>> {
    let doc: Vec<i64> = labels.iter().map(|&(d, _)| i64::from(d)).collect();
    let turn: Vec<i64> = labels.iter().map(|&(_, t)| opt_i64(t)).collect();
    PyTuple::new(
        py,
        [
            doc.into_pyarray(py).into_any(),
            turn.into_pyarray(py).into_any(),
        ],
    )
}

/// True for each norm of a vocabulary that is a word (not punctuation).
fn norm_is_word<'py>(py: Python<'py>, v: &crate::tokens::Vocabulary) -> Bound<'py, PyArray1<bool>> {
    (0..v.n_norms() as u32)
        .map(|i| v.norm_kind(i) == crate::tokenize::TokenKind::Word)
        .collect::<Vec<_>>()
        .into_pyarray(py)
}

/// A tokenised corpus held in Rust (ids over a vocabulary).  Use `qualcore.Tokens`.
#[pyclass(module = "qualcore._native", name = "Tokens", frozen)]
pub struct PyTokens {
    corpus: Arc<Corpus>,
    tokens: Arc<Tokens>,
}

#[pymethods]
impl PyTokens {
    /// Columns of every token: doc, turn, position, start, end (code points), type (type id).
    #[pyo3(signature = (threads=None))]
    fn columns<'py>(
        &self,
        py: Python<'py>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (corpus, tokens) = (Arc::clone(&self.corpus), Arc::clone(&self.tokens));
        let cols = run(py, threads, move || {
            use rayon::prelude::*;
            let per_doc: Vec<TokenCols> = tokens
                .docs()
                .par_iter()
                .zip(corpus.docs().par_iter())
                .enumerate()
                .map(|(di, (dt, d))| {
                    // offsets are not stored: segment the document again (same tokens)
                    let seg = segment_document(d, &corpus.units(di));
                    let mut offs = Vec::with_capacity(dt.len() * 2);
                    for i in 0..seg.len() {
                        offs.push(seg.starts[i] as usize);
                        offs.push(seg.ends[i] as usize);
                    }
                    let ch = bytes_to_chars(&d.text, &offs);
                    let mut turn = Vec::with_capacity(dt.len());
                    let mut position = Vec::with_capacity(dt.len());
                    for u in &dt.units {
                        turn.extend(std::iter::repeat_n(
                            opt_i64(u.turn),
                            (u.end - u.first) as usize,
                        ));
                        position
                            .extend((u.position..u.position + (u.end - u.first)).map(i64::from));
                    }
                    let starts = ch.iter().step_by(2).map(|&x| x as i64).collect();
                    let ends = ch.iter().skip(1).step_by(2).map(|&x| x as i64).collect();
                    (turn, position, starts, ends)
                })
                .collect();
            let total: usize = tokens.docs().iter().map(|d| d.len()).sum();
            let mut doc = Vec::with_capacity(total);
            let mut position = Vec::with_capacity(total);
            let mut turn = Vec::with_capacity(total);
            let mut start = Vec::with_capacity(total);
            let mut end = Vec::with_capacity(total);
            let mut ty = Vec::with_capacity(total);
            for (di, ((t, p, s, e), dt)) in per_doc.into_iter().zip(tokens.docs()).enumerate() {
                doc.extend(std::iter::repeat_n(di as i64, dt.len()));
                position.extend(p);
                turn.extend(t);
                start.extend(s);
                end.extend(e);
                ty.extend(dt.ids.iter().map(|&x| x as i64));
            }
            (doc, turn, position, start, end, ty)
        })?;
        let d = PyDict::new(py);
        d.set_item("doc", cols.0.into_pyarray(py))?;
        d.set_item("turn", cols.1.into_pyarray(py))?;
        d.set_item("position", cols.2.into_pyarray(py))?;
        d.set_item("start", cols.3.into_pyarray(py))?;
        d.set_item("end", cols.4.into_pyarray(py))?;
        d.set_item("type", cols.5.into_pyarray(py))?;
        Ok(d)
    }

    /// All tokens concatenated in document order: `norm` (normalised-form id of every token),
    /// `unit_offsets` (n_units + 1 token offsets: a unit is a turn or a stretch outside turns),
    /// `unit_doc` and `unit_turn` (-1 outside every turn).
    #[pyo3(signature = (threads=None))]
    fn flat<'py>(&self, py: Python<'py>, threads: Option<usize>) -> PyResult<Bound<'py, PyDict>> {
        let tokens = Arc::clone(&self.tokens);
        let cols = run(py, threads, move || {
            let v = tokens.vocabulary();
            let total: usize = tokens.docs().iter().map(|d| d.len()).sum();
            let n_units: usize = tokens.docs().iter().map(|d| d.units.len()).sum();
            let mut norm = Vec::with_capacity(total);
            let mut offsets = Vec::with_capacity(n_units + 1);
            let mut unit_doc = Vec::with_capacity(n_units);
            let mut unit_turn = Vec::with_capacity(n_units);
            let mut base = 0i64;
            for (di, dt) in tokens.docs().iter().enumerate() {
                norm.extend(dt.ids.iter().map(|&t| i64::from(v.norm_of(t))));
                for u in &dt.units {
                    offsets.push(base + i64::from(u.first));
                    unit_doc.push(di as i64);
                    unit_turn.push(opt_i64(u.turn));
                }
                base += dt.len() as i64;
            }
            offsets.push(base);
            (norm, offsets, unit_doc, unit_turn)
        })?;
        let d = PyDict::new(py);
        d.set_item("norm", cols.0.into_pyarray(py))?;
        d.set_item("unit_offsets", cols.1.into_pyarray(py))?;
        d.set_item("unit_doc", cols.2.into_pyarray(py))?;
        d.set_item("unit_turn", cols.3.into_pyarray(py))?;
        Ok(d)
    }

    /// Documents (`per_document`) or units × features counts as CSR (indptr, indices,
    /// data): column `feature_of_norm[norm]` (negative: not counted).
    #[pyo3(signature = (feature_of_norm, n, per_document=true))]
    fn unit_matrix<'py>(
        &self,
        py: Python<'py>,
        feature_of_norm: numpy::PyReadonlyArray1<'py, i64>,
        n: usize,
        per_document: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let map = feature_of_norm.as_slice()?.to_vec();
        let tokens = Arc::clone(&self.tokens);
        let m = run(py, None, move || {
            crate::cooc::unit_feature_matrix(&tokens.unit_counts(per_document), &map, n)
        })?
        .py_err()?;
        csr_tuple(py, m)
    }

    /// Term co-occurrence within documents (`per_document`) or turns, straight from the token
    /// ids: `feature_of_norm[norm]` is -2 (token removed), -1 (kept in place, not counted) or
    /// a feature id below `n`.  Returns CSR (indptr, indices, data).
    #[pyo3(signature = (feature_of_norm, n, per_document, boolean, threads=None))]
    fn fcm_units<'py>(
        &self,
        py: Python<'py>,
        feature_of_norm: numpy::PyReadonlyArray1<'py, i64>,
        n: usize,
        per_document: bool,
        boolean: bool,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let map = feature_of_norm.as_slice()?.to_vec();
        let tokens = Arc::clone(&self.tokens);
        let m = run(py, threads, || {
            crate::cooc::cooc_tokens_units(&tokens, &map, n, per_document, boolean)
        })?
        .py_err()?;
        csr_tuple(py, m)
    }

    /// Term co-occurrence within `len(weights)` tokens inside turns (or documents); see
    /// `fcm_units` for `feature_of_norm`.
    /// `symmetric=True` (with `ordered=True`) returns M + Mᵀ of the forward counts M: exactly
    /// symmetric weighted sums.
    #[pyo3(signature = (feature_of_norm, n, weights, ordered, per_document, threads=None, symmetric=false))]
    #[allow(clippy::too_many_arguments)]
    fn fcm_window<'py>(
        &self,
        py: Python<'py>,
        feature_of_norm: numpy::PyReadonlyArray1<'py, i64>,
        n: usize,
        weights: Vec<f64>,
        ordered: bool,
        per_document: bool,
        threads: Option<usize>,
        symmetric: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        if symmetric && !ordered {
            return Err(PyValueError::new_err(
                "symmetric: M + M.T is made from the forward counts (ordered=True)",
            ));
        }
        let map = feature_of_norm.as_slice()?.to_vec();
        let tokens = Arc::clone(&self.tokens);
        let m = run(py, threads, || {
            if symmetric
                && weights
                    .iter()
                    .all(|w| w.fract() == 0.0 && w.abs() <= 1024.0)
            {
                // small whole-number weights add up exactly in any order (sums stay far below
                // 2^53: at most 2^32 tokens, 2 x window pairs each): each row counts both
                // directions itself, no transpose needed
                crate::cooc::cooc_tokens_window(&tokens, &map, n, &weights, false, per_document)
            } else {
                crate::cooc::cooc_tokens_window(&tokens, &map, n, &weights, ordered, per_document)
                    .map(|m| if symmetric { m.plus_transpose(n) } else { m })
            }
        })?
        .py_err()?;
        csr_tuple(py, m)
    }

    /// Original forms of the types, by type id.
    fn types<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let v = self.tokens.vocabulary();
        PyList::new(py, (0..v.n_types() as u32).map(|i| v.type_str(i)))
    }

    /// Normalised-form id of every type.
    fn type_norms<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        let v = self.tokens.vocabulary();
        (0..v.n_types() as u32)
            .map(|i| v.norm_of(i) as i64)
            .collect::<Vec<_>>()
            .into_pyarray(py)
    }

    /// Normalised forms, by norm id (ids in order of first occurrence).
    fn norms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.tokens.vocabulary().norms())
    }

    /// True for each norm that is a word (not punctuation).
    fn norm_is_word<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<bool>> {
        norm_is_word(py, self.tokens.vocabulary())
    }

    /// (doc, turn) of every unit (turn -1: text outside turns).
    fn unit_labels<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        labels_tuple(py, &self.tokens.unit_labels())
    }

    /// Rank of each norm in code-point order of the forms.
    fn norm_ranks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let tokens = Arc::clone(&self.tokens);
        Ok(run(py, None, move || tokens.vocabulary().norm_ranks())?.into_pyarray(py))
    }

    /// Corpus frequency of each norm.
    fn norm_counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u64>>> {
        let tokens = Arc::clone(&self.tokens);
        Ok(run(py, None, move || tokens.norm_counts())?.into_pyarray(py))
    }

    /// Tokens and word tokens per document.
    fn doc_lengths<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let tokens = Arc::clone(&self.tokens);
        let words = run(py, None, move || tokens.n_words())?;
        let n: Vec<u64> = self.tokens.docs().iter().map(|d| d.len() as u64).collect();
        PyTuple::new(
            py,
            [
                n.into_pyarray(py).into_any(),
                words.into_pyarray(py).into_any(),
            ],
        )
    }

    /// Type ids of the tokens of document `position`.
    fn ids<'py>(&self, py: Python<'py>, position: usize) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let d =
            self.tokens.docs().get(position).ok_or_else(|| {
                PyValueError::new_err(format!("position {position} is out of range"))
            })?;
        Ok(d.ids.clone().into_pyarray(py))
    }
}

// ---------------------------------------------------------------------------------------------
// Functions

/// Tokenises one string: (start, end) code-point offsets of each token.
#[pyfunction]
fn tokenize<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyTuple>> {
    let mut offs = Vec::new();
    for_each_token(text, |s, e| offs.extend([s, e]));
    let ch = bytes_to_chars(text, &offs);
    let starts: Vec<i64> = ch.iter().step_by(2).map(|&x| x as i64).collect();
    let ends: Vec<i64> = ch.iter().skip(1).step_by(2).map(|&x| x as i64).collect();
    PyTuple::new(
        py,
        [
            starts.into_pyarray(py).into_any(),
            ends.into_pyarray(py).into_any(),
        ],
    )
}

/// The default speaker-label pattern.
#[pyfunction]
fn default_label_pattern() -> &'static str {
    crate::corpus::DEFAULT_LABEL_PATTERN
}

/// Files read so far by the running (or last) `read_transcripts` call of this process, for a
/// progress bar polled from another Python thread while the read runs without the GIL.
static FILES_READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Files read so far by the running (or last) transcript read.
#[pyfunction]
fn files_read() -> usize {
    FILES_READ.load(std::sync::atomic::Ordering::Relaxed)
}

/// (indptr, indices, data) for Python; counts (whole numbers) come as int64 data.
fn csr_tuple<T: CsrData>(py: Python<'_>, m: crate::cooc::Csr<T>) -> PyResult<Bound<'_, PyTuple>> {
    PyTuple::new(
        py,
        [
            m.indptr.into_pyarray(py).into_any(),
            m.indices.into_pyarray(py).into_any(),
            T::into_array(py, m.data),
        ],
    )
}

/// The values of a matrix as a numpy array: counts as int64; weighted sums as float64, or as
/// int64 when every one is a whole number (unit weights).
trait CsrData: Sized {
    fn into_array(py: Python<'_>, data: Vec<Self>) -> Bound<'_, PyAny>;
}

impl CsrData for i64 {
    fn into_array(py: Python<'_>, data: Vec<Self>) -> Bound<'_, PyAny> {
        data.into_pyarray(py).into_any()
    }
}

impl CsrData for f64 {
    fn into_array(py: Python<'_>, data: Vec<Self>) -> Bound<'_, PyAny> {
        if data.iter().all(|v| v.fract() == 0.0 && v.abs() < 9.0e15) {
            data.into_iter()
                .map(|v| v as i64)
                .collect::<Vec<i64>>()
                .into_pyarray(py)
                .into_any()
        } else {
            data.into_pyarray(py).into_any()
        }
    }
}

/// The native module `qualcore._native`.
/// The header of each CSV/TSV file (`sep` "," or "\t"), or None when the fast table reader
/// does not take the file (not UTF-8, empty ...): the Python reader then reads it.
#[pyfunction]
#[pyo3(signature = (paths, seps, threads=None))]
fn table_headers(
    py: Python<'_>,
    paths: Vec<String>,
    seps: Vec<String>,
    threads: Option<usize>,
) -> PyResult<Vec<Option<Vec<String>>>> {
    let seps = table_seps(&seps, paths.len())?;
    run(py, threads, move || {
        use rayon::prelude::*;
        paths
            .par_iter()
            .zip(seps.par_iter())
            .map(|(p, &sep)| crate::tables::read_header(p, sep).ok())
            .collect()
    })
}

fn table_seps(seps: &[String], n: usize) -> PyResult<Vec<u8>> {
    if seps.len() != n {
        return Err(PyValueError::new_err("seps: one per path"));
    }
    seps.iter()
        .map(|s| match s.as_str() {
            "," => Ok(b','),
            "\t" => Ok(b'\t'),
            other => Err(PyValueError::new_err(format!(
                "seps: {other:?} is not one of ',', '\\t'"
            ))),
        })
        .collect()
}

/// Reads clean CSV/TSV utterance tables straight into a corpus: `columns` gives, per file, the
/// positions of the text, speaker, document, start and end time columns (-1: none).  Returns
/// `(corpus, ids per file, "")`, or `(None, [], reason)` when a file has anything the Python
/// reader would report (it then reads them all, with its messages).
#[pyfunction]
#[pyo3(signature = (paths, seps, columns, default_ids, missing_text, separator, threads=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn read_tables(
    py: Python<'_>,
    paths: Vec<String>,
    seps: Vec<String>,
    columns: Vec<(i64, i64, i64, i64, i64)>,
    default_ids: Vec<String>,
    missing_text: &str,
    separator: String,
    threads: Option<usize>,
) -> PyResult<(Option<PyCorpus>, Vec<Vec<String>>, String)> {
    use crate::tables::{TableColumns, TableFile};
    let seps = table_seps(&seps, paths.len())?;
    if columns.len() != paths.len() || default_ids.len() != paths.len() {
        return Err(PyValueError::new_err("columns, default_ids: one per path"));
    }
    let missing = missing_text_arg(missing_text)?;
    let opt = |i: i64| usize::try_from(i).ok();
    let mut files = Vec::with_capacity(paths.len());
    for (((path, sep), c), id) in paths.into_iter().zip(seps).zip(columns).zip(default_ids) {
        let Some(text) = opt(c.0) else {
            return Err(PyValueError::new_err(format!(
                "columns: no text column for {path}"
            )));
        };
        files.push(TableFile {
            path,
            sep,
            columns: TableColumns {
                text,
                speaker: opt(c.1),
                document: opt(c.2),
                time_start: opt(c.3),
                time_end: opt(c.4),
            },
            default_id: id,
        });
    }
    table_corpus(py, threads, move || {
        crate::tables::read_tables(&files, missing, &separator)
    })
}

/// A table read's answer for Python: `(corpus, ids per file, "")`, or `(None, [], reason)`.
#[allow(clippy::type_complexity)]
fn table_corpus(
    py: Python<'_>,
    threads: Option<usize>,
    read: impl FnOnce() -> crate::tables::TableRead + Send,
) -> PyResult<(Option<PyCorpus>, Vec<Vec<String>>, String)> {
    use crate::tables::TableRead;
    let out = run(py, threads, move || match read() {
        TableRead::Fallback(why) => Ok((None, Vec::new(), why)),
        TableRead::Docs(docs, ids) => {
            Corpus::from_local(docs).map(|c| (Some(c), ids, String::new()))
        }
    })?
    .py_err()?;
    Ok((out.0.map(|c| PyCorpus { inner: Arc::new(c) }), out.1, out.2))
}

/// Reads clean JSON record files straight into a corpus, choosing the columns as the Python
/// reader does (`given`: the caller's role -> column; `names`: `COLUMN_NAMES`).  Returns
/// `(corpus, ids per file, "")`, or `(None, [], reason)` when the Python reader must read them.
#[pyfunction]
#[pyo3(signature = (paths, default_ids, records, record_keys, given, names, missing_text, separator, threads=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn read_json_tables(
    py: Python<'_>,
    paths: Vec<String>,
    default_ids: Vec<String>,
    records: Option<String>,
    record_keys: Vec<String>,
    given: Vec<(String, Option<String>)>,
    names: Vec<(String, Vec<String>)>,
    missing_text: &str,
    separator: String,
    threads: Option<usize>,
) -> PyResult<(Option<PyCorpus>, Vec<Vec<String>>, String)> {
    use crate::tables::JsonSpec;
    if default_ids.len() != paths.len() {
        return Err(PyValueError::new_err("default_ids: one per path"));
    }
    let missing = missing_text_arg(missing_text)?;
    let spec = JsonSpec {
        records,
        record_keys,
        given,
        names,
    };
    let files: Vec<(String, String)> = paths.into_iter().zip(default_ids).collect();
    table_corpus(py, threads, move || {
        crate::tables::read_json_tables(&files, &spec, missing, &separator)
    })
}

fn missing_text_arg(missing_text: &str) -> PyResult<crate::tables::MissingText> {
    use crate::tables::MissingText;
    match missing_text {
        "raise" => Ok(MissingText::Raise),
        "drop" => Ok(MissingText::Drop),
        "keep" => Ok(MissingText::Keep),
        other => Err(PyValueError::new_err(format!(
            "missing_text: {other:?} is not one of 'raise', 'drop', 'keep'"
        ))),
    }
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let _ = MODULE_PID.set(std::process::id());
    m.add_class::<PyCorpus>()?;
    m.add_class::<PyTokens>()?;
    m.add_class::<PyTermCounts>()?;
    m.add_class::<PyCompiledPatterns>()?;
    m.add_function(wrap_pyfunction!(tokenize, m)?)?;
    m.add_function(wrap_pyfunction!(default_label_pattern, m)?)?;
    m.add_function(wrap_pyfunction!(files_read, m)?)?;
    m.add_function(wrap_pyfunction!(table_headers, m)?)?;
    m.add_function(wrap_pyfunction!(read_tables, m)?)?;
    m.add_function(wrap_pyfunction!(read_json_tables, m)?)?;
    Ok(())
}
