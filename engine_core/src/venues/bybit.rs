//! Bybit normaliser: NOT IMPLEMENTED YET (placeholder while the venue module is written).

use super::{FeedCtx, Handled, Normaliser, VenueError};

/// Bybit normaliser (placeholder: rejects every message).
#[derive(Debug, Default)]
pub struct Bybit;

impl Bybit {
    /// New normaliser.
    #[allow(clippy::new_without_default, clippy::unnecessary_wraps)]
    pub fn new(_category: Option<&str>) -> Result<Self, VenueError> {
        Ok(Bybit)
    }
}

impl Normaliser for Bybit {
    fn on_message(&mut self, _ctx: &mut FeedCtx, _raw: &[u8], _ts: i64) -> Result<Handled, VenueError> {
        Err(VenueError::Unsupported("bybit normaliser not implemented yet"))
    }
}
