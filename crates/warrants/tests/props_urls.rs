//! Property tests for `UrlSafe` (type 8) and `UrlPattern` (type 9):
//! (a) attenuation soundness — `parent.narrows_to(child).is_ok() &&
//! child.matches(v) ⇒ parent.matches(v)` for UrlSafe → UrlSafe,
//! UrlSafe → UrlPattern, UrlPattern → UrlPattern and finite children, with
//! narrowing-biased children and URL values built from the same small
//! label pools (so hosts hit list entries, suffix edges and blocked names);
//! (b) IPv4 spellings (dotted, decimal, hex, octal, short, trailing dot,
//! IPv4-mapped IPv6) never change the UrlSafe verdict, and the verdict
//! agrees with an independent CIDR table at range boundaries;
//! (c) canonical round trips; (d) decoding mutated bytes never panics and
//! anything that decodes re-encodes to the same bytes.
//! Counters make sure each implication is actually exercised.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::cell::Cell;
use std::net::Ipv4Addr;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use warrants::constraint::{Exact, OneOf, UrlPattern, UrlSafe};
use warrants::{Constraint, Value};

const CASES: u32 = 2048;

const LABELS: [&str; 12] = [
    "a",
    "api",
    "example",
    "com",
    "evil",
    "localhost",
    "internal",
    "metadata",
    "google",
    "goog",
    "local",
    "x",
];
const SCHEMES: [&str; 5] = ["ftp", "http", "https", "ws", "wss"];
const PATHS: [&str; 10] = [
    "/",
    "/api",
    "/api/",
    "/api/v1",
    "/api/v1/x",
    "/api/../admin",
    "/api/%2e%2e/admin",
    "/api/x%2fy",
    "/%61pi/v1",
    "/a/b/c",
];
const GLOBS: [&str; 7] = [
    "/**",
    "/api/**",
    "/api/*",
    "/api/v1",
    "/*",
    "/a/**",
    "/api/v1/**",
];
const IP_HOSTS: [&str; 12] = [
    "8.8.8.8",
    "127.0.0.1",
    "2130706433",
    "0x7f.1",
    "0177.0.0.1",
    "127.1",
    "10.0.0.1",
    "169.254.169.254",
    "[::ffff:127.0.0.1]",
    "[::1]",
    "[2606:4700::1111]",
    "[fd00:ec2::254]",
];

fn domain() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&LABELS[..]), 1..=3).prop_map(|l| l.join("."))
}

fn domain_pattern() -> impl Strategy<Value = String> {
    (any::<bool>(), domain()).prop_map(|(wild, d)| if wild { format!("*.{d}") } else { d })
}

fn schemes() -> impl Strategy<Value = Vec<&'static str>> {
    prop::sample::subsequence(&SCHEMES[..], 1..=3)
}

fn url_safe() -> impl Strategy<Value = UrlSafe> {
    (
        schemes(),
        prop::option::of(prop::collection::vec(domain_pattern(), 1..=3)),
        prop::collection::vec(domain_pattern(), 0..=3),
    )
        .prop_map(|(s, a, d)| {
            let mut g = UrlSafe::new().schemes(s).unwrap().deny_domains(d).unwrap();
            if let Some(a) = a {
                g = g.allow_domains(a).unwrap();
            }
            g
        })
}

fn host_pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => domain_pattern(),
        1 => prop::sample::select(&IP_HOSTS[..]).prop_map(str::to_owned),
    ]
}

fn url_pattern() -> impl Strategy<Value = UrlPattern> {
    (
        schemes(),
        host_pattern(),
        prop::option::of(prop::sample::select(&[80u16, 443, 8080][..])),
        prop::option::of(prop::sample::select(&GLOBS[..])),
    )
        .prop_map(|(s, h, p, g)| UrlPattern::new(s, &h, p, g).unwrap())
}

/// Specialise a domain pattern text: keep it, put a label in front, or turn
/// a `*.s` into a name below `s`.
fn specialise(p: &str, how: u8) -> String {
    match (p.strip_prefix("*."), how % 3) {
        (_, 0) => p.to_owned(),
        (Some(s), 1) => format!("a.{s}"),
        (Some(s), _) => format!("*.x.{s}"),
        (None, _) => p.to_owned(),
    }
}

/// Generalise a deny entry: keep it, or widen `x.s` to `*.s`.
fn generalise(p: &str, how: u8) -> String {
    if how.is_multiple_of(2) {
        return p.to_owned();
    }
    let bare = p.strip_prefix("*.").unwrap_or(p);
    match bare.split_once('.') {
        Some((_, rest)) => format!("*.{rest}"),
        None => p.to_owned(),
    }
}

