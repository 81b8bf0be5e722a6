//! The REST-snapshot path (OKX's rule once the websocket snapshot is delisted) and the
//! zero checksum (OKX's value from 23 June 2026), through a whole [`Feed`].

use crate::book::Side;
use crate::venues::{Event, Fault, Feed, FeedOptions, Handled, Venue};

const INST: &str = "BTC-USDT-SWAP";

fn feed() -> Feed {
    Feed::new(Venue::Okx, &FeedOptions::default()).expect("feed")
}

/// A `books` update with one bid level, checksum 0.
fn update(prev: i64, seq: i64, bid_px: &str, bid_sz: &str) -> String {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"{INST}"}},"action":"update","data":[{{"asks":[],"bids":[["{bid_px}","{bid_sz}","0","1"]],"ts":"1700000000000","checksum":0,"seqId":{seq},"prevSeqId":{prev}}}]}}"#
    )
}

/// A REST body at `seq` with bid 100 x 1 and ask 101 x 2.
fn rest(seq: i64) -> String {
    format!(
        r#"{{"code":"0","msg":"","data":[{{"asks":[["101","2","0","1"]],"bids":[["100","1","0","1"]],"ts":"1700000000000","seqId":{seq}}}]}}"#
    )
}

fn bids(f: &Feed) -> Vec<(String, String)> {
    let ib = f.book(INST).expect("book");
    ib.book
        .levels(Side::Bid)
        .map(|l| (ib.book.px_text(l), ib.book.sz_text(l)))
        .collect()
}

