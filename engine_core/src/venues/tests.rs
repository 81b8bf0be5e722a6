//! Framework and Binance tests (other venues test themselves in their own modules).

use proptest::prelude::*;

use super::*;

#[test]
fn venue_names_round_trip() {
    for v in Venue::ALL {
        assert_eq!(v.name().parse::<Venue>().ok(), Some(v));
    }
    assert_eq!("ftx".parse::<Venue>(), Err(UnknownVenue("ftx".into())));
    let bad = FeedOptions {
        category: Some("linear".into()),
        max_buffer: None,
    };
    assert!(matches!(
        Feed::new(Venue::Okx, &bad),
        Err(VenueError::BadOption(_))
    ));
}

/// Feed a message cut at `at`, then the whole message with the byte at `at` XOR-ed with
/// `flip`: the two damages every normaliser's fuzz test applies to real messages.
pub(super) fn feed_truncated_and_flipped(feed: &mut Feed, m: &[u8], at: usize, flip: u8) {
    let _ = feed.on_message(&m[..at.min(m.len())], 0);
    let mut flipped = m.to_vec();
    if let Some(b) = flipped.get_mut(at) {
        *b ^= flip;
    }
    let _ = feed.on_message(&flipped, 0);
}

fn binance() -> Feed {
    Feed::new(Venue::BinanceUsdm, &FeedOptions::default()).expect("feed")
}

fn diff(first: i64, last: i64, prev: i64, bid: (&str, &str)) -> Vec<u8> {
    format!(
        r#"{{"e":"depthUpdate","E":1700000000000,"T":1,"s":"BTCUSDT","U":{first},"u":{last},"pu":{prev},"b":[["{}","{}"]],"a":[["200.0","1"]]}}"#,
        bid.0, bid.1
    )
    .into_bytes()
}

const SNAP: &[u8] =
    br#"{"lastUpdateId":100,"E":1700000000000,"T":1,"bids":[["99.0","1"],["98.0","2"]],"asks":[["201.0","3"]]}"#;

fn best_bid(f: &Feed) -> Option<String> {
    let ib = f.book("BTCUSDT")?;
    ib.book
        .best(crate::book::Side::Bid)
        .map(|l| ib.book.px_text(l))
}

#[test]
fn binance_buffers_until_snapshot_then_bridges() {
    let mut f = binance();
    // Stale (u < lastUpdateId) is dropped; the bridging diff has U <= 100 <= u.
    f.on_message(&diff(90, 95, 89, ("97.0", "1")), 1)
        .expect("stale");
    f.on_message(&diff(96, 105, 95, ("99.5", "1")), 2)
        .expect("bridge");
    f.on_message(&diff(106, 110, 105, ("99.6", "1")), 3)
        .expect("next");
    assert!(!f.book("BTCUSDT").expect("book").synced);
    f.on_rest_snapshot(None, SNAP, 4).expect("snapshot");
    let ib = f.book("BTCUSDT").expect("book");
    assert!(ib.valid());
    assert_eq!(ib.seq, 110);
    assert_eq!(best_bid(&f).as_deref(), Some("99.6"));
    assert_eq!(f.stats().skipped, 1);
    assert_eq!(f.stats().gaps, 0);
    // Live diffs chain on pu.
    f.on_message(&diff(111, 115, 110, ("99.7", "1")), 5)
        .expect("live");
    assert_eq!(best_bid(&f).as_deref(), Some("99.7"));
}

#[test]
fn binance_bridges_on_u_equal_last_update_id() {
    // Some captures bridge only at u == lastUpdateId (spot rule U <= L+1 would fail).
    let mut f = binance();
    f.on_message(&diff(95, 100, 94, ("99.5", "1")), 1)
        .expect("bridge");
    f.on_rest_snapshot(None, SNAP, 2).expect("snapshot");
    f.on_message(&diff(101, 102, 100, ("99.8", "1")), 3)
        .expect("live");
    assert!(f.book("BTCUSDT").expect("book").valid());
    assert_eq!(f.stats().gaps, 0);
}

