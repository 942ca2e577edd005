//! Conversions into and out of [`Value`].

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, SerializeSeq};

use super::{Value, MAX_VALUE_DEPTH};
use crate::error::ValueError;

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::Int(i64::from(v)) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl TryFrom<u64> for Value {
    type Error = ValueError;
    fn try_from(v: u64) -> Result<Self, ValueError> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| ValueError::IntegerOutOfRange)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<V: Into<Value>> From<Vec<V>> for Value {
    fn from(v: Vec<V>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl<V: Into<Value>> From<BTreeMap<String, V>> for Value {
    fn from(v: BTreeMap<String, V>) -> Self {
        Value::Map(v.into_iter().map(|(k, v)| (k, v.into())).collect())
    }
}

impl<V: Into<Value>> From<Option<V>> for Value {
    fn from(v: Option<V>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl TryFrom<serde_json::Value> for Value {
    type Error = ValueError;
    /// JSON to `Value`: numbers become `Int` when they are integers within
    /// `i64`, `Float` otherwise; integers above `i64::MAX` are refused
    /// (no silent rounding).
    fn try_from(v: serde_json::Value) -> Result<Self, ValueError> {
        from_json(v, 0)
    }
}

impl TryFrom<&serde_json::Value> for Value {
    type Error = ValueError;
    fn try_from(v: &serde_json::Value) -> Result<Self, ValueError> {
        from_json(v.clone(), 0)
    }
}

fn from_json(v: serde_json::Value, depth: usize) -> Result<Value, ValueError> {
    // Same bound as `from_serialize`: at most MAX_VALUE_DEPTH nested
    // containers.
    let container = matches!(
        v,
        serde_json::Value::Array(_) | serde_json::Value::Object(_)
    );
    if container && depth >= MAX_VALUE_DEPTH {
        return Err(ValueError::TooDeep);
    }
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if n.is_u64() {
                return Err(ValueError::IntegerOutOfRange);
            } else {
                Value::Float(n.as_f64().ok_or(ValueError::IntegerOutOfRange)?)
            }
        }
        serde_json::Value::String(s) => Value::Text(s),
        serde_json::Value::Array(a) => Value::List(
            a.into_iter()
                .map(|x| from_json(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(o) => Value::Map(
            o.into_iter()
                .map(|(k, x)| Ok((k, from_json(x, depth + 1)?)))
                .collect::<Result<_, ValueError>>()?,
        ),
    })
}

impl Value {
    /// Convert any `Serialize` type (structs become maps with field names as
    /// keys, sequences become lists, `serialize_bytes` becomes `Bytes`).
    pub fn from_serialize<T: serde::Serialize + ?Sized>(v: &T) -> Result<Value, ValueError> {
        v.serialize(super::ser::ValueSerializer { depth: 0 })
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Text(t) => s.serialize_str(t),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_conversion() {
        let j = serde_json::json!({"path": "/a", "n": 3, "f": 1.5, "l": [true, null]});
        let v = Value::try_from(j).unwrap();
        assert_eq!(
            v,
            Value::map([
                ("path", Value::from("/a")),
                ("n", Value::Int(3)),
                ("f", Value::Float(1.5)),
                ("l", Value::list([Value::Bool(true), Value::Null])),
            ])
        );
        assert_eq!(
            Value::try_from(serde_json::json!(u64::MAX)),
            Err(ValueError::IntegerOutOfRange)
        );
    }

    #[test]
    fn json_depth_matches_serialize_and_cbor() {
        let nest = |levels: usize| {
            let mut v = serde_json::json!(1);
            for _ in 0..levels {
                v = serde_json::json!([v]);
            }
            v
        };
        let ok = nest(MAX_VALUE_DEPTH);
        let v = Value::try_from(&ok).unwrap();
        assert_eq!(Value::from_serialize(&ok).unwrap(), v);
        assert_eq!(Value::from_cbor(&v.to_cbor()).unwrap(), v);
        let deep = nest(MAX_VALUE_DEPTH + 1);
        assert_eq!(Value::try_from(&deep), Err(ValueError::TooDeep));
        assert_eq!(Value::from_serialize(&deep), Err(ValueError::TooDeep));
    }
}
