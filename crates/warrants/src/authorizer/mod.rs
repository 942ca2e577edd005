//! The authorizer: decides whether one call may run under a chain.
//!
//! Verification order (normative, `docs/SPEC.md` §10). For a decoded chain
//! ([`Authorizer::authorize_at`]): cheap checks first (sizes, proof window,
//! leaf grants the tool), then chain structure and trust (cached),
//! revocation, expiry, the constraint conjunction over every link, and last
//! the signatures. For header bytes on a cache miss
//! ([`Authorizer::authorize_bytes_at`]) the chain is verified before it is
//! parsed: fixed-size fields, trust, link rules, revocation, expiry and
//! signatures first, tools and constraints after. Signatures of the chain
//! and the proof are checked together in one batch (weak keys were refused
//! at decode), falling back to one strict check per signature to name the
//! bad one. A verified chain is cached by the hash of its bytes, so the
//! common case, many calls under one warrant, costs one signature check.
//! Every error path denies.

mod cache;
mod checks;
mod denial;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use cache::DEFAULT_CACHE_CAPACITY;
pub use denial::{render_violations, Denial, Redaction};

use crate::chain::Chain;
use crate::constraint::ArgViolation;
use crate::keys::PublicKey;
use crate::limits;
use crate::pop::{Pop, PopWindow};
use crate::revocation::{RevocationError, RevocationList};
use crate::value::Value;
use crate::warrant::{Header, RawEnvelope, WarrantId};
use cache::ChainCache;

/// Default tolerance for clock differences when checking validity times.
pub const DEFAULT_CLOCK_SKEW_SECS: u64 = 30;

/// One tool call to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Tool name (Temporal: mapped from the activity type).
    pub tool: &'a str,
    /// Named arguments, normally a [`Value::Map`].
    pub args: &'a Value,
    /// Opaque bytes the proof is bound to (Temporal: workflow and activity id).
    pub context: &'a [u8],
}

impl<'a> Call<'a> {
    /// A call of `tool` with `args`, bound to `context`.
    pub fn new(tool: &'a str, args: &'a Value, context: &'a [u8]) -> Self {
        Self {
            tool,
            args,
            context,
        }
    }
}

/// What an allowed call was authorized by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorized {
    /// Id of the leaf warrant.
    pub warrant_id: WarrantId,
    /// Id of the root warrant.
    pub root_id: WarrantId,
    /// Number of links in the chain.
    pub chain_len: usize,
    /// The leaf's expiry, unix seconds.
    pub expires_at: u64,
    /// Whether the verified-chain cache answered.
    pub cache_hit: bool,
}

/// The result of [`Authorizer::why_denied_at`]: every reason a call would
/// be refused, proof and signatures aside.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Chain-level denials (trust, structure, revocation, expiry, tool).
    pub denials: Vec<Denial>,
    /// Every violated argument on every link.
    pub violations: Vec<ArgViolation>,
}

impl Diagnosis {
    /// Whether nothing (besides the proof and signatures) would deny.
    pub fn is_clean(&self) -> bool {
        self.denials.is_empty() && self.violations.is_empty()
    }
}

/// Installed revocation lists: one per trusted root, each with its own
/// version, and the union of their ids (what decisions read).
#[derive(Debug, Default, Clone)]
struct Revocations {
    per_issuer: HashMap<PublicKey, (u64, HashSet<WarrantId>)>,
    ids: HashSet<WarrantId>,
}

/// Configures an [`Authorizer`].
#[derive(Debug, Clone)]
#[must_use]
pub struct AuthorizerBuilder {
    roots: Vec<PublicKey>,
    clock_skew: u64,
    max_links: usize,
    cache_capacity: usize,
    revocations: Option<RevocationList>,
}

impl Default for AuthorizerBuilder {
    fn default() -> Self {
        Self {
            roots: Vec::new(),
            clock_skew: DEFAULT_CLOCK_SKEW_SECS,
            max_links: limits::DEFAULT_MAX_CHAIN_LINKS,
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            revocations: None,
        }
    }
}

impl AuthorizerBuilder {
    /// Trust root warrants issued by `key`.
    pub fn trusted_root(mut self, key: PublicKey) -> Self {
        if !self.roots.contains(&key) {
            // Decompress now, once: cold verification reuses the point.
            self.roots.push(key.resolved());
        }
        self
    }

