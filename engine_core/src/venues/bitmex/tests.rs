use std::collections::{BTreeMap, HashMap, HashSet};

use proptest::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::super::{Event, Fault, Feed, FeedOptions, Handled, Venue};
use crate::book::{Cross, Side};
use crate::decimal::Fixed;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/bitmex/");
const CAPTURE: &str = "l2_capture_orderBookL2_xbtusd_20210722_cryptofeed.jsonl";
const SYM: &str = "XBTUSD";

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

fn new_feed() -> Feed {
    Feed::new(Venue::Bitmex, &FeedOptions::default()).expect("feed")
}

fn replay(msgs: &[(i64, String)]) -> Feed {
    let mut feed = new_feed();
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
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits: i128 = format!("{int}{frac}").parse().expect("digits");
    let shift = 18 - frac.len() as i32 + exp;
    if shift >= 0 {
        digits * 10i128.pow(shift as u32)
    } else {
        digits / 10i128.pow((-shift) as u32)
    }
}

fn fixed18(f: Fixed) -> i128 {
    i128::from(f.mantissa) * 10i128.pow(u32::from(18 - f.scale))
}

type Side18 = Vec<(i128, i128)>;

#[derive(Deserialize)]
struct ModelMsg<'a> {
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default, borrow)]
    data: Vec<ModelRow<'a>>,
}

#[derive(Deserialize)]
struct ModelRow<'a> {
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    id: i64,
    #[serde(default)]
    side: String,
    #[serde(default, borrow)]
    size: Option<&'a RawValue>,
    #[serde(default, borrow)]
    price: Option<&'a RawValue>,
}

