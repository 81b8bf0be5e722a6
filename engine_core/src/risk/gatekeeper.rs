//! The gatekeeper (docs/risk-playbooks.md#gatekeeper): a circuit breaker over executed mints and
//! redeems.
//!
//! For each Mint/Redeem event the price is `usde_amount / collateral_amount`, compared
//! with the spot price of the collateral. A mint above spot or a redeem below it is a
//! loss, `(mint_px - spot) x collateral` or `(spot - redeem_px) x collateral`, kept for
//! 30 minutes. Disable minting and redeeming if a mint is priced above 1.03 x spot or a
//! redeem below 0.97 x spot, or if the 30-minute loss exceeds $50,000 (warn above
//! $5,000); alert when the price is missing. Vector: ETH $2,000, 10 stETH -> 20,700 USDe:
//! price 2,070 > 2,060, loss $700 -> disable.

use std::collections::VecDeque;

use crate::contracts::{positive, Checked, ContractError, Money};

/// Which way the event went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Collateral in, USDe minted.
    Mint,
    /// USDe burned, collateral out.
    Redeem,
}

/// What the gatekeeper wants done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GateAction {
    /// Nothing wrong.
    Ok,
    /// Tell a person (loss above the warning level, missing price).
    Alert,
    /// Call `disableMintRedeem()`.
    Disable,
}

/// The gatekeeper's view of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateDecision {
    /// USDe per unit of collateral (None without collateral).
    pub price: Option<Money>,
    /// Loss of this event in USD (0 if priced in our favour or unknown).
    pub loss: Money,
    /// Losses inside the window, this event included.
    pub window_loss: Money,
    /// The strongest action any rule asks for.
    pub action: GateAction,
    /// Why, one line per rule that fired.
    pub reasons: Vec<String>,
}

/// Thresholds and the rolling loss window.
#[derive(Debug, Clone)]
pub struct Gatekeeper {
    /// Maximum deviation of the event price from spot (0.03).
    pub max_deviation: Money,
    /// Window loss that disables (USD 50,000).
    pub disable_loss: Money,
    /// Window loss that alerts (USD 5,000).
    pub warn_loss: Money,
    /// Window length (30 minutes).
    pub window_ms: i64,
    losses: VecDeque<(i64, Money)>,
}

impl Default for Gatekeeper {
    fn default() -> Self {
        Gatekeeper {
            max_deviation: Money::new(3, 2),
            disable_loss: Money::new(50_000, 0),
            warn_loss: Money::new(5_000, 0),
            window_ms: 30 * 60 * 1000,
            losses: VecDeque::new(),
        }
    }
}

impl Gatekeeper {
    /// Judge one executed event at `ts_ms`, with `spot` the collateral's USD price.
    ///
    /// # Errors
    /// [`ContractError`] on non-positive amounts or overflow.
    pub fn observe(
        &mut self,
        ts_ms: i64,
        flow: Flow,
        collateral: Money,
        usde: Money,
        spot: Option<Money>,
    ) -> Result<GateDecision, ContractError> {
        let collateral = positive(collateral, "collateral amount")?;
        let usde = positive(usde, "usde amount")?;
        let price = usde.div(collateral, "collateral amount")?;
        let mut reasons = Vec::new();
        let mut action = GateAction::Ok;
        let mut loss = Money::ZERO;
        match spot {
            None => {
                action = GateAction::Alert;
                reasons.push("missing spot price".to_owned());
            }
            Some(spot) => {
                let spot = positive(spot, "spot price")?;
                let band = spot.mul(self.max_deviation, "band")?;
                let (gap, breach) = match flow {
                    Flow::Mint => (price.sub(spot, "loss")?, price > spot.add(band, "band")?),
                    Flow::Redeem => (spot.sub(price, "loss")?, price < spot.sub(band, "band")?),
                };
                loss = gap.max(Money::ZERO).mul(collateral, "loss")?;
                if breach {
                    action = GateAction::Disable;
                    reasons.push(format!(
                        "{flow:?} price {price} beyond {} of spot {spot}",
                        self.max_deviation
                    ));
                }
            }
        }
        let start = ts_ms.saturating_sub(self.window_ms);
        while self.losses.front().is_some_and(|(t, _)| *t <= start) {
            self.losses.pop_front();
        }
        if !loss.is_zero() {
            self.losses.push_back((ts_ms, loss));
        }
        let mut window_loss = Money::ZERO;
        for (_, l) in &self.losses {
            window_loss = window_loss.add(*l, "window loss")?;
        }
        if window_loss > self.disable_loss {
            action = GateAction::Disable;
            reasons.push(format!(
                "window loss {window_loss} above {}",
                self.disable_loss
            ));
        } else if window_loss > self.warn_loss {
            action = action.max(GateAction::Alert);
            reasons.push(format!(
                "window loss {window_loss} above warning {}",
                self.warn_loss
            ));
        }
        Ok(GateDecision {
            price: Some(price),
            loss,
            window_loss,
            action,
            reasons,
        })
    }
}
