//! The limits table: loaded from config (JSON text; Python turns TOML into it) and
//! replaceable at run time.
//!
//! Every limit is optional (absent = not checked) except the defaults that make the
//! margin model work. Amounts are exact decimals given as strings or JSON numbers; an
//! unknown key is an error, so a typo never silently disables a limit. Instruments are
//! keyed `"<venue>:<symbol>"` (`"binance-usdm:BTCUSDT"`), venues by their name.

use std::collections::HashMap;

use serde::Deserialize;

use super::RiskError;
use crate::contracts::loaders::Raw;
use crate::contracts::{parse_money, Money};

/// Whether orders may be sent (global, per venue or per instrument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TradingState {
    /// Orders allowed.
    #[default]
    Active,
    /// Only orders that reduce the instrument's position.
    ReduceOnly,
    /// No orders.
    Halted,
}

impl TradingState {
    /// Parse `"active"`, `"reduce-only"` (or `reduce_only`) or `"halted"`.
    ///
    /// # Errors
    /// [`RiskError::BadLimit`] for anything else.
    pub fn parse(s: &str) -> Result<Self, RiskError> {
        match s {
            "active" => Ok(TradingState::Active),
            "reduce-only" | "reduce_only" => Ok(TradingState::ReduceOnly),
            "halted" => Ok(TradingState::Halted),
            _ => Err(RiskError::BadLimit {
                field: "state".into(),
                problem: format!("{s:?} is not active, reduce-only or halted"),
            }),
        }
    }

    /// The config name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TradingState::Active => "active",
            TradingState::ReduceOnly => "reduce-only",
            TradingState::Halted => "halted",
        }
    }
}

/// Limits of one venue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VenueLimits {
    /// Trading state of the venue.
    pub state: TradingState,
    /// Maximum gross notional on the venue (USD).
    pub max_gross_notional_usd: Option<Money>,
    /// Maximum share of the portfolio's gross notional (fraction).
    pub max_share: Option<Money>,
    /// Minimum margin headroom on the venue account (USD), overriding the global one.
    pub min_margin_headroom_usd: Option<Money>,
    /// Minimum liquidation distance (fraction), overriding the global one.
    pub min_liq_distance: Option<Money>,
}

/// Limits of one instrument.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstrumentLimits {
    /// Trading state of the instrument.
    pub state: TradingState,
    /// Maximum absolute position (native units).
    pub max_position: Option<Money>,
    /// Maximum quantity of one order (native units).
    pub max_order_qty: Option<Money>,
    /// Maximum notional of one order (USD), overriding the global one.
    pub max_order_notional_usd: Option<Money>,
    /// Price band around the reference (fraction), overriding the global one.
    pub price_band: Option<Money>,
    /// Initial margin rate, overriding the global one.
    pub initial_margin_rate: Option<Money>,
}

/// The whole limits table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Global trading state.
    pub state: TradingState,
    /// Maximum notional of one order (USD).
    pub max_order_notional_usd: Option<Money>,
    /// Price band around the reference price (fraction, e.g. 0.05).
    pub price_band: Option<Money>,
    /// Maximum |portfolio net delta| after an order (USD).
    pub max_net_delta_usd: Option<Money>,
    /// Maximum share of gross notional on any one venue (fraction).
    pub max_venue_share: Option<Money>,
    /// Concentration is only checked once gross notional reaches this (USD).
    pub concentration_min_total_usd: Money,
    /// Minimum margin headroom per venue account after an order (USD).
    pub min_margin_headroom_usd: Option<Money>,
    /// Minimum distance to liquidation after an order (fraction of price).
    pub min_liq_distance: Option<Money>,
    /// Initial margin rate used for headroom (fraction of notional).
    pub initial_margin_rate: Money,
    /// Maintenance rate for instruments whose spec has none.
    pub maint_margin_rate: Money,
    /// Maximum approved orders per rate window.
    pub max_orders_per_window: Option<u32>,
    /// Rate window length (ms).
    pub rate_window_ms: i64,
    /// Per-venue limits by venue name.
    pub venues: HashMap<String, VenueLimits>,
    /// Per-instrument limits by `"<venue>:<symbol>"`.
    pub instruments: HashMap<String, InstrumentLimits>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            state: TradingState::Active,
            max_order_notional_usd: None,
            price_band: None,
            max_net_delta_usd: None,
            max_venue_share: None,
            concentration_min_total_usd: Money::ZERO,
            min_margin_headroom_usd: None,
            min_liq_distance: None,
            initial_margin_rate: Money::new(1, 1),
            maint_margin_rate: Money::new(5, 3),
            max_orders_per_window: None,
            rate_window_ms: 1_000,
            venues: HashMap::new(),
            instruments: HashMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits<'a> {
    state: Option<String>,
    #[serde(borrow)]
    max_order_notional_usd: Option<Raw<'a>>,
    #[serde(borrow)]
    price_band: Option<Raw<'a>>,
    #[serde(borrow)]
    max_net_delta_usd: Option<Raw<'a>>,
    #[serde(borrow)]
    max_venue_share: Option<Raw<'a>>,
    #[serde(borrow)]
    concentration_min_total_usd: Option<Raw<'a>>,
    #[serde(borrow)]
    min_margin_headroom_usd: Option<Raw<'a>>,
    #[serde(borrow)]
    min_liq_distance: Option<Raw<'a>>,
    #[serde(borrow)]
    initial_margin_rate: Option<Raw<'a>>,
    #[serde(borrow)]
    maint_margin_rate: Option<Raw<'a>>,
    max_orders_per_window: Option<u32>,
    rate_window_ms: Option<i64>,
    #[serde(default, borrow)]
    venues: HashMap<String, RawVenue<'a>>,
    #[serde(default, borrow)]
    instruments: HashMap<String, RawInstrument<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVenue<'a> {
    state: Option<String>,
    #[serde(borrow)]
    max_gross_notional_usd: Option<Raw<'a>>,
    #[serde(borrow)]
    max_share: Option<Raw<'a>>,
    #[serde(borrow)]
    min_margin_headroom_usd: Option<Raw<'a>>,
    #[serde(borrow)]
    min_liq_distance: Option<Raw<'a>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstrument<'a> {
    state: Option<String>,
    #[serde(borrow)]
    max_position: Option<Raw<'a>>,
    #[serde(borrow)]
    max_order_qty: Option<Raw<'a>>,
    #[serde(borrow)]
    max_order_notional_usd: Option<Raw<'a>>,
    #[serde(borrow)]
    price_band: Option<Raw<'a>>,
    #[serde(borrow)]
    initial_margin_rate: Option<Raw<'a>>,
}

