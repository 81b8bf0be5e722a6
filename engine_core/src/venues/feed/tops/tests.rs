//! The fused batch call answers exactly what a book query per changed book would.

use super::*;
use crate::venues::{Event, FeedOptions, Venue};

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/data/binance_usdm/l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"
);

/// (is REST, payload) of each capture line.
fn capture() -> Vec<(bool, Vec<u8>)> {
    std::fs::read(CAPTURE)
        .expect("capture")
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let i = l.iter().position(|&c| c == b' ').expect("tag");
            (
                l[i + 1..].starts_with(b"{\"lastUpdateId\""),
                l[i + 1..].to_vec(),
            )
        })
        .collect()
}

fn feed() -> Feed {
    Feed::new(Venue::BinanceUsdm, &FeedOptions::default()).expect("feed")
}

fn top_of(f: &Feed, sym: &str, depth: usize) -> Top {
    let ib = f.book(sym).expect("book");
    Top {
        symbol: ib.symbol.clone(),
        valid: ib.valid(),
        seq: ib.seq,
        ts_event: ib.ts_event,
        bids: levels(&ib.book, Side::Bid, depth),
        asks: levels(&ib.book, Side::Ask, depth),
        px_scale: ib.book.px_scale(),
        sz_scale: ib.book.sz_scale(),
    }
}

#[test]
fn fused_tops_equal_a_query_per_changed_book() {
    let msgs = capture();
    let (mut fused, mut plain) = (feed(), feed());
    let mut out = Vec::new();
    let mut compared = 0;
    for (i, (rest, raw)) in msgs.iter().enumerate() {
        if *rest {
            let _ = fused.on_rest_snapshot(None, raw, 0);
            let _ = plain.on_rest_snapshot(None, raw, 0);
            fused.discard_events();
            plain.discard_events();
            continue;
        }
        let ts = i64::try_from(i).expect("index");
        out.clear();
        fused.on_messages_tops([(raw.as_slice(), ts)], 5, &mut out);
        let _ = plain.on_message(raw, ts);
        let changed: Vec<Arc<str>> = plain
            .drain_events()
            .filter_map(|e| match e {
                Event::Book(b) => Some(b.symbol),
                Event::Fault(f) => Some(f.symbol),
                _ => None,
            })
            .fold(Vec::new(), |mut v, s| {
                if !v.contains(&s) {
                    v.push(s);
                }
                v
            });
        let want: Vec<Top> = changed.iter().map(|s| top_of(&plain, s, 5)).collect();
        assert_eq!(out, want, "message {i}");
        assert_eq!(fused.pending_events(), 0, "message {i}");
        compared += usize::from(!out.is_empty());
    }
    assert!(compared > 1000, "{compared}");
    assert_eq!(fused.stats(), plain.stats());
    assert!(out.first().is_some_and(|t| t.valid && t.bids.len() == 5));
}

#[test]
fn faults_stay_queued_and_their_book_is_answered_invalid() {
    let mut f = feed();
    let snap = br#"{"lastUpdateId":100,"E":1,"T":1,"bids":[["10","1"]],"asks":[["11","1"]]}"#;
    let _ = f.on_rest_snapshot(Some("BTCUSDT"), snap, 0);
    f.discard_events();
    let d = |u: i64, pu: i64| {
        format!(
            r#"{{"e":"depthUpdate","E":2,"T":2,"s":"BTCUSDT","U":{u},"u":{u},"pu":{pu},"b":[["10","2"]],"a":[]}}"#
        )
    };
    let (ok, gap) = (d(101, 99), d(150, 140));
    let mut out = Vec::new();
    f.on_messages_tops(
        [
            (ok.as_bytes(), 1),
            (gap.as_bytes(), 2),
            (b"junk".as_slice(), 3),
        ],
        10,
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert!(!out[0].valid && out[0].bids.is_empty());
    let queued: Vec<Event> = f.drain_events().collect();
    assert!(matches!(queued.as_slice(), [Event::Fault(_)]), "{queued:?}");
    assert_eq!(f.stats().rejected, 1);
    // Nothing changed: nothing answered.
    out.clear();
    f.on_messages_tops(std::iter::empty(), 10, &mut out);
    assert!(out.is_empty());
}
