//! The warrant payload: its fields and their canonical CBOR map.
//!
//! | key | field       | type                                  |
//! |-----|-------------|---------------------------------------|
//! | 1   | version     | uint, = 1                             |
//! | 2   | id          | bstr 16                               |
//! | 3   | issuer      | bstr 32 (Ed25519 public key)          |
//! | 4   | holder      | bstr 32 (Ed25519 public key)          |
//! | 5   | issued_at   | uint (unix seconds)                   |
//! | 6   | expires_at  | uint (unix seconds)                   |
//! | 7   | depth       | uint                                  |
//! | 8   | max_depth   | uint                                  |
//! | 9   | parent      | bstr 32, SHA-256 of the parent envelope; absent at the root |
//! | 10  | tools       | map text -> constraint set, non-empty |
//! | 11  | extensions  | map text -> bstr; absent when empty   |

use std::collections::BTreeMap;

use crate::cbor::{self, Reader, Writer};
use crate::constraint::ConstraintSet;
use crate::error::DecodeError;
use crate::keys::PublicKey;
use crate::limits;

use super::WarrantId;

/// The payload format version this library writes and reads.
pub const PAYLOAD_VERSION: u64 = 1;

/// The signed content of a warrant. Public so tools and tests can build any
/// payload; use [`super::Warrant::mint_builder`] and
/// [`super::Warrant::grant_builder`], which refuse widening, for real
/// warrants. The [`crate::Authorizer`] checks every rule whatever built it.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// Random (or deterministic) 16-byte id; revocation lists name it.
    pub id: WarrantId,
    /// Who signed this warrant: a trusted root at depth 0, the parent's
    /// holder otherwise.
    pub issuer: PublicKey,
    /// Who may use (and further delegate) this warrant.
    pub holder: PublicKey,
    /// Start of validity, unix seconds.
    pub issued_at: u64,
    /// End of validity (exclusive of later instants), unix seconds.
    pub expires_at: u64,
    /// Position in the chain (root = 0).
    pub depth: u32,
    /// Deepest position any descendant may have.
    pub max_depth: u32,
    /// SHA-256 of the parent envelope bytes (absent at the root).
    pub parent: Option<[u8; 32]>,
    /// Granted tools and their argument constraints.
    pub tools: BTreeMap<String, ConstraintSet>,
    /// Opaque extensions: carried and signed, never interpreted.
    pub extensions: BTreeMap<String, Vec<u8>>,
}

const K_VERSION: u64 = 1;
const K_ID: u64 = 2;
const K_ISSUER: u64 = 3;
const K_HOLDER: u64 = 4;
const K_ISSUED_AT: u64 = 5;
const K_EXPIRES_AT: u64 = 6;
const K_DEPTH: u64 = 7;
const K_MAX_DEPTH: u64 = 8;
const K_PARENT: u64 = 9;
const K_TOOLS: u64 = 10;
const K_EXTENSIONS: u64 = 11;

