//! The corpus model: documents, speaker turns and the units that analyses run over.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use regex::Regex;

use crate::error::{Error, ErrorKind, Result};

/// One speaker turn of a document.  Offsets are byte offsets into the document's text.
#[derive(Debug, Clone)]
pub struct Turn {
    /// Index into [`Corpus::speakers`]; `None` for a turn whose speaker is not known.
    pub speaker: Option<u32>,
    /// Start of the turn's content (after any speaker label); `u32`, as documents are limited
    /// to 4 GiB.
    pub start: u32,
    /// End of the turn's content (exclusive, trailing white space trimmed).
    pub end: u32,
    /// Byte range of the speaker label (`Dan:`) in the text, when the text carries one.
    pub label: Option<(usize, usize)>,
    /// Start time in seconds; NaN when not known (a plain `f64` keeps the turn at 56 bytes,
    /// which matters for transcripts of a million short turns).
    pub time_start: f64,
    /// End time in seconds; NaN when not known.
    pub time_end: f64,
}

/// Equal when every field is, unknown times (NaN) being equal to each other.
impl PartialEq for Turn {
    fn eq(&self, o: &Turn) -> bool {
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        self.speaker == o.speaker
            && self.start == o.start
            && self.end == o.end
            && self.label == o.label
            && same(self.time_start, o.time_start)
            && same(self.time_end, o.time_end)
    }
}

impl Turn {
    /// The start time, when known.
    pub fn start_time(&self) -> Option<f64> {
        (!self.time_start.is_nan()).then_some(self.time_start)
    }

    /// The end time, when known.
    pub fn end_time(&self) -> Option<f64> {
        (!self.time_end.is_nan()).then_some(self.time_end)
    }
}

/// A document's turns with doc-local speaker indices into `names`, made from turn specs one
/// document at a time (so a reader never holds every file's specs at once); see
/// [`Corpus::from_local`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocalTurns {
    /// Turns whose `speaker` indexes `names`.
    pub turns: Vec<Turn>,
    /// Speaker names in order of first appearance in the document.
    pub names: Vec<String>,
}

impl LocalTurns {
    /// Converts specs, interning speaker names within the document.
    pub fn from_specs(specs: Vec<TurnSpec>) -> LocalTurns {
        let mut names: Vec<String> = Vec::new();
        let mut index: HashMap<String, u32> = HashMap::new();
        // A new allocation of exactly the turns' size: `collect` from the specs' own vector
        // would reuse (and keep) their larger allocation.
        let mut turns = Vec::with_capacity(specs.len());
        turns.extend(specs.into_iter().map(|s| Turn {
            speaker: s.speaker.map(|name| match index.get(&name) {
                Some(&i) => i,
                None => {
                    let i = names.len() as u32;
                    index.insert(name.clone(), i);
                    names.push(name);
                    i
                }
            }),
            // Saturated: a span past 4 GiB is then outside any valid text (`validate`).
            start: u32::try_from(s.start).unwrap_or(u32::MAX),
            end: u32::try_from(s.end).unwrap_or(u32::MAX),
            label: s.label,
            time_start: s.time_start.unwrap_or(f64::NAN),
            time_end: s.time_end.unwrap_or(f64::NAN),
        }));
        LocalTurns { turns, names }
    }
}

/// A document: an id, its text and its turns (in text order, not overlapping).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Unique id.
    pub id: String,
    /// The full text; every offset refers to it.
    pub text: String,
    /// Speaker turns in text order.
    pub turns: Vec<Turn>,
    /// How the file's line ends were normalised to LF (empty for texts given in memory).
    pub line_ends: LineEnds,
}

/// The line ends a reader changed to LF, so that offsets can be mapped back to the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEnds {
    /// Byte offsets, in the normalised text, of each LF that was a CR LF pair in the file.
    pub crlf: Vec<usize>,
    /// Number of lone CRs (old Mac line ends) turned into LF; offsets are unchanged by them.
    pub cr: usize,
}

impl LineEnds {
    /// "LF", "CRLF", "CR" or "mixed": the file's line-end convention, as far as it had any.
    pub fn style(&self, text: &str) -> &'static str {
        let lf_total = memchr::memchr_iter(b'\n', text.as_bytes()).count();
        let crlf = self.crlf.len();
        let plain = lf_total.saturating_sub(crlf + self.cr);
        match (crlf > 0, self.cr > 0, plain > 0) {
            (true, false, false) => "CRLF",
            (false, true, false) => "CR",
            (false, false, _) => "LF",
            _ => "mixed",
        }
    }
}

/// Normalises CR LF and lone CR line ends to LF, recording what changed.
///
/// ```
/// use qualcore::corpus::normalise_newlines;
/// let (t, ends) = normalise_newlines("a\r\nb\rc\n".to_string());
/// assert_eq!(t, "a\nb\nc\n");
/// assert_eq!((ends.crlf, ends.cr), (vec![1], 1));
/// ```
pub fn normalise_newlines(text: String) -> (String, LineEnds) {
    if memchr::memchr(b'\r', text.as_bytes()).is_none() {
        return (text, LineEnds::default());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut ends = LineEnds::default();
    let mut i = 0;
    while i < bytes.len() {
        match memchr::memchr(b'\r', &bytes[i..]) {
            None => {
                out.extend_from_slice(&bytes[i..]);
                break;
            }
            Some(k) => {
                out.extend_from_slice(&bytes[i..i + k]);
                let at = i + k;
                if bytes.get(at + 1) == Some(&b'\n') {
                    ends.crlf.push(out.len());
                    out.push(b'\n');
                    i = at + 2;
                } else {
                    ends.cr += 1;
                    out.push(b'\n');
                    i = at + 1;
                }
            }
        }
    }
    // Only ASCII CR bytes were replaced: the result is still UTF-8.
    (
        String::from_utf8(out).expect("replacing CR keeps UTF-8 valid"),
        ends,
    )
}

/// A stretch of a document that analyses treat as one unit: a turn's content, or text outside
/// any turn (headers, notes).  Byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// Index of the turn, or `None` for text outside every turn.
    pub turn: Option<u32>,
    /// False for a unit that a speaker restriction leaves out (its tokens still count for
    /// token positions, so positions are the same in a restricted corpus).
    pub active: bool,
}

