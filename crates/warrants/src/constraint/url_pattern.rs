//! `UrlPattern`: URLs with a given scheme, host, port and path.
//!
//! A value matches when it is text that passes the shared screening and
//! WHATWG parse of [`super::url_norm`] (no userinfo, no backslash, no
//! control characters, no percent-encoded host) and:
//! - its scheme is in the set (of `ftp`, `http`, `https`, `ws`, `wss`);
//! - its normalised host matches the host pattern: a domain name exactly
//!   (case and a trailing dot do not matter), `*.suffix` (any name strictly
//!   below `suffix`, not `suffix` itself), or one IP literal (an IPv4
//!   pattern matches every spelling of that address, never an
//!   IPv4-mapped IPv6 one);
//! - if a port is set, the effective port (explicit or the scheme's
//!   default) equals it;
//! - if a path glob is set, the normalised path matches it (Pattern glob
//!   syntax: `*` stays in one segment, `**` crosses). The path is the
//!   WHATWG path (dot segments, including `%2e` spellings, resolved) with
//!   percent-encoded unreserved characters decoded and other escapes in
//!   uppercase hex; a path with `%2F`, `%5C`, `%00` or a stray `%` never
//!   matches. Query and fragment are not constrained.

use super::pattern::Pattern;
use super::url_norm::{self, HostPattern};
use super::{expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Allows URLs matching a scheme set, host pattern, port and path glob.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlPattern {
    schemes: Vec<String>,
    host: HostPattern,
    port: Option<u16>,
    path: Option<Pattern>,
}

impl UrlPattern {
    /// URLs with a scheme in `schemes` (each one of `ftp`, `http`, `https`,
    /// `ws`, `wss`; not empty), a host matching `host` (`name`, `*.suffix`,
    /// an IPv4 literal or `[ipv6]`; normalised like a URL host), the
    /// effective port `port` if given, and a path matching the glob `path`
    /// if given (it must start with `/`; compiled now).
    pub fn new<I, S>(
        schemes: I,
        host: &str,
        port: Option<u16>,
        path: Option<&str>,
    ) -> Result<Self, ConstraintError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let schemes = url_norm::scheme_set(schemes)?;
        let host = HostPattern::parse(host)?;
        let path = match path {
            None => None,
            Some(g) => {
                check_path_glob(g)?;
                Some(Pattern::new(g)?)
            }
        };
        Ok(Self {
            schemes,
            host,
            port,
            path,
        })
    }

    /// The schemes, in canonical order.
    pub fn schemes(&self) -> &[String] {
        &self.schemes
    }

    /// The host pattern in its normalised text form.
    pub fn host(&self) -> String {
        self.host.to_text()
    }

    /// The required port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path glob, if any.
    pub fn path(&self) -> Option<&str> {
        self.path.as_ref().map(Pattern::glob)
    }

    /// Whether `url` matches.
    pub fn allows(&self, url: &str) -> bool {
        let Some(u) = url_norm::parse(url) else {
            return false;
        };
        if !self.schemes.contains(&u.scheme) || !self.host.matches(&u.host) {
            return false;
        }
        if self.port.is_some() && u.port != self.port {
            return false;
        }
        match &self.path {
            None => true,
            Some(g) => {
                url_norm::normalise_path(&u.path).is_some_and(|p| Kind::matches(g, &Value::Text(p)))
            }
        }
    }

    pub(crate) fn scheme_list(&self) -> &[String] {
        &self.schemes
    }

    pub(crate) fn host_pattern(&self) -> &HostPattern {
        &self.host
    }

    /// Bytes of glob source this constraint compiles.
    pub(crate) fn glob_bytes(&self) -> usize {
        self.path.as_ref().map_or(0, |g| g.glob().len())
    }
}

fn check_path_glob(g: &str) -> Result<(), ConstraintError> {
    if g.starts_with('/') {
        Ok(())
    } else {
        Err(ConstraintError::InvalidPattern(
            "path glob must start with /",
        ))
    }
}

impl Kind for UrlPattern {
    const TYPE_ID: u64 = 9;
    const NAME: &'static str = "url_pattern";

    fn matches(&self, value: &Value) -> bool {
        value.as_str().is_some_and(|s| self.allows(s))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        let Constraint::UrlPattern(c) = child else {
            return Err("url_pattern only narrows to url_pattern, exact or one_of");
        };
        if !url_norm::schemes_subset(&c.schemes, &self.schemes) {
            return Err("url_pattern child allows a scheme the parent does not");
        }
        if !self.host.covers(&c.host) {
            return Err("url_pattern child host is not within the parent host");
        }
        if self.port.is_some() && c.port != self.port {
            return Err("url_pattern child port differs from the parent port");
        }
        match (&self.path, &c.path) {
            (None, _) => Ok(()),
            (Some(_), None) => Err("url_pattern child drops the parent's path glob"),
            (Some(p), Some(g)) => Kind::narrows_to(p, &Constraint::Pattern(g.clone()))
                .map_err(|_| "url_pattern child path glob is not provably narrower"),
        }
    }

