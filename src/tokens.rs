//! Tokens of a corpus: integer ids over a vocabulary, with byte offsets and units.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::corpus::{Corpus, Document, Unit};

use crate::tokenize::{for_each_token, Normalization, TokenKind};

/// The tokens of one document.  Positions are 0-based over all tokens of the document (words and
/// punctuation; speaker labels are not tokens).  Offsets are bytes.
///
/// A tokenised corpus ([`Tokens`]) keeps only the ids (4 bytes a token): offsets are
/// recomputed when asked for by segmenting the document again ([`segment_document`], which
/// yields the same tokens in the same order), so `starts`/`ends` are empty there.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocTokens {
    /// Type id of each token (an index into the vocabulary's types); empty when only offsets
    /// were asked for ([`segment_document`]).
    pub ids: Vec<u32>,
    /// Start byte of each token (empty in a [`Tokens`]).
    pub starts: Vec<u32>,
    /// End byte of each token, exclusive (empty in a [`Tokens`]).
    pub ends: Vec<u32>,
    /// The active units as token ranges, in text order; they tile `0..len`.
    pub units: Vec<TokUnit>,
}

/// A unit of a document as a range of its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokUnit {
    /// Index of the first token.
    pub first: u32,
    /// Index past the last token.
    pub end: u32,
    /// Turn (`None`: outside every turn).
    pub turn: Option<u32>,
    /// Document position of the first token: positions count the tokens of every unit,
    /// including units a speaker restriction leaves out.
    pub position: u32,
}

impl DocTokens {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ids.len().max(self.starts.len())
    }

    /// True when the document has no tokens.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn unit_of(&self, i: u32) -> Option<&TokUnit> {
        let k = self.units.partition_point(|u| u.end <= i);
        self.units.get(k)
    }

    /// The turn of token `i` (`None`: outside every turn).
    pub fn turn_of(&self, i: u32) -> Option<u32> {
        self.unit_of(i).and_then(|u| u.turn)
    }

    /// The document position of token `i` (equal to `i` unless a speaker restriction leaves
    /// units out).
    pub fn position(&self, i: u32) -> u32 {
        self.unit_of(i).map_or(i, |u| u.position + (i - u.first))
    }
}

/// Tokenises the active units of one document against a local, per-document vocabulary whose
/// keys borrow the document's text (no allocation per token).  Inactive units are only counted,
/// so positions stay those of the whole document.  Returns the tokens (ids are local) and the
/// local types in order of first occurrence.
///
/// Tokens of up to 7 bytes (most words) are looked up by a `u64` packing their bytes and length,
/// which costs one multiply to hash and one integer compare; longer ones by their text.
pub fn tokenize_document<'a>(doc: &'a Document, units: &[Unit]) -> (DocTokens, Vec<&'a str>) {
    let text = doc.text.as_str();
    let bytes = text.as_bytes();
    let mut short: FxHashMap<u64, u32> = FxHashMap::default();
    let mut long: FxHashMap<&'a str, u32> = FxHashMap::default();
    let mut types: Vec<&'a str> = Vec::new();
    let mut ids: Vec<u32> = Vec::with_capacity(token_capacity(text.len()));
    let mut out = scan_units(doc, units, false, |s, e| {
        let len = e - s;
        let next = types.len() as u32;
        let id = if len <= 7 {
            *short.entry(pack_short(bytes, s, len)).or_insert_with(|| {
                types.push(&text[s..e]);
                next
            })
        } else {
            *long.entry(&text[s..e]).or_insert_with(|| {
                types.push(&text[s..e]);
                next
            })
        };
        ids.push(id);
    });
    ids.shrink_to_fit();
    out.ids = ids;
    (out, types)
}

/// The token offsets and units of a document without token ids (`ids` is left empty): what
/// matching needs, at the speed of segmentation.
pub fn segment_document(doc: &Document, units: &[Unit]) -> DocTokens {
    scan_units(doc, units, true, |_, _| {})
}

