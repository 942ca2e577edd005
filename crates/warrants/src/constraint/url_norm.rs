//! Shared URL parsing, normalisation and host classification for
//! [`super::UrlSafe`] and [`super::UrlPattern`].
//!
//! A URL argument is first screened lexically (fail closed on anything two
//! URL parsers could read differently), then parsed with the WHATWG parser
//! of the `url` crate, which already folds the IPv4 spellings (decimal
//! `2130706433`, hex `0x7f.1`, octal `0177.0.0.1`, short `127.1`, trailing
//! dot), lowercases and IDNA-maps domains and resolves dot segments. The
//! host a constraint checks is the host a WHATWG client connects to.
//!
//! Screening (any failure: the URL matches nothing):
//! - at most [`MAX_URL_LEN`] bytes; no C0 control, space, DEL or `\`
//!   anywhere (WHATWG silently drops tabs and newlines and reads `\` as `/`);
//! - the text starts with `scheme://`, the scheme is one of
//!   [`NETWORK_SCHEMES`] (case-insensitive), and the authority (up to the
//!   first `/`, `?` or `#`) is non-empty printable ASCII without `@`
//!   (userinfo, the `http://good@evil` trick) and without `%` (percent-encoded
//!   hosts, IPv6 zone ids);
//! - the WHATWG parse succeeds, with no username or password;
//! - a domain host loses one trailing dot; an empty label (`a..b`,
//!   `localhost..`) fails.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::ConstraintError;

/// Longest URL argument considered, in bytes; longer ones never match.
pub const MAX_URL_LEN: usize = 8192;
/// Schemes a URL constraint may name: the WHATWG "special" network schemes,
/// whose hosts are parsed (IPv4 spellings folded, domains normalised).
pub const NETWORK_SCHEMES: [&str; 5] = ["ftp", "http", "https", "ws", "wss"];
/// Longest domain name (without a trailing dot), in bytes.
const MAX_DOMAIN_LEN: usize = 253;
/// Longest label, in bytes.
const MAX_LABEL_LEN: usize = 63;

/// A parsed URL host, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlHost {
    /// A domain name: lowercase ASCII (IDNA applied), no trailing dot.
    Domain(String),
    /// An IPv4 literal (any spelling).
    V4(Ipv4Addr),
    /// An IPv6 literal.
    V6(Ipv6Addr),
}

/// The parts of a screened, parsed URL that constraints look at.
#[derive(Debug, Clone)]
pub(crate) struct ParsedUrl {
    /// Lowercase scheme, one of [`NETWORK_SCHEMES`].
    pub(crate) scheme: String,
    /// The host a client connects to.
    pub(crate) host: UrlHost,
    /// Effective port (explicit, else the scheme default).
    pub(crate) port: Option<u16>,
    /// The WHATWG-normalised path (dot segments resolved, percent-encoded).
    pub(crate) path: String,
}

/// Screen and parse `text` (see the module docs). `None`: matches nothing.
pub(crate) fn parse(text: &str) -> Option<ParsedUrl> {
    if text.len() > MAX_URL_LEN {
        return None;
    }
    if text.bytes().any(|b| b <= 0x20 || b == 0x7f || b == b'\\') {
        return None;
    }
    let (scheme, rest) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if !is_network_scheme(&scheme) {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty()
        || !authority
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'@' && b != b'%')
    {
        return None;
    }
    let url = url::Url::parse(text).ok()?;
    if !url.username().is_empty() || url.password().is_some() || url.scheme() != scheme {
        return None;
    }
    let host = match url.host()? {
        url::Host::Domain(d) => UrlHost::Domain(normalise_domain(d)?),
        url::Host::Ipv4(a) => UrlHost::V4(a),
        url::Host::Ipv6(a) => UrlHost::V6(a),
    };
    Some(ParsedUrl {
        scheme,
        host,
        port: url.port_or_known_default(),
        path: url.path().to_owned(),
    })
}

/// Whether `s` is one of [`NETWORK_SCHEMES`].
pub(crate) fn is_network_scheme(s: &str) -> bool {
    NETWORK_SCHEMES.contains(&s)
}

/// Strip one trailing dot; refuse empty labels and over-long names.
fn normalise_domain(d: &str) -> Option<String> {
    let d = d.strip_suffix('.').unwrap_or(d);
    if d.is_empty() || d.len() > MAX_DOMAIN_LEN {
        return None;
    }
    if d.split('.').any(|l| l.is_empty()) {
        return None;
    }
    Some(d.to_owned())
}

