//! Loaders against the real instrument responses in `tests/data/instruments`.

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::{load_instruments, Loaded, SpecError};
use crate::contracts::{money, InstrumentSpec, Kind, Payoff};
use crate::venue::Venue;

macro_rules! data {
    ($p:literal) => {
        include_str!(concat!("../../../../tests/data/instruments/", $p))
    };
}

fn d(s: &str) -> rust_decimal::Decimal {
    money(s).expect(s)
}

fn load(v: Venue, json: &str) -> Loaded {
    load_instruments(v, json).expect("loads")
}

fn find<'a>(l: &'a Loaded, sym: &str) -> &'a InstrumentSpec {
    l.specs.iter().find(|s| s.symbol == sym).expect(sym)
}

/// The fixture files that wrap several responses as `{url: body}`.
fn by_url(json: &str) -> Vec<(String, String)> {
    let m: BTreeMap<String, Box<RawValue>> = serde_json::from_str(json).expect("json");
    m.into_iter()
        .map(|(k, v)| (k, v.get().to_owned()))
        .collect()
}

#[test]
fn binance_usdm_exchange_info() {
    let l = load(
        Venue::BinanceUsdm,
        data!("binance_usdm/rest_exchangeInfo_fapi_20210722_trimmed.json"),
    );
    assert_eq!(l.specs.len(), 5);
    let btc = find(&l, "BTCUSDT");
    assert_eq!((btc.kind, btc.payoff), (Kind::Perpetual, Payoff::Linear));
    assert_eq!(
        (btc.tick, btc.lot, btc.min_qty),
        (d("0.01"), d("0.001"), d("0.001"))
    );
    assert_eq!(
        (btc.max_qty, btc.min_notional),
        (Some(d("1000")), Some(d("5")))
    );
    assert_eq!((btc.settle.as_str(), btc.multiplier), ("USDT", d("1")));
    assert_eq!(btc.maint_margin_rate, Some(d("0.025")));
    assert!(btc.active);
    let fut = find(&l, "BTCUSDT_210924");
    assert_eq!(
        fut.kind,
        Kind::Future {
            expiry_ms: 1_632_470_400_000
        }
    );
    let l = load(
        Venue::BinanceUsdm,
        data!("binance_usdm/rest_exchangeInfo_fapi_3_symbols_nautilus.json"),
    );
    assert_eq!(find(&l, "BTCUSDT_220325").tick, d("0.1"));
}

#[test]
fn binance_coinm_contract_sizes() {
    // SPEC §2: BTCUSD_PERP cv 100 USD, every other COIN-M contract 10 USD.
    let l = load(
        Venue::BinanceCoinm,
        data!("binance_coinm/rest_exchangeInfo_dapi_20210721_full.json"),
    );
    assert_eq!(l.specs.len(), 36);
    for s in &l.specs {
        assert_eq!(s.payoff, Payoff::Inverse);
        let cv = if s.symbol.starts_with("BTCUSD_") {
            d("100")
        } else {
            d("10")
        };
        assert_eq!(s.multiplier, cv, "{}", s.symbol);
    }
    let p = find(&l, "BTCUSD_PERP");
    assert_eq!(
        (p.settle.as_str(), p.lot, p.tick),
        ("BTC", d("1"), d("0.1"))
    );
    assert_eq!(
        find(&l, "ETHUSD_210924").kind.expiry_ms(),
        Some(1_632_470_400_000)
    );
}

#[test]
fn bybit_linear_spot_and_options() {
    let l = load(
        Venue::Bybit,
        data!("bybit/rest_instruments_info_linear_20260809_trimmed.json"),
    );
    assert_eq!(l.specs.len(), 4);
    let btc = find(&l, "BTCUSDT");
    assert_eq!(
        (btc.tick, btc.lot, btc.funding_interval_min),
        (d("0.10"), d("0.001"), Some(480))
    );
    assert_eq!(
        (btc.max_qty, btc.min_notional),
        (Some(d("1500.000")), Some(d("5")))
    );
    assert_eq!(find(&l, "BTCPERP").settle, "USDC");
    let fut = find(&l, "BTCUSDT-25SEP26");
    assert_eq!(
        (fut.kind, fut.funding_interval_min),
        (
            Kind::Future {
                expiry_ms: 1_790_323_200_000
            },
            None
        )
    );
    let spot = load(
        Venue::Bybit,
        data!("bybit/rest_instruments_info_spot_20260809_trimmed.json"),
    );
    assert_eq!(find(&spot, "BTCUSDC").kind, Kind::Spot);
    assert_eq!(find(&spot, "BTCUSDT").lot, d("0.000001"));
    let opt = load(
        Venue::Bybit,
        data!("bybit/rest_instruments_info_option_docs.json"),
    );
    assert!(opt.specs.is_empty());
    assert_eq!(opt.skipped.len(), 1);
}

