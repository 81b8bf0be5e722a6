//! Instrument specs from the venues' own instrument messages.
//!
//! One module per venue reads the venue's REST (or WS) instrument response: Binance
//! USD-M / COIN-M `exchangeInfo`, Bybit v5 `instruments-info`, OKX v5
//! `public/instruments`, Deribit `public/get_instrument(s)`, BitMEX `instrument`.
//! Numbers are read from their JSON text (string or number) straight into exact
//! decimals, never through `f64`. An entry of a kind we do not trade (options, BitMEX
//! quanto) is listed in [`Loaded::skipped`] with the reason; an entry we do trade but
//! cannot build is a [`SpecError`] naming the instrument and the field.

mod binance;
mod bitmex;
mod bybit;
mod deribit;
mod okx;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{parse_money, InstrumentSpec, Money};
use crate::venue::Venue;

/// Why an instrument message could not become specs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The document is not JSON of the venue's instrument-response shape.
    #[error("{venue}: malformed instrument message: {reason}")]
    Malformed {
        /// Venue whose format was expected.
        venue: Venue,
        /// Parser message.
        reason: String,
    },
    /// A field needed for the spec is missing or has an unusable value.
    #[error("{venue} instrument {symbol:?}: field {field:?} {problem}")]
    Field {
        /// Venue.
        venue: Venue,
        /// The venue's symbol (empty if the symbol itself is missing).
        symbol: String,
        /// The venue's field name.
        field: &'static str,
        /// What is wrong ("is missing", "is not a decimal: ...").
        problem: String,
    },
}

/// The specs built from one message, plus the entries deliberately left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loaded {
    /// One spec per supported instrument, in message order.
    pub specs: Vec<InstrumentSpec>,
    /// `(symbol, reason)` of entries of kinds the engine does not trade.
    pub skipped: Vec<(String, String)>,
}

/// Build specs from a venue's instrument response (or a bare list/entry of it).
///
/// # Errors
/// [`SpecError`] if the JSON is malformed or a supported instrument lacks a field; every
/// spec built is also checked with [`InstrumentSpec::validate`].
pub fn load_instruments(venue: Venue, json: &str) -> Result<Loaded, SpecError> {
    let loaded = match venue {
        Venue::BinanceUsdm | Venue::BinanceCoinm => binance::load(venue, json)?,
        Venue::Bybit => bybit::load(json)?,
        Venue::Okx => okx::load(json)?,
        Venue::Deribit => deribit::load(json)?,
        Venue::Bitmex => bitmex::load(json)?,
    };
    for s in &loaded.specs {
        s.validate().map_err(|e| SpecError::Field {
            venue,
            symbol: s.symbol.clone(),
            field: match &e {
                super::ContractError::Invalid { name, .. } => name,
                _ => "spec",
            },
            problem: e.to_string(),
        })?;
    }
    Ok(loaded)
}

/// A JSON value kept as its text, so numbers are read exactly.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub(crate) struct Raw<'a>(#[serde(borrow)] pub &'a RawValue);

impl<'a> Raw<'a> {
    /// The text without surrounding quotes.
    pub(crate) fn text(&self) -> &'a str {
        let t = self.0.get();
        t.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(t)
    }
}

/// Field access for one entry, building errors that name venue, symbol and field.
pub(crate) struct Entry<'s> {
    pub venue: Venue,
    pub symbol: &'s str,
}

impl Entry<'_> {
    pub(crate) fn err(&self, field: &'static str, problem: impl Into<String>) -> SpecError {
        SpecError::Field {
            venue: self.venue,
            symbol: self.symbol.to_owned(),
            field,
            problem: problem.into(),
        }
    }

    /// A required decimal.
    pub(crate) fn dec(&self, field: &'static str, v: Option<Raw<'_>>) -> Result<Money, SpecError> {
        self.opt_dec(field, v)?
            .ok_or_else(|| self.err(field, "is missing"))
    }

    /// An optional decimal: absent, `null` or `""` is `None`.
    pub(crate) fn opt_dec(
        &self,
        field: &'static str,
        v: Option<Raw<'_>>,
    ) -> Result<Option<Money>, SpecError> {
        let Some(raw) = v else { return Ok(None) };
        let t = raw.text();
        if t.is_empty() || t == "null" {
            return Ok(None);
        }
        parse_money(t)
            .map(Some)
            .ok_or_else(|| self.err(field, format!("is not a decimal: {t:?}")))
    }

    /// A required integer (ms timestamps, minutes).
    pub(crate) fn int(&self, field: &'static str, v: Option<Raw<'_>>) -> Result<i64, SpecError> {
        let raw = v.ok_or_else(|| self.err(field, "is missing"))?;
        raw.text()
            .parse::<i64>()
            .map_err(|_| self.err(field, format!("is not an integer: {:?}", raw.text())))
    }

    /// A required non-empty string.
    pub(crate) fn str<'v>(
        &self,
        field: &'static str,
        v: Option<&'v str>,
    ) -> Result<&'v str, SpecError> {
        v.filter(|s| !s.is_empty())
            .ok_or_else(|| self.err(field, "is missing"))
    }
}

/// True if the document is a JSON array (a bare list of entries).
pub(crate) fn is_list(json: &str) -> bool {
    json.trim_start().starts_with('[')
}

pub(crate) fn malformed(venue: Venue, e: &serde_json::Error) -> SpecError {
    SpecError::Malformed {
        venue,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests;
