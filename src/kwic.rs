//! Keyword in context: every match of a set of patterns with its surrounding tokens.

use rayon::prelude::*;

use crate::corpus::Corpus;
use crate::error::{Error, Result};
use crate::offsets::bytes_to_chars;
use crate::pattern::{DocMatcher, Match, Patterns};
use crate::tokens::segment_document;

/// Whether contexts (and phrases) may cross turn boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    /// Stay inside the turn (or the stretch of text outside turns) of the match.
    Turn,
    /// Stay inside the document.
    Document,
}

impl Within {
    /// Parses `"turn"` or `"document"`.
    pub fn parse(s: &str) -> Result<Within> {
        match s {
            "turn" => Ok(Within::Turn),
            "document" => Ok(Within::Document),
            _ => Err(Error::invalid_argument(
                "within",
                format!("{s:?} is not one of 'turn', 'document'"),
            )),
        }
    }
}

/// Options of [`kwic`].
#[derive(Debug, Clone)]
pub struct KwicOptions {
    /// Tokens of context on each side.
    pub window: u32,
    /// Unit that contexts stay inside.
    pub within: Within,
}

/// One KWIC line.  Byte offsets are for slicing the document inside Rust; `start`/`end` are the
/// match's code-point offsets for Python.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KwicHit {
    /// Document position in the corpus.
    pub doc: u32,
    /// Turn of the match's first token (`None`: outside every turn).
    pub turn: Option<u32>,
    /// Pattern index.
    pub pattern: u32,
    /// Document position of the match's first token.
    pub token_start: u32,
    /// Document position past the match's last token.
    pub token_end: u32,
    /// Code-point start of the match.
    pub start: usize,
    /// Code-point end of the match.
    pub end: usize,
    /// Byte range of the match.
    pub match_bytes: (usize, usize),
    /// Byte range of the left context (empty at the match start when there is none).
    pub pre_bytes: (usize, usize),
    /// Byte range of the right context (empty at the match end when there is none).
    pub post_bytes: (usize, usize),
}

