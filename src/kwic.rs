//! Keyword in context: every match of a set of patterns with its surrounding tokens.

use rayon::prelude::*;

use crate::corpus::{Corpus, Document, Unit};
use crate::error::{Error, Result};
use crate::offsets::bytes_to_chars;
use crate::pattern::{DocMatcher, Match, Patterns};
use crate::tokenize::{count_tokens, for_each_token, split_after, split_before};
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
    kwic_impl(corpus, patterns, opts, true)
}

/// [`kwic`]; with `scan` false every document takes the segment-everything path (the reference
/// the scanning path is tested against).
fn kwic_impl(corpus: &Corpus, patterns: &Patterns, opts: &KwicOptions, scan: bool) -> Vec<KwicHit> {
    let per_doc: Vec<Vec<KwicHit>> = corpus
        .docs()
        .par_iter()
        .enumerate()
        .map(|(di, doc)| {
            let units = corpus.units(di);
            let mut matcher = DocMatcher::new(patterns);
            let mut hits =
                if scan && opts.within == Within::Turn && matcher.can_prefilter(&doc.text) {
                    scan_document(
                        di as u32,
                        &doc.text,
                        &units,
                        &mut matcher,
                        patterns,
                        opts.window,
                    )
                } else {
                    segment_and_match(di as u32, doc, &units, &mut matcher, opts)
                };
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

/// KWIC lines of one document from its whole segmentation: every token is segmented and matched.
fn segment_and_match<'a>(
    di: u32,
    doc: &'a Document,
    units: &[Unit],
    matcher: &mut DocMatcher<'_, 'a>,
    opts: &KwicOptions,
) -> Vec<KwicHit> {
    let toks = segment_document(doc, units);
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
                doc: di,
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
    hits
}

/// KWIC lines of one document found from candidate literals ([`DocMatcher::find_in_unit`]):
/// tokens are counted, not stored (for the token positions), and contexts are segmented around
/// each match only.  The same lines as [`segment_and_match`] with `Within::Turn`.
fn scan_document<'a>(
    di: u32,
    text: &'a str,
    units: &[Unit],
    matcher: &mut DocMatcher<'_, 'a>,
    patterns: &Patterns,
    window: u32,
) -> Vec<KwicHit> {
    let mut hits = Vec::new();
    let mut found: Vec<(u32, usize, usize)> = Vec::new();
    let mut toks: Vec<(usize, usize)> = Vec::new();
    let mut position = 0u32;
    for u in units {
        let unit_text = &text[u.start..u.end];
        if !u.active {
            position += count_tokens(unit_text) as u32;
            continue;
        }
        found.clear();
        matcher.find_in_unit(text, u.start, u.end, &mut found);
        // Matches come in order of start: count the tokens between them.
        let (mut cursor, mut count) = (u.start, 0u32);
        for &(p, s, e) in &found {
            count += count_tokens(&text[cursor..s]) as u32;
            cursor = s;
            let token_start = position + count;
            hits.push(KwicHit {
                doc: di,
                turn: u.turn,
                pattern: p,
                token_start,
                token_end: token_start + patterns.pattern_len(p),
                start: 0,
                end: 0,
                match_bytes: (s, e),
                pre_bytes: context_before(text, u.start, s, window, &mut toks),
                post_bytes: context_after(text, e, (u.start, u.end), window, &mut toks),
            });
        }
        count += count_tokens(&text[cursor..u.end]) as u32;
        position += count;
    }
    hits
}

/// Bytes of the last `window` tokens before the token start `s` in the unit starting at `lo`
/// (`(s, s)` when there are none).  Segments from a certain boundary before, going further
/// back until `window` tokens are found.
fn context_before(
    text: &str,
    lo: usize,
    s: usize,
    window: u32,
    toks: &mut Vec<(usize, usize)>,
) -> (usize, usize) {
    let window = window as usize;
    if window == 0 || s == lo {
        return (s, s);
    }
    let bytes = text.as_bytes();
    // Segment to a certain boundary after `s`, so that no rule looking ahead sees a cut.
    let to = split_after(bytes, s).max(s);
    let mut back = 16 * window + 64;
    loop {
        let w0 = split_before(bytes, lo, s.saturating_sub(back).max(lo));
        toks.clear();
        for_each_token(&text[w0..to], |a, b| {
            if w0 + b <= s {
                toks.push((w0 + a, w0 + b))
            }
        });
        if toks.len() >= window || w0 <= lo {
            break;
        }
        back *= 4;
    }
    match toks.len() {
        0 => (s, s),
        n => (toks[n.saturating_sub(window)].0, toks[n - 1].1),
    }
}

/// Bytes of the first `window` tokens after the token end `e` in the unit `lo..hi` (`(e, e)`
/// when there are none).
fn context_after(
    text: &str,
    e: usize,
    (lo, hi): (usize, usize),
    window: u32,
    toks: &mut Vec<(usize, usize)>,
) -> (usize, usize) {
    let window = window as usize;
    if window == 0 || e == hi {
        return (e, e);
    }
    let bytes = text.as_bytes();
    // Segment from a certain boundary before `e`, so that no rule looking back sees a cut.
    let from = split_before(bytes, lo, e);
    let mut fwd = 16 * window + 64;
    loop {
        let w1 = if e + fwd >= hi {
            hi
        } else {
            split_after(bytes, e + fwd).min(hi)
        };
        toks.clear();
        for_each_token(&text[from..w1], |a, b| {
            if from + a >= e && toks.len() < window {
                toks.push((from + a, from + b))
            }
        });
        if toks.len() >= window || w1 >= hi {
            break;
        }
        fwd *= 4;
    }
    match toks.len() {
        0 => (e, e),
        n => (toks[0].0, toks[n - 1].1),
    }
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

    use proptest::prelude::*;

    fn piece() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("trust"),
            Just("Trust"),
            Just("distrust"),
            Just("trust's"),
            Just("evidence"),
            Just("base"),
            Just("base."),
            Just("you"),
            Just("know"),
            Just("i"),
            Just("I"),
            Just("think"),
            Just(" "),
            Just("  "),
            Just("\n"),
            Just("\n\nDan: "),
            Just("\n\nA1: "),
            Just("\nB2: "),
            Just(","),
            Just("."),
            Just("e.g."),
            Just("3.14"),
            Just("é"),
            Just("évidence"),
            Just("\u{301}"),
            Just("🇺🇸"),
            Just("李"),
            Just("'"),
            Just("-"),
            Just("x_trust"),
            Just("(trust)"),
            Just("\r\n"),
            Just("\t")
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn scanning_equals_segmenting_everything(
            docs in prop::collection::vec(prop::collection::vec(piece(), 0..40), 1..4),
            pats in prop::collection::vec(prop_oneof![
                Just("trust"), Just("trust*"), Just("evidence base"), Just("you know"),
                Just("i think"), Just("base"), Just("i"), Just("know you know"), Just("e.g")
            ], 1..4),
            window in 0u32..4,
            restrict in any::<bool>(),
            ci in any::<bool>(),
        ) {
            static PARSER: std::sync::OnceLock<LabelParser> = std::sync::OnceLock::new();
            let p = PARSER.get_or_init(|| LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap());
            let docs: Vec<(String, String, Vec<_>)> = docs
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let text = d.join(" ");
                    let turns = p.parse(&text);
                    (format!("d{i}"), text, turns)
                })
                .collect();
            let c = Corpus::new(docs).unwrap();
            let c = if restrict { c.with_speakers(Some(&["A1".to_string()])) } else { c };
            let v: Vec<String> = pats.iter().map(|s| s.to_string()).collect();
            let pat = Patterns::new(&v, ValueType::Glob, ci).unwrap();
            let opts = KwicOptions { window, within: Within::Turn };
            prop_assert_eq!(kwic_impl(&c, &pat, &opts, true), kwic_impl(&c, &pat, &opts, false));
        }
    }
}
