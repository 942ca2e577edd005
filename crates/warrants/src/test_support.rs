//! Fixtures shared by the crate's unit tests.

use std::time::Duration;

use crate::constraint::{Range, Subpath};
use crate::{Chain, SigningKey, Warrant};

/// Fixed time used by unit tests.
pub(crate) const NOW: u64 = 1_700_000_000;

/// Deterministic key from a one-byte seed.
pub(crate) fn key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32])
}

/// Root warrant from key 1 to key 2: read_file under /data, transfer <= 100.
pub(crate) fn root_warrant() -> Warrant {
    Warrant::mint_builder()
        .holder(key(2).public_key())
        .capability(
            "read_file",
            [("path", Subpath::new("/data").unwrap().into())],
        )
        .capability(
            "transfer",
            [("amount", Range::at_most(100).unwrap().into())],
        )
        .ttl(Duration::from_secs(3600))
        .issued_at(NOW)
        .mint(&key(1))
        .unwrap()
}

/// Two-link chain: key 2 grants read_file under /data/in to key 3.
pub(crate) fn two_links() -> Chain {
    let root = root_warrant();
    let child = root
        .grant_builder()
        .capability(
            "read_file",
            [("path", Subpath::new("/data/in").unwrap().into())],
        )
        .holder(key(3).public_key())
        .issued_at(NOW)
        .ttl(Duration::from_secs(600))
        .grant(&key(2))
        .unwrap();
    Chain::root(root).push(child).unwrap()
}

/// 32 bytes that pass the byte-level key checks but are not a curve point.
pub(crate) fn off_curve_bytes() -> [u8; 32] {
    (2u8..=255)
        .map(|i| {
            let mut b = [i; 32];
            b[31] &= 0x7f;
            b
        })
        .find(|b| ed25519_dalek::VerifyingKey::from_bytes(b).is_err())
        .unwrap()
}
