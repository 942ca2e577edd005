//! `Pattern`: text matching a glob.
//!
//! Glob syntax: `*` matches within one `/`-separated segment, `**` matches
//! across segments (any text), `?` one character other than `/`, `[...]` a
//! character class (`[!...]` or `[^...]` negates and never matches `/`),
//! `\` escapes the next character. Matching is lexical on the whole text:
//! for file paths prefer [`super::Subpath`], which understands `..`.
//! The glob is compiled once per decoded warrant (to an anchored,
//! size-limited regex), never per call: eagerly by [`Pattern::new`] (so
//! an issuer learns at once that a glob is too complex), lazily at first
//! use after decode (so decoding untrusted bytes costs no compilation). A
//! decoded glob whose regex exceeds the size limit never matches.

use std::sync::OnceLock;

use super::{expect_params, Constraint, Kind, Widening};
use crate::cbor::{Reader, Writer};
use crate::error::{ConstraintError, DecodeError};
use crate::value::Value;

/// Longest glob accepted, in bytes.
pub const MAX_GLOB_LEN: usize = 1024;
/// Compiled program size limit for a glob.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// Allows text that matches a glob.
#[derive(Debug, Clone)]
pub struct Pattern {
    glob: String,
    regex: OnceLock<Option<regex::Regex>>,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.glob == other.glob
    }
}

impl Pattern {
    /// Compile `glob` now.
    pub fn new(glob: impl Into<String>) -> Result<Self, ConstraintError> {
        let p = Self::parse(glob.into())?;
        let regex = compile(&p.glob)?;
        let _ = p.regex.set(Some(regex));
        Ok(p)
    }

    /// Check the glob's syntax; compile at first use.
    fn parse(glob: String) -> Result<Self, ConstraintError> {
        if glob.len() > MAX_GLOB_LEN {
            return Err(ConstraintError::InvalidPattern("glob too long"));
        }
        if glob.contains('\0') {
            return Err(ConstraintError::InvalidPattern("glob contains nul"));
        }
        tokenize(&glob)?;
        Ok(Self {
            glob,
            regex: OnceLock::new(),
        })
    }

    /// Whether `text` matches (compiling on first use).
    fn is_match(&self, text: &str) -> bool {
        self.regex
            .get_or_init(|| compile(&self.glob).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(text))
    }

    /// The glob text.
    pub fn glob(&self) -> &str {
        &self.glob
    }

    /// If the glob is `L**` with a metacharacter-free `L`, the literal `L`.
    fn prefix_all(&self) -> Option<String> {
        let toks = tokenize(&self.glob).ok()?;
        let (last, init) = toks.split_last()?;
        if *last != Tok::DoubleStar {
            return None;
        }
        literal_of(init)
    }

    /// The literal text every match starts with.
    fn literal_prefix(&self) -> String {
        let toks = tokenize(&self.glob).unwrap_or_default();
        let mut s = String::new();
        for t in toks {
            match t {
                Tok::Char(c) => s.push(c),
                _ => break,
            }
        }
        s
    }