    fn encode_params(&self, w: &mut Writer) {
        url_norm::encode_texts(w, self.schemes.iter().map(String::as_str));
        w.text(&self.host.to_text());
        match self.port {
            None => w.null(),
            Some(p) => w.uint(u64::from(p)),
        }
        match &self.path {
            None => w.null(),
            Some(g) => w.text(g.glob()),
        }
    }

    fn param_count(&self) -> usize {
        4
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 4, "url_pattern takes schemes, host, port, path")?;
        let schemes = url_norm::decode_schemes(r)?;
        let host = HostPattern::parse_canonical(r.text()?)?;
        let port = if url_norm::take_null(r)? {
            None
        } else {
            Some(u16::try_from(r.uint()?).map_err(|_| DecodeError::OutOfRange)?)
        };
        let path = if url_norm::take_null(r)? {
            None
        } else {
            let start = r.pos();
            let g = r.text()?;
            check_path_glob(g)?;
            // Re-read through Pattern's own decoder: syntax-checked now,
            // compiled at first use.
            let mut sub = Reader::new(r.slice(start, r.pos())?, crate::limits::MAX_NESTING);
            Some(<Pattern as Kind>::decode_params(&mut sub, 1)?)
        };
        Ok(Self {
            schemes,
            host,
            port,
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c<C: Into<Constraint>>(x: C) -> Constraint {
        x.into()
    }

    fn up(schemes: &[&str], host: &str, port: Option<u16>, path: Option<&str>) -> UrlPattern {
        UrlPattern::new(schemes.iter().copied(), host, port, path).unwrap()
    }

    #[test]
    fn host_exact_and_suffix() {
        let p = up(&["https"], "api.example.com", None, None);
        assert!(p.allows("https://api.example.com/x"));
        assert!(p.allows("HTTPS://API.Example.com./x?q#f"));
        assert!(!p.allows("https://www.example.com/"));
        assert!(!p.allows("http://api.example.com/"));
        assert!(!p.allows("https://api.example.com.evil.net/"));
        assert!(!p.allows("https://good@api.example.com/"), "userinfo");
        assert!(!p.allows("https://api.example.com\\@evil/"), "backslash");
        let s = up(&["https"], "*.example.com", None, None);
        assert!(s.allows("https://a.example.com/"));
        assert!(s.allows("https://a.b.example.com/"));
        assert!(!s.allows("https://example.com/"));
        assert!(!s.allows("https://badexample.com/"));
        assert!(!c(s).matches(&Value::Int(3)));
    }

    #[test]
    fn ip_hosts() {
        let p = up(&["http"], "0x7f.1", None, None);
        assert_eq!(p.host(), "127.0.0.1");
        assert!(p.allows("http://2130706433/"));
        assert!(p.allows("http://127.0.0.1./"));
        assert!(!p.allows("http://[::ffff:127.0.0.1]/"));
        let p = up(&["http"], "[0:0::1]", None, None);
        assert_eq!(p.host(), "[::1]");
        assert!(p.allows("http://[::1]:8080/"));
        assert!(UrlPattern::new(["http"], "*.10.0.0.1", None, None).is_err());
        assert!(UrlPattern::new(["http"], "[::1", None, None).is_err());
    }

    #[test]
    fn port_is_effective_port() {
        let p = up(&["https"], "example.com", Some(443), None);
        assert!(p.allows("https://example.com/"));
        assert!(p.allows("https://example.com:443/"));
        assert!(!p.allows("https://example.com:8443/"));
        let p = up(&["http", "https"], "example.com", Some(8080), None);
        assert!(p.allows("http://example.com:8080/"));
        assert!(!p.allows("http://example.com/"));
    }

    #[test]
    fn path_glob_after_normalisation() {
        let p = up(&["https"], "example.com", None, Some("/api/v1/**"));
        assert!(p.allows("https://example.com/api/v1/users"));
        assert!(p.allows("https://example.com/api/v1/../v1/users"));
        assert!(
            p.allows("https://example.com/%61pi/v1/x"),
            "unreserved decoded"
        );
        assert!(!p.allows("https://example.com/api/v1/../../admin"));
        assert!(!p.allows("https://example.com/api/v1/%2e%2e/%2E%2E/admin"));
        assert!(!p.allows("https://example.com/api/v1/..%2f..%2fadmin"));
        assert!(!p.allows("https://example.com/api/v1/x%5c..%5cadmin"));
        assert!(!p.allows("https://example.com/api/v1/x%00"));
        assert!(!p.allows("https://example.com/api/v1/x%zz"));
        assert!(!p.allows("https://example.com/api/v2/x"));
        let p = up(&["https"], "example.com", None, Some("/files/*"));
        assert!(p.allows("https://example.com/files/a%20b"));
        assert!(
            p.allows("https://example.com/files/a%3ab"),
            "hex case folded"
        );
        assert!(!p.allows("https://example.com/files/a/b"));
        assert!(UrlPattern::new(["https"], "example.com", None, Some("files/*")).is_err());
        assert!(UrlPattern::new(["https"], "example.com", None, Some("/[z-a]")).is_err());
    }

    #[test]
    fn constructor_refusals() {
        assert!(UrlPattern::new(Vec::<&str>::new(), "example.com", None, None).is_err());
        assert!(UrlPattern::new(["file"], "example.com", None, None).is_err());
        assert!(UrlPattern::new(["https"], "", None, None).is_err());
        assert!(UrlPattern::new(["https"], "*", None, None).is_err());
        assert!(UrlPattern::new(["https"], "a.*.com", None, None).is_err());
        assert!(UrlPattern::new(["https"], "user@example.com", None, None).is_err());
        assert!(UrlPattern::new(["https"], "example.com:80", None, None).is_err());
        assert!(UrlPattern::new(["https"], "a..b", None, None).is_err());
    }

    #[test]
    fn narrowing() {
        let parent = c(up(
            &["http", "https"],
            "*.example.com",
            None,
            Some("/api/**"),
        ));
        let ok = [
            up(&["https"], "*.example.com", None, Some("/api/**")),
            up(&["https"], "a.example.com", Some(443), Some("/api/v1/**")),
            up(&["https"], "*.a.example.com", None, Some("/api/x")),
        ];
        for k in ok {
            assert!(parent.narrows_to(&c(k.clone())).is_ok(), "{k:?}");
        }
        let bad = [
            up(&["https", "wss"], "a.example.com", None, Some("/api/**")),
            up(&["https"], "example.com", None, Some("/api/**")),
            up(&["https"], "*.com", None, Some("/api/**")),
            up(&["https"], "a.example.com", None, None),
            up(&["https"], "a.example.com", None, Some("/**")),
            up(&["https"], "a.example.com", None, Some("/*/api/**")),
            up(&["https"], "1.2.3.4", None, Some("/api/**")),
        ];
        for k in bad {
            assert!(parent.narrows_to(&c(k.clone())).is_err(), "{k:?}");
        }
        let with_port = c(up(&["https"], "example.com", Some(443), None));
        assert!(with_port
            .narrows_to(&c(up(&["https"], "example.com", None, None)))
            .is_err());
        assert!(with_port
            .narrows_to(&c(up(&["https"], "example.com", Some(8443), None)))
            .is_err());
        let ip = c(up(&["https"], "10.0.0.1", None, None));
        assert!(ip
            .narrows_to(&c(up(&["https"], "012.0.0.1", None, None)))
            .is_ok());
        assert!(ip
            .narrows_to(&c(up(&["https"], "10.0.0.2", None, None)))
            .is_err());
        // Finite children by the shared rule; other types refused.
        assert!(parent
            .narrows_to(&c(crate::constraint::Exact::new(
                "https://a.example.com/api/x"
            )
            .unwrap()))
            .is_ok());
        assert!(parent
            .narrows_to(&c(
                crate::constraint::Exact::new("https://a.example.com/x").unwrap()
            ))
            .is_err());
        assert!(parent
            .narrows_to(&c(crate::constraint::UrlSafe::new()))
            .is_err());
        assert!(parent
            .narrows_to(&c(crate::constraint::Pattern::new(
                "https://a.example.com/api/*"
            )
            .unwrap()))
            .is_err());
    }

    #[test]
    fn wire_form_and_round_trip() {
        let p = c(up(&["https"], "*.Example.COM.", Some(443), Some("/v1/**")));
        let b = p.to_cbor();
        let back = Constraint::from_cbor(&b).unwrap();
        assert_eq!(back.to_cbor(), b);
        assert_eq!(back, p);
        assert!(back.matches(&Value::from("https://a.example.com/v1/x")));
        let q = c(up(&["http"], "example.com", None, None));
        assert_eq!(
            q.to_cbor(),
            [
                0x85, 0x09, 0x81, 0x64, b'h', b't', b't', b'p', 0x6b, b'e', b'x', b'a', b'm', b'p',
                b'l', b'e', b'.', b'c', b'o', b'm', 0xf6, 0xf6
            ]
        );
    }

    fn raw(host: &str, port: Option<u64>, path: Option<&str>) -> Vec<u8> {
        let mut w = Writer::default();
        w.array(5);
        w.uint(9);
        url_norm::encode_texts(&mut w, ["https"].into_iter());
        w.text(host);
        match port {
            None => w.null(),
            Some(p) => w.uint(p),
        }
        match path {
            None => w.null(),
            Some(g) => w.text(g),
        }
        w.into_bytes()
    }

    #[test]
    fn decode_refuses_invalid_params() {
        assert!(Constraint::from_cbor(&raw("example.com", Some(443), Some("/x"))).is_ok());
        for bad in [
            raw("Example.com", None, None),
            raw("example.com.", None, None),
            raw("0x7f.1", None, None),
            raw("[0::1]", None, None),
            raw("*", None, None),
            raw("", None, None),
            raw("example.com", Some(65536), None),
            raw("example.com", None, Some("x")),
            raw("example.com", None, Some("/[")),
        ] {
            assert!(Constraint::from_cbor(&bad).is_err(), "{bad:02x?}");
        }
        assert!(Constraint::from_cbor(&raw("127.0.0.1", None, None)).is_ok());
        assert!(Constraint::from_cbor(&raw("[::1]", None, None)).is_ok());
    }
}
