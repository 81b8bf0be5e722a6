//! Deribit `public/get_instruments` (a list) and `public/get_instrument` (one entry).
//!
//! Deribit's order `amount` for inverse ("reversed") futures is USD, in multiples of
//! `contract_size` (BTC-PERPETUAL 10, ETH-PERPETUAL 1); for linear ones it is the base
//! coin. So the quantity unit is worth 1 USD (inverse) or 1 coin (linear) and the lot is
//! `contract_size`. Older responses lack `instrument_type`; there a USD quote means
//! inverse. `settlement_period` "perpetual" marks the perpetual; perpetual funding is
//! settled every 8 h. Options and combos are skipped.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{is_list, malformed, Entry, Loaded, Raw, SpecError};
use crate::contracts::{InstrumentSpec, Kind, Money, Payoff};
use crate::venue::Venue;

const V: Venue = Venue::Deribit;

#[derive(Deserialize)]
struct Resp<'a> {
    #[serde(borrow)]
    result: &'a RawValue,
}

#[derive(Deserialize)]
struct Inst<'a> {
    instrument_name: Option<String>,
    kind: Option<String>,
    settlement_period: Option<String>,
    #[serde(borrow)]
    expiration_timestamp: Option<Raw<'a>>,
    instrument_type: Option<String>,
    #[serde(borrow)]
    tick_size: Option<Raw<'a>>,
    #[serde(borrow)]
    contract_size: Option<Raw<'a>>,
    #[serde(borrow)]
    min_trade_amount: Option<Raw<'a>>,
    base_currency: Option<String>,
    quote_currency: Option<String>,
    settlement_currency: Option<String>,
    is_active: Option<bool>,
}

pub(super) fn load(json: &str) -> Result<Loaded, SpecError> {
    let body = if json.contains("\"result\"") {
        serde_json::from_str::<Resp<'_>>(json)
            .map_err(|e| malformed(V, &e))?
            .result
            .get()
    } else {
        json
    };
    let items: Vec<Inst<'_>> = if is_list(body) {
        serde_json::from_str(body)
    } else {
        serde_json::from_str::<Inst<'_>>(body).map(|i| vec![i])
    }
    .map_err(|e| malformed(V, &e))?;
    let mut out = Loaded::default();
    for it in &items {
        let symbol = Entry {
            venue: V,
            symbol: "",
        }
        .str("instrument_name", it.instrument_name.as_deref())?;
        let e = Entry { venue: V, symbol };
        match e.str("kind", it.kind.as_deref())? {
            k @ ("future" | "spot") => out.specs.push(one(&e, it, k == "spot")?),
            other => out
                .skipped
                .push((symbol.to_owned(), format!("kind {other}"))),
        }
    }
    Ok(out)
}

fn one(e: &Entry<'_>, it: &Inst<'_>, spot: bool) -> Result<InstrumentSpec, SpecError> {
    let base = e
        .str("base_currency", it.base_currency.as_deref())?
        .to_owned();
    let quote = e
        .str("quote_currency", it.quote_currency.as_deref())?
        .to_owned();
    let payoff = match it.instrument_type.as_deref() {
        Some("reversed") => Payoff::Inverse,
        Some("linear") => Payoff::Linear,
        Some(other) => return Err(e.err("instrument_type", format!("is unknown: {other:?}"))),
        None if !spot && quote == "USD" => Payoff::Inverse,
        None => Payoff::Linear,
    };
    let kind = if spot {
        Kind::Spot
    } else if it.settlement_period.as_deref() == Some("perpetual") {
        Kind::Perpetual
    } else {
        Kind::Future {
            expiry_ms: e.int("expiration_timestamp", it.expiration_timestamp)?,
        }
    };
    let contract_size = e.dec("contract_size", it.contract_size)?;
    let settle = match (it.settlement_currency.as_deref(), payoff) {
        (Some(s), _) if !s.is_empty() => s.to_owned(),
        (_, Payoff::Inverse) => base.clone(),
        (_, Payoff::Linear) => quote.clone(),
    };
    Ok(InstrumentSpec {
        venue: V,
        symbol: e.symbol.to_owned(),
        kind,
        payoff,
        base,
        quote,
        margin: settle.clone(),
        settle,
        multiplier: Money::ONE,
        contract_size,
        tick: e.dec("tick_size", it.tick_size)?,
        lot: contract_size,
        min_qty: e.dec("min_trade_amount", it.min_trade_amount)?,
        max_qty: None,
        min_notional: None,
        funding_interval_min: (kind == Kind::Perpetual).then_some(480),
        maint_margin_rate: None,
        active: it.is_active.unwrap_or(true),
    })
}