impl Document {
    /// The units of the document in text order: each turn's content, and every stretch of
    /// non-blank text outside turns and labels.  A document without turns is one unit.
    pub fn units(&self) -> Vec<Unit> {
        let mut units = Vec::with_capacity(self.turns.len() * 2 + 1);
        let mut pos = 0;
        let push_gap = |units: &mut Vec<Unit>, a: usize, b: usize| {
            let gap = &self.text[a..b];
            let trimmed = gap.trim();
            if !trimmed.is_empty() {
                let lead = gap.len() - gap.trim_start().len();
                units.push(Unit {
                    start: a + lead,
                    end: a + lead + trimmed.len(),
                    turn: None,
                    active: true,
                });
            }
        };
        for (i, t) in self.turns.iter().enumerate() {
            let (start, end) = (t.start as usize, t.end as usize);
            let head = t.label.map_or(start, |(s, _)| s.min(start));
            if head > pos {
                push_gap(&mut units, pos, head);
            }
            units.push(Unit {
                start,
                end,
                turn: Some(i as u32),
                active: true,
            });
            pos = end.max(pos);
        }
        if pos < self.text.len() {
            push_gap(&mut units, pos, self.text.len());
        }
        units
    }

    /// Checks that turns are in order, inside the text, on char boundaries and not overlapping.
    pub fn validate(&self) -> Result<()> {
        // Below u32::MAX, so that a saturated offset (see `LocalTurns`) is never inside.
        if self.text.len() >= u32::MAX as usize {
            return Err(Error::new(ErrorKind::DocumentTooLarge {
                doc_id: self.id.clone(),
                bytes: self.text.len(),
            }));
        }
        let mut prev_end = 0;
        for (i, t) in self.turns.iter().enumerate() {
            let (start, end) = (t.start as usize, t.end as usize);
            let bad = |message: String| {
                Err(Error::new(ErrorKind::InvalidTurns {
                    doc_id: self.id.clone(),
                    message: format!("turn {i}: {message}"),
                }))
            };
            if start > end || end > self.text.len() {
                return bad(format!(
                    "span {}..{} is not inside the text ({} bytes)",
                    start,
                    end,
                    self.text.len()
                ));
            }
            if !self.text.is_char_boundary(start) || !self.text.is_char_boundary(end) {
                return bad("span does not fall on character boundaries".into());
            }
            if let Some((a, b)) = t.label {
                if a > b
                    || b > self.text.len()
                    || !self.text.is_char_boundary(a)
                    || !self.text.is_char_boundary(b)
                {
                    return bad(format!(
                        "label span {a}..{b} is not a span of the text on character boundaries"
                    ));
                }
            }
            let head = t.label.map_or(start, |(s, _)| s.min(start));
            if head < prev_end {
                return bad("overlaps the previous turn (turns must be in text order)".into());
            }
            prev_end = end;
        }
        Ok(())
    }
}

/// A collection of documents with unique ids and a shared table of speaker names.
///
/// Cloning is cheap (documents are shared).  A corpus may be restricted to some speakers
/// ([`Corpus::with_speakers`]): then only their turns are units, and text outside turns is not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Corpus {
    docs: Arc<Vec<Document>>,
    speakers: Vec<String>,
    index: Arc<HashMap<String, usize>>,
    speaker_filter: Option<Arc<Vec<bool>>>,
}

/// A turn as given by a caller, with the speaker by name.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnSpec {
    /// Speaker name, if known.
    pub speaker: Option<String>,
    /// Content start (byte).
    pub start: usize,
    /// Content end (byte, exclusive).
    pub end: usize,
    /// Label span (bytes).
    pub label: Option<(usize, usize)>,
    /// Start time (s).
    pub time_start: Option<f64>,
    /// End time (s).
    pub time_end: Option<f64>,
}

impl Corpus {
    /// Builds a corpus; document ids must be unique and turns valid.  Every problem is reported
    /// at once.
    ///
    /// ```
    /// use qualcore::corpus::Corpus;
    /// let c = Corpus::new(vec![("a".into(), "Hello".into(), vec![])]).unwrap();
    /// assert_eq!(c.len(), 1);
    /// assert!(Corpus::new(vec![("a".into(), "x".into(), vec![]), ("a".into(), "y".into(), vec![])]).is_err());
    /// ```
    pub fn new(docs: Vec<(String, String, Vec<TurnSpec>)>) -> Result<Corpus> {
        Corpus::from_local(
            docs.into_iter()
                .map(|(id, text, specs)| (id, text, LocalTurns::from_specs(specs)))
                .collect(),
        )
    }

    /// Builds a corpus from documents whose turns name speakers by doc-local index
    /// ([`LocalTurns`]); the turns are moved, their speaker indices remapped in place.
    pub fn from_local(docs: Vec<(String, String, LocalTurns)>) -> Result<Corpus> {
        let mut speakers: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::with_capacity(docs.len());
        let mut out: Vec<Document> = Vec::with_capacity(docs.len());
        let mut speaker_index: HashMap<String, u32> = HashMap::new();
        let mut duplicates = Vec::new();
        let mut errors = Vec::new();
        for (id, text, local) in docs {
            if index.contains_key(&id) {
                if !duplicates.contains(&id) {
                    duplicates.push(id);
                }
                continue;
            }
            let LocalTurns { mut turns, names } = local;
            let global: Vec<u32> = names
                .into_iter()
                .map(|name| match speaker_index.get(&name) {
                    Some(&i) => i,
                    None => {
                        let next = speakers.len() as u32;
                        speaker_index.insert(name.clone(), next);
                        speakers.push(name);
                        next
                    }
                })
                .collect();
            let mut bad_speaker = false;
            for t in &mut turns {
                if let Some(s) = t.speaker {
                    match global.get(s as usize) {
                        Some(&g) => t.speaker = Some(g),
                        None => bad_speaker = true,
                    }
                }
            }
            if bad_speaker {
                errors.push(Error::invalid_argument(
                    "turns",
                    format!("document {id:?}: a turn's speaker index is out of range"),
                ));
            }
            let doc = Document {
                id,
                text,
                turns,
                line_ends: LineEnds::default(),
            };
            if let Err(e) = doc.validate() {
                errors.push(e);
            }
            index.insert(doc.id.clone(), out.len());
            out.push(doc);
        }
        if !duplicates.is_empty() {
            errors.insert(
                0,
                Error::new(ErrorKind::DuplicateDocIds { ids: duplicates }),
            );
        }
        match Error::from_many(errors) {
            Some(e) => Err(e),
            None => Ok(Corpus {
                docs: Arc::new(out),
                speakers,
                index: Arc::new(index),
                speaker_filter: None,
            }),
        }
    }

    /// Records how each document's line ends were normalised (in document order).
    pub fn set_line_ends(&mut self, ends: Vec<LineEnds>) {
        let docs = Arc::make_mut(&mut self.docs);
        for (d, e) in docs.iter_mut().zip(ends) {
            d.line_ends = e;
        }
    }

