//! What one instrument is: venue, symbol, kind, payoff, sizes and currencies.
//!
//! Quantities are always in the venue's native order unit, so an order can be checked
//! against the venue's own tick and lot: contracts on Binance COIN-M, OKX and BitMEX,
//! coins on Binance USD-M and Bybit linear, USD on Deribit inverse futures (whose
//! `amount` is USD in multiples of `contract_size`). `multiplier` is what one unit of
//! that quantity is worth: coins for a linear contract, USD for an inverse one (SPEC §2).

use std::fmt;

use super::{ContractError, Money};
use crate::venue::Venue;

/// How a contract pays (SPEC §2 table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payoff {
    /// PnL = multiplier x qty x (exit - entry), in the quote/settle currency.
    Linear,
    /// PnL = multiplier x qty x (1/entry - 1/exit), in the base coin.
    Inverse,
}

impl Payoff {
    /// `"linear"` or `"inverse"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Payoff::Linear => "linear",
            Payoff::Inverse => "inverse",
        }
    }
}

/// Perpetual, dated future or spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Pays or receives funding every interval; no expiry.
    Perpetual,
    /// Converges to spot at expiry (ms since the epoch, UTC).
    Future {
        /// Expiry / delivery time, ms since the epoch.
        expiry_ms: i64,
    },
    /// Spot pair (always linear, multiplier 1).
    Spot,
}

impl Kind {
    /// `"perpetual"`, `"future"` or `"spot"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Perpetual => "perpetual",
            Kind::Future { .. } => "future",
            Kind::Spot => "spot",
        }
    }

    /// Expiry in ms for a dated future.
    #[must_use]
    pub fn expiry_ms(self) -> Option<i64> {
        match self {
            Kind::Future { expiry_ms } => Some(expiry_ms),
            _ => None,
        }
    }
}

/// One tradable instrument as the venue defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentSpec {
    /// Venue (product family).
    pub venue: Venue,
    /// The venue's own symbol (`BTCUSD_PERP`, `BTC-USDT-SWAP`, `XBTUSD`).
    pub symbol: String,
    /// Perpetual, dated future or spot.
    pub kind: Kind,
    /// Linear or inverse.
    pub payoff: Payoff,
    /// Underlying coin (`BTC`, `ETH`; BitMEX `XBT`).
    pub base: String,
    /// Quote currency (`USDT`, `USD`, `USDC`).
    pub quote: String,
    /// Currency PnL settles in (`USDT` for linear, the coin for inverse).
    pub settle: String,
    /// Currency the position is margined in.
    pub margin: String,
    /// Value of one unit of quantity: coins (linear) or USD (inverse).
    pub multiplier: Money,
    /// The venue's contract size: coins (linear) or USD (inverse) per contract.
    pub contract_size: Money,
    /// Price increment.
    pub tick: Money,
    /// Quantity increment.
    pub lot: Money,
    /// Smallest order quantity.
    pub min_qty: Money,
    /// Largest order quantity, if the venue states one.
    pub max_qty: Option<Money>,
    /// Smallest order notional in the quote currency, if the venue states one.
    pub min_notional: Option<Money>,
    /// Funding interval in minutes (perpetuals), if known.
    pub funding_interval_min: Option<u32>,
    /// Maintenance margin rate of the first risk tier, if the venue states it.
    pub maint_margin_rate: Option<Money>,
    /// Trading now (status field of the venue).
    pub active: bool,
}

impl InstrumentSpec {
    /// Check the invariants every loader must produce (positive sizes, tick and lot).
    ///
    /// # Errors
    /// [`ContractError::Invalid`] naming the first field that is wrong.
    pub fn validate(&self) -> Result<(), ContractError> {
        let pos = |name: &'static str, v: Money| {
            if v > Money::ZERO {
                Ok(())
            } else {
                Err(ContractError::Invalid {
                    name,
                    reason: format!("{} {}: must be > 0, got {v}", self.venue, self.symbol),
                })
            }
        };
        pos("multiplier", self.multiplier)?;
        pos("contract_size", self.contract_size)?;
        pos("tick", self.tick)?;
        pos("lot", self.lot)?;
        if self.min_qty < Money::ZERO {
            return Err(ContractError::Invalid {
                name: "min_qty",
                reason: format!("{} {}: negative", self.venue, self.symbol),
            });
        }
        if let Some(max) = self.max_qty {
            if max < self.min_qty {
                return Err(ContractError::Invalid {
                    name: "max_qty",
                    reason: format!("{} {}: below min_qty", self.venue, self.symbol),
                });
            }
        }
        Ok(())
    }

    /// True if `price` is a whole number of ticks.
    #[inline]
    #[must_use]
    pub fn on_tick(&self, price: Money) -> bool {
        is_multiple(price, self.tick)
    }

    /// True if `qty` (unsigned) is a whole number of lots.
    #[inline]
    #[must_use]
    pub fn on_lot(&self, qty: Money) -> bool {
        is_multiple(qty, self.lot)
    }

    /// Days (fractional) from `now_ms` to expiry for a dated future.
    #[must_use]
    pub fn days_to_expiry(&self, now_ms: i64) -> Option<Money> {
        let exp = self.kind.expiry_ms()?;
        Money::from(exp.saturating_sub(now_ms)).checked_div(Money::from(86_400_000_i64))
    }
}

impl fmt::Display for InstrumentSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.venue, self.symbol)
    }
}

/// True if `v` is an integer multiple of `step` (`step` > 0).
#[inline]
#[must_use]
pub fn is_multiple(v: Money, step: Money) -> bool {
    if step <= Money::ZERO {
        return false;
    }
    v.checked_rem(step).is_some_and(|r| r.is_zero())
}
