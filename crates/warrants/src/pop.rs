//! Proof of possession: the leaf holder's signature over one call.
//!
//! Message: `b"warrants/v1/pop\0" || CBOR [leaf_hash: bstr 32, tool: text,
//! args, context: bstr, ts: uint]`, where `args` is the canonical encoding
//! of the argument [`Value`] and `context` is opaque bytes the integration
//! fills (Temporal: CBOR `[workflow_id, activity_id]`).
//! Wire form of a proof: CBOR array `[ts: uint, signature: bstr 64]`.
//! Verification is one strict signature check after an arithmetic window
//! check on `ts`; no time buckets are tried.

use serde::{Deserialize, Serialize};

use crate::cbor::{Reader, Writer};
use crate::chain::Chain;
use crate::error::DecodeError;
use crate::keys::{PublicKey, Signature, SigningKey};
use crate::value::Value;

/// Domain string prefixed to proof messages before signing.
pub const POP_DOMAIN: &[u8] = b"warrants/v1/pop\0";

/// A proof of possession.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pop {
    /// When the proof was made (unix seconds; workflow time in Temporal).
    pub ts: u64,
    /// The leaf holder's signature.
    pub signature: Signature,
}

/// The accepted range of proof timestamps around a reference time:
/// `reference - before <= ts <= reference + after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopWindow {
    /// Reference time (unix seconds): now, or Temporal's `scheduled_time`.
    pub reference: u64,
    /// Seconds a proof may predate the reference.
    pub before: u64,
    /// Seconds a proof may postdate the reference (clock skew).
    pub after: u64,
}

impl PopWindow {
    /// A window of `before` seconds before and `after` seconds after
    /// `reference`.
    pub fn around(reference: u64, before: u64, after: u64) -> Self {
        Self {
            reference,
            before,
            after,
        }
    }

    /// Whether `ts` lies in the window (saturating arithmetic).
    pub fn contains(&self, ts: u64) -> bool {
        self.reference.saturating_sub(self.before) <= ts
            && ts <= self.reference.saturating_add(self.after)
    }
}

impl Pop {
    /// Sign a call with the leaf holder's key. `context` binds the proof to
    /// one execution site; `ts` is the proof time.
    pub fn sign(
        holder: &SigningKey,
        chain: &Chain,
        tool: &str,
        args: &Value,
        context: &[u8],
        ts: u64,
    ) -> Pop {
        let leaf_hash = chain.leaf().map_or([0u8; 32], |l| *l.hash());
        Self::sign_for_leaf(holder, &leaf_hash, tool, args, context, ts)
    }

    /// Sign a call given the leaf's envelope hash.
    pub fn sign_for_leaf(
        holder: &SigningKey,
        leaf_hash: &[u8; 32],
        tool: &str,
        args: &Value,
        context: &[u8],
        ts: u64,
    ) -> Pop {
        let msg = Self::message(leaf_hash, tool, args, context, ts);
        Pop {
            ts,
            signature: holder.sign(&msg),
        }
    }

    /// The exact message a proof signs.
    pub fn message(
        leaf_hash: &[u8; 32],
        tool: &str,
        args: &Value,
        context: &[u8],
        ts: u64,
    ) -> Vec<u8> {
        let mut w = Writer::with_capacity(POP_DOMAIN.len() + 64 + tool.len() + context.len() + 64);
        w.raw(POP_DOMAIN);
        w.array(5);
        w.bytes(leaf_hash);
        w.text(tool);
        args.encode(&mut w);
        w.bytes(context);
        w.uint(ts);
        w.into_bytes()
    }

    /// Strict single check against the holder key (window not checked).
    pub fn verify(
        &self,
        holder: &PublicKey,
        leaf_hash: &[u8; 32],
        tool: &str,
        args: &Value,
        context: &[u8],
    ) -> bool {
        holder.verify(
            &Self::message(leaf_hash, tool, args, context, self.ts),
            &self.signature,
        )
    }

    /// Wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(76);
        w.array(2);
        w.uint(self.ts);
        w.bytes(&self.signature.0);
        w.into_bytes()
    }

    /// Strict decode of the wire bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > 128 {
            return Err(DecodeError::TooLarge("proof"));
        }
        let mut r = Reader::new(bytes, 2);
        r.array_of(2, "proof is [ts, signature]")?;
        let ts = r.uint()?;
        let signature = Signature(r.bytes_fixed::<64>()?);
        r.finish()?;
        Ok(Self { ts, signature })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{key, two_links, NOW};

    #[test]
    fn sign_verify_and_bytes() {
        let c = two_links();
        let leaf = c.leaf().unwrap();
        let args = Value::map([("path", "/data/in/a")]);
        let pop = Pop::sign(&key(3), &c, "read_file", &args, b"ctx", NOW);
        assert!(pop.verify(leaf.holder(), leaf.hash(), "read_file", &args, b"ctx"));
        assert!(!pop.verify(leaf.holder(), leaf.hash(), "read_file", &args, b"other"));
        assert_eq!(Pop::from_bytes(&pop.to_bytes()).unwrap(), pop);
        let mut b = pop.to_bytes();
        b.push(0);
        assert!(Pop::from_bytes(&b).is_err());
        assert!(Pop::from_bytes(&[0x82, 0x01, 0x40]).is_err());
    }

    #[test]
    fn message_layout() {
        let m = Pop::message(&[7; 32], "t", &Value::map([("a", 1)]), b"c", 5);
        assert!(m.starts_with(POP_DOMAIN));
        let body = &m[POP_DOMAIN.len()..];
        // [bstr32, "t", {"a": 1}, h'63', 5]
        let mut want = vec![0x85, 0x58, 0x20];
        want.extend_from_slice(&[7; 32]);
        want.extend_from_slice(&[0x61, b't', 0xa1, 0x61, b'a', 0x01, 0x41, b'c', 0x05]);
        assert_eq!(body, &want[..]);
    }

    #[test]
    fn window_is_inclusive_and_saturating() {
        let w = PopWindow::around(100, 10, 5);
        assert!(w.contains(90) && w.contains(105));
        assert!(!w.contains(89) && !w.contains(106));
        assert!(PopWindow::around(3, 10, 0).contains(0));
        assert!(PopWindow::around(u64::MAX, 0, 10).contains(u64::MAX));
    }
}