    /// The same documents, analysed only in the turns of `names` (`None`: everything again).
    /// Names the corpus does not know are ignored.
    pub fn with_speakers(&self, names: Option<&[String]>) -> Corpus {
        let mut c = self.clone();
        c.speaker_filter = names.map(|names| {
            Arc::new(
                self.speakers
                    .iter()
                    .map(|s| names.iter().any(|n| n == s))
                    .collect(),
            )
        });
        c
    }

    /// The speakers the corpus is restricted to, if it is.
    pub fn speaker_restriction(&self) -> Option<Vec<String>> {
        self.speaker_filter.as_ref().map(|f| {
            self.speakers
                .iter()
                .zip(f.iter())
                .filter(|(_, &keep)| keep)
                .map(|(s, _)| s.clone())
                .collect()
        })
    }

    /// The units of document `i`, each marked active when analyses see it: all of them, or
    /// only the turns of the speakers the corpus is restricted to.
    pub fn units(&self, i: usize) -> Vec<Unit> {
        let doc = &self.docs[i];
        let mut units = doc.units();
        if let Some(keep) = &self.speaker_filter {
            for u in &mut units {
                u.active = u
                    .turn
                    .and_then(|t| doc.turns[t as usize].speaker)
                    .is_some_and(|s| keep[s as usize]);
            }
        }
        units
    }

    /// The active units of document `i` (see [`Corpus::units`]).
    pub fn active_units(&self, i: usize) -> Vec<Unit> {
        let mut units = self.units(i);
        units.retain(|u| u.active);
        units
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when the corpus has no documents.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The documents in order.
    pub fn docs(&self) -> &[Document] {
        &self.docs
    }

    /// Speaker names; [`Turn::speaker`] indexes this table.
    pub fn speakers(&self) -> &[String] {
        &self.speakers
    }

    /// Position of a document by id.
    pub fn position(&self, id: &str) -> Result<usize> {
        self.index
            .get(id)
            .copied()
            .ok_or_else(|| Error::new(ErrorKind::UnknownDocument { id: id.to_string() }))
    }

    /// A new corpus with the documents at `positions`, in that order.
    pub fn select(&self, positions: &[usize]) -> Result<Corpus> {
        let mut docs = Vec::with_capacity(positions.len());
        for &p in positions {
            let d = self.docs.get(p).ok_or_else(|| {
                Error::invalid_argument("positions", format!("{p} is out of range"))
            })?;
            docs.push((d.id.clone(), d.text.clone(), self.turn_specs(d)));
        }
        let mut out = Corpus::new(docs)?;
        out.set_line_ends(
            positions
                .iter()
                .map(|&p| self.docs[p].line_ends.clone())
                .collect(),
        );
        Ok(out.with_speakers(self.speaker_restriction().as_deref()))
    }

    /// A document's turns with speaker names, as [`Corpus::new`] takes them.
    pub fn turn_specs(&self, d: &Document) -> Vec<TurnSpec> {
        d.turns
            .iter()
            .map(|t| TurnSpec {
                speaker: t.speaker.map(|s| self.speakers[s as usize].clone()),
                start: t.start as usize,
                end: t.end as usize,
                label: t.label,
                time_start: t.start_time(),
                time_end: t.end_time(),
            })
            .collect()
    }

    /// Renames speakers (`old -> new`); speakers that end up with the same name are merged.
    pub fn rename_speakers(&self, mapping: &HashMap<String, String>) -> Result<Corpus> {
        let docs = self
            .docs
            .iter()
            .map(|d| {
                let mut specs = self.turn_specs(d);
                for s in &mut specs {
                    if let Some(name) = &s.speaker {
                        if let Some(new) = mapping.get(name) {
                            s.speaker = Some(new.clone());
                        }
                    }
                }
                (d.id.clone(), d.text.clone(), specs)
            })
            .collect();
        let restriction = self.speaker_restriction().map(|names| {
            names
                .into_iter()
                .map(|n| mapping.get(&n).cloned().unwrap_or(n))
                .collect::<Vec<_>>()
        });
        let mut out = Corpus::new(docs)?;
        out.set_line_ends(self.docs.iter().map(|d| d.line_ends.clone()).collect());
        Ok(out.with_speakers(restriction.as_deref()))
    }
}

/// How speaker labels are recognised at the start of a line.
#[derive(Debug, Clone)]
pub struct LabelParser {
    pattern: String,
    /// The compiled pattern; for the default pattern compiled on first need (most labels,
    /// plain ASCII `Name:`, are read without it, and compiling its Unicode classes takes about
    /// 10 ms and 4 MB).
    compiled: std::sync::OnceLock<CompiledLabel>,
    /// [`STAMP_LINE`], compiled on first need (only lines starting with `[`, `(` or `#` can be
    /// one).
    stamp_line: std::sync::OnceLock<Regex>,
    /// The default pattern: a line can only be a label if it has `:`, `]` or `*` in it.
    default: bool,
}

/// A label pattern with the capture-group indices of its speaker groups (with "is the bracket
/// style") and of its time groups, looked up once.
#[derive(Debug, Clone)]
struct CompiledLabel {
    re: Regex,
    speaker_groups: Vec<(usize, bool)>,
    time_groups: Vec<usize>,
}

impl CompiledLabel {
    fn new(pattern: &str) -> Result<CompiledLabel> {
        let re = Regex::new(pattern).map_err(|e| Error::invalid_pattern(pattern, e.to_string()))?;
        if re.captures_len() < 2 {
            return Err(Error::invalid_pattern(
                pattern,
                "a label pattern needs a capture group for the speaker, e.g. (?P<speaker>...)",
            ));
        }
        let index = |name: &str| re.capture_names().position(|n| n == Some(name));
        let mut speaker_groups: Vec<(usize, bool)> = ["speaker", "speaker2", "speaker3"]
            .iter()
            .filter_map(|n| index(n).map(|i| (i, *n == "speaker2")))
            .collect();
        if speaker_groups.is_empty() {
            speaker_groups.push((1, false));
        }
        let time_groups = ["time", "time2", "time3"]
            .iter()
            .filter_map(|n| index(n))
            .collect();
        Ok(CompiledLabel {
            re,
            speaker_groups,
            time_groups,
        })
    }
}

/// The default speaker-label pattern.  A label is one to four words at the start of a line,
/// each starting with a capital letter, a digit or an ideograph (`Dan`, `Interviewer 1`, `B3`,
/// `Dr. Siân Jones`, `李`), in one of the common styles:
///
/// - `Name:` / `NAME:` (and `Name (00:01:23):` with the time of the turn),
/// - `**Name**` or `**Name:**` (Markdown bold, as Word exports through pandoc write it),
/// - `[Name]` (with or without a colon; annotations such as `[Inaudible]` are not labels),
///
/// each optionally preceded or followed by a timestamp `[00:01:23]`, `[01:23]`, `(00:01:23)`
/// or `#00:01:23.4#` (also `#00:01:23-4#`), which becomes the turn's start time.
pub const DEFAULT_LABEL_PATTERN: &str = concat!(
    r"^[ \t]*(?:(?P<time>\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\]|\(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\)|#\d{1,2}:\d{2}:\d{2}(?:[.,\-]\d{1,3})?#)[ \t]*)?",
    r"(?:\*\*[ \t]*(?P<speaker>[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*(?:[ \t]+[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*){0,3})[ \t]*:?[ \t]*\*\*[ \t]*:?",
    r"|\[(?P<speaker2>[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*(?:[ \t]+[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*){0,3})\][ \t]*:?",
    r"|(?P<speaker3>[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*(?:[ \t]+[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*){0,3})(?:[ \t]*(?P<time2>\(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\)|\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\]))?[ \t]*:)",
    r"(?:[ \t]*(?P<time3>\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\]|\(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\)|#\d{1,2}:\d{2}:\d{2}(?:[.,\-]\d{1,3})?#)[ \t]*:?)?(?:[ \t]+|$)"
);

/// A line holding only a timestamp (it times the turn that starts on the next line).
const STAMP_LINE: &str = r"^[ \t]*(?:\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\]|\(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\)|#\d{1,2}:\d{2}:\d{2}(?:[.,\-]\d{1,3})?#)[ \t]*$";

/// A label of the default pattern that is plain ASCII `Name:` (one to four words, each
/// starting with a capital or a digit, then letters, digits, `'`, `.` or `-`; the colon followed
/// by spaces or the line's end, and no timestamp), as `(name, label length)`; `None` when the
/// line is anything else, which the regex then decides.  Equal to the regex on every line it
/// answers for (tested against it).
fn plain_label(line: &str) -> Option<(&str, usize)> {
    let b = line.as_bytes();
    let blank = |c: u8| c == b' ' || c == b'\t';
    let starts_word = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let in_word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'\'' | b'.' | b'-');
    let mut i = 0;
    while i < b.len() && blank(b[i]) {
        i += 1;
    }
    let first = i;
    let mut end_of_name;
    let mut words = 0;
    loop {
        if i >= b.len() || !starts_word(b[i]) {
            return None;
        }
        i += 1;
        while i < b.len() && in_word(b[i]) {
            i += 1;
        }
        words += 1;
        end_of_name = i;
        while i < b.len() && blank(b[i]) {
            i += 1;
        }
        match b.get(i) {
            Some(b':') => break,
            Some(&c) if starts_word(c) && i > end_of_name && words < 4 => continue,
            _ => return None,
        }
    }
    // After the colon: spaces to the end of the label, or the line's end; a timestamp (or
    // anything else) is for the regex.
    let mut j = i + 1;
    while j < b.len() && blank(b[j]) {
        j += 1;
    }
    if j < b.len() && (j == i + 1 || matches!(b[j], b'[' | b'(' | b'#')) {
        return None;
    }
    Some((&line[first..end_of_name], j))
}

