//! The integer grid path against the `Money` path: same verdicts, reasons and amounts.

use crate::contracts::Money;

#[test]
#[ignore]
fn tmp_speed() {
    use super::{Limits, Order, RiskEngine};
    use crate::contracts::margin::HaircutTiers;
    use crate::contracts::{money, InstrumentSpec, Kind, Payoff};
    use crate::venues::Venue;
    let d = |s: &str| money(s).unwrap();
    let lim = r#"{"price_band":"0.05","max_order_notional_usd":"1000000","max_net_delta_usd":"5000000","max_venue_share":"0.9","concentration_min_total_usd":"1000000000","min_margin_headroom_usd":"0","min_liq_distance":"0.2","initial_margin_rate":"0.1","max_orders_per_window":1000000,"rate_window_ms":1000,"instruments":{"binance-usdm:ETHUSDT":{"max_position":"1000"}}}"#;
    let mut e = RiskEngine::new(Limits::from_json(lim).unwrap());
    let i = e
        .add_instrument(InstrumentSpec {
            venue: Venue::BinanceUsdm,
            symbol: "ETHUSDT".into(),
            kind: Kind::Perpetual,
            payoff: Payoff::Linear,
            base: "ETH".into(),
            quote: "USDT".into(),
            settle: "USDT".into(),
            margin: "USDT".into(),
            multiplier: d("1"),
            contract_size: d("1"),
            tick: d("0.01"),
            lot: d("0.001"),
            min_qty: d("0.001"),
            max_qty: Some(d("10000")),
            min_notional: None,
            funding_interval_min: Some(480),
            maint_margin_rate: None,
            active: true,
        })
        .unwrap();
    e.set_mark(i, d("2000")).unwrap();
    e.set_index("ETH", d("2000")).unwrap();
    e.set_collateral(
        Venue::BinanceUsdm,
        "stETH",
        "ETH",
        d("100"),
        d("1"),
        HaircutTiers::flat(d("0.95")).unwrap(),
    )
    .unwrap();
    let mut s: u64 = 7;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as i64
    };
    let orders: Vec<Order> = (0..1000)
        .map(|k| Order {
            instrument: i,
            qty: Money::new(1 + next() % 5000, 3)
                * if next() % 2 == 0 {
                    Money::ONE
                } else {
                    -Money::ONE
                },
            price: Money::new(200_000 + next() % 30000 - 15000, 2),
            ts_ms: k,
        })
        .collect();
    for _ in 0..std::env::var("REPS").map_or(3, |v| v.parse().unwrap()) {
        let t = std::time::Instant::now();
        let v = e.check_batch(&orders, false);
        let el = t.elapsed();
        let t2 = std::time::Instant::now();
        for o in &orders {
            let _ = super::checks::evaluate(&e, &e.aggs, o, 0);
        }
        let el2 = t2.elapsed();
        let t3 = std::time::Instant::now();
        let mut n = 0;
        for o in &orders {
            if super::fast_check::evaluate(&e, &e.fast, o, 0).is_some() {
                n += 1;
            }
        }
        let el3 = t3.elapsed();
        println!(
            "batch {:?}/1000, money {:?}, fast {:?} ({n} fast), refused {}",
            el,
            el2,
            el3,
            v.iter().filter(|v| !v.approved()).count()
        );
    }
}
