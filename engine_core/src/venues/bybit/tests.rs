use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::venues::{BookFault, Feed, FeedOptions, FeedStats, Venue};

const L2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/data/bybit/l2_capture_v5_linear_btc_sol_spot_btc_20260809_cryptofeed.jsonl"
);
const L1: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/data/bybit/l1_capture_v5_orderbook1_linear_spot_20250613_cryptofeed.jsonl"
);

fn data_file(name: &str) -> String {
    let path = format!("{}/../tests/data/bybit/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("test data file")
}

/// One received payload of a cryptofeed capture.
#[derive(Debug, Clone)]
struct Recv {
    conn: String,
    ts_ns: i64,
    data: String,
}

/// (connection -> category from its URL, received payloads in order).
fn read_capture(path: &str) -> (HashMap<String, String>, Vec<Recv>) {
    let text = std::fs::read_to_string(path).expect("capture file");
    let mut cats = HashMap::new();
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).expect("capture line");
        let conn = v["conn"].as_str().unwrap_or("").to_owned();
        if let Some(addr) = v["addr"].as_str().or(v["url"].as_str()) {
            if let Some(cat) = addr.rsplit('/').next() {
                cats.entry(conn.clone()).or_insert_with(|| cat.to_owned());
            }
        }
        if v["t"] == "recv" {
            let ts = v["ts"].as_f64().unwrap_or(0.0);
            out.push(Recv {
                conn,
                ts_ns: (ts * 1e9) as i64,
                data: v["data"].as_str().expect("data").to_owned(),
            });
        }
    }
    (cats, out)
}

/// Decimal text as an integer count of 1e-18 (independent of `Fixed`).
fn units(t: &str) -> i128 {
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let mut f = frac.to_owned();
    f.extend(std::iter::repeat('0').take(18 - frac.len()));
    int.parse::<i128>().expect("int part") * 10i128.pow(18) + f.parse::<i128>().expect("frac")
}

type Side2 = BTreeMap<i128, i128>;

/// (bids best-first, asks best-first) as (price, size) in 1e-18 units.
type Levels2 = (Vec<(i128, i128)>, Vec<(i128, i128)>);

/// The naive model: (conn, symbol) -> (bids, asks), snapshots replace, deltas overwrite,
/// zero deletes. No sequence logic at all.
fn naive(msgs: &[Recv]) -> HashMap<(String, String), (Side2, Side2)> {
    let mut books: HashMap<(String, String), (Side2, Side2)> = HashMap::new();
    for m in msgs {
        let Ok(v) = serde_json::from_str::<Value>(&m.data) else {
            continue;
        };
        let Some(topic) = v["topic"].as_str() else {
            continue;
        };
        if !topic.starts_with("orderbook.") {
            continue;
        }
        let sym = topic.rsplit('.').next().expect("symbol").to_owned();
        let book = books.entry((m.conn.clone(), sym)).or_default();
        if v["type"] == "snapshot" {
            *book = Default::default();
        }
        for (key, side) in [("b", &mut book.0), ("a", &mut book.1)] {
            for l in v["data"][key].as_array().expect("levels") {
                let (px, sz) = (
                    units(l[0].as_str().expect("px")),
                    units(l[1].as_str().expect("sz")),
                );
                if sz == 0 {
                    side.remove(&px);
                } else {
                    side.insert(px, sz);
                }
            }
        }
    }
    books
}

fn as_units(f: Fixed) -> i128 {
    i128::from(f.mantissa) * 10i128.pow(18 - u32::from(f.scale))
}

/// A feed's book as (bids best-first, asks best-first) in 1e-18 units.
fn feed_levels(feed: &Feed, symbol: &str) -> Levels2 {
    let ib = feed.book(symbol).expect("book");
    let side = |s| {
        ib.book
            .levels(s)
            .map(|l| {
                (
                    as_units(ib.book.px_fixed(l.px)),
                    as_units(ib.book.sz_fixed(l.sz)),
                )
            })
            .collect::<Vec<_>>()
    };
    (side(Side::Bid), side(Side::Ask))
}