/// Canonical order of texts on the wire: the order of their canonical CBOR
/// encodings, i.e. length first, then bytewise.
pub(crate) fn canonical_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a.as_bytes()).cmp(&(b.len(), b.as_bytes()))
}

/// Validate, sort and de-duplicate a scheme set.
pub(crate) fn scheme_set<I, S>(schemes: I) -> Result<Vec<String>, ConstraintError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<String> = Vec::new();
    for s in schemes {
        let s = s.as_ref().to_ascii_lowercase();
        if !is_network_scheme(&s) {
            return Err(ConstraintError::InvalidValue(
                "scheme must be one of ftp, http, https, ws, wss",
            ));
        }
        out.push(s);
    }
    out.sort_by(|a, b| canonical_cmp(a, b));
    out.dedup();
    if out.is_empty() {
        return Err(ConstraintError::InvalidSet("scheme set is empty"));
    }
    Ok(out)
}

/// Whether every element of `child` is in `parent`.
pub(crate) fn schemes_subset(child: &[String], parent: &[String]) -> bool {
    child.iter().all(|s| parent.contains(s))
}

/// A domain name pattern: an exact name or `*.suffix` (strictly below the
/// suffix, any depth). Always normalised: lowercase LDH (plus `_`) labels,
/// no trailing dot, never an IP literal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DomainPattern {
    /// Exactly this name.
    Exact(String),
    /// Any name ending in `.suffix` (not the suffix itself).
    Suffix(String),
}

/// A host pattern of [`super::UrlPattern`]: a domain pattern or one IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostPattern {
    /// A domain pattern.
    Domain(DomainPattern),
    /// Exactly this IP literal.
    Ip(IpAddr),
}

/// Why a host pattern was refused (a domain list may not hold IP literals).
const ERR_HOST: ConstraintError =
    ConstraintError::InvalidPattern("host must be a domain name, `*.domain` or an ip literal");

/// Parse a domain name (no wildcard) through the WHATWG host parser.
/// `Ok(Err(ip))` for an IP literal.
fn parse_name(s: &str) -> Result<Result<String, IpAddr>, ConstraintError> {
    if s.is_empty() || s.len() > MAX_DOMAIN_LEN + 2 {
        return Err(ERR_HOST);
    }
    if s.starts_with('[') {
        return match url::Host::parse(s) {
            Ok(url::Host::Ipv6(a)) => Ok(Err(IpAddr::V6(a))),
            _ => Err(ERR_HOST),
        };
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(ERR_HOST);
    }
    match url::Host::parse(s) {
        Ok(url::Host::Domain(d)) => {
            let d = normalise_domain(&d).ok_or(ERR_HOST)?;
            if d.split('.').any(|l| l.len() > MAX_LABEL_LEN) {
                return Err(ERR_HOST);
            }
            Ok(Ok(d))
        }
        Ok(url::Host::Ipv4(a)) => Ok(Err(IpAddr::V4(a))),
        _ => Err(ERR_HOST),
    }
}

impl DomainPattern {
    /// Parse `name` or `*.suffix`, normalising case and a trailing dot.
    pub(crate) fn parse(s: &str) -> Result<Self, ConstraintError> {
        match HostPattern::parse(s)? {
            HostPattern::Domain(d) => Ok(d),
            HostPattern::Ip(_) => Err(ConstraintError::InvalidPattern(
                "domain lists hold domain names, not ip literals",
            )),
        }
    }

    /// Parse and require the text to be in canonical (normalised) form.
    pub(crate) fn parse_canonical(s: &str) -> Result<Self, crate::error::DecodeError> {
        let p = Self::parse(s)?;
        if p.to_text() != s {
            return Err(crate::error::DecodeError::NonCanonical(
                "domain pattern not normalised",
            ));
        }
        Ok(p)
    }

    /// Wire text: `name` or `*.suffix`.
    pub(crate) fn to_text(&self) -> String {
        match self {
            Self::Exact(d) => d.clone(),
            Self::Suffix(s) => format!("*.{s}"),
        }
    }

    /// Whether the normalised domain `host` matches.
    pub(crate) fn matches(&self, host: &str) -> bool {
        match self {
            Self::Exact(d) => host == d,
            Self::Suffix(s) => is_strictly_under(host, s),
        }
    }

