//! Property and named negative tests for the `Cidr` constraint (type 10):
//! matching agrees with an independent reference (mask arithmetic on
//! `u32`/`u128`), attenuation is sound (`parent.narrows_to(child).is_ok()
//! && child.matches(v) ⇒ parent.matches(v)`) for Cidr/Cidr pairs, finite
//! children and cross-type pairs, round trips are byte-identical, decoding
//! never panics and accepts only canonical bytes. Generators favour
//! boundary prefixes (/0, /1, /31, /32, /95, /96, /127, /128), boundary
//! addresses (first, last, one below, one above) and the IPv4-mapped
//! range. Every test counts what it exercised so it cannot pass vacuously.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use warrants::constraint::{Cidr, Exact, OneOf, MAX_CIDR_NETWORKS};
use warrants::warrant::WarrantId;
use warrants::{BuildError, Chain, Constraint, ConstraintSet, Value, Warrant};

// ---------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------

/// A network in the reference model: family, address bits, prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    V4(u32, u8),
    V6(u128, u8),
}

const MAPPED_BASE: u128 = 0xffff_u128 << 32;

fn mask4(p: u8) -> u32 {
    if p == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(p))
    }
}

fn mask6(p: u8) -> u128 {
    if p == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(p))
    }
}

impl Net {
    /// Truncate host bits; a v6 network inside `::ffff:0:0/96` becomes the
    /// IPv4 network it denotes (the only valid way to write it).
    fn canon(self) -> Net {
        match self {
            Net::V4(a, p) => Net::V4(a & mask4(p), p),
            Net::V6(a, p) => {
                let a = a & mask6(p);
                if p >= 96 && (a >> 32) == (MAPPED_BASE >> 32) {
                    Net::V4(a as u32, p - 96)
                } else {
                    Net::V6(a, p)
                }
            }
        }
    }

    fn pair(self) -> (IpAddr, u8) {
        match self {
            Net::V4(a, p) => (IpAddr::V4(Ipv4Addr::from(a)), p),
            Net::V6(a, p) => (IpAddr::V6(Ipv6Addr::from(a)), p),
        }
    }

    fn from_pair((a, p): (IpAddr, u8)) -> Net {
        match a {
            IpAddr::V4(a) => Net::V4(u32::from(a), p),
            IpAddr::V6(a) => Net::V6(u128::from(a), p),
        }
    }

    /// Reference: `host` inside this network.
    fn has(self, host: Host) -> bool {
        match (self, host) {
            (Net::V4(n, p), Host::V4(h)) => (h & mask4(p)) == n,
            (Net::V6(n, p), Host::V6(h)) => (h & mask6(p)) == n,
            _ => false,
        }
    }

    /// Reference: `other` entirely inside this network.
    fn covers(self, other: Net) -> bool {
        match (self, other) {
            (Net::V4(n, p), Net::V4(m, q)) => q >= p && (m & mask4(p)) == n,
            (Net::V6(n, p), Net::V6(m, q)) => q >= p && (m & mask6(p)) == n,
            _ => false,
        }
    }

    /// First, last, one below and one above (wrapping), and a middle
    /// address.
    fn edges(self) -> Vec<Host> {
        match self {
            Net::V4(n, p) => {
                let last = n | !mask4(p);
                let mid = n | ((!mask4(p)) / 2);
                [n, last, n.wrapping_sub(1), last.wrapping_add(1), mid]
                    .into_iter()
                    .map(Host::V4)
                    .collect()
            }
            Net::V6(n, p) => {
                let last = n | !mask6(p);
                let mid = n | ((!mask6(p)) / 2);
                [n, last, n.wrapping_sub(1), last.wrapping_add(1), mid]
                    .into_iter()
                    .map(Host::V6)
                    .collect()
            }
        }
    }
}

/// A host as the reference sees it: mapped v6 is folded to v4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Host {
    V4(u32),
    V6(u128),
}

/// Reference parse: std's strict parser, mapped folding by hand.
fn ref_host(text: &str) -> Option<Host> {
    match text.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some(Host::V4(u32::from(a))),
        IpAddr::V6(a) => {
            let v = u128::from(a);
            if (v >> 32) == (MAPPED_BASE >> 32) {
                Some(Host::V4(v as u32))
            } else {
                Some(Host::V6(v))
            }
        }
    }
}