fn gaps(f: &mut Feed) -> Vec<(i64, i64)> {
    f.drain_events()
        .filter_map(|e| match e {
            Event::Fault(b) => match b.fault {
                Fault::Gap { expected, got } => Some((expected, got)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

struct Case {
    /// (prevSeqId, seqId, bid price) of the updates buffered before the snapshot.
    buffered: &'static [(i64, i64, &'static str)],
    /// seqId of the REST snapshot.
    snapshot: i64,
    synced: bool,
    /// Bid prices of the book afterwards (best first), each of size 1.
    bids: &'static [&'static str],
    skipped: u64,
    gaps: &'static [(i64, i64)],
}

#[test]
fn rest_snapshot_bridges_the_buffered_stream() {
    let cases = [
        // TC0: nothing buffered: the snapshot alone syncs the book.
        Case {
            buffered: &[],
            snapshot: 10,
            synced: true,
            bids: &["100"],
            skipped: 0,
            gaps: &[],
        },
        // TC1: the first buffered event is older, the second bridges (prev 10 == snapshot).
        Case {
            buffered: &[(8, 10, "97"), (10, 12, "98"), (12, 13, "99")],
            snapshot: 10,
            synced: true,
            bids: &["100", "99", "98"],
            skipped: 1,
            gaps: &[],
        },
        // TC2: bridges strictly inside: prevSeqId 8 < snapshot 9 < seqId 10.
        Case {
            buffered: &[(8, 10, "97"), (10, 12, "98")],
            snapshot: 9,
            synced: true,
            bids: &["100", "98", "97"],
            skipped: 0,
            gaps: &[],
        },
        // TC3: the snapshot is older than the stream: a gap, the book waits for another.
        Case {
            buffered: &[(8, 10, "97"), (10, 12, "98")],
            snapshot: 7,
            synced: false,
            bids: &[],
            skipped: 0,
            gaps: &[(7, 8)],
        },
        // TC4: a buffered event was lost after the bridge.
        Case {
            buffered: &[(8, 10, "97"), (11, 12, "98")],
            snapshot: 9,
            synced: false,
            bids: &[],
            skipped: 0,
            gaps: &[(10, 11)],
        },
        // TC5: every buffered event is in the snapshot already.
        Case {
            buffered: &[(8, 10, "97"), (10, 12, "98")],
            snapshot: 12,
            synced: true,
            bids: &["100"],
            skipped: 2,
            gaps: &[],
        },
    ];
    for (i, tc) in cases.iter().enumerate() {
        let mut f = feed();
        for &(prev, seq, px) in tc.buffered {
            let r = f.on_message(update(prev, seq, px, "1").as_bytes(), 1);
            assert_eq!(r, Ok(Handled::Applied), "TC{i} buffered");
        }
        assert!(f.book(INST).is_none_or(|b| !b.synced), "TC{i} synced early");
        let r = f.on_rest_snapshot(Some(INST), rest(tc.snapshot).as_bytes(), 2);
        assert_eq!(r, Ok(Handled::Applied), "TC{i} snapshot");
        let ib = f.book(INST).expect("book");
        assert_eq!(ib.synced, tc.synced, "TC{i} synced");
        if tc.synced {
            let want: Vec<(String, String)> = tc
                .bids
                .iter()
                .map(|p| ((*p).to_owned(), "1".to_owned()))
                .collect();
            assert_eq!(bids(&f), want, "TC{i} bids");
        }
        assert_eq!(f.stats().skipped, tc.skipped, "TC{i} skipped");
        assert_eq!(gaps(&mut f), tc.gaps, "TC{i} gaps");
    }
}

#[test]
fn a_stale_snapshot_is_fetched_again_and_the_buffer_kept() {
    let mut f = feed();
    for (prev, seq, px) in [(8, 10, "97"), (10, 12, "98")] {
        f.on_message(update(prev, seq, px, "1").as_bytes(), 1)
            .expect("buffered");
    }
    f.on_rest_snapshot(Some(INST), rest(7).as_bytes(), 2)
        .expect("stale");
    assert!(!f.book(INST).expect("book").synced);
    // The stream goes on meanwhile; the next snapshot bridges all of it.
    f.on_message(update(12, 15, "99", "1").as_bytes(), 3)
        .expect("buffered");
    f.on_rest_snapshot(Some(INST), rest(11).as_bytes(), 4)
        .expect("fresh");
    assert!(f.book(INST).expect("book").synced);
    assert_eq!(bids(&f)[..3].len(), 3);
    assert_eq!(f.book(INST).expect("book").seq, 15);
    // Live updates chain from the last buffered one.
    f.on_message(update(15, 16, "99", "0").as_bytes(), 5)
        .expect("live");
    assert_eq!(f.book(INST).expect("book").seq, 16);
    f.on_message(update(17, 18, "99", "1").as_bytes(), 6)
        .expect("gap");
    assert!(!f.book(INST).expect("book").synced);
}

#[test]
fn zero_checksums_are_counted_not_checked() {
    let mut f = feed();
    let snap = format!(
        r#"{{"arg":{{"channel":"books","instId":"{INST}"}},"action":"snapshot","data":[{{"asks":[["101","2","0","1"]],"bids":[["100","1","0","1"]],"ts":"1","checksum":0,"seqId":5,"prevSeqId":-1}}]}}"#
    );
    f.on_message(snap.as_bytes(), 1).expect("snapshot");
    f.on_message(update(5, 6, "99", "1").as_bytes(), 2)
        .expect("update");
    let ib = f.book(INST).expect("book");
    assert!(ib.synced && ib.seq == 6);
    let s = f.stats();
    assert_eq!(
        (s.checksum_skipped, s.checksum_ok, s.checksum_failed),
        (2, 0, 0)
    );
    // A non-zero checksum is still checked: this one is wrong for the book.
    let bad = update(6, 7, "98", "1").replace(r#""checksum":0"#, r#""checksum":12345"#);
    f.on_message(bad.as_bytes(), 3).expect("counted");
    assert!(!f.book(INST).expect("book").synced);
    assert_eq!(f.stats().checksum_failed, 1);
}

#[test]
fn a_websocket_snapshot_supersedes_the_buffer_and_rest_is_then_ignored() {
    let mut f = feed();
    f.on_message(update(1, 2, "97", "1").as_bytes(), 1)
        .expect("buffered");
    let snap = format!(
        r#"{{"arg":{{"channel":"books","instId":"{INST}"}},"action":"snapshot","data":[{{"asks":[["101","2","0","1"]],"bids":[["100","1","0","1"]],"ts":"1","checksum":0,"seqId":5,"prevSeqId":-1}}]}}"#
    );
    f.on_message(snap.as_bytes(), 2).expect("snapshot");
    assert_eq!(bids(&f), vec![("100".to_owned(), "1".to_owned())]);
    let r = f.on_rest_snapshot(Some(INST), rest(9).as_bytes(), 3);
    assert_eq!(r, Ok(Handled::Ignored));
    assert_eq!(f.book(INST).expect("book").seq, 5);
}

#[test]
fn bad_rest_bodies_are_rejected() {
    let bodies = [
        // TC0: a venue error.
        (
            Some(INST),
            r#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#,
        ),
        // TC1: no seqId (source=0 not asked).
        (
            Some(INST),
            r#"{"code":"0","msg":"","data":[{"asks":[],"bids":[],"ts":"1"}]}"#,
        ),
        // TC2: no instrument given.
        (
            None,
            r#"{"code":"0","msg":"","data":[{"asks":[],"bids":[],"ts":"1","seqId":3}]}"#,
        ),
        // TC3: a bad level.
        (
            Some(INST),
            r#"{"code":"0","data":[{"asks":[["x","1","0","1"]],"bids":[],"ts":"1","seqId":3}]}"#,
        ),
        // TC4: not JSON.
        (Some(INST), "<html>"),
    ];
    for (i, (sym, body)) in bodies.into_iter().enumerate() {
        let mut f = feed();
        assert!(
            f.on_rest_snapshot(sym, body.as_bytes(), 1).is_err(),
            "TC{i}"
        );
        assert_eq!(f.stats().rejected, 1, "TC{i}");
        assert!(f.book(INST).is_none_or(|b| !b.synced), "TC{i}");
    }
}
