//! Typed errors for decoding, keys, values and building warrants.
//!
//! Every error has a stable machine code (`code()`); messages are lowercase,
//! carry no secrets and no argument values. Authorization failures are not
//! errors but [`crate::Denial`]s.

use thiserror::Error;

/// Why bytes failed to decode as a warrant, chain, proof, revocation list,
/// constraint or value. Every variant maps to the denial `WARRANT_MALFORMED`
/// (or `POP_INVALID` for proofs) when met during authorization.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside an item, or a length points past the end.
    #[error("truncated input")]
    Truncated,
    /// Bytes remain after the top-level item.
    #[error("trailing bytes after the item")]
    TrailingBytes,
    /// The input is valid CBOR but not in the one canonical form.
    #[error("non-canonical encoding: {0}")]
    NonCanonical(&'static str),
    /// An item of another type was expected.
    #[error("unexpected item, expected {0}")]
    UnexpectedType(&'static str),
    /// A text string is not valid UTF-8.
    #[error("invalid utf-8 in text string")]
    InvalidUtf8,
    /// An integer does not fit the target type.
    #[error("integer out of range")]
    OutOfRange,
    /// Nesting is deeper than the limit.
    #[error("nesting too deep")]
    TooDeep,
    /// The input or a collection in it is larger than the limit.
    #[error("too large: {0}")]
    TooLarge(&'static str),
    /// A map key appears twice.
    #[error("duplicate map key")]
    DuplicateKey,
    /// A map key that this version does not know.
    #[error("unknown key {0}")]
    UnknownKey(u64),
    /// A required map key is absent.
    #[error("missing key {0}")]
    MissingKey(u64),
    /// The format version is not supported.
    #[error("unsupported version {0}")]
    UnsupportedVersion(u64),
    /// A structural rule of the format is broken.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// A key inside the input is invalid or weak.
    #[error("invalid key: {0}")]
    Key(#[from] KeyError),
    /// A constraint inside the input is invalid.
    #[error("invalid constraint: {0}")]
    Constraint(#[from] ConstraintError),
}

impl DecodeError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated => "DECODE_TRUNCATED",
            Self::TrailingBytes => "DECODE_TRAILING_BYTES",
            Self::NonCanonical(_) => "DECODE_NON_CANONICAL",
            Self::UnexpectedType(_) => "DECODE_UNEXPECTED_TYPE",
            Self::InvalidUtf8 => "DECODE_INVALID_UTF8",
            Self::OutOfRange => "DECODE_OUT_OF_RANGE",
            Self::TooDeep => "DECODE_TOO_DEEP",
            Self::TooLarge(_) => "DECODE_TOO_LARGE",
            Self::DuplicateKey => "DECODE_DUPLICATE_KEY",
            Self::UnknownKey(_) => "DECODE_UNKNOWN_KEY",
            Self::MissingKey(_) => "DECODE_MISSING_KEY",
            Self::UnsupportedVersion(_) => "DECODE_UNSUPPORTED_VERSION",
            Self::Malformed(_) => "DECODE_MALFORMED",
            Self::Key(_) => "DECODE_INVALID_KEY",
            Self::Constraint(_) => "DECODE_INVALID_CONSTRAINT",
        }
    }
}

/// Why key material was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Wrong number of bytes.
    #[error("expected {expected} bytes, got {got}")]
    Length {
        /// Required length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// Not a valid compressed Edwards point.
    #[error("not a valid ed25519 public key")]
    Invalid,
    /// A small-order (weak) public key.
    #[error("weak (small-order) public key")]
    Weak,
    /// Text form is not base64url.
    #[error("not valid base64url")]
    Base64,
}

impl KeyError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "KEY_LENGTH",
            Self::Invalid => "KEY_INVALID",
            Self::Weak => "KEY_WEAK",
            Self::Base64 => "KEY_BASE64",
        }
    }
}

