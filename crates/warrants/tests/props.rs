//! Property tests: (a) decode ∘ encode = id with byte-identical re-encoding
//! for values, constraints, warrants, chains and proofs; (b) every
//! single-byte mutation of a signed chain or proof is rejected; (c)
//! attenuation soundness: whenever a narrowing is accepted and the child
//! allows a value, the parent allows it too (per constraint, per constraint
//! set, and end to end through `GrantBuilder` and `Authorizer`). The (c)
//! tests count how often the implication is actually exercised, so they
//! cannot pass vacuously.

// Helpers outside `#[test]` fns are not covered by clippy.toml's
// allow-*-in-tests settings; test code may unwrap, panic and index.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use common::raw;
use common::strat::{self, boundary_probes};
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use warrants::constraint::{Bound, Exact, OneOf, Pattern, Range, Subpath, Wildcard};
use warrants::warrant::WarrantId;
use warrants::{
    Authorizer, BuildError, Call, Chain, Constraint, ConstraintSet, Pop, Signature, SigningKey,
    Value, Warrant,
};

// ---------------------------------------------------------------------
// (a) round trips
// ---------------------------------------------------------------------

/// Mint a root over `tools` with the given knobs, holder `key(10)`.
fn mint_random(
    tools: &BTreeMap<String, ConstraintSet>,
    id: [u8; 16],
    issued_at: u64,
    ttl: u64,
    max_depth: u32,
    extensions: &BTreeMap<String, Vec<u8>>,
) -> Warrant {
    let mut b = Warrant::mint_builder()
        .holder(key(10).public_key())
        .id(WarrantId(id))
        .issued_at(issued_at)
        .ttl(secs(ttl))
        .max_depth(max_depth);
    for (name, set) in tools {
        b = b.capability_set(name.clone(), set.clone());
    }
    for (k, v) in extensions {
        b = b.extension(k.clone(), v.clone());
    }
    b.mint(&root_key()).expect("random mint")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn value_round_trip(v in strat::value()) {
        let bytes = v.to_cbor();
        let back = Value::from_cbor(&bytes).expect("canonical bytes decode");
        // Numeric equality: Float(2.0) == Int(2), which has one encoding.
        prop_assert_eq!(&back, &v);
        prop_assert_eq!(back.to_cbor(), bytes);
    }

    #[test]
    fn constraint_round_trip(c in strat::constraint(), probes in strat::probes()) {
        let bytes = c.to_cbor();
        let back = Constraint::from_cbor(&bytes).expect("canonical bytes decode");
        prop_assert_eq!(back.to_cbor(), bytes.clone());
        prop_assert_eq!(&back, &c);
        prop_assert_eq!(back.type_id(), c.type_id());
        // The decoded constraint behaves exactly like the original.
        for v in probes.iter().chain(boundary_probes(&c).iter()) {
            prop_assert_eq!(back.matches(v), c.matches(v), "value {:?}", v);
        }
    }

    #[test]
    fn pop_round_trip(ts in any::<u64>(), sig in prop::collection::vec(any::<u8>(), 64)) {
        let pop = Pop { ts, signature: Signature::from_slice(&sig).unwrap() };
        let bytes = pop.to_bytes();
        let back = Pop::from_bytes(&bytes).expect("decodes");
        prop_assert_eq!(back, pop);
        prop_assert_eq!(back.to_bytes(), bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn warrant_round_trip(
        tools in strat::tools(),
        id in any::<[u8; 16]>(),
        issued_at in prop_oneof![Just(NOW), 0u64..=u64::MAX / 2, Just(0u64)],
        ttl in 1u64..=warrants::limits::MAX_TTL_SECS,
        max_depth in 0u32..64,
        extensions in prop::collection::btree_map("[a-z]{1,8}", prop::collection::vec(any::<u8>(), 0..20), 0..4),
    ) {
        let w = mint_random(&tools, id, issued_at, ttl, max_depth, &extensions);
        let bytes = w.to_bytes();
        let back = Warrant::from_bytes(&bytes).expect("decodes");
        prop_assert_eq!(back.to_bytes(), bytes.clone());
        prop_assert_eq!(back.payload(), w.payload());
        prop_assert_eq!(back.hash(), w.hash());
        prop_assert!(back.verify_signature());
        prop_assert_eq!(&back.payload().encode()[..], &back.signed_message()[warrants::warrant::WARRANT_DOMAIN.len()..]);
        // The chain of one.
        let c = Chain::root(w);
        let cb = c.to_bytes();
        let back = Chain::from_bytes(&cb).expect("chain decodes");
        prop_assert_eq!(back.to_bytes(), cb);
        prop_assert_eq!(back.hash(), c.hash());
    }

    #[test]
    fn chain_round_trip(
        tools in strat::tools(),
        depth in 1usize..=3,
        keep in prop::collection::vec(any::<prop::sample::Index>(), 3),
        ttls in prop::collection::vec(10u64..=3600, 3),
    ) {
        let mut w = mint_random(&tools, [1; 16], NOW, 3600, 8, &BTreeMap::new());
        let mut chain = Chain::root(w.clone());
        for i in 1..depth {
            // Keep one tool (chosen) with its constraints, or all of them.
            let names: Vec<&String> = w.tools().keys().collect();
            let pick = names[keep[i].index(names.len())].clone();
            let holder = key(10 + i as u8 - 1);
            let mut g = w
                .grant_builder()
                .holder(key(10 + i as u8).public_key())
                .id(WarrantId([i as u8 + 1; 16]))
                .issued_at(NOW + i as u64)
                .ttl(secs(ttls[i].min(w.expires_at() - NOW - i as u64)));
            g = if keep[i].index(2) == 0 { g.inherit(pick) } else { g.inherit_all() };
            w = g.grant(&holder).expect("grant");
            chain = chain.push(w.clone()).expect("link rules");
        }
        prop_assert_eq!(chain.len(), depth);
        prop_assert!(chain.check_links().is_ok());
        let bytes = chain.to_bytes();
        let back = Chain::from_bytes(&bytes).expect("decodes");
        prop_assert_eq!(back.to_bytes(), bytes.clone());
        prop_assert_eq!(back.hash(), chain.hash());
        prop_assert_eq!(back.links(), chain.links());
        prop_assert!(back.links().iter().all(Warrant::verify_signature));
        // Links re-decoded alone are byte-identical too.
        for l in back.links() {
            prop_assert_eq!(Warrant::from_bytes(l.as_bytes()).expect("link").to_bytes(), l.to_bytes());
        }
        // A proof over the decoded chain verifies under the original.
        let holder = key(10 + depth as u8 - 1);
        let args = Value::map([("n", 1)]);
        let pop = Pop::sign(&holder, &back, "t", &args, CTX, NOW);
        prop_assert!(pop.verify(&holder.public_key(), chain.leaf().unwrap().hash(), "t", &args, CTX));
    }
}

// ---------------------------------------------------------------------
// (b) single-byte mutations
// ---------------------------------------------------------------------

/// A small deterministic PRNG (xorshift64*) for the mutation sweeps.
struct Xs(u64);

impl Xs {
    fn next_nonzero_byte(&mut self) -> u8 {
        loop {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let b = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
            if b != 0 {
                return b;
            }
        }
    }
}

/// Flip every byte of the chain bytes (a random nonzero xor per position)
/// and of the proof bytes (a random xor, the low bit and the high bit) and
/// check each is refused. Debug-build Ed25519 is slow (~7 ms a check), so
/// the work per position is chosen to keep this under a few seconds:
/// every chain mutation goes through `authorize_bytes_at` on a cache-less
/// authorizer (cold path); every 8th one that still decodes also through
/// `authorize_at`. Every proof mutation goes through the warm authorizer
/// (chain cached by the control call); the random one also cold, and
/// through `authorize_at` when it decodes.
fn mutation_sweep(chain: &Chain, holder: &SigningKey, seed: u64) {
    let warm = authorizer();
    let cold = Authorizer::builder()
        .trusted_root(root_key().public_key())
        .cache_capacity(0)
        .build();
    let tool = "read_file";
    let args = path_args("/data/in/report.txt");
    let call = Call::new(tool, &args, CTX);
    let pop = pop_at(holder, chain, tool, &args, NOW);
    let cb = chain.to_bytes();
    let pb = pop.to_bytes();
    let by_bytes = |az: &Authorizer, c: &[u8], p: &[u8]| {
        az.authorize_bytes_at(Some(c), &call, Some(p), window_at(NOW), NOW)
    };
    by_bytes(&warm, &cb, &pb).expect("control: unmutated bytes are allowed");
    by_bytes(&cold, &cb, &pb).expect("control: unmutated bytes are allowed (cold)");

    let mut rng = Xs(seed);
    let (mut undecodable, mut denied_after_decode) = (0usize, 0usize);
    for i in 0..cb.len() {
        let x = rng.next_nonzero_byte();
        let mut m = cb.clone();
        m[i] ^= x;
        let r = by_bytes(&cold, &m, &pb);
        assert!(r.is_err(), "chain byte {i} ^ {x:#04x} was accepted: {r:?}");
        match Chain::from_bytes(&m) {
            Err(_) => undecodable += 1,
            Ok(c) => {
                denied_after_decode += 1;
                if denied_after_decode % 8 == 1 {
                    let r = cold.authorize_at(&c, &call, &pop, window_at(NOW), NOW);
                    assert!(r.is_err(), "decoded chain byte {i} ^ {x:#04x} was accepted");
                }
            }
        }
    }
    // Both outcomes occur: the sweep reaches the signature checks.
    assert!(undecodable > 0 && denied_after_decode > 0);

    for i in 0..pb.len() {
        for (j, x) in [rng.next_nonzero_byte(), 0x01, 0x80]
            .into_iter()
            .enumerate()
        {
            let mut m = pb.clone();
            m[i] ^= x;
            let r = by_bytes(&warm, &cb, &m);
            assert!(r.is_err(), "proof byte {i} ^ {x:#04x} was accepted: {r:?}");
            if j > 0 {
                continue;
            }
            let r = by_bytes(&cold, &cb, &m);
            assert!(
                r.is_err(),
                "proof byte {i} ^ {x:#04x} was accepted (cold): {r:?}"
            );
            if let Ok(p) = Pop::from_bytes(&m) {
                assert_ne!(p, pop);
                let r = cold.authorize_at(chain, &call, &p, window_at(NOW), NOW);
                assert!(r.is_err(), "decoded proof byte {i} ^ {x:#04x} was accepted");
            }
        }
    }
    // Still fine afterwards (nothing poisoned the cache).
    by_bytes(&warm, &cb, &pb).expect("control after the sweep");
    assert_eq!(warm.cached_chains(), 1);
}

/// A small chain for the sweeps: one tool per link.
fn small_chain(links: usize) -> (Chain, SigningKey) {
    let root = Warrant::mint_builder()
        .holder(agent_key().public_key())
        .id(WarrantId([1; 16]))
        .issued_at(NOW)
        .ttl(secs(3600))
        .capability(
            "read_file",
            [("path", Subpath::new("/data").unwrap().into())],
        )
        .mint(&root_key())
        .unwrap();
    let chain = Chain::root(root);
    if links == 1 {
        return (chain, agent_key());
    }
    let child = chain
        .leaf()
        .unwrap()
        .grant_builder()
        .holder(worker_key().public_key())
        .id(WarrantId([2; 16]))
        .issued_at(NOW)
        .capability(
            "read_file",
            [("path", Subpath::new("/data/in").unwrap().into())],
        )
        .grant(&agent_key())
        .unwrap();
    (chain.push(child).unwrap(), worker_key())
}

#[test]
fn every_byte_mutation_rejected_1_link() {
    let (chain, holder) = small_chain(1);
    mutation_sweep(&chain, &holder, 0x9e37_79b9_7f4a_7c15);
}

#[test]
fn every_byte_mutation_rejected_2_links() {
    let (chain, holder) = small_chain(2);
    mutation_sweep(&chain, &holder, 0xd1b5_4a32_d192_ed03);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// One value, one byte form: whenever a mutated encoding still decodes,
    /// re-encoding gives back exactly the mutated bytes.
    #[test]
    fn mutated_value_decodes_only_if_canonical(
        v in strat::value(),
        pos in any::<prop::sample::Index>(),
        x in 1u8..=255,
    ) {
        let mut b = v.to_cbor();
        let i = pos.index(b.len());
        b[i] ^= x;
        if let Ok(d) = Value::from_cbor(&b) {
            prop_assert_eq!(d.to_cbor(), b);
        }
    }

    /// The same for constraints.
    #[test]
    fn mutated_constraint_decodes_only_if_canonical(
        c in strat::constraint(),
        pos in any::<prop::sample::Index>(),
        x in 1u8..=255,
    ) {
        let mut b = c.to_cbor();
        let i = pos.index(b.len());
        b[i] ^= x;
        if let Ok(d) = Constraint::from_cbor(&b) {
            prop_assert_eq!(d.to_cbor(), b);
        }
    }

    /// The same for whole payloads (re-signed, so only the encoding is
    /// under test): a decoded payload re-encodes to the signed bytes.
    #[test]
    fn mutated_payload_decodes_only_if_canonical(
        tools in strat::tools(),
        pos in any::<prop::sample::Index>(),
        x in 1u8..=255,
    ) {
        let mut p = root_warrant().payload().clone();
        p.tools = tools;
        let mut b = p.encode();
        let i = pos.index(b.len());
        b[i] ^= x;
        let env = raw::signed_envelope(&b, &root_key());
        if let Ok(w) = Warrant::from_bytes(&env) {
            prop_assert_eq!(w.payload().encode(), b);
            prop_assert_eq!(w.to_bytes(), env);
        }
    }

    /// Arbitrary bytes never panic any decoder.
    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Chain::from_bytes(&bytes);
        let _ = Warrant::from_bytes(&bytes);
        let _ = Pop::from_bytes(&bytes);
        let _ = Value::from_cbor(&bytes);
        let _ = Constraint::from_cbor(&bytes);
        let _ = warrants::RevocationList::from_bytes(&bytes);
    }
}

// ---------------------------------------------------------------------
// (c) attenuation soundness
// ---------------------------------------------------------------------

/// Whether the property held for one (parent, child, value) triple.
fn implication_holds(p: &Constraint, c: &Constraint, v: &Value) -> bool {
    !(p.narrows_to(c).is_ok() && c.matches(v)) || p.matches(v)
}

#[test]
fn attenuation_known_pairs() {
    let sp = |r: &str| Constraint::from(Subpath::new(r).unwrap());
    let pat = |g: &str| Constraint::from(Pattern::new(g).unwrap());
    let rg = |lo: Option<Bound>, hi: Option<Bound>| Constraint::from(Range::new(lo, hi).unwrap());
    let ex = |v: Value| Constraint::from(Exact::new(v).unwrap());
    let t = |s: &str| Value::from(s);

    // (parent, child, narrowing accepted?)
    let pairs: Vec<(Constraint, Constraint, bool)> = vec![
        (sp("/data"), sp("/data/in"), true),
        (sp("/data"), sp("/database"), false),
        (sp("/"), sp("/etc"), true),
        (sp("/data/in"), sp("/data"), false),
        (pat("/data/**"), pat("/data/in/*.txt"), true),
        (pat("/data**"), pat("/database/*"), true),
        (pat("/data/*"), pat("/data/**"), false),
        (pat("/data/*"), pat("/data/a"), true),
        (pat("*.txt"), pat("a.txt"), true),
        (pat("*.txt"), pat("a/b.txt"), false),
        (pat("a\\***"), pat("a\\*b*"), true),
        (
            rg(Some(Bound::inclusive(0)), Some(Bound::inclusive(10))),
            rg(Some(Bound::inclusive(0.0)), Some(Bound::exclusive(10))),
            true,
        ),
        (
            rg(Some(Bound::exclusive(0)), None),
            rg(Some(Bound::inclusive(0)), None),
            false,
        ),
        (
            rg(Some(Bound::exclusive(0)), None),
            rg(Some(Bound::inclusive(0.5)), None),
            true,
        ),
        (
            rg(None, Some(Bound::exclusive(5))),
            rg(None, Some(Bound::inclusive(5.0))),
            false,
        ),
        (
            rg(None, Some(Bound::inclusive(5))),
            rg(None, Some(Bound::inclusive(5.0))),
            true,
        ),
        (
            rg(None, Some(Bound::inclusive(5))),
            ex(Value::Float(5.0)),
            true,
        ),
        (
            rg(None, Some(Bound::inclusive(5))),
            ex(Value::Float(5.5)),
            false,
        ),
        (
            rg(None, None),
            rg(Some(Bound::inclusive(f64::NEG_INFINITY)), None),
            true,
        ),
        (ex(Value::Int(5)), ex(Value::Float(5.0)), true),
        (
            ex(Value::Int(5)),
            rg(Some(Bound::inclusive(5)), Some(Bound::inclusive(5))),
            false,
        ),
        (
            OneOf::new([1, 2]).unwrap().into(),
            OneOf::new([2.0]).unwrap().into(),
            true,
        ),
        (
            OneOf::new([1, 2]).unwrap().into(),
            OneOf::new([2, 3]).unwrap().into(),
            false,
        ),
        (Wildcard::new().into(), sp("/x"), true),
        (sp("/data"), Wildcard::new().into(), false),
        (pat("**"), sp("/data"), false),
        (sp("/data"), pat("/data/**"), false),
        (sp("/data"), ex(t("/data/../etc")), false),
        (sp("/data"), ex(t("/data/x/..")), true),
        (
            sp("/data"),
            OneOf::new(["/data/a", "/data//b", "/data/./c"])
                .unwrap()
                .into(),
            true,
        ),
        (pat("/data/*"), ex(t("/data/a")), true),
        (pat("/data/*"), ex(t("/data/a/b")), false),
    ];
    let probes: Vec<Value> = [
        "/data",
        "/data/",
        "/data/in",
        "/data/in/a.txt",
        "/database",
        "/database/x",
        "/data/../etc",
        "/data/x/..",
        "/data/in/../../etc",
        "/data//in",
        "/data/./in",
        "/etc",
        "a.txt",
        "a/b.txt",
        "/data/a",
        "/data/a/b",
        "a*b",
        "a*bc",
        "a*",
        "a",
    ]
    .into_iter()
    .map(Value::from)
    .chain([-1.0, -0.0, 0.0, 0.5, 4.5, 5.0, 5.5, 9.5, 10.0, 10.5].map(Value::Float))
    .chain([-1, 0, 1, 2, 3, 5, 10, i64::MAX, i64::MIN].map(Value::Int))
    .collect();
    for (p, c, accepted) in &pairs {
        assert_eq!(p.narrows_to(c).is_ok(), *accepted, "{p:?} -> {c:?}");
        for v in &probes {
            assert!(implication_holds(p, c, v), "{p:?} -> {c:?} on {v:?}");
        }
    }
}

/// Counters for a (parent type, child type) pair.
#[derive(Default, Debug, Clone, Copy)]
struct Tally {
    accepted: usize,
    exercised: usize,
}

#[test]
fn attenuation_sound_constraints() {
    const CASES: u32 = 1500;
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let total = Cell::new(0usize);
    let tallies: RefCell<BTreeMap<(&'static str, &'static str), Tally>> = RefCell::default();
    runner
        .run(
            &(strat::constraint_pair(), strat::probes()),
            |((p, c), probes)| {
                total.set(total.get() + 1);
                if p.narrows_to(&c).is_err() {
                    return Ok(());
                }
                let mut values = probes;
                values.extend(boundary_probes(&p));
                values.extend(boundary_probes(&c));
                let mut exercised = false;
                for v in &values {
                    if c.matches(v) {
                        exercised = true;
                        prop_assert!(
                            p.matches(v),
                            "narrowing accepted, child allows, parent refuses: {:?} -> {:?} on {:?}",
                            p,
                            c,
                            v
                        );
                    }
                }
                let mut t = tallies.borrow_mut();
                let e = t.entry((p.type_name(), c.type_name())).or_default();
                e.accepted += 1;
                e.exercised += usize::from(exercised);
                Ok(())
            },
        )
        .unwrap();

    let t = tallies.into_inner();
    let accepted: usize = t.values().map(|x| x.accepted).sum();
    let exercised: usize = t.values().map(|x| x.exercised).sum();
    let total = total.get();
    assert!(
        accepted * 4 >= total,
        "too few accepted narrowings: {accepted}/{total} {t:?}"
    );
    assert!(
        exercised * 5 >= total,
        "too few exercised implications: {exercised}/{total} {t:?}"
    );
    // Every type is exercised as a parent narrowed to its own type and to
    // finite children; cross-type pairs show up too.
    let ex = |p: &str, c: &str| t.get(&(p, c)).map_or(0, |x| x.exercised);
    for ty in ["exact", "one_of", "range", "pattern", "subpath", "wildcard"] {
        assert!(ex(ty, ty) > 0, "{ty} -> {ty} never exercised: {t:?}");
        assert!(ex(ty, "exact") > 0, "{ty} -> exact never exercised: {t:?}");
        assert!(
            ex(ty, "one_of") > 0,
            "{ty} -> one_of never exercised: {t:?}"
        );
    }
    for c in ["range", "pattern", "subpath", "exact", "one_of"] {
        assert!(
            ex("wildcard", c) > 0,
            "wildcard -> {c} never exercised: {t:?}"
        );
    }
    let cross: usize = t
        .iter()
        .filter(|((p, c), _)| p != c)
        .map(|(_, x)| x.exercised)
        .sum();
    assert!(cross > 0);
}

#[test]
fn attenuation_sound_sets() {
    const CASES: u32 = 600;
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let accepted = Cell::new(0usize);
    let exercised = Cell::new(0usize);
    let refused = Cell::new(0usize);
    runner
        .run(&strat::set_triple(), |(p, c, maps)| {
            if p.narrows_to(&c).is_err() {
                refused.set(refused.get() + 1);
                return Ok(());
            }
            accepted.set(accepted.get() + 1);
            let mut hit = false;
            for m in &maps {
                if c.check(m).is_ok() {
                    hit = true;
                    prop_assert!(
                        p.check(m).is_ok(),
                        "set narrowing accepted, child allows, parent refuses: {:?} -> {:?} on {:?} ({:?})",
                        p,
                        c,
                        m,
                        p.check(m)
                    );
                }
            }
            exercised.set(exercised.get() + usize::from(hit));
            Ok(())
        })
        .unwrap();
    let (a, e, r) = (accepted.get(), exercised.get(), refused.get());
    assert!(a * 5 >= CASES as usize, "accepted {a}, refused {r}");
    assert!(e * 10 >= CASES as usize, "exercised {e} of {a} accepted");
    assert!(r > 0, "refusals also occur");
}

#[test]
fn attenuation_sound_end_to_end() {
    const CASES: u32 = 48;
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let accepted = Cell::new(0usize);
    let exercised = Cell::new(0usize);
    let (rk, ag, wk) = (root_key(), agent_key(), worker_key());
    runner
        .run(&strat::set_triple(), |(p, c, maps)| {
            let root = Warrant::mint_builder()
                .holder(ag.public_key())
                .id(WarrantId([1; 16]))
                .issued_at(NOW)
                .ttl(secs(600))
                .capability_set("tool", p.clone())
                .mint(&rk)
                .expect("mint");
            let grant = root
                .grant_builder()
                .holder(wk.public_key())
                .id(WarrantId([2; 16]))
                .issued_at(NOW)
                .capability_set("tool", c.clone())
                .grant(&ag);
            let child = match grant {
                Ok(w) => w,
                Err(BuildError::ConstraintWidens { .. }) => {
                    prop_assert!(p.narrows_to(&c).is_err());
                    return Ok(());
                }
                Err(e) => return Err(TestCaseError::fail(format!("unexpected {e:?}"))),
            };
            prop_assert!(p.narrows_to(&c).is_ok());
            accepted.set(accepted.get() + 1);
            let az = authorizer();
            let c1 = Chain::root(root);
            let c2 = c1.push(child).expect("link rules");
            let mut hit = false;
            for m in maps.iter().take(4) {
                let r2 = call(&az, &c2, &wk, "tool", m);
                let r1 = call(&az, &c1, &ag, "tool", m);
                prop_assert_eq!(r1.is_ok(), p.check(m).is_ok(), "{:?}", r1);
                prop_assert_eq!(
                    r2.is_ok(),
                    p.check(m).is_ok() && c.check(m).is_ok(),
                    "{:?}",
                    r2
                );
                if r2.is_ok() {
                    hit = true;
                    prop_assert!(
                        r1.is_ok(),
                        "child chain allows {:?}, root alone refuses: {:?}",
                        m,
                        r1
                    );
                }
            }
            exercised.set(exercised.get() + usize::from(hit));
            Ok(())
        })
        .unwrap();
    assert!(
        accepted.get() > 0 && exercised.get() > 0,
        "accepted {}, exercised {}",
        accepted.get(),
        exercised.get()
    );
}