/// A child UrlSafe biased towards narrowing `parent`.
fn child_safe(parent: UrlSafe) -> impl Strategy<Value = Constraint> {
    (
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 8),
        prop::collection::vec(domain_pattern(), 0..=2),
        url_safe(),
        0u8..4,
    )
        .prop_map(move |(mask, hows, extra, random, mode)| {
            if mode == 0 {
                return Constraint::from(random);
            }
            let ps = parent.allowed_schemes();
            let mut s: Vec<&str> = ps
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> i & 1 == 1)
                .map(|(_, x)| x.as_str())
                .collect();
            if s.is_empty() {
                s.push(ps[0].as_str());
            }
            if mode == 3 {
                s.push(SCHEMES[(mask >> 8) as usize % SCHEMES.len()]);
            }
            let mut deny: Vec<String> = parent
                .denied_domains()
                .iter()
                .enumerate()
                .filter(|(i, _)| mode != 2 || mask >> (16 + i) & 1 == 1)
                .map(|(i, d)| generalise(d, hows[i % hows.len()]))
                .collect();
            deny.extend(extra.clone());
            let mut g = UrlSafe::new()
                .schemes(s)
                .unwrap()
                .deny_domains(deny)
                .unwrap();
            let allow: Option<Vec<String>> = match parent.allowed_domains() {
                Some(a) => Some(
                    a.iter()
                        .enumerate()
                        .map(|(i, d)| specialise(d, hows[i % hows.len()]))
                        .collect(),
                ),
                None if mask >> 40 & 1 == 1 => Some(extra),
                None => None,
            };
            if let Some(a) = allow.filter(|a| !a.is_empty()) {
                g = g.allow_domains(a).unwrap();
            }
            Constraint::from(g)
        })
}

/// A child UrlPattern biased towards narrowing a UrlSafe or UrlPattern
/// parent: hosts drawn from the parent's allow-list or host.
fn child_pattern(
    hosts: Vec<String>,
    parent_schemes: Vec<String>,
) -> impl Strategy<Value = Constraint> {
    (
        url_pattern(),
        any::<u64>(),
        any::<u8>(),
        prop::option::of(prop::sample::select(&[80u16, 443, 8080][..])),
        prop::option::of(prop::sample::select(&GLOBS[..])),
        0u8..3,
    )
        .prop_map(move |(random, mask, how, port, glob, mode)| {
            if mode == 0 || hosts.is_empty() {
                return Constraint::from(random);
            }
            let h = specialise(&hosts[(mask as usize) % hosts.len()], how);
            let mut s: Vec<&str> = parent_schemes
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> (8 + i) & 1 == 1)
                .map(|(_, x)| x.as_str())
                .collect();
            if s.is_empty() {
                s.push(parent_schemes[0].as_str());
            }
            Constraint::from(UrlPattern::new(s, &h, port, glob).unwrap())
        })
}

/// A URL text from the same pools, with the usual tricks mixed in.
fn url() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        5 => domain(),
        1 => domain().prop_map(|d| format!("{d}.")),
        1 => domain().prop_map(|d| d.to_uppercase()),
        2 => prop::sample::select(&IP_HOSTS[..]).prop_map(str::to_owned),
    ];
    (
        prop::sample::select(
            &[
                "http", "https", "HTTPS", "ftp", "ws", "wss", "file", "gopher",
            ][..],
        ),
        host,
        prop::option::of(prop::sample::select(&[80u16, 443, 8080][..])),
        prop::sample::select(&PATHS[..]),
        0u8..12,
    )
        .prop_map(|(s, h, port, path, trick)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            match trick {
                0 => format!("{s}://user@{h}{port}{path}"),
                1 => format!("{s}://{h}{port}\\@example.com{path}"),
                2 => format!("{s}:{h}{port}{path}"),
                3 => format!("{s}://{h}{port}{path}?q=1#f"),
                _ => format!("{s}://{h}{port}{path}"),
            }
        })
}

fn probes() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(url(), 12)
}

/// Hosts, schemes, port suffixes and paths named by a URL constraint (to
/// aim probes at it).
fn seeds(c: &Constraint) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    match c {
        Constraint::UrlSafe(g) => {
            let mut h = g.allowed_domains().unwrap_or_default();
            h.extend(g.denied_domains());
            (h, g.allowed_schemes().to_vec(), Vec::new(), Vec::new())
        }
        Constraint::UrlPattern(p) => {
            let ports = p.port().map(|n| format!(":{n}")).into_iter().collect();
            let paths = p
                .path()
                .map(|g| g.replace("**", "v1/x").replace('*', "v1"))
                .into_iter()
                .collect();
            (vec![p.host()], p.schemes().to_vec(), ports, paths)
        }
        _ => Default::default(),
    }
}

