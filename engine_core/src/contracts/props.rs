//! Property tests of the PnL identities, position keeping and haircut monotonicity.

use proptest::prelude::*;

use super::margin::{bybit_btc_tiers, HaircutTiers, TierBasis};
use super::math::{pnl, pnl_usd};
use super::position::{Fill, Position};
use super::{Money, Payoff};

/// A positive price with 2 decimals, 1.00 .. 200,000.00.
fn price() -> impl Strategy<Value = Money> {
    (100_i64..20_000_000).prop_map(|m| Money::new(m, 2))
}

/// A non-zero signed quantity with 3 decimals.
fn qty() -> impl Strategy<Value = Money> {
    prop_oneof![(1_i64..10_000_000), (-10_000_000_i64..-1)].prop_map(|m| Money::new(m, 3))
}

fn payoff() -> impl Strategy<Value = Payoff> {
    prop_oneof![Just(Payoff::Linear), Just(Payoff::Inverse)]
}

fn mult() -> impl Strategy<Value = Money> {
    prop_oneof![
        Just(Money::ONE),
        Just(Money::new(1, 2)),
        Just(Money::TEN),
        Just(Money::ONE_HUNDRED)
    ]
}

/// |a - b| within a few units of the 20th decimal, relative to the magnitudes.
fn close(a: Money, b: Money) -> bool {
    let scale = a.abs().max(b.abs()).max(Money::ONE);
    (a - b).abs() <= scale * Money::new(1, 20)
}

proptest! {
    #[test]
    fn pnl_is_zero_when_entry_equals_exit(p in payoff(), m in mult(), q in qty(), px in price()) {
        prop_assert_eq!(pnl(p, m, q, px, px).expect("pnl"), Money::ZERO);
    }

    #[test]
    fn long_and_short_are_symmetric(p in payoff(), m in mult(), q in qty(), a in price(), b in price()) {
        let long = pnl(p, m, q, a, b).expect("pnl");
        let short = pnl(p, m, -q, a, b).expect("pnl");
        prop_assert_eq!(long, -short);
    }

    #[test]
    fn inverse_coin_pnl_times_exit_is_linear_usd_pnl(n in qty(), a in price(), b in price()) {
        // N contracts of $1 opened at a are a linear position of N / a coins:
        // coin PnL x exit = (N / a) x (exit - a).
        let coin = pnl(Payoff::Inverse, Money::ONE, n, a, b).expect("pnl");
        let usd = pnl_usd(Payoff::Inverse, Money::ONE, n, a, b).expect("usd");
        let linear = pnl(Payoff::Linear, n / a, Money::ONE, a, b).expect("lin");
        prop_assert!(close(coin * b, usd), "{} vs {}", coin * b, usd);
        prop_assert!(close(usd, linear), "{} vs {}", usd, linear);
    }

    #[test]
    fn position_is_the_sum_of_its_fills(
        p in payoff(),
        fills in prop::collection::vec((qty(), price(), 0_i64..1000), 1..40),
    ) {
        let mut pos = Position::new(p, Money::ONE);
        let (mut q, mut fees) = (Money::ZERO, Money::ZERO);
        for (fq, fp, fee) in fills {
            let fee = Money::new(fee, 2);
            pos.apply(Fill { qty: fq, price: fp, fee }).expect("fill");
            q += fq;
            fees += fee;
            prop_assert_eq!(pos.qty, q);
            prop_assert_eq!(pos.fees, fees);
            prop_assert_eq!(pos.avg_entry.is_zero(), q.is_zero());
        }
    }

    #[test]
    fn round_trip_realises_the_pnl(p in payoff(), q in qty(), a in price(), b in price(), k in 1_i64..10) {
        // Open q at a, close it in k equal-ish slices at b: realised = pnl(q, a, b).
        let mut pos = Position::new(p, Money::ONE);
        pos.apply(Fill { qty: q, price: a, fee: Money::ZERO }).expect("open");
        let slice = (q / Money::from(k)).round_dp(3);
        let mut left = q;
        for _ in 1..k {
            if slice.is_zero() || slice.abs() >= left.abs() { break; }
            pos.apply(Fill { qty: -slice, price: b, fee: Money::ZERO }).expect("slice");
            left -= slice;
        }
        pos.apply(Fill { qty: -left, price: b, fee: Money::ZERO }).expect("close");
        prop_assert!(pos.is_flat());
        let expect = pnl(p, Money::ONE, q, a, b).expect("pnl");
        prop_assert!(close(pos.realised_pnl, expect), "{} vs {}", pos.realised_pnl, expect);
    }

    #[test]
    fn haircut_value_is_monotone_in_size(a in 0_i64..100_000_000, b in 0_i64..100_000_000, px in price()) {
        let (lo, hi) = (Money::new(a.min(b), 3), Money::new(a.max(b), 3));
        let bybit = bybit_btc_tiers();
        prop_assert!(bybit.value(lo, px).expect("v") <= bybit.value(hi, px).expect("v"));
        let by_value = HaircutTiers::new(
            TierBasis::Value,
            vec![(Money::new(1_000_000, 0), Money::ONE), (Money::new(5_000_000, 0), Money::new(9, 1))],
            Money::new(5, 1),
        ).expect("tiers");
        prop_assert!(by_value.value(lo, px).expect("v") <= by_value.value(hi, px).expect("v"));
    }
}
