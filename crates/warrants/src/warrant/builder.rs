//! Mint and grant builders, and the `prepare()` / `finish()` split for
//! external signers (Vault Transit, KMS).
//!
//! A grant starts with **no tools**: each tool is added explicitly with
//! narrower (or equal) constraints, or copied with `inherit` /
//! `inherit_all`. Anything that would widen the parent (a tool it lacks,
//! a constraint that is not provably narrower, a later expiry, a deeper
//! max depth) is refused with a typed [`BuildError`] before signing.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{signed_message, Payload, Warrant, WarrantId};
use crate::constraint::{Constraint, ConstraintSet, MAX_CONSTRAINTS_PER_TOOL};
use crate::error::BuildError;
use crate::keys::{PublicKey, Signature, SigningKey};
use crate::limits;

/// TTL of a minted warrant when none is set.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// `max_depth` of a minted warrant when none is set.
pub const DEFAULT_MAX_DEPTH: u32 = 8;

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Fields common to both builders.
#[derive(Debug, Clone, Default)]
struct Common {
    holder: Option<PublicKey>,
    tools: BTreeMap<String, ConstraintSet>,
    ttl: Option<Duration>,
    max_depth: Option<u32>,
    issued_at: Option<u64>,
    id: Option<WarrantId>,
    extensions: BTreeMap<String, Vec<u8>>,
}

macro_rules! common_setters {
    () => {
        /// The key that will hold (use and delegate) the warrant.
        pub fn holder(mut self, key: PublicKey) -> Self {
            self.c.holder = Some(key);
            self
        }

        /// Time to live from `issued_at`.
        pub fn ttl(mut self, ttl: Duration) -> Self {
            self.c.ttl = Some(ttl);
            self
        }

        /// Deepest chain position any descendant may have.
        pub fn max_depth(mut self, max_depth: u32) -> Self {
            self.c.max_depth = Some(max_depth);
            self
        }

        /// Issue time in unix seconds (default: now). Set it for
        /// deterministic output, e.g. workflow time in Temporal.
        pub fn issued_at(mut self, unix_secs: u64) -> Self {
            self.c.issued_at = Some(unix_secs);
            self
        }

        /// Id (default: random). Set it for deterministic output.
        pub fn id(mut self, id: WarrantId) -> Self {
            self.c.id = Some(id);
            self
        }

        /// An opaque extension, signed and carried, never interpreted.
        pub fn extension(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
            self.c.extensions.insert(name.into(), value.into());
            self
        }
    };
}

/// Builds a root warrant. See [`Warrant::mint_builder`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct MintBuilder {
    c: Common,
}

impl MintBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    common_setters!();

    /// Grant `tool` with the named argument constraints (closed world).
    /// An empty list grants the tool with any arguments.
    pub fn capability<K: Into<String>>(
        mut self,
        tool: impl Into<String>,
        args: impl IntoIterator<Item = (K, Constraint)>,
    ) -> Self {
        self.c
            .tools
            .insert(tool.into(), ConstraintSet::from_args(args));
        self
    }

    /// Grant `tool` with a full constraint set (e.g. one with
    /// `allow_unknown`).
    pub fn capability_set(mut self, tool: impl Into<String>, set: ConstraintSet) -> Self {
        self.c.tools.insert(tool.into(), set);
        self
    }

    /// Grant `tool` with any arguments (an empty constraint set).
    pub fn tool_any(self, tool: impl Into<String>) -> Self {
        self.capability_set(tool, ConstraintSet::new())
    }

    /// Build the unsigned warrant for an issuer whose key is elsewhere.
    pub fn prepare(self, issuer: PublicKey) -> Result<UnsignedWarrant, BuildError> {
        let c = self.c;
        let holder = c.holder.ok_or(BuildError::MissingHolder)?;
        let issued_at = c.issued_at.unwrap_or_else(unix_now);
        let ttl = c.ttl.unwrap_or(DEFAULT_TTL).as_secs();
        check_ttl(ttl)?;
        let max_depth = c.max_depth.unwrap_or(DEFAULT_MAX_DEPTH);
        if max_depth as usize >= limits::HARD_MAX_CHAIN_LINKS {
            return Err(BuildError::DepthInvalid("max_depth exceeds the hard cap"));
        }
        let payload = Payload {
            id: c.id.unwrap_or_else(WarrantId::random),
            issuer,
            holder,
            issued_at,
            expires_at: issued_at
                .checked_add(ttl)
                .ok_or(BuildError::TtlInvalid("expiry overflows"))?,
            depth: 0,
            max_depth,
            parent: None,
            tools: c.tools,
            extensions: c.extensions,
        };
        UnsignedWarrant::new(payload)
    }

    /// Mint and sign with the issuer's key.
    pub fn mint(self, issuer: &SigningKey) -> Result<Warrant, BuildError> {
        self.prepare(issuer.public_key())?.sign_with(issuer)
    }
}

