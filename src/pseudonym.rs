//! Pseudonymisation: names, places and organisations replaced in one pass over each document.
//!
//! Patterns are the pattern language of KWIC and auto-coding (words, phrases, globs such as
//! `Sarah*` for inflections), matched on whole tokens, case-insensitively when asked, over the
//! whole text — speaker labels included.  Where matches overlap, the one starting first wins,
//! then the longest.  Turn and label offsets are carried over to the new text; speaker names
//! are pseudonymised with the same patterns, so a label and its speaker stay in step.

use rayon::prelude::*;

use crate::corpus::{Corpus, LineEnds, TurnSpec};
use crate::error::Result;
use crate::pattern::{DocMatcher, Match, Patterns};
use crate::tokenize::for_each_token;

/// One replacement made: byte ranges in the old and the new text, and the pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaced {
    /// Document position.
    pub doc: usize,
    /// Start byte in the old text.
    pub old_start: usize,
    /// End byte in the old text.
    pub old_end: usize,
    /// Start byte in the new text.
    pub new_start: usize,
    /// End byte in the new text.
    pub new_end: usize,
    /// Index of the pattern that matched.
    pub pattern: u32,
}

/// Non-overlapping matches of `patterns` in `text` as (pattern, start byte, end byte), in
/// text order: the earliest start wins, then the longest match, then the first pattern.
pub fn find_replacements(text: &str, patterns: &Patterns) -> Vec<(u32, usize, usize)> {
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for_each_token(text, |s, e| {
        starts.push(s as u32);
        ends.push(e as u32);
    });
    let mut matcher = DocMatcher::new(patterns);
    let mut found: Vec<Match> = Vec::new();
    matcher.find(text, &starts, &ends, 0, starts.len() as u32, &mut found);
    found.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(a.pattern.cmp(&b.pattern))
    });
    let mut out = Vec::with_capacity(found.len());
    let mut covered = 0u32;
    for m in found {
        if m.start < covered {
            continue;
        }
        covered = m.end;
        out.push((
            m.pattern,
            starts[m.start as usize] as usize,
            ends[m.end as usize - 1] as usize,
        ));
    }
    out
}

/// The stretches a match may not cross, in text order: each turn's label and content, and the
/// text between them (outside every turn).
fn segments(d: &crate::corpus::Document) -> Vec<(usize, usize)> {
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for t in &d.turns {
        if let Some((a, b)) = t.label {
            cuts.push((a, b));
        }
        cuts.push((t.start as usize, t.end as usize));
    }
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(cuts.len() * 2 + 1);
    let mut prev = 0;
    for (a, b) in cuts {
        if a > prev {
            out.push((prev, a));
        }
        if b > a.max(prev) {
            out.push((a.max(prev), b));
        }
        prev = prev.max(b);
    }
    if prev < d.text.len() {
        out.push((prev, d.text.len()));
    }
    out
}

/// Maps byte offsets of the old text to the new one, given the replacements in text order:
/// an offset inside a replaced span goes to the start of its replacement (an end offset, to
/// its end).
fn map_offset(x: usize, reps: &[(usize, usize, usize, usize)], is_end: bool) -> usize {
    // reps: (old_start, old_end, new_start, new_end)
    let k = reps.partition_point(|r| r.1 <= x); // replacements wholly before x
    if let Some(r) = reps.get(k) {
        if r.0 < x {
            // x is strictly inside a replaced span
            return if is_end { r.3 } else { r.2 };
        }
    }
    match k.checked_sub(1).and_then(|i| reps.get(i)) {
        Some(r) => r.3 + (x - r.1),
        None => x,
    }
}

