//! Coding: dictionary auto-coding over a corpus, and aligning exported extracts back onto the
//! transcripts.

use memchr::memmem;
use rayon::prelude::*;

use crate::corpus::Corpus;
use crate::error::{Error, Result};
use crate::offsets::bytes_to_chars;
use crate::pattern::{DocMatcher, Match, Patterns};
use crate::tokenize::for_each_sentence;
use crate::tokens::segment_document;

/// What an auto-coded segment spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeUnit {
    /// The matched tokens (overlapping matches of one code merged).
    Match,
    /// The sentence(s) around a match.
    Sentence,
    /// The whole turn (or stretch of text outside turns) around a match.
    Turn,
}

impl CodeUnit {
    /// Parses `"match"`, `"sentence"` or `"turn"`.
    pub fn parse(s: &str) -> Result<CodeUnit> {
        match s {
            "match" => Ok(CodeUnit::Match),
            "sentence" => Ok(CodeUnit::Sentence),
            "turn" => Ok(CodeUnit::Turn),
            _ => Err(Error::invalid_argument(
                "unit",
                format!("{s:?} is not one of 'match', 'sentence', 'turn'"),
            )),
        }
    }
}

/// The matches of one unit: its turn, the unit, and `(pattern, start byte, end byte)`.
type UnitMatches = (Option<u32>, crate::corpus::Unit, Vec<(u32, usize, usize)>);

/// A coded span.  `start`/`end` are code points (for Python), `byte_start`/`byte_end` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodedSpan {
    /// Document position.
    pub doc: u32,
    /// Code index (as given by the caller's pattern → code map).
    pub code: u32,
    /// Turn of the span's start (`None`: outside every turn).
    pub turn: Option<u32>,
    /// Start byte.
    pub byte_start: usize,
    /// End byte (exclusive).
    pub byte_end: usize,
    /// Start code point.
    pub start: usize,
    /// End code point (exclusive).
    pub end: usize,
    /// Number of pattern matches behind the span.
    pub hits: u32,
}

/// Codes the corpus with every pattern of every code at once: `pattern_code[p]` is the code of
/// pattern `p`.  Parallel over documents; output in document, start, code order.  A corpus
/// restricted to some speakers is coded in their turns only.  Overlapping matches of one code
/// in a unit give one span (their union); with `Sentence` or `Turn` a unit is coded once per
/// code however many matches it holds.
///
/// ```
/// use qualcore::corpus::Corpus;
/// use qualcore::coding::{autocode, CodeUnit};
/// use qualcore::pattern::{Patterns, ValueType};
/// let c = Corpus::new(vec![("d".into(), "I trust them. Trust is earned.".into(), vec![])]).unwrap();
/// let p = Patterns::new(&["trust*".into()], ValueType::Glob, true).unwrap();
/// let spans = autocode(&c, &p, &[0], CodeUnit::Sentence);
/// assert_eq!(spans.len(), 2);
/// assert_eq!((spans[1].start, spans[1].end), (14, 30));
/// ```
pub fn autocode(
    corpus: &Corpus,
    patterns: &Patterns,
    pattern_code: &[u32],
    unit: CodeUnit,
) -> Vec<CodedSpan> {
    let per_doc: Vec<Vec<CodedSpan>> = corpus
        .docs()
        .par_iter()
        .enumerate()
        .map(|(di, doc)| {
            let all_units = corpus.units(di);
            let mut matcher = DocMatcher::new(patterns);
            // Token matches of each active unit as (turn, unit, byte matches).  With literal
            // patterns, only the text around candidate literals is segmented.
            let text = doc.text.as_str();
            let mut per_unit: Vec<UnitMatches> = Vec::new();
            if matcher.can_prefilter(text) {
                for u in all_units.iter().filter(|u| u.active) {
                    let mut found = Vec::new();
                    matcher.find_in_unit(text, u.start, u.end, &mut found);
                    if !found.is_empty() {
                        per_unit.push((u.turn, *u, found));
                    }
                }
            } else {
                let toks = segment_document(doc, &all_units);
                let units: Vec<_> = all_units.iter().filter(|u| u.active).collect();
                let mut matches: Vec<Match> = Vec::new();
                for (tu, u) in toks.units.iter().zip(units) {
                    matches.clear();
                    matcher.find(
                        text,
                        &toks.starts,
                        &toks.ends,
                        tu.first,
                        tu.end,
                        &mut matches,
                    );
                    if !matches.is_empty() {
                        let found = matches
                            .iter()
                            .map(|m| {
                                (
                                    m.pattern,
                                    toks.starts[m.start as usize] as usize,
                                    toks.ends[m.end as usize - 1] as usize,
                                )
                            })
                            .collect();
                        per_unit.push((tu.turn, *u, found));
                    }
                }
            }
            let mut spans: Vec<CodedSpan> = Vec::new();
            let mut raw: Vec<(u32, usize, usize)> = Vec::new();
            let mut sentences: Vec<(usize, usize)> = Vec::new();
            for (turn, u, found) in per_unit {
                raw.clear();
                if unit == CodeUnit::Sentence {
                    sentences.clear();
                    for_each_sentence(&doc.text[u.start..u.end], |s, e| {
                        sentences.push((u.start + s, u.start + e))
                    });
                }
                for &(pattern, s, e) in &found {
                    let code = pattern_code[pattern as usize];
                    let span = match unit {
                        CodeUnit::Match => (s, e),
                        CodeUnit::Turn => (u.start, u.end),
                        CodeUnit::Sentence => {
                            let first = sentences.partition_point(|x| x.1 <= s);
                            let last = sentences.partition_point(|x| x.1 < e);
                            match (sentences.get(first), sentences.get(last)) {
                                (Some(a), Some(b)) => (a.0.min(s), b.1.max(e)),
                                _ => (s, e),
                            }
                        }
                    };
                    raw.push((code, span.0, span.1));
                }
                raw.sort_unstable_by_key(|&(c, s, e)| (c, s, e));
                let mut i = 0;
                while i < raw.len() {
                    let (code, s, mut e) = raw[i];
                    let mut hits = 1;
                    let mut j = i + 1;
                    while j < raw.len() && raw[j].0 == code && raw[j].1 < e {
                        e = e.max(raw[j].2);
                        hits += 1;
                        j += 1;
                    }
                    spans.push(CodedSpan {
                        doc: di as u32,
                        code,
                        turn,
                        byte_start: s,
                        byte_end: e,
                        start: 0,
                        end: 0,
                        hits,
                    });
                    i = j;
                }
            }
            spans.sort_unstable_by_key(|s| (s.byte_start, s.code, s.byte_end));
            let offs: Vec<usize> = spans
                .iter()
                .flat_map(|s| [s.byte_start, s.byte_end])
                .collect();
            let chars = bytes_to_chars(&doc.text, &offs);
            for (s, c) in spans.iter_mut().zip(chars.chunks_exact(2)) {
                s.start = c[0];
                s.end = c[1];
            }
            spans
        })
        .collect();
    per_doc.into_iter().flatten().collect()
}

