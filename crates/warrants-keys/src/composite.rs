//! Try several resolvers in order.

use std::sync::Arc;

use async_trait::async_trait;
use warrants::SigningKey;

use crate::{check_key_id, Error, KeyResolver};

/// The first resolver that returns the key wins; when all fail the errors
/// are returned together, in order ([`Error::AllFailed`], code
/// `KEY_NOT_FOUND` when every member said "not found", otherwise
/// `KEY_RESOLVE_FAILED`).
///
/// Every error falls through to the next member, including an unreachable
/// backend: a composite of `vault` then `env` keeps workers up while Vault
/// is down, which is what users ask of a fallback. Put only sources you
/// trust equally in one composite.
#[derive(Debug, Default)]
pub struct CompositeResolver {
    members: Vec<Box<dyn KeyResolver>>,
}

impl CompositeResolver {
    /// An empty composite (resolves nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a member.
    pub fn with(mut self, resolver: impl KeyResolver + 'static) -> Self {
        self.members.push(Box::new(resolver));
        self
    }

    /// Append a boxed member.
    pub fn push(&mut self, resolver: Box<dyn KeyResolver>) {
        self.members.push(resolver);
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[async_trait]
impl KeyResolver for CompositeResolver {
    fn name(&self) -> &str {
        "composite"
    }

    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        check_key_id(key_id)?;
        let mut errors = Vec::with_capacity(self.members.len());
        for m in &self.members {
            match m.resolve(key_id).await {
                Ok(k) => return Ok(k),
                Err(e) => {
                    tracing::debug!(
                        resolver = m.name(),
                        key_id,
                        code = e.code(),
                        "key resolver fell through"
                    );
                    errors.push((m.name().to_string(), e));
                }
            }
        }
        Err(Error::AllFailed {
            key_id: key_id.to_string(),
            errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::URL_SAFE;
    use crate::EnvResolver;
    use base64::Engine;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, u8)]) -> EnvResolver {
        EnvResolver::from_map(
            pairs
                .iter()
                .map(|(k, s)| (format!("WARRANT_KEY_{k}"), URL_SAFE.encode([*s; 32])))
                .collect::<HashMap<_, _>>(),
        )
    }

    #[tokio::test]
    async fn first_success_in_order() {
        let c = CompositeResolver::new()
            .with(env(&[("A", 1)]))
            .with(env(&[("A", 2), ("B", 3)]));
        assert_eq!(c.len(), 2);
        // Both have A: the first wins.
        assert_eq!(
            c.resolve("a").await.unwrap().public_key(),
            SigningKey::from_seed(&[1; 32]).public_key()
        );
        // Only the second has B.
        assert_eq!(
            c.resolve("b").await.unwrap().public_key(),
            SigningKey::from_seed(&[3; 32]).public_key()
        );
        let e = c.resolve("c").await.unwrap_err();
        assert_eq!(e.code(), "KEY_NOT_FOUND");
        match e {
            Error::AllFailed { errors, .. } => assert_eq!(errors.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn malformed_first_falls_through_and_is_reported() {
        let bad = EnvResolver::from_map(HashMap::from([(
            "WARRANT_KEY_A".to_string(),
            "garbage".to_string(),
        )]));
        let c = CompositeResolver::new().with(bad).with(env(&[("A", 4)]));
        assert!(c.resolve("a").await.is_ok());
        let c = CompositeResolver::new()
            .with(EnvResolver::from_map(HashMap::from([(
                "WARRANT_KEY_A".to_string(),
                "garbage".to_string(),
            )])))
            .with(env(&[]));
        let e = c.resolve("a").await.unwrap_err();
        assert_eq!(e.code(), "KEY_RESOLVE_FAILED");
        assert!(
            e.to_string()
                .contains("env: key \"a\" at env WARRANT_KEY_A is malformed"),
            "{e}"
        );
        assert_eq!(
            CompositeResolver::new()
                .resolve("../a")
                .await
                .unwrap_err()
                .code(),
            "KEY_ID_INVALID"
        );
    }
}
