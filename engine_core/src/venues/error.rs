//! Why a venue message could not be used (the feed counts it as rejected).

use crate::book::BookError;

/// A message that could not be used. The feed counts it as rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    /// Not JSON, or JSON of the wrong shape for its declared type.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// Well-formed JSON that no rule of this venue recognises.
    #[error("unknown message type: {0}")]
    UnknownMessage(String),
    /// A level that cannot enter a book.
    #[error("bad level: {0}")]
    BadLevel(#[from] BookError),
    /// A feed option that does not fit the venue.
    #[error("bad feed option: {0}")]
    BadOption(String),
    /// The venue has no such input (e.g. a REST snapshot for a snapshot-in-stream venue).
    #[error("unsupported for this venue: {0}")]
    Unsupported(&'static str),
}

impl From<serde_json::Error> for VenueError {
    fn from(e: serde_json::Error) -> Self {
        VenueError::Malformed(e.to_string())
    }
}

impl From<crate::decimal::DecimalError> for VenueError {
    fn from(e: crate::decimal::DecimalError) -> Self {
        VenueError::BadLevel(BookError::Decimal(e))
    }
}