#[test]
fn binance_snapshot_first_then_bridge_from_live_stream() {
    let mut f = binance();
    f.on_rest_snapshot(Some("BTCUSDT"), SNAP, 1)
        .expect("snapshot");
    f.on_message(&diff(80, 99, 79, ("97.0", "1")), 2)
        .expect("stale");
    f.on_message(&diff(99, 104, 98, ("99.5", "1")), 3)
        .expect("bridge");
    assert_eq!(f.stats().skipped, 1);
    assert_eq!(best_bid(&f).as_deref(), Some("99.5"));
    // A later diff that does not bridge a fresh snapshot is a gap.
    let mut g = binance();
    g.on_rest_snapshot(Some("BTCUSDT"), SNAP, 1)
        .expect("snapshot");
    g.on_message(&diff(101, 104, 100, ("99.5", "1")), 2)
        .expect("gap");
    assert_eq!(g.stats().gaps, 1);
    assert!(!g.book("BTCUSDT").expect("book").synced);
}

#[test]
fn binance_gap_invalidates_and_asks_for_resync() {
    let mut f = binance();
    f.on_message(&diff(96, 105, 95, ("99.5", "1")), 1)
        .expect("bridge");
    f.on_rest_snapshot(None, SNAP, 2).expect("snapshot");
    let _ = f.drain_events().count();
    // pu 106 != previous u 105: a message was lost.
    f.on_message(&diff(107, 110, 106, ("99.9", "1")), 3)
        .expect("gap");
    let events: Vec<Event> = f.drain_events().collect();
    assert!(matches!(
        events.as_slice(),
        [Event::Fault(BookFault {
            fault: Fault::Gap {
                expected: 105,
                got: 106
            },
            ..
        })]
    ));
    let ib = f.book("BTCUSDT").expect("book");
    assert!(!ib.synced && ib.book.is_empty());
    assert_eq!((f.stats().gaps, f.stats().resyncs), (1, 1));
    assert_eq!(f.unsynced().len(), 1);
    // The diff after the gap was kept: a new snapshot resyncs from it.
    let snap2 = br#"{"lastUpdateId":108,"bids":[["99.0","1"]],"asks":[["201.0","3"]]}"#;
    f.on_rest_snapshot(None, snap2, 4).expect("resync");
    let ib = f.book("BTCUSDT").expect("book");
    assert!(ib.valid());
    assert_eq!(ib.seq, 110);
}

#[test]
fn binance_snapshot_older_than_buffer_is_a_gap() {
    let mut f = binance();
    f.on_message(&diff(150, 160, 149, ("99.5", "1")), 1)
        .expect("buffered");
    f.on_rest_snapshot(None, SNAP, 2).expect("snapshot");
    assert_eq!(f.stats().gaps, 1);
    assert!(!f.book("BTCUSDT").expect("book").synced);
}

#[test]
fn binance_bad_level_is_rejected_without_touching_the_book() {
    let mut f = binance();
    f.on_rest_snapshot(Some("BTCUSDT"), SNAP, 1)
        .expect("snapshot");
    f.on_message(&diff(99, 101, 98, ("99.5", "1")), 2)
        .expect("bridge");
    let bad = diff(102, 103, 101, ("abc", "1"));
    assert!(f.on_message(&bad, 3).is_err());
    assert_eq!(f.stats().rejected, 1);
    assert_eq!(best_bid(&f).as_deref(), Some("99.5"));
    // The next diff chains from 101, not 103: the lost message is detected as a gap.
    f.on_message(&diff(104, 105, 103, ("99.6", "1")), 4)
        .expect("gap");
    assert_eq!(f.stats().gaps, 1);
}

