//! The authorizer: decides whether one call may run under a chain.
//!
//! Verification order (normative, `docs/SPEC.md` §6): cheap checks first
//! (sizes, proof window, leaf grants the tool), then chain structure and
//! trust (cached), revocation, expiry, the constraint conjunction over every
//! link, and last the signatures: chain signatures and the proof together in
//! one batch (after weak keys were refused at decode), falling back to one
//! strict check per signature to name the bad one. A verified chain is
//! cached by the hash of its bytes, so the common case, many calls under
//! one warrant, costs one signature check. Every error path denies.

mod cache;
mod denial;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use cache::DEFAULT_CACHE_CAPACITY;
pub use denial::{render_violations, Denial, Redaction};

use crate::chain::{Chain, LinkRule};
use crate::constraint::ArgViolation;
use crate::keys::PublicKey;
use crate::limits;
use crate::pop::{Pop, PopWindow};
use crate::revocation::{RevocationError, RevocationList};
use crate::value::Value;
use crate::warrant::WarrantId;
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

#[derive(Debug, Default)]
struct Revocations {
    version: Option<u64>,
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
            self.roots.push(key);
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

    /// Authorize a call at `now` (unix seconds).
    pub fn authorize_at(
        &self,
        chain: &Chain,
        call: &Call<'_>,
        pop: &Pop,
        window: PopWindow,
        now: u64,
    ) -> Result<Authorized, Denial> {
        precheck(call, pop, &window)?;
        leaf_grants(chain, call.tool)?;
        let hit = self.cache.get(chain.hash()).is_some();
        if !hit {
            self.check_structure(chain)?;
        }
        self.check_per_call(chain, call, now)?;
        self.check_signatures(chain, call, pop, hit, || Arc::new(chain.clone()))?;
        Ok(authorized(chain, hit))
    }