/// How an extract was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum AlignMethod {
    /// Found verbatim.
    Exact,
    /// Found after folding white space runs, quotes and dashes.
    Normalized,
    /// Found by its head and tail, with a length within the tolerance.
    Fuzzy,
    /// Not found.
    NotFound,
}

impl AlignMethod {
    /// `"exact"`, `"normalized"`, `"fuzzy"` or `"not_found"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlignMethod::Exact => "exact",
            AlignMethod::Normalized => "normalized",
            AlignMethod::Fuzzy => "fuzzy",
            AlignMethod::NotFound => "not_found",
        }
    }
}

/// Where an extract landed in its document (bytes), how, and how many places fitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    /// Byte span in the document (`None` when not found).
    pub span: Option<(usize, usize)>,
    /// How it was found.
    pub method: AlignMethod,
    /// Number of places that fit equally well (1 = unambiguous; 2 means "2 or more").
    pub candidates: u32,
    /// Similarity in [0, 1] (1 for exact and normalised matches).
    pub score: f64,
}

/// A text folded for tolerant search: runs of white space become one space, typographic
/// quotes and dashes their ASCII forms; `map[i]` is the byte in the original text of folded
/// byte `i` (with one entry past the end).
#[derive(Debug, Clone)]
pub struct Folded {
    /// The folded text.
    pub text: String,
    map: Vec<usize>,
}

fn fold_char(c: char) -> Option<char> {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{B4}' => {
            Some('\'')
        }
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => Some('"'),
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}'
        | '\u{2212}' => Some('-'),
        '\u{A0}' | '\u{202F}' | '\u{2007}' => Some(' '),
        _ => None,
    }
}

impl Folded {
    /// Folds `text` (leading and trailing white space dropped).
    pub fn new(text: &str) -> Folded {
        let mut out = String::with_capacity(text.len());
        let mut map = Vec::with_capacity(text.len() + 1);
        let mut pending_space: Option<usize> = None;
        let mut last_end = 0;
        for (i, c) in text.char_indices() {
            let c = fold_char(c).unwrap_or(c);
            if c.is_whitespace() {
                if pending_space.is_none() && !out.is_empty() {
                    pending_space = Some(i);
                }
                continue;
            }
            if let Some(sp) = pending_space.take() {
                out.push(' ');
                map.push(sp);
            }
            let before = out.len();
            out.push(c);
            map.extend(std::iter::repeat_n(i, out.len() - before));
            last_end = i + text[i..].chars().next().map_or(0, char::len_utf8);
        }
        map.push(last_end);
        Folded { text: out, map }
    }