/// Builds an attenuated child warrant. See [`Warrant::grant_builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct GrantBuilder<'p> {
    parent: &'p Warrant,
    c: Common,
    inherit_all: bool,
    error: Option<BuildError>,
}

impl<'p> GrantBuilder<'p> {
    pub(crate) fn new(parent: &'p Warrant) -> Self {
        Self {
            parent,
            c: Common::default(),
            inherit_all: false,
            error: None,
        }
    }

    common_setters!();

    /// Grant `tool` with constraints that must be provably narrower than
    /// (or equal to) the parent's.
    pub fn capability<K: Into<String>>(
        self,
        tool: impl Into<String>,
        args: impl IntoIterator<Item = (K, Constraint)>,
    ) -> Self {
        self.capability_set(tool, ConstraintSet::from_args(args))
    }

    /// Grant `tool` with a full constraint set.
    pub fn capability_set(mut self, tool: impl Into<String>, set: ConstraintSet) -> Self {
        self.c.tools.insert(tool.into(), set);
        self
    }

    /// Copy one tool with the parent's constraints.
    pub fn inherit(mut self, tool: impl Into<String>) -> Self {
        let tool = tool.into();
        match self.parent.tool(&tool) {
            Some(set) => {
                self.c.tools.insert(tool, set.clone());
            }
            None => self.error = Some(BuildError::ToolNotInParent(tool)),
        }
        self
    }

    /// Copy every tool of the parent (explicitly; grants start empty).
    pub fn inherit_all(mut self) -> Self {
        self.inherit_all = true;
        self
    }

    /// Check every rule and build the unsigned child; its issuer is the
    /// parent's holder.
    pub fn prepare(self) -> Result<UnsignedWarrant, BuildError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let parent = self.parent;
        let c = self.c;
        let mut tools = c.tools;
        if self.inherit_all {
            for (name, set) in parent.tools() {
                tools.entry(name.clone()).or_insert_with(|| set.clone());
            }
        }
        for (name, set) in &tools {
            let pset = parent
                .tool(name)
                .ok_or_else(|| BuildError::ToolNotInParent(name.clone()))?;
            pset.narrows_to(set)
                .map_err(|reason| BuildError::ConstraintWidens {
                    tool: name.clone(),
                    reason,
                })?;
        }
        let depth = parent
            .depth()
            .checked_add(1)
            .filter(|d| *d <= parent.max_depth())
            .ok_or(BuildError::DepthInvalid(
                "the parent allows no further delegation",
            ))?;
        let max_depth = c.max_depth.unwrap_or(parent.max_depth());
        if max_depth > parent.max_depth() {
            return Err(BuildError::DepthInvalid("max_depth exceeds the parent's"));
        }
        if max_depth < depth {
            return Err(BuildError::DepthInvalid(
                "max_depth is below the child's depth",
            ));
        }
        let issued_at = match c.issued_at {
            Some(t) if t < parent.issued_at() => {
                return Err(BuildError::TtlInvalid("issued before the parent"))
            }
            Some(t) => t,
            None => unix_now().max(parent.issued_at()),
        };
        if issued_at >= parent.expires_at() {
            return Err(BuildError::TtlInvalid("the parent has expired"));
        }
        let expires_at = match c.ttl {
            Some(ttl) => {
                check_ttl(ttl.as_secs())?;
                let e = issued_at
                    .checked_add(ttl.as_secs())
                    .ok_or(BuildError::TtlInvalid("expiry overflows"))?;
                if e > parent.expires_at() {
                    return Err(BuildError::TtlInvalid("expiry is later than the parent's"));
                }
                e
            }
            None => parent.expires_at(),
        };
        let payload = Payload {
            id: c.id.unwrap_or_else(WarrantId::random),
            issuer: *parent.holder(),
            holder: c.holder.unwrap_or(*parent.holder()),
            issued_at,
            expires_at,
            depth,
            max_depth,
            parent: Some(*parent.hash()),
            tools,
            extensions: c.extensions,
        };
        UnsignedWarrant::new(payload)
    }

    /// Check every rule and sign with the parent holder's key.
    pub fn grant(self, parent_holder: &SigningKey) -> Result<Warrant, BuildError> {
        if parent_holder.public_key() != *self.parent.holder() {
            return Err(BuildError::WrongKey(
                "grant must be signed by the parent's holder",
            ));
        }
        self.prepare()?.sign_with(parent_holder)
    }
}

