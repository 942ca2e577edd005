//! Argument values: what a tool call passes and what constraints compare.
//!
//! One [`Value`] type: null, bool, `i64`, `f64`, text, bytes, list and map
//! with text keys. Numbers compare by exact numeric value across `Int` and
//! `Float` (no lossy casts; NaN equals nothing and orders with nothing).
//! The canonical CBOR encoding of a value (see `docs/SPEC.md`) is what proofs
//! of possession sign.

mod cmp;
mod convert;
mod ser;

use std::collections::BTreeMap;
use std::fmt;

use crate::cbor::{self, Reader, Simple, Writer};
use crate::error::DecodeError;

pub use cmp::num_cmp;

/// Maximum nesting of lists and maps inside an argument value.
pub const MAX_VALUE_DEPTH: usize = 32;
/// Maximum nesting of lists and maps inside a value held by a constraint
/// (leaves room for the warrant structure around it).
pub const MAX_CONSTRAINT_VALUE_DEPTH: usize = 16;

/// An argument value.
#[derive(Clone, Default)]
pub enum Value {
    /// Null / absent value.
    #[default]
    Null,
    /// Boolean.
    Bool(bool),
    /// Signed 64-bit integer.
    Int(i64),
    /// 64-bit float (NaN never matches a constraint).
    Float(f64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// Ordered list.
    List(Vec<Value>),
    /// Map with text keys.
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// A map value from `(key, value)` pairs.
    pub fn map<K, V, I>(entries: I) -> Self
    where
        K: Into<String>,
        V: Into<Value>,
        I: IntoIterator<Item = (K, V)>,
    {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// A list value.
    pub fn list<V: Into<Value>, I: IntoIterator<Item = V>>(items: I) -> Self {
        Value::List(items.into_iter().map(Into::into).collect())
    }

    /// A bytes value.
    pub fn bytes(b: impl Into<Vec<u8>>) -> Self {
        Value::Bytes(b.into())
    }

    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The map, if this is a map.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Whether this is a number (`Int` or non-NaN `Float`).
    pub fn is_number(&self) -> bool {
        match self {
            Value::Int(_) => true,
            Value::Float(f) => !f.is_nan(),
            _ => false,
        }
    }

    /// Whether the value contains a NaN anywhere.
    pub fn contains_nan(&self) -> bool {
        match self {
            Value::Float(f) => f.is_nan(),
            Value::List(l) => l.iter().any(Value::contains_nan),
            Value::Map(m) => m.values().any(Value::contains_nan),
            _ => false,
        }
    }

    /// Whether lists and maps nest more than `limit` levels (recursion
    /// stops at `limit`, so this is safe on any value).
    pub fn nested_deeper_than(&self, limit: usize) -> bool {
        match self {
            Value::List(l) => limit == 0 || l.iter().any(|x| x.nested_deeper_than(limit - 1)),
            Value::Map(m) => limit == 0 || m.values().any(|x| x.nested_deeper_than(limit - 1)),
            _ => false,
        }
    }

    /// Short name of the value's kind, for messages that must not show the
    /// value itself.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// Canonical CBOR encoding.
    pub fn to_cbor(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(64);
        self.encode(&mut w);
        w.into_bytes()
    }

    /// Decode canonical CBOR (rejects NaN, non-canonical forms, nesting past
    /// [`MAX_VALUE_DEPTH`] and trailing bytes).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, MAX_VALUE_DEPTH);
        let v = Self::decode(&mut r)?;
        r.finish()?;
        Ok(v)
    }

    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            Value::Null => w.null(),
            Value::Bool(b) => w.bool(*b),
            Value::Int(i) => w.int(*i),
            Value::Float(f) => match integral_i64(*f) {
                // Numeric reduction: an integral float is written as the
                // integer, so 2.0 and 2 have one encoding.
                Some(i) => w.int(i),
                None => w.float(*f),
            },
            Value::Text(s) => w.text(s),
            Value::Bytes(b) => w.bytes(b),
            Value::List(l) => {
                w.array(l.len());
                for v in l {
                    v.encode(w);
                }
            }
            Value::Map(m) => {
                w.map(m.len());
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_by(|a, b| cbor::text_key_order(a.0, b.0));
                for (k, v) in entries {
                    w.text(k);
                    v.encode(w);
                }
            }
        }
    }

    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.peek_major()? {
            cbor::MAJOR_UINT | cbor::MAJOR_NINT => Ok(Value::Int(r.int()?)),
            cbor::MAJOR_BYTES => Ok(Value::Bytes(r.bytes()?.to_vec())),
            cbor::MAJOR_TEXT => Ok(Value::Text(r.text()?.to_owned())),
            cbor::MAJOR_ARRAY => {
                let n = r.array()?;
                r.enter()?;
                let mut l = Vec::with_capacity(n.min(64));
                for _ in 0..n {
                    l.push(Self::decode(r)?);
                }
                r.leave();
                Ok(Value::List(l))
            }
            cbor::MAJOR_MAP => {
                let n = r.map()?;
                r.enter()?;
                let mut keys = cbor::MapKeys::default();
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = cbor::read_text_key(r, &mut keys)?;
                    let v = Self::decode(r)?;
                    m.insert(k.to_owned(), v);
                }
                r.leave();
                Ok(Value::Map(m))
            }
            _ => {
                let h = r.head()?;
                match cbor::simple_from_head(h)? {
                    Simple::Null => Ok(Value::Null),
                    Simple::Bool(b) => Ok(Value::Bool(b)),
                    Simple::Float(f) => {
                        if f.is_nan() {
                            return Err(DecodeError::Malformed("nan is not a valid value"));
                        }
                        if integral_i64(f).is_some() {
                            return Err(DecodeError::NonCanonical(
                                "integral float must be written as an integer",
                            ));
                        }
                        Ok(Value::Float(f))
                    }
                }
            }
        }
    }
}

