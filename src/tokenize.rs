//! Unicode UAX #29 word segmentation with an ASCII fast path, and case normalisation.
//!
//! A *token* is a UAX #29 word-boundary segment that does not start with white space.
//! Tokens that contain a letter, digit or ideograph are *words*; the others (punctuation,
//! symbols, emoji) are kept as tokens of their own kind and never merged into words.
//!
//! The general path is the `unicode-segmentation` crate's word-bound iterator.  Runs of ASCII
//! text between safe break points go through a hand-written scanner of the same rules
//! (WB5–WB13b restricted to ASCII), 64 bytes at a time (class bit masks computed eight bytes
//! per `u64`), which is about ten times faster; stretches whose only non-ASCII characters are
//! the typographic marks ‘ ’ “ ” — (word processors' quotes and dashes) go through the same
//! rules byte by byte.  Each is proven equal to the general path by the Unicode WordBreakTest
//! cases and by property tests (see the tests below).

use unicode_segmentation::UnicodeSegmentation;

/// Kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Contains at least one letter, digit or ideograph.
    Word,
    /// Punctuation, symbols, emoji: everything else that is not white space.
    Punct,
}

impl TokenKind {
    /// Classifies a token's text.
    pub fn of(token: &str) -> TokenKind {
        if token.bytes().all(|b| b < 0x80) {
            if token.bytes().any(|b| b.is_ascii_alphanumeric()) {
                TokenKind::Word
            } else {
                TokenKind::Punct
            }
        } else if token.chars().any(char::is_alphanumeric) {
            TokenKind::Word
        } else {
            TokenKind::Punct
        }
    }

    /// `"word"` or `"punct"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Word => "word",
            TokenKind::Punct => "punct",
        }
    }
}

/// Calls `f(start, end)` with the byte range of every token of `text`, in order.
///
/// Equal to [`for_each_token_reference`] (the unicode-segmentation iterator), but faster on
/// ASCII text.
///
/// ```
/// let text = "Dan: don't stop, e.g. 3.14!";
/// let mut toks = Vec::new();
/// qualcore::tokenize::for_each_token(text, |s, e| toks.push(&text[s..e]));
/// assert_eq!(toks, ["Dan", ":", "don't", "stop", ",", "e.g", ".", "3.14", "!"]);
/// ```
pub fn for_each_token(text: &str, mut f: impl FnMut(usize, usize)) {
    let b = text.as_bytes();
    let mut pos = 0;
    while pos < b.len() {
        match first_non_ascii(&b[pos..]) {
            None => {
                ascii_tokens(&b[pos..], pos, &mut f);
                break;
            }
            Some(k) => {
                let non_ascii = pos + k;
                let back = split_before(b, pos, non_ascii);
                ascii_tokens(&b[pos..back], pos, &mut f);
                let fwd = split_after(b, non_ascii + 1);
                if only_typographic(&b[back..fwd]) {
                    typographic_tokens(&b[back..fwd], back, &mut f);
                } else {
                    general_tokens(&text[back..fwd], back, &mut f);
                }
                pos = fwd;
            }
        }
    }
}

/// The number of tokens of `text`: the count of [`for_each_token`]'s calls, found faster (ASCII
/// stretches are counted with one table look-up a byte, see [`count_ascii_tokens`]).
///
/// ```
/// assert_eq!(qualcore::tokenize::count_tokens("Dan: don't stop, e.g. 3.14!"), 9);
/// assert_eq!(qualcore::tokenize::count_tokens("née à 3,5 km"), 4);
/// ```
pub fn count_tokens(text: &str) -> usize {
    let b = text.as_bytes();
    let mut n = 0;
    let mut pos = 0;
    while pos < b.len() {
        match first_non_ascii(&b[pos..]) {
            None => {
                n += count_ascii_tokens(&b[pos..]);
                break;
            }
            Some(k) => {
                let non_ascii = pos + k;
                // Typographic quotes and dashes between ASCII characters (most of the
                // non-ASCII in English prose) are counted without leaving the fast path.
                if let Some(kind) = typographic(b, non_ascii) {
                    n += count_ascii_tokens(&b[pos..non_ascii]);
                    let class_at =
                        |i: usize| b.get(i).filter(|&&x| x < 0x80).map(|&x| CLASS[x as usize]);
                    let (prev, next) = (
                        non_ascii.checked_sub(1).and_then(class_at),
                        class_at(non_ascii + 3),
                    );
                    let joins = kind == MID_NUMLET
                        && matches!(
                            (prev, next),
                            (Some(ALNUM_L), Some(ALNUM_L)) | (Some(ALNUM_D), Some(ALNUM_D))
                        );
                    // A joining apostrophe makes the words either side one token (counted
                    // twice by the two ASCII stretches); otherwise the character is a token.
                    if joins {
                        n -= 1;
                    } else {
                        n += 1;
                    }
                    pos = non_ascii + 3;
                    continue;
                }
                let back = split_before(b, pos, non_ascii);
                n += count_ascii_tokens(&b[pos..back]);
                let fwd = split_after(b, non_ascii + 1);
                general_tokens(&text[back..fwd], back, &mut |_, _| n += 1);
                pos = fwd;
            }
        }
    }
    n
}

