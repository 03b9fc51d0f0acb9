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
/// local types in order of first occurrence (see `LocalTypes`).
pub fn tokenize_document<'a>(doc: &'a Document, units: &[Unit]) -> (DocTokens, Vec<&'a str>) {
    let text = doc.text.as_str();
    let mut local = LocalTypes::new(text);
    let mut ids: Vec<u32> = Vec::with_capacity(token_capacity(text.len()));
    let mut out = scan_units(doc, units, false, |s, e| ids.push(local.id(s, e)));
    ids.shrink_to_fit();
    out.ids = ids;
    (out, local.types)
}

/// The types of one document's active units with their counts (in order of first occurrence),
/// as [`tokenize_document`] would number them, without the token ids.
pub fn count_document<'a>(doc: &'a Document, units: &[Unit]) -> (Vec<u32>, Vec<&'a str>) {
    let text = doc.text.as_str();
    let mut local = LocalTypes::new(text);
    let mut counts: Vec<u32> = Vec::new();
    scan_units(doc, units, false, |s, e| {
        let id = local.id(s, e) as usize;
        if id == counts.len() {
            counts.push(0);
        }
        counts[id] += 1;
    });
    (counts, local.types)
}

/// A per-document vocabulary whose keys borrow the document's text (no allocation per token).
/// Tokens of up to 7 bytes (most words) are looked up by a `u64` packing their bytes and length,
/// which costs one multiply to hash and one integer compare; longer ones by their text.
struct LocalTypes<'a> {
    text: &'a str,
    /// Ids of one-byte tokens (punctuation, "a", "I": a sixth of English tokens) by their
    /// byte, without hashing (`u32::MAX`: not seen yet).
    byte: [u32; 128],
    short: FxHashMap<u64, u32>,
    long: FxHashMap<&'a str, u32>,
    types: Vec<&'a str>,
}

impl<'a> LocalTypes<'a> {
    fn new(text: &'a str) -> Self {
        // Room for the types a text of this size usually has (a 400 KB book: ~10,000), so the
        // tables rarely grow; a guess that is too small only costs the growth it saves.
        let guess = (text.len() / 40).clamp(16, 1 << 16);
        LocalTypes {
            text,
            byte: [u32::MAX; 128],
            short: FxHashMap::with_capacity_and_hasher(guess, Default::default()),
            long: FxHashMap::with_capacity_and_hasher(guess / 4, Default::default()),
            types: Vec::with_capacity(guess),
        }
    }