    /// Whether every name `other` matches, `self` matches.
    pub(crate) fn covers(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Exact(a), Self::Exact(b)) => a == b,
            (Self::Exact(_), Self::Suffix(_)) => false,
            (Self::Suffix(s), Self::Exact(b)) => is_strictly_under(b, s),
            (Self::Suffix(s), Self::Suffix(t)) => t == s || is_strictly_under(t, s),
        }
    }

    /// Whether no name matches both.
    pub(crate) fn disjoint(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Exact(a), Self::Exact(b)) => a != b,
            (Self::Exact(a), Self::Suffix(s)) | (Self::Suffix(s), Self::Exact(a)) => {
                !is_strictly_under(a, s)
            }
            (Self::Suffix(s), Self::Suffix(t)) => {
                s != t && !is_strictly_under(s, t) && !is_strictly_under(t, s)
            }
        }
    }

    /// Whether some name this pattern matches is blocked by
    /// [`blocked_domain`] (so the pattern cannot be proven safe).
    pub(crate) fn may_hit_blocked(&self) -> bool {
        match self {
            Self::Exact(d) => blocked_domain(d),
            Self::Suffix(s) => {
                // Names under `*.s` have at least two labels, so the
                // single-label rule never applies to them.
                BLOCKED_SUFFIXES
                    .iter()
                    .any(|t| s == t || is_strictly_under(s, t) || is_strictly_under(t, s))
                    || BLOCKED_NAMES.iter().any(|n| is_strictly_under(n, s))
            }
        }
    }
}

impl HostPattern {
    /// Parse `name`, `*.suffix`, an IPv4 literal (any WHATWG spelling) or a
    /// bracketed IPv6 literal.
    pub(crate) fn parse(s: &str) -> Result<Self, ConstraintError> {
        if let Some(suffix) = s.strip_prefix("*.") {
            return match parse_name(suffix)? {
                Ok(d) => Ok(Self::Domain(DomainPattern::Suffix(d))),
                Err(_) => Err(ConstraintError::InvalidPattern(
                    "a `*.` suffix must be a domain name",
                )),
            };
        }
        match parse_name(s)? {
            Ok(d) => Ok(Self::Domain(DomainPattern::Exact(d))),
            Err(ip) => Ok(Self::Ip(ip)),
        }
    }

    /// Parse and require the text to be in canonical (normalised) form.
    pub(crate) fn parse_canonical(s: &str) -> Result<Self, crate::error::DecodeError> {
        let p = Self::parse(s)?;
        if p.to_text() != s {
            return Err(crate::error::DecodeError::NonCanonical(
                "host pattern not normalised",
            ));
        }
        Ok(p)
    }

    /// Wire text: `name`, `*.suffix`, dotted IPv4 or `[ipv6]`.
    pub(crate) fn to_text(&self) -> String {
        match self {
            Self::Domain(d) => d.to_text(),
            Self::Ip(IpAddr::V4(a)) => a.to_string(),
            Self::Ip(IpAddr::V6(a)) => format!("[{a}]"),
        }
    }

    /// Whether a parsed host matches.
    pub(crate) fn matches(&self, host: &UrlHost) -> bool {
        match (self, host) {
            (Self::Domain(p), UrlHost::Domain(h)) => p.matches(h),
            (Self::Ip(IpAddr::V4(a)), UrlHost::V4(b)) => a == b,
            (Self::Ip(IpAddr::V6(a)), UrlHost::V6(b)) => a == b,
            _ => false,
        }
    }

    /// Whether every host `other` matches, `self` matches.
    pub(crate) fn covers(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Domain(a), Self::Domain(b)) => a.covers(b),
            (Self::Ip(a), Self::Ip(b)) => a == b,
            _ => false,
        }
    }
}

/// `name` ends with `.suffix` (and is longer than it).
fn is_strictly_under(name: &str, suffix: &str) -> bool {
    name.strip_suffix(suffix)
        .is_some_and(|head| head.len() > 1 && head.ends_with('.'))
}

/// Domain names always refused by `UrlSafe` (besides single-label names).
pub(crate) const BLOCKED_NAMES: [&str; 3] = [
    "metadata.google.internal",
    "metadata.goog",
    "instance-data.ec2.internal",
];

/// Domains refused by `UrlSafe` together with every name below them:
/// loopback (`localhost`, RFC 6761), mDNS (`local`), private-use
/// (`internal`, `home.arpa`, `localdomain`).
pub(crate) const BLOCKED_SUFFIXES: [&str; 5] =
    ["localhost", "local", "internal", "home.arpa", "localdomain"];

/// Whether `UrlSafe` refuses the normalised domain `host` regardless of its
/// lists: single-label names (resolved through search domains: `localhost`,
/// `metadata`, `intranet`), [`BLOCKED_NAMES`] and [`BLOCKED_SUFFIXES`].
pub(crate) fn blocked_domain(host: &str) -> bool {
    !host.contains('.')
        || BLOCKED_NAMES.contains(&host)
        || BLOCKED_SUFFIXES
            .iter()
            .any(|t| host == *t || is_strictly_under(host, t))
}