fn model_levels(m: &(Side2, Side2)) -> Levels2 {
    (
        m.0.iter().rev().map(|(p, s)| (*p, *s)).collect(),
        m.1.iter().map(|(p, s)| (*p, *s)).collect(),
    )
}

/// Replay into one feed per connection.
fn replay(cats: &HashMap<String, String>, msgs: &[Recv]) -> HashMap<String, Feed> {
    let mut feeds: HashMap<String, Feed> = HashMap::new();
    for m in msgs {
        let feed = feeds.entry(m.conn.clone()).or_insert_with(|| {
            let category = cats.get(&m.conn).cloned();
            Feed::new(
                Venue::Bybit,
                &FeedOptions {
                    category,
                    max_buffer: None,
                },
            )
            .expect("feed")
        });
        // Outcomes are counted in the stats; the tests read those.
        let _ = feed.on_message(m.data.as_bytes(), m.ts_ns);
    }
    feeds
}

fn total(feeds: &HashMap<String, Feed>) -> FeedStats {
    let mut t = FeedStats::default();
    for f in feeds.values() {
        let s = f.stats();
        t.messages += s.messages;
        t.applied += s.applied;
        t.ignored += s.ignored;
        t.rejected += s.rejected;
        t.book_updates += s.book_updates;
        t.gaps += s.gaps;
        t.resyncs += s.resyncs;
        t.skipped += s.skipped;
    }
    t
}

fn assert_books_match_model(feeds: &HashMap<String, Feed>, msgs: &[Recv]) {
    let model = naive(msgs);
    assert!(!model.is_empty());
    for ((conn, sym), m) in &model {
        let feed = &feeds[conn];
        assert!(
            feed.book(sym).is_some_and(|b| b.synced),
            "{conn} {sym} not synced"
        );
        assert_eq!(feed_levels(feed, sym), model_levels(m), "{conn} {sym}");
    }
}

#[test]
fn l2_capture_replays_clean_and_matches_the_naive_model() {
    let (cats, msgs) = read_capture(L2);
    assert_eq!(cats.get("BYBIT.ws.2").map(String::as_str), Some("linear"));
    assert_eq!(cats.get("BYBIT.ws.3").map(String::as_str), Some("spot"));
    let mut feeds = replay(&cats, &msgs);
    let t = total(&feeds);
    assert_eq!(t.messages, msgs.len() as u64);
    assert_eq!((t.rejected, t.gaps, t.resyncs, t.skipped), (0, 0, 0, 0));
    // 795 + 2 linear, 299 + 1 spot book messages.
    assert_eq!(t.book_updates, 1097);
    // Klines, subscription acks, spot tickers (no BBO or funding in them) and linear
    // ticker deltas that changed neither.
    assert!(t.ignored >= 47 + 15 + 17 + 7 + 41, "{t:?}");
    assert_eq!(t.applied + t.ignored, t.messages);
    assert_books_match_model(&feeds, &msgs);
    // Same topic on both connections, two different books.
    let lin = feeds["BYBIT.ws.2"]
        .book("BTCUSDT")
        .expect("linear")
        .book
        .best(Side::Bid);
    let spot = feeds["BYBIT.ws.3"]
        .book("BTCUSDT")
        .expect("spot")
        .book
        .best(Side::Bid);
    assert_ne!(lin, spot);

    let linear = feeds.get_mut("BYBIT.ws.2").expect("linear");
    let evs: Vec<Event> = linear.drain_events().collect();
    let trades = evs.iter().filter(|e| matches!(e, Event::Trade(_))).count();
    assert!(trades >= 73, "{trades}");
    let marks: Vec<&MarkFunding> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Mark(m) => Some(m),
            _ => None,
        })
        .collect();
    assert!(!marks.is_empty());
    // Deltas carry only changed fields: every Mark still has the merged full state.
    for m in &marks {
        assert!(m.mark_px.is_some() && m.index_px.is_some(), "{m:?}");
        assert!(
            m.funding_rate.is_some() && m.next_funding_ns.is_some(),
            "{m:?}"
        );
    }
    let spot = feeds.get_mut("BYBIT.ws.3").expect("spot");
    let evs: Vec<Event> = spot.drain_events().collect();
    assert!(
        !evs.iter().any(|e| matches!(e, Event::Mark(_))),
        "spot has no mark/funding"
    );
}

