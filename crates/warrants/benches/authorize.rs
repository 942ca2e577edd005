//! Criterion benchmarks for the `warrants` crate, measured against an
//! Ed25519 baseline taken in the same run (`docs/BENCHMARKS.md`, DESIGN §8).
//!
//! Groups and ids (stable; `scripts/bench-report.py` reads them):
//!
//! - `baseline/sign_200B`, `baseline/verify_strict_200B`: the crate's
//!   [`SigningKey::sign`] and [`PublicKey::verify`] (`verify_strict`) on a
//!   200-byte message. Every ratio is taken against these.
//! - `mint/*`, `grant/*`: building and signing warrants.
//! - `encode/*`, `decode/*`: wire forms.
//! - `authorize/*`: allowed calls, hot (verified-chain cache hit) and cold
//!   (cache disabled, from bytes: decode + batch verify) at depth 1, 3, 8.
//! - `deny/*`: invalid proof on a hot chain and the cheap denials.
//! - `constraint/*`: `Constraint::matches` per type, and a six-constraint
//!   mixed `ConstraintSet::check`.
//! - `parts/*`: the pieces of the hot and cold paths, for the analysis.
//!
//! All inputs are fixed: keys from fixed seeds, fixed ids, fixed `now`.
//! Every fixture is checked to give the expected outcome before it is
//! measured, so a bench never silently times the wrong path.

use std::error::Error;
use std::time::Duration;

use criterion::{black_box, Criterion};
use sha2::{Digest, Sha256};
use warrants::constraint::{
    All, Any, Cidr, Contains, Exact, Not, NotOneOf, OneOf, Pattern, Range, Regex, Subpath, Subset,
    UrlPattern, UrlSafe, Wildcard,
};
use warrants::warrant::WarrantId;
use warrants::{
    Authorizer, Call, Chain, Constraint, ConstraintSet, Denial, Payload, Pop, PopWindow, PublicKey,
    SigningKey, Value, Warrant,
};

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// The fixed "current time" of every bench (unix seconds).
const NOW: u64 = 1_700_000_000;
/// The tool every allowed call uses.
const TOOL: &str = "read_file";
/// PoP context bytes (Temporal would put workflow and activity ids here).
const CTX: &[u8] = b"wf-0001/activity-0001";
/// Path argument inside every link's `Subpath`.
const PATH: &str = "/data/in/reports/2024/q1.txt";

fn key(i: u8) -> SigningKey {
    SigningKey::from_seed(&[i.wrapping_add(1); 32])
}

fn window() -> PopWindow {
    PopWindow::around(NOW, 60, 5)
}

fn args() -> Value {
    Value::map([("path", PATH)])
}

/// The root warrant: two tools, `read_file{path: Subpath}` and
/// `transfer{amount: Range}`, held by `holder`.
fn mint_root(root: &SigningKey, holder: PublicKey) -> BoxResult<Warrant> {
    Ok(Warrant::mint_builder()
        .holder(holder)
        .capability("read_file", [("path", Subpath::new("/data")?.into())])
        .capability("transfer", [("amount", Range::between(0, 1000)?.into())])
        .ttl(Duration::from_secs(3600))
        .issued_at(NOW)
        .id(WarrantId([1; 16]))
        .mint(root)?)
}

/// One child of `parent`: `read_file` only, narrowed to `/data/in`.
fn grant_child(
    parent: &Warrant,
    parent_holder: &SigningKey,
    holder: PublicKey,
    id: u8,
) -> BoxResult<Warrant> {
    Ok(parent
        .grant_builder()
        .holder(holder)
        .capability("read_file", [("path", Subpath::new("/data/in")?.into())])
        .ttl(Duration::from_secs(1800))
        .issued_at(NOW)
        .id(WarrantId([id; 16]))
        .grant(parent_holder)?)
}

/// A chain of `links` links; key `i` issues link `i` to key `i + 1`.
/// Returns the chain and the leaf holder's key.
fn chain_of(links: u8) -> BoxResult<(Chain, SigningKey)> {
    let root_key = key(0);
    let mut holder = key(1);
    let mut chain = Chain::root(mint_root(&root_key, holder.public_key())?);
    for i in 1..links {
        let next = key(i + 1);
        let leaf = chain.leaf().ok_or("empty chain")?.clone();
        let child = grant_child(&leaf, &holder, next.public_key(), i + 1)?;
        chain = chain.push(child)?;
        holder = next;
    }
    Ok((chain, holder))
}

