//! The one error type of the core.  Every message says what was wrong and where.

use std::fmt;

/// What went wrong, with the data needed to say where.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A pattern could not be compiled.
    InvalidPattern {
        /// The pattern as the caller wrote it.
        pattern: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Document ids that occur more than once.
    DuplicateDocIds {
        /// Each duplicated id, once, in order of first repetition.
        ids: Vec<String>,
    },
    /// A document id that the corpus does not hold.
    UnknownDocument {
        /// The id asked for.
        id: String,
    },
    /// A file could not be read.
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A file is not valid text in the expected encoding.
    Decode {
        /// The file.
        path: String,
        /// Byte offset of the first invalid byte.
        byte_offset: usize,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// The encoding that was expected.
        encoding: String,
    },
    /// An argument outside its allowed values.
    InvalidArgument {
        /// Name of the argument.
        name: String,
        /// What was wrong and what is allowed.
        message: String,
    },
    /// Turns of a document that do not fit its text (out of bounds, unordered, overlapping).
    InvalidTurns {
        /// The document.
        doc_id: String,
        /// What was wrong.
        message: String,
    },
    /// A document too large for 32-bit offsets.
    DocumentTooLarge {
        /// The document.
        doc_id: String,
        /// Its size in bytes.
        bytes: usize,
    },
    /// A file whose content does not follow its format.
    Parse {
        /// The file.
        path: String,
        /// 1-based line (0: the problem is not on a line, e.g. a broken zip).
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// Several problems found while validating one input; reported together.
    Many {
        /// Every problem found.
        errors: Vec<Error>,
    },
}

/// The core's error: one kind, with a message that says what and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
}

impl Error {
    /// Wraps a kind.
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind }
    }

    /// The kind of error, with its data.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Shorthand for an [`ErrorKind::InvalidArgument`].
    pub fn invalid_argument(name: &str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument {
            name: name.to_string(),
            message: message.into(),
        })
    }

    /// Shorthand for an [`ErrorKind::InvalidPattern`].
    pub fn invalid_pattern(pattern: &str, reason: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidPattern {
            pattern: pattern.to_string(),
            reason: reason.into(),
        })
    }

    /// One error from many: the single one itself, or [`ErrorKind::Many`].
    pub fn from_many(mut errors: Vec<Error>) -> Option<Self> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Error::new(ErrorKind::Many { errors })),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::InvalidPattern { pattern, reason } => {
                write!(f, "invalid pattern {pattern:?}: {reason}")
            }
            ErrorKind::DuplicateDocIds { ids } => {
                let shown: Vec<String> = ids.iter().take(20).map(|s| format!("{s:?}")).collect();
                let more = if ids.len() > 20 {
                    format!(" and {} more", ids.len() - 20)
                } else {
                    String::new()
                };
                write!(
                    f,
                    "document ids must be unique; duplicated: {}{more}",
                    shown.join(", ")
                )
            }
            ErrorKind::UnknownDocument { id } => write!(f, "no document with id {id:?}"),
            ErrorKind::Io { path, message } => write!(f, "{path}: {message}"),
            ErrorKind::Decode {
                path,
                byte_offset,
                line,
                encoding,
            } => write!(
                f,
                "{path}: not valid {encoding}: invalid byte at offset {byte_offset} (line {line})"
            ),
            ErrorKind::InvalidArgument { name, message } => write!(f, "{name}: {message}"),
            ErrorKind::Parse {
                path,
                line: 0,
                message,
            } => write!(f, "{path}: {message}"),
            ErrorKind::Parse {
                path,
                line,
                message,
            } => write!(f, "{path}, line {line}: {message}"),
            ErrorKind::InvalidTurns { doc_id, message } => {
                write!(f, "document {doc_id:?}: {message}")
            }
            ErrorKind::DocumentTooLarge { doc_id, bytes } => write!(
                f,
                "document {doc_id:?} is {bytes} bytes of UTF-8; qualcore handles documents up to \
                 4 GiB (4294967295 bytes) each: split it into several documents"
            ),
            ErrorKind::Many { errors } => {
                write!(f, "{} problems:", errors.len())?;
                for e in errors {
                    write!(f, "\n  - {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Every value, or every error at once ([`Error::from_many`]): how inputs that are checked
/// item by item (files, documents) report all their problems together.
pub fn collect_all<T>(results: impl IntoIterator<Item = Result<T>>) -> Result<Vec<T>> {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => errors.push(e),
        }
    }
    match Error::from_many(errors) {
        Some(e) => Err(e),
        None => Ok(ok),
    }
}
