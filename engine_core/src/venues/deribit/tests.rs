use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde::Deserialize;

use super::super::{Event, Fault, Feed, FeedOptions, Handled, Venue};
use crate::book::Side;
use crate::decimal::Fixed;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/deribit/");
const CAPTURE: &str = "capture_options_book_raw_ticker_20210722_cryptofeed.jsonl";
/// The instrument with the most book messages in the capture (31).
const BUSY: &str = "BTC-24SEP21-8000-P";

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}{name}")).expect("test data file")
}

#[derive(Deserialize)]
struct CaptureLine {
    t: String,
    #[serde(default)]
    ts: f64,
    #[serde(default)]
    data: Option<String>,
}

/// The received payloads of a cryptofeed capture, with local receive times in ns.
fn received(name: &str) -> Vec<(i64, String)> {
    read(name)
        .lines()
        .map(|l| serde_json::from_str::<CaptureLine>(l).expect("capture line"))
        .filter(|l| l.t == "recv")
        .map(|l| ((l.ts * 1e9) as i64, l.data.expect("recv has data")))
        .collect()
}

fn replay(msgs: &[(i64, String)]) -> Feed {
    let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
    for (ts, m) in msgs {
        let _ = feed.on_message(m.as_bytes(), *ts);
    }
    feed
}

/// A decimal's value as an integer at 18 decimals, parsed without the crate's code.
fn dec(text: &str) -> i128 {
    let (num, exp) = match text.split_once(['e', 'E']) {
        Some((n, e)) => (n, e.parse::<i32>().expect("exponent")),
        None => (text, 0),
    };
    let (neg, num) = num.strip_prefix('-').map_or((false, num), |n| (true, n));
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits: i128 = format!("{int}{frac}").parse().expect("digits");
    let shift = 18 - frac.len() as i32 + exp;
    let v = if shift >= 0 {
        digits * 10i128.pow(shift as u32)
    } else {
        digits / 10i128.pow((-shift) as u32)
    };
    if neg {
        -v
    } else {
        v
    }
}

fn fixed18(f: Fixed) -> i128 {
    i128::from(f.mantissa) * 10i128.pow(u32::from(18 - f.scale))
}

type Side18 = Vec<(i128, i128)>;

/// Naive model: every book message of the capture applied to plain maps.
fn naive(msgs: &[(i64, String)]) -> HashMap<String, (Side18, Side18)> {
    let mut books: HashMap<String, [BTreeMap<i128, i128>; 2]> = HashMap::new();
    for (_, m) in msgs {
        let v: serde_json::Value = serde_json::from_str(m).expect("json");
        let Some(ch) = v["params"]["channel"].as_str() else {
            continue;
        };
        if !ch.starts_with("book.") {
            continue;
        }
        // Re-read the data with number text intact.
        #[derive(Deserialize)]
        struct P<'a> {
            #[serde(borrow)]
            params: D<'a>,
        }
        #[derive(Deserialize)]
        struct D<'a> {
            #[serde(borrow)]
            data: B<'a>,
        }
        #[derive(Deserialize)]
        struct B<'a> {
            #[serde(rename = "type")]
            kind: String,
            instrument_name: String,
            #[serde(borrow)]
            bids: Vec<(
                String,
                &'a serde_json::value::RawValue,
                &'a serde_json::value::RawValue,
            )>,
            #[serde(borrow)]
            asks: Vec<(
                String,
                &'a serde_json::value::RawValue,
                &'a serde_json::value::RawValue,
            )>,
        }
        let p: P<'_> = serde_json::from_str(m).expect("book message");
        let b = p.params.data;
        let book = books.entry(b.instrument_name).or_default();
        if b.kind == "snapshot" {
            *book = Default::default();
        }
        for (i, levels) in [b.bids, b.asks].into_iter().enumerate() {
            for (action, px, amt) in levels {
                let (px, amt) = (dec(px.get()), dec(amt.get()));
                if action == "delete" || amt == 0 {
                    book[i].remove(&px);
                } else {
                    book[i].insert(px, amt);
                }
            }
        }
    }
    books
        .into_iter()
        .map(|(k, [bids, asks])| {
            (
                k,
                (bids.into_iter().rev().collect(), asks.into_iter().collect()),
            )
        })
        .collect()
}

