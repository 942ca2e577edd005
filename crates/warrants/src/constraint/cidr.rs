//! `Cidr`: an IP address inside one of a list of IPv4 or IPv6 networks.
//!
//! A value matches when it is text that parses (strictly, with the
//! standard library's parser: no leading zeros, no shortened or hex IPv4
//! forms, no zone ids, no brackets, no prefix length) as one IP address and
//! that address lies in at least one listed network. An IPv4-mapped IPv6
//! address (`::ffff:a.b.c.d`) is the IPv4 host `a.b.c.d`: it matches IPv4
//! networks only, never IPv6 ones. A network inside the mapped range
//! `::ffff:0:0/96` is refused (write the IPv4 network instead), so every
//! address has exactly one family. Other IPv4 embeddings (IPv4-compatible
//! `::a.b.c.d`, 6to4, NAT64, Teredo) are ordinary IPv6 addresses.
//!
//! Networks are kept in canonical form: host bits zero, sorted in the
//! bytewise order of their wire encodings, no duplicates. The wire form of
//! a network is a byte string of the network address (4 or 16 bytes,
//! network byte order) followed by one prefix-length byte.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Most networks one `Cidr` may list.
pub const MAX_CIDR_NETWORKS: usize = 256;

/// Longest text considered as an address (the longest IPv6 text,
/// `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`, has 45 bytes).
const MAX_ADDR_TEXT: usize = 64;

/// The IPv4-mapped IPv6 range `::ffff:0:0/96`.
const MAPPED: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96);

/// Allows text naming an IP address inside one of a non-empty list of
/// networks (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    nets: Vec<IpNet>,
}

/// Parse an IP address strictly (std's parser, bounded length), mapping
/// IPv4-mapped IPv6 addresses to IPv4.
pub(crate) fn parse_host(text: &str) -> Option<IpAddr> {
    if text.len() > MAX_ADDR_TEXT {
        return None;
    }
    let addr: IpAddr = text.parse().ok()?;
    Some(unmap(addr))
}

/// `::ffff:a.b.c.d` becomes `a.b.c.d`; every other address is unchanged.
fn unmap(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// A prefix length in decimal, without sign or leading zeros.
fn parse_prefix(text: &str) -> Option<u8> {
    let digits_ok = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if digits_ok {
        text.parse().ok()
    } else {
        None
    }
}

/// Check one network: prefix within the family, host bits zero, not in
/// the IPv4-mapped range.
fn check_net(addr: IpAddr, prefix: u8) -> Result<IpNet, ConstraintError> {
    let net = IpNet::new(addr, prefix)
        .map_err(|_| ConstraintError::InvalidValue("cidr prefix length too long"))?;
    if net.trunc() != net {
        return Err(ConstraintError::InvalidValue(
            "cidr network has host bits set",
        ));
    }
    if let IpNet::V6(v6) = net {
        if MAPPED.contains(&v6) {
            return Err(ConstraintError::InvalidValue(
                "cidr network is ipv4-mapped; write the ipv4 network",
            ));
        }
    }
    Ok(net)
}

/// Parse `addr/prefix` or a bare address (a single host).
fn parse_net(text: &str) -> Result<IpNet, ConstraintError> {
    let bad = ConstraintError::InvalidValue("cidr network does not parse");
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(parse_prefix(p).ok_or(bad.clone())?)),
        None => (text, None),
    };
    if addr.len() > MAX_ADDR_TEXT {
        return Err(bad);
    }
    let addr: IpAddr = addr.parse().map_err(|_| bad)?;
    let prefix = prefix.unwrap_or(match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    });
    check_net(addr, prefix)
}