impl Payload {
    /// Canonical CBOR encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(256);
        let n = 9 + usize::from(self.parent.is_some()) + usize::from(!self.extensions.is_empty());
        w.map(n);
        w.uint(K_VERSION);
        w.uint(PAYLOAD_VERSION);
        w.uint(K_ID);
        w.bytes(&self.id.0);
        w.uint(K_ISSUER);
        w.bytes(self.issuer.as_bytes());
        w.uint(K_HOLDER);
        w.bytes(self.holder.as_bytes());
        w.uint(K_ISSUED_AT);
        w.uint(self.issued_at);
        w.uint(K_EXPIRES_AT);
        w.uint(self.expires_at);
        w.uint(K_DEPTH);
        w.uint(u64::from(self.depth));
        w.uint(K_MAX_DEPTH);
        w.uint(u64::from(self.max_depth));
        if let Some(p) = &self.parent {
            w.uint(K_PARENT);
            w.bytes(p);
        }
        w.uint(K_TOOLS);
        w.map(self.tools.len());
        let mut tools: Vec<_> = self.tools.iter().collect();
        tools.sort_by(|a, b| cbor::text_key_order(a.0, b.0));
        for (name, set) in tools {
            w.text(name);
            set.encode(&mut w);
        }
        if !self.extensions.is_empty() {
            w.uint(K_EXTENSIONS);
            w.map(self.extensions.len());
            let mut ext: Vec<_> = self.extensions.iter().collect();
            ext.sort_by(|a, b| cbor::text_key_order(a.0, b.0));
            for (k, v) in ext {
                w.text(k);
                w.bytes(v);
            }
        }
        w.into_bytes()
    }

    /// Strict decode: canonical form, known keys only, all required keys,
    /// valid keys, sane times and depths, limits.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (header, body) = decode_impl(bytes, true)?;
        let (tools, extensions) = body.ok_or(DecodeError::MissingKey(K_TOOLS))?;
        let p = Payload {
            id: header.id,
            issuer: header.issuer,
            holder: header.holder,
            issued_at: header.issued_at,
            expires_at: header.expires_at,
            depth: header.depth,
            max_depth: header.max_depth,
            parent: header.parent,
            tools,
            extensions,
        };
        p.check_sane()?;
        Ok(p)
    }

    /// The fixed-size fields (keys 1 to 9), copied.
    pub fn header(&self) -> Header {
        Header {
            id: self.id,
            issuer: self.issuer,
            holder: self.holder,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            depth: self.depth,
            max_depth: self.max_depth,
            parent: self.parent,
        }
    }

    /// The structural rules every payload obeys, whoever built it.
    pub(crate) fn check_sane(&self) -> Result<(), DecodeError> {
        self.header().check_sane()?;
        if self.tools.is_empty() {
            return Err(DecodeError::Malformed("no tools"));
        }
        if self.tools.len() > limits::MAX_TOOLS {
            return Err(DecodeError::TooLarge("tools"));
        }
        let globs: usize = self
            .tools
            .values()
            .flat_map(|set| set.args().values())
            .map(crate::constraint::Constraint::glob_bytes)
            .sum();
        if globs > limits::MAX_GLOB_BYTES_PER_WARRANT {
            return Err(DecodeError::TooLarge("glob bytes per warrant"));
        }
        let regexes: usize = self
            .tools
            .values()
            .flat_map(|set| set.args().values())
            .map(crate::constraint::Constraint::regex_count)
            .sum();
        if regexes > limits::MAX_REGEXES_PER_WARRANT {
            return Err(DecodeError::TooLarge("regexes per warrant"));
        }
        for (name, set) in &self.tools {
            check_name(name)?;
            if set.args().len() > crate::constraint::MAX_CONSTRAINTS_PER_TOOL {
                return Err(DecodeError::TooLarge("constraints per tool"));
            }
            for arg in set.args().keys() {
                check_name(arg)?;
            }
        }
        if self.extensions.len() > limits::MAX_EXTENSIONS {
            return Err(DecodeError::TooLarge("extensions"));
        }
        for k in self.extensions.keys() {
            check_name(k)?;
        }
        Ok(())
    }
}

/// The fixed-size fields of a payload (keys 1 to 9): everything needed to
/// check trust, link rules, revocation, expiry and signatures before the
/// tools (and their constraints) are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Warrant id.
    pub id: WarrantId,
    /// Issuer key.
    pub issuer: PublicKey,
    /// Holder key.
    pub holder: PublicKey,
    /// Start of validity, unix seconds.
    pub issued_at: u64,
    /// End of validity, unix seconds.
    pub expires_at: u64,
    /// Chain position.
    pub depth: u32,
    /// Deepest position a descendant may have.
    pub max_depth: u32,
    /// SHA-256 of the parent envelope (absent at the root).
    pub parent: Option<[u8; 32]>,
}

impl Header {
    /// Decode only keys 1 to 9 of a payload (strictly), without parsing the
    /// tools. The rest is parsed by [`Payload::decode`] once the signature
    /// over the whole payload has verified.
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        let (h, _) = decode_impl(payload, false)?;
        h.check_sane()?;
        Ok(h)
    }

    fn check_sane(&self) -> Result<(), DecodeError> {
        if self.expires_at <= self.issued_at {
            return Err(DecodeError::Malformed("expires_at must be after issued_at"));
        }
        if self.expires_at - self.issued_at > limits::MAX_TTL_SECS {
            return Err(DecodeError::Malformed("ttl exceeds 90 days"));
        }
        if self.depth > self.max_depth {
            return Err(DecodeError::Malformed("depth exceeds max_depth"));
        }
        if (self.max_depth as usize) >= limits::HARD_MAX_CHAIN_LINKS {
            return Err(DecodeError::Malformed("max_depth exceeds the hard cap"));
        }
        if (self.depth == 0) != self.parent.is_none() {
            return Err(DecodeError::Malformed(
                "parent hash must be present exactly when depth > 0",
            ));
        }
        Ok(())
    }
}

type Body = (BTreeMap<String, ConstraintSet>, BTreeMap<String, Vec<u8>>);