/// When `b[i..]` starts with one of `‘ ’ “ ” —` and the byte after it (if any) is ASCII: the
/// character's word-break class (`MID_NUMLET` for the single quotes, `OTHER` for the rest).
/// Other characters, and these before a non-ASCII one (which might attach to it, WB4), take the
/// general path.
#[inline]
fn typographic(b: &[u8], i: usize) -> Option<u8> {
    if b.len() < i + 3 || b[i] != 0xE2 || b[i + 1] != 0x80 {
        return None;
    }
    if b.get(i + 3).is_some_and(|&x| x >= 0x80) {
        return None;
    }
    match b[i + 2] {
        0x98 | 0x99 => Some(MID_NUMLET),
        0x9C | 0x9D | 0x94 => Some(OTHER),
        _ => None,
    }
}

/// Whether an ASCII byte of class `c` starts a token, given the classes of the two bytes before
/// it and of the byte after it (`SPACE` beyond the slice): the rules of [`ascii_tokens`] written
/// as a function of a four-byte window.
const fn starts_token(p2: u8, p1: u8, c: u8, n1: u8) -> bool {
    const fn word(c: u8) -> bool {
        matches!(c, ALNUM_L | ALNUM_D | EXT)
    }
    const fn mid(c: u8) -> bool {
        matches!(c, MID_LETTER | MID_NUMLET | MID_NUM)
    }
    // A middle character joins the letters or digits either side of it into one token.
    const fn joined(prev: u8, m: u8, next: u8) -> bool {
        match m {
            MID_LETTER => prev == ALNUM_L && next == ALNUM_L,
            MID_NUMLET => {
                (prev == ALNUM_L && next == ALNUM_L) || (prev == ALNUM_D && next == ALNUM_D)
            }
            MID_NUM => prev == ALNUM_D && next == ALNUM_D,
            _ => false,
        }
    }
    match c {
        SPACE => false,
        OTHER => true,
        ALNUM_L | ALNUM_D | EXT => !(word(p1) || (mid(p1) && joined(p2, p1, c))),
        _ => !joined(p1, c, n1),
    }
}

const fn start_table() -> [u8; 4096] {
    let mut t = [0u8; 4096];
    let mut i = 0;
    while i < 4096 {
        let (p2, p1, c, n1) = (
            (i >> 9) as u8,
            (i >> 6 & 7) as u8,
            (i >> 3 & 7) as u8,
            (i & 7) as u8,
        );
        t[i] = starts_token(p2, p1, c, n1) as u8;
        i += 1;
    }
    t
}

/// `START[p2 << 9 | p1 << 6 | c << 3 | n1]`: 1 when the byte of class `c` starts a token.
static START: [u8; 4096] = start_table();

/// The number of tokens of an all-ASCII slice that starts and ends at word boundaries: the
/// count of [`ascii_tokens`]'s calls, from a sliding window of byte classes (no branches; two
/// bytes a step, so that the window's chain of operations is half as long).
pub(crate) fn count_ascii_tokens(b: &[u8]) -> usize {
    let class = |x: u8| CLASS[(x & 0x7f) as usize] as usize;
    let sp = SPACE as usize;
    let Some(&first) = b.first() else {
        return 0;
    };
    // The window holds the classes of bytes i-2, i-1, i and i+1.
    let mut idx = sp << 9 | sp << 6 | sp << 3 | class(first);
    let mut n = 0usize;
    let rest = &b[1..];
    let mut pairs = rest.chunks_exact(2);
    for pair in &mut pairs {
        let (c1, c2) = (class(pair[0]), class(pair[1]));
        let i1 = (idx << 3 | c1) & 0xfff;
        idx = (idx << 6 | c1 << 3 | c2) & 0xfff;
        n += START[i1] as usize + START[idx] as usize;
    }
    for &x in pairs.remainder() {
        idx = (idx << 3 | class(x)) & 0xfff;
        n += START[idx] as usize;
    }
    idx = (idx << 3 | sp) & 0xfff;
    n + START[idx] as usize
}

/// Index of the first byte >= 0x80, tested eight bytes at a time.
///
/// ```
/// assert_eq!(qualcore::tokenize::first_non_ascii("plain ascii, then é".as_bytes()), Some(18));
/// assert_eq!(qualcore::tokenize::first_non_ascii(b"none"), None);
/// ```
#[inline]
pub fn first_non_ascii(b: &[u8]) -> Option<usize> {
    const H: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().unwrap_or([0; 8])) & H;
        if w != 0 {
            return Some(base + (w.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&x| x >= 0x80)
        .map(|i| base + i)
}

/// The reference segmentation: unicode-segmentation's word bounds, white space dropped.
pub fn for_each_token_reference(text: &str, mut f: impl FnMut(usize, usize)) {
    general_tokens(text, 0, &mut f)
}

/// Tokens of `text` as byte ranges.
pub fn token_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for_each_token(text, |s, e| out.push((s, e)));
    out
}

