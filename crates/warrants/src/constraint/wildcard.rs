//! `Wildcard`: any value; the argument must still be present.

use super::{expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::DecodeError;
use crate::value::Value;

/// Allows any value of a present argument. The widest constraint: every
/// known constraint type narrows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wildcard;

impl Wildcard {
    /// The wildcard.
    pub fn new() -> Self {
        Wildcard
    }
}

impl Kind for Wildcard {
    const TYPE_ID: u64 = 0;
    const NAME: &'static str = "wildcard";

    fn matches(&self, _value: &Value) -> bool {
        true
    }

    fn narrows_to(&self, _child: &Constraint) -> Result<(), Widening> {
        // Decided by the shared rule (Wildcard is narrowed by every known type).
        Ok(())
    }

    fn encode_params(&self, _w: &mut Writer) {}

    fn param_count(&self) -> usize {
        0
    }

    fn decode_params(_r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 0, "wildcard takes no parameters")?;
        Ok(Wildcard)
    }
}