/// Wire content of a network: address bytes then the prefix length.
fn net_bytes(net: &IpNet) -> Vec<u8> {
    let mut b = match net.network() {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    b.push(net.prefix_len());
    b
}

/// Canonical order: the bytewise order of the CBOR byte strings, i.e. by
/// length (IPv4 first) then content.
fn canonical_key(net: &IpNet) -> (usize, Vec<u8>) {
    let b = net_bytes(net);
    (b.len(), b)
}

/// Decode one network's wire content.
fn net_from_bytes(b: &[u8]) -> Result<IpNet, ConstraintError> {
    let bad = ConstraintError::InvalidValue("cidr network must be 5 or 17 bytes");
    let (&prefix, addr) = b.split_last().ok_or(bad.clone())?;
    let addr = if let Ok(a) = <[u8; 4]>::try_from(addr) {
        IpAddr::V4(Ipv4Addr::from(a))
    } else if let Ok(a) = <[u8; 16]>::try_from(addr) {
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        return Err(bad);
    };
    check_net(addr, prefix)
}

impl Cidr {
    /// Addresses inside any of `networks`, each written `addr/prefix`
    /// (`10.0.0.0/8`, `2001:db8::/32`) or as a bare address (a single host,
    /// `/32` or `/128`). Sorts and de-duplicates; refuses (with
    /// [`ConstraintError::InvalidValue`]) text that does not parse, host
    /// bits set (`10.0.0.1/8`), networks inside `::ffff:0:0/96`, and
    /// (with [`ConstraintError::InvalidSet`]) an empty list or more than
    /// [`MAX_CIDR_NETWORKS`] networks.
    pub fn new<S: AsRef<str>>(
        networks: impl IntoIterator<Item = S>,
    ) -> Result<Self, ConstraintError> {
        let mut nets = Vec::new();
        for n in networks {
            nets.push(parse_net(n.as_ref())?);
        }
        Self::from_checked(nets)
    }

    /// Addresses inside any of the `(network address, prefix length)`
    /// pairs; the same rules as [`Cidr::new`].
    pub fn from_networks(
        networks: impl IntoIterator<Item = (IpAddr, u8)>,
    ) -> Result<Self, ConstraintError> {
        let mut nets = Vec::new();
        for (a, p) in networks {
            nets.push(check_net(a, p)?);
        }
        Self::from_checked(nets)
    }

    fn from_checked(mut nets: Vec<IpNet>) -> Result<Self, ConstraintError> {
        nets.sort_by_cached_key(canonical_key);
        nets.dedup();
        if nets.is_empty() {
            return Err(ConstraintError::InvalidSet(
                "cidr needs at least one network",
            ));
        }
        if nets.len() > MAX_CIDR_NETWORKS {
            return Err(ConstraintError::InvalidSet("cidr has too many networks"));
        }
        Ok(Self { nets })
    }

    /// The networks in canonical order, as `(network address, prefix
    /// length)`.
    pub fn networks(&self) -> impl Iterator<Item = (IpAddr, u8)> + '_ {
        self.nets.iter().map(|n| (n.network(), n.prefix_len()))
    }

    /// Whether `addr` lies in one of the networks (an IPv4-mapped IPv6
    /// address counts as its IPv4 address).
    pub fn contains_addr(&self, addr: IpAddr) -> bool {
        let addr = unmap(addr);
        self.nets.iter().any(|n| n.contains(&addr))
    }

    /// Whether `text` parses strictly as an IP address inside one of the
    /// networks.
    pub fn contains_text(&self, text: &str) -> bool {
        parse_host(text).is_some_and(|a| self.nets.iter().any(|n| n.contains(&a)))
    }

    /// Whether the whole network `net` lies inside one listed network.
    fn covers(&self, net: &IpNet) -> bool {
        self.nets.iter().any(|p| match (p, net) {
            (IpNet::V4(p), IpNet::V4(c)) => Ipv4Net::contains(p, c),
            (IpNet::V6(p), IpNet::V6(c)) => Ipv6Net::contains(p, c),
            _ => false,
        })
    }
}

impl Kind for Cidr {
    const TYPE_ID: u64 = 10;
    const NAME: &'static str = "cidr";

