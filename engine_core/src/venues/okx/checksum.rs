//! The OKX order-book checksum: CRC32 of the top 25 levels as the venue wrote them.

use crate::book::{Book, Level, Side};
use crate::decimal::rescale;

/// Levels per side in the checksum string.
const CHECKSUM_DEPTH: usize = 25;

/// OKX checksum of a book: CRC32 over `bidPx:bidSz:askPx:askSz:...` for the top 25
/// levels, interleaved, continuing with one side when the other runs out; as i32.
/// `buf` is reused between calls.
pub(crate) fn checksum(book: &Book, buf: &mut String) -> i32 {
    buf.clear();
    let mut bids = book.levels(Side::Bid).take(CHECKSUM_DEPTH);
    let mut asks = book.levels(Side::Ask).take(CHECKSUM_DEPTH);
    loop {
        let (b, a) = (bids.next(), asks.next());
        if b.is_none() && a.is_none() {
            break;
        }
        for l in [b, a].into_iter().flatten() {
            push_level(buf, book, &l);
        }
    }
    buf.pop();
    // The venue compares the unsigned CRC reinterpreted as a signed 32-bit integer.
    crc32fast::hash(buf.as_bytes()) as i32
}

/// Append `px:sz:` as the venue wrote them (same text as [`Book::px_text`] and
/// [`Book::sz_text`], without allocating).
fn push_level(buf: &mut String, book: &Book, l: &Level) {
    push_text(buf, l.px, book.px_scale(), l.px_dp);
    buf.push(':');
    push_text(buf, l.sz, book.sz_scale(), l.sz_dp);
    buf.push(':');
}

fn push_text(buf: &mut String, m: i64, scale: u8, dp: u8) {
    let (v, dp) = match rescale(m, scale, dp) {
        Some(v) => (v, dp),
        None => (m, scale),
    };
    let mut digits = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let digits = &digits[i..];
    if v < 0 {
        buf.push('-');
    }
    let dp = usize::from(dp);
    let push = |buf: &mut String, d: &[u8]| buf.extend(d.iter().map(|&c| char::from(c)));
    if dp == 0 {
        push(buf, digits);
    } else if digits.len() > dp {
        let (int, frac) = digits.split_at(digits.len() - dp);
        push(buf, int);
        buf.push('.');
        push(buf, frac);
    } else {
        buf.push_str("0.");
        buf.extend(std::iter::repeat('0').take(dp - digits.len()));
        push(buf, digits);
    }
}
