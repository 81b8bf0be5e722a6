//! Table tests of each venue's sequence rule: a sequencer state, an update, the step it
//! gives and the state after.

use super::*;

const fn gap(expected: i64, got: i64) -> Step {
    Step::Gap { expected, got }
}

/// `(U, u, pu)` of a Binance diff.
type Diff = (i64, i64, i64);

struct BinanceCase {
    state: BinanceSequencer,
    diff: Diff,
    want: Step,
    after: BinanceSequencer,
}

fn binance(snapshot_id: i64, last_u: i64, bridged: bool) -> BinanceSequencer {
    BinanceSequencer {
        snapshot_id,
        last_u,
        bridged,
    }
}

#[test]
fn binance_live_diffs() {
    let cases = [
        // TC0: step 4, older than the snapshot: skipped, nothing changes.
        BinanceCase {
            state: BinanceSequencer::new(100),
            diff: (90, 99, 89),
            want: Step::Skip,
            after: binance(100, 100, false),
        },
        // TC1: step 5, bridges inside the range.
        BinanceCase {
            state: BinanceSequencer::new(100),
            diff: (95, 105, 94),
            want: Step::Apply,
            after: binance(100, 105, true),
        },
        // TC2: step 5, bridges exactly at u == lastUpdateId (seen in captures).
        BinanceCase {
            state: BinanceSequencer::new(100),
            diff: (90, 100, 89),
            want: Step::Apply,
            after: binance(100, 100, true),
        },
        // TC3: step 5, bridges exactly at U == lastUpdateId.
        BinanceCase {
            state: BinanceSequencer::new(100),
            diff: (100, 110, 99),
            want: Step::Apply,
            after: binance(100, 110, true),
        },
        // TC4: step 5 fails: the first diff starts after the snapshot (the spot rule's
        // U == lastUpdateId + 1 is not enough on futures).
        BinanceCase {
            state: BinanceSequencer::new(100),
            diff: (101, 110, 100),
            want: gap(100, 101),
            after: binance(100, 100, false),
        },
        // TC5: step 6, pu chains.
        BinanceCase {
            state: binance(100, 105, true),
            diff: (106, 112, 105),
            want: Step::Apply,
            after: binance(100, 112, true),
        },
        // TC6: step 6, pu chains even when U does not follow u (futures ids jump).
        BinanceCase {
            state: binance(100, 105, true),
            diff: (140, 150, 105),
            want: Step::Apply,
            after: binance(100, 150, true),
        },
        // TC7: step 6 fails: a diff was lost.
        BinanceCase {
            state: binance(100, 105, true),
            diff: (113, 120, 112),
            want: gap(105, 112),
            after: binance(100, 105, true),
        },
        // TC8: step 6 fails on a stale live diff, even one older than the snapshot.
        BinanceCase {
            state: binance(100, 105, true),
            diff: (90, 99, 89),
            want: gap(105, 89),
            after: binance(100, 105, true),
        },
    ];
    for (i, tc) in cases.into_iter().enumerate() {
        let mut s = tc.state;
        let (first, last, prev) = tc.diff;
        assert_eq!(s.check(first, last, prev), tc.want, "TC{i} step");
        assert_eq!(s, tc.after, "TC{i} state");
    }
}

