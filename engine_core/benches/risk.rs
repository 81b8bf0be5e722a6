//! Criterion benches of per-position mark-to-market (`Portfolio::mark_each`).
//!
//! Target (issue 3): 10,000 positions marked >= 20x faster than the pure-Python Decimal
//! loop in `benches/test_bench_risk.py`. That ratio is measured from Python; these track
//! the Rust compute alone, in the bench's shape (20 instruments, half linear with
//! multiplier 1, half inverse with multiplier 10, quantities -100.000..100.000, entries
//! and marks 1500.00..2500.00), and split by payoff so each path's ns/position shows.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine_core::contracts::{Money, Payoff};
use engine_core::risk::portfolio::Portfolio;

const N_POS: usize = 10_000;
const N_INST: usize = 20;

/// A small deterministic generator (xorshift64*), so the bench needs no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `lo..=hi` (modulo bias is irrelevant here).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

/// The Python bench's portfolio; `payoff(k)` picks instrument `k`'s payoff.
fn portfolio(payoff: impl Fn(usize) -> Payoff) -> (Portfolio, Vec<Money>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let terms = (0..N_INST)
        .map(|k| {
            let p = payoff(k);
            let m = if p == Payoff::Linear { 1 } else { 10 };
            (p, Money::from(m))
        })
        .collect();
    let mut book = Portfolio::new(terms);
    for _ in 0..N_POS {
        let i = rng.range(0, N_INST as i64 - 1) as usize;
        let q = Money::new(rng.range(-100_000, 100_000), 3);
        let e = Money::new(rng.range(150_000, 250_000), 2);
        book.push(i, q, e).expect("push");
    }
    let marks = (0..N_INST)
        .map(|_| Money::new(rng.range(150_000, 250_000), 2))
        .collect();
    (book, marks)
}

/// The Python bench's payoffs: odd instruments linear, even ones inverse.
fn mixed(k: usize) -> Payoff {
    if k % 2 == 1 {
        Payoff::Linear
    } else {
        Payoff::Inverse
    }
}

fn bench_mark_each(c: &mut Criterion) {
    let mut g = c.benchmark_group("mark_each_10k");
    g.throughput(Throughput::Elements(N_POS as u64));
    for (name, payoff) in [
        ("mixed", mixed as fn(usize) -> Payoff),
        ("linear", |_| Payoff::Linear),
        ("inverse", |_| Payoff::Inverse),
    ] {
        let (book, marks) = portfolio(payoff);
        g.bench_function(name, |b| {
            b.iter(|| black_box(book.mark_each(black_box(&marks)).expect("mark")));
        });
    }
    g.finish();
}

criterion_group!(benches, bench_mark_each);
criterion_main!(benches);