/// Labels already resolved, by (matched text, whether the match ends the line): the speaker's
/// byte range in the line, the label's length and its time.
type LabelCache<'t> =
    std::collections::HashMap<(&'t str, bool), Option<(usize, usize, usize, Option<f64>)>>;

/// Bracketed words that transcribers use for events, not speakers (`[Inaudible]`).
const ANNOTATIONS: &[&str] = &[
    "inaudible",
    "unclear",
    "crosstalk",
    "cross talk",
    "laughs",
    "laughter",
    "laughing",
    "pause",
    "long pause",
    "silence",
    "overlapping",
    "overtalk",
    "music",
    "noise",
    "applause",
    "redacted",
    "removed",
    "indistinct",
    "background noise",
    "coughs",
    "sighs",
    "break",
    "end",
    "end of interview",
    "end of recording",
    "interruption",
];

/// Seconds of a timestamp (`[01:02:03.5]`, `(01:23)`, `#00:01:23-4#`); None when a field is
/// out of range (minutes or seconds above 59).
pub fn parse_timestamp(stamp: &str) -> Option<f64> {
    let inner = stamp.trim_matches(|c| matches!(c, '[' | ']' | '(' | ')' | '#' | ' ' | '\t'));
    let (clock, frac) = match inner.find(['.', ',', '-']) {
        Some(i) => (&inner[..i], Some(&inner[i + 1..])),
        None => (inner, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let nums: Option<Vec<u64>> = parts.iter().map(|p| p.parse().ok()).collect();
    let nums = nums?;
    let (h, m, s) = match nums.as_slice() {
        [m, s] => (0, *m, *s),
        [h, m, s] => {
            if *m > 59 {
                return None;
            }
            (*h, *m, *s)
        }
        _ => return None,
    };
    if s > 59 {
        return None;
    }
    let mut secs = h
        .checked_mul(3600)?
        .checked_add(m.checked_mul(60)?)?
        .checked_add(s)? as f64;
    if let Some(f) = frac {
        let v: u64 = f.parse().ok()?;
        secs += v as f64 / 10f64.powi(f.len() as i32);
    }
    Some(secs)
}

impl LabelParser {
    /// Compiles a label pattern.  It is matched at the start of each line and must have a group
    /// named `speaker` (also `speaker2`, `speaker3` for alternative styles), or at least one
    /// capture group, the first being the speaker; groups `time`, `time2`, `time3` give the
    /// turn's start time.  The turn's content starts where the match ends.
    pub fn new(pattern: &str) -> Result<LabelParser> {
        let compiled = std::sync::OnceLock::new();
        let default = pattern == DEFAULT_LABEL_PATTERN;
        if !default {
            // A caller's pattern is checked now; the default one is known to compile (tested).
            let _ = compiled.set(CompiledLabel::new(pattern)?);
        }
        Ok(LabelParser {
            pattern: pattern.to_string(),
            compiled,
            stamp_line: std::sync::OnceLock::new(),
            default,
        })
    }

    /// True when `line` holds only a timestamp ([`STAMP_LINE`]).
    fn is_stamp_line(&self, line: &str) -> bool {
        matches!(
            line.trim_start_matches([' ', '\t']).as_bytes().first(),
            Some(b'[' | b'(' | b'#')
        ) && self
            .stamp_line
            .get_or_init(|| {
                Regex::new(STAMP_LINE).expect("the timestamp pattern compiles (tested)")
            })
            .is_match(line)
    }

    fn compiled(&self) -> &CompiledLabel {
        self.compiled.get_or_init(|| {
            CompiledLabel::new(&self.pattern).expect("the default label pattern compiles (tested)")
        })
    }

    /// A parser for `pattern`, compiled once per process and shared (compiling the default
    /// pattern, with its Unicode classes, takes about 10 ms: more than reading a hundred short
    /// transcripts).  Up to 16 patterns are kept.
    ///
    /// ```
    /// use qualcore::corpus::{LabelParser, DEFAULT_LABEL_PATTERN};
    /// let a = LabelParser::cached(DEFAULT_LABEL_PATTERN).unwrap();
    /// let b = LabelParser::cached(DEFAULT_LABEL_PATTERN).unwrap();
    /// assert!(std::sync::Arc::ptr_eq(&a, &b));
    /// assert!(LabelParser::cached("no group").is_err());
    /// ```
    pub fn cached(pattern: &str) -> Result<std::sync::Arc<LabelParser>> {
        use std::sync::{Arc, Mutex, OnceLock};
        type Cache = Mutex<Vec<(String, Arc<LabelParser>)>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
        if let Ok(c) = cache.lock() {
            if let Some((_, p)) = c.iter().find(|(k, _)| k == pattern) {
                return Ok(Arc::clone(p));
            }
        }
        let parser = Arc::new(LabelParser::new(pattern)?);
        if let Ok(mut c) = cache.lock() {
            if c.len() >= 16 {
                c.remove(0);
            }
            c.push((pattern.to_string(), Arc::clone(&parser)));
        }
        Ok(parser)
    }

    /// The speaker, the label's length and the start time of a label at the start of `line`.
    pub fn label<'t>(&self, line: &'t str) -> Option<(&'t str, usize, Option<f64>)> {
        self.label_with(line, &mut None, &mut LabelCache::default())
    }

    /// [`LabelParser::label`] with capture slots reused from line to line and, for the default
    /// pattern, a plain ASCII `Name:` read without the regex ([`plain_label`]) and the labels
    /// already seen: the match is found by the regex's DFA, and capture groups (whose engine
    /// costs far more) are resolved once per distinct label text.  The default pattern's only
    /// assertions are `^` and `$`, so the groups of a match depend on its text and on whether
    /// it reaches the line's end, which is the key.
    fn label_with<'t>(
        &self,
        line: &'t str,
        locs: &mut Option<regex::CaptureLocations>,
        cache: &mut LabelCache<'t>,
    ) -> Option<(&'t str, usize, Option<f64>)> {
        if self.default {
            // Every style of the default pattern has one of these.
            memchr::memchr3(b':', b']', b'*', line.as_bytes())?;
            if let Some((name, end)) = plain_label(line) {
                return Some((name, end, None));
            }
            let m = self.compiled().re.find(line)?;
            if m.start() != 0 {
                return None;
            }
            let key = (&line[..m.end()], m.end() == line.len());
            if let Some(&hit) = cache.get(&key) {
                return hit.map(|(a, b, end, time)| (&line[a..b], end, time));
            }
            let found = self.label_captures(line, locs);
            let offsets = found.map(|(name, end, time)| {
                let a = name.as_ptr() as usize - line.as_ptr() as usize;
                (a, a + name.len(), end, time)
            });
            cache.insert(key, offsets);
            return found;
        }
        self.label_captures(line, locs)
    }

    fn label_captures<'t>(
        &self,
        line: &'t str,
        locs: &mut Option<regex::CaptureLocations>,
    ) -> Option<(&'t str, usize, Option<f64>)> {
        let c = self.compiled();
        let locs = locs.get_or_insert_with(|| c.re.capture_locations());
        let whole = c.re.captures_read(locs, line)?;
        if whole.start() != 0 {
            return None;
        }
        let (sp, bracket) = c
            .speaker_groups
            .iter()
            .find_map(|&(i, b)| locs.get(i).map(|g| (g, b)))?;
        let name = line[sp.0..sp.1].trim();
        if name.is_empty() {
            return None;
        }
        if bracket && ANNOTATIONS.contains(&name.to_lowercase().as_str()) {
            return None;
        }
        let time = c
            .time_groups
            .iter()
            .find_map(|&i| locs.get(i))
            .and_then(|(a, b)| parse_timestamp(&line[a..b]));
        Some((name, whole.end(), time))
    }

    /// Splits `text` into turns.  A line that starts with a label starts a turn; lines without a
    /// label (and blank lines) continue the current turn; text before the first label belongs
    /// to no turn.  Turn content is trimmed of surrounding white space.  A timestamp in the
    /// label, or alone on the line before it, is the turn's start time, and a timed turn ends
    /// when the next timed turn starts.
    ///
    /// ```
    /// use qualcore::corpus::{LabelParser, DEFAULT_LABEL_PATTERN};
    /// let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
    /// let text = "Interview 3\n\nDan: Hello.\n\nParticipant: Hi.\nStill me.\n";
    /// let turns = p.parse(text);
    /// assert_eq!(turns.len(), 2);
    /// assert_eq!(turns[1].speaker.as_deref(), Some("Participant"));
    /// assert_eq!(&text[turns[1].start..turns[1].end], "Hi.\nStill me.");
    /// let timed = p.parse("[00:01:05] Dan: Why?\n**A1** (00:01:09): Because.\n");
    /// assert_eq!(timed[0].time_start, Some(65.0));
    /// assert_eq!(timed[0].time_end, Some(69.0));
    /// ```
    pub fn parse(&self, text: &str) -> Vec<TurnSpec> {
        let mut line_start = 0;
        let lines = std::iter::from_fn(move || {
            if line_start >= text.len() {
                return None;
            }
            let line_end = memchr::memchr(b'\n', &text.as_bytes()[line_start..])
                .map_or(text.len(), |i| line_start + i);
            let l = Line {
                start: line_start,
                end: line_end,
                label: None,
                outside: false,
            };
            line_start = line_end + 1;
            Some(l)
        });
        self.parse_lines(text, lines)
    }

    /// Splits `text` into turns given its lines (byte ranges, in order, not overlapping); a
    /// line may carry a label found by other means (a table row's speaker cell, a bold run),
    /// which is used instead of the pattern.  [`LabelParser::parse`] is this over `\n`-lines.
    pub fn parse_lines(&self, text: &str, lines: impl IntoIterator<Item = Line>) -> Vec<TurnSpec> {
        let mut turns: Vec<TurnSpec> = Vec::new();
        // A timestamp alone on a line: (line start, seconds), for the turn on the next line.
        let mut pending: Option<(usize, f64)> = None;
        // False once a line outside every turn has closed the last turn.
        let mut open = false;
        let close = |t: &mut TurnSpec, end: usize| {
            let end = end.max(t.start);
            let body = &text[t.start..end];
            let trimmed = body.trim_end();
            t.end = t.start + trimmed.len();
            let lead = trimmed.len() - trimmed.trim_start().len();
            t.start += lead;
        };
        let mut locs = None;
        let mut cache = LabelCache::default();
        for l in lines {
            let line = &text[l.start..l.end];
            let line = line.strip_suffix('\r').unwrap_or(line);
            if l.outside {
                if open {
                    if let Some(prev) = turns.last_mut() {
                        close(prev, pending.map_or(l.start, |p| p.0));
                    }
                    open = false;
                }
                pending = None;
                continue;
            }
            let found: Option<KnownLabel> = match l.label {
                Some(f) => Some(f),
                None => self
                    .label_with(line, &mut locs, &mut cache)
                    .map(|(name, len, time)| {
                        let label_end = l.start + len;
                        let label_trim = text[l.start..label_end].trim_end();
                        let lead = label_trim.len() - label_trim.trim_start().len();
                        KnownLabel {
                            speaker: name.to_string(),
                            label: (l.start + lead, l.start + label_trim.len()),
                            content_start: label_end,
                            time,
                        }
                    }),
            };
            if let Some(KnownLabel {
                speaker: name,
                label,
                content_start,
                time,
            }) = found
            {
                let (cut, time) = match (pending.take(), time) {
                    (Some((at, t)), None) => (at, Some(t)),
                    (Some((at, _)), Some(t)) => (at, Some(t)),
                    (None, t) => (l.start, t),
                };
                if open {
                    if let Some(prev) = turns.last_mut() {
                        close(prev, cut);
                    }
                }
                open = true;
                turns.push(TurnSpec {
                    speaker: (!name.is_empty()).then_some(name),
                    start: content_start,
                    end: content_start,
                    label: Some(label),
                    time_start: time,
                    time_end: None,
                });
            } else if self.is_stamp_line(line) {
                pending = parse_timestamp(line.trim()).map(|t| (l.start, t));
            } else if !line.trim().is_empty() {
                pending = None;
            }
        }
        if open {
            if let Some(prev) = turns.last_mut() {
                close(prev, text.len());
            }
        }
        // A timed turn ends where the next timed turn starts.
        let mut next: Option<f64> = None;
        for t in turns.iter_mut().rev() {
            if t.time_start.is_some() {
                if t.time_end.is_none() {
                    t.time_end = next.filter(|&n| n >= t.time_start.unwrap_or(f64::MAX));
                }
                next = t.time_start;
            }
        }
        turns
    }
}