    /// If the glob has no metacharacters, the one text it matches.
    fn literal(&self) -> Option<String> {
        literal_of(&tokenize(&self.glob).ok()?)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Char(char),
    Star,
    DoubleStar,
    Question,
    Class { negated: bool, body: String },
}

fn literal_of(toks: &[Tok]) -> Option<String> {
    toks.iter()
        .map(|t| match t {
            Tok::Char(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn tokenize(glob: &str) -> Result<Vec<Tok>, ConstraintError> {
    let mut toks = Vec::new();
    let mut it = glob.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                let n = it
                    .next()
                    .ok_or(ConstraintError::InvalidPattern("trailing backslash"))?;
                toks.push(Tok::Char(n));
            }
            '*' => {
                if it.peek() == Some(&'*') {
                    it.next();
                    // Runs of stars collapse into one `**`.
                    while it.peek() == Some(&'*') {
                        it.next();
                    }
                    toks.push(Tok::DoubleStar);
                } else {
                    toks.push(Tok::Star);
                }
            }
            '?' => toks.push(Tok::Question),
            '[' => {
                let mut negated = false;
                if matches!(it.peek(), Some('!') | Some('^')) {
                    negated = true;
                    it.next();
                }
                // Items: single characters, or `a-b` ranges.
                let mut chars: Vec<char> = Vec::new();
                let mut ranges: Vec<(char, char)> = Vec::new();
                let mut first = true;
                let mut last_was_range = false;
                loop {
                    let ch = it
                        .next()
                        .ok_or(ConstraintError::InvalidPattern("unclosed character class"))?;
                    let ch = match ch {
                        ']' if !first => break,
                        '\\' => it
                            .next()
                            .ok_or(ConstraintError::InvalidPattern("trailing backslash"))?,
                        '-' if !first && it.peek().is_some_and(|n| *n != ']') => {
                            if last_was_range {
                                return Err(ConstraintError::InvalidPattern(
                                    "range cannot start right after a range",
                                ));
                            }
                            let lo = chars
                                .pop()
                                .ok_or(ConstraintError::InvalidPattern("bad range in class"))?;
                            let mut hi = it.next().ok_or(ConstraintError::InvalidPattern(
                                "unclosed character class",
                            ))?;
                            if hi == '\\' {
                                hi = it
                                    .next()
                                    .ok_or(ConstraintError::InvalidPattern("trailing backslash"))?;
                            }
                            if lo > hi {
                                return Err(ConstraintError::InvalidPattern(
                                    "reversed range in class",
                                ));
                            }
                            ranges.push((lo, hi));
                            first = false;
                            last_was_range = true;
                            continue;
                        }
                        other => other,
                    };
                    chars.push(ch);
                    first = false;
                    last_was_range = false;
                }
                let mut body = String::new();
                for c in chars {
                    push_class_char(&mut body, c);
                }
                for (lo, hi) in ranges {
                    push_class_char(&mut body, lo);
                    body.push('-');
                    push_class_char(&mut body, hi);
                }
                toks.push(Tok::Class { negated, body });
            }
            _ => toks.push(Tok::Char(c)),
        }
    }
    Ok(toks)
}

/// Append one character to a regex class body, escaping ASCII punctuation.
fn push_class_char(body: &mut String, c: char) {
    if c.is_ascii_punctuation() {
        body.push('\\');
    }
    body.push(c);
}

#[cfg(test)]
thread_local! {
    /// Regex compilations on this thread (tests check when they happen).
    pub(crate) static COMPILES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn compile(glob: &str) -> Result<regex::Regex, ConstraintError> {
    #[cfg(test)]
    COMPILES.with(|c| c.set(c.get() + 1));
    regex::RegexBuilder::new(&glob_to_regex(glob)?)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|_| ConstraintError::InvalidPattern("glob too complex"))
}

fn glob_to_regex(glob: &str) -> Result<String, ConstraintError> {
    let mut re = String::from("(?s)^");
    for t in tokenize(glob)? {
        match t {
            Tok::Char(c) => re.push_str(&regex::escape(&c.to_string())),
            Tok::Star => re.push_str("[^/]*"),
            Tok::DoubleStar => re.push_str(".*"),
            Tok::Question => re.push_str("[^/]"),
            Tok::Class {
                negated: false,
                body,
            } => {
                re.push('[');
                re.push_str(&body);
                re.push(']');
            }
            Tok::Class {
                negated: true,
                body,
            } => {
                re.push_str("[^");
                re.push_str(&body);
                re.push_str("/]");
            }
        }
    }
    re.push('$');
    Ok(re)
}

impl Kind for Pattern {
    const TYPE_ID: u64 = 4;
    const NAME: &'static str = "pattern";

    fn matches(&self, value: &Value) -> bool {
        value.as_str().is_some_and(|s| self.is_match(s))
    }

    fn narrows_to(&self, child: &Constraint) -> Result<(), Widening> {
        match child {
            Constraint::Pattern(c) if c.glob == self.glob => Ok(()),
            Constraint::Pattern(c) => {
                if let Some(lit) = c.literal() {
                    return if self.is_match(&lit) {
                        Ok(())
                    } else {
                        Err("literal pattern is not matched by the parent")
                    };
                }
                match self.prefix_all() {
                    Some(p) if c.literal_prefix().starts_with(&p) => Ok(()),
                    _ => Err("pattern is not provably narrower than the parent"),
                }
            }
            _ => Err("pattern only narrows to a narrower pattern, exact or one_of"),
        }
    }

    fn encode_params(&self, w: &mut Writer) {
        w.text(&self.glob);
    }

    fn param_count(&self) -> usize {
        1
    }

    fn decode_params(r: &mut Reader<'_>, n: usize) -> Result<Self, DecodeError> {
        expect_params(n, 1, "pattern takes one glob")?;
        Ok(Pattern::parse(r.text()?.to_owned())?)
    }
}
