//! Every worked number of docs/contracts.md, docs/funding-basis-margin.md and
//! docs/mint-redeem.md#route as a test.

use super::funding::{
    basis, basis_apr, funding_apr, funding_payment, funding_rate, premium_index, weighted_premium,
    BINANCE_INTEREST_8H, FUNDING_CLAMP,
};
use super::liquidation::{lst_hedge_liq_price, LinearAccount};
use super::margin::{binance_example_tiers, bybit_btc_tiers, margin_ratio, HaircutTiers};
use super::math::{coin_delta, inverse_pnl, notional, pnl};
use super::route::split_route;
use super::{money, ContractError, Money, Payoff};

fn d(s: &str) -> Money {
    money(s).expect(s)
}

fn round(v: Money, dp: u32) -> Money {
    v.round_dp(dp)
}

#[test]
fn convexity_of_inverse_contracts() {
    // docs/contracts.md#convexity (doc): long 50,000 x $1 at 10,000 -> 11,000 = +0.4545 ETH; ->
    // 9,000 = -0.5556 ETH.
    let up = inverse_pnl(d("50000"), d("1"), d("10000"), d("11000")).expect("pnl");
    let down = inverse_pnl(d("50000"), d("1"), d("10000"), d("9000")).expect("pnl");
    assert_eq!(round(up, 4), d("0.4545"));
    assert_eq!(round(down, 4), d("-0.5556"));
    assert!(
        up.abs() < down.abs(),
        "convexity: the loss is larger than the gain"
    );
}

#[test]
fn inverse_neutral_equity_is_constant_in_usd() {
    // docs/contracts.md#neutral-positions (doc): cv $1, P0 $1, E = N/P0 coins, short N at P0.
    let (n, p0) = (d("1"), d("1"));
    let e = n / p0;
    for (p, contract_coins, pnl_coins, equity_coins) in
        [("0.1", "10", "9", "10"), ("100", "0.01", "-0.99", "0.01")]
    {
        let p = d(p);
        assert_eq!(
            coin_delta(Payoff::Inverse, d("1"), n, p).expect("delta"),
            d(contract_coins)
        );
        let short = pnl(Payoff::Inverse, d("1"), -n, p0, p).expect("pnl");
        assert_eq!(short, d(pnl_coins));
        assert_eq!(e + short, d(equity_coins));
        assert_eq!((e + short) * p, d("1"), "equity_USD = N");
    }
}

#[test]
fn linear_neutral_holds_usd_value() {
    // docs/contracts.md#neutral-positions (not verified as Ethena's): ETH $2,000, 10 stETH ->
    // 20,000 USDe, short 10 ETH; ETH -90%.
    let (q, p0, p) = (d("10"), d("2000"), d("200"));
    let short = pnl(Payoff::Linear, d("1"), -q, p0, p).expect("pnl");
    assert_eq!(short, d("18000"));
    assert_eq!(q * p + short, d("20000"), "q P + q (P0 - P) = q P0");
    assert_eq!(
        notional(Payoff::Linear, d("1"), q, p0).expect("n"),
        d("20000")
    );
    // Redeem buys 90 stETH with the $18,000 and returns 100 stETH = $20,000.
    assert_eq!(short / p + q, d("100"));
}

#[test]
fn funding_clamp_vectors() {
    // docs/funding-basis-margin.md#funding-rate, I = 0.01 %: Pavg 0.03 % -> 0.01 %; 0.10 % -> 0.05
    // %; -0.02 % -> 0.01 %; -0.10 % -> -0.05 %.
    for (pavg, f) in [
        ("0.0003", "0.0001"),
        ("0.0010", "0.0005"),
        ("-0.0002", "0.0001"),
        ("-0.0010", "-0.0005"),
    ] {
        assert_eq!(
            funding_rate(d(pavg), BINANCE_INTEREST_8H, FUNDING_CLAMP).expect("rate"),
            d(f),
            "{pavg}"
        );
    }
    assert!(funding_rate(d("0"), d("0"), d("-1")).is_err());
}