#[test]
fn binance_buffered_diffs() {
    let cases = [
        // TC0: step 4 before the bridge, as for a live diff.
        BinanceCase {
            state: BinanceSequencer::new(100),
            diff: (90, 99, 89),
            want: Step::Skip,
            after: binance(100, 100, false),
        },
        // TC1: step 5.
        BinanceCase {
            state: BinanceSequencer::new(100),
            diff: (95, 105, 94),
            want: Step::Apply,
            after: binance(100, 105, true),
        },
        // TC2: step 4 still drops a buffered diff older than the snapshot after the
        // bridge (a live one would be a gap: see binance_live_diffs TC8).
        BinanceCase {
            state: binance(100, 105, true),
            diff: (90, 99, 89),
            want: Step::Skip,
            after: binance(100, 105, true),
        },
        // TC3: step 6 for the buffered diffs after the bridge.
        BinanceCase {
            state: binance(100, 105, true),
            diff: (106, 108, 105),
            want: Step::Apply,
            after: binance(100, 108, true),
        },
        // TC4: step 6 fails.
        BinanceCase {
            state: binance(100, 105, true),
            diff: (107, 108, 106),
            want: gap(105, 106),
            after: binance(100, 105, true),
        },
    ];
    for (i, tc) in cases.into_iter().enumerate() {
        let mut s = tc.state;
        let (first, last, prev) = tc.diff;
        assert_eq!(s.check_buffered(first, last, prev), tc.want, "TC{i} step");
        assert_eq!(s, tc.after, "TC{i} state");
    }
}

#[test]
fn binance_replay_bridges_once_then_chains() {
    let mut s = BinanceSequencer::new(100);
    let buffered: [(Diff, Step); 4] = [
        ((80, 90, 79), Step::Skip),
        ((91, 101, 90), Step::Apply),
        ((102, 104, 101), Step::Apply),
        ((105, 107, 103), gap(104, 103)),
    ];
    for ((first, last, prev), want) in buffered {
        assert_eq!(s.check_buffered(first, last, prev), want);
    }
    assert!(s.bridged());
    assert_eq!(s.last_u(), 104);
}

#[test]
fn bybit_deltas() {
    // (last u, delta u, step, last u after)
    let cases = [
        // TC0: step 3, the next id.
        (10, 11, Step::Apply, 11),
        // TC1: step 3, a lost delta.
        (10, 12, gap(11, 12), 10),
        // TC2: a repeated id is a gap for a delta (only snapshots may repeat, step 2).
        (10, 10, gap(11, 10), 10),
        // TC3: an older id.
        (10, 3, gap(11, 3), 10),
        // TC4: after a restart snapshot (u = 1) the deltas continue from 1.
        (1, 2, Step::Apply, 2),
        // TC5: no overflow at the top of the range.
        (i64::MAX, 1, gap(i64::MAX, 1), i64::MAX),
    ];
    for (i, (last, u, want, after)) in cases.into_iter().enumerate() {
        let mut s = BybitSequencer::resume(last);
        assert_eq!(s.check(u), want, "TC{i} step");
        assert_eq!(s.last_u(), after, "TC{i} state");
    }
}

#[test]
fn okx_updates() {
    // (snapshot seqId, update prevSeqId, update seqId, step, last after, known after)
    let cases = [
        // TC0: step 2, linked.
        (Some(100), Some(100), Some(105), Step::Apply, 105, true),
        // TC1: step 2, a heartbeat repeats the id as both.
        (Some(100), Some(100), Some(100), Step::Apply, 100, true),
        // TC2: step 3, a reset gives a smaller seqId, still linked.
        (Some(100), Some(100), Some(7), Step::Apply, 7, true),
        // TC3: step 2 fails: a lost update.
        (Some(100), Some(103), Some(108), gap(100, 103), 100, true),
        // TC4: step 4, a snapshot without ids: the update is not sequenced.
        (None, Some(55), Some(60), Step::Apply, 60, true),
        // TC5: step 4, an update without ids passes and the next one is not checked.
        (Some(100), None, None, Step::Apply, 100, false),
    ];
    for (i, (snap, prev, seq, want, last, known)) in cases.into_iter().enumerate() {
        let mut s = OkxSequencer::snapshot(snap);
        assert_eq!(s.check(prev, seq), want, "TC{i} step");
        assert_eq!(
            s,
            OkxSequencer {
                last,
                known,
                bridging: false
            },
            "TC{i} state"
        );
    }
}