/// Everything one authorize bench needs.
struct Fixture {
    chain: Chain,
    chain_bytes: Vec<u8>,
    pop: Pop,
    pop_bytes: Vec<u8>,
    args: Value,
}

fn fixture(links: u8) -> BoxResult<Fixture> {
    let (chain, holder) = chain_of(links)?;
    let args = args();
    let pop = Pop::sign(&holder, &chain, TOOL, &args, CTX, NOW);
    Ok(Fixture {
        chain_bytes: chain.to_bytes(),
        pop_bytes: pop.to_bytes(),
        chain,
        pop,
        args,
    })
}

fn authorizer(cache_capacity: usize) -> Authorizer {
    Authorizer::builder()
        .trusted_root(key(0).public_key())
        .cache_capacity(cache_capacity)
        .build()
}

fn expect_ok<T, E: std::fmt::Debug>(what: &str, r: Result<T, E>) -> BoxResult<T> {
    r.map_err(|e| format!("fixture `{what}` should be allowed, got {e:?}").into())
}

fn expect_denial<T: std::fmt::Debug>(
    what: &str,
    r: Result<T, Denial>,
    want: fn(&Denial) -> bool,
) -> BoxResult<()> {
    match r {
        Err(d) if want(&d) => Ok(()),
        other => Err(format!("fixture `{what}` gave an unexpected outcome: {other:?}").into()),
    }
}

fn bench_baseline(c: &mut Criterion) {
    let k = key(0);
    let pk = k.public_key();
    let msg = [0x42u8; 200];
    let sig = k.sign(&msg);
    let mut g = c.benchmark_group("baseline");
    g.bench_function("sign_200B", |b| b.iter(|| k.sign(black_box(&msg))));
    g.bench_function("verify_strict_200B", |b| {
        b.iter(|| pk.verify(black_box(&msg), black_box(&sig)))
    });
    g.finish();
}

fn bench_mint_grant(c: &mut Criterion) -> BoxResult<()> {
    let root_key = key(0);
    let agent = key(1);
    let agent_pk = agent.public_key();
    let sub_pk = key(2).public_key();
    let root = mint_root(&root_key, agent_pk)?;
    grant_child(&root, &agent, sub_pk, 2)?;

    let mut g = c.benchmark_group("mint");
    // Includes building the two constraints and the builder, as a caller would.
    g.bench_function("root_2tools", |b| {
        b.iter(|| mint_root(black_box(&root_key), black_box(agent_pk)))
    });
    g.finish();

    let mut g = c.benchmark_group("grant");
    // Includes the attenuation check (Subpath narrows Subpath).
    g.bench_function("child_1tool", |b| {
        b.iter(|| grant_child(black_box(&root), black_box(&agent), black_box(sub_pk), 2))
    });
    g.finish();
    Ok(())
}

fn bench_codec(c: &mut Criterion) -> BoxResult<()> {
    let f1 = fixture(1)?;
    let f3 = fixture(3)?;
    let root = f1.chain.root_warrant().ok_or("empty chain")?.clone();
    let payload: Payload = root.payload().clone();
    let envelope = root.to_bytes();

    let mut g = c.benchmark_group("encode");
    g.bench_function("chain_to_bytes_1link", |b| {
        b.iter(|| black_box(&f1.chain).to_bytes())
    });
    g.bench_function("payload", |b| b.iter(|| black_box(&payload).encode()));
    g.finish();

    let mut g = c.benchmark_group("decode");
    g.bench_function("chain_1link", |b| {
        b.iter(|| Chain::from_bytes(black_box(&f1.chain_bytes)))
    });
    g.bench_function("chain_3link", |b| {
        b.iter(|| Chain::from_bytes(black_box(&f3.chain_bytes)))
    });
    g.bench_function("warrant", |b| {
        b.iter(|| Warrant::from_bytes(black_box(&envelope)))
    });
    g.bench_function("pop", |b| {
        b.iter(|| Pop::from_bytes(black_box(&f1.pop_bytes)))
    });
    g.finish();
    Ok(())
}