    /// Trust several root keys.
    pub fn trusted_roots(mut self, keys: impl IntoIterator<Item = PublicKey>) -> Self {
        for k in keys {
            self = self.trusted_root(k);
        }
        self
    }

    /// Tolerance, in seconds, applied to `issued_at` and `expires_at`.
    pub fn clock_skew(mut self, secs: u64) -> Self {
        self.clock_skew = secs;
        self
    }

    /// Most links accepted (clamped to 1..=64).
    pub fn max_chain_links(mut self, n: usize) -> Self {
        self.max_links = n.clamp(1, limits::HARD_MAX_CHAIN_LINKS);
        self
    }

    /// Verified-chain cache size (0 disables the cache).
    pub fn cache_capacity(mut self, n: usize) -> Self {
        self.cache_capacity = n;
        self
    }

    /// Install this signed revocation list at build time (checked like
    /// [`Authorizer::install_revocations`]).
    pub fn revocation_list(mut self, list: RevocationList) -> Self {
        self.revocations = Some(list);
        self
    }

    /// Build the authorizer, failing if the revocation list is refused.
    pub fn try_build(self) -> Result<Authorizer, RevocationError> {
        let list = self.revocations.clone();
        let a = self.build_unchecked();
        if let Some(list) = list {
            a.install_revocations(&list)?;
        }
        Ok(a)
    }

    /// Build the authorizer. Fails closed: if a revocation list was set
    /// and is refused, the result trusts no root and denies every call
    /// (`UNTRUSTED_ROOT`); use [`AuthorizerBuilder::try_build`] to see why.
    pub fn build(self) -> Authorizer {
        let fallback = Self {
            roots: Vec::new(),
            revocations: None,
            ..self.clone()
        };
        self.try_build()
            .unwrap_or_else(|_| fallback.build_unchecked())
    }

    fn build_unchecked(self) -> Authorizer {
        Authorizer {
            roots: self.roots,
            clock_skew: self.clock_skew,
            max_links: self.max_links,
            cache: ChainCache::new(self.cache_capacity),
            revocations: ArcSwap::from_pointee(Revocations::default()),
            install: Mutex::new(()),
        }
    }
}

/// Verifies chains and proofs of possession for tool calls. Immutable
/// configuration; shareable across threads (`Arc<Authorizer>`).
#[derive(Debug)]
pub struct Authorizer {
    roots: Vec<PublicKey>,
    clock_skew: u64,
    max_links: usize,
    cache: ChainCache,
    revocations: ArcSwap<Revocations>,
    install: Mutex<()>,
}

impl Authorizer {
    /// Start configuring.
    pub fn builder() -> AuthorizerBuilder {
        AuthorizerBuilder::default()
    }

    /// Authorize a call at the current system time.
    pub fn authorize(
        &self,
        chain: &Chain,
        call: &Call<'_>,
        pop: &Pop,
        window: PopWindow,
    ) -> Result<Authorized, Denial> {
        self.authorize_at(chain, call, pop, window, crate::warrant::unix_now())
    }

    /// Authorize a call at `now` (unix seconds) under an already decoded
    /// chain. Order: cheap checks, structure and trust (skipped on a cache
    /// hit), revocation, expiry, the constraint conjunction, signatures.
    pub fn authorize_at(
        &self,
        chain: &Chain,
        call: &Call<'_>,
        pop: &Pop,
        window: PopWindow,
        now: u64,
    ) -> Result<Authorized, Denial> {
        precheck(call, pop, &window)?;
        checks::leaf_grants(chain, call.tool)?;
        let hit = self.cache.get(chain.hash()).is_some();
        if !hit {
            self.check_structure(chain)?;
        }
        self.check_per_call(chain, call, now)?;
        let leaf = chain.leaf().ok_or(Denial::WarrantMissing)?;
        let msg = checks::pop_message(leaf.hash(), call, pop)?;
        let holder = leaf.resolved_keys().1;
        if hit {
            return checks::verify_pop(&holder, &msg, pop).map(|()| authorized(chain, true));
        }
        let links: Vec<_> = chain
            .links()
            .iter()
            .map(|l| (l.signed_message(), *l.signature(), l.resolved_keys().0))
            .collect();
        let pop_ok = checks::verify_signatures(&links, &msg, pop, &holder)?;
        self.cache.insert(Arc::new(chain.clone()));
        if !pop_ok {
            return Err(Denial::PopInvalid);
        }
        Ok(authorized(chain, false))
    }