#[test]
fn binance_snapshot_the_book_refuses_faults_it() {
    let mut f = binance();
    f.on_rest_snapshot(Some("BTCUSDT"), SNAP, 1)
        .expect("snapshot");
    assert!(f.book("BTCUSDT").expect("book").synced);
    // A negative size parses but cannot enter a book: the snapshot is refused and the
    // book, already cleared for it, is faulted rather than left empty and "synced".
    let bad = br#"{"lastUpdateId":200,"bids":[["99.0","-1"]],"asks":[["201.0","3"]]}"#;
    assert!(f.on_rest_snapshot(Some("BTCUSDT"), bad, 2).is_err());
    let ib = f.book("BTCUSDT").expect("book");
    assert!(!ib.synced && ib.book.is_empty());
    assert_eq!(f.stats().resyncs, 1);
    let faults: Vec<Event> = f
        .drain_events()
        .filter(|e| matches!(e, Event::Fault(_)))
        .collect();
    assert!(matches!(
        faults.as_slice(),
        [Event::Fault(BookFault {
            fault: Fault::BadMessage(_),
            ..
        })]
    ));
}

#[test]
fn binance_buffer_is_bounded_and_counts_drops() {
    let mut f = Feed::new(
        Venue::BinanceUsdm,
        &FeedOptions {
            category: None,
            max_buffer: Some(2),
        },
    )
    .expect("feed");
    for i in 0..5 {
        f.on_message(&diff(i * 10, i * 10 + 9, i * 10 - 1, ("99.5", "1")), 1)
            .expect("buffered");
    }
    assert_eq!(f.stats().buffer_dropped, 3);
}

#[test]
fn binance_other_streams_normalise() {
    let mut f = binance();
    let msgs: [&[u8]; 5] = [
        br#"{"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":1,"s":"BTCUSDT","b":"100.1","B":"2","a":"100.2","A":"3","T":1,"E":1700000000000}}"#,
        br#"{"e":"trade","E":1700000000000,"T":1,"s":"BTCUSDT","t":42,"p":"100.15","q":"0.5","X":"MARKET","m":true}"#,
        br#"{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}"#,
        br#"{"e":"kline","E":1,"s":"BTCUSDT","k":{}}"#,
        br#"{"result":null,"id":1}"#,
    ];
    for m in msgs {
        f.on_message(m, 7).expect("known");
    }
    let events: Vec<Event> = f.drain_events().collect();
    assert_eq!(events.len(), 3);
    let Event::Trade(t) = &events[1] else {
        panic!("trade expected")
    };
    assert_eq!(t.aggressor, Some(crate::book::Side::Ask));
    assert_eq!(t.price.to_string(), "100.15");
    let Event::Mark(m) = &events[2] else {
        panic!("mark expected")
    };
    assert_eq!(
        m.funding_rate.map(|r| r.to_string()).as_deref(),
        Some("0.00038167")
    );
    assert_eq!(m.next_funding_ns, Some(1_562_306_400_000_000_000));
    assert_eq!(f.stats().ignored, 2);
    // Trades and tickers never create books.
    assert_eq!(f.books().count(), 0);
    assert!(f.on_message(br#"{"e":"somethingNew"}"#, 1).is_err());
}

proptest! {
    #[test]
    fn no_normaliser_panics_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        for v in Venue::ALL {
            let mut f = Feed::new(v, &FeedOptions::default()).expect("feed");
            let _ = f.on_message(&bytes, 0);
            let _ = f.on_rest_snapshot(None, &bytes, 0);
        }
    }

    #[test]
    fn no_normaliser_panics_on_mutated_json(cut in 0usize..200, flip in 0usize..200, byte in any::<u8>()) {
        let samples: [&[u8]; 3] = [
            &diff(96, 105, 95, ("99.5", "1")),
            SNAP,
            br#"{"stream":"x","data":{"e":"bookTicker","s":"A","b":"1","B":"1","a":"2","A":"1"}}"#,
        ];
        for s in samples {
            let mut m = s.to_vec();
            if flip < m.len() { m[flip] = byte; }
            m.truncate(cut.min(m.len()));
            for v in Venue::ALL {
                let mut f = Feed::new(v, &FeedOptions::default()).expect("feed");
                let _ = f.on_message(&m, 0);
            }
        }
    }
}