    /// Original byte span of folded span `s..e` (both on char boundaries of the folded text).
    /// The folded byte at `e` starts either a space (whose entry is where the white-space run
    /// began) or a character directly after the last one, so its entry is the original end.
    pub fn original(&self, s: usize, e: usize) -> (usize, usize) {
        (self.map[s], self.map[e])
    }
}

/// Locates `extract` in `text`: verbatim first, then in the folded forms (`folded` is
/// `Folded::new(text)`, built once per document), then by head and tail anchors whose span's
/// length is within `tolerance` (e.g. 0.15) of the extract's.
///
/// ```
/// use qualcore::coding::{align, AlignMethod, Folded};
/// let text = "Dan: Hi.\n\nParticipant: I don’t  trust\nit.";
/// let a = align(text, &Folded::new(text), "I don't trust it.", 0.15);
/// assert_eq!(a.method, AlignMethod::Normalized);
/// let (s, e) = a.span.unwrap();
/// assert_eq!(&text[s..e], "I don’t  trust\nit.");
/// ```
pub fn align(text: &str, folded: &Folded, extract: &str, tolerance: f64) -> Alignment {
    let not_found = Alignment {
        span: None,
        method: AlignMethod::NotFound,
        candidates: 0,
        score: 0.0,
    };
    let needle = extract.trim();
    if needle.is_empty() {
        return not_found;
    }
    let count2 = |hay: &[u8], pat: &[u8]| -> (Option<usize>, u32) {
        let mut it = memmem::find_iter(hay, pat);
        let first = it.next();
        let n = match first {
            None => 0,
            Some(_) => 1 + u32::from(it.next().is_some()),
        };
        (first, n)
    };
    if let (Some(p), n) = count2(text.as_bytes(), needle.as_bytes()) {
        return Alignment {
            span: Some((p, p + needle.len())),
            method: AlignMethod::Exact,
            candidates: n,
            score: 1.0,
        };
    }
    let fneedle = Folded::new(needle);
    let fb = folded.text.as_bytes();
    let nb = fneedle.text.as_bytes();
    if let (Some(p), n) = count2(fb, nb) {
        return Alignment {
            span: Some(folded.original(p, p + nb.len())),
            method: AlignMethod::Normalized,
            candidates: n,
            score: 1.0,
        };
    }
    // Fuzzy: anchor on the head and the tail of the folded extract.
    let len = nb.len();
    if len < 24 {
        return not_found;
    }
    let k = (len / 4).clamp(12, 64);
    let head = &fneedle.text[..floor_boundary(&fneedle.text, k)];
    let tail = &fneedle.text[ceil_boundary(&fneedle.text, len - k)..];
    let lo_len = ((len as f64) * (1.0 - tolerance)).floor() as usize;
    let hi_len = ((len as f64) * (1.0 + tolerance)).ceil() as usize;
    let mut best: Option<(usize, usize, f64)> = None;
    let mut n = 0u32;
    for hp in memmem::find_iter(fb, head.as_bytes()) {
        let from = hp + lo_len.saturating_sub(tail.len());
        let to = (hp + hi_len).min(fb.len());
        if from >= to {
            continue;
        }
        // Every tail in the length window: the one whose span length is closest to the
        // extract's wins.
        for tp in memmem::find_iter(&fb[from..to], tail.as_bytes()) {
            let end = from + tp + tail.len();
            let span_len = end - hp;
            let score = 1.0 - (span_len as f64 - len as f64).abs() / len as f64;
            n += 1;
            if best.is_none_or(|b| score > b.2) {
                best = Some((hp, end, score));
            }
        }
    }
    match best {
        Some((s, e, score)) => Alignment {
            span: Some(folded.original(s, e)),
            method: AlignMethod::Fuzzy,
            candidates: n.min(2),
            score,
        },
        None => not_found,
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{LabelParser, DEFAULT_LABEL_PATTERN};
    use crate::pattern::ValueType;

    fn corpus() -> Corpus {
        let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
        let a = "Dan: Do you trust them? Trust matters.\n\nA1: I trust the evidence base. The evidence base is trusted by all.";
        Corpus::new(vec![("A1".into(), a.into(), p.parse(a))]).unwrap()
    }

    fn code(unit: CodeUnit) -> Vec<(u32, String, u32)> {
        let c = corpus();
        let pats: Vec<String> = ["trust*", "evidence base", "evidence"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let p = Patterns::new(&pats, ValueType::Glob, true).unwrap();
        let text = &c.docs()[0].text;
        autocode(&c, &p, &[0, 1, 1], unit)
            .into_iter()
            .map(|s| (s.code, text[s.byte_start..s.byte_end].to_string(), s.hits))
            .collect()
    }

    #[test]
    fn match_unit_merges_overlapping_hits_of_one_code() {
        assert_eq!(
            code(CodeUnit::Match),
            vec![
                (0, "trust".into(), 1),
                (0, "Trust".into(), 1),
                (0, "trust".into(), 1),
                (1, "evidence base".into(), 2),
                (1, "evidence base".into(), 2),
                (0, "trusted".into(), 1),
            ]
        );
    }

    #[test]
    fn sentence_and_turn_units_code_once_per_code() {
        assert_eq!(
            code(CodeUnit::Sentence),
            vec![
                (0, "Do you trust them?".into(), 1),
                (0, "Trust matters.".into(), 1),
                (0, "I trust the evidence base.".into(), 1),
                (1, "I trust the evidence base.".into(), 2),
                (0, "The evidence base is trusted by all.".into(), 1),
                (1, "The evidence base is trusted by all.".into(), 2),
            ]
        );
        let turn = code(CodeUnit::Turn);
        assert_eq!(turn.len(), 3);
        assert_eq!(turn[0], (0, "Do you trust them? Trust matters.".into(), 2));
        assert_eq!(turn[1].2, 2);
        assert_eq!(turn[2].2, 4);
    }

    #[test]
    fn speaker_restriction_applies() {
        let c = corpus().with_speakers(Some(&["A1".to_string()]));
        let p = Patterns::new(&["trust*".into()], ValueType::Glob, true).unwrap();
        assert_eq!(autocode(&c, &p, &[0], CodeUnit::Match).len(), 2);
    }

    #[test]
    fn align_exact_normalized_fuzzy() {
        let text = "Dan: What do you think?\n\nParticipant: Honestly, I think the “partial dependence” plots are useful — mostly.\n\nDan: Okay.";
        let f = Folded::new(text);
        let a = align(text, &f, "I think the", 0.15);
        assert_eq!((a.method, a.candidates), (AlignMethod::Exact, 1));
        let a = align(
            text,
            &f,
            "Honestly, I think the \"partial dependence\" plots are useful - mostly.\nDan: Okay.",
            0.15,
        );
        assert_eq!(a.method, AlignMethod::Normalized);
        let (s, e) = a.span.unwrap();
        assert_eq!(
            &text[s..e],
            "Honestly, I think the “partial dependence” plots are useful — mostly.\n\nDan: Okay."
        );
        // A transcription difference in the middle: found by head and tail.
        let a = align(
            text,
            &f,
            "Honestly, I think the partial dependency plots are useful - mostly.",
            0.15,
        );
        assert_eq!(a.method, AlignMethod::Fuzzy);
        let (s, e) = a.span.unwrap();
        assert_eq!(
            &text[s..e],
            "Honestly, I think the “partial dependence” plots are useful — mostly."
        );
        assert!(a.score > 0.9);
        let a = align(
            text,
            &f,
            "Nothing like this is in the transcript at all, really.",
            0.15,
        );
        assert_eq!(a.method, AlignMethod::NotFound);
        let a = align(text, &f, "Okay", 0.15);
        assert_eq!(a.method, AlignMethod::Exact);
        // Of several tails in the window, the one giving the closest length is taken: the
        // extract is 67 bytes (head "aaaa bbbb cccc d", tail "kkk TAILTAILTAIL"); the first
        // tail gives a 36-byte span, the second a 90-byte one, closer to 67.
        let text2 = "aaaa bbbb cccc dxxx kkk TAILTAILTAIL and then some more filler words here kkk TAILTAILTAIL.";
        let f2 = Folded::new(text2);
        let extract = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk TAILTAILTAIL";
        assert_eq!(extract.len(), 67);
        let a = align(text2, &f2, extract, 0.5);
        assert_eq!(a.method, AlignMethod::Fuzzy);
        let (s2, e2) = a.span.unwrap();
        assert_eq!(e2 - s2, 90);
    }

    #[test]
    fn folded_maps_back_to_original() {
        let text = "  a\u{2019}b \n\n c\u{2014}d  ";
        let f = Folded::new(text);
        assert_eq!(f.text, "a'b c-d");
        let (s, e) = f.original(0, f.text.len());
        assert_eq!(&text[s..e], "a\u{2019}b \n\n c\u{2014}d");
        let (s, e) = f.original(4, 7);
        assert_eq!(&text[s..e], "c\u{2014}d");
    }
}