    /// Authorize from header bytes (`None`: the header was absent).
    ///
    /// A cache hit skips decoding entirely. On a miss the chain is
    /// **verified before it is parsed**: envelopes are split, only their
    /// fixed-size fields are read, then trust, link rules, revocation,
    /// expiry and every signature (chain and proof, batched) are checked,
    /// and only then are tools and constraints parsed and evaluated. Bytes
    /// that no trusted root signed never reach the constraint parser.
    pub fn authorize_bytes_at(
        &self,
        chain_bytes: Option<&[u8]>,
        call: &Call<'_>,
        pop_bytes: Option<&[u8]>,
        window: PopWindow,
        now: u64,
    ) -> Result<Authorized, Denial> {
        let chain_bytes = chain_bytes.ok_or(Denial::WarrantMissing)?;
        let pop_bytes = pop_bytes.ok_or(Denial::PopMissing)?;
        if chain_bytes.len() > limits::MAX_CHAIN_BYTES {
            return Err(Denial::WarrantMalformed {
                reason: "chain larger than 256 KiB".into(),
            });
        }
        let pop = Pop::from_bytes(pop_bytes).map_err(|_| Denial::PopInvalid)?;
        precheck(call, &pop, &window)?;
        let hash: [u8; 32] = Sha256::digest(chain_bytes).into();
        if let Some(chain) = self.cache.get(&hash) {
            checks::leaf_grants(&chain, call.tool)?;
            self.check_per_call(&chain, call, now)?;
            let leaf = chain.leaf().ok_or(Denial::WarrantMissing)?;
            let msg = checks::pop_message(leaf.hash(), call, &pop)?;
            checks::verify_pop(&leaf.resolved_keys().1, &msg, &pop)?;
            return Ok(authorized(&chain, true));
        }
        let chain = self.verify_then_parse(chain_bytes, hash, call, &pop, now)?;
        checks::leaf_grants(&chain, call.tool)?;
        self.check_per_call(&chain, call, now)?;
        Ok(authorized(&chain, false))
    }

    /// The cold path of [`Authorizer::authorize_bytes_at`]: everything up
    /// to and including the signatures on the fixed-size fields, then the
    /// full parse, the tool-subset rule and the cache insert. Returns the
    /// chain only if the proof verified too.
    fn verify_then_parse(
        &self,
        bytes: &[u8],
        hash: [u8; 32],
        call: &Call<'_>,
        pop: &Pop,
        now: u64,
    ) -> Result<Arc<Chain>, Denial> {
        let raw = crate::chain::split(bytes).map_err(malformed)?;
        let headers = raw
            .iter()
            .map(|e| Header::decode(e.payload))
            .collect::<Result<Vec<_>, _>>()
            .map_err(malformed)?;
        let (Some(leaf_raw), Some(leaf)) = (raw.last(), headers.last()) else {
            return Err(Denial::WarrantMissing);
        };
        self.check_header_structure(&raw, &headers)?;
        self.check_revoked(headers.iter().map(|h| h.id))?;
        checks::check_times(
            headers.iter().map(|h| (h.issued_at, h.expires_at)),
            now,
            self.clock_skew,
        )?;
        let msg = checks::pop_message(&leaf_raw.hash, call, pop)?;
        // Decompress each distinct key once: the root issuer is a trusted
        // root (already decompressed); each later issuer is the previous
        // link's holder (equal bytes, checked above).
        let root_issuer = headers
            .first()
            .and_then(|h| self.roots.iter().find(|r| **r == h.issuer))
            .copied()
            .ok_or(Denial::UntrustedRoot)?;
        let holders: Vec<PublicKey> = headers.iter().map(|h| h.holder.resolved()).collect();
        let issuers: Vec<PublicKey> = std::iter::once(root_issuer)
            .chain(holders.iter().copied())
            .take(headers.len())
            .collect();
        let messages: Vec<Vec<u8>> = raw
            .iter()
            .map(|e| crate::warrant::signed_message(e.payload))
            .collect();
        let links: Vec<_> = messages
            .iter()
            .zip(raw.iter().zip(issuers.iter()))
            .map(|(m, (e, k))| (m.as_slice(), e.signature, *k))
            .collect();
        let leaf_holder = holders.last().copied().unwrap_or(leaf.holder);
        let pop_ok = checks::verify_signatures(&links, &msg, pop, &leaf_holder)?;
        // Authenticated: now parse the tools and constraints.
        let chain = Arc::new(Chain::from_split(bytes, hash, &raw).map_err(malformed)?);
        for ((w, i), h) in chain.links().iter().zip(&issuers).zip(&holders) {
            w.prime_keys(*i, *h);
        }
        chain
            .check_links()
            .map_err(|(link, rule)| Denial::ChainInvalid { link, rule })?;
        self.cache.insert(Arc::clone(&chain));
        if !pop_ok {
            return Err(Denial::PopInvalid);
        }
        Ok(chain)
    }

