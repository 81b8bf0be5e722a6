//! BitMEX `GET /api/v1/instrument` (a list, or one row).
//!
//! XBTUSD is inverse: each contract is worth 1 USD, `multiplier` -100000000 settles in
//! XBt (satoshi); the contract value is `|multiplier| / |underlyingToSettleMultiplier|`
//! USD and PnL is computed in XBT (1 XBT = 1e8 XBt). `typ` FFWCSX is a perpetual swap,
//! FFCCSX a dated future (`expiry`). `fundingInterval` is an ISO time after
//! 2000-01-01T00:00Z (`2000-01-01T08:00:00.000Z` = 8 h). Quanto contracts (ETHUSD) pay
//! in XBT on an ETH price and are neither linear nor inverse: skipped, as are linear
//! BitMEX contracts and non-tradable index rows.

use serde::Deserialize;

use super::{is_list, malformed, Entry, Loaded, Raw, SpecError};
use crate::contracts::{InstrumentSpec, Kind, Payoff};
use crate::venue::Venue;

const V: Venue = Venue::Bitmex;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inst<'a> {
    symbol: Option<String>,
    typ: Option<String>,
    state: Option<String>,
    root_symbol: Option<String>,
    quote_currency: Option<String>,
    settl_currency: Option<String>,
    is_inverse: Option<bool>,
    is_quanto: Option<bool>,
    #[serde(borrow)]
    multiplier: Option<Raw<'a>>,
    #[serde(borrow)]
    underlying_to_settle_multiplier: Option<Raw<'a>>,
    #[serde(borrow)]
    tick_size: Option<Raw<'a>>,
    #[serde(borrow)]
    lot_size: Option<Raw<'a>>,
    #[serde(borrow)]
    max_order_qty: Option<Raw<'a>>,
    #[serde(borrow)]
    maint_margin: Option<Raw<'a>>,
    expiry: Option<String>,
    funding_interval: Option<String>,
}

pub(super) fn load(json: &str) -> Result<Loaded, SpecError> {
    let items: Vec<Inst<'_>> = if is_list(json) {
        serde_json::from_str(json)
    } else {
        serde_json::from_str::<Inst<'_>>(json).map(|i| vec![i])
    }
    .map_err(|e| malformed(V, &e))?;
    let mut out = Loaded::default();
    for it in &items {
        let symbol = Entry {
            venue: V,
            symbol: "",
        }
        .str("symbol", it.symbol.as_deref())?;
        let e = Entry { venue: V, symbol };
        let typ = e.str("typ", it.typ.as_deref())?;
        let kind = match typ {
            "FFWCSX" => Kind::Perpetual,
            "FFCCSX" => Kind::Future {
                expiry_ms: iso_ms(e.str("expiry", it.expiry.as_deref())?)
                    .ok_or_else(|| e.err("expiry", "is not an ISO-8601 UTC time"))?,
            },
            other => {
                out.skipped
                    .push((symbol.to_owned(), format!("typ {other}")));
                continue;
            }
        };
        if it.is_quanto == Some(true) {
            out.skipped.push((symbol.to_owned(), "quanto".into()));
            continue;
        }
        if it.is_inverse != Some(true) {
            out.skipped.push((
                symbol.to_owned(),
                "linear BitMEX contract (not modelled)".into(),
            ));
            continue;
        }
        out.specs.push(inverse(&e, it, kind)?);
    }
    Ok(out)
}

fn inverse(e: &Entry<'_>, it: &Inst<'_>, kind: Kind) -> Result<InstrumentSpec, SpecError> {
    let mult = e.dec("multiplier", it.multiplier)?.abs();
    let per_coin = e
        .dec(
            "underlyingToSettleMultiplier",
            it.underlying_to_settle_multiplier,
        )?
        .abs();
    let cv = mult
        .checked_div(per_coin)
        .filter(|_| !per_coin.is_zero())
        .ok_or_else(|| e.err("underlyingToSettleMultiplier", "must be non-zero"))?;
    let settl = e.str("settlCurrency", it.settl_currency.as_deref())?;
    // BitMEX settles in XBt (1e-8 XBT); we account in the coin itself.
    let settle = if settl == "XBt" {
        "XBT".to_owned()
    } else {
        settl.to_owned()
    };
    let funding_interval_min = match (&kind, it.funding_interval.as_deref()) {
        (Kind::Perpetual, Some(t)) => Some(
            iso_ms(t)
                .and_then(|ms| u32::try_from((ms - EPOCH_2000_MS) / 60_000).ok())
                .ok_or_else(|| {
                    e.err(
                        "fundingInterval",
                        format!("is not a 2000-01-01 offset: {t:?}"),
                    )
                })?,
        ),
        _ => None,
    };
    Ok(InstrumentSpec {
        venue: V,
        symbol: e.symbol.to_owned(),
        kind,
        payoff: Payoff::Inverse,
        base: e.str("rootSymbol", it.root_symbol.as_deref())?.to_owned(),
        quote: e
            .str("quoteCurrency", it.quote_currency.as_deref())?
            .to_owned(),
        margin: settle.clone(),
        settle,
        multiplier: cv,
        contract_size: cv,
        tick: e.dec("tickSize", it.tick_size)?,
        lot: e.dec("lotSize", it.lot_size)?,
        min_qty: e.dec("lotSize", it.lot_size)?,
        max_qty: e.opt_dec("maxOrderQty", it.max_order_qty)?,
        min_notional: None,
        funding_interval_min,
        maint_margin_rate: e.opt_dec("maintMargin", it.maint_margin)?,
        active: it.state.as_deref() == Some("Open"),
    })
}

const EPOCH_2000_MS: i64 = 946_684_800_000;

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
fn iso_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || !s.ends_with('Z') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (h, mi, sec) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let ms = match s.get(19..s.len() - 1)? {
        "" => 0,
        f => {
            let digits = f.strip_prefix('.')?;
            let v = digits.get(..3.min(digits.len()))?.parse::<i64>().ok()?;
            v * 10_i64.pow(3 - 3.min(digits.len()) as u32)
        }
    };
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + sec * 1000 + ms)
}
