use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::venues::{BookFault, Feed, FeedOptions, Venue};

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/data/okx/l2_capture_v5_books_btcusd220527_uniusdswap_btcusdt_20220513_cryptofeed.jsonl"
);

fn data_file(name: &str) -> String {
    let path = format!("{}/../tests/data/okx/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("test data file")
}

/// Received payloads of a cryptofeed capture, in order.
fn read_capture() -> Vec<String> {
    let text = std::fs::read_to_string(CAPTURE).expect("capture file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).expect("capture line"))
        .filter(|v| v["t"] == "recv")
        .map(|v| v["data"].as_str().expect("data").to_owned())
        .collect()
}

fn feed() -> Feed {
    Feed::new(Venue::Okx, &FeedOptions::default()).expect("feed")
}

fn replay(msgs: &[String]) -> Feed {
    let mut f = feed();
    for m in msgs {
        // Outcomes are counted in the stats; the tests read those.
        let _ = f.on_message(m.as_bytes(), 0);
    }
    f
}

/// Decimal text as an integer count of 1e-18 (independent of `Fixed`).
fn units(t: &str) -> i128 {
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let mut f = frac.to_owned();
    f.extend(std::iter::repeat('0').take(18 - frac.len()));
    int.parse::<i128>().expect("int part") * 10i128.pow(18) + f.parse::<i128>().expect("frac")
}

/// price units -> (price text, size text), as received.
type Side2 = BTreeMap<i128, (String, String)>;

/// (bids best-first, asks best-first) as (price, size) text.
type Levels2 = (Vec<(String, String)>, Vec<(String, String)>);

/// The naive model: instId -> (bids, asks); snapshot replaces, update overwrites, "0"
/// deletes. Also checks every checksum in the file from the raw strings it keeps, which
/// makes the capture itself the oracle (independent of the code under test).
fn naive(msgs: &[String]) -> (HashMap<String, (Side2, Side2)>, u64) {
    let mut books: HashMap<String, (Side2, Side2)> = HashMap::new();
    let mut verified = 0;
    for m in msgs {
        let Ok(v) = serde_json::from_str::<Value>(m) else {
            continue;
        };
        if v["arg"]["channel"] != "books" || v.get("event").is_some() {
            continue;
        }
        let inst = v["arg"]["instId"].as_str().expect("instId").to_owned();
        let book = books.entry(inst).or_default();
        if v["action"] == "snapshot" {
            *book = Default::default();
        }
        let d = &v["data"][0];
        for (key, side) in [("bids", &mut book.0), ("asks", &mut book.1)] {
            for l in d[key].as_array().expect("levels") {
                let (p, s) = (l[0].as_str().expect("px"), l[1].as_str().expect("sz"));
                if units(s) == 0 {
                    side.remove(&units(p));
                } else {
                    side.insert(units(p), (p.to_owned(), s.to_owned()));
                }
            }
        }
        let mut parts: Vec<String> = Vec::new();
        let bids: Vec<_> = book.0.values().rev().take(25).collect();
        let asks: Vec<_> = book.1.values().take(25).collect();
        for i in 0..25 {
            for side in [&bids, &asks] {
                if let Some((p, s)) = side.get(i) {
                    parts.push(format!("{p}:{s}"));
                }
            }
        }
        let crc = crc32fast::hash(parts.join(":").as_bytes()) as i32;
        assert_eq!(
            Some(i64::from(crc)),
            d["checksum"].as_i64(),
            "capture checksum"
        );
        verified += 1;
    }
    (books, verified)
}

fn feed_levels(f: &Feed, inst: &str) -> Levels2 {
    let ib = f.book(inst).expect("book");
    let side = |s| {
        ib.book
            .levels(s)
            .map(|l| (ib.book.px_text(l), ib.book.sz_text(l)))
            .collect::<Vec<_>>()
    };
    (side(Side::Bid), side(Side::Ask))
}

fn model_levels(m: &(Side2, Side2)) -> Levels2 {
    (
        m.0.values().rev().cloned().collect(),
        m.1.values().cloned().collect(),
    )
}

fn assert_books_match_model(f: &Feed, msgs: &[String]) {
    let (model, _) = naive(msgs);
    assert_eq!(model.len(), 3);
    for (inst, m) in &model {
        assert!(f.book(inst).is_some_and(|b| b.synced), "{inst} not synced");
        assert_eq!(feed_levels(f, inst), model_levels(m), "{inst}");
    }
}

fn is_book(m: &str, action: &str) -> bool {
    m.contains(r#""channel":"books""#) && m.contains(&format!(r#""action":"{action}""#))
}

#[test]
fn capture_replays_with_every_checksum_verified() {
    let msgs = read_capture();
    let (_, verified) = naive(&msgs);
    assert_eq!(verified, 290);
    let mut f = feed();
    let mut buf = String::new();
    for m in &msgs {
        f.on_message(m.as_bytes(), 0).expect("clean capture");
        // The checksum text writer and the book's own text agree on every book state.
        if m.contains(r#""channel":"books""#) && m.contains("action") {
            let v: Value = serde_json::from_str(m).expect("json");
            let ib = f
                .book(v["arg"]["instId"].as_str().expect("inst"))
                .expect("book");
            let _ = checksum(&ib.book, &mut buf);
            let mut parts = Vec::new();
            let bids: Vec<_> = ib.book.levels(Side::Bid).take(25).collect();
            let asks: Vec<_> = ib.book.levels(Side::Ask).take(25).collect();
            for i in 0..25 {
                for side in [&bids, &asks] {
                    if let Some(l) = side.get(i) {
                        parts.push(format!("{}:{}", ib.book.px_text(l), ib.book.sz_text(l)));
                    }
                }
            }
            assert_eq!(buf, parts.join(":"));
        }
    }
    let s = *f.stats();
    assert_eq!(s.messages, msgs.len() as u64);
    assert_eq!(
        (s.rejected, s.gaps, s.checksum_failed, s.resyncs, s.skipped),
        (0, 0, 0, 0, 0)
    );
    assert_eq!((s.checksum_ok, s.book_updates), (290, 290));
    assert_eq!(s.ignored, 3 + 9 + 6);
    assert_books_match_model(&f, &msgs);
    let evs: Vec<Event> = f.drain_events().collect();
    assert!(evs.iter().filter(|e| matches!(e, Event::Trade(_))).count() >= 74);
    assert_eq!(
        evs.iter().filter(|e| matches!(e, Event::Bbo(_))).count(),
        28
    );
}

#[test]
fn damaged_copies_fail_their_checksum() {
    let msgs = read_capture();
    let updates: Vec<usize> = (0..msgs.len())
        .filter(|&i| is_book(&msgs[i], "update"))
        .collect();
    let inst = |i: usize| -> String {
        let v: Value = serde_json::from_str(&msgs[i]).expect("json");
        v["arg"]["instId"].as_str().expect("inst").to_owned()
    };
    // Dropping any update is caught by the next checksum of that instrument (it checks
    // the top 25 levels; every update in this capture touches them).
    for &victim in updates.iter().step_by(29) {
        let mut d = msgs.clone();
        d.remove(victim);
        let f = replay(&d);
        assert_eq!(f.stats().checksum_failed, 1, "drop {victim}");
        let ib = f.book(&inst(victim)).expect("book");
        assert!(!ib.synced && ib.book.is_empty(), "drop {victim}");
        // The updates after it wait, buffered, for a snapshot (none is dropped).
        assert_eq!((f.stats().skipped, f.stats().buffer_dropped), (0, 0));
        assert_eq!(f.stats().rejected, 0);
    }
    // Swapping two updates of one instrument: the first one applied fails.
    let victim = updates[updates.len() / 2];
    let next = updates
        .iter()
        .copied()
        .find(|&j| j > victim && inst(j) == inst(victim))
        .expect("next");
    let mut d = msgs.clone();
    d.swap(victim, next);
    let f = replay(&d);
    assert!(f.stats().checksum_failed >= 1);
    assert!(!f.book(&inst(victim)).expect("book").synced);
    // A duplicated update without seqId re-applies the same absolute sizes: idempotent
    // and undetectable by the venue rule, and harmless: the book stays right.
    let mut d = msgs.clone();
    d.insert(victim, msgs[victim].clone());
    let f = replay(&d);
    assert_eq!((f.stats().checksum_failed, f.stats().gaps), (0, 0));
    assert_eq!(f.stats().checksum_ok, 291);
    assert_books_match_model(&f, &msgs);
    // Garbage lines are rejections and touch no book.
    let garbage = [
        "",
        "{",
        "nope",
        "[]",
        r#"{"arg":{}}"#,
        r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["x"]]}]}"#,
    ];
    let mut d = msgs.clone();
    for (k, g) in garbage.iter().enumerate() {
        d.insert((k + 1) * msgs.len() / (garbage.len() + 1), (*g).to_owned());
    }
    let f = replay(&d);
    let s = f.stats();
    // The bad BTC-USDT update invalidates that book: it may have lost data.
    assert_eq!(
        (s.rejected, s.gaps, s.checksum_failed),
        (garbage.len() as u64, 0, 0)
    );
    assert_eq!(s.resyncs, 1);
}