/// Probes aimed at the hosts, schemes, ports and paths of `p` and `c`
/// (names at and below each entry, trailing dots, upper case), plus
/// random URLs.
fn aimed(p: &Constraint, c: &Constraint) -> impl Strategy<Value = Vec<String>> {
    let (mut hosts, mut schemes, mut ports, mut paths) = seeds(c);
    let (h2, s2, p2, q2) = seeds(p);
    hosts.extend(h2);
    schemes.extend(s2);
    ports.extend(p2);
    paths.extend(q2);
    hosts.push("example.com".into());
    schemes.push("https".into());
    ports.extend(["".into(), ".".into()]);
    paths.extend(PATHS.iter().map(|s| s.to_string()));
    let one = (
        prop::sample::select(hosts),
        prop::sample::select(schemes),
        prop::sample::select(&["", "a.", "x.y.", "A."][..]),
        prop::sample::select(ports),
        prop::sample::select(paths),
    )
        .prop_map(|(h, s, pre, post, path)| {
            let h = match h.strip_prefix("*.") {
                Some(rest) => format!("{}{rest}", if pre.is_empty() { "b." } else { pre }),
                None => format!("{pre}{h}"),
            };
            let post = if post == "." && h.starts_with('[') {
                ""
            } else {
                &post
            };
            format!("{s}://{h}{post}{path}")
        });
    prop::collection::vec(prop_oneof![6 => one, 1 => url()], 16)
}