#[test]
fn l1_capture_refreshes_are_not_gaps() {
    let (cats, msgs) = read_capture(L1);
    let feeds = replay(&cats, &msgs);
    let t = total(&feeds);
    assert_eq!((t.rejected, t.gaps, t.resyncs), (0, 0, 0));
    assert_eq!(t.book_updates, 198 + 139);
    assert_books_match_model(&feeds, &msgs);
    // The capture does contain repeated u (the periodic refresh).
    let mut last: HashMap<(String, String), i64> = HashMap::new();
    let mut repeats = 0;
    for m in &msgs {
        let v: Value = serde_json::from_str(&m.data).expect("json");
        if let (Some(t), Some(u)) = (v["topic"].as_str(), v["data"]["u"].as_i64()) {
            if last.insert((m.conn.clone(), t.to_owned()), u) == Some(u) {
                repeats += 1;
            }
        }
    }
    assert!(repeats > 0);
}

fn book_msg_indices(msgs: &[Recv], kind: &str) -> Vec<usize> {
    msgs.iter()
        .enumerate()
        .filter(|(_, m)| m.data.contains("\"topic\":\"orderbook.") && m.data.contains(kind))
        .map(|(i, _)| i)
        .collect()
}

fn topic_of(m: &Recv) -> (String, String) {
    let v: Value = serde_json::from_str(&m.data).expect("json");
    (m.conn.clone(), v["topic"].as_str().unwrap_or("").to_owned())
}

fn symbol_of(m: &Recv) -> String {
    topic_of(m).1.rsplit('.').next().unwrap_or("").to_owned()
}

#[test]
fn damaged_l2_copies_are_detected() {
    let (cats, msgs) = read_capture(L2);
    let deltas = book_msg_indices(&msgs, "\"type\":\"delta\"");
    let victim = deltas[deltas.len() / 2];
    let (conn, sym) = (msgs[victim].conn.clone(), symbol_of(&msgs[victim]));

    // Dropped.
    let mut dropped = msgs.clone();
    dropped.remove(victim);
    let feeds = replay(&cats, &dropped);
    assert_eq!(total(&feeds).gaps, 1);
    assert!(!feeds[&conn].book(&sym).expect("book").synced);
    assert!(feeds[&conn].book(&sym).expect("book").book.is_empty());
    assert!(
        total(&feeds).skipped > 0,
        "later deltas wait for a snapshot"
    );

    // Duplicated.
    let mut dup = msgs.clone();
    dup.insert(victim, msgs[victim].clone());
    let feeds = replay(&cats, &dup);
    assert_eq!(total(&feeds).gaps, 1);
    assert!(!feeds[&conn].book(&sym).expect("book").synced);

    // Two adjacent deltas of the same topic swapped.
    let key = topic_of(&msgs[victim]);
    let next = (victim + 1..msgs.len())
        .find(|&j| topic_of(&msgs[j]) == key)
        .expect("a later delta on the topic");
    let mut swapped = msgs.clone();
    swapped.swap(victim, next);
    let feeds = replay(&cats, &swapped);
    assert!(total(&feeds).gaps >= 1);
    assert!(!feeds[&conn].book(&sym).expect("book").synced);

    // Garbage lines: counted as rejections, books untouched.
    let garbage = [
        "",
        "{",
        "not json",
        "[1,2]",
        "{\"topic\":42}",
        "\u{0}\u{1}",
        "{\"topic\":\"orderbook.x\"}",
    ];
    let mut noisy = msgs.clone();
    for (k, g) in garbage.iter().enumerate() {
        let at = (k + 1) * msgs.len() / (garbage.len() + 1);
        noisy.insert(
            at,
            Recv {
                data: (*g).to_owned(),
                ..msgs[at].clone()
            },
        );
    }
    let feeds = replay(&cats, &noisy);
    let t = total(&feeds);
    assert_eq!(
        (t.rejected, t.gaps, t.resyncs),
        (garbage.len() as u64, 0, 0)
    );
    assert_books_match_model(&feeds, &msgs);
}

