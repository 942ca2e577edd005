//! `Range`: a number within bounds (ints and floats, inclusive or exclusive).

use std::cmp::Ordering;

use super::{expect_params, Constraint, Kind, Widening};
use crate::cbor::{self, Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::{num_cmp, Value};

/// One end of a [`Range`].
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    value: Value,
    inclusive: bool,
}

impl Bound {
    /// An inclusive bound.
    pub fn inclusive(v: impl Into<Value>) -> Self {
        Self {
            value: v.into(),
            inclusive: true,
        }
    }

    /// An exclusive bound.
    pub fn exclusive(v: impl Into<Value>) -> Self {
        Self {
            value: v.into(),
            inclusive: false,
        }
    }

    /// The bound's number (`Int` or `Float`).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Whether the bound itself is allowed.
    pub fn is_inclusive(&self) -> bool {
        self.inclusive
    }
}

/// Allows numbers (`Int` or `Float`, never NaN) between optional bounds,
/// compared by exact numeric value.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    min: Option<Bound>,
    max: Option<Bound>,
}

impl Range {
    /// A range from optional bounds. Refuses non-numeric or NaN bounds and
    /// empty ranges.
    pub fn new(min: Option<Bound>, max: Option<Bound>) -> Result<Self, ConstraintError> {
        for b in min.iter().chain(max.iter()) {
            if !b.value.is_number() {
                return Err(ConstraintError::InvalidRange(
                    "bounds must be numbers, not nan",
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (&min, &max) {
            match num_cmp(&lo.value, &hi.value) {
                Some(Ordering::Less) => {}
                Some(Ordering::Equal) if lo.inclusive && hi.inclusive => {}
                _ => return Err(ConstraintError::InvalidRange("empty range")),
            }
        }
        Ok(Self { min, max })
    }

    /// `min <= x <= max`.
    pub fn between(min: impl Into<Value>, max: impl Into<Value>) -> Result<Self, ConstraintError> {
        Self::new(Some(Bound::inclusive(min)), Some(Bound::inclusive(max)))
    }

    /// `x <= max`.
    pub fn at_most(max: impl Into<Value>) -> Result<Self, ConstraintError> {
        Self::new(None, Some(Bound::inclusive(max)))
    }

    /// `x >= min`.
    pub fn at_least(min: impl Into<Value>) -> Result<Self, ConstraintError> {
        Self::new(Some(Bound::inclusive(min)), None)
    }

    /// `x < max`.
    pub fn less_than(max: impl Into<Value>) -> Result<Self, ConstraintError> {
        Self::new(None, Some(Bound::exclusive(max)))
    }

    /// `x > min`.
    pub fn greater_than(min: impl Into<Value>) -> Result<Self, ConstraintError> {
        Self::new(Some(Bound::exclusive(min)), None)
    }

    /// The lower bound.
    pub fn min(&self) -> Option<&Bound> {
        self.min.as_ref()
    }

    /// The upper bound.
    pub fn max(&self) -> Option<&Bound> {
        self.max.as_ref()
    }
}

/// Whether the child's lower bound is at or above the parent's.
fn lower_within(parent: Option<&Bound>, child: Option<&Bound>) -> bool {
    match (parent, child) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(p), Some(c)) => match num_cmp(&c.value, &p.value) {
            Some(Ordering::Greater) => true,
            Some(Ordering::Equal) => p.inclusive || !c.inclusive,
            _ => false,
        },
    }
}

/// Whether the child's upper bound is at or below the parent's.
fn upper_within(parent: Option<&Bound>, child: Option<&Bound>) -> bool {
    match (parent, child) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(p), Some(c)) => match num_cmp(&c.value, &p.value) {
            Some(Ordering::Less) => true,
            Some(Ordering::Equal) => p.inclusive || !c.inclusive,
            _ => false,
        },
    }
}

impl Kind for Range {
    const TYPE_ID: u64 = 3;
    const NAME: &'static str = "range";

    fn matches(&self, value: &Value) -> bool {
        if !value.is_number() {
            return false;
        }
        let lo_ok = self.min.as_ref().is_none_or(|b| {
            matches!(
                (num_cmp(value, &b.value), b.inclusive),
                (Some(Ordering::Greater), _) | (Some(Ordering::Equal), true)
            )
        });
        let hi_ok = self.max.as_ref().is_none_or(|b| {
            matches!(
                (num_cmp(value, &b.value), b.inclusive),
                (Some(Ordering::Less), _) | (Some(Ordering::Equal), true)
            )
        });
        lo_ok && hi_ok
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::Range(c) => {
                if !lower_within(self.min.as_ref(), c.min.as_ref()) {
                    return Err("range lower bound widens the parent");
                }
                if !upper_within(self.max.as_ref(), c.max.as_ref()) {
                    return Err("range upper bound widens the parent");
                }
                Ok(())
            }
            _ => Err("range only narrows to a range, exact or one_of"),
        }
    }

    fn encode_params(&self, w: &mut Writer) {
        for b in [&self.min, &self.max] {
            match b {
                None => w.null(),
                Some(b) => {
                    w.array(2);
                    b.value.encode(w);
                    w.bool(b.inclusive);
                }
            }
        }
    }

    fn param_count(&self) -> usize {
        2
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 2, "range takes two bounds")?;
        let min = decode_bound(r)?;
        let max = decode_bound(r)?;
        Ok(Range::new(min, max)?)
    }
}

fn decode_bound(r: &mut Reader<'_>) -> Result<Option<Bound>, DecodeError> {
    if r.peek_major()? == cbor::MAJOR_SIMPLE {
        let h = r.head()?;
        return match cbor::simple_from_head(h)? {
            cbor::Simple::Null => Ok(None),
            _ => Err(DecodeError::UnexpectedType("range bound or null")),
        };
    }
    r.array_of(2, "range bound is [number, inclusive]")?;
    r.enter()?;
    let value = Value::decode(r)?;
    let inclusive = r.bool()?;
    r.leave();
    Ok(Some(Bound { value, inclusive }))
}
