//! engine_core: the synchronous, I/O-free hot path of the hedging engine.
//!
//! Python (the `pyengine` package) owns sockets, clocks and asyncio; this crate owns
//! everything that must be exact and fast: fixed-point decimals, L2 order books, venue
//! normalisers with their sequence/checksum rules, contract math and pre-trade risk.
//! It builds and tests without Python; the PyO3 bindings live in `python/` behind the
//! `python` feature.

pub mod book;
pub mod contracts;
pub mod decimal;
pub mod planner;
pub mod risk;
pub mod venue;
pub mod venues;

#[cfg(feature = "python")]
mod python;