    fn matches(&self, value: &Value) -> bool {
        value.as_str().is_some_and(|s| self.contains_text(s))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::Cidr(c) => {
                if c.nets.iter().all(|n| self.covers(n)) {
                    Ok(())
                } else {
                    Err("a cidr network is not inside one parent network")
                }
            }
            _ => Err("cidr only narrows to a cidr, exact or one_of"),
        }
    }

    fn encode_params(&self, w: &mut Writer) {
        w.array(self.nets.len());
        for n in &self.nets {
            w.bytes(&net_bytes(n));
        }
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 1, "cidr takes one list")?;
        let len = r.array()?;
        if len == 0 {
            return Err(DecodeError::Malformed("cidr with no networks"));
        }
        if len > MAX_CIDR_NETWORKS {
            return Err(DecodeError::TooLarge("cidr networks"));
        }
        r.enter()?;
        let mut nets = Vec::with_capacity(len);
        let mut prev: Option<&[u8]> = None;
        for _ in 0..len {
            let start = r.pos();
            let net = net_from_bytes(r.bytes()?)?;
            let item = r.slice(start, r.pos())?;
            if let Some(p) = prev {
                if p >= item {
                    return Err(DecodeError::NonCanonical(
                        "cidr networks not sorted and unique",
                    ));
                }
            }
            prev = Some(item);
            nets.push(net);
        }
        r.leave();
        Ok(Self { nets })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    fn cidr(nets: &[&str]) -> Constraint {
        Cidr::new(nets).unwrap().into()
    }

    fn round_trip(x: &Constraint) -> Vec<u8> {
        let b = x.to_cbor();
        let y = Constraint::from_cbor(&b).unwrap();
        assert_eq!(y.to_cbor(), b, "{x:?}");
        assert_eq!(&y, x);
        b
    }

    #[test]
    fn cidr_v4_boundaries() {
        let c = cidr(&["10.0.0.0/8"]);
        assert!(c.matches(&t("10.0.0.0")));
        assert!(c.matches(&t("10.255.255.255")));
        assert!(c.matches(&t("10.1.2.3")));
        assert!(!c.matches(&t("9.255.255.255")));
        assert!(!c.matches(&t("11.0.0.0")));
        let h = cidr(&["192.168.1.7/32"]);
        assert!(h.matches(&t("192.168.1.7")));
        assert!(!h.matches(&t("192.168.1.6")));
        assert!(!h.matches(&t("192.168.1.8")));
        let all = cidr(&["0.0.0.0/0"]);
        assert!(all.matches(&t("0.0.0.0")));
        assert!(all.matches(&t("255.255.255.255")));
        assert!(!all.matches(&t("::1")));
        assert!(!all.matches(&t("2001:db8::1")));
    }

    #[test]
    fn cidr_v6_boundaries() {
        let c = cidr(&["2001:db8::/32"]);
        assert!(c.matches(&t("2001:db8::")));
        assert!(c.matches(&t("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(c.matches(&t("2001:DB8::1")));
        assert!(c.matches(&t("2001:0db8:0000::1")));
        assert!(!c.matches(&t("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(!c.matches(&t("2001:db9::")));
        let h = cidr(&["::1/128"]);
        assert!(h.matches(&t("::1")));
        assert!(h.matches(&t("0:0:0:0:0:0:0:1")));
        assert!(!h.matches(&t("::")));
        assert!(!h.matches(&t("::2")));
        assert!(!h.matches(&t("127.0.0.1")));
        let all = cidr(&["::/0"]);
        assert!(all.matches(&t("::")));
        assert!(all.matches(&t("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert!(!all.matches(&t("10.0.0.1")));
    }

    #[test]
    fn cidr_ipv4_mapped_is_the_ipv4_host() {
        let v4 = cidr(&["10.0.0.0/8"]);
        assert!(v4.matches(&t("::ffff:10.0.0.1")));
        assert!(v4.matches(&t("::ffff:a00:1")));
        assert!(v4.matches(&t("0:0:0:0:0:ffff:10.255.255.255")));
        assert!(!v4.matches(&t("::ffff:11.0.0.0")));
        // IPv4-compatible (`::a.b.c.d`) and NAT64 are plain IPv6 addresses.
        assert!(!v4.matches(&t("::10.0.0.1")));
        assert!(!v4.matches(&t("64:ff9b::10.0.0.1")));
        // IPv6 networks never match mapped addresses, even ::/0.
        let v6 = cidr(&["::/0"]);
        assert!(!v6.matches(&t("::ffff:10.0.0.1")));
        assert!(v6.matches(&t("::10.0.0.1")));
        // Networks inside the mapped range are refused.
        for bad in ["::ffff:0:0/96", "::ffff:10.0.0.0/104", "::ffff:10.0.0.1"] {
            assert!(
                matches!(Cidr::new([bad]), Err(ConstraintError::InvalidValue(_))),
                "{bad}"
            );
        }
        // Networks containing the mapped range are fine (they just never
        // match mapped addresses).
        assert!(Cidr::new(["::fffe:0:0/95"]).is_ok());
        assert!(!cidr(&["::fffe:0:0/95"]).matches(&t("::ffff:1.2.3.4")));
        assert!(cidr(&["::fffe:0:0/95"]).matches(&t("::fffe:1.2.3.4")));
        let direct = Cidr::new(["10.0.0.0/8"]).unwrap();
        assert!(direct.contains_addr("::ffff:10.1.1.1".parse().unwrap()));
    }

    #[test]
    fn cidr_refuses_ambiguous_and_non_ip_text() {
        let c = cidr(&["0.0.0.0/0", "::/0"]);
        for bad in [
            "010.0.0.1",
            "10.1",
            "10",
            "0x0a.0.0.1",
            "10.0.0.1 ",
            " 10.0.0.1",
            "10.0.0.256",
            "10.0.0.0/8",
            "[::1]",
            "fe80::1%eth0",
            "::ffff:010.0.0.1",
            "1.2.3.4.5",
            "",
            "localhost",
            "::g",
        ] {
            assert!(!c.matches(&t(bad)), "{bad}");
        }
        let long = format!("{}1", "0".repeat(70));
        assert!(!c.matches(&t(&long)));
        assert!(!c.matches(&Value::bytes([10, 0, 0, 1])));
        assert!(!c.matches(&Value::Int(167_772_161)));
        assert!(!c.matches(&Value::Null));
        assert!(!c.matches(&Value::list(["10.0.0.1"])));
        assert!(c.matches(&t("10.0.0.1")));
    }

    #[test]
    fn cidr_construction_rules() {
        for bad in [
            "10.0.0.1/8",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "10.0.0.0/8/8",
            "010.0.0.0/8",
            "10.0/8",
            "2001:db8::1/32",
            "",
            "x",
        ] {
            assert!(
                matches!(Cidr::new([bad]), Err(ConstraintError::InvalidValue(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Cidr::new(Vec::<String>::new()),
            Err(ConstraintError::InvalidSet(_))
        ));
        let many: Vec<String> = (0..=MAX_CIDR_NETWORKS)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        assert!(matches!(
            Cidr::new(&many),
            Err(ConstraintError::InvalidSet(_))
        ));
        assert!(Cidr::new(&many[..MAX_CIDR_NETWORKS]).is_ok());
        // Sorted (IPv4 first), de-duplicated; bare addresses are hosts.
        let c = Cidr::new(["::1", "10.0.0.0/8", "10.0.0.0/8", "9.0.0.0/8", "0.0.0.0/0"]).unwrap();
        let nets: Vec<(IpAddr, u8)> = c.networks().collect();
        let want: Vec<(IpAddr, u8)> = vec![
            ("0.0.0.0".parse().unwrap(), 0),
            ("9.0.0.0".parse().unwrap(), 8),
            ("10.0.0.0".parse().unwrap(), 8),
            ("::1".parse().unwrap(), 128),
        ];
        assert_eq!(nets, want);
        assert_eq!(
            Cidr::from_networks(want.clone()).unwrap(),
            c,
            "typed constructor agrees"
        );
        assert!(Cidr::from_networks([("10.0.0.1".parse().unwrap(), 8)]).is_err());
        round_trip(&c.into());
    }

    #[test]
    fn cidr_wire_form() {
        // [10, [h'0a00000008']]
        let b = round_trip(&cidr(&["10.0.0.0/8"]));
        assert_eq!(b, [0x82, 0x0a, 0x81, 0x45, 10, 0, 0, 0, 8]);
        let both = round_trip(&cidr(&["2001:db8::/32", "192.168.0.0/16"]));
        let mut want = vec![0x82, 0x0a, 0x82, 0x45, 192, 168, 0, 0, 16, 0x51];
        want.extend([0x20, 0x01, 0x0d, 0xb8]);
        want.extend([0; 12]);
        want.push(32);
        assert_eq!(both, want);
    }

    fn dec(b: &[u8]) -> Result<Constraint, DecodeError> {
        Constraint::from_cbor(b)
    }

    #[test]
    fn cidr_decode_refuses_non_canonical_and_invalid() {
        assert!(dec(&[0x82, 0x0a, 0x81, 0x45, 10, 0, 0, 0, 8]).is_ok());
        // Host bits set, prefix too long, wrong length, mapped network.
        assert!(matches!(
            dec(&[0x82, 0x0a, 0x81, 0x45, 10, 0, 0, 1, 8]),
            Err(DecodeError::Constraint(ConstraintError::InvalidValue(_)))
        ));
        assert!(dec(&[0x82, 0x0a, 0x81, 0x45, 10, 0, 0, 0, 33]).is_err());
        assert!(dec(&[0x82, 0x0a, 0x81, 0x44, 10, 0, 0, 0]).is_err());
        assert!(dec(&[0x82, 0x0a, 0x81, 0x46, 10, 0, 0, 0, 0, 8]).is_err());
        let mut mapped = vec![0x82, 0x0a, 0x81, 0x51];
        mapped.extend([0; 10]);
        mapped.extend([0xff, 0xff, 10, 0, 0, 0, 104]);
        assert!(dec(&mapped).is_err());
        let mut v6ok = vec![0x82, 0x0a, 0x81, 0x51];
        v6ok.extend([0; 16]);
        v6ok.push(0);
        assert!(dec(&v6ok).is_ok());
        let mut v6bad = v6ok.clone();
        v6bad[20] = 129;
        assert!(dec(&v6bad).is_err());
        // Unsorted and duplicate lists.
        let unsorted = [0x82, 0x0a, 0x82, 0x45, 11, 0, 0, 0, 8, 0x45, 10, 0, 0, 0, 8];
        assert!(matches!(dec(&unsorted), Err(DecodeError::NonCanonical(_))));
        let dup = [0x82, 0x0a, 0x82, 0x45, 10, 0, 0, 0, 8, 0x45, 10, 0, 0, 0, 8];
        assert!(matches!(dec(&dup), Err(DecodeError::NonCanonical(_))));
        let sorted = [0x82, 0x0a, 0x82, 0x45, 10, 0, 0, 0, 8, 0x45, 11, 0, 0, 0, 8];
        assert!(dec(&sorted).is_ok());
        // Same address, shorter prefix first (bytewise order).
        let by_prefix = [
            0x82, 0x0a, 0x82, 0x45, 10, 0, 0, 0, 16, 0x45, 10, 0, 0, 0, 8,
        ];
        assert!(dec(&by_prefix).is_err());
        // IPv6 before IPv4 is unsorted.
        let mut v6_first = vec![0x82, 0x0a, 0x82, 0x51];
        v6_first.extend([0; 17]);
        v6_first.extend([0x45, 10, 0, 0, 0, 8]);
        assert!(matches!(dec(&v6_first), Err(DecodeError::NonCanonical(_))));
        // Empty list, text networks, wrong param counts, not a list.
        assert!(dec(&[0x82, 0x0a, 0x80]).is_err());
        let text = b"\x82\x0a\x81\x6a10.0.0.0/8";
        assert!(dec(text).is_err());
        assert!(dec(&[0x81, 0x0a]).is_err());
        assert!(dec(&[0x83, 0x0a, 0x81, 0x45, 10, 0, 0, 0, 8, 0x80]).is_err());
        assert!(dec(&[0x82, 0x0a, 0x45, 10, 0, 0, 0, 8]).is_err());
        // Too many networks.
        let mut big = vec![0x82, 0x0a, 0x99, 0x01, 0x01];
        for i in 0..=MAX_CIDR_NETWORKS {
            big.extend([0x45, 10, 0, (i / 256) as u8, (i % 256) as u8, 32]);
        }
        assert!(matches!(dec(&big), Err(DecodeError::TooLarge(_))));
    }

    #[test]
    fn cidr_attenuation() {
        let p = cidr(&["10.0.0.0/8", "2001:db8::/32"]);
        assert!(p.narrows_to(&p.clone()).is_ok());
        assert!(p.narrows_to(&cidr(&["10.1.0.0/16"])).is_ok());
        assert!(p.narrows_to(&cidr(&["10.255.255.255"])).is_ok());
        assert!(p.narrows_to(&cidr(&["10.0.0.0/8"])).is_ok());
        assert!(p
            .narrows_to(&cidr(&["2001:db8:1::/48", "10.2.0.0/15"]))
            .is_ok());
        // Escalation: the child network is wider than the parent's.
        assert!(p.narrows_to(&cidr(&["10.0.0.0/7"])).is_err());
        assert!(p.narrows_to(&cidr(&["0.0.0.0/0"])).is_err());
        assert!(p.narrows_to(&cidr(&["2001:db8::/31"])).is_err());
        assert!(p.narrows_to(&cidr(&["::/0"])).is_err());
        // One network outside spoils the child.
        assert!(p
            .narrows_to(&cidr(&["10.1.0.0/16", "11.0.0.0/16"]))
            .is_err());
        // Adjacent, not inside.
        assert!(p.narrows_to(&cidr(&["11.0.0.0/8"])).is_err());
        // Families never cross (mapped addresses are IPv4 hosts).
        let v6all = cidr(&["::/0"]);
        assert!(v6all.narrows_to(&cidr(&["10.0.0.0/8"])).is_err());
        assert!(cidr(&["0.0.0.0/0"]).narrows_to(&cidr(&["::/0"])).is_err());
        // Only covered by the union of two parent networks: refused (sound,
        // incomplete; list the child split instead).
        let halves = cidr(&["10.0.0.0/9", "10.128.0.0/9"]);
        assert!(halves.narrows_to(&cidr(&["10.0.0.0/8"])).is_err());
        assert!(halves
            .narrows_to(&cidr(&["10.0.0.0/9", "10.128.0.0/9"]))
            .is_ok());
        // Finite children via the shared rule.
        assert!(p
            .narrows_to(&Exact::new("10.9.9.9").unwrap().into())
            .is_ok());
        assert!(p
            .narrows_to(&Exact::new("::ffff:10.9.9.9").unwrap().into())
            .is_ok());
        assert!(p
            .narrows_to(&Exact::new("11.0.0.0").unwrap().into())
            .is_err());
        assert!(p
            .narrows_to(&Exact::new("010.0.0.1").unwrap().into())
            .is_err());
        assert!(p
            .narrows_to(&Exact::new(Value::bytes([10, 0, 0, 1])).unwrap().into())
            .is_err());
        assert!(p
            .narrows_to(&OneOf::new(["10.0.0.1", "2001:db8::5"]).unwrap().into())
            .is_ok());
        assert!(p
            .narrows_to(&OneOf::new(["10.0.0.1", "12.0.0.1"]).unwrap().into())
            .is_err());
        // Everything else is refused.
        for other in [
            Constraint::from(Wildcard::new()),
            Pattern::new("10.*").unwrap().into(),
            Subpath::new("/").unwrap().into(),
            Range::at_most(3).unwrap().into(),
        ] {
            assert!(p.narrows_to(&other).is_err(), "{other:?}");
        }
        // A cidr child under other parents.
        let child = cidr(&["10.0.0.1"]);
        assert!(Constraint::from(Wildcard::new()).narrows_to(&child).is_ok());
        assert!(Constraint::from(Exact::new("10.0.0.1").unwrap())
            .narrows_to(&child)
            .is_err());
        assert!(Constraint::from(OneOf::new(["10.0.0.1"]).unwrap())
            .narrows_to(&child)
            .is_err());
        assert!(Constraint::from(Pattern::new("**").unwrap())
            .narrows_to(&child)
            .is_err());
    }

    use super::super::{Exact, OneOf, Pattern, Range, Subpath, Wildcard};
}
