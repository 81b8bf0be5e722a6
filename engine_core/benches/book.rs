//! Criterion benches of the book hot path and the Binance normaliser.
//!
//! Targets (issue 2): one delta on a 200-level book <= 100 ns median; VWAP over a
//! 50-level sweep <= 1 us. The replay benches split JSON parsing from book work.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use engine_core::book::{Book, Side};
use engine_core::decimal::Fixed;
use engine_core::venues::{Feed, FeedOptions, Venue};

/// `n` levels a side, `step` ticks apart, around 60,000.0.
fn book(n: i64, step: i64) -> Book {
    let mut b = Book::with_scales(1, 3);
    for i in 0..n {
        b.apply(
            Side::Bid,
            Fixed::new(600_000 - i * step, 1),
            Fixed::new(1_000 + i, 3),
        )
        .expect("bid");
        b.apply(
            Side::Ask,
            Fixed::new(600_001 + i * step, 1),
            Fixed::new(1_000 + i, 3),
        )
        .expect("ask");
    }
    b
}

fn book_200() -> Book {
    book(200, 1)
}

fn bench_book(c: &mut Criterion) {
    let mut b = book_200();
    let mut i = 0i64;
    c.bench_function("book/delta_update_200_levels", |bch| {
        bch.iter(|| {
            i = (i + 7) % 200;
            b.apply(
                Side::Bid,
                Fixed::new(600_000 - i, 1),
                Fixed::new(2_000 + i, 3),
            )
            .expect("update");
        });
    });
    let mut b2 = book_200();
    c.bench_function("book/delta_insert_delete_200_levels", |bch| {
        bch.iter(|| {
            // Insert a level mid-book then delete it: two structural changes.
            b2.apply(Side::Ask, Fixed::new(6_000_505, 2), Fixed::new(1, 3))
                .expect("insert");
            b2.apply(Side::Ask, Fixed::new(6_000_505, 2), Fixed::new(0, 3))
                .expect("delete");
        });
    });
    // A Binance-like deep side: 2,000 levels over 6,000 ticks, so a third of them sit
    // in the dense window around the touch and the rest in the sorted chunks. Updates
    // stride through the whole side, deep levels included.
    let mut b3 = book(2_000, 3);
    let mut j = 0i64;
    c.bench_function("book/delta_update_2000_levels_whole_side", |bch| {
        bch.iter(|| {
            j = (j + 7) % 2_000;
            b3.apply(
                Side::Bid,
                Fixed::new(600_000 - j * 3, 1),
                Fixed::new(2_000 + j, 3),
            )
            .expect("update");
        });
    });
    // The worst case for the window: the best ask jumps 600 ticks down and back while
    // deep levels keep updating, so the window moves twice per iteration: down with
    // the jump, back up with the next deep update (the window only moves on an update
    // outside it).
    let mut b4 = book(2_000, 3);
    c.bench_function("book/window_moves_2000_levels_two_per_iter", |bch| {
        bch.iter(|| {
            b4.apply(Side::Ask, Fixed::new(599_401, 1), Fixed::new(1, 3))
                .expect("jump");
            b4.apply(Side::Ask, Fixed::new(599_401, 1), Fixed::new(0, 3))
                .expect("back");
            b4.apply(Side::Ask, Fixed::new(604_000, 1), Fixed::new(7, 3))
                .expect("deep");
        });
    });
    let deep = book_200();
    c.bench_function("book/vwap_sweep_50_levels", |bch| {
        // Sizes 1.000..1.049 over 50 levels: ask for just under their sum.
        bch.iter(|| black_box(deep.sweep(Side::Ask, black_box(51_000))));
    });
    c.bench_function("book/vwap_sweep_50_levels_windowed_side", |bch| {
        // The same sweep on the deep book, whose reads merge window and chunks.
        bch.iter(|| black_box(b3.sweep(Side::Ask, black_box(51_000))));
    });
}

fn capture() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/binance_usdm/l2_capture_btcusdt_perp_20240808_snapshot_plus_diffs.txt"
    );
    std::fs::read(path)
        .expect("capture")
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.splitn(2, |&c| c == b' ')
                .nth(1)
                .expect("payload")
                .to_vec()
        })
        .collect()
}

fn bench_replay(c: &mut Criterion) {
    let msgs = capture();
    c.bench_function("binance/replay_capture_full", |bch| {
        bch.iter_batched(
            || Feed::new(Venue::BinanceUsdm, &FeedOptions::default()).expect("feed"),
            |mut f| {
                for m in &msgs {
                    let _ = f.on_message(m, 0);
                }
                f.discard_events();
                f
            },
            BatchSize::LargeInput,
        );
    });
    c.bench_function("binance/json_parse_only", |bch| {
        bch.iter(|| {
            for m in &msgs {
                let v: Result<serde_json::Value, _> = serde_json::from_slice(m);
                black_box(v.is_ok());
            }
        });
    });
}

criterion_group!(benches, bench_book, bench_replay);
criterion_main!(benches);