/// The capture with seqId/prevSeqId added the way the venue sends them today.
fn with_seq_ids(msgs: &[String]) -> Vec<String> {
    let mut seq: HashMap<String, i64> = HashMap::new();
    msgs.iter()
        .map(|m| {
            let Ok(mut v) = serde_json::from_str::<Value>(m) else {
                return m.clone();
            };
            if v["arg"]["channel"] != "books" || v.get("action").is_none() {
                return m.clone();
            }
            let inst = v["arg"]["instId"].as_str().expect("inst").to_owned();
            let last = seq.entry(inst).or_insert(1000);
            let prev = if v["action"] == "snapshot" { -1 } else { *last };
            *last += 3;
            v["data"][0]["prevSeqId"] = prev.into();
            v["data"][0]["seqId"] = (*last).into();
            v.to_string()
        })
        .collect()
}

#[test]
fn seq_ids_catch_drops_duplicates_and_swaps() {
    let msgs = with_seq_ids(&read_capture());
    let f = replay(&msgs);
    assert_eq!(
        (
            f.stats().gaps,
            f.stats().checksum_failed,
            f.stats().checksum_ok
        ),
        (0, 0, 290)
    );
    let updates: Vec<usize> = (0..msgs.len())
        .filter(|&i| is_book(&msgs[i], "update"))
        .collect();
    let victim = updates[100];
    let mut dropped = msgs.clone();
    dropped.remove(victim);
    let mut dup = msgs.clone();
    dup.insert(victim, msgs[victim].clone());
    let inst = |i: usize| {
        let v: Value = serde_json::from_str(&msgs[i]).expect("json");
        v["arg"]["instId"].as_str().map(str::to_owned)
    };
    let next = updates
        .iter()
        .copied()
        .find(|&j| j > victim && inst(j) == inst(victim))
        .expect("next");
    let mut swapped = msgs.clone();
    swapped.swap(victim, next);
    for d in [dropped, dup, swapped] {
        let f = replay(&d);
        assert!(f.stats().gaps >= 1);
        let evs: Vec<Event> = replay(&d).drain_events().collect();
        assert!(evs.iter().any(|e| matches!(
            e,
            Event::Fault(BookFault {
                fault: Fault::Gap { .. },
                ..
            })
        )));
    }
}