fn general_tokens(text: &str, base: usize, f: &mut impl FnMut(usize, usize)) {
    for (i, seg) in text.split_word_bound_indices() {
        if !seg.starts_with(char::is_whitespace) {
            f(base + i, base + i + seg.len());
        }
    }
}

/// A position `p` is a safe split point when a UAX #29 word boundary is certain there whatever
/// follows: before a space or line feed whose preceding character is ASCII and does not join
/// with it (WB3 CR × LF, WB3d space × space).
#[inline]
fn is_split(b: &[u8], p: usize) -> bool {
    if p == 0 || p >= b.len() {
        return false;
    }
    let (prev, cur) = (b[p - 1], b[p]);
    prev < 0x80
        && match cur {
            b' ' => prev != b' ',
            b'\n' => prev != b'\r',
            _ => false,
        }
}

/// The last safe split point in `(lo, hi]`, or `lo` (itself a boundary) when there is none.
pub(crate) fn split_before(b: &[u8], lo: usize, hi: usize) -> usize {
    let mut p = hi;
    while p > lo {
        if is_split(b, p) {
            return p;
        }
        p -= 1;
    }
    lo
}

/// The first safe split point at or after `from`, or the end of the text.
pub(crate) fn split_after(b: &[u8], from: usize) -> usize {
    let mut p = from;
    while p < b.len() {
        if (b[p] == b' ' || b[p] == b'\n') && is_split(b, p) {
            return p;
        }
        p += 1;
    }
    b.len()
}

// Word_Break classes of ASCII bytes, as far as the rules need them.
const OTHER: u8 = 0; // punctuation, symbols, controls: a segment of one byte
const ALNUM_L: u8 = 1; // ALetter
const ALNUM_D: u8 = 2; // Numeric
const EXT: u8 = 3; // ExtendNumLet '_'
const MID_LETTER: u8 = 4; // ':' (MidLetter)
const MID_NUMLET: u8 = 5; // '.' (MidNumLet) and '\'' (Single_Quote, treated as MidNumLetQ)
const MID_NUM: u8 = 6; // ',' ';' (MidNum)
const SPACE: u8 = 7; // white space: never a token

const fn ascii_classes() -> [u8; 128] {
    let mut t = [OTHER; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphabetic() {
            ALNUM_L
        } else if c.is_ascii_digit() {
            ALNUM_D
        } else if c == b'_' {
            EXT
        } else if c == b':' {
            MID_LETTER
        } else if c == b'.' || c == b'\'' {
            MID_NUMLET
        } else if c == b',' || c == b';' {
            MID_NUM
        } else if c == b' ' || c == b'\t' || c == b'\n' || c == b'\r' || c == 0x0b || c == 0x0c {
            SPACE
        } else {
            OTHER
        };
        i += 1;
    }
    t
}

static CLASS: [u8; 128] = ascii_classes();

/// True when every non-ASCII character of `b` is a typographic mark ([`typographic`]: ‘ ’ “ ”
/// —) followed by ASCII or the end: the marks transcripts from word processors are full of.
fn only_typographic(b: &[u8]) -> bool {
    let mut i = 0;
    while i < b.len() {
        if b[i] < 0x80 {
            i += 1;
        } else if typographic(b, i).is_some() {
            i += 3;
        } else {
            return false;
        }
    }
    true
}

/// Tokens of a slice of ASCII and typographic marks ([`only_typographic`]) that starts and ends
/// at word boundaries: [`ascii_tokens_scalar`] with ‘ ’ as MidNumLet (they join letters to
/// letters and digits to digits, as '.') and “ ” — as other punctuation (a token each).
fn typographic_tokens(b: &[u8], base: usize, f: &mut impl FnMut(usize, usize)) {
    scalar_tokens(b, base, f, |i| {
        if b[i] < 0x80 {
            (CLASS[b[i] as usize], 1)
        } else {
            (typographic(b, i).unwrap_or(OTHER), 3)
        }
    })
}

/// Tokens of an all-ASCII slice that starts and ends at word boundaries: 64 bytes at a time
/// (`ascii_tokens_swar`) unless the slice is short.
#[inline]
fn ascii_tokens(b: &[u8], base: usize, f: &mut impl FnMut(usize, usize)) {
    if b.len() >= 64 {
        ascii_tokens_swar(b, base, f)
    } else {
        ascii_tokens_scalar(b, base, f)
    }
}

