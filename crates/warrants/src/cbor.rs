//! Strict deterministic CBOR (RFC 8949 §4.2.1 core deterministic encoding).
//!
//! The writer emits only the canonical form: shortest heads, definite lengths.
//! The reader accepts only that form: it rejects longer-than-needed heads,
//! indefinite lengths, reserved additional-information values, tags, invalid
//! UTF-8, lengths larger than the remaining input and nesting past the limit.
//! Map key order is checked by [`MapKeys`], which callers use while reading
//! maps. No well-kept Rust CBOR crate rejects non-canonical input, which the
//! "one warrant, one byte form, one hash" invariant needs, so this small
//! module does it (see `docs/SPEC.md`, "Canonical CBOR").

use crate::error::DecodeError;

/// Major type: unsigned integer.
pub(crate) const MAJOR_UINT: u8 = 0;
/// Major type: negative integer.
pub(crate) const MAJOR_NINT: u8 = 1;
/// Major type: byte string.
pub(crate) const MAJOR_BYTES: u8 = 2;
/// Major type: text string.
pub(crate) const MAJOR_TEXT: u8 = 3;
/// Major type: array.
pub(crate) const MAJOR_ARRAY: u8 = 4;
/// Major type: map.
pub(crate) const MAJOR_MAP: u8 = 5;
/// Major type: tag (never accepted).
pub(crate) const MAJOR_TAG: u8 = 6;
/// Major type: simple values and floats.
pub(crate) const MAJOR_SIMPLE: u8 = 7;

/// Canonical encoder writing into a byte vector.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer with some capacity reserved.
    pub(crate) fn with_capacity(cap: usize) -> Self {
        Self {
            buf: Vec::with_capacity(cap),
        }
    }

    /// The encoded bytes.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Write a head with the shortest argument encoding.
    pub(crate) fn head(&mut self, major: u8, arg: u64) {
        let mt = major << 5;
        if arg < 24 {
            self.buf.push(mt | arg as u8);
        } else if arg <= u64::from(u8::MAX) {
            self.buf.push(mt | 24);
            self.buf.push(arg as u8);
        } else if arg <= u64::from(u16::MAX) {
            self.buf.push(mt | 25);
            self.buf.extend_from_slice(&(arg as u16).to_be_bytes());
        } else if arg <= u64::from(u32::MAX) {
            self.buf.push(mt | 26);
            self.buf.extend_from_slice(&(arg as u32).to_be_bytes());
        } else {
            self.buf.push(mt | 27);
            self.buf.extend_from_slice(&arg.to_be_bytes());
        }
    }

    /// Unsigned integer.
    pub(crate) fn uint(&mut self, v: u64) {
        self.head(MAJOR_UINT, v);
    }

    /// Signed integer.
    pub(crate) fn int(&mut self, v: i64) {
        if v >= 0 {
            self.head(MAJOR_UINT, v.unsigned_abs());
        } else {
            // -1 - v, computed without overflow.
            self.head(MAJOR_NINT, (-(v + 1)).unsigned_abs());
        }
    }

    /// Byte string.
    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.head(MAJOR_BYTES, v.len() as u64);
        self.buf.extend_from_slice(v);
    }

    /// Text string.
    pub(crate) fn text(&mut self, v: &str) {
        self.head(MAJOR_TEXT, v.len() as u64);
        self.buf.extend_from_slice(v.as_bytes());
    }

    /// Array header.
    pub(crate) fn array(&mut self, len: usize) {
        self.head(MAJOR_ARRAY, len as u64);
    }

    /// Map header.
    pub(crate) fn map(&mut self, len: usize) {
        self.head(MAJOR_MAP, len as u64);
    }

    /// Boolean.
    pub(crate) fn bool(&mut self, v: bool) {
        self.buf.push(if v { 0xf5 } else { 0xf4 });
    }

    /// Null.
    pub(crate) fn null(&mut self) {
        self.buf.push(0xf6);
    }

    /// Float in its shortest exact IEEE 754 form (NaN as `0xf97e00`).
    /// Callers that apply numeric reduction (integral floats as integers)
    /// do so before calling this.
    pub(crate) fn float(&mut self, v: f64) {
        if v.is_nan() {
            self.buf.extend_from_slice(&[0xf9, 0x7e, 0x00]);
            return;
        }
        let h = half::f16::from_f64(v);
        if h.to_f64() == v {
            self.buf.push(0xf9);
            self.buf.extend_from_slice(&h.to_bits().to_be_bytes());
            return;
        }
        let s = v as f32;
        if f64::from(s) == v {
            self.buf.push(0xfa);
            self.buf.extend_from_slice(&s.to_bits().to_be_bytes());
            return;
        }
        self.buf.push(0xfb);
        self.buf.extend_from_slice(&v.to_bits().to_be_bytes());
    }

    /// Append bytes that are already a canonical CBOR item.
    pub(crate) fn raw(&mut self, item: &[u8]) {
        self.buf.extend_from_slice(item);
    }
}