fn nets_of(c: &Cidr) -> Vec<Net> {
    c.networks().map(Net::from_pair).collect()
}

fn ref_matches(nets: &[Net], v: &Value) -> bool {
    match v {
        Value::Text(s) => ref_host(s).is_some_and(|h| nets.iter().any(|n| n.has(h))),
        _ => false,
    }
}

fn ref_narrows(parent: &[Net], child: &[Net]) -> bool {
    child.iter().all(|c| parent.iter().any(|p| p.covers(*c)))
}

/// Text spellings of a host: canonical, mapped (for v4) and expanded
/// upper-case (for v6), plus spellings that must never parse.
fn spellings(h: Host) -> Vec<Value> {
    let mut out = Vec::new();
    match h {
        Host::V4(a) => {
            let ip = Ipv4Addr::from(a);
            let [x, y, z, w] = ip.octets();
            out.push(ip.to_string());
            out.push(format!("::ffff:{ip}"));
            out.push(format!("0:0:0:0:0:FFFF:{:x}:{:x}", a >> 16, a & 0xffff));
            // IPv4-compatible (deprecated) form: a different, v6 host.
            out.push(format!("::{ip}"));
            // Legacy forms std refuses (inet_aton would accept them).
            out.push(format!("0{x}.{y}.{z}.{w}"));
            out.push(format!("{x}.{}", u32::from(ip) & 0x00ff_ffff));
            out.push(a.to_string());
            out.push(format!("{ip}/32"));
        }
        Host::V6(a) => {
            let ip = Ipv6Addr::from(a);
            out.push(ip.to_string());
            let seg = ip.segments();
            out.push(
                seg.iter()
                    .map(|s| format!("{s:04X}"))
                    .collect::<Vec<_>>()
                    .join(":"),
            );
            out.push(format!("[{ip}]"));
            out.push(format!("{ip}%1"));
        }
    }
    out.into_iter().map(Value::Text).collect()
}

// ---------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------

const V4_BASES: &[u32] = &[
    0,
    0x0a00_0000,
    0x0a80_0000,
    0x0b00_0000,
    0x7f00_0001,
    0xc0a8_0000,
    0xa9fe_a9fe,
    0xffff_ffff,
];
const V4_PREFIXES: &[u8] = &[0, 1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32];

const V6_BASES: &[u128] = &[
    0,
    1,
    0x2001_0db8_u128 << 96,
    0x2001_0db8_0001_u128 << 80,
    0x0064_ff9b_u128 << 96,
    MAPPED_BASE,
    MAPPED_BASE | 0x0a00_0001,
    0xfffe_u128 << 32,
    0xfe80_u128 << 112,
    u128::MAX,
];
const V6_PREFIXES: &[u8] = &[
    0, 1, 16, 31, 32, 33, 47, 48, 63, 64, 65, 94, 95, 96, 97, 104, 120, 127, 128,
];

fn net() -> impl Strategy<Value = Net> {
    let v4 = (
        prop_oneof![
            3 => prop::sample::select(V4_BASES),
            1 => any::<u32>(),
            1 => (prop::sample::select(V4_BASES), 0u32..512).prop_map(|(b, d)| b.wrapping_add(d)),
        ],
        prop_oneof![3 => prop::sample::select(V4_PREFIXES), 1 => 0u8..=32],
    )
        .prop_map(|(a, p)| Net::V4(a, p));
    let v6 = (
        prop_oneof![
            3 => prop::sample::select(V6_BASES),
            1 => any::<u128>(),
            1 => (prop::sample::select(V6_BASES), 0u128..512).prop_map(|(b, d)| b.wrapping_add(d)),
        ],
        prop_oneof![3 => prop::sample::select(V6_PREFIXES), 1 => 0u8..=128],
    )
        .prop_map(|(a, p)| Net::V6(a, p));
    prop_oneof![v4, v6].prop_map(Net::canon)
}

fn cidr_of(nets: &[Net]) -> Cidr {
    Cidr::from_networks(nets.iter().map(|n| n.pair())).expect("canonical networks build")
}

fn cidr() -> impl Strategy<Value = Cidr> {
    prop::collection::vec(net(), 1..5).prop_map(|n| cidr_of(&n))
}