#[test]
fn funding_payment_and_apr() {
    // docs/funding-basis-margin.md#funding-payment: short 10,000 ETH, mark $3,000, F +0.01 % ->
    // receive $3,000 per 8 h.
    let pay =
        funding_payment(Payoff::Linear, d("1"), d("-10000"), d("3000"), d("0.0001")).expect("pay");
    assert_eq!(pay, d("3000"));
    let long =
        funding_payment(Payoff::Linear, d("1"), d("10000"), d("3000"), d("0.0001")).expect("pay");
    assert_eq!(long, d("-3000"));
    // Inverse: the same USD exposure pays in coin.
    let inv = funding_payment(
        Payoff::Inverse,
        d("1"),
        d("-30000000"),
        d("3000"),
        d("0.0001"),
    )
    .expect("pay");
    assert_eq!(inv, d("1"));
    // APR = F x (24 / 8) x 365: 0.01 % per 8 h = 10.95 %.
    assert_eq!(funding_apr(d("0.0001"), 480).expect("apr"), d("0.1095"));
    assert_eq!(funding_apr(d("0.0001"), 60).expect("apr"), d("0.876"));
    assert!(matches!(
        funding_apr(d("0.0001"), 0),
        Err(ContractError::NotPositive(_))
    ));
}

#[test]
fn premium_and_weighted_average() {
    let p = premium_index(d("3003"), d("3004"), d("3000")).expect("premium");
    assert_eq!(p, d("0.001"));
    let p = premium_index(d("2990"), d("2994"), d("3000")).expect("premium");
    assert_eq!(p, d("-0.002"));
    assert_eq!(
        premium_index(d("2999"), d("3001"), d("3000")).expect("premium"),
        d("0")
    );
    // sum k P_k / sum k: (1 x 0.0001 + 2 x 0.0004) / 3 = 0.0003
    assert_eq!(
        weighted_premium(&[d("0.0001"), d("0.0004")]).expect("avg"),
        d("0.0003")
    );
    let flat = vec![d("0.0002"); 480];
    assert_eq!(weighted_premium(&flat).expect("avg"), d("0.0002"));
    assert!(weighted_premium(&[]).is_err());
}

#[test]
fn basis_vector() {
    // docs/funding-basis-margin.md#basis (numbers not verified): spot 103,337, future 103,401 ->
    // $64 = 0.0619 %; DTE 72 -> ~0.31 %/yr.
    let b = basis(d("103401"), d("103337")).expect("basis");
    assert_eq!(round(b * d("100"), 4), d("0.0619"));
    let apr = basis_apr(d("103401"), d("103337"), d("72")).expect("apr");
    assert_eq!(round(apr * d("100"), 2), d("0.31"));
}

#[test]
fn bybit_tier_vector() {
    // docs/funding-basis-margin.md#haircuts: 25 BTC at $60,000 -> (10 x 0.98 + 10 x 0.95 + 5 x
    // 0.90) x 60,000 = $1,428,000.
    let t = bybit_btc_tiers();
    assert_eq!(t.value(d("25"), d("60000")).expect("value"), d("1428000"));
    // Beyond 50 BTC the ratio is 0; a negative balance counts at 1.
    let fifty = t.value(d("50"), d("60000")).expect("value");
    assert_eq!(t.value(d("80"), d("60000")).expect("value"), fifty);
    assert_eq!(t.value(d("-2"), d("60000")).expect("value"), d("-120000"));
    assert_eq!(
        HaircutTiers::flat(d("1"))
            .expect("usdt")
            .value(d("5"), d("1"))
            .expect("v"),
        d("5")
    );
}

#[test]
fn binance_tier_vector() {
    // docs/funding-basis-margin.md#haircuts (doc): 6,000 BTC x 20,000 = 120M; 100 % to 100M, 97.5 %
    // for 100-120M -> 119.5M.
    let v = binance_example_tiers()
        .value(d("6000"), d("20000"))
        .expect("value");
    assert_eq!(v, d("119500000"));
    // Portfolio Margin: per-asset rate, 3 wallets x 1 BTC -> 3 x 0.95.
    let pm = HaircutTiers::flat(d("0.95")).expect("flat");
    let total: Money = (0..3).map(|_| pm.value(d("1"), d("1")).expect("v")).sum();
    assert_eq!(total, d("2.85"));
    assert_eq!(
        margin_ratio(d("5"), d("100")).expect("ratio"),
        Some(d("0.05"))
    );
    assert_eq!(margin_ratio(d("5"), d("0")).expect("ratio"), None);
}

