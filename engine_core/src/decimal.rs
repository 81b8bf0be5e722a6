//! Exact decimal text <-> fixed-point integers.
//!
//! Venues send prices and sizes as decimal text (`"61496.50"`) or as JSON numbers
//! (`32150.5`). Both are parsed here into an integer mantissa plus the number of decimals
//! as written, never through `f64`: a price that is summed, stored or compared must be
//! exact, and OKX's checksum needs the text back byte for byte (trailing zeros included).

use std::fmt;

/// Largest number of decimals we carry (10^18 still fits in an i64).
pub const MAX_SCALE: u8 = 18;

const POW10: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// 10^n as i64 (n <= 18).
#[inline]
#[must_use]
pub fn pow10(n: u8) -> i64 {
    POW10[n as usize]
}

/// Why a decimal could not be parsed or rescaled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The text is not a decimal number.
    #[error("not a decimal number: {0:?}")]
    Syntax(String),
    /// The value does not fit an i64 mantissa at the needed scale.
    #[error("decimal out of range: {0:?}")]
    Overflow(String),
    /// More than [`MAX_SCALE`] decimals.
    #[error("too many decimals (max {MAX_SCALE}): {0:?}")]
    TooPrecise(String),
}

/// A decimal value: `mantissa x 10^-scale`, with `scale` the decimals as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Fixed {
    /// Signed integer digits.
    pub mantissa: i64,
    /// Number of decimals (0..=18).
    pub scale: u8,
}

impl Fixed {
    /// Zero with no decimals.
    pub const ZERO: Fixed = Fixed {
        mantissa: 0,
        scale: 0,
    };

    /// Build from parts; `scale` must be <= [`MAX_SCALE`].
    #[must_use]
    pub const fn new(mantissa: i64, scale: u8) -> Self {
        Fixed { mantissa, scale }
    }

    /// Parse decimal text exactly (`"1.50"`, `"-3"`, `"2.5e-7"`, `"1E+3"`).
    ///
    /// # Errors
    /// [`DecimalError`] if the text is not a number, overflows i64 or has more than 18 decimals.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        parse_bytes(text.as_bytes()).ok_or_else(|| classify_error(text))
    }

    /// Parse ASCII decimal bytes (hot path: no UTF-8 check); None if not a decimal.
    #[inline]
    #[must_use]
    pub fn parse_ascii(text: &[u8]) -> Option<Self> {
        parse_bytes(text)
    }

    /// True if the value is zero (at any scale).
    #[inline]
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// The mantissa at another scale, if exactly representable and in range.
    #[inline]
    #[must_use]
    pub fn at_scale(self, scale: u8) -> Option<i64> {
        rescale(self.mantissa, self.scale, scale)
    }

    /// The smallest scale that represents this value exactly (trailing zeros removed).
    #[must_use]
    pub fn min_scale(self) -> u8 {
        let mut m = self.mantissa;
        let mut s = self.scale;
        while s > 0 && m % 10 == 0 {
            m /= 10;
            s -= 1;
        }
        s
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, i128::from(self.mantissa), self.scale)
    }
}

/// Re-express `m x 10^-from` at scale `to`; None if inexact or out of range.
#[inline]
#[must_use]
pub fn rescale(m: i64, from: u8, to: u8) -> Option<i64> {
    if to >= from {
        let k = to - from;
        if k > MAX_SCALE {
            return None;
        }
        m.checked_mul(pow10(k))
    } else {
        let k = from - to;
        if k > MAX_SCALE {
            return if m == 0 { Some(0) } else { None };
        }
        div_pow10_exact(m, k)
    }
}

/// `m / 10^k` if exact.
#[inline]
fn div_pow10_exact(m: i64, k: u8) -> Option<i64> {
    let p = pow10(k);
    (m % p == 0).then(|| m / p)
}

/// Write `m x 10^-scale` as plain decimal text with exactly `scale` decimals.
///
/// # Errors
/// Only the formatter's own errors.
pub fn write_fixed<W: fmt::Write>(w: &mut W, m: i128, scale: u8) -> fmt::Result {
    if scale == 0 {
        return write!(w, "{m}");
    }
    let neg = m < 0;
    let digits = m.unsigned_abs().to_string();
    let scale = scale as usize;
    let (int_part, frac_part) = if digits.len() > scale {
        digits.split_at(digits.len() - scale)
    } else {
        ("0", digits.as_str())
    };
    if neg {
        w.write_char('-')?;
    }
    w.write_str(int_part)?;
    w.write_char('.')?;
    for _ in frac_part.len()..scale {
        w.write_char('0')?;
    }
    w.write_str(frac_part)
}

/// `m x 10^-scale` as a String (see [`write_fixed`]).
#[must_use]
pub fn format_fixed(m: i128, scale: u8) -> String {
    let mut s = String::with_capacity(24);
    // Writing into a String cannot fail.
    let _ = write_fixed(&mut s, m, scale);
    s
}