#[test]
fn okx_swaps_futures_spot() {
    let mut all = Loaded::default();
    for (_, body) in by_url(data!("okx/rest_public_instruments_20220513_trimmed.json")) {
        let l = load(Venue::Okx, &body);
        all.specs.extend(l.specs);
        all.skipped.extend(l.skipped);
    }
    // SPEC §2: BTC-USD-SWAP ctVal 100 USD (inverse), BTC-USDT-SWAP 0.01 BTC (linear).
    let inv = find(&all, "BTC-USD-SWAP");
    assert_eq!(
        (inv.payoff, inv.multiplier, inv.settle.as_str()),
        (Payoff::Inverse, d("100"), "BTC")
    );
    let lin = find(&all, "BTC-USDT-SWAP");
    assert_eq!(
        (lin.payoff, lin.multiplier, lin.base.as_str()),
        (Payoff::Linear, d("0.01"), "BTC")
    );
    assert_eq!(
        find(&all, "BTC-USD-220527").kind.expiry_ms(),
        Some(1_653_638_400_000)
    );
    assert_eq!(find(&all, "BTC-USDT").kind, Kind::Spot);
    assert_eq!(
        all.skipped,
        vec![(
            "BTC-USD-220527-30000-C".to_owned(),
            "instType OPTION".to_owned()
        )]
    );
    let swap = load(
        Venue::Okx,
        data!("okx/http_get_instruments_swap_nautilus.json"),
    );
    assert_eq!(find(&swap, "ETH-USDT-SWAP").lot, d("0.01"));
    let ws = load(Venue::Okx, data!("okx/ws_instruments_nautilus.json"));
    assert_eq!(find(&ws, "BTC-USDT-SWAP").multiplier, d("0.01"));
    let fut = load(
        Venue::Okx,
        data!("okx/http_get_instruments_futures_nautilus.json"),
    );
    assert!(fut.specs.iter().all(|s| s.kind.expiry_ms().is_some()));
}

#[test]
fn deribit_reversed_perpetuals() {
    let mut specs = Vec::new();
    for (_, body) in by_url(data!("deribit/rest_get_instruments_20210722_trimmed.json")) {
        specs.extend(load(Venue::Deribit, &body).specs);
    }
    assert_eq!(specs.len(), 3); // options skipped
    let l = Loaded {
        specs,
        skipped: vec![],
    };
    // SPEC §2: BTC-PERPETUAL 10 USD, ETH-PERPETUAL 1 USD; amounts are USD.
    let btc = find(&l, "BTC-PERPETUAL");
    assert_eq!((btc.kind, btc.payoff), (Kind::Perpetual, Payoff::Inverse));
    assert_eq!(
        (btc.contract_size, btc.lot, btc.multiplier, btc.tick),
        (d("10.0"), d("10"), d("1"), d("0.5"))
    );
    assert_eq!(find(&l, "ETH-PERPETUAL").contract_size, d("1"));
    assert_eq!(
        find(&l, "BTC-24SEP21").kind.expiry_ms(),
        Some(1_632_470_400_000)
    );
    let one = load(
        Venue::Deribit,
        data!("deribit/http_get_instrument_nautilus.json"),
    );
    assert_eq!(one.specs[0].payoff, Payoff::Inverse);
    let many = load(
        Venue::Deribit,
        data!("deribit/http_get_instruments_nautilus.json"),
    );
    assert!(!many.specs.is_empty());
}

#[test]
fn bitmex_inverse_and_quanto() {
    // SPEC §2: XBTUSD inverse, multiplier -100000000, settles XBt.
    let one = load(
        Venue::Bitmex,
        data!("bitmex/http_get_instrument_xbtusd_nautilus.json"),
    );
    let x = &one.specs[0];
    assert_eq!(
        (x.payoff, x.multiplier, x.settle.as_str()),
        (Payoff::Inverse, d("1"), "XBT")
    );
    assert_eq!(
        (x.lot, x.tick, x.funding_interval_min),
        (d("100"), d("0.1"), Some(480))
    );
    let l = load(
        Venue::Bitmex,
        data!("bitmex/rest_instrument_active_20210722_trimmed.json"),
    );
    assert_eq!(l.specs.len(), 2);
    assert_eq!(find(&l, "XBTU21").kind.expiry_ms(), Some(1_632_484_800_000));
    assert_eq!(l.skipped, vec![("ETHUSD".to_owned(), "quanto".to_owned())]);
}

#[test]
fn errors_name_the_field() {
    let bad = r#"{"symbols":[{"symbol":"BTCUSDT","contractType":"PERPETUAL","status":"TRADING",
        "baseAsset":"BTC","quoteAsset":"USDT","marginAsset":"USDT",
        "filters":[{"filterType":"PRICE_FILTER","tickSize":"abc"},{"filterType":"LOT_SIZE","stepSize":"0.001","minQty":"0.001"}]}]}"#;
    let e = load_instruments(Venue::BinanceUsdm, bad).expect_err("bad tick");
    assert!(
        matches!(&e, SpecError::Field { field: "PRICE_FILTER.tickSize", symbol, .. } if symbol == "BTCUSDT"),
        "{e}"
    );
    assert!(e.to_string().contains("PRICE_FILTER.tickSize"));
    let zero_lot = bad
        .replace("\"abc\"", "\"0.1\"")
        .replace("\"stepSize\":\"0.001\"", "\"stepSize\":\"0\"");
    let e = load_instruments(Venue::BinanceUsdm, &zero_lot).expect_err("zero lot");
    assert!(matches!(e, SpecError::Field { field: "lot", .. }), "{e}");
    let e = load_instruments(
        Venue::Okx,
        r#"{"data":[{"instId":"X-USD-SWAP","instType":"SWAP"}]}"#,
    )
    .expect_err("missing");
    assert!(e.to_string().contains("tickSz"), "{e}");
    for v in Venue::ALL {
        assert!(matches!(
            load_instruments(v, "{not json"),
            Err(SpecError::Malformed { .. })
        ));
    }
}