/// A non-negative decimal field; `path` names it in errors.
fn dec(path: &str, v: Option<Raw<'_>>) -> Result<Option<Money>, RiskError> {
    let Some(raw) = v else { return Ok(None) };
    let bad = |p: String| RiskError::BadLimit {
        field: path.to_owned(),
        problem: p,
    };
    let m =
        parse_money(raw.text()).ok_or_else(|| bad(format!("is not a decimal: {}", raw.text())))?;
    if m.is_sign_negative() {
        return Err(bad(format!("must be >= 0, got {m}")));
    }
    Ok(Some(m))
}

fn state(path: &str, v: Option<&str>) -> Result<TradingState, RiskError> {
    v.map_or(Ok(TradingState::Active), |s| {
        TradingState::parse(s).map_err(|e| match e {
            RiskError::BadLimit { problem, .. } => RiskError::BadLimit {
                field: path.to_owned(),
                problem,
            },
            other => other,
        })
    })
}

impl Limits {
    /// Parse the limits table from JSON.
    ///
    /// # Errors
    /// [`RiskError::BadLimit`] naming the field (unknown keys included).
    pub fn from_json(text: &str) -> Result<Self, RiskError> {
        let r: RawLimits<'_> = serde_json::from_str(text).map_err(|e| RiskError::BadLimit {
            field: "limits".into(),
            problem: e.to_string(),
        })?;
        let d = Limits::default();
        let mut venues = HashMap::new();
        for (name, v) in r.venues {
            let p = |f: &str| format!("venues.{name}.{f}");
            name.parse::<crate::venue::Venue>()
                .map_err(|e| RiskError::BadLimit {
                    field: format!("venues.{name}"),
                    problem: e.to_string(),
                })?;
            let lim = VenueLimits {
                state: state(&p("state"), v.state.as_deref())?,
                max_gross_notional_usd: dec(
                    &p("max_gross_notional_usd"),
                    v.max_gross_notional_usd,
                )?,
                max_share: dec(&p("max_share"), v.max_share)?,
                min_margin_headroom_usd: dec(
                    &p("min_margin_headroom_usd"),
                    v.min_margin_headroom_usd,
                )?,
                min_liq_distance: dec(&p("min_liq_distance"), v.min_liq_distance)?,
            };
            venues.insert(name, lim);
        }
        let mut instruments = HashMap::new();
        for (key, v) in r.instruments {
            let p = |f: &str| format!("instruments.{key}.{f}");
            if !key.contains(':') {
                return Err(RiskError::BadLimit {
                    field: format!("instruments.{key}"),
                    problem: "key must be \"<venue>:<symbol>\"".into(),
                });
            }
            let lim = InstrumentLimits {
                state: state(&p("state"), v.state.as_deref())?,
                max_position: dec(&p("max_position"), v.max_position)?,
                max_order_qty: dec(&p("max_order_qty"), v.max_order_qty)?,
                max_order_notional_usd: dec(
                    &p("max_order_notional_usd"),
                    v.max_order_notional_usd,
                )?,
                price_band: dec(&p("price_band"), v.price_band)?,
                initial_margin_rate: dec(&p("initial_margin_rate"), v.initial_margin_rate)?,
            };
            instruments.insert(key, lim);
        }
        let rate_window_ms = r.rate_window_ms.unwrap_or(d.rate_window_ms);
        if rate_window_ms <= 0 {
            return Err(RiskError::BadLimit {
                field: "rate_window_ms".into(),
                problem: "must be > 0".into(),
            });
        }
        Ok(Limits {
            state: state("state", r.state.as_deref())?,
            max_order_notional_usd: dec("max_order_notional_usd", r.max_order_notional_usd)?,
            price_band: dec("price_band", r.price_band)?,
            max_net_delta_usd: dec("max_net_delta_usd", r.max_net_delta_usd)?,
            max_venue_share: dec("max_venue_share", r.max_venue_share)?,
            concentration_min_total_usd: dec(
                "concentration_min_total_usd",
                r.concentration_min_total_usd,
            )?
            .unwrap_or(d.concentration_min_total_usd),
            min_margin_headroom_usd: dec("min_margin_headroom_usd", r.min_margin_headroom_usd)?,
            min_liq_distance: dec("min_liq_distance", r.min_liq_distance)?,
            initial_margin_rate: dec("initial_margin_rate", r.initial_margin_rate)?
                .unwrap_or(d.initial_margin_rate),
            maint_margin_rate: dec("maint_margin_rate", r.maint_margin_rate)?
                .unwrap_or(d.maint_margin_rate),
            max_orders_per_window: r.max_orders_per_window,
            rate_window_ms,
            venues,
            instruments,
        })
    }
}
