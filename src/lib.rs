//! # qualcore
//!
//! The Rust core of qualcore, a library for the qualitative analysis of interview transcripts.
//! It has no Python in it: the PyO3 binding layer lives in `src/python/` behind the `python`
//! cargo feature, which maturin enables.
//!
//! - [`corpus`]: documents, speaker turns, units; speaker-label parsing; reading files.
//! - [`docx`]: Word transcripts read straight from the zip.
//! - [`tokenize`]: Unicode UAX #29 word tokens with an ASCII fast path; sentences; normalisation.
//! - [`tokens`]: a tokenised corpus as integer ids over a [`tokens::Vocabulary`].
//! - [`pattern`]: words, phrases, globs and regexes compiled once, matched against token types.
//! - [`kwic`]: keyword in context, parallel over documents.
//! - [`offsets`]: byte offsets (inside Rust) to code-point offsets (what Python sees).
//!
//! ```
//! use qualcore::corpus::{Corpus, LabelParser, DEFAULT_LABEL_PATTERN};
//! use qualcore::kwic::{kwic, KwicOptions, Within};
//! use qualcore::pattern::{Patterns, ValueType};
//!
//! let text = "Dan: Who do you trust?\n\nParticipant: I trust the evidence base.";
//! let turns = LabelParser::new(DEFAULT_LABEL_PATTERN).unwrap().parse(text);
//! let corpus = Corpus::new(vec![("A1".into(), text.into(), turns)]).unwrap();
//! let patterns = Patterns::new(&["trust".into()], ValueType::Glob, true).unwrap();
//! let opts = KwicOptions { window: 2, within: Within::Turn };
//! let hits = kwic(&corpus, &patterns, &opts);
//! assert_eq!(hits.len(), 2);
//! assert_eq!(&text[hits[1].post_bytes.0..hits[1].post_bytes.1], "the evidence");
//! ```
#![deny(missing_docs)]

pub mod coding;
pub mod cooc;
pub mod corpus;
pub mod docx;
pub mod error;
pub mod formats;
pub mod kwic;
pub mod offsets;
pub mod pattern;
pub mod pseudonym;
pub mod tables;
pub mod tokenize;
pub mod tokens;

#[cfg(feature = "python")]
mod python;

#[cfg(test)]
mod testdata {
    pub mod sentence_break_test;
    pub mod word_break_test;
}

pub use error::{Error, ErrorKind, Result};

#[cfg(test)]
mod send_sync {
    fn assert_traits<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}

    #[test]
    fn public_types_are_send_sync_unwind_safe() {
        assert_traits::<crate::corpus::Corpus>();
        assert_traits::<crate::tokens::Tokens>();
        assert_traits::<crate::pattern::Patterns>();
        assert_traits::<crate::Error>();
    }
}
