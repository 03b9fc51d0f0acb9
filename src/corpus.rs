//! The corpus model: documents, speaker turns and the units that analyses run over.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use regex::Regex;

use crate::error::{Error, ErrorKind, Result};

/// One speaker turn of a document.  Offsets are byte offsets into the document's text.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// Index into [`Corpus::speakers`]; `None` for a turn whose speaker is not known.
    pub speaker: Option<u32>,
    /// Start of the turn's content (after any speaker label).
    pub start: usize,
    /// End of the turn's content (exclusive, trailing white space trimmed).
    pub end: usize,
    /// Byte range of the speaker label (`Dan:`) in the text, when the text carries one.
    pub label: Option<(usize, usize)>,
    /// Start time in seconds, when known.
    pub time_start: Option<f64>,
    /// End time in seconds, when known.
    pub time_end: Option<f64>,
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
            let head = t.label.map_or(t.start, |(s, _)| s.min(t.start));
            if head > pos {
                push_gap(&mut units, pos, head);
            }
            units.push(Unit {
                start: t.start,
                end: t.end,
                turn: Some(i as u32),
                active: true,
            });
            pos = t.end.max(pos);
        }
        if pos < self.text.len() {
            push_gap(&mut units, pos, self.text.len());
        }
        units
    }

    /// Checks that turns are in order, inside the text, on char boundaries and not overlapping.
    pub fn validate(&self) -> Result<()> {
        if self.text.len() > u32::MAX as usize {
            return Err(Error::new(ErrorKind::DocumentTooLarge {
                doc_id: self.id.clone(),
                bytes: self.text.len(),
            }));
        }
        let mut prev_end = 0;
        for (i, t) in self.turns.iter().enumerate() {
            let bad = |message: String| {
                Err(Error::new(ErrorKind::InvalidTurns {
                    doc_id: self.id.clone(),
                    message: format!("turn {i}: {message}"),
                }))
            };
            if t.start > t.end || t.end > self.text.len() {
                return bad(format!(
                    "span {}..{} is not inside the text ({} bytes)",
                    t.start,
                    t.end,
                    self.text.len()
                ));
            }
            if !self.text.is_char_boundary(t.start) || !self.text.is_char_boundary(t.end) {
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
            let head = t.label.map_or(t.start, |(s, _)| s.min(t.start));
            if head < prev_end {
                return bad("overlaps the previous turn (turns must be in text order)".into());
            }
            prev_end = t.end;
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
        let mut speakers: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::with_capacity(docs.len());
        let mut out: Vec<Document> = Vec::with_capacity(docs.len());
        let mut speaker_index: HashMap<String, u32> = HashMap::new();
        let mut duplicates = Vec::new();
        let mut errors = Vec::new();
        for (id, text, specs) in docs {
            if index.contains_key(&id) {
                if !duplicates.contains(&id) {
                    duplicates.push(id);
                }
                continue;
            }
            let turns = specs
                .into_iter()
                .map(|s| Turn {
                    speaker: s.speaker.map(|name| {
                        let next = speakers.len() as u32;
                        *speaker_index.entry(name.clone()).or_insert_with(|| {
                            speakers.push(name);
                            next
                        })
                    }),
                    start: s.start,
                    end: s.end,
                    label: s.label,
                    time_start: s.time_start,
                    time_end: s.time_end,
                })
                .collect();
            let doc = Document { id, text, turns };
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
        Ok(Corpus::new(docs)?.with_speakers(self.speaker_restriction().as_deref()))
    }

    /// A document's turns with speaker names, as [`Corpus::new`] takes them.
    pub fn turn_specs(&self, d: &Document) -> Vec<TurnSpec> {
        d.turns
            .iter()
            .map(|t| TurnSpec {
                speaker: t.speaker.map(|s| self.speakers[s as usize].clone()),
                start: t.start,
                end: t.end,
                label: t.label,
                time_start: t.time_start,
                time_end: t.time_end,
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
        Ok(Corpus::new(docs)?.with_speakers(restriction.as_deref()))
    }
}

/// How speaker labels are recognised at the start of a line.
#[derive(Debug, Clone)]
pub struct LabelParser {
    re: Regex,
}

/// The default speaker-label pattern: one to four words at the start of a line, each starting
/// with a capital letter, a digit or an ideograph (`Dan:`, `Interviewer 1:`, `B3:`, `Dr. Siân
/// Jones:`, `李:`), followed by a colon and white space or the end of the line.
pub const DEFAULT_LABEL_PATTERN: &str = r"^[ \t]*(?P<speaker>[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*(?:[ \t]+[\p{Lu}\p{Lt}\p{Lo}\p{N}][\p{L}\p{M}\p{N}'’.\-]*){0,3})[ \t]*:(?:[ \t]+|$)";

impl LabelParser {
    /// Compiles a label pattern.  It is matched at the start of each line and must have a group
    /// named `speaker` (or at least one capture group, the first being the speaker); the turn's
    /// content starts where the match ends.
    pub fn new(pattern: &str) -> Result<LabelParser> {
        let re = Regex::new(pattern).map_err(|e| Error::invalid_pattern(pattern, e.to_string()))?;
        if re.captures_len() < 2 {
            return Err(Error::invalid_pattern(
                pattern,
                "a label pattern needs a capture group for the speaker, e.g. (?P<speaker>...)",
            ));
        }
        Ok(LabelParser { re })
    }

    /// Splits `text` into turns.  A line that starts with a label starts a turn; lines without a
    /// label (and blank lines) continue the current turn; text before the first label belongs
    /// to no turn.  Turn content is trimmed of surrounding white space.
    ///
    /// ```
    /// use qualcore::corpus::{LabelParser, DEFAULT_LABEL_PATTERN};
    /// let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
    /// let text = "Interview 3\n\nDan: Hello.\n\nParticipant: Hi.\nStill me.\n";
    /// let turns = p.parse(text);
    /// assert_eq!(turns.len(), 2);
    /// assert_eq!(turns[1].speaker.as_deref(), Some("Participant"));
    /// assert_eq!(&text[turns[1].start..turns[1].end], "Hi.\nStill me.");
    /// ```
    pub fn parse(&self, text: &str) -> Vec<TurnSpec> {
        let mut turns: Vec<TurnSpec> = Vec::new();
        let mut line_start = 0;
        let close = |t: &mut TurnSpec, end: usize| {
            let body = &text[t.start..end];
            let trimmed = body.trim_end();
            t.end = t.start + trimmed.len();
            let lead = trimmed.len() - trimmed.trim_start().len();
            t.start += lead;
        };
        while line_start < text.len() {
            let line_end = text[line_start..]
                .find('\n')
                .map_or(text.len(), |i| line_start + i);
            let line = &text[line_start..line_end];
            let line = line.strip_suffix('\r').unwrap_or(line);
            if let Some(caps) = self.re.captures(line) {
                let whole = caps.get(0).expect("group 0 always exists");
                if whole.start() == 0 {
                    let sp = caps
                        .name("speaker")
                        .or_else(|| caps.get(1))
                        .filter(|m| !m.as_str().trim().is_empty());
                    if let Some(sp) = sp {
                        if let Some(prev) = turns.last_mut() {
                            close(prev, line_start);
                        }
                        let label_end = line_start + whole.end();
                        let label_text = &text[line_start..label_end];
                        let label_trim = label_text.trim_end();
                        let lead = label_trim.len() - label_trim.trim_start().len();
                        turns.push(TurnSpec {
                            speaker: Some(sp.as_str().trim().to_string()),
                            start: label_end,
                            end: label_end,
                            label: Some((line_start + lead, line_start + label_trim.len())),
                            time_start: None,
                            time_end: None,
                        });
                    }
                }
            }
            line_start = line_end + 1;
        }
        if let Some(prev) = turns.last_mut() {
            close(prev, text.len());
        }
        turns
    }
}

/// Reads UTF-8 files in parallel; a UTF-8 byte-order mark is dropped.  Every failure is reported
/// (the file, and for bad bytes the offset and line), and nothing is returned if any file fails.
pub fn read_utf8_files(paths: &[String]) -> Result<Vec<String>> {
    let results: Vec<Result<String>> = paths.par_iter().map(|p| read_utf8_file(p)).collect();
    crate::error::collect_all(results)
}

/// Reads one UTF-8 file (a leading byte-order mark is dropped).
pub fn read_utf8_file(path: &str) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::new(ErrorKind::Io {
            path: path.to_string(),
            message: e.to_string(),
        })
    })?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let bom = bytes.len() - body.len();
            let at = e.valid_up_to();
            let line = 1 + body[..at].iter().filter(|&&b| b == b'\n').count();
            Err(Error::new(ErrorKind::Decode {
                path: path.to_string(),
                byte_offset: at + bom,
                line,
                encoding: "UTF-8".into(),
            }))
        }
    }
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
                    start: s.start,
                    end: s.end,
                    label: s.label,
                    time_start: None,
                    time_end: None,
                })
                .collect(),
        };
        doc.validate().unwrap();
        let units: Vec<&str> = doc.units().iter().map(|u| &text[u.start..u.end]).collect();
        assert_eq!(units, ["Interview P1", "Hello.", "Hi there."]);
        assert_eq!(doc.units()[0].turn, None);
        assert_eq!(doc.units()[2].turn, Some(1));
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
}
