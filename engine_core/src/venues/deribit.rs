//! Deribit normaliser: NOT IMPLEMENTED YET (placeholder while the venue module is written).

use super::{FeedCtx, Handled, Normaliser, VenueError};

/// Deribit normaliser (placeholder: rejects every message).
#[derive(Debug, Default)]
pub struct Deribit;

impl Deribit {
    /// New normaliser.
    #[allow(clippy::new_without_default, clippy::unnecessary_wraps)]
    pub fn new() -> Self {
        Deribit
    }
}

impl Normaliser for Deribit {
    fn on_message(&mut self, _ctx: &mut FeedCtx, _raw: &[u8], _ts: i64) -> Result<Handled, VenueError> {
        Err(VenueError::Unsupported("deribit normaliser not implemented yet"))
    }
}