/// The integer equal to `f`, if `f` is integral and within `i64`.
pub(crate) fn integral_i64(f: f64) -> Option<i64> {
    // 2^63 as f64 is exact; the range check keeps the cast exact.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

impl PartialEq for Value {
    /// Structural equality with exact numeric comparison across `Int` and
    /// `Float`; NaN equals nothing.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (a, b) => num_cmp(a, b) == Some(std::cmp::Ordering::Equal),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Value {
    /// A JSON-like rendering. Argument values are sensitive: the library
    /// only prints them when redaction is explicitly turned off.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "b64'{}'", crate::keys::to_base64url(b)),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_reduction_round_trip() {
        let v = Value::Float(2.0);
        assert_eq!(v.to_cbor(), Value::Int(2).to_cbor());
        assert_eq!(Value::from_cbor(&v.to_cbor()).unwrap(), v);
        let f = Value::Float(1.5);
        assert_eq!(Value::from_cbor(&f.to_cbor()).unwrap(), f);
    }

    #[test]
    fn map_keys_are_length_first() {
        let v = Value::map([("bb", 1), ("a", 2), ("c", 3)]);
        let b = v.to_cbor();
        // a, c, bb
        assert_eq!(b, [0xa3, 0x61, b'a', 2, 0x61, b'c', 3, 0x62, b'b', b'b', 1]);
        assert_eq!(Value::from_cbor(&b).unwrap(), v);
        // Same map with keys out of order is rejected.
        let bad = [0xa2, 0x62, b'b', b'b', 1, 0x61, b'a', 2];
        assert!(Value::from_cbor(&bad).is_err());
    }

    #[test]
    fn rejects_nan_and_integral_float() {
        assert!(Value::from_cbor(&[0xf9, 0x7e, 0x00]).is_err());
        // 2.0 as half float.
        assert!(Value::from_cbor(&[0xf9, 0x40, 0x00]).is_err());
        assert!(Value::from_cbor(&[0x01, 0x02]).is_err());
    }

    #[test]
    fn nan_never_equal() {
        assert_ne!(Value::Float(f64::NAN), Value::Float(f64::NAN));
        assert_eq!(Value::Int(3), Value::Float(3.0));
        assert_ne!(
            Value::Int(i64::MAX),
            Value::Float(9_223_372_036_854_775_808.0)
        );
    }
}