fn ours(feed: &Feed, name: &str) -> (Side18, Side18) {
    let ib = feed.book(name).expect("book exists");
    let side = |s: Side| {
        ib.book
            .levels(s)
            .map(|l| {
                (
                    fixed18(ib.book.px_fixed(l.px)),
                    fixed18(ib.book.sz_fixed(l.sz)),
                )
            })
            .collect::<Vec<_>>()
    };
    (side(Side::Bid), side(Side::Ask))
}

/// Indices of the book messages of `name`.
fn book_msgs(msgs: &[(i64, String)], name: &str) -> Vec<usize> {
    let channel = format!("\"channel\":\"book.{name}.raw\"");
    (0..msgs.len())
        .filter(|&i| msgs[i].1.contains(&channel))
        .collect()
}

#[test]
fn capture_replays_clean_and_matches_naive_model() {
    let msgs = received(CAPTURE);
    let feed = replay(&msgs);
    let st = *feed.stats();
    assert_eq!(st.rejected, 0, "{:?}", feed.last_error());
    assert_eq!((st.gaps, st.resyncs, st.skipped), (0, 0, 0));
    assert_eq!(st.book_updates, 46);
    assert_eq!(st.messages, st.applied + st.ignored);
    let model = naive(&msgs);
    assert_eq!(model.len(), 10);
    for (name, want) in &model {
        assert!(feed.book(name).is_some_and(|b| b.synced), "{name}");
        assert_eq!(&ours(&feed, name), want, "{name}");
    }
    assert_eq!(feed.books().count(), 10);
    let best = feed.book(BUSY).and_then(|b| b.book.best(Side::Bid));
    assert!(best.is_some());
}

#[test]
fn every_capture_message_gives_events() {
    let msgs = received(CAPTURE);
    let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
    let (mut marks, mut bbos) = (0, 0);
    for (ts, m) in &msgs {
        feed.on_message(m.as_bytes(), *ts).expect("accepted");
        for ev in feed.drain_events() {
            match ev {
                Event::Mark(m) => {
                    assert!(m.mark_px.is_some() && m.funding_rate.is_none());
                    marks += 1;
                }
                Event::Bbo(b) => {
                    assert!(b.bid_px.mantissa > 0 && fixed18(b.bid_px) < fixed18(b.ask_px));
                    bbos += 1;
                }
                Event::Book(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(marks, 89);
    assert!(bbos > 0 && bbos <= 89);
}

fn assert_faulted(feed: &Feed, name: &str) {
    let ib = feed.book(name).expect("book");
    assert!(!ib.synced && ib.book.is_empty() && !ib.valid());
    assert!(feed.stats().resyncs >= 1);
}

fn others_intact(feed: &Feed, msgs: &[(i64, String)]) {
    for (name, want) in naive(msgs) {
        if name != BUSY {
            assert_eq!(ours(feed, &name), want, "{name}");
        }
    }
}

#[test]
fn dropped_change_is_a_gap() {
    let mut msgs = received(CAPTURE);
    let idx = book_msgs(&msgs, BUSY);
    msgs.remove(idx[5]);
    let feed = replay(&msgs);
    assert_eq!(feed.stats().gaps, 1);
    assert_eq!(feed.stats().rejected, 0);
    assert!(
        feed.stats().skipped > 0,
        "changes after the gap wait for a snapshot"
    );
    assert_faulted(&feed, BUSY);
    others_intact(&feed, &msgs);
}

#[test]
fn duplicated_change_is_a_gap() {
    let mut msgs = received(CAPTURE);
    let idx = book_msgs(&msgs, BUSY);
    let dup = msgs[idx[7]].clone();
    msgs.insert(idx[7] + 1, dup);
    let feed = replay(&msgs);
    assert_eq!(feed.stats().gaps, 1);
    assert_faulted(&feed, BUSY);
    others_intact(&feed, &msgs);
}

#[test]
fn swapped_changes_are_a_gap() {
    let mut msgs = received(CAPTURE);
    let idx = book_msgs(&msgs, BUSY);
    msgs.swap(idx[10], idx[11]);
    let feed = replay(&msgs);
    assert!(feed.stats().gaps >= 1);
    assert_faulted(&feed, BUSY);
}

#[test]
fn dropped_snapshot_leaves_the_book_waiting() {
    let mut msgs = received(CAPTURE);
    let idx = book_msgs(&msgs, BUSY);
    assert!(msgs[idx[0]].1.contains("\"type\":\"snapshot\""));
    msgs.remove(idx[0]);
    let feed = replay(&msgs);
    assert_eq!(feed.stats().skipped, 30);
    assert!(!feed.book(BUSY).is_some_and(|b| b.synced));
    assert_eq!(feed.stats().gaps, 0);
}

#[test]
fn duplicated_snapshot_is_harmless() {
    let mut msgs = received(CAPTURE);
    let idx = book_msgs(&msgs, BUSY);
    let dup = msgs[idx[0]].clone();
    msgs.insert(idx[0] + 1, dup);
    let feed = replay(&msgs);
    assert_eq!((feed.stats().gaps, feed.stats().resyncs), (0, 0));
    assert_eq!(ours(&feed, BUSY), naive(&msgs)[BUSY]);
}

#[test]
fn garbage_lines_are_rejected_and_books_stay_right() {
    let clean = received(CAPTURE);
    let mut msgs = clean.clone();
    let garbage = [
        "",
        "not json",
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\"",
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"book.X.raw\",\"data\":{}}}",
        "[1,2,3]",
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"nope.X\",\"data\":{}}}",
        "\u{0}\u{1}\u{2}",
    ];
    for (k, g) in garbage.iter().enumerate() {
        msgs.insert(3 + k * 17, (0, (*g).to_owned()));
    }
    let feed = replay(&msgs);
    assert_eq!(feed.stats().rejected, garbage.len() as u64);
    assert_eq!((feed.stats().gaps, feed.stats().resyncs), (0, 0));
    for (name, want) in naive(&clean) {
        assert_eq!(ours(&feed, &name), want, "{name}");
    }
}

fn book_msg(kind: &str, id: i64, prev: Option<i64>, bids: &str, asks: &str) -> String {
    let prev = prev.map_or(String::new(), |p| format!("\"prev_change_id\":{p},"));
    format!(
        r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"book.BTC-PERPETUAL.raw","data":{{"type":"{kind}","timestamp":1626993724318,{prev}"instrument_name":"BTC-PERPETUAL","change_id":{id},"bids":[{bids}],"asks":[{asks}]}}}}}}"#
    )
}