    /// The local id of the token `s..e` (bytes), numbered in order of first occurrence.
    #[inline]
    fn id(&mut self, s: usize, e: usize) -> u32 {
        let (text, types) = (self.text, &mut self.types);
        let next = types.len() as u32;
        let first = text.as_bytes()[s];
        if e - s == 1 && first < 0x80 {
            let slot = &mut self.byte[first as usize];
            if *slot == u32::MAX {
                *slot = next;
                types.push(&text[s..e]);
            }
            *slot
        } else if e - s <= SHORT {
            *self
                .short
                .entry(pack_short(text.as_bytes(), s, e - s))
                .or_insert_with(|| {
                    types.push(&text[s..e]);
                    next
                })
        } else {
            *self.long.entry(&text[s..e]).or_insert_with(|| {
                types.push(&text[s..e]);
                next
            })
        }
    }
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

/// Longest token packed into a `u64` key ([`pack_short`]).
const SHORT: usize = 7;

/// The bytes `s..s + len` (`len <= 7`) packed into a `u64` with the length in the top byte.
#[inline(always)]
fn pack_short(bytes: &[u8], s: usize, len: usize) -> u64 {
    debug_assert!(len <= SHORT);
    let mut buf = [0u8; 8];
    if s + 8 <= bytes.len() {
        buf.copy_from_slice(&bytes[s..s + 8]);
    } else {
        buf[..len].copy_from_slice(&bytes[s..s + len]);
    }
    let word = u64::from_le_bytes(buf);
    let mask = (1u64 << (8 * len)) - 1;
    (word & mask) | ((len as u64) << 56)
}

/// Strings interned in one arena: id to string and string to id.  A corpus vocabulary holds
/// 10^5 to 10^6 strings; kept as one allocation each, they cost a `malloc` to add and a `free`
/// each to drop (0.1 s for the Gutenberg set's 350,000 types), here only the arena's growth.
#[derive(Debug, Clone, Default)]
struct Interner {
    text: String,
    /// End of each string in `text` (its start is the previous end).
    ends: Vec<usize>,
    /// Ids, hashed by their strings.
    table: hashbrown::HashTable<u32>,
}

impl Interner {
    fn hash(s: &str) -> u64 {
        use std::hash::BuildHasher;
        rustc_hash::FxBuildHasher.hash_one(s)
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    fn find(&self, s: &str) -> Option<u32> {
        self.table
            .find(Self::hash(s), |&id| self.get(id) == s)
            .copied()
    }

    /// Adds `s`, which must not be there yet; returns its id.
    fn push(&mut self, s: &str) -> u32 {
        let id = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len());
        let Interner { text, ends, table } = self;
        let get = |id: u32| {
            let i = id as usize;
            &text[if i == 0 { 0 } else { ends[i - 1] }..ends[i]]
        };
        table.insert_unique(Self::hash(s), id, |&k| Self::hash(get(k)));
        id
    }
}

/// The vocabulary: token types (original forms) and their normalised forms.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    types: Interner,
    /// Types of up to 7 bytes by their packed bytes (see `pack_short`): a faster way in than
    /// hashing their text.
    short_index: FxHashMap<u64, u32>,
    norm_of: Vec<u32>,
    norms: Interner,
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
        let short = (token.len() <= SHORT).then(|| pack_short(token.as_bytes(), 0, token.len()));
        let found = match short {
            Some(key) => self.short_index.get(&key).copied(),
            None => self.types.find(token),
        };
        if let Some(id) = found {
            return id;
        }
        let norm = self.normalization.normalize(token);
        let norm_id = match self.norms.find(&norm) {
            Some(n) => n,
            None => {
                self.kinds.push(TokenKind::of(&norm));
                self.norms.push(&norm)
            }
        };
        let id = self.types.push(token);
        if let Some(key) = short {
            self.short_index.insert(key, id);
        }
        self.norm_of.push(norm_id);
        id
    }

    /// Number of distinct original forms.
    pub fn n_types(&self) -> usize {
        self.types.len()
    }

    /// The rank of each normalised form (by norm id) in code-point order of the forms (UTF-8
    /// byte order is code-point order), sorted in parallel.
    ///
    /// ```
    /// use qualcore::tokens::Vocabulary;
    /// let mut v = Vocabulary::new(Default::default());
    /// for t in ["trust", "Évidence", "base", "Trust"] {
    ///     v.intern(t);
    /// }
    /// // norms: "trust", "évidence", "base"
    /// assert_eq!(v.norm_ranks(), vec![1, 2, 0]);
    /// ```
    pub fn norm_ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.norms.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| self.norms.get(a).cmp(self.norms.get(b)));
        let mut rank = vec![0u32; order.len()];
        for (r, &m) in order.iter().enumerate() {
            rank[m as usize] = r as u32;
        }
        rank
    }

    /// Number of distinct normalised forms.
    pub fn n_norms(&self) -> usize {
        self.norms.len()
    }

    /// Original form of a type.
    pub fn type_str(&self, id: u32) -> &str {
        self.types.get(id)
    }

    /// Normalised-form id of a type.
    pub fn norm_of(&self, id: u32) -> u32 {
        self.norm_of[id as usize]
    }

    /// Normalised form by its id.
    pub fn norm_str(&self, norm: u32) -> &str {
        self.norms.get(norm)
    }

    /// Kind of a normalised form.
    pub fn norm_kind(&self, norm: u32) -> TokenKind {
        self.kinds[norm as usize]
    }

    /// All normalised forms in id order (ids by first occurrence in the corpus).
    pub fn norms(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.norms.len() as u32).map(|m| self.norms.get(m))
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
        let mut vocab = Vocabulary::new(normalization);
        let mut docs: Vec<DocTokens> = Vec::with_capacity(corpus.len());
        in_batches(
            corpus.len(),
            |i| tokenize_document(&corpus.docs()[i], &corpus.units(i)),
            |batch| {
                for (mut dt, types) in batch {
                    let map: Vec<u32> = types.iter().map(|t| vocab.intern(t)).collect();
                    for id in dt.ids.iter_mut() {
                        *id = map[*id as usize];
                    }
                    docs.push(dt);
                }
            },
        );
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

    /// Each document's (`per_document`) or each unit's normalised forms with their counts
    /// (what a [`TermCounts`] holds, forms in order of first occurrence), from the token ids;
    /// units in the order of [`Tokens::unit_labels`].
    pub fn unit_counts(&self, per_document: bool) -> Vec<Vec<(u32, u32)>> {
        let n = self.vocab.n_norms();
        let ranges: Vec<&[u32]> = self
            .docs
            .iter()
            .flat_map(|d| {
                let whole = std::iter::once(&d.ids[..]).filter(move |_| per_document);
                let units = d
                    .units
                    .iter()
                    .filter(move |_| !per_document)
                    .map(move |u| &d.ids[u.first as usize..u.end as usize]);
                whole.chain(units)
            })
            .collect();
        ranges
            .into_par_iter()
            .map_init(
                || vec![0u32; n],
                |slot, ids| merge_counts(slot, ids.iter().map(|&id| (self.vocab.norm_of(id), 1))),
            )
            .collect()
    }

    /// The document and turn of every unit (turns and stretches outside turns, `None`), in
    /// corpus order.
    pub fn unit_labels(&self) -> Vec<(u32, Option<u32>)> {
        self.docs
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.units.iter().map(move |u| (i as u32, u.turn)))
            .collect()
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

