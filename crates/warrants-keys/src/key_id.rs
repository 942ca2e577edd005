//! Key ids: what a resolver may be asked for.
//!
//! Key ids reach resolvers from the `x-warrant-key-id` header, which
//! whoever starts a workflow controls. Before an id is used in a file name,
//! a Vault path or a variable name it must pass [`check_key_id`]: 1 to 128
//! characters from `[A-Za-z0-9._-]`, not starting with `.`. So `../x`,
//! `a/b`, `%2e%2e`, an empty id and control characters never reach a path.

use crate::Error;

/// Longest accepted key id.
pub const MAX_KEY_ID_LEN: usize = 128;

/// Prefix of the environment variables holding seeds (`WARRANT_KEY_<ID>`).
pub const ENV_PREFIX: &str = "WARRANT_KEY_";

/// Check a key id (see the module docs).
pub fn check_key_id(key_id: &str) -> Result<(), Error> {
    if key_id.is_empty() {
        return Err(Error::InvalidKeyId { reason: "empty" });
    }
    if key_id.len() > MAX_KEY_ID_LEN {
        return Err(Error::InvalidKeyId {
            reason: "longer than 128 characters",
        });
    }
    if key_id.starts_with('.') {
        return Err(Error::InvalidKeyId {
            reason: "starts with '.'",
        });
    }
    if !key_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(Error::InvalidKeyId {
            reason: "characters outside [A-Za-z0-9._-]",
        });
    }
    Ok(())
}

/// The environment variable holding the seed of `key_id`: ASCII letters
/// upper-cased, every other character (`.`, `-`) becomes `_`. So `agent-7`,
/// `agent_7` and `Agent.7` all read `WARRANT_KEY_AGENT_7`.
pub fn env_var_name(key_id: &str) -> Result<String, Error> {
    check_key_id(key_id)?;
    let norm: String = key_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    Ok(format!("{ENV_PREFIX}{norm}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_ids() {
        for id in ["agent", "agent-7", "tenant_a.v2", "A", &"k".repeat(128)] {
            check_key_id(id).unwrap();
        }
    }

    #[test]
    fn refuses_traversal_and_odd_characters() {
        for id in [
            "",
            "../root",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "%2e%2e",
            "a b",
            "a\nb",
            "a\0b",
            "é",
            "k:v",
            "{key_id}",
            &"k".repeat(129),
        ] {
            let e = check_key_id(id).unwrap_err();
            assert_eq!(e.code(), "KEY_ID_INVALID", "{id:?}");
        }
    }

    #[test]
    fn env_names_are_normalized() {
        assert_eq!(env_var_name("agent-7").unwrap(), "WARRANT_KEY_AGENT_7");
        assert_eq!(env_var_name("Agent.7").unwrap(), "WARRANT_KEY_AGENT_7");
        assert_eq!(env_var_name("agent_7").unwrap(), "WARRANT_KEY_AGENT_7");
        assert!(env_var_name("../x").is_err());
    }
}
