//! `UrlSafe`: an SSRF guard for URL arguments, decided without DNS.
//!
//! A value matches when it is text that passes the shared screening and
//! WHATWG parse of [`super::url_norm`] (no userinfo, no backslash, no
//! control characters, no percent-encoded host), its scheme is in the
//! allowed set (default `http`, `https`), its host is not blocked, and its
//! host passes the domain lists:
//! - IP literals (every IPv4 spelling the WHATWG parser folds, IPv6, and
//!   IPv4 embedded in IPv6) are refused inside loopback, private (RFC 1918,
//!   ULA), link-local, CGNAT, multicast, unspecified, broadcast,
//!   documentation, benchmarking and other reserved ranges, which cover the
//!   cloud metadata addresses (169.254.169.254, fd00:ec2::254,
//!   100.100.100.200);
//! - domain names are refused when single-label (`localhost`, `metadata`),
//!   under `localhost`, `local`, `internal`, `home.arpa` or `localdomain`,
//!   or one of the metadata names (`metadata.google.internal`,
//!   `metadata.goog`, `instance-data.ec2.internal`);
//! - a domain matching a `deny_domains` entry is refused (deny wins);
//! - when `allow_domains` is set, the host must be a domain matching one
//!   of its entries (so IP literals are refused).
//!
//! There is no DNS: a public name that resolves to an internal address
//! (rebinding, wildcard DNS services) is not detected. Use an allow-list.

use super::url_norm::{self, DomainPattern, HostPattern, UrlHost};
use super::{expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Allows URLs that are safe to fetch from a server (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlSafe {
    schemes: Vec<String>,
    allow: Option<Vec<DomainPattern>>,
    deny: Vec<DomainPattern>,
}

impl Default for UrlSafe {
    fn default() -> Self {
        Self::new()
    }
}

impl UrlSafe {
    /// Schemes `http` and `https`, no allow-list, no deny-list.
    pub fn new() -> Self {
        Self {
            schemes: vec!["http".to_owned(), "https".to_owned()],
            allow: None,
            deny: Vec::new(),
        }
    }

    /// Replace the scheme set. Each scheme is one of
    /// the network schemes (`ftp`, `http`, `https`, `ws`, `wss`,
    /// case-insensitive); the set must not be empty.
    pub fn schemes<I, S>(mut self, schemes: I) -> Result<Self, ConstraintError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.schemes = url_norm::scheme_set(schemes)?;
        Ok(self)
    }

    /// Replace the allow-list: the host must be a domain matching one entry
    /// (`name` exactly, or `*.suffix` for any name strictly below
    /// `suffix`). Entries are normalised (lowercase, IDNA, trailing dot
    /// dropped); IP literals, an empty list and more than
    /// 256 entries are refused.
    pub fn allow_domains<I, S>(mut self, domains: I) -> Result<Self, ConstraintError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let list = url_norm::domain_list(domains)?;
        if list.is_empty() {
            return Err(ConstraintError::InvalidSet("allow-list is empty"));
        }
        self.allow = Some(list);
        Ok(self)
    }

    /// Replace the deny-list (same entry syntax as the allow-list; may be
    /// empty). A host matching an entry is refused even when allowed.
    pub fn deny_domains<I, S>(mut self, domains: I) -> Result<Self, ConstraintError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.deny = url_norm::domain_list(domains)?;
        Ok(self)
    }

    /// The allowed schemes, in canonical order.
    pub fn allowed_schemes(&self) -> &[String] {
        &self.schemes
    }

    /// The allow-list entries (wire text), if any.
    pub fn allowed_domains(&self) -> Option<Vec<String>> {
        self.allow
            .as_ref()
            .map(|l| l.iter().map(DomainPattern::to_text).collect())
    }

    /// The deny-list entries (wire text).
    pub fn denied_domains(&self) -> Vec<String> {
        self.deny.iter().map(DomainPattern::to_text).collect()
    }

    /// Whether `url` passes the guard.
    pub fn allows(&self, url: &str) -> bool {
        let Some(u) = url_norm::parse(url) else {
            return false;
        };
        if !self.schemes.contains(&u.scheme) || url_norm::blocked_host(&u.host) {
            return false;
        }
        match &u.host {
            UrlHost::Domain(h) => {
                !self.deny.iter().any(|d| d.matches(h))
                    && self
                        .allow
                        .as_ref()
                        .is_none_or(|a| a.iter().any(|d| d.matches(h)))
            }
            UrlHost::V4(_) | UrlHost::V6(_) => self.allow.is_none(),
        }
    }

    /// Whether every domain `child_allow`/`child_deny` admits is outside
    /// the parent deny entry `d`.
    fn child_refuses(child: &UrlSafe, d: &DomainPattern) -> bool {
        child.deny.iter().any(|c| c.covers(d))
            || child
                .allow
                .as_ref()
                .is_some_and(|a| a.iter().all(|x| x.disjoint(d)))
    }
}