#[test]
fn heartbeat_and_sequence_reset_follow_prev_seq_id() {
    let mut f = feed();
    let snap = r#"{"arg":{"channel":"books","instId":"X"},"action":"snapshot","data":[{"asks":[["2","1","0","1"]],"bids":[["1","1","0","1"]],"ts":"1","checksum":CS,"prevSeqId":-1,"seqId":10}]}"#;
    let book_cs = |s: &str| {
        let cs = crc32fast::hash(s.as_bytes()) as i32;
        cs.to_string()
    };
    f.on_message(snap.replace("CS", &book_cs("1:1:2:1")).as_bytes(), 0)
        .expect("snap");
    // No change for a while: empty update, seqId == prevSeqId == last.
    let hb = r#"{"arg":{"channel":"books","instId":"X"},"action":"update","data":[{"asks":[],"bids":[],"ts":"2","checksum":CS,"prevSeqId":10,"seqId":10}]}"#;
    f.on_message(hb.replace("CS", &book_cs("1:1:2:1")).as_bytes(), 0)
        .expect("hb");
    // Maintenance reset: seqId goes down, still linked by prevSeqId.
    let reset = r#"{"arg":{"channel":"books","instId":"X"},"action":"update","data":[{"asks":[],"bids":[["1.5","2","0","1"]],"ts":"3","checksum":CS,"prevSeqId":10,"seqId":3}]}"#;
    f.on_message(reset.replace("CS", &book_cs("1.5:2:2:1:1:1")).as_bytes(), 0)
        .expect("reset");
    let s = f.stats();
    assert_eq!(
        (s.gaps, s.checksum_failed, s.checksum_ok, s.book_updates),
        (0, 0, 3, 3)
    );
    assert_eq!(f.book("X").map(|b| (b.seq, b.synced)), Some((3, true)));
    // A wrong checksum invalidates.
    let bad = r#"{"arg":{"channel":"books","instId":"X"},"action":"update","data":[{"asks":[],"bids":[],"ts":"4","checksum":5,"prevSeqId":3,"seqId":3}]}"#;
    f.on_message(bad.as_bytes(), 0).expect("verdict, not error");
    assert_eq!(f.stats().checksum_failed, 1);
    assert!(!f.book("X").expect("book").synced);
}