/// Runs `local(i)` for documents `0..n` in parallel batches and hands each batch's results,
/// in document order, to `merge`, which runs (on one thread) while the next batch is computed:
/// the serial merging of vocabularies overlaps the parallel tokenising, and only two batches'
/// local results live at once.
fn in_batches<L: Send>(
    n: usize,
    local: impl Fn(usize) -> L + Sync,
    mut merge: impl FnMut(Vec<L>) + Send,
) {
    let batch = (rayon::current_num_threads() * 64).max(1);
    let mut pending: Option<Vec<L>> = None;
    let mut lo = 0;
    while lo < n {
        let hi = (lo + batch).min(n);
        let (next, ()) = rayon::join(
            || (lo..hi).into_par_iter().map(&local).collect::<Vec<L>>(),
            || {
                if let Some(p) = pending.take() {
                    merge(p);
                }
            },
        );
        pending = Some(next);
        lo = hi;
    }
    if let Some(p) = pending {
        merge(p);
    }
}

/// (form id, count) pairs of one unit.
type UnitCounts = Vec<(u32, u32)>;

/// (form, count) pairs merged by form, forms in order of first occurrence, through `slot`: a
/// table over every form id, all 0 on entry and on return (no sorting, no hashing).
fn merge_counts(slot: &mut [u32], pairs: impl Iterator<Item = (u32, u32)>) -> UnitCounts {
    let mut out: UnitCounts = Vec::new();
    for (m, c) in pairs {
        match slot[m as usize] {
            0 => {
                out.push((m, c));
                slot[m as usize] = out.len() as u32;
            }
            k => out[k as usize - 1].1 += c,
        }
    }
    for &(m, _) in &out {
        slot[m as usize] = 0;
    }
    out
}

/// The distinct normalised forms of each unit with their counts, counted without keeping the
/// tokens: what document- and turn-level counting (co-occurrence, frequencies) needs, in a few
/// bytes per distinct form of a unit instead of [`Tokens`]' four bytes per token.  The tokens
/// are exactly those of [`Tokens::build`] (same segmentation, same units, same speaker
/// restriction) and so is the vocabulary (types interned in the same order, so the same ids).
///
/// ```
/// use qualcore::corpus::Corpus;
/// use qualcore::tokens::TermCounts;
/// let c = Corpus::new(vec![("a".into(), "Trust, trust!".into(), vec![])]).unwrap();
/// let t = TermCounts::build(&c, Default::default(), true);
/// let v = t.vocabulary();
/// let unit: Vec<(&str, u32)> = t.units()[0].iter().map(|&(m, k)| (v.norm_str(m), k)).collect();
/// assert_eq!(unit, [("trust", 2), (",", 1), ("!", 1)]);
/// ```
#[derive(Debug, Clone)]
pub struct TermCounts {
    vocab: Vocabulary,
    per_document: bool,
    /// Per unit, in corpus order: (norm id, count), forms in order of first occurrence.
    units: Vec<Vec<(u32, u32)>>,
    /// Per unit: its document and turn (`None`: a whole document, or text outside turns).
    labels: Vec<(u32, Option<u32>)>,
}