    /// Whether `chain` is valid at `now`, without authorizing a call: the
    /// length limit and a trusted root, the link rules, every link's
    /// signature, then revocation and every link's validity window. The
    /// first failure is returned. Signatures come before revocation and
    /// time so that nothing is reported about links no key signed.
    ///
    /// Tools, arguments and proof of possession are not checked, and the
    /// verified-chain cache is neither read nor filled: a valid chain
    /// authorizes nothing by itself (use [`Authorizer::authorize_at`]).
    /// For operators and tools (`warrant verify`), not the call path.
    pub fn verify_chain_at(&self, chain: &Chain, now: u64) -> Result<(), Denial> {
        self.check_structure(chain)?;
        if let Some(link) = chain.links().iter().position(|l| !l.verify_signature()) {
            return Err(Denial::ChainInvalid {
                link,
                rule: crate::chain::LinkRule::BadSignature,
            });
        }
        self.check_validity(chain, now)
    }

    /// Every reason (proof and signatures aside) the call would be denied
    /// at `now`, with every violated argument on every link. For
    /// diagnostics only: it is not an authorization.
    pub fn why_denied_at(&self, chain: &Chain, call: &Call<'_>, now: u64) -> Diagnosis {
        let mut d = Diagnosis::default();
        if let Err(e) = self.check_structure(chain) {
            d.denials.push(e);
        }
        if let Err(e) = self.check_validity(chain, now) {
            d.denials.push(e);
        }
        for (i, link) in chain.links().iter().enumerate() {
            match link.tool(call.tool) {
                None => d.denials.push(Denial::ToolNotGranted {
                    tool: call.tool.to_owned(),
                    link: i,
                }),
                Some(set) => d.violations.extend(set.all_violations(call.args, i)),
            }
        }
        d
    }

    /// Install a signed revocation list. Its issuer must be a trusted root,
    /// its signature must verify and its version must be higher than the
    /// version installed for the same issuer (rollback refused;
    /// re-installing the same list is a no-op). Each trusted root has its
    /// own list; a warrant is revoked when any installed list names it.
    /// The swap is atomic; decisions never copy the lists.
    pub fn install_revocations(&self, list: &RevocationList) -> Result<(), RevocationError> {
        if !self.roots.contains(list.issuer()) {
            return Err(RevocationError::UntrustedIssuer);
        }
        if !list.verify_signature() {
            return Err(RevocationError::BadSignature);
        }
        let _guard = self.install.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.revocations.load();
        let ids: HashSet<WarrantId> = list.ids().iter().copied().collect();
        if let Some((installed, old)) = current.per_issuer.get(list.issuer()) {
            if list.version() == *installed && *old == ids {
                return Ok(());
            }
            if list.version() <= *installed {
                return Err(RevocationError::Rollback {
                    installed: *installed,
                    got: list.version(),
                });
            }
        }
        let mut next = Revocations::clone(&current);
        next.per_issuer
            .insert(*list.issuer(), (list.version(), ids));
        next.ids = next
            .per_issuer
            .values()
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        self.revocations.store(Arc::new(next));
        Ok(())
    }

    /// Version of the revocation list installed for `issuer`, if any.
    pub fn revocation_version_of(&self, issuer: &PublicKey) -> Option<u64> {
        self.revocations
            .load()
            .per_issuer
            .get(issuer)
            .map(|(v, _)| *v)
    }

    /// Highest installed revocation list version over all issuers.
    pub fn revocation_version(&self) -> Option<u64> {
        self.revocations
            .load()
            .per_issuer
            .values()
            .map(|(v, _)| *v)
            .max()
    }

