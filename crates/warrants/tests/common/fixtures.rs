//! Deterministic fixtures: fixed keys and ids, the standard root, link 1
//! and link 2 warrants and chains, and helpers that sign a proof and
//! authorize through both entry points.

use std::time::Duration;

use warrants::constraint::{Range, Subpath};
use warrants::warrant::{MintBuilder, WarrantId};
use warrants::{
    Authorized, Authorizer, Call, Chain, Constraint, Denial, Payload, Pop, PopWindow, PublicKey,
    SigningKey, Value, Warrant,
};

/// The fixed "current time" of every test (unix seconds).
pub const NOW: u64 = 1_700_000_000;
/// TTL of the standard root warrant, seconds.
pub const ROOT_TTL: u64 = 3600;
/// TTL of the standard link 1, seconds.
pub const LINK1_TTL: u64 = 1800;
/// TTL of the standard link 2, seconds.
pub const LINK2_TTL: u64 = 900;
/// The PoP context every standard call is bound to.
pub const CTX: &[u8] = b"wf-0001/act-0001";
/// Default authorizer clock skew (seconds), repeated here for boundaries.
pub const SKEW: u64 = 30;

/// A key from a fixed seed.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_seed(&[seed; 32])
}

/// The trusted root (control plane) key.
pub fn root_key() -> SigningKey {
    key(1)
}

/// Holder of the root warrant.
pub fn agent_key() -> SigningKey {
    key(2)
}

/// Holder of link 1.
pub fn worker_key() -> SigningKey {
    key(3)
}

/// Holder of link 2.
pub fn sub_key() -> SigningKey {
    key(4)
}

/// A key nobody trusts.
pub fn mallory_key() -> SigningKey {
    key(66)
}

/// A fixed warrant id.
pub fn wid(n: u8) -> WarrantId {
    WarrantId([n; 16])
}

/// Seconds as a `Duration`.
pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// `{"path": p}`.
pub fn path_args(p: &str) -> Value {
    Value::map([("path", p)])
}

/// `{"amount": n}`.
pub fn amount_args(n: impl Into<Value>) -> Value {
    Value::map([("amount", n.into())])
}

/// No tool arguments, as a capability list.
pub fn no_args() -> Vec<(String, Constraint)> {
    Vec::new()
}

/// The standard root builder (not yet signed): holder agent, issued at
/// [`NOW`], TTL [`ROOT_TTL`], `max_depth` 4, id 1, tools
/// `read_file{path: Subpath /data}`, `transfer{amount: 0..=100}`, `ping{}`.
pub fn std_mint() -> MintBuilder {
    Warrant::mint_builder()
        .holder(agent_key().public_key())
        .id(wid(1))
        .issued_at(NOW)
        .ttl(secs(ROOT_TTL))
        .max_depth(4)
        .capability(
            "read_file",
            [("path", Subpath::new("/data").unwrap().into())],
        )
        .capability(
            "transfer",
            [("amount", Range::between(0, 100).unwrap().into())],
        )
        .capability("ping", no_args())
}

/// The standard root warrant, signed by [`root_key`].
pub fn root_warrant() -> Warrant {
    std_mint().mint(&root_key()).expect("mint root")
}

/// Standard link 1 under `parent` (held by agent): holder worker, id 2,
/// `read_file{path: /data/in}`, `transfer{amount: 0..=50}`, `ping` inherited.
pub fn link1_of(parent: &Warrant) -> Warrant {
    parent
        .grant_builder()
        .holder(worker_key().public_key())
        .id(wid(2))
        .issued_at(NOW)
        .ttl(secs(LINK1_TTL))
        .capability(
            "read_file",
            [("path", Subpath::new("/data/in").unwrap().into())],
        )
        .capability(
            "transfer",
            [("amount", Range::between(0, 50).unwrap().into())],
        )
        .inherit("ping")
        .grant(&agent_key())
        .expect("grant link 1")
}

/// Standard link 2 under `parent` (held by worker): holder sub, id 3,
/// `read_file` inherited, `transfer{amount: 0..=10}`.
pub fn link2_of(parent: &Warrant) -> Warrant {
    parent
        .grant_builder()
        .holder(sub_key().public_key())
        .id(wid(3))
        .issued_at(NOW)
        .ttl(secs(LINK2_TTL))
        .inherit("read_file")
        .capability(
            "transfer",
            [("amount", Range::between(0, 10).unwrap().into())],
        )
        .grant(&worker_key())
        .expect("grant link 2")
}