/// Why a value could not be converted to an argument [`crate::Value`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValueError {
    /// An integer outside `i64`.
    #[error("integer out of range for a warrant value")]
    IntegerOutOfRange,
    /// A map key that is not text.
    #[error("map keys must be text")]
    NonTextKey,
    /// Nesting deeper than the limit.
    #[error("value nested too deeply")]
    TooDeep,
    /// A custom serializer error (message from the `Serialize` impl).
    #[error("serialize: {0}")]
    Custom(String),
}

impl ValueError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::IntegerOutOfRange => "VALUE_INT_RANGE",
            Self::NonTextKey => "VALUE_NON_TEXT_KEY",
            Self::TooDeep => "VALUE_TOO_DEEP",
            Self::Custom(_) => "VALUE_SERIALIZE",
        }
    }
}

/// Why a constraint could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConstraintError {
    /// A path root that is not absolute, normalized and NUL-free.
    #[error("invalid path root: {0}")]
    InvalidPath(&'static str),
    /// A glob that does not parse.
    #[error("invalid pattern: {0}")]
    InvalidPattern(&'static str),
    /// A range whose bounds are NaN or empty.
    #[error("invalid range: {0}")]
    InvalidRange(&'static str),
    /// A value set that is empty or too large.
    #[error("invalid value set: {0}")]
    InvalidSet(&'static str),
    /// A value that is not allowed in a constraint (NaN).
    #[error("invalid value: {0}")]
    InvalidValue(&'static str),
}

impl ConstraintError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidPath(_) => "CONSTRAINT_INVALID_PATH",
            Self::InvalidPattern(_) => "CONSTRAINT_INVALID_PATTERN",
            Self::InvalidRange(_) => "CONSTRAINT_INVALID_RANGE",
            Self::InvalidSet(_) => "CONSTRAINT_INVALID_SET",
            Self::InvalidValue(_) => "CONSTRAINT_INVALID_VALUE",
        }
    }
}

/// Why a mint or grant was refused. Grants that would widen anything are
/// refused here, before anything is signed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No holder key was set.
    #[error("holder key not set")]
    MissingHolder,
    /// The warrant would grant no tool.
    #[error("no tools granted")]
    NoTools,
    /// A tool the parent does not grant.
    #[error("tool `{0}` is not granted by the parent")]
    ToolNotInParent(String),
    /// A child constraint set that is not provably narrower.
    #[error("constraints for tool `{tool}` widen the parent: {reason}")]
    ConstraintWidens {
        /// Tool name.
        tool: String,
        /// Which rule failed.
        reason: String,
    },
    /// TTL zero, beyond the limit, or past the parent's expiry.
    #[error("ttl invalid: {0}")]
    TtlInvalid(&'static str),
    /// max_depth beyond the parent's or the hard cap, or no depth left.
    #[error("depth invalid: {0}")]
    DepthInvalid(&'static str),
    /// The signing key is not the parent's holder (grant) or the prepared
    /// issuer (finish).
    #[error("signing key does not match: {0}")]
    WrongKey(&'static str),
    /// The external signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// A count or size limit was exceeded.
    #[error("limit exceeded: {0}")]
    Limit(&'static str),
    /// The built bytes do not decode (a bug guard; should not happen).
    #[error("encoding failed: {0}")]
    Encoding(#[from] DecodeError),
}

impl BuildError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHolder => "BUILD_MISSING_HOLDER",
            Self::NoTools => "BUILD_NO_TOOLS",
            Self::ToolNotInParent(_) => "BUILD_TOOL_NOT_IN_PARENT",
            Self::ConstraintWidens { .. } => "BUILD_CONSTRAINT_WIDENS",
            Self::TtlInvalid(_) => "BUILD_TTL_INVALID",
            Self::DepthInvalid(_) => "BUILD_DEPTH_INVALID",
            Self::WrongKey(_) => "BUILD_WRONG_KEY",
            Self::BadSignature => "BUILD_BAD_SIGNATURE",
            Self::Limit(_) => "BUILD_LIMIT",
            Self::Encoding(_) => "BUILD_ENCODING",
        }
    }
}