impl TermCounts {
    /// Counts the forms of every document (`per_document`: one unit per document) or of every
    /// active unit (turns and the text outside them, as [`DocTokens::units`]), in parallel.
    pub fn build(corpus: &Corpus, normalization: Normalization, per_document: bool) -> TermCounts {
        let mut vocab = Vocabulary::new(normalization);
        // per document: its units' (local type, count) lists, and its local types' norms
        let mut local: Vec<(Vec<UnitCounts>, Vec<u32>)> = Vec::with_capacity(corpus.len());
        let mut labels: Vec<(u32, Option<u32>)> = Vec::new();
        in_batches(
            corpus.len(),
            |i| {
                let (doc, units) = (&corpus.docs()[i], corpus.units(i));
                if per_document {
                    // one unit: the counts are all there is to keep
                    let (counts, types) = count_document(doc, &units);
                    let g = counts.into_iter().enumerate().map(|(t, c)| (t as u32, c));
                    return (vec![g.collect()], types, vec![None]);
                }
                let (dt, types) = tokenize_document(doc, &units);
                let mut count = vec![0u32; types.len()];
                let mut seen: Vec<u32> = Vec::new();
                let mut groups = Vec::new();
                let mut emit = |ids: &[u32], groups: &mut Vec<Vec<(u32, u32)>>| {
                    for &t in ids {
                        if count[t as usize] == 0 {
                            seen.push(t);
                        }
                        count[t as usize] += 1;
                    }
                    groups.push(
                        seen.drain(..)
                            .map(|t| (t, std::mem::take(&mut count[t as usize])))
                            .collect(),
                    );
                };
                for u in &dt.units {
                    emit(&dt.ids[u.first as usize..u.end as usize], &mut groups);
                }
                let turns = dt.units.iter().map(|u| u.turn).collect();
                (groups, types, turns)
            },
            |batch| {
                for (groups, types, turns) in batch {
                    let doc = local.len() as u32;
                    labels.extend(turns.into_iter().map(|t: Option<u32>| (doc, t)));
                    let norms = types
                        .iter()
                        .map(|t| {
                            let id = vocab.intern(t);
                            vocab.norm_of(id)
                        })
                        .collect();
                    local.push((groups, norms));
                }
            },
        );
        // Local types to norms; types of one norm ("Trust", "trust") are one form, merged
        // through a per-thread slot table over the norms (no sorting).
        let n_norms = vocab.n_norms();
        let units = local
            .into_par_iter()
            .map_init(
                || vec![0u32; n_norms],
                |slot, (groups, norms)| {
                    groups
                        .into_iter()
                        .map(|g| {
                            merge_counts(slot, g.into_iter().map(|(t, c)| (norms[t as usize], c)))
                        })
                        .collect::<Vec<_>>()
                },
            )
            .flatten_iter()
            .collect();
        TermCounts {
            vocab,
            per_document,
            units,
            labels,
        }
    }