#[test]
fn damaged_l1_copies_still_give_the_latest_snapshot() {
    // Level 1 is all snapshots: a lost, repeated or reordered push is not detectable by
    // the venue rule and not harmful either; the book is whatever the last push said.
    let (cats, msgs) = read_capture(L1);
    let snaps = book_msg_indices(&msgs, "\"type\":\"snapshot\"");
    let i = snaps[snaps.len() / 2];
    let mut damaged = msgs.clone();
    damaged.remove(i);
    damaged.insert(i, msgs[i + 1].clone());
    damaged.swap(i + 2, i + 3);
    let feeds = replay(&cats, &damaged);
    let t = total(&feeds);
    assert_eq!((t.rejected, t.gaps), (0, 0));
    assert_books_match_model(&feeds, &damaged);
}

fn feed(category: &str) -> Feed {
    Feed::new(
        Venue::Bybit,
        &FeedOptions {
            category: Some(category.into()),
            max_buffer: None,
        },
    )
    .expect("feed")
}

fn book_json(depth: u32, kind: &str, u: i64, bids: &str, asks: &str) -> String {
    format!(
        r#"{{"topic":"orderbook.{depth}.BTCUSDT","type":"{kind}","ts":1700000000001,"data":{{"s":"BTCUSDT","b":[{bids}],"a":[{asks}],"u":{u},"seq":7}},"cts":1700000000000}}"#
    )
}