/// IPv4 ranges `UrlSafe` refuses (address, prefix length).
pub(crate) const BLOCKED_V4: [([u8; 4], u8); 15] = [
    ([0, 0, 0, 0], 8),       // "this network", unspecified
    ([10, 0, 0, 0], 8),      // private (RFC 1918)
    ([100, 64, 0, 0], 10),   // CGNAT (RFC 6598), incl. 100.100.100.200
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local, incl. 169.254.169.254
    ([172, 16, 0, 0], 12),   // private (RFC 1918)
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // TEST-NET-1
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private (RFC 1918)
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // TEST-NET-2
    ([203, 0, 113, 0], 24),  // TEST-NET-3
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, incl. broadcast 255.255.255.255
];

/// IPv6 ranges `UrlSafe` refuses inside global unicast `2000::/3`
/// (everything outside `2000::/3` is refused, except the IPv4-embedding
/// forms, which are judged by their IPv4 address).
pub(crate) const BLOCKED_V6: [(u128, u8); 5] = [
    (0x2001_0000_u128 << 96, 23), // IETF protocol assignments (Teredo, ORCHID, ...)
    (0x2001_0db8_u128 << 96, 32), // documentation
    (0x2002_u128 << 112, 16),     // 6to4 (embeds an IPv4 address)
    (0x3fff_u128 << 112, 20),     // documentation (RFC 9637)
    ((0x2001_u128 << 112) | (0x0002_u128 << 96), 48), // benchmarking (inside 2001::/23 too)
];

fn in_v4(a: u32, net: u32, len: u8) -> bool {
    let shift = 32u32.saturating_sub(u32::from(len));
    a.checked_shr(shift).unwrap_or(0) == net.checked_shr(shift).unwrap_or(0)
}

fn in_v6(a: u128, net: u128, len: u8) -> bool {
    let shift = 128u32.saturating_sub(u32::from(len));
    a.checked_shr(shift).unwrap_or(0) == net.checked_shr(shift).unwrap_or(0)
}

/// Whether `UrlSafe` refuses an IPv4 literal.
pub(crate) fn blocked_v4(a: Ipv4Addr) -> bool {
    let a = u32::from(a);
    BLOCKED_V4
        .iter()
        .any(|(net, len)| in_v4(a, u32::from_be_bytes(*net), *len))
}

/// Whether `UrlSafe` refuses an IPv6 literal. IPv4-mapped (`::ffff:0:0/96`),
/// IPv4-compatible (`::/96`, other than `::` and `::1`), IPv4-translated
/// (`::ffff:0:0:0/96`) and NAT64 (`64:ff9b::/96`) addresses are judged by
/// their embedded IPv4 address; `::`, `::1`, everything outside `2000::/3`
/// (ULA `fc00::/7` incl. `fd00:ec2::254`, link-local, site-local, multicast,
/// discard `100::/64`, local NAT64 `64:ff9b:1::/48`, ...) and
/// [`BLOCKED_V6`] are refused.
pub(crate) fn blocked_v6(a: Ipv6Addr) -> bool {
    let x = u128::from(a);
    if x <= 1 {
        return true; // unspecified, loopback
    }
    let low = Ipv4Addr::from((x & 0xffff_ffff) as u32);
    let embeds_v4 = in_v6(x, 0, 96) // IPv4-compatible
        || in_v6(x, 0xffff << 32, 96) // IPv4-mapped
        || in_v6(x, 0xffff << 48, 96) // IPv4-translated
        || in_v6(x, 0x0064_ff9b << 96, 96); // NAT64 well-known prefix
    if embeds_v4 {
        return blocked_v4(low);
    }
    if !in_v6(x, 0x2000 << 112, 3) {
        return true;
    }
    BLOCKED_V6.iter().any(|(net, len)| in_v6(x, *net, *len))
}

/// Whether `UrlSafe` refuses this host regardless of its lists.
pub(crate) fn blocked_host(h: &UrlHost) -> bool {
    match h {
        UrlHost::Domain(d) => blocked_domain(d),
        UrlHost::V4(a) => blocked_v4(*a),
        UrlHost::V6(a) => blocked_v6(*a),
    }
}