fn synced_feed() -> Feed {
    let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
    let snap = book_msg(
        "snapshot",
        10,
        None,
        r#"["new",100.5,20.0],["new",100.0,5]"#,
        r#"["new",101.0,7.5]"#,
    );
    assert_eq!(
        feed.on_message(snap.as_bytes(), 1).ok(),
        Some(Handled::Applied)
    );
    feed
}

fn px_sz(feed: &Feed, side: Side) -> Vec<(String, String)> {
    let ib = feed.book("BTC-PERPETUAL").expect("book");
    ib.book
        .levels(side)
        .map(|l| (ib.book.px_text(l), ib.book.sz_text(l)))
        .collect()
}

#[test]
fn change_delete_and_new_follow_the_chain() {
    let mut feed = synced_feed();
    let m = book_msg(
        "change",
        15,
        Some(10),
        r#"["change",100.5,3.0],["delete",100.0,0.0],["new",99.5,1]"#,
        r#"["new",101.0,8.0]"#,
    );
    assert_eq!(
        feed.on_message(m.as_bytes(), 2).ok(),
        Some(Handled::Applied)
    );
    let ib = feed.book("BTC-PERPETUAL").expect("book");
    assert!(ib.synced && ib.seq == 15);
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(px_sz(&feed, Side::Bid), [s("100.5", "3.0"), s("99.5", "1")]);
    // "new" at a held price is a set.
    assert_eq!(px_sz(&feed, Side::Ask), [s("101.0", "8.0")]);
}

