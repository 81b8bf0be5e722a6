//! Wire helpers shared by the venue modules: exact numbers from JSON (string or number
//! text, never through f64), timestamps, and level lists.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::VenueError;
use crate::book::Side;
use crate::decimal::Fixed;

/// True if the field was present in the JSON, whatever its value.
#[derive(Debug, Default, Clone, Copy)]
pub struct Present(pub bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Present(true))
    }
}

/// Milliseconds since the epoch to nanoseconds (saturating: garbage never overflows).
#[inline]
#[must_use]
pub fn ms_to_ns(ms: i64) -> i64 {
    ms.saturating_mul(1_000_000)
}

/// A JSON decimal given as a string (`"1.5"`) or a number (`1.5`), kept as its text.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub struct Num<'a>(#[serde(borrow)] pub &'a RawValue);

impl<'a> Num<'a> {
    /// The number's text without quotes.
    #[inline]
    #[must_use]
    pub fn text(&self) -> &'a str {
        let t = self.0.get();
        t.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(t)
    }

    /// The exact value.
    ///
    /// # Errors
    /// [`VenueError::BadLevel`] if the text is not a decimal.
    #[inline]
    pub fn fixed(&self) -> Result<Fixed, VenueError> {
        Ok(Fixed::parse(self.text())?)
    }

    /// The value as an integer (ids, sequence numbers sent as numbers or strings).
    ///
    /// # Errors
    /// [`VenueError::Malformed`] if it is not an integer.
    pub fn int(&self) -> Result<i64, VenueError> {
        self.text()
            .parse::<i64>()
            .map_err(|_| VenueError::Malformed(format!("expected an integer, got {}", self.text())))
    }
}

/// One `[price, size, ...]` level borrowed from the raw message; elements after the
/// size (OKX's deprecated liquidation count and order count) are skipped unread.
#[derive(Debug, Clone, Copy)]
pub struct PxSz<'a> {
    /// Price text.
    pub px: Num<'a>,
    /// Size text.
    pub sz: Num<'a>,
}

impl PxSz<'_> {
    /// The level as exact values, checked so the book will accept it: price above zero,
    /// size not negative (zero deletes).
    ///
    /// # Errors
    /// [`VenueError::BadLevel`] for text that is not a decimal or a value out of bounds.
    #[inline]
    pub fn parse(&self) -> Result<(Fixed, Fixed), VenueError> {
        let (px, sz) = (self.px.fixed()?, self.sz.fixed()?);
        if px.mantissa <= 0 {
            return Err(VenueError::BadLevel(
                crate::book::BookError::NonPositivePrice(px.to_string()),
            ));
        }
        if sz.mantissa < 0 {
            return Err(VenueError::BadLevel(crate::book::BookError::NegativeSize(
                sz.to_string(),
            )));
        }
        Ok((px, sz))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for PxSz<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LevelVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for LevelVisitor<'a> {
            type Value = PxSz<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a [price, size, ...] level")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let px: Num<'a> = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(0, &self))?;
                let sz: Num<'a> = seq
                    .next_element()?
                    .ok_or_else(|| serde::de::Error::invalid_length(1, &self))?;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(PxSz { px, sz })
            }
        }
        d.deserialize_seq(LevelVisitor(std::marker::PhantomData))
    }
}

/// Parse [`PxSz`] levels of one side into `out`, each checked by [`PxSz::parse`].
///
/// # Errors
/// [`VenueError`] on the first bad level (earlier ones stay in `out`: callers validate
/// the whole message into a scratch buffer before applying any of it).
pub fn collect_px_sz(
    side: Side,
    levels: &[PxSz<'_>],
    out: &mut Vec<(Side, Fixed, Fixed)>,
) -> Result<(), VenueError> {
    out.reserve(levels.len());
    for l in levels {
        let (px, sz) = l.parse()?;
        out.push((side, px, sz));
    }
    Ok(())
}

/// A decimal or integer field that venues also send as `""` for "none": `None` then.
///
/// # Errors
/// [`VenueError::BadLevel`] if present, non-empty and not a decimal.
pub fn opt_fixed(n: Option<Num<'_>>) -> Result<Option<Fixed>, VenueError> {
    match n {
        Some(n) if !n.text().is_empty() => Ok(Some(n.fixed()?)),
        _ => Ok(None),
    }
}

/// Read the string value of `"key":"` if the message starts with it (fast dispatch on
/// venues that put the type first, e.g. Binance's `{"e":"depthUpdate",...}`).
#[inline]
#[must_use]
pub fn leading_str_field<'a>(raw: &'a [u8], key: &[u8]) -> Option<&'a str> {
    let rest = raw
        .strip_prefix(b"{\"")?
        .strip_prefix(key)?
        .strip_prefix(b"\":\"")?;
    let end = rest.iter().position(|&c| c == b'"')?;
    std::str::from_utf8(&rest[..end]).ok()
}

/// Nanoseconds since the epoch from an ISO-8601 UTC time (`2021-07-22T22:36:08.052Z`).
///
/// # Errors
/// [`VenueError::Malformed`] for anything else.
pub fn iso8601_to_ns(s: &str) -> Result<i64, VenueError> {
    let bad = || VenueError::Malformed(format!("bad timestamp {s:?}"));
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, VenueError> {
        s.get(r).and_then(|t| t.parse::<i64>().ok()).ok_or_else(bad)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    let mut frac_ns = 0i64;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &s[start..i];
        if digits.is_empty() || digits.len() > 9 {
            return Err(bad());
        }
        let v: i64 = digits.parse().map_err(|_| bad())?;
        frac_ns = v * 10i64.pow(9 - digits.len() as u32);
    }
    if &s[i..] != "Z" {
        return Err(bad());
    }
    let days = days_from_civil(y, mo, d);
    Ok(((days * 86_400 + h * 3_600 + mi * 60 + sec) * 1_000_000_000) + frac_ns)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps() {
        assert_eq!(iso8601_to_ns("1970-01-01T00:00:00Z").ok(), Some(0));
        assert_eq!(
            iso8601_to_ns("2021-07-22T22:36:08.052Z").ok(),
            Some(1_626_993_368_052_000_000)
        );
        for bad in [
            "",
            "2021-07-22",
            "2021-13-01T00:00:00Z",
            "2021-07-22T22:36:08.052",
            "x",
        ] {
            assert!(iso8601_to_ns(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn leading_field() {
        assert_eq!(
            leading_str_field(br#"{"e":"depthUpdate","E":1}"#, b"e"),
            Some("depthUpdate")
        );
        assert_eq!(leading_str_field(br#"{"E":1}"#, b"e"), None);
        assert_eq!(leading_str_field(br#"{"e":"unterminated"#, b"e"), None);
    }

    #[test]
    fn numbers_from_strings_and_json_numbers() {
        let v: Vec<Num<'_>> = serde_json::from_str(r#"["1.50", 2.5e-3, 7]"#).expect("json");
        let f: Vec<String> = v
            .iter()
            .map(|n| n.fixed().expect("num").to_string())
            .collect();
        assert_eq!(f, ["1.50", "0.0025", "7"]);
        assert_eq!(v[2].int().ok(), Some(7));
    }
}
