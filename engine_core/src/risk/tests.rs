//! Risk checks, limits loading, batch checks, the SPEC §8 gatekeeper vector and MTM.

use super::gatekeeper::{Flow, GateAction, Gatekeeper};
use super::portfolio::Portfolio;
use super::{Limits, Order, Refusal, RiskEngine, RiskError, Scope, TradingState};
use crate::contracts::margin::{bybit_btc_tiers, HaircutTiers};
use crate::contracts::position::Fill;
use crate::contracts::{money, InstrumentSpec, Kind, Money, Payoff};
use crate::venue::Venue;

fn d(s: &str) -> Money {
    money(s).expect(s)
}

fn spec(venue: Venue, symbol: &str, payoff: Payoff, mult: &str, base: &str) -> InstrumentSpec {
    InstrumentSpec {
        venue,
        symbol: symbol.into(),
        kind: Kind::Perpetual,
        payoff,
        base: base.into(),
        quote: "USDT".into(),
        settle: "USDT".into(),
        margin: "USDT".into(),
        multiplier: d(mult),
        contract_size: d(mult),
        tick: d("0.1"),
        lot: d("0.001"),
        min_qty: d("0.001"),
        max_qty: Some(d("1000")),
        min_notional: Some(d("5")),
        funding_interval_min: Some(480),
        maint_margin_rate: Some(d("0.005")),
        active: true,
    }
}

fn codes(v: &super::Verdict) -> Vec<&'static str> {
    v.reasons.iter().map(Refusal::code).collect()
}

/// ETH linear perp on Bybit and Binance, marks at 2,000, 10 stETH collateral on each.
fn engine(limits: &str) -> (RiskEngine, usize, usize) {
    let mut e = RiskEngine::new(Limits::from_json(limits).expect("limits"));
    let a = e
        .add_instrument(spec(Venue::Bybit, "ETHUSDT", Payoff::Linear, "1", "ETH"))
        .expect("a");
    let b = e
        .add_instrument(spec(
            Venue::BinanceUsdm,
            "ETHUSDT",
            Payoff::Linear,
            "1",
            "ETH",
        ))
        .expect("b");
    for (id, v) in [(a, Venue::Bybit), (b, Venue::BinanceUsdm)] {
        e.set_mark(id, d("2000")).expect("mark");
        e.set_collateral(
            v,
            "stETH",
            "ETH",
            d("10"),
            d("1"),
            HaircutTiers::flat(d("0.95")).expect("t"),
        )
        .expect("coll");
    }
    e.set_index("ETH", d("2000")).expect("index");
    (e, a, b)
}

fn order(id: usize, qty: &str, price: &str) -> Order {
    Order {
        instrument: id,
        qty: d(qty),
        price: d(price),
        ts_ms: 0,
    }
}

#[test]
fn approves_a_clean_order() {
    let (mut e, a, _) = engine(r#"{"price_band":"0.05","max_order_notional_usd":"100000"}"#);
    let v = e.check(&order(a, "-1.5", "2000.1"));
    assert!(v.approved(), "{:?}", v.reasons);
}

#[test]
fn refuses_with_every_reason() {
    let (mut e, a, _) = engine(
        r#"{"price_band":"0.05","max_order_notional_usd":"1000","state":"reduce-only",
            "instruments":{"bybit:ETHUSDT":{"max_order_qty":"2","max_position":"1"}}}"#,
    );
    let v = e.check(&order(a, "5.0005", "2500.05"));
    assert_eq!(
        codes(&v),
        [
            "reduce_only",
            "price_tick",
            "qty_lot",
            "qty_max",
            "price_band",
            "order_notional",
            "instrument_position"
        ]
    );
    assert!(v.reasons[0].to_string().contains("global"));
    let v = e.check(&order(a, "0.001", "2000"));
    assert_eq!(codes(&v), ["reduce_only", "notional_min"]);
    assert_eq!(codes(&e.check(&order(a, "0", "2000"))), ["bad_quantity"]);
    assert_eq!(codes(&e.check(&order(a, "1", "-1"))), ["bad_price"]);
    assert_eq!(
        codes(&e.check(&order(99, "1", "1"))),
        ["unknown_instrument"]
    );
}