/// Bit masks of the Word_Break classes of 64 ASCII bytes (bit i: byte i).
#[derive(Default, Clone, Copy)]
struct ClassMasks {
    letter: u64,
    digit: u64,
    /// letters, digits and `_` (ExtendNumLet)
    word: u64,
    mid_letter: u64,
    mid_numlet: u64,
    mid_num: u64,
    space: u64,
}

/// `rep(b)`: the byte `b` in all eight lanes of a word.
const fn rep(b: u8) -> u64 {
    (b as u64) * 0x0101_0101_0101_0101
}
const HIGH: u64 = rep(0x80);
const LOW7: u64 = rep(0x7f);

/// For ASCII lanes: the lane's high bit set where the byte is >= `c` (no carry crosses lanes).
#[inline(always)]
fn ge(x: u64, c: u8) -> u64 {
    x.wrapping_add(rep(0x80 - c)) & HIGH
}

/// For ASCII lanes: the lane's high bit set where the byte equals `c`.
#[inline(always)]
fn eq(x: u64, c: u8) -> u64 {
    let t = x ^ rep(c);
    !((t & LOW7).wrapping_add(LOW7) | t) & HIGH
}

/// The high bits of the eight lanes as the low eight bits.
#[inline(always)]
fn movemask(h: u64) -> u64 {
    h.wrapping_mul(0x0002_0408_1020_4081) >> 56
}

/// The class masks of 64 ASCII bytes, eight at a time in a `u64` (SWAR).
#[inline(always)]
fn class_masks(block: &[u8; 64]) -> ClassMasks {
    let mut m = ClassMasks::default();
    for (j, chunk) in block.chunks_exact(8).enumerate() {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(chunk);
        let w = u64::from_le_bytes(lanes);
        let lower = w | rep(0x20);
        let digit = ge(w, b'0') & !ge(w, b'9' + 1);
        let letter = ge(lower, b'a') & !ge(lower, b'z' + 1);
        let under = eq(w, b'_');
        let space = eq(w, b' ') | (ge(w, 0x09) & !ge(w, 0x0e));
        let sh = 8 * j;
        m.letter |= movemask(letter) << sh;
        m.digit |= movemask(digit) << sh;
        m.word |= movemask(letter | digit | under) << sh;
        m.mid_letter |= movemask(eq(w, b':')) << sh;
        m.mid_numlet |= movemask(eq(w, b'.') | eq(w, b'\'')) << sh;
        m.mid_num |= movemask(eq(w, b',') | eq(w, b';')) << sh;
        m.space |= movemask(space) << sh;
    }
    m
}

/// [`ascii_tokens_scalar`] 64 bytes at a time: the class masks of a block give the bytes in
/// words (letters, digits, `_`, and the Mid* bytes that join the same classes on both sides:
/// WB6/7, WB11/12), word runs are the runs of those bits, and every other byte that is not
/// white space is a token of one byte.  Proven equal to the scalar scanner by property tests.
fn ascii_tokens_swar(b: &[u8], base: usize, f: &mut impl FnMut(usize, usize)) {
    let n = b.len();
    let blocks = n.div_ceil(64);
    // Blocks past the end are white space (no class bits); so is the padding of the last.
    let block_at = |k: usize| -> ClassMasks {
        if k >= blocks {
            return ClassMasks::default();
        }
        let lo = k * 64;
        if let Some(full) = b.get(lo..lo + 64) {
            let full: &[u8; 64] = full.try_into().expect("64 bytes");
            return class_masks(full);
        }
        let mut buf = [b' '; 64];
        buf[..n - lo].copy_from_slice(&b[lo..]);
        class_masks(&buf)
    };
    let mut cur = block_at(0);
    let mut next = block_at(1);
    let mut t = in_word(&cur, &ClassMasks::default(), &next);
    let mut prev_t = 0u64; // bit 63 of the previous block's in-word mask, as bit 0
    let mut open = 0usize; // start of the word run in progress
    for k in 0..blocks {
        let after = block_at(k + 2);
        let next_t = in_word(&next, &cur, &after);
        let starts = t & !((t << 1) | prev_t);
        let ends = t & !((t >> 1) | (next_t << 63));
        let single = !t & !cur.space;
        let lo = base + k * 64;
        // a run left open by the previous block ends at this block's first end
        if t & 1 != 0 && prev_t != 0 {
            let e = ends.trailing_zeros() as usize;
            if e < 64 {
                f(open, lo + e + 1);
            }
        }
        let mut events = starts | single;
        while events != 0 {
            let i = events.trailing_zeros() as usize;
            events &= events - 1;
            if single & (1u64 << i) != 0 {
                f(lo + i, lo + i + 1);
            } else {
                // the run's end is the first end at or after its start
                let e = (ends >> i).trailing_zeros() as usize;
                if i + e < 64 {
                    f(lo + i, lo + i + e + 1);
                } else {
                    open = lo + i;
                }
            }
        }
        prev_t = t >> 63;
        (cur, next, t) = (next, after, next_t);
    }
}