/// Root only.
pub fn chain1() -> Chain {
    Chain::root(root_warrant())
}

/// Root and link 1.
pub fn chain2() -> Chain {
    let root = root_warrant();
    let l1 = link1_of(&root);
    Chain::root(root).push(l1).expect("push link 1")
}

/// Root, link 1 and link 2.
pub fn chain3() -> Chain {
    let c = chain2();
    let l2 = link2_of(c.leaf().unwrap());
    c.push(l2).expect("push link 2")
}

/// The key holding the leaf of a standard chain of `len` links.
pub fn leaf_key(len: usize) -> SigningKey {
    match len {
        1 => agent_key(),
        2 => worker_key(),
        3 => sub_key(),
        _ => panic!("no standard chain of {len} links"),
    }
}

/// An authorizer trusting [`root_key`] with default settings.
pub fn authorizer() -> Authorizer {
    Authorizer::builder()
        .trusted_root(root_key().public_key())
        .build()
}

/// The standard proof window around `now`: 60 s before, 5 s after.
pub fn window_at(now: u64) -> PopWindow {
    PopWindow::around(now, 60, 5)
}

/// Sign a proof for `tool(args)` under `chain`, bound to [`CTX`], at `ts`.
pub fn pop_at(holder: &SigningKey, chain: &Chain, tool: &str, args: &Value, ts: u64) -> Pop {
    Pop::sign(holder, chain, tool, args, CTX, ts)
}

/// Make a fresh proof at `now` and authorize at `now` through **both**
/// entry points: first `authorize_bytes_at` (from the chain and proof
/// bytes), then `authorize_at` (decoded chain). A denial leaves nothing
/// cached (except a bad proof over a good chain), so a denied call takes
/// each entry point's cold path. Both must reach the same decision (the
/// same denial); the result of the bytes call is returned, so `cache_hit`
/// reflects the calls made before this one.
pub fn call_at(
    az: &Authorizer,
    chain: &Chain,
    holder: &SigningKey,
    tool: &str,
    args: &Value,
    now: u64,
) -> Result<Authorized, Denial> {
    let pop = pop_at(holder, chain, tool, args, now);
    let call = Call::new(tool, args, CTX);
    let from_bytes = az.authorize_bytes_at(
        Some(chain.as_bytes()),
        &call,
        Some(&pop.to_bytes()),
        window_at(now),
        now,
    );
    let decoded = az.authorize_at(chain, &call, &pop, window_at(now), now);
    assert_eq!(
        from_bytes.as_ref().map(|_| ()),
        decoded.as_ref().map(|_| ()),
        "authorize_bytes_at and authorize_at disagree on `{tool}`"
    );
    from_bytes
}

/// Make a fresh proof and authorize, both at [`NOW`].
pub fn call(
    az: &Authorizer,
    chain: &Chain,
    holder: &SigningKey,
    tool: &str,
    args: &Value,
) -> Result<Authorized, Denial> {
    call_at(az, chain, holder, tool, args, NOW)
}

/// The denial of a result that must be denied.
#[track_caller]
pub fn denied<T: std::fmt::Debug>(r: Result<T, Denial>) -> Denial {
    match r {
        Err(d) => d,
        Ok(v) => panic!("expected a denial, got {v:?}"),
    }
}

/// A well-formed child payload of `parent` (issuer = parent holder, parent
/// hash, depth + 1, same `max_depth`, same tools, valid for the first half
/// of the parent's life), for tests to break one field at a time.
pub fn child_payload(parent: &Warrant, holder: PublicKey, id: WarrantId) -> Payload {
    let p = parent.payload();
    Payload {
        id,
        issuer: p.holder,
        holder,
        issued_at: p.issued_at,
        expires_at: p.issued_at + (p.expires_at - p.issued_at) / 2,
        depth: p.depth + 1,
        max_depth: p.max_depth,
        parent: Some(*parent.hash()),
        tools: p.tools.clone(),
        extensions: Default::default(),
    }
}
