//! `Regex`: text that fully matches a regular expression.
//!
//! The pattern uses the syntax of the [`regex`] crate (Unicode-aware, no
//! look-around, no backreferences) and must match the **whole** text: it is
//! compiled as `^(?:pattern)$`, after checking that `pattern` parses on its
//! own (so a pattern such as `a)|(b` cannot close the wrapping group and
//! turn the full match into a prefix-or-suffix match).
//!
//! Compiled **once**, eagerly, both by [`Regex::new`] and at decode, with a
//! bounded program size ([`REGEX_SIZE_LIMIT`] for the compiled program and
//! for the lazy DFA cache): a pattern that does not parse or exceeds the
//! limit is refused at construction (`ConstraintError`) and at decode
//! (`DecodeError`), never discovered at call time. Matching never compiles.
//!
//! ReDoS: the `regex` crate has no backtracking engine; every search runs in
//! time linear in the text (times a factor bounded by the program size), so
//! patterns such as `(a+)+b` cost no more than any other of their size.
//!
//! Attenuation: a `Regex` narrows only to the identical pattern text (regex
//! equivalence or inclusion is not decided, so `[a-z]+` → `[a-z]*` and even
//! `[a-z]+` → `[a-z][a-z]*` are refused) or, through the shared finite rule,
//! to `Exact`/`OneOf` values it matches.

use super::{expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Longest pattern accepted, in bytes.
pub const MAX_REGEX_LEN: usize = 1024;

/// Compiled program size limit, in bytes, for one regex (also the capacity
/// of its lazy DFA cache). Same value as for globs (256 KiB): compiling up
/// to the limit, or failing at it, takes about a millisecond, so decoding a
/// regex costs at most about that much. It admits every ASCII pattern of
/// ordinary shape, `\d{50}`, `.{250}`, `[a-z]{800}`, but refuses large
/// counted repetitions of big Unicode classes (`\w{6}`; use
/// `[A-Za-z0-9_]{n}` or `(?-u:\w){n}` instead).
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Allows text that fully matches a regular expression.
#[derive(Clone)]
pub struct Regex {
    source: String,
    re: regex::Regex,
}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Regex").field(&self.source).finish()
    }
}

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Regex {}

impl Regex {
    /// Text fully matching `pattern` (`regex` crate syntax). Compiles now;
    /// refuses (`CONSTRAINT_INVALID_PATTERN`) a pattern longer than
    /// [`MAX_REGEX_LEN`] bytes, containing NUL, that does not parse, or
    /// whose program exceeds [`REGEX_SIZE_LIMIT`].
    pub fn new(pattern: impl Into<String>) -> Result<Self, ConstraintError> {
        let source = pattern.into();
        if source.len() > MAX_REGEX_LEN {
            return Err(ConstraintError::InvalidPattern("regex too long"));
        }
        if source.contains('\0') {
            return Err(ConstraintError::InvalidPattern("regex contains nul"));
        }
        check_syntax(&source)?;
        let re = compile(&source)?;
        Ok(Self { source, re })
    }

    /// The pattern text, as given (without the anchoring wrapper).
    pub fn pattern(&self) -> &str {
        &self.source
    }

    /// Whether the whole of `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        self.re.is_match(text)
    }
}

/// Refuse a pattern that does not parse on its own. The program size limit
/// of 0 makes the builder stop right after parsing: a pattern that parses
/// comes back as `Ok` (literal-only patterns) or `CompiledTooBig`; only a
/// syntax error (or any error kind unknown to this version) is refused.
fn check_syntax(source: &str) -> Result<(), ConstraintError> {
    match regex::RegexBuilder::new(source).size_limit(0).build() {
        Ok(_) | Err(regex::Error::CompiledTooBig(_)) => Ok(()),
        Err(_) => Err(ConstraintError::InvalidPattern("regex does not parse")),
    }
}

#[cfg(test)]
thread_local! {
    /// Full regex compilations on this thread (tests check when they happen).
    pub(crate) static COMPILES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Compile the anchored form of an already syntax-checked pattern.
fn compile(source: &str) -> Result<regex::Regex, ConstraintError> {
    #[cfg(test)]
    COMPILES.with(|c| c.set(c.get() + 1));
    regex::RegexBuilder::new(&format!("^(?:{source})$"))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => ConstraintError::InvalidPattern("regex too complex"),
            // E.g. a trailing `(?x)` comment that swallows the wrapper.
            _ => ConstraintError::InvalidPattern("regex does not parse"),
        })
}

impl Kind for Regex {
    const TYPE_ID: u64 = 7;
    const NAME: &'static str = "regex";