fn covered(list: &[DomainPattern], p: &DomainPattern) -> bool {
    list.iter().any(|x| x.covers(p))
}

impl Kind for UrlSafe {
    const TYPE_ID: u64 = 8;
    const NAME: &'static str = "url_safe";

    fn matches(&self, value: &Value) -> bool {
        value.as_str().is_some_and(|s| self.allows(s))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::UrlSafe(c) => {
                if !url_norm::schemes_subset(&c.schemes, &self.schemes) {
                    return Err("url_safe child allows a scheme the parent does not");
                }
                if let Some(pa) = &self.allow {
                    let Some(ca) = &c.allow else {
                        return Err("url_safe child drops the parent's allow-list");
                    };
                    if !ca.iter().all(|x| covered(pa, x)) {
                        return Err(
                            "url_safe child allows a domain outside the parent's allow-list",
                        );
                    }
                }
                if !self.deny.iter().all(|d| Self::child_refuses(c, d)) {
                    return Err("url_safe child does not refuse a domain the parent denies");
                }
                Ok(())
            }
            Constraint::UrlPattern(c) => {
                if !url_norm::schemes_subset(c.scheme_list(), &self.schemes) {
                    return Err("url_pattern allows a scheme the parent does not");
                }
                let HostPattern::Domain(h) = c.host_pattern() else {
                    return Err("url_pattern with an ip literal host cannot be proven safe");
                };
                if h.may_hit_blocked() {
                    return Err("url_pattern host may be a blocked name");
                }
                if !self.deny.iter().all(|d| d.disjoint(h)) {
                    return Err("url_pattern host overlaps the parent's deny-list");
                }
                if let Some(pa) = &self.allow {
                    if !covered(pa, h) {
                        return Err("url_pattern host is outside the parent's allow-list");
                    }
                }
                Ok(())
            }
            _ => Err("url_safe only narrows to url_safe, url_pattern, exact or one_of"),
        }
    }

    fn encode_params(&self, w: &mut Writer) {
        url_norm::encode_texts(w, self.schemes.iter().map(String::as_str));
        match &self.allow {
            None => w.null(),
            Some(a) => encode_domains(w, a),
        }
        encode_domains(w, &self.deny);
    }

    fn param_count(&self) -> usize {
        3
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 3, "url_safe takes schemes, allow, deny")?;
        let schemes = url_norm::decode_schemes(r)?;
        let allow = if url_norm::take_null(r)? {
            None
        } else {
            let a = url_norm::decode_domains(r)?;
            if a.is_empty() {
                return Err(DecodeError::Malformed("url_safe allow-list is empty"));
            }
            Some(a)
        };
        let deny = url_norm::decode_domains(r)?;
        Ok(Self {
            schemes,
            allow,
            deny,
        })
    }
}