fn bench_authorize(c: &mut Criterion) -> BoxResult<()> {
    let f1 = fixture(1)?;
    let call = Call::new(TOOL, &f1.args, CTX);

    // Hot: a cache-enabled authorizer that has verified the chain once.
    let hot = authorizer(warrants::authorizer::DEFAULT_CACHE_CAPACITY);
    expect_ok(
        "warm-up",
        hot.authorize_at(&f1.chain, &call, &f1.pop, window(), NOW),
    )?;
    let ok = expect_ok(
        "hot",
        hot.authorize_at(&f1.chain, &call, &f1.pop, window(), NOW),
    )?;
    let ok_bytes = expect_ok(
        "hot_bytes",
        hot.authorize_bytes_at(
            Some(&f1.chain_bytes),
            &call,
            Some(&f1.pop_bytes),
            window(),
            NOW,
        ),
    )?;
    if !ok.cache_hit || !ok_bytes.cache_hit {
        return Err("hot fixtures should hit the verified-chain cache".into());
    }

    let mut g = c.benchmark_group("authorize");
    g.bench_function("hot", |b| {
        b.iter(|| {
            hot.authorize_at(
                black_box(&f1.chain),
                black_box(&call),
                black_box(&f1.pop),
                window(),
                NOW,
            )
        })
    });
    g.bench_function("hot_bytes", |b| {
        b.iter(|| {
            hot.authorize_bytes_at(
                Some(black_box(&f1.chain_bytes)),
                black_box(&call),
                Some(black_box(&f1.pop_bytes)),
                window(),
                NOW,
            )
        })
    });

    // Cold: cache disabled, so every call decodes and batch-verifies.
    let cold = authorizer(0);
    let ok = expect_ok(
        "cold depth 1 decoded",
        cold.authorize_at(&f1.chain, &call, &f1.pop, window(), NOW),
    )?;
    if ok.cache_hit {
        return Err("cold fixtures must not hit a cache".into());
    }
    g.bench_function("cold_depth1", |b| {
        b.iter(|| {
            cold.authorize_at(
                black_box(&f1.chain),
                black_box(&call),
                black_box(&f1.pop),
                window(),
                NOW,
            )
        })
    });
    for depth in [1u8, 3, 8] {
        let f = fixture(depth)?;
        let call = Call::new(TOOL, &f.args, CTX);
        let ok = expect_ok(
            "cold bytes",
            cold.authorize_bytes_at(
                Some(&f.chain_bytes),
                &call,
                Some(&f.pop_bytes),
                window(),
                NOW,
            ),
        )?;
        if ok.cache_hit || ok.chain_len != usize::from(depth) {
            return Err(format!("cold depth {depth}: unexpected {ok:?}").into());
        }
        g.bench_function(format!("cold_bytes_depth{depth}"), |b| {
            b.iter(|| {
                cold.authorize_bytes_at(
                    Some(black_box(&f.chain_bytes)),
                    black_box(&call),
                    Some(black_box(&f.pop_bytes)),
                    window(),
                    NOW,
                )
            })
        });
    }
    g.finish();

    bench_deny(c, &f1, &hot)
}

