//! `OneOf`: equal to one of a set of values.

use super::{decode_value, expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Most values a `OneOf` may list.
pub const MAX_ONE_OF: usize = 1024;

/// Allows any value of a non-empty set. On the wire the set is written in
/// the order of the values' canonical encodings, without duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOf {
    values: Vec<Value>,
}

impl OneOf {
    /// One of `values`. Sorts and de-duplicates (by canonical encoding);
    /// refuses an empty set, NaN and more than 1024 values (`MAX_ONE_OF`).
    pub fn new<V: Into<Value>>(
        values: impl IntoIterator<Item = V>,
    ) -> Result<Self, ConstraintError> {
        let mut enc: Vec<(Vec<u8>, Value)> = Vec::new();
        for v in values {
            let v = v.into();
            if v.contains_nan() {
                return Err(ConstraintError::InvalidValue("nan never matches"));
            }
            if v.nested_deeper_than(crate::value::MAX_CONSTRAINT_VALUE_DEPTH) {
                return Err(ConstraintError::InvalidValue("value nested too deeply"));
            }
            enc.push((v.to_cbor(), v));
        }
        enc.sort_by(|a, b| a.0.cmp(&b.0));
        enc.dedup_by(|a, b| a.0 == b.0);
        if enc.is_empty() {
            return Err(ConstraintError::InvalidSet(
                "one_of needs at least one value",
            ));
        }
        if enc.len() > MAX_ONE_OF {
            return Err(ConstraintError::InvalidSet("one_of has too many values"));
        }
        Ok(Self {
            values: enc.into_iter().map(|(_, v)| v).collect(),
        })
    }

    /// The allowed values in canonical order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

impl Kind for OneOf {
    const TYPE_ID: u64 = 2;
    const NAME: &'static str = "one_of";

    fn matches(&self, value: &Value) -> bool {
        self.values.iter().any(|v| v == value)
    }

    fn narrows_to(&self, _child: &Constraint) -> Result<(), Widening> {
        // Exact and OneOf children are decided by the shared finite rule.
        Err("one_of only narrows to a subset of its values")
    }

    fn encode_params(&self, w: &mut Writer) {
        w.array(self.values.len());
        for v in &self.values {
            v.encode(w);
        }
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 1, "one_of takes one list")?;
        let len = r.array()?;
        if len == 0 {
            return Err(DecodeError::Malformed("one_of with no values"));
        }
        if len > MAX_ONE_OF {
            return Err(DecodeError::TooLarge("one_of values"));
        }
        r.enter()?;
        let mut values = Vec::with_capacity(len);
        let mut prev: Option<&[u8]> = None;
        for _ in 0..len {
            let start = r.pos();
            let v = decode_value(r)?;
            if v.nested_deeper_than(crate::value::MAX_CONSTRAINT_VALUE_DEPTH) {
                return Err(DecodeError::TooDeep);
            }
            let bytes = r.slice(start, r.pos())?;
            if let Some(p) = prev {
                if p >= bytes {
                    return Err(DecodeError::NonCanonical(
                        "one_of values not sorted and unique",
                    ));
                }
            }
            prev = Some(bytes);
            values.push(v);
        }
        r.leave();
        Ok(Self { values })
    }
}