/// Segments the active units of a document into tokens, calling `on_token(start, end)` (bytes)
/// for each and recording offsets and units; inactive units are only counted, so positions stay
/// those of the whole document.
#[inline]
fn scan_units(
    doc: &Document,
    units: &[Unit],
    offsets: bool,
    mut on_token: impl FnMut(usize, usize),
) -> DocTokens {
    let text = doc.text.as_str();
    let guess = if offsets {
        token_capacity(text.len())
    } else {
        0
    };
    let mut out = DocTokens {
        ids: Vec::new(),
        starts: Vec::with_capacity(guess),
        ends: Vec::with_capacity(guess),
        units: Vec::with_capacity(units.len()),
    };
    let mut position = 0u32;
    let mut count = 0u32;
    for u in units {
        let first = count;
        let slice = &text[u.start..u.end];
        if !u.active {
            let mut n = 0u32;
            for_each_token(slice, |_, _| n += 1);
            position += n;
            continue;
        }
        for_each_token(slice, |s, e| {
            let (s, e) = (u.start + s, u.start + e);
            on_token(s, e);
            count += 1;
            if offsets {
                out.starts.push(s as u32);
                out.ends.push(e as u32);
            }
        });
        let end = count;
        out.units.push(TokUnit {
            first,
            end,
            turn: u.turn,
            position,
        });
        position += end - first;
    }
    out.starts.shrink_to_fit();
    out.ends.shrink_to_fit();
    out
}

/// Room for the tokens of `bytes` of text: English prose has one token per 4.5-5 bytes, so
/// this rarely grows (a growth doubles the vector) and is trimmed afterwards.
fn token_capacity(bytes: usize) -> usize {
    bytes / 4 + 16
}

/// The bytes `s..s + len` (`len <= 7`) packed into a `u64` with the length in the top byte.
#[inline(always)]
fn pack_short(bytes: &[u8], s: usize, len: usize) -> u64 {
    debug_assert!(len <= 7);
    let word = if s + 8 <= bytes.len() {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(&bytes[s..s + 8]);
        u64::from_le_bytes(buf)
    } else {
        let mut buf = [0u8; 8];
        buf[..len].copy_from_slice(&bytes[s..s + len]);
        u64::from_le_bytes(buf)
    };
    let mask = (1u64 << (8 * len)) - 1;
    (word & mask) | ((len as u64) << 56)
}

/// The vocabulary: token types (original forms) and their normalised forms.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    types: Vec<Box<str>>,
    /// Types of up to 7 bytes, by their packed bytes (see `pack_short`).
    short_index: FxHashMap<u64, u32>,
    /// Longer types.
    type_index: FxHashMap<Box<str>, u32>,
    norm_of: Vec<u32>,
    norms: Vec<Box<str>>,
    norm_index: FxHashMap<Box<str>, u32>,
    kinds: Vec<TokenKind>,
    normalization: Normalization,
}

impl Vocabulary {
    /// An empty vocabulary with the given normalisation.
    pub fn new(normalization: Normalization) -> Self {
        Vocabulary {
            normalization,
            ..Default::default()
        }
    }

    /// The id of a type, added if new.
    pub fn intern(&mut self, token: &str) -> u32 {
        let short = (token.len() <= 7).then(|| pack_short(token.as_bytes(), 0, token.len()));
        let found = match short {
            Some(key) => self.short_index.get(&key),
            None => self.type_index.get(token),
        };
        if let Some(&id) = found {
            return id;
        }
        let id = self.types.len() as u32;
        let norm = self.normalization.normalize(token);
        let norm_id = match self.norm_index.get(norm.as_str()) {
            Some(&n) => n,
            None => {
                let n = self.norms.len() as u32;
                self.kinds.push(TokenKind::of(&norm));
                self.norms.push(norm.clone().into_boxed_str());
                self.norm_index.insert(norm.into_boxed_str(), n);
                n
            }
        };
        self.types.push(token.into());
        match short {
            Some(key) => {
                self.short_index.insert(key, id);
            }
            None => {
                self.type_index.insert(token.into(), id);
            }
        }
        self.norm_of.push(norm_id);
        id
    }