fn bench_deny(c: &mut Criterion, f1: &Fixture, hot: &Authorizer) -> BoxResult<()> {
    let call = Call::new(TOOL, &f1.args, CTX);
    let (_, holder) = chain_of(1)?;
    // A well-formed signature over another context: fails the final
    // equation of the verification, like a replayed or forged proof.
    let bad_pop = Pop::sign(&holder, &f1.chain, TOOL, &f1.args, b"another context", NOW);
    let bad_pop_bytes = bad_pop.to_bytes();
    expect_denial(
        "invalid pop",
        hot.authorize_at(&f1.chain, &call, &bad_pop, window(), NOW),
        |d| matches!(d, Denial::PopInvalid),
    )?;
    expect_denial(
        "invalid pop bytes",
        hot.authorize_bytes_at(
            Some(&f1.chain_bytes),
            &call,
            Some(&bad_pop_bytes),
            window(),
            NOW,
        ),
        |d| matches!(d, Denial::PopInvalid),
    )?;

    let unknown = Call::new("delete_file", &f1.args, CTX);
    let unknown_pop = Pop::sign(&holder, &f1.chain, "delete_file", &f1.args, CTX, NOW);
    let unknown_pop_bytes = unknown_pop.to_bytes();
    let is_tool = |d: &Denial| matches!(d, Denial::ToolNotGranted { .. });
    expect_denial(
        "unknown tool",
        hot.authorize_at(&f1.chain, &unknown, &unknown_pop, window(), NOW),
        is_tool,
    )?;
    expect_denial(
        "unknown tool bytes",
        hot.authorize_bytes_at(
            Some(&f1.chain_bytes),
            &unknown,
            Some(&unknown_pop_bytes),
            window(),
            NOW,
        ),
        is_tool,
    )?;
    expect_denial(
        "missing pop",
        hot.authorize_bytes_at(Some(&f1.chain_bytes), &call, None, window(), NOW),
        |d| matches!(d, Denial::PopMissing),
    )?;
    let oversize = vec![0u8; warrants::limits::MAX_CHAIN_BYTES + 1];
    expect_denial(
        "oversize",
        hot.authorize_bytes_at(Some(&oversize), &call, Some(&f1.pop_bytes), window(), NOW),
        |d| matches!(d, Denial::WarrantMalformed { .. }),
    )?;

    let mut g = c.benchmark_group("deny");
    g.bench_function("invalid_pop_hot", |b| {
        b.iter(|| {
            hot.authorize_at(
                black_box(&f1.chain),
                black_box(&call),
                black_box(&bad_pop),
                window(),
                NOW,
            )
        })
    });
    g.bench_function("invalid_pop_hot_bytes", |b| {
        b.iter(|| {
            hot.authorize_bytes_at(
                Some(black_box(&f1.chain_bytes)),
                black_box(&call),
                Some(black_box(&bad_pop_bytes)),
                window(),
                NOW,
            )
        })
    });
    g.bench_function("unknown_tool_hot", |b| {
        b.iter(|| {
            hot.authorize_at(
                black_box(&f1.chain),
                black_box(&unknown),
                black_box(&unknown_pop),
                window(),
                NOW,
            )
        })
    });
    g.bench_function("unknown_tool_hot_bytes", |b| {
        b.iter(|| {
            hot.authorize_bytes_at(
                Some(black_box(&f1.chain_bytes)),
                black_box(&unknown),
                Some(black_box(&unknown_pop_bytes)),
                window(),
                NOW,
            )
        })
    });
    g.bench_function("missing_pop_bytes", |b| {
        b.iter(|| {
            hot.authorize_bytes_at(
                Some(black_box(&f1.chain_bytes)),
                black_box(&call),
                black_box(None),
                window(),
                NOW,
            )
        })
    });
    g.bench_function("oversize_chain_bytes", |b| {
        b.iter(|| {
            hot.authorize_bytes_at(
                Some(black_box(&oversize)),
                black_box(&call),
                Some(black_box(&f1.pop_bytes)),
                window(),
                NOW,
            )
        })
    });
    g.finish();
    Ok(())
}