/// One line of a text for [`LabelParser::parse_lines`]: its byte range and, when another
/// reader already knows it, its label.
#[derive(Debug, Clone)]
pub struct Line {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive, before the line break).
    pub end: usize,
    /// A label known without the pattern.
    pub label: Option<KnownLabel>,
    /// The line belongs to no turn (a table's header row): it ends the current turn.
    pub outside: bool,
}

/// A label a reader found by structure rather than by the label pattern.
#[derive(Debug, Clone)]
pub struct KnownLabel {
    /// The speaker ("" for none).
    pub speaker: String,
    /// Byte range of the label in the text.
    pub label: (usize, usize),
    /// Where the turn's content starts.
    pub content_start: usize,
    /// The turn's start time in seconds.
    pub time: Option<f64>,
}

/// Reads UTF-8 files in parallel; a UTF-8 byte-order mark is dropped.  Every failure is reported
/// (the file, and for bad bytes the offset and line), and nothing is returned if any file fails.
pub fn read_utf8_files(paths: &[String]) -> Result<Vec<String>> {
    let results: Vec<Result<String>> = paths.par_iter().map(|p| read_utf8_file(p)).collect();
    crate::error::collect_all(results)
}

/// Reads one UTF-8 file (a leading byte-order mark is dropped).
pub fn read_utf8_file(path: &str) -> Result<String> {
    let bytes = read_bytes(path)?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    utf8(body, bytes.len() - body.len(), path)
}