    /// The vocabulary (the same as [`Tokens::build`]'s).
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocab
    }

    /// True when each unit is a whole document.
    pub fn per_document(&self) -> bool {
        self.per_document
    }

    /// Per unit: its document and turn (`None`: a whole document, or text outside turns), as
    /// [`DocTokens::units`] has them.
    pub fn labels(&self) -> &[(u32, Option<u32>)] {
        &self.labels
    }

    /// Per unit, in corpus order: (norm id, count), forms in order of first occurrence.
    pub fn units(&self) -> &[Vec<(u32, u32)>] {
        &self.units
    }

    /// Number of tokens of each normalised form over the corpus, indexed by norm id (equal to
    /// [`Tokens::norm_counts`] by form).
    pub fn norm_counts(&self) -> Vec<u64> {
        let n = self.vocab.n_norms();
        let mut out = vec![0u64; n];
        for u in &self.units {
            for &(m, c) in u {
                out[m as usize] += u64::from(c);
            }
        }
        out
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
        let trust = v.norms().position(|n| n == "trust").unwrap();
        assert_eq!(counts[trust], 3);
    }

    /// Per unit (document or active unit), the (norm, count) lists computed from token ids.
    fn counts_from_tokens(t: &Tokens, per_document: bool) -> Vec<Vec<(u32, u32)>> {
        let v = t.vocabulary();
        let mut out = Vec::new();
        for d in t.docs() {
            let ranges: Vec<(u32, u32)> = if per_document {
                vec![(0, d.ids.len() as u32)]
            } else {
                d.units.iter().map(|u| (u.first, u.end)).collect()
            };
            for (a, b) in ranges {
                let mut m: std::collections::BTreeMap<u32, u32> = Default::default();
                for &id in &d.ids[a as usize..b as usize] {
                    *m.entry(v.norm_of(id)).or_default() += 1;
                }
                out.push(m.into_iter().collect());
            }
        }
        out
    }

    /// Many documents (several batches, so merging overlaps tokenising), case variants, turns
    /// and text outside them.
    fn big_corpus() -> Corpus {
        let p = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap();
        let words = [
            "Trust",
            "trust",
            "TRUST",
            "power",
            "évidence",
            "base",
            "it's",
            "3.5",
        ];
        let docs = (0..300usize)
            .map(|i| {
                let mut text = String::from("Preamble words\n");
                for k in 0..(i % 7) {
                    text.push_str(if k % 2 == 0 { "Dan: " } else { "Siân: " });
                    for j in 0..(i * 3 + k) % 11 {
                        text.push_str(words[(i + j * k) % words.len()]);
                        text.push_str(if j % 3 == 0 { ", " } else { " " });
                    }
                    text.push('\n');
                }
                let turns = p.parse(&text);
                (format!("d{i}"), text, turns)
            })
            .collect();
        Corpus::new(docs).unwrap()
    }

    #[test]
    fn term_counts_equal_the_counts_of_the_tokens() {
        for c in [corpus(), big_corpus()] {
            let restricted =
                c.with_speakers(Some(&["Siân".to_string(), "Participant".to_string()]));
            for c in [&c, &restricted] {
                for lowercase in [true, false] {
                    let norm = Normalization { lowercase };
                    let t = Tokens::build(c, norm);
                    for per_document in [true, false] {
                        let tc = TermCounts::build(c, norm, per_document);
                        assert_eq!(tc.per_document(), per_document);
                        assert_eq!(tc.units(), t.unit_counts(per_document));
                        if !per_document {
                            assert_eq!(tc.labels(), t.unit_labels());
                        }
                        assert!(tc.vocabulary().norms().eq(t.vocabulary().norms()));
                        let mut units = tc.units().to_vec();
                        for u in units.iter_mut() {
                            u.sort_unstable();
                        }
                        assert_eq!(units, counts_from_tokens(&t, per_document));
                        assert_eq!(tc.norm_counts(), t.norm_counts());
                        let pool = rayon::ThreadPoolBuilder::new()
                            .num_threads(1)
                            .build()
                            .unwrap();
                        let one = pool.install(|| TermCounts::build(c, norm, per_document));
                        assert_eq!(one.units(), tc.units());
                        assert!(one.vocabulary().norms().eq(tc.vocabulary().norms()));
                    }
                }
            }
        }
    }

    /// The same tokens on one thread as on all, for a small corpus and for one of many batches
    /// (merging overlaps tokenising there).
    #[test]
    fn same_result_with_one_thread() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        for c in [corpus(), big_corpus()] {
            let many = Tokens::build(&c, Normalization::default());
            let one = pool.install(|| Tokens::build(&c, Normalization::default()));
            assert_eq!(many.docs(), one.docs());
            assert!(many.vocabulary().norms().eq(one.vocabulary().norms()));
        }
        assert!(big_corpus().len() > 2 * 16 * rayon::current_num_threads());
    }
}
