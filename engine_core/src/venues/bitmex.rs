//! Bitmex normaliser: NOT IMPLEMENTED YET (placeholder while the venue module is written).

use super::{FeedCtx, Handled, Normaliser, VenueError};

/// Bitmex normaliser (placeholder: rejects every message).
#[derive(Debug, Default)]
pub struct Bitmex;

impl Bitmex {
    /// New normaliser.
    #[allow(clippy::new_without_default, clippy::unnecessary_wraps)]
    pub fn new() -> Self {
        Bitmex
    }
}

impl Normaliser for Bitmex {
    fn on_message(&mut self, _ctx: &mut FeedCtx, _raw: &[u8], _ts: i64) -> Result<Handled, VenueError> {
        Err(VenueError::Unsupported("bitmex normaliser not implemented yet"))
    }
}