/// Naive model: id -> (side, price) and price -> size maps per symbol, from the capture.
fn naive(msgs: &[(i64, String)]) -> HashMap<String, (Side18, Side18)> {
    #[derive(Default)]
    struct M {
        ids: HashMap<(i64, String), i128>,
        sides: [BTreeMap<i128, i128>; 2],
    }
    let mut books: HashMap<String, M> = HashMap::new();
    for (_, m) in msgs {
        let Ok(msg) = serde_json::from_str::<ModelMsg<'_>>(m) else {
            continue;
        };
        if msg.table.as_deref() != Some("orderBookL2") {
            continue;
        }
        let action = msg.action.unwrap_or_default();
        if action == "partial" {
            for r in &msg.data {
                books.insert(r.symbol.clone(), M::default());
            }
        }
        for r in msg.data {
            let Some(b) = books.get_mut(&r.symbol) else {
                continue;
            };
            let s = usize::from(r.side == "Sell");
            let key = (r.id, r.side.clone());
            match action.as_str() {
                "partial" | "insert" => {
                    let px = dec(r.price.expect("price").get());
                    b.ids.insert(key, px);
                    b.sides[s].insert(px, dec(r.size.expect("size").get()));
                }
                "update" => {
                    let px = b.ids[&key];
                    b.sides[s].insert(px, dec(r.size.expect("size").get()));
                }
                "delete" => {
                    let px = b.ids.remove(&key).expect("known id");
                    b.sides[s].remove(&px);
                }
                other => panic!("{other}"),
            }
        }
    }
    books
        .into_iter()
        .map(|(k, m)| {
            let [bids, asks] = m.sides;
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

/// (index, action, ids) of every orderBookL2 message.
fn book_msgs(msgs: &[(i64, String)]) -> Vec<(usize, String, HashSet<i64>)> {
    let mut out = Vec::new();
    for (i, (_, m)) in msgs.iter().enumerate() {
        let Ok(msg) = serde_json::from_str::<ModelMsg<'_>>(m) else {
            continue;
        };
        if msg.table.as_deref() == Some("orderBookL2") {
            let ids = msg.data.iter().map(|r| r.id).collect();
            out.push((i, msg.action.unwrap_or_default(), ids));
        }
    }
    out
}

fn faults(feed: &mut Feed) -> Vec<Fault> {
    feed.drain_events()
        .filter_map(|e| match e {
            Event::Fault(f) => Some(f.fault),
            _ => None,
        })
        .collect()
}

#[test]
fn capture_has_one_symbol_and_replays_clean() {
    let msgs = received(CAPTURE);
    let mut feed = new_feed();
    let (mut trades, mut bbos) = (0, 0);
    for (ts, m) in &msgs {
        feed.on_message(m.as_bytes(), *ts).expect("accepted");
        for ev in feed.drain_events() {
            match ev {
                Event::Trade(t) => {
                    assert_eq!(&*t.symbol, SYM);
                    assert!(!t.trade_id.is_empty() && t.aggressor.is_some());
                    trades += 1;
                }
                Event::Bbo(b) => {
                    assert!(fixed18(b.bid_px) < fixed18(b.ask_px));
                    bbos += 1;
                }
                Event::Book(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let st = *feed.stats();
    assert_eq!(st.rejected, 0);
    assert_eq!((st.gaps, st.resyncs, st.crossed, st.skipped), (0, 0, 0, 0));
    assert_eq!(st.book_updates, 1 + 201 + 907 + 191);
    assert_eq!(st.ignored, 31 + 1, "welcome, 30 acks and the trade partial");
    assert_eq!(trades, 15);
    assert_eq!(bbos, 286);
    let model = naive(&msgs);
    assert_eq!(model.keys().collect::<Vec<_>>(), [SYM]);
    let ib = feed.book(SYM).expect("book");
    assert!(ib.synced && ib.valid() && ib.cross == Cross::Normal);
    assert_eq!(ours(&feed, SYM), model[SYM]);
    assert_eq!(feed.books().count(), 1);
    let best = ib.book.best(Side::Bid).expect("bid");
    assert_eq!(ib.book.px_text(best), "32186.5");
}

fn assert_faulted(feed: &Feed) {
    let ib = feed.book(SYM).expect("book");
    assert!(!ib.synced && ib.book.is_empty() && !ib.valid());
    assert!(feed.stats().resyncs >= 1);
    assert!(
        feed.stats().skipped > 0,
        "later deltas wait for a new partial"
    );
}

#[test]
fn dropped_insert_is_an_unknown_level() {
    let mut msgs = received(CAPTURE);
    let book = book_msgs(&msgs);
    let (i, _, ids) = book
        .iter()
        .find(|(i, a, ids)| {
            a == "insert"
                && book.iter().any(|(j, b, jds)| {
                    j > i && (b == "update" || b == "delete") && !ids.is_disjoint(jds)
                })
        })
        .expect("an insert referenced later")
        .clone();
    assert!(!ids.is_empty());
    msgs.remove(i);
    let mut feed = replay(&msgs);
    assert_eq!(feed.stats().rejected, 0);
    assert_faulted(&feed);
    let _ = faults(&mut feed);
}

#[test]
fn first_fault_of_a_damage_is_the_expected_kind() {
    let clean = received(CAPTURE);
    let book = book_msgs(&clean);
    let first = |a: &str| {
        book.iter()
            .find(|(_, b, _)| b == a)
            .map(|(i, ..)| *i)
            .expect("msg")
    };
    type IsExpected = fn(&Fault) -> bool;
    let cases: [(&str, usize, IsExpected); 2] = [
        ("insert", first("insert"), |f| {
            matches!(f, Fault::BadMessage(_))
        }),
        ("delete", first("delete"), |f| {
            matches!(f, Fault::UnknownLevel(_))
        }),
    ];
    for (what, i, ok) in cases {
        let mut msgs = clean.clone();
        let dup = msgs[i].clone();
        msgs.insert(i + 1, dup);
        let mut feed = new_feed();
        let mut seen = Vec::new();
        for (ts, m) in &msgs {
            let _ = feed.on_message(m.as_bytes(), *ts);
            seen.extend(faults(&mut feed));
        }
        assert!(seen.first().is_some_and(ok), "duplicated {what}: {seen:?}");
        assert_eq!(seen.len(), 1, "one fault, then waiting for a partial");
        assert_faulted(&feed);
    }
}

#[test]
fn duplicated_update_is_idempotent() {
    let mut msgs = received(CAPTURE);
    let book = book_msgs(&msgs);
    let (i, ..) = book
        .iter()
        .find(|(_, a, _)| a == "update")
        .expect("update")
        .clone();
    let dup = msgs[i].clone();
    msgs.insert(i + 1, dup);
    let feed = replay(&msgs);
    assert_eq!((feed.stats().resyncs, feed.stats().rejected), (0, 0));
    assert_eq!(ours(&feed, SYM), naive(&msgs)[SYM]);
    assert!(feed.book(SYM).is_some_and(|b| b.valid()));
}

#[test]
fn swapped_insert_and_update_is_an_unknown_level() {
    let mut msgs = received(CAPTURE);
    let book = book_msgs(&msgs);
    let pair = book
        .windows(2)
        .find(|w| w[0].1 == "insert" && w[1].1 != "insert" && !w[0].2.is_disjoint(&w[1].2))
        .expect("an insert followed by a change of the same id");
    let (a, b) = (pair[0].0, pair[1].0);
    msgs.swap(a, b);
    let mut feed = new_feed();
    let mut seen = Vec::new();
    for (ts, m) in &msgs {
        let _ = feed.on_message(m.as_bytes(), *ts);
        seen.extend(faults(&mut feed));
    }
    assert!(
        matches!(seen.first(), Some(Fault::UnknownLevel(_))),
        "{seen:?}"
    );
    assert_faulted(&feed);
}

#[test]
fn dropped_partial_skips_every_delta() {
    let mut msgs = received(CAPTURE);
    let book = book_msgs(&msgs);
    let (i, action, _) = book[0].clone();
    assert_eq!(action, "partial");
    msgs.remove(i);
    let feed = replay(&msgs);
    assert_eq!(feed.stats().skipped, (book.len() - 1) as u64);
    assert!(feed.book(SYM).is_none());
    assert_eq!((feed.stats().resyncs, feed.stats().rejected), (0, 0));
}

#[test]
fn garbage_lines_are_rejected_and_the_book_stays_right() {
    let clean = received(CAPTURE);
    let mut msgs = clean.clone();
    let garbage = [
        "",
        "png",
        "{\"table\":\"orderBookL2\"",
        "{\"table\":\"nope\",\"action\":\"insert\",\"data\":[]}",
        "{\"foo\":1}",
        "[]",
        "\u{0}\u{ff}",
        "{\"table\":\"orderBookL2\",\"action\":\"jump\",\"data\":[]}",
    ];
    for (k, g) in garbage.iter().enumerate() {
        msgs.insert(40 + k * 97, (0, (*g).to_owned()));
    }
    let feed = replay(&msgs);
    assert_eq!(feed.stats().rejected, garbage.len() as u64);
    assert_eq!(feed.stats().resyncs, 0);
    assert_eq!(ours(&feed, SYM), naive(&clean)[SYM]);
}

#[test]
fn truncated_book_message_invalidates_its_book() {
    let mut msgs = received(CAPTURE);
    let book = book_msgs(&msgs);
    let (i, ..) = book
        .iter()
        .find(|(_, a, _)| a == "update")
        .expect("update")
        .clone();
    let m = &mut msgs[i].1;
    // Cut inside the last row: still a JSON object but a row lacks its size.
    let cut = m.rfind(",\"size\"").expect("size field");
    m.truncate(cut);
    m.push_str("}]}");
    let feed = replay(&msgs[..=i]);
    assert_eq!(feed.stats().rejected, 1);
    assert!(!feed.book(SYM).expect("book").synced);
}

fn env(table: &str, action: &str, rows: &str) -> String {
    format!(r#"{{"table":"{table}","action":"{action}","data":[{rows}]}}"#)
}

fn row(id: i64, side: &str, size: Option<u64>, price: Option<&str>) -> String {
    let mut r = format!(r#"{{"symbol":"XBTUSD","id":{id},"side":"{side}""#);
    if let Some(s) = size {
        r.push_str(&format!(r#","size":{s}"#));
    }
    if let Some(p) = price {
        r.push_str(&format!(r#","price":{p}"#));
    }
    r.push('}');
    r
}

fn partial_feed() -> Feed {
    let mut feed = new_feed();
    let rows = [
        row(1, "Sell", Some(300), Some("101")),
        row(2, "Sell", Some(200), Some("100.5")),
        row(3, "Buy", Some(100), Some("100")),
        row(4, "Buy", Some(50), Some("99.5")),
    ]
    .join(",");
    let m = env("orderBookL2", "partial", &rows);
    assert_eq!(
        feed.on_message(m.as_bytes(), 1).ok(),
        Some(Handled::Applied)
    );
    feed
}

fn texts(feed: &Feed, side: Side) -> Vec<(String, String)> {
    let ib = feed.book(SYM).expect("book");
    ib.book
        .levels(side)
        .map(|l| (ib.book.px_text(l), ib.book.sz_text(l)))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn rows_without_price_use_the_id_price() {
    let mut feed = partial_feed();
    for m in [
        env("orderBookL2", "update", &row(3, "Buy", Some(150), None)),
        env("orderBookL2", "delete", &row(4, "Buy", None, None)),
        env(
            "orderBookL2",
            "insert",
            &row(5, "Buy", Some(10), Some("99")),
        ),
        // New-format rows repeat the price: same value, other spelling.
        env(
            "orderBookL2",
            "update",
            &row(2, "Sell", Some(250), Some("100.50")),
        ),
    ] {
        assert_eq!(
            feed.on_message(m.as_bytes(), 2).ok(),
            Some(Handled::Applied),
            "{m}"
        );
    }
    assert_eq!(
        texts(&feed, Side::Bid),
        pairs(&[("100", "150"), ("99", "10")])
    );
    assert_eq!(
        texts(&feed, Side::Ask),
        pairs(&[("100.5", "250"), ("101", "300")])
    );
    assert_eq!(feed.stats().resyncs, 0);
}

#[test]
fn unknown_ids_moved_ids_and_reinserts_fault() {
    let cases = [
        env("orderBookL2", "update", &row(9, "Buy", Some(1), None)),
        env("orderBookL2", "delete", &row(9, "Sell", None, None)),
        // Keys are (symbol, id, side): id 3 is a bid.
        env("orderBookL2", "delete", &row(3, "Sell", None, None)),
        env(
            "orderBookL2",
            "insert",
            &row(3, "Buy", Some(1), Some("100")),
        ),
        env("orderBookL2", "update", &row(3, "Buy", Some(1), Some("98"))),
    ];
    for m in cases {
        let mut feed = partial_feed();
        assert_eq!(
            feed.on_message(m.as_bytes(), 2).ok(),
            Some(Handled::Applied)
        );
        let f = faults(&mut feed);
        assert!(
            matches!(
                f.as_slice(),
                [Fault::UnknownLevel(_) | Fault::BadMessage(_)]
            ),
            "{m}: {f:?}"
        );
        assert!(!feed.book(SYM).expect("book").synced);
        // Everything waits for the next partial, which restores the book.
        let next = env("orderBookL2", "update", &row(1, "Sell", Some(5), None));
        assert_eq!(
            feed.on_message(next.as_bytes(), 3).ok(),
            Some(Handled::Ignored)
        );
        let p = env(
            "orderBookL2",
            "partial",
            &row(7, "Buy", Some(1), Some("50")),
        );
        feed.on_message(p.as_bytes(), 4).expect("partial");
        assert!(feed.book(SYM).is_some_and(|b| b.valid()));
    }
}

#[test]
fn crossed_book_faults() {
    let mut feed = partial_feed();
    let m = env(
        "orderBookL2",
        "insert",
        &row(8, "Buy", Some(10), Some("100.5")),
    );
    feed.on_message(m.as_bytes(), 2).expect("handled");
    let ib = feed.book(SYM).expect("book");
    assert!(
        ib.synced && ib.cross == Cross::Locked && !ib.valid(),
        "locked: flagged only"
    );
    let _ = faults(&mut feed);
    let m = env(
        "orderBookL2",
        "insert",
        &row(9, "Buy", Some(10), Some("101.5")),
    );
    feed.on_message(m.as_bytes(), 3).expect("handled");
    assert_eq!(faults(&mut feed), [Fault::Crossed]);
    assert_eq!(feed.stats().crossed, 1, "counted once, when it left Normal");
    assert!(!feed.book(SYM).expect("book").synced);
}

#[test]
fn deltas_before_the_partial_are_skipped() {
    let mut feed = new_feed();
    let m = env("orderBookL2", "update", &row(3, "Buy", Some(150), None));
    assert_eq!(
        feed.on_message(m.as_bytes(), 2).ok(),
        Some(Handled::Ignored)
    );
    assert_eq!(feed.stats().skipped, 1);
    assert!(feed.book(SYM).is_none());
}

#[test]
fn empty_filtered_partial_is_an_empty_synced_book() {
    let mut feed = new_feed();
    let m = r#"{"table":"orderBookL2","action":"partial","keys":["symbol","id","side"],"filter":{"symbol":"XBTUSD"},"data":[]}"#;
    assert_eq!(
        feed.on_message(m.as_bytes(), 1).ok(),
        Some(Handled::Applied)
    );
    assert!(feed
        .book(SYM)
        .is_some_and(|b| b.synced && b.book.is_empty()));
}

#[test]
fn multi_symbol_messages_are_split_per_book() {
    let mut feed = partial_feed();
    let rows = format!(
        "{},{}",
        row(3, "Buy", Some(7), None),
        r#"{"symbol":"ETHUSD","id":1,"side":"Buy","size":5}"#
    );
    let m = env("orderBookL2", "update", &rows);
    assert_eq!(
        feed.on_message(m.as_bytes(), 2).ok(),
        Some(Handled::Applied)
    );
    assert_eq!(feed.stats().skipped, 1, "ETHUSD has no partial");
    assert_eq!(
        texts(&feed, Side::Bid)[0],
        ("100".to_owned(), "7".to_owned())
    );
}

#[test]
fn nautilus_l2_row_in_an_envelope() {
    let r = read("ws_orderbook_l2_nautilus.json");
    let mut feed = new_feed();
    let m = env("orderBookL2", "partial", &r);
    feed.on_message(m.as_bytes(), 1).expect("partial");
    let ib = feed.book(SYM).expect("book");
    assert_eq!(ib.ts_event, 1_732_436_782_356_000_000);
    assert_eq!(texts(&feed, Side::Ask), pairs(&[("98459.9", "33000")]));
    let del = env("orderBookL2", "delete", &r);
    feed.on_message(del.as_bytes(), 2).expect("delete");
    assert!(feed
        .book(SYM)
        .is_some_and(|b| b.synced && b.book.is_empty()));
}

fn one_event(feed: &mut Feed, m: &str) -> Event {
    assert_eq!(
        feed.on_message(m.as_bytes(), 42).ok(),
        Some(Handled::Applied),
        "{m}"
    );
    let evs: Vec<Event> = feed.drain_events().collect();
    assert_eq!(evs.len(), 1, "{evs:?}");
    evs.into_iter().next().expect("one event")
}

#[test]
fn trade_row() {
    let mut feed = new_feed();
    let Event::Trade(t) = one_event(
        &mut feed,
        &env("trade", "insert", &read("ws_trade_nautilus.json")),
    ) else {
        panic!("not a trade");
    };
    assert_eq!(&*t.symbol, SYM);
    assert_eq!(t.ts_event, 1_732_436_138_704_000_000);
    assert_eq!(
        (t.price.to_string(), t.size.to_string()),
        ("98570.9".into(), "100".into())
    );
    assert_eq!(t.aggressor, Some(Side::Ask));
    assert_eq!(t.trade_id, "00000000-006d-1000-0000-000e8737d536");
    assert!(feed.book(SYM).is_none(), "a trade creates no book");
}

#[test]
fn quote_row() {
    let mut feed = new_feed();
    let Event::Bbo(b) = one_event(
        &mut feed,
        &env("quote", "insert", &read("ws_quote_nautilus.json")),
    ) else {
        panic!("not a bbo");
    };
    assert_eq!(&*b.symbol, "BCHUSDT");
    assert_eq!(b.ts_event, 1_732_315_465_085_000_000);
    assert_eq!(
        (b.bid_px.to_string(), b.bid_sz.to_string()),
        ("487.55".into(), "103000".into())
    );
    assert_eq!(
        (b.ask_px.to_string(), b.ask_sz.to_string()),
        ("488.25".into(), "50000".into())
    );
    let empty = r#"{"timestamp":"2024-11-22T22:44:25.085Z","symbol":"X","bidSize":null,"bidPrice":null,"askPrice":1.5,"askSize":3}"#;
    let m = env("quote", "insert", empty);
    assert_eq!(
        feed.on_message(m.as_bytes(), 1).ok(),
        Some(Handled::Ignored)
    );
}

#[test]
fn instrument_rows_merge_per_symbol() {
    let mut feed = new_feed();
    let m = env(
        "instrument",
        "update",
        &read("ws_instrument_mark_update_nautilus.json"),
    );
    let Event::Mark(a) = one_event(&mut feed, &m) else {
        panic!("not a mark");
    };
    assert_eq!(&*a.symbol, "DOTUSDT");
    assert_eq!(a.mark_px.map(|f| f.to_string()).as_deref(), Some("1.2669"));
    assert_eq!((a.index_px, a.funding_rate), (None, None));
    assert_eq!(a.ts_event, 1_779_886_600_500_000_000);
    let funding = r#"{"symbol":"DOTUSDT","fundingRate":-0.0003,"fundingTimestamp":"2026-05-27T16:00:00.000Z","indicativeSettlePrice":1.2661}"#;
    let Event::Mark(b) = one_event(&mut feed, &env("instrument", "update", funding)) else {
        panic!("not a mark");
    };
    assert_eq!(b.mark_px, a.mark_px, "kept from the earlier row");
    assert_eq!(
        b.funding_rate.map(|f| f.to_string()).as_deref(),
        Some("-0.0003")
    );
    assert_eq!(b.index_px.map(|f| f.to_string()).as_deref(), Some("1.2661"));
    assert_eq!(b.next_funding_ns, Some(1_779_897_600_000_000_000));
    let unrelated = r#"{"symbol":"DOTUSDT","volume":5,"timestamp":"2026-05-27T12:56:41.000Z"}"#;
    let m = env("instrument", "update", unrelated);
    assert_eq!(
        feed.on_message(m.as_bytes(), 1).ok(),
        Some(Handled::Ignored)
    );
}

#[test]
fn funding_row() {
    let mut feed = new_feed();
    let m = env("funding", "insert", &read("ws_funding_rate_nautilus.json"));
    let Event::Mark(f) = one_event(&mut feed, &m) else {
        panic!("not a mark");
    };
    assert_eq!(&*f.symbol, SYM);
    assert_eq!(
        f.funding_rate.map(|f| f.to_string()).as_deref(),
        Some("0.0001")
    );
    assert_eq!(f.ts_event, 1_732_507_200_000_000_000);
    assert_eq!((f.mark_px, f.next_funding_ns), (None, None));
}

#[test]
fn control_messages_are_ignored_and_unknown_ones_rejected() {
    let mut feed = new_feed();
    for m in [
        "pong",
        r#"{"info":"Welcome to the BitMEX Realtime API.","version":"2021-07-14T01:26:29.000Z","timestamp":"2021-07-22T22:36:07.865Z","docs":"https://www.bitmex.com/app/wsAPI","limit":{"remaining":39}}"#,
        r#"{"success":true,"subscribe":"orderBookL2:XBTUSD","request":{"op":"subscribe","args":["orderBookL2:XBTUSD"]}}"#,
        r#"{"status":400,"error":"Unknown table: foo","meta":{},"request":{"op":"subscribe","args":["foo"]}}"#,
        r#"{"table":"liquidation","action":"insert","data":[]}"#,
        r#"{"table":"trade","action":"partial","data":[]}"#,
    ] {
        assert_eq!(
            feed.on_message(m.as_bytes(), 1).ok(),
            Some(Handled::Ignored),
            "{m}"
        );
    }
    for m in [
        r#"{"table":"bogus","action":"insert","data":[]}"#,
        r#"{"hello":1}"#,
        r#"{"table":"trade","action":"insert"}"#,
        r#"{"table":"trade","action":"insert","data":[{"symbol":"XBTUSD"}]}"#,
    ] {
        assert!(feed.on_message(m.as_bytes(), 1).is_err(), "{m}");
    }
}

#[test]
fn reconnect_forgets_ids() {
    let mut feed = partial_feed();
    feed.on_reconnect();
    let m = env("orderBookL2", "update", &row(3, "Buy", Some(150), None));
    assert_eq!(
        feed.on_message(m.as_bytes(), 2).ok(),
        Some(Handled::Ignored)
    );
    assert!(!feed.book(SYM).expect("book").synced);
}

fn all_real_messages() -> &'static [String] {
    static ALL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ALL.get_or_init(load_real_messages)
}

fn load_real_messages() -> Vec<String> {
    let mut v: Vec<String> = received(CAPTURE).into_iter().map(|(_, m)| m).collect();
    v.truncate(200);
    v.push(env("trade", "insert", &read("ws_trade_nautilus.json")));
    v.push(env("quote", "insert", &read("ws_quote_nautilus.json")));
    v.push(env(
        "instrument",
        "update",
        &read("ws_instrument_mark_update_nautilus.json"),
    ));
    v.push(env(
        "funding",
        "insert",
        &read("ws_funding_rate_nautilus.json"),
    ));
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut feed = partial_feed();
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
        let mut feed = partial_feed();
        crate::venues::tests::feed_truncated_and_flipped(&mut feed, m, at, flip);
    }

    /// Random id operations against a naive model: identical book while the ops are
    /// legal; the first illegal one (unknown id, reinsert, cross) invalidates the book.
    #[test]
    fn random_id_ops_match_a_naive_model(
        ops in proptest::collection::vec((0u8..3, 0i64..12, 1u32..500), 1..120)
    ) {
        let mut feed = new_feed();
        let p = r#"{"table":"orderBookL2","action":"partial","filter":{"symbol":"XBTUSD"},"data":[]}"#;
        feed.on_message(p.as_bytes(), 0).expect("partial");
        // Ids 0..6 are bids at 100 - id, ids 6..12 asks at 100 + id.
        let px = |id: i64| if id < 6 { 100 - id } else { 100 + id };
        let side = |id: i64| if id < 6 { "Buy" } else { "Sell" };
        let mut model: BTreeMap<i64, u32> = BTreeMap::new();
        for (op, id, sz) in ops {
            let (action, r) = match op {
                0 => ("insert", row(id, side(id), Some(u64::from(sz)), Some(&px(id).to_string()))),
                1 => ("update", row(id, side(id), Some(u64::from(sz)), None)),
                _ => ("delete", row(id, side(id), None, None)),
            };
            feed.on_message(env("orderBookL2", action, &r).as_bytes(), 0).expect("well-formed");
            let held = model.contains_key(&id);
            if held == (op == 0) {
                prop_assert!(!feed.book(SYM).expect("book").synced);
                return Ok(());
            }
            if op == 2 { model.remove(&id); } else { model.insert(id, sz); }
        }
        prop_assert!(feed.book(SYM).expect("book").synced);
        let want = |bid: bool| -> Vec<(String, String)> {
            let mut v: Vec<(i64, String)> = model
                .iter()
                .filter(|(id, _)| (**id < 6) == bid)
                .map(|(id, s)| (px(*id), s.to_string()))
                .collect();
            v.sort_by_key(|(p, _)| if bid { -*p } else { *p });
            v.into_iter().map(|(p, s)| (p.to_string(), s)).collect()
        };
        prop_assert_eq!(texts(&feed, Side::Bid), want(true));
        prop_assert_eq!(texts(&feed, Side::Ask), want(false));
    }
}