fn bench_constraints(c: &mut Criterion) -> BoxResult<()> {
    let cases: Vec<(&str, Constraint, Value)> = vec![
        (
            "exact",
            Exact::new("production")?.into(),
            "production".into(),
        ),
        (
            "one_of",
            OneOf::new(["dev", "staging", "qa", "production"])?.into(),
            "production".into(),
        ),
        ("range", Range::between(0, 1000)?.into(), 500.into()),
        (
            "pattern",
            Pattern::new("/data/**/*.txt")?.into(),
            PATH.into(),
        ),
        ("subpath", Subpath::new("/data/in")?.into(), PATH.into()),
        ("wildcard", Wildcard::new().into(), "anything".into()),
        (
            "not_one_of",
            NotOneOf::new(["dev", "staging", "qa", "test"])?.into(),
            "production".into(),
        ),
        (
            "regex",
            Regex::new("/data/[a-z]+/[0-9]{4}/q[1-4]\\.txt")?.into(),
            "/data/reports/2024/q1.txt".into(),
        ),
        (
            "url_safe",
            UrlSafe::new().into(),
            "https://api.example.com/v1/items?id=7".into(),
        ),
        (
            "url_pattern",
            UrlPattern::new(["https"], "*.example.com", None, Some("/v1/**"))?.into(),
            "https://api.example.com/v1/items?id=7".into(),
        ),
        (
            "cidr",
            Cidr::new(["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"])?.into(),
            "192.168.10.20".into(),
        ),
        (
            "contains",
            Contains::new(["read"])?.into(),
            Value::list(["list", "read", "stat"]),
        ),
        (
            "subset",
            Subset::new(["list", "read", "stat", "write"])?.into(),
            Value::list(["list", "read"]),
        ),
        (
            "all",
            All::new([
                Constraint::from(Subpath::new("/data")?),
                Pattern::new("**/*.txt")?.into(),
            ])?
            .into(),
            PATH.into(),
        ),
        (
            "any",
            Any::new([
                Constraint::from(Subpath::new("/tmp")?),
                Subpath::new("/data/in")?.into(),
            ])?
            .into(),
            PATH.into(),
        ),
        (
            "not",
            Not::new(OneOf::new(["/etc/passwd", "/etc/shadow"])?)?.into(),
            PATH.into(),
        ),
    ];
    let mut g = c.benchmark_group("constraint");
    for (name, constraint, value) in &cases {
        if !constraint.matches(value) {
            return Err(format!("constraint fixture `{name}` should match").into());
        }
        g.bench_function(*name, |b| {
            b.iter(|| black_box(constraint).matches(black_box(value)))
        });
    }

    let set = ConstraintSet::new()
        .arg("env", Exact::new("production")?)
        .arg(
            "region",
            OneOf::new(["eu-west-1", "eu-central-1", "us-east-1"])?,
        )
        .arg("amount", Range::between(0, 1000)?)
        .arg("file", Pattern::new("/data/**/*.txt")?)
        .arg("path", Subpath::new("/data/in")?)
        .arg("note", Wildcard::new());
    let mixed = Value::map([
        ("env", Value::from("production")),
        ("region", Value::from("us-east-1")),
        ("amount", Value::from(500)),
        ("file", Value::from(PATH)),
        ("path", Value::from(PATH)),
        ("note", Value::from("quarterly report")),
    ]);
    if let Err(v) = set.check(&mixed) {
        return Err(format!("mixed constraint set should pass, got {v:?}").into());
    }
    g.bench_function("set_mixed6", |b| {
        b.iter(|| black_box(&set).check(black_box(&mixed)))
    });

    // Six of the newer types in one set.
    let set_new = ConstraintSet::new()
        .arg("url", UrlSafe::new())
        .arg("id", Regex::new("[a-z]{2}-[0-9]{6}")?)
        .arg("ip", Cidr::new(["10.0.0.0/8", "192.168.0.0/16"])?)
        .arg("env", NotOneOf::new(["prod", "production"])?)
        .arg("scopes", Subset::new(["list", "read", "stat"])?)
        .arg(
            "path",
            All::new([
                Constraint::from(Subpath::new("/data")?),
                Pattern::new("**/*.txt")?.into(),
            ])?,
        );
    let mixed_new = Value::map([
        ("url", Value::from("https://api.example.com/v1/items?id=7")),
        ("id", Value::from("ab-123456")),
        ("ip", Value::from("192.168.10.20")),
        ("env", Value::from("staging")),
        ("scopes", Value::list(["list", "read"])),
        ("path", Value::from(PATH)),
    ]);
    if let Err(v) = set_new.check(&mixed_new) {
        return Err(format!("mixed new-type set should pass, got {v:?}").into());
    }
    g.bench_function("set_mixed6_new_types", |b| {
        b.iter(|| black_box(&set_new).check(black_box(&mixed_new)))
    });
    g.finish();
    Ok(())
}