fn check_ttl(ttl: u64) -> Result<(), BuildError> {
    if ttl == 0 {
        return Err(BuildError::TtlInvalid("ttl must be positive"));
    }
    if ttl > limits::MAX_TTL_SECS {
        return Err(BuildError::TtlInvalid("ttl exceeds 90 days"));
    }
    Ok(())
}

/// A checked, encoded payload waiting for its issuer's signature.
#[derive(Debug, Clone)]
pub struct UnsignedWarrant {
    payload: Payload,
    payload_bytes: Vec<u8>,
}

impl UnsignedWarrant {
    fn new(payload: Payload) -> Result<Self, BuildError> {
        if payload.tools.is_empty() {
            return Err(BuildError::NoTools);
        }
        if payload.tools.len() > limits::MAX_TOOLS {
            return Err(BuildError::Limit("too many tools"));
        }
        for set in payload.tools.values() {
            if set.args().len() > MAX_CONSTRAINTS_PER_TOOL {
                return Err(BuildError::Limit("too many constraints for one tool"));
            }
        }
        payload.check_sane()?;
        let payload_bytes = payload.encode();
        // Leave room for the envelope's head and signature.
        if payload_bytes.len() + 80 > limits::MAX_ENVELOPE_BYTES {
            return Err(BuildError::Limit("warrant too large"));
        }
        Ok(Self {
            payload,
            payload_bytes,
        })
    }

    /// The payload that will be signed.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The exact payload bytes.
    pub fn payload_bytes(&self) -> &[u8] {
        &self.payload_bytes
    }

    /// The message the issuer must sign: `b"warrants/v1/warrant\0" ||
    /// payload bytes`. Hand it to Vault Transit, KMS, an HSM.
    pub fn signing_message(&self) -> Vec<u8> {
        signed_message(&self.payload_bytes)
    }

    /// Attach an external signature; it is verified against the issuer key
    /// so a misconfigured signer fails here, not at authorization.
    pub fn finish(self, signature: Signature) -> Result<Warrant, BuildError> {
        if !self
            .payload
            .issuer
            .verify(&self.signing_message(), &signature)
        {
            return Err(BuildError::BadSignature);
        }
        Ok(Warrant::assemble(
            self.payload,
            self.payload_bytes,
            signature,
        )?)
    }

