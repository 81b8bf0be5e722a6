//! A strict, allocation-free JSON scanner for the hot path: flat objects whose book
//! levels are arrays of `[price, size, ...]`, parsed straight into [`Fixed`] values.
//!
//! It accepts a subset of JSON (no escapes inside the strings it reads) and returns
//! `None` on anything outside that subset; callers then fall back to the serde path,
//! which either handles the message or names the error. So the fast path never changes
//! what is accepted, only how fast the common case goes.

use crate::book::Side;
use crate::decimal::Fixed;

/// A cursor over one JSON message.
#[derive(Debug)]
pub struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    /// Start at the beginning of `b`.
    #[must_use]
    pub fn new(b: &'a [u8]) -> Self {
        Scanner { b, i: 0 }
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        match self.b.get(self.i) {
            // Compact JSON (the venues' norm) never needs the whitespace loop.
            Some(&c) if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') => Some(c),
            _ => {
                self.ws();
                self.b.get(self.i).copied()
            }
        }
    }

    /// Consume `c` (after whitespace) or fail.
    #[inline]
    pub fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// True (and consumed) if the next token is `c`.
    #[inline]
    pub fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// The bytes of a string without escapes.
    #[inline]
    fn string_bytes(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.i;
        let rest = self.b.get(start..)?;
        let len = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if rest[len] != b'"' {
            return None;
        }
        self.i = start + len + 1;
        Some(&rest[..len])
    }

    /// A string without escapes.
    #[inline]
    pub fn string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.string_bytes()?).ok()
    }

    /// The bytes of a JSON number token (digits, sign, point, exponent).
    #[inline]
    fn number_bytes(&mut self) -> Option<&'a [u8]> {
        self.ws();
        let start = self.i;
        while let Some(c) = self.b.get(self.i) {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.i += 1;
            } else {
                break;
            }
        }
        if self.i == start {
            return None;
        }
        Some(&self.b[start..self.i])
    }

    /// The text of a JSON number token (not validated beyond its characters).
    #[inline]
    fn number_text(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        while let Some(c) = self.b.get(self.i) {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.i += 1;
            } else {
                break;
            }
        }
        if self.i == start {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i]).ok()
    }

    /// An integer number.
    #[inline]
    pub fn int(&mut self) -> Option<i64> {
        self.ws();
        // The common case, a plain run of digits, without the general number parser.
        let (m, end) = digit_run(self.b, self.i, 0);
        let n = end - self.i;
        let plain = !matches!(self.b.get(end), Some(b'.' | b'e' | b'E' | b'-' | b'+'));
        if plain && (1..=18).contains(&n) {
            self.i = end;
            return Some(m);
        }
        let f = Fixed::parse_ascii(self.number_bytes()?)?;
        (f.scale == 0).then_some(f.mantissa)
    }

    /// A decimal given as a string or a number.
    #[inline]
    pub fn decimal(&mut self) -> Option<Fixed> {
        let start = self.i;
        if self.peek()? == b'"' {
            self.i += 1;
            if let Some((f, end)) = digits_at(self.b, self.i) {
                if self.b.get(end) == Some(&b'"') {
                    self.i = end + 1;
                    return Some(f);
                }
            }
            self.i = start;
            return Fixed::parse_ascii(self.string_bytes()?);
        }
        Fixed::parse_ascii(self.number_bytes()?)
    }

    /// Skip one value of any type.
    pub fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match self.peek()? {
                        b'{' | b'[' => {
                            depth += 1;
                            self.i += 1;
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            self.i += 1;
                            if depth == 0 {
                                return Some(());
                            }
                        }
                        b'"' => {
                            self.string()?;
                        }
                        _ => self.i += 1,
                    }
                }
            }
            b't' | b'f' | b'n' => {
                let rest = &self.b[self.i..];
                let n = [&b"true"[..], b"false", b"null"]
                    .into_iter()
                    .find(|w| rest.starts_with(w))?
                    .len();
                self.i += n;
                Some(())
            }
            _ => self.number_text().map(|_| ()),
        }
    }

    /// Skip one value and return its raw bytes.
    pub fn raw_value(&mut self) -> Option<&'a [u8]> {
        self.ws();
        let start = self.i;
        self.skip()?;
        self.b.get(start..self.i)
    }

    /// `[[px, sz, ...], ...]` into `out` (extra elements per level are skipped).
    pub fn levels(&mut self, side: Side, out: &mut Vec<(Side, Fixed, Fixed)>) -> Option<()> {
        let (start, had) = (self.i, out.len());
        if self.compact_levels(side, out).is_some() {
            return Some(());
        }
        out.truncate(had);
        self.i = start;
        self.expect(b'[')?;
        if self.eat(b']') {
            return Some(());
        }
        loop {
            self.expect(b'[')?;
            let px = self.decimal()?;
            self.expect(b',')?;
            let sz = self.decimal()?;
            while self.eat(b',') {
                self.skip()?;
            }
            self.expect(b']')?;
            out.push((side, px, sz));
            if !self.eat(b',') {
                break;
            }
        }
        self.expect(b']')
    }

    /// [`Self::levels`] for the shape venues actually send, compact
    /// `[["61800.20","0.123"],...]`, in one tight pass; `None` (nothing consumed that
    /// matters: the caller rewinds) for any other shape.
    ///
    /// Why a second path: on Binance depth, parsing was half the time per level, most
    /// of it spent on generality (whitespace, numbers or strings, extra elements, one
    /// digit loop branching on the point). Here each part of a decimal is its own
    /// predictable loop and the punctuation is matched as fixed byte pairs.
    #[inline]
    fn compact_levels(&mut self, side: Side, out: &mut Vec<(Side, Fixed, Fixed)>) -> Option<()> {
        let b = self.b;
        let mut i = self.i;
        if *b.get(i)? != b'[' {
            return None;
        }
        i += 1;
        if *b.get(i)? == b']' {
            self.i = i + 1;
            return Some(());
        }
        loop {
            if b.get(i..i + 2)? != b"[\"" {
                return None;
            }
            let (px, j) = digits_at(b, i + 2)?;
            if b.get(j..j + 3)? != b"\",\"" {
                return None;
            }
            let (sz, k) = digits_at(b, j + 3)?;
            if b.get(k..k + 2)? != b"\"]" {
                return None;
            }
            out.push((side, px, sz));
            i = k + 2;
            match *b.get(i)? {
                b',' => i += 1,
                b']' => {
                    self.i = i + 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Iterate the members of an object: `f(key, scanner)` must consume the value.
    /// Keys are raw bytes (no escapes): callers match them against ASCII names, so
    /// validating them as UTF-8 first would be wasted work on every message.
    pub fn object(
        &mut self,
        mut f: impl FnMut(&'a [u8], &mut Scanner<'a>) -> Option<()>,
    ) -> Option<()> {
        self.expect(b'{')?;
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.string_bytes()?;
            self.expect(b':')?;
            f(key, self)?;
            if !self.eat(b',') {
                break;
            }
        }
        self.expect(b'}')
    }

    /// Current byte offset.
    #[must_use]
    pub fn position(&self) -> usize {
        self.i
    }

    /// True if only whitespace is left.
    #[must_use]
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }
}

/// Digits from `i` while they last: the value so far and the index after them.
#[inline(always)]
fn digit_run(b: &[u8], mut i: usize, mut m: i64) -> (i64, usize) {
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        // Wrapping is harmless: more than 18 digits is refused by the caller.
        m = m.wrapping_mul(10).wrapping_add(i64::from(d));
        i += 1;
    }
    (m, i)
}

