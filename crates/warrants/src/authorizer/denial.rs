//! Denials: why a call was refused, as data with stable machine codes.
//!
//! A denial never contains argument values. [`Denial::explain`] can add
//! them for local debugging when redaction is explicitly turned off.

use serde::{Deserialize, Serialize};

use crate::chain::LinkRule;
use crate::constraint::{ArgViolation, ViolationKind};
use crate::value::Value;
use crate::warrant::WarrantId;

/// Why an authorization was refused. Serializes with its stable code in a
/// `code` field (`{"code": "TOOL_NOT_GRANTED", "tool": "..."}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Denial {
    /// No warrant was presented.
    #[error("no warrant presented")]
    WarrantMissing,
    /// The warrant or chain bytes do not decode, or a limit is exceeded.
    #[error("malformed warrant: {reason}")]
    WarrantMalformed {
        /// What is wrong (never contains argument values).
        reason: String,
    },
    /// A link has expired.
    #[error("warrant expired at {expires_at} (now {now})")]
    WarrantExpired {
        /// Chain position of the expired link.
        link: usize,
        /// Its expiry, unix seconds.
        expires_at: u64,
        /// The time checked, unix seconds.
        now: u64,
    },
    /// A link is not valid yet.
    #[error("warrant not valid before {issued_at} (now {now})")]
    NotYetValid {
        /// Chain position.
        link: usize,
        /// Its issue time, unix seconds.
        issued_at: u64,
        /// The time checked, unix seconds.
        now: u64,
    },
    /// The root's issuer is not a trusted root key.
    #[error("root issuer is not trusted")]
    UntrustedRoot,
    /// A link rule or a link signature fails.
    #[error("chain link {link} invalid: {rule}")]
    ChainInvalid {
        /// Chain position of the offending link.
        link: usize,
        /// The rule it breaks.
        rule: LinkRule,
    },
    /// More links than the authorizer accepts.
    #[error("chain has {links} links, more than the {max} allowed")]
    ChainTooDeep {
        /// Links presented.
        links: usize,
        /// Links allowed.
        max: usize,
    },
    /// A link's id is on the installed revocation list.
    #[error("warrant {id} (link {link}) is revoked")]
    Revoked {
        /// Chain position.
        link: usize,
        /// The revoked id.
        id: WarrantId,
    },
    /// Some link does not grant the tool.
    #[error("tool `{tool}` is not granted")]
    ToolNotGranted {
        /// The tool called.
        tool: String,
        /// First link without it.
        link: usize,
    },
    /// An argument fails a constraint of some link.
    #[error("tool `{tool}`: argument `{}` violates link {}: {}", violation.arg, violation.link, describe(&violation.kind))]
    ConstraintViolated {
        /// The tool called.
        tool: String,
        /// The first violation found.
        violation: ArgViolation,
    },
    /// No proof of possession was presented.
    #[error("no proof of possession presented")]
    PopMissing,
    /// The proof does not decode or does not verify for this call.
    #[error("proof of possession invalid")]
    PopInvalid,
    /// The proof's time lies outside the window.
    #[error("proof of possession time {ts} outside window [{from}, {to}]")]
    PopStale {
        /// Proof time.
        ts: u64,
        /// Window start.
        from: u64,
        /// Window end.
        to: u64,
    },
    /// The proof was already used for a first attempt.
    #[error("proof of possession replayed")]
    PopReplayed,
    /// The holder key needed to sign was not found.
    #[error("holder key `{key_id}` not found")]
    KeyNotFound {
        /// The key id asked for.
        key_id: String,
    },
    /// Local activities are blocked by policy.
    #[error("local activities are blocked by policy")]
    LocalActivityBlocked,
    /// The activity type is protected but not registered for argument
    /// extraction.
    #[error("activity `{activity}` is not registered")]
    ActivityNotRegistered {
        /// The activity type.
        activity: String,
    },
    /// The call's arguments could not be read.
    #[error("arguments unreadable: {reason}")]
    ArgsInvalid {
        /// What is wrong (never contains argument values).
        reason: String,
    },
}

fn describe(kind: &ViolationKind) -> String {
    match kind {
        ViolationKind::Missing => "required argument missing".into(),
        ViolationKind::Unexpected => "argument not allowed".into(),
        ViolationKind::Mismatch { constraint } => format!("value fails {constraint} constraint"),
        ViolationKind::NotAMap => "arguments are not a map".into(),
    }
}

/// Whether messages may show argument values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Redaction {
    /// Never show values (the default).
    #[default]
    On,
    /// Show values (local debugging only).
    Off,
}

