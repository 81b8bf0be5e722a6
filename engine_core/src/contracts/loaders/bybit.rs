//! Bybit v5 `GET /v5/market/instruments-info` (linear, inverse, spot).
//!
//! Linear contracts (`LinearPerpetual`, `LinearFutures`) are sized in coins; inverse ones
//! (`InversePerpetual`, `InverseFutures`) in contracts of 1 USD. Tick from
//! `priceFilter.tickSize`; lot from `lotSizeFilter.qtyStep` (spot: `basePrecision`);
//! `fundingInterval` is in minutes (0 for dated futures); `deliveryTime` is ms (0 for
//! perpetuals). Options are skipped.

use serde::Deserialize;

use super::{is_list, malformed, Entry, Loaded, Raw, SpecError};
use crate::contracts::{InstrumentSpec, Kind, Money, Payoff};
use crate::venue::Venue;

const V: Venue = Venue::Bybit;

#[derive(Deserialize)]
struct Resp<'a> {
    #[serde(borrow)]
    result: Page<'a>,
}

#[derive(Deserialize)]
struct Page<'a> {
    category: Option<String>,
    #[serde(borrow)]
    list: Vec<Item<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item<'a> {
    symbol: Option<String>,
    contract_type: Option<String>,
    options_type: Option<String>,
    status: Option<String>,
    base_coin: Option<String>,
    quote_coin: Option<String>,
    settle_coin: Option<String>,
    #[serde(borrow)]
    delivery_time: Option<Raw<'a>>,
    #[serde(borrow)]
    funding_interval: Option<Raw<'a>>,
    #[serde(borrow)]
    price_filter: Option<PriceFilter<'a>>,
    #[serde(borrow)]
    lot_size_filter: Option<LotFilter<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PriceFilter<'a> {
    #[serde(borrow)]
    tick_size: Option<Raw<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LotFilter<'a> {
    #[serde(borrow)]
    qty_step: Option<Raw<'a>>,
    #[serde(borrow)]
    base_precision: Option<Raw<'a>>,
    #[serde(borrow)]
    min_order_qty: Option<Raw<'a>>,
    #[serde(borrow)]
    max_order_qty: Option<Raw<'a>>,
    #[serde(borrow)]
    min_notional_value: Option<Raw<'a>>,
    #[serde(borrow)]
    min_order_amt: Option<Raw<'a>>,
}

pub(super) fn load(json: &str) -> Result<Loaded, SpecError> {
    let (category, items): (Option<String>, Vec<Item<'_>>) = if is_list(json) {
        (
            None,
            serde_json::from_str(json).map_err(|e| malformed(V, &e))?,
        )
    } else {
        let r: Resp<'_> = serde_json::from_str(json).map_err(|e| malformed(V, &e))?;
        (r.result.category, r.result.list)
    };
    let mut out = Loaded::default();
    for it in &items {
        let symbol = Entry {
            venue: V,
            symbol: "",
        }
        .str("symbol", it.symbol.as_deref())?;
        let e = Entry { venue: V, symbol };
        if it.options_type.is_some() || category.as_deref() == Some("option") {
            out.skipped.push((symbol.to_owned(), "option".into()));
            continue;
        }
        out.specs.push(one(&e, it)?);
    }
    Ok(out)
}

fn one(e: &Entry<'_>, it: &Item<'_>) -> Result<InstrumentSpec, SpecError> {
    let base = e.str("baseCoin", it.base_coin.as_deref())?.to_owned();
    let quote = e.str("quoteCoin", it.quote_coin.as_deref())?.to_owned();
    let pf = it
        .price_filter
        .as_ref()
        .ok_or_else(|| e.err("priceFilter", "is missing"))?;
    let lf = it
        .lot_size_filter
        .as_ref()
        .ok_or_else(|| e.err("lotSizeFilter", "is missing"))?;
    let (kind, payoff) = match it.contract_type.as_deref() {
        None | Some("") => (Kind::Spot, Payoff::Linear),
        Some("LinearPerpetual") => (Kind::Perpetual, Payoff::Linear),
        Some("InversePerpetual") => (Kind::Perpetual, Payoff::Inverse),
        Some(t @ ("LinearFutures" | "InverseFutures")) => (
            Kind::Future {
                expiry_ms: e.int("deliveryTime", it.delivery_time)?,
            },
            if t.starts_with("Linear") {
                Payoff::Linear
            } else {
                Payoff::Inverse
            },
        ),
        Some(other) => return Err(e.err("contractType", format!("is unknown: {other:?}"))),
    };
    let lot = if kind == Kind::Spot {
        e.dec("lotSizeFilter.basePrecision", lf.base_precision)?
    } else {
        e.dec("lotSizeFilter.qtyStep", lf.qty_step)?
    };
    let min_notional = match kind {
        Kind::Spot => e.opt_dec("lotSizeFilter.minOrderAmt", lf.min_order_amt)?,
        _ => e.opt_dec("lotSizeFilter.minNotionalValue", lf.min_notional_value)?,
    };
    let funding = match it.funding_interval {
        Some(_) => u32::try_from(e.int("fundingInterval", it.funding_interval)?)
            .map_err(|_| e.err("fundingInterval", "is out of range"))?,
        None => 0,
    };
    let settle = match (it.settle_coin.as_deref(), payoff) {
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
        contract_size: Money::ONE,
        tick: e.dec("priceFilter.tickSize", pf.tick_size)?,
        lot,
        min_qty: e.dec("lotSizeFilter.minOrderQty", lf.min_order_qty)?,
        max_qty: e.opt_dec("lotSizeFilter.maxOrderQty", lf.max_order_qty)?,
        min_notional,
        funding_interval_min: (funding > 0).then_some(funding),
        maint_margin_rate: None,
        active: it.status.as_deref() == Some("Trading"),
    })
}