#[test]
fn change_or_delete_of_an_unknown_price_faults() {
    for level in [r#"["change",99.0,3.0]"#, r#"["delete",99.0,0.0]"#] {
        let mut feed = synced_feed();
        let m = book_msg("change", 11, Some(10), level, "");
        assert_eq!(
            feed.on_message(m.as_bytes(), 2).ok(),
            Some(Handled::Applied)
        );
        let faults: Vec<Fault> = feed
            .drain_events()
            .filter_map(|e| match e {
                Event::Fault(f) => Some(f.fault),
                _ => None,
            })
            .collect();
        assert!(
            matches!(faults.as_slice(), [Fault::UnknownLevel(_)]),
            "{faults:?}"
        );
        assert_eq!((feed.stats().resyncs, feed.stats().gaps), (1, 0));
        assert!(!feed.book("BTC-PERPETUAL").expect("book").synced);
        // Later changes wait for the next snapshot.
        let next = book_msg("change", 12, Some(11), r#"["new",98.0,1.0]"#, "");
        assert_eq!(
            feed.on_message(next.as_bytes(), 3).ok(),
            Some(Handled::Ignored)
        );
        assert_eq!(feed.stats().skipped, 1);
    }
}

#[test]
fn gap_reports_expected_and_got() {
    let mut feed = synced_feed();
    let m = book_msg("change", 30, Some(20), r#"["new",99.0,1.0]"#, "");
    feed.on_message(m.as_bytes(), 2).expect("handled");
    let fault = feed.drain_events().find_map(|e| match e {
        Event::Fault(f) => Some(f.fault),
        _ => None,
    });
    assert_eq!(
        fault,
        Some(Fault::Gap {
            expected: 10,
            got: 20
        })
    );
    // A new snapshot (resubscription) restores the book.
    let snap = book_msg(
        "snapshot",
        40,
        None,
        r#"["new",100.0,1.0]"#,
        r#"["new",100.5,1.0]"#,
    );
    feed.on_message(snap.as_bytes(), 3).expect("snapshot");
    assert!(feed.book("BTC-PERPETUAL").is_some_and(|b| b.valid()));
}

#[test]
fn malformed_change_for_a_synced_book_invalidates_it() {
    let mut feed = synced_feed();
    for bad in [
        r#"["change",-1.0,3.0]"#,
        r#"["move",100.5,3.0]"#,
        r#"["change",100.5]"#,
    ] {
        let m = book_msg("change", 11, Some(10), bad, "");
        assert!(feed.on_message(m.as_bytes(), 2).is_err());
        assert!(!feed.book("BTC-PERPETUAL").expect("book").synced);
        let snap = book_msg("snapshot", 10, None, r#"["new",100.5,1.0]"#, "");
        feed.on_message(snap.as_bytes(), 3).expect("snapshot");
    }
    assert_eq!(feed.stats().rejected, 3);
}

#[test]
fn grouped_book_is_a_snapshot_each_push() {
    let raw = read("ws_book_grouped_snapshot_nautilus.json");
    let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
    assert_eq!(
        feed.on_message(raw.as_bytes(), 5).ok(),
        Some(Handled::Applied)
    );
    let ib = feed.book("BTC-PERPETUAL").expect("book");
    assert!(ib.valid());
    assert_eq!(ib.seq, 136_725_664_747);
    assert_eq!((ib.book.len(Side::Bid), ib.book.len(Side::Ask)), (10, 10));
    let best = ib.book.best(Side::Bid).expect("bid");
    assert_eq!(
        (ib.book.px_text(best), ib.book.sz_text(best)),
        ("89532.5".into(), "254900.0".into())
    );
    assert_eq!(ib.ts_event, 1_769_246_173_071_000_000);
    // Pushing it again replaces, not adds.
    feed.on_message(raw.as_bytes(), 6).expect("again");
    assert_eq!(
        feed.book("BTC-PERPETUAL").map(|b| b.book.len(Side::Ask)),
        Some(10)
    );
    assert_eq!(feed.stats().book_updates, 2);
}

#[test]
fn grouped_push_does_not_override_an_incremental_book() {
    let mut feed = synced_feed();
    let raw = read("ws_book_grouped_snapshot_nautilus.json");
    assert_eq!(
        feed.on_message(raw.as_bytes(), 5).ok(),
        Some(Handled::Ignored)
    );
    assert_eq!(feed.book("BTC-PERPETUAL").map(|b| b.seq), Some(10));
}

#[test]
fn ticker_gives_mark_funding_and_bbo() {
    let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
    let raw = read("ws_ticker_nautilus.json");
    assert_eq!(
        feed.on_message(raw.as_bytes(), 7).ok(),
        Some(Handled::Applied)
    );
    let evs: Vec<Event> = feed.drain_events().collect();
    let f = |s: &str| Fixed::parse(s).expect("fixed");
    match evs.as_slice() {
        [Event::Mark(m), Event::Bbo(b)] => {
            assert_eq!(&*m.symbol, "BTC-PERPETUAL");
            assert_eq!(m.ts_event, 1_765_541_474_086_000_000);
            assert_eq!(m.ts_recv, 7);
            assert_eq!(m.mark_px, Some(f("92281.78")));
            assert_eq!(m.index_px, Some(f("92263.55")));
            assert_eq!(m.funding_rate, Some(f("0.00001742")));
            assert_eq!(m.next_funding_ns, None);
            assert_eq!((b.bid_px, b.bid_sz), (f("92283.5"), f("117660.0")));
            assert_eq!((b.ask_px, b.ask_sz), (f("92284.0"), f("186520.0")));
        }
        other => panic!("{other:?}"),
    }
    // A ticker is no book: none is created.
    assert!(feed.book("BTC-PERPETUAL").is_none());
}

#[test]
fn quote_gives_bbo() {
    let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
    let raw = read("ws_quote_nautilus.json");
    assert_eq!(
        feed.on_message(raw.as_bytes(), 7).ok(),
        Some(Handled::Applied)
    );
    let evs: Vec<Event> = feed.drain_events().collect();
    match evs.as_slice() {
        [Event::Bbo(b)] => {
            assert_eq!(b.ts_event, 1_765_541_767_174_000_000);
            assert_eq!(b.bid_px.to_string(), "92288.0");
            assert_eq!(b.ask_px.to_string(), "92288.5");
            assert_eq!(b.bid_sz.to_string(), "133440.0");
            assert_eq!(b.ask_sz.to_string(), "99470.0");
        }
        other => panic!("{other:?}"),
    }
    let one_sided = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"quote.X","data":{"timestamp":1,"instrument_name":"X","best_ask_price":0.0,"best_bid_price":0.5,"best_ask_amount":0.0,"best_bid_amount":3.0}}}"#;
    assert_eq!(
        feed.on_message(one_sided.as_bytes(), 8).ok(),
        Some(Handled::Ignored)
    );
}

#[test]
fn trades_keep_id_direction_and_exact_numbers() {
    let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
    let raw = read("ws_trades_nautilus.json");
    assert_eq!(
        feed.on_message(raw.as_bytes(), 9).ok(),
        Some(Handled::Applied)
    );
    let trades: Vec<_> = feed
        .drain_events()
        .map(|e| match e {
            Event::Trade(t) => t,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(trades.len(), 2);
    assert_eq!(trades[0].trade_id, "403691824");
    assert_eq!(trades[0].aggressor, Some(Side::Ask));
    assert_eq!(trades[0].price.to_string(), "92294.5");
    assert_eq!(trades[0].size.to_string(), "10.0");
    assert_eq!(trades[0].ts_event, 1_765_531_356_452_000_000);
    assert_eq!(trades[1].trade_id, "403691825");
    assert_eq!(trades[1].size.to_string(), "750.0");
    let bad = raw.replace("\"sell\"", "\"short\"");
    assert!(feed.on_message(bad.as_bytes(), 10).is_err());
    assert_eq!(
        feed.pending_events(),
        0,
        "nothing emitted from a rejected batch"
    );
}

#[test]
fn responses_and_heartbeats_are_ignored() {
    let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
    for m in [
        r#"{"jsonrpc":"2.0","id":0,"result":["book.BTC-PERPETUAL.raw"]}"#,
        r#"{"jsonrpc":"2.0","id":3,"result":null,"usIn":1,"usOut":2,"usDiff":1,"testnet":false}"#,
        r#"{"jsonrpc":"2.0","id":4,"error":{"code":11050,"message":"bad_request"}}"#,
        r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#,
        r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}"#,
        r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"user.portfolio.any","data":{}}}"#,
    ] {
        assert_eq!(
            feed.on_message(m.as_bytes(), 1).ok(),
            Some(Handled::Ignored),
            "{m}"
        );
    }
    for m in [
        r#"{"jsonrpc":"2.0","method":"whatever","params":{}}"#,
        r#"{"jsonrpc":"2.0"}"#,
        r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.X.raw","data":{"type":"partial","instrument_name":"X","timestamp":1,"change_id":1,"bids":[],"asks":[]}}}"#,
    ] {
        assert!(feed.on_message(m.as_bytes(), 1).is_err(), "{m}");
    }
    assert_eq!(feed.stats().ignored, 6);
    assert_eq!(feed.stats().rejected, 3);
}