/// Finds every match of `patterns` in the corpus, in document order, then token order, then
/// pattern order.  Each document is segmented on the fly and its tokens matched against the
/// patterns (no corpus-wide token store is built), in parallel over documents.  A corpus restricted to some speakers
/// ([`Corpus::with_speakers`]) is searched in their turns only.
///
/// ```
/// use qualcore::corpus::Corpus;
/// use qualcore::kwic::{kwic, KwicOptions, Within};
/// use qualcore::pattern::{Patterns, ValueType};
/// let c = Corpus::new(vec![("d".into(), "I trust the evidence base here.".into(), vec![])]).unwrap();
/// let p = Patterns::new(&["evidence base".into()], ValueType::Glob, true).unwrap();
/// let opts = KwicOptions { window: 2, within: Within::Turn };
/// let hits = kwic(&c, &p, &opts);
/// let text = &c.docs()[0].text;
/// let h = &hits[0];
/// assert_eq!(&text[h.pre_bytes.0..h.pre_bytes.1], "trust the");
/// assert_eq!(&text[h.post_bytes.0..h.post_bytes.1], "here.");
/// ```
pub fn kwic(corpus: &Corpus, patterns: &Patterns, opts: &KwicOptions) -> Vec<KwicHit> {
    let per_doc: Vec<Vec<KwicHit>> = corpus
        .docs()
        .par_iter()
        .enumerate()
        .map(|(di, doc)| {
            let toks = segment_document(doc, &corpus.units(di));
            let mut matcher = DocMatcher::new(patterns);
            let mut matches: Vec<Match> = Vec::new();
            let mut hits = Vec::new();
            let ranges: Vec<(u32, u32)> = match opts.within {
                Within::Turn => toks.units.iter().map(|u| (u.first, u.end)).collect(),
                // Runs of units with no token left out between them (a speaker restriction
                // drops whole turns: matches and contexts never reach across those).
                Within::Document => {
                    let mut runs: Vec<(u32, u32)> = Vec::new();
                    let mut next_position = None;
                    for u in &toks.units {
                        match runs.last_mut() {
                            Some(last) if next_position == Some(u.position) => last.1 = u.end,
                            _ => runs.push((u.first, u.end)),
                        }
                        next_position = Some(u.position + (u.end - u.first));
                    }
                    runs
                }
            };
            for (lo, hi) in ranges {
                matches.clear();
                matcher.find(&doc.text, &toks.starts, &toks.ends, lo, hi, &mut matches);
                for m in &matches {
                    let turn = toks.turn_of(m.start);
                    let (s, e) = (m.start as usize, m.end as usize);
                    let mb = (toks.starts[s] as usize, toks.ends[e - 1] as usize);
                    let pre_first = m.start.saturating_sub(opts.window).max(lo) as usize;
                    let pre = if pre_first < s {
                        (toks.starts[pre_first] as usize, toks.ends[s - 1] as usize)
                    } else {
                        (mb.0, mb.0)
                    };
                    let post_end = (m.end.saturating_add(opts.window)).min(hi) as usize;
                    let post = if post_end > e {
                        (toks.starts[e] as usize, toks.ends[post_end - 1] as usize)
                    } else {
                        (mb.1, mb.1)
                    };
                    hits.push(KwicHit {
                        doc: di as u32,
                        turn,
                        pattern: m.pattern,
                        token_start: toks.position(m.start),
                        token_end: toks.position(m.end - 1) + 1,
                        start: 0,
                        end: 0,
                        match_bytes: mb,
                        pre_bytes: pre,
                        post_bytes: post,
                    });
                }
            }
            let offsets: Vec<usize> = hits
                .iter()
                .flat_map(|h| [h.match_bytes.0, h.match_bytes.1])
                .collect();
            let chars = bytes_to_chars(&doc.text, &offsets);
            for (h, c) in hits.iter_mut().zip(chars.chunks_exact(2)) {
                h.start = c[0];
                h.end = c[1];
            }
            hits
        })
        .collect();
    per_doc.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{LabelParser, DEFAULT_LABEL_PATTERN};
    use crate::pattern::ValueType;

    fn corpus() -> Corpus {
        let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
        let a = "Dan: Do you trust the évidence?\n\nParticipant: Trust? The évidence base, yes. I trust it.\n";
        Corpus::new(vec![("A1".into(), a.into(), p.parse(a))]).unwrap()
    }

    fn run(
        c: &Corpus,
        pats: &[&str],
        window: u32,
        within: Within,
    ) -> Vec<(String, String, String, Option<u32>)> {
        let v: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
        let p = Patterns::new(&v, ValueType::Glob, true).unwrap();
        let text = &c.docs()[0].text;
        kwic(c, &p, &KwicOptions { window, within })
            .into_iter()
            .map(|h| {
                let chars: Vec<char> = text.chars().collect();
                let m: String = chars[h.start..h.end].iter().collect();
                assert_eq!(m, &text[h.match_bytes.0..h.match_bytes.1]);
                (
                    text[h.pre_bytes.0..h.pre_bytes.1].to_string(),
                    m,
                    text[h.post_bytes.0..h.post_bytes.1].to_string(),
                    h.turn,
                )
            })
            .collect()
    }

    #[test]
    fn contexts_stay_in_the_turn() {
        let c = corpus();
        let hits = run(&c, &["trust"], 3, Within::Turn);
        assert_eq!(
            hits,
            vec![
                (
                    "Do you".into(),
                    "trust".into(),
                    "the évidence?".into(),
                    Some(0)
                ),
                ("".into(), "Trust".into(), "? The évidence".into(), Some(1)),
                ("yes. I".into(), "trust".into(), "it.".into(), Some(1)),
            ]
        );
        let hits = run(&c, &["trust"], 3, Within::Document);
        // Across the turn boundary; the label between turns is not a token.
        assert_eq!(hits[1].0, "the évidence?");
    }

    #[test]
    fn document_contexts_never_reach_into_left_out_turns() {
        let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
        let a = "A1: Evidence matters here\n\nDan: SECRET words?\n\nA1: Base rates, yes.";
        let c = Corpus::new(vec![("d".into(), a.into(), p.parse(a))]).unwrap();
        let r = c.with_speakers(Some(&["A1".to_string()]));
        assert!(run(&r, &["here base"], 2, Within::Document).is_empty());
        let hits = run(&r, &["evidence"], 4, Within::Document);
        assert_eq!(hits[0].2, "matters here");
        // Without the restriction the document is one run.
        assert_eq!(run(&c, &["here secret"], 1, Within::Document).len(), 1);
    }

    #[test]
    fn speaker_filter_and_phrases() {
        let c = corpus().with_speakers(Some(&["Participant".to_string()]));
        let hits = run(&c, &["trust", "évidence base"], 1, Within::Turn);
        let matched: Vec<&str> = hits.iter().map(|h| h.1.as_str()).collect();
        assert_eq!(matched, ["Trust", "évidence base", "trust"]);
    }
}