    /// Authorize from header bytes: `None` means the header was absent.
    /// A cache hit skips decoding entirely.
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
            leaf_grants(&chain, call.tool)?;
            self.check_per_call(&chain, call, now)?;
            self.check_signatures(&chain, call, &pop, true, || Arc::clone(&chain))?;
            return Ok(authorized(&chain, true));
        }
        let chain =
            Arc::new(
                Chain::from_bytes(chain_bytes).map_err(|e| Denial::WarrantMalformed {
                    reason: e.to_string(),
                })?,
            );
        leaf_grants(&chain, call.tool)?;
        self.check_structure(&chain)?;
        self.check_per_call(&chain, call, now)?;
        self.check_signatures(&chain, call, &pop, false, || Arc::clone(&chain))?;
        Ok(authorized(&chain, false))
    }

    /// Every reason (proof and signatures aside) the call would be denied
    /// at `now`, with every violated argument on every link. For
    /// diagnostics only: it is not an authorization.
    pub fn why_denied_at(&self, chain: &Chain, call: &Call<'_>, now: u64) -> Diagnosis {
        let mut d = Diagnosis::default();
        if let Err(e) = self.check_structure(chain) {
            d.denials.push(e);
        }
        if let Err(e) = self.check_revocation(chain) {
            d.denials.push(e);
        }
        if let Err(e) = self.check_times(chain, now) {
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
    /// installed one (rollback refused; re-installing the same list is a
    /// no-op). The swap is atomic; decisions never copy the list.
    pub fn install_revocations(&self, list: &RevocationList) -> Result<(), RevocationError> {
        if !self.roots.contains(list.issuer()) {
            return Err(RevocationError::UntrustedIssuer);
        }
        if !list.verify_signature() {
            return Err(RevocationError::BadSignature);
        }
        let _guard = self.install.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.revocations.load();
        if let Some(installed) = current.version {
            let same = list.version() == installed
                && list.ids().len() == current.ids.len()
                && list.ids().iter().all(|id| current.ids.contains(id));
            if same {
                return Ok(());
            }
            if list.version() <= installed {
                return Err(RevocationError::Rollback {
                    installed,
                    got: list.version(),
                });
            }
        }
        self.revocations.store(Arc::new(Revocations {
            version: Some(list.version()),
            ids: list.ids().iter().copied().collect(),
        }));
        Ok(())
    }

    /// Version of the installed revocation list, if any.
    pub fn revocation_version(&self) -> Option<u64> {
        self.revocations.load().version
    }

    /// Number of chains in the verified-chain cache.
    pub fn cached_chains(&self) -> usize {
        self.cache.len()
    }

    fn check_structure(&self, chain: &Chain) -> Result<(), Denial> {
        if chain.len() > self.max_links {
            return Err(Denial::ChainTooDeep {
                links: chain.len(),
                max: self.max_links,
            });
        }
        let root = chain.root_warrant().ok_or(Denial::WarrantMissing)?;
        if !self.roots.contains(root.issuer()) {
            return Err(Denial::UntrustedRoot);
        }
        chain
            .check_links()
            .map_err(|(link, rule)| Denial::ChainInvalid { link, rule })
    }

    fn check_revocation(&self, chain: &Chain) -> Result<(), Denial> {
        let rev = self.revocations.load();
        if rev.ids.is_empty() {
            return Ok(());
        }
        for (i, l) in chain.links().iter().enumerate() {
            if rev.ids.contains(&l.id()) {
                return Err(Denial::Revoked {
                    link: i,
                    id: l.id(),
                });
            }
        }
        Ok(())
    }

    fn check_times(&self, chain: &Chain, now: u64) -> Result<(), Denial> {
        for (i, l) in chain.links().iter().enumerate() {
            // Valid while issued_at <= now < expires_at, widened by the skew.
            if now >= l.expires_at().saturating_add(self.clock_skew) {
                return Err(Denial::WarrantExpired {
                    link: i,
                    expires_at: l.expires_at(),
                    now,
                });
            }
            if now.saturating_add(self.clock_skew) < l.issued_at() {
                return Err(Denial::NotYetValid {
                    link: i,
                    issued_at: l.issued_at(),
                    now,
                });
            }
        }
        Ok(())
    }

    fn check_per_call(&self, chain: &Chain, call: &Call<'_>, now: u64) -> Result<(), Denial> {
        self.check_revocation(chain)?;
        self.check_times(chain, now)?;
        for (i, l) in chain.links().iter().enumerate() {
            let set = l.tool(call.tool).ok_or_else(|| Denial::ToolNotGranted {
                tool: call.tool.to_owned(),
                link: i,
            })?;
            set.check(call.args).map_err(|mut violation| {
                violation.link = i;
                Denial::ConstraintViolated {
                    tool: call.tool.to_owned(),
                    violation,
                }
            })?;
        }
        Ok(())
    }

    fn check_signatures(
        &self,
        chain: &Chain,
        call: &Call<'_>,
        pop: &Pop,
        cached: bool,
        to_cache: impl FnOnce() -> Arc<Chain>,
    ) -> Result<(), Denial> {
        let leaf = chain.leaf().ok_or(Denial::WarrantMissing)?;
        let msg = Pop::message(leaf.hash(), call.tool, call.args, call.context, pop.ts);
        if msg.len() > limits::MAX_ARGS_BYTES {
            return Err(Denial::ArgsInvalid {
                reason: "arguments too large".into(),
            });
        }
        if cached {
            return if leaf.holder().verify(&msg, &pop.signature) {
                Ok(())
            } else {
                Err(Denial::PopInvalid)
            };
        }
        let n = chain.len() + 1;
        let mut msgs: Vec<&[u8]> = Vec::with_capacity(n);
        let mut sigs = Vec::with_capacity(n);
        let mut keys = Vec::with_capacity(n);
        for l in chain.links() {
            msgs.push(l.signed_message());
            sigs.push(l.signature().dalek());
            keys.push(*l.issuer().dalek());
        }
        msgs.push(&msg);
        sigs.push(pop.signature.dalek());
        keys.push(*leaf.holder().dalek());
        if ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
            self.cache.insert(to_cache());
            return Ok(());
        }
        // Name the bad signature with strict single checks.
        for (i, l) in chain.links().iter().enumerate() {
            if !l.verify_signature() {
                return Err(Denial::ChainInvalid {
                    link: i,
                    rule: LinkRule::BadSignature,
                });
            }
        }
        self.cache.insert(to_cache());
        if leaf.holder().verify(&msg, &pop.signature) {
            Ok(())
        } else {
            Err(Denial::PopInvalid)
        }
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

/// Whether the leaf grants the tool (cheap; the conjunction checks all links).
fn leaf_grants(chain: &Chain, tool: &str) -> Result<(), Denial> {
    match chain.leaf() {
        Some(l) if l.tool(tool).is_some() => Ok(()),
        Some(_) => Err(Denial::ToolNotGranted {
            tool: tool.to_owned(),
            link: chain.len().saturating_sub(1),
        }),
        None => Err(Denial::WarrantMissing),
    }
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