    fn matches(&self, value: &Value) -> bool {
        value.as_str().is_some_and(|s| self.is_match(s))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::Regex(c) if c.source == self.source => Ok(()),
            Constraint::Regex(_) => Err("regex only narrows to the identical regex"),
            _ => Err("regex only narrows to the identical regex, exact or one_of"),
        }
    }

    fn encode_params(&self, w: &mut Writer) {
        w.text(&self.source);
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 1, "regex takes one pattern")?;
        r.charge_regex()?;
        Ok(Regex::new(r.text()?)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Value {
        Value::from(s)
    }

    fn c<C: Into<Constraint>>(x: C) -> Constraint {
        x.into()
    }

    fn rx(p: &str) -> Constraint {
        c(Regex::new(p).unwrap())
    }

    #[test]
    fn full_match_only() {
        let r = rx("[a-z]+");
        assert!(r.matches(&t("abc")));
        assert!(!r.matches(&t("abc1")));
        assert!(!r.matches(&t("1abc")));
        assert!(!r.matches(&t("")));
        assert!(!r.matches(&t("abc\n")));
        let alt = rx("a|ab");
        // Leftmost-first would stop at `a`; full match must still accept `ab`.
        assert!(alt.matches(&t("ab")));
        assert!(alt.matches(&t("a")));
        assert!(!alt.matches(&t("abc")));
        // Flags inside the pattern stay inside the wrapping group.
        let m = rx("(?m)a$");
        assert!(m.matches(&t("a")));
        assert!(!m.matches(&t("a\nb")));
        let empty = rx("");
        assert!(empty.matches(&t("")));
        assert!(!empty.matches(&t("x")));
        assert!(rx("é+").matches(&t("éé")));
        assert!(rx(r"\x00").matches(&t("\0")));
    }

    #[test]
    fn only_text_matches() {
        let r = rx(".*");
        assert!(r.matches(&t("anything")));
        for v in [
            Value::Null,
            Value::Bool(true),
            Value::Int(1),
            Value::Float(1.0),
            Value::Bytes(b"abc".to_vec()),
            Value::list(["abc"]),
            Value::map([("a", "abc")]),
        ] {
            assert!(!r.matches(&v), "{v:?}");
        }
    }

    #[test]
    fn group_break_out_is_refused() {
        // `^(?:a)|(b)$` would be a prefix-or-suffix match.
        for bad in ["a)|(b", ")(", "a)|.*|(b", "(?x)a #"] {
            let e = Regex::new(bad).unwrap_err();
            assert_eq!(e.code(), "CONSTRAINT_INVALID_PATTERN", "{bad}");
        }
    }

    #[test]
    fn invalid_and_oversize_refused() {
        for bad in [
            "(",
            "[a-",
            "a{2,1}",
            "\\",
            "(?<n>a)(?<n>b)",
            r"\p{Nope}",
            "a\0",
        ] {
            assert!(
                matches!(Regex::new(bad), Err(ConstraintError::InvalidPattern(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Regex::new("a".repeat(MAX_REGEX_LEN + 1)).unwrap_err(),
            ConstraintError::InvalidPattern("regex too long")
        );
        assert!(Regex::new("a".repeat(MAX_REGEX_LEN)).is_ok());
        for big in [r"\w{1000}", r"(?:a{1000}){1000}", r"\pL{100}", r"\w{6}"] {
            assert_eq!(
                Regex::new(big).unwrap_err(),
                ConstraintError::InvalidPattern("regex too complex"),
                "{big}"
            );
        }
        assert!(Regex::new(r"\w{5}").is_ok());
        // The examples the spec part gives as accepted.
        for ok in [
            r"[A-Za-z0-9_]{800}",
            r"[a-z0-9-]{1,63}",
            r"\d{50}",
            ".{250}",
            r"\w+",
            r"(?-u:\w){100}",
            "(?R)a$",
        ] {
            assert!(Regex::new(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn linear_time_on_redos_shapes() {
        // Catastrophic for a backtracking engine; linear here.
        let r = rx("(a+)+b");
        let s = "a".repeat(100_000);
        assert!(!r.matches(&t(&s)));
        let r = rx("(a|aa)*c");
        assert!(!r.matches(&t(&s)));
    }

    #[test]
    fn wire_form_and_decode_errors() {
        let r = rx("[a-z]+");
        let b = r.to_cbor();
        assert_eq!(b, [0x82, 0x07, 0x66, b'[', b'a', b'-', b'z', b']', b'+']);
        let back = Constraint::from_cbor(&b).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.type_name(), "regex");
        assert!(back.matches(&t("abc")));
        // Invalid, oversize and break-out patterns are refused at decode.
        for bad in ["(", r"\w{1000}", "a)|(b", "a\0"] {
            let mut w = Writer::default();
            w.array(2);
            w.uint(7);
            w.text(bad);
            let e = Constraint::from_cbor(&w.into_bytes()).unwrap_err();
            assert!(
                matches!(
                    e,
                    DecodeError::Constraint(ConstraintError::InvalidPattern(_))
                ),
                "{bad}: {e:?}"
            );
            assert_eq!(e.code(), "DECODE_INVALID_CONSTRAINT");
        }
        let mut w = Writer::default();
        w.array(2);
        w.uint(7);
        w.text(&"a".repeat(MAX_REGEX_LEN + 1));
        assert!(Constraint::from_cbor(&w.into_bytes()).is_err());
        // Wrong param count, wrong param type.
        assert!(Constraint::from_cbor(&[0x81, 0x07]).is_err());
        assert!(Constraint::from_cbor(&[0x83, 0x07, 0x61, b'a', 0x61, b'a']).is_err());
        assert!(Constraint::from_cbor(&[0x82, 0x07, 0x41, b'a']).is_err());
        assert!(Constraint::from_cbor(&[0x82, 0x07, 0x01]).is_err());
        // Non-canonical text length.
        assert!(Constraint::from_cbor(&[0x82, 0x07, 0x78, 0x01, b'a']).is_err());
    }

    #[test]
    fn compiled_once_at_decode_never_per_call() {
        let b = rx("[0-9]{3}").to_cbor();
        let before = COMPILES.with(std::cell::Cell::get);
        let d = Constraint::from_cbor(&b).unwrap();
        assert_eq!(COMPILES.with(std::cell::Cell::get), before + 1);
        let d2 = d.clone();
        for s in ["123", "12", "abc", "1234"] {
            let _ = d.matches(&t(s));
            let _ = d2.matches(&t(s));
        }
        assert!(d.narrows_to(&d2).is_ok());
        assert_eq!(COMPILES.with(std::cell::Cell::get), before + 1);
    }

    #[test]
    fn regex_swapped_for_a_different_one_refused() {
        let p = rx("[a-z]+");
        // Wider: `[a-z]*` also allows the empty text.
        assert!(p.narrows_to(&rx("[a-z]*")).is_err());
        // Semantically equal but textually different: still refused.
        assert!(p.narrows_to(&rx("[a-z][a-z]*")).is_err());
        assert!(p.narrows_to(&rx("(?:[a-z])+")).is_err());
        // Even a strictly narrower regex cannot be proven.
        assert!(p.narrows_to(&rx("[a-c]+")).is_err());
        assert!(p.narrows_to(&rx(".*")).is_err());
        assert!(p.narrows_to(&rx("[a-z]+")).is_ok());
    }

    #[test]
    fn attenuation_as_parent() {
        use super::super::{Exact, OneOf, Pattern, Range, Subpath, Wildcard};
        let p = rx("/data/[a-z]+");
        assert!(p.narrows_to(&c(Exact::new("/data/abc").unwrap())).is_ok());
        assert!(p.narrows_to(&c(Exact::new("/data/ab1").unwrap())).is_err());
        assert!(p.narrows_to(&c(Exact::new(1).unwrap())).is_err());
        assert!(p
            .narrows_to(&c(OneOf::new(["/data/a", "/data/b"]).unwrap()))
            .is_ok());
        assert!(p
            .narrows_to(&c(OneOf::new(["/data/a", "/data/"]).unwrap()))
            .is_err());
        assert!(p.narrows_to(&c(Wildcard)).is_err());
        assert!(p
            .narrows_to(&c(Pattern::new("/data/abc").unwrap()))
            .is_err());
        assert!(p.narrows_to(&c(Subpath::new("/data").unwrap())).is_err());
        assert!(p.narrows_to(&c(Range::at_most(1).unwrap())).is_err());
        let unknown = Constraint::from_cbor(&[0x82, 0x18, 0x63, 0x61, b'x']).unwrap();
        assert!(p.narrows_to(&unknown).is_err());
    }

    #[test]
    fn attenuation_as_child() {
        use super::super::{Exact, OneOf, Pattern, Range, Subpath, Wildcard};
        let child = rx("/data/[a-z]+");
        assert!(c(Wildcard).narrows_to(&child).is_ok());
        for parent in [
            c(Exact::new("/data/a").unwrap()),
            c(OneOf::new(["/data/a"]).unwrap()),
            c(Pattern::new("/data/**").unwrap()),
            c(Pattern::new("/data/*").unwrap()),
            c(Subpath::new("/data").unwrap()),
            c(Range::at_most(1).unwrap()),
            Constraint::from_cbor(&[0x82, 0x18, 0x63, 0x61, b'x']).unwrap(),
        ] {
            assert!(parent.narrows_to(&child).is_err(), "{parent:?}");
        }
    }

    #[test]
    fn regex_budget_per_decode_and_per_warrant() {
        use crate::constraint::All;
        let many = |n: usize| -> Constraint {
            c(All::new((0..n).map(|i| rx(&format!("a{i}"))).collect::<Vec<_>>()).unwrap())
        };
        let ok = many(crate::limits::MAX_REGEXES_PER_WARRANT);
        assert_eq!(Constraint::from_cbor(&ok.to_cbor()).unwrap(), ok);
        let over = many(crate::limits::MAX_REGEXES_PER_WARRANT + 1);
        assert!(matches!(
            Constraint::from_cbor(&over.to_cbor()),
            Err(DecodeError::TooLarge("regexes per warrant"))
        ));
        // A warrant is refused at build time too (two args of 9 each).
        let key = crate::SigningKey::from_seed(&[1; 32]);
        let built = crate::Warrant::mint_builder()
            .holder(key.public_key())
            .capability("t", [("a", many(9)), ("b", many(9))])
            .mint(&key);
        assert!(built.is_err());
    }
}