/// The pieces the authorize paths are made of, measured alone.
fn bench_parts(c: &mut Criterion) -> BoxResult<()> {
    let f1 = fixture(1)?;
    let f8 = fixture(8)?;
    let leaf = f1.chain.leaf().ok_or("empty chain")?.clone();
    let root = f1.chain.root_warrant().ok_or("empty chain")?.clone();
    let holder = *leaf.holder();
    let pop_msg = Pop::message(leaf.hash(), TOOL, &f1.args, CTX, NOW);
    if !holder.verify(&pop_msg, &f1.pop.signature) {
        return Err("pop fixture should verify".into());
    }
    let set = leaf.tool(TOOL).ok_or("tool not granted")?.clone();

    let mut g = c.benchmark_group("parts");
    g.bench_function("sha256_chain_1link", |b| {
        b.iter(|| -> [u8; 32] { Sha256::digest(black_box(&f1.chain_bytes)).into() })
    });
    g.bench_function("sha256_chain_8link", |b| {
        b.iter(|| -> [u8; 32] { Sha256::digest(black_box(&f8.chain_bytes)).into() })
    });
    g.bench_function("pop_message", |b| {
        b.iter(|| {
            Pop::message(
                black_box(leaf.hash()),
                black_box(TOOL),
                black_box(&f1.args),
                black_box(CTX),
                NOW,
            )
        })
    });
    g.bench_function("verify_strict_pop", |b| {
        b.iter(|| holder.verify(black_box(&pop_msg), black_box(&f1.pop.signature)))
    });
    g.bench_function("verify_strict_warrant", |b| {
        b.iter(|| black_box(&root).verify_signature())
    });
    // The cold path's signature work at depth 1: link + proof in one batch.
    let leaf_sig = ed25519_dalek::Signature::from_bytes(&leaf.signature().0);
    let pop_sig = ed25519_dalek::Signature::from_bytes(&f1.pop.signature.0);
    let issuer = ed25519_dalek::VerifyingKey::from_bytes(leaf.issuer().as_bytes())?;
    let holder_vk = ed25519_dalek::VerifyingKey::from_bytes(holder.as_bytes())?;
    let msgs: [&[u8]; 2] = [leaf.signed_message(), &pop_msg];
    let sigs = [leaf_sig, pop_sig];
    let keys = [issuer, holder_vk];
    ed25519_dalek::verify_batch(&msgs, &sigs, &keys)?;
    g.bench_function("verify_batch_2", |b| {
        b.iter(|| ed25519_dalek::verify_batch(black_box(&msgs), black_box(&sigs), black_box(&keys)))
    });
    // Decode-side key work: point decompression (dalek) and the crate's
    // parse (decompression + small-order check), and the payload alone.
    let key_bytes = holder.to_bytes();
    g.bench_function("dalek_verifying_key_from_bytes", |b| {
        b.iter(|| ed25519_dalek::VerifyingKey::from_bytes(black_box(&key_bytes)))
    });
    g.bench_function("public_key_from_bytes", |b| {
        b.iter(|| PublicKey::from_bytes(black_box(&key_bytes)))
    });
    // What re-compressing a parsed key costs (a field inversion): one way
    // to check that a key's encoding is canonical.
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes)?;
    g.bench_function("dalek_point_compress", |b| {
        b.iter(|| black_box(&vk).to_edwards().compress().to_bytes())
    });
    let payload_bytes = root.payload().encode();
    Payload::decode(&payload_bytes)?;
    g.bench_function("payload_decode", |b| {
        b.iter(|| Payload::decode(black_box(&payload_bytes)))
    });
    g.bench_function("subpath_check_1link", |b| {
        b.iter(|| black_box(&set).check(black_box(&f1.args)))
    });
    g.bench_function("args_nesting_check", |b| {
        b.iter(|| black_box(&f1.args).nested_deeper_than(warrants::value::MAX_VALUE_DEPTH))
    });
    g.finish();
    Ok(())
}

fn run(c: &mut Criterion) -> BoxResult<()> {
    bench_baseline(c);
    bench_mint_grant(c)?;
    bench_codec(c)?;
    bench_authorize(c)?;
    bench_constraints(c)?;
    bench_parts(c)?;
    Ok(())
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    if let Err(e) = run(&mut c) {
        eprintln!("bench setup failed: {e}");
        std::process::exit(1);
    }
    c.final_summary();
}