/// A child network derived from `p`: mostly a longer prefix with random
/// host bits, sometimes the same, sometimes wider (an escalation).
fn child_net(p: Net) -> impl Strategy<Value = Net> {
    (
        prop::sample::select(&[-2i16, -1, 0, 0, 1, 1, 2, 4, 8, 24, 64][..]),
        any::<u128>(),
    )
        .prop_map(move |(d, bits)| match p {
            Net::V4(a, q) => {
                let np = (i16::from(q) + d).clamp(0, 32) as u8;
                Net::V4(a | (bits as u32 & !mask4(q)), np).canon()
            }
            Net::V6(a, q) => {
                let np = (i16::from(q) + d).clamp(0, 128) as u8;
                Net::V6(a | (bits & !mask6(q)), np).canon()
            }
        })
}

/// A parent and a child Cidr (derived from some parent networks, plus
/// sometimes an unrelated one).
fn cidr_pair() -> impl Strategy<Value = (Cidr, Cidr)> {
    cidr().prop_flat_map(|p| {
        let pn = nets_of(&p);
        let derived: Vec<_> = pn.iter().map(|n| child_net(*n).boxed()).collect();
        (
            Just(p),
            derived,
            prop::collection::vec(any::<bool>(), pn.len()),
            prop::option::weighted(0.2, net()),
        )
            .prop_map(|(p, d, keep, extra)| {
                let mut c: Vec<Net> = d
                    .iter()
                    .zip(&keep)
                    .filter(|(_, k)| **k)
                    .map(|(n, _)| *n)
                    .collect();
                c.extend(extra);
                if c.is_empty() {
                    c.push(d[0]);
                }
                (p, cidr_of(&c))
            })
    })
}