#[test]
fn reconnect_forgets_books() {
    let mut feed = synced_feed();
    feed.on_reconnect();
    assert!(!feed.book("BTC-PERPETUAL").expect("book").synced);
    let m = book_msg("change", 11, Some(10), r#"["new",99.0,1.0]"#, "");
    assert_eq!(
        feed.on_message(m.as_bytes(), 2).ok(),
        Some(Handled::Ignored)
    );
}

fn all_real_messages() -> &'static [String] {
    static ALL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ALL.get_or_init(load_real_messages)
}

fn load_real_messages() -> Vec<String> {
    let mut v: Vec<String> = received(CAPTURE).into_iter().map(|(_, m)| m).collect();
    for f in [
        "ws_book_grouped_snapshot_nautilus.json",
        "ws_ticker_nautilus.json",
        "ws_trades_nautilus.json",
        "ws_quote_nautilus.json",
    ] {
        v.push(read(f));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut feed = synced_feed();
        let _ = feed.on_message(&bytes, 0);
    }

    #[test]
    fn truncated_or_flipped_real_messages_never_panic(
        pick in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        flip in any::<u8>(),
    ) {
        let msgs = all_real_messages();
        let m = msgs[pick.index(msgs.len())].as_bytes();
        let at = cut.index(m.len().max(1));
        let mut feed = synced_feed();
        crate::venues::tests::feed_truncated_and_flipped(&mut feed, m, at, flip);
    }

    /// Random change chains against a naive map: same book, and every bad reference faults.
    #[test]
    fn random_changes_match_a_naive_model(
        ops in proptest::collection::vec((0u8..3, any::<bool>(), 1u32..40, 0u32..5), 1..80)
    ) {
        let mut feed = Feed::new(Venue::Deribit, &FeedOptions::default()).expect("feed");
        let snap = book_msg("snapshot", 1, None, "", "");
        feed.on_message(snap.as_bytes(), 0).expect("snapshot");
        let mut model: [BTreeMap<u32, u32>; 2] = Default::default();
        let mut id = 1;
        for (op, bid, px, sz) in ops {
            let side = usize::from(!bid);
            let action = ["new", "change", "delete"][usize::from(op)];
            let level = format!(r#"["{action}",{px}.5,{sz}.0]"#);
            let (b, a) = if bid { (level.as_str(), "") } else { ("", level.as_str()) };
            let m = book_msg("change", id + 7, Some(id), b, a);
            id += 7;
            feed.on_message(m.as_bytes(), 0).expect("well-formed");
            let held = model[side].contains_key(&px);
            if action != "new" && !held {
                prop_assert!(!feed.book("BTC-PERPETUAL").expect("book").synced);
                return Ok(());
            }
            if action == "delete" || sz == 0 {
                model[side].remove(&px);
            } else {
                model[side].insert(px, sz);
            }
        }
        let ib = feed.book("BTC-PERPETUAL").expect("book");
        prop_assert!(ib.synced);
        let got = |s: Side| -> Vec<(String, String)> {
            ib.book.levels(s).map(|l| (ib.book.px_text(l), ib.book.sz_text(l))).collect()
        };
        let want = |m: &BTreeMap<u32, u32>, rev: bool| -> Vec<(String, String)> {
            let v: Vec<_> = m.iter().map(|(p, s)| (format!("{p}.5"), format!("{s}.0"))).collect();
            if rev { v.into_iter().rev().collect() } else { v }
        };
        prop_assert_eq!(got(Side::Bid), want(&model[0], true));
        prop_assert_eq!(got(Side::Ask), want(&model[1], false));
    }
}