    pub(crate) fn sign_with(self, key: &SigningKey) -> Result<Warrant, BuildError> {
        if key.public_key() != self.payload.issuer {
            return Err(BuildError::WrongKey("key is not the prepared issuer"));
        }
        let sig = key.sign(&self.signing_message());
        Ok(Warrant::assemble(self.payload, self.payload_bytes, sig)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraint::{Range, Subpath};
    use crate::test_support::{key, root_warrant, NOW};

    #[test]
    fn mint_defaults_and_fields() {
        let w = root_warrant();
        assert_eq!(w.depth(), 0);
        assert_eq!(w.max_depth(), DEFAULT_MAX_DEPTH);
        assert_eq!(w.expires_at(), NOW + 3600);
        assert_eq!(w.issuer(), &key(1).public_key());
        assert!(w.verify_signature());
        assert_eq!(Warrant::from_bytes(w.as_bytes()).unwrap(), w);
    }

    #[test]
    fn mint_refusals() {
        let b = || Warrant::mint_builder().issued_at(NOW);
        assert_eq!(
            b().tool_any("x").mint(&key(1)).unwrap_err(),
            BuildError::MissingHolder
        );
        let h = key(2).public_key();
        assert_eq!(
            b().holder(h).mint(&key(1)).unwrap_err(),
            BuildError::NoTools
        );
        assert!(matches!(
            b().holder(h)
                .tool_any("x")
                .ttl(Duration::ZERO)
                .mint(&key(1)),
            Err(BuildError::TtlInvalid(_))
        ));
        assert!(matches!(
            b().holder(h)
                .tool_any("x")
                .ttl(Duration::from_secs(limits::MAX_TTL_SECS + 1))
                .mint(&key(1)),
            Err(BuildError::TtlInvalid(_))
        ));
        assert!(matches!(
            b().holder(h).tool_any("x").max_depth(64).mint(&key(1)),
            Err(BuildError::DepthInvalid(_))
        ));
    }

    #[test]
    fn glob_budget_per_warrant() {
        use crate::constraint::Pattern;
        let glob = |i: usize| Pattern::new(format!("{i}-{}*", "x".repeat(795))).unwrap();
        let b = |n: usize| {
            let set = (0..n).fold(ConstraintSet::new(), |s, i| s.arg(format!("a{i}"), glob(i)));
            Warrant::mint_builder()
                .holder(key(2).public_key())
                .capability_set("t", set)
                .issued_at(NOW)
        };
        assert!(b(5).mint(&key(1)).is_ok());
        assert_eq!(
            b(6).mint(&key(1)).unwrap_err(),
            BuildError::Encoding(crate::DecodeError::TooLarge("glob bytes per warrant"))
        );
    }

    #[test]
    fn prepare_finish_with_external_signature() {
        let issuer = key(1);
        let u = Warrant::mint_builder()
            .holder(key(2).public_key())
            .tool_any("x")
            .issued_at(NOW)
            .id(WarrantId([5; 16]))
            .prepare(issuer.public_key())
            .unwrap();
        let good = issuer.sign(&u.signing_message());
        let bad = key(9).sign(&u.signing_message());
        assert_eq!(u.clone().finish(bad).unwrap_err(), BuildError::BadSignature);
        let w = u.finish(good).unwrap();
        assert!(w.verify_signature());
        assert_eq!(w.id(), WarrantId([5; 16]));
    }

    #[test]
    fn grant_starts_empty_and_inherits_explicitly() {
        let root = root_warrant();
        assert_eq!(
            root.grant_builder()
                .issued_at(NOW)
                .grant(&key(2))
                .unwrap_err(),
            BuildError::NoTools
        );
        let all = root
            .grant_builder()
            .inherit_all()
            .issued_at(NOW)
            .grant(&key(2))
            .unwrap();
        assert_eq!(all.tools(), root.tools());
        assert_eq!(all.expires_at(), root.expires_at());
        assert_eq!(all.holder(), root.holder());
        let one = root
            .grant_builder()
            .inherit("transfer")
            .issued_at(NOW)
            .grant(&key(2))
            .unwrap();
        assert_eq!(one.tools().len(), 1);
        assert_eq!(
            root.grant_builder()
                .inherit("nope")
                .grant(&key(2))
                .unwrap_err(),
            BuildError::ToolNotInParent("nope".into())
        );
    }

    #[test]
    fn grant_refuses_widening() {
        let root = root_warrant();
        let g = || root.grant_builder().issued_at(NOW);
        assert!(matches!(
            g().capability("read_file", [("path", Subpath::new("/").unwrap().into())])
                .grant(&key(2)),
            Err(BuildError::ConstraintWidens { .. })
        ));
        assert!(matches!(
            g().capability(
                "transfer",
                [("amount", Range::at_most(101).unwrap().into())]
            )
            .grant(&key(2)),
            Err(BuildError::ConstraintWidens { .. })
        ));
        assert!(matches!(
            g().inherit_all()
                .ttl(Duration::from_secs(3601))
                .grant(&key(2)),
            Err(BuildError::TtlInvalid(_))
        ));
        assert!(matches!(
            g().inherit_all()
                .max_depth(DEFAULT_MAX_DEPTH + 1)
                .grant(&key(2)),
            Err(BuildError::DepthInvalid(_))
        ));
        assert!(matches!(
            g().inherit_all().grant(&key(3)),
            Err(BuildError::WrongKey(_))
        ));
        assert!(matches!(
            root.grant_builder()
                .inherit_all()
                .issued_at(NOW - 1)
                .grant(&key(2)),
            Err(BuildError::TtlInvalid(_))
        ));
        // No depth left.
        let leaf = g().inherit_all().max_depth(1).grant(&key(2)).unwrap();
        assert!(matches!(
            leaf.grant_builder()
                .inherit_all()
                .issued_at(NOW)
                .grant(&key(2)),
            Err(BuildError::DepthInvalid(_))
        ));
    }
}