#[test]
fn docs_examples_are_not_checksum_oracles() {
    // The docs snapshot's checksum does not match its own levels: caught as such.
    let mut f = feed();
    f.on_message(data_file("ws_books_snapshot_nautilus.json").as_bytes(), 0)
        .expect("snapshot");
    assert_eq!(f.stats().checksum_failed, 1);
    // Its update then waits, buffered, for a new snapshot.
    let r = f
        .on_message(data_file("ws_books_update_nautilus.json").as_bytes(), 0)
        .expect("update");
    assert_eq!(r, Handled::Applied);
    assert_eq!((f.stats().skipped, f.stats().rejected), (0, 0));
    assert!(f.books().all(|b| !b.synced));
}

#[test]
fn trades_tickers_marks_and_funding() {
    let mut f = feed();
    f.on_message(data_file("ws_trades_nautilus.json").as_bytes(), 9)
        .expect("trades");
    f.on_message(data_file("ws_tickers_nautilus.json").as_bytes(), 9)
        .expect("tickers");
    let mark = r#"{"arg":{"channel":"mark-price","instId":"BTC-USDT-SWAP"},"data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP","markPx":"42310.6","ts":"1630049139746"}]}"#;
    f.on_message(mark.as_bytes(), 9).expect("mark");
    let funding = r#"{"arg":{"channel":"funding-rate","instId":"BTC-USD-SWAP"},"data":[{"fundingRate":"0.0001875391284828","fundingTime":"1700726400000","instId":"BTC-USD-SWAP","instType":"SWAP","method":"current_period","maxFundingRate":"0.00375","minFundingRate":"-0.00375","nextFundingRate":"","nextFundingTime":"1700755200000","premium":"0.0001233824646391","settFundingRate":"0.0001699799259033","settState":"settled","ts":"1700724675402"}]}"#;
    f.on_message(funding.as_bytes(), 9).expect("funding");
    let evs: Vec<Event> = f.drain_events().collect();
    let [Event::Trade(t), Event::Bbo(b), Event::Mark(m), Event::Mark(fr)] = evs.as_slice() else {
        panic!("{evs:?}")
    };
    assert_eq!(
        (&*t.symbol, t.trade_id.as_str(), t.aggressor),
        ("BTC-USD", "130639474", Some(Side::Bid))
    );
    assert_eq!(
        (t.price.to_string(), t.size.to_string(), t.ts_event),
        (
            "42219.9".into(),
            "0.12060306".into(),
            1_630_048_897_897_000_000
        )
    );
    assert_eq!(
        (
            b.bid_px.to_string(),
            b.ask_px.to_string(),
            b.ask_sz.to_string()
        ),
        ("8888.88".into(), "9999.99".into(), "11".into())
    );
    assert_eq!(m.mark_px.map(|x| x.to_string()), Some("42310.6".into()));
    assert_eq!(
        fr.funding_rate.map(|x| x.to_string()),
        Some("0.0001875391284828".into())
    );
    assert_eq!(fr.next_funding_ns, Some(1_700_726_400_000_000_000));
    // Empty sides: no BBO.
    let empty = r#"{"arg":{"channel":"tickers","instId":"X"},"data":[{"instId":"X","bidPx":"","bidSz":"","askPx":"1","askSz":"1","ts":"1"}]}"#;
    assert_eq!(f.on_message(empty.as_bytes(), 0), Ok(Handled::Ignored));
}