#[test]
fn sequence_rule_snapshots_reset_and_deltas_follow_by_one() {
    let mut f = feed("linear");
    let snap = book_json(50, "snapshot", 100, r#"["10.0","1"]"#, r#"["11.0","2"]"#);
    assert_eq!(f.on_message(snap.as_bytes(), 1), Ok(Handled::Applied));
    let d = book_json(50, "delta", 101, r#"["10.0","0"],["9.5","3"]"#, "");
    assert_eq!(f.on_message(d.as_bytes(), 2), Ok(Handled::Applied));
    let ib = f.book("BTCUSDT").expect("book");
    assert_eq!(
        (ib.synced, ib.seq, ib.ts_event),
        (true, 101, 1_700_000_000_000_000_000)
    );
    assert_eq!(
        ib.book.best(Side::Bid).map(|l| ib.book.px_text(l)),
        Some("9.5".into())
    );
    // u = 1 after a venue restart: a snapshot resets whatever the u.
    let restart = book_json(50, "snapshot", 1, r#"["20","1"]"#, r#"["21","1"]"#);
    f.on_message(restart.as_bytes(), 3).expect("restart");
    let d = book_json(50, "delta", 2, r#"["19","1"]"#, "");
    f.on_message(d.as_bytes(), 4).expect("delta");
    assert_eq!(f.stats().gaps, 0);
    assert_eq!(f.book("BTCUSDT").expect("book").book.len(Side::Bid), 2);
    // A skipped u.
    let d = book_json(50, "delta", 4, r#"["18","1"]"#, "");
    f.on_message(d.as_bytes(), 5)
        .expect("gap is a verdict, not an error");
    assert_eq!(f.stats().gaps, 1);
    let ib = f.book("BTCUSDT").expect("book");
    assert!(!ib.synced && ib.book.is_empty());
    let evs: Vec<Event> = f.drain_events().collect();
    assert!(evs.iter().any(|e| matches!(
        e,
        Event::Fault(BookFault {
            fault: Fault::Gap {
                expected: 3,
                got: 4
            },
            ..
        })
    )));
    // Deltas then wait for the next snapshot.
    let d = book_json(50, "delta", 5, r#"["18","1"]"#, "");
    assert_eq!(f.on_message(d.as_bytes(), 6), Ok(Handled::Ignored));
    assert_eq!(f.stats().skipped, 1);
}

#[test]
fn level1_same_u_is_a_refresh() {
    let mut f = feed("spot");
    for u in [5, 5, 6, 6, 6, 7] {
        let s = book_json(1, "snapshot", u, r#"["10","1"]"#, r#"["11","1"]"#);
        f.on_message(s.as_bytes(), 1).expect("snapshot");
    }
    assert_eq!((f.stats().gaps, f.stats().book_updates), (0, 6));
    assert!(f.book("BTCUSDT").expect("book").synced);
}

#[test]
fn a_shallower_depth_next_to_a_deeper_one_becomes_bbo() {
    let mut f = feed("linear");
    let deep = book_json(
        50,
        "snapshot",
        10,
        r#"["10","1"],["9","1"]"#,
        r#"["11","1"]"#,
    );
    f.on_message(deep.as_bytes(), 1).expect("deep");
    let l1 = book_json(1, "snapshot", 900, r#"["10","1"]"#, r#"["11","1"]"#);
    assert_eq!(f.on_message(l1.as_bytes(), 2), Ok(Handled::Applied));
    let ib = f.book("BTCUSDT").expect("book");
    assert_eq!((ib.seq, ib.book.len(Side::Bid)), (10, 2));
    assert!(f.drain_events().any(|e| matches!(e, Event::Bbo(_))));
    // A deeper snapshot takes the book over from a shallower stream.
    let mut f = feed("linear");
    f.on_message(l1.as_bytes(), 1).expect("l1");
    f.on_message(deep.as_bytes(), 2).expect("deep");
    let d = book_json(50, "delta", 11, r#"["8","1"]"#, "");
    f.on_message(d.as_bytes(), 3).expect("delta");
    f.on_message(l1.as_bytes(), 4).expect("l1 again");
    let ib = f.book("BTCUSDT").expect("book");
    assert_eq!((ib.seq, ib.book.len(Side::Bid), f.stats().gaps), (11, 3, 0));
}

#[test]
fn bad_levels_reject_the_message_and_invalidate_the_book() {
    let mut f = feed("linear");
    let snap = book_json(50, "snapshot", 1, r#"["10","1"]"#, r#"["11","1"]"#);
    f.on_message(snap.as_bytes(), 1).expect("snapshot");
    for bad in [
        r#"["10","-1"]"#,
        r#"["0","1"]"#,
        r#"["x","1"]"#,
        r#"["10"]"#,
    ] {
        let d = book_json(50, "delta", 2, bad, "");
        assert!(f.on_message(d.as_bytes(), 2).is_err(), "{bad}");
        f.on_message(snap.as_bytes(), 3).expect("resync");
    }
    assert_eq!((f.stats().rejected, f.stats().resyncs), (4, 4));
    // The book is never half-applied: a good level before a bad one is not kept.
    let d = book_json(50, "delta", 2, r#"["9","5"],["8","-1"]"#, "");
    assert!(f.on_message(d.as_bytes(), 4).is_err());
    assert!(f
        .book("BTCUSDT")
        .expect("book")
        .book
        .size_at(Side::Bid, 9)
        .is_none());
}

#[test]
fn categories() {
    for c in ["linear", "inverse", "spot", "option"] {
        assert_eq!(Bybit::new(Some(c)).map(|b| b.category()), Ok(c));
    }
    assert_eq!(Bybit::new(None).map(|b| b.category()), Ok("linear"));
    assert!(matches!(
        Bybit::new(Some("futures")),
        Err(VenueError::BadOption(_))
    ));
    assert!(matches!(
        Feed::new(
            Venue::Bybit,
            &FeedOptions {
                category: Some("LINEAR".into()),
                max_buffer: None
            }
        ),
        Err(VenueError::BadOption(_))
    ));
}

#[test]
fn control_messages() {
    let mut f = feed("linear");
    let ok = [
        r#"{"success":true,"ret_msg":"pong","conn_id":"x","req_id":"","op":"ping"}"#,
        r#"{"success":true,"ret_msg":"subscribe","conn_id":"x","op":"subscribe"}"#,
        r#"{"req_id":"test","op":"pong","args":["1675418560633"],"conn_id":"x"}"#,
        r#"{"type":"snapshot","topic":"kline.1.BTCUSDT","data":[],"ts":1}"#,
    ];
    for m in ok {
        assert_eq!(f.on_message(m.as_bytes(), 1), Ok(Handled::Ignored), "{m}");
    }
    let refused =
        r#"{"success":false,"ret_msg":"error:handler not found","conn_id":"x","op":"subscribe"}"#;
    assert!(f.on_message(refused.as_bytes(), 1).is_err());
    assert!(f
        .on_message(br#"{"topic":"nosuch.BTCUSDT","data":{}}"#, 1)
        .is_err());
    assert!(f.on_message(br#"{"topic":"kline.1.BTCUSDT","#, 1).is_err());
}

#[test]
fn docs_trade_ticker_and_delta_examples() {
    let mut f = feed("linear");
    f.on_message(data_file("ws_publicTrade_docs.json").as_bytes(), 5)
        .expect("trade");
    let evs: Vec<Event> = f.drain_events().collect();
    let [Event::Trade(t)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(&*t.symbol, "BTCUSDT");
    assert_eq!(
        (t.price.to_string(), t.size.to_string()),
        ("16578.50".into(), "0.001".into())
    );
    assert_eq!(
        (t.aggressor, t.ts_event, t.ts_recv),
        (Some(Side::Bid), 1_672_304_486_865_000_000, 5)
    );
    assert_eq!(t.trade_id, "20f43950-d8dd-5b31-9112-a178eb6023af");

    f.on_message(
        data_file("ws_tickers_linear_snapshot_nautilus.json").as_bytes(),
        5,
    )
    .expect("ticker");
    let evs: Vec<Event> = f.drain_events().collect();
    let Some(Event::Mark(m)) = evs.first() else {
        panic!("{evs:?}")
    };
    assert_eq!(m.mark_px.map(|x| x.to_string()), Some("17217.33".into()));
    assert_eq!(m.index_px.map(|x| x.to_string()), Some("17227.36".into()));
    assert_eq!(
        m.funding_rate.map(|x| x.to_string()),
        Some("-0.000212".into())
    );
    assert_eq!(m.next_funding_ns, Some(1_673_280_000_000_000_000));
    assert_eq!(m.ts_event, 1_673_272_861_686_000_000);
    let Some(Event::Bbo(b)) = evs.get(1) else {
        panic!("{evs:?}")
    };
    assert_eq!(
        (b.bid_px.to_string(), b.ask_sz.to_string()),
        ("17215.50".into(), "83.020".into())
    );
    // A partial delta: only the funding rate changed; the rest is carried over.
    let delta = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","fundingRate":"0.0001"},"cs":1,"ts":1673272861999}"#;
    f.on_message(delta.as_bytes(), 6).expect("delta");
    let evs: Vec<Event> = f.drain_events().collect();
    let [Event::Mark(m)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(m.mark_px.map(|x| x.to_string()), Some("17217.33".into()));
    assert_eq!(m.funding_rate.map(|x| x.to_string()), Some("0.0001".into()));
    // Only last price changed: nothing to normalise.
    let delta = r#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","lastPrice":"1"},"ts":1}"#;
    assert_eq!(f.on_message(delta.as_bytes(), 6), Ok(Handled::Ignored));

    let mut s = feed("spot");
    let r = s.on_message(data_file("ws_tickers_spot_docs.json").as_bytes(), 5);
    assert_eq!(r, Ok(Handled::Ignored));

    let mut o = feed("option");
    o.on_message(data_file("ws_tickers_option_docs.json").as_bytes(), 5)
        .expect("option");
    let evs: Vec<Event> = o.drain_events().collect();
    // bidPrice "0": no bid, so no BBO; mark and index still come through.
    let [Event::Mark(m)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(m.mark_px.map(|x| x.to_string()), Some("7.86976724".into()));
    assert_eq!(m.funding_rate, None);

    // A delta with no snapshot before it waits (counted as skipped).
    let mut f = feed("linear");
    let r = f.on_message(data_file("ws_orderbook_delta_docs.json").as_bytes(), 1);
    assert_eq!(r, Ok(Handled::Ignored));
    assert_eq!((f.stats().skipped, f.stats().rejected), (1, 0));
}

#[derive(Debug, Clone)]
enum Op {
    Snapshot(Vec<(u16, u8)>, Vec<(u16, u8)>),
    Delta(Vec<(bool, u16, u8)>),
}

fn px(p: u16) -> String {
    format!("{}.{}", p / 10, p % 10)
}

fn levels(v: &[(u16, u8)]) -> String {
    v.iter()
        .map(|(p, s)| format!(r#"["{}","{s}"]"#, px(*p)))
        .collect::<Vec<_>>()
        .join(",")
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let lv = || prop::collection::vec((1u16..400, 1u8..20), 0..12);
    prop_oneof![
        1 => (lv(), lv()).prop_map(|(b, a)| Op::Snapshot(b, a)),
        6 => prop::collection::vec((any::<bool>(), 1u16..400, 0u8..4), 0..10).prop_map(Op::Delta),
    ]
}

proptest! {
    #[test]
    fn random_snapshot_delta_sequences_match_a_btreemap(ops in prop::collection::vec(op_strategy(), 1..40)) {
        let mut f = feed("linear");
        let mut model: Option<(BTreeMap<u16, u8>, BTreeMap<u16, u8>)> = None;
        let mut u = 0i64;
        for op in &ops {
            u += 1;
            let msg = match op {
                Op::Snapshot(b, a) => {
                    let mut m = (BTreeMap::new(), BTreeMap::new());
                    m.0.extend(b.iter().copied());
                    m.1.extend(a.iter().copied());
                    model = Some(m);
                    book_json(50, "snapshot", u, &levels(b), &levels(a))
                }
                Op::Delta(ls) => {
                    if let Some(m) = model.as_mut() {
                        for &(bid, p, s) in ls {
                            let side = if bid { &mut m.0 } else { &mut m.1 };
                            if s == 0 { side.remove(&p); } else { side.insert(p, s); }
                        }
                    }
                    let b: Vec<_> = ls.iter().filter(|l| l.0).map(|l| (l.1, l.2)).collect();
                    let a: Vec<_> = ls.iter().filter(|l| !l.0).map(|l| (l.1, l.2)).collect();
                    book_json(50, "delta", u, &levels(&b), &levels(&a))
                }
            };
            prop_assert!(f.on_message(msg.as_bytes(), 0).is_ok());
        }
        prop_assert_eq!(f.stats().gaps, 0);
        match (&model, f.book("BTCUSDT")) {
            (None, ib) => prop_assert!(ib.map_or(true, |b| !b.synced && b.book.is_empty())),
            (Some(m), Some(ib)) => {
                prop_assert!(ib.synced);
                let bids: Vec<(String, String)> = m.0.iter().rev().map(|(p, s)| (px(*p), s.to_string())).collect();
                let asks: Vec<(String, String)> = m.1.iter().map(|(p, s)| (px(*p), s.to_string())).collect();
                let got = |s| ib.book.levels(s).map(|l| (ib.book.px_text(l), ib.book.sz_text(l))).collect::<Vec<_>>();
                prop_assert_eq!(got(Side::Bid), bids);
                prop_assert_eq!(got(Side::Ask), asks);
            }
            (Some(_), None) => prop_assert!(false, "no book"),
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut f = feed("linear");
        let _ = f.on_message(&bytes, 0);
    }

    #[test]
    fn damaged_real_messages_never_panic(idx in 0usize..2000, cut in 0usize..4000, flip in any::<(usize, u8)>()) {
        static MSGS: std::sync::OnceLock<Vec<Recv>> = std::sync::OnceLock::new();
        let msgs = MSGS.get_or_init(|| read_capture(L2).1);
        let m = &msgs[idx % msgs.len()];
        let mut f = feed("linear");
        let snap = msgs.iter().find(|r| r.data.contains("snapshot") && r.data.contains("orderbook")).expect("snap");
        let _ = f.on_message(snap.data.as_bytes(), 0);
        let b = m.data.as_bytes();
        let _ = f.on_message(&b[..cut.min(b.len())], 0);
        let mut flipped = b.to_vec();
        if !flipped.is_empty() {
            let i = flip.0 % flipped.len();
            flipped[i] = flip.1;
        }
        let _ = f.on_message(&flipped, 0);
    }
}
