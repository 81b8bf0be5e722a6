//! Binance USD-M (`/fapi/v1/exchangeInfo`) and COIN-M (`/dapi/v1/exchangeInfo`).
//!
//! USD-M contracts are linear and sized in coins (multiplier 1). COIN-M contracts are
//! inverse and sized in contracts of `contractSize` USD (BTCUSD_PERP 100, others 10).
//! Tick from `PRICE_FILTER.tickSize`, lot/min/max from `LOT_SIZE`, minimum notional
//! from `MIN_NOTIONAL.notional`. exchangeInfo carries no funding interval: Binance
//! funds every 8 h by default (SPEC §3); the live value comes from `fundingInfo`.

use serde::Deserialize;

use super::{is_list, malformed, Entry, Loaded, Raw, SpecError};
use crate::contracts::{InstrumentSpec, Kind, Money, Payoff};
use crate::venue::Venue;

#[derive(Deserialize)]
struct Info<'a> {
    #[serde(borrow)]
    symbols: Vec<Sym<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sym<'a> {
    symbol: Option<String>,
    contract_type: Option<String>,
    #[serde(borrow)]
    delivery_date: Option<Raw<'a>>,
    status: Option<String>,
    contract_status: Option<String>,
    #[serde(borrow)]
    contract_size: Option<Raw<'a>>,
    base_asset: Option<String>,
    quote_asset: Option<String>,
    margin_asset: Option<String>,
    #[serde(borrow)]
    maint_margin_percent: Option<Raw<'a>>,
    #[serde(default, borrow)]
    filters: Vec<Filter<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter<'a> {
    filter_type: Option<String>,
    #[serde(borrow)]
    tick_size: Option<Raw<'a>>,
    #[serde(borrow)]
    step_size: Option<Raw<'a>>,
    #[serde(borrow)]
    min_qty: Option<Raw<'a>>,
    #[serde(borrow)]
    max_qty: Option<Raw<'a>>,
    #[serde(borrow)]
    notional: Option<Raw<'a>>,
}

pub(super) fn load(venue: Venue, json: &str) -> Result<Loaded, SpecError> {
    let syms: Vec<Sym<'_>> = if is_list(json) {
        serde_json::from_str(json)
    } else {
        serde_json::from_str::<Info<'_>>(json).map(|i| i.symbols)
    }
    .map_err(|e| malformed(venue, &e))?;
    let mut out = Loaded::default();
    for s in &syms {
        match one(venue, s)? {
            Ok(spec) => out.specs.push(spec),
            Err(skip) => out.skipped.push(skip),
        }
    }
    Ok(out)
}

type Built = Result<InstrumentSpec, (String, String)>;

fn one(venue: Venue, s: &Sym<'_>) -> Result<Built, SpecError> {
    let symbol = Entry { venue, symbol: "" }.str("symbol", s.symbol.as_deref())?;
    let e = Entry { venue, symbol };
    let contract_type = e.str("contractType", s.contract_type.as_deref())?;
    let kind = match contract_type {
        "PERPETUAL" => Kind::Perpetual,
        "CURRENT_QUARTER" | "NEXT_QUARTER" | "CURRENT_MONTH" | "NEXT_MONTH" => Kind::Future {
            expiry_ms: e.int("deliveryDate", s.delivery_date)?,
        },
        other => return Ok(Err((symbol.to_owned(), format!("contractType {other:?}")))),
    };
    let filter = |t: &str| {
        s.filters
            .iter()
            .find(|f| f.filter_type.as_deref() == Some(t))
    };
    let price = filter("PRICE_FILTER").ok_or_else(|| e.err("filters", "has no PRICE_FILTER"))?;
    let lot = filter("LOT_SIZE").ok_or_else(|| e.err("filters", "has no LOT_SIZE"))?;
    let (payoff, multiplier, status) = if venue == Venue::BinanceCoinm {
        let cv = e.dec("contractSize", s.contract_size)?;
        (Payoff::Inverse, cv, s.contract_status.as_deref())
    } else {
        (Payoff::Linear, Money::ONE, s.status.as_deref())
    };
    let margin = e.str("marginAsset", s.margin_asset.as_deref())?.to_owned();
    let mm = e
        .opt_dec("maintMarginPercent", s.maint_margin_percent)?
        .map(|p| p / Money::ONE_HUNDRED);
    Ok(Ok(InstrumentSpec {
        venue,
        symbol: symbol.to_owned(),
        kind,
        payoff,
        base: e.str("baseAsset", s.base_asset.as_deref())?.to_owned(),
        quote: e.str("quoteAsset", s.quote_asset.as_deref())?.to_owned(),
        settle: margin.clone(),
        margin,
        multiplier,
        contract_size: multiplier,
        tick: e.dec("PRICE_FILTER.tickSize", price.tick_size)?,
        lot: e.dec("LOT_SIZE.stepSize", lot.step_size)?,
        min_qty: e.dec("LOT_SIZE.minQty", lot.min_qty)?,
        max_qty: e.opt_dec("LOT_SIZE.maxQty", lot.max_qty)?,
        min_notional: match filter("MIN_NOTIONAL") {
            Some(f) => e.opt_dec("MIN_NOTIONAL.notional", f.notional)?,
            None => None,
        },
        funding_interval_min: matches!(kind, Kind::Perpetual).then_some(480),
        maint_margin_rate: mm,
        active: status == Some("TRADING"),
    }))
}