#[test]
fn okx_unsequenced_update_disarms_the_next_check() {
    let mut s = OkxSequencer::snapshot(Some(100));
    assert_eq!(s.check(None, None), Step::Apply);
    // The previous message had no seqId, so nothing to link this prevSeqId to.
    assert_eq!(s.check(Some(999), Some(1000)), Step::Apply);
    assert_eq!(s.check(Some(1001), Some(1002)), gap(1000, 1001));
}

#[test]
fn okx_rest_snapshot_bridge() {
    // (REST snapshot seqId, event prevSeqId, event seqId, step, last after, bridging after)
    let cases = [
        // TC0: rule 5, an event already in the snapshot is dropped.
        (100, Some(90), Some(95), Step::Skip, 100, true),
        // TC1: rule 5, its seqId equals the snapshot's: dropped too.
        (100, Some(95), Some(100), Step::Skip, 100, true),
        // TC2: rule 6, prevSeqId < snapshot < seqId bridges.
        (100, Some(98), Some(104), Step::Apply, 104, false),
        // TC3: rule 6, prevSeqId == snapshot bridges (the usual case).
        (100, Some(100), Some(104), Step::Apply, 104, false),
        // TC4: rule 6 fails: the snapshot is older than the stream (fetch again).
        (100, Some(102), Some(104), gap(100, 102), 100, true),
        // TC5: rule 5, a heartbeat at the snapshot's id is dropped.
        (100, Some(100), Some(100), Step::Skip, 100, true),
        // TC6: rule 7, an event without ids cannot bridge.
        (100, None, None, gap(100, -1), 100, true),
        // TC7: rule 7, an event with seqId but no prevSeqId cannot either.
        (100, None, Some(104), gap(100, -1), 100, true),
    ];
    for (i, (snap, prev, seq, want, last, bridging)) in cases.into_iter().enumerate() {
        let mut s = OkxSequencer::rest(snap);
        assert_eq!(s.check(prev, seq), want, "TC{i} step");
        assert_eq!(
            s,
            OkxSequencer {
                last,
                known: true,
                bridging
            },
            "TC{i} state"
        );
    }
}

#[test]
fn okx_rest_bridge_then_chain() {
    // Buffered (prevSeqId, seqId) after a REST snapshot at 100, in order.
    let mut s = OkxSequencer::rest(100);
    let steps = [
        // TC0: older than the snapshot.
        ((90, 97), Step::Skip),
        // TC1: bridges.
        ((97, 103), Step::Apply),
        // TC2: rule 2 from now on.
        ((103, 110), Step::Apply),
        // TC3: a heartbeat.
        ((110, 110), Step::Apply),
        // TC4: an event older than the snapshot is now a gap, not a skip.
        ((90, 97), gap(110, 90)),
    ];
    for (i, ((prev, seq), want)) in steps.into_iter().enumerate() {
        assert_eq!(s.check(Some(prev), Some(seq)), want, "TC{i}");
    }
    assert!(!s.bridging());
}

#[test]
fn deribit_changes() {
    // (last change_id, prev_change_id, change_id, step, last after)
    let cases = [
        // TC0: step 2, linked (ids grow but skip numbers).
        (500, 500, 517, Step::Apply, 517),
        // TC1: step 3, a lost change.
        (500, 510, 517, gap(500, 510), 500),
        // TC2: step 3, a duplicate of the last change.
        (517, 500, 517, gap(517, 500), 517),
    ];
    for (i, (last, prev, id, want, after)) in cases.into_iter().enumerate() {
        let mut s = DeribitSequencer::resume(last);
        assert_eq!(s.check(prev, id), want, "TC{i} step");
        assert_eq!(s.last(), after, "TC{i} state");
    }
}

#[test]
fn only_a_gap_is_a_fault() {
    assert_eq!(Step::Apply.fault(), None);
    assert_eq!(Step::Skip.fault(), None);
    assert_eq!(
        gap(4, 9).fault(),
        Some(Fault::Gap {
            expected: 4,
            got: 9
        })
    );
}
