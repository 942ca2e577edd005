//! Exact numeric comparison across `Int` and `Float`.

use std::cmp::Ordering;

use super::Value;

/// Compare two numbers by exact value. `None` when either side is not a
/// number or is NaN. No lossy casts: `i64::MAX` is less than `2^63` as a
/// float, and `3` equals `3.0`.
pub fn num_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Float(y)) => int_float_cmp(*x, *y),
        (Value::Float(x), Value::Int(y)) => int_float_cmp(*y, *x).map(Ordering::reverse),
        _ => None,
    }
}

/// Exact comparison of an integer with a float.
pub(crate) fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if f.is_nan() {
        return None;
    }
    if f >= LIMIT {
        return Some(Ordering::Less);
    }
    if f < -LIMIT {
        return Some(Ordering::Greater);
    }
    // -2^63 <= f < 2^63: the truncation is exactly representable as i64.
    let t = f.trunc();
    let ti = t as i64;
    match i.cmp(&ti) {
        Ordering::Equal => {
            let frac = f - t;
            if frac > 0.0 {
                Some(Ordering::Less)
            } else if frac < 0.0 {
                Some(Ordering::Greater)
            } else {
                Some(Ordering::Equal)
            }
        }
        o => Some(o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges() {
        assert_eq!(
            int_float_cmp(i64::MAX, 9.223372036854776e18),
            Some(Ordering::Less)
        );
        assert_eq!(
            int_float_cmp(i64::MIN, -9.223372036854776e18),
            Some(Ordering::Equal)
        );
        assert_eq!(int_float_cmp(0, -0.0), Some(Ordering::Equal));
        assert_eq!(int_float_cmp(1, 1.5), Some(Ordering::Less));
        assert_eq!(int_float_cmp(-1, -1.5), Some(Ordering::Greater));
        assert_eq!(int_float_cmp(5, f64::INFINITY), Some(Ordering::Less));
        assert_eq!(int_float_cmp(5, f64::NEG_INFINITY), Some(Ordering::Greater));
        assert_eq!(int_float_cmp(5, f64::NAN), None);
    }

    proptest! {
        // Against an i128/f64 oracle where the float is exactly an integer in range.
        #[test]
        fn matches_exact_oracle(i in any::<i64>(), j in -(1i64 << 52)..(1i64 << 52), half in any::<bool>()) {
            let f = j as f64 + if half { 0.5 } else { 0.0 };
            let expect = (i128::from(i) * 2).cmp(&(i128::from(j) * 2 + i128::from(half)));
            prop_assert_eq!(int_float_cmp(i, f), Some(expect));
        }
    }
}