/// Normalise a WHATWG path for glob matching: percent-encoded unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) are decoded, other escapes get
/// uppercase hex. `None` (matches nothing) for an encoded `/`, `\` or NUL
/// (`%2F`, `%5C`, `%00`: a server may decode them into separators) and for
/// a `%` not followed by two hex digits.
pub(crate) fn normalise_path(path: &str) -> Option<String> {
    let b = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hi = hex(*b.get(i + 1)?)?;
            let lo = hex(*b.get(i + 2)?)?;
            let v = hi * 16 + lo;
            if v == b'/' || v == b'\\' || v == 0 {
                return None;
            }
            if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(v));
            } else {
                out.push('%');
                out.push_str(&format!("{v:02X}"));
            }
            i += 3;
        } else {
            out.push(char::from(c));
            i += 1;
        }
    }
    // WHATWG paths of special URLs are ASCII (non-ASCII is percent-encoded).
    if path.is_ascii() {
        Some(out)
    } else {
        None
    }
}

fn hex(c: u8) -> Option<u8> {
    char::from(c)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// Most entries in one domain list.
pub const MAX_DOMAINS: usize = 256;

/// Read an array of texts in strictly increasing canonical order
/// (so unique), at most `max` of them.
pub(crate) fn decode_texts(
    r: &mut crate::cbor::Reader<'_>,
    max: usize,
    what: &'static str,
) -> Result<Vec<String>, crate::error::DecodeError> {
    let len = r.array()?;
    if len > max {
        return Err(crate::error::DecodeError::TooLarge(what));
    }
    r.enter()?;
    let mut out: Vec<String> = Vec::with_capacity(len);
    for _ in 0..len {
        let t = r.text()?;
        if let Some(prev) = out.last() {
            if canonical_cmp(prev, t) != std::cmp::Ordering::Less {
                return Err(crate::error::DecodeError::NonCanonical(
                    "list not sorted and unique",
                ));
            }
        }
        out.push(t.to_owned());
    }
    r.leave();
    Ok(out)
}

/// Write texts as an array (callers keep them in canonical order).
pub(crate) fn encode_texts<'a>(
    w: &mut crate::cbor::Writer,
    items: impl ExactSizeIterator<Item = &'a str>,
) {
    w.array(items.len());
    for t in items {
        w.text(t);
    }
}

/// Decode a scheme set (non-empty, canonical order, known schemes).
pub(crate) fn decode_schemes(
    r: &mut crate::cbor::Reader<'_>,
) -> Result<Vec<String>, crate::error::DecodeError> {
    let s = decode_texts(r, NETWORK_SCHEMES.len(), "scheme set")?;
    if s.is_empty() {
        return Err(crate::error::DecodeError::Malformed("empty scheme set"));
    }
    if !s.iter().all(|x| is_network_scheme(x)) {
        return Err(ConstraintError::InvalidValue(
            "scheme must be one of ftp, http, https, ws, wss",
        )
        .into());
    }
    Ok(s)
}

/// Build a domain list: parse, sort by wire text, de-duplicate, bound.
pub(crate) fn domain_list<I, S>(items: I) -> Result<Vec<DomainPattern>, ConstraintError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut v: Vec<(String, DomainPattern)> = Vec::new();
    for s in items {
        let p = DomainPattern::parse(s.as_ref())?;
        v.push((p.to_text(), p));
    }
    v.sort_by(|a, b| canonical_cmp(&a.0, &b.0));
    v.dedup_by(|a, b| a.0 == b.0);
    if v.len() > MAX_DOMAINS {
        return Err(ConstraintError::InvalidSet("domain list too long"));
    }
    Ok(v.into_iter().map(|(_, p)| p).collect())
}

/// Decode a domain list (canonical order, each entry normalised).
pub(crate) fn decode_domains(
    r: &mut crate::cbor::Reader<'_>,
) -> Result<Vec<DomainPattern>, crate::error::DecodeError> {
    decode_texts(r, MAX_DOMAINS, "domain list")?
        .iter()
        .map(|t| DomainPattern::parse_canonical(t))
        .collect()
}

/// If the next item is `null`, consume it and return true; any other simple
/// value is refused; otherwise leave the reader untouched.
pub(crate) fn take_null(
    r: &mut crate::cbor::Reader<'_>,
) -> Result<bool, crate::error::DecodeError> {
    if r.peek_major()? == crate::cbor::MAJOR_SIMPLE {
        let h = r.head()?;
        return match crate::cbor::simple_from_head(h)? {
            crate::cbor::Simple::Null => Ok(true),
            _ => Err(crate::error::DecodeError::UnexpectedType("list or null")),
        };
    }
    Ok(false)
}