/// Decode a payload; with `full == false` stop before the tools (key 10),
/// leaving the rest unparsed.
fn decode_impl(bytes: &[u8], full: bool) -> Result<(Header, Option<Body>), DecodeError> {
    let mut r = Reader::new(bytes, limits::MAX_NESTING);
    let n = r.map()?;
    r.enter()?;
    let mut keys = cbor::MapKeys::default();
    let mut version = None;
    let mut id = None;
    let mut issuer = None;
    let mut holder = None;
    let mut issued_at = None;
    let mut expires_at = None;
    let mut depth = None;
    let mut max_depth = None;
    let mut parent = None;
    let mut tools = None;
    let mut extensions = BTreeMap::new();
    for _ in 0..n {
        let key = cbor::read_uint_key(&mut r, &mut keys)?;
        if !full && key >= K_TOOLS {
            break;
        }
        match key {
            K_VERSION => version = Some(r.uint()?),
            K_ID => id = Some(WarrantId(r.bytes_fixed::<16>()?)),
            K_ISSUER => issuer = Some(PublicKey::from_wire(r.bytes()?)?),
            K_HOLDER => holder = Some(PublicKey::from_wire(r.bytes()?)?),
            K_ISSUED_AT => issued_at = Some(r.uint()?),
            K_EXPIRES_AT => expires_at = Some(r.uint()?),
            K_DEPTH => depth = Some(small(r.uint()?)?),
            K_MAX_DEPTH => max_depth = Some(small(r.uint()?)?),
            K_PARENT => parent = Some(r.bytes_fixed::<32>()?),
            K_TOOLS => tools = Some(decode_tools(&mut r)?),
            K_EXTENSIONS => extensions = decode_extensions(&mut r)?,
            other => return Err(DecodeError::UnknownKey(other)),
        }
    }
    if full {
        r.leave();
        r.finish()?;
    }
    let version = version.ok_or(DecodeError::MissingKey(K_VERSION))?;
    if version != PAYLOAD_VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let header = Header {
        id: id.ok_or(DecodeError::MissingKey(K_ID))?,
        issuer: issuer.ok_or(DecodeError::MissingKey(K_ISSUER))?,
        holder: holder.ok_or(DecodeError::MissingKey(K_HOLDER))?,
        issued_at: issued_at.ok_or(DecodeError::MissingKey(K_ISSUED_AT))?,
        expires_at: expires_at.ok_or(DecodeError::MissingKey(K_EXPIRES_AT))?,
        depth: depth.ok_or(DecodeError::MissingKey(K_DEPTH))?,
        max_depth: max_depth.ok_or(DecodeError::MissingKey(K_MAX_DEPTH))?,
        parent,
    };
    let body = tools.map(|t| (t, extensions));
    Ok((header, body))
}

fn check_name(name: &str) -> Result<(), DecodeError> {
    if name.is_empty() {
        return Err(DecodeError::Malformed("empty name"));
    }
    if name.len() > limits::MAX_NAME_LEN {
        return Err(DecodeError::TooLarge("name"));
    }
    Ok(())
}

fn small(v: u64) -> Result<u32, DecodeError> {
    u32::try_from(v).map_err(|_| DecodeError::OutOfRange)
}

fn decode_tools(r: &mut Reader<'_>) -> Result<BTreeMap<String, ConstraintSet>, DecodeError> {
    let n = r.map()?;
    if n > limits::MAX_TOOLS {
        return Err(DecodeError::TooLarge("tools"));
    }
    r.enter()?;
    let mut keys = cbor::MapKeys::default();
    let mut tools = BTreeMap::new();
    for _ in 0..n {
        let name = cbor::read_text_key(r, &mut keys)?;
        let set = ConstraintSet::decode(r)?;
        tools.insert(name.to_owned(), set);
    }
    r.leave();
    Ok(tools)
}

fn decode_extensions(r: &mut Reader<'_>) -> Result<BTreeMap<String, Vec<u8>>, DecodeError> {
    let n = r.map()?;
    if n == 0 {
        return Err(DecodeError::NonCanonical(
            "empty extensions map must be omitted",
        ));
    }
    if n > limits::MAX_EXTENSIONS {
        return Err(DecodeError::TooLarge("extensions"));
    }
    r.enter()?;
    let mut keys = cbor::MapKeys::default();
    let mut ext = BTreeMap::new();
    for _ in 0..n {
        let k = cbor::read_text_key(r, &mut keys)?;
        ext.insert(k.to_owned(), r.bytes()?.to_vec());
    }
    r.leave();
    Ok(ext)
}