fn read_bytes(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::new(ErrorKind::Io {
            path: path.to_string(),
            message: e.to_string(),
        })
    })
}

/// The decode error for invalid UTF-8 at byte `at` of `body` (after a BOM of `bom` bytes):
/// the file's byte offset and line.
fn utf8_error(body: &[u8], at: usize, bom: usize, path: &str) -> Error {
    Error::new(ErrorKind::Decode {
        path: path.to_string(),
        byte_offset: at + bom,
        line: 1 + memchr::memchr_iter(b'\n', &body[..at]).count(),
        encoding: "UTF-8".into(),
    })
}

fn utf8(body: &[u8], bom: usize, path: &str) -> Result<String> {
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(utf8_error(body, e.valid_up_to(), bom, path)),
    }
}

/// Decodes a transcript's bytes: UTF-8 (a byte-order mark is dropped), or UTF-16 LE/BE when
/// the file starts with its byte-order mark.  Other encodings must be named by the caller and
/// decoded before (qualcore's Python layer does that).  UTF-8 is taken over without a copy.
/// Text that decodes as UTF-8 but is full of NUL bytes is UTF-16 without its byte-order mark:
/// an error says so rather than returning text full of NULs.
pub fn decode_text(mut bytes: Vec<u8>, path: &str) -> Result<String> {
    let total = bytes.len();
    let utf16 = |body: &[u8], big: bool| -> Result<String> {
        let enc = if big { "UTF-16BE" } else { "UTF-16LE" };
        let whole = body.len() - body.len() % 2;
        let units = body[..whole].chunks_exact(2).map(|c| {
            if big {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_le_bytes([c[0], c[1]])
            }
        });
        let mut out = String::with_capacity(body.len() / 2);
        let mut line = 1;
        let mut unit = 0usize; // 2-byte units consumed
        for r in char::decode_utf16(units) {
            match r {
                Ok(c) => {
                    if c == '\n' {
                        line += 1;
                    }
                    unit += c.len_utf16();
                    out.push(c)
                }
                Err(_) => {
                    return Err(Error::new(ErrorKind::Decode {
                        path: path.to_string(),
                        byte_offset: 2 + 2 * unit,
                        line,
                        encoding: enc.into(),
                    }))
                }
            }
        }
        if whole != body.len() {
            return Err(Error::new(ErrorKind::Decode {
                path: path.to_string(),
                byte_offset: total - 1,
                line,
                encoding: enc.into(),
            }));
        }
        Ok(out)
    };
    if bytes.starts_with(b"\xFF\xFE") {
        utf16(&bytes[2..], false)
    } else if bytes.starts_with(b"\xFE\xFF") {
        utf16(&bytes[2..], true)
    } else {
        let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
            3
        } else {
            0
        };
        let probe = &bytes[..bytes.len().min(4096)];
        let nuls = probe.iter().filter(|&&b| b == 0).count();
        if probe.len() >= 8 && nuls * 4 >= probe.len() {
            return Err(Error::new(ErrorKind::Parse {
                path: path.to_string(),
                line: 0,
                message: "looks like UTF-16 without a byte-order mark (every other byte is NUL); \
                          read it with encoding='utf-16-le' (or 'utf-16-be')"
                    .into(),
            }));
        }
        match String::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(e) => Err(utf8_error(
                e.as_bytes(),
                e.utf8_error().valid_up_to(),
                bom,
                path,
            )),
        }
    }
}

