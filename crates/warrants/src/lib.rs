//! # warrants
//!
//! Signed, short-lived, holder-bound **warrants** that say which tools may
//! run with which argument values; verified offline in microseconds;
//! narrowing, never widening, when delegated.
//!
//! ```
//! use std::time::Duration;
//! use warrants::{Authorizer, Call, Chain, Pop, PopWindow, SigningKey, Value, Warrant};
//! use warrants::constraint::{Range, Subpath};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let now = 1_700_000_000;
//! let root = SigningKey::generate();
//! let agent = SigningKey::generate();
//! let warrant = Warrant::mint_builder()
//!     .holder(agent.public_key())
//!     .capability("read_file", [("path", Subpath::new("/data/in")?.into())])
//!     .capability("transfer", [("amount", Range::at_most(100)?.into())])
//!     .ttl(Duration::from_secs(3600))
//!     .issued_at(now)
//!     .mint(&root)?;
//! let bytes = Chain::root(warrant).to_bytes();
//! let chain = Chain::from_bytes(&bytes)?; // structural decode, no trust yet
//!
//! let args = Value::map([("path", "/data/in/report.txt")]);
//! let pop = Pop::sign(&agent, &chain, "read_file", &args, b"ctx", now);
//! let authorizer = Authorizer::builder().trusted_root(root.public_key()).build();
//! let call = Call::new("read_file", &args, b"ctx");
//! let ok = authorizer.authorize_at(&chain, &call, &pop, PopWindow::around(now, 60, 5), now)?;
//! assert_eq!(ok.chain_len, 1);
//! # Ok(()) }
//! ```
//!
//! Modules: [`keys`], [`value`], [`constraint`], [`warrant`], [`chain`],
//! [`pop`], [`revocation`], [`authorizer`]. The wire format is normative in
//! `docs/SPEC.md`.

pub mod authorizer;
mod cbor;
pub mod chain;
pub mod constraint;
pub mod error;
pub mod keys;
pub mod limits;
pub mod pop;
pub mod revocation;
pub mod value;
pub mod warrant;

pub use authorizer::{
    Authorized, Authorizer, AuthorizerBuilder, Call, Denial, Diagnosis, Redaction,
};
pub use chain::{Chain, LinkRule};
pub use constraint::{Constraint, ConstraintSet};
pub use error::{BuildError, ConstraintError, DecodeError, KeyError, ValueError};
pub use keys::{PublicKey, Signature, SigningKey};
pub use pop::{Pop, PopWindow};
pub use revocation::{RevocationError, RevocationList};
pub use value::Value;
pub use warrant::{Payload, UnsignedWarrant, Warrant, WarrantId};

#[cfg(test)]
mod test_support;