#[test]
fn trading_states_by_scope_and_at_runtime() {
    let (mut e, a, b) = engine("{}");
    e.set_state(Some(Venue::Bybit), None, TradingState::Halted)
        .expect("state");
    assert_eq!(
        e.check(&order(a, "1", "2000")).reasons,
        vec![Refusal::Halted(Scope::Venue)]
    );
    assert!(e.check(&order(b, "1", "2000")).approved());
    e.set_state(
        Some(Venue::BinanceUsdm),
        Some("ETHUSDT"),
        TradingState::ReduceOnly,
    )
    .expect("state");
    e.set_position(b, d("-3"), d("2000")).expect("pos");
    assert!(
        e.check(&order(b, "1", "2000")).approved(),
        "buying back a short reduces it"
    );
    assert_eq!(
        e.check(&order(b, "-1", "2000")).reasons,
        vec![Refusal::ReduceOnly(Scope::Instrument)]
    );
    assert_eq!(
        codes(&e.check(&order(b, "6", "2000"))),
        ["reduce_only"],
        "a flip does not reduce"
    );
    assert!(e.set_state(None, Some("X"), TradingState::Active).is_err());
    // Replace the whole table at run time.
    e.set_limits(Limits::from_json(r#"{"state":"halted"}"#).expect("limits"));
    assert_eq!(
        e.check(&order(b, "1", "2000")).reasons,
        vec![Refusal::Halted(Scope::Global)]
    );
}

#[test]
fn net_delta_only_refuses_what_makes_it_worse() {
    let (mut e, a, _) = engine(r#"{"max_net_delta_usd":"10000"}"#);
    // 20 ETH of collateral (2 x 10 stETH) = +$40,000 delta: shorting reduces it.
    assert!(e.check(&order(a, "-15", "2000")).approved());
    let v = e.check(&order(a, "1", "2000"));
    assert_eq!(
        v.reasons,
        vec![Refusal::NetDelta {
            after: d("42000"),
            max: d("10000")
        }]
    );
    e.set_position(a, d("-20"), d("2000")).expect("pos");
    assert!(
        e.check(&order(a, "-4", "2000")).approved(),
        "-8,000 is within"
    );
    assert_eq!(codes(&e.check(&order(a, "-6", "2000"))), ["net_delta"]);
}

#[test]
fn venue_gross_and_concentration() {
    let (mut e, a, b) = engine(
        r#"{"max_venue_share":"0.6","concentration_min_total_usd":"10000",
            "venues":{"bybit":{"max_gross_notional_usd":"30000"}}}"#,
    );
    e.set_position(b, d("-10"), d("2000")).expect("pos"); // $20,000 on Binance
    assert!(e.check(&order(a, "-10", "2000")).approved(), "50 % each");
    let v = e.check(&order(a, "-16", "2000"));
    assert_eq!(codes(&v), ["venue_position", "venue_concentration"]);
    // Below the minimum total, concentration is not checked.
    e.set_position(b, d("0"), d("0")).expect("pos");
    assert!(e.check(&order(a, "-4", "2000")).approved());
}

#[test]
fn margin_headroom_and_liquidation_distance() {
    let (mut e, a, _) = engine(
        r#"{"min_margin_headroom_usd":"1000","min_liq_distance":"0.5","initial_margin_rate":"0.1"}"#,
    );
    // 10 stETH at 0.95 = $19,000 equity; shorting 10 ETH needs $2,000 IM; liq ~18.2x.
    assert!(e.check(&order(a, "-10", "2000")).approved());
    // Shorting 100 ETH: IM $20,000 > equity; liquidation at 19,000/0.5 ... close.
    let v = e.check(&order(a, "-100", "2000"));
    assert_eq!(codes(&v), ["margin_headroom", "liquidation_distance"]);
    // With no collateral at all, any new exposure is at liquidation already.
    e.set_collateral(
        Venue::Bybit,
        "stETH",
        "ETH",
        d("0"),
        d("1"),
        bybit_btc_tiers(),
    )
    .expect("c");
    let v = e.check(&order(a, "-1", "2000"));
    assert_eq!(codes(&v), ["margin_headroom", "liquidation_distance"]);
}

#[test]
fn order_rate_counts_approvals_in_the_window() {
    let (mut e, a, _) = engine(r#"{"max_orders_per_window":2,"rate_window_ms":1000}"#);
    let at = |ts| Order {
        ts_ms: ts,
        ..order(a, "1", "2000")
    };
    assert!(e.check(&at(0)).approved());
    assert!(e.check(&at(10)).approved());
    assert_eq!(codes(&e.check(&at(20))), ["order_rate"]);
    assert!(e.check(&at(1001)).approved(), "the first left the window");
}

#[test]
fn batch_independent_and_cumulative() {
    let (mut e, a, _) = engine(r#"{"instruments":{"bybit:ETHUSDT":{"max_position":"10"}}}"#);
    let orders = vec![
        order(a, "-6", "2000"),
        order(a, "-6", "2000"),
        order(a, "1", "2000"),
    ];
    let v = e.check_batch(&orders, false);
    assert!(v.iter().all(super::Verdict::approved));
    let v = e.check_batch(&orders, true);
    assert_eq!(
        v.iter().map(super::Verdict::approved).collect::<Vec<_>>(),
        [true, false, true]
    );
}

#[test]
fn fills_move_positions() {
    let (mut e, a, _) = engine("{}");
    e.apply_fill(
        a,
        Fill {
            qty: d("-2"),
            price: d("2000"),
            fee: d("0.8"),
        },
    )
    .expect("fill");
    e.apply_fill(
        a,
        Fill {
            qty: d("1"),
            price: d("1900"),
            fee: d("0.4"),
        },
    )
    .expect("fill");
    let p = e.position(a).expect("pos");
    assert_eq!(
        (p.qty, p.realised_pnl, p.fees),
        (d("-1"), d("100"), d("1.2"))
    );
    assert_eq!(
        e.aggregates().net_delta,
        d("38000"),
        "20 ETH collateral - 1 ETH short at 2,000"
    );
    assert!(matches!(
        e.apply_fill(
            7,
            Fill {
                qty: d("1"),
                price: d("1"),
                fee: d("0")
            }
        ),
        Err(RiskError::UnknownInstrument(_))
    ));
    assert!(e
        .add_instrument(spec(Venue::Bybit, "ETHUSDT", Payoff::Linear, "1", "ETH"))
        .is_err());
}

#[test]
fn limits_errors_name_the_field() {
    let e = Limits::from_json(r#"{"max_net_delta":"1"}"#).expect_err("unknown key");
    assert!(e.to_string().contains("max_net_delta"), "{e}");
    let e = Limits::from_json(r#"{"venues":{"bybit":{"max_share":"x"}}}"#).expect_err("bad");
    assert!(e.to_string().contains("venues.bybit.max_share"), "{e}");
    let e = Limits::from_json(r#"{"venues":{"nasdaq":{}}}"#).expect_err("venue");
    assert!(e.to_string().contains("nasdaq"), "{e}");
    let e =
        Limits::from_json(r#"{"instruments":{"bybit:X":{"state":"paused"}}}"#).expect_err("state");
    assert!(e.to_string().contains("instruments.bybit:X.state"), "{e}");
    assert!(Limits::from_json(r#"{"price_band":"-0.1"}"#).is_err());
    let ok = Limits::from_json(r#"{"price_band":0.05,"max_orders_per_window":5}"#).expect("ok");
    assert_eq!(ok.price_band, Some(d("0.05")));
}

#[test]
fn gatekeeper_vector() {
    // SPEC §8: ETH $2,000; 10 stETH -> 20,700 USDe: px 2,070, loss $700, > 2,060 -> disable.
    let mut g = Gatekeeper::default();
    let r = g
        .observe(0, Flow::Mint, d("10"), d("20700"), Some(d("2000")))
        .expect("gate");
    assert_eq!(
        (r.price, r.loss, r.action),
        (Some(d("2070")), d("700"), GateAction::Disable)
    );
    // Inside the band: no disable, loss accumulates for 30 minutes.
    let mut g = Gatekeeper::default();
    let r = g
        .observe(0, Flow::Mint, d("100"), d("205000"), Some(d("2000")))
        .expect("gate");
    assert_eq!((r.loss, r.action), (d("5000"), GateAction::Ok));
    let r = g
        .observe(60_000, Flow::Redeem, d("100"), d("199000"), Some(d("2000")))
        .expect("gate");
    assert_eq!(
        (r.loss, r.window_loss, r.action),
        (d("1000"), d("6000"), GateAction::Alert)
    );
    let r = g
        .observe(
            60_000,
            Flow::Redeem,
            d("1000"),
            d("1950000"),
            Some(d("2000")),
        )
        .expect("gate");
    assert_eq!((r.window_loss, r.action), (d("56000"), GateAction::Disable));
    let r = g
        .observe(
            60_000 + 30 * 60_000,
            Flow::Mint,
            d("1"),
            d("2000"),
            Some(d("2000")),
        )
        .expect("gate");
    assert_eq!((r.window_loss, r.action), (d("0"), GateAction::Ok));
    let r = g
        .observe(0, Flow::Mint, d("1"), d("2000"), None)
        .expect("gate");
    assert_eq!(r.action, GateAction::Alert);
    assert!(g.observe(0, Flow::Mint, d("0"), d("1"), None).is_err());
}

#[test]
fn portfolio_mark_to_market() {
    let mut p = Portfolio::new(vec![(Payoff::Linear, d("1")), (Payoff::Inverse, d("1"))]);
    p.push(0, d("-10"), d("2000")).expect("push");
    p.push(1, d("50000"), d("10000")).expect("push");
    let t = p.mark(&[d("1800"), d("11000")]).expect("mark");
    // Linear short: +2,000. Inverse: 0.4545.. ETH x 11,000 = 5,000.
    assert_eq!(t.upl_usd, d("7000"));
    assert_eq!(t.gross_notional_usd, d("68000"));
    assert_eq!(t.net_delta_usd, d("32000"));
    let u = p.unrealised(&[d("1800"), d("11000")]).expect("upl");
    assert_eq!(u[0], d("2000"));
    assert!(p.mark(&[d("1")]).is_err());
    assert!(p.push(5, d("1"), d("1")).is_err());
}
