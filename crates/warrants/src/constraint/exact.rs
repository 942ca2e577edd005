//! `Exact`: equal to one value.

use super::{decode_value, expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Allows exactly one value (numbers compare by exact numeric value, so
/// `Exact(3)` allows `3.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct Exact {
    value: Value,
}

impl Exact {
    /// Equal to `value`. Refuses values containing NaN (they equal nothing).
    pub fn new(value: impl Into<Value>) -> Result<Self, ConstraintError> {
        let value = value.into();
        if value.contains_nan() {
            return Err(ConstraintError::InvalidValue("nan never matches"));
        }
        if value.nested_deeper_than(crate::value::MAX_CONSTRAINT_VALUE_DEPTH) {
            return Err(ConstraintError::InvalidValue("value nested too deeply"));
        }
        Ok(Self { value })
    }

    /// The allowed value.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

impl Kind for Exact {
    const TYPE_ID: u64 = 1;
    const NAME: &'static str = "exact";

    fn matches(&self, value: &Value) -> bool {
        self.value == *value
    }

    fn narrows_to(&self, _child: &Constraint) -> Result<(), Widening> {
        // Exact and OneOf children are decided by the shared finite rule.
        Err("exact only narrows to the same value")
    }

    fn encode_params(&self, w: &mut Writer) {
        self.value.encode(w);
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 1, "exact takes one value")?;
        Ok(Self::new(decode_value(r)?)?)
    }
}
