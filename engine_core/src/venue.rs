//! Venue identity: which exchange (and product family) a book, an instrument spec or a
//! risk limit belongs to. A neutral module: the normalisers (`venues/`), the contract
//! loaders (`contracts/`) and the risk engine (`risk/`) all name venues through it, so
//! contract math does not depend on the wire-format code.

use std::fmt;
use std::str::FromStr;

/// A venue (and product family) whose wire format we normalise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Venue {
    /// Binance USD-M futures (linear).
    BinanceUsdm,
    /// Binance COIN-M futures (inverse; sizes in contracts).
    BinanceCoinm,
    /// Bybit v5 (linear, inverse, spot; category per connection).
    Bybit,
    /// OKX v5.
    Okx,
    /// Deribit v2 JSON-RPC.
    Deribit,
    /// BitMEX realtime.
    Bitmex,
}

impl Venue {
    /// Every supported venue.
    pub const ALL: [Venue; 6] = [
        Venue::BinanceUsdm,
        Venue::BinanceCoinm,
        Venue::Bybit,
        Venue::Okx,
        Venue::Deribit,
        Venue::Bitmex,
    ];

    /// The CLI/config name (`binance-usdm`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Venue::BinanceUsdm => "binance-usdm",
            Venue::BinanceCoinm => "binance-coinm",
            Venue::Bybit => "bybit",
            Venue::Okx => "okx",
            Venue::Deribit => "deribit",
            Venue::Bitmex => "bitmex",
        }
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A venue name we do not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown venue {0:?} (expected one of binance-usdm, binance-coinm, bybit, okx, deribit, bitmex)")]
pub struct UnknownVenue(pub String);

impl FromStr for Venue {
    type Err = UnknownVenue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Venue::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownVenue(s.to_owned()))
    }
}