    /// Number of distinct original forms.
    pub fn n_types(&self) -> usize {
        self.types.len()
    }

    /// Number of distinct normalised forms.
    pub fn n_norms(&self) -> usize {
        self.norms.len()
    }

    /// Original form of a type.
    pub fn type_str(&self, id: u32) -> &str {
        &self.types[id as usize]
    }

    /// Normalised-form id of a type.
    pub fn norm_of(&self, id: u32) -> u32 {
        self.norm_of[id as usize]
    }

    /// Normalised form by its id.
    pub fn norm_str(&self, norm: u32) -> &str {
        &self.norms[norm as usize]
    }

    /// Kind of a normalised form.
    pub fn norm_kind(&self, norm: u32) -> TokenKind {
        self.kinds[norm as usize]
    }

    /// All normalised forms in id order (ids by first occurrence in the corpus).
    pub fn norms(&self) -> &[Box<str>] {
        &self.norms
    }

    /// The normalisation in use.
    pub fn normalization(&self) -> Normalization {
        self.normalization
    }
}

/// A tokenised corpus.  Type ids are assigned in order of first occurrence (document order,
/// then text order), so they are the same whatever the number of threads.
#[derive(Debug, Clone)]
pub struct Tokens {
    vocab: Vocabulary,
    docs: Vec<DocTokens>,
}

impl Tokens {
    /// Tokenises every document in parallel, then merges the local vocabularies in document
    /// order.
    ///
    /// ```
    /// use qualcore::corpus::Corpus;
    /// use qualcore::tokens::Tokens;
    /// let c = Corpus::new(vec![("a".into(), "Trust, trust!".into(), vec![])]).unwrap();
    /// let t = Tokens::build(&c, Default::default());
    /// assert_eq!(t.doc(0).len(), 4);
    /// assert_eq!(t.vocabulary().n_norms(), 3); // "trust", ",", "!"
    /// ```
    pub fn build(corpus: &Corpus, normalization: Normalization) -> Tokens {
        // Documents are tokenised in parallel in batches, and each batch's local vocabularies
        // are merged (in document order) and dropped before the next: the per-document type
        // lists never all live at once.
        let mut vocab = Vocabulary::new(normalization);
        let mut docs: Vec<DocTokens> = Vec::with_capacity(corpus.len());
        let batch = (rayon::current_num_threads() * 16).max(1);
        let n = corpus.len();
        let mut lo = 0;
        while lo < n {
            let hi = (lo + batch).min(n);
            let local: Vec<(DocTokens, Vec<&str>)> = (lo..hi)
                .into_par_iter()
                .map(|i| tokenize_document(&corpus.docs()[i], &corpus.units(i)))
                .collect();
            let maps: Vec<Vec<u32>> = local
                .iter()
                .map(|(_, types)| types.iter().map(|t| vocab.intern(t)).collect())
                .collect();
            let mapped: Vec<DocTokens> = local
                .into_par_iter()
                .zip(maps.into_par_iter())
                .map(|((mut dt, _), map)| {
                    for id in dt.ids.iter_mut() {
                        *id = map[*id as usize];
                    }
                    dt
                })
                .collect();
            docs.extend(mapped);
            lo = hi;
        }
        Tokens { vocab, docs }
    }