    /// Number of chains in the verified-chain cache.
    pub fn cached_chains(&self) -> usize {
        self.cache.len()
    }

    fn check_structure(&self, chain: &Chain) -> Result<(), Denial> {
        let root = chain.root_warrant().ok_or(Denial::WarrantMissing)?;
        self.check_trust(chain.len(), root.issuer())?;
        chain
            .check_links()
            .map_err(|(link, rule)| Denial::ChainInvalid { link, rule })
    }

    /// Length and trusted root.
    fn check_trust(&self, links: usize, root_issuer: &PublicKey) -> Result<(), Denial> {
        if links > self.max_links {
            return Err(Denial::ChainTooDeep {
                links,
                max: self.max_links,
            });
        }
        if !self.roots.contains(root_issuer) {
            return Err(Denial::UntrustedRoot);
        }
        Ok(())
    }

    /// Structure from the fixed-size fields only (no tool-subset rule).
    fn check_header_structure(
        &self,
        raw: &[RawEnvelope<'_>],
        headers: &[Header],
    ) -> Result<(), Denial> {
        let root = headers.first().ok_or(Denial::WarrantMissing)?;
        self.check_trust(headers.len(), &root.issuer)?;
        crate::chain::check_root_header(root)
            .map_err(|rule| Denial::ChainInvalid { link: 0, rule })?;
        for (i, (pair, parent_raw)) in headers.windows(2).zip(raw.iter()).enumerate() {
            if let [p, c] = pair {
                crate::chain::check_link_headers(p, &parent_raw.hash, c)
                    .map_err(|rule| Denial::ChainInvalid { link: i + 1, rule })?;
            }
        }
        Ok(())
    }

    fn check_revoked(&self, ids: impl Iterator<Item = WarrantId>) -> Result<(), Denial> {
        let rev = self.revocations.load();
        if rev.ids.is_empty() {
            return Ok(());
        }
        for (link, id) in ids.enumerate() {
            if rev.ids.contains(&id) {
                return Err(Denial::Revoked { link, id });
            }
        }
        Ok(())
    }

    /// Revocation, then validity times of every link.
    fn check_validity(&self, chain: &Chain, now: u64) -> Result<(), Denial> {
        self.check_revoked(chain.links().iter().map(|l| l.id()))?;
        checks::check_times(
            chain
                .links()
                .iter()
                .map(|l| (l.issued_at(), l.expires_at())),
            now,
            self.clock_skew,
        )
    }

    fn check_per_call(&self, chain: &Chain, call: &Call<'_>, now: u64) -> Result<(), Denial> {
        self.check_validity(chain, now)?;
        checks::conjunction(chain, call)
    }
}

fn malformed(e: crate::error::DecodeError) -> Denial {
    Denial::WarrantMalformed {
        reason: e.to_string(),
    }
}

/// Checks that need no chain: context size, argument nesting, proof window.
fn precheck(call: &Call<'_>, pop: &Pop, window: &PopWindow) -> Result<(), Denial> {
    if call.context.len() > limits::MAX_CONTEXT_BYTES {
        return Err(Denial::PopInvalid);
    }
    if call.tool.is_empty() || call.tool.len() > limits::MAX_NAME_LEN {
        return Err(Denial::ToolNotGranted {
            tool: String::new(),
            link: 0,
        });
    }
    if call.args.nested_deeper_than(crate::value::MAX_VALUE_DEPTH) {
        return Err(Denial::ArgsInvalid {
            reason: "arguments nested too deeply".into(),
        });
    }
    if !window.contains(pop.ts) {
        return Err(Denial::PopStale {
            ts: pop.ts,
            from: window.reference.saturating_sub(window.before),
            to: window.reference.saturating_add(window.after),
        });
    }
    Ok(())
}

fn authorized(chain: &Chain, cache_hit: bool) -> Authorized {
    let leaf = chain.leaf();
    Authorized {
        warrant_id: leaf.map(|l| l.id()).unwrap_or(WarrantId([0; 16])),
        root_id: chain
            .root_warrant()
            .map(|l| l.id())
            .unwrap_or(WarrantId([0; 16])),
        chain_len: chain.len(),
        expires_at: leaf.map_or(0, |l| l.expires_at()),
        cache_hit,
    }
}

#[cfg(test)]
mod tests;