/// The bytes of a block that belong to words: word bytes, and Mid* bytes between two bytes
/// of the classes they join (`before`/`after`: the neighbouring blocks).
#[inline(always)]
fn in_word(cur: &ClassMasks, before: &ClassMasks, after: &ClassMasks) -> u64 {
    let before_l = (cur.letter << 1) | (before.letter >> 63);
    let before_d = (cur.digit << 1) | (before.digit >> 63);
    let after_l = (cur.letter >> 1) | ((after.letter & 1) << 63);
    let after_d = (cur.digit >> 1) | ((after.digit & 1) << 63);
    let both_l = before_l & after_l;
    let both_d = before_d & after_d;
    cur.word
        | (cur.mid_letter & both_l)
        | (cur.mid_numlet & (both_l | both_d))
        | (cur.mid_num & both_d)
}

/// Tokens of an all-ASCII slice that starts and ends at word boundaries, byte by byte.
#[inline]
fn ascii_tokens_scalar(b: &[u8], base: usize, f: &mut impl FnMut(usize, usize)) {
    scalar_tokens(b, base, f, |i| (CLASS[b[i] as usize], 1))
}

/// The word rules (WB5–WB13b) over a slice that starts and ends at word boundaries, character
/// by character: `class(i)` gives the class of the character at byte `i` and its length in
/// bytes.  Letters, digits and `_` are one byte (ASCII); other characters (typographic marks)
/// are Mid* or Other.
#[inline(always)]
fn scalar_tokens(
    b: &[u8],
    base: usize,
    f: &mut impl FnMut(usize, usize),
    class: impl Fn(usize) -> (u8, usize),
) {
    let n = b.len();
    let mut i = 0;
    while i < n {
        let (c, len) = class(i);
        match c {
            SPACE => i += 1,
            ALNUM_L | ALNUM_D | EXT => {
                let start = i;
                let mut last = c;
                i += 1;
                while i < n {
                    let (d, dl) = class(i);
                    match d {
                        ALNUM_L | ALNUM_D | EXT => {
                            last = d;
                            i += 1;
                        }
                        MID_LETTER | MID_NUMLET | MID_NUM if i + dl < n => {
                            let (next, _) = class(i + dl);
                            let joins = match d {
                                MID_LETTER => last == ALNUM_L && next == ALNUM_L,
                                MID_NUMLET => {
                                    (last == ALNUM_L && next == ALNUM_L)
                                        || (last == ALNUM_D && next == ALNUM_D)
                                }
                                _ => last == ALNUM_D && next == ALNUM_D,
                            };
                            if joins {
                                // `next` is a letter or digit: one byte
                                last = next;
                                i += dl + 1;
                            } else {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
                f(base + start, base + i);
            }
            _ => {
                f(base + i, base + i + len);
                i += len;
            }
        }
    }
}

/// How token text is normalised for matching and counting.  The original text is never altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Normalization {
    /// Lower-case (Unicode default lower-case mapping).  On by default.
    pub lowercase: bool,
}

impl Default for Normalization {
    fn default() -> Self {
        Normalization { lowercase: true }
    }
}

impl Normalization {
    /// Appends the normalised form of `token` to `out`.
    pub fn apply(&self, token: &str, out: &mut String) {
        if !self.lowercase {
            out.push_str(token);
        } else if token.is_ascii() {
            out.extend(token.bytes().map(|b| b.to_ascii_lowercase() as char));
        } else {
            // The whole-string mapping applies context rules (Greek final sigma), as Python's
            // str.lower() does.
            out.push_str(&token.to_lowercase());
        }
    }

    /// The normalised form of `token`.
    pub fn normalize(&self, token: &str) -> String {
        let mut s = String::with_capacity(token.len());
        self.apply(token, &mut s);
        s
    }
}

/// Calls `f(start, end)` with the byte range of every UAX #29 sentence of `text`, trimmed of
/// surrounding white space; sentences that are only white space are skipped.
///
/// UAX #29 always breaks after a line feed (rule SB4), so each line is segmented on its own:
/// plain ASCII lines by a scanner of rules SB6–SB11 ([`ascii_sentence_breaks`]), other lines by
/// the unicode-segmentation crate.  Both give the same boundaries (property tests below).
pub fn for_each_sentence(text: &str, mut f: impl FnMut(usize, usize)) {
    let mut emit = |a: usize, b: usize| {
        let seg = &text[a..b];
        let lead = seg.len() - seg.trim_start().len();
        let trimmed = seg.trim();
        if !trimmed.is_empty() {
            f(a + lead, a + lead + trimmed.len());
        }
    };
    let bytes = text.as_bytes();
    let mut line_start = 0;
    let mut breaks = Vec::new();
    while line_start < bytes.len() {
        let line_end =
            memchr::memchr(b'\n', &bytes[line_start..]).map_or(bytes.len(), |i| line_start + i + 1);
        let line = &text[line_start..line_end];
        if ascii_sentence_breaks(line.as_bytes(), &mut breaks) {
            let mut prev = 0;
            for &b in &breaks {
                emit(line_start + prev, line_start + b);
                prev = b;
            }
        } else {
            for (i, seg) in line.split_sentence_bound_indices() {
                emit(line_start + i, line_start + i + seg.len());
            }
        }
        line_start = line_end;
    }
}

/// Reference sentence segmentation (unicode-segmentation), trimmed like [`for_each_sentence`].
pub fn for_each_sentence_reference(text: &str, mut f: impl FnMut(usize, usize)) {
    for (i, s) in text.split_sentence_bound_indices() {
        let lead = s.len() - s.trim_start().len();
        let trimmed = s.trim();
        if !trimmed.is_empty() {
            f(i + lead, i + lead + trimmed.len());
        }
    }
}

/// UAX #29 sentence boundaries of one line of plain ASCII text (at most one line feed, at its
/// end): fills `out` with the end of each sentence (the last is the line's length) and returns
/// true, or returns false for a line it does not handle (non-ASCII bytes, control characters,
/// a carriage return before the end), which then goes to the general path.
pub fn ascii_sentence_breaks(line: &[u8], out: &mut Vec<usize>) -> bool {
    out.clear();
    let n = line.len();
    let body = match line {
        [rest @ .., b'\r', b'\n'] => rest.len(),
        [rest @ .., b'\n'] => rest.len(),
        _ => n,
    };
    for &b in &line[..body] {
        if b >= 0x80 || (b < 0x20 && b != b'\t' && b != 0x0b && b != 0x0c) {
            return false;
        }
    }
    let is_sp = |b: u8| b == b' ' || b == b'\t' || b == 0x0b || b == 0x0c;
    let is_close = |b: u8| matches!(b, b'"' | b'\'' | b'(' | b')' | b'[' | b']' | b'{' | b'}');
    let is_sterm = |b: u8| b == b'!' || b == b'?';
    let is_saterm = |b: u8| b == b'.' || is_sterm(b);
    let is_scontinue = |b: u8| matches!(b, b',' | b'-' | b':' | b';');
    let mut i = 0;
    while i < body {
        if !is_saterm(line[i]) {
            i += 1;
            continue;
        }
        // A run of terminators: SB8a keeps SATerm × SATerm together; the last one decides.
        let mut t = i;
        while t + 1 < body && is_saterm(line[t + 1]) {
            t += 1;
        }
        let aterm = line[t] == b'.';
        let next = line.get(t + 1).copied();
        if aterm {
            // SB6: ATerm × Numeric.
            if next.is_some_and(|b| b.is_ascii_digit()) && t + 1 < body {
                i = t + 1;
                continue;
            }
            // SB7: (Upper | Lower) ATerm × Upper.
            if t > 0
                && line[t - 1].is_ascii_alphabetic()
                && t + 1 < body
                && next.is_some_and(|b| b.is_ascii_uppercase())
            {
                i = t + 1;
                continue;
            }
        }
        let mut j = t + 1;
        while j < body && is_close(line[j]) {
            j += 1;
        }
        let mut k = j;
        while k < body && is_sp(line[k]) {
            k += 1;
        }
        if k >= body {
            // SB9–SB11: the terminator, closers, spaces and the line end close the sentence.
            break;
        }
        // SB8: ATerm Close* Sp* × (¬(OLetter | Upper | Lower | ParaSep | SATerm))* Lower.
        if aterm {
            let mut q = k;
            while q < body && !line[q].is_ascii_alphabetic() && !is_saterm(line[q]) {
                q += 1;
            }
            if q < body && line[q].is_ascii_lowercase() {
                i = q;
                continue;
            }
        }
        // SB8a: SATerm Close* Sp* × (SContinue | SATerm).
        if is_scontinue(line[k]) || is_saterm(line[k]) {
            i = k;
            continue;
        }
        out.push(k);
        i = k;
    }
    out.push(n);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::testdata::word_break_test;

    fn fast(text: &str) -> Vec<(usize, usize)> {
        token_spans(text)
    }

    fn reference(text: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        for_each_token_reference(text, |s, e| v.push((s, e)));
        v
    }

    #[test]
    fn typographic_marks_as_the_unicode_rules_have_them() {
        let words = |t: &str| -> Vec<String> {
            fast(t)
                .into_iter()
                .map(|(s, e)| t[s..e].to_string())
                .collect()
        };
        assert_eq!(words("don’t"), ["don’t"]); // ’ joins letters (MidNumLet)
        assert_eq!(words("dogs’ tails"), ["dogs", "’", "tails"]);
        assert_eq!(
            words("“Yes,” she said—then"),
            ["“", "Yes", ",", "”", "she", "said", "—", "then"]
        );
        assert_eq!(
            words("1’000 a’1 ‘tis"),
            ["1’000", "a", "’", "1", "‘", "tis"]
        );
        for t in [
            "don’t",
            "dogs’ tails",
            "“Yes,” she said—then",
            "1’000 a’1 ‘tis",
            "a’’b",
            "x’“y",
            "’",
            "“”",
            "A1: I don’t “trust” it—no.\r\n",
            "e.g.’s",
            "3.5’7",
        ] {
            assert_eq!(fast(t), reference(t), "{t:?}");
        }
    }

    #[test]
    fn unicode_word_break_test_cases() {
        let mut checked = 0;
        for &(s, expected) in word_break_test::TEST_WORD {
            let want: Vec<&str> = expected
                .iter()
                .copied()
                .filter(|seg| !seg.starts_with(char::is_whitespace))
                .collect();
            let got: Vec<&str> = fast(s).into_iter().map(|(a, b)| &s[a..b]).collect();
            assert_eq!(got, want, "WordBreakTest case {s:?}");
            assert_eq!(
                count_tokens(s),
                want.len(),
                "WordBreakTest case {s:?} (count)"
            );
            checked += 1;
        }
        assert!(checked > 1000, "only {checked} cases");
    }

    #[test]
    fn golden_english() {
        let text = "Participant: We don't trust it; U.S.A. 1,000.5 e.g. a_b __x ... \"ok\"\r\n";
        let toks: Vec<&str> = fast(text).into_iter().map(|(a, b)| &text[a..b]).collect();
        assert_eq!(
            toks,
            [
                "Participant",
                ":",
                "We",
                "don't",
                "trust",
                "it",
                ";",
                "U.S.A",
                ".",
                "1,000.5",
                "e.g",
                ".",
                "a_b",
                "__x",
                ".",
                ".",
                ".",
                "\"",
                "ok",
                "\""
            ]
        );
    }

    #[test]
    fn golden_unicode() {
        let text = "Siân said “don’t” — 李明 👍🏽 café\u{301}!";
        let toks: Vec<&str> = fast(text).into_iter().map(|(a, b)| &text[a..b]).collect();
        assert_eq!(
            toks,
            [
                "Siân",
                "said",
                "“",
                "don’t",
                "”",
                "—",
                "李",
                "明",
                "👍🏽",
                "café\u{301}",
                "!"
            ]
        );
        assert_eq!(fast(text), reference(text));
    }

    #[test]
    fn kinds() {
        assert_eq!(TokenKind::of("don't"), TokenKind::Word);
        assert_eq!(TokenKind::of("李"), TokenKind::Word);
        assert_eq!(TokenKind::of("3"), TokenKind::Word);
        assert_eq!(TokenKind::of("—"), TokenKind::Punct);
        assert_eq!(TokenKind::of("👍🏽"), TokenKind::Punct);
        assert_eq!(TokenKind::of("__"), TokenKind::Punct);
    }

    #[test]
    fn normalization() {
        let n = Normalization::default();
        assert_eq!(n.normalize("Trust"), "trust");
        assert_eq!(n.normalize("ÓLAFUR"), "ólafur");
        assert_eq!(n.normalize("ΟΔΟΣ"), "οδος");
        assert_eq!(
            Normalization { lowercase: false }.normalize("Trust"),
            "Trust"
        );
    }

    #[test]
    fn unicode_sentence_break_test_cases() {
        use crate::testdata::sentence_break_test::TEST_SENTENCE;
        for &(s, expected) in TEST_SENTENCE {
            let want: Vec<&str> = expected
                .iter()
                .map(|x| x.trim())
                .filter(|x| !x.is_empty())
                .collect();
            let mut got = Vec::new();
            for_each_sentence(s, |a, b| got.push(&s[a..b]));
            assert_eq!(got, want, "SentenceBreakTest case {s:?}");
        }
    }

    #[test]
    fn sentences_trimmed() {
        let text = "Yes. I think so!  Do you?\n\nMaybe";
        let mut v = Vec::new();
        for_each_sentence(text, |s, e| v.push(&text[s..e]));
        assert_eq!(v, ["Yes.", "I think so!", "Do you?", "Maybe"]);
    }

    /// Text built from pieces that exercise every ASCII rule next to non-ASCII neighbours.
    fn tricky_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("a"),
            Just("Z"),
            Just("7"),
            Just("_"),
            Just(":"),
            Just("."),
            Just("'"),
            Just(","),
            Just(";"),
            Just(" "),
            Just("  "),
            Just("\n"),
            Just("\r\n"),
            Just("\r"),
            Just("\t"),
            Just("-"),
            Just("\""),
            Just("é"),
            Just("e\u{301}"),
            Just("\u{301}"),
            Just("’"),
            Just("‘"),
            Just("“"),
            Just("”"),
            Just("—"),
            Just("李"),
            Just("👍🏽"),
            Just("\u{200d}"),
            Just("🇦🇫"),
            Just("\u{3000}"),
            Just("\u{a0}"),
            Just("ש"),
            Just("カ"),
            Just("\u{ad}"),
            Just("·"),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    /// [`tricky_text`] long enough for the 64-byte scanner.
    fn long_tricky_text() -> impl Strategy<Value = String> {
        prop::collection::vec(tricky_text(), 1..12).prop_map(|v| v.concat())
    }

    /// Long ASCII text dense in the bytes the word rules look at, and any ASCII byte.
    fn ascii_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            8 => prop_oneof![
                Just("a"), Just("Z"), Just("7"), Just("_"), Just(":"), Just("."), Just("'"),
                Just(","), Just(";"), Just(" "), Just("\n"), Just("\r"), Just("\t"), Just("-"),
                Just("word "), Just("e.g. "), Just("3.5 "), Just("don't "), Just("a:b "),
            ].prop_map(str::to_string),
            1 => (0u8..128).prop_map(|c| char::from(c).to_string()),
        ];
        prop::collection::vec(piece, 0..400).prop_map(|v| v.concat())
    }

    /// Tokens of an ASCII string by the 64-byte scanner (`swar`) or the scalar one, offsets
    /// from 3.
    fn scan(swar: bool, s: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut push = |a, b| out.push((a, b));
        if swar {
            ascii_tokens_swar(s.as_bytes(), 3, &mut push);
        } else {
            ascii_tokens_scalar(s.as_bytes(), 3, &mut push);
        }
        out
    }

    // Long generated texts are slow to make in debug builds: a few hundred cases, each of up
    // to 400 pieces (the 64-byte scanner's blocks and their seams are what is exercised).
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn swar_ascii_scanner_equals_the_scalar_one(s in ascii_text()) {
            prop_assert_eq!(scan(true, &s), scan(false, &s));
        }
    }

    // Long texts against the general path, which is slow in debug builds: fewer cases.
    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn fast_path_equals_reference_on_long_ascii_text(s in ascii_text()) {
            prop_assert_eq!(fast(&s), reference(&s));
        }

        #[test]
        fn fast_path_equals_reference_on_long_tricky_text(s in long_tricky_text()) {
            prop_assert_eq!(fast(&s), reference(&s));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn fast_path_equals_reference_on_tricky_text(s in tricky_text()) {
            prop_assert_eq!(fast(&s), reference(&s));
        }

        #[test]
        fn fast_path_equals_reference_on_any_text(s in "\\PC{0,60}") {
            prop_assert_eq!(fast(&s), reference(&s));
        }

        #[test]
        fn fast_path_equals_reference_on_ascii(s in "[ -~\t\n\r]{0,80}") {
            prop_assert_eq!(fast(&s), reference(&s));
        }

        #[test]
        fn token_count_equals_segmentation(s in tricky_text()) {
            prop_assert_eq!(count_tokens(&s), reference(&s).len());
        }

        #[test]
        fn token_count_equals_segmentation_on_ascii(s in "[ -~\t\n\r]{0,80}") {
            prop_assert_eq!(count_tokens(&s), reference(&s).len());
        }

        #[test]
        fn token_count_equals_segmentation_on_any_text(s in "\\PC{0,60}") {
            prop_assert_eq!(count_tokens(&s), reference(&s).len());
        }
    }

    fn sentence_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("a"),
            Just("B"),
            Just("7"),
            Just("."),
            Just("?"),
            Just("!"),
            Just(" "),
            Just("  "),
            Just("\t"),
            Just("\""),
            Just("'"),
            Just("("),
            Just(")"),
            Just(","),
            Just(";"),
            Just(":"),
            Just("-"),
            Just("\n"),
            Just("\r\n"),
            Just("\r"),
            Just("e.g."),
            Just("Mr."),
            Just("U.S."),
            Just("3.5"),
            Just("..."),
            Just("word"),
            Just("Word"),
            Just("é"),
            Just("\u{2029}"),
            Just("\u{0b}"),
            Just("\u{0c}"),
            Just("_"),
            Just("#"),
        ];
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn sentence_fast_path_equals_reference(s in sentence_text()) {
            let mut fast = Vec::new();
            for_each_sentence(&s, |a, b| fast.push((a, b)));
            let mut slow = Vec::new();
            for_each_sentence_reference(&s, |a, b| slow.push((a, b)));
            prop_assert_eq!(fast, slow);
        }

        #[test]
        fn sentence_fast_path_equals_reference_ascii(s in "[ -~\t\n]{0,80}") {
            let mut fast = Vec::new();
            for_each_sentence(&s, |a, b| fast.push((a, b)));
            let mut slow = Vec::new();
            for_each_sentence_reference(&s, |a, b| slow.push((a, b)));
            prop_assert_eq!(fast, slow);
        }
    }
}