    /// The vocabulary.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocab
    }

    /// Tokens of document `i`.
    pub fn doc(&self, i: usize) -> &DocTokens {
        &self.docs[i]
    }

    /// Tokens of every document.
    pub fn docs(&self) -> &[DocTokens] {
        &self.docs
    }

    /// Number of tokens of each normalised form over the whole corpus, indexed by norm id;
    /// `words_only` skips punctuation.
    pub fn norm_counts(&self) -> Vec<u64> {
        let n = self.vocab.n_norms();
        let vocab = &self.vocab;
        self.docs
            .par_iter()
            .fold(
                || vec![0u64; n],
                |mut acc, d| {
                    for &id in &d.ids {
                        acc[vocab.norm_of(id) as usize] += 1;
                    }
                    acc
                },
            )
            .reduce(
                || vec![0u64; n],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x += y;
                    }
                    a
                },
            )
    }

    /// Number of word tokens (not punctuation) in each document.
    pub fn n_words(&self) -> Vec<u64> {
        self.docs
            .par_iter()
            .map(|d| {
                d.ids
                    .iter()
                    .filter(|&&id| self.vocab.norm_kind(self.vocab.norm_of(id)) == TokenKind::Word)
                    .count() as u64
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{LabelParser, DEFAULT_LABEL_PATTERN};

    fn corpus() -> Corpus {
        let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
        let a = "Notes\n\nDan: Do you trust it?\n\nParticipant: Trust? Yes, I trust it.\n";
        let b = "Dan: And the evidence?\nParticipant: The evidence base is weak.";
        Corpus::new(vec![
            ("A1".into(), a.into(), p.parse(a)),
            ("B1".into(), b.into(), p.parse(b)),
        ])
        .unwrap()
    }

    #[test]
    fn ids_offsets_and_units() {
        let c = corpus();
        let t = Tokens::build(&c, Normalization::default());
        let v = t.vocabulary();
        let d = t.doc(0);
        let text = &c.docs()[0].text;
        assert!(d.starts.is_empty() && d.ends.is_empty()); // ids only: 4 bytes a token
        let seg = segment_document(&c.docs()[0], &c.units(0));
        assert_eq!(seg.len(), d.len());
        assert_eq!(seg.units, d.units);
        let toks: Vec<&str> = (0..d.len())
            .map(|i| &text[seg.starts[i] as usize..seg.ends[i] as usize])
            .collect();
        assert_eq!(
            toks,
            [
                "Notes", "Do", "you", "trust", "it", "?", "Trust", "?", "Yes", ",", "I", "trust",
                "it", "."
            ]
        );
        let u = |first, end, turn, position| TokUnit {
            first,
            end,
            turn,
            position,
        };
        assert_eq!(
            d.units,
            vec![u(0, 1, None, 0), u(1, 6, Some(0), 1), u(6, 14, Some(1), 6)]
        );
        // Restricted to the participant: positions stay those of the whole document.
        let r = c.with_speakers(Some(&["Participant".to_string()]));
        let (rt, _) = tokenize_document(&r.docs()[0], &r.units(0));
        assert_eq!(rt.units, vec![u(0, 8, Some(1), 6)]);
        assert_eq!(rt.position(3), 9);
        // "trust" and "Trust" are two types with one normalised form.
        assert_eq!(v.norm_of(d.ids[3]), v.norm_of(d.ids[6]));
        assert_ne!(d.ids[3], d.ids[6]);
        assert_eq!(v.norm_str(v.norm_of(d.ids[6])), "trust");
        assert_eq!(d.turn_of(0), None);
        assert_eq!(d.turn_of(5), Some(0));
        assert_eq!(d.turn_of(13), Some(1));
        assert_eq!(t.n_words(), vec![10, 8]);
        let counts = t.norm_counts();
        let trust = v.norms().iter().position(|n| &**n == "trust").unwrap();
        assert_eq!(counts[trust], 3);
    }

    #[test]
    fn same_result_with_one_thread() {
        let c = corpus();
        let many = Tokens::build(&c, Normalization::default());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let one = pool.install(|| Tokens::build(&c, Normalization::default()));
        assert_eq!(many.docs(), one.docs());
        assert_eq!(many.vocabulary().norms(), one.vocabulary().norms());
    }
}
