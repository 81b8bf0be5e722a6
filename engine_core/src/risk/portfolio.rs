//! Mark-to-market of many positions in one call.
//!
//! Positions are stored column-wise (instrument index, quantity, entry) against a small
//! table of instrument terms. The totals the risk actor publishes (unrealised PnL in USD,
//! gross notional, net delta) are linear in each instrument's mark, so the portfolio keeps
//! per-instrument sums, updated as positions are added, and [`Portfolio::mark`] costs one
//! step per instrument, not per position:
//! - linear: `upl = m (px sum q - sum q e)`, `net = m px sum q`, `gross = m px sum |q|`;
//! - inverse (USD): `upl = m (px sum q/e - sum q)`, `net = m sum q`, `gross = m sum |q|`.
//!
//! Linear sums are exact; each inverse `q/e` rounds to 28 significant digits when the
//! position is added. [`Portfolio::mark_each`] gives every position's own USD PnL from
//! integers kept per position ([`super::marks`]); [`Portfolio::unrealised`] in its settle
//! currency.

use super::marks::Grid;
pub use super::quotient::Exact;
use crate::contracts::math::notional;
use crate::contracts::{positive, Checked, ContractError, Money, Payoff};

/// Totals of one mark-to-market pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mtm {
    /// Unrealised PnL of every position, USD.
    pub upl_usd: Money,
    /// Sum of |notional|, USD.
    pub gross_notional_usd: Money,
    /// Sum of signed notional (net delta), USD.
    pub net_delta_usd: Money,
}

/// Many positions over a fixed set of instruments.
#[derive(Debug, Clone, Default)]
pub struct Portfolio {
    terms: Vec<(Payoff, Money)>,
    inst: Vec<u32>,
    qty: Vec<Money>,
    entry: Vec<Money>,
    sums: Vec<Sums>,
    grid: Grid,
}

/// Per-instrument sums: `sum q`, `sum |q|`, and `sum q e` (linear) or `sum q/e` (inverse).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    q: Money,
    abs_q: Money,
    entry_term: Money,
}

impl Portfolio {
    /// A portfolio over instruments with these `(payoff, multiplier)` terms.
    #[must_use]
    pub fn new(terms: Vec<(Payoff, Money)>) -> Self {
        let sums = vec![Sums::default(); terms.len()];
        Portfolio {
            grid: Grid::new(&terms),
            terms,
            sums,
            ..Portfolio::default()
        }
    }

    /// Number of positions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.qty.len()
    }

    /// True if there are no positions.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.qty.is_empty()
    }

    /// Add a position of `qty` in instrument `inst` opened at `entry`.
    ///
    /// # Errors
    /// [`ContractError::Invalid`] for an unknown instrument index or a non-positive entry.
    pub fn push(&mut self, inst: usize, qty: Money, entry: Money) -> Result<(), ContractError> {
        if inst >= self.terms.len() {
            return Err(ContractError::Invalid {
                name: "instrument",
                reason: format!(
                    "index {inst} out of range ({} instruments)",
                    self.terms.len()
                ),
            });
        }
        positive(entry, "entry price")?;
        let term = match self.terms[inst].0 {
            Payoff::Linear => qty.mul(entry, "entry")?,
            Payoff::Inverse => qty.div(entry, "entry price")?,
        };
        let s = self.sums[inst];
        self.sums[inst] = Sums {
            q: s.q.add(qty, "sum")?,
            abs_q: s.abs_q.add(qty.abs(), "sum")?,
            entry_term: s.entry_term.add(term, "sum")?,
        };
        self.inst.push(inst as u32);
        self.qty.push(qty);
        self.entry.push(entry);
        self.grid.push(&self.inst, inst, qty, entry);
        Ok(())
    }

    fn check_marks(&self, marks: &[Money]) -> Result<(), ContractError> {
        if marks.len() != self.terms.len() {
            return Err(ContractError::Invalid {
                name: "marks",
                reason: format!("{} marks for {} instruments", marks.len(), self.terms.len()),
            });
        }
        Ok(())
    }

    /// Totals at `marks` (one per instrument, same order as the terms).
    ///
    /// # Errors
    /// [`ContractError`] on a wrong number of marks, a non-positive mark or overflow.
    pub fn mark(&self, marks: &[Money]) -> Result<Mtm, ContractError> {
        self.check_marks(marks)?;
        let mut t = Mtm::default();
        for (i, s) in self.sums.iter().enumerate() {
            let (p, m) = self.terms[i];
            let px = positive(marks[i], "mark")?;
            let (upl, net, gross) = match p {
                Payoff::Linear => (
                    px.mul(s.q, "upl")?
                        .sub(s.entry_term, "upl")?
                        .mul(m, "upl")?,
                    notional(p, m, s.q, px)?,
                    notional(p, m, s.abs_q, px)?,
                ),
                Payoff::Inverse => (
                    px.mul(s.entry_term, "upl")?
                        .sub(s.q, "upl")?
                        .mul(m, "upl")?,
                    notional(p, m, s.q, px)?,
                    notional(p, m, s.abs_q, px)?,
                ),
            };
            t.upl_usd = t.upl_usd.add(upl, "upl")?;
            t.gross_notional_usd = t.gross_notional_usd.add(gross, "gross")?;
            t.net_delta_usd = t.net_delta_usd.add(net, "delta")?;
        }
        Ok(t)
    }

    /// Unrealised PnL of each position in USD at `marks`, in insertion order: linear
    /// exact, inverse `q m (px - e) / e` rounded half-even to 28 significant digits.
    ///
    /// # Errors
    /// As [`Portfolio::mark`].
    pub fn mark_each(&self, marks: &[Money]) -> Result<Vec<Exact>, ContractError> {
        self.check_marks(marks)?;
        super::marks::mark_each(
            &self.terms,
            &self.grid,
            &self.inst,
            &self.qty,
            &self.entry,
            marks,
        )
    }

    /// Unrealised PnL of each position in its settle currency, in insertion order.
    ///
    /// # Errors
    /// As [`Portfolio::mark`].
    pub fn unrealised(&self, marks: &[Money]) -> Result<Vec<Money>, ContractError> {
        self.check_marks(marks)?;
        (0..self.qty.len())
            .map(|k| {
                let i = self.inst[k] as usize;
                let (p, m) = self.terms[i];
                crate::contracts::math::pnl(p, m, self.qty[k], self.entry[k], marks[i])
            })
            .collect()
    }
}