/// `digits[.digits]` at `i` (at least one digit, at most 18): the value and the index
/// of the byte after it, which is not checked.
#[inline(always)]
fn digits_at(b: &[u8], i: usize) -> Option<(Fixed, usize)> {
    let (m, j) = digit_run(b, i, 0);
    let (m, k, decimals) = if b.get(j) == Some(&b'.') {
        let (m, k) = digit_run(b, j + 1, m);
        (m, k, k - j - 1)
    } else {
        (m, j, 0)
    };
    let n = k - i - usize::from(k > j);
    if n == 0 || n > 18 {
        return None;
    }
    Some((Fixed::new(m, decimals as u8), k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_levels_and_fields() {
        let msg = br#" {"e":"depthUpdate","u":7,"x":{"n":[1,{"z":"]"}]},"ok":true,"b":[["1.50","2"],[3,4.25,"0","9"]],"a":[]} "#;
        let mut s = Scanner::new(msg);
        let (mut u, mut out) = (0, Vec::new());
        s.object(|k, s| match k {
            b"u" => s.int().map(|v| u = v),
            b"b" => s.levels(Side::Bid, &mut out),
            b"a" => s.levels(Side::Ask, &mut out),
            _ => s.skip(),
        })
        .expect("parsed");
        assert!(s.at_end());
        assert_eq!(u, 7);
        let txt: Vec<String> = out.iter().map(|(_, p, q)| format!("{p}/{q}")).collect();
        assert_eq!(txt, ["1.50/2", "3/4.25"]);
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_with_the_general_parser(
            text in "[0-9]{0,10}(\\.[0-9]{0,10})?|[0-9.e+-]{1,12}",
            tail in "[\",\\]0-9a-z ]{16}",
        ) {
            let quoted = format!("\"{text}\"{tail}");
            let mut s = Scanner::new(quoted.as_bytes());
            let got = s.decimal();
            proptest::prop_assert_eq!(got, Fixed::parse(&text).ok(), "{}", quoted);
            if got.is_some() {
                proptest::prop_assert_eq!(s.position(), text.len() + 2);
            }
        }
    }

    proptest::proptest! {
        /// The compact pass and the general one read the same levels, and anything the
        /// compact pass cannot take (spaces, numbers, extra elements, bad text) falls
        /// through to the general pass with the output rewound.
        #[test]
        fn compact_levels_agree_with_the_general_path(
            levels in proptest::collection::vec(
                ("[0-9]{0,9}(\\.[0-9]{0,9})?", "[0-9]{0,9}(\\.[0-9]{0,9})?|-1|1e3"),
                0..8,
            ),
            spaced in proptest::bool::ANY,
        ) {
            let sep = if spaced { ", " } else { "," };
            let body: Vec<String> = levels
                .iter()
                .map(|(p, q)| format!("[\"{p}\"{sep}\"{q}\"]"))
                .collect();
            let text = format!("[{}]}}", body.join(sep));
            let mut s = Scanner::new(text.as_bytes());
            let mut got = vec![(Side::Ask, Fixed::new(7, 0), Fixed::new(7, 0))];
            let ok = s.levels(Side::Bid, &mut got).is_some();
            let want: Option<Vec<_>> = levels
                .iter()
                .map(|(p, q)| Some((Side::Bid, Fixed::parse(p).ok()?, Fixed::parse(q).ok()?)))
                .collect();
            proptest::prop_assert_eq!(ok, want.is_some(), "{}", text);
            if let Some(want) = want {
                proptest::prop_assert_eq!(&got[1..], &want[..], "{}", text);
                proptest::prop_assert_eq!(s.position(), text.len() - 1);
            }
        }
    }

    proptest::proptest! {
        /// The digit-run shortcut in `int` gives what the general number parser gives.
        #[test]
        fn int_agrees_with_the_general_parser(
            text in "-?[0-9]{0,20}(\\.[0-9]{0,3})?([eE][+-]?[0-9]{1,2})?",
            tail in "[,}\\] ]",
        ) {
            let msg = format!("{text}{tail}");
            let got = Scanner::new(msg.as_bytes()).int();
            let want = Fixed::parse(&text).ok().filter(|f| f.scale == 0).map(|f| f.mantissa);
            proptest::prop_assert_eq!(got, want, "{}", msg);
        }
    }

    #[test]
    fn fused_decimal_agrees_with_the_general_parser() {
        for t in [
            "0",
            "1.50",
            ".5",
            "5.",
            "123456789012345678",
            "1234567890123456789",
            "1e-5",
            "-2.5",
        ] {
            let quoted = format!("\"{t}\"");
            let got = Scanner::new(quoted.as_bytes()).decimal();
            assert_eq!(got, Fixed::parse(t).ok(), "{t}");
        }
        assert_eq!(Scanner::new(br#""1..2""#).decimal(), None);
        assert_eq!(Scanner::new(br#""""#).decimal(), None);
    }

    #[test]
    fn refuses_what_it_does_not_handle() {
        for bad in [
            &br#"{"s":"a\"b"}"#[..],
            br#"{"b":[["1","x"]]}"#,
            br#"{"b":[["1"]]}"#,
            br#"{"u":1"#,
            b"",
        ] {
            let mut s = Scanner::new(bad);
            let mut out = Vec::new();
            let r = s.object(|k, s| match k {
                b"b" => s.levels(Side::Bid, &mut out),
                b"u" => s.int().map(|_| ()),
                _ => s.string().map(|_| ()),
            });
            assert!(r.is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
