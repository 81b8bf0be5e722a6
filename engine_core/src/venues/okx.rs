//! Okx normaliser: NOT IMPLEMENTED YET (placeholder while the venue module is written).

use super::{FeedCtx, Handled, Normaliser, VenueError};

/// Okx normaliser (placeholder: rejects every message).
#[derive(Debug, Default)]
pub struct Okx;

impl Okx {
    /// New normaliser.
    #[allow(clippy::new_without_default, clippy::unnecessary_wraps)]
    pub fn new() -> Self {
        Okx
    }
}

impl Normaliser for Okx {
    fn on_message(&mut self, _ctx: &mut FeedCtx, _raw: &[u8], _ts: i64) -> Result<Handled, VenueError> {
        Err(VenueError::Unsupported("okx normaliser not implemented yet"))
    }
}