fn encode_domains(w: &mut Writer, list: &[DomainPattern]) {
    let texts: Vec<String> = list.iter().map(DomainPattern::to_text).collect();
    url_norm::encode_texts(w, texts.iter().map(String::as_str));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraint::UrlPattern;

    fn guard() -> UrlSafe {
        UrlSafe::new()
    }

    fn c<C: Into<Constraint>>(x: C) -> Constraint {
        x.into()
    }

    fn refused(u: &str) {
        assert!(!guard().allows(u), "{u} must be refused");
        assert!(!c(guard()).matches(&Value::from(u)), "{u}");
    }

    #[test]
    fn public_urls_pass() {
        for u in [
            "http://example.com/",
            "https://example.com:8443/a?b#c",
            "HTTPS://Example.COM./x",
            "http://8.8.8.8/",
            "http://[2606:4700::1111]/",
            "http://[::ffff:8.8.8.8]/",
            "http://[64:ff9b::808:808]/",
        ] {
            assert!(guard().allows(u), "{u}");
        }
    }

    #[test]
    fn only_text_matches() {
        let g = c(guard());
        assert!(!g.matches(&Value::Int(1)));
        assert!(!g.matches(&Value::Bytes(b"http://example.com/".to_vec())));
        assert!(!g.matches(&Value::list(["http://example.com/"])));
        assert!(g.matches(&Value::from("http://example.com/")));
    }

    #[test]
    fn non_absolute_or_hostless_refused() {
        for u in [
            "",
            "example.com",
            "//example.com/",
            "/path",
            "http:example.com",
            "http:/example.com",
            "http:///example.com",
            "http://",
            "http://:80/",
            "mailto:a@example.com",
            "file:///etc/passwd",
            "gopher://example.com/",
            "javascript://example.com/%0aalert(1)",
        ] {
            refused(u);
        }
    }

    #[test]
    fn scheme_allow_list() {
        refused("ftp://example.com/");
        refused("ws://example.com/");
        let g = UrlSafe::new().schemes(["https"]).unwrap();
        assert!(g.allows("https://example.com/"));
        assert!(!g.allows("http://example.com/"));
        assert!(UrlSafe::new().schemes(Vec::<&str>::new()).is_err());
        assert!(UrlSafe::new().schemes(["file"]).is_err());
        assert!(UrlSafe::new().schemes(["gopher"]).is_err());
    }

    #[test]
    fn bypass_decimal_ipv4() {
        refused("http://2130706433/");
        refused("http://3232235521/"); // 192.168.0.1
    }

    #[test]
    fn bypass_hex_ipv4() {
        refused("http://0x7f.1/");
        refused("http://0x7f000001/");
        refused("http://0xA9.0xFE.0xA9.0xFE/"); // 169.254.169.254
    }

    #[test]
    fn bypass_octal_ipv4() {
        refused("http://0177.0.0.1/");
        refused("http://017700000001/");
        refused("http://012.0.0.1/"); // 10.0.0.1
    }

    #[test]
    fn bypass_short_ipv4() {
        refused("http://127.1/");
        refused("http://10.1/");
        refused("http://0/");
        refused("http://0x/");
    }

    #[test]
    fn bypass_ipv4_mapped_ipv6() {
        refused("http://[::ffff:127.0.0.1]/");
        refused("http://[::ffff:7f00:1]/");
        refused("http://[::ffff:169.254.169.254]/");
        refused("http://[::ffff:0:10.0.0.1]/"); // IPv4-translated
    }

    #[test]
    fn bypass_ipv4_compatible_ipv6() {
        refused("http://[::127.0.0.1]/");
        refused("http://[::10.0.0.1]/");
    }

    #[test]
    fn bypass_nat64_and_6to4() {
        refused("http://[64:ff9b::7f00:1]/");
        refused("http://[64:ff9b:1::1]/");
        refused("http://[2002:7f00:1::]/");
        refused("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/"); // Teredo
    }

    #[test]
    fn bypass_percent_encoded_host() {
        refused("http://%31%32%37.0.0.1/");
        refused("http://%6c%6f%63%61%6c%68%6f%73%74/");
        refused("http://exa%6dple.com/");
    }

    #[test]
    fn bypass_trailing_dots() {
        refused("http://127.0.0.1./");
        refused("http://localhost./");
        refused("http://localhost../");
        refused("http://metadata.google.internal./");
    }

    #[test]
    fn bypass_userinfo() {
        refused("http://good@evil.example/");
        refused("http://example.com@127.0.0.1/");
        refused("http://user:pass@example.com/");
        refused("http://@example.com/");
        refused("http://a@b@127.0.0.1/");
    }

    #[test]
    fn bypass_backslashes() {
        refused("http://evil.example\\@good.com/");
        refused("http:\\\\127.0.0.1\\");
        refused("http://127.0.0.1\\x");
        refused("http://example.com/a\\b");
    }

    #[test]
    fn bypass_control_characters() {
        refused("http://loc\nalhost/");
        refused("http://127.0.0.1\t/");
        refused("http://exa\0mple.com/");
        refused(" http://example.com/");
        refused("http://example.com/\u{7f}");
    }

    #[test]
    fn bypass_unicode_host_spellings() {
        refused("http://127。0。0。1/");
        refused("http://①②⑦.0.0.1/");
        refused("http://ｌｏｃａｌｈｏｓｔ/");
    }

    #[test]
    fn blocked_ipv4_ranges() {
        for h in [
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            refused(&format!("http://{h}/"));
        }
        // Just outside the blocked ranges.
        for h in [
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "11.0.0.0",
            "9.255.255.255",
            "223.255.255.255",
        ] {
            assert!(guard().allows(&format!("http://{h}/")), "{h}");
        }
    }

    #[test]
    fn blocked_ipv6_ranges() {
        for h in [
            "::",
            "::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "3fff::1",
            "5f00::1",
        ] {
            refused(&format!("http://[{h}]/"));
        }
        assert!(guard().allows("http://[2a00:1450::1]/"));
    }

    #[test]
    fn metadata_hosts() {
        for u in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://METADATA.google.internal/",
            "http://metadata/",
            "http://metadata.goog/",
            "http://100.100.100.200/latest/meta-data/",
            "http://instance-data/",
            "http://instance-data.ec2.internal/",
            "http://169.254.170.2/",
            "http://[::ffff:a9fe:a9fe]/",
        ] {
            refused(u);
        }
    }

    #[test]
    fn localhost_names() {
        refused("http://localhost/");
        refused("http://localhost.");
        refused("http://localhost./");
        refused("http://x.localhost/");
        refused("http://a.b.LOCALHOST/");
        refused("http://printer.local/");
        refused("http://svc.internal/");
        refused("http://router.home.arpa/");
        refused("http://intranet/");
        assert!(guard().allows("http://localhost.example.com/"));
        assert!(guard().allows("http://notlocalhost.com/"));
    }

    #[test]
    fn allow_list() {
        let g = UrlSafe::new()
            .allow_domains(["example.com", "*.api.example.net"])
            .unwrap();
        assert!(g.allows("https://example.com/"));
        assert!(g.allows("https://EXAMPLE.com./"));
        assert!(g.allows("https://v1.api.example.net/"));
        assert!(g.allows("https://a.b.api.example.net/"));
        assert!(!g.allows("https://api.example.net/"));
        assert!(!g.allows("https://www.example.com/"));
        assert!(
            !g.allows("https://8.8.8.8/"),
            "ip literals fail an allow-list"
        );
        assert!(UrlSafe::new().allow_domains(Vec::<&str>::new()).is_err());
        assert!(UrlSafe::new().allow_domains(["10.0.0.1"]).is_err());
        assert!(UrlSafe::new().allow_domains(["*.1.2"]).is_err());
        assert!(UrlSafe::new().allow_domains(["a/b"]).is_err());
        assert!(UrlSafe::new().allow_domains(["*"]).is_err());
        assert!(UrlSafe::new().allow_domains(["a.*.com"]).is_err());
        assert!(UrlSafe::new().allow_domains(["a..com"]).is_err());
    }

    #[test]
    fn deny_wins_over_allow() {
        let g = UrlSafe::new()
            .allow_domains(["*.example.com"])
            .unwrap()
            .deny_domains(["admin.example.com", "*.internal-api.example.com"])
            .unwrap();
        assert!(g.allows("https://www.example.com/"));
        assert!(!g.allows("https://admin.example.com/"));
        assert!(!g.allows("https://ADMIN.example.com./"));
        assert!(!g.allows("https://x.internal-api.example.com/"));
        assert!(g.allows("https://internal-api.example.com/"));
        // Allowed explicitly and denied: deny wins.
        let g = UrlSafe::new()
            .allow_domains(["a.example.com"])
            .unwrap()
            .deny_domains(["a.example.com"])
            .unwrap();
        assert!(!g.allows("https://a.example.com/"));
    }

    #[test]
    fn lists_cannot_unblock() {
        // An allow-list naming a blocked name does not unblock it.
        let g = UrlSafe::new()
            .allow_domains(["localhost", "*.internal", "metadata.goog"])
            .unwrap();
        assert!(!g.allows("http://localhost/"));
        assert!(!g.allows("http://metadata.google.internal/"));
        assert!(!g.allows("http://metadata.goog/"));
    }

    #[test]
    fn narrowing_url_safe() {
        let parent = c(UrlSafe::new()
            .allow_domains(["*.example.com"])
            .unwrap()
            .deny_domains(["admin.example.com"])
            .unwrap());
        let ok = c(UrlSafe::new()
            .schemes(["https"])
            .unwrap()
            .allow_domains(["api.example.com", "*.cdn.example.com"])
            .unwrap()
            .deny_domains(["admin.example.com"])
            .unwrap());
        assert!(parent.narrows_to(&ok).is_ok());
        // A child whose allow-list is disjoint from the deny entry may drop it.
        let disjoint = c(UrlSafe::new().allow_domains(["api.example.com"]).unwrap());
        assert!(parent.narrows_to(&disjoint).is_ok());
        // A broader deny entry covers the parent's.
        let broader = c(UrlSafe::new()
            .allow_domains(["*.example.com"])
            .unwrap()
            .deny_domains(["*.example.com"])
            .unwrap());
        assert!(parent.narrows_to(&broader).is_ok());
    }

    #[test]
    fn escalation_child_drops_deny_entry() {
        let parent = c(UrlSafe::new().deny_domains(["evil.com"]).unwrap());
        let child = c(UrlSafe::new());
        assert!(parent.narrows_to(&child).is_err());
        assert!(child.matches(&Value::from("http://evil.com/")));
        assert!(!parent.matches(&Value::from("http://evil.com/")));
        // With an allow-list that still reaches the denied name: refused.
        let parent = c(UrlSafe::new()
            .allow_domains(["*.example.com"])
            .unwrap()
            .deny_domains(["admin.example.com"])
            .unwrap());
        let child = c(UrlSafe::new().allow_domains(["*.example.com"]).unwrap());
        assert!(parent.narrows_to(&child).is_err());
        let child = c(UrlSafe::new()
            .allow_domains(["*.example.com"])
            .unwrap()
            .deny_domains(["*.admin.example.com"])
            .unwrap());
        assert!(parent.narrows_to(&child).is_err(), "*.x does not cover x");
    }

    #[test]
    fn escalation_child_adds_scheme() {
        let parent = c(UrlSafe::new().schemes(["https"]).unwrap());
        let child = c(UrlSafe::new().schemes(["https", "http"]).unwrap());
        assert!(parent.narrows_to(&child).is_err());
        let child = c(UrlSafe::new().schemes(["wss"]).unwrap());
        assert!(parent.narrows_to(&child).is_err());
    }

    #[test]
    fn escalation_child_widens_allow_list() {
        let parent = c(UrlSafe::new().allow_domains(["api.example.com"]).unwrap());
        assert!(parent.narrows_to(&c(UrlSafe::new())).is_err());
        let child = c(UrlSafe::new().allow_domains(["*.example.com"]).unwrap());
        assert!(parent.narrows_to(&child).is_err());
        let parent = c(UrlSafe::new().allow_domains(["*.example.com"]).unwrap());
        let child = c(UrlSafe::new().allow_domains(["example.com"]).unwrap());
        assert!(parent.narrows_to(&child).is_err(), "*.x does not cover x");
    }

    #[test]
    fn narrowing_to_url_pattern() {
        let parent = c(UrlSafe::new()
            .allow_domains(["*.example.com"])
            .unwrap()
            .deny_domains(["admin.example.com"])
            .unwrap());
        let p = |schemes: &[&str], host: &str| {
            c(UrlPattern::new(schemes.iter().copied(), host, None, Some("/**")).unwrap())
        };
        assert!(parent.narrows_to(&p(&["https"], "api.example.com")).is_ok());
        assert!(parent
            .narrows_to(&p(&["https"], "*.api.example.com"))
            .is_ok());
        assert!(parent.narrows_to(&p(&["ftp"], "api.example.com")).is_err());
        assert!(parent
            .narrows_to(&p(&["https"], "admin.example.com"))
            .is_err());
        assert!(parent.narrows_to(&p(&["https"], "*.example.com")).is_err());
        assert!(parent.narrows_to(&p(&["https"], "example.com")).is_err());
        assert!(parent.narrows_to(&p(&["https"], "8.8.8.8")).is_err());
        let open = c(UrlSafe::new());
        assert!(open.narrows_to(&p(&["https"], "8.8.8.8")).is_err());
        assert!(open
            .narrows_to(&p(&["https"], "[2606:4700::1111]"))
            .is_err());
        assert!(open.narrows_to(&p(&["https"], "localhost")).is_err());
        assert!(open.narrows_to(&p(&["https"], "*.localhost")).is_err());
        assert!(open
            .narrows_to(&p(&["https"], "*.google.internal"))
            .is_err());
        assert!(open.narrows_to(&p(&["https"], "*.goog")).is_err());
        assert!(open.narrows_to(&p(&["https"], "*.arpa")).is_err());
        assert!(open.narrows_to(&p(&["https"], "intranet")).is_err());
        assert!(open.narrows_to(&p(&["https"], "*.com")).is_ok());
    }

    #[test]
    fn finite_children_and_other_types() {
        let parent = c(UrlSafe::new());
        assert!(parent
            .narrows_to(&c(
                crate::constraint::Exact::new("https://example.com/").unwrap()
            ))
            .is_ok());
        assert!(parent
            .narrows_to(&c(crate::constraint::Exact::new("http://127.1/").unwrap()))
            .is_err());
        assert!(parent
            .narrows_to(&c(crate::constraint::OneOf::new([
                "https://a.example/",
                "http://0x7f.1/"
            ])
            .unwrap()))
            .is_err());
        assert!(parent
            .narrows_to(&c(
                crate::constraint::Pattern::new("https://example.com/*").unwrap()
            ))
            .is_err());
        assert!(parent
            .narrows_to(&c(crate::constraint::Wildcard::new()))
            .is_err());
        assert!(c(crate::constraint::Wildcard::new())
            .narrows_to(&parent)
            .is_ok());
    }

    #[test]
    fn wire_form_and_round_trip() {
        let g = UrlSafe::new()
            .allow_domains(["*.Example.com.", "api.example.net"])
            .unwrap()
            .deny_domains(["admin.example.com"])
            .unwrap();
        let x = c(g);
        let bytes = x.to_cbor();
        let back = Constraint::from_cbor(&bytes).unwrap();
        assert_eq!(back.to_cbor(), bytes);
        assert_eq!(back, x);
        let d = c(UrlSafe::new()).to_cbor();
        assert_eq!(
            d,
            [
                0x84, 0x08, 0x82, 0x64, b'h', b't', b't', b'p', 0x65, b'h', b't', b't', b'p', b's',
                0xf6, 0x80
            ]
        );
    }

    fn raw(schemes: &[&str], allow: Option<&[&str]>, deny: &[&str]) -> Vec<u8> {
        let mut w = Writer::default();
        w.array(4);
        w.uint(8);
        url_norm::encode_texts(&mut w, schemes.iter().copied());
        match allow {
            None => w.null(),
            Some(a) => url_norm::encode_texts(&mut w, a.iter().copied()),
        }
        url_norm::encode_texts(&mut w, deny.iter().copied());
        w.into_bytes()
    }

    #[test]
    fn decode_refuses_invalid_params() {
        assert!(Constraint::from_cbor(&raw(&["http"], None, &[])).is_ok());
        for bad in [
            raw(&[], None, &[]),
            raw(&["https", "http"], None, &[]),
            raw(&["http", "http"], None, &[]),
            raw(&["file"], None, &[]),
            raw(&["HTTP"], None, &[]),
            raw(&["http"], Some(&[]), &[]),
            raw(&["http"], Some(&["10.0.0.1"]), &[]),
            raw(&["http"], Some(&["Example.com"]), &[]),
            raw(&["http"], Some(&["example.com."]), &[]),
            raw(&["http"], None, &["b.example", "a.example"]),
            raw(&["http"], None, &["a.example", "a.example"]),
            raw(&["http"], None, &["*"]),
        ] {
            assert!(Constraint::from_cbor(&bad).is_err(), "{bad:02x?}");
        }
        // Wrong parameter counts and types.
        assert!(Constraint::from_cbor(&[0x82, 0x08, 0x80]).is_err());
        assert!(Constraint::from_cbor(&[
            0x84, 0x08, 0x81, 0x64, b'h', b't', b't', b'p', 0xf5, 0x80
        ])
        .is_err());
    }
}