/// Reads one transcript: decoded ([`decode_text`]) and with its line ends normalised to LF
/// ([`normalise_newlines`]).
pub fn read_text_file(path: &str) -> Result<(String, LineEnds)> {
    let bytes = read_bytes(path)?;
    let text = decode_text(bytes, path)?;
    Ok(normalise_newlines(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser() -> LabelParser {
        LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap()
    }

    #[test]
    fn labels_in_common_styles() {
        let text = "Dan: a\nInterviewer 1: b\nB3: c\nDr. Siân Jones: d\n李: e\nSo the answer is: no\nÓlafur:\n";
        let turns = parser().parse(text);
        let speakers: Vec<_> = turns.iter().map(|t| t.speaker.clone().unwrap()).collect();
        assert_eq!(
            speakers,
            [
                "Dan",
                "Interviewer 1",
                "B3",
                "Dr. Siân Jones",
                "李",
                "Ólafur"
            ]
        );
        // "So the answer is:" has lower-case words: it is text of B3... no, of 李's turn.
        let li = &turns[4];
        assert_eq!(&text[li.start..li.end], "e\nSo the answer is: no");
        // A label with no text.
        assert_eq!(turns[5].start, turns[5].end);
        assert_eq!(
            &text[turns[5].label.unwrap().0..turns[5].label.unwrap().1],
            "Ólafur:"
        );
    }

    #[test]
    fn label_styles_and_timestamps() {
        let text = concat!(
            "**DAN:** Why?\n",
            "**Siân** Because.\n",
            "[Ólafur] Indeed.\n",
            "[Inaudible] still Ólafur.\n",
            "李 (00:01:23): Next.\n",
            "[00:02:00] Dan: Timed before.\n",
            "Dan: [00:02:30.5] Timed after.\n",
            "#00:03:10-4#\n",
            "A1: On the next line.\n",
            "B2 [01:00:00]: Late.\n",
        );
        let turns = parser().parse(text);
        let got: Vec<(&str, &str, Option<f64>, Option<f64>)> = turns
            .iter()
            .map(|t| {
                (
                    t.speaker.as_deref().unwrap(),
                    &text[t.start..t.end],
                    t.time_start,
                    t.time_end,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("DAN", "Why?", None, None),
                ("Siân", "Because.", None, None),
                ("Ólafur", "Indeed.\n[Inaudible] still Ólafur.", None, None),
                ("李", "Next.", Some(83.0), Some(120.0)),
                ("Dan", "Timed before.", Some(120.0), Some(150.5)),
                ("Dan", "Timed after.", Some(150.5), Some(190.4)),
                ("A1", "On the next line.", Some(190.4), Some(3600.0)),
                ("B2", "Late.", Some(3600.0), None),
            ]
        );
        // the timestamp line belongs to the turn it times, not to the one before
        assert!(!got[5].1.contains('#'));
        assert_eq!(parse_timestamp("[99:00]"), Some(5940.0)); // minutes may pass 59 without hours
        assert_eq!(parse_timestamp("[01:60]"), None);
        assert_eq!(parse_timestamp("(01:60:00)"), None);
        assert_eq!(parse_timestamp("#00:00:01.25#"), Some(1.25));
    }

    #[test]
    fn plain_labels_equal_the_regex_and_the_default_pattern_compiles() {
        let mut p = parser();
        p.default = false; // every line through the regex
        let mut answered = 0;
        for line in [
            "Dan: hi",
            "Dan:",
            "Dan:  ",
            "Dr. Jones: x",
            "O'Neil-Smith: x",
            "3: x",
            "\tDan: x",
            "Dan Jones Smith Brown: x",
            "A B C D E: x",
            "Dan:hello",
            "Dan: [00:01] x",
            "Dan (00:01): x",
            "x-ray Dan: y",
            "Dan  Jones :  x",
            "D_an: x",
            "Dan:: x",
        ] {
            if let Some((name, end)) = plain_label(line) {
                answered += 1;
                assert_eq!(p.label(line), Some((name, end, None)), "{line:?}");
            }
        }
        assert!(answered >= 8, "{answered}");
        assert!(CompiledLabel::new(DEFAULT_LABEL_PATTERN).is_ok());
        assert!(Regex::new(STAMP_LINE).is_ok());
        assert!(p.is_stamp_line(" [00:01:02]") && !p.is_stamp_line("00:01:02"));
    }

    #[test]
    fn turns_are_compact_and_unknown_times_compare_equal() {
        // 56 bytes a turn: a million short turns stay below the size of their text.
        assert_eq!(std::mem::size_of::<Turn>(), 56);
        let specs = vec![
            TurnSpec {
                speaker: Some("B".into()),
                start: 0,
                end: 1,
                label: None,
                time_start: None,
                time_end: Some(2.5),
            },
            TurnSpec {
                speaker: Some("A".into()),
                start: 2,
                end: 3,
                label: None,
                time_start: None,
                time_end: None,
            },
            TurnSpec {
                speaker: Some("B".into()),
                start: 4,
                end: 5,
                label: None,
                time_start: Some(1.0),
                time_end: None,
            },
        ];
        let local = LocalTurns::from_specs(specs.clone());
        assert_eq!(local.names, ["B", "A"]);
        assert_eq!(local.turns[2].speaker, Some(0));
        assert_eq!(local.turns[0].end_time(), Some(2.5));
        assert_eq!(local.turns[0].start_time(), None);
        assert_eq!(local, LocalTurns::from_specs(specs.clone()));
        // Global speaker ids follow first appearance across documents.
        let c = Corpus::from_local(vec![
            (
                "d1".into(),
                "a b c".into(),
                LocalTurns::from_specs(specs[1..2].to_vec()),
            ),
            ("d2".into(), "a b c".into(), local),
        ])
        .unwrap();
        assert_eq!(c.speakers(), ["A", "B"]);
        assert_eq!(c.turn_specs(&c.docs()[1]), specs);
    }

    #[test]
    fn text_before_first_label_is_its_own_unit() {
        let text = "Interview P1\r\n\r\nDan: Hello.\r\n\r\nParticipant: Hi there.\r\n";
        let turns = parser().parse(text);
        let doc = Document {
            id: "P1".into(),
            text: text.into(),
            turns: turns
                .into_iter()
                .map(|s| Turn {
                    speaker: None,
                    start: s.start as u32,
                    end: s.end as u32,
                    label: s.label,
                    time_start: f64::NAN,
                    time_end: f64::NAN,
                })
                .collect(),
            line_ends: LineEnds::default(),
        };
        doc.validate().unwrap();
        let units: Vec<&str> = doc.units().iter().map(|u| &text[u.start..u.end]).collect();
        assert_eq!(units, ["Interview P1", "Hello.", "Hi there."]);
        assert_eq!(doc.units()[0].turn, None);
        assert_eq!(doc.units()[2].turn, Some(1));
    }

    #[test]
    fn utf16_and_line_ends() {
        let dir = std::env::temp_dir().join(format!("qualcore-test16-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "Siân: a\r\n李: b 🙂\rÓlafur: c\n";
        for (name, bytes) in [
            ("le.txt", {
                let mut b = vec![0xFF, 0xFE];
                b.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
                b
            }),
            ("be.txt", {
                let mut b = vec![0xFE, 0xFF];
                b.extend(text.encode_utf16().flat_map(|u| u.to_be_bytes()));
                b
            }),
            ("u8.txt", {
                let mut b = b"\xEF\xBB\xBF".to_vec();
                b.extend(text.as_bytes());
                b
            }),
        ] {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            let (t, ends) = read_text_file(p.to_str().unwrap()).unwrap();
            assert_eq!(t, "Siân: a\n李: b 🙂\nÓlafur: c\n", "{name}");
            assert_eq!(ends.crlf, vec!["Siân: a".len()], "{name}");
            assert_eq!(ends.cr, 1);
            assert_eq!(ends.style(&t), "mixed");
        }
        // a lone surrogate in UTF-16 names the byte
        let p = dir.join("bad16.txt");
        std::fs::write(&p, [0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0]).unwrap();
        let e = read_text_file(p.to_str().unwrap()).unwrap_err().to_string();
        assert!(
            e.ends_with("not valid UTF-16LE: invalid byte at offset 4 (line 1)"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        let (t, ends) = normalise_newlines("x\r\n".into());
        assert_eq!((t.as_str(), ends.style("x\n")), ("x\n", "CRLF"));
    }

    #[test]
    fn duplicate_ids_listed_once_each() {
        let e = Corpus::new(vec![
            ("a".into(), "x".into(), vec![]),
            ("b".into(), "x".into(), vec![]),
            ("a".into(), "x".into(), vec![]),
            ("a".into(), "x".into(), vec![]),
        ])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "document ids must be unique; duplicated: \"a\""
        );
    }

    #[test]
    fn bad_turns_are_reported() {
        let spec = |s, e| TurnSpec {
            speaker: None,
            start: s,
            end: e,
            label: None,
            time_start: None,
            time_end: None,
        };
        let e = Corpus::new(vec![
            ("a".into(), "hello".into(), vec![spec(0, 9)]),
            ("b".into(), "hello".into(), vec![spec(0, 3), spec(2, 4)]),
        ])
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("2 problems:"), "{msg}");
        assert!(msg.contains("document \"a\": turn 0: span 0..9 is not inside the text"));
        assert!(msg.contains("document \"b\": turn 1: overlaps the previous turn"));
    }

    #[test]
    fn decode_error_names_file_offset_and_line() {
        let dir = std::env::temp_dir().join(format!("qualcore-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.txt");
        std::fs::write(&p, b"ok\nline two \xff here").unwrap();
        let e = read_utf8_file(p.to_str().unwrap()).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("bad.txt: not valid UTF-8: invalid byte at offset 12 (line 2)"),
            "{e}"
        );
        let p2 = dir.join("bom.txt");
        std::fs::write(&p2, b"\xEF\xBB\xBFDan: hi").unwrap();
        assert_eq!(read_utf8_file(p2.to_str().unwrap()).unwrap(), "Dan: hi");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
        #[test]
        fn plain_labels_equal_the_regex_on_random_ascii(
            line in proptest::prop_oneof![
                "[ \t]{0,2}[A-Z0-9a-z][A-Za-z0-9 \t:.'\\-\\[(#_,]{0,24}",
                // label-like: words, blanks, a colon or not, then anything
                "[ \t]{0,2}([A-Z0-9][A-Za-z0-9'.\\-_]{0,4}[ \t]{1,2}){0,5}[A-Z0-9][a-z.]{0,3}[ \t]{0,2}[:;,]?[ \t]{0,2}[\\[(#a-z:]?[a-z0-9 ]{0,4}",
            ],
        ) {
            static PLAIN: std::sync::OnceLock<LabelParser> = std::sync::OnceLock::new();
            let p = PLAIN.get_or_init(|| {
                let mut p = parser();
                p.default = false;
                p
            });
            if let Some((name, end)) = plain_label(&line) {
                proptest::prop_assert_eq!(p.label(&line), Some((name, end, None)));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1500))]
        #[test]
        fn cached_labels_equal_captures_on_every_line(
            lines in proptest::collection::vec(proptest::sample::select(vec![
                "Dan:", "Dan: ", "Dan: hello", "Dan:hello", "**A1**", "**A1**: yes", "[Siân] ok",
                "[Inaudible] x", "[00:01:23] Dan: why", "B3 (00:01:02): so", "B3 (00:01:02):",
                "Interviewer 1: q", "Ólafur: já", "李: 好", "so the answer is: no", "", "   ",
                "[Dan]", "Dan Jones Smith Brown Extra: too long", "(00:01:05)", "A: b", "A:\tb",
                "#00:01:02.5# Dan: x", "dan: lower", "Dan :", "Dan: [laughs]",
                "A B C D E: x", "Dan:hello", "Dan: [00:01] x", "Dan (00:01): x", "3: x",
                "Dr. Jones: x", "O'Neil-Smith: x", "x-ray Dan: y", "Dan  Jones :  x", "\tDan: x",
                "Dan:\t", "Dan: #00:01:02# x", "Dan,: x", "DAN: x", "Dan Jones Smith Brown: x",
                "D_an: x", "Dan:  (aside) x", "Dan Jones Smith Brown Extra: x", "Dan:: x",
            ]), 0..25),
        ) {
            static PARSERS: std::sync::OnceLock<(LabelParser, LabelParser)> = std::sync::OnceLock::new();
            let (cached, plain) = PARSERS.get_or_init(|| {
                let mut plain = parser();
                plain.default = false;
                (parser(), plain)
            });
            let text = lines.join("\n");
            proptest::prop_assert_eq!(cached.parse(&text), plain.parse(&text));
        }
    }
}
