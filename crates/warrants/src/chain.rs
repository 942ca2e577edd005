//! Chains of warrants, root first, leaf last.
//!
//! Wire form: CBOR array of envelopes. [`Chain::from_bytes`] is a
//! structural decode (no trust decision); [`check_link`] holds the link
//! rules, which [`Chain::push`] and the [`crate::Authorizer`] apply.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cbor::{Reader, Writer};
use crate::error::DecodeError;
use crate::limits;
use crate::warrant::{Header, RawEnvelope, Warrant};

/// Which link rule a child breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinkRule {
    /// The root has a parent hash or a non-zero depth.
    #[error("root must have depth 0 and no parent")]
    RootShape,
    /// `child.issuer != parent.holder`.
    #[error("issuer is not the parent's holder")]
    IssuerNotParentHolder,
    /// `child.parent != hash(parent envelope)`.
    #[error("parent hash does not match")]
    ParentHashMismatch,
    /// `child.depth != parent.depth + 1`.
    #[error("depth is not the parent's plus one")]
    DepthNotIncrement,
    /// `child.depth > parent.max_depth`.
    #[error("depth exceeds the parent's max_depth")]
    DepthExceedsMax,
    /// `child.max_depth > parent.max_depth`.
    #[error("max_depth exceeds the parent's")]
    MaxDepthWidened,
    /// `child.issued_at < parent.issued_at`.
    #[error("issued before the parent")]
    IssuedBeforeParent,
    /// `child.expires_at > parent.expires_at`.
    #[error("expires after the parent")]
    ExpiresAfterParent,
    /// A child tool the parent does not grant.
    #[error("grants a tool the parent does not grant")]
    ToolNotInParent,
    /// An envelope signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

/// Check the link rules between a parent and its child (not signatures).
pub fn check_link(parent: &Warrant, child: &Warrant) -> Result<(), LinkRule> {
    check_link_headers(
        &parent.payload().header(),
        parent.hash(),
        &child.payload().header(),
    )?;
    if child.tools().keys().any(|t| parent.tool(t).is_none()) {
        return Err(LinkRule::ToolNotInParent);
    }
    Ok(())
}

/// The link rules that need only the fixed-size fields (all but the tool
/// subset rule).
pub fn check_link_headers(
    parent: &Header,
    parent_hash: &[u8; 32],
    child: &Header,
) -> Result<(), LinkRule> {
    if child.issuer != parent.holder {
        return Err(LinkRule::IssuerNotParentHolder);
    }
    if child.parent.as_ref() != Some(parent_hash) {
        return Err(LinkRule::ParentHashMismatch);
    }
    if Some(child.depth) != parent.depth.checked_add(1) {
        return Err(LinkRule::DepthNotIncrement);
    }
    if child.depth > parent.max_depth {
        return Err(LinkRule::DepthExceedsMax);
    }
    if child.max_depth > parent.max_depth {
        return Err(LinkRule::MaxDepthWidened);
    }
    if child.issued_at < parent.issued_at {
        return Err(LinkRule::IssuedBeforeParent);
    }
    if child.expires_at > parent.expires_at {
        return Err(LinkRule::ExpiresAfterParent);
    }
    Ok(())
}

/// The root rule: depth 0 and no parent hash.
pub fn check_root_header(root: &Header) -> Result<(), LinkRule> {
    if root.depth != 0 || root.parent.is_some() {
        return Err(LinkRule::RootShape);
    }
    Ok(())
}

/// Split chain bytes into envelopes without parsing any payload.
pub(crate) fn split(bytes: &[u8]) -> Result<Vec<RawEnvelope<'_>>, DecodeError> {
    if bytes.len() > limits::MAX_CHAIN_BYTES {
        return Err(DecodeError::TooLarge("chain"));
    }
    let mut r = Reader::new(bytes, limits::MAX_NESTING);
    let n = r.array()?;
    if n == 0 {
        return Err(DecodeError::Malformed("empty chain"));
    }
    if n > limits::HARD_MAX_CHAIN_LINKS {
        return Err(DecodeError::TooLarge("chain links"));
    }
    let mut links = Vec::with_capacity(n);
    for _ in 0..n {
        links.push(RawEnvelope::split(&mut r)?);
    }
    r.finish()?;
    Ok(links)
}

/// A chain of warrants from a root to the leaf that a call uses.
#[derive(Clone, PartialEq, Eq)]
pub struct Chain {
    links: Vec<Warrant>,
    bytes: Vec<u8>,
    hash: [u8; 32],
}