/// A decoded head: major type and argument (or simple/float payload).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    pub(crate) major: u8,
    pub(crate) info: u8,
    pub(crate) arg: u64,
}

/// Strict canonical decoder over a byte slice.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
    regexes: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf` allowing at most `max_depth` levels of nesting.
    pub(crate) fn new(buf: &'a [u8], max_depth: usize) -> Self {
        Self {
            buf,
            pos: 0,
            depth: 0,
            max_depth,
            regexes: 0,
        }
    }

    /// Count one regex about to be compiled; refuse past
    /// [`crate::limits::MAX_REGEXES_PER_WARRANT`] (before compiling it).
    pub(crate) fn charge_regex(&mut self) -> Result<(), DecodeError> {
        self.regexes = self.regexes.saturating_add(1);
        if self.regexes > crate::limits::MAX_REGEXES_PER_WARRANT {
            Err(DecodeError::TooLarge("regexes per warrant"))
        } else {
            Ok(())
        }
    }

    /// Current byte offset.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes between two offsets previously returned by [`Reader::pos`].
    pub(crate) fn slice(&self, start: usize, end: usize) -> Result<&'a [u8], DecodeError> {
        self.buf.get(start..end).ok_or(DecodeError::Truncated)
    }

    /// Fail unless every byte was consumed.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self.buf.get(self.pos).ok_or(DecodeError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    /// Major type of the next item without consuming it.
    pub(crate) fn peek_major(&self) -> Result<u8, DecodeError> {
        self.buf
            .get(self.pos)
            .map(|b| b >> 5)
            .ok_or(DecodeError::Truncated)
    }

    /// Read one head, enforcing the shortest form for integer arguments and
    /// refusing indefinite lengths and reserved values.
    pub(crate) fn head(&mut self) -> Result<Head, DecodeError> {
        let ib = self.byte()?;
        let major = ib >> 5;
        let info = ib & 0x1f;
        if major == MAJOR_TAG {
            return Err(DecodeError::NonCanonical("tags are not allowed"));
        }
        let arg = match info {
            0..=23 => u64::from(info),
            24 => {
                let v = u64::from(self.byte()?);
                if v < 24 && major != MAJOR_SIMPLE {
                    return Err(DecodeError::NonCanonical("integer head not shortest"));
                }
                if major == MAJOR_SIMPLE {
                    return Err(DecodeError::NonCanonical("two-byte simple values"));
                }
                v
            }
            25 => {
                let b = self.take(2)?;
                let v = u64::from(u16::from_be_bytes([
                    *b.first().ok_or(DecodeError::Truncated)?,
                    *b.get(1).ok_or(DecodeError::Truncated)?,
                ]));
                if major != MAJOR_SIMPLE && v <= u64::from(u8::MAX) {
                    return Err(DecodeError::NonCanonical("integer head not shortest"));
                }
                v
            }
            26 => {
                let b: [u8; 4] = self
                    .take(4)?
                    .try_into()
                    .map_err(|_| DecodeError::Truncated)?;
                let v = u64::from(u32::from_be_bytes(b));
                if major != MAJOR_SIMPLE && v <= u64::from(u16::MAX) {
                    return Err(DecodeError::NonCanonical("integer head not shortest"));
                }
                v
            }
            27 => {
                let b: [u8; 8] = self
                    .take(8)?
                    .try_into()
                    .map_err(|_| DecodeError::Truncated)?;
                let v = u64::from_be_bytes(b);
                if major != MAJOR_SIMPLE && v <= u64::from(u32::MAX) {
                    return Err(DecodeError::NonCanonical("integer head not shortest"));
                }
                v
            }
            31 => {
                return Err(DecodeError::NonCanonical(
                    "indefinite lengths are not allowed",
                ))
            }
            _ => return Err(DecodeError::Malformed("reserved additional information")),
        };
        Ok(Head { major, info, arg })
    }

    fn expect(&mut self, major: u8, what: &'static str) -> Result<u64, DecodeError> {
        let h = self.head()?;
        if h.major != major {
            return Err(DecodeError::UnexpectedType(what));
        }
        Ok(h.arg)
    }

    /// Unsigned integer.
    pub(crate) fn uint(&mut self) -> Result<u64, DecodeError> {
        self.expect(MAJOR_UINT, "unsigned integer")
    }

    /// Signed integer within `i64`.
    pub(crate) fn int(&mut self) -> Result<i64, DecodeError> {
        let h = self.head()?;
        int_from_head(h).ok_or(DecodeError::UnexpectedType("integer"))?
    }

    /// Byte string, borrowed.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.expect(MAJOR_BYTES, "byte string")?;
        self.take_len(len)
    }

    /// Byte string of an exact length.
    pub(crate) fn bytes_fixed<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        self.bytes()?
            .try_into()
            .map_err(|_| DecodeError::Malformed("byte string has the wrong length"))
    }

    /// Text string, borrowed.
    pub(crate) fn text(&mut self) -> Result<&'a str, DecodeError> {
        let len = self.expect(MAJOR_TEXT, "text string")?;
        let b = self.take_len(len)?;
        std::str::from_utf8(b).map_err(|_| DecodeError::InvalidUtf8)
    }

    fn take_len(&mut self, len: u64) -> Result<&'a [u8], DecodeError> {
        let n = usize::try_from(len).map_err(|_| DecodeError::Truncated)?;
        if n > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        self.take(n)
    }

    /// Array header; the count is bounded by the remaining input.
    pub(crate) fn array(&mut self) -> Result<usize, DecodeError> {
        let n = self.expect(MAJOR_ARRAY, "array")?;
        self.container_len(n)
    }

    /// Array header that must announce exactly `n` items.
    pub(crate) fn array_of(&mut self, n: usize, what: &'static str) -> Result<(), DecodeError> {
        if self.array()? != n {
            return Err(DecodeError::Malformed(what));
        }
        Ok(())
    }

    /// Map header; the count is bounded by the remaining input.
    pub(crate) fn map(&mut self) -> Result<usize, DecodeError> {
        let n = self.expect(MAJOR_MAP, "map")?;
        let len = self.container_len(n)?;
        if len.saturating_mul(2) > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        Ok(len)
    }

    fn container_len(&self, n: u64) -> Result<usize, DecodeError> {
        let n = usize::try_from(n).map_err(|_| DecodeError::Truncated)?;
        // Every item takes at least one byte.
        if n > self.remaining() {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    /// Boolean.
    pub(crate) fn bool(&mut self) -> Result<bool, DecodeError> {
        match self.byte()? {
            0xf4 => Ok(false),
            0xf5 => Ok(true),
            _ => Err(DecodeError::UnexpectedType("boolean")),
        }
    }

    /// Enter a nested container (arrays or maps); pair with [`Reader::leave`].
    pub(crate) fn enter(&mut self) -> Result<(), DecodeError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(DecodeError::TooDeep);
        }
        Ok(())
    }

    /// Leave a nested container.
    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Skip one complete item (checking canonical form throughout) and
    /// return its raw bytes.
    pub(crate) fn skip_item(&mut self) -> Result<&'a [u8], DecodeError> {
        let start = self.pos;
        self.skip_inner()?;
        self.slice(start, self.pos)
    }

    fn skip_inner(&mut self) -> Result<(), DecodeError> {
        let h = self.head()?;
        match h.major {
            MAJOR_UINT | MAJOR_NINT => Ok(()),
            MAJOR_BYTES => self.take_len(h.arg).map(|_| ()),
            MAJOR_TEXT => {
                let b = self.take_len(h.arg)?;
                std::str::from_utf8(b).map_err(|_| DecodeError::InvalidUtf8)?;
                Ok(())
            }
            MAJOR_ARRAY => {
                let n = self.container_len(h.arg)?;
                self.enter()?;
                for _ in 0..n {
                    self.skip_inner()?;
                }
                self.leave();
                Ok(())
            }
            MAJOR_MAP => {
                let n = self.container_len(h.arg)?;
                self.enter()?;
                let mut keys = MapKeys::default();
                for _ in 0..n {
                    let ks = self.pos;
                    self.skip_inner()?;
                    keys.next(self.slice(ks, self.pos)?)?;
                    self.skip_inner()?;
                }
                self.leave();
                Ok(())
            }
            _ => simple_from_head(h).map(|_| ()),
        }
    }
}

/// The integer a head denotes, if it is an integer head within `i64`.
pub(crate) fn int_from_head(h: Head) -> Option<Result<i64, DecodeError>> {
    match h.major {
        MAJOR_UINT => Some(i64::try_from(h.arg).map_err(|_| DecodeError::OutOfRange)),
        MAJOR_NINT => Some(
            i64::try_from(h.arg)
                .map(|a| -1 - a)
                .map_err(|_| DecodeError::OutOfRange),
        ),
        _ => None,
    }
}

/// A simple value or float decoded from a major-7 head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Simple {
    /// `false` / `true`.
    Bool(bool),
    /// `null`.
    Null,
    /// A float in its shortest form (NaN only as `0xf97e00`).
    Float(f64),
}

/// Interpret a major-7 head, enforcing shortest float forms.
pub(crate) fn simple_from_head(h: Head) -> Result<Simple, DecodeError> {
    if h.major != MAJOR_SIMPLE {
        return Err(DecodeError::UnexpectedType("simple value"));
    }
    match h.info {
        20 => Ok(Simple::Bool(false)),
        21 => Ok(Simple::Bool(true)),
        22 => Ok(Simple::Null),
        25 => {
            let bits = u16::try_from(h.arg).map_err(|_| DecodeError::Malformed("half float"))?;
            let v = half::f16::from_bits(bits).to_f64();
            if v.is_nan() && bits != 0x7e00 {
                return Err(DecodeError::NonCanonical("nan payload"));
            }
            Ok(Simple::Float(v))
        }
        26 => {
            let bits = u32::try_from(h.arg).map_err(|_| DecodeError::Malformed("float"))?;
            let v = f64::from(f32::from_bits(bits));
            if v.is_nan() || half::f16::from_f64(v).to_f64() == v {
                return Err(DecodeError::NonCanonical("float not in shortest form"));
            }
            Ok(Simple::Float(v))
        }
        27 => {
            let v = f64::from_bits(h.arg);
            let shorter = half::f16::from_f64(v).to_f64() == v || f64::from(v as f32) == v;
            if v.is_nan() || shorter {
                return Err(DecodeError::NonCanonical("float not in shortest form"));
            }
            Ok(Simple::Float(v))
        }
        _ => Err(DecodeError::Malformed("unsupported simple value")),
    }
}

/// Checks that map keys arrive in strictly increasing bytewise order of
/// their encodings (which also rejects duplicates).
#[derive(Debug, Default)]
pub(crate) struct MapKeys<'a> {
    prev: Option<&'a [u8]>,
}

impl<'a> MapKeys<'a> {
    /// Record the next key's encoded bytes.
    pub(crate) fn next(&mut self, key: &'a [u8]) -> Result<(), DecodeError> {
        if let Some(p) = self.prev {
            match p.cmp(key) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => return Err(DecodeError::DuplicateKey),
                std::cmp::Ordering::Greater => {
                    return Err(DecodeError::NonCanonical("map keys out of order"))
                }
            }
        }
        self.prev = Some(key);
        Ok(())
    }
}

/// Read a map's integer key, checking order; returns the key.
pub(crate) fn read_uint_key<'a>(
    r: &mut Reader<'a>,
    keys: &mut MapKeys<'a>,
) -> Result<u64, DecodeError> {
    let start = r.pos();
    let k = r.uint()?;
    keys.next(r.slice(start, r.pos())?)?;
    Ok(k)
}

/// Read a map's text key, checking order; returns the key.
pub(crate) fn read_text_key<'a>(
    r: &mut Reader<'a>,
    keys: &mut MapKeys<'a>,
) -> Result<&'a str, DecodeError> {
    let start = r.pos();
    let k = r.text()?;
    keys.next(r.slice(start, r.pos())?)?;
    Ok(k)
}

/// Order of two text keys by their canonical encodings (length first, then
/// bytes), the order maps with text keys are written in.
pub(crate) fn text_key_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::default();
        f(&mut w);
        w.into_bytes()
    }

    #[test]
    fn shortest_heads() {
        assert_eq!(enc(|w| w.uint(23)), [0x17]);
        assert_eq!(enc(|w| w.uint(24)), [0x18, 24]);
        assert_eq!(enc(|w| w.uint(256)), [0x19, 1, 0]);
        assert_eq!(enc(|w| w.int(-1)), [0x20]);
        assert_eq!(enc(|w| w.int(i64::MIN)), {
            let mut v = vec![0x3b];
            v.extend_from_slice(&(i64::MAX as u64).to_be_bytes());
            v
        });
    }

    #[test]
    fn rejects_long_heads() {
        for bad in [
            &[0x18u8, 5][..],
            &[0x19, 0, 5],
            &[0x1a, 0, 0, 0, 5],
            &[0x1b, 0, 0, 0, 0, 0, 0, 0, 5],
        ] {
            let mut r = Reader::new(bad, 4);
            assert!(
                matches!(r.uint(), Err(DecodeError::NonCanonical(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rejects_indefinite_tags_and_truncation() {
        assert!(Reader::new(&[0x9f], 4).array().is_err());
        assert!(Reader::new(&[0xc1, 0x01], 4).uint().is_err());
        assert_eq!(
            Reader::new(&[0x43, 1, 2], 4).bytes(),
            Err(DecodeError::Truncated)
        );
        assert_eq!(
            Reader::new(&[0x9a, 0xff, 0xff, 0xff, 0xff], 4).array(),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn floats_shortest() {
        assert_eq!(enc(|w| w.float(1.5)), [0xf9, 0x3e, 0x00]);
        assert_eq!(enc(|w| w.float(f64::NAN)), [0xf9, 0x7e, 0x00]);
        let b = enc(|w| w.float(0.1));
        assert_eq!(b.len(), 9);
        // 1.5 written as f32 is not canonical.
        let mut r = Reader::new(&[0xfa, 0x3f, 0xc0, 0, 0], 4);
        let h = r.head().unwrap();
        assert!(simple_from_head(h).is_err());
    }

    #[test]
    fn map_key_order() {
        let mut k = MapKeys::default();
        k.next(&[0x01]).unwrap();
        assert_eq!(k.next(&[0x01]), Err(DecodeError::DuplicateKey));
        let mut k = MapKeys::default();
        k.next(&[0x02]).unwrap();
        assert!(k.next(&[0x01]).is_err());
    }

    #[test]
    fn depth_limit() {
        let nested = [0x81u8; 40];
        let mut input = nested.to_vec();
        input.push(0x00);
        let mut r = Reader::new(&input, 32);
        assert_eq!(r.skip_item(), Err(DecodeError::TooDeep));
    }
}