#[test]
fn liquidation_vectors() {
    // docs/funding-basis-margin.md#liquidation-distance: P > P0 / (1 + m - s h): s 1, h 0.95, m 0.5
    // % -> 18.2 P0; s 0.90 -> 6.7 P0; s 0.95, h 0.90, m 1 % -> 6.45 P0.
    let liq = |s: &str, h: &str, m: &str| {
        lst_hedge_liq_price(d("1"), d(s), d(h), d(m))
            .expect("liq")
            .expect("finite")
    };
    assert_eq!(round(liq("1", "0.95", "0.005"), 1), d("18.2"));
    assert_eq!(round(liq("0.90", "0.95", "0.005"), 1), d("6.7"));
    assert_eq!(round(liq("0.95", "0.90", "0.01"), 2), d("6.45"));
    assert_eq!(
        lst_hedge_liq_price(d("1"), d("1"), d("1"), d("0")).expect("liq"),
        None
    );
    // The general account model gives the same line for q stETH vs a short of q ETH.
    let (q, p0) = (d("10"), d("2000"));
    let mut acct = LinearAccount::default();
    acct.add_coin(q, d("1"), d("0.95")).expect("coin");
    acct.add_position(Payoff::Linear, d("1"), -q, p0, d("0.005"))
        .expect("pos");
    let p = acct.liq_price().expect("liq").expect("finite");
    assert_eq!(
        p,
        lst_hedge_liq_price(p0, d("1"), d("0.95"), d("0.005"))
            .expect("x")
            .expect("x")
    );
    let gap = acct.equity(p).expect("e") - acct.maintenance(p).expect("m");
    assert!(gap.abs() < d("1e-20"), "{gap}");
    assert_eq!(
        round(acct.liq_distance(p0).expect("d").expect("d"), 1),
        d("17.2")
    );
}

#[test]
fn inverse_hedge_liquidation_is_linear_in_price() {
    // Coin collateral E = N / P0 against a short of N inverse contracts: equity in USD
    // stays N (docs/contracts.md#payoffs), so only maintenance can liquidate it, and it never
    // grows.
    let (n, p0) = (d("100000"), d("2000"));
    let mut acct = LinearAccount::default();
    acct.add_coin(n / p0, d("1"), d("1")).expect("coin");
    acct.add_position(Payoff::Inverse, d("1"), -n, p0, d("0.005"))
        .expect("pos");
    for p in ["100", "2000", "50000"] {
        assert_eq!(acct.equity(d(p)).expect("e"), n);
    }
    assert_eq!(acct.liq_price().expect("liq"), None);
}

#[test]
fn route_split_vector() {
    // docs/mint-redeem.md#route: 1,000,000,001 @ [3333, 3333, 3334] -> 333,300,000 / 333,300,000 /
    // 333,400,001.
    let s = split_route(1_000_000_001, &[3333, 3333, 3334]).expect("split");
    assert_eq!(s, vec![333_300_000, 333_300_000, 333_400_001]);
    // docs/risk-playbooks.md#venue-split: $100M -> 50/25/15/5/5M.
    let s = split_route(100_000_000, &[5000, 2500, 1500, 500, 500]).expect("split");
    assert_eq!(
        s,
        vec![50_000_000, 25_000_000, 15_000_000, 5_000_000, 5_000_000]
    );
    assert_eq!(
        split_route(u128::MAX, &[5000, 5000])
            .expect("big")
            .iter()
            .sum::<u128>(),
        u128::MAX
    );
    for bad in [&[][..], &[10_000, 0][..], &[5000, 4999][..], &[10_001][..]] {
        assert!(
            matches!(split_route(1, bad), Err(ContractError::Route(_))),
            "{bad:?}"
        );
    }
}