/// Probe values: every spelling of the edges of every network of `cs`.
fn probes_of(cs: &[&Cidr]) -> Vec<Value> {
    let mut out = vec![
        Value::Null,
        Value::Int(167_772_161),
        Value::bytes([10, 0, 0, 1]),
        Value::from(""),
        Value::from("localhost"),
    ];
    for c in cs {
        for n in nets_of(c) {
            for h in n.edges() {
                out.extend(spellings(h));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------

#[test]
fn cidr_matches_agrees_with_reference() {
    let mut runner = TestRunner::new(Config::with_cases(512));
    let (pos, neg) = (Cell::new(0usize), Cell::new(0usize));
    let mapped_pos = Cell::new(0usize);
    runner
        .run(&(cidr(), cidr()), |(c, other)| {
            let nets = nets_of(&c);
            let cc = Constraint::from(c.clone());
            for v in probes_of(&[&c, &other]) {
                let want = ref_matches(&nets, &v);
                prop_assert_eq!(cc.matches(&v), want, "{:?} on {:?}", v, nets);
                if let Value::Text(s) = &v {
                    prop_assert_eq!(c.contains_text(s), want);
                    if let Ok(a) = s.parse::<IpAddr>() {
                        prop_assert_eq!(c.contains_addr(a), want);
                    }
                    if want && s.contains("ffff:") {
                        mapped_pos.set(mapped_pos.get() + 1);
                    }
                }
                if want {
                    pos.set(pos.get() + 1);
                } else {
                    neg.set(neg.get() + 1);
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(pos.get() > 1000 && neg.get() > 1000, "{pos:?} {neg:?}");
    assert!(
        mapped_pos.get() > 100,
        "mapped spellings matched {mapped_pos:?}"
    );
}

#[test]
fn cidr_narrowing_sound_and_exact_rule() {
    const CASES: u32 = 1024;
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let accepted = Cell::new(0usize);
    let exercised = Cell::new(0usize);
    let refused = Cell::new(0usize);
    let witnessed = Cell::new(0usize);
    let mapped_exempt = Cell::new(0usize);
    runner
        .run(&cidr_pair(), |(p, c)| {
            let (pn, cn) = (nets_of(&p), nets_of(&c));
            let (pc, cc) = (Constraint::from(p.clone()), Constraint::from(c.clone()));
            let ok = pc.narrows_to(&cc).is_ok();
            prop_assert_eq!(ok, ref_narrows(&pn, &cn), "{:?} -> {:?}", pn, cn);
            let probes = probes_of(&[&p, &c]);
            if ok {
                accepted.set(accepted.get() + 1);
                let mut hit = false;
                for v in &probes {
                    if cc.matches(v) {
                        hit = true;
                        prop_assert!(pc.matches(v), "child allows {:?}, parent refuses", v);
                    }
                }
                exercised.set(exercised.get() + usize::from(hit));
            } else {
                refused.set(refused.get() + 1);
                // A single-network parent: the rule is exact, so a refused
                // child has an edge address the parent does not allow —
                // unless the only extra addresses of a child IPv6 network
                // are IPv4-mapped ones (which no IPv6 network matches).
                if pn.len() == 1 {
                    let w = probes.iter().any(|v| cc.matches(v) && !pc.matches(v));
                    // (Only `::fffe:0:0/96 -> ::fffe:0:0/95`: a child network
                    // wider than the parent adds at least as many addresses
                    // as the parent has, and must add a non-mapped one unless
                    // its other half is exactly `::ffff:0:0/96`.)
                    let lower = Net::V6(0xfffe_u128 << 32, 96);
                    let both = Net::V6(0xfffe_u128 << 32, 95);
                    let mapped_only = cn
                        .iter()
                        .all(|n| pn[0].covers(*n) || (*n == both && pn[0] == lower));
                    if mapped_only {
                        mapped_exempt.set(mapped_exempt.get() + 1);
                    } else {
                        prop_assert!(w, "refused without a witness: {:?} -> {:?}", pn, cn);
                        witnessed.set(witnessed.get() + 1);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    let (a, e, r, w) = (
        accepted.get(),
        exercised.get(),
        refused.get(),
        witnessed.get(),
    );
    assert!(a * 4 >= CASES as usize, "accepted {a}, refused {r}");
    assert!(e * 10 >= a * 9, "exercised {e} of {a}");
    assert!(
        r * 10 >= CASES as usize && w > 0,
        "refused {r}, witnessed {w}"
    );
}

#[test]
fn cidr_finite_children_sound() {
    const CASES: u32 = 512;
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let (accepted, refused) = (Cell::new(0usize), Cell::new(0usize));
    let strat = (cidr(), cidr()).prop_flat_map(|(p, o)| {
        let pool = probes_of(&[&p, &o]);
        (
            Just(p),
            prop::collection::vec(prop::sample::select(pool), 1..4),
            any::<bool>(),
        )
    });
    runner
        .run(&strat, |(p, vals, single)| {
            let pc = Constraint::from(p.clone());
            let child: Constraint = if single {
                Exact::new(vals[0].clone()).unwrap().into()
            } else {
                OneOf::new(vals.clone()).unwrap().into()
            };
            let vals = if single { vec![vals[0].clone()] } else { vals };
            let ok = pc.narrows_to(&child).is_ok();
            let nets = nets_of(&p);
            prop_assert_eq!(ok, vals.iter().all(|v| ref_matches(&nets, v)));
            if ok {
                accepted.set(accepted.get() + 1);
                for v in &vals {
                    prop_assert!(child.matches(v) && pc.matches(v));
                }
            } else {
                refused.set(refused.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert!(
        accepted.get() > 20 && refused.get() > 20,
        "{accepted:?} {refused:?}"
    );
}

#[test]
fn cidr_cross_type_sound() {
    const CASES: u32 = 512;
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    let (accepted, exercised) = (Cell::new(0usize), Cell::new(0usize));
    let refused = Cell::new(0usize);
    let strat = (cidr(), strat::constraint(), any::<bool>(), strat::probes());
    runner
        .run(&strat, |(c, other, cidr_parent, extra)| {
            let cc = Constraint::from(c.clone());
            let (p, ch) = if cidr_parent {
                (cc.clone(), other.clone())
            } else {
                (other.clone(), cc.clone())
            };
            let mut probes = probes_of(&[&c]);
            probes.extend(extra);
            probes.extend(strat::boundary_probes(&other));
            match p.narrows_to(&ch) {
                Ok(()) => {
                    accepted.set(accepted.get() + 1);
                    let mut hit = false;
                    for v in &probes {
                        if ch.matches(v) {
                            hit = true;
                            prop_assert!(p.matches(v), "{:?} -> {:?} on {:?}", p, ch, v);
                        }
                    }
                    exercised.set(exercised.get() + usize::from(hit));
                }
                Err(_) => refused.set(refused.get() + 1),
            }
            // Type rules among the types this test knows: only Wildcard
            // parents take a Cidr child, and a Cidr parent takes only
            // Exact/OneOf children (decided by matching, checked above).
            let known_infinite = matches!(
                other,
                Constraint::Range(_)
                    | Constraint::Pattern(_)
                    | Constraint::Subpath(_)
                    | Constraint::Unknown(_)
            );
            if known_infinite {
                prop_assert!(p.narrows_to(&ch).is_err());
            }
            if matches!(other, Constraint::Wildcard(_)) {
                prop_assert_eq!(p.narrows_to(&ch).is_ok(), !cidr_parent);
            }
            Ok(())
        })
        .unwrap();
    assert!(
        accepted.get() > 20 && exercised.get() > 20 && refused.get() > 100,
        "accepted {accepted:?} exercised {exercised:?} refused {refused:?}"
    );
}

#[test]
fn cidr_round_trip() {
    let mut runner = TestRunner::new(Config::with_cases(512));
    let seen_v6 = Cell::new(0usize);
    runner
        .run(&cidr(), |c| {
            let cc = Constraint::from(c.clone());
            let bytes = cc.to_cbor();
            let back = Constraint::from_cbor(&bytes).expect("canonical bytes decode");
            prop_assert_eq!(back.to_cbor(), bytes.clone());
            prop_assert_eq!(&back, &cc);
            prop_assert_eq!(back.type_id(), 10);
            prop_assert_eq!(back.type_name(), "cidr");
            match &back {
                Constraint::Cidr(b) => prop_assert_eq!(b, &c),
                other => return Err(TestCaseError::fail(format!("decoded as {other:?}"))),
            }
            for v in probes_of(&[&c]) {
                prop_assert_eq!(back.matches(&v), cc.matches(&v));
            }
            // Re-building from the text of the networks gives the same set.
            let texts: Vec<String> = c.networks().map(|(a, p)| format!("{a}/{p}")).collect();
            prop_assert_eq!(Cidr::new(&texts).unwrap(), c.clone());
            if c.networks().any(|(a, _)| a.is_ipv6()) {
                seen_v6.set(seen_v6.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert!(seen_v6.get() > 100);
}

/// Wire item of one network as the raw encoder writes it.
fn raw_net(n: Net) -> Vec<u8> {
    let mut b = match n {
        Net::V4(a, _) => a.to_be_bytes().to_vec(),
        Net::V6(a, _) => a.to_be_bytes().to_vec(),
    };
    b.push(match n {
        Net::V4(_, p) | Net::V6(_, p) => p,
    });
    raw::bstr(&b)
}

/// Whether the wire content of a raw network is valid (reference).
fn ref_valid(n: Net) -> bool {
    match n {
        Net::V4(_, p) if p > 32 => false,
        Net::V6(_, p) if p > 128 => false,
        other => other.canon() == other,
    }
}

#[test]
fn cidr_decode_accepts_exactly_canonical_lists() {
    let mut runner = TestRunner::new(Config::with_cases(1024));
    let (ok, bad) = (Cell::new(0usize), Cell::new(0usize));
    // Raw networks: any address, any prefix byte (host bits, too-long
    // prefixes and mapped networks included), in any order.
    let raw_nets = prop::collection::vec(
        prop_oneof![
            4 => net(),
            1 => (prop::sample::select(V4_BASES), 0u8..=40).prop_map(|(a, p)| Net::V4(a, p)),
            1 => (prop::sample::select(V6_BASES), 90u8..=135).prop_map(|(a, p)| Net::V6(a, p)),
        ],
        0..5,
    );
    runner
        .run(&(raw_nets, any::<bool>()), |(nets, sort)| {
            let mut items: Vec<Vec<u8>> = nets.iter().map(|n| raw_net(*n)).collect();
            if sort {
                items.sort();
            }
            let mut bytes = raw::cat(&[&raw::array(2), &raw::uint(10), &raw::array(items.len())]);
            for i in &items {
                bytes.extend(i);
            }
            let sorted_unique = items.windows(2).all(|w| w[0] < w[1]);
            let want = !nets.is_empty() && sorted_unique && nets.iter().all(|n| ref_valid(*n));
            let got = Constraint::from_cbor(&bytes);
            prop_assert_eq!(got.is_ok(), want, "{:?}: {:?}", nets, got);
            if let Ok(c) = got {
                prop_assert_eq!(c.to_cbor(), bytes);
                ok.set(ok.get() + 1);
            } else {
                bad.set(bad.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    assert!(ok.get() > 100 && bad.get() > 100, "{ok:?} {bad:?}");
}

#[test]
fn cidr_decode_never_panics_on_mutations() {
    let mut runner = TestRunner::new(Config::with_cases(512));
    let (ok, bad) = (Cell::new(0usize), Cell::new(0usize));
    let strat = (
        cidr(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        any::<prop::sample::Index>(),
        0u8..3,
    );
    runner
        .run(&strat, |(c, flips, cut, mode)| {
            let mut b = Constraint::from(c).to_cbor();
            match mode {
                0 => {
                    for (i, x) in &flips {
                        let i = i.index(b.len());
                        b[i] ^= x;
                    }
                }
                1 => b.truncate(cut.index(b.len())),
                _ => {
                    let i = cut.index(b.len() + 1);
                    b.insert(i, flips[0].1);
                }
            }
            match Constraint::from_cbor(&b) {
                // Whatever decodes is canonical: it re-encodes identically.
                Ok(d) => {
                    prop_assert_eq!(d.to_cbor(), b);
                    ok.set(ok.get() + 1);
                }
                Err(e) => {
                    prop_assert!(!e.code().is_empty());
                    bad.set(bad.get() + 1);
                }
            }
            Ok(())
        })
        .unwrap();
    assert!(ok.get() > 5 && bad.get() > 100, "{ok:?} {bad:?}");
}

// ---------------------------------------------------------------------
// Named escalation stories
// ---------------------------------------------------------------------

fn cidr_c(nets: &[&str]) -> Constraint {
    Cidr::new(nets).unwrap().into()
}

#[test]
fn escalation_child_network_wider_than_parent() {
    let p = cidr_c(&["10.0.0.0/8"]);
    for wider in ["10.0.0.0/7", "8.0.0.0/6", "0.0.0.0/0", "0.0.0.0/1"] {
        assert!(p.narrows_to(&cidr_c(&[wider])).is_err(), "{wider}");
    }
    let p6 = cidr_c(&["2001:db8::/32"]);
    for wider in ["2001:db8::/31", "2000::/3", "::/0"] {
        assert!(p6.narrows_to(&cidr_c(&[wider])).is_err(), "{wider}");
    }
    // One wide network hidden among narrow ones.
    assert!(p
        .narrows_to(&cidr_c(&["10.1.0.0/16", "10.2.0.0/16", "0.0.0.0/0"]))
        .is_err());
    // Controls.
    assert!(p.narrows_to(&cidr_c(&["10.0.0.0/8"])).is_ok());
    assert!(p.narrows_to(&cidr_c(&["10.255.255.255/32"])).is_ok());
    assert!(p6.narrows_to(&cidr_c(&["2001:db8:ffff::/48"])).is_ok());
}

#[test]
fn escalation_sibling_network_with_shared_text_prefix() {
    // `10.0.0.0/8` and `100.0.0.0/8` share a text prefix; `10.0.0.0/24` and
    // `10.0.1.0/24` are adjacent.
    assert!(cidr_c(&["10.0.0.0/8"])
        .narrows_to(&cidr_c(&["100.0.0.0/8"]))
        .is_err());
    assert!(cidr_c(&["10.0.0.0/24"])
        .narrows_to(&cidr_c(&["10.0.1.0/24"]))
        .is_err());
    assert!(!cidr_c(&["10.0.0.0/24"]).matches(&Value::from("10.0.1.0")));
    assert!(!cidr_c(&["10.0.0.0/8"]).matches(&Value::from("100.0.0.1")));
}

#[test]
fn escalation_legacy_ipv4_spellings_never_match() {
    // inet_aton reads `010.0.0.1` as 8.0.0.1, `10.1` as 10.0.0.1 and
    // `167772161` as 10.0.0.1: a downstream tool could reach a host other
    // than the one checked, so these spellings never match anything.
    let everything = cidr_c(&["0.0.0.0/0", "::/0"]);
    for s in [
        "010.0.0.1",
        "10.1",
        "10.0.1",
        "167772161",
        "0x0a000001",
        "0x0a.0.0.1",
        "::ffff:010.0.0.1",
        "10.0.0.1.",
        "10.0.0.1\n",
        "fe80::1%eth0",
    ] {
        assert!(!everything.matches(&Value::from(s)), "{s}");
        assert!(everything
            .narrows_to(&Exact::new(s).unwrap().into())
            .is_err());
    }
    assert!(everything.matches(&Value::from("10.0.0.1")));
}

#[test]
fn escalation_ipv4_mapped_address_is_the_ipv4_host() {
    // A v6-only parent does not let a child reach IPv4 hosts through the
    // mapped spelling, and an IPv4 parent is not bypassed by it either.
    let v6 = cidr_c(&["::/0"]);
    assert!(!v6.matches(&Value::from("::ffff:127.0.0.1")));
    assert!(v6
        .narrows_to(&Exact::new("::ffff:127.0.0.1").unwrap().into())
        .is_err());
    assert!(v6.narrows_to(&cidr_c(&["127.0.0.1"])).is_err());
    assert!(Cidr::new(["::ffff:127.0.0.0/104"]).is_err());
    let v4 = cidr_c(&["10.0.0.0/8"]);
    assert!(v4.matches(&Value::from("::ffff:10.0.0.1")));
    assert!(!v4.matches(&Value::from("::ffff:127.0.0.1")));
    let lo = cidr_c(&["192.168.0.0/16"]);
    assert!(!lo.matches(&Value::from("::ffff:127.0.0.1")));
}

#[test]
fn escalation_wider_cidr_refused_by_grant_builder_and_authorizer() {
    let (rk, ag, wk) = (root_key(), agent_key(), worker_key());
    let host = |s: &str| Value::map([("host", s)]);
    let set = |nets: &[&str]| ConstraintSet::new().arg("host", Cidr::new(nets).unwrap());
    let root = Warrant::mint_builder()
        .holder(ag.public_key())
        .id(WarrantId([1; 16]))
        .issued_at(NOW)
        .ttl(secs(600))
        .capability_set("connect", set(&["10.0.0.0/8"]))
        .mint(&rk)
        .unwrap();
    // The builder refuses the wider child.
    let wide = root
        .grant_builder()
        .holder(wk.public_key())
        .id(WarrantId([2; 16]))
        .issued_at(NOW)
        .capability_set("connect", set(&["0.0.0.0/0"]))
        .grant(&ag);
    assert!(
        matches!(wide, Err(BuildError::ConstraintWidens { .. })),
        "{wide:?}"
    );
    // A narrower child is granted and enforced.
    let narrow = root
        .grant_builder()
        .holder(wk.public_key())
        .id(WarrantId([2; 16]))
        .issued_at(NOW)
        .capability_set("connect", set(&["10.1.0.0/16"]))
        .grant(&ag)
        .unwrap();
    let az = authorizer();
    let chain = Chain::root(root.clone()).push(narrow).unwrap();
    call(&az, &chain, &wk, "connect", &host("10.1.2.3")).expect("inside the child network");
    denied(call(&az, &chain, &wk, "connect", &host("10.2.0.1")));
    denied(call(&az, &chain, &wk, "connect", &host("11.0.0.1")));
    // A hand-signed wider child gains nothing: every link is evaluated.
    let mut p = child_payload(&root, wk.public_key(), WarrantId([3; 16]));
    p.tools.insert("connect".into(), set(&["0.0.0.0/0"]));
    let bad = Warrant::sign_payload(p, &ag).unwrap();
    let chain = Chain::root(root).push(bad).unwrap();
    call(&az, &chain, &wk, "connect", &host("10.9.9.9")).expect("inside both");
    denied(call(&az, &chain, &wk, "connect", &host("11.0.0.1")));
    denied(call(&az, &chain, &wk, "connect", &host("::ffff:11.0.0.1")));
}

#[test]
fn cidr_too_many_networks_refused() {
    let many: Vec<String> = (0..=MAX_CIDR_NETWORKS)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
        .collect();
    assert!(Cidr::new(&many).is_err());
    assert!(Cidr::new(&many[..MAX_CIDR_NETWORKS]).is_ok());
}

/// The encodings quoted in `docs/spec-parts/cidr.md` (produced by this
/// test, asserted so they cannot drift).
#[test]
fn cidr_spec_examples() {
    let cases: &[(&[&str], &str)] = &[
        (&["10.0.0.0/8"], "820a81450a00000008"),
        (
            &["2001:db8::/32", "192.168.0.0/16", "10.0.0.0/8"],
            "820a83450a0000000845c0a80000105120010db800000000000000000000000020",
        ),
        (&["::1"], "820a81510000000000000000000000000000000180"),
        (
            &["0.0.0.0/0", "::/0"],
            "820a82450000000000510000000000000000000000000000000000",
        ),
    ];
    for (nets, want) in cases {
        let c = cidr_c(nets);
        let got = hex::encode(c.to_cbor());
        println!("{nets:?} => {got}");
        assert_eq!(&got, want, "{nets:?}");
        assert_eq!(
            Constraint::from_cbor(&hex::decode(want).unwrap()).unwrap(),
            c
        );
    }
}

/// The matrix row and column of `docs/spec-parts/cidr.md`, against one
/// constraint of every type.
#[test]
fn cidr_matrix_row_and_column() {
    use warrants::constraint::{
        All, Any, Contains, Not, NotOneOf, Pattern, Range, Regex, Subpath, Subset, UrlPattern,
        UrlSafe, Wildcard,
    };
    let p = cidr_c(&["10.0.0.0/8"]);
    let refused_children: Vec<Constraint> = vec![
        Wildcard::new().into(),
        Range::between(0, 10).unwrap().into(),
        Pattern::new("10.*").unwrap().into(),
        Subpath::new("/").unwrap().into(),
        NotOneOf::new(["11.0.0.1"]).unwrap().into(),
        Regex::new("10\\.0\\.0\\.1").unwrap().into(),
        UrlSafe::new().into(),
        UrlPattern::new(["https"], "example.com", None, None)
            .unwrap()
            .into(),
        Contains::new(["10.0.0.1"]).unwrap().into(),
        Subset::new(["10.0.0.1"]).unwrap().into(),
        Not::new(cidr_c(&["11.0.0.0/8"])).unwrap().into(),
        strat::unknown_constraint(),
    ];
    for c in &refused_children {
        assert!(p.narrows_to(c).is_err(), "cidr -> {c:?}");
        // ...and a Cidr child under each of these parents is refused,
        // except under Wildcard and the finite Not below.
        let want_ok = matches!(c, Constraint::Wildcard(_));
        assert_eq!(c.narrows_to(&p).is_ok(), want_ok, "{c:?} -> cidr");
    }
    for finite in [
        Constraint::from(Exact::new("10.0.0.1").unwrap()),
        OneOf::new(["10.0.0.1", "10.0.0.2"]).unwrap().into(),
    ] {
        assert!(p.narrows_to(&finite).is_ok());
        assert!(finite.narrows_to(&p).is_err());
    }
    let inner = cidr_c(&["10.1.0.0/16"]);
    let outside = cidr_c(&["11.0.0.0/8"]);
    // Combinator children: All (R5: some part inside), Any (R1: all inside).
    assert!(p
        .narrows_to(&All::new([inner.clone(), outside.clone()]).unwrap().into())
        .is_ok());
    assert!(p
        .narrows_to(&All::new([outside.clone()]).unwrap().into())
        .is_err());
    assert!(p
        .narrows_to(&Any::new([inner.clone()]).unwrap().into())
        .is_ok());
    assert!(p
        .narrows_to(&Any::new([inner.clone(), outside.clone()]).unwrap().into())
        .is_err());
    // Combinator parents: All (R2), Any (R3), finite Not (R6).
    let all: Constraint = All::new([p.clone(), cidr_c(&["10.0.0.0/12"])])
        .unwrap()
        .into();
    assert!(all.narrows_to(&inner).is_ok());
    assert!(all.narrows_to(&cidr_c(&["10.16.0.0/16"])).is_err());
    assert!(all.narrows_to(&cidr_c(&["10.0.0.0/11"])).is_err());
    let any: Constraint = Any::new([outside.clone(), p.clone()]).unwrap().into();
    assert!(any.narrows_to(&inner).is_ok());
    assert!(any.narrows_to(&cidr_c(&["0.0.0.0/0"])).is_err());
    let not_finite: Constraint = Not::new(OneOf::new(["11.0.0.1", "x"]).unwrap())
        .unwrap()
        .into();
    assert!(not_finite.narrows_to(&p).is_ok());
    assert!(not_finite.narrows_to(&outside).is_err());
    let not_cidr: Constraint = Not::new(outside.clone()).unwrap().into();
    assert!(not_cidr.narrows_to(&p).is_err());
}