impl Chain {
    /// A chain of one root warrant.
    pub fn root(root: Warrant) -> Self {
        Self::from_links(vec![root])
    }

    fn from_links(links: Vec<Warrant>) -> Self {
        let mut w = Writer::with_capacity(links.iter().map(|l| l.as_bytes().len() + 4).sum());
        w.array(links.len());
        for l in &links {
            w.raw(l.as_bytes());
        }
        let bytes = w.into_bytes();
        let hash = Sha256::digest(&bytes).into();
        Self { links, bytes, hash }
    }

    /// Append a child, checking the link rules against the current leaf
    /// (not signatures and not trust: the authorizer does those).
    pub fn push(&self, child: Warrant) -> Result<Chain, LinkRule> {
        if let Some(leaf) = self.links.last() {
            check_link(leaf, &child)?;
        }
        let mut links = self.links.clone();
        links.push(child);
        Ok(Self::from_links(links))
    }

    /// Structural decode: canonical CBOR array of 1 to 64 envelopes, at most
    /// 256 KiB. Says nothing about trust or link validity. For untrusted
    /// bytes prefer [`crate::Authorizer::authorize_bytes_at`], which checks
    /// trust and signatures before parsing any tool or constraint.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let raw = split(bytes)?;
        Self::from_split(bytes, Sha256::digest(bytes).into(), &raw)
    }

    /// Fully decode envelopes already split from `bytes`.
    pub(crate) fn from_split(
        bytes: &[u8],
        hash: [u8; 32],
        raw: &[RawEnvelope<'_>],
    ) -> Result<Self, DecodeError> {
        let links = raw
            .iter()
            .map(Warrant::from_raw)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            links,
            bytes: bytes.to_vec(),
            hash,
        })
    }

    /// The chain's canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// The chain's canonical bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// SHA-256 of the chain bytes (the verified-chain cache key).
    pub fn hash(&self) -> &[u8; 32] {
        &self.hash
    }

    /// Links, root first.
    pub fn links(&self) -> &[Warrant] {
        &self.links
    }

    /// The root warrant.
    pub fn root_warrant(&self) -> Option<&Warrant> {
        self.links.first()
    }

    /// The leaf warrant (the one calls use).
    pub fn leaf(&self) -> Option<&Warrant> {
        self.links.last()
    }

    /// Number of links.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether the chain has no links (never true for decoded chains).
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Check the root shape and every link rule.
    pub fn check_links(&self) -> Result<(), (usize, LinkRule)> {
        let root = self.links.first().ok_or((0, LinkRule::RootShape))?;
        check_root_header(&root.payload().header()).map_err(|r| (0, r))?;
        for (i, pair) in self.links.windows(2).enumerate() {
            if let [p, c] = pair {
                check_link(p, c).map_err(|r| (i + 1, r))?;
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.links.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{key, root_warrant, two_links, NOW};
    use crate::warrant::Payload;

    #[test]
    fn bytes_round_trip_and_hash() {
        let c = two_links();
        let back = Chain::from_bytes(c.as_bytes()).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.hash(), c.hash());
        assert_eq!(back.len(), 2);
        assert!(back.check_links().is_ok());
    }

    #[test]
    fn push_checks_link_rules() {
        let root = root_warrant();
        // A child signed by someone other than the parent's holder.
        let mut p: Payload = root.payload().clone();
        p.issuer = key(9).public_key();
        p.depth = 1;
        p.parent = Some(*root.hash());
        let bad = Warrant::sign_payload(p, &key(9)).unwrap();
        assert_eq!(
            Chain::root(root).push(bad).unwrap_err(),
            LinkRule::IssuerNotParentHolder
        );
    }

    #[test]
    fn root_shape_is_checked() {
        let c = two_links();
        let child_only = Chain::root(c.links()[1].clone());
        assert_eq!(child_only.check_links(), Err((0, LinkRule::RootShape)));
        let _ = NOW;
    }

    #[test]
    fn decode_rejects_empty_and_trailing() {
        assert!(Chain::from_bytes(&[0x80]).is_err());
        let mut b = two_links().to_bytes();
        b.push(0);
        assert_eq!(Chain::from_bytes(&b), Err(DecodeError::TrailingBytes));
        assert!(Chain::from_bytes(&vec![0u8; limits::MAX_CHAIN_BYTES + 1]).is_err());
    }
}
