//! One named negative test per security invariant (`docs/SPEC.md` cites
//! these names). Each test asserts the exact denial or error, and where it
//! is meaningful a positive control that the same setup is allowed, so a
//! test fails if the rule stops being enforced *or* if the fixture is broken.

// Helpers outside `#[test]` fns are not covered by clippy.toml's
// allow-*-in-tests settings; test code may unwrap, panic and index.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../common/mod.rs"]
mod common;

mod chain;
mod constraints;
mod denials;
mod keys_limits;
mod pop;
mod revocation_cache;
mod wire;

use common::raw::{self, Field};
use common::*;
use warrants::constraint::{ArgViolation, ViolationKind};
use warrants::{Authorizer, Call, Chain, Denial, Pop, Value};

/// The fields of the standard root payload with one value replaced.
fn patched(fields: &[Field], key: u8, value: Vec<u8>) -> Vec<u8> {
    let mut f = fields.to_vec();
    let i = raw::field_index(&f, key);
    f[i].1 = value;
    raw::payload(&f)
}

/// Authorize `tool(args)` with a given proof, at [`NOW`], standard window
/// and context.
fn with_pop(
    az: &Authorizer,
    chain: &Chain,
    tool: &str,
    args: &Value,
    pop: &Pop,
) -> Result<(), Denial> {
    az.authorize_at(chain, &Call::new(tool, args, CTX), pop, window_at(NOW), NOW)
        .map(|_| ())
}

/// Authorize from bytes at `now` with the standard window and context.
fn bytes_call(
    az: &Authorizer,
    chain: Option<&[u8]>,
    pop: Option<&[u8]>,
    tool: &str,
    args: &Value,
    now: u64,
) -> Result<warrants::Authorized, Denial> {
    az.authorize_bytes_at(chain, &Call::new(tool, args, CTX), pop, window_at(now), now)
}

fn violation(d: &Denial) -> &ArgViolation {
    match d {
        Denial::ConstraintViolated { violation, .. } => violation,
        other => panic!("expected CONSTRAINT_VIOLATED, got {other:?}"),
    }
}

fn mismatch(c: &str) -> ViolationKind {
    ViolationKind::Mismatch {
        constraint: c.to_owned(),
    }
}