/// Run the soundness property for parent/child pairs; return (accepted
/// narrowings, implications exercised with the child matching).
fn soundness<S>(strategy: S) -> (usize, usize)
where
    S: Strategy<Value = (Constraint, Constraint, Vec<String>)>,
{
    let accepted = Cell::new(0usize);
    let exercised = Cell::new(0usize);
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    runner
        .run(&strategy, |(p, c, vs)| {
            if p.narrows_to(&c).is_ok() {
                accepted.set(accepted.get() + 1);
                for v in vs {
                    let v = Value::from(v.as_str());
                    if c.matches(&v) {
                        exercised.set(exercised.get() + 1);
                        prop_assert!(p.matches(&v), "parent {:?} child {:?} value {:?}", p, c, v);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    eprintln!("accepted {} exercised {}", accepted.get(), exercised.get());
    (accepted.get(), exercised.get())
}

/// Add probes aimed at a parent/child pair.
fn with_probes<S>(pairs: S) -> impl Strategy<Value = (Constraint, Constraint, Vec<String>)>
where
    S: Strategy<Value = (Constraint, Constraint)>,
{
    pairs.prop_flat_map(|(p, c)| {
        let probes = aimed(&p, &c);
        (Just(p), Just(c), probes)
    })
}

#[test]
fn soundness_url_safe_to_url_safe() {
    let s = url_safe().prop_flat_map(|p| (Just(Constraint::from(p.clone())), child_safe(p)));
    let (acc, ex) = soundness(with_probes(s));
    assert!(acc > 300, "accepted narrowings: {acc}");
    assert!(ex > 1000, "implications exercised: {ex}");
}

#[test]
fn soundness_url_safe_to_url_pattern() {
    let s = url_safe().prop_flat_map(|p| {
        let hosts = p.allowed_domains().unwrap_or_else(|| {
            vec![
                "*.example.com".into(),
                "api.example.com".into(),
                "*.com".into(),
            ]
        });
        let schemes = p.allowed_schemes().to_vec();
        (Just(Constraint::from(p)), child_pattern(hosts, schemes))
    });
    let (acc, ex) = soundness(with_probes(s));
    assert!(acc > 200, "accepted narrowings: {acc}");
    assert!(ex > 300, "implications exercised: {ex}");
}

#[test]
fn soundness_url_pattern_to_url_pattern() {
    let s = url_pattern().prop_flat_map(|p| {
        let hosts = vec![p.host()];
        let schemes = p.schemes().to_vec();
        (Just(Constraint::from(p)), child_pattern(hosts, schemes))
    });
    let (acc, ex) = soundness(with_probes(s));
    assert!(acc > 200, "accepted narrowings: {acc}");
    assert!(ex > 300, "implications exercised: {ex}");
}

#[test]
fn soundness_finite_children() {
    let parent = prop_oneof![
        url_safe().prop_map(Constraint::from),
        url_pattern().prop_map(Constraint::from),
    ];
    let s = (parent, probes(), probes()).prop_map(|(p, vs, extra)| {
        // Children drawn from the probes the parent matches (accepted) and
        // from arbitrary probes (mostly refused).
        let mut pick: Vec<String> = vs
            .iter()
            .filter(|v| p.matches(&Value::from(v.as_str())))
            .cloned()
            .collect();
        pick.push(extra[0].clone());
        let child = if pick.len() > 1 && extra[1].len().is_multiple_of(2) {
            Constraint::from(OneOf::new(pick[..pick.len() - 1].iter().map(String::as_str)).unwrap())
        } else {
            Constraint::from(Exact::new(pick[0].as_str()).unwrap())
        };
        (p, child, [vs, extra].concat())
    });
    let (acc, ex) = soundness(s);
    assert!(acc > 200, "accepted narrowings: {acc}");
    assert!(ex > 200, "implications exercised: {ex}");
}

// ---------------------------------------------------------------------
// (b) IPv4 spellings and the blocked-range table
// ---------------------------------------------------------------------

const BLOCKED_V4: [&str; 15] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
];

fn reference_blocked(a: Ipv4Addr) -> bool {
    BLOCKED_V4
        .iter()
        .any(|n| n.parse::<ipnet::Ipv4Net>().unwrap().contains(&a))
}

/// Addresses at and around every range boundary, plus random ones.
fn v4() -> impl Strategy<Value = Ipv4Addr> {
    let edges: Vec<u32> = BLOCKED_V4
        .iter()
        .flat_map(|n| {
            let n: ipnet::Ipv4Net = n.parse().unwrap();
            let lo = u32::from(n.network());
            let hi = u32::from(n.broadcast());
            [
                lo.wrapping_sub(1),
                lo,
                lo.wrapping_add(1),
                hi.wrapping_sub(1),
                hi,
                hi.wrapping_add(1),
            ]
        })
        .collect();
    prop_oneof![
        3 => prop::sample::select(edges),
        1 => any::<u32>(),
    ]
    .prop_map(Ipv4Addr::from)
}

#[test]
fn ipv4_spellings_agree_with_reference() {
    let blocked = Cell::new(0usize);
    let open = Cell::new(0usize);
    let g = UrlSafe::new();
    let mut runner = TestRunner::new(Config::with_cases(CASES));
    runner
        .run(&v4(), |a| {
            let [b0, b1, b2, b3] = a.octets();
            let n = u32::from(a);
            let spellings = [
                format!("{a}"),
                format!("{a}."),
                format!("{n}"),
                format!("{n:#x}"),
                format!("{n:#X}"),
                format!("0{n:o}"),
                format!("0{b0:o}.0{b1:o}.0{b2:o}.0{b3:o}"),
                format!("{b0:#x}.{b1:#x}.{b2:#x}.{b3:#x}"),
                format!("{b0}.{}", n & 0x00ff_ffff),
                format!("{b0}.{b1}.{}", n & 0xffff),
                format!("[::ffff:{a}]"),
                format!("[64:ff9b::{a}]"),
            ];
            let want = !reference_blocked(a);
            if want {
                open.set(open.get() + 1);
            } else {
                blocked.set(blocked.get() + 1);
            }
            for s in spellings {
                let u = format!("http://{s}/");
                prop_assert_eq!(g.allows(&u), want, "{} ({})", u, a);
            }
            Ok(())
        })
        .unwrap();
    assert!(
        blocked.get() > 300 && open.get() > 300,
        "{blocked:?} {open:?}"
    );
}

// ---------------------------------------------------------------------
// (c) round trips, (d) mutated bytes
// ---------------------------------------------------------------------

fn any_url_constraint() -> impl Strategy<Value = Constraint> {
    prop_oneof![
        url_safe().prop_map(Constraint::from),
        url_pattern().prop_map(Constraint::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trip(c in any_url_constraint(), vs in probes()) {
        let bytes = c.to_cbor();
        let back = Constraint::from_cbor(&bytes).expect("canonical bytes decode");
        prop_assert_eq!(back.to_cbor(), bytes);
        prop_assert_eq!(&back, &c);
        for v in vs {
            let v = Value::from(v.as_str());
            prop_assert_eq!(back.matches(&v), c.matches(&v));
        }
    }

    #[test]
    fn mutated_bytes_never_panic(
        c in any_url_constraint(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut bytes = c.to_cbor();
        for (i, b, op) in edits {
            let at = i.index(bytes.len());
            match op {
                0 => bytes[at] = b,
                1 => bytes.insert(at, b),
                _ => { bytes.truncate(at); }
            }
            if bytes.is_empty() {
                break;
            }
        }
        if let Ok(d) = Constraint::from_cbor(&bytes) {
            // Whatever decodes is canonical: it re-encodes to the same bytes.
            prop_assert_eq!(d.to_cbor(), bytes);
        }
    }
}