/// Pseudonymises every document (in parallel): returns the new corpus and the replacements.
pub fn pseudonymise(
    corpus: &Corpus,
    patterns: &Patterns,
    replacements: &[String],
) -> Result<(Corpus, Vec<Replaced>)> {
    // Speaker names first: the same patterns, so "Sarah:" and speaker "Sarah" agree.
    let rename =
        |name: &str| -> String { apply(name, &find_replacements(name, patterns), replacements).0 };
    let speakers: Vec<String> = corpus.speakers().iter().map(|s| rename(s)).collect();
    type NewDoc = (String, String, Vec<TurnSpec>, LineEnds, Vec<Replaced>);
    let per_doc: Vec<NewDoc> = corpus
        .docs()
        .par_iter()
        .enumerate()
        .map(|(di, d)| {
            // Matches stay inside one label, one turn's content or one stretch outside turns:
            // a phrase never joins the end of a turn to the next speaker's label.
            let mut found = Vec::new();
            for (s, e) in segments(d) {
                found.extend(
                    find_replacements(&d.text[s..e], patterns)
                        .into_iter()
                        .map(|(p, a, b)| (p, a + s, b + s)),
                );
            }
            let (text, spans) = apply(&d.text, &found, replacements);
            let turns = d
                .turns
                .iter()
                .map(|t| TurnSpec {
                    speaker: t.speaker.map(|s| speakers[s as usize].clone()),
                    start: map_offset(t.start as usize, &spans, false),
                    end: map_offset(t.end as usize, &spans, true),
                    label: t
                        .label
                        .map(|(a, b)| (map_offset(a, &spans, false), map_offset(b, &spans, true))),
                    time_start: t.start_time(),
                    time_end: t.end_time(),
                })
                .collect();
            let ends = LineEnds {
                // a CR LF whose LF was inside a replaced span is gone with it
                crlf: d
                    .line_ends
                    .crlf
                    .iter()
                    .filter(|&&x| {
                        let k = spans.partition_point(|r| r.1 <= x);
                        spans.get(k).is_none_or(|r| x < r.0)
                    })
                    .map(|&x| map_offset(x, &spans, false))
                    .collect(),
                cr: d.line_ends.cr,
            };
            let audit = found
                .iter()
                .zip(&spans)
                .map(|(&(p, _, _), &(os, oe, ns, ne))| Replaced {
                    doc: di,
                    old_start: os,
                    old_end: oe,
                    new_start: ns,
                    new_end: ne,
                    pattern: p,
                })
                .collect();
            (d.id.clone(), text, turns, ends, audit)
        })
        .collect();
    let mut docs = Vec::with_capacity(per_doc.len());
    let mut ends = Vec::with_capacity(per_doc.len());
    let mut audit = Vec::new();
    for (id, text, turns, e, a) in per_doc {
        docs.push((id, text, turns));
        ends.push(e);
        audit.extend(a);
    }
    let mut out = Corpus::new(docs)?;
    out.set_line_ends(ends);
    let restriction = corpus
        .speaker_restriction()
        .map(|names| names.iter().map(|n| rename(n)).collect::<Vec<_>>());
    Ok((out.with_speakers(restriction.as_deref()), audit))
}