#[test]
fn control_messages() {
    let mut f = feed();
    for m in [
        "pong",
        r#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}"#,
        r#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade.","connId":"a4d3ae55"}"#,
        r#"{"arg":{"channel":"candle1m","instId":"BTC-USDT"},"data":[["1597026383085","8533.02","8553.74","8527.17","8548.26","45247","529.5858061","529.58","0"]]}"#,
    ] {
        assert_eq!(f.on_message(m.as_bytes(), 0), Ok(Handled::Ignored), "{m}");
    }
    let err = r#"{"event":"error","code":"60012","msg":"Invalid request","connId":"a4d3ae55"}"#;
    assert!(matches!(
        f.on_message(err.as_bytes(), 0),
        Err(VenueError::UnknownMessage(_))
    ));
    assert!(f
        .on_message(br#"{"arg":{"channel":"nosuch","instId":"X"},"data":[]}"#, 0)
        .is_err());
    assert!(f
        .on_message(br#"{"arg":{"channel":"books","instId":"X"},"data":[]}"#, 0)
        .is_err());
}

#[test]
fn full_snapshot_channels_and_depth_ownership() {
    let mut f = feed();
    let b5 = |bid: &str| {
        format!(
            r#"{{"arg":{{"channel":"books5","instId":"X"}},"data":[{{"asks":[["11","1","0","1"]],"bids":[["{bid}","1","0","1"],["9","1","0","1"]],"instId":"X","ts":"5","seqId":7}}]}}"#
        )
    };
    f.on_message(b5("10").as_bytes(), 0).expect("books5");
    f.on_message(b5("10.5").as_bytes(), 0).expect("books5");
    let ib = f.book("X").expect("book");
    assert_eq!(
        (ib.synced, ib.book.len(Side::Bid), f.stats().book_updates),
        (true, 2, 2)
    );
    assert_eq!(
        ib.book.best(Side::Bid).map(|l| ib.book.px_text(l)),
        Some("10.5".into())
    );
    // bbo-tbt next to books5: shallower, so it becomes a BBO and leaves the book alone.
    let bbo = r#"{"arg":{"channel":"bbo-tbt","instId":"X"},"data":[{"asks":[["12","1","0","1"]],"bids":[["8","1","0","1"]],"ts":"6","seqId":8}]}"#;
    assert_eq!(f.on_message(bbo.as_bytes(), 0), Ok(Handled::Applied));
    assert_eq!(f.book("X").expect("book").book.len(Side::Bid), 2);
    assert!(f.drain_events().any(|e| matches!(e, Event::Bbo(_))));
}

#[derive(Debug, Clone)]
enum Op {
    Snapshot(Vec<(u16, u8)>, Vec<(u16, u8)>),
    Update(Vec<(bool, u16, u8)>),
    /// An update sent with a wrong checksum.
    Corrupt,
}

fn px(p: u16) -> String {
    format!("{}.{}", p / 10, p % 10)
}

fn okx_levels<'a>(v: impl Iterator<Item = &'a (u16, u8)>) -> String {
    v.map(|(p, s)| format!(r#"["{}","{s}","0","1"]"#, px(*p)))
        .collect::<Vec<_>>()
        .join(",")
}

fn model_checksum(m: &(BTreeMap<u16, u8>, BTreeMap<u16, u8>)) -> i32 {
    let bids: Vec<String> =
        m.0.iter()
            .rev()
            .take(25)
            .map(|(p, s)| format!("{}:{s}", px(*p)))
            .collect();
    let asks: Vec<String> =
        m.1.iter()
            .take(25)
            .map(|(p, s)| format!("{}:{s}", px(*p)))
            .collect();
    let mut parts = Vec::new();
    for i in 0..25 {
        parts.extend(bids.get(i).cloned());
        parts.extend(asks.get(i).cloned());
    }
    crc32fast::hash(parts.join(":").as_bytes()) as i32
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let lv = || prop::collection::vec((1u16..600, 1u8..20), 0..40);
    prop_oneof![
        1 => (lv(), lv()).prop_map(|(b, a)| Op::Snapshot(b, a)),
        8 => prop::collection::vec((any::<bool>(), 1u16..600, 0u8..4), 0..10).prop_map(Op::Update),
        1 => Just(Op::Corrupt),
    ]
}

proptest! {
    #[test]
    fn random_sequences_match_a_btreemap_and_checksums_agree(ops in prop::collection::vec(op_strategy(), 1..40), with_seq in any::<bool>()) {
        let mut f = feed();
        // None: waiting for a snapshot.
        let mut model: Option<(BTreeMap<u16, u8>, BTreeMap<u16, u8>)> = None;
        let (mut seq, mut corrupted) = (100i64, 0u64);
        for op in &ops {
            let (action, bids, asks, cs) = match op {
                Op::Snapshot(b, a) => {
                    let mut m = (BTreeMap::new(), BTreeMap::new());
                    m.0.extend(b.iter().copied());
                    m.1.extend(a.iter().copied());
                    let cs = model_checksum(&m);
                    model = Some(m);
                    ("snapshot", okx_levels(b.iter()), okx_levels(a.iter()), cs)
                }
                Op::Update(ls) => {
                    let mut cs = 0;
                    if let Some(m) = model.as_mut() {
                        for &(bid, p, s) in ls {
                            let side = if bid { &mut m.0 } else { &mut m.1 };
                            if s == 0 { side.remove(&p); } else { side.insert(p, s); }
                        }
                        cs = model_checksum(m);
                    }
                    let b: Vec<_> = ls.iter().filter(|l| l.0).map(|l| (l.1, l.2)).collect();
                    let a: Vec<_> = ls.iter().filter(|l| !l.0).map(|l| (l.1, l.2)).collect();
                    ("update", okx_levels(b.iter()), okx_levels(a.iter()), cs)
                }
                Op::Corrupt => {
                    let cs = model.as_ref().map_or(0, model_checksum);
                    if model.take().is_some() {
                        corrupted += 1;
                    }
                    ("update", String::new(), String::new(), cs.wrapping_add(1))
                }
            };
            let prev = if action == "snapshot" { -1 } else { seq };
            seq += 1;
            let seq_part = if with_seq { format!(r#","prevSeqId":{prev},"seqId":{seq}"#) } else { String::new() };
            let msg = format!(r#"{{"arg":{{"channel":"books-l2-tbt","instId":"X"}},"action":"{action}","data":[{{"asks":[{asks}],"bids":[{bids}],"ts":"1","checksum":{cs}{seq_part}}}]}}"#);
            prop_assert!(f.on_message(msg.as_bytes(), 0).is_ok());
        }
        prop_assert_eq!((f.stats().gaps, f.stats().checksum_failed), (0, corrupted));
        match (&model, f.book("X")) {
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
        let _ = feed().on_message(&bytes, 0);
    }

    #[test]
    fn damaged_real_messages_never_panic(idx in 0usize..500, cut in 0usize..20000, flip in any::<(usize, u8)>()) {
        static MSGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let msgs = MSGS.get_or_init(read_capture);
        let mut f = feed();
        for m in msgs.iter().filter(|m| is_book(m, "snapshot")) {
            let _ = f.on_message(m.as_bytes(), 0);
        }
        let b = msgs[idx % msgs.len()].as_bytes();
        let _ = f.on_message(&b[..cut.min(b.len())], 0);
        let mut flipped = b.to_vec();
        if !flipped.is_empty() {
            let i = flip.0 % flipped.len();
            flipped[i] = flip.1;
        }
        let _ = f.on_message(&flipped, 0);
    }
}