impl Denial {
    /// Every code [`Denial::code`] can return.
    pub const CODES: &'static [&'static str] = &[
        "WARRANT_MISSING",
        "WARRANT_MALFORMED",
        "WARRANT_EXPIRED",
        "NOT_YET_VALID",
        "UNTRUSTED_ROOT",
        "CHAIN_INVALID",
        "CHAIN_TOO_DEEP",
        "REVOKED",
        "TOOL_NOT_GRANTED",
        "CONSTRAINT_VIOLATED",
        "POP_MISSING",
        "POP_INVALID",
        "POP_STALE",
        "POP_REPLAYED",
        "KEY_NOT_FOUND",
        "LOCAL_ACTIVITY_BLOCKED",
        "ACTIVITY_NOT_REGISTERED",
        "ARGS_INVALID",
    ];

    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::WarrantMissing => "WARRANT_MISSING",
            Denial::WarrantMalformed { .. } => "WARRANT_MALFORMED",
            Denial::WarrantExpired { .. } => "WARRANT_EXPIRED",
            Denial::NotYetValid { .. } => "NOT_YET_VALID",
            Denial::UntrustedRoot => "UNTRUSTED_ROOT",
            Denial::ChainInvalid { .. } => "CHAIN_INVALID",
            Denial::ChainTooDeep { .. } => "CHAIN_TOO_DEEP",
            Denial::Revoked { .. } => "REVOKED",
            Denial::ToolNotGranted { .. } => "TOOL_NOT_GRANTED",
            Denial::ConstraintViolated { .. } => "CONSTRAINT_VIOLATED",
            Denial::PopMissing => "POP_MISSING",
            Denial::PopInvalid => "POP_INVALID",
            Denial::PopStale { .. } => "POP_STALE",
            Denial::PopReplayed => "POP_REPLAYED",
            Denial::KeyNotFound { .. } => "KEY_NOT_FOUND",
            Denial::LocalActivityBlocked => "LOCAL_ACTIVITY_BLOCKED",
            Denial::ActivityNotRegistered { .. } => "ACTIVITY_NOT_REGISTERED",
            Denial::ArgsInvalid { .. } => "ARGS_INVALID",
        }
    }

    /// Human reason. With [`Redaction::Off`] a constraint violation also
    /// shows the offending value from `args`; otherwise this equals the
    /// `Display` text, which never shows values.
    pub fn explain(&self, args: &Value, redaction: Redaction) -> String {
        match (self, redaction) {
            (Denial::ConstraintViolated { violation, .. }, Redaction::Off) => {
                match args.as_map().and_then(|m| m.get(&violation.arg)) {
                    Some(v) => format!("{self} (value: {v})"),
                    None => self.to_string(),
                }
            }
            _ => self.to_string(),
        }
    }
}

/// Render a list of violations, one line each, with values only when
/// redaction is off.
pub fn render_violations(
    violations: &[ArgViolation],
    args: &Value,
    redaction: Redaction,
) -> String {
    let mut out = String::new();
    for v in violations {
        out.push_str(&format!(
            "link {}: argument `{}`: {}",
            v.link,
            v.arg,
            describe(&v.kind)
        ));
        if redaction == Redaction::Off {
            if let Some(val) = args.as_map().and_then(|m| m.get(&v.arg)) {
                out.push_str(&format!(" (value: {val})"));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraint::ViolationKind;

    #[test]
    fn codes_lists_every_variant_once() {
        let violation = ArgViolation {
            link: 0,
            arg: "a".into(),
            kind: ViolationKind::Missing,
        };
        let all = [
            Denial::WarrantMissing,
            Denial::WarrantMalformed {
                reason: String::new(),
            },
            Denial::WarrantExpired {
                link: 0,
                expires_at: 0,
                now: 0,
            },
            Denial::NotYetValid {
                link: 0,
                issued_at: 0,
                now: 0,
            },
            Denial::UntrustedRoot,
            Denial::ChainInvalid {
                link: 0,
                rule: LinkRule::BadSignature,
            },
            Denial::ChainTooDeep { links: 0, max: 0 },
            Denial::Revoked {
                link: 0,
                id: WarrantId([0; 16]),
            },
            Denial::ToolNotGranted {
                tool: String::new(),
                link: 0,
            },
            Denial::ConstraintViolated {
                tool: String::new(),
                violation,
            },
            Denial::PopMissing,
            Denial::PopInvalid,
            Denial::PopStale {
                ts: 0,
                from: 0,
                to: 0,
            },
            Denial::PopReplayed,
            Denial::KeyNotFound {
                key_id: String::new(),
            },
            Denial::LocalActivityBlocked,
            Denial::ActivityNotRegistered {
                activity: String::new(),
            },
            Denial::ArgsInvalid {
                reason: String::new(),
            },
        ];
        let codes: Vec<&str> = all.iter().map(Denial::code).collect();
        assert_eq!(codes, Denial::CODES);
    }
}