fn classify_error(text: &str) -> DecimalError {
    let t = text.as_bytes();
    let well_formed = !t.is_empty()
        && t.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'))
        && t.iter().any(u8::is_ascii_digit);
    if !well_formed {
        DecimalError::Syntax(text.to_owned())
    } else if text.contains(['e', 'E']) || text.len() > 19 {
        // Could be either a huge exponent or too many digits; name the more likely.
        let frac = text.split(['e', 'E']).next().unwrap_or("");
        if frac
            .split('.')
            .nth(1)
            .is_some_and(|f| f.len() > MAX_SCALE as usize)
        {
            DecimalError::TooPrecise(text.to_owned())
        } else {
            DecimalError::Overflow(text.to_owned())
        }
    } else if text
        .split('.')
        .nth(1)
        .is_some_and(|f| f.len() > MAX_SCALE as usize)
    {
        DecimalError::TooPrecise(text.to_owned())
    } else {
        DecimalError::Syntax(text.to_owned())
    }
}

/// The hot-path parser: no allocation, None on any problem.
#[inline]
fn parse_bytes(b: &[u8]) -> Option<Fixed> {
    let mut i = 0;
    let neg = match b.first()? {
        b'-' => {
            i = 1;
            true
        }
        b'+' => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut m: i64 = 0;
    let mut digits = 0usize;
    let mut scale: i32 = 0;
    let mut seen_dot = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'0'..=b'9' => {
                // Up to 18 digits cannot overflow an i64: check only past that.
                m = if digits < 18 {
                    m * 10 + i64::from(c - b'0')
                } else {
                    m.checked_mul(10)?.checked_add(i64::from(c - b'0'))?
                };
                digits += 1;
                if seen_dot {
                    scale += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => break,
            _ => return None,
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() {
        // Exponent part.
        i += 1;
        let eneg = match b.get(i)? {
            b'-' => {
                i += 1;
                true
            }
            b'+' => {
                i += 1;
                false
            }
            _ => false,
        };
        if i >= b.len() {
            return None;
        }
        let mut e: i32 = 0;
        for &c in &b[i..] {
            if !c.is_ascii_digit() {
                return None;
            }
            e = e.checked_mul(10)?.checked_add(i32::from(c - b'0'))?;
            if e > 400 {
                return None;
            }
        }
        scale = if eneg { scale + e } else { scale - e };
    }
    if scale < 0 {
        let k = u8::try_from(-scale).ok().filter(|k| *k <= MAX_SCALE)?;
        m = m.checked_mul(pow10(k))?;
        scale = 0;
    }
    let scale = u8::try_from(scale).ok().filter(|s| *s <= MAX_SCALE)?;
    Some(Fixed {
        mantissa: if neg { -m } else { m },
        scale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Fixed {
        Fixed::parse(s).expect(s)
    }

    #[test]
    fn parses_plain_and_keeps_written_scale() {
        assert_eq!(p("61496.50"), Fixed::new(6_149_650, 2));
        assert_eq!(p("0.010"), Fixed::new(10, 3));
        assert_eq!(p("415"), Fixed::new(415, 0));
        assert_eq!(p("-1.5"), Fixed::new(-15, 1));
        assert_eq!(p("+2"), Fixed::new(2, 0));
        assert_eq!(p(".5"), Fixed::new(5, 1));
        assert_eq!(p("5."), Fixed::new(5, 0));
    }

    #[test]
    fn parses_exponents() {
        assert_eq!(p("2.5e-7"), Fixed::new(25, 8));
        assert_eq!(p("1E+3"), Fixed::new(1000, 0));
        assert_eq!(p("1.25e1"), Fixed::new(125, 1));
        assert_eq!(p("5e-05"), Fixed::new(5, 5));
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "", "-", ".", "1.2.3", "abc", "1e", "1e-", "NaN", "1,5", " 1", "--1", "1e999",
        ] {
            assert!(Fixed::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            Fixed::parse("99999999999999999999"),
            Err(DecimalError::Overflow(_))
        ));
        assert!(matches!(
            Fixed::parse("0.0000000000000000001"),
            Err(DecimalError::TooPrecise(_))
        ));
    }

    #[test]
    fn formats_round_trip() {
        for s in ["61496.50", "0.010", "415", "-1.5", "0.00001234", "0"] {
            assert_eq!(p(s).to_string(), s);
        }
        assert_eq!(format_fixed(-5, 3), "-0.005");
    }

    #[test]
    fn rescales_exactly_or_refuses() {
        assert_eq!(rescale(15, 1, 3), Some(1500));
        assert_eq!(rescale(1500, 3, 1), Some(15));
        assert_eq!(rescale(1501, 3, 1), None);
        assert_eq!(rescale(i64::MAX, 0, 1), None);
        assert_eq!(p("1.500").min_scale(), 1);
    }
}
