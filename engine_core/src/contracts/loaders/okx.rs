//! OKX v5 `GET /api/v5/public/instruments` (also the WS `instruments` push).
//!
//! Swaps and futures are sized in contracts worth `ctVal x ctMult` of `ctValCcy`: coins
//! for `ctType` linear (BTC-USDT-SWAP 0.01 BTC), USD for inverse (BTC-USD-SWAP 100 USD).
//! Spot is sized in the base coin. Tick `tickSz`, lot `lotSz`, minimum `minSz`, maximum
//! `maxLmtSz`; futures expire at `expTime` (ms). The instruments endpoint carries no
//! funding interval; swaps default to 8 h. Options are skipped.

use serde::Deserialize;

use super::{is_list, malformed, Entry, Loaded, Raw, SpecError};
use crate::contracts::{InstrumentSpec, Kind, Money, Payoff};
use crate::venue::Venue;

const V: Venue = Venue::Okx;

#[derive(Deserialize)]
struct Resp<'a> {
    #[serde(borrow)]
    data: Vec<Inst<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inst<'a> {
    inst_id: Option<String>,
    inst_type: Option<String>,
    ct_type: Option<String>,
    #[serde(borrow)]
    ct_val: Option<Raw<'a>>,
    #[serde(borrow)]
    ct_mult: Option<Raw<'a>>,
    ct_val_ccy: Option<String>,
    settle_ccy: Option<String>,
    base_ccy: Option<String>,
    quote_ccy: Option<String>,
    uly: Option<String>,
    inst_family: Option<String>,
    #[serde(borrow)]
    tick_sz: Option<Raw<'a>>,
    #[serde(borrow)]
    lot_sz: Option<Raw<'a>>,
    #[serde(borrow)]
    min_sz: Option<Raw<'a>>,
    #[serde(borrow)]
    max_lmt_sz: Option<Raw<'a>>,
    #[serde(borrow)]
    exp_time: Option<Raw<'a>>,
    state: Option<String>,
}

pub(super) fn load(json: &str) -> Result<Loaded, SpecError> {
    let items: Vec<Inst<'_>> = if is_list(json) {
        serde_json::from_str(json)
    } else {
        serde_json::from_str::<Resp<'_>>(json).map(|r| r.data)
    }
    .map_err(|e| malformed(V, &e))?;
    let mut out = Loaded::default();
    for it in &items {
        let symbol = Entry {
            venue: V,
            symbol: "",
        }
        .str("instId", it.inst_id.as_deref())?;
        let e = Entry { venue: V, symbol };
        match e.str("instType", it.inst_type.as_deref())? {
            "SPOT" => out.specs.push(spot(&e, it)?),
            t @ ("SWAP" | "FUTURES") => out.specs.push(derivative(&e, it, t == "SWAP")?),
            other => out
                .skipped
                .push((symbol.to_owned(), format!("instType {other}"))),
        }
    }
    Ok(out)
}

fn common(e: &Entry<'_>, it: &Inst<'_>) -> Result<(Money, Money, Money, Option<Money>), SpecError> {
    Ok((
        e.dec("tickSz", it.tick_sz)?,
        e.dec("lotSz", it.lot_sz)?,
        e.dec("minSz", it.min_sz)?,
        e.opt_dec("maxLmtSz", it.max_lmt_sz)?,
    ))
}

fn spot(e: &Entry<'_>, it: &Inst<'_>) -> Result<InstrumentSpec, SpecError> {
    let (tick, lot, min_qty, max_qty) = common(e, it)?;
    let quote = e.str("quoteCcy", it.quote_ccy.as_deref())?.to_owned();
    Ok(InstrumentSpec {
        venue: V,
        symbol: e.symbol.to_owned(),
        kind: Kind::Spot,
        payoff: Payoff::Linear,
        base: e.str("baseCcy", it.base_ccy.as_deref())?.to_owned(),
        quote: quote.clone(),
        settle: quote.clone(),
        margin: quote,
        multiplier: Money::ONE,
        contract_size: Money::ONE,
        tick,
        lot,
        min_qty,
        max_qty,
        min_notional: None,
        funding_interval_min: None,
        maint_margin_rate: None,
        active: it.state.as_deref() == Some("live"),
    })
}

fn derivative(e: &Entry<'_>, it: &Inst<'_>, swap: bool) -> Result<InstrumentSpec, SpecError> {
    let (tick, lot, min_qty, max_qty) = common(e, it)?;
    let family = it
        .uly
        .as_deref()
        .filter(|u| !u.is_empty())
        .or(it.inst_family.as_deref());
    let family = e.str("uly", family)?;
    let (base, quote) = family
        .split_once('-')
        .ok_or_else(|| e.err("uly", format!("is not BASE-QUOTE: {family:?}")))?;
    let payoff = match e.str("ctType", it.ct_type.as_deref())? {
        "linear" => Payoff::Linear,
        "inverse" => Payoff::Inverse,
        other => return Err(e.err("ctType", format!("is unknown: {other:?}"))),
    };
    let ct_val = e.dec("ctVal", it.ct_val)?;
    let ct_mult = e.opt_dec("ctMult", it.ct_mult)?.unwrap_or(Money::ONE);
    let size = ct_val
        .checked_mul(ct_mult)
        .ok_or_else(|| e.err("ctMult", "overflows ctVal x ctMult"))?;
    let val_ccy = e.str("ctValCcy", it.ct_val_ccy.as_deref())?;
    let expected = if payoff == Payoff::Linear {
        base
    } else {
        "USD"
    };
    if val_ccy != expected {
        return Err(e.err("ctValCcy", format!("is {val_ccy:?}, expected {expected:?}")));
    }
    let settle = e.str("settleCcy", it.settle_ccy.as_deref())?.to_owned();
    let kind = if swap {
        Kind::Perpetual
    } else {
        Kind::Future {
            expiry_ms: e.int("expTime", it.exp_time)?,
        }
    };
    Ok(InstrumentSpec {
        venue: V,
        symbol: e.symbol.to_owned(),
        kind,
        payoff,
        base: base.to_owned(),
        quote: quote.to_owned(),
        margin: settle.clone(),
        settle,
        multiplier: size,
        contract_size: size,
        tick,
        lot,
        min_qty,
        max_qty,
        min_notional: None,
        funding_interval_min: swap.then_some(480),
        maint_margin_rate: None,
        active: it.state.as_deref() == Some("live"),
    })
}