/// The text with each found span replaced; returns it and (old start, old end, new start,
/// new end) per replacement.
#[allow(clippy::type_complexity)]
fn apply(
    text: &str,
    found: &[(u32, usize, usize)],
    replacements: &[String],
) -> (String, Vec<(usize, usize, usize, usize)>) {
    let mut out = String::with_capacity(text.len());
    let mut spans = Vec::with_capacity(found.len());
    let mut prev = 0;
    for &(p, s, e) in found {
        out.push_str(&text[prev..s]);
        let ns = out.len();
        out.push_str(&replacements[p as usize]);
        spans.push((s, e, ns, out.len()));
        prev = e;
    }
    out.push_str(&text[prev..]);
    (out, spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{LabelParser, DEFAULT_LABEL_PATTERN};
    use crate::pattern::ValueType;

    #[test]
    fn names_labels_and_offsets() {
        let text = "Sarah: I met Dr Jones at St Mary's.\nDan: Sarah's view? SARAH said Jonesy.\n";
        let turns = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap().parse(text);
        let corpus = Corpus::new(vec![("A1".into(), text.into(), turns)]).unwrap();
        let pats: Vec<String> = ["sarah*", "dr jones", "st mary's"]
            .map(String::from)
            .to_vec();
        let reps: Vec<String> = ["[PERSON 1]", "[PERSON 2]", "[PLACE 1]"]
            .map(String::from)
            .to_vec();
        let patterns = Patterns::new(&pats, ValueType::Glob, true).unwrap();
        let (c, audit) = pseudonymise(&corpus, &patterns, &reps).unwrap();
        let d = &c.docs()[0];
        assert_eq!(
            d.text,
            "[PERSON 1]: I met [PERSON 2] at [PLACE 1].\nDan: [PERSON 1] view? [PERSON 1] said Jonesy.\n"
        );
        assert_eq!(c.speakers(), ["[PERSON 1]", "Dan"]);
        let t0 = &d.turns[0];
        assert_eq!(
            &d.text[t0.start as usize..t0.end as usize],
            "I met [PERSON 2] at [PLACE 1]."
        );
        assert_eq!(
            &d.text[t0.label.unwrap().0..t0.label.unwrap().1],
            "[PERSON 1]:"
        );
        let t1 = &d.turns[1];
        assert_eq!(
            &d.text[t1.start as usize..t1.end as usize],
            "[PERSON 1] view? [PERSON 1] said Jonesy."
        );
        assert_eq!(audit.len(), 5);
        for r in &audit {
            assert_eq!(&d.text[r.new_start..r.new_end], reps[r.pattern as usize]);
        }
        assert_eq!(&text[audit[3].old_start..audit[3].old_end], "Sarah's");
        assert_eq!(&text[audit[4].old_start..audit[4].old_end], "SARAH");
    }

    #[test]
    fn phrases_do_not_cross_turns_or_labels() {
        let text = "Ann: I saw Sarah\nJones: she was fine.\nDan: ok\n";
        let turns = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap().parse(text);
        let corpus = Corpus::new(vec![("A1".into(), text.into(), turns)]).unwrap();
        let pats: Vec<String> = ["sarah jones", "dan : ok"].map(String::from).to_vec();
        let reps: Vec<String> = ["[P]", "[Q]"].map(String::from).to_vec();
        let patterns = Patterns::new(&pats, ValueType::Glob, true).unwrap();
        let (c, audit) = pseudonymise(&corpus, &patterns, &reps).unwrap();
        assert!(audit.is_empty());
        assert_eq!(c.docs()[0].text, text);
        assert_eq!(c.speakers(), ["Ann", "Jones", "Dan"]);
    }

    #[test]
    fn a_line_end_inside_a_replacement_goes_with_it() {
        let text = "Dan: I saw Sarah\nJones today\nok\n";
        let turns = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap().parse(text);
        let mut corpus = Corpus::new(vec![("A1".into(), text.into(), turns)]).unwrap();
        // as read from a CRLF file: every LF was a CR LF
        corpus.set_line_ends(vec![LineEnds {
            crlf: vec![16, 28, 31],
            cr: 0,
        }]);
        let patterns = Patterns::new(&["sarah jones".to_string()], ValueType::Glob, true).unwrap();
        let (c, _) = pseudonymise(&corpus, &patterns, &["[P]".to_string()]).unwrap();
        let d = &c.docs()[0];
        assert_eq!(d.text, "Dan: I saw [P] today\nok\n");
        assert_eq!(d.line_ends.crlf, vec![20, 23]);
        assert_eq!(d.line_ends.style(&d.text), "CRLF");
    }

    #[test]
    fn map_offsets_inside_and_between() {
        // "ab XYZ cd" -> "ab Q cd": XYZ (3..6) -> Q (3..4)
        let reps = [(3, 6, 3, 4)];
        assert_eq!(map_offset(2, &reps, false), 2);
        assert_eq!(map_offset(3, &reps, false), 3);
        assert_eq!(map_offset(4, &reps, false), 3);
        assert_eq!(map_offset(4, &reps, true), 4);
        assert_eq!(map_offset(6, &reps, true), 4);
        assert_eq!(map_offset(8, &reps, false), 6);
    }
}
