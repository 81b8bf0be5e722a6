//! Checking orders: one, or many in one call.
//!
//! Each order is checked on the integer grid ([`super::fast_check`]) when it can be, and
//! with the `Money` checks otherwise; both give the same verdict (tested against each
//! other in `risk::tests_fast`). A cumulative batch keeps its running state on the grid
//! until an order cannot be counted there, then replays the approved orders into a
//! `Money` copy and carries on with that.

use super::aggregates::Aggregates;
use super::engine::RiskEngine;
use super::fast::Fast;
use super::order::Order;
use super::{checks, fast_check, Verdict};

/// Where a cumulative batch keeps its running state.
enum Scratch {
    Grid(Fast),
    Money(Aggregates),
}

impl RiskEngine {
    /// Check one order. An approved order counts against the order-rate limit.
    pub fn check(&mut self, order: &Order) -> Verdict {
        self.refresh();
        let count = self.rate_count(order.ts_ms);
        let v = fast_check::evaluate(&self.state, &self.fast, order, count)
            .unwrap_or_else(|| checks::evaluate(&self.state, &self.aggs, order, count));
        if v.approved() {
            self.rate.push_back(order.ts_ms);
        }
        v
    }

    /// The same verdict from the `Money` checks only (the reference for the grid path).
    pub fn check_reference(&mut self, order: &Order) -> Verdict {
        self.refresh();
        let count = self.rate_count(order.ts_ms);
        let v = checks::evaluate(&self.state, &self.aggs, order, count);
        if v.approved() {
            self.rate.push_back(order.ts_ms);
        }
        v
    }

    /// Check many orders. Independent: each is checked against the current state, as
    /// `check` would. Cumulative: each approved order counts toward positions, delta,
    /// concentration and margin for the orders after it (a split sent together).
    pub fn check_batch(&mut self, orders: &[Order], cumulative: bool) -> Vec<Verdict> {
        self.refresh();
        let mut out = Vec::with_capacity(orders.len());
        if !cumulative {
            for o in orders {
                out.push(self.check(o));
            }
            return out;
        }
        let mut scratch = Scratch::Grid(self.fast.clone());
        let mut approved: Vec<Order> = Vec::new();
        for o in orders {
            let count = self.rate_count(o.ts_ms);
            let v = match &mut scratch {
                Scratch::Grid(f) => match fast_check::evaluate(&self.state, f, o, count) {
                    Some(v) => {
                        if v.approved() && !self.apply_grid(f, o) {
                            approved.push(*o);
                            scratch = Scratch::Money(self.replay(&approved));
                        }
                        v
                    }
                    None => {
                        let mut s = self.replay(&approved);
                        let v = checks::evaluate(&self.state, &s, o, count);
                        if v.approved() {
                            s.apply_order(&self.state, o);
                        }
                        scratch = Scratch::Money(s);
                        v
                    }
                },
                Scratch::Money(s) => {
                    let v = checks::evaluate(&self.state, s, o, count);
                    if v.approved() {
                        s.apply_order(&self.state, o);
                    }
                    v
                }
            };
            if v.approved() {
                self.rate.push_back(o.ts_ms);
                if matches!(scratch, Scratch::Grid(_)) {
                    approved.push(*o);
                }
            }
            out.push(v);
        }
        out
    }

    /// Count `o` on the grid; false if it cannot be (the caller switches to `Money`).
    fn apply_grid(&self, f: &mut Fast, o: &Order) -> bool {
        let Some(Some(fi)) = f.insts.get(o.instrument) else {
            return false;
        };
        let Some((q, p)) = fast_check::grid(fi, o) else {
            return false;
        };
        f.apply(o.instrument, q, p).is_some()
    }

    /// The aggregates with `orders` counted, on the `Money` path.
    fn replay(&self, orders: &[Order]) -> Aggregates {
        let mut s = self.aggs.clone();
        for o in orders {
            s.apply_order(&self.state, o);
        }
        s
    }

    /// Approved orders inside the window ending at `ts_ms` (drops older ones).
    pub(crate) fn rate_count(&mut self, ts_ms: i64) -> u32 {
        let start = ts_ms.saturating_sub(self.state.limits.rate_window_ms);
        while self.rate.front().is_some_and(|t| *t <= start) {
            self.rate.pop_front();
        }
        u32::try_from(self.rate.len()).unwrap_or(u32::MAX)
    }
}
